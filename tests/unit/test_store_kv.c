/*
 * test_store_kv.c: key-value store behaviour, the same for every engine.
 *
 * Each test is a loop test over the engines (memory, RocksDB): _i picks
 * the engine, so both are held to one set of expectations.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include "alloc_int.h"
#include "test_store_common.h"
#include "test_store_engines.h"

START_TEST(test_store_kv_put_get_overwrite_delete)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "counts");
    ck_assert_str_eq(weir_kv_store_name(kv), "counts");
    assert_get(kv, "a", NULL);
    put_s(kv, "a", "1");
    assert_get(kv, "a", "1");
    put_s(kv, "a", "22");
    assert_get(kv, "a", "22");
    OK(weir_kv_store_delete(kv, "a", 1));
    assert_get(kv, "a", NULL);
    /* Deleting a missing key is not an error. */
    OK(weir_kv_store_delete(kv, "zz", 2));
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_empty_value_and_empty_key_are_data)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "empties");
    OK(weir_kv_store_put(kv, "e", 1, NULL, 0));
    OK(weir_kv_store_put(kv, "", 0, "root", 4));
    void *v;
    size_t vl;
    bool found;
    OK(weir_kv_store_get(kv, "e", 1, &v, &vl, &found));
    ck_assert(found);
    ck_assert_uint_eq(vl, 0);
    weir_free(v);
    OK(weir_kv_store_get(kv, "", 0, &v, &vl, &found));
    ck_assert(found);
    ck_assert_uint_eq(vl, 4);
    weir_free(v);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "=root,e=");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_order_is_bytewise_shorter_first)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "order");
    const char *keys[] = {"b", "ab", "a", "abc", "B", "aa"};
    for (size_t i = 0; i < 6; i++)
        put_s(kv, keys[i], "x");
    /* High bytes sort after ASCII (unsigned comparison). */
    OK(weir_kv_store_put(kv, "\xff", 1, "h", 1));
    OK(weir_kv_store_put(kv, "a\x00", 2, "z", 1));
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    const char *expect[] = {"B", "a", "a\x00", "aa", "ab", "abc", "b", "\xff"};
    size_t elen[] = {1, 1, 2, 2, 2, 3, 1, 1};
    for (size_t i = 0; i < 8; i++) {
        ck_assert(weir_kv_iter_valid(it));
        size_t kl;
        const void *k = weir_kv_iter_key(it, &kl);
        ck_assert_uint_eq(kl, elen[i]);
        ck_assert(!memcmp(k, expect[i], kl));
        weir_kv_iter_next(it);
    }
    ck_assert(!weir_kv_iter_valid(it));
    weir_kv_iter_close(it);
    uint64_t count;
    OK(weir_kv_store_approximate_count(kv, &count));
    if (_i == ENGINE_MEMORY)
        ck_assert_uint_eq(count, 8);
    else
        ck_assert_uint_ge(count, 1);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_range_bounds)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "ranges");
    const char *keys[] = {"a", "b", "c", "d", "e"};
    for (size_t i = 0; i < 5; i++)
        put_s(kv, keys[i], keys[i]);
    weir_kv_iter_t *it;
    OK(weir_kv_store_range(kv, "b", 1, true, "d", 1, true, &it));
    assert_iter(it, "b=b,c=c,d=d");
    OK(weir_kv_store_range(kv, "b", 1, false, "d", 1, false, &it));
    assert_iter(it, "c=c");
    OK(weir_kv_store_range(kv, "bb", 2, true, "dd", 2, false, &it));
    assert_iter(it, "c=c,d=d");
    OK(weir_kv_store_range(kv, NULL, 0, true, "b", 1, true, &it));
    assert_iter(it, "a=a,b=b");
    OK(weir_kv_store_range(kv, "d", 1, true, NULL, 0, false, &it));
    assert_iter(it, "d=d,e=e");
    /* Empty and inverted ranges. */
    OK(weir_kv_store_range(kv, "x", 1, true, NULL, 0, false, &it));
    assert_iter(it, "");
    OK(weir_kv_store_range(kv, "d", 1, true, "b", 1, true, &it));
    assert_iter(it, "");
    OK(weir_kv_store_range(kv, "c", 1, false, "c", 1, true, &it));
    assert_iter(it, "");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_prefix_scan)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "prefixes");
    put_s(kv, "user-1", "1");
    put_s(kv, "user-10", "10");
    put_s(kv, "user-2", "2");
    put_s(kv, "user", "u");
    put_s(kv, "usf", "x");
    put_s(kv, "usd", "y");
    OK(weir_kv_store_put(kv, "\xff\xff", 2, "f", 1));
    OK(weir_kv_store_put(kv, "\xff\xff\x01", 3, "g", 1));
    OK(weir_kv_store_put(kv, "\xfe", 1, "e", 1));
    weir_kv_iter_t *it;
    OK(weir_kv_store_prefix_scan(kv, "user-1", 6, &it));
    assert_iter(it, "user-1=1,user-10=10");
    OK(weir_kv_store_prefix_scan(kv, "user", 4, &it));
    assert_iter(it, "user=u,user-1=1,user-10=10,user-2=2");
    OK(weir_kv_store_prefix_scan(kv, "nope", 4, &it));
    assert_iter(it, "");
    /* A prefix of 0xff bytes has no successor: scan to the end. */
    OK(weir_kv_store_prefix_scan(kv, "\xff", 1, &it));
    int n = 0;
    while (weir_kv_iter_valid(it)) {
        n++;
        weir_kv_iter_next(it);
    }
    weir_kv_iter_close(it);
    ck_assert_int_eq(n, 2);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_iterator_survives_writes)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "mutating");
    put_s(kv, "a", "1");
    put_s(kv, "b", "2");
    put_s(kv, "c", "3");
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    ck_assert(weir_kv_iter_valid(it));
    /* Delete the current key and overwrite the next one while iterating:
     * the current entry stays readable and iteration goes on. */
    OK(weir_kv_store_delete(kv, "a", 1));
    size_t kl, vl;
    const char *k = weir_kv_iter_key(it, &kl);
    const char *v = weir_kv_iter_value(it, &vl);
    ck_assert(kl == 1 && k[0] == 'a' && vl == 1 && v[0] == '1');
    weir_kv_iter_next(it);
    ck_assert(weir_kv_iter_valid(it));
    k = weir_kv_iter_key(it, &kl);
    ck_assert(kl == 1 && k[0] == 'b');
    weir_kv_iter_next(it);
    weir_kv_iter_next(it);
    ck_assert(!weir_kv_iter_valid(it));
    /* next() past the end is harmless. */
    weir_kv_iter_next(it);
    ck_assert(!weir_kv_iter_valid(it));
    ck_assert_ptr_null(weir_kv_iter_key(it, &kl));
    weir_kv_iter_close(it);
    weir_kv_iter_close(NULL);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_transaction_abort_discards)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "txn");
    put_s(kv, "keep", "1");
    put_s(kv, "gone", "2");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 5));
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    ck_assert(weir_store_in_transaction(weir_kv_store_as_store(kv)));
    FAILS(weir_store_begin(weir_kv_store_as_store(kv)), WEIR_ERR_STATE);
    put_s(kv, "keep", "changed");
    put_s(kv, "keep", "changed twice");
    put_s(kv, "new", "3");
    OK(weir_kv_store_delete(kv, "gone", 4));
    /* Reads and iterators see the pending writes. */
    assert_get(kv, "keep", "changed twice");
    assert_get(kv, "gone", NULL);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    /* Commit and abort refuse while an iterator is open. */
    FAILS(weir_store_commit(weir_kv_store_as_store(kv), 6), WEIR_ERR_STATE);
    FAILS(weir_store_abort(weir_kv_store_as_store(kv)), WEIR_ERR_STATE);
    assert_iter(it, "keep=changed twice,new=3");
    OK(weir_store_abort(weir_kv_store_as_store(kv)));
    ck_assert(!weir_store_in_transaction(weir_kv_store_as_store(kv)));
    assert_get(kv, "keep", "1");
    assert_get(kv, "gone", "2");
    assert_get(kv, "new", NULL);
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "gone=2,keep=1");
    int64_t pos;
    bool found;
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(found);
    ck_assert_int_eq(pos, 5);
    FAILS(weir_store_abort(weir_kv_store_as_store(kv)), WEIR_ERR_STATE);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_transaction_commit_sets_position)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "txn");
    int64_t pos;
    bool found;
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(!found);
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "a", "1");
    put_s(kv, "b", "2");
    OK(weir_kv_store_delete(kv, "b", 1));
    OK(weir_store_commit(weir_kv_store_as_store(kv), 42));
    ck_assert(!weir_store_in_transaction(weir_kv_store_as_store(kv)));
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(found);
    ck_assert_int_eq(pos, 42);
    FAILS(weir_store_commit(weir_kv_store_as_store(kv), -2),
          WEIR_ERR_INVALID_ARG);
    /* No new position: the data commits, the position stays. */
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "np", "1");
    OK(weir_store_commit(weir_kv_store_as_store(kv), WEIR_STORE_NO_POSITION));
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(found);
    ck_assert_int_eq(pos, 42);
    assert_get(kv, "np", "1");
    /* A second transaction that aborts leaves the first one's data. */
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    OK(weir_kv_store_delete(kv, "a", 1));
    OK(weir_store_abort(weir_kv_store_as_store(kv)));
    assert_get(kv, "a", "1");
    assert_get(kv, "b", NULL);
    /* Destroying with an open transaction aborts it (no leak, no crash). */
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "c", "3");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_changelog_records_each_write)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "logged");
    sink_log_t log = {0};
    weir_store_set_changelog(weir_kv_store_as_store(kv), &test_sink, &log);
    put_s(kv, "k", "v");
    OK(weir_kv_store_delete(kv, "k", 1));
    ck_assert_int_eq(log.n, 2);
    ck_assert_str_eq(log.recs[0].store, "logged");
    ck_assert(log.recs[0].klen == 1 && log.recs[0].key[0] == 'k');
    ck_assert(!log.recs[0].tombstone && log.recs[0].vlen == 1);
    ck_assert(log.recs[1].tombstone);
    /* A failing sink fails the write, naming the store. */
    log.fail = true;
    weir_error_t *err = weir_kv_store_put(kv, "x", 1, "y", 1);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_KAFKA);
    ck_assert(strstr(weir_error_string(err), "logged"));
    weir_error_destroy(err);
    /* Restored records do not go back to the changelog. */
    log.fail = false;
    log.n = 0;
    weir_changelog_record_t rec = crec("r", 1, "1", 1);
    OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 1, NULL, NULL));
    OK(weir_store_restore_apply(weir_kv_store_as_store(kv), &rec, 1, 10));
    OK(weir_store_restore_end(weir_kv_store_as_store(kv)));
    ck_assert_int_eq(log.n, 0);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

