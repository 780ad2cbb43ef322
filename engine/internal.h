/*
 * engine/internal.h - what the engine's files share and nothing outside the
 * engine may use: process entry points and exit codes.
 */
#ifndef RSW_ENGINE_INTERNAL_H
#define RSW_ENGINE_INTERNAL_H

#include "arena.h"
#include "ringsweep/engine.h"

/* Exit codes a worker process uses for its own reasons (the supervisor
 * reports them; they never reach a user as a task status by themselves). */
enum {
	RSW_WORKER_EXIT_OK = 0,
	RSW_WORKER_EXIT_ATTACH = 70, /* could not attach the arena */
	RSW_WORKER_EXIT_INIT = 71,   /* worker_init() failed */
	RSW_WORKER_EXIT_ORPHAN = 72, /* parent died during start-up */
	RSW_WORKER_EXIT_RECYCLE = 73, /* done its tasks or past its soft memory
					 limit: replace me (between tasks) */
	RSW_WORKER_EXIT_DAMAGED = 74, /* the arena's header is damaged: no
					 worker can start on it */
};

/* One worker: what its loop needs and what it keeps for itself (a worker
 * process would hold these in statics; thread-mode workers share one
 * process).  The caller fills the first block. */
struct rsw__worker {
	rsw_arena *a;
	const rsw_objective *obj;
	uint32_t slot;
	uint32_t incarnation;
	uint64_t recycle_after; /* 0: never */
	uint64_t soft_mem;	/* 0: none */
	int in_thread;		/* a thread of the host (never replaced) */
	uint32_t cpus;		/* CPUs it may run on as inherited, before any
				   pinning (0: read them at the loop's start) */
	/* The loop's own: */
	struct rsw_worker_slot *ws;
	uint32_t result_tail;	/* producer index of its result ring (ring.h) */
	uint32_t task_gen;	/* the seqlock generation it last published */
	/* Adaptive idle: how long its last waits for work lasted (ns, a
	 * ring; 0 = not seen yet) and where the next goes. */
	uint64_t waits[8];
	uint32_t next_wait;
	uint64_t pending_wait;	/* the last wait, until its take tells whether
				   the work was ours */
	int may_spin_long;	/* the workers and the driver fit on the CPUs */
};

/* CPUs the calling thread may run on (its affinity mask), at least 1. */
uint32_t rsw__usable_cpus(void);

/* Runs the worker loop until shutdown; returns the exit code a worker
 * process should use (RSW_WORKER_EXIT_OK or _RECYCLE). */
int rsw__worker_loop(struct rsw__worker *w);

/* Thread mode (engine/threads.c): starts cfg->workers threads running the
 * worker loop on arena `a` and returns once each one's worker_init has
 * answered: 0, or RSW_EINIT / RSW_ESYS -- after which, as after 0, the
 * caller sets the arena's shutdown flag, wakes the workers and joins. */
struct rsw__threads;
int rsw__threads_start(struct rsw__threads **out, rsw_arena *a,
		       const rsw_objective *obj, const rsw_config *cfg);
/* Waits for every thread to end (each runs worker_fini first); frees. */
void rsw__threads_join(struct rsw__threads *p);

/* Entry point of the supervisor process; never returns. */
_Noreturn void rsw__supervisor_main(const char *arena_name, int ctl_fd,
				    pid_t driver_pid, const rsw_objective *obj,
				    const rsw_config *cfg);

/* Evaluates one task in the calling process (serial mode and workers);
 * start_ns is when the attempt started (CLOCK_MONOTONIC).  A failure's
 * text goes to message (message_max bytes; none when 0), its length to
 * res->message_len. */
void rsw__evaluate(const rsw_objective *obj, const double *params,
		   uint32_t nparams, const rsw_task_info *info,
		   double *metrics, char *message, uint32_t message_max,
		   uint64_t start_ns, struct rsw_result_desc *res);

/* Descriptors the driver holds for an engine (engine/fds.c): registered
 * when made, closed with rsw__fd_close; a process an engine forks closes
 * all of them first. */
void rsw__fd_own(int fd);
void rsw__fd_close(int fd);
void rsw__fd_close_all_owned(void);
/* In a freshly forked worker: closes every descriptor above 2 but the
 * nkeep in keep (what close_inherited_fds asks for).  0, or -1 when
 * /proc/self/fd cannot be read (nothing is closed then). */
int rsw__fd_close_inherited(const int *keep, uint32_t nkeep);

/* Processes (engine/procs.c).  SIGKILLs every child of this process except the nkeep pids in keep (its
 * workers) and reaps those gone: what tasks left behind that this process,
 * a child subreaper, adopted.  Returns how many. */
int rsw__kill_children(const pid_t *keep, uint32_t nkeep);
/* Whether the process group pgid is one this process may kill for
 * `worker`: its leader is alive, leads pgid, and is a child of `worker`
 * or (the worker gone) of this process. */
int rsw__group_of_worker(pid_t pgid, pid_t worker);

/* From now on the objective is told seq + base (mod 2^64) for the task
 * submitted as seq: rsw_run numbers its tasks from its own first one,
 * replayed ones included, whatever the engine ran before. */
void rsw__engine_set_seq_base(rsw_engine *e, uint64_t base);

#endif
