/*
 * engine/worker.c - the loop a worker process runs: take a descriptor from
 * the task ring, claim each of its tasks, evaluate, publish the result on
 * the worker's own SPSC result ring.
 *
 * DESIGN
 * A descriptor only says "tasks seq_first .. seq_first+count-1, queued under
 * epoch e".  Before running a task the worker claims it with one CAS on the
 * task slot's state word, queued(e) -> claimed(e, incarnation).  The CAS
 * fails if the driver re-queued the task meanwhile (after another worker's
 * death it re-queues every dequeued-but-unclaimed task under a new epoch),
 * and then the worker skips it: exactly one claim succeeds per queueing.
 *
 * A worker holds at most one claimed task at a time, and publishes its
 * result before claiming the next, so after a death the driver finds at
 * most one task claimed by the dead incarnation.
 *
 * Progress: taking a descriptor is a multi-consumer take (ring.h),
 * lock-free (its CAS on c_head is retried only when another worker took
 * one meanwhile); the claim is one CAS, wait-free (a lost claim is
 * skipped, never retried); publishing a result is the put of the slot's
 * only producer, wait-free.  Any number of workers run this loop
 * concurrently, one per worker slot.
 *
 * Nothing in the arena is trusted here either: the rings are used with the
 * geometry of our private copy of the validated header (ring.h), a task's
 * slot is found from its seq by that geometry, a task whose slot does not
 * match the check the driver wrote there is handed back unevaluated, and
 * every result carries a check over the task as we read it (seq, shown
 * seq, attempt, parameters) and over what we publish, which the driver
 * recomputes from its private copy.
 *
 * Idle: spin on the ring for ~10 us with exponential backoff (a cross-core
 * futex wake costs ~10 us each way here, so a short spin catches back-to-back
 * work), then sleep on the task event count with a 100 ms deadline.
 * idle = spin never sleeps.  idle = adaptive (the default) spins longer when
 * work has been coming soon: each worker keeps how long its last 8 waits
 * lasted; while the 75th percentile of those is at most 1 ms it spins up to
 * twice that before sleeping.  A backtester submitting a task every 200 us
 * finds its workers awake (a spinning worker's latency), and once the
 * stream stops -- a few long waits -- they sleep again after 10 us.  Only
 * where the workers and the driver have a CPU each: on a machine they
 * oversubscribe, a spinning worker would take the CPU from one that works.
 */
#include <ck_backoff.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <signal.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ring.h"
#include "util.h"

#define SPIN_BEFORE_SLEEP_NS 10000ull
/* Adaptive idle: waits up to this long are worth spinning through, and a
 * wait is spun through up to ADAPTIVE_SPIN_FACTOR times its expected
 * length (a wake-up from sleep costs 10-30 us; below 1 ms that is a large
 * share of the wait, above it a small one). */
#define ADAPTIVE_MAX_WAIT_NS 1000000ull
#define ADAPTIVE_SPIN_FACTOR 2
#define SLEEP_SLICE_NS 100000000ull
#define OWNER_CHECK_NS 100000000ull
#define PEAK_READ_MIN_NS 50000ull

void
rsw__evaluate(const rsw_objective *obj, const double *params,
	      uint32_t nparams, const rsw_task_info *info, double *metrics,
	      char *message, uint32_t message_max, uint64_t t0,
	      struct rsw_result_desc *res)
{
	rsw_eval_out out = { .value = NAN, .metrics = metrics,
			     .message = message_max > 0 ? message : NULL,
			     .message_max = message_max };
	int rc;

