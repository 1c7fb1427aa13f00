/* sqldb_sqlite.c -- sqldb.h on SQLite: each call is the sqlite3 call of the
 * same name. */
#include "sqldb.h"

#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

struct lite {
    struct sqldb base;
    sqlite3 *db;
    char code[16];
};

struct liteq {
    struct sqlq base;
    sqlite3_stmt *st;
};

static sqlite3 *L(struct sqldb *db) { return ((struct lite *)db)->db; }
static sqlite3_stmt *S(struct sqlq *q) { return ((struct liteq *)q)->st; }

static void lite_close(struct sqldb *db)
{
    sqlite3_close(L(db));
    free(db);
}

static int lite_exec(struct sqldb *db, const char *sql)
{
    return sqlite3_exec(L(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static struct sqlq *lite_prepare(struct sqldb *db, const char *sql, bool persistent)
{
    struct liteq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->base.db = db;
    if (sqlite3_prepare_v3(L(db), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &q->st,
                           NULL) != SQLITE_OK ||
        !q->st) {
        sqlite3_finalize(q->st);
        free(q);
        return NULL;
    }
    return &q->base;
}

static long long lite_changes(struct sqldb *db) { return sqlite3_changes64(L(db)); }
static unsigned lite_generation(struct sqldb *db)
{
    (void)db;
    return 0;
}
static int lite_notifications(struct sqldb *db, void (*fn)(void *, const char *), void *ctx)
{
    (void)db;
    (void)fn;
    (void)ctx;
    return 0;
}
static bool lite_in_tx(struct sqldb *db) { return !sqlite3_get_autocommit(L(db)); }
static const char *lite_errmsg(struct sqldb *db) { return sqlite3_errmsg(L(db)); }

static enum sqldb_fail lite_fail(struct sqldb *db)
{
    switch (sqlite3_errcode(L(db))) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return SQLDB_FAIL_NONE;
    case SQLITE_CONSTRAINT:
        return SQLDB_FAIL_CONSTRAINT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SQLDB_FAIL_RETRY;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return SQLDB_FAIL_CORRUPT;
    case SQLITE_NOMEM:
        return SQLDB_FAIL_NOMEM;
    default:
        return SQLDB_FAIL_OTHER;
    }
}

static const char *lite_errcode(struct sqldb *db)
{
    struct lite *l = (struct lite *)db;
    snprintf(l->code, sizeof l->code, "%d", sqlite3_extended_errcode(l->db));
    return l->code;
}

static void lite_reset(struct sqlq *q) { sqlite3_reset(S(q)); }
static void lite_clear_bindings(struct sqlq *q) { sqlite3_clear_bindings(S(q)); }

static void lite_bind_int(struct sqlq *q, int i, long long v) { sqlite3_bind_int64(S(q), i, v); }
static void lite_bind_text(struct sqlq *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(S(q), i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(S(q), i);
}
static void lite_bind_blob(struct sqlq *q, int i, const void *v, size_t len)
{
    sqlite3_bind_blob64(S(q), i, v, len, SQLITE_TRANSIENT);
}
static void lite_bind_null(struct sqlq *q, int i) { sqlite3_bind_null(S(q), i); }

static int lite_step(struct sqlq *q)
{
    switch (sqlite3_step(S(q))) {
    case SQLITE_ROW:
        return SQLDB_ROW;
    case SQLITE_DONE:
        return SQLDB_DONE;
    default:
        return SQLDB_ERROR;
    }
}

static int lite_columns(struct sqlq *q) { return sqlite3_column_count(S(q)); }
static bool lite_is_null(struct sqlq *q, int col)
{
    return sqlite3_column_type(S(q), col) == SQLITE_NULL;
}
static long long lite_int(struct sqlq *q, int col) { return sqlite3_column_int64(S(q), col); }
static double lite_double(struct sqlq *q, int col) { return sqlite3_column_double(S(q), col); }
static const char *lite_text(struct sqlq *q, int col)
{
    return (const char *)sqlite3_column_text(S(q), col);
}
static size_t lite_bytes(struct sqlq *q, int col)
{
    return (size_t)sqlite3_column_bytes(S(q), col);
}
static void lite_finalize(struct sqlq *q)
{
    sqlite3_finalize(S(q));
    free(q);
}
static void lite_stream(struct sqlq *q) { (void)q; }

static const struct sqldb_ops lite_ops = {
    .close = lite_close,       .exec = lite_exec,         .prepare = lite_prepare,
    .changes = lite_changes,
    .generation = lite_generation,
    .notifications = lite_notifications,   .in_tx = lite_in_tx,       .errmsg = lite_errmsg,
    .fail = lite_fail,         .errcode = lite_errcode,   .reset = lite_reset,
    .clear_bindings = lite_clear_bindings,
    .bind_int = lite_bind_int, .bind_text = lite_bind_text, .bind_blob = lite_bind_blob,
    .bind_null = lite_bind_null, .step = lite_step,       .columns = lite_columns,
    .is_null = lite_is_null,   .col_int = lite_int,       .col_double = lite_double,
    .col_text = lite_text,     .col_bytes = lite_bytes,   .finalize = lite_finalize,
    .stream = lite_stream,
};

struct sqldb *sqldb_open_sqlite(const char *path, int flags)
{
    struct lite *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->base.ops = &lite_ops;
    l->base.kind = SQLDB_SQLITE;
    /* Even when it fails, SQLite gives a handle whose errmsg says why. */
    sqlite3_open_v2(path, &l->db, flags, NULL);
    if (!l->db) {
        free(l);
        return NULL;
    }
    return &l->base;
}

struct sqlite3 *sqldb_sqlite(struct sqldb *db)
{
    return db && db->kind == SQLDB_SQLITE ? L(db) : NULL;
}
