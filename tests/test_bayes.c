/*
 * tests/test_bayes.c - Bayesian optimisation.  The Gaussian process
 * against a posterior worked out by hand, its gradients against finite
 * differences, fantasies that keep the mean and shrink the variance; the
 * algorithm's quality targets on branin and hartmann6 (median of 10
 * seeds); failed evaluations imputed, never best; pending points that
 * spread without waiting; discrete points never repeated; and byte-
 * identical results for serial and 1, 2, 7 workers with crashes and
 * retries.
 */
#include <criterion/criterion.h>

#include "gp.h"
#include "helpers.h"

/* ------------------------------------------------------------- the GP */

static double
matern_by_hand(double r, double s2)
{
	return s2 * (1 + sqrt(5) * r + 5.0 / 3.0 * r * r) * exp(-sqrt(5) * r);
}

Test(gp, kernel_is_matern_five_halves)
{
	double a[2] = { 0.1, 0.2 }, b[2] = { 0.4, 0.6 };
	double inv_l2[2] = { 1 / (0.3 * 0.3), 1 / (0.5 * 0.5) };
	double r = sqrt(1.0 + 0.8 * 0.8); /* 0.3/0.3 and 0.4/0.5 */

	cr_assert_float_eq(rsw__matern52(a, b, inv_l2, NULL, 2, 2.0, NULL),
			   matern_by_hand(r, 2.0), 1e-15);
	cr_assert_float_eq(rsw__matern52(a, a, inv_l2, NULL, 2, 2.0, NULL), 2.0,
			   1e-15);
	/* The literal: at r = 1, (1 + sqrt5 + 5/3) e^-sqrt5 = 0.52399... */
	cr_assert_float_eq(matern_by_hand(1, 1), 0.5239941088318203, 1e-15);
}

/* A categorical input counts 0 within a category's cell and 1 between
 * cells, whatever the categories' order. */
Test(gp, categorical_inputs_use_the_hamming_distance)
{
	const uint32_t levels[2] = { 0, 4 };
	double inv_l2[2] = { 1 / (0.3 * 0.3), 1 / (0.5 * 0.5) };
	double a[2] = { 0.1, 0.125 }, same_cell[2] = { 0.1, 0.2 };
	double near[2] = { 0.1, 0.375 }, far[2] = { 0.1, 0.875 };

	cr_assert_float_eq(rsw__matern52(a, same_cell, inv_l2, levels, 2, 1, NULL), 1,
			   1e-15);
	cr_assert_float_eq(rsw__matern52(a, near, inv_l2, levels, 2, 1, NULL),
			   matern_by_hand(1 / 0.5, 1), 1e-15);
	cr_assert_float_eq(rsw__matern52(a, far, inv_l2, levels, 2, 1, NULL),
			   rsw__matern52(a, near, inv_l2, levels, 2, 1, NULL), 1e-15);
	/* The last cell is closed at 1. */
	cr_assert_float_eq(rsw__input_sqdiff((double[]){ 0, 1.0 },
					     (double[]){ 0, 0.9 }, levels, 1), 0, 0);
}

/* Two observations in 1-D: K is 2x2, inverted by hand. */
Test(gp, posterior_matches_a_two_point_hand_computation)
{
	rsw__gp gp = { 0 };
	double l = 0.3, s2 = 1.5, sn2 = 1e-4;
	double theta[3] = { log(l), log(s2), log(sn2) };
	double x0 = 0.2, x1 = 0.7, y0 = 1.0, y1 = -0.5, x = 0.4, mu, var;
	double k01, a, bb, c, det, k0, k1, ia, ib, ic, mean_hand, var_hand;

	cr_assert_eq(rsw__gp_reserve(&gp, 1, 2), 0);
	gp.m = gp.nreal = 2;
	gp.X[0] = x0;
	gp.X[1] = x1;
	gp.y[0] = y0;
	gp.y[1] = y1;
	cr_assert_eq(rsw__gp_condition(&gp, theta), 0);
	rsw__gp_predict(&gp, &x, &mu, &var, NULL, NULL);

	k01 = matern_by_hand(fabs(x0 - x1) / l, s2);
	a = s2 + sn2;
	bb = k01;
	c = s2 + sn2;
	det = a * c - bb * bb;
	ia = c / det;
	ib = -bb / det;
	ic = a / det;
	k0 = matern_by_hand(fabs(x - x0) / l, s2);
	k1 = matern_by_hand(fabs(x - x1) / l, s2);
	mean_hand = k0 * (ia * y0 + ib * y1) + k1 * (ib * y0 + ic * y1);
	var_hand = s2 - (k0 * (ia * k0 + ib * k1) + k1 * (ib * k0 + ic * k1));
	cr_assert_float_eq(mu, mean_hand, 1e-12, "mean %.17g vs %.17g", mu, mean_hand);
	cr_assert_float_eq(var, var_hand, 1e-12, "var %.17g vs %.17g", var, var_hand);
	/* At an observation: the mean is (nearly) the value, the variance
	 * (nearly) the noise. */
	rsw__gp_predict(&gp, &x0, &mu, &var, NULL, NULL);
	cr_assert_float_eq(mu, y0, 1e-3);
	cr_assert_lt(var, 2 * sn2);
	rsw__gp_free(&gp);
}

