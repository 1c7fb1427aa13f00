/* store.h -- the coordinator's store: trips, reports (each msg_id once),
 * rejected messages, request replies, the figures progress is made of, agents,
 * and volunteers with their registrations. The only way into SQL: the SQLite
 * backend is store_sqlite*.c. */
#ifndef OUTREACH_STORE_H
#define OUTREACH_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent_status.h"
#include "ids.h"
#include "oerr.h"
#include "report.h"
#include "request.h"
#include "timeutil.h"

struct store;

/* Opens (creating if needed) the store at path for the daemon, and brings
 * its tables up to date. Opening checks what is cheap and bounded whatever
 * the number of reports: the file's header, its schema, and every table
 * that does not grow with the reports (trips, totals, agents, volunteers,
 * settings) with PRAGMA quick_check(TABLE); store_check checks the rest.
 * OERR_CORRUPT when that finds damage; err says more. */
oerr_t store_open(const char *path, struct store **out, char err[256]);
/* Whether path names a PostgreSQL database (postgresql://USER@HOST:PORT/DB,
 * or postgres://...) rather than a SQLite file. store_open and
 * store_open_read take either: on PostgreSQL the open brings the schema up
 * to date by its versioned migrations (store_pg.c), and several coordinators
 * may share the database. */
bool store_is_server(const char *path);
/* store_open also holds the file path + "-lock" (shared) while the store is
 * open, and fails with OERR_REJECTED while a rebuild holds it alone. */
/* Opens the existing store at path for reading only (the CLI's reads), with
 * the same check; nothing is written and no lock is taken beyond a read.
 * OERR_NOTFOUND when there is no file; OERR_REJECTED (err says what) when
 * the store is not as this program's
 * store_open leaves it: another layout (an older or newer coordinator opened
 * it last), or figures missing or older than the reports (an older
 * coordinator wrote it). */
oerr_t store_open_read(const char *path, struct store **out, char err[256]);
/* Makes the hold of s (from store_open) exclusive, for a rebuild: OERR_REJECTED
 * (err says why) when another program has the store open with store_open,
 * such as the daemon. Kept until store_close. */
oerr_t store_hold_alone(struct store *s, char err[256]);
/* Whether a program has the store at path open with store_open, or open
 * at all (any SQLite connection in WAL mode: a coordinator from before the
 * -lock file, a reader), without opening it: OERR_OK none, OERR_REJECTED
 * (err says so) one has. What a rebuild asks before its store_open, which
 * may write; only before this process opens the store. */
oerr_t store_held(const char *path, char err[256]);
void store_close(struct store *s);
/* Whether SQLite found the file of s damaged: its last failure, or one that
 * made a transaction fail before store_rollback. */
bool store_damaged(const struct store *s);
/* What SQLite said then ("database disk image is malformed"), or NULL. */
const char *store_damage(const struct store *s);

/* The full check of the store at path (PRAGMA integrity_check, or with quick
 * PRAGMA quick_check, which skips comparing indexes with their tables), read
 * only, safe while the daemon runs. fn(ctx, problem) is called for each
 * problem found, at most 100; non-zero stops. OERR_OK when the store is sound,
 * OERR_CORRUPT when it is damaged (err says how much), OERR_NOTFOUND when
 * there is no file, OERR_DB when it could not be checked (err says why). */
oerr_t store_check(const char *path, bool quick, int (*fn)(void *, const char *), void *ctx,
                   char err[256]);

/* From now until store_close, the WAL is copied back into the store by a
 * thread of its own (a second connection), not by the commit that filled it:
 * a commit never waits for a checkpoint (store_sqlite_ckpt.c says why). For
 * the daemon. */
oerr_t store_checkpoint_behind(struct store *s);

/* Whether this program is the coordinator that publishes the retained
 * topics (progress, trip cards, devices, alerts) among those sharing the
 * store: on SQLite always (one coordinator has the file); on PostgreSQL the
 * holder of a session advisory lock, which the others try to take at each
 * call (at most every half second) and which goes with its holder's
 * connection: a leader that dies, or loses the database, is replaced at the
 * next call of another, within about a second. Before saying yes to a
 * leader, a call checks that its connection (and so its lock) still lives.
 * *changed tells that the answer differs from the last call's. Outside a
 * transaction. */
