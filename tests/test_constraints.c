/*
 * tests/test_constraints.c - constraints on the space (space.h): the
 * expression language (precedence, truth, the refusals that name the
 * culprit), the feasible grid, every algorithm proposing feasible points
 * only and still the same at any worker count, the store recording them
 * for a resume, and infeasible as a status (RSW_EVAL_INFEASIBLE): never
 * retried, never a failure.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>

#include "helpers.h"

static rsw_space
space_with(const char *const *specs)
{
	rsw_space s;
	char err[512];

	rsw_space_init(&s);
	for (int i = 0; specs[i] != NULL; i++)
		cr_assert_eq(rsw_space_add(&s, specs[i], err, sizeof err), 0, "%s", err);
	return s;
}

/* The value of one constraint at params (it must parse). */
static double
value_of(rsw_space *s, const char *text, const double *params)
{
	char err[512];

	s->nconstraints = 0;
	cr_assert_eq(rsw_space_add_constraint(s, text, err, sizeof err), 0, "%s: %s",
		     text, err);
	return rsw_constraint_eval(&s->constraints[0], params);
}

Test(constraints, expressions_follow_the_usual_precedence)
{
	static const char *const specs[] = { "a=int:0:10", "b=int:0:10",
					     "c=cat:x,y,z", NULL };
	rsw_space s = space_with(specs);
	const double p[] = { 2, 3, 1 };

	cr_assert_eq(value_of(&s, "a + b * 2", p), 8);
	cr_assert_eq(value_of(&s, "(a + b) * 2", p), 10);
	cr_assert_eq(value_of(&s, "a - b - 1", p), -2, "left-associative");
	cr_assert_eq(value_of(&s, "b / a / 2", p), 0.75);
	cr_assert_eq(value_of(&s, "-a * -b", p), 6);
	cr_assert_eq(value_of(&s, "a < b", p), 1);
	cr_assert_eq(value_of(&s, "a >= b", p), 0);
	cr_assert_eq(value_of(&s, "a + 1 == b", p), 1);
	cr_assert_eq(value_of(&s, "c != 1", p), 0, "a category is its index");
	cr_assert_eq(value_of(&s, "a < b and b < a or c == 1", p), 1,
		     "and binds tighter than or");
	cr_assert_eq(value_of(&s, "a < b and (b < a or c == 2)", p), 0);
	cr_assert_eq(value_of(&s, "not a < b", p), 0, "not takes the comparison");
	cr_assert_eq(value_of(&s, "not not 1", p), 1);
	cr_assert_eq(value_of(&s, "1.5e1 > b*4", p), 1);
}

Test(constraints, truth_is_non_zero_and_not_nan)
{
	static const char *const specs[] = { "a=float:0:1", "b=float:0:1", NULL };
	rsw_space s = space_with(specs);
	char err[256];

	cr_assert_eq(rsw_space_add_constraint(&s, "a / b", err, sizeof err), 0);
	cr_assert(rsw_space_feasible(&s, (double[]){ 0.5, 0.25 }));
	cr_assert(!rsw_space_feasible(&s, (double[]){ 0, 0.25 }), "zero is false");
	cr_assert(!rsw_space_feasible(&s, (double[]){ 0, 0 }), "0/0 is NaN: false");
	cr_assert(rsw_space_feasible(&s, (double[]){ 1, 0 }), "1/0 is +inf: true");
}

