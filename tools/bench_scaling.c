/*
 * tools/bench_scaling.c - `ringsweep bench scaling`: options (a table),
 * the run, and the table, JSON, CSV or plot of the results
 * (bench/scaling.c measures).
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_cli.h"
#include "cli.h"
#include "options.h"
#include "ringsweep/engine.h"
#include "scaling.h"

struct scaling_args {
	rsw_scaling_opts o;
	long long max_workers;
	int idle;	/* index in "sleep|spin|adaptive" (enum rsw_idle_mode) */
	struct rsw_bench_out out;
};

static int
parse_duration_ns(const char *s, uint64_t *out)
{
	char *end;
	double v = strtod(s, &end), mult;

	if (end == s || !(v > 0))
		return -1;
	if (strcmp(end, "ns") == 0)
		mult = 1;
	else if (strcmp(end, "us") == 0)
		mult = 1e3;
	else if (strcmp(end, "ms") == 0)
		mult = 1e6;
	else if (strcmp(end, "s") == 0)
		mult = 1e9;
	else
		return -1;
	if (v * mult < 100 || v * mult > 60e9)
		return -1;
	*out = (uint64_t)(v * mult);
	return 0;
}

static int
parse_durations(void *args, const char *list, char *err, size_t errlen)
{
	rsw_scaling_opts *o = &((struct scaling_args *)args)->o;
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	o->ndurations = 0;
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		if (o->ndurations == RSW_SCALING_MAX_DURATIONS ||
		    parse_duration_ns(t, &o->durations_ns[o->ndurations]) != 0) {
			snprintf(err, errlen, "--durations: bad duration '%s' (e.g. "
				 "10us,1ms; 100ns to 60s, at most %d)", t,
				 RSW_SCALING_MAX_DURATIONS);
			return -1;
		}
		o->ndurations++;
	}
	if (o->ndurations == 0)
		snprintf(err, errlen, "--durations needs at least one duration");
	return o->ndurations > 0 ? 0 : -1;
}

static const char *
fmt_duration(uint64_t ns, char *buf, size_t n)
{
	if (ns >= 1000000000 && ns % 1000000000 == 0)
		snprintf(buf, n, "%llus", (unsigned long long)(ns / 1000000000));
	else if (ns >= 1000000 && ns % 1000000 == 0)
		snprintf(buf, n, "%llums", (unsigned long long)(ns / 1000000));
	else if (ns >= 1000 && ns % 1000 == 0)
		snprintf(buf, n, "%lluus", (unsigned long long)(ns / 1000));
	else
		snprintf(buf, n, "%lluns", (unsigned long long)ns);
	return buf;
}

static void
scaling_table(const rsw_scaling_opts *o, const rsw_scaling_row *rows, int n,
	      double ipu)
{
	char d[32];

	printf("Scaling of CPU-bound tasks through the engine (idle=%s), "
	       "busy loop %.0f iterations/us, %d CPUs\n\n",
	       o->idle ? "spin" : "sleep", ipu, (int)sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-8s %7s %8s %9s %9s %9s %8s %10s %13s %9s\n", "task", "workers",
	       "tasks", "serial s", "static s", "wall s", "speedup", "efficiency",
	       "overhead/task", "vs static");
	for (int i = 0; i < n; i++) {
		const rsw_scaling_row *r = &rows[i];

		printf("%-8s %7d %8llu %9.3f %9.3f %9.3f %8.2f %9.1f%% %10.0f ns %8.1f%%\n",
		       fmt_duration(r->duration_ns, d, sizeof d), r->workers,
		       (unsigned long long)r->tasks, r->serial_s, r->static_s,
		       r->wall_s, r->speedup, r->efficiency * 100, r->overhead_ns,
		       r->vs_static * 100);
	}
	printf("\nspeedup = serial time of the same tasks in one process / wall "
	       "time through the engine;\nefficiency = speedup / workers; "
	       "overhead = (wall x workers - serial) / tasks;\nstatic = the "
	       "tasks split evenly over plain forked processes (no IPC);\n"
	       "vs static = static / wall: the engine against what the machine "
	       "gives that many processes.\n");
}

