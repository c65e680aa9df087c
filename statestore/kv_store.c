/*
 * kv_store.c: the public key-value store functions, shared by every engine.
 *
 * Each call checks its arguments, dispatches through the store's ops table
 * (kv_memory.c, kv_rocksdb.c) and, for writes, hands the change to the
 * changelog sink once the engine has accepted it. Keeping that order here
 * means an engine never has to know about changelogs, and a changelog
 * record is never sent for a write the store refused.
 *
 * The lifecycle (transactions, position, restore) is store.c's, the same
 * for every kind of store; this file gives it the key-value store's own
 * steps (weir__store_ops_t) and the core state steps that a window store
 * reuses. Transactions are tracked in the core (in_txn, open iterators),
 * so every engine reports misuse the same way: a commit with an open
 * iterator is a WEIR_ERR_STATE error, not undefined behaviour.
 */
#include "alloc_int.h"
#include "store_int.h"

weir_error_t *weir__kv_store_init(weir_kv_store_t *kv,
                                  const weir__kv_ops_t *ops, const char *name,
                                  const weir__logger_t *log)
{
    kv->base.ops = &weir__kv_store_ops;
    kv->base.core = kv;
    kv->ops = ops;
    kv->name = weir__strdup(name);
    if (!kv->name)
        return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory", name);
    kv->log = log ? *log : weir__logger_default();
    kv->position = WEIR_STORE_NO_POSITION;
    kv->extra = INT64_MIN;
    return NULL;
}

void weir__kv_store_fini(weir_kv_store_t *kv)
{
    weir__free(kv->name);
    kv->name = NULL;
}

const char *weir_kv_store_name(const weir_kv_store_t *kv)
{
    return kv->name;
}

weir_error_t *weir__kv_store_check_key(const weir_kv_store_t *kv,
                                       const void *key, size_t klen)
{
    if (!key && klen)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: NULL key with length %zu", kv->name,
                              klen);
    return NULL;
}

weir_error_t *weir_kv_store_get(weir_kv_store_t *kv, const void *key,
                                size_t key_len, void **valp, size_t *val_lenp,
                                bool *foundp)
{
    *valp = NULL;
    *val_lenp = 0;
    *foundp = false;
    weir_error_t *err = weir__kv_store_check_key(kv, key, key_len);
    if (err)
        return err;
    return kv->ops->get(kv, key, key_len, valp, val_lenp, foundp);
}

static weir_error_t *send_changelog(weir_kv_store_t *kv, const void *key,
                                    size_t klen, const void *val, size_t vlen)
{
    if (!kv->sink || kv->restoring)
        return NULL;
    weir_error_t *err = kv->sink->send(kv->sink_opaque, kv->name, key, klen,
                                       val, vlen);
    if (err)
        err = weir_error_prefix(err, "store %s: changelog: ", kv->name);
    return err;
}

weir_error_t *weir_kv_store_put(weir_kv_store_t *kv, const void *key,
                                size_t key_len, const void *val,
                                size_t val_len)
{
    weir_error_t *err = weir__kv_store_check_key(kv, key, key_len);
    if (err)
        return err;
    if (!val && val_len)
        return weir_error_new(WEIR_ERR_INVALID_ARG,
                              "store %s: NULL value with length %zu", kv->name,
                              val_len);
    /* An empty value is a value, not a delete: give the engine a pointer. */
    if (!val)
        val = "";
    err = kv->ops->write(kv, key, key_len, val, val_len);
    if (err)
        return err;
    return send_changelog(kv, key, key_len, val, val_len);
}

weir_error_t *weir_kv_store_delete(weir_kv_store_t *kv, const void *key,
                                   size_t key_len)
{
    weir_error_t *err = weir__kv_store_check_key(kv, key, key_len);
    if (err)
        return err;
    err = kv->ops->write(kv, key, key_len, NULL, 0);
    if (err)
        return err;
    return send_changelog(kv, key, key_len, NULL, 0);
}

