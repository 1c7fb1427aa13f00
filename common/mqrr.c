/* mqrr.c -- request/response and message collection for command-line tools.
 *
 * Paho calls on_message on its own thread while holding a lock that every
 * publish needs, so the callbacks here only copy and queue under r->m and
 * signal; all waiting happens in the caller's thread, each wait bounded. */
#include "mqrr.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "timeutil.h"

#define MQRR_QUEUE_MAX 4096           /* messages waiting for mqrr_next */
#define MQRR_PAYLOAD_MAX (64 * 1024)  /* bytes kept of one payload (the contract: 16 KiB) */
#define MQRR_CORR_LEN 16
#define MQRR_FILTERS_MAX 8            /* mqrr_subscribe filters undone at disconnect */

struct item {
    struct item *next;
    struct mqrr_msg msg;
};

struct mqrr {
    MQTTAsync c; /* NULL once disconnected: no callback runs after that */
    char *resp_topic;
    pthread_mutex_t m;
    pthread_cond_t cv;
    /* Messages that answer nothing of ours, oldest first. */
    struct item *head, *tail;
    size_t count;
    /* The request in flight: its correlation data, and the reply once here.
     * The callback sets the reply aside rather than queueing it, so a full
     * queue never costs a reply. last_corr catches a redelivered reply. */
    unsigned char want[MQRR_CORR_LEN], last_corr[MQRR_CORR_LEN];
    bool want_active, has_last;
    struct item *reply;
    /* A publish the broker refused (MQTT 5 PUBACK reason >= 0x80). */
    MQTTAsync_token fail_token;
    bool fail_set;
    char fail_msg[128];
    /* The connection went away (network, or the broker's DISCONNECT). */
    bool lost;
    char lost_msg[128];
    /* Unsubscribe at disconnect. */
    bool unsub_done;
    char *filters[MQRR_FILTERS_MAX];
    int nfilters;
};

void mqrr_msg_free(struct mqrr_msg *m)
{
    if (!m)
        return;
    free(m->topic);
    free(m->payload);
    memset(m, 0, sizeof *m);
}

static void item_free(struct item *it)
{
    if (!it)
        return;
    mqrr_msg_free(&it->msg);
    free(it);
}

/* ---- Paho callbacks: copy, queue, signal; never wait ------------------- */

static struct item *item_copy(const char *topic, size_t tl, const MQTTAsync_message *m)
{
    size_t plen = m->payloadlen > 0 ? (size_t)m->payloadlen : 0;
    size_t keep = plen > MQRR_PAYLOAD_MAX ? MQRR_PAYLOAD_MAX : plen;
    struct item *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->msg.topic = mq_dup_bytes(topic, tl);
    it->msg.payload = mq_dup_bytes(m->payload, keep);
    it->msg.len = keep;
    it->msg.retained = m->retained != 0;
    if (!it->msg.topic || !it->msg.payload || memchr(topic, '\0', tl)) {
        item_free(it);
        return NULL;
    }
    return it;
}

