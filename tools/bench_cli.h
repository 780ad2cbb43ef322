/*
 * tools/bench_cli.h - what `ringsweep bench`'s files share: output
 * formats, the gnuplot helper, the machine description in JSON, and one
 * entry point per benchmark (one file each: bench_ipc.c, bench_latency.c,
 * bench_scaling.c, bench_suggest.c, bench_store.c).
 */
#ifndef RSW_TOOLS_BENCH_CLI_H
#define RSW_TOOLS_BENCH_CLI_H

#include <stddef.h>
#include <stdio.h>

enum rsw_bench_format { RSW_FMT_TABLE = 0, RSW_FMT_JSON = 1, RSW_FMT_CSV = 2 };

/* What every benchmark's options hold: the output format, a plot, --help.
 * Each benchmark's args struct has one, named `out`. */
struct rsw_bench_out {
	int format;		/* enum rsw_bench_format */
	const char *plot;	/* FILE.png, or NULL */
	int help;
};

/* The option-table entries for them (options.h), in a struct TYPE. */
#define RSW_BENCH_FORMAT_OPTIONS(type)                                         \
	{ "json", 0, RSW_OPT_FLAG, 0, NULL, offsetof(type, out.format),       \
	  .value = RSW_FMT_JSON, .help = "results as JSON" },                  \
	{ "csv", 0, RSW_OPT_FLAG, 0, NULL, offsetof(type, out.format),        \
	  .value = RSW_FMT_CSV, .help = "results as CSV" }
#define RSW_BENCH_PLOT_OPTION(type, what)                                      \
	{ "plot", 0, RSW_OPT_STRING, 0, "FILE.png", offsetof(type, out.plot),  \
	  .help = what " (gnuplot)" }
#define RSW_BENCH_HELP_OPTION(type)                                            \
	{ "help", 'h', RSW_OPT_FLAG, 0, NULL, offsetof(type, out.help),        \
	  .value = 1, .help = "this help" }

/* --plot FILE.png: gnuplot is there and FILE can be written (checked
 * before measuring, not after).  0, or -1 after an error message. */
int rsw_bench_check_plot(const char *png);

/* A gnuplot run: a data file and a script, both temporary. */
struct rsw_plot_job {
	char data_path[32], script_path[32];
	FILE *data, *script;
};

int rsw_plot_begin(struct rsw_plot_job *j);
/* Closes both files, runs gnuplot on the script, removes both; 0 when
 * gnuplot succeeded. */
int rsw_plot_finish(struct rsw_plot_job *j);

/* "  \"machine\": {...},\n": CPUs, model, kernel. */
void rsw_bench_machine_json(void);
/* "KEY": V with SEP after; JSON has no NaN, so null for one. */
void rsw_bench_json_num(const char *key, double v, const char *sep);

int rsw_bench_ipc_main(int argc, char **argv);
int rsw_bench_latency_main(int argc, char **argv);
int rsw_bench_scaling_main(int argc, char **argv);
int rsw_bench_suggest_main(int argc, char **argv);
int rsw_bench_store_main(int argc, char **argv);

#endif
