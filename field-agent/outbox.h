/* outbox.h -- the field agent's SQLite outbox: the device's record of every
 * report entered, its seq and msg_id, and what the coordinator answered, and
 * the trip cards it has heard. The only way into the outbox database: no
 * SQL outside outbox*.c (the site app's tables are in outbox_site.h). */
#ifndef OUTREACH_OUTBOX_H
#define OUTREACH_OUTBOX_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ids.h"
#include "jsonget.h"
#include "oerr.h"
#include "trip_card.h"

struct outbox;

struct outbox_entry {
    long long seq;
    char msg_id[UUID_LEN + 1];
    char kind[16];
    char trip_id[ID_MAX + 1];
    char state[12];      /* pending, sent, acked, rejected */
    char ack_status[12]; /* accepted or duplicate when acked */
    char code[24];
    char reason[JERR_MAX];
    char created_at[40];
    int attempts;
    /* Filled by outbox_list, outbox_list_recent, outbox_get and
     * outbox_get_seq (0 elsewhere): the seq of a void of this entry that the
     * coordinator has not refused, and for a void the seq of its target (0
     * when not in this outbox). */
    long long voided_by, voids_seq;
    char *payload;       /* owned; outbox_entries_free frees it */
};

struct outbox_counts {
    long long pending, sent, acked, rejected, last_seq;
};

/* Opens or creates the outbox at path for agent_id; an outbox created for
 * another agent is refused (its seqs belong to that agent). */
oerr_t outbox_open(const char *path, const char *agent_id, struct outbox **out,
                   char err[256]);
/* Closes ob; NULL is fine. */
void outbox_close(struct outbox *ob);

/* Adds a report of kind for trip_id with the kind's fields (not modified):
 * assigns the next seq and a new msg_id, writes the payload durably (FULL
 * sync) and returns it in *out (free with outbox_entries_free(out, 1)... or
 * use outbox_entry_clear). payload_check, when not NULL, is called with the
 * payload before it is stored; non-zero refuses it. */
oerr_t outbox_push(struct outbox *ob, const char *kind, const char *trip_id,
                   const cJSON *fields, const char *recorded_at,
                   int (*payload_check)(void *ctx, const char *payload), void *ctx,
                   struct outbox_entry *out);

/* Entries still waiting for an answer (pending or sent), in seq order, at
 * most limit. The caller frees with outbox_entries_free. */
oerr_t outbox_unanswered(struct outbox *ob, size_t limit, struct outbox_entry **list,
                         size_t *n);
/* Entries in one state (or all when state is NULL), in seq order. */
oerr_t outbox_list(struct outbox *ob, const char *state, size_t limit,
                   struct outbox_entry **list, size_t *n);
/* The last `limit` entries, oldest of them first (for the site app's
 * "recent entries"). */
oerr_t outbox_list_recent(struct outbox *ob, size_t limit, struct outbox_entry **list,
                          size_t *n);
void outbox_entries_free(struct outbox_entry *list, size_t n);
void outbox_entry_clear(struct outbox_entry *e);

oerr_t outbox_mark_sent(struct outbox *ob, const char *msg_id, const char *now);
/* status: "accepted" or "duplicate". Only an unanswered entry changes:
 * the first answer is final. *changed (may be NULL) tells whether it did. */
oerr_t outbox_mark_acked(struct outbox *ob, const char *msg_id, const char *status,
                         const char *now, int *changed);
oerr_t outbox_mark_rejected(struct outbox *ob, const char *msg_id, const char *code,
                            const char *reason, const char *now, int *changed);
oerr_t outbox_counts(struct outbox *ob, struct outbox_counts *c);
/* One entry by msg_id; OERR_NOTFOUND when none. Clear with outbox_entry_clear. */
oerr_t outbox_get(struct outbox *ob, const char *msg_id, struct outbox_entry *out);

/* One entry by its number (the seq `status` shows, `void N` takes);
 * OERR_NOTFOUND when none. Clear with outbox_entry_clear. */
oerr_t outbox_get_seq(struct outbox *ob, long long seq, struct outbox_entry *out);

/* Why entry e (read with voided_by filled) cannot be voided, into why[n]:
 * a void, an entry already cancelled by a void the coordinator has not
 * refused, or one the coordinator refused (never counted). Returns 0 when
 * it can be. For `void N` and the site app's "cancel this entry". */
int outbox_cannot_void(const struct outbox_entry *e, char *why, size_t n);

/* Small facts shared by the daemon and the CLI (e.g. "daemon" = "online"). */
oerr_t outbox_meta_set(struct outbox *ob, const char *key, const char *value);
/* Copies the value into buf[n]; OERR_NOTFOUND when unset. */
oerr_t outbox_meta_get(struct outbox *ob, const char *key, char *buf, size_t n);

/* Reports still waiting for an answer, and the highest seq: cheap. */
oerr_t outbox_unanswered_count(struct outbox *ob, long long *unanswered, long long *last_seq);
/* Changes when another connection (a `report` command) commits. */
long long outbox_data_version(struct outbox *ob);

/* Groups many marks into one durable write (a failed commit is rolled back).
 * outbox_push inside it joins it (a savepoint), so reports and the caller's own
 * rows (e.g. the site app's taps) commit together or not at all. */
oerr_t outbox_tx_begin(struct outbox *ob);
oerr_t outbox_tx_commit(struct outbox *ob);
/* Gives up the open transaction: nothing of it is kept. */
oerr_t outbox_tx_rollback(struct outbox *ob);
/* For tests that fail or crash a commit: fn (NULL to stop) is called at each
 * commit of this connection; non-zero turns the commit into a rollback. */
void outbox_on_commit(struct outbox *ob, int (*fn)(void *ctx), void *ctx);

/* ---- trip cards (trip_card.h): parsed and applied by tripcards.h above the
 * outbox for the field agent's CLI and daemon; the site app reads them the
 * same way. ---- */
/* Stores a card (replacing the trip's earlier one). */
oerr_t outbox_trip_put(struct outbox *ob, const struct trip_card *c);
/* Forgets a trip's card (its retained card was removed). */
oerr_t outbox_trip_delete(struct outbox *ob, const char *trip_id);
/* One trip's card; OERR_NOTFOUND when this device has not heard of it. */
oerr_t outbox_trip_get(struct outbox *ob, const char *trip_id, struct trip_card *out);
/* Trips whose days include date (YYYY-MM-DD, site time: see tu_today),
 * cancelled ones too (check status), by date then trip_id. The caller frees
 * *list with free(). */
oerr_t outbox_trips_on(struct outbox *ob, const char *date, struct trip_card **list,
                       size_t *n);
/* How many cards the device knows: 0 means it never heard any (never
 * connected), and then no trip can be checked. */
oerr_t outbox_trip_count(struct outbox *ob, long long *n);

#endif
