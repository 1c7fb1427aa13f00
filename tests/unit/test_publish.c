/* test_publish.c -- progress publishing: which retained topics a mark
 * brings out, everything on a full publish, and when progress is due; an
 * agent's devices/ message, exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coord_config.h"
#include "publish.h"
#include "report.h"
#include "request.h"
#include "store.h"
#include "unit_store.h"

#define NOW "2026-11-22T10:00:00+08:00"

/* The topics published, in order, as one string "a b c". */
struct recorder {
    char topics[4096];
    int n;
    bool all_retained;
    char device[1024]; /* the payload of the last devices/ message */
};

static void record(void *ctx, const char *topic, const char *payload, bool retained,
                   const void *corr, int corr_len)
{
    struct recorder *r = ctx;
    assert_true(payload[0] == '{');
    assert_int_equal(corr_len, 0);
    assert_null(corr);
    size_t used = strlen(r->topics);
    snprintf(r->topics + used, sizeof r->topics - used, "%s%s", r->n ? " " : "",
             topic + strlen("outreach/v1/"));
    r->n++;
    r->all_retained = r->all_retained && retained;
    if (strstr(topic, "/devices/"))
        snprintf(r->device, sizeof r->device, "%s", payload);
}

/* A trip built directly, not from a request: only what progress reads. */
static void progress_trip(struct store *s, const char *trip_id, const char *date,
                          const char *county)
{
    char county_name[64];
    snprintf(county_name, sizeof county_name, "%s county", county);
    struct trip_def t = {
        .trip_id = trip_id, .title = trip_id, .date = date,
        .site_code = "s-1", .site_name = "Site", .county = county, .county_name = county_name,
        .activities = 1, .departments = 1, .capacity = {2, 1},
    };
    char why[JERR_MAX] = "";
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_trip_upsert(s, &t, NOW, why), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

struct fixture {
    struct store *s;
    struct coord_config cfg;
    struct recorder r;
    struct publisher *p;
};

static int setup(void **state)
{
    static char root[] = "outreach/v1";
    struct fixture *f = calloc(1, sizeof *f);
    char err[256] = "";
    if (!f || store_open(unit_store_new(), &f->s, err) != OERR_OK) {
        print_error("store_open: %s\n", err);
        free(f);
        return -1;
    }
    f->cfg.topic_root = root;
    f->cfg.target_staff = 500;
    f->cfg.target_consultations = 50000;
    f->cfg.tz_offset_min = 480;
    f->cfg.progress_interval_ms = 500;
    f->cfg.refresh_s = 600;
    progress_trip(f->s, "2026-a-1", "2026-03-01", "c1");
    progress_trip(f->s, "2026-b-1", "2026-04-01", "c2");
    f->p = publisher_new(&f->cfg, f->s, (struct outlet){record, &f->r});
    *state = f;
    return f->p ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    publisher_free(f->p);
    store_close(f->s);
    free(f);
    return 0;
}

static void clear(struct recorder *r)
{
    memset(r, 0, sizeof *r);
    r->all_retained = true;
}

static void a_marked_trip_brings_out_its_year_and_progress(void **state)
{
    struct fixture *f = *state;
    assert_false(publish_pending(f->p));
    publish_mark_trip(f->p, "2026-a-1", 2026);
    publish_mark_trip(f->p, "2026-a-1", 2026); /* once is enough */
    assert_true(publish_pending(f->p));
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "progress/2026 progress/2026/series "
                                     "progress/2026/counties/c1 progress/2026/counties/c2 "
                                     "progress/2026/coverage trips/2026-a-1/progress");
    assert_true(f->r.all_retained);
    assert_false(publish_pending(f->p));
    clear(&f->r);
    publish_progress(f->p, false); /* nothing marked: nothing sent */
    assert_int_equal(f->r.n, 0);
}

static void everything_includes_every_card(void **state)
{
    struct fixture *f = *state;
    clear(&f->r);
    publish_progress(f->p, true);
    assert_string_equal(f->r.topics, "progress/2026 progress/2026/series "
                                     "progress/2026/counties/c1 progress/2026/counties/c2 "
                                     "progress/2026/coverage "
                                     "trips/2026-a-1 trips/2026-a-1/progress "
                                     "trips/2026-b-1 trips/2026-b-1/progress");
    assert_true(f->r.all_retained);
}

static void a_county_left_behind_is_published(void **state)
{
    struct fixture *f = *state;
    struct trip_row old = {.year = 2025, .county = "c9", .county_name = "c9 county"};
    publish_mark_county(f->p, &old);
    assert_true(publish_pending(f->p));
    clear(&f->r);
    publish_progress(f->p, false);
    /* 2025 has no trip left: its months and the county's, all zero, so that
     * no retained month keeps what the trip took away */
    assert_string_equal(f->r.topics, "progress/2025 progress/2025/series "
                                     "progress/2025/coverage progress/2025/counties/c9 "
                                     "progress/2025/months progress/2025/counties/c9/months");
}

/* months (issue 13): a report brings out the months of its year (its day
 * clamped to its trip's: recorded on 1 January 2027 +08:00, typed in after
 * its trip of 1 March 2026, it is 2026's) and of its county, and no 2027
 * months; the county a trip left gets its months again. */
