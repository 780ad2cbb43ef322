/*
 * engine/arena.h - layout of the shared-memory arena (an ABI between the
 * driver, the supervisor, workers and `ringsweep top`).
 *
 * One POSIX shared-memory object holds, at offsets recorded in the header:
 *
 *   header | task ring | task descriptors | task slots |
 *   worker slots | per-slot result ring + results | death ring + records
 *
 * Everything is position-independent (offsets and indices, never pointers),
 * fixed-width and padded to the cache line; _Static_assert pins the sizes.
 * The immutable part of the header is checksummed; attach() recomputes the
 * whole layout from the header's parameters and refuses any mismatch, so a
 * foreign, truncated or corrupt object is rejected before anything in it is
 * used.
 *
 * THE RINGS AND WHO MAY PRODUCE ON THEM
 * (ck's layout, operated by ring.h.)  A ck multi-producer enqueue
 * reserves a slot (CAS on p_head) and then
 * waits for every earlier producer to publish (p_tail).  A producer
 * SIGKILLed between the two wedges the ring for every other producer,
 * forever (reproduced on this platform).  So across processes every ring
 * has exactly one producer, and that producer can only die together with
 * the ring's consumers:
 *   - task ring: produced by the driver alone, consumed by all workers.  A
 *     multi-consumer dequeue is a single CAS on c_head, so a consumer that
 *     dies at any instant cannot wedge it.  The engine serialises
 *     submissions through one driver thread, the ring's only producer.
 *   - result rings: one SPSC ring per worker slot, produced by the worker
 *     (one release store publishes an entry), consumed by the driver.  A
 *     restarted worker takes over its dead predecessor's ring: whatever the
 *     dead one published is complete, whatever it half-wrote is unpublished
 *     and simply overwritten.
 *   - death ring: SPSC, supervisor -> driver.
 * Each struct ck_ring is aligned to 64 bytes: ck keeps p_head and p_tail on
 * one line, and must not share it with a neighbour.
 *
 * TRUST: every process that maps the arena can write all of it, so what
 * one process reads that another wrote is validated before it is used.
 *   Trusted by nobody, used by nobody but observers: the header's
 *     immutable part after attach (each process keeps a private copy and
 *     takes every offset and size from it; the driver compares the shared
 *     one with its copy every 5 ms), the rings' size and mask (ring.h
 *     uses the private capacity; the driver checks them), `submitted`,
 *     `committed`, `supervisor_pid`, the worker slots' counters.
 *   Validated indices (ring.h): a consumer accepts a producer index only
 *     ahead of its own by at most the capacity; a producer keeps its index
 *     privately and accepts a consumer index only behind its own by at
 *     most the capacity; the driver, which alone writes the task ring's
 *     producer index and every other ring's consumer index, checks the
 *     shared copies equal its own, and the task ring's consumer index only
 *     moves forward, never past the producer.  Anything else: the sweep
 *     fails with RSW_ECORRUPT.
 *   Checked content: a result is taken only for a task in flight, under
 *     the epoch the driver last queued it with, with a status a worker may
 *     report, and with a check (XXH3 over the task as the worker read it
 *     -- seq, shown seq, attempt, parameters -- and over the result,
 *     metrics and text) that the driver reproduces from its private copy;
 *     a mismatch is refused and the task queued again, its slot rewritten.
 *     A death record counts only with the supervisor's seal (a check over
 *     it).  Task descriptors and slot fields a worker reads select at most
 *     a slot by the private geometry; a claim is decided by the state
 *     word's CAS, and garbage only loses claims.
 *   Watched: a task queued that no live worker explains (a damaged
 *     descriptor, index or state word) is queued again by the driver's
 *     watchdog (engine.c); the supervisor believes a task's start time only
 *     between its last look and now, takes a slot that stays "mid-update"
 *     or an incarnation counter that goes back for damage, and signals a
 *     process group only after /proc shows it belongs to the worker; the
 *     driver takes a dead external worker's incarnation for its own only
 *     if no other slot shows it (else its claim is the watchdog's).
 *   The mutable header words: `shutdown` is the driver's (it fails the
 *     sweep if it finds it set by anyone else); the event counts only
 *     shorten or lengthen sleeps that are bounded anyway.
 *   A worker's own per-process state (its producer index, its task
 *   generation) lives in statics of worker.c: one worker loop per process.
 */
#ifndef RSW_ENGINE_ARENA_H
#define RSW_ENGINE_ARENA_H

#include <sys/types.h>
#include <time.h>

#include <ck_ec.h>
#include <ck_pr.h>
#include <ck_ring.h>
#include <stddef.h>
#include <stdint.h>
#define XXH_INLINE_ALL /* a few small hashes per task: inlined */
#include <xxhash.h>

