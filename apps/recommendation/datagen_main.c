/*
 * datagen_main.c: weir-datagen, the seed's data generator in C.
 *
 * Produces ClickStream and Sales records (Avro, Confluent framing, schemas
 * registered under <topic>-value) with the seed's shape, at real-time
 * pace or faster, and can write a ground-truth file of what it produced.
 * Everything it does is rec_datagen_run(); this file is flags and output.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weir/conf.h>
#include <weir/registry.h>

#include "rec_datagen.h"

static atomic_bool stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&stop_flag, true);
}

static void usage(FILE *out)
{
    /* The text as --help prints it, laid out by hand. */
    /* clang-format off */
    fprintf(out,
"Usage: weir-datagen [OPTIONS]\n"
"\n"
"Produces the traffic of the StreamsHub recommendation tutorial's data\n"
"generator: clicks (ClickStream {user_id, product_id}) and sales (Sales\n"
"{user_id, product_id, invoice_id, quantity, unit_cost}), Avro in the\n"
"Confluent wire format with the schemas registered under <topic>-value,\n"
"keys = the record's timestamp in ms as a string, users user-0..user-99,\n"
"products 0..199, one click and 100 sales per second by default.\n"
"\n"
"Connection:\n"
"  -b, --bootstrap-servers HOSTS  Kafka bootstrap servers (required)\n"
"  -r, --schema-registry URL      Confluent-compatible registry, e.g.\n"
"                                 http://localhost:8080/apis/ccompat/v7\n"
"                                 (required)\n"
"  -X, --property KEY=VALUE       librdkafka producer property, or one of\n"
"                                 weir's schema.registry.* properties\n"
"                                 (CONFIGURATION.md) (repeatable)\n"
"      --topic-clicks NAME        default flink.click.streams\n"
"      --topic-sales NAME         default flink.sales.records\n"
"  -p, --partitions N             create the topics with N partitions and\n"
"                                 retention.ms=-1, so old event times are\n"
"                                 not deleted by time retention (an\n"
"                                 existing topic is left as it is);\n"
"                                 default 0: create nothing\n"
"      --replication-factor N     of created topics (default: broker's)\n"
"\n"
"Traffic:\n"
"      --clicks-per-sec R         default 1 (0: no clicks)\n"
"      --sales-per-sec R          default 100 (0: no sales)\n"
"      --users N                  default 100\n"
"      --products N               default 200\n"
"  -s, --seed N                   random seed (default 1): the same seed and\n"
"                                 start time give the same records\n"
"      --unknown-product-every N  every Nth click names a product that is not\n"
"                                 in the inventory (tests the dead-letter\n"
"                                 path); default 0: never\n"
"\n"
"Time and amount:\n"
"      --event-time-start MS      event time of the first record, ms since\n"
"                                 the epoch (default: now)\n"
"      --speedup X                event time runs X times faster than the\n"
"                                 wall clock (default 1: real time);\n"
"                                 0: as fast as possible\n"
"  -n, --count N                  stop after N records\n"
"  -d, --duration SEC             stop after SEC seconds of event time\n"
"                                 (without --count or --duration: until\n"
"                                 interrupted)\n"
"  -g, --ground-truth FILE        write one line per record produced:\n"
"                                 topic, timestamp, key, user_id,\n"
"                                 product_id [, invoice_id, quantity,\n"
"                                 unit_cost], tab-separated\n"
"  -q, --quiet                    no progress lines\n"
"  -h, --help                     this text\n");
    /* clang-format on */
}

static void log_stderr(void *opaque, int level, const char *fac,
                       const char *msg)
{
    bool quiet = *(bool *)opaque;
    if (quiet && level > WEIR_LOG_WARNING)
        return;
    if (level <= WEIR_LOG_INFO)
        fprintf(stderr, "weir-datagen: %s: %s\n", fac, msg);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || *s == '-')
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || v < 0)
        return false;
    *out = v;
    return true;
}