static void a_report_brings_out_its_months(void **state)
{
    struct fixture *f = *state;
    char buf[512];
    snprintf(buf, sizeof buf, "{\"msg_id\":\"00000abc-0000-4000-8000-000000000001\","
             "\"agent_id\":\"team-01\",\"seq\":1,\"trip_id\":\"2026-a-1\","
             "\"recorded_at\":\"2026-12-31T16:00:00Z\",\"department\":\"internal\","
             "\"consultations\":3}");
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode("team-01", "headcount", buf, strlen(buf), &r, &err), RJ_NONE);
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(store_report_insert(f->s, &r, NOW, NULL), OERR_OK);
    assert_int_equal(store_report_count(f->s, r.msg_id, 1), OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    report_free(&r);
    publish_mark_trip(f->p, "2026-a-1", 2026);
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "progress/2026 progress/2026/series "
                                     "progress/2026/counties/c1 progress/2026/counties/c2 "
                                     "progress/2026/coverage "
                                     "progress/2026/months progress/2026/counties/c1/months "
                                     "trips/2026-a-1/progress");
    struct trip_row old = {.year = 2026, .county = "c9", .county_name = "c9 county"};
    publish_mark_county(f->p, &old);
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "progress/2026 progress/2026/series "
                                     "progress/2026/counties/c1 progress/2026/counties/c2 "
                                     "progress/2026/coverage "
                                     "progress/2026/months progress/2026/counties/c1/months "
                                     "progress/2026/counties/c9 "
                                     "progress/2026/counties/c9/months");
}

static void too_many_marks_publish_everything(void **state)
{
    struct fixture *f = *state;
    char id[32];
    for (int i = 0; i < 65; i++) { /* one past the trips it keeps */
        snprintf(id, sizeof id, "2026-x-%d", i);
        publish_mark_trip(f->p, id, 2026);
    }
    clear(&f->r);
    publish_progress(f->p, false);
    assert_int_equal(f->r.n, 9); /* as everything: both trips, not the 65 marked */
}

static void progress_is_due_after_the_interval(void **state)
{
    struct fixture *f = *state;
    f->cfg.progress_interval_ms = 60000;
    publish_progress(f->p, true);
    assert_int_equal(publish_wait_ms(f->p), 200); /* nothing marked */
    publish_mark_year(f->p, 2026);
    long wait = publish_wait_ms(f->p);
    assert_true(wait > 50000 && wait <= 60001);
    clear(&f->r);
    publish_if_due(f->p); /* published a moment ago: not yet */
    assert_int_equal(f->r.n, 0);
    f->cfg.progress_interval_ms = 0;
    assert_int_equal(publish_wait_ms(f->p), 0);
    publish_if_due(f->p);
    assert_int_equal(f->r.n, 5); /* the year, its series, its two counties, coverage */
    assert_false(publish_pending(f->p));
    clear(&f->r);
    f->cfg.refresh_s = 0; /* a refresh is due: everything */
    publish_if_due(f->p);
    assert_int_equal(f->r.n, 9);
    publisher_free(NULL);
}

/* A report-only agent (seqs 1, 2, 5, 9: no status) and one known from its
 * status alone. */
static void add_agents(struct store *s)
{
    static const long long seqs[] = {1, 2, 5, 9};
    struct agent_status will = {.agent_id = "team-02", .online = false, .pending = -1,
                                .last_seq = -1};
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_agent_seen_seqs(s, "team-01", seqs, 4, NOW), OERR_OK);
    assert_int_equal(store_agent_status(s, &will, true, NOW), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
}

static void a_marked_agent_brings_out_its_device(void **state)
{
    struct fixture *f = *state;
    add_agents(f->s);
    publish_mark_agent(f->p, "team-01");
    publish_mark_agent(f->p, "team-01"); /* once is enough */
    publish_mark_agent(f->p, "team-99"); /* unknown to the store: nothing */
    assert_true(publish_pending(f->p));
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "devices/team-01");
    assert_true(f->r.all_retained);
    assert_false(publish_pending(f->p));
    /* as_of is the clock's: cut it off, the rest exactly. */
    char *as_of = strstr(f->r.device, ",\"as_of\":");
    assert_non_null(as_of);
    *as_of = '\0';
    assert_string_equal(f->r.device,
                        "{\"agent_id\":\"team-01\",\"online\":null,"
                        "\"last_heard\":\"" NOW "\",\"trip_id\":null,\"pending\":null,"
                        "\"last_seq\":9,\"missing\":[[3,4],[6,8]],\"missing_count\":5,"
                        "\"missing_ranges\":2,\"status_since\":null");
    clear(&f->r);
    publish_progress(f->p, true); /* everything: every agent's device too */
    assert_non_null(strstr(f->r.topics, "trips/2026-b-1/progress devices/team-01 "
                                        "devices/team-02"));
    assert_non_null(strstr(f->r.device, "\"agent_id\":\"team-02\",\"online\":false,"
                                        "\"last_heard\":null"));
}

static void each_marked_agent_once_in_order(void **state)
{
    struct fixture *f = *state;
    add_agents(f->s);
    char id[32];
    publish_mark_agent(f->p, "team-02");
    for (int i = 0; i < 200; i++) { /* more than the first allocation, unknown to the store */
        snprintf(id, sizeof id, "team-x%d", i);
        publish_mark_agent(f->p, id);
        publish_mark_agent(f->p, "team-02");
    }
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "devices/team-02");
    publish_mark_agent(f->p, "team-02");
    publish_mark_agent(f->p, "team-01");
    publish_mark_agent(f->p, "team-02");
    clear(&f->r);
    publish_progress(f->p, false);
    assert_string_equal(f->r.topics, "devices/team-01 devices/team-02");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_marked_trip_brings_out_its_year_and_progress, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(everything_includes_every_card, setup, teardown),
        cmocka_unit_test_setup_teardown(a_county_left_behind_is_published, setup, teardown),
        cmocka_unit_test_setup_teardown(a_report_brings_out_its_months, setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_marks_publish_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_is_due_after_the_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(a_marked_agent_brings_out_its_device, setup, teardown),
        cmocka_unit_test_setup_teardown(each_marked_agent_once_in_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
