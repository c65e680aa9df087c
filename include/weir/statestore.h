/**
 * @file statestore.h
 * @brief For whoever owns stores (the framework, a test driver, a
 *        benchmark): creating and opening them, and their lifecycle:
 *        transactions, changelogs, restore, checkpoints.
 *
 * Processors read and write stores through weir/store.h and
 * weir/window_store.h, which do not include this header: a topology's
 * code gets data access and nothing that could commit, abort or restore
 * a store the framework owns.
 *
 * **One lifecycle for every kind.** A key-value store and a window store
 * are both a weir_store_t, reached with weir_kv_store_as_store() and
 * weir_window_store_as_store(), and one set of weir_store_* calls drives
 * either: weir_store_begin(), weir_store_commit(), weir_store_restore_*(),
 * weir_store_destroy(), ... The weir_kv_store_* and weir_window_store_*
 * calls are for data only (and the few things only one kind has, such as
 * a window store's observed time).
 *
 * **Transactions.** Between weir_store_begin() and weir_store_commit() a
 * store's writes are pending: reads and iterators of the store see them,
 * nothing else does, and weir_store_abort() discards them.
 * weir_store_commit() makes them durable together with the changelog
 * offset they reach, in one atomic write (RocksDB), so after a crash at
 * any point a store is a committed prefix of its changelog and
 * weir_store_position() says where restore resumes. Outside a transaction
 * writes apply at once, and weir_store_commit() just records the position
 * (a checkpoint, for at-least-once).
 *
 * **Changelog.** Each accepted put or delete is handed to the store's
 * changelog sink (weir_changelog_sink_t), which the framework implements
 * (it produces the record to `<application.id>-<store>-changelog`). A
 * key-value store's changelog record is its key and value, a NULL value
 * being a tombstone. A window store's changelog key is the user key
 * followed by the window start as 8 bytes big-endian
 * (weir_window_changelog_key_encode()).
 *
 * **Restore.** weir_store_restore_begin(), then weir_store_restore_apply()
 * with batches of changelog records as read from the changelog topic,
 * then weir_store_restore_end(). Restore writes skip the transaction; on
 * RocksDB they skip the memtable and the write-ahead log too: records are
 * buffered, sorted and ingested as table files that carry the position,
 * whenever the buffer is full and at the end (so restored data is
 * readable after restore_end). A crash during restore leaves the last
 * ingested prefix and its position. A progress callback reports records
 * done, the expected total and the rate.
 *
 * **Threads.** A store is used by one thread at a time (its task's
 * thread). Distinct stores may be used from distinct threads. The query
 * functions (weir_kv_store_query_get() and friends) are the exception:
 * they read committed data from any thread, for interactive queries.
 */
#ifndef WEIR_STATESTORE_H
#define WEIR_STATESTORE_H

#include <weir/error.h>
#include <weir/log.h>
#include <weir/store.h>
#include <weir/window_store.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Changelog sink and records                                         */
/* ------------------------------------------------------------------ */

/**
 * @brief Where a store's changelog records go; implemented by the
 *        framework.
 *
 * @remark send() is called on the store's thread, inside the store call
 *         (put/delete) that made the change, after the store accepted it.
 *         Key and value are borrowed for the call. A NULL @p val is a
 *         tombstone. An error returned by send() is returned by the put or
 *         delete (the write itself stays in the store's transaction, which
 *         the caller is then expected to abort).
 */
typedef struct weir_changelog_sink_s {
    weir_error_t *(*send)(void *opaque, const char *store_name,
                          const void *key, size_t key_len, const void *val,
                          size_t val_len);
} weir_changelog_sink_t;

/**
 * @brief One changelog record, as handed to restore. NULL val: tombstone.
 *
 * **Growing: reserved space.** Restore takes arrays of these, so their
 * size is the array's stride and cannot change. Fill each element with a
 * designated initializer or a compound literal
 * (`recs[i] = (weir_changelog_record_t){.key = k, .key_len = n, ...}`), or
 * zero the array first, so that @c reserved is zero. A field added later
 * (the record's timestamp, its headers) takes its room from @c reserved
 * and means "unknown" when zero.
 */
typedef struct weir_changelog_record_s {
    const void *key;
    size_t key_len;
    const void *val;
    size_t val_len;
    int64_t reserved[2]; /**< zero; room for fields to come */
} weir_changelog_record_t;

/**
 * @brief Restore progress.
 * @param done     records applied so far.
 * @param total    the expected total given to restore_begin (0: unknown).
 * @param rate     records per second since restore began.
 * @remark Called on the restoring thread, after an apply batch, at most
 *         about once per second, and once at the end.
 */
