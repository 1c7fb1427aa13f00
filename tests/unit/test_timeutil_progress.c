/* test_timeutil_progress.c -- calendar arithmetic and the year's target figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "progress.h"
#include "timeutil.h"

static struct odate D(int y, int m, int d)
{
    struct odate o = {y, m, d};
    return o;
}

static void test_leap(void **state)
{
    assert_true(tu_is_leap(2024));
    assert_true(tu_is_leap(2000));
    assert_true(tu_is_leap(2028));
    assert_false(tu_is_leap(2026));
    assert_false(tu_is_leap(2100));
    assert_false(tu_is_leap(1900));
    assert_int_equal(tu_days_in_year(2026), 365);
    assert_int_equal(tu_days_in_year(2028), 366);
    assert_int_equal(tu_days_in_month(2024, 2), 29);
    assert_int_equal(tu_days_in_month(2026, 2), 28);
    assert_int_equal(tu_days_in_month(2026, 4), 30);
    assert_int_equal(tu_days_in_month(2026, 12), 31);
    assert_int_equal(tu_days_in_month(2026, 13), 0);
    assert_int_equal(tu_days_in_month(2026, 0), 0);
}

static void test_parse_date(void **state)
{
    struct odate d = {0, 0, 0};
    assert_int_equal(tu_parse_date("2024-02-29", &d), 0);
    assert_int_equal(d.year, 2024);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    assert_int_equal(tu_parse_date("2000-02-29", &d), 0);
    assert_int_equal(tu_parse_date("2026-12-31", &d), 0);
    assert_int_equal(tu_parse_date("2026-01-01", &d), 0);
    static const char *const bad[] = {
        "2026-02-29", "2100-02-29", "2026-02-30", "2026-04-31", "2026-13-01", "2026-00-10",
        "2026-01-00", "2026-01-32", "0000-01-01", "2026-1-01",  "2026-01-1",  "2026/01/01",
        "26-01-01",   "2026-01-01x", "2026-01-01 ", " 2026-01-01", "", "2026-01-0a",
        "+026-01-01", "2026-11-22T00:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tu_parse_date(bad[i], &d) == 0)
            fail_msg("tu_parse_date accepted '%s'", bad[i]);
    assert_int_equal(tu_parse_date(NULL, &d), -1);
    char why[TU_WHY_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (!tu_date_why(bad[i], why))
            fail_msg("tu_date_why found nothing wrong with '%s'", bad[i]);
    assert_null(tu_date_why("2024-02-29", why));
    assert_string_equal(tu_date_why("2026-11-31", why),
                        "November 2026 has 30 days: 2026-11-31 is not a day of it");
    assert_string_equal(tu_date_why("2026-02-29", why),
                        "February 2026 has 28 days: 2026-02-29 is not a day of it");
    assert_string_equal(tu_date_why("2026-13-01", why), "13 is not a month (01 to 12)");
    assert_string_equal(tu_date_why("2026/01/01", why), "not a date YYYY-MM-DD (like 2026-03-01)");
    assert_string_equal(tu_date_why(NULL, why), "not a date YYYY-MM-DD (like 2026-03-01)");

    char buf[11];
    tu_format_date(D(2026, 3, 7), buf);
    assert_string_equal(buf, "2026-03-07");
}

static void test_day_of_year(void **state)
{
    assert_int_equal(tu_day_of_year(D(2026, 1, 1)), 1);
    assert_int_equal(tu_day_of_year(D(2026, 12, 31)), 365);
    assert_int_equal(tu_day_of_year(D(2028, 12, 31)), 366);
    assert_int_equal(tu_day_of_year(D(2024, 3, 1)), 61);
    assert_int_equal(tu_day_of_year(D(2026, 3, 1)), 60);
    assert_int_equal(tu_day_of_year(D(2026, 11, 18)), 322);
    assert_int_equal(tu_day_of_year(D(2026, 11, 22)), 326);
}

static void test_days_from_civil(void **state)
{
    assert_int_equal(tu_days_from_civil(D(1970, 1, 1)), 0);
    assert_int_equal(tu_days_from_civil(D(1970, 1, 2)), 1);
    assert_true(tu_days_from_civil(D(1969, 12, 31)) == -1);
    assert_int_equal(tu_days_from_civil(D(2000, 3, 1)), 11017);
    assert_int_equal(tu_days_from_civil(D(2026, 11, 22)), 20779);
    assert_true(tu_days_from_civil(D(1, 1, 1)) == -719162);
    /* consecutive across a leap day */
    assert_int_equal(tu_days_from_civil(D(2024, 3, 1)) - tu_days_from_civil(D(2024, 2, 28)), 2);
    assert_int_equal(tu_days_from_civil(D(2027, 1, 1)) - tu_days_from_civil(D(2026, 1, 1)), 365);

    assert_true(tu_date_cmp(D(2026, 1, 2), D(2026, 1, 1)) > 0);
    assert_true(tu_date_cmp(D(2025, 12, 31), D(2026, 1, 1)) < 0);
    assert_true(tu_date_cmp(D(2026, 2, 1), D(2026, 1, 31)) > 0);
    assert_int_equal(tu_date_cmp(D(2026, 5, 5), D(2026, 5, 5)), 0);
}

