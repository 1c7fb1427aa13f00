/* store_sqlite_months.c -- the SQLite backend of store.h's months (issue 13):
 * the year month by month, kept in the transaction of the report that
 * changes it and rebuilt from the reports with the other figures.
 *
 * A report's month is the local date of its recorded_at (at meta's
 * month_offset, e.g. '+480 minutes': store_month_offset) CLAMPED to its
 * trip's days [date, end_date]: made during the trip, it counts on its day
 * (23:30 on 31 January +08:00 stays January for a trip on that day); typed
 * in after the trip (a November trip's reports entered on 1 December), on
 * the trip's last day; before, on its first. The year is that day's.
 *
 * - month_days holds, per trip and local day (unclamped), the sums of the
 *   trip's counted reports recorded that day: a few rows per trip. The clamp
 *   is applied when reading (store_months), so a trip whose dates change
 *   takes its reports' months along with no work, as a trip moved to another
 *   county takes its county's (a county's months are read through its trips).
 * - month_staff, per (year, month, staff_id, county), how many counted
 *   check-ins of a non-support person there are (n > 0; a row whose n falls
 *   to 0 is deleted): keyed by the clamped month and the county, so
 *   store_trip_upsert takes a trip's rows out before its dates or county
 *   change and puts them back after (store_month_trip_out/_in).
 *
 * MONTH_EXPRS is what one report adds, the same text for the incremental
 * update and the rebuild. An offset beyond +-14:00 (valid in our timestamps,
 * not in SQLite's) is read as written: its local date without the offset. */
#include <stdlib.h>
#include <string.h>

#include "olog.h"
#include "store_sqlite_priv.h"
#include "timeutil.h"

#define MONTH_MOD "(SELECT value FROM meta WHERE key = 'month_offset')"
#define MONTH_SUF "(SELECT value FROM meta WHERE key = 'month_suffix')"
/* The local day ('YYYY-MM-DD') of a report's recorded_at at offset MOD. One
 * written at the store's own offset (SUF, e.g. '+08:00': nearly all of them)
 * has it as written, read without date() (a third of a rebuild's time
 * otherwise). */
#define LOCAL_DAY_AT(MOD, SUF)                                                          \
    "(CASE WHEN substr(recorded_at, length(recorded_at) - 5) = " SUF                     \
    " THEN substr(recorded_at, 1, 10)"                                                  \
    " ELSE COALESCE(date(recorded_at, " MOD "), substr(recorded_at, 1, 10)) END)"
#define LOCAL_DAY LOCAL_DAY_AT(MONTH_MOD, MONTH_SUF)
/* Trip t's last day, and day D clamped to t's days. */
#define TRIP_LAST "COALESCE(NULLIF(t.end_date, ''), t.date)"
#define CLAMPED(D)                                                                    \
    "(CASE WHEN " D " < t.date THEN t.date WHEN " D " > " TRIP_LAST " THEN " TRIP_LAST \
    " ELSE " D " END)"
#define YEAR_OF(D) "CAST(substr(" D ", 1, 4) AS INTEGER)"
#define MONTH_OF(D) "CAST(substr(" D ", 6, 2) AS INTEGER)"
/* Trip t has days in year ?1 (a trip may last past New Year). */
#define TRIP_IN_YEAR "t.year <= ?1 AND " TRIP_LAST " >= (?1 || '-01-01')"

#define MONTH_EXTRA_COLS                                                              \
    "dep_internal, dep_surgery, dep_obgyn, dep_pediatrics, dep_ophthalmology,"        \
    " dep_tcm, dep_dental, dep_general, dep_other, urg_routine, urg_urgent,"          \
    " urg_emergency"
#define MONTH_COLS TOTALS_COLS ", " MONTH_EXTRA_COLS
#define MONTH_NCOLS (TOTALS_NCOLS + 12)
#define MONTH_DEP(L, R, D)                                                            \
    L "CASE WHEN kind = 'headcount' AND department = '" D "' THEN consultations"     \
    " ELSE 0 END" R
