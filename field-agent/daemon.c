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
#include <time.h>
#include <unistd.h>

#include "acks.h"
#include "arr.h"
#include "jsonget.h"
#include "mq.h"
#include "olog.h"
#include "sender.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcards.h"

static void lock_path(const char *outbox_path, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", outbox_path, DAEMON_LOCK_SUFFIX);
}

/* fcntl locks: a probe (F_GETLK) never takes the lock, so a `status` running
 * at the moment a daemon starts cannot make it fail, and the kernel says who
 * holds it (no pid text to go stale after a SIGKILL). */
int daemon_lock(const char *outbox_path, long *holder)
{
    char path[1024];
    lock_path(outbox_path, path, sizeof path);
    *holder = 0;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        *holder = -errno;
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
            *holder = (long)who.l_pid;
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
    struct flock who = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int held = fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK;
    if (held)
        *pid = (long)who.l_pid;
    close(fd);
    return held;
}

/* Reports in flight: sent by this daemon and not answered yet. */
struct flight {
    char msg_id[UUID_LEN + 1];
    double due_ms;      /* when to send it again */
    double interval_ms; /* doubles with each resend, up to RESEND_MAX_MS */
};
/* While the coordinator is away, resending a whole window every few seconds
 * would fill the broker's queue: each report waits twice as long each time. */
#define RESEND_MAX_MS (5 * 60 * 1000.0)

struct dstate {
    const struct daemon_opts *o;
    struct outbox *ob;
    MQTTAsync mq;
    struct ack_inbox in;
    struct card_inbox cards; /* trip cards; passes every other message to in */
    int connected; /* set by Paho's callbacks, read by us */
    int reconnected;
    struct flight *fl;
    size_t nfl, flcap;
    long long last_pending, last_seq;
    double last_status_ms;
    double next_due_ms;       /* the earliest resend due, or 0 */
    long long data_version;   /* the outbox's, to notice new reports */
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
    return card_inbox_on_message(&d->cards, topic, topic_len, m);
}

static void on_lost(void *ctx, char *cause)
{
    struct dstate *d = ctx;
    __atomic_store_n(&d->connected, 0, __ATOMIC_RELEASE);
}

static void publish_status(struct dstate *d, bool online)
{
    long long unanswered, last_seq;
    if (outbox_unanswered_count(d->ob, &unanswered, &last_seq))
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
        cJSON_AddNumberToObject(o, "pending", (double)unanswered);
        cJSON_AddNumberToObject(o, "last_seq", (double)last_seq);
        cJSON_AddStringToObject(o, "since", since);
    }
    char *p = json_print_free(o);
    /* The last word before disconnecting must reach the broker. */
    if (p && (online ? mq_publish(d->mq, topic, p, strlen(p), 1, true, NULL, NULL, err)
                     : mq_publish_wait(d->mq, topic, p, true, 2000, err)))
        olog(OLOG_WARN, "%s", err);
    free(p);
    d->last_pending = unanswered;
    d->last_seq = last_seq;
    d->last_status_ms = tu_mono_ms();
}

static int subscribe_inbox(struct dstate *d)
{
    char topic[TOPIC_MAX], err[MQ_ERR_MAX];
    topic_fmt(topic, sizeof topic, d->o->topic_root, "agents/%s/acks", d->o->agent_id);
    if (mq_subscribe(d->mq, topic, 1, d->o->connect_timeout_ms, err)) {
        olog(OLOG_WARN, "%s", err);
        return -1;
    }
    /* The trip cards, so that reports for an unknown or cancelled trip are
     * refused at entry even offline. Retained: each connection brings all. */
    /* Without them reports are still sent: a refusal is only a warning. */
    topic_fmt(topic, sizeof topic, d->o->topic_root, "trips/+");
    if (mq_subscribe(d->mq, topic, 1, d->o->connect_timeout_ms, err))
        olog(OLOG_WARN, "no trip cards (trips are not checked at entry): %s", err);
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
        .tls = d->o->tls, .uri = d->o->broker,
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

/* Sends (again) what is due, oldest first, and notes when the next resend
 * falls due. */
static void send_due(struct dstate *d)
{
    size_t window = d->o->window > 0 ? (size_t)d->o->window : SEND_WINDOW_DEFAULT;
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
        if (f && t < f->due_ms)
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
            f->interval_ms = f->interval_ms * 2 < RESEND_MAX_MS ? f->interval_ms * 2
                                                                 : RESEND_MAX_MS;
            f->due_ms = t + f->interval_ms;
            olog(OLOG_DEBUG, "resent report #%lld (%s)", e->seq, e->msg_id);
        } else {
            if (ARR_RESERVE(d->fl, d->flcap, d->nfl + 1))
                break;
            f = &d->fl[d->nfl++];
            snprintf(f->msg_id, sizeof f->msg_id, "%s", e->msg_id);
            f->interval_ms = d->o->resend_ms;
            f->due_ms = t + f->interval_ms;
        }
    }
    if (began && outbox_tx_commit(d->ob))
        olog(OLOG_ERROR, "cannot record sent reports in the outbox");
    outbox_entries_free(list, n);
    d->next_due_ms = 0;
    for (size_t i = 0; i < d->nfl; i++)
        if (d->next_due_ms == 0 || d->fl[i].due_ms < d->next_due_ms)
            d->next_due_ms = d->fl[i].due_ms;
}

