/*
 * sweep/internal.h - what the sweep layer's files share and nothing
 * outside sweep/ may use: the built-ins' functions, the price loader of
 * ma_cross, the command objective, the input fingerprints.
 */
#ifndef RSW_SWEEP_INTERNAL_H
#define RSW_SWEEP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ringsweep/objectives.h"
#include "ringsweep/space.h"

/* A built-in's code (builtins.c), found by name. */
typedef struct rsw__builtin_code {
	rsw_objective_fn eval;
	rsw_worker_init_fn worker_init;
	const char *const *metrics; /* NULL-terminated, or NULL */
	uint32_t steps;		    /* intermediate values it reports */
} rsw__builtin_code;

const rsw__builtin_code *rsw__builtin_code_of(const char *name);

/* A daily close series (the ma_cross data), loaded once in the driver and
 * inherited by the workers (backtest.c). */
typedef struct rsw__prices {
	double *close;
	int64_t *micro;	/* closes in millionths when all are exact so, else NULL */
	size_t n;
} rsw__prices;

/* What ma_cross trades: one series, or several -- then its last parameter
 * (series=cat:A,B,...) says which one a task trades. */
#define RSW__MAX_SERIES 64
/* ma_cross reports its Sharpe ratio so far every this many trading days
 * (rsw_task_report): a year of them. */
#define RSW__MA_CROSS_STEP_DAYS 252

typedef struct rsw__market {
	rsw__prices series[RSW__MAX_SERIES];
	uint32_t nseries;
	char names[4096];  /* the series, comma-separated (--column resolved) */
	int value_metric; /* what the value is: -1 Sharpe, else an index in
			     rsw__ma_cross_metrics */
} rsw__market;

/* The columns a --column spec names, comma-separated into names: itself
 * (one, or "A,B"), or for "*" every column of the header but the first
 * (the date).  How many, or -1 with a sentence in err. */
int rsw__market_columns(const char *path, const char *spec, char *names,
			size_t n, char *err, size_t errlen);
int rsw__market_load(const char *path, const char *spec, rsw__market *out,
		     char *err, size_t errlen);
void rsw__market_free(rsw__market *m);

int rsw__prices_load(const char *path, const char *column, rsw__prices *out,
		     char *err, size_t errlen);
void rsw__prices_free(rsw__prices *p);
int rsw__ma_cross_eval(void *ctx, const double *x, uint32_t n,
		       const rsw_task_info *task, rsw_eval_out *out);
extern const char *const rsw__ma_cross_metrics[];
/* The value a --metric NAME asks for: -1 for "sharpe" (or NULL), an index
 * in rsw__ma_cross_metrics, or -2 when there is no such metric. */
int rsw__ma_cross_metric_index(const char *name);

/* An external command per task (command.c). */
/* A failed command's message: why its output is no score, and the last
 * 1 KiB of its stderr (the sweep keeps at least this much of it). */
#define RSW__CMD_MESSAGE_MAX 1280

typedef struct rsw__cmd rsw__cmd;

rsw__cmd *rsw__cmd_parse(const char *tmpl, const rsw_space *space,
			 const char *metrics, const char *workdir, char *err,
			 size_t errlen);
void rsw__cmd_free(rsw__cmd *c);
uint32_t rsw__cmd_metrics(const rsw__cmd *c, const char **names);
/* The program the command runs, resolved to an absolute path ("" when a
 * placeholder names it), and the absolute directory it runs in. */
const char *rsw__cmd_program(const rsw__cmd *c);
const char *rsw__cmd_workdir(const rsw__cmd *c);
int rsw__cmd_eval(void *ctx, const double *x, uint32_t n,
		  const rsw_task_info *task, rsw_eval_out *out);
/* The score in a command's output buf[0..n) (its last non-empty line; the
 * buffer is written to); cut_mid_line: the kept output began mid-line.
 * NULL and out filled, RSW__CMD_INFEASIBLE (this very pointer) when the
 * line is "infeasible", or why it is no score. */
extern const char rsw__cmd_infeasible[];
#define RSW__CMD_INFEASIBLE rsw__cmd_infeasible
const char *rsw__cmd_parse_score(const rsw__cmd *c, char *buf, size_t n,
				 int cut_mid_line, rsw_eval_out *out, char *why,
				 size_t whylen);

/* The fingerprint of a file's content ("xxh3-128:HEX"), for a resume to
 * notice that an input changed; -1 when it cannot be read (describe.c). */
