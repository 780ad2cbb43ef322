/*
 * tests/test_faults.c - fault injection with real signals: workers
 * SIGKILLed hundreds of times mid-sweep and objectives that segfault on
 * purpose (nothing lost, nothing duplicated, values identical to a
 * fault-free run); hung tasks killed at their deadline; crash loops
 * stopped.
 */
#include <criterion/criterion.h>

#include "helpers.h"
#include "ring.h"

struct sweep {
	uint64_t n;
	rsw_result *out;
	uint64_t kills;
};

/* SIGKILLs pid through a pidfd if it has not exited yet (a worker that
 * just died keeps its pid in the table until it is reaped and replaced);
 * returns whether a live process was hit. */
static int
kill_if_alive(pid_t pid)
{
	struct pollfd p = { .fd = pidfd_of(pid), .events = POLLIN };
	int hit = 0;

	if (p.fd < 0)
		return 0;
	if (poll(&p, 1, 0) == 0)
		hit = syscall(SYS_pidfd_send_signal, p.fd, SIGKILL, NULL, 0) == 0;
	close(p.fd);
	return hit;
}

struct chaos {
	uint32_t stop;
	uint32_t kills;
	uint64_t spare_mod, spare_rem; /* tasks not to kill during: these crash */
};

/* A separate process that SIGKILLs a random worker of the arena every
 * ~2 ms (each process at most once) until told to stop: deaths land at
 * arbitrary instants of the workers' task loop, independent of how the
 * driver happens to batch its polls.  A worker running a task that is
 * about to segfault is spared: a kill landing while that one exits would
 * die as a crash, and every kill must be seen as one. */
static pid_t
start_killer(const char *arena_name, struct chaos *c)
{
	pid_t pid = fork();

	if (pid == 0) {
		pid_t last[256] = { 0 };
		uint64_t rng = 12345;
		rsw_arena a;

		if (rsw__arena_attach(&a, arena_name, 1) != 0)
			_exit(1);
		while (!ck_pr_load_32(&c->stop)) {
			struct timespec pace = { 0, 2000000 };
			uint32_t w;
			pid_t victim;

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			w = (uint32_t)((rng >> 33) % a.layout.nworkers);
			victim = (pid_t)ck_pr_load_32(&rsw__worker_slot(&a, w)->pid);
			if (c->spare_mod != 0) {
				uint64_t seq, start;
				uint32_t epoch;

				if (rsw__read_task(rsw__worker_slot(&a, w), &seq, &epoch,
						   &start) == 0 ||
				    (start != 0 && seq % c->spare_mod == c->spare_rem))
					victim = 0;
			}
			if (victim > 0 && victim != last[w] && kill_if_alive(victim)) {
				last[w] = victim;
				ck_pr_faa_32(&c->kills, 1);
			}
			nanosleep(&pace, NULL);
		}
		_exit(0);
	}
	return pid;
}

/* Submits n tasks and polls them all. */
static int
sweep(rsw_engine *e, struct sweep *s)
{
	uint64_t submitted = 0, got = 0;

	while (got < s->n) {
		int k;

		while (submitted < s->n) {
			double x[2];

			params_of_seq(submitted, x, 2);
			k = rsw_engine_submit(e, x, 2, NULL);
			if (k == RSW_EAGAIN)
				break;
			if (k != 0)
				return k;
			submitted++;
		}
		k = rsw_engine_poll(e, s->out + got, (uint32_t)(s->n - got), -1);
		if (k < 0)
			return k;
		got += (uint64_t)k;
	}
	return 0;
}

/* The configuration the tests start from: 2 workers, 2 parameters. */
static rsw_config
base_config(void)
{
	rsw_config c;

	rsw_config_init(&c);
	c.workers = 2;
	c.max_params = 2;
	return c;
}

/* Runs the sweep of s->n tasks (results into s->out, allocated here) on
 * obj through an engine configured by c; *st (unless NULL) gets the
 * engine's stats.  Returns what the sweep returned. */
