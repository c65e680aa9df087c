/*
 * kafka.c: librdkafka clients made from a weir conf, and error mapping.
 *
 * Every client weir creates gets the same treatment: the conf's librdkafka
 * properties (validated when they were set), weir's logger for
 * librdkafka's own lines (facility KAFKA, the client named), and errors
 * that keep librdkafka's code and flags, so the exactly-once loop can tell
 * a retriable error from one that aborts the transaction or fences the
 * instance.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf_int.h"
#include "kafka_int.h"

static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf)
{
    const weir__kafka_opaque_t *op = rd_kafka_opaque(rk);
    const weir__logger_t *log = op ? op->log : NULL;
    weir__log(log, level, "KAFKA", "%s: [%s] %s",
              op && op->who ? op->who : rd_kafka_name(rk), fac, buf);
}

weir_error_t *weir__kafka_conf_set(rd_kafka_conf_t *rkc, const char *key,
                                   const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(rkc, key, value, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK)
        return weir_error_new(WEIR_ERR_CONFIG, "%s=%s: %s", key, value,
                              errstr);
    return NULL;
}

static weir_error_t *set_prop(void *opaque, const char *key, const char *value)
{
    return weir__kafka_conf_set(opaque, key, value);
}

weir_error_t *weir__kafka_conf_new(const weir_conf_t *conf, const char *kind,
                                   weir__kafka_opaque_t *opaque,
                                   rd_kafka_conf_t **rkcp)
{
    rd_kafka_conf_t *rkc = rd_kafka_conf_new();
    weir_error_t *err = weir__kafka_conf_set(rkc, "client.id", "weir");
    if (!err)
        err = weir__conf_foreach_rdkafka(conf, kind, set_prop, rkc);
    if (err) {
        rd_kafka_conf_destroy(rkc);
        return err;
    }
    rd_kafka_conf_set_log_cb(rkc, kafka_log_cb);
    rd_kafka_conf_set_opaque(rkc, opaque);
    *rkcp = rkc;
    return NULL;
}

weir_error_t *weir__kafka_conf_set_all(rd_kafka_conf_t *rkc,
                                       const weir__kafka_setting_t *settings)
{
    weir_error_t *err = NULL;
    for (size_t i = 0; !err && settings[i].key; i++)
        err = weir__kafka_conf_set(rkc, settings[i].key, settings[i].value);
    return err;
}

weir_error_t *weir__kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *rkc,
                              rd_kafka_t **rkp)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, rkc, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(rkc);
        return weir_error_new(
            WEIR_ERR_KAFKA, "creating a %s: %s",
            type == RD_KAFKA_PRODUCER ? "producer" : "consumer", errstr);
    }
    *rkp = rk;
    return NULL;
}

static bool is_fencing(rd_kafka_resp_err_t code)
{
    return code == RD_KAFKA_RESP_ERR__FENCED ||
           code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

weir_error_t *weir__error_from_rdkafka(rd_kafka_error_t *error,
                                       const char *what)
{
    if (!error)
        return NULL;
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    bool fatal = rd_kafka_error_is_fatal(error);
    weir_err_t wcode = WEIR_ERR_KAFKA;
    if (is_fencing(code))
        wcode = WEIR_ERR_FENCED;
    else if (code == RD_KAFKA_RESP_ERR__TIMED_OUT)
        wcode = WEIR_ERR_TIMEOUT;
    weir_error_t *err = weir_error_new(wcode, "%s: %s (%s)", what,
                                       rd_kafka_error_string(error),
                                       rd_kafka_err2name(code));
    err = weir_error_set_origin_code(err, code);
    err = weir_error_set_retriable(err, rd_kafka_error_is_retriable(error));
    err = weir_error_set_fatal(err, fatal || wcode == WEIR_ERR_FENCED);
    err = weir_error_set_txn_requires_abort(
        err, rd_kafka_error_txn_requires_abort(error));
    rd_kafka_error_destroy(error);
    return err;
}

bool weir__kafka_resp_is_retriable(rd_kafka_resp_err_t code)
{
    switch (code) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
        return true;
    default:
        return false;
    }
}

weir_error_t *weir__error_from_resp(rd_kafka_resp_err_t code, const char *fmt,
                                    ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    weir_err_t wcode = is_fencing(code) ? WEIR_ERR_FENCED
                       : code == RD_KAFKA_RESP_ERR__TIMED_OUT
                           ? WEIR_ERR_TIMEOUT
                           : WEIR_ERR_KAFKA;
    weir_error_t *err = weir_error_new(wcode, "%s: %s (%s)", what,
                                       rd_kafka_err2str(code),
                                       rd_kafka_err2name(code));
    err = weir_error_set_origin_code(err, code);
    err = weir_error_set_retriable(err, weir__kafka_resp_is_retriable(code));
    err = weir_error_set_fatal(err, wcode == WEIR_ERR_FENCED);
    return err;
}
