/*
 * ringsweep/sweep.h - a whole campaign as one object: a parameter space,
 * an algorithm, an objective, the engine that evaluates it, and where the
 * results go (a SQLite store, a CSV file, your callbacks).  `ringsweep
 * run`, `--resume` and the Python module are calls of this API.
 *
 *   rsw_sweep_config c;
 *   rsw_sweep_config_init(&c);
 *   c.space = &space;                        parameters (space.h)
 *   c.algo = "bayes";                        the registry (algorithms.h)
 *   c.algo_opts.evals = 100;
 *   c.objective.name = "./libstrategy.so";   objectives.h
 *   c.engine.workers = 8;                    engine.h
 *   c.store = "study.db";
 *   rsw_sweep_open(&sw, &c, err, sizeof err);  validates and loads: nothing
 *                                              runs yet, and on failure
 *                                              nothing is left behind
 *   rc = rsw_sweep_run(sw);                  to completion (or a stop)
 *   rsw_sweep_close(sw, err, sizeof err);    the store's outcome, the CSV
 *
 * and after a crash, a SIGKILL or a stop, from any directory:
 *
 *   rsw_sweep_resume(&sw, "study.db", &exec, err, sizeof err);
 *   rsw_sweep_run(sw);                       replays what is stored, runs
 *                                            the rest: the same results as
 *                                            an uninterrupted run
 *
 * WHAT DEFINES A SWEEP, AND WHAT MAY CHANGE ON RESUME
 * The store records a description of the sweep: the space, the algorithm
 * and its options, the direction, the window, the enqueued points (a
 * resume takes them from there: given again, they must be the same), the
 * objective (built-in
 * name and data, plugin path and argument, command, working directory and
 * metrics; all paths absolute), the policies that change results
 * (timeout, attempts, retry_errors, on_error, max_mem, crash-loop limits)
 * and a fingerprint of every file read (data, plugin, the command's
 * program).  rsw_sweep_resume rebuilds the sweep from it and refuses, naming
 * the file, when one changed.  From `exec` it takes only what never
 * changes a result: engine.workers, idle, max_batch, external_slots, pin,
 * nice, recycle_after, soft_mem, max_message, ring_capacity, results_csv,
 * on_commit/commit_ctx, top_n, executor/executor_ctx; algo_opts.evals
 * (or genetic's generations) when non-zero: a larger budget extends the
 * study -- a finished one too -- and is recorded (the rows stored are the
 * first of the larger study: no algorithm's suggestion depends on its
 * budget); and the code a
 * store cannot hold:
 * objective.fn/ctx/worker_init for a C-function objective, `algorithm`
 * for an algorithm of your own (refused for a sweep that recorded a
 * built-in, a plugin, a command, or a registry algorithm).  A resume is
 * refused too when the objective would now read other files than the
 * sweep did (a program or plugin that resolves elsewhere).
 *
 * Determinism: the results (store rows, CSV, callbacks, best) are a pure
 * function of the description and the objective, for any number of
 * workers, serial included, resumed or not.
 *
 * Thread safety: one thread opens, runs and closes a sweep.  rsw_sweep_stop
 * and rsw_sweep_cancel may be called from any thread and from a signal
 * handler; rsw_sweep_progress_get from any thread while it exists.
 */
#ifndef RINGSWEEP_SWEEP_H
#define RINGSWEEP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "algorithm.h"
#include "algorithms.h"
#include "engine.h"
#include "executor.h"
#include "objectives.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsw_sweep rsw_sweep;

#define RSW_SWEEP_TOP_MAX 10000

/* Called once per committed evaluation, in sequence order, replayed ones
 * included; a non-zero return stops the sweep (as rsw_sweep_stop). */
typedef int (*rsw_sweep_commit_fn)(void *ctx, const double *params,
				   uint32_t nparams, const rsw_result *r);

/* Where a sweep's evaluations run instead of this process's own workers
 * (a transport: the MPI backend's rsw_mpi_executor).  Called once by
 * rsw_sweep_start with the engine configuration the sweep would use
 * (rsw_sweep_node_spec tells remote nodes what they need); fills *ops and
 * *self (executor.h), or returns an RSW_E... code with one sentence in
 * err. */
