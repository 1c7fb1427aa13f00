/* agent_status.c -- a field agent's status message: birth and will. */
#include "agent_status.h"

#include <string.h>

#include "report.h"

/* A status is a flat object; a little nesting is tolerated and ignored. */
#define STATUS_MAX_DEPTH 4

int agent_status_decode(const char *topic_agent, const char *payload, size_t len,
                        struct agent_status *out, struct jerr *err)
{
    memset(out, 0, sizeof *out);
    out->pending = out->last_seq = -1;
    if (len > AGENT_STATUS_MAX_BYTES) {
        jerr_set(err, "payload is %zu bytes, the limit is %d", len, AGENT_STATUS_MAX_BYTES);
        return -1;
    }
    if (len == 0) {
        /* What a client publishes to clear a retained status. */
        jerr_set(err, "empty payload");
        return -1;
    }
    out->root = json_parse_bounded(payload, len, STATUS_MAX_DEPTH, err);
    if (!out->root)
        return -1;
    if (jget_bool(out->root, "online", false, &out->online, err) ||
        jget_id(out->root, "agent_id", false, JID_AGENT, &out->agent_id, err))
        return -1;
    if (!topic_agent || strcmp(topic_agent, out->agent_id) != 0) {
        jerr_set(err, "agent_id '%s' differs from the topic's agent '%.64s'", out->agent_id,
                 topic_agent ? topic_agent : "");
        return -1;
    }
    /* A birth says everything; a will (sent by the broker) may say only
     * "offline", but what it says must still be right. */
    bool will = !out->online;
    if (jget_id(out->root, "trip_id", true, JID_CODE, &out->trip_id, err) == JGET_BAD ||
        jget_int(out->root, "pending", will, 0, SEQ_MAX, &out->pending, err) == JGET_BAD ||
        jget_int(out->root, "last_seq", will, 0, SEQ_MAX, &out->last_seq, err) == JGET_BAD ||
        jget_ts(out->root, "since", will, &out->since, err) == JGET_BAD)
        return -1;
    return 0;
}

void agent_status_free(struct agent_status *st)
{
    if (!st)
        return;
    cJSON_Delete(st->root);
    st->root = NULL;
}