typedef struct progress_s {
    int calls;
    uint64_t done, total;
    char store[32];
} progress_t;

static void on_progress(void *opaque, const char *store, uint64_t done,
                        uint64_t total, double rate)
{
    progress_t *p = opaque;
    p->calls++;
    p->done = done;
    p->total = total;
    ck_assert(rate >= 0);
    snprintf(p->store, sizeof(p->store), "%s", store);
}

START_TEST(test_store_kv_restore_applies_in_order)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "restored");
    put_s(kv, "stale", "x");
    progress_t prog = {0};
    OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 5, on_progress,
                                &prog));
    FAILS(weir_store_begin(weir_kv_store_as_store(kv)), WEIR_ERR_STATE);
    weir_changelog_record_t recs[] = {
        crec("a", 1, "1", 1),      crec("b", 1, "2", 1),
        crec("a", 1, "3", 1),      /* later record wins */
        crec("stale", 5, NULL, 0), /* tombstone */
        crec("c", 1, "", 0),
    };
    OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 3, 103));
    OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs + 3, 2, 105));
    OK(weir_store_restore_end(weir_kv_store_as_store(kv)));
    FAILS(weir_store_restore_end(weir_kv_store_as_store(kv)), WEIR_ERR_STATE);
    FAILS(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 1, 1),
          WEIR_ERR_STATE);
    ck_assert_int_ge(prog.calls, 1);
    ck_assert_uint_eq(prog.done, 5);
    ck_assert_uint_eq(prog.total, 5);
    ck_assert_str_eq(prog.store, "restored");
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "a=3,b=2,c=");
    int64_t pos;
    bool found;
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(found);
    ck_assert_int_eq(pos, 105);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_kv_rejects_null_key_with_length)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "args");
    FAILS(weir_kv_store_put(kv, NULL, 3, "v", 1), WEIR_ERR_INVALID_ARG);
    FAILS(weir_kv_store_put(kv, "k", 1, NULL, 3), WEIR_ERR_INVALID_ARG);
    FAILS(weir_kv_store_delete(kv, NULL, 1), WEIR_ERR_INVALID_ARG);
    void *v;
    size_t vl;
    bool found;
    FAILS(weir_kv_store_get(kv, NULL, 2, &v, &vl, &found),
          WEIR_ERR_INVALID_ARG);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/*
 * Random operations against a model (a sorted array of 64 possible keys),
 * with transactions that commit or abort: gets, full scans and range scans
 * must always match.
 */
