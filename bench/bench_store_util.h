/*
 * bench_store_util.h: timing, key/value generation, RSS and a state dir
 * for the statestore benchmarks.
 */
#ifndef WEIR_BENCH_STORE_UTIL_H
#define WEIR_BENCH_STORE_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <weir/statestore.h>

#define KEY_LEN 16
#define VAL_LEN 100

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Dies with a message on error: a benchmark has no recovery path. */
static inline void bench_ok(weir_error_t *err, const char *what)
{
    if (!err)
        return;
    fprintf(stderr, "%s: %s\n", what, weir_error_string(err));
    exit(1);
}

/* Key i, 16 bytes, in a scrambled order so inserts are not sequential. */
static inline void bench_key(unsigned char *k, uint64_t i)
{
    uint64_t x = i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    snprintf((char *)k, KEY_LEN + 1, "%016llx", (unsigned long long)x);
}

/* A 100-byte value, half random (so compression does not flatter us). */
static inline void bench_val(unsigned char *v, uint64_t i)
{
    uint64_t x = i + 1;
    for (int j = 0; j < VAL_LEN; j++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v[j] = j & 1 ? (unsigned char)('a' + (x % 26)) : 'v';
    }
}

/* Peak resident set size of this process, in MiB. */
static inline double bench_peak_rss_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Current resident set size, in MiB. */
static inline double bench_rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

static int bench_rm(const char *p, const struct stat *s, int f, struct FTW *w)
{
    (void)s;
    (void)w;
    return f == FTW_DP ? rmdir(p) : unlink(p);
}

/* A fresh state dir under $TMPDIR (or /tmp); remove with bench_dir_rm. */
static inline char *bench_dir_new(const char *tag)
{
    const char *base = getenv("WEIR_BENCH_DIR");
    if (!base)
        base = getenv("TMPDIR");
    if (!base)
        base = "/tmp";
    char *p = malloc(4096);
    snprintf(p, 4096, "%s/weir-bench-%s-XXXXXX", base, tag);
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        exit(1);
    }
    return p;
}

static inline void bench_dir_rm(char *p)
{
    /* WEIR_BENCH_KEEP=1 keeps the stores (and RocksDB's LOG files). */
    if (getenv("WEIR_BENCH_KEEP"))
        fprintf(stderr, "kept %s\n", p);
    else
        nftw(p, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(p);
}

#endif /* WEIR_BENCH_STORE_UTIL_H */