#define MONTH_URG(L, R, U) L FLAG("kind = 'referral' AND urgency = '" U "'") R
#define MONTH_EXPRS(L, R)                                                             \
    TOTALS_EXPRS(L, R) "," MONTH_DEP(L, R, "internal") "," MONTH_DEP(L, R, "surgery") \
    "," MONTH_DEP(L, R, "obgyn") "," MONTH_DEP(L, R, "pediatrics") ","                \
    MONTH_DEP(L, R, "ophthalmology") "," MONTH_DEP(L, R, "tcm") ","                   \
    MONTH_DEP(L, R, "dental") "," MONTH_DEP(L, R, "general") ","                      \
    MONTH_DEP(L, R, "other") "," MONTH_URG(L, R, "routine") ","                       \
    MONTH_URG(L, R, "urgent") "," MONTH_URG(L, R, "emergency")
#define MONTH_PLUS(C) " " C " = month_days." C " + excluded." C
#define MONTH_SET                                                                      \
    MONTH_PLUS("consultations") "," MONTH_PLUS("headcounts") "," MONTH_PLUS("female")   \
    "," MONTH_PLUS("over_60") "," MONTH_PLUS("poor_households") ","                     \
    MONTH_PLUS("value_fen") "," MONTH_PLUS("dispenses") "," MONTH_PLUS("referrals")     \
    "," MONTH_PLUS("dest_township") "," MONTH_PLUS("dest_county") ","                   \
    MONTH_PLUS("dest_city") "," MONTH_PLUS("brochures") "," MONTH_PLUS("attendees")     \
    "," MONTH_PLUS("talks") "," MONTH_PLUS("education_reports") ","                     \
    MONTH_PLUS("checkins") "," MONTH_PLUS("dep_internal") "," MONTH_PLUS("dep_surgery") \
    "," MONTH_PLUS("dep_obgyn") "," MONTH_PLUS("dep_pediatrics") ","                    \
    MONTH_PLUS("dep_ophthalmology") "," MONTH_PLUS("dep_tcm") ","                       \
    MONTH_PLUS("dep_dental") "," MONTH_PLUS("dep_general") "," MONTH_PLUS("dep_other")  \
    "," MONTH_PLUS("urg_routine") "," MONTH_PLUS("urg_urgent") ","                      \
    MONTH_PLUS("urg_emergency")
/* month_staff's rows of the check-ins selected by W (with r the report and t
 * its trip, as the trip is when it runs), each counted N times, in county C. */
#define MONTH_STAFF_SELECT(C, N, W)                                                   \
    "INSERT INTO month_staff (year, month, staff_id, county, n)"                      \
    " SELECT " YEAR_OF(CLAMPED(LOCAL_DAY)) ", " MONTH_OF(CLAMPED(LOCAL_DAY))          \
    ", r.staff_id, " C ", " N " FROM reports r JOIN trips t ON t.trip_id = r.trip_id" \
    " WHERE " W " AND r.kind = 'checkin' AND r.role <> 'support'"                     \
    " AND r.staff_id IS NOT NULL"

/* month_totals was the first layout (keyed by year, month and trip, the
 * month unclamped): its months could not follow a trip's dates. */
const char store_sqlite_months_schema[] =
    "DROP TABLE IF EXISTS month_totals;"
    "CREATE TABLE IF NOT EXISTS month_days ("
    " trip_id TEXT NOT NULL, day TEXT NOT NULL,"
    " consultations INTEGER NOT NULL DEFAULT 0, headcounts INTEGER NOT NULL DEFAULT 0,"
    " female INTEGER NOT NULL DEFAULT 0, over_60 INTEGER NOT NULL DEFAULT 0,"
    " poor_households INTEGER NOT NULL DEFAULT 0, value_fen INTEGER NOT NULL DEFAULT 0,"
    " dispenses INTEGER NOT NULL DEFAULT 0, referrals INTEGER NOT NULL DEFAULT 0,"
    " dest_township INTEGER NOT NULL DEFAULT 0, dest_county INTEGER NOT NULL DEFAULT 0,"
    " dest_city INTEGER NOT NULL DEFAULT 0, brochures INTEGER NOT NULL DEFAULT 0,"
    " attendees INTEGER NOT NULL DEFAULT 0, talks INTEGER NOT NULL DEFAULT 0,"
    " education_reports INTEGER NOT NULL DEFAULT 0, checkins INTEGER NOT NULL DEFAULT 0,"
    " dep_internal INTEGER NOT NULL DEFAULT 0, dep_surgery INTEGER NOT NULL DEFAULT 0,"
    " dep_obgyn INTEGER NOT NULL DEFAULT 0, dep_pediatrics INTEGER NOT NULL DEFAULT 0,"
    " dep_ophthalmology INTEGER NOT NULL DEFAULT 0, dep_tcm INTEGER NOT NULL DEFAULT 0,"
    " dep_dental INTEGER NOT NULL DEFAULT 0, dep_general INTEGER NOT NULL DEFAULT 0,"
    " dep_other INTEGER NOT NULL DEFAULT 0, urg_routine INTEGER NOT NULL DEFAULT 0,"
    " urg_urgent INTEGER NOT NULL DEFAULT 0, urg_emergency INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (trip_id, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS month_staff ("
    " year INTEGER NOT NULL, month INTEGER NOT NULL, staff_id TEXT NOT NULL,"
    " county TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (year, month, staff_id, county)) WITHOUT ROWID;"
    "INSERT INTO meta (key, value) VALUES ('month_offset', '+480 minutes') ON CONFLICT DO NOTHING;"
    "INSERT INTO meta (key, value) VALUES ('month_suffix', '+08:00') ON CONFLICT DO NOTHING;";