START_TEST(test_store_kv_random_ops_match_model)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "model");
    int model[64], saved[64];
    for (int k = 0; k < 64; k++)
        model[k] = -1;
    unsigned seed = 12345;
    bool txn = false;
    for (int step = 0; step < 4000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 8) % 100;
        int k = (int)((seed >> 16) % 64);
        char key[8];
        snprintf(key, sizeof(key), "k%02d", k);
        if (r < 45) {
            char val[16];
            snprintf(val, sizeof(val), "%d", step);
            put_s(kv, key, val);
            model[k] = step;
        } else if (r < 70) {
            OK(weir_kv_store_delete(kv, key, strlen(key)));
            model[k] = -1;
        } else if (r < 80) {
            char *v = get_s(kv, key);
            if (model[k] < 0) {
                ck_assert_ptr_null(v);
            } else {
                ck_assert_ptr_nonnull(v);
                ck_assert_int_eq(atoi(v), model[k]);
            }
            free(v);
        } else if (r < 90) {
            int lo = k, hi = (k + 17) % 64;
            char from[8], to[8];
            snprintf(from, sizeof(from), "k%02d", lo);
            snprintf(to, sizeof(to), "k%02d", hi);
            weir_kv_iter_t *it;
            OK(weir_kv_store_range(kv, from, 3, true, to, 3, false, &it));
            int expect = lo;
            while (weir_kv_iter_valid(it)) {
                while (expect < hi && model[expect] < 0)
                    expect++;
                ck_assert_int_lt(expect, hi);
                size_t kl, vl;
                const char *ik = weir_kv_iter_key(it, &kl);
                const char *iv = weir_kv_iter_value(it, &vl);
                /* Neither key nor value is NUL-terminated. */
                char buf[16], kbuf[16];
                snprintf(buf, sizeof(buf), "%.*s", (int)vl, iv);
                snprintf(kbuf, sizeof(kbuf), "%.*s", (int)kl, ik);
                ck_assert_int_eq(atoi(kbuf + 1), expect);
                ck_assert_int_eq(atoi(buf), model[expect]);
                expect++;
                weir_kv_iter_next(it);
            }
            while (expect < hi && model[expect] < 0)
                expect++;
            ck_assert_int_ge(expect, hi);
            weir_kv_iter_close(it);
        } else if (r < 95) {
            if (!txn) {
                OK(weir_store_begin(weir_kv_store_as_store(kv)));
                memcpy(saved, model, sizeof(model));
                txn = true;
            } else {
                OK(weir_store_commit(weir_kv_store_as_store(kv), step));
                txn = false;
            }
        } else if (txn) {
            OK(weir_store_abort(weir_kv_store_as_store(kv)));
            memcpy(model, saved, sizeof(model));
            txn = false;
        }
    }
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

