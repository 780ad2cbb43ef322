/*
 * engine/supervisor.c - the supervisor process: forks workers from a zygote
 * image, watches them, kills the ones past their task deadline, classifies
 * every death, restarts, and stops a crash loop.
 *
 * DESIGN
 * The driver forks the supervisor after the objective is set up, so every
 * worker the supervisor forks inherits the objective's data copy-on-write:
 * a restart costs one fork.  The supervisor is single-threaded and never
 * runs user code.
 *
 * Watching: one pidfd per worker in an epoll set, plus the control pipe
 * from the driver (EOF = the driver closed the engine or died).  A pidfd
 * becomes readable when its process exits; the supervisor reaps it with
 * wait4() (for rusage) and only then reports the death on the death ring:
 * a reaped process can write nothing more, which is what lets the driver
 * re-queue its tasks safely.  Where pidfd_open does not exist (kernels
 * before 5.3; valgrind 3.19, which does not know the call), SIGCHLD
 * through a signalfd in the same epoll set wakes the supervisor instead,
 * and every worker is looked at with a non-blocking wait4().
 *
 * Deadlines: when a timeout is configured the supervisor looks at the
 * worker table every 2 ms to learn when tasks start, and sleeps until the
 * earliest deadline exactly (epoll_pwait2, nanosecond timeout), so a task
 * is killed within scheduling jitter of its deadline.
 *
 * Lifetime: PR_SET_PDEATHSIG ties the supervisor to the driver and each
 * worker to the supervisor; both re-check getppid() after prctl() to close
 * the race with a parent that died before it.
 *
 * Crash loop: R consecutive deaths with no task completed in between (the
 * sum of the workers' completion counters did not move) stop the restarts
 * and report RSW_DEATH_CRASH_LOOP.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "ring.h"
#include "util.h"

#define DEADLINE_POLL_NS 2000000ull
#define CTL_TAG UINT64_MAX
#define CHLD_TAG (UINT64_MAX - 1)
/* Distinct tasks remembered among timeouts in a row: beyond that many,
 * every timeout counts (the limit is then far anyway). */
#define TIMEOUT_SEQS_MAX 4096u
/* How long workers stopped in order have to run worker_fini and exit;
 * below the driver's own grace for us (engine.c's CLOSE_GRACE_NS). */
#define FINI_GRACE_NS 1000000000ull

struct child {
	pid_t pid;
	int pidfd;
	uint32_t incarnation;
	uint32_t tracked_gen;	/* task start whose deadline we watch; 0 = none */
	uint64_t seen_ns;	/* when we last read its slot whole */
	uint64_t torn_since;	/* first of the reads since that were torn */
	uint64_t tracked_seq;
	uint32_t tracked_epoch;
	uint64_t deadline_ns;
	int killed;		/* we SIGKILLed it at tracked_seq's deadline */
	uint64_t late_ns;
	uint64_t mem_base;	/* VmData + RssShmem when it was forked */
	int mem_killed;		/* we SIGKILLed it over max_mem */
	uint64_t forked_ns;	/* when we forked it (start-up watchdog) */
	int startup_killed;	/* we SIGKILLed it, still starting */
};

struct supervisor {
	rsw_arena arena;
	const rsw_objective *obj;
	const rsw_config *cfg;
	int epfd, ctl_fd;
	int sigfd;		/* SIGCHLD, where there are no pidfds; else -1 */
	sigset_t worker_mask;	/* the mask before SIGCHLD was blocked */
	uint32_t nworkers;
	struct child *children;
	uint32_t consecutive_deaths;
	uint32_t consecutive_timeouts;
	uint64_t *timeout_seqs;	/* the tasks those were of (at most
				   TIMEOUT_SEQS_MAX kept) */
	uint64_t progress_mark;
	int giving_up;
	uint64_t next_sweep_ns;	/* of orphans: see sweep_orphans */
	uint64_t next_mem_check_ns;
	uint32_t death_tail;	 /* our producer index of the death ring */
	uint32_t last_incarnation; /* the highest we handed out */
	int corrupt;		 /* reported the arena damaged: nothing more */
};

/* Incarnations are handed out in increasing order, far from wrapping: one
 * beyond this is a damaged counter (it would come back to live ones). */
#define INCARNATION_LIMIT 0x7fffffffu

/* How often a worker's memory is read against max_mem. */
#define MEM_CHECK_NS 10000000ull