/* The month figures computed again from the reports, and marked as present
 * (STORE_MONTHS_FLAG; month_figures was the first layout's). */
const char store_sqlite_months_rebuild[] =
    "DELETE FROM month_days;"
    "INSERT INTO month_days (trip_id, day, " MONTH_COLS ")"
    " SELECT trip_id, " LOCAL_DAY ", " MONTH_EXPRS("SUM(", ")")
    " FROM reports WHERE voided_by IS NULL AND kind <> 'void' GROUP BY 1, 2;"
    "DELETE FROM month_staff;"
    MONTH_STAFF_SELECT("t.county", "COUNT(*)", "r.voided_by IS NULL") " GROUP BY 1, 2, 3, 4;"
    "DELETE FROM meta WHERE key = 'month_figures';"
    "INSERT INTO meta (key, value) VALUES ('" STORE_MONTHS_FLAG "', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

const char *store_sqlite_month_text(int which)
{
    switch (which) {
    /* the local day and figures of report ?1, read, then added by VALUES
     * (one row needs no statement journal); the figures are MONTH_EXPRS, as
     * in the rebuild */
    case Q_MONTH_OF:
        return "SELECT " LOCAL_DAY_AT("CAST(?2 AS TEXT)", "CAST(?3 AS TEXT)") ", trip_id, " MONTH_EXPRS("(", ")")
               " FROM reports WHERE msg_id = ?1 AND kind <> 'void'";
    case Q_MONTH_ADD:
        return "INSERT INTO month_days (trip_id, day, " MONTH_COLS ")"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
               " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)"
               " ON CONFLICT (trip_id, day) DO UPDATE SET" MONTH_SET;
    /* a counted check-in of person ?3 on a trip of county ?4 in or out (?5 =
     * 1 or -1) of month ?1-?2 */
    case Q_MONTH_STAFF_ADD:
        return "INSERT INTO month_staff (year, month, staff_id, county, n)"
               " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (year, month, staff_id, county)"
               " DO UPDATE SET n = month_staff.n + excluded.n RETURNING n";
    case Q_MONTH_STAFF_TRIM:
        return "DELETE FROM month_staff WHERE year = ?1 AND month = ?2"
               " AND staff_id = ?3 AND n <= 0";
    /* the counted check-ins of trip ?1 in or out (?2) of county ?3, at the
     * trip's dates as they are (through the partial index reports_staff) */
    case Q_MONTH_STAFF_TRIP:
        return MONTH_STAFF_SELECT("CAST(?3 AS TEXT)", "?2 * COUNT(*)", "r.trip_id = ?1 AND r.voided_by IS NULL")
               " GROUP BY 1, 2, 3 ON CONFLICT (year, month, staff_id, county)"
               " DO UPDATE SET n = month_staff.n + excluded.n";
    case Q_MONTH_STAFF_SWEEP:
        return "DELETE FROM month_staff WHERE county = ?1 AND n <= 0";
    default:
        return NULL;
    }
}

/* meta's month_offset into s->month_mod (the modifier Q_MONTH_OF binds,
 * read once: store_month_offset changes both). */
