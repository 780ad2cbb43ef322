/*
 * sweep/describe.c - what a store records so that a sweep can be rebuilt
 * from it alone: the description (JSON, the store's "sweep" key) and the
 * fingerprints of the files the sweep reads (its "inputs" key).
 *
 * The description holds what decides the results and nothing else: the
 * space as specs that parse back to the same parameters, the algorithm
 * and its options, direction, window, the points evaluated first (a warm
 * start's), the objective with absolute paths, and the engine policies
 * that change a result.  Execution settings
 * (workers, idle mode, pinning, ...) are left out on purpose: a resume
 * may choose them anew.
 *
 * A fingerprint is XXH3-128 of the file's content (libxxhash): a `touch`
 * changes nothing, an edit is caught, and the file is named.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "internal.h"
#include "ringsweep/sweep.h"

/* ------------------------------------------------------- fingerprints */

int
rsw__file_fingerprint(const char *path, char *out, size_t n)
{
	XXH3_state_t *h = XXH3_createState();
	char buf[65536];
	XXH128_hash_t d;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || h == NULL || XXH3_128bits_reset(h) != XXH_OK) {
		if (fd >= 0)
			close(fd);
		XXH3_freeState(h);
		return -1;
	}
	while ((got = read(fd, buf, sizeof buf)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || XXH3_128bits_update(h, buf, (size_t)got) != XXH_OK) {
			close(fd);
			XXH3_freeState(h);
			return -1;
		}
	}
	close(fd);
	d = XXH3_128bits_digest(h);
	XXH3_freeState(h);
	snprintf(out, n, "xxh3-128:%016llx%016llx", (unsigned long long)d.high64,
		 (unsigned long long)d.low64);
	return 0;
}