/* Five points in 3-D, the same for every test below. */
static const double pts[5][3] = {
	{ 0.1, 0.2, 0.3 }, { 0.8, 0.1, 0.5 }, { 0.4, 0.9, 0.2 },
	{ 0.6, 0.5, 0.9 }, { 0.3, 0.4, 0.6 },
};
static const double vals[5] = { 0.5, -1.2, 0.3, 1.1, -0.4 };
static const double theta3[5] = { -1.0, -0.5, -0.2, 0.3, -6.0 };

static void
load_points(rsw__gp *gp, uint32_t m)
{
	cr_assert_eq(rsw__gp_reserve(gp, 3, m + 2), 0);
	gp->m = gp->nreal = m;
	for (uint32_t i = 0; i < m; i++) {
		memcpy(&gp->X[i * 3], pts[i], sizeof pts[i]);
		gp->y[i] = vals[i];
	}
}

static void
check_likelihood_gradient(const uint32_t *levels)
{
	double X[15], K[25], alpha[5], kern[25], gfac[25], grad[5], th[5];
	rsw__gp_data d = { 3, 5, X, vals, K, alpha, levels, kern, gfac };

	memcpy(X, pts, sizeof X);
	memcpy(th, theta3, sizeof th);
	th[4] = -3.0; /* enough noise that the noise gradient matters */
	rsw__gp_log_likelihood(&d, th, grad);
	for (int j = 0; j < 5; j++) {
		double h = 1e-6, up, down, num, t = th[j];

		th[j] = t + h;
		up = rsw__gp_log_likelihood(&d, th, NULL);
		th[j] = t - h;
		down = rsw__gp_log_likelihood(&d, th, NULL);
		th[j] = t;
		num = (up - down) / (2 * h);
		cr_assert_float_eq(grad[j], num, 1e-5 * (1 + fabs(num)),
				   "d/dtheta_%d: analytic %.10g, numeric %.10g", j,
				   grad[j], num);
	}
}

Test(gp, likelihood_gradient_matches_finite_differences)
{
	check_likelihood_gradient(NULL);
}

Test(gp, likelihood_gradient_matches_finite_differences_with_a_category)
{
	/* The third input as 3 categories: pts' 0.3, 0.5, 0.2, 0.9, 0.6 fall
	 * in cells 0, 1, 0, 2, 1. */
	const uint32_t levels[3] = { 0, 0, 3 };

	check_likelihood_gradient(levels);
}

Test(gp, fit_raises_the_likelihood)
{
	double X[15], K[25], alpha[5], kern[25], gfac[25], th[5];
	rsw__gp_data d = { 3, 5, X, vals, K, alpha, NULL, kern, gfac };
	double before;

	memcpy(X, pts, sizeof X);
	memcpy(th, theta3, sizeof th);
	before = rsw__gp_log_likelihood(&d, th, NULL);
	cr_assert_eq(rsw__gp_fit(&d, th, 1, 42, 0), 0);
	cr_assert_gt(rsw__gp_log_likelihood(&d, th, NULL), before);
}

