/*
 * sweep/backtest.c - the built-in `ma_cross` backtest and its price loader.
 *
 * Strategy: long one unit when the fast simple moving average of closes is
 * above the slow one, flat otherwise; decided on day t's close, held from t
 * to t + 1.  Parameters: fast, slow (days, fast < slow) and optionally a
 * transaction cost in basis points, charged on each change of position.
 *
 * Definitions (what the reference test in tests/ recomputes):
 *   pos[t]  = 1 if t >= slow - 1 and SMA_fast(t) > SMA_slow(t), else 0;
 *             when every close has at most 6 decimals (market data does)
 *             the comparison is exact, on integer millionths, so a flat
 *             stretch where the two averages are equal is never "above"
 *             by a rounding residue of rolling sums
 *   R[t+1]  = pos[t] * (p[t+1] / p[t] - 1) - cost * |pos[t] - pos[t-1]|
 *             for t = slow - 1 .. n - 2 (pos before slow - 1 is 0);
 *             m = n - slow daily returns
 *   value   = annualised Sharpe = mean(R) / sd(R) * sqrt(252), sd the
 *             sample standard deviation (0 when sd is 0)
 *   metrics = total_return = prod(1 + R) - 1
 *             ann_volatility = sd(R) * sqrt(252)
 *             sortino = mean(R) / sqrt(mean(min(R, 0)^2)) * sqrt(252)
 *             max_drawdown = max_t (1 - E_t / max_{s<=t} E_s), E = prod(1+R)
 *             trades = entries (pos 0 -> 1)
 *             (with the Sharpe ratio as the value, the Sharpe ratio of
 *             the returns so far is reported after every 252 days of
 *             data, step 0 at day 252: walk-forward, for pruning)
 *             win_rate = share of trades whose return > 0: R compounded
 *                        over the days from entry to exit, both costs
 *                        included (a trade open at the end closes there)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define ANNUAL 252.0

const char *const rsw__ma_cross_metrics[] = {
	"total_return", "ann_volatility", "sortino", "max_drawdown", "trades",
	"win_rate", "calmar", "profit_factor", "avg_trade_return", NULL,
};

int
rsw__ma_cross_metric_index(const char *name)
{
	if (name == NULL || strcmp(name, "sharpe") == 0)
		return -1;
	for (int i = 0; rsw__ma_cross_metrics[i] != NULL; i++)
		if (strcmp(name, rsw__ma_cross_metrics[i]) == 0)
			return i;
	return -2;
}

static char *
csv_field(char *line, int index)
{
	char *p = line;

	for (int i = 0; i < index; i++) {
		p = strchr(p, ',');
		if (p == NULL)
			return NULL;
		p++;
	}
	return p;
}

/* Index of `column` in a header line, fields split on every comma (an
 * empty field counts: pandas writes ",close"); -1 if absent. */
static int
header_index(char *header, const char *column)
{
	int i = 0;

	for (char *f = header, *next; f != NULL; f = next, i++) {
		next = strchr(f, ',');
		if (next != NULL)
			*next++ = '\0';
		if (*f == '"')
			f++;
		f[strcspn(f, "\"")] = '\0';
		if (strcmp(f, column) == 0)
			return i;
	}
	return -1;
}

/* The longest line a data file may have, newline included: a price series
 * has a few fields a line; a file without newlines is not one. */
#define DATA_LINE_MAX 65536

/* The next line into buf (DATA_LINE_MAX bytes): 1, 0 at the end, -1 when
 * it does not fit. */
static int
data_line(FILE *f, char *buf)
{
	size_t n;

	if (fgets(buf, DATA_LINE_MAX, f) == NULL)
		return 0;
	n = strlen(buf);
	if (n == DATA_LINE_MAX - 1 && buf[n - 1] != '\n' && !feof(f))
		return -1;
	return 1;
}

