/*
 * rocks_open.c: opening a RocksDB store directory, with the checks that
 * keep a damaged or foreign directory from ever crashing weir.
 *
 * `<task dir>/<store>/format` says "weir-store-format <version> <kind>
 * <segment_ms>". A newer version fails with WEIR_ERR_STORE_VERSION and
 * touches nothing; another kind of store, or a window store with another
 * segment width (its keys are laid out by segment), fails with
 * WEIR_ERR_STORE. A missing or unreadable format file next to an existing
 * DB, a DB that RocksDB reports as corrupt, or a malformed position key is
 * treated as corruption: the directory is wiped with a warning, the store
 * opens empty without a position (so the framework restores it in full
 * from its changelog) and weir_store_was_reset() says so. RocksDB's own
 * LOCK turns a second open of the same store into WEIR_ERR_STORE_LOCKED.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc_int.h"
#include "kv_rocksdb_int.h"

static weir_error_t *nomem(const kv_rocks_t *r)
{
    return weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                          r->base.name);
}

typedef enum {
    FMT_OK,
    FMT_NEW,
    FMT_CORRUPT
} fmt_state_t;

static char *join(const char *a, const char *b)
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

/* Checks the format file; *statep says whether to create or wipe. */
static weir_error_t *check_format(kv_rocks_t *r, const char *kind,
                                  int64_t segment_ms, fmt_state_t *statep)
{
    const char *name = r->base.name;
    char *fpath = join(r->dir, "format");
    if (!fpath)
        return nomem(r);
    FILE *f = fopen(fpath, "r");
    weir__free(fpath);
    if (!f) {
        if (errno != ENOENT)
            return weir_error_new(WEIR_ERR_IO,
                                  "store %s: cannot read format file: %s",
                                  name, strerror(errno));
        /* A DB without its format file is a damaged directory. */
        struct stat st;
        char *cur = join(r->db_path, "CURRENT");
        if (!cur)
            return nomem(r);
        *statep = stat(cur, &st) ? FMT_NEW : FMT_CORRUPT;
        weir__free(cur);
        return NULL;
    }
    int version = 0;
    char fkind[16] = "";
    long long seg = -1;
    int n = fscanf(f, "weir-store-format %d %15s %lld", &version, fkind, &seg);
    fclose(f);
    if (n >= 1 && version > WEIR__STORE_FORMAT_VERSION)
        return weir_error_new(WEIR_ERR_STORE_VERSION,
                              "store %s: format version %d is newer than "
                              "this weir supports (%d); upgrade weir or "
                              "delete %s",
                              name, version, WEIR__STORE_FORMAT_VERSION,
                              r->dir);
    if (n != 3 || version < 1) {
        *statep = FMT_CORRUPT;
        return NULL;
    }
    if (strcmp(fkind, kind))
        return weir_error_new(WEIR_ERR_STORE,
                              "store %s: directory %s holds a %s store, not "
                              "a %s store",
                              name, r->dir, fkind, kind);
    if (seg != segment_ms)
        return weir_error_new(
            WEIR_ERR_STORE,
            "store %s: segment width %lld ms on disk, %" PRId64
            " ms requested; delete %s to change it",
            name, seg, segment_ms, r->dir);
    *statep = FMT_OK;
    return NULL;
}

weir_error_t *weir__rocks_write_format(const char *dir, const char *store,
                                       const char *kind, int64_t segment_ms)
{
    char *tmp = join(dir, "format.tmp");
    char *fpath = join(dir, "format");
    weir_error_t *err = NULL;
    if (!tmp || !fpath) {
        err = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory", store);
        goto out;
    }
    char buf[96];
    int len = snprintf(buf, sizeof(buf),
                       "weir-store-format %d %s %" PRId64 "\n",
                       WEIR__STORE_FORMAT_VERSION, kind, segment_ms);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, buf, (size_t)len) != len || fsync(fd) ||
        rename(tmp, fpath)) {
        int e = errno;
        err = weir_error_new(e == ENOSPC ? WEIR_ERR_NO_SPACE : WEIR_ERR_IO,
                             "store %s: cannot write format file in %s: %s",
                             store, dir, strerror(e));
    }
    if (fd >= 0)
        close(fd);
out:
    weir__free(tmp);
    weir__free(fpath);
    return err;
}

static weir_error_t *write_format(kv_rocks_t *r, const char *kind,
                                  int64_t segment_ms)
{
    return weir__rocks_write_format(r->dir, r->base.name, kind, segment_ms);
}

static weir_error_t *wipe(kv_rocks_t *r, const char *why)
{
    weir__log(&r->base.log, WEIR_LOG_WARNING, "STORE",
              "%s: %s: wiping %s, the store will be restored in full from "
              "its changelog",
              r->base.name, why, r->dir);
    r->base.was_reset = true;
    weir_error_t *err = weir__rmtree(r->dir);
    if (!err && mkdir(r->dir, 0755))
        err = weir_error_new(WEIR_ERR_IO, "cannot create %s: %s", r->dir,
                             strerror(errno));
    return err ? weir_error_prefix(err, "store %s: ", r->base.name) : NULL;
}

