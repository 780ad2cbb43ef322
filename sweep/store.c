/*
 * sweep/store.c - the SQLite results store (ringsweep/store.h has the
 * schema and the design).
 *
 * THE WRITER THREAD
 * rsw_store_add copies a row into the `fill` buffer under a mutex and
 * returns; the writer thread swaps `fill` and `drain` when the batch is
 * big enough or the last commit is 200 ms old, and writes `drain` in one
 * transaction, 64 rows per INSERT statement.  The adder waits only when
 * `fill` is full while the writer is still busy with `drain` (the disk is
 * slower than the sweep): rows are never dropped.  Rows reach the file in
 * the order they were added, one transaction after another, so the file
 * is always a prefix of seqs.  The SQLite connection is used by the
 * writer thread alone while it runs; everything else (meta, replay)
 * happens before it starts or after it stopped, or under db_lock.  That
 * is why it is opened SQLITE_OPEN_NOMUTEX: SQLite's own lock around every
 * call (bind, step) cost a quarter of the writer's time.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/version.h"
#include "ringsweep/store.h"

#define BATCH_ROWS 16384u
#define BATCH_NS 200000000ull
#define ROWS_PER_INSERT 64u
#define MAX_META 48
#define BUSY_TIMEOUT_MS 10000

static const char *const reserved[] = { "seq", "status", "detail", "value",
					"attempts", "worker", "elapsed_ms",
					"peak_kb", "message", NULL };

/* One row waiting for the writer; its parameters and metrics follow in
 * the buffer's `values`, nparams + nmetrics doubles a row. */
struct row {
	uint64_t seq;
	int32_t status;
	int32_t detail;
	double value;
	uint32_t attempts;
	int32_t worker;
	uint64_t elapsed_ns;
	uint64_t peak_kb;
	uint32_t nmetrics;
	uint32_t message_len;	/* 0: none */
	size_t message_at;	/* in the buffer's text */
};

struct buffer {
	uint32_t n;
	struct row *rows;
	double *values;
	char *text;		/* the rows' failure texts, back to back */
	size_t text_len, text_cap;
};

enum { FROZEN_GAP = 1, FROZEN_FAILED = 2 };

/* The byte a writing store holds an OFD write lock on, far past any that
 * SQLite locks (those sit near 1 GiB): the kernel drops it when the
 * writer dies, however it dies, so "still being written" never depends
 * on a pid that may have been reused. */
#define WRITER_LOCK_BYTE ((off_t)1 << 62)

struct rsw_store {
	sqlite3 *db;
	sqlite3_stmt *insert_one;
	sqlite3_stmt *insert_many; /* ROWS_PER_INSERT rows */
	sqlite3_stmt *cursor;	   /* replay: rows in seq order */
	char path[4096];
	int mode;
	int lock_fd;		   /* APPEND: holds the writer lock; else -1 */
	uint64_t rows;		   /* seqs 0 .. rows-1 are stored or added */
	uint32_t nparams, nmetrics, ncols;
	int has_message;	/* the table has the message column (stores
				   made before it was added have not) */
	rsw_param params[RSW_MAX_PARAMS_LIMIT]; /* for categories' names */
	int int_param[RSW_MAX_PARAMS_LIMIT];
	int frozen;	/* FROZEN_*: later rows are not stored (adder's own) */
	int nmeta;
	char *meta_key[MAX_META], *meta_val[MAX_META];

