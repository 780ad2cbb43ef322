/*
 * ringsweep/engine.h - the execution engine: submit evaluations, poll their
 * results in sequence order.
 *
 * An engine owns one shared-memory arena, one supervisor process and its
 * worker processes (or none, in serial mode).  The objective is a plain C
 * function; the engine forks the supervisor after rsw_engine_open() has been
 * called, so whatever the objective's context points at (data loaded once) is
 * shared copy-on-write by every worker: a worker restart costs a fork, not a
 * reload.
 *
 * Thread mode (config.mode = RSW_MODE_THREADS) runs the workers as threads
 * of the calling process instead, on the same rings with the same
 * sequencer: results are the same, byte for byte, and the objective sees
 * the host's live memory (new data without a reopen) -- so it must be
 * thread-safe.  What it gives up is isolation: an objective that crashes
 * takes the host down with it, a hang cannot be killed (no timeout_s: a
 * deadline can only be the objective's own), and there is no hard memory
 * limit (no max_mem, soft_mem, recycle_after); those options, nice,
 * external_slots and close_inherited_fds are refused in thread mode.
 * Closing waits for the tasks that are running to end.  Worker threads
 * block the asynchronous signals (the host's handlers run on its own
 * threads); a process an objective starts inherits that mask, so reset it
 * in the child (posix_spawnattr_setsigmask; --cmd objectives do).
 *
 * Fork safety (process mode): workers are forks of the thread that opened
 * the engine, made while other threads of the host may hold locks (malloc's
 * are made safe by glibc; a lock of the host's own is not).  An objective
 * or worker_init that takes a lock another host thread may hold at that
 * moment hangs; the start-up watchdog (startup_timeout_s) turns that into
 * RSW_ESTARTUP instead of a hang.  Every descriptor the engine creates is
 * close-on-exec; close_inherited_fds closes the host's in the workers.
 *
 * Thread safety: one engine handle is driven by one thread at a time
 * (submit, poll, drain, close); rsw_engine_stats may be called from any
 * thread at any time.  The handle must be opened by a thread that
 * outlives the engine: PR_SET_PDEATHSIG, which ties the supervisor to the
 * driver, fires when the *forking thread* exits.
 */
#ifndef RINGSWEEP_ENGINE_H
#define RINGSWEEP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_MAX_PARAMS_LIMIT 64
#define RSW_MAX_METRICS_LIMIT 32
#define RSW_MAX_MESSAGE_LIMIT 4096

/* How an evaluation ended.  Stored in results; never reordered (ABI). */
enum rsw_status {
	RSW_STATUS_OK = 0,
	RSW_STATUS_ERROR = 1,	/* the objective returned non-zero */
	RSW_STATUS_CRASH = 2,	/* the worker died of a signal (SIGSEGV...) */
	RSW_STATUS_TIMEOUT = 3, /* killed at its deadline */
	RSW_STATUS_EXIT = 4,	/* the worker exited during the task */
	RSW_STATUS_KILLED = 5,	/* killed from outside (SIGKILL/SIGTERM not ours, OOM) */
	RSW_STATUS_CPULIMIT = 6, /* SIGXCPU */
	RSW_STATUS_SKIPPED = 7, /* canceled before it ran */
	RSW_STATUS_OOM = 8,	/* the memory limit: the objective's allocation
				   failed (it returned error_code ENOMEM) or
				   its worker died at the limit */
	RSW_STATUS_INFEASIBLE = 9, /* the objective said the point cannot be
				      evaluated (RSW_EVAL_INFEASIBLE): not a
				      failure, never retried */
	RSW_STATUS_PRUNED = 10,	/* stopped early by a pruner (RSW_EVAL_PRUNED):
				   not a failure, never retried; its value is
				   the last one it reported, detail the step */
	RSW_STATUS_COUNT_
};

RSW_EXTERN const char *rsw_status_name(int status);

/* Whether a status is a failure: not ok, infeasible, pruned or skipped. */
RSW_EXTERN bool rsw_status_failed(int status);