/* Opens the DB and reads the position; corruption is reported, not wiped. */
static weir_error_t *open_db(kv_rocks_t *r)
{
    char *rerr = NULL;
    r->db = rocksdb_open(r->td->env->opts, r->db_path, &rerr);
    if (rerr)
        return weir__rocks_error(r->base.name, "open", rerr);
    size_t vlen = 0;
    char *v = rocksdb_get(r->db, r->ro, META_POSITION, META_POSITION_LEN,
                          &vlen, &rerr);
    if (rerr)
        return weir__rocks_error(r->base.name, "read position", rerr);
    if (!v)
        return NULL;
    weir_error_t *err = NULL;
    if (vlen != 16) {
        err = weir_error_new(WEIR_ERR_STORE_CORRUPT,
                             "store %s: position of %zu bytes", r->base.name,
                             vlen);
    } else {
        /* -1: committed without a changelog position (extra still set). */
        int64_t pos = (int64_t)weir__be64_get((unsigned char *)v);
        if (pos < WEIR_STORE_NO_POSITION)
            err = weir_error_new(WEIR_ERR_STORE_CORRUPT,
                                 "store %s: negative position %" PRId64,
                                 r->base.name, pos);
        r->base.has_position = !err && pos >= 0;
        r->base.position = pos;
        r->base.extra = (int64_t)weir__be64_get((unsigned char *)v + 8);
    }
    rocksdb_free(v);
    return err;
}

static kv_rocks_t *rocks_open(weir_task_dir_t *td, const char *name,
                              const char *kind, int64_t segment_ms,
                              weir_error_t **errp)
{
    *errp = NULL;
    if (!name || !*name || strchr(name, '/') || name[0] == '.') {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "store \"%s\": bad store name",
                               name ? name : "");
        return NULL;
    }
    kv_rocks_t *r = weir__calloc(1, sizeof(*r));
    if (!r) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "store %s: out of memory",
                               name);
        return NULL;
    }
    *errp = weir__kv_store_init(&r->base, &weir__rocks_ops, name,
                                &td->env->log);
    if (*errp) {
        weir__free(r);
        return NULL;
    }
    atomic_fetch_add(&td->refs, 1);
    r->td = td;
    r->kind = kind;
    r->segment_ms = segment_ms;
    r->dir = join(td->path, name);
    r->db_path = r->dir ? join(r->dir, "rocksdb") : NULL;
    if (!r->db_path) {
        *errp = nomem(r);
        goto fail;
    }
    r->ro = rocksdb_readoptions_create();
    r->wo = rocksdb_writeoptions_create();
    if (td->env->row_cache_bytes) {
        r->cache = weir__row_cache_new(0); /* its share: at each use */
        if (!r->cache) {
            *errp = nomem(r);
            goto fail;
        }
    }

    if (mkdir(r->dir, 0755) && errno != EEXIST) {
        *errp = weir_error_new(
            errno == ENOSPC ? WEIR_ERR_NO_SPACE : WEIR_ERR_IO,
            "store %s: cannot create %s: %s", name, r->dir, strerror(errno));
        goto fail;
    }
    fmt_state_t st = FMT_NEW;
    *errp = check_format(r, kind, segment_ms, &st);
    if (*errp)
        goto fail;
    if (st == FMT_CORRUPT) {
        *errp = wipe(r, "format file missing or unreadable");
        st = FMT_NEW;
    }
    if (!*errp && st == FMT_NEW)
        *errp = write_format(r, kind, segment_ms);
    if (*errp)
        goto fail;
    *errp = open_db(r);
    if (*errp && weir_error_code(*errp) == WEIR_ERR_STORE_CORRUPT) {
        char why[256];
        snprintf(why, sizeof(why), "%s", weir_error_string(*errp));
        weir_error_destroy(*errp);
        weir__rocks_close_db(r);
        r->base.has_position = false;
        *errp = wipe(r, why);
        if (!*errp)
            *errp = write_format(r, kind, segment_ms);
        if (!*errp)
            *errp = open_db(r);
    }
    if (*errp)
        goto fail;
    atomic_fetch_add(&td->env->rocks_open, 1);
    r->counted = true;
    weir__dbg(&r->base.log, STORE, "STORE",
              "%s: opened %s (%s), position %" PRId64, name, r->dir, kind,
              r->base.has_position ? r->base.position : -1);
    return r;

fail:
    weir__rocks_destroy(&r->base);
    return NULL;
}

weir_kv_store_t *weir_kv_store_rocksdb_open(weir_task_dir_t *td,
                                            const char *name,
                                            weir_error_t **errp)
{
    kv_rocks_t *r = rocks_open(td, name, "kv", 0, errp);
    return r ? &r->base : NULL;
}

weir_window_store_t *weir_window_store_rocksdb_open(weir_task_dir_t *td,
                                                    const char *name,
                                                    int64_t retention_ms,
                                                    int64_t segment_ms,
                                                    weir_error_t **errp)
{
    if (segment_ms <= 0 || retention_ms < segment_ms) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "window store %s: need 0 < segment_ms "
                               "(%" PRId64 ") <= retention_ms (%" PRId64 ")",
                               name ? name : "", segment_ms, retention_ms);
        return NULL;
    }
    kv_rocks_t *r = rocks_open(td, name, "window", segment_ms, errp);
    if (!r)
        return NULL;
    return weir__window_store_new(&r->base, retention_ms, segment_ms, errp);
}
