/*
 * sweep/sweep.c - a campaign's life: open (or resume) -> start -> run ->
 * close (ringsweep/sweep.h has the contract).
 *
 * DESIGN
 * Open checks everything that can be checked before anything runs, in
 * the order a person fixes things: the space, the algorithm and its
 * options, the window, the engine settings, the objective (a plugin's
 * init, data files, the command's program), then creates the outputs
 * (CSV first, then the store) and removes whatever it created if a later
 * step fails.  Resume rebuilds the configuration from the store's
 * description, checks the input files' fingerprints and the table's
 * columns, and goes through the same open path with the store it found.
 * Run drives rsw_run with the store's rows as the replay; the committer's
 * side is in commit.c.
 *
 * Enqueued points (a warm start) are part of the description: the
 * algorithm runs behind rsw_algo_enqueue, which suggests them as seqs
 * 0 .. E-1, so a resume replays them as any row, and the store says how
 * many there are (its "enqueued" key; export shows them).
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "internal.h"
#include "ringsweep/version.h"

#define CREATING ".creating-" /* a store being made: PATH.creating-PID-N */
#define DEFAULT_TOP_N 5

void
rsw_sweep_config_init(rsw_sweep_config *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof *c);
	rsw_algo_opts_init(&c->algo_opts);
	rsw_config_init(&c->engine);
	c->engine.workers = ncpu > 0 ? (int)(ncpu < 256 ? ncpu : 256) : 1;
	c->algo = "grid";
	c->top_n = DEFAULT_TOP_N;
}

static void
sweep_free(rsw_sweep *sw)
{
	if (sw == NULL)
		return;
	if (sw->engine != NULL)
		rsw_engine_close(sw->engine);
	if (sw->inner_algo != NULL) {
		rsw_algorithm_destroy(sw->algo);
		sw->algo = sw->inner_algo;
	}
	if (sw->own_algo)
		rsw_algorithm_destroy(sw->algo);
	free(sw->enqueue);
	rsw_objective_unload(sw->objective);
	free(sw->prune);
	json_decref(sw->description);
	rsw__sweep_progress_free(sw);
	free(sw->top);
	free(sw->by_cat);
	rsw_pareto_archive_free(&sw->front);
	for (uint32_t i = 0; i < sw->nowned; i++)
		free(sw->owned[i]);
	free(sw);
}

static int
own(rsw_sweep *sw, const char **field)
{
	char *copy;

	if (*field == NULL)
		return 0;
	if (sw->nowned == RSW__SWEEP_OWNED_MAX || (copy = strdup(*field)) == NULL)
		return -1;
	sw->owned[sw->nowned++] = copy;
	*field = copy;
	return 0;
}

/* The sweep keeps copies of the strings of its configuration: the
 * caller's (a Python str, a buffer on the stack) may be gone once
 * rsw_sweep_open returns, and rsw_sweep_config_of hands them out. */
static int
own_strings(rsw_sweep *sw)
{
	rsw_sweep_config *c = &sw->cfg;
	rsw_objective_spec *o = &c->objective;
	const char **fields[] = { &c->algo, &c->store, &c->results_csv,
				  &c->command_line, &o->name, &o->arg, &o->data,
				  &o->column, &o->metric, &o->cmd, &o->metrics, &o->workdir,
				  &o->label, &c->best_by, &c->engine.objective_name,
				  &c->engine.objective_arg };
	uint32_t nm = o->metric_names != NULL ? o->nmetrics : 0;

	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
		if (own(sw, fields[i]) != 0)
			return -1;
	for (uint32_t i = 0; i < c->nobjectives && i < RSW_MAX_OBJECTIVES; i++)
		if (own(sw, &c->objectives[i].name) != 0)
			return -1;
	if (nm > RSW_MAX_METRICS_LIMIT)
		nm = RSW_MAX_METRICS_LIMIT; /* refused by the loader, by name */
	for (uint32_t m = 0; m < nm; m++) {
		sw->metric_names[m] = o->metric_names[m];
		if (own(sw, &sw->metric_names[m]) != 0)
			return -1;
	}
	if (o->metric_names != NULL)
		o->metric_names = sw->metric_names;
	return 0;
}

/* The algorithm: from the registry, or the caller's own. */
static int
setup_algorithm(rsw_sweep *sw, char *err, size_t errlen)
{
	const rsw_sweep_config *c = &sw->cfg;
	int rc;

	if (c->algorithm != NULL) {
		if (c->algorithm->suggest == NULL || c->algorithm->update == NULL ||
		    c->algorithm->nparams != sw->space.n) {
			snprintf(err, errlen, "algorithm '%s': it needs suggest and "
				 "update, and %u parameters (it has %u)",
				 c->algorithm->name ? c->algorithm->name : "?",
				 sw->space.n, c->algorithm->nparams);
			return RSW_EINVAL;
		}
		/* The registry checks its own; yours is told by the same
		 * words (and proposes feasible points itself). */
		rc = rsw_space_check_feasible(&sw->space, err, errlen);
		if (rc != 0)
			return rc;
		sw->algo = c->algorithm;
		sw->algo_name = c->algorithm->name ? c->algorithm->name : "custom";
		return 0;
	}
	sw->algo_info = rsw_algo_find(c->algo);
	rc = rsw_algo_create(&sw->algo, c->algo, &sw->space, &c->algo_opts, err,
			     errlen);
	if (rc != 0)
		return rc;
	sw->own_algo = 1;
	sw->algo_name = sw->algo_info->name;
	return 0;
}

/* The points to evaluate first, from the caller or a file, the sweep's
 * own copy; the file's is read against the final space (ma_cross's
 * series added), and the configuration then holds its points. */
