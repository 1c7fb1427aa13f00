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

#include "unit_store.h"

#include <cjson/cJSON.h>

#include "progress_json.h"
#include "report.h"
#include "request.h"
#include "store.h"
#include "tripcard.h"

#define NOW UNIT_STORE_NOW

/* ---- putting reports in with the plain operations -------------------------- */

/* Keeps one report (fields: the kind's part of the JSON) and counts it. */
static void put_at(struct store *s, const char *agent, const char *msg_id, const char *trip,
                   const char *recorded_at, const char *kind, const char *fields)
{
    char buf[2048];
    struct report r;
    unit_report(&r, buf, sizeof buf, agent, msg_id, trip, recorded_at, kind, fields);
    assert_int_equal(store_begin(s), OERR_OK);
    if (store_report_insert(s, &r, NOW, NULL))
        fail_msg("store_report_insert %s: %s", msg_id, store_errmsg(s));
    if (store_report_count(s, msg_id, 1)) /* a void: nothing */
        fail_msg("store_report_count %s: %s", msg_id, store_errmsg(s));
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
}

static void put(struct store *s, const char *agent, const char *msg_id, const char *trip,
                const char *kind, const char *fields)
{
    put_at(s, agent, msg_id, trip, "2026-11-22T09:31:05+08:00", kind, fields);
}

static void headcount(struct store *s, const char *msg_id, const char *trip, int n)
{
    char f[128];
    snprintf(f, sizeof f, "\"department\":\"internal\",\"consultations\":%d", n);
    put(s, "team-07", msg_id, trip, "headcount", f);
}

static void checkin(struct store *s, const char *msg_id, const char *trip, const char *staff,
                    const char *role)
{
    char f[256];
    snprintf(f, sizeof f, "\"staff_id\":\"%s\",\"role\":\"%s\"", staff, role);
    put(s, "team-07", msg_id, trip, "checkin", f);
}

