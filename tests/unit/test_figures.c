/* test_figures.c -- the figures progress is made of (store_totals,
 * store_weekly), kept incrementally by store_report_count, against the same
 * figures rebuilt from the reports (store_totals_rebuild, and store_open when
 * they are missing) and against the direct SQL over the reports that computed
 * them before they were kept: random reports, voids, reports stored already
 * voided, and trips that move to another date, county or year.
 *
 * The direct SQL reads the store's database through a connection of its own
 * (sqldb.h), in the SQL SQLite and PostgreSQL share, so that every case runs
 * on both (unit_figures_pg: tests/unit/with_pg.sh); what changes a SQLite
 * file into an older layout runs on SQLite only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "unit_store.h"

#include "report.h"
#include "store.h"

#define NOW UNIT_STORE_NOW

/* ---- the figures as they were computed before they were kept ------------- */

/* (A parameter only tested for NULL is CAST: PostgreSQL must know its type.) */
#define TRIPS_SEL                                                               \
    "SELECT trip_id FROM trips WHERE (CAST(?3 AS TEXT) IS NOT NULL AND trip_id = ?3)" \
    " OR (CAST(?3 AS TEXT) IS NULL AND year = ?1"                               \
    " AND (CAST(?2 AS TEXT) IS NULL OR county = ?2))"

/* The test's own connection to the database of the store f holds (a SQLite
 * file, or the PostgreSQL database of the run), beside the store's. */
static struct sqldb *direct_open(const struct filestore *f)
{
    struct sqldb *db;
    if (unit_store_pg()) {
        char err[256] = "";
        if (!(db = sqldb_open_pg(f->path, err)))
            fail_msg("%s", err);
        return db;
    }
    db = sqldb_open_sqlite(f->path, SQLITE_OPEN_READWRITE);
    assert_non_null(db);
    if (sqldb_fail(db) != SQLDB_FAIL_NONE)
        fail_msg("open %s: %s", f->path, sqldb_errmsg(db));
    return db;
}

static struct sqlq *direct_prepare(struct sqldb *db, const char *sql)
{
    struct sqlq *st = sqldb_prepare(db, sql, false);
    if (!st)
        fail_msg("prepare %s: %s", sql, sqldb_errmsg(db));
    return st;
}

/* One integer from sql bound with the filter (?1 year, ?2 county, ?3 trip);
 * a NULL county or trip is not bound. */
static long long direct_one(struct sqldb *db, const char *sql, int year, const char *county,
                            const char *trip)
{
    struct sqlq *st = direct_prepare(db, sql);
    sqlq_bind_int(st, 1, year);
    if (county)
        sqlq_bind_text(st, 2, county);
    if (trip)
        sqlq_bind_text(st, 3, trip);
    if (sqlq_step(st) != SQLDB_ROW)
        fail_msg("%s: %s", sql, sqldb_errmsg(db));
    long long v = sqlq_int(st, 0);
    sqlq_finalize(st);
    return v;
}

/* Staff, consultations and check-ins straight from the reports. */
static void direct_totals(struct sqldb *db, int year, const char *county, const char *trip,
                          long long out[3])
{
    out[0] = direct_one(db,
                        "SELECT COUNT(DISTINCT staff_id) FROM reports"
                        " WHERE kind = 'checkin' AND voided_by IS NULL AND role <> 'support'"
                        " AND trip_id IN (" TRIPS_SEL ")",
                        year, county, trip);
    out[1] = direct_one(db,
                        "SELECT COALESCE(SUM(consultations), 0) FROM reports"
                        " WHERE kind = 'headcount' AND voided_by IS NULL"
                        " AND trip_id IN (" TRIPS_SEL ")",
                        year, county, trip);
    out[2] = direct_one(db,
                        "SELECT COUNT(*) FROM reports WHERE kind = 'checkin'"
                        " AND voided_by IS NULL AND trip_id IN (" TRIPS_SEL ")",
                        year, county, trip);
}

/* The weekly series straight from the reports (the staff query is the one
 * store_weekly ran before trip_staff). */
/* A trip's attendance as the reports give it (what store_trip_attendance
 * read before trip_people kept it): confirmed who came, confirmed who did
 * not, people checked in who were not confirmed (support included). */
#define DIRECT_CAME                                                                       \
    "EXISTS (SELECT 1 FROM reports c WHERE c.kind = 'checkin' AND c.voided_by IS NULL"   \
    " AND c.trip_id = r.trip_id AND c.staff_id = r.volunteer_id)"
static void direct_attendance(struct sqldb *db, const char *trip, long long out[3])
{
    static const char *const sql[3] = {
        "SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?3 AND r.state = 'confirmed'"
        " AND " DIRECT_CAME,
        "SELECT COUNT(*) FROM registrations r WHERE r.trip_id = ?3 AND r.state = 'confirmed'"
        " AND NOT " DIRECT_CAME,
        "SELECT COUNT(DISTINCT c.staff_id) FROM reports c WHERE c.kind = 'checkin'"
        " AND c.voided_by IS NULL AND c.trip_id = ?3 AND c.staff_id NOT IN"
        " (SELECT volunteer_id FROM registrations WHERE trip_id = ?3 AND state = 'confirmed')",
    };
    for (int i = 0; i < 3; i++)
        out[i] = direct_one(db, sql[i], 0, NULL, trip);
}

/* The week: whole days since 1 January (exact in julianday's doubles: two
 * midnights), divided as integers (truncated on both engines, as SQLite's
 * CAST of the quotient was; PostgreSQL's CAST of a double rounds). */
#define DIRECT_WEEK "CAST(julianday(t.date) - julianday(?1) AS INTEGER) / 7"
static void direct_weekly(struct sqldb *db, int year, long long cons[STORE_WEEKS],
                          long long staff[STORE_WEEKS])
{
    static const char *const sql[2] = {
        "SELECT " DIRECT_WEEK " AS w,"
        " SUM(r.consultations) FROM reports r JOIN trips t ON t.trip_id = r.trip_id"
        " WHERE r.kind = 'headcount' AND r.voided_by IS NULL AND t.year = ?2 GROUP BY w",
        "SELECT w, COUNT(*) FROM (SELECT r.staff_id, MIN(" DIRECT_WEEK ") AS w"
        " FROM reports r JOIN trips t ON t.trip_id = r.trip_id"
        " WHERE r.kind = 'checkin' AND r.voided_by IS NULL AND r.role <> 'support'"
        " AND t.year = ?2 GROUP BY r.staff_id) AS firsts GROUP BY w",
    };
    long long *out[2] = {cons, staff};
    char jan1[11];
    snprintf(jan1, sizeof jan1, "%04d-01-01", year);
    for (int q = 0; q < 2; q++) {
        memset(out[q], 0, STORE_WEEKS * sizeof out[q][0]);
        struct sqlq *st = direct_prepare(db, sql[q]);
        sqlq_bind_text(st, 1, jan1);
        sqlq_bind_int(st, 2, year);
        int rc;
        while ((rc = sqlq_step(st)) == SQLDB_ROW) {
            long long w = sqlq_int(st, 0);
            if (w >= 0 && w < STORE_WEEKS)
                out[q][w] += sqlq_int(st, 1);
        }
        if (rc != SQLDB_DONE)
            fail_msg("%s: %s", sql[q], sqldb_errmsg(db));
        sqlq_finalize(st);
    }
}

