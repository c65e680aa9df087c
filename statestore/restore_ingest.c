/*
 * restore_ingest.c: restore into RocksDB through sorted SST files.
 *
 * Writing restored records through the memtable costs a skip-list insert
 * per record (about 4 us with random keys on the benchmark machine,
 * mostly comparisons), far from the million records a second per core a
 * restore should reach. Instead, restore batches are copied into a buffer
 * (an arena plus a small index entry per record); when the buffer reaches
 * its limit, or at the end of the restore, it is sorted, each key's last
 * record is kept (changelog order: later wins; a tombstone is written as a
 * delete so it hides older data), and the result is written with an
 * SstFileWriter and ingested. Ingestion is atomic and the file carries the
 * store's position too, so after a crash the store is still a changelog
 * prefix with a matching position — the same guarantee as the memtable
 * path, without a write-ahead log.
 *
 * Sorting: an LSD radix sort on the first 8 key bytes (stable, 8 passes
 * of 8 bits over 16-byte entries), then the rare runs of equal 8-byte
 * prefixes are insertion-sorted by full key and arrival. Stability is what
 * makes "last record wins" a simple scan.
 *
 * Memory: the buffer lives outside statestore.memory.bytes, bounded by
 * its limit (weir_store_env_set_restore_buffer()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "alloc_int.h"
#include "ingest_int.h"
#include "rocks_int.h"

#define TOMBSTONE UINT32_MAX

typedef struct entry_s {
    size_t off; /* key bytes, then value bytes, in the arena */
    uint32_t klen;
    uint32_t vlen; /* TOMBSTONE: a delete */
} entry_t;

typedef struct sort_item_s {
    uint64_t prefix;
    uint64_t idx;
} sort_item_t;

struct weir__ingest_s {
    size_t limit;
    unsigned char *arena;
    size_t used, cap;
    entry_t *entries;
    size_t n, ecap;
    unsigned seq; /* file name counter */
};

weir__ingest_t *weir__ingest_new(size_t limit)
{
    weir__ingest_t *ing = weir__calloc(1, sizeof(*ing));
    if (ing)
        ing->limit = limit;
    return ing;
}

void weir__ingest_destroy(weir__ingest_t *ing)
{
    if (!ing)
        return;
    weir__free(ing->arena);
    weir__free(ing->entries);
    weir__free(ing);
}

bool weir__ingest_full(const weir__ingest_t *ing)
{
    return ing->used + ing->n * sizeof(entry_t) >= ing->limit;
}

size_t weir__ingest_count(const weir__ingest_t *ing)
{
    return ing->n;
}

weir_error_t *weir__ingest_add(weir__ingest_t *ing, const char *store,
                               const weir_changelog_record_t *recs, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        if (recs[i].key_len >= UINT32_MAX || recs[i].val_len >= UINT32_MAX)
            return weir_error_new(WEIR_ERR_TOO_LARGE,
                                  "store %s: restored record over 4 GiB",
                                  store);
        bytes += recs[i].key_len + (recs[i].val ? recs[i].val_len : 0);
    }
    if (ing->used + bytes > ing->cap) {
        /*
         * Start at the limit: untouched pages cost nothing, and growing by
         * doubling would copy the buffer several times per restore.
         */
        size_t cap = ing->cap ? ing->cap : ing->limit + (1u << 20);
        while (cap < ing->used + bytes)
            cap *= 2;
        unsigned char *na = weir__realloc(ing->arena, cap);
        if (!na)
            goto nomem;
        ing->arena = na;
        ing->cap = cap;
    }
    if (ing->n + n > ing->ecap) {
        size_t cap = ing->ecap ? ing->ecap : 4096;
        while (cap < ing->n + n)
            cap *= 2;
        entry_t *ne = weir__realloc(ing->entries, cap * sizeof(*ne));
        if (!ne)
            goto nomem;
        ing->entries = ne;
        ing->ecap = cap;
    }
    for (size_t i = 0; i < n; i++) {
        entry_t *e = &ing->entries[ing->n++];
        e->off = ing->used;
        e->klen = (uint32_t)recs[i].key_len;
        if (e->klen)
            memcpy(ing->arena + ing->used, recs[i].key, e->klen);
        ing->used += e->klen;
        if (recs[i].val) {
            e->vlen = (uint32_t)recs[i].val_len;
            if (e->vlen)
                memcpy(ing->arena + ing->used, recs[i].val, e->vlen);
            ing->used += e->vlen;
        } else {
            e->vlen = TOMBSTONE;
        }
    }
    return NULL;
nomem:
    return weir_error_new(WEIR_ERR_NOMEM,
                          "store %s: out of memory for the restore buffer",
                          store);
}

static uint64_t key_prefix(const unsigned char *k, uint32_t klen)
{
    unsigned char b[8] = {0};
    memcpy(b, k, klen < 8 ? klen : 8);
    return weir__be64_get(b);
}

