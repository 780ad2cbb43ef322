/*
 * tests/test_threads.c - thread mode and the worker lifecycle: worker
 * threads see the host's live memory (processes see it as at open), are
 * named, start with every signal blocked and the stack asked for; options
 * only a process can honour are refused; worker_init and worker_fini run
 * in pairs, once per worker, in serial, thread and process mode (recycled
 * workers included), and a failed init fails a thread-mode or serial
 * open.  Results equal to process mode's for every algorithm are asserted
 * with the determinism tests (helpers.h), which run --threads too.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>

#include "helpers.h"

#define TRACKED 16 /* workers -1 .. 14 */

/* Counters in memory shared with worker processes (MAP_SHARED), so the
 * same test reads what forks did. */
struct lifecycle_counts {
	uint32_t inits[TRACKED]; /* by worker + 1: -1 is serial */
	uint32_t finis[TRACKED];
	int32_t init_tid[TRACKED];
	int32_t fini_tid[TRACKED];
	int fail_worker; /* worker_init fails for this worker; -2: none */
	int fini_before_init; /* a fini came for a worker with no init */
	uint32_t tasks_run;
	int gate_open;
};

static struct lifecycle_counts *
shared_counts(void)
{
	struct lifecycle_counts *k = shared_zeroed(sizeof *k);

	k->fail_worker = -2;
	return k;
}

static int
counting_init(void *ctx, int worker)
{
	struct lifecycle_counts *k = ctx;

	__atomic_fetch_add(&k->inits[worker + 1], 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&k->init_tid[worker + 1], (int32_t)gettid(), __ATOMIC_SEQ_CST);
	return worker == k->fail_worker ? -1 : 0;
}

static void
counting_fini(void *ctx, int worker)
{
	struct lifecycle_counts *k = ctx;

	if (__atomic_load_n(&k->inits[worker + 1], __ATOMIC_SEQ_CST) <=
	    __atomic_load_n(&k->finis[worker + 1], __ATOMIC_SEQ_CST))
		__atomic_store_n(&k->fini_before_init, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&k->fini_tid[worker + 1], (int32_t)gettid(), __ATOMIC_SEQ_CST);
	/* A tear-down that takes a while (a flush, a file closed): the
	 * worker must be let finish it, not killed half-way. */
	busy_wait_ns(20000000);
	__atomic_fetch_add(&k->finis[worker + 1], 1, __ATOMIC_SEQ_CST);
}

static int
value_is_x(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	out->value = x[0];
	return 0;
}

/* Submits n tasks and polls them all; asserts each came back OK with
 * its own value (x = its seq). */