/* ---- the store, trips and reports ------------------------------------------ */

#define NTRIPS 10
#define NCOUNTIES 3
#define NSTAFF 24
#define NREPORTS 1500
#define YEAR_FIRST 2025
#define YEAR_LAST 2027

static const char *const trip_ids[NTRIPS] = {"f0", "f1", "f2", "f3", "f4",
                                             "f5", "f6", "f7", "f8", "f9"};
static const char *const counties[NCOUNTIES] = {"cili", "sangzhi", "yongding"};
/* Dates at the edges of years and weeks (2026-01-07 ends week 1, 2026-12-31
 * is week 53 alone). */
static const char *const dates[] = {"2025-12-31", "2026-01-01", "2026-01-07", "2026-01-08",
                                    "2026-03-15", "2026-06-30", "2026-12-30", "2026-12-31",
                                    "2027-01-01", "2027-02-10"};
#define NDATES (sizeof dates / sizeof dates[0])

struct fig_report {
    bool checkin, counted;
};

/* Keeps one report recorded at `at`; counted unless voided_by names a void
 * that came first. */
static void keep_at(struct store *s, int n, const char *trip, const char *at, const char *kind,
                    const char *fields, const char *voided_by)
{
    char buf[1024];
    struct report r;
    unit_report(&r, buf, sizeof buf, "team-07", mid(n), trip, at, kind, fields);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_report_insert(s, &r, NOW, voided_by), OERR_OK);
    if (!voided_by)
        assert_int_equal(store_report_count(s, mid(n), 1), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
}

static void keep(struct store *s, int n, const char *trip, const char *kind,
                 const char *fields, const char *voided_by)
{
    keep_at(s, n, trip, "2026-11-22T09:31:05+08:00", kind, fields, voided_by);
}

