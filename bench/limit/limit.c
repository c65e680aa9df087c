/*
 * limit.c: the "limit" contender of the end-to-end benchmark: what a
 * consume-transform-produce loop under exactly-once costs with librdkafka
 * alone, no decoding and no state.
 *
 * Each of --threads threads owns one consumer (a member of --group,
 * read_committed, range assignment, offsets never auto-committed) and
 * one transactional producer (transactional.id "<group>-<thread>"), as
 * weir's stream threads do. For every record of the input topics it
 * produces one record with the same key, value and timestamp to the
 * output topic, inside the open transaction. Every --commit-interval-ms
 * (100 by default, weir's default under exactly_once_v2) it sends the
 * consumer's positions with send_offsets_to_transaction() and commits;
 * the next transaction begins at once. A rebalance commits first (eager
 * protocol: every partition is revoked, then assigned again).
 *
 * The consumed message is handed to the producer without a copy and
 * destroyed by the delivery report, so the loop does no allocation of its
 * own per record. A transaction that must be aborted is aborted, and the
 * consumer rewinds to the committed offsets: the output read
 * read_committed holds each input record exactly once.
 *
 * Runs until SIGTERM or SIGINT (then commits what it has) or --duration.
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_util.h"

/* clang-format off */
static const char usage[] =
    "Usage: weir-bench-limit --bootstrap HOST:PORT --group ID --output T\n"
    "                        [--input T]... [--threads N]\n"
    "                        [--commit-interval-ms MS] [--duration S]\n"
    "                        [-X KEY=VALUE]...\n"
    "\n"
    "The benchmark's limit: consume the input topics read_committed in\n"
    "consumer group ID and produce each record unchanged (key, value,\n"
    "timestamp) to the output topic under exactly-once transactions\n"
    "(transactional.id ID-<thread>), committing every MS ms.\n"
    "\n"
    "  -b, --bootstrap HOST:PORT   Kafka bootstrap servers (required)\n"
    "  -g, --group ID              consumer group and transactional id\n"
    "                              prefix (required)\n"
    "  -i, --input T               input topic (repeatable or comma list;\n"
    "                              default flink.click.streams and\n"
    "                              flink.sales.records)\n"
    "  -o, --output T              output topic, which must exist\n"
    "  -t, --threads N             consumer+producer pairs (default 1)\n"
    "  -c, --commit-interval-ms MS default 100\n"
    "  -d, --duration S            stop after S seconds (default: at\n"
    "                              SIGTERM or SIGINT)\n"
    "  -X KEY=VALUE                librdkafka property for the consumers\n"
    "                              and producers (repeatable)\n"
    "  -h, --help                  this text\n";
/* clang-format on */

static const char *bootstrap;
static const char *group;
static const char *output;
static bu_list_t inputs;
static bu_list_t props;
static int threads = 1;
static int64_t commit_interval_ms = 100;
static atomic_bool stopping;
static atomic_ullong records_out;
static atomic_ullong commits;

typedef struct {
    int idx;
    rd_kafka_t *consumer;
    rd_kafka_t *producer;
    rd_kafka_topic_t *out;
    size_t pending; /* records produced in the open transaction */
    int64_t txn_start_us;
    pthread_t tid;
} worker_t;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stopping, true);
}

/* The consumed message rides along as the produced record's opaque: its
 * payload is what the producer sends, so it lives until delivered. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    (void)opaque;
    rd_kafka_message_destroy((rd_kafka_message_t *)m->_private);
}

static void check_fatal(rd_kafka_error_t *error, const char *what, int idx)
{
    if (!error)
        return;
    if (rd_kafka_error_is_fatal(error))
        bu_die("thread %d: %s: fatal: %s", idx, what,
               rd_kafka_error_string(error));
}

/* Rewinds every assigned partition to its committed offset, after an
 * aborted transaction. */
