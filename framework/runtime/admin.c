/*
 * admin.c: creating and checking the topics weir needs.
 *
 * Internal topics (repartition, changelog, dead letters) are created at
 * start-up with the Admin API; an existing one is accepted only if it has
 * the partition count and cleanup policy weir needs, because a silent
 * mismatch (a changelog that is not compacted, a repartition topic with
 * fewer partitions than tasks) loses data later in ways that are hard to
 * trace. Several instances may start at once: a creation that loses the
 * race (TOPIC_ALREADY_EXISTS) is checked like any existing topic.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin_int.h"
#include "alloc_int.h"
#include "clock_int.h"

weir_error_t *weir__admin_partition_count(rd_kafka_t *rk, const char *topic,
                                          int timeout_ms, int32_t *partsp)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        return weir__error_from_resp(rd_kafka_last_error(), "topic %s", topic);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t code = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (code)
        return weir__error_from_resp(code, "metadata of topic %s", topic);
    weir_error_t *err = NULL;
    *partsp = -1;
    if (md->topic_cnt == 1) {
        rd_kafka_resp_err_t terr = md->topics[0].err;
        if (!terr)
            *partsp = md->topics[0].partition_cnt;
        else if (terr != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART &&
                 terr != RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
            err = weir__error_from_resp(terr, "metadata of topic %s", topic);
    }
    rd_kafka_metadata_destroy(md);
    return err;
}

/* Waits for one admin result event on @p q. */
static weir_error_t *admin_wait(rd_kafka_queue_t *q, int timeout_ms,
                                const char *what, rd_kafka_event_t **evp)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    if (!ev)
        return weir_error_set_retriable(
            weir_error_new(WEIR_ERR_TIMEOUT, "%s: no answer in %d ms", what,
                           timeout_ms),
            true);
    if (rd_kafka_event_error(ev)) {
        weir_error_t *err = weir__error_from_resp(
            rd_kafka_event_error(ev), "%s: %s", what,
            rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return err;
    }
    *evp = ev;
    return NULL;
}

static rd_kafka_AdminOptions_t *
admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op, int timeout_ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr,
                                              sizeof(errstr));
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS)
        rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, errstr,
                                                    sizeof(errstr));
    return opts;
}

