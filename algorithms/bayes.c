/*
 * algorithms/bayes.c - Bayesian optimisation: a Gaussian-process model of
 * the objective and the expected improvement acquisition.
 *
 * DESIGN
 * Observations live in the unit cube (rsw_param_to_unit: a discrete value
 * sits inside its cell, in the middle for int, cat and stepped floats),
 * outputs are turned into "lower is better", standardised and warped by a
 * Yeo-Johnson power transform whose exponent makes them most nearly
 * normal (from 10 values on): a stationary GP on raw values fits a heavy
 * tail (Goldstein-Price's 10^6 beside its minimum of 3) and smooths away
 * the basin.  Seqs 0 .. init-1 are a Latin hypercube: each
 * coordinate's init strata are a counter-based random permutation, so the
 * design fills the cube and depends only on the seed.
 *
 * Model: zero-mean GP, Matérn 5/2 kernel with one length scale per
 * dimension, a signal variance and a noise variance; a categorical
 * dimension adds 0 or 1 (same category or not) to the scaled distance,
 * not the gap between the categories' arbitrary positions.  The hyperparameters
 * maximise the log marginal likelihood (NLopt L-BFGS with the analytic
 * gradient, started from the previous optimum and from random points);
 * Cholesky factors, solves and the inverse come from LAPACKE (dpotrf,
 * dpotrs, dtrtrs, dpotri).  A failed evaluation (crash, timeout, NaN) is
 * imputed with the worst value observed, so the model learns to avoid the
 * region without ever seeing a NaN (an infinite value counts as failed).
 *
 * Parallelism: the run loop calls suggest(k) with the results 0 .. k-W-1
 * applied (W = window); the other suggested-but-unknown points are
 * fantasised with the kriging believer: their value is the posterior mean.
 * That leaves the mean as it is and shrinks the variance around them, so
 * the next suggestion goes elsewhere and suggest() never has to WAIT (the
 * incumbent, too, counts the fantasies, or EI would stay highest on top of
 * a pending point the mean rates below it).  The
 * call order is the run loop's, so the run is the same at any worker
 * count.
 *
 * Acquisition: log expected improvement (stable where EI underflows),
 * inside a trust region (TuRBO, Eriksson et al. 2019; see trust_region:
 * a box around the best observation that shrinks while nothing improves
 * and grows while things do, replayed from the known results so that it
 * is the same at any worker count; the whole cube for several
 * objectives, whose front needs all of it), evaluated on random points
 * of the region plus points near the best observations, then polished
 * by NLopt L-BFGS from the best few, with the analytic gradient of the
 * posterior, each within POLISH_RADIUS of its start: a polish free to
 * roam followed the posterior's variance to the cube's corners, the
 * least useful points there are, and with many pending points (whose
 * fantasies shrink the variance everywhere else) nearly every
 * suggestion went there.  The winner is snapped onto the space
 * (integers, steps, categories) and must be a point never suggested
 * before (a hash set of them): on a discrete space the continuous optimum
 * of EI tends to round onto a known point again and again, so the next
 * best new point is taken, then a random new one, then (small spaces) the
 * first new grid point; an exhausted discrete space answers DONE.
 *
 * Several objectives (ParEGO, Knowles 2006): every suggestion draws its
 * own weights, uniform on the simplex from (seed, seq), and models the
 * augmented Tchebycheff scalarisation max_k(w_k z_k) + 0.05 sum_k w_k z_k
 * of the objectives, each normalised to [0, 1] over the successes so
 * far; successive suggestions so aim at different parts of the front.
 * Observations it did not suggest (a warm start's points, `observe`)
 * come before its first suggestion: they are rows 0 .. nobs-1 of its
 * tables, its own seq k is row nobs + k (draws stay keyed by k), and they
 * count in the initial design, which keeps its first init - nobs points.
 *
 * Cost: a refit of the hyperparameters is O(F^3) per likelihood evaluation
 * (F <= FIT_MAX observations, a deterministic subset beyond), the
 * posterior O(M^3) once per suggestion (M <= MODEL_MAX: beyond, the best
 * half and the most recent half), each acquisition evaluation O(M^2).
 * Hyperparameters are refitted at every new observation while there are
 * few, then as the data grows by REFIT_GROWTH.
 */
#include <lapacke.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"
#include "gp.h"

#define MODEL_MAX 1000		/* observations in the posterior */
#define FANTASY_MAX 512		/* pending points fantasised (the latest) */
#define FIT_MAX 250		/* observations the likelihood sees */
#define REFIT_EVERY_UNTIL 64	/* refit at every observation up to this */
#define REFIT_GROWTH 0.1	/* then when the data grew by this fraction */
#define RANDOM_CANDIDATES 512
#define LOCAL_CENTRES 5		/* best observations sampled around */
#define LOCAL_CANDIDATES 32	/* around each of them */
#define NCAND (RANDOM_CANDIDATES + LOCAL_CENTRES * LOCAL_CANDIDATES)
#define LOCAL_SPREAD 0.05
#define ACQ_STARTS 4
#define ACQ_MAXEVAL 60
#define POLISH_RADIUS 0.05	/* how far the polish may move a candidate */
#define VAR_FLOOR 1e-12		/* relative to the signal variance */
#define FRESH_TRIES 256		/* random draws for a point not seen yet */
#define GRID_SCAN_MAX (1u << 22) /* discrete spaces small enough to scan */

/* Independent streams of the counter-based generator. */
enum draw_stream { S_DESIGN = 1, S_JITTER, S_CAND, S_FIT, S_WEIGHTS };
#define PAREGO_RHO 0.05 /* the augmented Tchebycheff's linear share */

