/*
 * algorithms/space.c - parsing and mapping of parameter specs.
 *
 * "NAME=int:LO:HI[:STEP]" and "NAME=float:LO:HI[:STEP]".  Every malformed
 * spec is rejected with one sentence naming the parameter and the bad part.
 * A stepped parameter has levels LO, LO+STEP, ... <= HI; grid and unit-cube
 * mapping both go through those levels, so integers and steps are exact.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringsweep/space.h"

void
rsw_space_init(rsw_space *s)
{
	memset(s, 0, sizeof *s);
}

static int
parse_number(const char *tok, double *out)
{
	char *end;

	if (*tok == '\0')
		return -1;
	errno = 0;
	*out = strtod(tok, &end);
	return (*end != '\0' || errno == ERANGE || !isfinite(*out)) ? -1 : 0;
}

#define FAIL(...)                                        \
	do {                                             \
		snprintf(err, errlen, __VA_ARGS__);      \
		return RSW_EINVAL;                       \
	} while (0)

int
rsw_space_add(rsw_space *s, const char *spec, char *err, size_t errlen)
{
	char buf[256], *fields[5], *eq, *name, *save = NULL, *tok;
	rsw_param p;
	int nf = 0;

	if (strlen(spec) >= sizeof buf)
		FAIL("parameter spec '%.40s...' is too long", spec);
	snprintf(buf, sizeof buf, "%s", spec);
	eq = strchr(buf, '=');
	if (eq == NULL)
		FAIL("parameter '%s': expected NAME=TYPE:LO:HI[:STEP]", spec);
	*eq = '\0';
	name = buf;
	if (name[0] == '\0')
		FAIL("parameter '%s': empty name", spec);
	if (strlen(name) >= RSW_PARAM_NAME_MAX)
		FAIL("parameter '%s': name longer than %d characters", name,
		     RSW_PARAM_NAME_MAX - 1);
	for (const char *c = name; *c; c++)
		if (!(*c == '_' || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			FAIL("parameter '%s': name may hold only letters, digits and '_'",
			     name);
	for (uint32_t i = 0; i < s->n; i++)
		if (strcmp(s->params[i].name, name) == 0)
			FAIL("parameter '%s' is given twice", name);
	if (s->n >= RSW_MAX_PARAMS_LIMIT)
		FAIL("parameter '%s': more than %d parameters", name,
		     RSW_MAX_PARAMS_LIMIT);
	for (tok = strtok_r(eq + 1, ":", &save); tok != NULL && nf < 5;
	     tok = strtok_r(NULL, ":", &save))
		fields[nf++] = tok;
	if (nf < 3 || nf > 4 || tok != NULL)
		FAIL("parameter '%s': expected TYPE:LO:HI[:STEP], got '%s'", name,
		     strchr(spec, '=') + 1);
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	if (strcmp(fields[0], "int") == 0)
		p.kind = RSW_PARAM_INT;
	else if (strcmp(fields[0], "float") == 0)
		p.kind = RSW_PARAM_FLOAT;
	else
		FAIL("parameter '%s': unknown type '%s' (expected int or float)",
		     name, fields[0]);
	if (parse_number(fields[1], &p.lo) != 0)
		FAIL("parameter '%s': LO '%s' is not a number", name, fields[1]);
	if (parse_number(fields[2], &p.hi) != 0)
		FAIL("parameter '%s': HI '%s' is not a number", name, fields[2]);
	if (p.lo > p.hi)
		FAIL("parameter '%s': LO %s is greater than HI %s", name,
		     fields[1], fields[2]);
	p.step = p.kind == RSW_PARAM_INT ? 1 : 0;
	if (nf == 4) {
		if (parse_number(fields[3], &p.step) != 0)
			FAIL("parameter '%s': STEP '%s' is not a number", name,
			     fields[3]);
		if (!(p.step > 0))
			FAIL("parameter '%s': STEP '%s' must be greater than 0",
			     name, fields[3]);
	}
	if (p.kind == RSW_PARAM_INT &&
	    (p.lo != floor(p.lo) || p.hi != floor(p.hi) ||
	     p.step != floor(p.step) || fabs(p.lo) > 9e15 || fabs(p.hi) > 9e15))
		FAIL("parameter '%s': int bounds and step must be whole numbers",
		     name);
	s->params[s->n++] = p;
	return 0;
}

uint64_t
rsw_param_levels(const rsw_param *p)
{
	double n;

	if (p->step <= 0)
		return 0;
	/* A small tolerance keeps 0:1:0.1 at 11 levels despite rounding. */
	n = floor((p->hi - p->lo) / p->step + 1e-9) + 1;
	return n >= 1.8e19 ? 0 : (uint64_t)n;
}

uint64_t
rsw_space_grid_size(const rsw_space *s)
{
	uint64_t total = 1;

	for (uint32_t i = 0; i < s->n; i++) {
		uint64_t l = rsw_param_levels(&s->params[i]);

		if (l == 0 || total > UINT64_MAX / l)
			return 0;
		total *= l;
	}
	return s->n > 0 ? total : 0;
}

double
rsw_param_from_unit(const rsw_param *p, double u)
{
	uint64_t levels = rsw_param_levels(p), i;

	if (u < 0)
		u = 0;
	if (levels == 0) {
		double x = p->lo + u * (p->hi - p->lo);
		return x > p->hi ? p->hi : x;
	}
	i = (uint64_t)(u * (double)levels);
	if (i >= levels)
		i = levels - 1;
	return p->lo + (double)i * p->step;
}
