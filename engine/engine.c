/*
 * engine/engine.c - the driver: owns the arena, submits tasks, accepts
 * results, re-queues what dead workers held, and hands results out in
 * sequence order.
 *
 * DESIGN
 * The driver is the source of truth, in its private memory: for every task
 * in flight a `struct flight` records seq, epoch, attempt, the ring
 * position of the descriptor that carries it, and its state:
 *
 *   PENDING --enqueue--> QUEUED --result ok--> DONE --poll--> FREE
 *                          |  ^
 *        failure / death   v  |  enqueue (single-task descriptor)
 *                        REQUEUE
 *
 * Nothing read from shared memory is trusted (arena.h, TRUST): a result
 * counts only if its seq is in flight, its epoch is the one the driver last
 * queued the task under, its status is one a worker may report, and its
 * check matches the task as the driver holds it; a death record only if the
 * supervisor sealed it and its slot exists.  Parameters live in the
 * driver's private copy; the arena's copy is only what workers read, and
 * it is rewritten from the private one whenever a task is queued again.
 * The rings are used with private geometry and indices (ring.h), and a
 * watchdog re-queues a task stuck where no live worker explains it.
 *
 * After the supervisor reports a reaped worker (incarnation I):
 *   1. drain its result ring (everything it published is complete);
 *   2. a task whose shared state is claimed(e, I) was running there: the
 *      attempt failed (crash, timeout, exit) -> re-queue (epoch+1,
 *      attempt+1) or fail it after max_attempts;
 *   3. a task still queued(e) whose descriptor lies below the ring's
 *      consumer head was dequeued but never claimed (perhaps by I, perhaps
 *      by a live worker further down its batch): CAS it to queued(e') and
 *      enqueue it again, so that a slow live worker's claim of e fails.
 * Every queueing has a fresh epoch, so exactly one claim succeeds per
 * queueing and a stale result (old epoch) is dropped: no task is lost and
 * none is committed twice, whatever instant a worker dies at.
 *
 * Adaptive batching: the driver packs consecutive fresh tasks into one
 * descriptor, sized so that a descriptor holds ~200 us of work (from an
 * average of measured task times), at most max_batch, and at most a fair
 * share of what is pending, so empty tasks move at ring speed and long
 * ones still balance one by one.
 *
 * CONCURRENCY
 * Everything here runs on the one thread driving the engine (engine.h);
 * what it shares with other processes, and each operation's progress:
 *   - task ring: this thread is its only producer (enqueue_desc, a put
 *     with its private producer index): wait-free;
 *   - result and death rings: SPSC, this thread the consumer
 *     (drain_results, drain_deaths): wait-free;
 *   - task state words: one CAS each (requeue_unchanged, skip_unstarted)
 *     against at most one worker's claim CAS; whichever fails knows the
 *     other won, and nobody retries: wait-free;
 *   - worker-slot counters (publish_counts) and the observers' figures:
 *     relaxed stores of monitoring values, one writer each.
 *
 * Idle: the driver spins ~5 us for results (it shares the cores with the
 * workers, so it spins less than they do), then sleeps on the result
 * event count in 5 ms slices, asking workers to wake it only once the
 * task ring is half drained (driver_wake_below): while workers have queued
 * work, results lose nothing by being collected in bulk.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "ring.h"
#include "ringsweep/executor.h"
#include "util.h"

#define DRIVER_SPIN_NS 5000ull
#define DRIVER_SLEEP_SLICE_NS 5000000ull
#define LIVENESS_PERIOD_NS 5000000ull
#define BATCH_TARGET_NS 200000.0
#define CLOSE_GRACE_NS 2000000000ull
#define EX_POLL_MAX 256 /* results one executor poll may return */
/* The watchdog (see watchdog()): how often it looks, how many tasks one
 * look covers at most, and how long a task must stay stuck, in the same
 * state, before it is queued again. */
#define WATCH_PERIOD_NS 50000000ull
#define WATCH_CHUNK 16384u
#define WATCH_STUCK_NS 200000000ull
/* Results of one task refused for a bad check before the arena is taken
 * for damaged beyond retrying. */
#define REJECT_LIMIT 8u

enum flight_state {
	F_FREE = 0,
	F_PENDING,
	F_QUEUED,
	F_REQUEUE,
	F_DONE,
};

struct flight {
	uint64_t seq;
	uint64_t shown;	/* the seq its objective is told */
	uint32_t epoch;
	uint32_t attempt;
	uint32_t ring_pos;
	uint32_t nparams;
	uint8_t state;
	uint8_t rejects; /* results refused for their check (accept_result) */
	uint64_t task_check; /* rsw__task_check of the task as in its slot */
	int32_t status;
	int32_t detail;
	int32_t worker;
	uint32_t nmetrics;
	uint32_t message_len; /* the final attempt's failure text, or 0 */
	double value;
	uint64_t elapsed_ns;
	uint64_t peak_kb;
};

/* The watchdog's view of a task in flight: the shared state word it found
 * unexplained, and since when (0: not suspected).  Apart from the flights,
 * which the hot path keeps in cache, as the watchdog alone reads these. */
struct suspicion {
	uint64_t state;
	uint64_t since;
};

struct external {
	int pidfd;
	pid_t pid;
};

/* What a worker slot says it is doing, read whole (seqlock) or not. */
struct watched_slot {
	uint64_t seq;
	uint32_t epoch;
	uint32_t incarnation;
	int whole;
};

/* The counters for rsw_engine_stats from any thread: the driver publishes
 * a copy at the end of every call that changes them (seqlock: seq odd
 * while it writes).  Every word is an atomic access, so a reader never
 * races with the writer; it retries while seq moved under it. */
struct stats_board {
	uint64_t seq;
	uint64_t words[sizeof(rsw_stats) / sizeof(uint64_t)];
};
_Static_assert(sizeof(rsw_stats) % sizeof(uint64_t) == 0 &&
		       offsetof(rsw_stats, workers) % sizeof(uint64_t) == 0 &&
		       sizeof(rsw_worker_stats) % sizeof(uint64_t) == 0,
	       "rsw_stats is published as whole words");

struct rsw_engine {
	rsw_config cfg;
	rsw_objective obj;
	rsw_arena arena;
	int serial;
	int serial_init_done; /* serial mode: worker_init returned 0 */
	struct rsw__threads *threads; /* thread mode's workers, or NULL */
	pid_t sup_pid;
	int sup_pidfd;	/* watched instead of waitpid: the application may
			   reap children itself or ignore SIGCHLD; -1 where
			   there are no pidfds (sup_pid_only) */
	int sup_pid_only; /* no pidfds (kernels before 5.3, valgrind): the
			     control pipe tells the supervisor's death */
	int ctl_fd;
	uint32_t mask;
	struct flight *fl;
	double *params;	 /* private copies, max_inflight x max_params */
	double *metrics; /* max_inflight x max_metrics */
	char *messages;	 /* max_inflight x max_message, or NULL */
	uint64_t next_seq; /* next to submit */
	uint64_t enq_seq;  /* fresh tasks below this have been enqueued */
	uint64_t poll_seq; /* next to hand out */
	uint64_t *requeue; /* FIFO of seqs, max_inflight entries */
	uint32_t rq_head, rq_tail;
	uint32_t next_epoch;
	uint64_t seq_base; /* added to the seq objectives are told */
	double avg_task_ns;
	int error;	   /* sticky */
	int draining;	   /* no new attempts start; see rsw_engine_drain */
	uint64_t halt_seq; /* on_error fail: tasks from here on never start */
	volatile int cancel;
	uint32_t consecutive_failed;
	uint64_t next_liveness_ns;
	uint64_t pumps;
	int liveness_due; /* set by the idle wait when the period passed */
	struct external *ext;
	rsw_stats stats;
	/* The consumer index of every ring this driver drains, its own copy:
	 * the shared one is only published for the producer (ring_take). */
	uint32_t *result_head;	/* per worker slot */
	uint32_t death_head;
	/* The task ring, whose only producer we are: our producer index, and
	 * the last consumer index we accepted as possible (task_ring_head). */
	uint32_t task_tail;
	uint32_t task_head;
	/* The watchdog: when it looks next, where it goes on, and the worker
	 * slots as it last read them. */
	uint64_t next_watch_ns;
	uint64_t watch_cursor;
	struct watched_slot *watch;
	struct suspicion *suspicions; /* max_inflight, by seq like fl */
	/* Over an executor (executor.h): tasks go there, not to workers. */
	const rsw_executor_ops *ex;
	void *ex_self;
	rsw_result *ex_results; /* what one executor poll returns */
	rsw_stats *ex_stats;	/* the executor's counters, to publish */
	struct stats_board board;
	uint64_t board_dirty[4]; /* worker entries changed since the last
				    publish (a bit each); all at open */
};

/* ------------------------------------------------------------- helpers */

uint64_t
rsw_now_ns(void)
{
	return rsw__mono_ns();
}

void
rsw_config_init(rsw_config *c)
{
	memset(c, 0, sizeof *c);
	c->workers = 1;
	c->idle = RSW_IDLE_ADAPTIVE;
	c->max_attempts = 1;
	c->on_error = RSW_ON_ERROR_SKIP;
	c->crash_loop_deaths = 16;
	c->crash_loop_failures = 16;
	c->max_inflight = 8192;
	c->ring_capacity = 1024;
	c->max_params = 16;
	c->max_metrics = 0;
	c->max_message = 0;
	c->max_batch = 64;
	c->external_slots = 0;
	c->startup_timeout_s = 60;
}

static int
is_pow2(uint32_t x)
{
	return x >= 2 && (x & (x - 1)) == 0;
}

/* One check per field, so the message names the field that is wrong. */
#define CHECK(ok, ...)                                                         \
	do {                                                                   \
		if (!(ok)) {                                                   \
			if (err != NULL && errlen > 0)                         \
				snprintf(err, errlen, __VA_ARGS__);            \
			return RSW_EINVAL;                                     \
		}                                                              \
	} while (0)

