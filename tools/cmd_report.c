/*
 * tools/cmd_report.c - `ringsweep report FILE -o PAGE.html [--x PARAM]
 * [--y PARAM] [--best-by PARAM] [--bins N]`: a sweep's results store as
 * one self-contained HTML page (the library's rsw_report_write: this file
 * only parses and prints).  Works on a sweep that is still running.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
	"usage: ringsweep report FILE -o PAGE.html [--x PARAM] [--y PARAM]\n"
	"                        [--best-by PARAM] [--bins N]\n\n"
	"Writes a sweep's results store (FILE, opened read-only: a sweep still\n"
	"running may be reported on) as one self-contained HTML page: the study\n"
	"(algorithm, budget, space, constraints, objective), the best value\n"
	"against evaluations, a heatmap of the value over two parameters, the\n"
	"value against each parameter, the best row per value of a categorical\n"
	"parameter, counts by status and per-worker statistics.  The plots are\n"
	"inline SVG: no script, nothing fetched.  The page's data is embedded as\n"
	"JSON (<script type=\"application/json\" id=\"rsw-report-data\">).  PAGE is\n"
	"written whole or not at all (a temporary file, renamed).\n\n"
	"  -o, --output PAGE   where the page goes (required)\n"
	"  --x PARAM, --y PARAM\n"
	"                      the heatmap's parameters (default: the first two\n"
	"                      numeric ones); each cell is the best value over\n"
	"                      the other parameters\n"
	"  --best-by PARAM     the per-value table and small heatmaps (default:\n"
	"                      the first categorical parameter, e.g. series)\n"
	"  --bins N            at most N cells along a heatmap axis; more values\n"
	"                      are binned (default 50, at most 400)";

int
rsw_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "x", required_argument, NULL, 'x' },
		{ "y", required_argument, NULL, 'y' },
		{ "best-by", required_argument, NULL, 'b' },
		{ "bins", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	rsw_report_options opt;
	const char *output = NULL;
	long long bins;
	char err[1024];
	int c;

	rsw_report_options_init(&opt);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'x':
			opt.x = optarg;
			break;
		case 'y':
			opt.y = optarg;
			break;
		case 'b':
			opt.best_by = optarg;
			break;
		case 'n':
			if (rsw_cli_parse_i64(optarg, 1, RSW_REPORT_BINS_MAX, &bins) != 0) {
				rsw_cli_errorf("--bins needs an integer from 1 to %d, got '%s'",
					       RSW_REPORT_BINS_MAX, optarg);
				return RSW_EXIT_USAGE;
			}
			opt.bins = (uint32_t)bins;
			break;
		case 'h':
			puts(usage_text);
			return RSW_EXIT_OK;
		case '?':
			if (optopt != 0)
				rsw_cli_errorf("option '%s' needs a value (see ringsweep "
					       "report --help)", argv[optind - 1]);
			else
				rsw_cli_errorf("unknown option '%s' (see ringsweep report "
					       "--help)", argv[optind - 1]);
			return RSW_EXIT_USAGE;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep report --help)",
				       argv[optind - 1]);
			return RSW_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		rsw_cli_errorf("ringsweep report needs exactly one FILE (see "
			       "ringsweep report --help)");
		return RSW_EXIT_USAGE;
	}
	if (output == NULL) {
		rsw_cli_errorf("ringsweep report needs -o PAGE.html");
		return RSW_EXIT_USAGE;
	}
	if (rsw_report_write(argv[optind], &opt, output, err, sizeof err) != 0) {
		rsw_cli_errorf("report %s", err);
		return RSW_EXIT_USAGE;
	}
	printf("report: %s\n", output);
	return RSW_EXIT_OK;
}
