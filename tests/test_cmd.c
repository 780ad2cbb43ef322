/*
 * tests/test_cmd.c - `--cmd`: an external command per task.  Success with
 * a plain number and with a JSON score carrying metrics; failure by exit
 * code and by unparsable output, each stored with its reason; a command
 * that hangs with a grandchild is killed at the deadline with its whole
 * process group, leaving nothing running.
 */
#include <criterion/criterion.h>

#include "helpers.h"

Test(cmd, number_and_json_scores, .timeout = 60, .init = make_test_dir)
{
	const char *csv1 = in_test_dir("n.csv"), *csv2 = in_test_dir("j.csv");
	const char *number[] = { "run", "--cmd", "sh -c 'echo noise; echo $(( {a} * {b} ))'",
				 "--param", "a=int:1:3", "--param", "b=int:2:3",
				 "--db", "none", "-q", "--results", csv1, NULL };
	const char *json[] = { "run", "--cmd",
			       "sh -c 'printf \"{\\\"value\\\": %s.25, \\\"sharpe\\\": 3, "
			       "\\\"other\\\": 1}\\n\" {a}'",
			       "--metrics", "sharpe", "--param", "a=int:1:2",
			       "--db", "none", "-q", "--results", csv2, NULL };
	/* A metric the score line lacks is no silent NULL: each task fails
	 * (bad output, 74), the reason names the field, the sweep exits 1. */
	const char *missing[] = { "run", "--cmd",
				  "sh -c 'printf \"{\\\"value\\\": %s.25, \\\"sharpe\\\": 3}\\n\" {a}'",
				  "--metrics", "sharpe,nosuch", "--param", "a=int:1:2",
				  "--db", "none", "-q", "--results", in_test_dir("m.csv"),
				  NULL };
	char *text;

	cr_assert_eq(run_cli(number, NULL, NULL), 0);
	text = slurp(csv1);
	/* A command's failures keep their stderr: the message column. */
	cr_assert_str_eq(text, "seq,a,b,status,value,message\n"
			       "0,1,2,ok,2,\n1,1,3,ok,3,\n2,2,2,ok,4,\n"
			       "3,2,3,ok,6,\n4,3,2,ok,6,\n5,3,3,ok,9,\n");
	free(text);
	cr_assert_eq(run_cli(json, NULL, NULL), 0);
	text = slurp(csv2);
	cr_assert_str_eq(text, "seq,a,status,value,sharpe,message\n"
			       "0,1,ok,1.25,3,\n1,2,ok,2.25,3,\n");
	free(text);
	cr_assert_eq(run_cli(missing, NULL, in_test_dir("m.err")), 1);
	text = slurp(in_test_dir("m.err"));
	cr_assert_not_null(strstr(text, "no number 'nosuch' (named by --metrics)"),
			   "%s", text);
	cr_assert_not_null(strstr(text, "every evaluation failed"), "%s", text);
	free(text);
	text = slurp(in_test_dir("m.csv"));
	cr_assert_str_eq(text, "seq,a,status,value,sharpe,nosuch,message\n"
			       "0,1,error,nan,,,its score line has no number 'nosuch' "
			       "(named by --metrics)\n"
			       "1,2,error,nan,,,its score line has no number 'nosuch' "
			       "(named by --metrics)\n");
	free(text);
}

Test(cmd, failures_keep_their_reason, .timeout = 60, .init = make_test_dir)
{
	const char *csv = in_test_dir("f.csv");
	const char *args[] = { "run", "--cmd", "sh -c 'case {a} in 0) echo oops;; "
			       "1) exit 3;; 2) kill -9 $$;; 3) echo 1;; esac'",
			       "--param", "a=int:0:3", "--db", in_test_dir("f.db"), "-q",
			       "--results", csv, NULL };
	const char *export[] = { "export", in_test_dir("f.db"), NULL };
	char *text;

	cr_assert_eq(run_cli(args, NULL, NULL), 0, "failed tasks do not stop it");
	cr_assert_eq(run_cli(export, in_test_dir("f.export"), NULL), 0);
	text = slurp(in_test_dir("f.export"));
	/* seq,a,status,detail,...: unparsable = 74 (EBADMSG), exit code 3,
	 * SIGKILL = 128 + 9. */
	cr_assert_not_null(strstr(text, "\n0,0,error,74,"), "%s", text);
	cr_assert_not_null(strstr(text, "\n1,1,error,3,"), "%s", text);
	cr_assert_not_null(strstr(text, "\n2,2,error,137,"), "%s", text);
	free(text);
}

