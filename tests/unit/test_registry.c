/* test_registry.c -- volunteers' registrations: every rule of the contract's
 * volunteer ops, with the tie-breaks, on a fresh in-memory store per test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "unit_store.h"

#include "admin.h"
#include "intake.h"
#include "progress_json.h"
#include "registry.h"
#include "tripcard.h"

#define NOW "2026-11-22T10:00:00+08:00"

/* The effects of the last request, for the notices it sent. */
static struct reg_effects last_fx;

/* Runs one admin request in its own transaction, with the registry's
 * follow-up as the coordinator does it; returns the reply's "ok". */
static bool admin(struct store *s, const char *json)
{
    struct changes ch;
    int failed = 0;
    reg_effects_free(&last_fx);
    assert_int_equal(store_begin(s), OERR_OK);
    char *reply = admin_handle(s, json, strlen(json), NOW, &ch, &failed);
    assert_int_equal(failed, 0);
    assert_non_null(reply);
    if (ch.trip_id[0])
        assert_int_equal(registry_trip_changed(s, ch.trip_id, ch.reason, NOW, &last_fx), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    cJSON *o = cJSON_Parse(reply);
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok"));
    cJSON_Delete(o);
    free(reply);
    return ok;
}

/* A trip with dates start..end (end may be NULL) and capacity JSON. */
static void trip(struct store *s, const char *id, const char *start, const char *end,
                 const char *capacity)
{
    static int n;
    char buf[1024], endp[64] = "";
    if (end)
        snprintf(endp, sizeof endp, "\"end_date\":\"%s\",", end);
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"up-%d\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\","
             "\"title\":\"Trip %s\",\"date\":\"%s\",%s\"site\":{\"code\":\"s-1\",\"name\":\"Site\","
             "\"county\":\"cili\",\"county_name\":\"慈利县\",\"poor_village\":true},"
             "\"mode\":\"red_cross\",\"activities\":[\"clinic\"],\"departments\":[\"internal\"],"
             "\"capacity\":%s}",
             ++n, id, id, start, endp, capacity);
    assert_true(admin(s, buf));
}

static void trip_status(struct store *s, const char *id, const char *op)
{
    char buf[256];
    snprintf(buf, sizeof buf, "{\"request_id\":\"%s-%s\",\"op\":\"%s\",\"trip_id\":\"%s\"}", op,
             id, op, id);
    assert_true(admin(s, buf));
}

static int next_rid;

/* Sends a volunteer request (a fresh request_id unless the JSON has one) at
 * time now; returns the parsed reply, which the caller deletes. */
static cJSON *vreq_at(struct store *s, const char *vid, const char *fields, const char *now)
{
    char buf[2048];
    if (strstr(fields, "\"request_id\""))
        snprintf(buf, sizeof buf, "{%s}", fields);
    else
        snprintf(buf, sizeof buf, "{\"request_id\":\"r-%d\",%s}", ++next_rid, fields);
    int failed = 0;
    reg_effects_free(&last_fx);
    assert_int_equal(store_begin(s), OERR_OK);
    char *reply = volunteer_handle(s, vid, buf, strlen(buf), now, &last_fx, &failed);
    assert_int_equal(failed, 0);
    assert_non_null(reply);
    assert_int_equal(store_commit(s), OERR_OK);
    cJSON *o = cJSON_Parse(reply);
    assert_non_null(o);
    free(reply);
    return o;
}

static cJSON *vreq(struct store *s, const char *vid, const char *fields)
{
    return vreq_at(s, vid, fields, NOW);
}

static void profile(struct store *s, const char *vid, const char *roles)
{
    char f[512];
    snprintf(f, sizeof f,
             "\"op\":\"profile.set\",\"name\":\"Name of %s\",\"phone\":\"+86 139 0000 0000\","
             "\"roles\":%s", vid, roles);
    cJSON *o = vreq(s, vid, f);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    cJSON_Delete(o);
}

/* Profiles for vol-01..vol-0n, all with the same roles. */
static void profiles(struct store *s, int n, const char *roles)
{
    for (int i = 1; i <= n; i++) {
        char v[16];
        snprintf(v, sizeof v, "vol-%02d", i);
        profile(s, v, roles);
    }
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) ? v->valueint : -1;
}

