/* sender.h -- sends the outbox's unanswered reports and records the coordinator's acks. */
#ifndef OUTREACH_SENDER_H
#define OUTREACH_SENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "mq.h"
#include "outbox.h"

/* Reports sent and not yet answered, at most, when nothing else is said
 * (the config's window): one value for sync, report and the daemon. */
#define SEND_WINDOW_DEFAULT 100

struct sender_opts {
    const char *broker, *agent_id, *username, *password, *topic_root;
    const struct mq_tls *tls; /* for an ssl:// broker; may be NULL */
    int connect_timeout_ms;
    int ack_timeout_ms;  /* give up when no answer came for this long */
    size_t window;       /* reports sent but not yet answered, at most; 0: the default */
    /* Called after every change of the counts; may be NULL. */
    void (*progress)(void *ctx, size_t sent, size_t answered, size_t total);
    void *ctx;
    /* Subscribe to the retained trip cards and store them, waiting for them
     * even with nothing to send (sync). `report` leaves them to sync and the
     * daemon. */
    bool fetch_trips;
};

struct flush_result {
    size_t total, sent, accepted, duplicate, rejected;
    int trips; /* trip cards stored or removed; -1 when the outbox failed */
};

/* Sends every unanswered report in seq order (up to `window` awaiting an
 * answer at once) and marks each answered one in the outbox. Returns 0 when
 * it ran (some may still be unanswered: res tells), -1 with err when the
 * broker could not be reached or the outbox failed; nothing entered is ever
 * lost: unanswered reports stay queued. */
int sender_flush(struct outbox *ob, const struct sender_opts *o, struct flush_result *res,
                 char err[MQ_ERR_MAX]);

#endif
