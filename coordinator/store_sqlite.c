/* store_sqlite.c -- the SQLite backend of store.h: with its siblings store_sqlite_*.c,
 * the only place that speaks SQL; every statement is prepared and bound. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "arr.h"
#include "fileperm.h"
#include "jsonget.h"
#include "olog.h"
#include "store_sqlite_priv.h"
#include "timeutil.h"

#define SCHEMA_VERSION 1

/* Running totals: TOTALS_COLS, TOTALS_EXPRS (store_sqlite_priv.h). */

/* The selected trips, as a sub-query bound by ?1 year, ?2 county, ?3 trip. */
#define TRIPS_SEL                                                               \
    "SELECT trip_id FROM trips WHERE (CAST(?3 AS TEXT) IS NOT NULL AND trip_id = ?3) OR"      \
    " (CAST(?3 AS TEXT) IS NULL AND year = ?1 AND (CAST(?2 AS TEXT) IS NULL OR county = ?2))"

/* The staff figure counts people, which cannot be summed per trip. Three
 * tables keep it, in the transaction of the report that changes it:
 * - trip_staff: per trip, each staff_id of its counted check-ins with how
 *   many there are (n > 0; a row whose n falls to 0 is deleted);
 * - year_staff: per year, each staff_id on trip_staff rows of that year's
 *   trips, with how many such trips and the week (0..52, from the trips'
 *   dates) of the earliest: staff for a year is the number of its rows, the
 *   weekly series their count per week;
 * - county_staff: the same per year and county, without the week.
 * So reading a figure costs a row per person, whatever the number of reports.
 * STAFF_COUNTED is what makes a report count, YEAR_STAFF_SELECT and
 * COUNTY_STAFF_SELECT (with a WHERE clause) what year_staff and county_staff
 * hold for the people and years selected: the incremental update, the
 * refresh after a void or a trip's move, and the rebuild share them. */
#define STAFF_COUNTED "kind = 'checkin' AND role <> 'support' AND staff_id IS NOT NULL"
/* Attendance counts every person checked in, support included: trip_people
 * holds each staff_id of a trip's check-ins with how many there are (as
 * trip_staff, whatever the role), and trip_totals.people how many rows it
 * has for the trip, so that a trip's attendance reads its registrations and
 * one row, whatever the number of reports. */
#define PEOPLE_COUNTED "kind = 'checkin' AND staff_id IS NOT NULL"
/* Whole weeks from 1 January of YEAR to DATE (the days are whole: an integer
 * division, the same on both engines). */
#define WEEK_OF(DATE, YEAR)                                                           \
    "(CAST(julianday(" DATE ") - julianday(" YEAR " || '-01-01') AS INTEGER) / 7)"
#define WEEK_OF_TRIP WEEK_OF("t.date", "t.year")
#define YEAR_STAFF_SELECT(W)                                                          \
    "INSERT INTO year_staff (year, staff_id, trips, week)"                            \
    " SELECT t.year, ts.staff_id, COUNT(*), MIN(" WEEK_OF_TRIP ") FROM trip_staff ts" \
    " JOIN trips t ON t.trip_id = ts.trip_id" W " GROUP BY t.year, ts.staff_id"
#define COUNTY_STAFF_SELECT(W)                                                        \
    "INSERT INTO county_staff (year, county, staff_id, trips)"                        \
    " SELECT t.year, t.county, ts.staff_id, COUNT(*) FROM trip_staff ts"              \
    " JOIN trips t ON t.trip_id = ts.trip_id" W " GROUP BY t.year, t.county, ts.staff_id"
/* The people and years a refresh recomputes: those of trip ?1's rows and
 * staff_id ?4, in the years ?2 and ?3. */
#define STAFF_REFRESHED                                                               \
    "(SELECT staff_id FROM trip_staff WHERE trip_id = ?1 UNION ALL SELECT CAST(?4 AS TEXT))"

/* An agent's row, as store_agents_each and store_agent_get read it. */
#define AGENT_COLS                                                                          \
    "SELECT agent_id, online, last_seen, last_seq, seqs_untracked, pending,"               \
    " reported_last_seq, since, trip_id, status_at, report_trip FROM agents"
/* ---- months (issue 13) ------------------------------------------------------
 * store_sqlite_months.c: the tables, statements and code of the months. */

static const char *const sql_text[Q_COUNT] = {
    /* The report kept under a msg_id and its final refusal, in one look-up. */
    [Q_MSG_FIND] = "SELECT r.agent_id, r.kind, r.trip_id, r.voided_by, f.agent_id, f.code,"
                   " f.reason FROM (SELECT CAST(?1 AS TEXT) AS msg_id) AS k"
                   " LEFT JOIN reports AS r ON r.msg_id = k.msg_id"
                   " LEFT JOIN final_rejects AS f ON f.msg_id = k.msg_id",
    [Q_REPORT_INSERT] =
        "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at,"
        " department, consultations, female, over_60, poor_households,"
        " medicine, quantity, unit, value_fen,"
        " destination, condition, urgency, patient_ref, age, sex,"
        " brochures, attendees, talks, topic, staff_id, role, organization,"
        " voids, void_reason, entered_by, voided_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
        " ?33)",
    [Q_REPORT_VOID] = "UPDATE reports SET voided_by = ?2 WHERE msg_id = ?1",
    [Q_TRIP_GET] = "SELECT trip_id, status, date, county, year, county_name,"
                   " COALESCE(NULLIF(end_date, ''), date) FROM trips"
                   " WHERE trip_id = ?1",
    [Q_REJECT_INSERT] =
        "INSERT INTO rejects (received_at, topic, agent_id, msg_id, code, reason, payload)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_REJECT_TRIM] = "DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?1",
    [Q_REPLY_GET] = "SELECT reply FROM replies WHERE scope = ?1 AND requester = ?2"
                    " AND request_id = ?3",
    /* n numbers one requester's replies 1, 2, 3...: the latest are kept. */
    [Q_REPLY_PUT] = "INSERT INTO replies (scope, requester, request_id, reply, created_at, n)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(n), 0) + 1"
                    " FROM replies WHERE scope = ?1 AND requester = ?2))"
                    " ON CONFLICT (scope, requester, request_id) DO UPDATE SET"
                    " reply = excluded.reply, created_at = excluded.created_at, n = excluded.n",
    [Q_FINAL_PUT] = "INSERT INTO final_rejects (msg_id, agent_id, code, reason)"
                    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    [Q_FINAL_TRIM] = "DELETE FROM final_rejects WHERE id <= (SELECT MAX(id) FROM final_rejects)"
                     " - ?1",
    [Q_AGENT_SEEN] = "INSERT INTO agents (agent_id, last_seen, last_seq) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (agent_id) DO UPDATE SET last_seen = ?2, last_seq ="
                     " CASE WHEN agents.last_seq > ?3 THEN agents.last_seq ELSE ?3 END",
    /* agents.report_trip and report_trip_seq: store_alerts_ensure adds them. */
    [Q_AGENT_REPORT_TRIP] =
        "INSERT INTO agents (agent_id, report_trip, report_trip_seq) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (agent_id) DO UPDATE SET report_trip = ?2, report_trip_seq = ?3"
        " WHERE agents.report_trip_seq IS NULL OR agents.report_trip_seq <= ?3",
    [Q_AGENT_RANGES] = "SELECT seq_ranges FROM agents WHERE agent_id = ?1",
    [Q_AGENT_COUNTS] = "UPDATE agents SET seq_ranges = seq_ranges + ?2,"
                       " seqs_untracked = seqs_untracked + ?3 WHERE agent_id = ?1",
    [Q_SEQ_BELOW] = "SELECT lo, hi FROM agent_seqs WHERE agent_id = ?1 AND lo <= ?2"
                    " ORDER BY lo DESC LIMIT 1",
    [Q_SEQ_AT] = "SELECT hi FROM agent_seqs WHERE agent_id = ?1 AND lo = ?2",
    /* opened_at: when the gap below the new range opened, that of the range
     * above it when it splits an older gap (store_agent_gaps_since). */
    [Q_SEQ_INSERT] = "INSERT INTO agent_seqs (agent_id, lo, hi, opened_at) VALUES (?1, ?2, ?3,"
                     " COALESCE((SELECT opened_at FROM agent_seqs WHERE agent_id = ?1"
                     " AND lo > ?3 ORDER BY lo LIMIT 1), ?4))",
    [Q_SEQ_SET_HI] = "UPDATE agent_seqs SET hi = ?3 WHERE agent_id = ?1 AND lo = ?2",
    [Q_SEQ_SET_LO] = "UPDATE agent_seqs SET lo = ?3 WHERE agent_id = ?1 AND lo = ?2",
    [Q_SEQ_DELETE] = "DELETE FROM agent_seqs WHERE agent_id = ?1 AND lo = ?2",
    [Q_STATUS_GET] = "SELECT online, since, pending, reported_last_seq, trip_id FROM agents"
                     " WHERE agent_id = ?1 AND online IS NOT NULL",
    [Q_STATUS_PUT] =
        "INSERT INTO agents (agent_id, last_seen, online, since, pending, reported_last_seq,"
        " trip_id, status_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (agent_id) DO UPDATE SET last_seen = COALESCE(?2, agents.last_seen),"
        " online = ?3, since = ?4, pending = ?5, reported_last_seq = ?6, trip_id = ?7,"
        " status_at = ?8",
    /* Adds (?2 = 1) or takes out (?2 = -1) the figures of report ?1, and
     * counts a check-in in staff_checkins too (see STAFF_CHECKINS_DECL). */
    [Q_TOTALS_ADD] =
        "INSERT INTO trip_totals (trip_id, " TOTALS_COLS ", staff_checkins)"
        " SELECT trip_id, " TOTALS_EXPRS("?2 * (", ")") ", ?2 * (" FLAG("kind = 'checkin'") ")"
        " FROM reports"
        " WHERE msg_id = ?1 AND kind <> 'void'"
        " ON CONFLICT (trip_id) DO UPDATE SET"
        " consultations = trip_totals.consultations + excluded.consultations,"
        " headcounts = trip_totals.headcounts + excluded.headcounts,"
        " female = trip_totals.female + excluded.female,"
        " over_60 = trip_totals.over_60 + excluded.over_60,"
        " poor_households = trip_totals.poor_households + excluded.poor_households,"
        " value_fen = trip_totals.value_fen + excluded.value_fen,"
        " dispenses = trip_totals.dispenses + excluded.dispenses,"
        " referrals = trip_totals.referrals + excluded.referrals,"
        " dest_township = trip_totals.dest_township + excluded.dest_township,"
        " dest_county = trip_totals.dest_county + excluded.dest_county,"
        " dest_city = trip_totals.dest_city + excluded.dest_city,"
        " brochures = trip_totals.brochures + excluded.brochures,"
        " attendees = trip_totals.attendees + excluded.attendees,"
        " talks = trip_totals.talks + excluded.talks,"
        " education_reports = trip_totals.education_reports + excluded.education_reports,"
        " checkins = trip_totals.checkins + excluded.checkins,"
        " staff_checkins = trip_totals.staff_checkins + excluded.staff_checkins",
    [Q_TOTALS_SUM] =
        "SELECT"
        " COALESCE(SUM(consultations), 0),"
        " COALESCE(SUM(headcounts), 0),"
        " COALESCE(SUM(female), 0),"
        " COALESCE(SUM(over_60), 0),"
        " COALESCE(SUM(poor_households), 0),"
        " COALESCE(SUM(value_fen), 0),"
        " COALESCE(SUM(dispenses), 0),"
        " COALESCE(SUM(referrals), 0),"
        " COALESCE(SUM(dest_township), 0),"
        " COALESCE(SUM(dest_county), 0),"
        " COALESCE(SUM(dest_city), 0),"
        " COALESCE(SUM(brochures), 0),"
        " COALESCE(SUM(attendees), 0),"
        " COALESCE(SUM(talks), 0),"
        " COALESCE(SUM(education_reports), 0),"
        " COALESCE(SUM(checkins), 0)"
        " FROM trip_totals WHERE trip_id IN (" TRIPS_SEL ")",
    /* Distinct people: a row each in trip_staff, county_staff or year_staff
     * (CASE runs only the sub-query of its branch). */
    [Q_TOTALS_STAFF] =
        "SELECT CASE WHEN CAST(?3 AS TEXT) IS NOT NULL THEN"
        " (SELECT COUNT(*) FROM trip_staff WHERE trip_id = ?3)"
        " WHEN CAST(?2 AS TEXT) IS NOT NULL THEN"
        " (SELECT COUNT(*) FROM county_staff WHERE year = ?1 AND county = ?2)"
        " ELSE (SELECT COUNT(*) FROM year_staff WHERE year = ?1) END",
    [Q_TOTALS_TRIPS] =
        "SELECT COUNT(CASE WHEN status = 'planned' THEN 1 END),"
        " COUNT(CASE WHEN status = 'completed' THEN 1 END),"
        " COUNT(CASE WHEN status = 'cancelled' THEN 1 END)"
        " FROM trips WHERE trip_id IN (" TRIPS_SEL ")",
    [Q_PENDING_GET] = "SELECT void_msg_id FROM pending_voids WHERE agent_id = ?1 AND target = ?2",
    [Q_PENDING_PUT] = "INSERT INTO pending_voids (agent_id, target, void_msg_id)"
                      " VALUES (?1, ?2, ?3)",
    [Q_PENDING_DEL] = "DELETE FROM pending_voids WHERE agent_id = ?1 AND target = ?2",
    /* The trip and person of report ?1 when it is a check-in, and whether
     * the staff figure counts it (a read only: an INSERT ... SELECT would
     * cost a statement journal for every report). */
    [Q_STAFF_OF] = "SELECT trip_id, staff_id, " STAFF_COUNTED " FROM reports"
                   " WHERE msg_id = ?1 AND " PEOPLE_COUNTED,
    /* Adds (?3 = 1) or takes out (?3 = -1) a check-in of person ?2 on trip
     * ?1 for the attendance, and says how many remain. */
    [Q_PEOPLE_ADD] = "INSERT INTO trip_people (trip_id, staff_id, n) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (trip_id, staff_id) DO UPDATE SET n = trip_people.n + excluded.n"
                     " RETURNING n",
    [Q_PEOPLE_FORGET] = "DELETE FROM trip_people WHERE trip_id = ?1 AND staff_id = ?2",
    [Q_PEOPLE_N] = "UPDATE trip_totals SET people = people + ?2 WHERE trip_id = ?1",
    /* Adds (?3 = 1) or takes out (?3 = -1) a check-in of person ?2 on trip
     * ?1, and says how many remain. */
    [Q_STAFF_ADD] = "INSERT INTO trip_staff (trip_id, staff_id, n) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT (trip_id, staff_id) DO UPDATE SET n = trip_staff.n + excluded.n"
                    " RETURNING n",
    [Q_STAFF_FORGET] = "DELETE FROM trip_staff WHERE trip_id = ?1 AND staff_id = ?2",
    /* Person ?2 has a first counted check-in on a trip of year ?1, date ?3,
     * county ?4 (VALUES, not a SELECT of the trip: one row needs no
     * statement journal). */
    [Q_YEAR_STAFF_JOIN] = "INSERT INTO year_staff (year, staff_id, trips, week)"
                          " VALUES (?1, ?2, 1, " WEEK_OF("?3", "?1") ")"
                          " ON CONFLICT (year, staff_id) DO UPDATE"
                          " SET trips = year_staff.trips + 1, week = CASE"
                          " WHEN year_staff.week < excluded.week THEN year_staff.week"
                          " ELSE excluded.week END",
    [Q_COUNTY_STAFF_JOIN] = "INSERT INTO county_staff (year, county, staff_id, trips)"
                            " VALUES (?1, ?4, ?2, 1) ON CONFLICT (year, staff_id, county)"
                            " DO UPDATE SET trips = county_staff.trips + 1",
    /* The refresh: the rows of STAFF_REFRESHED computed again. */
    [Q_YEAR_STAFF_CLEAR] = "DELETE FROM year_staff WHERE year IN (?2, ?3)"
                           " AND staff_id IN " STAFF_REFRESHED,
    [Q_YEAR_STAFF_FILL] = YEAR_STAFF_SELECT(" WHERE t.year IN (?2, ?3) AND ts.staff_id IN "
                                            STAFF_REFRESHED),
    [Q_COUNTY_STAFF_CLEAR] = "DELETE FROM county_staff WHERE year IN (?2, ?3)"
                             " AND staff_id IN " STAFF_REFRESHED,
    [Q_COUNTY_STAFF_FILL] = COUNTY_STAFF_SELECT(" WHERE t.year IN (?2, ?3) AND ts.staff_id IN "
                                                STAFF_REFRESHED),
    /* devices/: one agent's row, for each agent a batch saw. */
    [Q_AGENT_GET] = AGENT_COLS " WHERE agent_id = ?1",
};

