/*
 * bench/scaling.c - speedup of fixed-duration CPU-bound tasks through the
 * engine.
 *
 * A task is a calibrated busy loop (a dependent multiply-add chain the
 * compiler cannot remove), not a clock-polling loop: it is pure CPU work
 * that takes as long on a worker as in the serial baseline.  The serial
 * baseline runs the very same tasks in this process, so
 *   speedup    = serial time / wall time through the engine,
 *   efficiency = speedup / workers,
 *   overhead   = (wall time x workers - serial time) / tasks,
 * the engine's cost per task spread over the workers.  A second baseline
 * splits the tasks statically over plain forked processes (no IPC, no
 * balancing): vs_static = its time / the engine's shows what the engine
 * costs apart from what the hardware gives (two vCPUs that share a
 * physical core do not run two busy loops at twice the speed).
 */
#include "scaling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "ringsweep/ringsweep.h"

static double iters_per_us;

static double
busy_loop(uint64_t iters)
{
	volatile double sink;
	double x = 1.0;

	for (uint64_t i = 0; i < iters; i++)
		x = x * 1.0000001 + 1e-9;
	sink = x;
	return sink;
}

double
rsw_busy_calibrate(void)
{
	double best = 0;

	for (int round = 0; round < 5; round++) {
		uint64_t iters = 2000000, t0 = bench_now_ns();
		double rate;

		busy_loop(iters);
		rate = (double)iters / ((double)(bench_now_ns() - t0) / 1e3);
		if (rate > best)
			best = rate;
	}
	iters_per_us = best;
	return best;
}

static int
busy_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	out->value = busy_loop((uint64_t)x[0]);
	return 0;
}

int
rsw_scaling_counts(int max_workers, int *counts, int max)
{
	int n = 0;

	for (int w = 1; w < max_workers && n < max - 1; w *= 2)
		counts[n++] = w;
	counts[n++] = max_workers;
	return n;
}

static double
run_serial(uint64_t tasks, uint64_t iters)
{
	uint64_t t0 = bench_now_ns();

	for (uint64_t i = 0; i < tasks; i++)
		busy_loop(iters);
	return (double)(bench_now_ns() - t0) / 1e9;
}

/* The same tasks split evenly over `workers` forked processes that
 * share nothing: what the machine itself gives, with no engine. */
static double
run_static(int workers, uint64_t tasks, uint64_t iters)
{
	uint64_t t0 = bench_now_ns();
	pid_t pids[256];
	int n = 0;

	for (int w = 0; w < workers && w < 256; w++) {
		uint64_t mine = tasks / (uint64_t)workers +
				((uint64_t)w < tasks % (uint64_t)workers);
		pid_t pid = fork();

		if (pid == 0) {
			for (uint64_t i = 0; i < mine; i++)
				busy_loop(iters);
			_exit(0);
		}
		if (pid > 0)
			pids[n++] = pid;
	}
	for (int i = 0; i < n; i++)
		waitpid(pids[i], NULL, 0);
	return (double)(bench_now_ns() - t0) / 1e9;
}

static int
run_engine(int workers, int idle, uint64_t tasks, uint64_t iters, double *wall)
{
	rsw_objective obj = { busy_eval, NULL, NULL, NULL };
	double param = (double)iters;
	rsw_result res[256];
	rsw_config cfg;
	rsw_engine *e;
	uint64_t sent = 0, got = 0, t0;
	int rc;

	rsw_config_init(&cfg);
	cfg.workers = workers;
	cfg.idle = idle;
	cfg.max_params = 1;
	rc = rsw_engine_open(&e, &cfg, &obj);
	if (rc != 0)
		return rc;
	/* Measure the steady state: wait (bounded) until every worker has
	 * started, so process start-up is not charged to the tasks. */
	for (int tries = 0; tries < 5000; tries++) {
		struct timespec ms = { 0, 1000000 };
		rsw_stats st;
		int up = 0;

		rsw_engine_stats(e, &st);
		for (int w = 0; w < workers; w++)
			up += st.workers[w].pid > 0;
		if (up == workers)
			break;
		nanosleep(&ms, NULL);
	}
	t0 = bench_now_ns();
	while (got < tasks) {
		while (sent < tasks) {
			rc = rsw_engine_submit(e, &param, 1, NULL);
			if (rc == RSW_EAGAIN)
				break;
			if (rc != 0)
				goto out;
			sent++;
		}
		rc = rsw_engine_poll(e, res, 256, -1);
		if (rc < 0)
			goto out;
		got += (uint64_t)rc;
	}
	rc = 0;
	*wall = (double)(bench_now_ns() - t0) / 1e9;
out:
	rsw_engine_close(e);
	return rc;
}

int
rsw_bench_scaling(const rsw_scaling_opts *o, rsw_scaling_row *rows, int max_rows)
{
	int counts[RSW_SCALING_MAX_COUNTS], ncounts, n = 0;

	if (iters_per_us <= 0)
		rsw_busy_calibrate();
	ncounts = rsw_scaling_counts(o->max_workers, counts, RSW_SCALING_MAX_COUNTS);
	for (int d = 0; d < o->ndurations; d++) {
		uint64_t dur = o->durations_ns[d];
		uint64_t iters = (uint64_t)fmax(1, iters_per_us * (double)dur / 1e3);
		uint64_t tasks = (uint64_t)(o->budget_s * 1e9 / (double)dur);
		double serial;

		/* Enough tasks for every worker to get many. */
		if (tasks < 20u * (uint64_t)o->max_workers)
			tasks = 20u * (uint64_t)o->max_workers;
		serial = run_serial(tasks, iters);
		for (int c = 0; c < ncounts && n < max_rows; c++) {
			rsw_scaling_row *r = &rows[n];
			double wall = 0;
			int rc = run_engine(counts[c], o->idle, tasks, iters, &wall);

			if (rc != 0)
				return rc;
			r->duration_ns = dur;
			r->workers = counts[c];
			r->tasks = tasks;
			r->serial_s = serial;
			r->wall_s = wall;
			r->speedup = serial / wall;
			r->efficiency = r->speedup / counts[c];
			r->overhead_ns = (wall * counts[c] - serial) / (double)tasks * 1e9;
			r->static_s = run_static(counts[c], tasks, iters);
			r->vs_static = r->static_s / wall;
			n++;
		}
	}
	return n;
}
