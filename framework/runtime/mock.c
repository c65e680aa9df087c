/*
 * mock.c: the embedded mock cluster (see weir/mock.h).
 *
 * librdkafka's mock cluster lives inside a client handle of this process.
 * Live clusters are kept in a list so the runtime can tell, from an app's
 * bootstrap.servers, that it talks to a mock and must create topics
 * through it: the mock answers no Admin API requests.
 */
#include <pthread.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <weir/mock.h>

#include "alloc_int.h"
#include "mock_int.h"

struct weir_mock_cluster_s {
    rd_kafka_t *owner;
    rd_kafka_mock_cluster_t *mcluster;
    char *bootstraps;
    weir_mock_cluster_t *next;
};

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static weir_mock_cluster_t *live;

weir_mock_cluster_t *weir_mock_cluster_new(int brokers, weir_error_t **errp)
{
    if (brokers < 1 || brokers > 16) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "mock cluster: %d brokers (1..16)", brokers);
        return NULL;
    }
    weir_mock_cluster_t *mc = weir__calloc(1, sizeof(*mc));
    if (!mc) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "mock cluster");
        return NULL;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* The owner handle only hosts the cluster; keep it quiet. */
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
    mc->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!mc->owner) {
        rd_kafka_conf_destroy(conf);
        weir__free(mc);
        *errp = weir_error_new(WEIR_ERR_KAFKA, "mock cluster: %s", errstr);
        return NULL;
    }
    mc->mcluster = rd_kafka_mock_cluster_new(mc->owner, brokers);
    if (!mc->mcluster) {
        rd_kafka_destroy(mc->owner);
        weir__free(mc);
        *errp = weir_error_new(WEIR_ERR_KAFKA,
                               "mock cluster: could not start %d brokers",
                               brokers);
        return NULL;
    }
    mc->bootstraps = weir__strdup(
        rd_kafka_mock_cluster_bootstraps(mc->mcluster));
    if (!mc->bootstraps) {
        weir_mock_cluster_destroy(mc);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "mock cluster");
        return NULL;
    }
    pthread_mutex_lock(&live_lock);
    mc->next = live;
    live = mc;
    pthread_mutex_unlock(&live_lock);
    return mc;
}

const char *weir_mock_cluster_bootstraps(const weir_mock_cluster_t *mc)
{
    return mc->bootstraps;
}

weir_error_t *weir_mock_cluster_create_topic(weir_mock_cluster_t *mc,
                                             const char *topic, int partitions)
{
    rd_kafka_resp_err_t code = rd_kafka_mock_topic_create(mc->mcluster, topic,
                                                          partitions, 1);
    if (code && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        return weir_error_new(WEIR_ERR_KAFKA, "mock topic %s: %s", topic,
                              rd_kafka_err2str(code));
    return NULL;
}

void weir_mock_cluster_destroy(weir_mock_cluster_t *mc)
{
    if (!mc)
        return;
    pthread_mutex_lock(&live_lock);
    for (weir_mock_cluster_t **pp = &live; *pp; pp = &(*pp)->next) {
        if (*pp == mc) {
            *pp = mc->next;
            break;
        }
    }
    pthread_mutex_unlock(&live_lock);
    if (mc->mcluster)
        rd_kafka_mock_cluster_destroy(mc->mcluster);
    if (mc->owner)
        rd_kafka_destroy(mc->owner);
    weir__free(mc->bootstraps);
    weir__free(mc);
}

weir_mock_cluster_t *weir__mock_find(const char *bootstraps)
{
    if (!bootstraps)
        return NULL;
    pthread_mutex_lock(&live_lock);
    weir_mock_cluster_t *mc = live;
    while (mc && strcmp(mc->bootstraps, bootstraps))
        mc = mc->next;
    pthread_mutex_unlock(&live_lock);
    return mc;
}
