/*
 * row_cache.c: a bounded LRU cache of rows (see row_cache_int.h).
 *
 * One allocation per entry holds the hash handle, the LRU links, the key
 * and the value. uthash finds entries by key bytes; a doubly-linked list
 * keeps them in use order, most recent at the head, so eviction takes
 * from the tail in O(1).
 */
#include <string.h>

#include "alloc_int.h"
#include "row_cache_int.h"

#define HASH_NONFATAL_OOM 1
#define uthash_malloc(sz) weir__malloc(sz)
#define uthash_free(ptr, sz) weir__free(ptr)
/* A failed bucket expansion leaves the table working, only slower; a
 * failed first table leaves the entry out (checked after adding). */
#define uthash_nonfatal_oom(obj) ((void)0)
#include <uthash.h>

typedef struct entry_s {
    UT_hash_handle hh;
    struct entry_s *prev, *next; /* use order: head = most recent */
    size_t klen, vlen;
    bool absent;
    unsigned char data[]; /* key, then value */
} entry_t;

struct weir__row_cache_s {
    entry_t *table; /* uthash head */
    entry_t *head, *tail;
    size_t max_bytes, bytes;
    uint64_t hits, misses, evictions;
};

/* What an entry is charged: its allocation plus uthash's bucket share. */
static size_t charge(size_t klen, size_t vlen)
{
    return sizeof(entry_t) + klen + vlen + 16;
}

weir__row_cache_t *weir__row_cache_new(size_t max_bytes)
{
    weir__row_cache_t *c = weir__calloc(1, sizeof(*c));
    if (c)
        c->max_bytes = max_bytes;
    return c;
}

void weir__row_cache_set_max(weir__row_cache_t *c, size_t max_bytes)
{
    c->max_bytes = max_bytes;
}

static void unlink_entry(weir__row_cache_t *c, entry_t *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void push_front(weir__row_cache_t *c, entry_t *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
}

static void remove_entry(weir__row_cache_t *c, entry_t *e)
{
    HASH_DEL(c->table, e);
    unlink_entry(c, e);
    c->bytes -= charge(e->klen, e->vlen);
    weir__free(e);
}

void weir__row_cache_clear(weir__row_cache_t *c)
{
    if (!c)
        return;
    entry_t *e, *tmp;
    HASH_ITER(hh, c->table, e, tmp)
    {
        HASH_DEL(c->table, e);
        weir__free(e);
    }
    c->table = NULL;
    c->head = c->tail = NULL;
    c->bytes = 0;
}

void weir__row_cache_destroy(weir__row_cache_t *c)
{
    if (!c)
        return;
    weir__row_cache_clear(c);
    weir__free(c);
}

static entry_t *find(weir__row_cache_t *c, const void *key, size_t klen)
{
    entry_t *e = NULL;
    HASH_FIND(hh, c->table, key, (unsigned)klen, e);
    return e;
}

bool weir__row_cache_get(weir__row_cache_t *c, const void *key, size_t klen,
                         const void **valp, size_t *vlenp, bool *foundp)
{
    entry_t *e = find(c, key, klen);
    if (!e) {
        c->misses++;
        return false;
    }
    c->hits++;
    if (e != c->head) {
        unlink_entry(c, e);
        push_front(c, e);
    }
    *foundp = !e->absent;
    *valp = e->absent ? NULL : e->data + e->klen;
    *vlenp = e->absent ? 0 : e->vlen;
    return true;
}

void weir__row_cache_put(weir__row_cache_t *c, const void *key, size_t klen,
                         const void *val, size_t vlen)
{
    entry_t *old = find(c, key, klen);
    if (!val)
        vlen = 0;
    size_t need = charge(klen, vlen);
    if (old && old->vlen == vlen) {
        /* Same size: overwrite in place. */
        old->absent = !val;
        if (vlen)
            memcpy(old->data + klen, val, vlen);
        if (old != c->head) {
            unlink_entry(c, old);
            push_front(c, old);
        }
        return;
    }
    if (old)
        remove_entry(c, old);
    if (need > c->max_bytes)
        return;
    while (c->bytes + need > c->max_bytes && c->tail) {
        remove_entry(c, c->tail);
        c->evictions++;
    }
    entry_t *e = weir__malloc(sizeof(*e) + klen + vlen);
    if (!e)
        return;
    memset(e, 0, sizeof(*e));
    e->klen = klen;
    e->vlen = vlen;
    e->absent = !val;
    memcpy(e->data, key, klen);
    if (vlen)
        memcpy(e->data + klen, val, vlen);
    HASH_ADD_KEYPTR(hh, c->table, e->data, (unsigned)klen, e);
    if (!find(c, key, klen)) {
        /* uthash could not allocate its table: not cached. */
        weir__free(e);
        return;
    }
    push_front(c, e);
    c->bytes += need;
}

void weir__row_cache_stats(const weir__row_cache_t *c,
                           weir__row_cache_stats_t *stats)
{
    *stats = (weir__row_cache_stats_t){c->hits, c->misses, c->evictions,
                                       HASH_COUNT(c->table), c->bytes};
}