typedef void(weir_restore_progress_cb_t)(void *opaque, const char *store_name,
                                         uint64_t done, uint64_t total,
                                         double rate);

/**
 * @brief Encodes a window store changelog key: @p key then @p window_start
 *        as 8 bytes big-endian (two's complement).
 * @returns a new buffer of key_len + 8 bytes (free with weir_free()), or
 *          NULL when out of memory.
 */
WEIR_EXPORT void *weir_window_changelog_key_encode(const void *key,
                                                   size_t key_len,
                                                   int64_t window_start,
                                                   size_t *lenp);

/**
 * @brief Splits a window store changelog key.
 * @returns false when @p clen < 8 (not a window changelog key).
 * @remark *keyp points into @p ckey (borrowed).
 */
WEIR_EXPORT bool weir_window_changelog_key_decode(const void *ckey,
                                                  size_t clen,
                                                  const void **keyp,
                                                  size_t *key_lenp,
                                                  int64_t *window_startp);

/* ------------------------------------------------------------------ */
/* Every store: weir_store_t and its lifecycle                         */
/* ------------------------------------------------------------------ */

/**
 * @brief A store of any kind, as its owner sees it: the handle for its
 *        lifecycle.
 *
 * Not a separate object: a key-value store or a window store seen
 * through its common part, so converting costs nothing and the pointers
 * stay valid as long as the store. Conversions are functions rather than
 * casts so the struct stays opaque and every conversion is type-checked:
 * the way down (weir_store_as_kv(), weir_store_as_window()) checks the
 * kind and gives NULL for the other one.
 */
typedef struct weir_store_s weir_store_t;

/** @brief @p kv as a weir_store_t; NULL gives NULL. */
WEIR_EXPORT weir_store_t *weir_kv_store_as_store(weir_kv_store_t *kv);

/** @brief @p ws as a weir_store_t; NULL gives NULL. */
WEIR_EXPORT weir_store_t *weir_window_store_as_store(weir_window_store_t *ws);

/** @brief The key-value store @p store is, or NULL (another kind, NULL). */
WEIR_EXPORT weir_kv_store_t *weir_store_as_kv(weir_store_t *store);

/** @brief The window store @p store is, or NULL (another kind, NULL). */
WEIR_EXPORT weir_window_store_t *weir_store_as_window(weir_store_t *store);

/** @brief The store's name. Lives as long as the store. */
WEIR_EXPORT const char *weir_store_name(const weir_store_t *store);

/**
 * @brief Closes and frees a store of any kind. NULL is fine.
 * @remark An open transaction is aborted; open iterators must have been
 *         closed. A RocksDB store's files stay on disk.
 */
WEIR_EXPORT void weir_store_destroy(weir_store_t *store);

/**
 * @brief Sets (or with NULL removes) the changelog sink.
 * @remark @p sink must outlive the store (typically a static const table);
 *         @p opaque is passed to every call. A window store's records
 *         carry the key encoded by weir_window_changelog_key_encode(); a
 *         deleted window is a tombstone.
 */
WEIR_EXPORT void weir_store_set_changelog(weir_store_t *store,
                                          const weir_changelog_sink_t *sink,
                                          void *opaque);

/**
 * @brief Sets the log callback (default: stderr, INFO).
 * @param debug  enable the store/restore debug lines.
 * @remark A store has no conf, so the callback comes with its opaque here
 *         (as for weir_store_env_set_log_cb()).
 */
WEIR_EXPORT void weir_store_set_log_cb(weir_store_t *store, weir_log_cb_t *cb,
                                       void *opaque, bool debug);

/**
 * @brief Opens a transaction.
 * @returns WEIR_ERR_STATE when one is already open or during a restore.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_store_begin(weir_store_t *store);

/** @brief "No new changelog position" for weir_store_commit(). */
#define WEIR_STORE_NO_POSITION ((int64_t)-1)

/**
 * @brief Commits the open transaction, if any, together with the changelog
 *        position it reaches, in one atomic write.
 * @param changelog_offset  the next changelog offset to restore from
 *        (last offset written by this store's changelog + 1), >= 0; or
 *        WEIR_STORE_NO_POSITION to keep the store's current position (a
 *        store without changelog, or nothing produced yet): the data is
 *        committed all the same.
 * @returns WEIR_ERR_STATE when iterators are still open; a storage error
 *          (WEIR_ERR_STORE, WEIR_ERR_IO, WEIR_ERR_NO_SPACE) leaves the
 *          transaction open, so the caller can abort it.
 * @remark A window store commits its observed time with the position and
 *         then drops the segments that fell out of retention.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_store_commit(weir_store_t *store,
                                            int64_t changelog_offset);

/**
 * @brief Discards the open transaction's writes (a window store's observed
 *        time goes back to the committed one).
 * @returns WEIR_ERR_STATE when no transaction is open or iterators are
 *          still open.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_store_abort(weir_store_t *store);

/** @brief True while a transaction is open. */
WEIR_EXPORT bool weir_store_in_transaction(const weir_store_t *store);

