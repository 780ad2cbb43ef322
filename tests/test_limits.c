/*
 * tests/test_limits.c - resource limits and the worker lifecycle through
 * the command: a hard memory limit (RLIMIT_DATA) turns big allocations
 * into `oom` results and leaves small ones alone, also when the objective
 * dies of the failed allocation; a soft limit and --recycle-after replace
 * workers between tasks without changing a single result.
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

/* Grows x[0] MiB in touched 1 MiB chunks, as a growing data structure
 * does, and aborts when an allocation fails, as an uncaught std::bad_alloc
 * does: the worker dies with its resident memory at the limit. */
static int
grow_or_abort(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	      rsw_eval_out *out)
{
	char *chunks[256];
	uint32_t want = (uint32_t)x[0];

	for (uint32_t i = 0; i < want; i++) {
		chunks[i] = malloc(1u << 20);
		if (chunks[i] == NULL)
			abort();
		memset(chunks[i], 1, 1u << 20);
	}
	for (uint32_t i = 0; i < want; i++)
		free(chunks[i]);
	out->value = want;
	return 0;
}

Test(limits, a_worker_that_dies_at_the_memory_limit_is_an_oom, .timeout = 60)
{
	rsw_objective obj = { grow_or_abort, NULL, NULL, NULL };
	rsw_result out[4];
	double mb[4] = { 8, 200, 16, 250 };
	rsw_config c;
	rsw_engine *e;
	uint32_t got = 0;

#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("RLIMIT_DATA cannot be exercised under AddressSanitizer");
#endif
	rsw_config_init(&c);
	c.workers = 2;
	c.max_params = 1;
	c.max_mem = 64u << 20;
	c.max_attempts = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_engine_submit_batch(e, mb, 1, 4), 4);
	while (got < 4) {
		int k = rsw_engine_poll(e, out + got, 4 - got, -1);

		cr_assert_gt(k, 0, "poll: %s", rsw_strerror(k));
		got += (uint32_t)k;
	}
	rsw_engine_close(e);
	for (uint32_t i = 0; i < 4; i++)
		cr_assert_eq(out[i].status,
			     mb[i] < 64 ? RSW_STATUS_OK : RSW_STATUS_OOM,
			     "%g MiB under a 64 MiB limit: %s", mb[i],
			     rsw_status_name(out[i].status));
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

/* A process group named in a worker's slot (shared memory: anything can
 * write it) is killed with the worker only if its leader is the worker's
 * child: here the objective names a group of another process tree (the
 * test's own child), then hangs past its deadline. */
static pid_t g_victim;

static int
names_a_stranger(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
		 rsw_eval_out *out)
{
	rsw_worker_set_child_group((int)g_victim);
	sleep(30);
	return 0;
}

Test(limits, a_process_group_named_in_shared_memory_must_be_the_workers,
     .timeout = 60)
{
	char *const argv[] = { "sleep", "60", NULL };
	posix_spawnattr_t at;
	rsw_objective obj = { names_a_stranger, NULL, NULL, NULL };
	rsw_config cfg;
	rsw_engine *e;
	rsw_result r;
	double x = 1;

	cr_assert_eq(posix_spawnattr_init(&at), 0);
	cr_assert_eq(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID), 0);
	cr_assert_eq(posix_spawnp(&g_victim, "sleep", NULL, &at, argv, environ), 0);
	posix_spawnattr_destroy(&at);
	rsw_config_init(&cfg);
	cfg.workers = 1;
	cfg.timeout_s = 0.3;
	cr_assert_eq(rsw_engine_open(&e, &cfg, &obj), 0);
	cr_assert_eq(rsw_engine_submit(e, &x, 1, NULL), 0);
	cr_assert_eq(rsw_engine_poll(e, &r, 1, -1), 1);
	cr_assert_eq(r.status, RSW_STATUS_TIMEOUT);
	rsw_engine_close(e);
	cr_assert_eq(waitpid(g_victim, NULL, WNOHANG), 0, "a stranger was killed");
	kill(g_victim, SIGKILL);
	waitpid(g_victim, NULL, 0);
}

/* Memory mapped shared (MAP_SHARED anonymous, as a memfd would be) is not
 * counted by RLIMIT_DATA: the supervisor's watch of resident memory still
 * holds the limit, and the task ends as oom. */
static int
maps_shared(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	size_t len = (size_t)x[0] << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return -1;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	/* Held a while, as a task using it would. */
	busy_wait_ns(200000000ull);
	munmap(p, len);
	out->value = x[0];
	return 0;
}

Test(limits, shared_memory_does_not_escape_the_limit, .timeout = 60)
{
	rsw_objective obj = { maps_shared, NULL, NULL, NULL };
	double sizes[2] = { 16, 768 }; /* MiB: under and over the limit */
	rsw_config cfg;
	rsw_engine *e;
	rsw_result r[2];
	int got = 0;

	rsw_config_init(&cfg);
	cfg.workers = 1;
	cfg.max_mem = 256ull << 20;
	cfg.max_params = 1;
	cr_assert_eq(rsw_engine_open(&e, &cfg, &obj), 0);
	cr_assert_eq(rsw_engine_submit_batch(e, sizes, 1, 2), 2);
	while (got < 2) {
		int n = rsw_engine_poll(e, r + got, 2 - (uint32_t)got, -1);

		cr_assert_geq(n, 0);
		got += n;
	}
	cr_assert_eq(r[0].status, RSW_STATUS_OK, "16 MiB: %s",
		     rsw_status_name(r[0].status));
	cr_assert_eq(r[1].status, RSW_STATUS_OOM, "768 MiB shared: %s",
		     rsw_status_name(r[1].status));
	rsw_engine_close(e);
}
