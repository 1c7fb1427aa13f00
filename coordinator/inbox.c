/* inbox.c -- the queue between Paho's thread and the daemon's: bounded in
 * bytes, never waiting on the receiving side. */
#include "inbox.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mq.h"
#include "olog.h"
#include "report.h"
#include "timeutil.h"
#include "topics.h"

struct inbox {
    pthread_mutex_t m;
    pthread_cond_t nonempty;
    struct item *head, *tail;
    long long count, bytes, dropped;
    long long max_bytes, batch_max;
    double linger_ms;
};

struct inbox *inbox_new(long long max_bytes, long long batch_max)
{
    struct inbox *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&q->m, NULL);
    pthread_cond_init(&q->nonempty, &ca);
    pthread_condattr_destroy(&ca);
    q->max_bytes = max_bytes;
    q->batch_max = batch_max;
    return q;
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    free(it->topic);
    free(it->payload);
    free(it->resp_topic);
    free(it->corr);
    free(it);
}

void inbox_items_free(struct item *it)
{
    while (it) {
        struct item *next = it->next;
        item_free(it);
        it = next;
    }
}

void inbox_set_linger(struct inbox *q, long linger_ms)
{
    pthread_mutex_lock(&q->m);
    q->linger_ms = linger_ms > 0 ? (double)linger_ms : 0;
    pthread_mutex_unlock(&q->m);
}

void inbox_free(struct inbox *q)
{
    if (!q)
        return;
    inbox_items_free(q->head);
    pthread_mutex_destroy(&q->m);
    pthread_cond_destroy(&q->nonempty);
    free(q);
}

/* What an item counts for against max_bytes, with its overhead. */
static long long item_size(const struct item *it)
{
    return (long long)(sizeof *it + strlen(it->topic) + it->len + 64);
}

/* A copy of m, or NULL when out of memory or its topic holds a NUL. */
static struct item *item_copy(const struct inbox_msg *m)
{
    size_t keep = m->len > REPORT_MAX_BYTES + 1 ? REPORT_MAX_BYTES + 1 : m->len;
    struct item *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->topic = mq_dup_bytes(m->topic, m->topic_len);
    it->payload = mq_dup_bytes(m->payload, keep);
    it->len = keep;
    it->orig_len = m->len;
    it->retained = m->retained;
    if (!it->topic || !it->payload || memchr(it->topic, '\0', m->topic_len)) {
        item_free(it);
        return NULL;
    }
    if (m->resp_topic && m->resp_len > 0 && m->resp_len < TOPIC_MAX)
        it->resp_topic = mq_dup_bytes(m->resp_topic, m->resp_len);
    if (m->corr && m->corr_len > 0 && m->corr_len <= 256) {
        it->corr = mq_dup_bytes(m->corr, m->corr_len);
        it->corr_len = (int)m->corr_len;
    }
    return it;
}

int inbox_put(struct inbox *q, const struct inbox_msg *m)
{
    struct item *it = item_copy(m);
    if (!it) {
        olog(OLOG_ERROR, "dropped a message: out of memory or a topic with a NUL");
        return -1;
    }
    long long size = item_size(it);
    pthread_mutex_lock(&q->m);
    if (q->bytes + size > q->max_bytes) {
        long long dropped = ++q->dropped;
        pthread_mutex_unlock(&q->m);
        if (dropped == 1 || dropped % 1000 == 0)
            olog(OLOG_WARN, "queue full (%lld bytes): %lld messages dropped unacknowledged "
                 "so far; their agents will resend", q->max_bytes, dropped);
        item_free(it);
        return -1;
    }
    it->arrived_ms = tu_mono_ms();
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->count++;
    q->bytes += size;
    /* The taker waits for a first message, or, lingering, for a full batch. */
    if (q->count == 1 || q->count >= q->batch_max)
        pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->m);
    return 0;
}

/* Paho's thread. Paho has already sent the PUBACK (it does so before calling
 * us) and holds a lock, while we run, that every publish of ours needs. So
 * this never waits: waiting for room in the queue would starve or deadlock
 * the thread that empties it. Past max_bytes a message is dropped
 * unacknowledged, and logged: its agent sends it again, as it does for any
 * report without an ack. */
int inbox_on_message(struct inbox *q, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct inbox_msg in = {
        .topic = topic,
        .topic_len = topic_len > 0 ? (size_t)topic_len : strlen(topic),
        .payload = m->payload,
        .len = m->payloadlen > 0 ? (size_t)m->payloadlen : 0,
        .retained = m->retained != 0,
    };
    MQTTProperty *rt = MQTTProperties_getProperty(&m->properties,
                                                  MQTTPROPERTY_CODE_RESPONSE_TOPIC);
    if (rt && rt->value.data.len > 0) {
        in.resp_topic = rt->value.data.data;
        in.resp_len = (size_t)rt->value.data.len;
    }
    MQTTProperty *cd = MQTTProperties_getProperty(&m->properties,
                                                  MQTTPROPERTY_CODE_CORRELATION_DATA);
    if (cd && cd->value.data.len > 0) {
        in.corr = cd->value.data.data;
        in.corr_len = (size_t)cd->value.data.len;
    }
    inbox_put(q, &in);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

struct item *inbox_take(struct inbox *q, long wait_ms)
{
    pthread_mutex_lock(&q->m);
    if (!q->head && wait_ms > 0) {
        struct timespec until;
        tu_deadline(&until, CLOCK_MONOTONIC, wait_ms);
        pthread_cond_timedwait(&q->nonempty, &q->m, &until);
    }
    /* Group commit: a short batch waits for more until its first message has
     * waited linger_ms. Bounded: every pass waits until that one moment. */
    if (q->head && q->count < q->batch_max && q->linger_ms > 0) {
        double due = q->head->arrived_ms + q->linger_ms; /* monotonic ms */
        struct timespec until = {.tv_sec = (time_t)(due / 1000)};
        until.tv_nsec = (long)((due - (double)until.tv_sec * 1000) * 1e6);
        if (until.tv_nsec >= 1000000000L)
            until.tv_nsec = 999999999L;
        while (q->count < q->batch_max && tu_mono_ms() < due)
            if (pthread_cond_timedwait(&q->nonempty, &q->m, &until) != 0)
                break; /* timed out (or failed): hand out what is there */
    }
    struct item *first = q->head, *last = NULL;
    long long n = 0, bytes = 0;
    for (struct item *it = q->head; it && n < q->batch_max; it = it->next) {
        last = it;
        n++;
        bytes += item_size(it);
    }
    if (last) {
        q->head = last->next;
        if (!q->head)
            q->tail = NULL;
        last->next = NULL;
        q->count -= n;
        q->bytes -= bytes;
    }
    pthread_mutex_unlock(&q->m);
    return first;
}

void inbox_stats(struct inbox *q, long long *count, long long *bytes, long long *dropped)
{
    pthread_mutex_lock(&q->m);
    *count = q->count;
    *bytes = q->bytes;
    *dropped = q->dropped;
    pthread_mutex_unlock(&q->m);
}
