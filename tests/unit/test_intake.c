/* test_intake.c -- what happens to a report (intake.c) over a real store file:
 * duplicates, whose msg_id, trips known and not cancelled, voids, voids that
 * come before their target, final refusals, and what of a refusal is kept. */
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

#include "intake.h"
#include "report.h"
#include "store.h"

#define NOW UNIT_STORE_NOW

/* ---- applying reports ----------------------------------------------------- */

/* Decodes one report (fields: the kind's part of the JSON) and has intake
 * decide on it, in a transaction of its own. */
static struct outcome apply_at(struct store *s, const char *agent, const char *msg_id,
                               const char *trip, const char *recorded_at, const char *kind,
                               const char *fields)
{
    char buf[2048];
    struct report r;
    unit_report(&r, buf, sizeof buf, agent, msg_id, trip, recorded_at, kind, fields);
    struct outcome out;
    assert_int_equal(store_begin(s), OERR_OK);
    oerr_t e = intake_report(s, &r, buf, strlen(buf), NOW, &out);
    report_free(&r);
    if (e) {
        store_rollback(s);
        fail_msg("intake_report: %s (%s)", oerr_str(e), store_errmsg(s));
    }
    assert_int_equal(store_commit(s), OERR_OK);
    return out;
}

static struct outcome apply(struct store *s, const char *agent, const char *msg_id,
                            const char *trip, const char *kind, const char *fields)
{
    return apply_at(s, agent, msg_id, trip, "2026-11-22T09:31:05+08:00", kind, fields);
}

static struct outcome headcount(struct store *s, const char *agent, const char *msg_id,
                                const char *trip, int n)
{
    char f[128];
    snprintf(f, sizeof f, "\"department\":\"internal\",\"consultations\":%d", n);
    return apply(s, agent, msg_id, trip, "headcount", f);
}

static struct outcome checkin(struct store *s, const char *agent, const char *msg_id,
                              const char *trip, const char *staff, const char *role)
{
    char f[256];
    snprintf(f, sizeof f, "\"staff_id\":\"%s\",\"role\":\"%s\"", staff, role);
    return apply(s, agent, msg_id, trip, "checkin", f);
}

static struct outcome void_of(struct store *s, const char *agent, const char *msg_id,
                              const char *trip, const char *target)
{
    char f[256];
    snprintf(f, sizeof f, "\"voids\":\"%s\",\"reason\":\"entered twice\"", target);
    return apply(s, agent, msg_id, trip, "void", f);
}

static void expect_accepted(struct outcome o, int year, int line)
{
    if (o.status != ACK_ACCEPTED)
        fail_msg("line %d: status %d code %s (%s), want accepted", line, o.status,
                 reject_code_str(o.code), o.reason);
    if (o.year != year)
        fail_msg("line %d: year %d, want %d", line, o.year, year);
}

static void expect_rejected(struct outcome o, enum reject_code code, const char *needle, int line)
{
    if (o.status != ACK_REJECTED || o.code != code)
        fail_msg("line %d: status %d code %s (%s), want rejected %s", line, o.status,
                 reject_code_str(o.code), o.reason, reject_code_str(code));
    if (needle && !strstr(o.reason, needle))
        fail_msg("line %d: reason '%s' does not name '%s'", line, o.reason, needle);
    if (o.year != 0)
        fail_msg("line %d: year %d on a refusal", line, o.year);
}

#define ACCEPTED(o, year) expect_accepted(o, year, __LINE__)
#define REJECTED(o, code, needle) expect_rejected(o, code, needle, __LINE__)

/* 1 when report n is stored voided by report by, 0 when stored otherwise. */
static long long voided_by(struct store *s, int n, int by)
{
    struct msg_record m;
    assert_int_equal(store_msg_find(s, mid(n), &m), OERR_OK);
    assert_true(m.stored);
    return strcmp(m.voided_by, mid(by)) == 0;
}

