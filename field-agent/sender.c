/* sender.c -- one connection, a window of reports in flight, acks applied as they come. */
#include "sender.h"

#include "acks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "olog.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcards.h"

/* One run of sender_flush: the unanswered reports and what became of each. */
struct run {
    struct outbox *ob;
    const struct sender_opts *o;
    struct flush_result *res;
    MQTTAsync c;
    struct outbox_entry *list;    /* in seq order */
    struct outbox_entry **index;  /* the same, by msg_id */
    bool *answered, *sent_now;    /* per list entry */
    size_t n, next, done_count, inflight;
};

static int by_msg_id(const void *a, const void *b)
{
    const struct outbox_entry *const *x = a, *const *y = b;
    return strcmp((*x)->msg_id, (*y)->msg_id);
}

/* Connects with a fresh client id and subscribes to the acks (and the trip
 * cards when asked). Returns 0 or -1 with err. */
static int open_connection(struct run *r, struct card_inbox *cards, char err[MQ_ERR_MAX])
{
    const struct sender_opts *o = r->o;
    char topic[TOPIC_MAX], client_id[CLI_CLIENT_ID_MAX];
    /* A fresh client id per run ("USERNAME.cli-PID"): the daemon may hold
     * the agent's own. */
    cli_client_id(client_id, o->username ? o->username : o->agent_id, false);
    if (mq_client_new(&r->c, o->broker, client_id, 0, err))
        return -1;
    MQTTAsync_setCallbacks(r->c, cards, NULL, card_inbox_on_message, NULL);
    struct mq_conn_opts co = {.username = o->username, .password = o->password,
                              .clean_start = true, .keepalive_s = 30,
                              .tls = o->tls, .uri = o->broker};
    if (mq_connect(r->c, &co, o->connect_timeout_ms, NULL, err))
        return -1;
    topic_fmt(topic, sizeof topic, o->topic_root, "agents/%s/acks", o->agent_id);
    if (mq_subscribe(r->c, topic, 1, o->connect_timeout_ms, err))
        return -1;
    /* The retained trip cards come right after this subscription. */
    topic_fmt(topic, sizeof topic, o->topic_root, "trips/+");
    char terr[MQ_ERR_MAX]; /* without the cards, reports are still sent */
    if (o->fetch_trips && mq_subscribe(r->c, topic, 1, o->connect_timeout_ms, terr))
        olog(OLOG_WARN, "no trip cards (trips are not checked at entry): %s", terr);
    return 0;
}

/* Fills the window, oldest first. Returns 0 or -1 with err. */
static int send_window(struct run *r, char err[MQ_ERR_MAX])
{
    const struct sender_opts *o = r->o;
    size_t window = o->window ? o->window : SEND_WINDOW_DEFAULT;
    char now[TU_TS_MAX], topic[TOPIC_MAX];
    if (r->next >= r->n || r->inflight >= window)
        return 0;
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    outbox_tx_begin(r->ob);
    for (; r->next < r->n && r->inflight < window; r->next++) {
        struct outbox_entry *e = &r->list[r->next];
        if (r->answered[r->next])
            continue;
        topic_fmt(topic, sizeof topic, o->topic_root, "agents/%s/reports/%s", o->agent_id,
                  e->kind);
        if (mq_publish(r->c, topic, e->payload, strlen(e->payload), 1, false, NULL, NULL,
                       err)) {
            outbox_tx_commit(r->ob);
            return -1;
        }
        outbox_mark_sent(r->ob, e->msg_id, now);
        r->sent_now[r->next] = true;
        r->inflight++;
        r->res->sent++;
    }
    if (outbox_tx_commit(r->ob)) {
        snprintf(err, MQ_ERR_MAX, "cannot write the outbox");
        return -1;
    }
    if (o->progress)
        o->progress(o->ctx, r->res->sent, r->done_count, r->n);
    return 0;
}

/* Records the answers got (ngot of them) in the outbox and in r. Returns 0
 * or -1 with err. */