enum {
    MODEL_KEYS = 3000
};

/* A restore of @p batches batches of 500 random records over keys
 * [band_start, band_start + band) (mod MODEL_KEYS, the start moving by
 * @p step per batch), a third of them tombstones, kept in @p model. The
 * memory engine must answer gets for what it restored so far. */
static void restore_random(int engine, weir_kv_store_t *kv, int *model,
                           unsigned *seed, int64_t *offset, int batches,
                           unsigned band, unsigned step)
{
    weir_store_t *st = weir_kv_store_as_store(kv);
    OK(weir_store_restore_begin(st, 0, NULL, NULL));
    for (int batch = 0; batch < batches; batch++) {
        weir_changelog_record_t recs[500];
        char keys[500][8], vals[500][16];
        for (int i = 0; i < 500; i++) {
            *seed = *seed * 1103515245u + 12345u;
            int k = (int)(((*seed >> 8) % band + (unsigned)batch * step) %
                          MODEL_KEYS);
            bool del = (*seed >> 20) % 3 == 0;
            snprintf(keys[i], sizeof(keys[i]), "k%04d", k);
            snprintf(vals[i], sizeof(vals[i]), "%" PRId64, *offset);
            recs[i] = crec(keys[i], 5, del ? NULL : vals[i],
                           del ? 0 : strlen(vals[i]));
            model[k] = del ? -1 : (int)*offset;
            (*offset)++;
        }
        OK(weir_store_restore_apply(st, recs, 500, *offset));
        /* The memory engine's pending nodes are in its index; RocksDB
         * buffers restored rows until it ingests a table. */
        if (engine == ENGINE_MEMORY) {
            char *v = get_s(kv, keys[499]);
            ck_assert(model[atoi(keys[499] + 1)] < 0 ? !v : v != NULL);
            free(v);
        }
    }
    OK(weir_store_restore_end(st));
}

