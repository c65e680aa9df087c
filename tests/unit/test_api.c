/*
 * test_api.c: promises of the public headers themselves, checked by the
 * compiler where it can.
 *
 * The processor-facing headers (the umbrella weir/weir.h included) must
 * not declare the store lifecycle of weir/statestore.h: a topology's code
 * cannot commit, abort or restore a store the framework owns. The
 * declarations below would clash with that header's, so this file stops
 * compiling if any header included here pulls it in.
 */
#include <check.h>
#include <stdlib.h>

#include <weir/weir.h>

#ifdef WEIR_STATESTORE_H
#error "a processor-facing header includes weir/statestore.h"
#endif

/* Would conflict with weir/statestore.h's typedef and prototypes. */
typedef int weir_store_t;
static int weir_store_commit(int store)
{
    return store;
}

START_TEST(test_api_processor_headers_leave_out_store_lifecycle)
{
    /* The compiler proved it above; data access is declared all the
     * same (the types are there to point at). */
    ck_assert_int_eq(weir_store_commit((weir_store_t)1), 1);
    weir_kv_store_t *kv = NULL;
    weir_window_store_t *ws = NULL;
    ck_assert_ptr_null(kv);
    ck_assert_ptr_null(ws);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("headers");
    tcase_add_test(tc, test_api_processor_headers_leave_out_store_lifecycle);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
