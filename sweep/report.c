/*
 * sweep/report.c - `ringsweep report`: a results store as one
 * self-contained HTML page (ringsweep/report.h has the contract).
 *
 * DESIGN
 * Two phases.  gather() opens the store read-only, begins one read
 * transaction (so a running sweep's rows are one consistent snapshot:
 * counts, best and cells agree), and makes one pass over the results in
 * seq order into a model whose size is bounded by the bins, not by the
 * rows: counts by status and by worker, the running best's improvements,
 * one cell table per plot.  render() writes the page from the model
 * alone.  So a store that cannot be read writes nothing, and a sweep of a
 * million rows makes a page the size of one of a thousand.
 *
 * Every string that reaches the page comes from the store, that is from
 * user input (parameter and metric names, category labels, the command
 * line, a failed command's text): each goes through html() or, inside
 * the JSON block, through json_block(), which escapes what could close
 * the <script> element.  Numbers are printed by us.
 *
 * A value that is NULL (a failed evaluation) or not finite is counted in
 * its status and cell but never plotted or taken as best.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/report.h"
#include "ringsweep/version.h"

#define MARGINAL_BINS 60
#define CURVE_POINTS 2000	/* improvements drawn and embedded at most */
#define SLICES_MAX 16		/* small heatmaps, one per value of the group */
#define BEST_BY_ROWS_MAX 1000
#define STATUSES_MAX 32

/* --------------------------------------------------------------- model */

enum axis_kind {
	AXIS_EXACT,  /* one bin per distinct value */
	AXIS_INT,    /* integers, `width` consecutive values per bin */
	AXIS_LINEAR, /* [min, max] cut into n equal bins */
	AXIS_LOG,    /* the same in log space */
	AXIS_CAT,    /* one bin per label */
};

/* A parameter's recorded values put into at most a given number of bins. */
struct axis {
	int param; /* index among the parameters; -1: no axis */
	int kind;
	uint32_t n;
	double min, max, width;
	double *value; /* AXIS_EXACT: ascending */
	char **label;  /* AXIS_CAT: in order of first appearance */
};

struct cell {
	double best, sum; /* over the finite values of ok rows */
	uint64_t ok, rows;
};

struct worker_stat {
	long long worker;
	uint64_t tasks, ok, infeasible, pruned, failed, retried, timed;
	double ms;
	long long peak_kb;
};

struct point {
	uint64_t seq;
	double value;
};

struct report {
	const char *path;
	int writing;  /* a sweep holds the store's writer lock */
	int maximize;
	uint32_t np, nm;
	char **pname, **mname;
	int pcat[RSW_MAX_PARAMS_LIMIT]; /* TEXT column: labels */
	int pint[RSW_MAX_PARAMS_LIMIT]; /* INTEGER column */
	int plog[RSW_MAX_PARAMS_LIMIT];
	json_t *meta; /* the sweep table, key -> text */
	json_t *desc; /* its description, parsed; NULL if absent */
	uint64_t rows;
	char status_name[STATUSES_MAX][32];
	uint64_t status_n[STATUSES_MAX];
	uint32_t nstatus;
	int have_best;
	uint64_t best_seq;
	double best;
	json_t *best_row;
	struct point *curve;
	size_t ncurve, capcurve;
	struct axis *marg; /* one per parameter */
	struct cell **mcell;
	struct axis hx, hy, hg; /* the heatmap's axes; hg: its slices */
	struct cell *hcell;	/* slice 0: every row; 1 + g: group value g */
	uint32_t nslices;
	double vmin, vmax;	/* the heatmaps' colour range */
	char no_heatmap[256];
	int group;		/* the best-by parameter, or -1 */
	json_t *best_by;	/* its rows */
	uint64_t best_by_total;
	struct worker_stat *w;
	size_t nw, capw, wlast;
	/* A multi-objective sweep (pm >= 2): its objectives, the first two
	 * objectives of a sample of the successes (natural units), the
	 * front's rows (best first by the first objective) and hypervolume
	 * against the worst of each objective. */
	uint32_t pm;
	char pname_obj[RSW_MAX_OBJECTIVES][RSW_PARAM_NAME_MAX];
	int pmin[RSW_MAX_OBJECTIVES];
	double *pts;	/* npts x 2: every success */
	size_t npts, cappts;
	json_t *front;	/* rows, as the store holds them */
	double *front_obj; /* nfront x pm, natural units */
	double hv, ref[RSW_MAX_OBJECTIVES];
	int given_ref;	/* ref is the run's --hv-ref, not the worst of each */
};

/* How many successes the Pareto scatter draws, at most (a stride). */
#define PARETO_POINTS_MAX 4000
#define PARETO_ROWS_MAX 100	/* front members in its table */

static int
better(const struct report *r, double a, double b)
{
	return r->maximize ? a > b : a < b;
}

/* --------------------------------------------------------------- axes */

static void
axis_free(struct axis *a)
{
	free(a->value);
	for (uint32_t i = 0; a->label != NULL && i < a->n; i++)
		free(a->label[i]);
	free(a->label);
	memset(a, 0, sizeof *a);
	a->param = -1;
}

/* `name` quoted as an SQL identifier (its quotes doubled). */
static void
sql_ident(char *out, size_t n, const char *name)
{
	size_t q = 0;

	out[q++] = '"';
	for (const char *c = name; *c != '\0' && q + 3 < n; c++) {
		if (*c == '"')
			out[q++] = '"';
		out[q++] = *c;
	}
	out[q++] = '"';
	out[q] = '\0';
}

/* Fills a from the recorded values of parameter p: at most `bins` bins.
 * 0, or -1 (SQLite or memory). */
