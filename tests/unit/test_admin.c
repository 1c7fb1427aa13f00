/* test_admin.c -- admin_handle: one answer per request_id, and error replies. */
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
#include "olog.h"
#include "store.h"
#include "tripcard.h"

#define NOW "2026-11-22T10:00:00+08:00"

/* Runs one request in a transaction; returns the reply (caller frees). */
static char *handle(struct store *s, const char *payload, struct changes *ch)
{
    int db_failed = -1;
    assert_int_equal(store_begin(s), OERR_OK);
    char *reply = admin_handle(s, payload, strlen(payload), NOW, ch, &db_failed);
    assert_int_equal(db_failed, 0);
    assert_int_equal(store_commit(s), OERR_OK);
    assert_non_null(reply);
    return reply;
}

static char *upsert_json(const char *request_id, const char *trip_id, const char *title)
{
    char *buf = malloc(1024);
    snprintf(buf, 1024,
             "{\"request_id\":\"%s\",\"op\":\"trip.upsert\",\"trip_id\":\"%s\",\"title\":\"%s\","
             "\"date\":\"2026-11-22\",\"site\":{\"code\":\"s-1\",\"name\":\"Site\","
             "\"county\":\"cili\",\"county_name\":\"Cili\"},\"mode\":\"upper_help\","
             "\"activities\":[\"clinic\"],\"departments\":[],\"capacity\":{\"doctor\":3}}",
             request_id, trip_id, title);
    return buf;
}

static char *op_json(const char *request_id, const char *op, const char *trip_id)
{
    char *buf = malloc(256);
    snprintf(buf, 256, "{\"request_id\":\"%s\",\"op\":\"%s\",\"trip_id\":\"%s\"}", request_id,
             op, trip_id);
    return buf;
}

