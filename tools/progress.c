/*
 * tools/progress.c - the live progress line.
 *
 * DESIGN
 * The committer (the thread running rsw_run) publishes an immutable
 * snapshot of the counters and the best result with liburcu: it builds a
 * new one, swaps the pointer (rcu_xchg_pointer), waits for a grace period
 * and frees the old one.  The display thread reads the current snapshot in
 * a read-side critical section: it never takes a lock and never slows the
 * committer, which publishes at most every 50 ms.
 *
 * On a terminal: one line redrawn up to 10 times a second.  Elsewhere (CI,
 * pipes): a plain line every 3 seconds, no escape codes.
 */
#include "progress.h"
#include "util.h"

#include <ck_pr.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>

#define PUBLISH_EVERY_NS 50000000ull
#define TICK_NS 100000000ull
#define LINES_EVERY_TICKS 30

struct snap {
	uint64_t done, failed, running;
	int have_best;
	double best;
	double best_params[RSW_MAX_PARAMS_LIMIT];
};

struct rsw_progress {
	int mode;
	const rsw_space *space;
	uint64_t total;
	uint64_t start_ns, last_publish_ns;
	struct snap *current; /* RCU-protected */
	pthread_t thread;
	int stop;	/* written by the committer, read by the display */
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

static void
draw(struct rsw_progress *p, const struct snap *s, int final)
{
	double elapsed = (double)(rsw__mono_ns() - p->start_ns) / 1e9;
	double rate = elapsed > 0 ? (double)s->done / elapsed : 0;
	char el[32], eta[32], line[1024];
	int n;

	fmt_hms(el, sizeof el, elapsed);
	if (p->total > s->done && rate > 0)
		fmt_hms(eta, sizeof eta, (double)(p->total - s->done) / rate);
	else
		snprintf(eta, sizeof eta, "-");
	n = snprintf(line, sizeof line,
		     "%llu/%llu (%.1f%%) | %llu running | %llu failed | %.0f evals/s | "
		     "%s elapsed | ETA %s",
		     (unsigned long long)s->done, (unsigned long long)p->total,
		     p->total ? 100.0 * (double)s->done / (double)p->total : 0.0,
		     (unsigned long long)s->running, (unsigned long long)s->failed,
		     rate, el, eta);
	if (s->have_best && n > 0 && (size_t)n < sizeof line) {
		n += snprintf(line + n, sizeof line - (size_t)n, " | best %.6g",
			      s->best);
		for (uint32_t i = 0; i < p->space->n && n > 0 &&
				     (size_t)n < sizeof line; i++) {
			const rsw_param *prm = &p->space->params[i];
			char v[64];

			if (prm->kind == RSW_PARAM_CAT)
				rsw_param_format(prm, s->best_params[i], v, sizeof v);
			else
				snprintf(v, sizeof v, "%.6g", s->best_params[i]);
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s",
				      prm->name, v);
		}
	}
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

	urcu_memb_register_thread();
	while (!ck_pr_load_int(&p->stop)) {
		struct timespec tick = { 0, (long)TICK_NS };

		nanosleep(&tick, NULL);
		if (p->mode == RSW_PROGRESS_LINES && ++ticks % LINES_EVERY_TICKS != 0)
			continue;
		{
			struct snap copy;
			int have = 0;

			/* Copy under the read lock, draw outside it: a slow
			 * stderr must never hold up the committer's grace
			 * period. */
			urcu_memb_read_lock();
			{
				struct snap *s = rcu_dereference(p->current);

				if (s != NULL) {
					copy = *s;
					have = 1;
				}
			}
			urcu_memb_read_unlock();
			if (have && !ck_pr_load_int(&p->stop))
				draw(p, &copy, 0);
		}
	}
	urcu_memb_unregister_thread();
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
		return -1;
	return 0;
}

rsw_progress *
rsw_progress_start(int mode, const rsw_space *space, uint64_t total)
{
	rsw_progress *p;

	if (mode == RSW_PROGRESS_NONE)
		return NULL;
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return NULL;
	p->mode = mode;
	p->space = space;
	p->total = total;
	p->start_ns = rsw__mono_ns();
	p->current = calloc(1, sizeof *p->current);
	if (p->current == NULL || pthread_create(&p->thread, NULL, display, p) != 0) {
		free(p->current);
		free(p);
		return NULL;
	}
	return p;
}

void
rsw_progress_publish(rsw_progress *p, uint64_t done, uint64_t failed,
		     uint64_t running, int have_best, double best,
		     const double *best_params, int force)
{
	struct snap *s, *old;
	uint64_t now;

	if (p == NULL)
		return;
	now = rsw__mono_ns();
	if (!force && now - p->last_publish_ns < PUBLISH_EVERY_NS)
		return;
	s = malloc(sizeof *s);
	if (s == NULL)
		return;
	p->last_publish_ns = now;
	s->done = done;
	s->failed = failed;
	s->running = running;
	s->have_best = have_best;
	s->best = best;
	if (have_best)
		memcpy(s->best_params, best_params, p->space->n * sizeof(double));
	/* Publish the complete snapshot (rcu_xchg_pointer orders the
	 * initialisation above before the pointer is visible), then wait
	 * until no reader can still hold the old one before freeing it. */
	old = rcu_xchg_pointer(&p->current, s);
	urcu_memb_synchronize_rcu();
	free(old);
}

void
rsw_progress_stop(rsw_progress *p)
{
	if (p == NULL)
		return;
	/* A plain flag: the display thread looks at it every tick, and the
	 * join below is the synchronisation that matters. */
	ck_pr_store_int(&p->stop, 1);
	pthread_join(p->thread, NULL);
	if (p->current != NULL && (p->drawn || p->mode == RSW_PROGRESS_BAR))
		draw(p, p->current, 1);
	free(p->current);
	free(p);
}
