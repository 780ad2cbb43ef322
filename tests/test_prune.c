/*
 * tests/test_prune.c - deterministic pruning (--prune, rsw_task_report):
 * every decision of the median rule and of successive halving recomputed
 * here from the results file alone (only seqs below k - window may
 * decide task k's fate), the same results at any worker count, serial
 * and threads included, a resume that ends as the uninterrupted run, the
 * pruned status (a value, a step, never retried, never a failure)
 * through a C function objective, and the refusals.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <sys/stat.h>

#include "helpers.h"

#define MAX_ROWS 512
#define STEPS 20 /* the built-in curve's */

struct row {
	int pruned;
	double value;
	double step[STEPS];
};

/* The rows of a curve sweep's results CSV (seq,a,b,status,value,step_0..). */
static int
read_rows(const char *path, struct row *rows)
{
	char *text = slurp(path), *save = NULL, *line;
	int n = 0;

	cr_assert_not_null(text, "%s", path);
	line = strtok_r(text, "\n", &save); /* the header */
	cr_assert(strstr(line, "step_0") != NULL && strstr(line, "step_19") != NULL,
		  "%s", line);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && n < MAX_ROWS) {
		char *f[32], *s2 = NULL;
		int nf = 0;

		for (char *p = strtok_r(line, ",", &s2); p != NULL && nf < 32;
		     p = strtok_r(NULL, ",", &s2))
			f[nf++] = p;
		cr_assert_eq(nf, 5 + STEPS);
		cr_assert_eq(strtoull(f[0], NULL, 10), (unsigned long long)n);
		cr_assert(strcmp(f[3], "ok") == 0 || strcmp(f[3], "pruned") == 0, "%s", f[3]);
		rows[n].pruned = strcmp(f[3], "pruned") == 0;
		rows[n].value = strtod(f[4], NULL);
		for (int s = 0; s < STEPS; s++)
			rows[n].step[s] = strtod(f[5 + s], NULL);
		n++;
	}
	free(text);
	return n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Whether step s is a rung: 1, 4, 16 (min 1, eta 4). */
static int
rung(int s)
{
	return s == 1 || s == 4 || s == 16;
}

/* The step at which the pruner must stop task k (-1: never), from what
 * tasks 0 .. k - window - 1 reported: Optuna's rules, lower is better. */
static int
expected_prune(const struct row *rows, int k, int window, int asha, int startup)
{
	double known[MAX_ROWS], best = INFINITY;
	int completed = 0;

	for (int j = 0; j < k - window; j++)
		completed += !rows[j].pruned;
	for (int s = 0; s < STEPS; s++) {
		double v = rows[k].step[s];
		int n = 0;

		cr_assert(!isnan(v), "task %d: step %d missing before its end", k, s);
		best = fmin(best, v);
		if (asha && !rung(s))
			continue;
		for (int j = 0; j < k - window; j++)
			if ((asha || !rows[j].pruned) && !isnan(rows[j].step[s]))
				known[n++] = rows[j].step[s];
		if (n == 0 || (!asha && completed < startup))
			continue;
		qsort(known, (size_t)n, sizeof known[0], cmp_double);
		if (asha) {
			int keep = (n + 1) / 4, idx = keep > 0 ? keep - 1 : 0;

			if (idx < n && v > known[idx])
				return s;
		} else {
			double median = n % 2 ? known[n / 2] :
						0.5 * (known[n / 2 - 1] + known[n / 2]);

			if (best > median)
				return s;
		}
	}
	return -1;
}

static void
check_every_decision(const char *prune, int asha, int startup)
{
	const char *argv[] = { "run", "--objective", "curve", "--param", "a=float:0:1",
			       "--param", "b=float:0:1", "--algo", "random", "--evals",
			       "300", "--window", "8", "--prune", prune, "-j", "2",
			       "--db", "none", "-q", "--results", in_test_dir("r.csv"),
			       NULL };
	struct row *rows = calloc(MAX_ROWS, sizeof *rows);
	int n, pruned = 0, ok = 0;

	cr_assert_eq(run_cli(argv, NULL, NULL), 0, "%s", prune);
	n = read_rows(in_test_dir("r.csv"), rows);
	cr_assert_eq(n, 300);
	for (int k = 0; k < n; k++) {
		int at = expected_prune(rows, k, 8, asha, startup);

		if (at < 0) {
			cr_assert(!rows[k].pruned, "%s: task %d was pruned, it should not "
				  "have been", prune, k);
			cr_assert_eq(rows[k].value, rows[k].step[STEPS - 1]);
			ok++;
			continue;
		}
		cr_assert(rows[k].pruned, "%s: task %d should have been pruned at step "
			  "%d", prune, k, at);
		cr_assert_eq(rows[k].value, rows[k].step[at],
			     "%s: task %d keeps the value it reached", prune, k);
		for (int s = at + 1; s < STEPS; s++)
			cr_assert(isnan(rows[k].step[s]), "%s: task %d went on past step %d",
				  prune, k, at);
		pruned++;
	}
	/* Both outcomes occur, or the check proves little. */
	cr_assert_gt(pruned, 30, "%s: %d pruned", prune, pruned);
	cr_assert_gt(ok, 10, "%s: %d completed", prune, ok);
	free(rows);
}

