/*
 * sweep/progress.c - the live progress line (ringsweep/progress.h).
 *
 * On a terminal: one line redrawn up to 10 times a second.  Elsewhere (CI,
 * pipes): a plain line every 3 seconds, no escape codes.  The figures come
 * from rsw_sweep_progress_get, a snapshot the committer publishes with RCU:
 * reading it never takes a lock, so a slow stderr cannot hold anything up.
 */
#include "ringsweep/progress.h"

#include <ck_pr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/error.h"

#define TICK_NS 100000000L
#define LINES_EVERY_TICKS 30

struct rsw_progress {
	int mode;
	const rsw_sweep *sweep;
	pthread_t thread;
	int stop;	/* the committer's thread sets it; the display reads it */
	int drawn;
};

static void
fmt_hms(char *buf, size_t n, double s)
{
	unsigned long t = s > 0 && s < 1e8 ? (unsigned long)(s + 0.5) : 0;

	if (t >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%lu:%02lu", t / 60, t % 60);
}

/* The best parameters, " name=value" each, after the figures. */
static int
append_best(const rsw_space *space, const rsw_sweep_progress *s, char *line,
	    size_t cap, int n)
{
	n += snprintf(line + n, cap - (size_t)n, " | best %.6g", s->best);
	for (uint32_t i = 0; i < space->n && n > 0 && (size_t)n < cap; i++) {
		const rsw_param *prm = &space->params[i];
		char v[64];

		if (prm->kind == RSW_PARAM_CAT)
			rsw_param_format(prm, s->best_params[i], v, sizeof v);
		else
			snprintf(v, sizeof v, "%.6g", s->best_params[i]);
		n += snprintf(line + n, cap - (size_t)n, " %s=%s", prm->name, v);
	}
	return n;
}

static void
draw(struct rsw_progress *p, const rsw_sweep_progress *s, int final)
{
	double rate = s->elapsed_s > 0 ? (double)s->done / s->elapsed_s : 0;
	char el[32], eta[32], line[1024];
	int n;

	fmt_hms(el, sizeof el, s->elapsed_s);
	if (s->total > s->done && rate > 0)
		fmt_hms(eta, sizeof eta, (double)(s->total - s->done) / rate);
	else
		snprintf(eta, sizeof eta, "-");
	n = snprintf(line, sizeof line,
		     "%llu/%llu (%.1f%%) | %llu running | %llu failed | %.0f evals/s | "
		     "%s elapsed | ETA %s",
		     (unsigned long long)s->done, (unsigned long long)s->total,
		     s->total ? 100.0 * (double)s->done / (double)s->total : 0.0,
		     (unsigned long long)s->running, (unsigned long long)s->failed,
		     rate, el, eta);
	if (s->have_best && n > 0 && (size_t)n < sizeof line)
		append_best(rsw_sweep_space(p->sweep), s, line, sizeof line, n);
	if (p->mode == RSW_PROGRESS_BAR)
		fprintf(stderr, "\r%s\x1b[K%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "progress: %s\n", line);
	fflush(stderr);
	p->drawn = 1;
}

static void *
display(void *arg)
{
	struct rsw_progress *p = arg;
	unsigned ticks = 0;

	/* Relaxed: a late view of the flag costs one more tick; the join
	 * in rsw_progress_stop is the synchronisation that matters. */
	while (!ck_pr_load_int(&p->stop)) {
		struct timespec tick = { 0, TICK_NS };
		rsw_sweep_progress s;

		nanosleep(&tick, NULL);
		if (p->mode == RSW_PROGRESS_LINES && ++ticks % LINES_EVERY_TICKS != 0)
			continue;
		if (rsw_sweep_progress_get(p->sweep, &s) == 0 &&
		    !ck_pr_load_int(&p->stop))
			draw(p, &s, 0);
	}
	return NULL;
}

int
rsw_progress_mode_parse(const char *s, int *mode)
{
	if (strcmp(s, "auto") == 0)
		*mode = isatty(STDERR_FILENO) ? RSW_PROGRESS_BAR : RSW_PROGRESS_LINES;
	else if (strcmp(s, "bar") == 0)
		*mode = RSW_PROGRESS_BAR;
	else if (strcmp(s, "lines") == 0)
		*mode = RSW_PROGRESS_LINES;
	else if (strcmp(s, "none") == 0)
		*mode = RSW_PROGRESS_NONE;
	else
		return RSW_EINVAL;
	return 0;
}

rsw_progress *
rsw_progress_start(int mode, const rsw_sweep *sw)
{
	rsw_progress *p;

	if (mode == RSW_PROGRESS_NONE)
		return NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->mode = mode;
	p->sweep = sw;
	if (rsw__thread_start(&p->thread, display, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void
rsw_progress_stop(rsw_progress *p)
{
	rsw_sweep_progress s;

	if (p == NULL)
		return;
	ck_pr_store_int(&p->stop, 1);
	pthread_join(p->thread, NULL);
	if ((p->drawn || p->mode == RSW_PROGRESS_BAR) &&
	    rsw_sweep_progress_get(p->sweep, &s) == 0)
		draw(p, &s, 1);
	free(p);
}
