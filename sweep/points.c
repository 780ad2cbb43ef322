/*
 * sweep/points.c - a warm start's points from a file (rsw_points_load,
 * ringsweep/sweep.h): CSV with a header of parameter names, or JSON.
 *
 * The file is what people have at hand: an export of an earlier study
 * (`ringsweep export --top 10 > best.csv`, or its JSON), a spreadsheet, a
 * list written by hand.  So columns other than the parameters are
 * ignored, a category is read by its name, quoting follows RFC 4180 (an
 * export's message column may hold commas and line breaks), and each
 * refusal names the file, the row (and a CSV's line) and the column.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ringsweep/algorithms.h"
#include "ringsweep/sweep.h"

#define MAX_COLUMNS 4096

/* Grows a point list by one row; NULL when out of memory. */
static double *
next_row(double **points, uint64_t *n, uint64_t *cap, uint32_t nparams)
{
	if (*n == *cap) {
		uint64_t c = *cap ? 2 * *cap : 64;
		double *p = realloc(*points, c * nparams * sizeof(double));

		if (p == NULL)
			return NULL;
		*points = p;
		*cap = c;
	}
	return &(*points)[(*n)++ * nparams];
}

/* A value from its text: a category's name, or a number. */
static int
parse_value(const rsw_param *p, const char *text, double *v, char *why,
	    size_t n)
{
	if (text[0] == '\0') {
		snprintf(why, n, "it is empty");
		return -1;
	}
	if (rsw_param_parse_value(p, text, v) == 0)
		return 0;
	if (p->kind == RSW_PARAM_CAT) {
		size_t len = 0;

		len += (size_t)snprintf(why, n, "'%.64s' is not one of its categories (",
					text);
		for (uint32_t i = 0; i < p->ncat && len < n; i++)
			len += (size_t)snprintf(why + len, n - len, "%s%s",
						i ? ", " : "", p->cat[i]);
		if (len < n)
			snprintf(why + len, n - len, ")");
	} else {
		snprintf(why, n, "'%.64s' is not a number", text);
	}
	return -1;
}

/* The point's own check, said as the file's: where, and which column. */
static int
check_point(const rsw_space *space, const double *x, const char *where,
	    char *err, size_t errlen)
{
	char why[512];
	int bad;

	if (rsw_space_check_point(space, x, &bad, why, sizeof why) == 0)
		return 0;
	if (bad >= 0)
		snprintf(err, errlen, "%s, column '%s': %s", where,
			 space->params[bad].name, why);
	else
		snprintf(err, errlen, "%s: the point is not in the space: %s", where,
			 why);
	return -1;
}

/* ---------------------------------------------------------------- CSV */

struct csv {
	char *p;	/* the next character; the buffer is NUL-terminated */
	char *end;
	unsigned line;	/* of p, from 1 */
};

/*
 * The next record's fields, unquoted in place (each NUL-terminated, in
 * fields[]): how many, 0 at the end of the file, or -1 (an unterminated
 * quote, too many fields).  *line: the line the record starts on.
 */
static int
csv_record(struct csv *c, char **fields, unsigned *line)
{
	int n = 0;

	if (c->p >= c->end)
		return 0;
	*line = c->line;
	for (;;) {
		char *w = c->p, *start = c->p, at;

		if (n == MAX_COLUMNS)
			return -1;
		if (*c->p == '"') {
			c->p++;
			for (;;) {
				if (c->p >= c->end)
					return -1;
				if (*c->p == '"' && c->p[1] == '"') {
					*w++ = '"';
					c->p += 2;
				} else if (*c->p == '"') {
					c->p++;
					break;
				} else {
					c->line += *c->p == '\n';
					*w++ = *c->p++;
				}
			}
			/* After a closing quote, the field ends. */
			while (c->p < c->end && *c->p != ',' && *c->p != '\n')
				c->p++;
		} else {
			while (c->p < c->end && *c->p != ',' && *c->p != '\n')
				c->p++;
			w = c->p;
		}
		at = c->p < c->end ? *c->p : '\n';
		if (w > start && w[-1] == '\r' && at == '\n')
			w--;
		*w = '\0';
		fields[n++] = start;
		if (c->p < c->end)
			c->p++;
		if (at == '\n') {
			c->line++;
			return n;
		}
	}
}

