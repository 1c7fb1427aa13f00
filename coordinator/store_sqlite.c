/* store_sqlite.c -- the SQLite backend of store.h: with its siblings store_sqlite_*.c,
 * the only place that speaks SQL; every statement is prepared and bound. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileperm.h"
#include "jsonget.h"
#include "olog.h"
#include "store_sqlite_priv.h"
#include "timeutil.h"

#define SCHEMA_VERSION 1

/* Running totals: trip_totals holds, per trip, the sums over its counted
 * reports (accepted, not voided). Each expression below is what one report
 * adds; the same text serves the incremental update and the rebuild, so the
 * two cannot disagree. The column order is that of struct totals. */
#define TOTALS_COLS                                                                   \
    "consultations, headcounts, female, over_60, poor_households, value_fen,"         \
    " dispenses, referrals, dest_township, dest_county, dest_city, brochures,"        \
    " attendees, talks, education_reports, checkins"
#define TOTALS_EXPRS(L, R)                                                            \
    L "CASE WHEN kind = 'headcount' THEN consultations ELSE 0 END" R ","             \
    L "kind = 'headcount'" R ","                                                     \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(female, 0) ELSE 0 END" R ","       \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(over_60, 0) ELSE 0 END" R ","      \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(poor_households, 0) ELSE 0 END" R "," \
    L "CASE WHEN kind = 'dispense' THEN value_fen ELSE 0 END" R ","                  \
    L "kind = 'dispense'" R ","                                                      \
    L "kind = 'referral'" R ","                                                      \
    L "kind = 'referral' AND destination = 'township_health_center'" R ","           \
    L "kind = 'referral' AND destination = 'county_hospital'" R ","                  \
    L "kind = 'referral' AND destination = 'city_hospital'" R ","                    \
    L "CASE WHEN kind = 'education' THEN brochures ELSE 0 END" R ","                 \
    L "CASE WHEN kind = 'education' THEN attendees ELSE 0 END" R ","                 \
    L "CASE WHEN kind = 'education' THEN talks ELSE 0 END" R ","                     \
    L "kind = 'education'" R ","                                                     \
    L "kind = 'checkin'" R
#define TOTALS_NCOLS 16

/* The selected trips, as a sub-query bound by ?1 year, ?2 county, ?3 trip. */
#define TRIPS_SEL                                                               \
    "SELECT trip_id FROM trips WHERE (?3 IS NOT NULL AND trip_id = ?3) OR"      \
    " (?3 IS NULL AND year = ?1 AND (?2 IS NULL OR county = ?2))"

