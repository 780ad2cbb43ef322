/*
 * ringsweep/store.h - the results store: one SQLite file per sweep.
 *
 * Tables:
 *   sweep(key TEXT PRIMARY KEY, value TEXT) - format, version, sweep (the
 *       description a resume rebuilds the sweep from, JSON), argv (JSON),
 *       params, metrics (JSON arrays of names), objective, algo, seed,
 *       window, direction, inputs (fingerprints of the files read, JSON),
 *       enqueued (how many points were evaluated first, as seqs 0 ..
 *       enqueued-1; only when there were some), pid, started, finished,
 *       outcome;
 *   results(seq INTEGER PRIMARY KEY, <one column per parameter: INTEGER
 *       for integral ones, REAL otherwise, TEXT for categories>,
 *       status TEXT, detail INTEGER, value REAL, <one REAL column per
 *       metric>, attempts INTEGER, worker INTEGER, elapsed_ms REAL,
 *       peak_kb INTEGER: the worker's peak RSS after the task, NULL for
 *       tasks under 50 us, message TEXT: the objective's words for a
 *       failure, NULL if none; stores made before it have no such column,
 *       and are read, resumed and exported all the same).
 *
 * DESIGN
 * Rows are added in sequence order by one thread (the sweep's committer)
 * and written by a writer thread of the store's own, in large
 * transactions (WAL mode, synchronous=NORMAL, a prepared INSERT of 64
 * rows at a time), so the committer only copies a row into a buffer.  A
 * transaction holds up to 16384 rows, or whatever arrived in the 200 ms
 * since the last commit: a slow sweep's rows reach the file within a
 * fifth of a second, a fast one's a few times a second.  Whatever instant
 * the process is killed at, the file holds a prefix 0 .. N-1 of complete
 * rows, which a resume replays.  A row that cannot be stored (a write
 * error; a skipped task, which a drain leaves) freezes the table there:
 * later rows are not stored, so it stays a prefix.
 *
 * Nothing is written to a file before it has been validated: opening a
 * foreign or corrupt file fails with one message and leaves it as it was.
 * Error messages start with the file's name in quotes; the caller adds
 * what it was doing ("--resume ").
 *
 * Thread safety: one thread uses a store (the writer thread is internal).
 */
#ifndef RINGSWEEP_STORE_H
#define RINGSWEEP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "space.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_STORE_FORMAT "ringsweep-results-1"

typedef struct rsw_store rsw_store;

enum rsw_store_mode {
	RSW_STORE_READ = 0,   /* read-only: replay, export, meta */
	RSW_STORE_APPEND = 1, /* continue it: refused while its writer lives */
};

/* Creates a new store (refuses an existing file, and parameter or metric
 * names that clash with the table's own columns). */
RSW_EXTERN int rsw_store_create(rsw_store **out, const char *path,
				const rsw_space *space, uint32_t nmetrics,
				const char *const *metric_names, char *err,
				size_t errlen);

/* Opens an existing store, validating that it is one. */
RSW_EXTERN int rsw_store_open(rsw_store **out, const char *path, int mode,
			      char *err, size_t errlen);

/* Records key = value in the sweep table (waits for pending rows). */
RSW_EXTERN int rsw_store_set_meta(rsw_store *st, const char *key,
				  const char *value);

/* The sweep table's value for key, or NULL (owned by the store). */
RSW_EXTERN const char *rsw_store_meta(const rsw_store *st, const char *key);

/* Rows in the store, or added to it: seqs 0 .. rows-1. */
RSW_EXTERN uint64_t rsw_store_rows(const rsw_store *st);

/* Checks that the space matches the table's parameter columns (names and
 * types) and uses it for categories' names: 0 or RSW_EINVAL. */
RSW_EXTERN int rsw_store_bind_space(rsw_store *st, const rsw_space *space);

/* Replay, in seq order from 0: the stored row for seq, checked against
 * the parameters the algorithm suggested (RSW_EREPLAY when they differ:
 * another sweep's row). */
RSW_EXTERN int rsw_store_replay(rsw_store *st, uint64_t seq,
				const double *params, uint32_t nparams,
				rsw_result *out);

/* Appends the committed row for r->seq (rows the store already holds are
 * skipped: they were replayed).  0, or RSW_ESTORE once a write failed. */
RSW_EXTERN int rsw_store_add(rsw_store *st, const double *params,
			     uint32_t nparams, const rsw_result *r);

/* Waits until every row added so far is committed to the file. */
RSW_EXTERN int rsw_store_flush(rsw_store *st);

/* Why the last write failed ("" if none). */
RSW_EXTERN const char *rsw_store_error(const rsw_store *st);

/* Commits what is pending, records `outcome` and the end time, closes.
 * 0, or RSW_ESTORE when something could not be written. */
RSW_EXTERN int rsw_store_close(rsw_store *st, const char *outcome);

/* Closes without writing anything more (NULL-safe). */
RSW_EXTERN void rsw_store_discard(rsw_store *st);

/* Deletes the store file at `path` with SQLite's side files (-wal, -shm),
 * which a plain unlink would leave behind.  Close it first. */
RSW_EXTERN void rsw_store_remove(const char *path);

enum rsw_export_format { RSW_EXPORT_CSV = 0, RSW_EXPORT_JSON = 1 };

/* Writes a store's results to out: CSV (a header row, then one line per
 * row) or JSON ({"sweep": {...}, "results": [...]}, values typed: JSON
 * descriptions as JSON, numbers as numbers).  top > 0 keeps the N best
 * by value (direction from the sweep); sort_by_value orders by value.
 * A sweep with enqueued points gets a last column "enqueued": 1 on their
 * rows, 0 on the algorithm's. */
RSW_EXTERN int rsw_store_export(const char *path, int format, uint64_t top,
				int sort_by_value, FILE *out, char *err,
				size_t errlen);

/* The consolidated table of a sweep over a parameter (the series of a
 * multi-series backtest, a symbol, a regime): one row per value of
 * parameter `group`, its best row by value (its parameters, value and
 * metrics), in the order the values first appear.  As rsw_store_export
 * otherwise; RSW_EINVAL naming `group` when the sweep has no such
 * parameter. */
RSW_EXTERN int rsw_store_export_best_by(const char *path, const char *group,
					int format, FILE *out, char *err,
					size_t errlen);

/* A multi-objective sweep's Pareto front: the rows of the successful
 * evaluations no other dominates (of equal ones, the earliest), ordered
 * by the first objective, best first (the same front as
 * rsw_sweep_pareto, read from the store alone: it works on a running
 * sweep's store too).  As rsw_store_export otherwise; RSW_EINVAL when
 * the sweep has fewer than two objectives. */
RSW_EXTERN int rsw_store_export_pareto(const char *path, int format, FILE *out,
				       char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
