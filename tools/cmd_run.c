/*
 * tools/cmd_run.c - `ringsweep run`: parse options, open an engine, run the
 * algorithm, write the results CSV, print a summary.
 *
 * Every option is validated before anything is started or written: bad
 * input gets one message naming the culprit and exit 2.  The results CSV is
 * written to FILE.partial and renamed into place at the end, so FILE is
 * never half-written.
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "store.h"
#include "util.h"

struct run_opts {
	rsw_config cfg;
	rsw_space space;
	const char *objective;
	const char *cmd;
	const char *metrics;
	const char *objective_arg;
	const char *data;
	const char *column;
	const char *space_file;
	const char *algo;
	long long evals;
	long long seed;
	long long population, generations;
	long long init;		/* bayes: initial design; 0 = default */
	int window_given;
	int minimize;
	int serial;
	long long window;
	const char *results;
	const char *db;		/* NULL: a new file named after the sweep */
	int no_db;
	int quiet;
	int progress;	/* RSW_PROGRESS_* */
	int json;
};

static const struct option_help {
	struct option opt;
	const char *arg;
	const char *help;
} options[] = {
	{ { "objective", required_argument, NULL, 'o' }, "NAME|PATH.so[:prefix]",
	  "built-in objective (default sphere; list below) or a plugin" },
	{ { "cmd", required_argument, NULL, 'K' }, "'PROG ARGS {name}...'",
	  "run a command per task; its last stdout line is the score" },
	{ { "metrics", required_argument, NULL, 'T' }, "A,B,...",
	  "--cmd: JSON fields of the score line to keep as metrics" },
	{ { "objective-arg", required_argument, NULL, 'A' }, "STRING",
	  "passed to the plugin's init (load data there, once)" },
	{ { "data", required_argument, NULL, 'D' }, "FILE",
	  "CSV of prices for ma_cross (header row, one column per series)" },
	{ { "column", required_argument, NULL, 'c' }, "NAME",
	  "the CSV column ma_cross trades" },
	{ { "param", required_argument, NULL, 'p' }, "NAME=SPEC",
	  "a parameter: int:LO:HI[:STEP], float:LO:HI[:STEP], log:LO:HI, "
	  "logint:LO:HI or cat:A,B,... (repeatable)" },
	{ { "space", required_argument, NULL, 'E' }, "FILE",
	  "parameters from a JSON file: {\"name\": \"SPEC\", ...}" },
	{ { "algo", required_argument, NULL, 'a' }, "grid|random|bayes|genetic|cmaes",
	  "search algorithm (default grid)" },
	{ { "init", required_argument, NULL, 'I' }, "N",
	  "bayes: space-filling points before the model (default 10, or 2(d+1) "
	  "for d > 4)" },
	{ { "population", required_argument, NULL, 'O' }, "N",
	  "genetic: individuals a generation (default 50); cmaes: lambda" },
	{ { "generations", required_argument, NULL, 'g' }, "N",
	  "genetic: generations (default 20)" },
	{ { "evals", required_argument, NULL, 'n' }, "N",
	  "number of evaluations (random, bayes, cmaes)" },
	{ { "seed", required_argument, NULL, 's' }, "S", "random seed (default 0)" },
	{ { "minimize", no_argument, NULL, 'm' }, NULL, "lower is better (default)" },
	{ { "maximize", no_argument, NULL, 'M' }, NULL, "higher is better" },
	{ { "workers", required_argument, NULL, 'j' }, "N",
	  "worker processes; 0 or -1 = all CPUs, -2 = all but one (default 0)" },
	{ { "serial", no_argument, NULL, 'S' }, NULL,
	  "evaluate in this process, no workers (same results)" },
	{ { "timeout", required_argument, NULL, 't' }, "SEC",
	  "kill a task still running SEC seconds after it started" },
	{ { "retries", required_argument, NULL, 'r' }, "N",
	  "retry a failed task up to N times (default 0)" },
	{ { "on-error", required_argument, NULL, 'e' }, "fail|skip",
	  "stop at the first permanently failed task, or record it (default skip)" },
	{ { "window", required_argument, NULL, 'w' }, "W",
	  "results an adaptive algorithm may run ahead of (default 64; "
	  "genetic: a generation; cmaes: 4096; bayes: 4)" },
	{ { "idle", required_argument, NULL, 'i' }, "sleep|spin",
	  "idle workers sleep after ~10 us, or spin (default sleep)" },
	{ { "max-batch", required_argument, NULL, 'b' }, "N",
	  "cap on tasks per ring descriptor; 1 disables batching (default 64)" },
	{ { "max-mem", required_argument, NULL, 'X' }, "SIZE",
	  "hard memory limit per worker (e.g. 512M, 2G): allocations fail -> oom" },
	{ { "soft-mem", required_argument, NULL, 'Y' }, "SIZE",
	  "replace a worker between tasks once its heap passes SIZE" },
	{ { "recycle-after", required_argument, NULL, 'C' }, "N",
	  "replace each worker after N tasks (a fork: microseconds)" },
	{ { "pin", no_argument, NULL, 'P' }, NULL,
	  "pin worker i to CPU i (mod the CPU count)" },
	{ { "nice", required_argument, NULL, 'N' }, "N",
	  "run workers at this nice level (0 to 19)" },
	{ { "external", required_argument, NULL, 'x' }, "N",
	  "slots for workers started with `ringsweep worker` (default 0)" },
	{ { "results", required_argument, NULL, 'R' }, "FILE",
	  "write every committed evaluation as CSV, in sequence order" },
	{ { "db", required_argument, NULL, 'B' }, "FILE|none",
	  "SQLite results store (default: sweep-DATE-TIME-PID.db here)" },
	{ { "resume", required_argument, NULL, 'Z' }, "FILE",
	  "continue the sweep stored in FILE (killed or interrupted)" },
	{ { "progress", required_argument, NULL, 'G' }, "auto|bar|lines|none",
	  "live progress on stderr (default auto: a bar on a terminal)" },
	{ { "json", no_argument, NULL, 'J' }, NULL,
	  "print the summary as JSON (for scripts)" },
	{ { "quiet", no_argument, NULL, 'q' }, NULL,
	  "no progress, no start banner: only the summary" },
	{ { "help", no_argument, NULL, 'h' }, NULL, "this help" },
};

