/* daemon.h -- outreach-agent daemon: keeps one MQTT connection and drains the
 * outbox in seq order, resending what the coordinator has not answered. */
#ifndef OUTREACH_DAEMON_H
#define OUTREACH_DAEMON_H

#include <signal.h>

#include "mq.h"
#include "outbox.h"

struct daemon_opts {
    const char *broker, *agent_id, *username, *password, *topic_root;
    const char *trip;        /* for the birth message; may be NULL */
    const struct mq_tls *tls; /* for an ssl:// broker; may be NULL */
    int connect_timeout_ms;
    int resend_ms;           /* send again when unanswered for this long */
    int window;              /* unanswered reports in flight, at most; 0: SEND_WINDOW_DEFAULT */
    volatile sig_atomic_t *stop;
};

/* The lock that says a daemon serves this outbox: "<outbox>.lock". */
#define DAEMON_LOCK_SUFFIX ".lock"

/* Takes the outbox's lock. Returns an fd to keep open, or -1 when another
 * daemon holds it (*holder gets its pid, if known) or on error. */
int daemon_lock(const char *outbox_path, long *holder);
/* Whether a daemon holds the lock of this outbox (its pid in *pid). */
int daemon_running(const char *outbox_path, long *pid);

/* Runs until *stop. Returns 0 on a clean stop. */
int daemon_run(struct outbox *ob, const struct daemon_opts *o);

#endif