int rsw__file_fingerprint(const char *path, char *out, size_t n);
/* {"path": fingerprint, ...} of a NULL-terminated list (malloc'd). */
char *rsw__inputs_json(const char *const *paths);
/* 0 when every recorded file is unchanged (on_node: is the same as the
 * driver's); else one sentence naming it. */
int rsw__inputs_check(const char *recorded, int on_node, char *err,
		      size_t errlen);
/* 0 when the objective reads exactly the recorded files (a program or
 * plugin looked up again may resolve elsewhere); else one sentence. */
int rsw__inputs_same(const char *recorded, const char *const *now, char *err,
		     size_t errlen);

struct rsw_sweep_config;
struct json_t;

/* The description a store records (malloc'd JSON), and its inverse: fills
 * the config and the space (strings point into root, which must outlive
 * them; metric_names has room for RSW_MAX_METRICS_LIMIT). */
char *rsw__describe(const struct rsw_sweep_config *c, const rsw_space *space,
		    const char *algo_name, uint32_t window,
		    const rsw_objective_info *info);
/* Where objective `name` of a multi-objective sweep is in a result: -1
 * for the value, a metric's index, -2 when neither.  ma_cross's value is
 * also called by what it is (value_metric, or "sharpe"). */
int rsw__objective_slot(const char *name, const char *objective,
			const char *value_metric, const char *const *metric_names,
			uint32_t nmetrics);
int rsw__undescribe(const struct json_t *root, struct rsw_sweep_config *c,
		    rsw_space *space, const char **metric_names, char *err,
		    size_t errlen);

/* Writes one CSV field, quoted only when it must be (RFC 4180). */
void rsw__csv_field(FILE *f, const char *text);

#endif

/* ------------------------------------------------------------ a sweep */

#include <pthread.h>
#include <signal.h>

#include "ringsweep/store.h"
#include "ringsweep/sweep.h"

/* The default window of a pruned sweep (unless the algorithm's is smaller
 * or a generation): how far tasks may run ahead of what the pruner knows,
 * so also how many run at once. */
#define RSW__PRUNE_WINDOW 16

/* prune.c: a sweep's objective as its workers run it under a pruner
 * (reports compared with the thresholds its task carries, the reported
 * values as metrics step_0 ..), and the algorithm that appends those
 * thresholds to each suggestion. */
struct rsw__prune_objective {
	rsw_objective inner;
	int kind, minimize;
	uint32_t steps, nparams, nmetrics;
	rsw_objective_info info; /* the sweep's view: inner's + step metrics */
	const char *names[RSW_MAX_METRICS_LIMIT];
	char step_names[RSW_MAX_METRICS_LIMIT][16];
};

int rsw__prune_wrap(struct rsw__prune_objective *po, const rsw_prune_policy *p,
		    const rsw_objective_info *in, uint32_t nparams, int minimize,
		    char *err, size_t errlen);
int rsw__prune_algorithm(rsw_algorithm **out, rsw_algorithm *inner, int own_inner,
			 const rsw_prune_policy *p,
			 const struct rsw__prune_objective *po);

/* The store as the report reads it (store.c). */
struct sqlite3;
struct sqlite3_stmt;
struct sqlite3 *rsw__store_db(rsw_store *st);
/* The ORDER BY terms that put the best row first, by the sweep's
 * direction (failed rows, whose value is NULL, last; then by seq). */
const char *rsw__store_best_first(const rsw_store *st);
/* A statement selecting the consolidated table over parameter `group`:
 * each of its values' best row, in the order the values first appear
 * (what `export --best-by` writes).  0, or RSW_EINVAL naming `group`. */
int rsw__store_best_by(rsw_store *st, const char *group,
		       struct sqlite3_stmt **out, char *err, size_t errlen);
/* The statement's current row as a JSON object: column name -> number,
 * string or null. */
struct json_t *rsw__store_row_json(struct sqlite3_stmt *s);
/* A multi-objective store's front (store.c): the objectives' names,
 * their columns (quoted) and directions, every success's vector handed
 * to `each` (lower is better, seq order; may be NULL), and the front of
 * them: payload the seq, by the first objective.  0, or RSW_EINVAL (m 0:
 * not a multi-objective sweep) / RSW_ENOMEM with a sentence; on success
 * free f->front with rsw_pareto_archive_free. */
