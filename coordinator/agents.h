/* agents.h -- field agents as the coordinator sees them: their status
 * messages (birth and will), the seqs their reports carried, and the list
 * that `outreach-coordinator agents` prints. */
#ifndef OUTREACH_AGENTS_H
#define OUTREACH_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "jsonget.h"
#include "report.h"

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
void agent_status_free(struct agent_status *st);

/* The seq a report decoded by report_decode (whatever it returned) tells
 * about its agent: r->seq when the envelope named topic_agent and a valid
 * seq, else 0 (nothing to record). */
long long agents_report_seq(const struct report *r, const char *topic_agent);

struct store;

/* Every agent the store knows (from reports or status messages), sorted by
 * agent_id, as {"agents":[{...}, ...]}; see agents_print_table for the
 * fields. The caller frees it with cJSON_Delete; NULL when the store failed. */
cJSON *agents_json(struct store *s);

/* The list of agents_json as a table for a person. */
void agents_print_table(const cJSON *list, FILE *f);

#endif
