/*
 * main.c: weir-recommend, the recommendation application's command line.
 *
 * Two ways to run:
 * - against Kafka: bootstrap.servers and schema.registry.url from a
 *   properties file, --set overrides or the flags; --with-datagen also
 *   runs the data generator in this process (scripts/demo.sh --kafka);
 * - the embedded demo, when no broker is configured or with --embedded:
 *   a mock Kafka cluster and an in-process registry in this process, the
 *   generator in a thread, each recommendation printed as it is emitted
 *   and a one-line progress summary every few seconds.
 *
 * One properties file holds weir's keys and the app's (rec_config.h);
 * each key goes to whichever owns it, so a mistyped key is rejected by
 * weir with its name. Defaults this app chooses over weir's:
 * application.id weir-recommend, and dead_letter for the
 * deserialization and processing handlers, so that bad input is set
 * aside with its coordinates instead of stopping the app. Recommendations
 * go to stdout (one CSV value per line, pipeable); progress and logs go to
 * stderr.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weir/app.h>
#include <weir/conf.h>
#include <weir/mock.h>
#include <weir/registry.h>
#include <weir/topology.h>

#include "rec_config.h"
#include "rec_datagen.h"
#include "rec_topology.h"

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
"Usage: weir-recommend [OPTIONS]\n"
"\n"
"Product recommendations from clicks and sales (the StreamsHub \"recommendation\n"
"with Flink SQL\" widget as a weir topology). For each user who clicked in a\n"
"5-second window: up to 6 in-stock products of the category of the product\n"
"viewed last, not recently recommended first, then bought before, then by\n"
"rating and id; written to flink.recommended.products as\n"
"  key user-27, value user-27,\"140,13,137,95,39,138\",\"2024-06-28 13:01:55\".\n"
"\n"
"With no broker configured (or --embedded) it runs an embedded demo: a mock\n"
"Kafka cluster, an in-process schema registry and the data generator in\n"
"this process; recommendations are printed as they are emitted.\n"
"\n"
"Configuration (later wins: defaults, --config, then flags in order):\n"
"  -c, --config FILE            properties file (key=value) with weir's keys\n"
"                               (CONFIGURATION.md) and the app's keys below\n"
"  -s, --set KEY=VALUE          one property (repeatable)\n"
"  -b, --bootstrap-servers H    same as --set bootstrap.servers=H\n"
"  -r, --schema-registry URL    same as --set schema.registry.url=URL, e.g.\n"
"                               http://localhost:8080/apis/ccompat/v7\n"
"      --group-instance-id ID   static membership (the way to run in\n"
"                               production): same as --set\n"
"                               group.instance.id=ID; a restart within\n"
"                               session.timeout.ms moves no partition\n"
"      --static-membership      the same with this machine's host name\n"
"                               (a StatefulSet pod's name) as the id\n"
"\n"
"Modes:\n"
"      --embedded               the embedded demo, even if a broker is set\n"
"      --with-datagen           against a real broker: also run the data\n"
"                               generator in this process (creates the\n"
"                               input topics if they do not exist)\n"
"      --describe               print the topology and exit\n"
"\n"
"Data generator (embedded demo and --with-datagen):\n"
"      --clicks-per-sec R       default 1\n"
"      --sales-per-sec R        default 100\n"
"      --seed N                 default: from the clock\n"
"      --speedup X              event time X times faster than real time\n"
"                               (default 1)\n"
"      --partitions N           partitions of the topics created (default 3)\n"
"      --ground-truth FILE      write what the generator produced\n"
"\n"
"Output:\n"
"      --duration SEC           stop after SEC seconds (default: until\n"
"                               SIGINT/SIGTERM)\n"
"      --progress-interval SEC  progress line every SEC seconds (default 5;\n"
"                               0: none)\n"
"  -q, --quiet                  do not print recommendations\n"
"  -h, --help                   this text\n"
"\n"
"Application keys (in the properties file or with --set):\n"
"  topic.clicks               input clicks (default flink.click.streams)\n"
"  topic.sales                input sales (default flink.sales.records)\n"
"  topic.recommendations      output (default flink.recommended.products)\n"
"  inventory.file             CSV product_id,category,stock,rating, no header\n"
"                             (default: the shipped productInventory.csv)\n"
"  inventory.topic            compacted topic of CSV rows keyed by product id\n"
"                             that keeps the inventory current (default: none)\n"
"  recommend.window.ms        window size (default 5000)\n"
"  recommend.grace.ms         lateness accepted after a window's end (1000)\n"
"  recommend.count            products per recommendation (default 6)\n"
"  recommend.repeat.ttl.ms    products recommended to the user in an earlier\n"
"                             window ending less than this before go last\n"
"                             (default 600000; 0: off)\n"
"\n"
"Defaults this app sets for weir: application.id=weir-recommend,\n"
"deserialization.exception.handler=dead_letter,\n"
"processing.exception.handler=dead_letter. The embedded demo also uses a\n"
"fresh state.dir under /tmp unless state.dir is set.\n");
    /* clang-format on */
}

