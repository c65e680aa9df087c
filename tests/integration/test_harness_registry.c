/*
 * test_harness_registry.c: proves the harness's real schema registry speaks
 * the Confluent-compatible API weir's registry client uses, with libcurl
 * and jansson alone: a schema registered under "<topic>-value" through
 * /apis/ccompat/v7 comes back by its id, and registering it again returns
 * the same id.
 */
#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "files.h"

typedef struct {
    char *data;
    size_t len;
} body_t;

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    body_t *b = userdata;
    size_t add = size * n;
    char *p = realloc(b->data, b->len + add + 1);
    ck_assert_ptr_nonnull(p);
    memcpy(p + b->len, ptr, add);
    b->data = p;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* Sends a request to the registry; returns the parsed JSON reply. */
static json_t *registry_call(const char *method, const char *path,
                             const char *body, long *statusp)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s/apis/ccompat/v7%s", weir_test_registry(),
             path);
    CURL *curl = curl_easy_init();
    ck_assert_ptr_nonnull(curl);
    body_t reply = {NULL, 0};
    struct curl_slist *hdrs = curl_slist_append(
        NULL, "Content-Type: application/vnd.schemaregistry.v1+json");
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    if (body)
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(curl);
    ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url,
                  curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, statusp);
    json_error_t jerr;
    json_t *json = json_loads(reply.data ? reply.data : "", 0, &jerr);
    ck_assert_msg(json != NULL, "%s %s: reply is not JSON: %s", method, url,
                  reply.data ? reply.data : "(empty)");
    free(reply.data);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(curl);
    return json;
}

START_TEST(test_harness_registry_registers_and_fetches_by_id)
{
    char *schema = weir_test_read_file(
        WEIR_SOURCE_DIR "/apps/recommendation/schemas/clickStream.avsc");
    char *topic = weir_test_unique_name("harness-clicks");
    json_t *req = json_pack("{s:s}", "schema", schema);
    char *body = json_dumps(req, JSON_COMPACT);

    char path[512];
    snprintf(path, sizeof(path), "/subjects/%s-value/versions", topic);
    long status = 0;
    json_t *reg = registry_call("POST", path, body, &status);
    ck_assert_int_eq(status, 200);
    json_int_t id = json_integer_value(json_object_get(reg, "id"));
    ck_assert_int_gt(id, 0);

    /* Registering the same schema again under the subject is idempotent. */
    json_t *again = registry_call("POST", path, body, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(again, "id")), id);

    snprintf(path, sizeof(path), "/schemas/ids/%lld", (long long)id);
    json_t *got = registry_call("GET", path, NULL, &status);
    ck_assert_int_eq(status, 200);
    const char *fetched = json_string_value(json_object_get(got, "schema"));
    ck_assert_ptr_nonnull(fetched);
    /* Same schema, compared as JSON (the registry may reformat it). */
    json_t *a = json_loads(schema, 0, NULL);
    json_t *b = json_loads(fetched, 0, NULL);
    ck_assert_msg(json_equal(a, b), "fetched schema differs: %s", fetched);

    snprintf(path, sizeof(path), "/subjects/%s-value/versions/latest", topic);
    json_t *latest = registry_call("GET", path, NULL, &status);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(latest, "id")), id);

    /* An unknown id is a 404 with Confluent's error code. */
    json_t *missing = registry_call("GET", "/schemas/ids/987654321", NULL,
                                    &status);
    ck_assert_int_eq(status, 404);
    ck_assert_int_eq(
        json_integer_value(json_object_get(missing, "error_code")), 40403);

    json_decref(missing);
    json_decref(latest);
    json_decref(a);
    json_decref(b);
    json_decref(got);
    json_decref(again);
    json_decref(reg);
    free(body);
    json_decref(req);
    free(topic);
    free(schema);
}
END_TEST

static Suite *harness_registry_suite(void)
{
    Suite *s = suite_create("harness_registry");
    TCase *tc = tcase_create("ccompat");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_harness_registry_registers_and_fetches_by_id);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(harness_registry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