	/* The writer thread (started by the first add). */
	pthread_t writer;
	int writer_running;
	pthread_mutex_t lock;	/* the fields below */
	pthread_mutex_t db_lock; /* the connection, while the writer runs */
	pthread_cond_t have_rows; /* adder -> writer */
	pthread_cond_t progress;  /* writer -> adder, flush, close */
	struct buffer buf[2];
	struct buffer *fill, *drain;
	uint64_t added, written; /* rows handed to the writer / committed */
	int closing;
	int flush_wanted;
	int failed;	/* written by the writer under `lock`; read by the
			   adder under it too */
	char error[8192];
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

static int
write_meta(rsw_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO sweep VALUES (?, ?)",
			       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

/* Keeps the in-memory copy of the sweep table in step. */
static void
remember_meta(rsw_store *st, const char *key, const char *value)
{
	for (int i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta_key[i], key) == 0) {
			char *v = strdup(value);

			if (v != NULL) {
				free(st->meta_val[i]);
				st->meta_val[i] = v;
			}
			return;
		}
	if (st->nmeta < MAX_META) {
		st->meta_key[st->nmeta] = strdup(key);
		st->meta_val[st->nmeta] = strdup(value);
		if (st->meta_key[st->nmeta] != NULL && st->meta_val[st->nmeta] != NULL)
			st->nmeta++;
	}
}

static int
prepare_inserts(rsw_store *st)
{
	/* Room for ROWS_PER_INSERT rows of at most 1 + 64 + 3 + 32 + 4 + 1. */
	size_t cap = ROWS_PER_INSERT * (2 * 105 + 3) + 64, len;
	char *sql = malloc(cap);
	int rc = 0;

	if (sql == NULL)
		return -1;
	st->ncols = 1 + st->nparams + 3 + st->nmetrics + 4 + (st->has_message != 0);
	for (uint32_t rows = 1; rows <= ROWS_PER_INSERT && rc == 0;
	     rows += ROWS_PER_INSERT - 1) {
		len = (size_t)snprintf(sql, cap, "INSERT INTO results VALUES ");
		for (uint32_t r = 0; r < rows; r++) {
			sql[len++] = r ? ',' : ' ';
			sql[len++] = '(';
			for (uint32_t c = 0; c < st->ncols; c++) {
				if (c)
					sql[len++] = ',';
				sql[len++] = '?';
			}
			sql[len++] = ')';
		}
		sql[len] = '\0';
		if (sqlite3_prepare_v2(st->db, sql, -1,
				       rows == 1 ? &st->insert_one : &st->insert_many,
				       NULL) != SQLITE_OK)
			rc = -1;
	}
	free(sql);
	return rc;
}

static int
load_meta(rsw_store *st)
{
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(st->db, "SELECT key, value FROM sweep", -1, &s,
			       NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(s, 0);
		const char *v = (const char *)sqlite3_column_text(s, 1);

		remember_meta(st, k ? k : "", v ? v : "");
	}
	sqlite3_finalize(s);
	return 0;
}

static rsw_store *
store_new(const char *path, int mode)
{
	rsw_store *st = calloc(1, sizeof *st);
	pthread_condattr_t ca;

	if (st == NULL)
		return NULL;
	snprintf(st->path, sizeof st->path, "%s", path);
	st->mode = mode;
	st->lock_fd = -1;

	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->db_lock, NULL);
	/* The writer's timed waits are on the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->have_rows, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&st->progress, NULL);
	st->fill = &st->buf[0];
	st->drain = &st->buf[1];
	return st;
}

static void
store_free(rsw_store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->insert_one);
	sqlite3_finalize(st->insert_many);
	sqlite3_finalize(st->cursor);
	sqlite3_close(st->db);
	/* After SQLite's own descriptors are closed: closing any descriptor
	 * of a file drops the process's POSIX locks on it, SQLite's too. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	for (int i = 0; i < st->nmeta; i++) {
		free(st->meta_key[i]);
		free(st->meta_val[i]);
	}
	for (int b = 0; b < 2; b++) {
		free(st->buf[b].rows);
		free(st->buf[b].values);
		free(st->buf[b].text);
	}
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->db_lock);
	pthread_cond_destroy(&st->have_rows);
	pthread_cond_destroy(&st->progress);
	free(st);
}

static void
bind_space(rsw_store *st, const rsw_space *space)
{
	st->nparams = space->n;
	for (uint32_t i = 0; i < space->n; i++) {
		st->params[i] = space->params[i];
		st->int_param[i] = rsw_param_is_integral(&space->params[i]);
	}
}

static const char *
column_type(const rsw_param *p)
{
	return p->kind == RSW_PARAM_CAT ? "TEXT" :
	       rsw_param_is_integral(p) ? "INTEGER" : "REAL";
}

static int
name_clash(const rsw_space *space, uint32_t nmetrics,
	   const char *const *metric_names, const char *path, char *err,
	   size_t errlen)
{
	for (uint32_t i = 0; i < space->n + nmetrics; i++) {
		const char *name = i < space->n ? space->params[i].name :
						  metric_names[i - space->n];

		for (int r = 0; reserved[r] != NULL; r++)
			if (strcasecmp(name, reserved[r]) == 0) {
				snprintf(err, errlen, "'%s': a %s named '%s' clashes "
					 "with the results table's own column", path,
					 i < space->n ? "parameter" : "metric", name);
				return -1;
			}
	}
	return 0;
}

static char *
names_json(const rsw_space *space, uint32_t nmetrics,
	   const char *const *metric_names, int metrics)
{
	json_t *a = json_array();
	char *s;

	for (uint32_t i = 0; i < (metrics ? nmetrics : space->n); i++)
		json_array_append_new(a, json_string(metrics ? metric_names[i] :
							       space->params[i].name));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* Takes the writer lock on fd, or explains who holds it: two runs
 * appending to one file would collide.  0, or -1. */
static int
take_writer_lock(rsw_store *st, int fd, char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = WRITER_LOCK_BYTE, .l_len = 1 };

