/*
 * tools/objectives.c - the command's built-in objectives.
 *
 * sphere, rastrigin, rosenbrock: standard test functions over all
 *   parameters (their dimension is the parameter count).
 * branin (2-D, minimum 0.397887), hartmann6 (6-D on [0,1]^6, minimum
 *   -3.32237): the fixed-dimension benchmarks of Bayesian optimisation;
 *   inputs are the parameters in the order given, whatever their names.
 * sleep: sleeps for its first parameter in milliseconds and returns it (for
 *   timeouts and fault tests).
 * crashy: sphere, but the first attempt of every task whose seq is
 *   13 mod 97 dies of SIGSEGV (fault injection: retried results must equal
 *   a fault-free run).
 * badinit: every worker's set-up fails (exercises the crash-loop stop).
 * empty: returns 0 at once (overhead measurements).
 * ma_cross: the moving-average crossover backtest (tools/backtest.c).
 * alloc: allocates and touches PARAM1 MiB, frees it, returns PARAM1; an
 *   allocation refused (--max-mem) is reported as ENOMEM (status oom).
 * leak: the same, but never frees (exercises --soft-mem recycling).
 *
 * And the plugin loader: --objective PATH.so[:prefix] (see
 * include/ringsweep/objective.h for the ABI).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "ringsweep/objective.h"

static int
sphere(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
       rsw_eval_out *out)
{
	double s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += x[i] * x[i];
	out->value = s;
	return 0;
}

static int
rastrigin(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	double s = 10.0 * n;

	for (uint32_t i = 0; i < n; i++)
		s += x[i] * x[i] - 10.0 * cos(2 * M_PI * x[i]);
	out->value = s;
	return 0;
}

static int
rosenbrock(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	double s = 0;

	for (uint32_t i = 0; i + 1 < n; i++)
		s += 100 * (x[i + 1] - x[i] * x[i]) * (x[i + 1] - x[i] * x[i]) +
		     (1 - x[i]) * (1 - x[i]);
	out->value = s;
	return 0;
}

static int
branin(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
       rsw_eval_out *out)
{
	const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI,
		     s = 1 / (8 * M_PI);
	double q = x[1] - b * x[0] * x[0] + c * x[0] - 6;

	out->value = q * q + 10 * (1 - s) * cos(x[0]) + 10;
	return 0;
}

static int
hartmann6(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	static const double alpha[4] = { 1.0, 1.2, 3.0, 3.2 };
	static const double A[4][6] = {
		{ 10, 3, 17, 3.5, 1.7, 8 },
		{ 0.05, 10, 17, 0.1, 8, 14 },
		{ 3, 3.5, 1.7, 10, 17, 8 },
		{ 17, 8, 0.05, 10, 0.1, 14 },
	};
	static const double P[4][6] = {
		{ 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 },
		{ 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
		{ 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 },
		{ 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
	};
	double v = 0;

	for (int i = 0; i < 4; i++) {
		double e = 0;

		for (int j = 0; j < 6; j++)
			e += A[i][j] * (x[j] - P[i][j]) * (x[j] - P[i][j]);
		v -= alpha[i] * exp(-e);
	}
	out->value = v;
	return 0;
}

static int
sleep_ms(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	 rsw_eval_out *out)
{
	double ms = x[0] > 0 ? x[0] : 0;
	struct timespec ts = { (time_t)(ms / 1000),
			       (long)(fmod(ms, 1000.0) * 1e6) };

	while (nanosleep(&ts, &ts) != 0)
		;
	out->value = x[0];
	return 0;
}

static int
crashy(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
       rsw_eval_out *out)
{
	if (t->seq % 97 == 13 && t->attempt == 1)
		raise(SIGSEGV);
	return sphere(ctx, x, n, t, out);
}

/* What `leak` keeps: a chain through the first word of each block, so the
 * blocks stay reachable and no compiler may drop the allocations. */
static void *leaked;

static int
touch_mib(double mib, int keep, rsw_eval_out *out)
{
	size_t n = (size_t)(mib * 1048576.0);
	char *p = malloc(n >= sizeof(void *) ? n : sizeof(void *));
	volatile char sum = 0;

	if (p == NULL) {
		out->error_code = ENOMEM;
		return -1;
	}
	memset(p, 1, n);
	for (size_t i = 0; i < n; i += 4096)
		sum += p[i];
	out->value = mib + sum * 0.0;
	if (keep) {
		memcpy(p, &leaked, sizeof leaked);
		leaked = p;
	} else {
		free(p);
	}
	return 0;
}