static int
axis_build(struct report *r, sqlite3 *db, int p, uint32_t bins, struct axis *a)
{
	char q[2 * RSW_PARAM_NAME_MAX + 8], sql[512];
	sqlite3_stmt *s = NULL;
	long long distinct;
	int rc = -1;

	memset(a, 0, sizeof *a);
	a->param = p;
	sql_ident(q, sizeof q, r->pname[p]);
	if (r->pcat[p]) {
		/* Labels in the order they first appear: the space's order
		 * for a category swept whole. */
		/* Labels cannot be binned: all of them (a category has at
		 * most RSW_MAX_CATEGORIES; a foreign store's column is cut). */
		bins = RSW_REPORT_BINS_MAX;
		a->kind = AXIS_CAT;
		a->label = calloc(bins, sizeof *a->label);
		snprintf(sql, sizeof sql, "SELECT %s FROM results WHERE %s IS NOT NULL "
			 "GROUP BY %s ORDER BY min(seq) LIMIT %u", q, q, q, bins);
		if (a->label == NULL ||
		    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			goto out;
		while (sqlite3_step(s) == SQLITE_ROW && a->n < bins) {
			const char *t = (const char *)sqlite3_column_text(s, 0);

			if (t != NULL && (a->label[a->n++] = strdup(t)) == NULL)
				goto out;
		}
		rc = 0;
		goto out;
	}
	snprintf(sql, sizeof sql, "SELECT count(DISTINCT %s), min(%s), max(%s) FROM "
		 "results", q, q, q);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW)
		goto out;
	distinct = sqlite3_column_int64(s, 0);
	a->min = sqlite3_column_double(s, 1);
	a->max = sqlite3_column_double(s, 2);
	sqlite3_finalize(s);
	s = NULL;
	if (distinct <= (long long)bins) {
		a->kind = AXIS_EXACT;
		a->value = calloc(distinct > 0 ? (size_t)distinct : 1, sizeof *a->value);
		snprintf(sql, sizeof sql, "SELECT DISTINCT %s FROM results WHERE %s IS "
			 "NOT NULL ORDER BY 1", q, q);
		if (a->value == NULL ||
		    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			goto out;
		while (sqlite3_step(s) == SQLITE_ROW && a->n < (uint64_t)distinct)
			a->value[a->n++] = sqlite3_column_double(s, 0);
		rc = 0;
		goto out;
	}
	if (r->plog[p] && a->min > 0) {
		a->kind = AXIS_LOG;
		a->n = bins;
	} else if (r->pint[p] && floor(a->min) == a->min && floor(a->max) == a->max) {
		/* Whole bins of consecutive integers: a bin is a range a
		 * person can read ("12-15"), never half a value. */
		double span = a->max - a->min + 1;

		a->kind = AXIS_INT;
		a->width = ceil(span / bins);
		a->n = (uint32_t)ceil(span / a->width);
	} else {
		a->kind = AXIS_LINEAR;
		a->n = bins;
	}
	rc = 0;
out:
	sqlite3_finalize(s);
	if (rc != 0)
		axis_free(a);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Bin i's bounds: it holds lo <= v <= hi (exact, integer), or lo <= v < hi
 * (linear, log; the last bin closed). */
static void
axis_bounds(const struct axis *a, uint32_t i, double *lo, double *hi)
{
	switch (a->kind) {
	case AXIS_EXACT:
		*lo = *hi = a->value[i];
		break;
	case AXIS_INT:
		*lo = a->min + i * a->width;
		*hi = fmin(*lo + a->width - 1, a->max);
		break;
	case AXIS_LOG:
		*lo = exp(log(a->min) + (log(a->max) - log(a->min)) * i / a->n);
		*hi = i + 1 == a->n ? a->max :
				      exp(log(a->min) + (log(a->max) - log(a->min)) *
							       (i + 1) / a->n);
		break;
	default:
		*lo = a->min + (a->max - a->min) * i / a->n;
		*hi = i + 1 == a->n ? a->max : a->min + (a->max - a->min) * (i + 1) / a->n;
	}
}

/* The bin of the current row's value of a's parameter (column col of
 * s), or -1 (NULL, or not among the bins). */
static long
axis_bin(const struct axis *a, sqlite3_stmt *s, int col)
{
	double v, lo, hi;
	long i;

	if (a->param < 0 || sqlite3_column_type(s, col) == SQLITE_NULL)
		return -1;
	if (a->kind == AXIS_CAT) {
		const char *t = (const char *)sqlite3_column_text(s, col);

		for (uint32_t k = 0; t != NULL && k < a->n; k++)
			if (strcmp(a->label[k], t) == 0)
				return (long)k;
		return -1;
	}
	v = sqlite3_column_double(s, col);
	switch (a->kind) {
	case AXIS_EXACT: {
		const double *at = bsearch(&v, a->value, a->n, sizeof v, cmp_double);

		return at != NULL ? (long)(at - a->value) : -1;
	}
	case AXIS_INT:
		i = (long)floor((v - a->min) / a->width);
		break;
	default:
		if (!isfinite(v) || v < a->min || v > a->max ||
		    (a->kind == AXIS_LOG && v <= 0))
			return -1;
		lo = a->kind == AXIS_LOG ? log(a->min) : a->min;
		hi = a->kind == AXIS_LOG ? log(a->max) : a->max;
		v = a->kind == AXIS_LOG ? log(v) : v;
		i = (long)floor((v - lo) / (hi - lo) * a->n);
		if (i == (long)a->n)
			i--; /* the last bin is closed */
		v = sqlite3_column_double(s, col);
		/* The bounds the page states decide, not the rounding of the
		 * division above: a value on a boundary goes where they say. */
		if (i >= 0 && i < (long)a->n) {
			axis_bounds(a, (uint32_t)i, &lo, &hi);
			if (v < lo && i > 0)
				i--;
			else if (v >= hi && i + 1 < (long)a->n)
				i++;
		}
	}
	return i >= 0 && i < (long)a->n ? i : -1;
}

/* Bin i as a person reads it: "DAX", "12", "12-15", "0.25-0.5". */
static void
axis_label(const struct axis *a, uint32_t i, char *buf, size_t n)
{
	double lo, hi;

	if (a->kind == AXIS_CAT) {
		snprintf(buf, n, "%s", a->label[i]);
		return;
	}
	axis_bounds(a, i, &lo, &hi);
	if (lo == hi)
		snprintf(buf, n, "%.6g", lo);
	else
		snprintf(buf, n, "%.4g\u2013%.4g", lo, hi);
}

/* Bin i's middle on the parameter's scale (an index for labels). */
static double
axis_mid(const struct axis *a, uint32_t i)
{
	double lo, hi;

	if (a->kind == AXIS_CAT)
		return i;
	axis_bounds(a, i, &lo, &hi);
	return a->kind == AXIS_LOG ? sqrt(lo * hi) : (lo + hi) / 2;
}

static void
cells_init(struct cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c[i] = (struct cell){ .best = NAN };
}

static void
cell_add(const struct report *r, struct cell *c, int ok, double v)
{
	c->rows++;
	if (!ok)
		return;
	c->ok++;
	c->sum += v;
	if (isnan(c->best) || better(r, v, c->best))
		c->best = v;
}

/* -------------------------------------------------------------- gather */

static void
report_free(struct report *r)
{
	for (uint32_t i = 0; r->pname != NULL && i < r->np; i++)
		free(r->pname[i]);
	for (uint32_t i = 0; r->mname != NULL && i < r->nm; i++)
		free(r->mname[i]);
	free(r->pname);
	free(r->mname);
	for (uint32_t i = 0; r->marg != NULL && i < r->np; i++) {
		axis_free(&r->marg[i]);
		free(r->mcell[i]);
	}
	free(r->marg);
	free(r->mcell);
	axis_free(&r->hx);
	axis_free(&r->hy);
	axis_free(&r->hg);
	free(r->hcell);
	free(r->curve);
	free(r->w);
	json_decref(r->meta);
	json_decref(r->desc);
	json_decref(r->best_row);
	json_decref(r->best_by);
	json_decref(r->front);
	free(r->front_obj);
	free(r->pts);
}

/* Names from the sweep table's JSON array at key, strdup'd. */
static int
names_of(const rsw_store *st, const char *key, char ***out, uint32_t *n)
{
	const char *text = rsw_store_meta(st, key);
	json_t *a = text != NULL ? json_loads(text, 0, NULL) : NULL, *v;
	size_t i;

	*n = 0;
	*out = NULL;
	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	*out = calloc(json_array_size(a) + 1, sizeof **out);
	json_array_foreach(a, i, v) {
		if (*out == NULL || !json_is_string(v) ||
		    ((*out)[i] = strdup(json_string_value(v))) == NULL) {
			json_decref(a);
			return -1;
		}
		(*n)++;
	}
	json_decref(a);
	return 0;
}

static int
param_index(const struct report *r, const char *name)
{
	for (uint32_t i = 0; i < r->np; i++)
		if (strcmp(r->pname[i], name) == 0)
			return (int)i;
	return -1;
}

static void
unknown_param(const struct report *r, const char *option, const char *name,
	      char *err, size_t errlen)
{
	size_t len;

	snprintf(err, errlen, "%s '%s': not a parameter of the sweep in '%s' "
		 "(its parameters: ", option, name, r->path);
	for (uint32_t i = 0; i < r->np; i++) {
		len = strlen(err);
		snprintf(err + len, errlen - len, "%s%s", i ? ", " : "", r->pname[i]);
	}
	len = strlen(err);
	snprintf(err + len, errlen - len, ")");
}

/* What the space's specs say beyond the column types: which parameters
 * are log-scaled (plotted on a log axis). */
static void
read_description(struct report *r, const rsw_store *st)
{
	const char *text = rsw_store_meta(st, "sweep");
	json_t *specs, *v;
	rsw_space *sp;
	size_t i;
	char err[256];

	r->desc = text != NULL ? json_loads(text, 0, NULL) : NULL;
	specs = json_object_get(r->desc, "space");
	if (!json_is_array(specs) || json_array_size(specs) != r->np ||
	    (sp = malloc(sizeof *sp)) == NULL)
		return;
	rsw_space_init(sp);
	json_array_foreach(specs, i, v)
		if (!json_is_string(v) ||
		    rsw_space_add(sp, json_string_value(v), err, sizeof err) != 0)
			break;
	for (i = 0; sp->n == r->np && i < r->np; i++)
		r->plog[i] = strcmp(sp->params[i].name, r->pname[i]) == 0 &&
			     (sp->params[i].kind == RSW_PARAM_LOG ||
			      sp->params[i].kind == RSW_PARAM_LOGINT);
	free(sp);
}

/* The heatmap's parameters: the options', else the first two numeric
 * ones (then any).  0, or RSW_EINVAL naming the culprit. */
static int
choose_axes(struct report *r, const rsw_report_options *o, int *x, int *y,
	    char *err, size_t errlen)
{
	*x = o->x != NULL ? param_index(r, o->x) : -1;
	*y = o->y != NULL ? param_index(r, o->y) : -1;
	if (o->x != NULL && *x < 0) {
		unknown_param(r, "--x", o->x, err, errlen);
		return RSW_EINVAL;
	}
	if (o->y != NULL && *y < 0) {
		unknown_param(r, "--y", o->y, err, errlen);
		return RSW_EINVAL;
	}
	if (*x >= 0 && *x == *y) {
		snprintf(err, errlen, "--x and --y both name '%s': the heatmap needs "
			 "two parameters", o->x);
		return RSW_EINVAL;
	}
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < r->np; i++) {
			if ((int)i == *x || (int)i == *y || (pass == 0 && r->pcat[i]))
				continue;
			if (*x < 0)
				*x = (int)i;
			else if (*y < 0)
				*y = (int)i;
		}
	return 0;
}

/* Room in *p (*cap elements of size bytes) for element n: the capacity
 * doubles, from `first`.  0, or -1 out of memory. */
static int
room_for_one(void **p, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t want = *cap ? 2 * *cap : first;
	void *grown;

	if (n < *cap)
		return 0;
	if ((grown = realloc(*p, want * size)) == NULL)
		return -1;
	*p = grown;
	*cap = want;
	return 0;
}

static int
worker_add(struct report *r, long long worker, const char *status, int ok,
	   double ms, long long peak_kb, long long attempts, int have_ms)
{
	struct worker_stat *w = NULL;

	/* Rows of one worker often come in runs: look where the last was. */
	if (r->wlast < r->nw && r->w[r->wlast].worker == worker)
		w = &r->w[r->wlast];
	for (size_t i = 0; w == NULL && i < r->nw; i++)
		if (r->w[i].worker == worker) {
			w = &r->w[i];
			r->wlast = i;
		}
	if (w == NULL) {
		size_t at = r->nw;

		if (room_for_one((void **)&r->w, &r->capw, r->nw, sizeof *r->w, 16) != 0)
			return -1;
		/* Kept sorted by worker: the table reads in slot order. */
		while (at > 0 && r->w[at - 1].worker > worker) {
			r->w[at] = r->w[at - 1];
			at--;
		}
		w = &r->w[at];
		*w = (struct worker_stat){ .worker = worker, .peak_kb = -1 };
		r->nw++;
	}
	w->tasks++;
	if (strcmp(status, "ok") == 0)
		w->ok += ok ? 1 : 0;
	else if (strcmp(status, "infeasible") == 0)
		w->infeasible++;
	else if (strcmp(status, "pruned") == 0)
		w->pruned++; /* stopped by a pruner: no failure */
	else
		w->failed++;
	w->retried += attempts > 1;
	if (have_ms) {
		w->ms += ms;
		w->timed++;
	}
	if (peak_kb > w->peak_kb)
		w->peak_kb = peak_kb;
	return 0;
}

static int
curve_add(struct report *r, uint64_t seq, double v)
{
	if (room_for_one((void **)&r->curve, &r->capcurve, r->ncurve, sizeof *r->curve,
			 64) != 0)
		return -1;
	r->curve[r->ncurve++] = (struct point){ seq, v };
	return 0;
}

static void
count_status(struct report *r, const char *name)
{
	uint32_t i;

	for (i = 0; i < r->nstatus; i++)
		if (strcmp(r->status_name[i], name) == 0)
			break;
	if (i == r->nstatus) {
		if (r->nstatus == STATUSES_MAX)
			i = STATUSES_MAX - 1; /* a foreign store's: lumped */
		else
			snprintf(r->status_name[r->nstatus++], sizeof r->status_name[0],
				 "%s", name);
	}
	r->status_n[i]++;
}

/* The one pass over the rows. */
static int
scan_rows(struct report *r, sqlite3 *db)
{
	char *sql = malloc(64 + r->np * (2 * RSW_PARAM_NAME_MAX + 8) + 128);
	char q[2 * RSW_PARAM_NAME_MAX + 8];
	uint32_t nx = r->hx.n, ny = r->hy.n, sv = r->np + 1;
	sqlite3_stmt *s = NULL;
	int rc = -1;

	if (sql == NULL)
		return -1;
	strcpy(sql, "SELECT seq");
	for (uint32_t i = 0; i < r->np; i++) {
		sql_ident(q, sizeof q, r->pname[i]);
		strcat(sql, ", ");
		strcat(sql, q);
	}
	strcat(sql, ", status, value, worker, elapsed_ms, peak_kb, attempts FROM "
		    "results ORDER BY seq");
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		const char *status = (const char *)sqlite3_column_text(s, (int)sv);
		double v = sqlite3_column_double(s, (int)sv + 1);
		int ok = status != NULL && strcmp(status, "ok") == 0 &&
			 sqlite3_column_type(s, (int)sv + 1) != SQLITE_NULL && isfinite(v);
		long bx, by, bg;

		status = status != NULL ? status : "";
		r->rows++;
		count_status(r, status);
		if (ok && (!r->have_best || better(r, v, r->best))) {
			r->have_best = 1;
			r->best = v;
			r->best_seq = seq;
			if (curve_add(r, seq, v) != 0)
				goto fail;
		}
		for (uint32_t p = 0; p < r->np; p++) {
			long b = axis_bin(&r->marg[p], s, (int)p + 1);

			if (b >= 0)
				cell_add(r, &r->mcell[p][b], ok, v);
		}
		bx = axis_bin(&r->hx, s, r->hx.param + 1);
		by = axis_bin(&r->hy, s, r->hy.param + 1);
		if (r->hcell != NULL && bx >= 0 && by >= 0) {
			cell_add(r, &r->hcell[(size_t)by * nx + (size_t)bx], ok, v);
			bg = axis_bin(&r->hg, s, r->hg.param + 1);
			if (bg >= 0 && (uint32_t)bg + 1 < r->nslices)
				cell_add(r, &r->hcell[((size_t)bg + 1) * nx * ny +
						      (size_t)by * nx + (size_t)bx], ok, v);
		}
		if (worker_add(r, sqlite3_column_int64(s, (int)sv + 2), status, ok,
			       sqlite3_column_double(s, (int)sv + 3),
			       sqlite3_column_type(s, (int)sv + 4) == SQLITE_NULL ? -1 :
				       sqlite3_column_int64(s, (int)sv + 4),
			       sqlite3_column_int64(s, (int)sv + 5),
			       sqlite3_column_type(s, (int)sv + 3) != SQLITE_NULL) != 0)
			goto fail;
	}
	rc = rc == SQLITE_DONE ? 0 : -1;
	goto out;
fail:
	rc = -1;
out:
	sqlite3_finalize(s);
	free(sql);
	return rc;
}