typedef int (*rsw_sweep_executor_fn)(void *ctx, const rsw_sweep *sw,
				     const rsw_config *engine,
				     const struct rsw_executor_ops **ops,
				     void **self, char *err, size_t errlen);

/* When a sweep stops because too many tasks fail for good (GNU parallel's
 * --halt): rsw_sweep_run then returns RSW_EHALTED, committed results are
 * kept and the store can be resumed.  Counted over this run's tasks (a
 * resumed sweep's replayed rows do not count). */
enum rsw_halt_when {
	RSW_HALT_NEVER = 0,
	RSW_HALT_SOON = 1, /* drain: running tasks finish and are committed */
	RSW_HALT_NOW = 2,  /* at once: nothing more is committed */
};

typedef struct rsw_halt_policy {
	int when;		/* enum rsw_halt_when */
	uint64_t fail_count;	/* halt at this many failed tasks (0: no) */
	double fail_percent;	/* ... or when this share of the tasks
				   committed so far failed, once
				   max(10, 100 / fail_percent) are (0: no) */
} rsw_halt_policy;

/* Parses "never", or "now|soon,fail=N", or "now|soon,fail=P%" (as GNU
 * parallel's --halt) into *out; 0, or RSW_EINVAL with one sentence. */
RSW_EXTERN int rsw_halt_parse(const char *text, rsw_halt_policy *out, char *err,
			      size_t errlen);

/* One objective of a multi-objective sweep, by name: "value", one of the
 * objective's metrics, or the name of what ma_cross's value is
 * ("sharpe", or its --metric). */
typedef struct rsw_objective_goal {
	const char *name;
	int minimize;	/* 1: lower is better; 0: higher */
} rsw_objective_goal;

/*
 * Pruning: evaluations report intermediate values (rsw_task_report), and
 * one worse than the pruner's threshold at its step stops (status pruned,
 * not a failure).  The thresholds of task k come only from the results
 * the algorithm has seen when it suggests k (seqs below k - window, in
 * sequence order), travel with the task, and decide in the worker: a
 * pruned sweep is the same for any number of workers, and after a resume.
 *   median  Optuna's MedianPruner: prune at step s when the best value the
 *           evaluation reported so far is worse than the median of the
 *           completed evaluations' values at s; not before `startup`
 *           evaluations completed, nor at steps below `warmup`;
 *   asha    asynchronous successive halving (Optuna's
 *           SuccessiveHalvingPruner): rungs at steps min_step * eta^r;
 *           at a rung, go on only among the best 1/eta of the values known
 *           there (every evaluation that reached it, this one included).
 * `steps`: how many values each evaluation reports (0: what the objective
 * declares, ma_cross its years); each becomes a column step_I of the
 * results.  Defines the sweep (recorded).
 */
enum rsw_prune_kind {
	RSW_PRUNE_NONE = 0,
	RSW_PRUNE_MEDIAN = 1,
	RSW_PRUNE_ASHA = 2,
};

typedef struct rsw_prune_policy {
	int kind;		/* enum rsw_prune_kind */
	uint32_t steps;		/* values reported per evaluation (0: the
				   objective's own count) */
	uint32_t startup;	/* median: completed first (default 5) */
	uint32_t warmup;	/* median: steps never pruned (default 0) */
	uint32_t min_step;	/* asha: the first rung (default 1) */
	uint32_t eta;		/* asha: the reduction factor (default 4) */
} rsw_prune_policy;

/* Parses "none", "median[,startup=N][,warmup=N][,steps=N]" or
 * "asha[,min=N][,eta=N][,steps=N]" into *out (defaults filled); 0, or
 * RSW_EINVAL with one sentence. */
RSW_EXTERN int rsw_prune_parse(const char *text, rsw_prune_policy *out, char *err,
			       size_t errlen);