static oerr_t month_mod_read(struct store *s)
{
    struct sqlq *st = sql_prep(s, "SELECT " MONTH_MOD ", " MONTH_SUF, 0);
    if (!st)
        return OERR_DB;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        column_copy(st, 0, s->month_mod, sizeof s->month_mod);
        column_copy(st, 1, s->month_suf, sizeof s->month_suf);
    }
    sqlq_finalize(st);
    s->month_off = atoi(s->month_mod);
    return rc == SQLDB_ROW ? OERR_OK : OERR_DB;
}

/* The local day of timestamp ts (valid: tu_valid_timestamp) at offset_min,
 * as LOCAL_DAY computes it: an offset beyond 14 hours (which SQLite does not
 * read) leaves the date as written. */
static void local_day(const char *ts, int offset_min, char day[MONTH_DAY_MAX])
{
    struct odate d = {.year = atoi(ts), .month = atoi(ts + 5), .day = atoi(ts + 8)};
    int hh = atoi(ts + 11), mm = atoi(ts + 14), off = 0;
    const char *z = ts + 19;
    while (*z && *z != 'Z' && *z != '+' && *z != '-')
        z++;
    if (*z == '+' || *z == '-') {
        int oh = atoi(z + 1), om = atoi(z + 4);
        if (oh > 14) {
            snprintf(day, MONTH_DAY_MAX, "%.10s", ts);
            return;
        }
        off = (*z == '-' ? -1 : 1) * (oh * 60 + om);
    }
    long long minutes = (long long)tu_days_from_civil(d) * 1440 + hh * 60 + mm - off;
    struct odate l = tu_date_at((time_t)(minutes * 60), offset_min);
    snprintf(day, MONTH_DAY_MAX, "%04d-%02d-%02d", l.year, l.month, l.day);
}

void store_month_stash(struct store *s, const struct report *r, const char *voided_by)
{
    struct month_next *m = &s->month_next;
    m->msg_id[0] = '\0';
    if (r->kind == RK_VOID || (voided_by && voided_by[0]) ||
        (!s->month_mod[0] && month_mod_read(s)))
        return;
    _Static_assert(sizeof m->v / sizeof m->v[0] == MONTH_NCOLS, "MONTH_COLS");
    memset(m->v, 0, sizeof m->v);
    switch (r->kind) {
    case RK_HEADCOUNT:
        m->v[0] = r->consultations;
        m->v[1] = 1;
        m->v[2] = r->female > 0 ? r->female : 0;
        m->v[3] = r->over_60 > 0 ? r->over_60 : 0;
        m->v[4] = r->poor_households > 0 ? r->poor_households : 0;
        m->v[TOTALS_NCOLS + r->department] = r->consultations;
        break;
    case RK_DISPENSE:
        m->v[5] = r->value_fen;
        m->v[6] = 1;
        break;
    case RK_REFERRAL:
        m->v[7] = 1;
        m->v[8 + r->destination] = 1;
        m->v[TOTALS_NCOLS + STORE_DEPARTMENTS + r->urgency] = 1;
        break;
    case RK_EDUCATION:
        m->v[11] = r->brochures;
        m->v[12] = r->attendees;
        m->v[13] = r->talks;
        m->v[14] = 1;
        break;
    default: /* RK_CHECKIN */
        m->v[15] = 1;
        break;
    }
    local_day(r->recorded_at, s->month_off, m->day);
    snprintf(m->trip, sizeof m->trip, "%s", r->trip_id);
    snprintf(m->msg_id, sizeof m->msg_id, "%s", r->msg_id);
}

oerr_t store_month_count(struct store *s, const char *msg_id, int sign, struct month_key *k)
{
    k->day[0] = '\0';
    struct month_next *m = &s->month_next;
    if (sign > 0 && m->msg_id[0] && strcmp(m->msg_id, msg_id) == 0) {
        m->msg_id[0] = '\0';
        struct sqlq *add = stmt(s, Q_MONTH_ADD);
        memcpy(k->day, m->day, sizeof k->day);
        sqlq_bind_text(add, 1, m->trip);
        sqlq_bind_text(add, 2, m->day);
        for (int i = 0; i < MONTH_NCOLS; i++)
            sqlq_bind_int(add, 3 + i, m->v[i]);
        return run(add);
    }
    if (!s->month_mod[0] && month_mod_read(s))
        return OERR_DB;
    struct sqlq *of = stmt(s, Q_MONTH_OF);
    bind_text(of, 1, msg_id);
    sqlq_bind_text(of, 2, s->month_mod);
    sqlq_bind_text(of, 3, s->month_suf);
    int rc = sqlq_step(of);
    if (rc != SQLDB_ROW) {
        sqlq_reset(of);
        return rc == SQLDB_DONE ? OERR_OK : OERR_DB;
    }
    struct sqlq *add = stmt(s, Q_MONTH_ADD);
    column_copy(of, 0, k->day, sizeof k->day);
    bind_text(add, 1, sqlq_text(of, 1));
    bind_text(add, 2, k->day);
    for (int i = 0; i < MONTH_NCOLS; i++)
        sqlq_bind_int(add, 3 + i, sign * sqlq_int(of, 2 + i));
    sqlq_reset(of);
    return run(add);
}