/* Statuses in the engine's order, then those of a foreign store as met. */
static int
status_rank(const char *name, uint32_t met)
{
	for (int s = 0; s < RSW_STATUS_COUNT_; s++)
		if (strcmp(rsw_status_name(s), name) == 0)
			return s;
	return RSW_STATUS_COUNT_ + (int)met;
}

static void
order_statuses(struct report *r)
{
	int rank[STATUSES_MAX];

	for (uint32_t i = 0; i < r->nstatus; i++)
		rank[i] = status_rank(r->status_name[i], i);
	for (uint32_t i = 1; i < r->nstatus; i++)
		for (uint32_t k = i; k > 0 && rank[k - 1] > rank[k]; k--) {
			char name[32];
			uint64_t n = r->status_n[k];
			int t = rank[k];

			memcpy(name, r->status_name[k], sizeof name);
			memcpy(r->status_name[k], r->status_name[k - 1], sizeof name);
			memcpy(r->status_name[k - 1], name, sizeof name);
			r->status_n[k] = r->status_n[k - 1];
			r->status_n[k - 1] = n;
			rank[k] = rank[k - 1];
			rank[k - 1] = t;
		}
}

/* The best row in full (parameters, metrics, its text). */
static int
read_best_row(struct report *r, sqlite3 *db)
{
	sqlite3_stmt *s;
	int rc = -1;

	if (!r->have_best)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT * FROM results WHERE seq = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)r->best_seq);
	if (sqlite3_step(s) == SQLITE_ROW && (r->best_row = rsw__store_row_json(s)) != NULL)
		rc = 0;
	sqlite3_finalize(s);
	return rc;
}

/* The per-value table: export --best-by's very statement. */
static int
read_best_by(struct report *r, rsw_store *st, const rsw_report_options *o,
	     char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc;

	r->group = -1;
	if (o->best_by != NULL) {
		r->group = param_index(r, o->best_by);
		if (r->group < 0) {
			unknown_param(r, "--best-by", o->best_by, err, errlen);
			return RSW_EINVAL;
		}
	}
	for (uint32_t i = 0; r->group < 0 && i < r->np; i++)
		if (r->pcat[i])
			r->group = (int)i;
	if (r->group < 0)
		return 0;
	rc = rsw__store_best_by(st, r->pname[r->group], &s, err, errlen);
	if (rc != 0)
		return rc;
	r->best_by = json_array();
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (r->best_by_total++ < BEST_BY_ROWS_MAX)
			json_array_append_new(r->best_by, rsw__store_row_json(s));
	}
	sqlite3_finalize(s);
	return 0;
}

static json_t *
meta_object(const rsw_store *st)
{
	static const char *const keys[] = { "format", "version", "objective", "algo",
					    "seed", "window", "direction", "started",
					    "finished", "outcome", "argv", "inputs",
					    NULL };
	json_t *o = json_object();

	for (int i = 0; keys[i] != NULL; i++) {
		const char *v = rsw_store_meta(st, keys[i]);

		if (v != NULL)
			json_object_set_new(o, keys[i], json_string(v));
	}
	return o;
}

/* Every success's first two objectives, natural units (the scatter draws
 * every k-th past PARETO_POINTS_MAX). */
static int
pareto_point(void *ctx, uint64_t seq, const double *v)
{
	struct report *r = ctx;

	if (room_for_one((void **)&r->pts, &r->cappts, r->npts, 2 * sizeof *r->pts,
			 1024) != 0)
		return RSW_ENOMEM;
	r->pts[2 * r->npts] = r->pmin[0] ? v[0] : -v[0];
	r->pts[2 * r->npts + 1] = r->pmin[1] ? v[1] : -v[1];
	r->npts++;
	(void)seq;
	return 0;
}

static int
read_pareto(struct report *r, rsw_store *st, char *err, size_t errlen)
{
	struct rsw__store_front f;
	sqlite3_stmt *s = NULL;
	char *sql;
	size_t len;
	int rc;

	/* Directions first: the points come in natural units. */
	{
		const json_t *objs = json_object_get(r->desc, "objectives"), *v;
		size_t i;

		json_array_foreach(objs, i, v)
			if (i < RSW_MAX_OBJECTIVES)
				r->pmin[i] = json_is_true(json_object_get(v, "minimize"));
	}
	rc = rsw__store_pareto(st, &f, pareto_point, r, err, errlen);
	if (rc != 0)
		return f.m == 0 ? 0 : rc; /* not one after all: no section */
	r->pm = f.m;
	/* The run's own reference point when it had one (--hv-ref), else
	 * the worst of each objective, as the run's summary said. */
	{
		json_t *given = json_loads(rsw_store_meta(st, "hv_ref") ?
					   rsw_store_meta(st, "hv_ref") : "", 0, NULL);

		r->given_ref = json_is_array(given) && json_array_size(given) == f.m;
		for (uint32_t k = 0; k < f.m; k++) {
			double v = json_number_value(json_array_get(given, k));

			if (r->given_ref)
				f.worst[k] = f.minimize[k] ? v : -v;
			snprintf(r->pname_obj[k], sizeof r->pname_obj[k], "%s", f.name[k]);
			r->ref[k] = f.minimize[k] ? f.worst[k] : -f.worst[k];
		}
		json_decref(given);
	}
	r->hv = rsw_hypervolume(f.front.obj, f.front.n, f.m, f.worst);
	r->front = json_array();
	r->front_obj = malloc((f.front.n ? f.front.n : 1) * f.m * sizeof(double));
	sql = malloc((size_t)f.front.n * 24 + 256);
	if (r->front == NULL || r->front_obj == NULL || sql == NULL) {
		free(sql);
		rsw_pareto_archive_free(&f.front);
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	for (uint32_t i = 0; i < f.front.n * f.m; i++)
		r->front_obj[i] = f.minimize[i % f.m] ? f.front.obj[i] : -f.front.obj[i];
	len = (size_t)sprintf(sql, "SELECT * FROM results WHERE seq IN (");
	for (uint32_t i = 0; i < f.front.n; i++) {
		uint64_t seq;

		memcpy(&seq, &f.front.payload[i * sizeof seq], sizeof seq);
		len += (size_t)sprintf(sql + len, "%s%llu", i ? "," : "",
				       (unsigned long long)seq);
	}
	sprintf(sql + len, ") ORDER BY %s %s, seq", f.col[0], f.minimize[0] ? "ASC" : "DESC");
	rsw_pareto_archive_free(&f.front);
	rc = sqlite3_prepare_v2(rsw__store_db(st), sql, -1, &s, NULL) == SQLITE_OK ?
		     0 : RSW_EINVAL;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
		json_array_append_new(r->front, rsw__store_row_json(s));
	if (rc != 0)
		snprintf(err, errlen, "'%s': cannot be read: %s", r->path,
			 sqlite3_errmsg(rsw__store_db(st)));
	sqlite3_finalize(s);
	free(sql);
	return rc;
}

static int
gather(struct report *r, const char *path, const rsw_report_options *o, char *err,
       size_t errlen)
{
	uint32_t bins = o->bins ? o->bins : RSW_REPORT_BINS;
	rsw_store *st = NULL;
	sqlite3 *db;
	int rc, x, y;
	size_t cells;

	memset(r, 0, sizeof *r);
	r->path = path;
	r->hx.param = r->hy.param = r->hg.param = r->group = -1;
	/* Before the store is open: the check closes a descriptor of the
	 * file, which would drop an open connection's locks. */
	r->writing = rsw__store_writer_alive(path);
	rc = rsw_store_open(&st, path, RSW_STORE_READ, err, errlen);
	if (rc != 0)
		return rc;
	db = rsw__store_db(st);
	/* One snapshot for every query below, however the sweep goes on. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		goto sqlfail;
	if (names_of(st, "params", &r->pname, &r->np) != 0 ||
	    names_of(st, "metrics", &r->mname, &r->nm) != 0) {
		snprintf(err, errlen, "'%s': corrupt sweep description", path);
		rc = RSW_EINVAL;
		goto out;
	}
	{
		const char *dir = rsw_store_meta(st, "direction");

		r->maximize = dir != NULL && strcmp(dir, "maximize") == 0;
	}
	r->meta = meta_object(st);
	for (uint32_t i = 0; i < r->np; i++) {
		char q[2 * RSW_PARAM_NAME_MAX + 8], sql[256];
		sqlite3_stmt *s;
		const char *type;

		sql_ident(q, sizeof q, r->pname[i]);
		snprintf(sql, sizeof sql, "SELECT %s FROM results LIMIT 0", q);
		if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
			goto sqlfail;
		type = sqlite3_column_decltype(s, 0);
		r->pcat[i] = type != NULL && strcmp(type, "TEXT") == 0;
		r->pint[i] = type != NULL && strcmp(type, "INTEGER") == 0;
		r->plog[i] = 0;
		sqlite3_finalize(s);
	}
	read_description(r, st);
	rc = choose_axes(r, o, &x, &y, err, errlen);
	rc = rc ? rc : read_best_by(r, st, o, err, errlen);
	if (rc != 0)
		goto out;
	r->marg = calloc(r->np ? r->np : 1, sizeof *r->marg);
	r->mcell = calloc(r->np ? r->np : 1, sizeof *r->mcell);
	if (r->marg == NULL || r->mcell == NULL)
		goto nomem;
	for (uint32_t i = 0; i < r->np; i++)
		r->marg[i].param = -1;
	for (uint32_t i = 0; i < r->np; i++) {
		if (axis_build(r, db, (int)i, MARGINAL_BINS, &r->marg[i]) != 0)
			goto sqlfail;
		r->mcell[i] = malloc((r->marg[i].n ? r->marg[i].n : 1) * sizeof **r->mcell);
		if (r->mcell[i] == NULL)
			goto nomem;
		cells_init(r->mcell[i], r->marg[i].n);
	}
	if (x < 0 || y < 0) {
		snprintf(r->no_heatmap, sizeof r->no_heatmap, "A heatmap needs two "
			 "parameters; this sweep has %u.", r->np);
	} else {
		if (axis_build(r, db, x, bins, &r->hx) != 0 ||
		    axis_build(r, db, y, bins, &r->hy) != 0)
			goto sqlfail;
		r->nslices = 1;
		/* Small heatmaps per value of the group (per security), when
		 * it is neither axis and has few values; at 250 pixels wide
		 * more than 100 x 100 cells would not show. */
		if (r->group >= 0 && r->group != x && r->group != y &&
		    r->hx.n * r->hy.n <= 10000) {
			if (axis_build(r, db, r->group, SLICES_MAX + 1, &r->hg) != 0)
				goto sqlfail;
			if ((r->hg.kind == AXIS_CAT || r->hg.kind == AXIS_EXACT) &&
			    r->hg.n <= SLICES_MAX && r->hg.n > 1)
				r->nslices = 1 + r->hg.n;
			else
				axis_free(&r->hg);
		}
		cells = (size_t)r->nslices * r->hx.n * r->hy.n;
		r->hcell = malloc((cells ? cells : 1) * sizeof *r->hcell);
		if (r->hcell == NULL)
			goto nomem;
		cells_init(r->hcell, cells);
	}
	if (scan_rows(r, db) != 0 || read_best_row(r, db) != 0)
		goto sqlfail;
	order_statuses(r);
	r->vmin = INFINITY;
	r->vmax = -INFINITY;
	for (size_t i = 0; r->hcell != NULL && i < (size_t)r->nslices * r->hx.n * r->hy.n;
	     i++)
		if (r->hcell[i].ok) {
			r->vmin = fmin(r->vmin, r->hcell[i].best);
			r->vmax = fmax(r->vmax, r->hcell[i].best);
		}
	if (json_is_array(json_object_get(r->desc, "objectives")) &&
	    (rc = read_pareto(r, st, err, errlen)) != 0)
		goto out;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "'%s': out of memory", path);
	rc = RSW_ENOMEM;
	goto out;
