/*
 * tests/test_space.c - the parameter space: every kind parses, every
 * malformed spec is refused naming the parameter and the bad part, unit
 * mapping honours bounds, integers, log scales and categories, categories
 * travel as indices and read as names, a JSON space file keeps its order,
 * and a store holding categories resumes exactly.
 */
#include <criterion/criterion.h>
#include <sqlite3.h>

#include "helpers.h"

static void
refused(const char *spec, const char *culprit)
{
	rsw_space s;
	char err[256] = "";

	rsw_space_init(&s);
	cr_assert_eq(rsw_space_add(&s, "taken=int:0:1", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add(&s, spec, err, sizeof err), RSW_EINVAL,
		     "'%s' accepted", spec);
	cr_assert_not_null(strstr(err, culprit), "'%s' -> '%s' lacks '%s'", spec,
			   err, culprit);
}

Test(space, malformed_specs_name_the_culprit, .timeout = 10)
{
	refused("x=int:5:1", "LO 5 is greater than HI 1");
	refused("x=int:0:9:0", "STEP '0' must be greater than 0");
	refused("x=float:a:1", "LO 'a' is not a number");
	refused("x=float:0:1e999", "HI '1e999' is not a number");
	refused("x=int:0.5:3", "whole numbers");
	refused("x=log:0:1", "LO > 0");
	refused("x=logint:0:10", ">= 1 for logint");
	refused("x=log:1:10:2", "takes no STEP");
	refused("x=cat:", "empty category list");
	refused("x=cat:a,,b", "empty category in");
	refused("x=cat:a,b,a", "category 'a' is given twice");
	refused("x=quantum:0:1", "unknown type 'quantum'");
	refused("taken=int:0:3", "'taken' is given twice");
	refused("=int:0:3", "empty name");
	refused("bad-name=int:0:3", "letters, digits and '_'");
	refused("x", "expected NAME=TYPE:LO:HI");
	refused("x=int:1", "expected TYPE:LO:HI[:STEP]");
}

Test(space, grid_cardinality_and_levels, .timeout = 10)
{
	const char *specs[] = { "a=int:1:10", "b=float:0:1:0.1", "c=cat:x,y,z",
				"d=logint:1:100", NULL };
	rsw_space s = space_of(specs);
	const char *cont[] = { "a=int:1:10", "e=log:0.001:1", NULL };
	rsw_space t = space_of(cont);

	cr_assert_eq(rsw_param_levels(&s.params[0]), 10);
	cr_assert_eq(rsw_param_levels(&s.params[1]), 11);
	cr_assert_eq(rsw_param_levels(&s.params[2]), 3);
	cr_assert_eq(rsw_param_levels(&s.params[3]), 100);
	cr_assert_eq(rsw_space_grid_size(&s), 10 * 11 * 3 * 100);
	cr_assert_eq(rsw_space_grid_size(&t), 0, "log floats are continuous");
}

Test(space, unit_mapping_respects_kind_and_bounds, .timeout = 10)
{
	const char *specs[] = { "i=int:-3:3", "f=float:2:4", "s=float:0:1:0.25",
				"l=log:0.001:10", "n=logint:1:1000", "c=cat:a,b,c,d",
				NULL };
	rsw_space s = space_of(specs);
	int below_100 = 0;

	for (int k = 0; k <= 1000; k++) {
		double u = k / 1000.0 * 0.999999;
		double i = rsw_param_from_unit(&s.params[0], u);
		double f = rsw_param_from_unit(&s.params[1], u);
		double st = rsw_param_from_unit(&s.params[2], u);
		double l = rsw_param_from_unit(&s.params[3], u);
		double n = rsw_param_from_unit(&s.params[4], u);
		double c = rsw_param_from_unit(&s.params[5], u);

		cr_assert(i >= -3 && i <= 3 && i == floor(i));
		cr_assert(f >= 2 && f <= 4);
		cr_assert(st == 0 || st == 0.25 || st == 0.5 || st == 0.75 || st == 1);
		cr_assert(l >= 0.001 && l <= 10);
		cr_assert(n >= 1 && n <= 1000 && n == floor(n));
		cr_assert(c >= 0 && c <= 3 && c == floor(c));
		below_100 += n < 100;
	}
	/* Log-uniform: two of the three decades lie below 100. */
	cr_assert(below_100 > 600 && below_100 < 730, "%d of 1001", below_100);
	cr_assert_float_eq(rsw_param_from_unit(&s.params[3], 0.5), 0.1, 1e-12);
	cr_assert_eq(rsw_param_from_unit(&s.params[5], 0.0), 0);
	cr_assert_eq(rsw_param_from_unit(&s.params[5], 0.9999), 3);
}

/* to_unit is from_unit's inverse on the domain: every value maps to a u
 * that maps back to it, discrete values to the middle of their cell. */
Test(space, to_unit_inverts_from_unit, .timeout = 10)
{
	const char *specs[] = { "i=int:-3:3", "f=float:2:4", "s=float:0:1:0.25",
				"l=log:0.001:10", "n=logint:1:1000", "c=cat:a,b,c,d",
				NULL };
	rsw_space s = space_of(specs);

	for (int k = 0; k < 1000; k++) {
		double u = k / 1000.0;

		for (uint32_t p = 0; p < s.n; p++) {
			double v = rsw_param_from_unit(&s.params[p], u);
			double back = rsw_param_to_unit(&s.params[p], v);

			cr_assert(back >= 0 && back < 1, "%s: %g", s.params[p].name, back);
			if (rsw_param_levels(&s.params[p]) > 0)
				cr_assert_eq(rsw_param_from_unit(&s.params[p], back), v,
					     "%s: %g", s.params[p].name, v);
			else
				cr_assert_float_eq(rsw_param_from_unit(&s.params[p], back), v,
						   1e-9 * fabs(v), "%s: %g",
						   s.params[p].name, v);
		}
	}
	/* The middle of the cell: 7 integers, -3 is the first. */
	cr_assert_float_eq(rsw_param_to_unit(&s.params[0], -3), 0.5 / 7, 1e-15);
	cr_assert_float_eq(rsw_param_to_unit(&s.params[5], 3), 3.5 / 4, 1e-15);
	cr_assert_float_eq(rsw_param_to_unit(&s.params[3], 0.1), 0.5, 1e-12);
	/* The top of a continuous range stays inside [0, 1). */
	cr_assert_lt(rsw_param_to_unit(&s.params[1], 4), 1);
}

Test(space, categories_format_and_parse_by_name, .timeout = 10)
{
	const char *specs[] = { "mode=cat:sma,ema,wma", "x=float:0:1", NULL };
	rsw_space s = space_of(specs);
	char buf[64];
	double v;

	cr_assert_str_eq(rsw_param_format(&s.params[0], 1, buf, sizeof buf), "ema");
	cr_assert_eq(rsw_param_parse_value(&s.params[0], "wma", &v), 0);
	cr_assert_eq(v, 2);
	cr_assert_eq(rsw_param_parse_value(&s.params[0], "hma", &v), RSW_EINVAL);
	cr_assert_str_eq(rsw_param_format(&s.params[1], 0.1, buf, sizeof buf),
			 "0.1");
	cr_assert_eq(rsw_param_parse_value(&s.params[1], buf, &v), 0);
	cr_assert_eq(v, 0.1, "%.17g round-trips");
}

Test(space, json_space_file_keeps_its_order, .timeout = 10)
{
	char path[] = "/tmp/rsw-space-XXXXXX";
	int fd = mkstemp(path);
	const char json[] = "{\"zeta\": \"int:1:3\", \"alpha\": \"cat:u,v\", "
			    "\"mid\": \"log:1:100\"}";
	rsw_space s;
	char err[256];

	cr_assert_eq(write(fd, json, sizeof json - 1), (ssize_t)(sizeof json - 1));
	close(fd);
	rsw_space_init(&s);
	cr_assert_eq(rsw_space_load_json(&s, path, err, sizeof err), 0, "%s", err);
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.params[0].name, "zeta");
	cr_assert_str_eq(s.params[1].name, "alpha");
	cr_assert_eq(s.params[1].kind, RSW_PARAM_CAT);
	cr_assert_str_eq(s.params[2].name, "mid");
	fd = open(path, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, "{\"a\": 5}", 8), 8);
	close(fd);
	rsw_space_init(&s);
	cr_assert_eq(rsw_space_load_json(&s, path, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "parameter 'a' needs a spec string"), "%s", err);
	/* A parameter given twice is refused, not overwritten by the last. */
	fd = open(path, O_WRONLY | O_TRUNC);
	{
		const char twice[] = "{\"a\": \"int:1:3\",\n \"a\": \"int:5:9\"}";

		cr_assert_eq(write(fd, twice, sizeof twice - 1), (ssize_t)(sizeof twice - 1));
	}
	close(fd);
	rsw_space_init(&s);
	cr_assert_eq(rsw_space_load_json(&s, path, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "duplicate"), "%s", err);
	cr_assert_not_null(strstr(err, path), "%s", err);
	/* A bad spec inside the file is said of the file too (found by
	 * tools/fuzz.sh: the message named only the parameter). */
	fd = open(path, O_WRONLY | O_TRUNC);
	{
		const char bad[] = "{\"x\": \"int:31:\"}";

		cr_assert_eq(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
	}
	close(fd);
	rsw_space_init(&s);
	cr_assert_eq(rsw_space_load_json(&s, path, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_not_null(strstr(err, "'x'"), "%s", err);
	unlink(path);
}

Test(space, store_with_categories_resumes_exactly, .timeout = 60)
{
	char dir[] = "/tmp/rsw-spacedb-XXXXXX", db[128], full[128], cut[128];
	const char *run[] = { "run", "--cmd", "echo {lr}", "--param",
			      "lr=log:0.0001:1", "--param", "mode=cat:fast,slow,mid",
			      "--param", "depth=logint:1:1000", "--algo", "random",
			      "--evals", "300", "--seed", "4", "-q", "--db", db, NULL };
	const char *exp_full[] = { "export", db, NULL };
	const char *resume[] = { "run", "--resume", db, "-q", NULL };
	sqlite3 *h;
	char *a, *b;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/c.db", dir);
	snprintf(full, sizeof full, "%s/full.csv", dir);
	snprintf(cut, sizeof cut, "%s/cut.csv", dir);
	cr_assert_eq(run_cli(run, NULL, NULL), 0);
	cr_assert_eq(run_cli(exp_full, full, NULL), 0);
	/* Lose the tail, as a SIGKILL would, then resume. */
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(h, "DELETE FROM results WHERE seq >= 120", NULL,
				  NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	cr_assert_eq(run_cli(resume, NULL, NULL), 0);
	cr_assert_eq(run_cli(exp_full, cut, NULL), 0);
	/* seq, the three parameters, status, detail, value. */
	a = keep_fields(slurp(full), 7);
	b = keep_fields(slurp(cut), 7);
	cr_assert_not_null(strstr(a, "\n299,"), "300 rows");
	cr_assert_str_eq(a, b, "the resumed table differs");
	free(a);
	free(b);
}
