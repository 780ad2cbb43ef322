/*
 * tests/test_objectives.c - what workers evaluate: the ma_cross backtest
 * against an independent reference (examples/cmd/ma_cross.awk) on the
 * bundled real prices, objective plugins (loading, prefix, init argument,
 * metrics) and every way a plugin or a data file can be wrong.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sys/stat.h>

#include "helpers.h"

#define DATA RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv"

#define FIGURES 10 /* the value (Sharpe) and the 9 metrics */

/* Runs awk with the reference script; fills the FIGURES figures. */
static void
reference(const char *col, int fast, int slow, double cost, double *ref)
{
	char out[128], a1[64], a2[64], a3[64], a4[64];
	const char *argv[] = { "awk", "-F,", "-v", a1, "-v", a2, "-v", a3, "-v", a4,
			       "-f", RSW_SOURCE_DIR "/examples/cmd/ma_cross.awk",
			       DATA, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;
	FILE *f;

	snprintf(a1, sizeof a1, "col=%s", col);
	snprintf(a2, sizeof a2, "fast=%d", fast);
	snprintf(a3, sizeof a3, "slow=%d", slow);
	snprintf(a4, sizeof a4, "cost_bps=%.17g", cost);
	snprintf(out, sizeof out, "%s", in_test_dir("ref.txt"));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
	cr_assert_eq(posix_spawnp(&pid, "awk", &fa, NULL, (char *const *)argv,
				  environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "awk failed");
	f = fopen(out, "r");
	cr_assert_not_null(f);
	for (int k = 0; k < FIGURES; k++)
		cr_assert_eq(fscanf(f, "%lf", &ref[k]), 1, "reference figure %d", k);
	fclose(f);
}

static void
assert_close(double got, double want, const char *what)
{
	double tol = 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);

	if (isnan(want)) { /* undefined: no trade lost */
		cr_assert(isnan(got), "%s: ringsweep %.17g, reference undefined", what, got);
		return;
	}

	cr_assert(fabs(got - want) <= tol, "%s: ringsweep %.17g, reference %.17g",
		  what, got, want);
}

Test(objectives, ma_cross_metrics_match_an_independent_reference,
     .timeout = 60, .init = make_test_dir)
{
	static const struct { const char *col; int fast, slow; double cost; } cases[] = {
		{ "DAX", 5, 20, 0 }, { "DAX", 11, 15, 0 }, { "DAX", 10, 50, 10 },
		{ "FTSE", 20, 100, 0 }, { "SMI", 3, 7, 5 }, { "CAC", 30, 60, 2.5 },
	};
	static const char *names[FIGURES] = { "sharpe", "total_return",
					      "ann_volatility", "sortino",
					      "max_drawdown", "trades", "win_rate",
					      "calmar", "profit_factor",
					      "avg_trade_return" };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char csv[128], pf[64], ps[64], pc[64], *text, *row;
		const char *argv[] = { "run", "--objective", "ma_cross", "--data", DATA,
				       "--column", cases[i].col, "--param", pf,
				       "--param", ps, "--param", pc, "--results",
				       csv, "-q", NULL };
		double got[FIGURES], ref[FIGURES];

		snprintf(csv, sizeof csv, "%s", in_test_dir("ma.csv"));
		snprintf(pf, sizeof pf, "fast=int:%d:%d", cases[i].fast, cases[i].fast);
		snprintf(ps, sizeof ps, "slow=int:%d:%d", cases[i].slow, cases[i].slow);
		snprintf(pc, sizeof pc, "cost=float:%g:%g:1", cases[i].cost,
			 cases[i].cost);
		cr_assert_eq(run_cli(argv, NULL, NULL), 0);
		text = slurp(csv);
		cr_assert_not_null(text);
		cr_assert_str_eq(strtok(text, "\n"), "seq,fast,slow,cost,status,value,"
				 "total_return,ann_volatility,sortino,max_drawdown,"
				 "trades,win_rate,calmar,profit_factor,avg_trade_return");
		row = strtok(NULL, "\n");
		cr_assert_not_null(row);
		cr_assert_eq(strncmp(row, "0,", 2), 0, "row: %s", row);
		/* seq, fast, slow, cost, status, then the figures; an empty
		 * one is undefined (NaN). */
		{
			char *p = row;

			for (int skip = 0; skip < 5; skip++)
				p = strchr(p, ',') + 1;
			for (int k = 0; k < FIGURES; k++) {
				char *end;

				got[k] = *p == ',' || *p == '\0' ? NAN : strtod(p, &end);
				p = strchr(p, ',');
				cr_assert(p != NULL || k == FIGURES - 1, "row: %s", row);
				if (p != NULL)
					p++;
			}
		}
		free(text);
		reference(cases[i].col, cases[i].fast, cases[i].slow, cases[i].cost, ref);
		for (int k = 0; k < FIGURES; k++)
			assert_close(got[k], ref[k], names[k]);
		cr_assert_gt(got[5], 0, "%s %d/%d trades", cases[i].col, cases[i].fast,
			     cases[i].slow);
	}
}

