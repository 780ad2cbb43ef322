/*
 * mpi/agent.c - MPI set-up, and a node agent (ranks > 0): receives the
 * sweep's spec, starts its machine's engine, evaluates the tasks rank 0
 * sends, sends the results back, until rank 0 says stop.
 *
 * The agent has no policy of its own: retries, timeouts and crashes are
 * its engine's (the driver's policies, from the spec); what it decides is
 * only when to look at MPI and when at its engine.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "ringsweep/mpi.h"

static char g_host[MPI_MAX_PROCESSOR_NAME];
static volatile sig_atomic_t g_serve_stop;

static int g_initialised; /* MPI_Init was ours (not mpi4py's, say) */

int
rsw_mpi_init(int *argc, char ***argv)
{
	int provided = 0, len = 0, already = 0;

	MPI_Initialized(&already);
	if (!already) {
		if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) !=
		    MPI_SUCCESS)
			return RSW_ESYS;
		g_initialised = 1;
	}
	if (MPI_Get_processor_name(g_host, &len) != MPI_SUCCESS)
		snprintf(g_host, sizeof g_host, "?");
	return 0;
}

int
rsw_mpi_rank(void)
{
	int rank = 0;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	return rank;
}

int
rsw_mpi_size(void)
{
	int size = 1;

	MPI_Comm_size(MPI_COMM_WORLD, &size);
	return size;
}

const char *
rsw_mpi_host(void)
{
	return g_host;
}

void
rsw_mpi_finalize(void)
{
	int done = 0;

	MPI_Finalized(&done);
	if (!done && g_initialised)
		MPI_Finalize();
	g_initialised = 0;
}

void
rsw_mpi_serve_stop(void)
{
	g_serve_stop = 1;
}

/* Waits for rank 0's next message without a blocking MPI call (Open MPI's
 * busy-poll); 0 with it probed in *st, or RSW_ECANCELED on
 * rsw_mpi_serve_stop. */
static int
await(MPI_Status *st)
{
	for (uint32_t idle = 0;; idle++) {
		int flag = 0;

		if (g_serve_stop)
			return RSW_ECANCELED;
		MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, st);
		if (flag)
			return 0;
		rsw__mpi_idle(idle);
	}
}

static void
tell(int tag, int rc, int workers, const char *err)
{
	struct wire_ready w;

	memset(&w, 0, sizeof w);
	w.rc = rc;
	w.workers = workers;
	snprintf(w.host, sizeof w.host, "%.63s", g_host);
	snprintf(w.err, sizeof w.err, "%s", err);
	MPI_Send(&w, (int)sizeof w, MPI_BYTE, 0, tag, MPI_COMM_WORLD);
}

/* Results go back with MPI_Isend: a blocking send could wait for rank 0,
 * busy sending tasks to us, forever.  One send in flight at a time; the
 * next batch waits in the relay's engine until it completes. */
struct outbox {
	MPI_Request req;
	char *buf;
	size_t cap;
};

static int
send_results(struct outbox *o, struct rsw__relay *r, int n, uint32_t max_message)
{
	struct wire_results h;
	size_t need = sizeof h, at;

	for (int i = 0; i < n; i++)
		need += rsw__wire_result_size(r->results[i].nmetrics, max_message);
	if (need > o->cap) {
		char *b = realloc(o->buf, need);

		if (b == NULL)
			return RSW_ENOMEM;
		o->buf = b;
		o->cap = need;
	}
	memset(&h, 0, sizeof h);
	h.n = (uint32_t)n;
	rsw__relay_counts(r, &h.counts);
	memcpy(o->buf, &h, sizeof h);
	at = sizeof h;
	for (int i = 0; i < n; i++)
		at += rsw__wire_put_result(o->buf + at, &r->results[i], max_message);
	MPI_Isend(o->buf, (int)at, MPI_BYTE, 0, TAG_RESULTS, MPI_COMM_WORLD,
		  &o->req);
	return 0;
}

static int
outbox_busy(struct outbox *o)
{
	int done = 1;

	if (o->req != MPI_REQUEST_NULL)
		MPI_Test(&o->req, &done, MPI_STATUS_IGNORE);
	return !done;
}

/* Tests a send until it completes, for the stop's grace at most: false
 * when it did not (a rank 0 that is gone). */