#include "ringsweep/engine.h"
#include "ringsweep/inspect.h"

#define RSW_CACHELINE 64
#define RSW_ARENA_MAGIC 0x3157535347474e52ull /* "RNGGSSW1" little-endian */
#define RSW_ARENA_VERSION 7u
#define RSW_ARENA_PREFIX "/ringsweep-"
#define RSW_OBJECTIVE_NAME_MAX 64
#define RSW_OBJECTIVE_ARG_MAX 1024

/* ---------------------------------------------------------------- rings */

/* A task descriptor: `count` consecutive tasks starting at seq_first, all
 * queued under the same epoch.  16 bytes, stored by value in the ring. */
struct rsw_task_desc {
	uint64_t seq_first;
	uint32_t count;
	uint32_t epoch;
};
_Static_assert(sizeof(struct rsw_task_desc) == 16, "task descriptor ABI");

/* One finished attempt, published by a worker.  Metrics, if any, were
 * written to the task slot before publication.  `check` is
 * rsw__result_check(): the driver recomputes it from its private copy of
 * the task and refuses a result that does not match (see TRUST below). */
struct rsw_result_desc {
	uint64_t seq;
	double value;
	uint64_t elapsed_ns;
	uint32_t epoch;
	int32_t detail;
	uint32_t peak_kb;	/* the worker's peak RSS after the task (KiB,
				   saturated); 0 = not read */
	int16_t status;
	uint16_t message_len;	/* bytes of the failure's text in the task slot
				   (no NUL); 0 = none */
	uint16_t nmetrics;
	uint16_t reserved_;	/* 0 */
	uint32_t check;		/* low half of rsw__result_check() */
};
/* 48 bytes: three to every two cache lines the driver and a worker pass
 * between them. */
_Static_assert(sizeof(struct rsw_result_desc) == 48, "result descriptor ABI");
_Static_assert(offsetof(struct rsw_result_desc, check) == 44,
	       "the check is last, after every byte it covers");

enum rsw_death_kind {
	RSW_DEATH_EXIT = 1,	 /* exited; detail = exit code */
	RSW_DEATH_SIGNAL = 2,	 /* killed by a signal we did not send */
	RSW_DEATH_TIMEOUT = 3,	 /* we SIGKILLed it at a task deadline */
	RSW_DEATH_CRASH_LOOP = 4, /* supervisor gave up restarting */
	RSW_DEATH_SPAWN_FAILED = 5,
	RSW_DEATH_RECYCLED = 6,	 /* exited on purpose between tasks */
	RSW_DEATH_OOM = 7,	 /* died at its hard memory limit */
	RSW_DEATH_CORRUPT = 8,	 /* the supervisor found the arena damaged */
	RSW_DEATH_STARTUP = 9,	 /* killed: still starting after startup_timeout */
};

/* Supervisor -> driver: a reaped worker (it can write nothing more). */
struct rsw_death_desc {
	uint32_t slot;
	uint32_t incarnation;
	int32_t kind;	     /* enum rsw_death_kind */
	int32_t detail;	     /* exit code or signal */
	uint64_t task_seq;   /* the task the deadline fired for (TIMEOUT) ... */
	uint32_t task_epoch; /* ... and the queueing it was running under */
	uint32_t check;	     /* rsw__death_check() */
	uint64_t late_ns;    /* SIGKILL time minus deadline (TIMEOUT) */
	uint64_t maxrss_kb;
	uint64_t utime_us;
	uint64_t stime_us;
};
_Static_assert(sizeof(struct rsw_death_desc) == 64, "death descriptor ABI");

struct rsw_ring {
	struct ck_ring r;
} __attribute__((aligned(RSW_CACHELINE)));
_Static_assert(sizeof(struct rsw_ring) % RSW_CACHELINE == 0, "ring padding");

/* ------------------------------------------------------------ task slots */

/*
 * Task state word: (epoch << 32) | owner.  owner 0 = queued(epoch); owner
 * I = claimed(epoch, incarnation I); owner RSW_OWNER_CANCELLED = cancelled
 * by a drain (no claim can succeed).  Epochs are unique per enqueue (a
 * global counter), so a stale descriptor or a slow worker can never match
 * a newer queueing of the same slot: its claim CAS fails.  "done" is the
 * driver's private knowledge (a result accepted from a ring), never a
 * shared-memory state.
 */
