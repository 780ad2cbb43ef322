/*
 * tools/store.c - the SQLite results store (see store.h for the schema).
 *
 * DESIGN
 * Writes happen in the driver's commit callback, in sequence order, into
 * one open transaction that is committed every 2048 rows or 200 ms: a
 * prepared INSERT costs about a microsecond, and the fsync-free WAL commit
 * is paid a few times a second, not per row.  A SIGKILL loses at most the
 * open transaction; what is in the file is always a prefix of seqs.
 *
 * Nothing is written to a file before it has been validated: --resume and
 * export refuse a foreign or corrupt file with one message and leave it as
 * it was.
 */
#include "store.h"

#include "cli.h"
#include "util.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define BATCH_ROWS 2048
#define BATCH_NS 200000000ull
#define MAX_META 32
#define BUSY_TIMEOUT_MS 10000

static const char *const reserved[] = { "seq", "status", "detail", "value",
					"attempts", "worker", "elapsed_ms",
					"peak_kb", NULL };

struct rsw_store {
	sqlite3 *db;
	sqlite3_stmt *insert;
	sqlite3_stmt *cursor;	  /* replay: rows in seq order */
	uint64_t rows;		  /* seqs 0 .. rows-1 are stored */
	uint32_t nparams, nmetrics;
	int int_param[RSW_MAX_PARAMS_LIMIT];
	rsw_param params[RSW_MAX_PARAMS_LIMIT]; /* for categories' names */
	int in_txn;
	int writing;
	int frozen;	/* a row was skipped or lost: later rows would leave a gap */
	uint64_t last_commit_ns;
	uint32_t pending;
	int nmeta;
	char *meta_key[MAX_META], *meta_val[MAX_META];
};

static void
iso_now(char *buf, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* Appends "name" quoted as an SQL identifier. */
static void
append_ident(char *sql, size_t n, const char *name)
{
	size_t len = strlen(sql);

	if (len + 1 < n)
		sql[len++] = '"';
	for (const char *c = name; *c && len + 2 < n; c++) {
		if (*c == '"')
			sql[len++] = '"';
		sql[len++] = *c;
	}
	if (len + 1 < n)
		sql[len++] = '"';
	sql[len] = '\0';
}

static void
set_meta(rsw_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO sweep VALUES (?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	sqlite3_step(s);
	sqlite3_finalize(s);
}

static int
prepare_insert(rsw_store *st)
{
	char sql[256];
	uint32_t cols = 1 + st->nparams + 3 + st->nmetrics + 4;
	size_t len;

	snprintf(sql, sizeof sql, "INSERT INTO results VALUES (?");
	len = strlen(sql);
	for (uint32_t i = 1; i < cols && len + 4 < sizeof sql; i++, len += 2)
		strcat(sql, ",?");
	strcat(sql, ")");
	return sqlite3_prepare_v2(st->db, sql, -1, &st->insert, NULL) == SQLITE_OK
		       ? 0 : -1;
}

static int
load_meta(rsw_store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM sweep", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW && st->nmeta < MAX_META) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);

		st->meta_key[st->nmeta] = strdup(k ? k : "");
		st->meta_val[st->nmeta] = strdup(v ? v : "");
		st->nmeta++;
	}
	sqlite3_finalize(s);
	return 0;
}

void
rsw_store_set(rsw_store *st, const char *key, const char *value)
{
	set_meta(st, key, value);
}

const char *
rsw_store_meta(rsw_store *st, const char *key)
{
	for (int i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta_key[i], key) == 0)
			return st->meta_val[i];
	return NULL;
}

static void
store_free(rsw_store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->insert);
	sqlite3_finalize(st->cursor);
	sqlite3_close(st->db);
	for (int i = 0; i < st->nmeta; i++) {
		free(st->meta_key[i]);
		free(st->meta_val[i]);
	}
	free(st);
}