enum rsw_idle_mode {
	RSW_IDLE_SLEEP = 0,    /* spin ~10 us, then sleep on a futex */
	RSW_IDLE_SPIN = 1,     /* never sleep: lowest latency, burns the cores */
	RSW_IDLE_ADAPTIVE = 2, /* the default: each worker learns how long it
				  waits for work (the 75th percentile of its
				  last 8 waits); while that is at most 1 ms it
				  spins up to twice as long before sleeping, so
				  tasks that come every few hundred
				  microseconds find it awake; longer waits, or
				  a stream that stopped, sleep as above */
};

enum rsw_on_error {
	RSW_ON_ERROR_SKIP = 0, /* commit the failure, go on */
	RSW_ON_ERROR_FAIL = 1, /* stop at the first permanently failed task:
				  nothing after it starts once the driver has
				  seen the failure (a failed result wakes it),
				  what runs finishes; rsw_run commits nothing
				  after it */
};

/* What the objective sees of the task it evaluates. */
typedef struct rsw_task_info {
	uint64_t seq;	   /* sequence number, 0-based: the submission's;
			      under rsw_run (and a sweep) the run's own,
			      so a resumed run tells each evaluation the
			      seq it has in the uninterrupted one */
	uint32_t attempt;  /* 1 for the first attempt */
	int32_t worker;	   /* worker index, -1 in serial mode */
	/* Intermediate values, for pruning (NULL when nothing listens): see
	 * rsw_task_report. */
	int (*report)(const struct rsw_task_info *task, uint32_t step,
		      double value);
	void *report_ctx;
} rsw_task_info;

/*
 * An objective that computes in steps (a walk-forward backtest year by
 * year, a training loop epoch by epoch) reports its value after each:
 * the answer is 1 when a pruner says the evaluation should stop (then
 * return RSW_EVAL_PRUNED, or anything: it is pruned either way, its
 * value the last one reported), 0 to go on.  Steps count from 0, one
 * after the other.  Without a pruner the call costs a branch.
 */
static inline int
rsw_task_report(const rsw_task_info *task, uint32_t step, double value)
{
	return task->report != NULL ? task->report(task, step, value) : 0;
}

/* Written by the objective. */
typedef struct rsw_eval_out {
	double value;
	uint32_t nmetrics;		/* <= config.max_metrics */
	double *metrics;		/* room for config.max_metrics values */
	int32_t error_code;		/* free-form, stored with RSW_STATUS_ERROR */
	/* Why a failed evaluation failed, for people: a NUL-terminated
	 * text of at most message_max bytes, NUL included (longer text is
	 * cut).  NULL (message_max 0) unless config.max_message asks for
	 * it; ignored when the evaluation succeeds. */
	char *message;
	uint32_t message_max;
} rsw_eval_out;

/* What an objective returns for a point that has no meaning (a fast
 * window not shorter than the slow one): status infeasible, not a failure,
 * never retried; a model-based algorithm learns to avoid the region. */
#define RSW_EVAL_INFEASIBLE 0x494e46 /* "INF" */

/* What an objective returns when rsw_task_report told it to stop: status
 * pruned, its value and metrics kept (value: the last one reported, set
 * by the sweep's pruner), detail the step it reached. */
#define RSW_EVAL_PRUNED 0x505255 /* "PRU" */

/*
 * The objective: evaluates one parameter vector.  Returns 0 on success and
 * fills out->value; RSW_EVAL_INFEASIBLE for a point that cannot be
 * evaluated; other non-zero marks the task failed (RSW_STATUS_ERROR).  It
 * runs inside a worker process: it may crash or hang; the engine copes.
 */
typedef int (*rsw_objective_fn)(void *ctx, const double *params,
				uint32_t nparams, const rsw_task_info *task,
				rsw_eval_out *out);

