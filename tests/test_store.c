/*
 * tests/test_store.c - the SQLite results store with real files and real
 * signals: a sweep SIGKILLed mid-run and resumed ends with the table an
 * uninterrupted run produces; exports round-trip; foreign, corrupt and
 * truncated files are refused and left untouched; SIGINT leaves a store
 * that --resume continues.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <sys/time.h>

#include "helpers.h"

#define SWEEP_ARGS "run", "--objective", "sleep", "--param", "ms=float:0.2:0.6", \
		   "--param", "k=int:1:9", "--algo", "random", "--evals", "3000", \
		   "--seed", "5", "-q"

/* The deterministic columns (seq, params, status, detail, value) of an
 * export, as one string. */
static char *
deterministic_export(const char *db)
{
	const char *args[] = { "export", db, "--format", "csv", NULL };
	const char *out = in_test_dir("export.csv");
	char *text;

	cr_assert_eq(run_cli(args, out, NULL), 0, "export %s", db);
	text = slurp(out);
	cr_assert_not_null(text);
	/* seq,ms,k,status,detail,value */
	return keep_fields(text, 6);
}

/*
 * Runs the sweep `args` (the arguments after "run", NULL-terminated) to
 * the end, and again SIGKILLed once `kill_at` of its `total` rows are
 * committed, then resumed: the store and the results CSV must equal the
 * uninterrupted run's.
 */
static void
assert_resume_equals_uninterrupted(const char *const *args, uint64_t total,
				   uint64_t kill_at)
{
	const char *ref_run[48] = { "run" }, *cut_argv[48] = { RSW_CLI_PATH, "run" };
	const char *resume_args[] = { "run", "--resume", in_test_dir("cut.db"), "-j", "1",
				      "--results", in_test_dir("resumed.csv"), NULL };
	char *ref, *resumed, *ref_csv, *resumed_csv;
	uint64_t at_kill;
	pid_t driver;
	int status, n = 1, m = 2;

	for (int i = 0; args[i] != NULL; i++) {
		ref_run[n++] = args[i];
		cut_argv[m++] = args[i];
	}
	ref_run[n++] = "--db";
	ref_run[n++] = in_test_dir("ref.db");
	ref_run[n++] = "--results";
	ref_run[n++] = in_test_dir("ref.csv");
	ref_run[n] = NULL;
	cut_argv[m++] = "--db";
	cut_argv[m++] = in_test_dir("cut.db");
	cut_argv[m] = NULL;
	cr_assert_eq(run_cli(ref_run, NULL, NULL), 0);
	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)cut_argv, environ), 0);
	/* Wait (bounded) until a good part is committed, then SIGKILL. */
	wait_store_rows(in_test_dir("cut.db"), kill_at);
	cr_assert_eq(kill(driver, SIGKILL), 0);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFSIGNALED(status), "the sweep was still running");
	at_kill = store_row_count(in_test_dir("cut.db"));
	cr_log_info("%s: SIGKILLed with %llu of %llu rows committed", args[7],
		    (unsigned long long)at_kill, (unsigned long long)total);
	cr_assert_geq(at_kill, kill_at);
	cr_assert_lt(at_kill, total, "killed before the end");
	cr_assert_eq(run_cli(resume_args, NULL, NULL), 0);
	cr_assert_eq(store_row_count(in_test_dir("cut.db")), total);
	ref = deterministic_export(in_test_dir("ref.db"));
	resumed = deterministic_export(in_test_dir("cut.db"));
	cr_assert_str_eq(resumed, ref, "resumed table differs");
	ref_csv = slurp(in_test_dir("ref.csv"));
	resumed_csv = slurp(in_test_dir("resumed.csv"));
	cr_assert_str_eq(resumed_csv, ref_csv, "--results of the resumed run differs");
	free(ref);
	free(resumed);
	free(ref_csv);
	free(resumed_csv);
}