/* Keeps the void msg_id of target, and takes target out of the totals. */
static void void_of(struct store *s, const char *msg_id, const char *trip, const char *target)
{
    char f[256];
    snprintf(f, sizeof f, "\"voids\":\"%s\",\"reason\":\"entered twice\"", target);
    put(s, "team-07", msg_id, trip, "void", f);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_report_count(s, target, -1), OERR_OK);
    assert_int_equal(store_report_void(s, target, msg_id), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

/* ---- tests --------------------------------------------------------------- */

static int count_years(void *ctx, int year)
{
    (*(int *)ctx)++;
    return 0;
}

static void test_open_fresh(void **state)
{
    struct filestore *f = *state;
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
    headcount(m, mid(1), "mem-1", 5);
    assert_int_equal(totals_of(m, 2026, NULL, NULL).consultations, 5);
    store_close(m);
}

/* ---- the plain report operations ----------------------------------------- */

static struct msg_record found(struct store *s, int n)
{
    struct msg_record m;
    assert_int_equal(store_msg_find(s, mid(n), &m), OERR_OK);
    return m;
}

/* What store_msg_find sees after each operation; the running totals follow
 * store_report_count only, and store_totals_rebuild agrees with them. */
static void test_report_ops(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    struct msg_record m = found(f->s, 1);
    assert_false(m.stored);
    assert_false(m.refused);

    headcount(f->s, mid(1), "t1", 12);
    m = found(f->s, 1);
    assert_true(m.stored);
    assert_string_equal(m.agent_id, "team-07");
    assert_int_equal(m.kind, RK_HEADCOUNT);
    assert_string_equal(m.trip_id, "t1");
    assert_string_equal(m.voided_by, "");
    assert_false(m.refused);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 12);

    void_of(f->s, mid(2), "t1", mid(1));
    assert_string_equal(found(f->s, 1).voided_by, mid(2));
    assert_int_equal(found(f->s, 2).kind, RK_VOID);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);

    /* kept already voided, and not counted */
    char buf[2048];
    struct report r;
    unit_report(&r, buf, sizeof buf, "team-07", mid(3), "t1", "2026-11-22T09:31:05+08:00",
                "headcount", "\"department\":\"internal\",\"consultations\":7");
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(store_report_insert(f->s, &r, NOW, mid(4)), OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    report_free(&r);
    assert_string_equal(found(f->s, 3).voided_by, mid(4));

    /* a final refusal: the first one of a msg_id stays */
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(store_refusal_put(f->s, mid(5), "team-07", RJ_UNKNOWN_TRIP, "no trip x"),
                     OERR_OK);
    assert_int_equal(store_refusal_put(f->s, mid(5), "team-08", RJ_VOID_TARGET, "other"),
                     OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    m = found(f->s, 5);
    assert_false(m.stored);
    assert_true(m.refused);
    assert_string_equal(m.refused_agent, "team-07");
    assert_int_equal(m.code, RJ_UNKNOWN_TRIP);
    assert_string_equal(m.reason, "no trip x");
    /* the same msg_id kept for another agent: both are seen */
    put(f->s, "team-08", mid(5), "t1", "headcount",
        "\"department\":\"internal\",\"consultations\":5");
    m = found(f->s, 5);
    assert_true(m.stored);
    assert_string_equal(m.agent_id, "team-08");
    assert_true(m.refused);
    assert_string_equal(m.refused_agent, "team-07");

    /* a void waiting for its target, per agent */
    char v[UUID_LEN + 1] = "";
    assert_int_equal(store_pending_void_find(f->s, "team-07", mid(9), v), OERR_NOTFOUND);
    assert_int_equal(store_pending_void_take(f->s, "team-07", mid(9), v), OERR_NOTFOUND);
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(store_pending_void_put(f->s, "team-07", mid(9), mid(8)), OERR_OK);
    assert_int_equal(store_pending_void_find(f->s, "team-07", mid(9), v), OERR_OK);
    assert_string_equal(v, mid(8));
    assert_int_equal(store_pending_void_find(f->s, "team-08", mid(9), v), OERR_NOTFOUND);
    memset(v, 0, sizeof v);
    assert_int_equal(store_pending_void_take(f->s, "team-07", mid(9), v), OERR_OK);
    assert_string_equal(v, mid(8));
    assert_int_equal(store_pending_void_take(f->s, "team-07", mid(9), v), OERR_NOTFOUND);
    assert_int_equal(store_pending_void_find(f->s, "team-07", mid(9), v), OERR_NOTFOUND);
    assert_int_equal(store_commit(f->s), OERR_OK);

    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
}

/* Closes the store and runs sql on its file (or PostgreSQL database), as
 * another program would. */
static void closed_exec(struct filestore *f, const char *sql)
{
    store_close(f->s);
    f->s = NULL;
    if (unit_store_pg()) {
        char err[256] = "";
        struct sqldb *pg = sqldb_open_pg(f->path, err);
        assert_non_null(pg);
        assert_int_equal(sqldb_exec(pg, sql), 0);
        sqldb_close(pg);
        return;
    }
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* Drops the running totals and reopens: they are rebuilt from the reports. */
static void reopen_rebuilt(struct filestore *f)
{
    closed_exec(f, "DELETE FROM trip_totals; DELETE FROM meta WHERE key = 'trip_totals'");
    filestore_reopen(f);
    if (unit_store_pg()) /* its open does not look: the rebuild does it */
        assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
}

/* A store written before pending voids existed gets the table on open; a
 * pending void survives closing and reopening. */
static void test_void_pending_old_store(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    store_close(f->s);
    f->s = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE pending_voids", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256] = "";
    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(store_pending_void_put(f->s, "team-07", mid(1), mid(2)), OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    filestore_reopen(f);
    char v[UUID_LEN + 1] = "";
    assert_int_equal(store_pending_void_take(f->s, "team-07", mid(1), v), OERR_OK);
    assert_string_equal(v, mid(2));
}

static void test_staff(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-03-01", "cili");
    add_trip(f->s, "t2", "2026-09-01", "cili");
    add_trip(f->s, "t-2027", "2027-01-10", "cili");
    checkin(f->s, mid(1), "t1", "dr-wang", "doctor");
    checkin(f->s, mid(2), "t2", "dr-wang", "doctor");
    checkin(f->s, mid(3), "t1", "dr-wang", "doctor");
    checkin(f->s, mid(4), "t1", "driver-zhao", "support");
    checkin(f->s, mid(5), "t1", "nurse-li", "nurse");
    checkin(f->s, mid(6), "t-2027", "dr-chen", "pharmacist");
    checkin(f->s, mid(7), "t-2027", "dr-wang", "doctor");
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.staff, 2);    /* dr-wang, nurse-li */
    assert_int_equal(t.checkins, 5);
    t = totals_of(f->s, 2027, NULL, NULL);
    assert_int_equal(t.staff, 2);    /* dr-chen, dr-wang */
    t = totals_of(f->s, 0, NULL, "t2");
    assert_int_equal(t.staff, 1);
    /* someone who was support on one trip and a doctor on another counts once */
    checkin(f->s, mid(8), "t2", "driver-zhao", "technician");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).staff, 3);
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
    struct filestore *f = *state;
    add_trip(f->s, "a1", "2026-04-01", "xiuwu");
    add_trip(f->s, "a2", "2026-06-01", "xiuwu");
    add_trip(f->s, "b1", "2026-05-01", "cili");
    add_trip(f->s, "c1", "2025-05-01", "other");
    headcount(f->s, mid(1), "a1", 5);
    headcount(f->s, mid(2), "a2", 6);
    headcount(f->s, mid(3), "b1", 7);
    headcount(f->s, mid(4), "c1", 100);
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
    struct filestore *f = *state;
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
    struct filestore *f = *state;
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
    struct filestore *f = *state;
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
    struct filestore *f = *state;
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
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-05-02", "cili");
    headcount(f->s, mid(1), "t1", 12);
    headcount(f->s, mid(2), "t1", 3);
    void_of(f->s, mid(3), "t1", mid(2));
    checkin(f->s, mid(4), "t1", "dr-wang", "doctor");
    assert_int_equal(set_status(f->s, "t2", "cancelled"), OERR_OK);
    assert_int_equal(store_reply_put(f->s, "admin", "admin", "r1", "{\"ok\":true}", NOW), OERR_OK);
    assert_int_equal(store_keep_reject(f->s, NOW, "t", "team-07", NULL, RJ_MALFORMED, "x", "x",
                                       1, 10),
                     OERR_OK);
    filestore_reopen(f);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.staff, 1);
    assert_int_equal(t.trips_planned, 1);
    assert_int_equal(t.trips_cancelled, 1);
    assert_string_equal(found(f->s, 1).voided_by, "");
    assert_string_equal(found(f->s, 2).voided_by, mid(3));
    assert_true(found(f->s, 4).stored);
    char *r = store_reply_get(f->s, "admin", "admin", "r1");
    assert_non_null(r);
    assert_string_equal(r, "{\"ok\":true}");
    free(r);
    assert_int_equal(store_rejects_count(f->s), 1);
}

