/* sender.c -- one connection, a window of reports in flight, acks applied as they come. */
#include "sender.h"

#include "acks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "olog.h"
#include "timeutil.h"
#include "topics.h"
#include "tripcards.h"

static int by_msg_id(const void *a, const void *b)
{
    const struct outbox_entry *const *x = a, *const *y = b;
    return strcmp((*x)->msg_id, (*y)->msg_id);
}

int sender_flush(struct outbox *ob, const struct sender_opts *o, struct flush_result *res,
                 char err[MQ_ERR_MAX])
{
    memset(res, 0, sizeof *res);
    struct outbox_entry *list = NULL, **index = NULL;
    size_t n = 0;
    MQTTAsync c = NULL;
    struct ack_inbox in;
    struct card_inbox cards;
    ack_inbox_init(&in);
    card_inbox_init(&cards, o->topic_root, &in);
    int rc = -1;
    char now[TU_TS_MAX], topic[TOPIC_MAX], client_id[128];
    bool *answered = NULL, *sent_now = NULL;

    if (outbox_unanswered(ob, 1000000, &list, &n)) {
        snprintf(err, MQ_ERR_MAX, "cannot read the outbox");
        goto done;
    }
    res->total = n;
    if (n == 0 && !o->fetch_trips) {
        rc = 0;
        goto done;
    }
    index = malloc((n ? n : 1) * sizeof *index);
    answered = calloc(n ? n : 1, sizeof *answered);
    sent_now = calloc(n ? n : 1, sizeof *sent_now);
    if (!index || !answered || !sent_now) {
        snprintf(err, MQ_ERR_MAX, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        index[i] = &list[i];
    qsort(index, n, sizeof *index, by_msg_id);

    /* A fresh client id per run: the daemon may hold the agent's own. The
     * broker takes from an account only USERNAME or USERNAME.SUFFIX. */
    snprintf(client_id, sizeof client_id, "%s.cli-%ld", o->username ? o->username : o->agent_id,
             (long)getpid());
    if (mq_client_new(&c, o->broker, client_id, 0, err))
        goto done;
    MQTTAsync_setCallbacks(c, &cards, NULL, card_inbox_on_message, NULL);
    struct mq_conn_opts co = {.username = o->username, .password = o->password,
                              .clean_start = true, .keepalive_s = 30,
                              .tls = o->tls, .uri = o->broker};
    if (mq_connect(c, &co, o->connect_timeout_ms, NULL, err))
        goto done;
    topic_fmt(topic, sizeof topic, o->topic_root, "agents/%s/acks", o->agent_id);
    if (mq_subscribe(c, topic, 1, o->connect_timeout_ms, err))
        goto done;
    /* The retained trip cards come right after this subscription. */
    topic_fmt(topic, sizeof topic, o->topic_root, "trips/+");
    char terr[MQ_ERR_MAX]; /* without the cards, reports are still sent */
    if (o->fetch_trips && mq_subscribe(c, topic, 1, o->connect_timeout_ms, terr))
        olog(OLOG_WARN, "no trip cards (trips are not checked at entry): %s", terr);

    /* answered[i]: the coordinator has answered list[i] (perhaps to an
     * earlier run); in flight: sent by this run and not answered yet. */
    size_t next = 0, done_count = 0, inflight = 0;
    double last_progress = tu_mono_ms();
    while (done_count < n) {
        /* Fill the window, oldest first. */
        size_t window = o->window ? o->window : SEND_WINDOW_DEFAULT;
        if (next < n && inflight < window) {
            tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
            outbox_tx_begin(ob);
            for (; next < n && inflight < window; next++) {
                struct outbox_entry *e = &list[next];
                if (answered[next])
                    continue;
                topic_fmt(topic, sizeof topic, o->topic_root, "agents/%s/reports/%s",
                          o->agent_id, e->kind);
                if (mq_publish(c, topic, e->payload, strlen(e->payload), 1, false, NULL,
                               NULL, err)) {
                    outbox_tx_commit(ob);
                    goto done;
                }
                outbox_mark_sent(ob, e->msg_id, now);
                sent_now[next] = true;
                inflight++;
                res->sent++;
            }
            if (outbox_tx_commit(ob)) {
                snprintf(err, MQ_ERR_MAX, "cannot write the outbox");
                goto done;
            }
            if (o->progress)
                o->progress(o->ctx, res->sent, done_count, n);
        }
        /* Wait a little for answers. */
        struct answer *got = NULL;
        size_t ngot = 0;
        ack_inbox_take(&in, 100, &got, &ngot);
        if (ngot) {
            struct ack_counts counts = {0};
            bool *changed = calloc(ngot, sizeof *changed);
            if (!changed || ack_apply(ob, got, ngot, changed, &counts)) {
                free(changed);
                free(got);
                snprintf(err, MQ_ERR_MAX, "cannot write the outbox");
                goto done;
            }
            for (size_t i = 0; i < ngot; i++) {
                struct outbox_entry key, *kp = &key, **hit;
                snprintf(key.msg_id, sizeof key.msg_id, "%s", got[i].msg_id);
                hit = bsearch(&kp, index, n, sizeof *index, by_msg_id);
                if (!hit || answered[*hit - list])
                    continue; /* not one of this run's, or answered already */
                if (changed[i]) {
                    if (strcmp(got[i].status, "rejected") == 0)
                        res->rejected++;
                    else if (strcmp(got[i].status, "duplicate") == 0)
                        res->duplicate++;
                    else
                        res->accepted++;
                }
                answered[*hit - list] = true;
                done_count++;
                if (sent_now[*hit - list])
                    inflight--;
            }
            free(changed);
            last_progress = tu_mono_ms();
            if (o->progress)
                o->progress(o->ctx, res->sent, done_count, n);
        }
        free(got);
        if (tu_mono_ms() - last_progress > o->ack_timeout_ms)
            break; /* the rest stays queued for the next run */
    }
    if (o->fetch_trips) {
        /* Retained cards arrive in one burst: wait until it has been quiet
         * for a moment, bounded by the connect timeout. */
        double start = tu_mono_ms(), quiet_since = start;
        size_t seen = card_inbox_received(&cards);
        while (tu_mono_ms() - quiet_since < 300 && tu_mono_ms() - start < o->connect_timeout_ms) {
            nanosleep(&(struct timespec){0, 20000000L}, NULL); /* poll the inbox */
            size_t now_seen = card_inbox_received(&cards);
            if (now_seen != seen) {
                seen = now_seen;
                quiet_since = tu_mono_ms();
            }
        }
    }
    rc = 0;
done:
    mq_close(&c, 1000);
    res->trips = card_inbox_apply(&cards, ob);
    card_inbox_free(&cards);
    ack_inbox_free(&in);
    outbox_entries_free(list, n);
    free(index);
    free(answered);
    free(sent_now);
    return rc;
}
