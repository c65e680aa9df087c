/*
 * kv_memory.c: the in-memory key-value engine, a skip list.
 *
 * Keys are ordered bytewise (weir__key_cmp), so scans return the same
 * sequence as RocksDB's default comparator. A skip list rather than a
 * balanced tree: O(log n) expected for get/put/delete/seek, ordered
 * successors for free through next[0], and a fraction of the code of a
 * red-black tree. Each node is one allocation (links and key together);
 * the value is a second allocation so that it can be replaced, or handed
 * to the undo log, without touching the node.
 *
 * Transactions use an undo log rather than a side batch: writes apply to
 * the list at once, so reads and iterators see them with no merging, and
 * each write first records the key's previous value (ownership of the old
 * value buffer moves to the log, so an overwrite costs no copy). Commit
 * drops the log; abort replays it backwards. Nothing is persisted: the
 * committed position only lives as long as the store.
 *
 * Iterators copy the current key and value into buffers of their own, so
 * a processor may put or delete while it iterates. A modification counter
 * tells an iterator whether its node pointer is still safe to follow; if
 * not, next() re-seeks past the copied key (O(log n)).
 *
 * A hash index (open addressing, linear probing, the key's 64-bit hash
 * kept beside each node pointer) finds a key's node without walking the
 * list: a get, an overwrite and the undo of an overwrite are one probe
 * instead of ~log2(n) pointer chases that miss the cache (the skip list
 * alone ran 1 M-key gets at the speed of RocksDB's memtable). The list
 * stays for order, and is kept lazily: a new key goes into the index
 * only, as a pending node; the first operation that needs order (a scan,
 * an iterator step after writes, a range delete, the end of a restore)
 * sorts the pending nodes and links them in one pass: into an empty list
 * by appending, else in key order with each search starting from the
 * previous one's path (a finger). A put of a new key or a restore record
 * then costs a hash insert, and the list is searched once per sorted
 * run, not once per key.
 *
 * Interactive queries read from other threads, so every engine operation
 * holds the store's mutex (uncontended: a few tens of nanoseconds against
 * microseconds of skip-list work). Queries see committed data only: a key
 * written by the open transaction reads as its first undo entry (the value
 * it had at begin). Query ranges are materialized under the lock, O(range
 * + undo log), so no lock is held between calls.
 */
#include <pthread.h>
#include <stdlib.h>

#include "alloc_int.h"
#include "store_int.h"

#define MAX_HEIGHT 24

typedef struct mnode_s {
    unsigned char *val; /* never NULL for a live node (empty values too) */
    size_t vlen;
    size_t klen;
    int height;
    bool pending;           /* in the index, not linked into the list yet */
    struct mnode_s *next[]; /* height links, then the key bytes */
} mnode_t;

#define NODE_KEY(n) ((unsigned char *)&(n)->next[(n)->height])

/* One slot of the hash index: the node and its key's hash; n NULL: free. */
typedef struct hslot_s {
    uint64_t hash;
    mnode_t *n;
} hslot_t;

typedef struct undo_s {
    unsigned char *key;
    size_t klen;
    unsigned char *val; /* NULL: the key did not exist */
    size_t vlen;
} undo_t;

typedef struct kv_memory_s {
    weir_kv_store_t base;
    pthread_mutex_t
        lock; /* every engine op: queries come from other threads */
    mnode_t *head;
    int height;
    uint64_t count;
    uint64_t gen; /* bumped by every modification */
    uint32_t rng;
    undo_t *undo;
    size_t nundo;
    size_t capundo;
    hslot_t *slots; /* hash index: a power of two, at most half full */
    size_t nslots;
    mnode_t **pend; /* pending nodes (see settle()); val NULL: deleted */
    size_t npend, cappend;
} kv_memory_t;

static weir_error_t *nomem(const kv_memory_t *mem)
{
    return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                          mem->base.name);
}

static int random_height(kv_memory_t *mem)
{
    int h = 1;
    for (;;) {
        /* xorshift32: quality is irrelevant, speed and no libc state. */
        uint32_t x = mem->rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        mem->rng = x;
        if (h >= MAX_HEIGHT || (x & 3))
            return h;
        h++;
    }
}