/* Runs argv; expects exit 2, a message containing `culprit`, no results. */
static void
refused(const char *culprit, const char **argv)
{
	char err[128], csv[128], partial[160], *msg;

	snprintf(err, sizeof err, "%s", in_test_dir("err"));
	snprintf(csv, sizeof csv, "%s", in_test_dir("out.csv"));
	cr_assert_eq(run_cli(argv, NULL, err), 2, "not refused: %s", culprit);
	msg = slurp(err);
	cr_assert_not_null(strstr(msg, culprit), "'%s' lacks '%s'", msg, culprit);
	free(msg);
	snprintf(partial, sizeof partial, "%s.partial", csv);
	cr_assert_eq(access(csv, F_OK), -1);
	cr_assert_eq(access(partial, F_OK), -1);
}

Test(objectives, plugin_load_errors_are_clear_and_start_nothing, .timeout = 60,
     .init = make_test_dir)
{
	char csv[128];

	snprintf(csv, sizeof csv, "%s", in_test_dir("out.csv"));
	{
		const char *a[] = { "run", "--objective", "/nonexistent/libx.so",
				    "--param", "x=int:0:3", "--results", csv, NULL };
		refused("cannot load the plugin", a);
	}
	{
		const char *a[] = { "run", "--objective", RSW_PLUGIN_DIR "/libnoeval.so",
				    "--param", "x=int:0:3", "--results", csv, NULL };
		refused("no symbol 'rsw_objective_eval'", a);
	}
	{
		const char *a[] = { "run", "--objective", RSW_PLUGIN_DIR "/libbadabi.so",
				    "--param", "x=int:0:3", "--results", csv, NULL };
		refused("built for objective ABI 99", a);
	}
	{
		const char *a[] = { "run", "--objective",
				    RSW_PLUGIN_DIR "/libprefixed.so:quad_",
				    "--objective-arg", "fail", "--param", "x=int:0:3",
				    "--results", csv, NULL };
		refused("quad_init(\"fail\") failed (returned 7)", a);
	}
	{
		const char *a[] = { "run", "--objective", RSW_PLUGIN_DIR "/libprefixed.so",
				    "--param", "x=int:0:3", "--results", csv, NULL };
		refused("no symbol 'rsw_objective_abi_version'", a);
	}
	/* An init that crashes, exits or hangs is caught in its trial run
	 * and named: the program neither dies of it nor ends with 0. */
	{
		static const char *const cases[][2] = {
			{ "crash", "quad_init(\"crash\") crashed (Segmentation fault)" },
			{ "exit", "quad_init(\"exit\") called exit(0) instead of returning" },
			{ "hang", "quad_init(\"hang\") did not return within 1 s" },
		};

		for (int i = 0; i < 3; i++) {
			const char *a[] = { "run", "--objective",
					    RSW_PLUGIN_DIR "/libprefixed.so:quad_",
					    "--objective-arg", cases[i][0], "--init-timeout",
					    "1", "--param", "x=int:0:3", "--results", csv,
					    NULL };

			refused(cases[i][1], a);
		}
	}
}

Test(objectives, plugin_with_prefix_argument_and_metrics, .timeout = 60,
     .init = make_test_dir)
{
	char csv[128], *text;
	const char *argv[] = { "run", "--objective",
			       RSW_PLUGIN_DIR "/libprefixed.so:quad_",
			       "--objective-arg", "3", "--param", "x=int:-2:2",
			       "--results", csv, "-q", "-j", "2", NULL };

	snprintf(csv, sizeof csv, "%s", in_test_dir("q.csv"));
	cr_assert_eq(run_cli(argv, NULL, NULL), 0);
	text = slurp(csv);
	cr_assert_str_eq(text, "seq,x,status,value,twice\n"
			       "0,-2,ok,12,24\n"
			       "1,-1,ok,3,6\n"
			       "2,0,ok,0,0\n"
			       "3,1,ok,3,6\n"
			       "4,2,ok,12,24\n");
	free(text);
}

