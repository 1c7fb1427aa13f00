/* test_siteapp.c -- the site app's sign-in logic (sessions, CSRF, the slowing
 * of wrong passcodes) and the registration desk's taps folded into headcount
 * reports, on a real SQLite outbox file, with crashes before the commit;
 * today's totals and a refused headcount corrected once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit_outbox.h"

#include <cjson/cJSON.h>

#include "report.h"
#include "siteapp_auth.h"
#include "siteapp_taps.h"

#define AGENT UNIT_OUTBOX_AGENT
#define TRIP "2026-zjj-014"
#define TS "2026-11-22T09:31:05+08:00"
#define PASS "483920"

/* ---- sign-in ---- */

static void test_wrong_passcode_slowed_per_client(void **state)
{
    (void)state;
    struct sa_auth *a = sa_auth_new(PASS, 3600, 8);
    struct sa_session s;
    double retry = -1;
    assert_int_equal(sa_auth_signin(a, "10.0.0.5", "111111", "nurse-1", 100, &s, &retry),
                     SA_WRONG);
    assert_true(retry == 1.0);
    /* Even the right passcode waits its turn. */
    assert_int_equal(sa_auth_signin(a, "10.0.0.5", PASS, "nurse-1", 100.5, &s, &retry), SA_WAIT);
    assert_true(retry == 0.5);
    /* Another phone is not slowed by this one. */
    assert_true(sa_auth_wait(a, "10.0.0.6", 100.5) == 0);
    /* Doubling: 1, 2, 4, 8 ... up to SA_DELAY_MAX_S. */
    double t = 101, want = 2;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(sa_auth_signin(a, "10.0.0.5", "x", "nurse-1", t, &s, &retry), SA_WRONG);
        assert_true(retry == (want < SA_DELAY_MAX_S ? want : SA_DELAY_MAX_S));
        t += retry;
        want *= 2;
    }
    assert_true(sa_auth_wait(a, "10.0.0.5", t - 0.001) > 0);
    assert_int_equal(sa_auth_signin(a, "10.0.0.5", PASS, "nurse-1", t, &s, &retry), SA_OK);
    /* A success forgets the client's failures. */
    assert_int_equal(sa_auth_signin(a, "10.0.0.5", "x", "nurse-1", t, &s, &retry), SA_WRONG);
    assert_true(retry == 1.0);
    sa_auth_free(a);
}

static void test_wrong_passcode_slowed_globally(void **state)
{
    (void)state;
    struct sa_auth *a = sa_auth_new(PASS, 3600, 8);
    struct sa_session s;
    double retry;
    char addr[32];
    for (int i = 0; i < SA_GLOBAL_FREE - 1; i++) {
        snprintf(addr, sizeof addr, "10.0.1.%d", i);
        assert_int_equal(sa_auth_signin(a, addr, "bad", "x1", 50, &s, &retry), SA_WRONG);
    }
    assert_true(sa_auth_wait(a, "10.0.2.1", 50) == 0);
    assert_int_equal(sa_auth_signin(a, "10.0.2.1", "bad", "x1", 50, &s, &retry), SA_WRONG);
    /* From the SA_GLOBAL_FREE-th on, a new address waits too, growing. */
    assert_true(sa_auth_wait(a, "10.0.2.2", 50) == 0.25);
    assert_int_equal(sa_auth_signin(a, "10.0.2.2", PASS, "x1", 50.1, &s, &retry), SA_WAIT);
    double t = 50.25;
    for (int i = 0; i < 12; i++) {
        snprintf(addr, sizeof addr, "10.0.3.%d", i);
        assert_int_equal(sa_auth_signin(a, addr, "bad", "x1", t, &s, &retry), SA_WRONG);
        t += sa_auth_wait(a, "10.0.9.9", t);
    }
    assert_true(sa_auth_wait(a, "10.0.9.9", t - SA_GLOBAL_MAX_S) == SA_GLOBAL_MAX_S);
    /* Forgotten after SA_GLOBAL_FORGET_S without a wrong one. */
    assert_true(sa_auth_wait(a, "10.0.9.9", t + SA_GLOBAL_FORGET_S + 1) == 0);
    assert_int_equal(sa_auth_signin(a, "10.0.9.9", PASS, "x1", t + SA_GLOBAL_FORGET_S + 1, &s,
                                    &retry), SA_OK);
    sa_auth_free(a);
}

