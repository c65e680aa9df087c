/*
 * measure.c: weir-bench-measure, how long a contender of the end-to-end
 * benchmark takes and what it costs, seen from outside.
 *
 * It watches a running process (--pid; its descendants count too, so a
 * script that starts a JVM is measured whole) and one of three events:
 *
 * - catch-up (--group): the consumer group's committed offsets reach the
 *   end of every partition of the input topics and of the contender's
 *   repartition topics (those named <prefix>...-repartition). Offsets are
 *   read with OffsetFetch(require_stable), so a commit still inside an
 *   open transaction is not seen early, and end offsets with a
 *   read_committed ListOffsets: the last stable offset. A partition is
 *   done when its committed offset is at its end, or one short of it
 *   when the record there is a transaction marker: a librdkafka consumer
 *   commits the marker's offset (its position after the last record, as
 *   weir and the limit do), a Java consumer the offset past it.
 * - first output (--first-output TOPIC): the first record of TOPIC, or
 *   with --keys FILE a record for each key of FILE, is readable
 *   read_committed (for a restore: a task emits only once its stores
 *   are restored, so results for keys of every task need every task
 *   restored; first_s says when the first result came).
 * - ready (--ready GROUP): the consumer group is Stable with at least
 *   --members members (the contender has joined and been assigned its
 *   partitions: a steady load can start).
 * - empty (--empty GROUP): the group has no member left, so that a new
 *   instance does not wait for an old one's session to time out (Kafka
 *   Streams does not leave its group when it closes). No process to
 *   watch: --pid 0.
 * - a duration (--duration S): for a steady load, the CPU used over those
 *   S seconds.
 *
 * Then it prints one line of key=value pairs on stdout: status, wall_s
 * (since the process started, from /proc, or since --start-ms), cpu_s
 * (user + system of the whole tree, all threads; for --duration only
 * what was used during it), cpu_total_s, rss_peak_mb (VmHWM summed over
 * the tree), records (input records: the inputs' high minus low
 * watermarks, or --records) and records_per_s. status is "done",
 * "exited" (the process went away first) or "timeout".
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "bench_util.h"
#include "proc_tree.h"

/* clang-format off */
static const char usage[] =
    "Usage: weir-bench-measure --pid PID [--start-ms MS] MODE [OPTIONS]\n"
    "\n"
    "Measures a running benchmark contender (PID and its descendants)\n"
    "until an event, then prints on one line: status=done|exited|timeout\n"
    "wall_s cpu_s cpu_total_s rss_peak_mb records records_per_s.\n"
    "\n"
    "Modes:\n"
    "  -g, --group ID            catch-up: until group ID has committed\n"
    "                            the end of every partition of the\n"
    "                            --input topics and of the repartition\n"
    "                            topics named PREFIX*-repartition\n"
    "  -f, --first-output TOPIC  until TOPIC's first record (with --keys:\n"
    "                            one record of each key) is readable\n"
    "                            read_committed; also prints outputs and\n"
    "                            first_s, when the first one was\n"
    "  -k, --keys FILE           keys --first-output waits for, one a line\n"
    "  -R, --ready ID            until group ID is Stable with --members\n"
    "                            members (default 1)\n"
    "  -e, --empty ID            until group ID has no member (Empty or\n"
    "                            Dead; --pid 0: no process to watch)\n"
    "  -d, --duration S          for S seconds (cpu_s: used during them)\n"
    "\n"
    "Options:\n"
    "  -b, --bootstrap HOST:PORT Kafka (catch-up and first output)\n"
    "  -i, --input T             input topic (repeatable or comma list)\n"
    "  -p, --internal-prefix P   repartition topics' prefix (usually\n"
    "                            \"<application.id>-\"); none: no\n"
    "                            repartition topics\n"
    "      --expect-internal N   wait until N repartition topics exist\n"
    "  -m, --members N           members --ready waits for\n"
    "  -n, --records N           input records (default: the --input\n"
    "                            topics' high minus low watermarks)\n"
    "  -s, --start-ms MS         the contender's start, ms since the\n"
    "                            epoch (default: from /proc/PID/stat)\n"
    "  -t, --timeout S           give up after S seconds (default 3600)\n"
    "  -I, --interval-ms MS      how often to look (default 50)\n"
    "  -X KEY=VALUE              librdkafka property (repeatable)\n"
    "  -v, --verbose             progress on stderr every 5 s; twice:\n"
    "                            every partition at every look\n"
    "  -h, --help                this text\n";
