/*
 * bench/store.h - `ringsweep bench store`: rows per second into the
 * results store (ringsweep/store.h: rows copied to a writer thread,
 * inserted 64 at a time in large transactions) beside the baseline of
 * the same rows through one prepared single-row INSERT inside one
 * transaction on the committing thread (the plain SQLite way), both
 * measured in the same run on the same disk.
 */
#ifndef RSW_BENCH_STORE_H
#define RSW_BENCH_STORE_H

#include <stdint.h>

typedef struct rsw_store_bench {
	uint64_t rows;
	double store_rows_per_s;  /* rsw_store_add ... rsw_store_close */
	double add_ns_per_row;	  /* what rsw_store_add costs the committer */
	double sqlite_rows_per_s; /* the baseline */
} rsw_store_bench;

/* Writes `rows` rows of one integer parameter into fresh files in `dir`
 * (removed afterwards).  0, or a negative RSW_E... code. */
int rsw_bench_store(uint64_t rows, const char *dir, rsw_store_bench *out);

#endif
