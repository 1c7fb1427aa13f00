/* outbox_site.h -- the site app's rows in the outbox database and what it reads
 * there: taps (one villager each) and their folding, refused headcounts sent
 * again, a trip's headcounts and totals, the suggestions of the forms. Part
 * of the outbox (outbox_site.c): the rules stay with the site app
 * (siteapp_taps.c, siteapp_forms.c), which reaches the database only here.
 * Callbacks get text that is valid during the call only. */
#ifndef OUTREACH_OUTBOX_SITE_H
#define OUTREACH_OUTBOX_SITE_H

#include <stdbool.h>

#include "outbox.h"

/* Creates the site app's tables (taps, corrections) when missing. */
oerr_t outbox_site_init(struct outbox *ob);

/* ---- taps ---- */

struct tap {
    const char *trip_id, *department, *entered_by; /* entered_by may be NULL */
    bool female, over_60, poor;
};
/* Stores tap t as open (committed, FULL sync, unless inside a transaction);
 * *id is its number. */
oerr_t outbox_tap_add(struct outbox *ob, const struct tap *t, const char *now, long long *id);
/* Marks tap id undone when it is still open; *changed tells whether it was. */
oerr_t outbox_tap_undo(struct outbox *ob, long long id, int *changed);

/* Open taps of one trip and department, summed for one headcount. */
struct tap_group {
    char trip_id[ID_MAX + 1], department[24];
    long long n, female, over_60, poor, last_id;
    bool one_staff;                /* one staff id entered every tap of it */
    char entered_by[ID_MAX + 1];   /* that staff id when one_staff */
};
/* The trip and department of the oldest open tap, with at most max of its
 * open taps (oldest first) summed into *g. Returns 1 with *g, 0 when no tap
 * is open, -1 when the outbox could not be read. */
int outbox_taps_next_group(struct outbox *ob, long long max, struct tap_group *g);
/* Marks the taps of g folded into report msg_id; OERR_DB unless exactly
 * g->n taps were still open to mark. */
oerr_t outbox_taps_mark_folded(struct outbox *ob, const struct tap_group *g,
                               const char *msg_id);

/* Open taps of trip_id: fn(ctx, department, how many) per department. */
oerr_t outbox_open_taps_by_department(struct outbox *ob, const char *trip_id,
                                      void (*fn)(void *ctx, const char *department,
                                                 long long n),
                                      void *ctx);
/* Open taps of trip_id counted. */
oerr_t outbox_open_tap_count(struct outbox *ob, const char *trip_id, long long *n);
/* The highest tap number given so far (0 before the first tap). */
oerr_t outbox_tap_last_id(struct outbox *ob, long long *id);

struct tap_row {
    long long id;
    const char *department, *entered_by; /* entered_by NULL when not recorded */
    const char *created_at;
    bool female, over_60, poor;
};
/* The newest limit open taps of trip_id, newest first: fn(ctx, tap) each. */
oerr_t outbox_open_taps_newest(struct outbox *ob, const char *trip_id, int limit,
                               void (*fn)(void *ctx, const struct tap_row *t), void *ctx);

/* ---- what the outbox holds of a trip ---- */

/* Consultations of trip_id's headcounts by department and entry state,
 * headcounts cancelled by a void the coordinator has not refused left out:
 * fn(ctx, department (NULL when not text), state, consultations). */
oerr_t outbox_trip_headcounts(struct outbox *ob, const char *trip_id,
                              void (*fn)(void *ctx, const char *department, const char *state,
                                         long long consultations),
                              void *ctx);

/* What a trip's entries add up to. */
enum trip_total {
    TT_CONSULTATIONS, /* headcounts' consultations */
    TT_MEDICINE_FEN,  /* dispenses' value_fen */
    TT_REFERRALS,     /* referral entries */
    TT_BROCHURES, TT_ATTENDEES, TT_TALKS, /* education's */
    TT_STAFF,         /* distinct staff ids checked in */
    TT_ENTRIES,       /* entries */
    TT_COUNT
};
/* Totals of trip_id's entries except voids, refused entries and entries
 * cancelled by a void the coordinator has not refused: all[] over them,
 * unanswered[] over those not answered yet (pending or sent). all[TT_STAFF]
 * counts each staff id once over every entry. */
oerr_t outbox_trip_totals(struct outbox *ob, const char *trip_id, long long all[TT_COUNT],
                          long long unanswered[TT_COUNT]);

/* The answers so far, across trips. */
struct outbox_answers {
    long long waiting;           /* entries pending or sent */
    long long rejected;          /* entries the coordinator refused */
    char last_answer[TU_TS_MAX]; /* when the newest answer came; "" before any */
};
oerr_t outbox_answers(struct outbox *ob, struct outbox_answers *a);

/* ---- refused headcounts sent again ---- */

/* The seq of the entry refused_seq was sent again as; 0 when it was not (or
 * the outbox could not be read). */
long long outbox_corrected_by(struct outbox *ob, long long refused_seq);
/* Records that refused_seq was sent again as new_seq (once per refused
 * entry: a second time is OERR_DB). */
oerr_t outbox_correction_add(struct outbox *ob, long long refused_seq, long long new_seq,
                             const char *now);

/* ---- what the forms suggest ---- */

/* Medicine names of trip_id's dispenses the coordinator has not refused,
 * newest first, each once, at most limit: fn(ctx, name (NULL when not text)). */
oerr_t outbox_trip_medicines(struct outbox *ob, const char *trip_id, int limit,
                             void (*fn)(void *ctx, const char *medicine), void *ctx);
/* The newest check-in of each staff id on this device (refused ones left out),
 * newest first, at most limit: fn(ctx, staff_id, role, organization), each
 * NULL when not text. */
oerr_t outbox_checkins(struct outbox *ob, int limit,
                       void (*fn)(void *ctx, const char *staff_id, const char *role,
                                  const char *organization),
                       void *ctx);

#endif