/* ---- logging: one line to stderr, serialized ---- */

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_line(void *opaque, int level, const char *fac, const char *msg)
{
    (void)opaque;
    pthread_mutex_lock(&print_lock);
    weir_log_stderr(NULL, level, fac, msg);
    pthread_mutex_unlock(&print_lock);
}

static void print_output(void *opaque, const char *user, const char *value,
                         int64_t window_end)
{
    (void)opaque;
    (void)user;
    (void)window_end;
    pthread_mutex_lock(&print_lock);
    fputs(value, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    pthread_mutex_unlock(&print_lock);
}

/* ---- settings ---- */

typedef struct cli_s {
    rec_config_t cfg;
    weir_conf_t *conf;
    bool embedded, with_datagen, describe, quiet;
    bool state_dir_set;
    rec_datagen_conf_t gen;
    bool seed_set;
    const char *ground_truth;
    double duration_s;
    double progress_s;
    rec_stats_t stats;
} cli_t;

static weir_error_t *set_property(void *opaque, const char *key,
                                  const char *value)
{
    cli_t *cli = opaque;
    if (rec_config_is_key(key))
        return rec_config_set(&cli->cfg, key, value);
    if (!strcmp(key, "state.dir"))
        cli->state_dir_set = true;
    return weir_conf_set(cli->conf, key, value);
}

static weir_error_t *set_pair(cli_t *cli, const char *pair)
{
    const char *eq = strchr(pair, '=');
    if (!eq || eq == pair)
        return weir_error_new(WEIR_ERR_CONFIG, "'%s': expected key=value",
                              pair);
    char key[256];
    size_t klen = (size_t)(eq - pair);
    if (klen >= sizeof(key))
        return weir_error_new(WEIR_ERR_CONFIG, "key too long in '%s'", pair);
    memcpy(key, pair, klen);
    key[klen] = '\0';
    return set_property(cli, key, eq + 1);
}

/* The shipped inventory: next to the binary (build tree), in the
 * installed data directory, or in the source tree. */
static const char *default_inventory(char *buf, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        snprintf(buf, size, "%s/productInventory.csv", dirname(exe));
        if (access(buf, R_OK) == 0)
            return buf;
    }
    const char *candidates[] = {REC_DATA_DIR "/productInventory.csv",
                                REC_SOURCE_CSV};
    for (size_t i = 0; i < 2; i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* ---- the generator thread ---- */

typedef struct gen_thread_s {
    rec_datagen_conf_t conf;
    rec_datagen_progress_t progress;
    weir_error_t *err;
    pthread_t tid;
    bool running;
} gen_thread_t;

static void *gen_main(void *arg)
{
    gen_thread_t *gt = arg;
    gt->err = rec_datagen_run(&gt->conf, &gt->progress);
    return NULL;
}

static void progress_line(const cli_t *cli, const weir_app_t *app,
                          const gen_thread_t *gt, double elapsed)
{
    char gen[128] = "";
    if (gt && gt->running)
        snprintf(gen, sizeof(gen),
                 "generated %" PRIuFAST64 " clicks, %" PRIuFAST64 " sales | ",
                 (uint_fast64_t)atomic_load(&gt->progress.clicks),
                 (uint_fast64_t)atomic_load(&gt->progress.sales));
    char line[512];
    snprintf(line, sizeof(line),
             "[%6.0fs] %s%s | %srecords in %" PRIu64
             " | windows closed %" PRIuFAST64
             " | recommendations out %" PRIuFAST64 " | late clicks %" PRIu64
             " | dead-lettered %" PRIu64,
             elapsed, weir_app_state_name(weir_app_state(app)),
             cli->embedded ? " (embedded)" : "", gen,
             weir_app_metric(app, "records-in"),
             (uint_fast64_t)atomic_load(&cli->stats.windows_closed),
             (uint_fast64_t)atomic_load(&cli->stats.windows_closed),
             weir_app_metric(app, "late-records"),
             weir_app_metric(app, "dead-lettered"));
    pthread_mutex_lock(&print_lock);
    fprintf(stderr, "%s\n", line);
    pthread_mutex_unlock(&print_lock);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- main ---- */

enum {
    OPT_EMBEDDED = 256,
    OPT_WITH_DATAGEN,
    OPT_DESCRIBE,
    OPT_CLICKS_RATE,
    OPT_SALES_RATE,
    OPT_SEED,
    OPT_SPEEDUP,
    OPT_PARTITIONS,
    OPT_GROUND_TRUTH,
    OPT_DURATION,
    OPT_PROGRESS,
    OPT_GROUP_INSTANCE_ID,
    OPT_STATIC_MEMBERSHIP,
};

/* group.instance.id from the host name: a StatefulSet pod's host name is
 * its stable name ("weir-recommend-0"). */
static weir_error_t *set_instance_from_host(weir_conf_t *conf)
{
    char host[256];
    if (gethostname(host, sizeof(host)) || !host[0])
        return weir_error_new(WEIR_ERR_CONFIG,
                              "--static-membership: no host name (%s); use "
                              "--group-instance-id",
                              strerror(errno));
    host[sizeof(host) - 1] = '\0';
    return weir_conf_set(conf, "group.instance.id", host);
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

/* Parses the command line into @p cli; returns -1 to go on, else an exit
 * status. */
static int parse_args(cli_t *cli, int argc, char **argv, weir_error_t **errp)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"set", required_argument, NULL, 's'},
        {"bootstrap-servers", required_argument, NULL, 'b'},
        {"schema-registry", required_argument, NULL, 'r'},
        {"group-instance-id", required_argument, NULL, OPT_GROUP_INSTANCE_ID},
        {"static-membership", no_argument, NULL, OPT_STATIC_MEMBERSHIP},
        {"embedded", no_argument, NULL, OPT_EMBEDDED},
        {"with-datagen", no_argument, NULL, OPT_WITH_DATAGEN},
        {"describe", no_argument, NULL, OPT_DESCRIBE},
        {"clicks-per-sec", required_argument, NULL, OPT_CLICKS_RATE},
        {"sales-per-sec", required_argument, NULL, OPT_SALES_RATE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"speedup", required_argument, NULL, OPT_SPEEDUP},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"ground-truth", required_argument, NULL, OPT_GROUND_TRUTH},
        {"duration", required_argument, NULL, OPT_DURATION},
        {"progress-interval", required_argument, NULL, OPT_PROGRESS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, idx = -1;
    double d;
    *errp = NULL;
    while (!*errp &&
           (c = getopt_long(argc, argv, "c:s:b:r:qh", longopts, &idx)) != -1) {
        /* A short option leaves idx alone: find its long name. */
        if (idx < 0 || longopts[idx].val != c)
            for (idx = 0; longopts[idx].name && longopts[idx].val != c;)
                idx++;
        bool ok = true;
        switch (c) {
        case 'c':
            *errp = weir_properties_parse_file(optarg, set_property, cli);
            break;
        case 's':
            *errp = set_pair(cli, optarg);
            break;
        case 'b':
            *errp = weir_conf_set(cli->conf, "bootstrap.servers", optarg);
            break;
        case 'r':
            *errp = weir_conf_set(cli->conf, "schema.registry.url", optarg);
            break;
        case OPT_GROUP_INSTANCE_ID:
            *errp = weir_conf_set(cli->conf, "group.instance.id", optarg);
            break;
        case OPT_STATIC_MEMBERSHIP:
            *errp = set_instance_from_host(cli->conf);
            break;
        case OPT_EMBEDDED:
            cli->embedded = true;
            break;
        case OPT_WITH_DATAGEN:
            cli->with_datagen = true;
            break;
        case OPT_DESCRIBE:
            cli->describe = true;
            break;
        case OPT_CLICKS_RATE:
            ok = parse_double(optarg, &cli->gen.gen.clicks_per_sec);
            break;
        case OPT_SALES_RATE:
            ok = parse_double(optarg, &cli->gen.gen.sales_per_sec);
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            cli->gen.gen.seed = strtoull(optarg, &end, 10);
            ok = *optarg && *optarg != '-' && !*end && !errno;
            cli->seed_set = true;
            break;
        }
        case OPT_SPEEDUP:
            ok = parse_double(optarg, &cli->gen.speedup);
            break;
        case OPT_PARTITIONS:
            ok = parse_double(optarg, &d) && d >= 1 && d <= 10000 &&
                 d == (int)d;
            cli->gen.partitions = (int)d;
            break;
        case OPT_GROUND_TRUTH:
            cli->ground_truth = optarg;
            break;
        case OPT_DURATION:
            ok = parse_double(optarg, &cli->duration_s) && cli->duration_s > 0;
            break;
        case OPT_PROGRESS:
            ok = parse_double(optarg, &cli->progress_s);
            break;
        case 'q':
            cli->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "weir-recommend: bad value '%s' for --%s\n",
                    optarg, longopts[idx].name ? longopts[idx].name : "?");
            return 2;
        }
    }
    if (!*errp && optind < argc) {
        fprintf(stderr, "weir-recommend: unexpected argument '%s'\n",
                argv[optind]);
        return 2;
    }
    return *errp ? 1 : -1;
}

