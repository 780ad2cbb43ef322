/*
 * tests/test_cmaes.c - CMA-ES: converges on a sphere, reaches 1e-3 on
 * Rosenbrock-10D within 20,000 evaluations (median of three fixed seeds),
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
	rsw_algorithm *cma;
	rsw_space s;
	rsw_config c;
	rsw_engine *e;
	rsw_best best;
	char err[128];

	rsw_space_init(&s);
	for (int i = 0; i < 5; i++) {
		char spec[32];

		snprintf(spec, sizeof spec, "x%d=float:-4:6", i);
		cr_assert_eq(rsw_space_add(&s, spec, err, sizeof err), 0);
	}
	cr_assert_eq(rsw_algo_cmaes_create(&cma, &s, 8, 2400, 3, 1), 0);
	rsw_config_init(&c);
	c.workers = 0;
	c.max_params = s.n;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, cma, &ro), 0);
	rsw_engine_close(e);
	cr_assert_eq(cma->best(cma, &best), 0);
	cr_assert_lt(best.value, 1e-8, "best %g", best.value);
	for (int i = 0; i < 5; i++)
		cr_assert_float_eq(best.params[i], 1.5, 1e-3);
	rsw_algorithm_destroy(cma);
}

static char *
run(const char *seed, const char *evals, const char *mode)
{
	static char specs[10][32];
	const char *argv[64];
	char out[] = "/tmp/rsw-cma-XXXXXX";
	int n = 0, fd = mkstemp(out);
	char *text;

	close(fd);
	argv[n++] = "run";
	argv[n++] = "--objective";
	argv[n++] = "rosenbrock";
	for (int i = 0; i < 10; i++) {
		snprintf(specs[i], sizeof specs[i], "x%d=float:-5:5", i);
		argv[n++] = "--param";
		argv[n++] = specs[i];
	}
	argv[n++] = "--algo";
	argv[n++] = "cmaes";
	argv[n++] = "--evals";
	argv[n++] = evals;
	argv[n++] = "--seed";
	argv[n++] = seed;
	argv[n++] = "--db";
	argv[n++] = "none";
	argv[n++] = "-q";
	if (strcmp(mode, "serial") == 0) {
		argv[n++] = "--serial";
	} else {
		argv[n++] = "-j";
		argv[n++] = mode;
	}
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, out, NULL), 0);
	text = slurp(out);
	unlink(out);
	return text;
}

Test(cmaes, rosenbrock_10d_within_20000_evaluations, .timeout = 120)
{
	const char *seeds[] = { "1", "2", "3" };
	double best[3];

	for (int i = 0; i < 3; i++) {
		char *text = run(seeds[i], "20000", "2");

		cr_assert_eq(sscanf(text, "best: %lf", &best[i]), 1, "%s", text);
		free(text);
	}
	{
		double m = median(best, 3);

		cr_log_info("Rosenbrock-10D, 20,000 evaluations: median best %g", m);
		cr_assert_leq(m, 1e-3);
	}
}

Test(cmaes, identical_results_for_serial_and_any_worker_count, .timeout = 120)
{
	const char *args[] = { "--algo", "cmaes", "--evals", "300", "--seed", "5",
			       NULL };
	char *csv = assert_same_results_at_any_worker_count(args);

	cr_assert_not_null(strstr(csv, "\n299,"), "300 rows");
	free(csv);
}
