/*
 * oracle.c: the expected output, computed straight from the ground truth
 * (see rec_oracle.h for the model).
 *
 * It shares no code with the topology's plumbing: no stores, no serdes,
 * no repartition, no punctuation; just the records in file order, one
 * event-time clock, a list of open windows and per-user hash tables
 * (uthash) of purchases and history. What it shares is the definition of
 * the answer: rec_rank, rec_history and rec_format, which are unit-tested
 * on their own against hand-made cases.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "rec_format.h"
#include "rec_history.h"
#include "rec_oracle.h"
#include "rec_rank.h"

typedef struct purchase_s {
    char product[REC_FIELD_MAX];
    int64_t first_ts;
    UT_hash_handle hh;
} purchase_t;

typedef struct user_s {
    char id[REC_GT_FIELD_MAX];
    purchase_t *purchases;
    rec_history_t *history;
    UT_hash_handle hh;
} user_t;

typedef struct open_window_s {
    user_t *user;
    int64_t start;
    int64_t click_ts;
    const rec_product_t *product;
} open_window_t;

struct rec_oracle_s {
    const rec_config_t *cfg;
    const rec_inventory_t *inv;
    user_t *users;
    open_window_t *open;
    size_t open_cnt, open_cap;
    rec_output_t *outs;
    size_t out_cnt, out_cap;
    int64_t now;
    rec_oracle_stats_t stats;
};

rec_oracle_t *rec_oracle_new(const rec_config_t *cfg,
                             const rec_inventory_t *inv, weir_error_t **errp)
{
    *errp = rec_config_validate(cfg);
    if (*errp)
        return NULL;
    rec_oracle_t *o = calloc(1, sizeof(*o));
    if (!o) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    o->cfg = cfg;
    o->inv = inv;
    o->now = INT64_MIN;
    return o;
}

void rec_oracle_destroy(rec_oracle_t *o)
{
    if (!o)
        return;
    user_t *u, *utmp;
    HASH_ITER(hh, o->users, u, utmp)
    {
        purchase_t *p, *ptmp;
        HASH_ITER(hh, u->purchases, p, ptmp)
        {
            HASH_DEL(u->purchases, p);
            free(p);
        }
        rec_history_destroy(u->history);
        HASH_DEL(o->users, u);
        free(u);
    }
    for (size_t i = 0; i < o->out_cnt; i++) {
        free(o->outs[i].key);
        free(o->outs[i].value);
    }
    free(o->outs);
    free(o->open);
    free(o);
}

static user_t *get_user(rec_oracle_t *o, const char *id)
{
    user_t *u = NULL;
    HASH_FIND_STR(o->users, id, u);
    if (u)
        return u;
    u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    snprintf(u->id, sizeof(u->id), "%s", id);
    u->history = rec_history_new();
    if (!u->history) {
        free(u);
        return NULL;
    }
    HASH_ADD_STR(o->users, id, u);
    return u;
}

static bool bought_before(const user_t *u, const char *product, int64_t end)
{
    purchase_t *p = NULL;
    HASH_FIND_STR(u->purchases, product, p);
    return p && p->first_ts < end;
}

/* The recommendation of one closed window, appended to the outputs. */
static weir_error_t *answer(rec_oracle_t *o, const open_window_t *w)
{
    const rec_config_t *cfg = o->cfg;
    int64_t end = w->start + cfg->window_ms;
    size_t n = rec_inventory_count(o->inv);
    rec_rank_item_t *items = calloc(n ? n : 1, sizeof(*items));
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    if (!items || !ids) {
        free(items);
        free(ids);
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const rec_product_t *p = rec_inventory_at(o->inv, i);
        items[i].product = p;
        items[i].shown_recently = rec_history_shown(w->user->history, p->id,
                                                    end, cfg->repeat_ttl_ms);
        items[i].bought_before = bought_before(w->user, p->id, end);
    }
    size_t k = rec_rank(items, n, w->product, (size_t)cfg->count);
    for (size_t i = 0; i < k; i++)
        ids[i] = items[i].product->id;
    weir_error_t *err = NULL;
    char *value = rec_format_value(w->user->id, ids, k, end);
    char *key = strdup(w->user->id);
    if (!value || !key)
        err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    if (!err && o->out_cnt == o->out_cap) {
        size_t cap = o->out_cap ? o->out_cap * 2 : 256;
        rec_output_t *v = realloc(o->outs, cap * sizeof(*v));
        if (!v)
            err = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        else {
            o->outs = v;
            o->out_cap = cap;
        }
    }
    if (!err)
        err = rec_history_add(w->user->history, end, ids, k,
                              cfg->repeat_ttl_ms);
    if (!err) {
        o->outs[o->out_cnt++] = (rec_output_t){key, value, end};
        o->stats.windows_closed++;
    } else {
        free(key);
        free(value);
    }
    free(items);
    free(ids);
    return err;
}

static int window_cmp(const void *va, const void *vb)
{
    const open_window_t *a = va, *b = vb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return strcmp(a->user->id, b->user->id);
}

