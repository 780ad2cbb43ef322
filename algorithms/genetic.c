/*
 * algorithms/genetic.c - a real-coded genetic algorithm for mixed spaces.
 *
 * DESIGN
 * Individuals live in the unit cube; a parameter's value is decoded with
 * rsw_param_from_unit, so integers, steps, log scales and categories are
 * all handled by the space.  Generation g is the block of seqs
 * g*P .. g*P+P-1 (P = population); generation 0 is uniform random.
 * Generation g > 0 is bred from generation g-1 once all of it is known:
 * suggest() answers RSW_SUGGEST_WAIT at the boundary (the barrier), which
 * the deterministic run loop turns into "apply results, ask again".
 *
 * Breeding: the E best of the previous generation are copied unchanged
 * (elitism: they are evaluated again, so a noisy objective is re-sampled);
 * the rest are children of two parents chosen by binary tournaments, mixed
 * by simulated binary crossover (SBX, eta 15) and perturbed by polynomial
 * mutation (eta 20, each coordinate with probability 1/d), clipped to the
 * cube.  Failed evaluations rank below every success.  With constraints,
 * an infeasible child is bred again from new draws (new tournaments
 * too), up to CHILD_TRIES times, then replaced by a random feasible
 * point; generation 0 is drawn by rejection.
 *
 * Several objectives (NSGA-II, Deb et al. 2002): a generation is the
 * offspring of the parents selected from the previous parents and
 * offspring together (mu + lambda): by non-dominated rank, then by
 * crowding distance (the least crowded first), then by index; the
 * tournaments compare the same two keys, and there is no elitism (the
 * parents survive by selection, not by being evaluated again).  A
 * failed evaluation's objectives are all infinite: it is dominated by
 * every success.
 *
 * The default population (no --population) is 10 with one objective and
 * 50 with several (algorithms.h): a small generation is bred from
 * results sooner -- 100 evaluations are 10 generations, not 2 --, and it
 * did better at every budget measured up to 10,000; NSGA-II's parents
 * hold a front and keep 50.  It depends on neither the budget nor the
 * dimension, so --resume --evals N extends the run it started.
 *
 * Every random draw is a pure function of (seed, generation, individual,
 * purpose): the run is reproducible at any worker count.
 *
 * A warm start (`observe`, before the first suggestion): the best
 * successful observations, at most half the population so that the
 * random half keeps it diverse, take the first places of generation 0
 * (best first; ties: the earlier), and are evaluated again there as an
 * elite is.  With several objectives no point is best on its own: the
 * first observations that have every objective, in their order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"

#define SBX_ETA 15.0
#define MUT_ETA 20.0
#define CHILD_TRIES 64
#define TRY_STRIDE 4096u /* a try's draws: j + try * TRY_STRIDE (j < 2d) */

enum draw_purpose { D_INIT, D_TOURNAMENT, D_CROSS, D_MUTATE, D_MUT_SIZE, D_SIDE };

struct genetic {
	rsw_space space;
	uint32_t pop, elite;
	uint64_t generations;
	uint64_t evals;	     /* the budget: seqs from here are not suggested */
	uint64_t seed;
	int minimize;
	uint64_t gen;	     /* generation held in `cur` */
	double *cur;	     /* pop x d unit coordinates of generation `gen` */
	double *fit;	     /* pop fitness of generation `gen` (higher better) */
	uint32_t known;	     /* results of generation `gen` applied so far */
	double *next;	     /* scratch for breeding */
	double *seed_fit;    /* the fitness of generation 0's seeds, best first */
	double *seed_x;	     /* ... their values, as observed: a unit round
				trip is not exact on a log scale */
	uint32_t nseeds;     /* seeds in cur[0 .. nseeds-1] (observe) */
	int suggested;	     /* observe() is refused after a suggest */
	struct rsw__best_tracker best;
	/* NSGA-II (nobj >= 2): */
	uint32_t nobj;
	rsw_objective_target targets[RSW_MAX_OBJECTIVES];
	double *cur_obj;     /* pop x nobj objectives of `cur` (lower better) */
	double *par, *par_obj; /* the selected parents (pop of them) */
	int have_parents;
	double *pool, *pool_obj; /* parents + offspring: 2 pop */
	uint32_t *rank, *members;
	double *crowd;
};

