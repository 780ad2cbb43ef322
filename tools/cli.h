/*
 * tools/cli.h - what the ringsweep command's files share: exit codes,
 * messages, number parsing, the subcommands' entry points.  The command
 * only parses and prints: everything it runs is a library call.
 */
#ifndef RSW_TOOLS_CLI_H
#define RSW_TOOLS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ringsweep/ringsweep.h"

/* Exit codes of the command. */
enum {
	RSW_EXIT_OK = 0,
	RSW_EXIT_FAILURE = 1, /* the sweep ran and failed */
	RSW_EXIT_USAGE = 2,   /* bad input: nothing was started */
	RSW_EXIT_INTERRUPTED = 130,
};

void rsw_cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Errors and warnings are not printed while on: an MPI agent rank parses
 * the same arguments as rank 0, which alone reports. */
void rsw_cli_silence(int on);
void rsw_cli_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A "KEY: N kB" figure of /proc/PID/status (VmRSS, VmHWM, ...), in KiB;
 * 0 when the process or the key is not there. */
uint64_t rsw_cli_proc_status_kb(long pid, const char *key);

/* Strict parsers: the whole token must be a number in range. */
int rsw_cli_parse_i64(const char *s, long long lo, long long hi, long long *out);
int rsw_cli_parse_double(const char *s, double lo, double hi, double *out);
/* "512M", "2G", "1048576": bytes, 16 MiB .. 1e18. */
int rsw_cli_parse_size(const char *s, uint64_t *out);

/* The built-in objectives, one line each, for help and errors. */
void rsw_cli_list_builtins(FILE *f);

int rsw_cmd_run(int argc, char **argv);
int rsw_cmd_worker(int argc, char **argv);
int rsw_cmd_bench(int argc, char **argv);
int rsw_cmd_export(int argc, char **argv);
int rsw_cmd_report(int argc, char **argv);
int rsw_cmd_top(int argc, char **argv);

#endif
