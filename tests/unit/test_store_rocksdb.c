/*
 * test_store_rocksdb.c: what only a persistent store has to get right —
 * reopening, crashes between batch and commit (fork() + _exit() or
 * SIGKILL), restore with the WAL off, the task-dir lock, format versions,
 * corrupt files, and the shared memory budget.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_store_common.h"
#include "test_store_engines.h"

static int warnings;
static char last_warning[512];

static void count_warnings(void *opaque, int level, const char *fac,
                           const char *msg)
{
    (void)opaque;
    (void)fac;
    if (level <= WEIR_LOG_WARNING) {
        warnings++;
        snprintf(last_warning, sizeof(last_warning), "%s", msg);
    }
}

static weir_kv_store_t *kv_open(const char *name)
{
    return engine_kv_open(ENGINE_ROCKSDB, name);
}

static void assert_position(weir_kv_store_t *kv, bool expect_found,
                            int64_t expect)
{
    int64_t pos;
    bool found;
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert_int_eq(found, expect_found);
    if (expect_found)
        ck_assert_int_eq(pos, expect);
}

static char *store_file(const char *store, const char *file)
{
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/app/0_0/%s/%s", engine_dir, store, file);
    return p;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Waits for a child and checks that it exited with 0. */
static void reap(pid_t pid)
{
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child failed (status %d)", status);
}

START_TEST(test_store_rocksdb_commit_survives_reopen)
{
    weir_kv_store_t *kv = kv_open("durable");
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "a", "1");
    put_s(kv, "b", "2");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 17));
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "a", "uncommitted");
    put_s(kv, "c", "uncommitted");
    weir_store_destroy(weir_kv_store_as_store(kv)); /* aborts */
    kv = kv_open("durable");
    ck_assert(!weir_store_was_reset(weir_kv_store_as_store(kv)));
    assert_position(kv, true, 17);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "a=1,b=2");
    /* Writes outside a transaction persist too (at-least-once). */
    put_s(kv, "d", "4");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 18));
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = kv_open("durable");
    assert_get(kv, "d", "4");
    assert_position(kv, true, 18);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/* The child commits once, then writes a batch and dies before commit. */
START_TEST(test_store_rocksdb_crash_between_batch_and_commit)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weir_kv_store_t *kv = kv_open("crashy");
        OK(weir_store_begin(weir_kv_store_as_store(kv)));
        put_s(kv, "committed", "yes");
        OK(weir_store_commit(weir_kv_store_as_store(kv), 10));
        OK(weir_store_begin(weir_kv_store_as_store(kv)));
        for (int i = 0; i < 1000; i++) {
            char k[16];
            snprintf(k, sizeof(k), "pending-%04d", i);
            put_s(kv, k, "x");
        }
        put_s(kv, "committed", "overwritten");
        _exit(0); /* no commit, no close */
    }
    reap(pid);
    weir_kv_store_t *kv = kv_open("crashy");
    assert_position(kv, true, 10);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "committed=yes");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/* The child dies right after commit returned: the commit must be there. */
START_TEST(test_store_rocksdb_crash_after_commit_keeps_it)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weir_kv_store_t *kv = kv_open("crashy");
        OK(weir_store_begin(weir_kv_store_as_store(kv)));
        put_s(kv, "k", "v");
        OK(weir_store_commit(weir_kv_store_as_store(kv), 3));
        _exit(0);
    }
    reap(pid);
    weir_kv_store_t *kv = kv_open("crashy");
    assert_position(kv, true, 3);
    assert_get(kv, "k", "v");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/*
 * A child commits transactions in a loop (transaction i sets "n" = i and
 * adds "k<i>", at changelog offset i + 1) and is SIGKILLed at an arbitrary
 * moment. Whatever the moment, the store must be exactly the prefix that
 * its position names.
 */
