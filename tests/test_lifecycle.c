/*
 * tests/test_lifecycle.c - processes and arenas end together: a SIGKILLed
 * supervisor is reported and takes its workers with it; a SIGKILLed driver
 * takes supervisor and workers with it and its arena is removed at the
 * next start; close leaves no process and no arena behind.
 */
#include <criterion/criterion.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

#include "helpers.h"

static int
slow_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	busy_wait_ns(2000000);
	out->value = x[0];
	return 0;
}

static void
worker_pids(rsw_engine *e, pid_t *pids, int n)
{
	/* Workers publish their pid when they start: poll for it, bounded. */
	for (int tries = 0; tries < 5000; tries++) {
		rsw_stats st;
		int have = 0;

		rsw_engine_stats(e, &st);
		for (int i = 0; i < n; i++) {
			pids[i] = st.workers[i].pid;
			have += pids[i] > 0;
		}
		if (have == n)
			return;
		rsw_engine_poll(e, NULL, 0, 0);
		usleep(1000);
	}
	cr_assert_fail("workers did not start");
}

Test(lifecycle, close_leaves_no_process_and_no_arena, .timeout = 30)
{
	rsw_objective obj = { slow_eval, NULL, NULL, NULL };
	char name[64];
	pid_t sup, pids[2];
	rsw_config c;
	rsw_engine *e;
	double x = 1;

	rsw_config_init(&c);
	c.workers = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	snprintf(name, sizeof name, "%s", rsw_engine_arena_name(e));
	sup = rsw_engine_supervisor_pid(e);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	worker_pids(e, pids, 2);
	cr_assert(shm_exists(name));
	rsw_engine_close(e);
	cr_assert_not(shm_exists(name));
	cr_assert_eq(kill(sup, 0), -1, "supervisor reaped");
	cr_assert_geq(wait_exit_ms(pids[0], 5000), 0);
	cr_assert_geq(wait_exit_ms(pids[1], 5000), 0);
}

Test(lifecycle, supervisor_killed_is_reported_and_takes_workers, .timeout = 60)
{
	rsw_objective obj = { slow_eval, NULL, NULL, NULL };
	pid_t pids[2];
	rsw_result r[16];
	rsw_config c;
	rsw_engine *e;
	double x = 1;
	char name[64];
	int rc;

	rsw_config_init(&c);
	c.workers = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	snprintf(name, sizeof name, "%s", rsw_engine_arena_name(e));
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	worker_pids(e, pids, 2);
	cr_assert_eq(kill(rsw_engine_supervisor_pid(e), SIGKILL), 0);
	do {
		rc = rsw_engine_poll(e, r, 16, 1000);
	} while (rc >= 0);
	cr_assert_eq(rc, RSW_ESUPERVISOR, "got %s", rsw_err_name(rc));
	cr_assert_geq(wait_exit_ms(pids[0], 5000), 0, "worker 0 died with it");
	cr_assert_geq(wait_exit_ms(pids[1], 5000), 0, "worker 1 died with it");
	rsw_engine_close(e);
	cr_assert_not(shm_exists(name), "arena removed");
}

#if defined(__x86_64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#ifdef THIS_AUDIT_ARCH
/* From here on, in this process and all it forks, pidfd_open and
 * pidfd_send_signal fail with ENOSYS: what valgrind 3.19 (which does not
 * know them) and kernels before 5.3 do.  A seccomp filter: the kernel's
 * own answer, nothing of ours replaced. */
static void
deny_pidfds(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_send_signal, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
	cr_assert_eq(syscall(SYS_pidfd_open, getpid(), 0), -1);
	cr_assert_eq(errno, ENOSYS);
}
#endif

/* Worker set-ups and tear-downs, counted in memory the forks share. */
struct pairs {
	uint32_t inits, finis;
};