/* clang-format on */

typedef struct {
    char *topic;
    int32_t partition;
    int64_t checked_end; /* end whose last record was checked */
    bool end_is_marker;  /* the check's answer */
} part_t;

static const char *bootstrap;
static bu_list_t props;
static bu_list_t inputs;
static const char *internal_prefix;
static int expect_internal;
static rd_kafka_t *rk_group; /* group.id = the contender's, never joins */
static rd_kafka_t *rk_peek;  /* read_uncommitted, for marker checks */
static part_t *parts;
static size_t part_cnt;
static char **internal_names;
static size_t internal_cnt;
static int verbose;

static void add_topic_parts(rd_kafka_t *rk, const char *topic)
{
    int n = bu_partition_count(rk, topic, 10000);
    if (n < 0)
        bu_die("topic %s does not exist", topic);
    parts = realloc(parts, (part_cnt + (size_t)n) * sizeof(*parts));
    if (!parts)
        bu_die("out of memory");
    for (int i = 0; i < n; i++)
        parts[part_cnt++] = (part_t){strdup(topic), i, -1, false};
}

static bool is_internal(const char *name)
{
    size_t pl = strlen(internal_prefix), nl = strlen(name);
    static const char suffix[] = "-repartition";
    size_t sl = sizeof(suffix) - 1;
    return nl > pl + sl && !strncmp(name, internal_prefix, pl) &&
           !strcmp(name + nl - sl, suffix);
}

/* Adds repartition topics that appeared since the last look. */
static void refresh_internal(void)
{
    char **names;
    size_t cnt;
    bu_list_topics(rk_group, &names, &cnt, 10000);
    for (size_t i = 0; i < cnt; i++) {
        bool known = false;
        for (size_t k = 0; k < internal_cnt && !known; k++)
            known = !strcmp(internal_names[k], names[i]);
        if (known || !is_internal(names[i])) {
            free(names[i]);
            continue;
        }
        add_topic_parts(rk_group, names[i]);
        internal_names = realloc(internal_names,
                                 (internal_cnt + 1) * sizeof(char *));
        if (!internal_names)
            bu_die("out of memory");
        internal_names[internal_cnt++] = names[i];
        if (verbose)
            bu_info("repartition topic %s", names[i]);
    }
    free(names);
}

static rd_kafka_topic_partition_list_t *part_list(void)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        (int)part_cnt);
    for (size_t i = 0; i < part_cnt; i++)
        rd_kafka_topic_partition_list_add(l, parts[i].topic,
                                          parts[i].partition);
    return l;
}

/* Finds out, for each partition of @p idx (cnt of them) whose committed
 * offset is one short of its end @p ends[i], whether the record there is
 * a transaction marker: a read_uncommitted consumer started there gets
 * no record at that offset (markers are never handed to the
 * application), only the end of the partition or a later record. All in
 * one go, so a look costs one fetch round, not one per partition. */
