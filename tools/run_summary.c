/*
 * tools/run_summary.c - what `ringsweep run` prints around a sweep: the
 * warnings its settings deserve, the start banner, and the summary (best,
 * counts by status, workers, the top evaluations), as text or --json.
 * Everything printed comes from the sweep's accessors.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "run.h"

void
rsw_run_warn(const struct run_args *a, const rsw_sweep *sw)
{
	const rsw_algorithm *algo = rsw_sweep_algorithm(sw);
	const rsw_config *e = &rsw_sweep_config_of(sw)->engine;
	long long window = rsw_sweep_window(sw), workers = rsw_sweep_workers(sw);

	/* A resumed sweep's limits come from its store: --serial cannot
	 * enforce them either (for a new one, the options were named). */
	if (a->resume != NULL && workers == 0 && e->timeout_s > 0)
		rsw_cli_warnf("--timeout (from '%s') is not enforced with --serial",
			      a->resume);
	if (a->resume != NULL && workers == 0 && e->max_mem > 0)
		rsw_cli_warnf("--max-mem (from '%s') is not enforced with --serial",
			      a->resume);
	/* Suggestion k may go out before result k - W is in: W + 1 tasks. */
	if (!a->quiet && !a->mpi && workers > window + 1 &&
	    (algo->flags & RSW_ALGO_NON_ADAPTIVE) == 0)
		rsw_cli_warnf("--algo %s keeps at most %lld evaluations in flight "
			      "(--window %lld): %lld of the %lld workers will "
			      "idle; raise --window to use them (the window, never "
			      "the worker count, shapes the results)",
			      rsw_sweep_algo_name(sw), window + 1, window,
			      workers - window - 1, workers);
}

void
rsw_run_banner(const struct run_args *a, const rsw_sweep *sw)
{
	const char *arena = rsw_sweep_arena(sw);

	if (!a->quiet && a->mpi)
		fprintf(stderr, "ringsweep: %s over %u parameter(s), objective %s, "
				"MPI: rank 0 drives%s, %d agent rank(s) evaluate\n",
			rsw_sweep_algo_name(sw), rsw_sweep_space(sw)->n,
			rsw_sweep_objective(sw)->name,
			a->mpi_driver_workers > 0 ? " and evaluates" : "",
			a->mpi_ranks - 1);
	else if (!a->quiet)
		fprintf(stderr, "ringsweep: %s over %u parameter(s), objective %s, "
				"%d worker(s)%s%s\n",
			rsw_sweep_algo_name(sw), rsw_sweep_space(sw)->n,
			rsw_sweep_objective(sw)->name, rsw_sweep_workers(sw),
			arena == NULL ? " (serial)" : ", arena ",
			arena == NULL ? "" : arena);
	if (rsw_sweep_store_path(sw) != NULL && !a->json)
		printf("database: %s%s\n", a->db_name,
		       rsw_sweep_replayed(sw) > 0 ? " (resumed)" : "");
	if (a->results != NULL && !a->json)
		printf("results: %s\n", a->results);
	fflush(stdout);
	/* What a resumed store makes us run is shown: the store chose it. */
	if (a->resume != NULL && !a->json) {
		const rsw_objective_spec *o = &rsw_sweep_config_of(sw)->objective;

		if (o->cmd != NULL)
			fprintf(stderr, "ringsweep: resuming '%s': runs the command "
				"'%s' per task (in %s)\n", a->resume, o->cmd,
				o->workdir != NULL ? o->workdir : ".");
		else if (o->name != NULL && strstr(o->name, ".so") != NULL)
			fprintf(stderr, "ringsweep: resuming '%s': loads the plugin "
				"'%s'%s%s%s\n", a->resume, o->name,
				o->arg != NULL ? " with '" : "",
				o->arg != NULL ? o->arg : "", o->arg != NULL ? "'" : "");
	}
	if (!a->quiet && rsw_sweep_replayed(sw) > 0)
		fprintf(stderr, "ringsweep: replaying %llu committed evaluations\n",
			(unsigned long long)rsw_sweep_replayed(sw));
}