/* register: expects ok with state and position (0: none). */
static void expect_register(struct store *s, const char *vid, const char *trip_id,
                            const char *role, const char *state, int position, int line)
{
    char f[256];
    snprintf(f, sizeof f, "\"op\":\"trip.register\",\"trip_id\":\"%s\",\"role\":\"%s\"", trip_id,
             role);
    cJSON *o = vreq(s, vid, f);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")) ||
        strcmp(str(o, "state"), state) != 0 || num(o, "position") != (position ? position : -1))
        fail_msg("line %d: %s registering for %s: got %s, want %s position %d", line, vid,
                 trip_id, cJSON_PrintUnformatted(o), state, position);
    cJSON_Delete(o);
}
#define REGISTER(s, v, t, r, st, pos) expect_register(s, v, t, r, st, pos, __LINE__)

/* Any request expected to be refused with code, its reason naming needle. */
static void expect_refused(struct store *s, const char *vid, const char *fields,
                           const char *code, const char *needle, int line)
{
    cJSON *o = vreq(s, vid, fields);
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "ok")) ||
        strcmp(str(o, "code"), code) != 0 || (needle && !strstr(str(o, "reason"), needle)))
        fail_msg("line %d: %s: got %s, want refusal %s naming '%s'", line, fields,
                 cJSON_PrintUnformatted(o), code, needle ? needle : "");
    if (last_fx.notices.n || last_fx.ntrips)
        fail_msg("line %d: a refusal changed something", line);
    cJSON_Delete(o);
}
#define REFUSED(s, v, f, code, needle) expect_refused(s, v, f, code, needle, __LINE__)

static void cancel(struct store *s, const char *vid, const char *trip_id)
{
    char f[256];
    snprintf(f, sizeof f, "\"op\":\"trip.cancel\",\"trip_id\":\"%s\"", trip_id);
    cJSON *o = vreq(s, vid, f);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")) ||
        strcmp(str(o, "state"), "cancelled") != 0)
        fail_msg("cancel by %s of %s: %s", vid, trip_id, cJSON_PrintUnformatted(o));
    cJSON_Delete(o);
}

/* The notices of the last request, as "vid:notice:trip:role;..." */
static const char *notices(void)
{
    static char buf[4096];
    buf[0] = '\0';
    for (size_t i = 0; i < last_fx.notices.n; i++) {
        cJSON *o = cJSON_Parse(last_fx.notices.v[i].json);
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s:%s:%s:%s", n ? ";" : "",
                 last_fx.notices.v[i].volunteer_id, str(o, "notice"), str(o, "trip_id"),
                 str(o, "role"));
        cJSON_Delete(o);
    }
    return buf;
}

static struct role_places places(struct store *s, const char *trip_id, int role)
{
    struct role_places p[ROLE_COUNT];
    assert_int_equal(store_trip_places(s, trip_id, p), OERR_OK);
    return p[role];
}

static void expect_places(struct store *s, const char *trip_id, int role, int cap, int conf,
                          int wait, int open)
{
    struct role_places p = places(s, trip_id, role);
    assert_int_equal(p.capacity, cap);
    assert_int_equal(p.confirmed, conf);
    assert_int_equal(p.waitlisted, wait);
    assert_int_equal(p.open, open);
}

static int teardown(void **state)
{
    reg_effects_free(&last_fx);
    return memstore_teardown(state);
}

/* ---- tests --------------------------------------------------------------- */

static void test_profile_required(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":2,\"nurse\":1}");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t1\",\"role\":\"doctor\"",
            "no_profile", "profile");
    profile(s, "vol-01", "[\"nurse\"]");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t1\",\"role\":\"doctor\"",
            "role_not_in_profile", "doctor");
    REGISTER(s, "vol-01", "t1", "nurse", "confirmed", 0);
    /* a new profile adds the role */
    profile(s, "vol-01", "[\"nurse\",\"doctor\"]");
    struct volunteer_row v;
    assert_int_equal(store_volunteer_get(s, "vol-01", &v), OERR_OK);
    assert_string_equal(v.phone, "+86 139 0000 0000");
    assert_int_equal(v.roles, (1u << ROLE_DOCTOR) | (1u << ROLE_NURSE));
    /* the reply to profile.set never echoes the phone number */
    cJSON *o = vreq(s, "vol-01", "\"op\":\"profile.set\",\"name\":\"W\",\"phone\":\"13900000000\","
                                 "\"roles\":[\"doctor\"]");
    char *txt = cJSON_PrintUnformatted(o);
    assert_null(strstr(txt, "13900000000"));
    assert_string_equal(str(o, "volunteer_id"), "vol-01");
    free(txt);
    cJSON_Delete(o);
}