/* Opened by root (`sudo outreach-coordinator rebuild`) on a store that
 * belongs to the daemon's account, the -lock file goes to the store's owner
 * (as SQLite's -wal and -shm do), whether root makes it or finds it root's:
 * the daemon can open it afterwards. */
static void test_lock_owner(void **state)
{
    struct filestore *f = *state;
    if (geteuid() != 0)
        skip(); /* only root can give a file away */
    char lock[160];
    snprintf(lock, sizeof lock, "%s-lock", f->path);
    store_close(f->s);
    f->s = NULL;
    const uid_t owner = 65534;
    const gid_t group = 65533;
    assert_int_equal(chown(f->path, owner, group), 0);
    struct stat st;
    for (int made = 0; made < 2; made++) {
        if (made)
            assert_int_equal(chown(lock, 0, 0), 0); /* left by an older rebuild */
        else
            assert_int_equal(unlink(lock), 0);
        filestore_reopen(f);
        assert_int_equal(stat(lock, &st), 0);
        assert_int_equal(st.st_uid, owner);
        assert_int_equal(st.st_gid, group);
        assert_int_equal(st.st_mode & 0777, 0600);
        store_close(f->s);
        f->s = NULL;
    }
    filestore_reopen(f);
}

/* A store from before trip_totals.staff_checkins gets the column (0 on
 * every trip) and its staff figures rebuilt once at the open that adds it:
 * said at info, not as the warning about an older coordinator writing the
 * store, which it did not. */