/* Each refusal says which constraint and what is wrong with it. */
Test(constraints, refusals_name_the_constraint_and_the_bad_part)
{
	static const char *const specs[] = { "fast=int:2:50", "slow=int:5:200", NULL };
	static const struct { const char *text, *says; } bad[] = {
		{ "", "constraint '': empty" },
		{ "fast <", "constraint 'fast <': expected a number, a parameter or "
			    "'(' at 'the end'" },
		{ "fast < slo", "constraint 'fast < slo': no parameter named 'slo' "
				"(the parameters: fast, slow)" },
		{ "fast < slow < 3", "comparisons do not chain" },
		{ "(fast < slow", "expected ')' at 'the end'" },
		{ "fast < slow andx", "unexpected 'andx'" },
		{ "fast $ slow", "unexpected '$ slow'" },
		{ "fast < 1e999", "'1e999' is not a number" },
	};
	rsw_space s = space_with(specs);
	char err[512], longest[400];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		cr_assert_eq(rsw_space_add_constraint(&s, bad[i].text, err, sizeof err),
			     RSW_EINVAL, "%s", bad[i].text);
		cr_assert_not_null(strstr(err, bad[i].says), "%s: %s", bad[i].text, err);
	}
	cr_assert_eq(s.nconstraints, 0, "nothing refused is kept");
	memset(longest, 0, sizeof longest);
	for (size_t i = 0; i + 4 < sizeof longest - 1; i += 4)
		memcpy(longest + i, "1+1+", 4);
	longest[sizeof longest - 2] = '1';
	cr_assert_eq(rsw_space_add_constraint(&s, longest, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "longer than 255 characters"), "%s", err);
	for (int i = 0; i < RSW_MAX_CONSTRAINTS; i++)
		cr_assert_eq(rsw_space_add_constraint(&s, "fast < slow", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add_constraint(&s, "fast < slow", err, sizeof err),
		     RSW_EINVAL);
	cr_assert_not_null(strstr(err, "more than 16 constraints"), "%s", err);
}

/* The grid's feasible points, counted; a constraint nothing satisfies is
 * named, and so is a set whose members each can be met but not at once. */
