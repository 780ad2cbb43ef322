/*
 * tools/bench_suggest.c - `ringsweep bench suggest`: what one suggestion
 * of an algorithm costs as its history grows (bench/suggest.c measures,
 * on a built-in test function, one result at a time).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cli.h"
#include "cli.h"
#include "options.h"
#include "suggest.h"

/* The test functions, in the order of the --objective words. */
static const char *const functions[] = { "hartmann6", "branin", "rastrigin",
					 "rosenbrock", "sphere" };

struct suggest_args {
	rsw_suggest_opts o;
	const char *algo;
	int function;	/* index in functions[] */
	long long dim;
	struct rsw_bench_out out;
};

static int
parse_at(void *args, const char *value, char *err, size_t errlen)
{
	rsw_suggest_opts *o = &((struct suggest_args *)args)->o;
	char buf[256], *save = NULL;
	long long v;

	snprintf(buf, sizeof buf, "%s", value);
	o->nat = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (o->nat == RSW_SUGGEST_MAX_POINTS ||
		    rsw_cli_parse_i64(tok, 1, 100000, &v) != 0) {
			snprintf(err, errlen, "--at needs up to %d observation counts "
				 "from 1 to 100000, got '%s'", RSW_SUGGEST_MAX_POINTS,
				 tok);
			return -1;
		}
		o->at[o->nat++] = (uint64_t)v;
	}
	if (o->nat == 0)
		snprintf(err, errlen, "--at needs at least one observation count");
	return o->nat > 0 ? 0 : -1;
}

#define F(field) offsetof(struct suggest_args, field)

static const rsw_opt options[] = {
	{ "algo", 0, RSW_OPT_STRING, 0, "NAME", F(algo),
	  .help = "bayes (default), random, genetic or cmaes" },
	{ "objective", 0, RSW_OPT_WORD, 0, "NAME", F(function),
	  .words = "hartmann6|branin|rastrigin|rosenbrock|sphere",
	  .help = "hartmann6 (default), branin, rastrigin, rosenbrock, sphere" },
	{ "dim", 0, RSW_OPT_INT, 0, "N", F(dim), 1, RSW_MAX_PARAMS_LIMIT,
	  .help = "inputs of rastrigin, rosenbrock and sphere (default 6)" },
	{ "at", 0, RSW_OPT_CALL, 0, "100,500,1000", 0, .call = parse_at,
	  .help = "the history sizes measured" },
	{ "span", 0, RSW_OPT_REAL, 0, "F", F(o.span), .rlo = 0, .rhi = 1,
	  .help = "suggestions of AT .. AT + AT x F are summarised (default 0.1: "
		  "one bayes refit)" },
	{ "json", 0, RSW_OPT_FLAG, 0, NULL, F(out.format), .value = RSW_FMT_JSON,
	  .help = "results as JSON" },
	RSW_BENCH_HELP_OPTION(struct suggest_args),
};

#define NOPTIONS (sizeof options / sizeof options[0])

/* The function's inputs on its usual domain. */
static int
test_space(const char *fn, long long dim, rsw_space *s)
{
	char spec[64], err[256];

	rsw_space_init(s);
	if (strcmp(fn, "branin") == 0)
		return rsw_space_add(s, "x1=float:-5:10", err, sizeof err) |
		       rsw_space_add(s, "x2=float:0:15", err, sizeof err);
	if (strcmp(fn, "hartmann6") == 0)
		dim = 6;
	for (long long i = 0; i < dim; i++) {
		snprintf(spec, sizeof spec, "x%lld=float:%s", i + 1,
			 strcmp(fn, "hartmann6") == 0 ? "0:1" :
			 strcmp(fn, "rastrigin") == 0 ? "-5.12:5.12" : "-5:5");
		if (rsw_space_add(s, spec, err, sizeof err) != 0)
			return -1;
	}
	return 0;
}

