/* test_outbox.c -- the field agent's outbox on real SQLite files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <unistd.h>
#include <time.h>

#include <cmocka.h>

#include "unit_outbox.h"

#include <cjson/cJSON.h>

#include "ids.h"
#include "report.h"
#include "tripcards.h"

#define AGENT UNIT_OUTBOX_AGENT
#define TS "2026-11-22T09:31:05+08:00"

static cJSON *headcount_fields(int n)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "department", "internal");
    cJSON_AddNumberToObject(o, "consultations", n);
    return o;
}

/* Pushes a headcount; the entry's payload is freed here. Returns its seq. */
static long long push(struct outbox *ob, int n, char msg_id[UUID_LEN + 1])
{
    cJSON *fields = headcount_fields(n);
    struct outbox_entry e;
    oerr_t rc = outbox_push(ob, "headcount", "2026-zjj-014", fields, TS, NULL, NULL, &e);
    cJSON_Delete(fields);
    assert_int_equal(rc, OERR_OK);
    if (msg_id)
        memcpy(msg_id, e.msg_id, UUID_LEN + 1);
    long long seq = e.seq;
    outbox_entry_clear(&e);
    return seq;
}

static struct outbox_counts counts(struct outbox *ob)
{
    struct outbox_counts c;
    assert_int_equal(outbox_counts(ob, &c), OERR_OK);
    return c;
}

/* msg_ids are version 7 (RFC 9562): the Unix time in ms in the first 48 bits,
 * version and variant bits, random elsewhere; ids made in later ms sort later. */
static void test_msg_id_time_ordered(void **state)
{
    (void)state;
    char prev[UUID_LEN + 1] = "";
    for (int i = 0; i < 50; i++) {
        struct timespec t0, t1;
        char id[UUID_LEN + 1];
        clock_gettime(CLOCK_REALTIME, &t0);
        assert_int_equal(id_new_msg_id(id), 0);
        clock_gettime(CLOCK_REALTIME, &t1);
        assert_true(id_is_uuid(id));
        assert_int_equal(id[14], '7');
        assert_true(strchr("89ab", id[19]) != NULL);
        char hex[13];
        memcpy(hex, id, 8);
        memcpy(hex + 8, id + 9, 4);
        hex[12] = '\0';
        unsigned long long ms = strtoull(hex, NULL, 16);
        unsigned long long lo = (unsigned long long)t0.tv_sec * 1000 +
                                (unsigned long long)t0.tv_nsec / 1000000;
        unsigned long long hi = (unsigned long long)t1.tv_sec * 1000 +
                                (unsigned long long)t1.tv_nsec / 1000000;
        assert_true(ms >= lo && ms <= hi);
        if (prev[0])
            assert_true(strcmp(prev, id) < 0); /* 2 ms apart (below) */
        memcpy(prev, id, sizeof prev);
        nanosleep(&(struct timespec){0, 2000000L}, NULL);
    }
}

