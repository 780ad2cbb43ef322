/*
 * algorithms/enqueue.c - a warm start: points evaluated first, then an
 * algorithm that learns from them (rsw_algo_enqueue, algorithms.h).
 *
 * DESIGN
 * A wrapper in front of the inner algorithm: seqs 0 .. E-1 are the
 * points, seq E + j is inner's suggestion j.  The run loop's contract
 * (algorithm.h) holds for inner unchanged: when inner has `observe`, seq
 * E answers WAIT until all E results are applied (the barrier; WAIT with
 * results outstanding is always legal), they are observed in seq order
 * as they are applied, and from then on wrapper suggestion k = E + j
 * comes with wrapper updates max(E, k - window) applied, i.e. inner's
 * max(0, j - window): exactly what inner would see alone.  Without
 * `observe` there is nothing to wait for, and inner runs at once.
 *
 * Results are passed to inner with its own seqs (seq - E), so bayes,
 * genetic and cmaes, which index their state by seq, need not know.
 * best() is kept here, over every result with the run's seqs, by the
 * shared tracker's rule (ties: the earlier seq), so it covers the points
 * whether or not inner observed them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algorithms.h"

struct enqueue {
	rsw_algorithm *inner;
	uint32_t n;		/* parameters */
	uint64_t npoints;
	double *points;		/* npoints x n */
	uint64_t applied;	/* the points' results applied so far */
	uint64_t asked;		/* points suggested so far */
	struct rsw__best_tracker best;
};

static int
enqueue_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct enqueue *q = a->state;

	if (seq < q->npoints) {
		memcpy(params, &q->points[seq * q->n], q->n * sizeof(double));
		q->asked = seq + 1;
		return RSW_SUGGEST_OK;
	}
	/* The barrier: inner's first suggestion sees every observation. */
	if (q->inner->observe != NULL && q->applied < q->npoints)
		return RSW_SUGGEST_WAIT;
	return q->inner->suggest(q->inner, seq - q->npoints, params);
}

static int
enqueue_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct enqueue *q = a->state;
	rsw_result own;

	rsw__best_track(&q->best, a->nparams, params, r);
	if (r->seq < q->npoints) {
		q->applied++;
		return q->inner->observe != NULL ?
			       q->inner->observe(q->inner, params, r) : 0;
	}
	own = *r;
	own.seq = r->seq - q->npoints;
	return q->inner->update(q->inner, params, &own);
}

static bool
enqueue_is_complete(const rsw_algorithm *a)
{
	const struct enqueue *q = a->state;

	/* Asked before every suggest: the points come first regardless,
	 * and inner is asked only once it could suggest. */
	if (q->asked < q->npoints ||
	    (q->inner->observe != NULL && q->applied < q->npoints))
		return false;
	return q->inner->is_complete != NULL && q->inner->is_complete(q->inner);
}

static int
enqueue_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct enqueue *q = a->state;

	return rsw__best_get(&q->best, out);
}

static void
enqueue_destroy(rsw_algorithm *a)
{
	struct enqueue *q = a->state;

	if (q != NULL)
		free(q->points);
	free(q);
	free(a);
}

int
rsw_algo_enqueue(rsw_algorithm **out, rsw_algorithm *inner, const rsw_space *space,
		 const double *points, uint64_t npoints, int minimize, char *err,
		 size_t errlen)
{
	struct enqueue *q;
	rsw_algorithm *a;

	*out = NULL;
	if (inner == NULL || space == NULL || inner->nparams != space->n ||
	    (npoints > 0 && points == NULL))
		return rsw__algo_refuse(err, errlen, "enqueue: no algorithm, or "
					"not one of this space");
	if (npoints > RSW_ENQUEUE_MAX)
		return rsw__algo_refuse(err, errlen, "enqueue: %llu points, at "
					"most %u", (unsigned long long)npoints,
					RSW_ENQUEUE_MAX);
	for (uint64_t i = 0; i < npoints; i++) {
		char why[512];
		int bad;

		if (rsw_space_check_point(space, &points[i * space->n], &bad, why,
					  sizeof why) != 0)
			return rsw__algo_refuse(err, errlen, "enqueued point %llu: "
						"%s%s%s%s", (unsigned long long)i + 1,
						bad >= 0 ? "'" : "",
						bad >= 0 ? space->params[bad].name : "",
						bad >= 0 ? "': " : "", why);
	}
	a = calloc(1, sizeof *a);
	q = calloc(1, sizeof *q);
	if (a == NULL || q == NULL ||
	    (npoints > 0 &&
	     (q->points = malloc(npoints * space->n * sizeof(double))) == NULL)) {
		free(a);
		free(q);
		return RSW_ENOMEM;
	}
	if (npoints > 0)
		memcpy(q->points, points, npoints * space->n * sizeof(double));
	q->inner = inner;
	q->n = space->n;
	q->npoints = npoints;
	rsw__best_init(&q->best, minimize);
	a->name = inner->name;
	/* The points never depend on results, so the flag is inner's. */
	a->flags = inner->flags;
	a->nparams = inner->nparams;
	a->state = q;
	a->suggest = enqueue_suggest;
	a->update = enqueue_update;
	a->is_complete = enqueue_is_complete;
	a->best = enqueue_best;
	a->destroy = enqueue_destroy;
	*out = a;
	return 0;
}