static void test_timestamps(void **state)
{
    char buf[TU_TS_MAX];
    tu_format_ts(0, 8 * 60, buf);
    assert_string_equal(buf, "1970-01-01T08:00:00+08:00");
    tu_format_ts(0, 0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
    tu_format_ts(0, -300, buf);
    assert_string_equal(buf, "1969-12-31T19:00:00-05:00");
    tu_format_ts(1795311065, TU_SITE_OFFSET_MIN, buf);
    assert_string_equal(buf, "2026-11-22T09:31:05+08:00");
    assert_true(tu_valid_timestamp(buf));
    tu_format_ts(1795311065, 330, buf);
    assert_string_equal(buf, "2026-11-22T07:01:05+05:30");
    /* 2024-02-29T16:00:00Z is 2024-03-01 at the site */
    tu_format_ts(1709222400, TU_SITE_OFFSET_MIN, buf);
    assert_string_equal(buf, "2024-03-01T00:00:00+08:00");

    struct odate d = tu_date_at(1709222399, TU_SITE_OFFSET_MIN);
    assert_int_equal(d.year, 2024);
    assert_int_equal(d.month, 2);
    assert_int_equal(d.day, 29);
    d = tu_date_at(1709222400, TU_SITE_OFFSET_MIN);
    assert_int_equal(d.month, 3);
    assert_int_equal(d.day, 1);
    d = tu_date_at(-1, 0);
    assert_int_equal(d.year, 1969);
    assert_int_equal(d.month, 12);
    assert_int_equal(d.day, 31);

    /* OUTREACH_TODAY overrides the clock */
    setenv("OUTREACH_TODAY", "2026-11-18", 1);
    d = tu_today(TU_SITE_OFFSET_MIN);
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.month, 11);
    assert_int_equal(d.day, 18);
    unsetenv("OUTREACH_TODAY");

    static const char *const good[] = {
        "2026-11-22T09:31:05+08:00", "2026-11-22T01:31:05Z", "2026-11-22T09:31:05.1+08:00",
        "2026-11-22T09:31:05.123456789-00:30", "2024-02-29T00:00:00Z", "2026-12-31T23:59:59Z",
    };
    static const char *const bad[] = {
        "2026-11-22T09:31:05", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
        "2026-11-22T23:60:00Z", "2026-11-22T23:59:60Z", "2026-11-22T09:31:05+24:00",
        "2026-11-22T09:31:05+08:60", "2026-11-22T09:31:05.Z", "2026-11-22T09:31:05.1234567890Z",
        "2026-11-22T09:31:05Z ", "2026-11-22T9:31:05Z", "2026-11-22", "",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!tu_valid_timestamp(good[i]))
            fail_msg("refused '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (tu_valid_timestamp(bad[i]))
            fail_msg("accepted '%s'", bad[i]);
    assert_false(tu_valid_timestamp(NULL));
}

/* ---- progress ------------------------------------------------------------ */

static void test_days_elapsed(void **state)
{
    assert_int_equal(progress_days_elapsed(2026, D(2026, 1, 1)), 1);
    assert_int_equal(progress_days_elapsed(2026, D(2026, 12, 31)), 365);
    assert_int_equal(progress_days_elapsed(2026, D(2025, 12, 31)), 0);
    assert_int_equal(progress_days_elapsed(2026, D(2027, 1, 1)), 365);
    assert_int_equal(progress_days_elapsed(2028, D(2029, 6, 1)), 366);
    assert_int_equal(progress_days_elapsed(2028, D(2028, 12, 31)), 366);
}

static void test_figures_first_and_last_day(void **state)
{
    struct target_figures f;
    progress_figures(100, 50000, 2026, D(2026, 1, 1), &f);
    assert_int_equal(f.days_elapsed, 1);
    assert_int_equal(f.days_in_year, 365);
    assert_int_equal(f.expected_to_date, 137); /* 136.99 */
    assert_int_equal(f.projected_year_end, 36500);
    assert_int_equal(f.count, 100);
    assert_int_equal(f.target, 50000);

    progress_figures(48000, 50000, 2026, D(2026, 12, 31), &f);
    assert_int_equal(f.days_elapsed, 365);
    assert_int_equal(f.expected_to_date, 50000);
    assert_int_equal(f.projected_year_end, 48000);
    assert_string_equal(f.pace, "behind");

    progress_figures(499, 500, 2026, D(2026, 12, 31), &f);
    assert_int_equal(f.expected_to_date, 500);
}

static void test_figures_leap_year(void **state)
{
    struct target_figures f;
    progress_figures(1000, 36600, 2028, D(2028, 12, 31), &f);
    assert_int_equal(f.days_in_year, 366);
    assert_int_equal(f.days_elapsed, 366);
    assert_int_equal(f.expected_to_date, 36600);
    progress_figures(1000, 36600, 2028, D(2028, 3, 1), &f);
    assert_int_equal(f.days_elapsed, 61);
    assert_int_equal(f.expected_to_date, 6100);
    assert_int_equal(f.projected_year_end, 6000); /* 1000 * 366 / 61 */
}

static void test_figures_outside_year(void **state)
{
    struct target_figures f;
    progress_figures(25, 50000, 2026, D(2025, 12, 31), &f);
    assert_int_equal(f.days_elapsed, 0);
    assert_int_equal(f.expected_to_date, 0);
    assert_int_equal(f.projected_year_end, 25);

    progress_figures(41000, 50000, 2026, D(2027, 3, 1), &f);
    assert_int_equal(f.days_elapsed, 365);
    assert_int_equal(f.expected_to_date, 50000);
    assert_int_equal(f.projected_year_end, 41000);
    assert_string_equal(f.pace, "behind");

    progress_figures(0, 50000, 2026, D(2026, 6, 1), &f);
    assert_int_equal(f.projected_year_end, 0);
    progress_figures(0, 0, 2026, D(2026, 6, 1), &f);
    assert_int_equal(f.expected_to_date, 0);
    assert_int_equal(f.projected_year_end, 0);
    assert_string_equal(f.pace, "on_pace");
}

static void test_figures_protocol_example(void **state)
{
    struct target_figures f;
    struct odate day322 = D(2026, 11, 18);
    assert_int_equal(tu_day_of_year(day322), 322);
    progress_figures(41230, 50000, 2026, day322, &f);
    assert_int_equal(f.days_elapsed, 322);
    assert_int_equal(f.expected_to_date, 44110);
    assert_int_equal(f.projected_year_end, 46735); /* 41230 * 365 / 322 = 46735.06 */
    assert_string_equal(f.pace, "behind");
    progress_figures(388, 500, 2026, day322, &f);
    assert_int_equal(f.expected_to_date, 441);
    assert_int_equal(f.projected_year_end, 439); /* 439.8 rounded down */
    assert_string_equal(f.pace, "behind");
}

/* The pace rule that the county_behind alert shares (test_alerts.c's
 * county_behind_only_when_progress_says_behind has the same figures). */
static void test_pace_one_rule(void **state)
{
    (void)state;
    struct target_figures f;
    /* staff target 4, 2 July 2026 (day 183): 2 expected; 1 is on pace */
    progress_figures(1, 4, 2026, D(2026, 7, 2), &f);
    assert_int_equal(f.expected_to_date, 2);
    assert_string_equal(f.pace, "on_pace");
    assert_string_equal(progress_pace(1, 2, 4), "on_pace");
    assert_string_equal(progress_pace(0, 2, 4), "behind");
    assert_string_equal(progress_pace(700, 1000, 2000), "behind");
    assert_string_equal(progress_pace(3, 2, 4), "on_pace");
    assert_string_equal(progress_pace(4, 2, 4), "ahead");
    /* 1% of the target once it is 200 or more */
    assert_string_equal(progress_pace(97, 100, 300), "on_pace");
    assert_string_equal(progress_pace(96, 100, 300), "behind");
    /* the alerter's store case: staff target 1 on day 327: 1 expected, 0 on pace */
    progress_figures(0, 1, 2026, D(2026, 11, 23), &f);
    assert_int_equal(f.expected_to_date, 1);
    assert_string_equal(f.pace, "on_pace");
}

static void test_figures_rounding(void **state)
{
    struct target_figures f;
    /* expected rounds to nearest: 100 * 2 / 365 = 0.548 -> 1; 100 * 1 / 365 = 0.27 -> 0 */
    progress_figures(0, 100, 2026, D(2026, 1, 2), &f);
    assert_int_equal(f.expected_to_date, 1);
    progress_figures(0, 100, 2026, D(2026, 1, 1), &f);
    assert_int_equal(f.expected_to_date, 0);
    /* 1000 * 2 / 365 = 5.479 -> 5; 1000 * 3 / 365 = 8.219 -> 8; 1000 * 4 / 365 = 10.96 -> 11 */
    progress_figures(0, 1000, 2026, D(2026, 1, 3), &f);
    assert_int_equal(f.expected_to_date, 8);
    progress_figures(0, 1000, 2026, D(2026, 1, 4), &f);
    assert_int_equal(f.expected_to_date, 11);
    /* exactly half: 1 * 183 / 366 = 0.5 -> 1 */
    progress_figures(0, 1, 2028, D(2028, 7, 1), &f);
    assert_int_equal(f.days_elapsed, 183);
    assert_int_equal(f.expected_to_date, 1);
    /* projection rounds down: 10 * 365 / 3 = 1216.67 -> 1216 */
    progress_figures(10, 1000, 2026, D(2026, 1, 3), &f);
    assert_int_equal(f.projected_year_end, 1216);
    progress_figures(2, 1000, 2026, D(2026, 1, 3), &f);
    assert_int_equal(f.projected_year_end, 243); /* 243.33 */
}

static void test_figures_pace(void **state)
{
    struct target_figures f;
    struct odate day322 = D(2026, 11, 18); /* expected 44110, tolerance 500 */
    progress_figures(44610, 50000, 2026, day322, &f);
    assert_string_equal(f.pace, "on_pace");
    progress_figures(44611, 50000, 2026, day322, &f);
    assert_string_equal(f.pace, "ahead");
    progress_figures(43610, 50000, 2026, day322, &f);
    assert_string_equal(f.pace, "on_pace");
    progress_figures(43609, 50000, 2026, day322, &f);
    assert_string_equal(f.pace, "behind");
    progress_figures(44110, 50000, 2026, day322, &f);
    assert_string_equal(f.pace, "on_pace");
    /* small targets: the tolerance is at least 1 */
    progress_figures(442, 500, 2026, day322, &f); /* expected 441, tolerance 5 */
    assert_string_equal(f.pace, "on_pace");
    progress_figures(447, 500, 2026, day322, &f);
    assert_string_equal(f.pace, "ahead");
    progress_figures(6, 10, 2026, D(2026, 12, 31), &f); /* expected 10, tolerance 1 */
    assert_string_equal(f.pace, "behind");
    progress_figures(9, 10, 2026, D(2026, 12, 31), &f);
    assert_string_equal(f.pace, "on_pace");
    progress_figures(12, 10, 2026, D(2026, 12, 31), &f);
    assert_string_equal(f.pace, "ahead");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_leap),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_day_of_year),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_days_elapsed),
        cmocka_unit_test(test_figures_first_and_last_day),
        cmocka_unit_test(test_figures_leap_year),
        cmocka_unit_test(test_figures_outside_year),
        cmocka_unit_test(test_figures_protocol_example),
        cmocka_unit_test(test_figures_rounding),
        cmocka_unit_test(test_figures_pace),
        cmocka_unit_test(test_pace_one_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
