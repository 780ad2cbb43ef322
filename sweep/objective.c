/*
 * sweep/objective.c - rsw_objective_load(): a built-in, a plugin, an
 * external command or a C function, turned into what the engine calls.
 *
 * A plugin is opened with dlopen(RTLD_NOW | RTLD_LOCAL): a symbol it needs
 * and lacks is an error now, not a crash in a worker later.  Its init
 * runs here, once, before any worker is forked; its fini at unload.  A
 * failed load leaves nothing loaded (fini is not called for a plugin
 * whose init failed: there is nothing to finish).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/objective.h"
#include "ringsweep/objectives.h"

#define INPUTS_MAX 4

struct rsw_loaded_objective {
	rsw_objective_info info;
	char name[PATH_MAX + 64];
	char external_arg[PATH_MAX + 128];
	const char *metric_names[RSW_MAX_METRICS_LIMIT + 1];
	char *inputs_store[INPUTS_MAX];
	const char *inputs[INPUTS_MAX + 1];
	int ninputs;
	rsw__market market;
	void *dl;
	void *plugin_state;
	rsw_plugin_eval_fn plugin_eval;
	rsw_plugin_fini_fn plugin_fini;
	rsw__cmd *cmd;
};

/* Records an input file by its absolute path. */
static void
add_input(rsw_loaded_objective *o, const char *path)
{
	char *abs = realpath(path, NULL);

	if (abs != NULL && o->ninputs < INPUTS_MAX) {
		o->inputs_store[o->ninputs] = abs;
		o->inputs[o->ninputs++] = abs;
	} else {
		free(abs);
	}
}

/* The absolute path of what dlopen loaded (malloc'd), or NULL. */
static char *
loaded_path(void *dl, const char *asked)
{
	struct link_map *lm = NULL;

	if (dlinfo(dl, RTLD_DI_LINKMAP, &lm) == 0 && lm != NULL &&
	    lm->l_name != NULL && lm->l_name[0] != '\0')
		return realpath(lm->l_name, NULL);
	return realpath(asked, NULL);
}

/* The engine calls this; it forwards to the plugin's eval with its state. */
static int
plugin_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	const rsw_loaded_objective *o = ctx;

	return o->plugin_eval(o->plugin_state, x, n, t, out);
}

static void *
plugin_symbol(void *dl, const char *prefix, const char *name)
{
	char sym[256];

	snprintf(sym, sizeof sym, "%s%s", prefix, name);
	return dlsym(dl, sym);
}

/* The objective's metric names: `count` of them, or up to a NULL entry
 * when count is UINT32_MAX (a plugin's or a built-in's list). */
static int
metric_list(rsw_loaded_objective *o, const char *const *names, uint32_t count,
	    const char *what, char *err, size_t errlen)
{
	uint32_t n = 0;

	for (; names != NULL && n < count && (count != UINT32_MAX || names[n] != NULL);
	     n++) {
		if (names[n] == NULL) {
			snprintf(err, errlen, "%s: metric name %u of %u is NULL", what,
				 n + 1, count);
			return RSW_EINVAL;
		}
		if (n == RSW_MAX_METRICS_LIMIT) {
			snprintf(err, errlen, "%s: more than %d metrics", what,
				 RSW_MAX_METRICS_LIMIT);
			return RSW_EINVAL;
		}
		if (strlen(names[n]) > 63) {
			snprintf(err, errlen, "%s: metric name '%.20s...' is longer "
				 "than 63 characters", what, names[n]);
			return RSW_EINVAL;
		}
		o->metric_names[n] = names[n];
	}
	o->info.nmetrics = n;
	return 0;
}

/* A metric is a column of the results (CSV, store, export): one named as
 * another column, or twice, would make a header nobody can read back. */
static int
check_metric_names(const rsw_loaded_objective *o, const rsw_space *space,
		   char *err, size_t errlen)
{
	static const char *const taken[] = { "seq", "status", "value", "message" };

	for (uint32_t m = 0; m < o->info.nmetrics; m++) {
		const char *name = o->metric_names[m];
		const char *clash = NULL;

		for (size_t t = 0; t < sizeof taken / sizeof *taken; t++)
			if (strcmp(name, taken[t]) == 0)
				clash = "a column every result has (seq, status, "
					"value, message)";
		for (uint32_t p = 0; space != NULL && p < space->n && !clash; p++)
			if (strcmp(name, space->params[p].name) == 0)
				clash = "a parameter";
		for (uint32_t k = 0; k < m && !clash; k++)
			if (strcmp(name, o->metric_names[k]) == 0)
				clash = "another metric";
		if (clash != NULL) {
			snprintf(err, errlen, "objective '%s': metric '%s' has the name "
				 "of %s; the results' columns need distinct names",
				 o->info.name, name, clash);
			return RSW_EINVAL;
		}
	}
	return 0;
}

