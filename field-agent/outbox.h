/* outbox.h -- the field agent's SQLite outbox: the device's record of every
 * report entered, its seq and msg_id, and what the coordinator answered. */
#ifndef OUTREACH_OUTBOX_H
#define OUTREACH_OUTBOX_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "ids.h"
#include "jsonget.h"
#include "oerr.h"

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
    char *payload;       /* owned; outbox_entries_free frees it */
};

struct outbox_counts {
    long long pending, sent, acked, rejected, last_seq;
};

/* Opens or creates the outbox at path for agent_id; an outbox created for
 * another agent is refused (its seqs belong to that agent). */
oerr_t outbox_open(const char *path, const char *agent_id, struct outbox **out,
                   char err[256]);
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

/* The connection itself, for a module that keeps its own tables in the outbox
 * database (the site app's taps); use it from one thread at a time. */
struct sqlite3;
struct sqlite3 *outbox_db(struct outbox *ob);

#endif