/*
 * Restore batches with repeated keys and tombstones, then random writes,
 * over thousands of keys (the memory engine's hash index grows, wraps
 * and shifts entries back on deletes): every get and a full scan match a
 * model.
 */
START_TEST(test_store_kv_restore_batches_and_writes_match_model)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "big-model");
    weir_store_t *st = weir_kv_store_as_store(kv);
    static int model[MODEL_KEYS];
    for (int k = 0; k < MODEL_KEYS; k++)
        model[k] = -1;
    unsigned seed = 777;
    int64_t offset = 0;
    /* A narrow band per batch: many repeats inside a batch. */
    restore_random(_i, kv, model, &seed, &offset, 20, 400, 150);
    for (int step = 0; step < 30000; step++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % MODEL_KEYS);
        char key[8];
        snprintf(key, sizeof(key), "k%04d", k);
        unsigned r = (seed >> 20) % 10;
        if (r < 4) {
            char val[16];
            snprintf(val, sizeof(val), "%d", 1000000 + step);
            put_s(kv, key, val);
            model[k] = 1000000 + step;
        } else if (r < 7) {
            OK(weir_kv_store_delete(kv, key, 5));
            model[k] = -1;
        } else {
            char *v = get_s(kv, key);
            if (model[k] < 0)
                ck_assert_msg(!v, "%s: expected absent, got %s", key, v);
            else
                ck_assert_msg(v && atoi(v) == model[k], "%s: expected %d", key,
                              model[k]);
            free(v);
        }
    }
    /* A second restore over linked keys: overwrites, deletes of linked
     * and of newly restored keys, keys coming back. */
    restore_random(_i, kv, model, &seed, &offset, 8, MODEL_KEYS, 0);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    int expect = 0;
    for (; weir_kv_iter_valid(it); weir_kv_iter_next(it), expect++) {
        while (expect < MODEL_KEYS && model[expect] < 0)
            expect++;
        ck_assert_int_lt(expect, MODEL_KEYS);
        size_t kl, vl;
        const char *ik = weir_kv_iter_key(it, &kl);
        const char *iv = weir_kv_iter_value(it, &vl);
        char kbuf[16], vbuf[24];
        snprintf(kbuf, sizeof(kbuf), "%.*s", (int)kl, ik);
        snprintf(vbuf, sizeof(vbuf), "%.*s", (int)vl, iv);
        ck_assert_int_eq(atoi(kbuf + 1), expect);
        ck_assert_int_eq(atoi(vbuf), model[expect]);
    }
    while (expect < MODEL_KEYS && model[expect] < 0)
        expect++;
    ck_assert_int_eq(expect, MODEL_KEYS);
    weir_kv_iter_close(it);
    uint64_t count = 0, live = 0;
    for (int k = 0; k < MODEL_KEYS; k++)
        live += model[k] >= 0;
    OK(weir_kv_store_approximate_count(kv, &count));
    if (_i == ENGINE_MEMORY) /* RocksDB's count is an estimate */
        ck_assert_uint_eq(count, live);
    weir_store_destroy(st);
}
END_TEST

/*
 * Every allocation of the in-memory engine can fail: each failure must be
 * reported as WEIR_ERR_NOMEM (or leave the operation undone), never crash
 * or leak (the ASan build checks the leaks), and the store must stay
 * consistent: after the hook is off, an abort restores the committed data.
 */
