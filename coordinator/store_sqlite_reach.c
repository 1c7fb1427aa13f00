/* store_sqlite_reach.c -- the SQLite backend of store.h's reach part: the
 * targets per county and township, the villages register, and which village
 * each trip is at. What coverage means is coverage.c's; this keeps and reads. */
#include <string.h>

#include "store_sqlite_priv.h"

const char store_sqlite_reach_schema[] =
    "CREATE TABLE IF NOT EXISTS county_targets ("
    " year INTEGER NOT NULL, county TEXT NOT NULL, township TEXT NOT NULL DEFAULT '',"
    " consultations INTEGER NOT NULL, staff INTEGER NOT NULL,"
    " source TEXT NOT NULL CHECK (source IN ('admin', 'config')),"
    " updated_at TEXT NOT NULL, PRIMARY KEY (year, county, township)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS villages ("
    " code TEXT PRIMARY KEY, name TEXT NOT NULL, township TEXT NOT NULL,"
    " county TEXT NOT NULL, county_name TEXT NOT NULL, poor INTEGER NOT NULL,"
    " updated_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trip_villages ("
    " trip_id TEXT PRIMARY KEY, village TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS trip_villages_village ON trip_villages (village);";

/* Prepares sql into *st: OERR_OK or OERR_DB. */
static oerr_t prep(struct store *s, const char *sql, struct sqlq **st)
{
    return (*st = sqldb_prepare(s->db, sql, false)) ? OERR_OK : OERR_DB;
}

/* Steps a statement that returns no rows, then finalizes it. */
static oerr_t run_once(struct sqlq *st)
{
    oerr_t rc = run(st);
    sqlq_finalize(st);
    return rc;
}

oerr_t store_target_put(struct store *s, const struct target_row *t, bool from_config,
                        const char *now)
{
    struct sqlq *st;
    if (prep(s, from_config
                    ? "INSERT INTO county_targets (year, county, township, consultations,"
                      " staff, source, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'config', ?6)"
                      " ON CONFLICT (year, county, township) DO UPDATE SET"
                      " consultations = ?4, staff = ?5, updated_at = ?6"
                      " WHERE source = 'config'"
                    : "INSERT INTO county_targets (year, county, township, consultations,"
                      " staff, source, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'admin', ?6)"
                      " ON CONFLICT (year, county, township) DO UPDATE SET"
                      " consultations = ?4, staff = ?5, source = 'admin', updated_at = ?6",
             &st))
        return OERR_DB;
    sqlq_bind_int(st, 1, t->year);
    bind_text(st, 2, t->county);
    bind_text(st, 3, t->township);
    sqlq_bind_int(st, 4, t->consultations);
    sqlq_bind_int(st, 5, t->staff);
    bind_text(st, 6, now);
    return run_once(st);
}

oerr_t store_county_target(struct store *s, int year, const char *county,
                           long long *consultations, long long *staff)
{
    /* The county's own row first (township ''), else the townships' sum. */
    struct sqlq *st;
    if (prep(s, "SELECT COALESCE(MAX(CASE WHEN township = '' THEN consultations END),"
                " SUM(consultations)), COALESCE(MAX(CASE WHEN township = '' THEN staff END),"
                " SUM(staff)), COUNT(*) FROM county_targets WHERE year = ?1 AND county = ?2",
             &st))
        return OERR_DB;
    sqlq_bind_int(st, 1, year);
    bind_text(st, 2, county);
    oerr_t rc = OERR_DB;
    if (sqlq_step(st) == SQLDB_ROW) {
        rc = sqlq_int(st, 2) ? OERR_OK : OERR_NOTFOUND;
        *consultations = sqlq_int(st, 0);
        *staff = sqlq_int(st, 1);
    }
    sqlq_finalize(st);
    return rc;
}