static int
settle(MPI_Request *req)
{
	uint64_t until = rsw_now_ns() + RSW__MPI_STOP_GRACE_NS;

	for (uint32_t idle = 0; *req != MPI_REQUEST_NULL; idle++) {
		int done = 0;

		MPI_Test(req, &done, MPI_STATUS_IGNORE);
		if (done)
			return 1;
		if (rsw_now_ns() >= until)
			return 0;
		rsw__mpi_idle(idle);
	}
	return 1;
}

/* The answer to rank 0's stop: results still on their way are delivered
 * first (rank 0 keeps receiving until this answer), then STOPPED. */
static void
answer_stop(struct outbox *o)
{
	MPI_Request req = MPI_REQUEST_NULL;

	if (o != NULL && !settle(&o->req))
		return;
	MPI_Isend(NULL, 0, MPI_BYTE, 0, TAG_STOPPED, MPI_COMM_WORLD, &req);
	(void)settle(&req);
}

/* Tells rank 0 this node failed, once, unless the job is being torn down
 * (mpirun signals every process of a rank's group: the engine's
 * supervisor dying then is the teardown, not a failure to report). */
static void
report_failure(int *failed, int rc, const char *err)
{
	if (*failed || g_serve_stop)
		return;
	tell(TAG_FAILED, rc, 0, err);
	*failed = 1;
}

/* A TAG_TASKS message as this node's engine can take it: sizes checked
 * against the message and the engine before anything is read. */
static const struct wire_tasks *
tasks_of(const char *buf, int bytes, const rsw_config *cfg)
{
	const struct wire_tasks *t = (const struct wire_tasks *)buf;

	if ((size_t)bytes < sizeof *t || t->n < 1 || t->n > cfg->max_inflight ||
	    t->nparams != cfg->max_params ||
	    (size_t)bytes != sizeof *t + (size_t)t->n * t->nparams * sizeof(double))
		return NULL;
	return t;
}

/* Evaluates rank 0's tasks until it says stop.  0 (also after a failure
 * this node reported: rank 0 decides), or RSW_ECANCELED when the agent
 * was told to stop at once. */
static int
serve_tasks(struct rsw__relay *r, char **buf, size_t *cap, char *err,
	    size_t errlen)
{
	const rsw_config *cfg = rsw_engine_config(r->engine);
	struct outbox o = { MPI_REQUEST_NULL, NULL, 0 };
	int failed = 0;

	for (uint32_t idle = 0;; idle++) {
		MPI_Status st;
		int flag = 0, got = 0, rc;

		/* Told to stop at once (mpirun is tearing the job down): the
		 * engine must be closed (workers killed, arena removed)
		 * before its SIGKILL comes; a send in flight stays with MPI. */
		if (g_serve_stop)
			return RSW_ECANCELED;
		MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
		if (flag) {
			const struct wire_tasks *t;
			int bytes = 0;

			if (rsw__mpi_receive(&st, &bytes, buf, cap) != 0) {
				snprintf(err, errlen, "out of memory");
				report_failure(&failed, RSW_ENOMEM, err);
				continue;
			}
			idle = 0;
			if (st.MPI_TAG == TAG_STOP) {
				answer_stop(&o);
				break;
			}
			if (st.MPI_TAG == TAG_DRAIN) {
				rsw_engine_drain(r->engine);
				continue;
			}
			t = st.MPI_TAG == TAG_TASKS ? tasks_of(*buf, bytes, cfg) : NULL;
			if (t == NULL) {
				snprintf(err, errlen, "rank 0 sent a message out of "
					 "turn (tag %d, %d bytes)", st.MPI_TAG, bytes);
				report_failure(&failed, RSW_EREMOTE, err);
				continue;
			}
			if (!failed &&
			    (rc = rsw__relay_submit(r, t->first_seq, t->shown_seq,
						    (const double *)(t + 1),
						    t->nparams, t->n)) != 0) {
				snprintf(err, errlen, "its engine refused tasks: %s",
					 rsw_strerror(rc));
				report_failure(&failed, rc, err);
			}
			continue;
		}
		if (failed || outbox_busy(&o)) {
			rsw__mpi_idle(idle);
			continue;
		}
		/* With tasks in its engine the agent sleeps on the engine's
		 * own wake-up (a result), 1 ms at most: rank 0's next batch
		 * is then looked at soon enough, as the credit keeps this
		 * node's queue ahead of its workers. */
		got = rsw__relay_poll(r, rsw_engine_pending(r->engine) > 0 ? 1 : 0);
		if (got < 0) {
			snprintf(err, errlen, "%s", rsw_strerror(got));
			report_failure(&failed, got, err);
			continue;
		}
		if (got > 0) {
			idle = 0;
			if (send_results(&o, r, got, cfg->max_message) != 0) {
				snprintf(err, errlen, "out of memory");
				report_failure(&failed, RSW_ENOMEM, err);
			}
		} else if (rsw_engine_pending(r->engine) == 0) {
			rsw__mpi_idle(idle);
		}
	}
	free(o.buf);
	return 0;
}

