/*
 * tests/test_sweep.c - the sweep as a library (ringsweep/sweep.h) and its
 * parts (store.h, objectives.h), driven through their C API as an
 * embedding program would: open, run, close; resume a store cut short,
 * with other worker counts, to the same results; a C-function objective
 * and an algorithm of the caller's own; refusals that leave nothing
 * behind; on_error fail; the progress snapshot read from another thread;
 * the store written, replayed and exported directly.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>

#include "helpers.h"

/* 1 ms of work, then an error at seq 13 when asked: a C objective.
 * `executions`, when set, lies in memory shared with the workers. */
struct slow_plan {
	int fail_at_13;
	uint64_t *executions;
};

static const char *const slow_metrics[] = { "twice", NULL };

static int
slow_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	const struct slow_plan *p = ctx;

	if (p != NULL && p->executions != NULL)
		__atomic_fetch_add(p->executions, 1, __ATOMIC_RELAXED);
	busy_wait_ns(1000000);
	if (p != NULL && p->fail_at_13 && t->seq == 13) {
		out->error_code = 7;
		return -1;
	}
	out->value = expected_value(x, n);
	out->nmetrics = 1;
	out->metrics[0] = 2 * out->value;
	return 0;
}

static void
base_config(rsw_sweep_config *c, rsw_space *space, int workers)
{
	char err[256];

	rsw_space_init(space);
	cr_assert_eq(rsw_space_add(space, "x=float:-3:3", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add(space, "k=int:1:40", err, sizeof err), 0);
	rsw_sweep_config_init(c);
	c->space = space;
	c->engine.workers = workers;
}

/* Opens, runs and closes; returns the run's code. */
static int
run_sweep(const rsw_sweep_config *c)
{
	char err[1024];
	rsw_sweep *sw;
	int rc;

	cr_assert_eq(rsw_sweep_open(&sw, c, err, sizeof err), 0, "%s", err);
	rc = rsw_sweep_run(sw);
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	return rc;
}

/* A random search of `evals` sphere evaluations into store `db`, cut back
 * to its first `keep` rows as a kill would have left it. */
static void
stored_random_sweep(rsw_sweep_config *c, rsw_space *space, const char *db,
		    uint64_t evals, int keep)
{
	base_config(c, space, 2);
	c->algo = "random";
	c->algo_opts.evals = evals;
	c->objective.name = "sphere";
	c->store = in_test_dir(db);
	cr_assert_eq(run_sweep(c), 0);
	cut_store(c->store, keep);
}

Test(sweep, bayes_resumed_at_another_worker_count_ends_as_uninterrupted,
     .timeout = 120, .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_sweep *sw;
	char err[1024], *whole, *resumed;

	base_config(&c, &space, 2);
	c.algo = "bayes";
	c.algo_opts.evals = 30;
	c.algo_opts.seed = 4;
	c.objective.name = "sphere";
	c.store = in_test_dir("s.db");
	c.results_csv = in_test_dir("whole.csv");
	cr_assert_eq(run_sweep(&c), 0);
	cut_store(c.store, 11);
	rsw_sweep_config_init(&exec);
	exec.engine.workers = 0; /* serial this time */
	exec.results_csv = in_test_dir("resumed.csv");
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(rsw_sweep_replayed(sw), 11);
	cr_assert_str_eq(rsw_sweep_algo_name(sw), "bayes");
	cr_assert_eq(rsw_sweep_window(sw), 4, "bayes's default window, recorded");
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	whole = slurp(in_test_dir("whole.csv"));
	resumed = slurp(in_test_dir("resumed.csv"));
	cr_assert_str_eq(resumed, whole);
	free(whole);
	free(resumed);
}

/* A store whose rows are not what the recorded sweep suggests (here one
 * parameter edited in place) is refused on resume, naming the file, and
 * left as it was: nothing is replayed from it and nothing appended. */
Test(sweep, resume_refuses_rows_another_sweep_wrote, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_sweep *sw;
	sqlite3 *h;
	char err[1024], *before, *after;
	size_t n_before = 0, n_after = 0;

	stored_random_sweep(&c, &space, "edited.db", 40, 20);
	cr_assert_eq(sqlite3_open(c.store, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "UPDATE results SET k = k % 40 + 1 WHERE seq = 7",
				  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	before = file_bytes(c.store, &n_before);
	cr_assert_not_null(before);

	rsw_sweep_config_init(&exec);
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), RSW_EREPLAY);
	cr_assert_not_null(strstr(rsw_sweep_errmsg(sw), "edited.db"), "%s",
			   rsw_sweep_errmsg(sw));
	cr_assert_not_null(strstr(rsw_sweep_errmsg(sw), "do not match"), "%s",
			   rsw_sweep_errmsg(sw));
	rsw_sweep_close(sw, err, sizeof err);
	/* Refused: the file is byte for byte what it was (its outcome and
	 * end time not rewritten). */
	after = file_bytes(c.store, &n_after);
	cr_assert_not_null(after);
	cr_assert(n_after == n_before && memcmp(before, after, n_after) == 0,
		  "the refused store was modified");
	free(before);
	free(after);
	cr_assert_eq(store_row_count(c.store), 20);
}

static int
says_why(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	 rsw_eval_out *out)
{
	if (t->seq % 4 == 2) {
		snprintf(out->message, out->message_max,
			 "ValueError: k=%g, \"too\" big", x[1]);
		return -1;
	}
	out->value = x[1];
	return 0;
}

/* Counts commits whose text is there, and checks it reads right. */
static int
count_texts(void *ctx, const double *params, uint32_t n, const rsw_result *r)
{
	char want[128];

	snprintf(want, sizeof want, "ValueError: k=%g, \"too\" big", params[1]);
	cr_assert_eq(r->message != NULL, r->seq % 4 == 2, "seq %llu",
		     (unsigned long long)r->seq);
	if (r->message != NULL) {
		cr_assert_str_eq(r->message, want);
		++*(int *)ctx;
	}
	return 0;
}

/* A failure's text (engine.max_message) goes to the store's message
 * column, to the CSV (quoted), to the callback, and comes back from the
 * store on resume; a success has none. */
Test(sweep, failure_texts_are_kept_and_replayed, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_sweep *sw;
	sqlite3 *h;
	sqlite3_stmt *q;
	char err[1024], *csv;
	int texts = 0;

	base_config(&c, &space, 2);
	c.algo = "grid";
	c.objective.fn = says_why;
	c.objective.label = "says_why";
	c.engine.max_message = 128;
	c.store = in_test_dir("t.db");
	c.results_csv = in_test_dir("t.csv");
	c.on_commit = count_texts;
	c.commit_ctx = &texts;
	rsw_space_init(&space);
	cr_assert_eq(rsw_space_add(&space, "x=int:0:1", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add(&space, "k=int:1:20", err, sizeof err), 0);
	cr_assert_eq(run_sweep(&c), 0);
	cr_assert_eq(texts, 10);
	csv = slurp(c.results_csv);
	cr_assert_not_null(strstr(csv, "seq,x,k,status,value,message\n0,0,1,ok,1,\n"),
			   "%.200s", csv);
	cr_assert_not_null(strstr(csv, "\n2,0,3,error,nan,\"ValueError: k=3, "
				       "\"\"too\"\" big\"\n"), "%.300s", csv);
	free(csv);
	cr_assert_eq(sqlite3_open(c.store, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(message), min(message) "
					   "FROM results", -1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), 10);
	cr_assert_str_eq((const char *)sqlite3_column_text(q, 1),
			 "ValueError: k=11, \"too\" big");
	sqlite3_finalize(q);
	sqlite3_close(h);

	/* Resumed after row 13: rows 0 .. 12 come back from the store with
	 * their texts, the rest are evaluated again. */
	cut_store(c.store, 13);
	rsw_sweep_config_init(&exec);
	exec.objective.fn = says_why;
	exec.engine.max_message = 128;
	exec.on_commit = count_texts;
	exec.commit_ctx = &texts;
	texts = 0;
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	cr_assert_eq(texts, 10);
}

/* The caller's strings may be gone once open returns (a Python str, a
 * buffer reused): the sweep runs on, and hands out, its own copies. */
Test(sweep, the_configuration_strings_are_the_sweeps_own, .timeout = 60,
     .init = make_test_dir)
{
	char store[256], label[32], metric[32], algo[16];
	const char *metrics[] = { metric, NULL };
	const rsw_sweep_config *kept;
	rsw_sweep_config c;
	rsw_space space;
	rsw_sweep *sw;
	char err[1024], *csv;

	base_config(&c, &space, 2);
	snprintf(store, sizeof store, "%s", in_test_dir("own.db"));
	snprintf(label, sizeof label, "slow");
	snprintf(metric, sizeof metric, "twice");
	snprintf(algo, sizeof algo, "random");
	c.algo = algo;
	c.algo_opts.evals = 20;
	c.objective.fn = slow_eval;
	c.objective.label = label;
	c.objective.nmetrics = 1;
	c.objective.metric_names = metrics;
	c.store = store;
	c.results_csv = in_test_dir("own.csv");
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	memset(store, 'X', sizeof store - 1);
	memset(label, 'X', sizeof label - 1);
	memset(metric, 'X', sizeof metric - 1);
	memset(algo, 'X', sizeof algo - 1);
	kept = rsw_sweep_config_of(sw);
	cr_assert_str_eq(kept->store, in_test_dir("own.db"));
	cr_assert_str_eq(kept->algo, "random");
	cr_assert_str_eq(kept->objective.label, "slow");
	cr_assert_str_eq(kept->objective.metric_names[0], "twice");
	cr_assert_str_eq(rsw_sweep_objective(sw)->metric_names[0], "twice");
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	csv = slurp(in_test_dir("own.csv"));
	cr_assert(strncmp(csv, "seq,x,k,status,value,twice\n", 27) == 0, "%.60s", csv);
	free(csv);
	cr_assert_eq(store_row_count(in_test_dir("own.db")), 20);
}

/* A C function and an algorithm of the program's own cannot be stored:
 * a resume refuses until the caller passes them again, then finishes. */
Test(sweep, code_the_store_cannot_hold_is_passed_again, .timeout = 120,
     .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_algorithm *mine;
	rsw_sweep *sw;
	rsw_algo_opts o;
	char err[1024], *whole, *resumed;

	base_config(&c, &space, 2);
	rsw_algo_opts_init(&o);
	o.evals = 60;
	o.seed = 9;
	cr_assert_eq(rsw_algo_random_create(&mine, &space, &o), 0);
	c.algorithm = mine;
	c.objective.fn = slow_eval;
	c.objective.label = "slow";
	c.objective.nmetrics = 1;
	c.objective.metric_names = slow_metrics;
	c.store = in_test_dir("f.db");
	c.results_csv = in_test_dir("whole.csv");
	cr_assert_eq(run_sweep(&c), 0);
	rsw_algorithm_destroy(mine);
	cut_store(c.store, 25);

	rsw_sweep_config_init(&exec);
	exec.results_csv = in_test_dir("resumed.csv");
	cr_assert_neq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0);
	cr_assert_not_null(strstr(err, "an algorithm of the program's own"), "%s", err);
	cr_assert_eq(rsw_algo_random_create(&mine, &space, &o), 0);
	exec.algorithm = mine;
	cr_assert_neq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0);
	cr_assert_not_null(strstr(err, "C function ('slow')"), "%s", err);
	exec.objective.fn = slow_eval;
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	rsw_algorithm_destroy(mine);
	whole = slurp(in_test_dir("whole.csv"));
	resumed = slurp(in_test_dir("resumed.csv"));
	cr_assert_str_eq(resumed, whole);
	cr_assert_not_null(strstr(whole, "seq,x,k,status,value,twice\n"), "%s", whole);
	free(whole);
	free(resumed);
}

