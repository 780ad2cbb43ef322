/*
 * examples/embed_search.c - embedding a search, not a grid: Bayesian
 * optimisation of a mean-reversion strategy through the ask/tell run loop
 * (rsw_run), with the objective evaluated in worker processes.
 *
 * The strategy trades a generated mean-reverting price: short when the
 * price is more than ENTRY standard deviations above its LOOKBACK-day
 * mean, long when as far below, flat again once back within EXIT.  Three
 * parameters of three kinds -- an integer, a continuous float and a
 * log-scale float -- and 80 backtests instead of a grid of thousands.
 * The results are the same for any worker count: try 1 and 8.
 *
 *   build/examples/embed_search [workers]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ringsweep/ringsweep.h"

#define DAYS 4000

struct market {
	double close[DAYS];
};

/* Annualised Sharpe ratio of the z-score band strategy. */
static int
zscore_band(void *ctx, const double *p, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	const struct market *m = ctx;
	int lookback = (int)p[0], position = 0, days = 0;
	double entry = p[1], exit_band = p[2] * entry, sum = 0, sum2 = 0;

	for (int d = lookback; d < DAYS - 1; d++) {
		double mean = 0, var = 0, z, r;

		for (int k = d - lookback; k < d; k++)
			mean += m->close[k];
		mean /= lookback;
		for (int k = d - lookback; k < d; k++)
			var += (m->close[k] - mean) * (m->close[k] - mean);
		z = var > 0 ? (m->close[d] - mean) / sqrt(var / lookback) : 0;
		if (z > entry)
			position = -1;
		else if (z < -entry)
			position = 1;
		else if (fabs(z) < exit_band)
			position = 0;
		r = position * log(m->close[d + 1] / m->close[d]);
		sum += r;
		sum2 += r * r;
		days++;
	}
	{
		double mean = sum / days, var = sum2 / days - mean * mean;

		out->value = var > 0 ? mean / sqrt(var) * sqrt(252.0) : 0;
	}
	return 0;
}

/* Called in sequence order as results commit: a live log. */
static int
show(void *ctx, const double *p, uint32_t n, const rsw_result *r)
{
	if (r->seq % 10 == 9)
		printf("  %3llu backtests, latest: lookback %2.0f entry %.2f exit %.2f "
		       "-> Sharpe %.3f\n",
		       (unsigned long long)r->seq + 1, p[0], p[1], p[2], r->value);
	return 0;
}

int
main(int argc, char **argv)
{
	struct market *m = malloc(sizeof *m);
	rsw_objective obj = { zscore_band, NULL, m, NULL };
	rsw_run_options ro = { .window = 4, .on_commit = show };
	const char *space_specs[] = { "lookback=int:5:120", "entry=float:0.5:3",
				      "exit=log:0.05:1" };
	rsw_algorithm *bayes;
	rsw_algo_opts opts;
	rsw_space space;
	rsw_config cfg;
	rsw_engine *e;
	rsw_best best;
	uint64_t seed = 7;
	double level = 0;
	char err[256];
	int rc;

	/* Loaded (here: generated) once, before the workers are forked. */
	for (int d = 0; d < DAYS; d++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		level = 0.97 * level + 0.02 * (((seed >> 11) * 0x1.0p-53) - 0.5);
		m->close[d] = 100 * exp(level + 0.0001 * d);
	}
	rsw_space_init(&space);
	for (int i = 0; i < 3; i++)
		if (rsw_space_add(&space, space_specs[i], err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			return 2;
		}
	rsw_algo_opts_init(&opts);
	opts.evals = 80;
	opts.seed = 1;
	opts.minimize = 0; /* the highest Sharpe ratio */
	rc = rsw_algo_bayes_create(&bayes, &space, &opts);
	if (rc != 0) {
		fprintf(stderr, "bayes: %s\n", rsw_strerror(rc));
		return 1;
	}
	rsw_config_init(&cfg);
	cfg.workers = argc > 1 ? atoi(argv[1]) : 2;
	cfg.max_params = space.n;
	rc = rsw_engine_open(&e, &cfg, &obj);
	if (rc != 0) {
		fprintf(stderr, "engine: %s\n", rsw_strerror(rc));
		return 1;
	}
	rc = rsw_run(e, bayes, &ro);
	rsw_engine_close(e);
	if (rc == 0 && bayes->best(bayes, &best) == 0)
		printf("best Sharpe %.3f at backtest %llu: lookback %.0f, entry %.3f, "
		       "exit %.3f of entry\n",
		       best.value, (unsigned long long)best.seq, best.params[0],
		       best.params[1], best.params[2]);
	else
		fprintf(stderr, "search: %s\n", rsw_strerror(rc));
	rsw_algorithm_destroy(bayes);
	free(m);
	return rc == 0 ? 0 : 1;
}