#define RSW_OWNER_CANCELLED UINT32_MAX /* drained: never to be claimed */
#define RSW_STATE(epoch, owner) (((uint64_t)(epoch) << 32) | (uint32_t)(owner))
#define RSW_STATE_EPOCH(s) ((uint32_t)((s) >> 32))
#define RSW_STATE_OWNER(s) ((uint32_t)(s))

struct rsw_task_slot {
	uint64_t state;
	uint64_t seq;
	uint32_t attempt;
	uint32_t nparams;
	uint64_t shown_seq; /* the seq the objective is told (rsw_run's own
			       numbering) */
	uint64_t check;	    /* rsw__task_check of the fields above and the
			       params, by the driver: a worker evaluates
			       nothing that does not match it */
	/* followed by double params[max_params], double metrics[max_metrics],
	 * char message[max_message], padded to the cache line */
};
_Static_assert(sizeof(struct rsw_task_slot) == 40, "task slot head ABI");

/* The status of a result by which a worker refuses a task instead of
 * evaluating it: its slot did not match the slot's check (damaged
 * parameters could make any objective run for ever, or crash).  The driver
 * queues the task again, its slot rewritten; never a user-visible status. */
#define RSW_RESULT_REFUSED (-1)

/* ---------------------------------------------------------- worker slots */

/*
 * Memory ordering: apart from the task seqlock (task_gen, below) and the
 * CAS on external_claim, every field is a monitoring value with one
 * writer at a time (each line names its writer), read on its own (by the
 * supervisor, the driver or `ringsweep top`).  Relaxed ck_pr loads and stores are enough for them:
 * they keep each access whole, and nothing is inferred from the order of
 * two of them -- liveness comes from pidfds, results from the rings.
 */
struct rsw_worker_slot {
	/* Line 1: written by the worker process only. */
	uint32_t state;
	uint32_t pid;
	uint32_t incarnation;
	/* Seqlock over task_seq, task_epoch and task_start_ns: odd while
	 * they change.  An even value names one task start uniquely (a batch
	 * shares its epoch, so the epoch cannot). */
	uint32_t task_gen;
	uint64_t task_seq;
	uint64_t task_start_ns; /* CLOCK_MONOTONIC, system-wide; 0 = idle */
	uint32_t task_epoch;	/* the queueing the task runs under */
	uint32_t pad0_;
	uint64_t heartbeat_ns;
	uint64_t tasks_done;
	uint64_t failures;
	/* Line 2: written by the supervisor / an attaching worker. */
	uint32_t external_claim; /* CAS 0 -> pid by `ringsweep worker` */
	uint32_t restarts;
	uint64_t spawned_ns;
	uint64_t proc_start;	 /* external worker: /proc starttime, vs pid reuse */
	/* Written by the worker: the process group its objective started
	 * (rsw_worker_set_child_group), killed with the worker; and the
	 * time it spent evaluating (a monitoring sum). */
	uint32_t child_pgid;
	uint32_t pad1_;
	uint64_t busy_ns;
	uint8_t pad_[RSW_CACHELINE - 40];
	/* Line 3: written by the driver only, for observers (`ringsweep
	 * top`): the slot's attempts as the driver accounts them, deaths
	 * included, so an observer and the final summary agree. */
	uint64_t driver_tasks;
	uint64_t driver_failures;
	uint8_t pad2_[RSW_CACHELINE - 16];
} __attribute__((aligned(RSW_CACHELINE)));
_Static_assert(sizeof(struct rsw_worker_slot) == 3 * RSW_CACHELINE,
	       "worker slot ABI");
_Static_assert(offsetof(struct rsw_worker_slot, external_claim) ==
		   RSW_CACHELINE, "worker and supervisor lines apart");
_Static_assert(offsetof(struct rsw_worker_slot, driver_tasks) ==
		   2 * RSW_CACHELINE, "supervisor and driver lines apart");

/* ---------------------------------------------------------------- header */

struct rsw_arena_header {
	/* Immutable after creation; covered by `checksum`. */
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint64_t total_size;
	uint64_t created_ns; /* CLOCK_REALTIME */
	uint32_t owner_pid;
	uint32_t owner_uid;
	uint32_t nworkers;	 /* supervised worker slots */
	uint32_t nslots;	 /* nworkers + external slots */
	uint32_t ring_capacity;	 /* task descriptors */
	uint32_t max_inflight;	 /* task slots */
	uint32_t result_capacity; /* entries per result ring */
	uint32_t death_capacity;
	uint32_t max_params;
	uint32_t max_metrics;
	uint32_t max_message;	 /* bytes of failure text a task slot holds */
	uint32_t reserved_;
	uint32_t task_slot_size;
	uint32_t idle;		 /* enum rsw_idle_mode */
	uint64_t timeout_ns;	 /* 0 = none */
	uint64_t off_task_ring;
	uint64_t off_task_buf;
	uint64_t off_task_slots;
	uint64_t off_workers;
	uint64_t off_results;	 /* per slot: struct rsw_ring + entries */
	uint64_t result_stride;
	uint64_t off_death_ring;
	uint64_t off_death_buf;
	char objective[RSW_OBJECTIVE_NAME_MAX];
	char objective_arg[RSW_OBJECTIVE_ARG_MAX]; /* for external workers */
	uint64_t checksum;	 /* FNV-1a of everything above */
	uint8_t pad0_[RSW_CACHELINE - 8];