	if (fd >= 0 && fcntl(fd, F_OFD_SETLK, &fl) == 0) {
		st->lock_fd = fd;
		return 0;
	}
	if (fd >= 0 && (errno == EAGAIN || errno == EACCES)) {
		/* The recorded writer, if it is the one alive: the holder may
		 * not have started writing (its pid is recorded then). */
		const char *pid = rsw_store_meta(st, "pid");
		long n = pid != NULL ? strtol(pid, NULL, 10) : 0;

		if (n > 0 && kill((pid_t)n, 0) == 0)
			snprintf(err, errlen, "'%s': still being written by process "
				 "%ld", st->path, n);
		else
			snprintf(err, errlen, "'%s': still being written by another "
				 "process", st->path);
	} else {
		snprintf(err, errlen, "'%s': cannot lock it for writing: %s",
			 st->path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
record_pid(rsw_store *st)
{
	char pid[32];

	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (write_meta(st, "pid", pid) != 0)
		return -1;
	remember_meta(st, "pid", pid);
	return 0;
}

/* The tables and the sweep table's first keys, in one transaction. */
static int
create_tables(rsw_store *st, const rsw_space *space, uint32_t nmetrics,
	      const char *const *metric_names)
{
	char sql[16384] = "CREATE TABLE results (seq INTEGER PRIMARY KEY", now[64];
	char *names = names_json(space, nmetrics, metric_names, 0);
	char *mnames = names_json(space, nmetrics, metric_names, 1);
	int rc;

	for (uint32_t i = 0; i < space->n; i++) {
		strcat(sql, ", ");
		append_ident(sql, sizeof sql, space->params[i].name);
		strcat(sql, " ");
		strcat(sql, column_type(&space->params[i]));
	}
	strcat(sql, ", status TEXT NOT NULL, detail INTEGER, value REAL");
	for (uint32_t i = 0; i < nmetrics; i++) {
		strcat(sql, ", ");
		append_ident(sql, sizeof sql, metric_names[i]);
		strcat(sql, " REAL");
	}
	strcat(sql, ", attempts INTEGER, worker INTEGER, elapsed_ms REAL, "
		    "peak_kb INTEGER, message TEXT)");
	st->has_message = 1;
	iso_now(now, sizeof now);
	rc = names == NULL || mnames == NULL ||
	     exec(st->db, "PRAGMA journal_mode=WAL") != 0 ||
	     exec(st->db, "PRAGMA synchronous=NORMAL") != 0 ||
	     exec(st->db, "BEGIN") != 0 ||
	     exec(st->db, "CREATE TABLE sweep (key TEXT PRIMARY KEY, value TEXT)") != 0 ||
	     exec(st->db, sql) != 0 || prepare_inserts(st) != 0 ||
	     write_meta(st, "format", RSW_STORE_FORMAT) != 0 ||
	     write_meta(st, "version", RSW_VERSION_STRING) != 0 ||
	     write_meta(st, "params", names) != 0 ||
	     write_meta(st, "metrics", mnames) != 0 ||
	     write_meta(st, "started", now) != 0 ||
	     write_meta(st, "outcome", "running") != 0 || record_pid(st) != 0 ||
	     exec(st->db, "COMMIT") != 0 ? -1 : 0;
	free(names);
	free(mnames);
	return rc;
}

void
rsw_store_remove(const char *path)
{
	char side[4200];

	unlink(path);
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int
rsw_store_create(rsw_store **out, const char *path, const rsw_space *space,
		 uint32_t nmetrics, const char *const *metric_names, char *err,
		 size_t errlen)
{
	rsw_store *st;
	int fd;

	*out = NULL;
	if (path == NULL || space == NULL || nmetrics > RSW_MAX_METRICS_LIMIT ||
	    (nmetrics > 0 && metric_names == NULL)) {
		snprintf(err, errlen, "results store: invalid arguments");
		return RSW_EINVAL;
	}
	if (name_clash(space, nmetrics, metric_names, path, err, errlen) != 0)
		return RSW_EINVAL;
	/* O_EXCL: of two runs given one new path, exactly one creates it. */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "'%s' already exists (continue it with "
				 "--resume, or choose another file)", path);
		else
			snprintf(err, errlen, "'%s': cannot create it: %s", path,
				 strerror(errno));
		return errno == EEXIST ? RSW_EINVAL : RSW_ESTORE;
	}
	st = store_new(path, RSW_STORE_APPEND);
	if (st == NULL || take_writer_lock(st, fd, err, errlen) != 0 ||
	    sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
				    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		if (st == NULL)
			close(fd);
		snprintf(err, errlen, "'%s': cannot create it: %s", path,
			 st != NULL && st->db != NULL ? sqlite3_errmsg(st->db) :
							"out of memory");
		store_free(st);
		rsw_store_remove(path);
		return RSW_ESTORE;
	}
	/* A reader (export, sqlite3, a test) may hold a lock for a moment,
	 * most of all while the file is new and not yet in WAL mode: wait
	 * for it rather than fail. */
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	bind_space(st, space);
	st->nmetrics = nmetrics;
	if (create_tables(st, space, nmetrics, metric_names) != 0) {
		snprintf(err, errlen, "'%s': cannot create the tables: %s", path,
			 sqlite3_errmsg(st->db));
		store_free(st);
		rsw_store_remove(path);
		return RSW_ESTORE;
	}
	load_meta(st);
	*out = st;
	return 0;
}

int
rsw_store_open(rsw_store **out, const char *path, int mode, char *err,
	       size_t errlen)
{
	rsw_store *st;
	struct stat sb;
	sqlite3_stmt *s = NULL;
	const char *fmt, *ps, *ms;
	json_t *p = NULL, *m = NULL;

	*out = NULL;
	if (path == NULL || stat(path, &sb) != 0) {
		snprintf(err, errlen, "'%s': %s", path ? path : "",
			 path ? strerror(errno) : "no file");
		return RSW_EINVAL;
	}
	st = store_new(path, mode);
	if (st == NULL ||
	    sqlite3_open_v2(path, &st->db,
			    SQLITE_OPEN_NOMUTEX | (mode == RSW_STORE_READ ?
						   SQLITE_OPEN_READONLY :
						   SQLITE_OPEN_READWRITE),
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "'%s': cannot open it", path);
		store_free(st);
		return RSW_EINVAL;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (load_meta(st) != 0 || (fmt = rsw_store_meta(st, "format")) == NULL ||
	    strcmp(fmt, RSW_STORE_FORMAT) != 0) {
		snprintf(err, errlen, "'%s': not a ringsweep results file (%s)",
			 path, st->nmeta == 0 ? sqlite3_errmsg(st->db) :
						"no sweep description");
		goto fail;
	}
	if (sqlite3_prepare_v2(st->db, "SELECT count(*), max(seq) FROM results", -1,
			       &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		snprintf(err, errlen, "'%s': corrupt results table: %s", path,
			 sqlite3_errmsg(st->db));
		goto fail;
	}
	st->rows = (uint64_t)sqlite3_column_int64(s, 0);
	if (st->rows > 0 && (uint64_t)sqlite3_column_int64(s, 1) != st->rows - 1) {
		snprintf(err, errlen, "'%s': corrupt results table (seqs are not "
			 "0 .. %llu)", path, (unsigned long long)st->rows - 1);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	/* The lock only: a file refused after this (its sweep does not
	 * match, an output would overwrite it) must be left byte-identical,
	 * so who writes it is recorded when the writing starts. */
	if (mode == RSW_STORE_APPEND &&
	    take_writer_lock(st, open(path, O_RDWR | O_CLOEXEC), err, errlen) != 0)
		goto fail;
	ps = rsw_store_meta(st, "params");
	ms = rsw_store_meta(st, "metrics");
	p = ps ? json_loads(ps, 0, NULL) : NULL;
	m = ms ? json_loads(ms, 0, NULL) : NULL;
	if (!json_is_array(p) || !json_is_array(m) ||
	    json_array_size(p) > RSW_MAX_PARAMS_LIMIT ||
	    json_array_size(m) > RSW_MAX_METRICS_LIMIT) {
		snprintf(err, errlen, "'%s': corrupt sweep description", path);
		goto fail;
	}
	st->nparams = (uint32_t)json_array_size(p);
	st->nmetrics = (uint32_t)json_array_size(m);
	if (sqlite3_prepare_v2(st->db, "SELECT * FROM results ORDER BY seq", -1,
			       &st->cursor, NULL) == SQLITE_OK) {
		uint32_t base = 1 + st->nparams + 3 + st->nmetrics + 4;
		uint32_t ncol = (uint32_t)sqlite3_column_count(st->cursor);

		st->has_message = ncol == base + 1 &&
				  strcmp(sqlite3_column_name(st->cursor, (int)base),
					 "message") == 0;
		if (ncol != base + (st->has_message != 0))
			ncol = 0;
		if (ncol == 0 ||
		    (mode == RSW_STORE_APPEND && prepare_inserts(st) != 0)) {
			snprintf(err, errlen, "'%s': the results table does not "
				 "match its sweep description", path);
			goto fail;
		}
	} else {
		snprintf(err, errlen, "'%s': the results table does not match its "
			 "sweep description", path);
		goto fail;
	}
	for (uint32_t i = 0; i < st->nparams; i++) {
		const char *type = sqlite3_column_decltype(st->cursor, (int)i + 1);

		st->int_param[i] = type != NULL && strcmp(type, "INTEGER") == 0;
	}
	json_decref(p);
	json_decref(m);
	*out = st;
	return 0;
fail:
	sqlite3_finalize(s);
	json_decref(p);
	json_decref(m);
	store_free(st);
	return RSW_EINVAL;
}

int
rsw_store_bind_space(rsw_store *st, const rsw_space *space)
{
	if (space->n != st->nparams || st->cursor == NULL)
		return RSW_EINVAL;
	for (uint32_t i = 0; i < space->n; i++) {
		const char *type = sqlite3_column_decltype(st->cursor, (int)i + 1);

		if (type == NULL || strcmp(type, column_type(&space->params[i])) != 0 ||
		    strcmp(sqlite3_column_name(st->cursor, (int)i + 1),
			   space->params[i].name) != 0)
			return RSW_EINVAL;
	}
	bind_space(st, space);
	return 0;
}

struct sqlite3 *
rsw__store_db(rsw_store *st)
{
	return st->db;
}

int
rsw__store_writer_alive(const char *path)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = WRITER_LOCK_BYTE, .l_len = 1 };
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return 0;
	rc = fcntl(fd, F_OFD_GETLK, &fl);
	close(fd);
	return rc == 0 && fl.l_type != F_UNLCK;
}

const char *
rsw_store_meta(const rsw_store *st, const char *key)
{
	for (int i = 0; i < st->nmeta; i++)
		if (strcmp(st->meta_key[i], key) == 0)
			return st->meta_val[i];
	return NULL;
}

uint64_t
rsw_store_rows(const rsw_store *st)
{
	return st->rows;
}

const char *
rsw_store_error(const rsw_store *st)
{
	return st->error;
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
		return RSW_EREPLAY;
	for (uint32_t i = 0; i < nparams; i++, col++) {
		double stored;

		if (st->params[i].kind == RSW_PARAM_CAT) {
			const char *t = (const char *)sqlite3_column_text(c, col);

			if (t == NULL ||
			    rsw_param_parse_value(&st->params[i], t, &stored) != 0)
				return RSW_EREPLAY;
		} else {
			stored = sqlite3_column_double(c, col);
		}
		if (stored != params[i])
			return RSW_EREPLAY; /* another sweep's row */
	}
	memset(out, 0, sizeof *out);
	out->seq = seq;
	out->status = status_from_name((const char *)sqlite3_column_text(c, col++));
	if (out->status < 0)
		return RSW_EREPLAY;
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
	out->peak_kb = (uint64_t)sqlite3_column_int64(c, col++);
	/* Valid until the next replay (the cursor's next step). */
	if (st->has_message)
		out->message = (const char *)sqlite3_column_text(c, col);
	return 0;
}

/* ------------------------------------------------------------ writing */

/* Binds one row at column offset `col` (1-based) of statement s. */
static void
bind_row(rsw_store *st, sqlite3_stmt *s, int col, const struct row *r,
	 const double *values, const char *text)
{
	const double *params = values, *metrics = values + st->nparams;

	sqlite3_bind_int64(s, col++, (sqlite3_int64)r->seq);
	for (uint32_t i = 0; i < st->nparams; i++, col++) {
		const rsw_param *p = &st->params[i];

		if (p->kind == RSW_PARAM_CAT) {
			if (params[i] >= 0 && params[i] < p->ncat)
				sqlite3_bind_text(s, col, p->cat[(uint32_t)params[i]],
						  -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(s, col);
		} else if (st->int_param[i]) {
			sqlite3_bind_int64(s, col, (sqlite3_int64)params[i]);
		} else {
			sqlite3_bind_double(s, col, params[i]);
		}
	}
	sqlite3_bind_text(s, col++, rsw_status_name(r->status), -1, SQLITE_STATIC);
	sqlite3_bind_int(s, col++, r->detail);
	if (isnan(r->value))
		sqlite3_bind_null(s, col++);
	else
		sqlite3_bind_double(s, col++, r->value);
	for (uint32_t i = 0; i < st->nmetrics; i++, col++) {
		if (i < r->nmetrics && !isnan(metrics[i]))
			sqlite3_bind_double(s, col, metrics[i]);
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
	if (!st->has_message)
		return;
	if (r->message_len > 0)
		sqlite3_bind_text(s, col, text + r->message_at, (int)r->message_len,
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(s, col);
}

/* One transaction for the whole buffer; 0, or -1 with st->error set. */
static int
write_buffer(rsw_store *st, const struct buffer *b)
{
	uint32_t stride = st->nparams + st->nmetrics, i = 0;
	int rc = 0;

	pthread_mutex_lock(&st->db_lock);
	if (exec(st->db, "BEGIN") != 0)
		rc = -1;
	while (rc == 0 && i < b->n) {
		sqlite3_stmt *s = b->n - i >= ROWS_PER_INSERT ? st->insert_many :
								st->insert_one;
		uint32_t k = s == st->insert_many ? ROWS_PER_INSERT : 1;

		for (uint32_t j = 0; j < k; j++)
			bind_row(st, s, 1 + (int)(j * st->ncols), &b->rows[i + j],
				 b->values + (size_t)(i + j) * stride, b->text);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(s);
		i += k;
	}
	if (rc == 0 && exec(st->db, "COMMIT") != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(st->error, sizeof st->error, "'%s': write failed: %s",
			 st->path, sqlite3_errmsg(st->db));
		exec(st->db, "ROLLBACK");
	}
	pthread_mutex_unlock(&st->db_lock);
	return rc;
}

static void *
writer_main(void *arg)
{
	rsw_store *st = arg;
	uint64_t last_commit = 0;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct buffer *b = st->fill;
		int rc;

		if (b->n == 0) {
			if (st->closing)
				break;
			pthread_cond_wait(&st->have_rows, &st->lock);
			continue;
		}
		/* Rows are waiting: write them once a batch is full, the
		 * last commit is 200 ms old, or someone waits for them. */
		if (b->n < BATCH_ROWS && !st->closing && !st->flush_wanted &&
		    rsw_now_ns() - last_commit < BATCH_NS) {
			uint64_t wake = last_commit + BATCH_NS;
			struct timespec until = { (time_t)(wake / 1000000000u),
						  (long)(wake % 1000000000u) };

			pthread_cond_timedwait(&st->have_rows, &st->lock, &until);
			continue;
		}
		st->fill = st->drain;
		st->drain = b;
		pthread_mutex_unlock(&st->lock);
		rc = st->failed ? -1 : write_buffer(st, b);
		last_commit = rsw_now_ns();
		pthread_mutex_lock(&st->lock);
		if (rc != 0)
			st->failed = 1;
		else
			st->written += b->n;
		b->n = 0;
		b->text_len = 0;
		pthread_cond_broadcast(&st->progress);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static int
start_writer(rsw_store *st)
{
	for (int b = 0; b < 2; b++) {
		st->buf[b].rows = calloc(BATCH_ROWS, sizeof(struct row));
		st->buf[b].values = calloc((size_t)BATCH_ROWS *
					   (st->nparams + st->nmetrics + 1),
					   sizeof(double));
		if (st->buf[b].rows == NULL || st->buf[b].values == NULL)
			return -1;
	}
	/* A resumed file is validated and replayed by now and becomes
	 * ours: release the replay's read snapshot (or the WAL could never
	 * be checkpointed), and say who writes it. */
	if (st->cursor != NULL)
		sqlite3_reset(st->cursor);
	if (exec(st->db, "PRAGMA synchronous=NORMAL") != 0 ||
	    write_meta(st, "outcome", "running") != 0 || record_pid(st) != 0)
		return -1;
	remember_meta(st, "outcome", "running");
	if (rsw__thread_start(&st->writer, writer_main, st) != 0)
		return -1;
	st->writer_running = 1;
	return 0;
}

/* Appends a row's failure text to the buffer's (at most
 * RSW_MAX_MESSAGE_LIMIT bytes of it); 0 or -1 (no memory). */
static int
keep_text(struct buffer *b, const char *text, struct row *row)
{
	size_t len = strnlen(text, RSW_MAX_MESSAGE_LIMIT);

	if (b->text_len + len > b->text_cap) {
		size_t cap = b->text_cap ? b->text_cap : 65536;
		char *t;

		while (cap < b->text_len + len)
			cap *= 2;
		t = realloc(b->text, cap);
		if (t == NULL)
			return -1;
		b->text = t;
		b->text_cap = cap;
	}
	memcpy(b->text + b->text_len, text, len);
	row->message_at = b->text_len;
	row->message_len = (uint32_t)len;
	b->text_len += len;
	return 0;
}

int
rsw_store_add(rsw_store *st, const double *params, uint32_t nparams,
	      const rsw_result *r)
{
	struct buffer *b;
	struct row *row;
	uint32_t stride;

	if (r->seq < st->rows)
		return 0; /* replayed from this very file */
	if (st->mode != RSW_STORE_APPEND || nparams != st->nparams)
		return RSW_EINVAL;
	/* The table must stay a prefix of seqs (that is what a resume
	 * replays): after a skipped row (a drain) or a failed write, later
	 * rows are not stored; a resume evaluates them again. */
	if (st->frozen)
		return st->frozen == FROZEN_FAILED ? RSW_ESTORE : 0;
	if (r->status == RSW_STATUS_SKIPPED || r->seq != st->rows) {
		st->frozen = FROZEN_GAP;
		return 0;
	}
	if (!st->writer_running && start_writer(st) != 0) {
		snprintf(st->error, sizeof st->error, "'%s': cannot start writing: %s",
			 st->path, sqlite3_errmsg(st->db));
		st->frozen = FROZEN_FAILED;
		return RSW_ESTORE;
	}
	stride = st->nparams + st->nmetrics;
	pthread_mutex_lock(&st->lock);
	while (st->fill->n == BATCH_ROWS && !st->failed)
		pthread_cond_wait(&st->progress, &st->lock);
	if (st->failed) {
		pthread_mutex_unlock(&st->lock);
		st->frozen = FROZEN_FAILED;
		return RSW_ESTORE;
	}
	b = st->fill;
	row = &b->rows[b->n];
	row->seq = r->seq;
	row->status = r->status;
	row->detail = r->detail;
	row->value = r->value;
	row->attempts = r->attempts;
	row->worker = r->worker;
	row->elapsed_ns = r->elapsed_ns;
	row->peak_kb = r->peak_kb;
	row->nmetrics = r->nmetrics < st->nmetrics ? r->nmetrics : st->nmetrics;
	row->message_len = 0;
	if (st->has_message && r->message != NULL && r->message[0] != '\0' &&
	    keep_text(b, r->message, row) != 0) {
		pthread_mutex_unlock(&st->lock);
		snprintf(st->error, sizeof st->error, "'%s': out of memory",
			 st->path);
		st->frozen = FROZEN_FAILED;
		return RSW_ESTORE;
	}
	memcpy(b->values + (size_t)b->n * stride, params, nparams * sizeof(double));
	memcpy(b->values + (size_t)b->n * stride + nparams, r->metrics,
	       row->nmetrics * sizeof(double));
	b->n++;
	st->added++;
	/* Wake the writer for a full batch; otherwise it looks by itself
	 * once the last commit is 200 ms old. */
	if (b->n == BATCH_ROWS || b->n == 1)
		pthread_cond_signal(&st->have_rows);
	pthread_mutex_unlock(&st->lock);
	st->rows = r->seq + 1;
	return 0;
}

int
rsw_store_flush(rsw_store *st)
{
	int failed;

	if (!st->writer_running)
		return st->failed ? RSW_ESTORE : 0;
	pthread_mutex_lock(&st->lock);
	st->flush_wanted++;
	pthread_cond_signal(&st->have_rows);
	while (st->written < st->added && !st->failed)
		pthread_cond_wait(&st->progress, &st->lock);
	st->flush_wanted--;
	failed = st->failed;
	pthread_mutex_unlock(&st->lock);
	return failed ? RSW_ESTORE : 0;
}

int
rsw_store_set_meta(rsw_store *st, const char *key, const char *value)
{
	int rc;

	if (st->mode != RSW_STORE_APPEND)
		return RSW_EINVAL;
	rsw_store_flush(st);
	pthread_mutex_lock(&st->db_lock);
	rc = write_meta(st, key, value);
	if (rc != 0)
		snprintf(st->error, sizeof st->error, "'%s': write failed: %s",
			 st->path, sqlite3_errmsg(st->db));
	pthread_mutex_unlock(&st->db_lock);
	if (rc != 0)
		return RSW_ESTORE;
	remember_meta(st, key, value);
	return 0;
}

static void
stop_writer(rsw_store *st)
{
	if (!st->writer_running)
		return;
	pthread_mutex_lock(&st->lock);
	st->closing = 1;
	pthread_cond_signal(&st->have_rows);
	pthread_mutex_unlock(&st->lock);
	pthread_join(st->writer, NULL);
	st->writer_running = 0;
}

int
rsw_store_close(rsw_store *st, const char *outcome)
{
	char buf[64];
	int failed;

	if (st == NULL)
		return 0;
	stop_writer(st);
	failed = st->failed;
	iso_now(buf, sizeof buf);
	/* Rows that could not be written make it a failed sweep, whatever
	 * the caller thought of it. */
	if (st->mode == RSW_STORE_APPEND &&
	    (write_meta(st, "finished", buf) != 0 ||
	     write_meta(st, "outcome", failed ? "failed" : outcome) != 0))
		failed = 1;
	store_free(st);
	return failed ? RSW_ESTORE : 0;
}

void
rsw_store_discard(rsw_store *st)
{
	if (st == NULL)
		return;
	stop_writer(st);
	store_free(st);
}

/* ---------------------------------------------------------------- export */

/* The sweep table's values as JSON: descriptions that are JSON texts as
 * JSON, numbers as numbers, the rest as strings. */
static json_t *
meta_json(const char *key, const char *value)
{
	static const char *const json_keys[] = { "sweep", "argv", "params",
						 "metrics", "inputs", NULL };
	static const char *const int_keys[] = { "seed", "window", "pid", "enqueued",
						NULL };

	for (int i = 0; json_keys[i] != NULL; i++)
		if (strcmp(key, json_keys[i]) == 0) {
			json_t *j = json_loads(value, JSON_DECODE_ANY, NULL);

			if (j != NULL)
				return j;
		}
	for (int i = 0; int_keys[i] != NULL; i++)
		if (strcmp(key, int_keys[i]) == 0) {
			char *end;
			long long v = strtoll(value, &end, 10);

			if (*value != '\0' && *end == '\0')
				return json_integer(v);
		}
	return json_string(value);
}

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

json_t *
rsw__store_row_json(struct sqlite3_stmt *s)
{
	json_t *row = json_object();

	for (int i = 0; row != NULL && i < sqlite3_column_count(s); i++)
		json_object_set_new(row, sqlite3_column_name(s, i), column_json(s, i));
	return row;
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
		rsw__csv_field(out, (const char *)sqlite3_column_text(s, i));
		break;
	default:
		break;
	}
}

/* Writes the rows statement s selects from st's results as CSV or JSON
 * (see rsw_store_export), and finalizes s.  0. */
static int
export_rows(rsw_store *st, sqlite3_stmt *s, int format, FILE *out)
{
	json_t *root = NULL, *rows = NULL, *meta = NULL;
	int ncol;

	ncol = sqlite3_column_count(s);
	if (format == RSW_EXPORT_CSV) {
		for (int i = 0; i < ncol; i++) {
			if (i)
				fputc(',', out);
			rsw__csv_field(out, sqlite3_column_name(s, i));
		}
		fputc('\n', out);
	} else {
		root = json_object();
		meta = json_object();
		rows = json_array();
		for (int i = 0; i < st->nmeta; i++)
			json_object_set_new(meta, st->meta_key[i],
					    meta_json(st->meta_key[i], st->meta_val[i]));
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
			json_array_append_new(rows, rsw__store_row_json(s));
		}
	}
	sqlite3_finalize(s);
	if (root != NULL) {
		json_dumpf(root, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17));
		fputc('\n', out);
		json_decref(root);
	}
	return 0;
}

/* The rows of a warm start's points are seqs 0 .. E-1 (E: the "enqueued"
 * key): an export adds a column saying which (1) they are, derived
 * rather than stored, so the table keeps its schema; a store without
 * enqueued points exports as it always did. */
static void
enqueued_column(const rsw_store *st, char *out, size_t n)
{
	const char *e = rsw_store_meta(st, "enqueued");
	char *end;
	unsigned long long v = e != NULL ? strtoull(e, &end, 10) : 0;

	out[0] = '\0';
	if (e != NULL && *e != '\0' && *end == '\0' && v > 0)
		snprintf(out, n, ", seq < %llu AS enqueued", v);
}

const char *
rsw__store_best_first(const rsw_store *st)
{
	const char *dir = rsw_store_meta(st, "direction");

	return dir != NULL && strcmp(dir, "maximize") == 0 ?
		       "value IS NULL, value DESC, seq" : "value IS NULL, value ASC, seq";
}

/* The export functions' common start: arguments checked, the store open
 * read-only.  0, or an RSW_E... code with a sentence. */
static int
open_for_export(const char *path, int format, FILE *out, rsw_store **st, char *err,
		size_t errlen)
{
	if ((format != RSW_EXPORT_CSV && format != RSW_EXPORT_JSON) || out == NULL) {
		snprintf(err, errlen, "export: invalid arguments");
		return RSW_EINVAL;
	}
	return rsw_store_open(st, path, RSW_STORE_READ, err, errlen);
}

int
rsw_store_export(const char *path, int format, uint64_t top, int sort_by_value,
		 FILE *out, char *err, size_t errlen)
{
	char sql[512], extra[64];
	rsw_store *st;
	sqlite3_stmt *s;
	int rc;

	rc = open_for_export(path, format, out, &st, err, errlen);
	if (rc != 0)
		return rc;
	enqueued_column(st, extra, sizeof extra);
	snprintf(sql, sizeof sql, "SELECT *%s FROM results ORDER BY %s", extra,
		 sort_by_value || top > 0 ? rsw__store_best_first(st) : "seq");
	if (top > 0)
		snprintf(sql + strlen(sql), sizeof sql - strlen(sql), " LIMIT %llu",
			 (unsigned long long)top);
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "'%s': %s", path, sqlite3_errmsg(st->db));
		store_free(st);
		return RSW_EINVAL;
	}
	rc = export_rows(st, s, format, out);
	store_free(st);
	return rc;
}

int
rsw__store_best_by(rsw_store *st, const char *group, struct sqlite3_stmt **out,
		   char *err, size_t errlen)
{
	char sql[1024], quoted[2 * RSW_PARAM_NAME_MAX + 3], extra[64];
	size_t q = 0;
	int is_param = 0;

	*out = NULL;
	/* A parameter of the sweep: one of the columns after seq. */
	for (uint32_t i = 0; i < st->nparams && st->cursor != NULL; i++)
		is_param |= strcmp(sqlite3_column_name(st->cursor, (int)i + 1), group) == 0;
	if (!is_param || strlen(group) >= RSW_PARAM_NAME_MAX) {
		snprintf(err, errlen, "--best-by '%s': not a parameter of the sweep in "
			 "'%s'", group, st->path);
		return RSW_EINVAL;
	}
	/* An SQL identifier: quoted, its quotes doubled. */
	quoted[q++] = '"';
	for (const char *p = group; *p; p++) {
		if (*p == '"')
			quoted[q++] = '"';
		quoted[q++] = *p;
	}
	quoted[q++] = '"';
	quoted[q] = '\0';
	/* The best row of each value of the parameter, in the order of its
	 * first appearance (the space's order for a category swept whole);
	 * one that never succeeded shows its first row. */
	enqueued_column(st, extra, sizeof extra);
	snprintf(sql, sizeof sql,
		 "SELECT r.*%s FROM results r JOIN (SELECT seq AS best, first FROM "
		 "(SELECT seq, ROW_NUMBER() OVER (PARTITION BY %s ORDER BY %s) AS rank, "
		 "MIN(seq) OVER (PARTITION BY %s) AS first FROM results) WHERE rank = 1) "
		 "ON r.seq = best ORDER BY first",
		 extra, quoted, rsw__store_best_first(st), quoted);
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "'%s': %s", st->path, sqlite3_errmsg(st->db));
		return RSW_EINVAL;
	}
	return 0;
}