static void
scaling_json(const rsw_scaling_opts *o, const rsw_scaling_row *rows, int n,
	     double ipu)
{
	printf("{\n  \"benchmark\": \"scaling\",\n");
	rsw_bench_machine_json();
	printf("  \"idle\": \"%s\", \"busy_iterations_per_us\": %.1f,\n"
	       "  \"rows\": [\n", o->idle ? "spin" : "sleep", ipu);
	for (int i = 0; i < n; i++) {
		const rsw_scaling_row *r = &rows[i];

		printf("    {\"task_ns\": %llu, \"workers\": %d, \"tasks\": %llu, ",
		       (unsigned long long)r->duration_ns, r->workers,
		       (unsigned long long)r->tasks);
		printf("\"serial_s\": %.6f, \"static_s\": %.6f, \"wall_s\": %.6f, "
		       "\"speedup\": %.4f, \"efficiency\": %.4f, \"vs_static\": %.4f, ",
		       r->serial_s, r->static_s, r->wall_s, r->speedup,
		       r->efficiency, r->vs_static);
		rsw_bench_json_num("overhead_ns", r->overhead_ns, "");
		printf("}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

static void
scaling_csv(const rsw_scaling_row *rows, int n)
{
	printf("task_ns,workers,tasks,serial_s,static_s,wall_s,speedup,efficiency,"
	       "overhead_ns,vs_static\n");
	for (int i = 0; i < n; i++)
		printf("%llu,%d,%llu,%.6f,%.6f,%.6f,%.4f,%.4f,%.0f,%.4f\n",
		       (unsigned long long)rows[i].duration_ns, rows[i].workers,
		       (unsigned long long)rows[i].tasks, rows[i].serial_s,
		       rows[i].static_s, rows[i].wall_s, rows[i].speedup,
		       rows[i].efficiency, rows[i].overhead_ns, rows[i].vs_static);
}

static int
scaling_plot(const rsw_scaling_opts *o, const rsw_scaling_row *rows, int n,
	     const char *png)
{
	struct rsw_plot_job j;
	char dur[32];

	if (rsw_plot_begin(&j) != 0)
		return -1;
	/* One gnuplot data block per duration (blank-line separated). */
	for (int k = 0; k < o->ndurations; k++) {
		for (int i = 0; i < n; i++)
			if (rows[i].duration_ns == o->durations_ns[k])
				fprintf(j.data, "%d %.4f\n", rows[i].workers,
					rows[i].speedup);
		fprintf(j.data, "\n\n");
	}
	fprintf(j.script,
		"set terminal pngcairo size 900,600 noenhanced font ',11'\n"
		"set output '%s'\n"
		"set title 'ringsweep speedup vs workers (%d CPUs)'\n"
		"set xlabel 'workers'\nset ylabel 'speedup'\n"
		"set key left top\nset grid\n"
		"set xrange [0:%d]\nset yrange [0:%d]\n"
		"plot x title 'ideal' with lines dashtype 2 lc rgb 'gray'",
		png, (int)sysconf(_SC_NPROCESSORS_ONLN), o->max_workers + 1,
		o->max_workers + 1);
	for (int k = 0; k < o->ndurations; k++)
		fprintf(j.script, ", '%s' index %d using 1:2 title '%s tasks' with "
			"linespoints", j.data_path, k,
			fmt_duration(o->durations_ns[k], dur, sizeof dur));
	fprintf(j.script, "\n");
	return rsw_plot_finish(&j);
}


#define F(field) offsetof(struct scaling_args, field)

static const rsw_opt options[] = {
	{ "durations", 0, RSW_OPT_CALL, 0, "10us,100us,1ms,10ms", 0,
	  .call = parse_durations, .help = "task durations (100ns to 60s)" },
	{ "max-workers", 0, RSW_OPT_INT, 0, "N", F(max_workers), 1, 256,
	  .help = "the most workers measured (default: all CPUs)" },
	{ "budget", 0, RSW_OPT_REAL, 0, "SEC", F(o.budget_s), .rlo = 0.001,
	  .rhi = 3600, .help = "serial work per configuration (default 1)" },
	{ "idle", 0, RSW_OPT_WORD, 0, "adaptive|sleep|spin", F(idle),
	  .words = "sleep|spin|adaptive",
	  .help = "the workers' idle mode (default adaptive)" },
	RSW_BENCH_FORMAT_OPTIONS(struct scaling_args),
	RSW_BENCH_PLOT_OPTION(struct scaling_args, "a plot of the speedups"),
	RSW_BENCH_HELP_OPTION(struct scaling_args),
};

#define NOPTIONS (sizeof options / sizeof options[0])

int
rsw_bench_scaling_main(int argc, char **argv)
{
	struct scaling_args a = {
		.o = { .durations_ns = { 10000, 100000, 1000000, 10000000 },
		       .ndurations = 4, .budget_s = 1.0 },
		.max_workers = sysconf(_SC_NPROCESSORS_ONLN),
		.idle = RSW_IDLE_ADAPTIVE,
	};
	rsw_scaling_row rows[RSW_SCALING_MAX_DURATIONS * RSW_SCALING_MAX_COUNTS];
	double ipu;
	int n;

	n = rsw_opt_parse_or_help(
	    "bench scaling",
	    "Speedup and efficiency of CPU-bound tasks (a calibrated busy\n"
	    "loop) through the engine for 1, 2, 4, ... N workers, against\n"
	    "the same tasks run serially in one process and split\n"
	    "statically over N plain processes.", options, NOPTIONS, argc, argv,
	    &a, &a.out.help);
	if (n >= 0)
		return n;
	if (rsw_bench_check_plot(a.out.plot) != 0)
		return RSW_EXIT_USAGE;
	a.o.max_workers = (int)a.max_workers;
	a.o.idle = a.idle; /* the words are in enum rsw_idle_mode's order */
	ipu = rsw_busy_calibrate();
	n = rsw_bench_scaling(&a.o, rows, (int)(sizeof rows / sizeof rows[0]));
	if (n < 0) {
		rsw_cli_errorf("scaling benchmark failed: %s", rsw_strerror(n));
		return RSW_EXIT_FAILURE;
	}
	if (a.out.format == RSW_FMT_JSON)
		scaling_json(&a.o, rows, n, ipu);
	else if (a.out.format == RSW_FMT_CSV)
		scaling_csv(rows, n);
	else
		scaling_table(&a.o, rows, n, ipu);
	if (a.out.plot != NULL && scaling_plot(&a.o, rows, n, a.out.plot) != 0) {
		rsw_cli_errorf("--plot '%s': gnuplot failed", a.out.plot);
		return RSW_EXIT_FAILURE;
	}
	return RSW_EXIT_OK;
}
