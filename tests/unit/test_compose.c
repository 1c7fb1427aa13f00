/* test_compose.c -- the field agent's report flags: amounts, enums, required fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cjson/cJSON.h>

#include "compose.h"
#include "names.h"
#include "report.h"

static void test_parse_cny(void **state)
{
    static const struct {
        const char *s;
        long long fen;
    } good[] = {
        {"12.5", 1250}, {"12.50", 1250}, {"0.05", 5}, {"12", 1200}, {"0", 0},
        {"0.5", 50},    {"125.50", 12550}, {"1000000", 100000000}, {"007", 700},
        /* As a phone gives them: a currency sign, thousands commas, full-width
         * digits and stops, a full-width comma before two decimals. */
        {"\xc2\xa5" "1,250.50", 125050},           /* ¥1,250.50 */
        {"1250.5", 125050},
        {"\xef\xbf\xa5" "12", 1200},               /* ￥12 */
        {"\xef\xbc\x91\xef\xbc\x92\xef\xbc\x95\xef\xbc\x90\xef\xbc\x8e\xef\xbc\x95"
         "\xef\xbc\x90", 125050},                  /* １２５０．５０ */
        {"125\xef\xbc\x8c" "50", 12550},          /* 125，50 */
        {"125,50", 12550}, {"1,25", 125},
        {"1\xef\xbc\x8c" "250", 125000},          /* 1，250: thousands */
        {"1,250", 125000}, {"1,000,000", 100000000}, {"12,345.6", 1234560},
        {" 12.50 ", 1250}, {"\xef\xbc\x91", 100}, /* １ */
        {"12\xe5\x85\x83", 1200},                 /* 12元 */
        {"\xc2\xa5 8", 800},                       /* ¥ 8 */
        {"\xe3\x80\x80" "5\xe3\x80\x80", 500},   /* ideographic spaces around */
    };
    static const char *const bad[] = {"1.234", "-1", "abc", "", "12.", ".5", "1,5", "+1",
                                      "1e3", "12.5a", "1.2.3", "99999999999999999999",
                                      "1 250", "12,50.5", "12,5000", "1,2345",
                                      ",250", "1,,250", "1,250,", "12,345,67.5", "\xc2\xa5",
                                      "\xc2\xa5\xc2\xa5" "1", "1\xc2\xa5", "\xe5\x85\x83",
                                      "12\xe5\x85\x83" "3", "1\xef\xbc\x8e", "\xef\xbc\x8c" "50",
                                      "\xe4\xb8\x80", "12.5.", "1.5,00"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        long long fen = -7;
        if (compose_parse_cny(good[i].s, &fen) != 0)
            fail_msg("'%s' refused", good[i].s);
        if (fen != good[i].fen)
            fail_msg("'%s' -> %lld, want %lld", good[i].s, fen, good[i].fen);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long fen = -7;
        if (compose_parse_cny(bad[i], &fen) == 0)
            fail_msg("'%s' accepted as %lld fen", bad[i], fen);
        assert_true(fen == -7);
    }
}

static void test_kinds(void **state)
{
    static const char *const kinds[] = {"headcount", "dispense", "referral",
                                        "education", "checkin", "void"};
    for (size_t i = 0; i < 6; i++) {
        const struct kind_spec *k = compose_kind(kinds[i]);
        assert_non_null(k);
        assert_string_equal(k->kind, kinds[i]);
    }
    assert_null(compose_kind("vaccination"));
    assert_null(compose_kind("Headcount"));
    size_t n = 0;
    for (const struct kind_spec *k = compose_kinds; k->kind; k++)
        n++;
    assert_int_equal(n, 6);
}