/* A plugin's init runs in the loading process (what it loads is what the
 * workers share), so one that crashes, calls exit() or never returns would
 * take the program with it.  It is run first in a forked child: there a
 * crash, an exit or a hang past the limit is caught and named.  The child
 * reports init's return value through a pipe (no report: it did not
 * return), runs fini after a successful init, and is killed with its
 * whole process group afterwards, so what init started does not stay.
 * Forking a multi-threaded program leaves only this thread in the child:
 * an init that needs a lock another thread held would be reported as
 * hanging. */
static int
trial_init(rsw_plugin_init_fn init, rsw_plugin_fini_fn fini, const char *arg,
	   double timeout_s, const char *what, const char *prefix, char *err,
	   size_t errlen)
{
	int fds[2], status = 0, returned = 0, rc = 0, pidfd, timed_out = 0;
	uint64_t limit_ns = (uint64_t)((timeout_s > 0 ? timeout_s : 300.0) * 1e9);
	uint64_t until;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
		return 0; /* no trial possible: the real run decides */
	fflush(NULL); /* nothing buffered here is written again there */
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return 0;
	}
	if (pid == 0) {
		void *state = NULL;
		int r;
		ssize_t ignored;

		/* Its own group, killed whole after the trial: what init
		 * started does not outlive it.  The program's handlers are
		 * not the trial's. */
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		r = init(arg, &state);
		ignored = write(fds[1], &r, sizeof r);
		(void)ignored;
		if (r == 0 && fini != NULL)
			fini(state);
		_exit(0);
	}
	close(fds[1]);
	setpgid(pid, pid); /* also here: whichever runs first */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	until = rsw_now_ns() + limit_ns;
	/* Until the child ends or the limit passes; a signal to us does not
	 * end the wait early. */
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		uint64_t now = rsw_now_ns();
		int n, ms = now >= until ? 0 :
			    (until - now) / 1000000 > INT_MAX ? INT_MAX :
			    (int)((until - now + 999999) / 1000000);

		if (pidfd < 0) {
			/* No pidfd (a kernel before 5.3): poll the child. */
			if (waitpid(pid, &status, WNOHANG) == pid)
				break;
			if (now >= until) {
				timed_out = 1;
				break;
			}
			usleep(10000);
			continue;
		}
		n = poll(&p, 1, ms);
		if (n > 0)
			break;
		if (n == 0 && rsw_now_ns() >= until) {
			timed_out = 1;
			break;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	kill(-pid, SIGKILL); /* init's own processes, and a hung init */
	if (timed_out || pidfd >= 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (timed_out) {
		close(fds[0]);
		snprintf(err, errlen, "%s: %sinit(\"%s\") did not return within %g s "
			 "(in a trial run; the limit is the objective's "
			 "init_timeout_s, --init-timeout)", what, prefix, arg,
			 (double)limit_ns / 1e9);
		return RSW_EINIT;
	}
	returned = read(fds[0], &rc, sizeof rc) == (ssize_t)sizeof rc;
	close(fds[0]);
	if (WIFSIGNALED(status)) {
		snprintf(err, errlen, "%s: %sinit(\"%s\") crashed (%s) in a trial "
			 "run", what, prefix, arg, strsignal(WTERMSIG(status)));
		return RSW_EINIT;
	}
	if (!returned) {
		snprintf(err, errlen, "%s: %sinit(\"%s\") called exit(%d) instead "
			 "of returning (in a trial run)", what, prefix, arg,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return RSW_EINIT;
	}
	/* A non-zero return is said by the real run, as before. */
	return 0;
}

static int
open_plugin(rsw_loaded_objective *o, const char *spec, const char *arg,
	    double init_timeout_s, char *err, size_t errlen)
{
	char path[PATH_MAX], what[PATH_MAX + 32];
	const char *colon = strrchr(spec, ':'), *prefix = "rsw_objective_";
	const int *abi;
	rsw_plugin_init_fn init;
	int rc, own_prefix = colon != NULL && strstr(colon, ".so") == NULL;
	char *abs;

	snprintf(path, sizeof path, "%s", spec);
	if (own_prefix) {
		path[colon - spec] = '\0';
		prefix = colon + 1;
	}
	snprintf(what, sizeof what, "--objective '%s'", path);
	o->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (o->dl == NULL) {
		snprintf(err, errlen, "%s: cannot load the plugin: %s", what,
			 dlerror());
		return RSW_ENOTFOUND;
	}
	abi = plugin_symbol(o->dl, prefix, "abi_version");
	o->plugin_eval = (rsw_plugin_eval_fn)plugin_symbol(o->dl, prefix, "eval");
	init = (rsw_plugin_init_fn)plugin_symbol(o->dl, prefix, "init");
	if (abi == NULL) {
		snprintf(err, errlen, "%s: no symbol '%sabi_version' (declare "
			 "RSW_OBJECTIVE_PLUGIN;)", what, prefix);
		return RSW_EINVAL;
	}
	if (*abi != RSW_OBJECTIVE_ABI_VERSION) {
		snprintf(err, errlen, "%s: built for objective ABI %d, this "
			 "ringsweep has ABI %d; rebuild the plugin", what, *abi,
			 RSW_OBJECTIVE_ABI_VERSION);
		return RSW_EINVAL;
	}
	if (o->plugin_eval == NULL) {
		snprintf(err, errlen, "%s: no symbol '%seval'", what, prefix);
		return RSW_EINVAL;
	}
	rc = metric_list(o, plugin_symbol(o->dl, prefix, "metrics"), UINT32_MAX,
			 what, err, errlen);
	if (rc != 0)
		return rc;
	if (init != NULL &&
	    (rc = trial_init(init, (rsw_plugin_fini_fn)plugin_symbol(o->dl, prefix,
								    "fini"),
			     arg != NULL ? arg : "", init_timeout_s, what, prefix,
			     err, errlen)) != 0)
		return rc;
	if (init != NULL && (rc = init(arg != NULL ? arg : "", &o->plugin_state))) {
		snprintf(err, errlen, "%s: %sinit(\"%s\") failed (returned %d)",
			 what, prefix, arg != NULL ? arg : "", rc);
		return RSW_EINIT;
	}
	/* Only now is there something for fini to finish. */
	o->plugin_fini = (rsw_plugin_fini_fn)plugin_symbol(o->dl, prefix, "fini");
	/* Recorded absolute, so that a resume from elsewhere finds it: the
	 * file the dynamic linker actually loaded (a bare name may have come
	 * from its search path, not from here). */
	abs = loaded_path(o->dl, path);
	add_input(o, abs != NULL ? abs : path);
	snprintf(o->name, sizeof o->name, "%s%s%s", abs != NULL ? abs : path,
		 own_prefix ? ":" : "", own_prefix ? prefix : "");
	free(abs);
	o->info.kind = RSW_OBJECTIVE_KIND_PLUGIN;
	o->info.objective.eval = plugin_eval;
	o->info.objective.ctx = o;
	o->info.min_params = 1;
	return 0;
}

/* ma_cross reads its parameters as numbers, FAST SLOW [COST], and with
 * several series a last one, series=cat:A,B,... in the order of --column,
 * that says which: any other category would be read as a number. */
static int
check_market_space(const rsw__market *m, const rsw_space *space, char *err,
		   size_t errlen)
{
	const char *names = m->names;
	uint32_t numbers = space->n - (m->nseries > 1);

	for (uint32_t i = 0; i < numbers; i++)
		if (space->params[i].kind == RSW_PARAM_CAT) {
			snprintf(err, errlen, "--param %s: ma_cross reads its parameters "
				 "as numbers (FAST SLOW [COST]); a category would be "
				 "read as one (several series: --column A,B,... adds "
				 "series=cat:A,B,... last)", space->params[i].name);
			return RSW_EINVAL;
		}
	if (m->nseries > 1) {
		const rsw_param *last = space->n > 0 ? &space->params[space->n - 1] : NULL;
		char labels[4096];
		size_t len = 0;

		labels[0] = '\0';
		for (uint32_t i = 0; last != NULL && i < last->ncat && len < sizeof labels; i++)
			len += (size_t)snprintf(labels + len, sizeof labels - len, "%s%s",
						i > 0 ? "," : "", last->cat[i]);
		if (last == NULL || last->kind != RSW_PARAM_CAT ||
		    strcmp(last->name, "series") != 0 || strcmp(labels, names) != 0) {
			snprintf(err, errlen, "--column %s: ma_cross then needs its last "
				 "parameter to be series=cat:%s", names, names);
			return RSW_EINVAL;
		}
	}
	return 0;
}

static int
open_builtin(rsw_loaded_objective *o, const rsw_builtin_info *b,
	     const rsw_objective_spec *spec, const rsw_space *space, char *err,
	     size_t errlen)
{
	const rsw__builtin_code *code = rsw__builtin_code_of(b->name);
	int rc;

	o->info.kind = RSW_OBJECTIVE_KIND_BUILTIN;
	snprintf(o->name, sizeof o->name, "%s", b->name);
	o->info.objective.eval = code->eval;
	o->info.objective.worker_init = code->worker_init;
	o->info.min_params = b->min_params;
	o->info.max_params = b->max_params;
	o->info.external_name = b->name;
	o->info.steps = code->steps;
	rc = metric_list(o, code->metrics, UINT32_MAX, b->name, err, errlen);
	if (rc != 0)
		return rc;
	if (!b->needs_data) {
		if (spec->data != NULL) {
			snprintf(err, errlen, "--data: objective '%s' takes no data",
				 b->name);
			return RSW_EINVAL;
		}
		if (spec->metric != NULL) {
			snprintf(err, errlen, "--metric: objective '%s' has no metric "
				 "to choose (its value is what it computes)", b->name);
			return RSW_EINVAL;
		}
		return 0;
	}
	if (rsw__ma_cross_metric_index(spec->metric) == -2) {
		char names[512];
		size_t n = (size_t)snprintf(names, sizeof names, "sharpe");

		for (int i = 0; rsw__ma_cross_metrics[i] != NULL && n < sizeof names; i++)
			n += (size_t)snprintf(names + n, sizeof names - n, ", %s",
					      rsw__ma_cross_metrics[i]);
		snprintf(err, errlen, "--metric '%s': objective '%s' has %s", spec->metric,
			 b->name, names);
		return RSW_EINVAL;
	}
	if (spec->data == NULL || spec->column == NULL) {
		snprintf(err, errlen, "objective '%s' needs data FILE and column "
			 "NAME (--data, --column)", b->name);
		return RSW_EINVAL;
	}
	if (rsw__market_load(spec->data, spec->column, &o->market, err, errlen))
		return RSW_EINVAL;
	o->market.value_metric = rsw__ma_cross_metric_index(spec->metric);
	o->info.objective.ctx = &o->market;
	/* Walk-forward: the Sharpe ratio so far, after each year of trading
	 * days every series has. */
	if (o->market.value_metric == -1) {
		size_t shortest = SIZE_MAX;

		for (uint32_t i = 0; i < o->market.nseries; i++)
			if (o->market.series[i].n < shortest)
				shortest = o->market.series[i].n;
		o->info.steps = (uint32_t)((shortest - 1) / RSW__MA_CROSS_STEP_DAYS);
	}
	/* The series parameter comes on top of FAST SLOW [COST]. */
	o->info.min_params += o->market.nseries > 1;
	o->info.max_params += o->market.nseries > 1;
	if (space != NULL &&
	    (rc = check_market_space(&o->market, space, err, errlen)) != 0)
		return rc;
	add_input(o, spec->data);
	/* A worker started by hand loads the same prices: where from
	 * (absolute: it may run elsewhere), which column, and what the value
	 * is. */
	snprintf(o->external_arg, sizeof o->external_arg, "%s\n%s\n%s",
		 o->ninputs > 0 ? o->inputs[0] : spec->data, spec->column,
		 spec->metric != NULL ? spec->metric : "sharpe");
	return 0;
}

static int
open_command(rsw_loaded_objective *o, const rsw_objective_spec *spec,
	     const rsw_space *space, char *err, size_t errlen)
{
	o->cmd = rsw__cmd_parse(spec->cmd, space, spec->metrics, spec->workdir,
				err, errlen);
	if (o->cmd == NULL)
		return RSW_EINVAL;
	o->info.kind = RSW_OBJECTIVE_KIND_COMMAND;
	snprintf(o->name, sizeof o->name, "cmd");
	o->info.objective.eval = rsw__cmd_eval;
	o->info.objective.ctx = o->cmd;
	o->info.nmetrics = rsw__cmd_metrics(o->cmd, o->metric_names);
	if (rsw__cmd_program(o->cmd)[0] != '\0')
		add_input(o, rsw__cmd_program(o->cmd));
	return 0;
}

static int
check_params(const rsw_loaded_objective *o, uint32_t n, char *err,
	     size_t errlen)
{
	const rsw_objective_info *i = &o->info;

	if (n >= i->min_params && (i->max_params == 0 || n <= i->max_params))
		return 0;
	if (i->max_params == i->min_params)
		snprintf(err, errlen, "objective '%s' takes exactly %u parameters "
			 "(its dimension), got %u", i->name, i->min_params, n);
	else if (i->max_params > 0)
		snprintf(err, errlen, "objective '%s' takes %u to %u parameters, "
			 "got %u", i->name, i->min_params, i->max_params, n);
	else
		snprintf(err, errlen, "objective '%s' needs at least %u "
			 "parameter(s)", i->name, i->min_params);
	return RSW_EINVAL;
}

int
rsw_objective_load(rsw_loaded_objective **out, const rsw_objective_spec *spec,
		   const rsw_space *space, char *err, size_t errlen)
{
	rsw_loaded_objective *o;
	int given, rc;

	*out = NULL;
	given = (spec->name != NULL) + (spec->cmd != NULL) + (spec->fn != NULL);
	if (given != 1) {
		snprintf(err, errlen, given == 0 ?
			 "no objective: give a built-in name, a plugin, a "
			 "command or a function" :
			 "--cmd and --objective are exclusive: choose one");
		return RSW_EINVAL;
	}
	if (spec->metrics != NULL && spec->cmd == NULL) {
		snprintf(err, errlen, "--metrics applies to --cmd only");
		return RSW_EINVAL;
	}
	o = calloc(1, sizeof *o);
	if (o == NULL) {
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	o->info.name = o->name;
	o->info.metric_names = o->metric_names;
	o->info.inputs = o->inputs;
	o->info.external_name = "";
	o->info.external_arg = o->external_arg;
	if (spec->cmd != NULL) {
		rc = open_command(o, spec, space, err, errlen);
	} else if (spec->fn != NULL) {
		o->info.kind = RSW_OBJECTIVE_KIND_FUNCTION;
		snprintf(o->name, sizeof o->name, "%s",
			 spec->label != NULL ? spec->label : "function");
		o->info.objective.eval = spec->fn;
		o->info.objective.worker_init = spec->worker_init;
		o->info.objective.worker_fini = spec->worker_fini;
		o->info.objective.ctx = spec->ctx;
		if (spec->nmetrics > 0 && spec->metric_names == NULL) {
			snprintf(err, errlen, "objective '%s': %u metrics but no "
				 "metric_names", o->name, spec->nmetrics);
			rc = RSW_EINVAL;
		} else {
			rc = metric_list(o, spec->metric_names, spec->nmetrics,
					 o->name, err, errlen);
		}
	} else if (rsw_builtin_find(spec->name) != NULL) {
		rc = open_builtin(o, rsw_builtin_find(spec->name), spec, space, err,
				  errlen);
	} else if (strstr(spec->name, ".so") != NULL) {
		rc = open_plugin(o, spec->name, spec->arg, spec->init_timeout_s, err,
				 errlen);
	} else {
		snprintf(err, errlen, "unknown objective '%s' (a built-in name, or a "
			 "plugin PATH.so)", spec->name);
		rc = RSW_ENOTFOUND;
	}
	if (rc == 0 && space != NULL)
		rc = check_params(o, space->n, err, errlen);
	if (rc == 0)
		rc = check_metric_names(o, space, err, errlen);
	if (rc != 0) {
		rsw_objective_unload(o);
		return rc;
	}
	*out = o;
	return 0;
}

const rsw_objective_info *
rsw_loaded_objective_info(const rsw_loaded_objective *o)
{
	return &o->info;
}

void
rsw_objective_unload(rsw_loaded_objective *o)
{
	if (o == NULL)
		return;
	rsw__cmd_free(o->cmd);
	if (o->plugin_fini != NULL)
		o->plugin_fini(o->plugin_state);
	if (o->dl != NULL)
		dlclose(o->dl);
	rsw__market_free(&o->market);
	for (int i = 0; i < o->ninputs; i++)
		free(o->inputs_store[i]);
	free(o);
}
