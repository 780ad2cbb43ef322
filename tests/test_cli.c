/*
 * tests/test_cli.c - the ringsweep command as a user runs it: byte-
 * identical results for serial and 1, 2, 7 workers; bad input refused
 * with one message naming the culprit, exit 2, nothing written; attach
 * errors; SIGINT drains and removes the arena.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <sys/stat.h>

#include "helpers.h"

Test(cli, random_results_identical_for_serial_and_any_worker_count,
     .timeout = 120, .init = make_test_dir)
{
	const char *modes[][3] = { { "--serial", NULL, NULL }, { "-j", "1", NULL },
				   { "-j", "2", NULL }, { "-j", "7", NULL } };
	char *reference = NULL;

	for (int m = 0; m < 4; m++) {
		char csv[256];
		const char *argv[32];
		int n = 0;
		char *got;

		snprintf(csv, sizeof csv, "%s", in_test_dir("r.csv"));
		argv[n++] = "run";
		argv[n++] = "--objective";
		argv[n++] = "rastrigin";
		argv[n++] = "--param";
		argv[n++] = "x=float:-5.12:5.12";
		argv[n++] = "--param";
		argv[n++] = "y=int:-3:3";
		argv[n++] = "--param";
		argv[n++] = "z=float:0:1:0.125";
		argv[n++] = "--algo";
		argv[n++] = "random";
		argv[n++] = "--evals";
		argv[n++] = "5000";
		argv[n++] = "--seed";
		argv[n++] = "7";
		argv[n++] = "--results";
		argv[n++] = csv;
		argv[n++] = "-q";
		for (int i = 0; modes[m][i] != NULL; i++)
			argv[n++] = modes[m][i];
		argv[n] = NULL;
		cr_assert_eq(run_cli(argv, NULL, in_test_dir("err")), 0, "mode %d", m);
		got = slurp(csv);
		cr_assert_not_null(got);
		if (reference == NULL) {
			reference = got;
			cr_assert_eq(strncmp(got, "seq,x,y,z,status,value\n", 23), 0);
			cr_assert_gt(strlen(got), 5000 * 10, "5000 rows");
		} else {
			cr_assert_str_eq(got, reference, "mode %s %s differs",
					 modes[m][0], modes[m][1] ? modes[m][1] : "");
			free(got);
		}
	}
	free(reference);
}

/* Runs argv, expects exit 2, one "error:" line mentioning `culprit`, and
 * no results file. */
static void
refused(const char *culprit, const char **argv)
{
	char *err;
	int lines = 0;

	cr_assert_eq(run_cli(argv, NULL, in_test_dir("err")), 2, "'%s' not refused",
		     culprit);
	err = slurp(in_test_dir("err"));
	cr_assert_not_null(err);
	cr_assert_not_null(strstr(err, culprit), "message '%s' lacks '%s'", err,
			   culprit);
	for (char *p = err; (p = strstr(p, "error:")) != NULL; p++)
		lines++;
	cr_assert_eq(lines, 1, "one error message, got: %s", err);
	free(err);
	cr_assert_eq(access(in_test_dir("out.csv"), F_OK), -1, "nothing written");
	cr_assert_eq(access(in_test_dir("out.csv.partial"), F_OK), -1, "nothing written");
}

/* Grid and random with crashes and retries (the other algorithms have
 * the same test in their suites). */
Test(cli, grid_and_random_identical_with_crashes_at_any_worker_count,
     .timeout = 120)
{
	const char *grid[] = { "--algo", "grid", NULL };
	const char *random[] = { "--algo", "random", "--evals", "300", "--seed", "2",
				 NULL };
	char *csv = assert_same_results_at_any_worker_count(grid);

	cr_assert_not_null(strstr(csv, "\n3431,"), "13 x 11 x 8 x 3 points");
	free(csv);
	csv = assert_same_results_at_any_worker_count(random);
	cr_assert_not_null(strstr(csv, "\n299,"), "300 rows");
	free(csv);
}

