/*
 * bench/ipc.c - IPC transports measured the same way: process A sends a
 * message of `size` bytes on direction 0, process B echoes it on direction
 * 1 (round trip, warm-up rounds first, never counted); then A streams
 * `stream` messages one way and B acknowledges the last (throughput).
 *
 * Shared-memory transports keep a payload slab beside a ring of 16-byte
 * descriptors, as the engine does.  The wake-up transports (eventfd,
 * futex) use the same ring and signal every message, so their cost is the
 * wake-up itself.  The ringsweep rows go through the real engine: submit,
 * a pinned worker process evaluates an echo objective, poll.
 */
#include "ipc.h"

#include <ck_pr.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "ringsweep/ringsweep.h"

#define SLOTS 256

/* ---------------------------------------------------------- shared state */

/* One direction of the raw cache-line transport: a ring of line-sized
 * slots, each holding its sequence number and the payload, so a message
 * costs one line transfer (more only past 56 bytes).  The receiver
 * publishes how far it consumed, and the sender looks at that only when
 * it is about to lap it. */
#define LINE_SLOTS 64
#define LINE_SLOT_BYTES (((RSW_IPC_MAX_SIZE + 8) + 63) & ~63)

struct line_dir {
	char slots[LINE_SLOTS][LINE_SLOT_BYTES] __attribute__((aligned(64)));
	uint64_t consumed __attribute__((aligned(64)));
	char pad_[56];
};

/* One direction of a ring transport. */
struct ring_dir {
	struct bench_ring ring;
	struct bench_desc descs[SLOTS];
	uint32_t futex_word __attribute__((aligned(64)));
	char payload[SLOTS][RSW_IPC_MAX_SIZE] __attribute__((aligned(64)));
};

struct tp {
	size_t size;
	int mpmc;		/* ck ring flavour for ring transports */
	int doorbell;		/* 0 spin, 1 eventfd, 2 futex */
	struct line_dir *ld;	/* [2] */
	struct ring_dir *rd;	/* [2] */
	size_t shm_size;
	int fd[4];		/* pipes / socket / eventfds */
	mqd_t mq[2];
	uint64_t sent[2];	/* messages sent per direction (sender-private) */
	uint64_t received[2];	/* receiver-private */
	uint64_t seen_consumed[2]; /* sender's last look at `consumed` */
	char note[96];
};

struct tp_ops {
	const char *name;
	int (*setup)(struct tp *t);
	void (*after_fork)(struct tp *t, int side);
	int (*send)(struct tp *t, int dir, const void *buf);
	int (*recv)(struct tp *t, int dir, void *buf);
	void (*teardown)(struct tp *t);
};