	/* Mutable words, one cache line each. */
	uint32_t shutdown __attribute__((aligned(RSW_CACHELINE)));
	uint32_t supervisor_pid;
	struct ck_ec32 task_ec __attribute__((aligned(RSW_CACHELINE)));
	struct ck_ec32 result_ec __attribute__((aligned(RSW_CACHELINE)));
	/* Workers wake a sleeping driver only once the task ring holds at
	 * most this many descriptors (the driver sets it before sleeping):
	 * a deep ring needs no refill yet, so no wake-up per batch. */
	uint32_t driver_wake_below;
	uint32_t next_incarnation __attribute__((aligned(RSW_CACHELINE)));
	/* Written by the driver after each poll, for `ringsweep top`. */
	uint64_t submitted __attribute__((aligned(RSW_CACHELINE)));
	uint64_t committed;
	uint8_t pad1_[RSW_CACHELINE - 16];
};
_Static_assert(sizeof(struct rsw_arena_header) % RSW_CACHELINE == 0,
	       "header padding");
_Static_assert(offsetof(struct rsw_arena_header, checksum) % 8 == 0,
	       "checksum alignment");

/* A mapped arena, in the private memory of one process. */
typedef struct rsw_arena {
	struct rsw_arena_header *hdr;
	/* A private copy of the validated header: every offset and size is
	 * read from here, never from the shared (writable) header, so a wild
	 * write into the arena cannot steer our accesses out of bounds. */
	struct rsw_arena_header layout;
	size_t size;
	char name[64];
	int owner; /* created (and will unlink) it */
	int lock_fd; /* owner: holds an OFD lock while the owner lives */
} rsw_arena;

/* The parameters the layout is computed from. */
typedef struct rsw_arena_params {
	uint32_t nworkers, nslots;
	uint32_t ring_capacity, max_inflight;
	uint32_t max_params, max_metrics, max_message;
	uint32_t idle;
	uint64_t timeout_ns;
	const char *objective;
	const char *objective_arg;
} rsw_arena_params;

int rsw__arena_create(rsw_arena *a, const rsw_arena_params *p);
/* Validates everything before returning 0; see RSW_E{NOENT,ARENA,VERSION,
 * CORRUPT,PERM}.  read_only maps PROT_READ (for `ringsweep top`). */
int rsw__arena_attach(rsw_arena *a, const char *name, int read_only);
void rsw__arena_detach(rsw_arena *a);
/* Unlinks the name if we own it, then detaches. */
void rsw__arena_destroy(rsw_arena *a);

/* ---------------------------------------------------------------- access */

static inline void *
rsw__at(const rsw_arena *a, uint64_t off)
{
	return (char *)a->hdr + off;
}

static inline struct ck_ring *
rsw__task_ring(const rsw_arena *a)
{
	return &((struct rsw_ring *)rsw__at(a, a->layout.off_task_ring))->r;
}

static inline struct rsw_task_desc *
rsw__task_buf(const rsw_arena *a)
{
	return rsw__at(a, a->layout.off_task_buf);
}

static inline struct rsw_task_slot *
rsw__task_slot(const rsw_arena *a, uint64_t seq)
{
	const struct rsw_arena_header *h = &a->layout;
	uint64_t i = seq & (h->max_inflight - 1);
	return rsw__at(a, h->off_task_slots + i * h->task_slot_size);
}

static inline double *
rsw__slot_params(struct rsw_task_slot *s)
{
	return (double *)(s + 1);
}

static inline double *
rsw__slot_metrics(const rsw_arena *a, struct rsw_task_slot *s)
{
	return (double *)(s + 1) + a->layout.max_params;
}

static inline char *
rsw__slot_message(const rsw_arena *a, struct rsw_task_slot *s)
{
	return (char *)((double *)(s + 1) + a->layout.max_params +
			a->layout.max_metrics);
}

static inline struct rsw_worker_slot *
rsw__worker_slot(const rsw_arena *a, uint32_t w)
{
	return (struct rsw_worker_slot *)rsw__at(a, a->layout.off_workers) + w;
}