oerr_t store_month_staff_count(struct store *s, const struct month_key *k, const char *trip,
                               const char *staff, int sign)
{
    struct trip_row t;
    if (!k->day[0] || store_trip_get(s, trip, &t))
        return k->day[0] ? OERR_DB : OERR_OK;
    /* the day clamped to the trip's days, as CLAMPED */
    const char *d = strcmp(k->day, t.date) < 0        ? t.date
                  : strcmp(k->day, t.last_day) > 0 ? t.last_day
                                                    : k->day;
    int year = atoi(d), month = atoi(d + 5);
    struct sqlq *st = stmt(s, Q_MONTH_STAFF_ADD);
    sqlq_bind_int(st, 1, year);
    sqlq_bind_int(st, 2, month);
    bind_text(st, 3, staff);
    bind_text(st, 4, t.county);
    sqlq_bind_int(st, 5, sign);
    long long n = 1;
    if (run_returning(st, &n))
        return OERR_DB;
    if (n > 0)
        return OERR_OK;
    st = stmt(s, Q_MONTH_STAFF_TRIM);
    sqlq_bind_int(st, 1, year);
    sqlq_bind_int(st, 2, month);
    bind_text(st, 3, staff);
    return run(st);
}

/* trip_id's counted check-ins in (sign 1) or out (-1) of county's month
 * staff, at the trip's dates as they are now. */
static oerr_t month_staff_trip(struct store *s, const char *trip_id, const char *county,
                               int sign)
{
    struct sqlq *st = stmt(s, Q_MONTH_STAFF_TRIP);
    bind_text(st, 1, trip_id);
    sqlq_bind_int(st, 2, sign);
    bind_text(st, 3, county);
    return run(st);
}

oerr_t store_month_trip_out(struct store *s, const char *trip_id, const char *county)
{
    return month_staff_trip(s, trip_id, county, -1);
}

oerr_t store_month_trip_in(struct store *s, const char *trip_id, const char *county,
                           const char *was)
{
    if (month_staff_trip(s, trip_id, county, 1))
        return OERR_DB;
    struct sqlq *st = stmt(s, Q_MONTH_STAFF_SWEEP);
    bind_text(st, 1, was);
    return run(st);
}

int store_months_stale(struct store *s)
{
#define MONTHS_REPORTS "COALESCE(SUM(headcounts + dispenses + referrals + education_reports" \
                       " + checkins), 0)"
    struct sqlq *st = sql_prep(s, "SELECT (SELECT " MONTHS_REPORTS " FROM trip_totals) <>"
                                   " (SELECT " MONTHS_REPORTS " FROM month_days)", 0);
#undef MONTHS_REPORTS
    if (!st)
        return -1;
    int v = sqlq_step(st) == SQLDB_ROW ? (int)sqlq_int(st, 0) : -1;
    sqlq_finalize(st);
    return v;
}

