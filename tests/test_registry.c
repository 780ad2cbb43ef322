/*
 * tests/test_registry.c - the algorithm registry and the non-adaptive
 * algorithms through the library: every name creates its algorithm, random's
 * typed constructor and rsw_algo_create agree, a missing required option
 * is refused naming it, and random search is a pure function of (seed, k):
 * two searches with one seed in one process agree, in any order of asking.
 */
#include <criterion/criterion.h>

#include "helpers.h"

static rsw_space
box(void)
{
	const char *specs[] = { "x=float:-3:3", "k=int:1:9", "c=cat:a,b,c",
				"p=choice:0.5,2,8", NULL };

	return space_of(specs);
}

Test(registry, every_name_creates_its_algorithm)
{
	rsw_space s = box();
	rsw_algo_opts o;
	size_t n;
	const rsw_algo_info *list = rsw_algo_list(&n);
	char err[256];

	cr_assert_eq(n, 5);
	rsw_algo_opts_init(&o);
	o.evals = 40;
	for (size_t i = 0; i < n; i++) {
		rsw_algorithm *a = NULL;
		rsw_space grid_space;

		/* grid needs every parameter stepped */
		if (strcmp(list[i].name, "grid") == 0) {
			const char *specs[] = { "k=int:1:9", "c=cat:a,b", NULL };

			grid_space = space_of(specs);
		}
		cr_assert_eq(rsw_algo_create(&a, list[i].name,
					     strcmp(list[i].name, "grid") == 0 ?
						     &grid_space : &s,
					     &o, err, sizeof err),
			     0, "%s: %s", list[i].name, err);
		cr_assert_str_eq(a->name, list[i].name);
		cr_assert_eq(rsw_algo_find(list[i].name), &list[i]);
		rsw_algorithm_destroy(a);
	}
	o.evals = 0;
	cr_assert_eq(rsw_algo_create(&(rsw_algorithm *){ NULL }, "random", &s, &o,
				     err, sizeof err), RSW_EINVAL);
	cr_assert_str_eq(err, "--algo random needs --evals N (its budget)");
	cr_assert_eq(rsw_algo_create(&(rsw_algorithm *){ NULL }, "tabu", &s, &o,
				     err, sizeof err), RSW_ENOTFOUND);
	cr_assert_not_null(strstr(err, "'tabu' (expected grid, random, bayes, "
				       "genetic or cmaes)"), "%s", err);
	cr_assert_eq(rsw_algo_default_window(rsw_algo_find("bayes"), &o), 4);
	/* genetic's window is a generation: by default 10 with one
	 * objective, 50 with several (NSGA-II). */
	cr_assert_eq(rsw_algo_default_window(rsw_algo_find("genetic"), &o), 10);
	o.nobjectives = 2;
	cr_assert_eq(rsw_algo_default_window(rsw_algo_find("genetic"), &o), 50);
	o.nobjectives = 0;
	o.population = 30;
	cr_assert_eq(rsw_algo_default_window(rsw_algo_find("genetic"), &o), 30);
}

static void
suggest_all(rsw_algorithm *a, uint64_t n, double *out, int backwards)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t k = backwards ? n - 1 - i : i;

		cr_assert_eq(a->suggest(a, k, out + k * a->nparams), RSW_SUGGEST_OK);
	}
}

/* Point k depends on (seed, k) alone: not on another search in the same
 * process, not on the order it is asked in. */
Test(registry, random_points_are_a_function_of_seed_and_k)
{
	rsw_space s = box();
	rsw_algo_opts o;
	rsw_algorithm *a, *b, *c, *other;
	const uint64_t n = 500;
	double *pa = calloc(n * s.n, sizeof(double));
	double *pb = calloc(n * s.n, sizeof(double));
	double *pc = calloc(n * s.n, sizeof(double));
	double junk[RSW_MAX_PARAMS_LIMIT];

	rsw_algo_opts_init(&o);
	o.evals = n;
	o.seed = 42;
	cr_assert_eq(rsw_algo_random_create(&a, &s, &o), 0);
	cr_assert_eq(rsw_algo_create(&b, "random", &s, &o, NULL, 0), 0);
	cr_assert_eq(rsw_algo_random_create(&c, &s, &o), 0);
	o.seed = 43;
	cr_assert_eq(rsw_algo_random_create(&other, &s, &o), 0);
	/* Interleaved with each other and with a search of another seed. */
	for (uint64_t k = 0; k < n; k++) {
		cr_assert_eq(a->suggest(a, k, pa + k * s.n), RSW_SUGGEST_OK);
		cr_assert_eq(other->suggest(other, k, junk), RSW_SUGGEST_OK);
		cr_assert_eq(b->suggest(b, k, pb + k * s.n), RSW_SUGGEST_OK);
	}
	suggest_all(c, n, pc, 1);
	cr_assert_arr_eq(pa, pb, n * s.n * sizeof(double));
	cr_assert_arr_eq(pa, pc, n * s.n * sizeof(double), "asked backwards");
	for (uint64_t k = 0; k < n; k++)
		for (uint32_t d = 0; d < s.n; d++) {
			const rsw_param *p = &s.params[d];
			double v = pa[k * s.n + d];

			cr_assert(v >= p->lo && v <= p->hi, "%s = %g", p->name, v);
			if (p->kind == RSW_PARAM_CHOICE)
				cr_assert(v == 0.5 || v == 2 || v == 8, "%g", v);
		}
	cr_assert_eq(a->suggest(a, n, junk), RSW_SUGGEST_DONE);
	rsw_algorithm_destroy(a);
	rsw_algorithm_destroy(b);
	rsw_algorithm_destroy(c);
	rsw_algorithm_destroy(other);
	free(pa);
	free(pb);
	free(pc);
}
