/*
 * tests/test_engine.c - the submit/poll engine through real worker
 * processes: a million empty tasks, back-pressure, retries of failed
 * attempts, on_error, configuration checks, separately started workers.
 */
#include <criterion/criterion.h>

#include "helpers.h"
#include "ring.h"
#include "util.h"

static rsw_config
config(int workers)
{
	rsw_config c;

	rsw_config_init(&c);
	c.workers = workers;
	c.max_params = 2;
	return c;
}

/* Counts each evaluation where it happens, in memory the workers share
 * with this process (mapped before the engine forks them). */
static int
counted_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	     rsw_eval_out *out)
{
	uint8_t *runs = ctx;

	__atomic_fetch_add(&runs[t->seq], 1, __ATOMIC_RELAXED);
	return faulty_eval(NULL, x, n, t, out);
}

Test(engine, million_empty_tasks_each_committed_once_in_order, .timeout = 120)
{
	uint8_t *runs = mmap(NULL, 1000000, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rsw_objective obj = { counted_eval, NULL, runs, NULL };
	rsw_config c = config(2);
	rsw_result *out = malloc(4096 * sizeof *out);
	const uint64_t total = 1000000;
	uint64_t submitted = 0, next = 0;
	double x[2 * 1024];
	rsw_engine *e;
	rsw_stats st;

	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	while (next < total) {
		int n;

		if (submitted < total) {
			uint32_t want = total - submitted < 1024 ?
						(uint32_t)(total - submitted) : 1024;

			for (uint32_t i = 0; i < want; i++)
				params_of_seq(submitted + i, &x[2 * i], 2);
			n = rsw_engine_submit_batch(e, x, 2, want);
			cr_assert(n >= 0 || n == RSW_EAGAIN, "submit: %s",
				  rsw_strerror(n));
			if (n > 0)
				submitted += (uint64_t)n;
		}
		n = rsw_engine_poll(e, out, 4096, -1);
		cr_assert_geq(n, 0, "poll: %s", rsw_strerror(n));
		for (int i = 0; i < n; i++) {
			double p[2];

			cr_assert_eq(out[i].seq, next, "commit out of order");
			cr_assert_eq(out[i].status, RSW_STATUS_OK);
			params_of_seq(next, p, 2);
			cr_assert_eq(out[i].value, expected_value(p, 2));
			next++;
		}
	}
	cr_assert_eq(rsw_engine_poll(e, out, 16, 0), 0, "nothing after the last");
	rsw_engine_stats(e, &st);
	cr_assert_eq(st.committed, total);
	/* Counted where tasks run, not where results are accepted (after
	 * duplicates are filtered): a task run twice would show here. */
	for (uint64_t s = 0; s < total; s++)
		cr_assert_eq(runs[s], 1, "seq %llu ran %u times",
			     (unsigned long long)s, runs[s]);
	munmap(runs, 1000000);
	cr_assert_gt(st.workers[0].tasks, 0);
	cr_assert_gt(st.workers[1].tasks, 0);
	rsw_engine_close(e);
	free(out);
}

Test(engine, backpressure_at_max_inflight, .timeout = 30)
{
	rsw_objective obj = { faulty_eval, NULL, NULL, NULL };
	rsw_config c = config(1);
	double x[2] = { 1, 2 };
	rsw_result r[64];
	rsw_engine *e;
	uint64_t seq;
	int got = 0;

	c.max_inflight = 64;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	for (int i = 0; i < 64; i++) {
		cr_assert_eq(rsw_engine_submit(e, x, 2, &seq), 0);
		cr_assert_eq(seq, (uint64_t)i);
	}
	cr_assert_eq(rsw_engine_submit(e, x, 2, &seq), RSW_EAGAIN);
	cr_assert_eq(rsw_engine_pending(e), 64);
	while (got < 64) {
		int n = rsw_engine_poll(e, r, 64, -1);

		cr_assert_gt(n, 0);
		got += n;
	}
	cr_assert_eq(rsw_engine_submit(e, x, 2, &seq), 0, "room again");
	cr_assert_eq(seq, 64);
	rsw_engine_close(e);
}

static void
run_all(rsw_engine *e, uint64_t n, rsw_result *out)
{
	double x[2];
	uint64_t got = 0;

	for (uint64_t s = 0; s < n; s++) {
		params_of_seq(s, x, 2);
		cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), 0);
	}
	while (got < n) {
		int k = rsw_engine_poll(e, out + got, (uint32_t)(n - got), -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		got += (uint64_t)k;
	}
}