sqlfail:
	snprintf(err, errlen, "'%s': cannot be read: %s", path, sqlite3_errmsg(db));
	rc = RSW_EINVAL;
out:
	if (st != NULL)
		sqlite3_exec(rsw__store_db(st), "COMMIT", NULL, NULL, NULL);
	rsw_store_discard(st);
	return rc;
}

/* ---------------------------------------------------------- page text */

/* Text from the store into HTML (element content and attribute values
 * alike). */
static void
html(FILE *f, const char *text)
{
	for (const char *c = text != NULL ? text : ""; *c != '\0'; c++)
		switch (*c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*c, f);
		}
}

static void
num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("\u2013", f);
}

/* A JSON value of a row, as a table cell shows it. */
static void
json_cell(FILE *f, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(f, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		num(f, json_real_value(v));
	else if (json_is_string(v))
		html(f, json_string_value(v));
	else
		fputs("\u2013", f);
}

/* The data block: JSON inside <script>, where "</script" or "<!--" in a
 * string (a label, a command) would end or derail the element; <, > and
 * & are only ever inside strings, where \u escapes mean the same. */
static int
json_block(FILE *f, const json_t *data)
{
	char *text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17));

	if (text == NULL)
		return -1;
	fputs("<script type=\"application/json\" id=\"rsw-report-data\">", f);
	for (const char *c = text; *c != '\0'; c++)
		if (*c == '<')
			fputs("\\u003c", f);
		else if (*c == '>')
			fputs("\\u003e", f);
		else if (*c == '&')
			fputs("\\u0026", f);
		else
			fputc(*c, f);
	fputs("</script>\n", f);
	free(text);
	return 0;
}

/* ------------------------------------------------------------- colours */

/* Dark (worse) to bright (better), whichever the direction: the eye goes
 * to the best region first. */
static const unsigned char ramp[][3] = {
	{ 0x2d, 0x1b, 0x4e }, { 0x3e, 0x4a, 0x89 }, { 0x26, 0x82, 0x8e },
	{ 0x6c, 0xcd, 0x5a }, { 0xfd, 0xe7, 0x25 },
};
#define RAMP_STOPS (sizeof ramp / sizeof ramp[0])

static void
ramp_at(double t, char out[8])
{
	double x = fmin(fmax(t, 0), 1) * (RAMP_STOPS - 1), f;
	size_t k = (size_t)x;
	int c[3];

	if (k >= RAMP_STOPS - 1)
		k = RAMP_STOPS - 2;
	f = x - (double)k;
	for (int i = 0; i < 3; i++)
		c[i] = (int)lround(ramp[k][i] + (ramp[k + 1][i] - ramp[k][i]) * f);
	snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* The fill of a heatmap cell holding value v. */
static void
colour_of(const struct report *r, double v, char out[8])
{
	double t = r->vmax > r->vmin ? (v - r->vmin) / (r->vmax - r->vmin) : 1;

	ramp_at(r->maximize ? t : 1 - t, out);
}

/* -------------------------------------------------------------- data */

static json_t *
jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *
axis_json(const struct report *r, const struct axis *a)
{
	static const char *const kinds[] = { "exact", "int", "linear", "log", "cat" };
	json_t *o = json_object(), *bins = json_array();

	json_object_set_new(o, "param", json_string(r->pname[a->param]));
	json_object_set_new(o, "kind", json_string(kinds[a->kind]));
	json_object_set_new(o, "rule", json_string(
		a->kind == AXIS_CAT ? "v == label" :
		a->kind == AXIS_EXACT || a->kind == AXIS_INT ? "lo <= v <= hi" :
		"lo <= v < hi (the last bin: lo <= v <= hi)"));
	for (uint32_t i = 0; i < a->n; i++) {
		double lo, hi;

		if (a->kind == AXIS_CAT) {
			json_array_append_new(bins, json_string(a->label[i]));
			continue;
		}
		axis_bounds(a, i, &lo, &hi);
		json_array_append_new(bins, json_pack("{s:o, s:o}", "lo", jnum(lo),
						      "hi", jnum(hi)));
	}
	json_object_set_new(o, "bins", bins);
	return o;
}

/* [x, y, best or null, ok rows, rows, fill or null] of every cell with
 * rows. */
static json_t *
cells_json(const struct report *r, const struct cell *c)
{
	json_t *a = json_array();

	for (uint32_t y = 0; y < r->hy.n; y++)
		for (uint32_t x = 0; x < r->hx.n; x++) {
			const struct cell *k = &c[(size_t)y * r->hx.n + x];
			char fill[8];

			if (k->rows == 0)
				continue;
			if (k->ok)
				colour_of(r, k->best, fill);
			json_array_append_new(a, json_pack("[i, i, o, I, I, o]", (int)x, (int)y,
							   k->ok ? jnum(k->best) : json_null(),
							   (json_int_t)k->ok, (json_int_t)k->rows,
							   k->ok ? json_string(fill) : json_null()));
		}
	return a;
}

static json_t *
heatmap_json(const struct report *r)
{
	json_t *o, *slices;

	if (r->hcell == NULL)
		return json_pack("{s:s}", "none", r->no_heatmap);
	o = json_pack("{s:o, s:o, s:o, s:[o, o]}", "x", axis_json(r, &r->hx), "y",
		      axis_json(r, &r->hy), "cells", cells_json(r, r->hcell), "range",
		      jnum(r->vmin), jnum(r->vmax));
	if (r->nslices > 1) {
		slices = json_array();
		for (uint32_t g = 0; g + 1 < r->nslices; g++) {
			char label[256];

			axis_label(&r->hg, g, label, sizeof label);
			json_array_append_new(slices, json_pack(
				"{s:s, s:o}", "value", label, "cells",
				cells_json(r, r->hcell + (size_t)(g + 1) * r->hx.n * r->hy.n)));
		}
		json_object_set_new(o, "by", json_string(r->pname[r->hg.param]));
		json_object_set_new(o, "slices", slices);
	}
	return o;
}

static json_t *
marginals_json(const struct report *r)
{
	json_t *a = json_array();

	for (uint32_t p = 0; p < r->np; p++) {
		json_t *best = json_array(), *mean = json_array(), *ok = json_array(),
		       *rows = json_array();

		for (uint32_t i = 0; i < r->marg[p].n; i++) {
			const struct cell *c = &r->mcell[p][i];

			json_array_append_new(best, c->ok ? jnum(c->best) : json_null());
			json_array_append_new(mean, c->ok ? jnum(c->sum / (double)c->ok) :
							    json_null());
			json_array_append_new(ok, json_integer((json_int_t)c->ok));
			json_array_append_new(rows, json_integer((json_int_t)c->rows));
		}
		json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "param",
						   r->pname[p], "axis",
						   axis_json(r, &r->marg[p]), "best", best,
						   "mean", mean, "ok", ok, "rows", rows));
	}
	return a;
}

/* The k-th of the curve's points drawn (all of them up to CURVE_POINTS,
 * else as many spread evenly, the first and the last included). */
static size_t
curve_drawn(const struct report *r)
{
	return r->ncurve < CURVE_POINTS ? r->ncurve : CURVE_POINTS;
}

static const struct point *
curve_point(const struct report *r, size_t k)
{
	size_t n = curve_drawn(r);

	if (n == r->ncurve || n < 2)
		return &r->curve[k];
	return &r->curve[k * (r->ncurve - 1) / (n - 1)];
}

static json_t *
status_json(const struct report *r)
{
	json_t *o = json_object();

	for (uint32_t i = 0; i < r->nstatus; i++)
		json_object_set_new(o, r->status_name[i],
				    json_integer((json_int_t)r->status_n[i]));
	return o;
}

