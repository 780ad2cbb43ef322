/*
 * tools/cmd_run.c - `ringsweep run`: options (a table, options.h) -> a
 * sweep configuration -> rsw_sweep_open or rsw_sweep_resume -> run ->
 * summary.  Everything the sweep does is library code (ringsweep/sweep.h);
 * this file parses and prints.
 *
 * Every option is checked before anything is started or written: bad
 * input gets one message naming the culprit and exit 2.
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "ringsweep/progress.h"
#include "run.h"
#ifdef RSW_HAVE_MPI
#include "ringsweep/mpi.h"
#endif

/* ------------------------------------------------------------ options */

static int
add_param(void *args, const char *value, char *err, size_t errlen)
{
	return rsw_space_add(&((struct run_args *)args)->space, value, err, errlen);
}

static int
load_space(void *args, const char *value, char *err, size_t errlen)
{
	((struct run_args *)args)->space_file = value;
	return rsw_space_load_json(&((struct run_args *)args)->space, value, err,
				   errlen);
}

static int
add_constraint(void *args, const char *value, char *err, size_t errlen)
{
	struct run_args *a = args;

	if (a->nconstraints == RSW_MAX_CONSTRAINTS) {
		snprintf(err, errlen, "more than %d constraints", RSW_MAX_CONSTRAINTS);
		return -1;
	}
	a->constraints[a->nconstraints++] = value;
	return 0;
}

static int
set_algo(void *args, const char *value, char *err, size_t errlen)
{
	rsw_algorithm *none;

	((struct run_args *)args)->algo = value;
	if (rsw_algo_find(value) != NULL)
		return 0;
	/* The registry's own refusal names the algorithms it has. */
	rsw_algo_create(&none, value, NULL, NULL, err, errlen);
	return -1;
}

/* --minimize / --maximize [NAME]: the value's direction, or one more
 * objective of a multi-objective sweep. */
static int
add_direction(struct run_args *a, const char *name, int minimize, char *err,
	      size_t errlen)
{
	if (name == NULL) {
		a->minimize = minimize;
		return 0;
	}
	if (a->nobjectives == RSW_MAX_OBJECTIVES) {
		snprintf(err, errlen, "more than %d objectives (--maximize / "
			 "--minimize NAME)", RSW_MAX_OBJECTIVES);
		return -1;
	}
	a->objectives[a->nobjectives].name = name;
	a->objectives[a->nobjectives++].minimize = minimize;
	return 0;
}

static int
set_minimize(void *args, const char *value, char *err, size_t errlen)
{
	return add_direction(args, value, 1, err, errlen);
}

static int
set_maximize(void *args, const char *value, char *err, size_t errlen)
{
	return add_direction(args, value, 0, err, errlen);
}

/* --hv-ref A,B[,...]: the hypervolume's reference point. */
static int
set_hv_ref(void *args, const char *value, char *err, size_t errlen)
{
	struct run_args *a = args;
	char buf[512], *save = NULL, *tok;
	unsigned n = 0;

	snprintf(buf, sizeof buf, "%s", value);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == RSW_MAX_OBJECTIVES ||
		    rsw_cli_parse_double(tok, -HUGE_VAL, HUGE_VAL, &a->hv_ref[n]) != 0 ||
		    !isfinite(a->hv_ref[n])) {
			snprintf(err, errlen, "--hv-ref needs one number per "
				 "objective (at most %d), comma-separated, got "
				 "'%s'", RSW_MAX_OBJECTIVES, value);
			return -1;
		}
		n++;
	}
	if (n == 0) {
		snprintf(err, errlen, "--hv-ref needs one number per objective, "
			 "got '%s'", value);
		return -1;
	}
	a->nhv_ref = n;
	return 0;
}

static int
set_prune(void *args, const char *value, char *err, size_t errlen)
{
	struct run_args *a = args;

	return rsw_prune_parse(value, &a->prune, err, errlen) == 0 ? 0 : -1;
}

static int
set_halt(void *args, const char *value, char *err, size_t errlen)
{
	return rsw_halt_parse(value, &((struct run_args *)args)->halt, err, errlen) == 0 ?
		       0 : -1;
}

#define F(field) offsetof(struct run_args, field)
#define ALGO(bit) RSW_ALGO_OPT_##bit

