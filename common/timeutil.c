/* timeutil.c -- calendar arithmetic without the C library's time zone state. */
#include "timeutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool tu_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tu_days_in_year(int y) { return tu_is_leap(y) ? 366 : 365; }

int tu_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && tu_is_leap(y) ? 29 : days[m - 1];
}

int tu_day_of_year(struct odate d)
{
    int n = d.day;
    for (int m = 1; m < d.month; m++)
        n += tu_days_in_month(d.year, m);
    return n;
}

/* Howard Hinnant's days_from_civil. */
long tu_days_from_civil(struct odate d)
{
    long y = d.year - (d.month <= 2);
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long mp = (d.month + 9) % 12;
    long doy = (153 * mp + 2) / 5 + d.day - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static struct odate civil_from_days(long z)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    struct odate d;
    d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
    d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
    d.year = (int)(yoe + era * 400 + (d.month <= 2));
    return d;
}

int tu_date_cmp(struct odate a, struct odate b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

/* Reads exactly n decimal digits. */
static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_date_prefix(const char *s, struct odate *out)
{
    struct odate d;
    if (digits(s, 4, &d.year) || s[4] != '-' || digits(s + 5, 2, &d.month) ||
        s[7] != '-' || digits(s + 8, 2, &d.day))
        return -1;
    if (d.year < 1 || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > tu_days_in_month(d.year, d.month))
        return -1;
    *out = d;
    return 0;
}

const char *tu_date_why(const char *s, char buf[TU_WHY_MAX])
{
    static const char *const months[12] = {"January", "February", "March", "April", "May",
                                           "June", "July", "August", "September", "October",
                                           "November", "December"};
    struct odate d;
    if (s && strlen(s) == 10 && parse_date_prefix(s, &d) == 0)
        return NULL;
    int y, m, day;
    if (!s || strlen(s) != 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
        s[7] != '-' || digits(s + 8, 2, &day) || y < 1)
        snprintf(buf, TU_WHY_MAX, "not a date YYYY-MM-DD (like 2026-03-01)");
    else if (m < 1 || m > 12)
        snprintf(buf, TU_WHY_MAX, "%02d is not a month (01 to 12)", m);
    else
        snprintf(buf, TU_WHY_MAX, "%s %04d has %d days: %s is not a day of it", months[m - 1],
                 y, tu_days_in_month(y, m), s);
    return buf;
}

int tu_parse_date(const char *s, struct odate *out)
{
    if (!s || strlen(s) != 10)
        return -1;
    return parse_date_prefix(s, out);
}

void tu_format_date(struct odate d, char buf[11])
{
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)d.year % 10000u, (unsigned)d.month % 100u,
             (unsigned)d.day % 100u);
}

bool tu_valid_timestamp(const char *s)
{
    struct odate d;
    int hh, mm, ss;
    if (!s || strlen(s) < 20 || parse_date_prefix(s, &d))
        return false;
    if (s[10] != 'T' || digits(s + 11, 2, &hh) || s[13] != ':' ||
        digits(s + 14, 2, &mm) || s[16] != ':' || digits(s + 17, 2, &ss))
        return false;
    if (hh > 23 || mm > 59 || ss > 59)
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0;
        for (p++; isdigit((unsigned char)*p); p++)
            n++;
        if (n < 1 || n > 9)
            return false;
    }
    if (*p == 'Z' && p[1] == '\0')
        return true;
    int oh, om;
    if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh) || p[3] != ':' ||
        digits(p + 4, 2, &om) || p[6] != '\0')
        return false;
    return oh <= 23 && om <= 59;
}

struct odate tu_date_at(time_t t, int offset_min)
{
    long secs = (long)t + (long)offset_min * 60L;
    long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    return civil_from_days(days);
}

struct odate tu_today(int offset_min)
{
    const char *fixed = getenv("OUTREACH_TODAY");
    struct odate d;
    if (fixed && tu_parse_date(fixed, &d) == 0)
        return d;
    return tu_date_at(time(NULL), offset_min);
}

void tu_format_ts(time_t t, int offset_min, char buf[TU_TS_MAX])
{
    long secs = (long)t + (long)offset_min * 60L;
    long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    long rem = secs - days * 86400;
    struct odate d = civil_from_days(days);
    int off = offset_min < 0 ? -offset_min : offset_min;
    snprintf(buf, TU_TS_MAX, "%04u-%02u-%02uT%02u:%02u:%02u%c%02u:%02u",
             (unsigned)d.year % 10000u, (unsigned)d.month % 100u, (unsigned)d.day % 100u,
             (unsigned)(rem / 3600) % 24u, (unsigned)(rem % 3600 / 60) % 60u,
             (unsigned)(rem % 60) % 60u, offset_min < 0 ? '-' : '+',
             (unsigned)(off / 60) % 100u, (unsigned)(off % 60) % 60u);
}

void tu_deadline(struct timespec *ts, clockid_t clock, long ms)
{
    clock_gettime(clock, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

double tu_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct odate tu_date_of_day(int year, int n)
{
    int days = tu_days_in_year(year);
    n = n < 1 ? 1 : n > days ? days : n;
    int m = 1;
    while (m < 12 && n > tu_days_in_month(year, m)) {
        n -= tu_days_in_month(year, m);
        m++;
    }
    return (struct odate){year, m, n};
}