int
rsw_store_export_best_by(const char *path, const char *group, int format,
			 FILE *out, char *err, size_t errlen)
{
	rsw_store *st;
	sqlite3_stmt *s;
	int rc;

	if ((format != RSW_EXPORT_CSV && format != RSW_EXPORT_JSON) || out == NULL ||
	    group == NULL || strlen(group) >= RSW_PARAM_NAME_MAX) {
		snprintf(err, errlen, "export: invalid arguments");
		return RSW_EINVAL;
	}
	rc = rsw_store_open(&st, path, RSW_STORE_READ, err, errlen);
	if (rc == 0)
		rc = rsw__store_best_by(st, group, &s, err, errlen);
	if (rc == 0)
		rc = export_rows(st, s, format, out);
	store_free(st);
	return rc;
}

/* The columns of the recorded objectives: names into cols (quoted), the
 * directions into minimize; how many, 0 when the sweep has fewer than two
 * or its description does not say. */
static uint32_t
pareto_columns(rsw_store *st, struct rsw__store_front *f)
{
	json_t *desc = json_loads(rsw_store_meta(st, "sweep") ? rsw_store_meta(st, "sweep") :
				  "", 0, NULL);
	json_t *objs = json_object_get(desc, "objectives");
	json_t *objective = json_object_get(desc, "objective");
	const char *metric_names[RSW_MAX_METRICS_LIMIT];
	uint32_t n = 0;
	size_t i;
	json_t *v;

	for (uint32_t m = 0; m < st->nmetrics; m++)
		metric_names[m] = sqlite3_column_name(st->cursor,
						      (int)(1 + st->nparams + 3 + m));
	if (!json_is_array(objs) || json_array_size(objs) < 2 ||
	    json_array_size(objs) > RSW_MAX_OBJECTIVES) {
		json_decref(desc);
		return 0;
	}
	json_array_foreach(objs, i, v) {
		const char *name = json_string_value(json_object_get(v, "name"));
		int slot = name == NULL ? -2 :
			   rsw__objective_slot(name,
					       json_string_value(json_object_get(objective, "name")),
					       json_string_value(json_object_get(objective, "metric")),
					       metric_names, st->nmetrics);

		if (slot == -2 || strlen(name) >= sizeof f->name[n]) {
			json_decref(desc);
			return 0;
		}
		snprintf(f->name[n], sizeof f->name[n], "%s", name);
		f->col[n][0] = '\0';
		append_ident(f->col[n], sizeof f->col[n],
			     slot < 0 ? "value" : metric_names[slot]);
		f->minimize[n++] = json_is_true(json_object_get(v, "minimize"));
	}
	json_decref(desc);
	return n;
}