static int
run_sweep(const rsw_config *c, rsw_objective *obj, struct sweep *s,
	  rsw_stats *st)
{
	rsw_engine *e;
	int rc;

	s->out = calloc(s->n, sizeof *s->out);
	cr_assert_not_null(s->out);
	cr_assert_eq(rsw_engine_open(&e, c, obj), 0);
	rc = sweep(e, s);
	if (st != NULL)
		rsw_engine_stats(e, st);
	rsw_engine_close(e);
	return rc;
}

static void
check_fault_free_values(const struct sweep *s)
{
	for (uint64_t i = 0; i < s->n; i++) {
		double x[2];

		params_of_seq(i, x, 2);
		cr_assert_eq(s->out[i].seq, i, "seq %llu out of order",
			     (unsigned long long)i);
		cr_assert_eq(s->out[i].status, RSW_STATUS_OK,
			     "seq %llu: %s after %u attempts",
			     (unsigned long long)i,
			     rsw_status_name(s->out[i].status), s->out[i].attempts);
		cr_assert_eq(s->out[i].value, expected_value(x, 2));
	}
}

Test(faults, chaos_sigkill_and_segfaults_lose_nothing, .timeout = 300)
{
	struct fault_plan plan = { .busy_ns = 40000, .crash_mod = 97,
				   .crash_rem = 13, .crash_until = 1,
				   .crash_signal = SIGSEGV };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 40000 };
	struct chaos *chaos = mmap(NULL, sizeof *chaos, PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rsw_config c = base_config();
	rsw_engine *e;
	rsw_stats st;
	pid_t killer;
	int rc;

	s.out = calloc(s.n, sizeof *s.out);
	chaos->spare_mod = plan.crash_mod;
	chaos->spare_rem = plan.crash_rem;
	c.max_attempts = 100; /* a task may be hit by several kills */
	c.crash_loop_deaths = 1000;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	killer = start_killer(rsw_engine_arena_name(e), chaos);
	cr_assert_gt(killer, 0);
	rc = sweep(e, &s);
	ck_pr_store_32(&chaos->stop, 1);
	waitpid(killer, NULL, 0);
	s.kills = chaos->kills;
	cr_assert_eq(rc, 0, "sweep: %s", rsw_strerror(rc));
	/* Kills that landed after the last result are reported too: the
	 * engine learns of deaths when it is polled, so poll (bounded) until
	 * the last ones are in. */
	for (int i = 0; i < 500; i++) {
		rsw_engine_stats(e, &st);
		if (st.killed >= s.kills)
			break;
		cr_assert_eq(rsw_engine_poll(e, NULL, 0, 10), 0);
	}
	rsw_engine_close(e);
	cr_log_info("chaos: %llu SIGKILLs sent, %llu deaths, %llu retries",
		    (unsigned long long)s.kills, (unsigned long long)st.deaths,
		    (unsigned long long)st.retries);
	cr_assert_geq(s.kills, 200, "hundreds of live workers killed");
	munmap(chaos, sizeof *chaos);
	/* Every kill seen as a kill, not hidden among the ~400 deliberate
	 * segfaults.  What remains possible is a worker that moves from a
	 * spared task to a crashing one in the microseconds between the
	 * killer's look and its kill: at most a couple. */
	cr_log_info("chaos: %llu deaths classified as external kills",
		    (unsigned long long)st.killed);
	cr_assert_leq(st.killed, s.kills, "no kill invented");
	cr_assert_geq(st.killed + 2, s.kills, "kills unreported");
	check_fault_free_values(&s);
	free(s.out);
}

Test(faults, segfault_reported_as_crash_when_out_of_attempts, .timeout = 60)
{
	struct fault_plan plan = { .crash_mod = 10, .crash_rem = 3,
				   .crash_until = 100, .crash_signal = SIGSEGV };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 100 };
	rsw_config c = base_config();

	c.max_attempts = 2;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	for (uint64_t i = 0; i < s.n; i++) {
		if (i % 10 == 3) {
			cr_assert_eq(s.out[i].status, RSW_STATUS_CRASH);
			cr_assert_eq(s.out[i].detail, SIGSEGV);
			cr_assert_eq(s.out[i].attempts, 2);
		} else {
			cr_assert_eq(s.out[i].status, RSW_STATUS_OK);
		}
	}
	free(s.out);
}

