/*
 * bench/latency.c - round trips with gaps (latency.h).  One worker pinned
 * to CPU 0, the driver to CPU B.  Between two tasks the driver busy-waits
 * the gap, as a backtester computes between submissions (a sleep would
 * hand its CPU back and measure the scheduler instead).  The first 10% of
 * the round trips (at least 50) are a warm-up that is never counted: an
 * adaptive worker learns the gap there.  The worker's CPU time comes from
 * the kernel's schedstat (nanoseconds) of its process, or of its thread in
 * thread mode.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "latency.h"
#include "ringsweep/ringsweep.h"

static void
busy_until(uint64_t t)
{
	while (bench_now_ns() < t)
		;
}

/* CPU time (ns) the kernel has charged to worker `id` (a pid, or a tid of
 * ours in thread mode); -1 when it cannot be read. */
static int64_t
cpu_ns(int mode, int id)
{
	char path[96];
	unsigned long long run = 0;
	FILE *f;

	if (mode == RSW_MODE_THREADS)
		snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", id);
	else
		snprintf(path, sizeof path, "/proc/%d/schedstat", id);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	if (fscanf(f, "%llu", &run) != 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return (int64_t)run;
}

/* Pins the driver to cpu_b; whether it and the worker (`id`, pinned by
 * the engine to CPU 0, best effort) are where the table says. */
static int
placed_as_said(int id, int cpu_b)
{
	cpu_set_t set;

	return bench_pin(cpu_b) == 0 && sched_getaffinity(id, sizeof set, &set) == 0 &&
	       CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set);
}

static int
worker_id(rsw_engine *e)
{
	rsw_stats st;

	rsw_engine_stats(e, &st);
	return st.workers[0].pid;
}

static void
measure(const rsw_latency_opts *o, int idle, uint64_t gap, rsw_latency_row *row)
{
	rsw_objective obj = { bench_echo_eval, NULL, NULL, NULL };
	uint64_t n = (uint64_t)(o->budget_s * 1e9 / (double)(gap + 2000));
	uint64_t warmup, t_start, t_end;
	int64_t c0, c1, c2;
	rsw_sampler s;
	rsw_config cfg;
	rsw_engine *e;
	rsw_result r;
	double x = 1;
	struct timespec pause;
	int id, rc;

	memset(row, 0, sizeof *row);
	row->idle = idle;
	row->gap_ns = gap;
	if (n < 200)
		n = 200;
	if (n > 100000)
		n = 100000;
	warmup = n / 10 > 50 ? n / 10 : 50;
	rsw_config_init(&cfg);
	cfg.workers = 1;
	cfg.idle = idle;
	cfg.mode = o->mode;
	cfg.max_params = 1;
	cfg.pin = 1; /* the worker on CPU 0 */
	if (rsw_sampler_init(&s, 0, n) != 0) /* the warm-up runs apart */
		return;
	/* Opened before the driver pins itself: the worker inherits the
	 * machine's CPUs (adaptive idle spins only where everyone has one),
	 * then pins itself to CPU 0. */
	if ((rc = rsw_engine_open(&e, &cfg, &obj)) != 0) {
		snprintf(row->note, sizeof row->note, "%s", rsw_strerror(rc));
		goto out;
	}
	/* One task first: the worker has started (and published its id). */
	if (rsw_engine_submit(e, &x, 1, NULL) != 0 || rsw_engine_poll(e, &r, 1, -1) != 1)
		goto fail;
	id = worker_id(e);
	if (!placed_as_said(id, o->cpu_b))
		snprintf(row->note, sizeof row->note,
			 "worker not alone on CPU 0 or driver not on CPU %d (a cpuset?)",
			 o->cpu_b);
	for (uint64_t i = 0; i < warmup; i++) {
		busy_until(bench_now_ns() + gap);
		if (rsw_engine_submit(e, &x, 1, NULL) != 0 ||
		    rsw_engine_poll(e, &r, 1, -1) != 1)
			goto fail;
	}
	c0 = cpu_ns(o->mode, id);
	t_start = bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		uint64_t a;

		busy_until(bench_now_ns() + gap);
		a = bench_now_ns();
		if (rsw_engine_submit(e, &x, 1, NULL) != 0 ||
		    rsw_engine_poll(e, &r, 1, -1) != 1)
			goto fail;
		rsw_sampler_add(&s, bench_now_ns() - a);
	}
	t_end = bench_now_ns();
	c1 = cpu_ns(o->mode, id);
	pause.tv_sec = (time_t)o->idle_s;
	pause.tv_nsec = (long)((o->idle_s - (double)pause.tv_sec) * 1e9);
	while (nanosleep(&pause, &pause) != 0)
		;
	c2 = cpu_ns(o->mode, id);
	if (c0 < 0 || c1 < 0 || c2 < 0) {
		snprintf(row->note, sizeof row->note, "worker CPU time unreadable");
		goto fail_quiet;
	}
	row->busy_cpu = (double)(c1 - c0) / (double)(t_end - t_start);
	row->idle_cpu = (double)(c2 - c1) / (o->idle_s * 1e9);
	rsw_engine_close(e);
	rsw_sampler_summary(&s, &row->lat);
	row->measured = 1;
	goto out;
fail:
	snprintf(row->note, sizeof row->note, "engine run failed");
fail_quiet:
	rsw_engine_close(e);
out:
	bench_unpin();
	rsw_sampler_free(&s);
}

int
rsw_bench_latency(const rsw_latency_opts *o, rsw_latency_row *rows, int max_rows)
{
	static const int modes[] = { RSW_IDLE_SPIN, RSW_IDLE_SLEEP, RSW_IDLE_ADAPTIVE };
	int n = 0;

	/* The modes of one gap one after the other: what they are compared
	 * with is measured moments apart (a VM's vCPUs move between caches
	 * that are shared and caches that are not, and the round trip with
	 * them, by 3-4x). */
	for (size_t g = 0; g < o->ngaps; g++)
		for (size_t m = 0; m < 3 && n < max_rows; m++)
			measure(o, modes[m], o->gaps_ns[g], &rows[n++]);
	return n;
}
