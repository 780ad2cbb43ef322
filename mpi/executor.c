/*
 * mpi/executor.c - rank 0's side of the MPI backend: an executor
 * (executor.h) that spreads the sweep's tasks over the node agents, and
 * over rank 0's own workers when it has some.
 *
 * DESIGN
 * The engine above hands us tasks in seq order; they wait in `queue`
 * until a node has credit for them.  A node may hold at most cap tasks
 * (sent and not yet answered): ~10 ms of work per worker (at least 4
 * tasks per worker, or two batches), so its workers never wait for the
 * network, and the tail of a sweep still balances within ~10 ms.  A batch is sized from the measured task time: ~500 us of
 * work per worker of the node (1 .. 1024 tasks), and never more than a
 * fair share of what is queued, so 10 us tasks do not pay a message each
 * and 10 ms tasks still go one by one.  Results come back in any order;
 * the engine puts them in sequence order and checks each one.
 *
 * What an agent says is checked like anything that crosses a process
 * boundary: a message of the wrong size or tag, more results than the node
 * holds tasks, metrics or text larger than the sweep's, fail the sweep
 * (RSW_EREMOTE) with the rank named; the engine then checks each seq.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ringsweep/executor.h"
#include "ringsweep/mpi.h"

#define TARGET_BATCH_NS 500000.0 /* work per worker in one batch */
/* Work per worker a node may hold: it must outlast a round trip through
 * both sides' waits (a few ms when the cores are busy with workers). */
#define AHEAD_NS 10000000.0
#define MAX_BATCH 1024

struct peer {
	int rank;	/* 0: rank 0's own workers, through `local` */
	int workers;
	char host[RSW__MPI_HOST_MAX];
	uint64_t outstanding;
	struct wire_counts counts;
	int answered_spec; /* it is in the sweep: it gets a stop */
	int stopping;	/* told to stop, its answer not in yet */
};

struct pending_send {
	MPI_Request req;
	char *buf;
};

struct mpi_exec {
	struct peer *peers;
	int npeers;
	struct rsw__relay local;
	int have_local;
	uint32_t max_params, max_metrics, max_message;
	/* Tasks taken from the engine, not yet sent: seq, shown seq, params. */
	uint32_t mask;
	uint64_t q_head, q_tail;
	uint64_t *q_seq, *q_shown;
	double *q_params;
	/* Which peer holds each task in flight (by seq): a result counts
	 * only from the peer its task was sent to. */
	uint16_t *owner;
	/* Results received, not yet handed to the engine. */
	uint64_t r_head, r_tail;
	rsw_result *r_ring;
	char *r_text;	/* max_message bytes a slot, or NULL */
	struct pending_send *sends;
	uint32_t nsends, sends_cap;
	char *rbuf;
	size_t rcap;
	double avg_ns;
	uint64_t samples;
	int draining;
	int failed;	/* a node failed: the code rank 0 returns */
	char errmsg[2048];
};

/* ------------------------------------------------------------- sending */

/* Completed sends release their buffers. */
static void
reap_sends(struct mpi_exec *x)
{
	for (uint32_t i = 0; i < x->nsends;) {
		int done = 0;

		MPI_Test(&x->sends[i].req, &done, MPI_STATUS_IGNORE);
		if (done) {
			free(x->sends[i].buf);
			x->sends[i] = x->sends[--x->nsends];
		} else {
			i++;
		}
	}
}

/* Sends buf (ours from now on) without waiting. */
static int
post(struct mpi_exec *x, int rank, int tag, char *buf, size_t len)
{
	if (x->nsends == x->sends_cap) {
		uint32_t cap = x->sends_cap ? 2 * x->sends_cap : 16;
		struct pending_send *s = realloc(x->sends, cap * sizeof *s);

		if (s == NULL) {
			free(buf);
			return RSW_ENOMEM;
		}
		x->sends = s;
		x->sends_cap = cap;
	}
	x->sends[x->nsends].buf = buf;
	MPI_Isend(buf, (int)len, MPI_BYTE, rank, tag, MPI_COMM_WORLD,
		  &x->sends[x->nsends].req);
	x->nsends++;
	return 0;
}