Test(cli, bad_input_is_refused_naming_the_culprit, .timeout = 60,
     .init = make_test_dir)
{
	const char *csv = in_test_dir("out.csv");
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--bogus", NULL };
		refused("--bogus", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:5:1", "--results", csv, NULL };
		refused("'x'", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--param", "x=int:0:3", NULL };
		refused("given twice", a);
	}
	{
		const char *a[] = { "run", "--param", "speed=float:0:abc", NULL };
		refused("'abc'", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:9:0", NULL };
		refused("STEP", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--objective", "nope", NULL };
		refused("'nope'", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--timeout", "soon", NULL };
		refused("'soon'", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "-j", "many", NULL };
		refused("'many'", a);
	}
	{
		const char *a[] = { "run", "--param", "x=float:0:1", NULL };
		refused("'x' is continuous", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--algo", "random", NULL };
		refused("--evals", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--results",
				    "/nonexistent-dir/out.csv", NULL };
		refused("/nonexistent-dir/out.csv", a);
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--on-error", "maybe", NULL };
		refused("'maybe'", a);
	}
	{
		const char *a[] = { "frobnicate", NULL };
		refused("'frobnicate'", a);
	}
}

Test(cli, worker_refuses_foreign_corrupt_and_truncated_arenas, .timeout = 30,
     .init = make_test_dir)
{
	char name[64], junk[4096];
	rsw_arena_params p = { .nworkers = 1, .nslots = 2, .ring_capacity = 16,
			       .max_inflight = 16, .max_params = 1,
			       .objective = "sphere" };
	rsw_arena a;
	void *copy;

	snprintf(name, sizeof name, "/ringsweep-clitest-%d", (int)getpid());
	memset(junk, 'z', sizeof junk);
	cr_assert_eq(make_shm_object(name, junk, sizeof junk), 0);
	{
		const char *argv[] = { "worker", "--arena", name, NULL };
		refused("not a ringsweep arena", argv);
	}
	cr_assert_eq(rsw__arena_create(&a, &p), 0);
	copy = malloc(a.size);
	memcpy(copy, a.hdr, a.size);
	((struct rsw_arena_header *)copy)->nslots = 9;
	cr_assert_eq(make_shm_object(name, copy, a.size), 0);
	{
		const char *argv[] = { "worker", "--arena", name, NULL };
		refused("truncated or corrupt", argv);
	}
	((struct rsw_arena_header *)copy)->nslots = 2;
	cr_assert_eq(make_shm_object(name, copy, a.size / 3), 0);
	{
		const char *argv[] = { "worker", "--arena", name, NULL };
		refused("truncated or corrupt", argv);
	}
	shm_unlink(name);
	{
		const char *argv[] = { "worker", "--arena", name, NULL };
		refused("no such arena", argv);
	}
	free(copy);
	rsw__arena_destroy(&a);
}

/* SIGINT once rows are in: it drains (the arena goes, every committed row
 * stays, in the CSV and the store), and --resume ends with what an
 * uninterrupted run gives. */
Test(cli, sigint_drains_and_removes_the_arena, .timeout = 60,
     .init = make_test_dir)
{
#define SIGINT_SWEEP "run", "--objective", "sleep", "--param", "ms=int:5:5", \
		     "--param", "k=int:1:9", "--algo", "random", "--evals", "600", \
		     "--seed", "4", "-j", "2", "-q"
	const char *argv[] = { RSW_CLI_PATH, SIGINT_SWEEP, "--db", in_test_dir("i.db"),
			       "--results", in_test_dir("int.csv"), NULL };
	const char *ref[] = { SIGINT_SWEEP, "--db", "none", "--results",
			      in_test_dir("ref.csv"), NULL };
	const char *resume[] = { "run", "--resume", in_test_dir("i.db"), "-q",
				 "--results", in_test_dir("resumed.csv"), NULL };
	char name[128], *got, *want;
	pid_t driver, sup = 0, w[2] = { 0, 0 };
	uint64_t rows;
	int status, lines = 0;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 2), 0);
	cr_assert_geq(wait_store_rows(in_test_dir("i.db"), 50), 50, "rows before the signal");
	cr_assert_eq(kill(driver, SIGINT), 0);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 130);
	cr_assert_not(shm_exists(name), "arena removed on SIGINT");
	cr_assert_geq(wait_exit_ms(sup, 5000), 0);
	rows = store_row_count(in_test_dir("i.db"));
	cr_assert_geq(rows, 50);
	cr_assert_lt(rows, 600, "interrupted before the end");
	/* An interrupted sweep's file keeps its .partial name. */
	cr_assert_eq(access(in_test_dir("int.csv"), F_OK), -1);
	got = slurp(in_test_dir("int.csv.partial"));
	cr_assert_not_null(got, "committed results are kept");
	for (char *c = got; *c; c++)
		lines += *c == '\n';
	cr_assert_eq(lines, rows + 1, "every stored row in the CSV, and no other");
	free(got);
	cr_assert_eq(run_cli(resume, NULL, NULL), 0);
	cr_assert_eq(run_cli(ref, NULL, NULL), 0);
	got = slurp(in_test_dir("resumed.csv"));
	want = slurp(in_test_dir("ref.csv"));
	cr_assert_str_eq(got, want, "resumed after SIGINT != uninterrupted");
	free(got);
	free(want);
#undef SIGINT_SWEEP
}

Test(cli, progress_bar_and_json_summary, .timeout = 60, .init = make_test_dir)
{
	const char *bar[] = { "run", "--objective", "sleep", "--param",
			      "ms=float:0.1:0.3", "--algo", "random", "--evals",
			      "2000", "-j", "2", "--db", "none", "--progress", "bar",
			      NULL };
	/* Every task appends its x where it runs: a task run twice would
	 * show there, whatever the summary's counts say. */
	const char *js[] = { "run", "--cmd", "sh -c 'echo {x} >> runs.txt; echo {x}'",
			     "--param", "x=int:0:99", "-j", "2", "--db", "none",
			     "--json", NULL };
	json_error_t jerr;
	json_t *root, *workers;
	char *err;
	uint64_t tasks = 0;

	cr_assert_eq(run_cli(bar, NULL, in_test_dir("err")), 0);
	err = slurp(in_test_dir("err"));
	/* Redrawn in place, and the last state is the whole sweep. */
	cr_assert_not_null(strchr(err, '\r'));
	cr_assert_not_null(strstr(err, "2000/2000 (100.0%)"), "%s", err);
	cr_assert_not_null(strstr(err, "best 0.1"), "%s", err);
	free(err);
	cr_assert_eq(run_cli_in(rsw_test_dir, js, in_test_dir("sum.json"), NULL), 0);
	{
		char *runs = slurp(in_test_dir("runs.txt"));
		int seen[100] = { 0 }, x, lines = 0;

		cr_assert_not_null(runs);
		for (char *line = runs; sscanf(line, "%d", &x) == 1;
		     line = strchr(line, '\n') + 1) {
			cr_assert(x >= 0 && x < 100);
			seen[x]++;
			lines++;
			if (strchr(line, '\n') == NULL)
				break;
		}
		cr_assert_eq(lines, 100);
		for (int i = 0; i < 100; i++)
			cr_assert_eq(seen[i], 1, "x=%d ran %d times", i, seen[i]);
		free(runs);
	}
	root = json_load_file(in_test_dir("sum.json"), 0, &jerr);
	cr_assert_not_null(root, "invalid JSON: %s", jerr.text);
	cr_assert_eq(json_integer_value(json_object_get(root, "evals")), 100);
	cr_assert_eq(json_integer_value(json_object_get(
			     json_object_get(root, "status"), "ok")), 100);
	cr_assert_eq(json_real_value(json_object_get(json_object_get(
			     json_object_get(root, "best"), "params"), "x")), 0);
	workers = json_object_get(root, "workers");
	cr_assert_eq(json_array_size(workers), 2);
	for (size_t i = 0; i < 2; i++)
		tasks += (uint64_t)json_integer_value(
			json_object_get(json_array_get(workers, i), "tasks"));
	cr_assert_eq(tasks, 100, "every task counted once");
	json_decref(root);
}

Test(cli, top_lists_and_watches_a_running_sweep, .timeout = 60,
     .init = make_test_dir)
{
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep",
			       "--param", "ms=int:20:20", "--param", "i=int:1:300",
			       "-j", "2", "--db", "none", "-q", NULL };
	const char *list[] = { "top", NULL };
	char name[128], pid_text[2][32], *out;
	pid_t driver, sup = 0, w[2] = { 0, 0 };
	const char *watch[] = { "top", name, "--once", NULL };
	int status;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 2), 0);
	cr_assert_eq(run_cli(list, in_test_dir("list"), NULL), 0);
	out = slurp(in_test_dir("list"));
	cr_assert_not_null(strstr(out, name), "%s", out);
	cr_assert_not_null(strstr(out, "sleep"), "%s", out);
	free(out);
	cr_assert_eq(run_cli(watch, in_test_dir("watch"), NULL), 0);
	out = slurp(in_test_dir("watch"));
	for (int i = 0; i < 2; i++) {
		snprintf(pid_text[i], sizeof pid_text[i], " %d ", (int)w[i]);
		cr_assert_not_null(strstr(out, pid_text[i]), "worker %d: %s", w[i], out);
	}
	cr_assert(strstr(out, "busy") != NULL || strstr(out, "idle") != NULL, "%s", out);
	free(out);
	kill(driver, SIGTERM);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	{
		const char *gone[] = { "top", name, "--once", NULL };

		cr_assert_eq(run_cli(gone, NULL, in_test_dir("err")), 2, "the sweep is over");
	}
}

