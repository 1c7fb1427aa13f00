/* test_report_book.c -- the report's tables and the DHIS2 data value set from
 * a small store with exact values: a report at 23:30 on 31 January +08:00
 * counts in January, one at 16:00Z on 31 January in February (its +08:00
 * day is 1 February); the mapping's refusals; the CSV field writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dhis2.h"
#include "report_book.h"
#include "unit_store.h"

#define NOW "2026-02-20T10:00:00+08:00"

static void keep(struct store *s, int n, const char *trip, const char *at, const char *kind,
                 const char *fields)
{
    char buf[1024];
    struct report r;
    unit_report(&r, buf, sizeof buf, "team-07", mid(n), trip, at, kind, fields);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(store_report_insert(s, &r, NOW, NULL), OERR_OK);
    assert_int_equal(store_report_count(s, mid(n), 1), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
}

/* Two counties; xiuwu's reports on both sides of the month's edge, within
 * its trip's two days (a report's month is its day clamped to them). */
static int setup(void **state)
{
    if (memstore_setup(state))
        return -1;
    struct store *s = *state;
    add_trip_days(s, "2026-xw-001", "2026-01-31", "2026-02-01", "xiuwu");
    add_trip(s, "2026-wz-001", "2026-02-10", "wuzhi");
    keep(s, 1, "2026-xw-001", "2026-01-31T23:30:00+08:00", "headcount",
         "\"department\":\"internal\",\"consultations\":12,\"female\":7,\"over_60\":3,"
         "\"poor_households\":2");
    keep(s, 2, "2026-xw-001", "2026-01-31T16:00:00Z", "headcount",
         "\"department\":\"tcm\",\"consultations\":5,\"female\":1");
    keep(s, 3, "2026-wz-001", "2026-02-10T09:00:00+08:00", "referral",
         "\"destination\":\"county_hospital\",\"condition\":\"c\",\"urgency\":\"urgent\","
         "\"patient_ref\":\"p-1\"");
    keep(s, 4, "2026-wz-001", "2026-02-10T10:00:00+08:00", "dispense",
         "\"medicine\":\"m\",\"quantity\":1,\"unit\":\"box\",\"value_fen\":12345");
    return 0;
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/outreach-unit-map-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char mapping[] =
    "{\"comment\":\"made up\",\"figures\":["
    "{\"figure\":\"consultations\",\"dataElement\":\"DE_C\",\"categoryOptionCombo\":\"default\"},"
    "{\"figure\":\"by_department.tcm\",\"dataElement\":\"DE_D\",\"categoryOptionCombo\":\"TCM\"},"
    "{\"figure\":\"by_urgency.urgent\",\"dataElement\":\"DE_R\",\"categoryOptionCombo\":\"URG\"},"
    "{\"figure\":\"value_cny\",\"dataElement\":\"DE_V\",\"categoryOptionCombo\":\"default\","
    "\"comment\":\"yuan\"}],"
    "\"orgUnits\":[{\"county\":\"xiuwu\",\"orgUnit\":\"OU_XW\"},"
    "{\"county\":\"wuzhi\",\"orgUnit\":\"OU_WZ\"}]}";

#define DV(de, pe, ou, coc, v)                                                                \
    "{\"dataElement\":\"" de "\",\"period\":\"" pe "\",\"orgUnit\":\"" ou                    \
    "\",\"categoryOptionCombo\":\"" coc "\",\"value\":\"" v "\"}"

static void test_dhis2_exact(void **state)
{
    struct store *s = *state;
    char err[DHIS2_ERR_MAX] = "";
    char *path = write_tmp(mapping);
    struct dhis2_map *m = dhis2_map_load(path, err);
    unlink(path);
    assert_non_null(m);
    cJSON *set = dhis2_build(s, m, 2026, 0, NULL, err);
    if (!set)
        fail_msg("dhis2_build: %s", err);
    char *got = cJSON_PrintUnformatted(set);
    /* wuzhi: February only; xiuwu: January (23:30 +08:00) and February
     * (16:00Z on 31 January); no other month, zeros sent in a month with
     * figures */
    assert_string_equal(got, "{\"dataValues\":["
        DV("DE_C", "202602", "OU_WZ", "default", "0") "," DV("DE_D", "202602", "OU_WZ", "TCM", "0") ","
        DV("DE_R", "202602", "OU_WZ", "URG", "1") "," DV("DE_V", "202602", "OU_WZ", "default", "123.45") ","
        DV("DE_C", "202601", "OU_XW", "default", "12") "," DV("DE_D", "202601", "OU_XW", "TCM", "0") ","
        DV("DE_R", "202601", "OU_XW", "URG", "0") "," DV("DE_V", "202601", "OU_XW", "default", "0.00") ","
        DV("DE_C", "202602", "OU_XW", "default", "5") "," DV("DE_D", "202602", "OU_XW", "TCM", "5") ","
        DV("DE_R", "202602", "OU_XW", "URG", "0") "," DV("DE_V", "202602", "OU_XW", "default", "0.00")
        "]}");
    free(got);
    cJSON_Delete(set);
    /* one county */
    set = dhis2_build(s, m, 2026, 0, "wuzhi", err);
    assert_non_null(set);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(set, "dataValues")), 4);
    cJSON_Delete(set);
    /* one month: January has xiuwu's values only; March has none */
    set = dhis2_build(s, m, 2026, 1, NULL, err);
    got = cJSON_PrintUnformatted(set);
    assert_string_equal(got, "{\"dataValues\":["
        DV("DE_C", "202601", "OU_XW", "default", "12") "," DV("DE_D", "202601", "OU_XW", "TCM", "0") ","
        DV("DE_R", "202601", "OU_XW", "URG", "0") "," DV("DE_V", "202601", "OU_XW", "default", "0.00")
        "]}");
    free(got);
    cJSON_Delete(set);
    set = dhis2_build(s, m, 2026, 3, NULL, err);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(set, "dataValues")), 0);
    cJSON_Delete(set);
    /* a county with no figures (one of the register, say): no value */
    set = dhis2_build(s, m, 2026, 0, "nowhere", err);
    got = cJSON_PrintUnformatted(set);
    assert_string_equal(got, "{\"dataValues\":[]}");
    free(got);
    cJSON_Delete(set);
    /* another year: none */
    set = dhis2_build(s, m, 2025, 0, NULL, err);
    got = cJSON_PrintUnformatted(set);
    assert_string_equal(got, "{\"dataValues\":[]}");
    free(got);
    cJSON_Delete(set);
    dhis2_map_free(m);
}