oerr_t store_months(struct store *s, int year, const char *county, struct month_figures out[12])
{
    memset(out, 0, 12 * sizeof out[0]);
    /* a row per trip and day of the year's trips, a row per person, county
     * and month */
    static const char *const sql[2] = {
        "SELECT " MONTH_OF("d") ", SUM(consultations), SUM(dep_internal), SUM(dep_surgery),"
        " SUM(dep_obgyn), SUM(dep_pediatrics), SUM(dep_ophthalmology), SUM(dep_tcm),"
        " SUM(dep_dental), SUM(dep_general), SUM(dep_other), SUM(female), SUM(over_60),"
        " SUM(poor_households), SUM(value_fen), SUM(dispenses), SUM(referrals),"
        " SUM(dest_township), SUM(dest_county), SUM(dest_city), SUM(urg_routine),"
        " SUM(urg_urgent), SUM(urg_emergency), SUM(brochures), SUM(attendees), SUM(talks),"
        " SUM(education_reports) FROM (SELECT " CLAMPED("m.day") " AS d, m.*"
        " FROM trips t JOIN month_days m ON m.trip_id = t.trip_id WHERE " TRIP_IN_YEAR
        " AND (CAST(?2 AS TEXT) IS NULL OR t.county = ?2)) AS days WHERE " YEAR_OF("d") " = ?1"
        " GROUP BY 1",
        "SELECT month, COUNT(DISTINCT staff_id) FROM month_staff WHERE year = ?1"
        " AND (CAST(?2 AS TEXT) IS NULL OR county = ?2) GROUP BY month",
    };
    for (int q = 0; q < 2; q++) {
        struct sqlq *st = sql_prep(s, sql[q], 0);
        if (!st)
            return OERR_DB;
        sqlq_bind_int(st, 1, year);
        bind_text(st, 2, county);
        int rc;
        while ((rc = sqlq_step(st)) == SQLDB_ROW) {
            int m = (int)sqlq_int(st, 0);
            if (m < 1 || m > 12)
                continue;
            struct month_figures *f = &out[m - 1];
            if (q == 1) {
                f->staff = sqlq_int(st, 1);
                continue;
            }
            long long *v[] = {
                &f->consultations,     &f->by_department[0], &f->by_department[1],
                &f->by_department[2],  &f->by_department[3], &f->by_department[4],
                &f->by_department[5],  &f->by_department[6], &f->by_department[7],
                &f->by_department[8],  &f->female,           &f->over_60,
                &f->poor_households,   &f->value_fen,        &f->dispenses,
                &f->referrals,         &f->by_destination[0], &f->by_destination[1],
                &f->by_destination[2], &f->by_urgency[0],    &f->by_urgency[1],
                &f->by_urgency[2],     &f->brochures,        &f->attendees,
                &f->talks,             &f->education,
            };
            for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
                *v[i] = sqlq_int(st, (int)i + 1);
        }
        sqlq_finalize(st);
        if (rc != SQLDB_DONE)
            return OERR_DB;
    }
    return OERR_OK;
}

oerr_t store_month_counties_each(struct store *s, int year,
                                 int (*fn)(void *, const char *, const char *), void *ctx)
{
    struct sqlq *st = sql_prep(s, "SELECT t.county, MIN(t.county_name) FROM trips t WHERE "
                                TRIP_IN_YEAR " AND EXISTS (SELECT 1 FROM month_days m WHERE"
                                " m.trip_id = t.trip_id AND " YEAR_OF(CLAMPED("m.day")) " = ?1)"
                                " GROUP BY t.county ORDER BY t.county", 0);
    if (!st)
        return OERR_DB;
    sqlq_bind_int(st, 1, year);
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW)
        if (fn(ctx, sqlq_text(st, 0),
               sqlq_text(st, 1)))
            break;
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_month_offset(struct store *s, int offset_min)
{
    char want[32], suffix[16];
    snprintf(want, sizeof want, "%+d minutes", offset_min);
    int a = offset_min < 0 ? -offset_min : offset_min;
    snprintf(suffix, sizeof suffix, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60 % 100,
             a % 60);
    if (begin_write(s))
        return OERR_DB;
    struct sqlq *st = sql_prep(s, "UPDATE meta SET value = CASE key WHEN 'month_offset' THEN ?1"
                                   " ELSE ?2 END WHERE (key = 'month_offset' AND value <> ?1)"
                                   " OR (key = 'month_suffix' AND value <> ?2)", 2, want, suffix);
    oerr_t rc = sql_run_once(st);
    bool moved = rc == OERR_OK && sqldb_changes(s->db) > 0;
    s->month_mod[0] = '\0'; /* read again at the next report */
    s->month_next.msg_id[0] = '\0';
    if (moved) {
        olog(OLOG_INFO, "store: reports now go in months at tz_offset_min %d: computing the "
             "month figures again", offset_min);
        rc = exec(s, store_sqlite_months_rebuild);
    }
    return figures_end(s, rc);
}