static void test_sessions_and_csrf(void **state)
{
    (void)state;
    struct sa_auth *a = sa_auth_new(PASS, 100, 2);
    struct sa_session s1, s2, s3, got;
    double retry;
    assert_int_equal(sa_auth_signin(a, "c", PASS, "has space", 0, &s1, &retry), SA_BAD_STAFF);
    assert_int_equal(sa_auth_signin(a, "c", PASS, NULL, 0, &s1, &retry), SA_BAD_STAFF);
    assert_int_equal(sa_auth_signin(a, "c", NULL, "nurse-1", 0, &s1, &retry), SA_WRONG);
    assert_int_equal(sa_auth_signin(a, "d", PASS, "nurse-1", 0, &s1, &retry), SA_OK);
    assert_int_equal(strlen(s1.token), SA_TOKEN_LEN);
    assert_int_equal(strspn(s1.token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_"), SA_TOKEN_LEN);
    assert_string_not_equal(s1.token, s1.csrf);
    assert_string_equal(s1.staff_id, "nurse-1");
    assert_true(sa_auth_find(a, s1.token, 50, &got));
    assert_string_equal(got.csrf, s1.csrf);
    /* Use moves the expiry on: alive at 149, gone 100 s after its last use. */
    assert_true(sa_auth_find(a, s1.token, 149, &got));
    assert_false(sa_auth_find(a, s1.token, 249.5, &got));
    assert_false(sa_auth_find(a, NULL, 0, &got));
    assert_false(sa_auth_find(a, "short", 0, &got));
    assert_int_equal(sa_auth_signin(a, "d", PASS, "nurse-1", 300, &s1, &retry), SA_OK);
    char forged[SA_TOKEN_LEN + 1];
    memcpy(forged, s1.token, sizeof forged);
    forged[0] = forged[0] == 'A' ? 'B' : 'A';
    assert_false(sa_auth_find(a, forged, 300, &got));
    /* CSRF: the session's own token only. */
    assert_true(sa_auth_csrf_ok(&s1, s1.csrf));
    assert_false(sa_auth_csrf_ok(&s1, NULL));
    assert_false(sa_auth_csrf_ok(&s1, ""));
    assert_false(sa_auth_csrf_ok(&s1, s1.token));
    assert_int_equal(sa_auth_signin(a, "e", PASS, "doc-2", 301, &s2, &retry), SA_OK);
    assert_false(sa_auth_csrf_ok(&s1, s2.csrf));
    /* Beyond max_sessions (2) the least recently used goes. */
    assert_int_equal(sa_auth_signin(a, "f", PASS, "doc-3", 302, &s3, &retry), SA_OK);
    assert_false(sa_auth_find(a, s1.token, 303, &got));
    assert_true(sa_auth_find(a, s2.token, 303, &got));
    assert_true(sa_auth_find(a, s3.token, 303, &got));
    sa_auth_signout(a, s3.token);
    assert_false(sa_auth_find(a, s3.token, 303, &got));
    assert_true(sa_auth_find(a, s2.token, 303, &got));
    sa_auth_free(a);
}

static void test_equal(void **state)
{
    (void)state;
    assert_true(sa_equal("", ""));
    assert_true(sa_equal("abc", "abc"));
    assert_false(sa_equal("abc", "abd"));
    assert_false(sa_equal("abc", "ab"));
    assert_false(sa_equal("ab", "abc"));
    assert_false(sa_equal("", "a"));
    assert_false(sa_equal("a", ""));
}

/* ---- taps on a real outbox ---- */

/* The outbox fixture (unit_outbox.h) with the site app's tables. */
static int setup(void **state)
{
    if (outbox_setup(state))
        return -1;
    struct outbox_fixture *f = *state;
    if (taps_init(f->ob)) {
        outbox_teardown(state);
        return -1;
    }
    return 0;
}

static long long add(struct outbox *ob, const char *dep, bool female, bool over_60,
                     const char *by)
{
    struct tap t = {.trip_id = TRIP, .department = dep, .entered_by = by, .female = female,
                    .over_60 = over_60};
    long long id = 0;
    assert_int_equal(taps_add(ob, &t, TS, &id), OERR_OK);
    assert_true(id > 0);
    return id;
}

/* What the outbox file holds, read as another process would. */
static long long count(const struct outbox_fixture *f, const char *sql)
{
    long long n = outbox_fixture_sql(f, sql);
    assert_true(n >= 0);
    return n;
}

/* Sums consultations (and a breakdown field) of the outbox's headcounts of dep,
 * each checked to be a valid report. */
static long long outbox_sum(struct outbox *ob, const char *dep, const char *field,
                            int *reports)
{
    struct outbox_entry *list = NULL;
    size_t n = 0;
    long long sum = 0;
    *reports = 0;
    assert_int_equal(outbox_list(ob, NULL, 100000, &list, &n), OERR_OK);
    for (size_t i = 0; i < n; i++) {
        struct report r;
        struct jerr err = {{0}};
        assert_int_equal(report_decode(AGENT, list[i].kind, list[i].payload,
                                       strlen(list[i].payload), &r, &err), RJ_NONE);
        if (r.kind == RK_HEADCOUNT && strcmp(department_names[r.department], dep) == 0) {
            (*reports)++;
            sum += strcmp(field, "consultations") == 0 ? r.consultations
                   : strcmp(field, "female") == 0 ? r.female : r.over_60;
        }
        report_free(&r);
    }
    outbox_entries_free(list, n);
    return sum;
}

static void test_fold_counts_each_tap_once(void **state)
{
    struct outbox_fixture *f = *state;
    long long ids[37];
    for (int i = 0; i < 37; i++)
        ids[i] = add(f->ob, "internal", i % 2 == 0, i % 3 == 0, "nurse-li-03");
    for (int i = 0; i < 25; i++)
        add(f->ob, "surgery", false, true, i < 20 ? "nurse-li-03" : "dr-wang-01");
    struct tap bad = {.trip_id = TRIP, .department = "内科"};
    long long id;
    assert_int_equal(taps_add(f->ob, &bad, TS, &id), OERR_REJECTED);
    int changed = -1;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(taps_undo(f->ob, ids[i], &changed), OERR_OK);
        assert_int_equal(changed, 1);
    }
    assert_int_equal(taps_undo(f->ob, ids[0], &changed), OERR_OK);
    assert_int_equal(changed, 0); /* undone once */
    assert_int_equal(taps_undo(f->ob, 99999, &changed), OERR_OK);
    assert_int_equal(changed, 0);

    cJSON *today = cJSON_CreateObject();
    assert_int_equal(taps_today(f->ob, TRIP, today), OERR_OK);
    cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(today, "departments"), "internal");
    assert_int_equal(cJSON_GetObjectItem(d, "taps")->valueint, 32);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(today, "open_taps")), 10);
    cJSON_Delete(today);

    int reports = -1;
    assert_int_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    assert_int_equal(reports, 2);
    int n;
    assert_int_equal(outbox_sum(f->ob, "internal", "consultations", &n), 32);
    assert_int_equal(n, 1);
    /* ids 6..37 left: i = 5..36, female when i is even (16), over 60 when i % 3 == 0 (11). */
    assert_int_equal(outbox_sum(f->ob, "internal", "female", &n), 16);
    assert_int_equal(outbox_sum(f->ob, "internal", "over_60", &n), 11);
    assert_int_equal(outbox_sum(f->ob, "surgery", "consultations", &n), 25);
    assert_int_equal(outbox_sum(f->ob, "surgery", "over_60", &n), 25);
    /* entered_by only when one staff id entered every tap of the report. */
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox WHERE json_extract(payload,"
                                  " '$.entered_by') = 'nurse-li-03' AND json_extract(payload,"
                                  " '$.department') = 'internal'"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox WHERE json_extract(payload,"
                                  " '$.entered_by') IS NULL"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM taps WHERE state = 'folded' AND"
                                  " folded_into IN (SELECT msg_id FROM outbox)"), 57);
    /* Folded taps cannot be undone, and a second fold makes nothing. */
    assert_int_equal(taps_undo(f->ob, ids[10], &changed), OERR_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    assert_int_equal(reports, 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox"), 2);

    today = cJSON_CreateObject();
    assert_int_equal(taps_today(f->ob, TRIP, today), OERR_OK);
    d = cJSON_GetObjectItem(cJSON_GetObjectItem(today, "departments"), "internal");
    assert_int_equal(cJSON_GetObjectItem(d, "taps")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(d, "waiting")->valueint, 32);
    assert_int_equal(cJSON_GetObjectItem(today, "waiting")->valueint, 2);
    cJSON_Delete(today);
}

static int refuse_commit(void *arg)
{
    (void)arg;
    return 1; /* the COMMIT becomes a ROLLBACK */
}

static int die_at_commit(void *arg)
{
    (void)arg;
    _exit(42); /* a crash in the middle of the fold, before anything is committed */
}

static void test_fold_crash_before_commit(void **state)
{
    struct outbox_fixture *f = *state;
    for (int i = 0; i < 30; i++)
        add(f->ob, i < 12 ? "tcm" : "dental", false, false, "nurse-1");
    /* The commit refused: nothing made, nothing marked. */
    outbox_on_commit(f->ob, refuse_commit, NULL);
    int reports = -1;
    assert_int_not_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    outbox_on_commit(f->ob, NULL, NULL);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM taps WHERE state = 'open'"), 30);
    /* A process that dies at the commit of its fold. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct outbox *ob = NULL;
        char err[256];
        if (outbox_open(f->path, AGENT, &ob, err))
            _exit(1);
        outbox_on_commit(ob, die_at_commit, NULL);
        taps_fold(ob, AGENT, TS, &reports);
        _exit(2);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 42);
    /* Reopened as after a restart: every tap still open, no report. */
    outbox_close(f->ob);
    char err[256];
    assert_int_equal(outbox_open(f->path, AGENT, &f->ob, err), OERR_OK);
    assert_int_equal(taps_init(f->ob), OERR_OK);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox"), 0);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM taps WHERE state = 'open'"), 30);
    /* Taps go on after the crash, and the next fold counts each once. */
    add(f->ob, "tcm", true, false, "nurse-1");
    assert_int_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    assert_int_equal(reports, 2);
    int n;
    assert_int_equal(outbox_sum(f->ob, "tcm", "consultations", &n), 13);
    assert_int_equal(outbox_sum(f->ob, "tcm", "female", &n), 1);
    assert_int_equal(outbox_sum(f->ob, "dental", "consultations", &n), 18);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM taps WHERE state = 'open'"), 0);
    /* seqs stay 1, 2: the crashed fold used none. */
    assert_int_equal(count(f, "SELECT MAX(seq) FROM outbox"), 2);
}

