/* admin.h -- the coordinator's answers to admin requests (trip.upsert/cancel/complete). */
#ifndef OUTREACH_ADMIN_H
#define OUTREACH_ADMIN_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* What a handled request changed, so the caller can republish it. */
struct changes {
    char trip_id[65]; /* a trip whose card changed, or "" */
    int year;         /* its year, or 0 */
    char county[65];  /* its county */
    struct trip_row old; /* before an upsert (old.year 0 when it is new) */
    char reason[257];    /* a trip.cancel's reason, or "" */
    bool villages;       /* villages.put changed the register: every year's coverage */
};

/* Handles one admin request inside the caller's transaction. Returns the
 * reply JSON (caller frees with free()), never NULL except out of memory; a
 * repeated request_id gets the stored reply and changes nothing. Sets
 * *db_failed when the store failed (the caller rolls back). */
char *admin_handle(struct store *s, const char *payload, size_t len, const char *now,
                   struct changes *ch, int *db_failed);

#endif
