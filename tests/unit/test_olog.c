/* test_olog.c -- olog_escape, the one escaping function of log lines, the
 * CLI's tables and the CSV export; and that olog itself writes one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "olog.h"

/* Escapes in into a roomy buffer and checks the result and its length. */
static void expect_escaped(const char *in, const char *want)
{
    char out[256];
    size_t n = olog_escape(out, sizeof out, in);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
}

static void plain_text_is_kept(void **state)
{
    (void)state;
    expect_escaped("", "");
    expect_escaped("rejected report 1b4e from team-07: unknown trip 2026-zjj-999",
                   "rejected report 1b4e from team-07: unknown trip 2026-zjj-999");
    /* Chinese, an emoji, a combining accent: printable, kept as they are. */
    expect_escaped("慈利县 义诊 \xF0\x9F\x98\x80 e\xCC\x81", "慈利县 义诊 \xF0\x9F\x98\x80 e\xCC\x81");
    expect_escaped("~ !\"#$%&'()*+,-./:;<=>?@[]^_`{|}", "~ !\"#$%&'()*+,-./:;<=>?@[]^_`{|}");
}

static void c0_and_del(void **state)
{
    (void)state;
    expect_escaped("a\nb", "a\\nb");
    expect_escaped("a\r\nb", "a\\r\\nb");
    expect_escaped("\tx", "\\tx");
    expect_escaped("\x1b[31mred\x1b[0m", "\\x1B[31mred\\x1B[0m");
    expect_escaped("\x01\x07\x08\x0b\x0c\x1f", "\\x01\\x07\\x08\\x0B\\x0C\\x1F");
    expect_escaped("del\x7f", "del\\x7F");
    /* The backslash itself, so that an escape can never be faked. */
    expect_escaped("C:\\n", "C:\\\\n");
}

static void c1_controls(void **state)
{
    (void)state;
    expect_escaped("\xC2\x80", "\\u0080");
    expect_escaped("next\xC2\x85line", "next\\u0085line"); /* NEL */
    expect_escaped("\xC2\x9B" "31m", "\\u009B31m");       /* CSI */
    expect_escaped("\xC2\x9F", "\\u009F");
    expect_escaped("\xC2\xA0", "\xC2\xA0"); /* U+00A0 no-break space is printable */
}

static void bidi_controls(void **state)
{
    (void)state;
    expect_escaped("\xE2\x80\xAE" "evil", "\\u202Eevil"); /* RLO */
    expect_escaped("\xE2\x80\xAA\xE2\x80\xAB\xE2\x80\xAC\xE2\x80\xAD",
                   "\\u202A\\u202B\\u202C\\u202D");
    expect_escaped("\xE2\x81\xA6\xE2\x81\xA7\xE2\x81\xA8\xE2\x81\xA9",
                   "\\u2066\\u2067\\u2068\\u2069");
    expect_escaped("\xE2\x80\x8E\xE2\x80\x8F", "\\u200E\\u200F"); /* LRM, RLM */
    expect_escaped("\xD8\x9C", "\\u061C");                          /* ALM */
    expect_escaped("a\xE2\x80\xA8" "b\xE2\x80\xA9", "a\\u2028b\\u2029");
    /* Neighbours that are not controls stay. */
    expect_escaped("\xE2\x80\x94\xE2\x80\xA6\xE2\x81\xA5", "\xE2\x80\x94\xE2\x80\xA6\xE2\x81\xA5");
}

static void invalid_utf8(void **state)
{
    (void)state;
    expect_escaped("\xff", "\\xFF");
    expect_escaped("a\xC3", "a\\xC3");               /* cut short at the end */
    expect_escaped("\xC3(", "\\xC3(");               /* bad continuation */
    expect_escaped("\xC0\x8A", "\\xC0\\x8A");         /* overlong newline */
    expect_escaped("\xE0\x80\x8A", "\\xE0\\x80\\x8A"); /* overlong newline, 3 bytes */
    expect_escaped("\xED\xA0\x80", "\\xED\\xA0\\x80"); /* a surrogate */
    expect_escaped("\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"); /* past U+10FFFF */
    expect_escaped("\x80", "\\x80");                  /* lone continuation */
}

static void small_buffers(void **state)
{
    (void)state;
    char out[8];
    /* Needs 10: "ab" + "\\x1B" + "cd" + "\\n"; never half an escape. */
    assert_int_equal(olog_escape(out, sizeof out, "ab\x1b" "cd\n"), 10);
    assert_string_equal(out, "ab\\x1Bc");
    assert_int_equal(olog_escape(out, 5, "ab\x1b" "cd"), 8);
    assert_string_equal(out, "ab");
    assert_int_equal(olog_escape(out, 1, "\n"), 2);
    assert_string_equal(out, "");
    /* A multi-byte character is not cut either. */
    assert_int_equal(olog_escape(out, 5, "a慈利"), 7);
    assert_string_equal(out, "a慈");
    assert_int_equal(olog_escape(NULL, 0, "\xE2\x80\xAE"), 6);
    char *d = olog_escape_dup("x\ny");
    assert_non_null(d);
    assert_string_equal(d, "x\\ny");
    free(d);
}

/* The whole log line: one line, forged text escaped, long messages kept. */
static void log_line_is_one_line(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    olog_set_stream(f);
    olog_set_level(OLOG_DEBUG);
    olog(OLOG_WARN, "rejected report %s from %s: %s", "(no msg_id)", "team-07",
         "duplicate key \"x\n2026-12-01T05:00:00.000 info: \x1b[2Kforged\"");
    char long_text[6000];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    long_text[3000] = '\n';
    olog(OLOG_INFO, "long %s end", long_text);
    olog_set_stream(NULL);
    fclose(f);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(buf, " warn: rejected report (no msg_id) from team-07: duplicate key "
                                "\"x\\n2026-12-01T05:00:00.000 info: \\x1B[2Kforged\"\n"));
    assert_null(strchr(buf, '\x1b'));
    char *second = strchr(buf, '\n') + 1;
    assert_non_null(strstr(second, " info: long aaa"));
    assert_non_null(strstr(second, "a\\na"));
    assert_non_null(strstr(second, "aaa end\n"));
    assert_int_equal(strlen(second), strlen("2026-12-01T05:00:00.000 info: long ") +
                                         sizeof long_text - 1 + 1 + strlen(" end\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_text_is_kept), cmocka_unit_test(c0_and_del),
        cmocka_unit_test(c1_controls),        cmocka_unit_test(bidi_controls),
        cmocka_unit_test(invalid_utf8),       cmocka_unit_test(small_buffers),
        cmocka_unit_test(log_line_is_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
