/*
 * algorithms/cmaes.c - (mu/mu_w, lambda)-CMA-ES with ask/tell.
 *
 * DESIGN
 * The search runs in the unit cube of the parameter space (so every
 * coordinate has the same scale; integers, steps, log scales and
 * categories are decoded by rsw_param_from_unit).  Generation g is the
 * block of seqs g*lambda .. g*lambda+lambda-1, sampled x = m + sigma*B*D*z
 * with z a counter-based standard normal (a pure function of seed,
 * generation, individual and coordinate), and repaired onto the cube: the
 * update uses the repaired points, so the distribution learns where the
 * bounds are.  At the generation boundary suggest() answers WAIT; once the
 * lambda results are in, mean, evolution paths, covariance and step size
 * are updated with the standard settings (Hansen, "The CMA Evolution
 * Strategy: A Tutorial", 2016), and C = B D^2 B' is decomposed with
 * LAPACKE_dsyev rather than hand-written numerics.  Failed evaluations
 * rank last.
 *
 * Restarts (IPOP, Auger & Hansen 2005): once a run has converged or
 * stalls -- the step times the widest axis below 1e-12 (TolX), the best
 * values of the last 10 + 30n/lambda generations and the whole current
 * generation within 1e-12 (TolFun), or C's condition above 1e14 -- the
 * rest of the budget goes to a fresh run from a random mean with twice the
 * population, instead of re-sampling a collapsed distribution.  A
 * generation is then no longer seq / lambda: gen_start is the first seq of
 * the current one.  Every decision depends on results only, so the run is
 * still the same at any worker count.
 *
 * Small budgets (measured on branin, hartmann6 and shifted sphere,
 * Rastrigin and Rosenbrock in 2-10 dimensions at 50-200 evaluations, and
 * on Rastrigin and Rosenbrock-10D at 1,000-20,000; see README.md):
 * - The first run's first generation is a space-filling design, a Latin
 *   hypercube of lambda points over the whole cube, not samples around
 *   the centre; its best point becomes the mean of the first CMA
 *   generation (the design itself updates neither C nor the step).  A
 *   multimodal function is then entered at its best region seen, not at
 *   whatever basin holds the centre.
 * - Mirrored sampling (Brockhoff et al. 2010): individual 2i+1 is
 *   m - sigma*B*D*z of individual 2i's z.  With weighted recombination
 *   over both members of a pair their steps partly cancel, so under
 *   neutral selection the mean moves less than cumulative step-size
 *   adaptation expects and the step shrinks (Auger, Brockhoff & Hansen,
 *   GECCO 2011, whose remedy is pairwise selection); not done here, and
 *   measured only through the results above.
 * - The initial step is 0.2 of the cube (was 0.3): the first generations
 *   refine instead of scattering.
 * None of them depends on the budget (--evals), so a study extended by
 * --resume is still the run of the larger budget.
 *
 * A warm start (`observe`, before the first suggestion): the first run's
 * mean is the best successful observation (ties: the earlier) instead of
 * the design's best -- the design is skipped, the observations already
 * chose where to start --, its step and covariance as usual; restarts
 * are not affected.
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"

#define SIGMA0 0.2		/* initial step, in unit-cube units */
#define LAMBDA_MAX 4096
#define TOL_X 1e-12
#define TOL_FUN 1e-12
#define MAX_CONDITION 1e14
#define HISTORY_MAX 512		/* >= 10 + 30n/lambda for n <= 64, lambda >= 4 */
#define RESTART_KEY (1ull << 62) /* counter keys of the restart means */
#define SAMPLE_TRIES 100
#define TRY_STRIDE 256u /* a try's normals: i + try * TRY_STRIDE (i < 64) */
#define FALLBACK_KEY 0x6661696c6261636bull /* seeds the random fallback */
#define DESIGN_KEY (3ull << 60)	/* counter keys of the first design */

struct cmaes {
	rsw_space space;
	uint32_t n, lambda, mu;
	uint64_t evals, seed;
	int minimize;
	double *w, mueff, cc, cs, c1, cmu, damps, chin;
	double sigma;
	double *m, *ps, *pc, *C, *B, *D, *x, *y, *fit, *tmp, *work;
	uint64_t gen;		/* generation held in x (counted over restarts) */
	uint64_t gen_start;	/* its first seq */
	uint32_t known;
	uint32_t restarts;
	int suggested;		/* observe() is refused after a suggest */
	int design;		/* x holds the first run's design, not samples */
	int have_start;		/* start_fit: the best observation's */
	double start_fit;
	double history[HISTORY_MAX]; /* best value of recent generations */
	uint32_t history_len;	/* generations of this run in history */
	struct rsw__best_tracker best;
};