bool store_leader(struct store *s, bool *changed);

/* What the transaction in progress changed, for the leader (a follower's
 * publish_announce): delivered to the other coordinators when it commits,
 * not at all when it rolls back (PostgreSQL NOTIFY; SQLite, one
 * coordinator: nothing); what is text, at most 7,999 bytes (the service
 * sends a batch's marks a line each). store_announced calls fn(ctx, what) for each that
 * others committed since the last call (with the daemon's store; "all" when
 * some may have been missed: a reconnection). */
oerr_t store_announce(struct store *s, const char *what);
oerr_t store_announced(struct store *s, void (*fn)(void *, const char *), void *ctx);

/* Transactions: every write below runs inside one. */
oerr_t store_begin(struct store *s);
oerr_t store_commit(struct store *s);
void store_rollback(struct store *s);
const char *store_errmsg(const struct store *s);

/* ---- reports: plain operations; coordinator/intake.c decides with them ---- */

/* What the store holds under one msg_id: the report kept under it (stored)
 * and the final refusal kept for it (refused). Both may be set: a msg_id
 * refused to one agent may later be used by another. */
struct msg_record {
    bool stored;
    char agent_id[ID_MAX + 1]; /* the stored report's */
    enum report_kind kind;
    char trip_id[ID_MAX + 1];
    char voided_by[UUID_LEN + 1]; /* the void that took it out; "" while it counts */
    bool refused;
    char refused_agent[ID_MAX + 1]; /* to whom msg_id was refused */
    enum reject_code code;
    char reason[JERR_MAX];
};
/* Looks msg_id up, one indexed read whatever is found. */
oerr_t store_msg_find(struct store *s, const char *msg_id, struct msg_record *out);

/* Keeps a decoded report, its fields (received at received_at; the JSON it
 * came in is not kept). voided_by is NULL or "", or the msg_id of a void that
 * came first: the report is kept already voided. Its figures are not counted
 * here (store_report_count). */
oerr_t store_report_insert(struct store *s, const struct report *r, const char *received_at,
                           const char *voided_by);
/* Marks the stored report msg_id voided by void_msg_id. */
oerr_t store_report_void(struct store *s, const char *msg_id, const char *void_msg_id);
/* Adds the figures of the stored report msg_id to its trip's running totals
 * (sign 1), or takes them out (sign -1). A void has no figures. */
oerr_t store_report_count(struct store *s, const char *msg_id, int sign);
/* Computes every figure again from the reports not voided, in a transaction
 * of its own: each trip's running totals and the staff counted per trip, per
 * year (with each person's first week) and per year and county. store_open
 * does it for a store that lacks them, and the staff figures again for a
 * store an older coordinator wrote since (its check-ins changed without
 * them, which the open finds in a row per trip, and logs); otherwise
 * store_report_count keeps them, so that store_totals and store_weekly read a
 * row per trip or person. */
oerr_t store_totals_rebuild(struct store *s);
/* What the figures hold: trips with running totals, the counted reports in
 * them, and the people counted per trip, per year and per year and county
 * (rows of trip_staff, year_staff and county_staff). */
struct figures_count {
    long long trips, reports, trip_staff, year_staff, county_staff, trip_people;
    long long month_rows, month_staff; /* rows of month_days and month_staff */
};
oerr_t store_figures_count(struct store *s, struct figures_count *out);

/* Remembers that msg_id was refused to agent_id for good (code, reason, at
 * most JERR_MAX); the first refusal of a msg_id stays. The oldest are dropped
 * past a million. */
oerr_t store_refusal_put(struct store *s, const char *msg_id, const char *agent_id,
                         enum reject_code code, const char *reason);

/* Voids waiting for their target: the void void_msg_id of agent_id names
 * target, which has not arrived. find copies the waiting void's msg_id, take
 * does too and forgets it; both return OERR_NOTFOUND when none waits. */
oerr_t store_pending_void_put(struct store *s, const char *agent_id, const char *target,
                              const char *void_msg_id);
oerr_t store_pending_void_find(struct store *s, const char *agent_id, const char *target,
                               char void_msg_id[UUID_LEN + 1]);
oerr_t store_pending_void_take(struct store *s, const char *agent_id, const char *target,
                               char void_msg_id[UUID_LEN + 1]);