Test(prune, the_median_rule_decides_from_earlier_results_only, .timeout = 120,
     .init = make_test_dir)
{
	check_every_decision("median", 0, 5);
	check_every_decision("median,startup=20", 0, 20);
}

Test(prune, successive_halving_decides_from_earlier_results_only, .timeout = 120,
     .init = make_test_dir)
{
	check_every_decision("asha", 1, 0);
}

Test(prune, pruned_sweeps_are_the_same_at_any_worker_count, .timeout = 600,
     .init = make_test_dir)
{
	static const char *const modes[][3] = { { "--serial", NULL }, { "-j", "1" },
						{ "-j", "3" }, { "--threads", "-j", "2" } };
	static const char *const runs[][6] = {
		{ "--algo", "bayes", "--evals", "40", "--prune", "median" },
		{ "--algo", "random", "--evals", "300", "--prune", "asha" },
		{ "--algo", "genetic", "--evals", "200", "--prune", "median" },
	};

	for (int r = 0; r < 3; r++) {
		char *reference = NULL;

		for (int m = 0; m < 4; m++) {
			const char *argv[40] = { "run", "--objective", "ma_cross", "--data",
						 RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
						 "--column", "DAX,SMI", "--param", "fast=int:2:100",
						 "--param", "slow=int:5:300", "--constraint",
						 "fast < slow", "--maximize", "--db", "none",
						 "-q", "--results", in_test_dir("m.csv") };
			int n = 19;
			char *csv;

			for (int i = 0; i < 6; i++)
				argv[n++] = runs[r][i];
			for (int i = 0; i < 3 && modes[m][i] != NULL; i++)
				argv[n++] = modes[m][i];
			argv[n] = NULL;
			cr_assert_eq(run_cli(argv, NULL, NULL), 0, "%s %s", runs[r][1],
				     modes[m][0]);
			csv = slurp(in_test_dir("m.csv"));
			cr_assert_not_null(strstr(csv, ",pruned,"), "%s: nothing pruned",
					   runs[r][1]);
			if (reference == NULL) {
				reference = csv;
				continue;
			}
			cr_assert_str_eq(csv, reference, "%s: %s %s differs from serial",
					 runs[r][1], modes[m][0],
					 modes[m][1] ? modes[m][1] : "");
			free(csv);
		}
		free(reference);
	}
}

/* The pruner's knowledge is in the store (the step columns): a resume
 * decides as the uninterrupted run did. */
Test(prune, a_resumed_sweep_prunes_as_the_whole_run, .timeout = 120,
     .init = make_test_dir)
{
	const char *argv[] = { "run", "--objective", "curve", "--param", "a=float:0:1",
			       "--param", "b=float:0:1", "--param", "c=float:0:1",
			       "--algo", "bayes", "--evals", "40", "--prune", "median",
			       "-j", "2", "--db", in_test_dir("s.db"), "-q", "--results",
			       in_test_dir("whole.csv"), NULL };
	const char *resume[] = { "run", "--resume", in_test_dir("s.db"), "-j", "2",
				 "-q", "--results", in_test_dir("resumed.csv"), NULL };
	char *whole, *resumed;

	cr_assert_eq(run_cli(argv, NULL, NULL), 0);
	cut_store(in_test_dir("s.db"), 23);
	cr_assert_eq(run_cli(resume, NULL, NULL), 0);
	whole = slurp(in_test_dir("whole.csv"));
	resumed = slurp(in_test_dir("resumed.csv"));
	cr_assert_not_null(strstr(whole, ",pruned,"));
	cr_assert_str_eq(resumed, whole);
	free(whole);
	free(resumed);
}

/* A C function objective: reports a falling loss, stops when told. */
static int
loss_curve(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	double loss = 0;

	for (uint32_t s = 0; s < 6; s++) {
		loss = x[0] + 1.0 / (s + 1);
		if (rsw_task_report(t, s, loss))
			return RSW_EVAL_PRUNED;
	}
	out->value = loss;
	return 0;
}

struct seen {
	int pruned, ok;
	int bad;
};

static int
watch(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	struct seen *s = ctx;

	if (r->status == RSW_STATUS_PRUNED) {
		/* Its value is its loss at the step it reached (detail). */
		s->bad += r->detail < 0 || r->detail >= 6 || r->attempts != 1 ||
			  r->value != params[0] + 1.0 / (r->detail + 1) || nparams != 1 ||
			  r->nmetrics != 6 || r->metrics[r->detail] != r->value;
		s->pruned++;
	} else {
		s->bad += r->status != RSW_STATUS_OK || r->nmetrics != 6;
		s->ok++;
	}
	return 0;
}

