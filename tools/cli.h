/*
 * tools/cli.h - what the ringsweep command's files share: messages,
 * number parsing, built-in objectives, subcommand entry points.
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
void rsw_cli_warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes one CSV field, quoted only when it must be (RFC 4180). */
void rsw_cli_csv_field(FILE *f, const char *text);

/* A "KEY: N kB" figure of /proc/PID/status (VmRSS, VmHWM, ...), in KiB;
 * 0 when the process or the key is not there. */
uint64_t rsw_cli_proc_status_kb(long pid, const char *key);

/* Strict parsers: the whole token must be a number in range. */
int rsw_cli_parse_i64(const char *s, long long lo, long long hi, long long *out);
int rsw_cli_parse_double(const char *s, double lo, double hi, double *out);

typedef struct rsw_builtin {
	const char *name;
	const char *help;
	uint32_t min_params, max_params; /* max 0: any */
	int needs_data;			 /* --data FILE --column NAME */
	rsw_objective_fn eval;
	rsw_worker_init_fn worker_init;
	const char *const *metrics;	 /* NULL-terminated, or NULL */
} rsw_builtin;

const rsw_builtin *rsw_builtin_find(const char *name);
void rsw_builtin_list(void); /* to stderr, for --help and errors */

/* A daily close series (the ma_cross data), loaded once in the driver and
 * inherited by the workers. */
typedef struct rsw_prices {
	double *close;
	int64_t *micro;	/* closes in millionths when all are exact so, else NULL */
	size_t n;
} rsw_prices;

int rsw_prices_load(const char *path, const char *column, rsw_prices *out,
		    char *err, size_t errlen);
void rsw_prices_free(rsw_prices *p);
int rsw_ma_cross_eval(void *ctx, const double *x, uint32_t n,
		      const rsw_task_info *task, rsw_eval_out *out);
extern const char *const rsw_ma_cross_metrics[];

/* --cmd: an external command per task (tools/cmdobj.c). */
typedef struct rsw_cmd rsw_cmd;

rsw_cmd *rsw_cmd_parse(const char *tmpl, const rsw_space *space,
		       const char *metrics, char *err, size_t errlen);
void rsw_cmd_free(rsw_cmd *c);
uint32_t rsw_cmd_metrics(const rsw_cmd *c, const char **names);
int rsw_cmd_eval(void *ctx, const double *x, uint32_t n,
		 const rsw_task_info *task, rsw_eval_out *out);

/* The objective a run uses: a built-in, or a plugin loaded with dlopen. */
typedef struct rsw_cli_objective {
	char name[4096];
	rsw_objective obj;	/* what the engine calls */
	uint32_t min_params, max_params;
	uint32_t nmetrics;
	const char *metric_names[RSW_MAX_METRICS_LIMIT];
	const rsw_builtin *builtin; /* NULL for a plugin */
	rsw_prices prices;
	void *dl;
	void *plugin_state;
	void *plugin_eval;	/* rsw_plugin_eval_fn */
	void *plugin_fini;	/* rsw_plugin_fini_fn */
	rsw_cmd *cmd;
} rsw_cli_objective;

/* Resolves --objective SPEC (built-in name or PATH.so[:prefix]), loads
 * its data or runs the plugin's init.  On failure returns -1 with one
 * sentence naming the culprit in err; nothing is left loaded. */
int rsw_cli_objective_open(rsw_cli_objective *o, const char *spec,
			   const char *arg, const char *data, const char *column,
			   char *err, size_t errlen);
/* The --cmd form: the space must be parsed already (placeholders). */
int rsw_cli_objective_open_cmd(rsw_cli_objective *o, const char *tmpl,
			       const rsw_space *space, const char *metrics,
			       char *err, size_t errlen);
void rsw_cli_objective_close(rsw_cli_objective *o);

int rsw_cmd_run(int argc, char **argv);
int rsw_cmd_worker(int argc, char **argv);
int rsw_cmd_bench(int argc, char **argv);
int rsw_cmd_export(int argc, char **argv);
int rsw_cmd_top(int argc, char **argv);

#endif