/* The msg_id of the void of agent that waits for report n, "" when none. */
static const char *waiting(struct store *s, const char *agent, int n)
{
    static char void_id[UUID_LEN + 1];
    oerr_t e = store_pending_void_find(s, agent, mid(n), void_id);
    if (e == OERR_NOTFOUND)
        return "";
    assert_int_equal(e, OERR_OK);
    return void_id;
}

/* Reopens the store and sums its totals again from the reports. */
static void rebuilt(struct filestore *f)
{
    filestore_reopen(f);
    assert_int_equal(store_totals_rebuild(f->s), OERR_OK);
}

/* ---- tests --------------------------------------------------------------- */

static void test_duplicate(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);

    struct outcome o = headcount(f->s, "team-07", mid(1), "t1", 12);
    assert_int_equal(o.status, ACK_DUPLICATE);
    /* the same msg_id with other content is still the same report */
    o = headcount(f->s, "team-07", mid(1), "t1", 40);
    assert_int_equal(o.status, ACK_DUPLICATE);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);

    /* the same msg_id from another agent is refused, and counts nothing */
    o = headcount(f->s, "team-08", mid(1), "t1", 12);
    assert_int_equal(o.status, ACK_REJECTED);
    assert_int_not_equal(o.code, RJ_NONE);
    assert_non_null(strstr(o.reason, mid(1)));
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 12);
    assert_int_equal(t.headcounts, 1);
}

static void test_unknown_and_cancelled_trip(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t-open", "2026-05-01", "cili");
    add_trip(f->s, "t-cancel", "2026-05-02", "cili");
    add_trip(f->s, "t-done", "2026-05-03", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "2026-zjj-999", 5), RJ_UNKNOWN_TRIP,
             "2026-zjj-999");
    assert_int_equal(set_status(f->s, "t-cancel", "cancelled"), OERR_OK);
    assert_int_equal(set_status(f->s, "t-done", "completed"), OERR_OK);
    REJECTED(headcount(f->s, "team-07", mid(2), "t-cancel", 5), RJ_TRIP_CANCELLED, "t-cancel");
    ACCEPTED(headcount(f->s, "team-07", mid(3), "t-done", 7), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(4), "t-open", 11), 2026);
    /* a refused msg_id was not kept: it is refused again, not a duplicate */
    REJECTED(headcount(f->s, "team-07", mid(2), "t-cancel", 5), RJ_TRIP_CANCELLED, NULL);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 18);
    assert_int_equal(t.headcounts, 2);
    assert_int_equal(t.trips_planned, 1);
    assert_int_equal(t.trips_completed, 1);
    assert_int_equal(t.trips_cancelled, 1);
}

/* A rejection is final: a msg_id refused for an unknown trip stays refused
 * after the trip is created, with the first reason; another agent reusing the
 * msg_id is not answered with this agent's rejection. */
static void test_rejection_is_final(void **state)
{
    struct filestore *f = *state;
    REJECTED(headcount(f->s, "team-07", mid(1), "t-late", 5), RJ_UNKNOWN_TRIP, "t-late");
    add_trip(f->s, "t-late", "2026-05-01", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "t-late", 5), RJ_UNKNOWN_TRIP, "no trip t-late");
    ACCEPTED(headcount(f->s, "team-08", mid(1), "t-late", 5), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "t-late", 6), 2026);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 11);
}

/* An accepted void names the trip and year of the report it took out, which
 * may differ from its own, so both get republished. */
static void test_void_names_target_trip(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t-2026", "2026-05-01", "cili");
    add_trip(f->s, "t-2025", "2025-12-30", "xiuwu");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t-2026", 12), 2026);
    struct outcome o = void_of(f->s, "team-07", mid(2), "t-2025", mid(1));
    ACCEPTED(o, 2025);
    assert_string_equal(o.target_trip_id, "t-2026");
    assert_int_equal(o.target_year, 2026);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
}