oerr_t store_targets_each(struct store *s, int year,
                          int (*fn)(void *, const struct target_row *), void *ctx)
{
    struct sqlq *st;
    if (prep(s, "SELECT year, county, township, consultations, staff, source, updated_at"
                " FROM county_targets WHERE ?1 = 0 OR year = ?1"
                " ORDER BY year, county, township", &st))
        return OERR_DB;
    sqlq_bind_int(st, 1, year);
    int r;
    while ((r = sqlq_step(st)) == SQLDB_ROW) {
        struct target_row t;
        t.year = (int)sqlq_int(st, 0);
        column_copy(st, 1, t.county, sizeof t.county);
        column_copy(st, 2, t.township, sizeof t.township);
        t.consultations = sqlq_int(st, 3);
        t.staff = sqlq_int(st, 4);
        column_copy(st, 5, t.source, sizeof t.source);
        column_copy(st, 6, t.updated_at, sizeof t.updated_at);
        if (fn(ctx, &t)) {
            r = SQLDB_DONE;
            break;
        }
    }
    sqlq_finalize(st);
    return r == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_village_put(struct store *s, const struct village_row *v, const char *now)
{
    struct sqlq *st;
    if (prep(s, "INSERT INTO villages (code, name, township, county, county_name, poor,"
                " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                " ON CONFLICT (code) DO UPDATE SET name = ?2, township = ?3, county = ?4,"
                " county_name = ?5, poor = ?6, updated_at = ?7", &st))
        return OERR_DB;
    bind_text(st, 1, v->code);
    bind_text(st, 2, v->name);
    bind_text(st, 3, v->township);
    bind_text(st, 4, v->county);
    bind_text(st, 5, v->county_name);
    sqlq_bind_int(st, 6, v->poor);
    bind_text(st, 7, now);
    return run_once(st);
}

/* The village columns (code .. poor) from column first on. */
static void village_read(struct sqlq *st, int first, struct village_row *v)
{
    column_copy(st, first, v->code, sizeof v->code);
    column_copy(st, first + 1, v->name, sizeof v->name);
    column_copy(st, first + 2, v->township, sizeof v->township);
    column_copy(st, first + 3, v->county, sizeof v->county);
    column_copy(st, first + 4, v->county_name, sizeof v->county_name);
    v->poor = (int)sqlq_int(st, first + 5) != 0;
}

oerr_t store_village_get(struct store *s, const char *code, struct village_row *out)
{
    struct sqlq *st;
    if (prep(s, "SELECT code, name, township, county, county_name, poor FROM villages"
                " WHERE code = ?1", &st))
        return OERR_DB;
    bind_text(st, 1, code);
    int r = sqlq_step(st);
    if (r == SQLDB_ROW)
        village_read(st, 0, out);
    sqlq_finalize(st);
    return r == SQLDB_ROW ? OERR_OK : r == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

long long store_villages_count(struct store *s, bool poor_only)
{
    struct sqlq *st;
    if (prep(s, "SELECT COUNT(*) FROM villages WHERE ?1 = 0 OR poor <> 0", &st))
        return -1;
    sqlq_bind_int(st, 1, poor_only);
    long long n = sqlq_step(st) == SQLDB_ROW ? sqlq_int(st, 0) : -1;
    sqlq_finalize(st);
    return n;
}

oerr_t store_trip_village_set(struct store *s, const char *trip_id, const char *village)
{
    struct sqlq *st;
    if (prep(s, village ? "INSERT OR REPLACE INTO trip_villages (trip_id, village)"
                          " VALUES (?1, ?2)"
                        : "DELETE FROM trip_villages WHERE trip_id = ?1", &st))
        return OERR_DB;
    bind_text(st, 1, trip_id);
    if (village)
        bind_text(st, 2, village);
    return run_once(st);
}

oerr_t store_trip_village(struct store *s, const char *trip_id, char village[ID_MAX + 1])
{
    village[0] = '\0';
    struct sqlq *st;
    if (prep(s, "SELECT village FROM trip_villages WHERE trip_id = ?1", &st))
        return OERR_DB;
    bind_text(st, 1, trip_id);
    int r = sqlq_step(st);
    if (r == SQLDB_ROW)
        column_copy(st, 0, village, ID_MAX + 1);
    sqlq_finalize(st);
    return r == SQLDB_ROW || r == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_coverage_each(struct store *s, int year,
                           int (*fn)(void *, const struct coverage_row *), void *ctx)
{
    struct sqlq *st;
    if (prep(s, "SELECT v.code, v.name, v.township, v.county, v.county_name, v.poor,"
                " t.trip_id, t.status, t.date, COALESCE(tt.consultations, 0)"
                " FROM villages v"
                " LEFT JOIN trip_villages tv ON tv.village = v.code"
                "  AND tv.trip_id IN (SELECT trip_id FROM trips WHERE year = ?1)"
                " LEFT JOIN trips t ON t.trip_id = tv.trip_id"
                " LEFT JOIN trip_totals tt ON tt.trip_id = t.trip_id"
                " WHERE v.poor <> 0 ORDER BY v.county, v.township, v.code, t.trip_id", &st))
        return OERR_DB;
    sqlq_bind_int(st, 1, year);
    int r;
    while ((r = sqlq_step(st)) == SQLDB_ROW) {
        struct coverage_row c;
        village_read(st, 0, &c.v);
        column_copy(st, 6, c.trip_id, sizeof c.trip_id);
        column_copy(st, 7, c.status, sizeof c.status);
        column_copy(st, 8, c.date, sizeof c.date);
        c.consultations = sqlq_int(st, 9);
        if (fn(ctx, &c)) {
            r = SQLDB_DONE;
            break;
        }
    }
    sqlq_finalize(st);
    return r == SQLDB_DONE ? OERR_OK : OERR_DB;
}