/* Hash index ---------------------------------------------------------- */

static uint64_t key_hash(const void *key, size_t klen)
{
    /* 8 bytes at a time, multiply-xorshift mixing (as in splitmix64). */
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ull ^ klen;
    while (klen >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        klen -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, klen);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 32);
}

/* The slot of @p key: its node's, or the free one where it would go. */
static hslot_t *hash_slot(const kv_memory_t *mem, const void *key, size_t klen,
                          uint64_t h)
{
    size_t mask = mem->nslots - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        hslot_t *sl = &mem->slots[i];
        if (!sl->n ||
            (sl->hash == h &&
             !weir__key_cmp(NODE_KEY(sl->n), sl->n->klen, key, klen)))
            return sl;
    }
}

static mnode_t *hash_find(const kv_memory_t *mem, const void *key, size_t klen)
{
    if (!mem->nslots)
        return NULL;
    return hash_slot(mem, key, klen, key_hash(key, klen))->n;
}

/* Room for one more node: doubles the table beyond half full. */
static bool hash_reserve(kv_memory_t *mem)
{
    if (mem->nslots && (mem->count + 1) * 2 <= mem->nslots)
        return true;
    size_t cap = mem->nslots ? mem->nslots * 2 : 64;
    hslot_t *old = mem->slots;
    size_t oldn = mem->nslots;
    mem->slots = weir__calloc(cap, sizeof(*mem->slots));
    if (!mem->slots) {
        mem->slots = old;
        return false;
    }
    mem->nslots = cap;
    for (size_t i = 0; i < oldn; i++)
        if (old[i].n)
            *hash_slot(mem, NODE_KEY(old[i].n), old[i].n->klen,
                       old[i].hash) = old[i];
    weir__free(old);
    return true;
}

static void hash_add(kv_memory_t *mem, mnode_t *n)
{
    uint64_t h = key_hash(NODE_KEY(n), n->klen);
    *hash_slot(mem, NODE_KEY(n), n->klen, h) = (hslot_t){h, n};
}