/* {seq}, {attempt} and {worker} name the task: each value here is the
 * task's seq (its params say nothing of it), attempt 1 fails so attempt 2
 * answers, and the worker is one of the two. */
Test(cmd, placeholders_name_the_task, .timeout = 60, .init = make_test_dir)
{
	const char *args[] = { "run", "--cmd", "sh -c '[ {attempt} = 2 ] || exit 5; "
			       "echo \"{\\\"value\\\": {seq}, \\\"ran_on\\\": {worker}}\"'",
			       "--metrics", "ran_on", "--param", "a=float:0:1:0.1",
			       "--retries", "1", "--retry-errors", "-j", "2", "--db",
			       in_test_dir("p.db"), "-q", NULL };
	const char *export[] = { "export", in_test_dir("p.db"), NULL };
	char *text, *line, *save = NULL;
	int rows = 0;

	cr_assert_eq(run_cli(args, NULL, in_test_dir("p.err")), 0, "%s",
		     slurp(in_test_dir("p.err")));
	cr_assert_eq(run_cli(export, in_test_dir("p.csv"), NULL), 0);
	text = slurp(in_test_dir("p.csv"));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned seq, attempts, worker_col;
		double a, value, worker;
		char status[16];

		if (strncmp(line, "seq,", 4) == 0)
			continue;
		/* seq,a,status,detail,value,ran_on (the metric: {worker}),
		 * attempts,worker,elapsed_ms,peak_kb,message */
		cr_assert_eq(sscanf(line, "%u,%lf,%15[a-z],%*d,%lf,%lf,%u,%u", &seq, &a,
				    status, &value, &worker, &attempts, &worker_col),
			     7, "%s", line);
		cr_assert_str_eq(status, "ok", "%s", line);
		cr_assert_eq(value, (double)seq, "%s", line);
		cr_assert_eq(attempts, 2, "%s", line);
		cr_assert_eq(worker, (double)worker_col, "%s", line);
		rows++;
	}
	cr_assert_eq(rows, 11);
	free(text);
}

/* A failed command's stderr goes on to ours as it comes, and its last
 * 1 KiB is kept with the failure (export shows it). */
Test(cmd, a_failed_commands_stderr_tail_is_kept, .timeout = 60,
     .init = make_test_dir)
{
	const char *args[] = { "run", "--cmd", "sh -c 'i=0; while [ $i -lt 300 ]; do "
			       "echo line $i >&2; i=$((i+1)); done; exit {a}'",
			       "--param", "a=int:0:1", "--db", in_test_dir("s.db"), "-q",
			       NULL };
	const char *export[] = { "export", in_test_dir("s.db"), NULL };
	char *text, *err, *failed;

	cr_assert_eq(run_cli(args, NULL, in_test_dir("s.err")), 1, "a=0 prints no score");
	err = slurp(in_test_dir("s.err"));
	cr_assert_not_null(strstr(err, "line 0\nline 1\n"), "passed on as it came");
	cr_assert_not_null(strstr(err, "line 299\n"));
	free(err);
	cr_assert_eq(run_cli(export, in_test_dir("s.csv"), NULL), 0);
	text = slurp(in_test_dir("s.csv"));
	failed = strstr(text, "\n1,1,error,1,");
	cr_assert_not_null(failed, "%s", text);
	cr_assert_not_null(strstr(failed, "line 298\nline 299\n\""), "the tail, to the end");
	cr_assert_null(strstr(failed, "line 100\n"), "only the last 1 KiB");
	cr_assert_not_null(strstr(text, "\n0,0,error,74,"), "%s", text);
	cr_assert_not_null(strstr(text, "its last line is neither a number"),
			   "why a=0's output is no score, with its stderr");
	free(text);
}

