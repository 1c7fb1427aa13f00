/* daemon.c -- the field agent's sender that never gives up: connect with
 * backoff, publish the birth, send unanswered reports oldest first within a
 * window, resend after a timeout, apply acks, say online/offline in the outbox
 * so the CLI knows whether to wait for it. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "acks.h"
#include "mq.h"
#include "olog.h"
#include "timeutil.h"
#include "topics.h"

static void lock_path(const char *outbox_path, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", outbox_path, DAEMON_LOCK_SUFFIX);
}

int daemon_lock(const char *outbox_path, long *holder)
{
    char path[1024];
    lock_path(outbox_path, path, sizeof path);
    *holder = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char buf[32] = "";
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
        if (r > 0)
            *holder = strtol(buf, NULL, 10);
        close(fd);
        return -1;
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        close(fd);
        return -1;
    }
    return fd;
}

int daemon_running(const char *outbox_path, long *pid)
{
    char path[1024];
    lock_path(outbox_path, path, sizeof path);
    *pid = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (held) {
        char buf[32] = "";
        ssize_t r = pread(fd, buf, sizeof buf - 1, 0);
        if (r > 0)
            *pid = strtol(buf, NULL, 10);
    }
    close(fd);
    return held;
}

/* Reports in flight: sent by this daemon and not answered yet. */
struct flight {
    char msg_id[UUID_LEN + 1];
    double sent_ms;
};

struct dstate {
    const struct daemon_opts *o;
    struct outbox *ob;
    MQTTAsync mq;
    struct ack_inbox in;
    int connected; /* set by Paho's callbacks, read by us */
    int reconnected;
    struct flight *fl;
    size_t nfl;
    long long last_pending, last_seq;
    double last_status_ms;
};

static void on_connected(void *ctx, char *cause)
{
    struct dstate *d = ctx;
    __atomic_store_n(&d->connected, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&d->reconnected, 1, __ATOMIC_RELEASE);
}

static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct dstate *d = ctx;
    return ack_inbox_on_message(&d->in, topic, topic_len, m);
}

static void on_lost(void *ctx, char *cause)
{
    struct dstate *d = ctx;
    __atomic_store_n(&d->connected, 0, __ATOMIC_RELEASE);
}

static void publish_status(struct dstate *d, bool online)
{
    struct outbox_counts c;
    if (outbox_counts(d->ob, &c))
        return;
    char topic[TOPIC_MAX], since[TU_TS_MAX], err[MQ_ERR_MAX];
    topic_fmt(topic, sizeof topic, d->o->topic_root, "agents/%s/status", d->o->agent_id);
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, since);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "online", online);
    cJSON_AddStringToObject(o, "agent_id", d->o->agent_id);
    if (online) {
        if (d->o->trip)
            cJSON_AddStringToObject(o, "trip_id", d->o->trip);
        cJSON_AddNumberToObject(o, "pending", (double)(c.pending + c.sent));
        cJSON_AddNumberToObject(o, "last_seq", (double)c.last_seq);
        cJSON_AddStringToObject(o, "since", since);
    }
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    /* The last word before disconnecting must reach the broker. */
    if (p && (online ? mq_publish(d->mq, topic, p, strlen(p), 1, true, NULL, NULL, err)
                     : mq_publish_wait(d->mq, topic, p, true, 2000, err)))
        olog(OLOG_WARN, "%s", err);
    free(p);
    d->last_pending = c.pending + c.sent;
    d->last_seq = c.last_seq;
    d->last_status_ms = tu_mono_ms();
}

static int subscribe_acks(struct dstate *d)
{
    char topic[TOPIC_MAX], err[MQ_ERR_MAX];
    topic_fmt(topic, sizeof topic, d->o->topic_root, "agents/%s/acks", d->o->agent_id);
    if (mq_subscribe(d->mq, topic, 1, d->o->connect_timeout_ms, err)) {
        olog(OLOG_WARN, "%s", err);
        return -1;
    }
    return 0;
}

static int connect_once(struct dstate *d)
{
    char will_topic[TOPIC_MAX], will[160], err[MQ_ERR_MAX];
    topic_fmt(will_topic, sizeof will_topic, d->o->topic_root, "agents/%s/status",
              d->o->agent_id);
    snprintf(will, sizeof will, "{\"online\":false,\"agent_id\":\"%s\"}", d->o->agent_id);
    struct mq_conn_opts co = {
        .username = d->o->username, .password = d->o->password,
        /* Acks published while we are away wait for us at the broker. */
        .clean_start = false, .session_expiry_s = 7 * 24 * 3600,
        .keepalive_s = 30, .auto_reconnect = true,
        .will_topic = will_topic, .will_payload = will, .will_retained = true,
    };
    if (mq_connect(d->mq, &co, d->o->connect_timeout_ms, NULL, err)) {
        olog(OLOG_WARN, "cannot reach %s: %s", d->o->broker, err);
        return -1;
    }
    return 0;
}

/* Drops from the flight list what is no longer unanswered. */
static void prune_flights(struct dstate *d, const struct outbox_entry *list, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < d->nfl; i++) {
        bool still = false;
        for (size_t j = 0; j < n && !still; j++)
            still = strcmp(list[j].msg_id, d->fl[i].msg_id) == 0;
        if (still)
            d->fl[k++] = d->fl[i];
    }
    d->nfl = k;
}

