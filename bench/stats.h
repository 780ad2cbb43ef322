/*
 * bench/stats.h - latency statistics for the benchmarks: quantiles over
 * samples recorded after a warm-up that is never counted.
 */
#ifndef RSW_BENCH_STATS_H
#define RSW_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rsw_latency_summary {
	uint64_t count;	/* samples summarised (warm-up excluded) */
	double min_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns, mean_ns;
} rsw_latency_summary;

/* Collects `warmup + count` samples; the first `warmup` are dropped. */
typedef struct rsw_sampler {
	uint64_t warmup;
	uint64_t capacity;
	uint64_t seen;	/* every sample offered, warm-up included */
	uint64_t *v;	/* capacity slots */
} rsw_sampler;

int rsw_sampler_init(rsw_sampler *s, uint64_t warmup, uint64_t count);
void rsw_sampler_add(rsw_sampler *s, uint64_t ns);
/* Sorts the kept samples and fills *out; count 0 when none were kept. */
void rsw_sampler_summary(rsw_sampler *s, rsw_latency_summary *out);
void rsw_sampler_free(rsw_sampler *s);

/* Sorts n samples ascending, in place. */
void rsw_sort_samples(uint64_t *v, size_t n);

/* Nearest-rank quantile (0 <= q <= 1) of n sorted samples. */
double rsw_quantile_sorted(const uint64_t *sorted, size_t n, double q);

#endif