START_TEST(test_store_rocksdb_sigkill_leaves_committed_prefix)
{
    for (int round = 0; round < 3; round++) {
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            weir_kv_store_t *kv = kv_open("killed");
            int64_t start;
            bool found;
            weir_store_position(weir_kv_store_as_store(kv), &start, &found);
            int i = found ? (int)start : 0;
            for (;; i++) {
                OK(weir_store_begin(weir_kv_store_as_store(kv)));
                char k[16], v[16];
                snprintf(k, sizeof(k), "k%06d", i);
                snprintf(v, sizeof(v), "%d", i);
                put_s(kv, k, v);
                put_s(kv, "n", v);
                OK(weir_store_commit(weir_kv_store_as_store(kv), i + 1));
            }
        }
        struct timespec ts = {0, (long)(150 + 70 * round) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ck_assert(WIFSIGNALED(status));
        weir_kv_store_t *kv = kv_open("killed");
        int64_t pos;
        bool found;
        weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
        if (!found) {
            /* Killed before the first commit: must be empty. */
            weir_kv_iter_t *it;
            OK(weir_kv_store_all(kv, &it));
            assert_iter(it, "");
        } else {
            char *n = get_s(kv, "n");
            ck_assert_ptr_nonnull(n);
            ck_assert_int_eq(atoi(n), pos - 1);
            free(n);
            weir_kv_iter_t *it;
            OK(weir_kv_store_prefix_scan(kv, "k", 1, &it));
            int64_t expect = 0;
            while (weir_kv_iter_valid(it)) {
                size_t kl;
                const char *k = weir_kv_iter_key(it, &kl);
                char kbuf[32]; /* the key is not NUL-terminated */
                snprintf(kbuf, sizeof(kbuf), "%.*s", (int)kl, k);
                ck_assert_int_eq(atoi(kbuf + 1), expect);
                expect++;
                weir_kv_iter_next(it);
            }
            weir_kv_iter_close(it);
            ck_assert_int_eq(expect, pos);
        }
        weir_store_destroy(weir_kv_store_as_store(kv));
    }
}
END_TEST

/*
 * Restore writes with the WAL off: a crash mid-restore may lose the
 * unflushed tail, but never splits data from position.
 */