int
rsw_store_create(rsw_store **out, const char *path, const rsw_space *space,
		 uint32_t nmetrics, const char *const *metric_names,
		 const char *argv_json, char *err, size_t errlen)
{
	char sql[8192] = "CREATE TABLE results (seq INTEGER PRIMARY KEY", buf[64];
	json_t *names = json_array(), *mnames = json_array();
	rsw_store *st;
	struct stat sb;
	char *s;

	*out = NULL;
	for (uint32_t i = 0; i < space->n + nmetrics; i++) {
		const char *name = i < space->n ? space->params[i].name :
						  metric_names[i - space->n];

		for (int r = 0; reserved[r] != NULL; r++)
			if (strcasecmp(name, reserved[r]) == 0) {
				snprintf(err, errlen, "--db: a %s named '%s' clashes "
					 "with the results table's own column",
					 i < space->n ? "parameter" : "metric", name);
				json_decref(names);
				json_decref(mnames);
				return -1;
			}
	}
	if (stat(path, &sb) == 0) {
		snprintf(err, errlen, "--db '%s' already exists (continue it with "
			 "--resume, or choose another file)", path);
		json_decref(names);
		json_decref(mnames);
		return -1;
	}
	st = calloc(1, sizeof *st);
	if (st == NULL ||
	    sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "--db '%s': cannot create it: %s", path,
			 st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
							"out of memory");
		store_free(st);
		json_decref(names);
		json_decref(mnames);
		return -1;
	}
	/* A reader (export, sqlite3, a test) may hold a lock for a moment,
	 * most of all while the file is new and not yet in WAL mode: wait
	 * for it rather than fail. */
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	st->nparams = space->n;
	st->nmetrics = nmetrics;
	for (uint32_t i = 0; i < space->n; i++) {
		const rsw_param *p = &space->params[i];

		st->params[i] = *p;
		st->int_param[i] = rsw_param_is_integral(p);
		strcat(sql, ", ");
		append_ident(sql, sizeof sql, p->name);
		strcat(sql, p->kind == RSW_PARAM_CAT ? " TEXT" :
			    st->int_param[i] ? " INTEGER" : " REAL");
		json_array_append_new(names, json_string(space->params[i].name));
	}
	strcat(sql, ", status TEXT NOT NULL, detail INTEGER, value REAL");
	for (uint32_t i = 0; i < nmetrics; i++) {
		strcat(sql, ", ");
		append_ident(sql, sizeof sql, metric_names[i]);
		strcat(sql, " REAL");
		json_array_append_new(mnames, json_string(metric_names[i]));
	}
	strcat(sql, ", attempts INTEGER, worker INTEGER, elapsed_ms REAL, "
		    "peak_kb INTEGER)");
	if (exec(st->db, "PRAGMA journal_mode=WAL") != 0 ||
	    exec(st->db, "PRAGMA synchronous=NORMAL") != 0 ||
	    exec(st->db, "CREATE TABLE sweep (key TEXT PRIMARY KEY, value TEXT)") != 0 ||
	    exec(st->db, sql) != 0 || prepare_insert(st) != 0) {
		snprintf(err, errlen, "--db '%s': cannot create the tables: %s", path,
			 sqlite3_errmsg(st->db));
		store_free(st);
		remove(path);
		json_decref(names);
		json_decref(mnames);
		return -1;
	}
	set_meta(st, "format", RSW_STORE_FORMAT);
	set_meta(st, "version", RSW_VERSION_STRING);
	set_meta(st, "argv", argv_json);
	s = json_dumps(names, JSON_COMPACT);
	set_meta(st, "params", s);
	free(s);
	s = json_dumps(mnames, JSON_COMPACT);
	set_meta(st, "metrics", s);
	free(s);
	iso_now(buf, sizeof buf);
	set_meta(st, "started", buf);
	set_meta(st, "outcome", "running");
	json_decref(names);
	json_decref(mnames);
	load_meta(st);
	*out = st;
	return 0;
}

/* Opens `path` and checks it is a ringsweep store, writing nothing. */
static int
open_validated(rsw_store **out, const char *path, int flags, const char *what,
	       char *err, size_t errlen)
{
	rsw_store *st = calloc(1, sizeof *st);
	struct stat sb;
	sqlite3_stmt *s;
	const char *fmt;

	*out = NULL;
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "%s '%s': %s", what, path, strerror(errno));
		free(st);
		return -1;
	}
	if (st == NULL || sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s '%s': cannot open it", what, path);
		store_free(st);
		return -1;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (load_meta(st) != 0 || (fmt = rsw_store_meta(st, "format")) == NULL ||
	    strcmp(fmt, RSW_STORE_FORMAT) != 0) {
		snprintf(err, errlen, "%s '%s': not a ringsweep results file (%s)",
			 what, path, st->nmeta == 0 ? sqlite3_errmsg(st->db) :
						      "no sweep description");
		store_free(st);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT count(*), max(seq) FROM results", -1,
			       &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "%s '%s': corrupt results table: %s", what, path,
			 sqlite3_errmsg(st->db));
		sqlite3_finalize(s);
		store_free(st);
		return -1;
	}
	st->rows = (uint64_t)sqlite3_column_int64(s, 0);
	if (st->rows > 0 &&
	    (uint64_t)sqlite3_column_int64(s, 1) != st->rows - 1) {
		snprintf(err, errlen, "%s '%s': corrupt results table (seqs are not "
			 "0 .. %llu)", what, path, (unsigned long long)st->rows - 1);
		sqlite3_finalize(s);
		store_free(st);
		return -1;
	}
	sqlite3_finalize(s);
	*out = st;
	return 0;
}

