/* alerts.h -- what is wrong in the field, decided: sites gone silent on their
 * trip's day, counties behind their pace, agents whose seq gaps stay open.
 * Pure functions over a snapshot of what the store knows and a clock passed
 * in (tests use a fake one); the caller (alerts_run.c) stores and publishes
 * what they return. */
#ifndef OUTREACH_ALERTS_H
#define OUTREACH_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum alert_kind { ALERT_SITE_SILENT, ALERT_COUNTY_BEHIND, ALERT_SEQ_GAP, ALERT_KIND_COUNT };
/* "site_silent", "county_behind", "seq_gap": the contract's kind. */
extern const char *const alert_kind_names[ALERT_KIND_COUNT];
/* The kind named s, or -1. */
int alert_kind_parse(const char *s);

/* The rules' settings (coord_config's alert_* options). */
struct alert_rules {
    long long offline_min; /* an agent offline this long in working hours: silent */
    long long quiet_min;   /* online, nothing heard this long in working hours: silent */
    int work_start_min, work_end_min; /* working hours, minutes of the day at tz_offset_min */
    long long behind_pct;  /* a county this many percent below its expected-to-date */
    long long gap_min;     /* a seq gap open this long */
    int tz_offset_min;     /* the coordinator's offset, of dates and working hours */
};

/* Parses "HH:MM-HH:MM" (00:00 to 24:00, start before end) into minutes of
 * the day. Returns 0, or -1 when it is not that. */
int alerts_parse_hours(const char *s, int *start_min, int *end_min);

/* One agent serving a trip (its status names the trip). Times: -1 unknown. */
struct alert_site {
    const char *trip_id, *agent_id;
    const char *date, *end_date; /* the trip's days, YYYY-MM-DD; end_date "" or NULL: one day */
    int online;                  /* 1, 0, or -1 when no status was seen */
    time_t last_heard;           /* its latest report or live birth */
    time_t status_at;            /* when its last status (birth or will) arrived */
};
/* A county's figure of a year that has a target. */
struct alert_county {
    int year;
    const char *county;
    const char *figure; /* "consultations" or "staff" */
    long long count, expected; /* expected: expected-to-date */
    long long target;          /* the year's target (its 1% is on pace: progress_pace) */
};
/* An agent's seqs never seen. */
struct alert_gaps {
    const char *agent_id;
    long long missing;  /* numbers missing in all */
    time_t oldest;      /* when the oldest gap still open opened; -1 unknown */
};
/* An alert open in the store. detail: its stored detail (JSON text); NULL
 * when the caller does not know it, then it is not compared (no
 * ALERT_UPDATE). */
struct alert_open {
    const char *alert_id, *level;
    time_t since;
    const char *detail;
};
struct alert_snapshot {
    const struct alert_site *sites;
    size_t nsites;
    const struct alert_county *counties;
    size_t ncounties;
    const struct alert_gaps *gaps;
    size_t ngaps;
    const struct alert_open *open;
    size_t nopen;
    /* The day trips are held on, YYYY-MM-DD; NULL: now's date at tz_offset_min
     * (alerts_run.c passes OUTREACH_TODAY's day when it is set, as progress
     * does, for demos that replay a given day). */
    const char *today;
};

#define ALERT_ID_MAX 160
#define ALERT_JSON_MAX 400
/* An alert: subject and detail are JSON objects (the contract's). */
struct alert {
    char alert_id[ALERT_ID_MAX];
    enum alert_kind kind;
    const char *level; /* "warning" or "critical" */
    time_t since;
    char subject[ALERT_JSON_MAX], detail[ALERT_JSON_MAX];
};
enum alert_action {
    ALERT_RAISE,   /* not open: open it, since = now */
    ALERT_RELEVEL, /* open, its level changed: level and detail change, since stays */
    ALERT_CLEAR,   /* open, its cause is gone (only alert_id is set) */
    ALERT_UPDATE,  /* open, same level, its figures moved: detail changes, since stays */
};
struct alert_change {
    enum alert_action action;
    struct alert a;
};

/* What to raise, relevel and clear at now, given the snapshot: an array the
 * caller frees in *out, its length in *n (0: nothing to do). An open alert
 * never raised again: it keeps its since; when its figures move (the detail
 * differs from the open one's) it is an ALERT_UPDATE with the new detail.
 * Returns 0, or -1 out of memory.
 *
 * - site_silent.{trip_id}.{agent_id}: on the trip's days (today at
 *   tz_offset_min between date and end_date), the agent has been offline for
 *   offline_min minutes of today's working hours (critical), or online and
 *   not heard for quiet_min of them (warning). Open, it stays while the
 *   agent is offline and until it is heard at or after its since (a live
 *   birth or a report; times have seconds) or a status saying online arrives
 *   then (a birth retained while the coordinator was away), or the trip's
 *   days are over.
 * - county_behind.{year}.{county}: a figure of the county is more than
 *   behind_pct percent below its expected-to-date (critical past twice that);
 *   the figure furthest behind is in the detail's figure, count, expected
 *   and share_behind, and every figure of the county below its
 *   expected-to-date (consultations, staff) in its shortfalls array.
 * - seq_gap.{agent_id}: the agent's oldest open seq gap opened gap_min
 *   minutes ago or more (warning).
 * An open alert whose cause is not in the snapshot any more is cleared. */
int alerts_evaluate(const struct alert_rules *r, const struct alert_snapshot *snap, time_t now,
                    struct alert_change **out, size_t *n);

/* Minutes of [from, to] that fall within the working hours of to's day
 * (at tz_offset_min); 0 when from is after to. */
long long alerts_work_minutes(const struct alert_rules *r, time_t from, time_t to);

/* The alert in English, from kind, subject and detail (JSON texts):
 * "site silent: agent a1 on trip T1 offline for 45 min". */
void alerts_words(const char *kind, const char *subject, const char *detail, char *buf,
                  size_t size);

#endif
