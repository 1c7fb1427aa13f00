/* store_sqlite_priv.h -- what the files of the store's backend share: the
 * store itself and the small helpers every statement uses. The backend's
 * SQL runs through sqldb.h on SQLite or PostgreSQL alike (store_sqlite*.c,
 * named for the engine they began on); what only one engine has is in
 * store_sqlite.c (the file: its checks, locks, layouts), store_sqlite_ckpt.c
 * and store_pg*.c (the server: migrations, locks, the leader). Included by
 * nothing else. */
#ifndef OUTREACH_STORE_SQLITE_PRIV_H
#define OUTREACH_STORE_SQLITE_PRIV_H

#include <stdbool.h>
#include <stdio.h>

#include "sqldb.h"

#include "store.h"

/* Running totals: trip_totals holds, per trip, the sums over its counted
 * reports (accepted, not voided). Each expression below is what one report
 * adds; the same text serves the incremental update and the rebuild, so the
 * two cannot disagree. The column order is that of struct totals. */
#define TOTALS_COLS                                                                   \
    "consultations, headcounts, female, over_60, poor_households, value_fen,"         \
    " dispenses, referrals, dest_township, dest_county, dest_city, brochures,"        \
    " attendees, talks, education_reports, checkins"
/* A condition as 0 or 1 (PostgreSQL does no arithmetic on booleans). */
#define FLAG(C) "CASE WHEN " C " THEN 1 ELSE 0 END"
#define TOTALS_EXPRS(L, R)                                                            \
    L "CASE WHEN kind = 'headcount' THEN consultations ELSE 0 END" R ","             \
    L FLAG("kind = 'headcount'") R ","                                                     \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(female, 0) ELSE 0 END" R ","       \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(over_60, 0) ELSE 0 END" R ","      \
    L "CASE WHEN kind = 'headcount' THEN COALESCE(poor_households, 0) ELSE 0 END" R "," \
    L "CASE WHEN kind = 'dispense' THEN value_fen ELSE 0 END" R ","                  \
    L FLAG("kind = 'dispense'") R ","                                                      \
    L FLAG("kind = 'referral'") R ","                                                      \
    L FLAG("kind = 'referral' AND destination = 'township_health_center'") R ","           \
    L FLAG("kind = 'referral' AND destination = 'county_hospital'") R ","                  \
    L FLAG("kind = 'referral' AND destination = 'city_hospital'") R ","                    \
    L "CASE WHEN kind = 'education' THEN brochures ELSE 0 END" R ","                 \
    L "CASE WHEN kind = 'education' THEN attendees ELSE 0 END" R ","                 \
    L "CASE WHEN kind = 'education' THEN talks ELSE 0 END" R ","                     \
    L FLAG("kind = 'education'") R ","                                                     \
    L FLAG("kind = 'checkin'") R
#define TOTALS_NCOLS 16

/* The statements used on the hot path, prepared once. */
enum {
    Q_MSG_FIND, Q_REPORT_INSERT, Q_REPORT_VOID, Q_TRIP_GET, Q_REJECT_INSERT,
    Q_REJECT_TRIM, Q_REPLY_GET, Q_REPLY_PUT, Q_FINAL_PUT, Q_FINAL_TRIM,
    Q_AGENT_SEEN, Q_AGENT_RANGES, Q_AGENT_COUNTS, Q_SEQ_BELOW, Q_SEQ_AT, Q_SEQ_INSERT,
    Q_SEQ_SET_HI, Q_SEQ_SET_LO, Q_SEQ_DELETE, Q_STATUS_GET, Q_STATUS_PUT, Q_TOTALS_ADD,
    Q_TOTALS_SUM, Q_TOTALS_STAFF, Q_TOTALS_TRIPS, Q_PENDING_GET, Q_PENDING_PUT, Q_PENDING_DEL,
    Q_STAFF_OF, Q_STAFF_ADD, Q_STAFF_FORGET, Q_PEOPLE_ADD, Q_PEOPLE_FORGET, Q_PEOPLE_N, Q_YEAR_STAFF_JOIN, Q_COUNTY_STAFF_JOIN,
    Q_YEAR_STAFF_CLEAR, Q_YEAR_STAFF_FILL, Q_COUNTY_STAFF_CLEAR, Q_COUNTY_STAFF_FILL,
    Q_AGENT_GET,
    Q_MONTH_ADD, Q_MONTH_STAFF_ADD, Q_MONTH_STAFF_TRIM, Q_MONTH_STAFF_TRIP, Q_MONTH_STAFF_SWEEP, Q_MONTH_OF,
    Q_AGENT_REPORT_TRIP,
    Q_COUNT
};

/* months (issue 13): a local day 'YYYY-MM-DD', with room for snprintf. */
#define MONTH_DAY_MAX 16

