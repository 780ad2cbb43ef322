/*
 * engine/run.c - rsw_run(): the deterministic ask/tell loop.
 *
 * DESIGN
 * Two cursors move through sequence numbers: k, the next task to suggest,
 * and u, the next result to apply (update).  The rules, from
 * ringsweep/algorithm.h, leave no choice about their interleaving:
 *   suggest(k) is allowed when k <= u + window;
 *   update(u)  is allowed when result u is committed and k >= u + window + 1,
 *              or the algorithm stopped suggesting, or suggest(k) just
 *              answered WAIT (then exactly one update, then suggest(k) again).
 * The two conditions exclude each other, so the sequence of calls depends
 * only on the algorithm, its seed, the window and the results, never on
 * which worker finished first.  Results that arrive early wait in a
 * reorder buffer indexed by seq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ringsweep/algorithm.h"

#define POLL_SLICE_MS 100
#define POLL_BATCH 256

void
rsw_algorithm_destroy(rsw_algorithm *a)
{
	if (a != NULL && a->destroy != NULL)
		a->destroy(a);
}

struct reorder {
	uint32_t mask;
	uint32_t nparams;
	double *params;
	rsw_result *res;
	uint8_t *have;
	char *messages;	/* max_message bytes a slot, or NULL */
	uint32_t max_message;
};

static double *
params_of(struct reorder *b, uint64_t k)
{
	return b->params + (k & b->mask) * b->nparams;
}

/* A result's text lives only until the next poll (or replay): the buffer
 * keeps its own copy until the result is committed (none when the engine
 * takes no text: max_message 0). */
static void
keep_message(struct reorder *b, uint64_t k)
{
	rsw_result *r = &b->res[k & b->mask];
	char *to;

	if (r->message == NULL)
		return;
	if (b->messages == NULL) {
		r->message = NULL;
		return;
	}
	to = b->messages + (size_t)(k & b->mask) * b->max_message;
	snprintf(to, b->max_message, "%s", r->message);
	r->message = to;
}

