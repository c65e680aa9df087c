/*
 * test_store_window.c: window store behaviour, the same for every engine.
 */
#include <inttypes.h>
#include <stdio.h>

#include "test_store_common.h"
#include "test_store_engines.h"

static void wput(weir_window_store_t *ws, const char *k, int64_t t,
                 const char *v)
{
    OK(weir_window_store_put(ws, k, strlen(k), t, v, v ? strlen(v) : 0));
}

/* Drains a window iterator into "key@t=v,..." and closes it. */
static void assert_witer(weir_window_iter_t *it, const char *expect)
{
    char out[4096] = "";
    size_t n = 0;
    while (weir_window_iter_valid(it)) {
        size_t kl, vl;
        const char *k = weir_window_iter_key(it, &kl);
        const char *v = weir_window_iter_value(it, &vl);
        char kbuf[64];
        /* Show NUL bytes in keys as '0'. */
        for (size_t i = 0; i < kl && i < sizeof(kbuf) - 1; i++)
            kbuf[i] = k[i] ? k[i] : '0';
        kbuf[kl < sizeof(kbuf) - 1 ? kl : sizeof(kbuf) - 1] = 0;
        n += (size_t)snprintf(out + n, sizeof(out) - n,
                              "%s%s@%" PRId64 "=%.*s", n ? "," : "", kbuf,
                              weir_window_iter_window_start(it), (int)vl, v);
        weir_window_iter_next(it);
    }
    ck_assert_ptr_null(weir_window_iter_error(it));
    weir_window_iter_close(it);
    ck_assert_str_eq(out, expect);
}

