/*
 * ringsweep/algorithms.h - the built-in search algorithms: their registry
 * (one X-macro table), their options, and their constructors.
 *
 *   rsw_algo_opts o;
 *   rsw_algo_opts_init(&o);
 *   o.evals = 100;
 *   o.seed = 7;
 *   rsw_algo_create(&algo, "bayes", &space, &o, err, sizeof err);
 *
 * Each returns an rsw_algorithm to pass to rsw_run() and free with
 * rsw_algorithm_destroy().  A bad option is refused with RSW_EINVAL and
 * (rsw_algo_create) one sentence naming it; an unknown name with
 * RSW_ENOTFOUND.  Every algorithm's suggestions are a pure function of
 * (space, options, seed, window, results): the same at any worker count.
 */
#ifndef RINGSWEEP_ALGORITHMS_H
#define RINGSWEEP_ALGORITHMS_H

#include <stdbool.h>
#include <stddef.h>

#include "algorithm.h"
#include "pareto.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The options; each algorithm reads those its registry entry lists. */
typedef struct rsw_algo_opts {
	int minimize;	      /* 1 (default): lower is better; 0: higher */
	uint64_t seed;	      /* default 0 */
	uint64_t evals;	      /* evaluations in all; 0: not given */
	uint32_t population;  /* genetic: individuals a generation (default
				 10; several objectives: 50); cmaes: lambda
				 (default 4 + 3 ln d) */
	uint64_t generations; /* genetic: default 100 (several objectives:
				 20), or evals / population */
	uint32_t init;	      /* bayes: space-filling points before the model
				 (default 10, or 2(d + 1) for d > 4) */
	/* Several objectives (2 .. RSW_MAX_OBJECTIVES; 0: one, the value
	 * in the direction `minimize`): genetic becomes NSGA-II, bayes
	 * ParEGO; grid and random need nothing; cmaes refuses them. */
	uint32_t nobjectives;
	rsw_objective_target objectives[RSW_MAX_OBJECTIVES];
} rsw_algo_opts;

RSW_EXTERN void rsw_algo_opts_init(rsw_algo_opts *o);

enum rsw_algo_option {
	RSW_ALGO_OPT_SEED = 1u << 0,
	RSW_ALGO_OPT_EVALS = 1u << 1,
	RSW_ALGO_OPT_POPULATION = 1u << 2,
	RSW_ALGO_OPT_GENERATIONS = 1u << 3,
	RSW_ALGO_OPT_INIT = 1u << 4,
};

/* "seed", "evals", "population", "generations", "init" (NULL for a
 * value that is not one option). */
RSW_EXTERN const char *rsw_algo_option_name(uint32_t option);

#define RSW__O(x) RSW_ALGO_OPT_##x
/*
 * XX(name, default window (0: the population), options it reads,
 *    options it requires, help).  Adding an algorithm is one line here
 *    and its file, which defines rsw__algo_NAME_create (algorithms/).
 */
#define RSW_ALGO_MAP(XX)                                                       \
	XX(grid, 64, 0, 0,                                                     \
	   "every grid point, last parameter fastest (each needs a step)")     \
	XX(random, 64, RSW__O(SEED) | RSW__O(EVALS), RSW__O(EVALS),            \
	   "evals points, point k a pure function of (seed, k)")              \
	XX(bayes, 4, RSW__O(SEED) | RSW__O(EVALS) | RSW__O(INIT),              \
	   RSW__O(EVALS),                                                      \
	   "Bayesian optimisation: Gaussian process, expected improvement")   \
	XX(genetic, 0,                                                         \
	   RSW__O(SEED) | RSW__O(EVALS) | RSW__O(POPULATION) |                 \
		   RSW__O(GENERATIONS),                                        \
	   0, "real-coded genetic algorithm: tournaments, SBX, elitism")     \
	XX(cmaes, 4096, RSW__O(SEED) | RSW__O(EVALS) | RSW__O(POPULATION),     \
	   RSW__O(EVALS), "CMA-ES, restarted with a doubled population (IPOP)")

typedef struct rsw_algo_info {
	const char *name;
	const char *help;
	uint32_t options;	 /* RSW_ALGO_OPT_* it reads */
	uint32_t required;	 /* ... and those it cannot do without */
	uint32_t default_window; /* 0: one generation (the population) */
} rsw_algo_info;

/* The registry in table order; *n receives its size. */
RSW_EXTERN const rsw_algo_info *rsw_algo_list(size_t *n);