int
rsw_run(rsw_engine *e, rsw_algorithm *algo, const rsw_run_options *opt)
{
	const rsw_config *cfg;
	struct reorder b;
	rsw_result *polled = NULL;
	rsw_stats st;
	uint64_t k = 0, s = 0, u = 0, offset, window;
	int stopped = 0, waiting = 0, algo_failed = 0, halted = 0, rc = 0;

	if (e == NULL || algo == NULL || opt == NULL || algo->suggest == NULL ||
	    algo->update == NULL ||
	    (opt->replay_count > 0 && opt->replay == NULL))
		return RSW_EINVAL;
	cfg = rsw_engine_config(e);
	if (algo->nparams > cfg->max_params)
		return RSW_EINVAL;
	window = (algo->flags & RSW_ALGO_NON_ADAPTIVE) ? cfg->max_inflight - 1 :
							 opt->window;
	if (window < 1 || window > cfg->max_inflight - 1 ||
	    rsw_engine_pending(e) != 0)
		return RSW_EINVAL;
	rsw_engine_stats(e, &st);
	offset = st.submitted;
	/* The objective sees the run's seqs: a resumed run's first
	 * evaluation is told replay_count, as it was uninterrupted. */
	rsw__engine_set_seq_base(e, opt->replay_count - offset);

	memset(&b, 0, sizeof b);
	b.mask = cfg->max_inflight - 1;
	b.nparams = algo->nparams;
	b.params = calloc((size_t)cfg->max_inflight * (algo->nparams + 1),
			  sizeof(double));
	b.res = calloc(cfg->max_inflight, sizeof *b.res);
	b.have = calloc(cfg->max_inflight, 1);
	b.max_message = cfg->max_message;
	if (b.max_message > 0)
		b.messages = malloc((size_t)cfg->max_inflight * b.max_message);
	polled = calloc(POLL_BATCH, sizeof *polled);
	if (b.params == NULL || b.res == NULL || b.have == NULL || polled == NULL ||
	    (b.max_message > 0 && b.messages == NULL)) {
		rc = RSW_ENOMEM;
		goto out;
	}

	for (;;) {
		int got;

		if (opt->stop != NULL && *opt->stop && rc != RSW_ECANCELED) {
			/* Drain: running tasks finish and are committed, the
			 * rest is skipped; suggestions not submitted are
			 * dropped. */
			rsw_engine_drain(e);
			stopped = 1;
			rc = RSW_ECANCELED;
		}
		/* Alternate updates and suggestions until neither may move:
		 * in steady state each update allows one suggestion, and
		 * gathering them before submitting lets the engine batch. */
		for (int moved = 1; moved;) {
			moved = 0;
			while (u < k && b.have[u & b.mask] &&
			       (stopped || waiting || k >= u + window + 1)) {
				const rsw_result *r = &b.res[u & b.mask];
				int arc;

				/* on_error fail: nothing after the first permanent
				 * failure is committed, however many workers had
				 * already started later tasks: the committed prefix
				 * is the same at any worker count. */
				if (halted) {
					b.have[u & b.mask] = 0;
					u++;
					moved = 1;
					continue;
				}
				if (opt->on_commit != NULL) {
					arc = opt->on_commit(opt->commit_ctx,
							     params_of(&b, u),
							     b.nparams, r);
					if (arc != 0 && rc == 0) {
						rc = arc < 0 ? arc : RSW_ECANCELED;
						stopped = 1;
					}
				}
				/* Once the algorithm failed it is not called
				 * again; later results are only committed. */
				arc = algo_failed ? 0 :
					algo->update(algo, params_of(&b, u), r);
				if (arc < 0) {
					algo_failed = 1;
					if (rc == 0)
						rc = arc;
					stopped = 1;
				}
				if (rsw_status_failed(r->status) &&
				    cfg->on_error == RSW_ON_ERROR_FAIL && !halted) {
					if (rc == 0)
						rc = RSW_ETASKFAILED;
					halted = stopped = 1;
				}
				b.have[u & b.mask] = 0;
				u++;
				waiting = 0;
				moved = 1;
			}
			/* Suggest while the window allows. */
			while (!stopped && !waiting && k <= u + window) {
				int sr;

				if (algo->is_complete != NULL && algo->is_complete(algo)) {
					stopped = 1;
					break;
				}
				sr = algo->suggest(algo, k, params_of(&b, k));
				if (sr == RSW_SUGGEST_OK && k < opt->replay_count) {
					/* Committed by an earlier run: its result
					 * is known, nothing to evaluate. */
					int rr = opt->replay(opt->replay_ctx, k,
							     params_of(&b, k),
							     b.nparams,
							     &b.res[k & b.mask]);

					if (rr < 0) {
						rc = rr;
						algo_failed = 1;
						stopped = 1;
						break;
					}
					b.res[k & b.mask].seq = k;
					keep_message(&b, k);
					b.have[k & b.mask] = 1;
				}
				if (sr == RSW_SUGGEST_OK) {
					k++;
					moved = 1;
				} else if (sr == RSW_SUGGEST_WAIT) {
					if (u == k) {
						rc = RSW_EWAITLOCK;
						stopped = 1;
					} else {
						waiting = 1;
					}
				} else if (sr == RSW_SUGGEST_DONE) {
					stopped = 1;
				} else {
					rc = sr < 0 ? sr : RSW_EALGO;
					algo_failed = 1;
					stopped = 1;
				}
			}
		}
		/* Hand suggestions to the engine in runs that are contiguous
		 * in the reorder buffer, so it can pack them into batches; it
		 * may push back (RSW_EAGAIN) until we poll. */
		/* Replayed seqs are never submitted. */
		if (s < opt->replay_count)
			s = k < opt->replay_count ? k : opt->replay_count;
		while (s < k && rc == 0) {
			uint64_t run = k - s, to_wrap = b.mask + 1 - (s & b.mask);
			int src;

			if (run > to_wrap)
				run = to_wrap;
			src = rsw_engine_submit_batch(e, params_of(&b, s),
						      b.nparams, (uint32_t)run);
			if (src == RSW_EAGAIN)
				break;
			if (src < 0) {
				rc = src;
				goto out;
			}
			s += (uint64_t)src;
			if ((uint64_t)src < run)
				break;
		}
		/* Done when everything suggested is applied; after an error,
		 * suggestions not yet submitted are dropped. */
		if (stopped && (u == k || (rc != 0 && u == s)))
			break;
		got = rsw_engine_poll(e, polled, POLL_BATCH, POLL_SLICE_MS);
		if (got < 0) {
			if (rc == 0)
				rc = got;
			goto out;
		}
		for (int i = 0; i < got; i++) {
			/* Engine seqs count submissions; replayed seqs came
			 * first and were not submitted. */
			uint64_t q = polled[i].seq - offset + opt->replay_count;

			b.res[q & b.mask] = polled[i];
			b.res[q & b.mask].seq = q;
			keep_message(&b, q);
			b.have[q & b.mask] = 1;
		}
	}
out:
	rsw__engine_set_seq_base(e, 0);
	free(b.params);
	free(b.res);
	free(b.have);
	free(b.messages);
	free(polled);
	return rc;
}