/* The reports, in the order they arrived (a rowid table: each new row goes
 * on the last page), with a narrow UNIQUE index on msg_id, the one B-tree a
 * random msg_id lands anywhere in: about 50 bytes a report, so that its
 * inner pages and many of its leaves stay in the page cache at 10 million
 * reports, where a table keyed by msg_id (the first layout: WITHOUT ROWID,
 * the whole row in the random B-tree, 4.9 GB at 10M) meant a random leaf of
 * the whole table read and written for every report. The index makes each
 * msg_id count at most once, ever, whatever the trip or year a resend
 * names. A report keeps its decoded fields, each in its column; the JSON it
 * came in is not kept (docs/coordinator.md, "The store"). */
#define REPORTS_COLUMNS                                                                \
    " msg_id TEXT NOT NULL UNIQUE, agent_id TEXT NOT NULL, seq INTEGER NOT NULL,"    \
    " kind TEXT NOT NULL, trip_id TEXT NOT NULL REFERENCES trips (trip_id),"          \
    " recorded_at TEXT NOT NULL, received_at TEXT NOT NULL, voided_by TEXT,"          \
    " department TEXT, consultations INTEGER, female INTEGER, over_60 INTEGER,"       \
    " poor_households INTEGER, medicine TEXT, quantity INTEGER, unit TEXT,"           \
    " value_fen INTEGER, destination TEXT, condition TEXT, urgency TEXT,"             \
    " patient_ref TEXT, age INTEGER, sex TEXT, brochures INTEGER, attendees INTEGER," \
    " talks INTEGER, topic TEXT, staff_id TEXT, role TEXT, organization TEXT,"        \
    " voids TEXT, void_reason TEXT, entered_by TEXT"
#define REPORTS_STAFF_INDEX                                                           \
    "CREATE INDEX IF NOT EXISTS reports_staff ON reports (trip_id, staff_id, role)"   \
    " WHERE kind = 'checkin' AND voided_by IS NULL"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS trips ("
    " trip_id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT NOT NULL, end_date TEXT,"
    " year INTEGER NOT NULL, site_code TEXT NOT NULL, site_name TEXT NOT NULL,"
    " county TEXT NOT NULL, county_name TEXT NOT NULL, township TEXT,"
    " poor_village INTEGER NOT NULL DEFAULT 0, mode TEXT NOT NULL,"
    " activities TEXT NOT NULL, departments TEXT NOT NULL, capacity TEXT NOT NULL,"
    " status TEXT NOT NULL DEFAULT 'planned'"
    "  CHECK (status IN ('planned', 'completed', 'cancelled')),"
    " created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS trips_year ON trips (year, county);"
    "CREATE TABLE IF NOT EXISTS reports (" REPORTS_COLUMNS ");"
    /* Indexes of the first stores that no query uses any more: each cost a
     * B-tree insert per report (the covering one is replaced by trip_totals). */
    "DROP INDEX IF EXISTS reports_totals;"
    "DROP INDEX IF EXISTS reports_trip;"
    "DROP INDEX IF EXISTS reports_agent;"
    REPORTS_STAFF_INDEX ";"
    "CREATE TABLE IF NOT EXISTS trip_totals ("
    " trip_id TEXT PRIMARY KEY, consultations INTEGER NOT NULL DEFAULT 0,"
    " headcounts INTEGER NOT NULL DEFAULT 0, female INTEGER NOT NULL DEFAULT 0,"
    " over_60 INTEGER NOT NULL DEFAULT 0, poor_households INTEGER NOT NULL DEFAULT 0,"
    " value_fen INTEGER NOT NULL DEFAULT 0, dispenses INTEGER NOT NULL DEFAULT 0,"
    " referrals INTEGER NOT NULL DEFAULT 0, dest_township INTEGER NOT NULL DEFAULT 0,"
    " dest_county INTEGER NOT NULL DEFAULT 0, dest_city INTEGER NOT NULL DEFAULT 0,"
    " brochures INTEGER NOT NULL DEFAULT 0, attendees INTEGER NOT NULL DEFAULT 0,"
    " talks INTEGER NOT NULL DEFAULT 0, education_reports INTEGER NOT NULL DEFAULT 0,"
    " checkins INTEGER NOT NULL DEFAULT 0, staff_checkins INTEGER NOT NULL DEFAULT 0,"
    " people INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trip_people ("
    " trip_id TEXT NOT NULL, staff_id TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (trip_id, staff_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS trip_staff ("
    " trip_id TEXT NOT NULL, staff_id TEXT NOT NULL, n INTEGER NOT NULL,"
    " PRIMARY KEY (trip_id, staff_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS trip_staff_person ON trip_staff (staff_id, trip_id);"
    "CREATE TABLE IF NOT EXISTS year_staff ("
    " year INTEGER NOT NULL, staff_id TEXT NOT NULL, trips INTEGER NOT NULL,"
    " week INTEGER NOT NULL, PRIMARY KEY (year, staff_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS year_staff_week ON year_staff (year, week);"
    "CREATE TABLE IF NOT EXISTS county_staff ("
    " year INTEGER NOT NULL, county TEXT NOT NULL, staff_id TEXT NOT NULL,"
    " trips INTEGER NOT NULL, PRIMARY KEY (year, staff_id, county)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS county_staff_county ON county_staff (year, county);"
    "CREATE TABLE IF NOT EXISTS rejects ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
    " topic TEXT NOT NULL, agent_id TEXT, msg_id TEXT, code TEXT NOT NULL,"
    " reason TEXT NOT NULL, payload BLOB);"
    /* A rejection is final for its msg_id: those that depend on the store's
     * state (trip, void target) are remembered, so that a resend after the
     * state changed still gets the same answer. */
    "CREATE TABLE IF NOT EXISTS final_rejects ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL UNIQUE,"
    " agent_id TEXT NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL);"
    /* Voids whose target had not arrived (a resend after a crash may bring
     * the void first): the target, when it comes from the same agent, is
     * stored already voided by void_msg_id, and the row goes. */
    "CREATE TABLE IF NOT EXISTS pending_voids ("
    " agent_id TEXT NOT NULL, target TEXT NOT NULL, void_msg_id TEXT NOT NULL,"
    " PRIMARY KEY (agent_id, target)) WITHOUT ROWID;"
    /* One row per agent heard of, from its reports or its status topic. */
    "CREATE TABLE IF NOT EXISTS agents ("
    " agent_id TEXT PRIMARY KEY, last_seen TEXT,"
    " last_seq INTEGER NOT NULL DEFAULT 0, seq_ranges INTEGER NOT NULL DEFAULT 0,"
    " seqs_untracked INTEGER NOT NULL DEFAULT 0,"
    " online INTEGER, since TEXT, pending INTEGER, reported_last_seq INTEGER,"
    " trip_id TEXT, status_at TEXT) WITHOUT ROWID;"
    /* The seqs each agent used, as disjoint ranges lo..hi that never touch
     * (adjacent ones are merged). */
    "CREATE TABLE IF NOT EXISTS agent_seqs ("
    " agent_id TEXT NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,"
    " PRIMARY KEY (agent_id, lo)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS replies ("
    " scope TEXT NOT NULL, requester TEXT NOT NULL, request_id TEXT NOT NULL,"
    " reply TEXT NOT NULL, created_at TEXT NOT NULL,"
    " PRIMARY KEY (scope, requester, request_id)) WITHOUT ROWID;"
    "INSERT INTO meta (key, value) VALUES ('schema_version', '1') ON CONFLICT DO NOTHING;"
    "INSERT INTO meta (key, value) VALUES ('rejects_dropped', '0') ON CONFLICT DO NOTHING;";

/* Prepares sql and binds the texts that follow (NULL binds NULL), up to n. */
struct sqlq *sql_prep(struct store *s, const char *sql, int n, ...)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, sql, false))) {
        olog(OLOG_ERROR, "store: cannot prepare: %s", sqldb_errmsg(s->db));
        return NULL;
    }
    va_list ap;
    va_start(ap, n);
    for (int i = 1; i <= n; i++)
        bind_text(st, i, va_arg(ap, const char *));
    va_end(ap);
    return st;
}

/* Runs a statement that returns no rows (NULL: it could not be prepared)
 * and finalizes it. */
oerr_t sql_run_once(struct sqlq *st)
{
    if (!st)
        return OERR_DB;
    oerr_t e = run(st);
    sqlq_finalize(st);
    return e;
}

int sql_row_texts(struct sqlq *st, int n, ...)
{
    if (!st)
        return SQLITE_ERROR;
    int r = sqlq_step(st);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; r == SQLDB_ROW && i < n; i++) {
        char *buf = va_arg(ap, char *);
        column_copy(st, i, buf, va_arg(ap, size_t));
    }
    va_end(ap);
    sqlq_finalize(st);
    return r;
}

const char *store_errmsg(const struct store *s)
{
    if (!s || !s->db)
        return "no database";
    if (s->failed[0] && sqldb_fail(s->db) == SQLDB_FAIL_NONE)
        return s->failed; /* a rebuild's failure, which its ROLLBACK cleared */
    return sqldb_errmsg(s->db);
}

/* The running totals summed again from the reports, and marked as present. */
static const char totals_rebuild_sql[] =
    "DELETE FROM trip_totals;"
    "INSERT INTO trip_totals (trip_id, " TOTALS_COLS ")"
    " SELECT trip_id, " TOTALS_EXPRS("SUM(", ")") " FROM reports"
    " WHERE voided_by IS NULL AND kind <> 'void' GROUP BY trip_id;"
    "INSERT INTO meta (key, value) VALUES ('trip_totals', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

/* trip_totals.staff_checkins: the check-ins of the trip as counted by a
 * coordinator that keeps the staff figures (trip_staff...) with them, in the
 * same statement as checkins. One that predates the staff figures adds to
 * checkins alone; so a trip whose two counts differ had check-ins come or go
 * without its staff figures (figures_stale), and they are rebuilt. Stores
 * made before the column (and before trip_totals.people) get it from
 * totals_ensure. */
#define STAFF_CHECKINS_DECL "INTEGER NOT NULL DEFAULT 0"
#define PEOPLE_DECL "INTEGER NOT NULL DEFAULT 0"

/* The people of each trip counted again from the check-ins (read through
 * the partial index reports_staff, which covers it), then those of each year
 * and county, and marked as present (staff_checkins as checkins: the two
 * agree from here on). */
static const char staff_rebuild_sql[] =
    "DELETE FROM trip_staff;"
    "INSERT INTO trip_staff (trip_id, staff_id, n)"
    " SELECT trip_id, staff_id, COUNT(*) FROM reports"
    " WHERE kind = 'checkin' AND voided_by IS NULL AND " STAFF_COUNTED
    " GROUP BY trip_id, staff_id;"
    "DELETE FROM year_staff;" YEAR_STAFF_SELECT("") ";"
    "DELETE FROM county_staff;" COUNTY_STAFF_SELECT("") ";"
    "UPDATE trip_totals SET staff_checkins = checkins WHERE staff_checkins <> checkins;"
    "INSERT INTO meta (key, value) VALUES ('staff_figures', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

/* The people checked in on each trip counted again (through reports_staff,
 * which covers it), then how many each trip has; after the totals, whose
 * rebuild empties trip_totals. */
static const char people_rebuild_sql[] =
    "DELETE FROM trip_people;"
    "INSERT INTO trip_people (trip_id, staff_id, n)"
    " SELECT trip_id, staff_id, COUNT(*) FROM reports"
    " WHERE voided_by IS NULL AND " PEOPLE_COUNTED " GROUP BY trip_id, staff_id;"
    "UPDATE trip_totals SET people ="
    " (SELECT COUNT(*) FROM trip_people p WHERE p.trip_id = trip_totals.trip_id);"
    "INSERT INTO meta (key, value) VALUES ('trip_people', '1') ON CONFLICT (key) DO UPDATE SET value = excluded.value;";

/* Runs the rebuilds in sql[] (n of them) inside the caller's transaction. */
static oerr_t figures_run(struct store *s, const char *const *sql, int n)
{
    for (int i = 0; i < n; i++)
        if (exec(s, sql[i]))
            return OERR_DB;
    return OERR_OK;
}

static void damage_note(struct store *s);

/* Ends the transaction begun for a rebuild: committed when rc is OERR_OK.
 * What made it fail is kept for store_errmsg (the ROLLBACK clears it). */
oerr_t figures_end(struct store *s, oerr_t rc)
{
    if (rc == OERR_OK && exec(s, "COMMIT") == OERR_OK)
        return OERR_OK;
    damage_note(s);
    snprintf(s->failed, sizeof s->failed, "%s", sqldb_errmsg(s->db));
    if (sqldb_in_tx(s->db))
        exec(s, "ROLLBACK");
    return OERR_DB;
}

oerr_t store_totals_rebuild(struct store *s)
{
    const char *const sql[] = {totals_rebuild_sql, staff_rebuild_sql, people_rebuild_sql,
                               store_sqlite_months_rebuild};
    if (begin_write(s))
        return OERR_DB;
    return figures_end(s, figures_run(s, sql, 4));
}