Test(gp, posterior_and_log_ei_gradients_match_finite_differences)
{
	rsw__gp gp = { 0 };
	double x[3] = { 0.45, 0.35, 0.55 }, mu, var, dmu[3], dvar[3], g[3];
	double fbest = -1.2;

	load_points(&gp, 5);
	cr_assert_eq(rsw__gp_condition(&gp, theta3), 0);
	rsw__gp_predict(&gp, x, &mu, &var, dmu, dvar);
	rsw__log_ei(fbest, mu, var, 1e-12, 3, dmu, dvar, g);
	for (int d = 0; d < 3; d++) {
		double h = 1e-6, t = x[d], mu_u, var_u, mu_d, var_d, ei_u, ei_d;

		x[d] = t + h;
		rsw__gp_predict(&gp, x, &mu_u, &var_u, NULL, NULL);
		ei_u = rsw__log_ei(fbest, mu_u, var_u, 1e-12, 3, NULL, NULL, NULL);
		x[d] = t - h;
		rsw__gp_predict(&gp, x, &mu_d, &var_d, NULL, NULL);
		ei_d = rsw__log_ei(fbest, mu_d, var_d, 1e-12, 3, NULL, NULL, NULL);
		x[d] = t;
		cr_assert_float_eq(dmu[d], (mu_u - mu_d) / (2 * h), 1e-6);
		cr_assert_float_eq(dvar[d], (var_u - var_d) / (2 * h), 1e-6);
		cr_assert_float_eq(g[d], (ei_u - ei_d) / (2 * h), 1e-5);
	}
	rsw__gp_free(&gp);
}

/* EI = sigma (phi(z) + z Phi(z)); below z = -25 a series replaces it. */
Test(gp, log_ei_is_exact_above_and_continuous_across_the_series)
{
	double z = -2.5, direct = log(exp(-0.5 * z * z) / sqrt(2 * M_PI) +
				      z * 0.5 * erfc(-z / sqrt(2)));

	cr_assert_float_eq(rsw__log_ei(z, 0, 1, 1e-12, 0, NULL, NULL, NULL),
			   direct, 1e-12);
	{
		double below = rsw__log_ei(-25.000001, 0, 1, 1e-12, 0, NULL, NULL, NULL);
		double above = rsw__log_ei(-24.999999, 0, 1, 1e-12, 0, NULL, NULL, NULL);

		/* Over the 2e-6 gap log EI rises by its slope (the gradient in
		 * mu, negated); a jump between the two formulas would show. */
		double one = -1, zero = 0, slope_below, slope_above;

		rsw__log_ei(-25.000001, 0, 1, 1e-12, 1, &one, &zero, &slope_below);
		rsw__log_ei(-24.999999, 0, 1, 1e-12, 1, &one, &zero, &slope_above);
		cr_assert_float_eq(above - below, 1e-6 * (slope_below + slope_above),
				   1e-8, "%.12g vs %.12g", below, above);
	}
	/* Far below, where EI itself underflows, log EI stays finite and
	 * still orders the points. */
	cr_assert(isfinite(rsw__log_ei(-60, 0, 1, 1e-12, 0, NULL, NULL, NULL)));
	cr_assert_lt(rsw__log_ei(-60, 0, 1, 1e-12, 0, NULL, NULL, NULL),
		     rsw__log_ei(-50, 0, 1, 1e-12, 0, NULL, NULL, NULL));
}

Test(gp, fantasies_keep_the_mean_and_shrink_the_variance)
{
	rsw__gp real = { 0 }, fant = { 0 };
	double pending[3] = { 0.5, 0.5, 0.5 };
	double probes[3][3] = { { 0.5, 0.5, 0.5 }, { 0.55, 0.45, 0.5 },
				{ 0.2, 0.7, 0.1 } };

	load_points(&real, 5);
	cr_assert_eq(rsw__gp_condition(&real, theta3), 0);
	load_points(&fant, 5);
	fant.m = 6;
	memcpy(&fant.X[5 * 3], pending, sizeof pending);
	cr_assert_eq(rsw__gp_condition(&fant, theta3), 0);
	for (int p = 0; p < 3; p++) {
		double mr, vr, mf, vf;

		rsw__gp_predict(&real, probes[p], &mr, &vr, NULL, NULL);
		rsw__gp_predict(&fant, probes[p], &mf, &vf, NULL, NULL);
		cr_assert_float_eq(mf, mr, 1e-9, "probe %d: the mean moved", p);
		cr_assert_leq(vf, vr + 1e-12, "probe %d: the variance grew", p);
		if (p == 0) /* down to the noise at the pending point */
			cr_assert_lt(vf, 2 * exp(theta3[4]), "%g", vf);
	}
	rsw__gp_free(&real);
	rsw__gp_free(&fant);
}