int
rsw_config_validate(const rsw_config *c, char *err, size_t errlen)
{
	CHECK(c != NULL, "no configuration");
	CHECK(c->workers >= 0 && c->workers <= 256,
	      "workers must be from 0 (serial) to 256, got %d", c->workers);
	CHECK(c->external_slots <= 64 &&
		      c->workers + (int)c->external_slots <= 256,
	      "external_slots must be from 0 to 64 (256 slots in all), got %u",
	      c->external_slots);
	CHECK(c->workers > 0 || c->external_slots == 0,
	      "external workers need a supervised engine (workers >= 1)");
	CHECK(c->idle == RSW_IDLE_SLEEP || c->idle == RSW_IDLE_SPIN ||
		      c->idle == RSW_IDLE_ADAPTIVE,
	      "idle must be RSW_IDLE_ADAPTIVE, RSW_IDLE_SLEEP or RSW_IDLE_SPIN");
	CHECK(c->timeout_s >= 0 && c->timeout_s < 1e9,
	      "timeout_s must be from 0 (none) to 1e9 seconds, got %g",
	      c->timeout_s);
	CHECK(c->max_attempts >= 1 && c->max_attempts <= 1001,
	      "max_attempts must be from 1 to 1001, got %u", c->max_attempts);
	CHECK(c->on_error == RSW_ON_ERROR_SKIP || c->on_error == RSW_ON_ERROR_FAIL,
	      "on_error must be RSW_ON_ERROR_SKIP or RSW_ON_ERROR_FAIL");
	CHECK(c->crash_loop_deaths >= 1 && c->crash_loop_failures >= 1,
	      "the crash-loop limits must be at least 1");
	CHECK(is_pow2(c->max_inflight) && c->max_inflight <= (1u << 22),
	      "max_inflight must be a power of two from 2 to 4194304, got %u",
	      c->max_inflight);
	CHECK(is_pow2(c->ring_capacity) && c->ring_capacity <= (1u << 22),
	      "ring_capacity must be a power of two from 2 to 4194304, got %u",
	      c->ring_capacity);
	CHECK(c->max_params >= 1 && c->max_params <= RSW_MAX_PARAMS_LIMIT,
	      "max_params must be from 1 to %d, got %u", RSW_MAX_PARAMS_LIMIT,
	      c->max_params);
	CHECK(c->max_metrics <= RSW_MAX_METRICS_LIMIT,
	      "max_metrics must be at most %d, got %u", RSW_MAX_METRICS_LIMIT,
	      c->max_metrics);
	CHECK(c->max_message <= RSW_MAX_MESSAGE_LIMIT,
	      "max_message must be at most %d, got %u", RSW_MAX_MESSAGE_LIMIT,
	      c->max_message);
	CHECK(c->max_batch >= 1 && c->max_batch <= 4096,
	      "max_batch must be from 1 to 4096, got %u", c->max_batch);
	CHECK(c->nice >= 0 && c->nice <= 19, "nice must be from 0 to 19, got %d",
	      c->nice);
	CHECK(c->nkeep_fds <= 1024 && (c->nkeep_fds == 0 || c->keep_fds != NULL),
	      "keep_fds must list nkeep_fds descriptors, at most 1024, got %u",
	      c->nkeep_fds);
	for (uint32_t i = 0; i < c->nkeep_fds; i++)
		CHECK(c->keep_fds[i] >= 0, "keep_fds[%u] is not a descriptor: %d", i,
		      c->keep_fds[i]);
	CHECK(c->startup_timeout_s >= 0 && c->startup_timeout_s < 1e6,
	      "startup_timeout_s must be from 0 (never) to 1e6 seconds, got %g",
	      c->startup_timeout_s);
	CHECK(c->mode == RSW_MODE_PROCESSES || c->mode == RSW_MODE_THREADS,
	      "mode must be RSW_MODE_PROCESSES or RSW_MODE_THREADS, got %d",
	      c->mode);
	CHECK(c->thread_stack_kb == 0 ||
		      (c->thread_stack_kb >= 64 && c->thread_stack_kb <= (1u << 20)),
	      "thread_stack_kb must be 0 (8 MiB) or from 64 to 1048576, got %u",
	      c->thread_stack_kb);
	if (c->mode == RSW_MODE_THREADS) {
		/* What only a process can give: a thread cannot be killed,
		 * limited or replaced without taking the host with it. */
		CHECK(c->workers >= 1, "thread mode needs workers >= 1 (0 is serial)");
		CHECK(c->timeout_s == 0, "timeout_s needs process mode: a thread "
		      "cannot be killed at a deadline");
		CHECK(c->max_mem == 0, "max_mem needs process mode: threads share "
		      "the host's memory");
		CHECK(c->soft_mem == 0 && c->recycle_after == 0,
		      "soft_mem and recycle_after need process mode: a thread is "
		      "never replaced");
		CHECK(c->external_slots == 0,
		      "external_slots needs process mode (a shared-memory arena "
		      "other processes attach)");
		CHECK(c->nice == 0, "nice needs process mode");
		CHECK(!c->close_inherited_fds && c->nkeep_fds == 0,
		      "close_inherited_fds needs process mode: threads share the "
		      "host's descriptors");
	}
	return 0;
}

#undef CHECK

static struct flight *
flight(rsw_engine *e, uint64_t seq)
{
	return &e->fl[seq & e->mask];
}

static uint32_t
new_epoch(rsw_engine *e)
{
	/* 0 is reserved: a worker's task_epoch 0 means "idle". */
	if (++e->next_epoch == 0)
		e->next_epoch = 1;
	return e->next_epoch;
}

static void
set_error(rsw_engine *e, int err)
{
	if (e->error == 0)
		e->error = err;
}

static void
requeue_push(rsw_engine *e, uint64_t seq)
{
	e->requeue[e->rq_tail++ & e->mask] = seq;
}

/* Status of a task that was running in a worker that died so. */
static void
classify_death(const struct rsw_death_desc *d, int32_t *status, int32_t *detail)
{
	*detail = d->detail;
	switch (d->kind) {
	case RSW_DEATH_TIMEOUT:
		*status = RSW_STATUS_TIMEOUT;
		return;
	case RSW_DEATH_EXIT:
		*status = RSW_STATUS_EXIT;
		return;
	case RSW_DEATH_OOM:
		*status = RSW_STATUS_OOM;
		return;
	default:
		break;
	}
	switch (d->detail) {
	case SIGSEGV: case SIGBUS: case SIGFPE: case SIGILL: case SIGABRT:
	case SIGSYS: case SIGTRAP:
		*status = RSW_STATUS_CRASH;
		return;
	case SIGXCPU:
		*status = RSW_STATUS_CPULIMIT;
		return;
	default:
		*status = RSW_STATUS_KILLED;
	}
}

static void
skip(struct flight *f)
{
	f->state = F_DONE;
	f->status = RSW_STATUS_SKIPPED;
	f->detail = 0;
	f->value = NAN;
	f->nmetrics = 0;
	f->message_len = 0;
}

/* Keeps an attempt's failure text with its task; text of len bytes that
 * came from shared memory, so len was checked against max_message. */
static void
keep_message(rsw_engine *e, struct flight *f, const char *text, uint32_t len)
{
	char *to;

	if (e->messages == NULL || text == NULL || len == 0 ||
	    len >= e->cfg.max_message) {
		f->message_len = 0;
		return;
	}
	to = e->messages + (size_t)(f->seq & e->mask) * e->cfg.max_message;
	if (to != text) /* already there (accept_result copies it there) */
		memcpy(to, text, len);
	to[len] = '\0';
	f->message_len = len;
}

/* Writes a task into its arena slot from the driver's private copy: at
 * submission, and again whenever it is queued again, so that whatever was
 * damaged in the slot meanwhile is repaired.  Plain stores: published to
 * workers by the store fence of the put that queues the descriptor. */
static void
write_slot(rsw_engine *e, struct flight *f)
{
	struct rsw_task_slot *ts = rsw__task_slot(&e->arena, f->seq);
	const double *params = e->params + (f->seq & e->mask) * e->cfg.max_params;

	ts->seq = f->seq;
	ts->shown_seq = f->shown;
	ts->attempt = f->attempt;
	ts->nparams = f->nparams;
	memcpy(rsw__slot_params(ts), params, f->nparams * sizeof(double));
	/* Computed now, while the parameters are at hand: checking a result
	 * then reads nothing but the flight (no cache miss on the copy). */
	f->task_check = rsw__task_check(f->seq, f->shown, f->attempt, f->nparams,
					params);
	ts->check = f->task_check;
}

/* Queues a task again under a new epoch, attempt unchanged (it never
 * ran, or was interrupted through no fault of its own).  `st` is the state
 * word the caller saw; the CAS fails if a live worker claimed it since. */
static int
requeue_unchanged(rsw_engine *e, struct flight *f, uint64_t st)
{
	struct rsw_task_slot *ts = rsw__task_slot(&e->arena, f->seq);
	uint32_t ne = new_epoch(e);

	/* One word decides: either we win and a slow worker's claim of the
	 * old epoch fails, or it claimed first and the task stays its. */
	if (!ck_pr_cas_64(&ts->state, st, RSW_STATE(ne, 0)))
		return 0;
	f->epoch = ne;
	e->stats.requeued++;
	/* Draining, or past an on_error halt: it will never start (no
	 * descriptor is enqueued any more to carry it), so it is skipped,
	 * not left waiting for ever. */
	if (e->draining || f->seq >= e->halt_seq) {
		skip(f);
		return 1;
	}
	/* The same values unless the slot was damaged: a worker that claimed
	 * the old queueing meanwhile lost (our CAS won), and one that reads
	 * the slot while we write it reads what its check then refuses. */
	write_slot(e, f);
	/* The new state must be visible before the descriptor that queues
	 * it again; the enqueue's store fence does not order an atomic
	 * (no fence on TSO, a barrier on Arm/POWER). */
	ck_pr_fence_atomic_store();
	f->state = F_REQUEUE;
	requeue_push(e, f->seq);
	return 1;
}

