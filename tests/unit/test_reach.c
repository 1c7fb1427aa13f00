/* test_reach.c -- targets per county (targets.set, the targets file, the
 * county_targets of county progress) and poor-village coverage (villages.put,
 * trips at villages, the rule of coverage.c). */
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

#include "admin.h"
#include "coverage.h"
#include "csvline.h"
#include "progress.h"
#include "progress_json.h"
#include "store.h"
#include "targets_file.h"

#define NOW UNIT_STORE_NOW
static const struct odate TODAY = {2026, 11, 22}; /* day 326 of 365 */

/* Runs one admin request in a transaction; returns the reply, parsed. */
static cJSON *admin(struct store *s, const char *payload)
{
    struct changes ch;
    int db_failed = -1;
    assert_int_equal(store_begin(s), OERR_OK);
    char *reply = admin_handle(s, payload, strlen(payload), NOW, &ch, &db_failed);
    assert_int_equal(db_failed, 0);
    assert_int_equal(store_commit(s), OERR_OK);
    assert_non_null(reply);
    cJSON *o = cJSON_Parse(reply);
    free(reply);
    assert_non_null(o);
    return o;
}

/* The request's reply: ok, or the refusal whose reason holds want. */
static void expect(struct store *s, const char *payload, const char *want)
{
    cJSON *o = admin(s, payload);
    const cJSON *ok = cJSON_GetObjectItem(o, "ok");
    if (!want) {
        assert_true(cJSON_IsTrue(ok));
    } else {
        assert_true(cJSON_IsFalse(ok));
        const char *reason = cJSON_GetObjectItem(o, "reason")->valuestring;
        if (!strstr(reason, want))
            fail_msg("reason '%s' lacks '%s'", reason, want);
    }
    cJSON_Delete(o);
}

static double num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *it = o;
    for (char *save, *p = strtok_r(buf, ".", &save); p; p = strtok_r(NULL, ".", &save))
        it = cJSON_GetObjectItemCaseSensitive(it, p);
    if (!cJSON_IsNumber(it))
        fail_msg("no number at %s", path);
    return it->valuedouble;
}

static void headcount(struct store *s, const char *msg_id, const char *trip, int n)
{
    char buf[1024], f[128];
    snprintf(f, sizeof f, "\"department\":\"internal\",\"consultations\":%d", n);
    struct report r;
    unit_report(&r, buf, sizeof buf, "team-07", msg_id, trip, "2026-11-22T09:31:05+08:00",
                "headcount", f);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_report_insert(s, &r, NOW, NULL), OERR_OK);
    assert_int_equal(store_report_count(s, msg_id, 1), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
}

/* A trip on date in county at village (NULL: none). */
static void trip_at(struct store *s, const char *trip_id, const char *date, const char *county,
                    const char *village)
{
    static int n;
    char buf[1024], v[96] = "";
    if (village)
        snprintf(v, sizeof v, ",\"village\":\"%s\"", village);
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"up-%d\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\","
             "\"title\":\"T\",\"date\":\"%s\",\"site\":{\"code\":\"s-1\",\"name\":\"Site\","
             "\"county\":\"%s\",\"county_name\":\"C\"%s},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[],\"capacity\":{\"doctor\":2}}",
             ++n, trip_id, date, county, v);
    expect(s, buf, NULL);
}

/* ---- targets ------------------------------------------------------------- */

static void test_targets_request_errors(void **state)
{
    struct store *s = *state;
    expect(s, "{\"request_id\":\"a\",\"op\":\"targets.set\",\"year\":2026,"
              "\"consultations\":10,\"staff\":1}", "field 'county'");
    expect(s, "{\"request_id\":\"b\",\"op\":\"targets.set\",\"year\":2026,\"county\":\"x\","
              "\"consultations\":-1,\"staff\":1}", "field 'consultations'");
    expect(s, "{\"request_id\":\"c\",\"op\":\"targets.set\",\"year\":1900,\"county\":\"x\","
              "\"consultations\":1,\"staff\":1}", "field 'year'");
    expect(s, "{\"request_id\":\"d\",\"op\":\"targets.set\",\"year\":2026,\"county\":\"x\","
              "\"consultations\":1}", "field 'staff'");
}

