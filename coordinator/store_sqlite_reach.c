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

oerr_t store_target_put(struct store *s, const struct target_row *t, bool from_config,
                        const char *now)
{
    struct sqlq *st = sql_prep(
        s, from_config
               ? "INSERT INTO county_targets (year, county, township, consultations,"
                 " staff, source, updated_at) VALUES (?4, ?1, ?2, ?5, ?6, 'config', ?3)"
                 " ON CONFLICT (year, county, township) DO UPDATE SET"
                 " consultations = ?5, staff = ?6, updated_at = ?3"
                 " WHERE county_targets.source = 'config'"
               : "INSERT INTO county_targets (year, county, township, consultations,"
                 " staff, source, updated_at) VALUES (?4, ?1, ?2, ?5, ?6, 'admin', ?3)"
                 " ON CONFLICT (year, county, township) DO UPDATE SET"
                 " consultations = ?5, staff = ?6, source = 'admin', updated_at = ?3",
        3, t->county, t->township, now);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 4, t->year);
    sqlq_bind_int(st, 5, t->consultations);
    sqlq_bind_int(st, 6, t->staff);
    return sql_run_once(st);
}

oerr_t store_target_delete(struct store *s, int year, const char *county, const char *township,
                           char source[8])
{
    source[0] = '\0';
    struct sqlq *st = sql_prep(s, "DELETE FROM county_targets WHERE year = ?3 AND county = ?1"
                                   " AND township = ?2 RETURNING source", 2, county, township);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 3, year);
    int r = sqlq_step(st);
    bool found = r == SQLDB_ROW;
    if (found) {
        column_copy(st, 0, source, 8);
        r = sqlq_step(st); /* the statement ends: the row is gone */
    }
    sqlq_finalize(st);
    return r != SQLDB_DONE ? OERR_DB : found ? OERR_OK : OERR_NOTFOUND;
}

oerr_t store_place_known(struct store *s, const char *county, const char *township, bool *known)
{
    *known = false;
    struct sqlq *st = sql_prep(
        s, "SELECT EXISTS (SELECT 1 FROM villages WHERE county = ?1"
           "  AND (CAST(?2 AS TEXT) IS NULL OR township = ?2))"
           " OR EXISTS (SELECT 1 FROM trips WHERE county = ?1 AND (CAST(?2 AS TEXT) IS NULL OR township = ?2))",
        2, county, township);
    if (!st)
        return OERR_DB;
    int r = sqlq_step(st);
    if (r == SQLDB_ROW)
        *known = (int)sqlq_int(st, 0) != 0;
    sqlq_finalize(st);
    return r == SQLDB_ROW ? OERR_OK : OERR_DB;
}

oerr_t store_county_target(struct store *s, int year, const char *county,
                           long long *consultations, long long *staff)
{
    /* The county's own row first (township ''), else the townships' sum. */
    struct sqlq *st = sql_prep(
        s, "SELECT COALESCE(MAX(CASE WHEN township = '' THEN consultations END),"
           " SUM(consultations)), COALESCE(MAX(CASE WHEN township = '' THEN staff END),"
           " SUM(staff)), COUNT(*) FROM county_targets WHERE year = ?2 AND county = ?1",
        1, county);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 2, year);
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
    struct sqlq *st = sql_prep(s, "SELECT year, county, township, consultations, staff,"
                                   " source, updated_at FROM county_targets"
                                   " WHERE ?1 = 0 OR year = ?1 ORDER BY year, county, township",
                                0);
    if (!st)
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
    struct sqlq *st = sql_prep(
        s, "INSERT INTO villages (code, name, township, county, county_name, poor,"
           " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?6)"
           " ON CONFLICT (code) DO UPDATE SET name = ?2, township = ?3, county = ?4,"
           " county_name = ?5, poor = ?7, updated_at = ?6",
        6, v->code, v->name, v->township, v->county, v->county_name, now);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 7, v->poor);
    if (sql_run_once(st))
        return OERR_DB;
    st = sql_prep(s, "UPDATE trips SET poor_village = ?2 WHERE poor_village <> ?2 AND trip_id IN"
                     " (SELECT trip_id FROM trip_villages WHERE village = ?1)", 1, v->code);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 2, v->poor);
    return sql_run_once(st);
}

