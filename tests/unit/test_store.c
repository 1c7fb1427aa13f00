/* test_store.c -- the coordinator's SQLite store on real files in a fresh directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "unit_files.h"

#include <cjson/cJSON.h>

#include "progress_json.h"
#include "report.h"
#include "request.h"
#include "store.h"
#include "tripcard.h"

#define NOW "2026-11-22T10:00:00+08:00"

struct fixture {
    char dir[64];
    char path[128];
    struct store *s;
};

/* ---- files --------------------------------------------------------------- */

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/outreach-unit-store-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/coordinator.db", f->dir);
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

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* ---- building trips and reports ------------------------------------------ */

static void add_trip(struct store *s, const char *trip_id, const char *date, const char *county)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"r\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\",\"title\":\"Trip %s\","
             "\"date\":\"%s\",\"site\":{\"code\":\"s-1\",\"name\":\"Site\",\"county\":\"%s\","
             "\"county_name\":\"%s county\",\"poor_village\":true},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[\"internal\"],"
             "\"capacity\":{\"doctor\":2,\"nurse\":1}}",
             trip_id, trip_id, date, county, county);
    struct request rq;
    struct jerr err = {{0}};
    const char *code = request_decode(REQ_ADMIN, buf, strlen(buf), &rq, &err);
    if (code) {
        request_free(&rq);
        fail_msg("trip %s: %s (%s)", trip_id, code, err.msg);
    }
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_trip_upsert(s, &rq.trip, NOW, why);
    request_free(&rq);
    if (e) {
        store_rollback(s);
        fail_msg("store_trip_upsert %s: %s (%s)", trip_id, oerr_str(e), why);
    }
    assert_int_equal(store_commit(s), OERR_OK);
}

static oerr_t set_status(struct store *s, const char *trip_id, const char *status)
{
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_trip_set_status(s, trip_id, status, NOW, why);
    if (e == OERR_REJECTED)
        assert_non_null(strstr(why, trip_id));
    store_commit(s);
    return e;
}

/* msg_id number n: 00000000-0000-4000-8000-00000000000n */
static const char *mid(int n)
{
    static char bufs[8][40];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 40, "%08x-0000-4000-8000-%012d", 0xabcu, n);
    return b;
}

static long long next_seq = 1;

/* Decodes and applies one report; fields is the kind's part of the JSON. */
static struct outcome apply_at(struct store *s, const char *agent, const char *msg_id,
                               const char *trip, const char *recorded_at, const char *kind,
                               const char *fields)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"msg_id\":\"%s\",\"agent_id\":\"%s\",\"seq\":%lld,\"trip_id\":\"%s\","
             "\"recorded_at\":\"%s\",%s}",
             msg_id, agent, next_seq++, trip, recorded_at, fields);
    struct report r;
    struct jerr err = {{0}};
    enum reject_code c = report_decode(agent, kind, buf, strlen(buf), &r, &err);
    if (c != RJ_NONE) {
        report_free(&r);
        fail_msg("report %s refused by report_decode: %s (%s)", buf, reject_code_str(c), err.msg);
    }
    struct outcome out;
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_apply_report(s, &r, buf, strlen(buf), NOW, &out);
    report_free(&r);
    if (e) {
        store_rollback(s);
        fail_msg("store_apply_report: %s (%s)", oerr_str(e), store_errmsg(s));
    }
    assert_int_equal(store_commit(s), OERR_OK);
    return out;
}

static struct outcome apply(struct store *s, const char *agent, const char *msg_id,
                            const char *trip, const char *kind, const char *fields)
{
    return apply_at(s, agent, msg_id, trip, "2026-11-22T09:31:05+08:00", kind, fields);
}

static struct outcome headcount(struct store *s, const char *agent, const char *msg_id,
                                const char *trip, int n)
{
    char f[128];
    snprintf(f, sizeof f, "\"department\":\"internal\",\"consultations\":%d", n);
    return apply(s, agent, msg_id, trip, "headcount", f);
}

static struct outcome checkin(struct store *s, const char *agent, const char *msg_id,
                              const char *trip, const char *staff, const char *role)
{
    char f[256];
    snprintf(f, sizeof f, "\"staff_id\":\"%s\",\"role\":\"%s\"", staff, role);
    return apply(s, agent, msg_id, trip, "checkin", f);
}

static struct outcome void_of(struct store *s, const char *agent, const char *msg_id,
                              const char *trip, const char *target)
{
    char f[256];
    snprintf(f, sizeof f, "\"voids\":\"%s\",\"reason\":\"entered twice\"", target);
    return apply(s, agent, msg_id, trip, "void", f);
}

static void expect_accepted(struct outcome o, int year, int line)
{
    if (o.status != ACK_ACCEPTED)
        fail_msg("line %d: status %d code %s (%s), want accepted", line, o.status,
                 reject_code_str(o.code), o.reason);
    if (o.year != year)
        fail_msg("line %d: year %d, want %d", line, o.year, year);
}

static void expect_rejected(struct outcome o, enum reject_code code, const char *needle, int line)
{
    if (o.status != ACK_REJECTED || o.code != code)
        fail_msg("line %d: status %d code %s (%s), want rejected %s", line, o.status,
                 reject_code_str(o.code), o.reason, reject_code_str(code));
    if (needle && !strstr(o.reason, needle))
        fail_msg("line %d: reason '%s' does not name '%s'", line, o.reason, needle);
    if (o.year != 0)
        fail_msg("line %d: year %d on a refusal", line, o.year);
}

#define ACCEPTED(o, year) expect_accepted(o, year, __LINE__)
#define REJECTED(o, code, needle) expect_rejected(o, code, needle, __LINE__)

static struct totals totals_of(struct store *s, int year, const char *county, const char *trip)
{
    struct totals t;
    struct totals_filter f = {.year = year, .county = county, .trip_id = trip};
    assert_int_equal(store_totals(s, &f, &t), OERR_OK);
    return t;
}

/* ---- tests --------------------------------------------------------------- */

static int count_years(void *ctx, int year)
{
    (*(int *)ctx)++;
    return 0;
}

