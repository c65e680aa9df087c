/*
 * kafka_int.h: librdkafka clients made from a weir conf, and librdkafka
 * errors turned into weir errors with their flags intact.
 */
#ifndef WEIR_KAFKA_INT_H
#define WEIR_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include <weir/conf.h>
#include <weir/error.h>

#include "log_int.h"

/*
 * The opaque of every librdkafka handle weir creates starts with this, so
 * the log callback finds the logger whatever the owner is. Owners embed it
 * as their first member.
 */
typedef struct weir__kafka_opaque_s {
    const weir__logger_t *log;
    const char *who; /* e.g. "thread-0 consumer", for log lines */
} weir__kafka_opaque_t;

/*
 * A librdkafka conf for a client of @p kind ("consumer", "producer",
 * "admin") from @p conf: bootstrap.servers, every librdkafka property of
 * the conf (the kind's prefixed ones last), and the log callback that
 * routes librdkafka's lines to the weir logger with facility KAFKA.
 * @p opaque must outlive the client.
 */
weir_error_t *weir__kafka_conf_new(const weir_conf_t *conf, const char *kind,
                                   weir__kafka_opaque_t *opaque,
                                   rd_kafka_conf_t **rkcp);

/* rd_kafka_conf_set with a weir error naming the key. */
weir_error_t *weir__kafka_conf_set(rd_kafka_conf_t *rkc, const char *key,
                                   const char *value);

/* One client setting. */
typedef struct weir__kafka_setting_s {
    const char *key;
    const char *value;
} weir__kafka_setting_t;

/* The same for each setting up to one with a NULL key; stops at the
 * first error. */
weir_error_t *weir__kafka_conf_set_all(rd_kafka_conf_t *rkc,
                                       const weir__kafka_setting_t *settings);

/* rd_kafka_new; takes @p rkc in every case. */
weir_error_t *weir__kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *rkc,
                              rd_kafka_t **rkp);

/*
 * Wraps (and destroys) a librdkafka error object: the code is kept as the
 * origin code, and the retriable / fatal / txn_requires_abort flags are
 * copied. Fencing (fatal with _FENCED or PRODUCER_FENCED,
 * INVALID_PRODUCER_EPOCH) gives WEIR_ERR_FENCED. NULL gives NULL.
 */
weir_error_t *weir__error_from_rdkafka(rd_kafka_error_t *error,
                                       const char *what);

/* A weir error from a response code; retriable when librdkafka considers
 * the code transient (timeouts, transport, leader changes). */
weir_error_t *weir__error_from_resp(rd_kafka_resp_err_t code, const char *fmt,
                                    ...) __attribute__((format(printf, 2, 3)));

/* True for codes that mean "try again later". */
bool weir__kafka_resp_is_retriable(rd_kafka_resp_err_t code);

#endif /* WEIR_KAFKA_INT_H */