static int
alloc_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	   rsw_eval_out *out)
{
	return touch_mib(x[0], 0, out);
}

static int
leak_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	return touch_mib(x[0], 1, out);
}

static int
badinit_init(void *ctx, int worker)
{
	return -1;
}

static int
empty(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
      rsw_eval_out *out)
{
	out->value = 0;
	return 0;
}

static const rsw_builtin builtins[] = {
	{ "sphere", "sum of squares of all parameters", 1, 0, 0, sphere, NULL, NULL },
	{ "rastrigin", "Rastrigin function of all parameters", 1, 0, 0, rastrigin,
	  NULL, NULL },
	{ "rosenbrock", "Rosenbrock function of all parameters (minimum 0 at 1)", 2,
	  0, 0, rosenbrock, NULL, NULL },
	{ "branin", "Branin, 2-D (usually x1 in [-5,10], x2 in [0,15]; min 0.397887)",
	  2, 2, 0, branin, NULL, NULL },
	{ "hartmann6", "Hartmann, 6-D on [0,1]^6 (min -3.32237)", 6, 6, 0,
	  hartmann6, NULL, NULL },
	{ "sleep", "sleeps PARAM1 milliseconds, returns PARAM1", 1, 0, 0, sleep_ms,
	  NULL, NULL },
	{ "crashy", "sphere; SIGSEGV on attempt 1 of seqs = 13 mod 97", 1, 0, 0,
	  crashy, NULL, NULL },
	{ "badinit", "every worker's set-up fails (crash-loop demo)", 1, 0, 0,
	  sphere, badinit_init, NULL },
	{ "empty", "returns 0 at once (overhead measurement)", 0, 0, 0, empty, NULL,
	  NULL },
	{ "alloc", "allocates PARAM1 MiB, returns PARAM1 (memory limits)", 1, 0, 0,
	  alloc_eval, NULL, NULL },
	{ "leak", "allocates PARAM1 MiB and keeps it (soft limit)", 1, 0, 0,
	  leak_eval, NULL, NULL },
	{ "ma_cross", "MA crossover backtest: FAST SLOW [COST_BPS] on --data/--column",
	  2, 3, 1, rsw_ma_cross_eval, NULL, rsw_ma_cross_metrics },
};

const rsw_builtin *
rsw_builtin_find(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

void
rsw_builtin_list(void)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		fprintf(stderr, "  %-10s %s\n", builtins[i].name, builtins[i].help);
	fprintf(stderr, "  %-10s %s\n", "PATH.so", "a plugin (include/ringsweep/objective.h)");
}

/* ---------------------------------------------------------- resolution */

/* The engine calls this; it forwards to the plugin's eval with its state. */
static int
plugin_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	const rsw_cli_objective *o = ctx;

	return ((rsw_plugin_eval_fn)o->plugin_eval)(o->plugin_state, x, n, t, out);
}

static void *
plugin_symbol(void *dl, const char *prefix, const char *name)
{
	char sym[256];

	snprintf(sym, sizeof sym, "%s%s", prefix, name);
	return dlsym(dl, sym);
}

