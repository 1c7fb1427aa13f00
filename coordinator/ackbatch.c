/* ackbatch.c -- the acks and messages of one batch, held until the batch is
 * committed: every promise they make must be on disk first. */
#include "ackbatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "arr.h"
#include "ids.h"
#include "topics.h"

struct outmsg {
    char *topic, *payload;
    bool retained;
    void *corr;
    int corr_len;
};

/* The acks of one message to one agent; an agent may get several messages
 * per batch so that none passes the contract's 16 KiB. */
#define ACKS_MSG_BYTES 15000
struct agent_acks {
    char agent[ID_MAX + 1];
    cJSON *acks;
    size_t bytes; /* an upper bound of the message's size */
};

struct ackbatch {
    const char *topic_root;
    struct outlet out;
    struct outmsg *outs;
    size_t nouts, capouts;
    struct agent_acks *acks;
    size_t nacks, capacks;
};

struct ackbatch *ackbatch_new(const char *topic_root, struct outlet out)
{
    struct ackbatch *b = calloc(1, sizeof *b);
    if (b) {
        b->topic_root = topic_root;
        b->out = out;
    }
    return b;
}

void ackbatch_free(struct ackbatch *b)
{
    if (!b)
        return;
    ackbatch_discard(b);
    free(b->outs);
    free(b->acks);
    free(b);
}

void ackbatch_out(struct ackbatch *b, const char *topic, char *payload, bool retained,
                  const void *corr, int corr_len)
{
    if (!payload)
        return;
    if (ARR_RESERVE(b->outs, b->capouts, b->nouts + 1)) {
        free(payload);
        return;
    }
    struct outmsg *o = &b->outs[b->nouts];
    if (!(o->topic = strdup(topic))) {
        free(payload);
        return;
    }
    b->nouts++;
    o->payload = payload;
    o->retained = retained;
    o->corr = corr_len > 0 ? malloc((size_t)corr_len) : NULL;
    if (o->corr)
        memcpy(o->corr, corr, (size_t)corr_len);
    o->corr_len = o->corr ? corr_len : 0;
}

void ackbatch_ack(struct ackbatch *b, const char *agent, const struct ack *a)
{
    /* msg_id, status, code and a reason of at most JERR_MAX, with quotes. */
    size_t need = 120 + (a->reason ? strlen(a->reason) * 2 : 0);
    struct agent_acks *m = NULL;
    for (size_t i = b->nacks; i-- > 0;) {
        if (strcmp(b->acks[i].agent, agent) == 0) {
            if (b->acks[i].bytes + need <= ACKS_MSG_BYTES)
                m = &b->acks[i];
            break; /* the latest message of this agent is full: start another */
        }
    }
    if (!m) {
        if (ARR_RESERVE(b->acks, b->capacks, b->nacks + 1))
            return;
        m = &b->acks[b->nacks++];
        snprintf(m->agent, sizeof m->agent, "%s", agent);
        m->acks = cJSON_CreateArray();
        m->bytes = 16;
    }
    m->bytes += need;
    cJSON *o = cJSON_CreateObject();
    if (a->msg_id)
        cJSON_AddStringToObject(o, "msg_id", a->msg_id);
    else
        cJSON_AddNullToObject(o, "msg_id");
    cJSON_AddStringToObject(o, "status", a->status);
    if (a->code)
        cJSON_AddStringToObject(o, "code", a->code);
    if (a->reason)
        cJSON_AddStringToObject(o, "reason", a->reason);
    if (a->void_pending) /* kept; it waits for its target */
        cJSON_AddTrueToObject(o, "void_pending");
    cJSON_AddItemToArray(m->acks, o);
}

void ackbatch_discard(struct ackbatch *b)
{
    for (size_t i = 0; i < b->nouts; i++) {
        free(b->outs[i].topic);
        free(b->outs[i].payload);
        free(b->outs[i].corr);
    }
    b->nouts = 0;
    for (size_t i = 0; i < b->nacks; i++)
        cJSON_Delete(b->acks[i].acks);
    b->nacks = 0;
}

void ackbatch_send(struct ackbatch *b)
{
    char topic[TOPIC_MAX];
    for (size_t i = 0; i < b->nacks; i++) {
        cJSON *msg = cJSON_CreateObject();
        cJSON_AddItemToObject(msg, "acks", b->acks[i].acks);
        b->acks[i].acks = NULL;
        char *p = cJSON_PrintUnformatted(msg);
        cJSON_Delete(msg);
        if (p && topic_fmt(topic, sizeof topic, b->topic_root, "agents/%s/acks",
                           b->acks[i].agent) == 0)
            b->out.publish(b->out.ctx, topic, p, false, NULL, 0);
        free(p);
    }
    b->nacks = 0;
    for (size_t i = 0; i < b->nouts; i++)
        b->out.publish(b->out.ctx, b->outs[i].topic, b->outs[i].payload,
                       b->outs[i].retained, b->outs[i].corr, b->outs[i].corr_len);
    ackbatch_discard(b);
}
