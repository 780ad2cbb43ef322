/*
 * bench/suite/suite.c - the search-quality suite as one objective plugin:
 * 25 standard test functions of 2 to 20 dimensions (Surjanovic &
 * Bingham's virtual library of simulation experiments, sfu.ca/~ssurjano,
 * and three BBOB/COCO-style shifted ones), with integer, categorical and
 * mixed variants.  `--objective-arg NAME` picks the function; its
 * parameters are given on the command line in the order of its row below,
 * e.g.
 *
 *   ringsweep run --objective build/bench/librswsuite.so \
 *       --objective-arg branin --param x1=float:-5:10 \
 *       --param x2=float:0:15 --algo bayes --evals 50 --minimize
 *
 * bench/compare/suite.py drives it (the same formulas in Python for
 * Optuna, checked against this file at start: values at the optimum and
 * at two other points, and this table, read through rsw_suite_describe).
 *
 * The table is the one place where a function's dimension, parameter
 * specs and known optimum are written; the plugin itself only checks the
 * parameter count (it cannot see the bounds), the script checks the rest.
 * A categorical parameter reaches eval as its index (0, 1, ...) in the
 * order of its cat: list.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <ringsweep/objective.h>

RSW_OBJECTIVE_PLUGIN;

/* Not part of the objective ABI: one line describing function i of the
 * table ("name\tdim\tkind\toptimum\tNAME=SPEC NAME=SPEC ..."), for the
 * script's cross-check.  Returns 0, or -1 past the end of the table or
 * when buf is too small. */
RSW_PLUGIN_EXPORT int rsw_suite_describe(unsigned i, char *buf, size_t n);

typedef double suite_eval_fn(const double *x, unsigned d);

/* A run of parameters sharing one spec; name NULL: x<position>. */
#define SUITE_RUNS 3
struct suite_params {
	unsigned count;
	const char *spec;
	const char *name;
};

struct suite_fn {
	const char *name;
	unsigned dim;
	const char *kind;
	double optimum;
	suite_eval_fn *f;
	struct suite_params params[SUITE_RUNS]; /* ends at count 0 or the end */
};

/* ------------------------------------------------------------ functions */

static double
sq(double v)
{
	return v * v;
}

/* The shift of the BBOB-style functions: -1.234, 0, 1.234, -1.234, ...
 * (off the centre of the box, so a sampler's bias towards it wins
 * nothing). */
static double
shift(unsigned i)
{
	return 1.234 * ((double)(i % 3) - 1);
}

static double
branin(const double *x, unsigned d)
{
	const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI,
		     t = 1 / (8 * M_PI);

	return sq(x[1] - b * x[0] * x[0] + c * x[0] - 6) +
	       10 * (1 - t) * cos(x[0]) + 10;
}

static double
six_hump_camel(const double *x, unsigned d)
{
	double a = x[0] * x[0], b = x[1] * x[1];

	return (4 - 2.1 * a + a * a / 3) * a + x[0] * x[1] + (-4 + 4 * b) * b;
}

static double
goldstein_price(const double *x, unsigned d)
{
	double a = x[0], b = x[1];
	double f1 = 1 + sq(a + b + 1) * (19 - 14 * a + 3 * a * a - 14 * b +
					 6 * a * b + 3 * b * b);
	double f2 = 30 + sq(2 * a - 3 * b) * (18 - 32 * a + 12 * a * a +
					      48 * b - 36 * a * b + 27 * b * b);

	return f1 * f2;
}

static double
beale(const double *x, unsigned d)
{
	double a = x[0], b = x[1];

	return sq(1.5 - a + a * b) + sq(2.25 - a + a * b * b) +
	       sq(2.625 - a + a * b * b * b);
}

/* De Jong's step function: flat between the half-integers. */
static double
step(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i < d; i++)
		v += sq(floor(x[i] + 0.5));
	return v;
}

