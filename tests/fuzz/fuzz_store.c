/*
 * tests/fuzz/fuzz_store.c - libFuzzer target: a results store given to
 * `export`, `report` or `--resume` (a file anyone may have edited).  Opened
 * read-only and exported or reported, or refused with a message; never a
 * crash.  SQLite reads a real file here (a temporary one), as it would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringsweep/report.h"
#include "ringsweep/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024] = "";
	rsw_store *st;
	FILE *f, *sink;

	snprintf(path, sizeof path, "/tmp/rsw-fuzz-store-%d.db", (int)getpid());
	f = fopen(path, "wb");
	if (f == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (rsw_store_open(&st, path, RSW_STORE_READ, err, sizeof err) == 0) {
		uint64_t seq = 0;
		double params[RSW_MAX_PARAMS_LIMIT];
		rsw_result r;

		/* Replayed as a resume would, row by row. */
		while (seq < 64 && rsw_store_replay(st, seq, params, 0, &r) == 0)
			seq++;
		rsw_store_discard(st);
	} else if (err[0] == '\0') {
		abort();
	}
	sink = fopen("/dev/null", "w");
	if (sink != NULL) {
		rsw_store_export(path, RSW_EXPORT_CSV, 0, 0, sink, err, sizeof err);
		rsw_store_export(path, RSW_EXPORT_JSON, 3, 1, sink, err, sizeof err);
		err[0] = '\0';
		if (rsw_report_fwrite(path, NULL, sink, err, sizeof err) != 0 &&
		    err[0] == '\0')
			abort(); /* a refusal says why */
		fclose(sink);
	}
	rsw_store_remove(path);
	return 0;
}
