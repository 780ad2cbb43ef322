/*
 * ringsweep/objective.h - the plugin ABI: an objective written as a shared
 * object that `ringsweep run --objective path/to/x.so[:prefix]` loads.
 *
 * A plugin exports, with PREFIX "rsw_objective_" unless `:prefix` says
 * otherwise (ringsweep/objectives.h loads one from a program):
 *
 *   const int PREFIXabi_version = RSW_OBJECTIVE_ABI_VERSION;     required
 *   int  PREFIXeval(void *state, const double *params, uint32_t n,
 *                   const rsw_task_info *task, rsw_eval_out *out); required
 *   int  PREFIXinit(const char *arg, void **state);               optional
 *   void PREFIXfini(void *state);                                 optional
 *   const char *const PREFIXmetrics[];  NULL-terminated names      optional
 *
 * init receives --objective-arg and runs once, in the ringsweep process,
 * before any worker exists: load data and build caches there.  Worker
 * processes are forked afterwards and inherit whatever init built,
 * copy-on-write, so data is loaded once per sweep, never per task (a
 * worker restarted after a crash inherits it again for the cost of a
 * fork).  A non-zero return stops the sweep before it starts.
 *
 * eval is called once per task in a worker process; it returns 0 and sets
 * out->value (and out->metrics[0 .. nmetrics-1], in the order of
 * PREFIXmetrics), or returns non-zero for a failed evaluation
 * (out->error_code is stored with it).  It may crash or hang: the engine
 * isolates, retries and times it out.
 *
 * fini runs once at the end of the sweep, in the ringsweep process.
 */
#ifndef RINGSWEEP_OBJECTIVE_H
#define RINGSWEEP_OBJECTIVE_H

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_OBJECTIVE_ABI_VERSION 1

typedef int (*rsw_plugin_init_fn)(const char *arg, void **state);
typedef int (*rsw_plugin_eval_fn)(void *state, const double *params,
				  uint32_t nparams, const rsw_task_info *task,
				  rsw_eval_out *out);
typedef void (*rsw_plugin_fini_fn)(void *state);

/* Declares the ABI symbol with the default prefix, for plugin authors. */
#define RSW_OBJECTIVE_PLUGIN \
	RSW_PLUGIN_EXPORT const int rsw_objective_abi_version = \
		RSW_OBJECTIVE_ABI_VERSION

/* The default-prefix symbols a plugin defines (prototypes for its own
 * compilation, exported even when it builds with hidden visibility;
 * ringsweep finds them with dlsym). */
RSW_PLUGIN_EXPORT extern const int rsw_objective_abi_version;
RSW_PLUGIN_EXPORT extern const char *const rsw_objective_metrics[];
RSW_PLUGIN_EXPORT int rsw_objective_init(const char *arg, void **state);
RSW_PLUGIN_EXPORT int rsw_objective_eval(void *state, const double *params,
					 uint32_t nparams,
					 const rsw_task_info *task,
					 rsw_eval_out *out);
RSW_PLUGIN_EXPORT void rsw_objective_fini(void *state);

#ifdef __cplusplus
}
#endif
#endif