/* Optional per-worker set-up: run once in each worker process after its
 * fork (again in each replacement), once in each thread-mode worker
 * thread, and once in the opening thread in serial mode (worker -1, the
 * index serial tasks see).  Non-zero return: a worker process exits
 * (counted toward the crash-loop limit); in thread and serial mode
 * rsw_engine_open fails with RSW_EINIT. */
typedef int (*rsw_worker_init_fn)(void *ctx, int worker);

/* Optional per-worker tear-down, the pair of a successful worker_init: run
 * when a worker ends in order -- replaced between tasks (recycle_after,
 * soft_mem), or stopped by rsw_engine_close while idle or within a grace
 * of 1 s -- before a worker process exits (it does not flush stdio: do it
 * here), in each worker thread, and in serial mode at close.  Not run for
 * a worker that dies or is killed (crash, deadline, memory limit). */
typedef void (*rsw_worker_fini_fn)(void *ctx, int worker);

/*
 * For objectives that start processes (an external backtest): register the
 * process group the current task runs in (0 when it is over).  If the task
 * passes its deadline, or the worker dies, the supervisor SIGKILLs that
 * whole group too, so no grandchild outlives its task.  A no-op outside a
 * worker process.
 */
RSW_EXTERN void rsw_worker_set_child_group(int pgid);

typedef struct rsw_objective {
	rsw_objective_fn eval;
	rsw_worker_init_fn worker_init; /* may be NULL */
	void *ctx;
	rsw_worker_fini_fn worker_fini; /* may be NULL */
} rsw_objective;

/* Where workers run (rsw_config.mode). */
enum rsw_mode {
	RSW_MODE_PROCESSES = 0, /* forked processes under a supervisor: a
				   crash, hang or leak costs one task */
	RSW_MODE_THREADS = 1,	/* threads of the host: no fork, live memory,
				   no isolation (see the top of this file) */
};

typedef struct rsw_config {
	int workers;		 /* >= 1; 0 means serial (in-process) */
	int idle;		 /* enum rsw_idle_mode */
	double timeout_s;	 /* per-task deadline; 0 = none */
	uint32_t max_attempts;	 /* >= 1; tries per task */
	int retry_errors;	 /* also retry RSW_STATUS_ERROR (the objective's own
				    failure, usually deterministic); crashes,
				    timeouts, exits, kills and OOM are always
				    retried while attempts remain */
	int on_error;		 /* enum rsw_on_error */
	uint32_t crash_loop_deaths;   /* R consecutive worker deaths (crashes,
					 exits) with no task completed between
					 them; for deadline kills max(R, 2 x
					 workers), a task retried after its
					 own timeout counted once */
	uint32_t crash_loop_failures; /* R consecutive tasks failed for good by
					 worker deaths (crash, exit, kill) */
	uint32_t max_inflight;	 /* power of two: tasks in flight + awaiting poll */
	uint32_t ring_capacity;	 /* power of two: task descriptors in the ring */
	uint32_t max_params;	 /* <= RSW_MAX_PARAMS_LIMIT */
	uint32_t max_metrics;	 /* <= RSW_MAX_METRICS_LIMIT */
	uint32_t max_message;	 /* bytes of failure text an objective may
				    report (rsw_eval_out.message), NUL
				    included; 0 = none; <= RSW_MAX_MESSAGE_LIMIT */
	uint32_t max_batch;	 /* tasks per descriptor cap; 1 disables batching */
	uint32_t external_slots; /* extra slots for `ringsweep worker --arena` */
	int pin;		 /* pin worker i to online CPU i mod ncpu */
	int nice;		 /* workers' nice level, 0 .. 19 */
	uint64_t recycle_after;	 /* a worker is replaced after N tasks; 0 = never */
	uint64_t max_mem;	 /* hard per-worker limit on the memory a worker
				    adds to what it inherited, bytes; 0 = none.
				    RLIMIT_DATA fails private allocations past
				    it; the supervisor SIGKILLs a worker whose
				    private memory (VmData, as that limit
				    counts it) plus resident shared memory
				    (MAP_SHARED, memfd) passes it (read every
				    10 ms), so private growth always ends as a
				    failed allocation.  Either way:
				    RSW_STATUS_OOM */
	uint64_t soft_mem;	 /* replace a worker, between tasks, once its heap
				    passes this many bytes; 0 = none */
	const char *objective_name; /* recorded in the arena for external workers */
	const char *objective_arg;  /* likewise: what they need to set it up
				       (at most 1023 bytes) */
	int close_inherited_fds; /* workers close every descriptor they
				    inherited from the host (a listening
				    socket, a database, a pipe) except 0, 1,
				    2 and keep_fds, before worker_init */
	const int *keep_fds;	 /* descriptors the objective needs: kept
				    (the array is read at open) */
	uint32_t nkeep_fds;	 /* entries in keep_fds, at most 1024 */
	double startup_timeout_s; /* a worker that has not reached its task
				     loop this long after its fork (hung in
				     worker_init, or on a lock another thread
				     of the host held at fork) is killed and
				     the engine fails with RSW_ESTARTUP instead
				     of waiting for ever; 0 = never.  Default
				     60 s.  Process mode only */
	int mode;		 /* enum rsw_mode; workers >= 1 for threads */
	uint32_t thread_stack_kb; /* thread mode: each worker thread's stack,
				     64 KiB .. 1 GiB; 0 = 8 MiB (the
				     objective's deepest call must fit) */
} rsw_config;