START_TEST(test_store_rocksdb_crash_mid_restore_is_consistent)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weir_kv_store_t *kv = kv_open("restoring");
        put_s(kv, "base", "1");
        OK(weir_store_commit(weir_kv_store_as_store(kv), 5));
        OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 3000, NULL,
                                    NULL));
        weir_changelog_record_t recs[1000];
        char keys[1000][16];
        for (int b = 0; b < 3; b++) {
            for (int i = 0; i < 1000; i++) {
                snprintf(keys[i], sizeof(keys[i]), "r%06d", b * 1000 + i);
                recs[i] = crec(keys[i], 7, "v", 1);
            }
            OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 1000,
                                        5 + (b + 1) * 1000));
        }
        _exit(0); /* before restore_end's flush */
    }
    reap(pid);
    weir_kv_store_t *kv = kv_open("restoring");
    int64_t pos;
    bool found;
    weir_store_position(weir_kv_store_as_store(kv), &pos, &found);
    ck_assert(found);
    assert_get(kv, "base", "1");
    weir_kv_iter_t *it;
    OK(weir_kv_store_prefix_scan(kv, "r", 1, &it));
    int64_t n = 0;
    while (weir_kv_iter_valid(it)) {
        n++;
        weir_kv_iter_next(it);
    }
    weir_kv_iter_close(it);
    ck_assert_int_eq(5 + n, pos);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_rocksdb_restore_is_durable_after_end)
{
    weir_kv_store_t *kv = kv_open("restored");
    OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 0, NULL, NULL));
    weir_changelog_record_t recs[] = {crec("a", 1, "1", 1),
                                      crec("b", 1, "2", 1)};
    OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 2, 2));
    OK(weir_store_restore_end(weir_kv_store_as_store(kv)));
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    reap(pid);
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = kv_open("restored");
    assert_position(kv, true, 2);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "a=1,b=2");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_rocksdb_window_reopen_keeps_time_and_expiry)
{
    weir_window_store_t *ws = engine_ws_open(ENGINE_ROCKSDB, "win", 30000,
                                             10000);
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    OK(weir_window_store_put(ws, "k", 1, 1000, "a", 1));
    OK(weir_window_store_put(ws, "k", 1, 20000, "b", 1));
    OK(weir_store_commit(weir_window_store_as_store(ws), 2));
    weir_store_destroy(weir_window_store_as_store(ws));
    ws = engine_ws_open(ENGINE_ROCKSDB, "win", 30000, 10000);
    ck_assert_int_eq(weir_window_store_observed_time(ws), 20000);
    /* Reopening with another segment width is refused. */
    weir_error_t *err = NULL;
    ck_assert_ptr_null(
        weir_window_store_rocksdb_open(engine_td, "win2", 30000, 0, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    OK(weir_window_store_put(ws, "k", 1, 45000, "c", 1));
    OK(weir_store_commit(weir_window_store_as_store(ws), 3));
    weir_store_destroy(weir_window_store_as_store(ws));
    ck_assert_ptr_null(
        weir_window_store_rocksdb_open(engine_td, "win", 30000, 5000, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE);
    ck_assert(strstr(weir_error_string(err), "win"));
    weir_error_destroy(err);
    ws = engine_ws_open(ENGINE_ROCKSDB, "win", 30000, 10000);
    weir_window_iter_t *it;
    OK(weir_window_store_fetch_all(ws, INT64_MIN, INT64_MAX, &it));
    int n = 0;
    while (weir_window_iter_valid(it)) {
        ck_assert_int_ge(weir_window_iter_window_start(it), 20000);
        n++;
        weir_window_iter_next(it);
    }
    weir_window_iter_close(it);
    ck_assert_int_eq(n, 2);
    OK(weir_window_store_put(ws, "k", 1, 1000, "late", 4));
    ck_assert_uint_eq(weir_window_store_expired_puts(ws), 1);
    ck_assert(!weir_store_was_reset(weir_window_store_as_store(ws)));
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

START_TEST(test_store_rocksdb_task_dir_lock_excludes_other_opens)
{
    weir_error_t *err = NULL;
    /* A second open in this process. */
    ck_assert_ptr_null(
        weir_task_dir_open(engine_env, engine_dir, "app", "0_0", &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE_LOCKED);
    ck_assert(strstr(weir_error_string(err), "0_0"));
    weir_error_destroy(err);
    /* Another process. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weir_error_t *cerr = NULL;
        weir_task_dir_t *td = weir_task_dir_open(engine_env, engine_dir, "app",
                                                 "0_0", &cerr);
        _exit(!td && weir_error_code(cerr) == WEIR_ERR_STORE_LOCKED ? 0 : 1);
    }
    reap(pid);
    /* Another task is fine. */
    weir_task_dir_t *other = weir_task_dir_open(engine_env, engine_dir, "app",
                                                "0_1", &err);
    ck_assert_msg(other, "%s", weir_error_string(err));
    ck_assert(strstr(weir_task_dir_path(other), "/app/0_1"));
    /* The lock outlives close while a store is open, then goes. */
    weir_kv_store_t *kv = weir_kv_store_rocksdb_open(other, "s", &err);
    ck_assert_ptr_nonnull(kv);
    weir_task_dir_destroy(other);
    ck_assert_ptr_null(
        weir_task_dir_open(engine_env, engine_dir, "app", "0_1", &err));
    weir_error_destroy(err);
    weir_store_destroy(weir_kv_store_as_store(kv));
    other = weir_task_dir_open(engine_env, engine_dir, "app", "0_1", &err);
    ck_assert_msg(other, "%s", weir_error_string(err));
    weir_task_dir_destroy(other);
}
END_TEST

START_TEST(test_store_rocksdb_lock_released_when_holder_dies)
{
    weir_task_dir_destroy(engine_td);
    engine_td = NULL;
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        weir_error_t *cerr = NULL;
        weir_task_dir_t *td = weir_task_dir_open(engine_env, engine_dir, "app",
                                                 "0_0", &cerr);
        _exit(td ? 0 : 1); /* dies holding the lock */
    }
    reap(pid);
    weir_error_t *err = NULL;
    engine_td = weir_task_dir_open(engine_env, engine_dir, "app", "0_0", &err);
    ck_assert_msg(engine_td, "%s", weir_error_string(err));
}
END_TEST

START_TEST(test_store_rocksdb_same_store_twice_is_locked)
{
    weir_kv_store_t *kv = kv_open("once");
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_kv_store_rocksdb_open(engine_td, "once", &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE_LOCKED);
    weir_error_destroy(err);
    /* A kv store directory is not a window store. */
    ck_assert_ptr_null(
        weir_window_store_rocksdb_open(engine_td, "once", 10, 10, &err));
    weir_error_destroy(err);
    weir_store_destroy(weir_kv_store_as_store(kv));
    ck_assert_ptr_null(
        weir_window_store_rocksdb_open(engine_td, "once", 10, 10, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE);
    ck_assert(strstr(weir_error_string(err), "kv store"));
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_store_rocksdb_newer_format_is_refused)
{
    weir_kv_store_t *kv = kv_open("future");
    put_s(kv, "k", "v");
    weir_store_destroy(weir_kv_store_as_store(kv));
    char *fmt = store_file("future", "format");
    write_file(fmt, "weir-store-format 99 kv 0\n", 26);
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_kv_store_rocksdb_open(engine_td, "future", &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE_VERSION);
    ck_assert(strstr(weir_error_string(err), "future"));
    ck_assert(strstr(weir_error_string(err), "99"));
    weir_error_destroy(err);
    /* The data was not touched. */
    write_file(fmt, "weir-store-format 1 kv 0\n", 25);
    kv = kv_open("future");
    assert_get(kv, "k", "v");
    weir_store_destroy(weir_kv_store_as_store(kv));
    free(fmt);
}
END_TEST

START_TEST(test_store_rocksdb_corrupt_current_is_wiped_with_warning)
{
    weir_store_env_set_log_cb(engine_env, count_warnings, NULL, false);
    weir_kv_store_t *kv = kv_open("broken");
    put_s(kv, "k", "v");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 9));
    weir_store_destroy(weir_kv_store_as_store(kv));
    char *cur = store_file("broken", "rocksdb/CURRENT");
    write_file(cur, "garbage", 7);
    free(cur);
    kv = kv_open("broken");
    ck_assert(weir_store_was_reset(weir_kv_store_as_store(kv)));
    ck_assert_int_eq(warnings, 1);
    ck_assert(strstr(last_warning, "broken"));
    ck_assert(strstr(last_warning, "restored in full"));
    assert_position(kv, false, 0);
    assert_get(kv, "k", NULL);
    /* Usable after the wipe. */
    put_s(kv, "k2", "v2");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 1));
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = kv_open("broken");
    ck_assert(!weir_store_was_reset(weir_kv_store_as_store(kv)));
    assert_get(kv, "k2", "v2");
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_rocksdb_garbage_format_file_is_wiped)
{
    weir_store_env_set_log_cb(engine_env, count_warnings, NULL, false);
    weir_kv_store_t *kv = kv_open("badfmt");
    put_s(kv, "k", "v");
    weir_store_destroy(weir_kv_store_as_store(kv));
    char *fmt = store_file("badfmt", "format");
    write_file(fmt, "\x01\x02zz", 4);
    free(fmt);
    kv = kv_open("badfmt");
    ck_assert(weir_store_was_reset(weir_kv_store_as_store(kv)));
    ck_assert_int_eq(warnings, 1);
    assert_get(kv, "k", NULL);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/*
 * Damaged table files: depending on where the damage is, RocksDB notices
 * at open (wiped) or at read (WEIR_ERR_STORE_CORRUPT); never a crash.
 */
START_TEST(test_store_rocksdb_corrupt_table_file_is_detected)
{
    weir_store_env_set_log_cb(engine_env, count_warnings, NULL, false);
    weir_kv_store_t *kv = kv_open("sst");
    OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 0, NULL, NULL));
    weir_changelog_record_t recs[2000];
    char keys[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key%06d", i);
        recs[i] = crec(keys[i], 9, "value-value-value-value", 23);
    }
    OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 2000, 2000));
    OK(weir_store_restore_end(
        weir_kv_store_as_store(kv))); /* flushes an SST */
    weir_store_destroy(weir_kv_store_as_store(kv));
    char *dbdir = store_file("sst", "rocksdb");
    DIR *d = opendir(dbdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int damaged = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 4 || strcmp(de->d_name + l - 4, ".sst"))
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dbdir, de->d_name);
        int fd = open(path, O_WRONLY);
        ck_assert_int_ge(fd, 0);
        struct stat st;
        fstat(fd, &st);
        char junk[4096];
        memset(junk, 0x5a, sizeof(junk));
        /* The whole file: data blocks, index and footer. */
        for (off_t off = 0; off < st.st_size; off += (off_t)sizeof(junk))
            ck_assert_int_gt(pwrite(fd, junk, sizeof(junk), off), 0);
        close(fd);
        damaged++;
    }
    closedir(d);
    free(dbdir);
    ck_assert_int_ge(damaged, 1);
    weir_error_t *err = NULL;
    kv = weir_kv_store_rocksdb_open(engine_td, "sst", &err);
    if (!kv) {
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE_CORRUPT);
        weir_error_destroy(err);
        return;
    }
    if (weir_store_was_reset(weir_kv_store_as_store(kv))) {
        ck_assert_int_eq(warnings, 1);
        assert_position(kv, false, 0);
    } else {
        void *v;
        size_t vl;
        bool found;
        err = weir_kv_store_get(kv, "key000001", 9, &v, &vl, &found);
        ck_assert_int_eq(weir_error_code(err), WEIR_ERR_STORE_CORRUPT);
        weir_error_destroy(err);
    }
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_rocksdb_delete_store_and_bad_names)
{
    weir_kv_store_t *kv = kv_open("doomed");
    put_s(kv, "k", "v");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 1));
    weir_store_destroy(weir_kv_store_as_store(kv));
    OK(weir_task_dir_delete_store(engine_td, "doomed"));
    OK(weir_task_dir_delete_store(engine_td, "never-existed"));
    FAILS(weir_task_dir_delete_store(engine_td, ".."), WEIR_ERR_INVALID_ARG);
    FAILS(weir_task_dir_delete_store(engine_td, "a/b"), WEIR_ERR_INVALID_ARG);
    kv = kv_open("doomed");
    assert_position(kv, false, 0);
    assert_get(kv, "k", NULL);
    weir_store_destroy(weir_kv_store_as_store(kv));
    weir_error_t *err = NULL;
    ck_assert_ptr_null(weir_kv_store_rocksdb_open(engine_td, "x/y", &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    ck_assert_ptr_null(
        weir_task_dir_open(engine_env, engine_dir, "..", "0_0", &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
    ck_assert_ptr_null(weir_store_env_new(1024, &err));
    ck_assert_int_eq(weir_error_code(err), WEIR_ERR_INVALID_ARG);
    weir_error_destroy(err);
}
END_TEST

START_TEST(test_store_rocksdb_memory_figures)
{
    weir_kv_store_t *kv = kv_open("mem");
    char val[100];
    memset(val, 'v', sizeof(val));
    for (int i = 0; i < 5000; i++) {
        char k[16];
        snprintf(k, sizeof(k), "%015d", i);
        OK(weir_kv_store_put(kv, k, 16, val, sizeof(val)));
    }
    weir_store_memory_t m;
    weir_store_env_memory(engine_env, &m);
    ck_assert_uint_eq(m.budget, 64u << 20);
    ck_assert_uint_gt(m.memtable_usage, 5000 * 100);
    /* Memtables are charged to the shared cache. */
    ck_assert_uint_ge(m.cache_usage, m.memtable_usage / 2);
    ck_assert_uint_le(m.cache_usage, m.budget + (1u << 20));
    uint64_t count;
    OK(weir_kv_store_approximate_count(kv, &count));
    ck_assert_uint_gt(count, 4000);
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

START_TEST(test_store_rocksdb_checkpoint_opens_elsewhere)
{
    weir_kv_store_t *kv = kv_open("snap");
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "a", "1");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 4));
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "b", "pending");
    char cp[4096];
    snprintf(cp, sizeof(cp), "%s/snap-copy", engine_dir);
    OK(weir_store_checkpoint(weir_kv_store_as_store(kv), cp));
    FAILS(weir_store_checkpoint(weir_kv_store_as_store(kv), cp),
          WEIR_ERR_EXISTS);
    OK(weir_store_commit(weir_kv_store_as_store(kv), 5));
    weir_store_destroy(weir_kv_store_as_store(kv));
    /* Move the copy into another task and open it there. */
    weir_error_t *err = NULL;
    weir_task_dir_t *td = weir_task_dir_open(engine_env, engine_dir, "app",
                                             "1_0", &err);
    ck_assert_msg(td, "%s", weir_error_string(err));
    char dst[4096];
    snprintf(dst, sizeof(dst), "%s/snap", weir_task_dir_path(td));
    ck_assert_int_eq(rename(cp, dst), 0);
    kv = weir_kv_store_rocksdb_open(td, "snap", &err);
    ck_assert_msg(kv, "%s", weir_error_string(err));
    ck_assert(!weir_store_was_reset(weir_kv_store_as_store(kv)));
    assert_position(kv, true, 4);
    weir_kv_iter_t *it;
    OK(weir_kv_store_all(kv, &it));
    assert_iter(it, "a=1");
    weir_store_destroy(weir_kv_store_as_store(kv));
    weir_task_dir_destroy(td);
    /* Memory stores have nothing to checkpoint. */
    kv = engine_kv_open(ENGINE_MEMORY, "mem");
    FAILS(weir_store_checkpoint(weir_kv_store_as_store(kv), cp),
          WEIR_ERR_UNSUPPORTED);
    weir_store_destroy(weir_kv_store_as_store(kv));
    /* Window stores checkpoint too, segment width included. */
    weir_window_store_t *ws = engine_ws_open(ENGINE_ROCKSDB, "wsnap", 100, 10);
    OK(weir_window_store_put(ws, "k", 1, 50, "v", 1));
    OK(weir_store_commit(weir_window_store_as_store(ws), 1));
    snprintf(cp, sizeof(cp), "%s/wsnap-copy", engine_dir);
    OK(weir_store_checkpoint(weir_window_store_as_store(ws), cp));
    weir_store_destroy(weir_window_store_as_store(ws));
    char fmt[4200];
    snprintf(fmt, sizeof(fmt), "%s/format", cp);
    FILE *f = fopen(fmt, "r");
    ck_assert_ptr_nonnull(f);
    char line[128] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    fclose(f);
    ck_assert_str_eq(line, "weir-store-format 1 window 10\n");
}
END_TEST