/* A standard normal, a pure function of (seed, gen, individual, j). */
static double
normal(const struct cmaes *c, uint64_t gen, uint32_t k, uint32_t j)
{
	return rsw__normal(c->seed, (gen << 20) ^ k, j);
}

static double
repair(double u)
{
	return u < 0 ? 0 : u > 0.999999999 ? 0.999999999 : u;
}

/*
 * The first run's first generation: a Latin hypercube of lambda points
 * (coordinate i of point k in stratum perm_i[k] of lambda, uniform
 * within it; each perm_i a Fisher-Yates shuffle of hashed draws), an
 * infeasible point replaced by a random feasible one.  0, or
 * RSW_EINFEASIBLE.
 */
static int
design_sample(struct cmaes *c)
{
	uint32_t n = c->n, lambda = c->lambda, perm[LAMBDA_MAX];

	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < lambda; k++)
			perm[k] = k;
		for (uint32_t k = lambda - 1; k > 0; k--) {
			uint32_t j = (uint32_t)(rsw__uniform(c->seed, DESIGN_KEY + k, i) *
						(k + 1));
			uint32_t t = perm[k];

			if (j > k)
				j = k;
			perm[k] = perm[j];
			perm[j] = t;
		}
		for (uint32_t k = 0; k < lambda; k++)
			c->x[k * n + i] = repair(
				(perm[k] + rsw__uniform(c->seed, DESIGN_KEY + lambda + k, i)) /
				lambda);
	}
	for (uint32_t k = 0; k < lambda; k++)
		if (!rsw__unit_feasible(&c->space, &c->x[k * n]) &&
		    rsw__feasible_draw(&c->space, c->seed ^ FALLBACK_KEY,
				       DESIGN_KEY + k, 0, &c->x[k * n]) != 0)
			return RSW_EINFEASIBLE;
	return 0;
}

/*
 * Samples generation `gen` into x (repaired) and y = (x - m) / sigma,
 * mirrored: individual k odd starts from -z of individual k-1 (the z it
 * kept), so a pair's deviations cancel in the mean unless selection
 * tells them apart.  With constraints an infeasible sample is drawn
 * again (resampling, from the normals of try t: j + t * TRY_STRIDE; a
 * mirror's retries are its own draws), up to SAMPLE_TRIES times, then
 * replaced by a random feasible point.  0, or RSW_EINFEASIBLE.
 */
static int
sample(struct cmaes *c)
{
	uint32_t n = c->n;
	double *pair = c->work; /* the scaled z (D z) of the pair's first */

	if (c->design)
		return design_sample(c);
	for (uint32_t k = 0; k < c->lambda; k++) {
		double *xk = &c->x[k * n], *yk = &c->y[k * n];
		uint32_t try = 0;

		do {
			for (uint32_t i = 0; i < n; i++)
				c->tmp[i] = (k & 1) && try == 0 ?
						    -pair[i] :
						    c->D[i] * normal(c, c->gen, k,
								     i + try * TRY_STRIDE);
			if ((k & 1) == 0)
				memcpy(pair, c->tmp, n * sizeof(double));
			for (uint32_t i = 0; i < n; i++) {
				double bdz = 0;

				for (uint32_t j = 0; j < n; j++)
					bdz += c->B[i * n + j] * c->tmp[j];
				xk[i] = repair(c->m[i] + c->sigma * bdz);
			}
		} while (!rsw__unit_feasible(&c->space, xk) && ++try < SAMPLE_TRIES);
		if (try == SAMPLE_TRIES &&
		    rsw__feasible_draw(&c->space, c->seed ^ FALLBACK_KEY,
				       (c->gen << 20) ^ k, 0, xk) != 0)
			return RSW_EINFEASIBLE;
		for (uint32_t i = 0; i < n; i++)
			yk[i] = (xk[i] - c->m[i]) / c->sigma;
	}
	return 0;
}