/* Fills *cfg with defaults: 1 worker, adaptive idle, no timeout, 1 attempt,
 * on_error skip, crash loop after 16 deaths / 16 failures, 8192 in flight,
 * 1024 descriptors, 16 params, 0 metrics, batching up to 64 tasks. */
RSW_EXTERN void rsw_config_init(rsw_config *cfg);

/* 0 when rsw_engine_open would accept cfg; else RSW_EINVAL and one
 * sentence naming the field in err (which may be NULL). */
RSW_EXTERN int rsw_config_validate(const rsw_config *cfg, char *err,
				   size_t errlen);

/* A committed evaluation, as poll returns it (sequence order). */
typedef struct rsw_result {
	uint64_t seq;
	int32_t status;		/* enum rsw_status */
	int32_t detail;		/* signal number, exit code or error code */
	double value;		/* NaN unless status == OK */
	uint32_t attempts;
	int32_t worker;		/* who produced the final attempt; -1 if none */
	uint64_t elapsed_ns;	/* of the final attempt */
	uint64_t peak_kb;	/* peak RSS of the worker that ran it, after it
				   (0 when not read: tasks under 50 us) */
	uint32_t nmetrics;
	double metrics[RSW_MAX_METRICS_LIMIT];
	/* The objective's text for a failure (config.max_message), or NULL.
	 * From rsw_engine_poll: valid until the next poll or close; inside
	 * rsw_run's callbacks: during the call. */
	const char *message;
} rsw_result;

typedef struct rsw_worker_stats {
	uint64_t tasks;
	uint64_t failures;
	uint64_t restarts;
	uint64_t busy_ns;	/* sum of evaluation times */
	uint64_t max_ns;	/* longest evaluation */
	int32_t pid;		/* the current process in this slot, 0 if none */
} rsw_worker_stats;

typedef struct rsw_stats {
	uint64_t submitted;
	uint64_t committed;
	uint64_t failed;	   /* committed failed (not OK, not skipped) */
	uint64_t skipped;	   /* never started: drained */
	uint64_t retries;	   /* re-queued attempts */
	uint64_t deaths;	   /* worker deaths seen */
	uint64_t killed;	   /* of which by a signal the engine did not send
				      (SIGKILL or SIGTERM from outside) */
	uint64_t requeued;	   /* tasks queued again at no charge: taken but
				      not started by a worker that left or died,
				      or running when a deadline meant for
				      another task killed it */
	uint64_t timeouts;	   /* deadline kills */
	uint64_t max_kill_late_ns; /* worst delay from deadline to SIGKILL */
	uint64_t recycled;	   /* workers replaced by recycle_after/soft_mem */
	uint64_t rejected;	   /* results refused because their check did not
				      match the task (damaged in shared memory):
				      queued again at no charge */
	uint64_t rescued;	   /* tasks the watchdog queued again: stuck in a
				      state no live worker explains */
	uint32_t nworkers;	   /* entries in workers[] */
	rsw_worker_stats workers[256];
} rsw_stats;