static void probe_markers(const size_t *idx, const int64_t *ends, size_t cnt)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        (int)cnt);
    bool *done = calloc(cnt, sizeof(*done));
    if (!done)
        bu_die("out of memory");
    for (size_t k = 0; k < cnt; k++) {
        part_t *p = &parts[idx[k]];
        rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset =
            ends[k] - 1;
        p->checked_end = ends[k];
        p->end_is_marker = false; /* unless the probe says so */
    }
    rd_kafka_assign(rk_peek, l);
    rd_kafka_topic_partition_list_destroy(l);
    size_t left = cnt;
    int64_t deadline = bu_mono_us() + 10 * 1000000;
    while (left && bu_mono_us() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk_peek, 100);
        if (!m)
            continue;
        if (m->rkt &&
            (!m->err || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)) {
            const char *topic = rd_kafka_topic_name(m->rkt);
            for (size_t k = 0; k < cnt; k++) {
                part_t *p = &parts[idx[k]];
                if (done[k] || p->partition != m->partition ||
                    strcmp(p->topic, topic))
                    continue;
                p->end_is_marker = m->err || m->offset > ends[k] - 1;
                done[k] = true;
                left--;
                break;
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(rk_peek, NULL);
    free(done);
}

/* One look: true when every partition is caught up. */
static bool caught_up(int64_t *behind)
{
    *behind = 0;
    if (!part_cnt)
        return false;
    rd_kafka_topic_partition_list_t *committed = part_list();
    rd_kafka_topic_partition_list_t *ends = part_list();
    for (int i = 0; i < ends->cnt; i++)
        ends->elems[i].offset = RD_KAFKA_OFFSET_END; /* ListOffsets(-1) */
    rd_kafka_resp_err_t err = rd_kafka_committed(rk_group, committed, 10000);
    if (!err)
        err = rd_kafka_offsets_for_times(rk_group, ends, 10000);
    if (err) {
        if (verbose)
            bu_info("offsets: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(committed);
        rd_kafka_topic_partition_list_destroy(ends);
        return false;
    }
    /* Partitions one short of their end whose last record is unknown. */
    size_t *probe = calloc(part_cnt, sizeof(*probe));
    int64_t *probe_end = calloc(part_cnt, sizeof(*probe_end));
    if (!probe || !probe_end)
        bu_die("out of memory");
    size_t probe_cnt = 0;
    for (size_t i = 0; i < part_cnt; i++) {
        int64_t c = committed->elems[i].offset;
        int64_t e = ends->elems[i].offset;
        if (!committed->elems[i].err && !ends->elems[i].err && e > 0 &&
            c == e - 1 && parts[i].checked_end != e) {
            probe[probe_cnt] = i;
            probe_end[probe_cnt++] = e;
        }
    }
    if (probe_cnt)
        probe_markers(probe, probe_end, probe_cnt);
    free(probe);
    free(probe_end);
    bool done = true;
    for (size_t i = 0; i < part_cnt; i++) {
        int64_t c = committed->elems[i].offset;
        int64_t e = ends->elems[i].offset;
        if (committed->elems[i].err || ends->elems[i].err) {
            done = false;
            continue;
        }
        bool marker = c == e - 1 && parts[i].checked_end == e &&
                      parts[i].end_is_marker;
        bool ok = e <= 0 || c >= e || marker;
        if (verbose > 1)
            bu_info("%s [%d]: committed %" PRId64 ", end %" PRId64 "%s%s",
                    parts[i].topic, parts[i].partition, c, e,
                    marker ? ", a marker at end - 1" : "",
                    ok ? ": caught up" : "");
        if (ok)
            continue;
        done = false;
        *behind += c >= 0 ? e - c : e;
    }
    rd_kafka_topic_partition_list_destroy(committed);
    rd_kafka_topic_partition_list_destroy(ends);
    return done;
}

static int64_t input_records(void)
{
    int64_t total = 0;
    for (size_t i = 0; i < inputs.n; i++) {
        int n = bu_partition_count(rk_peek, inputs.v[i], 10000);
        for (int p = 0; p < n; p++) {
            int64_t lo, hi;
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                rk_peek, inputs.v[i], p, &lo, &hi, 10000);
            if (err)
                bu_die("watermarks of %s [%d]: %s", inputs.v[i], p,
                       rd_kafka_err2str(err));
            total += hi - lo;
        }
    }
    return total;
}

/* A consumer of every partition of @p topic from the beginning. */
static rd_kafka_t *output_reader(const char *topic)
{
    rd_kafka_conf_t *conf = bu_conf(bootstrap, &props);
    bu_conf_set(conf, "isolation.level", "read_committed");
    bu_conf_set(conf, "fetch.wait.max.ms", "10");
    bu_conf_set(conf, "group.id", "weir-bench-measure"); /* never joins */
    bu_conf_set(conf, "enable.auto.commit", "false");
    rd_kafka_t *rk = bu_client(RD_KAFKA_CONSUMER, conf);
    int n = bu_partition_count(rk, topic, 10000);
    if (n < 0)
        bu_die("topic %s does not exist", topic);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    return rk;
}

/* One look at @p group: its state and member count; false when it could
 * not be described. A group that does not exist is Dead, with none. */
static bool group_look(rd_kafka_t *rk, const char *group,
                       rd_kafka_consumer_group_state_t *state, size_t *members)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_DescribeConsumerGroups(rk, &group, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
    bool ok = false;
    if (ev && !rd_kafka_event_error(ev)) {
        size_t n = 0;
        const rd_kafka_ConsumerGroupDescription_t **gs =
            rd_kafka_DescribeConsumerGroups_result_groups(
                rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
        if (n == 1 && !rd_kafka_ConsumerGroupDescription_error(gs[0])) {
            *state = rd_kafka_ConsumerGroupDescription_state(gs[0]);
            *members = rd_kafka_ConsumerGroupDescription_member_count(gs[0]);
            ok = true;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    return ok;
}

/* The keys --first-output waits for: sorted, each seen once at most. */
static char **keys;
static bool *keys_seen;
static size_t keys_cnt, keys_left;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keys_load(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        bu_die("cannot read %s", path);
    char line[1024];
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!*line)
            continue;
        if (keys_cnt == cap) {
            cap = cap ? cap * 2 : 256;
            keys = realloc(keys, cap * sizeof(*keys));
            if (!keys)
                bu_die("out of memory");
        }
        keys[keys_cnt] = strdup(line);
        if (!keys[keys_cnt++])
            bu_die("out of memory");
    }
    fclose(f);
    qsort(keys, keys_cnt, sizeof(*keys), cmp_str);
    keys_seen = calloc(keys_cnt + 1, sizeof(*keys_seen));
    if (!keys_seen)
        bu_die("out of memory");
    keys_left = keys_cnt;
}

static void keys_see(const void *key, size_t len)
{
    char buf[1024];
    if (!key || len >= sizeof(buf))
        return;
    memcpy(buf, key, len);
    buf[len] = '\0';
    const char *k = buf;
    char **hit = bsearch(&k, keys, keys_cnt, sizeof(*keys), cmp_str);
    if (hit && !keys_seen[hit - keys]) {
        keys_seen[hit - keys] = true;
        keys_left--;
    }
}

static atomic_bool interrupted;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&interrupted, true);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"pid", required_argument, NULL, 'P'},
        {"group", required_argument, NULL, 'g'},
        {"first-output", required_argument, NULL, 'f'},
        {"ready", required_argument, NULL, 'R'},
        {"empty", required_argument, NULL, 'e'},
        {"members", required_argument, NULL, 'm'},
        {"keys", required_argument, NULL, 'k'},
        {"duration", required_argument, NULL, 'd'},
        {"bootstrap", required_argument, NULL, 'b'},
        {"input", required_argument, NULL, 'i'},
        {"internal-prefix", required_argument, NULL, 'p'},
        {"expect-internal", required_argument, NULL, 'E'},
        {"records", required_argument, NULL, 'n'},
        {"start-ms", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"interval-ms", required_argument, NULL, 'I'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    pid_t pid = 0;
    const char *group = NULL, *first_output = NULL, *ready = NULL;
    const char *empty = NULL;
    int64_t out_cnt = 0, first_us = 0;
    const char *keys_file = NULL;
    int members = 1;
    double duration = 0, timeout = 3600;
    int64_t records = -1, start_ms = 0, interval_ms = 50;
    int c;
    bu_prog = "weir-bench-measure";
    while ((c = getopt_long(argc, argv, "P:g:f:k:R:e:m:d:b:i:p:n:s:t:I:X:vh",
                            opts, NULL)) != -1) {
        switch (c) {
        case 'P':
            pid = (pid_t)bu_parse_int(optarg, "--pid");
            break;
        case 'g':
            group = optarg;
            break;
        case 'f':
            first_output = optarg;
            break;
        case 'R':
            ready = optarg;
            break;
        case 'k':
            keys_file = optarg;
            break;
        case 'e':
            empty = optarg;
            break;
        case 'm':
            members = (int)bu_parse_int(optarg, "--members");
            break;
        case 'd':
            duration = bu_parse_double(optarg, "--duration");
            break;
        case 'b':
            bootstrap = optarg;
            break;
        case 'i':
            bu_list_add_csv(&inputs, optarg);
            break;
        case 'p':
            internal_prefix = optarg;
            break;
        case 'E':
            expect_internal = (int)bu_parse_int(optarg, "--expect-internal");
            break;
        case 'n':
            records = bu_parse_int(optarg, "--records");
            break;
        case 's':
            start_ms = bu_parse_int(optarg, "--start-ms");
            break;
        case 't':
            timeout = bu_parse_double(optarg, "--timeout");
            break;
        case 'I':
            interval_ms = bu_parse_int(optarg, "--interval-ms");
            break;
        case 'X':
            bu_list_add(&props, optarg);
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            fputs(usage, stderr);
            return 2;
        }
    }
    if (pid < 0 || (!pid && !empty))
        bu_die("--pid is required (see --help)");
    if (!!group + !!first_output + !!ready + !!empty + (duration > 0) != 1)
        bu_die("give one of --group, --first-output, --ready, --empty, "
               "--duration");
    if ((group || first_output || ready || empty) && !bootstrap)
        bu_die("--bootstrap is required with --group, --first-output, "
               "--ready and --empty");
    if (group && !inputs.n)
        bu_die("--group needs the --input topics");
    if (interval_ms < 1)
        interval_ms = 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    double age = pid ? proc_age_s(pid) : 0;
    if (age < 0)
        bu_die("no process %d", (int)pid);
    /* The contender's start on our monotonic clock. */
    int64_t start_us = bu_mono_us() - (int64_t)(age * 1e6);
    if (start_ms)
        start_us = bu_mono_us() - (bu_wall_ms() - start_ms) * 1000;

    rd_kafka_t *rk_out = NULL;
    if (bootstrap) {
        rd_kafka_conf_t *conf = bu_conf(bootstrap, &props);
        bu_conf_set(conf, "enable.partition.eof", "true");
        bu_conf_set(conf, "enable.auto.commit", "false");
        bu_conf_set(conf, "fetch.wait.max.ms", "10");
        /* assign() needs a group.id; this consumer never joins it. */
        bu_conf_set(conf, "group.id", "weir-bench-measure");
        rk_peek = bu_client(RD_KAFKA_CONSUMER, conf);
    }
    if (group) {
        rd_kafka_conf_t *conf = bu_conf(bootstrap, &props);
        bu_conf_set(conf, "group.id", group);
        /* read_committed: OffsetFetch with require_stable and ListOffsets
         * answering the last stable offset. */
        bu_conf_set(conf, "isolation.level", "read_committed");
        bu_conf_set(conf, "enable.auto.commit", "false");
        rk_group = bu_client(RD_KAFKA_CONSUMER, conf);
        for (size_t i = 0; i < inputs.n; i++)
            add_topic_parts(rk_group, inputs.v[i]);
        if (records < 0)
            records = input_records();
    }
    if (first_output)
        rk_out = output_reader(first_output);
    if (keys_file)
        keys_load(keys_file);
    if (records < 0)
        records = 0;

    proc_tree_sample_t s0 = {0}, s = {0}, last = {0};
    if (pid)
        proc_tree_sample(pid, &s0);
    last = s0;
    const char *status = "timeout";
    int64_t t0 = bu_mono_us(), last_tree = t0, last_log = t0;
    int64_t last_topics = 0;
    while (!atomic_load(&interrupted)) {
        int64_t now = bu_mono_us();
        if (now - t0 > (int64_t)(timeout * 1e6))
            break;
        if (pid && now - last_tree >= 1000000) {
            /* Keeps the latest CPU reading of children that may exit. */
            if (!proc_tree_sample(pid, &s)) {
                status = "exited";
                break;
            }
            last = s;
            last_tree = now;
        }
        if (group) {
            if (internal_prefix && (now - last_topics >= 1000000 ||
                                    (int)internal_cnt < expect_internal)) {
                refresh_internal();
                last_topics = now;
            }
            int64_t behind = 0;
            bool done = caught_up(&behind) &&
                        (int)internal_cnt >= expect_internal;
            if (done && internal_prefix) {
                /* A repartition topic made since the last look would not
                 * have been checked: look once more. */
                size_t known = internal_cnt;
                refresh_internal();
                last_topics = now;
                done = internal_cnt == known;
            }
            if (done) {
                status = "done";
                break;
            }
            if (verbose && now - last_log >= 5000000) {
                bu_info("%.1f s: %" PRId64 " records behind in %zu "
                        "partitions",
                        (double)(now - start_us) / 1e6, behind, part_cnt);
                last_log = now;
            }
            usleep((useconds_t)interval_ms * 1000);
        } else if (ready) {
            rd_kafka_consumer_group_state_t st;
            size_t n;
            if (group_look(rk_peek, ready, &st, &n) &&
                st == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE &&
                n >= (size_t)members) {
                status = "done";
                break;
            }
            usleep((useconds_t)(interval_ms < 200 ? 200 : interval_ms) * 1000);
        } else if (empty) {
            rd_kafka_consumer_group_state_t st;
            size_t n;
            if (group_look(rk_peek, empty, &st, &n) &&
                (st == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY ||
                 st == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD || !n)) {
                status = "done";
                break;
            }
            usleep((useconds_t)(interval_ms < 200 ? 200 : interval_ms) * 1000);
        } else if (first_output) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk_out,
                                                           (int)interval_ms);
            bool got = m && !m->err;
            if (got && !out_cnt++)
                first_us = bu_mono_us();
            if (got && keys_left)
                keys_see(m->key, m->key_len);
            if (m)
                rd_kafka_message_destroy(m);
            if (got && !keys_left) {
                status = "done";
                break;
            }
        } else {
            if (now - t0 >= (int64_t)(duration * 1e6)) {
                status = "done";
                break;
            }
            usleep((useconds_t)interval_ms * 1000);
        }
    }
    int64_t end_us = bu_mono_us();
    if (pid && proc_tree_sample(pid, &s))
        last = s;
    else if (pid && !strcmp(status, "timeout"))
        status = "exited";
    double wall = (double)(end_us - start_us) / 1e6;
    double cpu = duration > 0 ? last.cpu_s - s0.cpu_s : last.cpu_s;
    printf("status=%s wall_s=%.3f cpu_s=%.2f cpu_total_s=%.2f "
           "rss_peak_mb=%.1f records=%" PRId64 " records_per_s=%.0f",
           status, wall, cpu, last.cpu_s, (double)last.hwm_kb / 1024.0,
           records, wall > 0 ? (double)records / wall : 0.0);
    if (first_output)
        printf(" outputs=%" PRId64 " first_s=%.3f keys_missing=%zu", out_cnt,
               out_cnt ? (double)(first_us - start_us) / 1e6 : -1.0,
               keys_left);
    printf("\n");
    fflush(stdout);
    if (rk_out) {
        rd_kafka_consumer_close(rk_out);
        rd_kafka_destroy(rk_out);
    }
    if (rk_group)
        rd_kafka_destroy(rk_group);
    if (rk_peek) {
        rd_kafka_consumer_close(rk_peek);
        rd_kafka_destroy(rk_peek);
    }
    return strcmp(status, "done") ? 1 : 0;
}
