/* test_store_reg.c -- the store's volunteers and registrations alone (no
 * rules: registry.c has those): profiles, arrival order, wait-list order and
 * positions, counts, clashes, a trip's cancellation, places per role, and the
 * caller-owned lists. Links coord_store only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "unit_store.h"

#define NOW "2026-11-22T10:00:00+08:00"

/* A trip of dates start..end (end NULL: one day), status planned. */
static void trip(struct store *s, const char *id, const char *start, const char *end)
{
    char buf[1024], endp[64] = "";
    if (end)
        snprintf(endp, sizeof endp, "\"end_date\":\"%s\",", end);
    snprintf(buf, sizeof buf,
             "{\"request_id\":\"r\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\","
             "\"title\":\"Trip %s\",\"date\":\"%s\",%s\"site\":{\"code\":\"s-1\","
             "\"name\":\"Site\",\"county\":\"cili\",\"county_name\":\"Cili\","
             "\"township\":\"Town\"},\"mode\":\"red_cross\","
             "\"activities\":[\"clinic\",\"tech\"],\"departments\":[\"internal\"],"
             "\"capacity\":{\"doctor\":2,\"nurse\":1}}",
             id, id, start, endp);
    struct request rq;
    struct jerr err = {{0}};
    const char *code = request_decode(REQ_ADMIN, buf, strlen(buf), &rq, &err);
    if (code)
        fail_msg("trip %s: %s (%s)", id, code, err.msg);
    char why[JERR_MAX] = "";
    assert_int_equal(store_trip_upsert(s, &rq.trip, NOW, why), OERR_OK);
    request_free(&rq);
}

static void volunteer(struct store *s, const char *vid)
{
    assert_int_equal(store_volunteer_put(s, vid, "Name", "+86 139 0000 0000", NULL,
                                         (1u << ROLE_DOCTOR) | (1u << ROLE_NURSE), NOW),
                     OERR_OK);
}

static long long add(struct store *s, const char *trip_id, const char *vid, int role,
                     const char *state)
{
    long long id = 0;
    assert_int_equal(store_reg_add(s, trip_id, vid, role, state, NOW, &id), OERR_OK);
    assert_true(id > 0);
    return id;
}

/* "vid/state" of each registration of a list, joined by ';'. */
static const char *text_of(const struct reg_list *l)
{
    static char buf[512];
    buf[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(buf);
        snprintf(buf + n, sizeof buf - n, "%s%s/%s/%s", i ? ";" : "", l->v[i].volunteer_id,
                 l->v[i].trip_id, l->v[i].state);
    }
    return buf;
}

static void test_trip_detail(void **state)
{
    struct store *s = *state;
    struct trip_detail d;
    assert_int_equal(store_trip_detail(s, "t1", &d), OERR_NOTFOUND);
    trip(s, "t1", "2026-12-01", "2026-12-02");
    assert_int_equal(store_trip_detail(s, "t1", &d), OERR_OK);
    assert_string_equal(d.title, "Trip t1");
    assert_string_equal(d.end_date, "2026-12-02");
    assert_string_equal(d.township, "Town");
    assert_string_equal(d.mode, "red_cross");
    assert_int_equal(d.activities, (1u << 0) | (1u << 2)); /* clinic, tech */
    assert_int_equal(d.capacity[ROLE_DOCTOR], 2);
    assert_int_equal(d.capacity[ROLE_NURSE], 1);
    assert_int_equal(d.capacity[ROLE_SUPPORT], 0);
    assert_string_equal(d.status, "planned");
}

static void test_profiles(void **state)
{
    struct store *s = *state;
    struct volunteer_row v;
    assert_int_equal(store_volunteer_get(s, "vol-01", &v), OERR_NOTFOUND);
    volunteer(s, "vol-01");
    assert_int_equal(store_volunteer_put(s, "vol-01", "Other", "+86 139 1111 1111", "Red Cross",
                                         1u << ROLE_NURSE, NOW), OERR_OK);
    assert_int_equal(store_volunteer_get(s, "vol-01", &v), OERR_OK);
    assert_string_equal(v.name, "Other");
    assert_string_equal(v.organization, "Red Cross");
    assert_int_equal(v.roles, 1u << ROLE_NURSE);
}

static void test_waitlist_order(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL);
    for (int i = 1; i <= 4; i++) {
        char v[16];
        snprintf(v, sizeof v, "vol-0%d", i);
        volunteer(s, v);
    }
    long long a = add(s, "t1", "vol-01", ROLE_DOCTOR, REG_CONFIRMED);
    long long b = add(s, "t1", "vol-02", ROLE_DOCTOR, REG_WAITLISTED);
    long long c = add(s, "t1", "vol-03", ROLE_DOCTOR, REG_WAITLISTED);
    add(s, "t1", "vol-04", ROLE_NURSE, REG_WAITLISTED);
    assert_true(a < b && b < c); /* order of arrival */
    assert_int_equal(store_reg_position(s, a), 0);
    assert_int_equal(store_reg_position(s, b), 1);
    assert_int_equal(store_reg_position(s, c), 2);
    assert_int_equal(store_reg_count(s, "t1", ROLE_DOCTOR, REG_WAITLISTED), 2);
    assert_int_equal(store_reg_count(s, "t1", ROLE_NURSE, REG_CONFIRMED), 0);

    struct reg_list w = {0};
    assert_int_equal(store_reg_waitlist(s, "t1", ROLE_DOCTOR, &w), OERR_OK);
    assert_string_equal(text_of(&w), "vol-02/t1/waitlisted;vol-03/t1/waitlisted");
    assert_int_equal(w.v[0].id, b);
    assert_int_equal(w.v[0].role, ROLE_DOCTOR);
    reg_list_free(&w);
    assert_null(w.v);
    reg_list_free(NULL);

    /* the first in line leaves: the next moves up */
    assert_int_equal(store_reg_set_state(s, b, REG_CANCELLED, NOW), OERR_OK);
    assert_int_equal(store_reg_position(s, c), 1);
    struct reg_ref r;
    assert_int_equal(store_reg_live(s, "vol-02", "t1", &r), OERR_NOTFOUND);
    assert_int_equal(store_reg_live(s, "vol-03", "t1", &r), OERR_OK);
    assert_int_equal(r.id, c);
    assert_string_equal(r.state, REG_WAITLISTED);

    struct role_places p[ROLE_COUNT];
    assert_int_equal(store_trip_places(s, "t1", p), OERR_OK);
    assert_int_equal(p[ROLE_DOCTOR].capacity, 2);
    assert_int_equal(p[ROLE_DOCTOR].confirmed, 1);
    assert_int_equal(p[ROLE_DOCTOR].waitlisted, 1);
    assert_int_equal(p[ROLE_DOCTOR].open, 1);
    assert_int_equal(p[ROLE_NURSE].waitlisted, 1);
    assert_int_equal(store_trip_places(s, "nope", p), OERR_NOTFOUND);
}

