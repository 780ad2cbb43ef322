/*
 * tools/cmd_bench.c - `ringsweep bench ipc|scaling|suggest`: runs the
 * benchmarks in bench/ and prints a table (default), JSON (--json) or CSV
 * (--csv), and optionally a PNG plot through gnuplot (--plot FILE.png).
 *
 * Options are validated before anything runs; a missing gnuplot is
 * reported before measuring, not after.
 */
#include <getopt.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ipc.h"
#include "ringsweep/algorithms.h"
#include "scaling.h"
#include "store.h"
#include "suggest.h"

extern char **environ;

enum format { FMT_TABLE, FMT_JSON, FMT_CSV };

static int
have_gnuplot(void)
{
	const char *path = getenv("PATH");
	char buf[4096];

	if (path == NULL)
		path = "/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)len, p);
		if (access(buf, X_OK) == 0)
			return 1;
		p += len + (end ? 1 : 0);
	}
	return 0;
}

static int
check_plot_target(const char *png)
{
	FILE *f;

	if (png == NULL)
		return 0;
	if (!have_gnuplot()) {
		rsw_cli_errorf("--plot needs gnuplot, which is not installed "
			       "(Debian: apt-get install gnuplot-nox)");
		return -1;
	}
	f = fopen(png, "a");
	if (f == NULL) {
		rsw_cli_errorf("--plot '%s': cannot write there: %m", png);
		return -1;
	}
	fclose(f);
	return 0;
}

/* A gnuplot run: a data file and a script, both temporary. */
struct plot_job {
	char data_path[32], script_path[32];
	FILE *data, *script;
};

static int
plot_begin(struct plot_job *j)
{
	int dfd, sfd;

	snprintf(j->data_path, sizeof j->data_path, "/tmp/rsw-plot-XXXXXX");
	snprintf(j->script_path, sizeof j->script_path, "/tmp/rsw-gp-XXXXXX");
	dfd = mkstemp(j->data_path);
	sfd = mkstemp(j->script_path);
	j->data = dfd >= 0 ? fdopen(dfd, "w") : NULL;
	j->script = sfd >= 0 ? fdopen(sfd, "w") : NULL;
	if (j->data != NULL && j->script != NULL)
		return 0;
	if (j->data != NULL)
		fclose(j->data);
	if (j->script != NULL)
		fclose(j->script);
	if (dfd >= 0)
		unlink(j->data_path);
	if (sfd >= 0)
		unlink(j->script_path);
	return -1;
}

/* Closes both files, runs gnuplot on the script, removes both; returns 0
 * when gnuplot succeeded. */
static int
plot_finish(struct plot_job *j)
{
	char *argv[] = { "gnuplot", j->script_path, NULL };
	int status, rc = -1;
	pid_t pid;

	fclose(j->data);
	fclose(j->script);
	if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) == 0 &&
	    waitpid(pid, &status, 0) == pid)
		rc = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
	unlink(j->data_path);
	unlink(j->script_path);
	return rc;
}