/* The memory a process holds against max_mem, from /proc/PID/status, in
 * bytes: *data its VmData (private writable memory, resident or not:
 * exactly what RLIMIT_DATA counts) and *shmem its RssShmem (resident
 * shared memory: MAP_SHARED anonymous, memfd, tmpfs).  File pages it only
 * reads (a big data file mapped read-only: the page cache) count in
 * neither.  -1 when they cannot be read (a zombie has no Vm lines). */
static int
memory_of(pid_t pid, uint64_t *data, uint64_t *shmem)
{
	char path[64], line[128];
	unsigned long kb;
	int seen = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmData: %lu kB", &kb) == 1) {
			*data = (uint64_t)kb * 1024u;
			seen |= 1;
		} else if (sscanf(line, "RssShmem: %lu kB", &kb) == 1) {
			*shmem = (uint64_t)kb * 1024u;
			seen |= 2;
		}
	}
	fclose(f);
	return seen == 3 ? 0 : -1;
}

/* max_mem is enforced on what a worker really holds, not only on what
 * RLIMIT_DATA counts: memory mapped shared (MAP_SHARED, a memfd) escapes
 * that limit, not this one (the page cache of files it reads counts in
 * neither).  Without a cgroup memory controller (none is
 * offered on the machines this runs on) the supervisor reads each worker's
 * private memory (VmData) and resident shared memory every 10 ms and
 * SIGKILLs one that grew past what it inherited plus max_mem: its task
 * ends as oom. */
static void kill_child_group(struct rsw_worker_slot *ws, pid_t worker);

static void
check_memory(struct supervisor *s)
{
	for (uint32_t w = 0; w < s->nworkers; w++) {
		struct child *c = &s->children[w];
		uint64_t data, shmem;

		if (c->pid <= 0 || c->mem_killed || c->killed ||
		    memory_of(c->pid, &data, &shmem) != 0)
			continue;
		/* Private memory counts as RLIMIT_DATA counts it (VmData, not
		 * RssAnon: private pages mapped before the fork but not
		 * resident would grow RssAnon, not VmData), from the base
		 * that limit was set on: growing alone it stops at max_mem
		 * as a failed allocation, never this kill, which takes only
		 * what RLIMIT_DATA misses (shared memory) past the limit. */
		if (data + shmem > c->mem_base + s->cfg->max_mem) {
			kill(c->pid, SIGKILL);
			kill_child_group(rsw__worker_slot(&s->arena, w), c->pid);
			c->mem_killed = 1;
		}
	}
}

#define ORPHAN_SWEEP_NS 100000000ull /* between sweeps: 100 ms */
#define MID_UPDATE_RETRY_NS 50000ull

static int
pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Whether task `seq` already timed out since the last progress (else it is
 * remembered, while there is room).  A kill of a slot read torn (seq
 * UINT64_MAX: no task known) is never a repeat. */
static int
timed_out_before(struct supervisor *s, uint64_t seq)
{
	uint32_t n = s->consecutive_timeouts < TIMEOUT_SEQS_MAX ?
			     s->consecutive_timeouts : TIMEOUT_SEQS_MAX;

	if (s->timeout_seqs == NULL)
		return 0;
	for (uint32_t i = 0; seq != UINT64_MAX && i < n; i++)
		if (s->timeout_seqs[i] == seq)
			return 1;
	if (n < TIMEOUT_SEQS_MAX)
		s->timeout_seqs[n] = seq; /* the caller counts it: entry n */
	return 0;
}

/* Timeouts in a row, nothing completed, that make a crash loop: the
 * configured limit, and at least every worker twice over. */
static uint32_t
timeout_loop_limit(const struct supervisor *s)
{
	uint32_t twice = 2 * s->nworkers;

	return s->cfg->crash_loop_deaths > twice ? s->cfg->crash_loop_deaths : twice;
}

