/*
 * test_dsl_support.c: see test_dsl_support.h.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_dsl_support.h"

weir_test_driver_t *dsl_driver(weir_topology_t *topo)
{
    weir_error_t *err = NULL;
    weir_test_driver_opts_t opts = WEIR_TEST_DRIVER_OPTS_INIT;
    opts.application_id = "app";
    weir_test_driver_t *drv = weir_test_driver_new(topo, &opts, &err);
    ck_assert_msg(drv != NULL, "%s", weir_error_string(err));
    return drv;
}

void dsl_pipe_str(weir_test_driver_t *drv, const char *topic, const char *k,
                  const char *v, int64_t ts)
{
    weir_error_t *err = weir_test_driver_pipe_str(drv, topic, k, v, ts);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
}

char *dsl_drain_str(weir_test_driver_t *drv, const char *topic, bool with_ts)
{
    static char buf[4096];
    buf[0] = '\0';
    char *k, *v;
    int64_t ts;
    while (weir_test_driver_read_output_str(drv, topic, &k, &v, &ts)) {
        size_t n = strlen(buf);
        char at[32] = "";
        if (with_ts)
            snprintf(at, sizeof(at), "@%lld", (long long)ts);
        snprintf(buf + n, sizeof(buf) - n, "%s=%s%s;", k ? k : "null",
                 v ? v : "null", at);
        weir_free(k);
        weir_free(v);
    }
    return buf;
}

char *dsl_dup_str(const char *s, size_t *lenp)
{
    *lenp = strlen(s);
    char *d = malloc(*lenp + 1);
    ck_assert_ptr_nonnull(d);
    memcpy(d, s, *lenp + 1);
    return d;
}