typedef struct rsw_sweep_config {
	/* What the sweep is (recorded in the store): */
	const rsw_space *space;	     /* copied at open */
	const char *algo;	     /* a registry name; NULL with `algorithm` */
	rsw_algo_opts algo_opts;     /* direction, seed, evals, ... */
	rsw_algorithm *algorithm;    /* or one of your own (not owned) */
	rsw_objective_spec objective;
	uint32_t window;	     /* 0: the algorithm's default */
	/* Points to evaluate first (a warm start: an earlier study's best,
	 * hand-picked ones), as seqs 0 .. n-1, the algorithm's budget after
	 * them; it learns from their results (rsw_algo_enqueue).  Either
	 * nenqueue x space->n values in parameter order (a category as its
	 * index; copied) or a file (rsw_points_load, read at open against
	 * the sweep's final space).  Each is checked against the space and
	 * the constraints, a bad one refused by its number.  Recorded with
	 * the sweep: a resume needs neither, and refuses other points. */
	const double *enqueue;
	uint64_t nenqueue;
	const char *enqueue_file;
	rsw_config engine;	     /* workers (0: serial, in this process),
					timeouts, attempts, limits, ... */
	/* Where results go: */
	const char *store;	     /* a new SQLite results store; NULL: none */
	const char *results_csv;     /* every evaluation, CSV in seq order;
					written to PATH.partial, renamed at
					close when the sweep finished: a
					file under PATH is never partial */
	const char *command_line;    /* a JSON array kept in the store for
					people (the CLI's argv) */
	rsw_sweep_commit_fn on_commit;
	void *commit_ctx;
	uint32_t top_n;		     /* best evaluations kept (default 5; at
					most RSW_SWEEP_TOP_MAX) */
	/* Where it runs: NULL, this process's engine (engine.workers). */
	rsw_sweep_executor_fn executor;
	void *executor_ctx;
	/* When to give up (an execution setting: a resume takes the
	 * caller's): RSW_HALT_NEVER by default. */
	rsw_halt_policy halt;
	/* A categorical parameter (the series of a multi-series sweep): the
	 * sweep keeps the best evaluation of each of its categories
	 * (rsw_sweep_best_by).  NULL: none.  An execution setting. */
	const char *best_by;
	/* Several objectives (2 .. RSW_MAX_OBJECTIVES; 0: one, the value):
	 * the sweep resolves their names against the objective's metrics
	 * into algo_opts.objectives, and keeps the Pareto front of the
	 * successes (rsw_sweep_pareto).  Defines the sweep (recorded). */
	uint32_t nobjectives;
	rsw_objective_goal objectives[RSW_MAX_OBJECTIVES];
	/* The reference point of the front's hypervolume, in each
	 * objective's own units (the worst value it may have): nhv_ref =
	 * nobjectives values; 0: the worst value of each among the
	 * successes.  An execution setting. */
	uint32_t nhv_ref;
	double hv_ref[RSW_MAX_OBJECTIVES];
	/* Stop unpromising evaluations early (above); kind 0: never. */
	rsw_prune_policy prune;
} rsw_sweep_config;

/* Defaults: no space, algorithm "grid", a minimizing sweep, the engine's
 * defaults with as many workers as CPUs, no store, no CSV, top 5. */
RSW_EXTERN void rsw_sweep_config_init(rsw_sweep_config *c);

/* Validates everything and loads the objective (a plugin's init runs
 * here), creates the store and the CSV file.  Nothing is started.  On
 * failure: an RSW_E... code, one sentence in err, nothing left behind.
 * The sweep keeps copies of cfg's strings (paths, names, metric names):
 * they need not outlive the call. */
RSW_EXTERN int rsw_sweep_open(rsw_sweep **out, const rsw_sweep_config *cfg,
			      char *err, size_t errlen);

/* Opens the sweep stored in `store` to continue it (see above for what
 * `exec` may set; NULL: defaults).  Refuses a foreign or corrupt file, one
 * still being written, one whose inputs changed, naming the culprit. */
