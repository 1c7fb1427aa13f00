/* progress_json.h -- the progress messages (year, county, trip) built from the store. */
#ifndef OUTREACH_PROGRESS_JSON_H
#define OUTREACH_PROGRESS_JSON_H

#include <cjson/cJSON.h>

#include "store.h"
#include "timeutil.h"

struct targets {
    long long staff, consultations;
};

/* Progress of a year (county NULL) or of one county of it, as a cJSON object
 * the caller deletes; NULL when the store failed. The year's consultations
 * and staff carry the year's targets (tg: target, expected_to_date,
 * projected_year_end, pace); a county's carry their counts only, and a county
 * with targets of its own (store_county_target) gets "county_targets",
 * computed as the year's. */
cJSON *progress_year_json(struct store *s, int year, const char *county,
                          const char *county_name, const struct targets *tg,
                          struct odate today, const char *as_of);
/* The year's cumulative figures week by week, for the dashboard's chart:
 * {"year","as_of","days_in_year","targets":{consultations,staff},
 *  "weeks":[{"week":1,"start","end","consultations","staff"},…]} through the
 * week holding today (the whole year once it is over; none before it
 * starts). NULL when the store failed. */
cJSON *progress_series_json(struct store *s, int year, const struct targets *tg,
                            struct odate today, const char *as_of);
/* One trip's totals; NULL when the trip is unknown or the store failed. */
cJSON *progress_trip_json(struct store *s, const char *trip_id, const char *as_of);

/* months (issue 13): the year month by month, on every trip (county NULL) or
 * those of one county: {"year","as_of",("county","county_name",)"months":[12
 * objects]}; NULL when the store failed. */
cJSON *progress_months_json(struct store *s, int year, const char *county,
                            const char *county_name, const char *as_of);

#endif