/* Keeps a refused message for inspection; at most max_rejects are kept, the
 * oldest dropped first and counted (store_rejects_dropped). */
oerr_t store_keep_reject(struct store *s, const char *received_at, const char *topic,
                         const char *agent_id, const char *msg_id, enum reject_code code,
                         const char *reason, const void *payload, size_t len,
                         long long max_rejects);
long long store_rejects_count(struct store *s);
long long store_rejects_dropped(struct store *s);

/* Trips. status is "planned", "completed" or "cancelled". */
struct trip_row {
    char trip_id[65], status[12], date[11], county[65], county_name[200];
    char last_day[11]; /* its end_date, or date for a one-day trip */
    int year;
};
/* Creates or updates a trip. OERR_REJECTED with why when it may not change
 * (a cancelled trip). */
oerr_t store_trip_upsert(struct store *s, const struct trip_def *t, const char *now,
                         char why[JERR_MAX]);
/* Sets status to "cancelled" or "completed"; OERR_NOTFOUND, or OERR_REJECTED
 * with why (completing a cancelled trip, cancelling a completed one). Setting
 * the status a trip already has is fine. */
oerr_t store_trip_set_status(struct store *s, const char *trip_id, const char *status,
                             const char *now, char why[JERR_MAX]);
oerr_t store_trip_get(struct store *s, const char *trip_id, struct trip_row *out);
/* Everything trip.upsert said of a trip, with its status: what its card
 * (tripcard.h) and the registry read. Text is "" when absent. */
struct trip_detail {
    char trip_id[ID_MAX + 1], title[JTEXT_MAX_BYTES + 1];
    char date[11], end_date[11]; /* end_date "" for a one-day trip */
    char site_code[ID_MAX + 1], site_name[JTEXT_MAX_BYTES + 1];
    char county[ID_MAX + 1], county_name[JTEXT_MAX_BYTES + 1];
    char township[JTEXT_MAX_BYTES + 1];
    bool poor_village;
    char mode[32];               /* one of mode_names */
    unsigned activities;         /* bit i: activity_names[i] */
    unsigned departments;        /* bit i: department_names[i] */
    int capacity[ROLE_COUNT];    /* places per role, 0 when not offered */
    char status[12];             /* "planned", "completed" or "cancelled" */
    char updated_at[TU_TS_MAX];
};
/* OERR_NOTFOUND for an unknown trip. */
oerr_t store_trip_detail(struct store *s, const char *trip_id, struct trip_detail *out);
/* Calls fn for every trip (ordered by date), stopping when it returns non-zero. */
oerr_t store_trips_each(struct store *s, int (*fn)(void *, const struct trip_row *), void *ctx);

/* Request replies kept for idempotency: the same (scope, requester,
 * request_id) gets the stored reply while it is kept, that is while it is
 * among that requester's latest `keep` replies and younger than `days` days
 * (STORE_REPLY_KEEP and STORE_REPLY_DAYS unless store_set_reply_limits says
 * otherwise). store_reply_put trims that requester's older replies, and once
 * a day every requester's replies past the age. store_reply_get returns a
 * string the caller frees, or NULL when none is stored. now is an RFC 3339
 * timestamp. */
#define STORE_REPLY_KEEP 200
#define STORE_REPLY_DAYS 30
void store_set_reply_limits(struct store *s, long long keep, long long days);
char *store_reply_get(struct store *s, const char *scope, const char *requester,
                      const char *request_id);
oerr_t store_reply_put(struct store *s, const char *scope, const char *requester,
                       const char *request_id, const char *reply, const char *now);
/* How many replies are kept for one requester of scope, or (requester NULL)
 * for all of them; -1 when the store failed. */
long long store_replies_count(struct store *s, const char *scope, const char *requester);

/* Figures of accepted, not voided reports on the trips selected by a filter:
 * a year (all its trips), optionally one county, or one trip. */
struct totals {
    long long consultations, headcounts, female, over_60, poor_households;
    long long value_fen, dispenses;
    long long referrals, by_destination[DEST_COUNT];
    long long brochures, attendees, talks, education_reports;
    long long checkins, staff; /* staff: distinct non-support staff_id */
    long long trips_planned, trips_completed, trips_cancelled;
};
struct totals_filter {
    int year;              /* required unless trip_id */
    const char *county;    /* NULL: every county */
    const char *trip_id;   /* non-NULL: that trip only */
};
oerr_t store_totals(struct store *s, const struct totals_filter *f, struct totals *t);