RSW_EXTERN int rsw_sweep_resume(rsw_sweep **out, const char *store,
				const rsw_sweep_config *exec, char *err,
				size_t errlen);

/* Starts the engine (forks the supervisor and the workers); rsw_sweep_run
 * starts it if need be.  After this, rsw_sweep_arena names the arena. */
RSW_EXTERN int rsw_sweep_start(rsw_sweep *sw);

/*
 * Runs to completion.  Returns 0, or: RSW_ECANCELED (rsw_sweep_stop /
 * cancel, or on_commit asked to stop), RSW_ETASKFAILED (on_error fail),
 * RSW_EALLFAILED (every evaluation failed), RSW_ESTORE (the store could
 * not be written: the sweep stops, rather than lose results),
 * RSW_EREPLAY (the stored rows are not this sweep's), an engine or
 * algorithm error.  rsw_sweep_errmsg says more.
 */
RSW_EXTERN int rsw_sweep_run(rsw_sweep *sw);

/* Drain: running tasks finish and are committed, queued ones are never
 * started.  Async-signal-safe. */
RSW_EXTERN void rsw_sweep_stop(rsw_sweep *sw);

/* Stop at once: nothing more is committed.  Async-signal-safe. */
RSW_EXTERN void rsw_sweep_cancel(rsw_sweep *sw);

/* Stops the engine, finishes the store (outcome done / interrupted /
 * failed), renames the CSV into place when the sweep finished (0, or
 * RSW_EALLFAILED: every evaluation is in it); a sweep that failed or was
 * stopped keeps what it committed in PATH.partial, and one that never
 * ran leaves no CSV.  Then unloads the objective, frees.  0, or RSW_ESTORE when the last
 * writes failed (rsw_sweep_errmsg is gone by then: the error is in err,
 * which may be NULL). */
RSW_EXTERN int rsw_sweep_close(rsw_sweep *sw, char *err, size_t errlen);

/* The last error, as one sentence ("" if none). */
RSW_EXTERN const char *rsw_sweep_errmsg(const rsw_sweep *sw);

/* -------------------------------------------------------- what it is */

/* The configuration it runs with: a resume's is the one rebuilt from
 * its store, with the caller's execution settings. */
RSW_EXTERN const rsw_sweep_config *rsw_sweep_config_of(const rsw_sweep *sw);
RSW_EXTERN const rsw_space *rsw_sweep_space(const rsw_sweep *sw);
RSW_EXTERN const rsw_objective_info *rsw_sweep_objective(const rsw_sweep *sw);
RSW_EXTERN const char *rsw_sweep_algo_name(const rsw_sweep *sw);
RSW_EXTERN const rsw_algorithm *rsw_sweep_algorithm(const rsw_sweep *sw);
RSW_EXTERN uint32_t rsw_sweep_window(const rsw_sweep *sw);
RSW_EXTERN int rsw_sweep_minimize(const rsw_sweep *sw);
/* Worker processes of this process's engine (0: serial, or an executor's). */
RSW_EXTERN int rsw_sweep_workers(const rsw_sweep *sw);
/* The store's path, or NULL. */
RSW_EXTERN const char *rsw_sweep_store_path(const rsw_sweep *sw);
/* The arena's name once started, or NULL (serial). */
RSW_EXTERN const char *rsw_sweep_arena(const rsw_sweep *sw);
/* Evaluations a resume replays from the store (0 for a new sweep). */
RSW_EXTERN uint64_t rsw_sweep_replayed(const rsw_sweep *sw);
/* The points evaluated first (seqs 0 .. n-1): their number, and
 * *points (may be NULL) at them, n x space->n values; 0 for none. */
RSW_EXTERN uint64_t rsw_sweep_enqueued(const rsw_sweep *sw,
				       const double **points);

/* ---------------------------------------------- points to evaluate first */