#define NOPTIONS (sizeof options / sizeof options[0])

static void
run_usage(FILE *f)
{
	fputs("usage: ringsweep run --param NAME=SPEC [--param ...] [OPTIONS]\n\n",
	      f);
	for (size_t i = 0; i < NOPTIONS; i++) {
		char left[48];

		snprintf(left, sizeof left, "--%s%s%s", options[i].opt.name,
			 options[i].arg ? " " : "",
			 options[i].arg ? options[i].arg : "");
		fprintf(f, "  %-26s %s\n", left, options[i].help);
	}
	fputs("\nbuilt-in objectives:\n", f);
	fflush(f);
	rsw_builtin_list();
}

static volatile sig_atomic_t g_stop;
static rsw_engine *volatile g_engine;

static void
on_signal(int sig)
{
	static const char drain[] = "\nringsweep: draining: running tasks finish, "
				    "queued ones are skipped (signal again to "
				    "stop now)\n";
	ssize_t ignored;

	(void)sig;
	/* First signal: drain (no new tasks, in-flight ones finish).  Second:
	 * stop at once.  Both end through rsw_engine_close(), which removes
	 * the arena.  write() is async-signal-safe; stdio is not. */
	if (g_stop++ > 0) {
		if (g_engine != NULL)
			rsw_engine_cancel(g_engine);
	} else {
		ignored = write(STDERR_FILENO, drain, sizeof drain - 1);
		(void)ignored;
	}
}

/* "512M", "2G", "1048576": bytes, at least 16 MiB (less cannot even hold
 * a worker). */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	double v;
	uint64_t mult = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !(v > 0))
		return -1;
	if (*end == 'K' || *end == 'k')
		mult = 1ull << 10;
	else if (*end == 'M' || *end == 'm')
		mult = 1ull << 20;
	else if (*end == 'G' || *end == 'g')
		mult = 1ull << 30;
	else if (*end != '\0')
		return -1;
	if (*end != '\0' && end[1] != '\0' && strcmp(end + 1, "iB") != 0 &&
	    strcmp(end + 1, "B") != 0)
		return -1;
	if (v * (double)mult < 16.0 * (1 << 20) || v * (double)mult > 1e18)
		return -1;
	*out = (uint64_t)(v * (double)mult);
	return 0;
}

static int
bad(const char *what, const char *value)
{
	rsw_cli_errorf("%s '%s'", what, value);
	return -1;
}

