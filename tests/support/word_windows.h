/*
 * word_windows.h: the workload of the runtime's integration tests: words
 * with event times, counted per word in tumbling windows behind a
 * repartition (select_key by the word), so every test exercises
 * repartition topics, watermarks, a changelogged window store and final
 * results. The expected output is computed here from the same
 * description, so any run (crashes, rebalances, skew) can be checked
 * record for record.
 */
#ifndef WEIR_TEST_WORD_WINDOWS_H
#define WEIR_TEST_WORD_WINDOWS_H

#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include <weir/weir.h>

#define WW_WINDOW_MS 10000
#define WW_GRACE_MS 1000
#define WW_BASE_MS 1700000000000LL /* aligned to the window size */

typedef struct ww_s {
    int partitions;
    int words;
    int records;     /* record i: word i % words, partition i % partitions */
    int64_t step_ms; /* record i: time BASE + i * step */
    /* Records [records, records + tail) continue the sequence all on
     * partition tail_partition: the input of the other partitions ends
     * earlier, as when the last records share a key. */
    int tail;
    int tail_partition;
} ww_t;

/* The windowed count: @p in → select_key(value) → count per window →
 * @p out. */
weir_topology_t *ww_topology(const char *in, const char *out);

/* Produces records [from, to) (to at most records + tail) and, if
 * @p flush, a far-future record to every partition so that every window
 * closes. Only records whose partition is in @p only (or all when
 * only < 0) are produced. */
void ww_produce(const ww_t *ww, const char *in, int from, int to, bool flush,
                int only);

/* Records of the workload, tail included. */
int ww_total(const ww_t *ww);

/* The time of the workload's last record. */
int64_t ww_last_time(const ww_t *ww);

/* The number of (word, window) results the whole workload gives. */
size_t ww_expected_results(const ww_t *ww);

/* Reads @p out read_committed (up to @p timeout_ms) and checks it is
 * exactly the expected results: each (word, window) once, right count. */
void ww_check_output(const ww_t *ww, const char *out, int timeout_ms);

/* The same for a workload produced without the flush: exactly the windows
 * the last record's time closes (end + grace <= ww_last_time()), which is
 * what event time gives once every upstream partition is idle. Returns the
 * milliseconds it waited for them. */
int64_t ww_check_closed_output(const ww_t *ww, const char *out,
                               int timeout_ms);

/* A conf for an instance of @p app_id with the harness broker. */
weir_conf_t *ww_conf(const char *app_id, const char *state_dir,
                     const char *guarantee, int threads);

#endif /* WEIR_TEST_WORD_WINDOWS_H */
