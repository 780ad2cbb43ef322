/*
 * algorithms/space.c - parsing and mapping of parameter specs.
 *
 * "NAME=int:LO:HI[:STEP]", "float:LO:HI[:STEP]", "log:LO:HI",
 * "logint:LO:HI", "cat:A,B,C", "choice:0,5,10", on the command line or as
 * the values of a JSON space file.  Every malformed spec is rejected with
 * one sentence naming the parameter and the bad part.  A stepped parameter
 * has levels LO, LO+STEP, ... <= HI (a list has one level per entry); grid
 * and unit-cube mapping both go through those levels, so integers, steps,
 * categories and choices are exact; log and logint map the unit interval
 * log-uniformly.
 *
 * A stepped float's level LO + i STEP is snapped to d decimals, d the
 * decimals of LO and STEP written shortest: round(v 10^d) / 10^d is the
 * double nearest the decimal (both operands exact, the division correctly
 * rounded) while |v| 10^d < 2^53, which is checked once at parse time.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"
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

/* cat:A,B,C (kind RSW_PARAM_CAT) or choice:1,2.5,10 (RSW_PARAM_CHOICE). */
static int
add_list(rsw_space *s, rsw_param *p, const char *list, char *err,
	 size_t errlen)
{
	const char *c = list, *what = p->kind == RSW_PARAM_CAT ? "category" :
							       "choice";

	if (*c == '\0')
		FAIL("parameter '%s': empty %s list (expected %s:A,B,...)", p->name,
		     what, p->kind == RSW_PARAM_CAT ? "cat" : "choice");
	while (*c) {
		size_t len = strcspn(c, ",");

		if (len == 0 || (c[len] == ',' && c[len + 1] == '\0'))
			FAIL("parameter '%s': empty %s in '%s'", p->name, what, list);
		if (len >= RSW_CATEGORY_MAX)
			FAIL("parameter '%s': %s '%.*s' is longer than %d "
			     "characters", p->name, what, (int)len, c,
			     RSW_CATEGORY_MAX - 1);
		if (p->ncat == RSW_MAX_CATEGORIES)
			FAIL("parameter '%s': more than %d %ss", p->name,
			     RSW_MAX_CATEGORIES, what);
		memcpy(p->cat[p->ncat], c, len);
		p->cat[p->ncat][len] = '\0';
		if (p->kind == RSW_PARAM_CHOICE &&
		    parse_number(p->cat[p->ncat], &p->choice[p->ncat]) != 0)
			FAIL("parameter '%s': choice '%s' is not a number (cat:... "
			     "takes names)", p->name, p->cat[p->ncat]);
		for (uint32_t i = 0; i < p->ncat; i++)
			if (p->kind == RSW_PARAM_CAT ?
				    strcmp(p->cat[i], p->cat[p->ncat]) == 0 :
				    p->choice[i] == p->choice[p->ncat])
				FAIL("parameter '%s': %s '%s' is given twice",
				     p->name, what, p->cat[p->ncat]);
		p->ncat++;
		c += len;
		if (*c == ',')
			c++;
	}
	p->step = 1;
	p->lo = 0;
	p->hi = p->ncat - 1;
	if (p->kind == RSW_PARAM_CHOICE) {
		p->lo = p->hi = p->choice[0];
		for (uint32_t i = 1; i < p->ncat; i++) {
			p->lo = p->choice[i] < p->lo ? p->choice[i] : p->lo;
			p->hi = p->choice[i] > p->hi ? p->choice[i] : p->hi;
		}
	}
	s->params[s->n++] = *p;
	return 0;
}

/* The shortest decimal text of v that reads back as v (%.15g is enough
 * for most values, and is then the shortest; else 16 or 17 digits). */
static void
shortest(double v, char *buf, size_t n)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, n, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Decimals of v written shortest: 0.01 -> 2, 5.12 -> 2, 100 -> 0. */
static int
decimals_of(double v)
{
	char buf[64];
	int prec;

	/* The fewest digits after the point, in exponent form, that read
	 * back as v; the decimals are those less the exponent. */
	for (prec = 0; prec < 16; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof buf, "%.*e", prec, v);
	prec -= atoi(strchr(buf, 'e') + 1);
	return prec > 0 ? prec : 0;
}