static int
parse(int argc, char **argv, struct run_opts *o)
{
	struct option longopts[NOPTIONS + 1];
	char err[256];
	long long v;
	double d;
	int c, progress_given = 0, objective_given = 0;

	for (size_t i = 0; i < NOPTIONS; i++)
		longopts[i] = options[i].opt;
	memset(&longopts[NOPTIONS], 0, sizeof longopts[0]);
	memset(o, 0, sizeof *o);
	rsw_config_init(&o->cfg);
	rsw_space_init(&o->space);
	o->objective = "sphere";
	o->algo = "grid";
	o->minimize = 1;
	o->window = 64;
	o->cfg.workers = 0;
	o->evals = -1;
	rsw_progress_mode_parse("auto", &o->progress);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":j:hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->objective = optarg;
			objective_given = 1;
			break;
		case 'A':
			o->objective_arg = optarg;
			break;
		case 'K':
			o->cmd = optarg;
			break;
		case 'T':
			o->metrics = optarg;
			break;
		case 'D':
			o->data = optarg;
			break;
		case 'c':
			o->column = optarg;
			break;
		case 'P':
			o->cfg.pin = 1;
			break;
		case 'X':
		case 'Y':
			if (parse_size(optarg, c == 'X' ? &o->cfg.max_mem :
							  &o->cfg.soft_mem) != 0)
				return bad(c == 'X' ? "--max-mem needs a size like 512M "
						      "or 2G (at least 16M), got" :
						      "--soft-mem needs a size like 512M "
						      "or 2G (at least 16M), got",
					   optarg);
			break;
		case 'C':
			if (rsw_cli_parse_i64(optarg, 1, INT64_MAX, &v) != 0)
				return bad("--recycle-after needs a positive integer, got",
					   optarg);
			o->cfg.recycle_after = (uint64_t)v;
			break;
		case 'N':
			if (rsw_cli_parse_i64(optarg, 0, 19, &v) != 0)
				return bad("--nice needs an integer from 0 to 19, got",
					   optarg);
			o->cfg.nice = (int)v;
			break;
		case 'p':
			if (rsw_space_add(&o->space, optarg, err, sizeof err) != 0) {
				rsw_cli_errorf("%s", err);
				return -1;
			}
			break;
		case 'E':
			o->space_file = optarg;
			if (rsw_space_load_json(&o->space, optarg, err, sizeof err) != 0) {
				rsw_cli_errorf("%s", err);
				return -1;
			}
			break;
		case 'a':
			if (strcmp(optarg, "grid") != 0 && strcmp(optarg, "random") != 0 &&
			    strcmp(optarg, "bayes") != 0 &&
			    strcmp(optarg, "genetic") != 0 && strcmp(optarg, "cmaes") != 0)
				return bad("unknown --algo (expected grid, random, bayes, "
					   "genetic or cmaes):", optarg);
			o->algo = optarg;
			break;
		case 'I':
			if (rsw_cli_parse_i64(optarg, 1, UINT32_MAX, &o->init) != 0)
				return bad("--init needs a positive integer, got", optarg);
			break;
		case 'O':
			if (rsw_cli_parse_i64(optarg, 4, 4096, &o->population) != 0)
				return bad("--population needs an integer from 4 to 4096, got",
					   optarg);
			break;
		case 'g':
			if (rsw_cli_parse_i64(optarg, 1, 1000000, &o->generations) != 0)
				return bad("--generations needs a positive integer, got",
					   optarg);
			break;
		case 'n':
			if (rsw_cli_parse_i64(optarg, 1, INT64_MAX, &o->evals) != 0)
				return bad("--evals needs a positive integer, got", optarg);
			break;
		case 's':
			if (rsw_cli_parse_i64(optarg, 0, INT64_MAX, &o->seed) != 0)
				return bad("--seed needs a non-negative integer, got",
					   optarg);
			break;
		case 'm':
			o->minimize = 1;
			break;
		case 'M':
			o->minimize = 0;
			break;
		case 'j':
			if (rsw_cli_parse_i64(optarg, -2, 256, &v) != 0)
				return bad("--workers needs an integer from -2 to 256, got",
					   optarg);
			o->cfg.workers = (int)v;
			break;
		case 'S':
			o->serial = 1;
			break;
		case 't':
			if (rsw_cli_parse_double(optarg, 0, 1e6, &d) != 0 || d <= 0)
				return bad("--timeout needs a positive number of seconds, got",
					   optarg);
			o->cfg.timeout_s = d;
			break;
		case 'r':
			if (rsw_cli_parse_i64(optarg, 0, 1000, &v) != 0)
				return bad("--retries needs an integer from 0 to 1000, got",
					   optarg);
			o->cfg.max_attempts = (uint32_t)v + 1;
			break;
		case 'e':
			if (strcmp(optarg, "fail") == 0)
				o->cfg.on_error = RSW_ON_ERROR_FAIL;
			else if (strcmp(optarg, "skip") == 0)
				o->cfg.on_error = RSW_ON_ERROR_SKIP;
			else
				return bad("--on-error must be fail or skip, got", optarg);
			break;
		case 'w':
			if (rsw_cli_parse_i64(optarg, 1, o->cfg.max_inflight - 1,
					      &o->window) != 0)
				return bad("--window needs an integer from 1 to 8191, got",
					   optarg);
			o->window_given = 1;
			break;
		case 'i':
			if (strcmp(optarg, "sleep") == 0)
				o->cfg.idle = RSW_IDLE_SLEEP;
			else if (strcmp(optarg, "spin") == 0)
				o->cfg.idle = RSW_IDLE_SPIN;
			else
				return bad("--idle must be sleep or spin, got", optarg);
			break;
		case 'b':
			if (rsw_cli_parse_i64(optarg, 1, 4096, &v) != 0)
				return bad("--max-batch needs an integer from 1 to 4096, got",
					   optarg);
			o->cfg.max_batch = (uint32_t)v;
			break;
		case 'x':
			if (rsw_cli_parse_i64(optarg, 0, 64, &v) != 0)
				return bad("--external needs an integer from 0 to 64, got",
					   optarg);
			o->cfg.external_slots = (uint32_t)v;
			break;
		case 'R':
			o->results = optarg;
			break;
		case 'B':
			if (strcmp(optarg, "none") == 0)
				o->no_db = 1;
			else
				o->db = optarg;
			break;
		case 'Z':
			break; /* handled before parsing */
		case 'q':
			o->quiet = 1;
			break;
		case 'G':
			if (rsw_progress_mode_parse(optarg, &o->progress) != 0)
				return bad("--progress must be auto, bar, lines or none, got",
					   optarg);
			progress_given = 1;
			break;
		case 'J':
			o->json = 1;
			break;
		case 'h':
			run_usage(stdout);
			exit(RSW_EXIT_OK);
		case ':':
			rsw_cli_errorf("option '%s' needs a value", argv[optind - 1]);
			return -1;
		default:
			rsw_cli_errorf("unknown option '%s' (see ringsweep run --help)",
				       argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc)
		return bad("unexpected argument", argv[optind]);
	if (o->cmd != NULL && objective_given) {
		rsw_cli_errorf("--cmd and --objective are exclusive: choose one");
		return -1;
	}
	if (o->metrics != NULL && o->cmd == NULL) {
		rsw_cli_errorf("--metrics applies to --cmd only");
		return -1;
	}
	if ((o->quiet || o->json) && !progress_given)
		o->progress = RSW_PROGRESS_NONE;
	if (o->space.n == 0) {
		rsw_cli_errorf("no parameters: give at least one --param NAME=SPEC");
		return -1;
	}

	if (strcmp(o->algo, "grid") == 0) {
		for (uint32_t i = 0; i < o->space.n; i++)
			if (rsw_param_levels(&o->space.params[i]) == 0) {
				rsw_cli_errorf("--algo grid: parameter '%s' is continuous; "
					       "give it a STEP", o->space.params[i].name);
				return -1;
			}
		if (rsw_space_grid_size(&o->space) == 0) {
			rsw_cli_errorf("--algo grid: the grid has too many points");
			return -1;
		}
		if (o->evals > 0)
			rsw_cli_warnf("--evals is ignored by --algo grid");
	} else if ((strcmp(o->algo, "random") == 0 ||
		    strcmp(o->algo, "bayes") == 0 ||
		    strcmp(o->algo, "cmaes") == 0) && o->evals < 0) {
		rsw_cli_errorf("--algo %s needs --evals N", o->algo);
		return -1;
	}
	if (strcmp(o->algo, "bayes") == 0) {
		if (o->evals >= UINT32_MAX) {
			rsw_cli_errorf("--algo bayes: --evals %lld is more than a "
				       "Gaussian process can use; at most %u",
				       o->evals, UINT32_MAX - 1);
			return -1;
		}
		if (o->init > o->evals) {
			rsw_cli_errorf("--init %lld is more than --evals %lld",
				       o->init, o->evals);
			return -1;
		}
		/* Each suggestion sees all but the last W results; W is a
		 * constant, never the worker count, so runs repeat exactly. */
		if (!o->window_given)
			o->window = 4;
	} else if (o->init > 0) {
		rsw_cli_warnf("--init is used by --algo bayes only");
	}
	/* CMA-ES's generations are barriers, so its results do not depend on
	 * the window at all: room for a whole generation even after
	 * restarts have doubled the population up to its cap. */
	if (strcmp(o->algo, "cmaes") == 0 && !o->window_given)
		o->window = 4096;
	if (strcmp(o->algo, "genetic") == 0) {
		if (o->population == 0)
			o->population = 50;
		if (o->generations == 0)
			o->generations = 20;
		/* A whole generation in flight at once, unless told otherwise;
		 * it depends on the population, never on the workers. */
		if (!o->window_given)
			o->window = o->population;
	}
	return 0;
}