static void
refused(rsw_sweep_config *c, const char *culprit)
{
	char err[1024];
	rsw_sweep *sw = (rsw_sweep *)1;

	cr_assert_neq(rsw_sweep_open(&sw, c, err, sizeof err), 0, "%s", culprit);
	cr_assert_null(sw);
	cr_assert_not_null(strstr(err, culprit), "'%s' lacks '%s'", err, culprit);
	cr_assert_eq(access(in_test_dir("r.db"), F_OK), -1, "store left: %s", culprit);
	cr_assert_eq(access(in_test_dir("r.csv.partial"), F_OK), -1);
	cr_assert_eq(access(in_test_dir("r.csv"), F_OK), -1);
}

Test(sweep, refusals_name_the_culprit_and_leave_nothing, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c;
	rsw_space space, empty;

	base_config(&c, &space, 2);
	c.store = in_test_dir("r.db");
	c.results_csv = in_test_dir("r.csv");
	c.algo = "annealing";
	refused(&c, "unknown --algo 'annealing' (expected grid, random, bayes, "
		    "genetic or cmaes)");
	c.algo = "grid";
	refused(&c, "parameter 'x' is continuous");
	c.algo = "random";
	refused(&c, "--algo random needs --evals N");
	c.algo_opts.evals = 10;
	c.window = 9000;
	refused(&c, "--window must be from 1 to 8191");
	c.window = 0;
	c.engine.max_batch = 0;
	refused(&c, "max_batch must be from 1 to 4096, got 0");
	c.engine.max_batch = 64;
	c.objective.name = "/nonexistent/libx.so";
	refused(&c, "cannot load the plugin");
	c.objective.name = "hartmann6";
	refused(&c, "objective 'hartmann6' takes exactly 6 parameters");
	c.objective.name = NULL;
	c.objective.cmd = "no-such-program-here {x}";
	refused(&c, "program 'no-such-program-here' not found in PATH");
	c.objective.cmd = NULL;
	c.objective.name = "sphere";
	rsw_space_init(&empty);
	c.space = &empty;
	refused(&c, "no parameters");
}