static double
draw(const struct genetic *g, uint64_t gen, uint32_t ind, uint32_t purpose,
     uint32_t j)
{
	uint64_t k = ((gen * 0x9e3779b1u + ind) << 8) ^ purpose;

	return rsw__uniform(g->seed, k, j);
}

/* Index of the winner of a binary tournament in the current generation. */
static uint32_t
tournament(const struct genetic *g, uint32_t ind, uint32_t which, uint32_t try)
{
	uint32_t j = 2 * which + try * TRY_STRIDE;
	uint32_t a = (uint32_t)(draw(g, g->gen, ind, D_TOURNAMENT, j) * g->pop);
	uint32_t b = (uint32_t)(draw(g, g->gen, ind, D_TOURNAMENT, j + 1) * g->pop);

	if (a >= g->pop)
		a = g->pop - 1;
	if (b >= g->pop)
		b = g->pop - 1;
	return g->fit[a] >= g->fit[b] ? a : b;
}

static double
clip(double u)
{
	return u < 0 ? 0 : u > 0.999999999 ? 0.999999999 : u;
}

static int
by_fitness_desc(const void *x, const void *y, void *ctx)
{
	const double *fit = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (fit[a] != fit[b])
		return fit[a] > fit[b] ? -1 : 1;
	return a < b ? -1 : a > b; /* ties: earlier individual first */
}

/* Child i of the next generation, from the draws of try `try`. */
static void
make_child(const struct genetic *g, uint32_t i, uint32_t try, double *child)
{
	uint32_t d = g->space.n;
	const double *p1 = &g->cur[tournament(g, i, 0, try) * d];
	const double *p2 = &g->cur[tournament(g, i, 1, try) * d];

	for (uint32_t j = 0; j < d; j++) {
		uint32_t jt = j + try * TRY_STRIDE;
		/* SBX: a spread factor beta around the parents' mean; the
		 * child takes either of SBX's two children, each coordinate
		 * on its own, so it mixes both parents' coordinates (with
		 * beta near 1 each child is near one parent). */
		double u = draw(g, g->gen, i, D_CROSS, jt);
		double beta = u <= 0.5 ? pow(2 * u, 1 / (SBX_ETA + 1)) :
					 pow(1 / (2 * (1 - u)), 1 / (SBX_ETA + 1));
		double side = draw(g, g->gen, i, D_SIDE, jt) < 0.5 ? 1 : -1;
		double c = 0.5 * ((1 + side * beta) * p1[j] + (1 - side * beta) * p2[j]);

		/* Polynomial mutation with probability 1/d. */
		if (draw(g, g->gen, i, D_MUTATE, jt) < 1.0 / d) {
			double r = draw(g, g->gen, i, D_MUT_SIZE, jt);
			double delta = r < 0.5 ? pow(2 * r, 1 / (MUT_ETA + 1)) - 1 :
						 1 - pow(2 * (1 - r), 1 / (MUT_ETA + 1));
			c += delta;
		}
		child[j] = clip(c);
	}
}

/* The draws of individual i of generation gen when it is random. */
static uint64_t
random_key(uint64_t gen, uint32_t i)
{
	return ((gen * 0x9e3779b1u + i) << 8) ^ D_INIT;
}

struct nsga_key {
	const uint32_t *rank;
	const double *crowd;
};