static int
resolve_workers(int requested)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 1)
		ncpu = 1;
	if (requested == 0 || requested == -1)
		return (int)ncpu;
	if (requested == -2)
		return ncpu > 1 ? (int)ncpu - 1 : 1;
	if (requested > ncpu)
		rsw_cli_warnf("%d workers on %ld CPUs: they will share cores",
			      requested, ncpu);
	return requested;
}

#define TOP_N 5

/* One evaluation kept for the summary's table of the best ones. */
struct top_row {
	uint64_t seq;
	double value;
	double params[RSW_MAX_PARAMS_LIMIT];
	double metrics[RSW_MAX_METRICS_LIMIT];
	uint32_t nmetrics;
};

struct sink {
	FILE *csv;
	rsw_store *store;
	rsw_progress *progress;
	rsw_engine *engine;
	int workers;
	uint64_t failed;
	int store_failed;
	const rsw_space *space;
	uint32_t nmetrics;
	int minimize;
	uint64_t by_status[RSW_STATUS_COUNT_];
	uint64_t commits;
	struct top_row top[TOP_N];
	int ntop;
};

static int
better(const struct sink *s, double a, double b)
{
	return s->minimize ? a < b : a > b;
}

/* Keeps the TOP_N best successful evaluations, best first; ties keep the
 * earlier seq, so the table is deterministic too. */
static void
keep_top(struct sink *s, const double *params, uint32_t nparams,
	 const rsw_result *r)
{
	int at = s->ntop;

	if (r->status != RSW_STATUS_OK || r->value != r->value)
		return;
	while (at > 0 && better(s, r->value, s->top[at - 1].value))
		at--;
	if (at >= TOP_N)
		return;
	if (s->ntop < TOP_N)
		s->ntop++;
	memmove(&s->top[at + 1], &s->top[at],
		(size_t)(s->ntop - 1 - at) * sizeof s->top[0]);
	s->top[at].seq = r->seq;
	s->top[at].value = r->value;
	memcpy(s->top[at].params, params, nparams * sizeof(double));
	s->top[at].nmetrics = r->nmetrics;
	memcpy(s->top[at].metrics, r->metrics, r->nmetrics * sizeof(double));
}

/* Tasks being evaluated right now: in the engine, at most one a worker. */
static uint64_t
running_tasks(const struct sink *s)
{
	uint64_t pending = s->engine != NULL ? rsw_engine_pending(s->engine) : 0;

	return pending < (uint64_t)s->workers ? pending : (uint64_t)s->workers;
}

static int
on_commit(void *ctx, const double *params, uint32_t nparams,
	  const rsw_result *r)
{
	struct sink *s = ctx;

	if (r->status >= 0 && r->status < RSW_STATUS_COUNT_)
		s->by_status[r->status]++;
	/* Skipped tasks (a drain) were never evaluated: not results. */
	if (r->status == RSW_STATUS_SKIPPED)
		return 0;
	s->commits++;
	s->failed += r->status != RSW_STATUS_OK;
	keep_top(s, params, nparams, r);
	rsw_progress_publish(s->progress, s->commits, s->failed,
			     running_tasks(s), s->ntop > 0,
			     s->ntop > 0 ? s->top[0].value : 0,
			     s->ntop > 0 ? s->top[0].params : NULL, 0);
	if (s->store != NULL && rsw_store_add(s->store, params, nparams, r) != 0) {
		s->store_failed = 1;
		return RSW_ESYS; /* stops the sweep: results would be lost */
	}
	if (s->csv == NULL)
		return 0;
	fprintf(s->csv, "%llu", (unsigned long long)r->seq);
	for (uint32_t i = 0; i < nparams; i++) {
		char v[64];

		fputc(',', s->csv);
		rsw_cli_csv_field(s->csv, rsw_param_format(&s->space->params[i],
							   params[i], v, sizeof v));
	}
	fprintf(s->csv, ",%s,%.17g", rsw_status_name(r->status), r->value);
	for (uint32_t i = 0; i < s->nmetrics; i++) {
		if (i < r->nmetrics)
			fprintf(s->csv, ",%.17g", r->metrics[i]);
		else
			fputc(',', s->csv);
	}
	fputc('\n', s->csv);
	return 0;
}

static int
replay_row(void *ctx, uint64_t seq, const double *params, uint32_t nparams,
	   rsw_result *out)
{
	return rsw_store_replay(ctx, seq, params, nparams, out);
}

/* Options that may change when a sweep is resumed: they change how it
 * runs, never what it computes.  Returns 2 when the option takes the next
 * word as its value, 1 when it stands alone, 0 when it may not change. */
static int
resume_may_change(const char *arg)
{
	static const char *const with_value[] = { "-j", "--workers", "--idle",
						  "--nice", "--max-batch",
						  "--results", "--external",
						  "--progress", NULL };
	static const char *const alone[] = { "--quiet", "--pin", "--json", NULL };
	size_t len = strcspn(arg, "=");

	for (int i = 0; with_value[i] != NULL; i++)
		if (strcmp(arg, with_value[i]) == 0)
			return 2;
		else if (strlen(with_value[i]) == len && arg[len] == '=' &&
			 strncmp(arg, with_value[i], len) == 0)
			return 1;
	for (int i = 0; alone[i] != NULL; i++)
		if (strcmp(arg, alone[i]) == 0)
			return 1;
	/* Short forms: -q, -jN, -qjN, -qj N. */
	if (arg[0] == '-' && arg[1] != '-' && strspn(arg + 1, "q") == strlen(arg + 1))
		return 1;
	if (arg[0] == '-' && arg[1] != '-' && strchr(arg, 'j') != NULL &&
	    strspn(arg + 1, "qj") == (size_t)(strchr(arg, 'j') - arg))
		return arg[strchr(arg, 'j') - arg + 1] == '\0' ? 2 : 1;
	return 0;
}