	if (message_max > 0)
		message[0] = '\0';
	rc = obj->eval(obj->ctx, params, nparams, info, &out);
	res->elapsed_ns = rsw__mono_ns() - t0;
	/* Clamped here, so the 16-bit field cannot wrap (the reader checks
	 * again: shared memory is not trusted). */
	res->nmetrics = (uint16_t)(out.nmetrics <= RSW_MAX_METRICS_LIMIT ?
					   out.nmetrics : RSW_MAX_METRICS_LIMIT);
	res->message_len = rc != 0 && message_max > 0 ?
				   (uint16_t)strnlen(message, message_max - 1) : 0;
	if (rc == 0) {
		res->status = RSW_STATUS_OK;
		res->value = out.value;
		res->detail = 0;
	} else if (rc == RSW_EVAL_PRUNED) {
		/* The value it reached and its metrics are the result. */
		res->status = RSW_STATUS_PRUNED;
		res->value = out.value;
		res->detail = out.error_code;
	} else if (rc == RSW_EVAL_INFEASIBLE) {
		res->status = RSW_STATUS_INFEASIBLE;
		res->value = NAN;
		res->detail = 0;
	} else {
		/* ENOMEM from the objective: an allocation refused by the
		 * memory limit, recorded as such. */
		res->status = (int16_t)(out.error_code == ENOMEM ? RSW_STATUS_OOM :
								   RSW_STATUS_ERROR);
		res->value = NAN;
		res->detail = out.error_code != 0 ? out.error_code : rc;
	}
}

/* jemalloc's mallctl when the program links jemalloc (the ringsweep
 * command does); otherwise NULL and the soft limit reads the RSS. */
extern int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp,
		   size_t newlen) __attribute__((weak));

/* Bytes the worker's heap holds now: jemalloc's stats.allocated (after
 * refreshing its epoch), or the resident set size. */
static uint64_t
heap_bytes(void)
{
	if (mallctl != NULL) {
		uint64_t epoch = 1;
		size_t allocated, len = sizeof allocated, elen = sizeof epoch;

		if (mallctl("epoch", &epoch, &elen, &epoch, elen) == 0 &&
		    mallctl("stats.allocated", &allocated, &len, NULL, 0) == 0)
			return allocated;
	}
	{
		unsigned long size, resident = 0;
		FILE *f = fopen("/proc/self/statm", "r");

		if (f != NULL) {
			if (fscanf(f, "%lu %lu", &size, &resident) != 2)
				resident = 0;
			fclose(f);
		}
		return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
	}
}

/* This process's slot, for rsw_worker_set_child_group: set by a worker
 * process (which runs one loop for its whole life), never by a thread-mode
 * worker (a task's process group is the host's business there). */
static struct rsw_worker_slot *current_slot;

void
rsw_worker_set_child_group(int pgid)
{
	/* A plain store: the supervisor reads it only after this process
	 * stopped (killed or reaped), or right before killing it. */
	if (current_slot != NULL)
		ck_pr_store_32(&current_slot->child_pgid, (uint32_t)pgid);
}

/* A separately started worker has no PR_SET_PDEATHSIG tie to the
 * driver: it notices the driver's death here, at most every 100 ms. */
static int
owner_gone(const struct rsw_arena_header *h)
{
	return kill((pid_t)h->owner_pid, 0) != 0 && errno == ESRCH;
}

static int
should_stop(const rsw_arena *a)
{
	/* Relaxed: polled in a loop; a late view costs one more pass. */
	return ck_pr_load_32(&a->hdr->shutdown) != 0;
}

uint32_t
rsw__usable_cpus(void)
{
	cpu_set_t cpus;

	return sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0 ?
		       (uint32_t)CPU_COUNT(&cpus) : 1;
}

/* How long to spin before sleeping: SPIN_BEFORE_SLEEP_NS, or under
 * adaptive idle up to twice the wait the worker expects (the 75th
 * percentile of its last 8; a wait not seen yet counts as long). */
