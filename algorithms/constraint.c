/*
 * algorithms/constraint.c - constraints on a parameter space: a small
 * expression language, parsed once into a postfix program and evaluated
 * with a fixed stack (no allocation, so algorithms may test millions of
 * candidate points).
 *
 * Grammar (precedence from loosest to tightest, left-associative):
 *   or   := and ('or' and)*
 *   and  := not ('and' not)*
 *   not  := 'not' not | cmp
 *   cmp  := sum (('<'|'<='|'>'|'>='|'=='|'!=') sum)?    no chains
 *   sum  := term (('+'|'-') term)*
 *   term := unary (('*'|'/') unary)*
 *   unary:= '-' unary | NUMBER | NAME | '(' or ')'
 * A NAME is a parameter added before the constraint; its value is the
 * point's (a category's index).  Truth: non-zero and not NaN.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"

enum op {
	OP_NUMBER, OP_PARAM, OP_NEG, OP_NOT,
	OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR,
};

struct parser {
	const rsw_space *space;
	rsw_constraint *c;
	const char *at;
	char *err;
	size_t errlen;
	int failed;
};

static void
fail(struct parser *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "constraint '%s': %s", p->c->text, why);
}

/* Appends an op.  The evaluation stack never holds more values than
 * there are ops (each pushes at most one), so RSW_CONSTRAINT_OPS_MAX
 * bounds it too. */
static void
emit(struct parser *p, enum op op, uint32_t param, double number)
{
	rsw_constraint *c = p->c;

	if (p->failed)
		return;
	if (c->nops == RSW_CONSTRAINT_OPS_MAX) {
		fail(p, "longer than %d operations", RSW_CONSTRAINT_OPS_MAX);
		return;
	}
	c->ops[c->nops++] = (rsw__constraint_op){ .op = op, .param = param,
						  .number = number };
}

static void
skip_space(struct parser *p)
{
	while (isspace((unsigned char)*p->at))
		p->at++;
}

/* Whether the next token is the word w (not a prefix of a longer name). */
static int
accept_word(struct parser *p, const char *w)
{
	size_t n = strlen(w);

	skip_space(p);
	if (strncmp(p->at, w, n) != 0 || isalnum((unsigned char)p->at[n]) ||
	    p->at[n] == '_')
		return 0;
	p->at += n;
	return 1;
}

static int
accept(struct parser *p, const char *symbol)
{
	size_t n = strlen(symbol);

	skip_space(p);
	if (strncmp(p->at, symbol, n) != 0)
		return 0;
	p->at += n;
	return 1;
}

/* The next token, for messages. */
static const char *
here(const struct parser *p)
{
	return *p->at ? p->at : "the end";
}

static void parse_or(struct parser *p);

static void
parse_unary(struct parser *p)
{
	if (p->failed)
		return;
	skip_space(p);
	if (accept(p, "-")) {
		parse_unary(p);
		emit(p, OP_NEG, 0, 0);
		return;
	}
	if (accept(p, "(")) {
		parse_or(p);
		if (!p->failed && !accept(p, ")"))
			fail(p, "expected ')' at '%s'", here(p));
		return;
	}
	if (isdigit((unsigned char)*p->at) || *p->at == '.') {
		char *end;
		double v;

		errno = 0;
		v = strtod(p->at, &end);
		if (end == p->at || errno != 0 || !isfinite(v)) {
			fail(p, "'%s' is not a number", p->at);
			return;
		}
		p->at = end;
		emit(p, OP_NUMBER, 0, v);
		return;
	}
	if (isalpha((unsigned char)*p->at) || *p->at == '_') {
		const char *start = p->at;
		size_t len;
		char names[512] = "";
		size_t used = 0;

		while (isalnum((unsigned char)*p->at) || *p->at == '_')
			p->at++;
		len = (size_t)(p->at - start);
		for (uint32_t i = 0; i < p->space->n; i++)
			if (strlen(p->space->params[i].name) == len &&
			    strncmp(p->space->params[i].name, start, len) == 0) {
				emit(p, OP_PARAM, i, 0);
				return;
			}
		for (uint32_t i = 0; i < p->space->n && used < sizeof names; i++)
			used += (size_t)snprintf(names + used, sizeof names - used,
						 "%s%s", i ? ", " : "",
						 p->space->params[i].name);
		fail(p, "no parameter named '%.*s' (%s%s)", (int)(len > 48 ? 48 : len),
		     start, p->space->n ? "the parameters: " : "no parameter is given yet",
		     names);
		return;
	}
	fail(p, "expected a number, a parameter or '(' at '%s'", here(p));
}