static void test_two_connections_both_count(void **state)
{
    struct outbox_fixture *f = *state;
    struct outbox *other = NULL;
    char err[256];
    assert_int_equal(outbox_open(f->path, AGENT, &other, err), OERR_OK);
    for (int i = 0; i < 40; i++) {
        add(f->ob, "pediatrics", false, false, "a1");
        add(other, "pediatrics", false, false, "b2");
        if (i == 20) {
            int reports;
            assert_int_equal(taps_fold(other, AGENT, TS, &reports), OERR_OK);
            assert_int_equal(reports, 1);
        }
    }
    int reports, n;
    assert_int_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    assert_int_equal(reports, 1);
    assert_int_equal(outbox_sum(f->ob, "pediatrics", "consultations", &n), 80);
    assert_int_equal(n, 2);
    outbox_close(other);
}

static void test_fold_splits_above_5000(void **state)
{
    struct outbox_fixture *f = *state;
    assert_int_equal(outbox_tx_begin(f->ob), OERR_OK);
    for (int i = 0; i < 5003; i++)
        add(f->ob, "general", false, false, NULL);
    assert_int_equal(outbox_tx_commit(f->ob), OERR_OK);
    int reports, n;
    assert_int_equal(taps_fold(f->ob, AGENT, TS, &reports), OERR_OK);
    assert_int_equal(reports, 2);
    assert_int_equal(outbox_sum(f->ob, "general", "consultations", &n), 5003);
}