weir_error_t *weir_kv_store_range(weir_kv_store_t *kv, const void *from,
                                  size_t from_len, bool from_inclusive,
                                  const void *to, size_t to_len,
                                  bool to_inclusive, weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = kv->ops->range(kv, from, from_len, from_inclusive, to,
                                       to_len, to_inclusive, &it);
    if (err)
        return err;
    it->kv = kv;
    kv->open_iters++;
    *iterp = it;
    return NULL;
}

weir_error_t *weir_kv_store_prefix_scan(weir_kv_store_t *kv,
                                        const void *prefix, size_t prefix_len,
                                        weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    if (!prefix_len)
        return weir_kv_store_all(kv, iterp);
    if (!prefix)
        return weir_error_new(WEIR_ERR_INVALID_ARG, "store %s: NULL prefix",
                              kv->name);
    /*
     * The keys with a prefix are exactly [prefix, successor) where the
     * successor drops trailing 0xff bytes and increments the last other
     * byte; a prefix of only 0xff bytes has no upper bound.
     */
    unsigned char *succ = weir__memdup(prefix, prefix_len);
    if (!succ)
        return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                              kv->name);
    size_t slen = prefix_len;
    while (slen && succ[slen - 1] == 0xff)
        slen--;
    if (slen)
        succ[slen - 1]++;
    weir_error_t *err = weir_kv_store_range(
        kv, prefix, prefix_len, true, slen ? succ : NULL, slen, false, iterp);
    weir__free(succ);
    return err;
}

weir_error_t *weir_kv_store_all(weir_kv_store_t *kv, weir_kv_iter_t **iterp)
{
    return weir_kv_store_range(kv, NULL, 0, true, NULL, 0, false, iterp);
}

weir_error_t *weir_kv_store_approximate_count(weir_kv_store_t *kv,
                                              uint64_t *countp)
{
    *countp = 0;
    return kv->ops->count(kv, countp);
}

bool weir_kv_iter_valid(const weir_kv_iter_t *it)
{
    return !it->err && it->ops->valid(it);
}

void weir_kv_iter_next(weir_kv_iter_t *it)
{
    if (weir_kv_iter_valid(it))
        it->ops->next(it);
}

const void *weir_kv_iter_key(const weir_kv_iter_t *it, size_t *lenp)
{
    return it->ops->key(it, lenp);
}

const void *weir_kv_iter_value(const weir_kv_iter_t *it, size_t *lenp)
{
    return it->ops->value(it, lenp);
}

const weir_error_t *weir_kv_iter_error(const weir_kv_iter_t *it)
{
    return it->err;
}

void weir_kv_iter_close(weir_kv_iter_t *it)
{
    if (!it)
        return;
    if (it->kv)
        it->kv->open_iters--;
    weir_error_destroy(it->err);
    it->ops->close(it);
}

/* Interactive queries ------------------------------------------------- */

weir_error_t *weir_kv_store_query_get(weir_kv_store_t *kv, const void *key,
                                      size_t key_len, void **valp,
                                      size_t *val_lenp, bool *foundp)
{
    *valp = NULL;
    *val_lenp = 0;
    *foundp = false;
    weir_error_t *err = weir__kv_store_check_key(kv, key, key_len);
    if (err)
        return err;
    return kv->ops->query_get(kv, key, key_len, valp, val_lenp, foundp);
}

weir_error_t *weir_kv_store_query_range(weir_kv_store_t *kv, const void *from,
                                        size_t from_len, bool from_inclusive,
                                        const void *to, size_t to_len,
                                        bool to_inclusive,
                                        weir_kv_iter_t **iterp)
{
    *iterp = NULL;
    weir_kv_iter_t *it = NULL;
    weir_error_t *err = kv->ops->query_range(
        kv, from, from_len, from_inclusive, to, to_len, to_inclusive, &it);
    if (err)
        return err;
    it->kv = NULL; /* not part of the owner's transaction */
    *iterp = it;
    return NULL;
}

/* Materialized iterators ------------------------------------------------- */

struct weir__vec_iter_s {
    weir_kv_iter_t base;
    const char *name;
    unsigned char *data; /* klen, key, vlen, value, ... */
    size_t used, cap;
    size_t *offs; /* entry start offsets */
    size_t n, ncap, pos;
};