static int
by_fitness(const void *a, const void *b, void *ctx)
{
	const double *fit = ctx;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (fit[i] != fit[j])
		return fit[i] > fit[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * (Re)allocates the state for `lambda` samples a generation and starts a
 * run: the first with its design (its mean, the centre, is replaced by
 * the design's best), a restart from a random mean; step SIGMA0, C = I,
 * empty evolution paths and history.
 */
static int
start_run(struct cmaes *c, uint32_t lambda)
{
	uint32_t n = c->n;
	double wsum = 0, w2 = 0, *w, *block;
	size_t vec;

	/* One block for every vector and matrix. */
	vec = 5 * (size_t)n + 3 * (size_t)n * n + 2 * (size_t)lambda * n + lambda +
	      2 * (size_t)n;
	w = calloc(lambda / 2, sizeof(double));
	block = calloc(vec, sizeof(double));
	if (w == NULL || block == NULL) {
		free(w);
		free(block);
		return RSW_ENOMEM;
	}
	free(c->w);
	free(c->m);
	c->w = w;
	c->m = block;
	c->lambda = lambda;
	c->mu = lambda / 2;
	c->ps = c->m + n;
	c->pc = c->ps + n;
	c->D = c->pc + n;
	c->tmp = c->D + n;
	c->C = c->tmp + n;
	c->B = c->C + (size_t)n * n;
	c->x = c->B + (size_t)n * n;
	c->y = c->x + (size_t)lambda * n;
	c->fit = c->y + (size_t)lambda * n;
	c->work = c->fit + lambda;
	for (uint32_t k = 0; k < c->mu; k++) {
		c->w[k] = log(c->mu + 0.5) - log(k + 1.0);
		wsum += c->w[k];
	}
	for (uint32_t k = 0; k < c->mu; k++) {
		c->w[k] /= wsum;
		w2 += c->w[k] * c->w[k];
	}
	c->mueff = 1 / w2;
	c->cc = (4 + c->mueff / n) / (n + 4 + 2 * c->mueff / n);
	c->cs = (c->mueff + 2) / (n + c->mueff + 5);
	c->c1 = 2 / ((n + 1.3) * (n + 1.3) + c->mueff);
	c->cmu = fmin(1 - c->c1, 2 * (c->mueff - 2 + 1 / c->mueff) /
				       ((n + 2.0) * (n + 2.0) + c->mueff));
	c->damps = 1 + 2 * fmax(0, sqrt((c->mueff - 1) / (n + 1)) - 1) + c->cs;
	c->chin = sqrt((double)n) * (1 - 1 / (4.0 * n) + 1 / (21.0 * n * n));
	c->sigma = SIGMA0;
	for (uint32_t i = 0; i < n; i++) {
		c->m[i] = c->restarts == 0 ? 0.5 :
			  rsw__uniform(c->seed, RESTART_KEY + c->restarts, i);
		c->D[i] = 1;
		c->B[i * n + i] = 1;
		c->C[i * n + i] = 1;
	}
	c->design = c->restarts == 0;
	c->history_len = 0;
	c->known = 0;
	return sample(c);
}

/* After the update of a generation whose best is fit[best]: whether this
 * run has converged or stalled (see the top of the file). */
static int
should_restart(struct cmaes *c, uint32_t best)
{
	uint32_t n = c->n, span = 10 + (30 * n + c->lambda - 1) / c->lambda;
	double widest = 0, lo = HUGE_VAL, hi = -HUGE_VAL, dmin = HUGE_VAL,
	       dmax = 0;

	if (span > HISTORY_MAX)
		span = HISTORY_MAX;
	for (uint32_t i = 0; i < n; i++) {
		widest = fmax(widest, fmax(fabs(c->pc[i]), sqrt(c->C[i * n + i])));
		dmin = fmin(dmin, c->D[i]);
		dmax = fmax(dmax, c->D[i]);
	}
	if (c->sigma * widest < TOL_X || dmax * dmax > MAX_CONDITION * dmin * dmin)
		return 1;
	/* The history of generation bests, oldest dropped. */
	if (c->history_len == span) {
		memmove(c->history, c->history + 1, (span - 1) * sizeof(double));
		c->history_len--;
	}
	c->history[c->history_len++] = c->fit[best];
	if (c->history_len < span)
		return 0;
	for (uint32_t g = 0; g < c->history_len; g++) {
		lo = fmin(lo, c->history[g]);
		hi = fmax(hi, c->history[g]);
	}
	for (uint32_t k = 0; k < c->lambda; k++) {
		lo = fmin(lo, c->fit[k]);
		hi = fmax(hi, c->fit[k]);
	}
	/* Failed evaluations (-inf) make the range infinite: no stall. */
	return hi - lo < TOL_FUN;
}

/* The update after a complete generation; then samples the next. */
static int
step(struct cmaes *c)
{
	uint32_t n = c->n, order[4096];
	double *mold = c->work, *dm = c->work + n, norm = 0, hsig;

	for (uint32_t k = 0; k < c->lambda; k++)
		order[k] = k;
	qsort_r(order, c->lambda, sizeof order[0], by_fitness, c->fit);
	if (c->design) {
		/* The design is no sample of the distribution: it moves the
		 * mean to its best success (all failed: the centre stays) and
		 * leaves C, the paths and the step alone. */
		if (c->fit[order[0]] > -INFINITY)
			memcpy(c->m, &c->x[order[0] * n], n * sizeof(double));
		c->design = 0;
		c->gen_start += c->lambda;
		c->gen++;
		c->known = 0;
		return sample(c);
	}
	memcpy(mold, c->m, n * sizeof(double));
	for (uint32_t i = 0; i < n; i++) {
		c->m[i] = 0;
		for (uint32_t k = 0; k < c->mu; k++)
			c->m[i] += c->w[k] * c->x[order[k] * n + i];
		dm[i] = (c->m[i] - mold[i]) / c->sigma;
	}
	/* ps <- (1-cs) ps + sqrt(cs (2-cs) mueff) C^-1/2 dm, with
	 * C^-1/2 = B D^-1 B'. */
	for (uint32_t j = 0; j < n; j++) {
		c->tmp[j] = 0;
		for (uint32_t i = 0; i < n; i++)
			c->tmp[j] += c->B[i * n + j] * dm[i];
		c->tmp[j] /= c->D[j];
	}
	for (uint32_t i = 0; i < n; i++) {
		double v = 0;

		for (uint32_t j = 0; j < n; j++)
			v += c->B[i * n + j] * c->tmp[j];
		c->ps[i] = (1 - c->cs) * c->ps[i] +
			   sqrt(c->cs * (2 - c->cs) * c->mueff) * v;
		norm += c->ps[i] * c->ps[i];
	}
	norm = sqrt(norm);
	hsig = norm / sqrt(1 - pow(1 - c->cs, 2.0 * (double)(c->gen + 1))) / c->chin <
	       1.4 + 2.0 / (n + 1);
	for (uint32_t i = 0; i < n; i++)
		c->pc[i] = (1 - c->cc) * c->pc[i] +
			   hsig * sqrt(c->cc * (2 - c->cc) * c->mueff) * dm[i];
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t j = 0; j <= i; j++) {
			double rank_mu = 0, v;

			for (uint32_t k = 0; k < c->mu; k++)
				rank_mu += c->w[k] * c->y[order[k] * n + i] *
					   c->y[order[k] * n + j];
			v = (1 - c->c1 - c->cmu) * c->C[i * n + j] +
			    c->c1 * (c->pc[i] * c->pc[j] +
				     (1 - hsig) * c->cc * (2 - c->cc) * c->C[i * n + j]) +
			    c->cmu * rank_mu;
			c->C[i * n + j] = c->C[j * n + i] = v;
		}
	}
	c->sigma *= exp((c->cs / c->damps) * (norm / c->chin - 1));
	if (c->sigma > 1)
		c->sigma = 1;
	/* C = B diag(eig) B'; dsyev overwrites its input with eigenvectors
	 * (columns in row-major storage: B[i*n + j] is component i of
	 * eigenvector j). */
	memcpy(c->B, c->C, (size_t)n * n * sizeof(double));
	if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)n, c->B,
			  (lapack_int)n, c->D) != 0)
		return RSW_EALGO;
	for (uint32_t i = 0; i < n; i++)
		c->D[i] = sqrt(c->D[i] > 1e-300 ? c->D[i] : 1e-300);
	c->gen_start += c->lambda;
	c->gen++;
	c->known = 0;
	if (should_restart(c, order[0])) {
		uint32_t lambda = c->lambda * 2 <= LAMBDA_MAX ? c->lambda * 2 : LAMBDA_MAX;

		c->restarts++;
		return start_run(c, lambda);
	}
	return sample(c);
}