static json_t *
workers_json(const struct report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; i < r->nw; i++) {
		const struct worker_stat *w = &r->w[i];

		json_array_append_new(a, json_pack(
			"{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "worker",
			(json_int_t)w->worker, "tasks", (json_int_t)w->tasks, "ok",
			(json_int_t)w->ok, "failed", (json_int_t)w->failed, "infeasible",
			(json_int_t)w->infeasible, "pruned", (json_int_t)w->pruned,
			"retried", (json_int_t)w->retried,
			"mean_ms", w->timed ? jnum(w->ms / (double)w->timed) : json_null(),
			"peak_kb", w->peak_kb >= 0 ? json_integer(w->peak_kb) : json_null()));
	}
	return a;
}

static json_t *
names_json(char **names, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

/* The front: objectives, hypervolume and reference, members (seq and
 * objective values, natural units); null for a single objective. */
static json_t *
pareto_json(const struct report *r)
{
	json_t *objs = json_array(), *members = json_array(), *ref = json_array();

	if (r->pm < 2) {
		json_decref(objs);
		json_decref(members);
		json_decref(ref);
		return json_null();
	}
	for (uint32_t k = 0; k < r->pm; k++) {
		json_array_append_new(objs, json_pack("{s:s, s:s}", "name", r->pname_obj[k],
						      "direction", r->pmin[k] ? "minimize" :
										"maximize"));
		json_array_append_new(ref, jnum(r->ref[k]));
	}
	for (size_t i = 0; i < json_array_size(r->front); i++) {
		json_t *v = json_array();

		for (uint32_t k = 0; k < r->pm; k++)
			json_array_append_new(v, jnum(r->front_obj[i * r->pm + k]));
		json_array_append_new(members, json_pack("{s:O, s:o}", "seq",
			json_object_get(json_array_get(r->front, i), "seq"), "objectives", v));
	}
	return json_pack("{s:o, s:o, s:o, s:b, s:o, s:I}", "objectives", objs,
			 "hypervolume", jnum(r->hv), "reference", ref, "reference_given",
			 r->given_ref, "front", members, "successes", (json_int_t)r->npts);
}

static json_t *
data_json(const struct report *r, const char *generated)
{
	json_t *curve = json_array(), *o;

	for (size_t k = 0; k < curve_drawn(r); k++)
		json_array_append_new(curve, json_pack("[I, o]",
						       (json_int_t)curve_point(r, k)->seq,
						       jnum(curve_point(r, k)->value)));
	o = json_object();
	json_object_set_new(o, "format", json_string("ringsweep-report-1"));
	json_object_set_new(o, "store", json_string(r->path));
	json_object_set_new(o, "generated", json_string(generated));
	json_object_set_new(o, "version", json_string(RSW_VERSION_STRING));
	json_object_set_new(o, "study", json_pack(
		"{s:O?, s:O, s:o, s:o, s:I, s:b}", "description", r->desc, "meta",
		r->meta, "params", names_json(r->pname, r->np), "metrics",
		names_json(r->mname, r->nm), "rows", (json_int_t)r->rows,
		"being_written", r->writing));
	json_object_set_new(o, "direction", json_string(r->maximize ? "maximize" :
								       "minimize"));
	json_object_set_new(o, "status", status_json(r));
	json_object_set_new(o, "best", r->have_best ?
		json_pack("{s:I, s:o, s:O}", "seq", (json_int_t)r->best_seq, "value",
			  jnum(r->best), "row", r->best_row) : json_null());
	json_object_set_new(o, "curve", json_pack("{s:I, s:I, s:o}", "evaluations",
						  (json_int_t)r->rows, "improvements",
						  (json_int_t)r->ncurve, "points", curve));
	json_object_set_new(o, "heatmap", heatmap_json(r));
	json_object_set_new(o, "marginals", marginals_json(r));
	json_object_set_new(o, "best_by", r->group < 0 ? json_null() :
		json_pack("{s:s, s:O, s:I}", "param", r->pname[r->group], "rows",
			  r->best_by, "total", (json_int_t)r->best_by_total));
	json_object_set_new(o, "workers", workers_json(r));
	json_object_set_new(o, "pareto", pareto_json(r));
	return o;
}

/* --------------------------------------------------------------- plots */

/* A chart: its data area in pixels and the data ranges it shows. */
struct plot {
	FILE *f;
	double left, top, w, h;
	double x0, x1, y0, y1;
	int xlog;
};

static double
plot_x(const struct plot *p, double v)
{
	double lo = p->xlog ? log10(p->x0) : p->x0, hi = p->xlog ? log10(p->x1) : p->x1;

	return p->left + ((p->xlog ? log10(v) : v) - lo) / (hi - lo) * p->w;
}

static double
plot_y(const struct plot *p, double v)
{
	return p->top + p->h - (v - p->y0) / (p->y1 - p->y0) * p->h;
}

/* Widens [lo, hi] by a margin, and an empty range into one around it. */
static void
pad_range(double *lo, double *hi, double margin)
{
	double span = *hi - *lo;

	if (!isfinite(*lo) || !isfinite(*hi)) {
		*lo = 0;
		*hi = 1;
		return;
	}
	if (span <= 0) {
		span = fmax(fabs(*lo) * 0.1, 0.5);
		*lo -= span / 2;
		*hi += span / 2;
		return;
	}
	*lo -= span * margin;
	*hi += span * margin;
}

/* 1, 2 or 5 times a power of ten: about `target` steps over span. */
static double
nice_step(double span, int target)
{
	double raw = span / target, mag = pow(10, floor(log10(raw))), f = raw / mag;

	return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void
svg_open(FILE *f, int width, int height, const char *label)
{
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", width, height, width,
		height);
	html(f, label);
	fputs("\">\n", f);
}

/* The frame, grid lines, tick labels and axis titles. */
static void
plot_axes(const struct plot *p, const char *xtitle, const char *ytitle, int xticks)
{
	FILE *f = p->f;
	double step = nice_step(p->y1 - p->y0, 5);

	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"class=\"frame\"/>\n", p->left, p->top, p->w, p->h);
	/* At most a dozen ticks: a step below the values' resolution (1e16
	 * to 1e16 + 2) would never advance t. */
	for (int k = 0; k < 12; k++) {
		double t = (ceil(p->y0 / step) + k) * step;
		double y = plot_y(p, t);

		if (!(t <= p->y1 + step * 1e-9))
			break;
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			"class=\"grid\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
			"text-anchor=\"end\">%g</text>\n", p->left, p->left + p->w, y, y,
			p->left - 4, y + 4, fabs(t) < step * 1e-9 ? 0.0 : t);
	}
	if (xticks && p->xlog) {
		for (double d = pow(10, floor(log10(p->x0))); d <= p->x1 * 1.000001 &&
		     d < p->x0 * 1e30; d *= 10)
			for (int m = 1; m < 10; m = m == 1 ? 2 : m == 2 ? 5 : 10) {
				double x = d * m;

				if (x < p->x0 * 0.999999 || x > p->x1 * 1.000001)
					continue;
				fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
					"text-anchor=\"middle\">%g</text>\n", plot_x(p, x),
					p->top + p->h + 14, x);
			}
	} else if (xticks) {
		double xs = nice_step(p->x1 - p->x0, 6);

		for (int k = 0; k < 12; k++) {
			double t = (ceil(p->x0 / xs) + k) * xs;

			if (!(t <= p->x1 + xs * 1e-9))
				break;
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
				"text-anchor=\"middle\">%g</text>\n", plot_x(p, t),
				p->top + p->h + 14, fabs(t) < xs * 1e-9 ? 0.0 : t);
		}
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\" text-anchor=\"middle\">",
		p->left + p->w / 2, p->top + p->h + 32);
	html(f, xtitle);
	fprintf(f, "</text><text transform=\"translate(%.1f %.1f) rotate(-90)\" "
		"class=\"title\" text-anchor=\"middle\">", p->left - 48, p->top + p->h / 2);
	html(f, ytitle);
	fputs("</text>\n", f);
}

/* ------------------------------------------------------------ sections */

static void
dl_row(FILE *f, const char *term, const char *text)
{
	fputs("<dt>", f);
	html(f, term);
	fputs("</dt><dd>", f);
	html(f, text);
	fputs("</dd>\n", f);
}

