/* deliver.h -- how a saved report leaves the device, decided in one place:
 * a running daemon sends it (wait for its answer while it is online), or
 * offline mode keeps it queued, or this process sends it itself. */
#ifndef OUTREACH_DELIVER_H
#define OUTREACH_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "agentcli.h"
#include "mq.h"
#include "outbox.h"
#include "sender.h"

/* Called as a direct send drains the outbox (see sender_opts.progress). */
typedef void deliver_progress_fn(void *ctx, size_t sent, size_t answered, size_t total);

/* Sends what is unanswered in ob over one connection of this process, as
 * c says (broker, credentials, timeouts, window); fetch_trips: also store
 * the retained trip cards. progress may be NULL. Returns 0 when it ran (res
 * says what happened), -1 when the broker was out of reach or not configured
 * (err says why; the reports stay queued). */
int deliver_flush(const struct agent_config *c, struct outbox *ob, struct flush_result *res,
                  bool fetch_trips, deliver_progress_fn *progress, void *ctx,
                  char err[MQ_ERR_MAX]);

/* The report msg_id was just saved in ob: sends it by the one way that
 * applies (the daemon, offline mode, or directly) and prints the outcome
 * ("accepted: ...", "rejected (code): ...", "queued: ..."). Returns the exit
 * status: 0 accepted or queued, EXIT_REJECTED refused by the coordinator,
 * 1 the outbox failed. */
int deliver_report(const struct agent_config *c, struct outbox *ob, const char *msg_id);

#endif
