/* tripcards.h -- the coordinator's retained trip cards (ROOT/trips/{trip_id})
 * as the field agent keeps them: parsed and checked as data from outside,
 * queued by Paho's thread, stored in the outbox database by ours (see
 * outbox_trip_* in outbox.h) so that the device knows its trips offline.
 * Owned by the field agent (daemon, sync, report); the site app reads the
 * stored cards through outbox.h. This module sits above the outbox: the
 * outbox knows only the plain struct trip_card (trip_card.h). */
#ifndef OUTREACH_TRIPCARDS_H
#define OUTREACH_TRIPCARDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <MQTTAsync.h>

#include "ids.h"
#include "jsonget.h"
#include "timeutil.h"
#include "topics.h"
#include "trip_card.h"

#define TRIP_CARD_MAX_BYTES (64 * 1024) /* a card is < 2 KiB; more is not one */

/* Parses and checks a card's payload of len bytes for the trip named by its
 * topic (the card's trip_id must be that one). Fields the device does not
 * keep are not checked. Returns 0, or -1 with err saying which field. */
int tripcard_parse(const char *topic_trip_id, const char *payload, size_t len,
                   struct trip_card *out, struct jerr *err);
/* Whether date (YYYY-MM-DD) falls within the trip's days. */
bool tripcard_on(const struct trip_card *c, const char *date);
/* "2026-zjj-014 义诊 (2026-12-01, 修武县 村卫生室)" into buf[n]. */
const char *tripcard_line(const struct trip_card *c, char *buf, size_t n);

/* Cards as they arrive on Paho's thread, waiting for ours. Bounded: past
 * TRIP_INBOX_MAX waiting, more are counted in dropped (the retained card is
 * read again at the next connection). */
#define TRIP_INBOX_MAX 4096
struct ack_inbox;
struct card_msg {
    char trip_id[ID_MAX + 1];
    char *payload; /* owned; NULL for an empty (deleting) message */
    size_t len;
};
struct card_inbox {
    pthread_mutex_t m;
    char prefix[TOPIC_MAX]; /* "ROOT/trips/" */
    struct card_msg *q;
    size_t n, cap, dropped, received;
    struct ack_inbox *acks; /* every other message goes there */
};

void card_inbox_init(struct card_inbox *in, const char *topic_root, struct ack_inbox *acks);
void card_inbox_free(struct card_inbox *in); /* NULL is fine */
/* Paho's messageArrived callback with the card_inbox as context: a message on
 * ROOT/trips/{id} is queued, any other goes to ack_inbox_on_message. */
int card_inbox_on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *m);
/* Cards received so far (for waiting until the retained ones are in). */
size_t card_inbox_received(struct card_inbox *in);

struct outbox;

/* Whether a report may be saved for a trip, by the device's cards. */
enum trip_verdict {
    TRIP_OK,        /* a card says the trip is planned or completed */
    TRIP_NO_CARDS,  /* the device has no cards at all (never online): save, with a note */
    TRIP_UNKNOWN,   /* cards known, none for this trip: refuse unless forced */
    TRIP_CANCELLED, /* its card says cancelled: refuse (the coordinator would) */
    TRIP_ERROR,     /* the outbox could not be read */
};
/* Judges trip_id by the outbox's cards; *known (may be NULL) gets how many
 * cards the device has. For `report` and the site app alike. */
enum trip_verdict tripcards_check(struct outbox *ob, const char *trip_id, long long *known);

/* Stores every queued card in the outbox in one transaction (an empty message
 * removes the trip's card; an invalid card is logged and skipped). Returns
 * the number of cards stored or removed, or -1 when the outbox failed. */
int card_inbox_apply(struct card_inbox *in, struct outbox *ob);

#endif