Test(objectives, bad_data_is_refused_naming_the_culprit, .timeout = 60,
     .init = make_test_dir)
{
	char bad[128];
	FILE *f;

	{
		const char *a[] = { "run", "--objective", "ma_cross", "--param",
				    "f=int:2:5", "--param", "s=int:10:20", NULL };
		refused("needs data FILE and column NAME (--data, --column)", a);
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data",
				    "/nonexistent.csv", "--column", "DAX", "--param",
				    "f=int:2:5", "--param", "s=int:10:20", NULL };
		refused("data '/nonexistent.csv': cannot read it", a);
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", DATA,
				    "--column", "NIKKEI", "--param", "f=int:2:5",
				    "--param", "s=int:10:20", NULL };
		refused("column 'NIKKEI': no such column", a);
	}
	snprintf(bad, sizeof bad, "%s", in_test_dir("bad.csv"));
	f = fopen(bad, "w");
	fputs("day,close\n1,100\n2,101\n3,abc\n4,102\n", f);
	fclose(f);
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", bad,
				    "--column", "close", "--param", "f=int:2:2",
				    "--param", "s=int:3:3", NULL };
		refused("line 4: column 'close' is not a positive price", a);
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", DATA,
				    "--column", "DAX", "--param", "f=int:2:5", NULL };
		refused("takes 2 to 3 parameters, got 1", a);
	}
	/* A file that never ends, and one whose line never does: refused at
	 * once, not read until memory runs out. */
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data",
				    "/dev/zero", "--column", "A", "--param", "f=int:2:2",
				    "--param", "s=int:3:3", NULL };
		refused("data '/dev/zero': not a regular file", a);
	}
	{
		char fifo[160];

		snprintf(fifo, sizeof fifo, "%s", in_test_dir("px.fifo"));
		cr_assert_eq(mkfifo(fifo, 0600), 0);
		{
			const char *a[] = { "run", "--objective", "ma_cross", "--data",
					    fifo, "--column", "A", "--param",
					    "f=int:2:2", "--param", "s=int:3:3", NULL };

			refused("not a regular file", a); /* not a hang */
		}
	}
	f = fopen(bad, "w");
	fputs("day,close\n1,", f);
	for (int i = 0; i < 70000; i++)
		fputc('1', f);
	fputs("\n2,101\n", f);
	fclose(f);
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", bad,
				    "--column", "close", "--param", "f=int:2:2",
				    "--param", "s=int:3:3", NULL };
		refused("line 2: longer than 65534 bytes", a);
	}
}

Test(objectives, external_worker_loads_the_sweeps_data, .timeout = 60,
     .init = make_test_dir)
{
	char csv_a[128], csv_b[128], js[128];
	/* --metric: the worker started by hand must learn it too. */
	const char *base[] = { "run", "--objective", "ma_cross", "--data", DATA,
			       "--column", "FTSE", "--param", "fast=int:2:100",
			       "--param", "slow=int:5:300", "--metric", "calmar",
			       "--db", "none", "-q", "-j", "1", NULL };
	const char *argv[32];
	char name[128], *a, *b, *summary;
	pid_t driver, sup = 0, w[1] = { 0 }, ext;
	posix_spawn_file_actions_t fa;
	int n = 0, status;

	snprintf(csv_a, sizeof csv_a, "%s", in_test_dir("a.csv"));
	snprintf(csv_b, sizeof csv_b, "%s", in_test_dir("b.csv"));
	snprintf(js, sizeof js, "%s", in_test_dir("b.json"));
	/* Reference: one supervised worker. */
	for (int i = 0; base[i] != NULL; i++)
		argv[n++] = base[i];
	argv[n++] = "--results";
	argv[n++] = csv_a;
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, NULL, NULL), 0);
	/* The same sweep, joined by a worker started by hand. */
	argv[0] = RSW_CLI_PATH;
	n = 1;
	for (int i = 0; base[i] != NULL; i++)
		argv[n++] = base[i];
	argv[n++] = "--external";
	argv[n++] = "1";
	argv[n++] = "--json";
	argv[n++] = "--results";
	argv[n++] = csv_b;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, js, O_WRONLY | O_CREAT | O_TRUNC,
					 0644);
	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, &fa, NULL,
				 (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 1), 0);
	{
		const char *wargv[] = { RSW_CLI_PATH, "worker", "--arena", name, NULL };

		cr_assert_eq(posix_spawn(&ext, RSW_CLI_PATH, NULL, NULL,
					 (char *const *)wargv, environ), 0);
	}
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(waitpid(ext, &status, 0), ext);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the external worker ends with the sweep");
	a = slurp(csv_a);
	b = slurp(csv_b);
	cr_assert_str_eq(a, b, "same results with the external worker");
	summary = slurp(js);
	/* workers[1] is the external slot: it took part. */
	cr_assert_null(strstr(summary, "\"worker\": 1,\n      \"tasks\": 0,"),
		       "the external worker did no task: %s", summary);
	free(a);
	free(b);
	free(summary);
}