static struct flight *find_flight(struct dstate *d, const char *msg_id)
{
    for (size_t i = 0; i < d->nfl; i++)
        if (strcmp(d->fl[i].msg_id, msg_id) == 0)
            return &d->fl[i];
    return NULL;
}

/* Sends (again) what is due, oldest first. */
static void send_due(struct dstate *d)
{
    size_t window = d->o->window > 0 ? (size_t)d->o->window : 50;
    struct outbox_entry *list = NULL;
    size_t n = 0;
    if (outbox_unanswered(d->ob, window, &list, &n))
        return;
    prune_flights(d, list, n);
    char now[TU_TS_MAX], topic[TOPIC_MAX], err[MQ_ERR_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    double t = tu_mono_ms();
    bool began = false;
    for (size_t i = 0; i < n; i++) {
        struct outbox_entry *e = &list[i];
        struct flight *f = find_flight(d, e->msg_id);
        if (f && t - f->sent_ms < d->o->resend_ms)
            continue;
        topic_fmt(topic, sizeof topic, d->o->topic_root, "agents/%s/reports/%s",
                  d->o->agent_id, e->kind);
        if (mq_publish(d->mq, topic, e->payload, strlen(e->payload), 1, false, NULL, NULL,
                       err)) {
            olog(OLOG_WARN, "%s", err);
            break;
        }
        if (!began)
            began = outbox_tx_begin(d->ob) == OERR_OK;
        outbox_mark_sent(d->ob, e->msg_id, now);
        if (f) {
            f->sent_ms = t;
            olog(OLOG_DEBUG, "resent report #%lld (%s)", e->seq, e->msg_id);
        } else {
            struct flight *bigger = realloc(d->fl, (d->nfl + 1) * sizeof *bigger);
            if (!bigger)
                break;
            d->fl = bigger;
            f = &d->fl[d->nfl++];
            snprintf(f->msg_id, sizeof f->msg_id, "%s", e->msg_id);
            f->sent_ms = t;
        }
    }
    if (began)
        outbox_tx_commit(d->ob);
    outbox_entries_free(list, n);
}

int daemon_run(struct outbox *ob, const struct daemon_opts *o)
{
    struct dstate d = {.o = o, .ob = ob};
    char err[MQ_ERR_MAX];
    int rc = 1;
    ack_inbox_init(&d.in);
    if (mq_client_new(&d.mq, o->broker, o->agent_id, 0, err)) {
        olog(OLOG_ERROR, "%s", err);
        goto done;
    }
    /* One context for every callback: the daemon's state. */
    MQTTAsync_setCallbacks(d.mq, &d, on_lost, on_message, NULL);
    MQTTAsync_setConnected(d.mq, &d, on_connected);
    outbox_meta_set(ob, "daemon", "offline");

    double next_try = 0;
    int backoff_ms = 1000;
    bool ever = false, was_up = false;
    while (!*o->stop) {
        if (!ever) {
            /* Until the first connection Paho does not retry by itself. */
            if (tu_mono_ms() >= next_try) {
                if (connect_once(&d) == 0) {
                    ever = true;
                    /* Paho may or may not call on_connected for the first one. */
                    __atomic_store_n(&d.connected, 1, __ATOMIC_RELEASE);
                    __atomic_store_n(&d.reconnected, 1, __ATOMIC_RELEASE);
                    olog(OLOG_INFO, "connected to %s as %s", o->broker, o->agent_id);
                } else {
                    next_try = tu_mono_ms() + backoff_ms;
                    backoff_ms = backoff_ms < 30000 ? backoff_ms * 2 : 30000;
                }
            }
        }
        if (__atomic_exchange_n(&d.reconnected, 0, __ATOMIC_ACQ_REL)) {
            /* A new connection: (re)subscribe, say so, and resend what is in
             * flight, since it may never have reached the broker. */
            if (subscribe_acks(&d) == 0) {
                publish_status(&d, true);
                outbox_meta_set(ob, "daemon", "online");
                d.nfl = 0;
            } else {
                __atomic_store_n(&d.reconnected, 1, __ATOMIC_RELEASE);
            }
        }
        bool up = __atomic_load_n(&d.connected, __ATOMIC_ACQUIRE);
        if (was_up && !up) {
            olog(OLOG_WARN, "lost the broker; reports stay queued until it is back");
            outbox_meta_set(ob, "daemon", "offline");
        }
        was_up = up;

        struct answer *got = NULL;
        size_t ngot = 0;
        ack_inbox_take(&d.in, 100, &got, &ngot);
        if (ngot) {
            struct ack_counts c = {0};
            if (ack_apply(ob, got, ngot, NULL, &c))
                olog(OLOG_ERROR, "cannot record %zu acks in the outbox", ngot);
            else if (c.rejected)
                olog(OLOG_WARN, "%zu report(s) rejected: see 'outreach-agent status'", c.rejected);
        }
        free(got);
        if (up) {
            send_due(&d);
            struct outbox_counts c;
            if (outbox_counts(ob, &c) == OERR_OK &&
                (c.pending + c.sent != d.last_pending || c.last_seq != d.last_seq) &&
                tu_mono_ms() - d.last_status_ms >= 1000)
                publish_status(&d, true);
        }
    }
    rc = 0;
done:
    if (d.mq && __atomic_load_n(&d.connected, __ATOMIC_ACQUIRE))
        publish_status(&d, false);
    outbox_meta_set(ob, "daemon", "stopped");
    mq_close(&d.mq, 1000);
    ack_inbox_free(&d.in);
    free(d.fl);
    return rc;
}