int
rsw__prices_load(const char *path, const char *column, rsw__prices *out,
		char *err, size_t errlen)
{
	/* Opened without blocking (a FIFO would wait for a writer before
	 * the check below could refuse it), then read as usual. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *line = malloc(DATA_LINE_MAX);
	size_t cap = 4096, lineno = 1;
	struct stat sb;
	FILE *f = NULL;
	int col, got;

	memset(out, 0, sizeof *out);
	if (fd < 0 || line == NULL) {
		snprintf(err, errlen, "data '%s': cannot read it: %s", path,
			 fd < 0 ? strerror(errno) : "out of memory");
		if (fd >= 0)
			close(fd);
		free(line);
		return -1;
	}
	/* A file: a device or a pipe (/dev/zero, a FIFO) never ends, and
	 * could neither be fingerprinted nor read again on resume. */
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    fcntl(fd, F_SETFL, 0) != 0 || (f = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "data '%s': not a regular file", path);
		free(line);
		close(fd);
		return -1;
	}
	if ((got = data_line(f, line)) <= 0) {
		snprintf(err, errlen, got < 0 ? "data '%s' line 1: longer than %d "
			 "bytes" : "data '%s': empty file", path, DATA_LINE_MAX - 2);
		free(line);
		fclose(f);
		return -1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	col = header_index(line, column);
	if (col < 0) {
		snprintf(err, errlen, "column '%s': no such column in the header "
			 "of '%s'", column, path);
		free(line);
		fclose(f);
		return -1;
	}
	out->close = malloc(cap * sizeof(double));
	while (out->close != NULL && (got = data_line(f, line)) != 0) {
		char *field, *end;
		double v;

		lineno++;
		if (got < 0) {
			snprintf(err, errlen, "data '%s' line %zu: longer than %d bytes",
				 path, lineno, DATA_LINE_MAX - 2);
			rsw__prices_free(out);
			free(line);
			fclose(f);
			return -1;
		}
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		field = csv_field(line, col);
		errno = 0;
		v = field != NULL ? strtod(field, &end) : NAN;
		if (field == NULL || end == field || (*end != ',' && *end != '\0') ||
		    errno == ERANGE || !(v > 0) || !isfinite(v)) {
			snprintf(err, errlen, "data '%s' line %zu: column '%s' is not "
				 "a positive price", path, lineno, column);
			rsw__prices_free(out);
			free(line);
			fclose(f);
			return -1;
		}
		if (out->n == cap) {
			double *bigger = realloc(out->close, 2 * cap * sizeof(double));

			if (bigger == NULL)
				break;
			out->close = bigger;
			cap *= 2;
		}
		out->close[out->n++] = v;
	}
	free(line);
	fclose(f);
	if (out->close != NULL && out->n >= 3) {
		/* Integer millionths, if they represent every close exactly
		 * (to well within a double's precision). */
		out->micro = malloc(out->n * sizeof(int64_t));
		for (size_t i = 0; out->micro != NULL && i < out->n; i++) {
			double m = out->close[i] * 1e6, r = nearbyint(m);

			/* Up to 1e6 per unit, a double holds millionths to
			 * within 3e-4: a residue above 1e-3 is a 7th decimal. */
			if (fabs(m - r) > 1e-3 || r > 1e12) {
				free(out->micro);
				out->micro = NULL;
			} else {
				out->micro[i] = (int64_t)r;
			}
		}
	}
	if (out->close == NULL || out->n < 3) {
		snprintf(err, errlen, "data '%s': fewer than 3 prices in column '%s'",
			 path, column);
		rsw__prices_free(out);
		return -1;
	}
	return 0;
}

void
rsw__prices_free(rsw__prices *p)
{
	free(p->close);
	free(p->micro);
	p->close = NULL;
	p->micro = NULL;
	p->n = 0;
}

/* A trade that ended (or is still open at the end): a win when it grew;
 * its profit or loss in equity (what it grew the equity it was entered
 * with by) and its return go to the sums. */
static void
close_trade(double growth, double entry_equity, int *wins, double *gross_profit,
	    double *gross_loss, double *trade_sum)
{
	double pnl = entry_equity * (growth - 1);

	*wins += growth > 1;
	if (pnl > 0)
		*gross_profit += pnl;
	else
		*gross_loss -= pnl;
	*trade_sum += growth - 1;
}

