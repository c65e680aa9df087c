/*
 * topics.c: weir-bench-topics, the topic chores of the end-to-end
 * benchmark that kcat cannot do: create topics (the broker never creates
 * them by itself), delete the suite's own topics, and count the records
 * of a topic as a read_committed consumer sees them (what survived the
 * transactions, without the markers).
 *
 *   weir-bench-topics -b HOST:PORT create [-p N] [-c KEY=VALUE]... T...
 *   weir-bench-topics -b HOST:PORT delete T...
 *   weir-bench-topics -b HOST:PORT count T...
 *
 * create leaves a topic that already exists alone (and says so);
 * count prints "T N" per topic.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "bench_util.h"

/* clang-format off */
static const char usage[] =
    "Usage: weir-bench-topics --bootstrap HOST:PORT COMMAND [OPTIONS] T...\n"
    "\n"
    "  create [-p N] [-c KEY=VALUE]... T...  create topics with N\n"
    "                                        partitions (default 6) and\n"
    "                                        topic configs; existing ones\n"
    "                                        are left alone\n"
    "  delete T...                           delete topics\n"
    "  count T...                            records readable\n"
    "                                        read_committed, \"T N\" lines\n"
    "  dump T                                those records, one\n"
    "                                        key<TAB>value line each\n"
    "  size T...                             high - low watermarks,\n"
    "                                        summed, \"T N\" lines\n"
    "\n"
    "  -b, --bootstrap HOST:PORT  Kafka bootstrap servers (required)\n"
    "  -X KEY=VALUE               librdkafka property (repeatable)\n";
/* clang-format on */

static const char *bootstrap;
static bu_list_t props;

static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    if (!ev)
        bu_die("the admin request timed out");
    if (rd_kafka_event_error(ev))
        bu_die("%s", rd_kafka_event_error_string(ev));
    return ev;
}

static void check_results(const rd_kafka_topic_result_t **res, size_t n,
                          rd_kafka_resp_err_t benign, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        if (err == benign && err)
            bu_info("%s: %s", rd_kafka_topic_result_name(res[i]),
                    rd_kafka_topic_result_error_string(res[i]));
        else if (err)
            bu_die("%s %s: %s", what, rd_kafka_topic_result_name(res[i]),
                   rd_kafka_topic_result_error_string(res[i]));
    }
}

