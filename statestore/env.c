/*
 * env.c: the shared RocksDB environment and locked task directories.
 *
 * Memory. All RocksDB instances of a process share one LRU block cache of
 * statestore.memory.bytes and one WriteBufferManager (wbm_shim.cc) whose
 * memtable budget is half of that and is charged to the same cache, the
 * layout of Kafka Streams' BoundedMemoryRocksDBConfig: block cache plus
 * memtables stay within the one number however many stores are open.
 * Index and filter blocks live in the cache too (pinned for L0), so table
 * readers do not grow outside the budget as files accumulate.
 *
 * Table and compaction choices. Bloom filters (10 bits/key, full filters)
 * make point lookups of absent keys — the common case for aggregation
 * state on first sight of a key — skip data blocks. Compaction is
 * level-style with dynamic level sizing: state stores are update-heavy
 * with point reads, where leveled compaction bounds space amplification
 * (~1.1x) and read amplification; universal compaction would trade that
 * for write amplification that a store bounded by a compacted changelog
 * does not need. Window segments are dropped with DeleteRange, whose
 * tombstone lets compaction drop whole files. LZ4 compression keeps the
 * CPU cost of compaction low. RocksDB's own info log is kept small (WARN,
 * two 1 MiB files) since there is one per store.
 *
 * Task directories are `<state.dir>/<application.id>/<task id>/`, locked
 * with flock() on a `.lock` file: a second process (or a second open in
 * this process, since each open has its own open file description) gets
 * WEIR_ERR_STORE_LOCKED, and the kernel releases the lock when a process
 * dies, so there is never a stale lock to clean up. The environment and a
 * task dir are reference-counted by the stores opened through them, so
 * the owner may release its reference in any order.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc_int.h"
#include "rocks_int.h"

#define MIN_MEMORY (8u << 20)

weir_error_t *weir__rocks_error(const char *store, const char *what,
                                char *rerr)
{
    const char *msg = rerr ? rerr : "unknown RocksDB error";
    weir_err_t code = WEIR_ERR_STORE;
    if (!strncmp(msg, "Corruption", 10))
        code = WEIR_ERR_STORE_CORRUPT;
    else if (strstr(msg, "No space left"))
        code = WEIR_ERR_NO_SPACE;
    else if (strstr(msg, "lock") &&
             (strstr(msg, "Resource temporarily unavailable") ||
              strstr(msg, "by current process")))
        code = WEIR_ERR_STORE_LOCKED;
    else if (!strncmp(msg, "IO error", 8))
        code = WEIR_ERR_IO;
    weir_error_t *err = weir_error_new(code, "store %s: %s: %s", store, what,
                                       msg);
    if (rerr)
        rocksdb_free(rerr);
    return err;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int rc = flag == FTW_DP ? rmdir(path) : unlink(path);
    return rc && errno != ENOENT ? -1 : 0;
}

weir_error_t *weir__rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) && errno == ENOENT)
        return NULL;
    if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS))
        return weir_error_new(WEIR_ERR_IO, "cannot remove %s: %s", path,
                              strerror(errno));
    return NULL;
}

/* Environment -------------------------------------------------------- */

