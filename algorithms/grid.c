/*
 * algorithms/grid.c - exhaustive grid search.
 *
 * Order: the Cartesian product in the order the parameters were given, the
 * last parameter varying fastest (as nested loops written in that order).
 * Non-adaptive: suggestions never depend on results.  With constraints,
 * seq k is the k-th feasible point in that order: the others are skipped,
 * never suggested (a cursor follows the calls, which come in seq order).
 */
#include <math.h>
#include <stdlib.h>

#include "algorithms.h"

struct grid {
	rsw_space space;
	uint64_t total;	      /* feasible points */
	uint64_t points;      /* all of them */
	uint64_t cursor_seq;  /* the seq of the grid point at cursor_index */
	uint64_t cursor_index;
	struct rsw__best_tracker best;
};

static void
grid_point(const struct grid *g, uint64_t index, double *params)
{
	for (uint32_t i = g->space.n; i-- > 0;) {
		const rsw_param *p = &g->space.params[i];
		uint64_t levels = rsw_param_levels(p);

		params[i] = rsw_param_level(p, index % levels);
		index /= levels;
	}
}

static int
grid_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct grid *g = a->state;

	if (seq >= g->total)
		return RSW_SUGGEST_DONE;
	if (g->space.nconstraints == 0 && g->space.feasible == NULL) {
		grid_point(g, seq, params);
		return RSW_SUGGEST_OK;
	}
	if (seq < g->cursor_seq) { /* asked again from an earlier seq */
		g->cursor_seq = 0;
		g->cursor_index = 0;
	}
	/* total counted every feasible point: the scan ends on one, unless
	 * a feasibility function of the caller's changed its mind. */
	for (;; g->cursor_index++) {
		if (g->cursor_index >= g->points)
			return RSW_EINFEASIBLE;
		grid_point(g, g->cursor_index, params);
		if (!rsw_space_feasible(&g->space, params))
			continue;
		if (g->cursor_seq++ == seq) {
			g->cursor_index++;
			return RSW_SUGGEST_OK;
		}
	}
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
rsw__algo_grid_create(rsw_algorithm **out, const rsw_space *space,
		      const rsw_algo_opts *o, char *err, size_t errlen)
{
	rsw_algorithm *a;
	struct grid *g;

	*out = NULL;
	for (uint32_t i = 0; i < space->n; i++)
		if (rsw_param_levels(&space->params[i]) == 0)
			return rsw__algo_refuse(err, errlen, "--algo grid: "
						"parameter '%s' is continuous; "
						"give it a STEP",
						space->params[i].name);
	if (space->n == 0 || rsw_space_grid_size(space) == 0)
		return rsw__algo_refuse(err, errlen, "--algo grid: the grid %s",
					space->n == 0 ? "has no parameters" :
							"has too many points");
	/* Its feasible points are counted first (the sweep's total). */
	if ((space->nconstraints > 0 || space->feasible != NULL) &&
	    rsw_space_grid_size(space) > RSW_FEASIBLE_COUNT_MAX)
		return rsw__algo_refuse(err, errlen, "--algo grid: with constraints "
					"a grid may have at most %llu points (this "
					"one has %llu): sample it with --algo random",
					(unsigned long long)RSW_FEASIBLE_COUNT_MAX,
					(unsigned long long)rsw_space_grid_size(space));
	a = calloc(1, sizeof *a);
	g = calloc(1, sizeof *g);
	if (a == NULL || g == NULL) {
		free(a);
		free(g);
		return RSW_ENOMEM;
	}
	g->space = *space;
	g->total = rsw_space_feasible_grid_size(space);
	g->points = rsw_space_grid_size(space);
	rsw__best_init(&g->best, o->minimize);
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
