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
 * a generation is a batch (WAIT at its end). */
int rsw_algo_cmaes_create(rsw_algorithm **out, const rsw_space *space,
			  uint32_t lambda, uint64_t evals, uint64_t seed,
			  int minimize);

#ifdef __cplusplus
}
#endif
#endif
