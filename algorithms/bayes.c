/*
 * algorithms/bayes.c - Bayesian optimisation: a Gaussian-process model of
 * the objective and the expected improvement acquisition.
 *
 * DESIGN
 * Observations live in the unit cube (rsw_param_to_unit: a discrete value
 * sits in the middle of its cell), outputs are turned into "lower is
 * better" and standardised.  Seqs 0 .. init-1 are a Latin hypercube: each
 * coordinate's init strata are a counter-based random permutation, so the
 * design fills the cube and depends only on the seed.
 *
 * Model: zero-mean GP, Matérn 5/2 kernel with one length scale per
 * dimension, a signal variance and a noise variance.  The hyperparameters
 * maximise the log marginal likelihood (NLopt L-BFGS with the analytic
 * gradient, started from the previous optimum and from random points);
 * Cholesky factors, solves and the inverse come from LAPACKE (dpotrf,
 * dpotrs, dtrtrs, dpotri).  A failed evaluation (crash, timeout, NaN) is
 * imputed with the worst value observed, so the model learns to avoid the
 * region without ever seeing a NaN.
 *
 * Parallelism: the run loop calls suggest(k) with the results 0 .. k-W-1
 * applied (W = window); the other suggested-but-unknown points are
 * fantasised with the kriging believer: their value is the posterior mean.
 * That leaves the mean as it is and shrinks the variance around them, so
 * the next suggestion goes elsewhere and suggest() never has to WAIT.  The
 * call order is the run loop's, so the run is the same at any worker
 * count.
 *
 * Acquisition: log expected improvement (stable where EI underflows),
 * evaluated on random points plus points near the best observations,
 * then polished by NLopt L-BFGS from the best few, with the analytic
 * gradient of the posterior.
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

#define SQRT5 2.2360679774997896964

#define MODEL_MAX 1000		/* observations in the posterior */
#define FANTASY_MAX 512		/* pending points fantasised (the latest) */
#define FIT_MAX 250		/* observations the likelihood sees */
#define REFIT_EVERY_UNTIL 64	/* refit at every observation up to this */
#define REFIT_GROWTH 0.1	/* then when the data grew by this fraction */
#define FIT_RANDOM_STARTS 3
#define FIT_MAXEVAL 100
#define RANDOM_CANDIDATES 512
#define LOCAL_CENTRES 5		/* best observations sampled around */
#define LOCAL_CANDIDATES 32	/* around each of them */
#define LOCAL_SPREAD 0.05
#define ACQ_STARTS 4
#define ACQ_MAXEVAL 60

/* Hyperparameter bounds, on the log scale; lengths are in unit-cube
 * units, variances in standardised output units. */
#define LOG_LEN_LO (-4.6)	/* 0.01 */
#define LOG_LEN_HI 3.0		/* 20 */
#define LOG_SIG_LO (-3.0)
#define LOG_SIG_HI 3.0
#define LOG_NOISE_LO (-13.8)	/* 1e-6 */
#define LOG_NOISE_HI 0.0

/* Independent streams of the counter-based generator. */
enum draw_stream { S_DESIGN = 1, S_JITTER, S_CAND, S_FIT };

struct gp {
	uint32_t m, nreal;	/* points in the model; the first nreal real */
	double *X;		/* m x n, row i at X + i*n */
	double *y;		/* m standardised values (fantasies last) */
	double *L;		/* m x m lower Cholesky factor, column-major */
	double *alpha;		/* K^-1 y */
	double inv_l2[RSW_MAX_PARAMS_LIMIT], s2, sn2;
	double fbest;		/* best standardised real value */
	double *k, *w, *gfac;	/* scratch, m each */
};

struct bayes {
	rsw_space space;
	uint32_t n, init;
	uint64_t evals, seed;
	int minimize;
	double *U;		/* evals x n: unit coordinates of every seq */
	double *f;		/* evals: value to minimise, NaN when failed */
	uint32_t *strata;	/* init x n: the Latin hypercube permutations */
	uint64_t nupd;		/* seqs 0 .. nupd-1 are known */
	double theta[RSW_MAX_PARAMS_LIMIT + 2]; /* log lengths, signal, noise */
	int fitted;
	uint64_t fit_at;	/* real observations at the last refit */
	uint64_t fits;		/* refits so far (keys the random restarts) */
	struct gp gp;
	uint32_t *idx;		/* scratch: model membership */
	uint8_t *chosen;	/* scratch: model membership */
	double *fy;		/* scratch: imputed values */
	uint32_t cap;		/* points the model buffers hold */
	double *cand, *cand_k;	/* candidates and their kernel columns */
	double *fit_K, *fit_X, *fit_y, *fit_alpha;
	struct rsw__best_tracker best;
};