/* Lower rank first, then the least crowded, then the lower index. */
static int
by_rank_crowding(const void *x, const void *y, void *ctx)
{
	const struct nsga_key *k = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	if (k->rank[a] != k->rank[b])
		return k->rank[a] < k->rank[b] ? -1 : 1;
	if (k->crowd[a] != k->crowd[b])
		return k->crowd[a] > k->crowd[b] ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* NSGA-II's survival: the best pop of parents + offspring become the
 * parents, held in `cur` with their tournament keys in `fit` (rank
 * first, crowding second: -rank + a share of one half). */
static int
select_parents(struct genetic *g)
{
	uint32_t d = g->space.n, m = g->nobj, n = 0, placed = 0;
	struct nsga_key key = { g->rank, g->crowd };
	int rc;

	if (g->have_parents) {
		memcpy(g->pool, g->par, (size_t)g->pop * d * sizeof(double));
		memcpy(g->pool_obj, g->par_obj, (size_t)g->pop * m * sizeof(double));
		n = g->pop;
	}
	memcpy(&g->pool[(size_t)n * d], g->cur, (size_t)g->pop * d * sizeof(double));
	memcpy(&g->pool_obj[(size_t)n * m], g->cur_obj,
	       (size_t)g->pop * m * sizeof(double));
	n += g->pop;
	if ((rc = rsw_pareto_rank(g->pool_obj, n, m, g->rank)) != 0)
		return rc;
	for (uint32_t r = 0; placed < n; r++) {
		uint32_t k = 0;

		for (uint32_t i = 0; i < n; i++)
			if (g->rank[i] == r)
				g->members[k++] = i;
		rsw__crowding(g->pool_obj, m, g->members, k, g->crowd);
		placed += k;
	}
	for (uint32_t i = 0; i < n; i++)
		g->members[i] = i;
	qsort_r(g->members, n, sizeof g->members[0], by_rank_crowding, &key);
	for (uint32_t i = 0; i < g->pop; i++) {
		uint32_t s = g->members[i];
		double c = g->crowd[s];

		memcpy(&g->par[(size_t)i * d], &g->pool[(size_t)s * d],
		       d * sizeof(double));
		memcpy(&g->par_obj[(size_t)i * m], &g->pool_obj[(size_t)s * m],
		       m * sizeof(double));
		g->fit[i] = -(double)g->rank[s] + (isinf(c) ? 0.5 : 0.5 * c / (1 + c));
	}
	g->have_parents = 1;
	memcpy(g->cur, g->par, (size_t)g->pop * d * sizeof(double));
	return 0;
}

/* Builds generation gen + 1 from the complete generation gen; 0, or
 * RSW_EINFEASIBLE. */
static int
breed(struct genetic *g)
{
	uint32_t d = g->space.n, order[4096], ne = g->elite < g->pop ? g->elite : 0;
	int rc;

	if (g->nobj >= 2) {
		if ((rc = select_parents(g)) != 0)
			return rc;
		ne = 0;
	}
	for (uint32_t i = 0; i < g->pop; i++)
		order[i] = i;
	qsort_r(order, g->pop, sizeof order[0], by_fitness_desc, g->fit);
	for (uint32_t i = 0; i < ne; i++)
		memcpy(&g->next[i * d], &g->cur[order[i] * d], d * sizeof(double));
	for (uint32_t i = ne; i < g->pop; i++) {
		double *child = &g->next[i * d];
		uint32_t try = 0;

		make_child(g, i, 0, child);
		while (!rsw__unit_feasible(&g->space, child) && ++try < CHILD_TRIES)
			make_child(g, i, try, child);
		if (try == CHILD_TRIES &&
		    rsw__feasible_draw(&g->space, g->seed, random_key(g->gen + 1, i),
				       0, child) != 0)
			return RSW_EINFEASIBLE;
	}
	memcpy(g->cur, g->next, (size_t)g->pop * d * sizeof(double));
	g->gen++;
	g->known = 0;
	return 0;
}

static int
genetic_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct genetic *g = a->state;
	uint64_t gen = seq / g->pop;
	uint32_t ind = (uint32_t)(seq % g->pop), d = g->space.n;
	int rc;

	if (gen >= g->generations || seq >= g->evals)
		return RSW_SUGGEST_DONE;
	g->suggested = 1;
	if (gen > g->gen) {
		if (g->known < g->pop)
			return RSW_SUGGEST_WAIT; /* the generation barrier */
		rc = breed(g);
		if (rc != 0)
			return rc;
	}
	if (gen == 0 && ind < g->nseeds) {
		memcpy(params, &g->seed_x[ind * d], d * sizeof(double));
		return RSW_SUGGEST_OK;
	}
	for (uint32_t j = 0; j < d; j++)
		params[j] = rsw_param_from_unit(&g->space.params[j],
						g->cur[ind * d + j]);
	return RSW_SUGGEST_OK;
}

