/*
 * test_registry_tls.c: the HTTP backend over TLS, against `openssl
 * s_server -WWW` serving the registry's answers as files from a temporary
 * directory, with a self-signed certificate made for the test: the
 * configured CA verifies the server, no CA fails verification (not
 * retried), and ssl.endpoint.verify=false connects anyway.
 *
 * The openssl command-line tool is required; without it the tests fail
 * and say so (they never skip).
 */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <weir/conf.h>
#include <weir/registry.h>

static char dir[] = "/tmp/weir-tls-XXXXXX";
static char ca[300];
static int port;
static pid_t server;

static void write_file(const char *rel, const char *text)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    socklen_t len = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    return ntohs(sa.sin_port);
}

static bool accepts(int p)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)p),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    close(fd);
    return ok;
}

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
             "-keyout key.pem -out cert.pem -subj /CN=localhost "
             "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
             ">/dev/null 2>&1",
             dir);
    ck_assert_msg(system(cmd) == 0,
                  "openssl could not make a certificate (is the openssl "
                  "tool installed?)");
    snprintf(ca, sizeof(ca), "%s/cert.pem", dir);
    char ids[400];
    snprintf(ids, sizeof(ids), "%s/schemas", dir);
    mkdir(ids, 0700);
    snprintf(ids, sizeof(ids), "%s/schemas/ids", dir);
    mkdir(ids, 0700);
    write_file("subjects", "[]");
    write_file("schemas/ids/1", "{\"schema\":\"\\\"string\\\"\"}");

    port = free_port();
    server = fork();
    ck_assert_int_ge(server, 0);
    if (server == 0) {
        /* Dies with the test process, even if the test fails. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (chdir(dir) != 0)
            _exit(127);
        char accept[32];
        snprintf(accept, sizeof(accept), "127.0.0.1:%d", port);
        int devnull = open("/dev/null", 1);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execlp("openssl", "openssl", "s_server", "-quiet", "-WWW", "-accept",
               accept, "-cert", "cert.pem", "-key", "key.pem", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && !accepts(port); i++) {
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(accepts(port), "openssl s_server did not start");
}

static void teardown(void)
{
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static weir_error_t *fetch(const char *ca_file, const char *verify,
                           const char **textp)
{
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
    weir_conf_t *conf = weir_conf_new();
    ck_assert_ptr_null(weir_conf_set(conf, "schema.registry.url", url));
    ck_assert_ptr_null(
        weir_conf_set(conf, "schema.registry.retry.max.ms", "5000"));
    ck_assert_ptr_null(
        weir_conf_set(conf, "schema.registry.ssl.verify", verify));
    if (ca_file)
        ck_assert_ptr_null(
            weir_conf_set(conf, "schema.registry.ssl.ca.location", ca_file));
    weir_error_t *err = NULL;
    weir_registry_t *reg = weir_registry_http_new(conf, &err);
    weir_conf_destroy(conf);
    ck_assert_ptr_nonnull(reg);
    const weir_registry_schema_t *s;
    err = weir_registry_get_by_id(reg, 1, &s);
    *textp = NULL;
    static char text[64];
    if (!err) {
        snprintf(text, sizeof(text), "%s", weir_registry_schema_text(s));
        *textp = text;
    }
    weir_registry_destroy(reg);
    return err;
}

START_TEST(test_registry_tls_verifies_with_the_given_ca)
{
    const char *text;
    weir_error_t *err = fetch(ca, "true", &text);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_str_eq(text, "\"string\"");
}
END_TEST

START_TEST(test_registry_tls_unknown_ca_fails_and_is_not_retried)
{
    const char *text;
    weir_error_t *err = fetch(NULL, "true", &text);
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_REGISTRY);
    ck_assert_msg(!weir_error_is_retriable(err), "%s", weir_error_string(err));
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_registry_tls_verify_off_connects_anyway)
{
    const char *text;
    weir_error_t *err = fetch(NULL, "false", &text);
    ck_assert_msg(err == NULL, "%s", weir_error_string(err));
    ck_assert_str_eq(text, "\"string\"");
}
END_TEST

static Suite *registry_tls_suite(void)
{
    Suite *s = suite_create("registry_tls");
    TCase *tc = tcase_create("tls");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_registry_tls_verifies_with_the_given_ca);
    tcase_add_test(tc, test_registry_tls_unknown_ca_fails_and_is_not_retried);
    tcase_add_test(tc, test_registry_tls_verify_off_connects_anyway);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(registry_tls_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
