/*
 * mpi/relay.c - a node's engine under the driver's seqs (internal.h), the
 * packing of results onto the wire, and the idle back-off.  Used by every
 * agent and by rank 0's own workers (--mpi-driver-workers).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* mpirun binds each rank to a core by default (Open MPI: with two ranks or
 * fewer), and a forked worker inherits its binding: a node's workers would
 * all share the rank's one core.  The node's engine is meant to use the
 * machine, so the rank's own mask is widened to every CPU it may use (the
 * kernel keeps it within a cpuset, as under Slurm); --pin still pins each
 * worker within that. */
static void
widen_affinity(int workers)
{
	cpu_set_t now, all;
	long n = sysconf(_SC_NPROCESSORS_CONF);

	if (sched_getaffinity(0, sizeof now, &now) != 0 || CPU_COUNT(&now) >= workers)
		return;
	CPU_ZERO(&all);
	for (long c = 0; c < n && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	(void)sched_setaffinity(0, sizeof all, &all);
}

int
rsw__relay_open(struct rsw__relay *r, const char *spec,
		const rsw_node_config *cfg, char *err, size_t errlen)
{
	int rc;

	memset(r, 0, sizeof *r);
	widen_affinity(cfg->exec.workers);
	rc = rsw_node_open(&r->node, spec, cfg, err, errlen);
	if (rc != 0)
		return rc;
	r->engine = rsw_node_engine(r->node);
	/* One run per batch in flight, and a batch holds a task at least:
	 * never more runs than the engine holds tasks. */
	r->runs_mask = rsw_engine_config(r->engine)->max_inflight - 1;
	r->runs = calloc(r->runs_mask + 1, sizeof *r->runs);
	if (r->runs == NULL) {
		rsw__relay_close(r);
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	return 0;
}

int
rsw__relay_submit(struct rsw__relay *r, uint64_t global, uint64_t shown,
		  const double *params, uint32_t nparams, uint32_t n)
{
	struct relay_run *run;
	int taken;

	if (n == 0)
		return 0;
	if (r->run_tail - r->run_head > r->runs_mask)
		return RSW_EREMOTE;
	taken = rsw_engine_submit_batch_as(r->engine, params, nparams, n, shown);
	if (taken < 0)
		return taken == RSW_EAGAIN ? RSW_EREMOTE : taken;
	run = &r->runs[r->run_tail++ & r->runs_mask];
	run->local = r->local_next;
	run->global = global;
	run->n = (uint32_t)taken;
	r->local_next += (uint64_t)taken;
	return (uint32_t)taken == n ? 0 : RSW_EREMOTE;
}

int
rsw__relay_poll(struct rsw__relay *r, int timeout_ms)
{
	int got = rsw_engine_poll(r->engine, r->results, RSW__RELAY_POLL_MAX,
				  timeout_ms);

	/* The engine hands results out in its own seq order, which is the
	 * order the runs were queued in. */
	for (int i = 0; i < got; i++) {
		struct relay_run *run = &r->runs[r->run_head & r->runs_mask];

		while (r->results[i].seq >= run->local + run->n &&
		       r->run_head != r->run_tail)
			run = &r->runs[++r->run_head & r->runs_mask];
		r->results[i].seq = run->global + (r->results[i].seq - run->local);
	}
	return got;
}

void
rsw__relay_counts(const struct rsw__relay *r, struct wire_counts *c)
{
	rsw_stats st;

	rsw_engine_stats(r->engine, &st);
	c->deaths = st.deaths;
	c->killed = st.killed;
	c->retries = st.retries;
	c->requeued = st.requeued;
	c->timeouts = st.timeouts;
	c->recycled = st.recycled;
	c->max_kill_late_ns = st.max_kill_late_ns;
}

void
rsw__relay_close(struct rsw__relay *r)
{
	rsw_node_close(r->node);
	free(r->runs);
	memset(r, 0, sizeof *r);
}

size_t
rsw__wire_result_size(uint32_t nmetrics, uint32_t message_len)
{
	return sizeof(struct wire_result) + nmetrics * sizeof(double) +
	       ((message_len + 7u) & ~7u);
}

size_t
rsw__wire_put_result(char *buf, const rsw_result *r, uint32_t max_message)
{
	struct wire_result w;
	size_t len = r->message != NULL && r->status != RSW_STATUS_OK ?
			     strnlen(r->message, max_message) : 0;
	size_t at = sizeof w;

	if (max_message == 0 || len >= max_message)
		len = 0;
	memset(&w, 0, sizeof w);
	w.seq = r->seq;
	w.status = r->status;
	w.detail = r->detail;
	w.value = r->value;
	w.attempts = r->attempts;
	w.worker = r->worker;
	w.elapsed_ns = r->elapsed_ns;
	w.peak_kb = r->peak_kb;
	w.nmetrics = r->nmetrics;
	w.message_len = (uint32_t)len;
	memcpy(buf, &w, sizeof w);
	memcpy(buf + at, r->metrics, r->nmetrics * sizeof(double));
	at += r->nmetrics * sizeof(double);
	memset(buf + at, 0, (len + 7u) & ~(size_t)7u);
	memcpy(buf + at, r->message == NULL ? "" : r->message, len);
	return at + ((len + 7u) & ~(size_t)7u);
}

int
rsw__mpi_receive(const MPI_Status *st, int *bytes, char **buf, size_t *cap)
{
	MPI_Get_count(st, MPI_BYTE, bytes);
	if ((size_t)*bytes + 1 > *cap) {
		char *b = realloc(*buf, (size_t)*bytes + 1);

		if (b == NULL)
			return RSW_ENOMEM;
		*buf = b;
		*cap = (size_t)*bytes + 1;
	}
	MPI_Recv(*buf, *bytes, MPI_BYTE, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
		 MPI_STATUS_IGNORE);
	(*buf)[*bytes] = '\0';
	return 0;
}

void
rsw__mpi_idle(uint32_t idle_rounds)
{
	struct timespec ts = { 0, 0 };

	/* The first empty polls cost nothing but the probe (a result is often
	 * a few microseconds away); then sleep, 20 us doubling to 1 ms: a
	 * sweep that waits on 10 ms tasks wakes ~1,000 times a second, and the
	 * CPU is the workers'. */
	if (idle_rounds < 16)
		return;
	ts.tv_nsec = 20000L << (idle_rounds - 16 < 5 ? idle_rounds - 16 : 5);
	if (ts.tv_nsec > 1000000L)
		ts.tv_nsec = 1000000L;
	nanosleep(&ts, NULL);
}