/* The figure in column `name` of a results row (header `head`), as text. */
static void
column_of(char *head, const char *row, const char *name, char *out, size_t n)
{
	int want = -1, i = 0;

	for (char *h = head, *end; h != NULL; h = end != NULL ? end + 1 : NULL, i++) {
		end = strchr(h, ',');
		if ((end != NULL ? (size_t)(end - h) : strlen(h)) == strlen(name) &&
		    strncmp(h, name, strlen(name)) == 0)
			want = i;
	}
	cr_assert_geq(want, 0, "no column %s", name);
	for (i = 0; i < want; i++)
		row = strchr(row, ',') + 1;
	snprintf(out, n, "%.*s", (int)strcspn(row, ","), row);
}

/* --metric NAME makes ma_cross's value that metric (here with the value
 * column and the metric's own column the same figure), a resumed sweep
 * keeps it (it is the sweep's), and a name it does not have, or a metric
 * for an objective without them, is refused naming what there is. */
Test(objectives, ma_cross_value_is_the_metric_asked_for, .timeout = 60,
     .init = make_test_dir)
{
	static const char *metrics[] = { "calmar", "profit_factor", "avg_trade_return",
					 "total_return" };
	const char *unknown[] = { "run", "--objective", "ma_cross", "--data", DATA,
				  "--column", "DAX", "--param", "fast=int:2:3",
				  "--param", "slow=int:9:10", "--metric", "calmr",
				  "--db", "none", NULL };
	const char *sphere[] = { "run", "--objective", "sphere", "--param",
				 "x=float:0:1", "--algo", "random", "--evals", "2",
				 "--metric", "calmar", "--db", "none", NULL };

	for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
		char csv[128], db[128], whole[128];
		const char *argv[] = { "run", "--objective", "ma_cross", "--data", DATA,
				       "--column", "DAX", "--param", "fast=int:2:30:7",
				       "--param", "slow=int:40:200:40", "--metric",
				       metrics[m], "--maximize", "--db", db, "--results",
				       csv, "-q", NULL };
		const char *resume[] = { "run", "--resume", db, "--results", csv, "-q",
					 NULL };
		char *text, *head, *row, value[64], metric[64];
		int rows = 0;

		snprintf(csv, sizeof csv, "%s", in_test_dir("m.csv"));
		snprintf(db, sizeof db, "%s", in_test_dir("m.db"));
		snprintf(whole, sizeof whole, "%s", in_test_dir("whole.csv"));
		unlink(db);
		cr_assert_eq(run_cli(argv, NULL, NULL), 0, "%s", metrics[m]);
		text = slurp(csv);
		head = strtok(text, "\n");
		while ((row = strtok(NULL, "\n")) != NULL) {
			column_of(head, row, "value", value, sizeof value);
			column_of(head, row, metrics[m], metric, sizeof metric);
			cr_assert_str_eq(value, metric, "%s: %s", metrics[m], row);
			rows++;
		}
		cr_assert_eq(rows, 25);
		free(text);
		cr_assert_eq(rename(csv, whole), 0);
		cut_store(db, 7);
		cr_assert_eq(run_cli(resume, NULL, NULL), 0);
		text = slurp(csv);
		head = slurp(whole);
		cr_assert_str_eq(text, head, "%s: resumed as it was", metrics[m]);
		free(text);
		free(head);
	}
	refused("--metric 'calmr': objective 'ma_cross' has sharpe, total_return", unknown);
	refused("--metric: objective 'sphere' has no metric to choose", sphere);
}

