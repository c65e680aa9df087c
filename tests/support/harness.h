/*
 * harness.h: what integration tests need from the test harness: the
 * bootstrap servers of the real broker and the URL of the real registry,
 * and unique names so tests never share topics or groups.
 *
 * The broker and registry come from WEIR_TEST_BOOTSTRAP / WEIR_TEST_REGISTRY
 * when set, else from the env files that scripts/kafka.sh and
 * scripts/registry.sh write (the CTest fixtures start them). A test that
 * finds neither fails with a message saying how to get them: it never
 * skips silently.
 */
#ifndef WEIR_TEST_HARNESS_H
#define WEIR_TEST_HARNESS_H

#include <stddef.h>

/* "127.0.0.1:PORT" of the real broker; aborts the test when unknown. */
const char *weir_test_bootstrap(void);

/* "http://127.0.0.1:PORT" of the real registry (no API path). */
const char *weir_test_registry(void);

/* The pid of the registry (to stop it in a test), or -1 if unknown. */
long weir_test_registry_pid(void);

/* A name unique to this process and call: "<prefix>-<pid>-<n>-<rand>".
 * Free with free(). */
char *weir_test_unique_name(const char *prefix);

/* Reads KEY=VALUE from a shell-style env file into a malloc'd string, or
 * NULL. */
char *weir_test_env_file_get(const char *path, const char *key);

#endif /* WEIR_TEST_HARNESS_H */