static void test_trip_refusals(void **state)
{
    struct store *s = *state;
    profile(s, "vol-01", "[\"doctor\",\"pharmacist\"]");
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":2}");
    trip(s, "t2", "2026-12-05", NULL, "{\"doctor\":2}");
    trip(s, "t3", "2026-12-09", NULL, "{\"doctor\":2}");
    trip_status(s, "t2", "trip.cancel");
    trip_status(s, "t3", "trip.complete");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t9\",\"role\":\"doctor\"",
            "unknown_trip", "t9");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t2\",\"role\":\"doctor\"",
            "trip_cancelled", "t2");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t3\",\"role\":\"doctor\"",
            "trip_completed", "t3");
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t1\",\"role\":\"pharmacist\"",
            "role_not_offered", "pharmacist");
    REFUSED(s, "vol-01", "\"op\":\"trip.cancel\",\"trip_id\":\"t1\"", "not_registered", "t1");
    REFUSED(s, "vol-01", "\"op\":\"trip.cancel\",\"trip_id\":\"t9\"", "unknown_trip", "t9");
}

static void test_invalid_requests(void **state)
{
    struct store *s = *state;
    static const struct {
        const char *payload, *code, *needle;
    } cases[] = {
        {"not json", "malformed", NULL},
        {"{\"request_id\":\"r1\",\"op\":\"trip.fly\"}", "schema", "op"},
        {"{\"op\":\"registrations.list\"}", "schema", "request_id"},
        {"{\"request_id\":\"r1\",\"op\":\"trip.register\",\"trip_id\":\"t1\",\"role\":\"chef\"}",
         "schema", "role"},
        {"{\"request_id\":\"r1\",\"op\":\"trip.register\",\"trip_id\":\"a/b\",\"role\":\"doctor\"}",
         "schema", "trip_id"},
        {"{\"request_id\":\"r1\",\"op\":\"profile.set\",\"name\":\"N\",\"phone\":\"call me\","
         "\"roles\":[\"doctor\"]}", "schema", "phone"},
        {"{\"request_id\":\"r1\",\"op\":\"profile.set\",\"name\":\"N\",\"phone\":\"13900000000\","
         "\"roles\":[]}", "schema", "roles"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int failed = 0;
        struct reg_effects fx;
        memset(&fx, 0, sizeof fx);
        assert_int_equal(store_begin(s), OERR_OK);
        char *reply = volunteer_handle(s, "vol-01", cases[i].payload, strlen(cases[i].payload),
                                       NOW, &fx, &failed);
        assert_int_equal(store_commit(s), OERR_OK);
        assert_int_equal(failed, 0);
        assert_non_null(reply);
        cJSON *o = cJSON_Parse(reply);
        if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "ok")) ||
            strcmp(str(o, "code"), cases[i].code) != 0 ||
            (cases[i].needle && !strstr(str(o, "reason"), cases[i].needle)))
            fail_msg("case %zu (%s): %s", i, cases[i].payload, reply);
        cJSON_Delete(o);
        free(reply);
        reg_effects_free(&fx);
    }
}

/* Two volunteers for the last place: the first to arrive has it. */
static void test_last_place(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":2}");
    profiles(s, 4, "[\"doctor\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    expect_places(s, "t1", ROLE_DOCTOR, 2, 1, 0, 1);
    REGISTER(s, "vol-02", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-04", "t1", "doctor", "waitlisted", 2);
    expect_places(s, "t1", ROLE_DOCTOR, 2, 2, 2, 0);
    /* asking again for the same place tells where one stands, changes nothing */
    REGISTER(s, "vol-04", "t1", "doctor", "waitlisted", 2);
    expect_places(s, "t1", ROLE_DOCTOR, 2, 2, 2, 0);
}

/* Cancelling a confirmed place promotes the first wait-listed, who gets a
 * notice; a wait-listed volunteer who cancels promotes nobody; cancel and
 * register again goes to the back of the line. */
static void test_cancel_promotes(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1,\"nurse\":1}");
    profiles(s, 4, "[\"doctor\",\"nurse\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 2);
    REGISTER(s, "vol-04", "t1", "nurse", "confirmed", 0);

    cancel(s, "vol-03", "t1"); /* wait-listed: nobody moves up */
    assert_string_equal(notices(), "");
    expect_places(s, "t1", ROLE_DOCTOR, 1, 1, 1, 0);

    cancel(s, "vol-01", "t1");
    assert_string_equal(notices(), "vol-02:promoted:t1:doctor");
    expect_places(s, "t1", ROLE_DOCTOR, 1, 1, 0, 0);
    REGISTER(s, "vol-02", "t1", "doctor", "confirmed", 0);

    /* vol-01 comes back: behind everyone, so wait-listed */
    REGISTER(s, "vol-01", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 2);
    /* another role in the same trip while registered: refused, names the role */
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"t1\",\"role\":\"nurse\"",
            "already_registered", "doctor");
    /* the nurse place is not touched by doctors' moves */
    expect_places(s, "t1", ROLE_NURSE, 1, 1, 0, 0);
    cancel(s, "vol-02", "t1");
    assert_string_equal(notices(), "vol-01:promoted:t1:doctor");
}

