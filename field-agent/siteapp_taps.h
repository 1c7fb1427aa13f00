/* siteapp_taps.h -- the registration desk's tally: each tap is one villager,
 * durable in the outbox database (outbox_site.h) before the phone shows it; taps
 * are folded into one headcount report per trip and department, in the same
 * transaction that marks them folded, so a crash loses or doubles none. */
#ifndef OUTREACH_SITEAPP_TAPS_H
#define OUTREACH_SITEAPP_TAPS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "oerr.h"
#include "outbox.h"
#include "outbox_site.h" /* struct tap */
#include "trip_card.h"

/* The trip entries go to today: from the device's trip cards for tu_today()
 * (the config's trip when it names one of them, else the first that is not
 * cancelled); from the config alone when the device has no cards at all. */
enum site_trip_source { SITE_TRIP_NONE, SITE_TRIP_CARD, SITE_TRIP_CONFIG };
struct site_trip {
    enum site_trip_source source;
    char trip_id[ID_MAX + 1];
    bool has_card;          /* card holds the trip's card */
    struct trip_card card;
    long long cards_known;  /* cards on the device */
    size_t today_n;         /* cards for today */
};
/* Picks today's trip for config_trip (may be NULL). Returns 0, or -1 when the
 * outbox could not be read. */
int site_trip_pick(struct outbox *ob, const char *config_trip, struct site_trip *t);
/* Why no entry may go to t now (no trip, unknown, cancelled), in words into
 * en[n] and zh[n]; 0 when entries may go to t->trip_id. For every entry the
 * site app saves (taps, forms, corrections). */
int site_trip_refusal(const struct site_trip *t, char *en, char *zh, size_t n);
/* Whether t offers department (all nine when its card lists none). */
bool site_trip_offers(const struct site_trip *t, const char *department);
/* Adds "trip" to obj: trip_id, source, title, site_name, county_name, date,
 * end_date, status, departments, and "refusal" (en, zh) when entries are refused. */
void site_trip_json(const struct site_trip *t, cJSON *obj);

/* Creates the site app's tables when missing (outbox_site_init). */
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

/* Adds "totals" and "unsynced" (what of it waits to be sent or answered) to
 * obj for trip_id: consultations (headcounts plus open taps), medicine_fen,
 * referrals, brochures, attendees, talks, staff (distinct staff ids checked
 * in), entries; entries the coordinator refused and voided ones excluded. */
oerr_t site_totals(struct outbox *ob, const char *trip_id, cJSON *obj);

/* Appends to arr the latest limit entries of the outbox, newest first: seq,
 * kind, trip_id, state, created_at, code and reason when refused, "describe"
 * (what it contained, in words), "fields" (the report without the envelope),
 * voided_by / voids_seq, "can_void" and "why_not" (outbox_cannot_void),
 * "corrected_by" for a refused entry already sent again. */
oerr_t taps_recent(struct outbox *ob, int limit, cJSON *arr);
/* Appends to arr the newest limit entries the coordinator refused, newest
 * first, as taps_recent shows them. */
oerr_t taps_refused(struct outbox *ob, int limit, cJSON *arr);
/* One entry as taps_recent shows it, into *out (a new object);
 * OERR_NOTFOUND when there is no entry seq. */
oerr_t taps_entry(struct outbox *ob, long long seq, cJSON **out);

/* Checks a payload of kind against the contract before it is stored (the
 * payload_check of outbox_push; ctx: the agent id). */
int taps_check_payload_kind(const char *agent_id, const char *kind, const char *payload);
/* "Correct and send again" for refused entry seq: a new headcount with its
 * values for trip_id, entered_by staff, recorded in the same transaction as
 * the correction (once per refused entry). Returns OERR_OK with *new_seq,
 * OERR_NOTFOUND, or OERR_REJECTED with why[n] (not refused, not a headcount,
 * already corrected, department not offered). */
oerr_t taps_correct(struct outbox *ob, const char *agent_id, long long seq,
                    const struct site_trip *t, const char *staff, const char *now,
                    long long *new_seq, char *why, size_t n);

#endif