_Noreturn static void
worker_process(struct supervisor *s, uint32_t slot, uint32_t incarnation,
	       pid_t parent, uint64_t data_base)
{
	rsw_arena a;
	uint32_t cpus = rsw__usable_cpus(); /* before we pin ourselves */
	int code;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(RSW_WORKER_EXIT_ORPHAN);
	if (s->cfg->pin) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)(slot % (uint32_t)(ncpu > 0 ? ncpu : 1)), &set);
		/* Best effort: a CPU outside our cpuset just stays unpinned. */
		(void)sched_setaffinity(0, sizeof set, &set);
	}
	if (s->cfg->max_mem != 0) {
		/* RLIMIT_DATA counts private writable memory (heap, private
		 * mmaps) but not the shared arena, so the limit bites the
		 * objective's allocations only: malloc returns NULL.  It is
		 * set above what the worker inherited (the driver's heap, the
		 * stacks of its threads, a BLAS library's buffers): max_mem is
		 * what the objective may add.  data_base is the supervisor's
		 * VmData read just before the fork (ours: fork copies it),
		 * the same number check_memory counts from, so private
		 * growth meets this limit before that watch's kill. */
		uint64_t limit = s->cfg->max_mem + data_base;
		struct rlimit rl = { limit, limit };

		(void)setrlimit(RLIMIT_DATA, &rl);
	}
	/* Best effort too: lowering our own priority is always allowed. */
	if (s->cfg->nice > 0)
		(void)setpriority(PRIO_PROCESS, 0, s->cfg->nice);
	/* The supervisor's descriptors are not the worker's: the epoll set,
	 * the control pipe, its siblings' pidfds. */
	close(s->epfd);
	close(s->ctl_fd);
	if (s->sigfd >= 0) {
		/* SIGCHLD was blocked for the signalfd; a worker (and what
		 * its tasks exec) gets the mask we were started with. */
		close(s->sigfd);
		sigprocmask(SIG_SETMASK, &s->worker_mask, NULL);
	}
	for (uint32_t w = 0; w < s->nworkers; w++)
		if (s->children[w].pid > 0 && s->children[w].pidfd >= 0)
			close(s->children[w].pidfd);
	/* The host's descriptors, if it asked: before worker_init and the
	 * objective can use them; the arena is attached afresh below. */
	if (s->cfg->close_inherited_fds &&
	    rsw__fd_close_inherited(s->cfg->keep_fds, s->cfg->nkeep_fds) != 0)
		_exit(RSW_WORKER_EXIT_ATTACH);
	code = rsw__arena_attach(&a, s->arena.name, 0);
	if (code != 0)
		_exit(code == RSW_ECORRUPT || code == RSW_EARENA || code == RSW_EVERSION ?
			      RSW_WORKER_EXIT_DAMAGED : RSW_WORKER_EXIT_ATTACH);
	if (s->obj->worker_init != NULL &&
	    s->obj->worker_init(s->obj->ctx, (int)slot) != 0)
		_exit(RSW_WORKER_EXIT_INIT);
	{
		struct rsw__worker w = { .a = &a, .obj = s->obj, .slot = slot,
					 .incarnation = incarnation,
					 .recycle_after = s->cfg->recycle_after,
					 .soft_mem = s->cfg->soft_mem,
					 .cpus = cpus };

		code = rsw__worker_loop(&w);
	}
	/* An orderly end (shutdown, recycling): the objective's tear-down,
	 * then _exit -- never exit(), which would run the host's atexit
	 * handlers and flush the host's stdio buffers a second time. */
	if (s->obj->worker_fini != NULL)
		s->obj->worker_fini(s->obj->ctx, (int)slot);
	_exit(code);
}

static int
spawn(struct supervisor *s, uint32_t slot)
{
	struct rsw_worker_slot *ws = rsw__worker_slot(&s->arena, slot);
	struct child *c = &s->children[slot];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = slot };
	/* faa is atomic: external workers take incarnations from the same
	 * counter concurrently. */
	uint32_t inc = ck_pr_faa_32(&s->arena.hdr->next_incarnation, 1);
	pid_t self = getpid(), pid;
	uint64_t data = 0, shmem = 0;

	/* The counter is shared memory: an incarnation must be new (above
	 * every one we handed out) and far from the reserved values, or two
	 * live workers could answer to one name. */
	if (inc <= s->last_incarnation || inc > INCARNATION_LIMIT) {
		errno = EUCLEAN;
		return -1;
	}
	s->last_incarnation = inc;
	/* The previous process in this slot is reaped: nobody else writes
	 * the worker line now.  Its task generation starts even again: one
	 * that died between the two stores of an update left it odd, and
	 * the slot would read as "mid-update" for ever. */
	ck_pr_store_32(&ws->task_gen, 0);
	ck_pr_store_64(&ws->task_start_ns, 0);
	ck_pr_store_32(&ws->pid, 0);
	ck_pr_store_32(&ws->incarnation, inc);
	ck_pr_store_32(&ws->state, RSW_WORKER_STARTING);
	ck_pr_store_64(&ws->spawned_ns, rsw__mono_ns());
	/* A fork holds what we hold: the base its own memory grows from,
	 * read once, before the fork, so that the worker's RLIMIT_DATA
	 * and our watch of it count from the very same VmData. */
	if (s->cfg->max_mem != 0)
		(void)memory_of(self, &data, &shmem);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		worker_process(s, slot, inc, self, data);
	memset(c, 0, sizeof *c);
	c->pid = pid;
	c->incarnation = inc;
	c->forked_ns = rsw__mono_ns();
	c->mem_base = data + shmem;
	c->mem_killed = 0;
	c->pidfd = -1;
	if (s->sigfd < 0 &&
	    ((c->pidfd = pidfd_open_(pid)) < 0 ||
	     epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->pidfd, &ev) != 0)) {
		int saved = errno;

		if (c->pidfd >= 0)
			close(c->pidfd);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		c->pid = 0;
		c->pidfd = -1;
		errno = saved;
		return -1;
	}
	return 0;
}

