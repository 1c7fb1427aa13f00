/* test_report.c -- report_decode against every field rule of docs/protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "report.h"

#define AGENT "team-07"
#define MSG "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b"
#define MSG2 "9c0d1e2f-3a4b-4c5d-8e6f-708192a3b4c5"

/* ---- building reports ---------------------------------------------------- */

static cJSON *envelope(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "msg_id", MSG);
    cJSON_AddStringToObject(o, "agent_id", AGENT);
    cJSON_AddNumberToObject(o, "seq", 42);
    cJSON_AddStringToObject(o, "trip_id", "2026-zjj-014");
    cJSON_AddStringToObject(o, "recorded_at", "2026-11-22T09:31:05+08:00");
    return o;
}

/* A valid report of the kind with every required field (and no optional one). */
static cJSON *base(const char *kind)
{
    cJSON *o = envelope();
    if (strcmp(kind, "headcount") == 0) {
        cJSON_AddStringToObject(o, "department", "internal");
        cJSON_AddNumberToObject(o, "consultations", 10);
    } else if (strcmp(kind, "dispense") == 0) {
        cJSON_AddStringToObject(o, "medicine", "amoxicillin");
        cJSON_AddNumberToObject(o, "quantity", 20);
        cJSON_AddStringToObject(o, "unit", "box");
        cJSON_AddNumberToObject(o, "value_fen", 12550);
    } else if (strcmp(kind, "referral") == 0) {
        cJSON_AddStringToObject(o, "destination", "county_hospital");
        cJSON_AddStringToObject(o, "condition", "cataract");
        cJSON_AddStringToObject(o, "urgency", "routine");
        cJSON_AddStringToObject(o, "patient_ref", "P-0042");
    } else if (strcmp(kind, "education") == 0) {
        cJSON_AddNumberToObject(o, "brochures", 100);
        cJSON_AddNumberToObject(o, "attendees", 60);
        cJSON_AddNumberToObject(o, "talks", 1);
    } else if (strcmp(kind, "checkin") == 0) {
        cJSON_AddStringToObject(o, "staff_id", "dr-wang-01");
        cJSON_AddStringToObject(o, "role", "doctor");
    } else if (strcmp(kind, "void") == 0) {
        cJSON_AddStringToObject(o, "voids", MSG2);
        cJSON_AddStringToObject(o, "reason", "entered twice");
    }
    return o;
}

static cJSON *del(cJSON *o, const char *f)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, f);
    return o;
}

static cJSON *set_num(cJSON *o, const char *f, double v)
{
    del(o, f);
    cJSON_AddNumberToObject(o, f, v);
    return o;
}

static cJSON *set_str(cJSON *o, const char *f, const char *v)
{
    del(o, f);
    cJSON_AddStringToObject(o, f, v);
    return o;
}

static cJSON *set_bool(cJSON *o, const char *f, int v)
{
    del(o, f);
    cJSON_AddBoolToObject(o, f, v);
    return o;
}

static cJSON *set_null(cJSON *o, const char *f)
{
    del(o, f);
    cJSON_AddNullToObject(o, f);
    return o;
}

/* n copies of unit, in buf. */
static const char *rep(char *buf, size_t cap, const char *unit, size_t n)
{
    size_t u = strlen(unit);
    assert_true(u * n < cap);
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * u, unit, u);
    buf[u * n] = '\0';
    return buf;
}

/* ---- checking verdicts --------------------------------------------------- */

static const char *code_name(enum reject_code c) { return reject_code_str(c); }

static void check_raw(const char *topic_agent, const char *kind, const char *payload,
                      size_t len, enum reject_code want, const char *needle, int line)
{
    struct report r;
    struct jerr err = {{0}};
    enum reject_code got = report_decode(topic_agent, kind, payload, len, &r, &err);
    report_free(&r);
    if (got != want)
        fail_msg("line %d: %s report: got %s (%s), want %s", line, kind, code_name(got),
                 err.msg, code_name(want));
    if (needle && !strstr(err.msg, needle))
        fail_msg("line %d: %s report: reason '%s' does not name '%s'", line, kind, err.msg,
                 needle);
}

/* Decodes o (consumed) as a report of kind arriving on topic_agent's topic. */
static void check_t(const char *topic_agent, const char *kind, cJSON *o,
                    enum reject_code want, const char *needle, int line)
{
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    assert_non_null(p);
    struct report r;
    struct jerr err = {{0}};
    enum reject_code got = report_decode(topic_agent, kind, p, strlen(p), &r, &err);
    report_free(&r);
    if (got != want) {
        print_error("payload: %s\n", p);
        free(p);
        fail_msg("line %d: %s report: got %s (%s), want %s", line, kind, code_name(got),
                 err.msg, code_name(want));
    }
    free(p);
    if (needle && !strstr(err.msg, needle))
        fail_msg("line %d: %s report: reason '%s' does not name '%s'", line, kind, err.msg,
                 needle);
}

#define OK(kind, o) check_t(AGENT, kind, o, RJ_NONE, NULL, __LINE__)
#define BAD(kind, o, field) check_t(AGENT, kind, o, RJ_SCHEMA, field, __LINE__)