/* A parameter's value as JSON: a category's name, an integer, a real. */
static json_t *
param_json(const rsw_param *p, double v)
{
	char buf[64];

	if (p->kind == RSW_PARAM_CAT)
		return json_string(rsw_param_format(p, v, buf, sizeof buf));
	if (rsw_param_is_integral(p))
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *
workers_json(const rsw_stats *st)
{
	json_t *workers = json_array();

	for (uint32_t w = 0; w < st->nworkers && w < 256; w++) {
		const rsw_worker_stats *ws = &st->workers[w];

		json_array_append_new(workers, json_pack(
			"{s:i, s:I, s:I, s:I, s:I, s:f, s:f, s:I}", "worker", (int)w,
			"tasks", (json_int_t)ws->tasks,
			"ok", (json_int_t)(ws->tasks - ws->failures),
			"failures", (json_int_t)ws->failures,
			"restarts", (json_int_t)ws->restarts,
			"mean_ms", ws->tasks ? (double)ws->busy_ns / (double)ws->tasks / 1e6 : 0.0,
			"max_ms", (double)ws->max_ns / 1e6,
			"peak_kb", (json_int_t)rsw_cli_proc_status_kb(ws->pid, "VmHWM")));
	}
	return workers;
}

static json_t *pareto_json(const rsw_sweep *sw);

static void
summary_json(const struct run_args *a, const rsw_sweep *sw,
	     const rsw_sweep_summary *s)
{
	const rsw_space *space = rsw_sweep_space(sw);
	json_t *root = json_object(), *status = json_object();
	rsw_best best;

	{
		const rsw_sweep_row *rows;
		uint32_t n = rsw_sweep_best_by(sw, &rows);
		json_t *by = json_array();

		for (uint32_t k = 0; k < n; k++) {
			json_t *params = json_object();

			if (rows[k].seq == UINT64_MAX) {
				json_array_append_new(by, json_null());
				json_decref(params);
				continue;
			}
			for (uint32_t i = 0; i < space->n; i++)
				json_object_set_new(params, space->params[i].name,
						    param_json(&space->params[i],
							       rows[k].params[i]));
			json_array_append_new(by, json_pack("{s:I, s:f, s:o}", "seq",
							    (json_int_t)rows[k].seq,
							    "value", rows[k].value,
							    "params", params));
		}
		if (n > 0)
			json_object_set_new(root, "best_by", by);
		else
			json_decref(by);
	}
	if (rsw_sweep_best(sw, &best) == 0) {
		json_t *params = json_object();

		for (uint32_t i = 0; i < best.nparams && i < space->n; i++)
			json_object_set_new(params, space->params[i].name,
					    param_json(&space->params[i],
						       best.params[i]));
		json_object_set_new(root, "best", json_pack("{s:I, s:f, s:o}", "seq",
							    (json_int_t)best.seq,
							    "value", best.value,
							    "params", params));
	} else {
		json_object_set_new(root, "best", json_null());
	}
	if (rsw_sweep_config_of(sw)->nobjectives >= 2)
		json_object_set_new(root, "pareto", pareto_json(sw));
	json_object_set_new(root, "evals", json_integer((json_int_t)s->committed));
	for (int i = 0; i < RSW_STATUS_COUNT_; i++)
		if (s->by_status[i] > 0)
			json_object_set_new(status, rsw_status_name(i),
					    json_integer((json_int_t)s->by_status[i]));
	json_object_set_new(root, "status", status);
	json_object_set_new(root, "infeasible_points",
			    json_integer((json_int_t)s->infeasible_points));
	json_object_set_new(root, "enqueued",
			    json_integer((json_int_t)rsw_sweep_enqueued(sw, NULL)));
	json_object_set_new(root, "retries", json_integer((json_int_t)s->engine.retries));
	json_object_set_new(root, "recycled", json_integer((json_int_t)s->engine.recycled));
	json_object_set_new(root, "requeued", json_integer((json_int_t)s->engine.requeued));
	json_object_set_new(root, "killed", json_integer((json_int_t)s->engine.killed));
	json_object_set_new(root, "wall_s", json_real(s->wall_s));
	json_object_set_new(root, "evals_per_s",
			    json_real(s->wall_s > 0 ? (double)s->committed / s->wall_s : 0));
	json_object_set_new(root, "database", a->db_name[0] ? json_string(a->db_name) :
							      json_null());
	json_object_set_new(root, "workers", workers_json(&s->engine));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					 JSON_REAL_PRECISION(17));
	fputc('\n', stdout);
	json_decref(root);
}

static void
print_best(const rsw_sweep *sw)
{
	const rsw_space *space = rsw_sweep_space(sw);
	rsw_best best;

	if (rsw_sweep_best(sw, &best) != 0) {
		printf("best: none (no evaluation succeeded)\n");
		return;
	}
	printf("best: %.17g at seq %llu:", best.value, (unsigned long long)best.seq);
	for (uint32_t i = 0; i < best.nparams && i < space->n; i++) {
		char v[64];

		printf(" %s=%s", space->params[i].name,
		       rsw_param_format(&space->params[i], best.params[i], v, sizeof v));
	}
	printf("\n");
}