/* on_error fail: the first failure stops the queue; what comes before it
 * is complete, and at most what was already running comes after it. */
Test(sweep, on_error_fail_stops_at_the_first_failure, .timeout = 60,
     .init = make_test_dir)
{
	uint64_t *executions = mmap(NULL, sizeof *executions, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct slow_plan plan = { .fail_at_13 = 1, .executions = executions };
	rsw_sweep_config c;
	rsw_sweep_summary s;
	rsw_space space;
	rsw_sweep *sw;
	char err[1024];

	for (int workers = 0; workers <= 2; workers += 2) {
		base_config(&c, &space, workers);
		c.algo = "random";
		c.algo_opts.evals = 5000;
		c.objective.fn = slow_eval;
		c.objective.ctx = &plan;
		c.engine.on_error = RSW_ON_ERROR_FAIL;
		c.store = in_test_dir(workers ? "j2.db" : "serial.db");
		*executions = 0;
		cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
		cr_assert_eq(rsw_sweep_run(sw), RSW_ETASKFAILED);
		/* Nothing starts after the failure is known: serially
		 * nothing at all, in parallel only what workers had
		 * claimed by then (without the halt: all 5000). */
		if (workers == 0)
			cr_assert_eq(*executions, 14, "%llu ran",
				     (unsigned long long)*executions);
		else
			cr_assert_leq(*executions, 14 + 64, "%llu ran",
				      (unsigned long long)*executions);
		cr_assert_not_null(strstr(rsw_sweep_errmsg(sw), "task 13 failed"),
				   "%s", rsw_sweep_errmsg(sw));
		rsw_sweep_summary_get(sw, &s);
		cr_assert_eq(s.by_status[RSW_STATUS_ERROR], 1);
		/* Exactly 0 .. 13 at any worker count: what was already
		 * running when the failure came in is not committed either
		 * (before, every queued task ran and was committed: 5000). */
		cr_assert_eq(s.committed, 14, "%llu committed",
			     (unsigned long long)s.committed);
		cr_assert_eq(s.by_status[RSW_STATUS_OK], 13);
		cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
	}
	munmap(executions, sizeof *executions);
}

struct reader {
	const rsw_sweep *sw;
	volatile int stop;
	uint64_t reads, last_done, regressions;
};

static void *
read_progress(void *arg)
{
	struct reader *r = arg;
	rsw_sweep_progress p;

	while (!r->stop) {
		if (rsw_sweep_progress_get(r->sw, &p) == 0) {
			r->reads++;
			r->regressions += p.done < r->last_done;
			r->last_done = p.done;
		}
		sched_yield();
	}
	return NULL;
}

/* Another thread reads snapshots while the sweep runs, and what they say
 * is done never goes back. */
Test(sweep, progress_is_read_from_another_thread, .timeout = 60,
     .init = make_test_dir)
{
	struct reader r = { 0 };
	rsw_sweep_config c;
	rsw_sweep_progress p;
	rsw_space space;
	rsw_sweep *sw;
	pthread_t t;
	char err[1024];

	base_config(&c, &space, 2);
	c.algo = "random";
	c.algo_opts.evals = 400;
	c.objective.fn = slow_eval;
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_sweep_progress_get(sw, &p), RSW_ENOENT);
	r.sw = sw;
	cr_assert_eq(pthread_create(&t, NULL, read_progress, &r), 0);
	cr_assert_eq(rsw_sweep_run(sw), 0);
	r.stop = 1;
	pthread_join(t, NULL);
	cr_assert_gt(r.reads, 0);
	cr_assert_eq(r.regressions, 0);
	cr_assert_eq(rsw_sweep_progress_get(sw, &p), 0);
	cr_assert_eq(p.done, 400);
	cr_assert_eq(p.total, 400);
	cr_assert_eq(p.running, 0);
	cr_assert(p.have_best);
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
}

