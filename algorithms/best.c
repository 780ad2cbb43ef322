/*
 * algorithms/best.c - best-so-far bookkeeping shared by the algorithms.
 * Failed evaluations never count; ties keep the earliest seq, so "best" is
 * deterministic too.
 */
#include <string.h>

#include "algorithms.h"

void
rsw__best_init(struct rsw__best_tracker *t, int minimize)
{
	memset(t, 0, sizeof *t);
	t->minimize = minimize;
}

void
rsw__best_track(struct rsw__best_tracker *t, uint32_t nparams,
		const double *params, const rsw_result *r)
{
	int better;

	if (r->status != RSW_STATUS_OK || r->value != r->value)
		return;
	better = !t->have || (t->minimize ? r->value < t->best.value :
					    r->value > t->best.value);
	if (!better)
		return;
	t->have = 1;
	t->best.seq = r->seq;
	t->best.value = r->value;
	t->best.nparams = nparams;
	memcpy(t->best.params, params, nparams * sizeof(double));
}

int
rsw__best_get(const struct rsw__best_tracker *t, rsw_best *out)
{
	if (!t->have)
		return RSW_ENOENT;
	*out = t->best;
	return 0;
}
