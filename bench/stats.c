/*
 * bench/stats.c - quantiles with warm-up exclusion.
 *
 * Nearest-rank definition: the q-quantile of n sorted samples is the
 * sample at rank ceil(q * n) (1-based), so p50 of {1,2,3,4} is 2 and p100
 * is the maximum; no interpolation invents values that were never seen.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

int
rsw_sampler_init(rsw_sampler *s, uint64_t warmup, uint64_t count)
{
	s->warmup = warmup;
	s->capacity = count;
	s->seen = 0;
	s->v = malloc((count ? count : 1) * sizeof *s->v);
	return s->v == NULL ? -1 : 0;
}

void
rsw_sampler_add(rsw_sampler *s, uint64_t ns)
{
	uint64_t i = s->seen++;

	if (i < s->warmup)
		return;
	i -= s->warmup;
	if (i < s->capacity)
		s->v[i] = ns;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
rsw_sort_samples(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_u64);
}

double
rsw_quantile_sorted(const uint64_t *sorted, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return (double)sorted[0];
	rank = (size_t)ceil(q * (double)n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return (double)sorted[rank - 1];
}

void
rsw_sampler_summary(rsw_sampler *s, rsw_latency_summary *out)
{
	uint64_t n = s->seen > s->warmup ? s->seen - s->warmup : 0;
	double sum = 0;

	if (n > s->capacity)
		n = s->capacity;
	out->count = n;
	if (n == 0) {
		out->min_ns = out->p50_ns = out->p90_ns = out->p99_ns =
		    out->p999_ns = out->max_ns = out->mean_ns = NAN;
		return;
	}
	rsw_sort_samples(s->v, n);
	for (uint64_t i = 0; i < n; i++)
		sum += (double)s->v[i];
	out->min_ns = (double)s->v[0];
	out->p50_ns = rsw_quantile_sorted(s->v, n, 0.50);
	out->p90_ns = rsw_quantile_sorted(s->v, n, 0.90);
	out->p99_ns = rsw_quantile_sorted(s->v, n, 0.99);
	out->p999_ns = rsw_quantile_sorted(s->v, n, 0.999);
	out->max_ns = (double)s->v[n - 1];
	out->mean_ns = sum / (double)n;
}

void
rsw_sampler_free(rsw_sampler *s)
{
	free(s->v);
	s->v = NULL;
}