Test(store, resume_after_sigkill_equals_the_uninterrupted_run, .timeout = 120,
     .init = make_test_dir)
{
	const char *args[] = { "--objective", "sleep", "--param", "ms=float:0.2:0.6",
			       "--param", "k=int:1:9", "--algo", "random", "--evals",
			       "3000", "--seed", "5", "-q", "-j", "2", NULL };

	assert_resume_equals_uninterrupted(args, 3000, 800);
}

/* A model-based algorithm resumes too: the replayed results rebuild the
 * same Gaussian process, so the suggestions after the cut are the same. */
Test(store, bayes_resumes_after_sigkill_as_if_uninterrupted, .timeout = 120,
     .init = make_test_dir)
{
	const char *args[] = { "--objective", "sleep", "--param", "ms=float:10:20",
			       "--param", "k=int:1:9", "--algo", "bayes", "--evals",
			       "150", "--seed", "5", "-q", "-j", "2", NULL };

	assert_resume_equals_uninterrupted(args, 150, 40);
}

Test(store, sigint_is_recorded_and_resume_finishes, .timeout = 120,
     .init = make_test_dir)
{
	const char *argv[] = { RSW_CLI_PATH, SWEEP_ARGS, "-j", "2", "--db",
			       in_test_dir("int.db"), NULL };
	const char *resume_args[] = { "run", "--resume", in_test_dir("int.db"), "-qj2",
				      "--workers", "-2", "--json", "--progress",
				      "none", NULL };
	const char *ref_args[] = { SWEEP_ARGS, "-j", "2", "--db", in_test_dir("ref.db"), NULL };
	char *a, *b;
	pid_t driver;
	int status;

	posix_spawn_file_actions_t fa;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, in_test_dir("driver.err"),
					 O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, &fa, NULL,
				 (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_geq(wait_store_rows(in_test_dir("int.db"), 300), 300,
		      "rows reach the file while the sweep runs");
	cr_assert_eq(kill(driver, SIGINT), 0);
	cr_assert_eq(waitpid(driver, &status, 0), driver);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 130,
		  "status %#x: %s", status, slurp(in_test_dir("driver.err")));
	cr_assert_lt(store_row_count(in_test_dir("int.db")), 3000);
	cr_assert_eq(run_cli(resume_args, NULL, NULL), 0);
	cr_assert_eq(run_cli(ref_args, NULL, NULL), 0);
	a = deterministic_export(in_test_dir("int.db"));
	b = deterministic_export(in_test_dir("ref.db"));
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(store, export_json_round_trips_the_table, .timeout = 60, .init = make_test_dir)
{
	const char *run_args[] = { "run", "--objective", "ma_cross", "--data",
				   RSW_SOURCE_DIR "/examples/data/eustockmarkets.csv",
				   "--column", "SMI", "--param", "fast=int:2:12",
				   "--param", "slow=int:5:40:5", "--maximize", "-q",
				   "--db", in_test_dir("m.db"), NULL };
	const char *json_args[] = { "export", in_test_dir("m.db"), "--format", "json", NULL };
	const char *top_args[] = { "export", in_test_dir("m.db"), "--top", "3", NULL };
	json_error_t jerr;
	json_t *root, *rows;
	sqlite3 *h;
	sqlite3_stmt *s;
	char *top;
	size_t i = 0;

	cr_assert_eq(run_cli(run_args, NULL, NULL), 0);
	cr_assert_eq(run_cli(json_args, in_test_dir("m.json"), NULL), 0);
	root = json_load_file(in_test_dir("m.json"), 0, &jerr);
	cr_assert_not_null(root, "invalid JSON: %s", jerr.text);
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(root, "sweep"), "outcome")), "done");
	rows = json_object_get(root, "results");
	cr_assert_eq(sqlite3_open_v2(in_test_dir("m.db"), &h, SQLITE_OPEN_READONLY, NULL),
		     SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT seq, fast, slow, status, value, "
					   "sortino FROM results ORDER BY seq",
					-1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *r = json_array_get(rows, i++);

		cr_assert_not_null(r);
		cr_assert_eq(json_integer_value(json_object_get(r, "seq")),
			     sqlite3_column_int64(s, 0));
		cr_assert_eq(json_integer_value(json_object_get(r, "fast")),
			     sqlite3_column_int64(s, 1));
		cr_assert_eq(json_integer_value(json_object_get(r, "slow")),
			     sqlite3_column_int64(s, 2));
		cr_assert_str_eq(json_string_value(json_object_get(r, "status")),
				 (const char *)sqlite3_column_text(s, 3));
		if (sqlite3_column_type(s, 4) == SQLITE_NULL) {
			cr_assert(json_is_null(json_object_get(r, "value")));
		} else {
			/* 17 significant digits: every double comes back exactly. */
			cr_assert_eq(json_real_value(json_object_get(r, "value")),
				     sqlite3_column_double(s, 4));
			cr_assert_eq(json_real_value(json_object_get(r, "sortino")),
				     sqlite3_column_double(s, 5));
		}
	}
	cr_assert_eq(i, json_array_size(rows));
	cr_assert_eq(i, 11 * 8, "one row per evaluation");
	sqlite3_finalize(s);
	sqlite3_close(h);
	json_decref(root);
	cr_assert_eq(run_cli(top_args, in_test_dir("top.csv"), NULL), 0);
	top = slurp(in_test_dir("top.csv"));
	{
		int lines = 0;
		double prev = INFINITY, v;
		char *line = strchr(top, '\n') + 1;

		for (; *line; line = strchr(line, '\n') + 1, lines++) {
			cr_assert_eq(sscanf(line, "%*[^,],%*[^,],%*[^,],ok,%*[^,],%lf", &v), 1);
			cr_assert_leq(v, prev, "best first (maximize)");
			prev = v;
		}
		cr_assert_eq(lines, 3);
	}
	free(top);
}

