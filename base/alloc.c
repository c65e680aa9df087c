/*
 * alloc.c: the allocation wrappers of weir, with a fault-injection hook.
 *
 * The hook is a single counter read without locking on the fast path: it is
 * a test facility, set before the code under test runs.
 */
#include <stdlib.h>
#include <string.h>

#include <weir/common.h>

#include "alloc_int.h"

static long fail_after = -1;

static int should_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

void weir__alloc_fail_after(long n)
{
    fail_after = n;
}

void *weir__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *weir__calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *weir__realloc(void *ptr, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(ptr, size ? size : 1);
}

char *weir__strdup(const char *s)
{
    return s ? weir__strndup(s, strlen(s)) : NULL;
}

char *weir__strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = weir__malloc(len + 1);
    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void *weir__memdup(const void *p, size_t n)
{
    void *d = weir__malloc(n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

void weir__free(void *ptr)
{
    free(ptr);
}

void weir_free(void *ptr)
{
    weir__free(ptr);
}

const char *weir_version_str(void)
{
    return WEIR_VERSION_STR;
}
