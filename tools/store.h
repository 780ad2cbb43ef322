/*
 * tools/store.h - the results store: one SQLite file per sweep.
 *
 * Tables:
 *   sweep(key TEXT PRIMARY KEY, value TEXT)  - format, version, argv (JSON),
 *       params, metrics, objective, algo, seed, window, started, finished,
 *       outcome;
 *   results(seq INTEGER PRIMARY KEY, <one typed column per parameter>,
 *       status TEXT, detail INTEGER, value REAL, <one REAL column per
 *       metric>, attempts INTEGER, worker INTEGER, elapsed_ms REAL,
 *       peak_kb INTEGER: the worker's peak RSS after the task, NULL for
 *       tasks under 50 us).
 *
 * Rows arrive in sequence order and are written in batched transactions
 * (WAL mode), so a sweep killed at any instant leaves a prefix 0 .. N-1
 * of complete rows, which --resume replays.
 */
#ifndef RSW_TOOLS_STORE_H
#define RSW_TOOLS_STORE_H

#include <stdint.h>
#include <stdio.h>

#include "ringsweep/ringsweep.h"

#define RSW_STORE_FORMAT "ringsweep-results-1"

typedef struct rsw_store rsw_store;

/* Creates a new store (refuses an existing file).  argv_json is the
 * sweep's argument vector as a JSON array, for --resume. */
int rsw_store_create(rsw_store **out, const char *path, const rsw_space *space,
		     uint32_t nmetrics, const char *const *metric_names,
		     const char *argv_json, char *err, size_t errlen);

/* Opens an existing store to continue it; validates that it is one. */
int rsw_store_open_resume(rsw_store **out, const char *path, char *err,
			  size_t errlen);

/* Records key = value in the sweep table. */
void rsw_store_set(rsw_store *st, const char *key, const char *value);

/* The sweep table's value for key, or NULL (owned by the store). */
const char *rsw_store_meta(rsw_store *st, const char *key);

/* Rows committed so far (a prefix of seqs). */
uint64_t rsw_store_rows(const rsw_store *st);

/* For --resume: the stored row for seq, checked against the parameters
 * the algorithm suggested.  Returns 0, or RSW_EINVAL when they differ. */
int rsw_store_replay(rsw_store *st, uint64_t seq, const double *params,
		     uint32_t nparams, rsw_result *out);

/* Appends the committed row for r->seq (rows at or below what the store
 * already holds are skipped: they were replayed). */
int rsw_store_add(rsw_store *st, const double *params, uint32_t nparams,
		  const rsw_result *r);

/* --resume: the space the stored arguments describe; checks it matches
 * the table's parameter columns (name and type).  0, or RSW_EINVAL. */
int rsw_store_bind_space(rsw_store *st, const rsw_space *space);

/* Closes without writing anything (an opened file that will not be
 * used after all). */
void rsw_store_discard(rsw_store *st);

/* Commits what is pending, records `outcome` and the end time, closes. */
int rsw_store_close(rsw_store *st, const char *outcome);

enum rsw_export_format { RSW_EXPORT_CSV, RSW_EXPORT_JSON };

/* Writes the results table to out; top > 0 keeps the N best by value
 * (direction from the sweep), sort_by_value orders by value. */
int rsw_store_export(const char *path, int format, uint64_t top,
		     int sort_by_value, FILE *out, char *err, size_t errlen);

#endif