struct rsw_mpi_agent {
	struct rsw__relay relay;
	int opened;	/* the relay runs an engine */
	int refused;	/* this node could not join: wait for rank 0's stop */
	char *buf;	/* the last message from rank 0 (the spec first) */
	size_t cap;
};

int
rsw_mpi_agent_await(rsw_mpi_agent **out, char *err, size_t errlen)
{
	rsw_mpi_agent *a;
	MPI_Status st;
	int bytes = 0, rc;

	*out = NULL;
	err[0] = '\0';
	if ((a = calloc(1, sizeof *a)) == NULL)
		return RSW_ENOMEM;
	if ((rc = await(&st)) != 0 ||
	    (rc = rsw__mpi_receive(&st, &bytes, &a->buf, &a->cap)) != 0) {
		rsw_mpi_agent_close(a);
		return rc;
	}
	if (st.MPI_TAG == TAG_STOP || (st.MPI_TAG == TAG_SPEC && bytes == 0)) {
		rsw_mpi_agent_close(a); /* rank 0 runs no sweep */
		return 0;
	}
	if (st.MPI_TAG != TAG_SPEC) {
		snprintf(err, errlen, "rank 0 sent a message out of turn (tag %d)",
			 st.MPI_TAG);
		rsw_mpi_agent_close(a);
		return RSW_EREMOTE;
	}
	*out = a;
	return 0;
}

int
rsw_mpi_agent_start(rsw_mpi_agent *a, const rsw_node_config *cfg, char *err,
		    size_t errlen)
{
	int rc = rsw__relay_open(&a->relay, a->buf, cfg, err, errlen);

	tell(TAG_READY, rc, cfg->exec.workers, rc == 0 ? "" : err);
	a->opened = rc == 0;
	a->refused = rc != 0;
	return rc;
}

int
rsw_mpi_agent_run(rsw_mpi_agent *a, char *err, size_t errlen)
{
	MPI_Status st;
	int bytes = 0, rc;

	err[0] = '\0';
	if (a->refused) {
		/* Rank 0 names this node in its error and releases every
		 * agent; the job's outcome is its to report. */
		while ((rc = await(&st)) == 0 &&
		       (rc = rsw__mpi_receive(&st, &bytes, &a->buf, &a->cap)) == 0 &&
		       st.MPI_TAG != TAG_STOP)
			;
		if (rc == 0)
			answer_stop(NULL);
		return rc == RSW_ECANCELED ? rc : 0;
	}
	if (!a->opened)
		return RSW_EINVAL;
	return serve_tasks(&a->relay, &a->buf, &a->cap, err, errlen);
}

void
rsw_mpi_agent_close(rsw_mpi_agent *a)
{
	if (a == NULL)
		return;
	if (a->opened)
		rsw__relay_close(&a->relay);
	/* A rank that died on this machine left its arena: ours is gone,
	 * remove theirs too. */
	(void)rsw_arena_reap_stale();
	free(a->buf);
	free(a);
}

int
rsw_mpi_serve(const rsw_node_config *cfg, char *err, size_t errlen)
{
	rsw_mpi_agent *a;
	int rc = rsw_mpi_agent_await(&a, err, errlen);

	if (rc != 0 || a == NULL)
		return rc;
	/* A node that cannot join has told rank 0; it waits for the stop. */
	(void)rsw_mpi_agent_start(a, cfg, err, errlen);
	rc = rsw_mpi_agent_run(a, err, errlen);
	rsw_mpi_agent_close(a);
	return rc;
}
