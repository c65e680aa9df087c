/*
 * test_dsl_support.h: what the DSL tests share (test_dsl.c,
 * test_dsl_process.c): a test driver, piping strings, an output topic
 * read back as one string, and string copies made as the string serde
 * frees them.
 */
#ifndef TEST_DSL_SUPPORT_H
#define TEST_DSL_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weir/test_driver.h>

/* A driver for @p topo (application id "app"); fails the test on error. */
weir_test_driver_t *dsl_driver(weir_topology_t *topo);

/* Pipes (@p k, @p v) at @p ts into @p topic; fails the test on error. */
void dsl_pipe_str(weir_test_driver_t *drv, const char *topic, const char *k,
                  const char *v, int64_t ts);

/* Everything waiting on @p topic, string keys and values, as "k=v;" (or
 * "k=v@ts;" with @p with_ts), "null" for a null. The string is static:
 * copy it to keep it past the next call. */
char *dsl_drain_str(weir_test_driver_t *drv, const char *topic, bool with_ts);

/* A malloc()ed copy of @p s (what the string serde frees), its length in
 * *lenp. */
char *dsl_dup_str(const char *s, size_t *lenp);

#endif