static void *
shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int
read_full(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static int
write_full(int fd, const void *buf, size_t n)
{
	for (size_t put = 0; put < n;) {
		ssize_t r = write(fd, (const char *)buf + put, n - put);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		put += (size_t)r;
	}
	return 0;
}

/* ------------------------------------------------------ raw cache line */

static int
line_setup(struct tp *t)
{
	t->shm_size = 2 * sizeof(struct line_dir);
	t->ld = shared_alloc(t->shm_size);
	return t->ld == NULL ? -1 : 0;
}

static int
line_send(struct tp *t, int dir, const void *buf)
{
	struct line_dir *l = &t->ld[dir];
	uint64_t i = t->sent[dir]++;
	char *slot = l->slots[i % LINE_SLOTS];

	/* Flow control, read only when about to lap the receiver. */
	while (i - t->seen_consumed[dir] >= LINE_SLOTS) {
		t->seen_consumed[dir] = ck_pr_load_64(&l->consumed);
		ck_pr_stall();
	}
	memcpy(slot + 8, buf, t->size);
	/* Payload before the sequence number that announces it. */
	ck_pr_fence_store();
	ck_pr_store_64((uint64_t *)slot, i + 1);
	return 0;
}

static int
line_recv(struct tp *t, int dir, void *buf)
{
	struct line_dir *l = &t->ld[dir];
	uint64_t i = t->received[dir]++;
	char *slot = l->slots[i % LINE_SLOTS];

	while (ck_pr_load_64((uint64_t *)slot) != i + 1)
		ck_pr_stall();
	/* The announcement before the payload it announces. */
	ck_pr_fence_load();
	memcpy(buf, slot + 8, t->size);
	if ((i + 1) % (LINE_SLOTS / 4) == 0) {
		/* Payload copied out before the slots are handed back. */
		ck_pr_fence_store();
		ck_pr_store_64(&l->consumed, i + 1);
	}
	return 0;
}

static void
shm_teardown(struct tp *t)
{
	if (t->ld != NULL)
		munmap(t->ld, t->shm_size);
	if (t->rd != NULL)
		munmap(t->rd, t->shm_size);
	t->ld = NULL;
	t->rd = NULL;
}

/* ------------------------------------------------------ ck ring + slab */

static int
ring_setup(struct tp *t)
{
	t->shm_size = 2 * sizeof(struct ring_dir);
	t->rd = shared_alloc(t->shm_size);
	if (t->rd == NULL)
		return -1;
	for (int d = 0; d < 2; d++)
		ck_ring_init(&t->rd[d].ring.r, SLOTS);
	if (t->doorbell == 1) {
		for (int d = 0; d < 2; d++) {
			t->fd[d] = eventfd(0, EFD_CLOEXEC);
			if (t->fd[d] < 0)
				return -1;
		}
	}
	return 0;
}

static int
ring_send(struct tp *t, int dir, const void *buf)
{
	struct ring_dir *r = &t->rd[dir];
	uint64_t slot = t->sent[dir]++ % SLOTS;
	struct bench_desc d = { slot, (uint32_t)t->size, 0 };

	/* Slot reuse is safe: the ring holds SLOTS - 1 entries, so slot k
	 * comes round again only after the receiver dequeued (and, being
	 * sequential, copied) message k + 1. */
	memcpy(r->payload[slot], buf, t->size);
	for (;;) {
		int ok = t->mpmc ? ck_ring_enqueue_mpmc_bench(&r->ring.r, r->descs, &d)
				 : ck_ring_enqueue_spsc_bench(&r->ring.r, r->descs, &d);
		if (ok)
			break;
		ck_pr_stall();
	}
	if (t->doorbell == 1) {
		uint64_t one = 1;

		if (write(t->fd[dir], &one, sizeof one) != sizeof one)
			return -1;
	} else if (t->doorbell == 2) {
		ck_pr_faa_32(&r->futex_word, 1);
		syscall(SYS_futex, &r->futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	return 0;
}

static int
ring_recv(struct tp *t, int dir, void *buf)
{
	struct ring_dir *r = &t->rd[dir];
	struct bench_desc d;

	for (;;) {
		uint32_t word = ck_pr_load_32(&r->futex_word);
		int ok = t->mpmc ? ck_ring_dequeue_mpmc_bench(&r->ring.r, r->descs, &d)
				 : ck_ring_dequeue_spsc_bench(&r->ring.r, r->descs, &d);

		if (ok)
			break;
		if (t->doorbell == 1) {
			uint64_t count;

			if (read(t->fd[dir], &count, sizeof count) != sizeof count)
				return -1;
		} else if (t->doorbell == 2) {
			/* Sleeps only if no send happened since `word` was
			 * read, so a wake-up cannot be missed. */
			syscall(SYS_futex, &r->futex_word, FUTEX_WAIT, word, NULL,
				NULL, 0);
		} else {
			ck_pr_stall();
		}
	}
	memcpy(buf, r->payload[d.seq % SLOTS], t->size);
	return 0;
}

static int
spsc_setup(struct tp *t)
{
	return ring_setup(t);
}

static int
mpmc_setup(struct tp *t)
{
	t->mpmc = 1;
	return ring_setup(t);
}

static int
eventfd_setup(struct tp *t)
{
	t->doorbell = 1;
	return ring_setup(t);
}

static int
futex_setup(struct tp *t)
{
	t->doorbell = 2;
	return ring_setup(t);
}

static void
ring_teardown(struct tp *t)
{
	for (int d = 0; d < 2; d++)
		if (t->doorbell == 1 && t->fd[d] >= 0)
			close(t->fd[d]);
	shm_teardown(t);
}

/* --------------------------------------------------------------- pipes */

static int
pipe_setup(struct tp *t)
{
	/* fd[0..1]: direction 0 (A -> B), fd[2..3]: direction 1. */
	return pipe(&t->fd[0]) != 0 || pipe(&t->fd[2]) != 0 ? -1 : 0;
}

static void
pipe_after_fork(struct tp *t, int side)
{
	/* Keep only our ends, so a dead peer gives EOF, not a hang. */
	int drop[2] = { side == 0 ? 0 : 1, side == 0 ? 3 : 2 };

	for (int i = 0; i < 2; i++) {
		close(t->fd[drop[i]]);
		t->fd[drop[i]] = -1;
	}
}

static int
pipe_send(struct tp *t, int dir, const void *buf)
{
	return write_full(t->fd[dir * 2 + 1], buf, t->size);
}

static int
pipe_recv(struct tp *t, int dir, void *buf)
{
	return read_full(t->fd[dir * 2], buf, t->size);
}

static void
pipe_teardown(struct tp *t)
{
	for (int i = 0; i < 4; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
}

/* --------------------------------------------------------- socketpairs */

static int
sock_setup_type(struct tp *t, int type)
{
	int sz = 1 << 20;

	if (socketpair(AF_UNIX, type, 0, t->fd) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		setsockopt(t->fd[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
		setsockopt(t->fd[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	}
	return 0;
}

static int
stream_setup(struct tp *t)
{
	return sock_setup_type(t, SOCK_STREAM);
}

static int
dgram_setup(struct tp *t)
{
	return sock_setup_type(t, SOCK_DGRAM);
}

static void
sock_after_fork(struct tp *t, int side)
{
	close(t->fd[1 - side]);
	t->fd[1 - side] = -1;
}

/* Side A (0) holds fd[0], side B (1) fd[1]; direction d is sent by side d. */
static int
stream_send(struct tp *t, int dir, const void *buf)
{
	return write_full(t->fd[dir], buf, t->size);
}

static int
stream_recv(struct tp *t, int dir, void *buf)
{
	return read_full(t->fd[1 - dir], buf, t->size);
}

static int
dgram_send(struct tp *t, int dir, const void *buf)
{
	for (;;) {
		ssize_t r = send(t->fd[dir], buf, t->size, 0);

		if (r == (ssize_t)t->size)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int
dgram_recv(struct tp *t, int dir, void *buf)
{
	for (;;) {
		ssize_t r = recv(t->fd[1 - dir], buf, t->size, 0);

		if (r == (ssize_t)t->size)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void
sock_teardown(struct tp *t)
{
	for (int i = 0; i < 2; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
}

/* ------------------------------------------------------ POSIX mqueues */

static int
mq_setup(struct tp *t)
{
	struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = (long)t->size };

	for (int d = 0; d < 2; d++) {
		char name[64];

		snprintf(name, sizeof name, "/rsw-bench-%d-%d", (int)getpid(), d);
		t->mq[d] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
		if (t->mq[d] == (mqd_t)-1) {
			snprintf(t->note, sizeof t->note, "mq_open: %s",
				 strerror(errno));
			if (d == 1)
				mq_close(t->mq[0]);
			return -1;
		}
		/* The descriptors stay valid; nothing is left behind. */
		mq_unlink(name);
	}
	return 0;
}

static int
mq_send_(struct tp *t, int dir, const void *buf)
{
	while (mq_send(t->mq[dir], buf, t->size, 0) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
mq_recv_(struct tp *t, int dir, void *buf)
{
	char tmp[RSW_IPC_MAX_SIZE];

	for (;;) {
		ssize_t r = mq_receive(t->mq[dir], tmp, sizeof tmp, NULL);

		if (r == (ssize_t)t->size) {
			memcpy(buf, tmp, t->size);
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void
mq_teardown(struct tp *t)
{
	mq_close(t->mq[0]);
	mq_close(t->mq[1]);
}

/* -------------------------------------------------------------- driver */

static const struct tp_ops transports[] = {
	{ "cache-line", line_setup, NULL, line_send, line_recv, shm_teardown },
	{ "ck-spsc", spsc_setup, NULL, ring_send, ring_recv, ring_teardown },
	{ "ck-mpmc", mpmc_setup, NULL, ring_send, ring_recv, ring_teardown },
	{ "futex", futex_setup, NULL, ring_send, ring_recv, ring_teardown },
	{ "eventfd", eventfd_setup, NULL, ring_send, ring_recv, ring_teardown },
	{ "pipe", pipe_setup, pipe_after_fork, pipe_send, pipe_recv, pipe_teardown },
	{ "unix-stream", stream_setup, sock_after_fork, stream_send, stream_recv,
	  sock_teardown },
	{ "unix-dgram", dgram_setup, sock_after_fork, dgram_send, dgram_recv,
	  sock_teardown },
	{ "posix-mq", mq_setup, NULL, mq_send_, mq_recv_, mq_teardown },
};

static void
echo_side(const struct tp_ops *ops, struct tp *t, const rsw_ipc_opts *o)
{
	char buf[RSW_IPC_MAX_SIZE];

	bench_pin(o->cpu_b);
	if (ops->after_fork != NULL)
		ops->after_fork(t, 1);
	for (uint64_t i = 0; i < o->warmup + o->roundtrips; i++)
		if (ops->recv(t, 0, buf) != 0 || ops->send(t, 1, buf) != 0)
			_exit(1);
	for (uint64_t i = 0; i < o->stream; i++)
		if (ops->recv(t, 0, buf) != 0)
			_exit(1);
	_exit(ops->send(t, 1, buf) != 0);
}

static void
measure(const struct tp_ops *ops, const rsw_ipc_opts *o, rsw_ipc_row *row)
{
	char buf[RSW_IPC_MAX_SIZE];
	struct tp t;
	rsw_sampler s;
	uint64_t t0;
	pid_t pid;
	int status, failed = 0;

	memset(&t, 0, sizeof t);
	memset(buf, 0x5a, sizeof buf);
	for (int i = 0; i < 4; i++)
		t.fd[i] = -1;
	t.size = o->size;
	snprintf(row->name, sizeof row->name, "%s", ops->name);
	if (ops->setup(&t) != 0) {
		if (t.note[0] == '\0')
			snprintf(t.note, sizeof t.note, "set-up failed: %s",
				 strerror(errno));
		snprintf(row->note, sizeof row->note, "%s", t.note);
		ops->teardown(&t);
		return;
	}
	if (rsw_sampler_init(&s, o->warmup, o->roundtrips) != 0)
		return;
	pid = fork();
	if (pid == 0)
		echo_side(ops, &t, o);
	bench_pin(o->cpu_a);
	if (ops->after_fork != NULL)
		ops->after_fork(&t, 0);
	for (uint64_t i = 0; i < o->warmup + o->roundtrips && !failed; i++) {
		uint64_t a = bench_now_ns();

		failed = ops->send(&t, 0, buf) != 0 || ops->recv(&t, 1, buf) != 0;
		rsw_sampler_add(&s, bench_now_ns() - a);
	}
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < o->stream && !failed; i++)
		failed = ops->send(&t, 0, buf) != 0;
	failed = failed || ops->recv(&t, 1, buf) != 0;
	row->msgs_per_s = (double)o->stream / ((double)(bench_now_ns() - t0) / 1e9);
	if (failed)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	bench_unpin();
	ops->teardown(&t);
	if (failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(row->note, sizeof row->note, "transport failed");
	} else {
		rsw_sampler_summary(&s, &row->lat);
		row->measured = 1;
	}
	rsw_sampler_free(&s);
}

/* ---------------------------------------------------- the real engine */

/* The engine's rows: worker process or thread, spinning or sleeping. */
static const struct engine_row {
	const char *name;
	int mode, idle;
} engine_rows[] = {
	{ "ringsweep-spin", RSW_MODE_PROCESSES, RSW_IDLE_SPIN },
	{ "ringsweep-sleep", RSW_MODE_PROCESSES, RSW_IDLE_SLEEP },
	{ "threads-spin", RSW_MODE_THREADS, RSW_IDLE_SPIN },
	{ "threads-sleep", RSW_MODE_THREADS, RSW_IDLE_SLEEP },
};

static void
measure_engine(const struct engine_row *er, const rsw_ipc_opts *o,
	       rsw_ipc_row *row)
{
	int idle = er->idle;
	rsw_objective obj = { bench_echo_eval, NULL, NULL, NULL };
	static double params[RSW_MAX_PARAMS_LIMIT * 64];
	uint32_t nparams = (uint32_t)(o->size / sizeof(double));
	static rsw_result res[1024];
	rsw_config cfg;
	rsw_engine *e;
	rsw_sampler s;
	uint64_t t0, sent = 0, got = 0;
	int rc;

	snprintf(row->name, sizeof row->name, "%s", er->name);
	if (nparams < 1)
		nparams = 1;
	if (nparams > RSW_MAX_PARAMS_LIMIT) {
		nparams = RSW_MAX_PARAMS_LIMIT;
		snprintf(row->note, sizeof row->note,
			 "payload capped at %d B (task parameters)",
			 (int)(RSW_MAX_PARAMS_LIMIT * sizeof(double)));
	}
	memset(params, 0, sizeof params);
	rsw_config_init(&cfg);
	cfg.workers = 1;
	cfg.idle = idle;
	cfg.mode = er->mode;
	cfg.max_params = nparams;
	cfg.pin = 1; /* the worker on CPU 0 */
	if (rsw_sampler_init(&s, o->warmup, o->roundtrips) != 0)
		return;
	bench_pin(o->cpu_b == 0 ? o->cpu_a : o->cpu_b);
	rc = rsw_engine_open(&e, &cfg, &obj);
	if (rc != 0) {
		snprintf(row->note, sizeof row->note, "%s", rsw_strerror(rc));
		rsw_sampler_free(&s);
		bench_unpin();
		return;
	}
	for (uint64_t i = 0; i < o->warmup + o->roundtrips; i++) {
		uint64_t a = bench_now_ns();

		if (rsw_engine_submit(e, params, nparams, NULL) != 0 ||
		    rsw_engine_poll(e, res, 1, -1) != 1)
			break;
		rsw_sampler_add(&s, bench_now_ns() - a);
	}
	/* Throughput: tasks streamed through (each a message there and a
	 * result back), batched by the engine as a sweep would be. */
	t0 = bench_now_ns();
	while (got < o->stream) {
		uint32_t want = o->stream - sent < 64 ? (uint32_t)(o->stream - sent) : 64;
		int n = 0;

		/* Keep up to 1024 tasks in flight, 64 parameter sets a call. */
		while (want > 0 && sent - got < 1024 && n >= 0) {
			n = rsw_engine_submit_batch(e, params, nparams, want);
			if (n > 0)
				sent += (uint64_t)n;
			want = o->stream - sent < 64 ? (uint32_t)(o->stream - sent) : 64;
		}
		n = rsw_engine_poll(e, res, 1024, sent > got ? -1 : 0);
		if (n < 0)
			break;
		got += (uint64_t)n;
	}
	row->msgs_per_s = (double)got / ((double)(bench_now_ns() - t0) / 1e9);
	rsw_engine_close(e);
	bench_unpin();
	rsw_sampler_summary(&s, &row->lat);
	row->measured = s.seen == o->warmup + o->roundtrips && got == o->stream;
	if (!row->measured)
		snprintf(row->note, sizeof row->note, "engine run failed");
	rsw_sampler_free(&s);
}

int
rsw_bench_ipc_one(const char *name, const rsw_ipc_opts *o, rsw_ipc_row *row)
{
	memset(row, 0, sizeof *row);
	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++)
		if (strcmp(transports[i].name, name) == 0) {
			measure(&transports[i], o, row);
			return 0;
		}
	for (size_t i = 0; i < sizeof engine_rows / sizeof engine_rows[0]; i++)
		if (strcmp(name, engine_rows[i].name) == 0) {
			measure_engine(&engine_rows[i], o, row);
			return 0;
		}
	return -1;
}

int
rsw_bench_ipc(const rsw_ipc_opts *o, rsw_ipc_row *rows, int max_rows)
{
	int n = 0;

	for (size_t i = 0; i < sizeof transports / sizeof transports[0]; i++) {
		if (n >= max_rows)
			return n;
		if (i > 0 && o->only != NULL && strstr(transports[i].name, o->only) == NULL)
			continue;
		rsw_bench_ipc_one(transports[i].name, o, &rows[n++]);
	}
	for (size_t i = 0; i < sizeof engine_rows / sizeof engine_rows[0] &&
			   n < max_rows; i++) {
		if (o->only != NULL && strstr(engine_rows[i].name, o->only) == NULL)
			continue;
		rsw_bench_ipc_one(engine_rows[i].name, o, &rows[n++]);
	}
	return n;
}