typedef struct rsw_engine rsw_engine;

/*
 * Creates the arena, forks the supervisor, which forks the workers.  The
 * objective's context must stay valid until rsw_engine_close().
 */
RSW_EXTERN int rsw_engine_open(rsw_engine **out, const rsw_config *cfg,
		    const rsw_objective *objective);

/*
 * Submits one evaluation.  Non-blocking: RSW_EAGAIN when max_inflight tasks
 * are in flight or committed but not yet polled.  *seq receives its sequence
 * number (consecutive from 0).
 */
RSW_EXTERN int rsw_engine_submit(rsw_engine *e, const double *params, uint32_t nparams,
		      uint64_t *seq);

/* Submits up to n evaluations laid out n x nparams; returns how many were
 * taken (0 .. n) or a negative error. */
RSW_EXTERN int rsw_engine_submit_batch(rsw_engine *e, const double *params,
			    uint32_t nparams, uint32_t n);

/* As rsw_engine_submit_batch, but the i-th task's objective is told
 * shown_seq + i (rsw_task_info.seq) instead of a seq of this engine's: a
 * remote node evaluates its driver's tasks under their own numbers. */
RSW_EXTERN int rsw_engine_submit_batch_as(rsw_engine *e, const double *params,
					  uint32_t nparams, uint32_t n,
					  uint64_t shown_seq);

/*
 * Returns up to max committed results in sequence order (0 .. max), or a
 * negative error (crash loop, dead supervisor, failed task with on_error
 * fail).  timeout_ms: 0 = do not wait, < 0 = wait for at least one result.
 */
RSW_EXTERN int rsw_engine_poll(rsw_engine *e, rsw_result *out, uint32_t max,
		    int timeout_ms);

/* Number of tasks submitted and not yet polled. */
RSW_EXTERN uint64_t rsw_engine_pending(const rsw_engine *e);

/* Copies counters; cheap, no shared-memory trust involved. */
RSW_EXTERN void rsw_engine_stats(const rsw_engine *e, rsw_stats *out);

/* The configuration the engine was opened with. */
RSW_EXTERN const rsw_config *rsw_engine_config(const rsw_engine *e);

/* Name of the arena ("/ringsweep-..."), NULL in serial mode. */
RSW_EXTERN const char *rsw_engine_arena_name(const rsw_engine *e);

/* pid of the supervisor (0 in serial mode), for tests and tools. */
RSW_EXTERN int rsw_engine_supervisor_pid(const rsw_engine *e);

/*
 * Graceful stop: tasks not yet started are never started (they are handed
 * out as RSW_STATUS_SKIPPED), running ones finish and failures are no
 * longer retried; poll keeps delivering until everything submitted is
 * accounted for.  Further submits return RSW_ECANCELED.
 */
RSW_EXTERN void rsw_engine_drain(rsw_engine *e);

/* Asks the engine to stop at the next poll (async-signal-safe). */
RSW_EXTERN void rsw_engine_cancel(rsw_engine *e);

/*
 * Stops workers and supervisor, removes the arena, frees everything.
 * Tasks not yet committed are abandoned.  Always succeeds for a valid e.
 */
RSW_EXTERN void rsw_engine_close(rsw_engine *e);

/* CLOCK_MONOTONIC in nanoseconds: the clock of every duration the engine
 * reports (elapsed_ns, wall times). */
RSW_EXTERN uint64_t rsw_now_ns(void);

/* Removes arenas whose owner process is dead (left by a SIGKILLed driver).
 * Returns how many were removed. */
RSW_EXTERN int rsw_arena_reap_stale(void);

#ifdef __cplusplus
}
#endif
#endif
