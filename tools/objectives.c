/*
 * tools/objectives.c - the command's built-in objectives.
 *
 * sphere, rastrigin: standard test functions over all parameters.
 * sleep: sleeps for its first parameter in milliseconds and returns it (for
 *   timeouts and fault tests).
 * crashy: sphere, but the first attempt of every task whose seq is
 *   13 mod 97 dies of SIGSEGV (fault injection: retried results must equal
 *   a fault-free run).
 * badinit: every worker's set-up fails (exercises the crash-loop stop).
 * empty: returns 0 at once (overhead measurements).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

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
	{ "sphere", "sum of squares of all parameters", 1, sphere, NULL },
	{ "rastrigin", "Rastrigin function of all parameters", 1, rastrigin, NULL },
	{ "sleep", "sleeps PARAM1 milliseconds, returns PARAM1", 1, sleep_ms, NULL },
	{ "crashy", "sphere; SIGSEGV on attempt 1 of seqs = 13 mod 97", 1, crashy, NULL },
	{ "badinit", "every worker's set-up fails (crash-loop demo)", 1, sphere, badinit_init },
	{ "empty", "returns 0 at once (overhead measurement)", 0, empty, NULL },
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
}
