/*
 * sweep/prune.c - deterministic pruning (the median rule and asynchronous
 * successive halving) for any objective that reports intermediate values.
 *
 * DESIGN
 * A pruner decides from what other evaluations reported.  Decided on the
 * fly from whatever has finished, that depends on timing; here it depends
 * only on the results the algorithm has seen when it suggests task k
 * (seqs below k - window, applied in sequence order: algorithm.h's
 * contract), so it is the same for any number of workers.  Two halves:
 *
 *  - the driver's: an algorithm wrapped around the sweep's.  Its update()
 *    files each result's reported values (the metrics step_0 ..
 *    step_S-1 the worker's half adds) and passes the result on without
 *    them; its suggest() lets the algorithm fill the parameters, then
 *    appends one threshold per step (NaN: none) as S hidden parameters;
 *  - the worker's: an objective wrapped around the sweep's.  It hands the
 *    objective an rsw_task_info whose report() compares each value with
 *    the threshold of its step, answers 1 past it, and after the call
 *    writes every reported value into the step metrics and turns a
 *    stopped evaluation into RSW_EVAL_PRUNED, its value the last one
 *    reported.
 * The hidden parameters travel with the task by every transport (rings,
 * threads, MPI); the step metrics are stored with the results, so a
 * resume replays what the pruner saw.  Values are compared "lower is
 * better" (a maximised value negated).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MEDIAN_STARTUP 5
#define ASHA_ETA 4

static int
parse_u32(const char *text, const char *key, uint32_t lo, uint32_t *out, char *err,
	  size_t errlen)
{
	char *end;
	unsigned long long v = strtoull(text, &end, 10);

	if (end == text || *end != '\0' || text[0] == '-' || v < lo || v > 1000000) {
		snprintf(err, errlen, "--prune: %s needs an integer from %u to "
			 "1000000, got '%s'", key, lo, text);
		return RSW_EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

int
rsw_prune_parse(const char *text, rsw_prune_policy *out, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *item;
	int rc = 0;

	memset(out, 0, sizeof *out);
	out->startup = MEDIAN_STARTUP;
	out->min_step = 1;
	out->eta = ASHA_ETA;
	if (text == NULL || strlen(text) >= sizeof buf) {
		snprintf(err, errlen, "--prune: expected none, median[,...] or "
			 "asha[,...]");
		return RSW_EINVAL;
	}
	snprintf(buf, sizeof buf, "%s", text);
	item = strtok_r(buf, ",", &save);
	if (item != NULL && strcmp(item, "median") == 0)
		out->kind = RSW_PRUNE_MEDIAN;
	else if (item != NULL && strcmp(item, "asha") == 0)
		out->kind = RSW_PRUNE_ASHA;
	else if (item == NULL || strcmp(item, "none") != 0) {
		snprintf(err, errlen, "--prune: expected none, median[,startup=N]"
			 "[,warmup=N][,steps=N] or asha[,min=N][,eta=N][,steps=N], "
			 "got '%s'", text);
		return RSW_EINVAL;
	}
	while (rc == 0 && (item = strtok_r(NULL, ",", &save)) != NULL) {
		char *eq = strchr(item, '=');
		int median = out->kind == RSW_PRUNE_MEDIAN;

		if (eq != NULL)
			*eq++ = '\0';
		if (eq != NULL && strcmp(item, "steps") == 0 && out->kind != 0)
			rc = parse_u32(eq, "steps", 1, &out->steps, err, errlen);
		else if (eq != NULL && median && strcmp(item, "startup") == 0)
			rc = parse_u32(eq, "startup", 0, &out->startup, err, errlen);
		else if (eq != NULL && median && strcmp(item, "warmup") == 0)
			rc = parse_u32(eq, "warmup", 0, &out->warmup, err, errlen);
		else if (eq != NULL && !median && strcmp(item, "min") == 0)
			rc = parse_u32(eq, "min", 1, &out->min_step, err, errlen);
		else if (eq != NULL && !median && strcmp(item, "eta") == 0)
			rc = parse_u32(eq, "eta", 2, &out->eta, err, errlen);
		else {
			snprintf(err, errlen, "--prune %s: unknown setting '%s' (%s)",
				 text, item, median ? "median takes startup=N, "
				 "warmup=N, steps=N" : out->kind == RSW_PRUNE_ASHA ?
				 "asha takes min=N, eta=N, steps=N" : "none takes none");
			rc = RSW_EINVAL;
		}
	}
	return rc;
}

/* ------------------------------------------------------- the worker's half */

struct task_state {
	const struct rsw__prune_objective *po;
	const double *thresholds; /* S, lower is better; NaN: none */
	double *values;		  /* S step metrics, as reported */
	double best;		  /* the best reported so far, lower is better */
	double last;
	uint32_t last_step;
	int reported, stopped;
};