/* The store without a sweep: rows in, replayed out, exported typed. */
Test(sweep, store_api_writes_replays_and_exports, .timeout = 60,
     .init = make_test_dir)
{
	static const char *const names[] = { "m1", NULL };
	rsw_space space;
	rsw_store *st;
	rsw_result r, back;
	char err[512], *json;
	double x[2];
	FILE *out;

	base_config(&(rsw_sweep_config){ 0 }, &space, 1);
	cr_assert_eq(rsw_store_create(&st, in_test_dir("a.db"), &space, 1, names,
				      err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_store_set_meta(st, "seed", "12"), 0);
	cr_assert_eq(rsw_store_set_meta(st, "argv", "[\"run\",\"-q\"]"), 0);
	for (uint64_t i = 0; i < 50000; i++) {
		memset(&r, 0, sizeof r);
		r.seq = i;
		r.status = i % 7 == 3 ? RSW_STATUS_CRASH : RSW_STATUS_OK;
		r.value = r.status == RSW_STATUS_OK ? (double)i / 4 : NAN;
		r.nmetrics = 1;
		r.metrics[0] = (double)i;
		r.attempts = 1;
		x[0] = (double)(i % 100) / 50 - 1;
		x[1] = (double)(i % 40) + 1;
		cr_assert_eq(rsw_store_add(st, x, 2, &r), 0);
	}
	cr_assert_eq(rsw_store_flush(st), 0);
	cr_assert_eq(rsw_store_rows(st), 50000);
	/* The table stays a prefix of seqs (what a resume replays): a row
	 * after a gap, and a skipped row and all after it, are not stored. */
	r.seq = 50001;
	r.status = RSW_STATUS_OK;
	cr_assert_eq(rsw_store_add(st, x, 2, &r), 0);
	cr_assert_eq(rsw_store_flush(st), 0);
	cr_assert_eq(rsw_store_rows(st), 50000, "a row after a gap was stored");
	cr_assert_eq(rsw_store_close(st, "done"), 0);
	cr_assert_eq(rsw_store_open(&st, in_test_dir("a.db"), RSW_STORE_APPEND, err,
				    sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_store_bind_space(st, &space), 0);
	r.seq = 50000;
	r.status = RSW_STATUS_SKIPPED;
	cr_assert_eq(rsw_store_add(st, x, 2, &r), 0);
	r.seq = 50001;
	r.status = RSW_STATUS_OK;
	cr_assert_eq(rsw_store_add(st, x, 2, &r), 0);
	cr_assert_eq(rsw_store_flush(st), 0);
	cr_assert_eq(rsw_store_rows(st), 50000, "a skipped row was stored");
	cr_assert_eq(rsw_store_close(st, "done"), 0);
	cr_assert_eq(store_row_count(in_test_dir("a.db")), 50000);

	cr_assert_eq(rsw_store_open(&st, in_test_dir("a.db"), RSW_STORE_READ, err,
				    sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_store_bind_space(st, &space), 0);
	cr_assert_str_eq(rsw_store_meta(st, "outcome"), "done");
	for (uint64_t i = 0; i < 50000; i++) {
		x[0] = (double)(i % 100) / 50 - 1;
		x[1] = (double)(i % 40) + 1;
		cr_assert_eq(rsw_store_replay(st, i, x, 2, &back), 0, "row %llu",
			     (unsigned long long)i);
		cr_assert_eq(back.status, i % 7 == 3 ? RSW_STATUS_CRASH : RSW_STATUS_OK);
		cr_assert_eq(back.metrics[0], (double)i);
	}
	x[0] = 5;
	cr_assert_eq(rsw_store_replay(st, 50000, x, 2, &back), RSW_EREPLAY);
	rsw_store_discard(st);

	out = fopen(in_test_dir("a.json"), "w");
	cr_assert_eq(rsw_store_export(in_test_dir("a.db"), RSW_EXPORT_JSON, 2, 1, out,
				      err, sizeof err), 0, "%s", err);
	fclose(out);
	json = slurp(in_test_dir("a.json"));
	/* Typed: the argument vector an array, the seed a number. */
	cr_assert_not_null(strstr(json, "\"argv\": [\n   \"run\",\n   \"-q\"\n  ]"),
			   "%s", json);
	cr_assert_not_null(strstr(json, "\"seed\": 12,"), "%s", json);
	cr_assert_not_null(strstr(json, "\"params\": [\n   \"x\",\n   \"k\"\n  ]"),
			   "%s", json);
	free(json);
}

/* What the store holds is not replaced on resume by code of the caller's:
 * a bayes sweep stays bayes, a built-in objective stays built-in. */
Test(sweep, resume_refuses_code_in_place_of_what_was_recorded, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_algorithm *mine;
	rsw_sweep *sw;
	char err[1024];

	stored_random_sweep(&c, &space, "b.db", 20, 5);
	rsw_sweep_config_init(&exec);
	cr_assert_eq(rsw_algo_random_create(&mine, &space, &c.algo_opts), 0);
	exec.algorithm = mine;
	cr_assert_neq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0);
	cr_assert_not_null(strstr(err, "it ran --algo random: an algorithm of the "
				       "program's own cannot take its place"), "%s", err);
	exec.algorithm = NULL;
	exec.objective.fn = slow_eval;
	cr_assert_neq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0);
	cr_assert_not_null(strstr(err, "recorded (sphere): a C function cannot"),
			   "%s", err);
	rsw_algorithm_destroy(mine);
	exec.objective.fn = NULL;
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0, "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0);
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
}

/* Every parameter a store records reads back as itself: numbers written
 * shortest can be longer than typed (1e9 -> 1000000000), and a resume
 * must not find a spec it cannot parse. */
Test(sweep, long_parameter_specs_survive_the_store, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c, exec;
	rsw_space space;
	rsw_sweep *sw;
	char err[1024], spec[512] = "big=choice:";

	for (int i = 1; i <= 24; i++)
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%de9",
			 i > 1 ? "," : "", i);
	rsw_space_init(&space);
	cr_assert_eq(rsw_space_add(&space, spec, err, sizeof err), 0, "%s", err);
	rsw_sweep_config_init(&c);
	c.space = &space;
	c.engine.workers = 1;
	c.objective.name = "sphere";
	c.store = in_test_dir("l.db");
	cr_assert_eq(run_sweep(&c), 0);
	cut_store(c.store, 10);
	rsw_sweep_config_init(&exec);
	cr_assert_eq(rsw_sweep_resume(&sw, c.store, &exec, err, sizeof err), 0,
		     "%s", err);
	cr_assert_eq(rsw_sweep_run(sw), 0);
	cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
}