/* Takes report target out of the figures and marks it voided by void n. */
static void void_report(struct store *s, int n, const char *trip, int target)
{
    char f[160];
    snprintf(f, sizeof f, "\"voids\":\"%s\",\"reason\":\"entered twice\"", mid(target));
    keep(s, n, trip, "void", f, NULL);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_report_count(s, mid(target), -1), OERR_OK);
    assert_int_equal(store_report_void(s, mid(target), mid(n)), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

/* store_totals and store_weekly against the direct SQL for every year,
 * county and trip. */
static void expect_direct(struct store *s, struct sqldb *db, const char *when)
{
    for (int y = YEAR_FIRST; y <= YEAR_LAST; y++) {
        for (int c = -1; c < NCOUNTIES; c++) {
            const char *county = c < 0 ? NULL : counties[c];
            long long want[3];
            direct_totals(db, y, county, NULL, want);
            struct totals t = totals_of(s, y, county, NULL);
            if (t.staff != want[0] || t.consultations != want[1] || t.checkins != want[2])
                fail_msg("%s: %d %s: staff %lld consultations %lld checkins %lld, want "
                         "%lld %lld %lld", when, y, county ? county : "(all)", t.staff,
                         t.consultations, t.checkins, want[0], want[1], want[2]);
        }
        long long cons[STORE_WEEKS], staff[STORE_WEEKS], wc[STORE_WEEKS], ws[STORE_WEEKS];
        assert_int_equal(store_weekly(s, y, cons, staff), OERR_OK);
        direct_weekly(db, y, wc, ws);
        for (int w = 0; w < STORE_WEEKS; w++)
            if (cons[w] != wc[w] || staff[w] != ws[w])
                fail_msg("%s: %d week %d: consultations %lld staff %lld, want %lld %lld",
                         when, y, w + 1, cons[w], staff[w], wc[w], ws[w]);
    }
    for (int i = 0; i < NTRIPS; i++) {
        long long want[3], wa[3];
        direct_attendance(db, trip_ids[i], wa);
        struct attendance a;
        assert_int_equal(store_trip_attendance(s, trip_ids[i], &a), OERR_OK);
        if (a.came != wa[0] || a.absent != wa[1] || a.unregistered != wa[2])
            fail_msg("%s: trip %s: came %lld absent %lld unregistered %lld, want %lld %lld "
                     "%lld", when, trip_ids[i], a.came, a.absent, a.unregistered, wa[0], wa[1],
                     wa[2]);
        direct_totals(db, 0, NULL, trip_ids[i], want);
        struct totals t = totals_of(s, 0, NULL, trip_ids[i]);
        if (t.staff != want[0] || t.consultations != want[1] || t.checkins != want[2])
            fail_msg("%s: trip %s: staff %lld consultations %lld checkins %lld, want %lld "
                     "%lld %lld", when, trip_ids[i], t.staff, t.consultations, t.checkins,
                     want[0], want[1], want[2]);
    }
}

/* The rows of the staff figures (trip_staff, year_staff, county_staff) as
 * text, in key order. */
static char *staff_rows(struct sqldb *db)
{
    static const char *const sql[] = {
        "SELECT 'trip', trip_id, staff_id, n FROM trip_staff ORDER BY trip_id, staff_id",
        "SELECT 'year', year, staff_id, trips || ' week ' || week FROM year_staff"
        " ORDER BY year, staff_id",
        "SELECT 'county', year || ' ' || county, staff_id, trips FROM county_staff"
        " ORDER BY year, county, staff_id",
        "SELECT 'people', trip_id, staff_id, n FROM trip_people ORDER BY trip_id, staff_id",
        "SELECT 'trip people', trip_id, '', people FROM trip_totals ORDER BY trip_id",
    };
    size_t cap = 1 << 18, len = 0;
    char *text = calloc(1, cap);
    assert_non_null(text);
    for (size_t q = 0; q < sizeof sql / sizeof sql[0]; q++) {
        struct sqlq *st = direct_prepare(db, sql[q]);
        int rc;
        while ((rc = sqlq_step(st)) == SQLDB_ROW) {
            int n = snprintf(text + len, cap - len, "%s %s %s %s\n", sqlq_text(st, 0),
                             sqlq_text(st, 1), sqlq_text(st, 2), sqlq_text(st, 3));
            assert_true(n > 0 && (size_t)n < cap - len);
            len += (size_t)n;
        }
        if (rc != SQLDB_DONE)
            fail_msg("%s: %s", sql[q], sqldb_errmsg(db));
        sqlq_finalize(st);
    }
    return text;
}

static void exec_ok(struct sqldb *db, const char *sql)
{
    if (sqldb_exec(db, sql))
        fail_msg("%s: %s", sql, sqldb_errmsg(db));
}

/* When wipe is not NULL: closes the store, runs wipe on the file and opens
 * it again. Then the staff figures must read as before, and store_totals and
 * store_weekly as the direct SQL. */
static void expect_same(struct filestore *f, struct sqldb *db, const char *before,
                        const char *wipe, const char *when)
{
    if (wipe) {
        store_close(f->s);
        f->s = NULL;
        exec_ok(db, wipe);
        filestore_reopen(f);
    }
    char *after = staff_rows(db);
    if (strcmp(before, after) != 0)
        fail_msg("%s: the staff figures are\n%s\nwant\n%s", when, after, before);
    free(after);
    expect_direct(f->s, db, when);
}

/* trip_totals' columns before trip_people (all INTEGER NOT NULL DEFAULT 0
 * there; plain columns do here: the coordinator only adds to them). */
#define OLD_TOTALS_COLS                                                                  \
    "consultations, headcounts, female, over_60, poor_households, value_fen, dispenses," \
    " referrals, dest_township, dest_county, dest_city, brochures, attendees, talks,"     \
    " education_reports, checkins"

/* SQLite's file only: a store that lacks its figures (one from before they
 * were kept, or wiped), one of the layout before staff_checkins, one an
 * older coordinator changed: each gets its figures back on open, row for
 * row as before (the staff figures, before). */
static void figures_of_older_stores(struct filestore *f, struct sqldb *db, const char *before)
{
    expect_same(f, db, before,
                "DROP TABLE trip_staff; DROP TABLE year_staff; DROP TABLE county_staff;"
                " DELETE FROM meta WHERE key = 'staff_figures'",
                "after reopening without the staff figures");
    expect_same(f, db, before,
                "DELETE FROM trip_staff; DELETE FROM year_staff; DELETE FROM trip_totals;"
                " DELETE FROM meta WHERE key IN ('staff_figures', 'trip_totals')",
                "after reopening without any figures");
    expect_same(f, db, before,
                "DROP TABLE trip_people; UPDATE trip_totals SET people = 0;"
                " DELETE FROM meta WHERE key = 'trip_people'",
                "after reopening without the attendance");
    expect_same(f, db, before,
                "CREATE TABLE t AS SELECT * FROM trip_totals; DROP TABLE trip_totals;"
                " CREATE TABLE trip_totals (trip_id TEXT PRIMARY KEY, " OLD_TOTALS_COLS
                ") WITHOUT ROWID; INSERT INTO trip_totals SELECT trip_id, " OLD_TOTALS_COLS
                " FROM t; DROP TABLE t; DROP TABLE trip_people;"
                " DELETE FROM meta WHERE key = 'trip_people'",
                "after reopening a store from before trip_people");

    /* a store of the layout before staff_checkins: the column comes with the
     * open, and the staff figures are rebuilt (its check-ins are not counted
     * in it yet) */
    expect_same(f, db, before,
                "ALTER TABLE trip_totals DROP COLUMN staff_checkins; DELETE FROM year_staff",
                "after reopening a store without staff_checkins");
    /* a coordinator older than the staff figures voided a counted check-in
     * (the report and trip_totals, not trip_staff): found and rebuilt on open */
    store_close(f->s);
    f->s = NULL;
    exec_ok(db, "UPDATE trip_totals SET checkins = checkins - 1 WHERE trip_id ="
                " (SELECT trip_id FROM reports WHERE kind = 'checkin' AND voided_by IS NULL"
                " AND role <> 'support' ORDER BY msg_id LIMIT 1);"
                "UPDATE reports SET voided_by = 'older' WHERE msg_id ="
                " (SELECT msg_id FROM reports WHERE kind = 'checkin' AND voided_by IS NULL"
                " AND role <> 'support' ORDER BY msg_id LIMIT 1)");
    filestore_reopen(f);
    expect_direct(f->s, db, "after reopening a store an older coordinator wrote");
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM trip_totals"
                                    " WHERE staff_checkins <> checkins", 0, NULL, NULL), 0);
}

/* Random check-ins (a staff member on several trips, under several roles,
 * support among them), headcounts, voids of random counted reports, reports
 * stored already voided, and trips moved to another date, county or year:
 * after every 100 steps the kept figures equal the direct SQL's; at the end
 * the rebuild leaves the staff figures exactly as they were, and a store
 * whose figures are missing gets them back on open. */