/* --column A,B or * makes the series a category of the sweep (series,
 * last): one sweep covers the series x parameters matrix, each row the
 * value that series alone gives; a resume keeps it; a category where
 * ma_cross reads numbers, or a malformed list, is refused by name. */
Test(objectives, ma_cross_sweeps_several_series_as_a_category, .timeout = 60,
     .init = make_test_dir)
{
	static const char *series[] = { "DAX", "SMI", "CAC", "FTSE" };
	char csv[128], one[128], db[128], whole[128];
	const char *all[] = { "run", "--objective", "ma_cross", "--data", DATA,
			      "--column", "*", "--param", "fast=int:3:23:10",
			      "--param", "slow=int:30:60:30", "--db", db,
			      "--results", csv, "-q", NULL };
	const char *resume[] = { "run", "--resume", db, "--results", csv, "-q", NULL };
	const char *cat[] = { "run", "--objective", "ma_cross", "--data", DATA,
			      "--column", "DAX", "--param", "sec=cat:x,y", "--param",
			      "fast=int:2:3", "--param", "slow=int:9:10", "--db",
			      "none", NULL };
	const char *gap[] = { "run", "--objective", "ma_cross", "--data", DATA,
			      "--column", "DAX,,SMI", "--param", "fast=int:2:3",
			      "--param", "slow=int:9:10", "--db", "none", NULL };
	char *text, *row, *save = NULL;
	int rows = 0;

	snprintf(csv, sizeof csv, "%s", in_test_dir("all.csv"));
	snprintf(one, sizeof one, "%s", in_test_dir("one.csv"));
	snprintf(db, sizeof db, "%s", in_test_dir("all.db"));
	snprintf(whole, sizeof whole, "%s", in_test_dir("whole.csv"));
	cr_assert_eq(run_cli(all, NULL, NULL), 0);
	text = slurp(csv);
	cr_assert_eq(strncmp(text, "seq,fast,slow,series,status,value,", 34), 0, "%s", text);
	strtok_r(text, "\n", &save);
	while ((row = strtok_r(NULL, "\n", &save)) != NULL) {
		int seq, fast, slow;
		char name[16], pf[32], ps[32], *single, *line;
		const char *argv[] = { "run", "--objective", "ma_cross", "--data", DATA,
				       "--column", name, "--param", pf, "--param", ps,
				       "--db", "none", "--results", one, "-q", NULL };

		cr_assert_eq(sscanf(row, "%d,%d,%d,%15[^,]", &seq, &fast, &slow, name), 4,
			     "%s", row);
		cr_assert_str_eq(name, series[seq % 4], "the category varies fastest");
		snprintf(pf, sizeof pf, "fast=int:%d:%d", fast, fast);
		snprintf(ps, sizeof ps, "slow=int:%d:%d", slow, slow);
		cr_assert_eq(run_cli(argv, NULL, NULL), 0);
		single = slurp(one);
		line = strchr(single, '\n') + 1;
		line[strcspn(line, "\n")] = '\0';
		/* From the status on, the row is that series' own. */
		cr_assert_str_eq(strchr(strchr(strchr(strchr(row, ',') + 1, ',') + 1,
						 ',') + 1, ',') + 1,
				 strchr(strchr(strchr(line, ',') + 1, ',') + 1, ',') + 1,
				 "%s", row);
		free(single);
		rows++;
	}
	cr_assert_eq(rows, 3 * 2 * 4);
	free(text);
	cr_assert_eq(rename(csv, whole), 0);
	cut_store(db, 5);
	cr_assert_eq(run_cli(resume, NULL, NULL), 0);
	text = slurp(csv);
	row = slurp(whole);
	cr_assert_str_eq(text, row, "resumed as it was");
	free(text);
	free(row);
	refused("--param sec: ma_cross reads its parameters as numbers", cat);
	refused("--column 'DAX,,SMI': give NAME, NAME,NAME,... or *", gap);
}

/* export --best-by series: one row per series, in their order, each the
 * row of the full export with that series' greatest value (maximize; the
 * earliest on a tie); a name that is no parameter is refused. */
