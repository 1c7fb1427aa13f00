/* test_ackbatch.c -- the acks and messages of a batch: grouped per agent,
 * split under 16 KiB, sent in order after the commit, or discarded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "ackbatch.h"

#define ROOT "outreach/v1"

/* What the outlet was given, in order. */
struct sent {
    char topic[256];
    char *payload;
    bool retained;
    char corr[16];
    int corr_len;
};
struct recorder {
    struct sent v[64];
    int n;
};

static void record(void *ctx, const char *topic, const char *payload, bool retained,
                   const void *corr, int corr_len)
{
    struct recorder *r = ctx;
    assert_true(r->n < 64);
    struct sent *s = &r->v[r->n++];
    snprintf(s->topic, sizeof s->topic, "%s", topic);
    s->payload = strdup(payload);
    s->retained = retained;
    assert_true(corr_len <= (int)sizeof s->corr);
    if (corr_len > 0)
        memcpy(s->corr, corr, (size_t)corr_len);
    s->corr_len = corr_len;
}

static void recorder_clear(struct recorder *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->v[i].payload);
    r->n = 0;
}

static struct ackbatch *batch_new(struct recorder *r)
{
    memset(r, 0, sizeof *r);
    struct ackbatch *b = ackbatch_new(ROOT, (struct outlet){record, r});
    assert_non_null(b);
    return b;
}

static void acks_per_agent_then_messages_in_order(void **state)
{
    (void)state;
    struct recorder r;
    struct ackbatch *b = batch_new(&r);
    ackbatch_out(b, ROOT "/volunteers/v1/replies", strdup("{\"ok\":true}"), false, "ab", 2);
    ackbatch_ack(b, "team-01", &(struct ack){.msg_id = "m1", .status = "accepted"});
    ackbatch_ack(b, "team-02", &(struct ack){.msg_id = NULL, .status = "rejected",
                                             .code = "bad_json", .reason = "not JSON"});
    ackbatch_ack(b, "team-01", &(struct ack){.msg_id = "m2", .status = "accepted",
                                             .void_pending = true});
    ackbatch_ack(b, "team-01", &(struct ack){.msg_id = "m3", .status = "duplicate"});
    ackbatch_out(b, ROOT "/trips/t1", strdup("{\"card\":1}"), true, NULL, 0);
    ackbatch_out(b, ROOT "/trips/t2", NULL, true, NULL, 0); /* ignored */
    assert_int_equal(r.n, 0); /* nothing before the commit */
    ackbatch_send(b);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.v[0].topic, ROOT "/agents/team-01/acks");
    assert_string_equal(r.v[0].payload,
                        "{\"acks\":[{\"msg_id\":\"m1\",\"status\":\"accepted\"},"
                        "{\"msg_id\":\"m2\",\"status\":\"accepted\",\"void_pending\":true},"
                        "{\"msg_id\":\"m3\",\"status\":\"duplicate\"}]}");
    assert_false(r.v[0].retained);
    assert_int_equal(r.v[0].corr_len, 0);
    assert_string_equal(r.v[1].topic, ROOT "/agents/team-02/acks");
    assert_string_equal(r.v[1].payload,
                        "{\"acks\":[{\"msg_id\":null,\"status\":\"rejected\","
                        "\"code\":\"bad_json\",\"reason\":\"not JSON\"}]}");
    assert_string_equal(r.v[2].topic, ROOT "/volunteers/v1/replies");
    assert_string_equal(r.v[2].payload, "{\"ok\":true}");
    assert_false(r.v[2].retained);
    assert_int_equal(r.v[2].corr_len, 2);
    assert_memory_equal(r.v[2].corr, "ab", 2);
    assert_string_equal(r.v[3].topic, ROOT "/trips/t1");
    assert_true(r.v[3].retained);
    recorder_clear(&r);
    ackbatch_send(b); /* sent once: the batch is empty now */
    assert_int_equal(r.n, 0);
    ackbatch_free(b);
}

static void splits_an_agents_acks_under_16_kib(void **state)
{
    (void)state;
    struct recorder r;
    struct ackbatch *b = batch_new(&r);
    char reason[101], id[32];
    memset(reason, 'r', 100);
    reason[100] = '\0';
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "msg-%03d", i);
        ackbatch_ack(b, "team-01", &(struct ack){.msg_id = id, .status = "rejected",
                                                 .code = "schema", .reason = reason});
    }
    ackbatch_send(b);
    /* Each counts 120 + 2 * 100 bytes against 15000 (16 for the wrapper):
     * 46 a message. */
    assert_int_equal(r.n, 5);
    int next = 0;
    for (int m = 0; m < r.n; m++) {
        assert_string_equal(r.v[m].topic, ROOT "/agents/team-01/acks");
        assert_true(strlen(r.v[m].payload) < 16384);
        cJSON *o = cJSON_Parse(r.v[m].payload);
        cJSON *acks = cJSON_GetObjectItemCaseSensitive(o, "acks");
        assert_int_equal(cJSON_GetArraySize(acks), m < 4 ? 46 : 200 - 4 * 46);
        cJSON *a;
        cJSON_ArrayForEach(a, acks) {
            snprintf(id, sizeof id, "msg-%03d", next++);
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "msg_id")->valuestring, id);
        }
        cJSON_Delete(o);
    }
    assert_int_equal(next, 200); /* all of them, in order */
    recorder_clear(&r);
    ackbatch_free(b);
}

static void discard_sends_nothing(void **state)
{
    (void)state;
    struct recorder r;
    struct ackbatch *b = batch_new(&r);
    ackbatch_ack(b, "team-01", &(struct ack){.msg_id = "m1", .status = "accepted"});
    ackbatch_out(b, ROOT "/trips/t1", strdup("{}"), true, "c", 1);
    ackbatch_discard(b);
    ackbatch_send(b);
    assert_int_equal(r.n, 0);
    ackbatch_ack(b, "team-01", &(struct ack){.msg_id = "m2", .status = "accepted"});
    ackbatch_out(b, ROOT "/trips/t1", strdup("{}"), true, NULL, 0);
    ackbatch_free(b); /* frees what was queued */
    ackbatch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acks_per_agent_then_messages_in_order),
        cmocka_unit_test(splits_an_agents_acks_under_16_kib),
        cmocka_unit_test(discard_sends_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