static const char *const sql_text[Q_COUNT] = {
    /* The report kept under a msg_id and its final refusal, in one look-up. */
    [Q_MSG_FIND] = "SELECT r.agent_id, r.kind, r.trip_id, r.voided_by, f.agent_id, f.code,"
                   " f.reason FROM (SELECT ?1 AS msg_id) AS k"
                   " LEFT JOIN reports AS r ON r.msg_id = k.msg_id"
                   " LEFT JOIN final_rejects AS f ON f.msg_id = k.msg_id",
    [Q_REPORT_INSERT] =
        "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id, recorded_at, received_at,"
        " department, consultations, female, over_60, poor_households,"
        " medicine, quantity, unit, value_fen,"
        " destination, condition, urgency, patient_ref, age, sex,"
        " brochures, attendees, talks, topic, staff_id, role, organization,"
        " voids, void_reason, payload, voided_by)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32,"
        " ?33)",
    [Q_REPORT_VOID] = "UPDATE reports SET voided_by = ?2 WHERE msg_id = ?1",
    [Q_TRIP_GET] = "SELECT trip_id, status, date, county, year, county_name FROM trips"
                   " WHERE trip_id = ?1",
    [Q_REJECT_INSERT] =
        "INSERT INTO rejects (received_at, topic, agent_id, msg_id, code, reason, payload)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_REJECT_TRIM] = "DELETE FROM rejects WHERE id <= (SELECT MAX(id) FROM rejects) - ?1",
    [Q_REPLY_GET] = "SELECT reply FROM replies WHERE scope = ?1 AND requester = ?2"
                    " AND request_id = ?3",
    /* n numbers one requester's replies 1, 2, 3...: the latest are kept. */
    [Q_REPLY_PUT] = "INSERT OR REPLACE INTO replies (scope, requester, request_id, reply,"
                    " created_at, n) VALUES (?1, ?2, ?3, ?4, ?5, (SELECT COALESCE(MAX(n), 0) + 1"
                    " FROM replies WHERE scope = ?1 AND requester = ?2))",
    [Q_FINAL_PUT] = "INSERT OR IGNORE INTO final_rejects (msg_id, agent_id, code, reason)"
                    " VALUES (?1, ?2, ?3, ?4)",
    [Q_FINAL_TRIM] = "DELETE FROM final_rejects WHERE id <= (SELECT MAX(id) FROM final_rejects)"
                     " - ?1",
    [Q_AGENT_SEEN] = "INSERT INTO agents (agent_id, last_seen, last_seq) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (agent_id) DO UPDATE SET last_seen = ?2,"
                     " last_seq = MAX(last_seq, ?3)",
    [Q_AGENT_RANGES] = "SELECT seq_ranges FROM agents WHERE agent_id = ?1",
    [Q_AGENT_COUNTS] = "UPDATE agents SET seq_ranges = seq_ranges + ?2,"
                       " seqs_untracked = seqs_untracked + ?3 WHERE agent_id = ?1",
    [Q_SEQ_BELOW] = "SELECT lo, hi FROM agent_seqs WHERE agent_id = ?1 AND lo <= ?2"
                    " ORDER BY lo DESC LIMIT 1",
    [Q_SEQ_AT] = "SELECT hi FROM agent_seqs WHERE agent_id = ?1 AND lo = ?2",
    [Q_SEQ_INSERT] = "INSERT INTO agent_seqs (agent_id, lo, hi) VALUES (?1, ?2, ?3)",
    [Q_SEQ_SET_HI] = "UPDATE agent_seqs SET hi = ?3 WHERE agent_id = ?1 AND lo = ?2",
    [Q_SEQ_SET_LO] = "UPDATE agent_seqs SET lo = ?3 WHERE agent_id = ?1 AND lo = ?2",
    [Q_SEQ_DELETE] = "DELETE FROM agent_seqs WHERE agent_id = ?1 AND lo = ?2",
    [Q_STATUS_GET] = "SELECT online, since, pending, reported_last_seq, trip_id FROM agents"
                     " WHERE agent_id = ?1 AND online IS NOT NULL",
    [Q_STATUS_PUT] =
        "INSERT INTO agents (agent_id, last_seen, online, since, pending, reported_last_seq,"
        " trip_id, status_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (agent_id) DO UPDATE SET last_seen = COALESCE(?2, last_seen),"
        " online = ?3, since = ?4, pending = ?5, reported_last_seq = ?6, trip_id = ?7,"
        " status_at = ?8",
    /* Adds (?2 = 1) or takes out (?2 = -1) the figures of report ?1. */
    [Q_TOTALS_ADD] =
        "INSERT INTO trip_totals (trip_id, " TOTALS_COLS ")"
        " SELECT trip_id, " TOTALS_EXPRS("?2 * (", ")") " FROM reports"
        " WHERE msg_id = ?1 AND kind <> 'void'"
        " ON CONFLICT (trip_id) DO UPDATE SET"
        " consultations = consultations + excluded.consultations,"
        " headcounts = headcounts + excluded.headcounts,"
        " female = female + excluded.female, over_60 = over_60 + excluded.over_60,"
        " poor_households = poor_households + excluded.poor_households,"
        " value_fen = value_fen + excluded.value_fen,"
        " dispenses = dispenses + excluded.dispenses,"
        " referrals = referrals + excluded.referrals,"
        " dest_township = dest_township + excluded.dest_township,"
        " dest_county = dest_county + excluded.dest_county,"
        " dest_city = dest_city + excluded.dest_city,"
        " brochures = brochures + excluded.brochures,"
        " attendees = attendees + excluded.attendees, talks = talks + excluded.talks,"
        " education_reports = education_reports + excluded.education_reports,"
        " checkins = checkins + excluded.checkins",
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
    /* Distinct people cannot be summed per trip: counted from the check-ins,
     * through the partial index reports_staff. */
    [Q_TOTALS_STAFF] =
        "SELECT COUNT(DISTINCT staff_id) FROM reports"
        " WHERE kind = 'checkin' AND voided_by IS NULL AND role <> 'support'"
        " AND trip_id IN (" TRIPS_SEL ")",
    [Q_TOTALS_TRIPS] =
        "SELECT COUNT(CASE WHEN status = 'planned' THEN 1 END),"
        " COUNT(CASE WHEN status = 'completed' THEN 1 END),"
        " COUNT(CASE WHEN status = 'cancelled' THEN 1 END)"
        " FROM trips WHERE trip_id IN (" TRIPS_SEL ")",
    [Q_PENDING_GET] = "SELECT void_msg_id FROM pending_voids WHERE agent_id = ?1 AND target = ?2",
    [Q_PENDING_PUT] = "INSERT INTO pending_voids (agent_id, target, void_msg_id)"
                      " VALUES (?1, ?2, ?3)",
    [Q_PENDING_DEL] = "DELETE FROM pending_voids WHERE agent_id = ?1 AND target = ?2",
};

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
    "CREATE TABLE IF NOT EXISTS reports ("
    " msg_id TEXT PRIMARY KEY, agent_id TEXT NOT NULL, seq INTEGER NOT NULL,"
    " kind TEXT NOT NULL, trip_id TEXT NOT NULL REFERENCES trips (trip_id),"
    " recorded_at TEXT NOT NULL, received_at TEXT NOT NULL, voided_by TEXT,"
    " department TEXT, consultations INTEGER, female INTEGER, over_60 INTEGER,"
    " poor_households INTEGER, medicine TEXT, quantity INTEGER, unit TEXT,"
    " value_fen INTEGER, destination TEXT, condition TEXT, urgency TEXT,"
    " patient_ref TEXT, age INTEGER, sex TEXT, brochures INTEGER, attendees INTEGER,"
    " talks INTEGER, topic TEXT, staff_id TEXT, role TEXT, organization TEXT,"
    " voids TEXT, void_reason TEXT, payload TEXT NOT NULL) WITHOUT ROWID;"
    /* Indexes of the first stores that no query uses any more: each cost a
     * B-tree insert per report (the covering one is replaced by trip_totals). */
    "DROP INDEX IF EXISTS reports_totals;"
    "DROP INDEX IF EXISTS reports_trip;"
    "DROP INDEX IF EXISTS reports_agent;"
    "CREATE INDEX IF NOT EXISTS reports_staff ON reports (trip_id, staff_id, role)"
    " WHERE kind = 'checkin' AND voided_by IS NULL;"
    "CREATE TABLE IF NOT EXISTS trip_totals ("
    " trip_id TEXT PRIMARY KEY, consultations INTEGER NOT NULL DEFAULT 0,"
    " headcounts INTEGER NOT NULL DEFAULT 0, female INTEGER NOT NULL DEFAULT 0,"
    " over_60 INTEGER NOT NULL DEFAULT 0, poor_households INTEGER NOT NULL DEFAULT 0,"
    " value_fen INTEGER NOT NULL DEFAULT 0, dispenses INTEGER NOT NULL DEFAULT 0,"
    " referrals INTEGER NOT NULL DEFAULT 0, dest_township INTEGER NOT NULL DEFAULT 0,"
    " dest_county INTEGER NOT NULL DEFAULT 0, dest_city INTEGER NOT NULL DEFAULT 0,"
    " brochures INTEGER NOT NULL DEFAULT 0, attendees INTEGER NOT NULL DEFAULT 0,"
    " talks INTEGER NOT NULL DEFAULT 0, education_reports INTEGER NOT NULL DEFAULT 0,"
    " checkins INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
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
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');"
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('rejects_dropped', '0');";