/* Expects `args` to exit 2 with `culprit` in its message and `path`
 * byte-for-byte unchanged. */
static void
refused_untouched(const char **args, const char *culprit, const char *path)
{
	char *before = slurp(path), *after, *err;
	struct stat a, b;

	cr_assert_eq(stat(path, &a), 0);
	cr_assert_eq(run_cli(args, NULL, in_test_dir("err")), 2, "not refused: %s", path);
	err = slurp(in_test_dir("err"));
	cr_assert_not_null(strstr(err, culprit), "'%s' lacks '%s'", err, culprit);
	cr_assert_eq(stat(path, &b), 0);
	after = slurp(path);
	cr_assert_eq(a.st_size, b.st_size);
	cr_assert_eq(memcmp(before, after, (size_t)a.st_size), 0, "file changed");
	free(before);
	free(after);
	free(err);
}

Test(store, foreign_and_corrupt_files_are_refused_and_untouched, .timeout = 60,
     .init = make_test_dir)
{
	const char *run_args[] = { "run", "--param", "x=int:0:50", "-q", "--db",
				   in_test_dir("good.db"), NULL };
	sqlite3 *h;
	FILE *f;

	f = fopen(in_test_dir("notes.txt"), "w");
	fputs("this is not a database\n", f);
	fclose(f);
	{
		const char *a[] = { "export", in_test_dir("notes.txt"), NULL };
		refused_untouched(a, "not a ringsweep results file", in_test_dir("notes.txt"));
	}
	{
		const char *a[] = { "run", "--resume", in_test_dir("notes.txt"), NULL };
		refused_untouched(a, "not a ringsweep results file", in_test_dir("notes.txt"));
	}
	cr_assert_eq(sqlite3_open(in_test_dir("other.db"), &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "CREATE TABLE t (a); INSERT INTO t VALUES (1)",
				  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	{
		const char *a[] = { "run", "--resume", in_test_dir("other.db"), NULL };
		refused_untouched(a, "not a ringsweep results file", in_test_dir("other.db"));
	}
	cr_assert_eq(run_cli(run_args, NULL, NULL), 0);
	{
		const char *a[] = { "run", "--resume", in_test_dir("good.db"), "--param",
				    "y=int:0:1", NULL };
		refused_untouched(a, "cannot change on --resume", in_test_dir("good.db"));
	}
	{
		/* A sweep file whose results lost a row in the middle. */
		cr_assert_eq(sqlite3_open(in_test_dir("good.db"), &h), SQLITE_OK);
		cr_assert_eq(sqlite3_exec(h, "DELETE FROM results WHERE seq = 10",
					  NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(h);
	}
	{
		const char *a[] = { "run", "--resume", in_test_dir("good.db"), NULL };
		refused_untouched(a, "corrupt results table", in_test_dir("good.db"));
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--db", in_test_dir("good.db"),
				    NULL };
		refused_untouched(a, "already exists", in_test_dir("good.db"));
	}
	{
		const char *a[] = { "run", "--param", "x=int:0:3", "--db",
				    "/nonexistent-dir/s.db", NULL };
		char *err;

		cr_assert_eq(run_cli(a, NULL, in_test_dir("err")), 2);
		err = slurp(in_test_dir("err"));
		cr_assert_not_null(strstr(err, "/nonexistent-dir/s.db"));
		free(err);
	}
}

Test(store, resume_refuses_a_file_still_being_written, .timeout = 60,
     .init = make_test_dir)
{
	const char *argv[] = { RSW_CLI_PATH, SWEEP_ARGS, "-j", "2", "--db",
			       in_test_dir("live.db"), NULL };
	const char *resume[] = { "run", "--resume", in_test_dir("live.db"), NULL };
	pid_t driver;
	char *err;

	const char *resume_argv[] = { RSW_CLI_PATH, "run", "--resume",
				      in_test_dir("live.db"), "-j", "1", "-q", NULL };
	char who[64];
	uint64_t rows;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	wait_store_rows(in_test_dir("live.db"), 100);
	cr_assert_eq(run_cli(resume, NULL, in_test_dir("err")), 2);
	err = slurp(in_test_dir("err"));
	snprintf(who, sizeof who, "still being written by process %d", (int)driver);
	cr_assert_not_null(strstr(err, who), "%s", err);
	free(err);
	kill(driver, SIGKILL);
	waitpid(driver, NULL, 0);
	/* Two drivers resuming it: the second is refused at once, naming
	 * the first, not the dead one that wrote it before. */
	rows = store_row_count(in_test_dir("live.db"));
	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)resume_argv, environ), 0);
	cr_assert_geq(wait_store_rows(in_test_dir("live.db"), rows + 50), rows + 50);
	cr_assert_eq(run_cli(resume, NULL, in_test_dir("err")), 2);
	err = slurp(in_test_dir("err"));
	snprintf(who, sizeof who, "still being written by process %d", (int)driver);
	cr_assert_not_null(strstr(err, who), "%s", err);
	free(err);
	kill(driver, SIGKILL);
	waitpid(driver, NULL, 0);
}

