/*
 * test_recommend_cli.c: the weir-recommend and weir-datagen binaries as a
 * user runs them: --help documents every flag and setting, bad settings
 * are refused with the key's name (and the file's line), a properties
 * file mixes weir's keys and the app's, and the README's main job (the
 * embedded demo) prints recommendations and progress within seconds.
 */
#include <check.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs @p cmd with stdout and stderr captured; returns the exit status. */
static int run(const char *cmd, char **outp, char **errp)
{
    char out_path[] = "/tmp/weir-rec-cli-out-XXXXXX";
    char err_path[] = "/tmp/weir-rec-cli-err-XXXXXX";
    close(mkstemp(out_path));
    close(mkstemp(err_path));
    char *full = NULL;
    ck_assert_int_gt(asprintf(&full, "%s >%s 2>%s", cmd, out_path, err_path),
                     0);
    int status = system(full);
    free(full);
    const char *paths[2] = {out_path, err_path};
    char **dst[2] = {outp, errp};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        ck_assert_ptr_nonnull(f);
        char *buf = calloc(1, 1 << 20);
        size_t n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
        fclose(f);
        unlink(paths[i]);
        *dst[i] = buf;
    }
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(test_recommend_cli_help_documents_flags_and_keys)
{
    char *out, *err;
    ck_assert_int_eq(run(REC_CLI " --help", &out, &err), 0);
    const char *want[] = {
        "--config",
        "--set",
        "--bootstrap-servers",
        "--schema-registry",
        "--embedded",
        "--with-datagen",
        "--describe",
        "--clicks-per-sec",
        "--sales-per-sec",
        "--seed",
        "--speedup",
        "--partitions",
        "--ground-truth",
        "--duration",
        "--progress-interval",
        "--quiet",
        "--group-instance-id",
        "--static-membership",
        "topic.clicks",
        "topic.sales",
        "topic.recommendations",
        "inventory.file",
        "inventory.topic",
        "recommend.window.ms",
        "recommend.grace.ms",
        "recommend.count",
        "recommend.repeat.ttl.ms",
        "dead_letter",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_msg(strstr(out, want[i]), "--help lacks %s", want[i]);
    free(out);
    free(err);

    ck_assert_int_eq(run(REC_DATAGEN " --help", &out, &err), 0);
    const char *dg[] = {
        "--bootstrap-servers",
        "--schema-registry",
        "--property",
        "--topic-clicks",
        "--topic-sales",
        "--partitions",
        "--replication-factor",
        "--clicks-per-sec",
        "--sales-per-sec",
        "--users",
        "--products",
        "--seed",
        "--unknown-product-every",
        "--event-time-start",
        "--speedup",
        "--count",
        "--duration",
        "--ground-truth",
        "--quiet",
    };
    for (size_t i = 0; i < sizeof(dg) / sizeof(*dg); i++)
        ck_assert_msg(strstr(out, dg[i]), "datagen --help lacks %s", dg[i]);
    free(out);
    free(err);
}
END_TEST

START_TEST(test_recommend_cli_refuses_bad_settings_by_name)
{
    char *out, *err;
    ck_assert_int_eq(
        run(REC_CLI " --set recommend.count=0 --describe", &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "recommend.count"));
    free(out);
    free(err);
    ck_assert_int_eq(
        run(REC_CLI " --set recommend.cuont=3 --describe", &out, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "recommend.cuont"));
    free(out);
    free(err);

    char path[] = "/tmp/weir-rec-cli-props-XXXXXX";
    int fd = mkstemp(path);
    const char *props = "# a comment\nnum.stream.threads=2\n"
                        "recommend.window.ms=soon\n";
    ck_assert_int_eq(write(fd, props, strlen(props)), (ssize_t)strlen(props));
    close(fd);
    char *cmd = NULL;
    ck_assert_int_gt(asprintf(&cmd, REC_CLI " --config %s --describe", path),
                     0);
    ck_assert_int_eq(run(cmd, &out, &err), 1);
    ck_assert_msg(strstr(err, ":3: recommend.window.ms"), "%s", err);
    free(cmd);
    free(out);
    free(err);
    unlink(path);

    ck_assert_int_eq(
        run(REC_CLI " --group-instance-id 'pod 1' --describe", &out, &err), 1);
    ck_assert_msg(strstr(err, "group.instance.id: 'pod 1'"), "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(
        run(REC_CLI " --static-membership --describe", &out, &err), 0);
    free(out);
    free(err);

    ck_assert_int_eq(run(REC_CLI " --partitions 0", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--partitions"));
    free(out);
    free(err);
    ck_assert_int_eq(run(REC_DATAGEN " --count 10", &out, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--bootstrap-servers"));
    free(out);
    free(err);
}
END_TEST

START_TEST(test_recommend_cli_config_file_mixes_weir_and_app_keys)
{
    char path[] = "/tmp/weir-rec-cli-props-XXXXXX";
    int fd = mkstemp(path);
    const char *props = "application.id=my-recs\n"
                        "processing.guarantee=at_least_once\n"
                        "topic.clicks=my-clicks\n"
                        "topic.recommendations: my-recs-out\n";
    ck_assert_int_eq(write(fd, props, strlen(props)), (ssize_t)strlen(props));
    close(fd);
    char *cmd = NULL, *out, *err;
    ck_assert_int_gt(asprintf(&cmd,
                              REC_CLI " -c %s --set topic.sales=my-sales "
                                      "--describe",
                              path),
                     0);
    ck_assert_int_eq(run(cmd, &out, &err), 0);
    ck_assert_ptr_nonnull(strstr(out, "topics: [my-clicks]"));
    ck_assert_ptr_nonnull(strstr(out, "topics: [my-sales]"));
    ck_assert_ptr_nonnull(strstr(out, "topic: my-recs-out"));
    ck_assert_ptr_nonnull(strstr(out, "productInventory.csv"));
    free(cmd);
    free(out);
    free(err);
    unlink(path);
}
END_TEST

START_TEST(test_recommend_cli_embedded_demo_scrolls_recommendations)
{
    char *out, *err;
    ck_assert_int_eq(run(REC_CLI " --embedded --clicks-per-sec 5 "
                                 "--duration 20 --progress-interval 5",
                         &out, &err),
                     0);
    regex_t line;
    ck_assert_int_eq(
        regcomp(&line,
                "^user-[0-9]+,\"[0-9]+(,[0-9]+){5}\",\"[0-9]{4}-[0-9]{2}-"
                "[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\"$",
                REG_EXTENDED | REG_NEWLINE),
        0);
    size_t lines = 0;
    for (char *p = out; *p;) {
        char *nl = strchr(p, '\n');
        ck_assert_ptr_nonnull(nl);
        *nl = '\0';
        ck_assert_msg(regexec(&line, p, 0, NULL, 0) == 0,
                      "not a recommendation: '%s'", p);
        lines++;
        p = nl + 1;
    }
    regfree(&line);
    ck_assert_msg(lines >= 10, "only %zu recommendations in 20 s; stderr:\n%s",
                  lines, err);
    ck_assert_ptr_nonnull(strstr(err, "windows closed"));
    ck_assert_ptr_nonnull(strstr(err, "(embedded)"));
    free(out);
    free(err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recommend_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_recommend_cli_help_documents_flags_and_keys);
    tcase_add_test(tc, test_recommend_cli_refuses_bad_settings_by_name);
    tcase_add_test(tc, test_recommend_cli_config_file_mixes_weir_and_app_keys);
    tcase_add_test(tc,
                   test_recommend_cli_embedded_demo_scrolls_recommendations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
