/*
 * algorithms/registry.c - the algorithm registry: names, defaults and
 * options from RSW_ALGO_MAP (ringsweep/algorithms.h), the typed
 * constructors, and rsw_algo_create, which refuses a missing required
 * option (from the table) before the algorithm's own checks.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "algorithms.h"

static const rsw_algo_info registry[] = {
#define RSW__ALGO_INFO(name, window, options, required, help)                  \
	{ #name, help, options, required, window },
	RSW_ALGO_MAP(RSW__ALGO_INFO)
#undef RSW__ALGO_INFO
};

typedef int (*create_fn)(rsw_algorithm **out, const rsw_space *space,
			 const rsw_algo_opts *o, char *err, size_t errlen);

static const create_fn creators[] = {
#define RSW__ALGO_CREATOR(name, window, options, required, help)               \
	rsw__algo_##name##_create,
	RSW_ALGO_MAP(RSW__ALGO_CREATOR)
#undef RSW__ALGO_CREATOR
};

/* Constraints no point satisfies are refused before anything runs: the
 * samplers would otherwise reject draws for ever. */
static int
create_feasible(const rsw_algo_info *a, rsw_algorithm **out,
		const rsw_space *space, const rsw_algo_opts *o, char *err,
		size_t errlen)
{
	int rc;

	if (o->nobjectives == 1 || o->nobjectives > RSW_MAX_OBJECTIVES)
		return rsw__algo_refuse(err, errlen, "--algo %s: a multi-objective "
					"search needs 2 to %d objectives, got %u",
					a->name, RSW_MAX_OBJECTIVES, o->nobjectives);
	rc = rsw_space_check_feasible(space, err, errlen);
	if (rc != 0)
		return rc;
	return creators[a - registry](out, space, o, err, errlen);
}

#define NALGOS (sizeof registry / sizeof registry[0])

/* What an option means to one algorithm; those it reads without an entry
 * here use the generic text below. */
static const struct {
	const char *algo;
	uint32_t option;
	const char *text;
} option_help[] = {
	{ "random", RSW_ALGO_OPT_EVALS, "points in all (required)" },
	{ "bayes", RSW_ALGO_OPT_EVALS, "evaluations in all (required)" },
	{ "bayes", RSW_ALGO_OPT_INIT, "space-filling points before the model "
				      "(default 10, or 2(d+1) for d > 4)" },
	{ "genetic", RSW_ALGO_OPT_EVALS, "evaluations in all, the last "
					 "generation partial (default "
					 "population x generations)" },
	{ "genetic", RSW_ALGO_OPT_POPULATION, "individuals a generation "
					      "(default 10; several objectives: "
					      "50)" },
	{ "genetic", RSW_ALGO_OPT_GENERATIONS, "generations (default 100; "
					       "several objectives: 20; or "
					       "evals / population)" },
	{ "cmaes", RSW_ALGO_OPT_EVALS, "evaluations in all (required)" },
	{ "cmaes", RSW_ALGO_OPT_POPULATION, "lambda, samples a generation "
					    "(default 4 + 3 ln d)" },
};

void
rsw_algo_opts_init(rsw_algo_opts *o)
{
	memset(o, 0, sizeof *o);
	o->minimize = 1;
}

const char *
rsw_algo_option_name(uint32_t option)
{
	switch (option) {
	case RSW_ALGO_OPT_SEED:
		return "seed";
	case RSW_ALGO_OPT_EVALS:
		return "evals";
	case RSW_ALGO_OPT_POPULATION:
		return "population";
	case RSW_ALGO_OPT_GENERATIONS:
		return "generations";
	case RSW_ALGO_OPT_INIT:
		return "init";
	default:
		return NULL;
	}
}

const rsw_algo_info *
rsw_algo_list(size_t *n)
{
	*n = NALGOS;
	return registry;
}

const rsw_algo_info *
rsw_algo_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < NALGOS; i++)
		if (strcmp(registry[i].name, name) == 0)
			return &registry[i];
	return NULL;
}

const char *
rsw_algo_option_help(const rsw_algo_info *a, uint32_t option)
{
	if (a == NULL || (a->options & option) == 0)
		return NULL;
	for (size_t i = 0; i < sizeof option_help / sizeof option_help[0]; i++)
		if (option_help[i].option == option &&
		    strcmp(option_help[i].algo, a->name) == 0)
			return option_help[i].text;
	return option == RSW_ALGO_OPT_SEED ? "random seed (default 0)" :
	       option == RSW_ALGO_OPT_EVALS ? "evaluations in all" : "";
}

int
rsw__algo_refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return RSW_EINVAL;
}

int
rsw_algo_create(rsw_algorithm **out, const char *name, const rsw_space *space,
		const rsw_algo_opts *o, char *err, size_t errlen)
{
	const rsw_algo_info *a = rsw_algo_find(name);
	rsw_algo_opts defaults;

	*out = NULL;
	if (a == NULL) {
		char known[256] = "";

		for (size_t i = 0; i < NALGOS; i++)
			snprintf(known + strlen(known), sizeof known - strlen(known),
				 "%s%s", i == 0 ? "" : i + 1 == NALGOS ? " or " : ", ",
				 registry[i].name);
		snprintf(err, errlen, "unknown --algo '%s' (expected %s)",
			 name != NULL ? name : "", known);
		return RSW_ENOTFOUND;
	}
	if (space == NULL)
		return rsw__algo_refuse(err, errlen, "--algo %s: no space", name);
	if (o == NULL) {
		rsw_algo_opts_init(&defaults);
		o = &defaults;
	}
	/* Only evals can be required today; the table says which. */
	if ((a->required & RSW_ALGO_OPT_EVALS) != 0 && o->evals == 0)
		return rsw__algo_refuse(err, errlen, "--algo %s needs --evals N "
					"(its budget)", a->name);
	return create_feasible(a, out, space, o, err, errlen);
}

uint32_t
rsw_algo_default_window(const rsw_algo_info *a, const rsw_algo_opts *o)
{
	if (a->default_window != 0)
		return a->default_window;
	/* A whole generation in flight: the population, never the workers. */
	return o != NULL ? rsw__genetic_population(o) : RSW__GENETIC_POPULATION;
}

uint64_t
rsw_algo_budget(const rsw_algo_info *a, const rsw_space *space,
		const rsw_algo_opts *o)
{
	/* From the table: an algorithm without a budget option walks the
	 * grid; one counted in generations has generations x population. */
	if ((a->options & RSW_ALGO_OPT_EVALS) == 0)
		return rsw_space_feasible_grid_size(space);
	if ((a->options & RSW_ALGO_OPT_GENERATIONS) != 0 && o->evals == 0)
		return (uint64_t)rsw__genetic_population(o) *
		       rsw__genetic_generations(o);
	return o->evals;
}

#define RSW__ALGO_PUBLIC(name, window, options, required, help)                \
	int rsw_algo_##name##_create(rsw_algorithm **out,                      \
				     const rsw_space *space,                   \
				     const rsw_algo_opts *o)                   \
	{                                                                      \
		rsw_algo_opts defaults;                                        \
                                                                               \
		if (o == NULL) {                                               \
			rsw_algo_opts_init(&defaults);                         \
			o = &defaults;                                         \
		}                                                              \
		return create_feasible(rsw_algo_find(#name), out, space, o,    \
				       NULL, 0);                               \
	}
RSW_ALGO_MAP(RSW__ALGO_PUBLIC)
#undef RSW__ALGO_PUBLIC