/* Removes @p n, shifting later entries of its run back (no tombstones). */
static void hash_del(kv_memory_t *mem, const mnode_t *n)
{
    size_t mask = mem->nslots - 1;
    hslot_t *sl = hash_slot(mem, NODE_KEY(n), n->klen,
                            key_hash(NODE_KEY(n), n->klen));
    size_t i = (size_t)(sl - mem->slots);
    for (size_t j = (i + 1) & mask; mem->slots[j].n; j = (j + 1) & mask) {
        size_t home = (size_t)mem->slots[j].hash & mask;
        /* Move j into the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j)
                            : (home > i || home <= j);
        if (!stays) {
            mem->slots[i] = mem->slots[j];
            i = j;
        }
    }
    mem->slots[i] = (hslot_t){0, NULL};
}

/* Skip list ---------------------------------------------------------- */

static void settle(kv_memory_t *mem);

/* First node >= key (or > key when !incl); fills update[] when given. */
static mnode_t *seek(const kv_memory_t *mem, const void *key, size_t klen,
                     bool incl, mnode_t **update)
{
    mnode_t *x = mem->head;
    for (int lvl = mem->height - 1; lvl >= 0; lvl--) {
        for (;;) {
            mnode_t *nx = x->next[lvl];
            if (!nx)
                break;
            int c = weir__key_cmp(NODE_KEY(nx), nx->klen, key, klen);
            if (c < 0 || (!incl && c == 0))
                x = nx;
            else
                break;
        }
        if (update)
            update[lvl] = x;
    }
    return x->next[0];
}

/* Takes @p n (found with update[]) out of the list and the index. */
static void unlink_node(kv_memory_t *mem, mnode_t *n, mnode_t **update)
{
    for (int lvl = 0; lvl < n->height; lvl++)
        update[lvl]->next[lvl] = n->next[lvl];
    while (mem->height > 1 && !mem->head->next[mem->height - 1])
        mem->height--;
    hash_del(mem, n);
    mem->count--;
}

/* A new node for @p key, in the index and pending (not linked yet). */
static weir_error_t *add_pending(kv_memory_t *mem, const void *key,
                                 size_t klen, unsigned char *val, size_t vlen)
{
    if (mem->npend == mem->cappend) {
        size_t cap = mem->cappend ? mem->cappend * 2 : 1024;
        mnode_t **np = weir__realloc(mem->pend, cap * sizeof(*np));
        if (!np)
            return nomem(mem);
        mem->pend = np;
        mem->cappend = cap;
    }
    if (!hash_reserve(mem))
        return nomem(mem);
    int h = random_height(mem);
    mnode_t *node = weir__malloc(sizeof(*node) +
                                 (size_t)h * sizeof(node->next[0]) + klen);
    if (!node)
        return nomem(mem);
    *node = (mnode_t){val, vlen, klen, h, true};
    if (klen)
        memcpy(NODE_KEY(node), key, klen);
    hash_add(mem, node);
    mem->pend[mem->npend++] = node;
    mem->count++;
    mem->gen++; /* an open iterator re-seeks, and so sees it */
    return NULL;
}

/*
 * Sets key to val (taking ownership of val; NULL deletes). The previous
 * value buffer is returned through *oldp (NULL when the key was absent);
 * the caller frees it or keeps it for undo. A new key becomes a pending
 * node (linked by settle()); a deleted pending node is marked (val NULL)
 * and freed by settle().
 */
static weir_error_t *set_raw(kv_memory_t *mem, const void *key, size_t klen,
                             unsigned char *val, size_t vlen,
                             unsigned char **oldp, size_t *oldlenp)
{
    *oldp = NULL;
    *oldlenp = 0;
    mnode_t *n = hash_find(mem, key, klen);
    if (!n && !val)
        return NULL;
    if (!n)
        return add_pending(mem, key, klen, val, vlen);
    mem->gen++;
    *oldp = n->val;
    *oldlenp = n->vlen;
    if (val) {
        /* An overwrite: the list does not change. */
        n->val = val;
        n->vlen = vlen;
        return NULL;
    }
    if (n->pending) {
        hash_del(mem, n);
        n->val = NULL;
        mem->count--;
        return NULL;
    }
    mnode_t *update[MAX_HEIGHT];
    seek(mem, key, klen, true, update);
    unlink_node(mem, n, update);
    weir__free(n);
    return NULL;
}

static weir_error_t *raw_mem_get(weir_kv_store_t *kv, const void *key,
                                 size_t klen, void **valp, size_t *vlenp,
                                 bool *foundp)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    mnode_t *n = hash_find(mem, key, klen);
    if (!n)
        return NULL;
    /* +1 so that an empty value still gets a non-NULL buffer. */
    void *copy = weir__malloc(n->vlen + 1);
    if (!copy)
        return nomem(mem);
    memcpy(copy, n->val, n->vlen);
    *valp = copy;
    *vlenp = n->vlen;
    *foundp = true;
    return NULL;
}

static weir_error_t *raw_mem_write(weir_kv_store_t *kv, const void *key,
                                   size_t klen, const void *val, size_t vlen)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    unsigned char *copy = NULL;
    if (val) {
        copy = weir__malloc(vlen + 1);
        if (!copy)
            return nomem(mem);
        memcpy(copy, val, vlen);
    }
    undo_t *u = NULL;
    if (kv->in_txn) {
        if (mem->nundo == mem->capundo) {
            size_t cap = mem->capundo ? mem->capundo * 2 : 64;
            undo_t *nu = weir__realloc(mem->undo, cap * sizeof(*nu));
            if (!nu) {
                weir__free(copy);
                return nomem(mem);
            }
            mem->undo = nu;
            mem->capundo = cap;
        }
        u = &mem->undo[mem->nundo];
        u->key = weir__malloc(klen + 1);
        if (!u->key) {
            weir__free(copy);
            return nomem(mem);
        }
        if (klen)
            memcpy(u->key, key, klen);
        u->klen = klen;
    }
    unsigned char *old;
    size_t oldlen;
    weir_error_t *err = set_raw(mem, key, klen, copy, vlen, &old, &oldlen);
    if (err) {
        weir__free(copy);
        if (u)
            weir__free(u->key);
        return err;
    }
    if (u) {
        u->val = old;
        u->vlen = oldlen;
        mem->nundo++;
    } else {
        weir__free(old);
    }
    return NULL;
}

