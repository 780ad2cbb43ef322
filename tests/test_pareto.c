/*
 * tests/test_pareto.c - several objectives at once (pareto.h, the
 * sweep's front): the hypervolume against inclusion-exclusion, the
 * non-dominated sort, a grid's front against brute force (through the
 * library and through export --pareto), NSGA-II and ParEGO the same at
 * any worker count and after a resume, NSGA-II better than random
 * search at equal budgets, and the refusals that name the culprit.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>

#include "helpers.h"

/* The hypervolume by inclusion-exclusion over every subset: the
 * intersection of boxes [p, ref] is the box [max p, ref]. */
static double
hv_brute(const double *p, uint32_t n, uint32_t d, const double *ref)
{
	double hv = 0;

	for (uint32_t mask = 1; mask < (1u << n); mask++) {
		double lo[8], vol = 1;
		int bits = 0;

		for (uint32_t k = 0; k < d; k++)
			lo[k] = -HUGE_VAL;
		for (uint32_t i = 0; i < n; i++)
			if (mask & (1u << i)) {
				bits++;
				for (uint32_t k = 0; k < d; k++)
					lo[k] = fmax(lo[k], p[i * d + k]);
			}
		for (uint32_t k = 0; k < d; k++)
			vol *= fmax(0, ref[k] - lo[k]);
		hv += bits % 2 ? vol : -vol;
	}
	return hv;
}

Test(pareto, hypervolume_is_exact_in_two_to_four_objectives)
{
	const double two[] = { 1, 2, 2, 1 }, ref2[] = { 3, 3 };
	const double three[] = { 0, 0, 0.5, 0.5, 0.5, 0 }, ref3[] = { 1, 1, 1 };
	const double outside[] = { 4, 0, 0, 4 };

	cr_assert_float_eq(rsw_hypervolume(two, 2, 2, ref2), 3, 1e-12);
	cr_assert_float_eq(rsw_hypervolume(three, 2, 3, ref3), 0.625, 1e-12);
	cr_assert_eq(rsw_hypervolume(outside, 2, 2, ref2), 0,
		     "points not better than the reference add nothing");
	/* Random sets, dominated points and ties included. */
	for (uint32_t d = 2; d <= 4; d++)
		for (uint64_t trial = 0; trial < 20; trial++) {
			double p[10 * 4], ref[4];
			uint32_t n = 3 + (uint32_t)(trial % 8);

			for (uint32_t i = 0; i < n * d; i++)
				p[i] = floor(8 * ((double)((trial * 7919 + i * 104729) % 1000) / 1000)) / 8;
			for (uint32_t k = 0; k < d; k++)
				ref[k] = 1.1;
			cr_assert_float_eq(rsw_hypervolume(p, n, d, ref),
					   hv_brute(p, n, d, ref), 1e-9, "d %u, trial %llu",
					   d, (unsigned long long)trial);
		}
}

Test(pareto, non_dominated_sorting_peels_the_fronts)
{
	/* (1,4) (2,2) (4,1) are the front; (3,3) and (2,5) the next; (5,5)
	 * last; (2,2) twice: equals do not dominate each other. */
	const double p[] = { 1, 4, 2, 2, 4, 1, 3, 3, 2, 5, 5, 5, 2, 2 };
	const uint32_t want[] = { 0, 0, 0, 1, 1, 2, 0 };
	uint32_t rank[7];

	cr_assert_eq(rsw_pareto_rank(p, 7, 2, rank), 0);
	for (int i = 0; i < 7; i++)
		cr_assert_eq(rank[i], want[i], "point %d: rank %u", i, rank[i]);
	cr_assert(!rsw_pareto_dominates(&p[1 * 2], &p[6 * 2], 2), "equals");
	cr_assert(!rsw_pareto_dominates(&p[0], &p[2 * 2], 2), "incomparable");
	cr_assert(rsw_pareto_dominates(&p[1 * 2], &p[3 * 2], 2));
	/* Rounding noise is no difference: the better Sharpe (negated) with
	 * the same drawdown but for the last bits dominates. */
	cr_assert(rsw_pareto_dominates((double[]){ -1.32, 0.18233505133829453 },
				       (double[]){ -1.30, 0.18233505133829431 }, 2));
	/* A failure (genetic's: every objective infinite) is dominated by
	 * every success. */
	cr_assert(rsw_pareto_dominates((double[]){ 0.1, 0.2 },
				       (double[]){ INFINITY, INFINITY }, 2));
	cr_assert(!rsw_pareto_dominates((double[]){ INFINITY, INFINITY },
					(double[]){ 0.1, 0.2 }, 2));
}

