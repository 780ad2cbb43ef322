/*
 * ringsweep/space.h - the parameter space of a sweep.
 *
 * A parameter is named and typed:
 *   int:LO:HI[:STEP]     integers (step 1 by default)
 *   float:LO:HI[:STEP]   reals, continuous unless a step is given
 *   log:LO:HI            log-uniform reals (0 < LO), continuous
 *   logint:LO:HI         log-uniform integers (1 <= LO)
 *   cat:A,B,C            categories, passed to objectives as their INDEX
 *                        (0, 1, 2) and shown by name wherever a person
 *                        reads them
 *   choice:0,5,10        numeric choices, passed as the numbers themselves
 * Values travel to objectives as doubles, in the order the parameters were
 * added.  A stepped float's values are snapped to the decimals of its LO
 * and STEP (float:0:1:0.1 gives 0.3, not 0.30000000000000004).  Parsing
 * errors name the parameter and the bad part.
 *
 * Constraints restrict the space to its feasible points:
 *   fast < slow
 *   stop * 2 <= take and not (kind == 1 and lookback > 50)
 * An expression over the parameters' names (a categorical parameter's
 * value is its index) and numbers: + - * / and unary minus, comparisons
 * < <= > >= == !=, and/or/not, parentheses.  A point is feasible when
 * every constraint is true (non-zero, and not NaN).  Each is parsed once,
 * when added, and evaluated with no allocation; every algorithm proposes
 * feasible points only (grid skips the others, the samplers draw again).
 */
#ifndef RINGSWEEP_SPACE_H
#define RINGSWEEP_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_PARAM_NAME_MAX 48
#define RSW_PARAM_SPEC_MAX 2048 /* the longest "NAME=KIND:..." accepted */
#define RSW_MAX_CATEGORIES 32
#define RSW_CATEGORY_MAX 32

enum rsw_param_kind {
	RSW_PARAM_INT = 0,
	RSW_PARAM_FLOAT = 1,
	RSW_PARAM_LOG = 2,
	RSW_PARAM_LOGINT = 3,
	RSW_PARAM_CAT = 4,
	RSW_PARAM_CHOICE = 5,
};

typedef struct rsw_param {
	char name[RSW_PARAM_NAME_MAX];
	int kind;	/* enum rsw_param_kind */
	double lo, hi;	/* cat: 0 .. ncat - 1; choice: its least and greatest */
	double step;	/* 0: continuous; 1 for int, logint, cat and choice */
	int32_t decimals; /* stepped float: values are rounded to this many
			     decimals; -1: not rounded */
	uint32_t ncat;	/* categories or choices */
	char cat[RSW_MAX_CATEGORIES][RSW_CATEGORY_MAX];
	double choice[RSW_MAX_CATEGORIES];
} rsw_param;

#define RSW_MAX_CONSTRAINTS 16
#define RSW_CONSTRAINT_TEXT_MAX 256
#define RSW_CONSTRAINT_OPS_MAX 96

/* One instruction of a parsed constraint (private to space.c: a stack
 * machine's program in postfix order). */
typedef struct rsw__constraint_op {
	uint32_t op;
	uint32_t param;
	double number;
} rsw__constraint_op;

typedef struct rsw_constraint {
	char text[RSW_CONSTRAINT_TEXT_MAX]; /* as written */
	uint32_t nops;
	rsw__constraint_op ops[RSW_CONSTRAINT_OPS_MAX];
} rsw_constraint;

/* A constraint of your own, evaluated in the driver (the Python module's
 * callables): non-zero when the point is feasible.  A store cannot hold
 * it: a resumed sweep needs it given again. */
struct rsw_space;
typedef int (*rsw_feasible_fn)(void *ctx, const struct rsw_space *space,
			       const double *params);

typedef struct rsw_space {
	uint32_t n;
	rsw_param params[RSW_MAX_PARAMS_LIMIT];
	uint32_t nconstraints;
	rsw_constraint constraints[RSW_MAX_CONSTRAINTS];
	rsw_feasible_fn feasible;	/* NULL: none */
	void *feasible_ctx;
} rsw_space;

RSW_EXTERN void rsw_space_init(rsw_space *s);

/*
 * Parses "NAME=KIND:LO:HI[:STEP]" and appends it.  On error returns
 * RSW_EINVAL and writes one sentence naming the culprit into err.
 */
RSW_EXTERN int rsw_space_add(rsw_space *s, const char *spec, char *err, size_t errlen);