static int refuse_payload(void *ctx, const char *payload)
{
    (void)ctx, (void)payload;
    return -1;
}

static void test_push_inside_a_transaction(void **state)
{
    struct outbox_fixture *f = *state;
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddStringToObject(fields, "department", "other");
    cJSON_AddNumberToObject(fields, "consultations", 3);
    struct outbox_entry e;
    /* Inside a transaction that is rolled back: the report goes with it. */
    assert_int_equal(outbox_tx_begin(f->ob), OERR_OK);
    assert_int_equal(outbox_push(f->ob, "headcount", TRIP, fields, TS, NULL, NULL, &e), OERR_OK);
    outbox_entry_clear(&e);
    assert_int_equal(outbox_tx_rollback(f->ob), OERR_OK);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox"), 0);
    /* A refused payload inside a transaction leaves the transaction usable. */
    assert_int_equal(outbox_tx_begin(f->ob), OERR_OK);
    add(f->ob, "other", false, false, NULL);
    assert_int_equal(outbox_push(f->ob, "headcount", TRIP, fields, TS, refuse_payload, NULL, &e),
                     OERR_REJECTED);
    assert_int_equal(outbox_push(f->ob, "headcount", TRIP, fields, TS, NULL, NULL, &e), OERR_OK);
    outbox_entry_clear(&e);
    assert_int_equal(outbox_tx_commit(f->ob), OERR_OK);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM taps"), 1);
    cJSON_Delete(fields);
}