/* Near-equal vectors cannot dominate each other in a cycle (a tolerance
 * between two values would let a > b > c > a, and no front could be
 * peeled off: the sweep failed). */
Test(pareto, near_equal_vectors_still_sort)
{
	const double p[] = { 1, 1 + 0.8e-12, 1 + 1.5e-12,
			     1 + 1.5e-12, 1, 1 + 0.8e-12,
			     1 + 0.8e-12, 1 + 1.5e-12, 1,
			     2, 2, 2,
			     0.5, NAN, 3 };
	int cycle = rsw_pareto_dominates(&p[0], &p[3], 3) &&
		    rsw_pareto_dominates(&p[3], &p[6], 3) &&
		    rsw_pareto_dominates(&p[6], &p[0], 3);
	uint32_t rank[5];

	cr_assert(!cycle, "dominance went round in a circle");
	cr_assert_eq(rsw_pareto_rank(p, 5, 3, rank), 0);
	cr_assert(rank[3] > rank[0] && rank[3] > rank[1] && rank[3] > rank[2],
		  "(2, 2, 2) is behind all three");
	cr_assert_eq(rank[0] + rank[1] + rank[2] <= 3, 1);
}

struct seen {
	uint32_t n;
	uint64_t seq[4096];
	double f[4096][2];
};

static int
remember(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	struct seen *s = ctx;

	cr_assert_eq(r->status, RSW_STATUS_OK);
	s->seq[s->n] = r->seq;
	s->f[s->n][0] = r->metrics[0];	/* f1, minimised */
	s->f[s->n][1] = r->metrics[1];
	s->n++;
	return 0;
}

/* A grid's front is every point no other dominates, by brute force;
 * export --pareto reads the same from the store. */
Test(pareto, a_grid_keeps_every_undominated_point, .timeout = 120,
     .init = make_test_dir)
{
	static const char *const specs[] = { "x1=float:0:1:0.05", "x2=float:0:1:0.25",
					     "x3=float:0:1:0.5", NULL };
	rsw_space space = space_of(specs);
	struct seen *s = calloc(1, sizeof *s);
	const rsw_sweep_row *rows;
	rsw_sweep_config c;
	rsw_sweep *sw;
	char err[512], *csv;
	double front[4096 * 2], ref[2];
	uint32_t nfront = 0, n;
	FILE *out;

	rsw_sweep_config_init(&c);
	c.space = &space;
	c.objective.name = "zdt2";
	c.engine.workers = 2;
	c.nobjectives = 2;
	c.objectives[0] = (rsw_objective_goal){ "f1", 1 };
	c.objectives[1] = (rsw_objective_goal){ "f2", 1 };
	c.nhv_ref = 2;
	c.hv_ref[0] = 1.5;
	c.hv_ref[1] = 12;
	c.on_commit = remember;
	c.commit_ctx = s;
	c.store = in_test_dir("grid.db");
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(s->n, 21 * 5 * 3);
	n = rsw_sweep_pareto(sw, &rows);
	for (uint32_t i = 0; i < s->n; i++) {
		int dominated = 0;

		for (uint32_t j = 0; j < s->n && !dominated; j++)
			dominated = rsw_pareto_dominates(s->f[j], s->f[i], 2) ||
				    (j < i && !rsw_pareto_dominates(s->f[i], s->f[j], 2) &&
				     fabs(s->f[j][0] - s->f[i][0]) <= 1e-12 * fabs(s->f[i][0]) &&
				     fabs(s->f[j][1] - s->f[i][1]) <= 1e-12 * fabs(s->f[i][1]));
		if (dominated)
			continue;
		cr_assert_lt(nfront, n, "seq %llu is missing from the front",
			     (unsigned long long)s->seq[i]);
		/* In the order of the first objective (then seq). */
		cr_assert_eq(rows[nfront].seq, s->seq[i], "member %u: seq %llu, want %llu",
			     nfront, (unsigned long long)rows[nfront].seq,
			     (unsigned long long)s->seq[i]);
		cr_assert_eq(rows[nfront].objectives[1], s->f[i][1]);
		front[2 * nfront] = s->f[i][0];
		front[2 * nfront + 1] = s->f[i][1];
		nfront++;
	}
	cr_assert_eq(n, nfront, "the front has %u members, brute force %u", n, nfront);
	cr_assert_gt(n, 1);
	cr_assert_float_eq(rsw_sweep_hypervolume(sw, ref),
			   rsw_hypervolume(front, nfront, 2, (double[]){ 1.5, 12 }), 1e-12);
	cr_assert(ref[0] == 1.5 && ref[1] == 12, "the reference given");
	for (uint32_t i = 0; i < n; i++)
		s->seq[i] = rows[i].seq; /* rows die with the sweep */
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);

	out = fopen(in_test_dir("front.csv"), "w");
	cr_assert_eq(rsw_store_export_pareto(in_test_dir("grid.db"), RSW_EXPORT_CSV, out,
					     err, sizeof err), 0, "%s", err);
	fclose(out);
	csv = slurp(in_test_dir("front.csv"));
	{
		char *line = strchr(csv, '\n') + 1;

		for (uint32_t i = 0; i < nfront; i++) {
			cr_assert_eq(strtoull(line, NULL, 10), s->seq[i],
				     "export row %u", i);
			line = strchr(line, '\n') + 1;
		}
		cr_assert_eq(*line, '\0', "export has more rows than the front");
	}
	free(csv);
	free(s);
}

