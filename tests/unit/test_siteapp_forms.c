/* test_siteapp_forms.c -- the site app's four forms without HTTP: an entry
 * saved from a form's values (amounts as typed, labels for codes) with its
 * number and description, the first bad field named and nothing saved, a
 * trip the cards do not know or say is cancelled refused before saving, the
 * suggestions (this trip's medicines, a bounded formulary, people checked in
 * before) and the patient reference; on a real SQLite outbox file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "unit_outbox.h"

#include <cjson/cJSON.h>

#include "siteapp_forms.h"

#define AGENT UNIT_OUTBOX_AGENT
#define TRIP "2026-zjj-014"

/* Saves the form body (JSON text); returns the status, reply in *reply. */
static unsigned save(struct outbox_fixture *f, const char *trip, const char *body, cJSON **reply)
{
    cJSON *b = cJSON_Parse(body);
    assert_non_null(b);
    *reply = NULL;
    unsigned st = forms_save(f->ob, AGENT, trip, "nurse-li-03", b, reply);
    cJSON_Delete(b);
    assert_non_null(*reply);
    return st;
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "(none)";
}

static long long last_seq(struct outbox_fixture *f)
{
    struct outbox_counts c;
    assert_int_equal(outbox_counts(f->ob, &c), OERR_OK);
    return c.last_seq;
}

static void test_saved_with_description(void **state)
{
    struct outbox_fixture *f = *state;
    cJSON *r;
    assert_int_equal(save(f, TRIP, "{\"kind\":\"dispense\",\"medicine\":\" 阿莫西林 \","
                                   "\"quantity\":\"２０\",\"unit\":\"盒\",\"value\":"
                                   "\"¥1,250.50\"}", &r), 200);
    assert_string_equal(str(r, "description"), "dispense 阿莫西林 20 box, ¥1250.50");
    assert_string_equal(str(r, "kind"), "dispense");
    assert_int_equal(cJSON_GetObjectItem(r, "seq")->valuedouble, 1);
    cJSON_Delete(r);
    struct outbox_entry e;
    assert_int_equal(outbox_get_seq(f->ob, 1, &e), OERR_OK);
    cJSON *p = cJSON_Parse(e.payload);
    assert_string_equal(str(p, "entered_by"), "nurse-li-03");
    assert_int_equal(cJSON_GetObjectItem(p, "value_fen")->valuedouble, 125050);
    assert_string_equal(str(p, "medicine"), "阿莫西林");
    cJSON_Delete(p);
    outbox_entry_clear(&e);

    assert_int_equal(save(f, TRIP, "{\"kind\":\"referral\",\"destination\":\"县医院\","
                                   "\"condition\":\"Cataract\",\"urgency\":\"紧急\","
                                   "\"patient_ref\":\"R-20261122-7K3QX\",\"age\":80,"
                                   "\"sex\":\"女\"}", &r), 200);
    assert_string_equal(str(r, "description"), "referral cataract → 县医院 county_hospital, "
                        "紧急 emergency, patient R-20261122-7K3QX, age 80, F");
    cJSON_Delete(r);
    assert_int_equal(save(f, TRIP, "{\"kind\":\"education\",\"attendees\":\"30\"}", &r), 200);
    assert_string_equal(str(r, "description"), "education 0 brochures, 0 talks, 30 attendees");
    cJSON_Delete(r);
    assert_int_equal(save(f, TRIP, "{\"kind\":\"checkin\",\"staff_id\":\"dr-wang-01\","
                                   "\"role\":\"药师\",\"organization\":\"\"}", &r), 200);
    assert_string_equal(str(r, "description"), "checkin dr-wang-01 药师 pharmacist");
    cJSON_Delete(r);
    assert_int_equal(last_seq(f), 4);
}