static void test_open_fresh(void **state)
{
    struct fixture *f = *state;
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.trips_planned, 0);
    int n = 0;
    assert_int_equal(store_years_each(f->s, count_years, &n), OERR_OK);
    assert_int_equal(n, 0);
    struct trip_row row;
    assert_int_equal(store_trip_get(f->s, "t1", &row), OERR_NOTFOUND);
    assert_null(tripcard_json(f->s, "t1"));
    assert_int_equal(store_rejects_count(f->s), 0);
    assert_int_equal(store_rejects_dropped(f->s), 0);
    assert_null(store_reply_get(f->s, "admin", "admin", "r1"));
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);

    /* an in-memory store works too */
    struct store *m = NULL;
    char err[256] = "";
    assert_int_equal(store_open(":memory:", &m, err), OERR_OK);
    add_trip(m, "mem-1", "2026-03-01", "cili");
    ACCEPTED(headcount(m, "team-07", mid(1), "mem-1", 5), 2026);
    assert_int_equal(totals_of(m, 2026, NULL, NULL).consultations, 5);
    store_close(m);
}

static void test_duplicate(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);

    struct outcome o = headcount(f->s, "team-07", mid(1), "t1", 12);
    assert_int_equal(o.status, ACK_DUPLICATE);
    /* the same msg_id with other content is still the same report */
    o = headcount(f->s, "team-07", mid(1), "t1", 40);
    assert_int_equal(o.status, ACK_DUPLICATE);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);

    /* the same msg_id from another agent is refused, and counts nothing */
    o = headcount(f->s, "team-08", mid(1), "t1", 12);
    assert_int_equal(o.status, ACK_REJECTED);
    assert_int_not_equal(o.code, RJ_NONE);
    assert_non_null(strstr(o.reason, mid(1)));
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);
}

static void test_unknown_and_cancelled_trip(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t-open", "2026-05-01", "cili");
    add_trip(f->s, "t-cancel", "2026-05-02", "cili");
    add_trip(f->s, "t-done", "2026-05-03", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "2026-zjj-999", 5), RJ_UNKNOWN_TRIP,
             "2026-zjj-999");
    assert_int_equal(set_status(f->s, "t-cancel", "cancelled"), OERR_OK);
    assert_int_equal(set_status(f->s, "t-done", "completed"), OERR_OK);
    REJECTED(headcount(f->s, "team-07", mid(2), "t-cancel", 5), RJ_TRIP_CANCELLED, "t-cancel");
    ACCEPTED(headcount(f->s, "team-07", mid(3), "t-done", 7), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(4), "t-open", 11), 2026);
    /* a refused msg_id was not kept: it is refused again, not a duplicate */
    REJECTED(headcount(f->s, "team-07", mid(2), "t-cancel", 5), RJ_TRIP_CANCELLED, NULL);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 18);
    assert_int_equal(t.headcounts, 2);
    assert_int_equal(t.trips_planned, 1);
    assert_int_equal(t.trips_completed, 1);
    assert_int_equal(t.trips_cancelled, 1);
}

/* A rejection is final: a msg_id refused for an unknown trip stays refused
 * after the trip is created, with the first reason; another agent reusing the
 * msg_id is not answered with this agent's rejection. */
static void test_rejection_is_final(void **state)
{
    struct fixture *f = *state;
    REJECTED(headcount(f->s, "team-07", mid(1), "t-late", 5), RJ_UNKNOWN_TRIP, "t-late");
    add_trip(f->s, "t-late", "2026-05-01", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "t-late", 5), RJ_UNKNOWN_TRIP, "no trip t-late");
    ACCEPTED(headcount(f->s, "team-08", mid(1), "t-late", 5), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "t-late", 6), 2026);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 11);
}

/* An accepted void names the trip and year of the report it took out, which
 * may differ from its own, so both get republished. */
static void test_void_names_target_trip(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t-2026", "2026-05-01", "cili");
    add_trip(f->s, "t-2025", "2025-12-30", "xiuwu");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t-2026", 12), 2026);
    struct outcome o = void_of(f->s, "team-07", mid(2), "t-2025", mid(1));
    ACCEPTED(o, 2025);
    assert_string_equal(o.target_trip_id, "t-2026");
    assert_int_equal(o.target_year, 2026);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
}

static void test_void(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(2), "t1", "headcount",
                   "\"department\":\"tcm\",\"consultations\":30,\"female\":10,\"over_60\":4,"
                   "\"poor_households\":2"), 2026);
    ACCEPTED(headcount(f->s, "team-08", mid(3), "t1", 100), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 142);
    assert_int_equal(t.female, 10);

    /* void of a headcount removes it exactly */
    ACCEPTED(void_of(f->s, "team-07", mid(10), "t1", mid(2)), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 112);
    assert_int_equal(t.headcounts, 2);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.over_60, 0);
    assert_int_equal(t.poor_households, 0);
    /* the void itself again: duplicate, nothing changes */
    assert_int_equal(void_of(f->s, "team-07", mid(10), "t1", mid(2)).status, ACK_DUPLICATE);

    /* a second void of the same target */
    REJECTED(void_of(f->s, "team-07", mid(11), "t1", mid(2)), RJ_VOID_TARGET, mid(2));
    /* a void of a void */
    REJECTED(void_of(f->s, "team-07", mid(12), "t1", mid(10)), RJ_VOID_TARGET, mid(10));
    /* a void of another agent's report */
    REJECTED(void_of(f->s, "team-07", mid(13), "t1", mid(3)), RJ_VOID_TARGET, mid(3));
    /* a void of an msg_id not seen yet waits for it (test_void_before_target) */
    struct outcome o = void_of(f->s, "team-07", mid(14), "t1", mid(99));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 112);
    assert_int_equal(t.headcounts, 2);

    /* dispense, referral, education and checkin are voided the same way */
    ACCEPTED(apply(f->s, "team-07", mid(20), "t1", "dispense",
                   "\"medicine\":\"amoxicillin\",\"quantity\":2,\"unit\":\"box\",\"value_fen\":1250"),
             2026);
    ACCEPTED(apply(f->s, "team-07", mid(21), "t1", "referral",
                   "\"destination\":\"city_hospital\",\"condition\":\"cataract\","
                   "\"urgency\":\"routine\",\"patient_ref\":\"P-1\""), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(22), "t1", "education",
                   "\"brochures\":50,\"attendees\":20,\"talks\":1"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(23), "t1", "dr-li", "doctor"), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.value_fen, 1250);
    assert_int_equal(t.dispenses, 1);
    assert_int_equal(t.referrals, 1);
    assert_int_equal(t.by_destination[DEST_CITY], 1);
    assert_int_equal(t.brochures, 50);
    assert_int_equal(t.education_reports, 1);
    assert_int_equal(t.staff, 1);
    for (int i = 20; i <= 23; i++)
        ACCEPTED(void_of(f->s, "team-07", mid(100 + i), "t1", mid(i)), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.value_fen, 0);
    assert_int_equal(t.dispenses, 0);
    assert_int_equal(t.referrals, 0);
    assert_int_equal(t.by_destination[DEST_CITY], 0);
    assert_int_equal(t.brochures, 0);
    assert_int_equal(t.attendees, 0);
    assert_int_equal(t.talks, 0);
    assert_int_equal(t.education_reports, 0);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.consultations, 112);
}