/* The year week by week (week w covers days 7w+1..7w+7 of the year, counted
 * from January 1, by the trips' dates): consultations counted in each week,
 * and staff (non-support) whose first check-in of the year falls in it.
 * Arrays of STORE_WEEKS, zeroed first. */
#define STORE_WEEKS 53
oerr_t store_weekly(struct store *s, int year, long long consultations[STORE_WEEKS],
                    long long staff[STORE_WEEKS]);

/* ---- months (issue 13): the year month by month ----
 * A report's month is the local date of its recorded_at at the store's month
 * offset (see store_month_offset; the coordinator's tz_offset_min, +08:00 by
 * default) clamped to its trip's days [date, end_date]: made during the trip
 * it counts on its day (23:30 on 31 January +08:00 is 31 January), typed in
 * after on the trip's last day, before on its first. The year is that day's.
 * Kept incrementally by store_report_count (a void takes a report out of its
 * month) and by store_trip_upsert (a trip moved to other days or another
 * county takes its months along), rebuilt with the other figures
 * (store_sqlite_months.c). */
#define STORE_DEPARTMENTS 9 /* department_names, in order */
#define STORE_URGENCIES 3   /* urgency_names, in order */
struct month_figures {
    long long consultations, by_department[STORE_DEPARTMENTS];
    long long female, over_60, poor_households;
    long long staff; /* distinct non-support staff_id checked in that month */
    long long value_fen, dispenses;
    long long referrals, by_destination[DEST_COUNT], by_urgency[STORE_URGENCIES];
    long long brochures, attendees, talks, education; /* education: its reports */
};
/* out[0..11]: January..December of year, on every trip (county NULL) or the
 * trips of county (at the time of reading: a moved trip's months go with
 * it). Zeroed first. */
oerr_t store_months(struct store *s, int year, const char *county, struct month_figures out[12]);
/* Sets the offset (minutes east of UTC) that places reports in months; when
 * it differs from the one the store's month figures were kept at, they are
 * computed again (in a transaction of its own). A new store starts at
 * TU_SITE_OFFSET_MIN. */
oerr_t store_month_offset(struct store *s, int offset_min);
/* The counties whose trips (as they are now) have month figures in year,
 * even all zero (reports voided): fn(ctx, county, county_name). */
oerr_t store_month_counties_each(struct store *s, int year,
                                 int (*fn)(void *, const char *, const char *), void *ctx);

/* Counties with trips in a year or targets for it, by code: fn(ctx, county,
 * county_name); the name is the year's trips', else any trip's, else the
 * villages register's, else the code. */
oerr_t store_counties_each(struct store *s, int year,
                           int (*fn)(void *, const char *, const char *), void *ctx);
/* Years that have trips or county targets: fn(ctx, year). */
oerr_t store_years_each(struct store *s, int (*fn)(void *, int), void *ctx);

/* Which reports store_export_csv writes: every one when all are unset. */
struct export_filter {
    int year;             /* 0: any; else the year of the report's trip */
    const char *county;   /* NULL: any; else the county code of the report's trip */
    const char *from, *to; /* NULL, or YYYY-MM-DD: the date of the report's
                           * recorded_at at offset_min, from and to included */
    int offset_min;       /* minutes east of UTC that from and to are dates in */
};
/* Writes the accepted reports that f selects (f NULL: all) as CSV (header
 * first) to file, from one read transaction, in the order they arrived. */
oerr_t store_export_csv(struct store *s, const struct export_filter *f, void *file);

/* ---- agents: when each was last seen, which seqs it sent, its status ---- */

/* The seqs an agent sent are kept as ranges of consecutive numbers, so an
 * agent that works normally costs one row however many reports it sends.
 * An agent that scatters its seqs is bounded: past this many ranges a seq
 * that would start a new one is not recorded, only counted (seqs_untracked),
 * and shows as missing. */
#define STORE_SEQ_RANGES_MAX 10000