static int
report(const rsw_task_info *t, uint32_t step, double value)
{
	struct task_state *s = t->report_ctx;
	const struct rsw__prune_objective *po = s->po;
	double v = po->minimize ? value : -value, threshold;

	s->last = value;
	s->last_step = step;
	if (step < po->steps)
		s->values[step] = value;
	if (!s->reported++ || v < s->best)
		s->best = v;
	if (s->stopped)
		return 1;
	if (isnan(value)) /* as Optuna: a NaN is never promising */
		return s->stopped = 1;
	if (step >= po->steps || isnan(threshold = s->thresholds[step]))
		return 0;
	/* The median rule judges the evaluation's best so far, successive
	 * halving its value at the rung (as Optuna's pruners do). */
	if ((po->kind == RSW_PRUNE_MEDIAN ? s->best : v) > threshold)
		s->stopped = 1;
	return s->stopped;
}

static int
pruned_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	const struct rsw__prune_objective *po = ctx;
	struct task_state s = { po, x + po->nparams, out->metrics + po->nmetrics,
				0, NAN, 0, 0, 0 };
	rsw_task_info inner = *t;
	int rc;

	if (n != po->nparams + po->steps)
		return RSW_EINVAL;
	for (uint32_t i = 0; i < po->nmetrics + po->steps; i++)
		out->metrics[i] = NAN;
	inner.report = report;
	inner.report_ctx = &s;
	rc = po->inner.eval(po->inner.ctx, x, po->nparams, &inner, out);
	if (rc != 0 && rc != RSW_EVAL_PRUNED)
		return rc;
	/* Every result carries its step metrics, in the same columns. */
	out->nmetrics = po->nmetrics + po->steps;
	if (!s.stopped && rc == 0)
		return 0;
	out->value = s.last;
	out->error_code = (int32_t)s.last_step;
	return RSW_EVAL_PRUNED;
}

static int
pruned_worker_init(void *ctx, int worker)
{
	const struct rsw__prune_objective *po = ctx;

	return po->inner.worker_init(po->inner.ctx, worker);
}

static void
pruned_worker_fini(void *ctx, int worker)
{
	const struct rsw__prune_objective *po = ctx;

	po->inner.worker_fini(po->inner.ctx, worker);
}

int
rsw__prune_wrap(struct rsw__prune_objective *po, const rsw_prune_policy *p,
		const rsw_objective_info *in, uint32_t nparams, int minimize,
		char *err, size_t errlen)
{
	uint32_t steps = p->steps != 0 ? p->steps : in->steps;

	memset(po, 0, sizeof *po);
	if (steps == 0) {
		snprintf(err, errlen, "--prune: objective %s does not say how many "
			 "intermediate values it reports: give steps=N (e.g. "
			 "--prune median,steps=10)%s", in->name,
			 strcmp(in->name, "ma_cross") == 0 ?
				 " -- ma_cross reports only its Sharpe ratio, "
				 "not --metric's" : "");
		return RSW_EINVAL;
	}
	if (nparams + steps > RSW_MAX_PARAMS_LIMIT ||
	    in->nmetrics + steps > RSW_MAX_METRICS_LIMIT) {
		snprintf(err, errlen, "--prune: %u steps are too many for %u "
			 "parameters and %u metrics (at most %u and %u in all): "
			 "give fewer, steps=N (the later ones are not judged)",
			 steps, nparams, in->nmetrics, RSW_MAX_PARAMS_LIMIT,
			 RSW_MAX_METRICS_LIMIT);
		return RSW_EINVAL;
	}
	po->inner = in->objective;
	po->kind = p->kind;
	po->steps = steps;
	po->nparams = nparams;
	po->nmetrics = in->nmetrics;
	po->minimize = minimize;
	po->info = *in;
	po->info.objective.eval = pruned_eval;
	po->info.objective.ctx = po;
	po->info.objective.worker_init = in->objective.worker_init ? pruned_worker_init : NULL;
	po->info.objective.worker_fini = in->objective.worker_fini ? pruned_worker_fini : NULL;
	for (uint32_t m = 0; m < in->nmetrics; m++)
		po->names[m] = in->metric_names[m];
	for (uint32_t s = 0; s < steps; s++) {
		snprintf(po->step_names[s], sizeof po->step_names[s], "step_%u", s);
		po->names[in->nmetrics + s] = po->step_names[s];
	}
	po->info.nmetrics = in->nmetrics + steps;
	po->info.metric_names = po->names;
	return 0;
}

/* ------------------------------------------------------- the driver's half */

/* The values known at one step, sorted (lower is better). */
struct known {
	double *v;
	uint32_t n, cap;
};

struct pruner {
	rsw_algorithm *inner;
	int own_inner;
	rsw_prune_policy p;
	uint32_t nparams, nmetrics, steps;
	int minimize;
	uint64_t completed;
	struct known *at; /* steps of them */
};

static int
known_add(struct known *k, double v)
{
	uint32_t i;

	if (k->n == k->cap) {
		uint32_t cap = k->cap ? 2 * k->cap : 64;
		double *nv = realloc(k->v, cap * sizeof *nv);

		if (nv == NULL)
			return RSW_ENOMEM;
		k->v = nv;
		k->cap = cap;
	}
	for (i = k->n; i > 0 && k->v[i - 1] > v; i--)
		k->v[i] = k->v[i - 1];
	k->v[i] = v;
	k->n++;
	return 0;
}

