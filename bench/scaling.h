/*
 * bench/scaling.h - `ringsweep bench scaling`: speedup and efficiency of
 * CPU-bound tasks of fixed duration through the real engine (supervisor,
 * rings, sequencer) for 1, 2, 4, ... N workers, against two baselines
 * measured in the same run: the same tasks run serially in this process,
 * and split statically over N plain forked processes (no IPC).
 */
#ifndef RSW_BENCH_SCALING_H
#define RSW_BENCH_SCALING_H

#include <stdint.h>

#define RSW_SCALING_MAX_DURATIONS 8
#define RSW_SCALING_MAX_COUNTS 16

typedef struct rsw_scaling_opts {
	uint64_t durations_ns[RSW_SCALING_MAX_DURATIONS];
	int ndurations;
	int max_workers;
	double budget_s;  /* serial work per (duration, worker count) */
	int idle;	  /* enum rsw_idle_mode */
} rsw_scaling_opts;

typedef struct rsw_scaling_row {
	uint64_t duration_ns;  /* requested task duration */
	int workers;
	uint64_t tasks;
	double serial_s;       /* the same tasks, in-process, one core */
	double static_s;       /* the tasks split statically over `workers`
				  plain forked processes: no IPC at all */
	double wall_s;	       /* through the engine */
	double speedup;	       /* serial_s / wall_s */
	double efficiency;     /* speedup / workers */
	double overhead_ns;    /* (wall_s * workers - serial_s) / tasks */
	double vs_static;      /* static_s / wall_s: the engine against the
				  best this machine does with that many
				  processes (separates engine cost from
				  hardware limits such as shared cores) */
} rsw_scaling_row;

/* Iterations of the benchmark's busy loop per microsecond on this CPU. */
double rsw_busy_calibrate(void);

/* Fills rows (durations x worker counts); returns how many, or < 0 with
 * an RSW_E... code. */
int rsw_bench_scaling(const rsw_scaling_opts *o, rsw_scaling_row *rows,
		      int max_rows);

/* The worker counts measured: 1, 2, 4, ... and max itself. */
int rsw_scaling_counts(int max_workers, int *counts, int max);

#endif