/* Notes a message of agent_id received at now (its last_seen), and, when
 * seq > 0, that the agent used seq (a resend changes nothing). */
oerr_t store_agent_seen(struct store *s, const char *agent_id, long long seq, const char *now);
/* The same for n messages of agent_id at once (one batch): seqs in ascending
 * order, each as store_agent_seen takes it (0 or out of range: none). The
 * outcome is that of n calls of store_agent_seen, in a few statements when
 * the seqs run on from what the agent sent before. */
oerr_t store_agent_seen_seqs(struct store *s, const char *agent_id, const long long *seqs,
                             size_t n, const char *now);
/* The trip of the latest report of agent_id (by seq): trip_seq's report is
 * about trip_id. Kept when trip_seq is below the seq of the one noted. */
oerr_t store_agent_report_trip(struct store *s, const char *agent_id, const char *trip_id,
                               long long trip_seq);

/* Stores a status message of its agent, received at now. A birth replaces
 * what the last status said; a will sets offline and keeps the fields it does
 * not carry. live is false for a retained message the broker replays at
 * subscription: when it says what is stored already, nothing changes. A live
 * birth is also a sign of life (last_seen); a will, sent by the broker, is not. */
oerr_t store_agent_status(struct store *s, const struct agent_status *st, bool live,
                          const char *now);

/* What the store knows of one agent; "" and -1 when unknown. */
struct agent_row {
    char agent_id[ID_MAX + 1];
    int online;                /* 1, 0, or -1 when no status was seen */
    char last_seen[TU_TS_MAX]; /* latest report or live birth */
    long long last_seq;        /* highest seq seen, 0 when none */
    long long seqs_untracked;  /* seqs not recorded past STORE_SEQ_RANGES_MAX */
    /* From its last status message, received at status_at. */
    long long pending, reported_last_seq;
    char since[TU_TS_MAX], trip_id[ID_MAX + 1], status_at[TU_TS_MAX];
    /* The trip of its latest report by seq ("" none: store_agent_report_trip). */
    char report_trip[ID_MAX + 1];
};
/* Calls fn for every agent, ordered by agent_id, stopping when it returns
 * non-zero. */
oerr_t store_agents_each(struct store *s, int (*fn)(void *, const struct agent_row *),
                         void *ctx);
/* One agent's row; OERR_NOTFOUND when the store does not know it. */
oerr_t store_agent_get(struct store *s, const char *agent_id, struct agent_row *out);

/* The seqs from 1 to last_seq that were never seen, as text: "3, 7-9"; past
 * STORE_MISSING_RANGES ranges it ends in ", ... (N missing in all)". The
 * work is one ordered pass over the agent's ranges, whatever the numbers. */
#define STORE_MISSING_RANGES 20
#define STORE_MISSING_TEXT_MAX (STORE_MISSING_RANGES * 36 + 64)
struct seq_gaps {
    long long count; /* numbers missing in all */
    long long ranges;
    char text[STORE_MISSING_TEXT_MAX];
    long long range[STORE_MISSING_RANGES][2]; /* the first ranges: lo, hi */
};
oerr_t store_agent_missing(struct store *s, const char *agent_id, long long last_seq,
                           struct seq_gaps *out);

/* ---- alerts: coordinator/alerts.c decides, the store keeps ---------------
 * One row per alert_id as last decided (open, or cleared and kept), and a
 * history of every raise, change of level and clearing. */
#define STORE_ALERT_ID_MAX 160
#define STORE_ALERT_JSON_MAX 400
struct alert_row {
    char alert_id[STORE_ALERT_ID_MAX];
    char kind[16], level[16], state[16]; /* state "open" or "cleared" */
    char since[TU_TS_MAX], cleared_at[TU_TS_MAX]; /* cleared_at "" while open */
    char subject[STORE_ALERT_JSON_MAX], detail[STORE_ALERT_JSON_MAX]; /* JSON objects */
    char updated_at[TU_TS_MAX];
    /* When the retained message of a cleared alert was removed
     * (alert_keep_cleared_h after its clearing); "" while it is retained. */
    char unretained_at[TU_TS_MAX];
};
/* Opens alert a (kind, level, since, subject, detail), as new or again after
 * it was cleared, and notes it in the history. */
