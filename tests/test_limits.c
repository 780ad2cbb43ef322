/*
 * tests/test_limits.c - resource limits and the worker lifecycle through
 * the command: a hard memory limit (RLIMIT_DATA) turns big allocations
 * into `oom` results and leaves small ones alone; a soft limit and
 * --recycle-after replace workers between tasks without changing a single
 * result.
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"

static json_t *
summary(const char **args)
{
	const char *out = in_test_dir("summary.json");
	json_error_t err;
	json_t *root;

	cr_assert_eq(run_cli(args, out, NULL), 0);
	root = json_load_file(out, 0, &err);
	cr_assert_not_null(root, "invalid JSON: %s", err.text);
	return root;
}

static json_int_t
count(json_t *root, const char *status)
{
	return json_integer_value(json_object_get(json_object_get(root, "status"),
						  status));
}

Test(limits, hard_memory_limit_turns_big_allocations_into_oom, .timeout = 60,
     .init = make_test_dir)
{
	const char *csv = in_test_dir("mem.csv");
	const char *args[] = { "run", "--objective", "alloc", "--param",
			       "mb=int:8:128:8", "--max-mem", "64M", "-j", "2",
			       "--db", "none", "--results", csv, "-q", NULL };
	char *text, *line;

#if defined(__SANITIZE_ADDRESS__)
	/* ASan's shadow memory is private writable address space, which
	 * RLIMIT_DATA counts: no allocation could succeed under 64 MiB. */
	cr_skip_test("RLIMIT_DATA cannot be exercised under AddressSanitizer");
#endif
	cr_assert_eq(run_cli(args, NULL, NULL), 0, "the sweep goes on");
	text = slurp(csv);
	cr_assert_not_null(text);
	for (line = strchr(text, '\n') + 1; *line; line = strchr(line, '\n') + 1) {
		int mb;
		char status[16];

		cr_assert_eq(sscanf(line, "%*[^,],%d,%15[^,]", &mb, status), 2);
		if (mb <= 32)
			cr_assert_str_eq(status, "ok", "%d MiB under a 64 MiB limit", mb);
		if (mb >= 72)
			cr_assert_str_eq(status, "oom", "%d MiB over a 64 MiB limit", mb);
	}
	free(text);
}

Test(limits, soft_memory_limit_recycles_and_loses_nothing, .timeout = 60,
     .init = make_test_dir)
{
	/* Each task keeps 10 MiB: past 50 MiB a worker is replaced. */
	const char *args[] = { "run", "--objective", "leak", "--param", "mb=int:10:10",
			       "--param", "i=int:1:40", "--soft-mem", "50M", "-j", "2",
			       "--db", "none", "--json", NULL };
	/* 64 KiB a task, a few microseconds: once the first thousand tasks
	 * have shown how short they are, descriptors carry batches, and the
	 * soft limit (16 MiB: ~250 tasks) is reached in the middle of them. */
	const char *batched[] = { "run", "--objective", "leak", "--param",
				  "mb=choice:0.0625", "--param", "i=int:1:6000",
				  "--soft-mem", "16M", "-j", "2", "--db", "none",
				  "--json", NULL };
	json_t *root = summary(args);

	cr_assert_eq(count(root, "ok"), 40);
	cr_assert_geq(json_integer_value(json_object_get(root, "recycled")), 4);
	json_decref(root);
	root = summary(batched);
	cr_assert_eq(count(root, "ok"), 6000);
	cr_assert_geq(json_integer_value(json_object_get(root, "recycled")), 5);
	cr_assert_gt(json_integer_value(json_object_get(root, "requeued")), 0,
		     "no worker left in the middle of a batch");
	cr_assert_eq(json_integer_value(json_object_get(root, "retries")), 0);
	json_decref(root);
}

Test(limits, recycle_after_changes_no_result, .timeout = 60, .init = make_test_dir)
{
	const char *a_csv = in_test_dir("a.csv"), *b_csv = in_test_dir("b.csv");
	const char *plain[] = { "run", "--objective", "rastrigin", "--param",
				"x=float:-5:5", "--param", "y=int:-3:3", "--algo",
				"random", "--evals", "6000", "--seed", "3", "-j", "2",
				"--db", "none", "-q", "--results", a_csv, NULL };
	/* More tasks than the task ring's 1,024 descriptors: those queued
	 * once task times are known go in batches (up to 4), and a worker
	 * leaves after its 250th task in the middle of one. */
	const char *recycled[] = { "run", "--objective", "rastrigin", "--param",
				   "x=float:-5:5", "--param", "y=int:-3:3", "--algo",
				   "random", "--evals", "6000", "--seed", "3", "-j",
				   "2", "--db", "none", "--recycle-after", "250",
				   "--max-batch", "4", "--json", "--results", b_csv,
				   NULL };
	json_t *root;
	char *a, *b;

	cr_assert_eq(run_cli(plain, NULL, NULL), 0);
	root = summary(recycled);
	cr_assert_eq(count(root, "ok"), 6000);
	cr_assert_geq(json_integer_value(json_object_get(root, "recycled")),
		      6000 / 250 - 2);
	cr_assert_gt(json_integer_value(json_object_get(root, "requeued")), 0,
		     "no worker left in the middle of a batch");
	cr_assert_eq(json_integer_value(json_object_get(root, "retries")), 0,
		     "recycling is not a failure");
	json_decref(root);
	a = slurp(a_csv);
	b = slurp(b_csv);
	cr_assert_str_eq(a, b);
	free(a);
	free(b);
}

Test(limits, bad_sizes_are_refused, .timeout = 30, .init = make_test_dir)
{
	const char *a1[] = { "run", "--param", "x=int:0:3", "--max-mem", "lots", NULL };
	const char *a2[] = { "run", "--param", "x=int:0:3", "--soft-mem", "1K", NULL };
	const char *a3[] = { "run", "--param", "x=int:0:3", "--recycle-after", "0", NULL };

	cr_assert_eq(run_cli(a1, NULL, NULL), 2);
	cr_assert_eq(run_cli(a2, NULL, NULL), 2);
	cr_assert_eq(run_cli(a3, NULL, NULL), 2);
}