static double
draw(const struct bayes *b, enum draw_stream s, uint64_t k, uint32_t d)
{
	return rsw__uniform(b->seed ^ ((uint64_t)s * 0x9e3779b97f4a7c15ull), k, d);
}

/* Matérn 5/2 with precomputed 1/l^2.  *g gets 5/3 s2 (1 + sqrt5 r)
 * e^(-sqrt5 r), the factor shared by every derivative of the kernel. */
static double
matern(const double *a, const double *b, const double *inv_l2, uint32_t n,
       double s2, double *g)
{
	double r2 = 0, r, e;

	for (uint32_t d = 0; d < n; d++)
		r2 += (a[d] - b[d]) * (a[d] - b[d]) * inv_l2[d];
	r = sqrt(r2);
	e = exp(-SQRT5 * r);
	if (g != NULL)
		*g = 5.0 / 3.0 * s2 * (1 + SQRT5 * r) * e;
	return s2 * (1 + SQRT5 * r + 5.0 / 3.0 * r2) * e;
}

static void
unpack_theta(const double *theta, uint32_t n, double *inv_l2, double *s2,
	     double *sn2)
{
	for (uint32_t d = 0; d < n; d++)
		inv_l2[d] = exp(-2 * theta[d]);
	*s2 = exp(theta[n]);
	*sn2 = exp(theta[n + 1]);
}

/* The lower triangle of K + sn2 I, column-major. */
static void
covariance(double *K, const double *X, uint32_t m, uint32_t n,
	   const double *inv_l2, double s2, double sn2)
{
	for (uint32_t j = 0; j < m; j++)
		for (uint32_t i = j; i < m; i++)
			K[i + (size_t)j * m] =
				matern(&X[(size_t)i * n], &X[(size_t)j * n], inv_l2, n,
				       s2, NULL) + (i == j ? sn2 : 0);
}

/* ------------------------------------------------ hyperparameter fit */

struct fit {
	const struct bayes *b;
	uint32_t m;
	double best_lml;
	double best_theta[RSW_MAX_PARAMS_LIMIT + 2];
};

/*
 * log p(y | theta) = -y'a/2 - sum log L_ii - m/2 log 2 pi, a = K^-1 y;
 * d/dtheta_j = tr((a a' - K^-1) dK/dtheta_j) / 2.
 */
static double
log_likelihood(unsigned dim, const double *theta, double *grad, void *data)
{
	struct fit *ft = data;
	const struct bayes *b = ft->b;
	uint32_t n = b->n, m = ft->m;
	double inv_l2[RSW_MAX_PARAMS_LIMIT], s2, sn2, lml = 0;
	double *K = b->fit_K, *a = b->fit_alpha;

	unpack_theta(theta, n, inv_l2, &s2, &sn2);
	covariance(K, b->fit_X, m, n, inv_l2, s2, sn2);
	if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)m, K,
			   (lapack_int)m) != 0) {
		/* Not positive definite at this theta: a cliff the line
		 * search backs away from. */
		if (grad != NULL)
			memset(grad, 0, dim * sizeof(double));
		return -1e30;
	}
	memcpy(a, b->fit_y, m * sizeof(double));
	LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, K,
		       (lapack_int)m, a, (lapack_int)m);
	for (uint32_t i = 0; i < m; i++)
		lml -= 0.5 * b->fit_y[i] * a[i] + log(K[i + (size_t)i * m]);
	lml -= 0.5 * m * log(2 * M_PI);
	if (grad != NULL) {
		memset(grad, 0, dim * sizeof(double));
		LAPACKE_dpotri(LAPACK_COL_MAJOR, 'L', (lapack_int)m, K,
			       (lapack_int)m);
		for (uint32_t j = 0; j < m; j++) {
			const double *xj = &b->fit_X[(size_t)j * n];

			for (uint32_t i = j; i < m; i++) {
				const double *xi = &b->fit_X[(size_t)i * n];
				/* The full trace counts an off-diagonal
				 * pair twice. */
				double w = (i == j ? 0.5 : 1.0) *
					   (a[i] * a[j] - K[i + (size_t)j * m]);
				double g, k = matern(xi, xj, inv_l2, n, s2, &g);

				grad[n] += w * k;
				if (i == j) {
					grad[n + 1] += w * sn2;
					continue;
				}
				for (uint32_t d = 0; d < n; d++)
					grad[d] += w * g * (xi[d] - xj[d]) *
						   (xi[d] - xj[d]) * inv_l2[d];
			}
		}
	}
	if (lml > ft->best_lml) {
		ft->best_lml = lml;
		memcpy(ft->best_theta, theta, dim * sizeof(double));
	}
	return lml;
}