START_TEST(test_store_rocksdb_commit_without_position_persists_data)
{
    weir_kv_store_t *kv = kv_open("nopos");
    OK(weir_store_begin(weir_kv_store_as_store(kv)));
    put_s(kv, "k", "v");
    OK(weir_store_commit(weir_kv_store_as_store(kv), WEIR_STORE_NO_POSITION));
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = kv_open("nopos");
    ck_assert(!weir_store_was_reset(weir_kv_store_as_store(kv)));
    assert_position(kv, false, 0);
    assert_get(kv, "k", "v");
    weir_store_destroy(weir_kv_store_as_store(kv));
    /* A window store keeps its observed time without a position. */
    weir_window_store_t *ws = engine_ws_open(ENGINE_ROCKSDB, "wnopos", 100,
                                             10);
    OK(weir_store_begin(weir_window_store_as_store(ws)));
    OK(weir_window_store_put(ws, "k", 1, 500, "v", 1));
    OK(weir_store_commit(weir_window_store_as_store(ws),
                         WEIR_STORE_NO_POSITION));
    weir_store_destroy(weir_window_store_as_store(ws));
    ws = engine_ws_open(ENGINE_ROCKSDB, "wnopos", 100, 10);
    ck_assert_int_eq(weir_window_store_observed_time(ws), 500);
    int64_t pos;
    bool found;
    weir_store_position(weir_window_store_as_store(ws), &pos, &found);
    ck_assert(!found);
    weir_store_destroy(weir_window_store_as_store(ws));
}
END_TEST