static int
count_init(void *ctx, int worker)
{
	__atomic_fetch_add(&((struct pairs *)ctx)->inits, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static void
count_fini(void *ctx, int worker)
{
	busy_wait_ns(10000000); /* a tear-down that takes a while */
	__atomic_fetch_add(&((struct pairs *)ctx)->finis, 1, __ATOMIC_SEQ_CST);
}

static int
faulty_with_pairs(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		  rsw_eval_out *out)
{
	static const struct fault_plan plan = { .crash_mod = 7, .crash_rem = 3,
						.crash_until = 1, .crash_signal = SIGSEGV,
						.hang_mod = 11, .hang_until = 1 };

	return faulty_eval((void *)&plan, x, n, t, out);
}

/* Without pidfds the engine works as with them: deaths (crashes, deadline
 * kills) are seen through SIGCHLD and retried, close ends in order (every
 * worker_init has its worker_fini), and a supervisor that dies is
 * reported (through the control pipe) and reaped. */
Test(lifecycle, without_pidfds_deaths_timeouts_and_a_dead_supervisor_are_seen,
     .timeout = 60)
{
#ifndef THIS_AUDIT_ARCH
	cr_skip_test("no seccomp architecture constant for this CPU");
#else
	struct pairs *pairs = shared_zeroed(sizeof *pairs);
	rsw_objective obj = { faulty_with_pairs, count_init, pairs, count_fini };
	rsw_result r[64];
	pid_t sup;
	rsw_stats st;
	rsw_config c;
	rsw_engine *e;
	uint64_t got = 0;
	int rc;

	deny_pidfds();
	rsw_config_init(&c);
	c.workers = 2;
	c.max_params = 2;
	c.timeout_s = 0.05;
	c.max_attempts = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	for (uint64_t i = 0; i < 40; i++) {
		double x[2];

		params_of_seq(i, x, 2);
		cr_assert_eq(rsw_engine_submit(e, x, 2, NULL), 0);
	}
	while (got < 40) {
		int n = rsw_engine_poll(e, r, 64, -1);

		cr_assert_gt(n, 0, "poll: %s", rsw_err_name(n));
		for (int i = 0; i < n; i++) {
			double x[2];

			params_of_seq(r[i].seq, x, 2);
			cr_assert_eq(r[i].status, RSW_STATUS_OK, "seq %llu: %s",
				     (unsigned long long)r[i].seq,
				     rsw_status_name(r[i].status));
			cr_assert_eq(r[i].value, expected_value(x, 2));
		}
		got += (uint64_t)n;
	}
	rsw_engine_stats(e, &st);
	cr_assert_geq(st.timeouts, 4, "seqs 0, 11, 22, 33 hung once each");
	cr_assert_geq(st.deaths, 10, "6 crashes and 4 kills");
	rsw_engine_close(e);
	cr_assert_geq(pairs->inits, 2 + 10, "the first two and a replacement per death");
	cr_assert_eq(pairs->finis, 2, "the two that were stopped in order");

	/* A supervisor that dies is reported, not waited for. */
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	sup = rsw_engine_supervisor_pid(e);
	cr_assert_eq(kill(sup, SIGKILL), 0);
	do {
		rc = rsw_engine_poll(e, r, 64, 1000);
	} while (rc >= 0);
	cr_assert_eq(rc, RSW_ESUPERVISOR, "got %s", rsw_err_name(rc));
	cr_assert_eq(waitpid(sup, NULL, WNOHANG), -1, "the supervisor was reaped");
	cr_assert_eq(errno, ECHILD);
	rsw_engine_close(e);
	munmap(pairs, sizeof *pairs);
#endif
}

Test(lifecycle, driver_killed_takes_everything_and_arena_is_reaped, .timeout = 60)
{
	const char *argv[] = { RSW_CLI_PATH, "run", "--objective", "sleep",
			       "--param", "ms=int:20:20", "--algo", "random",
			       "--evals", "100000", "-j", "2", "-q", NULL };
	pid_t driver, sup = 0, w[2] = { 0, 0 };
	char name[128];
	long ms;

	cr_assert_eq(posix_spawn(&driver, RSW_CLI_PATH, NULL, NULL,
				 (char *const *)argv, environ), 0);
	cr_assert_eq(find_sweep_of(driver, name, sizeof name, &sup, w, 2), 0);
	cr_assert_eq(kill(driver, SIGKILL), 0);
	waitpid(driver, NULL, 0);
	ms = wait_exit_ms(sup, 5000);
	cr_assert_geq(ms, 0, "supervisor outlived its driver");
	cr_log_info("supervisor exited %ld ms after the driver's SIGKILL", ms);
	cr_assert_geq(wait_exit_ms(w[0], 5000), 0);
	cr_assert_geq(wait_exit_ms(w[1], 5000), 0);
	cr_assert(shm_exists(name), "a SIGKILLed driver leaves its arena");
	cr_assert_geq(rsw_arena_reap_stale(), 1);
	cr_assert_not(shm_exists(name), "the next start removes it");
}

/* What pid's descriptors point at (readlink of /proc/PID/fd/N), up to max
 * of them. */
static int
fd_links(pid_t pid, char (*links)[256], int max)
{
	char dir[64], path[320];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL && n < max) {
		ssize_t len;

		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		len = readlink(path, links[n], sizeof links[n] - 1);
		if (len > 0)
			links[n++][len] = '\0';
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* The pipe inodes among pid's descriptors ("pipe:[N]"). */
static int
pipe_inodes(pid_t pid, unsigned long *out, int max)
{
	char links[64][256];
	int n = fd_links(pid, links, 64), k = 0;

	for (int i = 0; i < n && k < max; i++)
		k += sscanf(links[i], "pipe:[%lu]", &out[k]) == 1;
	return k;
}

static int
holds_path(pid_t pid, const char *suffix)
{
	char links[64][256];
	int n = fd_links(pid, links, 64);

	for (int i = 0; i < n; i++)
		if (strstr(links[i], suffix) != NULL)
			return 1;
	return 0;
}

/* Two engines in one process: the second engine's supervisor (and so its
 * workers) holds nothing of the first's -- before, it inherited the first
 * one's control pipe, so closing the first waited out a 2 s grace and
 * SIGKILLed its supervisor, and its arena lock, which made a dead arena
 * look alive. */
Test(lifecycle, a_second_engine_holds_none_of_the_firsts_descriptors,
     .timeout = 30)
{
	rsw_objective obj = { slow_eval, NULL, NULL, NULL };
	unsigned long before[64], sup1[64], sup2[64], ctl1 = 0;
	int nbefore, n1, n2;
	rsw_engine *e1, *e2;
	rsw_config c;
	pid_t w2;

	rsw_config_init(&c);
	c.workers = 1;
	c.max_params = 1;
	nbefore = pipe_inodes(getpid(), before, 64);
	cr_assert_eq(rsw_engine_open(&e1, &c, &obj), 0);
	n1 = pipe_inodes(rsw_engine_supervisor_pid(e1), sup1, 64);
	/* The first engine's control pipe: the one pipe its supervisor has
	 * that this process did not have before. */
	for (int i = 0; i < n1; i++) {
		int old = 0;

		for (int j = 0; j < nbefore; j++)
			old |= before[j] == sup1[i];
		if (!old)
			ctl1 = sup1[i];
	}
	cr_assert_neq(ctl1, 0);
	cr_assert_eq(rsw_engine_open(&e2, &c, &obj), 0);
	worker_pids(e2, &w2, 1);
	n2 = pipe_inodes(rsw_engine_supervisor_pid(e2), sup2, 64);
	for (int i = 0; i < n2; i++)
		cr_assert_neq(sup2[i], ctl1, "the second supervisor holds the "
			      "first engine's control pipe");
	cr_assert_not(holds_path(rsw_engine_supervisor_pid(e2),
				 rsw_engine_arena_name(e1) + 1),
		      "the second supervisor holds the first arena's lock");
	cr_assert_not(holds_path(w2, rsw_engine_arena_name(e1) + 1));
	rsw_engine_close(e1);
	rsw_engine_close(e2);
}

/* A run a test gives up on is killed (its process group; its supervisor
 * and workers follow through PR_SET_PDEATHSIG) and its arena removed:
 * no arena of it outlives the test. */
Test(lifecycle, a_run_past_its_limit_is_killed_with_its_arena, .timeout = 60)
{
	const char *args[] = { "run", "--objective", "sleep", "--param",
			       "ms=int:30000:30000", "-j", "2", "--db", "none",
			       "-q", NULL };
	char before[64][256], after[64][256];
	int nbefore = 0, nafter = 0;
	struct dirent *de;
	DIR *d = opendir("/dev/shm");

	while (d != NULL && (de = readdir(d)) != NULL && nbefore < 64)
		if (strncmp(de->d_name, "ringsweep-", 10) == 0)
			snprintf(before[nbefore++], 256, "%s", de->d_name);
	closedir(d);
	cr_assert_eq(run_program_limited(NULL, RSW_CLI_PATH, args, NULL, NULL, 1500),
		     -1, "the run outlived its limit");
	d = opendir("/dev/shm");
	while (d != NULL && (de = readdir(d)) != NULL && nafter < 64)
		if (strncmp(de->d_name, "ringsweep-", 10) == 0)
			snprintf(after[nafter++], 256, "%s", de->d_name);
	closedir(d);
	for (int i = 0; i < nafter; i++) {
		int old = 0;
		long owner = strtol(after[i] + 10, NULL, 10);

		for (int j = 0; j < nbefore; j++)
			old |= strcmp(after[i], before[j]) == 0;
		/* Other suites running beside this one (ctest -j) have arenas
		 * of their own: only a dead owner's arena is left behind. */
		cr_assert(old || (owner > 0 && kill((pid_t)owner, 0) == 0),
			  "arena %s left behind", after[i]);
	}
}

/* A lock another thread of the host holds while the engine forks stays
 * held, for ever, in every forked worker: a worker_init that takes it
 * never returns.  The start-up watchdog kills such a worker and the engine
 * fails with RSW_ESTARTUP, closes, and leaves no process behind (before:
 * the sweep waited for ever, each restart hung again). */
static pthread_mutex_t host_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t host_lock_taken, host_lock_release;

static int
init_takes_host_lock(void *ctx, int worker)
{
	(void)ctx;
	(void)worker;
	pthread_mutex_lock(&host_lock);
	pthread_mutex_unlock(&host_lock);
	return 0;
}

static void *
hold_host_lock(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&host_lock);
	sem_post(&host_lock_taken);
	/* Held until the test lets it go (after the engine forked). */
	while (sem_wait(&host_lock_release) != 0)
		;
	pthread_mutex_unlock(&host_lock);
	return NULL;
}

Test(lifecycle, a_worker_hung_at_start_up_fails_the_engine, .timeout = 60)
{
	rsw_objective obj = { slow_eval, init_takes_host_lock, NULL, NULL };
	rsw_config c;
	rsw_engine *e;
	rsw_result r;
	pthread_t holder;
	pid_t sup;
	int rc;
	double x = 1;

	cr_assert_eq(sem_init(&host_lock_taken, 0, 0), 0);
	cr_assert_eq(sem_init(&host_lock_release, 0, 0), 0);
	cr_assert_eq(pthread_create(&holder, NULL, hold_host_lock, NULL), 0);
	while (sem_wait(&host_lock_taken) != 0)
		;
	rsw_config_init(&c);
	c.workers = 1;
	c.max_params = 1;
	c.startup_timeout_s = 0.5;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	sup = rsw_engine_supervisor_pid(e);
	cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	rc = rsw_engine_poll(e, &r, 1, 20000);
	cr_assert_eq(rc, RSW_ESTARTUP, "got %d (%s)", rc, rsw_strerror(rc));
	rsw_engine_close(e);
	cr_assert_geq(wait_exit_ms(sup, 5000), 0, "the supervisor outlived close");
	sem_post(&host_lock_release);
	pthread_join(holder, NULL);
}

/* The host's descriptors reach workers by fork; close_inherited_fds
 * closes them there, except the ones the host lists in keep_fds.  The
 * objective reports which of a pipe's two ends it still has. */
static int
reports_open_ends(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		  rsw_eval_out *out)
{
	const int *ends = ctx;

	(void)x;
	(void)n;
	(void)t;
	out->value = (fcntl(ends[0], F_GETFD) != -1) + 2 * (fcntl(ends[1], F_GETFD) != -1);
	return 0;
}

Test(lifecycle, workers_close_inherited_descriptors_but_the_kept_ones, .timeout = 30)
{
	int ends[2];

	cr_assert_eq(pipe(ends), 0); /* no O_CLOEXEC: a fork inherits both */
	for (int closing = 0; closing <= 1; closing++) {
		rsw_objective obj = { reports_open_ends, NULL, ends, NULL };
		rsw_config c;
		rsw_engine *e;
		rsw_result r;
		double x = 1;

		rsw_config_init(&c);
		c.workers = 1;
		c.max_params = 1;
		c.close_inherited_fds = closing;
		c.keep_fds = &ends[1];
		c.nkeep_fds = 1;
		cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
		cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
		cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
		cr_assert_eq(r.status, RSW_STATUS_OK);
		/* Both ends without the option; only the kept one with it. */
		cr_assert_eq(r.value, closing ? 2 : 3, "closing=%d: ends open %g",
			     closing, r.value);
		rsw_engine_close(e);
	}
	close(ends[0]);
	close(ends[1]);
}