/* Decodes o (consumed) and expects success; the caller frees r. */
static void decode_ok(const char *kind, cJSON *o, struct report *r)
{
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct jerr err = {{0}};
    enum reject_code got = report_decode(AGENT, kind, p, strlen(p), r, &err);
    free(p);
    if (got != RJ_NONE) {
        report_free(r);
        fail_msg("%s report refused: %s (%s)", kind, code_name(got), err.msg);
    }
}

/* ---- envelope ------------------------------------------------------------ */

static void test_envelope_valid_fields(void **state)
{
    struct report r;
    decode_ok("headcount", base("headcount"), &r);
    assert_int_equal(r.kind, RK_HEADCOUNT);
    assert_string_equal(r.msg_id, MSG);
    assert_string_equal(r.agent_id, AGENT);
    assert_int_equal(r.seq, 42);
    assert_string_equal(r.trip_id, "2026-zjj-014");
    assert_string_equal(r.recorded_at, "2026-11-22T09:31:05+08:00");
    report_free(&r);
}

static void test_envelope_required(void **state)
{
    static const char *const kinds[] = {"headcount", "dispense", "referral",
                                        "education", "checkin", "void"};
    static const char *const fields[] = {"msg_id", "agent_id", "seq", "trip_id",
                                         "recorded_at"};
    for (size_t k = 0; k < 6; k++)
        for (size_t f = 0; f < 5; f++)
            BAD(kinds[k], del(base(kinds[k]), fields[f]), fields[f]);
}

static void test_envelope_msg_id(void **state)
{
    OK("headcount", set_str(base("headcount"), "msg_id", "00000000-0000-0000-0000-000000000000"));
    BAD("headcount", set_str(base("headcount"), "msg_id", "1B4E28BA-2FA1-4D3B-A3F5-EF19B5A7633B"),
        "msg_id");
    BAD("headcount", set_str(base("headcount"), "msg_id", "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633"),
        "msg_id"); /* 35 chars */
    BAD("headcount", set_str(base("headcount"), "msg_id", "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633bb"),
        "msg_id"); /* 37 chars */
    BAD("headcount", set_str(base("headcount"), "msg_id", "1b4e28ba2fa14d3ba3f5ef19b5a7633b0000"),
        "msg_id"); /* no hyphens */
    BAD("headcount", set_str(base("headcount"), "msg_id", "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633g"),
        "msg_id");
    BAD("headcount", set_num(base("headcount"), "msg_id", 12), "msg_id");
    BAD("headcount", set_null(base("headcount"), "msg_id"), "msg_id");
}

static void test_envelope_agent_id(void **state)
{
    char buf[128];
    BAD("headcount", set_str(base("headcount"), "agent_id", "Team-07"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", "-team"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", "_team"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", "team/07"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", "team+"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", "team.07"), "agent_id");
    BAD("headcount", set_str(base("headcount"), "agent_id", ""), "agent_id");
    BAD("headcount", set_num(base("headcount"), "agent_id", 7), "agent_id");
    /* 64 characters are fine (topic agent the same), 65 are not. */
    rep(buf, sizeof buf, "a", 64);
    check_t(buf, "headcount", set_str(base("headcount"), "agent_id", buf), RJ_NONE, NULL,
            __LINE__);
    check_t("0_x-y", "headcount", set_str(base("headcount"), "agent_id", "0_x-y"), RJ_NONE,
            NULL, __LINE__);
    rep(buf, sizeof buf, "a", 65);
    check_t(buf, "headcount", set_str(base("headcount"), "agent_id", buf), RJ_SCHEMA,
            "agent_id", __LINE__);
}

/* seq as literal text: cJSON prints doubles above 1e15 with 15 digits only. */
static void check_seq(const char *seq_text, enum reject_code want, int line)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":%s,\"trip_id\":\"t1\","
             "\"recorded_at\":\"2026-11-22T09:31:05Z\",\"department\":\"tcm\","
             "\"consultations\":3}", seq_text);
    check_raw(AGENT, "headcount", buf, strlen(buf), want, want == RJ_NONE ? NULL : "seq", line);
}

static void test_envelope_seq(void **state)
{
    check_seq("1", RJ_NONE, __LINE__);
    check_seq("9007199254740991", RJ_NONE, __LINE__);
    check_seq("9007199254740992", RJ_SCHEMA, __LINE__);
    check_seq("1e300", RJ_SCHEMA, __LINE__);
    check_seq("0", RJ_SCHEMA, __LINE__);
    check_seq("-1", RJ_SCHEMA, __LINE__);
    check_seq("1.5", RJ_SCHEMA, __LINE__);
    check_seq("\"42\"", RJ_SCHEMA, __LINE__);
    check_seq("true", RJ_SCHEMA, __LINE__);
    check_seq("null", RJ_SCHEMA, __LINE__);
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":9007199254740991,"
             "\"trip_id\":\"t1\",\"recorded_at\":\"2026-11-22T09:31:05Z\","
             "\"department\":\"tcm\",\"consultations\":3}");
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode(AGENT, "headcount", buf, strlen(buf), &r, &err), RJ_NONE);
    assert_true(r.seq == SEQ_MAX);
    report_free(&r);
}

