/*
 * bench/suggest.h - `ringsweep bench suggest`: what one suggestion of a
 * search algorithm costs as its history grows.  The algorithm is driven
 * in this process, one result at a time (window 1: each suggestion sees
 * every earlier result, the most work a suggestion can have), on an
 * objective the caller passes; suggest() is timed at every seq.
 */
#ifndef RSW_BENCH_SUGGEST_H
#define RSW_BENCH_SUGGEST_H

#include <stdint.h>

#include "ringsweep/algorithm.h"

#define RSW_SUGGEST_MAX_POINTS 16

typedef struct rsw_suggest_opts {
	/* Observation counts to report: the timings of seqs at .. at +
	 * floor(at * span), both included, are summarised for each. */
	uint64_t at[RSW_SUGGEST_MAX_POINTS];
	int nat;
	double span;
} rsw_suggest_opts;

typedef struct rsw_suggest_row {
	uint64_t at;
	uint64_t samples;
	double median_ms, p90_ms, max_ms;
} rsw_suggest_row;

/* The evaluations rsw_bench_suggest needs: past the last window. */
uint64_t rsw_suggest_budget(const rsw_suggest_opts *o);

/*
 * Runs `algo` (built with a budget of rsw_suggest_budget(o) or more) on eval, timing suggest().  Fills one row per at; returns
 * the row count or < 0 (an RSW_E... code, or the algorithm's error).
 */
int rsw_bench_suggest(const rsw_suggest_opts *o, rsw_algorithm *algo,
		      rsw_objective_fn eval, void *eval_ctx, rsw_suggest_row *rows);

#endif
