/* agents.h -- field agents as the coordinator sees them: the seqs their
 * reports carried, and the list that `outreach-coordinator agents` prints.
 * Their status messages are decoded by common/agent_status.h. */
#ifndef OUTREACH_AGENTS_H
#define OUTREACH_AGENTS_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "report.h"

/* The seq a report decoded by report_decode (whatever it returned) tells
 * about its agent: r->seq when the envelope named topic_agent and a valid
 * seq, else 0 (nothing to record). */
long long agents_report_seq(const struct report *r, const char *topic_agent);

struct store;

/* Every agent the store knows (from reports or status messages), sorted by
 * agent_id, as {"agents":[{...}, ...]}; see agents_print_table for the
 * fields. The caller frees it with cJSON_Delete; NULL when the store failed. */
cJSON *agents_json(struct store *s);

/* What devices/{agent_id} says of agent a (docs/protocol.md): its status,
 * when it was last heard, its last seq and the first STORE_MISSING_RANGES
 * ranges of seqs that never arrived, as of as_of. The caller frees it with
 * cJSON_Delete; NULL when the store failed or out of memory. */
struct agent_row;
cJSON *agents_device_json(struct store *s, const struct agent_row *a, const char *as_of);

/* The trip of agent a: what its last status named, else that of its latest
 * report (an agent that only uses report/sync); "" when neither. */
const char *agents_trip(const struct agent_row *a);

/* The list of agents_json as a table for a person. */
void agents_print_table(const cJSON *list, FILE *f);

#endif