Test(constraints, the_feasible_grid_and_constraints_nothing_satisfies)
{
	static const char *const specs[] = { "fast=int:2:50", "slow=int:5:200:5", NULL };
	rsw_space s = space_with(specs);
	uint64_t expected = 0;
	char err[512];

	for (int fast = 2; fast <= 50; fast++)
		for (int slow = 5; slow <= 200; slow += 5)
			expected += fast < slow;
	cr_assert_eq(rsw_space_add_constraint(&s, "fast < slow", err, sizeof err), 0);
	cr_assert_eq(rsw_space_feasible_grid_size(&s), expected);
	cr_assert_lt(expected, rsw_space_grid_size(&s));
	cr_assert_eq(rsw_space_check_feasible(&s, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_space_add_constraint(&s, "slow < 20", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add_constraint(&s, "fast > 30", err, sizeof err), 0);
	cr_assert_eq(rsw_space_check_feasible(&s, err, sizeof err), RSW_EINFEASIBLE);
	cr_assert_str_eq(err, "no point of the space satisfies all the constraints "
			      "at once (none of the grid's points)");
	s.nconstraints = 0;
	cr_assert_eq(rsw_space_add_constraint(&s, "fast > 50", err, sizeof err), 0);
	cr_assert_eq(rsw_space_check_feasible(&s, err, sizeof err), RSW_EINFEASIBLE);
	cr_assert_str_eq(err, "constraint 'fast > 50': no point of the space "
			      "satisfies it (none of the grid's points)");
}

/* A continuous space is checked by sampling, and the algorithms refuse
 * an impossible space before they start. */
Test(constraints, algorithms_refuse_an_impossible_space_before_starting)
{
	static const char *const specs[] = { "x=float:0:1", "y=float:0:1", NULL };
	rsw_space s = space_with(specs);
	rsw_algo_opts o;
	rsw_algorithm *a;
	char err[512];

	rsw_algo_opts_init(&o);
	o.evals = 10;
	cr_assert_eq(rsw_space_add_constraint(&s, "x + y > 2", err, sizeof err), 0);
	cr_assert_eq(rsw_algo_create(&a, "random", &s, &o, err, sizeof err),
		     RSW_EINFEASIBLE);
	cr_assert_null(a);
	cr_assert_str_eq(err, "constraint 'x + y > 2': no point of the space "
			      "satisfies it (none of 200000 random points)");
	cr_assert_eq(rsw_algo_cmaes_create(&a, &s, &o), RSW_EINFEASIBLE);
}

/* Tells the algorithm the result of seq: a bowl in a and c. */
static void
tell(rsw_algorithm *a, const double *params, uint64_t seq)
{
	rsw_result r = { .seq = seq, .status = RSW_STATUS_OK,
			 .value = params[0] * params[0] + params[2] };

	cr_assert_eq(a->update(a, params, &r), 0, "%s, seq %llu", a->name,
		     (unsigned long long)seq);
}

/* Every algorithm's every suggestion satisfies the constraints, in a
 * mixed space where they cut off most of it. */
Test(constraints, every_algorithm_proposes_feasible_points_only, .timeout = 120)
{
	static const char *const specs[] = { "a=float:-3:3", "b=int:-5:5",
					     "c=log:0.01:10", "d=cat:x,y,z", NULL };
	static const char *const algos[] = { "random", "bayes", "genetic", "cmaes" };
	rsw_space s = space_with(specs);
	char err[512];

	cr_assert_eq(rsw_space_add_constraint(&s, "a + b < -2 and d != 1", err,
					      sizeof err), 0);
	cr_assert_eq(rsw_space_add_constraint(&s, "c * 10 < 1 - a", err, sizeof err), 0);
	for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		rsw_algo_opts o;
		rsw_algorithm *a;
		uint64_t seq = 0, applied = 0;
		double params[200][RSW_MAX_PARAMS_LIMIT];

		rsw_algo_opts_init(&o);
		o.evals = 200;
		o.population = 20;
		o.seed = 3;
		cr_assert_eq(rsw_algo_create(&a, algos[i], &s, &o, err, sizeof err), 0,
			     "%s", err);
		for (;;) {
			int rc = a->suggest(a, seq, params[seq]);

			if (rc == RSW_SUGGEST_DONE)
				break;
			if (rc == RSW_SUGGEST_WAIT) {
				cr_assert_lt(applied, seq, "%s waits with nothing out",
					     algos[i]);
				tell(a, params[applied], applied);
				applied++;
				continue;
			}
			cr_assert_eq(rc, RSW_SUGGEST_OK, "%s: %d", algos[i], rc);
			cr_assert(rsw_space_feasible(&s, params[seq]),
				  "%s suggested an infeasible point at seq %llu", algos[i],
				  (unsigned long long)seq);
			/* bayes suggests ahead of its results: apply as it goes. */
			if (seq >= applied + 3) {
				tell(a, params[applied], applied);
				applied++;
			}
			seq++;
		}
		cr_assert_eq(seq, 200, "%s spent its budget", algos[i]);
		rsw_algorithm_destroy(a);
	}
}

/* ------------------------------------------------ through the command */

/* Every row of a results CSV (seq,a,b,c,d,...) satisfies a + b < 1 and
 * d != y; returns how many rows there are. */
static int
rows_satisfy(const char *csv)
{
	const char *line = strchr(csv, '\n');
	int rows = 0;

	cr_assert_not_null(line);
	for (line++; *line; rows++) {
		double a, b, c;
		char d[8];

		cr_assert_eq(sscanf(line, "%*d,%lf,%lf,%lf,%7[^,]", &a, &b, &c, d), 4,
			     "%.60s", line);
		cr_assert(a + b < 1 && strcmp(d, "y") != 0, "infeasible row: %.60s", line);
		line = strchr(line, '\n');
		cr_assert_not_null(line);
		line++;
	}
	return rows;
}

/* Constraints keep the determinism promise: serial, 1, 2 and 7 worker
 * processes (with crashes retried) and 3 threads write the same bytes. */
Test(constraints, constrained_sweeps_are_the_same_at_any_worker_count, .timeout = 600)
{
	static const char *const runs[][12] = {
		{ "--algo", "grid", NULL },
		{ "--algo", "random", "--evals", "60", NULL },
		{ "--algo", "bayes", "--evals", "25", NULL },
		{ "--algo", "genetic", "--population", "10", "--generations", "4", NULL },
		{ "--algo", "cmaes", "--evals", "60", NULL },
	};

	for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
		const char *args[16];
		int n = 0;
		char *csv;

		while (runs[i][n] != NULL) {
			args[n] = runs[i][n];
			n++;
		}
		args[n++] = "--constraint";
		args[n++] = "a + b < 1";
		args[n++] = "--constraint";
		args[n++] = "d != 1";
		args[n] = NULL;
		csv = assert_same_results_at_any_worker_count(args);
		cr_assert_gt(rows_satisfy(csv), 0, "%s", runs[i][1]);
		free(csv);
	}
}

