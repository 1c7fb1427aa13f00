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

static struct changes ch; /* the last admin request's */

/* Runs one admin request in a transaction; returns the reply, parsed. */
static cJSON *admin(struct store *s, const char *payload)
{
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

#define V(code, tw, county, poor)                                                       \
    "{\"code\":\"" code "\",\"name\":\"Village " code "\",\"township\":\"" tw "\","      \
    "\"county\":\"" county "\",\"county_name\":\"" county " county\",\"poor\":" poor "}"

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
    /* The county's consultations and staff carry its counts, not the year's
     * targets beside its own. */
    assert_int_equal((long long)num(o, "consultations.count"), 40);
    assert_int_equal((long long)num(o, "staff.count"), 0);
    static const char *const year_only[] = {"target", "expected_to_date",
                                            "projected_year_end", "pace"};
    for (int i = 0; i < 4; i++) {
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "consultations"), year_only[i]));
        assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "staff"), year_only[i]));
    }
    cJSON_Delete(o);
    /* The year's own targets are untouched. */
    o = progress_year_json(s, 2026, NULL, NULL, &year_tg, TODAY, NOW);
    assert_int_equal((long long)num(o, "consultations.target"), 50000);
    assert_int_equal((long long)num(o, "staff.target"), 500);
    assert_null(cJSON_GetObjectItem(o, "county_targets"));
    cJSON_Delete(o);

    /* A county with township targets only: their sum (townships the register knows). */
    expect(s, "{\"request_id\":\"v\",\"op\":\"villages.put\",\"villages\":["
              V("wa", "A", "wuzhi", "true") "," V("wb", "B", "wuzhi", "false") "]}", NULL);
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
    trip_at(s, "t-xw", "2026-03-01", "xiuwu", NULL);
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

/* The reply's code and reason, exact. */
static void expect_refused(struct store *s, const char *payload, const char *code,
                           const char *reason)
{
    cJSON *o = admin(s, payload);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "code")->valuestring, code);
    assert_string_equal(cJSON_GetObjectItem(o, "reason")->valuestring, reason);
    cJSON_Delete(o);
}

static int list_county(void *ctx, const char *county, const char *name)
{
    char *out = ctx;
    snprintf(out + strlen(out), 256 - strlen(out), "%s=%s;", county, name);
    return 0;
}

static const char *counties_of(struct store *s, int year, char out[256])
{
    out[0] = '\0';
    assert_int_equal(store_counties_each(s, year, list_county, out), OERR_OK);
    return out;
}

#define TARGETS(rid, op, county, tw)                                                    \
    "{\"request_id\":\"" rid "\",\"op\":\"targets." op "\",\"year\":2026,"               \
    "\"county\":\"" county "\"" tw ",\"consultations\":100,\"staff\":5}"

/* targets.set refuses a county (or township) that nothing knows: a typo
 * would make a county always behind; targets.unset removes a row; a county
 * with targets and no trip is listed (its progress is published). */