oerr_t store_figures_count(struct store *s, struct figures_count *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT (SELECT COUNT(*) FROM trip_totals),"
                                  " (SELECT COALESCE(SUM(headcounts + dispenses + referrals"
                                  " + education_reports + checkins), 0) FROM trip_totals),"
                                  " (SELECT COUNT(*) FROM trip_staff),"
                                  " (SELECT COUNT(*) FROM year_staff),"
                                  " (SELECT COUNT(*) FROM county_staff),"
                                  " (SELECT COUNT(*) FROM trip_people),"
                                  " (SELECT COUNT(*) FROM month_days),"
                                  " (SELECT COUNT(*) FROM month_staff)", false)))
        return OERR_DB;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        long long *v[] = {&out->trips,        &out->reports,      &out->trip_staff,
                          &out->year_staff,   &out->county_staff, &out->trip_people,
                          &out->month_rows,   &out->month_staff};
        for (int i = 0; i < 8; i++)
            *v[i] = sqlq_int(st, i);
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : OERR_DB;
}

/* Adds column decl to table when a store made before it lacks it; *added
 * (when not NULL) says whether it did. */
static oerr_t column_ensure(struct store *s, const char *table, const char *column,
                            const char *decl, bool *added)
{
    if (added)
        *added = false;
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", false)))
        return OERR_DB;
    bind_text(st, 1, table);
    bind_text(st, 2, column);
    int rc = sqlq_step(st);
    sqlq_finalize(st);
    if (rc != SQLDB_ROW && rc != SQLDB_DONE)
        return OERR_DB;
    if (rc == SQLDB_ROW)
        return OERR_OK;
    char sql[256]; /* names and declarations are ours, never input */
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, column, decl);
    if (exec(s, sql))
        return OERR_DB;
    if (added)
        *added = true;
    return OERR_OK;
}

/* Whether meta has key: 1 yes, 0 no, -1 the store failed. */
static int meta_has(struct store *s, const char *key)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT 1 FROM meta WHERE key = ?1", false)))
        return -1;
    bind_text(st, 1, key);
    int rc = sqlq_step(st);
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? 1 : rc == SQLDB_DONE ? 0 : -1;
}

/* The number of trips whose check-ins came or went without their staff
 * figures (see STAFF_CHECKINS_DECL): a read of trip_totals, a row per trip.
 * -1 when the store failed. */
static long long figures_stale(struct store *s)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT COUNT(*) FROM trip_totals"
                                  " WHERE staff_checkins <> checkins", false)))
        return -1;
    long long n = sqlq_step(st) == SQLDB_ROW ? sqlq_int(st, 0) : -1;
    sqlq_finalize(st);
    return n;
}

/* Whether the figures are all there and kept by this code: 1 yes, 0 no (why
 * says what is wrong), -1 the store failed. */
static int figures_current(struct store *s, const char **why)
{
    int totals = meta_has(s, "trip_totals"), staff = meta_has(s, "staff_figures");
    int people = meta_has(s, "trip_people"), months = meta_has(s, STORE_MONTHS_FLAG);
    *why = !totals ? "no running totals" : !staff ? "no staff figures"
         : !people ? "no attendance figures" : !months ? "no month figures" : NULL;
    if (totals < 0 || staff < 0 || people < 0 || months < 0)
        return -1;
    if (*why)
        return 0;
    long long stale = figures_stale(s);
    int mstale = store_months_stale(s);
    if (stale < 0 || mstale < 0)
        return -1;
    *why = stale ? "an older coordinator added or voided check-ins"
         : mstale ? "an older coordinator added or voided reports" : NULL;
    return stale == 0 && !mstale;
}

/* A store written before trip_totals or the staff figures existed (or one
 * whose figures were dropped) gets the missing ones from its reports; one
 * that an older coordinator wrote since (figures_stale) gets its staff
 * figures again, and the log says so (a warning: something wrote the store
 * behind this coordinator's back). A store that only now gets
 * staff_checkins (0 everywhere: every trip with check-ins looks stale) has
 * them rebuilt once, said at info. The flags are read inside the write
 * transaction: two opens at once rebuild once. */
static oerr_t totals_ensure(struct store *s, const char *path)
{
    if (begin_write(s))
        return OERR_DB;
    bool new_column = false;
    if (column_ensure(s, "trip_totals", "staff_checkins", STAFF_CHECKINS_DECL, &new_column) ||
        column_ensure(s, "trip_totals", "people", PEOPLE_DECL, NULL))
        return figures_end(s, OERR_DB);
    int totals = meta_has(s, "trip_totals"), staff = meta_has(s, "staff_figures");
    int people = meta_has(s, "trip_people"), months = meta_has(s, STORE_MONTHS_FLAG);
    long long stale = totals > 0 && staff > 0 ? figures_stale(s) : 0;
    int mstale = totals > 0 && months > 0 ? store_months_stale(s) : 0;
    if (totals < 0 || staff < 0 || people < 0 || months < 0 || stale < 0 || mstale < 0)
        return figures_end(s, OERR_DB);
    const char *sql[4];
    int n = 0;
    if (!totals)
        sql[n++] = totals_rebuild_sql; /* it zeroes staff_checkins: staff follows */
    if (!totals || !staff || stale)
        sql[n++] = staff_rebuild_sql;
    /* the totals' rebuild empties the people counts; an older coordinator
     * kept no attendance either */
    if (!totals || !people || stale)
        sql[n++] = people_rebuild_sql;
    /* months (issue 13): an older coordinator kept none; one that wrote the
     * store since (stale) left them out too */
    if (!months || stale || mstale)
        sql[n++] = store_sqlite_months_rebuild;
    if (mstale && !stale)
        olog(OLOG_WARN, "store %s: reports changed without their month figures (an older "
             "coordinator wrote the store); rebuilding the month figures", path);
    if (stale && !new_column)
        olog(OLOG_WARN, "store %s: the check-ins of %lld trip%s changed without their staff "
             "figures (an older coordinator wrote the store); rebuilding the staff figures "
             "from the reports", path, stale, stale == 1 ? "" : "s");
    double t0 = tu_mono_ms();
    oerr_t rc = figures_end(s, figures_run(s, sql, n));
    if (stale && rc == OERR_OK)
        olog(new_column ? OLOG_INFO : OLOG_WARN, "store %s: staff figures rebuilt %sin %.1f s",
             path, new_column ? "once for the new column " : "", (tu_mono_ms() - t0) / 1000.0);
    return rc;
}

/* Stores made before replies were bounded get the column n that orders one
 * requester's replies (their old replies, n NULL, count as the oldest) and
 * the index that finds a requester's latest. */
static oerr_t replies_ensure(struct store *s)
{
    if (column_ensure(s, "replies", "n", "INTEGER", NULL))
        return OERR_DB;
    return exec(s, "CREATE INDEX IF NOT EXISTS replies_latest ON replies (scope, requester, n)")
               ? OERR_DB
               : OERR_OK;
}

/* The -lock file beside the store: store_open holds a shared flock(2) on
 * it while the store is open (the daemon, for as long as it runs), and
 * store_hold_alone an exclusive one (a rebuild), so that neither runs
 * while the other does. Not SQLite's file: closing a descriptor of the
 * store itself would drop the POSIX locks SQLite holds on it. */
static bool lock_path(const char *path, char lp[4096], char err[256])
{
    if ((size_t)snprintf(lp, 4096, "%s-lock", path) < 4096)
        return true;
    snprintf(err, 256, "store path too long: %.200s", path);
    return false;
}

/* A flock of the exclusive kind that failed with errno e. */
static oerr_t lock_refused(int e, const char *lp, char err[256])
{
    if (e == EWOULDBLOCK) {
        snprintf(err, 256, "another program has it open for writing (the coordinator's daemon, "
                 "or a rebuild)");
        return OERR_REJECTED;
    }
    snprintf(err, 256, "cannot lock %.160s: %.80s", lp, strerror(e));
    return OERR_DB;
}

/* store_open's shared hold. OERR_OK, or OERR_REJECTED when a rebuild holds
 * the store alone (err says so). */
static oerr_t lock_take(struct store *s, const char *path, char err[256])
{
    if (!*path || strcmp(path, ":memory:") == 0)
        return OERR_OK; /* no file that another process could open */
    char lp[4096];
    if (!lock_path(path, lp, err))
        return OERR_DB;
    int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        if (e == EACCES)
            snprintf(err, 256, "cannot open %.100s: %.40s; remove it (safe while neither the "
                     "coordinator nor a rebuild runs) or give it to the store's owner", lp,
                     strerror(e));
        else
            snprintf(err, 256, "cannot open %.160s: %.80s", lp, strerror(e));
        return OERR_DB;
    }
    /* Run as root (`sudo outreach-coordinator rebuild`), the file is root's,
     * 0600, and the daemon (its own account) could not open it again: given
     * to the store's owner, as SQLite does with the -wal and -shm. */
    struct stat db_st, lock_st;
    if (geteuid() == 0 && stat(path, &db_st) == 0 && fstat(fd, &lock_st) == 0 &&
        (lock_st.st_uid != db_st.st_uid || lock_st.st_gid != db_st.st_gid) &&
        fchown(fd, db_st.st_uid, db_st.st_gid) != 0) {
        snprintf(err, 256, "cannot give %.140s to the store's owner: %.60s", lp,
                 strerror(errno));
        close(fd);
        return OERR_DB;
    }
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        s->lock_fd = fd + 1;
        return OERR_OK;
    }
    int e = errno;
    close(fd);
    if (e == EWOULDBLOCK) {
        snprintf(err, 256, "store %.120s is being rebuilt ('outreach-coordinator rebuild' holds "
                 "it); start again once that is done", path);
        return OERR_REJECTED;
    }
    snprintf(err, 256, "cannot lock %.160s: %.80s", lp, strerror(e));
    return OERR_DB;
}

/* The byte of FILE-shm on which every SQLite connection to FILE in WAL
 * mode holds a shared POSIX lock while it is open (os_unix.c's UNIX_SHM_DMS,
 * its "dead man switch": (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK). */
#define SHM_DMS_BYTE 128

/* Whether another process has the store open in WAL mode (a coordinator
 * older than the -lock file, a CLI command, sqlite3): OERR_OK none,
 * OERR_REJECTED (err names its pid). F_GETLK does not see this process's
 * own locks, and closing the descriptor drops them: only for a process
 * that has not opened the store. */
static oerr_t shm_unused(const char *path, char err[256])
{
    char sp[4096];
    if ((size_t)snprintf(sp, sizeof sp, "%s-shm", path) >= sizeof sp) {
        snprintf(err, 256, "store path too long: %.200s", path);
        return OERR_DB;
    }
    int fd = open(sp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT)
        return OERR_OK; /* no connection in WAL mode since the last one closed */
    if (fd < 0) {
        snprintf(err, 256, "cannot open %.160s: %.80s", sp, strerror(errno));
        return OERR_DB;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = SHM_DMS_BYTE,
                       .l_len = 1};
    int rc = fcntl(fd, F_GETLK, &fl), e = errno;
    close(fd);
    if (rc != 0) {
        snprintf(err, 256, "cannot test the locks of %.140s: %.80s", sp, strerror(e));
        return OERR_DB;
    }
    if (fl.l_type == F_UNLCK)
        return OERR_OK;
    snprintf(err, 256, "another program has the store open (pid %ld)", (long)fl.l_pid);
    return OERR_REJECTED;
}

oerr_t store_held(const char *path, char err[256])
{
    if (sqldb_is_pg_uri(path)) /* store_hold_alone asks the server */
        return OERR_OK;
    char lp[4096];
    if (!lock_path(path, lp, err))
        return OERR_DB;
    int fd = open(lp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno != ENOENT) { /* ENOENT: no store_open since it was made */
        snprintf(err, 256, "cannot open %.160s: %.80s", lp, strerror(errno));
        return OERR_DB;
    }
    if (fd >= 0) {
        int rc = flock(fd, LOCK_EX | LOCK_NB), e = errno;
        close(fd); /* the flock goes with it */
        if (rc != 0)
            return lock_refused(e, lp, err);
    }
    return shm_unused(path, err);
}

oerr_t store_hold_alone(struct store *s, char err[256])
{
    if (!sqldb_sqlite(s->db))
        return store_pg_hold_alone(s, err);
    if (!s->lock_fd) {
        snprintf(err, 256, "the store was not opened for writing");
        return OERR_INVAL;
    }
    if (flock(s->lock_fd - 1, LOCK_EX | LOCK_NB) == 0)
        return OERR_OK;
    return lock_refused(errno, "the store's -lock file", err);
}

/* The columns a report of the first layout keeps in the new one, in order. */
#define REPORTS_MOVED                                                               \
    "msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at, voided_by,"   \
    " department, consultations, female, over_60, poor_households, medicine,"     \
    " quantity, unit, value_fen, destination, condition, urgency, patient_ref, age," \
    " sex, brochures, attendees, talks, topic, staff_id, role, organization, voids," \
    " void_reason"

/* A store of the first layout (reports WITHOUT ROWID keyed by msg_id, with
 * each report's JSON in payload) is brought to the new one (REPORTS_COLUMNS)
 * once, in one transaction: the reports copied in msg_id order (the old
 * table's, so the new msg_id index is written in order, page after page),
 * entered_by taken from the JSON, the old table dropped (its pages are free
 * for the reports to come; VACUUM with the daemon stopped gives them back to
 * the file system). Said in the log, with how long it took. */
static oerr_t reports_ensure(struct store *s, const char *path)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT 1 FROM pragma_table_info('reports')"
                                  " WHERE name = 'payload'", false)))
        return OERR_DB;
    int rc = sqlq_step(st);
    sqlq_finalize(st);
    if (rc == SQLDB_DONE)
        return OERR_OK;
    if (rc != SQLDB_ROW)
        return OERR_DB;
    olog(OLOG_INFO, "store %s: the reports are in the first layout (keyed by msg_id, with "
         "their JSON); bringing them to the new one in one transaction (about a minute "
         "for 10 million reports)", path);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static const char copy[] =
        "CREATE TABLE reports_new (" REPORTS_COLUMNS ");"
        "INSERT INTO reports_new (" REPORTS_MOVED ", entered_by)"
        " SELECT " REPORTS_MOVED ", CASE WHEN json_valid(payload)"
        " THEN json_extract(payload, '$.entered_by') END FROM reports";
    static const char swap[] =
        "DROP TABLE reports;"
        "ALTER TABLE reports_new RENAME TO reports;" REPORTS_STAFF_INDEX ";";
    /* In a rollback journal, not the WAL: the new pages go straight into the
     * file, beyond its end. Measured at 10 million reports: 68 s, 2.5 GB of
     * journal, 13 GB written; through the WAL 283 s, 7.3 GB of WAL, 30 GB
     * written. Possible only while no other connection has the store open;
     * otherwise through the WAL. */
    bool rollback = false;
    if ((st = sqldb_prepare(s->db, "PRAGMA journal_mode = DELETE", false)) &&
        sqlq_step(st) == SQLDB_ROW) /* the mode now: still "wal" when it could not change */
        rollback = strcmp(sqlq_text(st, 0), "delete") == 0;
    sqlq_finalize(st);
    oerr_t rc2 = OERR_DB;
    if (begin_write(s))
        goto out;
    if (exec(s, copy))
        goto out;
    long long moved = sqldb_changes(s->db);
    if (exec(s, swap) || exec(s, "COMMIT"))
        goto out;
    rc2 = OERR_OK;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    olog(OLOG_INFO, "store %s: %lld reports brought to the new layout in %.1f s (%s)", path,
         moved, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
         rollback ? "rollback journal" : "through the WAL");
