/*
 * tmpdir.h: fresh temporary directories for tests (RocksDB stores, state
 * dirs), removed recursively afterwards.
 */
#ifndef WEIR_TEST_TMPDIR_H
#define WEIR_TEST_TMPDIR_H

/* Creates a new empty directory under $TMPDIR; free with free(). */
char *weir_test_tmpdir_new(const char *prefix);

/* Removes @p path and everything under it. NULL is fine. */
void weir_test_tmpdir_remove(const char *path);

#endif /* WEIR_TEST_TMPDIR_H */
