/* progress_json.c -- turns store totals and targets into the contract's progress JSON. */
#include "progress_json.h"

#include "progress.h"

static void add_target(cJSON *o, const char *name, long long count, long long target,
                       int year, struct odate today)
{
    struct target_figures f;
    progress_figures(count, target, year, today, &f);
    cJSON *t = cJSON_AddObjectToObject(o, name);
    cJSON_AddNumberToObject(t, "count", (double)f.count);
    cJSON_AddNumberToObject(t, "target", (double)f.target);
    cJSON_AddNumberToObject(t, "expected_to_date", (double)f.expected_to_date);
    cJSON_AddNumberToObject(t, "projected_year_end", (double)f.projected_year_end);
    cJSON_AddStringToObject(t, "pace", f.pace);
}

/* The parts shared by year, county and trip messages. */
static void add_common(cJSON *o, const struct totals *t)
{
    cJSON *m = cJSON_AddObjectToObject(o, "medicine");
    cJSON_AddNumberToObject(m, "value_fen", (double)t->value_fen);
    cJSON_AddNumberToObject(m, "dispenses", (double)t->dispenses);
    cJSON *r = cJSON_AddObjectToObject(o, "referrals");
    cJSON_AddNumberToObject(r, "count", (double)t->referrals);
    cJSON *bd = cJSON_AddObjectToObject(r, "by_destination");
    for (int i = 0; i < DEST_COUNT; i++)
        cJSON_AddNumberToObject(bd, destination_names[i], (double)t->by_destination[i]);
    cJSON *e = cJSON_AddObjectToObject(o, "education");
    cJSON_AddNumberToObject(e, "brochures", (double)t->brochures);
    cJSON_AddNumberToObject(e, "attendees", (double)t->attendees);
    cJSON_AddNumberToObject(e, "talks", (double)t->talks);
}

static void add_breakdown(cJSON *consultations, const struct totals *t)
{
    cJSON_AddNumberToObject(consultations, "female", (double)t->female);
    cJSON_AddNumberToObject(consultations, "over_60", (double)t->over_60);
    cJSON_AddNumberToObject(consultations, "poor_households", (double)t->poor_households);
}

/* The opening of a year's progress and series: year, as_of and today (the
 * day the figures are "expected" for: the sites' date, or OUTREACH_TODAY's;
 * pages classify trips by it). */
static cJSON *year_head(int year, struct odate today, const char *as_of)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "year", year);
    cJSON_AddStringToObject(o, "as_of", as_of);
    char day[11];
    tu_format_date(today, day);
    cJSON_AddStringToObject(o, "today", day);
    return o;
}

cJSON *progress_year_json(struct store *s, int year, const char *county,
                          const char *county_name, const struct targets *tg,
                          struct odate today, const char *as_of)
{
    struct totals t;
    struct totals_filter f = {.year = year, .county = county};
    if (store_totals(s, &f, &t))
        return NULL;
    cJSON *o = year_head(year, today, as_of);
    if (county) {
        cJSON_AddStringToObject(o, "county", county);
        cJSON_AddStringToObject(o, "county_name", county_name ? county_name : county);
    }
    if (county) { /* the year's targets are not the county's: counts only */
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "consultations"), "count",
                                (double)t.consultations);
        cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "staff"), "count", (double)t.staff);
    } else {
        add_target(o, "consultations", t.consultations, tg->consultations, year, today);
        add_target(o, "staff", t.staff, tg->staff, year, today);
    }
    add_breakdown(cJSON_GetObjectItemCaseSensitive(o, "consultations"), &t);
    add_common(o, &t);
    long long tc, ts; /* the county's own targets, when it has some */
    if (county && store_county_target(s, year, county, &tc, &ts) == OERR_OK) {
        cJSON *ct = cJSON_AddObjectToObject(o, "county_targets");
        add_target(ct, "consultations", t.consultations, tc, year, today);
        add_target(ct, "staff", t.staff, ts, year, today);
    }
    cJSON *tr = cJSON_AddObjectToObject(o, "trips");
    cJSON_AddNumberToObject(tr, "planned", (double)t.trips_planned);
    cJSON_AddNumberToObject(tr, "completed", (double)t.trips_completed);
    cJSON_AddNumberToObject(tr, "cancelled", (double)t.trips_cancelled);
    return o;
}

