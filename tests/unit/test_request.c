/* test_request.c -- request_decode: admin and volunteer requests of docs/protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "request.h"

/* ---- building requests --------------------------------------------------- */

static cJSON *upsert(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", "r-1");
    cJSON_AddStringToObject(o, "op", "trip.upsert");
    cJSON_AddStringToObject(o, "trip_id", "2026-zjj-014");
    cJSON_AddStringToObject(o, "title", "Cili county clinic day");
    cJSON_AddStringToObject(o, "date", "2026-11-22");
    cJSON_AddStringToObject(o, "end_date", "2026-11-23");
    cJSON *site = cJSON_AddObjectToObject(o, "site");
    cJSON_AddStringToObject(site, "code", "cili-01");
    cJSON_AddStringToObject(site, "name", "Village clinic");
    cJSON_AddStringToObject(site, "county", "cili");
    cJSON_AddStringToObject(site, "county_name", "\xe6\x85\x88\xe5\x88\xa9\xe5\x8e\xbf");
    cJSON_AddStringToObject(site, "township", "Jiangya");
    cJSON_AddBoolToObject(site, "poor_village", 1);
    cJSON_AddStringToObject(o, "mode", "lower_invite");
    cJSON *act = cJSON_AddArrayToObject(o, "activities");
    cJSON_AddItemToArray(act, cJSON_CreateString("clinic"));
    cJSON_AddItemToArray(act, cJSON_CreateString("mentor"));
    cJSON *dep = cJSON_AddArrayToObject(o, "departments");
    cJSON_AddItemToArray(dep, cJSON_CreateString("internal"));
    cJSON_AddItemToArray(dep, cJSON_CreateString("tcm"));
    cJSON *cap = cJSON_AddObjectToObject(o, "capacity");
    cJSON_AddNumberToObject(cap, "doctor", 4);
    cJSON_AddNumberToObject(cap, "nurse", 2);
    return o;
}

static cJSON *simple(const char *op, const char *trip_id)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", "r-2");
    cJSON_AddStringToObject(o, "op", op);
    if (trip_id)
        cJSON_AddStringToObject(o, "trip_id", trip_id);
    return o;
}

static cJSON *profile(void)
{
    cJSON *o = simple("profile.set", NULL);
    cJSON_AddStringToObject(o, "name", "\xe7\x8e\x8b\xe5\x8c\xbb\xe7\x94\x9f");
    cJSON_AddStringToObject(o, "phone", "+86 138-1234-5678");
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    cJSON_AddItemToArray(roles, cJSON_CreateString("doctor"));
    cJSON_AddItemToArray(roles, cJSON_CreateString("health_promoter"));
    return o;
}

static cJSON *del(cJSON *o, const char *f)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, f);
    return o;
}

static cJSON *set(cJSON *o, const char *f, cJSON *v)
{
    del(o, f);
    cJSON_AddItemToObject(o, f, v);
    return o;
}

static cJSON *set_str(cJSON *o, const char *f, const char *v)
{
    return set(o, f, cJSON_CreateString(v));
}

static cJSON *set_num(cJSON *o, const char *f, double v)
{
    return set(o, f, cJSON_CreateNumber(v));
}

static cJSON *sub(cJSON *o, const char *f)
{
    return cJSON_GetObjectItemCaseSensitive(o, f);
}

/* A JSON array of the NULL-terminated strings. */
static cJSON *list(const char *a, const char *b, const char *c)
{
    cJSON *arr = cJSON_CreateArray();
    const char *v[] = {a, b, c};
    for (int i = 0; i < 3 && v[i]; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(v[i]));
    return arr;
}

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

static void check(enum req_scope scope, cJSON *o, const char *want, const char *needle,
                  int line)
{
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct request r;
    struct jerr err = {{0}};
    const char *got = request_decode(scope, p, strlen(p), &r, &err);
    request_free(&r);
    bool same = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
    if (!same) {
        print_error("payload: %s\n", p);
        free(p);
        fail_msg("line %d: got %s (%s), want %s", line, got ? got : "ok", err.msg,
                 want ? want : "ok");
    }
    free(p);
    if (needle && !strstr(err.msg, needle))
        fail_msg("line %d: reason '%s' does not name '%s'", line, err.msg, needle);
}

