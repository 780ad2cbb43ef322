/*
 * tools/run.h - what `ringsweep run`'s two files share: the parsed
 * options (cmd_run.c fills them from the option table) and the printing
 * of the banner and the summary (run_summary.c).
 */
#ifndef RSW_TOOLS_RUN_H
#define RSW_TOOLS_RUN_H

#include "ringsweep/ringsweep.h"

/* The engine's default max_inflight: the largest window is one less. */
#define RSW_RUN_MAX_INFLIGHT 8192

struct run_args {
	rsw_space space;	/* --param, --space */
	const char *space_file;	/* --space */
	const char *constraints[RSW_MAX_CONSTRAINTS + 1]; /* --constraint, added
							     after every
							     parameter */
	unsigned nconstraints;
	const char *objective, *cmd, *metrics, *objective_arg, *data, *column;
	const char *metric;	/* --metric: ma_cross's value */
	const char *algo;
	const char *enqueue;	/* --enqueue FILE */
	long long evals, seed, init, population, generations;
	int minimize;
	rsw_objective_goal objectives[RSW_MAX_OBJECTIVES]; /* --maximize NAME ... */
	unsigned nobjectives;
	unsigned nhv_ref;	/* --hv-ref */
	double hv_ref[RSW_MAX_OBJECTIVES];
	long long window;
	long long workers;
	int serial;
	int threads;		/* --threads: thread-mode workers */
	double timeout;
	double init_timeout;	/* --init-timeout */
	long long retries;
	int retry_errors;
	int on_error;		/* index in "skip|fail" */
	int idle;		/* index in "sleep|spin|adaptive" (enum rsw_idle_mode) */
	long long max_batch;
	uint64_t max_mem, soft_mem;
	long long recycle_after;
	int pin;
	long long nice, external;
	long long crash_loop;	/* --crash-loop: 0 = the engine's default */
	rsw_halt_policy halt;	/* --halt */
	rsw_prune_policy prune;	/* --prune */
	const char *best_by;	/* --best-by */
	const char *results, *db, *resume;
	int progress;		/* index in "auto|bar|lines|none" */
	int progress_mode;	/* RSW_PROGRESS_* */
	int json, quiet, help;
	int mpi;		/* --mpi: rank 0 drives, the other ranks evaluate */
	long long mpi_driver_workers;
	int mpi_ranks;		/* the MPI job's size (rank 0 only) */
	unsigned given[96];	/* per option: how often it was given */
	char db_name[4096];	/* the store's path ("" for none) */
	char *argv_json;
};

/* A window that leaves workers idle, and the like (after open). */
void rsw_run_warn(const struct run_args *a, const rsw_sweep *sw);
/* Once the engine started: what runs where. */
void rsw_run_banner(const struct run_args *a, const rsw_sweep *sw);
/* After the run: best, counts, workers, top N (text or JSON). */
void rsw_run_summary(const struct run_args *a, const rsw_sweep *sw);

#endif
