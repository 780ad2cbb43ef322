/*
 * algorithms/gp.c - Gaussian-process regression for bayes.c: kernel,
 * likelihood and its gradient, the hyperparameter fit, the posterior and
 * log expected improvement.  Factorisations and solves are LAPACKE's
 * (dpotrf, dpotrs, dpotri, dtrtrs): column-major, so nothing is copied,
 * and the _work entry points, whose inputs are built here and cannot hold
 * NaN, so the O(m^2) NaN scan the plain entry points add to every call
 * is skipped.  Maximisation is NLopt's L-BFGS with analytic gradients.
 */
#include <lapacke.h>
#include <math.h>
#include <nlopt.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"
#include "gp.h"

#define SQRT5 2.2360679774997896964

#define FIT_RANDOM_STARTS 3
#define FIT_MAXEVAL 100

/* Bounds of theta.  Lengths are in unit-cube units (0.01 .. 20), the
 * variances in standardised output units; the noise floor (1e-6) keeps K
 * well conditioned for deterministic objectives. */
#define LOG_LEN_LO (-4.6)
#define LOG_LEN_HI 3.0
#define LOG_SIG_LO (-3.0)
#define LOG_SIG_HI 3.0
#define LOG_NOISE_LO (-13.8)
#define LOG_NOISE_HI 0.0

double
rsw__input_sqdiff(const double *a, const double *b, const uint32_t *levels,
		  uint32_t d)
{
	if (levels != NULL && levels[d] > 0) {
		double k = levels[d];
		double ca = fmin(floor(a[d] * k), k - 1), cb = fmin(floor(b[d] * k), k - 1);

		return ca != cb;
	}
	return (a[d] - b[d]) * (a[d] - b[d]);
}

double
rsw__matern52(const double *a, const double *b, const double *inv_l2,
	      const uint32_t *levels, uint32_t n, double s2, double *g)
{
	double r2 = 0, r, e;

	for (uint32_t d = 0; d < n; d++)
		r2 += rsw__input_sqdiff(a, b, levels, d) * inv_l2[d];
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

/* The lower triangle of K + sn2 I, column-major; with kern and gfac (m x m
 * each, or NULL) also the kernel values and their derivative factors, for
 * the likelihood's gradient. */
static void
covariance(double *K, const double *X, uint32_t m, uint32_t n,
	   const double *inv_l2, const uint32_t *levels, double s2, double sn2,
	   double *kern, double *gfac)
{
	for (uint32_t j = 0; j < m; j++)
		for (uint32_t i = j; i < m; i++) {
			size_t at = i + (size_t)j * m;
			double g, k = rsw__matern52(&X[(size_t)i * n], &X[(size_t)j * n],
						    inv_l2, levels, n, s2, &g);

			K[at] = k + (i == j ? sn2 : 0);
			if (kern != NULL) {
				kern[at] = k;
				gfac[at] = g;
			}
		}
}

int
rsw__gp_reserve(rsw__gp *gp, uint32_t n, uint32_t m)
{
	double *X, *L;

	gp->n = n;
	if (m <= gp->cap)
		return 0;
	if (m < 2 * gp->cap)
		m = 2 * gp->cap;
	X = malloc((size_t)m * (n + 5) * sizeof(double));
	L = malloc((size_t)m * m * sizeof(double));
	if (X == NULL || L == NULL) {
		free(X);
		free(L);
		return RSW_ENOMEM;
	}
	/* Nothing to keep: every user refills X and y before conditioning. */
	rsw__gp_free(gp);
	gp->X = X;
	gp->L = L;
	gp->y = X + (size_t)m * n;
	gp->alpha = gp->y + m;
	gp->k = gp->alpha + m;
	gp->w = gp->k + m;
	gp->gfac = gp->w + m;
	gp->cap = m;
	return 0;
}

void
rsw__gp_free(rsw__gp *gp)
{
	free(gp->X);
	free(gp->L);
	gp->X = gp->L = NULL;
	gp->cap = 0;
}

int
rsw__gp_condition(rsw__gp *gp, const double *theta)
{
	uint32_t n = gp->n, m = gp->m, nreal = gp->nreal;

	unpack_theta(theta, n, gp->inv_l2, &gp->s2, &gp->sn2);
	for (int tries = 0;; tries++) {
		covariance(gp->L, gp->X, m, n, gp->inv_l2, gp->levels, gp->s2,
			   gp->sn2, NULL, NULL);
		if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, gp->L,
				   (lapack_int)m) == 0)
			break;
		if (tries == 12)
			return RSW_EALGO;
		gp->sn2 *= 10;
	}
	/* The leading nreal block of L is the factor of the real points
	 * alone, so the fantasies need no second factorisation. */
	memcpy(gp->alpha, gp->y, nreal * sizeof(double));
	LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)nreal, 1, gp->L,
		       (lapack_int)m, gp->alpha, (lapack_int)nreal);
	for (uint32_t i = nreal; i < m; i++) {
		double mu = 0;

		for (uint32_t j = 0; j < nreal; j++)
			mu += gp->alpha[j] *
			      rsw__matern52(&gp->X[(size_t)i * n], &gp->X[(size_t)j * n],
					    gp->inv_l2, gp->levels, n, gp->s2, NULL);
		gp->y[i] = mu;
	}
	memcpy(gp->alpha, gp->y, m * sizeof(double));
	LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->alpha, (lapack_int)m);
	return 0;
}