START_TEST(test_store_window_put_get_fetch)
{
    weir_window_store_t *ws = engine_ws_open(_i, "clicks", 100000, 10000);
    ck_assert_str_eq(weir_window_store_name(ws), "clicks");
    ck_assert_int_eq(weir_window_store_observed_time(ws), INT64_MIN);
    wput(ws, "u1", 5000, "a");
    wput(ws, "u1", 0, "b");
    wput(ws, "u1", 25000, "c");
    wput(ws, "u2", 5000, "d");
    wput(ws, "u1", 15000, "e");
    void *v;
    size_t vl;
    bool found;
    OK(weir_window_store_get(ws, "u1", 2, 5000, &v, &vl, &found));
    ck_assert(found && vl == 1 && !memcmp(v, "a", 1));
    weir_free(v);
    OK(weir_window_store_get(ws, "u1", 2, 5001, &v, &vl, &found));
    ck_assert(!found);
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "u1", 2, 0, 30000, &it));
    assert_witer(it, "u1@0=b,u1@5000=a,u1@15000=e,u1@25000=c");
    OK(weir_window_store_fetch(ws, "u1", 2, 5000, 15000, &it));
    assert_witer(it, "u1@5000=a,u1@15000=e");
    OK(weir_window_store_fetch(ws, "u1", 2, 5001, 14999, &it));
    assert_witer(it, "");
    OK(weir_window_store_fetch(ws, "u3", 2, 0, INT64_MAX, &it));
    assert_witer(it, "");
    OK(weir_window_store_fetch(ws, "u1", 2, 30000, 0, &it));
    assert_witer(it, "");
    /* fetch_all: by segment, then key, then window start. */
    OK(weir_window_store_fetch_all(ws, 0, 20000, &it));
    assert_witer(it, "u1@0=b,u1@5000=a,u2@5000=d,u1@15000=e");
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "u1@0=b,u1@5000=a,u2@5000=d,u1@15000=e,u1@25000=c");
    /* A NULL value deletes the window. */
    wput(ws, "u1", 5000, NULL);
    OK(weir_window_store_fetch(ws, "u1", 2, 0, 10000, &it));
    assert_witer(it, "u1@0=b");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_prefix_keys_stay_apart)
{
    weir_window_store_t *ws = engine_ws_open(_i, "prefixes", 1000, 1000);
    OK(weir_window_store_put(ws, "a", 1, 10, "1", 1));
    OK(weir_window_store_put(ws, "a\0", 2, 10, "2", 1));
    OK(weir_window_store_put(ws, "ab", 2, 10, "3", 1));
    OK(weir_window_store_put(ws, "", 0, 10, "4", 1));
    OK(weir_window_store_put(ws, "a\0\xff", 3, 10, "5", 1));
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "a", 1, 0, 100, &it));
    assert_witer(it, "a@10=1");
    OK(weir_window_store_fetch(ws, "a\0", 2, 0, 100, &it));
    assert_witer(it, "a0@10=2");
    OK(weir_window_store_fetch(ws, "", 0, 0, 100, &it));
    assert_witer(it, "@10=4");
    /* Bytewise key order, shorter first, NUL bytes included. */
    OK(weir_window_store_fetch_all(ws, 0, 100, &it));
    assert_witer(it, "@10=4,a@10=1,a0@10=2,a0\xff@10=5,ab@10=3");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_negative_times_order_correctly)
{
    weir_window_store_t *ws = engine_ws_open(_i, "negative", 100000, 1000);
    wput(ws, "k", -1500, "a");
    wput(ws, "k", -1, "b");
    wput(ws, "k", 0, "c");
    wput(ws, "k", 999, "d");
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, -2000, 1000, &it));
    assert_witer(it, "k@-1500=a,k@-1=b,k@0=c,k@999=d");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_segments_expire_past_retention)
{
    /* Retention 30 s, segments of 10 s. */
    weir_window_store_t *ws = engine_ws_open(_i, "expiring", 30000, 10000);
    wput(ws, "k", 0, "0");
    wput(ws, "k", 10000, "10");
    wput(ws, "j", 5000, "j5");
    wput(ws, "k", 20000, "20");
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, 0, 100000, &it));
    assert_witer(it, "k@0=0,k@10000=10,k@20000=20");
    /* Observed time 35000: live from 5001; segment 0 (0..9999) goes. */
    wput(ws, "k", 35000, "35");
    ck_assert_int_eq(weir_window_store_observed_time(ws), 35000);
    OK(weir_window_store_fetch(ws, "k", 1, 0, 100000, &it));
    assert_witer(it, "k@10000=10,k@20000=20,k@35000=35");
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "k@10000=10,k@20000=20,k@35000=35");
    /* A put into an expired window is ignored and counted. */
    ck_assert_uint_eq(weir_window_store_expired_puts(ws), 0);
    wput(ws, "k", 5000, "late");
    ck_assert_uint_eq(weir_window_store_expired_puts(ws), 1);
    void *v;
    size_t vl;
    bool found;
    OK(weir_window_store_get(ws, "k", 1, 5000, &v, &vl, &found));
    ck_assert(!found);
    /* Windows past retention but in a live segment are hidden too. */
    wput(ws, "k", 40000, "40");
    OK(weir_window_store_get(ws, "k", 1, 10000, &v, &vl, &found));
    ck_assert(!found);
    OK(weir_window_store_fetch(ws, "k", 1, 0, 100000, &it));
    assert_witer(it, "k@20000=20,k@35000=35,k@40000=40");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_transaction_abort_restores_time_and_data)
{
    weir_window_store_t *ws = engine_ws_open(_i, "wtxn", 30000, 10000);
    wput(ws, "k", 1000, "a");
    OK(weir_store_commit(weir_window_store_as_store(ws), 7));
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    wput(ws, "k", 1000, "changed");
    wput(ws, "k", 100000, "far");
    ck_assert_int_eq(weir_window_store_observed_time(ws), 100000);
    /* Inside the transaction the old window is already expired. */
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, 0, INT64_MAX, &it));
    assert_witer(it, "k@100000=far");
    OK(weir_store_abort(weir_window_store_as_store(ws)));
    ck_assert_int_eq(weir_window_store_observed_time(ws), 1000);
    OK(weir_window_store_fetch(ws, "k", 1, 0, INT64_MAX, &it));
    assert_witer(it, "k@1000=a");
    /* Commit: data stays, the expired segment is dropped. */
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    wput(ws, "k", 100000, "far");
    OK(weir_store_commit(weir_window_store_as_store(ws), 9));
    int64_t pos;
    bool found;
    weir_store_position(weir_window_store_as_store(ws), &pos, &found);
    ck_assert(found && pos == 9);
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "k@100000=far");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_changelog_key_carries_window_start)
{
    weir_window_store_t *ws = engine_ws_open(_i, "wlog", 30000, 10000);
    sink_log_t log = {0};
    weir_store_set_changelog(weir_window_store_as_store(ws), &test_sink, &log);
    wput(ws, "user-1", 0x0102030405060708LL, "v");
    wput(ws, "user-1", 0x0102030405060708LL, NULL);
    ck_assert_int_eq(log.n, 2);
    ck_assert_str_eq(log.recs[0].store, "wlog");
    ck_assert_uint_eq(log.recs[0].klen, 6 + 8);
    ck_assert(!memcmp(log.recs[0].key,
                      "user-1\x01\x02\x03\x04\x05\x06\x07\x08", 14));
    ck_assert(log.recs[1].tombstone);
    const void *k;
    size_t kl;
    int64_t t;
    ck_assert(weir_window_changelog_key_decode(log.recs[0].key,
                                               log.recs[0].klen, &k, &kl, &t));
    ck_assert_uint_eq(kl, 6);
    ck_assert_int_eq(t, 0x0102030405060708LL);
    ck_assert(!weir_window_changelog_key_decode("short", 5, &k, &kl, &t));
    size_t clen;
    void *ck = weir_window_changelog_key_encode("x", 1, -2, &clen);
    ck_assert_uint_eq(clen, 9);
    ck_assert(weir_window_changelog_key_decode(ck, clen, &k, &kl, &t));
    ck_assert_int_eq(t, -2);
    weir_free(ck);
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_restore_rebuilds_and_skips_expired)
{
    weir_window_store_t *ws = engine_ws_open(_i, "wrestore", 30000, 10000);
    size_t l1, l2, l3, l4;
    void *k1 = weir_window_changelog_key_encode("a", 1, 1000, &l1);
    void *k2 = weir_window_changelog_key_encode("b", 1, 50000, &l2);
    void *k3 = weir_window_changelog_key_encode("a", 1, 45000, &l3);
    void *k4 = weir_window_changelog_key_encode("b", 1, 50000, &l4);
    weir_changelog_record_t recs[] = {
        crec(k1, l1, "old", 3),
        crec(k2, l2, "b1", 2),
        crec(k3, l3, "a45", 3),
        crec(k4, l4, "b2", 2),
    };
    OK(weir_store_restore_begin(weir_window_store_as_store(ws), 4, NULL,
                                NULL));
    OK(weir_store_restore_apply(weir_window_store_as_store(ws), recs, 4, 4));
    weir_changelog_record_t bad = crec("short", 5, "x", 1);
    FAILS(weir_store_restore_apply(weir_window_store_as_store(ws), &bad, 1, 5),
          WEIR_ERR_STORE_CORRUPT);
    OK(weir_store_restore_end(weir_window_store_as_store(ws)));
    ck_assert_int_eq(weir_window_store_observed_time(ws), 50000);
    weir_window_iter_t *it;
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "a@45000=a45,b@50000=b2");
    int64_t pos;
    bool found;
    weir_store_position(weir_window_store_as_store(ws), &pos, &found);
    ck_assert(found && pos == 4);
    weir_free(k1);
    weir_free(k2);
    weir_free(k3);
    weir_free(k4);
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_rejects_bad_segments)
{
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_window_store_memory_new("w", 1000, 0, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    ck_assert(strstr(weir_error_string(err), "w"));
    weir_error_destroy(err);
    ck_assert_ptr_null(weir_window_store_memory_new("w", 1000, 2000, &err));
    weir_error_destroy(err);
    weir_store_destroy(weir_window_store_as_store(NULL));
}
END_TEST

/*
 * Random puts, deletes, fetches and transactions against a model that
 * applies the documented retention rules (live windows start at
 * observed - retention + 1; puts into older windows are ignored; abort
 * returns to the committed observed time).
 */
#define MK 6
#define MT 64
START_TEST(test_store_window_random_ops_match_model)
{
    const int64_t retention = 200, segment = 50, step = 10;
    weir_window_store_t *ws = engine_ws_open(_i, "wmodel", retention, segment);
    int model[MK][MT], saved[MK][MT];
    int64_t observed = INT64_MIN, saved_observed = INT64_MIN;
    for (int k = 0; k < MK; k++)
        for (int t = 0; t < MT; t++)
            model[k][t] = -1;
    unsigned seed = 777;
    bool txn = false;
    int64_t cursor = 0; /* windows drift forward in time */
    for (int op = 0; op < 3000; op++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 8) % 100;
        int k = (int)((seed >> 12) % MK);
        if (op % 40 == 0 && cursor < MT - 1)
            cursor++;
        int lo = cursor - 25 < 0 ? 0 : (int)cursor - 25;
        int t = lo + (int)((seed >> 18) % (unsigned)(cursor - lo + 1));
        int64_t ts = (int64_t)t * step;
        int64_t min_live = observed == INT64_MIN ? INT64_MIN
                                                 : observed - retention + 1;
        char key[4] = {'k', (char)('0' + k), 0};
        if (r < 50) {
            char val[16];
            snprintf(val, sizeof(val), "%d", op);
            OK(weir_window_store_put(ws, key, 2, ts, val, strlen(val)));
            if (ts >= min_live) {
                model[k][t] = op;
                if (ts > observed)
                    observed = ts;
            }
        } else if (r < 60) {
            OK(weir_window_store_put(ws, key, 2, ts, NULL, 0));
            if (ts >= min_live) {
                model[k][t] = -1;
                if (ts > observed)
                    observed = ts;
            }
        } else if (r < 85) {
            min_live = observed == INT64_MIN ? INT64_MIN
                                             : observed - retention + 1;
            int64_t from = ts - 60, to = ts + 60;
            weir_window_iter_t *it;
            OK(weir_window_store_fetch(ws, key, 2, from, to, &it));
            for (int x = 0; x < MT; x++) {
                int64_t xt = (int64_t)x * step;
                if (xt < from || xt > to || xt < min_live || model[k][x] < 0)
                    continue;
                ck_assert_msg(weir_window_iter_valid(it),
                              "op %d: missing %s@%" PRId64, op, key, xt);
                ck_assert_int_eq(weir_window_iter_window_start(it), xt);
                size_t vl;
                const char *v = weir_window_iter_value(it, &vl);
                char buf[16];
                snprintf(buf, sizeof(buf), "%.*s", (int)vl, v);
                ck_assert_int_eq(atoi(buf), model[k][x]);
                weir_window_iter_next(it);
            }
            ck_assert_msg(!weir_window_iter_valid(it), "op %d: extra window",
                          op);
            weir_window_iter_close(it);
        } else if (r < 90) {
            /* fetch_all over everything: count live entries. */
            min_live = observed == INT64_MIN ? INT64_MIN
                                             : observed - retention + 1;
            int expect = 0;
            for (int a = 0; a < MK; a++)
                for (int x = 0; x < MT; x++)
                    if (model[a][x] >= 0 && (int64_t)x * step >= min_live)
                        expect++;
            weir_window_iter_t *it;
            OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
            int n = 0;
            while (weir_window_iter_valid(it)) {
                n++;
                weir_window_iter_next(it);
            }
            weir_window_iter_close(it);
            ck_assert_int_eq(n, expect);
        } else if (r < 96) {
            if (!txn) {
                OK(weir_store_begin(weir_window_store_as_store(ws)));
                memcpy(saved, model, sizeof(model));
                saved_observed = observed;
                txn = true;
            } else {
                OK(weir_store_commit(weir_window_store_as_store(ws), op));
                txn = false;
            }
        } else if (txn) {
            OK(weir_store_abort(weir_window_store_as_store(ws)));
            memcpy(model, saved, sizeof(model));
            observed = saved_observed;
            txn = false;
        }
        ck_assert_int_eq(weir_window_store_observed_time(ws), observed);
    }
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_query_sees_committed_windows)
{
    weir_window_store_t *ws = engine_ws_open(_i, "wquery", 1000, 100);
    wput(ws, "k", 100, "a");
    OK(weir_store_commit(weir_window_store_as_store(ws), 1));
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    wput(ws, "k", 100, "changed");
    wput(ws, "k", 200, "new");
    wput(ws, "j", 5000, "far"); /* expires k's windows inside the txn */
    weir_window_iter_t *it;
    OK(weir_window_store_query_fetch(ws, "k", 1, 0, 10000, &it));
    assert_witer(it, "k@100=a");
    OK(weir_window_store_query_fetch_all(ws, 0, 10000, &it));
    assert_witer(it, "k@100=a");
    OK(weir_window_store_fetch_all(ws, 0, 10000, &it));
    assert_witer(it, "j@5000=far");
    OK(weir_store_commit(weir_window_store_as_store(ws), 2));
    OK(weir_window_store_query_fetch_all(ws, 0, 10000, &it));
    assert_witer(it, "j@5000=far");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_window_owner_time_drives_expiry)
{
    weir_window_store_t *ws = engine_ws_open(_i, "owned", 2000, 500);
    weir_window_store_set_owner_time(ws, true);
    wput(ws, "k", 1000, "a");
    wput(ws, "k", 5000, "ahead");
    /* Puts do not move the time; windows ahead of it are visible. */
    ck_assert_int_eq(weir_window_store_observed_time(ws), INT64_MIN);
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, 0, INT64_MAX, &it));
    assert_witer(it, "k@1000=a,k@5000=ahead");
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "k@1000=a,k@5000=ahead");
    OK(weir_store_commit(weir_window_store_as_store(ws), 1));
    /* Advancing expires from the owner's time. */
    OK(weir_window_store_advance_time(ws, 3000));
    ck_assert_int_eq(weir_window_store_observed_time(ws), 3000);
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "k@5000=ahead");
    OK(weir_window_store_advance_time(ws, 100)); /* never back */
    ck_assert_int_eq(weir_window_store_observed_time(ws), 3000);
    wput(ws, "k", 900, "late");
    ck_assert_uint_eq(weir_window_store_expired_puts(ws), 1);
    /* Inside a transaction an advance is undone by abort. */
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    OK(weir_window_store_advance_time(ws, 9000));
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "");
    OK(weir_store_abort(weir_window_store_as_store(ws)));
    ck_assert_int_eq(weir_window_store_observed_time(ws), 3000);
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "k@5000=ahead");
    /* Restored records do not move owner time either. */
    size_t cl;
    void *ck = weir_window_changelog_key_encode("r", 1, 100000, &cl);
    weir_changelog_record_t rec = crec(ck, cl, "x", 1);
    OK(weir_store_restore_begin(weir_window_store_as_store(ws), 1, NULL,
                                NULL));
    OK(weir_store_restore_apply(weir_window_store_as_store(ws), &rec, 1, 7));
    OK(weir_store_restore_end(weir_window_store_as_store(ws)));
    weir_free(ck);
    ck_assert_int_eq(weir_window_store_observed_time(ws), 3000);
    OK(weir_window_store_fetch(ws, "r", 1, 0, INT64_MAX, &it));
    assert_witer(it, "r@100000=x");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

