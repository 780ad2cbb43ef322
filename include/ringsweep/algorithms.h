/*
 * ringsweep/algorithms.h - constructors of the built-in search algorithms.
 * Each returns an rsw_algorithm to pass to rsw_run() and free with
 * rsw_algorithm_destroy().
 */
#ifndef RINGSWEEP_ALGORITHMS_H
#define RINGSWEEP_ALGORITHMS_H

#include "algorithm.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Every grid point, last parameter fastest.  RSW_EINVAL when a parameter
 * has no step (continuous float). */
int rsw_algo_grid_create(rsw_algorithm **out, const rsw_space *space,
			 int minimize);

/* `evals` points; point k depends only on (seed, k). */
int rsw_algo_random_create(rsw_algorithm **out, const rsw_space *space,
			   uint64_t evals, uint64_t seed, int minimize);

/* A real-coded genetic algorithm: `population` individuals a generation,
 * `generations` generations (budget population x generations); a
 * generation is a batch (WAIT at its end).  Run it with a window of at
 * least `population` for a whole generation in parallel. */
int rsw_algo_genetic_create(rsw_algorithm **out, const rsw_space *space,
			    uint32_t population, uint64_t generations,
			    uint64_t seed, int minimize);

/* CMA-ES: `lambda` samples a generation (0: 4 + 3 ln d), `evals` in all;
 * a generation is a batch (WAIT at its end).  A converged or stalled run
 * restarts from a random mean with twice the population (IPOP). */
int rsw_algo_cmaes_create(rsw_algorithm **out, const rsw_space *space,
			  uint32_t lambda, uint64_t evals, uint64_t seed,
			  int minimize);

/*
 * Bayesian optimisation: a Gaussian process (Matérn 5/2, one length scale
 * per parameter, hyperparameters by maximum likelihood) and expected
 * improvement; `init` space-filling points first (0: 10, or 2(d + 1) for
 * d > 4 parameters),
 * `evals` in all.  It never answers WAIT: the points still being
 * evaluated are fantasised, so any window works, and a larger window
 * trades model information for parallelism.  No point is suggested
 * twice (after rounding onto integers, steps and categories); a discrete
 * space smaller than `evals` ends the run (DONE) once exhausted.  Meant
 * for costly objectives: a suggestion costs about 2 ms at 100
 * observations and 55 ms at 1000.
 */
int rsw_algo_bayes_create(rsw_algorithm **out, const rsw_space *space,
			  uint64_t evals, uint32_t init, uint64_t seed,
			  int minimize);

#ifdef __cplusplus
}
#endif
#endif