enum {
    OPT_TOPIC_CLICKS = 256,
    OPT_TOPIC_SALES,
    OPT_REPLICATION,
    OPT_CLICKS_RATE,
    OPT_SALES_RATE,
    OPT_USERS,
    OPT_PRODUCTS,
    OPT_UNKNOWN_EVERY,
    OPT_START,
    OPT_SPEEDUP,
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bootstrap-servers", required_argument, NULL, 'b'},
        {"schema-registry", required_argument, NULL, 'r'},
        {"property", required_argument, NULL, 'X'},
        {"topic-clicks", required_argument, NULL, OPT_TOPIC_CLICKS},
        {"topic-sales", required_argument, NULL, OPT_TOPIC_SALES},
        {"partitions", required_argument, NULL, 'p'},
        {"replication-factor", required_argument, NULL, OPT_REPLICATION},
        {"clicks-per-sec", required_argument, NULL, OPT_CLICKS_RATE},
        {"sales-per-sec", required_argument, NULL, OPT_SALES_RATE},
        {"users", required_argument, NULL, OPT_USERS},
        {"products", required_argument, NULL, OPT_PRODUCTS},
        {"seed", required_argument, NULL, 's'},
        {"unknown-product-every", required_argument, NULL, OPT_UNKNOWN_EVERY},
        {"event-time-start", required_argument, NULL, OPT_START},
        {"speedup", required_argument, NULL, OPT_SPEEDUP},
        {"count", required_argument, NULL, 'n'},
        {"duration", required_argument, NULL, 'd'},
        {"ground-truth", required_argument, NULL, 'g'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    rec_datagen_conf_t conf;
    memset(&conf, 0, sizeof(conf));
    rec_gen_opts_default(&conf.gen);
    conf.gen.start_ms = -1;
    conf.topic_clicks = "flink.click.streams";
    conf.topic_sales = "flink.sales.records";
    conf.replication_factor = -1;
    conf.speedup = 1;
    const char *registry_url = NULL, *gt_path = NULL;
    const char **props = calloc((size_t)argc + 1, sizeof(*props));
    const char **reg_props = calloc((size_t)argc + 1, sizeof(*reg_props));
    size_t prop_cnt = 0, reg_prop_cnt = 0;
    bool quiet = false;
    uint64_t u;
    double d;
    int c, idx = -1;
    while ((c = getopt_long(argc, argv, "b:r:X:p:s:n:d:g:qh", longopts,
                            &idx)) != -1) {
        /* A short option leaves idx alone: find its long name. */
        if (idx < 0 || longopts[idx].val != c)
            for (idx = 0; longopts[idx].name && longopts[idx].val != c;)
                idx++;
        bool ok = true;
        switch (c) {
        case 'b':
            conf.bootstrap_servers = optarg;
            break;
        case 'r':
            registry_url = optarg;
            break;
        case 'X':
            if (!strncmp(optarg, "schema.registry.", 16))
                reg_props[reg_prop_cnt++] = optarg;
            else
                props[prop_cnt++] = optarg;
            break;
        case OPT_TOPIC_CLICKS:
            conf.topic_clicks = optarg;
            break;
        case OPT_TOPIC_SALES:
            conf.topic_sales = optarg;
            break;
        case 'p':
            ok = parse_u64(optarg, &u) && u <= 100000;
            conf.partitions = (int)u;
            break;
        case OPT_REPLICATION:
            ok = parse_u64(optarg, &u) && u <= 100;
            conf.replication_factor = (int)u;
            break;
        case OPT_CLICKS_RATE:
            ok = parse_double(optarg, &conf.gen.clicks_per_sec);
            break;
        case OPT_SALES_RATE:
            ok = parse_double(optarg, &conf.gen.sales_per_sec);
            break;
        case OPT_USERS:
            ok = parse_u64(optarg, &u) && u >= 1 && u <= 1000000000;
            conf.gen.users = (int)u;
            break;
        case OPT_PRODUCTS:
            ok = parse_u64(optarg, &u) && u >= 1 && u <= 1000000000;
            conf.gen.products = (int)u;
            break;
        case 's':
            ok = parse_u64(optarg, &conf.gen.seed);
            break;
        case OPT_UNKNOWN_EVERY:
            ok = parse_u64(optarg, &conf.gen.unknown_product_every);
            break;
        case OPT_START:
            ok = parse_u64(optarg, &u) && u <= (uint64_t)INT64_MAX / 2;
            conf.gen.start_ms = (int64_t)u;
            break;
        case OPT_SPEEDUP:
            ok = parse_double(optarg, &conf.speedup);
            break;
        case 'n':
            ok = parse_u64(optarg, &conf.max_records) && conf.max_records > 0;
            break;
        case 'd':
            ok = parse_double(optarg, &d) && d > 0;
            conf.duration_ms = (int64_t)(d * 1000);
            break;
        case 'g':
            gt_path = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            free(props);
            free(reg_props);
            return 0;
        default:
            usage(stderr);
            free(props);
            free(reg_props);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "weir-datagen: bad value '%s' for --%s\n", optarg,
                    longopts[idx].name ? longopts[idx].name : "?");
            free(props);
            free(reg_props);
            return 2;
        }
    }
    if (optind < argc || !conf.bootstrap_servers || !registry_url) {
        fprintf(stderr, "weir-datagen: %s\n",
                optind < argc ? "unexpected argument"
                              : "--bootstrap-servers and --schema-registry "
                                "are required (see --help)");
        free(props);
        free(reg_props);
        return 2;
    }
    if (conf.gen.start_ms < 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        conf.gen.start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    conf.rdkafka_props = props;
    conf.rdkafka_prop_cnt = prop_cnt;
    conf.stop = &stop_flag;
    conf.log_cb = log_stderr;
    conf.log_opaque = &quiet;

    /* The registry client reads weir's configuration: schema.registry.url
     * from the flag, any other schema.registry.* property from -X. */
    weir_error_t *err = NULL;
    weir_registry_t *reg = NULL;
    weir_conf_t *rconf = weir_conf_new();
    if (!rconf)
        err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    else
        err = weir_conf_set(rconf, "schema.registry.url", registry_url);
    for (size_t i = 0; !err && i < reg_prop_cnt; i++)
        err = weir_conf_set_pair(rconf, reg_props[i]);
    if (!err) {
        weir_conf_set_log_cb(rconf, log_stderr);
        weir_conf_set_opaque(rconf, &quiet);
        reg = weir_registry_http_new(rconf, &err);
    }
    weir_conf_destroy(rconf);
    conf.registry = reg;
    FILE *gt = NULL;
    if (!err && gt_path) {
        gt = fopen(gt_path, "w");
        if (!gt)
            err = weir_error_new(WEIR_ERR_IO, "%s: %s", gt_path,
                                 strerror(errno));
        conf.ground_truth = gt;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rec_datagen_progress_t progress;
    memset(&progress, 0, sizeof(progress));
    if (!err)
        err = rec_datagen_run(&conf, &progress);
    if (gt && fclose(gt) != 0 && !err)
        err = weir_error_new(WEIR_ERR_IO, "%s: %s", gt_path, strerror(errno));
    weir_registry_destroy(reg);
    free(props);
    free(reg_props);
    if (!quiet || err)
        fprintf(stderr,
                "weir-datagen: produced %" PRIuFAST64
                " click(s) and %" PRIuFAST64 " sale(s)%s%s\n",
                (uint_fast64_t)atomic_load(&progress.clicks),
                (uint_fast64_t)atomic_load(&progress.sales),
                err ? "; error: " : "", err ? weir_error_string(err) : "");
    int rc = err ? 1 : 0;
    weir_error_destroy(err);
    return rc;
}
