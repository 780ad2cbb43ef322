/*
 * tests/test_cmaes.c - CMA-ES: converges on a sphere, reaches 1e-3 on
 * Rosenbrock-10D within 20,000 evaluations (median of 10 fixed seeds),
 * and gives byte-identical results for serial and 1, 2, 7 workers,
 * crashes and retries included.
 */
#include <criterion/criterion.h>

#include "helpers.h"

static int
sphere(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
       rsw_eval_out *out)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += (x[i] - 1.5) * (x[i] - 1.5);
	out->value = s;
	return 0;
}

Test(cmaes, converges_on_a_sphere, .timeout = 60)
{
	rsw_objective obj = { sphere, NULL, NULL };
	rsw_run_options ro = { .window = 8 };
	const char *specs[] = { "x1=float:-4:6", "x2=float:-4:6", "x3=float:-4:6",
				"x4=float:-4:6", "x5=float:-4:6", NULL };
	rsw_space s = space_of(specs);
	rsw_algorithm *cma;
	rsw_best best;

	cr_assert_eq(rsw_algo_cmaes_create(&cma, &s, 8, 2400, 3, 1), 0);
	run_algorithm(cma, obj, 0, &ro);
	cr_assert_eq(cma->best(cma, &best), 0);
	cr_assert_lt(best.value, 1e-8, "best %g", best.value);
	for (int i = 0; i < 5; i++)
		cr_assert_float_eq(best.params[i], 1.5, 1e-3);
	rsw_algorithm_destroy(cma);
}

Test(cmaes, rosenbrock_10d_median_of_10_seeds_within_20000_evaluations,
     .timeout = 300)
{
	static const char *range[] = { "-5:5" };
	double best[10];

	for (int seed = 0; seed < 10; seed++) {
		char specs[10][32], seed_s[16];
		const char *argv[40] = { "--objective", "rosenbrock" };
		int n = add_box_params(argv, 2, specs, 10, range, 1);

		snprintf(seed_s, sizeof seed_s, "%d", seed + 1);
		argv[n++] = "--algo";
		argv[n++] = "cmaes";
		argv[n++] = "--evals";
		argv[n++] = "20000";
		argv[n++] = "--seed";
		argv[n++] = seed_s;
		argv[n++] = "-j";
		argv[n++] = "2";
		argv[n] = NULL;
		best[seed] = cli_best(argv);
	}
	cr_log_info("Rosenbrock-10D, 20,000 evaluations: median best %g",
		    median(best, 10));
	cr_assert_leq(median(best, 10), 1e-3);
}

Test(cmaes, identical_results_for_serial_and_any_worker_count, .timeout = 120)
{
	const char *args[] = { "--algo", "cmaes", "--evals", "300", "--seed", "5",
			       NULL };
	char *csv = assert_same_results_at_any_worker_count(args);

	cr_assert_not_null(strstr(csv, "\n299,"), "300 rows");
	free(csv);
}
