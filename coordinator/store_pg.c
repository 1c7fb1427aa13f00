/* store_pg.c -- the store on PostgreSQL (--db postgresql://...): what only
 * PostgreSQL has. Everything the store does with its tables is the same
 * code as on SQLite (store_sqlite*.c, over sqldb.h); here are the
 * connection, the schema as versioned migrations, and the locks that stand
 * where SQLite has its file's.
 *
 * Migrations: the schema is the list below, each entry one version, never
 * changed once released (a later change is a new entry). store_pg_open runs
 * those the database lacks, each in its own transaction with its row in
 * schema_migrations, under a session advisory lock (STORE_MIGRATE_KEY), so that
 * two coordinators starting at once do not both create a table: the second
 * waits for the first and then finds nothing to do. A database at a version
 * newer than this program's is refused (an older coordinator must not write
 * what it does not know), as a read-only open refuses one not yet brought
 * up to date.
 *
 * Who has the store open: a daemon (store_open) holds the shared advisory
 * lock STORE_KEY for as long as its connection lives (several coordinators
 * share one database: that is the point); a rebuild (store_hold_alone)
 * needs it alone and is refused while any other holds it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "olog.h"
#include "timeutil.h"
#include "store_sqlite_priv.h"


#define pg_latest store_pg_migrations_count

/* An integer from the first row of sql; -1 when it fails. */
static long long pg_scalar(struct store *s, const char *sql)
{
    struct sqlq *q = sqldb_prepare(s->db, sql, false);
    long long v = -1;
    if (q && sqlq_step(q) == SQLDB_ROW)
        v = sqlq_int(q, 0);
    sqlq_finalize(q);
    return v;
}

/* The version the database is at: 0 for an empty one, -1 when unreadable. */
static int pg_version(struct store *s)
{
    long long has = pg_scalar(s, "SELECT COUNT(*) FROM pg_catalog.pg_tables"
                                 " WHERE schemaname = current_schema()"
                                 " AND tablename = 'schema_migrations'");
    if (has <= 0)
        return has < 0 ? -1 : 0;
    long long v = pg_scalar(s, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    return v < 0 || v > 1000000 ? -1 : (int)v;
}

static oerr_t pg_migrate(struct store *s, char err[256])
{
    if (sqldb_exec(s->db, "SELECT pg_advisory_lock(" STORE_MIGRATE_KEY ")")) {
        snprintf(err, 256, "cannot lock the schema for its migrations: %.180s",
                 sqldb_errmsg(s->db));
        return OERR_DB;
    }
    oerr_t rc = OERR_OK;
    if (sqldb_exec(s->db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL"
                          " DEFAULT now())")) {
        snprintf(err, 256, "cannot make schema_migrations: %.200s", sqldb_errmsg(s->db));
        rc = OERR_DB;
    }
    int v = rc ? -1 : pg_version(s);
    if (!rc && v < 0) {
        snprintf(err, 256, "cannot read the schema's version: %.200s", sqldb_errmsg(s->db));
        rc = OERR_DB;
    } else if (!rc && v > pg_latest) {
        snprintf(err, 256, "the database's schema is at version %d, newer than this "
                 "coordinator's (%d): run the newer coordinator", v, pg_latest);
        rc = OERR_REJECTED;
    }
    for (int i = v; !rc && i < pg_latest; i++) {
        char mark[96];
        snprintf(mark, sizeof mark, "INSERT INTO schema_migrations (version) VALUES (%d)",
                 i + 1);
        if (sqldb_exec(s->db, "BEGIN") || sqldb_exec(s->db, store_pg_migrations[i]) ||
            sqldb_exec(s->db, mark) || sqldb_exec(s->db, "COMMIT")) {
            snprintf(err, 256, "schema migration %d failed: %.200s", i + 1,
                     sqldb_errmsg(s->db));
            sqldb_exec(s->db, "ROLLBACK");
            rc = OERR_DB;
        } else {
            olog(OLOG_INFO, "store: schema migration %d of %d applied", i + 1, pg_latest);
        }
    }
    sqldb_exec(s->db, "SELECT pg_advisory_unlock(" STORE_MIGRATE_KEY ")");
    return rc;
}

oerr_t store_pg_open(const char *uri, bool read_only, struct store **out, char err[256])
{
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "out of memory");
        return OERR_NOMEM;
    }
    s->db = sqldb_open_pg(uri, err);
    if (!s->db) {
        free(s);
        return OERR_DB;
    }
    oerr_t rc = OERR_OK;
    if (read_only) {
        int v = pg_version(s);
        if (v < 0) {
            snprintf(err, 256, "cannot read the schema's version: %.200s", sqldb_errmsg(s->db));
            rc = OERR_DB;
        } else if (v != pg_latest) { /* the caller says what to do */
            snprintf(err, 256, v ? "the database's schema is at version %d, this program's at %d"
                                 : "the database has no coordinator's tables yet (schema version "
                                   "%d, this program's %d)",
                     v, pg_latest);
            rc = OERR_REJECTED;
        }
    } else if ((rc = pg_migrate(s, err)) == OERR_OK &&
               sqldb_exec(s->db, "SELECT pg_advisory_lock_shared(" STORE_KEY ")")) {
        snprintf(err, 256, "cannot take the store's lock: %.200s", sqldb_errmsg(s->db));
        rc = OERR_DB;
    }
    if (!rc)
        rc = store_prepare_statements(s, err);
    if (rc) {
        store_close(s);
        return rc;
    }
    *out = s;
    return OERR_OK;
}