static void test_targets_places(void **state)
{
    struct store *s = *state;
    char list[256];
    expect_refused(s, TARGETS("a", "set", "xiuwuu", ""), "unknown_place",
                   "county 'xiuwuu' is in no trip and not in the villages register: check the "
                   "spelling, or import the register (villages import FILE.csv) or create a "
                   "trip there first");
    trip_at(s, "t-xw", "2025-03-01", "xiuwu", NULL); /* a trip of any year makes it known */
    expect(s, TARGETS("b", "set", "xiuwu", ""), NULL);
    expect(s, "{\"request_id\":\"v\",\"op\":\"villages.put\",\"villages\":["
              V("v1", "TA", "boai", "true") "]}", NULL);
    expect(s, TARGETS("c", "set", "boai", ",\"township\":\"TA\""), NULL);
    expect_refused(s, TARGETS("d", "set", "boai", ",\"township\":\"TX\""), "unknown_place",
                   "township 'boai / TX' is in no trip and not in the villages register: check "
                   "the spelling, or import the register (villages import FILE.csv) or create "
                   "a trip there first");
    long long c = 0, st = 0;
    assert_int_equal(store_county_target(s, 2026, "xiuwuu", &c, &st), OERR_NOTFOUND);
    /* No trip of 2026 yet: both listed, by their targets, with a name (the
     * trips', else the register's). */
    assert_string_equal(counties_of(s, 2026, list), "boai=boai county;xiuwu=C;");
    assert_string_equal(counties_of(s, 2025, list), "xiuwu=C;");

    /* unset: the row goes; the reply says where it came from. */
    cJSON *o = admin(s, "{\"request_id\":\"u1\",\"op\":\"targets.unset\",\"year\":2026,"
                        "\"county\":\"boai\",\"township\":\"TA\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring, "admin");
    assert_string_equal(cJSON_GetObjectItem(o, "township")->valuestring, "TA");
    cJSON_Delete(o);
    /* boai is republished once more (without county_targets), then no more listed */
    assert_int_equal(ch.year, 2026);
    assert_int_equal(ch.old.year, 2026);
    assert_string_equal(ch.old.county, "boai");
    assert_string_equal(ch.old.county_name, "boai county");
    assert_int_equal(store_county_target(s, 2026, "boai", &c, &st), OERR_NOTFOUND);
    assert_string_equal(counties_of(s, 2026, list), "xiuwu=C;");
    expect_refused(s, "{\"request_id\":\"u2\",\"op\":\"targets.unset\",\"year\":2026,"
                      "\"county\":\"boai\",\"township\":\"TA\"}", "unknown_target",
                   "2026 boai / TA has no targets to unset (see outreach-coordinator targets "
                   "list --year 2026)");
    /* The same request again: the same reply, no second effect. */
    o = admin(s, "{\"request_id\":\"u1\",\"op\":\"targets.unset\",\"year\":2026,"
                 "\"county\":\"boai\",\"township\":\"TA\"}");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")));
    cJSON_Delete(o);
    /* A row of the targets file: unset says so. */
    struct target_row t = {.year = 2026, .county = "xiuwu", .township = "",
                           .consultations = 1, .staff = 1};
    expect(s, "{\"request_id\":\"u3\",\"op\":\"targets.unset\",\"year\":2026,"
              "\"county\":\"xiuwu\"}", NULL);
    assert_int_equal(store_target_put(s, &t, true, NOW), OERR_OK);
    o = admin(s, "{\"request_id\":\"u4\",\"op\":\"targets.unset\",\"year\":2026,"
                 "\"county\":\"xiuwu\"}");
    assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring, "config");
    cJSON_Delete(o);
    assert_string_equal(counties_of(s, 2026, list), "");
}

/* A trip at village v: site and register must agree; poor_village and an
 * absent township follow the register. */
static void upsert_at(struct store *s, const char *rid, const char *village, const char *county,
                      const char *extra, const char *code, const char *reason)
{
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"%s\",\"op\":\"trip.upsert\",\"trip_id\":\"t-v\",\"title\":\"T\","
             "\"date\":\"2026-03-01\",\"site\":{\"code\":\"s\",\"name\":\"S\",\"county\":\"%s\","
             "\"county_name\":\"C\",\"village\":\"%s\"%s},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[],\"capacity\":{\"doctor\":2}}",
             rid, county, village, extra);
    if (code)
        expect_refused(s, buf, code, reason);
    else
        expect(s, buf, NULL);
}

