/*
 * algorithms/algorithms.h - what the built-in algorithms share: the
 * best-so-far tracker and the counter-based uniform generator.
 */
#ifndef RSW_ALGORITHMS_INTERNAL_H
#define RSW_ALGORITHMS_INTERNAL_H

#include "ringsweep/algorithm.h"
#include "ringsweep/algorithms.h"
#include "ringsweep/space.h"

struct rsw__best_tracker {
	int minimize;
	int have;
	rsw_best best;
};

void rsw__best_init(struct rsw__best_tracker *t, int minimize);
void rsw__best_track(struct rsw__best_tracker *t, uint32_t nparams,
		     const double *params, const rsw_result *r);
int rsw__best_get(const struct rsw__best_tracker *t, rsw_best *out);

/* Uniform in [0, 1), a pure function of (seed, k, d). */
double rsw__uniform(uint64_t seed, uint64_t k, uint32_t d);

/* A standard normal, a pure function of (seed, k, d): Box-Muller over the
 * uniforms (seed, k, 2d) and (seed, k, 2d + 1). */
double rsw__normal(uint64_t seed, uint64_t k, uint32_t d);

/* Draws a feasible unit point for key k into u by rejection: attempt 0
 * is the plain draw u[d] = rsw__uniform(seed, k, d0 + d), later attempts
 * other seeds, so without constraints nothing changes and with them the
 * point is still a pure function of (seed, k).  0, or RSW_EINFEASIBLE
 * after RSW__FEASIBLE_TRIES rejections (rsw_space_check_feasible found a
 * feasible point, but they are too rare to draw). */
#define RSW__FEASIBLE_TRIES 1000000u
int rsw__feasible_draw(const rsw_space *s, uint64_t seed, uint64_t k, uint32_t d0,
		       double *u);

/* NSGA-II's crowding distance of the points members[0 .. m-1] (one
 * front): crowd[members[k]] is the normalised perimeter of the cuboid
 * its neighbours span, infinite at the ends.  Reorders members. */
void rsw__crowding(const double *points, uint32_t d, uint32_t *members,
		   uint32_t m, double *crowd);

/* Whether v is a value of p; else RSW_EINVAL and why (space.c). */
int rsw__param_check_value(const rsw_param *p, double v, char *why, size_t n);

/* Whether the unit point u decodes to a feasible point. */
bool rsw__unit_feasible(const rsw_space *s, const double *u);

/*
 * genetic's defaults (the registry's budget and window use them too).
 * One objective: a small population, so that 100 evaluations are 10
 * generations, not 2 (a smaller population did better at every budget
 * measured, 50 to 10,000 evaluations, 2 to 20 dimensions; README.md);
 * 10 x 100 keeps the default budget at 1,000.  Several objectives
 * (NSGA-II): 50, so that the parents can hold a front.  Neither depends
 * on the budget: --resume --evals N extends the same run.
 */
#define RSW__GENETIC_POPULATION 10u
#define RSW__GENETIC_GENERATIONS 100u
#define RSW__NSGA2_POPULATION 50u
#define RSW__NSGA2_GENERATIONS 20u

static inline uint32_t
rsw__genetic_population(const rsw_algo_opts *o)
{
	if (o->population != 0)
		return o->population;
	return o->nobjectives >= 2 ? RSW__NSGA2_POPULATION : RSW__GENETIC_POPULATION;
}

static inline uint64_t
rsw__genetic_generations(const rsw_algo_opts *o)
{
	if (o->generations != 0)
		return o->generations;
	return o->nobjectives >= 2 ? RSW__NSGA2_GENERATIONS : RSW__GENETIC_GENERATIONS;
}

/* Pins OpenBLAS to one thread (see blas.c); call before using LAPACKE. */
void rsw__blas_single_thread(void);

/* One sentence into err (which may be NULL with errlen 0) and RSW_EINVAL,
 * for the constructors' option checks. */
int rsw__algo_refuse(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Each algorithm's constructor, with a sentence in err when it refuses
 * (registry.c makes rsw_algo_NAME_create and rsw_algo_create of them). */
#define RSW__ALGO_INTERNAL(name, window, options, required, help)              \
	int rsw__algo_##name##_create(rsw_algorithm **out,                     \
				      const rsw_space *space,                  \
				      const rsw_algo_opts *o, char *err,       \
				      size_t errlen);
RSW_ALGO_MAP(RSW__ALGO_INTERNAL)
#undef RSW__ALGO_INTERNAL

#endif
