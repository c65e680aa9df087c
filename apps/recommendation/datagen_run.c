/*
 * datagen_run.c: produces the generator's sequence to Kafka (see
 * rec_datagen.h).
 *
 * The sequence itself comes from rec_gen (deterministic); this file only
 * paces it, encodes it and sends it. Pacing: record i is sent when the
 * wall clock reaches wall_start + (ts_i - start) / speedup, so with
 * speedup 1 and the start at "now" the record timestamps are the current
 * time, as in the seed's producer; with a larger speedup, or 0 for no
 * pause at all, an hour of event time takes seconds. The record's Kafka
 * timestamp is set explicitly to its event time, so the ground-truth file
 * says exactly what the brokers hold.
 *
 * The producer is idempotent by default, so that a retried batch cannot
 * reorder a partition; the ground-truth line of a record is written when
 * it is handed to the producer, and the run fails if any record is not
 * acknowledged in the end.
 */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weir/serde_avro.h>

#include "rec_datagen.h"
#include "rec_topology.h"

typedef struct run_s {
    const rec_datagen_conf_t *conf;
    rd_kafka_t *rk;
    weir_serde_t *click_serde, *sale_serde;
    avro_value_t click_value, sale_value;
    bool have_click_value, have_sale_value;
    atomic_uint_fast64_t delivery_errors;
    char first_error[512];
} run_t;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
    (void)rk;
    run_t *run = opaque;
    if (!m->err)
        return;
    if (atomic_fetch_add(&run->delivery_errors, 1) == 0)
        snprintf(run->first_error, sizeof(run->first_error),
                 "delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    run_t *run = rd_kafka_opaque(rk);
    if (run && run->conf->log_cb)
        run->conf->log_cb(run->conf->log_opaque, level, "KAFKA", buf);
    (void)fac;
}