weir_store_env_t *weir_store_env_new(uint64_t memory_bytes,
                                     weir_error_t **errp)
{
    *errp = NULL;
    if (memory_bytes < MIN_MEMORY) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "statestore.memory.bytes: %" PRIu64
                               " is below the minimum of %u",
                               memory_bytes, MIN_MEMORY);
        return NULL;
    }
    weir_store_env_t *env = weir__calloc(1, sizeof(*env));
    if (!env) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "store env: out of memory");
        return NULL;
    }
    atomic_init(&env->refs, 1);
    atomic_init(&env->rocks_open, 0);
    env->memory_bytes = memory_bytes;
    env->restore_buffer = memory_bytes / 4 < (64u << 20)
                              ? (size_t)(memory_bytes / 4)
                              : (64u << 20);
    env->row_cache_bytes = WEIR_STORE_ROW_CACHE_DEFAULT;
    env->log = weir__logger_default();
    env->cache = rocksdb_cache_create_lru((size_t)memory_bytes);
    env->wbm = weir__wbm_new((size_t)(memory_bytes / 2), env->cache);
    if (!env->wbm) {
        rocksdb_cache_destroy(env->cache);
        weir__free(env);
        *errp = weir_error_new(WEIR_ERR_NOMEM, "store env: out of memory");
        return NULL;
    }

    env->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(env->bbto, env->cache);
    rocksdb_block_based_options_set_filter_policy(
        env->bbto, rocksdb_filterpolicy_create_bloom_full(10));
    rocksdb_block_based_options_set_cache_index_and_filter_blocks(env->bbto,
                                                                  1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(
        env->bbto, 1);
    rocksdb_block_based_options_set_block_size(env->bbto, 16 * 1024);

    rocksdb_options_t *o = rocksdb_options_create();
    env->opts = o;
    rocksdb_options_set_create_if_missing(o, 1);
    rocksdb_options_set_block_based_table_factory(o, env->bbto);
    weir__wbm_apply(env->wbm, o);
    /*
     * One memtable may take an eighth of the write budget (at least 4 MiB,
     * at most 64 MiB); the shared manager flushes the largest memtables
     * when all of them together reach the budget.
     */
    uint64_t wb = memory_bytes / 16;
    if (wb < (4u << 20))
        wb = 4u << 20;
    if (wb > (64u << 20))
        wb = 64u << 20;
    rocksdb_options_set_write_buffer_size(o, (size_t)wb);
    rocksdb_options_set_max_write_buffer_number(o, 3);
    rocksdb_options_set_compaction_style(o, rocksdb_level_compaction);
    rocksdb_options_set_level_compaction_dynamic_level_bytes(o, 1);
    rocksdb_options_set_compression(o, rocksdb_lz4_compression);
    rocksdb_options_set_max_background_jobs(o, 2);
    rocksdb_options_set_info_log_level(o, 2 /* WARN */);
    rocksdb_options_set_keep_log_file_num(o, 2);
    rocksdb_options_set_max_log_file_size(o, 1u << 20);
    rocksdb_options_set_paranoid_checks(o, 1);
    /*
     * Restored table files are written uncompressed: compressing in the
     * restoring thread halves the restore rate, and compaction recompresses
     * them in the background anyway.
     */
    env->ingest_opts = rocksdb_options_create_copy(o);
    rocksdb_options_set_compression(env->ingest_opts, rocksdb_no_compression);
    return env;
}

void weir_store_env_set_log_cb(weir_store_env_t *env, weir_log_cb_t *cb,
                               void *opaque, bool debug)
{
    env->log.cb = cb;
    env->log.opaque = opaque;
    env->log.debug = debug ? (WEIR__DBG_STORE | WEIR__DBG_RESTORE) : 0;
}

void weir_store_env_set_restore_buffer(weir_store_env_t *env, size_t bytes)
{
    env->restore_buffer = bytes < 4096 ? 4096 : bytes;
}

void weir_store_env_set_row_cache(weir_store_env_t *env, size_t bytes)
{
    env->row_cache_bytes = bytes;
}

void weir_store_env_memory(weir_store_env_t *env, weir_store_memory_t *mem)
{
    *mem = (weir_store_memory_t){
        .budget = env->memory_bytes,
        .cache_usage = rocksdb_cache_get_usage(env->cache),
        .cache_pinned = rocksdb_cache_get_pinned_usage(env->cache),
        .memtable_usage = weir__wbm_usage(env->wbm),
    };
}

void weir__store_env_unref(weir_store_env_t *env)
{
    if (atomic_fetch_sub(&env->refs, 1) != 1)
        return;
    rocksdb_options_destroy(env->opts);
    rocksdb_options_destroy(env->ingest_opts);
    rocksdb_block_based_options_destroy(env->bbto);
    weir__wbm_destroy(env->wbm);
    rocksdb_cache_destroy(env->cache);
    weir__free(env);
}

void weir_store_env_destroy(weir_store_env_t *env)
{
    if (env)
        weir__store_env_unref(env);
}

/* Task directories ------------------------------------------------------- */

static bool valid_component(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static weir_error_t *mkdir_one(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST)
        return weir_error_new(
            errno == ENOSPC ? WEIR_ERR_NO_SPACE : WEIR_ERR_IO,
            "cannot create directory %s: %s", path, strerror(errno));
    return NULL;
}