/* ------------------------------------------------------ the algorithm */

/* The best of one `--algo bayes` run of a test function on its domain:
 * branin's (2-D) or the unit cube. */
static double
bayes_best(const char *objective, int dim, const char *evals, int seed)
{
	static const char *branin[] = { "-5:10", "0:15" }, *unit[] = { "0:1" };

	return dim == 2 ? cli_algo_best(objective, "bayes", 2, branin, 2, evals, seed) :
			  cli_algo_best(objective, "bayes", dim, unit, 1, evals, seed);
}

Test(bayes, branin_median_of_10_seeds_within_0_41_after_50, .timeout = 120)
{
	double best[10];

	for (int s = 0; s < 10; s++)
		best[s] = bayes_best("branin", 2, "50", s);
	cr_log_info("branin, 50 evaluations: median best %.6f (minimum 0.397887)",
		    median(best, 10));
	cr_assert_leq(median(best, 10), 0.41);
}

Test(bayes, hartmann6_median_of_10_seeds_below_minus_3_after_100, .timeout = 300)
{
	double best[10];

	for (int s = 0; s < 10; s++)
		best[s] = bayes_best("hartmann6", 6, "100", s);
	cr_log_info("hartmann6, 100 evaluations: median best %.5f (minimum -3.32237)",
		    median(best, 10));
	cr_assert_leq(median(best, 10), -3.0);
}

/* Median of 10 seeds of bayes's best on a function of the search-quality
 * suite (bench/suite/suite.c: `--objective-arg NAME`), its parameters
 * `count` times `spec`, then `more` (NULL-terminated, may be NULL). */
static double
suite_median(const char *name, int count, const char *spec,
	     const char *const *more, const char *evals, const char *window)
{
	double best[10];

	for (int s = 0; s < 10; s++) {
		char specs[16][32], seed_s[16];
		const char *argv[64] = { "--objective", RSW_SUITE_PLUGIN_PATH,
					 "--objective-arg", name };
		int n;

		cr_assert_leq(count, 16, "suite_median: %d parameters, room for 16", count);
		n = add_box_params(argv, 4, specs, count, &spec, 1);

		for (int i = 0; more != NULL && more[i] != NULL; i++) {
			argv[n++] = "--param";
			argv[n++] = more[i];
		}
		snprintf(seed_s, sizeof seed_s, "%d", s);
		argv[n++] = "--algo";
		argv[n++] = "bayes";
		argv[n++] = "--evals";
		argv[n++] = evals;
		argv[n++] = "--window";
		argv[n++] = window;
		argv[n++] = "--seed";
		argv[n++] = seed_s;
		argv[n++] = "--minimize";
		argv[n++] = "--serial";
		argv[n] = NULL;
		best[s] = cli_best(argv);
	}
	return median(best, 10);
}

/* Regression targets from the search-quality suite at 100 evaluations,
 * where bayes once lost to Optuna's better sampler (docs/BENCHMARKS.md:
 * bayes before -> after this target, Optuna's best): a heavy dynamic
 * range (Goldstein-Price: 4.36 -> 3.03, 3.12), a curved valley
 * (Rosenbrock 4-D: 51 -> 3.5, 38; on integers: 102 -> 1.5, 52) and an
 * ill-conditioned ellipsoid (10-D, condition 1e6: 142,000 -> 136,
 * 70,500). */
