/*
 * sweep/builtins.c - the built-in objectives (their table is
 * RSW_BUILTIN_MAP in ringsweep/objectives.h).
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
 * spin: keeps its CPU busy for its first parameter in microseconds of wall
 *   time and returns it: a task of known duration that needs a core (the
 *   benchmarks' CPU-bound task; a sleep would leave the core to others).
 * ma_cross: the moving-average crossover backtest (backtest.c).
 * alloc: allocates and touches PARAM1 MiB, frees it, returns PARAM1; an
 *   allocation refused (--max-mem) is reported as ENOMEM (status oom).
 * leak: the same, but never frees (exercises --soft-mem recycling).
 */
#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

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

/* ZDT1 and ZDT2 (Zitzler, Deb & Thiele 2000), bi-objective on [0,1]^n:
 * f1 = x1, g = 1 + 9 sum(x2..xn) / (n - 1), f2 = g (1 - sqrt(f1 / g))
 * (a convex front) or g (1 - (f1 / g)^2) (a concave one); the front is
 * g = 1.  The value is f1; both are metrics, the objectives of
 * --minimize f1 --minimize f2. */
static const char *const zdt_metrics[] = { "f1", "f2", NULL };

static int
zdt(const double *x, uint32_t n, int concave, rsw_eval_out *out)
{
	double g = 0, h;

	for (uint32_t i = 1; i < n; i++)
		g += x[i];
	g = 1 + 9 * g / (n - 1);
	h = concave ? 1 - (x[0] / g) * (x[0] / g) : 1 - sqrt(x[0] / g);
	out->value = x[0];
	out->nmetrics = 2;
	out->metrics[0] = x[0];
	out->metrics[1] = g * h;
	return 0;
}

static int
zdt1(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
     rsw_eval_out *out)
{
	return zdt(x, n, 0, out);
}

static int
zdt2(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
     rsw_eval_out *out)
{
	return zdt(x, n, 1, out);
}

/* A synthetic learning curve over [0,1]^n, in CURVE_STEPS steps: a loss
 * that falls from 1 + final at rate r towards its final level, reported
 * at each step; the value is the last.  final = 0.1 + sum (x_i - 0.3)^2,
 * and r = 0.05 + 0.5 x_1: the best point converges at a middling pace,
 * so a pruner that stops slow starters early can lose it (what its
 * measurement shows). */
#define CURVE_STEPS 20

static int
curve(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
      rsw_eval_out *out)
{
	double final = 0.1, rate = 0.05 + 0.5 * x[0], loss = 0;

	for (uint32_t i = 0; i < n; i++)
		final += (x[i] - 0.3) * (x[i] - 0.3);
	for (uint32_t s = 0; s < CURVE_STEPS; s++) {
		loss = final + exp(-rate * (s + 1));
		if (rsw_task_report(t, s, loss))
			return RSW_EVAL_PRUNED;
	}
	out->value = loss;
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
spin_us(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	rsw_eval_out *out)
{
	uint64_t until = rsw_now_ns() + (uint64_t)(x[0] > 0 ? x[0] * 1e3 : 0);

	while (rsw_now_ns() < until)
		;
	out->value = x[0];
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
static __thread void *leaked; /* per worker thread in thread mode */

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

/* Each built-in's code, named code_<name> for the table below. */
static const rsw__builtin_code code_sphere = { .eval = sphere };
static const rsw__builtin_code code_rastrigin = { .eval = rastrigin };
static const rsw__builtin_code code_rosenbrock = { .eval = rosenbrock };
static const rsw__builtin_code code_branin = { .eval = branin };
static const rsw__builtin_code code_hartmann6 = { .eval = hartmann6 };
static const rsw__builtin_code code_curve = { .eval = curve, .steps = CURVE_STEPS };
static const rsw__builtin_code code_zdt1 = { .eval = zdt1, .metrics = zdt_metrics };
static const rsw__builtin_code code_zdt2 = { .eval = zdt2, .metrics = zdt_metrics };
static const rsw__builtin_code code_sleep = { .eval = sleep_ms };
static const rsw__builtin_code code_crashy = { .eval = crashy };
static const rsw__builtin_code code_badinit = { .eval = sphere, .worker_init = badinit_init, .metrics = NULL };
static const rsw__builtin_code code_empty = { .eval = empty };
static const rsw__builtin_code code_spin = { .eval = spin_us };
static const rsw__builtin_code code_alloc = { .eval = alloc_eval };
static const rsw__builtin_code code_leak = { .eval = leak_eval };
static const rsw__builtin_code code_ma_cross = { .eval = rsw__ma_cross_eval,
						  .metrics = rsw__ma_cross_metrics };

static const rsw_builtin_info builtins[] = {
#define RSW__BUILTIN_INFO(name, lo, hi, data, help) { #name, help, lo, hi, data },
	RSW_BUILTIN_MAP(RSW__BUILTIN_INFO)
#undef RSW__BUILTIN_INFO
};

static const rsw__builtin_code *const codes[] = {
#define RSW__BUILTIN_CODE(name, lo, hi, data, help) &code_##name,
	RSW_BUILTIN_MAP(RSW__BUILTIN_CODE)
#undef RSW__BUILTIN_CODE
};

#define NBUILTINS (sizeof builtins / sizeof builtins[0])

const rsw_builtin_info *
rsw_builtin_list(size_t *n)
{
	*n = NBUILTINS;
	return builtins;
}

const rsw_builtin_info *
rsw_builtin_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < NBUILTINS; i++)
		if (strcmp(builtins[i].name, name) == 0)
			return &builtins[i];
	return NULL;
}

const rsw__builtin_code *
rsw__builtin_code_of(const char *name)
{
	const rsw_builtin_info *b = rsw_builtin_find(name);

	return b != NULL ? codes[b - builtins] : NULL;
}