/* Loads text as a mapping; returns err (static) when refused, NULL when loaded. */
static const char *refusal(const char *text)
{
    static char err[DHIS2_ERR_MAX];
    err[0] = '\0';
    char *path = write_tmp(text);
    struct dhis2_map *m = dhis2_map_load(path, err);
    unlink(path);
    if (m) {
        dhis2_map_free(m);
        return NULL;
    }
    return err;
}

static void test_dhis2_refusals(void **state)
{
    struct store *s = *state;
    assert_null(refusal(mapping));
    const char *e = refusal("[]");
    assert_non_null(strstr(e, "is not a JSON object"));
    e = refusal("{\"figures\":[{\"figure\":\"by_department.cardiology\",\"dataElement\":\"A\","
                "\"categoryOptionCombo\":\"B\"}],\"orgUnits\":[{\"county\":\"xiuwu\","
                "\"orgUnit\":\"X\"}]}");
    assert_non_null(strstr(e, "figures[0]: \"figure\" must be one of the months' figures"));
    e = refusal("{\"figures\":[{\"figure\":\"female\",\"dataElement\":\"A\","
                "\"categoryOptionCombo\":\"B\"},{\"figure\":\"over_60\",\"dataElement\":\"A\","
                "\"categoryOptionCombo\":\"B\"}],\"orgUnits\":[{\"county\":\"xiuwu\","
                "\"orgUnit\":\"X\"}]}");
    assert_string_equal(e, "figures[0] (female) and figures[1] (over_60) both go to dataElement "
                           "A, categoryOptionCombo B: one value would overwrite the other");
    e = refusal("{\"figures\":[{\"figure\":\"female\",\"dataElement\":\"\","
                "\"categoryOptionCombo\":\"B\"}],\"orgUnits\":[]}");
    assert_string_equal(e, "figures[0]: \"dataElement\" must be a DHIS2 code, 1 to 50 characters");
    e = refusal("{\"figures\":[{\"figure\":\"female\",\"dataElement\":\"A\","
                "\"categoryOptionCombo\":\"B\"}],\"orgUnits\":[{\"county\":\"x\","
                "\"orgUnit\":\"X\"},{\"county\":\"x\",\"orgUnit\":\"Y\"}]}");
    assert_string_equal(e, "orgUnits[0] and orgUnits[1] both map county x");
    /* a county with figures that the mapping lacks stops the set */
    char err[DHIS2_ERR_MAX];
    char *path = write_tmp("{\"figures\":[{\"figure\":\"female\",\"dataElement\":\"A\","
                           "\"categoryOptionCombo\":\"B\"}],\"orgUnits\":[{\"county\":\"xiuwu\","
                           "\"orgUnit\":\"X\"}]}");
    struct dhis2_map *m = dhis2_map_load(path, err);
    unlink(path);
    assert_non_null(m);
    assert_null(dhis2_build(s, m, 2026, 0, NULL, err));
    assert_string_equal(err, "county wuzhi (wuzhi county) has figures in 2026 but no orgUnit in "
                             "the mapping: add {\"county\": \"wuzhi\", \"orgUnit\": "
                             "\"ITS_DHIS2_CODE\"} to \"orgUnits\"");
    assert_null(dhis2_build(s, m, 2026, 2, NULL, err));
    assert_non_null(strstr(err, "county wuzhi (wuzhi county) has figures in 2026-02 but no "));
    /* January: wuzhi has no figures then, so needs no orgUnit: xiuwu's value */
    cJSON *set = dhis2_build(s, m, 2026, 1, NULL, err);
    assert_non_null(set);
    char *got = cJSON_PrintUnformatted(set);
    assert_string_equal(got, "{\"dataValues\":[" DV("A", "202601", "X", "B", "7") "]}");
    free(got);
    cJSON_Delete(set);
    dhis2_map_free(m);
    assert_null(dhis2_map_load("/nonexistent/map.json", err));
    assert_string_equal(err, "cannot read the mapping /nonexistent/map.json");
}