static void
theta_bounds(uint32_t n, double *lo, double *hi)
{
	for (uint32_t d = 0; d < n; d++) {
		lo[d] = LOG_LEN_LO;
		hi[d] = LOG_LEN_HI;
	}
	lo[n] = LOG_SIG_LO;
	hi[n] = LOG_SIG_HI;
	lo[n + 1] = LOG_NOISE_LO;
	hi[n + 1] = LOG_NOISE_HI;
}

/* Maximises the likelihood of the first m rows of fit_X / fit_y into
 * b->theta: from the previous optimum (or a neutral start) and from
 * FIT_RANDOM_STARTS random points. */
static int
fit_hyperparameters(struct bayes *b, uint32_t m)
{
	uint32_t dim = b->n + 2;
	double lo[RSW_MAX_PARAMS_LIMIT + 2], hi[RSW_MAX_PARAMS_LIMIT + 2];
	double x[RSW_MAX_PARAMS_LIMIT + 2], val;
	struct fit ft = { .b = b, .m = m, .best_lml = -HUGE_VAL };
	nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, dim);

	if (opt == NULL)
		return RSW_ENOMEM;
	theta_bounds(b->n, lo, hi);
	nlopt_set_lower_bounds(opt, lo);
	nlopt_set_upper_bounds(opt, hi);
	nlopt_set_max_objective(opt, log_likelihood, &ft);
	nlopt_set_maxeval(opt, FIT_MAXEVAL);
	nlopt_set_ftol_rel(opt, 1e-9);
	for (uint32_t s = 0; s <= FIT_RANDOM_STARTS; s++) {
		for (uint32_t j = 0; j < dim; j++) {
			if (s == 0 && b->fitted)
				x[j] = b->theta[j];
			else if (s == 0) /* lengths 0.5, unit signal, small noise */
				x[j] = j < b->n ? log(0.5) : j == b->n ? 0 : log(1e-4);
			else
				x[j] = lo[j] + (hi[j] - lo[j]) *
					       draw(b, S_FIT, b->fits * 64 + s, j);
		}
		/* Whatever the return code, the best point seen is kept by
		 * the objective itself. */
		nlopt_optimize(opt, x, &val);
	}
	nlopt_destroy(opt);
	if (ft.best_lml == -HUGE_VAL || ft.best_lml <= -1e30)
		return RSW_EALGO;
	memcpy(b->theta, ft.best_theta, dim * sizeof(double));
	b->fitted = 1;
	b->fits++;
	return 0;
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
choose_observations(struct bayes *b, uint32_t *count)
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
	*count = ok;
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
refit_due(const struct bayes *b, uint64_t nreal)
{
	if (!b->fitted)
		return 1;
	if (nreal <= REFIT_EVERY_UNTIL)
		return nreal != b->fit_at;
	return (double)nreal >= (double)b->fit_at * (1 + REFIT_GROWTH);
}