Test(faults, hung_task_is_killed_at_deadline_and_retried, .timeout = 60)
{
	/* seq % 25 == 0 hangs on its first attempt only. */
	struct fault_plan plan = { .hang_mod = 25, .hang_until = 1 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 100 };
	rsw_config c = base_config();
	rsw_stats st;

	c.max_attempts = 2;
	c.timeout_s = 0.05;
	cr_assert_eq(run_sweep(&c, &obj, &s, &st), 0);
	cr_assert_eq(st.timeouts, 4);
	cr_log_info("worst SIGKILL after a deadline: %.3f ms",
		    st.max_kill_late_ns / 1e6);
	check_fault_free_values(&s);
	for (uint64_t i = 0; i < s.n; i++)
		cr_assert_eq(s.out[i].attempts, i % 25 == 0 ? 2u : 1u);
	free(s.out);
}

Test(faults, task_hung_on_every_attempt_is_a_timeout, .timeout = 60)
{
	struct fault_plan plan = { .hang_mod = 10, .hang_until = 100 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 30 };
	rsw_config c = base_config();

	c.max_attempts = 2;
	c.timeout_s = 0.05;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0, "the sweep finishes");
	for (uint64_t i = 0; i < s.n; i++) {
		cr_assert_eq(s.out[i].status,
			     i % 10 == 0 ? RSW_STATUS_TIMEOUT : RSW_STATUS_OK);
		if (i % 10 == 0) {
			cr_assert_eq(s.out[i].attempts, 2);
			/* It ran until it was killed: at least the timeout
			 * (it was 0 before), no more than a generous bound. */
			cr_assert_geq(s.out[i].elapsed_ns, 50000000ull,
				      "seq %llu: %llu ns", (unsigned long long)i,
				      (unsigned long long)s.out[i].elapsed_ns);
			cr_assert_lt(s.out[i].elapsed_ns, 5000000000ull);
		}
	}
	free(s.out);
}

static int
failing_init(void *ctx, int worker)
{
	return -1;
}

Test(faults, worker_setup_that_always_fails_stops_as_crash_loop, .timeout = 60)
{
	rsw_objective obj = { faulty_eval, failing_init, NULL, NULL };
	struct sweep s = { .n = 10 };
	rsw_config c = base_config();
	rsw_stats st;

	c.crash_loop_deaths = 5;
	cr_assert_eq(run_sweep(&c, &obj, &s, &st), RSW_ECRASHLOOP);
	cr_assert_leq(st.deaths, 8, "restarts stop (got %llu deaths)",
		      (unsigned long long)st.deaths);
	free(s.out);
}

Test(faults, crash_on_every_task_stops_as_crash_loop, .timeout = 60)
{
	struct fault_plan plan = { .crash_mod = 1, .crash_rem = 0,
				   .crash_until = 1000, .crash_signal = SIGABRT };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 1000 };
	rsw_config c = base_config();

	c.max_attempts = 3;
	c.crash_loop_deaths = 10;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), RSW_ECRASHLOOP);
	free(s.out);
}

Test(faults, consecutive_permanent_failures_stop_as_crash_loop, .timeout = 60)
{
	/* Every task kills its worker; restarts are allowed (the death
	 * limit is high), so the failed-task limit is what stops it. */
	struct fault_plan plan = { .crash_mod = 1, .crash_rem = 0,
				   .crash_until = 1000, .crash_signal = SIGBUS };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 1000 };
	rsw_config c = base_config();
	rsw_stats st;

	c.crash_loop_deaths = 100000;
	c.crash_loop_failures = 8;
	cr_assert_eq(run_sweep(&c, &obj, &s, &st), RSW_ECRASHLOOP);
	cr_assert_eq(st.committed, 8, "stopped at the 8th failed task");
	free(s.out);
}

Test(faults, objective_errors_everywhere_are_results_not_a_crash_loop,
     .timeout = 60)
{
	struct fault_plan plan = { .error_mod = 1, .error_until = 1000 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 500 };
	rsw_config c = base_config();

	c.crash_loop_failures = 8;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	for (uint64_t i = 0; i < s.n; i++)
		cr_assert_eq(s.out[i].status, RSW_STATUS_ERROR);
	free(s.out);
}

