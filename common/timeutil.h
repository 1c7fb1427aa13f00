/* timeutil.h -- calendar dates, RFC 3339 timestamps, the site's time zone. */
#ifndef OUTREACH_TIMEUTIL_H
#define OUTREACH_TIMEUTIL_H

#include <stdbool.h>
#include <time.h>

#define TU_SITE_OFFSET_MIN (8 * 60) /* China: UTC+08:00 */
#define TU_TS_MAX 40                /* room for any timestamp we write */

struct odate {
    int year, month, day;
};

bool tu_is_leap(int year);
int tu_days_in_year(int year);
int tu_days_in_month(int year, int month);
/* 1 for 1 January. */
int tu_day_of_year(struct odate d);
/* The date of day n (1 = 1 January) of year; n is clamped to the year. */
struct odate tu_date_of_day(int year, int n);
/* Days since 1970-01-01 (negative before). */
long tu_days_from_civil(struct odate d);
/* Compares two dates: <0, 0, >0. */
int tu_date_cmp(struct odate a, struct odate b);

/* Parses a strict YYYY-MM-DD that names a real calendar day. Returns 0 or -1. */
int tu_parse_date(const char *s, struct odate *out);
/* Why s is not a date tu_parse_date takes, in words for a message ("November
 * 2026 has 30 days: 2026-11-31 is not a day of it"), in buf; NULL when it is
 * one. */
#define TU_WHY_MAX 96
const char *tu_date_why(const char *s, char buf[TU_WHY_MAX]);
/* Writes YYYY-MM-DD into buf[11]. */
void tu_format_date(struct odate d, char buf[11]);
/* True for RFC 3339 date-time with a real date, time and offset, upper-case T and Z
 * (YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)). */
bool tu_valid_timestamp(const char *s);

/* The date at the site (offset minutes east of UTC) at time t. */
struct odate tu_date_at(time_t t, int offset_min);
/* Today at the site; OUTREACH_TODAY=YYYY-MM-DD in the environment overrides
 * the clock (for demos and tests that replay a given day). */
struct odate tu_today(int offset_min);
/* ts = now on clock + ms (for pthread_cond_timedwait). */
void tu_deadline(struct timespec *ts, clockid_t clock, long ms);
/* Milliseconds on the monotonic clock. */
double tu_mono_ms(void);
/* Writes time t as RFC 3339 with the given offset into buf[TU_TS_MAX]. */
void tu_format_ts(time_t t, int offset_min, char buf[TU_TS_MAX]);

#endif
