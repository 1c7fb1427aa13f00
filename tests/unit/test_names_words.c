/* test_names_words.c -- one table of words: the site app's department names
 * (field-agent/site/describe.js, the buttons a site's staff tap) are exactly
 * those of common/names.c (the agent's command line, its /api/forms lists and
 * the coordinator's report), and the report's column labels are names.c's
 * "zh-CN English" of each department, destination and urgency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"
#include "report.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot read %s", path);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* describe.js holds DEPTS = { code: ['zh', 'en'], ... }: each of names.c's
 * departments appears there with its two words, and no other code does. */
static void site_departments_are_names_c(void **state)
{
    (void)state;
    char *js = slurp(SOURCE_DIR "/field-agent/site/describe.js");
    const char *start = strstr(js, "const DEPTS = {");
    assert_non_null(start);
    const char *end = strstr(start, "};");
    assert_non_null(end);
    size_t len = (size_t)(end - start);
    int entries = 0;
    for (const char *p = start; (p = strstr(p, "['")) && p < end; p++)
        entries++;
    int n = 0;
    for (const struct name_entry *e = names_department.entries; e->code; e++, n++) {
        char want[256];
        snprintf(want, sizeof want, "%s: ['%s', '%s']", e->code, e->zh, e->en);
        const char *at = strstr(start, want);
        if (!at || (size_t)(at - start) > len)
            fail_msg("describe.js: no \"%s\" in DEPTS (common/names.c's words)", want);
    }
    int codes = 0;
    while (department_names[codes])
        codes++;
    assert_int_equal(entries, n);
    assert_int_equal(n, codes);
    free(js);
}

/* The report's labels (report_book.c) are built from the same rows: check
 * the words it relies on exist for every code of the contract, in order. */
static void every_code_has_words(void **state)
{
    (void)state;
    const struct names_table *t[] = {&names_department, &names_destination, &names_urgency};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int k = 0; t[i]->codes[k]; k++) {
            const struct name_entry *e = names_entry(t[i], t[i]->codes[k]);
            assert_non_null(e);
            assert_string_equal(e->code, t[i]->codes[k]);
            assert_true(e->zh[0] && e->en[0]);
        }
    /* the words an official and a site read the same: 加急 is urgent, 紧急 emergency */
    assert_string_equal(names_zh(&names_urgency, "urgent"), "加急");
    assert_string_equal(names_zh(&names_urgency, "emergency"), "紧急");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(site_departments_are_names_c),
        cmocka_unit_test(every_code_has_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