static void
run_tasks(rsw_engine *e, int n)
{
	rsw_result r[64];
	rsw_stats st;
	int got = 0;

	rsw_engine_stats(e, &st); /* tasks are numbered on from here */
	for (int i = 0; i < n; i++) {
		double x = (double)(st.submitted + (uint64_t)i);

		cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	}
	while (got < n) {
		int k = rsw_engine_poll(e, r, 64, -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		for (int i = 0; i < k; i++) {
			cr_assert_eq(r[i].status, RSW_STATUS_OK);
			cr_assert_eq(r[i].value, (double)r[i].seq);
		}
		got += k;
	}
}

static uint32_t
total(const uint32_t *v)
{
	uint32_t s = 0;

	for (int i = 0; i < TRACKED; i++)
		s += __atomic_load_n(&v[i], __ATOMIC_SEQ_CST);
	return s;
}

Test(threads, serial_mode_calls_init_and_fini_once, .timeout = 30)
{
	struct lifecycle_counts *k = shared_counts();
	rsw_objective obj = { value_is_x, counting_init, k, counting_fini };
	rsw_config c;
	rsw_engine *e;

	rsw_config_init(&c);
	c.workers = 0;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(k->inits[0], 1, "worker_init(ctx, -1) once, at open");
	run_tasks(e, 10);
	cr_assert_eq(total(k->finis), 0, "no fini before close");
	rsw_engine_close(e);
	cr_assert_eq(k->finis[0], 1);
	cr_assert_eq(total(k->inits), 1);
	cr_assert_eq(total(k->finis), 1);
	cr_assert_eq(k->init_tid[0], (int32_t)gettid(), "in the opening thread");
	munmap(k, sizeof *k);
}

Test(threads, each_worker_thread_runs_init_then_fini_itself, .timeout = 30)
{
	struct lifecycle_counts *k = shared_counts();
	rsw_objective obj = { value_is_x, counting_init, k, counting_fini };
	rsw_config c;
	rsw_engine *e;

	rsw_config_init(&c);
	c.workers = 3;
	c.mode = RSW_MODE_THREADS;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	for (int w = 0; w < 3; w++)
		cr_assert_eq(k->inits[w + 1], 1, "worker %d's init ran before open returned", w);
	run_tasks(e, 200);
	rsw_engine_close(e);
	for (int w = 0; w < 3; w++) {
		cr_assert_eq(k->finis[w + 1], 1, "worker %d", w);
		cr_assert_eq(k->fini_tid[w + 1], k->init_tid[w + 1],
			     "worker %d: fini on the thread its init ran on", w);
		cr_assert_neq(k->init_tid[w + 1], (int32_t)gettid());
	}
	cr_assert_eq(total(k->inits), 3);
	cr_assert_eq(total(k->finis), 3);
	cr_assert_not(k->fini_before_init);
	munmap(k, sizeof *k);
}

/* Worker processes: every init has its fini, recycled workers' (between
 * tasks) and the last ones' (at close) alike. */
Test(threads, worker_processes_pair_every_init_with_a_fini, .timeout = 60)
{
	struct lifecycle_counts *k = shared_counts();
	rsw_objective obj = { value_is_x, counting_init, k, counting_fini };
	rsw_stats st;
	rsw_config c;
	rsw_engine *e;

	rsw_config_init(&c);
	c.workers = 2;
	c.recycle_after = 5;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	run_tasks(e, 40);
	rsw_engine_stats(e, &st);
	rsw_engine_close(e);
	cr_assert_geq(st.recycled, 6, "40 tasks, 5 a worker: recycled %llu",
		      (unsigned long long)st.recycled);
	cr_assert_geq(total(k->inits), 2 + st.recycled);
	cr_assert_eq(total(k->finis), total(k->inits), "%u inits, %u finis",
		     total(k->inits), total(k->finis));
	cr_assert_not(k->fini_before_init);
	munmap(k, sizeof *k);
}

Test(threads, a_failed_init_fails_a_thread_or_serial_open, .timeout = 30)
{
	for (int threads = 0; threads <= 1; threads++) {
		struct lifecycle_counts *k = shared_counts();
		rsw_objective obj = { value_is_x, counting_init, k, counting_fini };
		rsw_config c;
		rsw_engine *e;

		rsw_config_init(&c);
		c.workers = threads ? 3 : 0;
		c.mode = threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
		k->fail_worker = threads ? 1 : -1;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), RSW_EINIT);
		cr_assert_null(e);
		/* The threads whose init succeeded were stopped in order. */
		cr_assert_eq(total(k->inits), threads ? 3 : 1);
		cr_assert_eq(total(k->finis), threads ? 2 : 0);
		cr_assert_eq(k->finis[2], 0, "no fini for the failed init");
		munmap(k, sizeof *k);
	}
}

static int host_level = 1;

static int
reads_host_level(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		 rsw_eval_out *out)
{
	out->value = __atomic_load_n(&host_level, __ATOMIC_SEQ_CST);
	return 0;
}

static double
one_value(rsw_engine *e)
{
	rsw_result r;
	double x = 0;

	cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	cr_assert_eq(r.status, RSW_STATUS_OK);
	return r.value;
}

/* What a backtester gains: new data reaches thread workers without a
 * reopen; worker processes keep the memory of their fork. */
Test(threads, worker_threads_see_the_hosts_live_memory, .timeout = 30)
{
	for (int threads = 0; threads <= 1; threads++) {
		rsw_objective obj = { reads_host_level, NULL, NULL, NULL };
		rsw_config c;
		rsw_engine *e;

		__atomic_store_n(&host_level, 1, __ATOMIC_SEQ_CST);
		rsw_config_init(&c);
		c.workers = 2;
		c.mode = threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		cr_assert_eq(one_value(e), 1.0);
		__atomic_store_n(&host_level, 2, __ATOMIC_SEQ_CST);
		cr_assert_eq(one_value(e), threads ? 2.0 : 1.0, "%s",
			     threads ? "a thread sees the host's memory now" :
				       "a process sees it as at its fork");
		rsw_engine_close(e);
	}
}

/* What a worker thread is: named rsw-worker-N, every signal blocked (the
 * host's handlers run on its own threads), the stack it was given. */