struct store {
    struct sqldb *db;
    struct sqlq *q[Q_COUNT];
    long long max_final; /* final_rejects kept, the oldest dropped first */
    /* Request replies: the latest reply_keep of each requester, none older
     * than reply_days; every requester's are aged out once per day. */
    long long reply_keep, reply_days;
    char replies_swept[11];  /* the day (YYYY-MM-DD of 'now') of the last sweep */
    struct sqlq *reply_q[3]; /* see reply_sql */
    struct trip_cache *trips; /* store_trip_get's, within transactions (store_sqlite.c) */
    int lock_fd; /* store_open's -lock file, its descriptor + 1; 0: none (lock_take) */
    char damage[128]; /* what SQLite said when it found the store damaged; "" not yet */
    char failed[128]; /* what made the last rebuild fail (figures_end); "" none */
    struct checkpointer *ckpt; /* store_checkpoint_behind's thread; NULL: none */
    /* store_leader (PostgreSQL): held, in which connection, when last asked */
    bool leader;
    unsigned leader_gen;
    double leader_asked_ms;
    /* store_announced (PostgreSQL): LISTEN made in this connection (+1; 0 none) */
    unsigned listen_gen;
    /* months (issue 13): meta's month_offset ("" not read yet) and in
     * minutes; the local day and figures of the report just stored
     * (store_month_stash) */
    char month_mod[32], month_suf[16];
    int month_off;
    struct month_next {
        char msg_id[ID_MAX + 1], trip[ID_MAX + 1];
        char day[MONTH_DAY_MAX];
        long long v[28]; /* MONTH_NCOLS */
    } month_next;
};

/* Prepares sql and binds the n texts that follow (NULL binds NULL); NULL
 * when it cannot be prepared (logged). For statements run once. */
struct sqlq *sql_prep(struct store *s, const char *sql, int n, ...);
/* Runs a statement that returns no rows (NULL: it could not be prepared)
 * and finalizes it. */
oerr_t sql_run_once(struct sqlq *st);

/* Steps st (NULL: it could not be prepared) once, copies the text columns
 * 0..n-1 of its row into the n (char *buf, size_t size) pairs that follow,
 * and finalizes it: SQLDB_ROW, SQLDB_DONE (no row, buffers untouched), or
 * another code on failure. */
int sql_row_texts(struct sqlq *st, int n, ...);

/* PostgreSQL's advisory lock keys (64-bit, this program's own: "outreach",
 * "outreacm", "outreacw", "outreacl" in ASCII): a daemon's shared hold of the
 * store, its migrations, the one writer, the one leader (store_pg.c). */
#define STORE_KEY "8031453545161122664"       /* 0x6f75747265616368 */
#define STORE_MIGRATE_KEY "8031453545161122669" /* 0x6f7574726561636d */
#define STORE_WRITE_KEY "8031453545161122679"   /* 0x6f75747265616377 */
#define STORE_LEADER_KEY "8031453545161122668"  /* 0x6f7574726561636c */

/* store_pg.c: the PostgreSQL side (store_open and store_open_read pass a
 * postgresql:// URI there). */
/* Connects to uri; the daemon's open (read_only false) runs the schema's
 * migrations and takes the store's shared lock; a read-only open refuses a
 * schema that is not this program's version. */
oerr_t store_pg_open(const char *uri, bool read_only, struct store **out, char err[256]);
/* store_hold_alone on PostgreSQL: refused while another program has it open. */
oerr_t store_pg_hold_alone(struct store *s, char err[256]);

/* The schema, one entry a version (store_pg_schema.c). */
extern const char *const store_pg_migrations[];
extern const int store_pg_migrations_count;

/* Prepares the hot path's statements (Q_*), at the end of an open. */
oerr_t store_prepare_statements(struct store *s, char err[256]);

/* store_sqlite_ckpt.c: stops the checkpoint thread, if any (store_close). */
void store_checkpoint_stop(struct store *s);

/* The tables of alerts (store_sqlite_alerts.c), and what store_open adds
 * for them to a store made before (agent_seqs.opened_at, set to now). */
extern const char store_sqlite_alerts_schema[];
oerr_t store_alerts_ensure(struct store *s, const char *now);

/* Ends the transaction begun for a rebuild: committed when rc is OERR_OK
 * (store_sqlite.c). */
oerr_t figures_end(struct store *s, oerr_t rc);

/* months (issue 13), store_sqlite_months.c: the tables, the rebuild (which
 * sets meta's STORE_MONTHS_FLAG) and the text of the Q_MONTH_* statements
 * (NULL for another). */
#define STORE_MONTHS_FLAG "month_days"
extern const char store_sqlite_months_schema[];
extern const char store_sqlite_months_rebuild[];
const char *store_sqlite_month_text(int which);
/* Where a counted report lies: its local day ("": not counted, a void). */
struct month_key {
    char day[MONTH_DAY_MAX];
};
/* What report r, just stored, adds to its day when it is counted (kept for
 * store_month_count, so that counting it does not read it back). */
