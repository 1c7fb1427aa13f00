/* test_alerts.c -- the alert rules with a fake clock (alerts.c: raise, not
 * before its time, clear, working hours' edges, an open alert kept with its
 * since), and the alerter over a real store (alerts_run.c: stored,
 * published retained, not raised again after a restart, cleared when the
 * agent is heard; when a seq gap opened; counties behind their targets). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "agent_status.h"
#include "alerts.h"
#include "alerts_run.h"
#include "coord_config.h"
#include "store.h"
#include "unit_store.h"

/* Times at +08:00: the day of the tests is 2026-11-23. */
static time_t at(const char *hhmm)
{
    char ts[40];
    snprintf(ts, sizeof ts, "2026-11-23T%s:00+08:00", hhmm);
    time_t t;
    assert_int_equal(alerts_parse_ts(ts, &t), 0);
    return t;
}

static const struct alert_rules rules = {
    .offline_min = 30, .quiet_min = 60, .work_start_min = 8 * 60, .work_end_min = 18 * 60,
    .behind_pct = 10, .gap_min = 120, .tz_offset_min = 480,
};

/* Evaluates snap at now: the changes, their count in *n. */
static struct alert_change *eval(const struct alert_snapshot *snap, time_t now, size_t *n)
{
    struct alert_change *ch = NULL;
    assert_int_equal(alerts_evaluate(&rules, snap, now, &ch, n), 0);
    return ch;
}

static struct alert_site site(int online, time_t last_heard, time_t status_at)
{
    return (struct alert_site){"T1", "a1", "2026-11-23", "", online, last_heard, status_at};
}

static void parses_timestamps_and_hours(void **state)
{
    (void)state;
    time_t t;
    assert_int_equal(alerts_parse_ts("2026-11-23T02:00:00Z", &t), 0);
    assert_int_equal((long long)t, (long long)at("10:00"));
    assert_int_equal(alerts_parse_ts("2026-11-22T21:00:00.250-05:00", &t), 0);
    assert_int_equal((long long)t, (long long)at("10:00"));
    assert_int_equal(alerts_parse_ts("2026-11-23 10:00", &t), -1);
    int a, b;
    assert_int_equal(alerts_parse_hours("08:00-18:00", &a, &b), 0);
    assert_int_equal(a, 480);
    assert_int_equal(b, 1080);
    assert_int_equal(alerts_parse_hours("00:00-24:00", &a, &b), 0);
    assert_int_equal(b, 1440);
    assert_int_equal(alerts_parse_hours("18:00-08:00", &a, &b), -1);
    assert_int_equal(alerts_parse_hours("8:00-18:00", &a, &b), -1);
    assert_int_equal(alerts_parse_hours("08:00-24:30", &a, &b), -1);
    assert_int_equal(alerts_parse_hours("08:60-18:00", &a, &b), -1);
}

