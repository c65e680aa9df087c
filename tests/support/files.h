/*
 * files.h: small file helpers for tests.
 */
#ifndef WEIR_TEST_FILES_H
#define WEIR_TEST_FILES_H

/* The whole of @p path, NUL-terminated (free with free()); fails the test
 * when it cannot be read. */
char *weir_test_read_file(const char *path);

#endif /* WEIR_TEST_FILES_H */