static void test_figures_random(void **state)
{
    struct filestore *f = *state;
    unsigned seed = 20261201u;
    for (int i = 0; i < NTRIPS; i++)
        add_trip(f->s, trip_ids[i], dates[i % NDATES], counties[i % NCOUNTIES]);
    struct sqldb *db = direct_open(f);
    /* staff-00..11 registered; on each trip a third confirmed, a few
     * cancelled or wait-listed (who count as unregistered when they come) */
    for (int v = 0; v < NSTAFF / 2; v++) {
        char sql[512];
        snprintf(sql, sizeof sql, "INSERT INTO volunteers VALUES ('staff-%02d', 'V', '1', NULL,"
                 " 1, '" NOW "', '" NOW "')", v);
        exec_ok(db, sql);
        for (int i = 0; i < NTRIPS; i++) {
            static const char *const states[] = {"confirmed", "confirmed", "waitlisted",
                                                 "cancelled", "confirmed", NULL};
            const char *st = states[(v + i) % 6];
            if (!st)
                continue;
            snprintf(sql, sizeof sql, "INSERT INTO registrations (trip_id, volunteer_id, role,"
                     " state, created_at, updated_at) VALUES ('%s', 'staff-%02d', 'doctor',"
                     " '%s', '" NOW "', '" NOW "')", trip_ids[i], v, st);
            exec_ok(db, sql);
        }
    }
    static struct fig_report m[NREPORTS + 1];
    memset(m, 0, sizeof m);
    static const char *const roles[] = {"doctor", "nurse", "support"};
    int voids = 0, moves = 0, prevoided = 0;
    char when[64];
    for (int n = 1; n <= NREPORTS; n++) {
        const char *trip = trip_ids[rand_r(&seed) % NTRIPS];
        int pick = (int)(rand_r(&seed) % 100);
        char fields[256];
        if (pick < 20 && n > 1) {
            int target = 1 + (int)(rand_r(&seed) % (unsigned)(n - 1));
            if (m[target].counted) {
                void_report(f->s, n, trip, target);
                m[target].counted = false;
                voids++;
                continue;
            }
        }
        if (pick >= 20 && pick < 25) {
            int t = (int)(rand_r(&seed) % NTRIPS);
            add_trip(f->s, trip_ids[t], dates[rand_r(&seed) % NDATES],
                     counties[rand_r(&seed) % NCOUNTIES]);
            moves++;
        }
        bool voided = pick >= 25 && pick < 30;
        m[n].checkin = pick >= 30 && pick < 75;
        if (m[n].checkin)
            snprintf(fields, sizeof fields, "\"staff_id\":\"staff-%02u\",\"role\":\"%s\"",
                     rand_r(&seed) % NSTAFF, roles[rand_r(&seed) % 3]);
        else
            snprintf(fields, sizeof fields,
                     "\"department\":\"internal\",\"consultations\":%u",
                     1 + rand_r(&seed) % 30);
        keep(f->s, n, trip, m[n].checkin ? "checkin" : "headcount", fields,
             voided ? "00000000-0000-4000-8000-000000000000" : NULL);
        m[n].counted = !voided;
        prevoided += voided;
        if (n % 100 == 0) {
            snprintf(when, sizeof when, "after %d reports", n);
            expect_direct(f->s, db, when);
        }
    }
    /* every case happened */
    assert_true(voids > 100 && moves > 20 && prevoided > 20);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM trip_staff WHERE n <= 0", 0, NULL,
                                NULL),
                     0);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM trip_people WHERE n <= 0", 0, NULL,
                                NULL),
                     0);
    /* walk-ins, absentees and support people all occurred */
    assert_true(direct_one(db, "SELECT SUM(people) FROM trip_totals", 0, NULL, NULL) >
                direct_one(db, "SELECT COUNT(*) FROM trip_staff", 0, NULL, NULL));

    /* the rebuild from the reports agrees row for row; so do the figures a
     * SQLite store that lacks them (one from before they were kept, or wiped)
     * gets on open */
    char *before = staff_rows(db);
    assert_true(strlen(before) > 0);
    assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
    expect_same(f, db, before, NULL, "after store_totals_rebuild");
    if (!unit_store_pg())
        figures_of_older_stores(f, db, before);

    /* present figures are left alone on open: not rebuilt behind our back */
    store_close(f->s);
    f->s = NULL;
    exec_ok(db, "UPDATE trip_staff SET n = n + 1");
    filestore_reopen(f);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM trip_staff WHERE n < 2",
                                0, NULL, NULL),
                     0);
    free(before);
    sqldb_close(db);
}

/* A person whose only counted check-in is voided stops counting, on the trip,
 * in the county, in the year and in the week; one with two check-ins on the
 * trip goes on counting until both are voided; support never counts. */
static void test_figures_void_person(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "v1", "2026-01-08", "cili");   /* week 2 */
    add_trip(f->s, "v2", "2026-03-01", "sangzhi"); /* week 9 */
    keep(f->s, 1, "v1", "checkin", "\"staff_id\":\"dr-wang\",\"role\":\"doctor\"", NULL);
    keep(f->s, 2, "v1", "checkin", "\"staff_id\":\"dr-wang\",\"role\":\"doctor\"", NULL);
    keep(f->s, 3, "v2", "checkin", "\"staff_id\":\"dr-wang\",\"role\":\"doctor\"", NULL);
    keep(f->s, 4, "v1", "checkin", "\"staff_id\":\"driver\",\"role\":\"support\"", NULL);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).staff, 1);
    assert_int_equal(totals_of(f->s, 0, NULL, "v1").staff, 1);
    assert_int_equal(totals_of(f->s, 0, NULL, "v1").checkins, 3);
    long long cons[STORE_WEEKS], staff[STORE_WEEKS];
    assert_int_equal(store_weekly(f->s, 2026, cons, staff), OERR_OK);
    assert_int_equal(staff[1], 1);
    assert_int_equal(staff[8], 0);

    void_report(f->s, 5, "v1", 1);
    assert_int_equal(totals_of(f->s, 0, NULL, "v1").staff, 1);
    assert_int_equal(store_weekly(f->s, 2026, cons, staff), OERR_OK);
    assert_int_equal(staff[1], 1);

    void_report(f->s, 6, "v1", 2); /* dr-wang now first comes in week 9 */
    assert_int_equal(totals_of(f->s, 0, NULL, "v1").staff, 0);
    assert_int_equal(totals_of(f->s, 2026, "cili", NULL).staff, 0);
    assert_int_equal(totals_of(f->s, 2026, "sangzhi", NULL).staff, 1);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).staff, 1);
    assert_int_equal(store_weekly(f->s, 2026, cons, staff), OERR_OK);
    assert_int_equal(staff[1], 0);
    assert_int_equal(staff[8], 1);

    void_report(f->s, 7, "v2", 3);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).staff, 0);
    assert_int_equal(store_weekly(f->s, 2026, cons, staff), OERR_OK);
    assert_int_equal(staff[8], 0);
    /* nobody is left in trip_staff: no row with n = 0 stays behind */
    struct sqldb *db = direct_open(f);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM trip_staff", 0, NULL, NULL),
                     0);
    sqldb_close(db);
}


/* ---- months (issue 13) ---------------------------------------------------- */

/* The month figures of year (county NULL: all) straight from the reports:
 * the day by the engine's date() in the offset mod (e.g. '+480 minutes';
 * SQLite's own, PostgreSQL's the store's schema gives it; as written when it
 * cannot read the time), clamped to the report's trip's days [date,
 * end_date] (end_date, when there is one, is after date): out[0..11]. The
 * year and month are the day's first figures. */