static uint64_t
spin_budget(const struct rsw__worker *w, uint32_t idle)
{
	uint64_t sorted[8], expect;

	if (idle != RSW_IDLE_ADAPTIVE || !w->may_spin_long)
		return SPIN_BEFORE_SLEEP_NS;
	for (int i = 0; i < 8; i++) {
		uint64_t v = w->waits[i] != 0 ? w->waits[i] : UINT64_MAX;
		int j = i;

		for (; j > 0 && sorted[j - 1] > v; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = v;
	}
	expect = sorted[5];
	if (expect > ADAPTIVE_MAX_WAIT_NS)
		return SPIN_BEFORE_SLEEP_NS;
	expect *= ADAPTIVE_SPIN_FACTOR;
	return expect > SPIN_BEFORE_SLEEP_NS ? expect : SPIN_BEFORE_SLEEP_NS;
}

/* Waits until the task ring looks non-empty or shutdown, spinning for
 * spin_ns first (idle = spin: for ever); returns 0 to go on, -1 to stop. */
static int
wait_until_work(rsw_arena *a, struct rsw_worker_slot *ws, uint64_t spin_ns)
{
	struct rsw_arena_header *h = a->hdr;
	struct ck_ring *ring = rsw__task_ring(a);
	/* A short exponential backoff (4 .. 64 iterations), far below ck's
	 * default start of 512: the ring is polled often enough to keep the
	 * task round trip near the cache-line limit. */
	ck_backoff_t backoff = 4;
	uint64_t start = rsw__mono_ns();
	unsigned spins = 0;

	uint32_t capacity = a->layout.ring_capacity;

	ck_pr_store_32(&ws->state, RSW_WORKER_IDLE);
	for (;;) {
		if (rsw__ring_used(ring, capacity) != 0)
			return 0;
		if ((++spins & 63) == 0) {
			uint64_t now = rsw__mono_ns();

			if (should_stop(a))
				return -1;
			if (now - ws->heartbeat_ns > OWNER_CHECK_NS) {
				ck_pr_store_64(&ws->heartbeat_ns, now);
				if (owner_gone(h))
					return -1;
			}
			if (a->layout.idle != RSW_IDLE_SPIN && now - start > spin_ns)
				break;
		}
		if (backoff < 64)
			ck_backoff_eb(&backoff);
		ck_pr_stall();
	}
	for (;;) {
		/* Snapshot the count, then re-check: an enqueue after the
		 * snapshot changes the count, so the wait returns at once. */
		uint32_t seen = ck_ec32_value(&h->task_ec);

		if (rsw__ring_used(ring, capacity) != 0)
			return 0;
		if (should_stop(a))
			return -1;
		rsw__ec_wait(&h->task_ec, seen, rsw__mono_ns() + SLEEP_SLICE_NS);
		ck_pr_store_64(&ws->heartbeat_ns, rsw__mono_ns());
		if (owner_gone(h))
			return -1;
	}
}

/* Waits until the task ring looks non-empty or shutdown; returns 0 to go
 * on, -1 to stop.  Under adaptive idle, how long it waited is kept. */
static int
wait_for_work(struct rsw__worker *w)
{
	uint64_t start = rsw__mono_ns();
	int rc = wait_until_work(w->a, w->ws, spin_budget(w, w->a->layout.idle));

	if (rc == 0 && w->a->layout.idle == RSW_IDLE_ADAPTIVE) {
		uint64_t waited = rsw__mono_ns() - start;

		w->pending_wait = waited != 0 ? waited : 1;
	}
	return rc;
}

/* After the take that followed a wait: the wait is learnt as it was when
 * the work was ours, as a long one when another worker took it (with more
 * workers than tasks, the losers must not learn to spin). */
static void
learn_wait(struct rsw__worker *w, int took)
{
	if (w->pending_wait == 0)
		return;
	w->waits[w->next_wait++ & 7] = took ? w->pending_wait : UINT64_MAX / 2;
	w->pending_wait = 0;
}

/*
 * Seqlock write of the running task, read by the supervisor for deadlines
 * and by `ringsweep top`.  The generation is odd while the fields change;
 * store fences keep the odd mark before the fields and the fields before
 * the even mark (a reader that sees the same even value on both sides of
 * its reads saw one consistent task).  start_ns 0 = idle.  Wait-free;
 * only the slot's worker writes while it lives (the supervisor resets the
 * generation before forking the next one).
 */
/* The generation is the worker's own count (w->task_gen), so that a value
 * damaged in the slot is overwritten at the next task instead of being
 * carried on (an odd one for ever would read "mid-update"). */
static void
publish_task(struct rsw__worker *w, uint64_t seq, uint32_t epoch,
	     uint64_t start_ns)
{
	struct rsw_worker_slot *ws = w->ws;

	ck_pr_store_32(&ws->task_gen, ++w->task_gen);
	ck_pr_fence_store();
	ck_pr_store_64(&ws->task_seq, seq);
	ck_pr_store_32(&ws->task_epoch, epoch);
	ck_pr_store_64(&ws->task_start_ns, start_ns);
	ck_pr_fence_store();
	ck_pr_store_32(&ws->task_gen, ++w->task_gen);
}

#define RUN_STOP (-2)

/* Claims and runs one task; returns its status (RSW_STATUS_*), -1 when it
 * was not ours to run, RUN_STOP when the worker must stop. */
static int
run_task(struct rsw__worker *w, uint64_t seq, uint32_t epoch)
{
	rsw_arena *a = w->a;
	struct rsw_worker_slot *ws = w->ws;
	uint32_t slot = w->slot, incarnation = w->incarnation;
	struct rsw_task_slot *ts = rsw__task_slot(a, seq);
	double params[RSW_MAX_PARAMS_LIMIT];
	double metrics[RSW_MAX_METRICS_LIMIT];
	char message[RSW_MAX_MESSAGE_LIMIT];
	struct rsw_result_desc res;
	rsw_task_info info;
	uint32_t nparams;
	uint64_t t0, task_check;
	int put;

	/* The slot's params were written before the descriptor was
	 * published; the dequeue's load fence after reading p_tail makes
	 * them visible here.  Checking the seq first guards against a
	 * descriptor that outlived a 32-bit epoch wrap. */
	if (ck_pr_load_64(&ts->seq) != seq)
		return -1;
	/* The claim: one CAS decides the single owner of this queueing. */
	if (!ck_pr_cas_64(&ts->state, RSW_STATE(epoch, 0),
			  RSW_STATE(epoch, incarnation)))
		return -1;
	/* Nothing of this task (its start, its metrics, its result) may be
	 * seen before the claim, and what we read of it comes after: an RMW
	 * is no barrier on Arm or POWER (on TSO these compile to nothing). */
	ck_pr_fence_atomic_store();
	ck_pr_fence_atomic_load();
	/* Start fetching the result ring's lines the publish below will
	 * need, so those misses overlap the evaluation instead of following
	 * it (a hint only: no ordering is implied). */
	__builtin_prefetch(&rsw__result_ring(a, slot)->c_head, 0);
	__builtin_prefetch(rsw__result_buf(a, slot) +
				   (w->result_tail & (a->layout.result_capacity - 1)), 1);
	nparams = ck_pr_load_32(&ts->nparams);
	if (nparams > a->layout.max_params)
		nparams = a->layout.max_params;
	memcpy(params, rsw__slot_params(ts), nparams * sizeof(double));
	/* Shown to the objective, and covered by the check like the
	 * parameters: a seeded objective's value depends on it. */
	info.seq = ck_pr_load_64(&ts->shown_seq);
	info.attempt = ck_pr_load_32(&ts->attempt);
	info.worker = (int32_t)slot;
	info.report = NULL; /* the sweep's pruner wraps the objective to listen */
	info.report_ctx = NULL;
	task_check = rsw__task_check(seq, info.seq, info.attempt, nparams, params);
	memset(&res, 0, sizeof res);
	if (task_check != ck_pr_load_64(&ts->check)) {
		/* Damaged since the driver wrote it (or being rewritten):
		 * nothing of it is evaluated.  The refusal hands the task
		 * back at once (the watchdog would, later). */
		res.seq = seq;
		res.epoch = epoch;
		res.status = RSW_RESULT_REFUSED;
		goto publish;
	}

	t0 = rsw__mono_ns();
	publish_task(w, seq, epoch, t0);
	ck_pr_store_32(&ws->state, RSW_WORKER_BUSY);

	rsw__evaluate(w->obj, params, nparams, &info, metrics, message,
		      a->layout.max_message, t0, &res);
	res.seq = seq;
	res.epoch = epoch;
	/* The worker's peak resident memory so far (a system call, so only
	 * after tasks long enough for it not to matter); a thread's would be
	 * the host's, so none. */
	if (res.elapsed_ns >= PEAK_READ_MIN_NS && !w->in_thread) {
		struct rusage ru;

		if (getrusage(RUSAGE_SELF, &ru) == 0)
			res.peak_kb = ru.ru_maxrss < (long)UINT32_MAX ?
					      (uint32_t)ru.ru_maxrss : UINT32_MAX;
	}
	if (res.nmetrics > a->layout.max_metrics)
		res.nmetrics = a->layout.max_metrics;
	memcpy(rsw__slot_metrics(a, ts), metrics, res.nmetrics * sizeof(double));
	memcpy(rsw__slot_message(a, ts), message, res.message_len);
publish:
	res.check = rsw__result_check(task_check, &res, metrics, message);

	publish_task(w, seq, epoch, 0);
	ck_pr_store_64(&ws->busy_ns, ws->busy_ns + res.elapsed_ns);
	if (!rsw_status_failed(res.status))
		ck_pr_store_64(&ws->tasks_done, ws->tasks_done + 1);
	else
		ck_pr_store_64(&ws->failures, ws->failures + 1);
	/* The ring holds more entries than there can be tasks in flight, so
	 * it is never full; the put's own store fence orders the metrics and
	 * the failure text written above before the entry becomes visible (a
	 * release: enough on any architecture, with the driver's load fence
	 * after reading the producer index).  An impossible consumer index
	 * is damage the driver sees too (it alone writes that index): wait
	 * for it to end the sweep rather than write anywhere. */
	while ((put = rsw__ring_put(rsw__result_ring(a, slot), rsw__result_buf(a, slot),
				    sizeof res, a->layout.result_capacity,
				    &w->result_tail, &res)) <= 0) {
		if (put < 0 && (should_stop(a) || owner_gone(a->hdr)))
			return RUN_STOP;
		if (put < 0)
			usleep(1000);
		else
			ck_pr_stall();
	}
	return res.status;
}

int
rsw__worker_loop(struct rsw__worker *w)
{
	uint64_t done_here = 0;
	rsw_arena *a = w->a;
	uint32_t slot = w->slot;
	struct rsw_arena_header *h = a->hdr;
	struct rsw_worker_slot *ws = rsw__worker_slot(a, slot);
	struct ck_ring *ring = rsw__task_ring(a);
	struct rsw_task_desc *buf = rsw__task_buf(a);
	int spin = a->layout.idle == RSW_IDLE_SPIN;

	w->ws = ws;
	if (!w->in_thread)
		current_slot = ws;
	/* The CPUs the sweep may use are those the host gave it (before a
	 * worker pinned itself to one of them). */
	if (w->cpus == 0)
		w->cpus = rsw__usable_cpus();
	w->may_spin_long = w->cpus >= a->layout.nslots + 1;
	/* Taking over the slot's ring from a dead predecessor: what it
	 * published stands, so we go on from its producer index -- if that
	 * is possible (at most a ring ahead of the consumer), else from the
	 * consumer's, overwriting nothing unread. */
	{
		struct ck_ring *rr = rsw__result_ring(a, slot);
		/* Relaxed: the predecessor is reaped (its stores are final),
		 * and the driver's c_head only tells us where free room
		 * starts; the put re-reads it with the fences it needs. */
		uint32_t tail = ck_pr_load_uint(&rr->p_tail);
		uint32_t head = ck_pr_load_uint(&rr->c_head);

		w->result_tail = tail - head <= a->layout.result_capacity ? tail : head;
	}
	w->task_gen = 0;
	ck_pr_store_32(&ws->child_pgid, 0);
	ck_pr_store_32(&ws->incarnation, w->incarnation);
	/* A thread's own id in thread mode (what `top -H` shows). */
	ck_pr_store_32(&ws->pid, (uint32_t)(w->in_thread ? gettid() : getpid()));
	for (;;) {
		struct rsw_task_desc d;
		int got;

		/* At close nothing more starts: what is queued is abandoned
		 * (a thread-mode close would otherwise run all of it, and a
		 * worker process be killed in the middle).  The flag has a
		 * line of its own that only the close writes: a hit in our
		 * cache until then. */
		if (should_stop(a))
			return RSW_WORKER_EXIT_OK;
		got = rsw__ring_take_shared(ring, buf, sizeof d,
					    a->layout.ring_capacity, &d);
		learn_wait(w, got > 0);

		if (got <= 0) {
			/* Impossible indices: the driver, which alone writes
			 * the producer side, fails the sweep; meanwhile we do
			 * not spin on them. */
			if (got < 0) {
				if (should_stop(a) || owner_gone(h))
					return RSW_WORKER_EXIT_OK;
				usleep(1000);
				continue;
			}
			if (wait_for_work(w) != 0)
				return RSW_WORKER_EXIT_OK;
			continue;
		}
		/* The driver never packs more than max_inflight tasks; clamp
		 * anyway so a damaged descriptor cannot spin us for ages. */
		if (d.count > a->layout.max_inflight)
			d.count = a->layout.max_inflight;
		for (uint32_t i = 0; i < d.count; i++) {
			int status;

			if (i > 0 && should_stop(a))
				return RSW_WORKER_EXIT_OK;
			status = run_task(w, d.seq_first + i, d.epoch);

			if (status == RUN_STOP)
				return RSW_WORKER_EXIT_OK;

			/* A failure may stop the sweep (on_error fail): the
			 * driver hears of it now, not after the batch, so
			 * that nothing queued behind it starts meanwhile.  No
			 * system call unless the driver sleeps. */
			if (status > 0 && !spin)
				ck_ec32_inc(&h->result_ec, &rsw__ec_mp);
			/* Recycling happens between tasks: this process holds
			 * no claim now, and the rest of its batch is found
			 * below the consumer head and queued again.  A worker
			 * whose allocation failed at its memory limit is
			 * replaced too: its heap is at the limit, and its
			 * peak memory would have any later death of it taken
			 * for one at the limit.  A thread is never replaced:
			 * its memory is the host's. */
			if (!w->in_thread &&
			    ((w->recycle_after != 0 && ++done_here >= w->recycle_after) ||
			     status == RSW_STATUS_OOM ||
			     (w->soft_mem != 0 && heap_bytes() > w->soft_mem))) {
				if (!spin)
					ck_ec32_inc(&h->result_ec, &rsw__ec_mp);
				return RSW_WORKER_EXIT_RECYCLE;
			}
		}
		/* Through with this batch: its epoch no longer names us (the
		 * driver's watchdog takes a task of a batch nobody goes
		 * through for one lost -- a damaged descriptor, say). */
		publish_task(w, 0, 0, 0);
		ck_pr_store_32(&ws->state, RSW_WORKER_IDLE);
		/* Wake the driver if it sleeps (no system call otherwise) and
		 * the ring is low enough to need it, or it waits for results
		 * only (threshold UINT32_MAX). */
		if (!spin) {
			/* StoreLoad: our result's p_tail store must be
			 * visible before we read the threshold, or a driver
			 * that just published a lower one could sleep past
			 * our result (its sleep is bounded, but slow). */
			ck_pr_fence_memory();
			if (rsw__ring_used(ring, a->layout.ring_capacity) <=
			    ck_pr_load_32(&h->driver_wake_below))
				ck_ec32_inc(&h->result_ec, &rsw__ec_mp);
		}
	}
}