/* Every task from seq `from` on that has not started is skipped: it never
 * will.  Running ones finish. */
static void
skip_unstarted(rsw_engine *e, uint64_t from)
{
	for (uint64_t s = from > e->poll_seq ? from : e->poll_seq;
	     s < e->next_seq; s++) {
		struct flight *f = flight(e, s);

		if (f->state == F_PENDING || f->state == F_REQUEUE) {
			skip(f);
		} else if (f->state == F_QUEUED && !e->serial) {
			uint64_t *state = &rsw__task_slot(&e->arena, s)->state;

			/* One word decides against the workers' claim CAS:
			 * either the task is cancelled and no claim of it
			 * can succeed, or a worker claimed it first and it
			 * finishes. */
			if (ck_pr_cas_64(state, RSW_STATE(f->epoch, 0),
					 RSW_STATE(f->epoch, RSW_OWNER_CANCELLED)))
				skip(f);
		}
	}
}

/* on_error fail: task `seq` failed for good, so nothing after it may
 * start; what runs finishes, what comes before goes on (a prefix of
 * complete results up to the failure). */
static void
halt_after(rsw_engine *e, uint64_t seq)
{
	if (seq + 1 >= e->halt_seq)
		return;
	e->halt_seq = seq + 1;
	skip_unstarted(e, e->halt_seq);
}

/* Queues a task again under a new epoch, its slot rewritten (the attempt
 * may have changed), when nobody else can hold it: its last owner is dead
 * or finished with it. */
static void
queue_again(rsw_engine *e, struct flight *f)
{
	/* Draining, or past an on_error halt: it would never start. */
	if (e->draining || f->seq >= e->halt_seq) {
		skip(f);
		return;
	}
	if (!e->serial) {
		struct rsw_task_slot *ts = rsw__task_slot(&e->arena, f->seq);

		f->epoch = new_epoch(e);
		write_slot(e, f);
		/* The re-enqueue's store fence publishes this. */
		ck_pr_store_64(&ts->state, RSW_STATE(f->epoch, 0));
	}
	f->state = F_REQUEUE;
	requeue_push(e, f->seq);
}

/* An attempt failed: retry it, or make the failure final. */
static void
fail_attempt(rsw_engine *e, struct flight *f, int32_t status, int32_t detail,
	     int32_t worker, uint64_t elapsed_ns, const char *message,
	     uint32_t message_len)
{
	keep_message(e, f, message, message_len);
	f->status = status;
	f->detail = detail;
	f->worker = worker;
	f->elapsed_ns = elapsed_ns;
	f->peak_kb = 0;
	f->value = NAN;
	f->nmetrics = 0;
	/* An infeasible point stays infeasible: never retried. */
	if (f->attempt < e->cfg.max_attempts && !e->draining &&
	    f->seq < e->halt_seq && status != RSW_STATUS_INFEASIBLE &&
	    (status != RSW_STATUS_ERROR || e->cfg.retry_errors)) {
		f->attempt++;
		e->stats.retries++;
		queue_again(e, f);
		return;
	}
	f->state = F_DONE;
	if (e->cfg.on_error == RSW_ON_ERROR_FAIL && rsw_status_failed(status))
		halt_after(e, f->seq);
}

/* -------------------------------------------------------- result intake */

/* A successful attempt is the task's result: nothing of an earlier failed
 * attempt (its detail, its text) stays with it.  The same for workers and
 * the serial evaluator, so their results cannot differ. */
static void
succeed(rsw_engine *e, struct flight *f, const struct rsw_result_desc *r,
	int32_t worker, const double *metrics)
{
	f->state = F_DONE;
	/* A pruned evaluation ended as its objective meant: a result too. */
	f->status = r->status == RSW_STATUS_PRUNED ? RSW_STATUS_PRUNED : RSW_STATUS_OK;
	f->detail = r->status == RSW_STATUS_PRUNED ? r->detail : 0;
	f->message_len = 0;
	f->value = r->value;
	f->worker = worker;
	f->elapsed_ns = r->elapsed_ns;
	f->peak_kb = r->peak_kb;
	f->nmetrics = r->nmetrics <= e->cfg.max_metrics ? r->nmetrics :
							  e->cfg.max_metrics;
	if (metrics != e->metrics + (f->seq & e->mask) * e->cfg.max_metrics)
		memcpy(e->metrics + (f->seq & e->mask) * e->cfg.max_metrics, metrics,
		       f->nmetrics * sizeof(double));
}

/* One finished attempt in worker slot w (the serial evaluator is slot 0):
 * what the summary, rsw_engine_stats and `ringsweep top` all report. */
static void
count_attempt(rsw_engine *e, uint32_t w, int failed, uint64_t elapsed_ns)
{
	rsw_worker_stats *ws = &e->stats.workers[w];

	e->board_dirty[w / 64] |= 1ull << (w % 64);
	ws->tasks++;
	ws->failures += failed != 0;
	ws->busy_ns += elapsed_ns;
	if (elapsed_ns > ws->max_ns)
		ws->max_ns = elapsed_ns;
}

/* A result whose check does not match the task as the driver holds it:
 * the slot or the result was damaged (or the worker read the slot while
 * it was being repaired).  The worker is done with it, so the task is
 * queued again at no charge, its slot rewritten; a task refused again and
 * again means the arena is being damaged faster than it can be repaired. */
static void
reject_result(rsw_engine *e, struct flight *f)
{
	e->stats.rejected++;
	if (++f->rejects > REJECT_LIMIT) {
		set_error(e, RSW_ECORRUPT);
		return;
	}
	queue_again(e, f);
}

static void
accept_result(rsw_engine *e, uint32_t w, const struct rsw_result_desc *r)
{
	struct rsw_task_slot *ts;
	struct flight *f;
	double *metrics;
	char *message;

	if (r->seq < e->poll_seq || r->seq >= e->next_seq)
		return;
	f = flight(e, r->seq);
	if (f->seq != r->seq || f->state != F_QUEUED || f->epoch != r->epoch)
		return; /* stale: an older queueing of this task */
	if (r->status == RSW_RESULT_REFUSED) {
		reject_result(e, f); /* the worker found the slot damaged */
		return;
	}
	if (r->status != RSW_STATUS_OK && r->status != RSW_STATUS_ERROR &&
	    r->status != RSW_STATUS_OOM && r->status != RSW_STATUS_INFEASIBLE &&
	    r->status != RSW_STATUS_PRUNED)
		return; /* workers report only these */
	/* What the result says of its metrics and text is copied out of the
	 * slot once, bounded by what the slot holds, straight to where the
	 * task keeps them (private; a refused result's copy is simply
	 * overwritten later), and the check is over these copies: nothing is
	 * read from shared memory after it. */
	ts = rsw__task_slot(&e->arena, r->seq);
	if (r->nmetrics > e->cfg.max_metrics ||
	    (r->message_len > 0 && r->message_len >= e->cfg.max_message)) {
		reject_result(e, f);
		return;
	}
	metrics = e->metrics + (r->seq & e->mask) * e->cfg.max_metrics;
	message = e->messages == NULL ? NULL :
		  e->messages + (size_t)(r->seq & e->mask) * e->cfg.max_message;
	memcpy(metrics, rsw__slot_metrics(&e->arena, ts), r->nmetrics * sizeof(double));
	if (r->message_len > 0)
		memcpy(message, rsw__slot_message(&e->arena, ts), r->message_len);
	if (rsw__result_check(f->task_check, r, metrics, message) != r->check) {
		reject_result(e, f);
		return;
	}
	count_attempt(e, w, rsw_status_failed(r->status), r->elapsed_ns);
	e->avg_task_ns = e->avg_task_ns == 0 ?
				 (double)r->elapsed_ns :
				 0.9 * e->avg_task_ns + 0.1 * (double)r->elapsed_ns;
	if (r->status == RSW_STATUS_OK || r->status == RSW_STATUS_PRUNED) {
		succeed(e, f, r, (int32_t)w, metrics);
		return;
	}
	fail_attempt(e, f, r->status, r->detail, (int32_t)w, r->elapsed_ns,
		     message, r->message_len);
}

static unsigned
drain_results(rsw_engine *e, uint32_t w)
{
	struct ck_ring *ring = rsw__result_ring(&e->arena, w);
	struct rsw_result_desc *buf = rsw__result_buf(&e->arena, w);
	struct rsw_result_desc r;
	unsigned n = 0;
	int got;

	/* Wait-free: the driver is this ring's only consumer (ring.h). */
	while ((got = rsw__ring_take(ring, buf, sizeof r, e->arena.layout.result_capacity,
				     &e->result_head[w], &r)) > 0) {
		accept_result(e, w, &r);
		n++;
	}
	if (got < 0)
		set_error(e, RSW_ECORRUPT);
	return n;
}

/*
 * The task ring's consumer index, if it is possible: the workers only move
 * it forward, never past our producer index, so it must lie between the
 * last one we accepted and our tail.  Anything else is damage: the sweep
 * fails (RSW_ECORRUPT) and the last accepted index is kept.
 */
static uint32_t
task_ring_head(rsw_engine *e)
{
	/* A plain atomic load is enough: c_head only grows, so a stale value
	 * can only say "not consumed yet" -- that task is left for the live
	 * worker whose claim the caller's CAS then arbitrates. */
	uint32_t head = ck_pr_load_uint(&rsw__task_ring(&e->arena)->c_head);

	if (e->task_tail - head > e->task_tail - e->task_head) {
		set_error(e, RSW_ECORRUPT);
		return e->task_head;
	}
	e->task_head = head;
	return head;
}

/* A descriptor at `pos` has been taken off the ring by some worker, as of
 * consumer index `head` (task_ring_head). */