static void undo_clear(kv_memory_t *mem)
{
    for (size_t i = 0; i < mem->nundo; i++) {
        weir__free(mem->undo[i].key);
        weir__free(mem->undo[i].val);
    }
    mem->nundo = 0;
}

static weir_error_t *raw_mem_begin(weir_kv_store_t *kv)
{
    undo_clear((kv_memory_t *)kv);
    return NULL;
}

static weir_error_t *raw_mem_commit(weir_kv_store_t *kv, int64_t offset,
                                    int64_t extra)
{
    (void)offset;
    (void)extra;
    undo_clear((kv_memory_t *)kv);
    return NULL;
}

static weir_error_t *raw_mem_abort(weir_kv_store_t *kv)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    weir_error_t *first = NULL;
    while (mem->nundo) {
        undo_t *u = &mem->undo[--mem->nundo];
        unsigned char *cur;
        size_t curlen;
        /*
         * Restoring an old value that the key still has a node for never
         * allocates; re-inserting a deleted key may, and if that fails the
         * store keeps going with the other entries and reports it.
         */
        weir_error_t *err = set_raw(mem, u->key, u->klen, u->val, u->vlen,
                                    &cur, &curlen);
        if (err) {
            weir__free(u->val);
            if (!first)
                first = err;
            else
                weir_error_destroy(err);
        }
        weir__free(cur);
        weir__free(u->key);
    }
    return first;
}

static weir_error_t *raw_mem_count(weir_kv_store_t *kv, uint64_t *countp)
{
    *countp = ((kv_memory_t *)kv)->count;
    return NULL;
}

static weir_error_t *raw_mem_delete_range(weir_kv_store_t *kv,
                                          const void *from, size_t flen,
                                          const void *to, size_t tlen)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    settle(mem);
    mnode_t *update[MAX_HEIGHT];
    for (;;) {
        mnode_t *n = seek(mem, from, flen, true, update);
        if (!n || weir__key_past(NODE_KEY(n), n->klen, to, tlen, false))
            return NULL;
        mem->gen++;
        unlink_node(mem, n, update);
        weir__free(n->val);
        weir__free(n);
    }
}

/* Like seek() with update[], for keys in increasing order: each level's
 * search starts from the previous key's predecessor there when that is
 * further along, so a sorted run of keys walks the list once. */
static void finger_seek(const kv_memory_t *mem, const void *key, size_t klen,
                        mnode_t **update, bool have_finger)
{
    mnode_t *x = mem->head;
    for (int lvl = mem->height - 1; lvl >= 0; lvl--) {
        mnode_t *f = have_finger ? update[lvl] : NULL;
        if (f && f != mem->head &&
            (x == mem->head ||
             weir__key_cmp(NODE_KEY(f), f->klen, NODE_KEY(x), x->klen) > 0))
            x = f;
        for (;;) {
            mnode_t *nx = x->next[lvl];
            if (!nx || weir__key_cmp(NODE_KEY(nx), nx->klen, key, klen) >= 0)
                break;
            x = nx;
        }
        update[lvl] = x;
    }
}

static int node_ptr_cmp(const void *a, const void *b)
{
    const mnode_t *x = *(mnode_t *const *)a, *y = *(mnode_t *const *)b;
    return weir__key_cmp(NODE_KEY(x), x->klen, NODE_KEY(y), y->klen);
}