bool store_leader(struct store *s, bool *changed)
{
    bool was = s->leader;
    *changed = false;
    if (sqldb_sqlite(s->db)) /* the one coordinator that has the file */
        return true;
    double now = tu_mono_ms();
    if (now - s->leader_asked_ms < 500 && s->leader_asked_ms > 0)
        return was;
    s->leader_asked_ms = now;
    if (was) { /* still connected, in the connection that took it? */
        bool alive = pg_scalar(s, "SELECT 1") == 1 && sqldb_generation(s->db) == s->leader_gen;
        if (!alive)
            s->leader = false;
    }
    if (!s->leader && pg_scalar(s, "SELECT CAST(pg_try_advisory_lock(" STORE_LEADER_KEY
                                   ") AS INTEGER)") == 1) {
        s->leader = true;
        s->leader_gen = sqldb_generation(s->db);
    }
    *changed = s->leader != was;
    return s->leader;
}

/* The channel of the coordinators' announcements (store_announce). */
#define ANNOUNCE_CHANNEL "outreach_changes"

oerr_t store_announce(struct store *s, const char *what)
{
    if (sqldb_sqlite(s->db))
        return OERR_OK;
    struct sqlq *q = sql_prep(s, "SELECT pg_notify('" ANNOUNCE_CHANNEL "', ?1)", 1, what);
    int rc = q ? sqlq_step(q) : SQLDB_ERROR;
    sqlq_finalize(q);
    return rc == SQLDB_ROW ? OERR_OK : OERR_DB;
}

oerr_t store_announced(struct store *s, void (*fn)(void *, const char *), void *ctx)
{
    if (sqldb_sqlite(s->db))
        return OERR_OK;
    unsigned gen = sqldb_generation(s->db) + 1;
    if (s->listen_gen != gen) { /* first, or a new connection: what came meanwhile is lost */
        if (sqldb_exec(s->db, "LISTEN " ANNOUNCE_CHANNEL))
            return OERR_DB;
        if (s->listen_gen)
            fn(ctx, "all");
        s->listen_gen = sqldb_generation(s->db) + 1;
    }
    return sqldb_notifications(s->db, fn, ctx) ? OERR_DB : OERR_OK;
}

oerr_t store_pg_hold_alone(struct store *s, char err[256])
{
    sqldb_exec(s->db, "SELECT pg_advisory_unlock_shared(" STORE_KEY ")");
    long long got = pg_scalar(s, "SELECT pg_try_advisory_lock(" STORE_KEY ")");
    if (got == 1)
        return OERR_OK;
    if (got < 0) {
        snprintf(err, 256, "cannot lock the store: %.200s", sqldb_errmsg(s->db));
        return OERR_DB;
    }
    sqldb_exec(s->db, "SELECT pg_advisory_lock_shared(" STORE_KEY ")");
    snprintf(err, 256, "another program (a coordinator, or a rebuild) has the store open: "
             "stop it first");
    return OERR_REJECTED;
}
