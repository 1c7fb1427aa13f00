/* registry.h -- volunteers and their registrations for trips: profiles,
 * places per role with first-come-first-served wait-lists, promotions and
 * notices, and who of those registered checked in. The SQL lives in
 * registry.c, on the store's connection. */
#ifndef OUTREACH_REGISTRY_H
#define OUTREACH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "ids.h"
#include "oerr.h"
#include "report.h"
#include "store.h"
#include "timeutil.h"

/* Registration states, as stored and as sent in replies. */
#define REG_CONFIRMED "confirmed"
#define REG_WAITLISTED "waitlisted"
#define REG_CANCELLED "cancelled"           /* by the volunteer */
#define REG_TRIP_CANCELLED "trip_cancelled" /* the trip was cancelled */

/* A notice for one volunteer, to publish on their replies topic once the
 * transaction that caused it is committed. */
struct notice {
    char volunteer_id[ID_MAX + 1];
    char *json; /* {"notice":…,"trip_id":…,…}; owned */
};
struct notices {
    struct notice *v;
    size_t n, cap;
};
void notices_free(struct notices *ns);

/* What a handled volunteer or admin request changed. */
struct reg_effects {
    struct notices notices;
    char trip_ids[4][ID_MAX + 1]; /* trips whose card changed */
    int ntrips;
};
void reg_effects_free(struct reg_effects *fx);

/* Handles one volunteer request of volunteer_id (the topic's id, which the
 * broker's ACL ties to the account) inside the caller's transaction. Returns
 * the reply JSON (caller frees with free()), never NULL except out of memory.
 * A repeated request_id gets the stored reply and has no second effect.
 * Sets *db_failed when the store failed (the caller rolls back). */
char *volunteer_handle(struct store *s, const char *volunteer_id, const char *payload,
                       size_t len, const char *now, struct reg_effects *fx, int *db_failed);

/* After an admin changed a trip (inside the same transaction): a cancelled
 * trip's registrations become trip_cancelled, each registrant getting a
 * notice (with the admin's reason, when not NULL or empty); a trip with more places than confirmed volunteers promotes the
 * wait-listed into them. */
oerr_t registry_trip_changed(struct store *s, const char *trip_id, const char *reason,
                             const char *now, struct reg_effects *fx);

/* ---- reading, for the trip cards and the CLI ---------------------------- */

struct role_places {
    int capacity, confirmed, waitlisted, open; /* open = max(0, capacity - confirmed) */
};
/* Places of every role of a trip (all zero for a role the trip lacks).
 * OERR_NOTFOUND for an unknown trip. */
oerr_t registry_places(struct store *s, const char *trip_id,
                       struct role_places out[ROLE_COUNT]);

struct volunteer_row {
    char volunteer_id[ID_MAX + 1];
    char name[257], phone[65], organization[257];
    unsigned roles; /* bit i: role_names[i] */
    char updated_at[TU_TS_MAX];
};
oerr_t registry_volunteer_get(struct store *s, const char *volunteer_id,
                              struct volunteer_row *out);

/* One registration, with its volunteer's profile (for the coordinator's eyes
 * only: the CLI; never on a topic). */
struct reg_row {
    long long id; /* order of arrival */
    char trip_id[ID_MAX + 1];
    char volunteer_id[ID_MAX + 1];
    int role;        /* index in role_names */
    char state[16];  /* REG_* */
    long long position; /* wait-list position (1 = next), 0 unless waitlisted */
    bool checked_in; /* a counted check-in of this trip has staff_id = volunteer_id */
    char created_at[TU_TS_MAX], updated_at[TU_TS_MAX];
    struct volunteer_row v;
};
/* Every registration of a trip, in the order: role, confirmed before
 * waitlisted before cancelled ones, then arrival. fn returns non-zero to stop. */
oerr_t registry_trip_regs_each(struct store *s, const char *trip_id,
                               int (*fn)(void *, const struct reg_row *), void *ctx);

/* The counted (not voided) check-ins of a trip whose staff_id matches no
 * confirmed registration of it: people who came without registering. */
struct walkin_row {
    char staff_id[ID_MAX + 1];
    int role;
    char organization[257];
};
oerr_t registry_trip_walkins_each(struct store *s, const char *trip_id,
                                  int (*fn)(void *, const struct walkin_row *), void *ctx);

/* Registered-and-came (confirmed, checked in), registered-but-absent
 * (confirmed, no check-in) and came-unregistered (distinct staff_id of
 * counted check-ins without a confirmed registration). */
struct attendance {
    long long came, absent, unregistered;
};
oerr_t registry_attendance(struct store *s, const char *trip_id, struct attendance *out);

#endif
