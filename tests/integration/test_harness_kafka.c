/*
 * test_harness_kafka.c: proves that the harness's real broker does what
 * weir's runtime relies on, with librdkafka alone (no weir code): topics
 * created through the Admin API, transactions whose aborted records a
 * read_committed consumer never sees, and a consumer group that splits
 * partitions and rebalances when a member leaves.
 *
 * These pin Debian's librdkafka 2.0.2 against the pinned Kafka 4.x: if a
 * new broker version broke groups or transactions for this client, these
 * tests say so first.
 */
#include <check.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static char errstr[512];

static rd_kafka_conf_t *base_conf(void)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers",
                                       weir_test_bootstrap(), errstr,
                                       sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    return conf;
}

static void conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    ck_assert_msg(rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr)) ==
                      RD_KAFKA_CONF_OK,
                  "%s=%s: %s", k, v, errstr);
}

static rd_kafka_t *new_handle(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    ck_assert_msg(rk != NULL, "rd_kafka_new: %s", errstr);
    return rk;
}

/* Creates @p topic with the Admin API and waits for the result. */
static void create_topic(const char *topic, int partitions)
{
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, base_conf());
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1,
                                                    errstr, sizeof(errstr));
    ck_assert_msg(nt != NULL, "NewTopic: %s", errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    ck_assert_msg(ev != NULL, "CreateTopics timed out");
    ck_assert_msg(!rd_kafka_event_error(ev), "CreateTopics: %s",
                  rd_kafka_event_error_string(ev));
    const rd_kafka_CreateTopics_result_t *res =
        rd_kafka_event_CreateTopics_result(ev);
    size_t n;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(
        res, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_msg(rd_kafka_topic_result_error(tr[0]) == 0, "create %s: %s",
                  topic, rd_kafka_topic_result_error_string(tr[0]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_destroy(rk);
}

static int partition_count(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md;
    ck_assert_int_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
    int n = md->topic_cnt == 1 && !md->topics[0].err
                ? md->topics[0].partition_cnt
                : -1;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return n;
}

START_TEST(test_harness_admin_creates_topic)
{
    char *topic = weir_test_unique_name("harness-admin");
    create_topic(topic, 3);
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, base_conf());
    ck_assert_int_eq(partition_count(rk, topic), 3);
    rd_kafka_destroy(rk);
    free(topic);
}
END_TEST

START_TEST(test_harness_broker_does_not_autocreate_topics)
{
    /* weir must create what it needs: the harness broker refuses to
     * invent topics, so a missing create shows up in tests. */
    char *topic = weir_test_unique_name("harness-nope");
    rd_kafka_conf_t *conf = base_conf();
    conf_set(conf, "allow.auto.create.topics", "true");
    rd_kafka_t *rk = new_handle(RD_KAFKA_PRODUCER, conf);
    ck_assert_int_eq(partition_count(rk, topic), -1);
    rd_kafka_destroy(rk);
    free(topic);
}
END_TEST

static void produce_n(rd_kafka_t *rk, const char *topic, const char *prefix,
                      int n)
{
    for (int i = 0; i < n; i++) {
        char val[64];
        snprintf(val, sizeof(val), "%s-%d", prefix, i);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_VALUE(val, strlen(val)),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        ck_assert_msg(!err, "produce: %s", rd_kafka_err2str(err));
    }
}

static void txn_ok(rd_kafka_error_t *error, const char *what)
{
    if (error) {
        const char *msg = rd_kafka_error_string(error);
        ck_abort_msg("%s: %s", what, msg);
    }
}

START_TEST(test_harness_read_committed_skips_aborted_transaction)
{
    char *topic = weir_test_unique_name("harness-txn");
    create_topic(topic, 1);

    rd_kafka_conf_t *conf = base_conf();
    char *txid = weir_test_unique_name("harness-txid");
    conf_set(conf, "transactional.id", txid);
    rd_kafka_t *prod = new_handle(RD_KAFKA_PRODUCER, conf);
    txn_ok(rd_kafka_init_transactions(prod, 30000), "init_transactions");

    txn_ok(rd_kafka_begin_transaction(prod), "begin 1");
    produce_n(prod, topic, "committed", 5);
    txn_ok(rd_kafka_commit_transaction(prod, 30000), "commit");

    txn_ok(rd_kafka_begin_transaction(prod), "begin 2");
    produce_n(prod, topic, "aborted", 5);
    ck_assert_int_eq(rd_kafka_flush(prod, 10000), 0);
    txn_ok(rd_kafka_abort_transaction(prod, 30000), "abort");

    txn_ok(rd_kafka_begin_transaction(prod), "begin 3");
    produce_n(prod, topic, "last", 1);
    txn_ok(rd_kafka_commit_transaction(prod, 30000), "commit last");
    rd_kafka_destroy(prod);

    rd_kafka_conf_t *cconf = base_conf();
    conf_set(cconf, "group.id", topic);
    conf_set(cconf, "isolation.level", "read_committed");
    conf_set(cconf, "enable.partition.eof", "true");
    rd_kafka_t *cons = new_handle(RD_KAFKA_CONSUMER, cconf);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(
        1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    ck_assert_int_eq(rd_kafka_assign(cons, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);

    int committed = 0, aborted = 0, last = 0;
    time_t deadline = time(NULL) + 30;
    while (time(NULL) < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 500);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        ck_assert_msg(!m->err, "consume: %s", rd_kafka_message_errstr(m));
        if (!strncmp(m->payload, "committed-", 10))
            committed++;
        else if (!strncmp(m->payload, "aborted-", 8))
            aborted++;
        else if (!strncmp(m->payload, "last-", 5))
            last++;
        rd_kafka_message_destroy(m);
    }
    ck_assert_int_eq(committed, 5);
    ck_assert_int_eq(aborted, 0);
    ck_assert_int_eq(last, 1);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    free(txid);
    free(topic);
}
END_TEST

/* --- consumer group --- */

typedef struct member_s {
    rd_kafka_t *rk;
    int assigned; /* partitions currently assigned */
    int rebalances;
} member_t;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    member_t *m = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        m->assigned = parts->cnt;
    } else {
        rd_kafka_assign(rk, NULL);
        m->assigned = 0;
    }
    m->rebalances++;
}

static void member_start(member_t *m, const char *group, const char *topic)
{
    memset(m, 0, sizeof(*m));
    rd_kafka_conf_t *conf = base_conf();
    conf_set(conf, "group.id", group);
    /* weir's runtime uses the eager range assignor (co-partitioning). */
    conf_set(conf, "partition.assignment.strategy", "range");
    conf_set(conf, "session.timeout.ms", "10000");
    conf_set(conf, "heartbeat.interval.ms", "500");
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, m);
    m->rk = new_handle(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(m->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(
        1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    ck_assert_int_eq(rd_kafka_subscribe(m->rk, sub), 0);
    rd_kafka_topic_partition_list_destroy(sub);
}

static void poll_members(member_t **ms, int n, int ms_total)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        for (int i = 0; i < n; i++) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(ms[i]->rk, 50);
            if (msg)
                rd_kafka_message_destroy(msg);
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 +
                 (now.tv_nsec - start.tv_nsec) / 1000000 <
             ms_total);
}

/* Polls until @p cond holds or 30 s pass. */
#define POLL_UNTIL(ms, n, cond)                                 \
    do {                                                        \
        for (int tries_ = 0; tries_ < 300 && !(cond); tries_++) \
            poll_members((ms), (n), 100);                       \
        ck_assert_msg((cond), "timed out waiting for: " #cond); \
    } while (0)

START_TEST(test_harness_group_splits_and_rebalances)
{
    char *topic = weir_test_unique_name("harness-group");
    char *group = weir_test_unique_name("harness-group-g");
    create_topic(topic, 4);

    member_t a, b;
    member_t *both[] = {&a, &b};
    member_start(&a, group, topic);
    POLL_UNTIL(both, 1, a.assigned == 4);

    member_start(&b, group, topic);
    POLL_UNTIL(both, 2, a.assigned == 2 && b.assigned == 2);

    /* b leaves cleanly: a gets everything back. */
    rd_kafka_consumer_close(b.rk);
    rd_kafka_destroy(b.rk);
    POLL_UNTIL(both, 1, a.assigned == 4);
    ck_assert_int_ge(a.rebalances, 4); /* assign, revoke, assign, revoke.. */

    rd_kafka_consumer_close(a.rk);
    rd_kafka_destroy(a.rk);
    free(group);
    free(topic);
}
END_TEST

static Suite *harness_kafka_suite(void)
{
    Suite *s = suite_create("harness_kafka");
    TCase *tc = tcase_create("broker");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, test_harness_admin_creates_topic);
    tcase_add_test(tc, test_harness_broker_does_not_autocreate_topics);
    tcase_add_test(tc, test_harness_read_committed_skips_aborted_transaction);
    tcase_add_test(tc, test_harness_group_splits_and_rebalances);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(harness_kafka_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