static const char *jstr(const cJSON *o, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static char *card_title(struct store *s, const char *trip_id)
{
    char *card = tripcard_json(s, trip_id);
    assert_non_null(card);
    cJSON *o = cJSON_Parse(card);
    free(card);
    char *t = strdup(jstr(o, "title"));
    cJSON_Delete(o);
    return t;
}

static void test_upsert_reply(void **state)
{
    struct store *s = *state;
    struct changes ch;
    char *req = upsert_json("u1", "2026-zjj-014", "First");
    char *reply = handle(s, req, &ch);
    cJSON *o = cJSON_Parse(reply);
    assert_non_null(o);
    assert_string_equal(jstr(o, "request_id"), "u1");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_string_equal(jstr(o, "trip_id"), "2026-zjj-014");
    assert_string_equal(jstr(o, "status"), "planned");
    cJSON_Delete(o);
    assert_string_equal(ch.trip_id, "2026-zjj-014");
    assert_int_equal(ch.year, 2026);
    free(reply);
    free(req);
}

static void test_same_request_id_same_reply(void **state)
{
    struct store *s = *state;
    struct changes ch;
    char *u1 = upsert_json("u1", "t1", "First");
    char *u2 = upsert_json("u2", "t1", "Second");
    char *r1 = handle(s, u1, &ch);
    char *r2 = handle(s, u2, &ch);
    char *title = card_title(s, "t1");
    assert_string_equal(title, "Second");
    free(title);
    /* u1 again: byte-identical reply, and the title is not set back */
    char *r1b = handle(s, u1, &ch);
    assert_string_equal(r1b, r1);
    title = card_title(s, "t1");
    assert_string_equal(title, "Second");
    free(title);
    assert_string_equal(ch.trip_id, ""); /* nothing changed */
    free(r1);
    free(r2);
    free(r1b);
    free(u1);
    free(u2);

    /* a cancel of an unknown trip, the trip created, the same cancel again:
     * the stored refusal comes back and the new trip stays planned */
    char *c1 = op_json("c1", "trip.cancel", "t9");
    char *rc1 = handle(s, c1, &ch);
    cJSON *o = cJSON_Parse(rc1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_string_equal(jstr(o, "code"), "unknown_trip");
    assert_non_null(strstr(jstr(o, "reason"), "t9"));
    cJSON_Delete(o);
    char *u9 = upsert_json("u9", "t9", "Nine");
    free(handle(s, u9, &ch));
    char *rc1b = handle(s, c1, &ch);
    assert_string_equal(rc1b, rc1);
    struct trip_row row;
    assert_int_equal(store_trip_get(s, "t9", &row), OERR_OK);
    assert_string_equal(row.status, "planned");
    free(rc1);
    free(rc1b);
    free(c1);
    free(u9);

    /* a cancel, repeated: same bytes */
    char *c2 = op_json("c2", "trip.cancel", "t9");
    char *rc2 = handle(s, c2, &ch);
    assert_string_equal(ch.trip_id, "t9");
    char *rc2b = handle(s, c2, &ch);
    assert_string_equal(rc2b, rc2);
    assert_string_equal(ch.trip_id, "");
    o = cJSON_Parse(rc2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_string_equal(jstr(o, "status"), "cancelled");
    cJSON_Delete(o);
    free(rc2);
    free(rc2b);
    free(c2);
}

static void test_conflict(void **state)
{
    struct store *s = *state;
    struct changes ch;
    char *u = upsert_json("u1", "t1", "T");
    free(handle(s, u, &ch));
    free(u);
    char *c = op_json("c1", "trip.cancel", "t1");
    free(handle(s, c, &ch));
    free(c);
    char *m = op_json("m1", "trip.complete", "t1");
    char *r = handle(s, m, &ch);
    cJSON *o = cJSON_Parse(r);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_string_equal(jstr(o, "code"), "conflict");
    assert_string_equal(jstr(o, "request_id"), "m1");
    assert_non_null(strstr(jstr(o, "reason"), "t1"));
    cJSON_Delete(o);
    free(r);
    free(m);
    /* upsert of a cancelled trip: conflict too */
    u = upsert_json("u2", "t1", "Again");
    r = handle(s, u, &ch);
    o = cJSON_Parse(r);
    assert_string_equal(jstr(o, "code"), "conflict");
    cJSON_Delete(o);
    free(r);
    free(u);
}

static void test_bad_requests(void **state)
{
    struct store *s = *state;
    struct changes ch;
    char *r = handle(s, "this is not JSON", &ch);
    cJSON *o = cJSON_Parse(r);
    assert_non_null(o);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "ok")));
    assert_string_equal(jstr(o, "code"), "malformed");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "request_id")));
    assert_non_null(jstr(o, "reason"));
    cJSON_Delete(o);
    free(r);

    r = handle(s, "{\"request_id\":\"x1\",\"op\":\"trip.cancel\"}", &ch);
    o = cJSON_Parse(r);
    assert_string_equal(jstr(o, "code"), "schema");
    assert_string_equal(jstr(o, "request_id"), "x1");
    assert_non_null(strstr(jstr(o, "reason"), "trip_id"));
    cJSON_Delete(o);
    free(r);

    r = handle(s, "{\"request_id\":\"x2\",\"op\":\"trip.explode\",\"trip_id\":\"t1\"}", &ch);
    o = cJSON_Parse(r);
    assert_string_equal(jstr(o, "code"), "schema");
    assert_non_null(strstr(jstr(o, "reason"), "op"));
    cJSON_Delete(o);
    free(r);

    char *rr = reply_error(NULL, "malformed", "bad");
    assert_string_equal(rr, "{\"request_id\":null,\"ok\":false,\"code\":\"malformed\",\"reason\":\"bad\"}");
    free(rr);
}

int main(void)
{
    olog_set_level(OLOG_ERROR);
#define T(fn) cmocka_unit_test_setup_teardown(fn, memstore_setup, memstore_teardown)
    const struct CMUnitTest tests[] = {
        T(test_upsert_reply),
        T(test_same_request_id_same_reply),
        T(test_conflict),
        T(test_bad_requests),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