static void test_set_values(void **state)
{
    char err[COMPOSE_ERR_MAX] = "";
    const struct kind_spec *k = compose_kind("headcount");
    cJSON *f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "department", "ophthalmology", err), 0);
    assert_int_equal(compose_set(k, f, "consultations", "12", err), 0);
    assert_int_equal(compose_set(k, f, "over-60", "3", err), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "department")->valuestring,
                        "ophthalmology");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "consultations")->valueint, 12);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "over_60")->valueint, 3);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "consultations")));
    /* given twice */
    assert_int_equal(compose_set(k, f, "consultations", "13", err), -1);
    assert_non_null(strstr(err, "consultations"));
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "consultations")->valueint, 12);
    assert_int_equal(compose_check_required(k, f, err), 0);
    cJSON_Delete(f);

    k = compose_kind("dispense");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "value", "125.50", err), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "value_fen")->valueint, 12550);
    /* --value-fen writes the same field: refused */
    assert_int_equal(compose_set(k, f, "value-fen", "100", err), -1);
    assert_non_null(strstr(err, "value_fen"));
    assert_int_equal(compose_set(k, f, "medicine", "\xe9\x98\xbf\xe8\x8e\xab\xe8\xa5\xbf\xe6\x9e\x97", err), 0);
    cJSON_Delete(f);
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "value", "1.234", err), -1);
    assert_non_null(strstr(err, "value"));
    assert_null(cJSON_GetObjectItemCaseSensitive(f, "value_fen"));
    assert_int_equal(compose_set(k, f, "value-fen", "99", err), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "value_fen")->valueint, 99);
    cJSON_Delete(f);
}

static void test_set_errors(void **state)
{
    char err[COMPOSE_ERR_MAX] = "";
    const struct kind_spec *k = compose_kind("headcount");
    cJSON *f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "department", "cardiology", err), -1);
    assert_non_null(strstr(err, "department"));
    assert_non_null(strstr(err, "internal"));
    assert_non_null(strstr(err, "other"));
    assert_int_equal(compose_set(k, f, "department", "Internal medicine x", err), -1);
    assert_non_null(strstr(err, "内科")); /* the list names both languages */
    assert_non_null(strstr(err, "Internal medicine"));
    assert_non_null(strstr(err, "'Internal medicine x'"));
    assert_int_equal(compose_set(k, f, "department", "", err), -1);
    assert_int_equal(compose_set(k, f, "department", "内科科", err), -1);
    assert_int_equal(compose_set(k, f, "consultations", "abc", err), -1);
    assert_non_null(strstr(err, "consultations"));
    assert_int_equal(compose_set(k, f, "consultations", "12x", err), -1);
    assert_int_equal(compose_set(k, f, "consultations", "", err), -1);
    assert_int_equal(compose_set(k, f, "consultations", "1.5", err), -1);
    assert_int_equal(compose_set(k, f, "consultations", "99999999999999999999999", err), -1);
    assert_int_equal(compose_set(k, f, "medicine", "x", err), -1);
    assert_non_null(strstr(err, "medicine"));
    assert_non_null(strstr(err, "headcount"));
    assert_int_equal(compose_set(k, f, "over_60", "1", err), -1); /* the flag is over-60 */
    assert_int_equal(cJSON_GetArraySize(f), 0);
    cJSON_Delete(f);

    k = compose_kind("referral");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "sex", "x", err), -1);
    assert_non_null(strstr(err, "sex"));
    assert_non_null(strstr(err, "女"));
    assert_int_equal(compose_set(k, f, "sex", "f", err), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "sex")->valuestring, "F");
    assert_int_equal(compose_set(k, f, "urgency", "asap", err), -1);
    assert_non_null(strstr(err, "emergency"));
    assert_int_equal(compose_set(k, f, "destination", "hospital", err), -1);
    assert_non_null(strstr(err, "county_hospital"));
    cJSON_Delete(f);

    k = compose_kind("checkin");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "role", "surgeon", err), -1);
    assert_non_null(strstr(err, "--role"));
    assert_non_null(strstr(err, "health_promoter 健康宣传员 Health promoter"));
    cJSON_Delete(f);
}

static void test_required(void **state)
{
    char err[COMPOSE_ERR_MAX] = "";
    const struct kind_spec *k = compose_kind("headcount");
    cJSON *f = cJSON_CreateObject();
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--department"));
    assert_int_equal(compose_set(k, f, "department", "tcm", err), 0);
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--consultations"));
    assert_int_equal(compose_set(k, f, "consultations", "4", err), 0);
    assert_int_equal(compose_check_required(k, f, err), 0);
    cJSON_Delete(f);

    /* dispense needs a value in CNY or in fen */
    k = compose_kind("dispense");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "medicine", "amoxicillin", err), 0);
    assert_int_equal(compose_set(k, f, "quantity", "2", err), 0);
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--unit"));
    assert_int_equal(compose_set(k, f, "unit", "box", err), 0);
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--value"));
    assert_int_equal(compose_set(k, f, "value", "12", err), 0);
    assert_int_equal(compose_check_required(k, f, err), 0);
    cJSON_Delete(f);

    /* education: the counts default to 0 */
    k = compose_kind("education");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "talks", "1", err), 0);
    assert_int_equal(compose_check_required(k, f, err), 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "brochures")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "attendees")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(f, "talks")->valueint, 1);
    cJSON_Delete(f);

    /* void: --msg-id writes "voids" */
    k = compose_kind("void");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "reason", "entered twice", err), 0);
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--msg-id"));
    assert_int_equal(compose_set(k, f, "msg-id", "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b", err), 0);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(f, "voids")->valuestring,
                        "1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b");
    assert_int_equal(compose_check_required(k, f, err), 0);
    cJSON_Delete(f);

    k = compose_kind("referral");
    f = cJSON_CreateObject();
    assert_int_equal(compose_set(k, f, "destination", "county_hospital", err), 0);
    assert_int_equal(compose_set(k, f, "condition", "cataract", err), 0);
    assert_int_equal(compose_set(k, f, "urgency", "routine", err), 0);
    assert_int_equal(compose_check_required(k, f, err), -1);
    assert_non_null(strstr(err, "--patient-ref"));
    cJSON_Delete(f);
}