out:
    /* The ROLLBACK and the mode change clear what made the copy fail (a full
     * disk, a damaged page, a constraint): kept for store_errmsg. */
    if (rc2 != OERR_OK) {
        damage_note(s);
        snprintf(s->failed, sizeof s->failed, "%s", sqldb_errmsg(s->db));
    }
    if (sqldb_in_tx(s->db))
        exec(s, "ROLLBACK");
    if (exec(s, "PRAGMA journal_mode = WAL"))
        return OERR_DB;
    return rc2;
}

/* Removes path and its -lock, -wal and -shm files. */
static void remove_db_files(const char *path)
{
    char side[4096];
    if ((size_t)snprintf(side, sizeof side, "%s-lock", path) < sizeof side)
        unlink(side);
    unlink(path);
    if ((size_t)snprintf(side, sizeof side, "%s-wal", path) < sizeof side)
        unlink(side);
    if ((size_t)snprintf(side, sizeof side, "%s-shm", path) < sizeof side)
        unlink(side);
}

/* The tables whose size grows with the reports and messages received: the
 * check at open leaves them to `check` (store_check), so that opening costs
 * the same on a store of ten million reports as on an empty one. */
static const char *const big_tables[] = {"reports", "rejects", "final_rejects", "replies",
                                         "agent_seqs", "trip_staff", "year_staff",
                                         "county_staff", "trip_people"};

static bool is_big_table(const char *name)
{
    for (size_t i = 0; i < sizeof big_tables / sizeof big_tables[0]; i++)
        if (strcmp(name, big_tables[i]) == 0)
            return true;
    return false;
}

static bool damaged_now(const struct store *s)
{
    return sqldb_fail(s->db) == SQLDB_FAIL_CORRUPT;
}

/* Remembers that SQLite found the store damaged (once: the first words
 * stay), before a statement that succeeds clears the error. */
static void damage_note(struct store *s)
{
    if (!s->damage[0] && damaged_now(s))
        snprintf(s->damage, sizeof s->damage, "%s", sqldb_errmsg(s->db));
}

bool store_damaged(const struct store *s)
{
    return s && s->db && (s->damage[0] || damaged_now(s));
}

const char *store_damage(const struct store *s)
{
    if (!s || !s->db)
        return NULL;
    if (s->damage[0])
        return s->damage;
    return damaged_now(s) ? sqldb_errmsg(s->db) : NULL;
}

/* The check at every open, cheap and bounded: reading the schema reads the
 * file's header and page 1 and every page of the schema (a file that is not
 * a store, or whose first pages are damaged, stops here), and
 * PRAGMA quick_check(TABLE) checks each small table with its indexes: the
 * trips, running totals, agents, volunteers, registrations, settings, whose
 * size does not grow with the reports. The big tables (big_tables) are
 * checked by store_check. Returns OERR_OK, OERR_CORRUPT or OERR_DB, with
 * err set. */
static oerr_t open_check(struct store *s, const char *path, char err[256])
{
    char names[64][64]; /* the small tables: every one is checked (more is an error) */
    int n = 0, over = 0;
    struct sqlq *st = NULL;
    st = sqldb_prepare(s->db, "SELECT name FROM sqlite_schema WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%' ORDER BY name", false);
    int rc = st ? SQLDB_DONE : SQLDB_ERROR;
    if (st)
        while ((rc = sqlq_step(st)) == SQLDB_ROW)
            if (!is_big_table(sqlq_text(st, 0))) {
                if (n < (int)(sizeof names / sizeof names[0]))
                    snprintf(names[n++], sizeof names[0], "%s", sqlq_text(st, 0));
                else
                    over++;
            }
    sqlq_finalize(st);
    if (rc == SQLDB_DONE && over) { /* a store of ours has far fewer: not ours */
        snprintf(err, 256, "store %.120s has %d tables more than a coordinator's store can; "
                 "is it one?", path, over);
        return OERR_DB;
    }
    const char *verdict = NULL;
    if (rc == SQLDB_DONE) {
        for (int i = 0; i < n && !verdict; i++) {
            st = sqldb_prepare(s->db, "SELECT * FROM pragma_quick_check(?1)", false);
            rc = st ? SQLDB_DONE : SQLDB_ERROR;
            if (st)
                bind_text(st, 1, names[i]);
            if (st && (rc = sqlq_step(st)) == SQLDB_ROW) {
                const char *v = sqlq_text(st, 0);
                if (strcmp(v ? v : "", "ok") != 0) {
                    /* "*** in database main ***\nPage 9: ...\n...": the first page */
                    const char *what = v ? v : "";
                    if (strncmp(what, "*** ", 4) == 0 && strchr(what, '\n'))
                        what = strchr(what, '\n') + 1;
                    int len = (int)strcspn(what, "\n");
                    snprintf(err, 256, "store %.64s is damaged (table %.16s: %.*s); run "
                             "'outreach-coordinator check --db %.64s'", path, names[i],
                             len > 48 ? 48 : len, what, path);
                    verdict = "damaged";
                }
                rc = SQLDB_DONE;
            }
            sqlq_finalize(st);
            if (rc != SQLDB_DONE)
                break;
        }
    }
    if (verdict)
        return OERR_CORRUPT;
    if (rc == SQLDB_DONE)
        return OERR_OK;
    if (damaged_now(s)) {
        snprintf(err, 256, "store %.80s is damaged (%.60s); restore it from a backup or move "
                 "it aside (see 'outreach-coordinator check --help')", path,
                 sqldb_errmsg(s->db));
        return OERR_CORRUPT;
    }
    snprintf(err, 256, "cannot read store %.120s: %.100s", path, sqldb_errmsg(s->db));
    return OERR_DB;
}

/* The page cache, measured on a store of 1M reports (20,000 reports put in
 * at random msg_ids, first layout): 2 MiB (SQLite's default) missed the
 * cache 101k times, 64 MiB 55k, 256 MiB 42k. 64 MiB holds the small tables,
 * a batch's pages and the msg_id index (REPORTS_COLUMNS), whole up to about
 * a million reports, its upper levels beyond. A memory map (mmap_size
 * 2 GiB, the most this SQLite allows) changed neither the export's CPU time
 * (2.2-2.6 s for 1M rows either way) nor start-up, and made the export's
 * resident memory follow the file (470 MB against 73 MB): off. */
#ifndef STORE_CACHE_KIB /* -DSTORE_CACHE_KIB=N: to measure another */
#define STORE_CACHE_KIB 65536
#endif

static oerr_t tune(struct store *s)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", STORE_CACHE_KIB);
    return exec(s, sql);
}

/* Opens the connection with flags, nothing checked. */
static oerr_t open_conn(struct store *s, const char *path, int flags, char err[256])
{
    s->db = sqldb_open_sqlite(path, flags);
    if (!s->db) {
        snprintf(err, 256, "out of memory");
        return OERR_NOMEM;
    }
    if (sqldb_fail(s->db) != SQLDB_FAIL_NONE) {
        snprintf(err, 256, "cannot open store %.120s: %.100s", path, sqldb_errmsg(s->db));
        return damaged_now(s) ? OERR_CORRUPT : OERR_DB;
    }
    sqlite3_extended_result_codes(sqldb_sqlite(s->db), 1);
    sqlite3_busy_timeout(sqldb_sqlite(s->db), 5000);
    return OERR_OK;
}

/* Opens the connection with flags and checks the file (open_check). */
static oerr_t open_db(struct store *s, const char *path, int flags, char err[256])
{
    oerr_t rc = open_conn(s, path, flags, err);
    if (!rc)
        rc = open_check(s, path, err);
    if (!rc && tune(s)) {
        snprintf(err, 256, "cannot set up store %.120s: %.100s", path, sqldb_errmsg(s->db));
        rc = OERR_DB;
    }
    return rc;
}

/* What store_open creates and upgrades, as one number: a read-only open
 * (store_open_read) reads a store only when the last store_open left it at
 * this layout. Any change to the schema text or to how the figures are
 * rebuilt changes it. */
static char *layout_id(char buf[24])
{
    unsigned long long h = 14695981039346656037ull; /* FNV-1a */
    const char *parts[] = {schema_sql, store_sqlite_reg_schema, store_sqlite_reach_schema,
                           totals_rebuild_sql, staff_rebuild_sql, people_rebuild_sql,
                           store_sqlite_alerts_schema, store_sqlite_months_schema,
                           store_sqlite_months_rebuild};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        for (const char *p = parts[i]; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(buf, 24, "%016llx", h);
    return buf;
}

oerr_t store_prepare_statements(struct store *s, char err[256])
{
    for (int i = 0; i < Q_COUNT; i++) {
        const char *sql = sql_text[i] ? sql_text[i] : store_sqlite_month_text(i);
        if (!sql || !(s->q[i] = sqldb_prepare(s->db, sql, true))) {
            snprintf(err, 256, "cannot prepare statement %d: %.200s", i, sqldb_errmsg(s->db));
            return OERR_DB;
        }
    }
    s->max_final = 1000000;
    store_set_reply_limits(s, STORE_REPLY_KEEP, STORE_REPLY_DAYS);
    return OERR_OK;
}

bool store_is_server(const char *path) { return sqldb_is_pg_uri(path); }

oerr_t store_open(const char *path, struct store **out, char err[256])
{
    if (sqldb_is_pg_uri(path))
        return store_pg_open(path, false, out, err);
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "out of memory");
        return OERR_NOMEM;
    }
    /* Volunteers' phone numbers and patient references: owner only. */
    char perr[FPERM_ERR_MAX];
    int made = fperm_private_db(path, true, perr);
    if (made < 0) {
        snprintf(err, 256, "store: %.240s", perr);
        store_close(s);
        return OERR_DB;
    }
    /* A damaged file must stop us before we write anything into it. */
    oerr_t rc = open_db(s, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc || (rc = lock_take(s, path, err)))
        goto fail;
    rc = OERR_DB;
    /* WAL lets the CLI read while the daemon writes; FULL sync because an ack
     * promises the report is on disk even if the power goes. */
    if (exec(s, "PRAGMA journal_mode = WAL") || exec(s, "PRAGMA synchronous = FULL") ||
        exec(s, "PRAGMA foreign_keys = ON") || exec(s, schema_sql) ||
        exec(s, store_sqlite_reg_schema) || exec(s, store_sqlite_reach_schema) ||
        exec(s, store_sqlite_months_schema)) {
        snprintf(err, 256, "cannot prepare store %.120s: %.100s", path, sqldb_errmsg(s->db));
        goto fail;
    }
    if (reports_ensure(s, path)) {
        if (store_damaged(s)) {
            snprintf(err, 256, "cannot bring the reports of %.52s to the new layout: the store "
                     "is damaged (%.38s); run 'outreach-coordinator check --db %.52s'", path,
                     store_damage(s), path);
        } else {
            snprintf(err, 256, "cannot bring the reports of %.72s to the new layout: %.64s (the "
                     "upgrade needs about the reports' size again in free disk space)", path,
                     store_errmsg(s));
        }
        goto fail;
    }
    if (totals_ensure(s, path)) {
        snprintf(err, 256, "cannot rebuild the totals of %.120s: %.100s", path,
                 store_errmsg(s));
        goto fail;
    }
    if (replies_ensure(s)) {
        snprintf(err, 256, "cannot prepare the replies of %.120s: %.100s", path,
                 sqldb_errmsg(s->db));
        goto fail;
    }
    char opened[TU_TS_MAX]; /* alerts */
    tu_format_ts(time(NULL), TU_SITE_OFFSET_MIN, opened);
    if (store_alerts_ensure(s, opened)) {
        snprintf(err, 256, "cannot prepare the alerts of %.120s: %.100s", path,
                 sqldb_errmsg(s->db));
        goto fail;
    }
    if (store_prepare_statements(s, err))
        goto fail;
    char layout[24];
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "INSERT INTO meta (key, value) VALUES ('layout', ?1)"
                                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                                  " WHERE value <> excluded.value", false))) {
        snprintf(err, 256, "cannot prepare store %.120s: %.100s", path, sqldb_errmsg(s->db));
        goto fail;
    }
    bind_text(st, 1, layout_id(layout));
    int src = sqlq_step(st);
    sqlq_finalize(st);
    if (src != SQLDB_DONE) {
        snprintf(err, 256, "cannot prepare store %.120s: %.100s", path, sqldb_errmsg(s->db));
        goto fail;
    }
    *out = s;
    return OERR_OK;
fail:
    if (rc == OERR_DB && store_damaged(s))
        rc = OERR_CORRUPT; /* damage found past open_check: the caller says so */
    store_close(s);
    /* An empty file left by a failed first open would later pass for a store. */
    if (made == 2)
        remove_db_files(path);
    return rc;
}

/* Whether the store is at this program's layout (see layout_id). */
static int layout_current(struct store *s)
{
    char want[24];
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT value FROM meta WHERE key = 'layout'", false)))
        return 0; /* no meta table: not made by store_open */
    int rc = sqlq_step(st);
    int same = rc == SQLDB_ROW &&
               strcmp(sqlq_text(st, 0), layout_id(want)) == 0;
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? same : -1;
}

/* The read-only open refuses a store that is not as this program's
 * store_open leaves it (another layout, figures missing or stale): bringing
 * it up to date writes, and may take minutes on a big store. err says what
 * is not current; the caller says what to do. */
static oerr_t read_refused(char err[256], const char *path, const char *what)
{
    snprintf(err, 256, "store %.120s %.120s", path, what);
    return OERR_REJECTED;
}

oerr_t store_open_read(const char *path, struct store **out, char err[256])
{
    if (sqldb_is_pg_uri(path))
        return store_pg_open(path, true, out, err);
    *out = NULL;
    char perr[FPERM_ERR_MAX];
    int missing = fperm_private_db(path, false, perr);
    if (missing < 0) {
        snprintf(err, 256, "store: %.240s", perr);
        return OERR_DB;
    }
    if (missing == 1) {
        snprintf(err, 256, "no store at %.200s", path);
        return OERR_NOTFOUND;
    }
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "out of memory");
        return OERR_NOMEM;
    }
    /* One thread uses the connection: no mutex on every call (17% of an
     * export's time). */
    oerr_t rc = open_db(s, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, err);
    int current = rc ? 0 : layout_current(s);
    const char *why = NULL;
    if (!rc && current > 0)
        current = figures_current(s, &why);
    if (!rc && current < 0) {
        snprintf(err, 256, "cannot read store %.120s: %.100s", path, sqldb_errmsg(s->db));
        rc = damaged_now(s) ? OERR_CORRUPT : OERR_DB;
    }
    char what[120] = "was last opened by another version of the coordinator";
    if (!rc && !current && why)
        snprintf(what, sizeof what, "has figures that are not up to date (%.80s)", why);
    if (!rc && !current)
        rc = read_refused(err, path, what);
    if (!rc && (rc = store_prepare_statements(s, err)) == OERR_OK) {
        *out = s;
        return OERR_OK;
    }
    store_close(s);
    return rc;
}

