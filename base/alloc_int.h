/*
 * alloc_int.h: every allocation in weir goes through these, so that tests
 * can make the Nth allocation fail (weir__alloc_fail_after) and check that
 * each error path cleans up and reports WEIR_ERR_NOMEM.
 */
#ifndef WEIR_ALLOC_INT_H
#define WEIR_ALLOC_INT_H

#include <stddef.h>

void *weir__malloc(size_t size);
void *weir__calloc(size_t count, size_t size);
void *weir__realloc(void *ptr, size_t size);
char *weir__strdup(const char *s);
char *weir__strndup(const char *s, size_t n);
void *weir__memdup(const void *p, size_t n);
void weir__free(void *ptr);

/*
 * Test hook: after @p n more successful allocations, every allocation fails
 * until weir__alloc_fail_after(-1) turns the hook off. Per process (Check
 * runs each test in its own fork).
 */
void weir__alloc_fail_after(long n);

#endif /* WEIR_ALLOC_INT_H */