static void test_help(void **state)
{
    FILE *fp = tmpfile();
    assert_non_null(fp);
    compose_help(compose_kind("referral"), fp);
    long n = ftell(fp);
    rewind(fp);
    char *text = calloc(1, (size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    assert_non_null(strstr(text, "--patient-ref"));
    assert_non_null(strstr(text, "(required)"));
    assert_non_null(strstr(text, "township_health_center"));
    free(text);
}

/* Every word a team member might type, and the code it means. */
static void test_names_resolve(void **state)
{
    static const struct {
        const char *field, *word, *code;
    } good[] = {
        {"department", "内科", "internal"},       {"department", "Internal", "internal"},
        {"department", "internal", "internal"},   {"department", "INTERNAL MEDICINE", "internal"},
        {"department", " 内科 ", "internal"},     {"department", "外科", "surgery"},
        {"department", "妇产科", "obgyn"},        {"department", "OB/GYN", "obgyn"},
        {"department", "儿科", "pediatrics"},     {"department", "Paediatrics", "pediatrics"},
        {"department", "眼科", "ophthalmology"},  {"department", "中医", "tcm"},
        {"department", "口腔", "dental"},         {"department", "全科", "general"},
        {"department", "其他", "other"},          {"department", "其它", "other"},
        {"destination", "乡镇卫生院", "township_health_center"},
        {"destination", "Township health centre", "township_health_center"},
        {"destination", "township-health-center", "township_health_center"},
        {"destination", "县医院", "county_hospital"},
        {"destination", "County Hospital", "county_hospital"},
        {"destination", "市医院", "city_hospital"},
        {"urgency", "常规", "routine"},           {"urgency", "急", "urgent"},
        {"urgency", "加急", "urgent"},            {"urgency", "紧急", "emergency"},
        {"urgency", "Emergency", "emergency"},    {"role", "医生", "doctor"},
        {"role", "Doctor", "doctor"},             {"role", "护士", "nurse"},
        {"role", "药师", "pharmacist"},           {"role", "技师", "technician"},
        {"role", "健康宣教员", "health_promoter"}, {"role", "健康宣传员", "health_promoter"},
        {"role", "health promoter", "health_promoter"}, {"role", "后勤", "support"},
        {"sex", "女", "F"},                       {"sex", "male", "M"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *code = names_resolve(names_table(good[i].field), good[i].word);
        if (!code || strcmp(code, good[i].code) != 0)
            fail_msg("%s '%s' -> %s, want %s", good[i].field, good[i].word,
                     code ? code : "(none)", good[i].code);
    }
    static const char *const bad[] = {"", " ", "internal medicine x", "心内科", "intern",
                                      "internalx", "内科\n", "内 科", NULL};
    for (int i = 0; bad[i]; i++)
        if (names_resolve(&names_department, bad[i]))
            fail_msg("'%s' taken as a department", bad[i]);
    assert_null(names_resolve(&names_department, NULL));
    assert_null(names_resolve(NULL, "内科"));
    assert_null(names_table("county"));
}

/* The table holds exactly the contract's codes, in its order, each with both
 * labels, and no word stands for two codes of one field. */
static void test_names_table(void **state)
{
    assert_ptr_equal(names_for_codes(department_names), &names_department);
    assert_ptr_equal(names_for_codes(role_names), &names_role);
    assert_ptr_equal(names_for_codes(destination_names), &names_destination);
    assert_ptr_equal(names_for_codes(urgency_names), &names_urgency);
    for (int t = 0; names_tables[t]; t++) {
        const struct names_table *tb = names_tables[t];
        int i = 0;
        for (; tb->entries[i].code; i++) {
            const struct name_entry *e = &tb->entries[i];
            assert_non_null(tb->codes[i]);
            assert_string_equal(e->code, tb->codes[i]);
            assert_true(e->zh && e->zh[0] && e->en && e->en[0]);
            assert_string_equal(names_resolve(tb, e->zh), e->code);
            assert_string_equal(names_resolve(tb, e->en), e->code);
            assert_string_equal(names_resolve(tb, e->code), e->code);
            for (int a = 0; e->aliases && e->aliases[a]; a++)
                if (strcmp(names_resolve(tb, e->aliases[a]), e->code) != 0)
                    fail_msg("%s alias '%s' of %s resolves to %s", tb->field, e->aliases[a],
                             e->code, names_resolve(tb, e->aliases[a]));
        }
        assert_null(tb->codes[i]); /* as many rows as codes */
        assert_ptr_equal(names_table(tb->field), tb);
    }
    assert_string_equal(names_zh(&names_role, "health_promoter"), "健康宣传员");
    assert_string_equal(names_en(&names_destination, "county_hospital"), "County hospital");
    assert_string_equal(names_zh(&names_role, "astronaut"), "astronaut");
    char buf[40];
    names_list(&names_department, buf, sizeof buf); /* whole rows only */
    assert_string_equal(buf, "internal 内科 Internal medicine");
}

static void test_describe(void **state)
{
    char buf[COMPOSE_DESCRIBE_MAX];
    assert_string_equal(compose_describe("headcount", "{\"department\":\"internal\","
                                         "\"consultations\":12,\"female\":5}", 0, buf,
                                         sizeof buf),
                        "headcount 内科 internal 12 consultations (female 5)");
    assert_string_equal(compose_describe("dispense", "{\"medicine\":\"amoxicillin\","
                                         "\"quantity\":20,\"unit\":\"box\","
                                         "\"value_fen\":125050}", 0, buf, sizeof buf),
                        "dispense amoxicillin 20 box, ¥1250.50");
    assert_string_equal(compose_describe("referral", "{\"destination\":\"county_hospital\","
                                         "\"condition\":\"cataract\",\"urgency\":"
                                         "\"routine\",\"patient_ref\":\"P-1\",\"age\":70}",
                                         0, buf, sizeof buf),
                        "referral cataract → 县医院 county_hospital, 常规 routine, patient P-1, "
                        "age 70");
    assert_string_equal(compose_describe("education", "{\"brochures\":100,\"talks\":1,"
                                         "\"attendees\":60}", 0, buf, sizeof buf),
                        "education 100 brochures, 1 talk, 60 attendees");
    assert_string_equal(compose_describe("education", "{\"brochures\":1,\"talks\":0,"
                                         "\"attendees\":1}", 0, buf, sizeof buf),
                        "education 1 brochure, 0 talks, 1 attendee");
    assert_string_equal(compose_describe("headcount", "{\"department\":\"internal\","
                                         "\"consultations\":1}", 0, buf, sizeof buf),
                        "headcount 内科 internal 1 consultation");
    assert_string_equal(compose_describe("checkin", "{\"staff_id\":\"dr-1\",\"role\":"
                                         "\"doctor\"}", 0, buf, sizeof buf),
                        "checkin dr-1 医生 doctor");
    assert_string_equal(compose_describe("void", "{\"voids\":\"x\",\"reason\":\"twice\"}",
                                         12, buf, sizeof buf),
                        "void of #12: twice");
    assert_string_equal(compose_describe("headcount", "not json", 0, buf, sizeof buf),
                        "headcount (contents unreadable)");
    assert_string_equal(compose_describe("headcount", "{\"department\":7,\"consultations\":"
                                         "1e300}", 0, buf, sizeof buf),
                        "headcount 0 consultations");
    char small[32];
    compose_describe("headcount", "{\"department\":\"internal\",\"consultations\":12}", 0,
                     small, sizeof small); /* cut between pieces, never inside one */
    assert_string_equal(small, "headcount 内科 internal");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_resolve),
        cmocka_unit_test(test_names_table),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_parse_cny),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_set_values),
        cmocka_unit_test(test_set_errors),
        cmocka_unit_test(test_required),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