struct bayes {
	rsw_space space;
	uint32_t n, init;
	uint32_t design;	/* design points run: init less the observations */
	uint64_t evals, seed;
	uint64_t nobs;		/* rows 0 .. nobs-1: observations (observe) */
	uint64_t rows;		/* the tables' capacity, >= evals + nobs */
	uint32_t fmax;		/* the fit's capacity: min(FIT_MAX, rows) */
	int suggested;		/* observe() is refused after a suggest */
	int minimize;
	double *U;		/* rows x n: unit coordinates of every row */
	double *f;		/* rows: value to minimise, NaN when failed */
	uint32_t *strata;	/* init x n: the Latin hypercube permutations */
	uint64_t nupd;		/* rows 0 .. nupd-1 are known */
	double theta[RSW_GP_THETA_MAX];
	int fitted;
	uint64_t fit_at;	/* observations at the last refit */
	uint64_t fits;		/* refits so far (keys the random restarts) */
	rsw__gp gp;
	double fbest;		/* best standardised real value in gp */
	uint32_t *idx;		/* scratch: the model's observations */
	uint8_t *chosen;	/* scratch: the model's observations */
	double *fy;		/* scratch: imputed values */
	double *cand;		/* NCAND x n candidates, then their means */
	double *cand_k;		/* their kernel columns, cap x NCAND */
	uint32_t cand_cap;
	double *fit_K, *fit_X, *fit_y, *fit_alpha, *fit_kern, *fit_gfac;
	uint32_t *order;	/* scratch: candidates by log EI */
	/* Every suggested point (by its U row), so none is suggested twice:
	 * open addressing, seq + 1 per slot, 0 empty. */
	uint32_t *seen;
	uint64_t seen_mask, distinct;
	uint64_t grid;		/* points of a fully discrete space, else 0 */
	uint64_t feasible;	/* ... of which feasible (grid when no
				   constraints; grid, too, beyond GRID_SCAN_MAX) */
	uint32_t levels[RSW_MAX_PARAMS_LIMIT]; /* categories, 0 if not cat */
	double tr_lo[RSW_MAX_PARAMS_LIMIT], tr_hi[RSW_MAX_PARAMS_LIMIT];
	struct rsw__best_tracker best;
	uint32_t nobj;		/* ParEGO (>= 2): */
	rsw_objective_target targets[RSW_MAX_OBJECTIVES];
	double *F;		/* rows x nobj objectives, NaN when failed */
};

static uint64_t
stream_seed(const struct bayes *b, enum draw_stream s)
{
	return b->seed ^ ((uint64_t)s * 0x9e3779b97f4a7c15ull);
}

static double
draw(const struct bayes *b, enum draw_stream s, uint64_t k, uint32_t d)
{
	return rsw__uniform(stream_seed(b, s), k, d);
}

/* ------------------------------------------------- suggested points */

/* x snapped onto the space, as unit coordinates: the point that will
 * really be evaluated (an integer's, a step's, a category's cell). */
static void
snap(const struct bayes *b, const double *x, double *u)
{
	for (uint32_t d = 0; d < b->n; d++) {
		const rsw_param *p = &b->space.params[d];
		double v = rsw_param_from_unit(p, x[d] < 1 ? x[d] : 0x1.fffffffffffffp-1);

		u[d] = rsw_param_to_unit(p, v);
	}
}