static void direct_months(struct sqldb *db, int year, const char *county, const char *mod,
                          struct month_figures out[12])
{
#define DM_WRITTEN "COALESCE(date(r.recorded_at, ?3), substr(r.recorded_at, 1, 10))"
#define DM_LAST "COALESCE(NULLIF(t.end_date, ''), t.date)"
#define DM_DAY                                                                        \
    "CASE WHEN " DM_WRITTEN " < t.date THEN t.date WHEN " DM_WRITTEN " > " DM_LAST   \
    " THEN " DM_LAST " ELSE " DM_WRITTEN " END"
#define DM_LOCAL(F) "CAST(substr(" DM_DAY ", " F ") AS INTEGER)"
#define DM_YEAR DM_LOCAL("1, 4")
#define DM_MONTH DM_LOCAL("6, 2")
#define DM_N(C) "SUM(CASE WHEN " C " THEN 1 ELSE 0 END)"
#define DM_DEP(D) "SUM(CASE WHEN kind = 'headcount' AND department = '" D "' THEN consultations ELSE 0 END)"
    static const char *const sql[2] = {
        "SELECT " DM_MONTH ","
        " SUM(CASE WHEN kind = 'headcount' THEN consultations ELSE 0 END),"
        DM_DEP("internal") "," DM_DEP("surgery") "," DM_DEP("obgyn") "," DM_DEP("pediatrics") ","
        DM_DEP("ophthalmology") "," DM_DEP("tcm") "," DM_DEP("dental") "," DM_DEP("general") ","
        DM_DEP("other") ","
        " SUM(CASE WHEN kind = 'headcount' THEN COALESCE(female, 0) ELSE 0 END),"
        " SUM(CASE WHEN kind = 'headcount' THEN COALESCE(over_60, 0) ELSE 0 END),"
        " SUM(CASE WHEN kind = 'headcount' THEN COALESCE(poor_households, 0) ELSE 0 END),"
        " SUM(CASE WHEN kind = 'dispense' THEN value_fen ELSE 0 END), " DM_N("kind = 'dispense'") ","
        DM_N("kind = 'referral'") "," DM_N("destination = 'township_health_center'") ","
        DM_N("destination = 'county_hospital'") "," DM_N("destination = 'city_hospital'") ","
        DM_N("urgency = 'routine'") "," DM_N("urgency = 'urgent'") ","
        DM_N("urgency = 'emergency'") ","
        " SUM(CASE WHEN kind = 'education' THEN brochures ELSE 0 END),"
        " SUM(CASE WHEN kind = 'education' THEN attendees ELSE 0 END),"
        " SUM(CASE WHEN kind = 'education' THEN talks ELSE 0 END), " DM_N("kind = 'education'")
        " FROM reports r JOIN trips t ON t.trip_id = r.trip_id WHERE r.voided_by IS NULL"
        " AND kind <> 'void' AND " DM_YEAR " = ?1 AND (CAST(?2 AS TEXT) IS NULL OR t.county = ?2)"
        " GROUP BY 1",
        "SELECT " DM_MONTH ", COUNT(DISTINCT r.staff_id) FROM reports r"
        " JOIN trips t ON t.trip_id = r.trip_id WHERE r.voided_by IS NULL"
        " AND kind = 'checkin' AND role <> 'support' AND " DM_YEAR " = ?1"
        " AND (CAST(?2 AS TEXT) IS NULL OR t.county = ?2) GROUP BY 1",
    };
#undef DM_WRITTEN
#undef DM_LAST
#undef DM_DAY
#undef DM_LOCAL
#undef DM_YEAR
#undef DM_MONTH
#undef DM_N
#undef DM_DEP
    memset(out, 0, 12 * sizeof out[0]);
    for (int q = 0; q < 2; q++) {
        struct sqlq *st = direct_prepare(db, sql[q]);
        sqlq_bind_int(st, 1, year);
        if (county)
            sqlq_bind_text(st, 2, county);
        sqlq_bind_text(st, 3, mod);
        int rc;
        while ((rc = sqlq_step(st)) == SQLDB_ROW) {
            long long m = sqlq_int(st, 0);
            assert_true(m >= 1 && m <= 12);
            struct month_figures *f = &out[m - 1];
            if (q == 1) {
                f->staff = sqlq_int(st, 1);
                continue;
            }
            long long *v[] = {
                &f->consultations, &f->by_department[0], &f->by_department[1],
                &f->by_department[2], &f->by_department[3], &f->by_department[4],
                &f->by_department[5], &f->by_department[6], &f->by_department[7],
                &f->by_department[8], &f->female, &f->over_60, &f->poor_households,
                &f->value_fen, &f->dispenses, &f->referrals, &f->by_destination[0],
                &f->by_destination[1], &f->by_destination[2], &f->by_urgency[0],
                &f->by_urgency[1], &f->by_urgency[2], &f->brochures, &f->attendees,
                &f->talks, &f->education,
            };
            for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
                *v[i] = sqlq_int(st, (int)i + 1);
        }
        if (rc != SQLDB_DONE)
            fail_msg("%s: %s", sql[q], sqldb_errmsg(db));
        sqlq_finalize(st);
    }
}

/* A month's figures as text, to compare and to show. */
static void month_text(const struct month_figures *f, char *buf, size_t n)
{
    int k = snprintf(buf, n, "c %lld dep", f->consultations);
    for (int i = 0; i < STORE_DEPARTMENTS; i++)
        k += snprintf(buf + k, n - (size_t)k, " %lld", f->by_department[i]);
    snprintf(buf + k, n - (size_t)k,
             " f %lld o %lld p %lld staff %lld v %lld d %lld r %lld dest %lld %lld %lld"
             " urg %lld %lld %lld edu %lld %lld %lld %lld", f->female, f->over_60,
             f->poor_households, f->staff, f->value_fen, f->dispenses, f->referrals,
             f->by_destination[0], f->by_destination[1], f->by_destination[2],
             f->by_urgency[0], f->by_urgency[1], f->by_urgency[2], f->brochures, f->attendees,
             f->talks, f->education);
}

