/*
 * tests/tsan_sweep.c - the threads of one process that share memory, run
 * under ThreadSanitizer (tools/tsan.sh; Criterion cannot run under it):
 * the sweep's committer, its results store's writer thread, and readers
 * of the progress snapshot on two other threads, through a whole sweep
 * with a store and a CSV, with worker processes and with worker threads
 * (thread mode: the worker loop, the rings and the driver in one
 * process); then an engine in thread mode whose counters another thread
 * reads (rsw_engine_stats) while it runs.  ThreadSanitizer ends the run
 * with exit code 66 at its first report; a wrong result exits 1.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ringsweep/ringsweep.h"

static int stop_readers;

static void *
read_progress(void *arg)
{
	rsw_sweep_progress p;
	uint64_t last = 0;

	while (!__atomic_load_n(&stop_readers, __ATOMIC_RELAXED)) {
		if (rsw_sweep_progress_get(arg, &p) == 0) {
			if (p.done < last)
				exit(1); /* a snapshot older than one already seen */
			last = p.done;
		}
		sched_yield();
	}
	return NULL;
}

struct stats_reader {
	rsw_engine *e;
	int stop;
	uint64_t reads;
};

static void *
read_stats(void *arg)
{
	struct stats_reader *r = arg;
	uint64_t last = 0;
	rsw_stats st;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		rsw_engine_stats(r->e, &st);
		if (st.committed < last || st.committed > st.submitted)
			exit(1); /* torn, or older than a copy already seen */
		last = st.committed;
		r->reads++;
	}
	return NULL;
}

static int
x_squared(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	out->value = x[0] * x[0];
	return 0;
}

/* A thread-mode engine driven here while another thread reads its
 * counters; every result checked. */
static int
engine_stats_from_another_thread(void)
{
	rsw_objective obj = { x_squared, NULL, NULL, NULL };
	struct stats_reader r = { 0 };
	rsw_result res[256];
	pthread_t reader;
	rsw_config c;
	uint64_t next = 0, done = 0;

	rsw_config_init(&c);
	c.workers = 2;
	c.mode = RSW_MODE_THREADS;
	if (rsw_engine_open(&r.e, &c, &obj) != 0)
		return fprintf(stderr, "tsan_sweep: thread-mode engine did not open\n"), 1;
	pthread_create(&reader, NULL, read_stats, &r);
	while (done < 100000) {
		while (next < 100000 && rsw_engine_pending(r.e) < 4096) {
			double x = (double)next;

			if (rsw_engine_submit(r.e, &x, 1, NULL) != 0)
				break;
			next++;
		}
		int got = rsw_engine_poll(r.e, res, 256, -1);

		if (got < 0)
			return fprintf(stderr, "tsan_sweep: %s\n", rsw_strerror(got)), 1;
		for (int i = 0; i < got; i++)
			if (res[i].seq != done + (uint64_t)i ||
			    res[i].value != (double)res[i].seq * (double)res[i].seq)
				return fprintf(stderr, "tsan_sweep: wrong result\n"), 1;
		done += (uint64_t)got;
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(reader, NULL);
	rsw_engine_close(r.e);
	printf("tsan_sweep: thread mode, 100000 tasks, %llu reads of the counters "
	       "from another thread: no report\n", (unsigned long long)r.reads);
	return 0;
}

static int
sweep_with_readers(const char *dir, int mode)
{
	char err[1024], db[256], csv[256];
	rsw_sweep_config c;
	rsw_sweep_summary s;
	rsw_space space;
	rsw_sweep *sw;
	pthread_t readers[2];
	int rc;

	snprintf(db, sizeof db, "%s/tsan-%d.db", dir, (int)getpid());
	snprintf(csv, sizeof csv, "%s/tsan-%d.csv", dir, (int)getpid());
	rsw_space_init(&space);
	if (rsw_space_add(&space, "x=int:0:99999", err, sizeof err) != 0 ||
	    rsw_space_add(&space, "y=cat:a,b", err, sizeof err) != 0)
		return fprintf(stderr, "%s\n", err), 1;
	rsw_sweep_config_init(&c);
	c.space = &space;
	c.objective.name = "sphere";
	c.engine.workers = 2;
	c.engine.mode = mode;
	c.store = db;
	c.results_csv = csv;
	if (rsw_sweep_open(&sw, &c, err, sizeof err) != 0)
		return fprintf(stderr, "%s\n", err), 1;
	__atomic_store_n(&stop_readers, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_create(&readers[i], NULL, read_progress, sw);
	rc = rsw_sweep_run(sw);
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 2; i++)
		pthread_join(readers[i], NULL);
	rsw_sweep_summary_get(sw, &s);
	if (rsw_sweep_close(sw, err, sizeof err) != 0 || rc != 0 ||
	    s.committed != 200000)
		return fprintf(stderr, "tsan_sweep: rc %d, %llu committed: %s\n", rc,
			       (unsigned long long)s.committed, err), 1;
	unlink(db);
	unlink(csv);
	printf("tsan_sweep: %llu evaluations on worker %s, committer, store "
	       "writer and two progress readers: no report\n",
	       (unsigned long long)s.committed,
	       mode == RSW_MODE_THREADS ? "threads" : "processes");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";

	if (sweep_with_readers(dir, RSW_MODE_PROCESSES) != 0 ||
	    sweep_with_readers(dir, RSW_MODE_THREADS) != 0)
		return 1;
	return engine_stats_from_another_thread();
}