/*
 * Restore through many small ingested files (a 4 KiB buffer): a key's
 * later record wins across files and within one, tombstones delete what
 * earlier files wrote, and the final state matches a model.
 */
START_TEST(test_store_rocksdb_restore_in_many_files_matches_model)
{
    weir_store_env_set_restore_buffer(engine_env, 4096);
    weir_kv_store_t *kv = kv_open("chunks");
    put_s(kv, "k000", "before-restore");
    OK(weir_store_commit(weir_kv_store_as_store(kv), 0));
    int model[50];
    for (int k = 0; k < 50; k++)
        model[k] = -1;
    model[0] = -2; /* "before-restore" */
    OK(weir_store_restore_begin(weir_kv_store_as_store(kv), 3000, NULL, NULL));
    unsigned seed = 99;
    int64_t offset = 0;
    for (int batch = 0; batch < 30; batch++) {
        weir_changelog_record_t recs[100];
        char keys[100][8], vals[100][16];
        for (int i = 0; i < 100; i++) {
            seed = seed * 1103515245u + 12345u;
            int k = (int)((seed >> 8) % 50);
            bool del = (seed >> 20) % 4 == 0;
            snprintf(keys[i], sizeof(keys[i]), "k%03d", k);
            snprintf(vals[i], sizeof(vals[i]), "%" PRId64, offset);
            recs[i] = crec(keys[i], 4, del ? NULL : vals[i],
                           del ? 0 : strlen(vals[i]));
            model[k] = del ? -1 : (int)offset;
            offset++;
        }
        OK(weir_store_restore_apply(weir_kv_store_as_store(kv), recs, 100,
                                    offset));
    }
    OK(weir_store_restore_end(weir_kv_store_as_store(kv)));
    weir_store_destroy(weir_kv_store_as_store(kv));
    kv = kv_open("chunks");
    assert_position(kv, true, 3000);
    for (int k = 0; k < 50; k++) {
        char key[8];
        snprintf(key, sizeof(key), "k%03d", k);
        char *v = get_s(kv, key);
        if (model[k] == -2) {
            ck_assert_ptr_nonnull(v);
            ck_assert_str_eq(v, "before-restore");
        } else if (model[k] < 0) {
            ck_assert_msg(!v, "%s: expected deleted, got %s", key, v);
        } else {
            ck_assert_msg(v, "%s: expected %d", key, model[k]);
            ck_assert_int_eq(atoi(v), model[k]);
        }
        free(v);
    }
    weir_store_destroy(weir_kv_store_as_store(kv));
}
END_TEST

