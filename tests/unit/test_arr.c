/* test_arr.c -- the growable-array helper: doubling, keeping contents, refusing overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arr.h"

static void grows_by_doubling_and_keeps_contents(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < 100; i++) {
        assert_int_equal(ARR_RESERVE(v, cap, i + 1), 0);
        v[i] = (int)i * 3;
    }
    assert_int_equal(cap, 128); /* 8, 16, 32, 64, 128 */
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(v[i], (int)i * 3);
    assert_int_equal(ARR_RESERVE(v, cap, 50), 0); /* enough room: unchanged */
    assert_int_equal(cap, 128);
    free(v);
}

static void refuses_overflow_and_leaves_array(void **state)
{
    (void)state;
    long long *v = NULL;
    size_t cap = 0;
    assert_int_equal(ARR_RESERVE(v, cap, 3), 0);
    assert_int_equal(cap, 8);
    v[2] = 42;
    assert_int_equal(ARR_RESERVE(v, cap, SIZE_MAX / 4), -1);
    assert_int_equal(cap, 8);
    assert_int_equal(v[2], 42);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_by_doubling_and_keeps_contents),
        cmocka_unit_test(refuses_overflow_and_leaves_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
