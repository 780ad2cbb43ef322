/*
 * algorithms/gp.h - the Gaussian-process regression behind bayes.c: the
 * Matérn 5/2 kernel, maximum-likelihood hyperparameters, the posterior
 * (with kriging-believer fantasies) and log expected improvement.
 * Internal to the library; the unit tests check it against hand
 * computations and finite differences.
 *
 * Hyperparameters travel as theta = (log l_1 .. log l_n, log s2, log sn2):
 * one length scale per input, the signal and the noise variance.
 */
#ifndef RSW_GP_H
#define RSW_GP_H

#include <stdint.h>

#include "ringsweep/engine.h"

#define RSW_GP_THETA_MAX (RSW_MAX_PARAMS_LIMIT + 2)

typedef struct rsw__gp {
	uint32_t n;		/* input dimension */
	uint32_t m, nreal;	/* points; the first nreal are observed */
	uint32_t cap;		/* points the buffers hold */
	double *X;		/* m x n, row i at X + i*n */
	double *y;		/* m values; rsw__gp_condition fills m - nreal */
	double *L;		/* lower Cholesky factor of K, column-major */
	double *alpha;		/* K^-1 y */
	double inv_l2[RSW_MAX_PARAMS_LIMIT], s2, sn2;
	const uint32_t *levels;	/* categorical inputs (see rsw__matern52) */
	double *k, *w, *gfac;	/* scratch */
} rsw__gp;

/*
 * Matérn 5/2 between a and b given 1/l^2 per input; *g (unless NULL)
 * gets 5/3 s2 (1 + sqrt5 r) e^(-sqrt5 r), the factor every derivative of
 * the kernel shares.  levels (NULL: none) marks categorical inputs with
 * their number of categories: there the distance is 0 within a category's
 * cell of [0, 1) and 1 between cells (Hamming), since the order of the
 * categories means nothing.
 */
double rsw__matern52(const double *a, const double *b, const double *inv_l2,
		     const uint32_t *levels, uint32_t n, double s2, double *g);

/* The squared difference of input d that the kernel uses. */
double rsw__input_sqdiff(const double *a, const double *b,
			 const uint32_t *levels, uint32_t d);

/* Room for m points of dimension n (the buffers only grow). */
int rsw__gp_reserve(rsw__gp *gp, uint32_t n, uint32_t m);
void rsw__gp_free(rsw__gp *gp);

/*
 * With X (m rows), nreal and y[0 .. nreal-1] set: factors K + sn2 I at
 * theta, gives the m - nreal other points the posterior mean of the real
 * ones as their value (kriging believer: the mean stays, the variance
 * shrinks near them) and computes alpha.  Adds noise when the factor
 * fails on near-duplicates; RSW_EALGO if it never holds.
 */
int rsw__gp_condition(rsw__gp *gp, const double *theta);

/* Posterior mean and variance of the latent function at x, with their
 * gradients when dmu is not NULL. */
void rsw__gp_predict(rsw__gp *gp, const double *x, double *mu, double *var,
		     double *dmu, double *dvar);

/* Data for the likelihood: m points, with scratch K, kern and gfac of
 * m*m doubles each and alpha of m. */
typedef struct rsw__gp_data {
	uint32_t n, m;
	const double *X, *y;
	double *K, *alpha;
	const uint32_t *levels;	/* categorical inputs, or NULL */
	double *kern, *gfac;	/* the kernel and its derivative factors */
} rsw__gp_data;

/* log p(y | theta) and (grad non-NULL) its gradient in theta; -1e30 where
 * K is not positive definite. */
double rsw__gp_log_likelihood(const rsw__gp_data *d, const double *theta,
			      double *grad);

/* Length scales 0.5, unit signal variance, noise 1e-4: the start of a
 * first fit, and the fallback when no fit is possible. */
void rsw__gp_neutral_theta(uint32_t n, double *theta);

/* Maximises the likelihood with NLopt L-BFGS: from theta itself when warm
 * (else a neutral start) and from random starts drawn from (seed, key).
 * theta gets the best point; RSW_EALGO when no start was feasible. */
int rsw__gp_fit(const rsw__gp_data *d, double *theta, int warm,
		uint64_t seed, uint64_t key);

/* log EI for minimisation below fbest, from the posterior mean and
 * variance (floored at var_floor), and its gradient when dmu is given. */
double rsw__log_ei(double fbest, double mu, double var, double var_floor,
		   uint32_t n, const double *dmu, const double *dvar,
		   double *grad);

#endif