static int
consumed_by(const rsw_engine *e, uint32_t pos, uint32_t head)
{
	/* Wrap-safe: the head is within a ring of our tail, and a queued
	 * task's descriptor is never 2^32 descriptors behind it. */
	return e->task_tail - pos > e->task_tail - head;
}

static int
consumed(rsw_engine *e, uint32_t pos)
{
	return consumed_by(e, pos, task_ring_head(e));
}

static void
on_death(rsw_engine *e, const struct rsw_death_desc *d)
{
	struct rsw_arena *a = &e->arena;
	int owner_known;

	if (d->slot >= a->layout.nslots)
		return;
	if (d->kind == RSW_DEATH_CRASH_LOOP) {
		set_error(e, RSW_ECRASHLOOP);
		return;
	}
	if (d->kind == RSW_DEATH_SPAWN_FAILED) {
		set_error(e, RSW_EFORK);
		return;
	}
	if (d->kind == RSW_DEATH_STARTUP) {
		/* A hang at start-up repeats with every restart (a lock held
		 * at fork stays held in each child): fail now. */
		set_error(e, RSW_ESTARTUP);
		return;
	}
	if (d->kind == RSW_DEATH_RECYCLED) {
		e->stats.recycled++;
	} else {
		e->stats.deaths++;
		if (d->slot < a->layout.nworkers) { /* supervised: restarted */
			e->stats.workers[d->slot].restarts++;
			e->board_dirty[d->slot / 64] |= 1ull << (d->slot % 64);
		}
	}
	if (d->kind == RSW_DEATH_SIGNAL) {
		int32_t status, detail;

		classify_death(d, &status, &detail);
		e->stats.killed += status == RSW_STATUS_KILLED;
	}
	if (d->kind == RSW_DEATH_TIMEOUT) {
		e->stats.timeouts++;
		if (d->late_ns > e->stats.max_kill_late_ns)
			e->stats.max_kill_late_ns = d->late_ns;
	}
	drain_results(e, d->slot);
	/* Incarnation 0 never claims (a worker that died before publishing
	 * its incarnation claimed nothing), and no worker owns the
	 * cancelled mark: matching those would fail innocent tasks. */
	owner_known = d->incarnation != 0 && d->incarnation != RSW_OWNER_CANCELLED;
	for (uint64_t s = e->poll_seq; s < e->next_seq; s++) {
		struct flight *f = flight(e, s);
		struct rsw_task_slot *ts;
		uint64_t st;

		if (f->state != F_QUEUED)
			continue;
		ts = rsw__task_slot(a, s);
		/* Acquire not needed beyond the load itself: the dead process
		 * is reaped, so its last CAS on this word is final, and a
		 * live worker's concurrent claim is settled by our CAS. */
		st = ck_pr_load_64(&ts->state);
		if (RSW_STATE_EPOCH(st) != f->epoch)
			continue;
		if (owner_known && RSW_STATE_OWNER(st) == d->incarnation) {
			int32_t status, detail;

			if (d->kind == RSW_DEATH_TIMEOUT &&
			    (d->task_seq != s || d->task_epoch != f->epoch)) {
				/* Killed at the deadline of a task it had
				 * just finished (another seq, or an earlier
				 * attempt of this one), while running this
				 * one: not its fault. */
				requeue_unchanged(e, f, st);
				continue;
			}
			classify_death(d, &status, &detail);
			count_attempt(e, d->slot, 1, 0);
			/* A task killed at its deadline ran until the kill:
			 * the timeout, plus how late the kill came. */
			fail_attempt(e, f, status, detail, (int32_t)d->slot,
				     d->kind == RSW_DEATH_TIMEOUT ?
					     (uint64_t)(e->cfg.timeout_s * 1e9) +
						     d->late_ns : 0,
				     NULL, 0);
		} else if (RSW_STATE_OWNER(st) == 0 && consumed(e, f->ring_pos)) {
			requeue_unchanged(e, f, st);
		}
	}
}

static unsigned
drain_deaths(rsw_engine *e)
{
	struct rsw_death_desc d;
	unsigned n = 0;

	int got;

	while ((got = rsw__ring_take(rsw__death_ring(&e->arena),
				     rsw__death_buf(&e->arena), sizeof d,
				     e->arena.layout.death_capacity, &e->death_head,
				     &d)) > 0) {
		/* A record not sealed by the supervisor cannot be acted on,
		 * and a death cannot be asked for again. */
		if (rsw__death_check(&d) != d.check || d.kind == RSW_DEATH_CORRUPT) {
			set_error(e, RSW_ECORRUPT);
			return n;
		}
		on_death(e, &d);
		n++;
	}
	if (got < 0)
		set_error(e, RSW_ECORRUPT);
	return n;
}

/* Whether a failed pidfd_open means there are none here (an old kernel,
 * valgrind, a seccomp profile that refuses unknown calls) rather than a
 * problem with the process. */
static int
no_pidfds(int err)
{
	return err == ENOSYS || err == EPERM || err == EACCES;
}

/* Separately started workers are not our children: watch their pidfds. */
static void
watch_externals(rsw_engine *e)
{
	rsw_arena *a = &e->arena;

	for (uint32_t w = a->layout.nworkers; w < a->layout.nslots; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(a, w);
		struct external *x = &e->ext[w - a->layout.nworkers];
		/* Relaxed loads of claim and proc_start: a value we read too
		 * early is caught next period (claim 0 or start 0 mean "look
		 * again"); liveness itself comes from the pidfd, not memory. */
		uint32_t claim = ck_pr_load_32(&ws->external_claim);
		struct pollfd p;
		int dead = 0;

		if (claim == 0 || claim > INT32_MAX)
			continue;
		if (x->pid != (pid_t)claim) {
			uint64_t want = ck_pr_load_64(&ws->proc_start);
			int fd = (int)syscall(SYS_pidfd_open, (pid_t)claim, 0);

			if (fd < 0 && no_pidfds(errno)) {
				/* No pidfds (kernels before 5.3, valgrind, a
				 * seccomp profile): /proc, read every period,
				 * says whether it still runs (a zombie or a
				 * recycled pid does not). */
				if (want == 0 || rsw__proc_alive((pid_t)claim, want) != 0)
					continue;
				dead = 1;
			} else if (fd < 0) {
				/* Only "no such process" means dead; EMFILE
				 * and the like mean: look again later. */
				if (errno != ESRCH)
					continue;
				dead = 1;
			} else if (want == 0) {
				close(fd); /* start time not published yet */
				continue;
			} else if (rsw__proc_start_time((pid_t)claim) != want) {
				close(fd); /* the pid now names another process */
				dead = 1;
			} else {
				rsw__fd_close(x->pidfd);
				x->pid = (pid_t)claim;
				x->pidfd = fd;
				rsw__fd_own(fd);
			}
		}
		if (!dead) {
			p.fd = x->pidfd;
			p.events = POLLIN;
			dead = poll(&p, 1, 0) == 1;
		}
		if (dead) {
			/* Relaxed: the worker stored its incarnation before the
			 * claim we saw, and it is dead now: nothing changes it. */
			struct rsw_death_desc d = {
				.slot = w,
				.incarnation = ck_pr_load_32(&ws->incarnation),
				.kind = RSW_DEATH_SIGNAL,
				.detail = SIGKILL,
			};

			/* Shared memory: an incarnation another slot shows is
			 * no proof of whose tasks these are (it would fail a
			 * live worker's task).  Unknown, the dead worker's
			 * claim is left to the watchdog, which re-queues it at
			 * no charge. */
			for (uint32_t o = 0; o < a->layout.nslots; o++)
				if (o != w && ck_pr_load_32(&rsw__worker_slot(a, o)->incarnation) ==
						      d.incarnation)
					d.incarnation = 0;

			rsw__fd_close(x->pidfd);
			x->pidfd = -1;
			x->pid = 0;
			on_death(e, &d);
			ck_pr_store_32(&ws->state, RSW_WORKER_DEAD);
			/* The next occupant publishes its own start time; until
			 * then 0 means "look again", never the dead one's. */
			ck_pr_store_64(&ws->proc_start, 0);
			/* The slot is free again only after its ring was drained
			 * and its tasks re-queued (on_death above): order those
			 * stores before the release of the claim, which an RMW
			 * alone does not do on Arm or POWER. */
			ck_pr_fence_store_atomic();
			ck_pr_cas_32(&ws->external_claim, claim, 0);
		}
	}
}

/* ------------------------------------------------------------- enqueue */

static uint32_t
batch_size(rsw_engine *e, uint64_t fresh)
{
	uint64_t share = fresh / (2u * (uint32_t)e->cfg.workers);
	double want;
	uint32_t b;

	if (e->cfg.max_batch <= 1 || e->avg_task_ns <= 0)
		return 1;
	want = BATCH_TARGET_NS / e->avg_task_ns;
	b = want >= e->cfg.max_batch ? e->cfg.max_batch :
	    want < 1		     ? 1 : (uint32_t)want;
	if (b > share)
		b = share > 0 ? (uint32_t)share : 1;
	return b;
}

/* Fresh tasks past an on_error halt were skipped when submitted or
 * halted: none of them is ever enqueued (or, serially, run). */
static void
pass_halt(rsw_engine *e)
{
	if (e->enq_seq >= e->halt_seq)
		e->enq_seq = e->next_seq;
}

/* Wait-free: this thread is the task ring's only producer (ring.h). */
static int
enqueue_desc(rsw_engine *e, uint64_t seq_first, uint32_t count, uint32_t epoch)
{
	struct rsw_task_desc d = { seq_first, count, epoch };
	uint32_t pos = e->task_tail;
	int put = rsw__ring_put(rsw__task_ring(&e->arena), rsw__task_buf(&e->arena),
				sizeof d, e->arena.layout.ring_capacity,
				&e->task_tail, &d);

	if (put < 0)
		set_error(e, RSW_ECORRUPT);
	if (put <= 0)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		struct flight *f = flight(e, seq_first + i);

		f->ring_pos = pos;
		f->state = F_QUEUED;
	}
	return 1;
}

