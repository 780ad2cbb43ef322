/*
 * tools/cmd_worker.c - `ringsweep worker --arena NAME`: a worker started by
 * hand (or by a batch system) that attaches to a running sweep.
 *
 * It validates the arena (a foreign, truncated or corrupt object is refused
 * with a clear error), takes a free external slot with one CAS, evaluates
 * the sweep's built-in objective until the sweep ends, and exits.  The
 * driver watches it through a pidfd: if it dies, what it held is re-queued
 * exactly as for a supervised worker.
 */
#include <ck_pr.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "internal.h"

static const char *
attach_error(int rc)
{
	switch (rc) {
	case RSW_ENOENT:
		return "no such arena";
	case RSW_EARENA:
		return "not a ringsweep arena (foreign object)";
	case RSW_EVERSION:
		return "arena from an incompatible ringsweep version";
	case RSW_ECORRUPT:
		return "arena is truncated or corrupt";
	case RSW_EPERM:
		return "arena belongs to another user";
	case RSW_EINVAL:
		return "not a valid arena name (expected /ringsweep-...)";
	default:
		return rsw_strerror(rc);
	}
}

int
rsw_cmd_worker(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "arena", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL;
	rsw_cli_objective o;
	rsw_arena a;
	uint32_t slot, inc;
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'a') {
			name = optarg;
		} else if (c == 'h') {
			puts("usage: ringsweep worker --arena NAME\n\n"
			     "Attaches to a running sweep started with --external N.");
			return RSW_EXIT_OK;
		} else {
			rsw_cli_errorf("unknown option '%s'", argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (name == NULL) {
		rsw_cli_errorf("ringsweep worker needs --arena NAME");
		return RSW_EXIT_USAGE;
	}
	rc = rsw__arena_attach(&a, name, 0);
	if (rc != 0) {
		rsw_cli_errorf("--arena '%s': %s", name, attach_error(rc));
		return RSW_EXIT_USAGE;
	}
	if (rsw_builtin_find(a.layout.objective) == NULL) {
		rsw_cli_errorf("--arena '%s': its objective '%.64s' is not a built-in",
			       name, a.layout.objective);
		rsw__arena_detach(&a);
		return RSW_EXIT_USAGE;
	}
	{
		/* A sweep with data recorded "PATH\nCOLUMN": the same prices
		 * are loaded here, as `ringsweep run` loaded them. */
		char arg[RSW_OBJECTIVE_ARG_MAX], err[512], *nl;

		snprintf(arg, sizeof arg, "%s", a.layout.objective_arg);
		nl = strchr(arg, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (rsw_cli_objective_open(&o, a.layout.objective, NULL,
					   nl != NULL ? arg : NULL,
					   nl != NULL ? nl + 1 : NULL, err,
					   sizeof err) != 0) {
			rsw_cli_errorf("--arena '%s': %s", name, err);
			rsw_cli_objective_close(&o);
			rsw__arena_detach(&a);
			return RSW_EXIT_USAGE;
		}
	}
	for (slot = a.layout.nworkers; slot < a.layout.nslots; slot++)
		/* CAS: several workers may race for the same free slot. */
		if (ck_pr_cas_32(&rsw__worker_slot(&a, slot)->external_claim, 0,
				 (uint32_t)getpid()))
			break;
	if (slot == a.layout.nslots) {
		rsw_cli_errorf("--arena '%s': no free external slot (start the "
			       "sweep with --external N)", name);
		rsw_cli_objective_close(&o);
		rsw__arena_detach(&a);
		return RSW_EXIT_FAILURE;
	}
	/* With the pid, our start time names this process for good: the
	 * driver checks it so a recycled pid is never taken for us. */
	ck_pr_store_64(&rsw__worker_slot(&a, slot)->proc_start,
		       rsw__proc_start_time(getpid()));
	/* Atomic: the supervisor takes incarnations from the same counter. */
	inc = ck_pr_faa_32(&a.hdr->next_incarnation, 1);
	if (o.obj.worker_init != NULL && o.obj.worker_init(o.obj.ctx, (int)slot) != 0) {
		rsw_cli_errorf("objective '%s': worker set-up failed", o.name);
		rsw_cli_objective_close(&o);
		rsw__arena_detach(&a);
		return RSW_EXIT_FAILURE;
	}
	rc = rsw__worker_loop(&a, slot, inc, &o.obj, 0, 0);
	rsw__arena_detach(&a);
	rsw_cli_objective_close(&o);
	return rc;
}