static int
always_fails(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	     rsw_eval_out *out)
{
	return -1;
}

static int
stop_at_50(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	return r->seq == 50;
}

/* Only a finished sweep's results file takes its name: a failed or
 * stopped one keeps what it committed in PATH.partial (an incomplete file
 * must never look complete); every evaluation failing is a finished
 * sweep, its file complete. */
Test(sweep, only_a_finished_sweep_names_its_results_file, .timeout = 60,
     .init = make_test_dir)
{
	struct slow_plan fail13 = { .fail_at_13 = 1 };
	const char *csv = in_test_dir("r.csv"), *partial = in_test_dir("r.csv.partial");
	rsw_sweep_config c;
	rsw_space space;
	char *text;

	for (int k = 0; k < 4; k++) {
		base_config(&c, &space, 2);
		c.algo = "random";
		c.algo_opts.evals = 200;
		c.results_csv = csv;
		c.objective.fn = slow_eval;
		c.objective.nmetrics = 1;
		c.objective.metric_names = slow_metrics;
		if (k == 1) {		/* stopped by its caller */
			c.on_commit = stop_at_50;
		} else if (k == 2) {	/* on_error fail */
			c.objective.ctx = &fail13;
			c.engine.on_error = RSW_ON_ERROR_FAIL;
		} else if (k == 3) {	/* every evaluation failed */
			c.objective.fn = always_fails;
		}
		cr_assert_eq(run_sweep(&c), k == 0 ? 0 : k == 1 ? RSW_ECANCELED :
					    k == 2 ? RSW_ETASKFAILED : RSW_EALLFAILED);
		if (k == 0 || k == 3) {
			cr_assert_eq(access(partial, F_OK), -1, "case %d", k);
			text = slurp(csv);
			cr_assert_not_null(text, "case %d", k);
			cr_assert_not_null(strstr(text, "\n199,"), "case %d: complete", k);
		} else {
			cr_assert_eq(access(csv, F_OK), -1, "case %d: an unfinished "
				     "sweep's file took its name", k);
			text = slurp(partial);
			cr_assert_not_null(text, "case %d", k);
			cr_assert_null(strstr(text, "\n199,"), "case %d", k);
		}
		free(text);
		unlink(csv);
		unlink(partial);
	}
}

