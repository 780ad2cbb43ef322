/*
 * sweep/commit.c - what happens to each committed evaluation, in sequence
 * order, on the thread that runs the sweep: counts by status, the best
 * top_n, the results store, the CSV file, the caller's callback, and the
 * progress snapshot other threads read.
 *
 * PROGRESS
 * The committer publishes an immutable snapshot at most every 50 ms: it
 * fills a new one, swaps the pointer in with a release exchange, waits for
 * a liburcu grace period and frees the old one.  A reader (rsw_sweep_progress_get, any thread) copies
 * the current snapshot inside a read-side critical section: it never
 * takes a lock and never delays the committer by more than its copy.
 * Reader threads are registered with liburcu on their first read and
 * unregistered when they exit.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>

#include "internal.h"

#define PUBLISH_EVERY_NS 50000000ull

/* ThreadSanitizer cannot see a liburcu grace period (it is made of
 * membarrier and per-thread counters): tell it what one guarantees, that
 * every reader's copy of a snapshot happens before its free. */
#if defined(__SANITIZE_THREAD__)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define GRACE_READER_DONE(p) __tsan_release(p)
#define GRACE_PERIOD_OVER(p) __tsan_acquire(p)
#else
#define GRACE_READER_DONE(p) ((void)(p))
#define GRACE_PERIOD_OVER(p) ((void)(p))
#endif

struct rsw__progress_snap {
	rsw_sweep_progress p;
	uint64_t start_ns;
};

/* ------------------------------------------------------------ progress */

/* Tasks being evaluated now: in the engine, at most one a worker. */
static uint64_t
running_tasks(const rsw_sweep *sw)
{
	uint64_t pending = sw->engine != NULL ? rsw_engine_pending(sw->engine) : 0;
	uint64_t slots = sw->workers > 0 ? (uint64_t)sw->workers : 1;

	return pending < slots ? pending : slots;
}

void
rsw__sweep_publish(rsw_sweep *sw, int force)
{
	struct rsw__progress_snap *s, *old;
	uint64_t now = rsw_now_ns();

	if (!force && now - sw->last_publish_ns < PUBLISH_EVERY_NS)
		return;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return;
	sw->last_publish_ns = now;
	s->start_ns = sw->start_ns;
	s->p.total = sw->total;
	s->p.done = sw->commits;
	s->p.failed = sw->failed;
	s->p.running = force ? 0 : running_tasks(sw);
	if (sw->ntop > 0) {
		s->p.have_best = true;
		s->p.best = sw->top[0].value;
		s->p.best_seq = sw->top[0].seq;
		memcpy(s->p.best_params, sw->top[0].params,
		       sw->space.n * sizeof(double));
	}
	/* Release: the snapshot's fields are written before a reader can
	 * see the pointer (the reader's acquire load pairs with it on any
	 * architecture).  liburcu's part is the grace period below. */
	old = __atomic_exchange_n(&sw->snap, s, __ATOMIC_ACQ_REL);
	if (old != NULL) {
		urcu_memb_synchronize_rcu();
		GRACE_PERIOD_OVER(old);
		free(old);
	}
}

void
rsw__sweep_progress_free(rsw_sweep *sw)
{
	/* Readers are gone by now (the sweep is being freed): the last
	 * grace period is the caller's promise, not ours to wait for. */
	free(sw->snap);
	sw->snap = NULL;
}

static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;
static __thread int reader_registered;

static void
reader_exit(void *unused)
{
	(void)unused;
	urcu_memb_unregister_thread();
}

static void
reader_key_make(void)
{
	(void)pthread_key_create(&reader_key, reader_exit);
}

int
rsw_sweep_progress_get(const rsw_sweep *sw, rsw_sweep_progress *out)
{
	struct rsw__progress_snap *s;
	uint64_t start = 0;
	int have = 0;

	if (!reader_registered) {
		pthread_once(&reader_once, reader_key_make);
		urcu_memb_register_thread();
		/* Any non-NULL value makes the destructor run at exit. */
		pthread_setspecific(reader_key, &reader_registered);
		reader_registered = 1;
	}
	urcu_memb_read_lock();
	/* Acquire, pairing with the committer's exchange: a snapshot seen
	 * is a snapshot complete. */
	s = __atomic_load_n(&sw->snap, __ATOMIC_ACQUIRE);
	if (s != NULL) {
		*out = s->p;
		start = s->start_ns;
		have = 1;
		GRACE_READER_DONE(s);
	}
	urcu_memb_read_unlock();
	if (!have)
		return RSW_ENOENT;
	out->elapsed_s = start != 0 ? (double)(rsw_now_ns() - start) / 1e9 : 0;
	return 0;
}