/* ---- voids that arrive before their target -------------------------------- */

/* One number from SQL on the store's file, read through a second connection. */
static long long sql_ll(const struct fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static long long pending_count(const struct fixture *f)
{
    return sql_ll(f, "SELECT COUNT(*) FROM pending_voids");
}

/* 1 when report n is stored voided by report by, 0 when stored and counted. */
static long long voided_by(const struct fixture *f, int n, int by)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT COALESCE(voided_by = '%s', 0) FROM reports"
             " WHERE msg_id = '%s'", mid(by), mid(n));
    return sql_ll(f, sql);
}

/* Drops the running totals and reopens: they are rebuilt from the reports. */
static void reopen_rebuilt(struct fixture *f)
{
    store_close(f->s);
    f->s = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DELETE FROM trip_totals;"
                                      " DELETE FROM meta WHERE key = 'trip_totals'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
}

/* The void comes first (a resend after a crash): accepted as pending, not
 * refused; the target is then stored voided and never counts, and the totals
 * rebuilt from the reports agree. Resends of both are duplicates. */
static void test_void_before_target(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-06-01", "cili");
    struct outcome o = void_of(f->s, "team-07", mid(2), "t2", mid(1));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    assert_string_equal(o.target_trip_id, "");
    assert_int_equal(pending_count(f), 1);

    o = apply(f->s, "team-07", mid(1), "t1", "headcount",
              "\"department\":\"tcm\",\"consultations\":30,\"female\":10,\"over_60\":4");
    ACCEPTED(o, 2026);
    assert_false(o.void_pending);
    assert_int_equal(voided_by(f, 1, 2), 1);
    assert_int_equal(pending_count(f), 0);
    ACCEPTED(headcount(f->s, "team-07", mid(3), "t1", 5), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, "t1");
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.over_60, 0);

    /* resends change nothing */
    o = void_of(f->s, "team-07", mid(2), "t2", mid(1));
    assert_int_equal(o.status, ACK_DUPLICATE);
    assert_false(o.void_pending);
    assert_int_equal(headcount(f->s, "team-07", mid(1), "t1", 30).status, ACK_DUPLICATE);
    /* the target is voided now: another void of it is refused */
    REJECTED(void_of(f->s, "team-07", mid(4), "t1", mid(1)), RJ_VOID_TARGET, "already voided");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 5);

    /* other kinds are stored voided the same way */
    ACCEPTED(void_of(f->s, "team-07", mid(11), "t1", mid(10)), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(10), "t1", "dr-li", "doctor"), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(13), "t1", mid(12)), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(12), "t1", "dispense",
                   "\"medicine\":\"amoxicillin\",\"quantity\":2,\"unit\":\"box\","
                   "\"value_fen\":1250"), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.value_fen, 0);
    assert_int_equal(t.dispenses, 0);

    reopen_rebuilt(f);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.value_fen, 0);
}

/* A pending void names a msg_id that another agent then uses: that report
 * was never the void's to name, so it counts as usual and the void goes on
 * waiting; the same msg_id from the void's agent is refused (used). */
static void test_void_pending_other_agent(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    ACCEPTED(headcount(f->s, "team-08", mid(1), "t1", 10), 2026);
    assert_int_equal(voided_by(f, 1, 2), 0);
    assert_int_equal(pending_count(f), 1);
    REJECTED(headcount(f->s, "team-07", mid(1), "t1", 3), RJ_SCHEMA, "another agent");
    /* now that mid(1) is known, a void of it from team-07 is refused */
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, "another agent");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 10);
    reopen_rebuilt(f);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 10);
}

/* A second void of a target that a pending void already waits for is refused
 * like a second void of a voided report (and stays refused); resending the
 * pending void is a duplicate; the target still comes in voided by the first. */
static void test_void_pending_twice(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(void_of(f->s, "team-07", mid(2), "t1", mid(1)), 2026);
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, mid(2));
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    assert_int_equal(o.status, ACK_DUPLICATE);
    assert_false(o.void_pending);
    assert_int_equal(pending_count(f), 1);
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 9), 2026);
    assert_int_equal(voided_by(f, 1, 2), 1);
    /* the refusal is final: the second void is not applied now either */
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, mid(2));
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
    assert_int_equal(pending_count(f), 0);
}

/* A void naming a report refused to the same agent has nothing to void: it is
 * refused, not kept waiting. A refusal of that msg_id to another agent does
 * not make it this agent's: the void waits. */
static void test_void_of_refused(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "t-none", 5), RJ_UNKNOWN_TRIP, "t-none");
    REJECTED(void_of(f->s, "team-07", mid(2), "t1", mid(1)), RJ_VOID_TARGET, "refused");
    REJECTED(headcount(f->s, "team-08", mid(5), "t-none", 5), RJ_UNKNOWN_TRIP, "t-none");
    struct outcome o = void_of(f->s, "team-07", mid(6), "t1", mid(5));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    assert_int_equal(pending_count(f), 1);
}