static const unsigned char *vec_entry(const weir__vec_iter_t *vi,
                                      size_t *klenp)
{
    const unsigned char *p = vi->data + vi->offs[vi->pos];
    memcpy(klenp, p, sizeof(*klenp));
    return p + sizeof(size_t);
}

static bool vit_valid(const weir_kv_iter_t *base)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    return vi->pos < vi->n;
}

static void vit_next(weir_kv_iter_t *base)
{
    ((weir__vec_iter_t *)base)->pos++;
}

static const void *vit_key(const weir_kv_iter_t *base, size_t *lenp)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    if (vi->pos >= vi->n) {
        *lenp = 0;
        return NULL;
    }
    return vec_entry(vi, lenp);
}

static const void *vit_value(const weir_kv_iter_t *base, size_t *lenp)
{
    const weir__vec_iter_t *vi = (const weir__vec_iter_t *)base;
    if (vi->pos >= vi->n) {
        *lenp = 0;
        return NULL;
    }
    size_t klen;
    const unsigned char *k = vec_entry(vi, &klen);
    memcpy(lenp, k + klen, sizeof(*lenp));
    return k + klen + sizeof(size_t);
}

void weir__vec_iter_free(weir__vec_iter_t *vi)
{
    if (!vi)
        return;
    weir__free(vi->data);
    weir__free(vi->offs);
    weir__free(vi);
}

static void vit_close(weir_kv_iter_t *base)
{
    weir__vec_iter_free((weir__vec_iter_t *)base);
}

static const weir__kv_iter_ops_t vec_iter_ops = {
    .valid = vit_valid,
    .next = vit_next,
    .key = vit_key,
    .value = vit_value,
    .close = vit_close,
};

weir__vec_iter_t *weir__vec_iter_new(weir_kv_store_t *kv)
{
    weir__vec_iter_t *vi = weir__calloc(1, sizeof(*vi));
    if (vi) {
        vi->base.ops = &vec_iter_ops;
        vi->name = kv->name;
    }
    return vi;
}

bool weir__store_copy_into(unsigned char **bufp, size_t *capp, const void *src,
                           size_t len)
{
    if (len + 1 > *capp) {
        size_t cap = *capp ? *capp : 64;
        while (cap < len + 1)
            cap *= 2;
        unsigned char *nb = weir__realloc(*bufp, cap);
        if (!nb)
            return false;
        *bufp = nb;
        *capp = cap;
    }
    if (len)
        memcpy(*bufp, src, len);
    return true;
}

weir_error_t *weir__vec_iter_add(weir__vec_iter_t *vi, const void *key,
                                 size_t klen, const void *val, size_t vlen)
{
    size_t need = 2 * sizeof(size_t) + klen + vlen;
    if (vi->used + need > vi->cap) {
        size_t cap = vi->cap ? vi->cap : 1024;
        while (cap < vi->used + need)
            cap *= 2;
        unsigned char *nd = weir__realloc(vi->data, cap);
        if (!nd)
            goto nomem;
        vi->data = nd;
        vi->cap = cap;
    }
    if (vi->n == vi->ncap) {
        size_t cap = vi->ncap ? vi->ncap * 2 : 64;
        size_t *no = weir__realloc(vi->offs, cap * sizeof(*no));
        if (!no)
            goto nomem;
        vi->offs = no;
        vi->ncap = cap;
    }
    unsigned char *p = vi->data + vi->used;
    vi->offs[vi->n++] = vi->used;
    memcpy(p, &klen, sizeof(klen));
    if (klen)
        memcpy(p + sizeof(klen), key, klen);
    memcpy(p + sizeof(klen) + klen, &vlen, sizeof(vlen));
    if (vlen)
        memcpy(p + 2 * sizeof(klen) + klen, val, vlen);
    vi->used += need;
    return NULL;
nomem:
    return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory", vi->name);
}

weir_kv_iter_t *weir__vec_iter_done(weir__vec_iter_t *vi)
{
    return &vi->base;
}