START_TEST(test_store_kv_memory_allocation_failures_are_clean)
{
    for (long n = 0; n < 120; n++) {
        weir_error_t *err = NULL;
        weir__alloc_fail_after(n);
        weir_kv_store_t *kv = weir_kv_store_memory_new("nomem", &err);
        if (!kv) {
            weir__alloc_fail_after(-1);
            ck_assert_int_eq(weir_error_code(err), WEIR_ERR_NOMEM);
            weir_error_destroy(err);
            continue;
        }
        weir__alloc_fail_after(-1);
        put_s(kv, "base", "1");
        weir__alloc_fail_after(n);
        bool txn = !(err = weir_store_begin(weir_kv_store_as_store(kv)));
        weir_error_destroy(err);
        for (int i = 0; i < 8; i++) {
            char k[8];
            snprintf(k, sizeof(k), "k%d", i);
            err = weir_kv_store_put(kv, k, strlen(k), "v", 1);
            ck_assert(!err || weir_error_code(err) == WEIR_ERR_NOMEM);
            weir_error_destroy(err);
        }
        err = weir_kv_store_delete(kv, "base", 4);
        ck_assert(!err || weir_error_code(err) == WEIR_ERR_NOMEM);
        weir_error_destroy(err);
        weir_kv_iter_t *it = NULL;
        err = weir_kv_store_all(kv, &it);
        ck_assert(!err || weir_error_code(err) == WEIR_ERR_NOMEM);
        weir_error_destroy(err);
        while (it && weir_kv_iter_valid(it))
            weir_kv_iter_next(it);
        weir_kv_iter_close(it);
        weir__alloc_fail_after(-1);
        if (txn) {
            OK(weir_store_abort(weir_kv_store_as_store(kv)));
            weir_kv_iter_t *all;
            OK(weir_kv_store_all(kv, &all));
            assert_iter(all, "base=1");
        }
        weir_store_destroy(weir_kv_store_as_store(kv));
    }
}
END_TEST

START_TEST(test_store_kv_query_sees_committed_data_only)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "queried");
    put_s(kv, "a", "1");
    put_s(kv, "c", "3");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 1));
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "a", "2");
    put_s(kv, "b", "new");
    OK(weir_kv_store_delete(kv, "c", 1));
    assert_get(kv, "a", "2");
    void *v;
    size_t vl;
    bool found;
    OK(weir_kv_store_query_get(kv, "a", 1, &v, &vl, &found));
    ck_assert(found && vl == 1 && !memcmp(v, "1", 1));
    weir_free(v);
    OK(weir_kv_store_query_get(kv, "b", 1, &v, &vl, &found));
    ck_assert(!found && !v);
    OK(weir_kv_store_query_get(kv, "c", 1, &v, &vl, &found));
    ck_assert(found && vl == 1 && !memcmp(v, "3", 1));
    weir_free(v);
    weir_kv_iter_t *q;
    OK(weir_kv_store_query_range(kv, NULL, 0, true, NULL, 0, false, &q));
    /* A query iterator does not hold up the owner's commit. */
    OK(weir_store_commit(weir_kv_store_as_store(kv), 2));
    assert_iter(q, "a=1,c=3");
    OK(weir_kv_store_query_range(kv, "b", 1, true, "c", 1, true, &q));
    assert_iter(q, "b=new");
    OK(weir_kv_store_query_get(kv, "c", 1, &v, &vl, &found));
    ck_assert(!found);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

typedef struct hammer_s {
    weir_kv_store_t *kv;
    volatile int stop;
    long checks;
    char failure[128];
} hammer_t;

/* Reads x and y, which every transaction sets to the same value. */
static void *hammer_queries(void *arg)
{
    hammer_t *h = arg;
    while (!h->stop && !h->failure[0]) {
        weir_kv_iter_t *it = NULL;
        weir_error_t *err = weir_kv_store_query_range(h->kv, "x", 1, true, "y",
                                                      1, true, &it);
        if (err) {
            snprintf(h->failure, sizeof(h->failure), "%s",
                     weir_error_string(err));
            weir_error_destroy(err);
            break;
        }
        char vals[2][16] = {"", ""};
        int n = 0;
        for (; weir_kv_iter_valid(it) && n < 2; weir_kv_iter_next(it), n++) {
            size_t vl;
            const char *v = weir_kv_iter_value(it, &vl);
            snprintf(vals[n], sizeof(vals[n]), "%.*s", (int)vl, v);
        }
        weir_kv_iter_close(it);
        if (n == 1 || (n == 2 && strcmp(vals[0], vals[1])))
            snprintf(h->failure, sizeof(h->failure),
                     "torn read: %d keys, x=%s y=%s", n, vals[0], vals[1]);
        void *v;
        size_t vl;
        bool found;
        err = weir_kv_store_query_get(h->kv, "x", 1, &v, &vl, &found);
        weir_error_destroy(err);
        weir_free(v);
        h->checks++;
    }
    return NULL;
}