/* --resume FILE: the stored argument vector, then this command's own
 * (execution) options.  Returns a malloc'd argv, or NULL after an error. */
static char **
resume_argv(int argc, char **argv, const char *store_argv, int *out_argc,
	    const char *path)
{
	json_t *a = json_loads(store_argv, 0, NULL);
	size_t n = json_is_array(a) ? json_array_size(a) : 0;
	char **v = calloc(n + (size_t)argc + 2, sizeof *v);
	int k = 0;

	if (v == NULL || !json_is_array(a)) {
		rsw_cli_errorf("--resume '%s': corrupt sweep description", path);
		json_decref(a);
		free(v);
		return NULL;
	}
	v[k++] = strdup("run");
	for (size_t i = 0; i < n; i++)
		v[k++] = strdup(json_string_value(json_array_get(a, i)) ?
					json_string_value(json_array_get(a, i)) : "");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--resume") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--resume=", 9) == 0)
			continue;
		switch (resume_may_change(argv[i])) {
		case 2:
			v[k++] = strdup(argv[i]);
			if (i + 1 < argc)
				v[k++] = strdup(argv[++i]);
			break;
		case 1:
			v[k++] = strdup(argv[i]);
			break;
		default:
			rsw_cli_errorf("option '%s' cannot change on --resume (the "
				       "sweep is defined by its file)", argv[i]);
			for (int j = 0; j < k; j++)
				free(v[j]);
			free(v);
			json_decref(a);
			return NULL;
		}
	}
	json_decref(a);
	*out_argc = k;
	return v;
}

/* The argument vector that defines the sweep, as JSON, for --resume:
 * everything but --db and --resume. */
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
print_top(const struct run_opts *o, const rsw_cli_objective *obj,
	  const struct sink *s)
{
	if (s->ntop < 2)
		return;
	printf("top %d:\n  %6s", s->ntop, "seq");
	for (uint32_t i = 0; i < o->space.n; i++)
		printf(" %10.10s", o->space.params[i].name);
	printf(" %12s", "value");
	for (uint32_t i = 0; i < obj->nmetrics; i++)
		printf(" %14.14s", obj->metric_names[i]);
	printf("\n");
	for (int k = 0; k < s->ntop; k++) {
		printf("  %6llu", (unsigned long long)s->top[k].seq);
		for (uint32_t i = 0; i < o->space.n; i++)
		{
			const rsw_param *p = &o->space.params[i];
			char v[64];

			if (p->kind == RSW_PARAM_CAT)
				printf(" %10.10s", rsw_param_format(p, s->top[k].params[i],
								    v, sizeof v));
			else
				printf(" %10.6g", s->top[k].params[i]);
		}
		printf(" %12.6g", s->top[k].value);
		for (uint32_t i = 0; i < s->top[k].nmetrics; i++)
			printf(" %14.6g", s->top[k].metrics[i]);
		printf("\n");
	}
}

static void
print_summary_json(const struct run_opts *o, rsw_algorithm *algo,
		   const rsw_stats *st, const struct sink *s, double wall,
		   const char *db)
{
	json_t *root = json_object(), *status = json_object(), *workers = json_array();
	rsw_best best;

	if (algo->best(algo, &best) == 0) {
		json_t *b = json_object(), *params = json_object();

		json_object_set_new(b, "seq", json_integer((json_int_t)best.seq));
		json_object_set_new(b, "value", json_real(best.value));
		char v[64];

		for (uint32_t i = 0; i < best.nparams; i++)
			json_object_set_new(params, o->space.params[i].name,
					    o->space.params[i].kind == RSW_PARAM_CAT ?
						    json_string(rsw_param_format(
							&o->space.params[i], best.params[i],
							v, sizeof v)) :
						    json_real(best.params[i]));
		json_object_set_new(b, "params", params);
		json_object_set_new(root, "best", b);
	} else {
		json_object_set_new(root, "best", json_null());
	}
	json_object_set_new(root, "evals", json_integer((json_int_t)s->commits));
	for (int i = 0; i < RSW_STATUS_COUNT_; i++)
		if (s->by_status[i] > 0)
			json_object_set_new(status, rsw_status_name(i),
					    json_integer((json_int_t)s->by_status[i]));
	json_object_set_new(root, "status", status);
	json_object_set_new(root, "retries", json_integer((json_int_t)st->retries));
	json_object_set_new(root, "recycled", json_integer((json_int_t)st->recycled));
	json_object_set_new(root, "wall_s", json_real(wall));
	json_object_set_new(root, "evals_per_s",
			    json_real(wall > 0 ? (double)s->commits / wall : 0));
	json_object_set_new(root, "database", db[0] ? json_string(db) : json_null());
	for (uint32_t w = 0; w < st->nworkers && w < 256; w++) {
		const rsw_worker_stats *ws = &st->workers[w];
		json_t *j = json_object();

		json_object_set_new(j, "worker", json_integer(w));
		json_object_set_new(j, "tasks", json_integer((json_int_t)ws->tasks));
		json_object_set_new(j, "failures", json_integer((json_int_t)ws->failures));
		json_object_set_new(j, "restarts", json_integer((json_int_t)ws->restarts));
		json_object_set_new(j, "mean_ms", json_real(ws->tasks ?
			(double)ws->busy_ns / (double)ws->tasks / 1e6 : 0));
		json_object_set_new(j, "max_ms", json_real((double)ws->max_ns / 1e6));
		json_object_set_new(j, "peak_kb",
				    json_integer((json_int_t)rsw_cli_proc_status_kb(
					    ws->pid, "VmHWM")));
		json_array_append_new(workers, j);
	}
	json_object_set_new(root, "workers", workers);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					JSON_REAL_PRECISION(17));
	fputc('\n', stdout);
	json_decref(root);
}

