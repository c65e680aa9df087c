/* windowed_count.c: final page-view counts per user and 10 s window. */
#include <inttypes.h>
#include <stdio.h>
#include <weir/dsl.h>
#include <weir/test_driver.h>

int main(void)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *views = weir_stream(topo, "page-views", weir_serde_string(),
                                        weir_serde_string());
    weir_kwindowed_t *windows = weir_kgrouped_windowed_by(
        weir_kstream_group_by_key(views), weir_tumbling_windows(10000, 2000));
    weir_kstream_to(weir_kwindowed_count(windows, "views"), "view-counts",
                    NULL, NULL);
    weir_error_t *err = NULL; /* the driver builds the topology and owns it */
    weir_test_driver_t *drv = weir_test_driver_new(topo, NULL, &err);
    char *text = drv ? weir_topology_describe(topo) : NULL;
    printf("%s", text ? text : "");
    weir_free(text);
    const char *users[] = {"alice", "bob", "alice", "alice", "carol", "bob"};
    const int64_t times[] = {1000, 2500, 9999, 10000, 30000, 5000};
    for (int i = 0; drv && i < 6 && !err; i++)
        err = weir_test_driver_pipe_str(drv, "page-views", users[i], "/",
                                        times[i]);
    weir_serde_t *ks = weir_serde_windowed(weir_serde_string());
    weir_serde_t *vs = weir_serde_int64();
    void *k, *v;
    size_t kl, vl;
    bool found = drv && !err;
    while (found && !(err = weir_test_driver_read_output_obj(
                          drv, "view-counts", ks, vs, &k, &kl, &v, &vl,
                          NULL, &found)) && found) {
        const weir_windowed_key_t *wk = k;
        printf("%-6s [%6" PRId64 ", %6" PRId64 "): %" PRId64 " views\n",
               (const char *)wk->key, wk->start, wk->end, *(int64_t *)v);
        weir_serde_free_obj(ks, k, kl);
        weir_serde_free_obj(vs, v, vl);
    }
    printf("late records dropped: %" PRIu64 "\n",
           drv ? weir_test_driver_dropped(drv, "late") : 0);
    int rc = err ? 1 : 0;
    if (err)
        fprintf(stderr, "error: %s\n", weir_error_string(err));
    weir_error_destroy(err);
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    weir_test_driver_destroy(drv);
    return rc;
}
