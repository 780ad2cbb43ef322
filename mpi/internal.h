/*
 * mpi/internal.h - what rank 0 and the agents share: the messages on the
 * wire, the relay (a node's engine under the driver's seqs), and the
 * waiting that does not burn a core.
 */
#ifndef RSW_MPI_INTERNAL_H
#define RSW_MPI_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "ringsweep/engine.h"
#include "ringsweep/node.h"

/* Message tags.  Between two ranks MPI keeps messages in order, and both
 * sides receive with MPI_ANY_TAG: a STOP never overtakes the TASKS sent
 * before it. */
enum rsw__mpi_tag {
	TAG_SPEC = 1,	 /* 0 -> agent: the node spec (JSON text), or empty:
			    no sweep, return */
	TAG_READY,	 /* agent -> 0: struct wire_ready */
	TAG_TASKS,	 /* 0 -> agent: struct wire_tasks + n x nparams doubles */
	TAG_RESULTS,	 /* agent -> 0: struct wire_results + records */
	TAG_DRAIN,	 /* 0 -> agent: start nothing more */
	TAG_STOP,	 /* 0 -> agent: close the engine, return */
	TAG_FAILED,	 /* agent -> 0: struct wire_ready, its engine failed */
	TAG_STOPPED,	 /* agent -> 0, the last message of a sweep: what it
			    sent before has all been received (rank 0 drops
			    whatever comes until then), so nothing of this
			    sweep can reach the next one */
};

/* How long either side waits for the other at a stop (a rank that died
 * never answers; mpirun is then ending the job). */
#define RSW__MPI_STOP_GRACE_NS 2000000000ull

#define RSW__MPI_HOST_MAX 64
#define RSW__MPI_ERR_MAX 1024

struct wire_ready {
	int32_t rc; /* 0, or the RSW_E... code */
	int32_t workers;
	char host[RSW__MPI_HOST_MAX];
	char err[RSW__MPI_ERR_MAX];
};

struct wire_tasks {
	uint64_t first_seq, shown_seq;
	uint32_t n, nparams;
};

/* The agent's engine counters, cumulative (rank 0 keeps the last). */
struct wire_counts {
	uint64_t deaths, killed, retries, requeued, timeouts, recycled;
	uint64_t max_kill_late_ns;
};

struct wire_results {
	uint32_t n, pad;
	struct wire_counts counts;
};

/* One result; followed by nmetrics doubles, then message_len bytes of
 * text padded to a multiple of 8. */
struct wire_result {
	uint64_t seq;
	int32_t status, detail;
	double value;
	uint32_t attempts;
	int32_t worker;
	uint64_t elapsed_ns, peak_kb;
	uint32_t nmetrics, message_len;
};

#define RSW__RELAY_POLL_MAX 256

/* A node's engine fed with the driver's tasks: the engine numbers what it
 * is given 0, 1, 2...; the relay remembers which driver seqs each batch
 * carried and hands results back under those. */
struct rsw__relay {
	rsw_node *node;
	rsw_engine *engine;
	uint64_t local_next;  /* the engine's next seq */
	struct relay_run {
		uint64_t local, global;
		uint32_t n;
	} *runs;
	uint32_t runs_mask, run_head, run_tail;
	rsw_result results[RSW__RELAY_POLL_MAX];
};

int rsw__relay_open(struct rsw__relay *r, const char *spec,
		    const rsw_node_config *cfg, char *err, size_t errlen);
/* Submits all n tasks; RSW_EREMOTE when the engine has no room for them
 * (the driver's credit should have prevented it). */
int rsw__relay_submit(struct rsw__relay *r, uint64_t global, uint64_t shown,
		      const double *params, uint32_t nparams, uint32_t n);
/* Polls the engine; results in r->results with the driver's seqs. */
int rsw__relay_poll(struct rsw__relay *r, int timeout_ms);
void rsw__relay_counts(const struct rsw__relay *r, struct wire_counts *c);
void rsw__relay_close(struct rsw__relay *r);

/* Bytes a wire_result with these sizes takes. */
size_t rsw__wire_result_size(uint32_t nmetrics, uint32_t message_len);
/* Appends r to buf (room checked by the caller with the size above);
 * returns the bytes written. */
size_t rsw__wire_put_result(char *buf, const rsw_result *r, uint32_t max_message);

/* Receives the message st describes (probed) into *buf, grown to fit and
 * NUL-terminated; *bytes receives its size.  0, or RSW_ENOMEM. */
int rsw__mpi_receive(const MPI_Status *st, int *bytes, char **buf, size_t *cap);

/* Backs off between polls that found nothing: spins a little, then sleeps
 * in growing steps up to 1 ms (idle_rounds counts the empty polls). */
void rsw__mpi_idle(uint32_t idle_rounds);

#endif