/* The whole file, NUL-terminated (malloc'd), or NULL with errno. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (f == NULL)
		return NULL;
	do {
		if (cap - n < 65536) {
			char *b = realloc(buf, cap + 65536 + 1);

			if (b == NULL) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = b;
			cap += 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		int e = errno;

		free(buf);
		fclose(f);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int
load_csv(const rsw_space *space, const char *path, char *text, size_t len,
	 char **fields, double **points, uint64_t *npoints, char *err,
	 size_t errlen)
{
	struct csv c = { text, text + len, 1 };
	int column[RSW_MAX_PARAMS_LIMIT], nf, nheader;
	uint64_t cap = 0, row = 0;
	unsigned line;

	nheader = csv_record(&c, fields, &line);
	if (nheader <= 0) {
		snprintf(err, errlen, "--enqueue '%s': %s", path, nheader == 0 ?
			 "it is empty (a header row of parameter names, then a row "
			 "per point)" : "its header cannot be read (an unterminated "
			 "quote, or more than 4096 columns)");
		return RSW_EINVAL;
	}
	for (uint32_t i = 0; i < space->n; i++) {
		column[i] = -1;
		for (int k = 0; k < nheader; k++) {
			if (strcmp(fields[k], space->params[i].name) != 0)
				continue;
			if (column[i] >= 0) {
				snprintf(err, errlen, "--enqueue '%s': its header names "
					 "'%s' twice", path, space->params[i].name);
				return RSW_EINVAL;
			}
			column[i] = k;
		}
		if (column[i] < 0) {
			snprintf(err, errlen, "--enqueue '%s': its header has no "
				 "column '%s' (a column per parameter, named as it "
				 "is; other columns are ignored)", path,
				 space->params[i].name);
			return RSW_EINVAL;
		}
	}
	while ((nf = csv_record(&c, fields, &line)) != 0) {
		char where[4200], why[512];
		double *x;

		row++;
		snprintf(where, sizeof where, "--enqueue '%s' row %llu (line %u)", path,
			 (unsigned long long)row, line);
		if (nf < 0) {
			snprintf(err, errlen, "%s: an unterminated quote, or more than "
				 "4096 fields", where);
			return RSW_EINVAL;
		}
		if (nf == 1 && fields[0][0] == '\0') { /* a blank line */
			row--;
			continue;
		}
		if (nf != nheader) {
			snprintf(err, errlen, "%s: %d fields, the header has %d", where,
				 nf, nheader);
			return RSW_EINVAL;
		}
		if (*npoints == RSW_ENQUEUE_MAX) {
			snprintf(err, errlen, "%s: more than %u points", where,
				 RSW_ENQUEUE_MAX);
			return RSW_EINVAL;
		}
		if ((x = next_row(points, npoints, &cap, space->n)) == NULL) {
			snprintf(err, errlen, "--enqueue '%s': out of memory", path);
			return RSW_ENOMEM;
		}
		for (uint32_t i = 0; i < space->n; i++)
			if (parse_value(&space->params[i], fields[column[i]], &x[i], why,
					sizeof why) != 0) {
				snprintf(err, errlen, "%s, column '%s': %s", where,
					 space->params[i].name, why);
				return RSW_EINVAL;
			}
		if (check_point(space, x, where, err, errlen) != 0)
			return RSW_EINVAL;
	}
	return 0;
}

/* --------------------------------------------------------------- JSON */

static int
load_json(const rsw_space *space, const char *path, double **points,
	  uint64_t *npoints, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr), *list, *o;
	uint64_t cap = 0;
	size_t row;
	int rc = RSW_EINVAL;

	if (root == NULL) {
		snprintf(err, errlen, "--enqueue '%s': %s (line %d)", path, jerr.text,
			 jerr.line);
		return RSW_EINVAL;
	}
	/* An export's JSON is {"sweep": {...}, "results": [...]}. */
	list = json_is_object(root) ? json_object_get(root, "results") : root;
	if (!json_is_array(list)) {
		snprintf(err, errlen, "--enqueue '%s': expected an array of objects "
			 "({\"name\": value, ...} per point)", path);
		goto out;
	}
	json_array_foreach(list, row, o) {
		char where[4200], why[512];
		double *x;

		snprintf(where, sizeof where, "--enqueue '%s' row %zu", path, row + 1);
		if (!json_is_object(o)) {
			snprintf(err, errlen, "%s: not an object ({\"name\": value, ...})",
				 where);
			goto out;
		}
		if (*npoints == RSW_ENQUEUE_MAX) {
			snprintf(err, errlen, "%s: more than %u points", where,
				 RSW_ENQUEUE_MAX);
			goto out;
		}
		if ((x = next_row(points, npoints, &cap, space->n)) == NULL) {
			snprintf(err, errlen, "--enqueue '%s': out of memory", path);
			rc = RSW_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < space->n; i++) {
			const rsw_param *p = &space->params[i];
			json_t *v = json_object_get(o, p->name);

			if (json_is_number(v) && p->kind != RSW_PARAM_CAT) {
				x[i] = json_number_value(v);
				continue;
			}
			if (json_is_string(v) &&
			    parse_value(p, json_string_value(v), &x[i], why,
					sizeof why) == 0)
				continue;
			if (v == NULL)
				snprintf(why, sizeof why, "missing");
			else if (!json_is_string(v))
				snprintf(why, sizeof why, p->kind == RSW_PARAM_CAT ?
					 "expected a category's name (a string)" :
					 "expected a number");
			snprintf(err, errlen, "%s, column '%s': %s", where, p->name, why);
			goto out;
		}
		if (check_point(space, x, where, err, errlen) != 0)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* ---------------------------------------------------------------- API */

int
rsw_points_load(const rsw_space *space, const char *path, double **points,
		uint64_t *npoints, char *err, size_t errlen)
{
	size_t len = 0;
	char *text, *first, **fields;
	int rc;

	*points = NULL;
	*npoints = 0;
	if (space == NULL || space->n == 0 || path == NULL) {
		snprintf(err, errlen, "--enqueue: no space or no file");
		return RSW_EINVAL;
	}
	if ((text = slurp(path, &len)) == NULL) {
		snprintf(err, errlen, "--enqueue '%s': cannot read it: %s", path,
			 strerror(errno));
		return RSW_EINVAL;
	}
	first = text + strspn(text, " \t\r\n");
	if (*first == '[' || *first == '{') {
		rc = load_json(space, path, points, npoints, err, errlen);
	} else if ((fields = malloc(MAX_COLUMNS * sizeof *fields)) == NULL) {
		snprintf(err, errlen, "--enqueue '%s': out of memory", path);
		rc = RSW_ENOMEM;
	} else {
		rc = load_csv(space, path, text, len, fields, points, npoints, err,
			      errlen);
		free(fields);
	}
	free(text);
	if (rc == 0 && *npoints == 0) {
		snprintf(err, errlen, "--enqueue '%s': it holds no points", path);
		rc = RSW_EINVAL;
	}
	if (rc != 0) {
		free(*points);
		*points = NULL;
		*npoints = 0;
	}
	return rc;
}

void
rsw_points_free(double *points)
{
	free(points);
}