static void
parse_term(struct parser *p)
{
	parse_unary(p);
	while (!p->failed) {
		enum op op;

		if (accept(p, "*"))
			op = OP_MUL;
		else if (accept(p, "/"))
			op = OP_DIV;
		else
			return;
		parse_unary(p);
		emit(p, op, 0, 0);
	}
}

static void
parse_sum(struct parser *p)
{
	parse_term(p);
	while (!p->failed) {
		enum op op;

		if (accept(p, "+"))
			op = OP_ADD;
		else if (accept(p, "-"))
			op = OP_SUB;
		else
			return;
		parse_term(p);
		emit(p, op, 0, 0);
	}
}

/* The comparison operator at p->at, consumed; -1 when none. */
static int
comparison(struct parser *p)
{
	static const struct { const char *symbol; enum op op; } ops[] = {
		{ "<=", OP_LE }, { ">=", OP_GE }, { "==", OP_EQ },
		{ "!=", OP_NE }, { "<", OP_LT },  { ">", OP_GT },
	};

	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (accept(p, ops[i].symbol))
			return (int)ops[i].op;
	return -1;
}

static void
parse_cmp(struct parser *p)
{
	int op;

	parse_sum(p);
	if (p->failed || (op = comparison(p)) < 0)
		return;
	parse_sum(p);
	emit(p, (enum op)op, 0, 0);
	if (!p->failed && comparison(p) >= 0)
		fail(p, "comparisons do not chain: write 'a < b and b < c'");
}

static void
parse_not(struct parser *p)
{
	if (accept_word(p, "not")) {
		parse_not(p);
		emit(p, OP_NOT, 0, 0);
		return;
	}
	parse_cmp(p);
}

static void
parse_and(struct parser *p)
{
	parse_not(p);
	while (!p->failed && accept_word(p, "and")) {
		parse_not(p);
		emit(p, OP_AND, 0, 0);
	}
}

static void
parse_or(struct parser *p)
{
	parse_and(p);
	while (!p->failed && accept_word(p, "or")) {
		parse_and(p);
		emit(p, OP_OR, 0, 0);
	}
}

int
rsw_space_add_constraint(rsw_space *s, const char *text, char *err, size_t errlen)
{
	rsw_constraint c;
	struct parser p = { .space = s, .c = &c, .at = text, .err = err,
			    .errlen = errlen };

	memset(&c, 0, sizeof c);
	if (strlen(text) >= sizeof c.text) {
		snprintf(err, errlen, "constraint '%.40s...': longer than %d characters",
			 text, RSW_CONSTRAINT_TEXT_MAX - 1);
		return RSW_EINVAL;
	}
	snprintf(c.text, sizeof c.text, "%s", text);
	if (s->nconstraints == RSW_MAX_CONSTRAINTS) {
		snprintf(err, errlen, "constraint '%s': more than %d constraints", text,
			 RSW_MAX_CONSTRAINTS);
		return RSW_EINVAL;
	}
	skip_space(&p);
	if (*p.at == '\0')
		fail(&p, "empty");
	parse_or(&p);
	skip_space(&p);
	if (!p.failed && *p.at != '\0')
		fail(&p, "unexpected '%s'", p.at);
	if (p.failed)
		return RSW_EINVAL;
	s->constraints[s->nconstraints++] = c;
	return 0;
}

