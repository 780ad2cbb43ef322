/*
 * tests/test_report.c - `ringsweep report` on real sweeps' real SQLite
 * stores: the page's embedded data (the JSON block) must say what
 * sqlite3 reads from the store itself -- counts by status, the best row,
 * the running best, heatmap cells (binned and not), the per-series best
 * rows, the workers --; strings from the user are escaped; a running
 * sweep's store is reported as one snapshot; bad input gets one error
 * naming the culprit and leaves no file behind.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "helpers.h"

#define DATA RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv"
#define DATA_OPEN "<script type=\"application/json\" id=\"rsw-report-data\">"

/* The JSON block of a report page, parsed (the page must have exactly
 * one, ending at the first </script> after it). */
static json_t *
page_data(const char *page_path, char **page_out)
{
	char *page = slurp(page_path), *at, *end;
	json_error_t jerr;
	json_t *data;

	cr_assert_not_null(page, "no page at %s", page_path);
	at = strstr(page, DATA_OPEN);
	cr_assert_not_null(at, "no data block");
	cr_assert_null(strstr(at + 1, DATA_OPEN), "two data blocks");
	at += strlen(DATA_OPEN);
	end = strstr(at, "</script>");
	cr_assert_not_null(end);
	data = json_loadb(at, (size_t)(end - at), 0, &jerr);
	cr_assert_not_null(data, "bad JSON in the page: %s", jerr.text);
	if (page_out != NULL)
		*page_out = page;
	else
		free(page);
	return data;
}

static sqlite3 *
open_ro(const char *db)
{
	sqlite3 *h;

	cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return h;
}

/* One row of one number (NULL: NAN); the SQL is printf-formatted. */
static double
sql_number(sqlite3 *h, const char *fmt, ...)
{
	char sql[1024];
	sqlite3_stmt *s;
	va_list ap;
	double v;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK, "%s: %s", sql,
		     sqlite3_errmsg(h));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_type(s, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
assert_status_counts(sqlite3 *h, const json_t *status)
{
	sqlite3_stmt *s;
	size_t kinds = 0;

	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT status, count(*) FROM results GROUP "
					   "BY status", -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		json_t *n = json_object_get(status, name);

		cr_assert_not_null(n, "status %s missing from the page", name);
		cr_assert_eq(json_integer_value(n), sqlite3_column_int64(s, 1), "%s", name);
		kinds++;
	}
	sqlite3_finalize(s);
	cr_assert_eq(json_object_size(status), kinds, "the page counts more statuses");
}

/* The best row and the running best against seq, from the rows. */
static void
assert_best_and_curve(sqlite3 *h, const json_t *data, int maximize)
{
	const json_t *best = json_object_get(data, "best");
	const json_t *pts = json_object_get(json_object_get(data, "curve"), "points");
	sqlite3_stmt *s;
	double run = NAN;
	size_t k = 0;
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT seq, value FROM results WHERE status = 'ok' "
		 "AND value IS NOT NULL ORDER BY value %s, seq LIMIT 1",
		 maximize ? "DESC" : "ASC");
	cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	cr_assert_eq(json_integer_value(json_object_get(best, "seq")),
		     sqlite3_column_int64(s, 0));
	cr_assert_eq(json_real_value(json_object_get(best, "value")),
		     sqlite3_column_double(s, 1));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(best, "row"),
							"seq")),
		     sqlite3_column_int64(s, 0));
	sqlite3_finalize(s);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT seq, value FROM results WHERE status "
					   "= 'ok' AND value IS NOT NULL ORDER BY seq",
					-1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		double v = sqlite3_column_double(s, 1);
		const json_t *p;

		if (!isnan(run) && !(maximize ? v > run : v < run))
			continue;
		run = v;
		p = json_array_get(pts, k++);
		cr_assert_not_null(p, "improvement at seq %lld missing",
				   (long long)sqlite3_column_int64(s, 0));
		cr_assert_eq(json_integer_value(json_array_get(p, 0)),
			     sqlite3_column_int64(s, 0));
		cr_assert_eq(json_real_value(json_array_get(p, 1)), v);
	}
	sqlite3_finalize(s);
	cr_assert_eq(json_array_size(pts), k, "the page has improvements the store lacks");
	cr_assert_gt(k, 1);
}