cJSON *progress_trip_json(struct store *s, const char *trip_id, const char *as_of)
{
    struct trip_row trip;
    if (store_trip_get(s, trip_id, &trip))
        return NULL;
    struct totals t;
    struct totals_filter f = {.year = trip.year, .trip_id = trip_id};
    if (store_totals(s, &f, &t))
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "trip_id", trip_id);
    cJSON_AddNumberToObject(o, "year", trip.year);
    cJSON_AddStringToObject(o, "as_of", as_of);
    cJSON_AddStringToObject(o, "status", trip.status);
    cJSON *c = cJSON_AddObjectToObject(o, "consultations");
    cJSON_AddNumberToObject(c, "count", (double)t.consultations);
    add_breakdown(c, &t);
    cJSON *st = cJSON_AddObjectToObject(o, "staff");
    cJSON_AddNumberToObject(st, "count", (double)t.staff);
    cJSON_AddNumberToObject(o, "checkins", (double)t.checkins);
    add_common(o, &t);
    /* Who of those registered came: counts only, never who. */
    struct attendance at;
    struct role_places pl[ROLE_COUNT];
    if (store_trip_attendance(s, trip_id, &at) == OERR_OK &&
        store_trip_places(s, trip_id, pl) == OERR_OK) {
        long long confirmed = 0;
        for (int i = 0; i < ROLE_COUNT; i++)
            confirmed += pl[i].confirmed;
        cJSON *a = cJSON_AddObjectToObject(o, "attendance");
        cJSON_AddNumberToObject(a, "registered", (double)confirmed);
        cJSON_AddNumberToObject(a, "registered_came", (double)at.came);
        cJSON_AddNumberToObject(a, "registered_absent", (double)at.absent);
        cJSON_AddNumberToObject(a, "came_unregistered", (double)at.unregistered);
    }
    return o;
}

cJSON *progress_series_json(struct store *s, int year, const struct targets *tg,
                            struct odate today, const char *as_of)
{
    long long cons[STORE_WEEKS], staff[STORE_WEEKS];
    if (store_weekly(s, year, cons, staff))
        return NULL;
    int days = tu_days_in_year(year);
    /* Weeks shown: through today's (all of a past year, none of a future one). */
    int through_day = today.year > year ? days : today.year < year ? 0 : tu_day_of_year(today);
    cJSON *o = year_head(year, today, as_of);
    cJSON_AddNumberToObject(o, "days_in_year", days);
    cJSON *t = cJSON_AddObjectToObject(o, "targets");
    cJSON_AddNumberToObject(t, "consultations", (double)tg->consultations);
    cJSON_AddNumberToObject(t, "staff", (double)tg->staff);
    cJSON *weeks = cJSON_AddArrayToObject(o, "weeks");
    long long c = 0, p = 0;
    for (int w = 0; w < STORE_WEEKS && w * 7 < through_day; w++) {
        c += cons[w];
        p += staff[w];
        int first = w * 7 + 1, last = first + 6 > days ? days : first + 6;
        char start[11], end[11];
        tu_format_date(tu_date_of_day(year, first), start);
        tu_format_date(tu_date_of_day(year, last), end);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "week", w + 1);
        cJSON_AddStringToObject(e, "start", start);
        cJSON_AddStringToObject(e, "end", end);
        cJSON_AddNumberToObject(e, "day", last);
        cJSON_AddNumberToObject(e, "consultations", (double)c);
        cJSON_AddNumberToObject(e, "staff", (double)p);
        cJSON_AddItemToArray(weeks, e);
    }
    return o;
}

/* months (issue 13) */
static void add_names(cJSON *o, const char *name, const char *const *names, const long long *v,
                      int n)
{
    cJSON *b = cJSON_AddObjectToObject(o, name);
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(b, names[i], (double)v[i]);
}

cJSON *progress_months_json(struct store *s, int year, const char *county,
                            const char *county_name, const char *as_of)
{
    struct month_figures m[12];
    if (store_months(s, year, county, m))
        return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "year", year);
    cJSON_AddStringToObject(o, "as_of", as_of);
    if (county) {
        cJSON_AddStringToObject(o, "county", county);
        cJSON_AddStringToObject(o, "county_name", county_name ? county_name : county);
    }
    cJSON *months = cJSON_AddArrayToObject(o, "months");
    for (int i = 0; i < 12; i++) {
        const struct month_figures *f = &m[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "month", i + 1);
        cJSON_AddNumberToObject(e, "consultations", (double)f->consultations);
        add_names(e, "by_department", department_names, f->by_department, STORE_DEPARTMENTS);
        cJSON_AddNumberToObject(e, "female", (double)f->female);
        cJSON_AddNumberToObject(e, "over_60", (double)f->over_60);
        cJSON_AddNumberToObject(e, "poor_households", (double)f->poor_households);
        cJSON_AddNumberToObject(e, "staff", (double)f->staff);
        cJSON_AddNumberToObject(e, "value_fen", (double)f->value_fen);
        cJSON_AddNumberToObject(e, "dispenses", (double)f->dispenses);
        cJSON_AddNumberToObject(e, "referrals", (double)f->referrals);
        add_names(e, "by_destination", destination_names, f->by_destination, DEST_COUNT);
        add_names(e, "by_urgency", urgency_names, f->by_urgency, STORE_URGENCIES);
        cJSON_AddNumberToObject(e, "brochures", (double)f->brochures);
        cJSON_AddNumberToObject(e, "attendees", (double)f->attendees);
        cJSON_AddNumberToObject(e, "talks", (double)f->talks);
        cJSON_AddNumberToObject(e, "education", (double)f->education);
        cJSON_AddItemToArray(months, e);
    }
    return o;
}
