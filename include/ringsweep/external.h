/*
 * ringsweep/external.h - a worker started by hand (or by a batch system)
 * that joins a running sweep opened with rsw_config.external_slots > 0.
 *
 *   rsw_external *x;
 *   rsw_external_attach(&x, "/ringsweep-...");      validates the arena
 *   ... set up the objective named by rsw_external_objective(x) ...
 *   rsw_external_run(x, &objective);                until the sweep ends
 *   rsw_external_detach(x);
 *
 * The join takes a free external slot with one CAS, records this process
 * (pid and start time, so a recycled pid is never taken for it) and an
 * incarnation, runs the objective's worker_init, then the same worker
 * loop a supervised worker runs.  The driver watches the process through
 * a pidfd: if it dies, what it held is re-queued as for any worker.  An
 * external worker has no deadline (nothing here can kill it at one).
 */
#ifndef RINGSWEEP_EXTERNAL_H
#define RINGSWEEP_EXTERNAL_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsw_external rsw_external;

/* 0, or RSW_EINVAL (not an arena name), RSW_ENOENT, RSW_EARENA,
 * RSW_EVERSION, RSW_ECORRUPT, RSW_EPERM, RSW_ESHM, RSW_ENOMEM. */
RSW_EXTERN int rsw_external_attach(rsw_external **out, const char *arena_name);

/* What the sweep evaluates: a built-in objective's name ("" when the
 * sweep's objective cannot be rebuilt elsewhere), and the argument its
 * driver recorded (for ma_cross: "DATA_PATH\nCOLUMN"). */
RSW_EXTERN const char *rsw_external_objective(const rsw_external *x);
RSW_EXTERN const char *rsw_external_objective_arg(const rsw_external *x);

/* Joins and evaluates tasks until the sweep ends.  Returns 0, RSW_EFULL
 * (no free external slot), or RSW_EINIT when worker_init failed. */
RSW_EXTERN int rsw_external_run(rsw_external *x, const rsw_objective *obj);

RSW_EXTERN void rsw_external_detach(rsw_external *x);

#ifdef __cplusplus
}
#endif
#endif