static int
genetic_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct genetic *g = a->state;
	uint64_t gen = r->seq / g->pop;
	uint32_t ind = (uint32_t)(r->seq % g->pop);
	int ok = r->status == RSW_STATUS_OK && !isnan(r->value);

	rsw__best_track(&g->best, a->nparams, params, r);
	if (gen != g->gen)
		return RSW_EALGO; /* the run loop never does this */
	if (g->nobj >= 2) {
		double *v = &g->cur_obj[(size_t)ind * g->nobj];

		if (!rsw_objective_vector(g->targets, g->nobj, r, v))
			for (uint32_t k = 0; k < g->nobj; k++)
				v[k] = INFINITY;
	} else {
		g->fit[ind] = !ok ? -INFINITY : g->minimize ? -r->value : r->value;
	}
	g->known++;
	return 0;
}

/* Keeps the best observations as generation 0's first individuals: an
 * insertion into cur[0 .. nseeds-1], ordered by fitness, the last seed
 * falling out once there are pop / 2; the random individual a new seed
 * replaces is no longer needed. */
static int
genetic_observe(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct genetic *g = a->state;
	uint32_t d = g->space.n, cap = g->pop / 2, pos;
	double fit;

	if (g->suggested)
		return RSW_EALGO; /* observations come first (algorithm.h) */
	if (r->status != RSW_STATUS_OK || isnan(r->value))
		return 0;
	if (g->nobj >= 2) {
		double v[RSW_MAX_OBJECTIVES];

		/* Several objectives rank no point above another on their
		 * own: the first points that have them all, in their order. */
		if (!rsw_objective_vector(g->targets, g->nobj, r, v))
			return 0;
		fit = -(double)g->nseeds;
	} else {
		fit = g->minimize ? -r->value : r->value;
	}
	for (pos = g->nseeds; pos > 0 && fit > g->seed_fit[pos - 1]; pos--)
		;
	if (pos >= cap)
		return 0;
	if (g->nseeds < cap)
		g->nseeds++;
	memmove(&g->cur[(pos + 1) * d], &g->cur[pos * d],
		(size_t)(g->nseeds - 1 - pos) * d * sizeof(double));
	memmove(&g->seed_fit[pos + 1], &g->seed_fit[pos],
		(size_t)(g->nseeds - 1 - pos) * sizeof(double));
	memmove(&g->seed_x[(pos + 1) * d], &g->seed_x[pos * d],
		(size_t)(g->nseeds - 1 - pos) * d * sizeof(double));
	memcpy(&g->seed_x[pos * d], params, d * sizeof(double));
	for (uint32_t j = 0; j < d; j++)
		g->cur[pos * d + j] = rsw_param_to_unit(&g->space.params[j], params[j]);
	g->seed_fit[pos] = fit;
	return 0;
}

static int
genetic_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct genetic *g = a->state;

	return rsw__best_get(&g->best, out);
}

static void
genetic_destroy(rsw_algorithm *a)
{
	struct genetic *g = a->state;

	free(g->cur);
	free(g->fit);
	free(g->next);
	free(g->cur_obj);
	free(g->par);
	free(g->par_obj);
	free(g->pool);
	free(g->pool_obj);
	free(g->rank);
	free(g->members);
	free(g->crowd);
	free(g->seed_fit);
	free(g->seed_x);
	free(g);
	free(a);
}