Test(bayes, suite_heavy_range_valley_and_ill_conditioned_targets, .timeout = 300)
{
	const char *ints[] = { "x1=int:-5:10", "x2=int:-5:10", "x3=int:-5:10",
			       "x4=int:-5:10", NULL };
	double goldstein = suite_median("goldstein_price", 2, "-2:2", NULL, "100", "4");
	double rosenbrock = suite_median("rosenbrock4", 4, "-5:10", NULL, "100", "4");
	double rosenbrock_int = suite_median("rosenbrock_int4", 0, NULL, ints, "100", "4");
	double ellipsoid = suite_median("ellipsoid10", 10, "-5:5", NULL, "100", "4");

	cr_log_info("medians of 10 seeds at 100: goldstein_price %g, rosenbrock4 %g, "
		    "rosenbrock_int4 %g, ellipsoid10 %g", goldstein, rosenbrock,
		    rosenbrock_int, ellipsoid);
	cr_assert_lt(goldstein, 3.1, "goldstein_price: %g (minimum 3)", goldstein);
	cr_assert_lt(rosenbrock, 10, "rosenbrock4: %g", rosenbrock);
	cr_assert_lt(rosenbrock_int, 20, "rosenbrock_int4: %g", rosenbrock_int);
	cr_assert_lt(ellipsoid, 1000, "ellipsoid10: %g", ellipsoid);
}

/* Sixteen evaluations in flight lose little: on hartmann6 at 100 the
 * median of 10 seeds at window 16 was -2.72 against -3.32 sequentially;
 * the trust region and a polish that stays near its candidate keep it
 * at -3.25 (this median, the upper of the middle two: -3.20; the
 * windows table in docs/BENCHMARKS.md). */
Test(bayes, window_16_keeps_most_of_sequential_quality_on_hartmann6, .timeout = 300)
{
	double sequential = suite_median("hartmann6", 6, "0:1", NULL, "100", "1");
	double window16 = suite_median("hartmann6", 6, "0:1", NULL, "100", "16");

	cr_log_info("hartmann6 at 100: window 1 %g, window 16 %g", sequential, window16);
	cr_assert_lt(window16, -3.1, "window 16: %g (window 1: %g)", window16, sequential);
	cr_assert_lt(window16 - sequential, 0.2, "window 16: %g, window 1: %g", window16,
		     sequential);
}

/* A 2-D bowl at (0.5, 0.3) whose right part (x > 0.75) always fails: NaN
 * above y = 0.5, an overflow (+inf) below. */
static int
holey_bowl(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	uint64_t *failures = ctx;

	if (x[0] > 0.75) {
		++*failures;
		out->value = x[1] > 0.5 ? NAN : INFINITY;
		return 0;
	}
	out->value = (x[0] - 0.5) * (x[0] - 0.5) + (x[1] - 0.3) * (x[1] - 0.3);
	return 0;
}

Test(bayes, failed_evaluations_are_imputed_and_never_best, .timeout = 60)
{
	uint64_t failures = 0;
	rsw_objective obj = { holey_bowl, NULL, &failures, NULL };
	rsw_run_options ro = { .window = 1 };
	const char *specs[] = { "x=float:0:1", "y=float:0:1", NULL };
	rsw_space s = space_of(specs);
	rsw_algorithm *bo;
	rsw_best best;

	cr_assert_eq(rsw_algo_bayes_create(&bo, &s, &(rsw_algo_opts){ .evals = 40, .init = 10, .seed = 7, .minimize = 1 }), 0);
	run_algorithm(bo, obj, 0, &ro);
	cr_assert_eq(bo->best(bo, &best), 0);
	cr_log_info("holey bowl: %llu of 40 failed, best %g",
		    (unsigned long long)failures, best.value);
	cr_assert(!isnan(best.value));
	cr_assert_leq(best.params[0], 0.75);
	cr_assert_lt(best.value, 1e-3);
	/* A quarter of the cube fails: random search would lose ~10 of 40;
	 * the model learns the region is worst and stays out of it. */
	cr_assert_lt(failures, 10);
	rsw_algorithm_destroy(bo);
}

/* A bowl plus a per-category offset that is not monotone in the
 * category's index: best in category 1 at (0.3, 0.7). */
static int
bowl_by_category(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		 rsw_eval_out *out)
{
	static const double offset[8] = { 2.0, 0.0, 2.1, 0.4, 1.9, 0.9, 2.2, 0.2 };

	out->value = (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 0.7) * (x[1] - 0.7) +
		     offset[(int)x[2]];
	return 0;
}

/* Categories are unordered: the model compares them as equal or not
 * (measured here: median of 10 seeds 3e-7 at 30 evaluations, against
 * 0.0045 when the kernel saw the categories placed by index in [0, 1)). */
