/*
 * bench/latency.h - `ringsweep bench latency`: one task's round trip when
 * tasks come with a gap between them (a backtester's loop computing
 * between submissions), for each idle mode, and what the idle worker's
 * CPU costs meanwhile and once nothing comes at all.
 */
#ifndef RSW_BENCH_LATENCY_H
#define RSW_BENCH_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define RSW_LATENCY_MAX_GAPS 8

typedef struct rsw_latency_opts {
	uint64_t gaps_ns[RSW_LATENCY_MAX_GAPS]; /* host work between tasks */
	size_t ngaps;
	double budget_s;   /* per row: as many round trips as fit (200 ..
			      100000) */
	double idle_s;	   /* then nothing is submitted for this long */
	int mode;	   /* enum rsw_mode: worker process or thread */
	int cpu_b;	   /* the driver's CPU (the worker is on CPU 0) */
} rsw_latency_opts;

typedef struct rsw_latency_row {
	int idle;		  /* enum rsw_idle_mode */
	uint64_t gap_ns;
	int measured;
	char note[96];
	rsw_latency_summary lat;  /* submit -> poll, after a gap */
	double busy_cpu;	  /* the worker's CPU time per second of the
				     run (1.0: a whole core) */
	double idle_cpu;	  /* ... per second of idle_s afterwards */
} rsw_latency_row;

/* Runs spin, sleep and adaptive at every gap; returns the rows filled
 * (gap major, idle mode minor: spin, sleep, adaptive). */
int rsw_bench_latency(const rsw_latency_opts *o, rsw_latency_row *rows,
		      int max_rows);

#endif