oerr_t store_check(const char *path, bool quick, int (*fn)(void *, const char *), void *ctx,
                   char err[256])
{
    if (sqldb_is_pg_uri(path)) {
        snprintf(err, 256, "check reads a SQLite store's file; PostgreSQL checks its own pages "
                 "(data checksums, pg_amcheck)");
        return OERR_INVAL;
    }
    struct store s = {0};
    oerr_t rc = OERR_NOTFOUND;
    char perr[FPERM_ERR_MAX];
    if (fperm_private_db(path, false, perr) == 1) {
        snprintf(err, 256, "no store at %.200s", path);
        return rc;
    }
    rc = open_conn(&s, path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, err);
    if (rc) {
        sqldb_close(s.db);
        return rc;
    }
    tune(&s);
    struct sqlq *st = sqldb_prepare(s.db, quick ? "PRAGMA quick_check(100)"
                                                : "PRAGMA integrity_check(100)", false);
    bool clean = false;
    long long problems = 0;
    int src = st ? SQLDB_DONE : SQLDB_ERROR;
    if (st)
        while ((src = sqlq_step(st)) == SQLDB_ROW) {
            const char *v = sqlq_text(st, 0);
            if (strcmp(v ? v : "", "ok") == 0) {
                clean = true;
                continue;
            }
            problems++;
            if (fn(ctx, v ? v : ""))
                break;
        }
    if (src == SQLDB_DONE || src == SQLDB_ROW) {
        rc = clean ? OERR_OK : OERR_CORRUPT;
        if (!clean)
            snprintf(err, 256, "%s%lld problem%s found", problems >= 100 ? "at least " : "",
                     problems, problems == 1 ? "" : "s");
    } else if (damaged_now(&s)) {
        snprintf(err, 256, "%.200s", sqldb_errmsg(s.db));
        rc = OERR_CORRUPT;
    } else {
        snprintf(err, 256, "cannot check store %.120s: %.100s", path, sqldb_errmsg(s.db));
        rc = OERR_DB;
    }
    sqlq_finalize(st);
    sqldb_close(s.db);
    return rc;
}

/* ---- the trips cache ------------------------------------------------------
 * Every report looks up its trip; a few trips take nearly all reports. Rows
 * read within a transaction are kept, and served only within transactions:
 * store_begin empties the cache when another connection committed since
 * (PRAGMA data_version), store_rollback empties it, and a trip's row is
 * dropped when this connection changes the trip (store_trip_upsert,
 * store_trip_set_status). So it never serves a status the store no longer
 * holds: a cancelled trip's reports are refused from the next report on. */
#define TRIP_CACHE_SLOTS 64 /* a power of two */

struct trip_cache {
    struct sqlq *version;  /* PRAGMA data_version */
    long long data_version; /* as of the last store_begin */
    bool used[TRIP_CACHE_SLOTS];
    struct trip_row row[TRIP_CACHE_SLOTS];
};

static unsigned trip_slot(const char *trip_id)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)trip_id; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h & (TRIP_CACHE_SLOTS - 1);
}

static void trip_cache_clear(struct store *s)
{
    if (s->trips)
        memset(s->trips->used, 0, sizeof s->trips->used);
}

static void trip_cache_free(struct store *s)
{
    if (!s->trips)
        return;
    sqlq_finalize(s->trips->version);
    free(s->trips);
    s->trips = NULL;
}

/* At the start of a transaction: what others committed since the last one
 * empties the cache. Without a cache (out of memory, no data_version) every
 * look-up goes to the table, as before. */
static void trip_cache_check(struct store *s)
{
    if (!sqldb_sqlite(s->db)) /* no data_version: other coordinators write too */
        return;
    if (!s->trips) {
        s->trips = calloc(1, sizeof *s->trips);
        if (!s->trips)
            return;
        if (!(s->trips->version = sqldb_prepare(s->db, "PRAGMA data_version", true))) {
            trip_cache_free(s);
            return;
        }
        s->trips->data_version = -1;
    }
    struct sqlq *st = s->trips->version;
    sqlq_reset(st);
    long long v = sqlq_step(st) == SQLDB_ROW ? sqlq_int(st, 0) : -1;
    sqlq_reset(st);
    if (v < 0 || v != s->trips->data_version)
        trip_cache_clear(s);
    s->trips->data_version = v;
}

static struct trip_row *trip_cache_find(struct store *s, const char *trip_id)
{
    if (!s->trips || !sqldb_in_tx(s->db))
        return NULL;
    unsigned i = trip_slot(trip_id);
    if (s->trips->used[i] && strcmp(s->trips->row[i].trip_id, trip_id) == 0)
        return &s->trips->row[i];
    return NULL;
}

static void trip_cache_put(struct store *s, const struct trip_row *t)
{
    if (!s->trips || !sqldb_in_tx(s->db))
        return;
    unsigned i = trip_slot(t->trip_id);
    s->trips->row[i] = *t;
    s->trips->used[i] = true;
}

static void trip_cache_drop(struct store *s, const char *trip_id)
{
    if (s->trips)
        s->trips->used[trip_slot(trip_id)] = false;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        sqlq_finalize(s->q[i]);
    for (size_t i = 0; i < sizeof s->reply_q / sizeof s->reply_q[0]; i++)
        sqlq_finalize(s->reply_q[i]);
    trip_cache_free(s);
    store_checkpoint_stop(s);
    sqldb_close(s->db);
    if (s->lock_fd) /* after SQLite let go of the store */
        close(s->lock_fd - 1);
    free(s);
}

oerr_t store_begin(struct store *s)
{
    if (begin_write(s))
        return OERR_DB;
    trip_cache_check(s);
    return OERR_OK;
}
oerr_t store_commit(struct store *s) { return exec(s, "COMMIT"); }
void store_rollback(struct store *s)
{
    damage_note(s); /* the ROLLBACK would clear what made the transaction fail */
    trip_cache_clear(s); /* it may hold what the rollback undoes */
    if (sqldb_in_tx(s->db))
        exec(s, "ROLLBACK");
}

static oerr_t trip_read(struct store *s, const char *trip_id, struct trip_row *out)
{
    struct sqlq *st = stmt(s, Q_TRIP_GET);
    bind_text(st, 1, trip_id);
    int rc = sqlq_step(st);
    if (rc == SQLDB_DONE)
        return OERR_NOTFOUND;
    if (rc != SQLDB_ROW)
        return OERR_DB;
    snprintf(out->trip_id, sizeof out->trip_id, "%s", sqlq_text(st, 0));
    snprintf(out->status, sizeof out->status, "%s", sqlq_text(st, 1));
    snprintf(out->date, sizeof out->date, "%s", sqlq_text(st, 2));
    snprintf(out->county, sizeof out->county, "%s", sqlq_text(st, 3));
    out->year = (int)sqlq_int(st, 4);
    snprintf(out->county_name, sizeof out->county_name, "%s", sqlq_text(st, 5));
    snprintf(out->last_day, sizeof out->last_day, "%s", sqlq_text(st, 6));
    sqlq_reset(st);
    return OERR_OK;
}

oerr_t store_trip_get(struct store *s, const char *trip_id, struct trip_row *out)
{
    struct trip_row *hit = trip_cache_find(s, trip_id);
    if (hit) {
        *out = *hit;
        return OERR_OK;
    }
    oerr_t e = trip_read(s, trip_id, out);
    if (e == OERR_OK)
        trip_cache_put(s, out);
    return e;
}

/* ---- reports: plain operations (coordinator/intake.c decides with them) --- */

oerr_t store_msg_find(struct store *s, const char *msg_id, struct msg_record *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = stmt(s, Q_MSG_FIND);
    bind_text(st, 1, msg_id);
    if (sqlq_step(st) != SQLDB_ROW) {
        sqlq_reset(st);
        return OERR_DB;
    }
    out->stored = !sqlq_is_null(st, 0);
    if (out->stored) {
        column_copy(st, 0, out->agent_id, sizeof out->agent_id);
        int kind = enum_index(report_kind_names, sqlq_text(st, 1));
        out->kind = kind >= 0 ? (enum report_kind)kind : RK_HEADCOUNT;
        column_copy(st, 2, out->trip_id, sizeof out->trip_id);
        column_copy(st, 3, out->voided_by, sizeof out->voided_by);
    }
    out->refused = !sqlq_is_null(st, 4);
    if (out->refused) {
        column_copy(st, 4, out->refused_agent, sizeof out->refused_agent);
        int code = enum_index(reject_code_names, sqlq_text(st, 5));
        out->code = code > 0 ? (enum reject_code)code : RJ_SCHEMA;
        column_copy(st, 6, out->reason, sizeof out->reason);
    }
    sqlq_reset(st);
    return OERR_OK;
}

oerr_t store_report_insert(struct store *s, const struct report *r, const char *received_at,
                           const char *voided_by)
{
    struct sqlq *st = stmt(s, Q_REPORT_INSERT);
    bind_text(st, 1, r->msg_id);
    bind_text(st, 2, r->agent_id);
    sqlq_bind_int(st, 3, r->seq);
    bind_text(st, 4, report_kind_names[r->kind]);
    bind_text(st, 5, r->trip_id);
    bind_text(st, 6, r->recorded_at);
    bind_text(st, 7, received_at);
    switch (r->kind) {
    case RK_HEADCOUNT:
        bind_text(st, 8, department_names[r->department]);
        sqlq_bind_int(st, 9, r->consultations);
        bind_opt_int(st, 10, r->female, r->female >= 0);
        bind_opt_int(st, 11, r->over_60, r->over_60 >= 0);
        bind_opt_int(st, 12, r->poor_households, r->poor_households >= 0);
        break;
    case RK_DISPENSE:
        bind_text(st, 13, r->medicine);
        sqlq_bind_int(st, 14, r->quantity);
        bind_text(st, 15, r->unit);
        sqlq_bind_int(st, 16, r->value_fen);
        break;
    case RK_REFERRAL:
        bind_text(st, 17, destination_names[r->destination]);
        bind_text(st, 18, r->condition);
        bind_text(st, 19, urgency_names[r->urgency]);
        bind_text(st, 20, r->patient_ref);
        bind_opt_int(st, 21, r->age, r->age >= 0);
        bind_text(st, 22, r->sex);
        break;
    case RK_EDUCATION:
        sqlq_bind_int(st, 23, r->brochures);
        sqlq_bind_int(st, 24, r->attendees);
        sqlq_bind_int(st, 25, r->talks);
        bind_text(st, 26, r->topic);
        break;
    case RK_CHECKIN:
        bind_text(st, 27, r->staff_id);
        bind_text(st, 28, role_names[r->role]);
        bind_text(st, 29, r->organization);
        break;
    case RK_VOID:
        bind_text(st, 30, r->voids);
        bind_text(st, 31, r->void_reason);
        break;
    default:
        break;
    }
    bind_text(st, 32, r->entered_by);
    bind_text(st, 33, voided_by && voided_by[0] ? voided_by : NULL);
    oerr_t rc = run(st);
    if (rc == OERR_OK)
        store_month_stash(s, r, voided_by); /* months (issue 13) */
    return rc;
}

oerr_t store_report_void(struct store *s, const char *msg_id, const char *void_msg_id)
{
    struct sqlq *st = stmt(s, Q_REPORT_VOID);
    bind_text(st, 1, msg_id);
    bind_text(st, 2, void_msg_id);
    return run(st);
}

/* Steps statement which for report msg_id, with sign as ?2. */
static oerr_t count_step(struct store *s, int which, const char *msg_id, int sign)
{
    struct sqlq *st = stmt(s, which);
    bind_text(st, 1, msg_id);
    sqlq_bind_int(st, 2, sign);
    return run(st);
}

/* Computes again the year_staff and county_staff rows, in the years y1 and
 * y2, of the people of trip_id (NULL: none) and of staff_id (NULL: none). */
static oerr_t staff_refresh(struct store *s, const char *trip_id, const char *staff_id, int y1,
                            int y2)
{
    static const int order[] = {Q_YEAR_STAFF_CLEAR, Q_YEAR_STAFF_FILL, Q_COUNTY_STAFF_CLEAR,
                                Q_COUNTY_STAFF_FILL};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        struct sqlq *st = stmt(s, order[i]);
        bind_text(st, 1, trip_id);
        sqlq_bind_int(st, 2, y1);
        sqlq_bind_int(st, 3, y2);
        bind_text(st, 4, staff_id);
        if (run(st))
            return OERR_DB;
    }
    return OERR_OK;
}

/* Adds sign to person staff's check-ins on trip (q_add: Q_STAFF_ADD or
 * Q_PEOPLE_ADD); a row whose count falls to 0 is deleted (q_forget). *moved
 * says whether the person came with it (1: their first check-in there),
 * went (-1: their last one taken out) or neither (0). */
static oerr_t person_step(struct store *s, int q_add, int q_forget, const char *trip,
                          const char *staff, int sign, int *moved)
{
    *moved = 0;
    struct sqlq *st = stmt(s, q_add);
    bind_text(st, 1, trip);
    bind_text(st, 2, staff);
    sqlq_bind_int(st, 3, sign);
    long long left = 0;
    if (run_returning(st, &left))
        return OERR_DB;
    *moved = sign > 0 && left == 1 ? 1 : 0;
    if (left > 0)
        return OERR_OK;
    *moved = -1;
    st = stmt(s, q_forget);
    bind_text(st, 1, trip);
    bind_text(st, 2, staff);
    return run(st);
}

/* The attendance of a check-in of person staff on trip counted (sign 1) or
 * taken out (-1): trip_people, and trip_totals.people when the person came
 * or went. */
static oerr_t people_count(struct store *s, const char *trip, const char *staff, int sign)
{
    int moved;
    if (person_step(s, Q_PEOPLE_ADD, Q_PEOPLE_FORGET, trip, staff, sign, &moved))
        return OERR_DB;
    if (!moved)
        return OERR_OK;
    struct sqlq *st = stmt(s, Q_PEOPLE_N);
    bind_text(st, 1, trip);
    sqlq_bind_int(st, 2, moved);
    return run(st);
}

/* The staff figures of a counted check-in of person staff on trip (sign 1)
 * or of one taken out (-1). A person's first check-in on a trip adds them to
 * its year and county; the last one taken out has their rows there computed
 * again from the trips they are still counted on. */
