/*
 * tools/cli.h - what the ringsweep command's files share: messages,
 * number parsing, built-in objectives, subcommand entry points.
 */
#ifndef RSW_TOOLS_CLI_H
#define RSW_TOOLS_CLI_H

#include <stdint.h>

#include "ringsweep/ringsweep.h"

/* Exit codes of the command. */
enum {
	RSW_EXIT_OK = 0,
	RSW_EXIT_FAILURE = 1, /* the sweep ran and failed */
	RSW_EXIT_USAGE = 2,   /* bad input: nothing was started */
	RSW_EXIT_INTERRUPTED = 130,
};

void rsw_cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rsw_cli_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Strict parsers: the whole token must be a number in range. */
int rsw_cli_parse_i64(const char *s, long long lo, long long hi, long long *out);
int rsw_cli_parse_double(const char *s, double lo, double hi, double *out);

typedef struct rsw_builtin {
	const char *name;
	const char *help;
	uint32_t min_params;
	rsw_objective_fn eval;
	rsw_worker_init_fn worker_init;
} rsw_builtin;

const rsw_builtin *rsw_builtin_find(const char *name);
void rsw_builtin_list(void); /* to stderr, for --help and errors */

int rsw_cmd_run(int argc, char **argv);
int rsw_cmd_worker(int argc, char **argv);
int rsw_cmd_bench(int argc, char **argv);

#endif
