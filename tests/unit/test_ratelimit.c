/* Unit tests of ratelimit/: refill, burst, Retry-After, peek, bounded memory (LRU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ratelimit/ratelimit.h"

#include <stdio.h>

static void test_bucket(void **state)
{
    (void)state;
    gw_ratelimit_t *rl = gw_ratelimit_create(2, 3, 100); /* 2/s, burst 3 */
    assert_non_null(rl);
    int64_t t = 1000000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(gw_ratelimit_take(rl, "a", t, 0), 0);
    assert_int_equal(gw_ratelimit_take(rl, "a", t, 1), 1); /* empty: one token in 0.5 s → 1 s */
    assert_int_equal(gw_ratelimit_take(rl, "a", t, 0), 1);
    assert_int_equal(gw_ratelimit_take(rl, "b", t, 0), 0); /* keys are independent */
    assert_int_equal(gw_ratelimit_take(rl, "a", t + 499, 0), 1);
    assert_int_equal(gw_ratelimit_take(rl, "a", t + 500, 0), 0); /* refilled at 2/s */
    assert_int_equal(gw_ratelimit_take(rl, "a", t + 500, 0), 1);
    /* a long pause refills to the burst, not beyond */
    t += 60000;
    for (int i = 0; i < 3; i++)
        assert_int_equal(gw_ratelimit_take(rl, "a", t, 0), 0);
    assert_int_not_equal(gw_ratelimit_take(rl, "a", t, 0), 0);
    /* peek never takes */
    assert_int_equal(gw_ratelimit_take(rl, "c", t, 1), 0);
    assert_int_equal(gw_ratelimit_count(rl), 2); /* peeking an unknown key adds nothing */
    gw_ratelimit_destroy(rl);

    rl = gw_ratelimit_create(1, 1, 10); /* slow refill: Retry-After in whole seconds */
    assert_int_equal(gw_ratelimit_take(rl, "x", 0, 0), 0);
    assert_int_equal(gw_ratelimit_take(rl, "x", 0, 0), 1);
    gw_ratelimit_destroy(rl);
    assert_null(gw_ratelimit_create(0, 1, 10));
    assert_null(gw_ratelimit_create(1, 0, 10));
}

static void test_bounded(void **state)
{
    (void)state;
    gw_ratelimit_t *rl = gw_ratelimit_create(1, 1, 50);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "caller-%d", i);
        assert_int_equal(gw_ratelimit_take(rl, key, 0, 0), 0);
        assert_true(gw_ratelimit_count(rl) <= 50);
    }
    assert_int_equal(gw_ratelimit_count(rl), 50);
    /* the newest 50 are kept (their buckets are empty); older ones were dropped and start full */
    assert_int_equal(gw_ratelimit_take(rl, "caller-9999", 0, 0), 1);
    assert_int_equal(gw_ratelimit_take(rl, "caller-9950", 0, 0), 1);
    assert_int_equal(gw_ratelimit_take(rl, "caller-0", 0, 0), 0);
    /* a recently used key survives the eviction of its contemporaries */
    gw_ratelimit_destroy(rl);
    rl = gw_ratelimit_create(1, 1, 3);
    gw_ratelimit_take(rl, "a", 0, 0);
    gw_ratelimit_take(rl, "b", 0, 0);
    gw_ratelimit_take(rl, "c", 0, 0);
    assert_int_equal(gw_ratelimit_take(rl, "a", 0, 0), 1); /* used again: now the newest */
    gw_ratelimit_take(rl, "d", 0, 0);                      /* evicts b, the oldest */
    assert_int_equal(gw_ratelimit_take(rl, "a", 0, 0), 1); /* a is still limited */
    assert_int_equal(gw_ratelimit_take(rl, "b", 0, 0), 0); /* b starts afresh */
    gw_ratelimit_destroy(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