oerr_t store_alert_raise(struct store *s, const struct alert_row *a);
/* An open alert's new level and detail (its since stays); OERR_NOTFOUND when
 * it is not open. */
oerr_t store_alert_relevel(struct store *s, const char *alert_id, const char *level,
                           const char *detail, const char *now);
/* An open alert's figures moved: its new detail, nothing else changes (no
 * history row: the history keeps raises, changes of level and clearings);
 * OERR_NOTFOUND when it is not open. */
oerr_t store_alert_update(struct store *s, const char *alert_id, const char *detail,
                          const char *now);
/* The retained message of cleared alert_id was removed at now (the row and
 * its history stay); OERR_NOTFOUND when it is not cleared. Raising it again
 * makes it retained again. */
oerr_t store_alert_unretained(struct store *s, const char *alert_id, const char *now);
/* Clears an open alert at now; OERR_NOTFOUND when it is not open. */
oerr_t store_alert_clear(struct store *s, const char *alert_id, const char *now);
/* OERR_NOTFOUND for an unknown alert. */
oerr_t store_alert_get(struct store *s, const char *alert_id, struct alert_row *out);
/* The open alerts (all: the cleared ones too), by alert_id; fn returns
 * non-zero to stop. */
oerr_t store_alerts_each(struct store *s, bool all, int (*fn)(void *, const struct alert_row *),
                         void *ctx);
/* History rows of an alert (event "raised", "relevelled", "cleared", or NULL:
 * all); -1 when the store failed. */
long long store_alert_history_count(struct store *s, const char *alert_id, const char *event);
/* The agents whose status names a planned trip held on today (YYYY-MM-DD,
 * between its date and end date), with what alerts.c needs of them. */
struct site_agent_row {
    char trip_id[ID_MAX + 1], agent_id[ID_MAX + 1], date[11], end_date[11];
    int online; /* 1, 0, -1 no status */
    char last_seen[TU_TS_MAX], status_at[TU_TS_MAX]; /* "" unknown */
};
oerr_t store_site_agents_each(struct store *s, const char *today,
                              int (*fn)(void *, const struct site_agent_row *), void *ctx);
/* The agents with seqs missing, by agent_id: how many (as
 * store_agent_missing counts them) and when the oldest gap still open
 * opened (the first time a seq above it was seen; "" when that is not known:
 * seqs past STORE_SEQ_RANGES_MAX). One pass over the agents' ranges. */
struct gapped_agent_row {
    char agent_id[ID_MAX + 1];
    long long missing;
    char opened_at[TU_TS_MAX];
};
oerr_t store_gapped_agents_each(struct store *s,
                                int (*fn)(void *, const struct gapped_agent_row *), void *ctx);

/* ---- volunteers and their registrations (the registry's data) -------------
 * The rules (first come, first served, promotions, clashes, notices) are
 * registry.c's; the store keeps and finds. */

/* Registration states, as stored and as sent in replies. */
#define REG_CONFIRMED "confirmed"
#define REG_WAITLISTED "waitlisted"
#define REG_CANCELLED "cancelled"           /* by the volunteer */
#define REG_TRIP_CANCELLED "trip_cancelled" /* the trip was cancelled */

/* A volunteer's profile (personal data: for the coordinator's eyes only). */
struct volunteer_row {
    char volunteer_id[ID_MAX + 1];
    char name[257], phone[65], organization[257];
    unsigned roles; /* bit i: role_names[i] */
    char updated_at[TU_TS_MAX];
};
/* OERR_NOTFOUND when the volunteer set no profile. */
oerr_t store_volunteer_get(struct store *s, const char *volunteer_id,
                           struct volunteer_row *out);
/* Creates or replaces a profile; organization may be NULL. */
oerr_t store_volunteer_put(struct store *s, const char *volunteer_id, const char *name,
                           const char *phone, const char *organization, unsigned roles,
                           const char *now);

/* One registration, as the registry's rules need it. Registrations are kept
 * one per attempt, in order of arrival (id); at most one per volunteer and
 * trip is live (confirmed or waitlisted). */
struct reg_ref {
    long long id;
    char trip_id[ID_MAX + 1];
    char volunteer_id[ID_MAX + 1];
    int role;       /* index in role_names, -1 when unknown */
    char state[16]; /* REG_* */
};
/* A list of registrations the caller owns: start it zeroed, free it with
 * reg_list_free (which accepts NULL). The store functions append to it. */