static const rsw_opt options[] = {
	{ "objective", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "NAME|PATH.so[:prefix]",
	  F(objective), .help = "built-in objective (default sphere; list below) "
				"or a plugin" },
	{ "cmd", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "'PROG ARGS {name}...'", F(cmd),
	  .help = "run a command per task; its last stdout line is the score" },
	{ "metrics", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "A,B,...", F(metrics),
	  .help = "--cmd: JSON fields of the score line kept as metrics" },
	{ "objective-arg", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "STRING",
	  F(objective_arg), .help = "passed to the plugin's init (load data there)" },
	{ "init-timeout", 0, RSW_OPT_SECONDS, RSW_OPT_EXEC, "SEC", F(init_timeout),
	  0.001, 1000000,
	  .help = "a plugin's init runs first in a trial child: how long it may "
		  "take there (default 300)" },
	{ "data", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "FILE", F(data),
	  .help = "CSV of prices for ma_cross (header row, a column per series)" },
	{ "column", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "NAME", F(column),
	  .help = "the CSV column ma_cross trades" },
	{ "metric", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "NAME", F(metric),
	  .help = "what ma_cross's value is: sharpe (default), calmar, sortino, "
		  "total_return, profit_factor, avg_trade_return, max_drawdown "
		  "(with --minimize), win_rate, ..." },
	{ "param", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "NAME=SPEC", 0, .call = add_param,
	  .help = "a parameter: int:LO:HI[:STEP], float:LO:HI[:STEP], log:LO:HI, "
		  "logint:LO:HI, cat:A,B,... (the objective gets the index), "
		  "choice:0,5,10 (the objective gets the number); repeatable" },
	{ "space", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "FILE", 0, .call = load_space,
	  .help = "parameters from a JSON file: {\"name\": \"SPEC\", ..., "
		  "\"constraints\": [\"EXPR\", ...]}" },
	{ "constraint", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "'EXPR'", 0,
	  .call = add_constraint,
	  .help = "only points where EXPR holds are evaluated, e.g. 'fast < "
		  "slow': parameters, numbers, + - * /, < <= > >= == !=, and "
		  "or not, ( ); grid skips the others, the other algorithms "
		  "never propose them; repeatable" },
	{ "algo", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "NAME", 0, .call = set_algo,
	  .help = "search algorithm: grid (default), random, bayes, genetic, "
		  "cmaes; --algo NAME --help lists its options" },
	{ "enqueue", 0, RSW_OPT_STRING, RSW_OPT_RECORDED, "FILE", F(enqueue),
	  .help = "evaluate these points first (a warm start), then the "
		  "algorithm, which learns from them: CSV with a header of "
		  "parameter names (other columns ignored: an `export` of an "
		  "earlier study works as it is) or JSON [{\"name\": value, "
		  "...}, ...]; categories by name; on top of the budget; "
		  "recorded: --resume needs no file" },
	{ "evals", 0, RSW_OPT_INT, RSW_OPT_BUDGET, "N", F(evals), 1, LLONG_MAX,
	  .algo_option = ALGO(EVALS), .help = "evaluations in all (random, bayes, "
					    "cmaes; genetic: instead of "
					    "--generations); with --resume: "
					    "a larger budget extends the "
					    "sweep" },
	{ "seed", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "S", F(seed), 0, LLONG_MAX,
	  .algo_option = ALGO(SEED), .help = "random seed (default 0)" },
	{ "init", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "N", F(init), 1, UINT32_MAX - 1,
	  .algo_option = ALGO(INIT), .help = "bayes: space-filling points before "
					   "the model (default 10, or 2(d+1) "
					   "for d > 4)" },
	{ "population", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "N", F(population), 4, 4096,
	  .algo_option = ALGO(POPULATION), .help = "genetic: individuals a "
						 "generation (default 10; "
						 "several objectives: 50); "
						 "cmaes: lambda" },
	{ "generations", 0, RSW_OPT_INT, RSW_OPT_BUDGET, "N", F(generations), 1,
	  1000000, .algo_option = ALGO(GENERATIONS),
	  .help = "genetic: generations (default 100; several objectives: "
		  "20); with --resume: more extend the sweep" },
	{ "minimize", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "[NAME]", 0,
	  .call = set_minimize, .optional_value = 1,
	  .help = "lower is better (default); with NAME (the value, or a "
		  "metric: max_drawdown, ...), an objective of a multi-objective "
		  "sweep, with the other --minimize/--maximize NAMEs: 2 to 4 "
		  "(genetic runs NSGA-II, bayes ParEGO; the summary shows the "
		  "Pareto front)" },
	{ "maximize", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "[NAME]", 0,
	  .call = set_maximize, .optional_value = 1,
	  .help = "higher is better; with NAME (sharpe, calmar, ...), an "
		  "objective, as --minimize NAME" },
	{ "hv-ref", 0, RSW_OPT_CALL, RSW_OPT_EXEC, "A,B,...", 0, .call = set_hv_ref,
	  .help = "the reference point of the front's hypervolume, one value "
		  "per objective (default: the worst of each among the "
		  "successes)" },
	{ "window", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "W", F(window), 1,
	  RSW_RUN_MAX_INFLIGHT - 1,
	  .help = "results an adaptive algorithm may run ahead of (default 64; "
		  "genetic: a generation; cmaes: 4096; bayes: 4)" },
	{ "workers", 'j', RSW_OPT_INT, RSW_OPT_EXEC, "N", F(workers), -2, 256,
	  .help = "worker processes; 0 or -1 = all CPUs, -2 = all but one "
		  "(default 0)" },
	{ "serial", 0, RSW_OPT_FLAG, RSW_OPT_EXEC, NULL, F(serial), .value = 1,
	  .help = "evaluate in this process, no workers (same results)" },
	{ "threads", 0, RSW_OPT_FLAG, RSW_OPT_EXEC, NULL, F(threads), .value = 1,
	  .help = "workers are threads of this process (same results): no fork, "
		  "no isolation -- a crash ends the sweep, a hang is not "
		  "killed; no --timeout, --max-mem, --soft-mem, "
		  "--recycle-after, --nice, --external" },
	{ "timeout", 0, RSW_OPT_SECONDS, RSW_OPT_SWEEP, "SEC", F(timeout), 0,
	  1000000, .needs_workers = 1,
	  .help = "kill a task still running SEC seconds after it started" },
	{ "retries", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "N", F(retries), 0, 1000,
	  .help = "retry a task that crashed, timed out, was killed or ran out "
		  "of memory up to N times (default 0)" },
	{ "retry-errors", 0, RSW_OPT_FLAG, RSW_OPT_SWEEP, NULL, F(retry_errors),
	  .value = 1, .help = "--retries also retries the objective's own errors "
			      "(usually deterministic)" },
	{ "on-error", 0, RSW_OPT_WORD, RSW_OPT_SWEEP, "fail|skip", F(on_error),
	  .words = "skip|fail", .help = "stop at the first permanently failed "
					"task, or record it and go on "
					"(default skip)" },
	{ "idle", 0, RSW_OPT_WORD, RSW_OPT_EXEC, "adaptive|sleep|spin", F(idle),
	  .words = "sleep|spin|adaptive", .needs_workers = 1,
	  .help = "idle workers spin while work has been coming within ~1 ms, "
		  "else sleep after ~10 us (adaptive, the default); always "
		  "sleep after ~10 us; or always spin (burns the cores)" },
	{ "max-batch", 0, RSW_OPT_INT, RSW_OPT_EXEC, "N", F(max_batch), 1, 4096,
	  .help = "cap on tasks per ring descriptor; 1 disables batching "
		  "(default 64)" },
	{ "max-mem", 0, RSW_OPT_SIZE, RSW_OPT_SWEEP, "SIZE", F(max_mem),
	  .needs_workers = 1,
	  .help = "hard memory limit per worker (e.g. 512M, 2G), on top of what "
		  "it inherited: allocations fail (RLIMIT_DATA), and a worker "
		  "whose private plus resident shared memory passes it is "
		  "killed (read every 10 ms) -> oom" },
	{ "soft-mem", 0, RSW_OPT_SIZE, RSW_OPT_EXEC, "SIZE", F(soft_mem),
	  .needs_workers = 1,
	  .help = "replace a worker between tasks once its heap passes SIZE" },
	{ "halt", 0, RSW_OPT_CALL, RSW_OPT_EXEC, "WHEN,fail=N|P%", 0, .call = set_halt,
	  .help = "stop when N tasks (or P% of those committed) failed for good: "
		  "soon (running tasks finish) or now; the store can be resumed "
		  "(as GNU parallel's --halt; default never)" },
	{ "prune", 0, RSW_OPT_CALL, RSW_OPT_SWEEP, "median|asha[,...]", 0,
	  .call = set_prune,
	  .help = "stop evaluations whose intermediate values (ma_cross: its "
		  "Sharpe ratio so far, each year) fall behind: median (Optuna's "
		  "MedianPruner; startup=N completed first, default 5, "
		  "warmup=N steps) or asha (successive halving: min=N first "
		  "rung, eta=N, default 4); steps=N values an evaluation "
		  "reports (default: what the objective says); status pruned, "
		  "the same for any -j (decided from results a --window behind: "
		  "default 16 then)" },
	{ "best-by", 0, RSW_OPT_STRING, RSW_OPT_EXEC, "PARAM", F(best_by),
	  .help = "the summary adds the best evaluation of each category of "
		  "PARAM (e.g. series: one row per security)" },
	{ "crash-loop", 0, RSW_OPT_INT, RSW_OPT_SWEEP, "N", F(crash_loop), 1, 1000000,
	  .help = "stop as a crash loop after N worker deaths (crashes, exits, "
		  "timeouts: at least 2 per worker) in a row with no task "
		  "completed between them, or N tasks in a row failed for good "
		  "by deaths (default 16)" },
	{ "recycle-after", 0, RSW_OPT_INT, RSW_OPT_EXEC, "N", F(recycle_after), 1,
	  LLONG_MAX, .needs_workers = 1,
	  .help = "replace each worker after N tasks (a fork: microseconds)" },
	{ "pin", 0, RSW_OPT_FLAG, RSW_OPT_EXEC, NULL, F(pin), .value = 1,
	  .needs_workers = 1, .help = "pin worker i to CPU i (mod the CPU count)" },
	{ "nice", 0, RSW_OPT_INT, RSW_OPT_EXEC, "N", F(nice), 0, 19,
	  .needs_workers = 1, .help = "run workers at this nice level" },
	{ "external", 0, RSW_OPT_INT, RSW_OPT_EXEC, "N", F(external), 0, 64,
	  .needs_workers = 1,
	  .help = "slots for workers started with `ringsweep worker` (default 0)" },
	{ "mpi", 0, RSW_OPT_FLAG, RSW_OPT_EXEC, NULL, F(mpi), .value = 1,
	  .help = "under mpirun: rank 0 drives, every other rank runs -j workers "
		  "on its machine (one rank per machine)" },
	{ "mpi-driver-workers", 0, RSW_OPT_INT, RSW_OPT_EXEC, "N",
	  F(mpi_driver_workers), 0, 256,
	  .help = "--mpi: rank 0 runs N workers too (default 0: it only "
		  "drives)" },
	{ "results", 0, RSW_OPT_STRING, RSW_OPT_EXEC, "FILE", F(results),
	  .help = "write every committed evaluation as CSV, in sequence order" },
	{ "db", 0, RSW_OPT_STRING, RSW_OPT_SWEEP, "FILE|none", F(db),
	  .help = "SQLite results store (default: sweep-DATE-TIME-PID.db here)" },
	{ "resume", 0, RSW_OPT_STRING, RSW_OPT_EXEC, "FILE", F(resume),
	  .help = "continue the sweep stored in FILE (killed or interrupted)" },
	{ "progress", 0, RSW_OPT_WORD, RSW_OPT_DISPLAY, "auto|bar|lines|none",
	  F(progress), .words = "auto|bar|lines|none",
	  .help = "live progress on stderr (default auto: a bar on a terminal)" },
	{ "json", 0, RSW_OPT_FLAG, RSW_OPT_DISPLAY, NULL, F(json), .value = 1,
	  .help = "print the summary as JSON (for scripts)" },
	{ "quiet", 'q', RSW_OPT_FLAG, RSW_OPT_DISPLAY, NULL, F(quiet), .value = 1,
	  .help = "no progress, no start banner: only the summary" },
	{ "help", 'h', RSW_OPT_FLAG, RSW_OPT_DISPLAY, NULL, F(help), .value = 1,
	  .help = "this help (with --algo NAME: that algorithm's options)" },
};

