/* ackbatch.h -- what one batch sends once it is committed: acks grouped per
 * agent, then replies and retained cards, in the order they were added. */
#ifndef OUTREACH_ACKBATCH_H
#define OUTREACH_ACKBATCH_H

#include <stdbool.h>

#include "outlet.h"

/* One entry of an agent's acks message (docs/protocol.md, acks). */
struct ack {
    const char *msg_id; /* NULL: sent as null (the report had none readable) */
    const char *status; /* "accepted", "duplicate" or "rejected" */
    const char *code, *reason; /* a rejection's; NULL otherwise */
    bool void_pending; /* an accepted void that waits for its target */
};

struct ackbatch;

/* An empty batch that publishes through out, acks under topic_root (which
 * must outlive it). NULL when out of memory. */
struct ackbatch *ackbatch_new(const char *topic_root, struct outlet out);
/* Discards what is queued and frees the batch. Accepts NULL. */
void ackbatch_free(struct ackbatch *b);

/* Queues payload (malloc'd; the batch owns it from now, NULL is ignored)
 * for topic, with correlation data copied when corr_len > 0. */
void ackbatch_out(struct ackbatch *b, const char *topic, char *payload, bool retained,
                  const void *corr, int corr_len);
/* Adds a to the acks of agent: to its latest message of the batch while
 * that stays under the contract's 16 KiB, else to a new one. */
void ackbatch_ack(struct ackbatch *b, const char *agent, const struct ack *a);

/* Publishes the acks (one message per agent and part), then the queued
 * messages, and empties the batch. */
void ackbatch_send(struct ackbatch *b);
/* Empties the batch without sending: it was not committed. */
void ackbatch_discard(struct ackbatch *b);

#endif
