/* registry.h -- the rules of volunteers' registrations for trips: places per
 * role with first-come-first-served wait-lists, promotions, clashes and
 * notices, and the answers to volunteer requests. What is kept (profiles,
 * registrations, who checked in) is read and written through store.h. */
#ifndef OUTREACH_REGISTRY_H
#define OUTREACH_REGISTRY_H

#include <stddef.h>

#include "ids.h"
#include "oerr.h"
#include "store.h"

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
void notices_free(struct notices *ns); /* accepts NULL */

/* What a handled volunteer or admin request changed. */
struct reg_effects {
    struct notices notices;
    char trip_ids[4][ID_MAX + 1]; /* trips whose card changed */
    int ntrips;
};
void reg_effects_free(struct reg_effects *fx); /* accepts NULL */

/* Handles one volunteer request of volunteer_id (the topic's id, which the
 * broker's ACL ties to the account) inside the caller's transaction. Returns
 * the reply JSON (caller frees with free()), never NULL except out of memory.
 * A repeated request_id gets the stored reply and has no second effect.
 * Sets *db_failed when the store failed (the caller rolls back). */
char *volunteer_handle(struct store *s, const char *volunteer_id, const char *payload,
                       size_t len, const char *now, struct reg_effects *fx, int *db_failed);

/* After an admin changed a trip (inside the same transaction): a cancelled
 * trip's registrations become trip_cancelled, each registrant getting a
 * notice (with the admin's reason, when not NULL or empty); a trip with more
 * places than confirmed volunteers promotes the wait-listed into them. */
oerr_t registry_trip_changed(struct store *s, const char *trip_id, const char *reason,
                             const char *now, struct reg_effects *fx);

#endif