static int
setup_enqueue(rsw_sweep *sw, char *err, size_t errlen)
{
	rsw_sweep_config *c = &sw->cfg;
	size_t bytes;
	int rc;

	if (c->enqueue_file != NULL && c->nenqueue > 0) {
		snprintf(err, errlen, "--enqueue: give the points or a file, not both");
		return RSW_EINVAL;
	}
	if (c->enqueue_file != NULL) {
		rc = rsw_points_load(&sw->space, c->enqueue_file, &sw->enqueue,
				     &c->nenqueue, err, errlen);
		if (rc != 0)
			return rc;
	} else if (c->nenqueue > 0) {
		if (c->enqueue == NULL || c->nenqueue > RSW_ENQUEUE_MAX) {
			snprintf(err, errlen, "enqueue: %llu points %s",
				 (unsigned long long)c->nenqueue, c->enqueue == NULL ?
				 "and no values" : "are too many");
			return RSW_EINVAL;
		}
		bytes = (size_t)c->nenqueue * sw->space.n * sizeof(double);
		if ((sw->enqueue = malloc(bytes)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return RSW_ENOMEM;
		}
		memcpy(sw->enqueue, c->enqueue, bytes);
	}
	c->enqueue = sw->enqueue;
	c->enqueue_file = NULL;
	return 0;
}

/* The algorithm behind its warm start, which checks every point. */
static int
wrap_algorithm(rsw_sweep *sw, char *err, size_t errlen)
{
	rsw_algorithm *q;
	int rc;

	if (sw->cfg.nenqueue == 0)
		return 0;
	rc = rsw_algo_enqueue(&q, sw->algo, &sw->space, sw->enqueue,
			      sw->cfg.nenqueue, sw->cfg.algo_opts.minimize, err,
			      errlen);
	if (rc != 0)
		return rc;
	sw->inner_algo = sw->algo;
	sw->algo = q;
	return 0;
}

/* Export names the points' rows in a column "enqueued": no parameter or
 * metric may take that name then. */
static int
check_enqueued_name(const rsw_sweep *sw, char *err, size_t errlen)
{
	int clash = 0;

	if (sw->cfg.nenqueue == 0)
		return 0;
	for (uint32_t i = 0; i < sw->space.n; i++)
		clash |= strcmp(sw->space.params[i].name, "enqueued") == 0;
	for (uint32_t i = 0; i < sw->obj->nmetrics; i++)
		clash |= strcmp(sw->obj->metric_names[i], "enqueued") == 0;
	if (!clash)
		return 0;
	snprintf(err, errlen, "--enqueue: a parameter or metric named 'enqueued' "
		 "would clash with the column that marks the enqueued rows: "
		 "rename it");
	return RSW_EINVAL;
}

static int
setup_window(rsw_sweep *sw, char *err, size_t errlen)
{
	uint32_t max = sw->cfg.engine.max_inflight - 1;

	sw->window = sw->cfg.window;
	if (sw->window == 0)
		sw->window = sw->algo_info != NULL ?
				     rsw_algo_default_window(sw->algo_info,
							     &sw->cfg.algo_opts) :
				     64;
	/* A pruner learns only from results a window behind: grid's and
	 * random's 64 (cmaes's 4096) would leave the first tasks unjudged.
	 * A generation (genetic) stays whole. */
	if (sw->cfg.window == 0 && sw->cfg.prune.kind != RSW_PRUNE_NONE &&
	    sw->window > RSW__PRUNE_WINDOW &&
	    (sw->algo_info == NULL || sw->algo_info->default_window != 0))
		sw->window = RSW__PRUNE_WINDOW;
	if (sw->window > max)
		sw->window = sw->cfg.window != 0 ? sw->window : max;
	if (sw->window < 1 || sw->window > max) {
		snprintf(err, errlen, "--window must be from 1 to %u (max_inflight "
			 "- 1), got %u", max, sw->window);
		return RSW_EINVAL;
	}
	return 0;
}

/* The engine's settings, with what only the sweep knows filled in. */
static void
engine_config(const rsw_sweep *sw, rsw_config *e)
{
	*e = sw->cfg.engine;
	/* A pruner's thresholds travel as hidden parameters. */
	e->max_params = sw->space.n + (sw->prune != NULL ? sw->prune->steps : 0);
	e->max_metrics = sw->obj->nmetrics;
	e->objective_name = sw->obj->external_name;
	e->objective_arg = sw->obj->external_arg;
}

/* The checksum a store keeps of its sweep description (XXH3-128, hex). */
static void
description_checksum(const char *text, char *out, size_t n)
{
	XXH128_hash_t h = XXH3_128bits(text, strlen(text));

	snprintf(out, n, "xxh3-128:%016llx%016llx", (unsigned long long)h.high64,
		 (unsigned long long)h.low64);
}

/* A store written before stores kept the checksum has none: accepted, as
 * it was.  The checksum sits beside the text it covers, so it catches an
 * edit of the description (by hand, by a tool that rewrote the file), not
 * someone who also recomputes it. */
static int
description_intact(const char *text, const char *recorded)
{
	char now[64];

	if (recorded == NULL)
		return 1;
	if (text == NULL)
		return 0;
	description_checksum(text, now, sizeof now);
	return strcmp(now, recorded) == 0;
}

/* The sweep's description and its checksum, into the store. */
static int
record_description(rsw_sweep *sw)
{
	char sum[64], *desc = rsw__describe(&sw->cfg, &sw->space, sw->algo_name,
					    sw->window, sw->obj_loaded);
	int rc;

	if (desc == NULL)
		return RSW_ENOMEM;
	description_checksum(desc, sum, sizeof sum);
	rc = rsw_store_set_meta(sw->store, "sweep", desc);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "sweep_checksum", sum);
	free(desc);
	return rc;
}

/* Records what a resume needs, and what people look for, in the store. */
/* The hypervolume's reference point, recorded so that the report and a
 * later resume measure the front as this run did: JSON, own units. */
static int
record_hv_ref(rsw_sweep *sw)
{
	char text[RSW_MAX_OBJECTIVES * 32 + 4];
	size_t len = 0;

	if (sw->cfg.nhv_ref == 0 || sw->store == NULL)
		return 0;
	for (uint32_t k = 0; k < sw->cfg.nhv_ref; k++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%.17g",
					k ? "," : "[", sw->cfg.hv_ref[k]);
	snprintf(text + len, sizeof text - len, "]");
	return rsw_store_set_meta(sw->store, "hv_ref", text);
}

/* A resume without a reference point of its own takes the recorded one. */
static void
recorded_hv_ref(rsw_store *st, rsw_sweep_config *c)
{
	json_t *a = json_loads(rsw_store_meta(st, "hv_ref") ? rsw_store_meta(st, "hv_ref") :
			       "", 0, NULL);
	size_t i;
	json_t *v;

	if (json_is_array(a) && json_array_size(a) <= RSW_MAX_OBJECTIVES) {
		json_array_foreach(a, i, v)
			if (!json_is_number(v))
				break;
		if (i == json_array_size(a)) {
			json_array_foreach(a, i, v)
				c->hv_ref[i] = json_number_value(v);
			c->nhv_ref = (uint32_t)json_array_size(a);
		}
	}
	json_decref(a);
}

static int
describe_in_store(rsw_sweep *sw, char *err, size_t errlen)
{
	char buf[64], *inputs;
	int rc = 0;

	inputs = rsw__inputs_json(sw->obj->inputs);
	if (inputs == NULL)
		rc = RSW_ENOMEM;
	rc = rc ? rc : record_description(sw);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "inputs", inputs);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "argv",
					  sw->cfg.command_line ?
						  sw->cfg.command_line : "[]");
	rc = rc ? rc : rsw_store_set_meta(sw->store, "objective", sw->obj->name);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "algo", sw->algo_name);
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)sw->cfg.algo_opts.seed);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "seed", buf);
	snprintf(buf, sizeof buf, "%u", sw->window);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "window", buf);
	rc = rc ? rc : rsw_store_set_meta(sw->store, "direction",
					  sw->cfg.algo_opts.minimize ? "minimize" :
								       "maximize");
	/* Only when there are some: other stores keep their shape. */
	snprintf(buf, sizeof buf, "%llu", (unsigned long long)sw->cfg.nenqueue);
	if (sw->cfg.nenqueue > 0)
		rc = rc ? rc : rsw_store_set_meta(sw->store, "enqueued", buf);
	rc = rc ? rc : record_hv_ref(sw);
	if (rc != 0)
		snprintf(err, errlen, "--db %s", rsw_store_error(sw->store));
	free(inputs);
	return rc;
}

/* Where a file is, whether or not it exists yet: its canonical path, or
 * its directory's with its name appended; "" when neither resolves. */
static void
canonical(const char *path, char *out, size_t n)
{
	char dir[PATH_MAX], *slash;

	out[0] = '\0';
	if (realpath(path, out) != NULL || strlen(path) >= sizeof dir)
		return;
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir) {
		snprintf(out, n, "%s", path);
		return;
	}
	if (slash != NULL)
		*slash = '\0';
	if (realpath(slash != NULL ? dir : ".", out) == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out + strlen(out), n - strlen(out), "/%s",
		 slash != NULL ? slash + 1 : path);
}

/* Whether two paths name one file: the same inode when both exist, else
 * the same canonical path (a file about to be created). */
