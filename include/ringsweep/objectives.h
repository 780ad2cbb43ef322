/*
 * ringsweep/objectives.h - the objectives a sweep can evaluate, and the
 * loader that turns a description of one into what the engine calls.
 *
 * Four kinds, one spec (set exactly one of name, cmd, fn):
 *   - a built-in, by name (RSW_BUILTIN_MAP below);
 *   - a plugin, name = "PATH.so[:prefix]" (the ABI is objective.h): loaded
 *     with dlopen(RTLD_NOW), its init(arg) run once here, in the loading
 *     process, before any worker exists -- after a trial run in a forked
 *     child, so that an init that crashes, exits or hangs past
 *     init_timeout_s is reported instead of taking the program with it
 *     (init runs twice: keep it free of outside effects);
 *   - an external command per task, cmd = "PROG ARGS {param}...": no
 *     shell (quotes group, backslash escapes), each {name} replaced by that
 *     parameter's value; the last non-empty line of its stdout is the
 *     score, a number or a JSON object with "value" and the fields named
 *     in `metrics`; it runs in `workdir`, in its own process group, killed
 *     whole at a deadline;
 *   - a C function of the program (fn, with its ctx and worker_init).
 * Workers are forked after the load, so whatever it set up (data, caches)
 * is shared copy-on-write, never loaded per task.
 *
 * Every failure is one sentence naming the culprit, and nothing is left
 * loaded: a missing file, symbol or program, an ABI mismatch, a failing
 * init, bad data, a placeholder that is no parameter, the wrong number of
 * parameters for the objective.
 *
 * Thread safety: load and unload from one thread; a plugin's init and
 * fini run in it.
 */
#ifndef RINGSWEEP_OBJECTIVES_H
#define RINGSWEEP_OBJECTIVES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The built-in objectives: XX(name, min_params, max_params (0: any),
 * needs_data, help).  Test functions take the parameters in the order
 * given, whatever their names.
 */
#define RSW_BUILTIN_MAP(XX)                                                    \
	XX(sphere, 1, 0, 0, "sum of squares of all parameters")               \
	XX(rastrigin, 1, 0, 0, "Rastrigin function of all parameters")        \
	XX(rosenbrock, 2, 0, 0,                                               \
	   "Rosenbrock function of all parameters (minimum 0 at 1)")          \
	XX(branin, 2, 2, 0,                                                   \
	   "Branin, 2-D (usually x1 in [-5,10], x2 in [0,15]; min 0.397887)") \
	XX(hartmann6, 6, 6, 0, "Hartmann, 6-D on [0,1]^6 (min -3.32237)")     \
	XX(zdt1, 2, 0, 0, "ZDT1 on [0,1]^n: metrics f1, f2, a convex front "   \
	   "(--minimize f1 --minimize f2)")                                    \
	XX(zdt2, 2, 0, 0, "ZDT2 on [0,1]^n: metrics f1, f2, a concave front") \
	XX(curve, 1, 0, 0, "a synthetic learning curve on [0,1]^n: 20 steps " \
	   "reported (for --prune), the last one the value")                 \
	XX(sleep, 1, 0, 0, "sleeps PARAM1 milliseconds, returns PARAM1")      \
	XX(crashy, 1, 0, 0, "sphere; SIGSEGV on attempt 1 of seqs = 13 mod 97") \
	XX(badinit, 1, 0, 0, "every worker's set-up fails (crash-loop demo)") \
	XX(empty, 0, 0, 0, "returns 0 at once (overhead measurement)")        \
	XX(spin, 1, 0, 0, "busy for PARAM1 microseconds, returns PARAM1")    \
	XX(alloc, 1, 0, 0, "allocates PARAM1 MiB, returns PARAM1 (memory limits)") \
	XX(leak, 1, 0, 0, "allocates PARAM1 MiB and keeps it (soft limit)")   \
	XX(ma_cross, 2, 3, 1,                                                 \
	   "MA crossover backtest: FAST SLOW [COST_BPS] on data/column")