static const char *
desc_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long
desc_int(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* A list of strings as <code> items. */
static void
dl_codes(FILE *f, const char *term, const json_t *a, const char *none)
{
	size_t i;
	const json_t *v;

	fputs("<dt>", f);
	html(f, term);
	fputs("</dt><dd>", f);
	if (json_array_size(a) == 0)
		html(f, none);
	json_array_foreach(a, i, v) {
		fputs(i ? " &nbsp; <code>" : "<code>", f);
		html(f, json_is_string(v) ? json_string_value(v) : "?");
		fputs("</code>", f);
	}
	fputs("</dd>\n", f);
}

static void
section_study(FILE *f, const struct report *r)
{
	const json_t *d = r->desc, *obj = json_object_get(d, "objective");
	const json_t *ao = json_object_get(d, "algo_opts"), *eng = json_object_get(d, "engine");
	const char *algo = desc_str(d, "algo") ? desc_str(d, "algo") : desc_str(d, "algorithm");
	const char *outcome = json_string_value(json_object_get(r->meta, "outcome"));
	char buf[512];

	fputs("<section id=\"study\"><h2>The study</h2><dl>\n", f);
	if (d == NULL)
		fputs("<dt>Description</dt><dd>not recorded in the store (a sweep that "
		      "has only just started, or a store made before descriptions "
		      "were kept)</dd>\n", f);
	if (obj != NULL) {
		const char *what = desc_str(obj, "cmd") ? desc_str(obj, "cmd") :
				   desc_str(obj, "function") ? desc_str(obj, "function") :
							       desc_str(obj, "name");

		dl_row(f, desc_str(obj, "cmd") ? "Objective (command)" : "Objective",
		       what ? what : "?");
		if (desc_str(obj, "data") != NULL) {
			snprintf(buf, sizeof buf, "%s%s%s%s%s", desc_str(obj, "data"),
				 desc_str(obj, "column") ? ", column " : "",
				 desc_str(obj, "column") ? desc_str(obj, "column") : "",
				 desc_str(obj, "metric") ? ", value: " : "",
				 desc_str(obj, "metric") ? desc_str(obj, "metric") : "");
			dl_row(f, "Data", buf);
		}
	}
	dl_row(f, "Direction", r->maximize ? "maximize" : "minimize");
	if (algo != NULL) {
		long long evals = desc_int(ao, "evals"), gens = desc_int(ao, "generations");
		long long pop = desc_int(ao, "population"), init = desc_int(ao, "init");

		snprintf(buf, sizeof buf, "%s, seed %lld", algo, desc_int(ao, "seed"));
		if (init > 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", %lld initial "
				 "points", init);
		dl_row(f, "Algorithm", buf);
		if (gens > 0)
			snprintf(buf, sizeof buf, "%lld generations of %lld", gens, pop);
		else if (evals > 0)
			snprintf(buf, sizeof buf, "%lld evaluations", evals);
		else if (strcmp(algo, "grid") == 0)
			snprintf(buf, sizeof buf, "every point of the grid");
		else
			snprintf(buf, sizeof buf, "not recorded");
		if (pop > 0 && gens <= 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
				 ", population %lld", pop);
		dl_row(f, "Budget", buf);
	}
	if (d != NULL) {
		dl_codes(f, "Space", json_object_get(d, "space"), "?");
		dl_codes(f, "Constraints", json_object_get(d, "constraints"),
			 json_is_true(json_object_get(d, "feasible_fn")) ?
			 "a function of the caller's (not recorded)" : "none");
		snprintf(buf, sizeof buf, "%lld", desc_int(d, "window"));
		dl_row(f, "Window", buf);
	}
	if (eng != NULL) {
		double t = json_number_value(json_object_get(eng, "timeout_s"));
		char tb[32] = "none";

		if (t > 0)
			snprintf(tb, sizeof tb, "%g s", t);
		snprintf(buf, sizeof buf, "timeout %s, up to %lld attempts, on error: %s",
			 tb, desc_int(eng, "max_attempts"),
			 desc_str(eng, "on_error") ? desc_str(eng, "on_error") : "?");
		if (desc_int(eng, "max_mem") > 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf),
				 ", max memory %lld MiB", desc_int(eng, "max_mem") >> 20);
		dl_row(f, "Engine", buf);
	}
	{
		const char *argv = json_string_value(json_object_get(r->meta, "argv"));
		json_t *a = argv != NULL ? json_loads(argv, 0, NULL) : NULL;

		if (json_array_size(a) > 0)
			dl_codes(f, "Command line", a, "");
		json_decref(a);
	}
	snprintf(buf, sizeof buf, "%llu evaluations stored; %s%s",
		 (unsigned long long)r->rows, outcome != NULL ? outcome : "outcome not "
		 "recorded", r->writing ? " (being written now: this report is a "
		 "snapshot)" : outcome != NULL && strcmp(outcome, "running") == 0 ?
		 " (no process writes it: interrupted; --resume continues it)" : "");
	dl_row(f, "State", buf);
	fputs("<dt>Store</dt><dd><code>", f);
	html(f, r->path);
	fputs("</code>", f);
	for (int i = 0; i < 2; i++) {
		const char *k = i == 0 ? "started" : "finished";
		const char *v = json_string_value(json_object_get(r->meta, k));

		if (v != NULL) {
			fprintf(f, ", %s ", k);
			html(f, v);
		}
	}
	fputs("</dd>\n</dl></section>\n", f);
}

static void
section_summary(FILE *f, const struct report *r)
{
	fputs("<section id=\"summary\"><h2>Best and status</h2>\n", f);
	if (r->have_best) {
		const json_t *row = r->best_row;

		fputs("<p class=\"best\">best value <b>", f);
		num(f, r->best);
		fprintf(f, "</b> (%s) at evaluation %llu</p>\n<div class=\"wide\"><table><tr>",
			r->maximize ? "maximize" : "minimize",
			(unsigned long long)r->best_seq);
		for (uint32_t i = 0; i < r->np + r->nm; i++) {
			fputs(i < r->np ? "<th>" : "<th class=\"metric\">", f);
			html(f, i < r->np ? r->pname[i] : r->mname[i - r->np]);
			fputs("</th>", f);
		}
		fputs("</tr>\n<tr>", f);
		for (uint32_t i = 0; i < r->np + r->nm; i++) {
			fputs("<td>", f);
			json_cell(f, json_object_get(row, i < r->np ? r->pname[i] :
								    r->mname[i - r->np]));
			fputs("</td>", f);
		}
		fputs("</tr></table></div>\n", f);
	} else {
		fputs("<p>No successful evaluation yet.</p>\n", f);
	}
	fputs("<table class=\"status\"><tr><th>status</th><th>evaluations</th>"
	      "<th>share</th></tr>\n", f);
	for (uint32_t i = 0; i < r->nstatus; i++) {
		double share = 100.0 * (double)r->status_n[i] / (double)r->rows;

		fputs("<tr><td>", f);
		html(f, r->status_name[i]);
		fprintf(f, "</td><td>%llu</td><td><span class=\"bar %s\" style=\"width:"
			"%.0fpx\"></span> %.1f%%</td></tr>\n",
			(unsigned long long)r->status_n[i],
			strcmp(r->status_name[i], "ok") == 0 ? "ok" : "other",
			ceil(share * 2), share);
	}
	fprintf(f, "<tr><td>total</td><td>%llu</td><td></td></tr></table></section>\n",
		(unsigned long long)r->rows);
}

static void
section_curve(FILE *f, const struct report *r)
{
	struct plot p = { f, 80, 16, 880, 260, 0, 1, 0, 1, 0 };
	size_t n = curve_drawn(r);

	fputs("<section id=\"progress\"><h2>Best value against evaluations</h2>\n", f);
	if (n == 0) {
		fputs("<p>No successful evaluation yet.</p></section>\n", f);
		return;
	}
	p.x1 = fmax((double)r->rows, 1);
	p.y0 = p.y1 = r->curve[0].value;
	for (size_t k = 0; k < n; k++) {
		p.y0 = fmin(p.y0, curve_point(r, k)->value);
		p.y1 = fmax(p.y1, curve_point(r, k)->value);
	}
	pad_range(&p.y0, &p.y1, 0.05);
	svg_open(f, 980, 330, "the best value so far against the evaluations");
	plot_axes(&p, "evaluations (seq)", r->maximize ? "best so far (maximize)" :
						  "best so far (minimize)", 1);
	fputs("<path class=\"curve\" d=\"", f);
	for (size_t k = 0; k < n; k++) {
		const struct point *pt = curve_point(r, k);

		if (k == 0)
			fprintf(f, "M%.1f %.1f", plot_x(&p, (double)pt->seq),
				plot_y(&p, pt->value));
		else
			fprintf(f, "H%.1f V%.1f", plot_x(&p, (double)pt->seq),
				plot_y(&p, pt->value));
	}
	fprintf(f, "H%.1f\"/>\n", plot_x(&p, p.x1));
	for (size_t k = 0; n <= 200 && k < n; k++) {
		const struct point *pt = curve_point(r, k);

		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" class=\"dot\"><title>"
			"evaluation %llu: %.6g</title></circle>\n",
			plot_x(&p, (double)pt->seq), plot_y(&p, pt->value),
			(unsigned long long)pt->seq, pt->value);
	}
	fputs("</svg>\n", f);
	fprintf(f, "<p class=\"note\">%zu improvements over %llu evaluations%s.</p>"
		"</section>\n", r->ncurve, (unsigned long long)r->rows,
		n < r->ncurve ? " (a sample of them drawn)" : "");
}

/* Tick labels along a binned axis: every k-th bin, at most ~12. */
static void
bin_labels(FILE *f, const struct axis *a, int vertical, double origin, double cell,
	   double at)
{
	uint32_t every = a->n > 12 ? (a->n + 11) / 12 : 1;
	char label[256];

	for (uint32_t i = 0; i < a->n; i += every) {
		double c = origin + (vertical ? -(i + 0.5) : i + 0.5) * cell;

		axis_label(a, i, label, sizeof label);
		if (vertical)
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
				"text-anchor=\"end\">", at, c + 4);
		else
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
				"text-anchor=\"middle\">", c, at);
		html(f, label);
		fputs("</text>\n", f);
	}
}

/* One heatmap of cells c, w x h pixels of cells at (left, top). */
static void
heatmap_cells(FILE *f, const struct report *r, const struct cell *c, double left,
	      double top, double w, double h, int titles)
{
	double cw = w / r->hx.n, ch = h / r->hy.n;
	char xl[256], yl[256], fill[8];

	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"class=\"unvisited\"/>\n<g shape-rendering=\"crispEdges\">\n", left, top, w, h);
	for (uint32_t y = 0; y < r->hy.n; y++)
		for (uint32_t x = 0; x < r->hx.n; x++) {
			const struct cell *k = &c[(size_t)y * r->hx.n + x];

			if (k->rows == 0)
				continue;
			if (k->ok)
				colour_of(r, k->best, fill);
			fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
				"%s%s%s>", left + x * cw, top + h - (y + 1) * ch, cw, ch,
				k->ok ? "fill=\"" : "class=\"empty\"", k->ok ? fill : "",
				k->ok ? "\"" : "");
			if (titles) {
				axis_label(&r->hx, x, xl, sizeof xl);
				axis_label(&r->hy, y, yl, sizeof yl);
				fputs("<title>", f);
				html(f, r->pname[r->hx.param]);
				fputc(' ', f);
				html(f, xl);
				fputs(", ", f);
				html(f, r->pname[r->hy.param]);
				fputc(' ', f);
				html(f, yl);
				fputs(": ", f);
				if (k->ok)
					num(f, k->best);
				else
					fputs("no successful evaluation", f);
				fprintf(f, " (%llu ok of %llu)</title>", (unsigned long long)k->ok,
					(unsigned long long)k->rows);
			}
			fputs("</rect>\n", f);
		}
	fputs("</g>\n", f);
}

static void
legend(FILE *f, const struct report *r, double left, double top, double h)
{
	char fill[8];
	int steps = 64;

	fputs("<g shape-rendering=\"crispEdges\">\n", f);
	for (int i = 0; i < steps; i++) {
		/* Top: the best. */
		ramp_at(1 - (double)i / (steps - 1), fill);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.2f\" width=\"18\" height=\"%.2f\" "
			"fill=\"%s\"/>\n", left, top + i * h / steps, h / steps + 0.5, fill);
	}
	fputs("</g>\n", f);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\">", left + 24, top + 10);
	num(f, r->maximize ? r->vmax : r->vmin);
	fprintf(f, " (best)</text><text x=\"%.1f\" y=\"%.1f\" class=\"tick\">",
		left + 24, top + h);
	num(f, r->maximize ? r->vmin : r->vmax);
	fprintf(f, "</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"12\" "
		"class=\"empty\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\">no successful "
		"evaluation</text>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"12\" "
		"class=\"unvisited\"/><text x=\"%.1f\" y=\"%.1f\" class=\"tick\">not "
		"evaluated</text>\n", left, top + h + 20, left + 24, top + h + 30, left,
		top + h + 40, left + 24, top + h + 50);
}