const char *store_errmsg(const struct store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

/* The running totals summed again from the reports, and marked as present. */
static const char totals_rebuild_sql[] =
    "DELETE FROM trip_totals;"
    "INSERT INTO trip_totals (trip_id, " TOTALS_COLS ")"
    " SELECT trip_id, " TOTALS_EXPRS("SUM(", ")") " FROM reports"
    " WHERE voided_by IS NULL AND kind <> 'void' GROUP BY trip_id;"
    "INSERT OR REPLACE INTO meta (key, value) VALUES ('trip_totals', '1');";

oerr_t store_totals_rebuild(struct store *s)
{
    if (exec(s, "BEGIN IMMEDIATE"))
        return OERR_DB;
    if (exec(s, totals_rebuild_sql) || exec(s, "COMMIT")) {
        if (!sqlite3_get_autocommit(s->db))
            exec(s, "ROLLBACK");
        return OERR_DB;
    }
    return OERR_OK;
}

/* A store written before trip_totals existed (or one whose totals were
 * dropped) gets them summed once from its reports. */
static oerr_t totals_ensure(struct store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM meta WHERE key = 'trip_totals'", -1, &st,
                           NULL) != SQLITE_OK)
        return OERR_DB;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return OERR_OK;
    if (rc != SQLITE_DONE)
        return OERR_DB;
    return store_totals_rebuild(s);
}

/* Stores made before replies were bounded get the column n that orders one
 * requester's replies (their old replies, n NULL, count as the oldest) and
 * the index that finds a requester's latest. */
static oerr_t replies_ensure(struct store *s)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info('replies') WHERE name = 'n'",
                           -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE && exec(s, "ALTER TABLE replies ADD COLUMN n INTEGER"))
        return OERR_DB;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return OERR_DB;
    return exec(s, "CREATE INDEX IF NOT EXISTS replies_latest ON replies (scope, requester, n)")
               ? OERR_DB
               : OERR_OK;
}

/* Removes path and its -wal and -shm files. */
static void remove_db_files(const char *path)
{
    char side[4096];
    unlink(path);
    if ((size_t)snprintf(side, sizeof side, "%s-wal", path) < sizeof side)
        unlink(side);
    if ((size_t)snprintf(side, sizeof side, "%s-shm", path) < sizeof side)
        unlink(side);
}

oerr_t store_open(const char *path, struct store **out, char err[256])
{
    *out = NULL;
    struct store *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, 256, "out of memory");
        return OERR_NOMEM;
    }
    oerr_t rc = OERR_DB;
    /* Volunteers' phone numbers and patient references: owner only. */
    char perr[FPERM_ERR_MAX];
    int made = fperm_private_db(path, true, perr);
    if (made < 0) {
        snprintf(err, 256, "store: %.240s", perr);
        goto fail;
    }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        snprintf(err, 256, "cannot open store %.120s: %.100s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* A damaged file must stop us before we write anything into it. */
    sqlite3_stmt *qc = NULL;
    int src = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &qc, NULL);
    const char *verdict = NULL;
    if (src == SQLITE_OK)
        src = sqlite3_step(qc);
    if (src == SQLITE_ROW)
        verdict = (const char *)sqlite3_column_text(qc, 0);
    if (!verdict || strcmp(verdict, "ok") != 0) {
        snprintf(err, 256, "store %.80s is damaged (quick_check: %.80s); restore it from a "
                 "backup or move it aside", path, verdict ? verdict : sqlite3_errmsg(s->db));
        sqlite3_finalize(qc);
        rc = OERR_CORRUPT;
        goto fail;
    }
    sqlite3_finalize(qc);
    /* WAL lets the CLI read while the daemon writes; FULL sync because an ack
     * promises the report is on disk even if the power goes. */
    if (exec(s, "PRAGMA journal_mode = WAL") || exec(s, "PRAGMA synchronous = FULL") ||
        exec(s, "PRAGMA foreign_keys = ON") || exec(s, "PRAGMA cache_size = -65536") ||
        exec(s, schema_sql) || exec(s, store_sqlite_reg_schema)) {
        snprintf(err, 256, "cannot prepare store %.120s: %.100s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (totals_ensure(s)) {
        snprintf(err, 256, "cannot rebuild the totals of %.120s: %.100s", path,
                 sqlite3_errmsg(s->db));
        goto fail;
    }
    if (replies_ensure(s)) {
        snprintf(err, 256, "cannot prepare the replies of %.120s: %.100s", path,
                 sqlite3_errmsg(s->db));
        goto fail;
    }
    for (int i = 0; i < Q_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, sql_text[i], -1, SQLITE_PREPARE_PERSISTENT, &s->q[i],
                               NULL) != SQLITE_OK) {
            snprintf(err, 256, "cannot prepare statement: %.200s", sqlite3_errmsg(s->db));
            goto fail;
        }
    }
    s->max_final = 1000000;
    store_set_reply_limits(s, STORE_REPLY_KEEP, STORE_REPLY_DAYS);
    *out = s;
    return OERR_OK;
fail:
    store_close(s);
    /* An empty file left by a failed first open would later pass for a store. */
    if (made == 2)
        remove_db_files(path);
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
    sqlite3_stmt *version;  /* PRAGMA data_version */
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
    sqlite3_finalize(s->trips->version);
    free(s->trips);
    s->trips = NULL;
}