static void test_void(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(2), "t1", "headcount",
                   "\"department\":\"tcm\",\"consultations\":30,\"female\":10,\"over_60\":4,"
                   "\"poor_households\":2"), 2026);
    ACCEPTED(headcount(f->s, "team-08", mid(3), "t1", 100), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 142);
    assert_int_equal(t.female, 10);

    /* void of a headcount removes it exactly */
    ACCEPTED(void_of(f->s, "team-07", mid(10), "t1", mid(2)), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 112);
    assert_int_equal(t.headcounts, 2);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.over_60, 0);
    assert_int_equal(t.poor_households, 0);
    /* the void itself again: duplicate, nothing changes */
    assert_int_equal(void_of(f->s, "team-07", mid(10), "t1", mid(2)).status, ACK_DUPLICATE);

    /* a second void of the same target */
    REJECTED(void_of(f->s, "team-07", mid(11), "t1", mid(2)), RJ_VOID_TARGET, mid(2));
    /* a void of a void */
    REJECTED(void_of(f->s, "team-07", mid(12), "t1", mid(10)), RJ_VOID_TARGET, mid(10));
    /* a void of another agent's report */
    REJECTED(void_of(f->s, "team-07", mid(13), "t1", mid(3)), RJ_VOID_TARGET, mid(3));
    /* a void of an msg_id not seen yet waits for it (test_void_before_target) */
    struct outcome o = void_of(f->s, "team-07", mid(14), "t1", mid(99));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 112);
    assert_int_equal(t.headcounts, 2);

    /* dispense, referral, education and checkin are voided the same way */
    ACCEPTED(apply(f->s, "team-07", mid(20), "t1", "dispense",
                   "\"medicine\":\"amoxicillin\",\"quantity\":2,\"unit\":\"box\",\"value_fen\":1250"),
             2026);
    ACCEPTED(apply(f->s, "team-07", mid(21), "t1", "referral",
                   "\"destination\":\"city_hospital\",\"condition\":\"cataract\","
                   "\"urgency\":\"routine\",\"patient_ref\":\"P-1\""), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(22), "t1", "education",
                   "\"brochures\":50,\"attendees\":20,\"talks\":1"), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(23), "t1", "dr-li", "doctor"), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.value_fen, 1250);
    assert_int_equal(t.dispenses, 1);
    assert_int_equal(t.referrals, 1);
    assert_int_equal(t.by_destination[DEST_CITY], 1);
    assert_int_equal(t.brochures, 50);
    assert_int_equal(t.education_reports, 1);
    assert_int_equal(t.staff, 1);
    for (int i = 20; i <= 23; i++)
        ACCEPTED(void_of(f->s, "team-07", mid(100 + i), "t1", mid(i)), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.value_fen, 0);
    assert_int_equal(t.dispenses, 0);
    assert_int_equal(t.referrals, 0);
    assert_int_equal(t.by_destination[DEST_CITY], 0);
    assert_int_equal(t.brochures, 0);
    assert_int_equal(t.attendees, 0);
    assert_int_equal(t.talks, 0);
    assert_int_equal(t.education_reports, 0);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.consultations, 112);
}

/* The void comes first (a resend after a crash): accepted as pending, not
 * refused; the target is then stored voided and never counts, and the totals
 * rebuilt from the reports agree. Resends of both are duplicates. */