/* SQL for "the row's column `name` is in bin i of axis a". */
static void
bin_condition(const json_t *axis, size_t i, char *out, size_t n)
{
	const char *name = json_string_value(json_object_get(axis, "param"));
	const char *kind = json_string_value(json_object_get(axis, "kind"));
	const json_t *bins = json_object_get(axis, "bins"), *b = json_array_get(bins, i);
	double lo = json_number_value(json_object_get(b, "lo"));
	double hi = json_number_value(json_object_get(b, "hi"));

	if (strcmp(kind, "cat") == 0)
		snprintf(out, n, "\"%s\" = '%s'", name, json_string_value(b));
	else if (strcmp(kind, "exact") == 0 || strcmp(kind, "int") == 0)
		snprintf(out, n, "\"%s\" >= %.17g AND \"%s\" <= %.17g", name, lo, name, hi);
	else if (i + 1 == json_array_size(bins))
		snprintf(out, n, "\"%s\" >= %.17g AND \"%s\" <= %.17g", name, lo, name, hi);
	else
		snprintf(out, n, "\"%s\" >= %.17g AND \"%s\" < %.17g", name, lo, name, hi);
}

/* Every cell of a heatmap: its best value (the best over the other
 * parameters), its ok rows and its rows, as SQL finds them in its bins;
 * and every row is in some cell. */
static void
assert_cells(sqlite3 *h, const json_t *hm, const json_t *cells, const char *extra,
	     int maximize, uint64_t rows)
{
	const json_t *ax = json_object_get(hm, "x"), *ay = json_object_get(hm, "y"), *c;
	uint64_t seen = 0;
	size_t i;

	cr_assert_gt(json_array_size(cells), 0);
	json_array_foreach(cells, i, c) {
		char cx[256], cy[256];
		double best, ok, n;

		bin_condition(ax, (size_t)json_integer_value(json_array_get(c, 0)), cx,
			      sizeof cx);
		bin_condition(ay, (size_t)json_integer_value(json_array_get(c, 1)), cy,
			      sizeof cy);
		best = sql_number(h, "SELECT %s(value) FROM results WHERE status = 'ok' "
				  "AND %s AND %s%s", maximize ? "max" : "min", cx, cy, extra);
		ok = sql_number(h, "SELECT count(*) FROM results WHERE status = 'ok' AND "
				"value IS NOT NULL AND %s AND %s%s", cx, cy, extra);
		n = sql_number(h, "SELECT count(*) FROM results WHERE %s AND %s%s", cx, cy,
			       extra);
		if (isnan(best))
			cr_assert(json_is_null(json_array_get(c, 2)), "%s, %s", cx, cy);
		else
			cr_assert_eq(json_real_value(json_array_get(c, 2)), best, "%s, %s: %.17g",
				     cx, cy, json_real_value(json_array_get(c, 2)));
		cr_assert_eq((double)json_integer_value(json_array_get(c, 3)), ok, "%s %s", cx,
			     cy);
		cr_assert_eq((double)json_integer_value(json_array_get(c, 4)), n, "%s %s", cx,
			     cy);
		cr_assert_gt(n, 0, "a cell without rows is listed");
		seen += (uint64_t)n;
	}
	if (rows > 0)
		cr_assert_eq(seen, rows, "rows outside every cell");
}

static void
report(const char *db, const char *page, const char *const *extra)
{
	const char *argv[24] = { "report", db, "-o", page };
	int n = 4;

	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(run_cli(argv, in_test_dir("report.out"), in_test_dir("report.err")),
		     0, "%s", slurp(in_test_dir("report.err")));
}

/* The crossover backtest over four securities: a maximized grid whose
 * heatmap is binned (--bins 12 over 29 and 40 values), the per-series
 * table, the small heatmaps per series. */