Test(cli, second_signal_stops_at_once, .timeout = 30, .init = make_test_dir)
{
	/* Tasks of a minute: a drain would wait for them, past this test's
	 * timeout; the second signal must not. */
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep",
			       "--param", "ms=int:60000:60000", "--param",
			       "i=int:1:4", "-j", "2", "--db", in_test_dir("two.db"), "-q",
			       NULL };
	char name[128];
	pid_t driver, sup = 0, w[2] = { 0, 0 };
	int status;

	posix_spawn_file_actions_t fa;
	char *err = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, in_test_dir("two.err"),
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, &fa, NULL,
				 (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 2), 0);
	cr_assert_eq(kill(driver, SIGINT), 0);
	/* Signals do not queue: send the second only once the first has
	 * been taken (the driver says it drains). */
	for (int tries = 0; tries < 10000; tries++) {
		free(err);
		err = slurp(in_test_dir("two.err"));
		if (err != NULL && strstr(err, "draining") != NULL)
			break;
		usleep(1000);
	}
	cr_assert_not_null(strstr(err, "draining"), "first signal taken");
	free(err);
	cr_assert_eq(kill(driver, SIGINT), 0);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130);
	cr_assert_not(shm_exists(name), "arena removed");
	cr_assert_geq(wait_exit_ms(w[0], 5000), 0, "workers gone");
	cr_assert_geq(wait_exit_ms(w[1], 5000), 0, "workers gone");
}

/* Runs argv; its exit status, with stdout and stderr in the test dir. */
static int
run_capture(const char **argv, char **out, char **err)
{
	int rc = run_cli(argv, in_test_dir("cap.out"), in_test_dir("cap.err"));

	*out = slurp(in_test_dir("cap.out"));
	*err = slurp(in_test_dir("cap.err"));
	return rc;
}

/* --on-error fail stops queuing at the first failure: before, the crashy
 * grid below committed 8,192 tasks (85 crashes) after its first at 13. */
Test(cli, on_error_fail_stops_at_the_first_failure, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--db", in_test_dir("f.db"), "--objective",
			    "crashy", "--param", "x=int:0:20000", "--on-error", "fail",
			    "-j1", "-q", NULL };
	const char *export[] = { "export", in_test_dir("f.db"), NULL };
	char *out, *err;

	cr_assert_eq(run_capture(a, &out, &err), 1);
	cr_assert_not_null(strstr(err, "task 13 failed for good (crash)"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_cli(export, in_test_dir("f.csv"), NULL), 0);
	out = slurp(in_test_dir("f.csv"));
	/* Exactly 0 .. 13: nothing after the failure is committed. */
	cr_assert_not_null(strstr(out, "\n13,13,crash,"), "%s", out);
	cr_assert_null(strstr(out, "\n14,"), "%.300s", out);
	free(out);
}

/* choice:0,5,10 hands the objective 0, 5 and 10; cat hands the index. */
Test(cli, numeric_choices_reach_the_objective_as_numbers, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--cmd", "echo {c}", "--param", "c=choice:0,5,10",
			    "--param", "k=cat:lo,hi", "--db", "none", "-q",
			    "--results", in_test_dir("c.csv"), NULL };
	const char *help[] = { "run", "--help", NULL };
	char *text, *err;

	cr_assert_eq(run_cli(a, NULL, NULL), 0);
	text = slurp(in_test_dir("c.csv"));
	/* (message: what a failed command said on stderr) */
	cr_assert_str_eq(text, "seq,c,k,status,value,message\n"
			       "0,0,lo,ok,0,\n1,0,hi,ok,0,\n2,5,lo,ok,5,\n"
			       "3,5,hi,ok,5,\n4,10,lo,ok,10,\n5,10,hi,ok,10,\n");
	free(text);
	cr_assert_eq(run_capture(help, &text, &err), 0);
	cr_assert_not_null(strstr(text, "cat:A,B,... (the objective gets the index)"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "choice:0,5,10 (the objective gets the number)"),
			   "%s", text);
	free(text);
	free(err);
}

/* A stepped float is the decimal its step says, in the objective and in
 * the CSV: 0.3, never 0.30000000000000004. */
Test(cli, stepped_floats_have_their_steps_decimals, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--cmd", "echo {x}", "--param", "x=float:0:0.5:0.1",
			    "--db", "none", "-q", "--results", in_test_dir("s.csv"),
			    NULL };
	char *text;

	cr_assert_eq(run_cli(a, NULL, NULL), 0);
	text = slurp(in_test_dir("s.csv"));
	/* The value column is %.17g of what the command echoed: the double
	 * nearest 0.3 reads 0.29999999999999999 (0.30000000000000004 was
	 * LO + 3 STEP unsnapped). */
	cr_assert_str_eq(text, "seq,x,status,value,message\n0,0,ok,0,\n"
			       "1,0.1,ok,0.10000000000000001,\n"
			       "2,0.2,ok,0.20000000000000001,\n"
			       "3,0.3,ok,0.29999999999999999,\n"
			       "4,0.4,ok,0.40000000000000002,\n5,0.5,ok,0.5,\n");
	free(text);
}

