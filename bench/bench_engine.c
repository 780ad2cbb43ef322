/*
 * bench/bench_engine.c - end-to-end engine overhead, beside its physical
 * and classical baselines measured in the same run:
 *
 *   throughput: empty tasks/s from submit to commit (poll) for 1..N
 *               worker processes, then threads (thread mode), default
 *               idle mode, adaptive batching on;
 *   latency:    one task's round trip (submit -> poll) p50/p99 with
 *               idle=spin and idle=sleep, worker process and thread;
 *   baselines:  a raw cache-line exchange in shared memory between two
 *               pinned processes (the physical limit), a ck ring pair,
 *               and a pipe.
 * The baselines and the latency rows are `ringsweep bench ipc`'s own
 * (bench/ipc.c, rsw_bench_ipc_one): one definition of each, so the two
 * benchmarks cannot disagree about what a baseline is.
 *
 * usage: bench_engine [--tasks N] [--roundtrips N] [--max-workers N]
 */
#include <ck_pr.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "ipc.h"
#include "ringsweep/ringsweep.h"
#include "scaling.h"

static double
engine_throughput(int workers, int mode, uint64_t tasks)
{
	rsw_objective obj = { bench_echo_eval, NULL, NULL, NULL };
	rsw_result *out = malloc(4096 * sizeof *out);
	double *params = calloc(8192, sizeof(double));
	rsw_config cfg;
	rsw_engine *e;
	uint64_t submitted = 0, done = 0, t0;

	rsw_config_init(&cfg);
	cfg.workers = workers;
	cfg.mode = mode;
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

static void
print_row(const char *what, const rsw_ipc_row *r, const rsw_ipc_row *line)
{
	if (!r->measured) {
		printf("%-34s not measured: %s\n", what, r->note);
		return;
	}
	printf("%-34s p50 %8.0f ns  p99 %8.0f ns  = %.2fx cache line\n", what,
	       r->lat.p50_ns, r->lat.p99_ns, r->lat.p50_ns / line->lat.p50_ns);
}

int
main(int argc, char **argv)
{
	uint64_t tasks = 2000000;
	int max_workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	rsw_ipc_opts o = { .roundtrips = 100000, .warmup = 10000, .stream = 200000,
			   .size = 64, .cpu_a = 0, .cpu_b = 1 };
	rsw_ipc_row line, ring, pipe_row, spin, sleep_row, tspin, tsleep;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--tasks") == 0)
			tasks = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--roundtrips") == 0)
			o.roundtrips = strtoull(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--max-workers") == 0)
			max_workers = atoi(argv[i + 1]);
	}
	rsw_bench_ipc_one("cache-line", &o, &line);
	rsw_bench_ipc_one("ck-mpmc", &o, &ring);
	rsw_bench_ipc_one("pipe", &o, &pipe_row);
	rsw_bench_ipc_one("ringsweep-spin", &o, &spin);
	rsw_bench_ipc_one("ringsweep-sleep", &o, &sleep_row);
	rsw_bench_ipc_one("threads-spin", &o, &tspin);
	rsw_bench_ipc_one("threads-sleep", &o, &tsleep);
	if (!line.measured || !pipe_row.measured) {
		fprintf(stderr, "bench_engine: the baselines could not be measured\n");
		return 1;
	}
	print_row("baseline  cache-line round trip", &line, &line);
	print_row("baseline  ck-mpmc ring round trip", &ring, &line);
	print_row("baseline  pipe round trip", &pipe_row, &line);
	print_row("latency   task round trip idle=spin", &spin, &line);
	print_row("latency   task round trip idle=sleep", &sleep_row, &line);
	print_row("latency   threads round trip idle=spin", &tspin, &line);
	print_row("latency   threads round trip idle=sleep", &tsleep, &line);
	{
		int counts[RSW_SCALING_MAX_COUNTS];
		int n = rsw_scaling_counts(max_workers, counts, RSW_SCALING_MAX_COUNTS);

		for (int mode = RSW_MODE_PROCESSES; mode <= RSW_MODE_THREADS; mode++)
			for (int i = 0; i < n; i++) {
				double t = engine_throughput(counts[i], mode, tasks);

				printf("throughput empty tasks, %2d worker %s: %10.0f "
				       "tasks/s  = %.1fx pipe messages/s\n", counts[i],
				       mode == RSW_MODE_THREADS ? "thread(s)" : "process(es)",
				       t, t / pipe_row.msgs_per_s);
			}
	}
	return 0;
}