#define PARETO_PRINT_MAX 40

/* A multi-objective sweep: the front and its hypervolume. */
static void
print_pareto(const rsw_sweep *sw)
{
	const rsw_sweep_config *c = rsw_sweep_config_of(sw);
	const rsw_space *space = rsw_sweep_space(sw);
	const rsw_sweep_row *rows;
	uint32_t n = rsw_sweep_pareto(sw, &rows), m = c->nobjectives;
	double ref[RSW_MAX_OBJECTIVES], hv;

	if (m < 2)
		return;
	hv = rsw_sweep_hypervolume(sw, ref);
	printf("pareto front: %u point%s", n, n == 1 ? "" : "s");
	if (!isnan(hv)) {
		printf(", hypervolume %.6g (reference", hv);
		for (uint32_t k = 0; k < m; k++)
			printf("%s%s=%.6g", k ? ", " : " ", c->objectives[k].name, ref[k]);
		printf("%s)", c->nhv_ref ? "" : ": the worst of each");
	}
	printf("\n  %6s", "seq");
	for (uint32_t k = 0; k < m; k++)
		printf(" %14.14s", c->objectives[k].name);
	for (uint32_t i = 0; i < space->n; i++)
		printf(" %10.10s", space->params[i].name);
	printf("\n");
	for (uint32_t r = 0; r < n && r < PARETO_PRINT_MAX; r++) {
		printf("  %6llu", (unsigned long long)rows[r].seq);
		for (uint32_t k = 0; k < m; k++)
			printf(" %14.6g", rows[r].objectives[k]);
		for (uint32_t i = 0; i < space->n; i++) {
			char v[64];

			printf(" %10.10s", rsw_param_format(&space->params[i],
							    rows[r].params[i], v,
							    sizeof v));
		}
		printf("\n");
	}
	if (n > PARETO_PRINT_MAX)
		printf("  ... %u more (ringsweep export FILE --pareto)\n",
		       n - PARETO_PRINT_MAX);
}

/* The front as JSON: objectives, reference, hypervolume, members. */
static json_t *
pareto_json(const rsw_sweep *sw)
{
	const rsw_sweep_config *c = rsw_sweep_config_of(sw);
	const rsw_space *space = rsw_sweep_space(sw);
	const rsw_sweep_row *rows;
	uint32_t n = rsw_sweep_pareto(sw, &rows), m = c->nobjectives;
	double ref[RSW_MAX_OBJECTIVES], hv = rsw_sweep_hypervolume(sw, ref);
	json_t *root = json_object(), *objs = json_array(), *front = json_array();
	json_t *reference = json_array();

	for (uint32_t k = 0; k < m; k++) {
		json_array_append_new(objs, json_pack("{s:s, s:s}", "name",
						      c->objectives[k].name,
						      "direction",
						      c->objectives[k].minimize ?
							      "minimize" : "maximize"));
		if (!isnan(hv))
			json_array_append_new(reference, json_real(ref[k]));
	}
	for (uint32_t r = 0; r < n; r++) {
		json_t *params = json_object(), *values = json_object();

		for (uint32_t i = 0; i < space->n; i++)
			json_object_set_new(params, space->params[i].name,
					    param_json(&space->params[i],
						       rows[r].params[i]));
		for (uint32_t k = 0; k < m; k++)
			json_object_set_new(values, c->objectives[k].name,
					    json_real(rows[r].objectives[k]));
		json_array_append_new(front, json_pack("{s:I, s:o, s:o}", "seq",
						       (json_int_t)rows[r].seq,
						       "objectives", values,
						       "params", params));
	}
	json_object_set_new(root, "objectives", objs);
	json_object_set_new(root, "hypervolume", isnan(hv) ? json_null() : json_real(hv));
	json_object_set_new(root, "reference", reference);
	json_object_set_new(root, "front", front);
	return root;
}

static void
print_workers(const rsw_stats *st)
{
	printf("  %6s %8s %10s %10s %8s %8s %10s %10s %9s\n", "worker", "pid",
	       "tasks", "ok", "failed", "restarts", "mean ms", "max ms", "peak MB");
	for (uint32_t w = 0; w < st->nworkers && w < 256; w++) {
		const rsw_worker_stats *ws = &st->workers[w];

		printf("  %6u %8d %10llu %10llu %8llu %8llu %10.3f %10.3f %9.1f\n", w,
		       ws->pid, (unsigned long long)ws->tasks,
		       (unsigned long long)(ws->tasks - ws->failures),
		       (unsigned long long)ws->failures,
		       (unsigned long long)ws->restarts,
		       ws->tasks ? (double)ws->busy_ns / (double)ws->tasks / 1e6 : 0,
		       (double)ws->max_ns / 1e6,
		       rsw_cli_proc_status_kb(ws->pid, "VmHWM") / 1024.0);
	}
}