/* The death ring's only producer (the driver its only consumer), with
 * our own producer index (ring.h): wait-free; the wait below is for room
 * only, never for another producer.  Each record is sealed with its check:
 * the driver refuses one that was damaged. */
static void
report(struct supervisor *s, struct rsw_death_desc *d)
{
	struct ck_ring *ring = rsw__death_ring(&s->arena);
	int put;

	d->check = rsw__death_check(d);
	/* The driver drains this ring on every pass; a full ring only means
	 * it is momentarily busy.  An impossible consumer index is damage
	 * the driver sees as well (it alone writes it). */
	while ((put = rsw__ring_put(ring, rsw__death_buf(&s->arena), sizeof *d,
				    s->arena.layout.death_capacity,
				    &s->death_tail, d)) <= 0) {
		if (ck_pr_load_32(&s->arena.hdr->shutdown) || put < 0)
			return;
		usleep(1000);
	}
	ck_ec32_inc(&s->arena.hdr->result_ec, &rsw__ec_mp);
}

/* The arena is damaged where only the supervisor can see it: the driver
 * fails the sweep (RSW_ECORRUPT), and we restart nothing more. */
static void
report_corrupt(struct supervisor *s, uint32_t slot)
{
	struct rsw_death_desc d;

	if (s->corrupt)
		return;
	s->corrupt = 1;
	s->giving_up = 1;
	memset(&d, 0, sizeof d);
	d.slot = slot;
	d.kind = RSW_DEATH_CORRUPT;
	report(s, &d);
}

static uint64_t
total_progress(struct supervisor *s)
{
	uint64_t sum = 0;

	/* Finished tasks, failed or not: any of them means workers live
	 * long enough to work. */
	for (uint32_t w = 0; w < s->arena.layout.nslots; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(&s->arena, w);

		sum += ck_pr_load_64(&ws->tasks_done) + ck_pr_load_64(&ws->failures);
	}
	return sum;
}

/* The process group a worker's objective started for its task (an
 * external command and its children): it must not outlive the task.  The
 * slot's child_pgid is shared memory, so not trusted: the group is killed
 * only if its leader is the worker's child (or, the worker gone, ours:
 * we are its subreaper).  Anything a named group would have missed dies
 * in the orphan sweep. */
static void
kill_child_group(struct rsw_worker_slot *ws, pid_t worker)
{
	pid_t pgid = (pid_t)ck_pr_load_32(&ws->child_pgid);

	/* Kept (not cleared) until the worker is reaped: a deadline kill
	 * and the reap both send it, so nothing the group forked between
	 * the two survives.  A relaxed load: the worker stored it before
	 * the task could reach its deadline, and the value is checked
	 * against /proc before it is used. */
	if (rsw__group_of_worker(pgid, worker))
		kill(-pgid, SIGKILL);
}

/* What tasks left running dies: a process a task started that detached
 * itself (setsid, a double fork) is reparented to us, the nearest child
 * subreaper, once its parent exits; the live workers are spared.  Run
 * every 100 ms, at once after a worker's death, and at shutdown: reading
 * our own children list costs next to nothing. */
static void
sweep_orphans(struct supervisor *s)
{
	pid_t keep[256]; /* workers: at most 256 (rsw_config_validate) */
	uint32_t n = 0;

	for (uint32_t w = 0; w < s->nworkers && n < 256; w++)
		if (s->children[w].pid > 0)
			keep[n++] = s->children[w].pid;
	(void)rsw__kill_children(keep, n);
}