/* Failures that must not pass as success. */
Test(cli, failed_sweeps_exit_non_zero_naming_why, .timeout = 60,
     .init = make_test_dir)
{
	const char *all_failed[] = { "run", "--objective", "ma_cross", "--data",
				     RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
				     "--column", "DAX", "--param", "fast=int:50:60",
				     "--param", "slow=int:10:20", "--db", "none", "-q",
				     NULL };
	const char *missing[] = { "run", "--cmd", "nonexistent_prog {x}", "--param",
				  "x=int:1:3", "--db", "none", NULL };
	const char *not_exec[] = { "run", "--cmd", "./no/such/script.sh {x}",
				   "--param", "x=int:1:3", "--db", "none", NULL };
	char *out, *err;

	cr_assert_eq(run_capture(all_failed, &out, &err), 1);
	/* fast >= slow everywhere: infeasible, not failed, but nothing
	 * succeeded either. */
	cr_assert_not_null(strstr(err, "no evaluation succeeded: all 121 points "
				       "were infeasible"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_capture(missing, &out, &err), 2, "refused before start");
	cr_assert_not_null(strstr(err, "program 'nonexistent_prog' not found in PATH"),
			   "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_capture(not_exec, &out, &err), 2);
	cr_assert_not_null(strstr(err, "program './no/such/script.sh' is not an "
				       "executable file"), "%s", err);
	free(out);
	free(err);
}

/* --evals is genetic's budget (before, --evals 100 ran 1,000); the last
 * generation is partial. */
Test(cli, genetic_evals_is_its_budget, .timeout = 60, .init = make_test_dir)
{
	const char *a[] = { "run", "--objective", "sphere", "--param", "x=float:-2:2",
			    "--param", "y=float:-2:2", "--algo", "genetic", "--evals",
			    "100", "--population", "30", "--db", "none", "--json", NULL };
	char *out, *err;
	json_t *j;

	cr_assert_eq(run_capture(a, &out, &err), 0, "%s", err);
	j = json_loads(out, 0, NULL);
	cr_assert_not_null(j, "%s", out);
	cr_assert_eq(json_integer_value(json_object_get(j, "evals")), 100);
	json_decref(j);
	free(out);
	free(err);
}

/* --serial runs no worker process: what only a worker can enforce is
 * said, not silently dropped. */
Test(cli, serial_says_what_it_cannot_enforce, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--objective", "sphere", "--param", "x=int:1:3",
			    "--serial", "--max-mem", "64M", "--timeout", "5", "--db",
			    "none", "-q", NULL };
	char *out, *err;

	cr_assert_eq(run_capture(a, &out, &err), 0);
	cr_assert_not_null(strstr(err, "--max-mem is not enforced with --serial"),
			   "%s", err);
	cr_assert_not_null(strstr(err, "--timeout is not enforced with --serial"),
			   "%s", err);
	free(out);
	free(err);
}

/* --retries re-runs what may succeed the next time (a crash); fast >=
 * slow is infeasible every time (it was an error, retried 9,312 times on
 * this grid): never retried. */
Test(cli, retries_rerun_crashes_not_deterministic_errors, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--objective", "ma_cross", "--data",
			    RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
			    "--column", "DAX", "--param", "fast=int:2:40:2",
			    "--param", "slow=int:5:60:5", "--retries", "2", "--db",
			    "none", "--json", NULL };
	const char *b[] = { "run", "--objective", "crashy", "--param", "x=int:0:300",
			    "--retries", "2", "--db", "none", "--json", "-j", "2", NULL };
	char *out, *err;
	json_t *j, *workers, *w;
	size_t i;
	long long tasks = 0, failures = 0, ok = 0, infeasible = 0;

	cr_assert_eq(run_capture(a, &out, &err), 0);
	j = json_loads(out, 0, NULL);
	for (int fast = 2; fast <= 40; fast += 2)
		for (int slow = 5; slow <= 60; slow += 5)
			infeasible += fast >= slow;
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "status"),
							 "infeasible")), infeasible);
	cr_assert_eq(json_integer_value(json_object_get(j, "retries")), 0);
	json_decref(j);
	free(out);
	free(err);
	/* Crashes are retried; each worker's counts add up (before, a crash
	 * counted as a failure but not as a task). */
	cr_assert_eq(run_capture(b, &out, &err), 0);
	j = json_loads(out, 0, NULL);
	cr_assert_eq(json_integer_value(json_object_get(j, "retries")), 3, "%s", out);
	workers = json_object_get(j, "workers");
	json_array_foreach(workers, i, w) {
		tasks += json_integer_value(json_object_get(w, "tasks"));
		ok += json_integer_value(json_object_get(w, "ok"));
		failures += json_integer_value(json_object_get(w, "failures"));
	}
	/* Seqs 13, 110 and 207 crash once each. */
	cr_assert_eq(tasks, 301 + 3, "every attempt, the crashed ones too");
	cr_assert_eq(failures, 3);
	cr_assert_eq(ok, 301);
	json_decref(j);
	free(out);
	free(err);
}

