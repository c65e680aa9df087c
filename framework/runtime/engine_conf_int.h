/*
 * engine_conf_int.h: an engine's settings from a conf, the same for the
 * Kafka runtime and the test driver (so a topology meets the same
 * handlers, idle timeout and abort limit in both).
 */
#ifndef WEIR_ENGINE_CONF_INT_H
#define WEIR_ENGINE_CONF_INT_H

#include <weir/conf.h>

#include "engine_int.h"

/*
 * Sets eng's topology (@p topo, borrowed), logger, application id, state
 * dir, guarantee, idle timeout, wait timeout, abort limit, exception
 * handlers and dead-letter topic from @p conf (borrowed; it must outlive
 * the engine). @p app_id overrides application.id when not NULL.
 */
weir_error_t *weir__engine_from_conf(weir__engine_t *eng,
                                     const weir_topology_t *topo,
                                     const weir_conf_t *conf,
                                     const char *app_id);

/* Frees what weir__engine_from_conf() allocated. */
void weir__engine_conf_free(weir__engine_t *eng);

#endif /* WEIR_ENGINE_CONF_INT_H */