static weir_error_t *cli_defaults(cli_t *cli)
{
    weir_error_t *err = rec_config_init(&cli->cfg);
    if (err)
        return err;
    cli->cfg.log_cb = log_line;
    cli->cfg.stats = &cli->stats;
    cli->conf = weir_conf_new();
    if (!cli->conf)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    weir_conf_set_log_cb(cli->conf, log_line);
    const char *defaults[][2] = {
        {"application.id", "weir-recommend"},
        {"deserialization.exception.handler", "dead_letter"},
        {"processing.exception.handler", "dead_letter"},
    };
    for (size_t i = 0; !err && i < sizeof(defaults) / sizeof(*defaults); i++)
        err = weir_conf_set(cli->conf, defaults[i][0], defaults[i][1]);
    rec_gen_opts_default(&cli->gen.gen);
    cli->gen.speedup = 1;
    cli->gen.partitions = 3;
    cli->gen.replication_factor = -1;
    cli->progress_s = 5;
    return err;
}

/* Everything after parsing; returns the exit status. */
static int run(cli_t *cli)
{
    weir_error_t *err = NULL;
    char inv_buf[PATH_MAX + 32], state_dir[] = "/tmp/weir-recommend-XXXXXX";
    bool made_state_dir = false;
    weir_mock_cluster_t *mock = NULL;
    weir_registry_t *reg = NULL;
    weir_topology_t *topo = NULL;
    weir_app_t *app = NULL;
    gen_thread_t gt;
    FILE *gt_file = NULL;
    memset(&gt, 0, sizeof(gt));

    if (!cli->cfg.inventory_file && !cli->cfg.inventory_topic) {
        const char *inv = default_inventory(inv_buf, sizeof(inv_buf));
        if (!inv)
            err = weir_error_new(WEIR_ERR_CONFIG,
                                 "inventory.file: productInventory.csv not "
                                 "found next to the binary or in " REC_DATA_DIR
                                 "; set inventory.file");
        else
            err = rec_config_set(&cli->cfg, "inventory.file", inv);
    }
    if (!cli->quiet) {
        cli->cfg.on_output = print_output;
    }
    if (!err)
        err = rec_config_validate(&cli->cfg);
    if (!err && !weir_conf_get(cli->conf, "bootstrap.servers"))
        cli->embedded = true;
    if (!err && cli->describe) {
        reg = weir_registry_memory_new(cli->conf, &err);
        if (reg)
            topo = rec_topology_new(&cli->cfg, reg, &err);
        if (topo) {
            char *d = weir_topology_describe(topo);
            fputs(d ? d : "", stdout);
            weir_free(d);
        }
        weir_topology_destroy(topo);
        weir_registry_destroy(reg);
        goto out;
    }

    if (!err && cli->embedded) {
        mock = weir_mock_cluster_new(1, &err);
        if (mock)
            err = weir_conf_set(cli->conf, "bootstrap.servers",
                                weir_mock_cluster_bootstraps(mock));
        if (!err)
            reg = weir_registry_memory_new(cli->conf, &err);
        if (!err && !cli->state_dir_set) {
            if (!mkdtemp(state_dir))
                err = weir_error_new(WEIR_ERR_IO, "%s: %s", state_dir,
                                     strerror(errno));
            else
                made_state_dir = true;
            if (!err)
                err = weir_conf_set(cli->conf, "state.dir", state_dir);
        }
        cli->with_datagen = true;
    } else if (!err) {
        if (!weir_conf_get(cli->conf, "schema.registry.url"))
            err = weir_error_new(WEIR_ERR_CONFIG,
                                 "schema.registry.url: required with a "
                                 "broker (--schema-registry)");
        else /* every schema.registry.* property, and our log_line */
            reg = weir_registry_http_new(cli->conf, &err);
    }
    const char *bootstrap = err ? NULL
                                : weir_conf_get(cli->conf,
                                                "bootstrap.servers");

    /* The generator's topics (and the output) exist before the app
     * starts, which checks its inputs. */
    if (!err && cli->with_datagen) {
        const char *topics[] = {cli->cfg.topic_clicks, cli->cfg.topic_sales,
                                cli->cfg.topic_recommendations};
        err = rec_datagen_create_topics(
            bootstrap, mock, topics, 3, cli->gen.partitions,
            cli->gen.replication_factor, log_line, NULL);
    }
    if (!err)
        topo = rec_topology_new(&cli->cfg, reg, &err);
    if (!err) {
        app = weir_app_new(topo, cli->conf, &err);
        if (app) {
            topo = NULL; /* the app owns them now */
            cli->conf = NULL;
        }
    }
    if (!err)
        err = weir_app_start(app);

    if (!err && cli->with_datagen) {
        gt.conf = cli->gen;
        if (!cli->seed_set)
            gt.conf.gen.seed = (uint64_t)now_ms();
        gt.conf.gen.start_ms = now_ms();
        gt.conf.bootstrap_servers = bootstrap;
        gt.conf.registry = reg;
        gt.conf.topic_clicks = cli->cfg.topic_clicks;
        gt.conf.topic_sales = cli->cfg.topic_sales;
        gt.conf.partitions = 0; /* created above */
        gt.conf.mock = mock;
        gt.conf.stop = &stop_flag;
        gt.conf.log_cb = log_line;
        if (cli->ground_truth) {
            gt_file = fopen(cli->ground_truth, "w");
            if (!gt_file)
                err = weir_error_new(WEIR_ERR_IO, "%s: %s", cli->ground_truth,
                                     strerror(errno));
            gt.conf.ground_truth = gt_file;
        }
        if (!err && pthread_create(&gt.tid, NULL, gen_main, &gt) != 0)
            err = weir_error_new(WEIR_ERR_NOMEM, "cannot start the generator");
        gt.running = !err;
    }

    if (!err) {
        double start = now_s(), last = start;
        while (!atomic_load(&stop_flag)) {
            struct timespec ts = {0, 200 * 1000000};
            nanosleep(&ts, NULL);
            double t = now_s();
            if (cli->duration_s > 0 && t - start >= cli->duration_s)
                break;
            weir_app_state_t st = weir_app_state(app);
            if (st == WEIR_APP_ERROR || st == WEIR_APP_NOT_RUNNING)
                break;
            if (cli->progress_s > 0 && t - last >= cli->progress_s) {
                progress_line(cli, app, &gt, t - start);
                last = t;
            }
        }
        if (cli->progress_s > 0)
            progress_line(cli, app, &gt, now_s() - start);
    }
    atomic_store(&stop_flag, true);
    if (gt.running) {
        pthread_join(gt.tid, NULL);
        if (gt.err && !err)
            err = weir_error_prefix(gt.err, "data generator: ");
        else
            weir_error_destroy(gt.err);
    }
    if (gt_file && fclose(gt_file) != 0 && !err)
        err = weir_error_new(WEIR_ERR_IO, "%s: %s", cli->ground_truth,
                             strerror(errno));
    if (app) {
        weir_error_t *cerr = weir_app_close(app, 30000);
        if (cerr && !err)
            err = cerr;
        else
            weir_error_destroy(cerr);
        weir_app_destroy(app);
    }
    weir_topology_destroy(topo);
    weir_registry_destroy(reg);
    weir_mock_cluster_destroy(mock);
    if (made_state_dir)
        nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
out:
    if (err) {
        fprintf(stderr, "weir-recommend: %s\n", weir_error_string(err));
        weir_error_destroy(err);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    cli_t cli;
    memset(&cli, 0, sizeof(cli));
    weir_error_t *err = cli_defaults(&cli);
    int rc = err ? 1 : parse_args(&cli, argc, argv, &err);
    if (rc < 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rc = run(&cli);
    } else if (err) {
        fprintf(stderr, "weir-recommend: %s\n", weir_error_string(err));
        weir_error_destroy(err);
    }
    weir_conf_destroy(cli.conf);
    rec_config_free(&cli.cfg);
    return rc;
}