/* A pending void whose target turns out to be a void: a void cannot be
 * voided, so the arriving void is stored and takes effect, and the pending
 * one stops waiting without effect. */
static void test_void_pending_names_void(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 8), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(3), "t1", mid(2)), 2026);
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    ACCEPTED(o, 2026);
    assert_false(o.void_pending);
    assert_string_equal(o.target_trip_id, "t1");
    assert_int_equal(voided_by(f, 1, 2), 1);
    assert_int_equal(voided_by(f, 2, 3), 0);
    assert_int_equal(pending_count(f), 0);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
}

/* A store written before pending voids existed gets the table on open; a
 * pending void survives closing and reopening. */
static void test_void_pending_old_store(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    store_close(f->s);
    f->s = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE pending_voids", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
    ACCEPTED(void_of(f->s, "team-07", mid(2), "t1", mid(1)), 2026);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 4), 2026);
    assert_int_equal(voided_by(f, 1, 2), 1);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
}

static void test_staff(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-03-01", "cili");
    add_trip(f->s, "t2", "2026-09-01", "cili");
    add_trip(f->s, "t-2027", "2027-01-10", "cili");
    ACCEPTED(checkin(f->s, "team-07", mid(1), "t1", "dr-wang", "doctor"), 2026);
    ACCEPTED(checkin(f->s, "team-08", mid(2), "t2", "dr-wang", "doctor"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(3), "t1", "dr-wang", "doctor"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(4), "t1", "driver-zhao", "support"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(5), "t1", "nurse-li", "nurse"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(6), "t-2027", "dr-chen", "pharmacist"), 2027);
    ACCEPTED(checkin(f->s, "team-07", mid(7), "t-2027", "dr-wang", "doctor"), 2027);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.staff, 2);    /* dr-wang, nurse-li */
    assert_int_equal(t.checkins, 5);
    t = totals_of(f->s, 2027, NULL, NULL);
    assert_int_equal(t.staff, 2);    /* dr-chen, dr-wang */
    t = totals_of(f->s, 0, NULL, "t2");
    assert_int_equal(t.staff, 1);
    /* someone who was support on one trip and a doctor on another counts once */
    ACCEPTED(checkin(f->s, "team-07", mid(8), "t2", "driver-zhao", "technician"), 2026);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).staff, 3);
}

static void test_year_of_trip(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t-nye", "2025-12-31", "cili");
    add_trip(f->s, "t-2026", "2026-01-01", "cili");
    ACCEPTED(apply_at(f->s, "team-07", mid(1), "t-nye", "2026-01-02T10:00:00+08:00",
                      "headcount", "\"department\":\"internal\",\"consultations\":9"), 2025);
    ACCEPTED(apply_at(f->s, "team-07", mid(2), "t-2026", "2025-12-30T10:00:00+08:00",
                      "headcount", "\"department\":\"internal\",\"consultations\":4"), 2026);
    assert_int_equal(totals_of(f->s, 2025, NULL, NULL).consultations, 9);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 4);
    struct trip_row row;
    assert_int_equal(store_trip_get(f->s, "t-nye", &row), OERR_OK);
    assert_int_equal(row.year, 2025);
    assert_string_equal(row.date, "2025-12-31");
    assert_string_equal(row.status, "planned");
    assert_string_equal(row.county, "cili");
}

struct county_seen {
    int n;
    char names[4][64];
};

static int collect_county(void *ctx, const char *county, const char *name)
{
    struct county_seen *c = ctx;
    if (c->n < 4)
        snprintf(c->names[c->n], sizeof c->names[0], "%s=%s", county, name);
    c->n++;
    return 0;
}

static int collect_year(void *ctx, int year)
{
    int *years = ctx;
    years[++years[0]] = year;
    return 0;
}

static void test_county_filter(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "a1", "2026-04-01", "xiuwu");
    add_trip(f->s, "a2", "2026-06-01", "xiuwu");
    add_trip(f->s, "b1", "2026-05-01", "cili");
    add_trip(f->s, "c1", "2025-05-01", "other");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "a1", 5), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "a2", 6), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(3), "b1", 7), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(4), "c1", 100), 2025);
    assert_int_equal(set_status(f->s, "a2", "completed"), OERR_OK);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 18);
    assert_int_equal(t.trips_planned, 2);
    assert_int_equal(t.trips_completed, 1);
    t = totals_of(f->s, 2026, "xiuwu", NULL);
    assert_int_equal(t.consultations, 11);
    assert_int_equal(t.trips_planned, 1);
    assert_int_equal(t.trips_completed, 1);
    t = totals_of(f->s, 2026, "cili", NULL);
    assert_int_equal(t.consultations, 7);
    t = totals_of(f->s, 2026, "other", NULL);
    assert_int_equal(t.consultations, 0);
    assert_int_equal(t.trips_planned, 0);
    t = totals_of(f->s, 2026, "nowhere", NULL);
    assert_int_equal(t.consultations, 0);
    t = totals_of(f->s, 0, NULL, "b1");
    assert_int_equal(t.consultations, 7);
    t = totals_of(f->s, 0, NULL, "c1");
    assert_int_equal(t.consultations, 100);

    struct county_seen seen = {0};
    assert_int_equal(store_counties_each(f->s, 2026, collect_county, &seen), OERR_OK);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.names[0], "cili=cili county");
    assert_string_equal(seen.names[1], "xiuwu=xiuwu county");
    int years[8] = {0};
    assert_int_equal(store_years_each(f->s, collect_year, years), OERR_OK);
    assert_int_equal(years[0], 2);
    assert_int_equal(years[1], 2025);
    assert_int_equal(years[2], 2026);
}