static unsigned
enqueue(rsw_engine *e)
{
	uint32_t capacity = e->arena.layout.ring_capacity;
	unsigned n = 0;

	if (e->draining || e->error != 0)
		return 0;
	while (e->rq_head != e->rq_tail) {
		uint64_t seq = e->requeue[e->rq_head & e->mask];
		struct flight *f = flight(e, seq);

		/* Skipped since it was queued again (a halt), or the slot holds
		 * a newer task: nothing to do. */
		if (f->seq == seq && f->state == F_REQUEUE &&
		    !enqueue_desc(e, seq, 1, f->epoch))
			break;
		e->rq_head++;
		n++;
	}
	pass_halt(e);
	while (e->enq_seq < e->next_seq &&
	       e->task_tail - task_ring_head(e) + 1 < capacity) {
		uint64_t end = e->next_seq < e->halt_seq ? e->next_seq : e->halt_seq;
		uint32_t b = batch_size(e, end - e->enq_seq);
		uint32_t epoch = new_epoch(e);

		for (uint32_t i = 0; i < b; i++) {
			uint64_t seq = e->enq_seq + i;

			flight(e, seq)->epoch = epoch;
			/* Ordered before the descriptor by the enqueue's
			 * store fence. */
			ck_pr_store_64(&rsw__task_slot(&e->arena, seq)->state,
				       RSW_STATE(epoch, 0));
		}
		if (!enqueue_desc(e, e->enq_seq, b, epoch))
			break;
		e->enq_seq += b;
		n++;
		pass_halt(e);
	}
	/* Wake sleeping workers; no system call when none sleeps. */
	if (n > 0 && e->cfg.idle != RSW_IDLE_SPIN)
		ck_ec32_inc(&e->arena.hdr->task_ec, &rsw__ec_sp);
	return n;
}

/* ---------------------------------------------------------------- pump */

static void
check_supervisor(rsw_engine *e)
{
	struct pollfd p = { .fd = e->sup_pidfd, .events = POLLIN };

	if (e->sup_pid_only && e->sup_pid > 0) {
		/* The supervisor holds the control pipe's only read end (its
		 * workers close theirs): it is closed when it dies, and our
		 * write end reports an error. */
		p.fd = e->ctl_fd;
		p.events = POLLOUT;
		if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))) {
			/* It is exiting (its descriptors close first): reap
			 * it, or ECHILD when the application reaps for us. */
			waitpid(e->sup_pid, NULL, 0);
			e->sup_pid = 0;
			set_error(e, RSW_ESUPERVISOR);
		} else if (waitpid(e->sup_pid, NULL, WNOHANG) == e->sup_pid) {
			/* Dead though a process it forked holds the pipe. */
			e->sup_pid = 0;
			set_error(e, RSW_ESUPERVISOR);
		}
		return;
	}
	if (e->sup_pidfd >= 0 && poll(&p, 1, 0) == 1) {
		waitpid(e->sup_pid, NULL, WNOHANG);
		rsw__fd_close(e->sup_pidfd);
		e->sup_pidfd = -1;
		e->sup_pid = 0;
		set_error(e, RSW_ESUPERVISOR);
	}
}

/* Whether a ring's shared header still says what this process laid out
 * and, for the indices only we write, what we last wrote: nothing uses
 * these shared copies (ring.h), but a difference is damage, and the sweep
 * fails rather than go on in a damaged arena. */
static int
ring_intact(const struct ck_ring *r, uint32_t capacity, const uint32_t *p_tail,
	    const uint32_t *c_head)
{
	/* Relaxed: each word is compared on its own with a value only we
	 * write (the geometry was written before any worker existed). */
	return ck_pr_load_uint(&r->size) == capacity &&
	       ck_pr_load_uint(&r->mask) == capacity - 1 &&
	       (p_tail == NULL || ck_pr_load_uint(&r->p_tail) == *p_tail) &&
	       (c_head == NULL || ck_pr_load_uint(&r->c_head) == *c_head);
}

/* The arena as a whole, every liveness period: its immutable header still
 * the one we created (workers that start later attach to it), nobody
 * asked for a shutdown but us, and the rings' headers (ring_intact). */
static void
check_arena(rsw_engine *e)
{
	const struct rsw_arena_header *l = &e->arena.layout;
	/* Relaxed: compared with what only we write (the flag is ours to set,
	 * at close, after the last pump; the supervisor never sets it). */
	int ok = memcmp(e->arena.hdr, l, offsetof(struct rsw_arena_header, pad0_)) == 0 &&
		 ck_pr_load_32(&e->arena.hdr->shutdown) == 0 &&
		 ring_intact(rsw__task_ring(&e->arena), l->ring_capacity,
			     &e->task_tail, NULL) &&
		 ring_intact(rsw__death_ring(&e->arena), l->death_capacity, NULL,
			     &e->death_head);

	for (uint32_t w = 0; ok && w < l->nslots; w++)
		ok = ring_intact(rsw__result_ring(&e->arena, w), l->result_capacity,
				 NULL, &e->result_head[w]);
	if (!ok)
		set_error(e, RSW_ECORRUPT);
	(void)task_ring_head(e);
}

/* Whether some worker's slot, as last read, accounts for a task in the
 * state `st`: claimed by it and running (or just run) there, or -- still
 * unclaimed -- in the ring, or in a batch a worker is going through (the
 * batch's tasks share its epoch). */
static int
explained(const rsw_engine *e, const struct flight *f, uint64_t st, uint32_t head)
{
	uint32_t owner = RSW_STATE_OWNER(st);

	if (RSW_STATE_EPOCH(st) != f->epoch || owner == RSW_OWNER_CANCELLED)
		return 0; /* we wrote neither for a task still queued */
	if (owner == 0 && !consumed_by(e, f->ring_pos, head))
		return 1;
	for (uint32_t w = 0; w < e->arena.layout.nslots; w++) {
		const struct watched_slot *v = &e->watch[w];

		if (v->whole && v->epoch == f->epoch &&
		    (owner == 0 || (v->incarnation == owner && v->seq == f->seq)))
			return 1;
	}
	return 0;
}

/*
 * The watchdog: a task queued in the arena that nothing can explain -- its
 * descriptor taken but no worker going through its batch, claimed by an
 * incarnation that does not run it, a state word we never wrote -- would
 * wait for ever (a damaged descriptor, index or state word; a claim lost
 * to damage).  One that stays so, in the same state, for WATCH_STUCK_NS is
 * queued again.  Each look covers up to WATCH_CHUNK tasks, going on where
 * the last one stopped.  A mistaken rescue (a worker descheduled for that
 * long between two of its steps) costs one more evaluation, never a wrong
 * result: the CAS on the state word decides who holds the task, and the
 * slow worker's result carries the old epoch and is dropped.  The slots'
 * fields are relaxed loads (and a seqlock read): nothing is inferred from
 * them but this suspicion.
 */
static void
watchdog(rsw_engine *e, uint64_t now)
{
	rsw_arena *a = &e->arena;
	uint64_t in_flight = e->next_seq - e->poll_seq, s;
	uint32_t head;

	if (in_flight == 0)
		return;
	/* One look at the consumer index for the pass: a task read later as
	 * unconsumed is looked at again next pass. */
	head = task_ring_head(e);
	for (uint32_t w = 0; w < a->layout.nslots; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(a, w);
		struct watched_slot *v = &e->watch[w];
		uint64_t start;

		v->whole = rsw__read_task(ws, &v->seq, &v->epoch, &start) != 0;
		v->incarnation = ck_pr_load_32(&ws->incarnation);
		/* A dead worker's slot keeps its last task's fields until the
		 * next occupant writes its own: it explains nothing. */
		if (ck_pr_load_32(&ws->state) == RSW_WORKER_DEAD)
			v->whole = 0;
	}
	s = e->watch_cursor;
	if (s < e->poll_seq || s >= e->next_seq)
		s = e->poll_seq;
	for (uint32_t i = 0; i < WATCH_CHUNK && i < in_flight; i++) {
		struct flight *f = flight(e, s);
		uint64_t st;

		if (f->state == F_QUEUED && f->seq == s) {
			struct suspicion *u = &e->suspicions[s & e->mask];

			st = ck_pr_load_64(&rsw__task_slot(a, s)->state);
			if (explained(e, f, st, head)) {
				u->since = 0;
			} else if (u->since == 0 || u->state != st) {
				u->state = st;
				u->since = now;
			} else if (now - u->since >= WATCH_STUCK_NS) {
				u->since = 0;
				if (requeue_unchanged(e, f, st))
					e->stats.rescued++;
			}
		}
		if (++s == e->next_seq)
			s = e->poll_seq;
	}
	e->watch_cursor = s;
}

static unsigned
pump(rsw_engine *e)
{
	rsw_arena *a = &e->arena;
	uint64_t now;
	unsigned n;

	n = drain_deaths(e);
	for (uint32_t w = 0; w < a->layout.nslots; w++)
		n += drain_results(e, w);
	n += enqueue(e);
	/* Reading the clock costs ~25 ns: look at it every 64th pass only
	 * (wait_for_results reads it while idle anyway). */
	if ((++e->pumps & 63) != 0 && !e->liveness_due)
		return n;
	e->liveness_due = 0;
	now = rsw__mono_ns();
	if (now >= e->next_liveness_ns) {
		e->next_liveness_ns = now + LIVENESS_PERIOD_NS;
		check_supervisor(e);
		check_arena(e);
		if (e->ext != NULL)
			watch_externals(e);
		if (now >= e->next_watch_ns) {
			e->next_watch_ns = now + WATCH_PERIOD_NS;
			watchdog(e, now);
		}
	}
	return n;
}

