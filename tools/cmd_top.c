/*
 * tools/cmd_top.c - `ringsweep top [ARENA]`: watch a running sweep.
 *
 * Without a name it lists the live sweeps of this user.  With one it
 * attaches read-only through the inspection API (ringsweep/inspect.h:
 * validated like any attach, nothing is ever written) and redraws the
 * per-worker table: state, the task running and for how long, tasks,
 * failures and restarts as the driver counts them (the same figures as
 * the final summary), resident memory.  It ends when the sweep does.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static int
list_one(void *ctx, const rsw_arena_view *v)
{
	(void)ctx;
	printf("%-44s %8d %8u %-12.12s %12llu\n", v->name, v->driver_pid,
	       v->nworkers, v->objective[0] ? v->objective : "-",
	       (unsigned long long)v->committed);
	return 0;
}

static int
list_sweeps(void)
{
	printf("%-44s %8s %8s %-12s %12s\n", "arena", "driver", "workers",
	       "objective", "committed");
	if (rsw_inspect_list(list_one, NULL) == 0)
		printf("(no running sweep)\n");
	return RSW_EXIT_OK;
}

/* Draws one table; returns whether the sweep's driver still lives. */
static int
draw(const rsw_inspect *in, int clear)
{
	rsw_worker_view w[256];
	rsw_arena_view v;
	uint32_t n = rsw_inspect_read(in, &v, w, 256);

	if (clear)
		fputs("\x1b[H\x1b[2J", stdout);
	printf("sweep %s: driver %d, objective %s, %llu committed of %llu "
	       "submitted\n", v.name, v.driver_pid, v.objective[0] ? v.objective : "-",
	       (unsigned long long)v.committed, (unsigned long long)v.submitted);
	printf("%6s %8s %-9s %10s %10s %10s %8s %8s %9s\n", "worker", "pid",
	       "state", "task", "running", "tasks", "failed", "restarts", "rss MB");
	for (uint32_t i = 0; i < n; i++) {
		char task[32] = "-", running[32] = "-";

		if (w[i].running) {
			snprintf(task, sizeof task, "%llu",
				 (unsigned long long)w[i].task_seq);
			snprintf(running, sizeof running, "%.3f s",
				 (double)w[i].running_ns / 1e9);
		}
		printf("%6u %8d %-9s %10s %10s %10llu %8llu %8u %9.1f\n", w[i].slot,
		       w[i].pid, rsw_worker_state_name(w[i].state), task, running,
		       (unsigned long long)w[i].tasks,
		       (unsigned long long)w[i].failures, w[i].restarts,
		       rsw_cli_proc_status_kb(w[i].pid, "VmRSS") / 1024.0);
	}
	fflush(stdout);
	return v.driver_alive;
}

int
rsw_cmd_top(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double interval = 0.5;
	int once = 0, c, rc;
	rsw_inspect *in;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'o') {
			once = 1;
		} else if (c == 'i') {
			if (rsw_cli_parse_double(optarg, 0.05, 3600, &interval) != 0) {
				rsw_cli_errorf("--interval needs seconds (0.05 to 3600), "
					       "got '%s'", optarg);
				return RSW_EXIT_USAGE;
			}
		} else if (c == 'h') {
			puts("usage: ringsweep top [ARENA] [--once] [--interval SEC]\n\n"
			     "Lists running sweeps, or watches one: its workers' state,\n"
			     "current task, counts and memory (read-only).");
			return RSW_EXIT_OK;
		} else {
			rsw_cli_errorf("unknown option '%s' (see ringsweep top --help)",
				       argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind == argc)
		return list_sweeps();
	rc = rsw_inspect_open(&in, argv[optind]);
	if (rc != 0) {
		rsw_cli_errorf("'%s': %s", argv[optind], rc == RSW_ENOENT ?
			       "no such sweep (ringsweep top lists them)" :
			       rsw_strerror(rc));
		return RSW_EXIT_USAGE;
	}
	/* The interval is the refresh rate a person asked for, not a wait
	 * for some event. */
	while (draw(in, !once && isatty(STDOUT_FILENO)) && !once) {
		struct timespec pause = { (time_t)interval,
					  (long)((interval - (double)(time_t)interval) * 1e9) };

		nanosleep(&pause, NULL);
	}
	rsw_inspect_close(in);
	return RSW_EXIT_OK;
}