struct reg_list {
    struct reg_ref *v;
    size_t n, cap;
};
void reg_list_free(struct reg_list *l);

/* The live registration of a volunteer for a trip; OERR_NOTFOUND when none. */
oerr_t store_reg_live(struct store *s, const char *volunteer_id, const char *trip_id,
                      struct reg_ref *out);
/* Adds a registration in state (REG_CONFIRMED or REG_WAITLISTED); its id
 * (order of arrival) goes to *id. */
oerr_t store_reg_add(struct store *s, const char *trip_id, const char *volunteer_id, int role,
                     const char *state, const char *now, long long *id);
oerr_t store_reg_set_state(struct store *s, long long id, const char *state, const char *now);
/* Every live registration of a trip becomes REG_TRIP_CANCELLED. */
oerr_t store_reg_cancel_trip(struct store *s, const char *trip_id, const char *now);
/* The number of registrations of a trip and role in a state; -1 when the
 * store failed. */
long long store_reg_count(struct store *s, const char *trip_id, int role, const char *state);
/* The wait-list position of registration id, which must be wait-listed
 * (1 = next in line): the wait-listed registrations of its trip and role
 * that came before it, and itself. 0 when the store failed. */
long long store_reg_position(struct store *s, long long id);
/* The wait-list of a trip's role, first in line first. */
oerr_t store_reg_waitlist(struct store *s, const char *trip_id, int role, struct reg_list *out);
/* The live registrations of a trip, in order of arrival. */
oerr_t store_reg_live_of_trip(struct store *s, const char *trip_id, struct reg_list *out);
/* Where a volunteer waits on planned trips, by trip_id then role; at most max. */
oerr_t store_reg_waiting_of(struct store *s, const char *volunteer_id, size_t max,
                            struct reg_list *out);
/* A confirmed place of the volunteer on another trip, not cancelled, whose
 * dates meet start..end (the earliest such trip); OERR_NOTFOUND when none. */
struct reg_clash {
    char trip_id[ID_MAX + 1];
    char start[11], end[11]; /* end = start for a one-day trip */
};
oerr_t store_reg_clash(struct store *s, const char *volunteer_id, const char *trip_id,
                       const char *start, const char *end, struct reg_clash *out);

/* A volunteer's registrations with their trips, the latest trips first
 * (date, then arrival), at most max: fn returns non-zero to stop. */
struct volunteer_reg_row {
    struct reg_ref reg;
    char date[11], title[JTEXT_MAX_BYTES + 1], trip_status[12];
};
oerr_t store_volunteer_regs_each(struct store *s, const char *volunteer_id, int max,
                                 int (*fn)(void *, const struct volunteer_reg_row *),
                                 void *ctx);

/* ---- registrations read for the trip cards, progress and the CLI ---- */

struct role_places {
    int capacity, confirmed, waitlisted, open; /* open = max(0, capacity - confirmed) */
};
/* Places of every role of a trip (all zero for a role the trip lacks).
 * OERR_NOTFOUND for an unknown trip. */
oerr_t store_trip_places(struct store *s, const char *trip_id,
                         struct role_places out[ROLE_COUNT]);

/* One registration, with its volunteer's profile (for the coordinator's eyes
 * only: the CLI; never on a topic). */
struct reg_row {
    long long id; /* order of arrival */
    char trip_id[ID_MAX + 1];
    char volunteer_id[ID_MAX + 1];
    int role;        /* index in role_names */
    char state[16];  /* REG_* */
    long long position; /* wait-list position (1 = next), 0 unless waitlisted */
    bool checked_in; /* a counted check-in of this trip has staff_id = volunteer_id */
    char created_at[TU_TS_MAX], updated_at[TU_TS_MAX];
    struct volunteer_row v;
};
/* Every registration of a trip, in the order: role, confirmed before
 * waitlisted before cancelled ones, then arrival. fn returns non-zero to stop. */
oerr_t store_trip_regs_each(struct store *s, const char *trip_id,
                            int (*fn)(void *, const struct reg_row *), void *ctx);

/* The counted (not voided) check-ins of a trip whose staff_id matches no
 * confirmed registration of it: people who came without registering. */