static void
reap(struct supervisor *s, uint32_t slot)
{
	struct child *c = &s->children[slot];
	struct rsw_worker_slot *ws = rsw__worker_slot(&s->arena, slot);
	struct rsw_death_desc d;
	struct rusage ru;
	int status;
	uint64_t progress;

	if (c->pid <= 0 || wait4(c->pid, &status, WNOHANG, &ru) != c->pid)
		return;
	if (c->pidfd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		close(c->pidfd);
		c->pidfd = -1;
	}
	kill_child_group(ws, c->pid);
	ck_pr_store_32(&ws->child_pgid, 0);
	ck_pr_store_32(&ws->state, RSW_WORKER_DEAD);
	/* Its task's detached processes come to us as they are orphaned:
	 * the next sweep is now. */
	s->next_sweep_ns = rsw__mono_ns();

	memset(&d, 0, sizeof d);
	d.slot = slot;
	d.incarnation = c->incarnation;
	d.maxrss_kb = (uint64_t)ru.ru_maxrss;
	d.utime_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u +
		     (uint64_t)ru.ru_utime.tv_usec;
	d.stime_us = (uint64_t)ru.ru_stime.tv_sec * 1000000u +
		     (uint64_t)ru.ru_stime.tv_usec;
	if (WIFEXITED(status) && WEXITSTATUS(status) == RSW_WORKER_EXIT_DAMAGED &&
	    memcmp(s->arena.hdr, &s->arena.layout,
		   offsetof(struct rsw_arena_header, pad0_)) != 0) {
		/* It could not attach, and we see why: the header differs
		 * from what we validated.  Restarting is pointless, every
		 * worker would fail the same.  (An objective that exits with
		 * the same code, on a sound header, is an ordinary exit.) */
		c->pid = 0;
		report_corrupt(s, slot);
		return;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == RSW_WORKER_EXIT_RECYCLE) {
		d.kind = RSW_DEATH_RECYCLED;
	} else if (c->startup_killed) {
		d.kind = RSW_DEATH_STARTUP;
		d.detail = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	} else if (c->mem_killed && WIFSIGNALED(status) &&
		   WTERMSIG(status) == SIGKILL) {
		d.kind = RSW_DEATH_OOM; /* killed by us over max_mem */
		d.detail = SIGKILL;
	} else if (s->cfg->max_mem != 0 &&
		   (uint64_t)ru.ru_maxrss * 1024u >= s->cfg->max_mem / 10 * 9 &&
		   !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL &&
		     c->killed)) {
		/* Died (any way) with its peak resident memory at the limit:
		 * the allocation failure is what killed it. */
		d.kind = RSW_DEATH_OOM;
		d.detail = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	} else if (WIFEXITED(status)) {
		d.kind = RSW_DEATH_EXIT;
		d.detail = WEXITSTATUS(status);
	} else if (WTERMSIG(status) == SIGKILL && c->killed) {
		d.kind = RSW_DEATH_TIMEOUT;
		d.detail = SIGKILL;
		d.task_seq = c->tracked_seq;
		d.task_epoch = c->tracked_epoch;
		d.late_ns = c->late_ns;
	} else {
		d.kind = RSW_DEATH_SIGNAL;
		d.detail = WTERMSIG(status);
	}
	c->pid = 0;
	/* Relaxed: a late view of shutdown only reports one more death,
	 * which the driver, closing, ignores. */
	if (ck_pr_load_32(&s->arena.hdr->shutdown))
		return;
	report(s, &d);

	/* Deaths in a row with no task completed anywhere between them make
	 * a crash loop -- deadline kills included: a worker that hangs on
	 * every task (a lock held at fork, a service that is down) would
	 * otherwise run the whole sweep one timeout at a time.  Any task
	 * completed resets the counts, so a slow task now and then, between
	 * others that finish, never adds up to one.  Timeouts count apart
	 * and need more: every worker timing out twice over (one window of
	 * slow tasks, all in flight at once, is not a loop), and a task
	 * retried after its own timeout counts once (max_attempts bounds
	 * it). */
	progress = total_progress(s);
	if (progress != s->progress_mark) {
		s->progress_mark = progress;
		s->consecutive_deaths = 0;
		s->consecutive_timeouts = 0;
	}
	if (d.kind == RSW_DEATH_TIMEOUT) {
		if (!timed_out_before(s, d.task_seq))
			s->consecutive_timeouts++;
	} else if (d.kind != RSW_DEATH_RECYCLED) {
		s->consecutive_deaths++;
	}
	if (s->consecutive_deaths >= s->cfg->crash_loop_deaths ||
	    s->consecutive_timeouts >= timeout_loop_limit(s)) {
		memset(&d, 0, sizeof d);
		d.slot = slot;
		d.kind = RSW_DEATH_CRASH_LOOP;
		d.detail = (int32_t)(s->consecutive_deaths + s->consecutive_timeouts);
		s->giving_up = 1;
		report(s, &d);
		return;
	}
	if (d.kind != RSW_DEATH_RECYCLED)
		ck_pr_store_32(&ws->restarts, ws->restarts + 1);
	if (s->corrupt)
		return;
	if (spawn(s, slot) != 0) {
		if (errno == EUCLEAN) {
			report_corrupt(s, slot);
			return;
		}
		memset(&d, 0, sizeof d);
		d.slot = slot;
		d.kind = RSW_DEATH_SPAWN_FAILED;
		d.detail = errno;
		report(s, &d);
	}
}