/* Grows the buffers whose size follows the model's (m points). */
static int
reserve_model(struct bayes *b, uint32_t m)
{
	uint32_t n = b->n, ncand = RANDOM_CANDIDATES + LOCAL_CENTRES * LOCAL_CANDIDATES;
	double *X, *L, *ck;

	if (m <= b->cap)
		return 0;
	if (m < 2 * b->cap)
		m = 2 * b->cap;
	X = malloc((size_t)m * (n + 5) * sizeof(double));
	L = malloc((size_t)m * m * sizeof(double));
	ck = malloc((size_t)ncand * m * sizeof(double));
	if (X == NULL || L == NULL || ck == NULL) {
		free(X);
		free(L);
		free(ck);
		return RSW_ENOMEM;
	}
	free(b->gp.X);
	free(b->gp.L);
	free(b->cand_k);
	b->gp.X = X;
	b->gp.L = L;
	b->cand_k = ck;
	b->gp.y = X + (size_t)m * n;
	b->gp.alpha = b->gp.y + m;
	b->gp.k = b->gp.alpha + m;
	b->gp.w = b->gp.k + m;
	b->gp.gfac = b->gp.w + m;
	b->cap = m;
	return 0;
}

/* The posterior for suggestion `seq`: real observations, then the latest
 * pending seqs (at most FANTASY_MAX of nupd .. seq-1) as kriging-believer
 * fantasies. */
static int
build_model(struct bayes *b, uint64_t seq)
{
	struct gp *gp = &b->gp;
	uint32_t n = b->n, nreal, succeeded, m;
	uint64_t pending = seq - b->nupd;
	uint64_t first_pending = pending > FANTASY_MAX ? seq - FANTASY_MAX : b->nupd;
	double mean = 0, sd = 0;
	int rc;

	if (pending > FANTASY_MAX)
		pending = FANTASY_MAX;
	nreal = choose_observations(b, &succeeded);
	if (nreal == 0)
		return RSW_ENOENT;
	if ((rc = reserve_model(b, nreal + (uint32_t)pending)) != 0)
		return rc;
	for (uint32_t i = 0; i < nreal; i++)
		mean += b->fy[b->idx[i]];
	mean /= nreal;
	for (uint32_t i = 0; i < nreal; i++)
		sd += (b->fy[b->idx[i]] - mean) * (b->fy[b->idx[i]] - mean);
	sd = nreal > 1 ? sqrt(sd / (nreal - 1)) : 0;
	if (!(sd > 0))
		sd = 1;
	m = nreal + (uint32_t)pending;
	gp->m = m;
	gp->nreal = nreal;
	gp->fbest = HUGE_VAL;
	for (uint32_t i = 0; i < nreal; i++) {
		uint32_t s = b->idx[i];

		memcpy(&gp->X[(size_t)i * n], &b->U[(size_t)s * n], n * sizeof(double));
		gp->y[i] = (b->fy[s] - mean) / sd;
		if (!isnan(b->f[s]) && gp->y[i] < gp->fbest)
			gp->fbest = gp->y[i];
	}
	for (uint32_t i = nreal; i < m; i++)
		memcpy(&gp->X[(size_t)i * n], &b->U[(first_pending + i - nreal) * n],
		       n * sizeof(double));

	if (refit_due(b, b->nupd)) {
		/* A deterministic, evenly spread subset when there are many. */
		uint32_t f = nreal <= FIT_MAX ? nreal : FIT_MAX;

		for (uint32_t i = 0; i < f; i++) {
			uint32_t r = (uint32_t)((uint64_t)i * nreal / f);

			memcpy(&b->fit_X[(size_t)i * n], &gp->X[(size_t)r * n],
			       n * sizeof(double));
			b->fit_y[i] = gp->y[r];
		}
		rc = fit_hyperparameters(b, f);
		if (rc != 0 && !b->fitted)
			return rc;
		b->fit_at = b->nupd;
	}
	unpack_theta(b->theta, n, gp->inv_l2, &gp->s2, &gp->sn2);
	/* A factorisation can still fail on near-duplicate points: more
	 * noise until it holds. */
	for (int tries = 0;; tries++) {
		covariance(gp->L, gp->X, m, n, gp->inv_l2, gp->s2, gp->sn2);
		if (LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)m, gp->L,
				   (lapack_int)m) == 0)
			break;
		if (tries == 12)
			return RSW_EALGO;
		gp->sn2 *= 10;
	}
	/* The leading nreal block of L is the factor of the real points
	 * alone: the fantasies are the posterior mean given those. */
	memcpy(gp->alpha, gp->y, nreal * sizeof(double));
	LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)nreal, 1, gp->L,
		       (lapack_int)m, gp->alpha, (lapack_int)nreal);
	for (uint32_t i = nreal; i < m; i++) {
		double mu = 0;

		for (uint32_t j = 0; j < nreal; j++)
			mu += gp->alpha[j] * matern(&gp->X[(size_t)i * n],
						    &gp->X[(size_t)j * n],
						    gp->inv_l2, n, gp->s2, NULL);
		gp->y[i] = mu;
	}
	memcpy(gp->alpha, gp->y, m * sizeof(double));
	LAPACKE_dpotrs(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->alpha, (lapack_int)m);
	return 0;
}

