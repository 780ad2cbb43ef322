/*
 * tools/cmd_worker.c - `ringsweep worker --arena NAME`: a worker started by
 * hand (or by a batch system) that joins a running sweep.
 *
 * The arena is validated (a foreign, truncated or corrupt object is
 * refused with a clear error); the sweep's built-in objective is set up
 * here as `ringsweep run` set it up (the same data file); then the engine's
 * join (ringsweep/external.h) takes a free external slot and evaluates
 * tasks until the sweep ends.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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

/* The sweep's objective, from what its driver recorded in the arena: a
 * built-in name and, for one with data, "PATH\nCOLUMN". */
static int
load_objective(const rsw_external *x, const char *name,
	       rsw_loaded_objective **obj)
{
	rsw_objective_spec spec;
	char arg[1024], err[1024], *nl;

	if (rsw_builtin_find(rsw_external_objective(x)) == NULL) {
		rsw_cli_errorf("--arena '%s': its objective '%.64s' is not a "
			       "built-in", name, rsw_external_objective(x));
		return -1;
	}
	memset(&spec, 0, sizeof spec);
	spec.name = rsw_external_objective(x);
	snprintf(arg, sizeof arg, "%s", rsw_external_objective_arg(x));
	/* "DATA\nCOLUMN\nMETRIC" (the metric since 0.3). */
	nl = strchr(arg, '\n');
	if (nl != NULL) {
		*nl = '\0';
		spec.data = arg;
		spec.column = nl + 1;
		if ((nl = strchr(spec.column, '\n')) != NULL) {
			*nl = '\0';
			spec.metric = nl + 1;
		}
	}
	if (rsw_objective_load(obj, &spec, NULL, err, sizeof err) != 0) {
		rsw_cli_errorf("--arena '%s': %s", name, err);
		return -1;
	}
	return 0;
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
	rsw_loaded_objective *obj = NULL;
	rsw_external *x;
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
	rc = rsw_external_attach(&x, name);
	if (rc != 0) {
		rsw_cli_errorf("--arena '%s': %s", name, attach_error(rc));
		return RSW_EXIT_USAGE;
	}
	if (load_objective(x, name, &obj) != 0) {
		rsw_external_detach(x);
		return RSW_EXIT_USAGE;
	}
	rc = rsw_external_run(x, &rsw_loaded_objective_info(obj)->objective);
	if (rc == RSW_EFULL)
		rsw_cli_errorf("--arena '%s': no free external slot (start the "
			       "sweep with --external N)", name);
	else if (rc != 0)
		rsw_cli_errorf("--arena '%s': %s", name, rsw_strerror(rc));
	rsw_external_detach(x);
	rsw_objective_unload(obj);
	return rc == 0 ? RSW_EXIT_OK : RSW_EXIT_FAILURE;
}
