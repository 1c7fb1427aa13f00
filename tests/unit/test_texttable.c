/* test_texttable.c -- terminal text: CJK counts two columns, escapes count
 * as shown, tables align on the widest cell. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "texttable.h"

static void widths(void **state)
{
    (void)state;
    assert_int_equal(text_width(""), 0);
    assert_int_equal(text_width("abc"), 3);
    assert_int_equal(text_width("修武县"), 6);
    assert_int_equal(text_width("e\xcc\x81"), 1);     /* e + combining acute */
    assert_int_equal(text_width("a\nb"), 4);          /* shown as a\nb */
    assert_int_equal(text_width("\xff"), 4);          /* bad UTF-8 shown escaped */
}

static void table_aligns_on_widest_cell(void **state)
{
    (void)state;
    cJSON *t = cJSON_CreateArray();
    assert_int_equal(text_table_row(t, 3, "id", "county", "title"), 0);
    assert_int_equal(text_table_row(t, 3, "2026-xw-001", "修武县", NULL), 0);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    text_table_print(t, "> ", f);
    text_put(f, "\x1b[2J");
    fclose(f);
    assert_string_equal(buf, "> id           county  title\n"
                             "> 2026-xw-001  修武县  \n"
                             "\\x1B[2J");
    free(buf);
    cJSON_Delete(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(widths),
        cmocka_unit_test(table_aligns_on_widest_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
