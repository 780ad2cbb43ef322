/*
 * bench/ipc.h - `ringsweep bench ipc`: round-trip latency and one-way
 * throughput of IPC transports between two processes pinned to different
 * CPUs, measured in one run so every row can be compared with the raw
 * cache-line limit.
 */
#ifndef RSW_BENCH_IPC_H
#define RSW_BENCH_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define RSW_IPC_MAX_SIZE 4096

typedef struct rsw_ipc_opts {
	uint64_t roundtrips; /* measured round trips (after warm-up) */
	uint64_t warmup;     /* round trips run first and never counted */
	uint64_t stream;     /* messages in the one-way throughput phase */
	size_t size;	     /* message size, 8 .. 4096 bytes */
	int cpu_a, cpu_b;    /* the two processes' CPUs */
	const char *only;    /* run just the transports whose name contains it */
} rsw_ipc_opts;

typedef struct rsw_ipc_row {
	char name[32];
	int measured;		  /* 0: unsupported here, see note */
	char note[96];
	rsw_latency_summary lat;  /* round trip */
	double msgs_per_s;	  /* one-way stream */
} rsw_ipc_row;

#define RSW_IPC_MAX_ROWS 16

/* Runs every transport; returns the number of rows filled (row 0 is the
 * raw cache line, the baseline of the ratios). */
int rsw_bench_ipc(const rsw_ipc_opts *o, rsw_ipc_row *rows, int max_rows);

/* Measures one transport by name ("cache-line", "ck-mpmc", "pipe", ...,
 * "ringsweep-spin", "ringsweep-sleep", "threads-spin", "threads-sleep":
 * the engine with a worker process or thread): the one definition every
 * benchmark uses for it.  0, or -1 for an unknown name. */
int rsw_bench_ipc_one(const char *name, const rsw_ipc_opts *o,
		      rsw_ipc_row *row);

#endif
