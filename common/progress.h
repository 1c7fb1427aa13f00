/* progress.h -- arithmetic of the year's targets: expected by today, projection, pace. */
#ifndef OUTREACH_PROGRESS_H
#define OUTREACH_PROGRESS_H

#include "timeutil.h"

struct target_figures {
    long long count, target, expected_to_date, projected_year_end;
    int days_elapsed, days_in_year;
    const char *pace; /* "ahead", "on_pace" or "behind" */
};

/* Days of year counted as elapsed on `today`: 0 before the year starts, the
 * day of the year within it (today counts: 1 January is 1), all after it. */
int progress_days_elapsed(int year, struct odate today);

/* The pace of count against expected (to date) of a year's target:
 * "ahead", "on_pace" or "behind", within 1% of the target (at least 1)
 * counting as on pace. The one rule: progress's figures and the
 * county_behind alert (coordinator/alerts.c) both use it. */
const char *progress_pace(long long count, long long expected, long long target);

/* Fills f: expected_to_date = target x elapsed / days in year, rounded to
 * nearest; projected_year_end = count x days in year / elapsed, rounded down
 * (count itself before the year starts); pace is progress_pace's. */
void progress_figures(long long count, long long target, int year, struct odate today,
                      struct target_figures *f);

#endif