/* The county's figures against its own targets, as the year's: exact. */
static void test_county_targets(void **state)
{
    struct store *s = *state;
    trip_at(s, "t-xw", "2026-03-01", "xiuwu", NULL);
    trip_at(s, "t-wz", "2026-03-01", "wuzhi", NULL);
    headcount(s, mid(1), "t-xw", 40);
    struct targets year_tg = {500, 50000};
    /* No targets of its own: no county_targets. */
    cJSON *o = progress_year_json(s, 2026, "xiuwu", "Xiuwu", &year_tg, TODAY, NOW);
    assert_null(cJSON_GetObjectItem(o, "county_targets"));
    cJSON_Delete(o);

    expect(s, "{\"request_id\":\"t1\",\"op\":\"targets.set\",\"year\":2026,"
              "\"county\":\"xiuwu\",\"consultations\":3650,\"staff\":100}", NULL);
    o = progress_year_json(s, 2026, "xiuwu", "Xiuwu", &year_tg, TODAY, NOW);
    /* expected (3650*326*2+365)/730 = 3260; projected 40*365/326 = 44 */
    assert_int_equal((long long)num(o, "county_targets.consultations.target"), 3650);
    assert_int_equal((long long)num(o, "county_targets.consultations.expected_to_date"), 3260);
    assert_int_equal((long long)num(o, "county_targets.consultations.projected_year_end"), 44);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
                            o, "county_targets"), "consultations"), "pace")->valuestring,
                        "behind");
    assert_int_equal((long long)num(o, "county_targets.staff.expected_to_date"), 89);
    /* The same arithmetic as the year's. */
    struct target_figures f;
    progress_figures(40, 3650, 2026, TODAY, &f);
    assert_int_equal(f.expected_to_date, 3260);
    /* The year's own targets are untouched. */
    assert_int_equal((long long)num(o, "consultations.target"), 50000);
    cJSON_Delete(o);

    /* A county with township targets only: their sum. */
    expect(s, "{\"request_id\":\"t2\",\"op\":\"targets.set\",\"year\":2026,"
              "\"county\":\"wuzhi\",\"township\":\"A\",\"consultations\":700,\"staff\":3}", NULL);
    expect(s, "{\"request_id\":\"t3\",\"op\":\"targets.set\",\"year\":2026,"
              "\"county\":\"wuzhi\",\"township\":\"B\",\"consultations\":500,\"staff\":4}", NULL);
    o = progress_year_json(s, 2026, "wuzhi", "Wuzhi", &year_tg, TODAY, NOW);
    assert_int_equal((long long)num(o, "county_targets.consultations.target"), 1200);
    assert_int_equal((long long)num(o, "county_targets.consultations.expected_to_date"), 1072);
    assert_int_equal((long long)num(o, "county_targets.staff.target"), 7);
    cJSON_Delete(o);
}

/* The targets file: read in one transaction; an admin's target wins. */
static void test_targets_file(void **state)
{
    struct store *s = *state;
    expect(s, "{\"request_id\":\"t1\",\"op\":\"targets.set\",\"year\":2026,"
              "\"county\":\"xiuwu\",\"consultations\":3650,\"staff\":100}", NULL);
    char path[] = "/tmp/outreach-targets-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("\xEF\xBB\xBFyear,county,township,consultations,staff\r\n"
          "2026,xiuwu,,9999,99\r\n2026,wuzhi,,800,8\r\n\r\n", f);
    fclose(f);
    int rows = 0;
    char err[256] = "";
    assert_int_equal(targets_file_load(s, path, NOW, &rows, err), 0);
    assert_int_equal(rows, 2);
    long long c = 0, st = 0;
    assert_int_equal(store_county_target(s, 2026, "xiuwu", &c, &st), OERR_OK);
    assert_int_equal(c, 3650); /* the admin's */
    assert_int_equal(store_county_target(s, 2026, "wuzhi", &c, &st), OERR_OK);
    assert_int_equal(c, 800);
    assert_int_equal(store_county_target(s, 2026, "other", &c, &st), OERR_NOTFOUND);
    /* A bad line: named, and nothing of the file stored. */
    f = fopen(path, "w");
    fputs("year,county,township,consultations,staff\n2026,boai,,5,5\n2026,qinyang,,lots,5\n", f);
    fclose(f);
    assert_int_equal(targets_file_load(s, path, NOW, &rows, err), -1);
    assert_non_null(strstr(err, "line 3: field consultations"));
    assert_int_equal(store_county_target(s, 2026, "boai", &c, &st), OERR_NOTFOUND);
    unlink(path);
}