/* Number of grid points of parameter i; 0 when it has no step (float). */
RSW_EXTERN uint64_t rsw_param_levels(const rsw_param *p);

/* The value of level i (0 <= i < levels): LO + i STEP rounded to the
 * decimals of LO and STEP (the more of the two), the i-th choice, or the
 * category index i. */
RSW_EXTERN double rsw_param_level(const rsw_param *p, uint64_t i);

/* Grid cardinality; 0 if any parameter is continuous or it overflows. */
RSW_EXTERN uint64_t rsw_space_grid_size(const rsw_space *s);

/* Maps u in [0,1) to the parameter's domain, honouring type and step
 * (log-uniform for log and logint). */
RSW_EXTERN double rsw_param_from_unit(const rsw_param *p, double u);

/* The inverse of rsw_param_from_unit for a value of the domain: a u that
 * maps back to v (the middle of v's cell for int, cat, choice and stepped
 * floats; v's own log position for logint), clipped to [0, 1).
 * Model-based algorithms place observations with it. */
RSW_EXTERN double rsw_param_to_unit(const rsw_param *p, double v);

/* Whether values are whole numbers (int, logint, cat, a choice of whole
 * numbers). */
RSW_EXTERN int rsw_param_is_integral(const rsw_param *p);

/* Writes a value as a person reads it: the category name for cat, the
 * shortest decimal that reads back as the same double otherwise ("0.3",
 * "60").  Returns buf. */
RSW_EXTERN const char *rsw_param_format(const rsw_param *p, double v, char *buf,
			     size_t n);

/* The inverse of rsw_param_format; 0, or RSW_EINVAL. */
RSW_EXTERN int rsw_param_parse_value(const rsw_param *p, const char *text, double *out);

/* The spec "NAME=KIND:..." that rsw_space_add reads back as this very
 * parameter.  Returns buf ("" when it does not fit in n). */
RSW_EXTERN const char *rsw_param_spec(const rsw_param *p, char *buf, size_t n);

/*
 * Parses a constraint over the parameters added so far and appends it.
 * On error returns RSW_EINVAL and writes one sentence naming the
 * constraint and the bad part into err.
 */
RSW_EXTERN int rsw_space_add_constraint(rsw_space *s, const char *text,
					char *err, size_t errlen);

/* Whether params (values, in parameter order) satisfy every constraint
 * and the feasible callback.  No allocation; any thread. */
RSW_EXTERN bool rsw_space_feasible(const rsw_space *s, const double *params);

/*
 * Whether params is a point of the space, as given (nothing is rounded):
 * every value finite, within its bounds, whole where the parameter is
 * integral, on its step, one of its choices (a category: its index), and
 * the point feasible.  0, or RSW_EINVAL with one sentence in why: about
 * the value of parameter *culprit ("7.5 is not an integer"), or, with
 * *culprit -1, the point ("constraint 'fast < slow' does not hold").
 * culprit may be NULL.  Points a person gives (a warm start's) are
 * checked with it: the algorithms propose only such points.
 */
RSW_EXTERN int rsw_space_check_point(const rsw_space *s, const double *params,
				     int *culprit, char *why, size_t n);

/* Constraint i's value at params (a comparison's is 1 or 0). */
RSW_EXTERN double rsw_constraint_eval(const rsw_constraint *c,
				      const double *params);

/*
 * Whether any point satisfies the constraints: every grid point of a
 * discrete space of at most 10^7 points, 200,000 random points otherwise.
 * 0, or RSW_EINFEASIBLE with one sentence naming the constraint no point
 * satisfies (or saying that no point satisfies them all at once).
 */
RSW_EXTERN int rsw_space_check_feasible(const rsw_space *s, char *err,
					size_t errlen);

/* Grid points that satisfy the constraints (rsw_space_grid_size when
 * there are none, or when the grid has more than RSW_FEASIBLE_COUNT_MAX
 * points; 0 when that is 0).  Enumerates the grid. */
#define RSW_FEASIBLE_COUNT_MAX 1000000000ull
RSW_EXTERN uint64_t rsw_space_feasible_grid_size(const rsw_space *s);

/* Adds every parameter of a JSON space file: an object mapping each name
 * to its spec string ("int:2:100", "cat:a,b"), in file order; the key
 * "constraints" with an array of strings adds those constraints (after
 * every parameter, wherever the key is). */
RSW_EXTERN int rsw_space_load_json(rsw_space *s, const char *path, char *err,
			size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