struct walkin_row {
    char staff_id[ID_MAX + 1];
    int role;
    char organization[257];
};
oerr_t store_trip_walkins_each(struct store *s, const char *trip_id,
                               int (*fn)(void *, const struct walkin_row *), void *ctx);

/* Registered-and-came (confirmed, checked in), registered-but-absent
 * (confirmed, no check-in) and came-unregistered (distinct staff_id of
 * counted check-ins without a confirmed registration). */
struct attendance {
    long long came, absent, unregistered;
};
oerr_t store_trip_attendance(struct store *s, const char *trip_id, struct attendance *out);

/* ---- reach: targets per county and township, the villages register, which
 * village a trip is at, and what coverage is computed from
 * (store_sqlite_reach.c) ---- */

/* A year's targets of a county (township "") or of one township of it.
 * Kept from targets.set requests (source "admin") and from the config's
 * targets_file (source "config"): an admin's row is never replaced by the
 * file's, the file's rows are by an admin's. */
struct target_row {
    int year;
    char county[ID_MAX + 1], township[JTEXT_MAX_BYTES + 1];
    long long consultations, staff;
    char source[8], updated_at[TU_TS_MAX];
};
/* Stores t (t->township "" for the county's own row); from_config: the
 * row does not replace an admin's. */
oerr_t store_target_put(struct store *s, const struct target_row *t, bool from_config,
                        const char *now);
/* The county's targets for the year: its own row, else the sum of its
 * townships' rows; OERR_NOTFOUND when it has neither. */
oerr_t store_county_target(struct store *s, int year, const char *county,
                           long long *consultations, long long *staff);
/* Removes the target row of year, county and township ("" for the county's
 * own): OERR_NOTFOUND when there is none; source gets where it came from
 * ("admin" or "config": a config row comes back at the next start). */
oerr_t store_target_delete(struct store *s, int year, const char *county, const char *township,
                           char source[8]);
/* *known: the county (and, township not NULL, that township of it) is in the
 * villages register or at the site of some trip, of any year. */
oerr_t store_place_known(struct store *s, const char *county, const char *township, bool *known);
/* Every target row of a year (0: every year), by year, county, township. */
oerr_t store_targets_each(struct store *s, int year,
                          int (*fn)(void *, const struct target_row *), void *ctx);

struct village_row {
    char code[ID_MAX + 1], name[JTEXT_MAX_BYTES + 1], township[JTEXT_MAX_BYTES + 1];
    char county[ID_MAX + 1], county_name[JTEXT_MAX_BYTES + 1];
    bool poor;
};
/* Creates or replaces the village of code v->code; the trips at it take its
 * poor (their poor_village follows the register). */
oerr_t store_village_put(struct store *s, const struct village_row *v, const char *now);
/* A trip at village v->code whose site is in another county than v's, or
 * names another township: its id, county and township in *t (trip_id ""
 * when there is none). */
oerr_t store_village_trip_elsewhere(struct store *s, const struct village_row *v,
                                    struct trip_detail *t);
/* OERR_NOTFOUND when the register has no such code. */
oerr_t store_village_get(struct store *s, const char *code, struct village_row *out);
/* The first village (by code) of the register in county, other than
 * not_code (NULL: any): its county_name is the county's name in the
 * register. OERR_NOTFOUND when there is none. */
oerr_t store_county_village(struct store *s, const char *county, const char *not_code,
                            struct village_row *out);
/* How many villages the register holds (poor: the poor ones only); -1 on failure. */
long long store_villages_count(struct store *s, bool poor_only);
/* The village a trip is at (village NULL: none). */
oerr_t store_trip_village_set(struct store *s, const char *trip_id, const char *village);
/* "" when the trip names none. */
oerr_t store_trip_village(struct store *s, const char *trip_id, char village[ID_MAX + 1]);
/* Every poor village (by county, township, code), once per trip of the year
 * at it (trip_id "" when none): the trip's status, date and counted
 * consultations. coverage.c decides which rows reach the village. */
struct coverage_row {
    struct village_row v;
    char trip_id[ID_MAX + 1], status[12], date[11];
    long long consultations;
};
oerr_t store_coverage_each(struct store *s, int year,
                           int (*fn)(void *, const struct coverage_row *), void *ctx);

#endif
