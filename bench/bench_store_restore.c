/*
 * bench_store_restore.c: restore apply rate — changelog records applied
 * per second, 16-byte keys and 100-byte values, in batches of 10000 as a
 * consumer would hand them over, WAL off, then the final flush.
 *
 * The records are generated up front (the bench measures the store, not
 * Kafka). One thread: the figure is records per second per core. The
 * target from issue 4 is at least 1 M rec/s.
 *
 * Usage: bench_store_restore [records [rocksdb|memory]]
 *        (default 2000000 records, both stores)
 */
#include "bench_store_util.h"

#define BATCH 10000

typedef struct row_s {
    const char *name;
    double apply, total;
} row_t;

static void run(weir_kv_store_t *kv, uint64_t n, unsigned char *keys,
                unsigned char *vals, row_t *row)
{
    weir_store_t *store = weir_kv_store_as_store(kv);
    weir_changelog_record_t *recs = malloc(BATCH * sizeof(*recs));
    bench_ok(weir_store_restore_begin(store, n, NULL, NULL), "begin");
    double t0 = bench_now();
    for (uint64_t off = 0; off < n; off += BATCH) {
        size_t m = n - off < BATCH ? (size_t)(n - off) : BATCH;
        for (size_t j = 0; j < m; j++) {
            uint64_t i = off + j;
            recs[j] = (weir_changelog_record_t){
                .key = keys + i * KEY_LEN,
                .key_len = KEY_LEN,
                .val = vals + (i % 1024) * VAL_LEN,
                .val_len = VAL_LEN,
            };
        }
        bench_ok(weir_store_restore_apply(store, recs, m, (int64_t)(off + m)),
                 "apply");
    }
    double t1 = bench_now();
    bench_ok(weir_store_restore_end(store), "end");
    double t2 = bench_now();
    row->apply = (double)n / (t1 - t0);
    row->total = (double)n / (t2 - t0);
    free(recs);
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 2000000;
    unsigned char *keys = malloc(n * KEY_LEN + 1);
    unsigned char *vals = malloc(1024 * VAL_LEN);
    unsigned char k[KEY_LEN + 1];
    for (uint64_t i = 0; i < n; i++) {
        bench_key(k, i);
        memcpy(keys + i * KEY_LEN, k, KEY_LEN);
    }
    for (int i = 0; i < 1024; i++)
        bench_val(vals + i * VAL_LEN, (uint64_t)i);

    weir_error_t *err = NULL;
    weir_store_env_t *env = weir_store_env_new(256u << 20, &err);
    bench_ok(err, "env");
    char *dir = bench_dir_new("restore");
    weir_task_dir_t *td = weir_task_dir_open(env, dir, "bench", "0_0", &err);
    bench_ok(err, "task dir");

    const char *only = argc > 2 ? argv[2] : "";
    row_t rows[2] = {{"rocksdb (WAL off)", 0, 0}, {"memory", 0, 0}};
    weir_kv_store_t *kv;
    if (strcmp(only, "memory")) {
        kv = weir_kv_store_rocksdb_open(td, "restored", &err);
        bench_ok(err, "open");
        run(kv, n, keys, vals, &rows[0]);
        weir_store_destroy(weir_kv_store_as_store(kv));
    }
    if (strcmp(only, "rocksdb")) {
        kv = weir_kv_store_memory_new("restored", &err);
        bench_ok(err, "memory");
        run(kv, n, keys, vals, &rows[1]);
        weir_store_destroy(weir_kv_store_as_store(kv));
    }

    printf("\nrestore, %llu records, %d-byte keys, %d-byte values, "
           "batches of %d, 1 thread\n",
           (unsigned long long)n, KEY_LEN, VAL_LEN, BATCH);
    printf("| %-20s | %16s | %20s |\n", "store", "apply rec/s",
           "with final flush");
    printf("|%s|%s|%s|\n", "----------------------", "------------------",
           "----------------------");
    for (int i = 0; i < 2; i++)
        printf("| %-20s | %16.0f | %20.0f |\n", rows[i].name, rows[i].apply,
               rows[i].total);
    weir_task_dir_destroy(td);
    weir_store_env_destroy(env);
    bench_dir_rm(dir);
    free(keys);
    free(vals);
    return 0;
}