void
rsw__gp_predict(rsw__gp *gp, const double *x, double *mu, double *var,
		double *dmu, double *dvar)
{
	uint32_t m = gp->m, n = gp->n;
	double vv = 0;

	*mu = 0;
	for (uint32_t i = 0; i < m; i++) {
		gp->k[i] = rsw__matern52(x, &gp->X[(size_t)i * n], gp->inv_l2,
					 gp->levels, n, gp->s2, &gp->gfac[i]);
		*mu += gp->k[i] * gp->alpha[i];
	}
	/* var = s2 - k' K^-1 k = s2 - |L^-1 k|^2 */
	memcpy(gp->w, gp->k, m * sizeof(double));
	LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'L', 'N', 'N', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->w, (lapack_int)m);
	for (uint32_t i = 0; i < m; i++)
		vv += gp->w[i] * gp->w[i];
	*var = gp->s2 - vv;
	if (dmu == NULL)
		return;
	/* w = K^-1 k; dk_i/dx_d = -gfac_i (x_d - X_id) / l_d^2, so
	 * dmu = sum alpha_i dk_i and dvar = -2 sum w_i dk_i.  Flat (0)
	 * within a categorical input's cell. */
	LAPACKE_dtrtrs_work(LAPACK_COL_MAJOR, 'L', 'T', 'N', (lapack_int)m, 1, gp->L,
		       (lapack_int)m, gp->w, (lapack_int)m);
	for (uint32_t d = 0; d < n; d++) {
		dmu[d] = 0;
		dvar[d] = 0;
	}
	for (uint32_t i = 0; i < m; i++) {
		const double *xi = &gp->X[(size_t)i * n];

		for (uint32_t d = 0; d < n; d++) {
			double dk;

			if (gp->levels != NULL && gp->levels[d] > 0)
				continue;
			dk = -gp->gfac[i] * (x[d] - xi[d]) * gp->inv_l2[d];
			dmu[d] += gp->alpha[i] * dk;
			dvar[d] -= 2 * gp->w[i] * dk;
		}
	}
}

/* --------------------------------------------------------- likelihood */

/*
 * log p(y | theta) = -y'a/2 - sum log L_ii - m/2 log 2 pi, a = K^-1 y;
 * d/dtheta_j = tr((a a' - K^-1) dK/dtheta_j) / 2, with
 * dK/dlog l_d = gfac (x_d - x'_d)^2 / l_d^2 (the same with the
 * categorical distance), dK/dlog s2 = k,
 * dK/dlog sn2 = sn2 I.
 */
double
rsw__gp_log_likelihood(const rsw__gp_data *dt, const double *theta,
		       double *grad)
{
	uint32_t n = dt->n, m = dt->m, dim = n + 2;
	double inv_l2[RSW_MAX_PARAMS_LIMIT], s2, sn2, lml = 0;
	double *K = dt->K, *a = dt->alpha;

	unpack_theta(theta, n, inv_l2, &s2, &sn2);
	covariance(K, dt->X, m, n, inv_l2, dt->levels, s2, sn2, dt->kern, dt->gfac);
	if (LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, K,
			   (lapack_int)m) != 0) {
		/* A cliff the line search backs away from. */
		if (grad != NULL)
			memset(grad, 0, dim * sizeof(double));
		return -1e30;
	}
	memcpy(a, dt->y, m * sizeof(double));
	LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, 1, K,
		       (lapack_int)m, a, (lapack_int)m);
	for (uint32_t i = 0; i < m; i++)
		lml -= 0.5 * dt->y[i] * a[i] + log(K[i + (size_t)i * m]);
	lml -= 0.5 * m * log(2 * M_PI);
	if (grad == NULL)
		return lml;
	memset(grad, 0, dim * sizeof(double));
	LAPACKE_dpotri_work(LAPACK_COL_MAJOR, 'L', (lapack_int)m, K, (lapack_int)m);
	for (uint32_t j = 0; j < m; j++) {
		const double *xj = &dt->X[(size_t)j * n];

		for (uint32_t i = j; i < m; i++) {
			const double *xi = &dt->X[(size_t)i * n];
			/* The full trace counts an off-diagonal pair twice. */
			size_t at = i + (size_t)j * m;
			double w = (i == j ? 0.5 : 1.0) * (a[i] * a[j] - K[at]);
			double k = dt->kern[at], g = dt->gfac[at];

			grad[n] += w * k;
			if (i == j) {
				grad[n + 1] += w * sn2;
				continue;
			}
			for (uint32_t d = 0; d < n; d++)
				grad[d] += w * g *
					   rsw__input_sqdiff(xi, xj, dt->levels, d) *
					   inv_l2[d];
		}
	}
	return lml;
}

