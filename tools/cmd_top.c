/*
 * tools/cmd_top.c - `ringsweep top [ARENA]`: watch a running sweep.
 *
 * Without a name it lists the live sweeps of this user (their arenas in
 * /dev/shm).  With one it attaches read-only (the arena is validated like
 * any attach; nothing is ever written) and redraws the per-worker table:
 * state, the task running and for how long, tasks done, failures,
 * restarts, resident memory.  It ends when the sweep does.
 *
 * Every shared value is read with a relaxed ck_pr load: each figure is
 * shown on its own, a moment old at worst, and nothing is inferred from
 * two of them (the running task comes through the seqlock reader).
 */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"
#include "util.h"

static const char *const state_names[] = { "empty", "starting", "idle", "busy",
					   "dead" };

static int
list_sweeps(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0;

	printf("%-44s %8s %8s %-12s %12s\n", "arena", "driver", "workers",
	       "objective", "committed");
	while (d != NULL && (de = readdir(d)) != NULL) {
		char name[300];
		rsw_arena a;

		if (strncmp(de->d_name, RSW_ARENA_PREFIX + 1,
			    strlen(RSW_ARENA_PREFIX) - 1) != 0)
			continue;
		snprintf(name, sizeof name, "/%s", de->d_name);
		if (rsw__arena_attach(&a, name, 1) != 0)
			continue;
		if (kill((pid_t)a.layout.owner_pid, 0) == 0) {
			printf("%-44s %8u %8u %-12.12s %12llu\n", name,
			       a.layout.owner_pid, a.layout.nworkers,
			       a.layout.objective[0] ? a.layout.objective : "-",
			       (unsigned long long)ck_pr_load_64(&a.hdr->committed));
			n++;
		}
		rsw__arena_detach(&a);
	}
	if (d != NULL)
		closedir(d);
	if (n == 0)
		printf("(no running sweep)\n");
	return RSW_EXIT_OK;
}

static void
draw(const rsw_arena *a, int clear)
{
	uint64_t now = rsw__mono_ns();

	if (clear)
		fputs("\x1b[H\x1b[2J", stdout);
	printf("sweep %s: driver %u, objective %s, %llu committed of %llu submitted\n",
	       a->name, a->layout.owner_pid,
	       a->layout.objective[0] ? a->layout.objective : "-",
	       (unsigned long long)ck_pr_load_64(&a->hdr->committed),
	       (unsigned long long)ck_pr_load_64(&a->hdr->submitted));
	printf("%6s %8s %-9s %10s %10s %10s %8s %8s %9s\n", "worker", "pid", "state",
	       "task", "running", "done", "failed", "restarts", "rss MB");
	for (uint32_t w = 0; w < a->layout.nslots; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(a, w);
		uint32_t state = ck_pr_load_32(&ws->state);
		uint32_t pid = ck_pr_load_32(&ws->pid);
		uint64_t seq, start;
		char task[32] = "-", running[32] = "-";

		if (state == 0 && pid == 0)
			continue;
		if (rsw__read_task(ws, &seq, &start) != 0 && start != 0 &&
		    now >= start) {
			snprintf(task, sizeof task, "%llu", (unsigned long long)seq);
			snprintf(running, sizeof running, "%.3f s",
				 (double)(now - start) / 1e9);
		}
		printf("%6u %8u %-9s %10s %10s %10llu %8llu %8u %9.1f\n", w, pid,
		       state < 5 ? state_names[state] : "?", task, running,
		       (unsigned long long)ck_pr_load_64(&ws->tasks_done),
		       (unsigned long long)ck_pr_load_64(&ws->failures),
		       ck_pr_load_32(&ws->restarts),
		       rsw_cli_proc_status_kb(pid, "VmRSS") / 1024.0);
	}
	fflush(stdout);
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
	rsw_arena a;

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
	rc = rsw__arena_attach(&a, argv[optind], 1);
	if (rc != 0) {
		rsw_cli_errorf("'%s': %s", argv[optind], rc == RSW_ENOENT ?
			       "no such sweep (ringsweep top lists them)" :
			       rsw_strerror(rc));
		return RSW_EXIT_USAGE;
	}
	for (;;) {
		struct timespec pause = { (time_t)interval,
					  (long)((interval - (double)(time_t)interval) * 1e9) };

		draw(&a, !once && isatty(STDOUT_FILENO));
		if (once || kill((pid_t)a.layout.owner_pid, 0) != 0)
			break;
		nanosleep(&pause, NULL);
	}
	rsw__arena_detach(&a);
	return RSW_EXIT_OK;
}
