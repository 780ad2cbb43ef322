/*
 * tools/main.c - the ringsweep command: dispatches to one file per
 * subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/*
 * jemalloc's options (read from this symbol when jemalloc is the
 * allocator).  retain:false returns freed address space to the kernel:
 * with the default (retain), address space once mapped stays counted in
 * RLIMIT_DATA, and --max-mem would refuse allocations the objective has
 * long freed.
 */
const char *malloc_conf = "retain:false";

static void
usage(FILE *f)
{
	fputs("usage: ringsweep COMMAND [OPTIONS]\n"
	      "\n"
	      "commands:\n"
	      "  run      run a parameter sweep (ringsweep run --help)\n"
	      "  worker   attach a worker to a running sweep (--arena NAME)\n"
	      "  bench    IPC overhead and scaling benchmarks (ipc | scaling)\n"
	      "  export   a sweep's results store as CSV or JSON\n"
	      "  top      list running sweeps, or watch one's workers\n"
	      "  version  print the version\n",
	      f);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return RSW_EXIT_USAGE;
	}
	if (strcmp(argv[1], "run") == 0)
		return rsw_cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "worker") == 0)
		return rsw_cmd_worker(argc - 1, argv + 1);
	if (strcmp(argv[1], "bench") == 0)
		return rsw_cmd_bench(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return rsw_cmd_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "top") == 0)
		return rsw_cmd_top(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("ringsweep %s\n", RSW_VERSION_STRING);
		return RSW_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return RSW_EXIT_OK;
	}
	rsw_cli_errorf("unknown command '%s'", argv[1]);
	usage(stderr);
	return RSW_EXIT_USAGE;
}