/* The start-up watchdog: a worker that has not reached its task loop (it
 * publishes its pid there) startup_timeout after its fork never will -- a
 * worker_init that hangs, a lock another thread of the host held at fork
 * -- and is killed; the driver fails the sweep (RSW_ESTARTUP) rather than
 * wait for ever.  Returns the earliest such deadline still pending.  The
 * pid is a relaxed load of shared memory: damage there can at worst make
 * us kill a healthy worker (restarted) or spare a hung one a while. */
static uint64_t
check_startup(struct supervisor *s, uint64_t now)
{
	uint64_t limit = (uint64_t)(s->cfg->startup_timeout_s * 1e9), next = UINT64_MAX;

	for (uint32_t w = 0; w < s->nworkers; w++) {
		struct child *c = &s->children[w];

		if (c->pid == 0 || c->startup_killed || c->killed ||
		    ck_pr_load_32(&rsw__worker_slot(&s->arena, w)->pid) != 0)
			continue;
		if (now - c->forked_ns >= limit) {
			kill(c->pid, SIGKILL);
			c->startup_killed = 1;
		} else if (c->forked_ns + limit < next) {
			next = c->forked_ns + limit;
		}
	}
	return next;
}

/* Looks at every busy worker; kills those past their deadline.  Returns
 * the earliest deadline still pending (UINT64_MAX if none). */
static uint64_t
check_deadlines(struct supervisor *s, uint64_t now)
{
	uint64_t timeout = s->arena.layout.timeout_ns, next = UINT64_MAX;

	for (uint32_t w = 0; w < s->nworkers; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(&s->arena, w);
		struct child *c = &s->children[w];
		uint32_t g1, epoch;
		uint64_t start, seq;

		if (c->pid == 0 || c->killed)
			continue;
		g1 = rsw__read_task(ws, &seq, &epoch, &start);
		if (g1 == 0) {
			/* Mid-update: look again soon, never at once -- at a
			 * real-time priority a zero wait would spin. */
			if (c->torn_since == 0) {
				c->torn_since = now;
			} else if (now - c->torn_since >= timeout) {
				/* Mid-update for a whole timeout: stopped
				 * between two stores, or its generation
				 * damaged.  Whatever it runs is past any
				 * deadline that started before: killed, and
				 * (its task unknown) what it held is queued
				 * again at no charge. */
				kill(c->pid, SIGKILL);
				kill_child_group(ws, c->pid);
				c->killed = 1;
				c->tracked_seq = UINT64_MAX;
				c->tracked_epoch = 0;
				c->late_ns = 0;
				continue;
			}
			if (now + MID_UPDATE_RETRY_NS < next)
				next = now + MID_UPDATE_RETRY_NS;
			continue;
		}
		c->torn_since = 0;
		if (start == 0) {
			c->tracked_gen = 0;
			c->seen_ns = now;
			continue;
		}
		if (c->tracked_gen != g1) {
			/* A start we have not seen came after our last whole
			 * read (less the moment between the worker reading
			 * its clock and publishing), and not after now: a
			 * start time outside that is damage, and the deadline
			 * is counted from now -- never earlier than the task
			 * could have started. */
			uint64_t t = start > now ? rsw__mono_ns() : now;

			if (start > t || start + MID_UPDATE_RETRY_NS < c->seen_ns)
				start = t;
			c->tracked_gen = g1;
			c->tracked_seq = seq;
			c->tracked_epoch = epoch;
			c->deadline_ns = start + timeout;
		}
		c->seen_ns = now;
		if (now >= c->deadline_ns) {
			/* Re-check right before the kill: the task may have
			 * finished since we looked.  What remains is a window
			 * of a few instructions; the driver then sees the
			 * killed (seq, epoch) differ from the one held and
			 * re-queues that one without charging it an attempt. */
			{
				uint64_t s2, t2;
				uint32_t e2;

				if (rsw__read_task(ws, &s2, &e2, &t2) != g1)
					continue;
			}
			/* The worker first: killed second, it could reap its
			 * command's SIGKILL and report that as the task's
			 * error before its own death reports the timeout. */
			kill(c->pid, SIGKILL);
			kill_child_group(ws, c->pid);
			c->killed = 1;
			c->late_ns = rsw__mono_ns() - c->deadline_ns;
		} else if (c->deadline_ns < next) {
			next = c->deadline_ns;
		}
	}
	return next;
}