/* An input file is recognised by its content, not its size and time:
 * `touch` changes nothing, an edit is named; the paths are recorded
 * absolute, so a resume from another directory finds the same files. */
Test(store, resume_checks_input_content_and_works_from_anywhere, .timeout = 60,
     .init = make_test_dir)
{
	const char *data = in_test_dir("prices.csv"), *db = in_test_dir("in.db");
	const char *run[] = { "run", "--objective", "ma_cross", "--data",
			      "prices.csv", "--column", "close", "--param", "f=int:2:6",
			      "--param", "s=int:8:20", "-q", "--db", "in.db", "-j", "2",
			      "--results", "whole.csv", NULL };
	const char *resume[] = { "run", "--resume", db, "--results",
				 in_test_dir("resumed.csv"), "-q", NULL };
	struct timespec later[2] = { { .tv_sec = 2000000000 }, { .tv_sec = 2000000000 } };
	FILE *f = fopen(data, "w");
	char *err, *whole, *resumed;

	fputs("day,close\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "%d,%.2f\n", i, 100 + 10 * sin(i / 7.0) + i * 0.05);
	fclose(f);
	cr_assert_eq(run_cli_in(rsw_test_dir, run, NULL, NULL), 0);
	cr_assert_eq(store_row_count(db), 65);
	cut_store(db, 20);
	/* Touched, not changed: resumed from another directory, it ends
	 * exactly as the uninterrupted run. */
	cr_assert_eq(utimensat(AT_FDCWD, data, later, 0), 0);
	cr_assert_eq(run_cli_in("/", resume, NULL, in_test_dir("err")), 0, "%s",
		     slurp(in_test_dir("err")));
	whole = slurp(in_test_dir("whole.csv"));
	resumed = slurp(in_test_dir("resumed.csv"));
	cr_assert_str_eq(resumed, whole);
	free(whole);
	free(resumed);
	/* Changed: refused, naming the file, and nothing is written. */
	cut_store(db, 20);
	f = fopen(data, "a");
	fputs("200,123.45\n", f);
	fclose(f);
	cr_assert_eq(run_cli_in("/", resume, NULL, in_test_dir("err")), 2);
	err = slurp(in_test_dir("err"));
	cr_assert_not_null(strstr(err, "input file '"), "%s", err);
	cr_assert_not_null(strstr(err, "/prices.csv' changed since the sweep started"),
			   "%s", err);
	free(err);
	cr_assert_eq(store_row_count(db), 20, "nothing written");
}

/* A slow sweep's rows reach the file as they come (within the store's
 * 200 ms, well inside a 1 s task), not in a batch at the end: the row
 * count goes through 1, 2 and 3 while the sweep runs. */
Test(store, a_slow_sweeps_rows_reach_the_file_one_by_one, .timeout = 60,
     .init = make_test_dir)
{
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep", "--param",
			       "ms=int:1000:1000", "--param", "k=int:1:4", "-j", "1",
			       "-q", "--db", in_test_dir("slow.db"), NULL };
	int seen[5] = { 0 }, status;
	pid_t driver;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	/* Watched until it ends (4 tasks of 1 s: 30 s is a hang). */
	for (int tries = 0; waitpid(driver, &status, WNOHANG) == 0; tries++) {
		uint64_t rows = store_row_count(in_test_dir("slow.db"));

		if (rows <= 4)
			seen[rows] = 1;
		if (tries == 15000) {
			kill(driver, SIGKILL);
			cr_assert_fail("the sweep did not end");
		}
		usleep(2000);
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(store_row_count(in_test_dir("slow.db")), 4);
	for (int k = 1; k <= 3; k++)
		cr_assert(seen[k], "never saw %d row(s) in the file while it ran", k);
}

/* A driver SIGKILLed at any instant of its start-up leaves nothing that
 * blocks the next run: the store's name holds a whole store (--resume
 * finishes it) or nothing (--db makes it); what a killed creation left
 * under a temporary name, and an arena it never published, go with the
 * next start.  The kill instants sweep the start-up in 1 ms steps (fault
 * injection, not synchronisation). */
Test(store, sigkill_during_start_up_leaves_nothing_in_the_way, .timeout = 120,
     .init = make_test_dir)
{
	const char *db = in_test_dir("k.db");
	const char *argv[] = { RSW_CLI_PATH, "run", "--param", "x=int:1:20", "-j", "1",
			       "-q", "--db", db, NULL };
	const char *again[] = { "run", "--param", "x=int:1:20", "-j", "1", "-q",
				"--db", db, NULL };
	const char *resume[] = { "run", "--resume", db, "-j", "1", "-q", NULL };
	pid_t killed[40];
	int resumed = 0, made = 0;

	for (int i = 0; i < 40; i++) {
		pid_t driver;

		cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
					 (char *const *)argv, environ), 0);
		usleep((useconds_t)(i * 1000));
		kill(driver, SIGKILL);
		cr_assert_eq(waitpid(driver, NULL, 0), driver);
		killed[i] = driver;
		if (access(db, F_OK) == 0) {
			cr_assert_eq(run_cli(resume, in_test_dir("out"), NULL), 0,
				     "kill after %d ms left a store --resume refuses", i);
			resumed++;
		} else {
			cr_assert_eq(run_cli(again, in_test_dir("out"), NULL), 0,
				     "kill after %d ms left something --db refuses", i);
			made++;
		}
		rsw_store_remove(db);
	}
	cr_assert_gt(made, 0, "no kill landed before the store existed");
	cr_assert_gt(resumed, 0, "no kill landed after the store existed");
	/* What killed creations left under a temporary name goes with the
	 * next creation once it is old enough that no creation (here or on
	 * another machine sharing the directory) can still be writing it:
	 * aged here by setting their times back. */
	{
		DIR *d = opendir(in_test_dir(""));
		struct dirent *de;
		struct timeval old[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60, 0 } };
		char path[512];

		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL)
			if (strstr(de->d_name, ".creating-") != NULL) {
				snprintf(path, sizeof path, "%s/%s", in_test_dir(""),
					 de->d_name);
				cr_assert_eq(utimes(path, old), 0);
			}
		closedir(d);
		cr_assert_eq(run_cli(again, in_test_dir("out"), NULL), 0);
		d = opendir(in_test_dir(""));
		cr_assert_not_null(d);
		while ((de = readdir(d)) != NULL)
			cr_assert_null(strstr(de->d_name, ".creating-"), "%s left",
				       de->d_name);
		closedir(d);
	}
	/* Arenas the killed drivers made, published or not, go with the next
	 * start once no start-up can still be writing them: aged here, as the
	 * temporary stores above, by setting their times back. */
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 40; i++) {
			char prefix[64], path[320];
			struct timeval old[2] = { { time(NULL) - 60, 0 },
						  { time(NULL) - 60, 0 } };
			DIR *d = opendir("/dev/shm");
			struct dirent *de;

			snprintf(prefix, sizeof prefix, "ringsweep-%d-", (int)killed[i]);
			cr_assert_not_null(d);
			while ((de = readdir(d)) != NULL) {
				if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
					continue;
				cr_assert_eq(pass, 0, "%s left", de->d_name);
				snprintf(path, sizeof path, "/dev/shm/%s", de->d_name);
				cr_assert_eq(utimes(path, old), 0);
			}
			closedir(d);
		}
		if (pass == 0)
			rsw_arena_reap_stale();
	}
}