static void test_void_before_target(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-06-01", "cili");
    struct outcome o = void_of(f->s, "team-07", mid(2), "t2", mid(1));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    assert_string_equal(o.target_trip_id, "");
    assert_string_equal(waiting(f->s, "team-07", 1), mid(2));

    o = apply(f->s, "team-07", mid(1), "t1", "headcount",
              "\"department\":\"tcm\",\"consultations\":30,\"female\":10,\"over_60\":4");
    ACCEPTED(o, 2026);
    assert_false(o.void_pending);
    assert_int_equal(voided_by(f->s, 1, 2), 1);
    assert_string_equal(waiting(f->s, "team-07", 1), "");
    ACCEPTED(headcount(f->s, "team-07", mid(3), "t1", 5), 2026);
    struct totals t = totals_of(f->s, 2026, NULL, "t1");
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.over_60, 0);

    /* resends change nothing */
    o = void_of(f->s, "team-07", mid(2), "t2", mid(1));
    assert_int_equal(o.status, ACK_DUPLICATE);
    assert_false(o.void_pending);
    assert_int_equal(headcount(f->s, "team-07", mid(1), "t1", 30).status, ACK_DUPLICATE);
    /* the target is voided now: another void of it is refused */
    REJECTED(void_of(f->s, "team-07", mid(4), "t1", mid(1)), RJ_VOID_TARGET, "already voided");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 5);

    /* other kinds are stored voided the same way */
    ACCEPTED(void_of(f->s, "team-07", mid(11), "t1", mid(10)), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(10), "t1", "dr-li", "doctor"), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(13), "t1", mid(12)), 2026);
    ACCEPTED(apply(f->s, "team-07", mid(12), "t1", "dispense",
                   "\"medicine\":\"amoxicillin\",\"quantity\":2,\"unit\":\"box\","
                   "\"value_fen\":1250"), 2026);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.value_fen, 0);
    assert_int_equal(t.dispenses, 0);

    rebuilt(f);
    t = totals_of(f->s, 2026, NULL, NULL);
    assert_int_equal(t.consultations, 5);
    assert_int_equal(t.headcounts, 1);
    assert_int_equal(t.female, 0);
    assert_int_equal(t.checkins, 0);
    assert_int_equal(t.staff, 0);
    assert_int_equal(t.value_fen, 0);
}

/* A pending void names a msg_id that another agent then uses: that report
 * was never the void's to name, so it counts as usual and the void goes on
 * waiting; the same msg_id from the void's agent is refused (used). */
static void test_void_pending_other_agent(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    ACCEPTED(headcount(f->s, "team-08", mid(1), "t1", 10), 2026);
    assert_int_equal(voided_by(f->s, 1, 2), 0);
    assert_string_equal(waiting(f->s, "team-07", 1), mid(2));
    REJECTED(headcount(f->s, "team-07", mid(1), "t1", 3), RJ_SCHEMA, "another agent");
    /* now that mid(1) is known, a void of it from team-07 is refused */
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, "another agent");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 10);
    rebuilt(f);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 10);
}

/* A second void of a target that a pending void already waits for is refused
 * like a second void of a voided report (and stays refused); resending the
 * pending void is a duplicate; the target still comes in voided by the first. */
static void test_void_pending_twice(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(void_of(f->s, "team-07", mid(2), "t1", mid(1)), 2026);
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, mid(2));
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    assert_int_equal(o.status, ACK_DUPLICATE);
    assert_false(o.void_pending);
    assert_string_equal(waiting(f->s, "team-07", 1), mid(2));
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 9), 2026);
    assert_int_equal(voided_by(f->s, 1, 2), 1);
    /* the refusal is final: the second void is not applied now either */
    REJECTED(void_of(f->s, "team-07", mid(3), "t1", mid(1)), RJ_VOID_TARGET, mid(2));
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
    assert_string_equal(waiting(f->s, "team-07", 1), "");
}

/* A void naming a report refused to the same agent has nothing to void: it is
 * refused, not kept waiting. A refusal of that msg_id to another agent does
 * not make it this agent's: the void waits. */
static void test_void_of_refused(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    REJECTED(headcount(f->s, "team-07", mid(1), "t-none", 5), RJ_UNKNOWN_TRIP, "t-none");
    REJECTED(void_of(f->s, "team-07", mid(2), "t1", mid(1)), RJ_VOID_TARGET, "refused");
    REJECTED(headcount(f->s, "team-08", mid(5), "t-none", 5), RJ_UNKNOWN_TRIP, "t-none");
    struct outcome o = void_of(f->s, "team-07", mid(6), "t1", mid(5));
    ACCEPTED(o, 2026);
    assert_true(o.void_pending);
    assert_string_equal(waiting(f->s, "team-07", 5), mid(6));
}

/* A pending void whose target turns out to be a void: a void cannot be
 * voided, so the arriving void is stored and takes effect, and the pending
 * one stops waiting without effect. */