static int
same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	char ca[PATH_MAX], cb[PATH_MAX];

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	canonical(a, ca, sizeof ca);
	canonical(b, cb, sizeof cb);
	return ca[0] != '\0' && strcmp(ca, cb) == 0;
}

/* An output must not be an input, nor the other output: the results
 * file over the store or over the data would destroy what the sweep
 * reads or keeps. */
static int
check_outputs(const rsw_sweep *sw, const char *store, char *err, size_t errlen)
{
	const char *csv = sw->cfg.results_csv;

	if (store != NULL && csv != NULL && same_file(csv, store)) {
		snprintf(err, errlen, "--results '%s' and --db '%s' are the same "
			 "file: choose two names", csv, store);
		return RSW_EINVAL;
	}
	for (int i = 0; sw->obj->inputs[i] != NULL; i++) {
		const char *in = sw->obj->inputs[i];
		const char *out = store != NULL && same_file(store, in) ? "--db" :
				  csv != NULL && same_file(csv, in) ? "--results" : NULL;

		if (out != NULL) {
			snprintf(err, errlen, "%s '%s' is the objective's input file "
				 "'%s': choose another name", out,
				 strcmp(out, "--db") == 0 ? store : csv, in);
			return RSW_EINVAL;
		}
	}
	return 0;
}

/* In err, the temporary name the store was made under reads as its own. */
static void
name_it(char *err, const char *tmp, const char *path)
{
	char *at = strstr(err, tmp), rest[2048];

	if (at == NULL)
		return;
	snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
	snprintf(at, (size_t)(err + strlen(err) + 1 - at), "%s%s", path, rest);
}

/* What a start-up killed while it made a store left (PATH.creating-PID-N
 * of a process that is gone) is removed by the next one making PATH.  A
 * leftover is recognised by its name (no glob: PATH may hold any
 * character), and judged abandoned when its creator is not alive here,
 * or is this very process (a pid namespace that began again at the same
 * number), and it is older than CREATING_AGE_S (a creation takes
 * milliseconds: one on another machine sharing the directory is left
 * alone while it may still be running). */
#define CREATING_AGE_S 10

static void
remove_dead_creations(const char *path)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 32], full[PATH_MAX + NAME_MAX + 2];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1,
		 slash ? path : ".");
	if (slash == path)
		snprintf(dir, sizeof dir, "/");
	snprintf(prefix, sizeof prefix, "%s" CREATING, base);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat sb;
		long pid;

		if (strncmp(de->d_name, prefix, strlen(prefix)) != 0)
			continue;
		pid = strtol(de->d_name + strlen(prefix), NULL, 10);
		snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
		if (pid > 0 && ((kill((pid_t)pid, 0) != 0 && errno == ESRCH) ||
				pid == (long)getpid()) &&
		    lstat(full, &sb) == 0 && time(NULL) - sb.st_mtime >= CREATING_AGE_S)
			rsw_store_remove(full);
	}
	closedir(d);
}

/* Moves the made store to its name, never over a file there: rename
 * without replacing, or, where the file system has no such rename (NFS,
 * FUSE), a hard link (which fails on an existing name) and an unlink. */
static int
publish(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(tmp, path) != 0)
		return -1;
	unlink(tmp);
	return 0;
}

/* A new store appears whole or not at all: it is made and described under
 * a temporary name, then renamed into place (refusing to replace a file
 * that appeared meanwhile), then opened as any store is.  A start-up
 * killed half-way leaves nothing under the name: a retry with --db works,
 * and no --resume meets a file without its sweep. */
static int
create_store(rsw_sweep *sw, char *err, size_t errlen)
{
	const char *path = sw->cfg.store;
	char tmp[4200];
	int rc;

	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "--db '%s' already exists (continue it with "
			 "--resume, or choose another file)", path);
		return RSW_EINVAL;
	}
	remove_dead_creations(path);
	snprintf(tmp, sizeof tmp, "%s" CREATING "%d-%llx", path, (int)getpid(),
		 (unsigned long long)(rsw_now_ns() & 0xffffffffull));
	rc = rsw_store_create(&sw->store, tmp, &sw->space, sw->obj->nmetrics,
			      sw->obj->metric_names, err, errlen);
	if (rc != 0) {
		char msg[1024];

		name_it(err, tmp, path);
		snprintf(msg, sizeof msg, "--db %s", err);
		snprintf(err, errlen, "%s", msg);
		return rc;
	}
	rc = describe_in_store(sw, err, errlen);
	rsw_store_discard(sw->store);
	sw->store = NULL;
	if (rc == 0 && publish(tmp, path) != 0) {
		snprintf(err, errlen, errno == EEXIST ?
			 "--db '%s' already exists (continue it with --resume, or "
			 "choose another file)" : "--db '%s': cannot create it: %s",
			 path, strerror(errno));
		rc = errno == EEXIST ? RSW_EINVAL : RSW_ESTORE;
	}
	if (rc != 0) {
		name_it(err, tmp, path);
		rsw_store_remove(tmp);
		return rc;
	}
	rsw_store_remove(tmp); /* its side files, if SQLite left any */
	rc = rsw_store_open(&sw->store, path, RSW_STORE_APPEND, err, errlen);
	if (rc == 0 && rsw_store_bind_space(sw->store, &sw->space) != 0) {
		snprintf(err, errlen, "'%s': its results table does not match "
			 "its own sweep description", path);
		rsw_store_discard(sw->store);
		sw->store = NULL;
		rc = RSW_ESTORE;
	}
	/* Not removed if it cannot be opened now: it is whole, and someone
	 * else (a --resume started in between) may be writing it. */
	if (rc != 0) {
		char msg[1024];

		snprintf(msg, sizeof msg, "--db %s", err);
		snprintf(err, errlen, "%s", msg);
	}
	return rc;
}

/* CSV first, then the store; whatever was made is removed on failure. */
static int
setup_outputs(rsw_sweep *sw, rsw_store *resumed, char *err, size_t errlen)
{
	int rc;

	if ((rc = check_outputs(sw, sw->cfg.store, err, errlen)) != 0)
		return rc;
	if (sw->cfg.results_csv != NULL &&
	    (rc = rsw__sweep_csv_open(sw, sw->cfg.results_csv, err, errlen)) != 0)
		return rc;
	if (resumed != NULL) {
		sw->store = resumed;
		sw->resumed = 1;
		sw->replayed = rsw_store_rows(resumed);
		return 0;
	}
	if (sw->cfg.store == NULL)
		return 0;
	snprintf(sw->store_path, sizeof sw->store_path, "%s", sw->cfg.store);
	return create_store(sw, err, errlen);
}

static int
same_param(const rsw_param *a, const rsw_param *b)
{
	if (strcmp(a->name, b->name) != 0 || a->kind != b->kind || a->lo != b->lo ||
	    a->hi != b->hi || a->step != b->step || a->decimals != b->decimals ||
	    a->ncat != b->ncat)
		return 0;
	for (uint32_t i = 0; i < a->ncat && i < RSW_MAX_CATEGORIES; i++)
		if (a->kind == RSW_PARAM_CAT ? strcmp(a->cat[i], b->cat[i]) != 0 :
					       a->choice[i] != b->choice[i])
			return 0;
	return 1;
}

/* A store records each parameter as a spec a resume parses back: refuse,
 * now, a parameter whose spec would not read back as itself. */