/**
 * @brief The committed changelog position: where restore resumes.
 * @param foundp  false when the store has none (restore from the start).
 */
WEIR_EXPORT void weir_store_position(const weir_store_t *store,
                                     int64_t *offsetp, bool *foundp);

/**
 * @brief Starts a restore.
 * @param total  the number of records expected (for progress), 0 unknown.
 * @param cb     progress callback, or NULL.
 * @returns WEIR_ERR_STATE inside a transaction or another restore.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_store_restore_begin(weir_store_t *store, uint64_t total,
                         weir_restore_progress_cb_t *cb, void *opaque);

/**
 * @brief Applies a batch of changelog records, in changelog order.
 * @param next_offset  the changelog offset after the batch's last record;
 *                     it becomes the store's position.
 * @returns WEIR_ERR_STATE outside a restore. A window store's keys must
 *          be as encoded by weir_window_changelog_key_encode() (else
 *          WEIR_ERR_STORE_CORRUPT); records of expired windows are
 *          skipped.
 * @remark Batches of a few thousand records amortize best. Records do not
 *         go to the changelog sink.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_store_restore_apply(weir_store_t *store,
                         const weir_changelog_record_t *recs, size_t n,
                         int64_t next_offset);

/**
 * @brief Ends a restore: ingests what is still buffered (RocksDB) and
 *        reports final progress.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_store_restore_end(weir_store_t *store);

/**
 * @brief Writes a consistent copy of the store's committed state, position
 *        included, into @p dir (which must not exist), as a store
 *        directory: moved to `<task dir>/<name>/` it opens like the
 *        original. Table files are hard links, so it is cheap.
 * @returns WEIR_ERR_UNSUPPORTED for in-memory stores, WEIR_ERR_EXISTS,
 *          WEIR_ERR_IO, WEIR_ERR_NO_SPACE, WEIR_ERR_STATE during restore.
 * @remark An open transaction's writes are not included. Use it for
 *         backups or to hand a warm copy to a standby.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_store_checkpoint(weir_store_t *store,
                                                const char *dir);

/**
 * @brief True when the store was found corrupt at open and wiped (see
 *        weir_kv_store_rocksdb_open()).
 */
WEIR_EXPORT bool weir_store_was_reset(const weir_store_t *store);

/* ------------------------------------------------------------------ */
/* In-memory stores                                                   */
/* ------------------------------------------------------------------ */

/**
 * @brief Creates an in-memory key-value store.
 * @param name  the store's name (copied).
 * @returns the store (destroy with weir_store_destroy()), or NULL with
 *          *errp set (WEIR_ERR_INVALID_ARG, WEIR_ERR_NOMEM).
 * @remark Keys are kept in a skip list: get/put/delete are O(log n), a
 *         range scan costs O(log n) plus the entries it returns. Nothing is
 *         persisted: weir_store_position() is not found until a commit.
 */
WEIR_EXPORT weir_kv_store_t *weir_kv_store_memory_new(const char *name,
                                                      weir_error_t **errp);

/**
 * @brief Creates an in-memory window store.
 * @param retention_ms  how far back from the largest window start written
 *                      windows are kept (> 0).
 * @param segment_ms    width of a time segment (> 0, at most retention);
 *                      expiry drops whole segments.
 * @returns the store (destroy with weir_store_destroy()), or NULL
 *          with *errp set.
 */
WEIR_EXPORT weir_window_store_t *
weir_window_store_memory_new(const char *name, int64_t retention_ms,
                             int64_t segment_ms, weir_error_t **errp);

/* ------------------------------------------------------------------ */
/* RocksDB stores: environment, task directories, opening             */
/* ------------------------------------------------------------------ */

/**
 * @brief What all RocksDB stores of a process share: one LRU block cache
 *        and one write-buffer budget, bounded together by one number
 *        (statestore.memory.bytes), plus the RocksDB options every store is
 *        opened with (bloom filters, level compaction; see env.c).
 */
typedef struct weir_store_env_s weir_store_env_t;

