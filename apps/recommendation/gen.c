/*
 * gen.c: the data generator's record sequence (see rec_gen.h), with no
 * Kafka, so that it can be tested and replayed.
 *
 * The fields follow the seed's Java generator: user "user-<0..99>",
 * product "<0..199>"; a sale also has an invoice id (a non-negative
 * 63-bit number), a quantity 1..3 and a unit cost "£1".."£1000". Random
 * numbers come from splitmix64 (public domain, Vigna), which is tiny,
 * fast and the same on every platform, so a seed gives the same records
 * everywhere. Event time advances by a fixed step per stream (exact
 * integer arithmetic on the record index, so there is no drift).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec_gen.h"

struct rec_gen_s {
    rec_gen_opts_t opts;
    uint64_t state;
    uint64_t clicks, sales; /* records made so far, per stream */
};

void rec_gen_opts_default(rec_gen_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->seed = 1;
    opts->clicks_per_sec = 1;
    opts->sales_per_sec = 100;
    opts->users = 100;
    opts->products = 200;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (rejection sampling: no modulo bias). */
static uint64_t uniform(uint64_t *state, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do {
        v = splitmix64(state);
    } while (v >= limit);
    return v % n;
}

rec_gen_t *rec_gen_new(const rec_gen_opts_t *opts, weir_error_t **errp)
{
    *errp = NULL;
    if (opts->clicks_per_sec < 0 || opts->sales_per_sec < 0 ||
        !isfinite(opts->clicks_per_sec) || !isfinite(opts->sales_per_sec) ||
        (opts->clicks_per_sec == 0 && opts->sales_per_sec == 0)) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "generator: rates must be >= 0 and not both 0");
        return NULL;
    }
    if (opts->users <= 0 || opts->products <= 0 || opts->start_ms < 0) {
        *errp = weir_error_new(WEIR_ERR_INVALID_ARG,
                               "generator: users and products must be > 0 "
                               "and the start time >= 0");
        return NULL;
    }
    rec_gen_t *gen = calloc(1, sizeof(*gen));
    if (!gen) {
        *errp = weir_error_new(WEIR_ERR_NOMEM, "out of memory");
        return NULL;
    }
    gen->opts = *opts;
    gen->state = opts->seed;
    return gen;
}

void rec_gen_destroy(rec_gen_t *gen)
{
    free(gen);
}

/* The time of record @p i of a stream at @p rate per second. */
static int64_t time_of(const rec_gen_t *gen, uint64_t i, double rate)
{
    if (rate <= 0)
        return INT64_MAX;
    return gen->opts.start_ms + (int64_t)floor((double)i * 1000.0 / rate);
}

int64_t rec_gen_peek_time(const rec_gen_t *gen)
{
    int64_t c = time_of(gen, gen->clicks, gen->opts.clicks_per_sec);
    int64_t s = time_of(gen, gen->sales, gen->opts.sales_per_sec);
    return c <= s ? c : s;
}

void rec_gen_next(rec_gen_t *gen, rec_gt_record_t *r)
{
    int64_t c = time_of(gen, gen->clicks, gen->opts.clicks_per_sec);
    int64_t s = time_of(gen, gen->sales, gen->opts.sales_per_sec);
    memset(r, 0, sizeof(*r));
    r->kind = c <= s ? REC_GT_CLICK : REC_GT_SALE;
    r->timestamp = c <= s ? c : s;
    snprintf(r->key, sizeof(r->key), "%" PRId64, r->timestamp);
    snprintf(r->user_id, sizeof(r->user_id), "user-%" PRIu64,
             uniform(&gen->state, (uint64_t)gen->opts.users));
    uint64_t product = uniform(&gen->state, (uint64_t)gen->opts.products);
    if (r->kind == REC_GT_CLICK) {
        gen->clicks++;
        uint64_t every = gen->opts.unknown_product_every;
        if (every && gen->clicks % every == 0)
            snprintf(r->product_id, sizeof(r->product_id), "unknown-%" PRIu64,
                     gen->clicks);
        else
            snprintf(r->product_id, sizeof(r->product_id), "%" PRIu64,
                     product);
        return;
    }
    gen->sales++;
    snprintf(r->product_id, sizeof(r->product_id), "%" PRIu64, product);
    snprintf(r->invoice_id, sizeof(r->invoice_id), "%" PRIu64,
             splitmix64(&gen->state) >> 1);
    snprintf(r->quantity, sizeof(r->quantity), "%" PRIu64,
             uniform(&gen->state, 3) + 1);
    snprintf(r->unit_cost, sizeof(r->unit_cost), "\xc2\xa3%" PRIu64,
             uniform(&gen->state, 1000) + 1);
}