static void
fail(struct mpi_exec *x, int rc, const struct peer *p, const char *why)
{
	if (x->failed)
		return;
	x->failed = rc;
	if (p != NULL)
		snprintf(x->errmsg, sizeof x->errmsg, "rank %d (%s): %s", p->rank,
			 p->host, why);
	else
		snprintf(x->errmsg, sizeof x->errmsg, "%s", why);
}

/* ------------------------------------------------------------ dispatch */

static uint32_t
batch_for(const struct mpi_exec *x, const struct peer *p)
{
	double b = p->workers * TARGET_BATCH_NS / (x->avg_ns > 1.0 ? x->avg_ns : 1.0);

	return b < 1.0 ? 1 : b > MAX_BATCH ? MAX_BATCH : (uint32_t)b;
}

static uint64_t
cap_for(const struct mpi_exec *x, const struct peer *p)
{
	double avg = x->avg_ns > 1.0 ? x->avg_ns : 1.0;
	uint64_t cap = 4u * (uint64_t)p->workers, two = 2u * batch_for(x, p);
	uint64_t ahead = (uint64_t)(p->workers * AHEAD_NS / avg);
	uint64_t share = (x->mask + 1u) / (uint64_t)x->npeers;

	cap = cap > two ? cap : two;
	cap = cap > ahead ? cap : ahead;
	if (share < 1)
		share = 1;
	return cap < share ? cap : share;
}

/* Sends (or, for rank 0's own workers, submits) one batch to p: up to n
 * queued tasks whose seqs and shown seqs run on. */
static int
send_batch(struct mpi_exec *x, struct peer *p, uint32_t n)
{
	uint64_t first = x->q_head;
	uint32_t k = 1, np = x->max_params;
	struct wire_tasks t;
	char *buf;
	int rc;

	while (k < n && x->q_seq[(first + k) & x->mask] == x->q_seq[first & x->mask] + k &&
	       x->q_shown[(first + k) & x->mask] == x->q_shown[first & x->mask] + k &&
	       ((first + k) & x->mask) != 0)
		k++;
	t.first_seq = x->q_seq[first & x->mask];
	t.shown_seq = x->q_shown[first & x->mask];
	t.n = k;
	t.nparams = np;
	if (p->rank == 0) {
		rc = rsw__relay_submit(&x->local, t.first_seq, t.shown_seq,
				       x->q_params + (first & x->mask) * np, np, k);
		if (rc != 0) {
			fail(x, rc, p, "its engine refused tasks");
			return rc;
		}
	} else {
		size_t len = sizeof t + (size_t)k * np * sizeof(double);

		if ((buf = malloc(len)) == NULL)
			return RSW_ENOMEM;
		memcpy(buf, &t, sizeof t);
		memcpy(buf + sizeof t, x->q_params + (first & x->mask) * np,
		       (size_t)k * np * sizeof(double));
		if ((rc = post(x, p->rank, TAG_TASKS, buf, len)) != 0)
			return rc;
	}
	for (uint32_t i = 0; i < k; i++)
		x->owner[(t.first_seq + i) & x->mask] = (uint16_t)(p - x->peers);
	p->outstanding += k;
	x->q_head += k;
	return 0;
}

