/*
 * tools/bench_latency.c - `ringsweep bench latency`: options, the run, and
 * the table, JSON or CSV of the results (bench/latency.c measures).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_cli.h"
#include "cli.h"
#include "latency.h"
#include "options.h"
#include "ringsweep/ringsweep.h"

struct latency_args {
	double budget_s, idle_s;
	int threads;
	struct rsw_bench_out out;
};

#define F(field) offsetof(struct latency_args, field)

static const rsw_opt options[] = {
	{ "budget", 0, RSW_OPT_REAL, 0, "SEC", F(budget_s), .rlo = 0.01,
	  .rhi = 600, .help = "round trips per row: as many as fit in SEC "
			      "(200 .. 100000; default 1)" },
	{ "idle", 0, RSW_OPT_REAL, 0, "SEC", F(idle_s), .rlo = 0.01, .rhi = 600,
	  .help = "then nothing is submitted for SEC: the idle worker's CPU "
		  "(default 0.5)" },
	{ "threads", 0, RSW_OPT_FLAG, 0, NULL, F(threads), .value = 1,
	  .help = "a worker thread instead of a worker process" },
	RSW_BENCH_FORMAT_OPTIONS(struct latency_args),
	RSW_BENCH_HELP_OPTION(struct latency_args),
};

#define NOPTIONS (sizeof options / sizeof options[0])

static const char *
idle_name(int idle)
{
	return idle == RSW_IDLE_SPIN ? "spin" : idle == RSW_IDLE_SLEEP ? "sleep" :
									  "adaptive";
}

/* The spin row of the same gap: the baseline of the ratios. */
static const rsw_latency_row *
spin_row(const rsw_latency_row *rows, int n, uint64_t gap)
{
	for (int i = 0; i < n; i++)
		if (rows[i].idle == RSW_IDLE_SPIN && rows[i].gap_ns == gap &&
		    rows[i].measured)
			return &rows[i];
	return NULL;
}

static double
vs_spin(const rsw_latency_row *rows, int n, const rsw_latency_row *r)
{
	const rsw_latency_row *s = spin_row(rows, n, r->gap_ns);

	return s != NULL ? r->lat.p50_ns / s->lat.p50_ns : NAN;
}

static void
latency_table(const rsw_latency_opts *o, const rsw_latency_row *rows, int n)
{
	printf("Task round trip after a gap of host work, one worker %s on CPU %d, "
	       "driver on CPU %d\n\n", o->mode == RSW_MODE_THREADS ? "thread" :
	       "process", 0, o->cpu_b);
	printf("%-9s %9s %8s %9s %9s %10s %9s %10s %10s\n", "idle", "gap us",
	       "trips", "p50 ns", "p99 ns", "max ns", "p50 x", "cpu busy",
	       "cpu idle");
	for (int i = 0; i < n; i++) {
		const rsw_latency_row *r = &rows[i];

		if (!r->measured) {
			printf("%-9s %9.1f %s\n", idle_name(r->idle), r->gap_ns / 1e3,
			       r->note);
			continue;
		}
		printf("%-9s %9.1f %8llu %9.0f %9.0f %10.0f %9.2f %9.1f%% %9.1f%%%s%s\n",
		       idle_name(r->idle), r->gap_ns / 1e3,
		       (unsigned long long)r->lat.count, r->lat.p50_ns,
		       r->lat.p99_ns, r->lat.max_ns, vs_spin(rows, n, r),
		       100 * r->busy_cpu, 100 * r->idle_cpu, r->note[0] ? "  " : "",
		       r->note);
	}
	printf("\np50 x: p50 over idle=spin's at the same gap (measured in this run);\n"
	       "the idle mode is the worker's and the driver's (sleep: both wake from a\n"
	       "futex);\n"
	       "cpu busy: the worker's CPU time per second while tasks came (100%% = "
	       "a core);\ncpu idle: the same over %.2f s with nothing submitted "
	       "afterwards.\n", o->idle_s);
}

