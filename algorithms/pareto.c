/*
 * algorithms/pareto.c - dominance, non-dominated sorting, crowding
 * distance and the hypervolume (ringsweep/pareto.h), shared by NSGA-II
 * (genetic.c), the multi-objective bayes and the sweep's Pareto front.
 *
 * Sorting is Deb's fast non-dominated sort, O(d n^2): NSGA-II sorts two
 * generations at a time (at most 8192 points).  The hypervolume slices
 * the last objective: between consecutive values, the (d-1)-dimensional
 * volume of the points below the slice, down to an exact sweep in 2-D:
 * O(n log n) for two objectives, O(n^2 log n) for three.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"
#include "ringsweep/error.h"

bool
rsw_objective_vector(const rsw_objective_target *t, uint32_t n,
		     const rsw_result *r, double *out)
{
	if (r->status != RSW_STATUS_OK)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		double v;

		if (t[i].metric < 0)
			v = r->value;
		else if ((uint32_t)t[i].metric < r->nmetrics)
			v = r->metrics[t[i].metric];
		else
			return false;
		if (!isfinite(v))
			return false;
		out[i] = t[i].minimize ? v : -v;
	}
	return true;
}

/* Values are compared rounded to this many significant bits (about 12
 * decimal digits): the same drawdown computed along two paths differs in
 * its last bits, and a front must not keep both of two evaluations that
 * only rounding tells apart.  Rounding each value, rather than a
 * tolerance between two, keeps dominance a partial order (a tolerance is
 * not transitive: three near-equal vectors could dominate each other in a
 * cycle), and leaves infinities (genetic's failures) as they are. */
#define SAME_BITS 40

static double
rounded(double v)
{
	int e;
	double m;

	if (!isfinite(v) || v == 0)
		return v;
	m = frexp(v, &e);
	return ldexp(nearbyint(ldexp(m, SAME_BITS)), e - SAME_BITS);
}

static int
compare(double a, double b)
{
	a = rounded(a);
	b = rounded(b);
	return a < b ? -1 : a > b;
}

bool
rsw_pareto_dominates(const double *a, const double *b, uint32_t d)
{
	bool better = false;

	for (uint32_t i = 0; i < d; i++) {
		int c = compare(a[i], b[i]);

		if (c > 0)
			return false;
		better |= c < 0;
	}
	return better;
}

/* Whether a is at least as good as b in every objective. */
static bool
no_worse(const double *a, const double *b, uint32_t d)
{
	for (uint32_t i = 0; i < d; i++)
		if (compare(a[i], b[i]) > 0)
			return false;
	return true;
}

int
rsw_pareto_rank(const double *points, uint32_t n, uint32_t d, uint32_t *rank)
{
	/* dominated_by[i]: how many points dominate i; the points i
	 * dominates are found again when i's front is peeled (no lists:
	 * O(n) memory, the same O(d n^2) time). */
	uint32_t *count = malloc((size_t)n * sizeof *count);
	uint32_t *front = malloc((size_t)n * sizeof *front);
	uint32_t nfront = 0, done = 0;

	if (n > 0 && (count == NULL || front == NULL)) {
		free(count);
		free(front);
		return RSW_ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		count[i] = 0;
		for (uint32_t j = 0; j < n; j++)
			if (j != i && rsw_pareto_dominates(&points[(size_t)j * d],
							   &points[(size_t)i * d], d))
				count[i]++;
		if (count[i] == 0) {
			rank[i] = 0;
			front[nfront++] = i;
		}
	}
	for (uint32_t r = 0; nfront > 0; r++) {
		uint32_t next = 0;

		done += nfront;
		/* front[0 .. nfront-1] is rank r; the next front is
		 * collected behind it, in the same array, then moved down. */
		for (uint32_t k = 0; k < nfront; k++) {
			const double *p = &points[(size_t)front[k] * d];

			for (uint32_t j = 0; j < n; j++)
				if (count[j] > 0 &&
				    rsw_pareto_dominates(p, &points[(size_t)j * d], d) &&
				    --count[j] == 0) {
					rank[j] = r + 1;
					front[nfront + next++] = j;
				}
		}
		memmove(front, &front[nfront], next * sizeof *front);
		nfront = next;
		/* NaNs (from a caller; not from a sweep) can leave points that
		 * keep a count: they make the last front, not an error. */
		if (nfront == 0 && done < n)
			for (uint32_t j = 0; j < n; j++)
				if (count[j] > 0) {
					count[j] = 0;
					rank[j] = r + 1;
					front[nfront++] = j;
				}
	}
	free(count);
	free(front);
	return 0;
}

void
rsw_pareto_archive_init(rsw_pareto_archive *a, uint32_t d, size_t size)
{
	memset(a, 0, sizeof *a);
	a->d = d;
	a->size = size;
}