static int
truth(double v)
{
	return v != 0 && !isnan(v);
}

double
rsw_constraint_eval(const rsw_constraint *c, const double *params)
{
	double stack[RSW_CONSTRAINT_OPS_MAX];
	uint32_t top = 0; /* the number of values on the stack */

	for (uint32_t i = 0; i < c->nops; i++) {
		const rsw__constraint_op *o = &c->ops[i];
		double a = top >= 2 ? stack[top - 2] : 0, b = top >= 1 ? stack[top - 1] : 0;

		switch ((enum op)o->op) {
		case OP_NUMBER: stack[top++] = o->number; continue;
		case OP_PARAM: stack[top++] = params[o->param]; continue;
		case OP_NEG: stack[top - 1] = -b; continue;
		case OP_NOT: stack[top - 1] = !truth(b); continue;
		case OP_ADD: a = a + b; break;
		case OP_SUB: a = a - b; break;
		case OP_MUL: a = a * b; break;
		case OP_DIV: a = a / b; break;
		case OP_LT: a = a < b; break;
		case OP_LE: a = a <= b; break;
		case OP_GT: a = a > b; break;
		case OP_GE: a = a >= b; break;
		case OP_EQ: a = a == b; break;
		case OP_NE: a = a != b; break;
		case OP_AND: a = truth(a) && truth(b); break;
		case OP_OR: a = truth(a) || truth(b); break;
		}
		stack[--top - 1] = a;
	}
	return top == 1 ? stack[0] : NAN;
}

bool
rsw_space_feasible(const rsw_space *s, const double *params)
{
	for (uint32_t i = 0; i < s->nconstraints; i++)
		if (!truth(rsw_constraint_eval(&s->constraints[i], params)))
			return false;
	return s->feasible == NULL || s->feasible(s->feasible_ctx, s, params) != 0;
}

int
rsw_space_check_point(const rsw_space *s, const double *params, int *culprit,
		      char *why, size_t n)
{
	int dummy;

	if (culprit == NULL)
		culprit = &dummy;
	*culprit = -1;
	for (uint32_t i = 0; i < s->n; i++)
		if (rsw__param_check_value(&s->params[i], params[i], why, n) != 0) {
			*culprit = (int)i;
			return RSW_EINVAL;
		}
	for (uint32_t i = 0; i < s->nconstraints; i++)
		if (!truth(rsw_constraint_eval(&s->constraints[i], params))) {
			snprintf(why, n, "constraint '%s' does not hold",
				 s->constraints[i].text);
			return RSW_EINVAL;
		}
	if (s->feasible != NULL && s->feasible(s->feasible_ctx, s, params) == 0) {
		snprintf(why, n, "the feasibility function refuses it");
		return RSW_EINVAL;
	}
	return 0;
}

/* ------------------------------------------------ searching the space */

/* A test of one point: constraint `only`, or all of them (only < 0). */
static bool
satisfies(const rsw_space *s, const double *params, int only)
{
	if (only >= 0)
		return truth(rsw_constraint_eval(&s->constraints[only], params));
	return rsw_space_feasible(s, params);
}

#define CHECK_GRID_MAX 10000000u
#define CHECK_SAMPLES 200000u
#define CHECK_SEED 0x636f6e737472ull /* fixed: the check is reproducible */

/*
 * Visits the grid in grid order (last parameter fastest) and counts the
 * points that satisfy `only`; stops at the first when first_only.
 */