oerr_t store_village_trip_elsewhere(struct store *s, const struct village_row *v,
                                    struct trip_detail *t)
{
    memset(t, 0, sizeof *t);
    struct sqlq *st = sql_prep(
        s, "SELECT t.trip_id, t.county, COALESCE(t.township, '') FROM trip_villages tv"
           " JOIN trips t ON t.trip_id = tv.trip_id WHERE tv.village = ?1"
           " AND (t.county <> ?2 OR COALESCE(t.township, '') NOT IN ('', ?3))"
           " ORDER BY t.trip_id LIMIT 1",
        3, v->code, v->county, v->township);
    int r = sql_row_texts(st, 3, t->trip_id, sizeof t->trip_id, t->county, sizeof t->county,
                          t->township, sizeof t->township);
    return r == SQLDB_ROW || r == SQLDB_DONE ? OERR_OK : OERR_DB;
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

/* The first row of st (a village from column 0) in out; finalizes st. */
static oerr_t village_one(struct sqlq *st, struct village_row *out)
{
    if (!st)
        return OERR_DB;
    int r = sqlq_step(st);
    if (r == SQLDB_ROW)
        village_read(st, 0, out);
    sqlq_finalize(st);
    return r == SQLDB_ROW ? OERR_OK : r == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_village_get(struct store *s, const char *code, struct village_row *out)
{
    return village_one(sql_prep(s, "SELECT code, name, township, county, county_name, poor"
                                   " FROM villages WHERE code = ?1", 1, code), out);
}

oerr_t store_county_village(struct store *s, const char *county, const char *not_code,
                            struct village_row *out)
{
    return village_one(sql_prep(s, "SELECT code, name, township, county, county_name, poor"
                                   " FROM villages WHERE county = ?1 AND (CAST(?2 AS TEXT) IS NULL OR"
                                   " code <> ?2) ORDER BY code LIMIT 1", 2, county, not_code),
                       out);
}

long long store_villages_count(struct store *s, bool poor_only)
{
    struct sqlq *st = sql_prep(s, "SELECT COUNT(*) FROM villages WHERE ?1 = 0 OR poor <> 0", 0);
    if (!st)
        return -1;
    sqlq_bind_int(st, 1, poor_only);
    long long n = sqlq_step(st) == SQLDB_ROW ? sqlq_int(st, 0) : -1;
    sqlq_finalize(st);
    return n;
}

oerr_t store_trip_village_set(struct store *s, const char *trip_id, const char *village)
{
    return sql_run_once(village ? sql_prep(s, "INSERT INTO trip_villages (trip_id, village)"
                                              " VALUES (?1, ?2) ON CONFLICT (trip_id)"
                                              " DO UPDATE SET village = excluded.village",
                                           2, trip_id, village)
                                : sql_prep(s, "DELETE FROM trip_villages WHERE trip_id = ?1",
                                           1, trip_id));
}

oerr_t store_trip_village(struct store *s, const char *trip_id, char village[ID_MAX + 1])
{
    village[0] = '\0';
    struct sqlq *st = sql_prep(s, "SELECT village FROM trip_villages WHERE trip_id = ?1", 1,
                                trip_id);
    if (!st)
        return OERR_DB;
    int r = sqlq_step(st);
    if (r == SQLDB_ROW)
        column_copy(st, 0, village, ID_MAX + 1);
    sqlq_finalize(st);
    return r == SQLDB_ROW || r == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_coverage_each(struct store *s, int year,
                           int (*fn)(void *, const struct coverage_row *), void *ctx)
{
    struct sqlq *st = sql_prep(
        s, "SELECT v.code, v.name, v.township, v.county, v.county_name, v.poor,"
           " t.trip_id, t.status, t.date, COALESCE(tt.consultations, 0)"
           " FROM villages v"
           " LEFT JOIN trip_villages tv ON tv.village = v.code"
           "  AND tv.trip_id IN (SELECT trip_id FROM trips WHERE year = ?1)"
           " LEFT JOIN trips t ON t.trip_id = tv.trip_id"
           " LEFT JOIN trip_totals tt ON tt.trip_id = t.trip_id"
           " WHERE v.poor <> 0 ORDER BY v.county, v.township, v.code, t.trip_id",
        0);
    if (!st)
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