static void test_push(void **state)
{
    struct outbox_fixture *f = *state;
    char ids[3][UUID_LEN + 1];
    for (int i = 0; i < 3; i++) {
        cJSON *fields = headcount_fields(10 + i);
        char *before = cJSON_PrintUnformatted(fields);
        struct outbox_entry e;
        assert_int_equal(outbox_push(f->ob, "headcount", "2026-zjj-014", fields, TS, NULL, NULL,
                                     &e),
                         OERR_OK);
        /* the fields are not modified */
        char *after = cJSON_PrintUnformatted(fields);
        assert_string_equal(before, after);
        free(before);
        free(after);
        cJSON_Delete(fields);

        assert_int_equal(e.seq, i + 1);
        assert_true(id_is_uuid(e.msg_id));
        assert_int_equal(e.msg_id[14], '7'); /* time-ordered: id_new_msg_id */
        assert_string_equal(e.kind, "headcount");
        assert_string_equal(e.trip_id, "2026-zjj-014");
        assert_string_equal(e.state, "pending");
        memcpy(ids[i], e.msg_id, sizeof ids[i]);

        /* the payload carries them, and is a valid report of the contract */
        cJSON *p = cJSON_Parse(e.payload);
        assert_non_null(p);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "msg_id")->valuestring, e.msg_id);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "agent_id")->valuestring, AGENT);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(p, "seq")->valueint, i + 1);
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "trip_id")->valuestring,
                            "2026-zjj-014");
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(p, "recorded_at")->valuestring, TS);
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(p, "consultations")->valueint, 10 + i);
        cJSON_Delete(p);
        struct report r;
        struct jerr err = {{0}};
        enum reject_code c = report_decode(AGENT, "headcount", e.payload, strlen(e.payload), &r,
                                           &err);
        report_free(&r);
        if (c != RJ_NONE)
            fail_msg("outbox payload refused: %s (%s)", reject_code_str(c), err.msg);
        outbox_entry_clear(&e);
        assert_null(e.payload);
    }
    assert_string_not_equal(ids[0], ids[1]);
    assert_string_not_equal(ids[1], ids[2]);
    assert_string_not_equal(ids[0], ids[2]);

    struct outbox_counts c = counts(f->ob);
    assert_int_equal(c.pending, 3);
    assert_int_equal(c.sent, 0);
    assert_int_equal(c.last_seq, 3);

    struct outbox_entry g;
    assert_int_equal(outbox_get(f->ob, ids[1], &g), OERR_OK);
    assert_int_equal(g.seq, 2);
    assert_string_equal(g.state, "pending");
    assert_int_equal(g.attempts, 0);
    assert_non_null(strstr(g.payload, ids[1]));
    outbox_entry_clear(&g);
    assert_int_equal(outbox_get(f->ob, "00000000-0000-4000-8000-000000000000", &g),
                     OERR_NOTFOUND);
}

static void test_other_agent_refused(void **state)
{
    struct outbox_fixture *f = *state;
    push(f->ob, 5, NULL);
    push(f->ob, 6, NULL);
    outbox_close(f->ob);
    f->ob = NULL;

    struct outbox *other = NULL;
    char err[256] = "";
    assert_int_equal(outbox_open(f->path, "team-08", &other, err), OERR_CONFIG);
    assert_null(other);
    assert_non_null(strstr(err, "team-07"));
    assert_non_null(strstr(err, "team-08"));

    /* the owner reopens it: everything is there, seqs go on */
    assert_int_equal(outbox_open(f->path, AGENT, &f->ob, err), OERR_OK);
    struct outbox_counts c = counts(f->ob);
    assert_int_equal(c.pending, 2);
    assert_int_equal(c.last_seq, 2);
    assert_int_equal(push(f->ob, 7, NULL), 3);
}