char *
rsw__inputs_json(const char *const *paths)
{
	json_t *o = json_object();
	char *s;

	for (int i = 0; paths != NULL && paths[i] != NULL; i++) {
		char fp[64];

		if (rsw__file_fingerprint(paths[i], fp, sizeof fp) == 0)
			json_object_set_new(o, paths[i], json_string(fp));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

int
rsw__inputs_check(const char *recorded, int on_node, char *err, size_t errlen)
{
	json_t *o = recorded != NULL ? json_loads(recorded, 0, NULL) : NULL, *v;
	const char *path;

	if (!json_is_object(o)) {
		json_decref(o);
		snprintf(err, errlen, "its record of the input files is corrupt");
		return RSW_EINVAL;
	}
	json_object_foreach(o, path, v) {
		char fp[64];

		if (rsw__file_fingerprint(path, fp, sizeof fp) != 0) {
			snprintf(err, errlen, on_node ?
				 "input file '%s' cannot be read on this node (%s)" :
				 "input file '%s' cannot be read any more (%s); "
				 "the rest would not match", path, strerror(errno));
			json_decref(o);
			return RSW_EINVAL;
		}
		if (!json_is_string(v) || strcmp(json_string_value(v), fp) != 0) {
			snprintf(err, errlen, on_node ?
				 "input file '%s' on this node is not the driver's "
				 "(its content differs)" :
				 "input file '%s' changed since the sweep started "
				 "(its content differs); the rest would not match",
				 path);
			json_decref(o);
			return RSW_EINVAL;
		}
	}
	json_decref(o);
	return 0;
}

int
rsw__inputs_same(const char *recorded, const char *const *now, char *err,
		 size_t errlen)
{
	json_t *o = recorded != NULL ? json_loads(recorded, 0, NULL) : NULL;
	size_t n = 0;
	int rc = 0;

	for (; now != NULL && now[n] != NULL && rc == 0; n++)
		if (json_object_get(o, now[n]) == NULL) {
			snprintf(err, errlen, "the objective now reads '%s', which the "
				 "sweep did not (a program or plugin that resolves "
				 "elsewhere now?); the rest would not match", now[n]);
			rc = RSW_EINVAL;
		}
	if (rc == 0 && n != json_object_size(o)) {
		snprintf(err, errlen, "the objective no longer reads every file the "
			 "sweep read; the rest would not match");
		rc = RSW_EINVAL;
	}
	json_decref(o);
	return rc;
}

/* -------------------------------------------------------- description */

static void
set_str(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, json_string(value));
}

static json_t *
objective_json(const rsw_objective_spec *spec, const rsw_objective_info *info)
{
	json_t *o = json_object();

	switch (info->kind) {
	case RSW_OBJECTIVE_KIND_COMMAND:
		set_str(o, "cmd", spec->cmd);
		set_str(o, "metrics", spec->metrics);
		set_str(o, "workdir", rsw__cmd_workdir(info->objective.ctx));
		break;
	case RSW_OBJECTIVE_KIND_FUNCTION: {
		json_t *m = json_array();

		for (uint32_t i = 0; i < info->nmetrics; i++)
			json_array_append_new(m, json_string(info->metric_names[i]));
		set_str(o, "function", info->name);
		json_object_set_new(o, "metrics", m);
		break;
	}
	case RSW_OBJECTIVE_KIND_PLUGIN:
		set_str(o, "name", info->name); /* absolute, with its prefix */
		set_str(o, "arg", spec->arg);
		break;
	default:
		set_str(o, "name", info->name);
		/* The data as the loader recorded it: absolute. */
		if (info->inputs[0] != NULL)
			set_str(o, "data", info->inputs[0]);
		set_str(o, "column", spec->column);
		set_str(o, "metric", spec->metric);
	}
	return o;
}

static json_t *
engine_json(const rsw_config *e)
{
	return json_pack("{s:f, s:i, s:b, s:s, s:I, s:i, s:i, s:i}",
			 "timeout_s", e->timeout_s,
			 "max_attempts", (int)e->max_attempts,
			 "retry_errors", e->retry_errors != 0,
			 "on_error", e->on_error == RSW_ON_ERROR_FAIL ? "fail" : "skip",
			 "max_mem", (json_int_t)e->max_mem,
			 "crash_loop_deaths", (int)e->crash_loop_deaths,
			 "crash_loop_failures", (int)e->crash_loop_failures,
			 "max_inflight", (int)e->max_inflight);
}

char *
rsw__describe(const rsw_sweep_config *c, const rsw_space *space,
	      const char *algo_name, uint32_t window,
	      const rsw_objective_info *info)
{
	json_t *root = json_object(), *specs = json_array();
	char *s;

	for (uint32_t i = 0; i < space->n; i++) {
		char spec[RSW_PARAM_SPEC_MAX];

		json_array_append_new(specs, json_string(rsw_param_spec(
						     &space->params[i], spec,
						     sizeof spec)));
	}
	json_object_set_new(root, "space", specs);
	/* Only when there are some: older stores read back unchanged. */
	if (space->nconstraints > 0) {
		json_t *cons = json_array();

		for (uint32_t i = 0; i < space->nconstraints; i++)
			json_array_append_new(cons,
					      json_string(space->constraints[i].text));
		json_object_set_new(root, "constraints", cons);
	}
	if (space->feasible != NULL)
		json_object_set_new(root, "feasible_fn", json_true());
	json_object_set_new(root, c->algorithm != NULL ? "algorithm" : "algo",
			    json_string(algo_name));
	json_object_set_new(root, "algo_opts",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}",
				      "seed", (json_int_t)c->algo_opts.seed,
				      "evals", (json_int_t)c->algo_opts.evals,
				      "population",
				      (json_int_t)c->algo_opts.population,
				      "generations",
				      (json_int_t)c->algo_opts.generations,
				      "init", (json_int_t)c->algo_opts.init));
	json_object_set_new(root, "minimize", json_boolean(c->algo_opts.minimize));
	if (c->nobjectives > 0) {
		json_t *objs = json_array();

		for (uint32_t i = 0; i < c->nobjectives && i < RSW_MAX_OBJECTIVES; i++)
			json_array_append_new(objs, json_pack("{s:s, s:b}", "name",
							      c->objectives[i].name,
							      "minimize",
							      c->objectives[i].minimize));
		json_object_set_new(root, "objectives", objs);
	}
	if (c->prune.kind != RSW_PRUNE_NONE)
		json_object_set_new(root, "prune",
				    json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "kind",
					      c->prune.kind == RSW_PRUNE_MEDIAN ?
						      "median" : "asha",
					      "steps", (json_int_t)c->prune.steps,
					      "startup", (json_int_t)c->prune.startup,
					      "warmup", (json_int_t)c->prune.warmup,
					      "min_step", (json_int_t)c->prune.min_step,
					      "eta", (json_int_t)c->prune.eta));
	json_object_set_new(root, "window", json_integer(window));
	/* The warm start's points (only when there are some: older stores
	 * read back unchanged), each as its values: reals print as the
	 * shortest text that reads back as the same double. */
	if (c->nenqueue > 0) {
		json_t *points = json_array();

		for (uint64_t k = 0; k < c->nenqueue; k++) {
			json_t *x = json_array();

			for (uint32_t i = 0; i < space->n; i++)
				json_array_append_new(x, json_real(
						c->enqueue[k * space->n + i]));
			json_array_append_new(points, x);
		}
		json_object_set_new(root, "enqueue", points);
	}
	json_object_set_new(root, "objective", objective_json(&c->objective, info));
	json_object_set_new(root, "engine", engine_json(&c->engine));
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