static int
anything_ready(rsw_engine *e)
{
	rsw_arena *a = &e->arena;

	if (rsw__ring_used(rsw__death_ring(a), a->layout.death_capacity) != 0)
		return 1;
	for (uint32_t w = 0; w < a->layout.nslots; w++)
		if (rsw__ring_used(rsw__result_ring(a, w), a->layout.result_capacity) != 0)
			return 1;
	return 0;
}

static void
wait_for_results(rsw_engine *e, uint64_t deadline)
{
	struct rsw_arena_header *h = e->arena.hdr;
	uint64_t start = rsw__mono_ns(), now = start;
	unsigned spins = 0;

	while (!anything_ready(e)) {
		if ((++spins & 31) == 0) {
			now = rsw__mono_ns();
			if (now >= e->next_liveness_ns)
				e->liveness_due = 1;
			if (now >= deadline || e->liveness_due)
				return;
			if (e->cfg.idle != RSW_IDLE_SPIN &&
			    now - start > DRIVER_SPIN_NS)
				break;
		}
		ck_pr_stall();
	}
	if (anything_ready(e) || e->cfg.idle == RSW_IDLE_SPIN)
		return;
	{
		/* Snapshot, re-check, sleep: a publish after the snapshot
		 * changes the count and the wait returns at once. */
		uint32_t seen, queued = e->task_tail - task_ring_head(e);
		uint64_t until = now + DRIVER_SLEEP_SLICE_NS;

		/* Sleep until the task ring is half drained, or the slice
		 * ends: while workers still have queued work, a wake-up per
		 * result only costs them a futex call each (measured: 3-4%
		 * of 1 ms tasks on this VM) and results lose nothing by
		 * being delivered in bulk.  An empty ring (threshold 0)
		 * wakes us on every result: the tail of a sweep and single
		 * round trips stay prompt.  StoreLoad fence: the threshold
		 * must be visible before we look at the rings (the worker
		 * fences the other way). */
		ck_pr_store_32(&h->driver_wake_below, queued / 2);
		ck_pr_fence_memory();
		seen = ck_ec32_value(&h->result_ec);

		if (anything_ready(e))
			return;
		rsw__ec_wait(&h->result_ec, seen, until < deadline ? until : deadline);
		e->liveness_due = 1;
	}
}

/* --------------------------------------------------------------- serial */

/* Serial mode: the next task to start, a re-queued attempt first; entries
 * skipped meanwhile (a halt) are passed over.  0 when there is none. */
static int
serial_next(rsw_engine *e, uint64_t *seq)
{
	while (e->rq_head != e->rq_tail) {
		*seq = e->requeue[e->rq_head++ & e->mask];
		if (flight(e, *seq)->seq == *seq &&
		    flight(e, *seq)->state == F_REQUEUE)
			return 1;
	}
	pass_halt(e);
	if (e->enq_seq < e->next_seq) {
		*seq = e->enq_seq++;
		return 1;
	}
	return 0;
}

static void
serial_run_pending(rsw_engine *e)
{
	double metrics[RSW_MAX_METRICS_LIMIT];
	char message[RSW_MAX_MESSAGE_LIMIT];
	uint64_t seq;

	/* One task a call: a poll returns between tasks, so the caller (and
	 * a signal's drain or cancel) gets control back after each. */
	if (!e->draining && !e->cancel && serial_next(e, &seq)) {
		struct flight *f = flight(e, seq);
		struct rsw_result_desc r;
		rsw_task_info info = { .seq = f->shown, .attempt = f->attempt, .worker = -1 };

		memset(&r, 0, sizeof r);
		rsw__evaluate(&e->obj, e->params + (seq & e->mask) * e->cfg.max_params,
			      f->nparams, &info, metrics, message,
			      e->cfg.max_message, rsw__mono_ns(), &r);
		count_attempt(e, 0, rsw_status_failed(r.status), r.elapsed_ns);
		if (r.status != RSW_STATUS_OK && r.status != RSW_STATUS_PRUNED) {
			fail_attempt(e, f, r.status, r.detail, -1, r.elapsed_ns,
				     message, r.message_len);
			return;
		}
		succeed(e, f, &r, -1, metrics);
	}
}

/* ---------------------------------------------------------------- stats */

/* Bytes of an rsw_stats that hold something: the worker entries past
 * nworkers stay zero. */
static size_t
stats_bytes(uint32_t nworkers)
{
	return offsetof(rsw_stats, workers) + nworkers * sizeof(rsw_worker_stats);
}

/* Publishes the counters (stats_board).  Each word is a release store, so
 * the odd mark before it is visible to whoever sees the word, and the even
 * mark is a release store after them all: with the reader's acquire loads,
 * a reader that sees one even value on both sides of its copy saw one
 * whole copy, on any architecture (no standalone fence, which
 * ThreadSanitizer could not follow).  The counters and the worker entries
 * that changed (board_dirty) are written: ~20 plain moves on x86 for a
 * task's result, whatever the worker count. */
static void
publish_words(rsw_engine *e, const rsw_stats *from, size_t first, size_t n)
{
	for (size_t i = first; i < first + n; i++) {
		uint64_t w;

		memcpy(&w, (const char *)from + i * sizeof w, sizeof w);
		__atomic_store_n(&e->board.words[i], w, __ATOMIC_RELEASE);
	}
}

static void
publish_stats(rsw_engine *e)
{
	const size_t head = offsetof(rsw_stats, workers) / sizeof(uint64_t);
	const size_t per = sizeof(rsw_worker_stats) / sizeof(uint64_t);
	const rsw_stats *from = &e->stats;
	uint64_t seq = __atomic_load_n(&e->board.seq, __ATOMIC_RELAXED) + 1;
	uint32_t nworkers;

	if (e->ex != NULL) {
		/* A remote executor's counters change under it: all of them. */
		*e->ex_stats = e->stats;
		e->ex->stats(e->ex_self, e->ex_stats);
		from = e->ex_stats;
		memset(e->board_dirty, 0xff, sizeof e->board_dirty);
	}
	nworkers = from->nworkers <= 256 ? from->nworkers : 256;
	__atomic_store_n(&e->board.seq, seq, __ATOMIC_RELAXED);
	publish_words(e, from, 0, head);
	for (uint32_t w = 0; w < nworkers; w++)
		if (e->board_dirty[w / 64] & (1ull << (w % 64)))
			publish_words(e, from, head + w * per, per);
	__atomic_store_n(&e->board.seq, seq + 1, __ATOMIC_RELEASE);
	memset(e->board_dirty, 0, sizeof e->board_dirty);
}

/* ------------------------------------------------------------------ API */

/* The driver's private side, common to every kind of engine. */
static int
engine_alloc(rsw_engine **out, const rsw_config *cfg)
{
	rsw_engine *e = calloc(1, sizeof *e);

	*out = NULL;
	if (e == NULL)
		return RSW_ENOMEM;
	e->cfg = *cfg;
	e->mask = cfg->max_inflight - 1;
	e->ctl_fd = -1;
	e->sup_pidfd = -1;
	e->halt_seq = UINT64_MAX;
	e->arena.lock_fd = -1;
	memset(e->board_dirty, 0xff, sizeof e->board_dirty);
	e->fl = calloc(cfg->max_inflight, sizeof *e->fl);
	e->params = calloc((size_t)cfg->max_inflight * cfg->max_params,
			   sizeof(double));
	e->metrics = calloc((size_t)cfg->max_inflight * (cfg->max_metrics + 1),
			    sizeof(double));
	e->requeue = calloc(cfg->max_inflight, sizeof *e->requeue);
	if (cfg->max_message > 0)
		e->messages = malloc((size_t)cfg->max_inflight * cfg->max_message);
	if (e->fl == NULL || e->params == NULL || e->metrics == NULL ||
	    e->requeue == NULL || (cfg->max_message > 0 && e->messages == NULL)) {
		rsw_engine_close(e);
		return RSW_ENOMEM;
	}
	*out = e;
	return 0;
}

int
rsw_engine_open_executor(rsw_engine **out, const rsw_config *cfg,
			 const rsw_executor_ops *ops, void *self)
{
	rsw_engine *e;
	int rc;

	*out = NULL;
	if (ops == NULL || ops->submit == NULL || ops->poll == NULL ||
	    ops->drain == NULL || ops->stats == NULL || ops->errmsg == NULL ||
	    ops->close == NULL)
		return RSW_EINVAL;
	if (cfg == NULL || rsw_config_validate(cfg, NULL, 0) != 0) {
		ops->close(self);
		return RSW_EINVAL;
	}
	if ((rc = engine_alloc(&e, cfg)) != 0) {
		ops->close(self);
		return rc;
	}
	e->ex = ops;
	e->ex_self = self;
	e->ex_results = calloc(EX_POLL_MAX, sizeof *e->ex_results);
	e->ex_stats = calloc(1, sizeof *e->ex_stats);
	if (e->ex_results == NULL || e->ex_stats == NULL) {
		rsw_engine_close(e);
		return RSW_ENOMEM;
	}
	publish_stats(e);
	*out = e;
	return 0;
}

const char *
rsw_engine_executor_errmsg(const rsw_engine *e)
{
	return e != NULL && e->ex != NULL ? e->ex->errmsg(e->ex_self) : NULL;
}