struct rsw__store_front {
	uint32_t m;
	char name[RSW_MAX_OBJECTIVES][RSW_PARAM_NAME_MAX];
	char col[RSW_MAX_OBJECTIVES][2 * RSW_PARAM_NAME_MAX + 3];
	int minimize[RSW_MAX_OBJECTIVES];
	double worst[RSW_MAX_OBJECTIVES]; /* lower is better: the default
					     hypervolume reference */
	int have_worst;
	rsw_pareto_archive front;
};
int rsw__store_pareto(rsw_store *st, struct rsw__store_front *f,
		      int (*each)(void *ctx, uint64_t seq, const double *v), void *ctx,
		      char *err, size_t errlen);
/* Whether a process holds the writer lock of the store at path (a sweep
 * writing it now).  Call it while no connection of this process has the
 * file open: closing the descriptor it uses would drop that connection's
 * POSIX locks. */
int rsw__store_writer_alive(const char *path);

struct rsw__progress_snap; /* commit.c: what rsw_sweep_progress_get reads */

/* Starts a thread of the library's own (the store's writer, the progress
 * display) with every signal blocked: the application's handlers (a
 * Ctrl-C handler that stops the sweep) run on its threads, never on ours,
 * which they know nothing of.  0, or pthread_create's error. */
static inline int
rsw__thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

#define RSW__SWEEP_OWNED_MAX (24 + RSW_MAX_METRICS_LIMIT)

struct rsw_sweep {
	rsw_space space;
	rsw_sweep_config cfg;	  /* as given (resume: as rebuilt); .space
				     points at `space` */
	const rsw_algo_info *algo_info; /* NULL for an algorithm of the caller's */
	rsw_algorithm *algo;	  /* what runs: inner_algo behind its warm
				     start (rsw_algo_enqueue), or it */
	rsw_algorithm *inner_algo; /* NULL without enqueued points */
	int own_algo;		  /* the registry's: destroyed with the sweep */
	double *enqueue;	  /* cfg.enqueue's copy (nenqueue x space.n) */
	const char *algo_name;
	uint32_t window;
	rsw_loaded_objective *objective;
	const rsw_objective_info *obj;	   /* what runs: with a pruner, its view */
	const rsw_objective_info *obj_loaded; /* what was loaded (recorded) */
	struct rsw__prune_objective *prune; /* NULL: no pruning */
	int workers;
	rsw_store *store;
	char store_path[4096];
	int resumed;		  /* the store is one this sweep continues */
	uint64_t replayed;
	uint64_t infeasible_points; /* grid points the constraints skip */
	FILE *csv;
	char csv_path[4096], csv_partial[4112];
	struct json_t *description; /* resume: the strings cfg points into */
	const char *metric_names[RSW_MAX_METRICS_LIMIT];
	char *owned[RSW__SWEEP_OWNED_MAX]; /* copies of the caller's strings */
	uint32_t nowned;
	rsw_engine *volatile engine;
	volatile int stop;	  /* rsw_run's drain flag (a signal may set it) */
	volatile sig_atomic_t cancel;
	int started, ran, run_rc;
	char errmsg[8192];

	/* What the committer (commit.c) keeps. */
	uint64_t commits, failed;
	uint64_t run_commits, run_failed; /* this run's, replays not counted */
	int halted;			  /* the halt policy stopped it */
	int best_by_param;		  /* cfg.best_by's index in the space */
	rsw_sweep_row *by_cat;		  /* ... the best row per category */
	uint32_t nby;
	uint64_t halt_seq;		  /* ... at this task's failure, */
	int halt_status;
	uint64_t halt_failures;		  /* ... this run's n-th */
	uint64_t by_status[RSW_STATUS_COUNT_];
	uint64_t first_failed_seq;
	int first_failed_status;
	int store_failed;
	rsw_sweep_row *top;
	uint32_t ntop;
	/* Several objectives: the Pareto front so far, by the first
	 * objective; front_obj holds its vectors lower-is-better, worst the
	 * worst of each over every success (the default reference). */
	rsw_pareto_archive front;	  /* payload: rsw_sweep_row */
	double worst[RSW_MAX_OBJECTIVES];
	int have_worst;
	uint64_t total;
	uint64_t start_ns, last_publish_ns;
	double wall_s;
	rsw_stats final_stats;
	struct rsw__progress_snap *snap; /* RCU-published */
};

/* commit.c: the committer's side of a sweep. */
int rsw__sweep_commit(void *ctx, const double *params, uint32_t nparams,
		      const rsw_result *r);
void rsw__sweep_publish(rsw_sweep *sw, int force);
void rsw__sweep_progress_free(rsw_sweep *sw);
int rsw__sweep_csv_open(rsw_sweep *sw, const char *path, char *err,
			size_t errlen);
