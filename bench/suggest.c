/*
 * bench/suggest.c - the cost of one suggestion as the history grows (see
 * suggest.h).  No engine: the algorithm alone, so the figure is the
 * driver's thinking time per task, the part no number of workers hides.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "stats.h"
#include "suggest.h"

/* Samples of the window that starts at `at`. */
static uint64_t
window_len(const rsw_suggest_opts *o, uint64_t at)
{
	return (uint64_t)((double)at * o->span) + 1;
}

uint64_t
rsw_suggest_budget(const rsw_suggest_opts *o)
{
	uint64_t end = 0;

	for (int i = 0; i < o->nat; i++)
		if (o->at[i] + window_len(o, o->at[i]) > end)
			end = o->at[i] + window_len(o, o->at[i]);
	return end;
}

int
rsw_bench_suggest(const rsw_suggest_opts *o, rsw_algorithm *algo,
		  rsw_objective_fn eval, void *eval_ctx, rsw_suggest_row *rows)
{
	uint64_t end = rsw_suggest_budget(o), *ns, *sorted;
	double params[RSW_MAX_PARAMS_LIMIT];
	int rc = 0;

	ns = calloc(end, sizeof *ns);
	sorted = calloc(end, sizeof *sorted);
	if (ns == NULL || sorted == NULL) {
		free(ns);
		free(sorted);
		return RSW_ENOMEM;
	}
	for (uint64_t seq = 0; seq < end; seq++) {
		rsw_task_info info = { .seq = seq, .attempt = 1, .worker = -1 };
		rsw_result r = { .seq = seq, .attempts = 1, .worker = -1 };
		rsw_eval_out out = { 0 };
		uint64_t t0 = bench_now_ns();
		int answer = algo->suggest(algo, seq, params);

		ns[seq] = bench_now_ns() - t0;
		if (answer != RSW_SUGGEST_OK) {
			/* With every result applied, WAIT cannot happen and DONE
			 * means the budget was too small. */
			rc = answer < 0 ? answer : RSW_EINVAL;
			goto out;
		}
		r.status = eval(eval_ctx, params, algo->nparams, &info, &out) == 0 ?
				   RSW_STATUS_OK : RSW_STATUS_ERROR;
		r.value = r.status == RSW_STATUS_OK ? out.value : NAN;
		if ((rc = algo->update(algo, params, &r)) != 0)
			goto out;
	}
	for (int i = 0; i < o->nat; i++) {
		uint64_t n = window_len(o, o->at[i]);

		/* Sorted in a copy: the windows of two rows may overlap. */
		memcpy(sorted, ns + o->at[i], n * sizeof *ns);
		rsw_sort_samples(sorted, n);
		rows[i].at = o->at[i];
		rows[i].samples = n;
		rows[i].median_ms = rsw_quantile_sorted(sorted, n, 0.5) / 1e6;
		rows[i].p90_ms = rsw_quantile_sorted(sorted, n, 0.9) / 1e6;
		rows[i].max_ms = (double)sorted[n - 1] / 1e6;
	}
	rc = o->nat;
out:
	free(ns);
	free(sorted);
	return rc;
}
