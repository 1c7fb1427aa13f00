/* test_agents.c -- what the coordinator knows of each field agent: seqs seen
 * and missing, status messages, and the list of the `agents` command. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_store.h"

#include <cjson/cJSON.h>

#include "agents.h"
#include "report.h"
#include "store.h"

#define NOW "2026-11-22T10:00:00+08:00"
#define LATER "2026-11-22T11:00:00+08:00"
#define SINCE "2026-11-22T08:00:00+08:00"

/* ---- helpers ---------------------------------------------------------------- */

/* Records the seqs of a list ending in 0, in one transaction, at time now. */
static void seen_at(struct store *s, const char *agent, const char *now, const long long *seqs)
{
    assert_int_equal(store_begin(s), OERR_OK);
    for (; *seqs; seqs++)
        if (store_agent_seen(s, agent, *seqs, now) != OERR_OK)
            fail_msg("store_agent_seen %s %lld: %s", agent, *seqs, store_errmsg(s));
    assert_int_equal(store_commit(s), OERR_OK);
}

#define SEEN(s, agent, ...) seen_at(s, agent, NOW, (const long long[]){__VA_ARGS__, 0})

static int find_row(void *ctx, const struct agent_row *a)
{
    struct agent_row *want = ctx;
    if (strcmp(a->agent_id, want->agent_id) != 0)
        return 0;
    *want = *a;
    return 1;
}

/* The store's row of agent; fails the test when there is none. */
static struct agent_row row_of(struct store *s, const char *agent)
{
    struct agent_row a;
    memset(&a, 0, sizeof a);
    snprintf(a.agent_id, sizeof a.agent_id, "%s", agent);
    a.online = -2; /* not found */
    assert_int_equal(store_agents_each(s, find_row, &a), OERR_OK);
    if (a.online == -2)
        fail_msg("no row for agent %s", agent);
    return a;
}

static void expect_missing(struct store *s, const char *agent, long long last_seq,
                           const char *text, long long count, int line)
{
    struct agent_row a = row_of(s, agent);
    if (a.last_seq != last_seq)
        fail_msg("line %d: %s last_seq %lld, want %lld", line, agent, a.last_seq, last_seq);
    struct seq_gaps g;
    assert_int_equal(store_agent_missing(s, agent, a.last_seq, &g), OERR_OK);
    if (strcmp(g.text, text) != 0 || g.count != count)
        fail_msg("line %d: %s missing '%s' (%lld), want '%s' (%lld)", line, agent, g.text,
                 g.count, text, count);
}

#define MISSING(s, agent, last, text, count) expect_missing(s, agent, last, text, count, __LINE__)

static int decode(const char *agent, const char *json, struct agent_status *st,
                  struct jerr *err)
{
    return agent_status_decode(agent, json, strlen(json), st, err);
}

/* Decodes a valid status and stores it. */
static void status_at(struct store *s, const char *agent, const char *json, bool live,
                      const char *now)
{
    struct agent_status st;
    struct jerr err = {{0}};
    if (decode(agent, json, &st, &err)) {
        agent_status_free(&st);
        fail_msg("status %s refused: %s", json, err.msg);
    }
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = store_agent_status(s, &st, live, now);
    agent_status_free(&st);
    if (e)
        fail_msg("store_agent_status: %s (%s)", oerr_str(e), store_errmsg(s));
    assert_int_equal(store_commit(s), OERR_OK);
}

#define BIRTH_01 "{\"online\":true,\"agent_id\":\"team-01\",\"trip_id\":\"2026-xw-001\"," \
                 "\"pending\":3,\"last_seq\":42,\"since\":\"" SINCE "\"}"
#define WILL_01 "{\"online\":false,\"agent_id\":\"team-01\"}"

/* ---- seqs and gaps -------------------------------------------------------- */