/* --halt, as GNU parallel's: odd tasks fail.  now,fail=3 commits exactly
 * the tasks up to the third failure (commits are in sequence order);
 * soon,fail=5 lets the running ones finish; either leaves a store that
 * --resume finishes; a policy it cannot read is refused by name. */
Test(cmd, halt_stops_when_too_many_tasks_fail, .timeout = 60, .init = make_test_dir)
{
	const char *now[] = { "run", "--cmd", "sh -c '[ $(( {x} % 2 )) = 0 ] || exit 1; "
			      "echo {x}'", "--param", "x=int:0:199", "-j", "2",
			      "--halt", "now,fail=3", "--db", in_test_dir("now.db"), "-q",
			      NULL };
	const char *soon[] = { "run", "--cmd", "sh -c '[ $(( {x} % 2 )) = 0 ] || exit 1; "
			       "echo {x}'", "--param", "x=int:0:199", "-j", "2",
			       "--halt", "soon,fail=5", "--db", in_test_dir("soon.db"),
			       "-q", NULL };
	const char *resume[] = { "run", "--resume", in_test_dir("soon.db"), "-q", NULL };
	const char *bad[] = { "run", "--cmd", "echo {x}", "--param", "x=int:0:3",
			      "--halt", "soon,fail=many", "--db", "none", NULL };
	char *text;

	cr_assert_eq(run_cli(now, NULL, in_test_dir("now.err")), 1);
	text = slurp(in_test_dir("now.err"));
	cr_assert_not_null(strstr(text, "halted (now) at task 5 (error), this run's "
				  "failure number 3"), "%s", text);
	free(text);
	cr_assert_eq(store_row_count(in_test_dir("now.db")), 6, "seqs 0 .. 5, no more");

	cr_assert_eq(run_cli(soon, NULL, in_test_dir("soon.err")), 1);
	text = slurp(in_test_dir("soon.err"));
	cr_assert_not_null(strstr(text, "halted (soon: running tasks finished) at "
				  "task 9 (error)"), "%s", text);
	cr_assert_not_null(strstr(text, "continue with --resume"), "%s", text);
	free(text);
	cr_assert_lt(store_row_count(in_test_dir("soon.db")), 200);
	cr_assert_eq(run_cli(resume, NULL, in_test_dir("r.err")), 0, "%s",
		     slurp(in_test_dir("r.err")));
	cr_assert_eq(store_row_count(in_test_dir("soon.db")), 200, "the rest, resumed");

	cr_assert_eq(run_cli(bad, NULL, in_test_dir("bad.err")), 2);
	text = slurp(in_test_dir("bad.err"));
	cr_assert_not_null(strstr(text, "--halt 'soon,fail=many'"), "%s", text);
	free(text);
}

/* Whether a process whose command line is exactly `sleep ARG` exists. */
static int
sleeper_alive(const char *arg)
{
	char want[64], buf[256], p[300];
	DIR *d = opendir("/proc");
	struct dirent *de;
	int found = 0;
	size_t wlen;

	wlen = (size_t)snprintf(want, sizeof want, "sleep%c%s", '\0', arg) + 1;
	while (d != NULL && (de = readdir(d)) != NULL && !found) {
		FILE *f;
		size_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof p, "/proc/%s/cmdline", de->d_name);
		f = fopen(p, "r");
		if (f == NULL)
			continue;
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		found = n == wlen && memcmp(buf, want, wlen) == 0;
	}
	if (d != NULL)
		closedir(d);
	return found;
}

