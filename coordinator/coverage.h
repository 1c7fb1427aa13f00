/* coverage.h -- poor-village coverage: which poor villages of the register a
 * year's trips reached, per county and township (progress/{year}/coverage). */
#ifndef OUTREACH_COVERAGE_H
#define OUTREACH_COVERAGE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "request.h"
#include "store.h"
#include "timeutil.h"

/* The rule: a trip reaches its village when it is not cancelled, has begun
 * (date, YYYY-MM-DD, on or before today: completed or in progress) and has
 * counted consultations. */
bool coverage_trip_reaches(const char *status, const char *date, struct odate today,
                           long long consultations);

/* A trip's site at village v of the register (trip.upsert with
 * site.village): NULL when they agree, else why not, in msg (the village,
 * where the register has it, what the site says, what to do). They agree
 * when the county is the same, the site's township (when given) is the
 * same, and poor_village (when given) is what the register says. */
const char *coverage_site_mismatch(const struct village_row *v, const struct trip_def *t,
                                   char msg[JERR_MAX]);

/* Copies text into msg, cut at a character boundary when it is longer;
 * returns msg. */
const char *coverage_msg(char msg[JERR_MAX], const char *text);

/* The year's coverage as the contract's JSON ({"year","as_of",
 * "poor_villages","reached","by_county":[…],"not_reached":[…]}); NULL when
 * the store failed. The caller deletes it. */
cJSON *coverage_json(struct store *s, int year, struct odate today, const char *as_of);

#endif