static uint64_t
point_hash(const double *u, uint32_t n)
{
	uint64_t h = 0x243f6a8885a308d3ull;

	for (uint32_t d = 0; d < n; d++) {
		uint64_t bits;

		memcpy(&bits, &u[d], sizeof bits);
		h = (h ^ bits) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

/* Whether a snapped point was suggested before (evaluated or pending). */
static int
seen_contains(const struct bayes *b, const double *u)
{
	uint32_t n = b->n;

	for (uint64_t i = point_hash(u, n) & b->seen_mask;; i = (i + 1) & b->seen_mask) {
		uint32_t s = b->seen[i];

		if (s == 0)
			return 0;
		if (memcmp(&b->U[(size_t)(s - 1) * n], u, n * sizeof(double)) == 0)
			return 1;
	}
}

static void
seen_add(struct bayes *b, uint64_t seq)
{
	const double *u = &b->U[seq * b->n];
	uint64_t i = point_hash(u, b->n) & b->seen_mask;

	if (seen_contains(b, u))
		return;
	while (b->seen[i] != 0)
		i = (i + 1) & b->seen_mask;
	b->seen[i] = (uint32_t)(seq + 1);
	b->distinct++;
}

/* ------------------------------------------------------------ model */

static int
by_value(const void *pa, const void *pb, void *ctx)
{
	const double *fy = ctx;
	uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;

	if (fy[i] != fy[j])
		return fy[i] < fy[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

static int
by_seq(const void *pa, const void *pb)
{
	uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;

	return i < j ? -1 : i > j;
}

/*
 * Chooses the real observations of the model into idx (ascending seq)
 * and their imputed values into fy; returns how many, 0 when nothing has
 * succeeded yet.
 */
static uint32_t
choose_observations(struct bayes *b)
{
	uint64_t nobs = b->nupd;
	double worst = -HUGE_VAL;
	uint32_t m = 0, ok = 0;

	for (uint64_t s = 0; s < nobs; s++)
		if (!isnan(b->f[s])) {
			ok++;
			if (b->f[s] > worst)
				worst = b->f[s];
		}
	if (ok == 0)
		return 0;
	for (uint64_t s = 0; s < nobs; s++)
		b->fy[s] = isnan(b->f[s]) ? worst : b->f[s];
	if (nobs <= MODEL_MAX) {
		for (uint64_t s = 0; s < nobs; s++)
			b->idx[m++] = (uint32_t)s;
		return m;
	}
	/* Too many for O(M^3): the best half and the most recent half. */
	for (uint64_t s = 0; s < nobs; s++)
		b->idx[s] = (uint32_t)s;
	qsort_r(b->idx, nobs, sizeof b->idx[0], by_value, b->fy);
	m = MODEL_MAX / 2;
	memset(b->chosen, 0, nobs);
	for (uint32_t i = 0; i < m; i++)
		b->chosen[b->idx[i]] = 1;
	for (uint64_t s = nobs; s-- > 0 && m < MODEL_MAX;)
		if (!b->chosen[s])
			b->idx[m++] = (uint32_t)s;
	qsort(b->idx, m, sizeof b->idx[0], by_seq);
	return m;
}

static int
refit_due(const struct bayes *b, uint64_t nobs)
{
	if (!b->fitted)
		return 1;
	if (nobs <= REFIT_EVERY_UNTIL)
		return nobs != b->fit_at;
	return (double)nobs >= (double)b->fit_at * (1 + REFIT_GROWTH);
}

/* Room for m model points in the model and the candidates' columns. */
static int
reserve_model(struct bayes *b, uint32_t m)
{
	int rc = rsw__gp_reserve(&b->gp, b->n, m);

	if (rc != 0)
		return rc;
	if (b->cand_cap < b->gp.cap) {
		double *ck = malloc((size_t)NCAND * b->gp.cap * sizeof(double));

		if (ck == NULL)
			return RSW_ENOMEM;
		free(b->cand_k);
		b->cand_k = ck;
		b->cand_cap = b->gp.cap;
	}
	return 0;
}

/* ParEGO: f of every known row is the scalarisation with the weights of
 * the algorithm's own suggestion `seq`. */
static void
scalarise(struct bayes *b, uint64_t seq)
{
	double w[RSW_MAX_OBJECTIVES], lo[RSW_MAX_OBJECTIVES], hi[RSW_MAX_OBJECTIVES];
	double sum = 0;
	uint32_t m = b->nobj;

	for (uint32_t k = 0; k < m; k++) {
		w[k] = -log(1 - draw(b, S_WEIGHTS, seq, k)); /* exponential */
		sum += w[k];
		lo[k] = HUGE_VAL;
		hi[k] = -HUGE_VAL;
	}
	for (uint32_t k = 0; k < m; k++)
		w[k] = sum > 0 ? w[k] / sum : 1.0 / m;
	for (uint64_t s = 0; s < b->nupd; s++)
		for (uint32_t k = 0; k < m && !isnan(b->F[s * m]); k++) {
			double v = b->F[s * m + k];

			lo[k] = v < lo[k] ? v : lo[k];
			hi[k] = v > hi[k] ? v : hi[k];
		}
	for (uint64_t s = 0; s < b->nupd; s++) {
		double most = -HUGE_VAL, lin = 0;

		if (isnan(b->F[s * m])) {
			b->f[s] = NAN;
			continue;
		}
		for (uint32_t k = 0; k < m; k++) {
			double z = hi[k] > lo[k] ? (b->F[s * m + k] - lo[k]) / (hi[k] - lo[k]) : 0;

			most = w[k] * z > most ? w[k] * z : most;
			lin += w[k] * z;
		}
		b->f[s] = most + PAREGO_RHO * lin;
	}
}

/* y standardised to mean 0 and variance 1 (a constant: all 0). */
static void
standardise(double *y, uint32_t m)
{
	double mean = 0, sd = 0;

	for (uint32_t i = 0; i < m; i++)
		mean += y[i];
	mean /= m;
	for (uint32_t i = 0; i < m; i++)
		sd += (y[i] - mean) * (y[i] - mean);
	sd = m > 1 ? sqrt(sd / (m - 1)) : 0;
	if (!(sd > 0))
		sd = 1;
	for (uint32_t i = 0; i < m; i++)
		y[i] = (y[i] - mean) / sd;
}

/* The Yeo-Johnson power transform of z with exponent lambda. */
static double
yeo_johnson(double z, double lambda)
{
	if (z >= 0)
		return fabs(lambda) < 1e-9 ? log1p(z) : (pow(z + 1, lambda) - 1) / lambda;
	return fabs(lambda - 2) < 1e-9 ? -log1p(-z) :
		-(pow(1 - z, 2 - lambda) - 1) / (2 - lambda);
}

#define WARP_LAMBDA_LO (-2.0)
#define WARP_LAMBDA_HI 4.0
#define WARP_LAMBDA_STEPS 60
#define WARP_MIN 10		/* fewer values say nothing of a tail */

/*
 * The model's values: standardised, then Yeo-Johnson warped with the
 * exponent of greatest profile likelihood of normality (a grid of
 * exponents, so no optimiser can wander), then standardised again.  A
 * heavy tail -- Goldstein-Price's 10^6 beside its minimum of 3 -- would
 * otherwise make a stationary GP fit the tail and smooth away the basin.
 */
static void
warp_outputs(double *y, uint32_t m)
{
	double best_ll = -HUGE_VAL, best_lambda = 1, jac = 0;

	standardise(y, m);
	if (m < WARP_MIN)
		return;
	for (uint32_t i = 0; i < m; i++)
		jac += copysign(log1p(fabs(y[i])), y[i]);
	for (uint32_t k = 0; k <= WARP_LAMBDA_STEPS; k++) {
		double lambda = WARP_LAMBDA_LO + (WARP_LAMBDA_HI - WARP_LAMBDA_LO) * k /
						      WARP_LAMBDA_STEPS;
		double mean = 0, var = 0, ll;

		for (uint32_t i = 0; i < m; i++)
			mean += yeo_johnson(y[i], lambda);
		mean /= m;
		for (uint32_t i = 0; i < m; i++) {
			double d = yeo_johnson(y[i], lambda) - mean;

			var += d * d;
		}
		var /= m;
		if (!(var > 0))
			continue;
		ll = -0.5 * m * log(var) + (lambda - 1) * jac;
		if (ll > best_ll) {
			best_ll = ll;
			best_lambda = lambda;
		}
	}
	for (uint32_t i = 0; i < m; i++)
		y[i] = yeo_johnson(y[i], best_lambda);
	standardise(y, m);
}

/* The posterior for the suggestion of row `row`: real observations, then
 * the latest pending rows (at most FANTASY_MAX of nupd .. row-1) as
 * kriging-believer fantasies.  RSW_ENOENT while nothing has succeeded. */
static int
build_model(struct bayes *b, uint64_t row)
{
	rsw__gp *gp = &b->gp;
	uint32_t n = b->n, nreal;
	uint64_t pending = row - b->nupd;
	uint64_t first_pending = pending > FANTASY_MAX ? row - FANTASY_MAX : b->nupd;
	int rc;

	if (pending > FANTASY_MAX)
		pending = FANTASY_MAX;
	if (b->nobj >= 2)
		scalarise(b, row - b->nobs);
	nreal = choose_observations(b);
	if (nreal == 0)
		return RSW_ENOENT;
	if ((rc = reserve_model(b, nreal + (uint32_t)pending)) != 0)
		return rc;
	gp->m = nreal + (uint32_t)pending;
	gp->nreal = nreal;
	for (uint32_t i = 0; i < nreal; i++) {
		uint32_t s = b->idx[i];

		memcpy(&gp->X[(size_t)i * n], &b->U[(size_t)s * n], n * sizeof(double));
		gp->y[i] = b->fy[s];
	}
	warp_outputs(gp->y, nreal);
	b->fbest = HUGE_VAL;
	for (uint32_t i = 0; i < nreal; i++)
		if (!isnan(b->f[b->idx[i]]) && gp->y[i] < b->fbest)
			b->fbest = gp->y[i];
	for (uint32_t i = nreal; i < gp->m; i++)
		memcpy(&gp->X[(size_t)i * n], &b->U[(first_pending + i - nreal) * n],
		       n * sizeof(double));

	if (refit_due(b, b->nupd)) {
		/* A deterministic, evenly spread subset when there are many. */
		uint32_t f = nreal <= FIT_MAX ? nreal : FIT_MAX;
		rsw__gp_data data = { n, f, b->fit_X, b->fit_y, b->fit_K, b->fit_alpha,
				      b->levels, b->fit_kern, b->fit_gfac };

		for (uint32_t i = 0; i < f; i++) {
			uint32_t r = (uint32_t)((uint64_t)i * nreal / f);

			memcpy(&b->fit_X[(size_t)i * n], &gp->X[(size_t)r * n],
			       n * sizeof(double));
			b->fit_y[i] = gp->y[r];
		}
		rc = rsw__gp_fit(&data, b->theta, b->fitted, stream_seed(b, S_FIT),
				 b->fits);
		if (rc == 0) {
			b->fitted = 1;
			b->fits++;
		} else if (!b->fitted) {
			/* No feasible start at all: neutral hyperparameters for
			 * now, another fit at the next observation. */
			rsw__gp_neutral_theta(n, b->theta);
		}
		b->fit_at = b->nupd;
	}
	if ((rc = rsw__gp_condition(gp, b->theta)) != 0)
		return rc;
	/* The believer believes its fantasies: one below the incumbent is
	 * the incumbent, or the next suggestion would sit on top of it. */
	for (uint32_t i = nreal; i < gp->m; i++)
		if (gp->y[i] < b->fbest)
			b->fbest = gp->y[i];
	return 0;
}

/* ------------------------------------------------------ acquisition */

static double
acquisition(unsigned n, const double *x, double *grad, void *ctx)
{
	struct bayes *b = ctx;
	double mu, var, dmu[RSW_MAX_PARAMS_LIMIT], dvar[RSW_MAX_PARAMS_LIMIT];

	if (grad == NULL) {
		rsw__gp_predict(&b->gp, x, &mu, &var, NULL, NULL);
		return rsw__log_ei(b->fbest, mu, var, VAR_FLOOR * b->gp.s2, n, NULL,
				   NULL, NULL);
	}
	rsw__gp_predict(&b->gp, x, &mu, &var, dmu, dvar);
	return rsw__log_ei(b->fbest, mu, var, VAR_FLOOR * b->gp.s2, n, dmu, dvar,
			   grad);
}

/* Candidate c of suggestion seq: uniform, or near one of the best real
 * observations. */
static void
candidate(const struct bayes *b, uint64_t seq, uint32_t c,
	  const uint32_t *best_rows, uint32_t nbest, double *x)
{
	uint64_t key = seq * 65536 + c;
	uint32_t n = b->n;

	if (c < RANDOM_CANDIDATES || nbest == 0) {
		for (uint32_t d = 0; d < n; d++)
			x[d] = b->tr_lo[d] + (b->tr_hi[d] - b->tr_lo[d]) *
						     draw(b, S_CAND, key, 2 * n + d);
		return;
	}
	c -= RANDOM_CANDIDATES;
	{
		const double *centre = &b->gp.X[(size_t)best_rows[c % nbest] * n];

		for (uint32_t d = 0; d < n; d++)
			x[d] = fmin(fmax(centre[d] + LOCAL_SPREAD *
						  rsw__normal(stream_seed(b, S_CAND), key, d),
					  b->tr_lo[d]), b->tr_hi[d]);
	}
}

#define TR_INIT 0.8
#define TR_MIN (1.0 / 128)
#define TR_MAX 1.6
#define TR_SUCCESSES 3
#define TR_SPREAD 1.3862943611198906 /* ln 4: sides differ at most 16-fold */

/*
 * The trust region of the next suggestion (TuRBO, Eriksson et al. 2019):
 * a box around the best observation, its sides L times each input's
 * length scale over their geometric mean (clamped to 4 times either way,
 * so one long scale cannot make the box a slab).  L is replayed from the
 * known results in seq order, in blocks of q = the pending points (the
 * window: the results one model saw no part of): a block improves if
 * one of its results beats the best before it by 1e-3 relative; L halves
 * after ceil(max(4, n) / q) blocks in a row that do not, doubles after 3
 * that do -- TuRBO's rules for batches of q -- so it depends on nothing
 * but those results and the window.  A box that shrinks below TR_MIN
 * starts again at TR_INIT around the best point: TuRBO restarts there
 * from a new design, but the model here keeps every observation, and
 * the wide box lets expected improvement leave a local optimum whose
 * refinement has run out (measured on the suite at 200 evaluations,
 * against a box that stays the whole cube until something improves:
 * better on 14 functions, worse on 2, one of them by 2e-6).  Categories
 * keep all their levels;
 * several objectives keep the whole cube.
 */
static void
trust_region(struct bayes *b, uint64_t pending)
{
	uint32_t n = b->n, q = pending > 0 ? (uint32_t)pending : 1;
	uint32_t fails_max = ((n > 4 ? n : 4) + q - 1) / q, succ = 0, fail = 0, boxed = 0;
	double L = TR_INIT, best = HUGE_VAL, block_start = HUGE_VAL, logmean = 0;
	uint64_t best_row = 0, levels;
	int improved = 0;

	for (uint64_t r = 0; r < b->nupd; r++) {
		double v = isnan(b->f[r]) ? HUGE_VAL : b->f[r];

		if (r >= b->init) {
			if ((r - b->init) % q == 0) {
				block_start = best;
				improved = 0;
			}
			/* Nothing has succeeded before: any success improves. */
			if (isinf(block_start) ? v < HUGE_VAL :
						 v < block_start - 1e-3 * fabs(block_start))
				improved = 1;
			if ((r - b->init) % q == q - 1) {
				if (improved) {
					succ++;
					fail = 0;
				} else {
					fail++;
					succ = 0;
				}
				if (succ >= TR_SUCCESSES) {
					L = fmin(2 * L, TR_MAX);
					succ = 0;
				} else if (fail >= fails_max) {
					L /= 2;
					fail = 0;
					if (L < TR_MIN)
						L = TR_INIT;
				}
			}
		}
		if (v < best) {
			best = v;
			best_row = r;
		}
	}
	/* The boxed inputs' mean log length: a category's length scales a
	 * 0/1 mismatch, not a distance, and keeps all its levels anyway. */
	for (uint32_t d = 0; d < n; d++)
		boxed += b->levels[d] == 0;
	for (uint32_t d = 0; d < n; d++)
		if (b->levels[d] == 0)
			logmean += b->theta[d] / boxed;
	for (uint32_t d = 0; d < n; d++) {
		double half = 0.5 * L * exp(fmin(fmax(b->theta[d] - logmean, -TR_SPREAD), TR_SPREAD)),
		       c = b->U[best_row * n + d];

		if (b->nobj >= 2 || !isfinite(best) || b->levels[d] > 0) {
			b->tr_lo[d] = 0;
			b->tr_hi[d] = 1;
			continue;
		}
		/* A discrete input's box keeps the cells beside the best one:
		 * narrower, every candidate snaps back onto a known point. */
		levels = rsw_param_levels(&b->space.params[d]);
		if (levels > 1 && half < 1.0 / (double)levels)
			half = 1.0 / (double)levels;
		b->tr_lo[d] = fmax(0, c - half);
		b->tr_hi[d] = fmin(1, c + half);
	}
}

/* The unit point that maximises log EI for suggestion seq. */
static int
by_log_ei(const void *pa, const void *pb, void *ctx)
{
	const double *v = ctx;
	uint32_t i = *(const uint32_t *)pa, j = *(const uint32_t *)pb;

	if (v[i] != v[j])
		return v[i] > v[j] ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * The unit point that maximises log EI for suggestion seq among those not
 * suggested before (snapped onto the space: integers, steps, categories):
 * the polished optima in order of value, then every candidate in order of
 * log EI.  RSW_ENOENT when all of them are repeats.
 */
static int
maximise_acquisition(struct bayes *b, uint64_t seq, double *best_x)
{
	rsw__gp *gp = &b->gp;
	uint32_t n = b->n, m = gp->m, nbest = 0, ncand, starts[ACQ_STARTS];
	uint32_t best_rows[LOCAL_CENTRES], npolished = 0;
	double start_val[ACQ_STARTS], lo[RSW_MAX_PARAMS_LIMIT],
		hi[RSW_MAX_PARAMS_LIMIT];
	double polished[ACQ_STARTS][RSW_MAX_PARAMS_LIMIT], polished_val[ACQ_STARTS];
	nlopt_opt opt;

	/* The best real rows (ties: the earlier). */
	for (uint32_t i = 0; i < gp->nreal; i++) {
		uint32_t pos = nbest < LOCAL_CENTRES ? nbest++ : LOCAL_CENTRES;

		if (pos == LOCAL_CENTRES) {
			if (!(gp->y[i] < gp->y[best_rows[LOCAL_CENTRES - 1]]))
				continue;
			pos = LOCAL_CENTRES - 1;
		}
		while (pos > 0 && gp->y[i] < gp->y[best_rows[pos - 1]]) {
			best_rows[pos] = best_rows[pos - 1];
			pos--;
		}
		best_rows[pos] = i;
	}
	ncand = RANDOM_CANDIDATES + nbest * LOCAL_CANDIDATES;
	/* Every candidate's kernel column at once, then one triangular
	 * solve with all of them as right-hand sides. */
	for (uint32_t c = 0; c < ncand; c++) {
		double *x = &b->cand[(size_t)c * n];

		candidate(b, seq, c, best_rows, nbest, x);
		for (uint32_t i = 0; i < m; i++)
			b->cand_k[i + (size_t)c * m] =
				rsw__matern52(x, &gp->X[(size_t)i * n], gp->inv_l2,
					      gp->levels, n, gp->s2, NULL);
	}
	for (uint32_t s = 0; s < ACQ_STARTS; s++) {
		start_val[s] = -HUGE_VAL;
		starts[s] = 0;
	}
	for (uint32_t c = 0; c < ncand; c++) {
		double mu = 0;

		for (uint32_t i = 0; i < m; i++)
			mu += b->cand_k[i + (size_t)c * m] * gp->alpha[i];
		b->cand[(size_t)ncand * n + c] = mu;
	}
	LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)m,
		       (lapack_int)ncand, gp->L, (lapack_int)m, b->cand_k,
		       (lapack_int)m);
	for (uint32_t c = 0; c < ncand; c++) {
		double vv = 0, v;
		uint32_t pos;

		for (uint32_t i = 0; i < m; i++)
			vv += b->cand_k[i + (size_t)c * m] * b->cand_k[i + (size_t)c * m];
		v = rsw__log_ei(b->fbest, b->cand[(size_t)ncand * n + c], gp->s2 - vv,
				VAR_FLOOR * gp->s2, n, NULL, NULL, NULL);
		b->cand[(size_t)ncand * n + c] = v; /* the mean is used up */
		/* Keep the ACQ_STARTS best, in order. */
		if (!(v > start_val[ACQ_STARTS - 1]))
			continue;
		for (pos = ACQ_STARTS - 1; pos > 0 && v > start_val[pos - 1]; pos--) {
			start_val[pos] = start_val[pos - 1];
			starts[pos] = starts[pos - 1];
		}
		start_val[pos] = v;
		starts[pos] = c;
	}
	opt = nlopt_create(NLOPT_LD_LBFGS, n);
	if (opt == NULL)
		return RSW_ENOMEM;
	nlopt_set_max_objective(opt, acquisition, b);
	nlopt_set_maxeval(opt, ACQ_MAXEVAL);
	nlopt_set_xtol_abs1(opt, 1e-7);
	for (uint32_t s = 0; s < ACQ_STARTS && start_val[s] > -HUGE_VAL; s++) {
		double x[RSW_MAX_PARAMS_LIMIT], val;
		uint32_t pos;

		memcpy(x, &b->cand[(size_t)starts[s] * n], n * sizeof(double));
		for (uint32_t d = 0; d < n; d++) {
			lo[d] = fmax(b->tr_lo[d], x[d] - POLISH_RADIUS);
			hi[d] = fmin(b->tr_hi[d], x[d] + POLISH_RADIUS);
		}
		nlopt_set_lower_bounds(opt, lo);
		nlopt_set_upper_bounds(opt, hi);
		if (nlopt_optimize(opt, x, &val) < 0 || !(val >= start_val[s]))
			continue;
		/* Insertion in order of value, best first. */
		for (pos = npolished; pos > 0 && val > polished_val[pos - 1]; pos--) {
			polished_val[pos] = polished_val[pos - 1];
			memcpy(polished[pos], polished[pos - 1], n * sizeof(double));
		}
		polished_val[pos] = val;
		memcpy(polished[pos], x, n * sizeof(double));
		npolished++;
	}
	nlopt_destroy(opt);
	for (uint32_t s = 0; s < npolished; s++) {
		snap(b, polished[s], best_x);
		if (!seen_contains(b, best_x) && rsw__unit_feasible(&b->space, best_x))
			return 0;
	}
	for (uint32_t c = 0; c < ncand; c++)
		b->order[c] = c;
	qsort_r(b->order, ncand, sizeof b->order[0], by_log_ei,
		&b->cand[(size_t)ncand * n]);
	/* The feasible set's best: the polished optima may lie outside it,
	 * the candidates are tested one by one. */
	for (uint32_t c = 0; c < ncand; c++) {
		snap(b, &b->cand[(size_t)b->order[c] * n], best_x);
		if (!seen_contains(b, best_x) && rsw__unit_feasible(&b->space, best_x))
			return 0;
	}
	return RSW_ENOENT;
}

/* ------------------------------------------------------- ask / tell */

static void
design_point(const struct bayes *b, uint64_t seq, double *u)
{
	for (uint32_t d = 0; d < b->n; d++)
		u[d] = ((double)b->strata[seq * b->n + d] +
			draw(b, S_JITTER, seq, d)) / b->init;
}

/* Random point `try` of suggestion seq. */
static void
random_point(const struct bayes *b, uint64_t seq, uint32_t try, double *u)
{
	for (uint32_t d = 0; d < b->n; d++)
		u[d] = draw(b, S_DESIGN, seq * 1024 + try, RSW_MAX_PARAMS_LIMIT + d);
}

/*
 * u (snapped) was suggested before, or is infeasible: replaces it with a
 * new feasible point -- a random one, or, in a small discrete space that
 * random draws miss, the first new feasible grid point from a random
 * start.  Keeps a feasible u when neither finds one (a huge space with a
 * few repeats: harmless); an infeasible one is replaced by a feasible
 * draw, repeated or not.  0, or RSW_EINFEASIBLE.
 */
static int
fresh_point(struct bayes *b, uint64_t seq, double *u)
{
	double x[RSW_MAX_PARAMS_LIMIT], v[RSW_MAX_PARAMS_LIMIT];

	for (uint32_t try = 1; try < FRESH_TRIES; try++) {
		random_point(b, seq, try, x);
		snap(b, x, v);
		if (!seen_contains(b, v) && rsw__unit_feasible(&b->space, v)) {
			memcpy(u, v, b->n * sizeof(double));
			return 0;
		}
	}
	if (b->grid != 0 && b->grid <= GRID_SCAN_MAX)
		for (uint64_t k = 0, start = (uint64_t)(draw(b, S_DESIGN, seq, 0) * b->grid);
		     k < b->grid; k++) {
			uint64_t idx = (start + k) % b->grid;

			/* Last parameter fastest, as grid does. */
			for (uint32_t d = b->n; d-- > 0;) {
				const rsw_param *p = &b->space.params[d];
				uint64_t levels = rsw_param_levels(p);

				v[d] = rsw_param_to_unit(p, rsw_param_level(p, idx % levels));
				idx /= levels;
			}
			if (!seen_contains(b, v) && rsw__unit_feasible(&b->space, v)) {
				memcpy(u, v, b->n * sizeof(double));
				return 0;
			}
		}
	if (rsw__unit_feasible(&b->space, u))
		return 0;
	if (rsw__feasible_draw(&b->space, stream_seed(b, S_DESIGN), seq,
			       2 * RSW_MAX_PARAMS_LIMIT, x) != 0)
		return RSW_EINFEASIBLE;
	snap(b, x, u);
	/* The snapped round trip may cross a boundary by an ulp: the draw
	 * itself is feasible. */
	if (!rsw__unit_feasible(&b->space, u))
		memcpy(u, x, b->n * sizeof(double));
	return 0;
}

static int
bayes_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct bayes *b = a->state;
	double x[RSW_MAX_PARAMS_LIMIT], u[RSW_MAX_PARAMS_LIMIT];
	uint32_t n = b->n;
	uint64_t row = b->nobs + seq;

	if (seq >= b->evals)
		return RSW_SUGGEST_DONE;
	b->suggested = 1;
	/* A discrete space can run out of points before the budget does;
	 * a repeat would only re-measure a known value. */
	if (b->grid > 0 && b->distinct >= b->feasible)
		return RSW_SUGGEST_DONE;
	if (seq < b->design) {
		design_point(b, seq, x);
		snap(b, x, u);
	} else {
		int rc = build_model(b, row);

		if (rc == 0) {
			trust_region(b, row - b->nupd);
			rc = maximise_acquisition(b, seq, u);
		}
		if (rc == RSW_ENOMEM)
			return rc;
		/* Nothing has succeeded yet, a model that cannot be built (a
		 * factorisation that fails even with added noise), or only
		 * repeats in sight: explore rather than stop the sweep. */
		if (rc != 0) {
			random_point(b, seq, 0, x);
			snap(b, x, u);
		}
	}
	if (seen_contains(b, u) || !rsw__unit_feasible(&b->space, u)) {
		int rc = fresh_point(b, seq, u);

		if (rc != 0)
			return rc;
	}
	for (uint32_t d = 0; d < n; d++) {
		params[d] = rsw_param_from_unit(&b->space.params[d], u[d]);
		b->U[row * n + d] = u[d];
	}
	seen_add(b, row);
	return RSW_SUGGEST_OK;
}

/* ParEGO: row `row`'s objectives; the value may be fine and an objective
 * not: a failure to the model (scalarise: NaN in the first column). */
static void
objective_row(struct bayes *b, uint64_t row, const rsw_result *r)
{
	double *v = &b->F[row * b->nobj];

	if (!rsw_objective_vector(b->targets, b->nobj, r, v))
		v[0] = NAN;
}

static int
bayes_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct bayes *b = a->state;
	/* An infinite value (an overflow, usually) would poison the
	 * standardisation and every later posterior: the model takes it as a
	 * failure, imputed with the worst finite value. */
	int ok = r->status == RSW_STATUS_OK && isfinite(r->value);

	if (r->seq + b->nobs != b->nupd || r->seq >= b->evals)
		return RSW_EALGO; /* the run loop never does this */
	rsw__best_track(&b->best, a->nparams, params, r);
	b->f[b->nupd] = !ok ? NAN : b->minimize ? r->value : -r->value;
	if (b->nobj >= 2)
		objective_row(b, b->nupd, r);
	b->nupd++;
	return 0;
}

/* The fit's buffers for up to fmax observations. */
static int
reserve_fit(struct bayes *b, uint32_t fmax)
{
	double *k;

	if (fmax <= b->fmax)
		return 0;
	k = calloc((size_t)fmax * (3 * fmax + b->n + 2), sizeof(double));
	if (k == NULL)
		return RSW_ENOMEM;
	free(b->fit_K);
	b->fit_K = k;
	b->fmax = fmax;
	b->fit_X = b->fit_K + (size_t)fmax * fmax;
	b->fit_y = b->fit_X + (size_t)fmax * b->n;
	b->fit_alpha = b->fit_y + fmax;
	b->fit_kern = b->fit_alpha + fmax;
	b->fit_gfac = b->fit_kern + (size_t)fmax * fmax;
	return 0;
}

static int
grow(void **p, uint64_t count, size_t size)
{
	void *q = realloc(*p, count * size);

	if (q == NULL)
		return RSW_ENOMEM;
	*p = q;
	return 0;
}

/* Room in every table for `need` rows (doubling), the hash set of seen
 * points rebuilt at most half full. */
static int
reserve_rows(struct bayes *b, uint64_t need)
{
	uint64_t rows = b->rows, mask = b->seen_mask;
	uint32_t *seen;

	if (need <= rows)
		return 0;
	while (rows < need)
		rows *= 2;
	if (grow((void **)&b->U, rows * b->n, sizeof(double)) != 0 ||
	    grow((void **)&b->f, rows, sizeof(double)) != 0 ||
	    grow((void **)&b->idx, rows, sizeof(uint32_t)) != 0 ||
	    grow((void **)&b->chosen, rows, 1) != 0 ||
	    grow((void **)&b->fy, rows, sizeof(double)) != 0 ||
	    (b->nobj >= 2 && grow((void **)&b->F, rows * b->nobj, sizeof(double)) != 0) ||
	    reserve_fit(b, rows < FIT_MAX ? (uint32_t)rows : FIT_MAX) != 0)
		return RSW_ENOMEM;
	b->rows = rows;
	while (mask < 2 * rows)
		mask = 2 * mask + 1;
	if (mask == b->seen_mask)
		return 0;
	if ((seen = calloc(mask + 1, sizeof *seen)) == NULL)
		return RSW_ENOMEM;
	free(b->seen);
	b->seen = seen;
	b->seen_mask = mask;
	b->distinct = 0;
	for (uint64_t r = 0; r < b->nupd; r++)
		seen_add(b, r);
	return 0;
}

/* A warm start's point: row nobs, known, seen, and one design point less. */
static int
bayes_observe(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct bayes *b = a->state;
	int ok = r->status == RSW_STATUS_OK && isfinite(r->value);
	uint64_t row = b->nobs;
	int rc;

	if (b->suggested || b->nupd != b->nobs)
		return RSW_EALGO; /* observations come first (algorithm.h) */
	if (b->evals + b->nobs + 1 >= UINT32_MAX)
		return RSW_EINVAL; /* the seen set keeps rows in 32 bits */
	if ((rc = reserve_rows(b, b->evals + b->nobs + 1)) != 0)
		return rc;
	for (uint32_t d = 0; d < b->n; d++)
		b->U[row * b->n + d] = rsw_param_to_unit(&b->space.params[d], params[d]);
	b->f[row] = !ok ? NAN : b->minimize ? r->value : -r->value;
	if (b->nobj >= 2)
		objective_row(b, row, r);
	seen_add(b, row);
	b->nobs++;
	b->nupd++;
	b->design = b->init > b->nobs ? b->init - (uint32_t)b->nobs : 0;
	return 0;
}

static int
bayes_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct bayes *b = a->state;

	return rsw__best_get(&b->best, out);
}