Test(report, the_page_says_what_the_store_holds, .timeout = 120, .init = make_test_dir)
{
	const char *run[] = { "run", "--objective", "ma_cross", "--data", DATA, "--column",
			      "*", "--param", "fast=int:2:30", "--param", "slow=int:5:200:5",
			      "--constraint", "fast < slow", "--maximize", "-j", "2", "-q",
			      "--db", in_test_dir("m.db"), NULL };
	const char *opts[] = { "--bins", "12", NULL };
	json_t *data, *hm, *by, *slices, *w, *row;
	sqlite3 *h;
	uint64_t rows, tasks = 0;
	size_t i;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	report(in_test_dir("m.db"), in_test_dir("m.html"), opts);
	data = page_data(in_test_dir("m.html"), NULL);
	h = open_ro(in_test_dir("m.db"));
	rows = (uint64_t)sql_number(h, "SELECT count(*) FROM results");
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(data, "study"),
							"rows")), (json_int_t)rows);
	cr_assert_str_eq(json_string_value(json_object_get(data, "direction")), "maximize");
	assert_status_counts(h, json_object_get(data, "status"));
	assert_best_and_curve(h, data, 1);

	/* The default heatmap: the first two numeric parameters, binned
	 * into whole ranges of integers. */
	hm = json_object_get(data, "heatmap");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "x"),
							   "param")), "fast");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "y"),
							   "param")), "slow");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "x"),
							   "kind")), "int");
	cr_assert_leq(json_array_size(json_object_get(json_object_get(hm, "x"), "bins")), 12);
	cr_assert_leq(json_array_size(json_object_get(json_object_get(hm, "y"), "bins")), 12);
	assert_cells(h, hm, json_object_get(hm, "cells"), "", 1, rows);
	/* A small heatmap per series, each its series' own cells. */
	slices = json_object_get(hm, "slices");
	cr_assert_eq(json_array_size(slices), 4);
	json_array_foreach(slices, i, row) {
		char where[64];

		snprintf(where, sizeof where, " AND series = '%s'",
			 json_string_value(json_object_get(row, "value")));
		assert_cells(h, hm, json_object_get(row, "cells"), where, 1, 0);
	}

	/* One row per series, in their order: each its best evaluation. */
	by = json_object_get(data, "best_by");
	cr_assert_str_eq(json_string_value(json_object_get(by, "param")), "series");
	cr_assert_eq(json_array_size(json_object_get(by, "rows")), 4);
	json_array_foreach(json_object_get(by, "rows"), i, row) {
		static const char *const series[] = { "DAX", "SMI", "CAC", "FTSE" };
		sqlite3_stmt *s;

		cr_assert_str_eq(json_string_value(json_object_get(row, "series")), series[i]);
		cr_assert_eq(sqlite3_prepare_v2(h, "SELECT seq, value, fast, slow, sortino "
						   "FROM results WHERE series = ? AND status = "
						   "'ok' ORDER BY value DESC, seq LIMIT 1",
						-1, &s, NULL), SQLITE_OK);
		sqlite3_bind_text(s, 1, series[i], -1, SQLITE_STATIC);
		cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
		cr_assert_eq(json_integer_value(json_object_get(row, "seq")),
			     sqlite3_column_int64(s, 0), "%s", series[i]);
		cr_assert_eq(json_real_value(json_object_get(row, "value")),
			     sqlite3_column_double(s, 1));
		cr_assert_eq(json_integer_value(json_object_get(row, "fast")),
			     sqlite3_column_int64(s, 2));
		cr_assert_eq(json_integer_value(json_object_get(row, "slow")),
			     sqlite3_column_int64(s, 3));
		cr_assert_eq(json_real_value(json_object_get(row, "sortino")),
			     sqlite3_column_double(s, 4));
		sqlite3_finalize(s);
	}

	/* The value against each parameter: fast's bins hold the best of
	 * their rows. */
	{
		const json_t *m = json_array_get(json_object_get(data, "marginals"), 0);
		const json_t *axis = json_object_get(m, "axis");

		cr_assert_str_eq(json_string_value(json_object_get(m, "param")), "fast");
		for (size_t b = 0; b < json_array_size(json_object_get(axis, "bins")); b++) {
			char cond[256];

			bin_condition(axis, b, cond, sizeof cond);
			cr_assert_eq(json_real_value(json_array_get(json_object_get(m, "best"),
								    b)),
				     sql_number(h, "SELECT max(value) FROM results WHERE "
					       "status = 'ok' AND %s", cond), "%s", cond);
		}
	}

	/* Two workers, as the store recorded them. */
	w = json_object_get(data, "workers");
	json_array_foreach(w, i, row) {
		long long id = json_integer_value(json_object_get(row, "worker"));

		cr_assert_eq((double)json_integer_value(json_object_get(row, "tasks")),
			     sql_number(h, "SELECT count(*) FROM results WHERE worker = %lld",
					id), "worker %lld", id);
		tasks += (uint64_t)json_integer_value(json_object_get(row, "tasks"));
	}
	cr_assert_eq(tasks, rows);
	cr_assert_eq((double)json_array_size(w),
		     sql_number(h, "SELECT count(DISTINCT worker) FROM results"));
	/* The study, as the store describes it. */
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(
		json_object_get(data, "study"), "description"), "constraints"), 0)),
		"fast < slow");
	cr_assert(json_is_null(json_object_get(data, "pareto")));
	sqlite3_close(h);
	json_decref(data);
}