/* grid walks the feasible points only, and says how many it skipped. */
Test(constraints, grid_skips_infeasible_points_and_says_how_many, .timeout = 60,
     .init = make_test_dir)
{
	const char *argv[] = { "run", "--objective", "ma_cross", "--data",
			       RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
			       "--column", "DAX", "--param", "fast=int:2:50",
			       "--param", "slow=int:5:200:5", "--constraint",
			       "fast < slow", "--db", "none", "--json", "-j", "2", NULL };
	const char *text[] = { "run", "--objective", "ma_cross", "--data",
			       RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
			       "--column", "DAX", "--param", "fast=int:2:50",
			       "--param", "slow=int:5:200:5", "--constraint",
			       "fast < slow", "--db", "none", "-q", NULL };
	long long feasible = 0, infeasible = 0;
	json_t *j, *status;
	char *out;

	for (int fast = 2; fast <= 50; fast++)
		for (int slow = 5; slow <= 200; slow += 5)
			feasible += fast < slow, infeasible += fast >= slow;
	cr_assert_eq(run_cli(argv, in_test_dir("out.json"), NULL), 0);
	j = json_load_file(in_test_dir("out.json"), 0, NULL);
	cr_assert_not_null(j);
	status = json_object_get(j, "status");
	cr_assert_eq(json_integer_value(json_object_get(j, "evals")), feasible);
	cr_assert_eq(json_integer_value(json_object_get(status, "ok")), feasible,
		     "none sent to a worker failed: fast >= slow never ran");
	cr_assert_null(json_object_get(status, "infeasible"));
	cr_assert_eq(json_integer_value(json_object_get(j, "infeasible_points")),
		     infeasible);
	json_decref(j);
	cr_assert_eq(run_cli(text, in_test_dir("out.txt"), NULL), 0);
	out = slurp(in_test_dir("out.txt"));
	cr_assert_not_null(strstr(out, "grid points infeasible (skipped, never run)"),
			   "%s", out);
	free(out);
}

/* A --space file's "constraints" hold, and the store records them: a
 * resume of a store cut short ends as the uninterrupted run did. */
Test(constraints, space_files_carry_them_and_a_resume_keeps_them, .timeout = 120,
     .init = make_test_dir)
{
	const char *space = in_test_dir("space.json");
	FILE *f = fopen(space, "w");
	char db[256], whole[256], resumed[256];
	char *a_csv, *b_csv;

	snprintf(db, sizeof db, "%s", in_test_dir("s.db"));
	snprintf(whole, sizeof whole, "%s", in_test_dir("whole.csv"));
	snprintf(resumed, sizeof resumed, "%s", in_test_dir("resumed.csv"));
	cr_assert_not_null(f);
	fputs("{\"a\": \"float:-3:3\", \"constraints\": [\"a + b < 1\", \"d != 1\"],\n"
	      " \"b\": \"int:-5:5\", \"c\": \"log:0.01:10\", \"d\": \"cat:x,y,z\"}\n", f);
	fclose(f);
	{
		const char *argv[] = { "run", "--objective", "sphere", "--space", space,
				       "--algo", "bayes", "--evals", "30", "--db", db,
				       "--results", whole, "-q", "-j", "2", NULL };
		const char *again[] = { "run", "--resume", db, "--results", resumed,
					"-q", "-j", "1", NULL };

		cr_assert_eq(run_cli(argv, NULL, NULL), 0);
		cut_store(db, 12);
		cr_assert_eq(run_cli(again, NULL, NULL), 0);
	}
	a_csv = slurp(whole);
	b_csv = slurp(resumed);
	cr_assert_eq(rows_satisfy(a_csv), 30);
	cr_assert_str_eq(b_csv, a_csv);
	free(a_csv);
	free(b_csv);
}

/* An objective's "infeasible" is a result, not a failure: never retried,
 * never what --on-error fail or --halt count. */
Test(constraints, infeasible_results_are_not_failures, .timeout = 60,
     .init = make_test_dir)
{
	const char *argv[] = { "run", "--cmd",
			       "sh -c 'if [ {x} -gt 3 ]; then echo infeasible; "
			       "else echo {x}; fi'",
			       "--param", "x=int:1:9", "--retries", "2", "--on-error",
			       "fail", "--halt", "now,fail=1", "--db", "none", "--json",
			       "-j", "2", NULL };
	json_t *j, *status;

	cr_assert_eq(run_cli(argv, in_test_dir("out.json"), NULL), 0);
	j = json_load_file(in_test_dir("out.json"), 0, NULL);
	cr_assert_not_null(j);
	status = json_object_get(j, "status");
	cr_assert_eq(json_integer_value(json_object_get(status, "ok")), 3);
	cr_assert_eq(json_integer_value(json_object_get(status, "infeasible")), 6);
	cr_assert_eq(json_integer_value(json_object_get(j, "retries")), 0);
	json_decref(j);
}