static char *csv_of(const struct report_book *b, int section)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    assert_int_equal(book_write_csv(b, section, f), 0);
    assert_int_equal(fclose(f), 0);
    return text;
}

/* The CSV of the book's section holds want. */
static void csv_has(const struct report_book *b, int section, const char *want)
{
    char *csv = csv_of(b, section);
    if (!strstr(csv, want))
        fail_msg("section %d has no '%s' in:\n%s", section, want, csv);
    free(csv);
}

static void test_book_tables(void **state)
{
    struct store *s = *state;
    struct book_opts o = {.year = 2026, .tg = {10, 100}, .today = {2026, 2, 20},
                          .as_of = NOW};
    struct report_book b;
    /* xiuwu's own targets; wuzhi has none */
    struct target_row tr = {.year = 2026, .county = "xiuwu", .consultations = 100, .staff = 20};
    assert_int_equal(store_target_put(s, &tr, false, NOW), OERR_OK);
    oerr_t e = book_build(s, &o, &b);
    if (e)
        fail_msg("book_build: %s (%s)", oerr_str(e), store_errmsg(s));
    char *csv = csv_of(&b, RS_MONTHS);
    /* the BOM once, the header, January's and February's figures by the time
     * recorded (consultations, female, over 60, poor, staff, CNY, dispenses,
     * referrals, brochures, attendees, talks, education reports) */
    assert_memory_equal(csv, "\xEF\xBB\xBF\xE6\x9C\x88", 6);
    assert_non_null(strstr(csv, "\r\n2026-01,12,7,3,2,0,0.00,0,0,0,0,0,0\r\n"
                                "2026-02,5,1,0,0,0,123.45,1,1,0,0,0,0\r\n2026-03,0,"));
    /* the year's total, its staff empty (distinct people each month) */
    assert_non_null(strstr(csv, "\r\n2026-12,0,0,0,0,0,0.00,0,0,0,0,0,0\r\n"
                                "合计 Total,17,8,3,2,,123.45,1,1,0,0,0,0\r\n"));
    assert_int_equal(b.t[RS_MONTHS].nrows, 13);
    free(csv);
    csv = csv_of(&b, RS_DEPARTMENTS);
    assert_non_null(strstr(csv, "\r\n2026-01,12,0,0,0,0,0,0,0,0,12\r\n"
                                "2026-02,0,0,0,0,0,5,0,0,0,5\r\n"));
    assert_non_null(strstr(csv, "\r\n合计 Total,12,0,0,0,0,5,0,0,0,17\r\n"));
    free(csv);
    csv = csv_of(&b, RS_REFERRALS);
    assert_non_null(strstr(csv, "\r\n2026-02,1,0,1,0,0,1,0\r\n"));
    free(csv);
    /* the summary by the trips' dates, with the year's targets, pace in words */
    csv = csv_of(&b, RS_SUMMARY);
    assert_non_null(strstr(csv, "\r\n诊疗人次 Consultations,17,100,"));
    assert_non_null(strstr(csv, "\r\n乡镇卫生院 Township health centre,0,,,,\r\n"));
    free(csv);
    /* the site app's words (its buttons; common/names.c): 加急 is urgent */
    assert_string_equal(b.t[RS_DEPARTMENTS].cols[1], "内科 Internal");
    assert_string_equal(b.t[RS_DEPARTMENTS].cols[6], "中医 TCM");
    assert_string_equal(b.t[RS_REFERRALS].cols[3], "县医院 County hospital");
    assert_string_equal(b.t[RS_REFERRALS].cols[5], "常规 Routine");
    assert_string_equal(b.t[RS_REFERRALS].cols[6], "加急 Urgent");
    assert_string_equal(b.t[RS_REFERRALS].cols[7], "紧急 Emergency");
    assert_string_equal(book_pace_words("on_pace"), "符合进度 On pace");
    assert_string_equal(book_pace_words("behind"), "落后 Behind");
    assert_string_equal(book_status_words("cancelled"), "已取消 Cancelled");
    assert_string_equal(book_status_words("odd"), "odd");
    /* trips: dates (date cells in xlsx; xiuwu's two days), no village, the
     * status in words */
    csv = csv_of(&b, RS_TRIPS);
    assert_non_null(strstr(csv, "\r\n2026-xw-001,2026-01-31,2026-02-01,"));
    assert_non_null(strstr(csv, ",xiuwu,xiuwu county,"));
    assert_int_equal(b.t[RS_TRIPS].cells[1].kind, RC_DATE);
    assert_int_equal(b.t[RS_TRIPS].cells[2].kind, RC_DATE);
    free(csv);
    /* no register: the coverage's total only, nothing not reached */
    csv = csv_of(&b, RS_COVERAGE);
    assert_non_null(strstr(csv, "\r\n合计 Total,,,0,0,0,\r\n"));
    free(csv);
    assert_int_equal(b.t[RS_NOT_REACHED].nrows, 0);
    assert_non_null(strstr(b.heading, "Outreach report 2026 (as of"));
    /* every note Chinese first, then English */
    assert_string_equal(b.t[RS_COUNTIES].note,
                        "本年累计（按出诊日期）；县级指标未设置时为空 The year to date (by the "
                        "trips' dates); county targets are empty while a county has none");
    assert_string_equal(b.t[RS_TRIPS].note, "按出诊日期；到岗只计人数，不记姓名 By the trips' "
                                            "dates; attendance counts people, never names");
    /* the counties in code order; wuzhi has no county target: those cells
     * empty; xiuwu's on 20 February (day 51 of 365): consultations 17 of
     * 14 expected (ahead), staff 0 of 3 expected (behind) */
    csv = csv_of(&b, RS_COUNTIES);
    assert_non_null(strstr(csv, "\r\nwuzhi,wuzhi county,0,0,0,0,0,123.45,1,1,0,0,0,1,0,0,,,,,,\r\n"
                                "xiuwu,xiuwu county,17,8,3,2,0,0.00,0,0,0,0,0,1,0,0,"
                                "100,14,超前 Ahead,20,3,落后 Behind\r\n"));
    assert_string_equal(b.t[RS_COUNTIES].cols[19], "县目标（医务人员）County target (staff)");
    assert_string_equal(b.t[RS_COUNTIES].cols[21], "进度（医务人员）Pace (staff)");
    free(csv);
    book_free(&b);

    /* February of xiuwu: 16:00Z on 31 January is there; its trips dated in
     * February: none */
    o.month = 2;
    o.county = "xiuwu";
    assert_int_equal(book_build(s, &o, &b), OERR_OK);
    csv = csv_of(&b, RS_COUNTIES);
    assert_non_null(strstr(csv, "\r\nxiuwu,xiuwu county,5,1,0,0,0,0.00,0,0,0,0,0\r\n"));
    free(csv);
    assert_int_equal(b.t[RS_TRIPS].nrows, 0);
    assert_int_equal(b.t[RS_MONTHS].nrows, 2); /* February and the total */
    /* the county by its name, its code after */
    assert_non_null(strstr(b.heading, "Outreach report 2026-02 · xiuwu county (xiuwu) (as of"));
    book_free(&b);
    o.county = "nowhere";
    assert_int_equal(book_build(s, &o, &b), OERR_NOTFOUND);
    book_free(&b);
    /* a county of the villages register only (no trip, no target): its row
     * of zeros by the register's name, no trip, its coverage */
    struct village_row v = {.code = "v-wl-1", .name = "五里源村", .township = "五里源乡",
                            .county = "wuling", .county_name = "武陵县", .poor = true};
    assert_int_equal(store_village_put(s, &v, NOW), OERR_OK);
    o.month = 0;
    o.county = "wuling";
    assert_int_equal(book_build(s, &o, &b), OERR_OK);
    csv_has(&b, RS_COUNTIES, "\r\nwuling,武陵县,0,0,0,0,0,0.00,0,0,0,0,0,0,0,0,,,,,,\r\n");
    assert_int_equal(b.t[RS_COUNTIES].nrows, 1);
    assert_int_equal(b.t[RS_TRIPS].nrows, 0);
    csv_has(&b, RS_COVERAGE, "\r\nwuling,武陵县,,1,0,1,0%\r\nwuling,武陵县,五里源乡,1,0,1,0%\r\n");
    csv_has(&b, RS_NOT_REACHED, "\r\nwuling,五里源乡,v-wl-1,五里源村\r\n");
    /* the share: a number (a percent cell in xlsx), its text elsewhere */
    assert_int_equal(b.t[RS_COVERAGE].cells[6].kind, RC_PERCENT);
    assert_int_equal(b.t[RS_COVERAGE].cells[6].n, 0);
    assert_non_null(strstr(b.heading, "Outreach report 2026 · 武陵县 (wuling) (as of"));
    book_free(&b);
}

static void test_csv_field(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
        bool defuse;
    } cases[] = {
        {"plain", "plain", true},
        {"a,b", "\"a,b\"", true},
        {"say \"hi\"", "\"say \"\"hi\"\"\"", true},
        {"two\nlines", "\"two\nlines\"", true},
        {"=1+2", "\"'=1+2\"", true},
        {"@SUM(A1)", "\"'@SUM(A1)\"", true},
        {"-5", "\"'-5\"", true},
        {"-5", "-5", false},
        {"", "", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_int_equal(book_csv_field(f, cases[i].in, cases[i].defuse), 0);
        fclose(f);
        assert_string_equal(text, cases[i].out);
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dhis2_exact, setup, memstore_teardown),
        cmocka_unit_test_setup_teardown(test_dhis2_refusals, setup, memstore_teardown),
        cmocka_unit_test_setup_teardown(test_book_tables, setup, memstore_teardown),
        cmocka_unit_test(test_csv_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