static uint64_t
grid_count(const rsw_space *s, int only, int first_only)
{
	uint64_t level[RSW_MAX_PARAMS_LIMIT] = { 0 }, levels[RSW_MAX_PARAMS_LIMIT];
	double v[RSW_MAX_PARAMS_LIMIT];
	uint64_t count = 0;

	for (uint32_t d = 0; d < s->n; d++) {
		levels[d] = rsw_param_levels(&s->params[d]);
		v[d] = rsw_param_level(&s->params[d], 0);
	}
	for (;;) {
		uint32_t d;

		if (satisfies(s, v, only) && (++count, first_only))
			return count;
		/* The odometer: the last parameter turns fastest. */
		for (d = s->n; d-- > 0;) {
			if (++level[d] < levels[d]) {
				v[d] = rsw_param_level(&s->params[d], level[d]);
				break;
			}
			level[d] = 0;
			v[d] = rsw_param_level(&s->params[d], 0);
		}
		if (d == UINT32_MAX)
			return count;
	}
}

static bool
any_point(const rsw_space *s, int only)
{
	uint64_t grid = rsw_space_grid_size(s);
	double v[RSW_MAX_PARAMS_LIMIT];

	if (grid > 0 && grid <= CHECK_GRID_MAX)
		return grid_count(s, only, 1) > 0;
	for (uint32_t k = 0; k < CHECK_SAMPLES; k++) {
		for (uint32_t d = 0; d < s->n; d++)
			v[d] = rsw_param_from_unit(&s->params[d],
						   rsw__uniform(CHECK_SEED, k, d));
		if (satisfies(s, v, only))
			return true;
	}
	return false;
}

int
rsw_space_check_feasible(const rsw_space *s, char *err, size_t errlen)
{
	uint64_t grid = rsw_space_grid_size(s);
	const char *how = grid > 0 && grid <= CHECK_GRID_MAX ?
				  "of the grid's points" :
				  "of 200000 random points";

	if (s->nconstraints == 0 && s->feasible == NULL)
		return 0;
	for (uint32_t i = 0; i < s->nconstraints; i++)
		if (!any_point(s, (int)i)) {
			snprintf(err, errlen, "constraint '%s': no point of the space "
				 "satisfies it (none %s)", s->constraints[i].text, how);
			return RSW_EINFEASIBLE;
		}
	if (!any_point(s, -1)) {
		snprintf(err, errlen, "no point of the space satisfies %s at once "
			 "(none %s)", s->feasible ? "the constraints and the feasibility "
			 "function" : "all the constraints", how);
		return RSW_EINFEASIBLE;
	}
	return 0;
}

uint64_t
rsw_space_feasible_grid_size(const rsw_space *s)
{
	uint64_t grid = rsw_space_grid_size(s);

	if (grid == 0 || grid > RSW_FEASIBLE_COUNT_MAX ||
	    (s->nconstraints == 0 && s->feasible == NULL))
		return grid;
	return grid_count(s, -1, 0);
}

/* ------------------------------------------------ drawing feasible points */

int
rsw__feasible_draw(const rsw_space *s, uint64_t seed, uint64_t k, uint32_t d0,
		   double *u)
{
	double v[RSW_MAX_PARAMS_LIMIT];

	for (uint32_t attempt = 0; attempt < RSW__FEASIBLE_TRIES; attempt++) {
		/* Attempt 0 is the plain draw: without constraints nothing
		 * changes; later attempts use seeds no plain draw uses. */
		uint64_t sd = attempt == 0 ? seed : seed ^ (0xfea51b1eull * attempt << 17);

		for (uint32_t d = 0; d < s->n; d++) {
			u[d] = rsw__uniform(sd, k, d0 + d);
			v[d] = rsw_param_from_unit(&s->params[d], u[d]);
		}
		if (rsw_space_feasible(s, v))
			return 0;
	}
	return RSW_EINFEASIBLE;
}

bool
rsw__unit_feasible(const rsw_space *s, const double *u)
{
	double v[RSW_MAX_PARAMS_LIMIT];

	if (s->nconstraints == 0 && s->feasible == NULL)
		return true;
	for (uint32_t d = 0; d < s->n; d++)
		v[d] = rsw_param_from_unit(&s->params[d], u[d] < 1 ? u[d] : 0x1.fffffffffffffp-1);
	return rsw_space_feasible(s, v);
}