static void test_void_pending_names_void(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 8), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(3), "t1", mid(2)), 2026);
    struct outcome o = void_of(f->s, "team-07", mid(2), "t1", mid(1));
    ACCEPTED(o, 2026);
    assert_false(o.void_pending);
    assert_string_equal(o.target_trip_id, "t1");
    assert_int_equal(voided_by(f->s, 1, 2), 1);
    assert_int_equal(voided_by(f->s, 2, 3), 0);
    assert_string_equal(waiting(f->s, "team-07", 2), "");
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
}

static void test_year_of_trip(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t-nye", "2025-12-31", "cili");
    add_trip(f->s, "t-2026", "2026-01-01", "cili");
    ACCEPTED(apply_at(f->s, "team-07", mid(1), "t-nye", "2026-01-02T10:00:00+08:00",
                      "headcount", "\"department\":\"internal\",\"consultations\":9"), 2025);
    ACCEPTED(apply_at(f->s, "team-07", mid(2), "t-2026", "2025-12-30T10:00:00+08:00",
                      "headcount", "\"department\":\"internal\",\"consultations\":4"), 2026);
    assert_int_equal(totals_of(f->s, 2025, NULL, NULL).consultations, 9);
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 4);
    struct trip_row row;
    assert_int_equal(store_trip_get(f->s, "t-nye", &row), OERR_OK);
    assert_int_equal(row.year, 2025);
    assert_string_equal(row.date, "2025-12-31");
    assert_string_equal(row.status, "planned");
    assert_string_equal(row.county, "cili");
}

/* A headcount of n for trip decided inside the caller's transaction. */
static struct outcome headcount_in_tx(struct store *s, int n, const char *trip)
{
    char buf[2048];
    struct report r;
    unit_report(&r, buf, sizeof buf, "team-07", mid(n), trip, "2026-11-22T09:31:05+08:00",
                "headcount", "\"department\":\"internal\",\"consultations\":1");
    struct outcome out;
    oerr_t e = intake_report(s, &r, buf, strlen(buf), NOW, &out);
    report_free(&r);
    if (e)
        fail_msg("intake_report: %s (%s)", oerr_str(e), store_errmsg(s));
    return out;
}

/* The store keeps the trips its reports name between look-ups (store_trip_get):
 * what it serves is never older than the table, whoever changed the trip. */
static void test_trip_never_stale(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t-a", "2026-05-01", "cili");
    /* Cancelled within the batch that looked it up: the next report sees it. */
    assert_int_equal(store_begin(f->s), OERR_OK);
    ACCEPTED(headcount_in_tx(f->s, 1, "t-a"), 2026);
    char why[JERR_MAX] = "";
    assert_int_equal(store_trip_set_status(f->s, "t-a", "cancelled", NOW, why), OERR_OK);
    REJECTED(headcount_in_tx(f->s, 2, "t-a"), RJ_TRIP_CANCELLED, "t-a");
    /* ... and a batch rolled back takes the cancel back with it. */
    store_rollback(f->s);
    ACCEPTED(headcount(f->s, "team-07", mid(3), "t-a", 1), 2026);
    /* Moved to another year by this connection, in a batch of its own. */
    add_trip(f->s, "t-a", "2027-03-01", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(4), "t-a", 1), 2027);
    /* Cancelled through another connection to the same file (another process). */
    struct store *other;
    char err[256] = "";
    assert_int_equal(store_open(f->path, &other, err), OERR_OK);
    assert_int_equal(set_status(other, "t-a", "cancelled"), OERR_OK);
    store_close(other);
    REJECTED(headcount(f->s, "team-07", mid(5), "t-a", 1), RJ_TRIP_CANCELLED, "t-a");
    struct trip_row row;
    assert_int_equal(store_trip_get(f->s, "t-a", &row), OERR_OK);
    assert_string_equal(row.status, "cancelled");
    /* The trip's year decides: both counted reports are 2027's now. */
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 0);
    assert_int_equal(totals_of(f->s, 2027, NULL, NULL).consultations, 2);
}

static int last_seq_of(void *ctx, const struct agent_row *a)
{
    long long *v = ctx;
    if (strcmp(a->agent_id, "team-08") == 0)
        v[0] = a->last_seq;
    if (strcmp(a->agent_id, "team-09") == 0)
        v[1] = a->last_seq;
    return 0;
}

