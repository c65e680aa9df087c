/*
 * row_cache_int.h: a bounded LRU cache of one store's rows, in front of
 * its RocksDB engine.
 *
 * It maps a key to its current value, or to "absent", as the store's owner
 * sees it through its open transaction. The engine keeps it in step: every
 * write updates it (write-through), and anything that changes rows behind
 * its back (an abort, a restore, a range delete) clears it. So a hit is
 * always the answer the engine would give, and a lookup of a key that was
 * read or written recently costs a hash probe instead of a memtable and
 * SST search.
 *
 * Memory: entries are charged their key, value and bookkeeping; the least
 * recently used ones are dropped to stay within the budget. The cache is
 * best-effort: when an entry cannot be allocated the key is just not
 * cached. Single-threaded: only the store's owner uses it (interactive
 * queries read the DB, not the cache).
 */
#ifndef WEIR_ROW_CACHE_INT_H
#define WEIR_ROW_CACHE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct weir__row_cache_s weir__row_cache_t;

/* A cache of at most @p max_bytes; NULL when out of memory. */
weir__row_cache_t *weir__row_cache_new(size_t max_bytes);

void weir__row_cache_destroy(weir__row_cache_t *c); /* NULL is fine */

/* True on a hit: *foundp says whether the key has a value, and *valp and
 * *vlenp point at it (valid until the next call that changes the cache). */
bool weir__row_cache_get(weir__row_cache_t *c, const void *key, size_t klen,
                         const void **valp, size_t *vlenp, bool *foundp);

/* Remembers @p key's value (NULL: the key is absent). A row too large for
 * the cache, or one that cannot be allocated, is forgotten instead. */
void weir__row_cache_put(weir__row_cache_t *c, const void *key, size_t klen,
                         const void *val, size_t vlen);

/* Changes the budget; a smaller one takes effect at the next put. */
void weir__row_cache_set_max(weir__row_cache_t *c, size_t max_bytes);

/* Forgets everything (rows changed behind the cache). */
void weir__row_cache_clear(weir__row_cache_t *c);

/* Counters for tests and metrics. */
typedef struct weir__row_cache_stats_s {
    uint64_t hits, misses, evictions;
    size_t entries, bytes;
} weir__row_cache_stats_t;

void weir__row_cache_stats(const weir__row_cache_t *c,
                           weir__row_cache_stats_t *stats);

#endif /* WEIR_ROW_CACHE_INT_H */