static void test_rejects_cap(void **state)
{
    struct fixture *f = *state;
    char reason[32];
    for (int i = 0; i < 5; i++) {
        snprintf(reason, sizeof reason, "reject %d", i);
        assert_int_equal(store_keep_reject(f->s, NOW, "outreach/v1/agents/team-07/reports/x",
                                           "team-07", i ? mid(i) : NULL, RJ_SCHEMA, reason,
                                           "{}", 2, 3),
                         OERR_OK);
    }
    assert_int_equal(store_rejects_count(f->s), 3);
    assert_int_equal(store_rejects_dropped(f->s), 2);
    assert_int_equal(store_keep_reject(f->s, NOW, "t", NULL, NULL, RJ_MALFORMED, "not JSON",
                                       "\xff\xfe", 2, 3),
                     OERR_OK);
    assert_int_equal(store_rejects_count(f->s), 3);
    assert_int_equal(store_rejects_dropped(f->s), 3);
    /* a bigger cap keeps more from now on */
    assert_int_equal(store_keep_reject(f->s, NOW, "t", NULL, NULL, RJ_TOO_LARGE, "big", NULL, 0,
                                       10),
                     OERR_OK);
    assert_int_equal(store_rejects_count(f->s), 4);
    assert_int_equal(store_rejects_dropped(f->s), 3);
}

static void test_replies(void **state)
{
    struct fixture *f = *state;
    const char *reply = "{\"request_id\":\"r1\",\"ok\":true}";
    assert_null(store_reply_get(f->s, "admin", "admin", "r1"));
    assert_int_equal(store_reply_put(f->s, "admin", "admin", "r1", reply, NOW), OERR_OK);
    char *got = store_reply_get(f->s, "admin", "admin", "r1");
    assert_non_null(got);
    assert_string_equal(got, reply);
    free(got);
    assert_null(store_reply_get(f->s, "volunteer", "admin", "r1"));
    assert_null(store_reply_get(f->s, "admin", "vol-1", "r1"));
    assert_null(store_reply_get(f->s, "admin", "admin", "r2"));
    assert_int_equal(store_reply_put(f->s, "volunteer", "vol-1", "r1", "{\"x\":1}", NOW),
                     OERR_OK);
    got = store_reply_get(f->s, "volunteer", "vol-1", "r1");
    assert_string_equal(got, "{\"x\":1}");
    free(got);
    got = store_reply_get(f->s, "admin", "admin", "r1");
    assert_string_equal(got, reply);
    free(got);
}

static void test_trip_status(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-05-02", "cili");
    assert_int_equal(set_status(f->s, "t1", "completed"), OERR_OK);
    assert_int_equal(set_status(f->s, "t1", "completed"), OERR_OK); /* same again */
    assert_int_equal(set_status(f->s, "t1", "cancelled"), OERR_REJECTED);
    struct trip_row row;
    assert_int_equal(store_trip_get(f->s, "t1", &row), OERR_OK);
    assert_string_equal(row.status, "completed");

    assert_int_equal(set_status(f->s, "t2", "cancelled"), OERR_OK);
    assert_int_equal(set_status(f->s, "t2", "cancelled"), OERR_OK);
    assert_int_equal(set_status(f->s, "t2", "completed"), OERR_REJECTED);
    assert_int_equal(store_trip_get(f->s, "t2", &row), OERR_OK);
    assert_string_equal(row.status, "cancelled");

    assert_int_equal(set_status(f->s, "nope", "cancelled"), OERR_NOTFOUND);

    /* a cancelled trip cannot be changed by an upsert; a completed one can */
    const char *p = "{\"request_id\":\"r\",\"op\":\"trip.upsert\",\"trip_id\":\"t2\","
                    "\"title\":\"New\",\"date\":\"2026-06-01\",\"site\":{\"code\":\"s\","
                    "\"name\":\"S\",\"county\":\"cili\",\"county_name\":\"C\"},"
                    "\"mode\":\"red_cross\",\"activities\":[\"tech\"],\"departments\":[],"
                    "\"capacity\":{}}";
    struct request rq;
    struct jerr err = {{0}};
    assert_null(request_decode(REQ_ADMIN, p, strlen(p), &rq, &err));
    char why[JERR_MAX] = "";
    assert_int_equal(store_trip_upsert(f->s, &rq.trip, NOW, why), OERR_REJECTED);
    assert_non_null(strstr(why, "t2"));
    rq.trip.trip_id = "t1";
    assert_int_equal(store_trip_upsert(f->s, &rq.trip, NOW, why), OERR_OK);
    request_free(&rq);
    assert_int_equal(store_trip_get(f->s, "t1", &row), OERR_OK);
    assert_string_equal(row.status, "completed");
    assert_string_equal(row.date, "2026-06-01");
}

static int collect_trip(void *ctx, const struct trip_row *t)
{
    char *out = ctx;
    strcat(out, t->trip_id);
    strcat(out, ";");
    return 0;
}

static void test_trip_card(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t-b", "2026-05-02", "cili");
    add_trip(f->s, "t-a", "2026-05-03", "cili");
    add_trip(f->s, "t-c", "2026-01-02", "cili");
    char order[64] = "";
    assert_int_equal(store_trips_each(f->s, collect_trip, order), OERR_OK);
    assert_string_equal(order, "t-c;t-b;t-a;");

    char *card = tripcard_json(f->s, "t-b");
    assert_non_null(card);
    cJSON *o = cJSON_Parse(card);
    free(card);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "trip_id")->valuestring, "t-b");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "date")->valuestring, "2026-05-02");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring, "planned");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "mode")->valuestring, "upper_help");
    cJSON *site = cJSON_GetObjectItemCaseSensitive(o, "site");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(site, "poor_village")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(site, "county")->valuestring, "cili");
    cJSON *cap = cJSON_GetObjectItemCaseSensitive(o, "capacity");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cap, "doctor")->valueint, 2);
    assert_null(cJSON_GetObjectItemCaseSensitive(cap, "support"));
    cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "activities");
    assert_int_equal(cJSON_GetArraySize(act), 1);
    assert_string_equal(cJSON_GetArrayItem(act, 0)->valuestring, "clinic");
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "phone"));
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "end_date"));
    cJSON_Delete(o);
}

