/* unit_store.h -- coordinator stores for the unit tests, as cmocka fixtures (a fresh
 * in-memory store, or a fresh file in a scratch directory), and the trips and
 * reports the tests put in them. Include after <cmocka.h>. */
#ifndef OUTREACH_UNIT_STORE_H
#define OUTREACH_UNIT_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "olog.h"
#include "report.h"
#include "request.h"
#include "sqldb.h"
#include "store.h"
#include "unit_files.h"

/* When the trips and reports below are put in. */
#define UNIT_STORE_NOW "2026-11-22T10:00:00+08:00"

/* The PostgreSQL database the store's tests run against (tests/unit/
 * with_pg.sh names it), or NULL: a SQLite store. */
static inline const char *unit_store_pg(void) { return getenv("OUTREACH_TEST_PG"); }

/* Empties the PostgreSQL database of unit_store_pg (every table, function
 * and migration), so that each test starts from a new store. */
static inline void unit_store_pg_reset(void)
{
    char err[256] = "";
    struct sqldb *db = sqldb_open_pg(unit_store_pg(), err);
    if (!db)
        fail_msg("%s", err);
    if (sqldb_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        fail_msg("reset: %s", sqldb_errmsg(db));
    sqldb_close(db);
}

/* Where a new store for one test is: ":memory:" or the PostgreSQL database,
 * emptied. */
static inline const char *unit_store_new(void)
{
    if (!unit_store_pg())
        return ":memory:";
    unit_store_pg_reset();
    return unit_store_pg();
}

static inline int memstore_setup(void **state)
{
    struct store *s = NULL;
    char err[256] = "";
    if (store_open(unit_store_new(), &s, err) != OERR_OK) {
        print_error("store_open: %s\n", err);
        return -1;
    }
    *state = s;
    return 0;
}

static inline int memstore_teardown(void **state)
{
    store_close(*state);
    return 0;
}

/* A store in the file path, inside the scratch directory dir. */
struct filestore {
    char dir[64];
    char path[128];
    struct store *s;
};

static inline int filestore_setup(void **state)
{
    struct filestore *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/outreach-unit-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/coordinator.db", f->dir);
    if (unit_store_pg()) /* the same fixture on PostgreSQL */
        snprintf(f->path, sizeof f->path, "%s", unit_store_new());
    char err[256] = "";
    if (store_open(f->path, &f->s, err) != OERR_OK) {
        print_error("store_open: %s\n", err);
        rm_tree(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int filestore_teardown(void **state)
{
    struct filestore *f = *state;
    store_close(f->s);
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* Closes the store and opens its file again. */
static inline void filestore_reopen(struct filestore *f)
{
    store_close(f->s);
    f->s = NULL;
    char err[256] = "";
    if (store_open(f->path, &f->s, err) != OERR_OK)
        fail_msg("store_open %s again: %s", f->path, err);
}

/* What the code under test logs between log_capture_start and
 * log_capture_end (which returns it, malloc'd: the caller frees it). */
struct log_capture {
    char *text;
    size_t len;
    FILE *f;
};

static inline void log_capture_start(struct log_capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    olog_set_stream(c->f);
}

static inline char *log_capture_end(struct log_capture *c)
{
    olog_set_stream(NULL);
    assert_int_equal(fclose(c->f), 0);
    return c->text;
}

/* A planned trip of the days date..end (end NULL or not after date: one
 * day) in county (county_name "<county> county"). */
static inline void add_trip_days(struct store *s, const char *trip_id, const char *date,
                                 const char *end, const char *county)
{
    char buf[1024], end_field[40] = "";
    if (end && strcmp(end, date) > 0)
        snprintf(end_field, sizeof end_field, "\"end_date\":\"%s\",", end);
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"r\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\",\"title\":\"Trip %s\","
             "\"date\":\"%s\",%s\"site\":{\"code\":\"s-1\",\"name\":\"Site\",\"county\":\"%s\","
             "\"county_name\":\"%s county\",\"poor_village\":true},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[\"internal\"],"
             "\"capacity\":{\"doctor\":2,\"nurse\":1}}",
             trip_id, trip_id, date, end_field, county, county);
    struct request rq;
    struct jerr err = {{0}};
    const char *code = request_decode(REQ_ADMIN, buf, strlen(buf), &rq, &err);
    if (code) {
        request_free(&rq);
        fail_msg("trip %s: %s (%s)", trip_id, code, err.msg);
    }
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_trip_upsert(s, &rq.trip, UNIT_STORE_NOW, why);
    request_free(&rq);
    if (e) {
        store_rollback(s);
        fail_msg("store_trip_upsert %s: %s (%s)", trip_id, oerr_str(e), why);
    }
    assert_int_equal(store_commit(s), OERR_OK);
}

/* A planned trip on date in county. */
static inline void add_trip(struct store *s, const char *trip_id, const char *date,
                            const char *county)
{
    add_trip_days(s, trip_id, date, NULL, county);
}

/* Sets a trip's status; a refusal names the trip. */
static inline oerr_t set_status(struct store *s, const char *trip_id, const char *status)
{
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_trip_set_status(s, trip_id, status, UNIT_STORE_NOW, why);
    if (e == OERR_REJECTED)
        assert_non_null(strstr(why, trip_id));
    store_commit(s);
    return e;
}

/* msg_id number n: 00000abc-0000-4000-8000-00000000000n */
static inline const char *mid(int n)
{
    static char bufs[8][40];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 40, "%08x-0000-4000-8000-%012d", 0xabcu, n);
    return b;
}

/* Decodes into r the report of kind whose own part of the JSON is fields,
 * written into buf[n] (seqs 1, 2, 3... in the order of the calls); fails the
 * test when report_decode refuses it. Call report_free(r) afterwards. */
static inline void unit_report(struct report *r, char *buf, size_t n, const char *agent,
                               const char *msg_id, const char *trip, const char *recorded_at,
                               const char *kind, const char *fields)
{
    static long long seq = 1;
    snprintf(buf, n,
             "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%lld,\"trip_id\":\"%s\","
             "\"recorded_at\":\"%s\",%s}",
             msg_id, agent, seq++, trip, recorded_at, fields);
    struct jerr err = {{0}};
    enum reject_code c = report_decode(agent, kind, buf, strlen(buf), r, &err);
    if (c != RJ_NONE) {
        report_free(r);
        fail_msg("report %s refused by report_decode: %s (%s)", buf, reject_code_str(c), err.msg);
    }
}

static inline struct totals totals_of(struct store *s, int year, const char *county,
                                      const char *trip)
{
    struct totals t;
    struct totals_filter f = {.year = year, .county = county, .trip_id = trip};
    assert_int_equal(store_totals(s, &f, &t), OERR_OK);
    return t;
}

#endif