/* A command objective that fails on some points and calls others
 * infeasible, minimized, over an integer and a float parameter (21
 * values: binned as ranges of floats past --bins 12), with the axes
 * chosen by --x/--y. */
Test(report, statuses_float_bins_and_chosen_axes, .timeout = 120, .init = make_test_dir)
{
	const char *run[] = {
		"run", "--cmd",
		"sh -c 'if [ $((({a} - 1) / 2)) = 3 ]; then echo infeasible; "
		"elif [ $((({a} - 1) / 2)) = 4 ]; then exit 3; "
		"else awk \"BEGIN { print {a} * {b} - {a} }\"; fi'",
		"--param", "a=int:1:24", "--param", "b=float:0:2:0.1", "--param",
		"c=choice:1,2", "-j", "2", "-q", "--db", in_test_dir("c.db"), NULL };
	const char *opts[] = { "--x", "b", "--y", "a", "--bins", "12", NULL };
	json_t *data, *hm, *st;
	sqlite3 *h;

	cr_assert_eq(run_cli(run, NULL, in_test_dir("run.err")), 0, "%s",
		     slurp(in_test_dir("run.err")));
	report(in_test_dir("c.db"), in_test_dir("c.html"), opts);
	data = page_data(in_test_dir("c.html"), NULL);
	h = open_ro(in_test_dir("c.db"));
	st = json_object_get(data, "status");
	cr_assert_gt(json_integer_value(json_object_get(st, "infeasible")), 0);
	cr_assert_gt(json_integer_value(json_object_get(st, "error")), 0);
	cr_assert_gt(json_integer_value(json_object_get(st, "ok")), 0);
	assert_status_counts(h, st);
	assert_best_and_curve(h, data, 0);
	hm = json_object_get(data, "heatmap");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "x"),
							   "param")), "b");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "x"),
							   "kind")), "linear");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "y"),
							   "param")), "a");
	assert_cells(h, hm, json_object_get(hm, "cells"), "", 0,
		     (uint64_t)sql_number(h, "SELECT count(*) FROM results"));
	/* a is binned in pairs (1-2, 3-4, ...): the cells of 7-8 (infeasible)
	 * and 9-10 (failed) have rows but no value, and no fill. */
	{
		size_t i, empty = 0;
		const json_t *c;

		json_array_foreach(json_object_get(hm, "cells"), i, c)
			if (json_is_null(json_array_get(c, 2))) {
				cr_assert(json_is_null(json_array_get(c, 5)));
				empty++;
			}
		cr_assert_gt(empty, 0, "no cell without a successful evaluation");
	}
	/* No categorical parameter: no per-value table. */
	cr_assert(json_is_null(json_object_get(data, "best_by")));
	sqlite3_close(h);
	json_decref(data);
}