static oerr_t staff_count(struct store *s, const char *trip, const char *staff, int sign)
{
    int moved;
    if (person_step(s, Q_STAFF_ADD, Q_STAFF_FORGET, trip, staff, sign, &moved))
        return OERR_DB;
    if (!moved)
        return OERR_OK;
    struct trip_row t;
    if (store_trip_get(s, trip, &t))
        return OERR_DB;
    if (moved > 0) { /* the person's first check-in on the trip */
        static const int join[] = {Q_YEAR_STAFF_JOIN, Q_COUNTY_STAFF_JOIN};
        for (size_t i = 0; i < sizeof join / sizeof join[0]; i++) {
            struct sqlq *st = stmt(s, join[i]);
            sqlq_bind_int(st, 1, t.year);
            bind_text(st, 2, staff);
            bind_text(st, 3, t.date);
            bind_text(st, 4, t.county);
            if (run(st))
                return OERR_DB;
        }
        return OERR_OK;
    }
    /* the last one taken out (person_step deleted the row) */
    return staff_refresh(s, NULL, staff, t.year, t.year);
}

/* The figures kept per person of check-in msg_id (nothing for another
 * report): attendance always, staff when the role counts. */
static oerr_t person_count(struct store *s, const char *msg_id, int sign,
                           const struct month_key *mk)
{
    struct sqlq *st = stmt(s, Q_STAFF_OF);
    bind_text(st, 1, msg_id);
    char trip[ID_MAX + 1] = "", staff[ID_MAX + 1] = ""; /* ids.h: at most ID_MAX */
    bool counted = false;
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        column_copy(st, 0, trip, sizeof trip);
        column_copy(st, 1, staff, sizeof staff);
        counted = (int)sqlq_int(st, 2) != 0;
    }
    sqlq_reset(st);
    if (rc != SQLDB_ROW)
        return rc == SQLDB_DONE ? OERR_OK : OERR_DB; /* DONE: not a check-in */
    if (people_count(s, trip, staff, sign))
        return OERR_DB;
    if (counted && store_month_staff_count(s, mk, trip, staff, sign))
        return OERR_DB;
    return counted ? staff_count(s, trip, staff, sign) : OERR_OK;
}

oerr_t store_report_count(struct store *s, const char *msg_id, int sign)
{
    sign = sign < 0 ? -1 : 1;
    struct month_key mk;
    if (count_step(s, Q_TOTALS_ADD, msg_id, sign) || store_month_count(s, msg_id, sign, &mk))
        return OERR_DB;
    return person_count(s, msg_id, sign, &mk);
}

oerr_t store_refusal_put(struct store *s, const char *msg_id, const char *agent_id,
                         enum reject_code code, const char *reason)
{
    struct sqlq *st = stmt(s, Q_FINAL_PUT);
    bind_text(st, 1, msg_id);
    bind_text(st, 2, agent_id);
    bind_text(st, 3, reject_code_str(code));
    bind_text(st, 4, reason);
    if (run(st))
        return OERR_DB;
    st = stmt(s, Q_FINAL_TRIM);
    sqlq_bind_int(st, 1, s->max_final);
    return run(st);
}

oerr_t store_pending_void_put(struct store *s, const char *agent_id, const char *target,
                              const char *void_msg_id)
{
    struct sqlq *st = stmt(s, Q_PENDING_PUT);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    bind_text(st, 3, void_msg_id);
    return run(st);
}

oerr_t store_pending_void_find(struct store *s, const char *agent_id, const char *target,
                               char void_msg_id[UUID_LEN + 1])
{
    struct sqlq *st = stmt(s, Q_PENDING_GET);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW)
        column_copy(st, 0, void_msg_id, UUID_LEN + 1);
    sqlq_reset(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

/* A look-up, and a delete only when one waits: most reports have no void
 * waiting, and a SELECT costs a fifth of a DELETE ... RETURNING that finds
 * nothing. */
oerr_t store_pending_void_take(struct store *s, const char *agent_id, const char *target,
                               char void_msg_id[UUID_LEN + 1])
{
    oerr_t e = store_pending_void_find(s, agent_id, target, void_msg_id);
    if (e)
        return e;
    struct sqlq *st = stmt(s, Q_PENDING_DEL);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    return run(st);
}

oerr_t store_keep_reject(struct store *s, const char *received_at, const char *topic,
                         const char *agent_id, const char *msg_id, enum reject_code code,
                         const char *reason, const void *payload, size_t len,
                         long long max_rejects)
{
    struct sqlq *st = stmt(s, Q_REJECT_INSERT);
    bind_text(st, 1, received_at);
    bind_text(st, 2, topic);
    bind_text(st, 3, agent_id);
    bind_text(st, 4, msg_id);
    bind_text(st, 5, reject_code_str(code));
    bind_text(st, 6, reason);
    /* Very large payloads are kept truncated: enough to inspect, bounded. */
    size_t keep = len > 65536 ? 65536 : len;
    sqlq_bind_blob(st, 7, payload, (int)keep);
    if (sqlq_step(st) != SQLDB_DONE)
        return OERR_DB;
    st = stmt(s, Q_REJECT_TRIM);
    sqlq_bind_int(st, 1, max_rejects);
    if (sqlq_step(st) != SQLDB_DONE)
        return OERR_DB;
    int dropped = sqldb_changes(s->db);
    if (dropped > 0) {
        struct sqlq *u = NULL;
        if (!(u = sqldb_prepare(s->db, "UPDATE meta SET value = CAST(value AS INTEGER) + ?1"
                                      " WHERE key = 'rejects_dropped'", false)))
            return OERR_DB;
        sqlq_bind_int(u, 1, dropped);
        int rc = sqlq_step(u);
        sqlq_finalize(u);
        if (rc != SQLDB_DONE)
            return OERR_DB;
    }
    return OERR_OK;
}

static long long scalar(struct store *s, const char *sql)
{
    struct sqlq *st = NULL;
    long long v = -1;
    if ((st = sqldb_prepare(s->db, sql, false)) &&
        sqlq_step(st) == SQLDB_ROW)
        v = sqlq_int(st, 0);
    sqlq_finalize(st);
    return v;
}

long long store_rejects_count(struct store *s)
{
    return scalar(s, "SELECT COUNT(*) FROM rejects");
}

long long store_rejects_dropped(struct store *s)
{
    return scalar(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'rejects_dropped'");
}

/* A JSON array text of the names whose bits are set. */
static char *names_json(unsigned set, const char *const *names)
{
    return json_print_free(json_names_array(set, names));
}

oerr_t store_trip_upsert(struct store *s, const struct trip_def *t, const char *now,
                         char why[JERR_MAX])
{
    struct trip_row old;
    trip_cache_drop(s, t->trip_id); /* it changes now */
    oerr_t e = trip_read(s, t->trip_id, &old);
    if (e && e != OERR_NOTFOUND)
        return e;
    if (e == OERR_OK && strcmp(old.status, "cancelled") == 0) {
        snprintf(why, JERR_MAX, "trip %s is cancelled and cannot be changed", t->trip_id);
        return OERR_REJECTED;
    }
    struct odate d;
    tu_parse_date(t->date, &d);
    cJSON *cap = cJSON_CreateObject();
    for (int i = 0; i < ROLE_COUNT; i++)
        if (t->capacity[i] > 0)
            cJSON_AddNumberToObject(cap, role_names[i], t->capacity[i]);
    char *cap_s = cJSON_PrintUnformatted(cap);
    cJSON_Delete(cap);
    char *act_s = names_json(t->activities, activity_names);
    char *dep_s = names_json(t->departments, department_names);
    struct sqlq *st = NULL;
    oerr_t rc = OERR_DB;
    if (!cap_s || !act_s || !dep_s) {
        rc = OERR_NOMEM;
        goto done;
    }
    /* months (issue 13): its check-ins' month staff follows its days and
     * county: taken out as the trip was, put back as it is (month_days,
     * clamped when read, need nothing) */
    const char *last = t->end_date && t->end_date[0] ? t->end_date : t->date;
    bool moved = e == OERR_OK && (strcmp(old.date, t->date) != 0 ||
                                  strcmp(old.last_day, last) != 0 ||
                                  strcmp(old.county, t->county) != 0);
    if (moved && store_month_trip_out(s, t->trip_id, old.county))
        goto done;
    if (!(st = sqldb_prepare(s->db, "INSERT INTO trips (trip_id, title, date, end_date, year, site_code, site_name,"
            " county, county_name, township, poor_village, mode, activities, departments,"
            " capacity, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"
            " ON CONFLICT (trip_id) DO UPDATE SET title = ?2, date = ?3, end_date = ?4,"
            " year = ?5, site_code = ?6, site_name = ?7, county = ?8, county_name = ?9,"
            " township = ?10, poor_village = ?11, mode = ?12, activities = ?13,"
            " departments = ?14, capacity = ?15, updated_at = ?16", false)))
        goto done;
    bind_text(st, 1, t->trip_id);
    bind_text(st, 2, t->title);
    bind_text(st, 3, t->date);
    bind_text(st, 4, t->end_date);
    sqlq_bind_int(st, 5, d.year);
    bind_text(st, 6, t->site_code);
    bind_text(st, 7, t->site_name);
    bind_text(st, 8, t->county);
    bind_text(st, 9, t->county_name);
    bind_text(st, 10, t->township);
    sqlq_bind_int(st, 11, t->poor_village);
    bind_text(st, 12, mode_names[t->mode]);
    bind_text(st, 13, act_s);
    bind_text(st, 14, dep_s);
    bind_text(st, 15, cap_s);
    bind_text(st, 16, now);
    if (sqlq_step(st) == SQLDB_DONE)
        rc = OERR_OK;
    /* A trip moved to another date or county takes its people along. */
    if (rc == OERR_OK && e == OERR_OK &&
        (strcmp(old.date, t->date) != 0 || strcmp(old.county, t->county) != 0))
        rc = staff_refresh(s, t->trip_id, NULL, old.year, d.year);
    if (rc == OERR_OK && moved)
        rc = store_month_trip_in(s, t->trip_id, t->county, old.county);
done:
    sqlq_finalize(st);
    cJSON_free(cap_s);
    cJSON_free(act_s);
    cJSON_free(dep_s);
    return rc;
}

oerr_t store_trip_set_status(struct store *s, const char *trip_id, const char *status,
                             const char *now, char why[JERR_MAX])
{
    struct trip_row old;
    trip_cache_drop(s, trip_id); /* it may change now */
    oerr_t e = trip_read(s, trip_id, &old);
    if (e)
        return e;
    if (strcmp(old.status, status) == 0)
        return OERR_OK;
    if (strcmp(old.status, "planned") != 0) {
        snprintf(why, JERR_MAX, "trip %s is %s and cannot become %s", trip_id, old.status,
                 status);
        return OERR_REJECTED;
    }
    struct sqlq *st = NULL;
    oerr_t rc = OERR_DB;
    if ((st = sqldb_prepare(s->db, "UPDATE trips SET status = ?2, updated_at = ?3"
                                  " WHERE trip_id = ?1", false))) {
        bind_text(st, 1, trip_id);
        bind_text(st, 2, status);
        bind_text(st, 3, now);
        if (sqlq_step(st) == SQLDB_DONE)
            rc = OERR_OK;
    }
    sqlq_finalize(st);
    return rc;
}

/* The bits of the names a stored JSON array text lists. */
static unsigned names_bits(const char *json, const char *const *names)
{
    cJSON *a = json ? cJSON_Parse(json) : NULL;
    unsigned set = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a) {
        int i = cJSON_IsString(v) ? enum_index(names, v->valuestring) : -1;
        if (i >= 0)
            set |= 1u << i;
    }
    cJSON_Delete(a);
    return set;
}

oerr_t store_trip_detail(struct store *s, const char *trip_id, struct trip_detail *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT trip_id, title, date, end_date, site_code, site_name, county, county_name,"
            " township, poor_village, mode, activities, departments, capacity, status,"
            " updated_at FROM trips WHERE trip_id = ?1", false)))
        return OERR_DB;
    bind_text(st, 1, trip_id);
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        column_copy(st, 0, out->trip_id, sizeof out->trip_id);
        column_copy(st, 1, out->title, sizeof out->title);
        column_copy(st, 2, out->date, sizeof out->date);
        column_copy(st, 3, out->end_date, sizeof out->end_date);
        column_copy(st, 4, out->site_code, sizeof out->site_code);
        column_copy(st, 5, out->site_name, sizeof out->site_name);
        column_copy(st, 6, out->county, sizeof out->county);
        column_copy(st, 7, out->county_name, sizeof out->county_name);
        column_copy(st, 8, out->township, sizeof out->township);
        out->poor_village = (int)sqlq_int(st, 9) != 0;
        column_copy(st, 10, out->mode, sizeof out->mode);
        out->activities = names_bits(sqlq_text(st, 11), activity_names);
        out->departments =
            names_bits(sqlq_text(st, 12), department_names);
        cJSON *cap = cJSON_Parse(sqlq_text(st, 13));
        for (int i = 0; i < ROLE_COUNT; i++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(cap, role_names[i]);
            out->capacity[i] = cJSON_IsNumber(n) && n->valueint > 0 ? n->valueint : 0;
        }
        cJSON_Delete(cap);
        column_copy(st, 14, out->status, sizeof out->status);
        column_copy(st, 15, out->updated_at, sizeof out->updated_at);
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_trips_each(struct store *s, int (*fn)(void *, const struct trip_row *), void *ctx)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT trip_id, status, date, county, year, county_name"
                                  " FROM trips ORDER BY date, trip_id", false)))
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct trip_row t;
        snprintf(t.trip_id, sizeof t.trip_id, "%s", sqlq_text(st, 0));
        snprintf(t.status, sizeof t.status, "%s", sqlq_text(st, 1));
        snprintf(t.date, sizeof t.date, "%s", sqlq_text(st, 2));
        snprintf(t.county, sizeof t.county, "%s", sqlq_text(st, 3));
        t.year = (int)sqlq_int(st, 4);
        snprintf(t.county_name, sizeof t.county_name, "%s", sqlq_text(st, 5));
        if (fn(ctx, &t))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

char *store_reply_get(struct store *s, const char *scope, const char *requester,
                      const char *request_id)
{
    struct sqlq *st = stmt(s, Q_REPLY_GET);
    bind_text(st, 1, scope);
    bind_text(st, 2, requester);
    bind_text(st, 3, request_id);
    char *out = NULL;
    if (sqlq_step(st) == SQLDB_ROW)
        out = strdup(sqlq_text(st, 0));
    sqlq_reset(st);
    return out;
}

void store_set_reply_limits(struct store *s, long long keep, long long days)
{
    s->reply_keep = keep > 0 ? keep : 1;
    s->reply_days = days > 0 ? days : 1;
}

/* The trims of replies, prepared on first use. */
enum { REPLY_TRIM_COUNT, REPLY_TRIM_AGE, REPLY_SWEEP };
static const char *const reply_sql[] = {
    [REPLY_TRIM_COUNT] = "DELETE FROM replies WHERE scope = ?1 AND requester = ?2"
                         " AND COALESCE(n, 0) <= (SELECT MAX(n) FROM replies"
                         " WHERE scope = ?1 AND requester = ?2) - ?3",
    [REPLY_TRIM_AGE] = "DELETE FROM replies WHERE scope = ?1 AND requester = ?2"
                       " AND julianday(created_at) < julianday(?3) - ?4",
    [REPLY_SWEEP] = "DELETE FROM replies WHERE julianday(created_at) < julianday(?3) - ?4",
};

