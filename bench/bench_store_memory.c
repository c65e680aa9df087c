/*
 * bench_store_memory.c: peak RSS with 64 RocksDB stores open and 10 M keys
 * in total (16-byte keys, 100-byte values: ~1.1 GiB of raw data) under a
 * 256 MiB statestore.memory.bytes.
 *
 * The 64 stores are spread over 8 task dirs, like a process holding 8
 * tasks of 8 stores each. Writes go round-robin in transactions of 1000
 * (the exactly-once path), then 200 k random gets (the data is 4x the
 * budget, so most of them read table files through the OS page cache).
 * The table shows the RSS before any store is opened (libraries,
 * allocator), the peak, the budget and the overhead above it; the shared
 * cache and write-buffer manager must keep the peak near budget + a fixed
 * overhead however many keys are written.
 *
 * Usage: bench_store_memory [total_keys] [budget_mib]
 */
#include "bench_store_util.h"

#define STORES 64
#define TASKS 8

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    uint64_t budget = (argc > 2 ? strtoull(argv[2], NULL, 10) : 256) << 20;
    double rss0 = bench_rss_mib();
    weir_error_t *err = NULL;
    weir_store_env_t *env = weir_store_env_new(budget, &err);
    bench_ok(err, "env");
    char *dir = bench_dir_new("memory");
    weir_task_dir_t *tds[TASKS];
    weir_kv_store_t *kvs[STORES];
    for (int t = 0; t < TASKS; t++) {
        char task[16];
        snprintf(task, sizeof(task), "0_%d", t);
        tds[t] = weir_task_dir_open(env, dir, "bench", task, &err);
        bench_ok(err, "task dir");
    }
    for (int s = 0; s < STORES; s++) {
        char name[16];
        snprintf(name, sizeof(name), "store-%02d", s);
        kvs[s] = weir_kv_store_rocksdb_open(tds[s % TASKS], name, &err);
        bench_ok(err, "open");
    }
    double rss_open = bench_rss_mib();
    unsigned char k[KEY_LEN + 1], v[VAL_LEN];
    double t0 = bench_now();
    uint64_t per_txn = 1000;
    for (uint64_t i = 0; i < n; i += per_txn) {
        weir_kv_store_t *kv = kvs[(i / per_txn) % STORES];
        weir_store_t *store = weir_kv_store_as_store(kv);
        bench_ok(weir_store_begin(store), "begin");
        for (uint64_t j = i; j < i + per_txn && j < n; j++) {
            bench_key(k, j);
            bench_val(v, j);
            bench_ok(weir_kv_store_put(kv, k, KEY_LEN, v, VAL_LEN), "put");
        }
        bench_ok(weir_store_commit(store, (int64_t)(i + per_txn)), "commit");
    }
    double t1 = bench_now();
    weir_store_memory_t m;
    weir_store_env_memory(env, &m);
    uint64_t found_n = 0, gets = n < 200000 ? n : 200000;
    for (uint64_t i = 0; i < gets; i++) {
        uint64_t j = (i * 104729) % n;
        bench_key(k, j);
        void *val;
        size_t vl;
        bool found;
        bench_ok(weir_kv_store_get(kvs[(j / per_txn) % STORES], k, KEY_LEN,
                                   &val, &vl, &found),
                 "get");
        found_n += found;
        weir_free(val);
    }
    double t2 = bench_now();
    if (found_n != gets) {
        fprintf(stderr, "only %llu of %llu keys found\n",
                (unsigned long long)found_n, (unsigned long long)gets);
        return 1;
    }
    weir_store_memory_t m2;
    weir_store_env_memory(env, &m2);
    double peak = bench_peak_rss_mib();
    double bmib = (double)budget / (1024.0 * 1024.0);

    printf("\nmemory: %d stores in %d task dirs, %llu keys (%d B + %d B), "
           "budget %.0f MiB\n",
           STORES, TASKS, (unsigned long long)n, KEY_LEN, VAL_LEN, bmib);
    printf("| %-34s | %12s |\n", "measure", "value");
    printf("|%s|%s|\n", "------------------------------------",
           "--------------");
    printf("| %-34s | %8.0f MiB |\n", "RSS before opening stores", rss0);
    printf("| %-34s | %8.0f MiB |\n", "RSS with 64 empty stores open",
           rss_open);
    printf("| %-34s | %8.0f MiB |\n", "peak RSS", peak);
    printf("| %-34s | %8.0f MiB |\n", "statestore.memory.bytes", bmib);
    printf("| %-34s | %8.0f MiB |\n", "peak RSS - budget", peak - bmib);
    printf("| %-34s | %8.0f MiB |\n", "block cache usage (after puts)",
           (double)m.cache_usage / 1048576.0);
    printf("| %-34s | %8.0f MiB |\n", "memtables (after puts)",
           (double)m.memtable_usage / 1048576.0);
    printf("| %-34s | %8.0f MiB |\n", "block cache usage (after gets)",
           (double)m2.cache_usage / 1048576.0);
    printf("| %-34s | %12.0f |\n", "puts/s (txn of 1000, 64 stores)",
           (double)n / (t1 - t0));
    printf("| %-34s | %12.0f |\n", "random gets/s", (double)gets / (t2 - t1));

    for (int s = 0; s < STORES; s++)
        weir_store_destroy(weir_kv_store_as_store(kvs[s]));
    for (int t = 0; t < TASKS; t++)
        weir_task_dir_destroy(tds[t]);
    weir_store_env_destroy(env);
    bench_dir_rm(dir);
    return 0;
}
