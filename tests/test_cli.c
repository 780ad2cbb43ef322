/*
 * tests/test_cli.c - the ringsweep command as a user runs it: byte-
 * identical results for serial and 1, 2, 7 workers; bad input refused
 * with one message naming the culprit, exit 2, nothing written; attach
 * errors; SIGINT drains and removes the arena.
 */
#include <criterion/criterion.h>
#include <jansson.h>

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

Test(cli, sigint_drains_and_removes_the_arena, .timeout = 60,
     .init = make_test_dir)
{
	const char *csv = in_test_dir("int.csv");
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep",
			       "--param", "ms=int:5:5", "--algo", "random",
			       "--evals", "100000", "-j", "2", "-q", "--results",
			       csv, NULL };
	char name[128];
	pid_t driver, sup = 0, w[2] = { 0, 0 };
	int status;
	char *got;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 2), 0);
	cr_assert_eq(kill(driver, SIGINT), 0);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 130);
	cr_assert_not(shm_exists(name), "arena removed on SIGINT");
	cr_assert_geq(wait_exit_ms(sup, 5000), 0);
	got = slurp(csv);
	cr_assert_not_null(got, "committed results are kept");
	cr_assert_eq(strncmp(got, "seq,ms,status,value\n", 20), 0);
	free(got);
}

Test(cli, progress_bar_and_json_summary, .timeout = 60, .init = make_test_dir)
{
	const char *bar[] = { "run", "--objective", "sleep", "--param",
			      "ms=float:0.1:0.3", "--algo", "random", "--evals",
			      "2000", "-j", "2", "--db", "none", "--progress", "bar",
			      NULL };
	const char *js[] = { "run", "--param", "x=int:0:99", "-j", "2", "--db",
			     "none", "--json", NULL };
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
	cr_assert_eq(run_cli(js, in_test_dir("sum.json"), NULL), 0);
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