int
rsw_pareto_archive_offer(rsw_pareto_archive *f, const double *v, void **slot)
{
	uint32_t d = f->d, kept = 0, at;

	for (uint32_t i = 0; i < f->n; i++)
		if (no_worse(&f->obj[(size_t)i * d], v, d))
			return 0;
	for (uint32_t i = 0; i < f->n; i++) {
		if (rsw_pareto_dominates(v, &f->obj[(size_t)i * d], d))
			continue;
		if (kept != i) {
			memcpy(&f->obj[(size_t)kept * d], &f->obj[(size_t)i * d],
			       d * sizeof *v);
			memcpy(&f->payload[kept * f->size], &f->payload[i * f->size],
			       f->size);
		}
		kept++;
	}
	f->n = kept;
	if (f->n == f->cap) {
		uint32_t cap = f->cap ? 2 * f->cap : 64;
		double *obj = realloc(f->obj, (size_t)cap * d * sizeof *obj);
		char *payload;

		if (obj == NULL)
			return RSW_ENOMEM;
		f->obj = obj;
		if ((payload = realloc(f->payload, cap * f->size)) == NULL)
			return RSW_ENOMEM;
		f->payload = payload;
		f->cap = cap;
	}
	at = f->n;
	while (at > 0 && v[0] < f->obj[(size_t)(at - 1) * d])
		at--;
	memmove(&f->obj[(size_t)(at + 1) * d], &f->obj[(size_t)at * d],
		(size_t)(f->n - at) * d * sizeof *v);
	memmove(&f->payload[(at + 1) * f->size], &f->payload[at * f->size],
		(f->n - at) * f->size);
	memcpy(&f->obj[(size_t)at * d], v, d * sizeof *v);
	f->n++;
	*slot = &f->payload[at * f->size];
	return 1;
}

void
rsw_pareto_archive_free(rsw_pareto_archive *f)
{
	free(f->obj);
	free(f->payload);
	f->obj = NULL;
	f->payload = NULL;
	f->n = f->cap = 0;
}

struct by_objective {
	const double *points;
	uint32_t d, obj;
};

static int
cmp_objective(const void *x, const void *y, void *ctx)
{
	const struct by_objective *c = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	double va = c->points[(size_t)a * c->d + c->obj];
	double vb = c->points[(size_t)b * c->d + c->obj];

	if (va != vb)
		return va < vb ? -1 : 1;
	return a < b ? -1 : a > b; /* ties by index: deterministic */
}

void
rsw__crowding(const double *points, uint32_t d, uint32_t *members, uint32_t m,
	      double *crowd)
{
	for (uint32_t k = 0; k < m; k++)
		crowd[members[k]] = 0;
	if (m <= 2) {
		for (uint32_t k = 0; k < m; k++)
			crowd[members[k]] = INFINITY;
		return;
	}
	for (uint32_t obj = 0; obj < d; obj++) {
		struct by_objective c = { points, d, obj };
		double lo, hi;

		qsort_r(members, m, sizeof *members, cmp_objective, &c);
		lo = points[(size_t)members[0] * d + obj];
		hi = points[(size_t)members[m - 1] * d + obj];
		crowd[members[0]] = crowd[members[m - 1]] = INFINITY;
		if (!(hi > lo))
			continue;
		for (uint32_t k = 1; k + 1 < m; k++)
			crowd[members[k]] += (points[(size_t)members[k + 1] * d + obj] -
					      points[(size_t)members[k - 1] * d + obj]) /
					     (hi - lo);
	}
}

static int
cmp_last(const void *x, const void *y, void *ctx)
{
	const uint32_t *d = ctx;
	const double *a = x, *b = y;

	/* rows of d doubles, by the last objective */
	if (a[*d - 1] != b[*d - 1])
		return a[*d - 1] < b[*d - 1] ? -1 : 1;
	return 0;
}

/* The hypervolume of rows p[0 .. n-1] (each better than ref everywhere),
 * sorted here by their last objective; scratch holds n rows. */
static double
hv_slices(double *p, uint32_t n, uint32_t d, const double *ref, double *scratch)
{
	double hv = 0;

	if (n == 0)
		return 0;
	qsort_r(p, n, (size_t)d * sizeof(double), cmp_last, &d);
	if (d == 1)
		return ref[0] - p[0];
	if (d == 2) {
		/* By the second objective ascending: each point adds the
		 * strip its first objective improves on all before it. */
		double best_x = ref[0];

		for (uint32_t i = 0; i < n; i++) {
			double x = p[(size_t)i * 2];

			if (x < best_x) {
				hv += (best_x - x) * (ref[1] - p[(size_t)i * 2 + 1]);
				best_x = x;
			}
		}
		return hv;
	}
	for (uint32_t i = 0; i < n; i++) {
		double lo = p[(size_t)i * d + d - 1];
		double hi = i + 1 < n ? p[(size_t)(i + 1) * d + d - 1] : ref[d - 1];

		if (!(hi > lo))
			continue;
		/* The points 0 .. i, without their last objective. */
		for (uint32_t k = 0; k <= i; k++)
			memcpy(&scratch[(size_t)k * (d - 1)], &p[(size_t)k * d],
			       (d - 1) * sizeof(double));
		hv += (hi - lo) * hv_slices(scratch, i + 1, d - 1, ref,
					    scratch + (size_t)(i + 1) * (d - 1));
	}
	return hv;
}

double
rsw_hypervolume(const double *points, uint32_t n, uint32_t d, const double *ref)
{
	double *p, *scratch, hv;
	uint32_t m = 0;

	if (d == 0 || n == 0)
		return 0;
	/* Each level of slicing needs at most n rows of scratch. */
	p = malloc((size_t)n * d * sizeof(double));
	scratch = malloc((size_t)n * d * d * sizeof(double));
	if (p == NULL || scratch == NULL) {
		free(p);
		free(scratch);
		return NAN;
	}
	for (uint32_t i = 0; i < n; i++) {
		const double *x = &points[(size_t)i * d];
		uint32_t j = 0;

		while (j < d && x[j] < ref[j])
			j++;
		if (j == d)
			memcpy(&p[(size_t)m++ * d], x, d * sizeof(double));
	}
	hv = hv_slices(p, m, d, ref, scratch);
	free(p);
	free(scratch);
	return hv;
}