/* Labels, commands and metric names come from the user: none reaches the
 * page as markup, and the data block reads back to the very strings. */
Test(report, user_strings_are_escaped, .timeout = 60, .init = make_test_dir)
{
	const char *run[] = { "run", "--cmd", "sh -c 'echo {a} # <img src=x onerror=f()>'",
			      "--param", "a=int:0:3", "--param",
			      "lab=cat:<b>x&y</b>,</script><!--,\"q'",
			      "-q", "--db", in_test_dir("e.db"), NULL };
	json_t *data, *rows;
	char *page, *p;
	int scripts = 0;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	report(in_test_dir("e.db"), in_test_dir("e.html"), NULL);
	data = page_data(in_test_dir("e.html"), &page);
	cr_assert_null(strstr(page, "<b>x"), "a label reached the page as markup");
	cr_assert_null(strstr(page, "<img"), "the command reached the page as markup");
	cr_assert_null(strstr(page, "<!--,"), "a label opened a comment");
	for (p = page; (p = strstr(p, "</script>")) != NULL; p++)
		scripts++;
	cr_assert_eq(scripts, 1, "only the data block's own </script>");
	cr_assert_not_null(strstr(page, "&lt;b&gt;x&amp;y&lt;/b&gt;"));
	rows = json_object_get(json_object_get(data, "best_by"), "rows");
	cr_assert_eq(json_array_size(rows), 3);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 0), "lab")),
			 "<b>x&y</b>");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 1), "lab")),
			 "</script><!--");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(rows, 2), "lab")),
			 "\"q'");
	free(page);
	json_decref(data);
}

/* A sweep still running: its store is reported read-only as one
 * snapshot (every count adds up to the rows read), the page says it is
 * being written; once its writer is SIGKILLed, it says interrupted. */
Test(report, a_running_sweeps_store_is_one_snapshot, .timeout = 120,
     .init = make_test_dir)
{
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep", "--param",
			       "ms=float:1:3", "--param", "k=int:1:5", "--algo", "random",
			       "--evals", "100000", "-j", "1", "-q", "--progress", "none",
			       "--db", in_test_dir("live.db"), NULL };
	json_t *data, *st, *v;
	const char *k;
	uint64_t sum = 0, rows;
	size_t i;
	pid_t driver, sup = 0, worker = 0;
	char arena[256];
	int status;
	char *page;

	driver = fork();
	if (driver == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execv(RSW_CLI_PATH, (char *const *)argv);
		_exit(127);
	}
	cr_assert_gt(driver, 0);
	cr_assert_geq(wait_store_rows(in_test_dir("live.db"), 20), 20);
	report(in_test_dir("live.db"), in_test_dir("live.html"), NULL);
	data = page_data(in_test_dir("live.html"), &page);
	rows = (uint64_t)json_integer_value(json_object_get(json_object_get(data, "study"),
							    "rows"));
	cr_assert_geq(rows, 20);
	cr_assert_lt(rows, 100000);
	cr_assert(json_is_true(json_object_get(json_object_get(data, "study"),
					       "being_written")));
	cr_assert_not_null(strstr(page, "being written now"));
	st = json_object_get(data, "status");
	json_object_foreach(st, k, v)
		sum += (uint64_t)json_integer_value(v);
	cr_assert_eq(sum, rows, "the counts are of another moment than the rows");
	/* The heatmap's axes were read from the same snapshot: every row
	 * read falls in a cell. */
	sum = 0;
	json_array_foreach(json_object_get(json_object_get(data, "heatmap"), "cells"), i, v)
		sum += (uint64_t)json_integer_value(json_array_get(v, 4));
	cr_assert_eq(sum, rows, "rows outside the heatmap's axes");
	cr_assert_leq(json_integer_value(json_object_get(json_object_get(data, "best"), "seq")),
		      (json_int_t)rows - 1);
	free(page);
	json_decref(data);

	/* The supervisor and the worker were forked holding the store's
	 * descriptors (its writer lock's among them): the sweep is gone once
	 * they are, which the pidfds say. */
	cr_assert_eq(find_sweep_of(driver, arena, sizeof arena, &sup, &worker, 1), 0);
	kill(driver, SIGKILL);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert_geq(wait_exit_ms(sup, 10000), 0, "the supervisor outlived its driver");
	cr_assert_geq(wait_exit_ms(worker, 10000), 0, "the worker outlived its supervisor");
	rsw_arena_reap_stale();
	report(in_test_dir("live.db"), in_test_dir("dead.html"), NULL);
	data = page_data(in_test_dir("dead.html"), &page);
	cr_assert(json_is_false(json_object_get(json_object_get(data, "study"),
						"being_written")));
	cr_assert_not_null(strstr(page, "interrupted"));
	free(page);
	json_decref(data);
}

