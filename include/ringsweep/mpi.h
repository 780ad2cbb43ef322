/*
 * ringsweep/mpi.h - the MPI backend: one sweep over several machines.
 * libringsweep_mpi, built when CMake finds MPI (RSW_HAVE_MPI in the
 * `ringsweep` command); link it with libringsweep and your MPI.
 *
 * Rank 0 is the driver: algorithm, sequencer, store, progress, exactly as
 * a local sweep, with its engine opened over rsw_mpi_executor.  Every
 * other rank is a node agent: it runs the shared-memory engine
 * (supervisor, workers, arena) on its machine's cores and evaluates the
 * tasks rank 0 sends it.  One agent per machine (mpirun --map-by
 * ppr:1:node, srun --ntasks-per-node=1).  The results are the local
 * run's, byte for byte: the sequencer commits in sequence order whatever
 * machine a task ran on.
 *
 *   rsw_mpi_init(&argc, &argv);
 *   if (rsw_mpi_rank() == 0) {
 *       c.executor = rsw_mpi_executor; c.executor_ctx = &mpi_opts;
 *       rsw_sweep_open(&sw, &c, ...) ... rsw_sweep_run ... rsw_sweep_close;
 *       (or, when there is no sweep to run after all: rsw_mpi_release())
 *   } else {
 *       rsw_mpi_serve(&node_cfg, err, sizeof err);   until rank 0 is done
 *   }
 *   rsw_mpi_finalize();
 *
 * Transport: tasks go out in batches sized from measured task times,
 * under per-node credit (~10 ms of work per worker outstanding), with
 * MPI_Isend; results come back the same way.  No wait for tasks or
 * results is a blocking MPI call (Open MPI's busy-poll): waits are
 * MPI_Iprobe plus a bounded sleep, so an oversubscribed node's CPUs go to
 * the workers.  The few small set-up messages (the spec, an agent's
 * answer) are plain sends.  At the end rank 0 tells every agent to stop
 * and drops what they still send until each has answered: nothing of one
 * sweep reaches the next run in the same job.  Messages are raw bytes:
 * every rank runs the same build on the same architecture.
 *
 * Failures: a worker crash, timeout or retry is handled on its node; a
 * node whose engine fails (a crash loop) fails the sweep with its rank and
 * host named.  A rank that dies ends the MPI job (MPI's own semantics):
 * rank 0 then stops at once, keeps every committed row in the store, and
 * `--resume` continues with any number of ranks or locally.
 *
 * All calls from the thread that called rsw_mpi_init.
 */
#ifndef RINGSWEEP_MPI_H
#define RINGSWEEP_MPI_H

#include <stddef.h>

#include "node.h"
#include "sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MPI_Init_thread (funneled: only this thread calls MPI), unless MPI is
 * initialised already (mpi4py); argc/argv may be NULL.  0, or RSW_ESYS.
 * rsw_mpi_finalize finalises only what rsw_mpi_init initialised. */
RSW_EXTERN int rsw_mpi_init(int *argc, char ***argv);
RSW_EXTERN int rsw_mpi_rank(void);
RSW_EXTERN int rsw_mpi_size(void);
/* The name of this rank's machine (MPI_Get_processor_name). */
RSW_EXTERN const char *rsw_mpi_host(void);
RSW_EXTERN void rsw_mpi_finalize(void);

typedef struct rsw_mpi_options {
	int driver_workers; /* workers on rank 0 too (0: it only drives) */
	int driver_idle;    /* their idle mode (enum rsw_idle_mode) */
} rsw_mpi_options;

/* Rank 0: the executor for rsw_sweep_config.executor (ctx: an
 * rsw_mpi_options, or NULL).  Sends every agent the sweep's node spec and
 * waits until each has loaded the objective and started its engine; an
 * agent that cannot (a data file missing on its machine) is named in
 * err, RSW_EINVAL. */
RSW_EXTERN int rsw_mpi_executor(void *ctx, const rsw_sweep *sw,
				const rsw_config *engine,
				const rsw_executor_ops **ops, void **self,
				char *err, size_t errlen);

/* Rank 0, when it will not run a sweep (bad input, --help): tells the
 * agents waiting in rsw_mpi_serve to return. */
RSW_EXTERN void rsw_mpi_release(void);

/* Ranks > 0: serves rank 0's sweep with this node's execution settings
 * until rank 0 is done.  0, also when rank 0 ran no sweep or this node
 * could not join (rank 0 reports that); RSW_ECANCELED after
 * rsw_mpi_serve_stop; RSW_EREMOTE when rank 0 spoke out of turn. */
RSW_EXTERN int rsw_mpi_serve(const rsw_node_config *cfg, char *err,
			     size_t errlen);

/* rsw_mpi_serve in its steps, for a program that must do something around
 * the fork (an interpreter: the Python module):
 *   await   waits for rank 0's spec (*out NULL: rank 0 runs no sweep);
 *   start   loads the objective and starts the engine (forks the workers),
 *           tells rank 0 whether it could (a refusal is rank 0's to
 *           report: run then only waits for its stop);
 *   run     evaluates rank 0's tasks until it is done;
 *   close   stops the engine, frees. */
typedef struct rsw_mpi_agent rsw_mpi_agent;
RSW_EXTERN int rsw_mpi_agent_await(rsw_mpi_agent **out, char *err,
				   size_t errlen);
RSW_EXTERN int rsw_mpi_agent_start(rsw_mpi_agent *a, const rsw_node_config *cfg,
				   char *err, size_t errlen);
RSW_EXTERN int rsw_mpi_agent_run(rsw_mpi_agent *a, char *err, size_t errlen);
RSW_EXTERN void rsw_mpi_agent_close(rsw_mpi_agent *a);

/* Makes rsw_mpi_serve stop its engine and return (async-signal-safe: a
 * SIGTERM handler, as when mpirun tears a job down). */
RSW_EXTERN void rsw_mpi_serve_stop(void);

#ifdef __cplusplus
}
#endif
#endif