/* Slow tasks after fast ones: the engine has learned to batch, and a batch
 * shares one epoch; each task's deadline must still run from its own
 * start. */
static int
fast_then_slow(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	       rsw_eval_out *out)
{
	if (t->seq >= 5000)
		busy_wait_ns(10000000);
	out->value = expected_value(x, n);
	return 0;
}

Test(faults, deadline_runs_from_each_task_start_inside_a_batch, .timeout = 60)
{
	rsw_objective obj = { fast_then_slow, NULL, NULL, NULL };
	struct sweep s = { .n = 5040 };
	rsw_config c = base_config();
	rsw_stats st;

	c.timeout_s = 0.05;
	cr_assert_eq(run_sweep(&c, &obj, &s, &st), 0);
	cr_assert_eq(st.timeouts, 0, "10 ms tasks under a 50 ms deadline");
	check_fault_free_values(&s);
	free(s.out);
}

Test(faults, a_worker_that_hangs_on_every_task_is_a_crash_loop, .timeout = 60)
{
	/* Every task hangs (a lock held at fork, a service that is down):
	 * killed at each deadline with nothing completed between, three
	 * kills in a row end the sweep instead of running all of it one
	 * timeout at a time. */
	struct fault_plan plan = { .hang_mod = 1, .hang_until = 100 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 200 };
	rsw_config c = base_config();
	rsw_stats st;

	c.timeout_s = 0.02;
	c.crash_loop_deaths = 3;
	c.crash_loop_failures = 1000;
	cr_assert_eq(run_sweep(&c, &obj, &s, &st), RSW_ECRASHLOOP);
	cr_assert_geq(st.timeouts, 3);
	cr_assert_lt(st.timeouts, 20, "stopped at the loop, not after the sweep");
	free(s.out);
}

Test(faults, timeouts_between_completed_tasks_are_not_a_crash_loop,
     .timeout = 60)
{
	/* Every other task hangs; one worker, so a task completes between
	 * any two kills: the deadline policy at work, never a loop. */
	struct fault_plan plan = { .hang_mod = 2, .hang_until = 100 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 20 };
	rsw_config c = base_config();

	c.workers = 1;
	c.timeout_s = 0.02;
	c.crash_loop_deaths = 2;
	c.crash_loop_failures = 1000;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	for (uint64_t i = 0; i < s.n; i++)
		cr_assert_eq(s.out[i].status,
			     i % 2 == 0 ? RSW_STATUS_TIMEOUT : RSW_STATUS_OK,
			     "seq %llu", (unsigned long long)i);
	free(s.out);
}

Test(faults, a_task_retried_after_its_own_timeouts_is_not_a_crash_loop,
     .timeout = 60)
{
	/* Both tasks hang on every attempt and are retried, 12 times each,
	 * their timeouts interleaved on two workers with nothing completed
	 * between: two poison tasks, bounded by max_attempts, not a loop of
	 * the workers (the limit is 4: twice per worker). */
	struct fault_plan plan = { .hang_mod = 1, .hang_until = 100 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 2 };
	rsw_config c = base_config();

	c.timeout_s = 0.02;
	c.max_attempts = 12;
	c.crash_loop_deaths = 3;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	for (uint64_t i = 0; i < s.n; i++) {
		cr_assert_eq(s.out[i].status, RSW_STATUS_TIMEOUT);
		cr_assert_eq(s.out[i].attempts, 12);
	}
	free(s.out);
}

Test(faults, application_ignoring_sigchld_does_not_break_supervision,
     .timeout = 60)
{
	struct fault_plan plan = { .crash_mod = 9, .crash_rem = 4,
				   .crash_until = 1, .crash_signal = SIGSEGV };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 300 };
	rsw_config c = base_config();

	signal(SIGCHLD, SIG_IGN);
	c.max_attempts = 2;
	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	check_fault_free_values(&s);
	free(s.out);
}

