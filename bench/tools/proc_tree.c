/*
 * proc_tree.c: CPU and memory of a process tree from /proc.
 *
 * The tree is walked through /proc/PID/task/TID/children (every thread's
 * children: any thread may fork). Times come from /proc/PID/stat, fields
 * 14-17 (utime, stime, cutime, cstime, in clock ticks), memory from the
 * VmHWM and VmRSS lines of /proc/PID/status. A process that exits while
 * being read is skipped; its time reaches its parent's cutime once
 * reaped, so the total only ever lags, never double counts.
 */
#include "proc_tree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_TREE 4096

/* Reads /proc/PID/stat; false when the process is gone or a zombie. */
static bool read_stat(pid_t pid, unsigned long long *ticks,
                      unsigned long long *start)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name is in parentheses and may hold anything. */
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    char state;
    unsigned long long ut, st, cut, cst, starttime;
    int got = sscanf(p + 2,
                     "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
                     "%llu %llu %*d %*d %*d %*d %llu",
                     &state, &ut, &st, &cut, &cst, &starttime);
    if (got != 6 || state == 'Z' || state == 'X')
        return false;
    if (ticks)
        *ticks = ut + st + cut + cst;
    if (start)
        *start = starttime;
    return true;
}

static void read_mem(pid_t pid, long *hwm_kb, long *rss_kb)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    long v;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmHWM: %ld", &v) == 1)
            *hwm_kb += v;
        else if (sscanf(line, "VmRSS: %ld", &v) == 1)
            *rss_kb += v;
    }
    fclose(f);
}

/* Appends the children of every thread of @p pid to @p pids. */
static void add_children(pid_t pid, pid_t *pids, int *cnt)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        char cpath[320];
        snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", (int)pid,
                 de->d_name);
        FILE *f = fopen(cpath, "r");
        if (!f)
            continue;
        int child;
        while (*cnt < MAX_TREE && fscanf(f, "%d", &child) == 1)
            pids[(*cnt)++] = (pid_t)child;
        fclose(f);
    }
    closedir(d);
}

bool proc_tree_sample(pid_t root, proc_tree_sample_t *out)
{
    static pid_t pids[MAX_TREE];
    memset(out, 0, sizeof(*out));
    unsigned long long ticks;
    if (!read_stat(root, &ticks, NULL))
        return false;
    int cnt = 1;
    pids[0] = root;
    /* Breadth first: the list grows while it is walked. */
    for (int i = 0; i < cnt; i++)
        add_children(pids[i], pids, &cnt);
    double hz = (double)sysconf(_SC_CLK_TCK);
    for (int i = 0; i < cnt; i++) {
        if (!read_stat(pids[i], &ticks, NULL))
            continue;
        out->cpu_s += (double)ticks / hz;
        read_mem(pids[i], &out->hwm_kb, &out->rss_kb);
        out->processes++;
    }
    return true;
}

double proc_age_s(pid_t pid)
{
    unsigned long long start;
    if (!read_stat(pid, NULL, &start))
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_BOOTTIME, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    return now - (double)start / (double)sysconf(_SC_CLK_TCK);
}