/* At the start of a transaction: what others committed since the last one
 * empties the cache. Without a cache (out of memory, no data_version) every
 * look-up goes to the table, as before. */
static void trip_cache_check(struct store *s)
{
    if (!s->trips) {
        s->trips = calloc(1, sizeof *s->trips);
        if (!s->trips)
            return;
        if (sqlite3_prepare_v3(s->db, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
                               &s->trips->version, NULL) != SQLITE_OK) {
            trip_cache_free(s);
            return;
        }
        s->trips->data_version = -1;
    }
    sqlite3_stmt *st = s->trips->version;
    sqlite3_reset(st);
    long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (v < 0 || v != s->trips->data_version)
        trip_cache_clear(s);
    s->trips->data_version = v;
}

static struct trip_row *trip_cache_find(struct store *s, const char *trip_id)
{
    if (!s->trips || sqlite3_get_autocommit(s->db))
        return NULL;
    unsigned i = trip_slot(trip_id);
    if (s->trips->used[i] && strcmp(s->trips->row[i].trip_id, trip_id) == 0)
        return &s->trips->row[i];
    return NULL;
}

static void trip_cache_put(struct store *s, const struct trip_row *t)
{
    if (!s->trips || sqlite3_get_autocommit(s->db))
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
        sqlite3_finalize(s->q[i]);
    for (size_t i = 0; i < sizeof s->reply_q / sizeof s->reply_q[0]; i++)
        sqlite3_finalize(s->reply_q[i]);
    trip_cache_free(s);
    sqlite3_close(s->db);
    free(s);
}

oerr_t store_begin(struct store *s)
{
    if (exec(s, "BEGIN IMMEDIATE"))
        return OERR_DB;
    trip_cache_check(s);
    return OERR_OK;
}
oerr_t store_commit(struct store *s) { return exec(s, "COMMIT"); }
void store_rollback(struct store *s)
{
    trip_cache_clear(s); /* it may hold what the rollback undoes */
    if (!sqlite3_get_autocommit(s->db))
        exec(s, "ROLLBACK");
}