/* The summary's front, as JSON text (seqs and values). */
static char *
front_of(const char *summary)
{
	json_t *j = json_load_file(summary, 0, NULL), *p;
	char *text;

	cr_assert_not_null(j, "%s", summary);
	p = json_object_get(j, "pareto");
	cr_assert_not_null(p);
	cr_assert_gt(json_array_size(json_object_get(p, "front")), 1);
	text = json_dumps(p, JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	json_decref(j);
	return text;
}

static void
zdt_args(const char **argv, int *n, const char *objective, const char *algo,
	 const char *evals)
{
	static const char *const params[] = { "x1=float:0:1", "x2=float:0:1",
					      "x3=float:0:1", "x4=int:0:4",
					      "x5=float:0:1:0.1" };

	argv[(*n)++] = "run";
	argv[(*n)++] = "--objective";
	argv[(*n)++] = objective;
	for (int i = 0; i < 5; i++) {
		argv[(*n)++] = "--param";
		argv[(*n)++] = params[i];
	}
	argv[(*n)++] = "--algo";
	argv[(*n)++] = algo;
	argv[(*n)++] = "--evals";
	argv[(*n)++] = evals;
	argv[(*n)++] = "--minimize";
	argv[(*n)++] = "f1";
	argv[(*n)++] = "--minimize";
	argv[(*n)++] = "f2";
	argv[(*n)++] = "--json";
}

Test(pareto, nsga2_and_parego_are_the_same_at_any_worker_count, .timeout = 600,
     .init = make_test_dir)
{
	static const char *const algos[][3] = { { "genetic", "120", "20" },
						{ "bayes", "30", "4" },
						{ "random", "100", NULL } };
	static const char *const modes[] = { "--serial", "1", "3", "--threads" };

	for (int a = 0; a < 3; a++) {
		char *reference = NULL, *ref_csv = NULL;

		for (int m = 0; m < 4; m++) {
			const char *argv[64];
			int n = 0;
			char *front, *csv;

			zdt_args(argv, &n, "zdt1", algos[a][0], algos[a][1]);
			if (algos[a][2] != NULL) {
				argv[n++] = strcmp(algos[a][0], "genetic") == 0 ?
						    "--population" : "--window";
				argv[n++] = algos[a][2];
			}
			argv[n++] = "--db";
			argv[n++] = "none";
			argv[n++] = "--results";
			argv[n++] = in_test_dir("r.csv");
			if (m == 0 || m == 3) {
				argv[n++] = modes[m];
				if (m == 3) {
					argv[n++] = "-j";
					argv[n++] = "3";
				}
			} else {
				argv[n++] = "-j";
				argv[n++] = modes[m];
			}
			argv[n] = NULL;
			cr_assert_eq(run_cli(argv, in_test_dir("s.json"), NULL), 0,
				     "%s %s", algos[a][0], modes[m]);
			front = front_of(in_test_dir("s.json"));
			csv = slurp(in_test_dir("r.csv"));
			if (reference == NULL) {
				reference = front;
				ref_csv = csv;
				continue;
			}
			cr_assert_str_eq(front, reference, "%s %s: another front",
					 algos[a][0], modes[m]);
			cr_assert_str_eq(csv, ref_csv, "%s %s: other results",
					 algos[a][0], modes[m]);
			free(front);
			free(csv);
		}
		free(reference);
		free(ref_csv);
	}
}

/* A store cut short and resumed ends with the uninterrupted front. */
Test(pareto, a_resumed_study_ends_with_the_same_front, .timeout = 300,
     .init = make_test_dir)
{
	const char *argv[64], *resume[] = { "run", "--resume", in_test_dir("s.db"),
					    "--json", "-j", "2", NULL };
	char *whole, *resumed;
	int n = 0;

	zdt_args(argv, &n, "zdt2", "genetic", "200");
	argv[n++] = "--population";
	argv[n++] = "20";
	argv[n++] = "--hv-ref"; /* recorded: the resume measures against it */
	argv[n++] = "1.5,12";
	argv[n++] = "-j";
	argv[n++] = "2";
	argv[n++] = "--db";
	argv[n++] = in_test_dir("s.db");
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, in_test_dir("whole.json"), NULL), 0);
	whole = front_of(in_test_dir("whole.json"));
	cut_store(in_test_dir("s.db"), 77);
	cr_assert_eq(run_cli(resume, in_test_dir("resumed.json"), NULL), 0);
	resumed = front_of(in_test_dir("resumed.json"));
	cr_assert_str_eq(resumed, whole);
	free(whole);
	free(resumed);
}

