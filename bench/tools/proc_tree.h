/*
 * proc_tree.h: the CPU time and memory of a process and all its
 * descendants, read from /proc (Linux), for measuring a benchmark
 * contender whatever it is made of: one C process, or a shell script
 * that starts a JVM.
 */
#ifndef WEIR_BENCH_PROC_TREE_H
#define WEIR_BENCH_PROC_TREE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    double cpu_s;  /* user + system time of the tree, all threads */
    long hwm_kb;   /* sum of the processes' peak resident sets (VmHWM) */
    long rss_kb;   /* sum of the processes' resident sets now (VmRSS) */
    int processes; /* processes in the tree */
} proc_tree_sample_t;

/**
 * @brief Samples @p root and its descendants.
 *
 * CPU counts each live process's own utime + stime plus its reaped
 * children's (cutime + cstime), so a child that has exited and been
 * waited for still counts, through its parent, and nothing counts twice.
 *
 * @returns false when @p root no longer exists (or is a zombie).
 */
bool proc_tree_sample(pid_t root, proc_tree_sample_t *out);

/**
 * @brief Seconds since @p pid started, from its start time in
 * /proc/PID/stat (clock ticks since boot, 10 ms resolution) and
 * CLOCK_BOOTTIME; negative when @p pid does not exist.
 */
double proc_age_s(pid_t pid);

#endif