static void test_reopen(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-05-02", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "t1", 3), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(3), "t1", mid(2)), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(4), "t1", "dr-wang", "doctor"), 2026);
    assert_int_equal(set_status(f->s, "t2", "cancelled"), OERR_OK);
    assert_int_equal(store_reply_put(f->s, "admin", "admin", "r1", "{\"ok\":true}", NOW), OERR_OK);
    assert_int_equal(store_keep_reject(f->s, NOW, "t", "team-07", NULL, RJ_MALFORMED, "x", "x",
                                       1, 10),
                     OERR_OK);
    store_close(f->s);
    f->s = NULL;

    char err[256] = "";
    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.staff, 1);
    assert_int_equal(t.trips_planned, 1);
    assert_int_equal(t.trips_cancelled, 1);
    assert_int_equal(headcount(f->s, "team-07", mid(1), "t1", 12).status, ACK_DUPLICATE);
    REJECTED(void_of(f->s, "team-07", mid(5), "t1", mid(2)), RJ_VOID_TARGET, NULL);
    REJECTED(headcount(f->s, "team-07", mid(6), "t2", 1), RJ_TRIP_CANCELLED, NULL);
    char *r = store_reply_get(f->s, "admin", "admin", "r1");
    assert_non_null(r);
    assert_string_equal(r, "{\"ok\":true}");
    free(r);
    assert_int_equal(store_rejects_count(f->s), 1);
}

/* ---- running totals ------------------------------------------------------ */

/* What the test expects, kept by its own arithmetic (not by SQL). */
struct model_report {
    int trip, kind; /* kind: 0 headcount, 1 dispense, 2 referral, 3 education, 4 checkin */
    int a, b, c;    /* consultations/female/over_60, value, destination, brochures/attendees/talks */
    int staff, support;
    bool voided;
};

#define MODEL_TRIPS 5
#define MODEL_REPORTS 600
static const char *const model_trip_ids[MODEL_TRIPS] = {"m0", "m1", "m2", "m3", "m4"};
static const char *const model_counties[MODEL_TRIPS] = {"cili", "cili", "sangzhi", "sangzhi",
                                                        "yongding"};

static struct totals model_totals(const struct model_report *m, int n, int trip,
                                  const char *county)
{
    struct totals t;
    memset(&t, 0, sizeof t);
    bool staff_seen[16] = {false};
    for (int i = 0; i < n; i++) {
        const struct model_report *r = &m[i];
        if (r->voided || (trip >= 0 && r->trip != trip) ||
            (county && strcmp(model_counties[r->trip], county) != 0))
            continue;
        switch (r->kind) {
        case 0:
            t.consultations += r->a;
            t.female += r->b;
            t.over_60 += r->c;
            t.headcounts++;
            break;
        case 1:
            t.value_fen += r->a;
            t.dispenses++;
            break;
        case 2:
            t.referrals++;
            t.by_destination[r->a]++;
            break;
        case 3:
            t.brochures += r->a;
            t.attendees += r->b;
            t.talks += r->c;
            t.education_reports++;
            break;
        default:
            t.checkins++;
            if (!r->support && !staff_seen[r->staff]) {
                staff_seen[r->staff] = true;
                t.staff++;
            }
        }
    }
    return t;
}

static void expect_totals(struct totals want, struct totals got, const char *what)
{
    long long *w[] = {&want.consultations, &want.headcounts, &want.female, &want.over_60,
                      &want.value_fen, &want.dispenses, &want.referrals,
                      &want.by_destination[0], &want.by_destination[1],
                      &want.by_destination[2], &want.brochures, &want.attendees, &want.talks,
                      &want.education_reports, &want.checkins, &want.staff};
    long long *g[] = {&got.consultations, &got.headcounts, &got.female, &got.over_60,
                      &got.value_fen, &got.dispenses, &got.referrals, &got.by_destination[0],
                      &got.by_destination[1], &got.by_destination[2], &got.brochures,
                      &got.attendees, &got.talks, &got.education_reports, &got.checkins,
                      &got.staff};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (*w[i] != *g[i])
            fail_msg("%s: figure %zu is %lld, want %lld", what, i, *g[i], *w[i]);
}

static void expect_model(struct store *s, const struct model_report *m, int n)
{
    char what[64];
    for (int t = 0; t < MODEL_TRIPS; t++) {
        snprintf(what, sizeof what, "trip %s after %d reports", model_trip_ids[t], n);
        expect_totals(model_totals(m, n, t, NULL), totals_of(s, 2026, NULL, model_trip_ids[t]),
                      what);
    }
    snprintf(what, sizeof what, "county sangzhi after %d reports", n);
    expect_totals(model_totals(m, n, -1, "sangzhi"), totals_of(s, 2026, "sangzhi", NULL), what);
    snprintf(what, sizeof what, "year after %d reports", n);
    expect_totals(model_totals(m, n, -1, NULL), totals_of(s, 2026, NULL, NULL), what);
}

/* Random reports of every kind and voids of random earlier ones: the running
 * totals per trip, county and year equal the model's after every 50 steps,
 * and again after they are rebuilt from the reports on reopening. */