/* Links the pending nodes into the list (see the top of the file). */
static void settle(kv_memory_t *mem)
{
    if (!mem->npend)
        return;
    size_t n = 0;
    for (size_t i = 0; i < mem->npend; i++) {
        if (mem->pend[i]->val)
            mem->pend[n++] = mem->pend[i];
        else
            weir__free(mem->pend[i]); /* deleted while pending */
    }
    qsort(mem->pend, n, sizeof(*mem->pend), node_ptr_cmp);
    mnode_t *update[MAX_HEIGHT];
    bool empty = !mem->head->next[0];
    for (int lvl = 0; lvl < MAX_HEIGHT; lvl++)
        update[lvl] = mem->head;
    for (size_t i = 0; i < n; i++) {
        mnode_t *node = mem->pend[i];
        /* Appending to an empty list needs no search: update[] holds the
         * last node of each level. */
        if (!empty)
            finger_seek(mem, NODE_KEY(node), node->klen, update, i > 0);
        if (node->height > mem->height) {
            for (int lvl = mem->height; lvl < node->height; lvl++)
                update[lvl] = mem->head;
            mem->height = node->height;
        }
        for (int lvl = 0; lvl < node->height; lvl++) {
            node->next[lvl] = update[lvl]->next[lvl];
            update[lvl]->next[lvl] = node;
            if (empty)
                update[lvl] = node;
        }
        node->pending = false;
    }
    mem->npend = 0;
    mem->gen++;
}

/* New keys stay pending until settle(). */
static weir_error_t *raw_mem_restore_write(weir_kv_store_t *kv,
                                           const weir_changelog_record_t *recs,
                                           size_t n, int64_t next_offset,
                                           int64_t extra)
{
    (void)next_offset;
    (void)extra;
    for (size_t i = 0; i < n; i++) {
        weir_error_t *err = raw_mem_write(kv, recs[i].key, recs[i].key_len,
                                          recs[i].val, recs[i].val_len);
        if (err)
            return err;
    }
    return NULL;
}

static weir_error_t *raw_mem_restore_finish(weir_kv_store_t *kv)
{
    settle((kv_memory_t *)kv);
    return NULL;
}

static void mem_destroy(weir_kv_store_t *kv)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    undo_clear(mem);
    weir__free(mem->undo);
    mnode_t *n = mem->head ? mem->head->next[0] : NULL;
    while (n) {
        mnode_t *nx = n->next[0];
        weir__free(n->val);
        weir__free(n);
        n = nx;
    }
    weir__free(mem->head);
    weir__free(mem->slots);
    for (size_t i = 0; i < mem->npend; i++) {
        weir__free(mem->pend[i]->val);
        weir__free(mem->pend[i]);
    }
    weir__free(mem->pend);
    pthread_mutex_destroy(&mem->lock);
    weir__kv_store_fini(kv);
    weir__free(mem);
}

/* Iterators ---------------------------------------------------------- */

typedef struct mem_iter_s {
    weir_kv_iter_t base;
    kv_memory_t *mem;
    mnode_t *node; /* follow only while gen matches */
    uint64_t gen;
    bool valid;
    unsigned char *key;
    size_t klen, kcap;
    unsigned char *val;
    size_t vlen, vcap;
    unsigned char *to; /* NULL: unbounded */
    size_t tlen;
    bool to_incl;
} mem_iter_t;

static void iter_land(mem_iter_t *it, mnode_t *n)
{
    it->node = n;
    it->gen = it->mem->gen;
    it->valid = false;
    if (!n ||
        weir__key_past(NODE_KEY(n), n->klen, it->to, it->tlen, it->to_incl))
        return;
    if (!weir__store_copy_into(&it->key, &it->kcap, NODE_KEY(n), n->klen) ||
        !weir__store_copy_into(&it->val, &it->vcap, n->val, n->vlen)) {
        it->base.err = nomem(it->mem);
        return;
    }
    it->klen = n->klen;
    it->vlen = n->vlen;
    it->valid = true;
}

static bool mit_valid(const weir_kv_iter_t *base)
{
    return ((const mem_iter_t *)base)->valid;
}