int
rsw__market_columns(const char *path, const char *spec, char *names, size_t n,
		    char *err, size_t errlen)
{
	char *line = malloc(DATA_LINE_MAX);
	FILE *f = NULL;
	int count = 1;

	if (strcmp(spec, "*") != 0) {
		if (strlen(spec) >= n || spec[0] == '\0' || strstr(spec, ",,") != NULL ||
		    spec[strlen(spec) - 1] == ',') {
			snprintf(err, errlen, "--column '%s': give NAME, NAME,NAME,... "
				 "or * (every series)", spec);
			free(line);
			return -1;
		}
		snprintf(names, n, "%s", spec);
		for (const char *p = spec; (p = strchr(p, ',')) != NULL; p++)
			count++;
		free(line);
		return count;
	}
	if (line == NULL || (f = fopen(path, "re")) == NULL || data_line(f, line) <= 0) {
		snprintf(err, errlen, "data '%s': no header to take the series from",
			 path);
		if (f != NULL)
			fclose(f);
		free(line);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	names[0] = '\0';
	count = 0;
	/* Every field after the first (the date), unquoted. */
	for (char *fld = strchr(line, ','), *next; fld != NULL; fld = next) {
		size_t len = strlen(names);

		fld++;
		next = strchr(fld, ',');
		if (next != NULL)
			*next = '\0';
		if (*fld == '"')
			fld++;
		fld[strcspn(fld, "\"")] = '\0';
		if (*fld == '\0' || len + strlen(fld) + 2 > n) {
			snprintf(err, errlen, "data '%s': a header field is empty, or "
				 "the header too long for --column '*'", path);
			free(line);
			return -1;
		}
		snprintf(names + len, n - len, "%s%s", len > 0 ? "," : "", fld);
		count++;
	}
	free(line);
	if (count == 0) {
		snprintf(err, errlen, "data '%s': --column '*' found no series after "
			 "its first column", path);
		return -1;
	}
	return count;
}

int
rsw__market_load(const char *path, const char *spec, rsw__market *out,
		 char *err, size_t errlen)
{
	char names[sizeof out->names], *save = NULL;
	int count;

	memset(out, 0, sizeof *out);
	out->value_metric = -1;
	count = rsw__market_columns(path, spec, names, sizeof names, err, errlen);
	if (count < 0)
		return -1;
	memcpy(out->names, names, sizeof names); /* strtok_r cuts the copy */
	if (count > RSW__MAX_SERIES) {
		snprintf(err, errlen, "--column: %d series, at most %d", count,
			 RSW__MAX_SERIES);
		return -1;
	}
	for (char *name = strtok_r(names, ",", &save); name != NULL;
	     name = strtok_r(NULL, ",", &save)) {
		if (rsw__prices_load(path, name, &out->series[out->nseries], err,
				     errlen) != 0) {
			rsw__market_free(out);
			return -1;
		}
		out->nseries++;
	}
	return 0;
}

void
rsw__market_free(rsw__market *m)
{
	for (uint32_t i = 0; i < m->nseries; i++)
		rsw__prices_free(&m->series[i]);
	m->nseries = 0;
}

/* The Sharpe ratio of the m returns so far (their sum and sum of
 * squares), reported as the step that ends on *day, which moves to the
 * next step's; 1 when the evaluation should stop. */
static int
report_sharpe(const rsw_task_info *task, size_t *day, double sum, double sum2,
	      size_t m)
{
	double mean = m > 0 ? sum / (double)m : 0;
	double var = m > 1 ? (sum2 - (double)m * mean * mean) / (double)(m - 1) : 0;
	uint32_t step = (uint32_t)(*day / RSW__MA_CROSS_STEP_DAYS - 1);

	*day += RSW__MA_CROSS_STEP_DAYS;
	return rsw_task_report(task, step, var > 0 ? mean / sqrt(var) * sqrt(ANNUAL) : 0);
}

int
rsw__ma_cross_eval(void *ctx, const double *x, uint32_t nparams,
		   const rsw_task_info *task, rsw_eval_out *out)
{
	const rsw__market *mk = ctx;
	/* Several series: the last parameter is which (a category index,
	 * checked against the space at load; checked again here). */
	double pick = mk->nseries > 1 && nparams > 0 ? x[--nparams] : 0;
	uint32_t which = pick >= 0 && pick < mk->nseries ? (uint32_t)pick : 0;
	const rsw__prices *px = &mk->series[which];
	const double *p = px->close;
	size_t n = px->n, fast, slow, m = 0;
	double cost = nparams > 2 ? x[2] / 1e4 : 0;
	double fsum = 0, ssum = 0, sum = 0, sum2 = 0, down2 = 0;
	int64_t ifsum = 0, issum = 0;
	const int64_t *q = px->micro;
	double equity = 1, peak = 1, max_dd = 0, trade_growth = 1;
	double entry_equity = 1, gross_profit = 0, gross_loss = 0, trade_sum = 0;
	int pos_prev = 0, trades = 0, wins = 0;
	/* The day whose Sharpe ratio is reported next (walk-forward, for a
	 * pruner); none when nobody listens or the value is another metric. */
	size_t report_day = task->report != NULL && mk->value_metric == -1 ?
				    RSW__MA_CROSS_STEP_DAYS : SIZE_MAX;

	if (!(pick >= 0 && pick < mk->nseries && pick == (double)which) ||
	    !(x[0] >= 1 && x[1] >= 1 && x[0] < 1e9 && x[1] < 1e9)) {
		out->error_code = 22; /* EINVAL: not a meaningful crossover */
		return -1;
	}
	/* A fast window not shorter than the slow one, or one longer than
	 * the data: not a crossover strategy (better excluded with
	 * --constraint 'fast < slow', which never sends it). */
	if ((fast = (size_t)x[0]) >= (slow = (size_t)x[1]) || slow >= n)
		return RSW_EVAL_INFEASIBLE;
	for (size_t t = 0; t + 1 < n; t++) {
		int pos;
		double r;

		if (q != NULL) {
			ifsum += q[t] - (t >= fast ? q[t - fast] : 0);
			issum += q[t] - (t >= slow ? q[t - slow] : 0);
		} else {
			fsum += p[t] - (t >= fast ? p[t - fast] : 0);
			ssum += p[t] - (t >= slow ? p[t - slow] : 0);
		}
		if (t + 1 < slow) {
			/* Not trading yet: a Sharpe ratio of 0 so far. */
			if (t + 1 == report_day &&
			    report_sharpe(task, &report_day, 0, 0, 0))
				return RSW_EVAL_PRUNED;
			continue;
		}
		/* fast_sum/fast > slow_sum/slow, cross-multiplied: exact in
		 * 128-bit integers. */
		pos = q != NULL ? (__int128)ifsum * (__int128)slow >
					  (__int128)issum * (__int128)fast :
				  fsum / (double)fast > ssum / (double)slow;
		r = pos * (p[t + 1] / p[t] - 1) - cost * abs(pos - pos_prev);
		if (pos && !pos_prev) {
			trades++;
			trade_growth = 1;
			entry_equity = equity;
		}
		if (pos || pos_prev)
			trade_growth *= 1 + r;
		if (!pos && pos_prev)
			close_trade(trade_growth, entry_equity, &wins, &gross_profit,
				    &gross_loss, &trade_sum);
		pos_prev = pos;
		sum += r;
		sum2 += r * r;
		down2 += r < 0 ? r * r : 0;
		equity *= 1 + r;
		if (equity > peak)
			peak = equity;
		if (1 - equity / peak > max_dd)
			max_dd = 1 - equity / peak;
		m++;
		if (t + 1 == report_day &&
		    report_sharpe(task, &report_day, sum, sum2, m))
			return RSW_EVAL_PRUNED;
	}
	if (pos_prev)
		close_trade(trade_growth, entry_equity, &wins, &gross_profit,
			    &gross_loss, &trade_sum);
	{
		double mean = sum / (double)m;
		double var = m > 1 ? (sum2 - (double)m * mean * mean) / (double)(m - 1) : 0;
		double sd = var > 0 ? sqrt(var) : 0;
		double dd = sqrt(down2 / (double)m);

		double annual = pow(equity, ANNUAL / (double)m) - 1;

		out->value = sd > 0 ? mean / sd * sqrt(ANNUAL) : 0;
		out->nmetrics = 9;
		out->metrics[0] = equity - 1;
		out->metrics[1] = sd * sqrt(ANNUAL);
		out->metrics[2] = dd > 0 ? mean / dd * sqrt(ANNUAL) : 0;
		out->metrics[3] = max_dd;
		out->metrics[4] = trades;
		out->metrics[5] = trades > 0 ? (double)wins / trades : 0;
		/* Annualised compound return over the worst drawdown. */
		out->metrics[6] = max_dd > 0 ? annual / max_dd : 0;
		/* Gross profit over gross loss of the trades, in equity;
		 * undefined (NaN: an empty cell) when no trade lost. */
		out->metrics[7] = gross_loss > 0 ? gross_profit / gross_loss : NAN;
		out->metrics[8] = trades > 0 ? trade_sum / trades : 0;
		if (mk->value_metric >= 0)
			out->value = out->metrics[mk->value_metric];
	}
	return 0;
}