/* Confirmed places on trips whose dates overlap are refused, naming the
 * trip; touching dates overlap, the next day does not. */
static void test_clash(void **state)
{
    struct store *s = *state;
    profile(s, "vol-01", "[\"doctor\"]");
    trip(s, "a", "2026-12-01", "2026-12-03", "{\"doctor\":3}");
    trip(s, "b", "2026-12-03", NULL, "{\"doctor\":3}");
    trip(s, "c", "2026-12-04", "2026-12-06", "{\"doctor\":3}");
    trip(s, "d", "2026-11-28", "2026-12-10", "{\"doctor\":3}");
    REGISTER(s, "vol-01", "a", "doctor", "confirmed", 0);
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"b\",\"role\":\"doctor\"",
            "clash", "trip a (2026-12-01 to 2026-12-03)");
    REGISTER(s, "vol-01", "c", "doctor", "confirmed", 0);
    REFUSED(s, "vol-01", "\"op\":\"trip.register\",\"trip_id\":\"d\",\"role\":\"doctor\"",
            "clash", "trip a");
    /* a cancelled trip holds no place */
    trip_status(s, "a", "trip.cancel");
    REGISTER(s, "vol-01", "b", "doctor", "confirmed", 0);
}

/* The first wait-listed took an overlapping trip meanwhile: skipped (stays
 * wait-listed, first in line), the next one is promoted. */
static void test_promote_skips_clash(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    trip(s, "t2", "2026-12-01", NULL, "{\"doctor\":1}");
    profiles(s, 3, "[\"doctor\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 2);
    REGISTER(s, "vol-02", "t2", "doctor", "confirmed", 0); /* the same day */
    cancel(s, "vol-01", "t1");
    assert_string_equal(notices(), "vol-03:promoted:t1:doctor");
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "doctor", "confirmed", 0);
    /* once free of t2, vol-02 moves up at the next free place */
    cancel(s, "vol-02", "t2");
    cancel(s, "vol-03", "t1");
    assert_string_equal(notices(), "vol-02:promoted:t1:doctor");
}

/* The same request_id: the same reply, no second effect (even after the
 * state changed); another volunteer's same request_id is their own. */