Test(bayes, categories_are_unordered, .timeout = 60)
{
	double best[10];

	const char *specs[] = { "x=float:0:1", "y=float:0:1",
				"c=cat:c0,c1,c2,c3,c4,c5,c6,c7", NULL };
	rsw_space s = space_of(specs);
	rsw_objective obj = { bowl_by_category, NULL, NULL, NULL };
	rsw_run_options ro = { .window = 1 };

	for (int seed = 0; seed < 10; seed++) {
		rsw_algorithm *bo;
		rsw_best b;

		cr_assert_eq(rsw_algo_bayes_create(&bo, &s, &(rsw_algo_opts){ .evals = 30, .init = 0, .seed = (uint64_t)seed, .minimize = 1 }), 0);
		run_algorithm(bo, obj, 0, &ro);
		cr_assert_eq(bo->best(bo, &b), 0);
		best[seed] = b.value;
		rsw_algorithm_destroy(bo);
	}
	cr_log_info("bowl by category, 30 evaluations: median best %g",
		    median(best, 10));
	cr_assert_lt(median(best, 10), 0.002);
}

static int
no_result_yet(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	      rsw_eval_out *out)
{
	out->value = (x[0] - 0.2) * (x[0] - 0.2) + (x[1] - 0.8) * (x[1] - 0.8);
	return 0;
}

/* Eight suggestions in a row with none of their results: never WAIT, and
 * the fantasies push every one away from the others. */
Test(bayes, pending_points_spread_without_waiting)
{
	const char *specs[] = { "x=float:0:1", "y=float:0:1", NULL };
	rsw_space s = space_of(specs);
	rsw_algorithm *bo;
	double p[16][2];

	cr_assert_eq(rsw_algo_bayes_create(&bo, &s, &(rsw_algo_opts){ .evals = 16, .init = 8, .seed = 3, .minimize = 1 }), 0);
	for (uint64_t k = 0; k < 8; k++) {
		rsw_result r = { .seq = k, .status = RSW_STATUS_OK };
		rsw_eval_out o;

		cr_assert_eq(bo->suggest(bo, k, p[k]), RSW_SUGGEST_OK);
		no_result_yet(NULL, p[k], 2, NULL, &o);
		r.value = o.value;
		cr_assert_eq(bo->update(bo, p[k], &r), 0);
	}
	for (uint64_t k = 8; k < 16; k++)
		cr_assert_eq(bo->suggest(bo, k, p[k]), RSW_SUGGEST_OK, "seq %llu",
			     (unsigned long long)k);
	cr_assert_eq(bo->suggest(bo, 16, p[0]), RSW_SUGGEST_DONE);
	for (int i = 8; i < 16; i++)
		for (int j = 8; j < i; j++)
			cr_assert_gt(hypot(p[i][0] - p[j][0], p[i][1] - p[j][1]), 1e-3,
				     "suggestions %d and %d coincide", i, j);
	rsw_algorithm_destroy(bo);
}

Test(bayes, identical_results_for_serial_and_any_worker_count, .timeout = 300)
{
	const char *args[] = { "--algo", "bayes", "--evals", "112", "--init", "12",
			       "--window", "3", "--seed", "4", NULL };
	char *csv = assert_same_results_at_any_worker_count(args);

	cr_assert_not_null(strstr(csv, "\n111,"), "112 rows");
	free(csv);
}

struct distinct_check {
	uint32_t evals;
	double seen[64][2];
	int repeats;
};

static int
count_repeats(void *ctx, const double *x, uint32_t n, const rsw_result *r)
{
	struct distinct_check *c = ctx;

	for (uint32_t i = 0; i < c->evals; i++)
		if (c->seen[i][0] == x[0] && c->seen[i][1] == x[1])
			c->repeats++;
	if (c->evals < 64) {
		c->seen[c->evals][0] = x[0];
		c->seen[c->evals][1] = x[1];
		c->evals++;
	}
	return 0;
}

/* Runs bayes over the 5 x 3 grid x=int:0:4, y=cat:a,b,c with a budget of
 * 40 and asserts every point is new and the run ends with the grid. */