/* Writes the daemon's state for the CLI when it changed. */
static void set_state(struct dstate *d, const char *state, char *written, size_t n)
{
    if (strcmp(written, state) == 0)
        return;
    if (outbox_meta_set(d->ob, "daemon", state) == OERR_OK)
        snprintf(written, n, "%s", state);
}

/* The first connection, tried with a growing pause until it works; after
 * it, Paho reconnects by itself. Returns whether the broker is up now. */
struct conn_try {
    double next_try;
    int backoff_ms;
    bool ever;
};

static bool keep_connected(struct dstate *d, struct conn_try *ct)
{
    bool up = __atomic_load_n(&d->connected, __ATOMIC_ACQUIRE);
    if (up)
        ct->ever = true; /* from then on Paho reconnects by itself */
    if (ct->ever || tu_mono_ms() < ct->next_try)
        return up;
    if (connect_once(d) == 0) {
        ct->ever = true;
        olog(OLOG_INFO, "connected to %s as %s", d->o->broker, d->o->agent_id);
        /* Paho may or may not call on_connected for the first one. */
        if (MQTTAsync_isConnected(d->mq)) {
            __atomic_store_n(&d->connected, 1, __ATOMIC_RELEASE);
            __atomic_store_n(&d->reconnected, 1, __ATOMIC_RELEASE);
        }
    } else {
        ct->next_try = tu_mono_ms() + ct->backoff_ms;
        ct->backoff_ms = ct->backoff_ms < 30000 ? ct->backoff_ms * 2 : 30000;
    }
    return __atomic_load_n(&d->connected, __ATOMIC_ACQUIRE);
}

/* After a new connection: (re)subscribe, say so, and send again what is in
 * flight, since it may never have reached the broker. Returns true when the
 * connection is fresh and ready. */
static bool greet_connection(struct dstate *d)
{
    if (!__atomic_exchange_n(&d->reconnected, 0, __ATOMIC_ACQ_REL))
        return false;
    if (subscribe_inbox(d) == 0) {
        publish_status(d, true);
        d->nfl = 0;
        return true;
    }
    if (MQTTAsync_isConnected(d->mq))
        __atomic_store_n(&d->reconnected, 1, __ATOMIC_RELEASE); /* try again */
    return false;
}

/* Records the acks and trip cards that came in; returns how many answers. */
static size_t take_answers(struct dstate *d)
{
    struct answer *got = NULL;
    size_t ngot = 0;
    ack_inbox_take(&d->in, 100, &got, &ngot);
    if (ngot) {
        struct ack_counts c = {0};
        if (ack_apply(d->ob, got, ngot, NULL, &c))
            olog(OLOG_ERROR, "cannot record %zu acks in the outbox", ngot);
        else if (c.rejected)
            olog(OLOG_WARN, "%zu report(s) rejected: see 'outreach-agent status'", c.rejected);
    }
    free(got);
    if (card_inbox_apply(&d->cards, d->ob) < 0)
        olog(OLOG_ERROR, "cannot store trip cards in the outbox");
    return ngot;
}

/* Publishes the birth again when the outbox's figures changed (once a second at most). */
static void refresh_status(struct dstate *d, double t, double *next_count)
{
    if (t < *next_count)
        return;
    long long unanswered, last_seq;
    *next_count = t + 1000;
    if (outbox_unanswered_count(d->ob, &unanswered, &last_seq) == OERR_OK &&
        (unanswered != d->last_pending || last_seq != d->last_seq))
        publish_status(d, true);
}

int daemon_run(struct outbox *ob, const struct daemon_opts *o)
{
    struct dstate d = {.o = o, .ob = ob};
    char err[MQ_ERR_MAX], state[16] = "";
    int rc = 1;
    ack_inbox_init(&d.in);
    card_inbox_init(&d.cards, o->topic_root, &d.in);
    set_state(&d, "offline", state, sizeof state);
    if (mq_client_new(&d.mq, o->broker, o->agent_id, 0, err)) {
        olog(OLOG_ERROR, "%s", err);
        goto done;
    }
    /* One context for every callback: the daemon's state. */
    MQTTAsync_setCallbacks(d.mq, &d, on_lost, on_message, NULL);
    MQTTAsync_setConnected(d.mq, &d, on_connected);

    struct conn_try ct = {.backoff_ms = 1000};
    double next_count = 0;
    bool was_up = false;
    while (!*o->stop) {
        bool up = keep_connected(&d, &ct);
        bool fresh = up && greet_connection(&d);
        if (was_up && !up)
            olog(OLOG_WARN, "lost the broker; reports stay queued until it is back");
        was_up = up;
        set_state(&d, up ? "online" : "offline", state, sizeof state);
        size_t ngot = take_answers(&d);
        if (!up)
            continue;
        /* Look at the outbox only when something may be due: an answer came
         * (the window moved), a resend fell due, a report was added. */
        long long version = outbox_data_version(ob);
        double t = tu_mono_ms();
        if (fresh || ngot || version != d.data_version ||
            (d.next_due_ms && t >= d.next_due_ms)) {
            d.data_version = version;
            send_due(&d);
        }
        refresh_status(&d, t, &next_count);
    }
    rc = 0;
done:
    if (d.mq && __atomic_load_n(&d.connected, __ATOMIC_ACQUIRE))
        publish_status(&d, false);
    set_state(&d, "stopped", state, sizeof state);
    mq_close(&d.mq, 1000);
    ack_inbox_free(&d.in);
    card_inbox_free(&d.cards);
    free(d.fl);
    return rc;
}
