/*
 * windowed_count.c: final page-view counts per user and 10-second window,
 * run in-process by the test driver (no broker needed).
 *
 * It prints the topology, then one line per (user, window) once the
 * window has closed, then how many records came too late. Every object
 * it makes is freed on every path, which the test suite checks by
 * running it under AddressSanitizer's leak checker too.
 */
#include <inttypes.h>
#include <stdio.h>

#include <weir/dsl.h>
#include <weir/test_driver.h>

/* The page views to pipe in: user and event time (ms). The one at 5000
 * comes after event time reached 30000: its window has closed. */
static const struct {
    const char *user;
    int64_t time;
} views_in[] = {
    {"alice", 1000},  {"bob", 2500},    {"alice", 9999},
    {"alice", 10000}, {"carol", 30000}, {"bob", 5000},
};

/* page-views -> group by user -> 10 s tumbling windows, 2 s of grace
 * -> count -> view-counts */
static weir_topology_t *count_views(void)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *views = weir_stream(
        topo, "page-views", weir_serde_string(), weir_serde_string());
    weir_kwindowed_t *windows = weir_kgrouped_windowed_by(
        weir_kstream_group_by_key(views), weir_tumbling_windows(10000, 2000));
    weir_kstream_to(weir_kwindowed_count(windows, "views"), "view-counts",
                    NULL, NULL);
    return topo;
}

int main(void)
{
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = NULL;
    weir_serde_t *key_serde = NULL;
    weir_serde_t *count_serde = NULL;
    char *text = NULL;

    weir_topology_t *topo = count_views();
    if (!topo) {
        err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The first mistake in the calls above, if any, comes out here. */
    err = weir_topology_build(topo);
    if (err)
        goto out;
    text = weir_topology_describe(topo);
    if (!text) {
        err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        goto out;
    }
    printf("%s", text);

    drv = weir_test_driver_new(topo, NULL, &err);
    if (err)
        goto out;
    topo = NULL; /* the driver's now: destroyed with it */

    for (size_t i = 0; i < sizeof(views_in) / sizeof(views_in[0]); i++) {
        err = weir_test_driver_pipe_str(drv, "page-views", views_in[i].user,
                                        "/", views_in[i].time);
        if (err)
            goto out;
    }

    /* Results: a windowed key (the user and the window) and a count. */
    key_serde = weir_serde_windowed(weir_serde_string());
    count_serde = weir_serde_int64();
    if (!key_serde || !count_serde) {
        err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (;;) {
        void *key, *count;
        size_t key_len, count_len;
        bool found;
        err = weir_test_driver_read_output_obj(
            drv, "view-counts", key_serde, count_serde, &key, &key_len, &count,
            &count_len, NULL, &found);
        if (err)
            goto out;
        if (!found)
            break;
        const weir_windowed_key_t *wk = key;
        printf("%-6s [%6" PRId64 ", %6" PRId64 "): %" PRId64 " views\n",
               (const char *)wk->key, wk->start, wk->end,
               *(const int64_t *)count);
        weir_serde_free_obj(key_serde, key, key_len);
        weir_serde_free_obj(count_serde, count, count_len);
    }
    printf("late records dropped: %" PRIu64 "\n",
           weir_test_driver_dropped(drv, "late"));

out:
    if (err)
        fprintf(stderr, "windowed_count: %s\n", weir_error_string(err));
    int rc = err ? 1 : 0;
    weir_error_destroy(err);
    weir_serde_destroy(key_serde);
    weir_serde_destroy(count_serde);
    weir_free(text);
    weir_test_driver_destroy(drv);
    weir_topology_destroy(topo); /* NULL once the driver has it */
    return rc;
}