#define A_OK(o) check(REQ_ADMIN, o, NULL, NULL, __LINE__)
#define A_BAD(o, field) check(REQ_ADMIN, o, "schema", field, __LINE__)
#define V_OK(o) check(REQ_VOLUNTEER, o, NULL, NULL, __LINE__)
#define V_BAD(o, field) check(REQ_VOLUNTEER, o, "schema", field, __LINE__)

static void decode_ok(enum req_scope scope, cJSON *o, struct request *r)
{
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct jerr err = {{0}};
    const char *got = request_decode(scope, p, strlen(p), r, &err);
    free(p);
    if (got) {
        request_free(r);
        fail_msg("request refused: %s (%s)", got, err.msg);
    }
}

/* ---- admin: trip.upsert -------------------------------------------------- */

static void test_upsert_valid_full(void **state)
{
    struct request r;
    decode_ok(REQ_ADMIN, upsert(), &r);
    assert_int_equal(r.op, OP_TRIP_UPSERT);
    assert_string_equal(r.request_id, "r-1");
    assert_string_equal(r.trip_id, "2026-zjj-014");
    assert_string_equal(r.trip.trip_id, "2026-zjj-014");
    assert_string_equal(r.trip.title, "Cili county clinic day");
    assert_string_equal(r.trip.date, "2026-11-22");
    assert_string_equal(r.trip.end_date, "2026-11-23");
    assert_string_equal(r.trip.site_code, "cili-01");
    assert_string_equal(r.trip.site_name, "Village clinic");
    assert_string_equal(r.trip.county, "cili");
    assert_string_equal(r.trip.county_name, "\xe6\x85\x88\xe5\x88\xa9\xe5\x8e\xbf");
    assert_string_equal(r.trip.township, "Jiangya");
    assert_true(r.trip.poor_village);
    assert_int_equal(r.trip.mode, 1);
    assert_int_equal(r.trip.activities, (1u << 0) | (1u << 3));
    assert_int_equal(r.trip.departments, (1u << 0) | (1u << 5));
    assert_int_equal(r.trip.capacity[ROLE_DOCTOR], 4);
    assert_int_equal(r.trip.capacity[ROLE_NURSE], 2);
    assert_int_equal(r.trip.capacity[ROLE_SUPPORT], 0);
    request_free(&r);

    /* minimal: no end_date, township, poor_village; empty departments and capacity */
    cJSON *o = upsert();
    del(o, "end_date");
    del(sub(o, "site"), "township");
    del(sub(o, "site"), "poor_village");
    set(o, "departments", cJSON_CreateArray());
    set(o, "capacity", cJSON_CreateObject());
    decode_ok(REQ_ADMIN, o, &r);
    assert_null(r.trip.end_date);
    assert_null(r.trip.township);
    assert_false(r.trip.poor_village);
    assert_int_equal(r.trip.departments, 0);
    request_free(&r);
}