/**
 * @brief A task's directory, `<state.dir>/<application.id>/<task id>/`,
 *        locked (flock) for as long as it is open, so two processes never
 *        open the same task's stores. Stores live in
 *        `<task dir>/<store name>/`.
 */
typedef struct weir_task_dir_s weir_task_dir_t;

/**
 * @brief Memory figures of an environment, in bytes.
 * @remark Filled by weir_store_env_memory() into the caller's struct;
 *         figures added later take their room from @c reserved (the
 *         library zeroes it), so the size does not change.
 */
typedef struct weir_store_memory_s {
    uint64_t budget;         /**< statestore.memory.bytes */
    uint64_t cache_usage;    /**< block cache, memtable charges included */
    uint64_t cache_pinned;   /**< pinned part of the cache */
    uint64_t memtable_usage; /**< memtables of every store (write buffers) */
    uint64_t reserved[4];    /**< zero; room for figures to come */
} weir_store_memory_t;

/**
 * @brief Creates the shared environment.
 * @param memory_bytes  statestore.memory.bytes: the block cache capacity;
 *        memtables are charged to the same cache and capped at half of
 *        it, so cache + memtables stay within this figure. At least 8 MiB.
 * @returns the environment (weir_store_env_destroy()), or NULL with *errp
 *          set (WEIR_ERR_INVALID_ARG, WEIR_ERR_NOMEM).
 * @remark Thread-safe: stores may be opened from any thread.
 */
WEIR_EXPORT weir_store_env_t *weir_store_env_new(uint64_t memory_bytes,
                                                 weir_error_t **errp);

/**
 * @brief Sets the log callback of stores opened from now on.
 * @remark Call before opening stores; not thread-safe against opens.
 */
WEIR_EXPORT void weir_store_env_set_log_cb(weir_store_env_t *env,
                                           weir_log_cb_t *cb, void *opaque,
                                           bool debug);

/**
 * @brief Sets how many bytes a restoring RocksDB store buffers before it
 *        sorts them into a table file (default: a quarter of the budget,
 *        at most 64 MiB). This memory is outside statestore.memory.bytes.
 * @remark Call before restores start; minimum 4 KiB.
 */
WEIR_EXPORT void weir_store_env_set_restore_buffer(weir_store_env_t *env,
                                                   size_t bytes);

/** @brief Default of weir_store_env_set_row_cache(): 16 MiB. */
#define WEIR_STORE_ROW_CACHE_DEFAULT ((size_t)16 << 20)

/**
 * @brief Sets the memory of the RocksDB stores' row caches: each open
 *        store keeps its most recently read and written rows (and keys
 *        known to be absent) in a hash table in front of RocksDB, so
 *        repeated gets of the same keys skip the memtable and table
 *        lookups. The open stores share @p bytes evenly (a store holds at
 *        most @p bytes / open stores; it shrinks to a new share the next
 *        time it is used). 0 turns row caches off. This memory is outside
 *        statestore.memory.bytes.
 * @remark Call before opening stores. Writes go through the cache, and an
 *         abort, a restore or a range delete clears it, so a read always
 *         sees what the store holds.
 */
WEIR_EXPORT void weir_store_env_set_row_cache(weir_store_env_t *env,
                                              size_t bytes);

/** @brief Current memory figures (for metrics). Thread-safe. */
WEIR_EXPORT void weir_store_env_memory(weir_store_env_t *env,
                                       weir_store_memory_t *mem);

/**
 * @brief Releases the caller's reference. NULL is fine.
 * @remark The environment lives on until its last task dir and store are
 *         closed.
 */
WEIR_EXPORT void weir_store_env_destroy(weir_store_env_t *env);

/**
 * @brief Creates (if needed) and locks a task directory.
 * @param state_dir       state.dir; created if missing.
 * @param application_id  application.id (no '/', not "." or "..").
 * @param task_id         e.g. "0_3" (same rules).
 * @returns the locked directory, or NULL with *errp set:
 *          WEIR_ERR_STORE_LOCKED when another process (or another open in
 *          this process) holds it, WEIR_ERR_IO, WEIR_ERR_INVALID_ARG.
 * @remark The lock is an flock() on `<task dir>/.lock`; the kernel drops it
 *         when the process dies, so a crash never leaves a stale lock.
 */
WEIR_EXPORT weir_task_dir_t *weir_task_dir_open(weir_store_env_t *env,
                                                const char *state_dir,
                                                const char *application_id,
                                                const char *task_id,
                                                weir_error_t **errp);

/** @brief The directory's path. Lives as long as @p td. */
WEIR_EXPORT const char *weir_task_dir_path(const weir_task_dir_t *td);

