/*
 * ringsweep/executor.h - an engine whose tasks are evaluated elsewhere: the
 * seam a transport (the MPI backend, mpi.h) plugs into.
 *
 * rsw_engine_open_executor() returns an ordinary rsw_engine handle: submit,
 * poll in sequence order, drain, stats, close, and rsw_run() on top, exactly
 * as for the engine's own workers.  What it keeps is the driver's part: the
 * private copy of every task in flight, the reorder into sequence order,
 * the count of what is committed.  What it hands to the executor is the
 * transport: tasks out, finished results back, in any order.
 *
 * A result from an executor counts only if its seq is one the engine gave
 * it and has not had a result yet: a duplicate, a stranger or a status no
 * evaluation can end with fails the engine with RSW_EREMOTE rather than
 * become a row.  (That a result with a valid seq carries that task's value
 * is the transport's to ensure: the MPI backend's results are checked to
 * come from the rank their task was sent to, and each sweep's traffic is
 * over before the next one starts.)  Retries, timeouts and worker crashes are the executor's business
 * (a remote node runs its own engine, which handles them as locally): a
 * result it returns is final.
 *
 * All callbacks run on the thread driving the engine.
 */
#ifndef RINGSWEEP_EXECUTOR_H
#define RINGSWEEP_EXECUTOR_H

#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsw_executor_ops {
	/* Takes tasks first_seq .. first_seq + n - 1 (params: n x nparams,
	 * copied before the call returns); the objective is to be told
	 * shown_seq + i for task first_seq + i.  Non-blocking: returns how
	 * many it took, 0 .. n (0: no room now, poll first), or a negative
	 * RSW_E... code (then errmsg says why). */
	int (*submit)(void *self, uint64_t first_seq, uint64_t shown_seq,
		      const double *params, uint32_t nparams, uint32_t n);
	/* Up to max finished results, any order, each with the seq it was
	 * submitted as; waits up to timeout_ms (>= 0) while none is ready.
	 * Metrics are copied from out[i].metrics; out[i].message must stay
	 * valid until the next call.  Returns 0 .. max, or a negative code. */
	int (*poll)(void *self, rsw_result *out, uint32_t max, int timeout_ms);
	/* Graceful stop: tasks not started come back as RSW_STATUS_SKIPPED,
	 * running ones finish, nothing is retried any more. */
	void (*drain)(void *self);
	/* Adds the executor's own counters (deaths, retries, timeouts, its
	 * workers) to *st, which holds the engine's. */
	void (*stats)(void *self, rsw_stats *st);
	/* The last failure as one sentence ("" if none). */
	const char *(*errmsg)(void *self);
	/* Stops everything it runs, frees self. */
	void (*close)(void *self);
} rsw_executor_ops;

/*
 * An engine over `ops`: cfg gives max_inflight, max_params, max_metrics,
 * max_message, on_error and crash_loop_failures (the other fields are the
 * executor's to honour).  The engine owns self from here on: close (and
 * a failed open) call ops->close(self).
 */
RSW_EXTERN int rsw_engine_open_executor(rsw_engine **out, const rsw_config *cfg,
					const rsw_executor_ops *ops, void *self);

/* The executor's last failure for an engine opened over one, else NULL. */
RSW_EXTERN const char *rsw_engine_executor_errmsg(const rsw_engine *e);

#ifdef __cplusplus
}
#endif
#endif