int
rsw_space_add(rsw_space *s, const char *spec, char *err, size_t errlen)
{
	char buf[RSW_PARAM_SPEC_MAX], *fields[5], *eq, *name, *save = NULL, *tok;
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
	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	p.decimals = -1;
	if (strncmp(strchr(spec, '=') + 1, "cat:", 4) == 0) {
		p.kind = RSW_PARAM_CAT;
		return add_list(s, &p, strchr(spec, '=') + 1 + 4, err, errlen);
	}
	if (strncmp(strchr(spec, '=') + 1, "choice:", 7) == 0) {
		p.kind = RSW_PARAM_CHOICE;
		return add_list(s, &p, strchr(spec, '=') + 1 + 7, err, errlen);
	}
	if (nf < 3 || nf > 4 || tok != NULL)
		FAIL("parameter '%s': expected TYPE:LO:HI[:STEP], got '%s'", name,
		     strchr(spec, '=') + 1);
	if (strcmp(fields[0], "int") == 0)
		p.kind = RSW_PARAM_INT;
	else if (strcmp(fields[0], "float") == 0)
		p.kind = RSW_PARAM_FLOAT;
	else if (strcmp(fields[0], "log") == 0)
		p.kind = RSW_PARAM_LOG;
	else if (strcmp(fields[0], "logint") == 0)
		p.kind = RSW_PARAM_LOGINT;
	else
		FAIL("parameter '%s': unknown type '%s' (expected int, float, log, "
		     "logint, cat or choice)", name, fields[0]);
	if (parse_number(fields[1], &p.lo) != 0)
		FAIL("parameter '%s': LO '%s' is not a number", name, fields[1]);
	if (parse_number(fields[2], &p.hi) != 0)
		FAIL("parameter '%s': HI '%s' is not a number", name, fields[2]);
	if (p.lo > p.hi)
		FAIL("parameter '%s': LO %s is greater than HI %s", name,
		     fields[1], fields[2]);
	if ((p.kind == RSW_PARAM_LOG && !(p.lo > 0)) ||
	    (p.kind == RSW_PARAM_LOGINT && !(p.lo >= 1)))
		FAIL("parameter '%s': a log scale needs LO > 0 (>= 1 for logint), "
		     "got %s", name, fields[1]);
	if ((p.kind == RSW_PARAM_LOG || p.kind == RSW_PARAM_LOGINT) && nf == 4)
		FAIL("parameter '%s': %s takes no STEP", name, fields[0]);
	p.step = p.kind == RSW_PARAM_INT || p.kind == RSW_PARAM_LOGINT ? 1 : 0;
	if (nf == 4) {
		if (parse_number(fields[3], &p.step) != 0)
			FAIL("parameter '%s': STEP '%s' is not a number", name,
			     fields[3]);
		if (!(p.step > 0))
			FAIL("parameter '%s': STEP '%s' must be greater than 0",
			     name, fields[3]);
	}
	if ((p.kind == RSW_PARAM_INT || p.kind == RSW_PARAM_LOGINT) &&
	    (p.lo != floor(p.lo) || p.hi != floor(p.hi) ||
	     p.step != floor(p.step) || fabs(p.lo) > 9e15 || fabs(p.hi) > 9e15))
		FAIL("parameter '%s': int bounds and step must be whole numbers",
		     name);
	if (p.kind == RSW_PARAM_FLOAT && p.step > 0) {
		int d = decimals_of(p.lo) > decimals_of(p.step) ?
				decimals_of(p.lo) : decimals_of(p.step);

		/* Snapping is exact while |v| 10^d stays below 2^53. */
		if (d <= 15 && fmax(fabs(p.lo), fabs(p.hi)) * pow(10, d) < 0x1p53)
			p.decimals = d;
	}
	s->params[s->n++] = p;
	return 0;
}