int
rsw__store_pareto(rsw_store *st, struct rsw__store_front *f,
		  int (*each)(void *ctx, uint64_t seq, const double *v), void *ctx,
		  char *err, size_t errlen)
{
	char sql[2048];
	sqlite3_stmt *s = NULL;
	size_t len;
	int rc;

	memset(f, 0, sizeof *f);
	if ((f->m = pareto_columns(st, f)) == 0) {
		snprintf(err, errlen, "not a multi-objective sweep (it needs two or "
			 "more --maximize/--minimize NAME)");
		return RSW_EINVAL;
	}
	len = (size_t)snprintf(sql, sizeof sql, "SELECT seq");
	for (uint32_t k = 0; k < f->m; k++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, ", %s", f->col[k]);
	snprintf(sql + len, sizeof sql - len, " FROM results WHERE status = 'ok' "
		 "ORDER BY seq");
	rsw_pareto_archive_init(&f->front, f->m, sizeof(uint64_t));
	rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) == SQLITE_OK ? 0 : RSW_EINVAL;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		double v[RSW_MAX_OBJECTIVES];
		uint64_t seq = (uint64_t)sqlite3_column_int64(s, 0);
		uint32_t k = 0;
		void *slot;

		for (; k < f->m; k++) {
			if (sqlite3_column_type(s, (int)k + 1) == SQLITE_NULL)
				break;
			v[k] = sqlite3_column_double(s, (int)k + 1);
			if (!isfinite(v[k]))
				break;
			v[k] = f->minimize[k] ? v[k] : -v[k];
		}
		if (k < f->m)
			continue;
		for (k = 0; k < f->m; k++)
			if (!f->have_worst || v[k] > f->worst[k])
				f->worst[k] = v[k];
		f->have_worst = 1;
		if (each != NULL && (rc = each(ctx, seq, v)) != 0)
			break;
		rc = rsw_pareto_archive_offer(&f->front, v, &slot);
		if (rc == 1) {
			memcpy(slot, &seq, sizeof seq);
			rc = 0;
		}
	}
	if (rc == RSW_EINVAL)
		snprintf(err, errlen, "'%s': %s", st->path, sqlite3_errmsg(st->db));
	else if (rc == RSW_ENOMEM)
		snprintf(err, errlen, "out of memory");
	sqlite3_finalize(s);
	if (rc != 0)
		rsw_pareto_archive_free(&f->front);
	return rc;
}