static void test_no_gap(void **state)
{
    struct store *s = *state;
    SEEN(s, "team-01", 1, 2, 3);
    MISSING(s, "team-01", 3, "", 0);
    struct agent_row a = row_of(s, "team-01");
    assert_string_equal(a.last_seen, NOW);
    assert_int_equal(a.online, -1);
    assert_int_equal(a.pending, -1);
    assert_int_equal(a.reported_last_seq, -1);
    assert_string_equal(a.status_at, "");
}

static void test_one_gap(void **state)
{
    struct store *s = *state;
    SEEN(s, "team-01", 1, 2, 5);
    MISSING(s, "team-01", 5, "3-4", 2);
    /* The late ones arrive, out of order: the ranges join up. */
    SEEN(s, "team-01", 4);
    MISSING(s, "team-01", 5, "3", 1);
    SEEN(s, "team-01", 3);
    MISSING(s, "team-01", 5, "", 0);
}

static void test_several_ranges(void **state)
{
    struct store *s = *state;
    SEEN(s, "team-02", 9, 2, 4, 5, 12);
    MISSING(s, "team-02", 12, "1, 3, 6-8, 10-11", 7);
    /* A seq that fills a gap of one between two ranges merges them. */
    SEEN(s, "team-02", 3);
    MISSING(s, "team-02", 12, "1, 6-8, 10-11", 6);
    SEEN(s, "team-02", 1, 10, 11, 7);
    MISSING(s, "team-02", 12, "6, 8", 2);
    SEEN(s, "team-02", 6, 8);
    MISSING(s, "team-02", 12, "", 0);
    /* Another agent's seqs are its own. */
    SEEN(s, "team-03", 2);
    MISSING(s, "team-03", 2, "1", 1);
    MISSING(s, "team-02", 12, "", 0);
}

static void test_resends(void **state)
{
    struct store *s = *state;
    SEEN(s, "team-01", 1, 1, 2, 2, 1, 4, 4);
    MISSING(s, "team-01", 4, "3", 1);
    seen_at(s, "team-01", LATER, (const long long[]){2, 0});
    MISSING(s, "team-01", 4, "3", 1);
    assert_string_equal(row_of(s, "team-01").last_seen, LATER);
}

static void test_huge_seq(void **state)
{
    struct store *s = *state;
    SEEN(s, "team-01", 1, SEQ_MAX);
    MISSING(s, "team-01", SEQ_MAX, "2-9007199254740990", SEQ_MAX - 2);
    SEEN(s, "team-01", SEQ_MAX - 1, 3);
    MISSING(s, "team-01", SEQ_MAX, "2, 4-9007199254740989", SEQ_MAX - 4);
    /* Beyond the contract's range is nothing to record, only a sign of life. */
    SEEN(s, "team-02", SEQ_MAX + 1, -5);
    MISSING(s, "team-02", 0, "", 0);
}

static void test_no_seq_is_a_sign_of_life(void **state)
{
    struct store *s = *state;
    /* A message whose seq could not be read (0) still tells that its agent
     * is alive. */
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_seen(s, "team-05", 0, NOW), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    assert_string_equal(row_of(s, "team-05").last_seen, NOW);
    MISSING(s, "team-05", 0, "", 0);
    SEEN(s, "team-05", 2);
    seen_at(s, "team-05", LATER, (const long long[]){-1, 0});
    assert_string_equal(row_of(s, "team-05").last_seen, LATER);
    MISSING(s, "team-05", 2, "1", 1);
}