/* `args` exits 2 with `culprit` in its one line of error, and `page` is
 * left as it was (absent, or the earlier report). */
static void
refused(const char *const *args, const char *culprit, const char *page)
{
	char *before = slurp(page), *after, *err;

	cr_assert_eq(run_cli(args, NULL, in_test_dir("bad.err")), 2, "not refused: %s",
		     culprit);
	err = slurp(in_test_dir("bad.err"));
	cr_assert_not_null(strstr(err, culprit), "'%s' lacks '%s'", err, culprit);
	cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "more than one line: %s",
		     err);
	after = slurp(page);
	if (before == NULL)
		cr_assert_null(after, "%s written on bad input", page);
	else
		cr_assert_str_eq(after, before, "%s changed on bad input", page);
	free(before);
	free(after);
	free(err);
}

Test(report, bad_input_names_the_culprit_and_writes_nothing, .timeout = 60,
     .init = make_test_dir)
{
	const char *run[] = { "run", "--param", "x=int:0:9", "--param", "y=int:0:3", "-q",
			      "--db", in_test_dir("g.db"), NULL };
	const char *page = in_test_dir("p.html");
	sqlite3 *h;
	FILE *f;
	DIR *d;
	struct dirent *e;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	f = fopen(in_test_dir("notes.txt"), "w");
	fputs("not a database\n", f);
	fclose(f);
	cr_assert_eq(sqlite3_open(in_test_dir("other.db"), &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t (a)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	{
		const char *a[] = { "report", in_test_dir("missing.db"), "-o", page, NULL };
		refused(a, "missing.db", page);
	}
	{
		const char *a[] = { "report", in_test_dir("notes.txt"), "-o", page, NULL };
		refused(a, "not a ringsweep results file", page);
	}
	{
		const char *a[] = { "report", in_test_dir("other.db"), "-o", page, NULL };
		refused(a, "not a ringsweep results file", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), NULL };
		refused(a, "needs -o", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", in_test_dir("g.db"),
				    NULL };
		refused(a, "would overwrite its own store", in_test_dir("g.db"));
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o",
				    "/nonexistent-dir/r.html", NULL };
		refused(a, "/nonexistent-dir/r.html", page);
	}
	/* A good report first: bad input later leaves it as it was. */
	report(in_test_dir("g.db"), page, NULL);
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--x", "z",
				    NULL };
		refused(a, "--x 'z': not a parameter of the sweep", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--y", "z<",
				    NULL };
		refused(a, "--y 'z<'", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--x", "x",
				    "--y", "x", NULL };
		refused(a, "--x and --y both name 'x'", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--best-by",
				    "w", NULL };
		refused(a, "--best-by 'w'", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--bins", "0",
				    NULL };
		refused(a, "--bins", page);
	}
	{
		const char *a[] = { "report", in_test_dir("g.db"), "-o", page, "--colour",
				    NULL };
		refused(a, "--colour", page);
	}
	/* No temporary file was left behind by any of them. */
	d = opendir(rsw_test_dir);
	cr_assert_not_null(d);
	while ((e = readdir(d)) != NULL)
		cr_assert_null(strstr(e->d_name, ".partial"), "left behind: %s", e->d_name);
	closedir(d);
}

