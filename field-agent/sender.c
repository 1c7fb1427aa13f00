/* sender.c -- one connection, a window of reports in flight, acks applied as they come. */
#include "sender.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "olog.h"
#include "timeutil.h"
#include "topics.h"

struct answer {
    char msg_id[UUID_LEN + 1];
    char status[12];
    char code[24];
    char reason[JERR_MAX];
};

struct inbox {
    pthread_mutex_t m;
    pthread_cond_t cv;
    struct answer *a;
    size_t n, cap;
};

/* Paho's thread: parse the acks message, queue the answers. */
static int on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct inbox *in = ctx;
    struct jerr err;
    cJSON *root = m->payloadlen > 0
                      ? json_parse_bounded(m->payload, (size_t)m->payloadlen, 8, &err)
                      : NULL;
    const cJSON *acks = cJSON_GetObjectItemCaseSensitive(root, "acks"), *it;
    pthread_mutex_lock(&in->m);
    cJSON_ArrayForEach(it, acks) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "msg_id");
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
        if (!cJSON_IsString(id) || !cJSON_IsString(st) || !id_is_uuid(id->valuestring))
            continue;
        if (in->n == in->cap) {
            size_t cap = in->cap ? in->cap * 2 : 64;
            struct answer *bigger = realloc(in->a, cap * sizeof *bigger);
            if (!bigger)
                break;
            in->a = bigger;
            in->cap = cap;
        }
        struct answer *a = &in->a[in->n++];
        memset(a, 0, sizeof *a);
        snprintf(a->msg_id, sizeof a->msg_id, "%s", id->valuestring);
        snprintf(a->status, sizeof a->status, "%s", st->valuestring);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(it, "code");
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(it, "reason");
        if (cJSON_IsString(code))
            snprintf(a->code, sizeof a->code, "%s", code->valuestring);
        if (cJSON_IsString(reason))
            snprintf(a->reason, sizeof a->reason, "%s", reason->valuestring);
    }
    pthread_cond_signal(&in->cv);
    pthread_mutex_unlock(&in->m);
    cJSON_Delete(root);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

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
    struct inbox in = {.a = NULL};
    pthread_mutex_init(&in.m, NULL);
    pthread_cond_init(&in.cv, NULL);
    int rc = -1;
    char now[TU_TS_MAX], topic[TOPIC_MAX], client_id[128];
    bool *answered = NULL, *sent_now = NULL;

    if (outbox_unanswered(ob, 1000000, &list, &n)) {
        snprintf(err, MQ_ERR_MAX, "cannot read the outbox");
        goto done;
    }
    res->total = n;
    if (n == 0) {
        rc = 0;
        goto done;
    }
    index = malloc(n * sizeof *index);
    answered = calloc(n, sizeof *answered);
    sent_now = calloc(n, sizeof *sent_now);
    if (!index || !answered || !sent_now) {
        snprintf(err, MQ_ERR_MAX, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        index[i] = &list[i];
    qsort(index, n, sizeof *index, by_msg_id);

    /* A fresh client id per run: the daemon may hold the agent's own. */
    snprintf(client_id, sizeof client_id, "%s-cli-%ld", o->agent_id, (long)getpid());
    if (mq_client_new(&c, o->broker, client_id, 0, err))
        goto done;
    MQTTAsync_setCallbacks(c, &in, NULL, on_message, NULL);
    struct mq_conn_opts co = {.username = o->username, .password = o->password,
                              .clean_start = true, .keepalive_s = 30};
    if (mq_connect(c, &co, o->connect_timeout_ms, NULL, err))
        goto done;
    topic_fmt(topic, sizeof topic, o->topic_root, "agents/%s/acks", o->agent_id);
    if (mq_subscribe(c, topic, 1, o->connect_timeout_ms, err))
        goto done;

    /* answered[i]: the coordinator has answered list[i] (perhaps to an
     * earlier run); in flight: sent by this run and not answered yet. */
    size_t next = 0, done_count = 0, inflight = 0;
    double last_progress = tu_mono_ms();
    while (done_count < n) {
        /* Fill the window, oldest first. */
        size_t window = o->window ? o->window : 100;
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
        pthread_mutex_lock(&in.m);
        if (in.n == 0) {
            struct timespec until;
            tu_deadline(&until, CLOCK_REALTIME, 100);
            pthread_cond_timedwait(&in.cv, &in.m, &until);
        }
        struct answer *got = in.a;
        size_t ngot = in.n;
        in.a = NULL;
        in.n = in.cap = 0;
        pthread_mutex_unlock(&in.m);

        if (ngot) {
            tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
            outbox_tx_begin(ob);
            for (size_t i = 0; i < ngot; i++) {
                struct answer *a = &got[i];
                struct outbox_entry key, *kp = &key, **hit;
                snprintf(key.msg_id, sizeof key.msg_id, "%s", a->msg_id);
                hit = bsearch(&kp, index, n, sizeof *index, by_msg_id);
                int changed = 0;
                if (strcmp(a->status, "rejected") == 0) {
                    outbox_mark_rejected(ob, a->msg_id, a->code, a->reason, now, &changed);
                    if (hit && changed) {
                        res->rejected++;
                        snprintf((*hit)->state, sizeof (*hit)->state, "rejected");
                        snprintf((*hit)->code, sizeof (*hit)->code, "%s", a->code);
                        snprintf((*hit)->reason, sizeof (*hit)->reason, "%s", a->reason);
                    }
                } else if (strcmp(a->status, "accepted") == 0 ||
                           strcmp(a->status, "duplicate") == 0) {
                    outbox_mark_acked(ob, a->msg_id, a->status, now, &changed);
                    if (hit && changed) {
                        if (a->status[0] == 'a')
                            res->accepted++;
                        else
                            res->duplicate++;
                        snprintf((*hit)->state, sizeof (*hit)->state, "acked");
                    }
                }
                if (hit && !answered[*hit - list]) {
                    answered[*hit - list] = true;
                    done_count++;
                    if (sent_now[*hit - list])
                        inflight--;
                }
            }
            if (outbox_tx_commit(ob)) {
                free(got);
                snprintf(err, MQ_ERR_MAX, "cannot write the outbox");
                goto done;
            }
            last_progress = tu_mono_ms();
            if (o->progress)
                o->progress(o->ctx, res->sent, done_count, n);
        }
        free(got);
        if (tu_mono_ms() - last_progress > o->ack_timeout_ms)
            break; /* the rest stays queued for the next run */
    }
    rc = 0;
done:
    mq_close(&c, 1000);
    free(in.a);
    pthread_mutex_destroy(&in.m);
    pthread_cond_destroy(&in.cv);
    outbox_entries_free(list, n);
    free(index);
    free(answered);
    free(sent_now);
    return rc;
}