/* store_months against direct_months for every year and county. */
static void expect_months(struct store *s, struct sqldb *db, const char *mod, const char *when)
{
    for (int y = YEAR_FIRST; y <= YEAR_LAST; y++)
        for (int c = -1; c < NCOUNTIES; c++) {
            const char *county = c < 0 ? NULL : counties[c];
            struct month_figures got[12], want[12];
            oerr_t e = store_months(s, y, county, got);
            if (e)
                fail_msg("%s: store_months %d: %s (%s)", when, y, oerr_str(e), store_errmsg(s));
            direct_months(db, y, county, mod, want);
            for (int m = 0; m < 12; m++) {
                char g[512], w[512];
                month_text(&got[m], g, sizeof g);
                month_text(&want[m], w, sizeof w);
                if (strcmp(g, w) != 0)
                    fail_msg("%s: %04d-%02d %s:\n got %s\nwant %s", when, y, m + 1,
                             county ? county : "(all)", g, w);
            }
        }
}

/* month_staff's rows as text, in key order. */
static char *month_staff_rows(struct sqldb *db)
{
    size_t cap = 1 << 18, len = 0;
    char *text = calloc(1, cap);
    assert_non_null(text);
    struct sqlq *st = direct_prepare(db, "SELECT year, month, staff_id, county, n FROM"
                                         " month_staff ORDER BY 1, 2, 3, 4");
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        int n = snprintf(text + len, cap - len, "%lld-%lld %s %s %lld\n", sqlq_int(st, 0),
                         sqlq_int(st, 1), sqlq_text(st, 2), sqlq_text(st, 3),
                         sqlq_int(st, 4));
        assert_true(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    if (rc != SQLDB_DONE)
        fail_msg("month_staff: %s", sqldb_errmsg(db));
    sqlq_finalize(st);
    return text;
}

/* The store closed, sql run on its file, the store opened again: the month
 * figures equal the direct SQL and month_staff's rows are staff. */
static void reopen_after(struct filestore *f, struct sqldb *db, const char *sql, const char *staff,
                         const char *when)
{
    store_close(f->s);
    f->s = NULL;
    exec_ok(db, sql);
    filestore_reopen(f);
    expect_months(f->s, db, "+480 minutes", when);
    char *rows = month_staff_rows(db);
    assert_string_equal(staff, rows);
    free(rows);
}

/* Times at the edges of months and years in +08:00, and in other offsets. */
static const char *const month_times[] = {
    "2026-01-31T23:30:00+08:00", /* January */
    "2026-01-31T16:00:00Z",      /* 1 February +08:00 */
    "2026-01-31T15:59:59.999Z",  /* January */
    "2025-12-31T16:00:00Z",      /* 1 January 2026 */
    "2025-12-31T23:59:59+08:00", /* December 2025 */
    "2026-12-31T16:00:00Z",      /* 1 January 2027 */
    "2026-02-28T20:00:00-05:00", /* 1 March 09:00 +08:00 */
    "2026-03-01T00:00:00+08:00", /* March */
    "2026-06-30T23:59:59+08:00", /* June */
    "2026-06-30T12:00:00-04:00", /* 1 July 00:00 +08:00 */
    "2026-11-22T09:31:05+08:00",
    "2027-02-10T10:00:00.5+08:00",
    "2026-04-01T05:00:00+14:00", /* 31 March 23:00 +08:00 */
    "2026-03-31T23:50:00+14:30", /* March */
};
#define NTIMES (sizeof month_times / sizeof month_times[0])

/* SQLite's file only: a store without the month figures, one of their first
 * layout, one an older coordinator added a headcount to: each gets them
 * (month_staff's rows as before) on open. */
static void months_of_older_stores(struct filestore *f, struct sqldb *db, const char *before)
{
    /* a store without the month figures gets them on open */
    reopen_after(f, db, "DROP TABLE month_days; DROP TABLE month_staff;"
                        " DELETE FROM meta WHERE key = 'month_days'",
                 before, "after reopening without the month figures");
    /* a store of the first layout (month_totals, by the unclamped month):
     * the table goes, the figures are made again */
    reopen_after(f, db, "CREATE TABLE month_totals (year INTEGER, month INTEGER, trip_id TEXT);"
                        "DELETE FROM month_days; UPDATE month_staff SET n = n + 1;"
                        "DELETE FROM meta WHERE key = 'month_days';"
                        "INSERT INTO meta (key, value) VALUES ('month_figures', '1')",
                 before, "after reopening a store of the first layout");
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM sqlite_master WHERE name ="
                                    " 'month_totals'", 0, NULL, NULL), 0);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM meta WHERE key = 'month_figures'", 0,
                                NULL, NULL), 0);

    /* a headcount an older coordinator stored (reports and trip_totals, not
     * the months): found and rebuilt on open */
    store_close(f->s);
    f->s = NULL;
    exec_ok(db, "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id, recorded_at,"
                " received_at, department, consultations)"
                " VALUES ('99999999-0000-4000-8000-000000000001', 'team-07', 99999, 'headcount',"
                " 'f1', '2026-04-30T23:00:00+08:00', '" NOW "', 'tcm', 17);"
                "UPDATE trip_totals SET consultations = consultations + 17,"
                " headcounts = headcounts + 1 WHERE trip_id = 'f1'");
    filestore_reopen(f);
    expect_months(f->s, db, "+480 minutes", "after reopening a store an older coordinator wrote");
}

/* Random reports of every kind at the month_times, voids, reports stored
 * already voided and trips moved to another county: after every 100 steps
 * store_months equals the direct SQL, in every year and county; then the
 * rebuild, a store without the month figures (or one an older coordinator
 * added reports to) and another offset give the direct SQL's too. */
