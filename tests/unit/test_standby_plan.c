/*
 * test_standby_plan.c: standbys go where the range assignor would move a
 * task if its instance went away.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_int.h"
#include "standby_plan_int.h"

/* A member owning partitions [from, to) of "in". */
static weir__sb_member_t member(const char *id, const char *instance,
                                const char *process, int from, int to,
                                rd_kafka_topic_partition_list_t **keep)
{
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(4);
    for (int p = from; p < to; p++)
        rd_kafka_topic_partition_list_add(a, "in", p);
    *keep = a;
    return (weir__sb_member_t){id, instance, process, a};
}

static bool has(const weir__sb_task_t *t, size_t n, int sub, int32_t p)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].sub == sub && t[i].partition == p)
            return true;
    return false;
}

static const weir__sb_sub_t subs[] = {{"in", 6, true}, {"other", 6, false}};

START_TEST(test_standby_plan_two_instances_mirror_each_other)
{
    rd_kafka_topic_partition_list_t *k[2];
    weir__sb_member_t m[2] = {member("m-a", NULL, "A", 0, 3, &k[0]),
                              member("m-b", NULL, "B", 3, 6, &k[1])};
    weir__sb_task_t *t;
    size_t n;
    ck_assert_ptr_null(weir__standby_plan(m, 2, subs, 2, "A", 1, &t, &n));
    ck_assert_uint_eq(n, 3);
    for (int p = 3; p < 6; p++)
        ck_assert(has(t, n, 0, p));
    weir__free(t);
    ck_assert_ptr_null(weir__standby_plan(m, 2, subs, 2, "B", 1, &t, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert(has(t, n, 0, 0) && has(t, n, 0, 1) && has(t, n, 0, 2));
    weir__free(t);
    /* No replicas, a lone instance: nothing. */
    ck_assert_ptr_null(weir__standby_plan(m, 2, subs, 2, "A", 0, &t, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(weir__standby_plan(m, 1, subs, 2, "A", 1, &t, &n));
    ck_assert_uint_eq(n, 0);
    weir__free(t);
    for (int i = 0; i < 2; i++)
        rd_kafka_topic_partition_list_destroy(k[i]);
}
END_TEST

START_TEST(test_standby_plan_follows_the_range_failover)
{
    /* Three instances, one member each, sorted by member id: a, b, c own
     * [0,2), [2,4), [4,6). If B goes, range over a, c gives a [0,3) and
     * c [3,6): B's task 2 moves to A, task 3 to C. */
    rd_kafka_topic_partition_list_t *k[3];
    weir__sb_member_t m[3] = {member("m-a", NULL, "A", 0, 2, &k[0]),
                              member("m-c", NULL, "C", 4, 6, &k[1]),
                              member("m-b", NULL, "B", 2, 4, &k[2])};
    weir__sb_task_t *t;
    size_t n;
    ck_assert_ptr_null(weir__standby_plan(m, 3, subs, 2, "A", 1, &t, &n));
    /* A: B's 2 (range over a, c), and C's 4, 5 (range over a, b: a gets
     * [0,3), b [3,6): no) — so only from B, and from C nothing. */
    ck_assert(has(t, n, 0, 2));
    ck_assert(!has(t, n, 0, 3));
    ck_assert(!has(t, n, 0, 4) && !has(t, n, 0, 5));
    ck_assert(!has(t, n, 0, 0) && !has(t, n, 0, 1));
    weir__free(t);
    ck_assert_ptr_null(weir__standby_plan(m, 3, subs, 2, "C", 1, &t, &n));
    ck_assert(has(t, n, 0, 3));
    ck_assert(!has(t, n, 0, 2));
    weir__free(t);
    /* With two replicas each task has a standby on both other
     * instances. */
    ck_assert_ptr_null(weir__standby_plan(m, 3, subs, 2, "A", 2, &t, &n));
    ck_assert_uint_eq(n, 4);
    for (int p = 2; p < 6; p++)
        ck_assert(has(t, n, 0, p));
    weir__free(t);
    for (int i = 0; i < 3; i++)
        rd_kafka_topic_partition_list_destroy(k[i]);
}
END_TEST

START_TEST(test_standby_plan_static_members_sort_by_instance_id)
{
    /* Member ids sort b < c, but instance ids z-0 > y-0: range puts the
     * instance "y-0" first. Two threads in process P. */
    rd_kafka_topic_partition_list_t *k[3];
    weir__sb_member_t m[3] = {member("b", "z-0", "Z", 4, 6, &k[0]),
                              member("c", "y-0", "Y", 0, 2, &k[1]),
                              member("d", "y-1", "Y", 2, 4, &k[2])};
    weir__sb_task_t *t;
    size_t n;
    /* Z's tasks 4, 5 go to Y whichever way; Y's tasks all go to Z. */
    ck_assert_ptr_null(weir__standby_plan(m, 3, subs, 2, "Y", 1, &t, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert(has(t, n, 0, 4) && has(t, n, 0, 5));
    weir__free(t);
    ck_assert_ptr_null(weir__standby_plan(m, 3, subs, 2, "Z", 1, &t, &n));
    ck_assert_uint_eq(n, 4);
    weir__free(t);
    for (int i = 0; i < 3; i++)
        rd_kafka_topic_partition_list_destroy(k[i]);
}
END_TEST

START_TEST(test_standby_plan_process_key_from_client_id)
{
    char id[256];
    weir__standby_client_id("my-app", "0123abcd", 3, id, sizeof(id));
    ck_assert_str_eq(id, "my-app-0123abcd-StreamThread-3-consumer");
    char *key = weir__standby_process_key(id);
    ck_assert_str_eq(key, "my-app-0123abcd");
    weir__free(key);
    /* A base that itself says StreamThread: the last one counts. */
    key = weir__standby_process_key(
        "x-StreamThread-y-ff-StreamThread-0-consumer");
    ck_assert_str_eq(key, "x-StreamThread-y-ff");
    weir__free(key);
    ck_assert_ptr_null(weir__standby_process_key("rdkafka"));
    ck_assert_ptr_null(weir__standby_process_key("-StreamThread-1"));
    ck_assert_ptr_null(weir__standby_process_key(NULL));
}
END_TEST

static Suite *standby_plan_suite(void)
{
    Suite *s = suite_create("standby_plan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_standby_plan_two_instances_mirror_each_other);
    tcase_add_test(tc, test_standby_plan_follows_the_range_failover);
    tcase_add_test(tc, test_standby_plan_static_members_sort_by_instance_id);
    tcase_add_test(tc, test_standby_plan_process_key_from_client_id);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(standby_plan_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
