/*
 * tests/tsan_sweep.c - the threads of one process that share memory, run
 * under ThreadSanitizer (tools/tsan.sh; Criterion cannot run under it):
 * the sweep's committer, its results store's writer thread, and readers
 * of the progress snapshot on two other threads, through a whole sweep
 * with a store and a CSV.  ThreadSanitizer ends the run with exit code 66
 * at its first report; a wrong result exits 1.
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

int
main(int argc, char **argv)
{
	char err[1024], db[256], csv[256];
	const char *dir = argc > 1 ? argv[1] : ".";
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
	c.store = db;
	c.results_csv = csv;
	if (rsw_sweep_open(&sw, &c, err, sizeof err) != 0)
		return fprintf(stderr, "%s\n", err), 1;
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
	printf("tsan_sweep: %llu evaluations, committer, store writer and two "
	       "progress readers: no report\n", (unsigned long long)s.committed);
	return 0;
}