/* ---- villages and coverage ----------------------------------------------- */

static void test_villages_request_errors(void **state)
{
    struct store *s = *state;
    expect(s, "{\"request_id\":\"a\",\"op\":\"villages.put\",\"villages\":[]}",
           "field 'villages' must be a list of 1 to 100");
    expect(s, "{\"request_id\":\"b\",\"op\":\"villages.put\",\"villages\":[{\"code\":\"v1\","
              "\"name\":\"N\",\"township\":\"T\",\"county\":\"c\",\"county_name\":\"C\","
              "\"poor\":true},{\"code\":\"v2\",\"name\":\"N\",\"township\":\"T\","
              "\"county\":\"c\",\"county_name\":\"C\"}]}", "villages[1]: field 'poor'");
    expect(s, "{\"request_id\":\"c\",\"op\":\"villages.put\",\"villages\":[{\"code\":\"v1\","
              "\"name\":\"N\",\"township\":\"T\",\"county\":\"c\",\"county_name\":\"C\","
              "\"poor\":true},{\"code\":\"v1\",\"name\":\"N\",\"township\":\"T\","
              "\"county\":\"c\",\"county_name\":\"C\",\"poor\":false}]}",
           "villages[1]: code 'v1' is also villages[0]'s");
    /* A trip at a village the register lacks. */
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"u\",\"op\":\"trip.upsert\",\"trip_id\":\"t\",\"title\":\"T\","
             "\"date\":\"2026-03-01\",\"site\":{\"code\":\"s\",\"name\":\"S\",\"county\":\"c\","
             "\"county_name\":\"C\",\"village\":\"nowhere\"},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[],\"capacity\":{\"doctor\":2}}");
    expect(s, buf, "no village 'nowhere' in the register");
    assert_int_equal(store_villages_count(s, false), 0);
}

static void test_rule(void **state)
{
    (void)state;
    assert_true(coverage_trip_reaches("completed", "2026-03-01", TODAY, 5));
    assert_true(coverage_trip_reaches("planned", "2026-11-22", TODAY, 1)); /* in progress */
    assert_false(coverage_trip_reaches("cancelled", "2026-03-01", TODAY, 5));
    assert_false(coverage_trip_reaches("planned", "2026-11-23", TODAY, 5)); /* future */
    assert_false(coverage_trip_reaches("completed", "2026-03-01", TODAY, 0));
    assert_false(coverage_trip_reaches("", "", TODAY, 0)); /* no trip */
}

#define V(code, tw, county, poor)                                                       \
    "{\"code\":\"" code "\",\"name\":\"Village " code "\",\"township\":\"" tw "\","      \
    "\"county\":\"" county "\",\"county_name\":\"" county " county\",\"poor\":" poor "}"

/* Reached, not reached, a cancelled trip, a planned trip in the future, a
 * trip without consultations, a trip of another year, a village not poor. */