static void
print_summary(const struct run_opts *o, rsw_algorithm *algo, rsw_engine *e,
	      const struct sink *s, double wall, const char *db)
{
	rsw_best best;
	rsw_stats st;
	uint64_t restarts = 0;

	rsw_engine_stats(e, &st);
	if (o->json) {
		print_summary_json(o, algo, &st, s, wall, db);
		return;
	}
	for (uint32_t w = 0; w < st.nworkers && w < 256; w++)
		restarts += st.workers[w].restarts;
	if (algo->best(algo, &best) == 0) {
		printf("best: %.17g at seq %llu:", best.value,
		       (unsigned long long)best.seq);
		for (uint32_t i = 0; i < best.nparams; i++)
		{
			char v[64];

			printf(" %s=%s", o->space.params[i].name,
			       rsw_param_format(&o->space.params[i], best.params[i],
						v, sizeof v));
		}
		printf("\n");
	} else {
		printf("best: none (no evaluation succeeded)\n");
	}
	printf("evals: %llu committed", (unsigned long long)s->commits);
	for (int i = 0; i < RSW_STATUS_COUNT_; i++)
		if (s->by_status[i] > 0)
			printf(", %llu %s", (unsigned long long)s->by_status[i],
			       rsw_status_name(i));
	printf("\nworkers: %s, %llu restarts, %llu recycled, %llu retries\n",
	       o->serial ? "serial" : "processes", (unsigned long long)restarts,
	       (unsigned long long)st.recycled, (unsigned long long)st.retries);
	if (st.timeouts > 0)
		printf("timeouts: %llu, worst kill %.3f ms after the deadline\n",
		       (unsigned long long)st.timeouts, st.max_kill_late_ns / 1e6);
	printf("wall: %.3f s, %.0f evals/s\n", wall,
	       wall > 0 ? (double)s->commits / wall : 0.0);
	if (o->quiet)
		return;
	printf("  %6s %8s %10s %8s %8s %10s %10s %9s\n", "worker", "pid", "tasks",
	       "failed", "restarts", "mean ms", "max ms", "peak MB");
	for (uint32_t w = 0; w < st.nworkers && w < 256; w++) {
		const rsw_worker_stats *ws = &st.workers[w];

		printf("  %6u %8d %10llu %8llu %8llu %10.3f %10.3f %9.1f\n", w,
		       ws->pid, (unsigned long long)ws->tasks,
		       (unsigned long long)ws->failures,
		       (unsigned long long)ws->restarts,
		       ws->tasks ? (double)ws->busy_ns / (double)ws->tasks / 1e6 : 0,
		       (double)ws->max_ns / 1e6,
		       rsw_cli_proc_status_kb(ws->pid, "VmHWM") / 1024.0);
	}
}