static int
flushes_and_exits(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		  rsw_eval_out *out)
{
	/* What an objective may do: flush every stdio stream, or leave
	 * through exit() (which flushes them too). */
	fflush(NULL);
	if (t->seq == 7 && t->attempt == 1)
		exit(0);
	out->value = x[0];
	return 0;
}

/* The driver's stdio buffers (the results file's header is written at
 * open) are empty when workers are forked: an objective that flushes all
 * streams, or exits, writes nothing of the driver's again. */
Test(sweep, workers_never_write_the_drivers_buffered_output, .timeout = 60,
     .init = make_test_dir)
{
	rsw_sweep_config c;
	rsw_space space;
	char *text;
	int headers = 0;

	base_config(&c, &space, 2);
	c.algo = "random";
	c.algo_opts.evals = 40;
	c.engine.max_attempts = 2;
	c.objective.fn = flushes_and_exits;
	c.results_csv = in_test_dir("h.csv");
	cr_assert_eq(run_sweep(&c), 0);
	text = slurp(in_test_dir("h.csv"));
	cr_assert_not_null(text);
	for (char *p = text; (p = strstr(p, "seq,x,k,")) != NULL; p++)
		headers++;
	cr_assert_eq(headers, 1, "the header was written %d times", headers);
	free(text);
}

/* ------------------------------------------------- enqueued points */

/* A bowl with its floor at BOWL_AT: a C objective. */
static const double bowl_at[4] = { 1.3, -2.1, 0.7, 2.4 };

static int
bowl_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	(void)ctx;
	(void)t;
	out->value = 0;
	for (uint32_t i = 0; i < n; i++)
		out->value += (x[i] - bowl_at[i % 4]) * (x[i] - bowl_at[i % 4]);
	return 0;
}

/* The committed rows, in the driver (on_commit runs there). */
static struct {
	uint64_t n;
	double params[64][4];
	double value[64];
} seen_rows;

static int
keep_rows(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	(void)ctx;
	if (seen_rows.n < 64 && r->seq == seen_rows.n) {
		memcpy(seen_rows.params[seen_rows.n], params, nparams * sizeof(double));
		seen_rows.value[seen_rows.n++] = r->value;
	}
	return 0;
}

static void
bowl_config(rsw_sweep_config *c, rsw_space *space, int dims, int workers)
{
	char err[256];

	rsw_space_init(space);
	for (int i = 0; i < dims; i++) {
		char spec[32];

		snprintf(spec, sizeof spec, "x%d=float:-5:5", i);
		cr_assert_eq(rsw_space_add(space, spec, err, sizeof err), 0, "%s", err);
	}
	rsw_sweep_config_init(c);
	c->space = space;
	c->engine.workers = workers;
	c->objective.fn = bowl_eval;
	c->objective.label = "bowl";
	c->on_commit = keep_rows;
	memset(&seen_rows, 0, sizeof seen_rows);
}