static int
dispatch(struct mpi_exec *x)
{
	while (x->q_head < x->q_tail && !x->draining && !x->failed) {
		struct peer *best = NULL;
		uint64_t best_free = 0, queued = x->q_tail - x->q_head, share;
		uint32_t n;
		int rc;

		for (int i = 0; i < x->npeers; i++) {
			uint64_t cap = cap_for(x, &x->peers[i]);
			uint64_t free_ = cap > x->peers[i].outstanding ?
						 cap - x->peers[i].outstanding : 0;

			if (free_ > best_free) {
				best = &x->peers[i];
				best_free = free_;
			}
		}
		if (best == NULL)
			return 0;
		share = (queued + (uint64_t)x->npeers - 1) / (uint64_t)x->npeers;
		n = batch_for(x, best);
		if (n > best_free)
			n = (uint32_t)best_free;
		if (n > share)
			n = (uint32_t)share;
		if ((rc = send_batch(x, best, n)) != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ receiving */

static rsw_result *
next_result(struct mpi_exec *x)
{
	rsw_result *r = &x->r_ring[x->r_tail & x->mask];

	memset(r, 0, sizeof *r);
	r->message = NULL;
	x->r_tail++;
	return r;
}

static void
learn(struct mpi_exec *x, const rsw_result *r)
{
	if (r->status != RSW_STATUS_OK)
		return;
	x->samples++;
	x->avg_ns += ((double)r->elapsed_ns - x->avg_ns) /
		     (double)(x->samples < 64 ? x->samples : 64);
}

static void
keep_text(struct mpi_exec *x, rsw_result *r, const char *text, uint32_t len)
{
	char *to;

	if (x->r_text == NULL || len == 0 || len >= x->max_message)
		return;
	to = x->r_text + ((x->r_tail - 1) & x->mask) * x->max_message;
	memcpy(to, text, len);
	to[len] = '\0';
	r->message = to;
}

/* Unpacks a TAG_RESULTS message from p; every size is checked against
 * the message and the sweep. */
static int
take_results(struct mpi_exec *x, struct peer *p, const char *buf, size_t bytes)
{
	struct wire_results h;
	size_t at = sizeof h;

	if (bytes < sizeof h)
		goto bad;
	memcpy(&h, buf, sizeof h);
	if (h.n > p->outstanding)
		goto bad;
	for (uint32_t i = 0; i < h.n; i++) {
		struct wire_result w;
		rsw_result *r;
		size_t text;

		if (bytes - at < sizeof w)
			goto bad;
		memcpy(&w, buf + at, sizeof w);
		at += sizeof w;
		text = ((size_t)w.message_len + 7u) & ~(size_t)7u;
		if (w.nmetrics > x->max_metrics || w.worker >= 1000 ||
		    (w.message_len > 0 && w.message_len >= x->max_message) ||
		    bytes - at < w.nmetrics * sizeof(double) + text ||
		    x->owner[w.seq & x->mask] != (uint16_t)(p - x->peers))
			goto bad;
		r = next_result(x);
		r->seq = w.seq;
		r->status = w.status;
		r->detail = w.detail;
		r->value = w.value;
		r->attempts = w.attempts;
		/* Workers are numbered across the job: agent rank r's worker i
		 * is shown as r * 1000 + i. */
		r->worker = w.worker < 0 ? -1 : p->rank * 1000 + w.worker;
		r->elapsed_ns = w.elapsed_ns;
		r->peak_kb = w.peak_kb;
		r->nmetrics = w.nmetrics;
		memcpy(r->metrics, buf + at, w.nmetrics * sizeof(double));
		at += w.nmetrics * sizeof(double);
		keep_text(x, r, buf + at, w.message_len);
		at += text;
		learn(x, r);
	}
	if (at != bytes)
		goto bad;
	p->outstanding -= h.n;
	p->counts = h.counts;
	return 0;
bad:
	fail(x, RSW_EREMOTE, p, "sent a malformed results message");
	return RSW_EREMOTE;
}

static struct peer *
peer_of(struct mpi_exec *x, int rank)
{
	/* Agents are ranks 1 .. npeers (rank 0's workers, if any, last). */
	if (rank < 1 || rank > x->npeers || x->peers[rank - 1].rank != rank)
		return NULL;
	return &x->peers[rank - 1];
}

/* Everything the agents have sent, and what rank 0's workers finished. */
static int
gather(struct mpi_exec *x, int local_wait_ms)
{
	for (;;) {
		MPI_Status st;
		struct peer *p;
		int flag = 0, bytes = 0, rc;

		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (!flag)
			break;
		if ((rc = rsw__mpi_receive(&st, &bytes, &x->rbuf, &x->rcap)) != 0)
			return rc;
		p = peer_of(x, st.MPI_SOURCE);
		if (p != NULL && st.MPI_TAG == TAG_RESULTS) {
			if ((rc = take_results(x, p, x->rbuf, (size_t)bytes)) != 0)
				return rc;
		} else if (p != NULL && st.MPI_TAG == TAG_FAILED &&
			   (size_t)bytes == sizeof(struct wire_ready)) {
			const struct wire_ready *w = (const void *)x->rbuf;
			char why[RSW__MPI_ERR_MAX + 64];

			snprintf(why, sizeof why, "its engine failed: %.*s",
				 (int)sizeof w->err, w->err);
			fail(x, RSW_EREMOTE, p, why);
			return RSW_EREMOTE;
		} else {
			char why[96];

			snprintf(why, sizeof why, "rank %d sent a message out of turn "
				 "(tag %d)", st.MPI_SOURCE, st.MPI_TAG);
			fail(x, RSW_EREMOTE, NULL, why);
			return RSW_EREMOTE;
		}
	}
	if (x->have_local && x->peers[x->npeers - 1].outstanding > 0) {
		struct peer *p = &x->peers[x->npeers - 1];
		int got = rsw__relay_poll(&x->local, local_wait_ms);

		if (got < 0) {
			fail(x, got, p, rsw_strerror(got));
			return got;
		}
		for (int i = 0; i < got; i++) {
			const rsw_result *from = &x->local.results[i];
			rsw_result *r = next_result(x);

			*r = *from;
			r->message = NULL;
			if (from->message != NULL)
				keep_text(x, r, from->message,
					  (uint32_t)strnlen(from->message,
							    x->max_message));
			learn(x, r);
		}
		p->outstanding -= (uint64_t)got;
	}
	return 0;
}

/* ---------------------------------------------------------------- ops */

static int
ex_submit(void *self, uint64_t first_seq, uint64_t shown_seq,
	  const double *params, uint32_t nparams, uint32_t n)
{
	struct mpi_exec *x = self;
	uint64_t room = x->mask + 1u - (x->q_tail - x->q_head);
	uint32_t i;
	int rc;

	if (x->failed)
		return x->failed;
	if (nparams > x->max_params)
		return RSW_EINVAL;
	for (i = 0; i < n && i < room; i++) {
		uint64_t at = x->q_tail & x->mask;

		x->q_seq[at] = first_seq + i;
		x->q_shown[at] = shown_seq + i;
		memset(x->q_params + at * x->max_params, 0,
		       x->max_params * sizeof(double));
		memcpy(x->q_params + at * x->max_params, params + (size_t)i * nparams,
		       nparams * sizeof(double));
		x->q_tail++;
	}
	if ((rc = dispatch(x)) != 0)
		return rc;
	return (int)i;
}

static int
ex_poll(void *self, rsw_result *out, uint32_t max, int timeout_ms)
{
	struct mpi_exec *x = self;
	uint64_t deadline = rsw_now_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (uint32_t idle = 0;; idle++) {
		uint32_t n = 0;
		int rc;

		reap_sends(x);
		/* Rank 0's own workers are waited on through their engine's
		 * wake-up when nothing else is going on. */
		if ((rc = gather(x, idle >= 16 && timeout_ms > 0 ? 1 : 0)) != 0 ||
		    (rc = dispatch(x)) != 0)
			return rc;
		while (n < max && x->r_head < x->r_tail)
			out[n++] = x->r_ring[x->r_head++ & x->mask];
		if (n > 0)
			return (int)n;
		if (rsw_now_ns() >= deadline)
			return 0;
		if (!x->have_local || x->peers[x->npeers - 1].outstanding == 0)
			rsw__mpi_idle(idle);
	}
}

static void
ex_drain(void *self)
{
	struct mpi_exec *x = self;

	if (x->draining)
		return;
	x->draining = 1;
	/* Not sent: never started. */
	while (x->q_head < x->q_tail) {
		rsw_result *r = next_result(x);

		r->seq = x->q_seq[x->q_head++ & x->mask];
		r->status = RSW_STATUS_SKIPPED;
		r->attempts = 1;
		r->worker = -1;
	}
	for (int i = 0; i < x->npeers; i++) {
		if (x->peers[i].rank == 0)
			rsw_engine_drain(x->local.engine);
		else if (post(x, x->peers[i].rank, TAG_DRAIN, NULL, 0) != 0)
			fail(x, RSW_ENOMEM, NULL, "out of memory");
	}
}

static void
ex_stats(void *self, rsw_stats *st)
{
	struct mpi_exec *x = self;

	for (int i = 0; i < x->npeers; i++) {
		struct wire_counts c = x->peers[i].counts;

		if (x->peers[i].rank == 0)
			rsw__relay_counts(&x->local, &c);
		st->deaths += c.deaths;
		st->killed += c.killed;
		st->retries += c.retries;
		st->requeued += c.requeued;
		st->timeouts += c.timeouts;
		st->recycled += c.recycled;
		if (c.max_kill_late_ns > st->max_kill_late_ns)
			st->max_kill_late_ns = c.max_kill_late_ns;
	}
}

static const char *
ex_errmsg(void *self)
{
	return ((struct mpi_exec *)self)->errmsg;
}

/* Tells every agent to stop and waits for each one's answer, receiving
 * and dropping whatever comes before it: after this, nothing an agent
 * sent for this sweep is left to be received by the next one.  A rank
 * that does not answer within the grace (it died: mpirun is ending the
 * job) is given up on. */
static void
stop_agents(struct mpi_exec *x)
{
	uint64_t until = rsw_now_ns() + RSW__MPI_STOP_GRACE_NS;
	int waiting = 0;

	for (int i = 0; i < x->npeers; i++)
		if (x->peers[i].rank != 0 && x->peers[i].answered_spec &&
		    post(x, x->peers[i].rank, TAG_STOP, NULL, 0) == 0) {
			x->peers[i].stopping = 1;
			waiting++;
		}
	for (uint32_t idle = 0; (waiting > 0 || x->nsends > 0) &&
				rsw_now_ns() < until; idle++) {
		MPI_Status st;
		int flag = 0, bytes;

		reap_sends(x);
		MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (flag && rsw__mpi_receive(&st, &bytes, &x->rbuf, &x->rcap) == 0) {
			struct peer *p = peer_of(x, st.MPI_SOURCE);

			idle = 0;
			if (st.MPI_TAG == TAG_STOPPED && p != NULL && p->stopping) {
				p->stopping = 0;
				waiting--;
			}
			continue;
		}
		rsw__mpi_idle(idle);
	}
	/* Sends that did not complete (a dead rank): MPI keeps the request;
	 * the buffers must then outlive us, so they are left, not freed. */
	x->nsends = 0;
}

static void
ex_close(void *self)
{
	struct mpi_exec *x = self;

	if (x == NULL)
		return;
	stop_agents(x);
	if (x->have_local)
		rsw__relay_close(&x->local);
	free(x->peers);
	free(x->q_seq);
	free(x->q_shown);
	free(x->q_params);
	free(x->r_ring);
	free(x->owner);
	free(x->r_text);
	free(x->sends);
	free(x->rbuf);
	free(x);
}

static const rsw_executor_ops mpi_ops = {
	.submit = ex_submit,
	.poll = ex_poll,
	.drain = ex_drain,
	.stats = ex_stats,
	.errmsg = ex_errmsg,
	.close = ex_close,
};

/* ------------------------------------------------------------- set-up */

/* Waits for every agent's answer to the spec; the first refusal, with
 * its rank and host, is the error. */
static int
await_agents(struct mpi_exec *x, int nagents, char *err, size_t errlen)
{
	int answered = 0, rc = 0;

	for (uint32_t idle = 0; answered < nagents; idle++) {
		MPI_Status st;
		const struct wire_ready *w;
		struct peer *p;
		int flag = 0, bytes = 0;

		MPI_Iprobe(MPI_ANY_SOURCE, TAG_READY, MPI_COMM_WORLD, &flag, &st);
		if (!flag) {
			rsw__mpi_idle(idle);
			continue;
		}
		if (rsw__mpi_receive(&st, &bytes, &x->rbuf, &x->rcap) != 0)
			return RSW_ENOMEM;
		p = peer_of(x, st.MPI_SOURCE);
		w = (const void *)x->rbuf;
		answered++;
		if (p == NULL || (size_t)bytes != sizeof *w) {
			if (rc == 0)
				snprintf(err, errlen, "rank %d answered out of turn",
					 st.MPI_SOURCE);
			rc = rc ? rc : RSW_EREMOTE;
			continue;
		}
		p->answered_spec = 1;
		snprintf(p->host, sizeof p->host, "%.*s", (int)sizeof w->host - 1,
			 w->host);
		p->workers = w->workers > 0 ? w->workers : 1;
		if (w->rc != 0 && rc == 0) {
			snprintf(err, errlen, "rank %d (%s): %.*s", p->rank, p->host,
				 (int)sizeof w->err - 1, w->err);
			rc = w->rc;
		}
	}
	return rc;
}

int
rsw_mpi_executor(void *ctx, const rsw_sweep *sw, const rsw_config *engine,
		 const rsw_executor_ops **ops, void **self, char *err,
		 size_t errlen)
{
	const rsw_mpi_options *opt = ctx;
	int size = rsw_mpi_size(), rc = 0, driver_workers;
	struct mpi_exec *x;
	char *spec;

	driver_workers = opt != NULL ? opt->driver_workers : 0;
	if (size > 65535) {
		snprintf(err, errlen, "--mpi: at most 65,535 ranks, this job has %d",
			 size);
		rsw_mpi_release();
		return RSW_EINVAL;
	}
	if (size < 2 && driver_workers < 1) {
		snprintf(err, errlen, "--mpi: no agent ranks and no workers on rank 0 "
			 "(start it with mpirun -np 2 or more, or give rank 0 "
			 "workers with --mpi-driver-workers)");
		rsw_mpi_release();
		return RSW_EINVAL;
	}
	x = calloc(1, sizeof *x);
	spec = rsw_sweep_node_spec(sw);
	if (x == NULL || spec == NULL) {
		free(x);
		free(spec);
		rsw_mpi_release();
		return RSW_ENOMEM;
	}
	x->have_local = driver_workers > 0;
	x->npeers = size - 1 + x->have_local;
	x->max_params = engine->max_params;
	x->max_metrics = engine->max_metrics;
	x->max_message = engine->max_message;
	x->mask = engine->max_inflight - 1;
	x->avg_ns = 1e6; /* until measured: 1 ms tasks */
	x->peers = calloc((size_t)x->npeers, sizeof *x->peers);
	x->q_seq = calloc(x->mask + 1u, sizeof *x->q_seq);
	x->q_shown = calloc(x->mask + 1u, sizeof *x->q_shown);
	x->q_params = calloc((size_t)(x->mask + 1u) * (x->max_params + 1u),
			     sizeof(double));
	x->r_ring = calloc(x->mask + 1u, sizeof *x->r_ring);
	x->owner = calloc(x->mask + 1u, sizeof *x->owner);
	if (x->max_message > 0)
		x->r_text = malloc((size_t)(x->mask + 1u) * x->max_message);
	if (x->peers == NULL || x->q_seq == NULL || x->q_shown == NULL ||
	    x->q_params == NULL || x->r_ring == NULL || x->owner == NULL ||
	    (x->max_message > 0 && x->r_text == NULL)) {
		x->npeers = 0;
		ex_close(x);
		free(spec);
		rsw_mpi_release();
		return RSW_ENOMEM;
	}
	for (int r = 1; r < size; r++) {
		x->peers[r - 1].rank = r;
		x->peers[r - 1].workers = 1;
		MPI_Send(spec, (int)strlen(spec), MPI_BYTE, r, TAG_SPEC, MPI_COMM_WORLD);
	}
	if (x->have_local) {
		rsw_node_config nc;
		struct peer *p = &x->peers[x->npeers - 1];

		rsw_node_config_init(&nc);
		nc.exec = *engine;
		nc.exec.workers = driver_workers;
		nc.exec.idle = opt->driver_idle;
		nc.function = &rsw_sweep_config_of(sw)->objective;
		p->rank = 0;
		p->workers = driver_workers;
		snprintf(p->host, sizeof p->host, "%s", rsw_mpi_host());
		rc = rsw__relay_open(&x->local, spec, &nc, err, errlen);
		if (rc != 0) {
			char why[1024];

			snprintf(why, sizeof why, "rank 0 (%s): %s", p->host, err);
			snprintf(err, errlen, "%s", why);
			x->have_local = 0;
		}
	}
	free(spec);
	{
		char agent_err[2048] = "";
		int arc = await_agents(x, size - 1, agent_err, sizeof agent_err);

		if (rc == 0 && arc != 0) {
			rc = arc;
			snprintf(err, errlen, "%s", agent_err);
		}
	}
	if (rc != 0) {
		ex_close(x);
		return rc;
	}
	*ops = &mpi_ops;
	*self = x;
	return 0;
}

void
rsw_mpi_release(void)
{
	int size = rsw_mpi_size();

	/* Agents wait for a spec: an empty one means there is no sweep. */
	for (int r = 1; r < size; r++)
		MPI_Send(NULL, 0, MPI_BYTE, r, TAG_SPEC, MPI_COMM_WORLD);
}