static void test_upsert_required(void **state)
{
    static const char *const fields[] = {"trip_id", "title", "date", "site", "mode",
                                         "activities", "departments", "capacity"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        A_BAD(del(upsert(), fields[i]), fields[i]);
    static const char *const site_fields[] = {"code", "name", "county", "county_name"};
    for (size_t i = 0; i < 4; i++) {
        cJSON *o = upsert();
        del(sub(o, "site"), site_fields[i]);
        A_BAD(o, site_fields[i]);
    }
    A_BAD(set_str(upsert(), "site", "Village clinic"), "site");
}

static void test_upsert_fields(void **state)
{
    char buf[512];
    A_BAD(set_str(upsert(), "trip_id", "2026/zjj"), "trip_id");
    A_BAD(set_str(upsert(), "title", ""), "title");
    A_OK(set_str(upsert(), "title", rep(buf, sizeof buf, "t", 128)));
    A_BAD(set_str(upsert(), "title", rep(buf, sizeof buf, "t", 129)), "title");
    A_BAD(set_str(upsert(), "mode", "upper-help"), "mode");
    for (int i = 0; mode_names[i]; i++)
        A_OK(set_str(upsert(), "mode", mode_names[i]));
    cJSON *o = upsert();
    set_str(sub(o, "site"), "poor_village", "yes");
    A_BAD(o, "poor_village");
    o = upsert();
    set_str(sub(o, "site"), "county_name", rep(buf, sizeof buf, "c", 65));
    A_BAD(o, "county_name");
    o = upsert();
    set_str(sub(o, "site"), "county", "Cili County");
    A_BAD(o, "county");
    o = upsert();
    set_str(sub(o, "site"), "township", "");
    A_BAD(o, "township");
}

static void test_upsert_dates(void **state)
{
    A_BAD(set_str(upsert(), "date", "2026-13-01"), "date");
    A_BAD(set_str(upsert(), "date", "2026/11/22"), "date");
    A_BAD(set_str(upsert(), "date", "2026-11-22T09:00:00+08:00"), "date");
    A_BAD(set_str(upsert(), "date", "2026-02-30"), "date");
    A_BAD(set_str(upsert(), "date", "26-11-22"), "date");
    A_BAD(set_num(upsert(), "date", 20261122), "date");
    A_BAD(set_str(upsert(), "end_date", "2026-11-23T00:00:00Z"), "end_date");
    /* end_date before date is refused; the same day is fine */
    A_BAD(set_str(upsert(), "end_date", "2026-11-21"), "end_date");
    A_BAD(set_str(upsert(), "end_date", "2025-12-31"), "end_date");
    A_OK(set_str(upsert(), "end_date", "2026-11-22"));
    A_OK(set_str(set_str(upsert(), "date", "2024-02-29"), "end_date", "2024-03-01"));
}

static void test_upsert_activities(void **state)
{
    A_BAD(set(upsert(), "activities", cJSON_CreateArray()), "activities");
    A_BAD(set(upsert(), "activities", list("clinic", "clinic", NULL)), "activities");
    A_BAD(set(upsert(), "activities", list("clinic", "surgery", NULL)), "activities");
    A_BAD(set_str(upsert(), "activities", "clinic"), "activities");
    cJSON *nums = cJSON_CreateArray();
    cJSON_AddItemToArray(nums, cJSON_CreateNumber(1));
    A_BAD(set(upsert(), "activities", nums), "activities");
    cJSON *all = list("clinic", "health", "tech");
    cJSON_AddItemToArray(all, cJSON_CreateString("mentor"));
    struct request r;
    decode_ok(REQ_ADMIN, set(upsert(), "activities", all), &r);
    assert_int_equal(r.trip.activities, 0xfu);
    request_free(&r);

    A_BAD(set(upsert(), "departments", list("tcm", "tcm", NULL)), "departments");
    A_BAD(set(upsert(), "departments", list("cardiology", NULL, NULL)), "departments");
    cJSON *deps = cJSON_CreateArray();
    for (int i = 0; department_names[i]; i++)
        cJSON_AddItemToArray(deps, cJSON_CreateString(department_names[i]));
    decode_ok(REQ_ADMIN, set(upsert(), "departments", deps), &r);
    assert_int_equal(r.trip.departments, 0x1ffu);
    request_free(&r);
}

static void test_upsert_capacity(void **state)
{
    cJSON *o = upsert();
    cJSON_AddNumberToObject(sub(o, "capacity"), "chef", 1);
    A_BAD(o, "chef");
    o = upsert();
    set_num(sub(o, "capacity"), "doctor", -1);
    A_BAD(o, "doctor");
    o = upsert();
    set_num(sub(o, "capacity"), "doctor", 1001);
    A_BAD(o, "doctor");
    o = upsert();
    set_num(sub(o, "capacity"), "doctor", 2.5);
    A_BAD(o, "doctor");
    o = upsert();
    set_str(sub(o, "capacity"), "doctor", "4");
    A_BAD(o, "doctor");
    A_BAD(set_num(upsert(), "capacity", 4), "capacity");

    o = upsert();
    cJSON *cap = cJSON_CreateObject();
    for (int i = 0; role_names[i]; i++)
        cJSON_AddNumberToObject(cap, role_names[i], i == 0 ? 1000 : i == 1 ? 0 : i);
    set(o, "capacity", cap);
    struct request r;
    decode_ok(REQ_ADMIN, o, &r);
    assert_int_equal(r.trip.capacity[ROLE_DOCTOR], 1000);
    assert_int_equal(r.trip.capacity[ROLE_NURSE], 0);
    assert_int_equal(r.trip.capacity[ROLE_SUPPORT], 5);
    request_free(&r);
}

/* ---- admin: cancel, complete, op ----------------------------------------- */

static void test_admin_cancel_complete(void **state)
{
    char buf[512];
    struct request r;
    decode_ok(REQ_ADMIN, simple("trip.cancel", "2026-zjj-014"), &r);
    assert_int_equal(r.op, OP_TRIP_CANCEL);
    assert_string_equal(r.trip_id, "2026-zjj-014");
    assert_null(r.reason);
    request_free(&r);
    decode_ok(REQ_ADMIN, set_str(simple("trip.cancel", "t1"), "reason", "flooded road"), &r);
    assert_string_equal(r.reason, "flooded road");
    request_free(&r);
    decode_ok(REQ_ADMIN, simple("trip.complete", "t1"), &r);
    assert_int_equal(r.op, OP_TRIP_COMPLETE);
    assert_string_equal(r.trip_id, "t1");
    request_free(&r);

    A_BAD(simple("trip.cancel", NULL), "trip_id");
    A_BAD(simple("trip.complete", NULL), "trip_id");
    A_BAD(simple("trip.cancel", "bad trip"), "trip_id");
    A_BAD(set_str(simple("trip.cancel", "t1"), "reason", ""), "reason");
    A_OK(set_str(simple("trip.cancel", "t1"), "reason", rep(buf, sizeof buf, "r", 256)));
    A_BAD(set_str(simple("trip.cancel", "t1"), "reason", rep(buf, sizeof buf, "r", 257)),
          "reason");
}

static void test_admin_op(void **state)
{
    A_BAD(simple("trip.delete", "t1"), "op");
    A_BAD(simple("profile.set", "t1"), "op"); /* a volunteer op */
    A_BAD(simple("TRIP.CANCEL", "t1"), "op");
    A_BAD(del(simple("trip.cancel", "t1"), "op"), "op");
    A_BAD(set_num(simple("trip.cancel", "t1"), "op", 1), "op");
    /* request_id is read even when the op is refused */
    cJSON *o = simple("trip.delete", "t1");
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    struct request r;
    struct jerr err = {{0}};
    assert_string_equal(request_decode(REQ_ADMIN, p, strlen(p), &r, &err), "schema");
    assert_non_null(r.request_id);
    assert_string_equal(r.request_id, "r-2");
    request_free(&r);
    free(p);
}

static void test_request_id(void **state)
{
    char buf[128];
    A_BAD(del(simple("trip.cancel", "t1"), "request_id"), "request_id");
    A_BAD(set_str(simple("trip.cancel", "t1"), "request_id", ""), "request_id");
    A_BAD(set_num(simple("trip.cancel", "t1"), "request_id", 7), "request_id");
    A_OK(set_str(simple("trip.cancel", "t1"), "request_id", rep(buf, sizeof buf, "q", 64)));
    A_BAD(set_str(simple("trip.cancel", "t1"), "request_id", rep(buf, sizeof buf, "q", 65)),
          "request_id");
    /* characters, not bytes */
    A_OK(set_str(simple("trip.cancel", "t1"), "request_id",
                 rep(buf, sizeof buf, "\xe8\xaf\xb7", 40)));
    V_BAD(del(simple("registrations.list", NULL), "request_id"), "request_id");
}

/* ---- volunteer ----------------------------------------------------------- */

static void test_profile_set(void **state)
{
    struct request r;
    cJSON *o = profile();
    cJSON_AddStringToObject(o, "organization", "Red Cross");
    decode_ok(REQ_VOLUNTEER, o, &r);
    assert_int_equal(r.op, OP_PROFILE_SET);
    assert_string_equal(r.name, "\xe7\x8e\x8b\xe5\x8c\xbb\xe7\x94\x9f");
    assert_string_equal(r.phone, "+86 138-1234-5678");
    assert_string_equal(r.organization, "Red Cross");
    assert_int_equal(r.roles, (1u << ROLE_DOCTOR) | (1u << ROLE_HEALTH_PROMOTER));
    request_free(&r);

    V_BAD(del(profile(), "name"), "name");
    V_BAD(del(profile(), "phone"), "phone");
    V_BAD(del(profile(), "roles"), "roles");
    V_BAD(set_str(profile(), "name", ""), "name");
    char buf[256];
    V_OK(set_str(profile(), "name", rep(buf, sizeof buf, "n", 64)));
    V_BAD(set_str(profile(), "name", rep(buf, sizeof buf, "n", 65)), "name");
    V_BAD(set_str(profile(), "organization", rep(buf, sizeof buf, "o", 129)), "organization");
    V_BAD(set_str(profile(), "organization", ""), "organization");
    V_BAD(set(profile(), "roles", cJSON_CreateArray()), "roles");
    V_BAD(set(profile(), "roles", list("nurse", "nurse", NULL)), "roles");
    V_BAD(set(profile(), "roles", list("nurse", "driver", NULL)), "roles");
    cJSON *all = cJSON_CreateArray();
    for (int i = 0; role_names[i]; i++)
        cJSON_AddItemToArray(all, cJSON_CreateString(role_names[i]));
    V_OK(set(profile(), "roles", all));
}

/* phone: ^\+?[0-9][0-9 -]{5,31}$ */
static void test_profile_phone(void **state)
{
    static const char *const good[] = {
        "13812345678", "+8613812345678", "+86 138-1234-5678", "123456", "+123456",
        "010-6512 3456", "12345678901234567890123456789012", /* 32 */
    };
    static const char *const bad[] = {
        "12345",          /* first digit + 4 */
        "+12345",
        "", "+", "-123456", " 123456", "138 1234 567a", "phone 1381234",
        "+-12345678", "++8613812345678", "123456789012345678901234567890123", /* 33 */
        "1381234567\xe5\x8f\xb7",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        V_OK(set_str(profile(), "phone", good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        V_BAD(set_str(profile(), "phone", bad[i]), "phone");
    V_BAD(set_num(profile(), "phone", 13812345678.0), "phone");
}

/* The pattern allows '+' then 32 more characters (33 in all). */
static void test_profile_phone_plus_33(void **state)
{
    V_OK(set_str(profile(), "phone", "+12345678901234567890123456789012"));
}

static void test_volunteer_ops(void **state)
{
    struct request r;
    decode_ok(REQ_VOLUNTEER, set_str(simple("trip.register", "2026-zjj-014"), "role", "nurse"),
              &r);
    assert_int_equal(r.op, OP_TRIP_REGISTER);
    assert_string_equal(r.trip_id, "2026-zjj-014");
    assert_int_equal(r.role, ROLE_NURSE);
    request_free(&r);
    for (int i = 0; role_names[i]; i++)
        V_OK(set_str(simple("trip.register", "t1"), "role", role_names[i]));
    V_BAD(simple("trip.register", "t1"), "role");
    V_BAD(set_str(simple("trip.register", "t1"), "role", "surgeon"), "role");
    V_BAD(set_str(simple("trip.register", NULL), "role", "nurse"), "trip_id");
    V_BAD(set_str(simple("trip.register", "t 1"), "role", "nurse"), "trip_id");

    decode_ok(REQ_VOLUNTEER, simple("trip.cancel", "t1"), &r);
    assert_int_equal(r.op, OP_REG_CANCEL);
    assert_string_equal(r.trip_id, "t1");
    request_free(&r);
    V_BAD(simple("trip.cancel", NULL), "trip_id");
    V_BAD(simple("trip.cancel", "t 1"), "trip_id");

    decode_ok(REQ_VOLUNTEER, simple("registrations.list", NULL), &r);
    assert_int_equal(r.op, OP_REG_LIST);
    request_free(&r);

    V_BAD(simple("trip.upsert", "t1"), "op"); /* an admin op */
    V_BAD(simple("trip.complete", "t1"), "op");
    V_BAD(simple("profile.delete", NULL), "op");
    V_BAD(del(simple("registrations.list", NULL), "op"), "op");
}

/* ---- codes --------------------------------------------------------------- */

static void test_request_codes(void **state)
{
    struct request r;
    struct jerr err = {{0}};
    static const char *const bad_json[] = {"not json", "[]", "{", "", "\"x\"",
                                           "{\"request_id\":\"a\"} x", "{\"a\":\"\xc0\xaf\"}"};
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        const char *got = request_decode(REQ_ADMIN, bad_json[i], strlen(bad_json[i]), &r, &err);
        if (!got || strcmp(got, "malformed") != 0)
            fail_msg("'%s': got %s, want malformed", bad_json[i], got ? got : "ok");
        assert_null(r.request_id);
        request_free(&r);
        got = request_decode(REQ_VOLUNTEER, bad_json[i], strlen(bad_json[i]), &r, &err);
        assert_non_null(got);
        assert_string_equal(got, "malformed");
        request_free(&r);
    }
    /* 16384 bytes is within the limit, 16385 is not */
    const char *req = "{\"request_id\":\"r\",\"op\":\"registrations.list\"}";
    size_t len = strlen(req);
    char *buf = malloc(REQUEST_MAX_BYTES + 2);
    memcpy(buf, req, len);
    memset(buf + len, ' ', REQUEST_MAX_BYTES + 1 - len);
    buf[REQUEST_MAX_BYTES + 1] = '\0';
    assert_null(request_decode(REQ_VOLUNTEER, buf, REQUEST_MAX_BYTES, &r, &err));
    request_free(&r);
    const char *got = request_decode(REQ_VOLUNTEER, buf, REQUEST_MAX_BYTES + 1, &r, &err);
    assert_non_null(got);
    assert_string_equal(got, "too_large");
    assert_non_null(strstr(err.msg, "16385"));
    request_free(&r);
    got = request_decode(REQ_ADMIN, buf, REQUEST_MAX_BYTES + 1, &r, &err);
    assert_non_null(got);
    assert_string_equal(got, "too_large");
    request_free(&r);
    free(buf);

    /* too deep */
    char deep[256];
    size_t at = (size_t)sprintf(deep, "{\"request_id\":\"r\",\"op\":\"registrations.list\",\"x\":");
    for (int i = 0; i < REQUEST_MAX_DEPTH; i++)
        deep[at++] = '[';
    for (int i = 0; i < REQUEST_MAX_DEPTH; i++)
        deep[at++] = ']';
    deep[at++] = '}';
    deep[at] = '\0';
    got = request_decode(REQ_VOLUNTEER, deep, at, &r, &err);
    assert_non_null(got);
    assert_string_equal(got, "malformed");
    request_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upsert_valid_full),
        cmocka_unit_test(test_upsert_required),
        cmocka_unit_test(test_upsert_fields),
        cmocka_unit_test(test_upsert_dates),
        cmocka_unit_test(test_upsert_activities),
        cmocka_unit_test(test_upsert_capacity),
        cmocka_unit_test(test_admin_cancel_complete),
        cmocka_unit_test(test_admin_op),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_profile_set),
        cmocka_unit_test(test_profile_phone),
        cmocka_unit_test(test_profile_phone_plus_33),
        cmocka_unit_test(test_volunteer_ops),
        cmocka_unit_test(test_request_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