static double
hartmann(const double *x, unsigned d, const double (*A)[6],
	 const double (*P)[6])
{
	static const double alpha[4] = { 1.0, 1.2, 3.0, 3.2 };
	double v = 0;

	for (int i = 0; i < 4; i++) {
		double e = 0;

		for (unsigned j = 0; j < d; j++)
			e += A[i][j] * sq(x[j] - P[i][j]);
		v -= alpha[i] * exp(-e);
	}
	return v;
}

static double
hartmann3(const double *x, unsigned d)
{
	static const double A[4][6] = {
		{ 3, 10, 30 }, { 0.1, 10, 35 }, { 3, 10, 30 }, { 0.1, 10, 35 },
	};
	static const double P[4][6] = {
		{ 0.3689, 0.1170, 0.2673 },
		{ 0.4699, 0.4387, 0.7470 },
		{ 0.1091, 0.8732, 0.5547 },
		{ 0.0381, 0.5743, 0.8828 },
	};

	return hartmann(x, 3, A, P);
}

static double
hartmann6(const double *x, unsigned d)
{
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

	return hartmann(x, 6, A, P);
}

/* Shekel, m = 10: ten narrow holes in a flat plane. */
static double
shekel(const double *x, unsigned d)
{
	static const double beta[10] = { 0.1, 0.2, 0.2, 0.4, 0.4,
					 0.6, 0.3, 0.7, 0.5, 0.5 };
	static const double C[4][10] = {
		{ 4, 1, 8, 6, 3, 2, 5, 8, 6, 7 },
		{ 4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6 },
		{ 4, 1, 8, 6, 3, 2, 5, 8, 6, 7 },
		{ 4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6 },
	};
	double v = 0;

	for (int i = 0; i < 10; i++) {
		double s = beta[i];

		for (int j = 0; j < 4; j++)
			s += sq(x[j] - C[j][i]);
		v -= 1 / s;
	}
	return v;
}

static double
ackley(const double *x, unsigned d)
{
	double s2 = 0, sc = 0;

	for (unsigned i = 0; i < d; i++) {
		s2 += x[i] * x[i];
		sc += cos(2 * M_PI * x[i]);
	}
	return -20 * exp(-0.2 * sqrt(s2 / d)) - exp(sc / d) + 20 + M_E;
}

static double
rastrigin(const double *x, unsigned d)
{
	double v = 10.0 * d;

	for (unsigned i = 0; i < d; i++)
		v += x[i] * x[i] - 10 * cos(2 * M_PI * x[i]);
	return v;
}

static double
levy(const double *x, unsigned d)
{
	double w0 = 1 + (x[0] - 1) / 4, wd = 1 + (x[d - 1] - 1) / 4;
	double v = sq(sin(M_PI * w0));

	for (unsigned i = 0; i + 1 < d; i++) {
		double w = 1 + (x[i] - 1) / 4;

		v += sq(w - 1) * (1 + 10 * sq(sin(M_PI * w + 1)));
	}
	return v + sq(wd - 1) * (1 + sq(sin(2 * M_PI * wd)));
}

static double
griewank(const double *x, unsigned d)
{
	double s = 0, p = 1;

	for (unsigned i = 0; i < d; i++) {
		s += x[i] * x[i] / 4000;
		p *= cos(x[i] / sqrt(i + 1.0));
	}
	return s - p + 1;
}

static double
schwefel(const double *x, unsigned d)
{
	double v = 418.9829 * d;

	for (unsigned i = 0; i < d; i++)
		v -= x[i] * sin(sqrt(fabs(x[i])));
	return v;
}

static double
styblinski_tang(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i < d; i++)
		v += x[i] * x[i] * x[i] * x[i] - 16 * x[i] * x[i] + 5 * x[i];
	return v / 2;
}

/* Michalewicz, m = 10: sin(i x_i^2 / pi)^(2m), steep narrow ridges. */
static double
michalewicz(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i < d; i++)
		v -= sin(x[i]) * pow(sin((i + 1) * x[i] * x[i] / M_PI), 20);
	return v;
}