static double
hypervolume_of(const char *algo, const char *evals, const char *seed)
{
	const char *argv[64];
	int n = 0;
	json_t *j;
	double hv;

	zdt_args(argv, &n, "zdt1", algo, evals);
	argv[n++] = "--seed";
	argv[n++] = seed;
	argv[n++] = "--hv-ref";
	argv[n++] = "1.1,11";
	argv[n++] = "--db";
	argv[n++] = "none";
	argv[n++] = "-j";
	argv[n++] = "2";
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, in_test_dir("hv.json"), NULL), 0, "%s", algo);
	j = json_load_file(in_test_dir("hv.json"), 0, NULL);
	cr_assert_not_null(j);
	hv = json_real_value(json_object_get(json_object_get(j, "pareto"), "hypervolume"));
	json_decref(j);
	return hv;
}

/* The searches find a better front than random search with the same
 * budget, on every seed tried (the optimum here is about 11.77). */
Test(pareto, nsga2_and_parego_beat_random_search, .timeout = 300,
     .init = make_test_dir)
{
	static const char *const seeds[] = { "0", "1", "2" };

	for (int s = 0; s < 3; s++) {
		double rnd = hypervolume_of("random", "2000", seeds[s]);
		double nsga = hypervolume_of("genetic", "2000", seeds[s]);
		double rnd_small = hypervolume_of("random", "60", seeds[s]);
		double parego = hypervolume_of("bayes", "60", seeds[s]);

		cr_assert_gt(nsga, rnd, "seed %s: NSGA-II %g, random %g", seeds[s], nsga, rnd);
		cr_assert_gt(parego, rnd_small, "seed %s: ParEGO %g, random %g",
			     seeds[s], parego, rnd_small);
	}
}

/* Each refusal names what is wrong. */
Test(pareto, refusals_name_the_culprit, .timeout = 60, .init = make_test_dir)
{
	static const struct {
		const char *extra[6];
		const char *says;
	} bad[] = {
		{ { "--algo", "cmaes", NULL }, "cmaes optimises one objective" },
		{ { "--minimize", "f3", NULL }, "objective 'f3': not the value or a metric" },
		{ { "--maximize", "f1", NULL }, "objective 'f1' is given twice" },
		{ { "--hv-ref", "1,2,3", NULL }, "3 given, 2 objectives" },
		{ { "--hv-ref", "1,x", NULL }, "--hv-ref needs one number per objective" },
	};
	const char *single[] = { "run", "--objective", "zdt1", "--param", "a=float:0:1",
				 "--param", "b=float:0:1", "--algo", "random",
				 "--evals", "5", "--minimize", "f1", "--db", "none",
				 NULL };
	const char *plain[] = { "run", "--objective", "zdt1", "--param", "a=float:0:1",
				"--param", "b=float:0:1", "--algo", "random",
				"--evals", "5", "--db", in_test_dir("one.db"), NULL };
	const char *export[] = { "export", in_test_dir("one.db"), "--pareto", NULL };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[48] = { "run", "--objective", "zdt1", "--param",
					 "a=float:0:1", "--param", "b=float:0:1",
					 "--algo", "random", "--evals", "5",
					 "--minimize", "f1", "--minimize", "f2",
					 "--db", "none" };
		int n = 17;

		for (int k = 0; bad[i].extra[k] != NULL; k++) {
			/* --algo X replaces random (the later one wins). */
			argv[n++] = bad[i].extra[k];
		}
		argv[n] = NULL;
		assert_refused(argv, bad[i].says);
	}
	assert_refused(single, "2 to 4 objectives, got 1");
	cr_assert_eq(run_cli(plain, NULL, NULL), 0);
	assert_refused(export, "is not a multi-objective sweep");
}

