/* mqrr.h -- a blocking MQTT 5 client for command-line tools: request/response
 * with Response Topic and Correlation Data, and collection of retained or
 * unsolicited messages (notices). Over Paho MQTTAsync; MQTT 5 only. */
#ifndef OUTREACH_MQRR_H
#define OUTREACH_MQRR_H

#include <stdbool.h>
#include <stddef.h>

#include "mq.h"

struct mqrr;

/* One message received that did not answer a request of ours. */
struct mqrr_msg {
    char *topic;
    char *payload; /* NUL-terminated copy; len bytes before the NUL */
    size_t len;
    bool retained;
};
void mqrr_msg_free(struct mqrr_msg *m);

/* Connects to uri as client_id with o (username, password, session...),
 * waiting up to timeout_ms, then subscribes (QoS 1) to resp_topic, where the
 * replies to our requests arrive. Returns 0 or -1 with err. */
int mqrr_open(struct mqrr **out, const char *uri, const char *client_id,
              const struct mq_conn_opts *o, const char *resp_topic, int timeout_ms,
              char err[MQ_ERR_MAX]);

/* Subscribes (QoS 1) to one more filter, e.g. "outreach/v1/trips/+"; its
 * messages (retained ones first, from the broker) go to the queue that
 * mqrr_next reads. Returns 0 or -1 with err (a refusal by the broker too). */
int mqrr_subscribe(struct mqrr *r, const char *filter, int timeout_ms, char err[MQ_ERR_MAX]);

/* Publishes payload (QoS 1) on topic with Response Topic = resp_topic and a
 * fresh random Correlation Data, and waits up to timeout_ms for the message
 * on resp_topic with that Correlation Data. Returns it (caller frees with
 * free()), or NULL with err ("no reply within N s" on timeout). Messages
 * received meanwhile that do not match go to the queue. */
char *mqrr_request(struct mqrr *r, const char *topic, const char *payload, int timeout_ms,
                   char err[MQ_ERR_MAX]);

/* Takes the oldest queued message, waiting up to wait_ms for one (0: do not
 * wait). Returns 1 and fills *m (free with mqrr_msg_free), or 0 when none.
 * Once disconnected or the connection is lost it does not wait: nothing more
 * can come. At most 10,000 messages are queued (later ones are dropped) and
 * at most 64 KiB of each payload is kept. */
int mqrr_next(struct mqrr *r, int wait_ms, struct mqrr_msg *m);

/* Undoes mqrr_subscribe's filters (a kept session would otherwise go on
 * collecting their messages while the tool is not running), then
 * disconnects, waiting up to timeout_ms each. Everything received stays
 * queued for mqrr_next: Paho acknowledged each message to the broker when it
 * was queued, so a tool drains the queue after this, and nothing delivered is
 * lost. Returns 0, or -1 with err (may be NULL) when the connection had been
 * lost before: messages may have been missed since. NULL-safe. */
int mqrr_disconnect(struct mqrr *r, int timeout_ms, char err[MQ_ERR_MAX]);

/* mqrr_disconnect (when not done yet), then frees; *r becomes NULL. NULL-safe. */
void mqrr_close(struct mqrr **r);

#endif