static weir_error_t *make_producer(run_t *run)
{
    const rec_datagen_conf_t *conf = run->conf;
    char errstr[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    struct {
        const char *k, *v;
    } defaults[] = {
        {"bootstrap.servers", conf->bootstrap_servers},
        {"enable.idempotence", "true"},
        {"linger.ms", "5"},
        {"client.id", "weir-datagen"},
    };
    for (size_t i = 0; i < sizeof(defaults) / sizeof(*defaults); i++) {
        if (!defaults[i].v)
            continue;
        if (rd_kafka_conf_set(kc, defaults[i].k, defaults[i].v, errstr,
                              sizeof(errstr)) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(kc);
            return weir_error_new(WEIR_ERR_CONFIG, "%s: %s", defaults[i].k,
                                  errstr);
        }
    }
    for (size_t i = 0; i < conf->rdkafka_prop_cnt; i++) {
        const char *pair = conf->rdkafka_props[i];
        const char *eq = strchr(pair, '=');
        char key[256];
        if (!eq || eq == pair || (size_t)(eq - pair) >= sizeof(key)) {
            rd_kafka_conf_destroy(kc);
            return weir_error_new(WEIR_ERR_CONFIG, "'%s': expected key=value",
                                  pair);
        }
        memcpy(key, pair, (size_t)(eq - pair));
        key[eq - pair] = '\0';
        if (rd_kafka_conf_set(kc, key, eq + 1, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(kc);
            return weir_error_new(WEIR_ERR_CONFIG, "%s: %s", key, errstr);
        }
    }
    rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
    rd_kafka_conf_set_log_cb(kc, on_log);
    rd_kafka_conf_set_opaque(kc, run);
    run->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, sizeof(errstr));
    if (!run->rk) {
        rd_kafka_conf_destroy(kc);
        return weir_error_new(WEIR_ERR_KAFKA, "producer: %s", errstr);
    }
    return NULL;
}

typedef struct admin_log_s {
    weir_log_cb_t *cb;
    void *opaque;
} admin_log_t;

static void admin_on_log(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf)
{
    admin_log_t *al = rd_kafka_opaque(rk);
    (void)fac;
    if (al && al->cb)
        al->cb(al->opaque, level, "KAFKA", buf);
}

static weir_error_t *admin_create(rd_kafka_t *rk, const char *const *topics,
                                  size_t cnt, int partitions,
                                  int replication_factor,
                                  const admin_log_t *al)
{
    char errstr[512];
    rd_kafka_NewTopic_t **nt = calloc(cnt, sizeof(*nt));
    if (!nt)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        nt[i] = rd_kafka_NewTopic_new(
            topics[i], partitions, replication_factor, errstr, sizeof(errstr));
        if (!nt[i]) {
            rd_kafka_NewTopic_destroy_array(nt, i);
            free(nt);
            return weir_error_new(WEIR_ERR_INVALID_ARG, "topic %s: %s",
                                  topics[i], errstr);
        }
        /* Event times may lie in the past (--event-time-start, replays):
         * the broker's time retention (7 days by default) would delete
         * such records at its next check, before anyone reads them. */
        rd_kafka_NewTopic_set_config(nt[i], "retention.ms", "-1");
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(
        rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opts, 30000, errstr,
                                              sizeof(errstr));
    rd_kafka_CreateTopics(rk, nt, cnt, opts, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    weir_error_t *err = NULL;
    if (!ev) {
        err = weir_error_new(WEIR_ERR_TIMEOUT, "CreateTopics: no answer");
    } else if (rd_kafka_event_error(ev)) {
        err = weir_error_new(WEIR_ERR_KAFKA, "CreateTopics: %s",
                             rd_kafka_event_error_string(ev));
    } else {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(
                rd_kafka_event_CreateTopics_result(ev), &n);
        for (size_t i = 0; !err && i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            const char *name = rd_kafka_topic_result_name(res[i]);
            char msg[256];
            if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                snprintf(msg, sizeof(msg), "topic %s exists; left as it is",
                         name);
            } else if (e) {
                err = weir_error_set_origin_code(
                    weir_error_new(WEIR_ERR_KAFKA, "create topic %s: %s", name,
                                   rd_kafka_topic_result_error_string(res[i])),
                    e);
                break;
            } else {
                snprintf(msg, sizeof(msg),
                         "created topic %s with %d partition(s)", name,
                         partitions);
            }
            if (al->cb)
                al->cb(al->opaque, WEIR_LOG_INFO, "DATAGEN", msg);
        }
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy_array(nt, cnt);
    free(nt);
    return err;
}

/* A created topic is not at once in every broker's metadata: wait until
 * it is, so that an app started right after finds it. */
static weir_error_t *await_visible(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        return weir_error_new(WEIR_ERR_NOMEM, "topic handle %s", topic);
    bool visible = false;
    for (int i = 0; i < 600 && !visible; i++) {
        const struct rd_kafka_metadata *md = NULL;
        if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
            visible = md->topic_cnt == 1 && !md->topics[0].err &&
                      md->topics[0].partition_cnt > 0;
            rd_kafka_metadata_destroy(md);
        }
        if (!visible) {
            struct timespec pause = {0, 50 * 1000000};
            nanosleep(&pause, NULL);
        }
    }
    rd_kafka_topic_destroy(rkt);
    if (!visible)
        return weir_error_new(WEIR_ERR_TIMEOUT,
                              "topic %s created but not in the brokers' "
                              "metadata after 30 s",
                              topic);
    return NULL;
}

weir_error_t *rec_datagen_create_topics(
    const char *bootstrap_servers, weir_mock_cluster_t *mock,
    const char *const *topics, size_t topic_cnt, int partitions,
    int replication_factor, weir_log_cb_t *log_cb, void *log_opaque)
{
    if (partitions <= 0)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "create topics: partitions must be > 0");
    if (mock) {
        for (size_t i = 0; i < topic_cnt; i++) {
            weir_error_t *err = weir_mock_cluster_create_topic(mock, topics[i],
                                                               partitions);
            if (err)
                return err;
        }
        return NULL;
    }
    admin_log_t al = {log_cb, log_opaque};
    char errstr[512];
    rd_kafka_conf_t *kc = rd_kafka_conf_new();
    if (rd_kafka_conf_set(kc, "bootstrap.servers", bootstrap_servers, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(kc);
        return weir_error_new(WEIR_ERR_CONFIG, "bootstrap.servers: %s",
                              errstr);
    }
    rd_kafka_conf_set_log_cb(kc, admin_on_log);
    rd_kafka_conf_set_opaque(kc, &al);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr,
                                  sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(kc);
        return weir_error_new(WEIR_ERR_KAFKA, "admin client: %s", errstr);
    }
    weir_error_t *err = admin_create(rk, topics, topic_cnt, partitions,
                                     replication_factor, &al);
    for (size_t i = 0; !err && i < topic_cnt; i++)
        err = await_visible(rk, topics[i]);
    rd_kafka_destroy(rk);
    return err;
}