static void
section_heatmap(FILE *f, const struct report *r)
{
	const char *xn, *yn;
	double w = 700, h = 460, left = 110, top = 14;

	fputs("<section id=\"heatmap\"><h2>Value over two parameters</h2>\n", f);
	if (r->hcell == NULL || r->rows == 0) {
		fputs("<p>", f);
		html(f, r->rows == 0 ? "No evaluation yet." : r->no_heatmap);
		fputs("</p></section>\n", f);
		return;
	}
	xn = r->pname[r->hx.param];
	yn = r->pname[r->hy.param];
	fputs("<p class=\"note\">Each cell: the best value over the other parameters "
	      "(choose the two with <code>--x</code> and <code>--y</code>).</p>\n", f);
	svg_open(f, 1000, 560, "heatmap of the value");
	heatmap_cells(f, r, r->hcell, left, top, w, h, 1);
	fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
		"class=\"frame\"/>\n", left, top, w, h);
	bin_labels(f, &r->hx, 0, left, w / r->hx.n, top + h + 16);
	bin_labels(f, &r->hy, 1, top + h, h / r->hy.n, left - 6);
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"title\" text-anchor=\"middle\">",
		left + w / 2, top + h + 40);
	html(f, xn);
	fprintf(f, "</text><text transform=\"translate(%.1f %.1f) rotate(-90)\" "
		"class=\"title\" text-anchor=\"middle\">", left - 80, top + h / 2);
	html(f, yn);
	fputs("</text>\n", f);
	legend(f, r, left + w + 30, top, 300);
	fputs("</svg>\n", f);
	if (r->nslices > 1) {
		fputs("<h3>Per ", f);
		html(f, r->pname[r->hg.param]);
		fputs("</h3><div class=\"multiples\">\n", f);
		for (uint32_t g = 0; g + 1 < r->nslices; g++) {
			char label[256];

			axis_label(&r->hg, g, label, sizeof label);
			fputs("<figure>", f);
			svg_open(f, 250, 200, label);
			heatmap_cells(f, r, r->hcell + (size_t)(g + 1) * r->hx.n * r->hy.n, 4, 4,
				      242, 192, 0);
			fputs("</svg><figcaption>", f);
			html(f, label);
			fputs("</figcaption></figure>\n", f);
		}
		fputs("</div><p class=\"note\">x: ", f);
		html(f, xn);
		fputs(", y: ", f);
		html(f, yn);
		fputs("; one colour scale for all.</p>\n", f);
	}
	fputs("</section>\n", f);
}

/* One parameter's chart: the best and the mean value per bin. */
static void
marginal(FILE *f, const struct report *r, uint32_t p)
{
	const struct axis *a = &r->marg[p];
	const struct cell *c = r->mcell[p];
	struct plot pl = { f, 70, 12, 250, 160, 0, 1, INFINITY, -INFINITY, 0 };
	int cat = a->kind == AXIS_CAT;

	for (uint32_t i = 0; i < a->n; i++)
		if (c[i].ok) {
			pl.y0 = fmin(pl.y0, fmin(c[i].best, c[i].sum / (double)c[i].ok));
			pl.y1 = fmax(pl.y1, fmax(c[i].best, c[i].sum / (double)c[i].ok));
		}
	pad_range(&pl.y0, &pl.y1, 0.05);
	if (cat || a->n == 0) {
		pl.x0 = -0.5;
		pl.x1 = a->n > 0 ? a->n - 0.5 : 0.5;
	} else {
		pl.xlog = a->kind == AXIS_LOG ||
			  (r->plog[p] && a->kind == AXIS_EXACT && a->value[0] > 0);
		pl.x0 = axis_mid(a, 0);
		pl.x1 = axis_mid(a, a->n - 1);
		if (pl.xlog) {
			pl.x0 /= pl.x1 > pl.x0 ? 1.05 : 2;
			pl.x1 *= 1.05;
		} else {
			pad_range(&pl.x0, &pl.x1, 0.04);
		}
	}
	fputs("<figure>", f);
	svg_open(f, 340, 215, r->pname[p]);
	plot_axes(&pl, r->pname[p], "value", !cat);
	if (cat)
		bin_labels(f, a, 0, pl.left, pl.w / a->n, pl.top + pl.h + 14);
	/* Lines join the values of a numeric parameter; categories are
	 * unordered: points and marks only. */
	for (int line = 0; !cat && line < 2; line++) {
		int open = 0;

		fprintf(f, "<path class=\"%s\" d=\"", line == 0 ? "mean" : "curve");
		for (uint32_t i = 0; i < a->n; i++) {
			double v;

			if (!c[i].ok) {
				open = 0; /* a gap where nothing succeeded */
				continue;
			}
			v = line == 0 ? c[i].sum / (double)c[i].ok : c[i].best;
			fprintf(f, "%c%.1f %.1f", open ? 'L' : 'M', plot_x(&pl, axis_mid(a, i)),
				plot_y(&pl, v));
			open = 1;
		}
		fputs("\"/>\n", f);
	}
	for (uint32_t i = 0; a->n <= 40 && i < a->n; i++) {
		char label[256];

		if (!c[i].ok)
			continue;
		if (cat)
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
				"class=\"mean\"/>\n", plot_x(&pl, i - 0.2), plot_x(&pl, i + 0.2),
				plot_y(&pl, c[i].sum / (double)c[i].ok),
				plot_y(&pl, c[i].sum / (double)c[i].ok));
		axis_label(a, i, label, sizeof label);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" class=\"dot\"><title>",
			plot_x(&pl, axis_mid(a, i)), plot_y(&pl, c[i].best));
		html(f, label);
		fputs(": best ", f);
		num(f, c[i].best);
		fputs("</title></circle>\n", f);
	}
	fputs("</svg></figure>\n", f);
}

static void
section_marginals(FILE *f, const struct report *r)
{
	fputs("<section id=\"params\"><h2>Value against each parameter</h2>\n"
	      "<p class=\"note\"><span class=\"key curve\"></span> best &nbsp; "
	      "<span class=\"key mean\"></span> mean of the successful evaluations, per "
	      "value (or bin of values)</p><div class=\"multiples\">\n", f);
	for (uint32_t p = 0; p < r->np; p++)
		marginal(f, r, p);
	fputs("</div></section>\n", f);
}