static int
sleeps_ms(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	struct timespec ts = { (time_t)(x[0] / 1000), (long)fmod(x[0], 1000.0) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
	out->value = x[0];
	return 0;
}

/* A worker killed between the two stores of its task's update leaves its
 * slot's generation odd ("mid-update"); the next worker in the slot must
 * not inherit that, or the supervisor never sees its task and never kills
 * it at the deadline (and, at a real-time priority, spins looking). */
Test(faults, a_slot_left_mid_update_still_keeps_deadlines, .timeout = 60)
{
	rsw_objective obj = { sleeps_ms, NULL, NULL, NULL };
	struct rsw_worker_slot *ws;
	double quick = 10, hang = 3000;
	rsw_config c;
	rsw_engine *e;
	rsw_result r;
	rsw_arena a;
	pid_t old;

	rsw_config_init(&c);
	c.workers = 1;
	c.timeout_s = 0.3;
	c.max_params = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_engine_submit(e, &quick, 1, NULL), 0);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	cr_assert_eq(r.status, RSW_STATUS_OK);
	cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
	ws = rsw__worker_slot(&a, 0);
	old = (pid_t)ck_pr_load_32(&ws->pid);
	/* As a death between publish_task's two stores leaves it. */
	ck_pr_store_32(&ws->task_gen, ck_pr_load_32(&ws->task_gen) | 1u);
	cr_assert_eq(kill(old, SIGKILL), 0);
	cr_assert_eq(rsw_engine_submit(e, &hang, 1, NULL), 0);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	/* Killed at its deadline, not left to finish (it would be ok). */
	cr_assert_eq(r.status, RSW_STATUS_TIMEOUT, "got %s", rsw_status_name(r.status));
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* A result ring's header damaged in the live arena (its producer index far
 * ahead, its mask garbage): the driver, which keeps the geometry and its
 * consumer index itself, fails the sweep with RSW_ECORRUPT -- no signal,
 * no billions of garbage entries -- and closes cleanly. */
Test(faults, a_damaged_result_ring_fails_cleanly, .timeout = 60)
{
	rsw_objective obj = { sleeps_ms, NULL, NULL, NULL };
	double quick = 1;
	rsw_config c;
	rsw_engine *e;
	rsw_result r;
	rsw_arena a;
	struct ck_ring *ring;

	for (int k = 0; k < 2; k++) {
		rsw_config_init(&c);
		c.workers = 1;
		c.max_params = 1;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		cr_assert_eq(rsw_engine_submit(e, &quick, 1, NULL), 0);
		cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
		cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
		ring = rsw__result_ring(&a, 0);
		/* The producer index just below the consumer's: 2^32 - 1
		 * entries "ready"; the second time, the mask garbage too. */
		ck_pr_store_uint(&ring->p_tail, ck_pr_load_uint(&ring->c_head) - 1);
		if (k == 1)
			ck_pr_store_uint(&ring->mask, 0xffffffffu);
		cr_assert_eq(rsw_engine_submit(e, &quick, 1, NULL), 0);
		cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), RSW_ECORRUPT, "case %d", k);
		rsw__arena_detach(&a);
		rsw_engine_close(e);
	}
}

/* ------------------------------------------------------- arena damage */

/* A separate process that writes random 8-byte words at random offsets
 * of [from, to) in the live arena every ~50 us until told to stop: what
 * a wild pointer in a worker, or anyone with write access, does. */
struct vandal {
	uint32_t stop;
	uint32_t writes;
	uint64_t from, to;
};

static pid_t
start_vandal(const char *arena_name, struct vandal *v)
{
	pid_t pid = fork();

	if (pid == 0) {
		uint64_t rng = 0x9e3779b97f4a7c15ull;
		rsw_arena a;

		if (rsw__arena_attach(&a, arena_name, 0) != 0)
			_exit(1);
		while (!ck_pr_load_32(&v->stop)) {
			struct timespec pace = { 0, 50000 };
			uint64_t off;

			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			off = (v->from + (rng >> 20) % (v->to - v->from)) & ~7ull;
			rng = rng * 6364136223846793005ull + 1442695040888963407ull;
			ck_pr_store_64((uint64_t *)rsw__at(&a, off), rng);
			ck_pr_faa_32(&v->writes, 1);
			nanosleep(&pace, NULL);
		}
		_exit(0);
	}
	return pid;
}