static void
latency_json(const rsw_latency_opts *o, const rsw_latency_row *rows, int n)
{
	printf("{\n  \"benchmark\": \"latency\",\n");
	rsw_bench_machine_json();
	printf("  \"mode\": \"%s\", \"cpus\": [%d, %d], \"idle_s\": %g,\n  \"rows\": [\n",
	       o->mode == RSW_MODE_THREADS ? "threads" : "processes", 0,
	       o->cpu_b, o->idle_s);
	for (int i = 0; i < n; i++) {
		const rsw_latency_row *r = &rows[i];

		printf("    {\"idle\": \"%s\", \"gap_ns\": %llu, \"measured\": %s, "
		       "\"note\": \"%s\", ", idle_name(r->idle),
		       (unsigned long long)r->gap_ns, r->measured ? "true" : "false",
		       r->note);
		rsw_bench_json_num("roundtrips", r->measured ? (double)r->lat.count : NAN, ", ");
		rsw_bench_json_num("p50_ns", r->measured ? r->lat.p50_ns : NAN, ", ");
		rsw_bench_json_num("p99_ns", r->measured ? r->lat.p99_ns : NAN, ", ");
		rsw_bench_json_num("max_ns", r->measured ? r->lat.max_ns : NAN, ", ");
		rsw_bench_json_num("p50_vs_spin", r->measured ? vs_spin(rows, n, r) : NAN, ", ");
		rsw_bench_json_num("cpu_busy", r->measured ? r->busy_cpu : NAN, ", ");
		rsw_bench_json_num("cpu_idle", r->measured ? r->idle_cpu : NAN, "");
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

static void
latency_csv(const rsw_latency_row *rows, int n)
{
	printf("idle,gap_ns,roundtrips,p50_ns,p99_ns,max_ns,p50_vs_spin,cpu_busy,"
	       "cpu_idle\n");
	for (int i = 0; i < n; i++) {
		const rsw_latency_row *r = &rows[i];

		if (!r->measured) {
			printf("%s,%llu,,,,,,,\n", idle_name(r->idle),
			       (unsigned long long)r->gap_ns);
			continue;
		}
		printf("%s,%llu,%llu,%.0f,%.0f,%.0f,%.3f,%.4f,%.4f\n", idle_name(r->idle),
		       (unsigned long long)r->gap_ns, (unsigned long long)r->lat.count,
		       r->lat.p50_ns, r->lat.p99_ns, r->lat.max_ns, vs_spin(rows, n, r),
		       r->busy_cpu, r->idle_cpu);
	}
}

int
rsw_bench_latency_main(int argc, char **argv)
{
	struct latency_args a = { .budget_s = 1, .idle_s = 0.5 };
	rsw_latency_opts o = { .gaps_ns = { 0, 10000, 200000, 2000000 }, .ngaps = 4,
			       .cpu_b = 1 };
	rsw_latency_row rows[3 * RSW_LATENCY_MAX_GAPS];
	int n;

	n = rsw_opt_parse_or_help(
	    "bench latency",
	    "One task's round trip (submit -> poll) when the host computes\n"
	    "between tasks (gaps of 0, 10 us, 200 us and 2 ms of busy work),\n"
	    "with idle workers spinning, sleeping, or adaptive (the default);\n"
	    "and the worker's CPU time while tasks come and once they stop.",
	    options, NOPTIONS, argc, argv, &a, &a.out.help);
	if (n >= 0)
		return n;
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		o.cpu_b = 0;
	o.budget_s = a.budget_s;
	o.idle_s = a.idle_s;
	o.mode = a.threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
	n = rsw_bench_latency(&o, rows, (int)(sizeof rows / sizeof rows[0]));
	if (a.out.format == RSW_FMT_JSON)
		latency_json(&o, rows, n);
	else if (a.out.format == RSW_FMT_CSV)
		latency_csv(rows, n);
	else
		latency_table(&o, rows, n);
	return RSW_EXIT_OK;
}