/* A string member, NULL when absent. */
static const char *
get_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int
undescribe_objective(const json_t *o, rsw_objective_spec *spec,
		     const char **metric_names, uint32_t *nmetrics)
{
	const json_t *m = json_object_get(o, "metrics");

	if (!json_is_object(o))
		return -1;
	spec->name = get_str(o, "name");
	spec->arg = get_str(o, "arg");
	spec->data = get_str(o, "data");
	spec->column = get_str(o, "column");
	spec->metric = get_str(o, "metric");
	spec->cmd = get_str(o, "cmd");
	spec->workdir = get_str(o, "workdir");
	spec->label = get_str(o, "function");
	if (spec->cmd != NULL) {
		spec->metrics = get_str(o, "metrics");
	} else if (json_is_array(m)) {
		size_t i;
		const json_t *v;

		if (json_array_size(m) > RSW_MAX_METRICS_LIMIT)
			return -1;
		json_array_foreach(m, i, v)
			if ((metric_names[i] = json_string_value(v)) == NULL)
				return -1;
		*nmetrics = (uint32_t)json_array_size(m);
	}
	return 0;
}

static int
undescribe_engine(const json_t *e, rsw_config *c)
{
	const char *on_error = get_str(e, "on_error");
	json_int_t attempts = 0, deaths = 0, failures = 0, inflight = 0, mem = 0;
	int retry = 0;

	if (json_unpack((json_t *)e, "{s:F, s:I, s:b, s:I, s:I, s:I, s:I}",
			"timeout_s", &c->timeout_s, "max_attempts", &attempts,
			"retry_errors", &retry, "max_mem", &mem,
			"crash_loop_deaths", &deaths, "crash_loop_failures",
			&failures, "max_inflight", &inflight) != 0 ||
	    on_error == NULL || attempts < 1 || deaths < 1 || failures < 1 ||
	    inflight < 2 || inflight > (1 << 22) || mem < 0)
		return -1;
	c->max_attempts = (uint32_t)attempts;
	c->retry_errors = retry;
	c->on_error = strcmp(on_error, "fail") == 0 ? RSW_ON_ERROR_FAIL :
						      RSW_ON_ERROR_SKIP;
	c->max_mem = (uint64_t)mem;
	c->crash_loop_deaths = (uint32_t)deaths;
	c->crash_loop_failures = (uint32_t)failures;
	c->max_inflight = (uint32_t)inflight;
	return 0;
}

/* The recorded points into c->enqueue (malloc'd: the caller frees it),
 * none when absent; -1 when they are not points of this space's size. */
static int
undescribe_enqueue(const json_t *list, const rsw_space *space,
		   rsw_sweep_config *c)
{
	double *points;
	const json_t *x, *v;
	size_t k, i;

	if (list == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) == 0 ||
	    json_array_size(list) > RSW_ENQUEUE_MAX)
		return -1;
	points = malloc(json_array_size(list) * space->n * sizeof(double));
	if (points == NULL)
		return -1;
	json_array_foreach(list, k, x) {
		if (!json_is_array(x) || json_array_size(x) != space->n) {
			free(points);
			return -1;
		}
		json_array_foreach(x, i, v) {
			if (!json_is_number(v)) {
				free(points);
				return -1;
			}
			points[k * space->n + i] = json_number_value(v);
		}
	}
	c->enqueue = points;
	c->nenqueue = json_array_size(list);
	return 0;
}

int
rsw__objective_slot(const char *name, const char *objective,
		    const char *value_metric, const char *const *metric_names,
		    uint32_t nmetrics)
{
	const char *value_name = "value";

	for (uint32_t m = 0; m < nmetrics; m++)
		if (strcmp(metric_names[m], name) == 0)
			return (int)m;
	if (objective != NULL && strcmp(objective, "ma_cross") == 0)
		value_name = value_metric != NULL ? value_metric : "sharpe";
	return strcmp(name, "value") == 0 || strcmp(name, value_name) == 0 ? -1 : -2;
}

/* "prune": {"kind": "median" | "asha", the settings}, or absent. */
static int
undescribe_prune(const json_t *p, rsw_prune_policy *out)
{
	json_int_t steps, startup, warmup, min_step, eta;
	const char *kind = get_str(p, "kind");

	memset(out, 0, sizeof *out);
	if (p == NULL)
		return 0;
	if (kind == NULL ||
	    json_unpack((json_t *)p, "{s:I, s:I, s:I, s:I, s:I}", "steps", &steps,
			"startup", &startup, "warmup", &warmup, "min_step", &min_step,
			"eta", &eta) != 0 ||
	    steps < 0 || steps > RSW_MAX_METRICS_LIMIT || startup < 0 ||
	    startup > UINT32_MAX || warmup < 0 || warmup > UINT32_MAX ||
	    min_step < 1 || min_step > UINT32_MAX || eta < 2 || eta > UINT32_MAX)
		return -1;
	if (strcmp(kind, "median") == 0)
		out->kind = RSW_PRUNE_MEDIAN;
	else if (strcmp(kind, "asha") == 0)
		out->kind = RSW_PRUNE_ASHA;
	else
		return -1;
	out->steps = (uint32_t)steps;
	out->startup = (uint32_t)startup;
	out->warmup = (uint32_t)warmup;
	out->min_step = (uint32_t)min_step;
	out->eta = (uint32_t)eta;
	return 0;
}