/* Random words written all over the task descriptors and the task slots
 * (state words, seqs, attempts, parameters) during a sweep: every value
 * committed is still the one its parameters give -- a slot that does not
 * match its check is refused by the worker unevaluated, a result whose
 * check does not match is refused by the driver, and either task runs
 * again; a task whose descriptor or state was destroyed is rescued by the
 * watchdog -- and the sweep ends (before: 2,348 of 60,000 rows with
 * foreign values, or a hang). */
/* An objective that also counts, in memory shared with the test, every
 * evaluation whose parameters are not its task's: what damage would make
 * it evaluate (and a poisoned parameter could make it run for ever). */
static int
counts_foreign_params(void *ctx, const double *x, uint32_t n,
		      const rsw_task_info *t, rsw_eval_out *out)
{
	double want[2];

	params_of_seq(t->seq, want, 2);
	if (n != 2 || x[0] != want[0] || x[1] != want[1])
		ck_pr_faa_32((uint32_t *)ctx, 1);
	busy_wait_ns(20000);
	out->value = expected_value(x, n);
	return 0;
}

Test(faults, garbage_in_descriptors_and_slots_never_commits_a_wrong_value,
     .timeout = 120)
{
	uint32_t *foreign = mmap(NULL, sizeof *foreign, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rsw_objective obj = { counts_foreign_params, NULL, foreign, NULL };
	struct sweep s = { .n = 30000 };
	struct vandal *v = mmap(NULL, sizeof *v, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rsw_config c = base_config();
	rsw_engine *e;
	rsw_arena a;
	rsw_stats st;
	pid_t vandal;
	int rc;

	cr_assert_neq(v, MAP_FAILED);
	s.out = calloc(s.n, sizeof *s.out);
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 1), 0);
	v->from = a.layout.off_task_buf;
	v->to = a.layout.off_workers;
	rsw__arena_detach(&a);
	vandal = start_vandal(rsw_engine_arena_name(e), v);
	cr_assert_gt(vandal, 0);
	rc = sweep(e, &s);
	ck_pr_store_32(&v->stop, 1);
	waitpid(vandal, NULL, 0);
	rsw_engine_stats(e, &st);
	rsw_engine_close(e);
	cr_assert_eq(rc, 0, "sweep: %s", rsw_strerror(rc));
	check_fault_free_values(&s);
	cr_log_info("%u random writes: %llu results refused, %llu tasks rescued",
		    v->writes, (unsigned long long)st.rejected,
		    (unsigned long long)st.rescued);
	cr_assert_gt(st.rejected + st.rescued, 0, "the damage went unnoticed");
	cr_assert_eq(*foreign, 0, "%u evaluations of damaged parameters", *foreign);
	free(s.out);
	munmap(v, sizeof *v);
	munmap(foreign, sizeof *foreign);
}

/* Submits tasks until the engine takes no more, so that the task ring
 * holds descriptors for the damage to hit. */
static uint64_t
fill(rsw_engine *e, uint64_t n)
{
	uint64_t i = 0;

	for (; i < n; i++) {
		double x[2];

		params_of_seq(i, x, 2);
		if (rsw_engine_submit(e, x, 2, NULL) != 0)
			break;
	}
	return i;
}

/* The task ring's shared header damaged under a live sweep -- its
 * producer index far ahead or just behind the consumers, its mask garbage,
 * the consumer index past the producer: the workers, which use their own
 * copy of the geometry, neither crash nor run garbage, and the driver
 * fails the sweep with RSW_ECORRUPT (before: a SIGSEGV in a worker, or a
 * hang). */