/* mkdir -p */
static weir_error_t *mkdirs(const char *path)
{
    char *p = weir__strdup(path);
    if (!p)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    weir_error_t *err = NULL;
    for (char *s = p + 1; *s && !err; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        err = mkdir_one(p);
        *s = '/';
    }
    if (!err)
        err = mkdir_one(p);
    weir__free(p);
    return err;
}

static char *path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *p = weir__malloc(la + lb + 2);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

weir_task_dir_t *weir_task_dir_open(weir_store_env_t *env,
                                    const char *state_dir,
                                    const char *application_id,
                                    const char *task_id, weir_error_t **errp)
{
    *errp = NULL;
    if (!state_dir || !*state_dir || !valid_component(application_id) ||
        !valid_component(task_id)) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "task dir: bad state.dir \"%s\", "
                               "application.id \"%s\" or task id \"%s\"",
                               state_dir ? state_dir : "",
                               application_id ? application_id : "",
                               task_id ? task_id : "");
        return NULL;
    }
    weir_task_dir_t *td = weir__calloc(1, sizeof(*td));
    char *app_dir = path_join(state_dir, application_id);
    if (td)
        td->task_id = weir__strdup(task_id);
    if (!td || !app_dir || !td->task_id ||
        !(td->path = path_join(app_dir, task_id))) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "task %s: out of memory",
                               task_id);
        goto fail;
    }
    td->lock_fd = -1;
    *errp = mkdirs(td->path);
    if (*errp) {
        *errp = weir_error_prefix(*errp, "task %s: ", task_id);
        goto fail;
    }
    char *lock_path = path_join(td->path, ".lock");
    if (!lock_path) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "task %s: out of memory",
                               task_id);
        goto fail;
    }
    td->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    weir__free(lock_path);
    if (td->lock_fd < 0) {
        *errp = weir_error_new(WEIR_ERR_IO,
                               "task %s: cannot open %s/.lock: %s", task_id,
                               td->path, strerror(errno));
        goto fail;
    }
    if (flock(td->lock_fd, LOCK_EX | LOCK_NB)) {
        if (errno == EWOULDBLOCK)
            *errp = weir_error_new(WEIR_ERR_STORE_LOCKED,
                                   "task %s: state directory %s is locked "
                                   "by another process or instance",
                                   task_id, td->path);
        else
            *errp = weir_error_new(WEIR_ERR_IO, "task %s: cannot lock %s: %s",
                                   task_id, td->path, strerror(errno));
        goto fail;
    }
    weir__free(app_dir);
    atomic_init(&td->refs, 1);
    atomic_fetch_add(&env->refs, 1);
    td->env = env;
    weir__dbg(&env->log, STORE, "STORE", "task %s: locked %s", task_id,
              td->path);
    return td;

fail:
    weir__free(app_dir);
    if (td) {
        if (td->lock_fd >= 0)
            close(td->lock_fd);
        weir__free(td->path);
        weir__free(td->task_id);
        weir__free(td);
    }
    return NULL;
}

const char *weir_task_dir_path(const weir_task_dir_t *td)
{
    return td->path;
}

weir_error_t *weir_task_dir_delete_store(weir_task_dir_t *td, const char *name)
{
    if (!valid_component(name) || name[0] == '.')
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "task %s: bad store name \"%s\"", td->task_id,
                              name ? name : "");
    char *dir = path_join(td->path, name);
    if (!dir)
        return weir_error_new(WEIR_ERR_NOMEM, "task %s: out of memory",
                              td->task_id);
    weir_error_t *err = weir__rmtree(dir);
    weir__free(dir);
    return err ? weir_error_prefix(err, "store %s: ", name) : NULL;
}

void weir__task_dir_unref(weir_task_dir_t *td)
{
    if (atomic_fetch_sub(&td->refs, 1) != 1)
        return;
    /* Closing the descriptor releases the flock. */
    close(td->lock_fd);
    weir__store_env_unref(td->env);
    weir__free(td->path);
    weir__free(td->task_id);
    weir__free(td);
}

void weir_task_dir_destroy(weir_task_dir_t *td)
{
    if (td)
        weir__task_dir_unref(td);
}