static void
exhaust_the_grid_without_repeats(rsw_objective obj, int workers)
{
	struct distinct_check chk = { 0 };
	rsw_run_options ro = { .window = 2, .on_commit = count_repeats,
			       .commit_ctx = &chk };
	const char *specs[] = { "x=int:0:4", "y=cat:a,b,c", NULL };
	rsw_space s = space_of(specs);
	rsw_algorithm *bo;

	cr_assert_eq(rsw_algo_bayes_create(&bo, &s, &(rsw_algo_opts){ .evals = 40, .init = 4, .seed = 1, .minimize = 1 }), 0);
	run_algorithm(bo, obj, workers, &ro);
	cr_assert_eq(chk.repeats, 0);
	cr_assert_eq(chk.evals, 15, "5 x 3 points, then done: %u", chk.evals);
	rsw_algorithm_destroy(bo);
}

/* In a discrete space every suggestion is a new point (the continuous
 * optimum of EI would round onto known ones again and again), and the
 * run ends when the space is exhausted, not when the budget is. */
Test(bayes, discrete_points_are_never_repeated_and_exhaustion_ends_the_run,
     .timeout = 60)
{
	exhaust_the_grid_without_repeats((rsw_objective){ no_result_yet, NULL, NULL, NULL }, 2);
}

static int
always_fails(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	     rsw_eval_out *out)
{
	out->error_code = 3;
	return -1;
}

/* With no success to model (every evaluation fails) bayes explores at
 * random: those points are new ones too, down to the last of the grid. */
Test(bayes, points_drawn_without_a_model_are_never_repeated, .timeout = 60)
{
	exhaust_the_grid_without_repeats((rsw_objective){ always_fails, NULL, NULL, NULL }, 0);
}

/* The embedding example (examples/embed_search.c: rsw_run + bayes through
 * the library) prints the same search at any worker count. */
Test(bayes, embedding_example_is_the_same_at_any_worker_count, .timeout = 120)
{
	const char *one[] = { "1", NULL }, *three[] = { "3", NULL };
	char a[] = "/tmp/rsw-embed-XXXXXX", b[] = "/tmp/rsw-embed-XXXXXX";
	char *ta, *tb;

	close(mkstemp(a));
	close(mkstemp(b));
	cr_assert_eq(run_program(RSW_EMBED_SEARCH_PATH, one, a, NULL), 0);
	cr_assert_eq(run_program(RSW_EMBED_SEARCH_PATH, three, b, NULL), 0);
	ta = slurp(a);
	tb = slurp(b);
	cr_assert_not_null(strstr(ta, "best Sharpe"), "%s", ta);
	cr_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
	unlink(a);
	unlink(b);
}

/* ------------------------------------------------------ bad requests */

static void
expect_refusal(const char *const *argv, const char *needle)
{
	char err[] = "/tmp/rsw-boe-XXXXXX";
	int fd = mkstemp(err), rc;
	char *text;

	close(fd);
	rc = run_cli(argv, "/dev/null", err);
	text = slurp(err);
	cr_assert_neq(rc, 0, "accepted: %s", text);
	cr_assert_not_null(strstr(text, needle), "no '%s' in: %s", needle, text);
	free(text);
	unlink(err);
}

Test(bayes, fixed_dimension_and_budget_errors_are_named)
{
	const char *three[] = { "run", "--objective", "branin", "--param", "a=float:0:1",
				"--param", "b=float:0:1", "--param", "c=float:0:1",
				"--algo", "bayes", "--evals", "10", "--db", "none",
				NULL };
	const char *five[] = { "run", "--objective", "hartmann6", "--param",
			       "a=float:0:1", "--param", "b=float:0:1", "--param",
			       "c=float:0:1", "--param", "d=float:0:1", "--param",
			       "e=float:0:1", "--algo", "random", "--evals", "10",
			       "--db", "none", NULL };
	const char *no_evals[] = { "run", "--objective", "branin", "--param",
				   "a=float:0:1", "--param", "b=float:0:1",
				   "--algo", "bayes", "--db", "none", NULL };
	const char *init[] = { "run", "--objective", "branin", "--param", "a=float:0:1",
			       "--param", "b=float:0:1", "--algo", "bayes",
			       "--evals", "10", "--init", "11", "--db", "none",
			       NULL };

	expect_refusal(three, "objective 'branin' takes exactly 2 parameters");
	expect_refusal(five, "objective 'hartmann6' takes exactly 6 parameters");
	expect_refusal(no_evals, "--algo bayes needs --evals");
	expect_refusal(init, "--init 11 is more than --evals 10");
}