static void test_staff_column_added(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-05-02", "sangzhi");
    checkin(f->s, mid(1), "t1", "dr-wang", "doctor");
    checkin(f->s, mid(2), "t2", "dr-wang", "doctor");
    checkin(f->s, mid(3), "t2", "nurse-li", "nurse");
    closed_exec(f, "ALTER TABLE trip_totals DROP COLUMN staff_checkins;"
                   " DELETE FROM year_staff; DELETE FROM county_staff");
    struct log_capture lc;
    log_capture_start(&lc);
    filestore_reopen(f);
    char *log = log_capture_end(&lc);
    char want[256];
    snprintf(want, sizeof want, " info: store %s: staff figures rebuilt once for the new column "
             "in ", f->path);
    const char *said = strstr(log, want);
    if (!said || strstr(said + 1, want) || strstr(log, " warn: "))
        fail_msg("want one line with \"%s\" and no warning; logged: %s", want, log);
    free(log);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.staff, 2);
    assert_int_equal(t.checkins, 3);
    assert_int_equal(totals_of(f->s, 2026, "sangzhi", NULL).staff, 2);
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
    struct filestore *f = *state;
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
            if (ok) { /* intake refuses the others (test_intake) */
                void_of(f->s, mid(i + 1), trip, mid(target + 1));
                m[target].voided = true;
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
            put(f->s, "team-07", mid(i + 1), trip, "headcount", fields);
            break;
        case 1:
            r->a *= 125;
            snprintf(fields, sizeof fields,
                     "\"medicine\":\"amlodipine 5mg\",\"quantity\":3,\"unit\":\"box\","
                     "\"value_fen\":%d", r->a);
            put(f->s, "team-07", mid(i + 1), trip, "dispense", fields);
            break;
        case 2:
            r->a %= 3;
            snprintf(fields, sizeof fields,
                     "\"destination\":\"%s\",\"condition\":\"suspected cataract\","
                     "\"urgency\":\"routine\",\"patient_ref\":\"P-%d\"", dests[r->a], i);
            put(f->s, "team-07", mid(i + 1), trip, "referral", fields);
            break;
        case 3:
            snprintf(fields, sizeof fields, "\"brochures\":%d,\"attendees\":%d,\"talks\":%d",
                     r->a, r->b, r->c);
            put(f->s, "team-07", mid(i + 1), trip, "education", fields);
            break;
        default: {
            r->staff = (int)(rand_r(&seed) % 16);
            r->support = r->staff >= 13; /* the same people always in the same role */
            char staff[32];
            snprintf(staff, sizeof staff, "staff-%02d", r->staff);
            checkin(f->s, mid(i + 1), trip, staff, r->support ? "support" : "nurse");
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
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    put(f->s, "team-07", mid(1), "t1", "dispense",
        "\"medicine\":\"=HYPERLINK(\\\"x\\\")\",\"quantity\":2,\"unit\":\"box, big\","
        "\"value_fen\":1250");
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(store_export_csv(f->s, NULL, fp), OERR_OK);
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

/* The rows an export with filter ef writes, as "trip_id recorded_at" a row,
 * ";"-separated, into out; the header is checked and left out. */
static void export_rows(struct store *s, const struct export_filter *ef, char *out, size_t n)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    assert_int_equal(store_export_csv(s, ef, fp), OERR_OK);
    rewind(fp);
    char line[2048];
    out[0] = '\0';
    assert_non_null(fgets(line, sizeof line, fp));
    assert_int_equal(strncmp(line, "msg_id,agent_id,seq,", 20), 0);
    while (fgets(line, sizeof line, fp)) {
        char *col[11] = {0}, *save = NULL, *p = line;
        for (int i = 0; i < 11 && (col[i] = strtok_r(p, ",", &save)); i++)
            p = NULL;
        assert_non_null(col[10]); /* trip_id is column 4, recorded_at 9 */
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s %s", used ? ";" : "", col[4], col[9]);
    }
    fclose(fp);
}

/* Filters by the trip's year and county and by the day of recorded_at in
 * the coordinator's offset: 23:30 on 31 January at +08:00 is 31 January,
 * 16:30Z that day is 1 February there. */
static void test_export_filtered(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-01-31", "cili");
    add_trip(f->s, "t2", "2026-02-01", "xiuwu");
    add_trip(f->s, "t3", "2025-12-31", "cili");
    static const char *const rows[][2] = {
        {"t1", "2026-01-31T23:30:00+08:00"}, /* 31 January at +08:00 */
        {"t1", "2026-01-31T16:30:00Z"},      /* 1 February, 00:30 */
        {"t2", "2026-02-01T08:00:00+08:00"}, /* 1 February */
        {"t3", "2025-12-31T10:00:00+08:00"}, /* 31 December 2025 */
        {"t2", "2026-02-01T18:00:00-05:00"}, /* 2 February, 07:00 */
    };
    for (int i = 0; i < 5; i++)
        put_at(f->s, "team-07", mid(i + 1), rows[i][0], rows[i][1], "headcount",
               "\"department\":\"internal\",\"consultations\":2");
    static const char t1a[] = "t1 2026-01-31T23:30:00+08:00", t1b[] = "t1 2026-01-31T16:30:00Z",
                      t2a[] = "t2 2026-02-01T08:00:00+08:00", t3[] = "t3 2025-12-31T10:00:00+08:00",
                      t2b[] = "t2 2026-02-01T18:00:00-05:00";
    static const struct {
        struct export_filter ef;
        const char *want[6];
    } cases[] = {
        {{0}, {t1a, t1b, t2a, t3, t2b}},
        {{.year = 2026}, {t1a, t1b, t2a, t2b}},
        {{.county = "cili"}, {t1a, t1b, t3}},
        {{.year = 2026, .county = "cili"}, {t1a, t1b}},
        {{.year = 2027}, {NULL}},
        {{.county = "nowhere"}, {NULL}},
        {{.from = "2026-02-01", .to = "2026-02-01", .offset_min = 480}, {t1b, t2a}},
        {{.from = "2026-02-01", .offset_min = 480}, {t1b, t2a, t2b}},
        {{.to = "2026-01-31", .offset_min = 480}, {t1a, t3}},
        {{.from = "2026-01-31", .to = "2026-01-31", .offset_min = 0}, {t1a, t1b}},
        {{.county = "xiuwu", .from = "2026-02-02", .offset_min = 480}, {t2b}},
        {{.year = 2025, .from = "2026-01-01", .offset_min = 480}, {NULL}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char got[1024], want[1024] = "";
        for (int i = 0; cases[c].want[i]; i++) {
            size_t used = strlen(want);
            snprintf(want + used, sizeof want - used, "%s%s", used ? ";" : "", cases[c].want[i]);
        }
        export_rows(f->s, &cases[c].ef, got, sizeof got);
        if (strcmp(got, want) != 0)
            print_error("case %zu\n", c);
        assert_string_equal(got, want);
    }
}

static void test_progress_json(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "xiuwu");
    add_trip(f->s, "t2", "2026-06-01", "cili");
    headcount(f->s, mid(1), "t1", 300);
    headcount(f->s, mid(2), "t2", 65);
    checkin(f->s, mid(3), "t1", "dr-wang", "doctor");
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

static int count_problem(void *ctx, const char *problem)
{
    (void)problem;
    ++*(int *)ctx;
    return 0;
}

/* A file damaged where every open looks: store_open and store_open_read
 * refuse it, and so does the full check. */
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
    err[0] = '\0';
    e = store_open_read(path, &s, err);
    if (e != OERR_CORRUPT) {
        store_close(s);
        fail_msg("line %d: store_open_read of a damaged file: %s (%s), want %s", line,
                 oerr_str(e), err, oerr_str(OERR_CORRUPT));
    }
    assert_null(s);
    assert_true(err[0] != '\0');
    int problems = 0;
    err[0] = '\0';
    e = store_check(path, false, count_problem, &problems, err);
    if (e != OERR_CORRUPT)
        fail_msg("line %d: store_check of a damaged file: %s (%s), want %s", line, oerr_str(e),
                 err, oerr_str(OERR_CORRUPT));
    assert_true(err[0] != '\0');
}

/* The weekly series: cumulative by the trips' dates through today's week; a
 * person counts from the week of their first check-in; support never. */
static void test_series_json(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "w1", "2026-01-01", "cili");  /* day 1: week 1 */
    add_trip(f->s, "w2", "2026-01-08", "cili");  /* day 8: week 2 */
    add_trip(f->s, "w9", "2026-03-01", "cili");  /* day 60: week 9 */
    add_trip(f->s, "late", "2026-12-31", "cili"); /* day 365: week 53 */
    headcount(f->s, mid(1), "w1", 10);
    headcount(f->s, mid(2), "w2", 5);
    headcount(f->s, mid(3), "w9", 7);
    headcount(f->s, mid(4), "late", 100);
    checkin(f->s, mid(5), "w2", "dr-wang", "doctor");
    checkin(f->s, mid(6), "w1", "dr-wang", "doctor");
    checkin(f->s, mid(7), "w9", "nurse-li", "nurse");
    checkin(f->s, mid(8), "w1", "driver", "support");
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

/* The pages of table name (its B-tree pages and overflow pages), from dbstat. */
static int table_pages(const char *path, const char *name, long pages[], int max)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = ?1"
                                            " ORDER BY pageno", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int n = 0;
    while (n < max && sqlite3_step(st) == SQLITE_ROW)
        pages[n++] = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Garbage over page number pageno (from 1) of the file. */
static void trash_page(const char *path, long pageno)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    unsigned char junk[4096];
    unsigned x = (unsigned)pageno;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)lcg(&x);
    assert_int_equal(fseek(fp, (pageno - 1) * 4096L, SEEK_SET), 0);
    assert_int_equal(fwrite(junk, 1, sizeof junk, fp), sizeof junk);
    assert_int_equal(fclose(fp), 0);
}