/* The row cache answers gets for recent keys; it must never serve a row
 * the store no longer holds: after an abort, a restore, or evictions
 * under a tiny budget, every get equals what RocksDB says. */
START_TEST(test_store_rocksdb_row_cache_never_serves_stale_rows)
{
    weir_kv_store_t *kv = kv_open("cached");
    weir_store_t *st = weir_kv_store_as_store(kv);
    assert_get(kv, "a", NULL); /* absence cached */
    OK(weir_store_begin(st));
    put_s(kv, "a", "1");
    assert_get(kv, "a", "1");
    OK(weir_store_abort(st));
    assert_get(kv, "a", NULL);
    OK(weir_store_begin(st));
    put_s(kv, "a", "2");
    OK(weir_kv_store_delete(kv, "b", 1));
    OK(weir_store_commit(st, 5));
    assert_get(kv, "a", "2");
    assert_get(kv, "b", NULL);
    /* A restore rewrites rows under the cache. */
    OK(weir_store_restore_begin(st, 2, NULL, NULL));
    weir_changelog_record_t recs[2] = {crec("a", 1, "restored", 8),
                                       crec("b", 1, "new", 3)};
    OK(weir_store_restore_apply(st, recs, 2, 7));
    OK(weir_store_restore_end(st));
    assert_get(kv, "a", "restored");
    assert_get(kv, "b", "new");
    weir_store_destroy(st);

    /* A budget that holds a handful of rows: constant eviction, and
     * every answer still right, in and out of transactions. */
    weir_store_env_set_row_cache(engine_env, 2048);
    kv = kv_open("churn");
    st = weir_kv_store_as_store(kv);
    char key[16], val[16];
    for (int round = 0; round < 3; round++) {
        OK(weir_store_begin(st));
        for (int i = 0; i < 500; i++) {
            snprintf(key, sizeof(key), "k%d", i);
            snprintf(val, sizeof(val), "%d-%d", round, i);
            if (i % 7 == round)
                OK(weir_kv_store_delete(kv, key, strlen(key)));
            else
                put_s(kv, key, val);
        }
        if (round == 1) {
            OK(weir_store_abort(st));
            continue;
        }
        OK(weir_store_commit(st, round));
    }
    for (int i = 499; i >= 0; i--) {
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(val, sizeof(val), "2-%d", i);
        assert_get(kv, key, i % 7 == 2 ? NULL : val);
    }
    weir_store_destroy(st);

    /* Off: the same answers from RocksDB alone. */
    weir_store_env_set_row_cache(engine_env, 0);
    kv = kv_open("churn");
    assert_get(kv, "k3", "2-3");
    assert_get(kv, "k2", NULL);
    weir_store_destroy(weir_kv_store_as_store(kv));
    weir_store_env_set_row_cache(engine_env, WEIR_STORE_ROW_CACHE_DEFAULT);
}
END_TEST