static void test_idempotent(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    static const char reg[] = "\"request_id\":\"same\",\"op\":\"trip.register\","
                              "\"trip_id\":\"t1\",\"role\":\"doctor\"";
    cJSON *a = vreq(s, "vol-01", reg);
    assert_string_equal(str(a, "state"), "confirmed");
    cJSON *b = vreq(s, "vol-01", reg);
    assert_true(cJSON_Compare(a, b, true));
    assert_int_equal(last_fx.ntrips, 0);
    cJSON *c = vreq(s, "vol-02", reg); /* same id, other volunteer: a new request */
    assert_string_equal(str(c, "state"), "waitlisted");
    assert_int_equal(num(c, "position"), 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    static const char can[] = "\"request_id\":\"c1\",\"op\":\"trip.cancel\",\"trip_id\":\"t1\"";
    cJSON *d = vreq(s, "vol-01", can);
    assert_string_equal(notices(), "vol-02:promoted:t1:doctor");
    cJSON *e = vreq(s, "vol-01", can); /* again: same reply, nobody promoted twice */
    assert_string_equal(notices(), "");
    assert_true(cJSON_Compare(d, e, true));
    cJSON_Delete(d);
    cJSON_Delete(e);
    expect_places(s, "t1", ROLE_DOCTOR, 1, 1, 0, 0);
}

/* A cancelled trip tells every registrant, confirmed and wait-listed. */
static void test_trip_cancel_notifies(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1,\"nurse\":1}");
    profiles(s, 4, "[\"doctor\",\"nurse\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "nurse", "confirmed", 0);
    REGISTER(s, "vol-04", "t1", "nurse", "waitlisted", 1);
    cancel(s, "vol-04", "t1"); /* gone before: no notice for them */
    assert_true(admin(s, "{\"request_id\":\"c-t1\",\"op\":\"trip.cancel\",\"trip_id\":\"t1\","
                         "\"reason\":\"road closed by landslide\"}"));
    cJSON *n0 = cJSON_Parse(last_fx.notices.v[0].json);
    assert_string_equal(str(n0, "reason"), "road closed by landslide");
    cJSON_Delete(n0);
    assert_string_equal(notices(), "vol-01:trip_cancelled:t1:doctor;"
                                   "vol-02:trip_cancelled:t1:doctor;"
                                   "vol-03:trip_cancelled:t1:nurse");
    expect_places(s, "t1", ROLE_DOCTOR, 1, 0, 0, 1);
    REFUSED(s, "vol-01", "\"op\":\"trip.cancel\",\"trip_id\":\"t1\"", "trip_cancelled", "t1");
    cJSON *o = vreq(s, "vol-02", "\"op\":\"registrations.list\"");
    const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "registrations"), 0);
    assert_string_equal(str(r, "state"), "trip_cancelled");
    assert_string_equal(str(r, "trip_status"), "cancelled");
    cJSON_Delete(o);
}

/* More places on a trip promote the wait-listed into them. */
static void test_capacity_raised(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    profiles(s, 3, "[\"doctor\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 2);
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":2}");
    assert_string_equal(notices(), "vol-02:promoted:t1:doctor");
    expect_places(s, "t1", ROLE_DOCTOR, 2, 2, 1, 0);
    /* fewer places than confirmed: nobody loses a place */
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    assert_string_equal(notices(), "");
    expect_places(s, "t1", ROLE_DOCTOR, 1, 2, 1, 0);
}

static void test_list(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    trip(s, "t2", "2026-12-08", NULL, "{\"doctor\":1}");
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    REGISTER(s, "vol-02", "t2", "doctor", "confirmed", 0);
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-01", "t2", "doctor", "waitlisted", 1);
    cJSON *o = vreq(s, "vol-01", "\"op\":\"registrations.list\"");
    char *txt = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "registrations"));
    assert_string_equal(txt,
        "[{\"trip_id\":\"t1\",\"role\":\"doctor\",\"state\":\"confirmed\",\"date\":\"2026-12-01\","
        "\"title\":\"Trip t1\",\"trip_status\":\"planned\"},"
        "{\"trip_id\":\"t2\",\"role\":\"doctor\",\"state\":\"waitlisted\",\"position\":1,"
        "\"date\":\"2026-12-08\",\"title\":\"Trip t2\",\"trip_status\":\"planned\"}]");
    free(txt);
    cJSON_Delete(o);
    o = vreq(s, "vol-03", "\"op\":\"registrations.list\""); /* no profile: an empty list */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "registrations")), 0);
    cJSON_Delete(o);
}

/* The public card: counts per role, never who. */
static void test_card(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1,\"nurse\":3}");
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "waitlisted", 1);
    char *card = tripcard_json(s, "t1");
    assert_non_null(card);
    cJSON *o = cJSON_Parse(card);
    char *roles = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "roles"));
    assert_string_equal(roles,
        "{\"doctor\":{\"capacity\":1,\"confirmed\":1,\"waitlisted\":1,\"open\":0},"
        "\"nurse\":{\"capacity\":3,\"confirmed\":0,\"waitlisted\":0,\"open\":3}}");
    assert_null(strstr(card, "vol-0"));
    assert_null(strstr(card, "139"));
    assert_null(strstr(card, "Name of"));
    free(roles);
    free(card);
    cJSON_Delete(o);
}

/* Check-ins meet registrations: registered-and-came, registered-but-absent,
 * came-unregistered; a voided check-in does not count. */