Test(cmd, timeout_kills_the_whole_process_group, .timeout = 60,
     .init = make_test_dir)
{
	/* The command starts a grandchild and hangs: both must go. */
	const char *args[] = { "run", "--cmd", "sh -c 'sleep 47.25 & sleep 47.5'",
			       "--param", "a=int:1:3", "--timeout", "0.3", "-j", "2",
			       "--db", in_test_dir("t.db"), "-q", NULL };
	const char *export[] = { "export", in_test_dir("t.db"), NULL };
	char *text;

	/* Every task timed out: a failed sweep, and nothing left running. */
	cr_assert_eq(run_cli(args, NULL, NULL), 1);
	cr_assert_not(sleeper_alive("47.25"), "the grandchild outlived its task");
	cr_assert_not(sleeper_alive("47.5"), "the command outlived its task");
	cr_assert_eq(run_cli(export, in_test_dir("t.csv"), NULL), 0);
	text = slurp(in_test_dir("t.csv"));
	cr_assert_not_null(strstr(text, "\n0,1,timeout,"), "%s", text);
	cr_assert_not_null(strstr(text, "\n2,3,timeout,"), "%s", text);
	free(text);
}

Test(cmd, bad_templates_are_refused, .timeout = 30, .init = make_test_dir)
{
	const char *a1[] = { "run", "--cmd", "prog {nope}", "--param", "a=int:1:2",
			     "--db", "none", NULL };
	const char *a2[] = { "run", "--cmd", "prog 'unterminated", "--param",
			     "a=int:1:2", "--db", "none", NULL };
	const char *a3[] = { "run", "--cmd", "prog", "--objective", "sphere",
			     "--param", "a=int:1:2", "--db", "none", NULL };
	char *err;

	cr_assert_eq(run_cli(a1, NULL, in_test_dir("e1")), 2);
	err = slurp(in_test_dir("e1"));
	cr_assert_not_null(strstr(err, "'{nope}' is not a parameter"), "%s", err);
	cr_assert_not_null(strstr(err, "{seq}, {attempt} and {worker}"), "%s", err);
	free(err);
	cr_assert_eq(run_cli(a2, NULL, in_test_dir("e2")), 2);
	err = slurp(in_test_dir("e2"));
	cr_assert_not_null(strstr(err, "unterminated ' quote"), "%s", err);
	free(err);
	cr_assert_eq(run_cli(a3, NULL, NULL), 2);
}

Test(cmd, a_child_holding_stdout_does_not_hold_the_task, .timeout = 20,
     .init = make_test_dir)
{
	/* The command answers at once and leaves a child with its stdout:
	 * the task ends with the command, and the child goes too.  Broken,
	 * this waits for the child's 28.75 s, past this test's timeout. */
	const char *args[] = { "run", "--cmd", "sh -c 'sleep 28.75 & echo 7'",
			       "--param", "a=int:1:2", "--db", "none", "-q",
			       "--results", in_test_dir("c.csv"), NULL };
	char *text;

	cr_assert_eq(run_cli(args, NULL, NULL), 0);
	text = slurp(in_test_dir("c.csv"));
	cr_assert_str_eq(text, "seq,a,status,value,message\n0,1,ok,7,\n1,2,ok,7,\n");
	free(text);
	cr_assert_not(sleeper_alive("28.75"));
}

Test(cmd, non_finite_scores_and_terminal_input_fail_cleanly, .timeout = 20,
     .init = make_test_dir)
{
	const char *args[] = { "run", "--cmd", "sh -c 'read x; echo ${x:-nan}'",
			       "--param", "a=int:1:1", "--db", in_test_dir("n.db"), "-q",
			       NULL };
	const char *export[] = { "export", in_test_dir("n.db"), NULL };
	char *text;

	cr_assert_eq(run_cli(args, NULL, NULL), 1,
		     "stdin is /dev/null: no hang; its one task failed");
	cr_assert_eq(run_cli(export, in_test_dir("n.csv"), NULL), 0);
	text = slurp(in_test_dir("n.csv"));
	cr_assert_not_null(strstr(text, "\n0,1,error,74,"), "%s", text);
	free(text);
}

