/*
 * test_store_common.h: helpers shared by the statestore unit tests.
 *
 * Behaviour tests run once per engine with Check loop tests: _i selects
 * the engine (ENGINE_MEMORY, ENGINE_ROCKSDB), so the in-memory and RocksDB
 * stores are held to the same expectations.
 */
#ifndef WEIR_TEST_STORE_COMMON_H
#define WEIR_TEST_STORE_COMMON_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <weir/statestore.h>

#include "check_ok.h"

/* A changelog sink that records what it is sent. */
typedef struct sent_s {
    char store[64];
    unsigned char key[64];
    size_t klen;
    unsigned char val[64];
    size_t vlen;
    bool tombstone;
} sent_t;

typedef struct sink_log_s {
    sent_t recs[256];
    int n;
    bool fail; /* make send() fail */
} sink_log_t;

static weir_error_t *sink_send(void *opaque, const char *store,
                               const void *key, size_t klen, const void *val,
                               size_t vlen)
{
    sink_log_t *log = opaque;
    if (log->fail)
        return weir_error_new(WEIR_ERR_KAFKA, "producer queue full");
    ck_assert_int_lt(log->n, 256);
    sent_t *s = &log->recs[log->n++];
    snprintf(s->store, sizeof(s->store), "%s", store);
    ck_assert_uint_le(klen, sizeof(s->key));
    memcpy(s->key, key, klen);
    s->klen = klen;
    s->tombstone = val == NULL;
    if (val) {
        ck_assert_uint_le(vlen, sizeof(s->val));
        memcpy(s->val, val, vlen);
    }
    s->vlen = vlen;
    return NULL;
}

static const weir_changelog_sink_t test_sink = {.send = sink_send};

#define OK(expr) CHECK_OK(expr)

/* Expects an error with a code, and frees it. */
#define FAILS(expr, code)                                                 \
    do {                                                                  \
        weir_error_t *f_err_ = (expr);                                    \
        ck_assert_msg(f_err_, "%s succeeded", #expr);                     \
        ck_assert_msg(weir_error_code(f_err_) == (code), "%s: %s", #expr, \
                      weir_error_string(f_err_));                         \
        weir_error_destroy(f_err_);                                       \
    } while (0)

/* A changelog record, its fields named so that reserved stays zero. */
static inline weir_changelog_record_t crec(const void *key, size_t key_len,
                                           const void *val, size_t val_len)
{
    return (weir_changelog_record_t){
        .key = key, .key_len = key_len, .val = val, .val_len = val_len};
}

static inline void put_s(weir_kv_store_t *kv, const char *k, const char *v)
{
    OK(weir_kv_store_put(kv, k, strlen(k), v, strlen(v)));
}

/* Reads a key as a string, or NULL when not found (free with weir_free). */
static inline char *get_s(weir_kv_store_t *kv, const char *k)
{
    void *v;
    size_t vlen;
    bool found;
    OK(weir_kv_store_get(kv, k, strlen(k), &v, &vlen, &found));
    if (!found) {
        ck_assert_ptr_null(v);
        return NULL;
    }
    char *s = malloc(vlen + 1);
    memcpy(s, v, vlen);
    s[vlen] = 0;
    weir_free(v);
    return s;
}

static inline void assert_get(weir_kv_store_t *kv, const char *k,
                              const char *expect)
{
    char *v = get_s(kv, k);
    if (!expect) {
        ck_assert_msg(!v, "%s: expected absent, got %s", k, v);
        return;
    }
    ck_assert_msg(v, "%s: expected %s, got absent", k, expect);
    ck_assert_str_eq(v, expect);
    free(v);
}

/*
 * Drains an iterator into "k=v,k=v" (keys/values printable) and closes it.
 */
static inline void assert_iter(weir_kv_iter_t *it, const char *expect)
{
    char out[4096] = "";
    size_t n = 0;
    while (weir_kv_iter_valid(it)) {
        size_t kl, vl;
        const char *k = weir_kv_iter_key(it, &kl);
        const char *v = weir_kv_iter_value(it, &vl);
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s=%.*s",
                              n ? "," : "", (int)kl, k, (int)vl, v);
        weir_kv_iter_next(it);
    }
    ck_assert_ptr_null(weir_kv_iter_error(it));
    weir_kv_iter_close(it);
    ck_assert_str_eq(out, expect);
}

#endif /* WEIR_TEST_STORE_COMMON_H */