/* Mean distance to the bowl's floor of rows from .. to-1. */
static double
mean_distance(uint64_t from, uint64_t to, int dims)
{
	double sum = 0;

	for (uint64_t k = from; k < to; k++) {
		double d2 = 0;

		for (int i = 0; i < dims; i++)
			d2 += (seen_rows.params[k][i] - bowl_at[i]) *
			      (seen_rows.params[k][i] - bowl_at[i]);
		sum += sqrt(d2);
	}
	return sum / (double)(to - from);
}

/* A warm start teaches bayes: with five enqueued points, one of them the
 * floor of a bowl, its own eight suggestions (from its model at once:
 * the points fill its initial design of 5) keep close to the floor; the
 * same evaluations without them (5 design points, then 8 from the model)
 * stray twice as far.  Over four seeds; the best is the floor, seq 0. */
Test(sweep, bayes_learns_from_enqueued_points, .timeout = 120,
     .init = make_test_dir)
{
	const double points[5][2] = { { 1.3, -2.1 }, { -4, 4 }, { 4, -4 }, { -3, -3 },
				      { 3, 3 } };
	double warm = 0, cold = 0;

	for (uint64_t seed = 1; seed <= 4; seed++) {
		rsw_sweep_config c;
		rsw_space space;
		rsw_sweep *sw;
		rsw_best best;
		char err[1024];

		bowl_config(&c, &space, 2, 2);
		c.algo = "bayes";
		c.algo_opts.evals = 8;
		c.algo_opts.init = 5;
		c.algo_opts.seed = seed;
		c.enqueue = &points[0][0];
		c.nenqueue = 5;
		cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
		cr_assert_eq(rsw_sweep_run(sw), 0, "%s", rsw_sweep_errmsg(sw));
		cr_assert_eq(rsw_sweep_best(sw, &best), 0);
		cr_assert_eq(best.seq, 0);
		cr_assert_eq(best.value, 0.0);
		cr_assert_eq(memcmp(best.params, points[0], sizeof points[0]), 0);
		cr_assert_eq(rsw_sweep_enqueued(sw, NULL), 5);
		cr_assert_eq(rsw_sweep_close(sw, err, sizeof err), 0, "%s", err);
		cr_assert_eq(seen_rows.n, 13, "5 points, then a budget of 8");
		for (int k = 0; k < 5; k++)
			cr_assert_eq(memcmp(seen_rows.params[k], points[k],
					    sizeof points[k]), 0,
				     "seq %d is enqueued point %d", k, k + 1);
		warm += mean_distance(5, 13, 2) / 4;

		bowl_config(&c, &space, 2, 2);
		c.algo = "bayes";
		c.algo_opts.evals = 13;
		c.algo_opts.init = 5;
		c.algo_opts.seed = seed;
		cr_assert_eq(run_sweep(&c), 0);
		cold += mean_distance(5, 13, 2) / 4;
	}
	cr_assert_lt(warm, 2.6, "warm start: its suggestions average %.2f from the "
		     "floor", warm);
	cr_assert_gt(cold, 1.5 * warm, "without the points: %.2f, with: %.2f", cold,
		     warm);
}

/* genetic's first generation starts with the best points, best first;
 * cmaes's first mean is the best point: its first generation is drawn
 * around it, not around the centre. */
Test(sweep, genetic_and_cmaes_start_from_the_best_enqueued_points, .timeout = 60,
     .init = make_test_dir)
{
	const double points[3][4] = { { 4, 4, 4, 4 }, { 1, -2, 1, 2 },
				      { -4, -4, -4, -4 } };
	rsw_sweep_config c;
	rsw_space space;
	double distance[2];

	bowl_config(&c, &space, 4, 3);
	c.algo = "genetic";
	c.algo_opts.population = 8;
	c.algo_opts.generations = 2;
	c.enqueue = &points[0][0];
	c.nenqueue = 3;
	cr_assert_eq(run_sweep(&c), 0);
	cr_assert_eq(seen_rows.n, 3 + 16);
	/* By value: point 2 (near the floor), point 1, point 3. */
	cr_assert_eq(memcmp(seen_rows.params[3], points[1], sizeof points[1]), 0);
	cr_assert_eq(memcmp(seen_rows.params[4], points[0], sizeof points[0]), 0);
	cr_assert_eq(memcmp(seen_rows.params[5], points[2], sizeof points[2]), 0);
	cr_assert_neq(memcmp(seen_rows.params[6], points[2], sizeof points[2]), 0,
		      "the rest is random");

	/* cmaes: the mean of its first generation's samples, to the point. */
	for (int with = 0; with < 2; with++) {
		const double far[4] = { 4.5, 4.5, -4.5, -4.5 };
		double d2 = 0;

		bowl_config(&c, &space, 4, 3);
		c.algo = "cmaes";
		c.algo_opts.population = 8;
		c.algo_opts.evals = 8;
		c.enqueue = with ? far : NULL;
		c.nenqueue = with ? 1 : 0;
		cr_assert_eq(run_sweep(&c), 0);
		for (int i = 0; i < 4; i++) {
			double mean = 0;

			for (uint64_t k = (uint64_t)with; k < (uint64_t)with + 8; k++)
				mean += seen_rows.params[k][i] / 8;
			d2 += (mean - far[i]) * (mean - far[i]);
		}
		distance[with] = sqrt(d2);
	}
	/* The point is 9 from the centre, a sample's sd about 3 a
	 * coordinate. */
	cr_assert_lt(distance[1], 3, "warm: generation 0 centred %.2f from the "
		     "point", distance[1]);
	cr_assert_gt(distance[0], 6, "cold: generation 0 centred %.2f from the "
		     "point", distance[0]);
}