Test(cmd, csv_quotes_names_that_need_it, .timeout = 20, .init = make_test_dir)
{
	const char *args[] = { "run", "--cmd",
			       "echo '{\"value\": 2, \"say \\\"hi\\\"\": 4}'",
			       "--metrics", "say \"hi\"",
			       "--param", "m=cat:x y,q\"z", "--db", "none", "-q",
			       "--results", in_test_dir("q.csv"), NULL };
	char *text;

	cr_assert_eq(run_cli(args, NULL, NULL), 0);
	text = slurp(in_test_dir("q.csv"));
	cr_assert_str_eq(text, "seq,m,status,value,\"say \"\"hi\"\"\",message\n"
			       "0,x y,ok,2,4,\n"
			       "1,\"q\"\"z\",ok,2,4,\n");
	free(text);
}

/* Processes (of this user) whose command line holds `marker`. */
static int
count_running(const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	cr_assert_not_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[300], cmd[256] = "";
		FILE *f;
		size_t got;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/cmdline", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		got = fread(cmd, 1, sizeof cmd - 1, f);
		fclose(f);
		for (size_t i = 0; i < got; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		if (strstr(cmd, marker) != NULL)
			n++;
	}
	closedir(d);
	return n;
}

/* A task's process that detached itself (setsid: another session, another
 * process group) dies with its task, whether the task ended normally or
 * at its deadline: workers and the supervisor are child subreapers, so it
 * comes back to them instead of living on under init. */
Test(cmd, a_detached_process_dies_with_its_task, .timeout = 60,
     .init = make_test_dir)
{
	char marker[2][64], cmd[2][200];
	const char *normal[] = { "run", "--cmd", cmd[0], "--param", "x=int:1:4", "-j",
				 "2", "--db", "none", "-q", NULL };
	const char *deadline[] = { "run", "--cmd", cmd[1], "--param", "x=int:1:4",
				   "-j", "2", "--timeout", "0.5", "--db", "none",
				   "-q", NULL };

	for (int k = 0; k < 2; k++) {
		snprintf(marker[k], sizeof marker[k], "sleep 31%d.%d", k, (int)getpid());
		snprintf(cmd[k], sizeof cmd[k], k == 0 ?
			 "sh -c 'setsid %.63s & echo {x}'" :
			 "sh -c 'setsid %.63s & sleep 100'", marker[k]);
	}
	cr_assert_eq(run_cli(normal, in_test_dir("out"), NULL), 0);
	cr_assert_eq(count_running(marker[0]), 0, "left after a normal end");
	cr_assert_eq(run_cli(deadline, in_test_dir("out"), NULL), 1);
	cr_assert_eq(count_running(marker[1]), 0, "left after the deadline");
}

/* A score line longer than the output kept of a command is refused, not
 * read as its tail ("1", 70,000 spaces, "7" was read as 7); a long line
 * before a short score line changes nothing. */
Test(cmd, a_score_line_longer_than_what_is_kept_is_refused, .timeout = 60,
     .init = make_test_dir)
{
	const char *csv = in_test_dir("l.csv");
	const char *long_line[] = { "run", "--cmd",
				    "sh -c 'printf 1; head -c 70000 /dev/zero | tr "
				    "\"\\\\0\" \" \"; echo 7'",
				    "--param", "x=int:1:1", "--db", "none", "-q",
				    "--results", csv, NULL };
	const char *long_before[] = { "run", "--cmd",
				      "sh -c 'head -c 70000 /dev/zero | tr \"\\\\0\" x; "
				      "echo; echo 5'",
				      "--param", "x=int:1:1", "--db", "none", "-q",
				      "--results", csv, NULL };
	char *text;

	cr_assert_eq(run_cli(long_line, NULL, in_test_dir("e1")), 1);
	text = slurp(in_test_dir("e1"));
	cr_assert_not_null(strstr(text, "its last line is longer than 32768 bytes"),
			   "%s", text);
	free(text);
	cr_assert_eq(run_cli(long_before, NULL, NULL), 0);
	text = slurp(csv);
	cr_assert_str_eq(text, "seq,x,status,value,message\n0,1,ok,5,\n");
	free(text);
}