static void
print_rows(const struct suggest_args *a, const rsw_space *space,
	   const rsw_suggest_row *rows, int n)
{
	const char *fn = functions[a->function];

	if (a->out.format == RSW_FMT_JSON) {
		printf("{\n  \"benchmark\": \"suggest\",\n");
		rsw_bench_machine_json();
		printf("  \"algo\": \"%s\",\n  \"objective\": \"%s\",\n  \"dim\": %u,\n"
		       "  \"rows\": [\n", a->algo, fn, space->n);
		for (int i = 0; i < n; i++)
			printf("    {\"observations\": %llu, \"samples\": %llu, "
			       "\"median_ms\": %.6f, \"p90_ms\": %.6f, \"max_ms\": %.6f}%s\n",
			       (unsigned long long)rows[i].at,
			       (unsigned long long)rows[i].samples, rows[i].median_ms,
			       rows[i].p90_ms, rows[i].max_ms, i + 1 < n ? "," : "");
		printf("  ]\n}\n");
		return;
	}
	printf("suggest() of %s on %s (%u-D), one result at a time\n", a->algo, fn,
	       space->n);
	printf("%14s %8s %12s %12s %12s\n", "observations", "samples", "median us",
	       "p90 us", "max us");
	for (int i = 0; i < n; i++)
		printf("%14llu %8llu %12.2f %12.2f %12.2f\n",
		       (unsigned long long)rows[i].at, (unsigned long long)rows[i].samples,
		       rows[i].median_ms * 1e3, rows[i].p90_ms * 1e3,
		       rows[i].max_ms * 1e3);
}

/* The algorithm and the objective, or -1 after a message. */
static int
set_up(const struct suggest_args *a, const rsw_space *space, rsw_algorithm **algo,
       rsw_loaded_objective **obj)
{
	rsw_objective_spec spec = { .name = functions[a->function] };
	rsw_algo_opts ao;
	char err[512];

	rsw_algo_opts_init(&ao);
	ao.evals = rsw_suggest_budget(&a->o);
	ao.seed = 1;
	if (strcmp(a->algo, "grid") == 0 ||
	    rsw_algo_create(algo, a->algo, space, &ao, err, sizeof err) != 0) {
		rsw_cli_errorf("--algo '%s': expected bayes, random, genetic or cmaes",
			       a->algo);
		return -1;
	}
	if (rsw_objective_load(obj, &spec, space, err, sizeof err) != 0) {
		rsw_cli_errorf("%s", err);
		rsw_algorithm_destroy(*algo);
		return -1;
	}
	return 0;
}

int
rsw_bench_suggest_main(int argc, char **argv)
{
	struct suggest_args a = { .o = { .at = { 100, 500, 1000 }, .nat = 3,
					 .span = 0.1 },
				  .algo = "bayes", .dim = 6 };
	rsw_suggest_row rows[RSW_SUGGEST_MAX_POINTS];
	rsw_loaded_objective *obj;
	rsw_algorithm *algo;
	rsw_space space;
	int n;

	n = rsw_opt_parse_or_help(
	    "bench suggest",
	    "The time of one suggest() as the history grows: the algorithm\n"
	    "runs in this process, one result at a time, and the suggestions\n"
	    "of seqs AT .. AT + AT * SPAN are summarised for each AT.", options,
	    NOPTIONS, argc, argv, &a, &a.out.help);
	if (n >= 0)
		return n;
	if (test_space(functions[a.function], a.dim, &space) != 0 ||
	    set_up(&a, &space, &algo, &obj) != 0)
		return RSW_EXIT_USAGE;
	n = rsw_bench_suggest(&a.o, algo,
			      rsw_loaded_objective_info(obj)->objective.eval, NULL,
			      rows);
	rsw_algorithm_destroy(algo);
	rsw_objective_unload(obj);
	if (n < 0) {
		rsw_cli_errorf("suggest benchmark failed: %s", rsw_strerror(n));
		return RSW_EXIT_FAILURE;
	}
	print_rows(&a, &space, rows, n);
	return RSW_EXIT_OK;
}