int
rsw_store_open_resume(rsw_store **out, const char *path, char *err,
		      size_t errlen)
{
	rsw_store *st;
	json_t *p, *m;
	const char *ps, *ms;

	if (open_validated(&st, path, SQLITE_OPEN_READWRITE, "--resume", err,
			   errlen) != 0)
		return -1;
	{
		/* Two runs appending to one file would collide: refuse while
		 * the run that wrote it last is alive. */
		const char *outcome = rsw_store_meta(st, "outcome");
		const char *pid = rsw_store_meta(st, "pid");

		if (outcome != NULL && strcmp(outcome, "running") == 0 &&
		    pid != NULL && atoi(pid) > 0 && kill(atoi(pid), 0) == 0) {
			snprintf(err, errlen, "--resume '%s': still being written by "
				 "process %s", path, pid);
			store_free(st);
			return -1;
		}
	}
	ps = rsw_store_meta(st, "params");
	ms = rsw_store_meta(st, "metrics");
	p = ps ? json_loads(ps, 0, NULL) : NULL;
	m = ms ? json_loads(ms, 0, NULL) : NULL;
	if (!json_is_array(p) || !json_is_array(m) ||
	    json_array_size(p) > RSW_MAX_PARAMS_LIMIT ||
	    json_array_size(m) > RSW_MAX_METRICS_LIMIT) {
		snprintf(err, errlen, "--resume '%s': corrupt sweep description", path);
		json_decref(p);
		json_decref(m);
		store_free(st);
		return -1;
	}
	st->nparams = (uint32_t)json_array_size(p);
	st->nmetrics = (uint32_t)json_array_size(m);
	json_decref(p);
	json_decref(m);
	if (prepare_insert(st) != 0 ||
	    sqlite3_prepare_v2(st->db, "SELECT * FROM results ORDER BY seq", -1,
			       &st->cursor, NULL) != SQLITE_OK ||
	    (uint32_t)sqlite3_column_count(st->cursor) !=
		    1 + st->nparams + 3 + st->nmetrics + 4) {
		snprintf(err, errlen, "--resume '%s': the results table does not match "
			 "its sweep description", path);
		store_free(st);
		return -1;
	}
	for (uint32_t i = 0; i < st->nparams; i++) {
		const char *type = sqlite3_column_decltype(st->cursor, (int)i + 1);

		st->int_param[i] = type != NULL && strcmp(type, "INTEGER") == 0;
	}
	*out = st;
	return 0;
}

int
rsw_store_bind_space(rsw_store *st, const rsw_space *space)
{
	if (space->n != st->nparams)
		return RSW_EINVAL;
	for (uint32_t i = 0; i < space->n; i++) {
		const char *type = sqlite3_column_decltype(st->cursor, (int)i + 1);
		const char *want = space->params[i].kind == RSW_PARAM_CAT ? "TEXT" :
				   rsw_param_is_integral(&space->params[i]) ?
				   "INTEGER" : "REAL";

		if (type == NULL || strcmp(type, want) != 0 ||
		    strcmp(sqlite3_column_name(st->cursor, (int)i + 1),
			   space->params[i].name) != 0)
			return RSW_EINVAL;
		st->params[i] = space->params[i];
		st->int_param[i] = rsw_param_is_integral(&space->params[i]);
	}
	return 0;
}

void
rsw_store_discard(rsw_store *st)
{
	store_free(st);
}

uint64_t
rsw_store_rows(const rsw_store *st)
{
	return st->rows;
}

static int
status_from_name(const char *name)
{
	for (int i = 0; i < RSW_STATUS_COUNT_; i++)
		if (name != NULL && strcmp(rsw_status_name(i), name) == 0)
			return i;
	return -1;
}

