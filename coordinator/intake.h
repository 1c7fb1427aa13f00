/* intake.h -- what happens to a report: the one place that decides whether a
 * decoded report counts (its trip known and not cancelled, who owns its
 * msg_id, voids and voids that wait for their target) and what of a refused
 * message is kept (never what a person typed about a patient). The store
 * (store.h) only keeps what is decided here. */
#ifndef OUTREACH_INTAKE_H
#define OUTREACH_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "ids.h"
#include "jsonget.h"
#include "oerr.h"
#include "report.h"

struct store;

/* What happened to one report. */
enum ack_status { ACK_ACCEPTED, ACK_DUPLICATE, ACK_REJECTED };
struct outcome {
    enum ack_status status;
    enum reject_code code;
    char reason[JERR_MAX];
    int year; /* year of the report's trip when accepted, else 0 */
    /* An accepted void: the trip and year of the report it took out. */
    char target_trip_id[ID_MAX + 1];
    int target_year;
    /* An accepted void whose target has not arrived: it waits for it, and
     * the target will be stored already voided (target_trip_id is ""). */
    bool void_pending;
};

/* Makes out a refusal with code and a reason for a person. */
void intake_refuse(struct outcome *out, enum reject_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Decides on a decoded, self-valid report (inside the caller's transaction):
 * each msg_id changes totals at most once, ever; the trip must be known and
 * not cancelled, and decides the year; a void takes one counted report of its
 * own agent out. A void may come before its target (out->void_pending): the
 * target, when it comes from the same agent, is stored voided and never
 * counts. A rejection is final: a msg_id refused for its trip or void target
 * gets the same answer again, whatever changed since. Of an accepted report
 * r's fields are kept, not payload (the JSON it came in). A refusal fills
 * out; keep it with intake_keep_refused (which keeps payload, bounded).
 * Returns OERR_OK unless the database failed. */
oerr_t intake_report(struct store *s, const struct report *r, const char *payload, size_t len,
                     const char *received_at, struct outcome *out);

/* What is kept of a refused payload for inspection: payload itself, or at most
 * its first 1024 bytes when it was refused as too large, or, when the decoded
 * report r carries a patient_ref (a refused one may be a name or a phone
 * number), r's JSON with patient_ref "(removed)" (then r->patient_ref becomes
 * NULL, and *scrubbed holds the text, for the caller to free). r may be the
 * zeroed report of a payload never decoded. Sets *keep_len. */
const char *intake_kept_payload(struct report *r, enum reject_code code, const char *payload,
                                size_t len, size_t *keep_len, char **scrubbed);

/* Keeps a refused message (store_keep_reject, at most max_rejects of them)
 * as intake_kept_payload says, with its topic, agent_id, msg_id and refusal. */
oerr_t intake_keep_refused(struct store *s, struct report *r, const struct outcome *oc,
                           const char *received_at, const char *topic, const char *agent_id,
                           const char *payload, size_t len, long long max_rejects);

/* The signs of life of one batch: every message on an agent's reports topic
 * says the agent was seen, and which seq it used. Kept here and written once
 * per agent when the batch ends (store_agent_seen_seqs), in the batch's
 * transaction: the same outcome as a store_agent_seen per message, in a few
 * statements per agent instead of a few per message. */
struct intake_seen {
    struct seen_one *v;
    size_t n, cap;
};

/* Notes that agent_id was seen, with seq (0: none). Returns 0, or -1 when out
 * of memory: then call store_agent_seen for this one yourself. */
int intake_seen_add(struct intake_seen *b, const char *agent_id, long long seq);
/* The report of the seen just added (agent_id, seq > 0) was counted, about
 * trip_id: the agent's latest trip is written with it (store_agent_report_trip).
 * Nothing when it is not the last one added. */
void intake_seen_trip(struct intake_seen *b, const char *agent_id, long long seq,
                      const char *trip_id);
/* Writes what b noted, at now, and empties b (also when the store failed). */
oerr_t intake_seen_flush(struct intake_seen *b, struct store *s, const char *now);
/* Forgets what b noted (a batch rolled back). */
void intake_seen_clear(struct intake_seen *b);
/* Frees b's memory; b may be used again. */
void intake_seen_free(struct intake_seen *b);

#endif