static void checkin(struct store *s, int n, const char *trip_id, const char *staff,
                    const char *role, struct outcome *out)
{
    char buf[512], msg_id[40];
    snprintf(msg_id, sizeof msg_id, "00000000-0000-4000-8000-%012d", n);
    snprintf(buf, sizeof buf,
             "{\"msg_id\":\"%s\",\"agent_id\":\"team-07\",\"seq\":%d,\"trip_id\":\"%s\","
             "\"recorded_at\":\"2026-12-01T08:00:00+08:00\",\"staff_id\":\"%s\",\"role\":\"%s\"}",
             msg_id, n, trip_id, staff, role);
    struct report r;
    struct jerr err = {{0}};
    assert_int_equal(report_decode("team-07", "checkin", buf, strlen(buf), &r, &err), RJ_NONE);
    assert_int_equal(store_begin(s), OERR_OK);
    assert_int_equal(intake_report(s, &r, buf, strlen(buf), NOW, out), OERR_OK);
    assert_int_equal(store_commit(s), OERR_OK);
    report_free(&r);
}

static int collect_roster(void *ctx, const struct reg_row *r)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 1024 - n, "%s%s/%s/%s/%lld/%s", n ? ";" : "", r->volunteer_id,
             role_names[r->role], r->state, r->position, r->checked_in ? "came" : "-");
    return 0;
}

static int collect_walkins(void *ctx, const struct walkin_row *w)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 1024 - n, "%s%s/%s", n ? ";" : "", w->staff_id, role_names[w->role]);
    return 0;
}

static void test_attendance(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":2,\"nurse\":1}");
    profiles(s, 4, "[\"doctor\",\"nurse\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-02", "t1", "doctor", "confirmed", 0);
    REGISTER(s, "vol-03", "t1", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-04", "t1", "nurse", "confirmed", 0);
    struct outcome o;
    checkin(s, 1, "t1", "vol-01", "doctor", &o);
    checkin(s, 2, "t1", "vol-01", "doctor", &o); /* twice: still one person */
    checkin(s, 3, "t1", "vol-03", "doctor", &o); /* wait-listed, came anyway */
    checkin(s, 4, "t1", "dr-li", "doctor", &o);
    checkin(s, 5, "t1", "vol-04", "nurse", &o);
    assert_int_equal(o.status, ACK_ACCEPTED);
    struct attendance a;
    assert_int_equal(store_trip_attendance(s, "t1", &a), OERR_OK);
    assert_int_equal(a.came, 2);         /* vol-01, vol-04 */
    assert_int_equal(a.absent, 1);       /* vol-02 */
    assert_int_equal(a.unregistered, 2); /* vol-03 (not confirmed), dr-li */
    char roster[1024] = "", walkins[1024] = "";
    assert_int_equal(store_trip_regs_each(s, "t1", collect_roster, roster), OERR_OK);
    assert_string_equal(roster, "vol-01/doctor/confirmed/0/came;vol-02/doctor/confirmed/0/-;"
                                "vol-03/doctor/waitlisted/1/came;vol-04/nurse/confirmed/0/came");
    assert_int_equal(store_trip_walkins_each(s, "t1", collect_walkins, walkins), OERR_OK);
    assert_string_equal(walkins, "dr-li/doctor;vol-03/doctor");

    /* the trip's progress carries the counts, no names */
    cJSON *p = progress_trip_json(s, "t1", NOW);
    char *att = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(p, "attendance"));
    assert_string_equal(att, "{\"registered\":3,\"registered_came\":2,\"registered_absent\":1,"
                             "\"came_unregistered\":2}");
    assert_int_equal(num(cJSON_GetObjectItemCaseSensitive(p, "staff"), "count"), 4);
    free(att);
    cJSON_Delete(p);
}

/* A volunteer skipped for a clash that then goes away keeps their turn: the
 * next newcomer does not take the free place ahead of them, whether their
 * other place was cancelled by them or by the trip's cancellation. */