static void
section_best_by(FILE *f, const struct report *r)
{
	size_t i;
	const json_t *row;

	if (r->group < 0)
		return;
	fputs("<section id=\"best-by\"><h2>Best per ", f);
	html(f, r->pname[r->group]);
	fputs("</h2>\n<div class=\"wide\"><table><tr><th>", f);
	html(f, r->pname[r->group]);
	fputs("</th><th>value</th><th>status</th>", f);
	for (uint32_t k = 0; k < r->np + r->nm; k++) {
		if ((int)k == r->group)
			continue;
		fputs(k < r->np ? "<th>" : "<th class=\"metric\">", f);
		html(f, k < r->np ? r->pname[k] : r->mname[k - r->np]);
		fputs("</th>", f);
	}
	fputs("<th>seq</th></tr>\n", f);
	json_array_foreach(r->best_by, i, row) {
		fputs("<tr><td>", f);
		json_cell(f, json_object_get(row, r->pname[r->group]));
		fputs("</td><td><b>", f);
		json_cell(f, json_object_get(row, "value"));
		fputs("</b></td><td>", f);
		json_cell(f, json_object_get(row, "status"));
		fputs("</td>", f);
		for (uint32_t k = 0; k < r->np + r->nm; k++) {
			if ((int)k == r->group)
				continue;
			fputs("<td>", f);
			json_cell(f, json_object_get(row, k < r->np ? r->pname[k] :
								   r->mname[k - r->np]));
			fputs("</td>", f);
		}
		fputs("<td>", f);
		json_cell(f, json_object_get(row, "seq"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (r->best_by_total > json_array_size(r->best_by))
		fprintf(f, "<p class=\"note\">The first %zu of %llu values.</p>\n",
			json_array_size(r->best_by), (unsigned long long)r->best_by_total);
	fputs("<p class=\"note\">A value that never succeeded shows its first "
	      "evaluation (<code>ringsweep export --best-by</code> gives the same "
	      "rows).</p></section>\n", f);
}

static void
section_workers(FILE *f, const struct report *r)
{
	fputs("<section id=\"workers\"><h2>Workers</h2>\n<table><tr><th>worker</th>"
	      "<th>evaluations</th><th>ok</th><th>failed</th><th>infeasible</th>"
	      "<th>pruned</th>"
	      "<th>retried</th><th>mean time</th><th>peak memory</th></tr>\n", f);
	for (size_t i = 0; i < r->nw; i++) {
		const struct worker_stat *w = &r->w[i];

		if (w->worker < 0)
			fputs("<tr><td>serial (the driver)</td>", f);
		else
			fprintf(f, "<tr><td>%lld</td>", w->worker);
		fprintf(f, "<td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td>"
			"<td>%llu</td><td>", (unsigned long long)w->tasks,
			(unsigned long long)w->ok, (unsigned long long)w->failed,
			(unsigned long long)w->infeasible, (unsigned long long)w->pruned,
			(unsigned long long)w->retried);
		if (w->timed)
			fprintf(f, "%.4g ms", w->ms / (double)w->timed);
		else
			fputs("\u2013", f);
		fputs("</td><td>", f);
		if (w->peak_kb >= 0)
			fprintf(f, "%.1f MiB", (double)w->peak_kb / 1024);
		else
			fputs("\u2013", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table><p class=\"note\">From the store's <code>worker</code>, "
	      "<code>elapsed_ms</code>, <code>peak_kb</code> and <code>attempts</code> "
	      "columns: the worker slot that ran an evaluation's last attempt (a "
	      "replacement after a crash takes the same slot; a resumed sweep's "
	      "rows keep the slot of the run that made them); peak memory is the "
	      "largest peak resident size recorded (none for tasks under 50 "
	      "&micro;s).</p></section>\n", f);
}

/* A multi-objective sweep: every success (a sample) by its first two
 * objectives, the front over them as a line, and the front's table. */
static void
section_pareto(FILE *f, const struct report *r)
{
	struct plot p = { f, 80, 16, 620, 380, INFINITY, -INFINITY, INFINITY, -INFINITY, 0 };
	size_t n = json_array_size(r->front), stride;
	char xt[RSW_PARAM_NAME_MAX + 16], yt[RSW_PARAM_NAME_MAX + 16];

	if (r->pm < 2) {
		fputs("<!-- rsw-report:pareto (a single objective: no front) -->\n", f);
		return;
	}
	fprintf(f, "<section id=\"pareto\"><h2>Pareto front</h2>\n<p>%zu of %llu "
		"successful evaluations are on the front; hypervolume <b>%.6g</b> "
		"(reference: %s,", n,
		(unsigned long long)r->npts, r->hv,
		r->given_ref ? "the run's --hv-ref" : "the worst of each objective");
	for (uint32_t k = 0; k < r->pm; k++) {
		fputs(k ? ", " : " ", f);
		html(f, r->pname_obj[k]);
		fprintf(f, " %.6g", r->ref[k]);
	}
	fputs(").</p>\n", f);
	for (size_t i = 0; i < r->npts; i++) {
		p.x0 = fmin(p.x0, r->pts[2 * i]);
		p.x1 = fmax(p.x1, r->pts[2 * i]);
		p.y0 = fmin(p.y0, r->pts[2 * i + 1]);
		p.y1 = fmax(p.y1, r->pts[2 * i + 1]);
	}
	pad_range(&p.x0, &p.x1, 0.04);
	pad_range(&p.y0, &p.y1, 0.04);
	snprintf(xt, sizeof xt, "%s (%s)", r->pname_obj[0], r->pmin[0] ? "min" : "max");
	snprintf(yt, sizeof yt, "%s (%s)", r->pname_obj[1], r->pmin[1] ? "min" : "max");
	svg_open(f, 720, 450, "the successful evaluations by their first two "
		 "objectives, and the Pareto front");
	plot_axes(&p, xt, yt, 1);
	stride = r->npts > PARETO_POINTS_MAX ? (r->npts + PARETO_POINTS_MAX - 1) /
						       PARETO_POINTS_MAX : 1;
	for (size_t i = 0; i < r->npts; i += stride)
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" class=\"cloud\"/>\n",
			plot_x(&p, r->pts[2 * i]), plot_y(&p, r->pts[2 * i + 1]));
	/* With two objectives, a line through the members, best first. */
	if (r->pm == 2 && n > 1) {
		fputs("<path class=\"front\" d=\"", f);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s%.1f %.1f", i == 0 ? "M" : " L",
				plot_x(&p, r->front_obj[i * 2]),
				plot_y(&p, r->front_obj[i * 2 + 1]));
		fputs("\"/>\n", f);
	}
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" class=\"member\">"
			"<title>evaluation ", plot_x(&p, r->front_obj[i * r->pm]),
			plot_y(&p, r->front_obj[i * r->pm + 1]));
		json_cell(f, json_object_get(json_array_get(r->front, i), "seq"));
		fputs("</title></circle>\n", f);
	}
	fputs("</svg>\n", f);
	if (stride > 1)
		fprintf(f, "<p class=\"note\">Every %zu-th success drawn.</p>\n", stride);
	fputs("<div class=\"wide\"><table><tr><th>seq</th>", f);
	for (uint32_t k = 0; k < r->pm; k++) {
		fputs("<th>", f);
		html(f, r->pname_obj[k]);
		fputs("</th>", f);
	}
	for (uint32_t k = 0; k < r->np; k++) {
		fputs("<th>", f);
		html(f, r->pname[k]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t i = 0; i < n && i < PARETO_ROWS_MAX; i++) {
		const json_t *row = json_array_get(r->front, i);

		fputs("<tr><td>", f);
		json_cell(f, json_object_get(row, "seq"));
		fputs("</td>", f);
		for (uint32_t k = 0; k < r->pm; k++)
			fprintf(f, "<td><b>%.6g</b></td>", r->front_obj[i * r->pm + k]);
		for (uint32_t k = 0; k < r->np; k++) {
			fputs("<td>", f);
			json_cell(f, json_object_get(row, r->pname[k]));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (n > PARETO_ROWS_MAX)
		fprintf(f, "<p class=\"note\">The first %d of %zu members "
			"(<code>ringsweep export --pareto</code> lists them all).</p>\n",
			PARETO_ROWS_MAX, n);
	fputs("</section>\n", f);
}

static const char page_style[] =
	"body{font:14px/1.45 system-ui,sans-serif;color:#1d1d1f;margin:0 auto;"
	"max-width:1080px;padding:16px 24px;background:#fff}"
	"h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:28px 0 8px;"
	"border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:15px}"
	"nav a{margin-right:12px}dl{display:grid;grid-template-columns:150px 1fr;"
	"gap:4px 12px}dt{font-weight:600}dd{margin:0}"
	"table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}"
	"th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}"
	"th{background:#f3f3f6}th.metric{background:#f7f7ee}"
	"td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}"
	".best b{font-size:18px}.bar{display:inline-block;height:10px;vertical-align:"
	"middle}.bar.ok{background:#26828e}.bar.other{background:#c0504d}"
	".wide{overflow-x:auto}.multiples{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}"
	"figcaption{text-align:center;font-size:13px}"
	"svg text{font:11px system-ui,sans-serif;fill:#333}svg .title{font-size:12px;"
	"font-weight:600}.frame{fill:none;stroke:#888}.grid{stroke:#eee}"
	".curve{fill:none;stroke:#c0504d;stroke-width:2}.mean{fill:none;stroke:#8fa6c8;"
	"stroke-width:1.5}.dot{fill:#c0504d}.empty{fill:#fff;stroke:#ccc;"
	"stroke-width:.5}.unvisited{fill:#ececec}"
	".key{display:inline-block;width:18px;height:3px;vertical-align:middle}"
	".key.curve{background:#c0504d}.key.mean{background:#8fa6c8}"
	".cloud{fill:#9aa7b8;fill-opacity:.5}.member{fill:#c0504d}"
	".front{fill:none;stroke:#c0504d;stroke-width:1.5}";

static int
render(FILE *f, const struct report *r)
{
	char now[64];
	time_t t = time(NULL);
	struct tm tm;
	json_t *data;
	int rc;

	gmtime_r(&t, &tm);
	strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"generator\" content=\"ringsweep " RSW_VERSION_STRING "\">\n"
	      "<title>ringsweep report: ", f);
	html(f, r->path);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>ringsweep report</h1>\n"
		"<p class=\"note\"><code>", page_style);
	html(f, r->path);
	fprintf(f, "</code> &middot; written %s by ringsweep %s</p>\n<nav><a href=\"#study\">"
		"study</a><a href=\"#summary\">best and status</a><a href=\"#progress\">"
		"progress</a><a href=\"#heatmap\">heatmap</a><a href=\"#params\">"
		"parameters</a>%s<a href=\"#workers\">workers</a>%s</nav>\n", now,
		RSW_VERSION_STRING, r->group >= 0 ? "<a href=\"#best-by\">best per value"
						    "</a>" : "",
		r->pm >= 2 ? "<a href=\"#pareto\">Pareto front</a>" : "");
	section_study(f, r);
	section_summary(f, r);
	section_curve(f, r);
	section_heatmap(f, r);
	section_marginals(f, r);
	section_best_by(f, r);
	section_workers(f, r);
	section_pareto(f, r);
	data = data_json(r, now);
	rc = data != NULL ? json_block(f, data) : -1;
	json_decref(data);
	fputs("</body></html>\n", f);
	return rc;
}

/* ------------------------------------------------------------------ API */

void
rsw_report_options_init(rsw_report_options *o)
{
	memset(o, 0, sizeof *o);
}

static int
check_options(const rsw_report_options *o, char *err, size_t errlen)
{
	if (o->bins > RSW_REPORT_BINS_MAX) {
		snprintf(err, errlen, "--bins %u: at most %u cells along an axis",
			 o->bins, RSW_REPORT_BINS_MAX);
		return RSW_EINVAL;
	}
	return 0;
}

int
rsw_report_fwrite(const char *store_path, const rsw_report_options *opt, FILE *out,
		  char *err, size_t errlen)
{
	rsw_report_options defaults;
	struct report r = { 0 };
	int rc;

	if (store_path == NULL || out == NULL) {
		snprintf(err, errlen, "report: invalid arguments");
		return RSW_EINVAL;
	}
	if (opt == NULL) {
		rsw_report_options_init(&defaults);
		opt = &defaults;
	}
	rc = check_options(opt, err, errlen);
	rc = rc ? rc : gather(&r, store_path, opt, err, errlen);
	if (rc != 0) {
		report_free(&r);
		return rc;
	}
	rc = render(out, &r);
	report_free(&r);
	if (rc != 0 || ferror(out)) {
		snprintf(err, errlen, "report: cannot write the page: %s",
			 rc != 0 ? "out of memory" : strerror(errno));
		return rc != 0 ? RSW_ENOMEM : RSW_ESYS;
	}
	return 0;
}

/* A new file beside `path` (same directory: the rename is atomic), with
 * the usual permissions (0666 less the umask).  Its descriptor, or -1. */
static int
temp_beside(const char *path, char *tmp, size_t n)
{
	for (unsigned i = 0; i < 100; i++) {
		int fd;

		snprintf(tmp, n, "%s.%ld-%u.partial", path, (long)getpid(), i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;
}

int
rsw_report_write(const char *store_path, const rsw_report_options *opt,
		 const char *out_path, char *err, size_t errlen)
{
	rsw_report_options defaults;
	struct stat a, b;
	struct report r = { 0 };
	char tmp[4200];
	FILE *f;
	int fd, rc;

	if (store_path == NULL || out_path == NULL || out_path[0] == '\0') {
		snprintf(err, errlen, "report: invalid arguments");
		return RSW_EINVAL;
	}
	if (opt == NULL) {
		rsw_report_options_init(&defaults);
		opt = &defaults;
	}
	if (strlen(out_path) > 4096) {
		snprintf(err, errlen, "report: the output path is too long");
		return RSW_EINVAL;
	}
	/* The rename would replace the store (or a running sweep's WAL)
	 * with its own report. */
	for (int k = 0; k < 3; k++) {
		char side[4200];

		snprintf(side, sizeof side, "%s%s", store_path,
			 k == 0 ? "" : k == 1 ? "-wal" : "-shm");
		if (stat(side, &a) == 0 && stat(out_path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			snprintf(err, errlen, "'%s': the report would overwrite its "
				 "own store", out_path);
			return RSW_EINVAL;
		}
	}
	/* Read everything first: bad input leaves no file behind. */
	rc = check_options(opt, err, errlen);
	rc = rc ? rc : gather(&r, store_path, opt, err, errlen);
	if (rc != 0) {
		report_free(&r);
		return rc;
	}
	fd = temp_beside(out_path, tmp, sizeof tmp);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "'%s': cannot write it: %s", out_path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		report_free(&r);
		return RSW_ESYS;
	}
	rc = render(f, &r);
	report_free(&r);
	if (rc != 0 || fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		snprintf(err, errlen, "'%s': cannot write it: %s", out_path,
			 rc != 0 ? "out of memory" : strerror(errno));
		fclose(f);
		unlink(tmp);
		return rc != 0 ? RSW_ENOMEM : RSW_ESYS;
	}
	if (fclose(f) != 0 || rename(tmp, out_path) != 0) {
		snprintf(err, errlen, "'%s': cannot write it: %s", out_path, strerror(errno));
		unlink(tmp);
		return RSW_ESYS;
	}
	return 0;
}