static oerr_t trip_read(struct store *s, const char *trip_id, struct trip_row *out)
{
    sqlite3_stmt *st = stmt(s, Q_TRIP_GET);
    bind_text(st, 1, trip_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return OERR_NOTFOUND;
    if (rc != SQLITE_ROW)
        return OERR_DB;
    snprintf(out->trip_id, sizeof out->trip_id, "%s", sqlite3_column_text(st, 0));
    snprintf(out->status, sizeof out->status, "%s", sqlite3_column_text(st, 1));
    snprintf(out->date, sizeof out->date, "%s", sqlite3_column_text(st, 2));
    snprintf(out->county, sizeof out->county, "%s", sqlite3_column_text(st, 3));
    out->year = sqlite3_column_int(st, 4);
    snprintf(out->county_name, sizeof out->county_name, "%s", sqlite3_column_text(st, 5));
    sqlite3_reset(st);
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
    sqlite3_stmt *st = stmt(s, Q_MSG_FIND);
    bind_text(st, 1, msg_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return OERR_DB;
    }
    out->stored = sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (out->stored) {
        column_copy(st, 0, out->agent_id, sizeof out->agent_id);
        int kind = enum_index(report_kind_names, (const char *)sqlite3_column_text(st, 1));
        out->kind = kind >= 0 ? (enum report_kind)kind : RK_HEADCOUNT;
        column_copy(st, 2, out->trip_id, sizeof out->trip_id);
        column_copy(st, 3, out->voided_by, sizeof out->voided_by);
    }
    out->refused = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (out->refused) {
        column_copy(st, 4, out->refused_agent, sizeof out->refused_agent);
        int code = enum_index(reject_code_names, (const char *)sqlite3_column_text(st, 5));
        out->code = code > 0 ? (enum reject_code)code : RJ_SCHEMA;
        column_copy(st, 6, out->reason, sizeof out->reason);
    }
    sqlite3_reset(st);
    return OERR_OK;
}

oerr_t store_report_insert(struct store *s, const struct report *r, const char *payload,
                           size_t len, const char *received_at, const char *voided_by)
{
    sqlite3_stmt *st = stmt(s, Q_REPORT_INSERT);
    bind_text(st, 1, r->msg_id);
    bind_text(st, 2, r->agent_id);
    sqlite3_bind_int64(st, 3, r->seq);
    bind_text(st, 4, report_kind_names[r->kind]);
    bind_text(st, 5, r->trip_id);
    bind_text(st, 6, r->recorded_at);
    bind_text(st, 7, received_at);
    switch (r->kind) {
    case RK_HEADCOUNT:
        bind_text(st, 8, department_names[r->department]);
        sqlite3_bind_int64(st, 9, r->consultations);
        bind_opt_int(st, 10, r->female, r->female >= 0);
        bind_opt_int(st, 11, r->over_60, r->over_60 >= 0);
        bind_opt_int(st, 12, r->poor_households, r->poor_households >= 0);
        break;
    case RK_DISPENSE:
        bind_text(st, 13, r->medicine);
        sqlite3_bind_int64(st, 14, r->quantity);
        bind_text(st, 15, r->unit);
        sqlite3_bind_int64(st, 16, r->value_fen);
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
        sqlite3_bind_int64(st, 23, r->brochures);
        sqlite3_bind_int64(st, 24, r->attendees);
        sqlite3_bind_int64(st, 25, r->talks);
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
    sqlite3_bind_text(st, 32, payload, (int)len, SQLITE_TRANSIENT);
    bind_text(st, 33, voided_by && voided_by[0] ? voided_by : NULL);
    return run(st);
}

oerr_t store_report_void(struct store *s, const char *msg_id, const char *void_msg_id)
{
    sqlite3_stmt *st = stmt(s, Q_REPORT_VOID);
    bind_text(st, 1, msg_id);
    bind_text(st, 2, void_msg_id);
    return run(st);
}

oerr_t store_report_count(struct store *s, const char *msg_id, int sign)
{
    sqlite3_stmt *st = stmt(s, Q_TOTALS_ADD);
    bind_text(st, 1, msg_id);
    sqlite3_bind_int(st, 2, sign < 0 ? -1 : 1);
    return run(st);
}

oerr_t store_refusal_put(struct store *s, const char *msg_id, const char *agent_id,
                         enum reject_code code, const char *reason)
{
    sqlite3_stmt *st = stmt(s, Q_FINAL_PUT);
    bind_text(st, 1, msg_id);
    bind_text(st, 2, agent_id);
    bind_text(st, 3, reject_code_str(code));
    bind_text(st, 4, reason);
    if (run(st))
        return OERR_DB;
    st = stmt(s, Q_FINAL_TRIM);
    sqlite3_bind_int64(st, 1, s->max_final);
    return run(st);
}

oerr_t store_pending_void_put(struct store *s, const char *agent_id, const char *target,
                              const char *void_msg_id)
{
    sqlite3_stmt *st = stmt(s, Q_PENDING_PUT);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    bind_text(st, 3, void_msg_id);
    return run(st);
}

oerr_t store_pending_void_find(struct store *s, const char *agent_id, const char *target,
                               char void_msg_id[UUID_LEN + 1])
{
    sqlite3_stmt *st = stmt(s, Q_PENDING_GET);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        column_copy(st, 0, void_msg_id, UUID_LEN + 1);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
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
    sqlite3_stmt *st = stmt(s, Q_PENDING_DEL);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, target);
    return run(st);
}

oerr_t store_keep_reject(struct store *s, const char *received_at, const char *topic,
                         const char *agent_id, const char *msg_id, enum reject_code code,
                         const char *reason, const void *payload, size_t len,
                         long long max_rejects)
{
    sqlite3_stmt *st = stmt(s, Q_REJECT_INSERT);
    bind_text(st, 1, received_at);
    bind_text(st, 2, topic);
    bind_text(st, 3, agent_id);
    bind_text(st, 4, msg_id);
    bind_text(st, 5, reject_code_str(code));
    bind_text(st, 6, reason);
    /* Very large payloads are kept truncated: enough to inspect, bounded. */
    size_t keep = len > 65536 ? 65536 : len;
    sqlite3_bind_blob(st, 7, payload, (int)keep, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        return OERR_DB;
    st = stmt(s, Q_REJECT_TRIM);
    sqlite3_bind_int64(st, 1, max_rejects);
    if (sqlite3_step(st) != SQLITE_DONE)
        return OERR_DB;
    int dropped = sqlite3_changes(s->db);
    if (dropped > 0) {
        sqlite3_stmt *u = NULL;
        if (sqlite3_prepare_v2(s->db, "UPDATE meta SET value = CAST(value AS INTEGER) + ?1"
                                      " WHERE key = 'rejects_dropped'", -1, &u, NULL) != SQLITE_OK)
            return OERR_DB;
        sqlite3_bind_int(u, 1, dropped);
        int rc = sqlite3_step(u);
        sqlite3_finalize(u);
        if (rc != SQLITE_DONE)
            return OERR_DB;
    }
    return OERR_OK;
}

static long long scalar(struct store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
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
    sqlite3_stmt *st = NULL;
    oerr_t rc = OERR_DB;
    if (!cap_s || !act_s || !dep_s) {
        rc = OERR_NOMEM;
        goto done;
    }
    if (sqlite3_prepare_v2(s->db,
            "INSERT INTO trips (trip_id, title, date, end_date, year, site_code, site_name,"
            " county, county_name, township, poor_village, mode, activities, departments,"
            " capacity, created_at, updated_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)"
            " ON CONFLICT (trip_id) DO UPDATE SET title = ?2, date = ?3, end_date = ?4,"
            " year = ?5, site_code = ?6, site_name = ?7, county = ?8, county_name = ?9,"
            " township = ?10, poor_village = ?11, mode = ?12, activities = ?13,"
            " departments = ?14, capacity = ?15, updated_at = ?16",
            -1, &st, NULL) != SQLITE_OK)
        goto done;
    bind_text(st, 1, t->trip_id);
    bind_text(st, 2, t->title);
    bind_text(st, 3, t->date);
    bind_text(st, 4, t->end_date);
    sqlite3_bind_int(st, 5, d.year);
    bind_text(st, 6, t->site_code);
    bind_text(st, 7, t->site_name);
    bind_text(st, 8, t->county);
    bind_text(st, 9, t->county_name);
    bind_text(st, 10, t->township);
    sqlite3_bind_int(st, 11, t->poor_village);
    bind_text(st, 12, mode_names[t->mode]);
    bind_text(st, 13, act_s);
    bind_text(st, 14, dep_s);
    bind_text(st, 15, cap_s);
    bind_text(st, 16, now);
    if (sqlite3_step(st) == SQLITE_DONE)
        rc = OERR_OK;
done:
    sqlite3_finalize(st);
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
    sqlite3_stmt *st = NULL;
    oerr_t rc = OERR_DB;
    if (sqlite3_prepare_v2(s->db, "UPDATE trips SET status = ?2, updated_at = ?3"
                                  " WHERE trip_id = ?1", -1, &st, NULL) == SQLITE_OK) {
        bind_text(st, 1, trip_id);
        bind_text(st, 2, status);
        bind_text(st, 3, now);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = OERR_OK;
    }
    sqlite3_finalize(st);
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
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
            "SELECT trip_id, title, date, end_date, site_code, site_name, county, county_name,"
            " township, poor_village, mode, activities, departments, capacity, status,"
            " updated_at FROM trips WHERE trip_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    bind_text(st, 1, trip_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        column_copy(st, 0, out->trip_id, sizeof out->trip_id);
        column_copy(st, 1, out->title, sizeof out->title);
        column_copy(st, 2, out->date, sizeof out->date);
        column_copy(st, 3, out->end_date, sizeof out->end_date);
        column_copy(st, 4, out->site_code, sizeof out->site_code);
        column_copy(st, 5, out->site_name, sizeof out->site_name);
        column_copy(st, 6, out->county, sizeof out->county);
        column_copy(st, 7, out->county_name, sizeof out->county_name);
        column_copy(st, 8, out->township, sizeof out->township);
        out->poor_village = sqlite3_column_int(st, 9) != 0;
        column_copy(st, 10, out->mode, sizeof out->mode);
        out->activities = names_bits((const char *)sqlite3_column_text(st, 11), activity_names);
        out->departments =
            names_bits((const char *)sqlite3_column_text(st, 12), department_names);
        cJSON *cap = cJSON_Parse((const char *)sqlite3_column_text(st, 13));
        for (int i = 0; i < ROLE_COUNT; i++) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(cap, role_names[i]);
            out->capacity[i] = cJSON_IsNumber(n) && n->valueint > 0 ? n->valueint : 0;
        }
        cJSON_Delete(cap);
        column_copy(st, 14, out->status, sizeof out->status);
        column_copy(st, 15, out->updated_at, sizeof out->updated_at);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OERR_OK : rc == SQLITE_DONE ? OERR_NOTFOUND : OERR_DB;
}

oerr_t store_trips_each(struct store *s, int (*fn)(void *, const struct trip_row *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT trip_id, status, date, county, year, county_name"
                                  " FROM trips ORDER BY date, trip_id", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct trip_row t;
        snprintf(t.trip_id, sizeof t.trip_id, "%s", sqlite3_column_text(st, 0));
        snprintf(t.status, sizeof t.status, "%s", sqlite3_column_text(st, 1));
        snprintf(t.date, sizeof t.date, "%s", sqlite3_column_text(st, 2));
        snprintf(t.county, sizeof t.county, "%s", sqlite3_column_text(st, 3));
        t.year = sqlite3_column_int(st, 4);
        snprintf(t.county_name, sizeof t.county_name, "%s", sqlite3_column_text(st, 5));
        if (fn(ctx, &t))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

char *store_reply_get(struct store *s, const char *scope, const char *requester,
                      const char *request_id)
{
    sqlite3_stmt *st = stmt(s, Q_REPLY_GET);
    bind_text(st, 1, scope);
    bind_text(st, 2, requester);
    bind_text(st, 3, request_id);
    char *out = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        out = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
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
    sqlite3_stmt **st = &s->reply_q[which];
    if (!*st && sqlite3_prepare_v3(s->db, reply_sql[which], -1, SQLITE_PREPARE_PERSISTENT, st,
                                   NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
    if (which != REPLY_SWEEP) {
        bind_text(*st, 1, scope);
        bind_text(*st, 2, requester);
    }
    if (which == REPLY_TRIM_COUNT) {
        sqlite3_bind_int64(*st, 3, s->reply_keep);
    } else {
        bind_text(*st, 3, now);
        sqlite3_bind_int64(*st, 4, s->reply_days);
    }
    return sqlite3_step(*st) == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_reply_put(struct store *s, const char *scope, const char *requester,
                       const char *request_id, const char *reply, const char *now)
{
    sqlite3_stmt *st = stmt(s, Q_REPLY_PUT);
    bind_text(st, 1, scope);
    bind_text(st, 2, requester);
    bind_text(st, 3, request_id);
    bind_text(st, 4, reply);
    bind_text(st, 5, now);
    if (sqlite3_step(st) != SQLITE_DONE)
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
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(s->db, "SELECT COUNT(*) FROM replies WHERE scope = ?1"
                                  " AND (?2 IS NULL OR requester = ?2)", -1, &st, NULL) ==
        SQLITE_OK) {
        bind_text(st, 1, scope);
        bind_text(st, 2, requester);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* Binds the filter to a statement using TRIPS_SEL and steps it to its row. */
static bool totals_row(struct store *s, int which, const struct totals_filter *f)
{
    sqlite3_stmt *st = stmt(s, which);
    sqlite3_bind_int(st, 1, f->year);
    bind_text(st, 2, f->county);
    bind_text(st, 3, f->trip_id);
    return sqlite3_step(st) == SQLITE_ROW;
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
        *slots[i] = sqlite3_column_int64(s->q[Q_TOTALS_SUM], i);
    if (!totals_row(s, Q_TOTALS_STAFF, f))
        goto done;
    t->staff = sqlite3_column_int64(s->q[Q_TOTALS_STAFF], 0);
    if (!totals_row(s, Q_TOTALS_TRIPS, f))
        goto done;
    t->trips_planned = sqlite3_column_int64(s->q[Q_TOTALS_TRIPS], 0);
    t->trips_completed = sqlite3_column_int64(s->q[Q_TOTALS_TRIPS], 1);
    t->trips_cancelled = sqlite3_column_int64(s->q[Q_TOTALS_TRIPS], 2);
    rc = OERR_OK;
done:
    sqlite3_reset(s->q[Q_TOTALS_SUM]);
    sqlite3_reset(s->q[Q_TOTALS_STAFF]);
    sqlite3_reset(s->q[Q_TOTALS_TRIPS]);
    return rc;
}

oerr_t store_weekly(struct store *s, int year, long long consultations[STORE_WEEKS],
                    long long staff[STORE_WEEKS])
{
    memset(consultations, 0, STORE_WEEKS * sizeof consultations[0]);
    memset(staff, 0, STORE_WEEKS * sizeof staff[0]);
    static const char *const sql[2] = {
        "SELECT CAST((julianday(t.date) - julianday(?1)) / 7 AS INTEGER) AS w,"
        " SUM(tt.consultations) FROM trip_totals tt JOIN trips t ON t.trip_id = tt.trip_id"
        " WHERE t.year = ?2 GROUP BY w",
        "SELECT w, COUNT(*) FROM (SELECT r.staff_id,"
        " MIN(CAST((julianday(t.date) - julianday(?1)) / 7 AS INTEGER)) AS w"
        " FROM reports r JOIN trips t ON t.trip_id = r.trip_id"
        " WHERE r.kind = 'checkin' AND r.voided_by IS NULL AND r.role <> 'support'"
        " AND t.year = ?2 GROUP BY r.staff_id) GROUP BY w",
    };
    long long *out[2] = {consultations, staff};
    char jan1[11];
    snprintf(jan1, sizeof jan1, "%04d-01-01", year);
    for (int q = 0; q < 2; q++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(s->db, sql[q], -1, &st, NULL) != SQLITE_OK)
            return OERR_DB;
        bind_text(st, 1, jan1);
        sqlite3_bind_int(st, 2, year);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int w = sqlite3_column_int(st, 0);
            if (w >= 0 && w < STORE_WEEKS)
                out[q][w] += sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return OERR_DB;
    }
    return OERR_OK;
}

oerr_t store_counties_each(struct store *s, int year,
                           int (*fn)(void *, const char *, const char *), void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT county, MAX(county_name) FROM trips WHERE year = ?1"
                                  " GROUP BY county ORDER BY county", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    sqlite3_bind_int(st, 1, year);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

oerr_t store_years_each(struct store *s, int (*fn)(void *, int), void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT year FROM trips ORDER BY year", -1, &st,
                           NULL) != SQLITE_OK)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(ctx, sqlite3_column_int(st, 0)))
            break;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

/* RFC 4180 quoting; a text cell that a spreadsheet would run as a formula
 * (=, +, -, @) gets a leading apostrophe. */
static void csv_cell(FILE *f, sqlite3_stmt *st, int col)
{
    int type = sqlite3_column_type(st, col);
    if (type == SQLITE_NULL)
        return;
    if (type == SQLITE_INTEGER) {
        fprintf(f, "%lld", (long long)sqlite3_column_int64(st, col));
        return;
    }
    /* Text from the field: control and bidi characters made visible as in
     * the log (olog_escape); a cell a spreadsheet would run as a formula
     * gets a leading '. */
    char *v = olog_escape_dup((const char *)sqlite3_column_text(st, col));
    if (!v) {
        fputs("(out of memory)", f);
        return;
    }
    bool formula = v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@';
    bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', f);
    if (formula)
        fputc('\'', f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    if (quote)
        fputc('"', f);
    free(v);
}

oerr_t store_export_csv(struct store *s, void *file)
{
    FILE *f = file;
    static const char sql[] =
        "SELECT r.msg_id, r.agent_id, r.seq, r.kind, r.trip_id, t.date, t.year, t.county,"
        " t.county_name, r.recorded_at, r.received_at,"
        " CASE WHEN r.voided_by IS NULL THEN 0 ELSE 1 END, r.voided_by,"
        " r.department, r.consultations, r.female, r.over_60, r.poor_households,"
        " r.medicine, r.quantity, r.unit, r.value_fen, r.destination, r.condition, r.urgency,"
        " r.patient_ref, r.age, r.sex, r.brochures, r.attendees, r.talks, r.topic,"
        " r.staff_id, r.role, r.organization, r.voids, r.void_reason"
        " FROM reports r JOIN trips t USING (trip_id) ORDER BY r.received_at, r.agent_id, r.seq";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (i == 11)
            name = "voided";
        else if (i == 5)
            name = "trip_date";
        fprintf(f, "%s%s", i ? "," : "", name);
    }
    fputc('\n', f);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', f);
            csv_cell(f, st, i);
        }
        fputc('\n', f);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

/* ---- agents -------------------------------------------------------------- */

static oerr_t seq_counts(struct store *s, const char *agent_id, int ranges, int untracked)
{
    sqlite3_stmt *st = stmt(s, Q_AGENT_COUNTS);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int(st, 2, ranges);
    sqlite3_bind_int(st, 3, untracked);
    return run(st);
}

static oerr_t seq_move(struct store *s, int which, const char *agent_id, long long lo,
                       long long v)
{
    sqlite3_stmt *st = stmt(s, which);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, lo);
    if (which != Q_SEQ_DELETE)
        sqlite3_bind_int64(st, 3, v);
    return run(st);
}

/* Adds the range lo..hi to the agent's, or, when it has STORE_SEQ_RANGES_MAX
 * of them already, sets *full and writes nothing. */
static oerr_t seq_new_range(struct store *s, const char *agent_id, long long lo, long long hi,
                            bool *full)
{
    sqlite3_stmt *st = stmt(s, Q_AGENT_RANGES);
    bind_text(st, 1, agent_id);
    int rc = sqlite3_step(st);
    long long ranges = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return OERR_DB;
    *full = ranges >= STORE_SEQ_RANGES_MAX;
    if (*full)
        return OERR_OK;
    st = stmt(s, Q_SEQ_INSERT);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, lo);
    sqlite3_bind_int64(st, 3, hi);
    if (run(st))
        return OERR_DB;
    return seq_counts(s, agent_id, 1, 0);
}

/* Adds seq to the agent's ranges: a few indexed look-ups, whatever the seq. */
static oerr_t seq_add(struct store *s, const char *agent_id, long long seq)
{
    sqlite3_stmt *st = stmt(s, Q_SEQ_BELOW);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, seq);
    int rc = sqlite3_step(st);
    bool below = rc == SQLITE_ROW;
    long long blo = below ? sqlite3_column_int64(st, 0) : 0;
    long long bhi = below ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return OERR_DB;
    if (below && bhi >= seq)
        return OERR_OK; /* seen before: a resend */
    st = stmt(s, Q_SEQ_AT);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, seq + 1);
    rc = sqlite3_step(st);
    bool next = rc == SQLITE_ROW;
    long long nhi = next ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
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
    if (seq_new_range(s, agent_id, seq, seq, &full))
        return OERR_DB;
    return full ? seq_counts(s, agent_id, 0, 1) : OERR_OK;
}

/* Adds the run of seqs lo..hi (lo < hi) to the agent's ranges: one look-up
 * and one write when the run continues the agent's highest range, or starts
 * a new one past it; otherwise (a run that meets ranges above its start, or
 * a new range past STORE_SEQ_RANGES_MAX) seq by seq, as seq_add would. */
static oerr_t seq_add_run(struct store *s, const char *agent_id, long long lo, long long hi)
{
    sqlite3_stmt *st = stmt(s, Q_SEQ_BELOW);
    bind_text(st, 1, agent_id);
    sqlite3_bind_int64(st, 2, hi + 1);
    int rc = sqlite3_step(st);
    bool top = rc == SQLITE_ROW; /* the range starting highest at or below hi + 1 */
    long long tlo = top ? sqlite3_column_int64(st, 0) : 0;
    long long thi = top ? sqlite3_column_int64(st, 1) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return OERR_DB;
    if (top && tlo <= lo) { /* no range starts within lo + 1 .. hi + 1 */
        if (thi >= hi)
            return OERR_OK; /* all seen before: resends */
        if (thi >= lo - 1)
            return seq_move(s, Q_SEQ_SET_HI, agent_id, tlo, hi);
    }
    if (!top || tlo <= lo) { /* a new range lo..hi, unless the agent has too many */
        bool full;
        if (seq_new_range(s, agent_id, lo, hi, &full))
            return OERR_DB;
        if (!full)
            return OERR_OK;
    }
    for (long long q = lo; q <= hi; q++) /* at most a batch's seqs */
        if (seq_add(s, agent_id, q))
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
    sqlite3_stmt *st = stmt(s, Q_AGENT_SEEN);
    bind_text(st, 1, agent_id);
    bind_text(st, 2, now);
    sqlite3_bind_int64(st, 3, top);
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
        if (hi == lo ? seq_add(s, agent_id, lo) : seq_add_run(s, agent_id, lo, hi))
            return OERR_DB;
    }
    return OERR_OK;
}