static int
check_space(const rsw_space *space, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < space->n; i++) {
		char spec[RSW_PARAM_SPEC_MAX], why[256];
		rsw_space one;

		rsw_space_init(&one);
		rsw_param_spec(&space->params[i], spec, sizeof spec);
		if (spec[0] == '\0' || rsw_space_add(&one, spec, why, sizeof why) != 0 ||
		    !same_param(&one.params[0], &space->params[i])) {
			snprintf(err, errlen, "parameter '%s' cannot be recorded: "
				 "its spec '%.80s' does not read back as itself",
				 space->params[i].name, spec);
			return RSW_EINVAL;
		}
	}
	return 0;
}

/* Everything open and resume check and set up, in the order a person
 * fixes things; the caller undoes what was made if this fails. */
/* ma_cross over several series (--column A,B or *): the series becomes a
 * categorical parameter of the sweep, last, so that one sweep covers the
 * series x parameters matrix (a resumed sweep's space has it already). */
static int
add_series_param(rsw_sweep *sw, char *err, size_t errlen)
{
	const rsw_objective_spec *o = &sw->cfg.objective;
	char names[4096], spec[4200];

	if (o->name == NULL || strcmp(o->name, "ma_cross") != 0 || o->column == NULL ||
	    o->data == NULL || (strchr(o->column, ',') == NULL && strcmp(o->column, "*") != 0))
		return 0;
	for (uint32_t i = 0; i < sw->space.n; i++)
		if (strcmp(sw->space.params[i].name, "series") == 0)
			return 0;
	if (rsw__market_columns(o->data, o->column, names, sizeof names, err, errlen) < 0)
		return RSW_EINVAL;
	snprintf(spec, sizeof spec, "series=cat:%s", names);
	return rsw_space_add(&sw->space, spec, err, errlen) != 0 ? RSW_EINVAL : 0;
}

/* cfg.best_by: a categorical parameter of the space, and a row per
 * category for the best of each. */
static int
setup_best_by(rsw_sweep *sw, char *err, size_t errlen)
{
	const char *name = sw->cfg.best_by;

	if (name == NULL)
		return 0;
	for (uint32_t i = 0; i < sw->space.n; i++) {
		const rsw_param *p = &sw->space.params[i];

		if (strcmp(p->name, name) != 0)
			continue;
		if (p->kind != RSW_PARAM_CAT)
			break;
		sw->by_cat = calloc(p->ncat, sizeof *sw->by_cat);
		if (sw->by_cat == NULL) {
			snprintf(err, errlen, "out of memory");
			return RSW_ENOMEM;
		}
		for (uint32_t k = 0; k < p->ncat; k++)
			sw->by_cat[k].seq = UINT64_MAX;
		sw->nby = p->ncat;
		sw->best_by_param = (int)i;
		return 0;
	}
	snprintf(err, errlen, "--best-by '%s': not a categorical parameter of the "
		 "sweep", name);
	return RSW_EINVAL;
}

static int
objective_index(const rsw_sweep *sw, const char *name)
{
	return rsw__objective_slot(name, sw->obj->name, sw->cfg.objective.metric,
				   sw->obj->metric_names, sw->obj->nmetrics);
}

/* cfg.objectives by name -> algo_opts.objectives by position in a
 * result; an objective that is the value sets the sweep's direction
 * (the best and top tables follow it). */
static int
resolve_objectives(rsw_sweep *sw, char *err, size_t errlen)
{
	rsw_sweep_config *c = &sw->cfg;
	uint32_t n = c->nobjectives;
	int value_seen = 0;

	if (c->nhv_ref != 0 && c->nhv_ref != n) {
		snprintf(err, errlen, "a hypervolume reference point (--hv-ref) "
			 "needs one value per objective: %u given, %u objectives",
			 c->nhv_ref, n);
		return RSW_EINVAL;
	}
	if (n == 0)
		return 0;
	if (n == 1 || n > RSW_MAX_OBJECTIVES) {
		snprintf(err, errlen, "a multi-objective sweep has 2 to %d "
			 "objectives, got %u (for one, give only its direction, "
			 "and ma_cross's --metric)", RSW_MAX_OBJECTIVES, n);
		return RSW_EINVAL;
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *name = c->objectives[i].name;
		int at = name != NULL ? objective_index(sw, name) : -2;

		if (at == -2) {
			size_t len = 0;
			char known[1024];

			len += (size_t)snprintf(known, sizeof known, "value");
			for (uint32_t m = 0; m < sw->obj->nmetrics && len < sizeof known; m++)
				len += (size_t)snprintf(known + len, sizeof known - len,
							", %s", sw->obj->metric_names[m]);
			snprintf(err, errlen, "objective '%s': not the value or a "
				 "metric of objective %s (it has: %s)",
				 name != NULL ? name : "(none)", sw->obj->name, known);
			return RSW_EINVAL;
		}
		for (uint32_t j = 0; j < i; j++)
			if (c->algo_opts.objectives[j].metric == at) {
				snprintf(err, errlen, "objective '%s' is given twice "
					 "(as '%s' before)", name,
					 c->objectives[j].name);
				return RSW_EINVAL;
			}
		c->algo_opts.objectives[i].metric = at;
		c->algo_opts.objectives[i].minimize = c->objectives[i].minimize ? 1 : 0;
		if (at == -1 && !value_seen++)
			c->algo_opts.minimize = c->algo_opts.objectives[i].minimize;
	}
	c->algo_opts.nobjectives = n;
	rsw_pareto_archive_init(&sw->front, n, sizeof(rsw_sweep_row));
	return 0;
}