static void test_skipped_keeps_turn(void **state)
{
    struct store *s = *state;
    trip(s, "y", "2026-12-01", NULL, "{\"doctor\":1}");
    trip(s, "x", "2026-12-01", NULL, "{\"doctor\":1}");
    trip(s, "z", "2026-12-01", NULL, "{\"doctor\":1}");
    profiles(s, 4, "[\"doctor\"]");
    REGISTER(s, "vol-02", "y", "doctor", "confirmed", 0);
    REGISTER(s, "vol-01", "y", "doctor", "waitlisted", 1);
    REGISTER(s, "vol-01", "x", "doctor", "confirmed", 0);
    cancel(s, "vol-02", "y"); /* vol-01 is skipped: confirmed on x, the same day */
    assert_string_equal(notices(), "");
    expect_places(s, "y", ROLE_DOCTOR, 1, 0, 1, 1);
    cancel(s, "vol-01", "x"); /* now vol-01 moves up on y */
    assert_string_equal(notices(), "vol-01:promoted:y:doctor");
    REGISTER(s, "vol-03", "y", "doctor", "waitlisted", 1);

    /* the same when the other trip is cancelled by the coordinator */
    REGISTER(s, "vol-03", "z", "doctor", "confirmed", 0);
    cancel(s, "vol-01", "y"); /* vol-03 is skipped: confirmed on z, the same day */
    assert_string_equal(notices(), "");
    expect_places(s, "y", ROLE_DOCTOR, 1, 0, 1, 1);
    trip_status(s, "z", "trip.cancel");
    assert_string_equal(notices(), "vol-03:trip_cancelled:z:doctor;vol-03:promoted:y:doctor");
    expect_places(s, "y", ROLE_DOCTOR, 1, 1, 0, 0);
}

/* A completed trip: nothing to cancel, said as such. */
static void test_cancel_completed(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-06-01", NULL, "{\"doctor\":1}");
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    REGISTER(s, "vol-01", "t1", "doctor", "confirmed", 0);
    trip_status(s, "t1", "trip.complete");
    REFUSED(s, "vol-01", "\"op\":\"trip.cancel\",\"trip_id\":\"t1\"", "trip_completed", "t1");
    REFUSED(s, "vol-02", "\"op\":\"trip.cancel\",\"trip_id\":\"t1\"", "trip_completed", "t1");
}

/* The list stays under the contract's 16 KiB, however long the titles. */
static void test_list_bounded(void **state)
{
    struct store *s = *state;
    profile(s, "vol-01", "[\"doctor\"]");
    char id[16], title[400] = "", buf[2048];
    for (int i = 0; i < 85; i++)
        strcat(title, "义");
    for (int i = 0; i < 70; i++) {
        snprintf(id, sizeof id, "long-%02d", i);
        snprintf(buf, sizeof buf,
                 "{\"request_id\":\"up-long-%d\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\","
                 "\"title\":\"%s\",\"date\":\"2026-%02d-%02d\",\"site\":{\"code\":\"s-1\","
                 "\"name\":\"Site\",\"county\":\"cili\",\"county_name\":\"c\"},"
                 "\"mode\":\"red_cross\",\"activities\":[\"clinic\"],\"departments\":[],"
                 "\"capacity\":{\"doctor\":1}}", i, id, title, 1 + i / 28, 1 + i % 28);
        assert_true(admin(s, buf));
        char f[128];
        snprintf(f, sizeof f, "\"op\":\"trip.register\",\"trip_id\":\"%s\",\"role\":\"doctor\"", id);
        cJSON *o = vreq(s, "vol-01", f);
        assert_string_equal(str(o, "state"), "confirmed");
        cJSON_Delete(o);
    }
    int failed = 0;
    struct reg_effects fx;
    memset(&fx, 0, sizeof fx);
    static const char req[] = "{\"request_id\":\"big\",\"op\":\"registrations.list\"}";
    assert_int_equal(store_begin(s), OERR_OK);
    char *reply = volunteer_handle(s, "vol-01", req, strlen(req), NOW, &fx, &failed);
    assert_int_equal(store_commit(s), OERR_OK);
    assert_non_null(reply);
    if (strlen(reply) > 16384)
        fail_msg("registrations.list reply is %zu bytes", strlen(reply));
    cJSON *o = cJSON_Parse(reply);
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "registrations")) >= 20);
    cJSON_Delete(o);
    free(reply);
    reg_effects_free(&fx);
}

/* ---- replies kept for idempotency: bounded per account and in age ---- */

/* Rows of the replies table, of one volunteer or (vid NULL) of everyone. */
static long long reply_rows(struct store *s, const char *vid)
{
    long long n = store_replies_count(s, "volunteer", vid);
    assert_true(n >= 0);
    return n;
}

/* n list requests from vid with fresh request ids. */
static void lists(struct store *s, const char *vid, int n, const char *now)
{
    for (int i = 0; i < n; i++)
        cJSON_Delete(vreq_at(s, vid, "\"op\":\"registrations.list\"", now));
}