static void test_coverage(void **state)
{
    struct store *s = *state;
    expect(s, "{\"request_id\":\"v\",\"op\":\"villages.put\",\"villages\":["
              V("v1", "TA", "boai", "true") "," V("v2", "TA", "boai", "true") ","
              V("v3", "TB", "boai", "true") "," V("v4", "TC", "xiuwu", "true") ","
              V("v5", "TC", "xiuwu", "true") "," V("v6", "TC", "xiuwu", "false") ","
              V("v7", "TC", "xiuwu", "true") "]}", NULL);
    assert_int_equal(store_villages_count(s, false), 7);
    assert_int_equal(store_villages_count(s, true), 6);
    trip_at(s, "t1", "2026-03-01", "boai", "v1");   /* reached */
    headcount(s, mid(1), "t1", 12);
    expect(s, "{\"request_id\":\"c1\",\"op\":\"trip.complete\",\"trip_id\":\"t1\"}", NULL);
    /* v2: no trip */
    trip_at(s, "t3", "2026-04-01", "boai", "v3");   /* cancelled after reporting */
    headcount(s, mid(2), "t3", 9);
    expect(s, "{\"request_id\":\"c3\",\"op\":\"trip.cancel\",\"trip_id\":\"t3\"}", NULL);
    trip_at(s, "t4", "2026-12-05", "xiuwu", "v4");  /* planned, in the future */
    headcount(s, mid(3), "t4", 3);
    trip_at(s, "t5", "2026-11-22", "xiuwu", "v5");  /* today, nothing counted yet */
    trip_at(s, "t6", "2026-05-01", "xiuwu", "v6");  /* not poor: not listed */
    headcount(s, mid(4), "t6", 4);
    trip_at(s, "t7", "2025-05-01", "xiuwu", "v7");  /* last year's */
    headcount(s, mid(5), "t7", 4);
    char v[ID_MAX + 1];
    assert_int_equal(store_trip_village(s, "t5", v), OERR_OK);
    assert_string_equal(v, "v5");

    cJSON *o = coverage_json(s, 2026, TODAY, NOW);
    assert_non_null(o);
    char *text = cJSON_PrintUnformatted(o);
    assert_string_equal(text,
        "{\"year\":2026,\"as_of\":\"" NOW "\",\"poor_villages\":6,\"reached\":1,"
        "\"by_county\":[{\"county\":\"boai\",\"county_name\":\"boai county\","
        "\"poor_villages\":3,\"reached\":1,\"townships\":["
        "{\"township\":\"TA\",\"poor_villages\":2,\"reached\":1},"
        "{\"township\":\"TB\",\"poor_villages\":1,\"reached\":0}]},"
        "{\"county\":\"xiuwu\",\"county_name\":\"xiuwu county\",\"poor_villages\":3,"
        "\"reached\":0,\"townships\":[{\"township\":\"TC\",\"poor_villages\":3,\"reached\":0}]}],"
        "\"not_reached\":["
        "{\"code\":\"v2\",\"name\":\"Village v2\",\"township\":\"TA\",\"county\":\"boai\"},"
        "{\"code\":\"v3\",\"name\":\"Village v3\",\"township\":\"TB\",\"county\":\"boai\"},"
        "{\"code\":\"v4\",\"name\":\"Village v4\",\"township\":\"TC\",\"county\":\"xiuwu\"},"
        "{\"code\":\"v5\",\"name\":\"Village v5\",\"township\":\"TC\",\"county\":\"xiuwu\"},"
        "{\"code\":\"v7\",\"name\":\"Village v7\",\"township\":\"TC\",\"county\":\"xiuwu\"}]}");
    free(text);
    cJSON_Delete(o);
    /* 2025: v7 reached by last year's trip. */
    o = coverage_json(s, 2025, TODAY, NOW);
    assert_int_equal((long long)num(o, "reached"), 1);
    cJSON_Delete(o);
    /* The trip at v5 reports: reached; moved off the register's villages: not. */
    headcount(s, mid(6), "t5", 2);
    o = coverage_json(s, 2026, TODAY, NOW);
    assert_int_equal((long long)num(o, "reached"), 2);
    cJSON_Delete(o);
    trip_at(s, "t5", "2026-11-22", "xiuwu", NULL);
    o = coverage_json(s, 2026, TODAY, NOW);
    assert_int_equal((long long)num(o, "reached"), 1);
    cJSON_Delete(o);
}

/* ---- the CSV reader the targets file and villages import use ------------- */

static void test_csv(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF# a comment\r\na,\"b, c\",\"say \"\"hi\"\"\",\r\n\r\n"
                               "\"open,x\n\xC4\xE3\xBA\xC3\n";
    FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
    assert_non_null(f);
    struct csv_reader r = {.f = f};
    char err[128] = "";
    assert_int_equal(csv_next(&r, err), 1);
    assert_int_equal(r.line, 2);
    assert_int_equal(r.n, 4);
    assert_string_equal(r.field[0], "a");
    assert_string_equal(r.field[1], "b, c");
    assert_string_equal(r.field[2], "say \"hi\"");
    assert_string_equal(r.field[3], "");
    assert_int_equal(csv_next(&r, err), -1);
    assert_string_equal(err, "line 4: a quote is not closed");
    assert_int_equal(csv_next(&r, err), -1); /* GBK bytes */
    assert_string_equal(err, "line 5 is not UTF-8 (save the file as \"CSV UTF-8\")");
    assert_int_equal(csv_next(&r, err), 0);
    fclose(f);
}

int main(void)
{
    olog_set_level(OLOG_ERROR);
#define T(fn) cmocka_unit_test_setup_teardown(fn, memstore_setup, memstore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_targets_request_errors), T(test_county_targets), T(test_targets_file),
        T(test_villages_request_errors), T(test_rule), T(test_coverage), T(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