/* The lines of store_check's problems, joined by '|'. */
static int join_problem(void *ctx, const char *problem)
{
    char *buf = ctx;
    size_t used = strlen(buf);
    snprintf(buf + used, 4096 - used, "%s%s", used ? "|" : "", problem);
    return 0;
}

/* Damage in a table that grows with the reports (here refused messages)
 * does not stop an open: opening costs the same whatever the store's size.
 * The full check (outreach-coordinator check) finds it, page by page. */
static void test_corrupt_big_table(void **state)
{
    struct filestore *f = *state;
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
        headcount(f->s, mid(i + 1), "t1", 1);
    store_close(f->s);
    f->s = NULL;
    char err[256] = "", problems[4096] = "";
    assert_int_equal(store_check(f->path, false, join_problem, problems, err), OERR_OK);
    assert_string_equal(problems, "");

    long pages[200];
    int n = table_pages(f->path, "rejects", pages, 200);
    assert_true(n >= 10);
    /* three leaf pages in the middle of the table (not its root, pages[0]) */
    long bad[3] = {pages[n / 2], pages[n / 2 + 1], pages[n / 2 + 2]};
    for (int i = 0; i < 3; i++)
        trash_page(f->path, bad[i]);

    assert_int_equal(store_open(f->path, &f->s, err), OERR_OK);
    struct totals t;
    struct totals_filter tf = {.trip_id = "t1"};
    assert_int_equal(store_totals(f->s, &tf, &t), OERR_OK);
    assert_int_equal(t.consultations, 50); /* the small tables are still read */
    store_close(f->s);
    f->s = NULL;
    struct store *r = NULL;
    assert_int_equal(store_open_read(f->path, &r, err), OERR_OK);
    store_close(r);

    for (int quick = 0; quick < 2; quick++) {
        problems[0] = err[0] = '\0';
        assert_int_equal(store_check(f->path, quick, join_problem, problems, err),
                         OERR_CORRUPT);
        char want[512];
        snprintf(want, sizeof want, "*** in database main ***\nPage %ld: btreeInitPage() "
                 "returns error code 11\nPage %ld: btreeInitPage() returns error code 11\n"
                 "Page %ld: btreeInitPage() returns error code 11", bad[2], bad[1], bad[0]);
        assert_true(strstr(problems, want) == problems);
        assert_true(err[0] != '\0');
    }
}