/* Help, messages and resume rules come from one option table. */
Test(cli, help_messages_and_resume_rules_agree_with_the_table, .timeout = 60,
     .init = make_test_dir)
{
	const char *help[] = { "run", "--help", NULL };
	const char *help2[] = { "help", "run", NULL };
	const char *algo_help[] = { "run", "--algo", "genetic", "--help", NULL };
	const char *bench_help[] = { "bench", "--help", NULL };
	const char *window[] = { "run", "--param", "x=int:1:3", "--window", "0", NULL };
	const char *make[] = { "run", "--objective", "sphere", "--param", "x=int:1:30",
			       "--db", in_test_dir("r.db"), "-q", NULL };
	const char *seed[] = { "run", "--resume", in_test_dir("r.db"), "--seed", "3",
			       NULL };
	const char *recycle[] = { "run", "--resume", in_test_dir("r.db"),
				  "--recycle-after", "5", "-j", "2", "-q", NULL };
	char *out, *out2, *err;

	cr_assert_eq(run_capture(help, &out, &err), 0);
	cr_assert_str_eq(err, "", "all of the help on stdout");
	cr_assert_not_null(strstr(out, "-j, --workers N"), "%s", out);
	cr_assert_not_null(strstr(out, "-q, --quiet"), "%s", out);
	cr_assert_not_null(strstr(out, "--window W"), "%s", out);
	cr_assert_not_null(strstr(out, "[1..8191]"), "%s", out);
	cr_assert_not_null(strstr(out, "  ma_cross"), "the built-ins: %s", out);
	free(err);
	cr_assert_eq(run_capture(help2, &out2, &err), 0);
	cr_assert_str_eq(out2, out, "ringsweep help run");
	free(out);
	free(out2);
	free(err);
	cr_assert_eq(run_capture(algo_help, &out, &err), 0);
	cr_assert_not_null(strstr(out, "--population"), "%s", out);
	cr_assert_not_null(strstr(out, "--generations"), "%s", out);
	cr_assert_null(strstr(out, "--init"), "not genetic's: %s", out);
	free(out);
	free(err);
	cr_assert_eq(run_capture(bench_help, &out, &err), 0);
	cr_assert_not_null(strstr(out, "suggest"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(run_capture(window, &out, &err), 2);
	cr_assert_not_null(strstr(err, "--window needs an integer from 1 to 8191, "
				       "got '0'"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_cli(make, NULL, NULL), 0);
	cr_assert_eq(run_capture(seed, &out, &err), 2);
	cr_assert_not_null(strstr(err, "'--seed' cannot change on --resume"), "%s", err);
	free(out);
	free(err);
	/* It never changes what the sweep computes: allowed. */
	cr_assert_eq(run_capture(recycle, &out, &err), 0, "%s", err);
	free(out);
	free(err);
}

/* --json prints integers as integers, categories by name. */
Test(cli, json_summary_keeps_parameter_types, .timeout = 60,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--objective", "sphere", "--param", "n=int:-3:3",
			    "--param", "c=choice:0.5,2", "--param", "k=cat:a,b",
			    "--db", "none", "--json", NULL };
	char *out, *err;

	cr_assert_eq(run_capture(a, &out, &err), 0);
	cr_assert_not_null(strstr(out, "\"n\": 0,"), "%s", out);
	cr_assert_not_null(strstr(out, "\"c\": 0.5,"), "%s", out);
	cr_assert_not_null(strstr(out, "\"k\": \"a\""), "%s", out);
	free(out);
	free(err);
}

/* The README's Bayesian example quotes what the code prints. */
Test(cli, readme_quotes_what_the_bayes_example_prints, .timeout = 120,
     .init = make_test_dir)
{
	const char *a[] = { "run", "--objective", "ma_cross", "--data",
			    RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
			    "--column", "DAX", "--param", "fast=int:2:100", "--param",
			    "slow=int:5:300", "--maximize", "--algo", "bayes", "--evals",
			    "60", "--db", "none", "-q", NULL };
	char *readme = slurp(RSW_SOURCE_DIR "/README.md"), *out, *err, quote[128];
	double value;
	int fast, slow;
	const char *at;

	cr_assert_not_null(readme);
	at = strstr(readme, "backtests reach a Sharpe ratio of ");
	cr_assert_not_null(at, "the README's sentence moved");
	cr_assert_eq(sscanf(at, "backtests reach a Sharpe ratio of %lf (fast %d, "
			    "slow %d)", &value, &fast, &slow), 3);
	cr_assert_eq(run_capture(a, &out, &err), 0);
	snprintf(quote, sizeof quote, "best: %.4g", value);
	cr_assert_eq(strncmp(out, quote, strlen(quote)), 0, "README says %s, run: %s",
		     quote, out);
	snprintf(quote, sizeof quote, "fast=%d slow=%d\n", fast, slow);
	cr_assert_not_null(strstr(out, quote), "README says %s, run: %s", quote, out);
	free(readme);
	free(out);
	free(err);
}

/* A command's program is looked up once and its file fingerprinted; a
 * resume where the same name now finds another program is refused. */
Test(cli, resume_refuses_a_program_that_resolves_elsewhere, .timeout = 60,
     .init = make_test_dir)
{
	const char *run[] = { "run", "--cmd", "score {x}", "--param", "x=int:1:30",
			      "--db", in_test_dir("p.db"), "-q", NULL };
	const char *resume[] = { "run", "--resume", in_test_dir("p.db"), "-q", NULL };
	char path[512], *out, *err;
	const char *old_path = getenv("PATH");

	for (int d = 0; d < 2; d++) {
		char dir[256], file[300];
		FILE *f;

		snprintf(dir, sizeof dir, "%s/bin%d", rsw_test_dir, d);
		cr_assert_eq(mkdir(dir, 0755), 0);
		snprintf(file, sizeof file, "%s/score", dir);
		f = fopen(file, "w");
		fprintf(f, "#!/bin/sh\necho $(( $1 * %d ))\n", d + 1);
		fclose(f);
		cr_assert_eq(chmod(file, 0755), 0);
	}
	snprintf(path, sizeof path, "%s/bin0:%s", rsw_test_dir, old_path);
	setenv("PATH", path, 1);
	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	cut_store(in_test_dir("p.db"), 12);
	snprintf(path, sizeof path, "%s/bin1:%s", rsw_test_dir, old_path);
	setenv("PATH", path, 1);
	cr_assert_eq(run_capture(resume, &out, &err), 2);
	cr_assert_not_null(strstr(err, "the objective now reads '"), "%s", err);
	cr_assert_not_null(strstr(err, "/bin1/score', which the sweep did not"), "%s",
			   err);
	free(out);
	free(err);
	snprintf(path, sizeof path, "%s/bin0:%s", rsw_test_dir, old_path);
	setenv("PATH", path, 1);
	cr_assert_eq(run_capture(resume, &out, &err), 0, "%s", err);
	free(out);
	free(err);
}

/* An output that is an input (or the other output) is refused before
 * anything is written: the input is left byte-identical. */
Test(cli, outputs_that_are_inputs_are_refused, .timeout = 60, .init = make_test_dir)
{
	char data[256], space[256], db[256], *before_data, *before_space;
	FILE *f;

	snprintf(data, sizeof data, "%s", in_test_dir("px.csv"));
	snprintf(space, sizeof space, "%s", in_test_dir("sp.json"));
	snprintf(db, sizeof db, "%s", in_test_dir("s.db"));
	f = fopen(data, "w");
	fputs("t,A\n", f);
	for (int i = 0; i < 300; i++)
		fprintf(f, "%d,%d\n", i, 100 + (i * 7919) % 13);
	fclose(f);
	f = fopen(space, "w");
	fputs("{\"f\": \"int:2:4\", \"s\": \"int:10:12\"}", f);
	fclose(f);
	before_data = slurp(data);
	before_space = slurp(space);
	{
		const char *a[] = { "run", "--param", "x=int:1:3", "--db", db,
				    "--results", db, NULL };
		refused("are the same file", a);
		cr_assert_eq(access(db, F_OK), -1, "no store was made");
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", data,
				    "--column", "A", "--space", space, "--results",
				    data, "--db", "none", NULL };
		refused("is the objective's input file", a);
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", data,
				    "--column", "A", "--space", space, "--db", data,
				    NULL };
		refused("is the objective's input file", a);
	}
	{
		const char *a[] = { "run", "--objective", "ma_cross", "--data", data,
				    "--column", "A", "--space", space, "--results",
				    space, "--db", "none", NULL };
		refused("is the --space file", a);
	}
	{
		const char *make[] = { "run", "--param", "x=int:1:3", "--db", db, "-q",
				       NULL };
		const char *a[] = { "run", "--resume", db, "--results", db, NULL };
		char *before_db, *after_db;
		size_t n_before = 0, n_after = 0;

		cr_assert_eq(run_cli(make, NULL, NULL), 0);
		before_db = file_bytes(db, &n_before);
		cr_assert_not_null(before_db);
		refused("are the same file", a);
		after_db = file_bytes(db, &n_after);
		cr_assert_not_null(after_db);
		cr_assert(n_before == n_after && memcmp(before_db, after_db, n_after) == 0,
			  "the store is untouched");
		free(before_db);
		free(after_db);
	}
	cr_assert_str_eq(slurp(data), before_data, "the data is untouched");
	cr_assert_str_eq(slurp(space), before_space, "the space file is untouched");
	free(before_data);
	free(before_space);
}