/* Closes the open windows with start <= @p bound, in (start, user) order. */
static weir_error_t *close_until(rec_oracle_t *o, int64_t bound)
{
    if (o->open_cnt == 0)
        return NULL;
    qsort(o->open, o->open_cnt, sizeof(*o->open), window_cmp);
    size_t i = 0;
    weir_error_t *err = NULL;
    for (; !err && i < o->open_cnt && o->open[i].start <= bound; i++)
        err = answer(o, &o->open[i]);
    memmove(o->open, o->open + i, (o->open_cnt - i) * sizeof(*o->open));
    o->open_cnt -= i;
    return err;
}

static weir_error_t *apply_click(rec_oracle_t *o, user_t *u,
                                 const rec_product_t *p, int64_t ts)
{
    const rec_config_t *cfg = o->cfg;
    int64_t start = ts - ts % cfg->window_ms;
    int64_t end = start + cfg->window_ms;
    if (end + cfg->grace_ms <= o->now ||
        end <= rec_history_last_end(u->history)) {
        o->stats.late++;
        return NULL;
    }
    for (size_t i = 0; i < o->open_cnt; i++) {
        open_window_t *w = &o->open[i];
        if (w->user != u || w->start != start)
            continue;
        if (ts > w->click_ts ||
            (ts == w->click_ts &&
             rec_product_id_cmp(p->id, w->product->id) > 0)) {
            w->click_ts = ts;
            w->product = p;
        }
        return NULL;
    }
    if (o->open_cnt == o->open_cap) {
        size_t cap = o->open_cap ? o->open_cap * 2 : 64;
        open_window_t *v = realloc(o->open, cap * sizeof(*v));
        if (!v)
            return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        o->open = v;
        o->open_cap = cap;
    }
    o->open[o->open_cnt++] = (open_window_t){u, start, ts, p};
    return NULL;
}

static weir_error_t *apply_sale(user_t *u, const char *product, int64_t ts)
{
    purchase_t *p = NULL;
    HASH_FIND_STR(u->purchases, product, p);
    if (p) {
        if (ts < p->first_ts)
            p->first_ts = ts;
        return NULL;
    }
    p = calloc(1, sizeof(*p));
    if (!p)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    snprintf(p->product, sizeof(p->product), "%s", product);
    p->first_ts = ts;
    HASH_ADD_STR(u->purchases, product, p);
    return NULL;
}

weir_error_t *rec_oracle_add(rec_oracle_t *o, const rec_gt_record_t *r)
{
    if (!r->user_id[0]) {
        o->stats.bad_user++;
        return NULL;
    }
    const rec_product_t *p = rec_inventory_get(o->inv, r->product_id);
    if (!p) {
        o->stats.unknown_product++;
        return NULL;
    }
    if (r->timestamp < 0)
        return NULL; /* the framework drops these as invalid-timestamp */
    user_t *u = get_user(o, r->user_id);
    if (!u)
        return weir_error_new(WEIR_ERR_NOMEM, "out of memory");
    if (r->timestamp > o->now)
        o->now = r->timestamp;
    weir_error_t *err = close_until(o, o->now - o->cfg->grace_ms -
                                           o->cfg->window_ms);
    if (err)
        return err;
    if (r->kind == REC_GT_SALE) {
        o->stats.sales++;
        return apply_sale(u, p->id, r->timestamp);
    }
    o->stats.clicks++;
    return apply_click(o, u, p, r->timestamp);
}

weir_error_t *rec_oracle_flush(rec_oracle_t *o)
{
    return close_until(o, INT64_MAX);
}

weir_error_t *rec_oracle_add_file(rec_oracle_t *o, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return weir_error_new(WEIR_ERR_IO, "ground truth %s: %s", path,
                              strerror(errno));
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    weir_error_t *err = NULL;
    while (!err && getline(&line, &cap, f) >= 0) {
        lineno++;
        rec_gt_record_t r;
        err = rec_gt_parse(line, o->cfg->topic_clicks, o->cfg->topic_sales,
                           &r);
        if (err)
            err = weir_error_prefix(err, "ground truth %s:%zu: ", path,
                                    lineno);
        else
            err = rec_oracle_add(o, &r);
    }
    free(line);
    fclose(f);
    return err;
}

const rec_output_t *rec_oracle_outputs(const rec_oracle_t *o, size_t *cntp)
{
    *cntp = o->out_cnt;
    return o->outs;
}

void rec_oracle_stats(const rec_oracle_t *o, rec_oracle_stats_t *stats)
{
    *stats = o->stats;
}

static int output_cmp(const void *va, const void *vb)
{
    const rec_output_t *a = va, *b = vb;
    if (a->timestamp != b->timestamp)
        return a->timestamp < b->timestamp ? -1 : 1;
    int c = strcmp(a->key, b->key);
    return c ? c : strcmp(a->value, b->value);
}

void rec_outputs_sort(rec_output_t *outs, size_t cnt)
{
    if (cnt > 1)
        qsort(outs, cnt, sizeof(*outs), output_cmp);
}