typedef struct rsw_builtin_info {
	const char *name;
	const char *help;
	uint32_t min_params, max_params; /* max 0: any number */
	bool needs_data;		 /* a CSV of prices: data + column */
} rsw_builtin_info;

/* The built-ins in table order; *n receives their number. */
RSW_EXTERN const rsw_builtin_info *rsw_builtin_list(size_t *n);

/* A built-in by name, or NULL. */
RSW_EXTERN const rsw_builtin_info *rsw_builtin_find(const char *name);

enum rsw_objective_kind {
	RSW_OBJECTIVE_KIND_BUILTIN = 1,
	RSW_OBJECTIVE_KIND_PLUGIN = 2,
	RSW_OBJECTIVE_KIND_COMMAND = 3,
	RSW_OBJECTIVE_KIND_FUNCTION = 4,
};

typedef struct rsw_objective_spec {
	const char *name;	/* a built-in's name, or a plugin "PATH.so[:prefix]" */
	const char *arg;	/* plugin: the string its init receives */
	const char *data;	/* ma_cross: CSV of prices, a header row */
	const char *column;	/* ma_cross: the column it trades */
	const char *cmd;	/* an external command template */
	const char *metrics;	/* cmd: JSON fields kept as metrics, "a,b,c" */
	const char *workdir;	/* cmd: where it runs (NULL: the current
				   directory, recorded absolute) */
	rsw_objective_fn fn;	/* a C function of the program ... */
	rsw_worker_init_fn worker_init;
	void *ctx;
	const char *label;	/* ... recorded under this name (NULL: "function") */
	uint32_t nmetrics;	/* ... with these metrics */
	const char *const *metric_names;
	double init_timeout_s;	/* plugin: how long its init may take in the
				   trial run (below); 0: 300 s */
	rsw_worker_fini_fn worker_fini; /* fn's per-worker tear-down */
	const char *metric;	/* ma_cross: what its value is, "sharpe" (NULL)
				   or one of its metrics (calmar, sortino,
				   total_return, profit_factor, ...) */
} rsw_objective_spec;

typedef struct rsw_objective_info {
	int kind;		 /* enum rsw_objective_kind */
	const char *name;	 /* built-in name, plugin path, "cmd" or the label */
	rsw_objective objective; /* what the engine calls */
	uint32_t min_params, max_params; /* max 0: any number */
	uint32_t nmetrics;
	const char *const *metric_names;
	/* For workers started by hand (rsw_external): the built-in to set
	 * up and its argument, or "" when it cannot be rebuilt elsewhere. */
	const char *external_name;
	const char *external_arg;
	/* Absolute paths of the files whose content decides the results
	 * (data, plugin, the command's program); NULL-terminated. */
	const char *const *inputs;
	/* Intermediate values each evaluation reports (rsw_task_report): 0
	 * when it does not say (ma_cross: one a year of 252 trading days). */
	uint32_t steps;
} rsw_objective_info;

typedef struct rsw_loaded_objective rsw_loaded_objective;

/*
 * Loads the objective `spec` describes for a sweep over `space` (the
 * command's placeholders and every objective's parameter count are
 * checked against it; the space must outlive the objective).  0, or
 * RSW_EINVAL / RSW_ENOTFOUND / RSW_EINIT / RSW_ENOMEM with one sentence
 * in err.
 */
RSW_EXTERN int rsw_objective_load(rsw_loaded_objective **out,
				  const rsw_objective_spec *spec,
				  const rsw_space *space, char *err,
				  size_t errlen);

RSW_EXTERN const rsw_objective_info *
rsw_loaded_objective_info(const rsw_loaded_objective *o);

/* Runs a plugin's fini (here, once), unloads, frees (NULL-safe). */
RSW_EXTERN void rsw_objective_unload(rsw_loaded_objective *o);

#ifdef __cplusplus
}
#endif
#endif