static int apply_answers(struct run *r, const struct answer *got, size_t ngot,
                         char err[MQ_ERR_MAX])
{
    struct ack_counts counts = {0};
    bool *changed = calloc(ngot, sizeof *changed);
    if (!changed || ack_apply(r->ob, got, ngot, changed, &counts)) {
        free(changed);
        snprintf(err, MQ_ERR_MAX, "cannot write the outbox");
        return -1;
    }
    for (size_t i = 0; i < ngot; i++) {
        struct outbox_entry key, *kp = &key, **hit;
        snprintf(key.msg_id, sizeof key.msg_id, "%s", got[i].msg_id);
        hit = bsearch(&kp, r->index, r->n, sizeof *r->index, by_msg_id);
        if (!hit || r->answered[*hit - r->list])
            continue; /* not one of this run's, or answered already */
        if (changed[i]) {
            if (strcmp(got[i].status, "rejected") == 0)
                r->res->rejected++;
            else if (strcmp(got[i].status, "duplicate") == 0)
                r->res->duplicate++;
            else
                r->res->accepted++;
        }
        r->answered[*hit - r->list] = true;
        r->done_count++;
        if (r->sent_now[*hit - r->list])
            r->inflight--;
    }
    free(changed);
    if (r->o->progress)
        r->o->progress(r->o->ctx, r->res->sent, r->done_count, r->n);
    return 0;
}

/* Retained cards arrive in one burst: waits until it has been quiet for a
 * moment, bounded by the connect timeout. */
static void wait_for_cards(struct card_inbox *cards, int connect_timeout_ms)
{
    double start = tu_mono_ms(), quiet_since = start;
    size_t seen = card_inbox_received(cards);
    while (tu_mono_ms() - quiet_since < 300 && tu_mono_ms() - start < connect_timeout_ms) {
        nanosleep(&(struct timespec){0, 20000000L}, NULL); /* poll the inbox */
        size_t now_seen = card_inbox_received(cards);
        if (now_seen != seen) {
            seen = now_seen;
            quiet_since = tu_mono_ms();
        }
    }
}

int sender_flush(struct outbox *ob, const struct sender_opts *o, struct flush_result *res,
                 char err[MQ_ERR_MAX])
{
    memset(res, 0, sizeof *res);
    struct run r = {.ob = ob, .o = o, .res = res};
    struct ack_inbox in;
    struct card_inbox cards;
    ack_inbox_init(&in);
    card_inbox_init(&cards, o->topic_root, &in);
    int rc = -1;

    if (outbox_unanswered(ob, 1000000, &r.list, &r.n)) {
        snprintf(err, MQ_ERR_MAX, "cannot read the outbox");
        goto done;
    }
    res->total = r.n;
    if (r.n == 0 && !o->fetch_trips) {
        rc = 0;
        goto done;
    }
    r.index = malloc((r.n ? r.n : 1) * sizeof *r.index);
    r.answered = calloc(r.n ? r.n : 1, sizeof *r.answered);
    r.sent_now = calloc(r.n ? r.n : 1, sizeof *r.sent_now);
    if (!r.index || !r.answered || !r.sent_now) {
        snprintf(err, MQ_ERR_MAX, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < r.n; i++)
        r.index[i] = &r.list[i];
    qsort(r.index, r.n, sizeof *r.index, by_msg_id);
    if (open_connection(&r, &cards, err))
        goto done;

    /* answered[i]: the coordinator has answered list[i] (perhaps to an
     * earlier run); in flight: sent by this run and not answered yet. */
    double last_progress = tu_mono_ms();
    while (r.done_count < r.n) {
        if (send_window(&r, err))
            goto done;
        /* Wait a little for answers. */
        struct answer *got = NULL;
        size_t ngot = 0;
        ack_inbox_take(&in, 100, &got, &ngot);
        if (ngot) {
            int bad = apply_answers(&r, got, ngot, err);
            free(got);
            if (bad)
                goto done;
            last_progress = tu_mono_ms();
        } else {
            free(got);
        }
        if (tu_mono_ms() - last_progress > o->ack_timeout_ms)
            break; /* the rest stays queued for the next run */
    }
    if (o->fetch_trips)
        wait_for_cards(&cards, o->connect_timeout_ms);
    rc = 0;
done:
    mq_close(&r.c, 1000);
    res->trips = card_inbox_apply(&cards, ob);
    card_inbox_free(&cards);
    ack_inbox_free(&in);
    outbox_entries_free(r.list, r.n);
    free(r.index);
    free(r.answered);
    free(r.sent_now);
    return rc;
}