/* --resume with a larger budget extends a finished study: the result is
 * that of one run with the larger budget (no built-in algorithm's
 * suggestion depends on its budget), and the budget is recorded; grid has
 * no budget to raise, and a budget never shrinks.  Before, --evals was
 * refused with --resume. */
Test(cli, a_resume_with_a_larger_budget_extends_the_study, .timeout = 120,
     .init = make_test_dir)
{
	static const char *const algos[][5] = {
		{ "random", "--evals", "20", "--evals", "45" },
		{ "bayes", "--evals", "15", "--evals", "30" },
		{ "genetic", "--generations", "3", "--generations", "5" },
		{ "cmaes", "--evals", "20", "--evals", "50" },
	};
	char db[256], first[256], extended[256], whole[256];

	snprintf(db, sizeof db, "%s", in_test_dir("s.db"));
	snprintf(first, sizeof first, "%s", in_test_dir("first.csv"));
	snprintf(extended, sizeof extended, "%s", in_test_dir("extended.csv"));
	snprintf(whole, sizeof whole, "%s", in_test_dir("whole.csv"));
	for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		const char *small[] = { "run", "--objective", "rastrigin", "--param",
					"x=float:-5:5", "--param", "y=int:-3:3", "--algo",
					algos[i][0], algos[i][1], algos[i][2], "--population",
					"8", "--seed", "3", "--db", db, "--results", first,
					"-q", NULL };
		const char *more[] = { "run", "--resume", db, algos[i][3], algos[i][4],
				       "--results", extended, "-q", "-j", "1", NULL };
		const char *again[] = { "run", "--resume", db, "--results", extended,
					"-q", NULL };
		const char *big[] = { "run", "--objective", "rastrigin", "--param",
				      "x=float:-5:5", "--param", "y=int:-3:3", "--algo",
				      algos[i][0], algos[i][3], algos[i][4], "--population",
				      "8", "--seed", "3", "--db", "none", "--results", whole,
				      "-q", NULL };
		char *a, *b, *c;

		/* bayes has no --population: the table warns, nothing more. */
		unlink(db);
		cr_assert_eq(run_cli(small, NULL, NULL), 0, "%s", algos[i][0]);
		cr_assert_eq(run_cli(more, NULL, NULL), 0, "%s", algos[i][0]);
		cr_assert_eq(run_cli(big, NULL, NULL), 0, "%s", algos[i][0]);
		a = slurp(extended);
		b = slurp(whole);
		c = slurp(first);
		cr_assert_str_eq(a, b, "%s: extended differs from one run", algos[i][0]);
		cr_assert_lt(strlen(c), strlen(a), "%s: nothing was added", algos[i][0]);
		cr_assert_eq(strncmp(a, c, strlen(c)), 0, "%s: the first rows changed",
			     algos[i][0]);
		free(a);
		free(c);
		/* Recorded: a plain resume finds the study complete at the
		 * larger budget and changes nothing. */
		cr_assert_eq(run_cli(again, NULL, NULL), 0, "%s", algos[i][0]);
		a = slurp(extended);
		cr_assert_str_eq(a, b, "%s", algos[i][0]);
		free(a);
		free(b);
	}
}