static void test_village_site(void **state)
{
    struct store *s = *state;
    expect(s, "{\"request_id\":\"v\",\"op\":\"villages.put\",\"villages\":["
              V("v1", "TA", "boai", "true") "," V("v2", "TA", "boai", "false") "]}", NULL);
    upsert_at(s, "a", "v1", "xiuwu", "", "village_mismatch",
              "site: village 'v1' is in county boai, township TA in the register; the site "
              "says county xiuwu: correct the site's county or township, or name the right "
              "village");
    upsert_at(s, "b", "v1", "boai", ",\"township\":\"TB\"", "village_mismatch",
              "site: village 'v1' is in county boai, township TA in the register; the site "
              "says county boai, township TB: correct the site's county or township, or name "
              "the right village");
    upsert_at(s, "c", "v2", "boai", ",\"poor_village\":true", "village_mismatch",
              "site: poor_village is true but village 'v2' is not poor in the register: leave "
              "poor_village out (with a village it follows the register), or correct the "
              "register (villages import)");
    upsert_at(s, "d", "v1", "boai", ",\"poor_village\":false", "village_mismatch",
              "site: poor_village is false but village 'v1' is poor in the register: leave "
              "poor_village out (with a village it follows the register), or correct the "
              "register (villages import)");
    struct trip_detail d;
    assert_int_equal(store_trip_detail(s, "t-v", &d), OERR_NOTFOUND); /* nothing stored */
    upsert_at(s, "e", "v1", "boai", "", NULL, NULL);
    assert_int_equal(store_trip_detail(s, "t-v", &d), OERR_OK);
    assert_true(d.poor_village);              /* the register's */
    assert_string_equal(d.township, "TA");    /* the register's */
    upsert_at(s, "f", "v2", "boai", ",\"township\":\"TA\",\"poor_village\":false", NULL, NULL);
    assert_int_equal(store_trip_detail(s, "t-v", &d), OERR_OK);
    assert_false(d.poor_village);
    char v[ID_MAX + 1];
    assert_int_equal(store_trip_village(s, "t-v", v), OERR_OK);
    assert_string_equal(v, "v2");

    /* The register changes: the trips at a village take its poor... */
    expect(s, "{\"request_id\":\"v2\",\"op\":\"villages.put\",\"villages\":["
              V("v2", "TA", "boai", "true") "]}", NULL);
    assert_int_equal(store_trip_detail(s, "t-v", &d), OERR_OK);
    assert_true(d.poor_village);
    /* ...but may not move it away from a trip at it: nothing of the request is stored. */
    expect_refused(s, "{\"request_id\":\"v3\",\"op\":\"villages.put\",\"villages\":["
                      V("v1", "TA", "boai", "false") "," V("v2", "TB", "boai", "true") "]}",
                   "village_mismatch",
                   "villages[1]: village 'v2' is at the site of trip t-v (county boai, township "
                   "TA), not in county boai, township TB: correct the trip first (trip create "
                   "with its new county and township), or the register");
    struct village_row row;
    assert_int_equal(store_village_get(s, "v1", &row), OERR_OK);
    assert_true(row.poor);
    assert_int_equal(store_village_get(s, "v2", &row), OERR_OK);
    assert_string_equal(row.township, "TA");
}

/* ---- villages and coverage ----------------------------------------------- */

/* A county has one name in the register: two names in one request, or one
 * against the stored register, are refused naming both; nothing stored. */
#define VN(code, county, name)                                                          \
    "{\"code\":\"" code "\",\"name\":\"V\",\"township\":\"T\",\"county\":\"" county       \
    "\",\"county_name\":\"" name "\",\"poor\":true}"
static void test_village_county_name(void **state)
{
    struct store *s = *state;
    struct village_row row;
    expect_refused(s, "{\"request_id\":\"n1\",\"op\":\"villages.put\",\"villages\":["
                      VN("v1", "xiuwu", "修武县") "," VN("v2", "wuzhi", "武陟县") ","
                      VN("v3", "xiuwu", "武陟县") "]}",
                   "county_name_mismatch",
                   "villages[2]: county xiuwu is named '武陟县' there but '修武县' in villages[0]: "
                   "a county has one name; give every village of it the same");
    assert_int_equal(store_village_get(s, "v1", &row), OERR_NOTFOUND);
    expect(s, "{\"request_id\":\"n2\",\"op\":\"villages.put\",\"villages\":["
              VN("v1", "xiuwu", "修武县") "," VN("v2", "xiuwu", "修武县") "]}", NULL);
    expect_refused(s, "{\"request_id\":\"n3\",\"op\":\"villages.put\",\"villages\":["
                      VN("v4", "wuzhi", "武陟县") "," VN("v3", "xiuwu", "武陟县") "]}",
                   "county_name_mismatch",
                   "villages[1]: county xiuwu is named '武陟县' there but '修武县' in the register "
                   "(village v1): a county has one name; use '修武县', or check the county code");
    assert_int_equal(store_village_get(s, "v4", &row), OERR_NOTFOUND);
    /* the county's only village renamed (it replaces itself): taken */
    expect(s, "{\"request_id\":\"n4\",\"op\":\"villages.put\",\"villages\":["
              VN("v9", "boai", "博爱") "]}", NULL);
    expect(s, "{\"request_id\":\"n5\",\"op\":\"villages.put\",\"villages\":["
              VN("v9", "boai", "博爱县") "]}", NULL);
    assert_int_equal(store_village_get(s, "v9", &row), OERR_OK);
    assert_string_equal(row.county_name, "博爱县");
}

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
        T(test_targets_places), T(test_village_site), T(test_village_county_name),
        T(test_villages_request_errors), T(test_rule), T(test_coverage), T(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
