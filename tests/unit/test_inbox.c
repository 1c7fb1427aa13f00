/* test_inbox.c -- the queue from Paho's thread: order, copies, batches, the
 * byte limit, and what it refuses. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "inbox.h"
#include "report.h"
#include "timeutil.h"
#include "topics.h"

static struct inbox_msg msg(const char *topic, const char *payload)
{
    struct inbox_msg m = {
        .topic = topic, .topic_len = strlen(topic), .payload = payload, .len = strlen(payload),
    };
    return m;
}

static long long queued(struct inbox *q)
{
    long long count, bytes, dropped;
    inbox_stats(q, &count, &bytes, &dropped);
    return count;
}

static void keeps_order_and_copies(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 100);
    assert_non_null(q);
    char topic[32], payload[32];
    for (int i = 0; i < 3; i++) {
        snprintf(topic, sizeof topic, "t/%d", i);
        snprintf(payload, sizeof payload, "{\"n\":%d}", i);
        struct inbox_msg m = msg(topic, payload);
        m.retained = i == 1;
        if (i == 2) {
            m.resp_topic = "r/x";
            m.resp_len = 3;
            m.corr = "\x01\x00\x02";
            m.corr_len = 3;
        }
        assert_int_equal(inbox_put(q, &m), 0);
    }
    strcpy(payload, "overwritten"); /* the inbox holds its own copies */
    assert_int_equal(queued(q), 3);
    struct item *first = inbox_take(q, 0);
    assert_non_null(first);
    assert_int_equal(queued(q), 0);
    int i = 0;
    for (struct item *it = first; it; it = it->next, i++) {
        snprintf(topic, sizeof topic, "t/%d", i);
        snprintf(payload, sizeof payload, "{\"n\":%d}", i);
        assert_string_equal(it->topic, topic);
        assert_string_equal(it->payload, payload);
        assert_int_equal(it->len, strlen(payload));
        assert_int_equal(it->orig_len, strlen(payload));
        assert_int_equal(it->retained, i == 1);
    }
    assert_int_equal(i, 3);
    struct item *last = first->next->next;
    assert_string_equal(last->resp_topic, "r/x");
    assert_int_equal(last->corr_len, 3);
    assert_memory_equal(last->corr, "\x01\x00\x02", 3);
    assert_null(first->resp_topic);
    assert_null(first->corr);
    inbox_items_free(first);
    assert_null(inbox_take(q, 0));
    inbox_free(q);
}

static void hands_out_batch_max_at_a_time(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 2);
    struct inbox_msg m = msg("t", "x");
    for (int i = 0; i < 5; i++)
        assert_int_equal(inbox_put(q, &m), 0);
    int sizes[3];
    for (int b = 0; b < 3; b++) {
        struct item *batch = inbox_take(q, 0);
        sizes[b] = 0;
        for (struct item *it = batch; it; it = it->next)
            sizes[b]++;
        inbox_items_free(batch);
    }
    assert_int_equal(sizes[0], 2);
    assert_int_equal(sizes[1], 2);
    assert_int_equal(sizes[2], 1);
    assert_null(inbox_take(q, 0));
    long long count, bytes, dropped;
    inbox_stats(q, &count, &bytes, &dropped);
    assert_int_equal(count, 0);
    assert_int_equal(bytes, 0);
    assert_int_equal(dropped, 0);
    inbox_free(q);
}

static void cuts_payload_past_the_limit(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 10);
    size_t big = REPORT_MAX_BYTES + 100;
    char *p = malloc(big);
    assert_non_null(p);
    memset(p, 'a', big);
    struct inbox_msg m = {.topic = "t", .topic_len = 1, .payload = p, .len = big};
    assert_int_equal(inbox_put(q, &m), 0);
    free(p);
    struct item *it = inbox_take(q, 0);
    assert_non_null(it);
    assert_int_equal(it->len, REPORT_MAX_BYTES + 1);
    assert_int_equal(it->orig_len, big);
    assert_int_equal(strlen(it->payload), REPORT_MAX_BYTES + 1);
    inbox_items_free(it);
    inbox_free(q);
}

static void drops_past_max_bytes_until_taken(void **state)
{
    (void)state;
    long long max = 2000;
    struct inbox *q = inbox_new(max, 100);
    char payload[300];
    memset(payload, 'p', sizeof payload - 1);
    payload[sizeof payload - 1] = '\0';
    struct inbox_msg m = msg("t/x", payload);
    int queued_n = 0, dropped_n = 0;
    for (int i = 0; i < 20; i++) {
        if (inbox_put(q, &m) == 0)
            queued_n++;
        else
            dropped_n++;
    }
    long long count, bytes, dropped;
    inbox_stats(q, &count, &bytes, &dropped);
    assert_true(queued_n > 0 && dropped_n > 0);
    assert_int_equal(queued_n + dropped_n, 20);
    assert_int_equal(count, queued_n);
    assert_int_equal(dropped, dropped_n);
    assert_true(bytes <= max);
    assert_true(bytes + bytes / queued_n > max); /* one more would not fit */
    inbox_items_free(inbox_take(q, 0));
    assert_int_equal(inbox_put(q, &m), 0); /* room again */
    inbox_free(q); /* frees what it still holds */
}