#define NOPTIONS (sizeof options / sizeof options[0])

static size_t
option_index(const char *name)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strcmp(options[i].name, name) == 0)
			return i;
	return NOPTIONS;
}

static void
run_usage(FILE *f)
{
	fputs("usage: ringsweep run --param NAME=SPEC [--param ...] [OPTIONS]\n"
	      "       ringsweep run --resume FILE [-j N] [--results FILE] ...\n\n", f);
	rsw_opt_help(f, options, NOPTIONS);
	rsw_opt_help_resume(f, options, NOPTIONS);
	fputs("\nbuilt-in objectives:\n", f);
	rsw_cli_list_builtins(f);
}

/* `ringsweep run --algo NAME --help`: that algorithm's options, from the
 * registry. */
static void
algo_usage(FILE *f, const rsw_algo_info *a)
{
	fprintf(f, "--algo %s: %s\n\noptions:\n", a->name, a->help);
	for (size_t i = 0; i < NOPTIONS; i++) {
		uint32_t bit = options[i].algo_option;

		if (bit != 0 && (a->options & bit) != 0)
			fprintf(f, "  --%-12s %-4s %s\n", options[i].name,
				options[i].arg, rsw_algo_option_help(a, bit));
	}
	if (a->default_window != 0)
		fprintf(f, "  --%-12s %-4s results it may run ahead of (default "
			"%u)\n", "window", "W", a->default_window);
	else
		fprintf(f, "  --%-12s %-4s results it may run ahead of (default "
			"its population: a generation)\n", "window", "W");
}

