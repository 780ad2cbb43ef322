/*
 * ringsweep/pareto.h - several objectives at once: which results are
 * objectives, Pareto dominance, non-dominated sorting and the
 * hypervolume a front covers.
 *
 * An objective is the result's value or one of its metrics, minimised
 * or maximised.  Every function here works on vectors in "lower is
 * better" form (rsw_objective_vector negates the maximised ones), so a
 * reference point for rsw_hypervolume is in that form too.
 *
 *   rsw_objective_target t[2] = { { -1, 0 }, { 3, 1 } };   maximise the
 *                                     value, minimise metrics[3]
 *   if (rsw_objective_vector(t, 2, &result, v)) ...
 */
#ifndef RINGSWEEP_PARETO_H
#define RINGSWEEP_PARETO_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_MAX_OBJECTIVES 4

typedef struct rsw_objective_target {
	int32_t metric;	  /* -1: the result's value; else metrics[metric] */
	int32_t minimize; /* 1: lower is better; 0: higher */
} rsw_objective_target;

/* The objective vector of r in "lower is better" form; false when r did
 * not succeed or an objective is missing, NaN or infinite. */
RSW_EXTERN bool rsw_objective_vector(const rsw_objective_target *t, uint32_t n,
				     const rsw_result *r, double *out);

/* Whether a dominates b: no worse in every objective, better in one.
 * Values are compared rounded to 40 significant bits (about 12 decimal
 * digits), so rounding noise is no difference (the same drawdown
 * computed two ways); infinities compare as such. */
RSW_EXTERN bool rsw_pareto_dominates(const double *a, const double *b,
				     uint32_t d);

/* Non-dominated sorting of n points (row-major, d objectives): rank[i]
 * is the index of i's front, 0 for the Pareto front (points with NaNs,
 * which no order holds, make the last front).  0, or RSW_ENOMEM. */
RSW_EXTERN int rsw_pareto_rank(const double *points, uint32_t n, uint32_t d,
			       uint32_t *rank);

/* The volume dominated by the points and bounded by ref (the points
 * that are not better than ref in every objective add nothing); exact,
 * by slicing (fast for 2 and 3 objectives, fronts of thousands).  NaN
 * when out of memory. */
RSW_EXTERN double rsw_hypervolume(const double *points, uint32_t n, uint32_t d,
				  const double *ref);

/* A Pareto front kept as results arrive (a sweep's, or an embedding
 * program's): members sorted by their first objective (equal ones in
 * arrival order), each with a payload of `size` bytes that moves with
 * it.  Zero it and set d and size, or use rsw_pareto_archive_init. */
typedef struct rsw_pareto_archive {
	uint32_t d, n, cap;
	size_t size;
	double *obj;	/* n x d, lower is better */
	char *payload;	/* n x size */
} rsw_pareto_archive;

RSW_EXTERN void rsw_pareto_archive_init(rsw_pareto_archive *a, uint32_t d,
					size_t size);

/* Offers vector v: 1 when it joins (the members it dominates leave, and
 * *slot is its payload to fill), 0 when a member dominates or equals
 * it (within the rounding dominance allows), RSW_ENOMEM.  O(d n). */
RSW_EXTERN int rsw_pareto_archive_offer(rsw_pareto_archive *a, const double *v,
					void **slot);
RSW_EXTERN void rsw_pareto_archive_free(rsw_pareto_archive *a);

#ifdef __cplusplus
}
#endif
#endif