static oerr_t reply_trim(struct store *s, int which, const char *scope, const char *requester,
                         const char *now)
{
    struct sqlq **st = &s->reply_q[which];
    if (!*st && !(*st = sqldb_prepare(s->db, reply_sql[which], true)))
        return OERR_DB;
    sqlq_reset(*st);
    sqlq_clear_bindings(*st);
    if (which != REPLY_SWEEP) {
        bind_text(*st, 1, scope);
        bind_text(*st, 2, requester);
    }
    if (which == REPLY_TRIM_COUNT) {
        sqlq_bind_int(*st, 3, s->reply_keep);
    } else {
        bind_text(*st, 3, now);
        sqlq_bind_int(*st, 4, s->reply_days);
    }
    return sqlq_step(*st) == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_reply_put(struct store *s, const char *scope, const char *requester,
                       const char *request_id, const char *reply, const char *now)
{
    struct sqlq *st = stmt(s, Q_REPLY_PUT);
    bind_text(st, 1, scope);
    bind_text(st, 2, requester);
    bind_text(st, 3, request_id);
    bind_text(st, 4, reply);
    bind_text(st, 5, now);
    if (sqlq_step(st) != SQLDB_DONE)
        return OERR_DB;
    if (reply_trim(s, REPLY_TRIM_COUNT, scope, requester, now) ||
        reply_trim(s, REPLY_TRIM_AGE, scope, requester, now))
        return OERR_DB;
    /* Requesters who never come back: everyone's old replies, once a day. */
    if (strncmp(s->replies_swept, now, 10) != 0) {
        if (reply_trim(s, REPLY_SWEEP, NULL, NULL, now))
            return OERR_DB;
        snprintf(s->replies_swept, sizeof s->replies_swept, "%.10s", now);
    }
    return OERR_OK;
}

long long store_replies_count(struct store *s, const char *scope, const char *requester)
{
    struct sqlq *st = NULL;
    long long n = -1;
    if ((st = sqldb_prepare(s->db, "SELECT COUNT(*) FROM replies WHERE scope = ?1"
                                  " AND (CAST(?2 AS TEXT) IS NULL OR requester = ?2)", false))) {
        bind_text(st, 1, scope);
        bind_text(st, 2, requester);
        if (sqlq_step(st) == SQLDB_ROW)
            n = sqlq_int(st, 0);
    }
    sqlq_finalize(st);
    return n;
}

/* Binds the filter to a statement using TRIPS_SEL and steps it to its row. */
static bool totals_row(struct store *s, int which, const struct totals_filter *f)
{
    struct sqlq *st = stmt(s, which);
    sqlq_bind_int(st, 1, f->year);
    bind_text(st, 2, f->county);
    bind_text(st, 3, f->trip_id);
    return sqlq_step(st) == SQLDB_ROW;
}

oerr_t store_totals(struct store *s, const struct totals_filter *f, struct totals *t)
{
    memset(t, 0, sizeof *t);
    oerr_t rc = OERR_DB;
    if (!totals_row(s, Q_TOTALS_SUM, f))
        goto done;
    long long *slots[TOTALS_NCOLS] = {
        &t->consultations, &t->headcounts, &t->female, &t->over_60, &t->poor_households,
        &t->value_fen, &t->dispenses, &t->referrals, &t->by_destination[0],
        &t->by_destination[1], &t->by_destination[2], &t->brochures, &t->attendees,
        &t->talks, &t->education_reports, &t->checkins};
    for (int i = 0; i < TOTALS_NCOLS; i++)
        *slots[i] = sqlq_int(s->q[Q_TOTALS_SUM], i);
    if (!totals_row(s, Q_TOTALS_STAFF, f))
        goto done;
    t->staff = sqlq_int(s->q[Q_TOTALS_STAFF], 0);
    if (!totals_row(s, Q_TOTALS_TRIPS, f))
        goto done;
    t->trips_planned = sqlq_int(s->q[Q_TOTALS_TRIPS], 0);
    t->trips_completed = sqlq_int(s->q[Q_TOTALS_TRIPS], 1);
    t->trips_cancelled = sqlq_int(s->q[Q_TOTALS_TRIPS], 2);
    rc = OERR_OK;
done:
    sqlq_reset(s->q[Q_TOTALS_SUM]);
    sqlq_reset(s->q[Q_TOTALS_STAFF]);
    sqlq_reset(s->q[Q_TOTALS_TRIPS]);
    return rc;
}

oerr_t store_weekly(struct store *s, int year, long long consultations[STORE_WEEKS],
                    long long staff[STORE_WEEKS])
{
    memset(consultations, 0, STORE_WEEKS * sizeof consultations[0]);
    memset(staff, 0, STORE_WEEKS * sizeof staff[0]);
    static const char *const sql[2] = {
        "SELECT CAST(julianday(t.date) - julianday(?1) AS INTEGER) / 7 AS w,"
        " SUM(tt.consultations) FROM trip_totals tt JOIN trips t ON t.trip_id = tt.trip_id"
        " WHERE t.year = ?2 GROUP BY w",
        /* through the index year_staff_week, which covers it */
        "SELECT week, COUNT(*) FROM year_staff WHERE year = ?2 GROUP BY week",
    };
    long long *out[2] = {consultations, staff};
    char jan1[11];
    snprintf(jan1, sizeof jan1, "%04d-01-01", year);
    for (int q = 0; q < 2; q++) {
        struct sqlq *st = NULL;
        if (!(st = sqldb_prepare(s->db, sql[q], false)))
            return OERR_DB;
        bind_text(st, 1, jan1);
        sqlq_bind_int(st, 2, year);
        int rc;
        while ((rc = sqlq_step(st)) == SQLDB_ROW) {
            int w = (int)sqlq_int(st, 0);
            if (w >= 0 && w < STORE_WEEKS)
                out[q][w] += sqlq_int(st, 1);
        }
        sqlq_finalize(st);
        if (rc != SQLDB_DONE)
            return OERR_DB;
    }
    return OERR_OK;
}

oerr_t store_counties_each(struct store *s, int year,
                           int (*fn)(void *, const char *, const char *), void *ctx)
{
    struct sqlq *st = NULL;
    /* reach: a county with targets and no trip yet is listed too (its
     * progress: zeros and county_targets) */
    if (!(st = sqldb_prepare(s->db, "SELECT c.county, COALESCE((SELECT MAX(county_name) FROM trips t"
                   "  WHERE t.year = ?1 AND t.county = c.county),"
                   " (SELECT MAX(county_name) FROM trips t WHERE t.county = c.county),"
                   " (SELECT MAX(county_name) FROM villages v WHERE v.county = c.county),"
                   " c.county) FROM (SELECT county FROM trips WHERE year = ?1"
                   " UNION SELECT county FROM county_targets WHERE year = ?1) c"
                   " ORDER BY c.county", false)))
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

oerr_t store_years_each(struct store *s, int (*fn)(void *, int), void *ctx)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT year FROM trips UNION"
                                  " SELECT year FROM county_targets ORDER BY 1", false)))
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW)
        if (fn(ctx, (int)sqlq_int(st, 0)))
            break;
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

/* ---- the CSV export: streamed, in constant memory ------------------------- */

/* Output gathered in a buffer and written in large pieces. */
struct csv_out {
    FILE *f;
    size_t n;
    bool failed;
    char buf[1 << 16];
};

static void csv_flush(struct csv_out *o)
{
    if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
        o->failed = true;
    o->n = 0;
}

static void csv_put(struct csv_out *o, const char *p, size_t len)
{
    if (o->n + len > sizeof o->buf)
        csv_flush(o);
    if (len > sizeof o->buf) {
        if (fwrite(p, 1, len, o->f) != len)
            o->failed = true;
        return;
    }
    memcpy(o->buf + o->n, p, len);
    o->n += len;
}

static void csv_char(struct csv_out *o, char c)
{
    if (o->n == sizeof o->buf)
        csv_flush(o);
    o->buf[o->n++] = c;
}

static void csv_int(struct csv_out *o, long long v)
{
    char t[24];
    int i = sizeof t;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do
        t[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        t[--i] = '-';
    csv_put(o, t + i, sizeof t - (size_t)i);
}

/* A text cell, RFC 4180 quoted. Text from the field: control and bidi
 * characters made visible as in the log (olog_escape); a cell a spreadsheet
 * would run as a formula (=, +, -, @) gets a leading '. Plain printable
 * ASCII with nothing to quote (ids, times, most values) is copied as it is. */
static void csv_text(struct csv_out *o, const char *t, size_t len)
{
    bool plain = len == 0 || (t[0] != '=' && t[0] != '+' && t[0] != '-' && t[0] != '@');
    for (size_t i = 0; plain && i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        plain = c >= 0x20 && c < 0x7f && c != ',' && c != '"' && c != '\\';
    }
    if (plain) {
        csv_put(o, t, len);
        return;
    }
    char *v = olog_escape_dup(t);
    if (!v) {
        csv_put(o, "(out of memory)", 15);
        return;
    }
    bool formula = v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@';
    bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        csv_char(o, '"');
    if (formula)
        csv_char(o, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            csv_char(o, '"');
        csv_char(o, *p);
    }
    if (quote)
        csv_char(o, '"');
    free(v);
}

/* An integer column of the export: NULL is an empty cell. */
static void csv_int_cell(struct csv_out *o, struct sqlq *st, int col)
{
    if (!sqlq_is_null(st, col))
        csv_int(o, sqlq_int(st, col));
}

/* A text column of the export: NULL is an empty cell. */
static void csv_text_cell(struct csv_out *o, struct sqlq *st, int col)
{
    const char *t = sqlq_text(st, col);
    if (t)
        csv_text(o, t, (size_t)sqlq_bytes(st, col));
}

/* The trips' columns of the CSV, formatted once per trip: a report's row
 * takes them from here instead of a join and their escaping per row. */
struct csv_trip {
    char *id;
    char *cells; /* ",date,year,county,county_name" as written */
    size_t len;
};

static int csv_trip_cmp(const void *a, const void *b)
{
    return strcmp(((const struct csv_trip *)a)->id, ((const struct csv_trip *)b)->id);
}

static void csv_trips_free(struct csv_trip *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].id);
        free(v[i].cells);
    }
    free(v);
}

static oerr_t csv_trips_load(struct store *s, struct csv_trip **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT trip_id, date, year, county, county_name FROM trips"
                                  " ORDER BY trip_id", false)))
        return OERR_DB;
    struct csv_trip *v = NULL;
    size_t n = 0, cap = 0;
    oerr_t e = OERR_OK;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        if (ARR_RESERVE(v, cap, n + 1)) {
            e = OERR_NOMEM;
            break;
        }
        struct csv_out *o = malloc(sizeof *o);
        v[n].id = strdup(sqlq_text(st, 0));
        if (!o || !v[n].id) {
            free(o);
            free(v[n].id);
            e = OERR_NOMEM;
            break;
        }
        o->f = NULL; /* a trip's cells never reach a flush */
        o->n = 0;
        o->failed = false;
        for (int col = 1; col <= 4; col++) { /* date, year, county, county_name */
            csv_char(o, ',');
            if (col == 2)
                csv_int_cell(o, st, col);
            else
                csv_text_cell(o, st, col);
        }
        v[n].len = o->n;
        v[n].cells = malloc(o->n ? o->n : 1);
        if (v[n].cells)
            memcpy(v[n].cells, o->buf, o->n);
        free(o);
        if (!v[n].cells) {
            free(v[n].id);
            e = OERR_NOMEM;
            break;
        }
        n++;
    }
    sqlq_finalize(st);
    if (!e && rc != SQLDB_DONE)
        e = OERR_DB;
    if (e) {
        csv_trips_free(v, n);
        return e;
    }
    *out = v;
    *count = n;
    return OERR_OK;
}

/* The export's statement: sql, then the conditions f asks for, each a fixed
 * text with its values bound (nothing of f is ever part of the SQL). The
 * trip's condition is on +trip_id, which keeps SQLite from an index: the
 * rows stay in the table's order, one pass, no sort. */
static int export_prepare(struct store *s, const char *sql, const struct export_filter *f,
                          struct sqlq **st)
{
    char buf[1024];
    bool trips = f && (f->year || f->county), dates = f && (f->from || f->to);
    int n = snprintf(buf, sizeof buf, "%s%s%s%s%s%s%s", sql,
                     trips || dates ? " WHERE 1 = 1" : "",
                     !trips ? ""
                     /* SQLite: +trip_id, so that the table is read in its order, not
                      * through an index of trip_id */
                     : sqldb_sqlite(s->db) ? " AND +trip_id IN (SELECT trip_id FROM trips"
                                           : " AND trip_id IN (SELECT trip_id FROM trips",
                     trips ? ""
                             " WHERE (CAST(?1 AS BIGINT) IS NULL OR year = ?1) AND (CAST(?2 AS TEXT) IS NULL OR county = ?2))"
                           : "",
                     dates ? " AND (CAST(?4 AS TEXT) IS NULL OR date(recorded_at, ?3) >= ?4)" : "",
                     dates ? " AND (CAST(?5 AS TEXT) IS NULL OR date(recorded_at, ?3) <= ?5)" : "",
                     " ORDER BY rowid");
    if (n < 0 || (size_t)n >= sizeof buf ||
        !(*st = sqldb_prepare(s->db, buf, false)))
        return -1;
    sqlq_stream(*st); /* PostgreSQL: a row at a time, not the whole table at once */
    if (trips) {
        bind_opt_int(*st, 1, f->year, f->year != 0);
        bind_text(*st, 2, f->county);
    }
    if (dates) {
        char shift[32]; /* the offset as SQLite's date() modifier */
        snprintf(shift, sizeof shift, "%+d minutes", f->offset_min);
        bind_text(*st, 3, shift);
        bind_text(*st, 4, f->from);
        bind_text(*st, 5, f->to);
    }
    return 0;
}

/* Every report f selects, in the order the store keeps them (of arrival; by
 * msg_id for those of a store upgraded from the first layout): one pass over
 * the table, no sort, so memory stays the same whatever the number of
 * reports and the first row comes at once. Columns 5-8 come from the trip. */
