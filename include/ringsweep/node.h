/*
 * ringsweep/node.h - a remote node of a sweep: what the driver tells it,
 * and the local engine it runs from that.
 *
 * A sweep spread over machines (the MPI backend, mpi.h) has one driver,
 * which owns the algorithm, the sequencer and the store, and nodes that
 * evaluate.  The driver's rsw_sweep_node_spec() is everything a node
 * needs, as one JSON text: the sweep's description (the objective with
 * absolute paths, the policies that change results), the fingerprints of
 * the files it reads, and the engine's sizes.  rsw_node_open() rebuilds
 * the objective from it, checks that this machine reads the very same
 * files (a missing or different data file is refused, naming it), and
 * opens a local engine: the node's own workers, supervisor, arena, with
 * the driver's policies and the node's execution settings.  A worker
 * crash, a timeout or a retry is then handled on the node, as locally.
 *
 * The transport (moving tasks and results) is the caller's.
 */
#ifndef RINGSWEEP_NODE_H
#define RINGSWEEP_NODE_H

#include <stddef.h>

#include "engine.h"
#include "objectives.h"
#include "sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a node needs to evaluate sw's tasks (malloc'd JSON; free it), or
 * NULL when out of memory. */
RSW_EXTERN char *rsw_sweep_node_spec(const rsw_sweep *sw);

typedef struct rsw_node rsw_node;

typedef struct rsw_node_config {
	/* The node's execution settings: workers (>= 1), idle, pin, nice,
	 * max_batch, recycle_after, soft_mem, ring_capacity.  The rest
	 * (timeouts, attempts, memory limit, sizes) is the driver's. */
	rsw_config exec;
	/* A sweep whose objective is a C function of the program (every
	 * rank runs the same program): that function, under the label the
	 * driver recorded.  NULL for any other objective. */
	const rsw_objective_spec *function;
} rsw_node_config;

/* Defaults: the engine's, with as many workers as CPUs. */
RSW_EXTERN void rsw_node_config_init(rsw_node_config *c);

/* Loads the objective the spec describes, checks its files, starts the
 * local engine.  0, or an RSW_E... code with one sentence in err. */
RSW_EXTERN int rsw_node_open(rsw_node **out, const char *spec,
			     const rsw_node_config *cfg, char *err,
			     size_t errlen);

/* The node's engine: submit with rsw_engine_submit_batch_as, poll. */
RSW_EXTERN rsw_engine *rsw_node_engine(rsw_node *n);

/* Stops the engine, unloads the objective, frees (NULL-safe). */
RSW_EXTERN void rsw_node_close(rsw_node *n);

#ifdef __cplusplus
}
#endif
#endif