static void test_figures_months_random(void **state)
{
    struct filestore *f = *state;
    unsigned seed = 20261301u;
    for (int i = 0; i < NTRIPS; i++)
        add_trip_days(f->s, trip_ids[i], dates[i % NDATES], dates[(i * 3) % NDATES],
                      counties[i % NCOUNTIES]);
    struct sqldb *db = direct_open(f);
    static bool counted[NREPORTS + 1];
    memset(counted, 0, sizeof counted);
    static const char *const roles[] = {"doctor", "nurse", "support"};
    int voids = 0, moves = 0, prevoided = 0;
    unsigned years_seen = 0;
    char when[64];
    for (int n = 1; n <= NREPORTS; n++) {
        const char *trip = trip_ids[rand_r(&seed) % NTRIPS];
        const char *at = month_times[rand_r(&seed) % NTIMES];
        int pick = (int)(rand_r(&seed) % 100);
        if (pick < 15 && n > 1) {
            int target = 1 + (int)(rand_r(&seed) % (unsigned)(n - 1));
            if (counted[target]) {
                void_report(f->s, n, trip, target);
                counted[target] = false;
                voids++;
                continue;
            }
        }
        if (pick >= 15 && pick < 20) {
            int t = (int)(rand_r(&seed) % NTRIPS);
            unsigned d = rand_r(&seed) % NDATES;
            add_trip_days(f->s, trip_ids[t], dates[d], dates[rand_r(&seed) % NDATES],
                          counties[rand_r(&seed) % NCOUNTIES]);
            moves++;
        }
        bool voided = pick >= 20 && pick < 25;
        char fields[256];
        const char *kind;
        unsigned k = rand_r(&seed) % 5;
        if (k == 0) {
            kind = "checkin";
            snprintf(fields, sizeof fields, "\"staff_id\":\"staff-%02u\",\"role\":\"%s\"",
                     rand_r(&seed) % NSTAFF, roles[rand_r(&seed) % 3]);
        } else if (k == 1) {
            unsigned c = 1 + rand_r(&seed) % 30;
            kind = "headcount";
            snprintf(fields, sizeof fields,
                     "\"department\":\"%s\",\"consultations\":%u,\"female\":%u,"
                     "\"over_60\":%u,\"poor_households\":%u",
                     department_names[rand_r(&seed) % STORE_DEPARTMENTS], c,
                     rand_r(&seed) % (c + 1), rand_r(&seed) % (c + 1), rand_r(&seed) % (c + 1));
        } else if (k == 2) {
            kind = "dispense";
            snprintf(fields, sizeof fields, "\"medicine\":\"m\",\"quantity\":1,\"unit\":\"box\","
                     "\"value_fen\":%u", rand_r(&seed) % 5000);
        } else if (k == 3) {
            kind = "referral";
            snprintf(fields, sizeof fields, "\"destination\":\"%s\",\"condition\":\"c\","
                     "\"urgency\":\"%s\",\"patient_ref\":\"p-%d\"",
                     destination_names[rand_r(&seed) % DEST_COUNT],
                     urgency_names[rand_r(&seed) % STORE_URGENCIES], n);
        } else {
            kind = "education";
            snprintf(fields, sizeof fields, "\"brochures\":%u,\"attendees\":%u,\"talks\":1,"
                     "\"topic\":\"t\"", rand_r(&seed) % 100, rand_r(&seed) % 60);
        }
        keep_at(f->s, n, trip, at, kind, fields,
                voided ? "00000000-0000-4000-8000-000000000000" : NULL);
        counted[n] = !voided;
        prevoided += voided;
        if (n % 100 == 0) {
            snprintf(when, sizeof when, "after %d reports", n);
            expect_months(f->s, db, "+480 minutes", when);
            for (int y = YEAR_FIRST; y <= YEAR_LAST; y++) {
                struct month_figures m[12];
                assert_int_equal(store_months(f->s, y, NULL, m), OERR_OK);
                for (int i = 0; i < 12; i++)
                    if (m[i].consultations + m[i].dispenses + m[i].education + m[i].staff)
                        years_seen |= 1u << (y - YEAR_FIRST);
            }
        }
    }
    assert_true(voids > 100 && moves > 20 && prevoided > 20);
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM month_staff WHERE n <= 0", 0, NULL,
                                NULL),
                     0);
    /* every year of the test had figures at some point */
    assert_int_equal(years_seen, (1u << (YEAR_LAST - YEAR_FIRST + 1)) - 1);

    char *before = month_staff_rows(db);
    assert_true(strlen(before) > 0);
    assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
    expect_months(f->s, db, "+480 minutes", "after store_totals_rebuild");
    char *after = month_staff_rows(db);
    assert_string_equal(before, after);
    free(after);

    if (!unit_store_pg())
        months_of_older_stores(f, db, before);

    /* another offset: every report placed again */
    assert_int_equal(store_month_offset(f->s, 0), OERR_OK);
    expect_months(f->s, db, "+0 minutes", "at UTC");
    assert_int_equal(store_month_offset(f->s, -300), OERR_OK);
    expect_months(f->s, db, "-300 minutes", "at -05:00");
    assert_int_equal(store_month_offset(f->s, 480), OERR_OK);
    expect_months(f->s, db, "+480 minutes", "back at +08:00");
    after = month_staff_rows(db);
    assert_string_equal(before, after);
    free(after);
    free(before);
    sqldb_close(db);
}

/* The month of a report is its local day (+08:00) clamped to its trip's
 * days, with exact figures: 23:30 on 31 January +08:00 is January for a
 * trip that day, and so is 00:00 on 1 February (typed in after the trip);
 * a report typed in before its trip counts on the first day, one typed in
 * a year later on the last; a trip past New Year splits its reports by
 * their days; a void takes a report out of its month; a trip whose days or
 * county change takes its months (and their staff) along. After each step
 * the direct SQL agrees, and the rebuild keeps month_staff as it was. */