static int
describes_its_thread(void *ctx, const double *x, uint32_t n,
		     const rsw_task_info *t, rsw_eval_out *out)
{
	char name[32], want[32];
	pthread_attr_t attr;
	size_t stack = 0;
	sigset_t mask;

	pthread_getname_np(pthread_self(), name, sizeof name);
	snprintf(want, sizeof want, "rsw-worker-%d", t->worker);
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &stack);
		pthread_attr_destroy(&attr);
	}
	out->nmetrics = 3;
	out->metrics[0] = strcmp(name, want) == 0;
	out->metrics[1] = sigismember(&mask, SIGINT) && sigismember(&mask, SIGTERM) &&
			  sigismember(&mask, SIGCHLD) && sigismember(&mask, SIGUSR1);
	out->metrics[2] = (double)stack;
	out->value = t->worker;
	return 0;
}

Test(threads, workers_are_named_masked_threads_with_the_stack_asked_for,
     .timeout = 30)
{
	rsw_objective obj = { describes_its_thread, NULL, NULL, NULL };
	rsw_config c;
	rsw_engine *e;
	rsw_result r;
	double x = 0;

	rsw_config_init(&c);
	c.workers = 2;
	c.mode = RSW_MODE_THREADS;
	c.max_metrics = 3;
	c.thread_stack_kb = 256;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
		cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
		cr_assert_eq(r.status, RSW_STATUS_OK);
		cr_assert_eq(r.metrics[0], 1.0, "named rsw-worker-%d", (int)r.value);
		cr_assert_eq(r.metrics[1], 1.0, "signals blocked");
		cr_assert_eq(r.metrics[2], 256.0 * 1024, "stack %g", r.metrics[2]);
	}
	rsw_engine_close(e);
}

Test(threads, options_only_a_process_can_honour_are_refused, .timeout = 30)
{
	static const char *const fields[] = { "timeout_s", "max_mem", "soft_mem",
					      "recycle_after", "external_slots",
					      "nice", "close_inherited_fds", "workers" };
	char err[256];

	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		rsw_config c;

		rsw_config_init(&c);
		c.workers = 2;
		c.mode = RSW_MODE_THREADS;
		switch (i) {
		case 0: c.timeout_s = 1; break;
		case 1: c.max_mem = 1 << 30; break;
		case 2: c.soft_mem = 1 << 30; break;
		case 3: c.recycle_after = 10; break;
		case 4: c.external_slots = 1; break;
		case 5: c.nice = 5; break;
		case 6: c.close_inherited_fds = 1; break;
		default: c.workers = 0; break;
		}
		cr_assert_eq(rsw_config_validate(&c, err, sizeof err), RSW_EINVAL,
			     "%s", fields[i]);
		cr_assert(strstr(err, fields[i]) != NULL, "%s: '%s'", fields[i], err);
		c.mode = RSW_MODE_PROCESSES;
		if (i < 7)
			cr_assert_eq(rsw_config_validate(&c, err, sizeof err), 0,
				     "%s is fine for processes: %s", fields[i], err);
	}
	{
		rsw_config c;

		rsw_config_init(&c);
		c.mode = 7;
		cr_assert_eq(rsw_config_validate(&c, err, sizeof err), RSW_EINVAL);
		cr_assert(strstr(err, "mode") != NULL, "%s", err);
		rsw_config_init(&c);
		c.thread_stack_kb = 16;
		cr_assert_eq(rsw_config_validate(&c, err, sizeof err), RSW_EINVAL);
		cr_assert(strstr(err, "thread_stack_kb") != NULL, "%s", err);
	}
}

/* The command refuses the same in its own words, before anything starts. */
Test(threads, the_command_refuses_what_threads_cannot_do, .timeout = 30)
{
	const char *timeout[] = { "run", "--objective", "sphere", "--param",
				  "x=float:0:1", "--threads", "--timeout", "1",
				  "--db", "none", NULL };
	const char *serial[] = { "run", "--objective", "sphere", "--param",
				 "x=float:0:1", "--threads", "--serial", "--db",
				 "none", NULL };
	char *text;

	cr_assert_eq(run_cli(timeout, NULL, "threads.err"), 2);
	text = slurp("threads.err");
	cr_assert(strstr(text, "--timeout needs worker processes") != NULL, "%s", text);
	free(text);
	cr_assert_eq(run_cli(serial, NULL, "threads.err"), 2);
	text = slurp("threads.err");
	cr_assert(strstr(text, "--threads and --serial") != NULL, "%s", text);
	free(text);
	unlink("threads.err");
}

struct stats_reader {
	rsw_engine *e;
	sem_t reading; /* posted after the first read */
	int stop;
	uint64_t reads;
	int inconsistent; /* a copy that went back, or committed > submitted */
};