/* Empties the signalfd (SIGCHLDs merge: what counts is the wait4s). */
static void
drain_signals(struct supervisor *s)
{
	struct signalfd_siginfo info;

	while (s->sigfd >= 0 && read(s->sigfd, &info, sizeof info) == sizeof info)
		;
}

/* At an orderly close (the driver set the shutdown flag before it closed
 * the control pipe), workers end their loop and run worker_fini: each gets
 * until `deadline` to exit.  0 when all have, -1 on the first still there
 * at the deadline (the rest are SIGKILLed by the caller). */
static int
await_orderly_exits(struct supervisor *s, uint64_t deadline)
{
	for (uint32_t w = 0; w < s->nworkers; w++) {
		struct child *c = &s->children[w];

		if (c->pid <= 0)
			continue;
		for (;;) {
			/* Its pidfd, or (none) SIGCHLD on the signalfd, wakes
			 * us; whether it exited is asked without reaping it. */
			struct pollfd p = { .fd = c->pidfd >= 0 ? c->pidfd : s->sigfd,
					    .events = POLLIN };
			siginfo_t si;
			uint64_t now = rsw__mono_ns();

			memset(&si, 0, sizeof si);
			if (c->pidfd < 0 &&
			    waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == c->pid)
				break;
			if (now >= deadline)
				return -1;
			if (poll(&p, 1, (int)((deadline - now + 999999) / 1000000)) == 1) {
				if (c->pidfd >= 0)
					break;
				drain_signals(s);
			}
		}
	}
	return 0;
}

static void
shutdown_all(struct supervisor *s)
{
	/* Workers that the driver stopped in order (the shutdown flag, which
	 * is the driver's alone) get a grace to end their loop and run their
	 * worker_fini; any other stop SIGKILLs them at once.  When we stop
	 * because we failed to start, the driver learns it from our exit. */
	if (ck_pr_load_32(&s->arena.hdr->shutdown))
		(void)await_orderly_exits(s, rsw__mono_ns() + FINI_GRACE_NS);
	for (uint32_t w = 0; w < s->nworkers; w++) {
		if (s->children[w].pid > 0) {
			kill(s->children[w].pid, SIGKILL);
			kill_child_group(rsw__worker_slot(&s->arena, w),
					 s->children[w].pid);
		}
	}
	for (uint32_t w = 0; w < s->nworkers; w++)
		if (s->children[w].pid > 0)
			waitpid(s->children[w].pid, NULL, 0);
	/* Whatever the workers' tasks left is ours now (subreaper). */
	(void)rsw__kill_children(NULL, 0);
}

/* Without pidfds: SIGCHLD blocked and read from a signalfd in the epoll
 * set.  0, or -1 when that cannot be set up either. */
static int
watch_sigchld(struct supervisor *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = CHLD_TAG };
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, &s->worker_mask) != 0)
		return -1;
	s->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (s->sigfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &ev) != 0)
		return -1;
	return 0;
}

/* epoll_pwait2 (Linux 5.11) for a nanosecond timeout; epoll_wait with the
 * timeout rounded up to a millisecond on older kernels. */
