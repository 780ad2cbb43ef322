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
 */
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"

struct cmaes {
	rsw_space space;
	uint32_t n, lambda, mu;
	uint64_t evals, seed;
	int minimize;
	double *w, mueff, cc, cs, c1, cmu, damps, chin;
	double sigma;
	double *m, *ps, *pc, *C, *B, *D, *x, *y, *fit, *tmp, *work;
	uint64_t gen;	/* generation held in x */
	uint32_t known;
	struct rsw__best_tracker best;
};

/* A standard normal, a pure function of (seed, gen, individual, j). */
static double
normal(const struct cmaes *c, uint64_t gen, uint32_t k, uint32_t j)
{
	uint64_t key = (gen << 20) ^ k;
	double u1 = rsw__uniform(c->seed, key, 2 * j);
	double u2 = rsw__uniform(c->seed, key, 2 * j + 1);

	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

static double
repair(double u)
{
	return u < 0 ? 0 : u > 0.999999999 ? 0.999999999 : u;
}

/* Samples generation `gen` into x (repaired) and y = (x - m) / sigma. */
static void
sample(struct cmaes *c)
{
	uint32_t n = c->n;

	for (uint32_t k = 0; k < c->lambda; k++) {
		double *xk = &c->x[k * n], *yk = &c->y[k * n];

		for (uint32_t i = 0; i < n; i++)
			c->tmp[i] = c->D[i] * normal(c, c->gen, k, i);
		for (uint32_t i = 0; i < n; i++) {
			double bdz = 0;

			for (uint32_t j = 0; j < n; j++)
				bdz += c->B[i * n + j] * c->tmp[j];
			xk[i] = repair(c->m[i] + c->sigma * bdz);
			yk[i] = (xk[i] - c->m[i]) / c->sigma;
		}
	}
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

/* The update after a complete generation; then samples the next. */
static int
step(struct cmaes *c)
{
	uint32_t n = c->n, order[4096];
	double *mold = c->work, *dm = c->work + n, norm = 0, hsig;

	for (uint32_t k = 0; k < c->lambda; k++)
		order[k] = k;
	qsort_r(order, c->lambda, sizeof order[0], by_fitness, c->fit);
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
	c->gen++;
	c->known = 0;
	sample(c);
	return 0;
}

static int
cmaes_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct cmaes *c = a->state;
	uint64_t gen = seq / c->lambda;
	uint32_t k = (uint32_t)(seq % c->lambda);

	if (seq >= c->evals)
		return RSW_SUGGEST_DONE;
	if (gen > c->gen) {
		int rc;

		if (c->known < c->lambda)
			return RSW_SUGGEST_WAIT; /* the generation barrier */
		rc = step(c);
		if (rc != 0)
			return rc;
	}
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
	if (r->seq / c->lambda != c->gen)
		return RSW_EALGO; /* the run loop never does this */
	c->fit[r->seq % c->lambda] = !ok ? -INFINITY :
				     c->minimize ? -r->value : r->value;
	c->known++;
	return 0;
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
rsw_algo_cmaes_create(rsw_algorithm **out, const rsw_space *space,
		      uint32_t lambda, uint64_t evals, uint64_t seed, int minimize)
{
	uint32_t n = space->n;
	struct cmaes *c;
	rsw_algorithm *a;
	double wsum = 0, w2 = 0;
	size_t vec;

	*out = NULL;
	if (n == 0 || evals == 0 || lambda > 4096 || (lambda != 0 && lambda < 4))
		return RSW_EINVAL;
	a = calloc(1, sizeof *a);
	c = calloc(1, sizeof *c);
	if (a == NULL || c == NULL) {
		free(a);
		free(c);
		return RSW_ENOMEM;
	}
	c->space = *space;
	c->n = n;
	c->lambda = lambda ? lambda : 4 + (uint32_t)floor(3 * log((double)n));
	c->mu = c->lambda / 2;
	c->evals = evals;
	c->seed = seed;
	c->minimize = minimize;
	c->w = calloc(c->mu, sizeof(double));
	/* One block for every vector and matrix. */
	vec = 5 * (size_t)n + 3 * (size_t)n * n + 2 * (size_t)c->lambda * n +
	      c->lambda + 2 * (size_t)n;
	c->m = calloc(vec, sizeof(double));
	if (c->w == NULL || c->m == NULL) {
		free(c->w);
		free(c->m);
		free(c);
		free(a);
		return RSW_ENOMEM;
	}
	c->ps = c->m + n;
	c->pc = c->ps + n;
	c->D = c->pc + n;
	c->tmp = c->D + n;
	c->C = c->tmp + n;
	c->B = c->C + (size_t)n * n;
	c->x = c->B + (size_t)n * n;
	c->y = c->x + (size_t)c->lambda * n;
	c->fit = c->y + (size_t)c->lambda * n;
	c->work = c->fit + c->lambda;
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
	c->sigma = 0.3;
	for (uint32_t i = 0; i < n; i++) {
		c->m[i] = 0.5;
		c->D[i] = 1;
		c->B[i * n + i] = 1;
		c->C[i * n + i] = 1;
	}
	rsw__blas_single_thread();
	sample(c);
	rsw__best_init(&c->best, minimize);
	a->name = "cmaes";
	a->nparams = n;
	a->state = c;
	a->suggest = cmaes_suggest;
	a->update = cmaes_update;
	a->best = cmaes_best;
	a->destroy = cmaes_destroy;
	*out = a;
	return 0;
}