static void
print_machine_json(void)
{
	struct utsname u;
	char model[128] = "unknown";
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			snprintf(model, sizeof model, "%s", colon + 2);
			model[strcspn(model, "\n\"\\")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	uname(&u);
	printf("  \"machine\": {\"cpus\": %ld, \"cpu\": \"%s\", \"kernel\": \"%s\"},\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.release);
}

/* JSON has no NaN: unmeasured figures become null. */
static void
json_num(const char *key, double v, const char *sep)
{
	if (isfinite(v))
		printf("\"%s\": %.1f%s", key, v, sep);
	else
		printf("\"%s\": null%s", key, sep);
}

/* ------------------------------------------------------------------ ipc */

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
	print_machine_json();
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
			json_num("p50_ns", r->lat.p50_ns, ", ");
			json_num("p90_ns", r->lat.p90_ns, ", ");
			json_num("p99_ns", r->lat.p99_ns, ", ");
			json_num("p999_ns", r->lat.p999_ns, ", ");
			json_num("max_ns", r->lat.max_ns, ", ");
			json_num("mean_ns", r->lat.mean_ns, ", ");
			json_num("msgs_per_s", r->msgs_per_s, ", ");
			json_num("p50_vs_cache_line",
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
	struct plot_job j;

	if (plot_begin(&j) != 0)
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
	return plot_finish(&j);
}

static int
parse_cpus(const char *s, int *a, int *b)
{
	char extra;

	return sscanf(s, "%d,%d%c", a, b, &extra) == 2 && *a >= 0 && *b >= 0 ? 0 : -1;
}

static int
cmd_ipc(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "roundtrips", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "stream", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'J' },
		{ "csv", no_argument, NULL, 'C' },
		{ "plot", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rsw_ipc_opts o = { .roundtrips = 100000, .warmup = 10000,
			   .stream = 200000, .size = 64, .cpu_a = 0, .cpu_b = 1 };
	rsw_ipc_row rows[RSW_IPC_MAX_ROWS];
	enum format fmt = FMT_TABLE;
	const char *png = NULL;
	long long v;
	int c, n;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		o.cpu_b = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
		case 'w':
		case 's':
			if (rsw_cli_parse_i64(optarg, c == 'w' ? 0 : 1, 1000000000, &v) != 0) {
				rsw_cli_errorf("--%s needs a %s integer, got '%s'",
					       c == 'r' ? "roundtrips" :
					       c == 'w' ? "warmup" : "stream",
					       c == 'w' ? "non-negative" : "positive", optarg);
				return RSW_EXIT_USAGE;
			}
			if (c == 'r')
				o.roundtrips = (uint64_t)v;
			else if (c == 'w')
				o.warmup = (uint64_t)v;
			else
				o.stream = (uint64_t)v;
			break;
		case 'z':
			if (rsw_cli_parse_i64(optarg, 8, RSW_IPC_MAX_SIZE, &v) != 0) {
				rsw_cli_errorf("--size must be 8 to %d bytes, got '%s'",
					       RSW_IPC_MAX_SIZE, optarg);
				return RSW_EXIT_USAGE;
			}
			o.size = (size_t)v;
			break;
		case 'c':
			if (parse_cpus(optarg, &o.cpu_a, &o.cpu_b) != 0) {
				rsw_cli_errorf("--cpus needs A,B (two CPU numbers), got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 'o':
			o.only = optarg;
			break;
		case 'J':
			fmt = FMT_JSON;
			break;
		case 'C':
			fmt = FMT_CSV;
			break;
		case 'p':
			png = optarg;
			break;
		case 'h':
			puts("usage: ringsweep bench ipc [--roundtrips N] [--warmup N] "
			     "[--stream N] [--size BYTES]\n"
			     "                           [--cpus A,B] [--only NAME] "
			     "[--json|--csv] [--plot FILE.png]\n\n"
			     "Round-trip latency (p50..max) and one-way throughput of: a raw\n"
			     "cache-line mailbox (the physical limit), ck SPSC and MPMC rings,\n"
			     "futex and eventfd wake-ups, a pipe, UNIX stream and datagram\n"
			     "sockets, a POSIX message queue, and the ringsweep task path in\n"
			     "spin and sleep idle modes; between two processes pinned to CPUs\n"
			     "A and B (default 0,1).");
			return RSW_EXIT_OK;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep bench ipc --help)",
				       argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		rsw_cli_errorf("unexpected argument '%s'", argv[optind]);
		return RSW_EXIT_USAGE;
	}
	if (check_plot_target(png) != 0)
		return RSW_EXIT_USAGE;
	n = rsw_bench_ipc(&o, rows, RSW_IPC_MAX_ROWS);
	if (fmt == FMT_JSON)
		ipc_json(&o, rows, n);
	else if (fmt == FMT_CSV)
		ipc_csv(rows, n);
	else
		ipc_table(&o, rows, n);
	if (png != NULL && ipc_plot(&o, rows, n, png) != 0) {
		rsw_cli_errorf("--plot '%s': gnuplot failed", png);
		return RSW_EXIT_FAILURE;
	}
	return RSW_EXIT_OK;
}

/* -------------------------------------------------------------- scaling */

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
parse_durations(const char *list, rsw_scaling_opts *o)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof buf, "%s", list);
	o->ndurations = 0;
	for (char *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		if (o->ndurations == RSW_SCALING_MAX_DURATIONS ||
		    parse_duration_ns(t, &o->durations_ns[o->ndurations]) != 0) {
			rsw_cli_errorf("--durations: bad duration '%s' (e.g. 10us,1ms; "
				       "100ns to 60s, at most %d)", t,
				       RSW_SCALING_MAX_DURATIONS);
			return -1;
		}
		o->ndurations++;
	}
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
	print_machine_json();
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
		json_num("overhead_ns", r->overhead_ns, "");
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
	struct plot_job j;
	char dur[32];

	if (plot_begin(&j) != 0)
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
	return plot_finish(&j);
}