static void rewind_to_committed(worker_t *w)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(w->consumer, &parts) || !parts)
        return;
    if (parts->cnt && !rd_kafka_committed(w->consumer, parts, 30000)) {
        for (int i = 0; i < parts->cnt; i++)
            if (parts->elems[i].offset < 0)
                parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_error_t *error = rd_kafka_seek_partitions(w->consumer, parts,
                                                           30000);
        if (error) {
            bu_info("thread %d: rewind: %s", w->idx,
                    rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* Commits the open transaction with the consumer's positions and begins
 * the next one. Retries what is retriable, aborts and rewinds what must
 * be aborted, dies on a fatal error. */
static void commit(worker_t *w)
{
    for (;;) {
        rd_kafka_topic_partition_list_t *parts = NULL;
        rd_kafka_resp_err_t e = rd_kafka_assignment(w->consumer, &parts);
        if (e)
            bu_die("thread %d: assignment: %s", w->idx, rd_kafka_err2str(e));
        rd_kafka_position(w->consumer, parts);
        rd_kafka_consumer_group_metadata_t *cgmd =
            rd_kafka_consumer_group_metadata(w->consumer);
        rd_kafka_error_t *error = rd_kafka_send_offsets_to_transaction(
            w->producer, parts, cgmd, -1);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        rd_kafka_topic_partition_list_destroy(parts);
        if (!error)
            error = rd_kafka_commit_transaction(w->producer, -1);
        if (!error)
            break;
        check_fatal(error, "commit", w->idx);
        if (rd_kafka_error_txn_requires_abort(error)) {
            bu_info("thread %d: aborting: %s", w->idx,
                    rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
            error = rd_kafka_abort_transaction(w->producer, -1);
            check_fatal(error, "abort", w->idx);
            if (error)
                bu_die("thread %d: abort: %s", w->idx,
                       rd_kafka_error_string(error));
            rewind_to_committed(w);
            w->pending = 0; /* aborted: read again, produced again */
            break;
        }
        bu_info("thread %d: commit, retrying: %s", w->idx,
                rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    atomic_fetch_add(&records_out, w->pending);
    atomic_fetch_add(&commits, 1);
    w->pending = 0;
    rd_kafka_error_t *error = rd_kafka_begin_transaction(w->producer);
    if (error)
        bu_die("thread %d: begin: %s", w->idx, rd_kafka_error_string(error));
    w->txn_start_us = bu_mono_us();
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t code,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    worker_t *w = opaque;
    if (code == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        return;
    }
    /* Revoked: what was read from these partitions commits now, before
     * another member may read them. */
    if (w->pending)
        commit(w);
    rd_kafka_assign(rk, NULL);
}

static void produce(worker_t *w, rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            w->producer, RD_KAFKA_V_RKT(w->out),
            RD_KAFKA_V_KEY(m->key, m->key_len),
            RD_KAFKA_V_VALUE(m->payload, m->len),
            RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0), RD_KAFKA_V_OPAQUE(m),
            RD_KAFKA_V_END);
        if (!e)
            break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            bu_die("thread %d: produce: %s", w->idx, rd_kafka_err2str(e));
        rd_kafka_poll(w->producer, 10); /* make room */
    }
    w->pending++;
}

static void *run(void *arg)
{
    worker_t *w = arg;
    rd_kafka_topic_partition_list_t *topics =
        rd_kafka_topic_partition_list_new((int)inputs.n);
    for (size_t i = 0; i < inputs.n; i++)
        rd_kafka_topic_partition_list_add(topics, inputs.v[i],
                                          RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(w->consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e)
        bu_die("thread %d: subscribe: %s", w->idx, rd_kafka_err2str(e));
    w->txn_start_us = bu_mono_us();
    while (!atomic_load(&stopping)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->consumer, 10);
        if (m && m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                bu_info("thread %d: consumer: %s", w->idx,
                        rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
        } else if (m) {
            produce(w, m);
        }
        rd_kafka_poll(w->producer, 0); /* delivery reports free messages */
        int64_t now = bu_mono_us();
        if (now - w->txn_start_us >= commit_interval_ms * 1000) {
            if (w->pending)
                commit(w);
            else
                w->txn_start_us = now;
        }
    }
    if (w->pending)
        commit(w);
    rd_kafka_consumer_close(w->consumer);
    return NULL;
}

static void worker_init(worker_t *w, int idx)
{
    w->idx = idx;
    rd_kafka_conf_t *cc = bu_conf(bootstrap, &props);
    bu_conf_set(cc, "group.id", group);
    bu_conf_set(cc, "isolation.level", "read_committed");
    bu_conf_set(cc, "enable.auto.commit", "false");
    bu_conf_set(cc, "auto.offset.reset", "earliest");
    bu_conf_set(cc, "partition.assignment.strategy", "range");
    bu_conf_set(cc, "heartbeat.interval.ms", "1000"); /* as weir */
    rd_kafka_conf_set_rebalance_cb(cc, on_rebalance);
    rd_kafka_conf_set_opaque(cc, w);
    w->consumer = bu_client(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(w->consumer);

    char txid[512];
    snprintf(txid, sizeof(txid), "%s-%d", group, idx);
    rd_kafka_conf_t *pc = bu_conf(bootstrap, &props);
    bu_conf_set(pc, "transactional.id", txid);
    rd_kafka_conf_set_dr_msg_cb(pc, on_delivery);
    w->producer = bu_client(RD_KAFKA_PRODUCER, pc);
    w->out = rd_kafka_topic_new(w->producer, output, NULL);
    rd_kafka_error_t *error = rd_kafka_init_transactions(w->producer, 60000);
    if (!error)
        error = rd_kafka_begin_transaction(w->producer);
    if (error)
        bu_die("thread %d: starting transactions: %s", idx,
               rd_kafka_error_string(error));
}

static void worker_destroy(worker_t *w)
{
    rd_kafka_flush(w->producer, 30000);
    rd_kafka_topic_destroy(w->out);
    rd_kafka_destroy(w->producer);
    rd_kafka_destroy(w->consumer);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"group", required_argument, NULL, 'g'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"commit-interval-ms", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    double duration = 0;
    int c;
    bu_prog = "weir-bench-limit";
    while ((c = getopt_long(argc, argv, "b:g:i:o:t:c:d:X:h", opts, NULL)) !=
           -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
            break;
        case 'g':
            group = optarg;
            break;
        case 'i':
            bu_list_add_csv(&inputs, optarg);
            break;
        case 'o':
            output = optarg;
            break;
        case 't':
            threads = (int)bu_parse_int(optarg, "--threads");
            break;
        case 'c':
            commit_interval_ms = bu_parse_int(optarg, "--commit-interval-ms");
            break;
        case 'd':
            duration = bu_parse_double(optarg, "--duration");
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
    if (!bootstrap || !group || !output)
        bu_die("--bootstrap, --group and --output are required (see --help)");
    if (threads < 1 || commit_interval_ms < 1)
        bu_die("--threads and --commit-interval-ms must be at least 1");
    if (!inputs.n) {
        bu_list_add(&inputs, "flink.click.streams");
        bu_list_add(&inputs, "flink.sales.records");
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    worker_t *ws = calloc((size_t)threads, sizeof(*ws));
    if (!ws)
        bu_die("out of memory");
    for (int i = 0; i < threads; i++)
        worker_init(&ws[i], i);
    for (int i = 0; i < threads; i++)
        if (pthread_create(&ws[i].tid, NULL, run, &ws[i]))
            bu_die("cannot start thread %d", i);
    int64_t start = bu_mono_us();
    while (!atomic_load(&stopping)) {
        usleep(50000);
        if (duration > 0 && bu_mono_us() - start >= duration * 1e6)
            atomic_store(&stopping, true);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(ws[i].tid, NULL);
    for (int i = 0; i < threads; i++)
        worker_destroy(&ws[i]);
    free(ws);
    bu_info("%llu records out in %llu transactions",
            (unsigned long long)atomic_load(&records_out),
            (unsigned long long)atomic_load(&commits));
    return 0;
}