/**
 * @brief Removes a closed store's files, e.g. before a full restore.
 * @returns WEIR_ERR_INVALID_ARG for a bad name, WEIR_ERR_IO.
 * @remark The store must not be open.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *weir_task_dir_delete_store(weir_task_dir_t *td,
                                                     const char *name);

/**
 * @brief Releases the caller's reference; the lock is released once the
 *        task's stores are closed too. NULL is fine.
 */
WEIR_EXPORT void weir_task_dir_destroy(weir_task_dir_t *td);

/**
 * @brief Opens (creating if needed) a RocksDB key-value store in
 *        `<task dir>/<name>/`.
 * @returns the store (weir_store_destroy() closes it), or NULL with
 *          *errp set: WEIR_ERR_STORE_VERSION when the directory was written
 *          by a newer weir, WEIR_ERR_STORE when it holds another kind of
 *          store, WEIR_ERR_STORE_LOCKED when the store is already open,
 *          WEIR_ERR_IO / WEIR_ERR_NO_SPACE.
 * @remark A corrupt store is not an error: it is wiped with a warning, the
 *         store opens empty with no position (so the framework restores it
 *         in full) and weir_store_was_reset() returns true.
 *         Writes outside a transaction go through RocksDB's write-ahead log
 *         (not fsynced: safe against a process crash, and after a power
 *         loss still a committed prefix).
 */
WEIR_EXPORT weir_kv_store_t *weir_kv_store_rocksdb_open(weir_task_dir_t *td,
                                                        const char *name,
                                                        weir_error_t **errp);

/**
 * @brief Opens (creating if needed) a RocksDB window store in
 *        `<task dir>/<name>/`; see weir_kv_store_rocksdb_open() and
 *        weir_window_store_memory_new().
 * @remark Changing @p segment_ms of an existing store is refused
 *         (WEIR_ERR_STORE): its keys are laid out by segment.
 */
WEIR_EXPORT weir_window_store_t *
weir_window_store_rocksdb_open(weir_task_dir_t *td, const char *name,
                               int64_t retention_ms, int64_t segment_ms,
                               weir_error_t **errp);

/* ------------------------------------------------------------------ */
/* Window stores: what only they have                                  */
/* ------------------------------------------------------------------ */

/**
 * @brief The largest window start written (committed or pending), or
 *        INT64_MIN when none: retention is measured from it (or, with
 *        owner time, the time given to weir_window_store_advance_time(),
 *        declared in weir/window_store.h).
 */
WEIR_EXPORT int64_t
weir_window_store_observed_time(const weir_window_store_t *ws);

/** @brief Number of puts ignored because their window was expired. */
WEIR_EXPORT uint64_t
weir_window_store_expired_puts(const weir_window_store_t *ws);

/* ------------------------------------------------------------------ */
/* Interactive queries                                                */
/* ------------------------------------------------------------------ */

/**
 * @brief Reads a key's committed value, from any thread.
 * @remark Thread-safe against the store's own thread: it sees data as of
 *         the last commit (never the open transaction's writes; outside
 *         transactions, every write). For interactive queries. The store
 *         must stay open for the duration of the call. Free *valp with
 *         weir_free().
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_kv_store_query_get(weir_kv_store_t *kv, const void *key, size_t key_len,
                        void **valp, size_t *val_lenp, bool *foundp);

/**
 * @brief Iterates committed keys in a range (bounds as in
 *        weir_kv_store_range()), from any thread.
 * @remark The iterator belongs to the calling thread and does not hold up
 *         the store's commits; close it before the store is destroyed.
 *         In-memory stores copy the range at the call; RocksDB iterates a
 *         snapshot.
 */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_kv_store_query_range(weir_kv_store_t *kv, const void *from,
                          size_t from_len, bool from_inclusive, const void *to,
                          size_t to_len, bool to_inclusive,
                          weir_kv_iter_t **iterp);

/** @brief weir_window_store_fetch() on committed data, from any thread. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_query_fetch(weir_window_store_t *ws, const void *key,
                              size_t key_len, int64_t from, int64_t to,
                              weir_window_iter_t **iterp);

/** @brief weir_window_store_fetch_all() on committed data, any thread. */
WEIR_WARN_UNUSED
WEIR_EXPORT weir_error_t *
weir_window_store_query_fetch_all(weir_window_store_t *ws, int64_t from,
                                  int64_t to, weir_window_iter_t **iterp);

#ifdef __cplusplus
}
#endif
#endif /* WEIR_STATESTORE_H */