static int
cmd_scaling(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "durations", required_argument, NULL, 'd' },
		{ "max-workers", required_argument, NULL, 'w' },
		{ "budget", required_argument, NULL, 'b' },
		{ "idle", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'J' },
		{ "csv", no_argument, NULL, 'C' },
		{ "plot", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rsw_scaling_opts o = { .durations_ns = { 10000, 100000, 1000000, 10000000 },
			       .ndurations = 4, .budget_s = 1.0 };
	rsw_scaling_row rows[RSW_SCALING_MAX_DURATIONS * RSW_SCALING_MAX_COUNTS];
	enum format fmt = FMT_TABLE;
	const char *png = NULL;
	long long v;
	double ipu;
	int c, n;

	o.max_workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_durations(optarg, &o) != 0)
				return RSW_EXIT_USAGE;
			break;
		case 'w':
			if (rsw_cli_parse_i64(optarg, 1, 256, &v) != 0) {
				rsw_cli_errorf("--max-workers needs 1 to 256, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			o.max_workers = (int)v;
			break;
		case 'b':
			if (rsw_cli_parse_double(optarg, 0.001, 3600, &o.budget_s) != 0) {
				rsw_cli_errorf("--budget needs seconds (0.001 to 3600), got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 'i':
			if (strcmp(optarg, "sleep") == 0)
				o.idle = RSW_IDLE_SLEEP;
			else if (strcmp(optarg, "spin") == 0)
				o.idle = RSW_IDLE_SPIN;
			else {
				rsw_cli_errorf("--idle must be sleep or spin, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 'J':
			fmt = FMT_JSON;
			break;
		case 'C':
			fmt = FMT_CSV;
			break;
		case 'p':
			png = optarg;
			break;
		case 'h':
			puts("usage: ringsweep bench scaling [--durations 10us,100us,1ms,10ms]\n"
			     "       [--max-workers N] [--budget SEC] [--idle sleep|spin]\n"
			     "       [--json|--csv] [--plot FILE.png]\n\n"
			     "Speedup and efficiency of CPU-bound tasks (a calibrated busy\n"
			     "loop) through the engine for 1, 2, 4, ... N workers (default:\n"
			     "all CPUs), against the same tasks run serially in one process.\n"
			     "--budget is the serial work per configuration (default 1 s).");
			return RSW_EXIT_OK;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep bench scaling "
				       "--help)", argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		rsw_cli_errorf("unexpected argument '%s'", argv[optind]);
		return RSW_EXIT_USAGE;
	}
	if (check_plot_target(png) != 0)
		return RSW_EXIT_USAGE;
	ipu = rsw_busy_calibrate();
	n = rsw_bench_scaling(&o, rows, (int)(sizeof rows / sizeof rows[0]));
	if (n < 0) {
		rsw_cli_errorf("scaling benchmark failed: %s", rsw_strerror(n));
		return RSW_EXIT_FAILURE;
	}
	if (fmt == FMT_JSON)
		scaling_json(&o, rows, n, ipu);
	else if (fmt == FMT_CSV)
		scaling_csv(rows, n);
	else
		scaling_table(&o, rows, n, ipu);
	if (png != NULL && scaling_plot(&o, rows, n, png) != 0) {
		rsw_cli_errorf("--plot '%s': gnuplot failed", png);
		return RSW_EXIT_FAILURE;
	}
	return RSW_EXIT_OK;
}

/* The parameters of a built-in test function of `dim` inputs on its
 * usual domain. */
static int
test_space(const char *objective, long long dim, rsw_space *s)
{
	char spec[64], err[256];

	rsw_space_init(s);
	if (strcmp(objective, "branin") == 0)
		return rsw_space_add(s, "x1=float:-5:10", err, sizeof err) |
		       rsw_space_add(s, "x2=float:0:15", err, sizeof err);
	for (long long i = 0; i < dim; i++) {
		snprintf(spec, sizeof spec, "x%lld=float:%s", i + 1,
			 strcmp(objective, "hartmann6") == 0 ? "0:1" :
			 strcmp(objective, "rastrigin") == 0 ? "-5.12:5.12" : "-5:5");
		if (rsw_space_add(s, spec, err, sizeof err) != 0)
			return -1;
	}
	return 0;
}

static int
cmd_suggest(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "algo", required_argument, NULL, 'a' },
		{ "objective", required_argument, NULL, 'o' },
		{ "dim", required_argument, NULL, 'd' },
		{ "at", required_argument, NULL, 't' },
		{ "span", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rsw_suggest_opts o = { .at = { 100, 500, 1000 }, .nat = 3, .span = 0.1 };
	rsw_suggest_row rows[RSW_SUGGEST_MAX_POINTS];
	const char *algo_name = "bayes", *objective = "hartmann6";
	const rsw_builtin_info *fn;
	rsw_loaded_objective *loaded = NULL;
	rsw_algorithm *algo = NULL;
	rsw_algo_opts ao;
	long long dim = 6, v;
	rsw_space space;
	char err[512];
	int c, n, json = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			algo_name = optarg;
			break;
		case 'o':
			objective = optarg;
			break;
		case 'd':
			if (rsw_cli_parse_i64(optarg, 1, RSW_MAX_PARAMS_LIMIT, &dim) != 0) {
				rsw_cli_errorf("--dim needs 1 to %d, got '%s'",
					       RSW_MAX_PARAMS_LIMIT, optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 't': {
			char *copy = strdup(optarg), *save = NULL;

			if (copy == NULL) {
				rsw_cli_errorf("out of memory");
				return RSW_EXIT_FAILURE;
			}
			o.nat = 0;
			for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
			     tok = strtok_r(NULL, ",", &save)) {
				if (o.nat == RSW_SUGGEST_MAX_POINTS ||
				    rsw_cli_parse_i64(tok, 1, 100000, &v) != 0) {
					rsw_cli_errorf("--at needs up to %d observation counts "
						       "from 1 to 100000, got '%s'",
						       RSW_SUGGEST_MAX_POINTS, tok);
					free(copy);
					return RSW_EXIT_USAGE;
				}
				o.at[o.nat++] = (uint64_t)v;
			}
			free(copy);
			if (o.nat == 0) {
				rsw_cli_errorf("--at needs at least one observation count");
				return RSW_EXIT_USAGE;
			}
			break;
		}
		case 's':
			if (rsw_cli_parse_double(optarg, 0, 1, &o.span) != 0) {
				rsw_cli_errorf("--span needs a fraction from 0 to 1, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 'J':
			json = 1;
			break;
		case 'h':
			puts("usage: ringsweep bench suggest [--algo bayes|random|genetic|cmaes]\n"
			     "       [--objective hartmann6|branin|rastrigin|rosenbrock|sphere]\n"
			     "       [--dim N] [--at 100,500,1000] [--span 0.1] [--json]\n\n"
			     "The time of one suggest() as the history grows: the algorithm\n"
			     "runs in this process, one result at a time, and the suggestions\n"
			     "of seqs AT .. AT + AT * SPAN are summarised for each AT (bayes\n"
			     "refits its hyperparameters once in every 10% of growth, so the\n"
			     "default span holds one refit).");
			return RSW_EXIT_OK;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep bench suggest "
				       "--help)", argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		rsw_cli_errorf("unexpected argument '%s'", argv[optind]);
		return RSW_EXIT_USAGE;
	}
	fn = rsw_builtin_find(objective);
	if (fn == NULL || (strcmp(objective, "hartmann6") != 0 &&
			   strcmp(objective, "branin") != 0 &&
			   strcmp(objective, "rastrigin") != 0 &&
			   strcmp(objective, "rosenbrock") != 0 &&
			   strcmp(objective, "sphere") != 0)) {
		rsw_cli_errorf("--objective '%s': expected hartmann6, branin, "
			       "rastrigin, rosenbrock or sphere", objective);
		return RSW_EXIT_USAGE;
	}
	if (fn->max_params > 0 && fn->max_params == fn->min_params)
		dim = fn->max_params;
	if (dim < fn->min_params) {
		rsw_cli_errorf("--objective %s needs --dim %u or more", objective,
			       fn->min_params);
		return RSW_EXIT_USAGE;
	}
	if (test_space(objective, dim, &space) != 0) {
		rsw_cli_errorf("--objective '%s': cannot build its space", objective);
		return RSW_EXIT_USAGE;
	}
	rsw_algo_opts_init(&ao);
	ao.evals = rsw_suggest_budget(&o);
	ao.seed = 1;
	n = rsw_algo_create(&algo, algo_name, &space, &ao, err, sizeof err);
	if (n != 0 && (n == RSW_ENOTFOUND || strcmp(algo_name, "grid") == 0)) {
		rsw_cli_errorf("--algo '%s': expected bayes, random, genetic or cmaes",
			       algo_name);
		rsw_algorithm_destroy(algo);
		return RSW_EXIT_USAGE;
	}
	if (n == 0) {
		rsw_objective_spec spec = { .name = objective };

		n = rsw_objective_load(&loaded, &spec, &space, err, sizeof err);
	}
	if (n != 0) {
		rsw_cli_errorf("%s", err);
		rsw_algorithm_destroy(algo);
		return RSW_EXIT_FAILURE;
	}
	n = rsw_bench_suggest(&o, algo, rsw_loaded_objective_info(loaded)->objective.eval,
			      NULL, rows);
	rsw_algorithm_destroy(algo);
	rsw_objective_unload(loaded);
	if (n < 0) {
		rsw_cli_errorf("suggest benchmark failed: %s", rsw_strerror(n));
		return RSW_EXIT_FAILURE;
	}
	if (json) {
		printf("{\n  \"benchmark\": \"suggest\",\n");
		print_machine_json();
		printf("  \"algo\": \"%s\",\n"
		       "  \"objective\": \"%s\",\n  \"dim\": %u,\n"
		       "  \"rows\": [\n", algo_name, objective, space.n);
		for (int i = 0; i < n; i++)
			printf("    {\"observations\": %llu, \"samples\": %llu, "
			       "\"median_ms\": %.6f, \"p90_ms\": %.6f, \"max_ms\": %.6f}%s\n",
			       (unsigned long long)rows[i].at,
			       (unsigned long long)rows[i].samples, rows[i].median_ms,
			       rows[i].p90_ms, rows[i].max_ms, i + 1 < n ? "," : "");
		printf("  ]\n}\n");
		return RSW_EXIT_OK;
	}
	printf("suggest() of %s on %s (%u-D), one result at a time\n", algo_name,
	       objective, space.n);
	printf("%14s %8s %12s %12s %12s\n", "observations", "samples", "median us",
	       "p90 us", "max us");
	for (int i = 0; i < n; i++)
		printf("%14llu %8llu %12.2f %12.2f %12.2f\n",
		       (unsigned long long)rows[i].at, (unsigned long long)rows[i].samples,
		       rows[i].median_ms * 1e3, rows[i].p90_ms * 1e3,
		       rows[i].max_ms * 1e3);
	return RSW_EXIT_OK;
}

static int
cmd_store(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rows", required_argument, NULL, 'r' },
		{ "dir", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long rows = 2000000;
	const char *dir = ".";
	rsw_store_bench b;
	int c, rc, json = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'r' && rsw_cli_parse_i64(optarg, 1000, 1000000000, &rows) == 0)
			continue;
		if (c == 'd') {
			dir = optarg;
		} else if (c == 'J') {
			json = 1;
		} else if (c == 'h') {
			puts("usage: ringsweep bench store [--rows N] [--dir DIR] [--json]\n\n"
			     "Rows per second into the results store, beside the same\n"
			     "rows through a plain prepared INSERT in one transaction\n"
			     "(files in DIR, default here, removed afterwards).");
			return RSW_EXIT_OK;
		} else {
			rsw_cli_errorf(c == 'r' ? "--rows needs 1000 to 1000000000, got '%s'" :
				       "unknown option '%s' (see ringsweep bench store "
				       "--help)", c == 'r' ? optarg : argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	rc = rsw_bench_store((uint64_t)rows, dir, &b);
	if (rc != 0) {
		rsw_cli_errorf("--dir '%s': %s", dir, rsw_strerror(rc));
		return RSW_EXIT_FAILURE;
	}
	if (json) {
		printf("{\n  \"benchmark\": \"store\",\n");
		print_machine_json();
		printf("  \"rows\": %llu,\n  \"store_rows_per_s\": %.0f,\n"
		       "  \"add_ns_per_row\": %.1f,\n  \"sqlite_rows_per_s\": %.0f\n}\n",
		       (unsigned long long)b.rows, b.store_rows_per_s,
		       b.add_ns_per_row, b.sqlite_rows_per_s);
		return RSW_EXIT_OK;
	}
	printf("baseline  one prepared INSERT a row, one transaction: %10.0f rows/s\n",
	       b.sqlite_rows_per_s);
	printf("store     rsw_store_add .. close (writer thread):     %10.0f rows/s"
	       "  = %.2fx baseline\n", b.store_rows_per_s,
	       b.store_rows_per_s / b.sqlite_rows_per_s);
	printf("store     what one rsw_store_add costs the committer: %10.1f ns\n",
	       b.add_ns_per_row);
	return RSW_EXIT_OK;
}

int
rsw_cmd_bench(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ipc") == 0)
		return cmd_ipc(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "scaling") == 0)
		return cmd_scaling(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "suggest") == 0)
		return cmd_suggest(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "store") == 0)
		return cmd_store(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: ringsweep bench ipc|scaling|suggest|store [OPTIONS]  "
		     "(--help for each)");
		return RSW_EXIT_OK;
	}
	rsw_cli_errorf("ringsweep bench needs 'ipc', 'scaling', 'suggest' or "
		       "'store'%s%s%s",
		       argc >= 2 ? ", got '" : "", argc >= 2 ? argv[1] : "",
		       argc >= 2 ? "'" : "");
	return RSW_EXIT_USAGE;
}