struct fit_track {
	const rsw__gp_data *d;
	double best_lml;
	double best_theta[RSW_GP_THETA_MAX];
};

/* NLopt's objective: the likelihood, remembering the best point seen so
 * that an early stop (roundoff, maxeval) still yields it. */
static double
tracked_likelihood(unsigned dim, const double *theta, double *grad, void *ctx)
{
	struct fit_track *t = ctx;
	double v = rsw__gp_log_likelihood(t->d, theta, grad);

	if (v > t->best_lml) {
		t->best_lml = v;
		memcpy(t->best_theta, theta, dim * sizeof(double));
	}
	return v;
}

void
rsw__gp_neutral_theta(uint32_t n, double *theta)
{
	for (uint32_t j = 0; j < n; j++)
		theta[j] = log(0.5);
	theta[n] = 0;
	theta[n + 1] = log(1e-4);
}

int
rsw__gp_fit(const rsw__gp_data *d, double *theta, int warm, uint64_t seed,
	    uint64_t key)
{
	uint32_t n = d->n, dim = n + 2;
	double lo[RSW_GP_THETA_MAX], hi[RSW_GP_THETA_MAX], x[RSW_GP_THETA_MAX], val;
	struct fit_track t = { .d = d, .best_lml = -HUGE_VAL };
	nlopt_opt opt = nlopt_create(NLOPT_LD_LBFGS, dim);

	if (opt == NULL)
		return RSW_ENOMEM;
	for (uint32_t j = 0; j < n; j++) {
		lo[j] = LOG_LEN_LO;
		hi[j] = LOG_LEN_HI;
	}
	lo[n] = LOG_SIG_LO;
	hi[n] = LOG_SIG_HI;
	lo[n + 1] = LOG_NOISE_LO;
	hi[n + 1] = LOG_NOISE_HI;
	nlopt_set_lower_bounds(opt, lo);
	nlopt_set_upper_bounds(opt, hi);
	nlopt_set_max_objective(opt, tracked_likelihood, &t);
	nlopt_set_maxeval(opt, FIT_MAXEVAL);
	nlopt_set_ftol_rel(opt, 1e-9);
	for (uint32_t s = 0; s <= FIT_RANDOM_STARTS; s++) {
		if (s == 0 && !warm)
			rsw__gp_neutral_theta(n, x);
		for (uint32_t j = 0; j < dim; j++) {
			if (s == 0 && warm)
				x[j] = fmin(fmax(theta[j], lo[j]), hi[j]);
			else if (s > 0)
				x[j] = lo[j] + (hi[j] - lo[j]) *
					       rsw__uniform(seed, key * 64 + s, j);
		}
		/* Whatever the return code, tracked_likelihood kept the best
		 * point seen. */
		nlopt_optimize(opt, x, &val);
	}
	nlopt_destroy(opt);
	if (t.best_lml <= -1e30)
		return RSW_EALGO;
	memcpy(theta, t.best_theta, dim * sizeof(double));
	return 0;
}

/* ------------------------------------------------------ acquisition */

static double
norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

/*
 * log h(z), h(z) = phi(z) + z Phi(z) (so EI = sigma h(z)), and in *dlog_h
 * its derivative Phi(z) / h(z).  phi and z Phi cancel as z falls (h is
 * about phi / z^2: z = -25 costs under 3 of the 16 digits) and both
 * underflow near z = -37; from -25 down the asymptotic series of both
 * takes over (relative error about 945 / z^8 < 1e-8 there).
 */
static double
log_h(double z, double *dlog_h)
{
	if (z > -25) {
		double phi = exp(-0.5 * z * z) / sqrt(2 * M_PI);
		double h = phi + z * norm_cdf(z);

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

double
rsw__log_ei(double fbest, double mu, double var, double var_floor, uint32_t n,
	    const double *dmu, const double *dvar, double *grad)
{
	double sigma, z, v, dlh;
	int floored = var < var_floor;

	if (floored)
		var = var_floor;
	sigma = sqrt(var);
	z = (fbest - mu) / sigma;
	v = log(sigma) + log_h(z, &dlh);
	if (grad != NULL)
		for (uint32_t d = 0; d < n; d++) {
			double dsigma = floored ? 0 : dvar[d] / (2 * sigma);
			double dz = -(dmu[d] + z * dsigma) / sigma;

			grad[d] = dsigma / sigma + dlh * dz;
		}
	return v;
}
