/*
 * kafka_util.c: librdkafka helpers for integration tests.
 */
#include "kafka_util.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static rd_kafka_t *handle(rd_kafka_type_t type, const char *const *props)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", weir_test_bootstrap(), errstr,
                      sizeof(errstr));
    for (size_t i = 0; props && props[i]; i += 2)
        ck_assert_msg(rd_kafka_conf_set(conf, props[i], props[i + 1], errstr,
                                        sizeof(errstr)) == RD_KAFKA_CONF_OK,
                      "%s: %s", props[i], errstr);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    ck_assert_msg(rk != NULL, "rd_kafka_new: %s", errstr);
    return rk;
}

void weir_test_create_topic(const char *topic, int partitions)
{
    weir_test_create_topic_config(topic, partitions, NULL);
}

void weir_test_create_topic_config(const char *topic, int partitions,
                                   const char *const *configs)
{
    char errstr[512];
    rd_kafka_t *rk = handle(RD_KAFKA_PRODUCER, NULL);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1,
                                                    errstr, sizeof(errstr));
    ck_assert_msg(nt != NULL, "%s", errstr);
    /* Tests use event times in the past; without this the broker's time
     * retention (7 days) deletes their records at its next check. */
    rd_kafka_NewTopic_set_config(nt, "retention.ms", "-1");
    for (size_t i = 0; configs && configs[i]; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    ck_assert_msg(ev && !rd_kafka_event_error(ev), "CreateTopics %s", topic);
    size_t n;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(ev), &n);
    ck_assert_msg(n == 1 && !rd_kafka_topic_result_error(res[0]),
                  "create %s: %s", topic,
                  n ? rd_kafka_topic_result_error_string(res[0]) : "?");
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    /* Created is not yet visible everywhere: wait until the metadata
     * shows its partitions, so an app started next finds it. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    bool visible = false;
    for (int i = 0; i < 100 && !visible; i++) {
        const struct rd_kafka_metadata *md = NULL;
        if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
            visible = md->topic_cnt == 1 && !md->topics[0].err &&
                      md->topics[0].partition_cnt == partitions;
            rd_kafka_metadata_destroy(md);
        }
        if (!visible) {
            struct timespec pause = {0, 50 * 1000000};
            nanosleep(&pause, NULL);
        }
    }
    rd_kafka_topic_destroy(rkt);
    ck_assert_msg(visible, "topic %s not in the metadata after creation",
                  topic);
    rd_kafka_destroy(rk);
}

rd_kafka_t *weir_test_producer(void)
{
    static const char *props[] = {"linger.ms", "5", "partitioner",
                                  "murmur2_random", NULL};
    return handle(RD_KAFKA_PRODUCER, props);
}

void weir_test_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                       const char *key, const void *value, size_t value_len,
                       int64_t timestamp)
{
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA
                                               : partition),
            RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
            RD_KAFKA_V_VALUE((void *)value, value ? value_len : 0),
            RD_KAFKA_V_TIMESTAMP(timestamp),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 10);
            continue;
        }
        ck_assert_msg(!err, "produce to %s: %s", topic, rd_kafka_err2str(err));
        return;
    }
}

static char *dup_bytes(const void *p, size_t n)
{
    if (!p)
        return NULL;
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

size_t weir_test_consume_all(const char *topic, size_t want, int timeout_ms,
                             bool read_committed, weir_test_msg_t **msgsp)
{
    char *group = weir_test_unique_name("reader");
    const char *props[] = {"group.id",
                           group,
                           "enable.partition.eof",
                           "true",
                           "isolation.level",
                           read_committed ? "read_committed"
                                          : "read_uncommitted",
                           "enable.auto.commit",
                           "false",
                           NULL};
    rd_kafka_t *rk = handle(RD_KAFKA_CONSUMER, props);
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    ck_assert_int_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(
        parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(list, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    ck_assert_int_eq(rd_kafka_assign(rk, list), 0);
    rd_kafka_topic_partition_list_destroy(list);

    size_t n = 0, cap = 64;
    weir_test_msg_t *msgs = calloc(cap, sizeof(*msgs));
    bool *eof = calloc((size_t)parts, sizeof(bool));
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed = (now.tv_sec - start.tv_sec) * 1000 +
                       (now.tv_nsec - start.tv_nsec) / 1000000;
        int eofs = 0;
        for (int p = 0; p < parts; p++)
            eofs += eof[p];
        if ((n >= want && eofs == parts) || elapsed > timeout_ms)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof[m->partition] = true;
        } else if (!m->err) {
            eof[m->partition] = false;
            if (n == cap) {
                cap *= 2;
                msgs = realloc(msgs, cap * sizeof(*msgs));
            }
            weir_test_msg_t *t = &msgs[n++];
            t->key = dup_bytes(m->key, m->key_len);
            t->key_len = m->key_len;
            t->value = dup_bytes(m->payload, m->len);
            t->value_len = m->len;
            t->partition = m->partition;
            t->offset = m->offset;
            t->timestamp = rd_kafka_message_timestamp(m, NULL);
        }
        rd_kafka_message_destroy(m);
    }
    free(eof);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(group);
    *msgsp = msgs;
    return n;
}

void weir_test_msgs_free(weir_test_msg_t *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(msgs[i].key);
        free(msgs[i].value);
    }
    free(msgs);
}