static weir_error_t *set_field(avro_value_t *rec, const char *name,
                               const char *s)
{
    avro_value_t f;
    if (avro_value_get_by_name(rec, name, &f, NULL) != 0 ||
        avro_value_set_string(&f, s) != 0)
        return weir_error_new(WEIR_ERR_SCHEMA, "field %s: %s", name,
                              avro_strerror());
    return NULL;
}

/* The Avro value of @p r in the Confluent wire format, into @p out. */
static weir_error_t *encode(run_t *run, const rec_gt_record_t *r,
                            weir_buf_t *out)
{
    const rec_datagen_conf_t *conf = run->conf;
    bool click = r->kind == REC_GT_CLICK;
    avro_value_t *v = click ? &run->click_value : &run->sale_value;
    weir_error_t *err = set_field(v, "user_id", r->user_id);
    if (!err)
        err = set_field(v, "product_id", r->product_id);
    if (!err && !click)
        err = set_field(v, "invoice_id", r->invoice_id);
    if (!err && !click)
        err = set_field(v, "quantity", r->quantity);
    if (!err && !click)
        err = set_field(v, "unit_cost", r->unit_cost);
    if (!err)
        err = weir_serde_serialize(click ? run->click_serde : run->sale_serde,
                                   click ? conf->topic_clicks
                                         : conf->topic_sales,
                                   v, sizeof(*v), out);
    return err;
}

static weir_error_t *produce(run_t *run, const rec_gt_record_t *r,
                             const weir_buf_t *value)
{
    const char *topic = r->kind == REC_GT_CLICK ? run->conf->topic_clicks
                                                : run->conf->topic_sales;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            run->rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_KEY(r->key, strlen(r->key)),
            RD_KAFKA_V_VALUE(value->data, value->len),
            RD_KAFKA_V_TIMESTAMP(r->timestamp),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e)
            return NULL;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return weir_error_set_origin_code(
                weir_error_new(WEIR_ERR_KAFKA, "produce to %s: %s", topic,
                               rd_kafka_err2str(e)),
                e);
        rd_kafka_poll(run->rk, 50); /* let deliveries drain the queue */
    }
}

