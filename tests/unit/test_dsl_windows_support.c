/*
 * test_dsl_windows_support.c: see test_dsl_windows_support.h.
 */
#include "test_dsl_windows_support.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpdir.h"

static char *state_dir;

void wt_setup(void)
{
    state_dir = weir_test_tmpdir_new("weir-dsl-windows");
    ck_assert_ptr_nonnull(state_dir);
}

void wt_teardown(void)
{
    weir_test_tmpdir_remove(state_dir);
    free(state_dir);
    state_dir = NULL;
}

weir_test_driver_t *wt_driver(weir_topology_t *topo, int engine)
{
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "windows";
    opts.rocksdb_stores = engine == WT_ROCKSDB;
    opts.state_dir = state_dir;
    weir_error_t *err = NULL;
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    return drv;
}

static weir_kgrouped_t *grouped_input(weir_topology_t *topo)
{
    return weir_kstream_group_by_key(
        weir_stream(topo, "in", weir_serde_string(), weir_serde_string()));
}

weir_topology_t *wt_session_count(weir_session_windows_t w)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_to(
        weir_ksession_windowed_count(
            weir_kgrouped_session_windowed_by(grouped_input(topo), w),
            "counts"),
        "out", NULL, NULL);
    return topo;
}

weir_topology_t *wt_sliding_count(weir_sliding_windows_t w)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_to(weir_kwindowed_count(weir_kgrouped_sliding_windowed_by(
                                             grouped_input(topo), w),
                                         "counts"),
                    "out", NULL, NULL);
    return topo;
}

void wt_pipe(weir_test_driver_t *drv, const char *key, const char *value,
             int64_t ts)
{
    weir_error_t *err = weir_test_driver_pipe_str(drv, "in", key, value, ts);
    ck_assert_msg(err == NULL, "%s@%lld: %s", key, (long long)ts,
                  weir_error_string(err));
}

const char *wt_results(weir_test_driver_t *drv, bool counts)
{
    static char buf[1 << 18];
    buf[0] = '\0';
    weir_serde_t *ks = weir_serde_windowed(weir_serde_string());
    weir_serde_t *vs = counts ? weir_serde_int64() : weir_serde_string();
    for (;;) {
        void *k, *v;
        size_t kl, vl;
        int64_t ts;
        bool found;
        weir_error_t *err = weir_test_driver_read_output_obj(
            drv, "out", ks, vs, &k, &kl, &v, &vl, &ts, &found);
        ck_assert_msg(err == NULL, "%s", weir_error_string(err));
        if (!found)
            break;
        const weir_windowed_key_t *wk = k;
        size_t n = strlen(buf);
        if (counts)
            snprintf(buf + n, sizeof(buf) - n, "%s[%lld,%lld]=%lld@%lld;",
                     (const char *)wk->key, (long long)wk->start,
                     (long long)wk->end, (long long)*(int64_t *)v,
                     (long long)ts);
        else
            snprintf(buf + n, sizeof(buf) - n, "%s[%lld,%lld]=%s@%lld;",
                     (const char *)wk->key, (long long)wk->start,
                     (long long)wk->end, (const char *)v, (long long)ts);
        weir_serde_free_obj(ks, k, kl);
        weir_serde_free_obj(vs, v, vl);
        ck_assert_uint_lt(strlen(buf), sizeof(buf) - 1); /* all of it */
    }
    weir_serde_destroy(ks);
    weir_serde_destroy(vs);
    return buf;
}

weir_error_t *wt_init_empty(void *ctx, void **aggp, size_t *lenp)
{
    (void)ctx;
    *aggp = strdup("");
    *lenp = 0;
    return NULL;
}

weir_error_t *wt_append(void *ctx, const weir_record_t *rec, const void *agg,
                        size_t agg_len, void **newp, size_t *new_lenp)
{
    (void)ctx;
    char *s = malloc(agg_len + rec->value_len + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, agg, agg_len);
    memcpy(s + agg_len, rec->value, rec->value_len);
    s[agg_len + rec->value_len] = '\0';
    *newp = s;
    *new_lenp = agg_len + rec->value_len;
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *wt_sorted(const char *results)
{
    char *copy = strdup(results);
    size_t cap = 16, n = 0;
    char **items = malloc(cap * sizeof(*items));
    char *save = NULL;
    for (char *t = strtok_r(copy, ";", &save); t;
         t = strtok_r(NULL, ";", &save)) {
        if (n == cap)
            items = realloc(items, (cap *= 2) * sizeof(*items));
        items[n++] = t;
    }
    qsort(items, n, sizeof(*items), cmp_str);
    char *out = malloc(strlen(results) + 1);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, items[i]);
        strcat(out, ";");
    }
    free(items);
    free(copy);
    return out;
}

void wt_random_input(unsigned seed, int n, int keys, int64_t grace,
                     wt_rec_t *out)
{
    int64_t max = 1000;
    for (int i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 8) & 0xffff;
        int64_t ts;
        if (r % 4 == 0 && grace > 0)
            ts = max - (int64_t)(r / 4 % (unsigned)(grace + 1));
        else
            ts = max + (int64_t)(r % 13);
        if (ts > max)
            max = ts;
        snprintf(out[i].key, sizeof(out[i].key), "k%u",
                 (unsigned)(r / 16 % (unsigned)keys));
        out[i].ts = ts;
    }
}

void wt_assert_same(const char *got, const char *want)
{
    size_t i = 0;
    while (got[i] && got[i] == want[i])
        i++;
    if (!got[i] && !want[i])
        return;
    /* Back to the start of the item that differs. */
    while (i > 0 && got[i - 1] != ';')
        i--;
    ck_abort_msg("first difference: got \"%.60s\", want \"%.60s\"", got + i,
                 want + i);
}

static int cmp_ts(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The oracle's results for all of @p in, sorted. */
static char *oracle_results(wt_oracle_fn *oracle, const wt_rec_t *in, int n,
                            int keys, int64_t width)
{
    char *buf = calloc(1, 128 * (size_t)n + 1);
    int64_t *t = malloc(sizeof(*t) * (size_t)n);
    for (int k = 0; k < keys; k++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", k);
        int m = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(in[i].key, key))
                t[m++] = in[i].ts;
        qsort(t, (size_t)m, sizeof(*t), cmp_ts);
        oracle(key, t, m, width, buf);
    }
    free(t);
    char *sorted = wt_sorted(buf);
    free(buf);
    return sorted;
}

void wt_check_random(wt_make_fn *make, wt_oracle_fn *oracle, int64_t width,
                     int n, int engine)
{
    enum {
        KEYS = 3
    };
    const int64_t grace[] = {0, 7, 40};
    wt_rec_t *in = calloc((size_t)n, sizeof(*in));
    for (unsigned seed = 1; seed <= 3; seed++) {
        wt_random_input(seed, n, KEYS, grace[seed - 1], in);
        weir_test_driver_t *drv = wt_driver(make(width, grace[seed - 1]),
                                            engine);
        for (int i = 0; i < n; i++)
            wt_pipe(drv, in[i].key, "v", in[i].ts);
        wt_pipe(drv, "flush", "v", 1000000);
        ck_assert_int_eq(weir_test_driver_dropped(drv, "late"), 0);
        char *got = wt_sorted(wt_results(drv, true));
        char *want = oracle_results(oracle, in, n, KEYS, width);
        wt_assert_same(got, want);
        free(got);
        free(want);
        weir_test_driver_destroy(drv);
        wt_teardown(); /* the next windows want a store of their own */
        wt_setup();
    }
    free(in);
}
