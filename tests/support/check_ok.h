/*
 * check_ok.h: asserting that a weir call succeeded, in Check tests.
 *
 * Every public function that returns a weir_error_t * is marked
 * WEIR_WARN_UNUSED, so a test may not drop the result: it checks it with
 * CHECK_OK() (the test fails with the error's message), or, where an
 * error is possible and does not matter, destroys it explicitly.
 */
#ifndef WEIR_TEST_CHECK_OK_H
#define WEIR_TEST_CHECK_OK_H

#include <check.h>

#include <weir/error.h>

#define CHECK_OK(expr)                                   \
    do {                                                 \
        weir_error_t *check_ok_err_ = (expr);            \
        ck_assert_msg(!check_ok_err_, "%s: %s", #expr,   \
                      weir_error_string(check_ok_err_)); \
    } while (0)

#endif /* WEIR_TEST_CHECK_OK_H */