/* -------------------------------------------------------------- checks */

static int
resolve_workers(long long requested)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 1)
		ncpu = 1;
	if (requested == 0 || requested == -1)
		return (int)(ncpu < 256 ? ncpu : 256);
	if (requested == -2)
		return ncpu > 1 ? (int)(ncpu < 257 ? ncpu - 1 : 256) : 1;
	if (requested > ncpu)
		rsw_cli_warnf("%lld workers on %ld CPUs: they will share cores",
			      requested, ncpu);
	return (int)requested;
}

/* The --space file was read, so an output that is the same file exists
 * too: the same inode is the test. */
static int
overwrites_space(const struct run_args *a)
{
	const char *outs[2] = { a->results, a->db };
	const char *names[2] = { "--results", "--db" };
	struct stat in, out;

	if (a->space_file == NULL || stat(a->space_file, &in) != 0)
		return 0;
	for (int i = 0; i < 2; i++)
		if (outs[i] != NULL && stat(outs[i], &out) == 0 &&
		    in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
			rsw_cli_errorf("%s '%s' is the --space file '%s': choose "
				       "another name", names[i], outs[i], a->space_file);
			return 1;
		}
	return 0;
}

/* What a thread cannot be given (the engine refuses these in thread
 * mode): said here in the command's own words. */