uint64_t
rsw_param_levels(const rsw_param *p)
{
	double n;

	if (p->kind == RSW_PARAM_CAT || p->kind == RSW_PARAM_CHOICE)
		return p->ncat;
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
rsw_param_level(const rsw_param *p, uint64_t i)
{
	double v, scale;

	if (p->kind == RSW_PARAM_CHOICE)
		return i < p->ncat ? p->choice[i] : p->choice[p->ncat - 1];
	v = p->lo + (double)i * p->step;
	if (p->decimals < 0)
		return v;
	scale = pow(10, p->decimals);
	return round(v * scale) / scale;
}

double
rsw_param_from_unit(const rsw_param *p, double u)
{
	uint64_t levels = rsw_param_levels(p), i;

	if (u < 0)
		u = 0;
	if (p->kind == RSW_PARAM_LOG || p->kind == RSW_PARAM_LOGINT) {
		/* Log-uniform; logint rounds on the log scale's own terms:
		 * [lo - 0.5, hi + 0.5) so every integer gets its share. */
		double lo = p->kind == RSW_PARAM_LOG ? p->lo : p->lo - 0.5;
		double hi = p->kind == RSW_PARAM_LOG ? p->hi : p->hi + 0.5;
		double x = exp(log(lo) + u * (log(hi) - log(lo)));

		if (p->kind == RSW_PARAM_LOGINT)
			x = floor(x + 0.5);
		return x < p->lo ? p->lo : x > p->hi ? p->hi : x;
	}
	if (levels == 0) {
		double x = p->lo + u * (p->hi - p->lo);
		return x > p->hi ? p->hi : x;
	}
	i = (uint64_t)(u * (double)levels);
	if (i >= levels)
		i = levels - 1;
	return rsw_param_level(p, i);
}

double
rsw_param_to_unit(const rsw_param *p, double v)
{
	uint64_t levels = rsw_param_levels(p);
	double u;

	if (p->kind == RSW_PARAM_LOG || p->kind == RSW_PARAM_LOGINT) {
		double lo = p->kind == RSW_PARAM_LOG ? p->lo : p->lo - 0.5;
		double hi = p->kind == RSW_PARAM_LOG ? p->hi : p->hi + 0.5;

		u = hi > lo ? (log(v) - log(lo)) / (log(hi) - log(lo)) : 0;
	} else if (levels == 0) {
		u = p->hi > p->lo ? (v - p->lo) / (p->hi - p->lo) : 0;
	} else if (p->kind == RSW_PARAM_CHOICE) {
		uint32_t best = 0;

		for (uint32_t i = 1; i < p->ncat; i++)
			if (fabs(p->choice[i] - v) < fabs(p->choice[best] - v))
				best = i;
		u = (best + 0.5) / (double)levels;
	} else {
		double i = floor((v - p->lo) / p->step + 0.5);

		u = (i + 0.5) / (double)levels;
	}
	/* The largest double below 1: from_unit's domain is [0, 1). */
	return u < 0 || u != u ? 0 : u >= 1 ? 0x1.fffffffffffffp-1 : u;
}

int
rsw_param_is_integral(const rsw_param *p)
{
	if (p->kind == RSW_PARAM_CHOICE) {
		for (uint32_t i = 0; i < p->ncat; i++)
			if (p->choice[i] != floor(p->choice[i]) ||
			    fabs(p->choice[i]) > 9e15)
				return 0;
		return 1;
	}
	return p->kind == RSW_PARAM_INT || p->kind == RSW_PARAM_LOGINT ||
	       p->kind == RSW_PARAM_CAT;
}

const char *
rsw_param_format(const rsw_param *p, double v, char *buf, size_t n)
{
	if (p->kind == RSW_PARAM_CAT && v >= 0 && v < p->ncat && v == floor(v))
		snprintf(buf, n, "%s", p->cat[(uint32_t)v]);
	else
		shortest(v, buf, n);
	return buf;
}

const char *
rsw_param_spec(const rsw_param *p, char *buf, size_t n)
{
	static const char *const kinds[] = { "int", "float", "log", "logint",
					     "cat", "choice" };
	char lo[32], hi[32], step[32];
	size_t len;

	if (p->kind < 0 || p->kind > RSW_PARAM_CHOICE)
		return n > 0 ? (buf[0] = '\0', buf) : buf;
	len = (size_t)snprintf(buf, n, "%s=%s:", p->name, kinds[p->kind]);
	if (p->kind == RSW_PARAM_CAT || p->kind == RSW_PARAM_CHOICE) {
		/* A choice's own text would do too, but the shortest form of
		 * its value is what reads back as the same double. */
		for (uint32_t i = 0; i < p->ncat && len < n; i++) {
			if (p->kind == RSW_PARAM_CHOICE)
				shortest(p->choice[i], step, sizeof step);
			len += (size_t)snprintf(buf + len, n - len, "%s%s",
						i ? "," : "",
						p->kind == RSW_PARAM_CAT ? p->cat[i] : step);
		}
	} else {
		shortest(p->lo, lo, sizeof lo);
		shortest(p->hi, hi, sizeof hi);
		shortest(p->step, step, sizeof step);
		/* int and float keep a step that is not their default. */
		int with_step = (p->kind == RSW_PARAM_FLOAT && p->step > 0) ||
				(p->kind == RSW_PARAM_INT && p->step != 1);

		len += (size_t)snprintf(buf + len, n - len, "%s:%s%s%s", lo, hi,
					with_step ? ":" : "", with_step ? step : "");
	}
	if (len >= n && n > 0)
		buf[0] = '\0';
	return buf;
}

/* Whether v is a value of p (see rsw_space_check_point); 0, or
 * RSW_EINVAL with the reason in why. */
int
rsw__param_check_value(const rsw_param *p, double v, char *why, size_t n)
{
	char a[64], b[64];
	uint64_t levels = rsw_param_levels(p);

	if (!isfinite(v)) {
		snprintf(why, n, "%g is not a value", v);
		return RSW_EINVAL;
	}
	shortest(v, a, sizeof a);
	if (p->kind == RSW_PARAM_CAT || p->kind == RSW_PARAM_CHOICE) {
		for (uint32_t i = 0; i < p->ncat; i++)
			if (p->kind == RSW_PARAM_CAT ? v == (double)i : v == p->choice[i])
				return 0;
		if (p->kind == RSW_PARAM_CAT)
			snprintf(why, n, "%s is not the index of one of its %u "
				 "categories", a, p->ncat);
		else
			snprintf(why, n, "%s is not one of its choices", a);
		return RSW_EINVAL;
	}
	if (v < p->lo || v > p->hi) {
		shortest(v < p->lo ? p->lo : p->hi, b, sizeof b);
		snprintf(why, n, "%s is %s its %s bound %s", a,
			 v < p->lo ? "below" : "above", v < p->lo ? "lower" : "upper", b);
		return RSW_EINVAL;
	}
	if (rsw_param_is_integral(p) && v != floor(v)) {
		snprintf(why, n, "%s is not an integer", a);
		return RSW_EINVAL;
	}
	/* On the grid, exactly: the values a grid or a sampler would give
	 * (a stepped float's are rounded to its decimals, so 0.3 is one). */
	if (levels > 0 && p->kind != RSW_PARAM_LOGINT) {
		double i = floor((v - p->lo) / p->step + 0.5);

		if (i < 0 || i >= (double)levels || rsw_param_level(p, (uint64_t)i) != v) {
			char c[64];

			shortest(p->lo, b, sizeof b);
			shortest(p->step, c, sizeof c);
			snprintf(why, n, "%s is not on its grid (from %s by %s)",
				 a, b, c);
			return RSW_EINVAL;
		}
	}
	return 0;
}

int
rsw_param_parse_value(const rsw_param *p, const char *text, double *out)
{
	char *end;

	if (p->kind == RSW_PARAM_CAT) {
		for (uint32_t i = 0; i < p->ncat; i++)
			if (strcmp(p->cat[i], text) == 0) {
				*out = i;
				return 0;
			}
		return RSW_EINVAL;
	}
	errno = 0;
	*out = strtod(text, &end);
	return end != text && *end == '\0' && errno == 0 ? 0 : RSW_EINVAL;
}

int
rsw_space_load_json(rsw_space *s, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	/* A key given twice is refused: jansson's default keeps the last,
	 * and the sweep would silently be another than the one written. */
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key;

	if (root == NULL) {
		snprintf(err, errlen, "--space '%s': %s (line %d)", path, jerr.text,
			 jerr.line);
		return RSW_EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "--space '%s': expected an object mapping each "
			 "parameter name to its spec", path);
		json_decref(root);
		return RSW_EINVAL;
	}
	json_object_foreach(root, key, v) {
		char spec[RSW_PARAM_SPEC_MAX];
		int rc;

		if (strcmp(key, "constraints") == 0 && json_is_array(v))
			continue; /* after every parameter, below */
		if (!json_is_string(v)) {
			snprintf(err, errlen, "--space '%s': parameter '%s' needs a spec "
				 "string such as \"int:1:10\"", path, key);
			json_decref(root);
			return RSW_EINVAL;
		}
		if ((size_t)snprintf(spec, sizeof spec, "%s=%s", key,
				     json_string_value(v)) >= sizeof spec) {
			snprintf(err, errlen, "--space '%s': parameter '%.40s...' "
				 "has a spec longer than %d characters", path, key,
				 RSW_PARAM_SPEC_MAX - 1);
			json_decref(root);
			return RSW_EINVAL;
		}
		rc = rsw_space_add(s, spec, err, errlen);
		if (rc != 0) {
			/* Said of the file it came from (found by fuzzing: the
			 * message named only the parameter). */
			char why[512];

			snprintf(why, sizeof why, "%s", err);
			snprintf(err, errlen, "--space '%s': %s", path, why);
			json_decref(root);
			return rc;
		}
	}
	v = json_object_get(root, "constraints");
	if (json_is_array(v)) {
		size_t i;
		json_t *c;

		json_array_foreach(v, i, c) {
			char why[512];

			if (!json_is_string(c)) {
				snprintf(err, errlen, "--space '%s': constraint %zu "
					 "is not a string such as \"fast < slow\"",
					 path, i + 1);
				json_decref(root);
				return RSW_EINVAL;
			}
			if (rsw_space_add_constraint(s, json_string_value(c), why,
						     sizeof why) != 0) {
				snprintf(err, errlen, "--space '%s': %s", path, why);
				json_decref(root);
				return RSW_EINVAL;
			}
		}
	}
	json_decref(root);
	return 0;
}