int
rsw__algo_genetic_create(rsw_algorithm **out, const rsw_space *space,
			 const rsw_algo_opts *o, char *err, size_t errlen)
{
	struct genetic *g;
	rsw_algorithm *a;
	uint32_t d = space->n;
	uint32_t population = rsw__genetic_population(o);
	uint64_t generations = o->generations, evals = o->evals;

	*out = NULL;
	if (d == 0)
		return rsw__algo_refuse(err, errlen, "--algo genetic needs "
					"parameters");
	if (population < 4 || population > 4096)
		return rsw__algo_refuse(err, errlen, "--algo genetic: --population "
					"must be from 4 to 4096, got %u",
					population);
	/* The budget: evals when given (the last generation partial), else
	 * generations x population; both given must agree. */
	if (evals != 0 && generations != 0 &&
	    (evals + population - 1) / population != generations)
		return rsw__algo_refuse(err, errlen, "--algo genetic: --evals %llu "
					"and --generations %llu disagree (%llu "
					"generations of %u); give one of them",
					(unsigned long long)evals,
					(unsigned long long)generations,
					(unsigned long long)((evals + population - 1) /
							     population),
					population);
	if (generations == 0)
		generations = evals != 0 ? (evals + population - 1) / population :
					   rsw__genetic_generations(o);
	if (evals == 0)
		evals = generations * population;
	a = calloc(1, sizeof *a);
	g = calloc(1, sizeof *g);
	if (a == NULL || g == NULL)
		goto nomem;
	g->cur = calloc((size_t)population * d, sizeof(double));
	g->next = calloc((size_t)population * d, sizeof(double));
	g->fit = calloc(population, sizeof(double));
	g->seed_fit = calloc(population, sizeof(double));
	g->seed_x = calloc((size_t)population * d, sizeof(double));
	if (g->cur == NULL || g->next == NULL || g->fit == NULL ||
	    g->seed_fit == NULL || g->seed_x == NULL)
		goto nomem;
	g->space = *space;
	g->pop = population;
	g->elite = population / 20 > 0 ? population / 20 : 1;
	g->generations = generations;
	g->evals = evals;
	g->seed = o->seed;
	g->minimize = o->minimize;
	a->state = g; /* genetic_destroy frees through it */
	if (o->nobjectives >= 2) {
		size_t m = o->nobjectives, p = population;

		g->nobj = o->nobjectives;
		memcpy(g->targets, o->objectives, m * sizeof g->targets[0]);
		g->cur_obj = calloc(p * m, sizeof(double));
		g->par = calloc(p * d, sizeof(double));
		g->par_obj = calloc(p * m, sizeof(double));
		g->pool = calloc(2 * p * d, sizeof(double));
		g->pool_obj = calloc(2 * p * m, sizeof(double));
		g->rank = calloc(2 * p, sizeof(uint32_t));
		g->members = calloc(2 * p, sizeof(uint32_t));
		g->crowd = calloc(2 * p, sizeof(double));
		if (g->cur_obj == NULL || g->par == NULL || g->par_obj == NULL ||
		    g->pool == NULL || g->pool_obj == NULL || g->rank == NULL ||
		    g->members == NULL || g->crowd == NULL) {
			genetic_destroy(a);
			return RSW_ENOMEM;
		}
	}
	/* The plain draws when every point is feasible. */
	for (uint32_t i = 0; i < population; i++)
		if (rsw__feasible_draw(space, o->seed, random_key(0, i), 0,
				       &g->cur[i * d]) != 0) {
			genetic_destroy(a);
			rsw__algo_refuse(err, errlen, "--algo genetic: the "
					 "constraints leave too few points to "
					 "draw a population");
			return RSW_EINFEASIBLE;
		}
	rsw__best_init(&g->best, o->minimize);
	a->name = "genetic";
	a->nparams = d;
	a->state = g;
	a->suggest = genetic_suggest;
	a->update = genetic_update;
	a->best = genetic_best;
	a->observe = genetic_observe;
	a->destroy = genetic_destroy;
	*out = a;
	return 0;
nomem:
	if (g != NULL) {
		free(g->cur);
		free(g->next);
		free(g->fit);
		free(g->seed_fit);
		free(g->seed_x);
	}
	free(g);
	free(a);
	return RSW_ENOMEM;
}