int
rsw_engine_open(rsw_engine **out, const rsw_config *cfg,
		const rsw_objective *objective)
{
	rsw_arena_params ap;
	rsw_engine *e;
	int ctl[2], rc;
	pid_t pid, driver;

	*out = NULL;
	if (cfg == NULL || objective == NULL || objective->eval == NULL ||
	    rsw_config_validate(cfg, NULL, 0) != 0)
		return RSW_EINVAL;
	if ((rc = engine_alloc(&e, cfg)) != 0)
		return rc;
	e->obj = *objective;
	e->serial = cfg->workers == 0;
	e->stats.nworkers = e->serial ? 1 : (uint32_t)(cfg->workers +
						       (int)cfg->external_slots);
	if (e->serial) {
		/* The one "worker" is this thread: its set-up runs here,
		 * once, like a worker's (and its tear-down at close). */
		if (e->obj.worker_init != NULL &&
		    e->obj.worker_init(e->obj.ctx, -1) != 0) {
			rsw_engine_close(e);
			return RSW_EINIT;
		}
		e->serial_init_done = 1;
		publish_stats(e);
		*out = e;
		return 0;
	}
	(void)rsw_arena_reap_stale();
	memset(&ap, 0, sizeof ap);
	ap.nworkers = (uint32_t)cfg->workers;
	ap.nslots = (uint32_t)cfg->workers + cfg->external_slots;
	ap.ring_capacity = cfg->ring_capacity;
	ap.max_inflight = cfg->max_inflight;
	ap.max_params = cfg->max_params;
	ap.max_metrics = cfg->max_metrics;
	ap.max_message = cfg->max_message;
	ap.idle = (uint32_t)cfg->idle;
	ap.timeout_ns = (uint64_t)(cfg->timeout_s * 1e9);
	ap.objective = cfg->objective_name;
	ap.objective_arg = cfg->objective_arg;
	rc = rsw__arena_create(&e->arena, &ap);
	if (rc != 0) {
		rsw_engine_close(e);
		return rc;
	}
	e->result_head = calloc(e->arena.layout.nslots, sizeof *e->result_head);
	e->watch = calloc(e->arena.layout.nslots, sizeof *e->watch);
	e->suspicions = calloc(cfg->max_inflight, sizeof *e->suspicions);
	if (e->result_head == NULL || e->watch == NULL || e->suspicions == NULL) {
		rsw_engine_close(e);
		return RSW_ENOMEM;
	}
	if (cfg->external_slots > 0) {
		e->ext = calloc(cfg->external_slots, sizeof *e->ext);
		if (e->ext == NULL) {
			rsw_engine_close(e);
			return RSW_ENOMEM;
		}
		for (uint32_t i = 0; i < cfg->external_slots; i++)
			e->ext[i].pidfd = -1;
	}
	if (cfg->mode == RSW_MODE_THREADS) {
		rc = rsw__threads_start(&e->threads, &e->arena, &e->obj, &e->cfg);
		if (rc != 0) {
			rsw_engine_close(e);
			return rc;
		}
		publish_stats(e);
		*out = e;
		return 0;
	}
	if (pipe2(ctl, O_CLOEXEC) != 0) {
		rsw_engine_close(e);
		return RSW_ESYS;
	}
	e->ctl_fd = ctl[1];
	rsw__fd_own(e->ctl_fd);
	/* Whatever stdio holds unwritten now would be written again by any
	 * worker that ends through exit(): empty the buffers first. */
	fflush(NULL);
	driver = getpid();
	pid = fork();
	if (pid < 0) {
		close(ctl[0]);
		rsw_engine_close(e);
		return RSW_EFORK;
	}
	if (pid == 0) {
		/* This engine's driver side (its end of the control pipe, the
		 * arena's owner lock) and every other engine's must live in
		 * their drivers alone. */
		rsw__fd_close_all_owned();
		rsw__supervisor_main(e->arena.name, ctl[0], driver, &e->obj,
				     &e->cfg);
	}
	close(ctl[0]);
	e->sup_pid = pid;
	e->sup_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (e->sup_pidfd >= 0) {
		rsw__fd_own(e->sup_pidfd);
	} else if (no_pidfds(errno)) {
		e->sup_pid_only = 1;
	} else {
		rsw_engine_close(e);
		return RSW_ESYS;
	}
	publish_stats(e);
	*out = e;
	return 0;
}

/* Over an executor: hands it what fits in flight; what it takes is in
 * flight (queued), the rest stays the caller's. */
static int
submit_to_executor(rsw_engine *e, const double *params, uint32_t nparams,
		   uint32_t n, uint64_t shown)
{
	uint64_t room = e->cfg.max_inflight - (e->next_seq - e->poll_seq);
	int taken;

	if (n > room)
		n = (uint32_t)room;
	if (n == 0)
		return RSW_EAGAIN;
	taken = e->ex->submit(e->ex_self, e->next_seq, shown, params, nparams, n);
	if (taken < 0) {
		set_error(e, taken);
		return taken;
	}
	if ((uint32_t)taken > n) {
		set_error(e, RSW_EREMOTE);
		return RSW_EREMOTE;
	}
	for (int i = 0; i < taken; i++) {
		uint64_t seq = e->next_seq;
		struct flight *f = flight(e, seq);

		memset(f, 0, sizeof *f);
		f->seq = seq;
		f->shown = shown + (uint64_t)i;
		f->attempt = 1;
		f->nparams = nparams;
		f->state = F_QUEUED;
		f->worker = -1;
		memcpy(e->params + (seq & e->mask) * e->cfg.max_params,
		       params + (size_t)i * nparams, nparams * sizeof(double));
		e->next_seq++;
		e->stats.submitted++;
	}
	return taken == 0 ? RSW_EAGAIN : taken;
}

/* shown: the seq the first task's objective is told (the others follow),
 * or UINT64_MAX for the engine's own numbering plus seq_base. */
static int
submit_tasks(rsw_engine *e, const double *params, uint32_t nparams, uint32_t n,
       uint64_t shown)
{
	uint32_t i;

	if (e == NULL || (params == NULL && nparams > 0) ||
	    nparams > e->cfg.max_params)
		return RSW_EINVAL;
	if (e->error != 0)
		return e->error;
	if (e->draining)
		return RSW_ECANCELED;
	if (shown == UINT64_MAX)
		shown = e->next_seq + e->seq_base;
	if (e->ex != NULL)
		return submit_to_executor(e, params, nparams, n, shown);
	for (i = 0; i < n; i++) {
		uint64_t seq = e->next_seq;
		struct flight *f = flight(e, seq);
		const double *p = params + (size_t)i * nparams;

		if (seq - e->poll_seq >= e->cfg.max_inflight)
			break;
		memset(f, 0, sizeof *f);
		f->seq = seq;
		f->shown = shown + i;
		f->attempt = 1;
		f->nparams = nparams;
		f->state = F_PENDING;
		f->worker = -1;
		if (seq >= e->halt_seq)
			skip(f); /* on_error fail: past the failure */
		memcpy(e->params + (seq & e->mask) * e->cfg.max_params, p,
		       nparams * sizeof(double));
		if (!e->serial)
			write_slot(e, f);
		e->next_seq++;
		e->stats.submitted++;
	}
	if (i == 0 && n > 0)
		return RSW_EAGAIN;
	if (!e->serial)
		enqueue(e);
	return (int)i;
}

static int
submit(rsw_engine *e, const double *params, uint32_t nparams, uint32_t n,
       uint64_t shown)
{
	int rc = submit_tasks(e, params, nparams, n, shown);

	if (e != NULL && rc > 0)
		publish_stats(e);
	return rc;
}

int
rsw_engine_submit_batch(rsw_engine *e, const double *params, uint32_t nparams,
			uint32_t n)
{
	return submit(e, params, nparams, n, UINT64_MAX);
}

int
rsw_engine_submit_batch_as(rsw_engine *e, const double *params,
			   uint32_t nparams, uint32_t n, uint64_t shown_seq)
{
	if (shown_seq == UINT64_MAX)
		return RSW_EINVAL;
	return submit(e, params, nparams, n, shown_seq);
}

int
rsw_engine_submit(rsw_engine *e, const double *params, uint32_t nparams,
		  uint64_t *seq)
{
	uint64_t s = e != NULL ? e->next_seq : 0;
	int rc = rsw_engine_submit_batch(e, params, nparams, 1);

	if (rc < 0)
		return rc;
	if (seq != NULL)
		*seq = s;
	return 0;
}

/* Hands out DONE results in sequence order. */
static uint32_t
deliver(rsw_engine *e, rsw_result *out, uint32_t max)
{
	uint32_t n = 0;

	while (n < max && e->poll_seq < e->next_seq) {
		struct flight *f = flight(e, e->poll_seq);
		rsw_result *r = &out[n];

		if (f->state != F_DONE)
			break;
		r->seq = f->seq;
		r->status = f->status;
		r->detail = f->detail;
		r->value = f->status == RSW_STATUS_OK || f->status == RSW_STATUS_PRUNED ?
				   f->value : NAN;
		r->attempts = f->attempt;
		r->worker = f->worker;
		r->elapsed_ns = f->elapsed_ns;
		r->peak_kb = f->peak_kb;
		r->nmetrics = f->nmetrics;
		memcpy(r->metrics, e->metrics + (f->seq & e->mask) * e->cfg.max_metrics,
		       f->nmetrics * sizeof(double));
		r->message = f->message_len == 0 ? NULL :
			     e->messages + (size_t)(f->seq & e->mask) * e->cfg.max_message;
		f->state = F_FREE;
		e->poll_seq++;
		e->stats.committed++;
		n++;
		if (f->status == RSW_STATUS_SKIPPED) {
			e->stats.skipped++;
		} else if (!rsw_status_failed(f->status)) {
			e->consecutive_failed = 0;
		} else {
			e->stats.failed++;
			/* Only tasks that kept killing their worker count toward
			 * a crash loop: an objective's error is a result (a grid
			 * may hold a region of invalid combinations), and a
			 * timeout is the deadline policy at work. */
			if (f->status != RSW_STATUS_ERROR &&
			    f->status != RSW_STATUS_TIMEOUT &&
			    f->status != RSW_STATUS_OOM &&
			    ++e->consecutive_failed >= e->cfg.crash_loop_failures) {
				set_error(e, RSW_ECRASHLOOP);
				break;
			}
		}
	}
	return n;
}

/* For observers (`ringsweep top`): relaxed stores, each figure read on
 * its own and nobody acts on them. */
