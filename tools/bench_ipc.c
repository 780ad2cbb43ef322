/*
 * tools/bench_ipc.c - `ringsweep bench ipc`: options (a table), the run,
 * and the table, JSON, CSV or plot of the results (bench/ipc.c measures).
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench_cli.h"
#include "cli.h"
#include "ipc.h"
#include "options.h"

struct ipc_args {
	long long roundtrips, warmup, stream, size;
	int cpu_a, cpu_b;
	const char *only;
	struct rsw_bench_out out;
};

static int
parse_cpus(void *args, const char *value, char *err, size_t errlen)
{
	struct ipc_args *a = args;
	char extra;

	if (sscanf(value, "%d,%d%c", &a->cpu_a, &a->cpu_b, &extra) == 2 &&
	    a->cpu_a >= 0 && a->cpu_b >= 0)
		return 0;
	snprintf(err, errlen, "--cpus needs A,B (two CPU numbers), got '%s'", value);
	return -1;
}

#define F(field) offsetof(struct ipc_args, field)

static const rsw_opt options[] = {
	{ "roundtrips", 0, RSW_OPT_INT, 0, "N", F(roundtrips), 1, 1000000000,
	  .help = "measured round trips (default 100000)" },
	{ "warmup", 0, RSW_OPT_INT, 0, "N", F(warmup), 0, 1000000000,
	  .help = "round trips run first, never counted (default 10000)" },
	{ "stream", 0, RSW_OPT_INT, 0, "N", F(stream), 1, 1000000000,
	  .help = "messages of the one-way throughput phase (default 200000)" },
	{ "size", 0, RSW_OPT_INT, 0, "BYTES", F(size), 8, RSW_IPC_MAX_SIZE,
	  .help = "message size (default 64)" },
	{ "cpus", 0, RSW_OPT_CALL, 0, "A,B", 0, .call = parse_cpus,
	  .help = "the two processes' CPUs (default 0,1)" },
	{ "only", 0, RSW_OPT_STRING, 0, "NAME", F(only),
	  .help = "only the transports whose name contains NAME" },
	RSW_BENCH_FORMAT_OPTIONS(struct ipc_args),
	RSW_BENCH_PLOT_OPTION(struct ipc_args, "a plot of p50 and p99"),
	RSW_BENCH_HELP_OPTION(struct ipc_args),
};

#define NOPTIONS (sizeof options / sizeof options[0])

static void
ipc_table(const rsw_ipc_opts *o, const rsw_ipc_row *rows, int n)
{
	double base = rows[0].measured ? rows[0].lat.p50_ns : NAN;
	double base_tput = rows[0].measured ? rows[0].msgs_per_s : NAN;

	printf("IPC round trip (%llu after %llu warm-up) and one-way throughput "
	       "(%llu messages), %zu-byte messages, CPUs %d and %d\n\n",
	       (unsigned long long)o->roundtrips, (unsigned long long)o->warmup,
	       (unsigned long long)o->stream, o->size, o->cpu_a, o->cpu_b);
	printf("%-16s %9s %9s %9s %9s %10s %13s %9s %9s\n", "transport", "p50 ns",
	       "p90 ns", "p99 ns", "p99.9 ns", "max ns", "msgs/s", "p50 x", "tput x");
	for (int i = 0; i < n; i++) {
		const rsw_ipc_row *r = &rows[i];

		if (!r->measured) {
			printf("%-16s %s\n", r->name, r->note);
			continue;
		}
		printf("%-16s %9.0f %9.0f %9.0f %9.0f %10.0f %13.0f %9.2f %9.3f%s%s\n",
		       r->name, r->lat.p50_ns, r->lat.p90_ns, r->lat.p99_ns,
		       r->lat.p999_ns, r->lat.max_ns, r->msgs_per_s,
		       r->lat.p50_ns / base, r->msgs_per_s / base_tput,
		       r->note[0] ? "  " : "", r->note);
	}
	printf("\np50 x: round-trip p50 over the raw cache line's (the physical "
	       "limit);\ntput x: messages/s over the raw cache line's.\n");
}

static void
ipc_json(const rsw_ipc_opts *o, const rsw_ipc_row *rows, int n)
{
	printf("{\n  \"benchmark\": \"ipc\",\n");
	rsw_bench_machine_json();
	printf("  \"size\": %zu, \"roundtrips\": %llu, \"warmup\": %llu, "
	       "\"stream\": %llu, \"cpus\": [%d, %d],\n  \"transports\": [\n",
	       o->size, (unsigned long long)o->roundtrips,
	       (unsigned long long)o->warmup, (unsigned long long)o->stream,
	       o->cpu_a, o->cpu_b);
	for (int i = 0; i < n; i++) {
		const rsw_ipc_row *r = &rows[i];

		printf("    {\"name\": \"%s\", \"measured\": %s, \"note\": \"%s\", ",
		       r->name, r->measured ? "true" : "false", r->note);
		if (r->measured) {
			rsw_bench_json_num("p50_ns", r->lat.p50_ns, ", ");
			rsw_bench_json_num("p90_ns", r->lat.p90_ns, ", ");
			rsw_bench_json_num("p99_ns", r->lat.p99_ns, ", ");
			rsw_bench_json_num("p999_ns", r->lat.p999_ns, ", ");
			rsw_bench_json_num("max_ns", r->lat.max_ns, ", ");
			rsw_bench_json_num("mean_ns", r->lat.mean_ns, ", ");
			rsw_bench_json_num("msgs_per_s", r->msgs_per_s, ", ");
			rsw_bench_json_num("p50_vs_cache_line",
				 rows[0].measured ? r->lat.p50_ns / rows[0].lat.p50_ns : NAN,
				 "");
		} else {
			printf("\"p50_ns\": null");
		}
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

static void
ipc_csv(const rsw_ipc_row *rows, int n)
{
	printf("transport,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,msgs_per_s,"
	       "p50_vs_cache_line\n");
	for (int i = 0; i < n; i++) {
		const rsw_ipc_row *r = &rows[i];

		if (!r->measured) {
			printf("%s,,,,,,,\n", r->name);
			continue;
		}
		printf("%s,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.3f\n", r->name,
		       r->lat.p50_ns, r->lat.p90_ns, r->lat.p99_ns, r->lat.p999_ns,
		       r->lat.max_ns, r->msgs_per_s,
		       rows[0].measured ? r->lat.p50_ns / rows[0].lat.p50_ns : NAN);
	}
}

static int
ipc_plot(const rsw_ipc_opts *o, const rsw_ipc_row *rows, int n, const char *png)
{
	struct rsw_plot_job j;

	if (rsw_plot_begin(&j) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (rows[i].measured)
			fprintf(j.data, "\"%s\" %.1f %.1f\n", rows[i].name,
				rows[i].lat.p50_ns / 1e3, rows[i].lat.p99_ns / 1e3);
	fprintf(j.script,
		"set terminal pngcairo size 1000,560 noenhanced font ',10'\n"
		"set output '%s'\n"
		"set title 'Round-trip latency, %zu-byte messages, two pinned processes'\n"
		"set ylabel 'microseconds (log scale)'\n"
		"set logscale y\n"
		"set style data histogram\n"
		"set style histogram cluster gap 1\n"
		"set style fill solid 0.8 border -1\n"
		"set xtics rotate by -35\n"
		"set grid ytics\n"
		"plot '%s' using 2:xtic(1) title 'p50', '' using 3 title 'p99'\n",
		png, o->size, j.data_path);
	return rsw_plot_finish(&j);
}


int
rsw_bench_ipc_main(int argc, char **argv)
{
	struct ipc_args a = { .roundtrips = 100000, .warmup = 10000,
			      .stream = 200000, .size = 64, .cpu_b = 1 };
	rsw_ipc_row rows[RSW_IPC_MAX_ROWS];
	rsw_ipc_opts o;
	int n;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		a.cpu_b = 0;
	n = rsw_opt_parse_or_help(
	    "bench ipc",
	    "Round-trip latency (p50..max) and one-way throughput of: a raw\n"
	    "cache-line mailbox (the physical limit), ck SPSC and MPMC rings,\n"
	    "futex and eventfd wake-ups, a pipe, UNIX stream and datagram\n"
	    "sockets, a POSIX message queue, and the ringsweep task path in\n"
	    "spin and sleep idle modes; between two processes pinned to CPUs\n"
	    "A and B.", options, NOPTIONS, argc, argv, &a, &a.out.help);
	if (n >= 0)
		return n;
	if (rsw_bench_check_plot(a.out.plot) != 0)
		return RSW_EXIT_USAGE;
	o = (rsw_ipc_opts){ .roundtrips = (uint64_t)a.roundtrips,
			    .warmup = (uint64_t)a.warmup,
			    .stream = (uint64_t)a.stream, .size = (size_t)a.size,
			    .cpu_a = a.cpu_a, .cpu_b = a.cpu_b, .only = a.only };
	n = rsw_bench_ipc(&o, rows, RSW_IPC_MAX_ROWS);
	if (a.out.format == RSW_FMT_JSON)
		ipc_json(&o, rows, n);
	else if (a.out.format == RSW_FMT_CSV)
		ipc_csv(rows, n);
	else
		ipc_table(&o, rows, n);
	if (a.out.plot != NULL && ipc_plot(&o, rows, n, a.out.plot) != 0) {
		rsw_cli_errorf("--plot '%s': gnuplot failed", a.out.plot);
		return RSW_EXIT_FAILURE;
	}
	return RSW_EXIT_OK;
}
