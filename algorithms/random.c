/*
 * algorithms/random.c - random search with a counter-based generator.
 *
 * Draw k depends only on (seed, k): coordinate d of suggestion k is a hash
 * of (seed, k, d) (splitmix64 finaliser, 53-bit uniform), so the sequence is
 * identical whatever the order tasks complete in or how many workers run.
 * With constraints an infeasible draw is drawn again from other seeds
 * (rsw__feasible_draw), still a pure function of (seed, k).  Non-adaptive.
 */
#include <math.h>
#include <stdlib.h>

#include "algorithms.h"

struct random_search {
	rsw_space space;
	uint64_t evals;
	uint64_t seed;
	struct rsw__best_tracker best;
};

static uint64_t
mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double
rsw__uniform(uint64_t seed, uint64_t k, uint32_t d)
{
	uint64_t h = mix64(mix64(mix64(seed) ^ k) ^ d);

	return (double)(h >> 11) * 0x1.0p-53;
}

double
rsw__normal(uint64_t seed, uint64_t k, uint32_t d)
{
	double u1 = rsw__uniform(seed, k, 2 * d);
	double u2 = rsw__uniform(seed, k, 2 * d + 1);

	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

static int
random_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct random_search *r = a->state;
	double u[RSW_MAX_PARAMS_LIMIT];
	int rc;

	if (seq >= r->evals)
		return RSW_SUGGEST_DONE;
	rc = rsw__feasible_draw(&r->space, r->seed, seq, 0, u);
	if (rc != 0)
		return rc;
	for (uint32_t d = 0; d < r->space.n; d++)
		params[d] = rsw_param_from_unit(&r->space.params[d], u[d]);
	return RSW_SUGGEST_OK;
}

static int
random_update(rsw_algorithm *a, const double *params, const rsw_result *res)
{
	struct random_search *r = a->state;

	rsw__best_track(&r->best, a->nparams, params, res);
	return 0;
}

static int
random_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct random_search *r = a->state;

	return rsw__best_get(&r->best, out);
}

static void
random_destroy(rsw_algorithm *a)
{
	free(a->state);
	free(a);
}

int
rsw__algo_random_create(rsw_algorithm **out, const rsw_space *space,
			const rsw_algo_opts *o, char *err, size_t errlen)
{
	struct random_search *r;
	rsw_algorithm *a;

	*out = NULL;
	if (space->n == 0 || o->evals == 0)
		return rsw__algo_refuse(err, errlen, "--algo random needs %s",
					space->n == 0 ? "parameters" :
							"--evals N (its budget)");
	a = calloc(1, sizeof *a);
	r = calloc(1, sizeof *r);
	if (a == NULL || r == NULL) {
		free(a);
		free(r);
		return RSW_ENOMEM;
	}
	r->space = *space;
	r->evals = o->evals;
	r->seed = o->seed;
	rsw__best_init(&r->best, o->minimize);
	a->name = "random";
	a->flags = RSW_ALGO_NON_ADAPTIVE;
	a->nparams = space->n;
	a->state = r;
	a->suggest = random_suggest;
	a->update = random_update;
	a->best = random_best;
	a->destroy = random_destroy;
	*out = a;
	return 0;
}