int
rsw_store_export_pareto(const char *path, int format, FILE *out, char *err,
			size_t errlen)
{
	struct rsw__store_front f;
	sqlite3_stmt *rows = NULL;
	char *in = NULL;
	size_t len;
	rsw_store *st;
	int rc;

	rc = open_for_export(path, format, out, &st, err, errlen);
	if (rc != 0)
		return rc;
	rc = rsw__store_pareto(st, &f, NULL, NULL, err, errlen);
	if (rc == RSW_EINVAL && f.m == 0) {
		snprintf(err, errlen, "--pareto: '%s' is not a multi-objective sweep "
			 "(it needs two or more --maximize/--minimize NAME)", path);
		store_free(st);
		return rc;
	}
	/* The members by seq, ordered as the front: by the first objective. */
	if (rc == 0 && (in = malloc((size_t)f.front.n * 24 + 256)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = RSW_ENOMEM;
	}
	if (rc == 0) {
		char extra[64];

		enqueued_column(st, extra, sizeof extra);
		len = (size_t)sprintf(in, "SELECT *%s FROM results WHERE seq IN (", extra);
		for (uint32_t i = 0; i < f.front.n; i++) {
			uint64_t seq;

			memcpy(&seq, &f.front.payload[i * sizeof seq], sizeof seq);
			len += (size_t)sprintf(in + len, "%s%llu", i ? "," : "",
					       (unsigned long long)seq);
		}
		sprintf(in + len, ") ORDER BY %s %s, seq", f.col[0],
			f.minimize[0] ? "ASC" : "DESC");
		if (sqlite3_prepare_v2(st->db, in, -1, &rows, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "'%s': %s", path, sqlite3_errmsg(st->db));
			rc = RSW_EINVAL;
		} else {
			rc = export_rows(st, rows, format, out);
		}
	}
	free(in);
	if (f.m > 0)
		rsw_pareto_archive_free(&f.front);
	store_free(st);
	return rc;
}