/* True when cd is exactly the 16 bytes at want. */
static bool corr_is(const MQTTProperty *cd, const unsigned char *want)
{
    return cd && cd->value.data.len == MQRR_CORR_LEN &&
           memcmp(cd->value.data.data, want, MQRR_CORR_LEN) == 0;
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct mqrr *r = ctx;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    struct item *it = item_copy(topic, tl, m);
    MQTTProperty *cd = MQTTProperties_getProperty(&m->properties,
                                                  MQTTPROPERTY_CODE_CORRELATION_DATA);
    pthread_mutex_lock(&r->m);
    bool for_us = it && strcmp(it->msg.topic, r->resp_topic) == 0;
    if (for_us && r->want_active && corr_is(cd, r->want)) {
        if (r->reply)
            item_free(it); /* a second copy of the same reply */
        else
            r->reply = it;
    } else if (for_us && r->has_last && corr_is(cd, r->last_corr)) {
        item_free(it); /* a redelivered reply to the request already answered */
    } else if (it && r->count < MQRR_QUEUE_MAX) {
        if (r->tail)
            r->tail->next = it;
        else
            r->head = it;
        r->tail = it;
        r->count++;
    } else {
        item_free(it); /* out of memory, a topic with a NUL, or the queue full */
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

/* Records why the connection ended; a specific reason wins over a vague one
 * whichever callback comes first. */
static void mark_lost(struct mqrr *r, const char *why, bool specific)
{
    pthread_mutex_lock(&r->m);
    if (!r->lost || specific) {
        r->lost = true;
        snprintf(r->lost_msg, sizeof r->lost_msg, "%s", why);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
}

static void on_lost(void *ctx, char *cause)
{
    mark_lost(ctx, cause && cause[0] ? cause : "connection lost", false);
}

/* The broker's DISCONNECT (MQTT 5) says why, e.g. "Session taken over" when
 * another client logs in with the same client id. */
static void on_disconnected(void *ctx, MQTTProperties *props, enum MQTTReasonCodes rc)
{
    const char *why = MQTTReasonCode_toString(rc);
    mark_lost(ctx, why ? why : "disconnected by the broker", true);
}

static void on_pub_failure(void *ctx, MQTTAsync_failureData5 *d)
{
    struct mqrr *r = ctx;
    pthread_mutex_lock(&r->m);
    r->fail_set = true;
    r->fail_token = d ? d->token : 0;
    const char *why = d && d->reasonCode ? MQTTReasonCode_toString(d->reasonCode) : NULL;
    if (!why)
        why = d && d->message ? d->message : d ? MQTTAsync_strerror(d->code) : NULL;
    snprintf(r->fail_msg, sizeof r->fail_msg, "%s", why ? why : "refused");
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
}

static void on_unsub_done(void *ctx, MQTTAsync_successData5 *d)
{
    struct mqrr *r = ctx;
    pthread_mutex_lock(&r->m);
    r->unsub_done = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
}

static void on_unsub_failed(void *ctx, MQTTAsync_failureData5 *d)
{
    on_unsub_done(ctx, NULL);
}

/* ---- the caller's side --------------------------------------------------- */

/* One wait on r->cv (r->m held) that ends at the deadline at the latest;
 * callers re-test their condition. Returns false once the deadline passed. */
static bool wait_until(struct mqrr *r, const struct timespec *until)
{
    return pthread_cond_timedwait(&r->cv, &r->m, until) != ETIMEDOUT;
}

static int random_bytes(unsigned char *b, size_t n)
{
    size_t got = 0;
    for (int tries = 0; got < n && tries < 8; tries++) {
        ssize_t k = getrandom(b + got, n - got, 0);
        if (k > 0)
            got += (size_t)k;
        else if (k < 0 && errno != EINTR)
            return -1;
    }
    return got == n ? 0 : -1;
}

int mqrr_open(struct mqrr **out, const char *uri, const char *client_id,
              const struct mq_conn_opts *o, const char *resp_topic, int timeout_ms,
              char err[MQ_ERR_MAX])
{
    *out = NULL;
    struct mqrr *r = calloc(1, sizeof *r);
    if (!r || !(r->resp_topic = strdup(resp_topic))) {
        free(r);
        snprintf(err, MQ_ERR_MAX, "out of memory");
        return -1;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&r->m, NULL);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (mq_client_new(&r->c, uri, client_id, 0, err))
        goto fail;
    /* Before connecting: a kept session delivers its queued messages at once. */
    int rc = MQTTAsync_setCallbacks(r->c, r, on_lost, on_message, NULL);
    if (rc == MQTTASYNC_SUCCESS)
        rc = MQTTAsync_setDisconnected(r->c, r, on_disconnected);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "cannot set callbacks: %s", MQTTAsync_strerror(rc));
        goto fail;
    }
    struct mq_conn_opts with_uri = *o; /* a refused TLS handshake is explained */
    if (!with_uri.uri)
        with_uri.uri = uri;
    if (mq_connect(r->c, &with_uri, timeout_ms, NULL, err) ||
        mq_subscribe(r->c, resp_topic, 1, timeout_ms, err))
        goto fail;
    *out = r;
    return 0;
fail:
    mqrr_close(&r);
    return -1;
}

int mqrr_subscribe(struct mqrr *r, const char *filter, int timeout_ms, char err[MQ_ERR_MAX])
{
    if (!r->c) {
        snprintf(err, MQ_ERR_MAX, "subscribe %.200s: not connected", filter);
        return -1;
    }
    if (r->nfilters >= MQRR_FILTERS_MAX) {
        snprintf(err, MQ_ERR_MAX, "subscribe %.200s: more than %d filters", filter,
                 MQRR_FILTERS_MAX);
        return -1;
    }
    char *copy = strdup(filter);
    if (!copy) {
        snprintf(err, MQ_ERR_MAX, "out of memory");
        return -1;
    }
    /* Remembered even when the SUBACK does not come in time: the broker may
     * still have taken it, and undoing it at disconnect is harmless. */
    r->filters[r->nfilters++] = copy;
    return mq_subscribe(r->c, filter, 1, timeout_ms, err);
}

/* Publishes with Response Topic and Correlation Data; *token for matching a
 * refusal. Not mq_publish: a refusal in the PUBACK (e.g. "Not authorized")
 * only reaches an onFailure5 callback, which mq_publish does not set. */
static int publish_request(struct mqrr *r, const char *topic, const char *payload,
                           const unsigned char *corr, MQTTAsync_token *token,
                           char err[MQ_ERR_MAX])
{
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty p;
    p.identifier = MQTTPROPERTY_CODE_RESPONSE_TOPIC;
    p.value.data.data = r->resp_topic;
    p.value.data.len = (int)strlen(r->resp_topic);
    MQTTProperties_add(&props, &p);
    p.identifier = MQTTPROPERTY_CODE_CORRELATION_DATA;
    p.value.data.data = (char *)corr;
    p.value.data.len = MQRR_CORR_LEN;
    MQTTProperties_add(&props, &p);

    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    msg.payload = (void *)payload;
    msg.payloadlen = (int)strlen(payload);
    msg.qos = 1;
    msg.properties = props; /* Paho copies them */
    ro.onFailure5 = on_pub_failure;
    ro.context = r;
    int rc = MQTTAsync_sendMessage(r->c, topic, &msg, &ro);
    MQTTProperties_free(&props);
    if (rc != MQTTASYNC_SUCCESS) {
        snprintf(err, MQ_ERR_MAX, "publish %.200s: %s", topic, MQTTAsync_strerror(rc));
        return -1;
    }
    *token = ro.token;
    return 0;
}

/* Waits (r->m held) for the reply, a refusal of token, a lost connection or
 * the deadline. Returns the reply item, or NULL with err. */
static struct item *await_reply(struct mqrr *r, MQTTAsync_token token, int timeout_ms,
                                const char *topic, char err[MQ_ERR_MAX])
{
    struct timespec until;
    tu_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
    for (;;) {
        if (r->reply) {
            struct item *it = r->reply;
            r->reply = NULL;
            return it;
        }
        if (r->fail_set && r->fail_token == token) {
            snprintf(err, MQ_ERR_MAX, "the broker refused the request on %.100s: %.100s", topic,
                     r->fail_msg);
            return NULL;
        }
        if (r->lost) {
            snprintf(err, MQ_ERR_MAX, "the connection to the broker was lost: %s",
                     r->lost_msg);
            return NULL;
        }
        if (!wait_until(r, &until)) {
            snprintf(err, MQ_ERR_MAX, "no reply within %d s", (timeout_ms + 999) / 1000);
            return NULL;
        }
    }
}

char *mqrr_request(struct mqrr *r, const char *topic, const char *payload, int timeout_ms,
                   char err[MQ_ERR_MAX])
{
    unsigned char corr[MQRR_CORR_LEN];
    if (!r->c) {
        snprintf(err, MQ_ERR_MAX, "publish %.200s: not connected", topic);
        return NULL;
    }
    if (random_bytes(corr, sizeof corr)) {
        snprintf(err, MQ_ERR_MAX, "cannot read random bytes: %s", strerror(errno));
        return NULL;
    }
    /* Armed before publishing: the reply can come before sendMessage returns. */
    pthread_mutex_lock(&r->m);
    if (r->lost) {
        /* Say why, rather than Paho's bare "Disconnected". */
        snprintf(err, MQ_ERR_MAX, "the connection to the broker was lost: %s", r->lost_msg);
        pthread_mutex_unlock(&r->m);
        return NULL;
    }
    memcpy(r->want, corr, sizeof corr);
    r->want_active = true;
    item_free(r->reply);
    r->reply = NULL;
    pthread_mutex_unlock(&r->m);

    MQTTAsync_token token = 0;
    struct item *it = NULL;
    if (publish_request(r, topic, payload, corr, &token, err) == 0) {
        pthread_mutex_lock(&r->m);
        it = await_reply(r, token, timeout_ms, topic, err);
        pthread_mutex_unlock(&r->m);
    }
    pthread_mutex_lock(&r->m);
    r->want_active = false;
    memcpy(r->last_corr, corr, sizeof corr);
    r->has_last = true;
    pthread_mutex_unlock(&r->m);
    if (!it)
        return NULL;
    char *payload_out = it->msg.payload;
    it->msg.payload = NULL;
    item_free(it);
    return payload_out;
}

int mqrr_next(struct mqrr *r, int wait_ms, struct mqrr_msg *m)
{
    struct timespec until;
    tu_deadline(&until, CLOCK_MONOTONIC, wait_ms > 0 ? wait_ms : 0);
    pthread_mutex_lock(&r->m);
    /* Without a connection nothing more can come: no point in waiting. */
    while (!r->head && wait_ms > 0 && r->c && !r->lost)
        if (!wait_until(r, &until))
            break;
    struct item *it = r->head;
    if (it) {
        r->head = it->next;
        if (!r->head)
            r->tail = NULL;
        r->count--;
    }
    pthread_mutex_unlock(&r->m);
    if (!it)
        return 0;
    *m = it->msg;
    free(it);
    return 1;
}

/* Undoes mqrr_subscribe's filters, so that a kept session does not go on
 * collecting (say) every trip card while the tool is not running. */
static void unsubscribe_all(struct mqrr *r, int timeout_ms)
{
    if (r->nfilters == 0 || !MQTTAsync_isConnected(r->c))
        return;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    ro.onSuccess5 = on_unsub_done;
    ro.onFailure5 = on_unsub_failed;
    ro.context = r;
    pthread_mutex_lock(&r->m);
    r->unsub_done = false;
    pthread_mutex_unlock(&r->m);
    if (MQTTAsync_unsubscribeMany(r->c, r->nfilters, r->filters, &ro) != MQTTASYNC_SUCCESS)
        return;
    struct timespec until;
    tu_deadline(&until, CLOCK_MONOTONIC, timeout_ms);
    pthread_mutex_lock(&r->m);
    while (!r->unsub_done && !r->lost && wait_until(r, &until))
        ;
    pthread_mutex_unlock(&r->m);
}

int mqrr_disconnect(struct mqrr *r, int timeout_ms, char err[MQ_ERR_MAX])
{
    if (!r)
        return 0;
    if (r->c) {
        unsubscribe_all(r, timeout_ms);
        /* After mq_close no callback runs, so r->c may be cleared unlocked
         * as far as Paho is concerned; the lock is for mqrr_next's test. */
        MQTTAsync c = r->c;
        mq_close(&c, timeout_ms);
        pthread_mutex_lock(&r->m);
        r->c = NULL;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->m);
    }
    pthread_mutex_lock(&r->m);
    bool lost = r->lost;
    if (lost && err)
        snprintf(err, MQ_ERR_MAX, "the connection to the broker was lost: %s", r->lost_msg);
    pthread_mutex_unlock(&r->m);
    return lost ? -1 : 0;
}

void mqrr_close(struct mqrr **rp)
{
    if (!rp || !*rp)
        return;
    struct mqrr *r = *rp;
    mqrr_disconnect(r, 2000, NULL);
    while (r->head) {
        struct item *it = r->head;
        r->head = it->next;
        item_free(it);
    }
    item_free(r->reply);
    for (int i = 0; i < r->nfilters; i++)
        free(r->filters[i]);
    free(r->resp_topic);
    pthread_mutex_destroy(&r->m);
    pthread_cond_destroy(&r->cv);
    free(r);
    *rp = NULL;
}