Test(faults, a_damaged_task_ring_fails_the_sweep_cleanly, .timeout = 120)
{
	struct fault_plan plan = { .busy_ns = 1000000 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };

	for (int k = 0; k < 4; k++) {
		rsw_config c = base_config();
		rsw_engine *e;
		rsw_arena a;
		rsw_result r[64];
		rsw_stats st;
		struct ck_ring *ring;
		int rc;

		c.max_batch = 1;
		c.max_inflight = 512;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		cr_assert_eq(fill(e, 400), 400);
		cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
		ring = rsw__task_ring(&a);
		switch (k) {
		case 0:
			ck_pr_faa_uint(&ring->p_tail, 100000);
			break;
		case 1:
			ck_pr_store_uint(&ring->p_tail, ck_pr_load_uint(&ring->c_head) - 1);
			break;
		case 2:
			ck_pr_store_uint(&ring->mask, 0xffffffffu);
			break;
		default:
			ck_pr_faa_uint(&ring->c_head, 5000);
			break;
		}
		do
			rc = rsw_engine_poll(e, r, 64, -1);
		while (rc > 0);
		rsw_engine_stats(e, &st);
		cr_assert_eq(rc, RSW_ECORRUPT, "case %d: %s", k, rsw_strerror(rc));
		cr_assert_eq(st.deaths, 0, "case %d: a worker died of the damage", k);
		rsw__arena_detach(&a);
		rsw_engine_close(e);
	}
}

/* The consumer index moved forward within the ring (indistinguishable
 * from workers taking descriptors): the tasks it skipped are in no
 * worker's hands, and the watchdog queues them again; every value is
 * right (before: the sweep waited for them for ever). */