static void
bayes_destroy(rsw_algorithm *a)
{
	struct bayes *b = a->state;

	if (b != NULL) {
		free(b->U);
		free(b->f);
		free(b->F);
		free(b->strata);
		free(b->idx);
		free(b->chosen);
		free(b->fy);
		rsw__gp_free(&b->gp);
		free(b->cand);
		free(b->order);
		free(b->seen);
		free(b->cand_k);
		free(b->fit_K);
		free(b);
	}
	free(a);
}

/* The initial design's size when none is given. */
static uint32_t
default_init(uint32_t nparams)
{
	return nparams + 1 > 5 ? 2 * (nparams + 1) : 10;
}

uint32_t
rsw_algo_bayes_init(uint32_t nparams, const rsw_algo_opts *o)
{
	uint32_t init = o->init != 0 ? o->init : default_init(nparams);

	return o->evals != 0 && init > o->evals ? (uint32_t)o->evals : init;
}

int
rsw__algo_bayes_create(rsw_algorithm **out, const rsw_space *space,
		       const rsw_algo_opts *o, char *err, size_t errlen)
{
	uint32_t n = space->n, fmax, init = o->init;
	uint64_t evals = o->evals;
	struct bayes *b;
	rsw_algorithm *a;

	*out = NULL;
	if (n == 0 || evals == 0)
		return rsw__algo_refuse(err, errlen, "--algo bayes needs %s",
					n == 0 ? "parameters" :
						 "--evals N (its budget)");
	if (evals >= UINT32_MAX)
		return rsw__algo_refuse(err, errlen, "--algo bayes: --evals %llu "
					"is more than a Gaussian process can "
					"use; at most %u",
					(unsigned long long)evals, UINT32_MAX - 1);
	if (init > evals)
		return rsw__algo_refuse(err, errlen, "--init %u is more than "
					"--evals %llu", init,
					(unsigned long long)evals);
	if (init == 0)
		init = default_init(n);
	if (init > evals)
		init = (uint32_t)evals;
	a = calloc(1, sizeof *a);
	b = calloc(1, sizeof *b);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return RSW_ENOMEM;
	}
	a->state = b;
	a->destroy = bayes_destroy;
	b->space = *space;
	b->n = n;
	b->init = b->design = init;
	b->evals = b->rows = evals;
	b->seed = o->seed;
	b->minimize = o->minimize;
	fmax = FIT_MAX < evals ? FIT_MAX : (uint32_t)evals;
	b->U = calloc(evals * n, sizeof(double));
	b->f = calloc(evals, sizeof(double));
	b->strata = calloc((size_t)init * n, sizeof(uint32_t));
	b->idx = calloc(evals, sizeof(uint32_t));
	b->chosen = calloc(evals, 1);
	b->fy = calloc(evals, sizeof(double));
	b->cand = calloc((size_t)NCAND * (n + 1), sizeof(double));
	b->order = calloc(NCAND, sizeof(uint32_t));
	/* At most half full: short probes. */
	for (b->seen_mask = 1023; b->seen_mask < 2 * evals; b->seen_mask = 2 * b->seen_mask + 1)
		;
	b->seen = calloc(b->seen_mask + 1, sizeof(uint32_t));
	b->grid = rsw_space_grid_size(space);
	b->feasible = b->grid > 0 && b->grid <= GRID_SCAN_MAX ?
			      rsw_space_feasible_grid_size(space) : b->grid;
	for (uint32_t d = 0; d < n; d++)
		b->levels[d] = space->params[d].kind == RSW_PARAM_CAT ?
				       space->params[d].ncat : 0;
	b->gp.levels = b->levels;
	if (o->nobjectives >= 2) {
		b->nobj = o->nobjectives;
		memcpy(b->targets, o->objectives, b->nobj * sizeof b->targets[0]);
		b->F = calloc(evals * b->nobj, sizeof(double));
	}
	if ((b->nobj >= 2 && b->F == NULL) || b->U == NULL || b->f == NULL ||
	    b->strata == NULL || b->idx == NULL ||
	    b->chosen == NULL || b->fy == NULL || b->cand == NULL ||
	    b->order == NULL || b->seen == NULL ||
	    reserve_fit(b, fmax) != 0 || reserve_model(b, 64) != 0) {
		bayes_destroy(a);
		return RSW_ENOMEM;
	}
	/* The Latin hypercube: a Fisher-Yates shuffle of the strata per
	 * dimension, every swap a counter-based draw. */
	for (uint32_t d = 0; d < n; d++) {
		for (uint32_t k = 0; k < init; k++)
			b->strata[(size_t)k * n + d] = k;
		for (uint32_t k = init; k-- > 1;) {
			uint32_t j = (uint32_t)(draw(b, S_DESIGN, k, d) * (k + 1));
			uint32_t t = b->strata[(size_t)k * n + d];

			if (j > k)
				j = k;
			b->strata[(size_t)k * n + d] = b->strata[(size_t)j * n + d];
			b->strata[(size_t)j * n + d] = t;
		}
	}
	rsw__blas_single_thread();
	rsw__best_init(&b->best, o->minimize);
	a->name = "bayes";
	a->nparams = n;
	a->suggest = bayes_suggest;
	a->update = bayes_update;
	a->best = bayes_best;
	a->observe = bayes_observe;
	*out = a;
	return 0;
}