static void
publish_counts(rsw_engine *e)
{
	ck_pr_store_64(&e->arena.hdr->submitted, e->stats.submitted);
	ck_pr_store_64(&e->arena.hdr->committed, e->stats.committed);
	for (uint32_t w = 0; w < e->arena.layout.nslots; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(&e->arena, w);

		ck_pr_store_64(&ws->driver_tasks, e->stats.workers[w].tasks);
		ck_pr_store_64(&ws->driver_failures, e->stats.workers[w].failures);
	}
}

/* Over an executor: takes what it finished (waiting until `deadline`, 0:
 * not at all) into the flights.  Nothing it says is believed unchecked:
 * a result must name a task it holds that has no result yet, with a
 * status an evaluation can end with and metrics that fit; anything else
 * (or the executor's own failure) becomes the engine's error. */
static void
collect_remote(rsw_engine *e, uint64_t deadline)
{
	uint64_t now = rsw__mono_ns();
	int timeout_ms = deadline <= now ? 0 :
			 deadline - now > 100000000ull ? 100 :
			 (int)((deadline - now + 999999) / 1000000);
	int got = e->ex->poll(e->ex_self, e->ex_results, EX_POLL_MAX, timeout_ms);

	if (got < 0 || got > EX_POLL_MAX) {
		set_error(e, got < 0 ? got : RSW_EREMOTE);
		return;
	}
	for (int i = 0; i < got; i++) {
		const rsw_result *r = &e->ex_results[i];
		struct flight *f = flight(e, r->seq);

		if (r->seq < e->poll_seq || r->seq >= e->next_seq || f->seq != r->seq ||
		    f->state != F_QUEUED || r->status < 0 ||
		    r->status >= RSW_STATUS_COUNT_ || r->nmetrics > e->cfg.max_metrics ||
		    r->attempts < 1) {
			set_error(e, RSW_EREMOTE);
			return;
		}
		f->state = F_DONE;
		f->status = r->status;
		f->detail = r->detail;
		f->value = r->value;
		f->attempt = r->attempts;
		f->worker = r->worker;
		f->elapsed_ns = r->elapsed_ns;
		f->peak_kb = r->peak_kb;
		f->nmetrics = r->nmetrics;
		memcpy(e->metrics + (r->seq & e->mask) * e->cfg.max_metrics, r->metrics,
		       r->nmetrics * sizeof(double));
		f->message_len = 0;
		if (r->message != NULL && r->status != RSW_STATUS_OK)
			keep_message(e, f, r->message,
				     (uint32_t)strnlen(r->message, e->cfg.max_message));
	}
}

static int
poll_results(rsw_engine *e, rsw_result *out, uint32_t max, int timeout_ms)
{
	uint64_t deadline;
	uint32_t n;

	if (e == NULL || (out == NULL && max > 0))
		return RSW_EINVAL;
	deadline = timeout_ms < 0 ? UINT64_MAX :
				    rsw__mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		if (e->cancel)
			set_error(e, RSW_ECANCELED);
		/* An engine error is final: nothing more is handed out. */
		if (e->error != 0)
			return e->error;
		if (e->serial) {
			/* One task, then hand out what is ready; a failed
			 * attempt that is retried delivers nothing yet, so
			 * go on until something is ready or all is done. */
			uint64_t before = e->enq_seq + e->rq_head;

			serial_run_pending(e);
			n = deliver(e, out, max);
			if (n == 0 && e->error == 0 && !e->cancel &&
			    e->enq_seq + e->rq_head != before)
				continue;
		} else if (e->ex != NULL) {
			collect_remote(e, 0);
			n = e->error == 0 ? deliver(e, out, max) : 0;
		} else {
			pump(e);
			n = deliver(e, out, max);
		}
		if (n > 0 && !e->serial && e->ex == NULL)
			publish_counts(e);
		if (n > 0)
			return (int)n;
		if (e->error != 0)
			return e->error;
		if (e->poll_seq == e->next_seq || max == 0 || e->serial)
			return 0;
		if (rsw__mono_ns() >= deadline)
			return 0;
		if (e->ex != NULL)
			collect_remote(e, deadline);
		else
			wait_for_results(e, deadline);
	}
}

int
rsw_engine_poll(rsw_engine *e, rsw_result *out, uint32_t max, int timeout_ms)
{
	int rc = poll_results(e, out, max, timeout_ms);

	if (e != NULL)
		publish_stats(e);
	return rc;
}

uint64_t
rsw_engine_pending(const rsw_engine *e)
{
	return e->next_seq - e->poll_seq;
}

void
rsw_engine_stats(const rsw_engine *e, rsw_stats *out)
{
	size_t bytes;
	uint64_t seq;

	/* Acquire loads throughout: each keeps what follows it after it, so
	 * the words are read after the first look at seq and before the
	 * second (publish_stats).  How many worker entries there are is read
	 * in the same copy. */
	do {
		while ((seq = __atomic_load_n(&e->board.seq, __ATOMIC_ACQUIRE)) & 1)
			ck_pr_stall();
		bytes = offsetof(rsw_stats, workers);
		for (size_t i = 0; i < bytes / sizeof(uint64_t); i++) {
			uint64_t w = __atomic_load_n(&e->board.words[i], __ATOMIC_ACQUIRE);

			memcpy((char *)out + i * sizeof w, &w, sizeof w);
			if (i + 1 == bytes / sizeof(uint64_t))
				bytes = stats_bytes(out->nworkers <= 256 ? out->nworkers : 256);
		}
	} while (__atomic_load_n(&e->board.seq, __ATOMIC_RELAXED) != seq);
	memset((char *)out + bytes, 0, sizeof *out - bytes);
	if (e->ex != NULL)
		return;
	/* The pids are for display: a relaxed load, possibly a moment old. */
	if (!e->serial)
		for (uint32_t w = 0; w < out->nworkers && w < e->arena.layout.nslots; w++)
			out->workers[w].pid = (int32_t)ck_pr_load_32(
			    &rsw__worker_slot(&e->arena, w)->pid);
}

const char *
rsw_engine_arena_name(const rsw_engine *e)
{
	return e->serial || e->ex != NULL ? NULL : e->arena.name;
}

int
rsw_engine_supervisor_pid(const rsw_engine *e)
{
	return (int)e->sup_pid;
}

void
rsw_engine_drain(rsw_engine *e)
{
	if (e->draining)
		return;
	e->draining = 1;
	if (e->ex != NULL)
		e->ex->drain(e->ex_self);
	else
		skip_unstarted(e, e->poll_seq);
	publish_stats(e);
}

void
rsw_engine_cancel(rsw_engine *e)
{
	e->cancel = 1;
}

void
rsw__engine_set_seq_base(rsw_engine *e, uint64_t base)
{
	e->seq_base = base;
}

const rsw_config *
rsw_engine_config(const rsw_engine *e)
{
	return &e->cfg;
}

static void
stop_supervisor(rsw_engine *e)
{
	struct pollfd p;

	if (e->arena.hdr != NULL) {
		/* Workers and supervisor stop taking work at once. */
		ck_pr_store_32(&e->arena.hdr->shutdown, 1);
		ck_ec32_inc(&e->arena.hdr->task_ec, &rsw__ec_sp);
	}
	rsw__fd_close(e->ctl_fd);
	e->ctl_fd = -1;
	if (e->sup_pid_only && e->sup_pid > 0) {
		/* No pidfd to wait on: look for its exit every millisecond
		 * through the same grace, then SIGKILL it (our child, not yet
		 * reaped, so the pid is still its own -- unless the
		 * application reaps children itself: ECHILD, gone). */
		uint64_t until = rsw__mono_ns() + CLOSE_GRACE_NS;
		pid_t got;

		while ((got = waitpid(e->sup_pid, NULL, WNOHANG)) == 0 &&
		       rsw__mono_ns() < until)
			(void)poll(NULL, 0, 1);
		if (got == 0) {
			kill(e->sup_pid, SIGKILL);
			waitpid(e->sup_pid, NULL, 0);
		}
		e->sup_pid = 0;
		return;
	}
	if (e->sup_pidfd < 0)
		return;
	/* EOF on the control pipe makes the supervisor kill and reap its
	 * workers and exit.  Should the EOF not come (a process the
	 * application forked holds the pipe), the wait is bounded and the
	 * supervisor SIGKILLed through the pidfd (never a recycled pid; the
	 * workers then die through PR_SET_PDEATHSIG). */
	p.fd = e->sup_pidfd;
	p.events = POLLIN;
	if (poll(&p, 1, (int)(CLOSE_GRACE_NS / 1000000)) != 1)
		syscall(SYS_pidfd_send_signal, e->sup_pidfd, SIGKILL, NULL, 0);
	waitpid(e->sup_pid, NULL, 0);
	rsw__fd_close(e->sup_pidfd);
	e->sup_pidfd = -1;
	e->sup_pid = 0;
}

void
rsw_engine_close(rsw_engine *e)
{
	if (e == NULL)
		return;
	if (e->ex != NULL) {
		e->ex->close(e->ex_self);
	} else if (!e->serial) {
		/* Sets the shutdown flag and wakes the workers: threads end
		 * their loop (after the task they run) and their fini. */
		stop_supervisor(e);
		rsw__threads_join(e->threads);
	} else if (e->serial_init_done && e->obj.worker_fini != NULL) {
		e->obj.worker_fini(e->obj.ctx, -1);
	}
	if (e->ext != NULL) {
		for (uint32_t i = 0; i < e->cfg.external_slots; i++)
			rsw__fd_close(e->ext[i].pidfd);
		free(e->ext);
	}
	rsw__arena_destroy(&e->arena);
	free(e->fl);
	free(e->params);
	free(e->metrics);
	free(e->messages);
	free(e->requeue);
	free(e->ex_results);
	free(e->ex_stats);
	free(e->result_head);
	free(e->watch);
	free(e->suspicions);
	free(e);
}