/* Pushes an entry of kind with fields given as JSON text; returns it (clear it). */
static struct outbox_entry push(struct outbox *ob, const char *kind, const char *fields_json)
{
    cJSON *fields = cJSON_Parse(fields_json);
    assert_non_null(fields);
    struct outbox_entry e;
    assert_int_equal(outbox_push(ob, kind, TRIP, fields, TS, NULL, NULL, &e), OERR_OK);
    cJSON_Delete(fields);
    return e;
}

static long long total(const cJSON *obj, const char *group, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, group), key);
    assert_true(cJSON_IsNumber(v));
    return (long long)v->valuedouble;
}

/* Today's totals: open taps, answered and unanswered entries, voids, refused
 * ones; a refused headcount corrected once, in one transaction. */
static void test_totals_and_correction(void **state)
{
    struct outbox_fixture *f = *state;
    struct outbox_entry hc = push(f->ob, "headcount",
                                  "{\"department\":\"internal\",\"consultations\":7}");
    struct outbox_entry med = push(f->ob, "dispense", "{\"medicine\":\"x\",\"value_fen\":1250}");
    struct outbox_entry in1 = push(f->ob, "checkin", "{\"staff_id\":\"dr-1\",\"role\":\"doctor\"}");
    struct outbox_entry in2 = push(f->ob, "checkin", "{\"staff_id\":\"dr-1\",\"role\":\"doctor\"}");
    struct outbox_entry edu = push(f->ob, "education",
                                   "{\"brochures\":5,\"attendees\":9,\"talks\":1}");
    struct outbox_entry bad = push(f->ob, "headcount", "{\"department\":\"dental\","
                                                       "\"consultations\":4,\"female\":1}");
    for (int i = 0; i < 3; i++)
        add(f->ob, "surgery", false, false, "nurse-1");
    int changed = 0;
    assert_int_equal(outbox_mark_acked(f->ob, hc.msg_id, "accepted", TS, &changed), OERR_OK);
    assert_int_equal(outbox_mark_acked(f->ob, in1.msg_id, "accepted", TS, &changed), OERR_OK);
    assert_int_equal(outbox_mark_rejected(f->ob, bad.msg_id, "unknown_department", "no", TS,
                                          &changed), OERR_OK);
    cJSON *o = cJSON_CreateObject();
    assert_int_equal(site_totals(f->ob, TRIP, o), OERR_OK);
    /* 7 counted + 3 open taps; the refused headcount is not in it. */
    assert_int_equal(total(o, "totals", "consultations"), 10);
    assert_int_equal(total(o, "unsynced", "consultations"), 3);
    assert_int_equal(total(o, "totals", "medicine_fen"), 1250);
    assert_int_equal(total(o, "unsynced", "medicine_fen"), 1250);
    assert_int_equal(total(o, "totals", "staff"), 1); /* checked in twice: once */
    assert_int_equal(total(o, "totals", "attendees"), 9);
    assert_int_equal(total(o, "totals", "entries"), 5);
    assert_int_equal(total(o, "unsynced", "entries"), 3);
    cJSON_Delete(o);
    /* A void of the dispense takes it out; the void itself is no entry. */
    char voids[80];
    snprintf(voids, sizeof voids, "{\"voids\":\"%s\",\"reason\":\"twice\"}", med.msg_id);
    struct outbox_entry v = push(f->ob, "void", voids);
    o = cJSON_CreateObject();
    assert_int_equal(site_totals(f->ob, TRIP, o), OERR_OK);
    assert_int_equal(total(o, "totals", "medicine_fen"), 0);
    assert_int_equal(total(o, "totals", "entries"), 4);
    cJSON_Delete(o);
    assert_int_equal(site_totals(f->ob, "other-trip", o = cJSON_CreateObject()), OERR_OK);
    assert_int_equal(total(o, "totals", "entries"), 0);
    cJSON_Delete(o);

    /* Correct and send again: only a refused headcount, once. */
    struct site_trip t = {.source = SITE_TRIP_CONFIG};
    snprintf(t.trip_id, sizeof t.trip_id, TRIP);
    char why[300] = "";
    long long new_seq = 0;
    assert_int_equal(taps_correct(f->ob, AGENT, hc.seq, &t, "nurse-2", TS, &new_seq, why,
                                  sizeof why), OERR_REJECTED);
    assert_non_null(strstr(why, "was not refused"));
    assert_int_equal(taps_correct(f->ob, AGENT, bad.seq, &t, "nurse-2", TS, &new_seq, why,
                                  sizeof why), OERR_OK);
    assert_int_equal(new_seq, v.seq + 1);
    assert_int_equal(taps_correct(f->ob, AGENT, bad.seq, &t, "nurse-2", TS, &new_seq, why,
                                  sizeof why), OERR_REJECTED);
    assert_non_null(strstr(why, "already sent again"));
    assert_int_equal(taps_correct(f->ob, AGENT, 999, &t, "nurse-2", TS, &new_seq, why,
                                  sizeof why), OERR_NOTFOUND);
    cJSON *it = NULL;
    assert_int_equal(taps_entry(f->ob, bad.seq, &it), OERR_OK);
    assert_int_equal(cJSON_GetObjectItem(it, "corrected_by")->valueint, v.seq + 1);
    cJSON_Delete(it);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM corrections"), 1);
    assert_int_equal(count(f, "SELECT COUNT(*) FROM outbox WHERE kind = 'headcount' AND"
                              " json_extract(payload, '$.entered_by') = 'nurse-2' AND"
                              " json_extract(payload, '$.female') = 1"), 1);
    struct outbox_entry *list[] = {&hc, &med, &in1, &in2, &edu, &bad, &v};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        outbox_entry_clear(list[i]);
}

