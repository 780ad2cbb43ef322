/*
 * bench/store.c - the results store's write rate against plain SQLite
 * (see store.h).  Both write the same rows (the store's columns for one
 * integer parameter; the baseline has no message column, which the store
 * leaves NULL for successes), in WAL mode with synchronous=NORMAL, to
 * fresh files in the same directory.
 */
#include "store.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "ringsweep/ringsweep.h"

static void
row_of(uint64_t seq, rsw_result *r, double *x)
{
	memset(r, 0, sizeof *r);
	r->seq = seq;
	r->status = RSW_STATUS_OK;
	r->value = (double)(seq % 1000) * 0.5;
	r->attempts = 1;
	r->worker = (int32_t)(seq & 1);
	r->elapsed_ns = 1000;
	*x = (double)(seq % 1000);
}

static int
through_store(uint64_t rows, const char *path, rsw_store_bench *out)
{
	char err[512];
	rsw_space space;
	rsw_store *st;
	rsw_result r;
	double x;
	uint64_t t0, t_added;

	rsw_space_init(&space);
	if (rsw_space_add(&space, "x=int:0:999", err, sizeof err) != 0 ||
	    rsw_store_create(&st, path, &space, 0, NULL, err, sizeof err) != 0)
		return RSW_ESTORE;
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < rows; i++) {
		row_of(i, &r, &x);
		if (rsw_store_add(st, &x, 1, &r) != 0) {
			rsw_store_discard(st);
			return RSW_ESTORE;
		}
	}
	t_added = bench_now_ns();
	if (rsw_store_close(st, "done") != 0)
		return RSW_ESTORE;
	out->add_ns_per_row = (double)(t_added - t0) / (double)rows;
	out->store_rows_per_s = (double)rows / ((double)(bench_now_ns() - t0) / 1e9);
	return 0;
}

static int
through_sqlite(uint64_t rows, const char *path, rsw_store_bench *out)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	rsw_result r;
	double x;
	uint64_t t0;
	int rc = 0;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
			 "CREATE TABLE results (seq INTEGER PRIMARY KEY, x INTEGER, "
			 "status TEXT NOT NULL, detail INTEGER, value REAL, attempts "
			 "INTEGER, worker INTEGER, elapsed_ms REAL, peak_kb INTEGER)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return RSW_ESTORE;
	}
	t0 = bench_now_ns();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (uint64_t i = 0; i < rows && rc == 0; i++) {
		row_of(i, &r, &x);
		sqlite3_bind_int64(s, 1, (sqlite3_int64)r.seq);
		sqlite3_bind_int64(s, 2, (sqlite3_int64)x);
		sqlite3_bind_text(s, 3, rsw_status_name(r.status), -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, r.detail);
		sqlite3_bind_double(s, 5, r.value);
		sqlite3_bind_int(s, 6, (int)r.attempts);
		sqlite3_bind_int(s, 7, r.worker);
		sqlite3_bind_double(s, 8, (double)r.elapsed_ns / 1e6);
		sqlite3_bind_null(s, 9);
		rc = sqlite3_step(s) == SQLITE_DONE ? 0 : RSW_ESTORE;
		sqlite3_reset(s);
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = RSW_ESTORE;
	out->sqlite_rows_per_s = (double)rows / ((double)(bench_now_ns() - t0) / 1e9);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

int
rsw_bench_store(uint64_t rows, const char *dir, rsw_store_bench *out)
{
	char a[4096], b[4096];
	int rc;

	memset(out, 0, sizeof *out);
	out->rows = rows;
	snprintf(a, sizeof a, "%s/ringsweep-bench-store-%d.db", dir, (int)getpid());
	snprintf(b, sizeof b, "%s/ringsweep-bench-sqlite-%d.db", dir, (int)getpid());
	rsw_store_remove(a);
	rsw_store_remove(b);
	rc = through_sqlite(rows, b, out);
	if (rc == 0)
		rc = through_store(rows, a, out);
	rsw_store_remove(a);
	rsw_store_remove(b);
	return rc;
}