Test(objectives, export_best_by_gives_each_series_best_row, .timeout = 60,
     .init = make_test_dir)
{
	char db[128];
	const char *run[] = { "run", "--objective", "ma_cross", "--data", DATA,
			      "--column", "DAX,FTSE,SMI", "--param", "fast=int:2:30:4",
			      "--param", "slow=int:20:120:20", "--maximize", "--db", db,
			      "-q", NULL };
	const char *all[] = { "export", db, NULL };
	const char *best[] = { "export", db, "--best-by", "series", NULL };
	const char *nope[] = { "export", db, "--best-by", "fast_", NULL };
	char *text, *got, *line, *save = NULL, want[3][1024] = { "", "", "" };
	double top[3] = { -INFINITY, -INFINITY, -INFINITY };
	static const char *names[] = { "DAX", "FTSE", "SMI" };
	size_t off;

	snprintf(db, sizeof db, "%s", in_test_dir("b.db"));
	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	cr_assert_eq(run_cli(all, in_test_dir("all.csv"), NULL), 0);
	cr_assert_eq(run_cli(best, in_test_dir("best.csv"), NULL), 0);
	text = slurp(in_test_dir("all.csv"));
	off = strcspn(text, "\n") + 1;
	for (line = strtok_r(text + off, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char series[16], status[16];
		double value;

		if (sscanf(line, "%*d,%*d,%*d,%15[^,],%15[^,],%*d,%lf", series, status,
			   &value) != 3 || strcmp(status, "ok") != 0)
			continue;
		for (int k = 0; k < 3; k++)
			if (strcmp(series, names[k]) == 0 && value > top[k]) {
				top[k] = value;
				snprintf(want[k], sizeof want[k], "%s", line);
			}
	}
	got = slurp(in_test_dir("best.csv"));
	cr_assert_not_null(got);
	/* The run's own summary (--best-by, JSON) names the same rows. */
	{
		const char *again[] = { "run", "--objective", "ma_cross", "--data", DATA,
					"--column", "DAX,FTSE,SMI", "--param",
					"fast=int:2:30:4", "--param", "slow=int:20:120:20",
					"--maximize", "--best-by", "series", "--json", "--db",
					"none", "-q", NULL };
		json_error_t jerr;
		json_t *sum, *by;

		cr_assert_eq(run_cli(again, in_test_dir("sum.json"), NULL), 0);
		sum = json_load_file(in_test_dir("sum.json"), 0, &jerr);
		cr_assert_not_null(sum, "%s", jerr.text);
		by = json_object_get(sum, "best_by");
		cr_assert_eq(json_array_size(by), 3);
		for (int k = 0; k < 3; k++) {
			long long seq = 0;

			sscanf(want[k], "%lld", &seq);
			cr_assert_eq(json_integer_value(json_object_get(json_array_get(by, (size_t)k),
									  "seq")),
				     seq, "series %s", names[k]);
		}
		json_decref(sum);
	}
	{
		char expect[4096];

		snprintf(expect, sizeof expect, "%.*s%s\n%s\n%s\n", (int)off, got,
			 want[0], want[1], want[2]);
		cr_assert_str_eq(got, expect);
	}
	free(text);
	free(got);
	cr_assert_eq(run_cli(nope, NULL, in_test_dir("nope.err")), 2);
	text = slurp(in_test_dir("nope.err"));
	cr_assert_not_null(strstr(text, "--best-by 'fast_': not a parameter"), "%s", text);
	free(text);
}

/* A metric is a column of the results: one named as another column (a
 * parameter, seq/status/value/message, or another metric) would make a
 * header that reads back as something else.  Refused, naming it. */
Test(objectives, metrics_named_as_other_columns_are_refused, .timeout = 60,
     .init = make_test_dir)
{
	static const char *const bad[][2] = {
		{ "value", "every result has" }, { "seq", "every result has" },
		{ "message", "every result has" }, { "x", "a parameter" },
		{ "a,b,a", "another metric" },
	};
	char csv[128];

	snprintf(csv, sizeof csv, "%s", in_test_dir("out.csv"));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *a[] = { "run", "--cmd", "echo {x}", "--metrics", bad[i][0],
				    "--param", "x=int:0:3", "--results", csv, NULL };

		refused(bad[i][1], a);
	}
}