void store_month_stash(struct store *s, const struct report *r, const char *voided_by);
/* Report msg_id's figures added to its trip's day (sign 1) or taken out
 * (-1); *k says which day. */
oerr_t store_month_count(struct store *s, const char *msg_id, int sign, struct month_key *k);
/* The month staff of a counted check-in of person staff on trip, in (sign
 * 1) or out (-1), at k's day clamped to the trip's days; a row whose count
 * falls to 0 goes. */
oerr_t store_month_staff_count(struct store *s, const struct month_key *k, const char *trip,
                               const char *staff, int sign);
/* A trip's counted check-ins taken out of county's month staff before its
 * days or county change (_out), and put back in county after (_in, with the
 * rows of county was left at 0 removed). */
oerr_t store_month_trip_out(struct store *s, const char *trip_id, const char *county);
oerr_t store_month_trip_in(struct store *s, const char *trip_id, const char *county,
                           const char *was);
/* Whether the month figures count other reports than the running totals (an
 * older coordinator added or voided reports without them): 1 yes, 0 no, -1
 * the store failed. */
int store_months_stale(struct store *s);

/* The tables of volunteers and registrations (store_sqlite_reg.c), created
 * by store_open after those of trips. */
extern const char store_sqlite_reg_schema[];
/* The tables of targets, villages and trips' villages (store_sqlite_reach.c). */
extern const char store_sqlite_reach_schema[];

static inline oerr_t exec(struct store *s, const char *sql)
{
    return sqldb_exec(s->db, sql) ? OERR_DB : OERR_OK;
}

/* A transaction that writes, one at a time whatever the number of
 * coordinators sharing the store. SQLite: BEGIN IMMEDIATE takes the file's
 * write lock at once. PostgreSQL: every writing transaction first takes the
 * transaction advisory lock STORE_WRITE_KEY (store_pg.c), released by its
 * COMMIT or ROLLBACK, so that the store's rules, written as reads followed by
 * writes (is this msg_id stored? is the void's target? is there a place
 * left?), see everything committed before them, as on SQLite: a resend
 * handled by two coordinators at once is counted once (the second finds the
 * first's row), a void and its target, a pending void, the last place of a
 * trip and a request_id answered once all hold across instances, and two
 * batches never wait for each other's row locks in opposite orders
 * (no deadlock). The coordinators share the rest of the work (decoding,
 * checks, acks, MQTT); a batch's database work is one group commit. */
static inline oerr_t begin_write(struct store *s)
{
    if (sqldb_sqlite(s->db))
        return exec(s, "BEGIN IMMEDIATE");
    if (exec(s, "BEGIN"))
        return OERR_DB;
    if (exec(s, "SELECT pg_advisory_xact_lock(" STORE_WRITE_KEY ")")) {
        exec(s, "ROLLBACK");
        return OERR_DB;
    }
    return OERR_OK;
}

/* A transaction that reads one snapshot throughout (an export's trips and
 * reports): SQLite's always is; PostgreSQL's must be asked for. */
static inline oerr_t begin_snapshot(struct store *s)
{
    return exec(s, sqldb_sqlite(s->db) ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ");
}

/* A prepared statement of the hot path, reset and unbound. */
static inline struct sqlq *stmt(struct store *s, int which)
{
    struct sqlq *st = s->q[which];
    sqlq_reset(st);
    sqlq_clear_bindings(st);
    return st;
}

/* Binds text, or NULL when v is NULL. */
static inline void bind_text(struct sqlq *st, int i, const char *v) { sqlq_bind_text(st, i, v); }

static inline void bind_opt_int(struct sqlq *st, int i, long long v, bool present)
{
    if (present)
        sqlq_bind_int(st, i, v);
    else
        sqlq_bind_null(st, i);
}

/* Steps a statement that returns no rows. */
static inline oerr_t run(struct sqlq *st)
{
    return sqlq_step(st) == SQLDB_DONE ? OERR_OK : OERR_DB;
}

/* Steps an upsert ... RETURNING a count and resets it: *n is the count
 * (left as it was when it returned no row). */
static inline oerr_t run_returning(struct sqlq *st, long long *n)
{
    int rc = sqlq_step(st);
    if (rc == SQLDB_ROW) {
        *n = sqlq_int(st, 0);
        rc = sqlq_step(st);
    }
    sqlq_reset(st);
    return rc == SQLDB_DONE ? OERR_OK : OERR_DB;
}

/* Copies a text column into buf[n]: "" when NULL. */
static inline void column_copy(struct sqlq *st, int col, char *buf, size_t n)
{
    const char *v = sqlq_text(st, col);
    snprintf(buf, n, "%s", v ? v : "");
}

/* An integer column, or -1 when NULL. */
static inline long long column_opt_int(struct sqlq *st, int col)
{
    return sqlq_is_null(st, col) ? -1 : sqlq_int(st, col);
}

#endif