/* ----------------------------------------------------------------- CSV */

void
rsw__csv_field(FILE *f, const char *text)
{
	/* RFC 4180: quote a field holding a comma, a quote or a line
	 * break, doubling its quotes; leave every other field bare. */
	if (strpbrk(text, ",\"\r\n") == NULL) {
		fputs(text, f);
		return;
	}
	fputc('"', f);
	for (const char *c = text; *c; c++) {
		if (*c == '"')
			fputc('"', f);
		fputc(*c, f);
	}
	fputc('"', f);
}

int
rsw__sweep_csv_open(rsw_sweep *sw, const char *path, char *err, size_t errlen)
{
	snprintf(sw->csv_path, sizeof sw->csv_path, "%s", path);
	snprintf(sw->csv_partial, sizeof sw->csv_partial, "%s.partial", path);
	/* "e": close-on-exec, so no command a worker runs inherits it. */
	sw->csv = fopen(sw->csv_partial, "we");
	if (sw->csv == NULL) {
		snprintf(err, errlen, "--results '%s': cannot write there: %s", path,
			 strerror(errno));
		return RSW_EINVAL;
	}
	fputs("seq", sw->csv);
	for (uint32_t i = 0; i < sw->space.n; i++) {
		fputc(',', sw->csv);
		rsw__csv_field(sw->csv, sw->space.params[i].name);
	}
	fputs(",status,value", sw->csv);
	for (uint32_t i = 0; i < sw->obj->nmetrics; i++) {
		fputc(',', sw->csv);
		rsw__csv_field(sw->csv, sw->obj->metric_names[i]);
	}
	/* Objectives that say why they failed (engine.max_message) get a
	 * column for it; the others' files keep their shape. */
	if (sw->cfg.engine.max_message > 0)
		fputs(",message", sw->csv);
	fputc('\n', sw->csv);
	return 0;
}

static void
csv_row(rsw_sweep *sw, const double *params, uint32_t nparams,
	const rsw_result *r)
{
	FILE *f = sw->csv;

	fprintf(f, "%llu", (unsigned long long)r->seq);
	for (uint32_t i = 0; i < nparams; i++) {
		char v[64];

		fputc(',', f);
		rsw__csv_field(f, rsw_param_format(&sw->space.params[i], params[i], v,
						   sizeof v));
	}
	fprintf(f, ",%s,%.17g", rsw_status_name(r->status), r->value);
	for (uint32_t i = 0; i < sw->obj->nmetrics; i++) {
		if (i < r->nmetrics)
			fprintf(f, ",%.17g", r->metrics[i]);
		else
			fputc(',', f);
	}
	if (sw->cfg.engine.max_message > 0) {
		fputc(',', f);
		if (r->message != NULL)
			rsw__csv_field(f, r->message);
	}
	fputc('\n', f);
}

/* -------------------------------------------------------------- commit */

static int
better(const rsw_sweep *sw, double a, double b)
{
	return sw->cfg.algo_opts.minimize ? a < b : a > b;
}

/* What the summary's tables keep of an evaluation. */
static void
fill_row(rsw_sweep_row *row, const double *params, uint32_t nparams,
	 const rsw_result *r)
{
	row->seq = r->seq;
	row->value = r->value;
	memcpy(row->params, params, nparams * sizeof(double));
	row->nmetrics = r->nmetrics;
	memcpy(row->metrics, r->metrics, r->nmetrics * sizeof(double));
}

/* Keeps the top_n best successful evaluations, best first; ties keep the
 * earlier seq, so the table is deterministic too. */
static void
keep_top(rsw_sweep *sw, const double *params, uint32_t nparams,
	 const rsw_result *r)
{
	uint32_t at = sw->ntop, n = sw->cfg.top_n;
	rsw_sweep_row *row;

	if (r->status != RSW_STATUS_OK || isnan(r->value) || n == 0)
		return;
	while (at > 0 && better(sw, r->value, sw->top[at - 1].value))
		at--;
	if (at >= n)
		return;
	if (sw->ntop < n)
		sw->ntop++;
	memmove(&sw->top[at + 1], &sw->top[at],
		(size_t)(sw->ntop - 1 - at) * sizeof sw->top[0]);
	row = &sw->top[at];
	fill_row(row, params, nparams, r);
}

/* The best successful evaluation of each category of cfg.best_by (ties
 * keep the earlier seq). */
