/*
 * test_dsl_windows_support.h: what the session and sliding window tests
 * share: a test driver on either store engine (in memory, or RocksDB in a
 * fresh state dir that outlives the driver, for restarts), piping
 * records, and the output read back as one string.
 */
#ifndef TEST_DSL_WINDOWS_SUPPORT_H
#define TEST_DSL_WINDOWS_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <weir/dsl.h>
#include <weir/test_driver.h>

enum {
    WT_MEMORY = 0,
    WT_ROCKSDB = 1,
    WT_ENGINES = 2
};

/* Checked fixture: a fresh state dir per test (removed afterwards). */
void wt_setup(void);
void wt_teardown(void);

/* A driver for @p topo with the stores of @p engine; fails the test on
 * error. A second driver with WT_ROCKSDB finds the first one's stores. */
weir_test_driver_t *wt_driver(weir_topology_t *topo, int engine);

/* A topology: "in" (string keys and values) -> group_by_key -> windows
 * @p w -> count into the store "counts" -> "out". */
weir_topology_t *wt_session_count(weir_session_windows_t w);
weir_topology_t *wt_sliding_count(weir_sliding_windows_t w);

/* Pipes (key, value) at @p ts into "in"; fails the test on error. */
void wt_pipe(weir_test_driver_t *drv, const char *key, const char *value,
             int64_t ts);

/*
 * Everything waiting on "out" as "key[start,end]=value@ts;" (windowed
 * string keys; int64 values when @p counts, else string values). The
 * string is static: copy it to keep it past the next call.
 */
const char *wt_results(weir_test_driver_t *drv, bool counts);

/* String aggregates: "" to start with, then each value appended. */
weir_error_t *wt_init_empty(void *ctx, void **aggp, size_t *lenp);
weir_error_t *wt_append(void *ctx, const weir_record_t *rec, const void *agg,
                        size_t agg_len, void **newp, size_t *new_lenp);

/* @p results ("a;b;...;") with its items sorted, in a new string (free
 * with free()): for comparing with an oracle whatever the emit order. */
char *wt_sorted(const char *results);

/* Fails the test at the first item where sorted results @p got and
 * @p want differ, naming it (whole strings are too long for Check). */
void wt_assert_same(const char *got, const char *want);

/*
 * Random input whose disorder stays within @p grace: @p n records of keys
 * "k0".."k<keys-1>", times from 1000 on; each record's time is at least
 * the largest before it minus @p grace. Same @p seed, same input.
 */
typedef struct wt_rec_s {
    char key[8];
    int64_t ts;
} wt_rec_t;
void wt_random_input(unsigned seed, int n, int keys, int64_t grace,
                     wt_rec_t *out);

/* A count topology for windows of width (gap, diff) @p width and
 * @p grace. */
typedef weir_topology_t *(wt_make_fn)(int64_t width, int64_t grace);

/* Appends to @p out the results that the @p m records of @p key at times
 * @p t (sorted) must give, computed from scratch, as wt_results() has
 * them. */
typedef void(wt_oracle_fn)(const char *key, const int64_t *t, int m,
                           int64_t width, char *out);

/*
 * Pipes random input with disorder within the grace (three seeds, graces
 * 0, 7 and 40 ms) through @p make's topology on @p engine, closes every
 * window with a far record, and checks that nothing was late and the
 * results are exactly @p oracle's, in any order.
 */
void wt_check_random(wt_make_fn *make, wt_oracle_fn *oracle, int64_t width,
                     int n, int engine);

#endif /* TEST_DSL_WINDOWS_SUPPORT_H */