static double
rosenbrock(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i + 1 < d; i++)
		v += 100 * sq(x[i + 1] - x[i] * x[i]) + sq(1 - x[i]);
	return v;
}

static double
dixon_price(const double *x, unsigned d)
{
	double v = sq(x[0] - 1);

	for (unsigned i = 1; i < d; i++)
		v += (i + 1) * sq(2 * x[i] * x[i] - x[i - 1]);
	return v;
}

/* BBOB f2 without its oscillation transform: conditioning 1e6. */
static double
ellipsoid(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i < d; i++)
		v += pow(10, 6.0 * i / (d - 1)) * sq(x[i] - shift(i));
	return v;
}

/* BBOB f12 without its rotation and asymmetry transform. */
static double
bent_cigar(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 1; i < d; i++)
		v += sq(x[i] - shift(i));
	return sq(x[0] - shift(0)) + 1e6 * v;
}

static double
sphere(const double *x, unsigned d)
{
	double v = 0;

	for (unsigned i = 0; i < d; i++)
		v += sq(x[i] - shift(i));
	return v;
}

/* A shifted bowl whose centre and floor depend on the category x[4]
 * (eval has checked that it is an index 0..3): 0 at beta, x = 1. */
static double
sphere_cat(const double *x, unsigned d)
{
	static const double offset[4] = { -2, 1, 3, -1 };
	static const double bias[4] = { 1.0, 0.0, 2.0, 0.5 };
	unsigned k = (unsigned)x[4];
	double v = bias[k];

	for (unsigned i = 0; i < 4; i++)
		v += sq(x[i] - offset[k]);
	return v;
}

/* ---------------------------------------------------------------- table */

#define FLOATS(n, spec) { { n, "float:" spec, NULL } }
#define INTS(n, spec) { { n, "int:" spec, NULL } }

static const struct suite_fn suite[] = {
	{ "branin", 2, "multimodal", 0.397887, branin,
	  { { 1, "float:-5:10", NULL }, { 1, "float:0:15", NULL } } },
	{ "six_hump_camel", 2, "multimodal", -1.031628, six_hump_camel,
	  { { 1, "float:-3:3", NULL }, { 1, "float:-2:2", NULL } } },
	{ "goldstein_price", 2, "heavy-range", 3, goldstein_price,
	  FLOATS(2, "-2:2") },
	{ "beale", 2, "valley", 0, beale, FLOATS(2, "-4.5:4.5") },
	{ "step", 5, "plateau", 0, step, FLOATS(5, "-5.12:5.12") },
	{ "hartmann3", 3, "multimodal", -3.86278, hartmann3, FLOATS(3, "0:1") },
	{ "hartmann6", 6, "multimodal", -3.32237, hartmann6, FLOATS(6, "0:1") },
	{ "shekel", 4, "plateau", -10.5364, shekel, FLOATS(4, "0:10") },
	{ "ackley5", 5, "multimodal", 0, ackley, FLOATS(5, "-32.768:32.768") },
	{ "rastrigin5", 5, "multimodal", 0, rastrigin,
	  FLOATS(5, "-5.12:5.12") },
	{ "levy10", 10, "multimodal", 0, levy, FLOATS(10, "-10:10") },
	{ "griewank10", 10, "multimodal", 0, griewank, FLOATS(10, "-600:600") },
	{ "schwefel5", 5, "multimodal", 0, schwefel, FLOATS(5, "-500:500") },
	/* 8 x -39.16617 (-39.1661657 a dimension, at x = -2.903534). */
	{ "styblinski_tang8", 8, "multimodal", -313.3293256, styblinski_tang,
	  FLOATS(8, "-5:5") },
	{ "michalewicz5", 5, "multimodal", -4.687658, michalewicz,
	  FLOATS(5, "0:3.141592653589793") },
	{ "rosenbrock4", 4, "valley", 0, rosenbrock, FLOATS(4, "-5:10") },
	{ "dixon_price10", 10, "valley", 0, dixon_price, FLOATS(10, "-10:10") },
	{ "ellipsoid10", 10, "ill-conditioned", 0, ellipsoid,
	  FLOATS(10, "-5:5") },
	{ "bent_cigar8", 8, "ill-conditioned", 0, bent_cigar,
	  FLOATS(8, "-5:5") },
	{ "sphere20", 20, "bowl", 0, sphere, FLOATS(20, "-5:5") },
	{ "ackley20", 20, "multimodal", 0, ackley,
	  FLOATS(20, "-32.768:32.768") },
	{ "rastrigin_int5", 5, "integer", 0, rastrigin, INTS(5, "-5:5") },
	{ "rosenbrock_int4", 4, "integer", 0, rosenbrock, INTS(4, "-5:10") },
	{ "sphere_cat5", 5, "categorical", 0, sphere_cat,
	  { { 4, "float:-5:5", NULL },
	    { 1, "cat:alpha,beta,gamma,delta", "c" } } },
	{ "levy_mixed6", 6, "mixed", 0, levy,
	  { { 3, "int:-10:10", NULL }, { 3, "float:-10:10", NULL } } },
};

