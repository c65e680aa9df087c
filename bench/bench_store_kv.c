/*
 * bench_store_kv.c: puts/s and gets/s of the key-value stores, 1 M keys of
 * 16 bytes with 100-byte values, keys in scrambled order.
 *
 * Rows: RocksDB with transactions of 1000 writes (the exactly-once path:
 * WriteBatchWithIndex, one atomic write per commit), RocksDB writes
 * outside transactions (at-least-once: one WAL write per put), and the
 * in-memory store. Gets read every key once, in another scrambled order,
 * after the puts (a warm block cache, as for a task's hot state).
 *
 * Usage: bench_store_kv [keys]   (default 1000000)
 */
#include "bench_store_util.h"

typedef struct row_s {
    const char *name;
    double puts, gets;
} row_t;

static void run(weir_kv_store_t *kv, uint64_t n, int txn_size, row_t *row)
{
    weir_store_t *store = weir_kv_store_as_store(kv);
    unsigned char k[KEY_LEN + 1], v[VAL_LEN];
    double t0 = bench_now();
    for (uint64_t i = 0; i < n; i++) {
        if (txn_size && i % (uint64_t)txn_size == 0)
            bench_ok(weir_store_begin(store), "begin");
        bench_key(k, i);
        bench_val(v, i);
        bench_ok(weir_kv_store_put(kv, k, KEY_LEN, v, VAL_LEN), "put");
        if (txn_size && (i + 1) % (uint64_t)txn_size == 0)
            bench_ok(weir_store_commit(store, (int64_t)i + 1), "commit");
    }
    if (txn_size && weir_store_in_transaction(store))
        bench_ok(weir_store_commit(store, (int64_t)n), "commit");
    double t1 = bench_now();
    row->puts = (double)n / (t1 - t0);
    uint64_t found_n = 0;
    for (uint64_t i = 0; i < n; i++) {
        bench_key(k, (i * 7919) % n);
        void *val;
        size_t vl;
        bool found;
        bench_ok(weir_kv_store_get(kv, k, KEY_LEN, &val, &vl, &found), "get");
        found_n += found;
        weir_free(val);
    }
    row->gets = (double)n / (bench_now() - t1);
    if (found_n != n) {
        fprintf(stderr, "%s: %llu of %llu keys found\n", row->name,
                (unsigned long long)found_n, (unsigned long long)n);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    weir_error_t *err = NULL;
    weir_store_env_t *env = weir_store_env_new(256u << 20, &err);
    bench_ok(err, "env");
    char *dir = bench_dir_new("kv");
    weir_task_dir_t *td = weir_task_dir_open(env, dir, "bench", "0_0", &err);
    bench_ok(err, "task dir");

    row_t rows[3] = {{"rocksdb, txn of 1000", 0, 0},
                     {"rocksdb, no txn (WAL)", 0, 0},
                     {"memory", 0, 0}};
    weir_kv_store_t *kv = weir_kv_store_rocksdb_open(td, "txn", &err);
    bench_ok(err, "open");
    run(kv, n, 1000, &rows[0]);
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = weir_kv_store_rocksdb_open(td, "direct", &err);
    bench_ok(err, "open");
    run(kv, n, 0, &rows[1]);
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = weir_kv_store_memory_new("memory", &err);
    bench_ok(err, "memory");
    run(kv, n, 1000, &rows[2]);
    weir_store_destroy(weir_kv_store_as_store(kv));

    printf("\nkey-value store, %llu keys, %d-byte keys, %d-byte values\n",
           (unsigned long long)n, KEY_LEN, VAL_LEN);
    printf("| %-24s | %12s | %12s |\n", "store", "puts/s", "gets/s");
    printf("|%s|%s|%s|\n", "--------------------------", "--------------",
           "--------------");
    for (int i = 0; i < 3; i++)
        printf("| %-24s | %12.0f | %12.0f |\n", rows[i].name, rows[i].puts,
               rows[i].gets);
    weir_task_dir_destroy(td);
    weir_store_env_destroy(env);
    bench_dir_rm(dir);
    return 0;
}