static void *
read_stats(void *arg)
{
	struct stats_reader *r = arg;
	uint64_t last = 0;
	rsw_stats st;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t by_workers = 0;

		rsw_engine_stats(r->e, &st);
		for (uint32_t w = 0; w < st.nworkers; w++)
			by_workers += st.workers[w].tasks;
		if (st.committed < last || st.committed > st.submitted ||
		    st.nworkers != 2 || by_workers < st.committed)
			r->inconsistent = 1;
		last = st.committed;
		if (r->reads++ == 0)
			sem_post(&r->reading);
	}
	return NULL;
}

/* rsw_engine_stats from a thread that does not drive the engine: whole,
 * never older than one already read, in every mode (ASan here; the TSan
 * build runs the same in tests/tsan_sweep.c). */
Test(threads, stats_are_read_whole_from_another_thread, .timeout = 60)
{
	for (int threads = 0; threads <= 1; threads++) {
		rsw_objective obj = { value_is_x, NULL, NULL, NULL };
		struct stats_reader r = { 0 };
		pthread_t reader;
		rsw_stats st;
		rsw_config c;

		rsw_config_init(&c);
		c.workers = 2;
		c.mode = threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
		cr_assert_eq(rsw_engine_open(&r.e, &c, &obj), 0);
		cr_assert_eq(sem_init(&r.reading, 0, 0), 0);
		cr_assert_eq(pthread_create(&reader, NULL, read_stats, &r), 0);
		/* The reader is at it before the engine is driven. */
		while (sem_wait(&r.reading) != 0)
			cr_assert_eq(errno, EINTR);
		for (int round = 0; round < 50; round++)
			run_tasks(r.e, 64);
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
		pthread_join(reader, NULL);
		rsw_engine_stats(r.e, &st);
		cr_assert_eq(st.committed, 50 * 64);
		cr_assert_gt(r.reads, 0);
		cr_assert_not(r.inconsistent, "a torn or stale copy of the counters");
		rsw_engine_close(r.e);
		sem_destroy(&r.reading);
	}
}

/* Each task: counted, then held at the gate until the test opens it. */
static int
held_at_gate(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	     rsw_eval_out *out)
{
	struct lifecycle_counts *k = ctx;

	__atomic_fetch_add(&k->tasks_run, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&k->gate_open, __ATOMIC_SEQ_CST))
		sched_yield();
	out->value = x[0];
	return 0;
}

static void *
closes(void *e)
{
	rsw_engine_close(e);
	return NULL;
}

/* Close abandons what is queued: the tasks running finish (a thread cannot
 * be stopped mid-task), nothing more starts -- in thread mode (else close
 * would run the whole queue) and for worker processes (else they would
 * start tasks through their grace and be killed without worker_fini).
 * Both workers hold a task (the first of a batch) at a gate; close begins
 * on another thread; once the arena says shutdown the gate opens: exactly
 * those two ran. */
Test(threads, close_starts_nothing_more_in_either_mode, .timeout = 60)
{
	for (int threads = 0; threads <= 1; threads++) {
		struct lifecycle_counts *k = shared_counts();
		rsw_objective obj = { held_at_gate, counting_init, k, counting_fini };
		double x[1000] = { 0 };
		pthread_t closer;
		rsw_config c;
		rsw_engine *e;
		rsw_arena seen;

		rsw_config_init(&c);
		c.workers = 2;
		c.mode = threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
		c.max_batch = 8;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		cr_assert_eq(rsw__arena_attach(&seen, rsw_engine_arena_name(e), 1), 0);
		/* Quick tasks first, through an open gate: the engine learns
		 * they are short and hands them out 8 to a descriptor, so
		 * what a worker holds at close is a batch, not one task. */
		k->gate_open = 1;
		run_tasks(e, 200);
		k->gate_open = 0;
		k->tasks_run = 0;
		cr_assert_eq(rsw_engine_submit_batch(e, x, 1, 1000), 1000);
		while (__atomic_load_n(&k->tasks_run, __ATOMIC_SEQ_CST) < 2) {
			rsw_engine_poll(e, NULL, 0, 0);
			sched_yield();
		}
		cr_assert_eq(pthread_create(&closer, NULL, closes, e), 0);
		while (!ck_pr_load_32(&seen.hdr->shutdown))
			sched_yield();
		__atomic_store_n(&k->gate_open, 1, __ATOMIC_SEQ_CST);
		pthread_join(closer, NULL);
		rsw__arena_detach(&seen);
		cr_assert_eq(k->tasks_run, 2, "%s: %u of 1000 queued tasks ran",
			     threads ? "threads" : "processes", k->tasks_run);
		cr_assert_eq(total(k->finis), total(k->inits), "%s: %u inits, %u finis",
			     threads ? "threads" : "processes", total(k->inits),
			     total(k->finis));
		munmap(k, sizeof *k);
	}
}