Test(engine, failed_attempts_are_retried, .timeout = 30)
{
	struct fault_plan plan = { .error_mod = 5, .error_rem = 1, .error_until = 2 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = config(2);
	rsw_result out[200];
	rsw_engine *e;

	c.max_attempts = 3;
	c.retry_errors = 1; /* the objective's errors are retried only on request */
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_all(e, 200, out);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(out[i].status, RSW_STATUS_OK);
		cr_assert_eq(out[i].attempts, i % 5 == 1 ? 3u : 1u);
	}
	rsw_engine_close(e);
}

Test(engine, failure_after_max_attempts_is_committed, .timeout = 30)
{
	struct fault_plan plan = { .error_mod = 5, .error_rem = 1, .error_until = 9 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = config(2);
	rsw_result out[100];
	rsw_engine *e;

	c.max_attempts = 2;
	c.retry_errors = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_all(e, 100, out);
	for (int i = 0; i < 100; i++) {
		if (i % 5 == 1) {
			cr_assert_eq(out[i].status, RSW_STATUS_ERROR);
			cr_assert_eq(out[i].detail, 42);
			cr_assert_eq(out[i].attempts, 2);
			cr_assert(isnan(out[i].value));
		} else {
			cr_assert_eq(out[i].status, RSW_STATUS_OK);
		}
	}
	rsw_engine_close(e);
}

/* The objective's own words for a failure reach the result: the final
 * attempt's, cut to max_message; a success after a failed attempt, a
 * crash, and an engine that asked for no text carry none.  (The texts are
 * read before the next poll could reuse their room: 100 tasks, 8192 in
 * flight.) */
Test(engine, a_failure_says_why_in_its_own_words, .timeout = 60)
{
	struct fault_plan plan = { .error_mod = 5, .error_rem = 1, .error_until = 9,
				   .crash_mod = 5, .crash_rem = 3, .crash_until = 9 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = config(2);
	rsw_result out[100];
	rsw_engine *e;
	char want[64];

	c.max_attempts = 2;
	c.retry_errors = 1;
	c.crash_loop_failures = 1000;
	for (int run = 0; run < 4; run++) {
		/* 0: workers; 1: serial; 2: text cut to 16 bytes; 3: none. */
		c.workers = run == 1 ? 0 : 2;
		plan.crash_until = run == 1 ? 0 : 9;
		c.max_message = run == 2 ? 16 : run == 3 ? 0 : 256;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		run_all(e, 100, out);
		for (int i = 0; i < 100; i++) {
			if (i % 5 == 1 && run != 3) {
				snprintf(want, (size_t)c.max_message,
					 "no good: seq %d attempt 2", i);
				cr_assert_eq(out[i].status, RSW_STATUS_ERROR);
				cr_assert_not_null(out[i].message, "seq %d", i);
				cr_assert_str_eq(out[i].message, want);
			} else {
				cr_assert_null(out[i].message, "seq %d (run %d): %s",
					       i, run, out[i].message);
			}
		}
		rsw_engine_close(e);
	}
	/* Failed once, then fine: the success says nothing. */
	plan.error_until = 1;
	plan.crash_until = 0;
	c.workers = 2;
	c.max_message = 256;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_all(e, 100, out);
	for (int i = 0; i < 100; i++) {
		cr_assert_eq(out[i].status, RSW_STATUS_OK);
		cr_assert_null(out[i].message, "seq %d", i);
	}
	rsw_engine_close(e);
}

/* An objective's error is a result (fast >= slow, say), not bad luck:
 * with attempts to spare it is still committed at once, while a crash of
 * the same task is retried.  Before, --retries re-ran every error. */
Test(engine, errors_are_not_retried_unless_asked_crashes_are, .timeout = 30)
{
	struct fault_plan plan = { .error_mod = 5, .error_rem = 1, .error_until = 9,
				   .crash_mod = 5, .crash_rem = 3, .crash_until = 1 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = config(2);
	rsw_result out[100];
	rsw_stats st;
	rsw_engine *e;

	c.max_attempts = 3;
	for (int serial = 0; serial <= 1; serial++) {
		c.workers = serial ? 0 : 2;
		if (serial)
			plan.crash_until = 0; /* a crash would take this process */
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		run_all(e, 100, out);
		for (int i = 0; i < 100; i++) {
			if (i % 5 == 1) {
				cr_assert_eq(out[i].status, RSW_STATUS_ERROR);
				cr_assert_eq(out[i].attempts, 1, "seq %d retried", i);
			} else {
				cr_assert_eq(out[i].status, RSW_STATUS_OK);
				cr_assert_eq(out[i].attempts, i % 5 == 3 && !serial ? 2u : 1u,
					     "seq %d", i);
			}
		}
		rsw_engine_stats(e, &st);
		cr_assert_eq(st.retries, serial ? 0 : 20);
		rsw_engine_close(e);
	}
}

/* What an observer reads (`ringsweep top`, rsw_inspect) is the driver's
 * own per-worker accounting, crashes included: before, top showed the
 * workers' counts, which never include the task a worker died of. */
Test(engine, an_inspector_sees_the_drivers_counts, .timeout = 60)
{
	struct fault_plan plan = { .crash_mod = 7, .crash_rem = 2, .crash_until = 1 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = config(2);
	rsw_worker_view views[8];
	rsw_arena_view av;
	rsw_result out[300];
	rsw_inspect *in;
	rsw_stats st;
	uint32_t n;
	uint64_t failures = 0;
	rsw_engine *e;

	c.max_attempts = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_all(e, 300, out);
	rsw_engine_stats(e, &st);
	cr_assert_eq(rsw_inspect_open(&in, rsw_engine_arena_name(e)), 0);
	n = rsw_inspect_read(in, &av, views, 8);
	cr_assert_eq(n, 2);
	cr_assert_eq(av.committed, 300);
	cr_assert(av.driver_alive);
	for (uint32_t i = 0; i < n; i++) {
		cr_assert_eq(views[i].tasks, st.workers[views[i].slot].tasks);
		cr_assert_eq(views[i].failures, st.workers[views[i].slot].failures);
		failures += views[i].failures;
	}
	cr_assert_eq(failures, 43, "seqs 2, 9, ..., 296 crashed once each");
	rsw_inspect_close(in);
	rsw_engine_close(e);
}

Test(engine, serial_mode_gives_the_same_results, .timeout = 30)
{
	struct fault_plan plan = { .error_mod = 7, .error_rem = 1, .error_until = 1 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_result a[300], b[300];
	rsw_config c = config(0);
	rsw_engine *e;

	c.max_attempts = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_null(rsw_engine_arena_name(e));
	run_all(e, 300, a);
	rsw_engine_close(e);
	c.workers = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_all(e, 300, b);
	rsw_engine_close(e);
	for (int i = 0; i < 300; i++) {
		cr_assert_eq(a[i].seq, b[i].seq);
		cr_assert_eq(a[i].status, b[i].status);
		cr_assert_eq(a[i].attempts, b[i].attempts);
		cr_assert_eq(memcmp(&a[i].value, &b[i].value, sizeof(double)), 0);
	}
}

Test(engine, invalid_configuration_is_refused, .timeout = 10)
{
	rsw_objective obj = { faulty_eval, NULL, NULL, NULL };
	rsw_objective no_eval = { NULL, NULL, NULL, NULL };
	rsw_config c = config(1);
	rsw_engine *e;

	cr_assert_eq(rsw_engine_open(&e, &c, &no_eval), RSW_EINVAL);
	c.max_inflight = 100; /* not a power of two */
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	c = config(1);
	c.max_attempts = 0;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	c = config(1);
	c.max_params = RSW_MAX_PARAMS_LIMIT + 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	c = config(1);
	c.timeout_s = -1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	c = config(1);
	c.nkeep_fds = 1; /* and no keep_fds */
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	{
		const int not_fds[] = { 3, -1 };
		char why[160];

		c.keep_fds = not_fds;
		c.nkeep_fds = 2;
		cr_assert_eq(rsw_config_validate(&c, why, sizeof why), RSW_EINVAL);
		cr_assert(strstr(why, "keep_fds[1]") != NULL, "%s", why);
	}
	c = config(1);
	c.startup_timeout_s = -1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINVAL);
	cr_assert_null(e);
	cr_assert_str_eq(rsw_strerror(RSW_EINVAL), "invalid argument");
	cr_assert_str_eq(rsw_err_name(RSW_ECRASHLOOP), "RSW_ECRASHLOOP");
	cr_assert_str_eq(rsw_strerror(12345), "unknown error");
}

/* The CLI's `sleep` built-in (PARAM1 ms, returns PARAM1), so an external
 * `ringsweep worker` computes the same values as the supervised one, and
 * holds each task long enough for a kill to land in the middle of one. */
static int
sleep_ms(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	 rsw_eval_out *out)
{
	struct timespec ts = { 0, (long)(x[0] * 1e6) };

	while (nanosleep(&ts, &ts) != 0)
		;
	out->value = x[0];
	return 0;
}

/* Kills pid once the inspector shows worker slot `slot` running a task. */
static void
kill_mid_task(const char *arena, uint32_t slot, pid_t pid)
{
	rsw_inspect *in;
	rsw_worker_view v[4];

	cr_assert_eq(rsw_inspect_open(&in, arena), 0);
	for (int i = 0; i < 20000; i++) {
		uint32_t n = rsw_inspect_read(in, NULL, v, 4);

		for (uint32_t k = 0; k < n; k++)
			if (v[k].slot == slot && v[k].running && v[k].pid == pid) {
				kill(pid, SIGKILL);
				rsw_inspect_close(in);
				return;
			}
		usleep(200);
	}
	cr_assert_fail("the external worker never ran a task");
}

static pid_t
spawn_external_worker(const char *arena)
{
	const char *argv[] = { RSW_CLI_PATH, "worker", "--arena", arena, NULL };
	pid_t pid;

	cr_assert_eq(posix_spawn(&pid, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	return pid;
}

Test(engine, external_worker_attaches_and_its_death_loses_nothing, .timeout = 60)
{
	rsw_objective obj = { sleep_ms, NULL, NULL, NULL };
	rsw_config c = config(1);
	const uint64_t n = 600;
	rsw_result *out = calloc(n, sizeof *out);
	rsw_engine *e;
	rsw_stats st;
	uint64_t got = 0;
	pid_t ext;
	int killed = 0, status;

	c.external_slots = 1;
	c.objective_name = "sleep";
	c.max_attempts = 3; /* the task it holds when killed is retried */
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	ext = spawn_external_worker(rsw_engine_arena_name(e));
	for (uint64_t s = 0; s < n; s++) {
		double x[2] = { 2, (double)s };

		cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), 0);
	}
	while (got < n) {
		int k = rsw_engine_poll(e, out + got, (uint32_t)(n - got), -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		got += (uint64_t)k;
		rsw_engine_stats(e, &st);
		if (!killed && st.workers[1].tasks > 50) {
			kill_mid_task(rsw_engine_arena_name(e), 1, ext);
			killed = 1;
		}
	}
	cr_assert(killed, "the external worker took part");
	waitpid(ext, &status, 0);
	rsw_engine_stats(e, &st);
	cr_assert_geq(st.retries, 1, "the task it held when killed was retried");
	for (uint64_t s = 0; s < n; s++) {
		cr_assert_eq(out[s].seq, s);
		cr_assert_eq(out[s].status, RSW_STATUS_OK);
		cr_assert_eq(out[s].value, 2);
	}
	rsw_engine_close(e);
	free(out);
}

/* 1 ms of work; ctx, when set, counts executions in shared memory. */
static int
slow_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	if (ctx != NULL)
		__atomic_fetch_add((uint64_t *)ctx, 1, __ATOMIC_RELAXED);
	busy_wait_ns(1000000);
	out->value = x[0];
	return 0;
}

Test(engine, drain_finishes_running_tasks_and_skips_the_rest, .timeout = 30)
{
	uint64_t *executions = mmap(NULL, sizeof *executions, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rsw_objective obj = { slow_eval, NULL, executions, NULL };
	rsw_config c = config(2);
	rsw_result out[500];
	uint64_t got = 0, ok = 0, skipped = 0;
	double x[2] = { 3, 4 };
	rsw_engine *e;

	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	for (int i = 0; i < 500; i++)
		cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), 0);
	while (got == 0) {
		int k = rsw_engine_poll(e, out, 500, -1);

		cr_assert_gt(k, 0);
		got += (uint64_t)k;
	}
	rsw_engine_drain(e);
	cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), RSW_ECANCELED);
	while (got < 500) {
		int k = rsw_engine_poll(e, out + got, (uint32_t)(500 - got), -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		got += (uint64_t)k;
	}
	for (int i = 0; i < 500; i++) {
		cr_assert_eq(out[i].seq, (uint64_t)i);
		cr_assert(out[i].status == RSW_STATUS_OK ||
			  out[i].status == RSW_STATUS_SKIPPED);
		ok += out[i].status == RSW_STATUS_OK;
		skipped += out[i].status == RSW_STATUS_SKIPPED;
	}
	cr_assert_gt(skipped, 300, "queued tasks were not started");
	cr_assert_eq(ok + skipped, 500);
	cr_assert_eq(rsw_engine_pending(e), 0);
	rsw_engine_close(e);
	/* A skipped task never ran: a worker's claim of a cancelled task
	 * fails (its CAS), so each execution is one ok result. */
	cr_assert_eq(*executions, ok, "%llu executions for %llu ok results",
		     (unsigned long long)*executions, (unsigned long long)ok);
	munmap(executions, sizeof *executions);
}

Test(engine, external_worker_dead_before_it_started_fails_nothing,
     .timeout = 30)
{
	rsw_objective obj = { faulty_eval, NULL, NULL, NULL };
	rsw_config c = config(1);
	rsw_result out[300];
	rsw_engine *e;
	pid_t pid;
	int status;

	c.external_slots = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	/* A `ringsweep worker` that takes the slot and dies before it ever
	 * publishes an incarnation. */
	pid = fork();
	if (pid == 0) {
		rsw_arena a;

		if (rsw__arena_attach(&a, rsw_engine_arena_name(e), 0) != 0)
			_exit(1);
		ck_pr_cas_32(&rsw__worker_slot(&a, 1)->external_claim, 0,
			     (uint32_t)getpid());
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(WEXITSTATUS(status), 0);
	run_all(e, 300, out);
	for (int i = 0; i < 300; i++)
		cr_assert_eq(out[i].status, RSW_STATUS_OK, "seq %d: %s", i,
			     rsw_status_name(out[i].status));
	rsw_engine_close(e);
}

/* ----------------------------------------------- forged shared memory */

/* A task that waits, in its worker, for the test to open its gate (shared
 * memory set up before the engine forks): the test acts while the task is
 * known to be running.  Attempt 1 of seq 0 fails when `fail_first`. */
struct gate {
	uint32_t open[3];	/* per attempt */
	uint32_t fail_first;
};

static int
gated_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	struct gate *g = ctx;
	uint32_t a = t->attempt < 3 ? t->attempt : 2;

	int i = 0;

	/* Bounded: a test that never opens the gate fails (the attempt
	 * does), it does not hang. */
	for (; i < 20000 && !__atomic_load_n(&g->open[a], __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	if (i == 20000 || (g->fail_first && t->attempt == 1)) {
		out->error_code = 9;
		return -1;
	}
	out->value = 5;
	return 0;
}

static struct gate *
new_gate(void)
{
	struct gate *g = mmap(NULL, sizeof *g, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(g, MAP_FAILED);
	memset(g, 0, sizeof *g);
	return g;
}

static void
open_gate(struct gate *g, uint32_t attempt)
{
	__atomic_store_n(&g->open[attempt], 1, __ATOMIC_RELEASE);
}

/* Waits until seq 0 is claimed by a worker in attempt `attempt`, the
 * engine driven meanwhile (it moves only in submit and poll); returns the
 * task's state word. */
static uint64_t
claimed(rsw_engine *e, rsw_arena *a, uint32_t attempt)
{
	struct rsw_task_slot *ts = rsw__task_slot(a, 0);

	for (int i = 0; i < 20000; i++) {
		uint64_t st = ck_pr_load_64(&ts->state);

		if (RSW_STATE_OWNER(st) != 0 && ck_pr_load_32(&ts->attempt) == attempt)
			return st;
		cr_assert_eq(rsw_engine_poll(e, NULL, 0, 0), 0);
		usleep(1000);
	}
	cr_assert_fail("seq 0 was never claimed in attempt %u", attempt);
	return 0;
}

/* Publishes a result for seq 0 (attempt 1, parameters {1, 2}: what
 * run_one_gated submits) as a worker would, check included (or damaged
 * when bad_check), on the ring of the last slot: an external slot no
 * worker produces on (the rings have one producer each). */
static void
forge_result(rsw_arena *a, uint32_t epoch, double value, int bad_check)
{
	uint32_t w = a->layout.nslots - 1;
	struct ck_ring *ring = rsw__result_ring(a, w);
	uint32_t tail = ck_pr_load_uint(&ring->p_tail);
	const double params[2] = { 1, 2 };
	struct rsw_result_desc r = { .seq = 0, .epoch = epoch,
				     .status = RSW_STATUS_OK, .value = value };

	cr_assert_eq(w, 1, "forged results need config(1) plus an external slot");
	r.check = rsw__result_check(rsw__task_check(0, 0, 1, 2, params), &r, NULL,
				    NULL) + (bad_check != 0);
	cr_assert_eq(rsw__ring_put(ring, rsw__result_buf(a, w), sizeof r,
				   a->layout.result_capacity, &tail, &r), 1);
	ck_ec32_inc(&a->hdr->result_ec, &rsw__ec_mp);
}

/* A configuration with one worker and one (unused) external slot, whose
 * result ring forge_result writes. */
static rsw_config
config_forging(void)
{
	rsw_config c = config(1);

	c.external_slots = 1;
	return c;
}

static void
run_one_gated(rsw_engine *e)
{
	double x[2] = { 1, 2 };

	cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), 0);
}

static rsw_result
await_result(rsw_engine *e)
{
	rsw_result r;

	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	return r;
}

/* Opens an engine for forging (config_forging) on gate g, submits the
 * gated task 0, maps the arena into *a and waits for the task's first
 * claim; returns its state word. */
static uint64_t
gated_task_claimed(struct gate *g, rsw_engine **e, rsw_arena *a)
{
	rsw_objective obj = { gated_eval, NULL, g, NULL };
	rsw_config c = config_forging();

	cr_assert_eq(rsw_engine_open(e, &c, &obj), 0);
	run_one_gated(*e);
	cr_assert_eq(rsw__arena_attach(a, rsw_engine_arena_name(*e), 0), 0);
	return claimed(*e, a, 1);
}

/* A result for a task in flight but from another queueing (old epoch) is
 * dropped: the value committed is the worker's, not the forgery's. */
Test(engine, a_result_with_a_stale_epoch_is_dropped, .timeout = 60)
{
	struct gate *g = new_gate();
	rsw_engine *e;
	rsw_arena a;
	rsw_result r;
	uint64_t st = gated_task_claimed(g, &e, &a);

	forge_result(&a, RSW_STATE_EPOCH(st) + 7, 777, 0);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, 50), 0, "nothing to commit yet");
	open_gate(g, 1);
	r = await_result(e);
	cr_assert_eq(r.status, RSW_STATUS_OK);
	cr_assert_eq(r.value, 5, "the forged result was taken");
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* A result for the very queueing in flight whose check does not match the
 * task as the driver holds it (damaged in the arena, or computed over
 * other parameters) is refused and the task queued again at no charge;
 * the same result with its check intact is taken (nothing else tells the
 * two apart). */
Test(engine, a_result_whose_check_does_not_match_is_refused, .timeout = 60)
{
	for (int bad = 1; bad >= 0; bad--) {
		struct gate *g = new_gate();
		rsw_engine *e;
		rsw_arena a;
		rsw_result r;
		rsw_stats stats;
		uint64_t st = gated_task_claimed(g, &e, &a);

		forge_result(&a, RSW_STATE_EPOCH(st), 777, bad);
		if (bad)
			cr_assert_eq(rsw_engine_poll(e, &r, 1, 50), 0, "a bad check was taken");
		open_gate(g, 1);
		r = await_result(e);
		cr_assert_eq(r.status, RSW_STATUS_OK);
		cr_assert_eq(r.value, bad ? 5 : 777, "case bad=%d", bad);
		cr_assert_eq(r.attempts, 1, "a refused result is no attempt");
		rsw_engine_stats(e, &stats);
		cr_assert_eq(stats.rejected, (uint64_t)bad);
		rsw__arena_detach(&a);
		rsw_engine_close(e);
	}
}

/* A retried attempt runs under a new epoch: the failed attempt's epoch no
 * longer names the task, so a late result under it is dropped. */
Test(engine, a_retry_gets_a_new_epoch, .timeout = 60)
{
	struct gate *g = new_gate();
	rsw_objective obj = { gated_eval, NULL, g, NULL };
	rsw_config c = config_forging();
	rsw_engine *e;
	rsw_arena a;
	rsw_result r;
	uint64_t first, second;

	g->fail_first = 1;
	c.max_attempts = 2;
	c.retry_errors = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_one_gated(e);
	cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
	first = claimed(e, &a, 1);
	open_gate(g, 1);
	second = claimed(e, &a, 2);
	cr_assert_neq(RSW_STATE_EPOCH(second), RSW_STATE_EPOCH(first));
	forge_result(&a, RSW_STATE_EPOCH(first), 777, 0);
	open_gate(g, 2);
	r = await_result(e);
	cr_assert_eq(r.value, 5, "the old attempt's epoch was accepted");
	cr_assert_eq(r.attempts, 2);
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* A deadline kill meant for another task -- another seq, or an earlier
 * attempt of this one (another epoch) -- charges the task the worker now
 * runs nothing: it is queued again, and runs once more as attempt 1. */
Test(engine, a_timeout_record_for_another_task_charges_nothing, .timeout = 60)
{
	for (int other_seq = 0; other_seq <= 1; other_seq++) {
		struct gate *g = new_gate();
		rsw_objective obj = { gated_eval, NULL, g, NULL };
		rsw_config c = config(1);
		rsw_engine *e;
		rsw_arena a;
		rsw_result r;
		rsw_stats stats;
		uint64_t st;
		struct rsw_death_desc d = { .slot = 0, .kind = RSW_DEATH_TIMEOUT,
					    .detail = SIGKILL };

		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		run_one_gated(e);
		cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
		st = claimed(e, &a, 1);
		d.incarnation = RSW_STATE_OWNER(st);
		d.task_seq = other_seq ? 5 : 0;
		d.task_epoch = other_seq ? RSW_STATE_EPOCH(st) :
					   RSW_STATE_EPOCH(st) - 1;
		{
			/* As the supervisor would (it reports nothing else
			 * meanwhile), sealed. */
			uint32_t tail = ck_pr_load_uint(&rsw__death_ring(&a)->p_tail);

			d.check = rsw__death_check(&d);
			cr_assert_eq(rsw__ring_put(rsw__death_ring(&a), rsw__death_buf(&a),
						   sizeof d, a.layout.death_capacity,
						   &tail, &d), 1);
		}
		ck_ec32_inc(&a.hdr->result_ec, &rsw__ec_mp);
		cr_assert_eq(rsw_engine_poll(e, &r, 1, 50), 0);
		open_gate(g, 1);
		r = await_result(e);
		cr_assert_eq(r.status, RSW_STATUS_OK, "charged with %s",
			     rsw_status_name(r.status));
		cr_assert_eq(r.attempts, 1);
		rsw_engine_stats(e, &stats);
		cr_assert_eq(stats.requeued, 1);
		rsw__arena_detach(&a);
		rsw_engine_close(e);
	}
}