static void test_clash_and_cancel(void **state)
{
    struct store *s = *state;
    trip(s, "a", "2026-12-01", "2026-12-03");
    trip(s, "b", "2026-12-03", NULL);
    trip(s, "c", "2026-12-10", NULL);
    volunteer(s, "vol-01");
    volunteer(s, "vol-02");
    struct reg_clash k;
    assert_int_equal(store_reg_clash(s, "vol-01", "b", "2026-12-03", "2026-12-03", &k),
                     OERR_NOTFOUND);
    add(s, "a", "vol-01", ROLE_DOCTOR, REG_CONFIRMED);
    add(s, "a", "vol-02", ROLE_NURSE, REG_WAITLISTED);
    add(s, "c", "vol-01", ROLE_DOCTOR, REG_WAITLISTED);
    add(s, "b", "vol-01", ROLE_NURSE, REG_WAITLISTED);
    assert_int_equal(store_reg_clash(s, "vol-01", "b", "2026-12-03", "2026-12-03", &k), OERR_OK);
    assert_string_equal(k.trip_id, "a");
    assert_string_equal(k.start, "2026-12-01");
    assert_string_equal(k.end, "2026-12-03");
    /* a trip never clashes with itself, nor one on other days */
    assert_int_equal(store_reg_clash(s, "vol-01", "a", "2026-12-01", "2026-12-03", &k),
                     OERR_NOTFOUND);
    assert_int_equal(store_reg_clash(s, "vol-01", "c", "2026-12-10", "2026-12-10", &k),
                     OERR_NOTFOUND);

    struct reg_list w = {0};
    assert_int_equal(store_reg_waiting_of(s, "vol-01", 64, &w), OERR_OK);
    assert_string_equal(text_of(&w), "vol-01/b/waitlisted;vol-01/c/waitlisted");
    reg_list_free(&w);
    assert_int_equal(store_reg_waiting_of(s, "vol-01", 1, &w), OERR_OK);
    assert_string_equal(text_of(&w), "vol-01/b/waitlisted");
    reg_list_free(&w);

    struct reg_list live = {0};
    assert_int_equal(store_reg_live_of_trip(s, "a", &live), OERR_OK);
    assert_string_equal(text_of(&live), "vol-01/a/confirmed;vol-02/a/waitlisted");
    reg_list_free(&live);
    assert_int_equal(store_reg_cancel_trip(s, "a", NOW), OERR_OK);
    assert_int_equal(store_reg_live_of_trip(s, "a", &live), OERR_OK);
    assert_int_equal(live.n, 0);
    reg_list_free(&live);
    assert_int_equal(store_reg_count(s, "a", ROLE_DOCTOR, REG_TRIP_CANCELLED), 1);
    assert_int_equal(store_reg_count(s, "a", ROLE_NURSE, REG_TRIP_CANCELLED), 1);
    /* the place on a is gone: no clash any more */
    assert_int_equal(store_reg_clash(s, "vol-01", "b", "2026-12-03", "2026-12-03", &k),
                     OERR_NOTFOUND);
}

static int collect_list(void *ctx, const struct volunteer_reg_row *r)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 256 - n, "%s%s/%s/%s/%s", n ? ";" : "", r->reg.trip_id, r->date, r->title,
             r->trip_status);
    return 0;
}

static void test_volunteer_regs(void **state)
{
    struct store *s = *state;
    trip(s, "t1", "2026-12-01", NULL);
    trip(s, "t2", "2026-12-08", NULL);
    trip(s, "t3", "2026-11-01", NULL);
    volunteer(s, "vol-01");
    add(s, "t1", "vol-01", ROLE_DOCTOR, REG_CONFIRMED);
    add(s, "t2", "vol-01", ROLE_DOCTOR, REG_WAITLISTED);
    add(s, "t3", "vol-01", ROLE_DOCTOR, REG_CONFIRMED);
    char buf[256] = "";
    assert_int_equal(store_volunteer_regs_each(s, "vol-01", 2, collect_list, buf), OERR_OK);
    /* the latest trips first, at most max */
    assert_string_equal(buf, "t2/2026-12-08/Trip t2/planned;t1/2026-12-01/Trip t1/planned");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, memstore_setup, memstore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_trip_detail),
        T(test_profiles),
        T(test_waitlist_order),
        T(test_clash_and_cancel),
        T(test_volunteer_regs),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