/* Posterior mean and variance at x, and their gradients when dmu is not
 * NULL. */
static void
predict(struct gp *gp, uint32_t n, const double *x, double *mu, double *var,
	double *dmu, double *dvar)
{
	uint32_t m = gp->m;
	double vv = 0;

	*mu = 0;
	for (uint32_t i = 0; i < m; i++) {
		gp->k[i] = matern(x, &gp->X[(size_t)i * n], gp->inv_l2, n, gp->s2,
				  &gp->gfac[i]);
		*mu += gp->k[i] * gp->alpha[i];
	}
	memcpy(gp->w, gp->k, m * sizeof(double));
	LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->w, (lapack_int)m);
	for (uint32_t i = 0; i < m; i++)
		vv += gp->w[i] * gp->w[i];
	*var = gp->s2 - vv;
	if (dmu == NULL)
		return;
	/* w = K^-1 k; dk_i/dx_d = -gfac_i (x_d - X_id) / l_d^2. */
	LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'T', 'N', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->w, (lapack_int)m);
	for (uint32_t d = 0; d < n; d++) {
		dmu[d] = 0;
		dvar[d] = 0;
	}
	for (uint32_t i = 0; i < m; i++) {
		const double *xi = &gp->X[(size_t)i * n];

		for (uint32_t d = 0; d < n; d++) {
			double dk = -gp->gfac[i] * (x[d] - xi[d]) * gp->inv_l2[d];

			dmu[d] += gp->alpha[i] * dk;
			dvar[d] -= 2 * gp->w[i] * dk;
		}
	}
}

/* ------------------------------------------------------ acquisition */

static double
norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/*
 * log h(z), h(z) = phi(z) + z Phi(z), so that EI = sigma h(z); and
 * Phi(z) / h(z), the derivative of log h.  Below z = -6 both come from
 * the asymptotic series, where phi and Phi would cancel or underflow.
 */
static double
log_h(double z, double *dlog_h)
{
	double phi = exp(-0.5 * z * z) / sqrt(2 * M_PI), h;

	if (z > -6) {
		h = phi + z * norm_cdf(z);
		*dlog_h = norm_cdf(z) / h;
		return log(h);
	}
	{
		double z2 = z * z, z4 = z2 * z2, z6 = z4 * z2;
		double hs = 1 - 3 / z2 + 15 / z4 - 105 / z6;
		double cs = 1 - 1 / z2 + 3 / z4 - 15 / z6;

		*dlog_h = -z * cs / hs;
		return -0.5 * z2 - 0.5 * log(2 * M_PI) - 2 * log(-z) + log(hs);
	}
}

#define VAR_FLOOR 1e-12

/* log EI from the posterior at a point (and its gradient when dmu). */
static double
log_ei(const struct gp *gp, uint32_t n, double mu, double var,
       const double *dmu, const double *dvar, double *grad)
{
	double sigma, z, v, dlh;

	if (var < VAR_FLOOR * gp->s2)
		var = VAR_FLOOR * gp->s2;
	sigma = sqrt(var);
	z = (gp->fbest - mu) / sigma;
	v = log(sigma) + log_h(z, &dlh);
	if (grad != NULL)
		for (uint32_t d = 0; d < n; d++) {
			double dsigma = dvar[d] / (2 * sigma);
			double dz = -(dmu[d] + z * dsigma) / sigma;

			grad[d] = dsigma / sigma + dlh * dz;
		}
	return v;
}

struct acq_ctx {
	struct bayes *b;
};