static void mit_next(weir_kv_iter_t *base)
{
    mem_iter_t *it = (mem_iter_t *)base;
    pthread_mutex_lock(&it->mem->lock);
    if (it->gen == it->mem->gen)
        iter_land(it, it->node->next[0]);
    else {
        settle(it->mem); /* writes since the last step may be pending */
        iter_land(it, seek(it->mem, it->key, it->klen, false, NULL));
    }
    pthread_mutex_unlock(&it->mem->lock);
}

static const void *mit_key(const weir_kv_iter_t *base, size_t *lenp)
{
    const mem_iter_t *it = (const mem_iter_t *)base;
    *lenp = it->valid ? it->klen : 0;
    return it->valid ? it->key : NULL;
}

static const void *mit_value(const weir_kv_iter_t *base, size_t *lenp)
{
    const mem_iter_t *it = (const mem_iter_t *)base;
    *lenp = it->valid ? it->vlen : 0;
    return it->valid ? it->val : NULL;
}

static void mit_close(weir_kv_iter_t *base)
{
    mem_iter_t *it = (mem_iter_t *)base;
    weir__free(it->key);
    weir__free(it->val);
    weir__free(it->to);
    weir__free(it);
}

static const weir__kv_iter_ops_t mem_iter_ops = {
    .valid = mit_valid,
    .next = mit_next,
    .key = mit_key,
    .value = mit_value,
    .close = mit_close,
};

static weir_error_t *raw_mem_range(weir_kv_store_t *kv, const void *from,
                                   size_t flen, bool from_incl, const void *to,
                                   size_t tlen, bool to_incl,
                                   weir_kv_iter_t **itp)
{
    kv_memory_t *mem = (kv_memory_t *)kv;
    settle(mem);
    mem_iter_t *it = weir__calloc(1, sizeof(*it));
    if (!it)
        return nomem(mem);
    it->base.ops = &mem_iter_ops;
    it->mem = mem;
    if (to) {
        it->to = weir__malloc(tlen + 1);
        if (!it->to) {
            weir__free(it);
            return nomem(mem);
        }
        if (tlen)
            memcpy(it->to, to, tlen);
        it->tlen = tlen;
        it->to_incl = to_incl;
    }
    mnode_t *n = from ? seek(mem, from, flen, from_incl, NULL)
                      : mem->head->next[0];
    iter_land(it, n);
    if (it->base.err) {
        weir_error_t *err = it->base.err;
        it->base.err = NULL;
        mit_close(&it->base);
        return err;
    }
    *itp = &it->base;
    return NULL;
}

/* Locked entry points ---------------------------------------------------- */

#define LOCKED(call)                          \
    do {                                      \
        kv_memory_t *lk_ = (kv_memory_t *)kv; \
        pthread_mutex_lock(&lk_->lock);       \
        weir_error_t *lk_err_ = (call);       \
        pthread_mutex_unlock(&lk_->lock);     \
        return lk_err_;                       \
    } while (0)

static weir_error_t *mem_get(weir_kv_store_t *kv, const void *key, size_t klen,
                             void **valp, size_t *vlenp, bool *foundp)
{
    LOCKED(raw_mem_get(kv, key, klen, valp, vlenp, foundp));
}

static weir_error_t *mem_write(weir_kv_store_t *kv, const void *key,
                               size_t klen, const void *val, size_t vlen)
{
    LOCKED(raw_mem_write(kv, key, klen, val, vlen));
}

static weir_error_t *mem_range(weir_kv_store_t *kv, const void *from,
                               size_t flen, bool from_incl, const void *to,
                               size_t tlen, bool to_incl, weir_kv_iter_t **itp)
{
    LOCKED(raw_mem_range(kv, from, flen, from_incl, to, tlen, to_incl, itp));
}

static weir_error_t *mem_count(weir_kv_store_t *kv, uint64_t *countp)
{
    LOCKED(raw_mem_count(kv, countp));
}

static weir_error_t *mem_begin(weir_kv_store_t *kv)
{
    LOCKED(raw_mem_begin(kv));
}