static int
open_plugin(rsw_cli_objective *o, const char *spec, const char *arg, char *err,
	    size_t errlen)
{
	char path[4096];
	const char *colon = strrchr(spec, ':'), *prefix = "rsw_objective_";
	const int *abi;
	const char *const *metrics;
	rsw_plugin_init_fn init;

	snprintf(path, sizeof path, "%s", spec);
	if (colon != NULL && strstr(colon, ".so") == NULL) {
		path[colon - spec] = '\0';
		prefix = colon + 1;
	}
	/* RTLD_NOW: a missing symbol the plugin needs is an error now, not
	 * a crash in a worker later. */
	o->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (o->dl == NULL) {
		snprintf(err, errlen, "--objective '%s': cannot load the plugin: %s",
			 path, dlerror());
		return -1;
	}
	abi = plugin_symbol(o->dl, prefix, "abi_version");
	o->plugin_eval = plugin_symbol(o->dl, prefix, "eval");
	init = (rsw_plugin_init_fn)plugin_symbol(o->dl, prefix, "init");
	o->plugin_fini = plugin_symbol(o->dl, prefix, "fini");
	metrics = plugin_symbol(o->dl, prefix, "metrics");
	if (abi == NULL) {
		snprintf(err, errlen, "--objective '%s': no symbol '%sabi_version' "
			 "(declare RSW_OBJECTIVE_PLUGIN;)", path, prefix);
		return -1;
	}
	if (*abi != RSW_OBJECTIVE_ABI_VERSION) {
		snprintf(err, errlen, "--objective '%s': built for objective ABI %d, "
			 "this ringsweep has ABI %d; rebuild the plugin", path, *abi,
			 RSW_OBJECTIVE_ABI_VERSION);
		return -1;
	}
	if (o->plugin_eval == NULL) {
		snprintf(err, errlen, "--objective '%s': no symbol '%seval'", path,
			 prefix);
		return -1;
	}
	for (; metrics != NULL && metrics[o->nmetrics] != NULL; o->nmetrics++) {
		if (o->nmetrics == RSW_MAX_METRICS_LIMIT) {
			snprintf(err, errlen, "--objective '%s': more than %d metrics",
				 path, RSW_MAX_METRICS_LIMIT);
			return -1;
		}
		if (strlen(metrics[o->nmetrics]) > 63) {
			snprintf(err, errlen, "--objective '%s': metric name '%.20s...' "
				 "is longer than 63 characters", path,
				 metrics[o->nmetrics]);
			return -1;
		}
		o->metric_names[o->nmetrics] = metrics[o->nmetrics];
	}
	if (init != NULL) {
		int rc = init(arg != NULL ? arg : "", &o->plugin_state);

		if (rc != 0) {
			o->plugin_fini = NULL; /* nothing to finish */
			snprintf(err, errlen, "--objective '%s': %sinit(\"%s\") failed "
				 "(returned %d)", path, prefix, arg != NULL ? arg : "", rc);
			return -1;
		}
	}
	snprintf(o->name, sizeof o->name, "%s", path);
	o->obj.eval = plugin_eval;
	o->obj.ctx = o;
	o->min_params = 1;
	return 0;
}

int
rsw_cli_objective_open(rsw_cli_objective *o, const char *spec, const char *arg,
		       const char *data, const char *column, char *err,
		       size_t errlen)
{
	const rsw_builtin *b = rsw_builtin_find(spec);

	memset(o, 0, sizeof *o);
	if (b == NULL) {
		if (strstr(spec, ".so") == NULL) {
			snprintf(err, errlen, "unknown objective '%s' (a built-in name, "
				 "or a plugin PATH.so)", spec);
			return -1;
		}
		if (open_plugin(o, spec, arg, err, errlen) != 0) {
			rsw_cli_objective_close(o);
			return -1;
		}
		return 0;
	}
	o->builtin = b;
	snprintf(o->name, sizeof o->name, "%s", b->name);
	o->obj.eval = b->eval;
	o->obj.worker_init = b->worker_init;
	o->min_params = b->min_params;
	o->max_params = b->max_params;
	for (; b->metrics != NULL && b->metrics[o->nmetrics] != NULL; o->nmetrics++)
		o->metric_names[o->nmetrics] = b->metrics[o->nmetrics];
	if (b->needs_data) {
		if (data == NULL || column == NULL) {
			snprintf(err, errlen, "objective '%s' needs --data FILE and "
				 "--column NAME", b->name);
			return -1;
		}
		if (rsw_prices_load(data, column, &o->prices, err, errlen) != 0)
			return -1;
		o->obj.ctx = &o->prices;
	} else if (data != NULL) {
		snprintf(err, errlen, "--data: objective '%s' takes no data", b->name);
		return -1;
	}
	return 0;
}

int
rsw_cli_objective_open_cmd(rsw_cli_objective *o, const char *tmpl,
			   const rsw_space *space, const char *metrics, char *err,
			   size_t errlen)
{
	memset(o, 0, sizeof *o);
	o->cmd = rsw_cmd_parse(tmpl, space, metrics, err, errlen);
	if (o->cmd == NULL)
		return -1;
	snprintf(o->name, sizeof o->name, "cmd");
	o->obj.eval = rsw_cmd_eval;
	o->obj.ctx = o->cmd;
	o->min_params = 0;
	o->nmetrics = rsw_cmd_metrics(o->cmd, o->metric_names);
	return 0;
}

void
rsw_cli_objective_close(rsw_cli_objective *o)
{
	rsw_cmd_free(o->cmd);
	o->cmd = NULL;
	if (o->plugin_fini != NULL)
		((rsw_plugin_fini_fn)o->plugin_fini)(o->plugin_state);
	o->plugin_fini = NULL;
	if (o->dl != NULL)
		dlclose(o->dl);
	o->dl = NULL;
	rsw_prices_free(&o->prices);
}