static void test_many_gaps_capped_text(void **state)
{
    struct store *s = *state;
    /* Odd seqs 1..81: the even ones 2..80 are missing, 40 gaps of one. */
    assert_int_equal(store_begin(s), OERR_OK);
    for (long long q = 1; q <= 81; q += 2)
        assert_int_equal(store_agent_seen(s, "team-01", q, NOW), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    MISSING(s, "team-01", 81,
            "2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, "
            "... (40 missing in all)",
            40);
    struct seq_gaps g;
    assert_int_equal(store_agent_missing(s, "team-01", 81, &g), OERR_OK);
    assert_int_equal(g.ranges, 40);
}

static void test_ranges_bounded(void **state)
{
    struct store *s = *state;
    /* Every other seq opens a range of its own; past the limit they are
     * counted, not stored. */
    long long n = STORE_SEQ_RANGES_MAX + 5;
    assert_int_equal(store_begin(s), OERR_OK);
    for (long long i = 1; i <= n; i++)
        assert_int_equal(store_agent_seen(s, "team-09", 2 * i, NOW), OERR_OK);
    /* A seq that joins an existing range still counts. */
    assert_int_equal(store_agent_seen(s, "team-09", 3, NOW), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    struct agent_row a = row_of(s, "team-09");
    assert_int_equal(a.last_seq, 2 * n);
    assert_int_equal(a.seqs_untracked, 5);
    struct seq_gaps g;
    assert_int_equal(store_agent_missing(s, "team-09", a.last_seq, &g), OERR_OK);
    /* Missing: 1, 5, 7, ..., 2 * STORE_SEQ_RANGES_MAX - 1, then everything from
     * the last tracked range to the highest seq. */
    long long tracked_hi = 2LL * STORE_SEQ_RANGES_MAX;
    assert_int_equal(g.count, 1 + (STORE_SEQ_RANGES_MAX - 2) + (2 * n - 1 - tracked_hi));
    assert_non_null(strstr(g.text, "1, 5, 7, "));
    assert_non_null(strstr(g.text, "missing in all)"));
}

/* ---- a batch's seqs at once (store_agent_seen_seqs) ------------------------- */

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Agent one gets seqs one by one, agent batch gets them at once, sorted:
 * what the store then says of the two must be the same. */
static void seen_both(struct store *s, const char *one, const char *batch, long long *seqs,
                      size_t n)
{
    assert_int_equal(store_begin(s), OERR_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(store_agent_seen(s, one, seqs[i], NOW), OERR_OK);
    qsort(seqs, n, sizeof *seqs, cmp_ll);
    assert_int_equal(store_agent_seen_seqs(s, batch, seqs, n, NOW), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

static void expect_same(struct store *s, const char *one, const char *batch, int round)
{
    struct agent_row a = row_of(s, one), b = row_of(s, batch);
    if (a.last_seq != b.last_seq || a.seqs_untracked != b.seqs_untracked ||
        strcmp(a.last_seen, b.last_seen) != 0)
        fail_msg("round %d: last_seq %lld/%lld, untracked %lld/%lld", round, a.last_seq,
                 b.last_seq, a.seqs_untracked, b.seqs_untracked);
    struct seq_gaps ga, gb;
    assert_int_equal(store_agent_missing(s, one, a.last_seq, &ga), OERR_OK);
    assert_int_equal(store_agent_missing(s, batch, b.last_seq, &gb), OERR_OK);
    if (strcmp(ga.text, gb.text) != 0 || ga.count != gb.count || ga.ranges != gb.ranges)
        fail_msg("round %d: missing '%s' (%lld in %lld ranges) one by one, '%s' (%lld in "
                 "%lld ranges) at once", round, ga.text, ga.count, ga.ranges, gb.text,
                 gb.count, gb.ranges);
}

static void test_seqs_at_once_as_one_by_one(void **state)
{
    struct store *s = *state;
    /* Batches as they come: runs that go on, resends, gaps, out of order,
     * runs that fill gaps and bridge ranges, seqs 0 and out of range. */
    unsigned x = 12345;
    long long next = 1, seqs[40];
    for (int round = 0; round < 300; round++) {
        size_t n = 0;
        int len = 1 + round % 7;
        for (int i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            unsigned r = (x >> 16) % 100;
            if (r < 60)
                seqs[n++] = next++; /* in order */
            else if (r < 70)
                seqs[n++] = next > 3 ? next - 1 - (long long)((x >> 8) % 3) : 1; /* resend */
            else if (r < 80)
                next += 1 + (x >> 8) % 4; /* a gap */
            else if (r < 90 && next > 10)
                seqs[n++] = 1 + (long long)((x >> 4) % (unsigned long long)(next - 1)); /* late */
            else if (r < 93)
                seqs[n++] = r == 90 ? 0 : r == 91 ? -5 : SEQ_MAX + 1; /* none */
            else
                for (int k = 0; k < 4 && n < sizeof seqs / sizeof seqs[0]; k++)
                    seqs[n++] = next + 2 + k; /* a run past a gap */
        }
        if (n == 0)
            continue;
        seen_both(s, "team-11", "team-12", seqs, n);
        expect_same(s, "team-11", "team-12", round);
    }
    struct agent_row a = row_of(s, "team-12");
    assert_true(a.last_seq > 100);
}

static void test_seqs_at_once_past_the_bound(void **state)
{
    struct store *s = *state;
    /* Both agents at STORE_SEQ_RANGES_MAX ranges (every other seq), then
     * batches that would open ranges, join one, or fill a gap. */
    assert_int_equal(store_begin(s), OERR_OK);
    for (long long i = 1; i <= STORE_SEQ_RANGES_MAX; i++) {
        assert_int_equal(store_agent_seen(s, "team-21", 2 * i, NOW), OERR_OK);
        assert_int_equal(store_agent_seen(s, "team-22", 2 * i, NOW), OERR_OK);
    }
    assert_int_equal(store_commit(s), OERR_OK);
    long long top = 2LL * STORE_SEQ_RANGES_MAX;
    long long b1[] = {top + 3, top + 4, top + 5};     /* a new range: not kept */
    long long b2[] = {top + 1, top + 2, top + 7};     /* joins the last one, then not */
    long long b3[] = {3, 4, 5, 6, 7, top + 9, top + 10}; /* bridges ranges below */
    long long b4[] = {top + 20, top + 21, 9, 10, 11};    /* order of arrival */
    seen_both(s, "team-21", "team-22", b1, 3);
    expect_same(s, "team-21", "team-22", 1);
    seen_both(s, "team-21", "team-22", b2, 3);
    expect_same(s, "team-21", "team-22", 2);
    seen_both(s, "team-21", "team-22", b3, 7);
    expect_same(s, "team-21", "team-22", 3);
    /* Within a batch the seqs go in ascending order, so the order of arrival
     * may decide which one a full agent keeps: here it does not. */
    seen_both(s, "team-21", "team-22", b4, 5);
    expect_same(s, "team-21", "team-22", 4);
    assert_true(row_of(s, "team-22").seqs_untracked > 0);
}

/* ---- status messages -------------------------------------------------------- */

static void test_status_birth_and_will(void **state)
{
    struct store *s = *state;
    status_at(s, "team-01", BIRTH_01, true, NOW);
    struct agent_row a = row_of(s, "team-01");
    assert_int_equal(a.online, 1);
    assert_string_equal(a.last_seen, NOW); /* a live birth is a sign of life */
    assert_int_equal(a.pending, 3);
    assert_int_equal(a.reported_last_seq, 42);
    assert_string_equal(a.trip_id, "2026-xw-001");
    assert_string_equal(a.since, SINCE);
    assert_string_equal(a.status_at, NOW);
    assert_int_equal(a.last_seq, 0); /* no report seen yet */

    /* The will: offline, and what the birth said still holds. */
    status_at(s, "team-01", WILL_01, true, LATER);
    a = row_of(s, "team-01");
    assert_int_equal(a.online, 0);
    assert_string_equal(a.last_seen, NOW); /* the broker sent it, not the agent */
    assert_int_equal(a.pending, 3);
    assert_int_equal(a.reported_last_seq, 42);
    assert_string_equal(a.trip_id, "2026-xw-001");
    assert_string_equal(a.status_at, LATER);

    /* A new birth replaces everything: no trip now. */
    status_at(s, "team-01", "{\"online\":true,\"agent_id\":\"team-01\",\"pending\":0,"
                            "\"last_seq\":43,\"since\":\"" LATER "\"}", true, LATER);
    a = row_of(s, "team-01");
    assert_int_equal(a.online, 1);
    assert_int_equal(a.pending, 0);
    assert_int_equal(a.reported_last_seq, 43);
    assert_string_equal(a.trip_id, "");
    assert_string_equal(a.since, LATER);
}

static void test_status_retained_replay(void **state)
{
    struct store *s = *state;
    status_at(s, "team-01", BIRTH_01, true, NOW);
    status_at(s, "team-01", WILL_01, true, NOW);
    /* At every (re)subscription the broker replays the retained will: what
     * is stored already stays as it is, received time included. */
    status_at(s, "team-01", WILL_01, false, LATER);
    struct agent_row a = row_of(s, "team-01");
    assert_int_equal(a.online, 0);
    assert_string_equal(a.status_at, NOW);
    assert_string_equal(a.last_seen, NOW);
    /* A retained status that says something new (the agent came back while we
     * were away) is stored, but is no sign of life now. */
    status_at(s, "team-01", BIRTH_01, false, LATER);
    a = row_of(s, "team-01");
    assert_int_equal(a.online, 1);
    assert_string_equal(a.status_at, LATER);
    assert_string_equal(a.last_seen, NOW);
}

static void test_agent_known_only_from_status(void **state)
{
    struct store *s = *state;
    status_at(s, "team-07", "{\"online\":false,\"agent_id\":\"team-07\"}", false, NOW);
    struct agent_row a = row_of(s, "team-07");
    assert_int_equal(a.online, 0);
    assert_string_equal(a.last_seen, "");
    assert_int_equal(a.last_seq, 0);
    assert_int_equal(a.pending, -1);
    MISSING(s, "team-07", 0, "", 0);
    /* Its reports join the same row. */
    SEEN(s, "team-07", 2);
    a = row_of(s, "team-07");
    assert_int_equal(a.online, 0);
    MISSING(s, "team-07", 2, "1", 1);
}

/* Since when an agent's status holds: a birth's since; a clean stop's own
 * since; the broker's will has none, so the time it reached us (its replay
 * at a resubscription keeps it). devices/ says the same as status_since. */
static void test_will_since(void **state)
{
    struct store *s = *state;
    status_at(s, "team-01", BIRTH_01, true, NOW);
    assert_string_equal(row_of(s, "team-01").since, SINCE);
    status_at(s, "team-01", WILL_01, true, LATER);
    struct agent_row a = row_of(s, "team-01");
    assert_string_equal(a.since, LATER);
    assert_string_equal(a.trip_id, "2026-xw-001"); /* what the birth said holds */
    status_at(s, "team-01", WILL_01, false, "2026-11-22T12:00:00+08:00");
    a = row_of(s, "team-01");
    assert_string_equal(a.since, LATER);
    assert_string_equal(a.status_at, LATER);
    cJSON *d = agents_device_json(s, &a, NOW);
    assert_non_null(d);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(d, "status_since")), LATER);
    cJSON_Delete(d);
    /* A clean stop says when. */
    status_at(s, "team-02", "{\"online\":false,\"agent_id\":\"team-02\","
                            "\"since\":\"2026-11-22T09:00:00+08:00\"}", true, LATER);
    assert_string_equal(row_of(s, "team-02").since, "2026-11-22T09:00:00+08:00");
    /* A will of an agent never seen before: since we got it. */
    status_at(s, "team-03", "{\"online\":false,\"agent_id\":\"team-03\"}", false, LATER);
    assert_string_equal(row_of(s, "team-03").since, LATER);
}

static void report_trip(struct store *s, const char *agent, const char *trip, long long seq)
{
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_report_trip(s, agent, trip, seq), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

static const char *device_trip(struct store *s, const char *agent, char out[64])
{
    struct agent_row a = row_of(s, agent);
    cJSON *d = agents_device_json(s, &a, NOW);
    assert_non_null(d);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(d, "trip_id"));
    snprintf(out, 64, "%s", t ? t : "(null)");
    cJSON_Delete(d);
    return out;
}

/* An agent that only uses report/sync: its trip is that of its latest report
 * by seq (an older one resent later does not move it); a status naming a
 * trip wins. */
static void test_trip_of_latest_report(void **state)
{
    struct store *s = *state;
    char t[64];
    SEEN(s, "team-05", 3);
    assert_string_equal(device_trip(s, "team-05", t), "(null)");
    report_trip(s, "team-05", "2026-xw-001", 3);
    assert_string_equal(device_trip(s, "team-05", t), "2026-xw-001");
    report_trip(s, "team-05", "2026-xw-000", 2);
    assert_string_equal(device_trip(s, "team-05", t), "2026-xw-001");
    report_trip(s, "team-05", "2026-xw-002", 4);
    assert_string_equal(device_trip(s, "team-05", t), "2026-xw-002");
    assert_int_equal(row_of(s, "team-05").last_seq, 3); /* seqs are store_agent_seen's */
    cJSON *list = agents_json(s);
    char *p = cJSON_PrintUnformatted(list);
    assert_non_null(strstr(p, "\"trip_id\":\"2026-xw-002\""));
    free(p);
    cJSON_Delete(list);
    status_at(s, "team-05", "{\"online\":true,\"agent_id\":\"team-05\",\"trip_id\":"
                            "\"2026-xw-009\",\"pending\":0,\"last_seq\":4,"
                            "\"since\":\"" SINCE "\"}", true, NOW);
    assert_string_equal(device_trip(s, "team-05", t), "2026-xw-009");
}

/* ---- which seq a report tells -------------------------------------------------- */

static long long seq_of(const char *topic_agent, const char *kind, const char *json)
{
    struct report r;
    struct jerr err = {{0}};
    report_decode(topic_agent, kind, json, strlen(json), &r, &err);
    long long q = agents_report_seq(&r, topic_agent);
    report_free(&r);
    return q;
}

#define ENV(agent, seq) \
    "{\"msg_id\":\"1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b\",\"agent_id\":\"" agent "\"," \
    "\"seq\":" seq ",\"trip_id\":\"2026-xw-001\",\"recorded_at\":\"2026-11-22T09:31:05+08:00\""

static void test_report_seq(void **state)
{
    (void)state;
    assert_int_equal(seq_of("team-01", "headcount",
                            ENV("team-01", "7") ",\"department\":\"internal\",\"consultations\":3}"),
                     7);
    /* Refused for a later field: the envelope still tells the seq. */
    assert_int_equal(seq_of("team-01", "headcount",
                            ENV("team-01", "8") ",\"department\":\"internal\",\"consultations\":0}"),
                     8);
    assert_int_equal(seq_of("team-01", "headcount", ENV("team-01", "9") "}"), 9);
    /* Another agent's name, a bad seq, no envelope: nothing to record. */
    assert_int_equal(seq_of("team-01", "headcount",
                            ENV("team-02", "7") ",\"department\":\"internal\",\"consultations\":3}"),
                     0);
    assert_int_equal(seq_of("team-01", "headcount", ENV("team-01", "0") "}"), 0);
    assert_int_equal(seq_of("team-01", "headcount", ENV("team-01", "9007199254740992") "}"), 0);
    assert_int_equal(seq_of("team-01", "headcount", ENV("team-01", "\"5\"") "}"), 0);
    assert_int_equal(seq_of("team-01", "headcount", "not json"), 0);
    assert_int_equal(seq_of("team-01", "headcount", "{\"agent_id\":\"team-01\",\"seq\":5}"), 0);
    assert_int_equal(seq_of("team-01", "nonsense", ENV("team-01", "5") "}"), 0);
    struct report r;
    memset(&r, 0, sizeof r);
    assert_int_equal(agents_report_seq(&r, "team-01"), 0);
    assert_int_equal(agents_report_seq(NULL, "team-01"), 0);
}

/* ---- the list --------------------------------------------------------------- */

static void test_agents_json_and_table(void **state)
{
    struct store *s = *state;
    cJSON *list = agents_json(s);
    assert_non_null(list);
    char *p = cJSON_PrintUnformatted(list);
    assert_string_equal(p, "{\"agents\":[]}");
    free(p);
    cJSON_Delete(list);

    SEEN(s, "team-02", 1, 2, 5);
    status_at(s, "team-02", "{\"online\":true,\"agent_id\":\"team-02\",\"pending\":2,"
                            "\"last_seq\":5,\"since\":\"" SINCE "\"}", true, NOW);
    status_at(s, "team-01", WILL_01, false, NOW);
    SEEN(s, "team-03", SEQ_MAX);

    list = agents_json(s);
    assert_non_null(list);
    p = cJSON_PrintUnformatted(list);
    assert_string_equal(p,
        "{\"agents\":["
        "{\"agent_id\":\"team-01\",\"online\":false,\"last_seen\":null,\"last_seq\":0,"
        "\"missing\":\"\",\"missing_count\":0,\"seqs_untracked\":0,\"pending\":null,"
        "\"reported_last_seq\":null,\"trip_id\":null,\"since\":\"" NOW "\",\"status_at\":\"" NOW "\"},"
        "{\"agent_id\":\"team-02\",\"online\":true,\"last_seen\":\"" NOW "\",\"last_seq\":5,"
        "\"missing\":\"3-4\",\"missing_count\":2,\"seqs_untracked\":0,\"pending\":2,"
        "\"reported_last_seq\":5,\"trip_id\":null,\"since\":\"" SINCE "\",\"status_at\":\"" NOW "\"},"
        "{\"agent_id\":\"team-03\",\"online\":null,\"last_seen\":\"" NOW "\","
        "\"last_seq\":9007199254740991,\"missing\":\"1-9007199254740990\","
        "\"missing_count\":9007199254740990,\"seqs_untracked\":0,\"pending\":null,"
        "\"reported_last_seq\":null,\"trip_id\":null,\"since\":null,\"status_at\":null}]}");
    free(p);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    agents_print_table(list, f);
    fclose(f);
    cJSON_Delete(list);
    assert_string_equal(text,
        "agent    status   last seen                          last seq  pending  missing seqs\n"
        "team-01  offline  -                                         0        -  none\n"
        "team-02  online   " NOW "                 5        2  3-4\n"
        "team-03  unknown  " NOW "  9007199254740991        -  1-9007199254740990\n");
    free(text);

    f = open_memstream(&text, &len);
    cJSON *empty = cJSON_Parse("{\"agents\":[]}");
    agents_print_table(empty, f);
    fclose(f);
    cJSON_Delete(empty);
    assert_non_null(strstr(text, "No agents"));
    free(text);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, memstore_setup, memstore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_no_gap),
        T(test_one_gap),
        T(test_several_ranges),
        T(test_resends),
        T(test_huge_seq),
        T(test_no_seq_is_a_sign_of_life),
        T(test_many_gaps_capped_text),
        T(test_ranges_bounded),
        T(test_seqs_at_once_as_one_by_one),
        T(test_seqs_at_once_past_the_bound),
        T(test_status_birth_and_will),
        T(test_status_retained_replay),
        T(test_agent_known_only_from_status),
        T(test_will_since),
        T(test_trip_of_latest_report),
        T(test_report_seq),
        T(test_agents_json_and_table),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
