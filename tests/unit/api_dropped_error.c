/*
 * api_dropped_error.c: must NOT compile. It drops the error of a weir call,
 * which WEIR_WARN_UNUSED turns into a diagnostic; the test
 * test_api_dropped_error_is_diagnosed (tests/unit/CMakeLists.txt) compiles
 * it and expects the unused-result diagnostic (GCC emits it when it
 * generates code, so the test compiles, not just checks the syntax).
 */
#include <weir/conf.h>

void drop(weir_conf_t *conf);

void drop(weir_conf_t *conf)
{
    weir_conf_set(conf, "num.stream.threads", "2");
}