static Suite *store_rocksdb_suite(void)
{
    Suite *s = suite_create("store_rocksdb");
    TCase *tc = tcase_create("durability");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_test(tc, test_store_rocksdb_commit_survives_reopen);
    tcase_add_test(tc, test_store_rocksdb_crash_between_batch_and_commit);
    tcase_add_test(tc, test_store_rocksdb_crash_after_commit_keeps_it);
    tcase_add_test(tc, test_store_rocksdb_sigkill_leaves_committed_prefix);
    tcase_add_test(tc, test_store_rocksdb_crash_mid_restore_is_consistent);
    tcase_add_test(tc, test_store_rocksdb_restore_is_durable_after_end);
    tcase_add_test(tc, test_store_rocksdb_restore_in_many_files_matches_model);
    tcase_add_test(tc, test_store_rocksdb_row_cache_never_serves_stale_rows);
    tcase_add_test(tc, test_store_rocksdb_window_reopen_keeps_time_and_expiry);
    tcase_add_test(tc, test_store_rocksdb_checkpoint_opens_elsewhere);
    tcase_add_test(tc,
                   test_store_rocksdb_commit_without_position_persists_data);
    suite_add_tcase(s, tc);
    tc = tcase_create("robustness");
    tcase_add_checked_fixture(tc, engine_setup, engine_teardown);
    tcase_add_test(tc, test_store_rocksdb_task_dir_lock_excludes_other_opens);
    tcase_add_test(tc, test_store_rocksdb_lock_released_when_holder_dies);
    tcase_add_test(tc, test_store_rocksdb_same_store_twice_is_locked);
    tcase_add_test(tc, test_store_rocksdb_newer_format_is_refused);
    tcase_add_test(tc,
                   test_store_rocksdb_corrupt_current_is_wiped_with_warning);
    tcase_add_test(tc, test_store_rocksdb_garbage_format_file_is_wiped);
    tcase_add_test(tc, test_store_rocksdb_corrupt_table_file_is_detected);
    tcase_add_test(tc, test_store_rocksdb_delete_store_and_bad_names);
    tcase_add_test(tc, test_store_rocksdb_memory_figures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(store_rocksdb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