/* The contract, seen from an algorithm of the program's own: every point
 * is observed, in order, with its index as seq, before its first
 * suggestion, which is its seq 0; its own results come back with its own
 * seqs; at any worker count. */
static struct {
	uint64_t observed, suggested_at_first, next_update, calls_out_of_order;
	int suggested;
} probe;

static int
probe_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	(void)a;
	if (!probe.suggested) {
		probe.suggested = 1;
		probe.suggested_at_first = probe.observed;
		probe.calls_out_of_order += seq != 0;
	}
	if (seq >= 20)
		return RSW_SUGGEST_DONE;
	params[0] = (double)(seq % 7) - 3;
	params[1] = (double)(seq % 5) + 1;
	return RSW_SUGGEST_OK;
}

static int
probe_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	(void)a;
	(void)params;
	probe.calls_out_of_order += r->seq != probe.next_update++;
	return 0;
}

static int
probe_observe(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	(void)a;
	probe.calls_out_of_order += probe.suggested || r->seq != probe.observed ||
				    params[1] != (double)(probe.observed + 1);
	probe.observed++;
	return 0;
}

Test(sweep, an_algorithm_observes_every_point_before_its_first_suggestion,
     .timeout = 60, .init = make_test_dir)
{
	const int workers[] = { 0, 1, 3 };
	double points[12][2];

	for (int k = 0; k < 12; k++) {
		points[k][0] = k % 3;
		points[k][1] = k + 1;
	}
	for (int w = 0; w < 3; w++) {
		rsw_algorithm algo = { .name = "probe", .nparams = 2,
				       .suggest = probe_suggest,
				       .update = probe_update,
				       .observe = probe_observe };
		rsw_sweep_config c;
		rsw_space space;
		char err[256];

		memset(&probe, 0, sizeof probe);
		rsw_space_init(&space);
		cr_assert_eq(rsw_space_add(&space, "x=float:-3:3", err, sizeof err), 0);
		cr_assert_eq(rsw_space_add(&space, "k=int:1:40", err, sizeof err), 0);
		rsw_sweep_config_init(&c);
		c.space = &space;
		c.engine.workers = workers[w];
		c.algorithm = &algo;
		c.window = 3;
		c.objective.name = "sphere";
		c.enqueue = &points[0][0];
		c.nenqueue = 12;
		cr_assert_eq(run_sweep(&c), 0);
		cr_assert_eq(probe.observed, 12, "workers %d", workers[w]);
		cr_assert_eq(probe.suggested_at_first, 12, "workers %d: its first "
			     "suggestion came after %llu observations", workers[w],
			     (unsigned long long)probe.suggested_at_first);
		cr_assert_eq(probe.next_update, 20, "workers %d", workers[w]);
		cr_assert_eq(probe.calls_out_of_order, 0, "workers %d", workers[w]);
	}
}

/* A point outside the space is refused at open by its number and the
 * parameter, and nothing is left behind. */
Test(sweep, enqueued_points_outside_the_space_are_refused_by_number,
     .timeout = 60, .init = make_test_dir)
{
	const double points[][2] = { { 0.5, 3 }, { 1, 41 }, { 1, 2.5 }, { 2, 2 } };
	const struct {
		uint64_t n;
		const char *constraint, *file, *want;
	} cases[] = {
		{ 2, NULL, NULL, "enqueued point 2: 'k': 41 is above its upper bound 40" },
		{ 3, NULL, NULL, "enqueued point 2: 'k': 41" },
		{ 1, "x > k", NULL, "enqueued point 1: constraint 'x > k' does not hold" },
		{ 1, NULL, "p.csv", "give the points or a file, not both" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rsw_sweep_config c;
		rsw_space space;
		rsw_sweep *sw;
		char err[1024];

		base_config(&c, &space, 2);
		if (cases[i].constraint != NULL)
			cr_assert_eq(rsw_space_add_constraint(&space, cases[i].constraint,
							      err, sizeof err), 0);
		c.algo = "random";
		c.algo_opts.evals = 5;
		c.objective.name = "sphere";
		c.store = in_test_dir("refused.db");
		c.enqueue = &points[0][0];
		c.nenqueue = cases[i].n;
		c.enqueue_file = cases[i].file;
		cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), RSW_EINVAL,
			     "case %zu", i);
		cr_assert_not_null(strstr(err, cases[i].want), "case %zu: %s", i, err);
		cr_assert_eq(access(c.store, F_OK), -1, "case %zu: a store was left", i);
	}
}