oerr_t store_agent_seen(struct store *s, const char *agent_id, long long seq, const char *now)
{
    return store_agent_seen_seqs(s, agent_id, &seq, 1, now);
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
    sqlite3_stmt *st = stmt(s, Q_STATUS_GET);
    bind_text(st, 1, a->agent_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        old_online = sqlite3_column_int(st, 0) ? 1 : 0;
        column_copy(st, 1, old_since, sizeof old_since);
        old_pending = column_opt_int(st, 2);
        old_last = column_opt_int(st, 3);
        column_copy(st, 4, old_trip, sizeof old_trip);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return OERR_DB;

    const char *since = a->since, *trip = a->trip_id;
    long long pending = a->pending, last = a->last_seq;
    if (!a->online && old_online >= 0) {
        /* A will says only "offline": what the birth said still holds. */
        if (!since && old_since[0])
            since = old_since;
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
    sqlite3_bind_int(st, 3, a->online ? 1 : 0);
    bind_text(st, 4, since);
    bind_opt_int(st, 5, pending, pending >= 0);
    bind_opt_int(st, 6, last, last >= 0);
    bind_text(st, 7, trip);
    bind_text(st, 8, now);
    return run(st);
}

oerr_t store_agents_each(struct store *s, int (*fn)(void *, const struct agent_row *),
                         void *ctx)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
            "SELECT agent_id, online, last_seen, last_seq, seqs_untracked, pending,"
            " reported_last_seq, since, trip_id, status_at FROM agents ORDER BY agent_id",
            -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct agent_row a;
        column_copy(st, 0, a.agent_id, sizeof a.agent_id);
        a.online = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1
                   : sqlite3_column_int(st, 1)               ? 1
                                                             : 0;
        column_copy(st, 2, a.last_seen, sizeof a.last_seen);
        a.last_seq = sqlite3_column_int64(st, 3);
        a.seqs_untracked = sqlite3_column_int64(st, 4);
        a.pending = column_opt_int(st, 5);
        a.reported_last_seq = column_opt_int(st, 6);
        column_copy(st, 7, a.since, sizeof a.since);
        column_copy(st, 8, a.trip_id, sizeof a.trip_id);
        column_copy(st, 9, a.status_at, sizeof a.status_at);
        if (fn(ctx, &a))
            break;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? OERR_OK : OERR_DB;
}

/* Adds the gap lo..hi to out; only the first STORE_MISSING_RANGES are written. */
static void gap_add(struct seq_gaps *out, long long lo, long long hi)
{
    out->count += hi - lo + 1;
    if (++out->ranges > STORE_MISSING_RANGES)
        return;
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
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT lo, hi FROM agent_seqs WHERE agent_id = ?1"
                                  " ORDER BY lo", -1, &st, NULL) != SQLITE_OK)
        return OERR_DB;
    bind_text(st, 1, agent_id);
    long long next = 1; /* the first number not known to be seen */
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
        if (lo > next)
            gap_add(out, next, lo - 1);
        if (hi >= next)
            next = hi + 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
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