static int
cmaes_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct cmaes *c = a->state;
	uint32_t k;

	if (seq >= c->evals)
		return RSW_SUGGEST_DONE;
	c->suggested = 1;
	if (seq >= c->gen_start + c->lambda) {
		int rc;

		if (c->known < c->lambda)
			return RSW_SUGGEST_WAIT; /* the generation barrier */
		rc = step(c);
		if (rc != 0)
			return rc;
	}
	k = (uint32_t)(seq - c->gen_start);
	for (uint32_t i = 0; i < c->n; i++)
		params[i] = rsw_param_from_unit(&c->space.params[i],
						c->x[k * c->n + i]);
	return RSW_SUGGEST_OK;
}

static int
cmaes_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct cmaes *c = a->state;
	int ok = r->status == RSW_STATUS_OK && !isnan(r->value);

	rsw__best_track(&c->best, a->nparams, params, r);
	if (r->seq < c->gen_start || r->seq >= c->gen_start + c->lambda)
		return RSW_EALGO; /* the run loop never does this */
	c->fit[r->seq - c->gen_start] = !ok ? -INFINITY :
					c->minimize ? -r->value : r->value;
	c->known++;
	return 0;
}

/* A better observation moves the first mean there; generation 0 is
 * sampled again around it. */
static int
cmaes_observe(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct cmaes *c = a->state;
	double fit;

	if (c->suggested)
		return RSW_EALGO; /* observations come first (algorithm.h) */
	if (r->status != RSW_STATUS_OK || isnan(r->value))
		return 0;
	fit = c->minimize ? -r->value : r->value;
	if (c->have_start && !(fit > c->start_fit))
		return 0;
	c->have_start = 1;
	c->start_fit = fit;
	c->design = 0;
	for (uint32_t i = 0; i < c->n; i++)
		c->m[i] = rsw_param_to_unit(&c->space.params[i], params[i]);
	return sample(c);
}