static void test_figures_month_edges(void **state)
{
    struct filestore *f = *state;
    add_trip_days(f->s, "e1", "2026-01-31", NULL, "cili");
    add_trip_days(f->s, "e2", "2026-11-28", "2026-11-30", "sangzhi");
    add_trip_days(f->s, "e3", "2025-12-31", "2026-01-01", "yongding");
    keep_at(f->s, 1, "e1", "2026-01-31T23:30:00+08:00", "headcount",
            "\"department\":\"internal\",\"consultations\":10,\"female\":4,\"over_60\":3,"
            "\"poor_households\":2", NULL);
    keep_at(f->s, 2, "e1", "2026-01-31T16:00:00Z", "headcount", /* 1 February +08:00 */
            "\"department\":\"surgery\",\"consultations\":5", NULL);
    keep_at(f->s, 3, "e1", "2026-01-31T15:59:59Z", "checkin",
            "\"staff_id\":\"dr-wang\",\"role\":\"doctor\"", NULL);
    keep_at(f->s, 4, "e2", "2026-12-01T09:00:00+08:00", "headcount", /* typed in after */
            "\"department\":\"tcm\",\"consultations\":7", NULL);
    keep_at(f->s, 5, "e2", "2026-11-20T09:00:00+08:00", "checkin", /* before */
            "\"staff_id\":\"dr-wang\",\"role\":\"doctor\"", NULL);
    keep_at(f->s, 6, "e2", "2028-01-05T10:00:00+08:00", "dispense", /* over a year after */
            "\"medicine\":\"m\",\"quantity\":2,\"unit\":\"box\",\"value_fen\":1234", NULL);
    keep_at(f->s, 7, "e2", "2026-11-29T23:30:00-05:00", "referral", /* 30 November */
            "\"destination\":\"county_hospital\",\"condition\":\"c\",\"urgency\":\"urgent\","
            "\"patient_ref\":\"p-1\"", NULL);
    /* an offset beyond 14 hours (valid here, unread by SQLite): as written */
    keep_at(f->s, 8, "e2", "2026-05-31T23:30:00+15:00", "headcount",
            "\"department\":\"pediatrics\",\"consultations\":2", NULL);
    keep_at(f->s, 9, "e3", "2025-12-31T20:00:00+08:00", "education",
            "\"brochures\":50,\"attendees\":30,\"talks\":1,\"topic\":\"t\"", NULL);
    keep_at(f->s, 10, "e3", "2026-01-01T10:00:00+08:00", "headcount",
            "\"department\":\"obgyn\",\"consultations\":3", NULL);
    keep_at(f->s, 11, "e3", "2026-01-05T10:00:00+08:00", "checkin", /* 1 January */
            "\"staff_id\":\"nurse-li\",\"role\":\"nurse\"", NULL);
    keep_at(f->s, 12, "e3", "2025-12-31T10:00:00+08:00", "checkin",
            "\"staff_id\":\"driver\",\"role\":\"support\"", NULL);
    struct sqldb *db = direct_open(f);
    expect_months(f->s, db, "+480 minutes", "edges");

    /* m(Y, C, M): month M of year Y in county C (NULL: all) as text */
    char t[512];
#define M(Y, C, MO)                                                                   \
    do {                                                                              \
        struct month_figures m_[12];                                                  \
        assert_int_equal(store_months(f->s, Y, C, m_), OERR_OK);                      \
        month_text(&m_[(MO) - 1], t, sizeof t);                                       \
    } while (0)
/* all of e2's reports; e3's of 2026; e1's left after the void */
#define E2_ALL                                                                        \
    "c 9 dep 0 0 0 2 0 7 0 0 0 f 0 o 0 p 0 staff 1 v 1234 d 1 r 1 dest 0 1 0 urg 0 1 0" \
    " edu 0 0 0 0"
#define E3_2026                                                                       \
    "c 3 dep 0 0 3 0 0 0 0 0 0 f 0 o 0 p 0 staff 1 v 0 d 0 r 0 dest 0 0 0 urg 0 0 0"   \
    " edu 0 0 0 0"
#define E1_LEFT                                                                       \
    "c 5 dep 0 5 0 0 0 0 0 0 0 f 0 o 0 p 0 staff 1 v 0 d 0 r 0 dest 0 0 0 urg 0 0 0"   \
    " edu 0 0 0 0"
#define ZERO                                                                          \
    "c 0 dep 0 0 0 0 0 0 0 0 0 f 0 o 0 p 0 staff 0 v 0 d 0 r 0 dest 0 0 0 urg 0 0 0"   \
    " edu 0 0 0 0"
    M(2026, NULL, 1);
    assert_string_equal(t, "c 18 dep 10 5 3 0 0 0 0 0 0 f 4 o 3 p 2 staff 2 v 0 d 0 r 0 dest 0 0"
                           " 0 urg 0 0 0 edu 0 0 0 0");
    M(2026, NULL, 2);
    assert_string_equal(t, ZERO);
    M(2026, NULL, 11);
    assert_string_equal(t, E2_ALL);
    M(2026, NULL, 12);
    assert_string_equal(t, ZERO);
    M(2025, NULL, 12);
    assert_string_equal(t, "c 0 dep 0 0 0 0 0 0 0 0 0 f 0 o 0 p 0 staff 0 v 0 d 0 r 0 dest 0 0 0"
                           " urg 0 0 0 edu 50 30 1 1");
    M(2026, "yongding", 1);
    assert_string_equal(t, E3_2026);
    for (int y = 2027; y <= 2028; y++)
        for (int mo = 1; mo <= 12; mo++) {
            M(y, NULL, mo);
            assert_string_equal(t, ZERO);
        }

    void_report(f->s, 13, "e1", 1); /* January's first headcount */
    M(2026, "cili", 1);
    assert_string_equal(t, E1_LEFT);

    /* e2 moved to 2-3 December: every report of it goes to December */
    add_trip_days(f->s, "e2", "2026-12-02", "2026-12-03", "sangzhi");
    expect_months(f->s, db, "+480 minutes", "e2 in December");
    M(2026, NULL, 11);
    assert_string_equal(t, ZERO);
    M(2026, "sangzhi", 12);
    assert_string_equal(t, E2_ALL);

    /* e1 moved to 1 February and to yongding: its reports go to February */
    add_trip_days(f->s, "e1", "2026-02-01", NULL, "yongding");
    expect_months(f->s, db, "+480 minutes", "e1 in February, yongding");
    M(2026, "cili", 1);
    assert_string_equal(t, ZERO);
    M(2026, NULL, 1);
    assert_string_equal(t, E3_2026);
    M(2026, "yongding", 2);
    assert_string_equal(t, E1_LEFT);

    /* e2 moved to another year, e3 made one day longer (past New Year, its
     * reports of 2026 in January still) */
    add_trip_days(f->s, "e2", "2027-01-10", NULL, "sangzhi");
    add_trip_days(f->s, "e3", "2025-12-30", "2026-01-02", "yongding");
    expect_months(f->s, db, "+480 minutes", "e2 in 2027");
    M(2026, NULL, 12);
    assert_string_equal(t, ZERO);
    M(2027, NULL, 1);
    assert_string_equal(t, E2_ALL);
    M(2026, "yongding", 1); /* nurse-li's check-in of 5 January: now 2 January */
    assert_string_equal(t, E3_2026);
#undef M
#undef ZERO
#undef E2_ALL
#undef E3_2026
#undef E1_LEFT
    assert_int_equal(direct_one(db, "SELECT COUNT(*) FROM month_staff WHERE n <= 0", 0, NULL,
                                NULL),
                     0);
    char *before = month_staff_rows(db);
    assert_string_equal(before, "2026-1 nurse-li yongding 1\n"
                                "2026-2 dr-wang yongding 1\n"
                                "2027-1 dr-wang sangzhi 1\n");
    assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
    char *after = month_staff_rows(db);
    assert_string_equal(before, after);
    free(after);
    free(before);
    expect_months(f->s, db, "+480 minutes", "after the rebuild");
    sqldb_close(db);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, filestore_setup, filestore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_figures_random),
        T(test_figures_void_person),
        T(test_figures_months_random),
        T(test_figures_month_edges),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
