/**
 * @file common.h
 * @brief Macros and helpers shared by every weir header.
 */
#ifndef WEIR_COMMON_H
#define WEIR_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define WEIR_EXPORT __attribute__((visibility("default")))
#else
#define WEIR_EXPORT
#endif

/*
 * On every function that returns an error (weir_error_t *): a caller that
 * drops the result gets a warning (an error under -Werror), since an
 * error is to be handled or destroyed, and dropping it leaks it. To
 * ignore one on purpose, destroy it: weir_error_destroy(f(...)). A (void)
 * cast does not silence GCC, by design.
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#define WEIR_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define WEIR_WARN_UNUSED
#endif

#if defined(__GNUC__)
#define WEIR_PRINTF(fmt_idx, arg_idx) \
    __attribute__((format(printf, fmt_idx, arg_idx)))
#else
#define WEIR_PRINTF(fmt_idx, arg_idx)
#endif

#define WEIR_VERSION_MAJOR 0
#define WEIR_VERSION_MINOR 1
#define WEIR_VERSION_PATCH 0
#define WEIR_VERSION_STR "0.1.0"

/**
 * @brief Frees memory that a weir function handed to the caller.
 * @remark NULL is fine. Use it for every buffer whose doc says
 *         "free with weir_free()", never plain free().
 */
WEIR_EXPORT void weir_free(void *ptr);

/** @brief The library version as a string, e.g. "0.1.0". */
WEIR_EXPORT const char *weir_version_str(void);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_COMMON_H */
