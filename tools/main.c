/*
 * tools/main.c - the ringsweep command: dispatches to one file per
 * subcommand (a table: name, entry point, one line of help).
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

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "run", rsw_cmd_run, "run a parameter sweep, or --resume one" },
	{ "worker", rsw_cmd_worker, "attach a worker to a running sweep (--arena NAME)" },
	{ "bench", rsw_cmd_bench, "benchmarks: ipc | scaling | suggest | store" },
	{ "export", rsw_cmd_export, "a sweep's results store as CSV or JSON" },
	{ "report", rsw_cmd_report, "a sweep's results store as one HTML page with plots" },
	{ "top", rsw_cmd_top, "list running sweeps, or watch one's workers" },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void
usage(FILE *f)
{
	fputs("usage: ringsweep COMMAND [OPTIONS]   (ringsweep help COMMAND)\n\n"
	      "commands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "  %-8s %s\n", "version", "print the version");
}

static const struct command *
find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return RSW_EXIT_USAGE;
	}
	if ((c = find(argv[1])) != NULL)
		return c->run(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("ringsweep %s\n", RSW_VERSION_STRING);
		return RSW_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		/* `ringsweep help run` is `ringsweep run --help`. */
		if (argc >= 3 && (c = find(argv[2])) != NULL) {
			char *help[] = { argv[2], "--help", NULL };

			return c->run(2, help);
		}
		if (argc >= 3) {
			rsw_cli_errorf("no command '%s'", argv[2]);
			usage(stderr);
			return RSW_EXIT_USAGE;
		}
		usage(stdout);
		return RSW_EXIT_OK;
	}
	rsw_cli_errorf("unknown command '%s'", argv[1]);
	usage(stderr);
	return RSW_EXIT_USAGE;
}