static void refuses_nul_in_topic_and_ignores_oversized_properties(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 10);
    struct inbox_msg bad = {.topic = "a\0b", .topic_len = 3, .payload = "x", .len = 1};
    assert_int_equal(inbox_put(q, &bad), -1);
    assert_int_equal(queued(q), 0);

    char resp[TOPIC_MAX + 1], corr[257];
    memset(resp, 'r', sizeof resp);
    memset(corr, 'c', sizeof corr);
    struct inbox_msg m = msg("t", "x");
    m.resp_topic = resp;
    m.resp_len = TOPIC_MAX; /* one past the longest kept */
    m.corr = corr;
    m.corr_len = 257;
    assert_int_equal(inbox_put(q, &m), 0);
    m.resp_len = TOPIC_MAX - 1;
    m.corr_len = 256;
    assert_int_equal(inbox_put(q, &m), 0);
    struct item *it = inbox_take(q, 0);
    assert_null(it->resp_topic);
    assert_null(it->corr);
    assert_int_equal(it->corr_len, 0);
    assert_int_equal(strlen(it->next->resp_topic), TOPIC_MAX - 1);
    assert_int_equal(it->next->corr_len, 256);
    inbox_items_free(it);
    inbox_free(q);
}

static void take_waits_at_most_wait_ms(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 10);
    double t0 = tu_mono_ms();
    assert_null(inbox_take(q, 60));
    double waited = tu_mono_ms() - t0;
    assert_true(waited >= 50);
    assert_true(waited < 5000);
    inbox_free(q);
    inbox_free(NULL);
    inbox_items_free(NULL);
}

static void linger_waits_until_the_first_has_waited(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 10);
    inbox_set_linger(q, 80);
    struct inbox_msg m = msg("t/1", "{}");
    double t0 = tu_mono_ms();
    assert_int_equal(inbox_put(q, &m), 0);
    struct item *it = inbox_take(q, 0);
    double waited = tu_mono_ms() - t0;
    assert_non_null(it);
    assert_null(it->next);
    assert_true(waited >= 79); /* from the put, not from the take */
    assert_true(waited < 5000);
    inbox_items_free(it);
    /* An empty queue: wait_ms for a first message, as without a linger. */
    t0 = tu_mono_ms();
    assert_null(inbox_take(q, 30));
    assert_true(tu_mono_ms() - t0 < 5000);
    inbox_free(q);
}

static void *put_four(void *arg)
{
    struct inbox *q = arg;
    struct inbox_msg m = msg("t/more", "{}");
    for (int i = 0; i < 4; i++) {
        nanosleep(&(struct timespec){0, 5000000L}, NULL);
        inbox_put(q, &m);
    }
    return NULL;
}

static void linger_ends_once_a_batch_is_full(void **state)
{
    (void)state;
    struct inbox *q = inbox_new(1 << 20, 5);
    inbox_set_linger(q, 20000); /* past the test's patience: only a full batch ends it */
    struct inbox_msg m = msg("t/1", "{}");
    assert_int_equal(inbox_put(q, &m), 0);
    double t0 = tu_mono_ms();
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, put_four, q), 0);
    struct item *it = inbox_take(q, 0);
    assert_true(tu_mono_ms() - t0 < 10000);
    pthread_join(th, NULL);
    int n = 0;
    for (struct item *i = it; i; i = i->next)
        n++;
    assert_int_equal(n, 5);
    assert_string_equal(it->topic, "t/1");
    inbox_items_free(it);
    /* batch_max queued already: handed out at once. */
    for (int i = 0; i < 7; i++)
        assert_int_equal(inbox_put(q, &m), 0);
    t0 = tu_mono_ms();
    it = inbox_take(q, 0);
    assert_true(tu_mono_ms() - t0 < 10000);
    inbox_items_free(it);
    assert_int_equal(queued(q), 2);
    inbox_set_linger(q, 0); /* what is left goes at once */
    it = inbox_take(q, 0);
    assert_non_null(it->next);
    inbox_items_free(it);
    inbox_free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_order_and_copies),
        cmocka_unit_test(hands_out_batch_max_at_a_time),
        cmocka_unit_test(cuts_payload_past_the_limit),
        cmocka_unit_test(drops_past_max_bytes_until_taken),
        cmocka_unit_test(refuses_nul_in_topic_and_ignores_oversized_properties),
        cmocka_unit_test(take_waits_at_most_wait_ms),
        cmocka_unit_test(linger_waits_until_the_first_has_waited),
        cmocka_unit_test(linger_ends_once_a_batch_is_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
