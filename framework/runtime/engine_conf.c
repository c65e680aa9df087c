/*
 * engine_conf.c: an engine's settings from a conf (see
 * engine_conf_int.h).
 */
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"
#include "conf_int.h"
#include "engine_conf_int.h"

static weir__handler_t handler_of(const weir_conf_t *conf, const char *key)
{
    const char *v = weir_conf_get(conf, key);
    if (v && !strcmp(v, "log_and_continue"))
        return WEIR__HANDLER_LOG;
    if (v && !strcmp(v, "dead_letter"))
        return WEIR__HANDLER_DEAD_LETTER;
    return WEIR__HANDLER_FAIL;
}

weir_error_t *weir__engine_from_conf(weir__engine_t *eng,
                                     const weir_topology_t *topo,
                                     const weir_conf_t *conf,
                                     const char *app_id)
{
    eng->topo = topo;
    eng->log = weir__conf_logger(conf);
    eng->app_id = app_id ? app_id : weir_conf_get(conf, "application.id");
    eng->state_dir = weir_conf_get(conf, "state.dir");
    eng->eos = weir__conf_is_eos(conf);
    eng->idle_timeout_ms = weir__conf_get_int(conf, "idle.timeout.ms");
    eng->wait_timeout_ms = weir__conf_get_int(conf, "broker.down.timeout.ms");
    eng->max_consecutive_aborts = weir__conf_get_int(conf,
                                                     "max.consecutive.aborts");
    eng->deser_handler = handler_of(conf, "deserialization.exception.handler");
    eng->proc_handler = handler_of(conf, "processing.exception.handler");
    eng->prod_handler = handler_of(conf, "production.exception.handler");
    if (eng->deser_handler != WEIR__HANDLER_DEAD_LETTER &&
        eng->proc_handler != WEIR__HANDLER_DEAD_LETTER &&
        eng->prod_handler != WEIR__HANDLER_DEAD_LETTER)
        return NULL;
    const char *dlq = weir_conf_get(conf, "dead.letter.topic");
    char name[512];
    if (!dlq) {
        snprintf(name, sizeof(name), "%s-dlq",
                 eng->app_id ? eng->app_id : "weir");
        dlq = name;
    }
    eng->dlq_topic = weir__strdup(dlq);
    return eng->dlq_topic ? NULL : weir_error_new(WEIR_ERR_NOMEM, "engine");
}

void weir__engine_conf_free(weir__engine_t *eng)
{
    weir__free(eng->dlq_topic);
    eng->dlq_topic = NULL;
}