/* The agents seen in a batch: written at its end, per agent, whatever the
 * order and however many; an empty batch writes nothing. */
static void test_seen_in_a_batch(void **state)
{
    struct filestore *f = *state;
    struct intake_seen b = {0};
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(intake_seen_flush(&b, f->s, NOW), OERR_OK); /* nothing noted */
    for (long long q = 600; q >= 1; q--) { /* 600: more than one write's worth */
        if (q != 300)
            assert_int_equal(intake_seen_add(&b, "team-08", q), 0);
        if (q == 10 || q == 5) /* counted reports: the higher seq's trip is the agent's */
            intake_seen_trip(&b, "team-08", q, q == 10 ? "2026-xw-010" : "2026-xw-005");
        if (q % 2)
            assert_int_equal(intake_seen_add(&b, "team-09", q), 0);
        if (q == 7) /* not the seen just added (team-09's 7): nothing */
            intake_seen_trip(&b, "team-08", 7, "2026-xw-007");
    }
    assert_int_equal(intake_seen_add(&b, "team-09", 0), 0); /* no seq: a sign of life */
    assert_int_equal(intake_seen_flush(&b, f->s, NOW), OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    struct seq_gaps g;
    assert_int_equal(store_agent_missing(f->s, "team-08", 600, &g), OERR_OK);
    assert_string_equal(g.text, "300");
    assert_int_equal(store_agent_missing(f->s, "team-09", 599, &g), OERR_OK);
    assert_int_equal(g.count, 299);
    long long last[2] = {-1, -1};
    assert_int_equal(store_agents_each(f->s, last_seq_of, last), OERR_OK);
    assert_int_equal(last[0], 600);
    assert_int_equal(last[1], 599);
    struct agent_row a;
    assert_int_equal(store_agent_get(f->s, "team-08", &a), OERR_OK);
    assert_string_equal(a.report_trip, "2026-xw-010");
    assert_int_equal(store_agent_get(f->s, "team-09", &a), OERR_OK);
    assert_string_equal(a.report_trip, "");
    /* Noted, then the batch rolled back: nothing of it is written later. */
    assert_int_equal(intake_seen_add(&b, "team-08", 900), 0);
    intake_seen_clear(&b);
    assert_int_equal(store_begin(f->s), OERR_OK);
    assert_int_equal(intake_seen_flush(&b, f->s, NOW), OERR_OK);
    assert_int_equal(store_commit(f->s), OERR_OK);
    last[0] = -1;
    assert_int_equal(store_agents_each(f->s, last_seq_of, last), OERR_OK);
    assert_int_equal(last[0], 600);
    intake_seen_free(&b);
}

/* The rules hold across closing and opening the store again. */
static void test_reopen(void **state)
{
    struct filestore *f = *state;
    add_trip(f->s, "t1", "2026-05-01", "cili");
    add_trip(f->s, "t2", "2026-05-02", "cili");
    ACCEPTED(headcount(f->s, "team-07", mid(1), "t1", 12), 2026);
    ACCEPTED(headcount(f->s, "team-07", mid(2), "t1", 3), 2026);
    ACCEPTED(void_of(f->s, "team-07", mid(3), "t1", mid(2)), 2026);
    ACCEPTED(checkin(f->s, "team-07", mid(4), "t1", "dr-wang", "doctor"), 2026);
    assert_int_equal(set_status(f->s, "t2", "cancelled"), OERR_OK);
    filestore_reopen(f);
    assert_int_equal(headcount(f->s, "team-07", mid(1), "t1", 12).status, ACK_DUPLICATE);
    REJECTED(void_of(f->s, "team-07", mid(5), "t1", mid(2)), RJ_VOID_TARGET, NULL);
    REJECTED(headcount(f->s, "team-07", mid(6), "t2", 1), RJ_TRIP_CANCELLED, NULL);
    /* what the totals are after reopening: test_store's test_reopen */
    assert_int_equal(totals_of(f->s, 2026, NULL, NULL).consultations, 12);
}

/* ---- what of a refusal is kept -------------------------------------------- */

static void kept(const char *kind, const char *payload, enum reject_code code,
                 const char *want)
{
    struct report r;
    struct jerr err = {{0}};
    report_decode("team-07", kind, payload, strlen(payload), &r, &err);
    char *scrubbed = NULL;
    size_t n = 0;
    const char *k = intake_kept_payload(&r, code, payload, strlen(payload), &n, &scrubbed);
    if (n != strlen(want) || memcmp(k, want, n) != 0)
        fail_msg("kept '%.*s', want '%s'", (int)n, k, want);
    assert_null(r.patient_ref);
    free(scrubbed);
    report_free(&r);
}

/* A refused referral is kept without its patient_ref (it may be a name or a
 * phone number); a payload too large is kept cut to 1024 bytes; others as
 * they came. */
static void test_kept_payload(void **state)
{
    (void)state;
    const char *ref = "{\"msg_id\":\"00000abc-0000-4000-8000-000000000001\","
                      "\"agent_id\":\"team-07\",\"seq\":1,\"trip_id\":\"t1\","
                      "\"recorded_at\":\"2026-11-22T09:31:05+08:00\","
                      "\"destination\":\"city_hospital\",\"condition\":\"x\","
                      "\"urgency\":\"routine\",\"patient_ref\":\"13812345678\"}";
    char want[512];
    snprintf(want, sizeof want, "%.*s\"(removed)\"}", (int)(strstr(ref, "\"1381") - ref), ref);
    kept("referral", ref, RJ_SCHEMA, want);
    const char *hc = "{\"msg_id\":\"x\",\"consultations\":3}";
    kept("headcount", hc, RJ_SCHEMA, hc);

    static char big[4000];
    memset(big, 'x', sizeof big - 1);
    struct report r;
    memset(&r, 0, sizeof r);
    char *scrubbed = NULL;
    size_t n = 0;
    assert_ptr_equal(intake_kept_payload(&r, RJ_TOO_LARGE, big, strlen(big), &n, &scrubbed),
                     big);
    assert_int_equal(n, 1024);
    assert_null(scrubbed);
    assert_ptr_equal(intake_kept_payload(&r, RJ_TOO_LARGE, big, 1000, &n, &scrubbed), big);
    assert_int_equal(n, 1000);
    assert_ptr_equal(intake_kept_payload(&r, RJ_SCHEMA, big, strlen(big), &n, &scrubbed), big);
    assert_int_equal(n, strlen(big));
}

/* intake_keep_refused keeps the refused message, counted among the rejects. */
static void test_keep_refused(void **state)
{
    struct filestore *f = *state;
    const char *p = "{\"msg_id\":\"00000abc-0000-4000-8000-000000000001\",\"patient_ref\":\"a\"}";
    struct report r;
    struct jerr err = {{0}};
    report_decode("team-07", "referral", p, strlen(p), &r, &err);
    struct outcome oc = {0};
    intake_refuse(&oc, RJ_SCHEMA, "refused %d", 1);
    assert_int_equal(oc.status, ACK_REJECTED);
    assert_string_equal(oc.reason, "refused 1");
    assert_int_equal(intake_keep_refused(f->s, &r, &oc, NOW, "outreach/v1/agents/team-07/reports/"
                                         "referral", "team-07", p, strlen(p), 10),
                     OERR_OK);
    assert_null(r.patient_ref);
    report_free(&r);
    assert_int_equal(store_rejects_count(f->s), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, filestore_setup, filestore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_duplicate),
        T(test_unknown_and_cancelled_trip),
        T(test_rejection_is_final),
        T(test_void_names_target_trip),
        T(test_void),
        T(test_void_before_target),
        T(test_void_pending_other_agent),
        T(test_void_pending_twice),
        T(test_void_of_refused),
        T(test_void_pending_names_void),
        T(test_year_of_trip),
        T(test_reopen),
        T(test_trip_never_stale),
        T(test_seen_in_a_batch),
        T(test_kept_payload),
        T(test_keep_refused),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
