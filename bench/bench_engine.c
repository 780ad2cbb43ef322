/*
 * bench/bench_engine.c - end-to-end engine overhead, beside its physical
 * and classical baselines measured in the same run:
 *
 *   throughput: empty tasks/s from submit to commit (poll) for 1..N
 *               workers, default idle mode, adaptive batching on;
 *   latency:    one task's round trip (submit -> poll) p50/p99 with
 *               idle=spin and idle=sleep;
 *   baselines:  a raw cache-line ping-pong in shared memory between two
 *               pinned processes (the physical limit) and a pipe round
 *               trip between two pinned processes.
 *
 * usage: bench_engine [--tasks N] [--roundtrips N] [--max-workers N]
 */
#include <ck_pr.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "common.h"
#include "ringsweep/ringsweep.h"
#include "scaling.h"

static int
empty_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	out->value = x[0];
	return 0;
}

/* Raw cache-line ping-pong: the lower bound of any shared-memory round
 * trip between two cores. */
static double
pingpong_ns(int rounds, uint64_t *samples)
{
	volatile uint64_t *line = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	line[0] = 0;
	pid = fork();
	if (pid == 0) {
		bench_pin(1);
		for (uint64_t i = 1;; i += 2) {
			while (ck_pr_load_64((uint64_t *)&line[0]) != i)
				ck_pr_stall();
			ck_pr_store_64((uint64_t *)&line[0], i + 1);
			if (i + 1 >= (uint64_t)rounds * 2)
				_exit(0);
		}
	}
	bench_pin(0);
	for (int r = 0; r < rounds; r++) {
		uint64_t v = (uint64_t)r * 2 + 1, t0 = bench_now_ns();

		ck_pr_store_64((uint64_t *)&line[0], v);
		while (ck_pr_load_64((uint64_t *)&line[0]) != v + 1)
			ck_pr_stall();
		samples[r] = bench_now_ns() - t0;
	}
	waitpid(pid, NULL, 0);
	munmap((void *)line, 4096);
	return (double)bench_quantile(samples, (size_t)rounds, 0.5);
}

/* A ck MPMC ring there and an SPSC ring back, in shared memory between
 * two pinned processes: the cost of the rings alone, without the engine's
 * claim, slot and bookkeeping. */
struct ring_pair {
	struct rsw_ring there;
	struct rsw_task_desc there_buf[1024];
	struct rsw_ring back;
	struct rsw_task_desc back_buf[1024];
};

static double
ck_ring_rt_ns(int rounds, uint64_t *samples)
{
	struct ring_pair *rp = mmap(NULL, sizeof *rp, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct rsw_task_desc d = { 0, 1, 1 };
	pid_t pid;

	ck_ring_init(&rp->there.r, 1024);
	ck_ring_init(&rp->back.r, 1024);
	pid = fork();
	if (pid == 0) {
		bench_pin(1);
		for (int r = 0; r < rounds; r++) {
			while (!ck_ring_dequeue_mpmc_rsw_task(&rp->there.r,
							     rp->there_buf, &d))
				ck_pr_stall();
			while (!ck_ring_enqueue_spsc_rsw_task(&rp->back.r,
							     rp->back_buf, &d))
				ck_pr_stall();
		}
		_exit(0);
	}
	bench_pin(0);
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now_ns();

		d.seq_first = (uint64_t)r;
		ck_ring_enqueue_mpmc_rsw_task(&rp->there.r, rp->there_buf, &d);
		while (!ck_ring_dequeue_spsc_rsw_task(&rp->back.r, rp->back_buf, &d))
			ck_pr_stall();
		samples[r] = bench_now_ns() - t0;
	}
	waitpid(pid, NULL, 0);
	munmap(rp, sizeof *rp);
	return (double)bench_quantile(samples, (size_t)rounds, 0.5);
}