static inline struct ck_ring *
rsw__result_ring(const rsw_arena *a, uint32_t w)
{
	const struct rsw_arena_header *h = &a->layout;
	return &((struct rsw_ring *)rsw__at(a, h->off_results +
						   w * h->result_stride))->r;
}

static inline struct rsw_result_desc *
rsw__result_buf(const rsw_arena *a, uint32_t w)
{
	const struct rsw_arena_header *h = &a->layout;
	return rsw__at(a, h->off_results + w * h->result_stride +
				  sizeof(struct rsw_ring));
}

static inline struct ck_ring *
rsw__death_ring(const rsw_arena *a)
{
	return &((struct rsw_ring *)rsw__at(a, a->layout.off_death_ring))->r;
}

static inline struct rsw_death_desc *
rsw__death_buf(const rsw_arena *a)
{
	return rsw__at(a, a->layout.off_death_buf);
}

/*
 * Seqlock read of the task a worker runs (see publish_task in worker.c):
 * an even generation unchanged around the loads means seq, epoch and start
 * belong to one task start; the load fences keep the reads in order.
 * Wait-free (no retry loop: a torn read says so, and the caller looks
 * again later); any number of readers, one writer (the slot's worker).
 * Returns an identity of that task start (the generation + 2, or 1 where
 * that wraps; never 0), or 0 when the fields were changing; *start_ns is 0
 * when idle.
 */
static inline uint32_t
rsw__read_task(const struct rsw_worker_slot *ws, uint64_t *seq,
	       uint32_t *epoch, uint64_t *start_ns)
{
	uint32_t g1 = ck_pr_load_32((uint32_t *)&ws->task_gen), g2;

	ck_pr_fence_load();
	*seq = ck_pr_load_64((uint64_t *)&ws->task_seq);
	*epoch = ck_pr_load_32((uint32_t *)&ws->task_epoch);
	*start_ns = ck_pr_load_64((uint64_t *)&ws->task_start_ns);
	ck_pr_fence_load();
	g2 = ck_pr_load_32((uint32_t *)&ws->task_gen);
	/* g1 + 2 is even and names the start; it wraps to 0 ("torn") only
	 * for g1 = 2^32 - 2, which is named 1 instead (never otherwise). */
	if ((g1 & 1) != 0 || g1 != g2)
		return 0;
	return g1 + 2 != 0 ? g1 + 2 : 1;
}

/* The check a worker computes over the task it evaluated, as it read it
 * (its identity and the parameters the objective saw) ... */
static inline uint64_t
rsw__task_check(uint64_t seq, uint64_t shown, uint32_t attempt,
		uint32_t nparams, const double *params)
{
	uint64_t seed = seq * 0x9e3779b97f4a7c15ull ^ shown * 0xc2b2ae3d27d4eb4full ^
			((uint64_t)attempt << 32 | nparams);

	return XXH3_64bits_withSeed(params, (size_t)nparams * sizeof(double), seed);
}

/* ... and over the result it publishes, metrics and failure text included:
 * a result whose check the driver cannot reproduce from its own copy of the
 * task was damaged, or belongs to other parameters. */
static inline uint32_t
rsw__result_check(uint64_t task_check, const struct rsw_result_desc *r,
		  const double *metrics, const char *message)
{
	/* Everything before the check itself, in place (no copy: this runs
	 * once per result in a worker and in the driver). */
	uint64_t h = XXH3_64bits_withSeed(r, offsetof(struct rsw_result_desc, check),
					  task_check);

	if (r->nmetrics > 0)
		h = XXH3_64bits_withSeed(metrics, r->nmetrics * sizeof(double), h);
	if (r->message_len > 0)
		h = XXH3_64bits_withSeed(message, r->message_len, h);
	return (uint32_t)h;
}

/* The supervisor's seal on a death record. */
static inline uint32_t
rsw__death_check(const struct rsw_death_desc *d)
{
	struct rsw_death_desc c = *d;

	c.check = 0;
	return (uint32_t)XXH3_64bits(&c, sizeof c);
}

/* Start time of a process in clock ticks since boot (/proc/PID/stat field
 * 22), or 0 if it is gone: with the pid, it names one process for good. */
uint64_t rsw__proc_start_time(pid_t pid);

/* Whether process `pid` that started at `start` is still running: 1, 0
 * when it is gone (no such process, a zombie, or the pid now names
 * another), -1 when /proc cannot say (descriptors exhausted, hidepid):
 * look again later.  For where there are no pidfds. */
int rsw__proc_alive(pid_t pid, uint64_t start);

#endif