static void create(int partitions, const bu_list_t *configs,
                   const bu_list_t *topics)
{
    rd_kafka_t *rk = bu_client(RD_KAFKA_PRODUCER, bu_conf(bootstrap, &props));
    rd_kafka_NewTopic_t **nts = calloc(topics->n, sizeof(*nts));
    char errstr[256];
    for (size_t i = 0; i < topics->n; i++) {
        nts[i] = rd_kafka_NewTopic_new(topics->v[i], partitions, -1, errstr,
                                       sizeof(errstr));
        if (!nts[i])
            bu_die("%s: %s", topics->v[i], errstr);
        for (size_t k = 0; k < configs->n; k++) {
            char *kv = strdup(configs->v[k]);
            char *eq = strchr(kv, '=');
            if (!eq)
                bu_die("-c takes KEY=VALUE, not '%s'", kv);
            *eq = '\0';
            rd_kafka_NewTopic_set_config(nts[i], kv, eq + 1);
            free(kv);
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, nts, topics->n, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q);
    size_t n;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(ev), &n);
    check_results(res, n, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS, "creating");
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy_array(nts, topics->n);
    free(nts);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

static void delete (const bu_list_t *topics)
{
    rd_kafka_t *rk = bu_client(RD_KAFKA_PRODUCER, bu_conf(bootstrap, &props));
    rd_kafka_DeleteTopic_t **dts = calloc(topics->n, sizeof(*dts));
    for (size_t i = 0; i < topics->n; i++)
        dts[i] = rd_kafka_DeleteTopic_new(topics->v[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DeleteTopics(rk, dts, topics->n, NULL, q);
    rd_kafka_event_t *ev = admin_wait(q);
    size_t n;
    const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(
        rd_kafka_event_DeleteTopics_result(ev), &n);
    check_results(res, n, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "deleting");
    rd_kafka_event_destroy(ev);
    rd_kafka_DeleteTopic_destroy_array(dts, topics->n);
    free(dts);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

/* Sum over the partitions of @p topic of high - low watermark. */
static int64_t size(const char *topic)
{
    rd_kafka_t *rk = bu_client(RD_KAFKA_PRODUCER, bu_conf(bootstrap, &props));
    int parts = bu_partition_count(rk, topic, 10000);
    if (parts < 0)
        bu_die("topic %s does not exist", topic);
    int64_t n = 0;
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            rk, topic, p, &lo, &hi, 10000);
        if (err)
            bu_die("%s [%d]: %s", topic, p, rd_kafka_err2str(err));
        n += hi - lo;
    }
    rd_kafka_destroy(rk);
    return n;
}

/* Reads @p topic read_committed from its start to its end; with @p out,
 * prints each record there as key<TAB>value. */
static int64_t count(const char *topic, FILE *out)
{
    rd_kafka_conf_t *conf = bu_conf(bootstrap, &props);
    bu_conf_set(conf, "group.id", "weir-bench-topics"); /* never joins */
    bu_conf_set(conf, "enable.auto.commit", "false");
    bu_conf_set(conf, "enable.partition.eof", "true");
    bu_conf_set(conf, "isolation.level", "read_committed");
    rd_kafka_t *rk = bu_client(RD_KAFKA_CONSUMER, conf);
    int parts = bu_partition_count(rk, topic, 10000);
    if (parts < 0)
        bu_die("topic %s does not exist", topic);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        parts);
    int open = 0;
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
            rk, topic, p, &lo, &hi, 10000);
        if (err)
            bu_die("%s [%d]: %s", topic, p, rd_kafka_err2str(err));
        if (hi > lo) {
            rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
            open++;
        }
    }
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t n = 0, idle_since = bu_mono_us();
    while (open > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            if (bu_mono_us() - idle_since > 30 * 1000000)
                bu_die("%s: no end reached in 30 s (an open transaction?)",
                       topic);
            continue;
        }
        idle_since = bu_mono_us();
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            open--;
        else if (m->err)
            bu_die("%s: %s", topic, rd_kafka_message_errstr(m));
        else
            n++;
        if (!m->err && out) {
            fwrite(m->key ? m->key : "", 1, m->key ? m->key_len : 0, out);
            fputc('\t', out);
            fwrite(m->payload ? m->payload : "", 1, m->payload ? m->len : 0,
                   out);
            fputc('\n', out);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"partitions", required_argument, NULL, 'p'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int partitions = 6;
    bu_list_t configs = {0}, topics = {0};
    int c;
    bu_prog = "weir-bench-topics";
    /* "+": options of the command follow it, so stop at the first
     * non-option and parse again after it. */
    while ((c = getopt_long(argc, argv, "+b:X:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bootstrap = optarg;
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
    if (!bootstrap || optind >= argc)
        bu_die("--bootstrap and a command are required (see --help)");
    const char *cmd = argv[optind];
    optind++;
    while ((c = getopt_long(argc, argv, "p:c:", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            partitions = (int)bu_parse_int(optarg, "--partitions");
            break;
        case 'c':
            bu_list_add(&configs, optarg);
            break;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++)
        bu_list_add(&topics, argv[i]);
    if (!topics.n)
        bu_die("%s: name at least one topic", cmd);
    if (!strcmp(cmd, "create")) {
        create(partitions, &configs, &topics);
    } else if (!strcmp(cmd, "delete")) {
        delete (&topics);
    } else if (!strcmp(cmd, "count")) {
        for (size_t i = 0; i < topics.n; i++)
            printf("%s %" PRId64 "\n", topics.v[i], count(topics.v[i], NULL));
    } else if (!strcmp(cmd, "dump")) {
        for (size_t i = 0; i < topics.n; i++)
            count(topics.v[i], stdout);
    } else if (!strcmp(cmd, "size")) {
        for (size_t i = 0; i < topics.n; i++)
            printf("%s %" PRId64 "\n", topics.v[i], size(topics.v[i]));
    } else {
        bu_die("unknown command '%s' (create, delete, count, dump, size)",
               cmd);
    }
    return 0;
}