static int cmp_full(const weir__ingest_t *ing, const sort_item_t *a,
                    const sort_item_t *b)
{
    const entry_t *ea = &ing->entries[a->idx], *eb = &ing->entries[b->idx];
    int c = weir__key_cmp(ing->arena + ea->off, ea->klen, ing->arena + eb->off,
                          eb->klen);
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Stable sort of items by (key, arrival). */
static sort_item_t *sort_entries(const weir__ingest_t *ing)
{
    size_t n = ing->n;
    sort_item_t *a = weir__malloc((n + 1) * sizeof(*a));
    sort_item_t *b = weir__malloc((n + 1) * sizeof(*b));
    if (!a || !b) {
        weir__free(a);
        weir__free(b);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        const entry_t *e = &ing->entries[i];
        a[i].prefix = key_prefix(ing->arena + e->off, e->klen);
        a[i].idx = i;
    }
    for (int pass = 0; pass < 8; pass++) {
        int shift = pass * 8;
        size_t count[256] = {0};
        for (size_t i = 0; i < n; i++)
            count[(a[i].prefix >> shift) & 0xff]++;
        /* All in one bucket: this byte orders nothing. */
        if (count[(a[0].prefix >> shift) & 0xff] == n)
            continue;
        size_t pos = 0;
        for (int d = 0; d < 256; d++) {
            size_t c = count[d];
            count[d] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            b[count[(a[i].prefix >> shift) & 0xff]++] = a[i];
        sort_item_t *t = a;
        a = b;
        b = t;
    }
    weir__free(b);
    /* Equal prefixes: order by full key, then arrival (insertion sort). */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && a[j].prefix == a[i].prefix)
            j++;
        for (size_t x = i + 1; x < j; x++) {
            sort_item_t item = a[x];
            size_t y = x;
            while (y > i && cmp_full(ing, &a[y - 1], &item) > 0) {
                a[y] = a[y - 1];
                y--;
            }
            a[y] = item;
        }
        i = j;
    }
    return a;
}

weir_error_t *weir__ingest_flush(weir__ingest_t *ing, rocksdb_t *db,
                                 const rocksdb_options_t *opts,
                                 const char *dir, const char *store, char ns,
                                 const char *extra_key, size_t extra_klen,
                                 const char *extra_val, size_t extra_vlen)
{
    weir_error_t *err = NULL;
    sort_item_t *items = NULL;
    char *kbuf = NULL;
    size_t kcap = 0;
    if (ing->n) {
        items = sort_entries(ing);
        if (!items)
            return weir_error_new(WEIR_ERR_NOMEM,
                                  "store %s: out of memory sorting the "
                                  "restore buffer",
                                  store);
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/restore-%u-%ld.sst", dir, ing->seq++,
             (long)getpid());
    rocksdb_envoptions_t *eo = rocksdb_envoptions_create();
    rocksdb_sstfilewriter_t *w = rocksdb_sstfilewriter_create(eo, opts);
    char *rerr = NULL;
    rocksdb_sstfilewriter_open(w, path, &rerr);
    if (!rerr)
        rocksdb_sstfilewriter_put(w, extra_key, extra_klen, extra_val,
                                  extra_vlen, &rerr);
    for (size_t i = 0; i < ing->n && !rerr; i++) {
        /* Skip all but the last record of a key. */
        if (i + 1 < ing->n) {
            const entry_t *e = &ing->entries[items[i].idx];
            const entry_t *f = &ing->entries[items[i + 1].idx];
            if (items[i].prefix == items[i + 1].prefix &&
                !weir__key_cmp(ing->arena + e->off, e->klen,
                               ing->arena + f->off, f->klen))
                continue;
        }
        const entry_t *e = &ing->entries[items[i].idx];
        if (e->klen + 1 > kcap) {
            size_t cap = kcap ? kcap * 2 : 256;
            while (cap < (size_t)e->klen + 1)
                cap *= 2;
            char *nk = weir__realloc(kbuf, cap);
            if (!nk) {
                err = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                                     store);
                break;
            }
            kbuf = nk;
            kcap = cap;
        }
        kbuf[0] = ns;
        memcpy(kbuf + 1, ing->arena + e->off, e->klen);
        if (e->vlen == TOMBSTONE)
            rocksdb_sstfilewriter_delete(w, kbuf, e->klen + 1, &rerr);
        else
            rocksdb_sstfilewriter_put(
                w, kbuf, e->klen + 1,
                (const char *)ing->arena + e->off + e->klen, e->vlen, &rerr);
    }
    if (!rerr && !err)
        rocksdb_sstfilewriter_finish(w, &rerr);
    rocksdb_sstfilewriter_destroy(w);
    rocksdb_envoptions_destroy(eo);
    if (!rerr && !err) {
        rocksdb_ingestexternalfileoptions_t *io =
            rocksdb_ingestexternalfileoptions_create();
        rocksdb_ingestexternalfileoptions_set_move_files(io, 1);
        const char *files[1] = {path};
        rocksdb_ingest_external_file(db, files, 1, io, &rerr);
        rocksdb_ingestexternalfileoptions_destroy(io);
    }
    if (rerr && !err)
        err = weir__rocks_error(store, "ingest restored data", rerr);
    else if (rerr)
        rocksdb_free(rerr);
    /* Moved files are hard links: the name here is ours to remove. */
    if (unlink(path) && errno != ENOENT && !err)
        err = weir_error_new(WEIR_ERR_IO, "store %s: cannot remove %s: %s",
                             store, path, strerror(errno));
    weir__free(items);
    weir__free(kbuf);
    if (!err) {
        ing->n = 0;
        ing->used = 0;
    }
    return err;
}