Test(faults, tasks_skipped_by_a_moved_consumer_index_are_rescued, .timeout = 60)
{
	struct fault_plan plan = { .busy_ns = 200000 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	struct sweep s = { .n = 400 };
	rsw_config c = base_config();
	rsw_engine *e;
	rsw_arena a;
	rsw_stats st;
	uint64_t got = 0;

	c.max_batch = 1;
	c.max_inflight = 512;
	s.out = calloc(s.n, sizeof *s.out);
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(fill(e, s.n), s.n);
	cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
	/* 400 descriptors of 0.2 ms on 2 workers: ~300 are still queued. */
	ck_pr_faa_uint(&rsw__task_ring(&a)->c_head, 100);
	while (got < s.n) {
		int k = rsw_engine_poll(e, s.out + got, (uint32_t)(s.n - got), -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		got += (uint64_t)k;
	}
	rsw_engine_stats(e, &st);
	cr_assert_geq(st.rescued, 1);
	check_fault_free_values(&s);
	rsw__arena_detach(&a);
	rsw_engine_close(e);
	free(s.out);
}

/* A death record the supervisor did not seal (damaged, or forged) is not
 * acted on -- it could fail a task that is running fine -- and the sweep
 * fails with RSW_ECORRUPT. */
Test(faults, an_unsealed_death_record_fails_the_sweep, .timeout = 60)
{
	struct fault_plan plan = { .busy_ns = 1000000 };
	rsw_objective obj = { faulty_eval, NULL, &plan, NULL };
	rsw_config c = base_config();
	struct rsw_death_desc d = { .slot = 0, .kind = RSW_DEATH_SIGNAL,
				    .detail = SIGSEGV };
	rsw_engine *e;
	rsw_arena a;
	rsw_result r[64];
	uint32_t tail;
	int rc;

	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(fill(e, 100), 100);
	cr_assert_eq(rsw__arena_attach(&a, rsw_engine_arena_name(e), 0), 0);
	d.incarnation = ck_pr_load_32(&rsw__worker_slot(&a, 0)->incarnation);
	d.check = rsw__death_check(&d) ^ 1;
	tail = ck_pr_load_uint(&rsw__death_ring(&a)->p_tail);
	cr_assert_eq(rsw__ring_put(rsw__death_ring(&a), rsw__death_buf(&a), sizeof d,
				   a.layout.death_capacity, &tail, &d), 1);
	do
		rc = rsw_engine_poll(e, r, 64, -1);
	while (rc > 0);
	cr_assert_eq(rc, RSW_ECORRUPT, "%s", rsw_strerror(rc));
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* A task start time damaged in the worker's slot (with a new generation,
 * so that it reads as a task start) does not make the supervisor kill a
 * task long before its deadline: a start before its last look at the slot
 * is not believed. */
/* Opens an engine of one worker on `plan` under a deadline of timeout_s,
 * submits task 0 and waits (bounded by the test's timeout) until it runs;
 * *a is the test's own mapping of the arena.  Returns the worker's slot
 * there, *start the task's start as published. */
static struct rsw_worker_slot *
one_task_running(struct fault_plan *plan, double timeout_s, rsw_engine **e,
		 rsw_arena *a, uint64_t *start)
{
	rsw_objective obj = { faulty_eval, NULL, plan, NULL };
	rsw_config c = base_config();
	struct rsw_worker_slot *ws;
	uint64_t seq;
	uint32_t epoch;
	double x[2];

	c.workers = 1;
	c.timeout_s = timeout_s;
	params_of_seq(0, x, 2);
	cr_assert_eq(rsw_engine_open(e, &c, &obj), 0);
	cr_assert_eq(rsw_engine_submit(*e, x, 2, NULL), 0);
	cr_assert_eq(rsw__arena_attach(a, rsw_engine_arena_name(*e), 0), 0);
	ws = rsw__worker_slot(a, 0);
	*start = 0;
	while (rsw__read_task(ws, &seq, &epoch, start) == 0 || *start == 0)
		cr_assert_eq(rsw_engine_poll(*e, NULL, 0, 1), 0);
	return ws;
}

Test(faults, a_damaged_start_time_kills_nothing_early, .timeout = 60)
{
	struct fault_plan plan = { .busy_ns = 300000000 };
	rsw_engine *e;
	rsw_arena a;
	rsw_result r;
	uint64_t start;
	struct rsw_worker_slot *ws = one_task_running(&plan, 1.0, &e, &a, &start);

	/* A "new" start 10 s ago: past its deadline, if believed. */
	ck_pr_store_64(&ws->task_start_ns, start - 10000000000ull);
	ck_pr_store_32(&ws->task_gen, ck_pr_load_32(&ws->task_gen) + 2);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	cr_assert_eq(r.status, RSW_STATUS_OK, "got %s", rsw_status_name(r.status));
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* A hung task whose slot reads "mid-update" for ever (its generation made
 * odd) still dies at its deadline: a slot torn for a whole timeout is
 * killed, what it held queued again at no charge, and the next attempt's
 * deadline (on a sound slot) ends it as a timeout -- never a hang. */
Test(faults, a_slot_torn_for_ever_does_not_escape_its_deadline, .timeout = 60)
{
	struct fault_plan plan = { .hang_mod = 1, .hang_until = 100 };
	rsw_engine *e;
	rsw_arena a;
	rsw_result r;
	rsw_stats st;
	uint64_t start;
	struct rsw_worker_slot *ws = one_task_running(&plan, 0.5, &e, &a, &start);

	ck_pr_store_32(&ws->task_gen, ck_pr_load_32(&ws->task_gen) | 1u);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	cr_assert_eq(r.status, RSW_STATUS_TIMEOUT, "got %s", rsw_status_name(r.status));
	cr_assert_eq(r.attempts, 1, "the kill of the torn slot was charged");
	rsw_engine_stats(e, &st);
	cr_assert_geq(st.requeued, 1);
	rsw__arena_detach(&a);
	rsw_engine_close(e);
}

/* An objective whose process exits with the code a worker uses for "the
 * arena is damaged" (74, sysexits' EX_IOERR) is an ordinary exit of that
 * task: the supervisor believes damage only where it sees it itself, in
 * the header it validated. */
static int
exits_74_at_seq_3(void *ctx, const double *x, uint32_t n,
		  const rsw_task_info *t, rsw_eval_out *out)
{
	(void)ctx;
	if (t->seq == 3)
		_exit(74);
	out->value = expected_value(x, n);
	return 0;
}

Test(faults, an_objective_exiting_74_is_an_ordinary_exit, .timeout = 60)
{
	rsw_objective obj = { exits_74_at_seq_3, NULL, NULL, NULL };
	struct sweep s = { .n = 10 };
	rsw_config c = base_config();

	cr_assert_eq(run_sweep(&c, &obj, &s, NULL), 0);
	cr_assert_eq(s.out[3].status, RSW_STATUS_EXIT, "got %s",
		     rsw_status_name(s.out[3].status));
	cr_assert_eq(s.out[3].detail, 74);
	for (uint64_t i = 0; i < s.n; i++)
		if (i != 3)
			cr_assert_eq(s.out[i].status, RSW_STATUS_OK);
	free(s.out);
}