/* An algorithm by name, or NULL. */
RSW_EXTERN const rsw_algo_info *rsw_algo_find(const char *name);

/* What one option means to this algorithm, with its default (NULL when it
 * does not read it). */
RSW_EXTERN const char *rsw_algo_option_help(const rsw_algo_info *a,
					    uint32_t option);

/* Creates algorithm `name`; on failure one sentence in err. */
RSW_EXTERN int rsw_algo_create(rsw_algorithm **out, const char *name,
			       const rsw_space *space, const rsw_algo_opts *o,
			       char *err, size_t errlen);

/*
 * A warm start: *out suggests `points` first (npoints x space->n values
 * in parameter order, a category as its index; copied), as seqs
 * 0 .. npoints-1, then `inner`'s suggestions as seqs npoints.., telling
 * inner its own seqs (0..) -- its budget comes on top of the points.
 * When inner has `observe`, the points' results are a barrier: its first
 * suggestion waits until every one of them is applied, and they are
 * observed in order before it (so the run stays a pure function of the
 * seed, the window and the results); without it, inner starts at once
 * and learns nothing from them.  What the built-ins learn: bayes takes
 * them as observations of its model and counts them in its initial
 * design (init - npoints design points, none when they are as many);
 * genetic seeds its first population with the best of them (at most
 * half of it, the rest random: they are evaluated again, as its elites
 * are); cmaes starts its mean at the best; grid and random ignore them
 * (grid runs every point, a point enqueued too included).  best() is the
 * best of every evaluation, enqueued or suggested.  Each point is checked
 * (rsw_space_check_point): RSW_EINVAL naming it ("enqueued point 3:
 * 'fast': 7.5 is not an integer").  *out does not own inner: destroy
 * inner after it.  minimize: as the options' (for best()).
 */
RSW_EXTERN int rsw_algo_enqueue(rsw_algorithm **out, rsw_algorithm *inner,
				const rsw_space *space, const double *points,
				uint64_t npoints, int minimize, char *err,
				size_t errlen);

/* Points rsw_algo_enqueue takes at most. */
#define RSW_ENQUEUE_MAX 1000000u

/* The initial design bayes runs with these options: init, or its default
 * (10, or 2(d + 1) for d > 4), at most evals. */
RSW_EXTERN uint32_t rsw_algo_bayes_init(uint32_t nparams, const rsw_algo_opts *o);

/* The window `name` runs with when none is given (never the workers). */
RSW_EXTERN uint32_t rsw_algo_default_window(const rsw_algo_info *a,
					    const rsw_algo_opts *o);

/* How many evaluations it will ask for (the grid's size, a genetic run's
 * generations x population, evals); 0 when unknown. */
RSW_EXTERN uint64_t rsw_algo_budget(const rsw_algo_info *a,
				    const rsw_space *space,
				    const rsw_algo_opts *o);

/*
 * One constructor per algorithm, rsw_algo_NAME_create(out, space, opts):
 *   grid    every grid point, last parameter fastest; RSW_EINVAL when a
 *           parameter has no step (a continuous float);
 *   random  evals points; point k depends only on (seed, k);
 *   bayes   a Gaussian process (Matern 5/2, one length scale per
 *           parameter, hyperparameters by maximum likelihood) and expected
 *           improvement; `init` space-filling points first, evals in all.
 *           It never answers WAIT: points still being evaluated are
 *           fantasised, so any window works, and a larger window trades
 *           model information for parallelism.  No point is suggested
 *           twice (after rounding onto integers, steps and categories); a
 *           discrete space smaller than evals ends the run once exhausted.
 *           Meant for costly objectives: a suggestion costs about 2 ms at
 *           100 observations and 55 ms at 1000;
 *   genetic population individuals a generation, generations of them or
 *           evals in all (the last generation then partial); a generation
 *           is a batch (WAIT at its end): run it with a window of at least
 *           the population for a whole generation in parallel;
 *   cmaes   lambda (population) samples a generation, evals in all; a
 *           generation is a batch; a converged or stalled run restarts
 *           from a random mean with twice the population (IPOP).
 */
#define RSW__ALGO_CTOR(name, window, options, required, help)                 \
	RSW_EXTERN int rsw_algo_##name##_create(rsw_algorithm **out,           \
						const rsw_space *space,        \
						const rsw_algo_opts *o);
RSW_ALGO_MAP(RSW__ALGO_CTOR)
#undef RSW__ALGO_CTOR

#ifdef __cplusplus
}
#endif
#endif