/* A store is data, not a script: an edit of what it runs (its command) is
 * caught by the description's checksum, nothing is run and the file is
 * left as it was; an intact store's resume says what it runs. */
Test(store, an_edited_store_is_not_run, .timeout = 60, .init = make_test_dir)
{
	const char *db = in_test_dir("e.db");
	char pwned[256], sql[600], *before, *after, *err;
	const char *make[] = { "run", "--cmd", "echo {x}", "--param", "x=int:1:5",
			       "--db", db, "-q", NULL };
	const char *resume[] = { "run", "--resume", db, "-q", NULL };
	size_t n_before = 0, n_after = 0;
	sqlite3 *h;

	snprintf(pwned, sizeof pwned, "%s", in_test_dir("PWNED"));
	cr_assert_eq(run_cli(make, in_test_dir("out"), NULL), 0);
	cut_store(db, 2);
	/* An intact store: resumed, and the banner names the command. */
	cr_assert_eq(run_cli(resume, in_test_dir("out"), in_test_dir("err")), 0);
	err = slurp(in_test_dir("err"));
	cr_assert_not_null(strstr(err, "runs the command 'echo {x}'"), "%s", err);
	free(err);
	cut_store(db, 2);
	snprintf(sql, sizeof sql, "UPDATE sweep SET value = replace(value, 'echo {x}', "
		 "'touch %s') WHERE key = 'sweep'", pwned);
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	before = file_bytes(db, &n_before);
	cr_assert_eq(run_cli(resume, in_test_dir("out"), in_test_dir("err")), 2);
	err = slurp(in_test_dir("err"));
	cr_assert_not_null(strstr(err, "was changed after it was written"), "%s", err);
	free(err);
	cr_assert_eq(access(pwned, F_OK), -1, "the edited command ran");
	after = file_bytes(db, &n_after);
	cr_assert(n_before == n_after && memcmp(before, after, n_after) == 0,
		  "the refused store was modified");
	free(before);
	free(after);
}
