/*
 * bench/common.h - timing, pinning and statistics shared by the
 * benchmarks.  Every figure a benchmark prints comes with a baseline
 * measured in the same run.
 */
#ifndef RSW_BENCH_COMMON_H
#define RSW_BENCH_COMMON_H

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <ck_ring.h>

#include "ringsweep/engine.h"
#include "stats.h"

/* A 16-byte descriptor stored by value in a typed ck_ring, as the
 * engine's task ring does: the raw-ring baselines use it. */
struct bench_desc {
	uint64_t seq;
	uint32_t size;
	uint32_t tag;
};
CK_RING_PROTOTYPE(bench, bench_desc)

/* ck keeps p_head and p_tail on one line; it must not share it. */
struct bench_ring {
	struct ck_ring r;
} __attribute__((aligned(64)));

/* The empty task of the engine's benchmarks: its value is its first
 * parameter, nothing else is done. */
static inline int
bench_echo_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		rsw_eval_out *out)
{
	out->value = x[0];
	return 0;
}

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int
bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set);
}

static inline void
bench_unpin(void)
{
	cpu_set_t all;

	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &all);
	sched_setaffinity(0, sizeof all, &all);
}

/* q-quantile (0..1) of n samples, nearest rank as in stats.c; sorts
 * them in place. */
static inline uint64_t
bench_quantile(uint64_t *v, size_t n, double q)
{
	if (n == 0)
		return 0;
	rsw_sort_samples(v, n);
	return (uint64_t)rsw_quantile_sorted(v, n, q);
}

#endif