static double
acquisition(unsigned n, const double *x, double *grad, void *data)
{
	struct bayes *b = ((struct acq_ctx *)data)->b;
	double mu, var, dmu[RSW_MAX_PARAMS_LIMIT], dvar[RSW_MAX_PARAMS_LIMIT];

	if (grad == NULL) {
		predict(&b->gp, n, x, &mu, &var, NULL, NULL);
		return log_ei(&b->gp, n, mu, var, NULL, NULL, NULL);
	}
	predict(&b->gp, n, x, &mu, &var, dmu, dvar);
	return log_ei(&b->gp, n, mu, var, dmu, dvar, grad);
}

static double
normal(const struct bayes *b, uint64_t k, uint32_t d)
{
	double u1 = draw(b, S_CAND, k, 2 * d);
	double u2 = draw(b, S_CAND, k, 2 * d + 1);

	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

static double
clip_unit(double u)
{
	return u < 0 ? 0 : u > 1 ? 1 : u;
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
			x[d] = draw(b, S_CAND, key, 2 * n + d);
		return;
	}
	c -= RANDOM_CANDIDATES;
	{
		const double *centre = &b->gp.X[(size_t)best_rows[c % nbest] * n];

		for (uint32_t d = 0; d < n; d++)
			x[d] = clip_unit(centre[d] + LOCAL_SPREAD * normal(b, key, d));
	}
}

/* The unit point that maximises log EI for suggestion seq. */
static int
maximise_acquisition(struct bayes *b, uint64_t seq, double *best_x)
{
	struct gp *gp = &b->gp;
	uint32_t n = b->n, m = gp->m, nbest = 0, ncand, starts[ACQ_STARTS];
	uint32_t best_rows[LOCAL_CENTRES];
	double start_val[ACQ_STARTS], lo[RSW_MAX_PARAMS_LIMIT],
		hi[RSW_MAX_PARAMS_LIMIT], best = -HUGE_VAL;
	struct acq_ctx ctx = { b };
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
				matern(x, &gp->X[(size_t)i * n], gp->inv_l2, n, gp->s2,
				       NULL);
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
	LAPACKE_dtrtrs(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)m,
		       (lapack_int)ncand, gp->L, (lapack_int)m, b->cand_k,
		       (lapack_int)m);
	for (uint32_t c = 0; c < ncand; c++) {
		double vv = 0, v;
		uint32_t pos;

		for (uint32_t i = 0; i < m; i++)
			vv += b->cand_k[i + (size_t)c * m] * b->cand_k[i + (size_t)c * m];
		v = log_ei(gp, n, b->cand[(size_t)ncand * n + c], gp->s2 - vv, NULL,
			   NULL, NULL);
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
	memcpy(best_x, &b->cand[(size_t)starts[0] * n], n * sizeof(double));
	best = start_val[0];

	opt = nlopt_create(NLOPT_LD_LBFGS, n);
	if (opt == NULL)
		return RSW_ENOMEM;
	for (uint32_t d = 0; d < n; d++) {
		lo[d] = 0;
		hi[d] = 1;
	}
	nlopt_set_lower_bounds(opt, lo);
	nlopt_set_upper_bounds(opt, hi);
	nlopt_set_max_objective(opt, acquisition, &ctx);
	nlopt_set_maxeval(opt, ACQ_MAXEVAL);
	nlopt_set_xtol_abs1(opt, 1e-7);
	for (uint32_t s = 0; s < ACQ_STARTS && start_val[s] > -HUGE_VAL; s++) {
		double x[RSW_MAX_PARAMS_LIMIT], val;

		memcpy(x, &b->cand[(size_t)starts[s] * n], n * sizeof(double));
		if (nlopt_optimize(opt, x, &val) < 0)
			continue;
		if (val > best) {
			best = val;
			memcpy(best_x, x, n * sizeof(double));
		}
	}
	nlopt_destroy(opt);
	return 0;
}

/* ------------------------------------------------------- ask / tell */

static void
design_point(const struct bayes *b, uint64_t seq, double *u)
{
	for (uint32_t d = 0; d < b->n; d++)
		u[d] = ((double)b->strata[seq * b->n + d] +
			draw(b, S_JITTER, seq, d)) / b->init;
}