/* ---- today's trip from the trip cards ---- */

static void put_card(struct outbox *ob, const char *id, const char *date, const char *status,
                     const char *dep1, const char *dep2)
{
    struct trip_card c;
    memset(&c, 0, sizeof c);
    snprintf(c.trip_id, sizeof c.trip_id, "%s", id);
    snprintf(c.title, sizeof c.title, "义诊 %s", id);
    snprintf(c.date, sizeof c.date, "%s", date);
    snprintf(c.status, sizeof c.status, "%s", status);
    snprintf(c.site_code, sizeof c.site_code, "s-1");
    snprintf(c.site_name, sizeof c.site_name, "村卫生室");
    snprintf(c.county, sizeof c.county, "cili");
    snprintf(c.county_name, sizeof c.county_name, "慈利县");
    if (dep1)
        c.departments[0] = department_names[enum_index(department_names, dep1)];
    if (dep2)
        c.departments[1] = department_names[enum_index(department_names, dep2)];
    snprintf(c.received_at, sizeof c.received_at, TS);
    assert_int_equal(outbox_trip_put(ob, &c), OERR_OK);
}

static void test_trip_of_the_day(void **state)
{
    struct outbox_fixture *f = *state;
    struct site_trip t;
    char en[300], zh[300];
    setenv("OUTREACH_TODAY", "2026-11-22", 1);
    /* No cards at all: the config's trip, not checked; none without one. */
    assert_int_equal(site_trip_pick(f->ob, "cfg-1", &t), 0);
    assert_int_equal(t.source, SITE_TRIP_CONFIG);
    assert_string_equal(t.trip_id, "cfg-1");
    assert_int_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);
    assert_true(site_trip_offers(&t, "dental") && site_trip_offers(&t, "other"));
    assert_int_equal(site_trip_pick(f->ob, NULL, &t), 0);
    assert_int_equal(t.source, SITE_TRIP_NONE);
    assert_int_not_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);

    put_card(f->ob, "t-b", "2026-11-22", "cancelled", NULL, NULL);
    put_card(f->ob, "t-c", "2026-11-22", "planned", "internal", "dental");
    put_card(f->ob, "t-d", "2026-11-23", "planned", NULL, NULL);
    /* No config trip: the first of today's that is not cancelled. */
    assert_int_equal(site_trip_pick(f->ob, NULL, &t), 0);
    assert_int_equal(t.source, SITE_TRIP_CARD);
    assert_string_equal(t.trip_id, "t-c");
    assert_int_equal(t.today_n, 2);
    assert_int_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);
    assert_true(site_trip_offers(&t, "dental"));
    assert_false(site_trip_offers(&t, "surgery"));
    assert_false(site_trip_offers(&t, "nonsense"));
    /* The config's trip when it names one of today's, cancelled or not. */
    assert_int_equal(site_trip_pick(f->ob, "t-b", &t), 0);
    assert_string_equal(t.trip_id, "t-b");
    assert_int_not_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);
    assert_non_null(strstr(en, "trip t-b is cancelled"));
    assert_non_null(strstr(zh, "已取消"));
    assert_true(site_trip_offers(&t, "other")); /* no departments listed: all nine */
    /* The config names another day's trip: today's card wins. */
    assert_int_equal(site_trip_pick(f->ob, "t-d", &t), 0);
    assert_string_equal(t.trip_id, "t-c");
    /* No card today: the config's trip, judged by its card or refused as unknown. */
    setenv("OUTREACH_TODAY", "2026-11-23", 1);
    assert_int_equal(site_trip_pick(f->ob, NULL, &t), 0);
    assert_string_equal(t.trip_id, "t-d");
    setenv("OUTREACH_TODAY", "2026-11-30", 1);
    assert_int_equal(site_trip_pick(f->ob, "t-c", &t), 0);
    assert_int_equal(t.source, SITE_TRIP_CONFIG);
    assert_int_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);
    assert_int_equal(site_trip_pick(f->ob, "t-zz", &t), 0);
    assert_int_not_equal(site_trip_refusal(&t, en, zh, sizeof en), 0);
    assert_non_null(strstr(en, "unknown trip t-zz"));
    unsetenv("OUTREACH_TODAY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_passcode_slowed_per_client),
        cmocka_unit_test(test_wrong_passcode_slowed_globally),
        cmocka_unit_test(test_sessions_and_csrf),
        cmocka_unit_test(test_equal),
        cmocka_unit_test_setup_teardown(test_fold_counts_each_tap_once, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_fold_crash_before_commit, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_two_connections_both_count, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_fold_splits_above_5000, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_push_inside_a_transaction, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_trip_of_the_day, setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_totals_and_correction, setup, outbox_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