static void sleep_until(int64_t wall_ms, atomic_bool *stop)
{
    for (;;) {
        int64_t left = wall_ms - now_ms();
        if (left <= 0 || (stop && atomic_load(stop)))
            return;
        if (left > 100)
            left = 100;
        struct timespec ts = {left / 1000, (left % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
}

static weir_error_t *loop(run_t *run, rec_datagen_progress_t *progress)
{
    const rec_datagen_conf_t *conf = run->conf;
    weir_error_t *err = NULL;
    rec_gen_t *gen = rec_gen_new(&conf->gen, &err);
    if (!gen)
        return err;
    weir_buf_t buf;
    weir_buf_init(&buf, 0);
    int64_t wall_start = now_ms();
    uint64_t sent = 0;
    while (!err) {
        if (conf->stop && atomic_load(conf->stop))
            break;
        if (conf->max_records && sent >= conf->max_records)
            break;
        int64_t next = rec_gen_peek_time(gen);
        if (conf->duration_ms &&
            next >= conf->gen.start_ms + conf->duration_ms)
            break;
        if (conf->speedup > 0) {
            double lag = (double)(next - conf->gen.start_ms) / conf->speedup;
            sleep_until(wall_start + (int64_t)lag, conf->stop);
        }
        if (conf->stop && atomic_load(conf->stop))
            break;
        rec_gt_record_t r;
        rec_gen_next(gen, &r);
        weir_buf_reset(&buf);
        err = encode(run, &r, &buf);
        if (!err)
            err = produce(run, &r, &buf);
        if (!err && conf->ground_truth)
            err = rec_gt_write(conf->ground_truth,
                               r.kind == REC_GT_CLICK ? conf->topic_clicks
                                                      : conf->topic_sales,
                               &r);
        if (err)
            break;
        sent++;
        if (progress) {
            atomic_fetch_add(r.kind == REC_GT_CLICK ? &progress->clicks
                                                    : &progress->sales,
                             1);
            atomic_store(&progress->last_timestamp, r.timestamp);
        }
        rd_kafka_poll(run->rk, 0);
        if (atomic_load(&run->delivery_errors))
            err = weir_error_new(WEIR_ERR_KAFKA, "%s", run->first_error);
    }
    weir_buf_free(&buf);
    rec_gen_destroy(gen);
    return err;
}

weir_error_t *rec_datagen_run(const rec_datagen_conf_t *conf,
                              rec_datagen_progress_t *progress)
{
    if (!conf->bootstrap_servers || !conf->registry || !conf->topic_clicks ||
        !conf->topic_sales)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "datagen: bootstrap servers, registry and "
                              "topics are required");
    run_t run;
    memset(&run, 0, sizeof(run));
    run.conf = conf;
    weir_error_t *err = NULL;
    run.click_serde = weir_serde_avro_new(conf->registry,
                                          rec_schema_clickstream, 0, &err);
    if (run.click_serde)
        run.sale_serde = weir_serde_avro_new(conf->registry, rec_schema_sales,
                                             0, &err);
    if (!err)
        err = weir_serde_avro_value_new(run.click_serde, &run.click_value);
    run.have_click_value = !err;
    if (!err)
        err = weir_serde_avro_value_new(run.sale_serde, &run.sale_value);
    run.have_sale_value = run.have_click_value && !err;
    if (!err)
        err = make_producer(&run);
    if (!err && conf->partitions > 0) {
        const char *topics[2] = {conf->topic_clicks, conf->topic_sales};
        err = rec_datagen_create_topics(
            conf->bootstrap_servers, conf->mock, topics, 2, conf->partitions,
            conf->replication_factor, conf->log_cb, conf->log_opaque);
    }
    if (!err)
        err = loop(&run, progress);
    if (run.rk) {
        /* Flush what was handed over, even after an error, so that the
         * ground truth and the topics agree as far as possible. */
        rd_kafka_resp_err_t fe = rd_kafka_flush(run.rk, 60000);
        if (!err && fe)
            err = weir_error_new(WEIR_ERR_KAFKA, "flush: %s",
                                 rd_kafka_err2str(fe));
        if (!err && atomic_load(&run.delivery_errors))
            err = weir_error_new(
                WEIR_ERR_KAFKA,
                "%" PRIuFAST64 " record(s) not delivered; "
                "first: %s",
                (uint_fast64_t)atomic_load(&run.delivery_errors),
                run.first_error);
        rd_kafka_destroy(run.rk);
    }
    if (conf->ground_truth && fflush(conf->ground_truth) != 0 && !err)
        err = weir_error_new(WEIR_ERR_IO, "ground truth: %s", strerror(errno));
    if (run.have_click_value)
        avro_value_decref(&run.click_value);
    if (run.have_sale_value)
        avro_value_decref(&run.sale_value);
    weir_serde_destroy(run.click_serde);
    weir_serde_destroy(run.sale_serde);
    return err;
}