/* Queries from another thread while the owner commits transactions. */
START_TEST(test_store_kv_query_from_another_thread_never_tears)
{
    hammer_t h = {0};
    h.kv = engine_kv_open(_i, "hammered");
    pthread_t tid;
    ck_assert_int_eq(pthread_create(&tid, NULL, hammer_queries, &h), 0);
    for (int i = 0; i < 3000 && !h.failure[0]; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        OK(weir_store_begin(weir_kv_store_as_store(h.kv)));
        put_s(h.kv, "x", v);
        put_s(h.kv, "filler", v);
        put_s(h.kv, "y", v);
        if (i % 7 == 3) {
            OK(weir_store_abort(weir_kv_store_as_store(h.kv)));
        } else {
            OK(weir_store_commit(weir_kv_store_as_store(h.kv), i + 1));
        }
    }
    h.stop = 1;
    pthread_join(tid, NULL);
    ck_assert_msg(!h.failure[0], "%s", h.failure);
    ck_assert_int_gt(h.checks, 0);
    weir_store_destroy(weir_kv_store_as_store(h.kv));
}
END_TEST

/*
 * Inside a transaction both engines let a processor write while it
 * iterates and see those writes: a key put ahead of the iterator shows up,
 * a key deleted ahead of it does not (RocksDB re-seeks its merged
 * iterator when the batch changes under it).
 */
START_TEST(test_store_kv_iterator_in_transaction_sees_own_writes)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "itxn");
    put_s(kv, "a", "1");
    put_s(kv, "c", "3");
    put_s(kv, "e", "5");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 1));
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    char out[256] = "";
    size_t n = 0;
    while (weir_kv_iter_valid(it)) {
        size_t kl, vl;
        const char *k = weir_kv_iter_key(it, &kl);
        const char *v = weir_kv_iter_value(it, &vl);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s=%.*s",
                              n ? "," : "", (int)kl, k, (int)vl, v);
        if (kl == 1 && k[0] == 'a') {
            put_s(kv, "b", "2");                  /* ahead: must be seen */
            OK(weir_kv_store_delete(kv, "c", 1)); /* ahead: must vanish */
            put_s(kv, "a", "overwritten");        /* current: already read */
            put_s(kv, "d", "4");
        }
        weir_kv_iter_next(it);
    }
    ck_assert_ptr_null(weir_kv_iter_error(it));
    weir_kv_iter_close(it);
    ck_assert_str_eq(out, "a=1,b=2,d=4,e=5");
    OK(weir_store_abort(weir_kv_store_as_store(kv)));
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "a=1,c=3,e=5");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

static Suite *store_kv_suite(void)
{
    Suite *s = suite_create("store_kv");
    TCase *tc = tcase_create("kv");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_loop_test(tc, test_store_kv_put_get_overwrite_delete, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_empty_value_and_empty_key_are_data,
                        0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_order_is_bytewise_shorter_first, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_range_bounds, 0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_prefix_scan, 0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_iterator_survives_writes, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc,
                        test_store_kv_iterator_in_transaction_sees_own_writes,
                        0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_rejects_null_key_with_length, 0,
                        ENGINE_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("transactions");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_loop_test(tc, test_store_kv_transaction_abort_discards, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_transaction_commit_sets_position, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_random_ops_match_model, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc,
                        test_store_kv_restore_batches_and_writes_match_model,
                        0, ENGINE_COUNT);
    tcase_add_test(tc, test_store_kv_memory_allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    tc = tcase_create("queries");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_loop_test(tc, test_store_kv_query_sees_committed_data_only, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc,
                        test_store_kv_query_from_another_thread_never_tears, 0,
                        ENGINE_COUNT);
    suite_add_tcase(s, tc);
    tc = tcase_create("changelog_restore");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_loop_test(tc, test_store_kv_changelog_records_each_write, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_kv_restore_applies_in_order, 0,
                        ENGINE_COUNT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_kv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