/* Whether step s is a rung of successive halving: min_step * eta^r. */
static int
is_rung(const rsw_prune_policy *p, uint32_t s)
{
	uint64_t r = p->min_step;

	for (; r < s; r *= p->eta)
		if (r == 0)
			return 0;
	return r == s;
}

/* The threshold of step s for the next suggestion; NaN: no pruning. */
static double
threshold(const struct pruner *pr, uint32_t s)
{
	const struct known *k = &pr->at[s];

	if (pr->p.kind == RSW_PRUNE_MEDIAN) {
		if (pr->completed < pr->p.startup || s < pr->p.warmup || k->n == 0)
			return NAN;
		/* The median, halfway between the middle two (numpy's). */
		return k->n % 2 ? k->v[k->n / 2] :
				  0.5 * (k->v[k->n / 2 - 1] + k->v[k->n / 2]);
	}
	if (!is_rung(&pr->p, s)) {
		return NAN;
	} else {
		/* Among this one and the n known, it goes on when it is within
		 * the best max(1, (n + 1) / eta): when it is no worse than the
		 * known value at that place (none there: it goes on). */
		uint32_t keep = (k->n + 1) / pr->p.eta;
		uint32_t idx = keep > 0 ? keep - 1 : 0;

		return idx < k->n ? k->v[idx] : NAN;
	}
}

static int
pruner_suggest(rsw_algorithm *a, uint64_t seq, double *params)
{
	struct pruner *pr = a->state;
	int rc = pr->inner->suggest(pr->inner, seq, params);

	if (rc == RSW_SUGGEST_OK)
		for (uint32_t s = 0; s < pr->steps; s++)
			params[pr->nparams + s] = threshold(pr, s);
	return rc;
}

static int
pruner_update(rsw_algorithm *a, const double *params, const rsw_result *r)
{
	struct pruner *pr = a->state;
	rsw_result seen = *r;
	int rc;

	/* The median rule learns from completed evaluations; successive
	 * halving from every one that reached a rung, pruned ones too. */
	if (r->status == RSW_STATUS_OK ||
	    (r->status == RSW_STATUS_PRUNED && pr->p.kind == RSW_PRUNE_ASHA)) {
		for (uint32_t s = 0; s < pr->steps && pr->nmetrics + s < r->nmetrics; s++) {
			double v = r->metrics[pr->nmetrics + s];

			if (isnan(v) ||
			    (pr->p.kind == RSW_PRUNE_ASHA && !is_rung(&pr->p, s)))
				continue;
			if ((rc = known_add(&pr->at[s], pr->minimize ? v : -v)) != 0)
				return rc;
		}
		pr->completed += r->status == RSW_STATUS_OK;
	}
	if (seen.nmetrics > pr->nmetrics)
		seen.nmetrics = pr->nmetrics;
	return pr->inner->update(pr->inner, params, &seen);
}

static bool
pruner_complete(const rsw_algorithm *a)
{
	const struct pruner *pr = a->state;

	return pr->inner->is_complete != NULL && pr->inner->is_complete(pr->inner);
}

static int
pruner_best(const rsw_algorithm *a, rsw_best *out)
{
	const struct pruner *pr = a->state;
	int rc = pr->inner->best(pr->inner, out);

	if (rc == 0 && out->nparams > pr->nparams)
		out->nparams = pr->nparams;
	return rc;
}

static void
pruner_destroy(rsw_algorithm *a)
{
	struct pruner *pr = a->state;

	for (uint32_t s = 0; pr->at != NULL && s < pr->steps; s++)
		free(pr->at[s].v);
	free(pr->at);
	if (pr->own_inner)
		rsw_algorithm_destroy(pr->inner);
	free(pr);
	free(a);
}

int
rsw__prune_algorithm(rsw_algorithm **out, rsw_algorithm *inner, int own_inner,
		     const rsw_prune_policy *p, const struct rsw__prune_objective *po)
{
	rsw_algorithm *a = calloc(1, sizeof *a);
	struct pruner *pr = calloc(1, sizeof *pr);

	if (a == NULL || pr == NULL || (pr->at = calloc(po->steps, sizeof *pr->at)) == NULL) {
		free(pr);
		free(a);
		return RSW_ENOMEM;
	}
	pr->inner = inner;
	pr->own_inner = own_inner;
	pr->p = *p;
	pr->nparams = po->nparams;
	pr->nmetrics = po->nmetrics;
	pr->steps = po->steps;
	pr->minimize = po->minimize;
	/* Not non-adaptive, even around grid or random: its thresholds
	 * depend on results, so the run loop's window must hold. */
	a->name = inner->name;
	a->flags = 0;
	a->nparams = po->nparams + po->steps;
	a->state = pr;
	a->suggest = pruner_suggest;
	a->update = pruner_update;
	a->is_complete = inner->is_complete != NULL ? pruner_complete : NULL;
	a->best = pruner_best;
	a->destroy = pruner_destroy;
	*out = a;
	return 0;
}