/* A maximised objective: the crossover backtest's Sharpe against its
 * drawdown.  The front runs from the best Sharpe (the sweep's best,
 * since the value is an objective) down, its drawdown falling with it. */
Test(pareto, sharpe_against_drawdown_trades_one_for_the_other, .timeout = 120,
     .init = make_test_dir)
{
	const char *argv[] = { "run", "--objective", "ma_cross", "--data",
			       RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
			       "--column", "SMI", "--param", "fast=int:2:40",
			       "--param", "slow=int:10:200:10", "--constraint",
			       "fast < slow", "--maximize", "sharpe", "--minimize",
			       "max_drawdown", "--db", "none", "--json", "-j", "2",
			       NULL };
	json_t *j, *front;
	double best;
	size_t n;

	cr_assert_eq(run_cli(argv, in_test_dir("s.json"), NULL), 0);
	j = json_load_file(in_test_dir("s.json"), 0, NULL);
	cr_assert_not_null(j);
	best = json_real_value(json_object_get(json_object_get(j, "best"), "value"));
	front = json_object_get(json_object_get(j, "pareto"), "front");
	n = json_array_size(front);
	cr_assert_gt(n, 1);
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object_get(json_array_get(front, i), "objectives");
		double sharpe = json_real_value(json_object_get(o, "sharpe"));
		double dd = json_real_value(json_object_get(o, "max_drawdown"));

		if (i == 0) {
			cr_assert_eq(sharpe, best, "the front starts at the best Sharpe");
		} else {
			json_t *p = json_object_get(json_array_get(front, i - 1),
						    "objectives");

			cr_assert_lt(sharpe, json_real_value(json_object_get(p, "sharpe")));
			cr_assert_lt(dd, json_real_value(json_object_get(p, "max_drawdown")));
		}
	}
	json_decref(j);
}

/* Fails where x1 > 0.3, else ZDT1's objectives as metrics. */
static int
zdt1_failing(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	     rsw_eval_out *out)
{
	double g = 1 + 9 * x[1];

	if (x[0] > 0.3)
		return -1;
	out->value = x[0];
	out->nmetrics = 2;
	out->metrics[0] = x[0];
	out->metrics[1] = g * (1 - sqrt(x[0] / g));
	return 0;
}

static int
count_failures(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	int *per_generation = ctx;

	per_generation[r->seq / 20] += r->status != RSW_STATUS_OK;
	return 0;
}

/* NSGA-II ranks a failure below every success, so it breeds away from
 * where the objective fails (before: a failure's infinite objectives
 * compared as equal to anything, it sat on the first front, and the
 * population drifted into the failing region). */
Test(pareto, nsga2_moves_away_from_failures, .timeout = 60)
{
	static const char *const specs[] = { "x1=float:0:1", "x2=float:0:1", NULL };
	static const char *const names[] = { "f1", "f2" };
	rsw_space space = space_of(specs);
	int per_generation[10] = { 0 };
	rsw_sweep_config c;
	rsw_sweep *sw;
	char err[512];

	rsw_sweep_config_init(&c);
	c.space = &space;
	c.algo = "genetic";
	c.algo_opts.population = 20;
	c.algo_opts.generations = 10;
	c.objective.fn = zdt1_failing;
	c.objective.label = "zdt1_failing";
	c.objective.nmetrics = 2;
	c.objective.metric_names = names;
	c.engine.workers = 0;
	c.nobjectives = 2;
	c.objectives[0] = (rsw_objective_goal){ "f1", 1 };
	c.objectives[1] = (rsw_objective_goal){ "f2", 1 };
	c.on_commit = count_failures;
	c.commit_ctx = per_generation;
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	cr_assert_gt(per_generation[0], 8, "random start: about 14 of 20 fail");
	cr_assert_leq(per_generation[9], 2, "generation 10: %d of 20 failed",
		     per_generation[9]);
}