static void offline_raised_after_its_minutes_not_before(void **state)
{
    (void)state;
    struct alert_site s = site(0, at("09:00"), at("09:10")); /* will at 09:10 */
    struct alert_snapshot snap = {.sites = &s, .nsites = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("09:39"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("09:40"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_RAISE);
    assert_string_equal(ch[0].a.alert_id, "site_silent.T1.a1");
    assert_string_equal(ch[0].a.level, "critical");
    assert_int_equal((long long)ch[0].a.since, (long long)at("09:40"));
    assert_string_equal(ch[0].a.subject, "{\"trip_id\":\"T1\",\"agent_id\":\"a1\"}");
    assert_string_equal(ch[0].a.detail, "{\"offline\":true,\"minutes_silent\":30}");
    char words[256];
    alerts_words("site_silent", ch[0].a.subject, ch[0].a.detail, words, sizeof words);
    assert_string_equal(words, "site silent: agent a1 on trip T1 offline for 30 min of "
                               "working hours");
    free(ch);
}

static void quiet_online_agent_is_a_warning(void **state)
{
    (void)state;
    struct alert_site s = site(1, at("09:00"), at("08:30"));
    struct alert_snapshot snap = {.sites = &s, .nsites = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("09:59"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("10:00"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(ch[0].a.level, "warning");
    assert_string_equal(ch[0].a.detail, "{\"offline\":false,\"minutes_silent\":60}");
    free(ch);
}

static void only_working_hours_count(void **state)
{
    (void)state;
    /* Offline since last night: the minutes count from 08:00. */
    time_t night;
    assert_int_equal(alerts_parse_ts("2026-11-22T20:00:00+08:00", &night), 0);
    struct alert_site s = site(0, night, night);
    struct alert_snapshot snap = {.sites = &s, .nsites = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("07:59"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("08:29"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("08:30"), &n);
    assert_int_equal(n, 1);
    free(ch);
    /* Offline at 17:45: 15 minutes by 18:00, and none count after it. */
    s = site(0, at("17:00"), at("17:45"));
    ch = eval(&snap, at("17:59"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("23:00"), &n);
    assert_int_equal(n, 0);
    /* Silent long enough, but evaluated after hours: not raised then. */
    s = site(0, at("12:00"), at("12:00"));
    ch = eval(&snap, at("18:00"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("17:59"), &n);
    assert_int_equal(n, 1);
    free(ch);
    assert_int_equal(alerts_work_minutes(&rules, at("07:00"), at("19:00")), 600);
    assert_int_equal(alerts_work_minutes(&rules, at("19:00"), at("18:30")), 0);
}

static void not_on_other_days_nor_for_a_trip_over(void **state)
{
    (void)state;
    struct alert_site s = site(0, at("07:00"), at("07:00"));
    s.date = "2026-11-24";
    struct alert_snapshot snap = {.sites = &s, .nsites = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 0);
    s.date = "2026-11-21";
    s.end_date = "2026-11-23"; /* a three-day trip, its last day */
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    free(ch);
    /* Open, on the day after the trip: cleared. */
    struct alert_open o = {"site_silent.T1.a1", "critical", at("09:00"), NULL};
    s.end_date = "2026-11-22";
    snap.open = &o;
    snap.nopen = 1;
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    assert_string_equal(ch[0].a.alert_id, "site_silent.T1.a1");
    free(ch);
}

static void open_alert_stays_until_heard_and_keeps_its_since(void **state)
{
    (void)state;
    struct alert_site s = site(0, at("09:00"), at("09:10"));
    struct alert_open o = {"site_silent.T1.a1", "critical", at("09:40"), NULL};
    struct alert_snapshot snap = {.sites = &s, .nsites = 1, .open = &o, .nopen = 1};
    size_t n;
    /* Open already (a restart): nothing to do, even after hours. */
    struct alert_change *ch = eval(&snap, at("10:00"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("20:00"), &n);
    assert_int_equal(n, 0);
    /* Last heard in the second it was raised (times have seconds): still
     * offline, still open. */
    s.last_heard = at("09:40");
    ch = eval(&snap, at("10:00"), &n);
    assert_int_equal(n, 0);
    s.last_heard = at("09:00");
    /* Online by a status from before it was raised, not heard since: a
     * warning now, since kept. */
    s.online = 1;
    ch = eval(&snap, at("10:00"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_RELEVEL);
    assert_string_equal(ch[0].a.level, "warning");
    assert_int_equal((long long)ch[0].a.since, (long long)at("09:40"));
    free(ch);
    /* A birth that came after it (retained while the coordinator was away,
     * replayed: not live, no last_heard): cleared. */
    s.status_at = at("09:50");
    ch = eval(&snap, at("10:00"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    free(ch);
    s.status_at = at("09:10");
    /* Heard after it was raised: cleared. */
    s.last_heard = at("10:05");
    ch = eval(&snap, at("10:06"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    free(ch);
    /* An agent no longer on a trip of the day: its open alert is cleared. */
    snap.nsites = 0;
    ch = eval(&snap, at("10:06"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    free(ch);
}

static void county_behind_past_its_share(void **state)
{
    (void)state;
    struct alert_county c[2] = {
        {2026, "c1", "consultations", 900, 1000, 2000}, /* 10% behind: not more than 10 */
        {2026, "c1", "staff", 80, 100, 200},            /* 20% */
    };
    struct alert_snapshot snap = {.counties = c, .ncounties = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 0);
    c[0].count = 899;
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(ch[0].a.alert_id, "county_behind.2026.c1");
    assert_string_equal(ch[0].a.level, "warning");
    assert_string_equal(ch[0].a.subject, "{\"county\":\"c1\",\"year\":2026}");
    free(ch);
    snap.ncounties = 2; /* the figure furthest behind shows: staff */
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    /* Both shortfalls listed, consultations within its share too. */
    assert_string_equal(ch[0].a.detail, "{\"figure\":\"staff\",\"count\":80,\"expected\":100,"
                                        "\"share_behind\":0.2,\"shortfalls\":["
                                        "{\"figure\":\"consultations\",\"count\":899,"
                                        "\"expected\":1000,\"share_behind\":0.1},"
                                        "{\"figure\":\"staff\",\"count\":80,\"expected\":100,"
                                        "\"share_behind\":0.2}]}");
    char words[256];
    alerts_words("county_behind", ch[0].a.subject, ch[0].a.detail, words, sizeof words);
    assert_string_equal(words, "county c1 behind pace in 2026: consultations 899 of 1000 "
                               "expected to date (10% behind), staff 80 of 100 expected to "
                               "date (20% behind)");
    /* A detail stored before shortfalls were listed: its one figure. */
    alerts_words("county_behind", ch[0].a.subject, "{\"figure\":\"staff\",\"count\":80,"
                 "\"expected\":100,\"share_behind\":0.2}", words, sizeof words);
    assert_string_equal(words, "county c1 behind pace in 2026: staff 80 of 100 expected to "
                               "date (20% behind)");
    free(ch);
    c[1].count = 70; /* 30%: past twice the share */
    ch = eval(&snap, at("12:00"), &n);
    assert_string_equal(ch[0].a.level, "critical");
    free(ch);
    /* Caught up: the open alert is cleared. */
    struct alert_open o = {"county_behind.2026.c1", "warning", at("09:00"), NULL};
    c[0].count = 1000;
    c[1].count = 100;
    snap.open = &o;
    snap.nopen = 1;
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    free(ch);
}

/* One rule with progress: a figure progress calls on_pace (within 1% of its
 * target, at least 1: progress_pace) raises no alert and is no shortfall,
 * however large its share. test_timeutil_progress's test_pace_one_rule
 * has the same figures: staff 1 of 2 expected (target 4), on pace. */
static void county_behind_only_when_progress_says_behind(void **state)
{
    (void)state;
    struct alert_county c[2] = {
        {2026, "c1", "staff", 1, 2, 4},                   /* 50% short, yet on pace */
        {2026, "c1", "consultations", 700, 1000, 2000},  /* 30% behind */
    };
    struct alert_snapshot snap = {.counties = c, .ncounties = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 0);
    free(ch);
    snap.ncounties = 2; /* the alert names consultations only */
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(ch[0].a.level, "critical");
    assert_string_equal(ch[0].a.detail, "{\"figure\":\"consultations\",\"count\":700,"
                                        "\"expected\":1000,\"share_behind\":0.3,"
                                        "\"shortfalls\":[{\"figure\":\"consultations\","
                                        "\"count\":700,\"expected\":1000,"
                                        "\"share_behind\":0.3}]}");
    free(ch);
    c[0].count = 0; /* 2 short of 2: behind by progress too, and named */
    snap.ncounties = 1;
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(ch[0].a.detail, "{\"figure\":\"staff\",\"count\":0,\"expected\":2,"
                                        "\"share_behind\":1,\"shortfalls\":[{\"figure\":"
                                        "\"staff\",\"count\":0,\"expected\":2,"
                                        "\"share_behind\":1}]}");
    free(ch);
}

/* An open alert whose figures moved: its detail is updated, its since and
 * level kept; the same figures: nothing to do. */
static void moved_figures_update_the_open_alert(void **state)
{
    (void)state;
    struct alert_county c[2] = {
        {2026, "c1", "consultations", 700, 1000, 2000},
        {2026, "c1", "staff", 100, 100, 200},
    };
    const char *was = "{\"figure\":\"consultations\",\"count\":700,\"expected\":1000,"
                      "\"share_behind\":0.3,\"shortfalls\":[{\"figure\":\"consultations\","
                      "\"count\":700,\"expected\":1000,\"share_behind\":0.3}]}";
    struct alert_open o = {"county_behind.2026.c1", "critical", at("09:00"), was};
    struct alert_snapshot snap = {.counties = c, .ncounties = 2, .open = &o, .nopen = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 0); /* as stored */
    c[0].count = 750; /* 25%: still critical, the figures moved */
    c[1].count = 95;  /* staff falls behind too, within its share */
    ch = eval(&snap, at("12:00"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_UPDATE);
    assert_string_equal(ch[0].a.level, "critical");
    assert_int_equal((long long)ch[0].a.since, (long long)at("09:00"));
    assert_string_equal(ch[0].a.detail, "{\"figure\":\"consultations\",\"count\":750,"
                                        "\"expected\":1000,\"share_behind\":0.25,"
                                        "\"shortfalls\":[{\"figure\":\"consultations\","
                                        "\"count\":750,\"expected\":1000,"
                                        "\"share_behind\":0.25},{\"figure\":\"staff\","
                                        "\"count\":95,\"expected\":100,"
                                        "\"share_behind\":0.05}]}");
    free(ch);
    /* A site silent for longer: minutes_silent moves, since stays. */
    struct alert_site st = site(0, at("09:00"), at("09:10"));
    struct alert_open so = {"site_silent.T1.a1", "critical", at("09:40"),
                            "{\"offline\":true,\"minutes_silent\":30}"};
    struct alert_snapshot ss = {.sites = &st, .nsites = 1, .open = &so, .nopen = 1};
    ch = eval(&ss, at("09:40"), &n);
    assert_int_equal(n, 0);
    ch = eval(&ss, at("10:10"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_UPDATE);
    assert_int_equal((long long)ch[0].a.since, (long long)at("09:40"));
    assert_string_equal(ch[0].a.detail, "{\"offline\":true,\"minutes_silent\":60}");
    free(ch);
}

static void seq_gap_after_its_minutes(void **state)
{
    (void)state;
    struct alert_gaps g = {"a2", 3, at("09:00")};
    struct alert_snapshot snap = {.gaps = &g, .ngaps = 1};
    size_t n;
    struct alert_change *ch = eval(&snap, at("10:59"), &n);
    assert_int_equal(n, 0);
    ch = eval(&snap, at("11:00"), &n);
    assert_int_equal(n, 1);
    assert_string_equal(ch[0].a.alert_id, "seq_gap.a2");
    assert_string_equal(ch[0].a.detail, "{\"missing\":3,\"oldest_gap_minutes\":120}");
    char words[256];
    alerts_words("seq_gap", ch[0].a.subject, ch[0].a.detail, words, sizeof words);
    assert_string_equal(words, "reports stuck on agent a2: 3 seqs missing, the oldest gap "
                               "open for 120 min");
    free(ch);
    struct alert_open o = {"seq_gap.a2", "warning", at("11:00"), NULL};
    snap.open = &o;
    snap.nopen = 1;
    ch = eval(&snap, at("11:30"), &n); /* open as it is */
    assert_int_equal(n, 0);
    g.missing = 0; /* the reports came */
    ch = eval(&snap, at("11:31"), &n);
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].action, ALERT_CLEAR);
    free(ch);
}

/* ---- the alerter over a real store ----------------------------------------- */

struct recorder {
    char topic[256], payload[2048];
    int n;
    bool retained;
};

static void record(void *ctx, const char *topic, const char *payload, bool retained,
                   const void *corr, int corr_len)
{
    struct recorder *r = ctx;
    (void)corr;
    assert_int_equal(corr_len, 0);
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    snprintf(r->payload, sizeof r->payload, "%s", payload);
    r->retained = retained;
    r->n++;
}

static void status(struct store *s, const char *json, bool live, time_t t)
{
    struct agent_status st;
    struct jerr err = {{0}};
    assert_int_equal(agent_status_decode("a1", json, strlen(json), &st, &err), 0);
    char now[TU_TS_MAX];
    tu_format_ts(t, 480, now);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_status(s, &st, live, now), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    agent_status_free(&st);
}

static void seen(struct store *s, long long seq, time_t t)
{
    char now[TU_TS_MAX];
    tu_format_ts(t, 480, now);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_seen(s, "a2", seq, now), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

static int gap_of(void *ctx, const struct gapped_agent_row *r)
{
    char *out = ctx;
    if (strcmp(r->agent_id, "a2") == 0)
        snprintf(out, TU_TS_MAX, "%s", r->opened_at);
    return 0;
}

/* When a2's oldest open gap opened, "" when it has none. */
static void gaps_since(struct store *s, char since[TU_TS_MAX])
{
    since[0] = '\0';
    assert_int_equal(store_gapped_agents_each(s, gap_of, since), OERR_OK);
}

/* A new store's place for one test: a file in the scratch directory dir
 * (made here), or the PostgreSQL database of the run (tests/unit/with_pg.sh),
 * emptied. Opened again at path, it is the same store. */
static void new_store_at(char *dir, char path[128])
{
    assert_non_null(mkdtemp(dir));
    if (unit_store_pg())
        snprintf(path, 128, "%s", unit_store_new());
    else
        snprintf(path, 128, "%s/coordinator.db", dir);
}

static struct store *open_store(const char *path)
{
    struct store *s = NULL;
    char err[256] = "";
    oerr_t rc = store_open(path, &s, err);
    if (rc)
        print_error("store_open: %s\n", err);
    assert_int_equal(rc, OERR_OK);
    return s;
}

/* A trip of the test day, 2026-11-23, in county (named "county county"). */
static void test_day_trip(struct store *s, const char *trip_id, const char *county)
{
    char name[32];
    snprintf(name, sizeof name, "%s county", county);
    struct trip_def t = {.trip_id = trip_id, .title = trip_id, .date = "2026-11-23",
                         .site_code = "s-1", .site_name = "Site", .county = county,
                         .county_name = name, .activities = 1, .departments = 1,
                         .capacity = {2, 1}};
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_trip_upsert(s, &t, "2026-11-20T10:00:00+08:00", why), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

static void alerter_raises_keeps_over_a_restart_and_clears(void **state)
{
    (void)state;
    unsetenv("OUTREACH_TODAY"); /* the fake clock's day, not a demo's */
    char dir[] = "/tmp/outreach-unit-alerts-XXXXXX", path[128];
    new_store_at(dir, path);
    struct store *s = open_store(path);
    test_day_trip(s, "T1", "c1");
    status(s, "{\"online\":true,\"agent_id\":\"a1\",\"trip_id\":\"T1\",\"pending\":0,"
              "\"last_seq\":0,\"since\":\"2026-11-23T08:00:00+08:00\"}", true, at("08:00"));
    status(s, "{\"online\":false,\"agent_id\":\"a1\"}", true, at("09:00")); /* its will */

    struct coord_config cfg;
    coord_config_defaults(&cfg);
    struct recorder r = {0};
    struct alerter *a = alerter_new(&cfg, s, (struct outlet){record, &r});
    assert_non_null(a);
    assert_int_equal(alerter_tick(a, at("09:29")), 0);
    assert_int_equal(alerter_tick(a, at("09:29")), 0); /* not a minute later: not evaluated */
    assert_int_equal(alerter_tick(a, at("09:30")), 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.topic, "outreach/v1/alerts/site_silent.T1.a1");
    assert_true(r.retained);
    assert_string_equal(r.payload,
        "{\"alert_id\":\"site_silent.T1.a1\",\"kind\":\"site_silent\",\"level\":\"critical\","
        "\"state\":\"open\",\"since\":\"2026-11-23T09:30:00+08:00\",\"cleared_at\":null,"
        "\"subject\":{\"trip_id\":\"T1\",\"agent_id\":\"a1\"},"
        "\"detail\":{\"offline\":true,\"minutes_silent\":30},"
        "\"as_of\":\"2026-11-23T09:30:00+08:00\"}");
    alerter_free(a);
    store_close(s);

    /* A restart: the alert is open, with its since; nothing raised again. */
    s = open_store(path);
    r.n = 0;
    a = alerter_new(&cfg, s, (struct outlet){record, &r});
    alerter_publish_all(a); /* what the daemon does at start */
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.payload, "\"since\":\"2026-11-23T09:30:00+08:00\""));
    /* Half an hour on, still offline: the same alert with its figures of
     * now, retained, since kept; the history has no new raise. */
    r.n = 0;
    assert_int_equal(alerter_tick(a, at("10:00")), 1);
    assert_int_equal(r.n, 1);
    assert_true(r.retained);
    assert_string_equal(r.payload,
        "{\"alert_id\":\"site_silent.T1.a1\",\"kind\":\"site_silent\",\"level\":\"critical\","
        "\"state\":\"open\",\"since\":\"2026-11-23T09:30:00+08:00\",\"cleared_at\":null,"
        "\"subject\":{\"trip_id\":\"T1\",\"agent_id\":\"a1\"},"
        "\"detail\":{\"offline\":true,\"minutes_silent\":60},"
        "\"as_of\":\"2026-11-23T10:00:00+08:00\"}");
    struct alert_row row;
    assert_int_equal(store_alert_get(s, "site_silent.T1.a1", &row), OERR_OK);
    assert_string_equal(row.state, "open");
    assert_string_equal(row.detail, "{\"offline\":true,\"minutes_silent\":60}");
    assert_int_equal(store_alert_history_count(s, "site_silent.T1.a1", "raised"), 1);
    assert_int_equal(store_alert_history_count(s, "site_silent.T1.a1", NULL), 1);

    /* The agent is back (a live birth): cleared at the next evaluation. */
    status(s, "{\"online\":true,\"agent_id\":\"a1\",\"trip_id\":\"T1\",\"pending\":0,"
              "\"last_seq\":0,\"since\":\"2026-11-23T10:05:00+08:00\"}", true, at("10:05"));
    alerter_mark(a);
    r.n = 0;
    assert_int_equal(alerter_tick(a, at("10:05")), 1);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.payload, "\"state\":\"cleared\""));
    assert_non_null(strstr(r.payload, "\"cleared_at\":\"2026-11-23T10:05:00+08:00\""));
    assert_int_equal(store_alert_get(s, "site_silent.T1.a1", &row), OERR_OK);
    assert_string_equal(row.state, "cleared");
    assert_string_equal(row.since, "2026-11-23T09:30:00+08:00");
    assert_int_equal(store_alert_history_count(s, "site_silent.T1.a1", NULL), 2);

    /* alert_keep_cleared_h (24) after its clearing, its retained message goes
     * (an empty retained payload); not a minute before. */
    time_t cleared = at("10:05");
    r.n = 0;
    assert_int_equal(alerter_tick(a, cleared + 24 * 3600 - 60), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(alerter_tick(a, cleared + 24 * 3600), 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.topic, "outreach/v1/alerts/site_silent.T1.a1");
    assert_string_equal(r.payload, "");
    assert_true(r.retained);
    assert_int_equal(alerter_tick(a, cleared + 25 * 3600), 0); /* once */
    assert_int_equal(r.n, 1);
    assert_int_equal(store_alert_get(s, "site_silent.T1.a1", &row), OERR_OK);
    assert_string_equal(row.state, "cleared");
    assert_string_equal(row.unretained_at, "2026-11-24T10:05:00+08:00");
    assert_int_equal(store_alert_history_count(s, "site_silent.T1.a1", NULL), 2);
    alerter_free(a);
    store_close(s);

    /* A restart: the removed alert is not published again. */
    s = open_store(path);
    r.n = 0;
    a = alerter_new(&cfg, s, (struct outlet){record, &r});
    alerter_publish_all(a);
    assert_int_equal(alerter_tick(a, cleared + 26 * 3600), 0);
    assert_int_equal(r.n, 0);
    alerter_free(a);
    store_close(s);
    conf_free_strings(coord_config_table(&cfg));
    rm_tree(dir);
}

static void a_gap_is_as_old_as_the_seq_that_opened_it(void **state)
{
    struct store *s = open_store(unit_store_new());
    (void)state;
    char since[TU_TS_MAX];
    seen(s, 1, at("09:00"));
    gaps_since(s, since);
    assert_string_equal(since, ""); /* no gap */
    seen(s, 5, at("09:10")); /* 2-4 missing from now */
    seen(s, 3, at("09:20")); /* splits it: 2 and 4, both as old */
    gaps_since(s, since);
    assert_string_equal(since, "2026-11-23T09:10:00+08:00");
    seen(s, 9, at("09:30")); /* 6-8: younger */
    seen(s, 2, at("09:40"));
    seen(s, 4, at("09:40")); /* the old gaps closed: 6-8 is left */
    gaps_since(s, since);
    assert_string_equal(since, "2026-11-23T09:30:00+08:00");
    long long seqs[] = {6, 7, 8};
    char now[TU_TS_MAX];
    tu_format_ts(at("09:50"), 480, now);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_seen_seqs(s, "a2", seqs, 3, now), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    gaps_since(s, since);
    assert_string_equal(since, "");
    store_close(s);
}

static void alerter_raises_a_seq_gap_from_the_store(void **state)
{
    (void)state;
    struct store *s = open_store(unit_store_new());
    seen(s, 1, at("09:00"));
    seen(s, 4, at("09:10")); /* 2-3 missing from 09:10 */
    struct coord_config cfg;
    coord_config_defaults(&cfg);
    struct recorder r = {0};
    struct alerter *a = alerter_new(&cfg, s, (struct outlet){record, &r});
    assert_non_null(a);
    assert_int_equal(alerter_tick(a, at("11:09")), 0);
    assert_int_equal(alerter_tick(a, at("11:10")), 1);
    assert_string_equal(r.topic, "outreach/v1/alerts/seq_gap.a2");
    assert_non_null(strstr(r.payload, "\"detail\":{\"missing\":2,\"oldest_gap_minutes\":120}"));
    assert_non_null(strstr(r.payload, "\"level\":\"warning\",\"state\":\"open\""));
    seen(s, 2, at("11:20"));
    alerter_mark(a);
    assert_int_equal(alerter_tick(a, at("11:20")), 1); /* one gap left, as old: figures moved */
    assert_non_null(strstr(r.payload, "\"detail\":{\"missing\":1,\"oldest_gap_minutes\":130}"));
    assert_non_null(strstr(r.payload, "\"since\":\"2026-11-23T11:10:00+08:00\""));
    assert_int_equal(store_alert_history_count(s, "seq_gap.a2", "raised"), 1);
    seen(s, 3, at("11:21"));
    alerter_mark(a);
    assert_int_equal(alerter_tick(a, at("11:21")), 1);
    assert_non_null(strstr(r.payload, "\"state\":\"cleared\""));
    alerter_free(a);
    conf_free_strings(coord_config_table(&cfg));
    store_close(s);
}

/* A store made before agent_seqs.opened_at, alerts.unretained_at and
 * agents.report_trip: its open gaps count as opened when this version first
 * opens it; its cleared alerts are still retained; its agents get the trip of
 * their latest report. */
static void an_older_store_gets_when_its_gaps_opened(void **state)
{
    (void)state;
    char dir[] = "/tmp/outreach-unit-alerts-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/coordinator.db", dir);
    struct store *s = open_store(path);
    seen(s, 1, at("09:00"));
    seen(s, 4, at("09:10"));
    struct alert_row a = {.alert_id = "seq_gap.a2", .kind = "seq_gap", .level = "warning",
                          .since = "2026-11-23T11:10:00+08:00", .subject = "{}",
                          .detail = "{}"};
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_alert_raise(s, &a), OERR_OK);
    assert_int_equal(store_alert_clear(s, "seq_gap.a2", "2026-11-23T11:20:00+08:00"), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    store_close(s);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE agent_seqs DROP COLUMN opened_at;"
                                      "ALTER TABLE alerts DROP COLUMN unretained_at;"
                                      "ALTER TABLE agents DROP COLUMN report_trip;"
                                      "ALTER TABLE agents DROP COLUMN report_trip_seq;"
                                      /* a2's reports, as an older version stored them */
                                      "INSERT INTO reports (msg_id, agent_id, seq, kind, trip_id,"
                                      " recorded_at, received_at) VALUES"
                                      " ('m4', 'a2', 4, 'headcount', 'T-new', 'x', 'x'),"
                                      " ('m1', 'a2', 1, 'headcount', 'T-old', 'x', 'x')",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    time_t before = time(NULL);
    s = open_store(path);
    char since[TU_TS_MAX];
    gaps_since(s, since);
    time_t t;
    assert_int_equal(alerts_parse_ts(since, &t), 0);
    assert_true(t >= before && t <= time(NULL));
    /* Its agent's trip comes from its latest report. */
    struct agent_row ag;
    assert_int_equal(store_agent_get(s, "a2", &ag), OERR_OK);
    assert_string_equal(ag.report_trip, "T-new");
    /* Its cleared alert is still retained, and can be marked removed. */
    assert_int_equal(store_alert_get(s, "seq_gap.a2", &a), OERR_OK);
    assert_string_equal(a.unretained_at, "");
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_alert_unretained(s, "seq_gap.a2", "2026-11-24T11:20:00+08:00"),
                     OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    assert_int_equal(store_alert_get(s, "seq_gap.a2", &a), OERR_OK);
    assert_string_equal(a.unretained_at, "2026-11-24T11:20:00+08:00");
    store_close(s);
    rm_tree(dir);
}

/* A target row put as an admin would. */
static void target(struct store *s, int year, const char *county, const char *township,
                   long long consultations, long long staff)
{
    struct target_row t = {.year = year, .consultations = consultations, .staff = staff};
    snprintf(t.county, sizeof t.county, "%s", county);
    snprintf(t.township, sizeof t.township, "%s", township);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_target_put(s, &t, false, "2026-11-20T10:00:00+08:00"), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

/* county_behind from what the store holds: the counties' county_targets
 * (count and expected_to_date of progress_json.c), a county with targets and
 * no trip (its townships' rows: one alert), none without targets or with
 * targets of another year; cleared when its target goes. */
static void alerter_reads_county_targets(void **state)
{
    (void)state;
    unsetenv("OUTREACH_TODAY");
    char dir[] = "/tmp/outreach-unit-alerts-XXXXXX", path[128];
    new_store_at(dir, path);
    struct store *s = open_store(path);
    test_day_trip(s, "T1", "c1");
    test_day_trip(s, "T3", "c3");
    /* 2026-11-23 is day 327 of 365: 365 a year expects 327, 10 expects 9. */
    target(s, 2026, "c1", "", 365, 10);   /* a trip, nothing counted yet */
    target(s, 2026, "c2", "t-a", 200, 0); /* no trip: townships only, 365 in all */
    target(s, 2026, "c2", "t-b", 165, 0);
    target(s, 2025, "c3", "", 365, 0);    /* c3: a trip, a target of last year only */
    target(s, 2027, "c4", "", 365, 0);    /* next year's */
    /* c5: a staff of 1 a year expects 1 by now; 0 is within progress's 1
     * (progress_pace: on_pace), so no alert (it was "critical, 100% behind") */
    target(s, 2026, "c5", "", 0, 1);

    struct coord_config cfg;
    coord_config_defaults(&cfg);
    struct recorder r = {0};
    struct alerter *a = alerter_new(&cfg, s, (struct outlet){record, &r});
    assert_non_null(a);
    assert_int_equal(alerter_tick(a, at("09:00")), 2);
    assert_int_equal(r.n, 2);
    struct alert_row row;
    assert_int_equal(store_alert_get(s, "county_behind.2026.c1", &row), OERR_OK);
    assert_string_equal(row.level, "critical");
    assert_string_equal(row.subject, "{\"county\":\"c1\",\"year\":2026}");
    /* Both figures a whole share behind: the first, consultations, shows;
     * both are named. */
    assert_string_equal(row.detail, "{\"figure\":\"consultations\",\"count\":0,"
                                    "\"expected\":327,\"share_behind\":1,\"shortfalls\":["
                                    "{\"figure\":\"consultations\",\"count\":0,"
                                    "\"expected\":327,\"share_behind\":1},"
                                    "{\"figure\":\"staff\",\"count\":0,\"expected\":9,"
                                    "\"share_behind\":1}]}");
    assert_int_equal(store_alert_get(s, "county_behind.2026.c2", &row), OERR_OK);
    assert_string_equal(row.detail, "{\"figure\":\"consultations\",\"count\":0,"
                                    "\"expected\":327,\"share_behind\":1,\"shortfalls\":["
                                    "{\"figure\":\"consultations\",\"count\":0,"
                                    "\"expected\":327,\"share_behind\":1}]}");
    assert_int_equal(store_alert_history_count(s, "county_behind.2026.c2", "raised"), 1);
    assert_int_equal(store_alert_get(s, "county_behind.2026.c3", &row), OERR_NOTFOUND);
    assert_int_equal(store_alert_get(s, "county_behind.2025.c3", &row), OERR_NOTFOUND);
    assert_int_equal(store_alert_get(s, "county_behind.2027.c4", &row), OERR_NOTFOUND);
    assert_int_equal(store_alert_get(s, "county_behind.2026.c5", &row), OERR_NOTFOUND);

    /* c1's targets go to 0: nothing is expected, its alert is cleared. */
    target(s, 2026, "c1", "", 0, 0);
    alerter_mark(a);
    r.n = 0;
    assert_int_equal(alerter_tick(a, at("09:01")), 1);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.topic, "outreach/v1/alerts/county_behind.2026.c1");
    assert_non_null(strstr(r.payload, "\"state\":\"cleared\""));
    assert_int_equal(store_alert_get(s, "county_behind.2026.c2", &row), OERR_OK);
    assert_string_equal(row.state, "open");
    alerter_free(a);
    store_close(s);
    conf_free_strings(coord_config_table(&cfg));
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest rule_tests[] = {
        cmocka_unit_test(parses_timestamps_and_hours),
        cmocka_unit_test(offline_raised_after_its_minutes_not_before),
        cmocka_unit_test(quiet_online_agent_is_a_warning),
        cmocka_unit_test(only_working_hours_count),
        cmocka_unit_test(not_on_other_days_nor_for_a_trip_over),
        cmocka_unit_test(open_alert_stays_until_heard_and_keeps_its_since),
        cmocka_unit_test(county_behind_past_its_share),
        cmocka_unit_test(moved_figures_update_the_open_alert),
        cmocka_unit_test(county_behind_only_when_progress_says_behind),
        cmocka_unit_test(seq_gap_after_its_minutes),
    };
    /* the alerter over a store: SQLite, or PostgreSQL under with_pg.sh */
    const struct CMUnitTest store_tests[] = {
        cmocka_unit_test(alerter_raises_keeps_over_a_restart_and_clears),
        cmocka_unit_test(a_gap_is_as_old_as_the_seq_that_opened_it),
        cmocka_unit_test(alerter_raises_a_seq_gap_from_the_store),
        cmocka_unit_test(alerter_reads_county_targets),
    };
    /* a SQLite file of an older layout */
    const struct CMUnitTest sqlite_file[] = {
        cmocka_unit_test(an_older_store_gets_when_its_gaps_opened),
    };
    if (unit_store_pg())
        return cmocka_run_group_tests_name("alerter on PostgreSQL", store_tests, NULL, NULL);
    return cmocka_run_group_tests_name("alert rules", rule_tests, NULL, NULL) +
           cmocka_run_group_tests_name("alerter", store_tests, NULL, NULL) +
           cmocka_run_group_tests_name("alerter: SQLite's file", sqlite_file, NULL, NULL);
}