static weir_error_t *mem_commit(weir_kv_store_t *kv, int64_t offset,
                                int64_t extra)
{
    LOCKED(raw_mem_commit(kv, offset, extra));
}

static weir_error_t *mem_abort(weir_kv_store_t *kv)
{
    LOCKED(raw_mem_abort(kv));
}

static weir_error_t *mem_delete_range(weir_kv_store_t *kv, const void *from,
                                      size_t flen, const void *to, size_t tlen)
{
    LOCKED(raw_mem_delete_range(kv, from, flen, to, tlen));
}

static weir_error_t *mem_restore_write(weir_kv_store_t *kv,
                                       const weir_changelog_record_t *recs,
                                       size_t n, int64_t next_offset,
                                       int64_t extra)
{
    LOCKED(raw_mem_restore_write(kv, recs, n, next_offset, extra));
}

static weir_error_t *mem_restore_finish(weir_kv_store_t *kv)
{
    LOCKED(raw_mem_restore_finish(kv));
}

/* Queries: committed data, from any thread ---------------------------------
 */

/* The key's first undo entry in the open transaction, or NULL. */
static const undo_t *first_undo(const kv_memory_t *mem, const void *key,
                                size_t klen)
{
    for (size_t i = 0; i < mem->nundo; i++)
        if (!weir__key_cmp(mem->undo[i].key, mem->undo[i].klen, key, klen))
            return &mem->undo[i];
    return NULL;
}

static weir_error_t *raw_query_get(kv_memory_t *mem, const void *key,
                                   size_t klen, void **valp, size_t *vlenp,
                                   bool *foundp)
{
    const undo_t *u = first_undo(mem, key, klen);
    if (!u)
        return raw_mem_get(&mem->base, key, klen, valp, vlenp, foundp);
    if (!u->val)
        return NULL; /* created by the open transaction */
    void *copy = weir__malloc(u->vlen + 1);
    if (!copy)
        return nomem(mem);
    memcpy(copy, u->val, u->vlen);
    *valp = copy;
    *vlenp = u->vlen;
    *foundp = true;
    return NULL;
}

static weir_error_t *mem_query_get(weir_kv_store_t *kv, const void *key,
                                   size_t klen, void **valp, size_t *vlenp,
                                   bool *foundp)
{
    LOCKED(raw_query_get(lk_, key, klen, valp, vlenp, foundp));
}

typedef struct qent_s {
    const unsigned char *key;
    size_t klen;
    const unsigned char *val;
    size_t vlen;
    size_t idx; /* undo index, for "first entry wins" */
} qent_t;

