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

#include <cmocka.h>

#include "unit_files.h"

#include <cjson/cJSON.h>

#include "ids.h"
#include "outbox.h"
#include "report.h"

#define AGENT "team-07"
#define TS "2026-11-22T09:31:05+08:00"

struct fixture {
    char dir[64];
    char path[128];
    struct outbox *ob;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/outreach-unit-outbox-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/outbox.db", f->dir);
    char err[256] = "";
    if (outbox_open(f->path, AGENT, &f->ob, err) != OERR_OK) {
        print_error("outbox_open: %s\n", err);
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
    outbox_close(f->ob);
    rm_tree(f->dir);
    free(f);
    return 0;
}

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

static void test_push(void **state)
{
    struct fixture *f = *state;
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
    struct fixture *f = *state;
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
    struct fixture *f = *state;
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
    struct fixture *f = *state;
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
    struct fixture *f = *state;
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

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_push),
        T(test_other_agent_refused),
        T(test_marks),
        T(test_unanswered_order),
        T(test_payload_check),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