weir_error_t *weir__admin_topic_config(rd_kafka_t *rk, const char *topic,
                                       const char *name, int timeout_ms,
                                       char **valuep)
{
    *valuep = NULL;
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(
        RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = admin_options(
        rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
    rd_kafka_event_t *ev = NULL;
    char what[512];
    snprintf(what, sizeof(what), "describing the config of topic %s", topic);
    weir_error_t *err = admin_wait(q, timeout_ms, what, &ev);
    if (!err) {
        size_t n;
        const rd_kafka_ConfigResource_t **rs =
            rd_kafka_DescribeConfigs_result_resources(
                rd_kafka_event_DescribeConfigs_result(ev), &n);
        if (n == 1 && rd_kafka_ConfigResource_error(rs[0]))
            err = weir__error_from_resp(
                rd_kafka_ConfigResource_error(rs[0]), "%s: %s", what,
                rd_kafka_ConfigResource_error_string(rs[0]));
        for (size_t i = 0; !err && i < n; i++) {
            size_t cn;
            const rd_kafka_ConfigEntry_t **entries =
                rd_kafka_ConfigResource_configs(rs[i], &cn);
            for (size_t j = 0; j < cn; j++) {
                if (strcmp(rd_kafka_ConfigEntry_name(entries[j]), name))
                    continue;
                const char *v = rd_kafka_ConfigEntry_value(entries[j]);
                if (v) {
                    *valuep = weir__strdup(v);
                    if (!*valuep)
                        err = weir_error_new(WEIR_ERR_NOMEM, "%s", what);
                }
                break;
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    return err;
}

/* Compares "compact,delete" and "delete,compact" as equal. */
static bool same_policy(const char *a, const char *b)
{
    bool a_compact = strstr(a, "compact") != NULL;
    bool a_delete = strstr(a, "delete") != NULL;
    bool b_compact = strstr(b, "compact") != NULL;
    bool b_delete = strstr(b, "delete") != NULL;
    return a_compact == b_compact && a_delete == b_delete;
}

static weir_error_t *check_existing(rd_kafka_t *rk,
                                    const weir__topic_spec_t *spec,
                                    int32_t parts, int timeout_ms)
{
    if (parts != spec->partitions)
        return weir_error_new(
            WEIR_ERR_CONFIG,
            "topic %s exists with %" PRId32
            " partitions, but weir needs %" PRId32
            " (delete it, or fix the partition counts of the input topics)",
            spec->name, parts, spec->partitions);
    if (!spec->cleanup_policy)
        return NULL;
    char *policy = NULL;
    weir_error_t *err = weir__admin_topic_config(
        rk, spec->name, "cleanup.policy", timeout_ms, &policy);
    if (!err && policy && !same_policy(policy, spec->cleanup_policy))
        err = weir_error_new(WEIR_ERR_CONFIG,
                             "topic %s exists with cleanup.policy=%s, but "
                             "weir needs cleanup.policy=%s",
                             spec->name, policy, spec->cleanup_policy);
    weir__free(policy);
    return err;
}

static weir_error_t *create_topics(rd_kafka_t *rk,
                                   const weir__topic_spec_t **specs,
                                   size_t cnt, int timeout_ms, bool *raced)
{
    char errstr[512];
    rd_kafka_NewTopic_t **nts = weir__calloc(cnt, sizeof(*nts));
    if (!nts)
        return weir_error_new(WEIR_ERR_NOMEM, "creating topics");
    weir_error_t *err = NULL;
    for (size_t i = 0; i < cnt && !err; i++) {
        nts[i] = rd_kafka_NewTopic_new(specs[i]->name, specs[i]->partitions,
                                       specs[i]->replication, errstr,
                                       sizeof(errstr));
        if (!nts[i]) {
            err = weir_error_new(WEIR_ERR_CONFIG, "topic %s: %s",
                                 specs[i]->name, errstr);
            break;
        }
        if (specs[i]->cleanup_policy)
            rd_kafka_NewTopic_set_config(nts[i], "cleanup.policy",
                                         specs[i]->cleanup_policy);
        if (specs[i]->retention_ms) {
            char v[32];
            snprintf(v, sizeof(v), "%" PRId64, specs[i]->retention_ms);
            rd_kafka_NewTopic_set_config(nts[i], "retention.ms", v);
        }
    }
    if (!err) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opts = admin_options(
            rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
        rd_kafka_CreateTopics(rk, nts, cnt, opts, q);
        rd_kafka_event_t *ev = NULL;
        err = admin_wait(q, timeout_ms, "creating topics", &ev);
        if (!err) {
            size_t n;
            const rd_kafka_topic_result_t **res =
                rd_kafka_CreateTopics_result_topics(
                    rd_kafka_event_CreateTopics_result(ev), &n);
            for (size_t i = 0; i < n && !err; i++) {
                rd_kafka_resp_err_t code = rd_kafka_topic_result_error(res[i]);
                if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                    *raced = true;
                else if (code)
                    err = weir__error_from_resp(
                        code, "creating topic %s: %s",
                        rd_kafka_topic_result_name(res[i]),
                        rd_kafka_topic_result_error_string(res[i]));
            }
            rd_kafka_event_destroy(ev);
        }
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
    }
    for (size_t i = 0; i < cnt; i++)
        if (nts[i])
            rd_kafka_NewTopic_destroy(nts[i]);
    weir__free(nts);
    return err;
}

weir_error_t *weir__admin_ensure_topics(rd_kafka_t *rk,
                                        const weir__topic_spec_t *specs,
                                        size_t cnt, int timeout_ms,
                                        const weir__logger_t *log)
{
    if (!cnt)
        return NULL;
    const weir__topic_spec_t **missing = weir__calloc(cnt, sizeof(*missing));
    if (!missing)
        return weir_error_new(WEIR_ERR_NOMEM, "checking topics");
    size_t missing_cnt = 0;
    weir_error_t *err = NULL;
    for (size_t i = 0; i < cnt && !err; i++) {
        int32_t parts;
        err = weir__admin_partition_count(rk, specs[i].name, timeout_ms,
                                          &parts);
        if (err)
            break;
        if (parts < 0)
            missing[missing_cnt++] = &specs[i];
        else
            err = check_existing(rk, &specs[i], parts, timeout_ms);
    }
    bool raced = false;
    if (!err && missing_cnt) {
        for (size_t i = 0; i < missing_cnt; i++)
            weir__log(log, WEIR_LOG_INFO, "TOPIC",
                      "creating topic %s (%" PRId32 " partitions, "
                      "cleanup.policy=%s)",
                      missing[i]->name, missing[i]->partitions,
                      missing[i]->cleanup_policy ? missing[i]->cleanup_policy
                                                 : "default");
        err = create_topics(rk, missing, missing_cnt, timeout_ms, &raced);
    }
    /* Wait until every created topic is in metadata with all its
     * partitions, and check those another instance created first. */
    int64_t deadline = weir__mono_ms() + timeout_ms;
    for (size_t i = 0; i < missing_cnt && !err; i++) {
        int32_t parts = -1;
        while (!err) {
            err = weir__admin_partition_count(rk, missing[i]->name, timeout_ms,
                                              &parts);
            if (err || parts >= 0)
                break;
            if (weir__mono_ms() > deadline) {
                err = weir_error_new(WEIR_ERR_TIMEOUT,
                                     "topic %s was created but does not "
                                     "appear in metadata",
                                     missing[i]->name);
                break;
            }
            struct timespec ts = {0, 100 * 1000000};
            nanosleep(&ts, NULL);
        }
        if (!err && raced)
            err = check_existing(rk, missing[i], parts, timeout_ms);
    }
    weir__free(missing);
    return err;
}

weir_error_t *
weir__admin_delete_records(rd_kafka_t *rk,
                           const rd_kafka_topic_partition_list_t *before,
                           int timeout_ms)
{
    if (!before->cnt)
        return NULL;
    rd_kafka_DeleteRecords_t *dr = rd_kafka_DeleteRecords_new(before);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = admin_options(
        rk, RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout_ms);
    rd_kafka_DeleteRecords(rk, &dr, 1, opts, q);
    rd_kafka_event_t *ev = NULL;
    weir_error_t *err = admin_wait(q, timeout_ms, "deleting records", &ev);
    if (!err) {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(
                rd_kafka_event_DeleteRecords_result(ev));
        for (int i = 0; res && i < res->cnt && !err; i++)
            if (res->elems[i].err)
                err = weir__error_from_resp(
                    res->elems[i].err, "deleting records of %s [%" PRId32 "]",
                    res->elems[i].topic, res->elems[i].partition);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteRecords_destroy(dr);
    return err;
}