/* The pruner's two halves around the objective and the algorithm. */
static int
setup_pruning(rsw_sweep *sw, char *err, size_t errlen)
{
	rsw_algorithm *wrapped;
	int rc;

	sw->prune = calloc(1, sizeof *sw->prune);
	if (sw->prune == NULL) {
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	rc = rsw__prune_wrap(sw->prune, &sw->cfg.prune, sw->obj_loaded, sw->space.n,
			     sw->cfg.algo_opts.minimize, err, errlen);
	if (rc == 0)
		rc = rsw__prune_algorithm(&wrapped, sw->algo, sw->own_algo,
					  &sw->cfg.prune, sw->prune);
	if (rc != 0) {
		free(sw->prune);
		sw->prune = NULL;
		return rc;
	}
	sw->algo = wrapped;
	sw->own_algo = 1;
	sw->obj = &sw->prune->info;
	return 0;
}

static int
setup_parts(rsw_sweep *sw, rsw_store *resumed, char *err, size_t errlen)
{
	rsw_config probe = sw->cfg.engine;
	int rc;

	if ((rc = add_series_param(sw, err, errlen)) != 0 ||
	    (rc = setup_best_by(sw, err, errlen)) != 0)
		return rc;
	probe.max_params = sw->space.n;
	if ((rc = check_space(&sw->space, err, errlen)) != 0 ||
	    (rc = rsw_config_validate(&probe, err, errlen)) != 0 ||
	    (rc = setup_enqueue(sw, err, errlen)) != 0)
		return rc;
	/* Several objectives are named by the objective's metrics: it is
	 * loaded first, for the algorithm needs where they are. */
	if ((sw->cfg.nobjectives > 0 || sw->cfg.nhv_ref > 0) &&
	    ((rc = rsw_objective_load(&sw->objective, &sw->cfg.objective,
				      &sw->space, err, errlen)) != 0 ||
	     (sw->obj = rsw_loaded_objective_info(sw->objective),
	      rc = resolve_objectives(sw, err, errlen)) != 0))
		return rc;
	if (sw->cfg.prune.kind != RSW_PRUNE_NONE && sw->cfg.nobjectives > 0) {
		snprintf(err, errlen, "--prune works on one objective (a pruned "
			 "evaluation has no place on a Pareto front)");
		return RSW_EINVAL;
	}
	if ((rc = setup_algorithm(sw, err, errlen)) != 0 ||
	    (rc = wrap_algorithm(sw, err, errlen)) != 0 ||
	    (rc = setup_window(sw, err, errlen)) != 0 ||
	    (sw->objective == NULL &&
	     (rc = rsw_objective_load(&sw->objective, &sw->cfg.objective,
				      &sw->space, err, errlen)) != 0))
		return rc;
	sw->obj = sw->obj_loaded = rsw_loaded_objective_info(sw->objective);
	if ((rc = check_enqueued_name(sw, err, errlen)) != 0)
		return rc;
	if (sw->cfg.prune.kind != RSW_PRUNE_NONE && (rc = setup_pruning(sw, err, errlen)) != 0)
		return rc;
	/* A command's failures say why: its stderr's tail is kept. */
	if (sw->obj->kind == RSW_OBJECTIVE_KIND_COMMAND &&
	    sw->cfg.engine.max_message < RSW__CMD_MESSAGE_MAX)
		sw->cfg.engine.max_message = RSW__CMD_MESSAGE_MAX;
	engine_config(sw, &probe);
	if ((rc = rsw_config_validate(&probe, err, errlen)) != 0)
		return rc;
	if (resumed != NULL && rsw_store_bind_space(resumed, &sw->space) != 0) {
		snprintf(err, errlen, "its results table does not match its own "
			 "sweep description");
		return RSW_EINVAL;
	}
	if ((rc = setup_outputs(sw, resumed, err, errlen)) != 0)
		return rc;
	if (sw->algo_info != NULL)
		sw->total = rsw_algo_budget(sw->algo_info, &sw->space,
					    &sw->cfg.algo_opts);
	/* A grid walks only its feasible points: the rest is said, once. */
	if (sw->algo_info != NULL && (sw->algo_info->options & RSW_ALGO_OPT_EVALS) == 0)
		sw->infeasible_points = rsw_space_grid_size(&sw->space) - sw->total;
	/* The enqueued points come on top of the algorithm's budget. */
	if (sw->algo_info != NULL)
		sw->total += sw->cfg.nenqueue;
	return 0;
}

/* The common path of open and resume; `resumed` is the store to continue
 * (NULL for a new sweep).  On failure nothing is left behind. */
static int
sweep_setup(rsw_sweep **out, const rsw_sweep_config *c, rsw_store *resumed,
	    char *err, size_t errlen)
{
	rsw_sweep *sw;
	int rc;

	*out = NULL;
	if (c->space == NULL || c->space->n == 0) {
		snprintf(err, errlen, "no parameters: give at least one --param "
			 "NAME=SPEC");
		return RSW_EINVAL;
	}
	if (c->top_n > RSW_SWEEP_TOP_MAX) {
		snprintf(err, errlen, "top_n must be at most %d, got %u",
			 RSW_SWEEP_TOP_MAX, c->top_n);
		return RSW_EINVAL;
	}
	sw = calloc(1, sizeof *sw);
	if (sw == NULL || (c->top_n > 0 &&
			   (sw->top = calloc((size_t)c->top_n + 1, sizeof *sw->top)) == NULL)) {
		free(sw);
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	sw->space = *c->space;
	sw->cfg = *c;
	sw->cfg.space = &sw->space;
	if (own_strings(sw) != 0) {
		sweep_free(sw);
		snprintf(err, errlen, "out of memory");
		return RSW_ENOMEM;
	}
	sw->first_failed_seq = UINT64_MAX;
	sw->workers = c->engine.workers;
	if (errlen > 0)
		err[0] = '\0';
	rc = setup_parts(sw, resumed, err, errlen);
	if (rc != 0) {
		if (errlen > 0 && err[0] == '\0')
			snprintf(err, errlen, "%s", rsw_strerror(rc));
		if (sw->csv != NULL) {
			fclose(sw->csv);
			unlink(sw->csv_partial);
		}
		if (sw->store == resumed)
			sw->store = NULL; /* still the caller's */
		sweep_free(sw);
		return rc;
	}
	*out = sw;
	return 0;
}

int
rsw_sweep_open(rsw_sweep **out, const rsw_sweep_config *cfg, char *err,
	       size_t errlen)
{
	if (out == NULL || cfg == NULL) {
		snprintf(err, errlen, "rsw_sweep_open: no sweep configuration");
		return RSW_EINVAL;
	}
	return sweep_setup(out, cfg, NULL, err, errlen);
}

int
rsw_halt_parse(const char *text, rsw_halt_policy *out, char *err, size_t errlen)
{
	char when[8], rest[64], extra;
	double v;
	int pos = 0;

	memset(out, 0, sizeof *out);
	if (text != NULL && strcmp(text, "never") == 0)
		return 0;
	if (text == NULL || sscanf(text, "%7[a-z],fail=%63s", when, rest) != 2 ||
	    (strcmp(when, "now") != 0 && strcmp(when, "soon") != 0))
		goto bad;
	out->when = strcmp(when, "now") == 0 ? RSW_HALT_NOW : RSW_HALT_SOON;
	if (sscanf(rest, "%lf%n", &v, &pos) != 1 || !(v > 0))
		goto bad;
	if (rest[pos] == '%' && rest[pos + 1] == '\0' && v <= 100) {
		out->fail_percent = v;
		return 0;
	}
	if (sscanf(rest, "%lf%c", &v, &extra) == 1 && v == (double)(uint64_t)v) {
		out->fail_count = (uint64_t)v;
		return 0;
	}
bad:
	memset(out, 0, sizeof *out);
	snprintf(err, errlen, "--halt '%s': give never, or now|soon,fail=N (a count "
		 "of failed tasks) or now|soon,fail=P%% (0 < P <= 100)",
		 text != NULL ? text : "");
	return RSW_EINVAL;
}

/* The execution settings a resume takes from the caller, and the code a
 * store cannot hold where the description says the sweep used some. */
static void
apply_exec(rsw_sweep_config *c, const rsw_sweep_config *x)
{
	c->engine.workers = x->engine.workers;
	c->engine.idle = x->engine.idle;
	c->engine.max_batch = x->engine.max_batch;
	c->engine.external_slots = x->engine.external_slots;
	c->engine.pin = x->engine.pin;
	c->engine.nice = x->engine.nice;
	c->engine.recycle_after = x->engine.recycle_after;
	c->engine.soft_mem = x->engine.soft_mem;
	c->engine.max_message = x->engine.max_message;
	c->engine.ring_capacity = x->engine.ring_capacity;
	c->engine.mode = x->engine.mode;
	c->halt = x->halt;
	c->best_by = x->best_by;
	c->nhv_ref = x->nhv_ref;
	memcpy(c->hv_ref, x->hv_ref, sizeof c->hv_ref);
	c->engine.thread_stack_kb = x->engine.thread_stack_kb;
	c->engine.close_inherited_fds = x->engine.close_inherited_fds;
	c->engine.keep_fds = x->engine.keep_fds;
	c->engine.nkeep_fds = x->engine.nkeep_fds;
	c->engine.startup_timeout_s = x->engine.startup_timeout_s;
	c->results_csv = x->results_csv;
	c->on_commit = x->on_commit;
	c->commit_ctx = x->commit_ctx;
	c->top_n = x->top_n;
	c->executor = x->executor;
	c->executor_ctx = x->executor_ctx;
	c->objective.init_timeout_s = x->objective.init_timeout_s;
	if (c->algo == NULL)
		c->algorithm = x->algorithm;
	if (c->objective.label != NULL) {
		c->objective.fn = x->objective.fn;
		c->objective.ctx = x->objective.ctx;
		c->objective.worker_init = x->objective.worker_init;
		c->objective.worker_fini = x->objective.worker_fini;
	}
}

/* Whether a resume's caller gives a budget to raise the study to. */
static bool
budget_given(const rsw_sweep_config *exec)
{
	return exec != NULL && (exec->algo_opts.evals != 0 || exec->algo_opts.generations != 0);
}

/*
 * A resume given a budget (evals, or genetic's generations): the study
 * goes on to it.  Only a larger one: the rows stored are the first ones of
 * the larger study, as every built-in algorithm's suggestion k depends on
 * (seed, k, the results before k), never on the budget.
 */
static int
raise_budget(rsw_sweep_config *c, const rsw_space *space, const rsw_algo_opts *x,
	     char *err, size_t errlen)
{
	const rsw_algo_info *a = c->algo != NULL ? rsw_algo_find(c->algo) : NULL;
	uint32_t want = x->evals != 0 ? RSW_ALGO_OPT_EVALS : RSW_ALGO_OPT_GENERATIONS;
	rsw_algo_opts o = c->algo_opts;
	uint64_t before, after;

	if (a == NULL || (a->options & want) == 0) {
		snprintf(err, errlen, "it ran %s%s, which has no --%s: its budget "
			 "cannot be raised", a != NULL ? "--algo " : "an algorithm of "
			 "the program's own", a != NULL ? a->name : "",
			 rsw_algo_option_name(want));
		return RSW_EINVAL;
	}
	before = rsw_algo_budget(a, space, &c->algo_opts);
	/* bayes's default design is cut to a small budget: the design the
	 * stored rows came from stays. */
	if ((a->options & RSW_ALGO_OPT_INIT) != 0)
		o.init = rsw_algo_bayes_init(space->n, &c->algo_opts);
	if (x->evals != 0) {
		o.evals = x->evals;
		o.generations = 0; /* genetic: the evals decide */
	} else {
		o.generations = x->generations;
		o.evals = 0;
	}
	after = rsw_algo_budget(a, space, &o);
	if (after < before) {
		snprintf(err, errlen, "its budget is %llu evaluations: a resume may "
			 "raise it, not lower it to %llu", (unsigned long long)before,
			 (unsigned long long)after);
		return RSW_EINVAL;
	}
	c->algo_opts = o;
	return 0;
}

/* A resume given enqueued points again (a file, or values): they must be
 * the recorded ones, which it runs in any case. */
static int
same_enqueue(const rsw_sweep_config *c, const rsw_space *space,
	     const rsw_sweep_config *x, char *err, size_t errlen)
{
	const char *what = x->enqueue_file != NULL ? x->enqueue_file : "the points given";
	double *given = (double *)x->enqueue;
	uint64_t n = x->nenqueue;
	int rc = 0;

	if (x->enqueue_file == NULL && x->nenqueue == 0)
		return 0;
	if (c->nenqueue == 0) {
		snprintf(err, errlen, "it was run without enqueued points: --enqueue "
			 "'%s' cannot be added on resume", what);
		return RSW_EINVAL;
	}
	if (x->enqueue_file != NULL &&
	    (rc = rsw_points_load(space, x->enqueue_file, &given, &n, err, errlen)) != 0)
		return rc;
	if (n != c->nenqueue || given == NULL ||
	    memcmp(given, c->enqueue, n * space->n * sizeof(double)) != 0) {
		snprintf(err, errlen, "--enqueue '%s' is not the list of %llu points "
			 "it was run with (it needs no --enqueue: the store holds "
			 "them)", what, (unsigned long long)c->nenqueue);
		rc = RSW_EINVAL;
	}
	if (x->enqueue_file != NULL)
		rsw_points_free(given);
	return rc;
}

/* Rebuilds the configuration from the store's description. */
static int
rebuild(rsw_store *st, const rsw_sweep_config *exec, rsw_sweep_config *c,
	rsw_space *space, json_t **desc, const char **metric_names, char *err,
	size_t errlen)
{
	const char *version = rsw_store_meta(st, "version");
	const char *text = rsw_store_meta(st, "sweep");
	int rc;

	if (version == NULL || strcmp(version, RSW_VERSION_STRING) != 0) {
		snprintf(err, errlen, "written by ringsweep %s, this is %s",
			 version ? version : "?", RSW_VERSION_STRING);
		return RSW_EINVAL;
	}
	*desc = text != NULL ? json_loads(text, 0, NULL) : NULL;
	if (!json_is_object(*desc)) {
		snprintf(err, errlen, "it holds no sweep description (it can be "
			 "exported, not resumed)");
		return RSW_EINVAL;
	}
	/* A store is data, not a script: what it would run (a command, a
	 * plugin, their arguments) must be what the sweep that wrote it
	 * recorded, not an edit made since (see description_intact for what
	 * the check can and cannot tell). */
	if (!description_intact(text, rsw_store_meta(st, "sweep_checksum"))) {
		snprintf(err, errlen, "its sweep description was changed after it "
			 "was written (its checksum does not match): it is not run");
		return RSW_EINVAL;
	}
	rsw_sweep_config_init(c);
	rc = rsw__undescribe(*desc, c, space, metric_names, err, errlen);
	if (rc != 0)
		return rc;
	if (c->algo == NULL && (exec == NULL || exec->algorithm == NULL)) {
		snprintf(err, errlen, "it ran an algorithm of the program's own: "
			 "pass it again to resume");
		return RSW_EINVAL;
	}
	if (c->objective.label != NULL && (exec == NULL || exec->objective.fn == NULL)) {
		snprintf(err, errlen, "its objective is a C function ('%s'): pass "
			 "it again to resume", c->objective.label);
		return RSW_EINVAL;
	}
	if (json_is_true(json_object_get(*desc, "feasible_fn"))) {
		if (exec == NULL || exec->space == NULL || exec->space->feasible == NULL) {
			snprintf(err, errlen, "its constraints include a function of "
				 "the program's own: pass it again (space.feasible) "
				 "to resume");
			return RSW_EINVAL;
		}
		space->feasible = exec->space->feasible;
		space->feasible_ctx = exec->space->feasible_ctx;
	} else if (exec != NULL && exec->space != NULL && exec->space->feasible != NULL) {
		snprintf(err, errlen, "it was run without a feasibility function: "
			 "one cannot be added on resume");
		return RSW_EINVAL;
	}
	/* The other way round: what the store does hold is not replaced. */
	if (exec != NULL && c->algo != NULL && exec->algorithm != NULL) {
		snprintf(err, errlen, "it ran --algo %s: an algorithm of the "
			 "program's own cannot take its place", c->algo);
		return RSW_EINVAL;
	}
	if (exec != NULL && c->objective.label == NULL && exec->objective.fn != NULL) {
		snprintf(err, errlen, "its objective is recorded (%s): a C function "
			 "cannot take its place", c->objective.cmd != NULL ? "a command" :
			 c->objective.name);
		return RSW_EINVAL;
	}
	if (exec != NULL && (rc = same_enqueue(c, space, exec, err, errlen)) != 0)
		return rc;
	if (exec != NULL)
		apply_exec(c, exec);
	if (c->nhv_ref == 0)
		recorded_hv_ref(st, c);
	if (budget_given(exec)) {
		rc = raise_budget(c, space, &exec->algo_opts, err, errlen);
		if (rc != 0)
			return rc;
	}
	return rsw__inputs_check(rsw_store_meta(st, "inputs"), 0, err, errlen);
}

int
rsw_sweep_resume(rsw_sweep **out, const char *store, const rsw_sweep_config *exec,
		 char *err, size_t errlen)
{
	rsw_sweep_config c;
	rsw_space space;
	rsw_store *st;
	json_t *desc = NULL;
	const char **metric_names;
	char why[768];
	int rc;

	*out = NULL;
	memset(&c, 0, sizeof c);
	metric_names = calloc(RSW_MAX_METRICS_LIMIT, sizeof *metric_names);
	if (metric_names == NULL)
		return RSW_ENOMEM;
	rc = rsw_store_open(&st, store, RSW_STORE_APPEND, err, errlen);
	if (rc != 0) {
		free(metric_names);
		return rc;
	}
	rc = rebuild(st, exec, &c, &space, &desc, metric_names, why, sizeof why);
	c.store = store; /* the store it continues: no output may be it */
	if (rc == 0)
		rc = sweep_setup(out, &c, st, why, sizeof why);
	free((double *)c.enqueue); /* undescribed: the sweep has its copy */
	if (rc == 0 &&
	    (rc = rsw__inputs_same(rsw_store_meta(st, "inputs"),
				   (*out)->obj->inputs, why, sizeof why)) != 0) {
		(*out)->store = NULL; /* still ours to discard, below */
		rsw_sweep_close(*out, NULL, 0);
		*out = NULL;
	}
	if (rc != 0) {
		snprintf(err, errlen, "'%s': %s", store, why);
		rsw_store_discard(st);
		json_decref(desc);
		free(metric_names);
		return rc;
	}
	(*out)->description = desc;
	/* The description's strings and the metric names live as long as
	 * the sweep: copy the names into it and point there. */
	memcpy((*out)->metric_names, metric_names,
	       sizeof(*metric_names) * RSW_MAX_METRICS_LIMIT);
	(*out)->cfg.objective.metric_names = (*out)->metric_names;
	free(metric_names);
	snprintf((*out)->store_path, sizeof (*out)->store_path, "%s", store);
	/* A raised budget is the sweep's from now on: a later resume goes
	 * on to it, not back to the old one. */
	if (((budget_given(exec) && record_description(*out) != 0) ||
	     (exec != NULL && exec->nhv_ref > 0 && record_hv_ref(*out) != 0))) {
		snprintf(err, errlen, "'%s': %s", store, rsw_store_error(st));
		rsw_sweep_close(*out, NULL, 0);
		*out = NULL;
		return RSW_ESTORE;
	}
	return 0;
}

int
rsw_sweep_start(rsw_sweep *sw)
{
	rsw_config ecfg;
	rsw_engine *e;
	int rc;

	if (sw->started)
		return 0;
	engine_config(sw, &ecfg);
	if (sw->cfg.executor != NULL) {
		const rsw_executor_ops *ops = NULL;
		void *self = NULL;

		sw->errmsg[0] = '\0';
		rc = sw->cfg.executor(sw->cfg.executor_ctx, sw, &ecfg, &ops, &self,
				      sw->errmsg, sizeof sw->errmsg);
		if (rc == 0)
			rc = rsw_engine_open_executor(&e, &ecfg, ops, self);
		if (rc != 0 && sw->errmsg[0] == '\0')
			snprintf(sw->errmsg, sizeof sw->errmsg,
				 "cannot start the executor: %s", rsw_strerror(rc));
		if (rc != 0)
			return rc;
	} else if ((rc = rsw_engine_open(&e, &ecfg, &sw->obj->objective)) != 0) {
		snprintf(sw->errmsg, sizeof sw->errmsg, "cannot start the engine: %s",
			 rsw_strerror(rc));
		return rc;
	}
	sw->engine = e;
	sw->started = 1;
	/* A cancel that came while the engine started still counts. */
	if (sw->cancel)
		rsw_engine_cancel(e);
	return 0;
}

static int
replay_row(void *ctx, uint64_t seq, const double *params, uint32_t nparams,
	   rsw_result *out)
{
	const rsw_sweep *sw = ctx;

	/* A pruner's hidden parameters are not stored: only the space's. */
	return rsw_store_replay(sw->store, seq, params,
				nparams < sw->space.n ? nparams : sw->space.n, out);
}

/* Turns rsw_run's answer into the sweep's, with a sentence. */
static int
explain(rsw_sweep *sw, int rc)
{
	char *m = sw->errmsg;
	size_t n = sizeof sw->errmsg;

	if (sw->store_failed) {
		snprintf(m, n, "database %s; the sweep stopped",
			 rsw_store_error(sw->store));
		return RSW_ESTORE;
	}
	if (sw->halted && (rc == 0 || rc == RSW_ECANCELED)) {
		const rsw_halt_policy *h = &sw->cfg.halt;

		snprintf(m, n, "halted (%s) at task %llu (%s), this run's failure "
			 "number %llu; %llu of its %llu committed tasks failed; "
			 "committed results are kept",
			 h->when == RSW_HALT_NOW ? "now" : "soon: running tasks finished",
			 (unsigned long long)sw->halt_seq, rsw_status_name(sw->halt_status),
			 (unsigned long long)sw->halt_failures,
			 (unsigned long long)sw->run_failed,
			 (unsigned long long)sw->run_commits);
		return RSW_EHALTED;
	}
	if (rc == RSW_ECANCELED && (sw->stop || sw->cancel)) {
		snprintf(m, n, "interrupted: committed results are kept");
		return rc;
	}
	if (rc == RSW_EREPLAY) {
		snprintf(m, n, "'%s': its stored evaluations do not match this "
			 "sweep's parameters", sw->store_path);
		return rc;
	}
	if (rc == RSW_ETASKFAILED) {
		snprintf(m, n, "task %llu failed for good (%s) and on_error is "
			 "fail: nothing after it was started",
			 (unsigned long long)sw->first_failed_seq,
			 rsw_status_name(sw->first_failed_status));
		return rc;
	}
	if (rc != 0) {
		/* An executor's own sentence (a remote node's failure) says
		 * more than the code. */
		const char *why = rsw_engine_executor_errmsg(sw->engine);

		snprintf(m, n, "sweep failed: %s",
			 why != NULL && why[0] != '\0' ? why : rsw_strerror(rc));
		return rc;
	}
	if (sw->commits > 0 && sw->by_status[RSW_STATUS_OK] == 0) {
		uint64_t inf = sw->by_status[RSW_STATUS_INFEASIBLE];
		uint64_t pruned = sw->by_status[RSW_STATUS_PRUNED];

		if (sw->failed == 0 && pruned == 0)
			snprintf(m, n, "no evaluation succeeded: all %llu points "
				 "were infeasible", (unsigned long long)sw->commits);
		else if (sw->failed == 0)
			snprintf(m, n, "no evaluation succeeded: %llu pruned, %llu "
				 "infeasible (an objective that stops without a "
				 "pruner's word is pruned too)", (unsigned long long)pruned,
				 (unsigned long long)inf);
		else
			snprintf(m, n, "every evaluation failed (%llu; the first, "
				 "task %llu, with status %s)",
				 (unsigned long long)sw->commits,
				 (unsigned long long)sw->first_failed_seq,
				 rsw_status_name(sw->first_failed_status));
		return RSW_EALLFAILED;
	}
	return 0;
}

int
rsw_sweep_run(rsw_sweep *sw)
{
	rsw_run_options ro;
	uint64_t t0;
	int rc;

	if (sw->ran) {
		snprintf(sw->errmsg, sizeof sw->errmsg, "this sweep already ran");
		return RSW_EINVAL;
	}
	rc = rsw_sweep_start(sw);
	if (rc != 0) {
		sw->ran = 1;
		sw->run_rc = rc;
		return rc;
	}
	memset(&ro, 0, sizeof ro);
	ro.window = sw->window;
	ro.on_commit = rsw__sweep_commit;
	ro.commit_ctx = sw;
	ro.stop = &sw->stop;
	if (sw->replayed > 0) {
		ro.replay_count = sw->replayed;
		ro.replay = replay_row;
		ro.replay_ctx = sw;
	}
	sw->start_ns = t0 = rsw_now_ns();
	rc = rsw_run(sw->engine, sw->algo, &ro);
	sw->wall_s = (double)(rsw_now_ns() - t0) / 1e9;
	rsw__sweep_publish(sw, 1);
	rsw_engine_stats(sw->engine, &sw->final_stats);
	sw->ran = 1;
	sw->run_rc = explain(sw, rc);
	return sw->run_rc;
}

void
rsw_sweep_stop(rsw_sweep *sw)
{
	sw->stop = 1;
}

void
rsw_sweep_cancel(rsw_sweep *sw)
{
	rsw_engine *e = sw->engine;

	sw->stop = 1;
	sw->cancel = 1;
	if (e != NULL)
		rsw_engine_cancel(e);
}

int
rsw_sweep_close(rsw_sweep *sw, char *err, size_t errlen)
{
	int rc = 0;

	if (sw == NULL)
		return 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (sw->engine != NULL) {
		/* Cleared first: a cancel from another thread or a signal then
		 * finds no engine rather than a freed one. */
		rsw_engine *e = sw->engine;

		sw->engine = NULL;
		rsw_engine_close(e);
	}
	/* A resumed store that did not run again keeps the outcome it had;
	 * one whose rows were refused (not this sweep's: nothing new can
	 * have been committed before the replay ended) is left as it was,
	 * byte for byte. */
	if (sw->store != NULL && sw->resumed &&
	    (!sw->ran || sw->run_rc == RSW_EREPLAY)) {
		rsw_store_discard(sw->store);
		sw->store = NULL;
	}
	if (sw->store != NULL &&
	    rsw_store_close(sw->store, !sw->ran ? "not started" :
				       sw->run_rc == 0 ? "done" :
				       sw->run_rc == RSW_ECANCELED ||
						       sw->run_rc == RSW_EHALTED ? "interrupted" :
										   "failed") != 0) {
		snprintf(err, errlen, "database '%s': the final write failed",
			 sw->store_path);
		rc = RSW_ESTORE;
	}
	sw->store = NULL;
	if (sw->csv != NULL) {
		int werr = fflush(sw->csv) != 0 || ferror(sw->csv);

		werr |= fclose(sw->csv) != 0;
		sw->csv = NULL;
		/* Only a finished sweep's file takes its name: one that failed
		 * or was stopped keeps what it committed in PATH.partial, so
		 * that an incomplete file never looks complete; a sweep that
		 * never ran leaves no file. */
		int finished = sw->ran && (sw->run_rc == 0 ||
					   sw->run_rc == RSW_EALLFAILED);

		if (!sw->ran || werr) {
			if (sw->ran && rc == 0) {
				snprintf(err, errlen, "--results '%s': write failed: %s",
					 sw->csv_path, strerror(errno));
				rc = RSW_ESTORE;
			}
			unlink(sw->csv_partial);
		} else if (finished && rename(sw->csv_partial, sw->csv_path) != 0) {
			snprintf(err, errlen, "--results '%s': cannot rename it into "
				 "place: %s", sw->csv_path, strerror(errno));
			rc = RSW_ESTORE;
		}
	}
	sweep_free(sw);
	return rc;
}

const char *
rsw_sweep_errmsg(const rsw_sweep *sw)
{
	return sw->errmsg;
}

/* ---------------------------------------------------------- accessors */

const rsw_sweep_config *
rsw_sweep_config_of(const rsw_sweep *sw)
{
	return &sw->cfg;
}

const rsw_space *
rsw_sweep_space(const rsw_sweep *sw)
{
	return &sw->space;
}

const rsw_objective_info *
rsw_sweep_objective(const rsw_sweep *sw)
{
	return sw->obj;
}

const char *
rsw_sweep_algo_name(const rsw_sweep *sw)
{
	return sw->algo_name;
}

const rsw_algorithm *
rsw_sweep_algorithm(const rsw_sweep *sw)
{
	return sw->algo;
}

uint32_t
rsw_sweep_window(const rsw_sweep *sw)
{
	return sw->window;
}

int
rsw_sweep_minimize(const rsw_sweep *sw)
{
	return sw->cfg.algo_opts.minimize;
}

int
rsw_sweep_workers(const rsw_sweep *sw)
{
	return sw->workers;
}

const char *
rsw_sweep_store_path(const rsw_sweep *sw)
{
	return sw->store != NULL ? sw->store_path : NULL;
}

const char *
rsw_sweep_arena(const rsw_sweep *sw)
{
	return sw->engine != NULL ? rsw_engine_arena_name(sw->engine) : NULL;
}

uint64_t
rsw_sweep_replayed(const rsw_sweep *sw)
{
	return sw->replayed;
}

uint64_t
rsw_sweep_enqueued(const rsw_sweep *sw, const double **points)
{
	if (points != NULL)
		*points = sw->enqueue;
	return sw->cfg.nenqueue;
}

void
rsw_sweep_summary_get(const rsw_sweep *sw, rsw_sweep_summary *out)
{
	memset(out, 0, sizeof *out);
	out->committed = sw->commits;
	memcpy(out->by_status, sw->by_status, sizeof out->by_status);
	out->replayed = sw->replayed;
	out->infeasible_points = sw->infeasible_points;
	out->wall_s = sw->wall_s;
	if (sw->ran && sw->started)
		out->engine = sw->final_stats;
	else if (sw->engine != NULL)
		rsw_engine_stats(sw->engine, &out->engine);
}

int
rsw_sweep_best(const rsw_sweep *sw, rsw_best *out)
{
	return sw->algo->best != NULL ? sw->algo->best(sw->algo, out) : RSW_ENOENT;
}

uint32_t
rsw_sweep_top(const rsw_sweep *sw, const rsw_sweep_row **rows)
{
	*rows = sw->top;
	return sw->ntop;
}

uint32_t
rsw_sweep_pareto(const rsw_sweep *sw, const rsw_sweep_row **rows)
{
	*rows = (const rsw_sweep_row *)sw->front.payload;
	return sw->front.n;
}

double
rsw_sweep_hypervolume(const rsw_sweep *sw, double *ref)
{
	const rsw_sweep_config *c = &sw->cfg;
	double r[RSW_MAX_OBJECTIVES];
	uint32_t n = c->algo_opts.nobjectives;

	if (n < 2 || !sw->have_worst)
		return NAN;
	for (uint32_t k = 0; k < n; k++) {
		int minimize = c->algo_opts.objectives[k].minimize;

		r[k] = c->nhv_ref > 0 ? (minimize ? c->hv_ref[k] : -c->hv_ref[k]) :
				       sw->worst[k];
		if (ref != NULL)
			ref[k] = minimize ? r[k] : -r[k];
	}
	return rsw_hypervolume(sw->front.obj, sw->front.n, n, r);
}

uint32_t
rsw_sweep_best_by(const rsw_sweep *sw, const rsw_sweep_row **rows)
{
	*rows = sw->by_cat;
	return sw->by_cat != NULL ? sw->nby : 0;
}