/* `ringsweep report --help` and `ringsweep help report` document it. */
Test(report, help_documents_every_option, .timeout = 30, .init = make_test_dir)
{
	const char *a[] = { "help", "report", NULL };
	char *text;

	cr_assert_eq(run_cli(a, in_test_dir("help"), NULL), 0);
	text = slurp(in_test_dir("help"));
	for (const char *const *o = (const char *const[]){ "-o, --output", "--x PARAM",
							    "--y PARAM", "--best-by PARAM",
							    "--bins N", NULL };
	     *o != NULL; o++)
		cr_assert_not_null(strstr(text, *o), "help lacks %s", *o);
	free(text);
}

/* A log-scaled parameter is binned in log space (each bin's rows by the
 * rule the page states); a store with no row yet still makes a page. */
Test(report, log_bins_and_a_store_without_rows, .timeout = 60, .init = make_test_dir)
{
	const char *run[] = { "run", "--objective", "sphere", "--param", "lr=log:0.0001:0.1",
			      "--param", "k=int:-3:3", "--algo", "random", "--evals", "300",
			      "-q", "--db", in_test_dir("l.db"), NULL };
	json_t *data, *hm, *m;
	sqlite3 *h;
	char *page;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	report(in_test_dir("l.db"), in_test_dir("l.html"), NULL);
	data = page_data(in_test_dir("l.html"), NULL);
	h = open_ro(in_test_dir("l.db"));
	hm = json_object_get(data, "heatmap");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(hm, "x"),
							   "kind")), "log");
	assert_cells(h, hm, json_object_get(hm, "cells"), "", 0,
		     (uint64_t)sql_number(h, "SELECT count(*) FROM results"));
	m = json_array_get(json_object_get(data, "marginals"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(m, "axis"),
							   "kind")), "log");
	sqlite3_close(h);
	json_decref(data);

	cut_store(in_test_dir("l.db"), 0);
	report(in_test_dir("l.db"), in_test_dir("empty.html"), NULL);
	data = page_data(in_test_dir("empty.html"), &page);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(data, "study"),
							"rows")), 0);
	cr_assert_eq(json_object_size(json_object_get(data, "status")), 0);
	cr_assert(json_is_null(json_object_get(data, "best")));
	cr_assert_not_null(strstr(page, "No evaluation yet."));
	free(page);
	json_decref(data);
}

/* The library's own entry points, as an embedding program calls them: to
 * a stream (nothing written to it when the store cannot be read), and to
 * a path with the default options. */
