/* siteapp_taps.h -- the registration desk's tally: each tap is one villager,
 * durable in the outbox database (table taps) before the phone shows it; taps
 * are folded into one headcount report per trip and department, in the same
 * transaction that marks them folded, so a crash loses or doubles none. */
#ifndef OUTREACH_SITEAPP_TAPS_H
#define OUTREACH_SITEAPP_TAPS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "oerr.h"
#include "outbox.h"

struct tap {
    const char *trip_id, *department, *entered_by; /* entered_by may be NULL */
    bool female, over_60, poor;
};

/* Creates the taps table when missing. */
oerr_t taps_init(struct outbox *ob);
/* Records one tap (committed, FULL sync, when it returns OERR_OK); *id is its
 * number. The department must be one of department_names. */
oerr_t taps_add(struct outbox *ob, const struct tap *t, const char *now, long long *id);
/* Takes back tap id when it is not folded yet: *changed 1 when it was undone,
 * 0 when it was folded, undone before or unknown. */
oerr_t taps_undo(struct outbox *ob, long long id, int *changed);
/* Folds every open tap: one headcount report per trip and department (at most
 * 5000 taps each), checked with report_decode(agent_id) and pushed into the
 * outbox in one transaction with marking the taps folded. *reports (may be
 * NULL) gets how many reports were made. */
oerr_t taps_fold(struct outbox *ob, const char *agent_id, const char *now, int *reports);

/* Adds to obj what today looks like for trip_id: "departments": {name:
 * {"taps": open taps, "waiting": in reports not answered yet, "counted":
 * accepted, "rejected": refused}} over every headcount of the trip in the
 * outbox plus its open taps; "open_taps": the latest open taps (id,
 * department, toggles, entered_by, at); "waiting": outbox entries not
 * answered; "rejected"; "last_answer": when the coordinator last answered. */
oerr_t taps_today(struct outbox *ob, const char *trip_id, cJSON *obj);

/* Appends to arr the latest limit entries of the outbox, newest first: seq,
 * kind, trip_id, state, created_at, code and reason when refused, and
 * "fields": what the report contained (without the envelope). */
oerr_t taps_recent(struct outbox *ob, int limit, cJSON *arr);

#endif
