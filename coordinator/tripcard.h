/* tripcard.h -- a trip's public card: what it is, where, and its places per
 * role (counts only, never who), as published on the trip's card topic. */
#ifndef OUTREACH_TRIPCARD_H
#define OUTREACH_TRIPCARD_H

#include "store.h"

/* The card as JSON text (the caller frees it with free()), or NULL when the
 * trip is unknown or the store failed. */
char *tripcard_json(struct store *s, const char *trip_id);

#endif