static void
keep_best_by(rsw_sweep *sw, const double *params, uint32_t nparams,
	     const rsw_result *r)
{
	rsw_sweep_row *row;
	double k;

	if (sw->by_cat == NULL || r->status != RSW_STATUS_OK || isnan(r->value) ||
	    (uint32_t)sw->best_by_param >= nparams)
		return;
	k = params[sw->best_by_param];
	if (!(k >= 0 && k < sw->nby))
		return;
	row = &sw->by_cat[(uint32_t)k];
	if (row->seq != UINT64_MAX && !better(sw, r->value, row->value))
		return;
	fill_row(row, params, nparams, r);
}

/* Several objectives: the front of the successes so far (rsw_pareto_archive:
 * by the first objective; a result equal to a member does not join, so
 * the earlier stays and the front is deterministic).  0, or
 * RSW_ENOMEM. */
static int
keep_front(rsw_sweep *sw, const double *params, uint32_t nparams,
	   const rsw_result *r)
{
	const rsw_algo_opts *o = &sw->cfg.algo_opts;
	uint32_t m = o->nobjectives;
	double v[RSW_MAX_OBJECTIVES];
	rsw_sweep_row *row;
	int rc;

	if (m < 2 || !rsw_objective_vector(o->objectives, m, r, v))
		return 0;
	for (uint32_t k = 0; k < m; k++)
		if (!sw->have_worst || v[k] > sw->worst[k])
			sw->worst[k] = v[k];
	sw->have_worst = 1;
	if ((rc = rsw_pareto_archive_offer(&sw->front, v, (void **)&row)) <= 0)
		return rc;
	fill_row(row, params, nparams, r);
	for (uint32_t k = 0; k < m; k++)
		row->objectives[k] = o->objectives[k].minimize ? v[k] : -v[k];
	return 0;
}

/* Whether this run's failures reached the halt policy's limit. */
static int
halt_due(const rsw_sweep *sw)
{
	const rsw_halt_policy *h = &sw->cfg.halt;

	if (h->when == RSW_HALT_NEVER)
		return 0;
	if (h->fail_count > 0 && sw->run_failed >= h->fail_count)
		return 1;
	if (h->fail_percent > 0) {
		double least = 100.0 / h->fail_percent;

		return (double)sw->run_commits >= (least > 10 ? least : 10) &&
		       100.0 * (double)sw->run_failed >=
			       h->fail_percent * (double)sw->run_commits;
	}
	return 0;
}

int
rsw__sweep_commit(void *ctx, const double *params, uint32_t nparams,
		  const rsw_result *r)
{
	rsw_sweep *sw = ctx;

	/* A pruner's thresholds ride behind the parameters: not results. */
	if (nparams > sw->space.n)
		nparams = sw->space.n;
	/* Halted now: what the run loop still hands over (results it held
	 * when the engine was canceled) is not committed. */
	if (sw->halted && sw->cfg.halt.when == RSW_HALT_NOW)
		return 0;
	if (r->status >= 0 && r->status < RSW_STATUS_COUNT_)
		sw->by_status[r->status]++;
	/* Skipped tasks (a drain) were never evaluated: not results. */
	if (r->status == RSW_STATUS_SKIPPED)
		return 0;
	sw->commits++;
	if (rsw_status_failed(r->status) && sw->failed++ == 0) {
		sw->first_failed_seq = r->seq;
		sw->first_failed_status = r->status;
	}
	keep_top(sw, params, nparams, r);
	keep_best_by(sw, params, nparams, r);
	if (keep_front(sw, params, nparams, r) != 0)
		return RSW_ENOMEM;
	rsw__sweep_publish(sw, 0);
	if (r->seq >= sw->replayed) {
		sw->run_commits++;
		sw->run_failed += rsw_status_failed(r->status);
		if (!sw->halted && rsw_status_failed(r->status) && halt_due(sw)) {
			sw->halted = 1;
			sw->halt_seq = r->seq;
			sw->halt_status = r->status;
			sw->halt_failures = sw->run_failed;
			if (sw->cfg.halt.when == RSW_HALT_NOW)
				rsw_sweep_cancel(sw);
			else
				sw->stop = 1; /* a drain, as rsw_sweep_stop */
		}
	}
	if (sw->store != NULL && !sw->store_failed &&
	    rsw_store_add(sw->store, params, nparams, r) != 0) {
		/* Results could no longer be kept: drain (nothing more
		 * starts) and end with RSW_ESTORE. */
		sw->store_failed = 1;
		sw->stop = 1;
		return RSW_ESTORE;
	}
	if (sw->csv != NULL)
		csv_row(sw, params, nparams, r);
	if (sw->cfg.on_commit != NULL &&
	    sw->cfg.on_commit(sw->cfg.commit_ctx, params, nparams, r) != 0)
		sw->stop = 1; /* a drain, as rsw_sweep_stop */
	return 0;
}