static void test_replies_bounded_per_account(void **state)
{
    struct store *s = *state;
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    lists(s, "vol-02", 3, NOW);
    lists(s, "vol-01", 1000, NOW);
    /* 10,000 in production grew the table by 10,000; now the latest 200. */
    assert_int_equal(reply_rows(s, "vol-01"), STORE_REPLY_KEEP);
    /* Trimming one account never touches another's. */
    assert_int_equal(reply_rows(s, "vol-02"), 1 + 3);
    lists(s, "vol-01", 500, NOW);
    assert_int_equal(reply_rows(s, NULL), STORE_REPLY_KEEP + 4);
}

static void test_replies_window(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL, "{\"doctor\":1}");
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    store_set_reply_limits(s, 10, 30);
    static const char reg[] = "\"request_id\":\"keep-me\",\"op\":\"trip.register\","
                              "\"trip_id\":\"t1\",\"role\":\"doctor\"";
    cJSON *a = vreq(s, "vol-01", reg);
    assert_string_equal(str(a, "state"), "confirmed");
    cJSON *b2 = vreq(s, "vol-02", reg); /* another account, the same request id */
    assert_string_equal(str(b2, "state"), "waitlisted");
    /* Inside the window (the latest 10 of vol-01): the same reply, no effect. */
    lists(s, "vol-01", 9, NOW);
    cJSON *b = vreq(s, "vol-01", reg);
    assert_true(cJSON_Compare(a, b, true));
    assert_int_equal(last_fx.ntrips, 0);
    assert_int_equal(reply_rows(s, "vol-01"), 10);
    /* vol-01's 1,000 requests did not push out vol-02's reply: the same again. */
    lists(s, "vol-01", 1000, NOW);
    cJSON *c2 = vreq(s, "vol-02", reg);
    assert_true(cJSON_Compare(b2, c2, true));
    /* Out of vol-01's window the request is answered afresh: registering again
     * for the same place says where one stands, so it is still no second place. */
    cJSON *c = vreq(s, "vol-01", reg);
    assert_string_equal(str(c, "state"), "confirmed");
    expect_places(s, "t1", ROLE_DOCTOR, 1, 1, 1, 0);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(b2);
    cJSON_Delete(c2);
}

static void test_replies_age(void **state)
{
    struct store *s = *state;
    profile(s, "vol-01", "[\"doctor\"]");
    profile(s, "vol-02", "[\"doctor\"]");
    lists(s, "vol-01", 5, "2026-01-01T10:00:00+08:00");
    lists(s, "vol-02", 2, "2026-01-01T23:30:00+08:00");
    cJSON *a = vreq_at(s, "vol-01", "\"request_id\":\"recent\",\"op\":\"registrations.list\"",
                       "2026-01-20T10:00:00+08:00");
    assert_int_equal(reply_rows(s, "vol-01"), 1 + 5 + 1);
    /* 30 days after 1 January 10:00 (+08:00): that day's replies of vol-01 go;
     * vol-02's, 13.5 hours younger, stay until the next day's sweep. */
    lists(s, "vol-01", 1, "2026-01-31T10:00:01+08:00");
    assert_int_equal(reply_rows(s, "vol-01"), 3); /* profile (of NOW), recent, this one */
    assert_int_equal(reply_rows(s, "vol-02"), 3); /* its profile of NOW is younger */
    lists(s, "vol-01", 1, "2026-02-01T00:00:00+08:00");
    assert_int_equal(reply_rows(s, "vol-02"), 1); /* the daily sweep took the two */
    /* The repeat of a request still kept gets the same reply. */
    cJSON *b = vreq_at(s, "vol-01", "\"request_id\":\"recent\",\"op\":\"registrations.list\"",
                       "2026-02-01T00:00:01+08:00");
    assert_true(cJSON_Compare(a, b, true));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, memstore_setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_profile_required),
        T(test_trip_refusals),
        T(test_invalid_requests),
        T(test_last_place),
        T(test_cancel_promotes),
        T(test_clash),
        T(test_promote_skips_clash),
        T(test_idempotent),
        T(test_trip_cancel_notifies),
        T(test_capacity_raised),
        T(test_list),
        T(test_card),
        T(test_attendance),
        T(test_skipped_keeps_turn),
        T(test_cancel_completed),
        T(test_list_bounded),
        T(test_replies_bounded_per_account),
        T(test_replies_window),
        T(test_replies_age),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
