/*
 * error.c: weir_error_t, the one error type of weir.
 *
 * An error is a heap object with a code, a message and three flags. It is
 * cheap on the success path (NULL) and carries everything a caller needs to
 * decide between retrying, aborting a transaction and giving up. When the
 * allocation of an error itself fails, a static out-of-memory error is
 * handed out instead; weir_error_destroy() recognises it and does nothing,
 * so callers never need a special case.
 */
#include <weir/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alloc_int.h"

struct weir_error_s {
    weir_err_t code;
    int origin_code;
    bool retriable;
    bool fatal;
    bool txn_requires_abort;
    char *msg;
};

static weir_error_t oom_error = {WEIR_ERR_NOMEM,         0, true, false, false,
                                 (char *)"Out of memory"};

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *s = weir__malloc((size_t)n + 1);
    if (!s)
        return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

weir_error_t *weir_error_new(weir_err_t code, const char *fmt, ...)
{
    weir_error_t *err = weir__calloc(1, sizeof(*err));
    if (!err)
        return &oom_error;
    va_list ap;
    va_start(ap, fmt);
    err->msg = vformat(fmt ? fmt : "", ap);
    va_end(ap);
    if (!err->msg) {
        weir__free(err);
        return &oom_error;
    }
    err->code = code;
    return err;
}

void weir_error_destroy(weir_error_t *err)
{
    if (!err || err == &oom_error)
        return;
    weir__free(err->msg);
    weir__free(err);
}

weir_err_t weir_error_code(const weir_error_t *err)
{
    return err ? err->code : WEIR_ERR_OK;
}

const char *weir_error_string(const weir_error_t *err)
{
    return err ? err->msg : "Success";
}

int weir_error_origin_code(const weir_error_t *err)
{
    return err ? err->origin_code : 0;
}

bool weir_error_is_retriable(const weir_error_t *err)
{
    return err && err->retriable;
}

bool weir_error_is_fatal(const weir_error_t *err)
{
    return err && err->fatal;
}

bool weir_error_txn_requires_abort(const weir_error_t *err)
{
    return err && err->txn_requires_abort;
}

weir_error_t *weir_error_set_retriable(weir_error_t *err, bool v)
{
    if (err && err != &oom_error)
        err->retriable = v;
    return err;
}

weir_error_t *weir_error_set_fatal(weir_error_t *err, bool v)
{
    if (err && err != &oom_error)
        err->fatal = v;
    return err;
}

weir_error_t *weir_error_set_txn_requires_abort(weir_error_t *err, bool v)
{
    if (err && err != &oom_error)
        err->txn_requires_abort = v;
    return err;
}

weir_error_t *weir_error_set_origin_code(weir_error_t *err, int code)
{
    if (err && err != &oom_error)
        err->origin_code = code;
    return err;
}

weir_error_t *weir_error_prefix(weir_error_t *err, const char *fmt, ...)
{
    if (!err || err == &oom_error)
        return err;
    va_list ap;
    va_start(ap, fmt);
    char *prefix = vformat(fmt, ap);
    va_end(ap);
    if (!prefix)
        return err; /* keep the original message rather than lose it */
    size_t plen = strlen(prefix), mlen = strlen(err->msg);
    char *msg = weir__malloc(plen + mlen + 1);
    if (msg) {
        memcpy(msg, prefix, plen);
        memcpy(msg + plen, err->msg, mlen + 1);
        weir__free(err->msg);
        err->msg = msg;
    }
    weir__free(prefix);
    return err;
}

const char *weir_err2str(weir_err_t code)
{
    switch (code) {
#define WEIR__ERR_STR(name, num, desc) \
    case WEIR_ERR_##name:              \
        return desc;
        WEIR_ERRORS(WEIR__ERR_STR)
#undef WEIR__ERR_STR
    default:
        return "Unknown error";
    }
}

const char *weir_err2name(weir_err_t code)
{
    switch (code) {
#define WEIR__ERR_NAME(name, num, desc) \
    case WEIR_ERR_##name:               \
        return #name;
        WEIR_ERRORS(WEIR__ERR_NAME)
#undef WEIR__ERR_NAME
    default:
        return "UNKNOWN";
    }
}
