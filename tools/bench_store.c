/*
 * tools/bench_store.c - `ringsweep bench store`: rows per second into the
 * results store beside plain SQLite, on the same disk in the same run
 * (bench/store.c measures).
 */
#include <stddef.h>
#include <stdio.h>

#include "bench_cli.h"
#include "cli.h"
#include "options.h"
#include "store.h"

struct store_args {
	long long rows;
	const char *dir;
	struct rsw_bench_out out;
};

#define F(field) offsetof(struct store_args, field)

static const rsw_opt options[] = {
	{ "rows", 0, RSW_OPT_INT, 0, "N", F(rows), 1000, 1000000000,
	  .help = "rows written each way (default 2000000)" },
	{ "dir", 0, RSW_OPT_STRING, 0, "DIR", F(dir),
	  .help = "where the two files go (default here; removed after)" },
	{ "json", 0, RSW_OPT_FLAG, 0, NULL, F(out.format), .value = RSW_FMT_JSON,
	  .help = "results as JSON" },
	RSW_BENCH_HELP_OPTION(struct store_args),
};

#define NOPTIONS (sizeof options / sizeof options[0])

int
rsw_bench_store_main(int argc, char **argv)
{
	struct store_args a = { .rows = 2000000, .dir = "." };
	rsw_store_bench b;
	int rc;

	rc = rsw_opt_parse_or_help(
	    "bench store",
	    "Rows per second into the results store (rows handed to its\n"
	    "writer thread, 64 to an INSERT, large transactions), beside the\n"
	    "same rows through one prepared INSERT a row in one transaction\n"
	    "on the caller's thread.", options, NOPTIONS, argc, argv, &a,
	    &a.out.help);
	if (rc >= 0)
		return rc;
	rc = rsw_bench_store((uint64_t)a.rows, a.dir, &b);
	if (rc != 0) {
		rsw_cli_errorf("--dir '%s': %s", a.dir, rsw_strerror(rc));
		return RSW_EXIT_FAILURE;
	}
	if (a.out.format == RSW_FMT_JSON) {
		printf("{\n  \"benchmark\": \"store\",\n");
		rsw_bench_machine_json();
		printf("  \"rows\": %llu,\n  \"store_rows_per_s\": %.0f,\n"
		       "  \"add_ns_per_row\": %.1f,\n  \"sqlite_rows_per_s\": %.0f\n}\n",
		       (unsigned long long)b.rows, b.store_rows_per_s,
		       b.add_ns_per_row, b.sqlite_rows_per_s);
		return RSW_EXIT_OK;
	}
	printf("baseline  one prepared INSERT a row, one transaction: %10.0f rows/s\n",
	       b.sqlite_rows_per_s);
	printf("store     rsw_store_add .. close (writer thread):     %10.0f rows/s"
	       "  = %.2fx baseline\n", b.store_rows_per_s,
	       b.store_rows_per_s / b.sqlite_rows_per_s);
	printf("store     what one rsw_store_add costs the committer: %10.1f ns\n",
	       b.add_ns_per_row);
	return RSW_EXIT_OK;
}