static void test_envelope_trip_id(void **state)
{
    char buf[128];
    OK("headcount", set_str(base("headcount"), "trip_id", "A.b_c-9"));
    BAD("headcount", set_str(base("headcount"), "trip_id", ""), "trip_id");
    BAD("headcount", set_str(base("headcount"), "trip_id", ".hidden"), "trip_id");
    BAD("headcount", set_str(base("headcount"), "trip_id", "-x"), "trip_id");
    BAD("headcount", set_str(base("headcount"), "trip_id", "2026/zjj"), "trip_id");
    BAD("headcount", set_str(base("headcount"), "trip_id", "2026 zjj"), "trip_id");
    BAD("headcount", set_str(base("headcount"), "trip_id", "zjj#1"), "trip_id");
    OK("headcount", set_str(base("headcount"), "trip_id", rep(buf, sizeof buf, "T", 64)));
    BAD("headcount", set_str(base("headcount"), "trip_id", rep(buf, sizeof buf, "T", 65)),
        "trip_id");
}

static void test_envelope_recorded_at(void **state)
{
    static const char *const good[] = {
        "2026-11-22T09:31:05+08:00", "2026-11-22T01:31:05Z", "2026-11-22T09:31:05.123+08:00",
        "2026-11-22T09:31:05.5Z",    "2026-11-21T20:31:05-05:00", "2024-02-29T23:59:59+00:00",
        "2026-11-22T09:31:05.123456789Z",
    };
    static const char *const bad[] = {
        "2026-11-22T09:31:05",        /* no offset */
        "2026-02-30T09:31:05+08:00",  /* no such day */
        "2026-02-29T09:31:05+08:00",  /* not a leap year */
        "2026-11-22T24:00:00+08:00",  /* hour 24 */
        "2026-11-22T09:60:05+08:00",
        "2026-11-22T09:31:05+0800",
        "2026-11-22T09:31:05+08",
        "2026-11-22",
        "2026-11-22T09:31+08:00",
        "2026-13-01T09:31:05+08:00",
        "2026-11-22T09:31:05.+08:00",
        "2026-11-22T09:31:05+08:00 ",
        "22/11/2026 09:31:05",
        "",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        OK("headcount", set_str(base("headcount"), "recorded_at", good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        BAD("headcount", set_str(base("headcount"), "recorded_at", bad[i]), "recorded_at");
    BAD("headcount", set_num(base("headcount"), "recorded_at", 1795311065), "recorded_at");
}

/* ---- headcount ----------------------------------------------------------- */

static void test_headcount(void **state)
{
    struct report r;
    decode_ok("headcount", base("headcount"), &r);
    assert_int_equal(r.department, 0);
    assert_int_equal(r.consultations, 10);
    assert_true(r.female == -1 && r.over_60 == -1 && r.poor_households == -1);
    report_free(&r);

    BAD("headcount", del(base("headcount"), "department"), "department");
    BAD("headcount", del(base("headcount"), "consultations"), "consultations");
    for (int i = 0; department_names[i]; i++)
        OK("headcount", set_str(base("headcount"), "department", department_names[i]));
    BAD("headcount", set_str(base("headcount"), "department", "Internal"), "department");
    BAD("headcount", set_str(base("headcount"), "department", "cardiology"), "department");
    BAD("headcount", set_num(base("headcount"), "department", 1), "department");

    OK("headcount", set_num(base("headcount"), "consultations", 1));
    OK("headcount", set_num(base("headcount"), "consultations", 5000));
    BAD("headcount", set_num(base("headcount"), "consultations", 0), "consultations");
    BAD("headcount", set_num(base("headcount"), "consultations", 5001), "consultations");
    BAD("headcount", set_num(base("headcount"), "consultations", -3), "consultations");
    BAD("headcount", set_str(base("headcount"), "consultations", "12"), "consultations");
    BAD("headcount", set_num(base("headcount"), "consultations", 12.5), "consultations");
    BAD("headcount", set_bool(base("headcount"), "consultations", 1), "consultations");
    BAD("headcount", set_null(base("headcount"), "consultations"), "consultations");
}

static void test_headcount_breakdown(void **state)
{
    static const char *const parts[] = {"female", "over_60", "poor_households"};
    for (int i = 0; i < 3; i++) {
        /* consultations is 10 in base */
        OK("headcount", set_num(base("headcount"), parts[i], 0));
        OK("headcount", set_num(base("headcount"), parts[i], 10));
        BAD("headcount", set_num(base("headcount"), parts[i], 11), parts[i]);
        BAD("headcount", set_num(base("headcount"), parts[i], -1), parts[i]);
        BAD("headcount", set_num(base("headcount"), parts[i], 2.5), parts[i]);
        BAD("headcount", set_str(base("headcount"), parts[i], "3"), parts[i]);
        BAD("headcount", set_bool(base("headcount"), parts[i], 0), parts[i]);
        OK("headcount",
           set_num(set_num(base("headcount"), "consultations", 5000), parts[i], 5000));
    }
    struct report r;
    cJSON *o = base("headcount");
    set_num(o, "female", 4);
    set_num(o, "over_60", 3);
    set_num(o, "poor_households", 0);
    decode_ok("headcount", o, &r);
    assert_int_equal(r.female, 4);
    assert_int_equal(r.over_60, 3);
    assert_int_equal(r.poor_households, 0);
    report_free(&r);
}

/* JSON Schema's integer includes 12.0 and 1e3; the C side agrees. */
static void test_integer_spellings(void **state)
{
    const char *p = "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":4.0,"
                    "\"trip_id\":\"t1\",\"recorded_at\":\"2026-11-22T09:31:05Z\","
                    "\"department\":\"tcm\",\"consultations\":1e3}";
    check_raw(AGENT, "headcount", p, strlen(p), RJ_NONE, NULL, __LINE__);
    const char *q = "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":4,"
                    "\"trip_id\":\"t1\",\"recorded_at\":\"2026-11-22T09:31:05Z\","
                    "\"department\":\"tcm\",\"consultations\":5.001e3}";
    check_raw(AGENT, "headcount", q, strlen(q), RJ_SCHEMA, "consultations", __LINE__);
}

/* ---- dispense ------------------------------------------------------------ */

static void test_dispense(void **state)
{
    char buf[1024];
    static const char *const req[] = {"medicine", "quantity", "unit", "value_fen"};
    for (int i = 0; i < 4; i++)
        BAD("dispense", del(base("dispense"), req[i]), req[i]);

    BAD("dispense", set_str(base("dispense"), "medicine", ""), "medicine");
    OK("dispense", set_str(base("dispense"), "medicine", rep(buf, sizeof buf, "m", 128)));
    BAD("dispense", set_str(base("dispense"), "medicine", rep(buf, sizeof buf, "m", 129)),
        "medicine");
    /* Characters, not bytes: 128 Chinese characters (384 bytes) are fine. */
    OK("dispense", set_str(base("dispense"), "medicine", rep(buf, sizeof buf, "\xe8\x8d\xaf", 128)));
    BAD("dispense", set_str(base("dispense"), "medicine", rep(buf, sizeof buf, "\xe8\x8d\xaf", 129)),
        "medicine");
    /* 4-byte characters count once too. */
    OK("dispense", set_str(base("dispense"), "medicine",
                           rep(buf, sizeof buf, "\xf0\x9f\x92\x8a", 128)));
    BAD("dispense", set_num(base("dispense"), "medicine", 5), "medicine");

    OK("dispense", set_num(base("dispense"), "quantity", 1));
    OK("dispense", set_num(base("dispense"), "quantity", 100000));
    BAD("dispense", set_num(base("dispense"), "quantity", 0), "quantity");
    BAD("dispense", set_num(base("dispense"), "quantity", 100001), "quantity");
    BAD("dispense", set_num(base("dispense"), "quantity", 12.5), "quantity");
    BAD("dispense", set_str(base("dispense"), "quantity", "20"), "quantity");
    BAD("dispense", set_bool(base("dispense"), "quantity", 1), "quantity");

    BAD("dispense", set_str(base("dispense"), "unit", ""), "unit");
    OK("dispense", set_str(base("dispense"), "unit", rep(buf, sizeof buf, "u", 32)));
    OK("dispense", set_str(base("dispense"), "unit", rep(buf, sizeof buf, "\xe7\x9b\x92", 32)));
    BAD("dispense", set_str(base("dispense"), "unit", rep(buf, sizeof buf, "u", 33)), "unit");

    OK("dispense", set_num(base("dispense"), "value_fen", 0));
    OK("dispense", set_num(base("dispense"), "value_fen", 100000000));
    BAD("dispense", set_num(base("dispense"), "value_fen", -1), "value_fen");
    BAD("dispense", set_num(base("dispense"), "value_fen", 100000001), "value_fen");
    BAD("dispense", set_num(base("dispense"), "value_fen", 125.5), "value_fen");
    BAD("dispense", set_str(base("dispense"), "value_fen", "12550"), "value_fen");
    BAD("dispense", set_bool(base("dispense"), "value_fen", 0), "value_fen");

    struct report r;
    decode_ok("dispense", base("dispense"), &r);
    assert_string_equal(r.medicine, "amoxicillin");
    assert_int_equal(r.quantity, 20);
    assert_string_equal(r.unit, "box");
    assert_int_equal(r.value_fen, 12550);
    report_free(&r);
}

/* ---- referral ------------------------------------------------------------ */

static void test_referral(void **state)
{
    char buf[512];
    static const char *const req[] = {"destination", "condition", "urgency", "patient_ref"};
    for (int i = 0; i < 4; i++)
        BAD("referral", del(base("referral"), req[i]), req[i]);
    for (int i = 0; destination_names[i]; i++)
        OK("referral", set_str(base("referral"), "destination", destination_names[i]));
    BAD("referral", set_str(base("referral"), "destination", "provincial_hospital"),
        "destination");
    for (int i = 0; urgency_names[i]; i++)
        OK("referral", set_str(base("referral"), "urgency", urgency_names[i]));
    BAD("referral", set_str(base("referral"), "urgency", "Routine"), "urgency");

    BAD("referral", set_str(base("referral"), "condition", ""), "condition");
    OK("referral", set_str(base("referral"), "condition", rep(buf, sizeof buf, "c", 64)));
    OK("referral", set_str(base("referral"), "condition", rep(buf, sizeof buf, "\xe7\x97\x85", 64)));
    BAD("referral", set_str(base("referral"), "condition", rep(buf, sizeof buf, "c", 65)),
        "condition");

    OK("referral", set_num(base("referral"), "age", 0));
    OK("referral", set_num(base("referral"), "age", 130));
    BAD("referral", set_num(base("referral"), "age", -1), "age");
    BAD("referral", set_num(base("referral"), "age", 131), "age");
    BAD("referral", set_num(base("referral"), "age", 40.5), "age");
    BAD("referral", set_str(base("referral"), "age", "40"), "age");
    OK("referral", set_str(base("referral"), "sex", "F"));
    OK("referral", set_str(base("referral"), "sex", "M"));
    BAD("referral", set_str(base("referral"), "sex", "f"), "sex");
    BAD("referral", set_str(base("referral"), "sex", "X"), "sex");

    struct report r;
    cJSON *o = base("referral");
    set_num(o, "age", 67);
    set_str(o, "sex", "F");
    decode_ok("referral", o, &r);
    assert_int_equal(r.destination, DEST_COUNTY);
    assert_int_equal(r.urgency, 0);
    assert_string_equal(r.condition, "cataract");
    assert_string_equal(r.patient_ref, "P-0042");
    assert_int_equal(r.age, 67);
    assert_string_equal(r.sex, "F");
    report_free(&r);
    decode_ok("referral", base("referral"), &r);
    assert_true(r.age == -1);
    assert_null(r.sex);
    report_free(&r);
}

static void test_referral_patient_ref(void **state)
{
    char buf[512];
    static const char *const good[] = {
        "P-0042", "12812345678" /* 2nd digit 2: not a mobile */, "1381234567" /* 10 digits */,
        "138123456789" /* 12 digits */, "+8512812345678", "A13812345678", "x",
        "\xc3\xa9tude-01" /* Latin letter, not CJK */,
    };
    static const char *const bad[] = {
        "13812345678", "+8613812345678", "8613812345678", "19912345678",
        "P 42", "P\t42", " P42",
        "\xe5\xbc\xa0\xe4\xb8\x89",        /* 张三 */
        "P-\xe7\x8e\x8b",                  /* P-王 */
        "\xe3\x90\x80",                    /* U+3400, first of the range */
        "\xe9\xbf\xbf",                    /* U+9FFF, last of the range */
        "\xef\xa4\x80",                    /* U+F900 */
        "",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        OK("referral", set_str(base("referral"), "patient_ref", good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        BAD("referral", set_str(base("referral"), "patient_ref", bad[i]), "patient_ref");
    OK("referral", set_str(base("referral"), "patient_ref", rep(buf, sizeof buf, "r", 64)));
    BAD("referral", set_str(base("referral"), "patient_ref", rep(buf, sizeof buf, "r", 65)),
        "patient_ref");
    BAD("referral", set_num(base("referral"), "patient_ref", 42), "patient_ref");

    assert_true(report_ref_looks_personal("13812345678"));
    assert_true(report_ref_looks_personal("+8613812345678"));
    assert_false(report_ref_looks_personal("P-0042"));
    assert_false(report_ref_looks_personal("\xe3\x80\x81")); /* U+3001, below the range */
}

/* Whitespace beyond ASCII (no-break space, ideographic space typed by Chinese
 * input methods) makes a name as much as an ASCII space does; the schema's \s
 * refuses them. */
static void test_referral_patient_ref_unicode_space(void **state)
{
    BAD("referral", set_str(base("referral"), "patient_ref", "Li\xc2\xa0Ming"), "patient_ref");
    BAD("referral", set_str(base("referral"), "patient_ref", "Li\xe3\x80\x80Ming"),
        "patient_ref");
}

/* A "\u0000" escape must not hide the rest of a string from the checks: the
 * coordinator would otherwise keep a payload with a name in it. The whole
 * payload is refused as malformed, before any field is read. */
static void test_referral_patient_ref_nul_escape(void **state)
{
    const char *p =
        "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":4,\"trip_id\":\"t1\","
        "\"recorded_at\":\"2026-11-22T09:31:05Z\",\"destination\":\"county_hospital\","
        "\"condition\":\"cataract\",\"urgency\":\"routine\","
        "\"patient_ref\":\"P1\\u0000\xe5\xbc\xa0\xe4\xb8\x89 13812345678\"}";
    check_raw(AGENT, "referral", p, strlen(p), RJ_MALFORMED, "NUL", __LINE__);
}

/* The same for identifiers: "<uuid>\u0000x" is not a UUID (the schema's
 * anchored pattern refuses it), or two different msg_ids would count as one. */
static void test_msg_id_nul_escape(void **state)
{
    const char *p =
        "{\"msg_id\":\"" MSG "\\u0000x\",\"agent_id\":\"team-07\",\"seq\":4,"
        "\"trip_id\":\"t1\",\"recorded_at\":\"2026-11-22T09:31:05Z\","
        "\"department\":\"tcm\",\"consultations\":3}";
    check_raw(AGENT, "headcount", p, strlen(p), RJ_MALFORMED, "NUL", __LINE__);
}

/* The same key twice is read differently by different parsers: refused. */
static void test_duplicate_key(void **state)
{
    const char *p =
        "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":4,\"trip_id\":\"t1\","
        "\"recorded_at\":\"2026-11-22T09:31:05Z\",\"department\":\"tcm\","
        "\"consultations\":3,\"consultations\":4000}";
    check_raw(AGENT, "headcount", p, strlen(p), RJ_MALFORMED, "consultations", __LINE__);
}

/* Strings whose length the contract does not state are at most 256 bytes:
 * 86 Chinese characters (258 bytes) are too many for an education topic. */
static void test_unstated_length_is_bytes(void **state)
{
    char topic[300] = "";
    for (int i = 0; i < 85; i++)
        strcat(topic, "\xe9\xab\x98"); /* 高, 3 bytes: 255 bytes in all */
    OK("education", set_str(base("education"), "topic", topic));
    strcat(topic, "\xe9\xab\x98");
    BAD("education", set_str(base("education"), "topic", topic), "topic");
}

/* The schemas accept only upper-case T and Z in timestamps; so does C. */
static void test_timestamp_upper_case(void **state)
{
    BAD("headcount", set_str(base("headcount"), "recorded_at", "2026-11-22t09:31:05+08:00"),
        "recorded_at");
    BAD("headcount", set_str(base("headcount"), "recorded_at", "2026-11-22T09:31:05z"),
        "recorded_at");
}

/* ---- education ----------------------------------------------------------- */

static void test_education(void **state)
{
    char buf[1024];
    static const char *const nums[] = {"brochures", "attendees", "talks"};
    for (int i = 0; i < 3; i++) {
        BAD("education", del(base("education"), nums[i]), nums[i]);
        OK("education", set_num(base("education"), nums[i], 0));
        OK("education", set_num(base("education"), nums[i], 100000));
        BAD("education", set_num(base("education"), nums[i], 100001), nums[i]);
        BAD("education", set_num(base("education"), nums[i], -1), nums[i]);
        BAD("education", set_num(base("education"), nums[i], 1.5), nums[i]);
        BAD("education", set_str(base("education"), nums[i], "5"), nums[i]);
        BAD("education", set_bool(base("education"), nums[i], 1), nums[i]);
        /* only this one above 0 */
        cJSON *o = base("education");
        for (int j = 0; j < 3; j++)
            set_num(o, nums[j], j == i ? 1 : 0);
        OK("education", o);
    }
    cJSON *zero = base("education");
    for (int j = 0; j < 3; j++)
        set_num(zero, nums[j], 0);
    BAD("education", zero, "brochures");

    OK("education", set_str(base("education"), "topic", "hypertension"));
    BAD("education", set_str(base("education"), "topic", ""), "topic");
    OK("education", set_str(base("education"), "topic", rep(buf, sizeof buf, "t", 256)));
    BAD("education", set_str(base("education"), "topic", rep(buf, sizeof buf, "t", 257)), "topic");
    BAD("education", set_num(base("education"), "topic", 1), "topic");

    struct report r;
    decode_ok("education", set_str(base("education"), "topic", "diabetes"), &r);
    assert_int_equal(r.brochures, 100);
    assert_int_equal(r.attendees, 60);
    assert_int_equal(r.talks, 1);
    assert_string_equal(r.topic, "diabetes");
    report_free(&r);
}

/* ---- checkin ------------------------------------------------------------- */

static void test_checkin(void **state)
{
    char buf[512];
    BAD("checkin", del(base("checkin"), "staff_id"), "staff_id");
    BAD("checkin", del(base("checkin"), "role"), "role");
    for (int i = 0; role_names[i]; i++)
        OK("checkin", set_str(base("checkin"), "role", role_names[i]));
    BAD("checkin", set_str(base("checkin"), "role", "Doctor"), "role");
    BAD("checkin", set_str(base("checkin"), "role", "driver"), "role");
    OK("checkin", set_str(base("checkin"), "staff_id", "Dr.Wang_01"));
    BAD("checkin", set_str(base("checkin"), "staff_id", ".wang"), "staff_id");
    BAD("checkin", set_str(base("checkin"), "staff_id", "dr wang"), "staff_id");
    BAD("checkin", set_str(base("checkin"), "staff_id", ""), "staff_id");
    BAD("checkin", set_num(base("checkin"), "staff_id", 7), "staff_id");
    OK("checkin", set_str(base("checkin"), "staff_id", rep(buf, sizeof buf, "s", 64)));
    BAD("checkin", set_str(base("checkin"), "staff_id", rep(buf, sizeof buf, "s", 65)),
        "staff_id");
    OK("checkin", set_str(base("checkin"), "organization", rep(buf, sizeof buf, "o", 128)));
    BAD("checkin", set_str(base("checkin"), "organization", rep(buf, sizeof buf, "o", 129)),
        "organization");
    BAD("checkin", set_str(base("checkin"), "organization", ""), "organization");

    struct report r;
    decode_ok("checkin", set_str(base("checkin"), "organization", "Cili hospital"), &r);
    assert_string_equal(r.staff_id, "dr-wang-01");
    assert_int_equal(r.role, ROLE_DOCTOR);
    assert_string_equal(r.organization, "Cili hospital");
    report_free(&r);
}

/* ---- void ---------------------------------------------------------------- */

static void test_void(void **state)
{
    char buf[1024];
    BAD("void", del(base("void"), "voids"), "voids");
    BAD("void", del(base("void"), "reason"), "reason");
    BAD("void", set_null(base("void"), "voids"), "voids");
    BAD("void", set_str(base("void"), "voids", "9C0D1E2F-3A4B-4C5D-8E6F-708192A3B4C5"), "voids");
    BAD("void", set_str(base("void"), "voids", "not-a-uuid"), "voids");
    /* a void may not void itself */
    BAD("void", set_str(base("void"), "voids", MSG), "voids");
    BAD("void", set_str(base("void"), "reason", ""), "reason");
    OK("void", set_str(base("void"), "reason", rep(buf, sizeof buf, "r", 256)));
    OK("void", set_str(base("void"), "reason", rep(buf, sizeof buf, "\xe9\x94\x99", 256)));
    BAD("void", set_str(base("void"), "reason", rep(buf, sizeof buf, "r", 257)), "reason");

    struct report r;
    decode_ok("void", base("void"), &r);
    assert_int_equal(r.kind, RK_VOID);
    assert_string_equal(r.voids, MSG2);
    assert_string_equal(r.void_reason, "entered twice");
    report_free(&r);
}

/* ---- codes --------------------------------------------------------------- */

/* A valid report padded with trailing spaces to exactly n bytes. */
static char *padded(size_t n)
{
    cJSON *o = base("headcount");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t len = strlen(p);
    assert_true(len < n);
    char *out = malloc(n + 1);
    memcpy(out, p, len);
    memset(out + len, ' ', n - len);
    out[n] = '\0';
    free(p);
    return out;
}

static void test_size_limit(void **state)
{
    char *p = padded(REPORT_MAX_BYTES);
    check_raw(AGENT, "headcount", p, REPORT_MAX_BYTES, RJ_NONE, NULL, __LINE__);
    free(p);
    p = padded(REPORT_MAX_BYTES + 1);
    check_raw(AGENT, "headcount", p, REPORT_MAX_BYTES + 1, RJ_TOO_LARGE, "16385", __LINE__);
    free(p);
    struct report r;
    struct jerr err = {{0}};
    char big[20000];
    memset(big, 'x', sizeof big);
    assert_int_equal(report_decode(AGENT, "headcount", big, sizeof big, &r, &err), RJ_TOO_LARGE);
    report_free(&r);
}

static void test_malformed(void **state)
{
    static const char *const texts[] = {
        "not json", "{", "", " ", "{\"msg_id\":}", "null", "42", "\"text\"", "true",
        "[]", "[{\"msg_id\":\"" MSG "\"}]",
        "{\"msg_id\":\"" MSG "\"} x", "{\"msg_id\":\"" MSG "\"}{}",
        "{\"msg_id\":\"" MSG "\",}", "{'msg_id':1}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check_raw(AGENT, "headcount", texts[i], strlen(texts[i]), RJ_MALFORMED, NULL, __LINE__);
    /* trailing white space is fine, trailing garbage is not */
    cJSON *o = base("headcount");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char buf[1024];
    snprintf(buf, sizeof buf, "%s \r\n\t", p);
    check_raw(AGENT, "headcount", buf, strlen(buf), RJ_NONE, NULL, __LINE__);
    snprintf(buf, sizeof buf, "%s ;", p);
    check_raw(AGENT, "headcount", buf, strlen(buf), RJ_MALFORMED, NULL, __LINE__);
    /* a NUL byte inside the payload */
    size_t len = strlen(p);
    memcpy(buf, p, len);
    buf[len - 1] = '\0';
    buf[len] = '}';
    check_raw(AGENT, "headcount", buf, len + 1, RJ_MALFORMED, NULL, __LINE__);
    /* the length is honoured: the same text cut short is not JSON */
    check_raw(AGENT, "headcount", p, len - 1, RJ_MALFORMED, NULL, __LINE__);
    free(p);
}

static void test_invalid_utf8(void **state)
{
    static const char *const seqs[] = {
        "\xc3\x28",         /* bad continuation */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xff",
        "\x80",
        "\xe4\xb8",         /* truncated */
    };
    char buf[512];
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        snprintf(buf, sizeof buf,
                 "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":1,\"trip_id\":\"t1\","
                 "\"recorded_at\":\"2026-11-22T09:31:05Z\",\"medicine\":\"a%sb\","
                 "\"quantity\":1,\"unit\":\"box\",\"value_fen\":0}", seqs[i]);
        check_raw(AGENT, "dispense", buf, strlen(buf), RJ_MALFORMED, "UTF-8", __LINE__);
    }
    /* truncated sequence at the very end of the payload */
    const char tail[] = "{\"a\":1}\xe4";
    check_raw(AGENT, "dispense", tail, sizeof tail - 1, RJ_MALFORMED, "UTF-8", __LINE__);
    /* well-formed multi-byte text at the very end is fine to the UTF-8 check */
    snprintf(buf, sizeof buf,
             "{\"msg_id\":\"" MSG "\",\"agent_id\":\"team-07\",\"seq\":1,\"trip_id\":\"t1\","
             "\"recorded_at\":\"2026-11-22T09:31:05Z\",\"medicine\":\"\xf0\x9f\x92\x8a\","
             "\"quantity\":1,\"unit\":\"\xe7\x9b\x92\",\"value_fen\":0}");
    check_raw(AGENT, "dispense", buf, strlen(buf), RJ_NONE, NULL, __LINE__);
}

/* An extra property nested `levels` arrays deep (the root object is level 1). */
static void nested(char *buf, size_t cap, int levels)
{
    cJSON *o = base("headcount");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    size_t len = strlen(p);
    size_t need = len + 16 + 2 * (size_t)levels;
    assert_true(need < cap);
    memcpy(buf, p, len - 1); /* without the closing brace */
    size_t at = len - 1;
    at += (size_t)sprintf(buf + at, ",\"x\":");
    for (int i = 0; i < levels; i++)
        buf[at++] = '[';
    for (int i = 0; i < levels; i++)
        buf[at++] = ']';
    buf[at++] = '}';
    buf[at] = '\0';
    free(p);
}

static void test_depth(void **state)
{
    char buf[4096];
    nested(buf, sizeof buf, REPORT_MAX_DEPTH - 1);
    check_raw(AGENT, "headcount", buf, strlen(buf), RJ_NONE, NULL, __LINE__);
    nested(buf, sizeof buf, REPORT_MAX_DEPTH);
    check_raw(AGENT, "headcount", buf, strlen(buf), RJ_MALFORMED, "deeper", __LINE__);
    nested(buf, sizeof buf, 1000);
    check_raw(AGENT, "headcount", buf, strlen(buf), RJ_MALFORMED, NULL, __LINE__);
    /* brackets inside strings do not nest */
    char s[64];
    OK("headcount", set_str(base("headcount"), "note", rep(s, sizeof s, "[{", 30)));
    OK("headcount", set_str(base("headcount"), "note", "\\\"[[[[[[[[[[[[[[[[[[[["));
}

static void test_unknown_kind(void **state)
{
    cJSON *o = base("headcount");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode(AGENT, "vaccination", p, strlen(p), &r, &err), RJ_SCHEMA);
    assert_non_null(strstr(err.msg, "vaccination"));
    assert_non_null(r.msg_id);
    assert_string_equal(r.msg_id, MSG);
    report_free(&r);
    assert_int_equal(report_decode(AGENT, "Headcount", p, strlen(p), &r, &err), RJ_SCHEMA);
    report_free(&r);
    assert_int_equal(report_decode(AGENT, "", p, strlen(p), &r, &err), RJ_SCHEMA);
    report_free(&r);
    free(p);
}

static void test_agent_mismatch(void **state)
{
    cJSON *o = base("headcount");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode("team-08", "headcount", p, strlen(p), &r, &err),
                     RJ_AGENT_MISMATCH);
    assert_non_null(strstr(err.msg, "team-08"));
    assert_non_null(strstr(err.msg, "team-07"));
    assert_non_null(r.msg_id);
    assert_string_equal(r.msg_id, MSG);
    report_free(&r);
    free(p);
}

static void test_msg_id_kept_on_refusal(void **state)
{
    cJSON *o = set_num(base("headcount"), "consultations", 0);
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode(AGENT, "headcount", p, strlen(p), &r, &err), RJ_SCHEMA);
    assert_non_null(r.msg_id);
    assert_string_equal(r.msg_id, MSG);
    report_free(&r);
    free(p);

    /* unreadable msg_id: NULL */
    o = set_str(base("headcount"), "msg_id", "nope");
    p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    assert_int_equal(report_decode(AGENT, "headcount", p, strlen(p), &r, &err), RJ_SCHEMA);
    assert_null(r.msg_id);
    report_free(&r);
    free(p);

    /* not JSON: NULL */
    assert_int_equal(report_decode(AGENT, "headcount", "{x", 2, &r, &err), RJ_MALFORMED);
    assert_null(r.msg_id);
    report_free(&r);
}

static void test_reject_code_names(void **state)
{
    assert_string_equal(reject_code_str(RJ_MALFORMED), "malformed");
    assert_string_equal(reject_code_str(RJ_SCHEMA), "schema");
    assert_string_equal(reject_code_str(RJ_AGENT_MISMATCH), "agent_mismatch");
    assert_string_equal(reject_code_str(RJ_UNKNOWN_TRIP), "unknown_trip");
    assert_string_equal(reject_code_str(RJ_TRIP_CANCELLED), "trip_cancelled");
    assert_string_equal(reject_code_str(RJ_VOID_TARGET), "void_target");
    assert_string_equal(reject_code_str(RJ_TOO_LARGE), "too_large");
}

/* Extra properties are allowed and ignored. */
static void test_extra_properties(void **state)
{
    cJSON *o = base("checkin");
    cJSON_AddStringToObject(o, "app_version", "1.2.3");
    cJSON *nest = cJSON_AddObjectToObject(o, "device");
    cJSON_AddNumberToObject(nest, "battery", 0.5);
    OK("checkin", o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_envelope_valid_fields),
        cmocka_unit_test(test_envelope_required),
        cmocka_unit_test(test_envelope_msg_id),
        cmocka_unit_test(test_envelope_agent_id),
        cmocka_unit_test(test_envelope_seq),
        cmocka_unit_test(test_envelope_trip_id),
        cmocka_unit_test(test_envelope_recorded_at),
        cmocka_unit_test(test_headcount),
        cmocka_unit_test(test_headcount_breakdown),
        cmocka_unit_test(test_integer_spellings),
        cmocka_unit_test(test_dispense),
        cmocka_unit_test(test_referral),
        cmocka_unit_test(test_referral_patient_ref),
        cmocka_unit_test(test_referral_patient_ref_unicode_space),
        cmocka_unit_test(test_referral_patient_ref_nul_escape),
        cmocka_unit_test(test_msg_id_nul_escape),
        cmocka_unit_test(test_duplicate_key),
        cmocka_unit_test(test_unstated_length_is_bytes),
        cmocka_unit_test(test_timestamp_upper_case),
        cmocka_unit_test(test_education),
        cmocka_unit_test(test_checkin),
        cmocka_unit_test(test_void),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_unknown_kind),
        cmocka_unit_test(test_agent_mismatch),
        cmocka_unit_test(test_msg_id_kept_on_refusal),
        cmocka_unit_test(test_reject_code_names),
        cmocka_unit_test(test_extra_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