/* Rows of the table print_top and print_best_by share (seq UINT64_MAX: a
 * category where nothing succeeded, shown as such). */
static void
print_rows(const rsw_sweep *sw, const rsw_sweep_row *top, uint32_t n)
{
	const rsw_space *space = rsw_sweep_space(sw);
	const rsw_objective_info *obj = rsw_sweep_objective(sw);

	printf("  %6s", "seq");
	for (uint32_t i = 0; i < space->n; i++)
		printf(" %10.10s", space->params[i].name);
	printf(" %12s", "value");
	for (uint32_t i = 0; i < obj->nmetrics; i++)
		printf(" %14.14s", obj->metric_names[i]);
	printf("\n");
	for (uint32_t k = 0; k < n; k++) {
		if (top[k].seq == UINT64_MAX) {
			printf("  %6s (nothing succeeded)\n", "-");
			continue;
		}
		printf("  %6llu", (unsigned long long)top[k].seq);
		for (uint32_t i = 0; i < space->n; i++) {
			const rsw_param *p = &space->params[i];
			char v[64];

			if (p->kind == RSW_PARAM_CAT)
				printf(" %10.10s", rsw_param_format(p, top[k].params[i],
								    v, sizeof v));
			else
				printf(" %10.6g", top[k].params[i]);
		}
		printf(" %12.6g", top[k].value);
		for (uint32_t i = 0; i < top[k].nmetrics; i++)
			printf(" %14.6g", top[k].metrics[i]);
		printf("\n");
	}
}

static void
print_top(const rsw_sweep *sw)
{
	const rsw_sweep_row *top;
	uint32_t n = rsw_sweep_top(sw, &top);

	if (n < 2)
		return;
	printf("top %u:\n", n);
	print_rows(sw, top, n);
}

/* --best-by: the consolidated table, one row per category. */
static void
print_best_by(const struct run_args *a, const rsw_sweep *sw)
{
	const rsw_sweep_row *rows;
	uint32_t n = rsw_sweep_best_by(sw, &rows);

	if (n == 0)
		return;
	printf("best by %s:\n", a->best_by);
	print_rows(sw, rows, n);
}

void
rsw_run_summary(const struct run_args *a, const rsw_sweep *sw)
{
	rsw_sweep_summary s;
	uint64_t restarts = 0;

	rsw_sweep_summary_get(sw, &s);
	if (a->json) {
		summary_json(a, sw, &s);
		return;
	}
	print_best(sw);
	print_pareto(sw);
	for (uint32_t w = 0; w < s.engine.nworkers && w < 256; w++)
		restarts += s.engine.workers[w].restarts;
	printf("evals: %llu committed", (unsigned long long)s.committed);
	for (int i = 0; i < RSW_STATUS_COUNT_; i++)
		if (s.by_status[i] > 0)
			printf(", %llu %s", (unsigned long long)s.by_status[i],
			       rsw_status_name(i));
	if (s.infeasible_points > 0)
		printf("; %llu grid points infeasible (skipped, never run)",
		       (unsigned long long)s.infeasible_points);
	if (rsw_sweep_enqueued(sw, NULL) > 0)
		printf("; seqs 0-%llu were the enqueued points",
		       (unsigned long long)rsw_sweep_enqueued(sw, NULL) - 1);
	printf("\nworkers: %s, %llu restarts, %llu recycled, %llu retries\n",
	       a->mpi ? "MPI agents" : rsw_sweep_workers(sw) == 0 ? "serial" :
	       a->threads ? "threads" : "processes",
	       (unsigned long long)restarts, (unsigned long long)s.engine.recycled,
	       (unsigned long long)s.engine.retries);
	if (s.engine.timeouts > 0)
		printf("timeouts: %llu, worst kill %.3f ms after the deadline\n",
		       (unsigned long long)s.engine.timeouts,
		       s.engine.max_kill_late_ns / 1e6);
	printf("wall: %.3f s, %.0f evals/s\n", s.wall_s,
	       s.wall_s > 0 ? (double)s.committed / s.wall_s : 0.0);
	if (!a->quiet)
		print_workers(&s.engine);
	print_top(sw);
	print_best_by(a, sw);
}