static void
random_point(const struct bayes *b, uint64_t seq, double *u)
{
	for (uint32_t d = 0; d < b->n; d++)
		u[d] = draw(b, S_DESIGN, seq, RSW_MAX_PARAMS_LIMIT + d);
}

static int
bayes_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct bayes *b = a->state;
	double u[RSW_MAX_PARAMS_LIMIT];
	uint32_t n = b->n;

	if (seq >= b->evals)
		return RSW_SUGGEST_DONE;
	if (seq < b->init) {
		design_point(b, seq, u);
	} else {
		int rc = build_model(b, seq);

		if (rc == RSW_ENOENT) /* nothing succeeded yet: keep exploring */
			random_point(b, seq, u);
		else if (rc != 0)
			return rc;
		else if ((rc = maximise_acquisition(b, seq, u)) != 0)
			return rc;
	}
	for (uint32_t d = 0; d < n; d++) {
		params[d] = rsw_param_from_unit(&b->space.params[d],
						u[d] < 1 ? u[d] : 0x1.fffffffffffffp-1);
		b->U[seq * n + d] = rsw_param_to_unit(&b->space.params[d], params[d]);
	}
	return RSW_SUGGEST_OK;
}

static int
bayes_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct bayes *b = a->state;
	int ok = r->status == RSW_STATUS_OK && !isnan(r->value);

	if (r->seq != b->nupd || r->seq >= b->evals)
		return RSW_EALGO; /* the run loop never does this */
	rsw__best_track(&b->best, a->nparams, params, r);
	b->f[r->seq] = !ok ? NAN : b->minimize ? r->value : -r->value;
	b->nupd++;
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
		free(b->strata);
		free(b->idx);
		free(b->chosen);
		free(b->fy);
		free(b->gp.X);
		free(b->gp.L);
		free(b->cand);
		free(b->cand_k);
		free(b->fit_K);
		free(b);
	}
	free(a);
}

uint32_t
rsw_algo_bayes_default_init(uint32_t nparams)
{
	return nparams + 1 > 5 ? 2 * (nparams + 1) : 10;
}

int
rsw_algo_bayes_create(rsw_algorithm **out, const rsw_space *space,
		      uint64_t evals, uint32_t init, uint64_t seed, int minimize)
{
	uint32_t n = space->n, ncand, fmax;
	struct bayes *b;
	rsw_algorithm *a;

	*out = NULL;
	if (n == 0 || evals == 0 || evals > UINT32_MAX)
		return RSW_EINVAL;
	if (init == 0)
		init = rsw_algo_bayes_default_init(n);
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
	b->init = init;
	b->evals = evals;
	b->seed = seed;
	b->minimize = minimize;
	ncand = RANDOM_CANDIDATES + LOCAL_CENTRES * LOCAL_CANDIDATES;
	fmax = FIT_MAX < evals ? FIT_MAX : (uint32_t)evals;
	b->U = calloc(evals * n, sizeof(double));
	b->f = calloc(evals, sizeof(double));
	b->strata = calloc((size_t)init * n, sizeof(uint32_t));
	b->idx = calloc(evals, sizeof(uint32_t));
	b->chosen = calloc(evals, 1);
	b->fy = calloc(evals, sizeof(double));
	b->cand = calloc((size_t)ncand * (n + 1), sizeof(double));
	b->fit_K = calloc((size_t)fmax * (fmax + n + 2), sizeof(double));
	if (b->U == NULL || b->f == NULL || b->strata == NULL || b->idx == NULL ||
	    b->chosen == NULL || b->fy == NULL || b->cand == NULL ||
	    b->fit_K == NULL || reserve_model(b, 64) != 0) {
		bayes_destroy(a);
		return RSW_ENOMEM;
	}
	b->fit_X = b->fit_K + (size_t)fmax * fmax;
	b->fit_y = b->fit_X + (size_t)fmax * n;
	b->fit_alpha = b->fit_y + fmax;
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
	rsw__best_init(&b->best, minimize);
	a->name = "bayes";
	a->nparams = n;
	a->suggest = bayes_suggest;
	a->update = bayes_update;
	a->best = bayes_best;
	*out = a;
	return 0;
}