static int
wait_events(int epfd, struct epoll_event *evs, int max,
	    const struct timespec *ts)
{
	static int no_pwait2;
	int n;

	if (!no_pwait2) {
		n = epoll_pwait2(epfd, evs, max, ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	return epoll_wait(epfd, evs, max,
			  ts == NULL ? -1 :
				       (int)(ts->tv_sec * 1000 +
					     (ts->tv_nsec + 999999) / 1000000));
}

_Noreturn void
rsw__supervisor_main(const char *arena_name, int ctl_fd, pid_t driver_pid,
		     const rsw_objective *obj, const rsw_config *cfg)
{
	struct supervisor s;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLHUP,
				  .data.u64 = CTL_TAG };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != driver_pid)
		_exit(1);
	/* A task's process that detached itself comes back to us when its
	 * worker dies, instead of living on under init. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Deadlines are ours to keep within 10 ms even when workers outnumber
	 * the CPUs: where permitted (root, CAP_SYS_NICE), the supervisor takes
	 * the CPU from a spinning worker the moment a deadline is due
	 * (SCHED_FIFO, the lowest real-time priority).  It sleeps between
	 * deadlines and never waits with a zero timeout (a slot read
	 * mid-update is looked at again 50 us later), so it takes a CPU only
	 * for the moments it works; the kernel's real-time throttling bounds
	 * it in any case.  Elsewhere it stays at the default; the workers'
	 * forks go back to SCHED_OTHER. */
	if (cfg->timeout_s > 0) {
		struct sched_param sp = { .sched_priority = 1 };

		(void)sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp);
	}
	/* The driver decides how to stop (a terminal's Ctrl-C reaches us
	 * all); whatever handlers the driver installed are not ours. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	/* An application that ignores SIGCHLD would make our children
	 * auto-reaped, and wait4() could not tell how they died. */
	signal(SIGCHLD, SIG_DFL);
	memset(&s, 0, sizeof s);
	s.obj = obj;
	s.cfg = cfg;
	s.ctl_fd = ctl_fd;
	if (rsw__arena_attach(&s.arena, arena_name, 0) != 0)
		_exit(2);
	s.nworkers = s.arena.layout.nworkers;
	s.children = calloc(s.nworkers, sizeof *s.children);
	/* Only deadlines make timeouts (NULL: then nothing is remembered). */
	if (cfg->timeout_s > 0)
		s.timeout_seqs = calloc(TIMEOUT_SEQS_MAX, sizeof *s.timeout_seqs);
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s.children == NULL || s.epfd < 0 ||
	    epoll_ctl(s.epfd, EPOLL_CTL_ADD, ctl_fd, &ev) != 0)
		_exit(3);
	s.sigfd = -1;
	{
		int probe = pidfd_open_(getpid());

		if (probe >= 0)
			close(probe);
		else if (watch_sigchld(&s) != 0)
			_exit(3);
	}
	/* Relaxed: a display value for `ringsweep top`. */
	ck_pr_store_32(&s.arena.hdr->supervisor_pid, (uint32_t)getpid());
	for (uint32_t w = 0; w < s.nworkers; w++) {
		if (spawn(&s, w) != 0) {
			shutdown_all(&s);
			_exit(4);
		}
	}
	for (;;) {
		struct epoll_event evs[16];
		struct timespec ts, *tsp = NULL;
		uint64_t now = rsw__mono_ns(), next;
		int n;

		if (s.arena.layout.timeout_ns != 0) {
			next = check_deadlines(&s, now);
			if (next > now + DEADLINE_POLL_NS)
				next = now + DEADLINE_POLL_NS;
			ts = rsw__ns_to_ts(next > now ? next - now : 0);
			tsp = &ts;
		}
		if (s.cfg->startup_timeout_s > 0) {
			next = check_startup(&s, now);
			if (next != UINT64_MAX &&
			    (tsp == NULL || (uint64_t)ts.tv_sec * 1000000000ull +
						    (uint64_t)ts.tv_nsec > next - now)) {
				ts = rsw__ns_to_ts(next > now ? next - now : 0);
				tsp = &ts;
			}
		}
		if (s.cfg->max_mem != 0) {
			if (now >= s.next_mem_check_ns) {
				check_memory(&s);
				s.next_mem_check_ns = now + MEM_CHECK_NS;
			}
			if (tsp == NULL || (uint64_t)ts.tv_sec * 1000000000ull +
						   (uint64_t)ts.tv_nsec > MEM_CHECK_NS) {
				ts = rsw__ns_to_ts(MEM_CHECK_NS);
				tsp = &ts;
			}
		}
		if (now >= s.next_sweep_ns) {
			sweep_orphans(&s);
			s.next_sweep_ns = now + ORPHAN_SWEEP_NS;
		}
		if (tsp == NULL || (uint64_t)ts.tv_sec * 1000000000ull +
					   (uint64_t)ts.tv_nsec > s.next_sweep_ns - now) {
			ts = rsw__ns_to_ts(s.next_sweep_ns - now);
			tsp = &ts;
		}
		n = wait_events(s.epfd, evs, 16, tsp);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 == CTL_TAG) {
				shutdown_all(&s);
				_exit(0);
			}
			if (evs[i].data.u64 == CHLD_TAG) {
				/* Signals merge: any worker may have exited. */
				drain_signals(&s);
				for (uint32_t w = 0; w < s.nworkers; w++)
					reap(&s, w);
				continue;
			}
			reap(&s, (uint32_t)evs[i].data.u64);
		}
	}
}
