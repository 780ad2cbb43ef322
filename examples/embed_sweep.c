/*
 * examples/embed_sweep.c - a whole Bayesian study from a program: the
 * breakout plugin as the objective, every evaluation in a SQLite store,
 * and, when the store is already there (a run that was killed), a resume
 * that finishes it with the results an uninterrupted run gives.
 *
 *   build/examples/embed_sweep build/examples/plugin/libbreakout.so \
 *       examples/data/eustockmarkets.csv:DAX study.db [workers]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ringsweep/ringsweep.h>

int
main(int argc, char **argv)
{
	rsw_sweep_config c;
	rsw_space space;
	rsw_sweep *sw;
	rsw_best best;
	char err[1024];
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: %s PLUGIN.so DATA.csv:COLUMN STUDY.db "
			"[workers]\n", argv[0]);
		return 2;
	}
	rsw_sweep_config_init(&c);
	if (argc > 4)
		c.engine.workers = atoi(argv[4]);
	if (access(argv[3], F_OK) == 0) { /* there already: finish it */
		rc = rsw_sweep_resume(&sw, argv[3], &c, err, sizeof err);
	} else {
		rsw_space_init(&space);
		if (rsw_space_add(&space, "lookback=int:5:120", err, sizeof err) ||
		    rsw_space_add(&space, "exit=int:2:60", err, sizeof err))
			return fprintf(stderr, "%s\n", err), 2;
		c.space = &space;
		c.algo = "bayes";
		c.algo_opts.evals = 60;
		c.algo_opts.minimize = 0; /* the highest Sharpe ratio */
		c.objective.name = argv[1];
		c.objective.arg = argv[2];
		c.store = argv[3];
		rc = rsw_sweep_open(&sw, &c, err, sizeof err);
	}
	if (rc != 0)
		return fprintf(stderr, "%s\n", err), 2;
	rc = rsw_sweep_run(sw);
	if (rc == 0 && rsw_sweep_best(sw, &best) == 0)
		printf("best Sharpe %.4f at lookback %g, exit %g (%llu replayed)\n",
		       best.value, best.params[0], best.params[1],
		       (unsigned long long)rsw_sweep_replayed(sw));
	else
		fprintf(stderr, "%s\n", rsw_sweep_errmsg(sw));
	return rsw_sweep_close(sw, err, sizeof err) != 0 || rc != 0;
}
