/*
 * latency.c: weir-bench-latency, how long after a window closes its
 * result is readable.
 *
 * It reads every partition of an output topic read_committed from the
 * beginning and, for each record, takes the wall clock at arrival minus
 * the moment the window closed: the record's timestamp (the window end,
 * as the recommendation app and its peer stamp their output) plus the
 * grace period, which is when a window may close at the earliest when
 * event time follows the wall clock (a steady load from weir-datagen in
 * real time). Producer, contender and this tool share one machine and
 * one clock.
 *
 * Runs for --duration seconds or until SIGTERM/SIGINT, then prints one
 * line of key=value pairs: count, p50_ms, p90_ms, p99_ms, max_ms,
 * min_ms, mean_ms; with --raw, one "window_end_ms<TAB>latency_ms<TAB>
 * counted" line per record to FILE (for a CDF). Records of windows ending
 * before --from-ms (a warm-up) are read but not counted (counted = 0).
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "bench_util.h"

/* clang-format off */
static const char usage[] =
    "Usage: weir-bench-latency --bootstrap HOST:PORT --topic T\n"
    "                          [--grace-ms MS] [--duration S]\n"
    "                          [--from-ms MS] [--raw FILE] [-X K=V]...\n"
    "\n"
    "Reads T read_committed from the beginning and measures, per record,\n"
    "arrival wall time - (record timestamp + grace). Prints count, p50_ms,\n"
    "p90_ms, p99_ms, max_ms, min_ms and mean_ms on one line at the end\n"
    "(--duration, SIGTERM or SIGINT).\n"
    "\n"
    "  -b, --bootstrap HOST:PORT  Kafka bootstrap servers (required)\n"
    "  -t, --topic T              output topic (required)\n"
    "  -g, --grace-ms MS          window grace (default 1000)\n"
    "  -d, --duration S           stop after S seconds\n"
    "  -f, --from-ms MS           count only windows ending at or after MS\n"
    "                             (ms since the epoch)\n"
    "  -r, --raw FILE             write window_end_ms<TAB>latency_ms<TAB>\n"
    "                             counted (0 or 1) lines\n"
    "  -X KEY=VALUE               librdkafka consumer property\n"
    "  -h, --help                 this text\n";
/* clang-format on */

static atomic_bool stopping;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stopping, true);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted @p v. */
static double percentile(const double *v, size_t n, double pct)
{
    if (!n)
        return 0;
    size_t rank = (size_t)ceil(pct / 100.0 * (double)n);
    if (rank < 1)
        rank = 1;
    return v[rank - 1];
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"topic", required_argument, NULL, 't'},
        {"grace-ms", required_argument, NULL, 'g'},
        {"duration", required_argument, NULL, 'd'},
        {"from-ms", required_argument, NULL, 'f'},
        {"raw", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *bootstrap = NULL, *topic = NULL, *raw = NULL;
    bu_list_t props = {0};
    int64_t grace_ms = 1000, from_ms = 0;
    double duration = 0;
    int c;
    bu_prog = "weir-bench-latency";
    while ((c = getopt_long(argc, argv, "b:t:g:d:f:r:X:h", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 't':
            topic = optarg;
            break;
        case 'g':
            grace_ms = bu_parse_int(optarg, "--grace-ms");
            break;
        case 'd':
            duration = bu_parse_double(optarg, "--duration");
            break;
        case 'f':
            from_ms = bu_parse_int(optarg, "--from-ms");
            break;
        case 'r':
            raw = optarg;
            break;
        case 'X':
            bu_list_add(&props, optarg);
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (!bootstrap || !topic)
        bu_die("--bootstrap and --topic are required (see --help)");
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    FILE *rawf = NULL;
    if (raw) {
        rawf = fopen(raw, "w");
        if (!rawf)
            bu_die("cannot write %s", raw);
    }
    rd_kafka_conf_t *conf = bu_conf(bootstrap, &props);
    bu_conf_set(conf, "group.id", "weir-bench-latency"); /* never joins */
    bu_conf_set(conf, "enable.auto.commit", "false");
    bu_conf_set(conf, "isolation.level", "read_committed");
    rd_kafka_t *rk = bu_client(RD_KAFKA_CONSUMER, conf);
    int n = bu_partition_count(rk, topic, 10000);
    if (n < 0)
        bu_die("topic %s does not exist", topic);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err)
        bu_die("assign: %s", rd_kafka_err2str(err));

    double *lat = NULL;
    size_t cnt = 0, cap = 0, skipped = 0;
    int64_t start = bu_mono_us();
    while (!atomic_load(&stopping)) {
        if (duration > 0 && bu_mono_us() - start >= (int64_t)(duration * 1e6))
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        /* The arrival time is taken first: the rest is our own cost. */
        int64_t now_us = bu_wall_us();
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                bu_info("%s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        int64_t ts = rd_kafka_message_timestamp(m, NULL);
        rd_kafka_message_destroy(m);
        double ms = (double)now_us / 1000.0 - (double)(ts + grace_ms);
        if (rawf)
            fprintf(rawf, "%" PRId64 "\t%.3f\t%d\n", ts, ms, ts >= from_ms);
        if (ts < from_ms) {
            skipped++;
            continue;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 4096;
            lat = realloc(lat, cap * sizeof(*lat));
            if (!lat)
                bu_die("out of memory");
        }
        lat[cnt++] = ms;
    }
    qsort(lat, cnt, sizeof(*lat), cmp_double);
    double sum = 0;
    for (size_t i = 0; i < cnt; i++)
        sum += lat[i];
    printf("count=%zu skipped=%zu p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f "
           "max_ms=%.1f min_ms=%.1f mean_ms=%.1f\n",
           cnt, skipped, percentile(lat, cnt, 50), percentile(lat, cnt, 90),
           percentile(lat, cnt, 99), cnt ? lat[cnt - 1] : 0.0,
           cnt ? lat[0] : 0.0, cnt ? sum / (double)cnt : 0.0);
    fflush(stdout);
    free(lat);
    if (rawf)
        fclose(rawf);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}