static void test_running_totals(void **state)
{
    struct fixture *f = *state;
    for (int t = 0; t < MODEL_TRIPS; t++)
        add_trip(f->s, model_trip_ids[t], "2026-06-01", model_counties[t]);
    static struct model_report m[MODEL_REPORTS];
    memset(m, 0, sizeof m);
    unsigned seed = 20261122u;
    static const char *const dests[] = {"township_health_center", "county_hospital",
                                        "city_hospital"};
    for (int i = 0; i < MODEL_REPORTS; i++) {
        struct model_report *r = &m[i];
        char fields[256];
        r->trip = (int)(rand_r(&seed) % MODEL_TRIPS);
        int pick = (int)(rand_r(&seed) % 6);
        const char *trip = model_trip_ids[r->trip];
        if (pick == 5 && i > 0) {
            /* a void of a random earlier report of the same agent */
            int target = (int)(rand_r(&seed) % (unsigned)i);
            const struct model_report *tr = &m[target];
            bool ok = tr->kind != 5 && !tr->voided;
            struct outcome o = void_of(f->s, "team-07", mid(i + 1), trip, mid(target + 1));
            if (ok) {
                ACCEPTED(o, 2026);
                m[target].voided = true;
            } else {
                REJECTED(o, RJ_VOID_TARGET, NULL);
            }
            r->kind = 5;
            r->voided = true; /* a void itself counts for nothing */
            continue;
        }
        r->kind = pick == 5 ? 0 : pick;
        r->a = 1 + (int)(rand_r(&seed) % 40);
        r->b = (int)(rand_r(&seed) % (unsigned)(r->a + 1));
        r->c = (int)(rand_r(&seed) % (unsigned)(r->a + 1));
        switch (r->kind) {
        case 0:
            snprintf(fields, sizeof fields,
                     "\"department\":\"internal\",\"consultations\":%d,\"female\":%d,"
                     "\"over_60\":%d", r->a, r->b, r->c);
            ACCEPTED(apply(f->s, "team-07", mid(i + 1), trip, "headcount", fields), 2026);
            break;
        case 1:
            r->a *= 125;
            snprintf(fields, sizeof fields,
                     "\"medicine\":\"amlodipine 5mg\",\"quantity\":3,\"unit\":\"box\","
                     "\"value_fen\":%d", r->a);
            ACCEPTED(apply(f->s, "team-07", mid(i + 1), trip, "dispense", fields), 2026);
            break;
        case 2:
            r->a %= 3;
            snprintf(fields, sizeof fields,
                     "\"destination\":\"%s\",\"condition\":\"suspected cataract\","
                     "\"urgency\":\"routine\",\"patient_ref\":\"P-%d\"", dests[r->a], i);
            ACCEPTED(apply(f->s, "team-07", mid(i + 1), trip, "referral", fields), 2026);
            break;
        case 3:
            snprintf(fields, sizeof fields, "\"brochures\":%d,\"attendees\":%d,\"talks\":%d",
                     r->a, r->b, r->c);
            ACCEPTED(apply(f->s, "team-07", mid(i + 1), trip, "education", fields), 2026);
            break;
        default: {
            r->staff = (int)(rand_r(&seed) % 16);
            r->support = r->staff >= 13; /* the same people always in the same role */
            char staff[32];
            snprintf(staff, sizeof staff, "staff-%02d", r->staff);
            ACCEPTED(checkin(f->s, "team-07", mid(i + 1), trip, staff,
                             r->support ? "support" : "nurse"), 2026);
        }
        }
        if ((i + 1) % 50 == 0)
            expect_model(f->s, m, i + 1);
    }
    expect_model(f->s, m, MODEL_REPORTS);

    /* A store from before the running totals (or with them wiped) gets them
     * back from its reports when opened. */
    reopen_rebuilt(f);
    expect_model(f->s, m, MODEL_REPORTS);
}

static void test_export_csv(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(apply(f->s, "team-07", mid(1), "t1", "dispense",
                   "\"medicine\":\"=HYPERLINK(\\\"x\\\")\",\"quantity\":2,\"unit\":\"box, big\","
                   "\"value_fen\":1250"), 2026);
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(store_export_csv(f->s, fp), OERR_OK);
    long n = ftell(fp);
    rewind(fp);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_non_null(strstr(text, "msg_id,agent_id,seq,kind,trip_id,trip_date"));
    assert_non_null(strstr(text, "\"'=HYPERLINK(\"\"x\"\")\""));
    assert_non_null(strstr(text, "\"box, big\""));
    free(text);
}

static void test_progress_json(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "xiuwu");
    add_trip(f->s, "t2", "2026-06-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 300), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "t2", 65), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(3), "t1", "dr-wang", "doctor"), 2026);
    struct targets tg = {.staff = 500, .consultations = 50000};
    struct odate day322 = {2026, 11, 18};
    cJSON *o = progress_year_json(f->s, 2026, NULL, NULL, &tg, day322, NOW);
    assert_non_null(o);
    cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "consultations");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "year")->valueint, 2026);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "count")->valueint, 365);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "target")->valueint, 50000);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "expected_to_date")->valueint, 44110);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "projected_year_end")->valueint, 413);
    cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "staff");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(st, "count")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(st, "expected_to_date")->valueint, 441);
    cJSON *tr = cJSON_GetObjectItemCaseSensitive(o, "trips");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(tr, "planned")->valueint, 2);
    assert_null(cJSON_GetObjectItemCaseSensitive(o, "county"));
    cJSON_Delete(o);

    o = progress_year_json(f->s, 2026, "cili", "Cili", &tg, day322, NOW);
    assert_non_null(o);
    c = cJSON_GetObjectItemCaseSensitive(o, "consultations");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "count")->valueint, 65);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "county")->valuestring, "cili");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "county_name")->valuestring, "Cili");
    cJSON_Delete(o);

    o = progress_trip_json(f->s, "t1", NOW);
    assert_non_null(o);
    c = cJSON_GetObjectItemCaseSensitive(o, "consultations");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "count")->valueint, 300);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "checkins")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring, "planned");
    cJSON_Delete(o);
    assert_null(progress_trip_json(f->s, "nope", NOW));
}

/* ---- damaged files -------------------------------------------------------- */

static unsigned lcg(unsigned *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 16;
}