int
rsw_store_replay(rsw_store *st, uint64_t seq, const double *params,
		 uint32_t nparams, rsw_result *out)
{
	sqlite3_stmt *c = st->cursor;
	int col = 0;

	if (c == NULL || nparams != st->nparams || sqlite3_step(c) != SQLITE_ROW ||
	    (uint64_t)sqlite3_column_int64(c, col++) != seq)
		return RSW_EINVAL;
	for (uint32_t i = 0; i < nparams; i++, col++) {
		double stored;

		if (st->params[i].kind == RSW_PARAM_CAT) {
			const char *t = (const char *)sqlite3_column_text(c, col);

			if (t == NULL ||
			    rsw_param_parse_value(&st->params[i], t, &stored) != 0)
				return RSW_EINVAL;
		} else {
			stored = sqlite3_column_double(c, col);
		}
		if (stored != params[i])
			return RSW_EINVAL; /* another sweep's row */
	}
	memset(out, 0, sizeof *out);
	out->seq = seq;
	out->status = status_from_name((const char *)sqlite3_column_text(c, col++));
	if (out->status < 0)
		return RSW_EINVAL;
	out->detail = sqlite3_column_int(c, col++);
	out->value = sqlite3_column_type(c, col) == SQLITE_NULL ?
			     NAN : sqlite3_column_double(c, col);
	col++;
	out->nmetrics = st->nmetrics;
	for (uint32_t i = 0; i < st->nmetrics; i++, col++)
		out->metrics[i] = sqlite3_column_type(c, col) == SQLITE_NULL ?
					  NAN : sqlite3_column_double(c, col);
	out->attempts = (uint32_t)sqlite3_column_int(c, col++);
	out->worker = sqlite3_column_int(c, col++);
	out->elapsed_ns = (uint64_t)(sqlite3_column_double(c, col++) * 1e6);
	out->peak_kb = (uint64_t)sqlite3_column_int64(c, col);
	return 0;
}

static int
commit_batch(rsw_store *st)
{
	if (!st->in_txn)
		return 0;
	st->in_txn = 0;
	st->pending = 0;
	return exec(st->db, "COMMIT");
}

int
rsw_store_add(rsw_store *st, const double *params, uint32_t nparams,
	      const rsw_result *r)
{
	sqlite3_stmt *s = st->insert;
	int col = 1, rc;
	uint64_t now;

	if (r->seq < st->rows)
		return 0; /* replayed from this very file */
	/* The table must stay a prefix of seqs (that is what --resume
	 * replays): after a skipped row (a drain) or a failed write, later
	 * rows are not stored; a resume evaluates them again. */
	if (st->frozen)
		return 0;
	if (r->status == RSW_STATUS_SKIPPED || r->seq != st->rows) {
		st->frozen = 1;
		return 0;
	}
	if (!st->writing) {
		/* First write of this process: a resumed file is validated
		 * by now and becomes ours. */
		st->writing = 1;
		/* Replay is over: release its read snapshot, or the WAL
		 * could never be checkpointed during the resumed run. */
		if (st->cursor != NULL)
			sqlite3_reset(st->cursor);
		exec(st->db, "PRAGMA synchronous=NORMAL");
		set_meta(st, "outcome", "running");
		{
			char pid[32];

			snprintf(pid, sizeof pid, "%d", (int)getpid());
			set_meta(st, "pid", pid);
		}
	}
	if (!st->in_txn) {
		if (exec(st->db, "BEGIN") != 0)
			return -1;
		st->in_txn = 1;
	}
	sqlite3_bind_int64(s, col++, (sqlite3_int64)r->seq);
	for (uint32_t i = 0; i < nparams; i++, col++) {
		if (st->params[i].kind == RSW_PARAM_CAT &&
		    params[i] >= 0 && params[i] < st->params[i].ncat)
			sqlite3_bind_text(s, col, st->params[i].cat[(uint32_t)params[i]],
					  -1, SQLITE_STATIC);
		else if (st->params[i].kind == RSW_PARAM_CAT)
			sqlite3_bind_null(s, col);
		else if (st->int_param[i])
			sqlite3_bind_int64(s, col, (sqlite3_int64)params[i]);
		else
			sqlite3_bind_double(s, col, params[i]);
	}
	sqlite3_bind_text(s, col++, rsw_status_name(r->status), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, col++, r->detail);
	if (isnan(r->value))
		sqlite3_bind_null(s, col++);
	else
		sqlite3_bind_double(s, col++, r->value);
	for (uint32_t i = 0; i < st->nmetrics; i++, col++) {
		if (i < r->nmetrics && !isnan(r->metrics[i]))
			sqlite3_bind_double(s, col, r->metrics[i]);
		else
			sqlite3_bind_null(s, col);
	}
	sqlite3_bind_int(s, col++, (int)r->attempts);
	sqlite3_bind_int(s, col++, r->worker);
	sqlite3_bind_double(s, col++, (double)r->elapsed_ns / 1e6);
	if (r->peak_kb > 0)
		sqlite3_bind_int64(s, col++, (sqlite3_int64)r->peak_kb);
	else
		sqlite3_bind_null(s, col++);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		st->frozen = 1;
		return -1;
	}
	st->rows = r->seq + 1;
	/* Commit when the batch is big, or when the last commit is 200 ms
	 * old: slow sweeps then commit every row as it comes, fast ones a
	 * few times a second. */
	now = rsw__mono_ns();
	if (++st->pending >= BATCH_ROWS || now - st->last_commit_ns >= BATCH_NS) {
		st->last_commit_ns = now;
		if (commit_batch(st) != 0) {
			st->frozen = 1;
			return -1;
		}
	}
	return 0;
}

