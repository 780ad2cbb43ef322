/*
 * ringsweep/algorithm.h - the ask/tell interface every search algorithm
 * implements, and rsw_run(), the deterministic loop that drives one.
 *
 * Determinism contract (what rsw_run guarantees an algorithm):
 *   - suggest(k) is called with exactly the updates 0 .. k-window-1 applied
 *     (fewer only at the start), whatever the number of workers;
 *   - update(j) is called in sequence order, and only after suggest(k) has
 *     been called for every k <= j + window (or the algorithm stopped
 *     suggesting);
 *   - when suggest(k) answers RSW_SUGGEST_WAIT, the next update (j = the
 *     oldest outstanding seq) is applied as soon as it is committed and
 *     suggest(k) is asked again.
 * So the whole call sequence is a pure function of (algorithm, seed,
 * window, results): serial, 1 or 64 workers give identical results.
 * A non-adaptive algorithm (RSW_ALGO_NON_ADAPTIVE: its suggestions never
 * depend on results) runs with the window of the engine's max_inflight.
 *
 * Observations (the optional `observe`): evaluations the algorithm did
 * not suggest -- a warm start's points, evaluated first
 * (rsw_algo_enqueue in algorithms.h).  They all come, in their order,
 * before the first suggest(0), so they are part of what the call
 * sequence is a pure function of, and the algorithm's own seqs still
 * start at 0.
 */
#ifndef RINGSWEEP_ALGORITHM_H
#define RINGSWEEP_ALGORITHM_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rsw_suggest_answer {
	RSW_SUGGEST_OK = 0,   /* params filled: evaluate them as task k */
	RSW_SUGGEST_WAIT = 1, /* a barrier: apply more results first */
	RSW_SUGGEST_DONE = 2, /* no more suggestions */
};

enum rsw_algo_flags {
	RSW_ALGO_NON_ADAPTIVE = 1u << 0,
};

/* The best evaluation an algorithm has seen. */
typedef struct rsw_best {
	uint64_t seq;
	double value;
	uint32_t nparams;
	double params[RSW_MAX_PARAMS_LIMIT];
} rsw_best;

typedef struct rsw_algorithm rsw_algorithm;

struct rsw_algorithm {
	const char *name;
	uint32_t flags;	   /* enum rsw_algo_flags */
	uint32_t nparams;
	void *state;
	/* RSW_SUGGEST_* or a negative error. */
	int (*suggest)(rsw_algorithm *a, uint64_t seq, double *params);
	/* result->status != OK: the task failed; value is NaN. */
	int (*update)(rsw_algorithm *a, const double *params,
		      const rsw_result *result);
	/* Optional (NULL: never): true once the algorithm wants nothing more
	 * although it could go on (a target reached, a search converged);
	 * asked before every suggest, and the run then drains.  The built-in
	 * algorithms spend their whole budget and answer DONE instead. */
	bool (*is_complete)(const rsw_algorithm *a);
	/* 0 and *out filled, or RSW_ENOENT when nothing succeeded yet. */
	int (*best)(const rsw_algorithm *a, rsw_best *out);
	void (*destroy)(rsw_algorithm *a);
	/* Optional (NULL: observations are ignored): an evaluation it did
	 * not suggest, to learn from (bayes: an observation of its model;
	 * genetic: a candidate for its first population; cmaes: a candidate
	 * for its first mean).  Failed ones too (status != OK, value NaN).
	 * result->seq is the observation's index (0, 1, ...), not one of its
	 * own seqs; called only before the first suggest.  best() need not
	 * count observations (rsw_algo_enqueue's best does).  0, or a
	 * negative error.  Appended last: an algorithm of your own that
	 * zeroes the struct (calloc, designated initialisers) has none. */
	int (*observe)(rsw_algorithm *a, const double *params,
		       const rsw_result *result);
};

/* Called once per committed evaluation, in sequence order. */
typedef int (*rsw_commit_fn)(void *ctx, const double *params,
			     uint32_t nparams, const rsw_result *result);

typedef struct rsw_run_options {
	uint32_t window;      /* adaptive algorithms; >= 1, <= max_inflight */
	rsw_commit_fn on_commit;
	void *commit_ctx;
	volatile int *stop;   /* set non-zero (e.g. by a signal) to drain out */
	/*
	 * Resume: an earlier run of this same sweep committed seqs
	 * 0 .. replay_count-1.  Those are not evaluated again: when the
	 * algorithm suggests seq k < replay_count, replay() fills *out with
	 * the stored result (it may refuse, < 0, when the stored parameters
	 * differ from the suggested ones: not the same sweep), and the call
	 * order goes on exactly as in the uninterrupted run.
	 */
	uint64_t replay_count;
	int (*replay)(void *ctx, uint64_t seq, const double *params,
		      uint32_t nparams, rsw_result *out);
	void *replay_ctx;
} rsw_run_options;

/*
 * Runs the algorithm to completion on the engine.  Returns 0, or the first
 * error (the engine's or the algorithm's, or RSW_ETASKFAILED with on_error
 * fail, RSW_ECANCELED when *stop was set).  With on_error fail, the first
 * permanently failed task is the last one committed (and applied): later
 * ones that were already running are evaluated but not committed, so what
 * is committed does not depend on the number of workers.
 */
RSW_EXTERN int rsw_run(rsw_engine *e, rsw_algorithm *algo, const rsw_run_options *opt);

/* Convenience: destroy through the vtable (NULL-safe). */
RSW_EXTERN void rsw_algorithm_destroy(rsw_algorithm *a);

#ifdef __cplusplus
}
#endif
#endif