/* Damage in a small table (the running totals) is found at every open. */
static void test_corrupt_small_table(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    for (int i = 0; i < 5; i++)
        headcount(f->s, mid(i + 1), "t1", 1);
    store_close(f->s);
    f->s = NULL;
    long root[4];
    assert_int_equal(table_pages(f->path, "trip_totals", root, 4), 1);
    trash_page(f->path, root[0]);
    char err[256] = "", want[512];
    assert_int_equal(store_open(f->path, &f->s, err), OERR_CORRUPT);
    assert_null(f->s);
    snprintf(want, sizeof want, "store %s is damaged (table trip_totals: Page %ld: "
             "btreeInitPage() returns error code 11); run 'outreach-coordinator check --db %s'",
             f->path, root[0], f->path);
    assert_string_equal(err, want);
    expect_corrupt(f->path, __LINE__);
}

static void test_corrupt_random_with_header(void **state)
{
    struct filestore *f = *state;
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
#define T(fn) cmocka_unit_test_setup_teardown(fn, filestore_setup, filestore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_report_ops),
        T(test_staff),
        T(test_county_filter),
        T(test_rejects_cap),
        T(test_replies),
        T(test_trip_status),
        T(test_trip_card),
        T(test_reopen),
        T(test_running_totals),
        T(test_export_csv),
        T(test_export_filtered),
        T(test_progress_json),
        T(test_series_json),
    };
    /* SQLite's file: its mode, its lock, its damage, stores of older layouts */
    const struct CMUnitTest sqlite_file[] = {
        T(test_open_fresh),
        T(test_void_pending_old_store),
        T(test_staff_column_added),
        T(test_lock_owner),
        T(test_corrupt_big_table),
        T(test_corrupt_small_table),
        T(test_corrupt_random_with_header),
    };
#undef T
    if (unit_store_pg())
        return cmocka_run_group_tests_name("store on PostgreSQL", tests, NULL, NULL);
    return cmocka_run_group_tests_name("store", tests, NULL, NULL) +
           cmocka_run_group_tests_name("store: SQLite's file", sqlite_file, NULL, NULL);
}
