/*
 * clock_int.h: weir's two clocks, in milliseconds.
 *
 * Monotonic for every duration, deadline and timeout (it never jumps);
 * wall clock only for what must mean the same on another machine: record
 * timestamps, the idle clock carried in commit metadata, wall-clock
 * punctuation.
 */
#ifndef WEIR_CLOCK_INT_H
#define WEIR_CLOCK_INT_H

#include <stdint.h>

/* CLOCK_MONOTONIC, ms. */
int64_t weir__mono_ms(void);

/* CLOCK_REALTIME, ms since the epoch. */
int64_t weir__wall_ms(void);

#endif /* WEIR_CLOCK_INT_H */
