/*
 * word_windows.c: the windowed word count workload (see word_windows.h).
 */
#include "word_windows.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "kafka_util.h"

static weir_error_t *word_as_key(void *ctx, const weir_record_t *rec,
                                 void **keyp, size_t *key_lenp)
{
    (void)ctx;
    *keyp = strndup(rec->value, rec->value_len);
    *key_lenp = rec->value_len;
    return *keyp ? NULL : weir_error_new(WEIR_ERR_NOMEM, "key");
}

weir_topology_t *ww_topology(const char *in, const char *out)
{
    weir_topology_t *topo = weir_topology_new();
    weir_kstream_t *words = weir_stream(topo, in, weir_serde_string(),
                                        weir_serde_string());
    weir_kstream_t *by_word = weir_kstream_select_key(words, word_as_key, NULL,
                                                      weir_serde_string());
    weir_kstream_t *counts = weir_kwindowed_count(
        weir_kgrouped_windowed_by(
            weir_kstream_group_by_key(by_word),
            weir_tumbling_windows(WW_WINDOW_MS, WW_GRACE_MS)),
        "counts");
    weir_kstream_to(counts, out, NULL, NULL);
    return topo;
}

void ww_produce(const ww_t *ww, const char *in, int from, int to, bool flush,
                int only)
{
    rd_kafka_t *rk = weir_test_producer();
    for (int i = from; i < to && i < ww_total(ww); i++) {
        int p = i < ww->records ? i % ww->partitions : ww->tail_partition;
        if (only >= 0 && p != only)
            continue;
        char word[16];
        snprintf(word, sizeof(word), "w%d", i % ww->words);
        weir_test_produce(rk, in, p, "k", word, strlen(word),
                          WW_BASE_MS + (int64_t)i * ww->step_ms);
    }
    for (int p = 0; flush && p < ww->partitions; p++)
        if (only < 0 || p == only)
            weir_test_produce(rk, in, p, "k", "flush", 5,
                              WW_BASE_MS + 1000LL * 3600 * 1000);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);
}

int ww_total(const ww_t *ww)
{
    return ww->records + ww->tail;
}

int64_t ww_last_time(const ww_t *ww)
{
    return WW_BASE_MS + (int64_t)(ww_total(ww) - 1) * ww->step_ms;
}

static int64_t expected_count(const ww_t *ww, int word, int64_t start)
{
    int64_t n = 0;
    for (int i = word; i < ww_total(ww); i += ww->words) {
        int64_t ts = WW_BASE_MS + (int64_t)i * ww->step_ms;
        if (ts >= start && ts < start + WW_WINDOW_MS)
            n++;
    }
    return n;
}

/* Windows starting before @p bound that hold a record of @p word. */
static size_t expected_results_before(const ww_t *ww, int64_t bound)
{
    size_t n = 0;
    int64_t end = ww_last_time(ww) + 1;
    for (int64_t start = WW_BASE_MS; start < end && start < bound;
         start += WW_WINDOW_MS)
        for (int w = 0; w < ww->words; w++)
            n += expected_count(ww, w, start) > 0;
    return n;
}

size_t ww_expected_results(const ww_t *ww)
{
    return expected_results_before(ww, INT64_MAX);
}

static int64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Checks @p out holds exactly the results of the windows that start
 * before @p bound; returns how long it waited for them. */
static int64_t check_output_before(const ww_t *ww, const char *out,
                                   int timeout_ms, int64_t bound)
{
    size_t want = expected_results_before(ww, bound);
    weir_test_msg_t *msgs;
    int64_t t0 = mono_ms();
    size_t n = weir_test_consume_all(out, want, timeout_ms, true, &msgs);
    int64_t waited = mono_ms() - t0;
    if (n != want) {
        /* Say which results are missing, to tell a lost window from a
         * late record or a slow run. */
        int64_t end = ww_last_time(ww) + 1;
        for (int64_t start = WW_BASE_MS; start < end && start < bound;
             start += WW_WINDOW_MS)
            for (int w = 0; w < ww->words; w++) {
                if (!expected_count(ww, w, start))
                    continue;
                char key[32];
                int klen = snprintf(key, sizeof(key), "w%d", w);
                bool seen = false;
                for (size_t i = 0; i < n && !seen; i++)
                    seen = msgs[i].key_len == (size_t)klen + 16 &&
                           !memcmp(msgs[i].key, key, (size_t)klen) &&
                           be64((const unsigned char *)msgs[i].key + klen) ==
                               start;
                if (!seen)
                    fprintf(stderr, "missing: %s window %+lld s\n", key,
                            (long long)((start - WW_BASE_MS) / 1000));
            }
    }
    ck_assert_msg(n == want, "got %zu results, expected %zu", n, want);
    for (size_t i = 0; i < n; i++) {
        /* key: the word, then window start and end, 8 bytes each */
        ck_assert_uint_ge(msgs[i].key_len, 17);
        size_t wlen = msgs[i].key_len - 16;
        const unsigned char *k = (const unsigned char *)msgs[i].key;
        int64_t start = be64(k + wlen), end = be64(k + wlen + 8);
        ck_assert_int_eq(end - start, WW_WINDOW_MS);
        ck_assert_msg(start < bound,
                      "a window that cannot have closed: %" PRId64, start);
        ck_assert_msg(msgs[i].key[0] == 'w', "unexpected key %.*s", (int)wlen,
                      msgs[i].key);
        int word = atoi(msgs[i].key + 1);
        ck_assert_uint_eq(msgs[i].value_len, 8);
        int64_t count = be64((const unsigned char *)msgs[i].value);
        ck_assert_msg(count == expected_count(ww, word, start),
                      "w%d window %" PRId64 ": count %" PRId64
                      ", expected %" PRId64,
                      word, start, count, expected_count(ww, word, start));
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(
                msgs[j].key_len != msgs[i].key_len ||
                    memcmp(msgs[j].key, msgs[i].key, msgs[i].key_len),
                "duplicate result for w%d window %" PRId64, word, start);
    }
    weir_test_msgs_free(msgs, n);
    return waited;
}

void ww_check_output(const ww_t *ww, const char *out, int timeout_ms)
{
    check_output_before(ww, out, timeout_ms, INT64_MAX);
}

int64_t ww_check_closed_output(const ww_t *ww, const char *out, int timeout_ms)
{
    /* A window [s, s + size) is closed once end + grace <= last time. */
    int64_t bound = ww_last_time(ww) - WW_GRACE_MS - WW_WINDOW_MS + 1;
    return check_output_before(ww, out, timeout_ms, bound);
}

weir_conf_t *ww_conf(const char *app_id, const char *state_dir,
                     const char *guarantee, int threads)
{
    weir_conf_t *conf = weir_conf_new();
    char nthreads[8];
    snprintf(nthreads, sizeof(nthreads), "%d", threads);
    const char *props[][2] = {
        {"application.id", app_id},
        {"bootstrap.servers", weir_test_bootstrap()},
        {"state.dir", state_dir},
        {"processing.guarantee", guarantee},
        {"num.stream.threads", nthreads},
        {"commit.interval.ms", "100"},
        {"consumer.session.timeout.ms", "6000"},
        {"repartition.purge.interval.ms", "1000"},
        {"log.level", "5"},
    };
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        weir_error_t *err = weir_conf_set(conf, props[i][0], props[i][1]);
        ck_assert_msg(!err, "%s: %s", props[i][0], weir_error_string(err));
    }
    return conf;
}