static int
check_threads(const struct run_args *a, const unsigned *given)
{
	static const char *const need_processes[] = {
		"timeout", "max-mem", "soft-mem", "recycle-after", "nice", "external"
	};

	if (!a->threads)
		return 0;
	if (a->serial) {
		rsw_cli_errorf("--threads and --serial exclude each other (--serial "
			       "evaluates in this thread, with no workers)");
		return -1;
	}
	for (size_t i = 0; i < sizeof need_processes / sizeof *need_processes; i++)
		if (given[option_index(need_processes[i])]) {
			rsw_cli_errorf("--%s needs worker processes: a thread cannot "
				       "be killed, limited or replaced (drop "
				       "--threads)", need_processes[i]);
			return -1;
		}
	return 0;
}

/* With --resume only execution and display options may be given. */
static int
check_resume(const unsigned *given)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (given[i] && options[i].cls == RSW_OPT_SWEEP) {
			rsw_cli_errorf("option '--%s' cannot change on --resume (the "
				       "sweep is defined by its file)",
				       options[i].name);
			return -1;
		}
	return 0;
}

/* Warnings the table implies: an option the algorithm does not read, or
 * one that means nothing without worker processes. */
static void
warn_unused(const struct run_args *a, const unsigned *given)
{
	const rsw_algo_info *info = rsw_algo_find(a->algo);

	for (size_t i = 0; i < NOPTIONS; i++) {
		if (!given[i])
			continue;
		if (info != NULL && options[i].algo_option != 0 &&
		    (info->options & options[i].algo_option) == 0)
			rsw_cli_warnf("--%s is not used by --algo %s", options[i].name,
				      info->name);
		if (a->serial && options[i].needs_workers)
			rsw_cli_warnf("--%s is not enforced with --serial (no worker "
				      "processes)", options[i].name);
	}
}

/* ------------------------------------------------------------- config */

/* The argument vector that defines the sweep, as JSON (for people: the
 * store's "argv"): everything but --db and --resume. */
static char *
argv_json(int argc, char **argv)
{
	json_t *a = json_array();
	char *s;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 || strcmp(argv[i], "--resume") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--db=", 5) == 0 ||
		    strncmp(argv[i], "--resume=", 9) == 0)
			continue;
		json_array_append_new(a, json_string(argv[i]));
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

static void
engine_options(const struct run_args *a, rsw_config *e)
{
	e->workers = a->serial ? 0 : resolve_workers(a->workers);
	e->timeout_s = a->timeout;
	e->max_attempts = (uint32_t)a->retries + 1;
	e->retry_errors = a->retry_errors;
	e->on_error = a->on_error == 1 ? RSW_ON_ERROR_FAIL : RSW_ON_ERROR_SKIP;
	e->idle = a->idle; /* the words are in enum rsw_idle_mode's order */
	if (a->max_batch > 0)
		e->max_batch = (uint32_t)a->max_batch;
	e->max_mem = a->max_mem;
	e->soft_mem = a->soft_mem;
	e->recycle_after = (uint64_t)a->recycle_after;
	e->pin = a->pin;
	e->nice = (int)a->nice;
	e->external_slots = a->serial ? 0 : (uint32_t)a->external;
	e->mode = a->threads ? RSW_MODE_THREADS : RSW_MODE_PROCESSES;
	if (a->crash_loop > 0)
		e->crash_loop_deaths = e->crash_loop_failures = (uint32_t)a->crash_loop;
}