#define SUITE_SIZE (sizeof suite / sizeof suite[0])

/* ------------------------------------------------------------ the plugin */

int
rsw_objective_init(const char *arg, void **state)
{
	for (size_t i = 0; i < SUITE_SIZE; i++)
		if (strcmp(suite[i].name, arg) == 0) {
			*state = (void *)&suite[i];
			return 0;
		}
	/* ringsweep says that init failed, not why: say it here. */
	fprintf(stderr, "rswsuite: no function '%s' (--objective-arg); one of:",
		arg);
	for (size_t i = 0; i < SUITE_SIZE; i++)
		fprintf(stderr, " %s", suite[i].name);
	fputc('\n', stderr);
	return 1;
}

int
rsw_objective_eval(void *state, const double *x, uint32_t n,
		   const rsw_task_info *task, rsw_eval_out *out)
{
	const struct suite_fn *fn = state;

	if (n != fn->dim) {
		if (out->message != NULL)
			snprintf(out->message, out->message_max,
				 "%s takes %u parameters, got %u", fn->name,
				 fn->dim, (unsigned)n);
		out->error_code = EINVAL;
		return 1;
	}
	if (fn->f == sphere_cat && !(x[4] == 0 || x[4] == 1 || x[4] == 2 ||
				     x[4] == 3)) {
		if (out->message != NULL)
			snprintf(out->message, out->message_max,
				 "%s: parameter 5 is a category index 0..3, "
				 "got %g", fn->name, x[4]);
		out->error_code = EINVAL;
		return 1;
	}
	out->value = fn->f(x, fn->dim);
	return 0;
}

int
rsw_suite_describe(unsigned i, char *buf, size_t n)
{
	const struct suite_fn *fn;
	unsigned pos = 0;
	int len;

	if (i >= SUITE_SIZE)
		return -1;
	fn = &suite[i];
	len = snprintf(buf, n, "%s\t%u\t%s\t%.17g\t", fn->name, fn->dim,
		       fn->kind, fn->optimum);
	for (const struct suite_params *p = fn->params;
	     p < fn->params + SUITE_RUNS && p->count > 0; p++)
		for (unsigned k = 0; k < p->count && len >= 0 &&
				     (size_t)len < n; k++, pos++) {
			if (p->name != NULL)
				len += snprintf(buf + len, n - len, "%s%s=%s",
						pos ? " " : "", p->name,
						p->spec);
			else
				len += snprintf(buf + len, n - len, "%sx%u=%s",
						pos ? " " : "", pos + 1,
						p->spec);
		}
	return len >= 0 && (size_t)len < n && pos == fn->dim ? 0 : -1;
}
