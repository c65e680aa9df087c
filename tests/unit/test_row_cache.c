/*
 * test_row_cache.c: the RocksDB engine's row cache (statestore/row_cache.c):
 * hits and cached absence, overwrites, LRU eviction within the budget,
 * clearing, and failed allocations that leave it consistent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "row_cache_int.h"

static bool get_str(weir__row_cache_t *c, const char *key, const char **valp,
                    bool *foundp)
{
    const void *v = NULL;
    size_t vlen = 0;
    bool hit = weir__row_cache_get(c, key, strlen(key), &v, &vlen, foundp);
    *valp = v;
    if (hit && *foundp)
        ck_assert_uint_eq(vlen, strlen(v) + 1);
    return hit;
}

static void put_str(weir__row_cache_t *c, const char *key, const char *val)
{
    weir__row_cache_put(c, key, strlen(key), val, val ? strlen(val) + 1 : 0);
}

START_TEST(test_row_cache_hits_misses_and_absence)
{
    weir__row_cache_t *c = weir__row_cache_new(1 << 20);
    ck_assert_ptr_nonnull(c);
    const char *v;
    bool found;
    ck_assert(!get_str(c, "a", &v, &found));
    put_str(c, "a", "one");
    put_str(c, "b", NULL); /* known to be absent */
    ck_assert(get_str(c, "a", &v, &found));
    ck_assert(found);
    ck_assert_str_eq(v, "one");
    ck_assert(get_str(c, "b", &v, &found));
    ck_assert(!found);
    ck_assert_ptr_null(v);
    /* Overwrites, same size and another size, and back to absent. */
    put_str(c, "a", "two");
    ck_assert(get_str(c, "a", &v, &found) && found);
    ck_assert_str_eq(v, "two");
    put_str(c, "a", "a longer value");
    ck_assert(get_str(c, "a", &v, &found) && found);
    ck_assert_str_eq(v, "a longer value");
    put_str(c, "a", NULL);
    ck_assert(get_str(c, "a", &v, &found) && !found);
    put_str(c, "b", "now here");
    ck_assert(get_str(c, "b", &v, &found) && found);
    ck_assert_str_eq(v, "now here");
    /* Keys are bytes: a prefix is another key, embedded NULs count. */
    ck_assert(!get_str(c, "", &v, &found));
    weir__row_cache_put(c, "x\0y", 3, "1", 2);
    const void *raw;
    size_t rawlen;
    ck_assert(!weir__row_cache_get(c, "x\0z", 3, &raw, &rawlen, &found));
    ck_assert(weir__row_cache_get(c, "x\0y", 3, &raw, &rawlen, &found));
    weir__row_cache_stats_t st;
    weir__row_cache_stats(c, &st);
    ck_assert_uint_eq(st.entries, 3);
    ck_assert_uint_eq(st.misses, 3);
    weir__row_cache_clear(c);
    ck_assert(!get_str(c, "b", &v, &found));
    weir__row_cache_stats(c, &st);
    ck_assert_uint_eq(st.entries, 0);
    ck_assert_uint_eq(st.bytes, 0);
    weir__row_cache_destroy(c);
    weir__row_cache_destroy(NULL);
}
END_TEST

START_TEST(test_row_cache_evicts_least_recently_used_within_budget)
{
    /* Room for a few dozen small entries. */
    const size_t budget = 4096;
    weir__row_cache_t *c = weir__row_cache_new(budget);
    char key[32], val[32];
    put_str(c, "hot", "h");
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(val, sizeof(val), "value-%d", i);
        put_str(c, key, val);
        /* Reading "hot" keeps it the most recent. */
        const char *v;
        bool found;
        ck_assert(get_str(c, "hot", &v, &found) && found);
        weir__row_cache_stats_t st;
        weir__row_cache_stats(c, &st);
        ck_assert_uint_le(st.bytes, budget);
    }
    weir__row_cache_stats_t st;
    weir__row_cache_stats(c, &st);
    ck_assert_uint_gt(st.evictions, 900);
    ck_assert_uint_gt(st.entries, 10);
    /* The newest survive, the oldest are gone. */
    const char *v;
    bool found;
    ck_assert(get_str(c, "key-999", &v, &found) && found);
    ck_assert_str_eq(v, "value-999");
    ck_assert(!get_str(c, "key-0", &v, &found));
    ck_assert(!get_str(c, "key-500", &v, &found));
    /* A row larger than the whole budget is not cached, and an older
     * cached value of it is forgotten rather than left stale. */
    put_str(c, "big", "small");
    char *huge = malloc(budget * 2);
    memset(huge, 'z', budget * 2 - 1);
    huge[budget * 2 - 1] = '\0';
    put_str(c, "big", huge);
    ck_assert(!get_str(c, "big", &v, &found));
    free(huge);
    weir__row_cache_destroy(c);
}
END_TEST

START_TEST(test_row_cache_survives_failed_allocations)
{
    /* Every allocation failing in turn: the cache never answers with a
     * stale or wrong row, and frees everything. */
    for (long n = 0; n < 40; n++) {
        weir__row_cache_t *c = weir__row_cache_new(1 << 16);
        if (!c)
            continue;
        put_str(c, "k", "old");
        weir__alloc_fail_after(n);
        char key[16];
        for (int i = 0; i < 20; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            put_str(c, key, key);
        }
        put_str(c, "k", "a new value");
        weir__alloc_fail_after(-1);
        const char *v;
        bool found;
        if (get_str(c, "k", &v, &found)) {
            ck_assert(found);
            ck_assert_str_eq(v, "a new value");
        }
        for (int i = 0; i < 20; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            if (get_str(c, key, &v, &found))
                ck_assert_str_eq(v, key);
        }
        weir__row_cache_destroy(c);
    }
}
END_TEST

static Suite *row_cache_suite(void)
{
    Suite *s = suite_create("row_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, test_row_cache_hits_misses_and_absence);
    tcase_add_test(tc,
                   test_row_cache_evicts_least_recently_used_within_budget);
    tcase_add_test(tc, test_row_cache_survives_failed_allocations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(row_cache_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
