/*
 * examples/plugin/breakout.c - an objective plugin written as a user would:
 * a channel-breakout backtest (long after a close above the highest close
 * of the last LOOKBACK days, flat after a close below the lowest of the
 * last EXIT days), value = annualised Sharpe ratio.
 *
 * The prices are loaded once, in init, from the CSV file and column given
 * as --objective-arg FILE:COLUMN; every worker inherits them.
 *
 *   ringsweep run --objective build/examples/plugin/libbreakout.so \
 *       --objective-arg examples/data/eustockmarkets.csv:DAX \
 *       --param lookback=int:5:100:5 --param exit=int:5:50:5 --maximize
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringsweep/objective.h>

RSW_OBJECTIVE_PLUGIN;

const char *const rsw_objective_metrics[] = { "trades", "exposure", NULL };

struct series {
	size_t n;
	double close[];
};

int
rsw_objective_init(const char *arg, void **state)
{
	char path[4096], line[4096], *colon;
	struct series *s = NULL;
	size_t cap = 0;
	int col = -1;
	FILE *f;

	snprintf(path, sizeof path, "%s", arg);
	colon = strrchr(path, ':');
	if (colon == NULL)
		return 1; /* expected FILE:COLUMN */
	*colon = '\0';
	f = fopen(path, "r");
	if (f == NULL || fgets(line, sizeof line, f) == NULL)
		return 2;
	line[strcspn(line, "\r\n")] = '\0';
	{
		int i = 0;

		for (char *t = strtok(line, ","); t != NULL; t = strtok(NULL, ","), i++)
			if (strcmp(t, colon + 1) == 0)
				col = i;
	}
	while (col >= 0 && fgets(line, sizeof line, f) != NULL) {
		char *field = line;

		for (int i = 0; i < col && field != NULL; i++)
			field = strchr(field, ',') ? strchr(field, ',') + 1 : NULL;
		if (field == NULL)
			continue;
		if (s == NULL || s->n == cap) {
			cap = cap ? 2 * cap : 1024;
			s = realloc(s, sizeof *s + cap * sizeof(double));
			if (s == NULL)
				break;
			if (cap == 1024)
				s->n = 0;
		}
		s->close[s->n++] = strtod(field, NULL);
	}
	fclose(f);
	if (col < 0 || s == NULL || s->n < 10) {
		free(s);
		return 3;
	}
	*state = s;
	return 0;
}

int
rsw_objective_eval(void *state, const double *p, uint32_t n,
		   const rsw_task_info *task, rsw_eval_out *out)
{
	const struct series *s = state;
	size_t look = (size_t)p[0], exit_days = (size_t)p[1], days = 0, held = 0;
	double sum = 0, sum2 = 0;
	int pos = 0, trades = 0;

	if (n < 2 || look < 2 || exit_days < 2 || look >= s->n)
		return 1;
	for (size_t t = look; t + 1 < s->n; t++) {
		double hi = -INFINITY, lo = INFINITY, r;

		for (size_t k = t - look; k < t; k++)
			hi = fmax(hi, s->close[k]);
		for (size_t k = t - (exit_days < t ? exit_days : t); k < t; k++)
			lo = fmin(lo, s->close[k]);
		if (!pos && s->close[t] > hi) {
			pos = 1;
			trades++;
		} else if (pos && s->close[t] < lo) {
			pos = 0;
		}
		r = pos ? s->close[t + 1] / s->close[t] - 1 : 0;
		sum += r;
		sum2 += r * r;
		held += (size_t)pos;
		days++;
	}
	{
		double mean = sum / days, var = sum2 / days - mean * mean;

		out->value = var > 0 ? mean / sqrt(var) * sqrt(252.0) : 0;
	}
	out->nmetrics = 2;
	out->metrics[0] = trades;
	out->metrics[1] = (double)held / days;
	return 0;
}

void
rsw_objective_fini(void *state)
{
	free(state);
}
