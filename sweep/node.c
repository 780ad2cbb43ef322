/*
 * sweep/node.c - a remote node of a sweep (node.h): the spec the driver
 * sends, and the objective and local engine a node rebuilds from it.
 *
 * The spec reuses what a store records for --resume (describe.c): the
 * description a sweep can be rebuilt from, and the fingerprints of its
 * files.  A node is a resume without a store: the same rebuild, the same
 * checks, only the algorithm is left out (the driver runs it).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/node.h"

struct rsw_node {
	json_t *root;	 /* the spec: the strings below point into it */
	rsw_space space;
	rsw_sweep_config cfg;
	const char *metric_names[RSW_MAX_METRICS_LIMIT];
	rsw_loaded_objective *objective;
	struct rsw__prune_objective *prune; /* the driver prunes: so do we */
	rsw_engine *engine;
};

char *
rsw_sweep_node_spec(const rsw_sweep *sw)
{
	char *desc = rsw__describe(&sw->cfg, &sw->space, sw->algo_name, sw->window,
				   sw->obj_loaded);
	char *inputs = rsw__inputs_json(sw->obj->inputs);
	json_t *root = NULL;
	char *s = NULL;

	if (desc != NULL && inputs != NULL)
		root = json_pack("{s:o, s:o, s:{s:i, s:i, s:i}}",
				 "sweep", json_loads(desc, 0, NULL),
				 "inputs", json_loads(inputs, 0, NULL),
				 "sizes", "max_params",
				 (int)(sw->space.n + (sw->prune ? sw->prune->steps : 0)),
				 "max_metrics", (int)sw->obj->nmetrics,
				 "max_message", (int)sw->cfg.engine.max_message);
	if (root != NULL)
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	free(desc);
	free(inputs);
	return s;
}

void
rsw_node_config_init(rsw_node_config *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof *c);
	rsw_config_init(&c->exec);
	c->exec.workers = ncpu > 0 ? (int)(ncpu < 256 ? ncpu : 256) : 1;
}

/* The driver's policies and sizes, this node's execution settings. */
static int
node_engine_config(const rsw_node *n, const json_t *sizes,
		   const rsw_config *exec, rsw_config *e, char *err, size_t errlen)
{
	json_int_t params = 0, metrics = 0, message = 0;

	*e = n->cfg.engine;
	if (json_unpack((json_t *)sizes, "{s:I, s:I, s:I}", "max_params", &params,
			"max_metrics", &metrics, "max_message", &message) != 0 ||
	    params < 0 || params > RSW_MAX_PARAMS_LIMIT || metrics < 0 ||
	    metrics > RSW_MAX_METRICS_LIMIT || message < 0 ||
	    message > RSW_MAX_MESSAGE_LIMIT) {
		snprintf(err, errlen, "the driver's spec is corrupt (sizes)");
		return RSW_EINVAL;
	}
	e->max_params = (uint32_t)params;
	e->max_metrics = (uint32_t)metrics;
	e->max_message = (uint32_t)message;
	e->workers = exec->workers;
	e->idle = exec->idle;
	e->pin = exec->pin;
	e->nice = exec->nice;
	e->max_batch = exec->max_batch;
	e->recycle_after = exec->recycle_after;
	e->soft_mem = exec->soft_mem;
	e->ring_capacity = exec->ring_capacity;
	e->external_slots = 0;
	/* Tasks failed for good are counted toward a crash loop in sequence
	 * order, by the driver, as locally: a node sees only some of them,
	 * and a run of failures among its own is no run in the whole. */
	e->crash_loop_failures = UINT32_MAX;
	if (e->workers < 1) {
		snprintf(err, errlen, "a node needs at least one worker");
		return RSW_EINVAL;
	}
	return rsw_config_validate(e, err, errlen);
}

/* A function objective cannot travel: the node's program supplies it,
 * and it must be the one the driver recorded. */