static void write_file(const char *path, const unsigned char *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void expect_corrupt(const char *path, int line)
{
    struct store *s = NULL;
    char err[256] = "";
    oerr_t e = store_open(path, &s, err);
    if (e != OERR_CORRUPT) {
        store_close(s);
        fail_msg("line %d: store_open of a damaged file: %s (%s), want %s", line, oerr_str(e),
                 err, oerr_str(OERR_CORRUPT));
    }
    assert_null(s);
    assert_true(err[0] != '\0');
}

/* The weekly series: cumulative by the trips' dates through today's week; a
 * person counts from the week of their first check-in; support never. */
static void test_series_json(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "w1", "2026-01-01", "cili");  /* day 1: week 1 */
    add_trip(f->s, "w2", "2026-01-08", "cili");  /* day 8: week 2 */
    add_trip(f->s, "w9", "2026-03-01", "cili");  /* day 60: week 9 */
    add_trip(f->s, "late", "2026-12-31", "cili"); /* day 365: week 53 */
    ACCEPTED(headcount(f->s, "team-07", mid(1), "w1", 10), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "w2", 5), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(3), "w9", 7), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(4), "late", 100), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(5), "w2", "dr-wang", "doctor"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(6), "w1", "dr-wang", "doctor"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(7), "w9", "nurse-li", "nurse"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(8), "w1", "driver", "support"), 2026);
    struct targets tg = {.staff = 500, .consultations = 50000};
    struct odate day64 = {2026, 3, 5};
    cJSON *o = progress_series_json(f->s, 2026, &tg, day64, NOW);
    assert_non_null(o);
    cJSON *weeks = cJSON_GetObjectItemCaseSensitive(o, "weeks");
    assert_int_equal(cJSON_GetArraySize(weeks), 10); /* day 64 is in week 10 */
    char *w = cJSON_PrintUnformatted(cJSON_GetArrayItem(weeks, 0));
    assert_string_equal(w, "{\"week\":1,\"start\":\"2026-01-01\",\"end\":\"2026-01-07\",\"day\":7,"
                           "\"consultations\":10,\"staff\":1}");
    free(w);
    w = cJSON_PrintUnformatted(cJSON_GetArrayItem(weeks, 1));
    assert_string_equal(w, "{\"week\":2,\"start\":\"2026-01-08\",\"end\":\"2026-01-14\",\"day\":14,"
                           "\"consultations\":15,\"staff\":1}");
    free(w);
    w = cJSON_PrintUnformatted(cJSON_GetArrayItem(weeks, 9));
    assert_string_equal(w, "{\"week\":10,\"start\":\"2026-03-05\",\"end\":\"2026-03-11\",\"day\":70,"
                           "\"consultations\":22,\"staff\":2}");
    free(w);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(o, "days_in_year")->valueint, 365);
    cJSON_Delete(o);

    /* a year that is over: all 53 weeks, the last one day long */
    struct odate next_year = {2027, 2, 1};
    o = progress_series_json(f->s, 2026, &tg, next_year, NOW);
    weeks = cJSON_GetObjectItemCaseSensitive(o, "weeks");
    assert_int_equal(cJSON_GetArraySize(weeks), 53);
    w = cJSON_PrintUnformatted(cJSON_GetArrayItem(weeks, 52));
    assert_string_equal(w, "{\"week\":53,\"start\":\"2026-12-31\",\"end\":\"2026-12-31\",\"day\":365,"
                           "\"consultations\":122,\"staff\":2}");
    free(w);
    cJSON_Delete(o);
    /* a year not begun: no weeks */
    struct odate before = {2025, 12, 1};
    o = progress_series_json(f->s, 2026, &tg, before, NOW);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "weeks")), 0);
    cJSON_Delete(o);
}

static void test_corrupt_pages(void **state)
{
    struct fixture *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    char payload[1500];
    memset(payload, 'p', sizeof payload);
    assert_int_equal(store_begin(f->s), OERR_OK);
    for (int i = 0; i < 200; i++)
        assert_int_equal(store_keep_reject(f->s, NOW, "t", "team-07", NULL, RJ_SCHEMA, "r",
                                           payload, sizeof payload, 100000),
                         OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    for (int i = 0; i < 50; i++)
        ACCEPTED(headcount(f->s, "team-07", mid(i + 1), "t1", 1), 2026);
    store_close(f->s);
    f->s = NULL;

    FILE *fp = fopen(f->path, "r+b");
    assert_non_null(fp);
    unsigned char hdr[100];
    assert_int_equal(fread(hdr, 1, sizeof hdr, fp), sizeof hdr);
    assert_memory_equal(hdr, "SQLite format 3", 16);
    long page = (hdr[16] << 8) | hdr[17];
    if (page == 1)
        page = 65536;
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    long pages = size / page;
    assert_true(pages >= 10);
    /* garbage over whole pages in the middle of the file */
    unsigned x = 42;
    unsigned char *junk = malloc((size_t)page);
    for (long i = 0; i < page; i++)
        junk[i] = (unsigned char)lcg(&x);
    for (long p = pages / 3; p < pages / 3 + 3; p++) {
        fseek(fp, p * page, SEEK_SET);
        assert_int_equal(fwrite(junk, 1, (size_t)page, fp), (size_t)page);
    }
    free(junk);
    fclose(fp);
    expect_corrupt(f->path, __LINE__);
}

static void test_corrupt_random_with_header(void **state)
{
    struct fixture *f = *state;
    char path[160];
    unsigned x = 7;
    unsigned char data[4 * 4096];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)lcg(&x);

    /* only the 16-byte magic, then random bytes */
    memcpy(data, "SQLite format 3", 16);
    snprintf(path, sizeof path, "%s/random1.db", f->dir);
    write_file(path, data, sizeof data);
    expect_corrupt(path, __LINE__);

    /* a real 100-byte header (page size 4096, 4 pages), then random bytes */
    FILE *fp = fopen(f->path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(data, 1, 100, fp), 100);
    fclose(fp);
    data[16] = 0x10;
    data[17] = 0x00;
    data[28] = data[29] = data[30] = 0;
    data[31] = 4;
    snprintf(path, sizeof path, "%s/random2.db", f->dir);
    write_file(path, data, sizeof data);
    expect_corrupt(path, __LINE__);

    /* not a database at all */
    snprintf(path, sizeof path, "%s/text.db", f->dir);
    const char *text = "this is a text file, not a database\n";
    unsigned char big[8192];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (unsigned char)text[i % strlen(text)];
    write_file(path, big, sizeof big);
    expect_corrupt(path, __LINE__);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_fresh),
        T(test_duplicate),
        T(test_unknown_and_cancelled_trip),
        T(test_rejection_is_final),
        T(test_void_names_target_trip),
        T(test_void),
        T(test_void_before_target),
        T(test_void_pending_other_agent),
        T(test_void_pending_twice),
        T(test_void_of_refused),
        T(test_void_pending_names_void),
        T(test_void_pending_old_store),
        T(test_staff),
        T(test_year_of_trip),
        T(test_county_filter),
        T(test_rejects_cap),
        T(test_replies),
        T(test_trip_status),
        T(test_trip_card),
        T(test_reopen),
        T(test_running_totals),
        T(test_export_csv),
        T(test_progress_json),
        T(test_series_json),
        T(test_corrupt_pages),
        T(test_corrupt_random_with_header),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