/* "objectives": [{"name": ..., "minimize": ...}, ...], or absent (one). */
static int
undescribe_objectives(const json_t *objs, rsw_sweep_config *c)
{
	const json_t *v;
	size_t i;

	c->nobjectives = 0;
	if (objs == NULL)
		return 0;
	if (!json_is_array(objs) || json_array_size(objs) > RSW_MAX_OBJECTIVES)
		return -1;
	json_array_foreach(objs, i, v) {
		int minimize = 1;
		const char *name = get_str(v, "name");

		if (name == NULL ||
		    json_unpack((json_t *)v, "{s:b}", "minimize", &minimize) != 0)
			return -1;
		c->objectives[i].name = name;
		c->objectives[i].minimize = minimize;
	}
	c->nobjectives = (uint32_t)json_array_size(objs);
	return 0;
}

int
rsw__undescribe(const json_t *root, rsw_sweep_config *c, rsw_space *space,
		const char **metric_names, char *err, size_t errlen)
{
	const json_t *specs = json_object_get(root, "space"), *v, *cons;
	const json_t *ao = json_object_get(root, "algo_opts");
	json_int_t seed = 0, evals = 0, gens = 0, window = 0, pop = 0, init = 0;
	int minimize = 1;
	size_t i;

	if (!json_is_array(specs) || !json_is_object(ao) ||
	    json_unpack((json_t *)ao, "{s:I, s:I, s:I, s:I, s:I}", "seed", &seed, "evals",
			&evals, "population", &pop, "generations", &gens, "init",
			&init) != 0 ||
	    json_unpack((json_t *)root, "{s:b, s:I}", "minimize", &minimize, "window",
			&window) != 0 ||
	    window < 0 || window > UINT32_MAX || pop < 0 || pop > UINT32_MAX ||
	    init < 0 || init > UINT32_MAX ||
	    undescribe_objective(json_object_get(root, "objective"), &c->objective,
				 metric_names, &c->objective.nmetrics) != 0 ||
	    undescribe_engine(json_object_get(root, "engine"), &c->engine) != 0) {
		snprintf(err, errlen, "its sweep description is corrupt");
		return RSW_EINVAL;
	}
	c->objective.metric_names = metric_names;
	rsw_space_init(space);
	json_array_foreach(specs, i, v) {
		if (!json_is_string(v) ||
		    rsw_space_add(space, json_string_value(v), err, errlen) != 0) {
			snprintf(err, errlen, "its sweep description is corrupt "
				 "(parameter %zu)", i + 1);
			return RSW_EINVAL;
		}
	}
	if (undescribe_prune(json_object_get(root, "prune"), &c->prune) != 0) {
		snprintf(err, errlen, "its sweep description is corrupt (prune)");
		return RSW_EINVAL;
	}
	if (undescribe_objectives(json_object_get(root, "objectives"), c) != 0) {
		snprintf(err, errlen, "its sweep description is corrupt (objectives)");
		return RSW_EINVAL;
	}
	cons = json_object_get(root, "constraints");
	if (cons != NULL && !json_is_array(cons)) {
		snprintf(err, errlen, "its sweep description is corrupt (constraints)");
		return RSW_EINVAL;
	}
	json_array_foreach(cons, i, v) {
		if (!json_is_string(v) ||
		    rsw_space_add_constraint(space, json_string_value(v), err,
					     errlen) != 0) {
			snprintf(err, errlen, "its sweep description is corrupt "
				 "(constraint %zu)", i + 1);
			return RSW_EINVAL;
		}
	}
	if (undescribe_enqueue(json_object_get(root, "enqueue"), space, c) != 0) {
		snprintf(err, errlen, "its sweep description is corrupt (enqueue)");
		return RSW_EINVAL;
	}
	c->space = space;
	c->algo = get_str(root, "algo");
	c->algo_opts.seed = (uint64_t)seed;
	c->algo_opts.evals = (uint64_t)evals;
	c->algo_opts.population = (uint32_t)pop;
	c->algo_opts.generations = (uint64_t)gens;
	c->algo_opts.init = (uint32_t)init;
	c->algo_opts.minimize = minimize;
	c->window = (uint32_t)window;
	return 0;
}