static double
pipe_rt_ns(int rounds, uint64_t *samples, double *throughput)
{
	int ab[2], ba[2];

	*throughput = 1;
	char c = 0;
	pid_t pid;
	uint64_t t_all;

	if (pipe(ab) != 0 || pipe(ba) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ab[1]);
		close(ba[0]);
		bench_pin(1);
		while (read(ab[0], &c, 1) == 1)
			if (write(ba[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	bench_pin(0);
	t_all = bench_now_ns();
	for (int r = 0; r < rounds; r++) {
		uint64_t t0 = bench_now_ns();

		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			return -1;
		samples[r] = bench_now_ns() - t0;
	}
	*throughput = rounds / ((bench_now_ns() - t_all) / 1e9);
	close(ab[1]);
	waitpid(pid, NULL, 0);
	close(ab[0]);
	close(ba[0]);
	close(ba[1]);
	return (double)bench_quantile(samples, (size_t)rounds, 0.5);
}

static double
engine_throughput(int workers, uint64_t tasks)
{
	rsw_objective obj = { empty_eval, NULL, NULL };
	rsw_result *out = malloc(4096 * sizeof *out);
	double *params = calloc(8192, sizeof(double));
	rsw_config cfg;
	rsw_engine *e;
	uint64_t submitted = 0, done = 0, t0;

	rsw_config_init(&cfg);
	cfg.workers = workers;
	cfg.max_params = 1;
	if (rsw_engine_open(&e, &cfg, &obj) != 0)
		return -1;
	t0 = bench_now_ns();
	while (done < tasks) {
		uint64_t want = tasks - submitted;
		int n;

		if (want > 8192)
			want = 8192;
		if (want > 0) {
			n = rsw_engine_submit_batch(e, params, 1, (uint32_t)want);
			if (n > 0)
				submitted += (uint64_t)n;
		}
		n = rsw_engine_poll(e, out, 4096, -1);
		if (n < 0)
			return -1;
		done += (uint64_t)n;
	}
	t0 = bench_now_ns() - t0;
	rsw_engine_close(e);
	free(out);
	free(params);
	return (double)tasks / (t0 / 1e9);
}

static int
engine_latency(int idle, int rounds, uint64_t *samples, double *p99)
{
	rsw_objective obj = { empty_eval, NULL, NULL };
	rsw_config cfg;
	rsw_engine *e;
	rsw_result r;
	double x = 1;

	rsw_config_init(&cfg);
	cfg.workers = 1;
	cfg.idle = idle;
	cfg.max_params = 1;
	cfg.pin = 1; /* worker on CPU 0, this driver on CPU 1: as the baselines */
	bench_pin(1);
	if (rsw_engine_open(&e, &cfg, &obj) != 0)
		return -1;
	for (int i = -1000; i < rounds; i++) { /* 1000 warm-up rounds */
		uint64_t t0 = bench_now_ns();

		if (rsw_engine_submit(e, &x, 1, NULL) != 0 ||
		    rsw_engine_poll(e, &r, 1, -1) != 1)
			return -1;
		if (i >= 0)
			samples[i] = bench_now_ns() - t0;
	}
	rsw_engine_close(e);
	bench_unpin();
	*p99 = (double)bench_quantile(samples, (size_t)rounds, 0.99);
	return (int)bench_quantile(samples, (size_t)rounds, 0.5);
}

int
main(int argc, char **argv)
{
	uint64_t tasks = 2000000;
	int rounds = 100000, max_workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t *samples;
	double pp, ring_p50, pipe_p50, pipe_tput = 1, p99 = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--tasks") == 0)
			tasks = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--roundtrips") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--max-workers") == 0)
			max_workers = atoi(argv[i + 1]);
	}
	samples = malloc((size_t)rounds * sizeof *samples);
	pp = pingpong_ns(rounds, samples);
	ring_p50 = ck_ring_rt_ns(rounds, samples);
	pipe_p50 = pipe_rt_ns(rounds, samples, &pipe_tput);
	bench_unpin();
	printf("baseline  cache-line ping-pong p50  %8.0f ns\n", pp);
	printf("baseline  ck MPMC ring there, SPSC back p50 %5.0f ns  = %.2fx ping-pong\n",
	       ring_p50, ring_p50 / pp);
	printf("baseline  pipe round trip      p50  %8.0f ns  (%.0f round trips/s)\n",
	       pipe_p50, pipe_tput);
	for (int idle = RSW_IDLE_SPIN; idle >= RSW_IDLE_SLEEP; idle--) {
		int p50 = engine_latency(idle, rounds, samples, &p99);

		printf("latency   task round trip idle=%-5s p50 %6d ns  p99 %8.0f ns"
		       "  = %.2fx ping-pong\n",
		       idle == RSW_IDLE_SPIN ? "spin" : "sleep", p50, p99, p50 / pp);
	}
	{
		int counts[RSW_SCALING_MAX_COUNTS];
		int n = rsw_scaling_counts(max_workers, counts, RSW_SCALING_MAX_COUNTS);

		for (int i = 0; i < n; i++) {
			double t = engine_throughput(counts[i], tasks);

			printf("throughput empty tasks, %2d worker(s): %10.0f tasks/s"
			       "  = %.1fx pipe round trips/s\n", counts[i], t,
			       t / pipe_tput);
		}
	}
	free(samples);
	return 0;
}