Test(prune, a_pruned_task_keeps_its_value_and_step_and_is_no_failure, .timeout = 60)
{
	static const char *const specs[] = { "x=float:0:1:0.01", NULL };
	rsw_space space = space_of(specs);
	struct seen seen = { 0 };
	rsw_sweep_summary sum;
	rsw_sweep_config c;
	rsw_sweep *sw;
	char err[512];

	rsw_sweep_config_init(&c);
	c.space = &space;
	c.objective.fn = loss_curve;
	c.objective.label = "loss_curve";
	c.engine.workers = 2;
	c.engine.max_attempts = 3; /* retries: never for a pruned task */
	c.engine.retry_errors = 1;
	c.window = 4;
	c.on_commit = watch;
	c.commit_ctx = &seen;
	cr_assert_eq(rsw_prune_parse("median", &c.prune, err, sizeof err), 0);
	/* A function says nothing of its steps: refused, by name. */
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "give steps=N"), "%s", err);
	cr_assert_eq(rsw_prune_parse("median,steps=6", &c.prune, err, sizeof err), 0);
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	rsw_sweep_summary_get(sw, &sum);
	cr_assert_eq(seen.bad, 0);
	cr_assert_gt(seen.pruned, 20);
	cr_assert_gt(seen.ok, 5);
	cr_assert_eq(sum.by_status[RSW_STATUS_PRUNED], (uint64_t)seen.pruned);
	cr_assert_eq(sum.engine.failed, 0, "a pruned task is not a failure");
	cr_assert_eq(sum.engine.retries, 0, "nor retried");
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
}

Test(prune, refusals_name_the_culprit, .timeout = 60, .init = make_test_dir)
{
	static const struct {
		const char *prune, *extra, *says;
	} bad[] = {
		{ "median,warmup", NULL, "unknown setting 'warmup'" },
		{ "median,eta=3", NULL, "median takes startup=N" },
		{ "asha,eta=1", NULL, "eta needs an integer from 2" },
		{ "halving", NULL, "expected none, median" },
		{ "median", "--metric", "ma_cross reports only its Sharpe ratio" },
		{ "median,steps=60", NULL, "60 steps are too many" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[32] = { "run", "--objective", "ma_cross", "--data",
					 RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
					 "--column", "DAX", "--param", "fast=int:2:100:10",
					 "--param", "slow=int:5:300:50", "--db", "none",
					 "--prune", bad[i].prune };
		int n = 15;

		if (bad[i].extra != NULL) {
			argv[n++] = bad[i].extra;
			argv[n++] = "calmar";
		}
		argv[n] = NULL;
		assert_refused(argv, bad[i].says);
	}
	{
		const char *argv[] = { "run", "--objective", "zdt1", "--param", "a=float:0:1",
				       "--param", "b=float:0:1", "--algo", "random",
				       "--evals", "5", "--minimize", "f1", "--minimize", "f2",
				       "--prune", "median,steps=2", "--db", "none", NULL };

		assert_refused(argv, "--prune works on one objective");
	}
}

/* --cmd: `step N VALUE` lines are reported as they come, and a command
 * told to stop is killed with its process group: a pruned task's command
 * never reaches the end it would take 2 s more to reach. */
Test(prune, a_command_reports_steps_and_is_stopped, .timeout = 120,
     .init = make_test_dir)
{
	const char *script = in_test_dir("curve.sh");
	FILE *f = fopen(script, "w");
	char cmd[512], marker[256];
	const char *argv[] = { "run", "--cmd", cmd, "--param", "a=float:0:1", "--algo",
			       "random", "--evals", "12", "--window", "2", "--prune",
			       "asha,min=1,eta=2,steps=3", "-j", "2", "--db", "none", "-q",
			       "--results", in_test_dir("c.csv"), NULL };
	char *csv, *line, *save = NULL;
	int n = 0, pruned = 0;

	cr_assert_not_null(f);
	/* Steps 0 and 1 at once, then 2 s of work before step 2 and the end
	 * (a file named by the seq says it got there). */
	fprintf(f, "#!/bin/sh\n"
		   "v=$(awk -v a=\"$1\" 'BEGIN { printf \"%%.12f\", (a - 0.3)^2 }')\n"
		   "echo \"step 0 $v\"\necho \"step 1 $v\"\nsleep 2\n"
		   "echo \"step 2 $v\"\ntouch \"%s/end-$2\"\necho \"$v\"\n",
		   in_test_dir(""));
	fclose(f);
	cr_assert_eq(chmod(script, 0755), 0);
	snprintf(cmd, sizeof cmd, "%s {a} {seq}", script);
	cr_assert_eq(run_cli(argv, NULL, NULL), 0);
	csv = slurp(in_test_dir("c.csv"));
	strtok_r(csv, "\n", &save);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL && n < 12) {
		int is_pruned = strstr(line, ",pruned,") != NULL;

		snprintf(marker, sizeof marker, "%s/end-%d", in_test_dir(""), n);
		cr_assert(is_pruned || strstr(line, ",ok,") != NULL, "%s", line);
		cr_assert_eq(access(marker, F_OK) == 0, !is_pruned,
			     "task %d (%s): its command %s its end", n,
			     is_pruned ? "pruned" : "ok", is_pruned ? "reached" : "missed");
		pruned += is_pruned;
		n++;
	}
	cr_assert_eq(n, 12);
	cr_assert_gt(pruned, 2, "only %d pruned", pruned);
	free(csv);
}