/* A new store's default name: sweep-DATE-TIME-PID.db, here. */
static void
default_db(char *name, size_t n)
{
	char buf[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
	snprintf(name, n, "sweep-%s-%d.db", buf, (int)getpid());
}

static void
sweep_config(struct run_args *a, rsw_sweep_config *c)
{
	rsw_sweep_config_init(c);
	c->space = &a->space;
	c->algo = a->algo;
	c->algo_opts.minimize = a->minimize;
	c->algo_opts.seed = (uint64_t)a->seed;
	c->algo_opts.evals = (uint64_t)a->evals;
	c->algo_opts.population = (uint32_t)a->population;
	c->algo_opts.generations = (uint64_t)a->generations;
	c->algo_opts.init = (uint32_t)a->init;
	c->nobjectives = a->nobjectives;
	memcpy(c->objectives, a->objectives, sizeof c->objectives);
	c->nhv_ref = a->nhv_ref;
	memcpy(c->hv_ref, a->hv_ref, sizeof c->hv_ref);
	c->objective.name = a->cmd == NULL && a->objective == NULL ? "sphere" :
									a->objective;
	c->objective.arg = a->objective_arg;
	c->objective.data = a->data;
	c->objective.column = a->column;
	c->objective.metric = a->metric;
	c->objective.cmd = a->cmd;
	c->objective.metrics = a->metrics;
	c->objective.init_timeout_s = a->init_timeout;
	c->window = (uint32_t)a->window;
	c->enqueue_file = a->enqueue;
	engine_options(a, &c->engine);
	if (a->db == NULL)
		default_db(a->db_name, sizeof a->db_name);
	else if (strcmp(a->db, "none") != 0)
		snprintf(a->db_name, sizeof a->db_name, "%s", a->db);
	c->store = a->db_name[0] ? a->db_name : NULL;
	c->results_csv = a->results;
	c->command_line = a->argv_json;
	c->halt = a->halt;
	c->prune = a->prune;
	c->best_by = a->best_by;
#ifdef RSW_HAVE_MPI
	if (a->mpi) {
		static rsw_mpi_options mpi_options;

		mpi_options.driver_workers = (int)a->mpi_driver_workers;
		mpi_options.driver_idle = c->engine.idle;
		c->executor = rsw_mpi_executor;
		c->executor_ctx = &mpi_options;
	}
#endif
}

/* Parses; returns 0 to go on, or the exit code (help, bad input). */
static int
parse(struct run_args *a, int argc, char **argv)
{
	static const char *const progress_words[] = { "auto", "bar", "lines",
						      "none" };

	memset(a, 0, sizeof *a);
	rsw_space_init(&a->space);
	a->algo = "grid";
	a->minimize = 1;
	a->idle = RSW_IDLE_ADAPTIVE;
	if (rsw_opt_parse("run", options, NOPTIONS, argc, argv, a, a->given) != 0)
		return RSW_EXIT_USAGE;
	if (a->help) {
		if (a->given[option_index("algo")])
			algo_usage(stdout, rsw_algo_find(a->algo));
		else
			run_usage(stdout);
		return RSW_EXIT_OK;
	}
	/* After every --param, wherever they were given. */
	for (unsigned i = 0; i < a->nconstraints; i++) {
		char err[1024];

		if (rsw_space_add_constraint(&a->space, a->constraints[i], err,
					     sizeof err) != 0) {
			rsw_cli_errorf("%s", err);
			return RSW_EXIT_USAGE;
		}
	}
	if (a->resume != NULL && check_resume(a->given) != 0)
		return RSW_EXIT_USAGE;
	if (check_threads(a, a->given) != 0)
		return RSW_EXIT_USAGE;
	if (overwrites_space(a))
		return RSW_EXIT_USAGE;
	rsw_progress_mode_parse(progress_words[a->progress], &a->progress_mode);
	if ((a->quiet || a->json) && !a->given[option_index("progress")])
		a->progress_mode = RSW_PROGRESS_NONE;
	a->argv_json = argv_json(argc, argv);
	if (a->argv_json == NULL)
		return RSW_EXIT_FAILURE;
	if (a->resume == NULL)
		warn_unused(a, a->given);
	if (a->given[option_index("mpi-driver-workers")] && !a->mpi)
		rsw_cli_warnf("--mpi-driver-workers is not used without --mpi");
	return 0;
}

/* ------------------------------------------------------------- signals */

static volatile sig_atomic_t g_signals;
static rsw_sweep *volatile g_sweep;
static int g_mpi;

static void
on_signal(int sig)
{
	static const char drain[] = "\nringsweep: draining: running tasks finish, "
				    "queued ones are skipped (signal again to "
				    "stop now)\n";
	ssize_t ignored;

	(void)sig;
	/* First signal: drain (no new tasks, running ones finish).  Second:
	 * stop at once.  Both end through rsw_sweep_close, which removes the
	 * arena.  Only async-signal-safe calls here: write() and flag
	 * stores (rsw_sweep_stop and rsw_sweep_cancel are just that).  Under
	 * MPI a signal means mpirun is tearing the job down (a rank died,
	 * or Ctrl-C): what runs on other ranks will not come back, so stop
	 * at once. */
	if (g_mpi && g_signals++ == 0) {
		static const char torn[] = "\nringsweep: the MPI job is ending (a "
					   "rank died, or mpirun was interrupted): "
					   "stopping now\n";

		ignored = write(STDERR_FILENO, torn, sizeof torn - 1);
		(void)ignored;
		if (g_sweep != NULL)
			rsw_sweep_cancel(g_sweep);
	} else if (g_signals++ > 0 || g_mpi) {
		if (g_sweep != NULL)
			rsw_sweep_cancel(g_sweep);
	} else {
		if (g_sweep != NULL)
			rsw_sweep_stop(g_sweep);
		ignored = write(STDERR_FILENO, drain, sizeof drain - 1);
		(void)ignored;
	}
}

/* ---------------------------------------------------------------- run */

/* Opens the sweep: a new one, or the one --resume names. */
static int
open_sweep(struct run_args *a, rsw_sweep **sw)
{
	rsw_sweep_config c;
	char err[2048];
	int rc;

	sweep_config(a, &c);
	rc = a->resume != NULL ? rsw_sweep_resume(sw, a->resume, &c, err, sizeof err) :
				 rsw_sweep_open(sw, &c, err, sizeof err);
	if (rc != 0) {
		if (a->resume != NULL)
			rsw_cli_errorf("--resume %s", err);
		else
			rsw_cli_errorf("%s", err);
		return -1;
	}
	if (a->resume != NULL)
		snprintf(a->db_name, sizeof a->db_name, "%s", a->resume);
	return 0;
}

/* An unfinished sweep's results file keeps its .partial name: say where
 * what it committed is. */
static void
partial_note(const char *results)
{
	char partial[4200];

	snprintf(partial, sizeof partial, "%s.partial", results);
	if (access(partial, F_OK) == 0)
		fprintf(stderr, "ringsweep: the sweep did not finish: what it "
				"committed is in %s\n", partial);
}

/* What the run's outcome means as an exit code, said once. */
static int
exit_code(const struct run_args *a, rsw_sweep *sw, int rc)
{
	switch (rc) {
	case 0:
		return RSW_EXIT_OK;
	case RSW_ECANCELED:
		fprintf(stderr, "ringsweep: interrupted; committed results are "
				"kept%s%s\n",
			rsw_sweep_store_path(sw) ? ", continue with --resume " : "",
			rsw_sweep_store_path(sw) ? a->db_name : "");
		return RSW_EXIT_INTERRUPTED;
	case RSW_EREPLAY:
		rsw_cli_errorf("--resume %s", rsw_sweep_errmsg(sw));
		return RSW_EXIT_USAGE;
	case RSW_EHALTED:
		rsw_cli_errorf("%s%s%s", rsw_sweep_errmsg(sw),
			       rsw_sweep_store_path(sw) ? "; continue with --resume " : "",
			       rsw_sweep_store_path(sw) ? a->db_name : "");
		return RSW_EXIT_FAILURE;
	default:
		rsw_cli_errorf("%s", rsw_sweep_errmsg(sw));
		return RSW_EXIT_FAILURE;
	}
}

/* ------------------------------------------------------------------ MPI */

/* --mpi is looked for before parsing: an agent rank must be silent from
 * the first message on (rank 0 parses the same arguments and reports). */
static int
wants_mpi(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--mpi") == 0)
			return 1;
	return 0;
}

#ifdef RSW_HAVE_MPI
static void
on_agent_signal(int sig)
{
	(void)sig;
	rsw_mpi_serve_stop();
}

/* A node agent: this machine's engine, rank 0's tasks.  Whatever went
 * wrong was reported to rank 0, whose exit status is the job's. */
static int
run_agent(struct run_args *a, int parse_code)
{
	rsw_node_config nc;
	char err[2048];
	int rc;

	rsw_node_config_init(&nc);
	if (parse_code == 0) {
		engine_options(a, &nc.exec);
		if (a->serial)
			nc.exec.workers = 1;
	}
	signal(SIGINT, on_agent_signal);
	signal(SIGTERM, on_agent_signal);
	rc = rsw_mpi_serve(&nc, err, sizeof err);
	if (rc != 0 && rc != RSW_ECANCELED) {
		rsw_cli_silence(0);
		rsw_cli_errorf("rank %d (%s): %s", rsw_mpi_rank(), rsw_mpi_host(),
			       err);
		return RSW_EXIT_FAILURE;
	}
	return RSW_EXIT_OK;
}
#endif

/* Starts MPI for --mpi; on a rank other than 0 runs the agent and returns
 * its exit code, else -1 (rank 0 goes on). */
static int
mpi_begin(struct run_args *a, int argc, char **argv)
{
#ifdef RSW_HAVE_MPI
	int code;

	if (rsw_mpi_init(NULL, NULL) != 0) {
		rsw_cli_errorf("--mpi: MPI could not be initialised");
		return RSW_EXIT_FAILURE;
	}
	g_mpi = 1;
	if (rsw_mpi_rank() == 0) {
		a->mpi_ranks = rsw_mpi_size();
		return -1;
	}
	rsw_cli_silence(1);
	code = parse(a, argc, argv);
	code = run_agent(a, code);
	free(a->argv_json);
	a->argv_json = NULL;
	rsw_mpi_finalize();
	return code;
#else
	(void)a;
	(void)argc;
	(void)argv;
	rsw_cli_errorf("--mpi: this build of ringsweep has no MPI support "
		       "(build it where Open MPI is installed: libopenmpi-dev)");
	return RSW_EXIT_USAGE;
#endif
}

/* Rank 0's end of an MPI job: agents still waiting for a sweep are
 * released (bad input, --help), then MPI is finalised. */
static void
mpi_end(int ran)
{
#ifdef RSW_HAVE_MPI
	if (!g_mpi)
		return;
	if (!ran)
		rsw_mpi_release();
	rsw_mpi_finalize();
#else
	(void)ran;
#endif
}

/* ---------------------------------------------------------------- main */

int
rsw_cmd_run(int argc, char **argv)
{
	struct run_args *a = calloc(1, sizeof *a);
	rsw_sweep *sw = NULL;
	rsw_progress *progress;
	char err[1024];
	int code, rc, started = 0;

	if (a == NULL)
		return RSW_EXIT_FAILURE;
	if (wants_mpi(argc, argv) && (code = mpi_begin(a, argc, argv)) >= 0) {
		free(a);
		return code;
	}
	code = parse(a, argc, argv);
	if (code != 0 || a->help || open_sweep(a, &sw) != 0) {
		code = code != 0 || a->help ? code : RSW_EXIT_USAGE;
		goto out;
	}
	rsw_run_warn(a, sw);
	/* Handlers first: a signal while the engine starts already drains.
	 * The supervisor and workers ignore SIGINT (a Ctrl-C reaches the
	 * whole process group): the driver decides. */
	g_sweep = sw;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = rsw_sweep_start(sw);
	/* The executor hands the agents their sweep, or releases them. */
	started = 1;
	if (rc != 0 && g_mpi && (rc == RSW_EINVAL || rc == RSW_ENOTFOUND ||
				 rc == RSW_EINIT)) {
		/* A node refused its inputs: bad input, as locally. */
		rsw_cli_errorf("%s", rsw_sweep_errmsg(sw));
		code = RSW_EXIT_USAGE;
		g_sweep = NULL;
		rsw_sweep_close(sw, NULL, 0);
		/* Nothing ran: a new store goes, as for any bad input. */
		if (a->resume == NULL && a->db_name[0] != '\0')
			rsw_store_remove(a->db_name);
		goto out;
	}
	if (rc == 0) {
		rsw_run_banner(a, sw);
		progress = rsw_progress_start(a->progress_mode, sw);
		rc = rsw_sweep_run(sw);
		rsw_progress_stop(progress);
		rsw_run_summary(a, sw);
	}
	code = exit_code(a, sw, rc);
	g_sweep = NULL;
	if (rsw_sweep_close(sw, err, sizeof err) != 0) {
		rsw_cli_errorf("%s", err);
		if (code == RSW_EXIT_OK)
			code = RSW_EXIT_FAILURE;
	}
	if (a->results != NULL && code != RSW_EXIT_OK)
		partial_note(a->results);
out:
	/* Agents wait for this sweep's spec unless the executor sent it
	 * (--mpi given as some option's value runs no MPI sweep). */
	mpi_end(started && a->mpi);
	free(a->argv_json);
	free(a);
	return code;
}