/*
 * Reads a warm start's points for `space` from a file: JSON (an array of
 * objects, or an export's {"results": [...]}) when it starts with '[' or
 * '{', else CSV with a header row (RFC 4180 quoting).  A column or key
 * per parameter, named as it is; others are ignored, so an export of an
 * earlier study (`ringsweep export --top 10`) is read as it is.  A value
 * is a number, or a category's name.  Each point is checked against the
 * space and its constraints (rsw_space_check_point).  0 and *points
 * (malloc'd; rsw_points_free), *npoints; or RSW_EINVAL with one sentence
 * naming the file, the row and the column.
 */
RSW_EXTERN int rsw_points_load(const rsw_space *space, const char *path,
			       double **points, uint64_t *npoints, char *err,
			       size_t errlen);
RSW_EXTERN void rsw_points_free(double *points);

/* --------------------------------------------------- how it is going */

typedef struct rsw_sweep_progress {
	uint64_t total;	    /* evaluations planned; 0: unknown */
	uint64_t done;	    /* committed (skipped tasks excluded) */
	uint64_t failed;    /* of which failed */
	uint64_t running;   /* being evaluated now */
	double elapsed_s;
	bool have_best;
	double best;
	uint64_t best_seq;
	double best_params[RSW_MAX_PARAMS_LIMIT];
} rsw_sweep_progress;

/* A consistent snapshot, at most 50 ms old, without ever blocking the
 * committer (it is published with RCU).  Any thread, while the sweep
 * exists; 0, or RSW_ENOENT before the first commit. */
RSW_EXTERN int rsw_sweep_progress_get(const rsw_sweep *sw,
				      rsw_sweep_progress *out);

/* -------------------------------------------------------- what it found */

/* One committed evaluation. */
typedef struct rsw_sweep_row {
	uint64_t seq;
	double value;
	double params[RSW_MAX_PARAMS_LIMIT];
	uint32_t nmetrics;
	double metrics[RSW_MAX_METRICS_LIMIT];
	/* A multi-objective sweep's front: the objectives' values, in their
	 * own units and config order (unset elsewhere). */
	double objectives[RSW_MAX_OBJECTIVES];
} rsw_sweep_row;

typedef struct rsw_sweep_summary {
	uint64_t committed;		    /* evaluations, skipped excluded */
	uint64_t by_status[RSW_STATUS_COUNT_]; /* skipped included */
	uint64_t replayed;
	uint64_t infeasible_points;	    /* grid points the constraints
					       skipped (never run) */
	double wall_s;			    /* of rsw_sweep_run */
	rsw_stats engine;		    /* the engine's counters at the end */
} rsw_sweep_summary;

RSW_EXTERN void rsw_sweep_summary_get(const rsw_sweep *sw,
				      rsw_sweep_summary *out);

/* The algorithm's best: 0, or RSW_ENOENT when nothing succeeded. */
RSW_EXTERN int rsw_sweep_best(const rsw_sweep *sw, rsw_best *out);

/* The top_n best successful evaluations, best first (ties: the earlier
 * seq); returns how many there are (<= top_n) and points *rows at them. */
RSW_EXTERN uint32_t rsw_sweep_top(const rsw_sweep *sw,
				  const rsw_sweep_row **rows);

/* With config.best_by: the best evaluation of each category of that
 * parameter, indexed by category (seq UINT64_MAX: none succeeded); the
 * number of categories, 0 without best_by. */
RSW_EXTERN uint32_t rsw_sweep_best_by(const rsw_sweep *sw,
				      const rsw_sweep_row **rows);

/* A multi-objective sweep's Pareto front: the successful evaluations no
 * other dominates (of equal ones, the earliest), ordered by the first
 * objective, best first; the number of them (0 with one objective). */
RSW_EXTERN uint32_t rsw_sweep_pareto(const rsw_sweep *sw,
				     const rsw_sweep_row **rows);

/* The hypervolume the front dominates up to the reference point, which
 * ref (nobjectives values, may be NULL) receives: config.hv_ref, or the
 * worst value of each objective among the successes.  NaN with one
 * objective or before a success. */
RSW_EXTERN double rsw_sweep_hypervolume(const rsw_sweep *sw, double *ref);

#ifdef __cplusplus
}
#endif
#endif
