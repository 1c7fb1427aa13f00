/* cli_tripread.h -- what `trips` and `trip show` read of a trip from the
 * store, and how they word it: its card, its places per role. */
#ifndef OUTREACH_CLI_TRIPREAD_H
#define OUTREACH_CLI_TRIPREAD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "store.h"

/* A role is shown when the trip has places for it or someone registered. */
bool tripread_role_shown(const struct role_places *p);

/* {ROLE: {capacity, confirmed, waitlisted, open}} for the roles shown; the
 * caller owns it. Exits on out of memory (cli_oom). */
cJSON *tripread_roles_json(const struct role_places p[ROLE_COUNT]);

/* "doctor 3/4 (+2 wait-listed), nurse 2/2", or "none", into buf[n]. */
void tripread_places_text(const struct role_places p[ROLE_COUNT], char *buf, size_t n);

/* "2026-03-15", or "2026-03-15–2026-03-17" when end_date is another day. */
void tripread_dates_text(const char *date, const char *end_date, char *buf, size_t n);

/* The trip's card from the store, parsed (caller frees); NULL after a
 * message. */
cJSON *tripread_card(struct store *s, const char *trip_id);

/* The trip's places per role into p. Returns 0, or -1 after a message. */
int tripread_places(struct store *s, const char *trip_id, struct role_places p[ROLE_COUNT]);

/* s, or "-" when s is NULL or empty. */
const char *tripread_or_dash(const char *s);

#endif
