/* acks.c -- acks from Paho's thread into the outbox, shared by sync and the daemon. */
#include "acks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arr.h"
#include "jsonget.h"
#include "timeutil.h"

void ack_inbox_init(struct ack_inbox *in)
{
    memset(in, 0, sizeof *in);
    pthread_mutex_init(&in->m, NULL);
    pthread_cond_init(&in->cv, NULL);
}

void ack_inbox_free(struct ack_inbox *in)
{
    if (!in)
        return;
    free(in->a);
    in->a = NULL;
    in->n = in->cap = 0;
    pthread_mutex_destroy(&in->m);
    pthread_cond_destroy(&in->cv);
}

int ack_inbox_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m)
{
    struct ack_inbox *in = ctx;
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
        if (ARR_RESERVE(in->a, in->cap, in->n + 1))
            break; /* unanswered: the report is sent again later */
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

void ack_inbox_take(struct ack_inbox *in, int wait_ms, struct answer **list, size_t *n)
{
    pthread_mutex_lock(&in->m);
    if (in->n == 0 && wait_ms > 0) {
        struct timespec until;
        tu_deadline(&until, CLOCK_REALTIME, wait_ms);
        pthread_cond_timedwait(&in->cv, &in->m, &until);
    }
    *list = in->a;
    *n = in->n;
    in->a = NULL;
    in->n = in->cap = 0;
    pthread_mutex_unlock(&in->m);
}

oerr_t ack_apply(struct outbox *ob, const struct answer *a, size_t n, bool *changed,
                 struct ack_counts *counts)
{
    char now[TU_TS_MAX];
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, now);
    if (outbox_tx_begin(ob))
        return OERR_DB;
    for (size_t i = 0; i < n; i++) {
        int ch = 0;
        if (strcmp(a[i].status, "rejected") == 0) {
            outbox_mark_rejected(ob, a[i].msg_id, a[i].code, a[i].reason, now, &ch);
            if (ch && counts)
                counts->rejected++;
        } else if (strcmp(a[i].status, "accepted") == 0 ||
                   strcmp(a[i].status, "duplicate") == 0) {
            outbox_mark_acked(ob, a[i].msg_id, a[i].status, now, &ch);
            if (ch && counts) {
                if (a[i].status[0] == 'a')
                    counts->accepted++;
                else
                    counts->duplicate++;
            }
        }
        if (changed)
            changed[i] = ch != 0;
    }
    return outbox_tx_commit(ob);
}
