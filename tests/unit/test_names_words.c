/* test_names_words.c -- the report words codes as the site app does: its
 * department words (book_department_words, report_book.c) are exactly the
 * site app's buttons (field-agent/site/describe.js, DEPTS), in Chinese also
 * those of common/names.c; destinations and urgencies come from names.c, the
 * site app's /api/forms lists, for both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"
#include "report.h"
#include "report_book.h"

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

/* describe.js holds DEPTS = { code: ['zh', 'en'], ... }: each of the
 * report's departments appears there with its two words, and no other entry;
 * the Chinese is names.c's too. */
static void site_departments_are_the_reports(void **state)
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
    int codes = 0;
    while (department_names[codes])
        codes++;
    assert_int_equal(codes, STORE_DEPARTMENTS);
    for (int i = 0; i < STORE_DEPARTMENTS; i++) {
        const char *const *w = book_department_words[i];
        assert_string_equal(w[0], department_names[i]);
        assert_string_equal(w[1], names_zh(&names_department, w[0]));
        char want[256];
        snprintf(want, sizeof want, "%s: ['%s', '%s']", w[0], w[1], w[2]);
        const char *at = strstr(start, want);
        if (!at || (size_t)(at - start) > len)
            fail_msg("describe.js: no \"%s\" in DEPTS (the report's words)", want);
    }
    assert_int_equal(entries, STORE_DEPARTMENTS);
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
        cmocka_unit_test(site_departments_are_the_reports),
        cmocka_unit_test(every_code_has_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