int
rsw_store_close(rsw_store *st, const char *outcome)
{
	char buf[64];
	int rc;

	if (st == NULL)
		return 0;
	rc = commit_batch(st);
	iso_now(buf, sizeof buf);
	set_meta(st, "finished", buf);
	set_meta(st, "outcome", outcome);
	store_free(st);
	return rc;
}

/* ---------------------------------------------------------------- export */

static json_t *
column_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(s, i));
	case SQLITE_TEXT:
		return json_string((const char *)sqlite3_column_text(s, i));
	default:
		return json_null();
	}
}

static void
column_csv(FILE *out, sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		fprintf(out, "%lld", (long long)sqlite3_column_int64(s, i));
		break;
	case SQLITE_FLOAT:
		fprintf(out, "%.17g", sqlite3_column_double(s, i));
		break;
	case SQLITE_TEXT:
		rsw_cli_csv_field(out, (const char *)sqlite3_column_text(s, i));
		break;
	default:
		break;
	}
}

int
rsw_store_export(const char *path, int format, uint64_t top, int sort_by_value,
		 FILE *out, char *err, size_t errlen)
{
	char sql[256];
	rsw_store *st;
	sqlite3_stmt *s;
	const char *dir;
	json_t *root = NULL, *rows = NULL, *meta = NULL;
	int ncol;

	if (open_validated(&st, path, SQLITE_OPEN_READONLY, "export", err,
			   errlen) != 0)
		return -1;
	dir = rsw_store_meta(st, "direction");
	snprintf(sql, sizeof sql, "SELECT * FROM results%s%s",
		 sort_by_value || top > 0 ?
			 (dir != NULL && strcmp(dir, "maximize") == 0 ?
				  " ORDER BY value IS NULL, value DESC, seq" :
				  " ORDER BY value IS NULL, value ASC, seq") :
			 " ORDER BY seq",
		 "");
	if (top > 0)
		snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " LIMIT %llu",
			 (unsigned long long)top);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "export '%s': %s", path, sqlite3_errmsg(st->db));
		store_free(st);
		return -1;
	}
	ncol = sqlite3_column_count(s);
	if (format == RSW_EXPORT_CSV) {
		for (int i = 0; i < ncol; i++)
		{
			if (i)
				fputc(',', out);
			rsw_cli_csv_field(out, sqlite3_column_name(s, i));
		}
		fputc('\n', out);
	} else {
		root = json_object();
		meta = json_object();
		rows = json_array();
		for (int i = 0; i < st->nmeta; i++)
			json_object_set_new(meta, st->meta_key[i],
					    json_string(st->meta_val[i]));
		json_object_set_new(root, "sweep", meta);
		json_object_set_new(root, "results", rows);
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (format == RSW_EXPORT_CSV) {
			for (int i = 0; i < ncol; i++) {
				if (i)
					fputc(',', out);
				column_csv(out, s, i);
			}
			fputc('\n', out);
		} else {
			json_t *row = json_object();

			for (int i = 0; i < ncol; i++)
				json_object_set_new(row, sqlite3_column_name(s, i),
						    column_json(s, i));
			json_array_append_new(rows, row);
		}
	}
	sqlite3_finalize(s);
	if (root != NULL) {
		json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17));
		fputc('\n', out);
		json_decref(root);
	}
	store_free(st);
	return 0;
}