/* Adds "path": "SIZE:MTIME_NS" for a file the sweep reads, if it exists. */
static void
stamp_file(json_t *inputs, const char *path)
{
	struct stat st;
	char buf[64];

	if (path == NULL || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	snprintf(buf, sizeof buf, "%lld:%lld", (long long)st.st_size,
		 (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec);
	json_object_set_new(inputs, path, json_string(buf));
}

/* The files whose content decides the results: the data, the space file,
 * the plugin, the command's program.  --resume refuses if one changed. */
static char *
inputs_json(const struct run_opts *o)
{
	json_t *inputs = json_object();
	char *s;

	stamp_file(inputs, o->data);
	stamp_file(inputs, o->space_file);
	if (o->objective != NULL && strstr(o->objective, ".so") != NULL) {
		char path[4096], *colon;

		snprintf(path, sizeof path, "%s", o->objective);
		colon = strrchr(path, ':');
		if (colon != NULL && strstr(colon, ".so") == NULL)
			*colon = '\0';
		stamp_file(inputs, path);
	}
	if (o->cmd != NULL) {
		char prog[4096];

		snprintf(prog, sizeof prog, "%.*s", (int)strcspn(o->cmd, " \t"),
			 o->cmd);
		if (strchr(prog, '/') != NULL)
			stamp_file(inputs, prog);
	}
	s = json_dumps(inputs, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(inputs);
	return s;
}

/* Opens the results store: new (--db or a generated name) or, with
 * --resume, the one given.  Returns 0 and prints where it is. */
static int
open_store(struct run_opts *o, rsw_store *resumed, const rsw_cli_objective *obj,
	   int argc, char **argv, rsw_store **out, char *name, size_t n)
{
	char err[512], buf[64];
	char *json;
	int rc;

	*out = resumed;
	if (resumed != NULL) {
		const char *was = rsw_store_meta(resumed, "inputs");
		const char *version = rsw_store_meta(resumed, "version");
		char *now = inputs_json(o);
		int same = was == NULL || strcmp(was, now) == 0;

		free(now);
		if (rsw_store_bind_space(resumed, &o->space) != 0) {
			rsw_cli_errorf("--resume '%s': its results table does not match "
				       "its own sweep description", name);
			*out = NULL; /* still the caller's to discard */
			return -1;
		}
		if (!same) {
			rsw_cli_errorf("--resume '%s': a file the sweep reads (data, "
				       "space, plugin or command) changed since it "
				       "started; the rest would not match", name);
			*out = NULL;
			return -1;
		}
		if (version == NULL || strcmp(version, RSW_VERSION_STRING) != 0) {
			rsw_cli_errorf("--resume '%s': written by ringsweep %s, this is "
				       "%s", name, version ? version : "?",
				       RSW_VERSION_STRING);
			*out = NULL;
			return -1;
		}
		return 0;
	}
	if (o->no_db)
		return 0;
	if (o->db == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
		snprintf(name, n, "sweep-%s-%d.db", buf, (int)getpid());
	} else {
		snprintf(name, n, "%s", o->db);
	}
	json = argv_json(argc, argv);
	rc = rsw_store_create(out, name, &o->space, obj->nmetrics, obj->metric_names,
			      json, err, sizeof err);
	free(json);
	if (rc != 0) {
		rsw_cli_errorf("%s", err);
		return -1;
	}
	rsw_store_set(*out, "objective", obj->name);
	rsw_store_set(*out, "algo", o->algo);
	snprintf(buf, sizeof buf, "%lld", o->seed);
	rsw_store_set(*out, "seed", buf);
	snprintf(buf, sizeof buf, "%lld", o->window);
	rsw_store_set(*out, "window", buf);
	rsw_store_set(*out, "direction", o->minimize ? "minimize" : "maximize");
	json = inputs_json(o);
	rsw_store_set(*out, "inputs", json);
	free(json);
	return 0;
}

int
rsw_cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct sink sink;
	rsw_cli_objective objective;
	rsw_store *resumed = NULL;
	char err[512], db_name[4096] = "", tmp_path[4096], objective_arg[1024];
	char **rargv = NULL;
	int rargc = 0;
	rsw_algorithm *algo = NULL;
	rsw_engine *e = NULL;
	rsw_run_options ro;
	uint64_t t0, t1;
	int rc, exit_code = RSW_EXIT_USAGE, objective_open = 0;

	memset(&sink, 0, sizeof sink);
	/* --resume FILE: validate the file first, then run the sweep it
	 * describes, with this command's execution options on top. */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;

		if (strcmp(argv[i], "--resume") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--resume=", 9) == 0)
			path = argv[i] + 9;
		if (path == NULL)
			continue;
		if (rsw_store_open_resume(&resumed, path, err, sizeof err) != 0) {
			rsw_cli_errorf("%s", err);
			return RSW_EXIT_USAGE;
		}
		snprintf(db_name, sizeof db_name, "%s", path);
		rargv = resume_argv(argc, argv, rsw_store_meta(resumed, "argv"),
				    &rargc, path);
		if (rargv == NULL)
			goto out;
		argc = rargc;
		argv = rargv;
		break;
	}
	if (parse(argc, argv, &o) != 0)
		goto out;
	/* Loading the objective (its data, or the plugin and its init) is
	 * the last check before anything starts. */
	if (o.cmd != NULL ?
		    rsw_cli_objective_open_cmd(&objective, o.cmd, &o.space,
					       o.metrics, err, sizeof err) :
		    rsw_cli_objective_open(&objective, o.objective, o.objective_arg,
					   o.data, o.column, err, sizeof err)) {
		rsw_cli_errorf("%s", err);
		goto out;
	}
	objective_open = 1;
	if (o.space.n < objective.min_params ||
	    (objective.max_params > 0 && o.space.n > objective.max_params)) {
		if (objective.max_params == objective.min_params)
			rsw_cli_errorf("objective '%s' takes exactly %u parameters "
				       "(its dimension), got %u",
				       objective.name, objective.min_params, o.space.n);
		else if (objective.max_params > 0)
			rsw_cli_errorf("objective '%s' takes %u to %u parameters, got %u",
				       objective.name, objective.min_params,
				       objective.max_params, o.space.n);
		else
			rsw_cli_errorf("objective '%s' needs at least %u parameter(s)",
				       objective.name, objective.min_params);
		goto out;
	}
	o.cfg.workers = o.serial ? 0 : resolve_workers(o.cfg.workers);
	/* Suggestion k may go out before result k - W is in: W + 1 tasks. */
	if (!o.quiet && o.cfg.workers > o.window + 1 &&
	    strcmp(o.algo, "grid") != 0 && strcmp(o.algo, "random") != 0)
		rsw_cli_warnf("--algo %s keeps at most %lld evaluations in flight "
			      "(--window %lld): %lld of the %d workers will idle; "
			      "raise --window to use them (the window, never the "
			      "worker count, shapes the results)",
			      o.algo, o.window + 1, o.window,
			      o.cfg.workers - o.window - 1, o.cfg.workers);
	o.cfg.max_params = o.space.n;
	o.cfg.max_metrics = objective.nmetrics;
	o.cfg.objective_name = objective.builtin != NULL ? objective.name : "";
	if (objective.builtin != NULL && objective.builtin->needs_data) {
		/* A `ringsweep worker` started by hand loads the same data:
		 * tell it where (absolute, it may run elsewhere). */
		char *abs = realpath(o.data, NULL);

		snprintf(objective_arg, sizeof objective_arg, "%s\n%s",
			 abs != NULL ? abs : o.data, o.column);
		free(abs);
		o.cfg.objective_arg = objective_arg;
	}
	if (o.serial && o.cfg.timeout_s > 0)
		rsw_cli_warnf("--timeout is not enforced with --serial");
	if (strcmp(o.algo, "grid") == 0)
		rc = rsw_algo_grid_create(&algo, &o.space, o.minimize);
	else if (strcmp(o.algo, "genetic") == 0)
		rc = rsw_algo_genetic_create(&algo, &o.space, (uint32_t)o.population,
					     (uint64_t)o.generations,
					     (uint64_t)o.seed, o.minimize);
	else if (strcmp(o.algo, "cmaes") == 0)
		rc = rsw_algo_cmaes_create(&algo, &o.space, (uint32_t)o.population,
					   (uint64_t)o.evals, (uint64_t)o.seed,
					   o.minimize);
	else if (strcmp(o.algo, "bayes") == 0)
		rc = rsw_algo_bayes_create(&algo, &o.space, (uint64_t)o.evals,
					   (uint32_t)o.init, (uint64_t)o.seed,
					   o.minimize);
	else
		rc = rsw_algo_random_create(&algo, &o.space, (uint64_t)o.evals,
					    (uint64_t)o.seed, o.minimize);
	if (rc != 0) {
		rsw_cli_errorf("--algo %s: %s", o.algo, rsw_strerror(rc));
		goto out;
	}
	sink.space = &o.space;
	sink.nmetrics = objective.nmetrics;
	sink.minimize = o.minimize;
	if (o.results != NULL) {
		snprintf(tmp_path, sizeof tmp_path, "%s.partial", o.results);
		sink.csv = fopen(tmp_path, "w");
		if (sink.csv == NULL) {
			rsw_cli_errorf("--results '%s': cannot write there: %m",
				       o.results);
			goto out;
		}
		fprintf(sink.csv, "seq");
		for (uint32_t i = 0; i < o.space.n; i++)
		{
			fputc(',', sink.csv);
			rsw_cli_csv_field(sink.csv, o.space.params[i].name);
		}
		fprintf(sink.csv, ",status,value");
		for (uint32_t i = 0; i < objective.nmetrics; i++)
		{
			fputc(',', sink.csv);
			rsw_cli_csv_field(sink.csv, objective.metric_names[i]);
		}
		fprintf(sink.csv, "\n");
	}
	if (open_store(&o, resumed, &objective, argc, argv, &sink.store, db_name,
		       sizeof db_name) != 0)
		goto out;
	resumed = NULL; /* now sink.store */

	/* Handlers first: a signal that arrives while the engine starts
	 * already drains.  The supervisor and workers ignore SIGINT (a
	 * Ctrl-C reaches the whole process group): the driver decides. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = rsw_engine_open(&e, &o.cfg, &objective.obj);
	if (rc != 0) {
		rsw_cli_errorf("cannot start the engine: %s", rsw_strerror(rc));
		exit_code = RSW_EXIT_FAILURE;
		goto out;
	}
	g_engine = e;
	if (g_stop > 1)
		rsw_engine_cancel(e);
	if (!o.quiet)
		fprintf(stderr, "ringsweep: %s over %u parameter(s), objective %s, "
				"%d worker(s)%s%s\n",
			o.algo, o.space.n, objective.name, o.cfg.workers,
			o.serial ? " (serial)" : ", arena ",
			o.serial ? "" : rsw_engine_arena_name(e));
	if (sink.store != NULL && !o.json)
		printf("database: %s%s\n", db_name,
		       rsw_store_rows(sink.store) > 0 ? " (resumed)" : "");
	if (o.results != NULL && !o.json)
		printf("results: %s\n", o.results);
	fflush(stdout);

	memset(&ro, 0, sizeof ro);
	ro.window = (uint32_t)o.window;
	ro.on_commit = on_commit;
	ro.commit_ctx = &sink;
	ro.stop = (volatile int *)&g_stop;
	if (sink.store != NULL && rsw_store_rows(sink.store) > 0) {
		ro.replay_count = rsw_store_rows(sink.store);
		ro.replay = replay_row;
		ro.replay_ctx = sink.store;
		if (!o.quiet)
			fprintf(stderr, "ringsweep: replaying %llu committed "
					"evaluations\n",
				(unsigned long long)ro.replay_count);
	}
	sink.engine = e;
	sink.workers = o.cfg.workers > 0 ? o.cfg.workers : 1;
	sink.progress = rsw_progress_start(
	    o.progress, &o.space,
	    strcmp(o.algo, "grid") == 0 ? rsw_space_grid_size(&o.space) :
	    strcmp(o.algo, "genetic") == 0 ?
		    (uint64_t)(o.population * o.generations) :
		    (uint64_t)o.evals);
	t0 = rsw__mono_ns();
	rc = rsw_run(e, algo, &ro);
	t1 = rsw__mono_ns();
	rsw_progress_publish(sink.progress, sink.commits, sink.failed,
			     running_tasks(&sink), sink.ntop > 0,
			     sink.ntop > 0 ? sink.top[0].value : 0,
			     sink.ntop > 0 ? sink.top[0].params : NULL, 1);
	rsw_progress_stop(sink.progress);
	sink.progress = NULL;

	print_summary(&o, algo, e, &sink, (double)(t1 - t0) / 1e9, db_name);
	if (!o.json)
		print_top(&o, &objective, &sink);
	g_engine = NULL;
	rsw_engine_close(e);
	e = NULL;
	exit_code = RSW_EXIT_OK;
	if (rc == RSW_ECANCELED && g_stop) {
		fprintf(stderr, "ringsweep: interrupted; committed results are "
				"kept%s%s\n", sink.store ? ", continue with --resume " : "",
			sink.store ? db_name : "");
		exit_code = RSW_EXIT_INTERRUPTED;
	} else if (rc == RSW_EINVAL && ro.replay_count > 0) {
		rsw_cli_errorf("--resume '%s': its stored evaluations do not match "
			       "this sweep's parameters", db_name);
		exit_code = RSW_EXIT_USAGE;
	} else if (sink.store_failed) {
		rsw_cli_errorf("database '%s': write failed; the sweep stopped",
			       db_name);
		exit_code = RSW_EXIT_FAILURE;
	} else if (rc != 0) {
		rsw_cli_errorf("sweep failed: %s", rsw_strerror(rc));
		exit_code = RSW_EXIT_FAILURE;
	}
	if (sink.store != NULL &&
	    rsw_store_close(sink.store, exit_code == RSW_EXIT_OK ? "done" :
					exit_code == RSW_EXIT_INTERRUPTED ? "interrupted" :
									     "failed") != 0 &&
	    exit_code == RSW_EXIT_OK) {
		rsw_cli_errorf("database '%s': final write failed", db_name);
		exit_code = RSW_EXIT_FAILURE;
	}
	sink.store = NULL;
	if (sink.csv != NULL) {
		int werr = fflush(sink.csv) != 0 || ferror(sink.csv);

		werr |= fclose(sink.csv) != 0;
		sink.csv = NULL;
		if (werr || rename(tmp_path, o.results) != 0) {
			rsw_cli_errorf("--results '%s': write failed: %m", o.results);
			unlink(tmp_path);
			exit_code = RSW_EXIT_FAILURE;
		}
	}
out:
	if (e != NULL) {
		g_engine = NULL;
		rsw_engine_close(e);
	}
	if (sink.csv != NULL) {
		fclose(sink.csv);
		unlink(tmp_path);
	}
	if (sink.store != NULL)
		rsw_store_close(sink.store, "failed");
	if (resumed != NULL)
		rsw_store_discard(resumed);
	rsw_algorithm_destroy(algo);
	if (objective_open)
		rsw_cli_objective_close(&objective);
	for (int i = 0; rargv != NULL && i < rargc; i++)
		free(rargv[i]);
	free(rargv);
	return exit_code;
}
