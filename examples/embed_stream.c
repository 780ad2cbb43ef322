/*
 * examples/embed_stream.c - embedding libringsweep in a C program: a
 * moving-average crossover backtest on generated prices, evaluated by
 * worker processes through the streaming submit/poll API.
 *
 * The price series is generated once, before rsw_engine_open(): every
 * worker inherits it copy-on-write through fork, so no worker re-creates
 * or re-reads it.
 *
 *   build/examples/embed_stream [workers]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ringsweep/ringsweep.h"

#define DAYS 5000

struct market {
	double close[DAYS];
};

/* Annualised Sharpe ratio of "long when fast MA > slow MA, else flat". */
static int
ma_cross(void *ctx, const double *p, uint32_t n, const rsw_task_info *t,
	 rsw_eval_out *out)
{
	const struct market *m = ctx;
	int fast = (int)p[0], slow = (int)p[1];
	double sum = 0, sum2 = 0, fast_sum = 0, slow_sum = 0;
	int days = 0;

	if (fast >= slow)
		return 1; /* not a crossover: reported as an error */
	for (int d = 0; d < DAYS - 1; d++) {
		fast_sum += m->close[d] - (d >= fast ? m->close[d - fast] : 0);
		slow_sum += m->close[d] - (d >= slow ? m->close[d - slow] : 0);
		if (d >= slow) {
			int in = fast_sum / fast > slow_sum / slow;
			double r = in ? log(m->close[d + 1] / m->close[d]) : 0;

			sum += r;
			sum2 += r * r;
			days++;
		}
	}
	{
		double mean = sum / days, var = sum2 / days - mean * mean;

		out->value = var > 0 ? mean / sqrt(var) * sqrt(252.0) : 0;
	}
	return 0;
}

#define MAX_TASKS 4096

static double params_by_seq[MAX_TASKS][2];
static double best = -INFINITY;
static uint64_t best_seq;

static int
take(const rsw_result *res, int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		if (res[i].status != RSW_STATUS_OK)
			continue;
		ok++;
		if (res[i].value > best) {
			best = res[i].value;
			best_seq = res[i].seq;
		}
	}
	return ok;
}

int
main(int argc, char **argv)
{
	struct market *m = malloc(sizeof *m);
	rsw_objective obj = { ma_cross, NULL, m, NULL };
	rsw_result res[256];
	rsw_config cfg;
	rsw_engine *e;
	uint64_t seed = 42;
	int rc, got = 0, total = 0;

	/* A geometric random walk with a little drift. */
	m->close[0] = 100;
	for (int d = 1; d < DAYS; d++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		m->close[d] = m->close[d - 1] *
			      exp(0.0002 + 0.01 * (((seed >> 11) * 0x1.0p-53) - 0.5));
	}
	rsw_config_init(&cfg);
	cfg.workers = argc > 1 ? atoi(argv[1]) : 2;
	cfg.max_params = 2;
	rc = rsw_engine_open(&e, &cfg, &obj);
	if (rc != 0) {
		fprintf(stderr, "engine: %s\n", rsw_strerror(rc));
		return 1;
	}
	for (int fast = 2; fast <= 50; fast++)
		for (int slow = fast + 5; slow <= 200; slow += 5) {
			double *p = params_by_seq[total];

			p[0] = fast;
			p[1] = slow;
			/* Non-blocking: when the engine is full, take results. */
			while ((rc = rsw_engine_submit(e, p, 2, NULL)) == RSW_EAGAIN)
				got += take(res, rsw_engine_poll(e, res, 256, -1));
			total++;
		}
	while (rsw_engine_pending(e) > 0) {
		rc = rsw_engine_poll(e, res, 256, -1);
		if (rc < 0) {
			fprintf(stderr, "poll: %s\n", rsw_strerror(rc));
			break;
		}
		got += take(res, rc);
	}
	printf("%d backtests, %d succeeded; best Sharpe %.3f with fast=%g slow=%g\n",
	       total, got, best, params_by_seq[best_seq][0],
	       params_by_seq[best_seq][1]);
	rsw_engine_close(e);
	free(m);
	return got == total ? 0 : 1;
}