static int
take_function(rsw_node *n, const rsw_objective_spec *own, char *err,
	      size_t errlen)
{
	const char *want = n->cfg.objective.label;
	const char *have = own == NULL ? NULL :
			   own->label != NULL ? own->label : "function";

	if (own == NULL || own->fn == NULL) {
		snprintf(err, errlen, "the sweep evaluates a C function ('%s') and "
			 "this node was given none", want);
		return RSW_EINVAL;
	}
	if (strcmp(want, have) != 0) {
		snprintf(err, errlen, "the sweep evaluates '%s', this node's "
			 "function is '%s'", want, have);
		return RSW_EINVAL;
	}
	n->cfg.objective.fn = own->fn;
	n->cfg.objective.ctx = own->ctx;
	n->cfg.objective.worker_init = own->worker_init;
	n->cfg.objective.worker_fini = own->worker_fini;
	return 0;
}

int
rsw_node_open(rsw_node **out, const char *spec, const rsw_node_config *cfg,
	      char *err, size_t errlen)
{
	rsw_node *n;
	rsw_config ecfg;
	const rsw_objective_info *info;
	json_t *inputs;
	char *recorded = NULL;
	int rc;

	*out = NULL;
	if (spec == NULL || cfg == NULL) {
		snprintf(err, errlen, "no spec");
		return RSW_EINVAL;
	}
	n = calloc(1, sizeof *n);
	if (n == NULL)
		return RSW_ENOMEM;
	rsw_sweep_config_init(&n->cfg);
	n->root = json_loads(spec, 0, NULL);
	inputs = json_object_get(n->root, "inputs");
	if (!json_is_object(n->root) || !json_is_object(inputs) ||
	    (recorded = json_dumps(inputs, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "the driver's spec is corrupt");
		rc = RSW_EINVAL;
		goto fail;
	}
	rc = rsw__undescribe(json_object_get(n->root, "sweep"), &n->cfg, &n->space,
			     n->metric_names, err, errlen);
	if (rc == 0 && n->cfg.objective.label != NULL)
		rc = take_function(n, cfg->function, err, errlen);
	/* The files first: a missing one is named as such, not as whatever
	 * the loader makes of its absence. */
	if (rc == 0)
		rc = rsw__inputs_check(recorded, 1, err, errlen);
	if (rc == 0)
		rc = rsw_objective_load(&n->objective, &n->cfg.objective, &n->space,
					err, errlen);
	if (rc != 0)
		goto fail;
	info = rsw_loaded_objective_info(n->objective);
	if ((rc = rsw__inputs_same(recorded, info->inputs, err, errlen)) != 0)
		goto fail;
	if (n->cfg.prune.kind != RSW_PRUNE_NONE) {
		if ((n->prune = calloc(1, sizeof *n->prune)) == NULL) {
			rc = RSW_ENOMEM;
			goto fail;
		}
		if ((rc = rsw__prune_wrap(n->prune, &n->cfg.prune, info, n->space.n,
					  n->cfg.algo_opts.minimize, err, errlen)) != 0)
			goto fail;
		info = &n->prune->info;
	}
	if (
	    (rc = node_engine_config(n, json_object_get(n->root, "sizes"),
				     &cfg->exec, &ecfg, err, errlen)) != 0)
		goto fail;
	if (ecfg.max_params != n->space.n + (n->prune ? n->prune->steps : 0) ||
	    ecfg.max_metrics != info->nmetrics) {
		snprintf(err, errlen, "the driver's spec is corrupt (its sizes "
			 "are not its sweep's)");
		rc = RSW_EINVAL;
		goto fail;
	}
	ecfg.objective_name = info->external_name;
	ecfg.objective_arg = info->external_arg;
	if ((rc = rsw_engine_open(&n->engine, &ecfg, &info->objective)) != 0) {
		snprintf(err, errlen, "cannot start the engine: %s", rsw_strerror(rc));
		goto fail;
	}
	free(recorded);
	*out = n;
	return 0;
fail:
	free(recorded);
	rsw_node_close(n);
	return rc;
}

rsw_engine *
rsw_node_engine(rsw_node *n)
{
	return n->engine;
}

void
rsw_node_close(rsw_node *n)
{
	if (n == NULL)
		return;
	rsw_engine_close(n->engine);
	rsw_objective_unload(n->objective);
	free(n->prune);
	json_decref(n->root);
	free((double *)n->cfg.enqueue); /* undescribed; a node never runs them */
	free(n);
}
