/*
 * algorithms/grid.c - exhaustive grid search.
 *
 * Order: the Cartesian product in the order the parameters were given, the
 * last parameter varying fastest (as nested loops written in that order).
 * Non-adaptive: suggestions never depend on results.
 */
#include <math.h>
#include <stdlib.h>

#include "algorithms.h"

struct grid {
	rsw_space space;
	uint64_t total;
	struct rsw__best_tracker best;
};

static int
grid_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct grid *g = a->state;
	uint64_t rest = seq;

	if (seq >= g->total)
		return RSW_SUGGEST_DONE;
	for (uint32_t i = g->space.n; i-- > 0;) {
		const rsw_param *p = &g->space.params[i];
		uint64_t levels = rsw_param_levels(p);

		params[i] = p->lo + (double)(rest % levels) * p->step;
		rest /= levels;
	}
	return RSW_SUGGEST_OK;
}

static int
grid_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct grid *g = a->state;

	rsw__best_track(&g->best, a->nparams, params, r);
	return 0;
}

static int
grid_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct grid *g = a->state;

	return rsw__best_get(&g->best, out);
}

static void
grid_destroy(rsw_algorithm *a)
{
	free(a->state);
	free(a);
}

int
rsw_algo_grid_create(rsw_algorithm **out, const rsw_space *space, int minimize)
{
	rsw_algorithm *a;
	struct grid *g;

	*out = NULL;
	if (space->n == 0 || rsw_space_grid_size(space) == 0)
		return RSW_EINVAL;
	a = calloc(1, sizeof *a);
	g = calloc(1, sizeof *g);
	if (a == NULL || g == NULL) {
		free(a);
		free(g);
		return RSW_ENOMEM;
	}
	g->space = *space;
	g->total = rsw_space_grid_size(space);
	rsw__best_init(&g->best, minimize);
	a->name = "grid";
	a->flags = RSW_ALGO_NON_ADAPTIVE;
	a->nparams = space->n;
	a->state = g;
	a->suggest = grid_suggest;
	a->update = grid_update;
	a->best = grid_best;
	a->destroy = grid_destroy;
	*out = a;
	return 0;
}