static int
cmaes_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct cmaes *c = a->state;

	return rsw__best_get(&c->best, out);
}

static void
cmaes_destroy(rsw_algorithm *a)
{
	struct cmaes *c = a->state;

	free(c->w);
	free(c->m);
	free(c);
	free(a);
}

int
rsw__algo_cmaes_create(rsw_algorithm **out, const rsw_space *space,
		       const rsw_algo_opts *o, char *err, size_t errlen)
{
	uint32_t n = space->n, lambda = o->population;
	struct cmaes *c;
	rsw_algorithm *a;
	int rc;

	*out = NULL;
	if (n == 0 || o->evals == 0)
		return rsw__algo_refuse(err, errlen, "--algo cmaes needs %s",
					n == 0 ? "parameters" :
						 "--evals N (its budget)");
	if (lambda > LAMBDA_MAX || (lambda != 0 && lambda < 4))
		return rsw__algo_refuse(err, errlen, "--algo cmaes: --population "
					"(lambda) must be from 4 to %d, got %u",
					LAMBDA_MAX, lambda);
	if (o->nobjectives >= 2)
		return rsw__algo_refuse(err, errlen, "--algo cmaes optimises one "
					"objective: for %u, use genetic (NSGA-II), "
					"bayes (ParEGO), random or grid",
					o->nobjectives);
	a = calloc(1, sizeof *a);
	c = calloc(1, sizeof *c);
	if (a == NULL || c == NULL) {
		free(a);
		free(c);
		return RSW_ENOMEM;
	}
	c->space = *space;
	c->n = n;
	c->evals = o->evals;
	c->seed = o->seed;
	c->minimize = o->minimize;
	rc = start_run(c, lambda ? lambda : 4 + (uint32_t)floor(3 * log((double)n)));
	if (rc != 0) {
		free(c->w);
		free(c->m);
		free(c);
		free(a);
		return rc;
	}
	rsw__blas_single_thread();
	rsw__best_init(&c->best, o->minimize);
	a->name = "cmaes";
	a->nparams = n;
	a->state = c;
	a->suggest = cmaes_suggest;
	a->update = cmaes_update;
	a->best = cmaes_best;
	a->observe = cmaes_observe;
	a->destroy = cmaes_destroy;
	*out = a;
	return 0;
}