static void test_marks(void **state)
{
    struct outbox_fixture *f = *state;
    char a[UUID_LEN + 1], b[UUID_LEN + 1], c_[UUID_LEN + 1], d[UUID_LEN + 1];
    push(f->ob, 1, a);
    push(f->ob, 2, b);
    push(f->ob, 3, c_);
    push(f->ob, 4, d);

    assert_int_equal(outbox_mark_sent(f->ob, a, TS), OERR_OK);
    assert_int_equal(outbox_mark_sent(f->ob, a, TS), OERR_OK);
    assert_int_equal(outbox_mark_sent(f->ob, b, TS), OERR_OK);
    struct outbox_entry e;
    assert_int_equal(outbox_get(f->ob, a, &e), OERR_OK);
    assert_string_equal(e.state, "sent");
    assert_int_equal(e.attempts, 2);
    outbox_entry_clear(&e);
    struct outbox_counts c = counts(f->ob);
    assert_int_equal(c.pending, 2);
    assert_int_equal(c.sent, 2);

    /* a: accepted, then a late rejection changes nothing */
    int changed = -1;
    assert_int_equal(outbox_mark_acked(f->ob, a, "accepted", TS, &changed), OERR_OK);
    assert_int_equal(changed, 1);
    changed = -1;
    assert_int_equal(outbox_mark_rejected(f->ob, a, "schema", "late", TS, &changed), OERR_OK);
    assert_int_equal(changed, 0);
    changed = -1;
    assert_int_equal(outbox_mark_acked(f->ob, a, "duplicate", TS, &changed), OERR_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(outbox_get(f->ob, a, &e), OERR_OK);
    assert_string_equal(e.state, "acked");
    assert_string_equal(e.ack_status, "accepted");
    assert_string_equal(e.code, "");
    outbox_entry_clear(&e);
    /* marking an answered entry sent does not reopen it */
    assert_int_equal(outbox_mark_sent(f->ob, a, TS), OERR_OK);
    assert_int_equal(outbox_get(f->ob, a, &e), OERR_OK);
    assert_string_equal(e.state, "acked");
    outbox_entry_clear(&e);

    /* b: rejected (from sent), then an ack changes nothing */
    assert_int_equal(outbox_mark_rejected(f->ob, b, "unknown_trip", "no trip 2026-zjj-014", TS,
                                          &changed),
                     OERR_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(outbox_mark_acked(f->ob, b, "accepted", TS, &changed), OERR_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(outbox_get(f->ob, b, &e), OERR_OK);
    assert_string_equal(e.state, "rejected");
    assert_string_equal(e.code, "unknown_trip");
    assert_string_equal(e.reason, "no trip 2026-zjj-014");
    outbox_entry_clear(&e);

    /* d: acked as duplicate straight from pending */
    assert_int_equal(outbox_mark_acked(f->ob, d, "duplicate", TS, &changed), OERR_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(outbox_get(f->ob, d, &e), OERR_OK);
    assert_string_equal(e.ack_status, "duplicate");
    outbox_entry_clear(&e);

    /* an unknown msg_id changes nothing */
    assert_int_equal(outbox_mark_acked(f->ob, "00000000-0000-4000-8000-000000000000", "accepted",
                                       TS, &changed),
                     OERR_OK);
    assert_int_equal(changed, 0);

    c = counts(f->ob);
    assert_int_equal(c.pending, 1);
    assert_int_equal(c.sent, 0);
    assert_int_equal(c.acked, 2);
    assert_int_equal(c.rejected, 1);
    assert_int_equal(c.last_seq, 4);

    struct outbox_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(outbox_list(f->ob, "acked", 100, &list, &n), OERR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].seq, 1);
    assert_int_equal(list[1].seq, 4);
    outbox_entries_free(list, n);
    assert_int_equal(outbox_list(f->ob, NULL, 100, &list, &n), OERR_OK);
    assert_int_equal(n, 4);
    outbox_entries_free(list, n);
}

static void test_unanswered_order(void **state)
{
    struct outbox_fixture *f = *state;
    char ids[6][UUID_LEN + 1];
    for (int i = 0; i < 6; i++)
        push(f->ob, i + 1, ids[i]);
    /* 1 acked, 3 rejected, 2 and 5 sent, 4 and 6 pending */
    assert_int_equal(outbox_tx_begin(f->ob), OERR_OK);
    assert_int_equal(outbox_mark_sent(f->ob, ids[4], TS), OERR_OK);
    assert_int_equal(outbox_mark_sent(f->ob, ids[1], TS), OERR_OK);
    assert_int_equal(outbox_mark_acked(f->ob, ids[0], "accepted", TS, NULL), OERR_OK);
    assert_int_equal(outbox_mark_rejected(f->ob, ids[2], "schema", "x", TS, NULL), OERR_OK);
    assert_int_equal(outbox_tx_commit(f->ob), OERR_OK);

    struct outbox_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(outbox_unanswered(f->ob, 100, &list, &n), OERR_OK);
    assert_int_equal(n, 4);
    static const long long want[] = {2, 4, 5, 6};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(list[i].seq, want[i]);
        assert_string_equal(list[i].msg_id, ids[want[i] - 1]);
        assert_non_null(list[i].payload);
    }
    assert_string_equal(list[0].state, "sent");
    assert_string_equal(list[1].state, "pending");
    outbox_entries_free(list, n);

    assert_int_equal(outbox_unanswered(f->ob, 2, &list, &n), OERR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].seq, 2);
    assert_int_equal(list[1].seq, 4);
    outbox_entries_free(list, n);
}

struct check_ctx {
    int calls;
    char seen[4096];
    int refuse;
};

static int check_payload(void *ctx, const char *payload)
{
    struct check_ctx *c = ctx;
    c->calls++;
    snprintf(c->seen, sizeof c->seen, "%s", payload);
    return c->refuse;
}

static void test_payload_check(void **state)
{
    struct outbox_fixture *f = *state;
    push(f->ob, 1, NULL);
    struct check_ctx ctx = {.refuse = 1};
    cJSON *fields = headcount_fields(9);
    struct outbox_entry e;
    assert_int_equal(outbox_push(f->ob, "headcount", "t1", fields, TS, check_payload, &ctx, &e),
                     OERR_REJECTED);
    assert_int_equal(ctx.calls, 1);
    assert_non_null(strstr(ctx.seen, "\"seq\":2"));
    assert_non_null(strstr(ctx.seen, "\"consultations\":9"));
    assert_null(e.payload);
    struct outbox_counts c = counts(f->ob);
    assert_int_equal(c.pending, 1);
    assert_int_equal(c.last_seq, 1);

    /* accepted by the check: stored with the next seq, no gap */
    ctx.refuse = 0;
    assert_int_equal(outbox_push(f->ob, "headcount", "t1", fields, TS, check_payload, &ctx, &e),
                     OERR_OK);
    assert_int_equal(ctx.calls, 2);
    assert_int_equal(e.seq, 2);
    assert_string_equal(e.payload, ctx.seen);
    outbox_entry_clear(&e);
    cJSON_Delete(fields);
    c = counts(f->ob);
    assert_int_equal(c.pending, 2);
    assert_int_equal(c.last_seq, 2);
}

#define CARD(id, extra)                                                                   \
    "{\"trip_id\":\"" id "\",\"title\":\"义诊 修武\",\"date\":\"2026-12-01\","             \
    "\"site\":{\"code\":\"xw-01\",\"name\":\"村卫生室\",\"county\":\"xiuwu\","               \
    "\"county_name\":\"修武县\"},\"mode\":\"upper_help\",\"activities\":[\"clinic\"],"      \
    "\"capacity\":{\"doctor\":4}" extra "}"

static int parse(const char *topic_id, const char *payload, struct trip_card *c, struct jerr *err)
{
    return tripcard_parse(topic_id, payload, strlen(payload), c, err);
}

/* Cards are data from outside: each field the device keeps is checked. */
static void test_tripcard_parse(void **state)
{
    struct trip_card c;
    struct jerr err = {{0}};
    assert_int_equal(parse("t-1", CARD("t-1", ",\"status\":\"planned\",\"end_date\":"
                                       "\"2026-12-02\",\"departments\":[\"internal\","
                                       "\"obgyn\"],\"updated_at\":\"" TS "\""), &c, &err), 0);
    assert_string_equal(c.trip_id, "t-1");
    assert_string_equal(c.title, "义诊 修武");
    assert_string_equal(c.end_date, "2026-12-02");
    assert_string_equal(c.county_name, "修武县");
    assert_string_equal(c.site_name, "村卫生室");
    assert_string_equal(c.departments[0], "internal");
    assert_string_equal(c.departments[1], "obgyn");
    assert_null(c.departments[2]);
    assert_string_equal(c.updated_at, TS);
    assert_true(tripcard_on(&c, "2026-12-01"));
    assert_true(tripcard_on(&c, "2026-12-02"));
    assert_false(tripcard_on(&c, "2026-12-03"));
    assert_false(tripcard_on(&c, "2026-11-30"));

    static const struct {
        const char *payload, *want;
    } bad[] = {
        {CARD("t-2", ",\"status\":\"planned\",\"departments\":[]"), "trips/t-1"},
        {CARD("t-1", ",\"status\":\"open\",\"departments\":[]"), "status"},
        {CARD("t-1", ",\"departments\":[]"), "status"},
        {CARD("t-1", ",\"status\":\"planned\""), "departments"},
        {CARD("t-1", ",\"status\":\"planned\",\"departments\":[\"cardiology\"]"),
         "departments"},
        {CARD("t-1", ",\"status\":\"planned\",\"departments\":[\"tcm\",\"tcm\"]"),
         "twice"},
        {CARD("t-1", ",\"status\":\"planned\",\"departments\":[7]"), "departments"},
        {CARD("t-1", ",\"status\":\"planned\",\"departments\":[],\"end_date\":"
                     "\"2026-11-30\""), "end_date"},
        {CARD("t-1", ",\"status\":\"planned\",\"departments\":[],\"updated_at\":\"x\""),
         "updated_at"},
        {"{\"trip_id\":\"t-1\",\"title\":\"x\",\"date\":\"2026-12-01\",\"status\":"
         "\"planned\",\"departments\":[],\"site\":{\"code\":\"a\",\"name\":\"b\","
         "\"county\":\"c\"}}", "site: field 'county_name'"},
        {"{\"trip_id\":\"t-1\",\"title\":\"x\",\"date\":\"2026-12-01\",\"status\":"
         "\"planned\",\"departments\":[],\"site\":7}", "site"},
        {"[1]", "object"},
        {"{\"trip_id\":\"t-1\",\"trip_id\":\"t-1\"}", "trip_id"},
        {"not json", ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        if (parse("t-1", bad[i].payload, &c, &err) != -1)
            fail_msg("card %zu accepted: %s", i, bad[i].payload);
        if (!strstr(err.msg, bad[i].want))
            fail_msg("card %zu: '%s' does not say '%s'", i, err.msg, bad[i].want);
        assert_string_equal(c.trip_id, ""); /* nothing half-filled */
    }
    /* A title of 129 characters is not one. */
    char big[1024];
    char title[200];
    memset(title, 'x', 129);
    title[129] = '\0';
    snprintf(big, sizeof big, "{\"trip_id\":\"t-1\",\"title\":\"%s\",\"date\":\"2026-12-01\"}",
             title);
    assert_int_equal(parse("t-1", big, &c, &err), -1);
    assert_non_null(strstr(err.msg, "title"));
}

/* Cards in the outbox: put, replace, list by day, delete; reopened. */
static void test_trip_store(void **state)
{
    struct outbox_fixture *f = *state;
    struct trip_card c, got;
    struct jerr err;
    long long n = -1;
    assert_int_equal(outbox_trip_count(f->ob, &n), OERR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(outbox_trip_get(f->ob, "t-1", &got), OERR_NOTFOUND);
    assert_int_equal(parse("t-1", CARD("t-1", ",\"status\":\"planned\",\"departments\":"
                                       "[\"internal\",\"dental\"],\"end_date\":"
                                       "\"2026-12-02\""), &c, &err), 0);
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    assert_int_equal(parse("t-2", CARD("t-2", ",\"status\":\"cancelled\",\"departments\":"
                                       "[]"), &c, &err), 0);
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    assert_int_equal(parse("t-3", "{\"trip_id\":\"t-3\",\"title\":\"x\",\"date\":"
                                  "\"2026-12-05\",\"status\":\"planned\",\"departments\":[],"
                                  "\"site\":{\"code\":\"a\",\"name\":\"b\",\"county\":\"c\","
                                  "\"county_name\":\"d\"}}", &c, &err), 0);
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    assert_int_equal(outbox_trip_count(f->ob, &n), OERR_OK);
    assert_int_equal(n, 3);

    struct trip_card *list = NULL;
    size_t k = 0;
    assert_int_equal(outbox_trips_on(f->ob, "2026-12-02", &list, &k), OERR_OK);
    assert_int_equal(k, 1); /* t-1 runs two days; t-2 only the first */
    assert_string_equal(list[0].trip_id, "t-1");
    assert_string_equal(list[0].departments[1], "dental");
    assert_null(list[0].departments[2]);
    free(list);
    assert_int_equal(outbox_trips_on(f->ob, "2026-12-01", &list, &k), OERR_OK);
    assert_int_equal(k, 2);
    assert_string_equal(list[0].trip_id, "t-1");
    assert_string_equal(list[1].trip_id, "t-2");
    assert_string_equal(list[1].status, "cancelled");
    free(list);
    assert_int_equal(outbox_trips_on(f->ob, "2026-12-04", &list, &k), OERR_OK);
    assert_int_equal(k, 0);
    free(list);

    /* A new card replaces the old; a removed one is gone after reopening. */
    assert_int_equal(parse("t-1", CARD("t-1", ",\"status\":\"completed\",\"departments\":"
                                       "[]"), &c, &err), 0);
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    assert_int_equal(outbox_trip_delete(f->ob, "t-3"), OERR_OK);
    outbox_close(f->ob);
    char e2[256];
    assert_int_equal(outbox_open(f->path, AGENT, &f->ob, e2), OERR_OK);
    assert_int_equal(outbox_trip_get(f->ob, "t-1", &got), OERR_OK);
    assert_string_equal(got.status, "completed");
    assert_string_equal(got.end_date, "");
    assert_null(got.departments[0]);
    assert_int_equal(outbox_trip_get(f->ob, "t-3", &got), OERR_NOTFOUND);
    assert_int_equal(outbox_trip_count(f->ob, &n), OERR_OK);
    assert_int_equal(n, 2);
}

/* An outbox from before trip cards gets the table when it is opened. */
static void test_trip_table_added(void **state)
{
    struct outbox_fixture *f = *state;
    outbox_close(f->ob);
    f->ob = NULL;
    assert_int_equal(outbox_fixture_sql(f, "DROP TABLE trips; DROP INDEX outbox_voids"), 0);
    char err[256];
    assert_int_equal(outbox_open(f->path, AGENT, &f->ob, err), OERR_OK);
    long long n = -1;
    assert_int_equal(outbox_trip_count(f->ob, &n), OERR_OK);
    assert_int_equal(n, 0);
}

/* Entries by number, and which void cancels which. */
static void test_by_number_and_voids(void **state)
{
    struct outbox_fixture *f = *state;
    char first[UUID_LEN + 1];
    push(f->ob, 5, first);
    push(f->ob, 6, NULL);
    struct outbox_entry e;
    assert_int_equal(outbox_get_seq(f->ob, 2, &e), OERR_OK);
    assert_int_equal(e.seq, 2);
    assert_int_equal(e.voided_by, 0);
    outbox_entry_clear(&e);
    assert_int_equal(outbox_get_seq(f->ob, 3, &e), OERR_NOTFOUND);
    assert_int_equal(outbox_get_seq(f->ob, 0, &e), OERR_NOTFOUND);
    assert_int_equal(outbox_get_seq(f->ob, -1, &e), OERR_NOTFOUND);

    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "voids", first);
    cJSON_AddStringToObject(v, "reason", "twice");
    assert_int_equal(outbox_push(f->ob, "void", "2026-zjj-014", v, TS, NULL, NULL, &e), OERR_OK);
    char void_id[UUID_LEN + 1];
    memcpy(void_id, e.msg_id, sizeof void_id);
    outbox_entry_clear(&e);
    assert_int_equal(outbox_get_seq(f->ob, 1, &e), OERR_OK);
    assert_int_equal(e.voided_by, 3);
    outbox_entry_clear(&e);
    assert_int_equal(outbox_get_seq(f->ob, 3, &e), OERR_OK);
    assert_int_equal(e.voids_seq, 1);
    assert_int_equal(e.voided_by, 0);
    outbox_entry_clear(&e);
    /* A refused void cancels nothing. */
    int changed = 0;
    assert_int_equal(outbox_mark_rejected(f->ob, void_id, "void_target", "no", TS, &changed),
                     OERR_OK);
    assert_int_equal(outbox_get(f->ob, first, &e), OERR_OK);
    assert_int_equal(e.voided_by, 0);
    outbox_entry_clear(&e);
    cJSON_Delete(v);

    struct outbox_entry *list = NULL;
    size_t n = 0;
    assert_int_equal(outbox_list_recent(f->ob, 2, &list, &n), OERR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].seq, 2);
    assert_int_equal(list[1].seq, 3);
    outbox_entries_free(list, n);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, outbox_setup, outbox_teardown)
    const struct CMUnitTest tests[] = {
        T(test_push),
        T(test_other_agent_refused),
        T(test_marks),
        T(test_unanswered_order),
        T(test_payload_check),
        cmocka_unit_test(test_tripcard_parse),
        cmocka_unit_test(test_msg_id_time_ordered),
        T(test_trip_store),
        T(test_trip_table_added),
        T(test_by_number_and_voids),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
