/*
 * conf_props.c: every property weir owns, one row each: name, type,
 * default, range or allowed values, and the documentation that
 * CONFIGURATION.md is generated from (weir_conf_reference_markdown()).
 *
 * Keys not in this table belong to librdkafka. Rows marked to_rdkafka are
 * weir's (validated here) but also handed to the librdkafka clients.
 */
#include <string.h>

#include "conf_int.h"

#define I64MAX INT64_MAX

const weir__prop_t weir__props[] = {
    {"application.id", WEIR__PROP_STR, NULL, 0, 0, NULL, false,
     "Identifies the application: the consumer group id, the prefix of its "
     "internal topics (`<application.id>-<name>-repartition`, "
     "`<application.id>-<store>-changelog`) and transactional ids, and its "
     "folder under `state.dir`. Letters, digits, `.`, `_` and `-` only. "
     "Required."},
    {"bootstrap.servers", WEIR__PROP_STR, NULL, 0, 0, NULL, true,
     "Kafka brokers to connect to, `host:port[,host:port...]`. Required."},
    {"num.stream.threads", WEIR__PROP_INT, "1", 1, 256, NULL, false,
     "Stream threads in this process; each is a member of the consumer group "
     "with its own consumer and producer."},
    {"processing.guarantee", WEIR__PROP_ENUM, "exactly_once_v2", 0, 0,
     "exactly_once_v2,at_least_once", false,
     "`exactly_once_v2`: one transactional producer per thread; outputs, "
     "changelog records and consumed offsets commit atomically, consumers "
     "read `read_committed`. `at_least_once`: offsets are committed after "
     "outputs are acknowledged; a crash may repeat records."},
    {"commit.interval.ms", WEIR__PROP_INT, NULL, 1, I64MAX, NULL, false,
     "How often tasks commit. Unset: 100 under `exactly_once_v2`, 30000 "
     "under `at_least_once`. Under `exactly_once_v2`, once a windowed "
     "operation has emitted final results and the thread has caught up "
     "with its input, the commit comes after a quarter of this instead, so "
     "the results become readable sooner."},
    {"commit.interval.max.ms", WEIR__PROP_INT, NULL, 1, I64MAX, NULL, false,
     "How far apart commits may grow while a stream thread works through a "
     "backlog (its consumer had records waiting at every poll since the last "
     "commit, more than it processed in that time): the interval then "
     "stretches so that committing takes about a tenth of the thread's "
     "time, up to this. Once caught up, commits come every "
     "`commit.interval.ms` again, so latency at a steady rate is unchanged. "
     "Unset: 1000 under `exactly_once_v2`, `commit.interval.ms` under "
     "`at_least_once`; never less than `commit.interval.ms` (equal turns "
     "stretching off)."},
    {"state.dir", WEIR__PROP_STR, "/tmp/weir", 0, 0, NULL, false,
     "Folder of the local state stores: "
     "`<state.dir>/<application.id>/<task id>/<store>/`."},
    {"statestore.memory.bytes", WEIR__PROP_INT, "268435456", 16777216, I64MAX,
     NULL, false,
     "Memory budget shared by every RocksDB store of the process: one block "
     "cache and one write-buffer budget, however many tasks it holds."},
    {"statestore.row.cache.bytes", WEIR__PROP_INT, "16777216", 0, I64MAX, NULL,
     false,
     "Memory of the RocksDB stores' row caches, shared evenly by the open "
     "stores: recently read and written rows (and keys known to be absent) "
     "answered from a hash table instead of RocksDB. Outside "
     "`statestore.memory.bytes`; 0 turns them off."},
    {"replication.factor", WEIR__PROP_INT, "-1", -1, 32767, NULL, false,
     "Replication factor of the internal topics weir creates; -1 uses the "
     "broker's `default.replication.factor`."},
    {"num.partitions", WEIR__PROP_INT, "0", 0, 100000, NULL, false,
     "Partitions of the repartition topics weir creates; 0 uses the largest "
     "partition count of the sub-topology's input topics. Changelog topics "
     "always have one partition per task."},
    {"num.standby.replicas", WEIR__PROP_INT, "0", 0, 100, NULL, false,
     "Standby replicas per stateful task: warm copies of a task's stores "
     "that other instances keep current from its changelogs "
     "(read_committed), so that when the task moves to one of them after "
     "its instance stops or dies, only the tail written since the "
     "standby's last update is restored. The first standby goes to the "
     "instance that the range assignor would give the task to if its "
     "instance left the group (so failover lands on it); more go to the "
     "next instances. Each costs a copy of the task's state on disk and "
     "its changelog traffic."},
    {"group.instance.id", WEIR__PROP_STR, NULL, 0, 0, NULL, false,
     "Static membership, the way to run weir in production: a stable id "
     "for this instance, unique in the group (the pod name of a "
     "StatefulSet; each stream thread uses `<id>-<thread>`). A restart "
     "within `session.timeout.ms` (librdkafka's default 45 s; set it with "
     "`consumer.session.timeout.ms`) then moves no partition and the other "
     "instances keep processing; the restarted instance replays only its "
     "stores' changelog tails. The transactional ids derive from it, so a "
     "restart fences its predecessor's transaction at once. A static "
     "member does not leave the group when it stops: its partitions move "
     "only after `session.timeout.ms`. Letters, digits, `.`, `_`, `-`."},
    {"schema.registry.url", WEIR__PROP_STR, NULL, 0, 0, NULL, false,
     "Base URL of a Confluent-compatible schema registry, for "
     "`weir_registry_http_new()`, e.g. `http://registry:8081` (Confluent) or "
     "`http://registry:8080/apis/ccompat/v7` (Apicurio). With a path it is "
     "used as given; with none, the first request finds the API by probing "
     "`/subjects`, then `/apis/ccompat/v7`, then `/apis/ccompat/v6`. "
     "Several registries serving the same data may be listed, "
     "comma-separated: each attempt starts with the one that answered "
     "last."},
    {"schema.registry.basic.auth.user.info", WEIR__PROP_STR, NULL, 0, 0, NULL,
     false, "`user:password` for HTTP basic authentication to the registry."},
    {"schema.registry.ssl.ca.location", WEIR__PROP_STR, NULL, 0, 0, NULL,
     false,
     "CA bundle file to verify the registry's TLS certificate. Unset: the "
     "system's CAs."},
    {"schema.registry.ssl.certificate.location", WEIR__PROP_STR, NULL, 0, 0,
     NULL, false,
     "Client certificate file (PEM) for TLS client authentication to the "
     "registry."},
    {"schema.registry.ssl.key.location", WEIR__PROP_STR, NULL, 0, 0, NULL,
     false, "Private key file (PEM) of the client certificate."},
    {"schema.registry.ssl.verify", WEIR__PROP_BOOL, "true", 0, 0, NULL, false,
     "Verify the registry's TLS certificate and host name."},
    {"schema.registry.timeout.ms", WEIR__PROP_INT, "10000", 1, I64MAX, NULL,
     false,
     "Timeout of one registry request, all included; never longer than "
     "what is left of `schema.registry.retry.max.ms`."},
    {"schema.registry.connect.timeout.ms", WEIR__PROP_INT, "3000", 1, I64MAX,
     NULL, false,
     "Timeout of the TCP and TLS connect of one registry request."},
    {"schema.registry.retry.backoff.ms", WEIR__PROP_INT, "100", 1, I64MAX,
     NULL, false,
     "Wait after a first failed attempt to reach the registry; it doubles "
     "after each further failure (give or take 20%, so that restarted "
     "instances do not retry in step) up to "
     "`schema.registry.retry.backoff.max.ms`."},
    {"schema.registry.retry.backoff.max.ms", WEIR__PROP_INT, "5000", 1, I64MAX,
     NULL, false,
     "Longest wait between attempts to reach the "
     "registry."},
    {"schema.registry.retry.max.ms", WEIR__PROP_INT, "300000", -1, I64MAX,
     NULL, false,
     "How long an unreachable registry (connection refused, timeout, HTTP "
     "5xx, 408 or 429) is retried, with backoff, before the call fails with "
     "a retriable error and the task with it; -1 retries until the client "
     "is interrupted, 0 makes one attempt. Records are never skipped "
     "because the registry was down."},
    {"schema.registry.max.response.bytes", WEIR__PROP_INT, "16777216", 1024,
     I64MAX, NULL, false,
     "Largest registry response accepted; a larger one is an error."},
    {"deserialization.exception.handler", WEIR__PROP_ENUM, "fail", 0, 0,
     "fail,log_and_continue,dead_letter", false,
     "What a record that does not deserialize does: `fail` stops the "
     "application, `log_and_continue` logs and counts it, `dead_letter` "
     "also sends it to `dead.letter.topic` with headers saying why and "
     "where it came from."},
    {"processing.exception.handler", WEIR__PROP_ENUM, "fail", 0, 0,
     "fail,log_and_continue,dead_letter", false,
     "The same choice for a record whose processing returns an error."},
    {"production.exception.handler", WEIR__PROP_ENUM, "fail", 0, 0,
     "fail,log_and_continue,dead_letter", false,
     "The same choice for a record the producer cannot write (e.g. too "
     "large). Errors that abort the transaction always fail the commit."},
    {"dead.letter.topic", WEIR__PROP_STR, NULL, 0, 0, NULL, false,
     "Topic of dead-lettered records. Unset: `<application.id>-dlq`, created "
     "by weir."},
    {"idle.timeout.ms", WEIR__PROP_INT, "30000", -1, I64MAX, NULL, false,
     "A source partition that is caught up and has had no record for this "
     "long stops holding back event time downstream of a repartition. "
     "-1: never; windows then close only when every upstream task has "
     "passed them, so output is fully deterministic but a quiet partition "
     "stalls it. The one knob that trades determinism for latency."},
    {"repartition.purge.interval.ms", WEIR__PROP_INT, "30000", 1, I64MAX, NULL,
     false,
     "How often records of repartition topics that the app consumed and "
     "committed are deleted (DeleteRecords), so those topics stay small."},
    {"max.consecutive.aborts", WEIR__PROP_INT, "10", 1, 1000000, NULL, false,
     "Transactions a stream thread may abort in a row (each followed by a "
     "restart of its tasks from committed state) before it gives up and the "
     "app goes to ERROR: a fault that every retry meets again is reported, "
     "not retried forever."},
    {"broker.down.timeout.ms", WEIR__PROP_INT, "300000", -1, I64MAX, NULL,
     false,
     "How long weir waits for unreachable brokers (retrying, with log "
     "lines) before it gives up with an error; -1 waits forever."},
    {"metrics.port", WEIR__PROP_INT, "0", 0, 65535, NULL, false,
     "Port of the app's HTTP server, started by `weir_app_start()`: "
     "`GET /metrics` serves the counters and gauges in the Prometheus text "
     "format (`weir_records_in_total`, `weir_app_state`, RocksDB memory, "
     "...), `GET /health` answers 200 `{\"state\":\"RUNNING\"}` when the "
     "app is RUNNING and 503 with its state otherwise. A port that cannot "
     "be bound (in use) fails the start. 0 turns the server off."},
    {"metrics.host", WEIR__PROP_STR, "127.0.0.1", 0, 0, NULL, false,
     "Address (IPv4, IPv6 or host name) the HTTP server of `metrics.port` "
     "listens on; `0.0.0.0` for every interface."},
    {"log.level", WEIR__PROP_INT, "6", 0, 7, NULL, false,
     "Most verbose syslog level logged (3 error, 4 warning, 6 info, "
     "7 debug)."},
    {"debug", WEIR__PROP_STR, NULL, 0, 0, NULL, false,
     "weir debug contexts, comma-separated: store, task, eos, serde, "
     "registry, topology, restore, all. librdkafka's own debug contexts are "
     "set with `consumer.debug` / `producer.debug`."},
};

const size_t weir__props_cnt = sizeof(weir__props) / sizeof(weir__props[0]);

const weir__prop_t *weir__prop_find(const char *name)
{
    for (size_t i = 0; i < weir__props_cnt; i++)
        if (!strcmp(weir__props[i].name, name))
            return &weir__props[i];
    return NULL;
}