static void test_bad_field_named(void **state)
{
    struct outbox_fixture *f = *state;
    static const struct {
        const char *body, *field;
    } cases[] = {
        {"{\"kind\":\"dispense\",\"medicine\":\"x\",\"quantity\":1,\"unit\":\"box\","
         "\"value\":\"125,5\"}", "value_fen"},
        {"{\"kind\":\"dispense\",\"medicine\":\"x\",\"quantity\":1,\"unit\":\"box\","
         "\"value\":\"2000000\"}", "value_fen"},
        {"{\"kind\":\"dispense\",\"medicine\":\"x\",\"quantity\":true,\"unit\":\"box\","
         "\"value\":\"1\"}", "quantity"},
        {"{\"kind\":\"dispense\",\"quantity\":1,\"unit\":\"box\",\"value\":\"1\"}", "medicine"},
        {"{\"kind\":\"dispense\",\"medicine\":\"x\",\"quantity\":1,\"unit\":\"盆\","
         "\"value\":\"1\"}", "unit"},
        {"{\"kind\":\"referral\",\"destination\":\"county_hospital\",\"condition\":\"x\","
         "\"urgency\":\"routine\",\"patient_ref\":\"李 四\"}", "patient_ref"},
        {"{\"kind\":\"referral\",\"destination\":\"county_hospital\",\"condition\":\"x\","
         "\"urgency\":\"routine\",\"patient_ref\":\"R-1\",\"sex\":\"X\"}", "sex"},
        {"{\"kind\":\"education\",\"brochures\":0}", "brochures"},
        {"{\"kind\":\"education\",\"talks\":\"1\",\"topic\":[\"x\"]}", "topic"},
        {"{\"kind\":\"checkin\",\"role\":\"doctor\"}", "staff_id"},
        {"{\"kind\":\"checkin\",\"staff_id\":\"a\",\"role\":\"doctor\",\"organization\":\"" 
         "ooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo"
         "ooooooooooooooooooooooooooooooooooooooooooooooooo\"}", "organization"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cJSON *r;
        unsigned st = save(f, TRIP, cases[i].body, &r);
        if (st != 400 || strcmp(str(r, "error"), "field") != 0 ||
            strcmp(str(r, "field"), cases[i].field) != 0)
            fail_msg("case %zu: %u %s %s (%s), want field %s", i, st, str(r, "error"),
                     str(r, "field"), str(r, "message"), cases[i].field);
        cJSON_Delete(r);
    }
    cJSON *r;
    assert_int_equal(save(f, TRIP, "{\"kind\":\"void\"}", &r), 400);
    assert_string_equal(str(r, "error"), "kind");
    cJSON_Delete(r);
    assert_int_equal(save(f, NULL, "{\"kind\":\"education\",\"talks\":1}", &r), 409);
    assert_string_equal(str(r, "error"), "no_trip");
    cJSON_Delete(r);
    assert_int_equal(last_seq(f), 0);
}

static void test_trip_refused_before_saving(void **state)
{
    struct outbox_fixture *f = *state;
    struct trip_card c = {0};
    snprintf(c.trip_id, sizeof c.trip_id, "%s", TRIP);
    snprintf(c.title, sizeof c.title, "t");
    snprintf(c.date, sizeof c.date, "2026-11-22");
    snprintf(c.status, sizeof c.status, "cancelled");
    snprintf(c.site_code, sizeof c.site_code, "s");
    snprintf(c.site_name, sizeof c.site_name, "s");
    snprintf(c.county, sizeof c.county, "yongding");
    snprintf(c.county_name, sizeof c.county_name, "永定区");
    snprintf(c.received_at, sizeof c.received_at, "2026-11-22T08:00:00+08:00");
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    cJSON *r;
    assert_int_equal(save(f, TRIP, "{\"kind\":\"education\",\"talks\":1}", &r), 409);
    assert_string_equal(str(r, "error"), "trip");
    assert_non_null(strstr(str(r, "message"), "cancelled"));
    cJSON_Delete(r);
    assert_int_equal(save(f, "2026-zjj-099", "{\"kind\":\"education\",\"talks\":1}", &r), 409);
    assert_string_equal(str(r, "error"), "trip");
    cJSON_Delete(r);
    assert_int_equal(last_seq(f), 0);
    snprintf(c.status, sizeof c.status, "planned");
    assert_int_equal(outbox_trip_put(f->ob, &c), OERR_OK);
    assert_int_equal(save(f, TRIP, "{\"kind\":\"education\",\"talks\":1}", &r), 200);
    cJSON_Delete(r);
    assert_int_equal(last_seq(f), 1);
}

static void test_offer(void **state)
{
    struct outbox_fixture *f = *state;
    cJSON *r;
    assert_int_equal(save(f, TRIP, "{\"kind\":\"dispense\",\"medicine\":\"布洛芬\","
                                   "\"quantity\":1,\"unit\":\"tablet\",\"value\":\"1\"}", &r), 200);
    cJSON_Delete(r);
    assert_int_equal(save(f, "2026-zjj-015", "{\"kind\":\"dispense\",\"medicine\":\"别的行程\","
                                   "\"quantity\":1,\"unit\":\"tablet\",\"value\":\"1\"}", &r), 200);
    cJSON_Delete(r);
    assert_int_equal(save(f, TRIP, "{\"kind\":\"checkin\",\"staff_id\":\"a-1\",\"role\":"
                                   "\"nurse\"}", &r), 200);
    cJSON_Delete(r);
    assert_int_equal(save(f, TRIP, "{\"kind\":\"checkin\",\"staff_id\":\"a-1\",\"role\":"
                                   "\"doctor\",\"organization\":\"县医院\"}", &r), 200);
    cJSON_Delete(r);
    /* A formulary of 700 names: 500 are read; a repeat of 布洛芬 is not added. */
    char path[128];
    snprintf(path, sizeof path, "%s/formulary.txt", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "# comment\n布洛芬\n\n");
    for (int i = 1; i < 700; i++)
        fprintf(fp, "med-%03d\n", i);
    fclose(fp);
    assert_int_equal(forms_offer(f->ob, TRIP, path, &r), 200);
    cJSON *meds = cJSON_GetObjectItem(r, "medicines");
    assert_int_equal(cJSON_GetArraySize(meds), 1 + 499);
    assert_string_equal(cJSON_GetArrayItem(meds, 0)->valuestring, "布洛芬");
    assert_string_equal(cJSON_GetArrayItem(meds, 1)->valuestring, "med-001");
    cJSON *people = cJSON_GetObjectItem(r, "people");
    assert_int_equal(cJSON_GetArraySize(people), 1);
    cJSON *p = cJSON_GetArrayItem(people, 0);
    assert_string_equal(str(p, "role"), "doctor"); /* the newest check-in of a-1 */
    assert_string_equal(str(p, "organization"), "县医院");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "units")), 9);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "destinations")), 3);
    cJSON_Delete(r);
    /* No formulary file: only this trip's names. */
    assert_int_equal(forms_offer(f->ob, TRIP, "/nonexistent/formulary", &r), 200);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(r, "medicines")), 1);
    cJSON_Delete(r);
}

static void test_patient_ref(void **state)
{
    (void)state;
    char a[32], b[32];
    assert_int_equal(forms_patient_ref(a, sizeof a), 0);
    assert_int_equal(forms_patient_ref(b, sizeof b), 0);
    assert_int_equal(strlen(a), 16);
    assert_memory_equal(a, "R-", 2);
    assert_int_equal(a[10], '-');
    for (int i = 11; i < 16; i++)
        assert_non_null(strchr("23456789ABCDEFGHJKLMNPQRSTUVWXYZ", a[i]));
    assert_string_not_equal(a, b);
    assert_int_equal(forms_patient_ref(a, 10), -1);
    assert_string_equal(forms_unit_code("Box"), "box");
    assert_string_equal(forms_unit_code("片"), "tablet");
    assert_null(forms_unit_code("盆"));
    assert_string_equal(forms_condition_code("白内障"), "cataract");
    assert_null(forms_condition_code("腰痛"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_saved_with_description, outbox_setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_bad_field_named, outbox_setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_trip_refused_before_saving, outbox_setup, outbox_teardown),
        cmocka_unit_test_setup_teardown(test_offer, outbox_setup, outbox_teardown),
        cmocka_unit_test(test_patient_ref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
