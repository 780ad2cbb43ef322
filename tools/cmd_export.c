/*
 * tools/cmd_export.c - `ringsweep export FILE --format csv|json [--top N]
 * [--sort value] [--best-by PARAM] [--pareto]`: a sweep's results store to stdout.  The file is opened
 * read-only; a foreign or corrupt one is refused with one message.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int
rsw_cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 't' },
		{ "sort", required_argument, NULL, 's' },
		{ "best-by", required_argument, NULL, 'b' },
		{ "pareto", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int format = RSW_EXPORT_CSV, sort = 0, pareto = 0, c;
	const char *best_by = NULL;
	long long top = 0;
	char err[512];

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "csv") == 0)
				format = RSW_EXPORT_CSV;
			else if (strcmp(optarg, "json") == 0)
				format = RSW_EXPORT_JSON;
			else {
				rsw_cli_errorf("--format must be csv or json, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 't':
			if (rsw_cli_parse_i64(optarg, 1, INT64_MAX, &top) != 0) {
				rsw_cli_errorf("--top needs a positive integer, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			break;
		case 's':
			if (strcmp(optarg, "value") != 0) {
				rsw_cli_errorf("--sort: only 'value' is supported, got '%s'",
					       optarg);
				return RSW_EXIT_USAGE;
			}
			sort = 1;
			break;
		case 'b':
			best_by = optarg;
			break;
		case 'p':
			pareto = 1;
			break;
		case 'h':
			puts("usage: ringsweep export FILE [--format csv|json] [--top N] "
			     "[--sort value] [--best-by PARAM] [--pareto]\n\n"
			     "Writes a sweep's results (its SQLite store) to stdout, in\n"
			     "sequence order, or best first with --sort value / --top N;\n"
			     "--best-by PARAM: the consolidated table, one row per value\n"
			     "of PARAM (e.g. series): its best row, parameters and metrics;\n"
			     "--pareto: a multi-objective sweep's Pareto front, by its\n"
			     "first objective, best first.");
			return RSW_EXIT_OK;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep export --help)",
				       argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		rsw_cli_errorf("ringsweep export needs exactly one FILE");
		return RSW_EXIT_USAGE;
	}
	if (best_by != NULL && (top > 0 || sort)) {
		rsw_cli_errorf("--best-by gives one row per value: no --top or --sort");
		return RSW_EXIT_USAGE;
	}
	if (pareto && (best_by != NULL || top > 0 || sort)) {
		rsw_cli_errorf("--pareto gives the front, in its order: no --best-by, "
			       "--top or --sort");
		return RSW_EXIT_USAGE;
	}
	if ((pareto ? rsw_store_export_pareto(argv[optind], format, stdout, err,
					      sizeof err) :
	     best_by != NULL ?
		     rsw_store_export_best_by(argv[optind], best_by, format, stdout, err,
					      sizeof err) :
		     rsw_store_export(argv[optind], format, (uint64_t)top, sort, stdout,
				      err, sizeof err)) != 0) {
		rsw_cli_errorf("export %s", err);
		return RSW_EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? RSW_EXIT_OK : RSW_EXIT_FAILURE;
}