oerr_t store_export_csv(struct store *s, const struct export_filter *f, void *file)
{
    static const char header[] =
        "msg_id,agent_id,seq,kind,trip_id,trip_date,year,county,county_name,recorded_at,"
        "received_at,voided,voided_by,department,consultations,female,over_60,"
        "poor_households,medicine,quantity,unit,value_fen,destination,condition,urgency,"
        "patient_ref,age,sex,brochures,attendees,talks,topic,staff_id,role,organization,"
        "voids,void_reason\n";
    static const char sql[] =
        "SELECT msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at,"
        " voided_by IS NOT NULL, voided_by,"
        " department, consultations, female, over_60, poor_households,"
        " medicine, quantity, unit, value_fen, destination, condition, urgency,"
        " patient_ref, age, sex, brochures, attendees, talks, topic,"
        " staff_id, role, organization, voids, void_reason FROM reports";
    enum { TRIP_COL = 4, NCOLS = 33 }; /* the trip's cells follow column 4 (trip_id) */
    /* 1: a TEXT column of reports (0: INTEGER, or the voided flag) */
    static const bool text_col[NCOLS] = {1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 1,
                                         0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    /* The trips and the reports from one snapshot: a trip and its reports
     * committed between two reads would otherwise be missing from the first. */
    bool own_tx = !sqldb_in_tx(s->db);
    if (own_tx && begin_snapshot(s))
        return OERR_DB;
    struct csv_trip *trips = NULL;
    size_t ntrips = 0;
    oerr_t e = csv_trips_load(s, &trips, &ntrips);
    if (e) {
        if (own_tx)
            exec(s, "ROLLBACK");
        return e;
    }
    struct sqlq *st = NULL;
    struct csv_out *o = malloc(sizeof *o);
    if (!o || export_prepare(s, sql, f, &st)) {
        free(o);
        csv_trips_free(trips, ntrips);
        if (own_tx)
            exec(s, "ROLLBACK");
        return o ? OERR_DB : OERR_NOMEM;
    }
    o->f = file;
    o->n = 0;
    o->failed = false;
    csv_put(o, header, sizeof header - 1);
    int n = NCOLS, rc;
    bool missing = false;
    if (n > NCOLS)
        n = NCOLS;
    while ((rc = sqlq_step(st)) == SQLDB_ROW && !o->failed) {
        struct csv_trip key = {.id = (char *)sqlq_text(st, TRIP_COL)};
        const struct csv_trip *t =
            key.id ? bsearch(&key, trips, ntrips, sizeof *trips, csv_trip_cmp) : NULL;
        if (!t) { /* a report's trip exists in the same snapshot (foreign key) */
            olog(OLOG_ERROR, "export: report %.64s names trip %.64s, which the store lacks",
                 sqlq_text(st, 0), key.id ? key.id : "(none)");
            missing = true;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (i)
                csv_char(o, ',');
            if (text_col[i])
                csv_text_cell(o, st, i);
            else
                csv_int_cell(o, st, i);
            if (i == TRIP_COL)
                csv_put(o, t->cells, t->len);
        }
        csv_char(o, '\n');
    }
    csv_flush(o);
    bool failed = o->failed;
    free(o);
    sqlq_finalize(st);
    csv_trips_free(trips, ntrips);
    if (own_tx)
        exec(s, "COMMIT");
    if (failed)
        return OERR_IO;
    return rc == SQLDB_DONE && !missing ? OERR_OK : OERR_DB;
}

/* ---- agents -------------------------------------------------------------- */

static oerr_t seq_counts(struct store *s, const char *agent_id, int ranges, int untracked)
{
    struct sqlq *st = stmt(s, Q_AGENT_COUNTS);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, ranges);
    sqlq_bind_int(st, 3, untracked);
    return run(st);
}

static oerr_t seq_move(struct store *s, int which, const char *agent_id, long long lo,
                       long long v)
{
    struct sqlq *st = stmt(s, which);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, lo);
    if (which != Q_SEQ_DELETE)
        sqlq_bind_int(st, 3, v);
    return run(st);
}

/* Adds the range lo..hi to the agent's, or, when it has STORE_SEQ_RANGES_MAX
 * of them already, sets *full and writes nothing. */
static oerr_t seq_new_range(struct store *s, const char *agent_id, long long lo, long long hi,
                            const char *now, bool *full)
{
    struct sqlq *st = stmt(s, Q_AGENT_RANGES);
    bind_text(st, 1, agent_id);
    int rc = sqlq_step(st);
    long long ranges = rc == SQLDB_ROW ? sqlq_int(st, 0) : 0;
    sqlq_reset(st);
    if (rc != SQLDB_ROW)
        return OERR_DB;
    *full = ranges >= STORE_SEQ_RANGES_MAX;
    if (*full)
        return OERR_OK;
    st = stmt(s, Q_SEQ_INSERT);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, lo);
    sqlq_bind_int(st, 3, hi);
    bind_text(st, 4, now);
    if (run(st))
        return OERR_DB;
    return seq_counts(s, agent_id, 1, 0);
}

/* Adds seq to the agent's ranges: a few indexed look-ups, whatever the seq. */
static oerr_t seq_add(struct store *s, const char *agent_id, long long seq, const char *now)
{
    struct sqlq *st = stmt(s, Q_SEQ_BELOW);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, seq);
    int rc = sqlq_step(st);
    bool below = rc == SQLDB_ROW;
    long long blo = below ? sqlq_int(st, 0) : 0;
    long long bhi = below ? sqlq_int(st, 1) : 0;
    sqlq_reset(st);
    if (rc != SQLDB_ROW && rc != SQLDB_DONE)
        return OERR_DB;
    if (below && bhi >= seq)
        return OERR_OK; /* seen before: a resend */
    st = stmt(s, Q_SEQ_AT);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, seq + 1);
    rc = sqlq_step(st);
    bool next = rc == SQLDB_ROW;
    long long nhi = next ? sqlq_int(st, 0) : 0;
    sqlq_reset(st);
    if (rc != SQLDB_ROW && rc != SQLDB_DONE)
        return OERR_DB;

    bool joins_below = below && bhi == seq - 1;
    if (joins_below && next) { /* seq closes a gap of one: two ranges become one */
        if (seq_move(s, Q_SEQ_SET_HI, agent_id, blo, nhi) ||
            seq_move(s, Q_SEQ_DELETE, agent_id, seq + 1, 0))
            return OERR_DB;
        return seq_counts(s, agent_id, -1, 0);
    }
    if (joins_below)
        return seq_move(s, Q_SEQ_SET_HI, agent_id, blo, seq);
    if (next)
        return seq_move(s, Q_SEQ_SET_LO, agent_id, seq + 1, seq);
    bool full;
    if (seq_new_range(s, agent_id, seq, seq, now, &full))
        return OERR_DB;
    return full ? seq_counts(s, agent_id, 0, 1) : OERR_OK;
}

/* Adds the run of seqs lo..hi (lo < hi) to the agent's ranges: one look-up
 * and one write when the run continues the agent's highest range, or starts
 * a new one past it; otherwise (a run that meets ranges above its start, or
 * a new range past STORE_SEQ_RANGES_MAX) seq by seq, as seq_add would. */
static oerr_t seq_add_run(struct store *s, const char *agent_id, long long lo, long long hi,
                          const char *now)
{
    struct sqlq *st = stmt(s, Q_SEQ_BELOW);
    bind_text(st, 1, agent_id);
    sqlq_bind_int(st, 2, hi + 1);
    int rc = sqlq_step(st);
    bool top = rc == SQLDB_ROW; /* the range starting highest at or below hi + 1 */
    long long tlo = top ? sqlq_int(st, 0) : 0;
    long long thi = top ? sqlq_int(st, 1) : 0;
    sqlq_reset(st);
    if (rc != SQLDB_ROW && rc != SQLDB_DONE)
        return OERR_DB;
    if (top && tlo <= lo) { /* no range starts within lo + 1 .. hi + 1 */
        if (thi >= hi)
            return OERR_OK; /* all seen before: resends */
        if (thi >= lo - 1)
            return seq_move(s, Q_SEQ_SET_HI, agent_id, tlo, hi);
    }
    if (!top || tlo <= lo) { /* a new range lo..hi, unless the agent has too many */
        bool full;
        if (seq_new_range(s, agent_id, lo, hi, now, &full))
            return OERR_DB;
        if (!full)
            return OERR_OK;
    }
    for (long long q = lo; q <= hi; q++) /* at most a batch's seqs */
        if (seq_add(s, agent_id, q, now))
            return OERR_DB;
    return OERR_OK;
}

oerr_t store_agent_seen_seqs(struct store *s, const char *agent_id, const long long *seqs,
                             size_t n, const char *now)
{
    long long top = 0;
    for (size_t i = 0; i < n; i++)
        if (seqs[i] > 0 && seqs[i] <= SEQ_MAX && seqs[i] > top)
            top = seqs[i];
    struct sqlq *st = stmt(s, Q_AGENT_SEEN);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, now);
    sqlq_bind_int(st, 3, top);
    if (run(st))
        return OERR_DB;
    /* Runs of consecutive seqs (repeats skipped), each added at once. */
    size_t i = 0;
    while (i < n) {
        if (seqs[i] <= 0 || seqs[i] > SEQ_MAX) {
            i++;
            continue;
        }
        long long lo = seqs[i], hi = lo;
        for (i++; i < n && (seqs[i] == hi || seqs[i] == hi + 1); i++)
            hi = seqs[i];
        if (hi == lo ? seq_add(s, agent_id, lo, now) : seq_add_run(s, agent_id, lo, hi, now))
            return OERR_DB;
    }
    return OERR_OK;
}

oerr_t store_agent_seen(struct store *s, const char *agent_id, long long seq, const char *now)
{
    return store_agent_seen_seqs(s, agent_id, &seq, 1, now);
}

oerr_t store_agent_report_trip(struct store *s, const char *agent_id, const char *trip_id,
                               long long trip_seq)
{
    struct sqlq *st = stmt(s, Q_AGENT_REPORT_TRIP);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, trip_id);
    sqlq_bind_int(st, 3, trip_seq);
    return run(st);
}

static bool same_text(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

oerr_t store_agent_status(struct store *s, const struct agent_status *a, bool live,
                          const char *now)
{
    char old_since[TU_TS_MAX] = "", old_trip[ID_MAX + 1] = "";
    long long old_pending = -1, old_last = -1;
    int old_online = -1;
    struct sqlq *st = stmt(s, Q_STATUS_GET);
    bind_text(st, 1, a->agent_id);
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        old_online = (int)sqlq_int(st, 0) ? 1 : 0;
        column_copy(st, 1, old_since, sizeof old_since);
        old_pending = column_opt_int(st, 2);
        old_last = column_opt_int(st, 3);
        column_copy(st, 4, old_trip, sizeof old_trip);
    }
    sqlq_reset(st);
    if (rc != SQLDB_ROW && rc != SQLDB_DONE)
        return OERR_DB;

    const char *since = a->since, *trip = a->trip_id;
    long long pending = a->pending, last = a->last_seq;
    /* A will has no time of its own: offline since we got it (its replay,
     * offline already, keeps that). */
    if (!a->online && !since)
        since = old_online == 0 && old_since[0] ? old_since : now;
    if (!a->online && old_online >= 0) {
        /* A will says only "offline": what the birth said still holds. */
        if (!trip && old_trip[0])
            trip = old_trip;
        if (pending < 0)
            pending = old_pending;
        if (last < 0)
            last = old_last;
    }
    if (!live && old_online == (a->online ? 1 : 0) && same_text(since, old_since) &&
        same_text(trip, old_trip) && pending == old_pending && last == old_last)
        return OERR_OK; /* the broker replaying what we stored already */
    st = stmt(s, Q_STATUS_PUT);
    bind_text(st, 1, a->agent_id);
    bind_text(st, 2, live && a->online ? now : NULL);
    sqlq_bind_int(st, 3, a->online ? 1 : 0);
    bind_text(st, 4, since);
    bind_opt_int(st, 5, pending, pending >= 0);
    bind_opt_int(st, 6, last, last >= 0);
    bind_text(st, 7, trip);
    bind_text(st, 8, now);
    return run(st);
}

static void agent_row_read(struct sqlq *st, struct agent_row *a)
{
    column_copy(st, 0, a->agent_id, sizeof a->agent_id);
    a->online = sqlq_is_null(st, 1) ? -1
                : (int)sqlq_int(st, 1)               ? 1
                                                          : 0;
    column_copy(st, 2, a->last_seen, sizeof a->last_seen);
    a->last_seq = sqlq_int(st, 3);
    a->seqs_untracked = sqlq_int(st, 4);
    a->pending = column_opt_int(st, 5);
    a->reported_last_seq = column_opt_int(st, 6);
    column_copy(st, 7, a->since, sizeof a->since);
    column_copy(st, 8, a->trip_id, sizeof a->trip_id);
    column_copy(st, 9, a->status_at, sizeof a->status_at);
    column_copy(st, 10, a->report_trip, sizeof a->report_trip);
}

oerr_t store_agents_each(struct store *s, int (*fn)(void *, const struct agent_row *),
                         void *ctx)
{
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, AGENT_COLS " ORDER BY agent_id", false)))
        return OERR_DB;
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        struct agent_row a;
        agent_row_read(st, &a);
        if (fn(ctx, &a))
            break;
    }
    sqlq_finalize(st);
    return rc == SQLDB_ROW || rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_agent_get(struct store *s, const char *agent_id, struct agent_row *out)
{
    struct sqlq *st = stmt(s, Q_AGENT_GET);
    bind_text(st, 1, agent_id);
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW)
        agent_row_read(st, out);
    sqlq_reset(st);
    return rc == SQLDB_ROW ? OERR_OK : rc == SQLDB_DONE ? OERR_NOTFOUND : OERR_DB;
}

/* Adds the gap lo..hi to out; only the first STORE_MISSING_RANGES are written. */
static void gap_add(struct seq_gaps *out, long long lo, long long hi)
{
    out->count += hi - lo + 1;
    if (++out->ranges > STORE_MISSING_RANGES)
        return;
    out->range[out->ranges - 1][0] = lo;
    out->range[out->ranges - 1][1] = hi;
    size_t used = strlen(out->text), room = sizeof out->text - used;
    const char *sep = used ? ", " : "";
    if (lo == hi)
        snprintf(out->text + used, room, "%s%lld", sep, lo);
    else
        snprintf(out->text + used, room, "%s%lld-%lld", sep, lo, hi);
}

oerr_t store_agent_missing(struct store *s, const char *agent_id, long long last_seq,
                           struct seq_gaps *out)
{
    memset(out, 0, sizeof *out);
    struct sqlq *st = NULL;
    if (!(st = sqldb_prepare(s->db, "SELECT lo, hi FROM agent_seqs WHERE agent_id = ?1"
                                  " ORDER BY lo", false)))
        return OERR_DB;
    bind_text(st, 1, agent_id);
    long long next = 1; /* the first number not known to be seen */
    int rc;
    while ((rc = sqlq_step(st)) == SQLDB_ROW) {
        long long lo = sqlq_int(st, 0), hi = sqlq_int(st, 1);
        if (lo > next)
            gap_add(out, next, lo - 1);
        if (hi >= next)
            next = hi + 1;
    }
    sqlq_finalize(st);
    if (rc != SQLDB_DONE)
        return OERR_DB;
    /* last_seq was seen; it lies past the ranges when it was not recorded. */
    if (last_seq > next)
        gap_add(out, next, last_seq - 1);
    if (out->ranges > STORE_MISSING_RANGES) {
        size_t used = strlen(out->text);
        snprintf(out->text + used, sizeof out->text - used, ", ... (%lld missing in all)",
                 out->count);
    }
    return OERR_OK;
}
