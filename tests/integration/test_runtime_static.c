/*
 * test_runtime_static.c: static membership (group.instance.id) on the real
 * broker, exactly_once_v2.
 *
 * Two instances with group instance ids; one is killed with SIGKILL and
 * restarted at once, first on its own state dir, then on an empty one.
 * The other instance must not rebalance at all (it keeps processing), the
 * restart on its own state dir replays only the changelog tails, and the
 * output is exactly the expected one: no duplicate, nothing missing. The
 * killed instance is the one that joined last, so it is not the group's
 * leader (a leader's rejoin makes the broker rebalance the group for
 * librdkafka's JoinGroup version; see README "Running on Kafka").
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <weir/weir.h>

#include "harness.h"
#include "kafka_util.h"
#include "tmpdir.h"
#include "word_windows.h"
#include "ww_instance.h"

#define PART 1000

START_TEST(test_runtime_static_member_restart_moves_nothing)
{
    static const ww_t ww = {3, 6, 3 * PART, 50, 0, 0};
    char *in = weir_test_unique_name("static-in");
    char *out = weir_test_unique_name("static-out");
    char *app_id = weir_test_unique_name("static-app");
    weir_test_create_topic(in, ww.partitions);
    weir_test_create_topic(out, 1);
    /* A session long enough that nothing is evicted while B restarts. */
    const char *const props_a[] = {"group.instance.id", "inst-a",
                                   "consumer.session.timeout.ms", "30000",
                                   NULL};
    const char *const props_b[] = {"group.instance.id", "inst-b",
                                   "consumer.session.timeout.ms", "30000",
                                   NULL};
    ww_setup_t setup_a = {app_id, in, out, 1, props_a};
    ww_setup_t setup_b = {app_id, in, out, 1, props_b};

    /* Both in forked children: a child forked while this process held
     * a store's directory lock would hold it too. */
    ww_produce(&ww, in, 0, PART, false, -1);
    ww_instance_t a, b;
    ww_instance_fork(&a, "A", &setup_a, NULL);
    ww_instance_wait_forked_running(&a, 60000);
    ww_instance_fork(&b, "B", &setup_b, NULL);
    ww_instance_wait_forked_running(&b, 60000);
    sleep(3); /* both have processed part 1 */

    /* Kill B and start it again on its own state dir. */
    int64_t killed = ww_mono_ms();
    char *dir = ww_instance_kill(&b);
    ww_instance_fork(&b, "B", &setup_b, dir);
    int64_t running = ww_instance_wait_forked_running(&b, 60000);
    fprintf(stderr,
            "static restart on its state dir: RUNNING %" PRId64
            " ms after the kill\n",
            running - killed);
    ww_produce(&ww, in, PART, 2 * PART, false, -1);
    sleep(3);
    ww_counters_t after = ww_instance_term(&b);
    ck_assert_msg(after.rebalances <= 1,
                  "the restarted instance went through %" PRIu64
                  " assignments",
                  after.rebalances);

    /* Again on an empty state dir: a full restore, still no rebalance,
     * and the old transaction fenced at once (the transactional id comes
     * from group.instance.id, not from the lost state dir). */
    ww_instance_fork(&b, "B", &setup_b, NULL);
    running = ww_instance_wait_forked_running(&b, 60000);
    ww_produce(&ww, in, 2 * PART, 3 * PART, true, -1);
    ww_check_output(&ww, out, 120000);

    ww_counters_t last = ww_instance_term(&b);
    ww_counters_t counted_a = ww_instance_term(&a);
    /* A's assignments: its first, and the one when B first joined. */
    ck_assert_msg(counted_a.rebalances == 2,
                  "A went through %" PRIu64 " assignments, expected 2",
                  counted_a.rebalances);
    ck_assert_uint_gt(last.restored, 0);
    ck_assert_int_eq(last.late + counted_a.late, 0);
    /* The restart on its own state dir restored only tails: less than
     * the full restore on the empty one. */
    fprintf(stderr,
            "restored: %" PRIu64 " records on its state dir, %" PRIu64
            " on an empty one\n",
            after.restored, last.restored);
    ck_assert_msg(after.restored * 4 < last.restored,
                  "restored %" PRIu64 " records on its own state dir, %" PRIu64
                  " on an empty one",
                  after.restored, last.restored);
    free(app_id);
    free(out);
    free(in);
}
END_TEST

static Suite *static_suite(void)
{
    Suite *s = suite_create("runtime_static");
    TCase *tc = tcase_create("static");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_runtime_static_member_restart_moves_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(static_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