Test(report, the_library_writes_to_a_stream_or_a_path, .timeout = 60,
     .init = make_test_dir)
{
	const char *run[] = { "run", "--param", "x=int:0:9", "--param", "y=int:0:3", "-q",
			      "--db", in_test_dir("g.db"), NULL };
	rsw_report_options o;
	char err[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	f = open_memstream(&text, &len);
	cr_assert_eq(rsw_report_fwrite(in_test_dir("missing.db"), NULL, f, err, sizeof err),
		     RSW_EINVAL);
	fflush(f);
	cr_assert_eq(len, 0, "written to the stream on bad input");
	cr_assert_not_null(strstr(err, "missing.db"), "%s", err);
	rsw_report_options_init(&o);
	o.y = "x";
	cr_assert_eq(rsw_report_fwrite(in_test_dir("g.db"), &o, f, err, sizeof err), 0, "%s",
		     err);
	fclose(f);
	cr_assert_not_null(strstr(text, DATA_OPEN));
	cr_assert_not_null(strstr(text, "</html>"));
	free(text);
	cr_assert_eq(rsw_report_write(in_test_dir("g.db"), NULL, in_test_dir("g.html"), err,
				      sizeof err), 0, "%s", err);
	json_decref(page_data(in_test_dir("g.html"), NULL));
	o.bins = RSW_REPORT_BINS_MAX + 1;
	cr_assert_eq(rsw_report_write(in_test_dir("g.db"), &o, in_test_dir("h.html"), err,
				      sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "--bins"), "%s", err);
}

/* A multi-objective study: the page's front is export --pareto's, its
 * hypervolume the run's own (against the --hv-ref it recorded), its
 * points every success. */
Test(report, a_multi_objective_page_shows_the_front, .timeout = 120,
     .init = make_test_dir)
{
	const char *run[] = { "run", "--objective", "ma_cross", "--data", DATA, "--column",
			      "SMI", "--param", "fast=int:2:60", "--param", "slow=int:5:200",
			      "--constraint", "fast < slow", "--maximize", "sharpe",
			      "--minimize", "max_drawdown", "--algo", "genetic", "--evals",
			      "600", "--hv-ref", "0,1", "-j", "2", "--json", "--db",
			      in_test_dir("mo.db"), NULL };
	const char *export[] = { "export", in_test_dir("mo.db"), "--pareto", NULL };
	json_t *summary, *data, *pareto, *front;
	char *csv, *line, *save = NULL;
	size_t i = 0;

	cr_assert_eq(run_cli(run, in_test_dir("run.json"), NULL), 0);
	summary = json_load_file(in_test_dir("run.json"), 0, NULL);
	cr_assert_not_null(summary);
	report(in_test_dir("mo.db"), in_test_dir("mo.html"), NULL);
	data = page_data(in_test_dir("mo.html"), NULL);
	pareto = json_object_get(data, "pareto");
	cr_assert(json_is_object(pareto), "no front in the page");
	front = json_object_get(pareto, "front");
	cr_assert_eq(json_integer_value(json_object_get(pareto, "successes")), 600);
	cr_assert(json_is_true(json_object_get(pareto, "reference_given")),
		  "the run's --hv-ref is the page's reference");
	cr_assert_float_eq(json_real_value(json_object_get(pareto, "hypervolume")),
			   json_real_value(json_object_get(json_object_get(summary, "pareto"),
							   "hypervolume")), 1e-12);
	cr_assert_eq(json_array_size(front),
		     json_array_size(json_object_get(json_object_get(summary, "pareto"),
						     "front")));
	cr_assert_eq(run_cli(export, in_test_dir("front.csv"), NULL), 0);
	csv = slurp(in_test_dir("front.csv"));
	strtok_r(csv, "\n", &save); /* the header */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		const json_t *m = json_array_get(front, i++);

		cr_assert_not_null(m, "the page's front is shorter than the export's");
		cr_assert_eq(json_integer_value(json_object_get(m, "seq")),
			     strtoll(line, NULL, 10), "member %zu", i - 1);
	}
	cr_assert_eq(i, json_array_size(front));
	free(csv);
	json_decref(data);
	json_decref(summary);
}

/* A pruned evaluation is no failure, per worker too: the workers' table
 * counts it apart. */
Test(report, pruned_evaluations_are_no_failures_of_a_worker, .timeout = 120,
     .init = make_test_dir)
{
	const char *run[] = { "run", "--objective", "ma_cross", "--data", DATA, "--column",
			      "DAX", "--param", "fast=int:2:100", "--param", "slow=int:5:300",
			      "--constraint", "fast < slow", "--maximize", "--algo", "random",
			      "--evals", "200", "--prune", "median", "-j", "2", "-q", "--db",
			      in_test_dir("p.db"), NULL };
	sqlite3 *h;
	json_t *data, *row;
	double pruned = 0;
	size_t i;

	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	report(in_test_dir("p.db"), in_test_dir("p.html"), NULL);
	data = page_data(in_test_dir("p.html"), NULL);
	h = open_ro(in_test_dir("p.db"));
	json_array_foreach(json_object_get(data, "workers"), i, row) {
		cr_assert_eq(json_integer_value(json_object_get(row, "failed")), 0);
		pruned += (double)json_integer_value(json_object_get(row, "pruned"));
	}
	cr_assert_gt(pruned, 0);
	cr_assert_eq(pruned, sql_number(h, "SELECT count(*) FROM results WHERE "
					   "status = 'pruned'"));
	sqlite3_close(h);
	json_decref(data);
}
