/* agent_status.h -- decoding a field agent's status message (its birth and
 * its will), as it arrives on the agent's status topic. */
#ifndef OUTREACH_AGENT_STATUS_H
#define OUTREACH_AGENT_STATUS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "jsonget.h"

#define AGENT_STATUS_MAX_BYTES 16384 /* the contract's payload limit */

/* A decoded agent status. Strings point into root, which it owns; an absent
 * string is NULL, an absent integer -1. */
struct agent_status {
    cJSON *root;
    bool online;
    const char *agent_id, *trip_id, *since;
    long long pending, last_seq;
};

/* Decodes the status payload (len bytes) that arrived on the status topic
 * of topic_agent: the birth {"online":true,"agent_id",optional "trip_id",
 * "pending","last_seq","since"} or the will {"online":false,"agent_id"}
 * (whose other fields are optional). agent_id must equal topic_agent.
 * Returns 0, or -1 with a reason for a person in err. Always call
 * agent_status_free(out) afterwards. */
int agent_status_decode(const char *topic_agent, const char *payload, size_t len,
                        struct agent_status *out, struct jerr *err);
/* Frees what a decode kept; accepts NULL. */
void agent_status_free(struct agent_status *st);

#endif