/* Segments far apart: a fetch seeks to the next non-empty segment. */
START_TEST(test_store_window_fetch_skips_empty_segments)
{
    weir_window_store_t *ws = engine_ws_open(_i, "sparse", 10, 1);
    weir_window_store_set_owner_time(ws, true);
    const int64_t far = INT64_C(1) << 50;
    wput(ws, "k", 5, "near");
    wput(ws, "k", far, "far");
    wput(ws, "j", far / 2, "mid");
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, 0, INT64_MAX, &it));
    assert_witer(it, "k@5=near,k@1125899906842624=far");
    OK(weir_window_store_fetch(ws, "j", 1, INT64_MIN, INT64_MAX, &it));
    assert_witer(it, "j@562949953421312=mid");
    OK(weir_window_store_fetch_all(ws, 0, INT64_MAX, &it));
    assert_witer(it, "k@5=near,j@562949953421312=mid,"
                     "k@1125899906842624=far");
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

/*
 * One lifecycle for both kinds: the same weir_store_* calls commit, abort
 * and report the position of a key-value and a window store, and the
 * conversions give NULL for the other kind.
 */
START_TEST(test_store_window_and_kv_share_one_lifecycle)
{
    weir_kv_store_t *kv = engine_kv_open(_i, "base-kv");
    weir_window_store_t *ws = engine_ws_open(_i, "base-ws", 1000, 100);
    weir_store_t *stores[2] = {weir_kv_store_as_store(kv),
                               weir_window_store_as_store(ws)};
    ck_assert_ptr_eq(weir_store_as_kv(stores[0]), kv);
    ck_assert_ptr_null(weir_store_as_window(stores[0]));
    ck_assert_ptr_eq(weir_store_as_window(stores[1]), ws);
    ck_assert_ptr_null(weir_store_as_kv(stores[1]));
    ck_assert_ptr_null(weir_kv_store_as_store(NULL));
    ck_assert_ptr_null(weir_window_store_as_store(NULL));
    ck_assert_ptr_null(weir_store_as_kv(NULL));
    ck_assert_str_eq(weir_store_name(stores[0]), "base-kv");
    ck_assert_str_eq(weir_store_name(stores[1]), "base-ws");
    for (int i = 0; i < 2; i++) {
        OK(weir_store_begin(stores[i]));
        ck_assert(weir_store_in_transaction(stores[i]));
        if (i == 0)
            put_s(kv, "k", "gone");
        else
            wput(ws, "k", 500, "gone");
        OK(weir_store_abort(stores[i]));
        OK(weir_store_begin(stores[i]));
        if (i == 0)
            put_s(kv, "k", "kept");
        else
            wput(ws, "k", 500, "kept");
        OK(weir_store_commit(stores[i], 7 + i));
        ck_assert(!weir_store_in_transaction(stores[i]));
        int64_t pos;
        bool found;
        weir_store_position(stores[i], &pos, &found);
        ck_assert(found);
        ck_assert_int_eq(pos, 7 + i);
        ck_assert(!weir_store_was_reset(stores[i]));
    }
    assert_get(kv, "k", "kept");
    weir_window_iter_t *it;
    OK(weir_window_store_fetch(ws, "k", 1, 0, 1000, &it));
    assert_witer(it, "k@500=kept");
    ck_assert_int_eq(weir_window_store_observed_time(ws), 500);
    weir_store_destroy(stores[0]);
    weir_store_destroy(stores[1]);
    weir_store_destroy(NULL);
}
END_TEST

static Suite *store_window_suite(void)
{
    Suite *s = suite_create("store_window");
    TCase *tc = tcase_create("window");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_loop_test(tc, test_store_window_put_get_fetch, 0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_prefix_keys_stay_apart, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_negative_times_order_correctly,
                        0, ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_segments_expire_past_retention,
                        0, ENGINE_COUNT);
    tcase_add_loop_test(
        tc, test_store_window_transaction_abort_restores_time_and_data, 0,
        ENGINE_COUNT);
    tcase_add_loop_test(tc,
                        test_store_window_changelog_key_carries_window_start,
                        0, ENGINE_COUNT);
    tcase_add_loop_test(tc,
                        test_store_window_restore_rebuilds_and_skips_expired,
                        0, ENGINE_COUNT);
    tcase_add_test(tc, test_store_window_rejects_bad_segments);
    tcase_add_loop_test(tc, test_store_window_query_sees_committed_windows, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_owner_time_drives_expiry, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_fetch_skips_empty_segments, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_random_ops_match_model, 0,
                        ENGINE_COUNT);
    tcase_add_loop_test(tc, test_store_window_and_kv_share_one_lifecycle, 0,
                        ENGINE_COUNT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_window_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