Test(cli, a_budget_is_raised_never_lowered_and_grid_has_none, .timeout = 60,
     .init = make_test_dir)
{
	const char *grid[] = { "run", "--objective", "sphere", "--param", "x=int:1:5",
			       "--db", in_test_dir("g.db"), "-q", NULL };
	const char *grid_more[] = { "run", "--resume", in_test_dir("g.db"), "--evals",
				    "10", NULL };
	const char *rnd[] = { "run", "--objective", "sphere", "--param", "x=float:0:1",
			      "--algo", "random", "--evals", "20", "--db",
			      in_test_dir("r.db"), "-q", NULL };
	const char *fewer[] = { "run", "--resume", in_test_dir("r.db"), "--evals", "10",
				NULL };
	const char *gens[] = { "run", "--resume", in_test_dir("r.db"), "--generations",
			       "10", NULL };
	char *out, *err;

	cr_assert_eq(run_capture(grid, &out, &err), 0);
	free(out);
	free(err);
	cr_assert_eq(run_capture(grid_more, &out, &err), 2);
	cr_assert_not_null(strstr(err, "it ran --algo grid, which has no --evals: its "
				       "budget cannot be raised"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_capture(rnd, &out, &err), 0);
	free(out);
	free(err);
	cr_assert_eq(run_capture(fewer, &out, &err), 2);
	cr_assert_not_null(strstr(err, "its budget is 20 evaluations: a resume may "
				       "raise it, not lower it to 10"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_capture(gens, &out, &err), 2);
	cr_assert_not_null(strstr(err, "which has no --generations"), "%s", err);
	free(out);
	free(err);
}

/* bayes cuts its default design (10 points here) to a smaller budget:
 * extended, it keeps the design its stored rows came from (before, the
 * replay found other points and the store could not be resumed again). */
Test(cli, an_extended_bayes_keeps_the_design_of_its_first_budget, .timeout = 60,
     .init = make_test_dir)
{
	const char *small[] = { "run", "--objective", "branin", "--param",
				"x=float:-5:10", "--param", "y=float:0:15", "--algo",
				"bayes", "--evals", "5", "--db", in_test_dir("s.db"), "-q",
				NULL };
	const char *more[] = { "run", "--resume", in_test_dir("s.db"), "--evals", "14",
			       "--results", in_test_dir("extended.csv"), "-q", NULL };
	const char *same[] = { "run", "--objective", "branin", "--param",
			       "x=float:-5:10", "--param", "y=float:0:15", "--algo",
			       "bayes", "--evals", "14", "--init", "5", "--db", "none",
			       "--results", in_test_dir("whole.csv"), "-q", NULL };
	char *a, *b;

	cr_assert_eq(run_cli(small, NULL, NULL), 0);
	cr_assert_eq(run_cli(more, NULL, NULL), 0);
	cr_assert_eq(run_cli(same, NULL, NULL), 0);
	a = slurp(in_test_dir("extended.csv"));
	b = slurp(in_test_dir("whole.csv"));
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

/* ------------------------------------------------------------ --enqueue */

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* The line of seq `seq` in a results CSV (a header, then seq order),
 * from its first field to its end, into out. */
static void
csv_line(const char *csv, int seq, char *out, size_t n)
{
	const char *p = csv;

	for (int i = 0; i <= seq && p != NULL; i++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	cr_assert_not_null(p, "no row %d", seq);
	snprintf(out, n, "%.*s", (int)strcspn(p, "\n"), p);
}

/* Enqueued points are seqs 0 .. E-1 for every algorithm, a category by
 * its name, an export's extra column ignored; serial, 1, 2, 7 workers and
 * threads give the same file, crashes and retries included (the barrier
 * before an observing algorithm's first suggestion depends on no worker
 * count); genetic's first generation starts with them, best first. */
Test(cli, enqueued_points_run_first_alike_at_any_worker_count, .timeout = 600,
     .init = make_test_dir)
{
	static const char *const algos[][8] = {
		{ "--algo", "random", "--evals", "40", "--seed", "3" },
		{ "--algo", "bayes", "--evals", "12", "--init", "4", "--seed", "3" },
		{ "--algo", "genetic", "--population", "8", "--generations", "3" },
		{ "--algo", "cmaes", "--evals", "24", "--seed", "3" },
		{ "--algo", "grid" },
	};
	/* sphere: 0.25 + 4 + 1 + 1 (y is category 1) = 6.25, 30, 38. */
	static const char *const first[] = { "0,0.5,2,1,y,", "1,-1,-3,4,z,",
					     "2,3,5,2,x," };
	char file[256];

	snprintf(file, sizeof file, "%s", in_test_dir("points.csv"));
	write_text(file, "value,d,c,b,a\n9,y,1,2,0.5\n9,z,4,-3,-1\n9,x,2,5,3\n");
	for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		const char *args[12];
		char line[256], *csv;
		int n = 0;

		for (int k = 0; k < 8 && algos[i][k] != NULL; k++)
			args[n++] = algos[i][k];
		args[n++] = "--enqueue";
		args[n++] = file;
		args[n] = NULL;
		csv = assert_same_results_at_any_worker_count(args);
		for (int k = 0; k < 3; k++) {
			csv_line(csv, k, line, sizeof line);
			cr_assert_eq(strncmp(line, first[k], strlen(first[k])), 0,
				     "%s: seq %d is '%s'", algos[i][1], k, line);
		}
		/* grid runs every point after them, one enqueued too: 3 +
		 * 13 x 11 x 8 x 3 rows, and the header. */
		if (strcmp(algos[i][1], "grid") == 0) {
			size_t lines = 0;

			for (const char *p = csv; (p = strchr(p, '\n')) != NULL; p++)
				lines++;
			cr_assert_eq(lines, 1 + 3 + 13 * 11 * 8 * 3, "grid: %zu lines", lines);
			lines = 0;
			for (const char *p = csv; (p = strstr(p, ",0.5,2,1,y,")) != NULL; p++)
				lines++;
			cr_assert_eq(lines, 2, "grid: point 1 run %zu times", lines);
		}
		if (strcmp(algos[i][1], "genetic") == 0)
			for (int k = 0; k < 3; k++) {
				csv_line(csv, 3 + k, line, sizeof line);
				cr_assert_eq(strncmp(strchr(line, ',') + 1,
						     strchr(first[k], ',') + 1,
						     strlen(strchr(first[k], ',') + 1)), 0,
					     "genetic: seq %d is '%s', not enqueued point "
					     "%d", 3 + k, line, k + 1);
			}
		free(csv);
	}
}

/* A store keeps its enqueued points: a sweep cut inside them, or after
 * them, resumes without the file (at another worker count) to what the
 * uninterrupted run wrote, for each algorithm that learns from them; the
 * same file again is accepted, another one, or one added to a sweep that
 * had none, is refused by name. */
Test(cli, enqueued_points_are_resumed_from_the_store, .timeout = 300,
     .init = make_test_dir)
{
	static const char *const algos[][5] = {
		{ "bayes", "--evals", "14", "--init", "4" },
		{ "genetic", "--population", "4", "--generations", "3" },
		{ "cmaes", "--evals", "14", "--population", "4" },
	};
	char db[256], whole[256], resumed[256], points[256], other[256];
	const char *resume[] = { "run", "--resume", db, "--results", resumed, "-q",
				 "-j", "1", NULL };
	const char *same[] = { "run", "--resume", db, "--enqueue", points, "-q", NULL };
	const char *differs[] = { "run", "--resume", db, "--enqueue", other, "-q",
				  NULL };
	const char *plain[] = { "run", "--objective", "sphere", "--param",
				"x=int:1:5", "--db", in_test_dir("plain.db"), "-q", NULL };
	const char *added[] = { "run", "--resume", in_test_dir("plain.db"),
				"--enqueue", other, "-q", NULL };
	const char *help[] = { "run", "--help", NULL };
	const int cuts[] = { 2, 6 };
	char *want, *got, *out, *err;

	snprintf(db, sizeof db, "%s", in_test_dir("s.db"));
	snprintf(whole, sizeof whole, "%s", in_test_dir("whole.csv"));
	snprintf(resumed, sizeof resumed, "%s", in_test_dir("resumed.csv"));
	snprintf(points, sizeof points, "%s", in_test_dir("points.json"));
	snprintf(other, sizeof other, "%s", in_test_dir("other.csv"));
	write_text(points, "[{\"x\": 0.25, \"y\": 1}, {\"x\": -4, \"y\": 0},"
			   " {\"x\": 1, \"y\": -3}]\n");
	write_text(other, "x,y\n0.25,1\n-4,0\n1,-2\n");
	for (size_t i = 0; i < sizeof algos / sizeof algos[0]; i++) {
		const char *run[] = { "run", "--objective", "rastrigin", "--param",
				      "x=float:-5:5", "--param", "y=int:-3:3", "--algo",
				      algos[i][0], algos[i][1], algos[i][2], algos[i][3],
				      algos[i][4], "--seed", "2", "--enqueue", points,
				      "--db", db, "--results", whole, "-q", "-j", "2",
				      NULL };

		unlink(db);
		cr_assert_eq(run_cli(run, NULL, NULL), 0, "%s", algos[i][0]);
		want = slurp(whole);
		cr_assert_not_null(want);
		cr_assert_eq(strncmp(strchr(want, '\n') + 1, "0,0.25,1,ok,", 12), 0,
			     "%s", want);
		for (int k = 0; k < 2; k++) {
			unlink(resumed);
			cut_store(db, cuts[k]);
			cr_assert_eq(store_row_count(db), (uint64_t)cuts[k]);
			cr_assert_eq(run_cli(resume, NULL, NULL), 0, "%s: cut at %d",
				     algos[i][0], cuts[k]);
			got = slurp(resumed);
			cr_assert_str_eq(got, want, "%s: resumed from %d rows", algos[i][0],
					 cuts[k]);
			free(got);
		}
		free(want);
	}
	cr_assert_eq(run_capture(same, &out, &err), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_capture(differs, &out, &err), 2);
	cr_assert_not_null(strstr(err, "--enqueue '"), "%s", err);
	cr_assert_not_null(strstr(err, "other.csv' is not the list of 3 points it was "
				       "run with"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run_cli(plain, NULL, NULL), 0);
	cr_assert_eq(run_capture(added, &out, &err), 2);
	cr_assert_not_null(strstr(err, "it was run without enqueued points"), "%s", err);
	free(out);
	free(err);
	/* The help's resume rules say so, from the option table. */
	cr_assert_eq(run_capture(help, &out, &err), 0);
	cr_assert_not_null(strstr(out, "accepted when the same as\nrecorded: --enqueue\n"),
			   "%s", out);
	free(out);
	free(err);
}

/* A bad --enqueue file: one error naming the file, the row and the
 * column (or what is wrong with the file), exit 2, nothing written. */
Test(cli, bad_enqueue_files_are_refused_naming_row_and_column, .timeout = 60,
     .init = make_test_dir)
{
	static const char *const cases[][2] = {
		{ "x,k,s\n1,2,a\n7,2,b\n", "row 2 (line 3), column 'x': 7 is above "
					   "its upper bound 5" },
		{ "x,k,s\n1,2.5,a\n", "row 1 (line 2), column 'k': 2.5 is not an "
				      "integer" },
		{ "x,k,s\n1,3,a\n", "row 1 (line 2), column 'k': 3 is not on its "
				    "grid (from 0 by 2)" },
		{ "x,k,s\n1,2,c\n", "row 1 (line 2), column 's': 'c' is not one of "
				    "its categories (a, b)" },
		{ "x,k,s\n1,,a\n", "row 1 (line 2), column 'k': it is empty" },
		{ "x,k,s\n1,2\n", "row 1 (line 2): 2 fields, the header has 3" },
		{ "x,s\n1,a\n", "its header has no column 'k'" },
		{ "x,k,s\n4,2,a\n", "row 1 (line 2): the point is not in the space: "
				    "constraint 'x < k' does not hold" },
		{ "x,k,s\n", "it holds no points" },
		{ "[{\"x\": 1, \"k\": 2}]", "row 1, column 's': missing" },
		{ "[{\"x\": 1, \"k\": \"two\", \"s\": \"a\"}]", "row 1, column 'k': "
							    "'two' is not a number" },
		{ "[{\"x\": 1,", "" }, /* jansson's words follow */
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char file[256], culprit[512];
		const char *argv[] = { "run", "--objective", "sphere", "--param",
				       "x=float:-5:5", "--param", "k=int:0:8:2", "--param",
				       "s=cat:a,b", "--constraint", "x < k", "--algo",
				       "random", "--evals", "5", "--enqueue", file, "--db",
				       in_test_dir("no.db"), "--results",
				       in_test_dir("out.csv"), NULL };

		snprintf(file, sizeof file, "%s/bad%zu.%s", rsw_test_dir, i,
			 cases[i][0][0] == '[' ? "json" : "csv");
		write_text(file, cases[i][0]);
		/* The file by name, then the row, or what is wrong with it. */
		snprintf(culprit, sizeof culprit, "--enqueue '%s'%s%s", file,
			 strncmp(cases[i][1], "row", 3) == 0 ? " " : ": ", cases[i][1]);
		refused(culprit, argv);
		cr_assert_eq(access(in_test_dir("no.db"), F_OK), -1, "case %zu: a store "
			     "was left", i);
	}
}

/* The export marks the enqueued rows (and only a sweep that had some
 * gets the column); `export --top 3` is read back by --enqueue as it is,
 * and its points are the next sweep's first rows. */
Test(cli, export_marks_enqueued_rows_and_is_read_back, .timeout = 60,
     .init = make_test_dir)
{
	const char *first[] = { "run", "--objective", "rastrigin", "--param",
				"x=float:-5:5", "--param", "s=cat:a,b", "--algo",
				"random", "--evals", "30", "--db", in_test_dir("a.db"),
				"--enqueue", in_test_dir("p.csv"), "-q", NULL };
	const char *export_all[] = { "export", in_test_dir("a.db"), NULL };
	const char *export_top[] = { "export", in_test_dir("a.db"), "--top", "3", NULL };
	const char *second[] = { "run", "--objective", "rastrigin", "--param",
				 "x=float:-5:5", "--param", "s=cat:a,b", "--algo",
				 "cmaes", "--evals", "10", "--db", "none", "--enqueue",
				 in_test_dir("best.csv"), "--results",
				 in_test_dir("second.csv"), "-q", NULL };
	const char *plain[] = { "run", "--objective", "sphere", "--param",
				"x=int:1:5", "--db", in_test_dir("plain.db"), "-q", NULL };
	const char *export_plain[] = { "export", in_test_dir("plain.db"), NULL };
	char *out, *err, *second_csv, line[256], top[3][256];

	write_text(in_test_dir("p.csv"), "s,x\nb,0.5\na,-2\n");
	cr_assert_eq(run_cli(first, NULL, NULL), 0);
	cr_assert_eq(run_capture(export_all, &out, &err), 0, "%s", err);
	cr_assert_eq(strncmp(out, "seq,x,s,status,detail,value,", 28), 0, "%s", out);
	cr_assert_not_null(strstr(out, ",enqueued\n0,0.5,b,ok,"), "%s", out);
	for (int k = 0; k < 30 + 2; k++) {
		csv_line(out, k, line, sizeof line);
		cr_assert_eq(line[strlen(line) - 1], k < 2 ? '1' : '0', "seq %d: %s", k,
			     line);
	}
	free(out);
	free(err);
	cr_assert_eq(run_capture(export_top, &out, &err), 0, "%s", err);
	write_text(in_test_dir("best.csv"), out);
	for (int k = 0; k < 3; k++) {
		/* The point: its x and s, after the seq. */
		csv_line(out, k, line, sizeof line);
		snprintf(top[k], sizeof top[k], "%.*s", (int)(strchr(strchr(strchr(line,
			 ',') + 1, ',') + 1, ',') - line), line);
	}
	free(out);
	free(err);
	cr_assert_eq(run_cli(second, NULL, NULL), 0);
	second_csv = slurp(in_test_dir("second.csv"));
	for (int k = 0; k < 3; k++) {
		csv_line(second_csv, k, line, sizeof line);
		/* Seq k of the second sweep is the k-th best of the first. */
		cr_assert_eq(strncmp(strchr(line, ',') + 1, strchr(top[k], ',') + 1,
				     strlen(strchr(top[k], ',') + 1)), 0,
			     "seq %d '%s' is not the export's '%s'", k, line, top[k]);
	}
	free(second_csv);
	cr_assert_eq(run_cli(plain, NULL, NULL), 0);
	cr_assert_eq(run_capture(export_plain, &out, &err), 0, "%s", err);
	cr_assert_null(strstr(out, "enqueued"), "%s", out);
	free(out);
	free(err);
}
