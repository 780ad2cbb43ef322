/*
 * tests/test_genetic.c - the genetic algorithm: every individual it breeds
 * is a valid point of a mixed space (bounds, steps, integers, log scale,
 * categories); its generations are barriers yet its results are
 * byte-identical for serial and 1, 2, 7 workers, crashes and retries
 * included; and it beats random search at the same budget on Rastrigin-10D.
 */
#include <criterion/criterion.h>

#include "helpers.h"

static int
mixed_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	out->value = fabs(x[0] - 7) + fabs(x[1] - 0.5) + fabs(log10(x[2]) + 2) +
		     (x[3] == 2 ? 0 : 1);
	return 0;
}

struct checker {
	const rsw_space *space;
	uint64_t commits, bad;
};

static int
check_point(void *ctx, const double *x, uint32_t n, const rsw_result *r)
{
	struct checker *c = ctx;

	c->commits++;
	for (uint32_t i = 0; i < n; i++) {
		const rsw_param *p = &c->space->params[i];

		if (x[i] < p->lo || x[i] > p->hi)
			c->bad++;
		else if (p->step > 0 && fabs(remainder(x[i] - p->lo, p->step)) > 1e-9)
			c->bad++;
	}
	return 0;
}

Test(genetic, offspring_stay_valid_points_of_a_mixed_space, .timeout = 60)
{
	const char *specs[] = { "i=int:0:20:2", "f=float:0:1:0.125", "l=log:1e-4:1",
				"c=cat:a,b,c,d", NULL };
	rsw_objective obj = { mixed_eval, NULL, NULL };
	struct checker chk = { 0 };
	rsw_run_options ro = { .window = 30, .on_commit = check_point,
			       .commit_ctx = &chk };
	rsw_algorithm *ga;
	rsw_space s;
	rsw_config c;
	rsw_engine *e;
	rsw_best best;
	char err[128];

	rsw_space_init(&s);
	for (int i = 0; specs[i] != NULL; i++)
		cr_assert_eq(rsw_space_add(&s, specs[i], err, sizeof err), 0);
	chk.space = &s;
	cr_assert_eq(rsw_algo_genetic_create(&ga, &s, 30, 25, 11, 1), 0);
	rsw_config_init(&c);
	c.workers = 2;
	c.max_params = s.n;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, ga, &ro), 0);
	rsw_engine_close(e);
	cr_assert_eq(chk.commits, 30 * 25);
	cr_assert_eq(chk.bad, 0, "%llu invalid points", (unsigned long long)chk.bad);
	cr_assert_eq(ga->best(ga, &best), 0);
	cr_assert_lt(best.value, 1.5, "it converges toward i=8, f=0.5, l=0.01, c=c");
	rsw_algorithm_destroy(ga);
}

Test(genetic, identical_results_for_serial_and_any_worker_count, .timeout = 120)
{
	const char *args[] = { "--algo", "genetic", "--population", "24",
			       "--generations", "12", "--seed", "9", NULL };
	char *csv = assert_same_results_at_any_worker_count(args);

	cr_assert_not_null(strstr(csv, "\n287,"), "24 x 12 rows");
	free(csv);
}

static double
best_of(const char *algo, const char *seed)
{
	char out[] = "/tmp/rsw-ga-best-XXXXXX";
	const char *argv[64];
	int n = 0, fd = mkstemp(out);
	char *text;
	double v;

	close(fd);
	static char specs[10][32];

	argv[n++] = "run";
	argv[n++] = "--objective";
	argv[n++] = "rastrigin";
	for (int i = 0; i < 10; i++) {
		snprintf(specs[i], sizeof specs[i], "x%d=float:-5.12:5.12", i);
		argv[n++] = "--param";
		argv[n++] = specs[i];
	}
	argv[n++] = "--algo";
	argv[n++] = algo;
	if (strcmp(algo, "genetic") == 0) {
		argv[n++] = "--population";
		argv[n++] = "50";
		argv[n++] = "--generations";
		argv[n++] = "40";
	} else {
		argv[n++] = "--evals";
		argv[n++] = "2000";
	}
	argv[n++] = "--seed";
	argv[n++] = seed;
	argv[n++] = "--db";
	argv[n++] = "none";
	argv[n++] = "-q";
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, out, NULL), 0);
	text = slurp(out);
	cr_assert_eq(sscanf(text, "best: %lf", &v), 1, "%s", text);
	free(text);
	unlink(out);
	return v;
}

Test(genetic, beats_random_search_on_rastrigin_10d, .timeout = 120)
{
	const char *seeds[] = { "1", "2", "3", "4", "5" };
	double ga[5], rnd[5];

	for (int i = 0; i < 5; i++) {
		ga[i] = best_of("genetic", seeds[i]);
		rnd[i] = best_of("random", seeds[i]);
	}
	{
		double g = median(ga, 5), r = median(rnd, 5);

		cr_log_info("Rastrigin-10D, 2000 evaluations, median of 5 seeds: "
			    "genetic %.2f, random %.2f", g, r);
		cr_assert_lt(g, r - 10, "genetic %.2f vs random %.2f", g, r);
	}
}
