/*
 * ringsweep/inspect.h - a read-only view of a running sweep from another
 * process (what `ringsweep top` shows).
 *
 * rsw_inspect_open() maps a sweep's arena read-only after validating it
 * like any attach (a foreign, truncated or corrupt object, or one of
 * another user, is refused); nothing is ever written.  Every figure is a
 * relaxed read of a value its owner updates on its own: each is at most
 * a moment old, and no two are promised to be from the same instant.
 * The per-worker counts are the driver's (the same ones rsw_engine_stats
 * and the final summary report); the running task is read consistently
 * (seq and start time of one task start).
 *
 * Thread safety: an rsw_inspect is used by one thread at a time; any
 * number of inspectors may watch one sweep.
 */
#ifndef RINGSWEEP_INSPECT_H
#define RINGSWEEP_INSPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A worker slot's life, as its process reports it. */
enum rsw_worker_state {
	RSW_WORKER_EMPTY = 0,
	RSW_WORKER_STARTING = 1,
	RSW_WORKER_IDLE = 2,
	RSW_WORKER_BUSY = 3,
	RSW_WORKER_DEAD = 4,
};

/* "empty", "starting", "idle", "busy", "dead" ("?" otherwise). */
RSW_EXTERN const char *rsw_worker_state_name(int state);

typedef struct rsw_arena_view {
	char name[64];		/* "/ringsweep-..." */
	int32_t driver_pid;
	int32_t supervisor_pid;
	bool driver_alive;
	uint32_t nworkers;	/* supervised worker slots */
	uint32_t nslots;	/* supervised + external */
	char objective[64];	/* a built-in's name, or "" */
	uint64_t submitted;	/* as of the driver's last poll */
	uint64_t committed;
} rsw_arena_view;

typedef struct rsw_worker_view {
	uint32_t slot;
	bool external;		/* a `ringsweep worker` slot */
	int32_t pid;		/* 0: none */
	int state;		/* enum rsw_worker_state */
	bool running;		/* a task is being evaluated: */
	uint64_t task_seq;	/*   its sequence number */
	uint64_t running_ns;	/*   and for how long */
	uint64_t tasks;		/* attempts finished in this slot (driver's count) */
	uint64_t failures;	/* of which failed (error, crash, timeout, ...) */
	uint32_t restarts;
} rsw_worker_view;

typedef struct rsw_inspect rsw_inspect;

/* 0, or RSW_EINVAL (not an arena name), RSW_ENOENT, RSW_EARENA,
 * RSW_EVERSION, RSW_ECORRUPT, RSW_EPERM, RSW_ESHM, RSW_ENOMEM. */
RSW_EXTERN int rsw_inspect_open(rsw_inspect **out, const char *arena_name);

/* Fills *arena and up to max worker views (slots with no process ever
 * are left out); returns how many workers were written. */
RSW_EXTERN uint32_t rsw_inspect_read(const rsw_inspect *in,
				     rsw_arena_view *arena,
				     rsw_worker_view *workers, uint32_t max);

RSW_EXTERN void rsw_inspect_close(rsw_inspect *in);

/* Calls fn for each live sweep of this user (arenas whose driver lives);
 * fn returning non-zero stops the walk.  Returns how many were seen. */
RSW_EXTERN int rsw_inspect_list(int (*fn)(void *ctx, const rsw_arena_view *v),
				void *ctx);

#ifdef __cplusplus
}
#endif
#endif