static int qent_cmp(const void *a, const void *b)
{
    const qent_t *x = a, *y = b;
    int c = weir__key_cmp(x->key, x->klen, y->key, y->klen);
    if (c)
        return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool in_range(const void *k, size_t kl, const void *from, size_t flen,
                     bool from_incl, const void *to, size_t tlen, bool to_incl)
{
    if (from) {
        int c = weir__key_cmp(k, kl, from, flen);
        if (c < 0 || (c == 0 && !from_incl))
            return false;
    }
    return !weir__key_past(k, kl, to, tlen, to_incl);
}

static weir_error_t *raw_query_range(kv_memory_t *mem, const void *from,
                                     size_t flen, bool from_incl,
                                     const void *to, size_t tlen, bool to_incl,
                                     weir_kv_iter_t **itp)
{
    settle(mem);
    /* The open transaction's keys, sorted, first write per key. */
    qent_t *undo = weir__malloc((mem->nundo + 1) * sizeof(*undo));
    if (!undo)
        return nomem(mem);
    size_t nu = 0;
    for (size_t i = 0; i < mem->nundo; i++) {
        const undo_t *u = &mem->undo[i];
        undo[nu++] = (qent_t){u->key, u->klen, u->val, u->vlen, i};
    }
    qsort(undo, nu, sizeof(*undo), qent_cmp);
    size_t w = 0;
    for (size_t i = 0; i < nu; i++)
        if (!w || weir__key_cmp(undo[w - 1].key, undo[w - 1].klen, undo[i].key,
                                undo[i].klen))
            undo[w++] = undo[i];
    nu = w;

    weir__vec_iter_t *vi = weir__vec_iter_new(&mem->base);
    weir_error_t *err = vi ? NULL : nomem(mem);
    mnode_t *n = from ? seek(mem, from, flen, from_incl, NULL)
                      : mem->head->next[0];
    size_t ui = 0;
    /* Merge the list (minus transaction keys) with the committed values
     * of the transaction keys, both in key order. */
    for (;;) {
        /* Skip transaction keys out of range or created by it. */
        while (ui < nu && (!undo[ui].val ||
                           !in_range(undo[ui].key, undo[ui].klen, from, flen,
                                     from_incl, to, tlen, to_incl)))
            ui++;
        bool list_ok = n && !weir__key_past(NODE_KEY(n), n->klen, to, tlen,
                                            to_incl);
        if (err || (!list_ok && ui >= nu))
            break;
        int c = !list_ok   ? 1
                : ui >= nu ? -1
                           : weir__key_cmp(NODE_KEY(n), n->klen, undo[ui].key,
                                           undo[ui].klen);
        if (c < 0) {
            /* A list key untouched by the transaction? */
            bool touched = false;
            size_t lo = 0, hi = nu;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int d = weir__key_cmp(undo[mid].key, undo[mid].klen,
                                      NODE_KEY(n), n->klen);
                if (!d) {
                    touched = true;
                    break;
                }
                if (d < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (!touched)
                err = weir__vec_iter_add(vi, NODE_KEY(n), n->klen, n->val,
                                         n->vlen);
            n = n->next[0];
        } else {
            err = weir__vec_iter_add(vi, undo[ui].key, undo[ui].klen,
                                     undo[ui].val, undo[ui].vlen);
            if (c == 0)
                n = n->next[0];
            ui++;
        }
    }
    weir__free(undo);
    if (err) {
        weir__vec_iter_free(vi);
        return err;
    }
    *itp = weir__vec_iter_done(vi);
    return NULL;
}

static weir_error_t *mem_query_range(weir_kv_store_t *kv, const void *from,
                                     size_t flen, bool from_incl,
                                     const void *to, size_t tlen, bool to_incl,
                                     weir_kv_iter_t **itp)
{
    LOCKED(
        raw_query_range(lk_, from, flen, from_incl, to, tlen, to_incl, itp));
}

static const weir__kv_ops_t mem_ops = {
    .get = mem_get,
    .write = mem_write,
    .range = mem_range,
    .count = mem_count,
    .begin = mem_begin,
    .commit = mem_commit,
    .abort = mem_abort,
    .delete_range = mem_delete_range,
    .restore_write = mem_restore_write,
    .restore_finish = mem_restore_finish,
    .query_get = mem_query_get,
    .query_range = mem_query_range,
    .destroy = mem_destroy,
};

weir_kv_store_t *weir__kv_memory_new(const char *name,
                                     const weir__logger_t *log,
                                     weir_error_t **errp)
{
    *errp = NULL;
    if (!name || !*name) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "in-memory store: empty name");
        return NULL;
    }
    kv_memory_t *mem = weir__calloc(1, sizeof(*mem));
    if (!mem) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                               name);
        return NULL;
    }
    *errp = weir__kv_store_init(&mem->base, &mem_ops, name, log);
    if (!*errp) {
        mem->head = weir__calloc(1, sizeof(*mem->head) +
                                        MAX_HEIGHT * sizeof(mnode_t *));
        if (!mem->head)
            *errp = nomem(mem);
    }
    if (*errp) {
        weir__kv_store_fini(&mem->base);
        weir__free(mem);
        return NULL;
    }
    pthread_mutex_init(&mem->lock, NULL);
    mem->head->height = MAX_HEIGHT;
    mem->height = 1;
    mem->rng = 0x9e3779b9u;
    return &mem->base;
}

weir_kv_store_t *weir_kv_store_memory_new(const char *name,
                                          weir_error_t **errp)
{
    return weir__kv_memory_new(name, NULL, errp);
}
