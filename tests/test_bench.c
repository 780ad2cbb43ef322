/*
 * tests/test_bench.c - the benchmarks' statistics (nearest-rank quantiles,
 * warm-up exclusion) and smoke runs of `ringsweep bench ipc`, `scaling`
 * and `suggest` at tiny counts whose JSON must parse and hold
 * every row.  No timing is asserted: only that figures exist and are sane
 * in kind (positive, ordered quantiles).
 */
#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"
#include "stats.h"

Test(stats, nearest_rank_quantiles, .timeout = 10)
{
	uint64_t v[] = { 1, 2, 3, 4 };
	uint64_t hundred[100];

	cr_assert_eq(rsw_quantile_sorted(v, 4, 0.5), 2);
	cr_assert_eq(rsw_quantile_sorted(v, 4, 0.75), 3);
	cr_assert_eq(rsw_quantile_sorted(v, 4, 1.0), 4);
	cr_assert_eq(rsw_quantile_sorted(v, 4, 0.0), 1);
	for (int i = 0; i < 100; i++)
		hundred[i] = (uint64_t)i + 1;
	cr_assert_eq(rsw_quantile_sorted(hundred, 100, 0.99), 99);
	cr_assert_eq(rsw_quantile_sorted(hundred, 100, 0.999), 100);
	cr_assert_eq(rsw_quantile_sorted(hundred, 100, 0.9), 90);
	cr_assert(isnan(rsw_quantile_sorted(hundred, 0, 0.5)));
}

Test(stats, warmup_samples_are_never_counted, .timeout = 10)
{
	rsw_latency_summary sum;
	rsw_sampler s;

	cr_assert_eq(rsw_sampler_init(&s, 3, 5), 0);
	/* Three huge warm-up samples, then 1..5 in shuffled order. */
	rsw_sampler_add(&s, 1000000);
	rsw_sampler_add(&s, 2000000);
	rsw_sampler_add(&s, 3000000);
	rsw_sampler_add(&s, 4);
	rsw_sampler_add(&s, 1);
	rsw_sampler_add(&s, 5);
	rsw_sampler_add(&s, 3);
	rsw_sampler_add(&s, 2);
	rsw_sampler_add(&s, 999); /* beyond capacity: dropped */
	rsw_sampler_summary(&s, &sum);
	cr_assert_eq(sum.count, 5);
	cr_assert_eq(sum.min_ns, 1);
	cr_assert_eq(sum.max_ns, 5);
	cr_assert_eq(sum.p50_ns, 3);
	cr_assert_eq(sum.mean_ns, 3);
	rsw_sampler_free(&s);
}

Test(stats, only_warmup_gives_an_empty_summary, .timeout = 10)
{
	rsw_latency_summary sum;
	rsw_sampler s;

	cr_assert_eq(rsw_sampler_init(&s, 10, 10), 0);
	for (int i = 0; i < 10; i++)
		rsw_sampler_add(&s, 7);
	rsw_sampler_summary(&s, &sum);
	cr_assert_eq(sum.count, 0);
	cr_assert(isnan(sum.p50_ns));
	rsw_sampler_free(&s);
}

/* Runs `ringsweep bench ...` (args, with --json), parses what it printed
 * and checks it names `benchmark`; the file is removed. */
static json_t *
run_json(const char **args, const char *benchmark)
{
	char out[] = "/tmp/rsw-bench-json-XXXXXX";
	int fd = mkstemp(out);
	json_error_t err;
	json_t *root;

	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(run_cli(args, out, "/dev/null"), 0, "bench exited non-zero");
	root = json_load_file(out, 0, &err);
	unlink(out);
	cr_assert_not_null(root, "invalid JSON: %s (line %d)", err.text, err.line);
	cr_assert_str_eq(json_string_value(json_object_get(root, "benchmark")),
			 benchmark);
	return root;
}

Test(bench, ipc_smoke_emits_valid_json_for_every_transport, .timeout = 120)
{
	const char *args[] = { "bench", "ipc", "--roundtrips", "300", "--warmup",
			       "50", "--stream", "300", "--size", "128", "--json",
			       NULL };
	const char *expect[] = { "cache-line", "ck-spsc", "ck-mpmc", "futex",
				 "eventfd", "pipe", "unix-stream", "unix-dgram",
				 "posix-mq", "ringsweep-spin", "ringsweep-sleep",
				 "threads-spin", "threads-sleep" };
	json_t *root, *rows;

	root = run_json(args, "ipc");
	cr_assert_eq(json_integer_value(json_object_get(root, "size")), 128);
	rows = json_object_get(root, "transports");
	cr_assert(json_is_array(rows));
	cr_assert_eq(json_array_size(rows), sizeof expect / sizeof expect[0]);
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);
		double p50, p99, max, tput;

		cr_assert_str_eq(json_string_value(json_object_get(r, "name")),
				 expect[i]);
		if (!json_is_true(json_object_get(r, "measured"))) {
			/* Unsupported here (e.g. no mqueue): says why. */
			cr_assert_gt(strlen(json_string_value(json_object_get(r, "note"))), 0);
			continue;
		}
		p50 = json_number_value(json_object_get(r, "p50_ns"));
		p99 = json_number_value(json_object_get(r, "p99_ns"));
		max = json_number_value(json_object_get(r, "max_ns"));
		tput = json_number_value(json_object_get(r, "msgs_per_s"));
		cr_assert_gt(p50, 0, "%s", expect[i]);
		cr_assert_leq(p50, p99, "%s: quantiles ordered", expect[i]);
		cr_assert_leq(p99, max, "%s: quantiles ordered", expect[i]);
		cr_assert_gt(tput, 0, "%s", expect[i]);
	}
	json_decref(root);
}

/* Every idle mode at every gap, measured; and what idle modes are for:
 * once nothing is submitted, a sleeping or adaptive worker is asleep
 * (under half a core over the idle window, however loaded the machine),
 * where a spinning one is not. */
Test(bench, latency_smoke_emits_every_idle_mode_and_adaptive_goes_to_sleep,
     .timeout = 120)
{
	const char *args[] = { "bench", "latency", "--budget", "0.02", "--idle",
			       "0.2", "--json", NULL };
	const char *modes[] = { "spin", "sleep", "adaptive" };
	const double gaps[] = { 0, 10000, 200000, 2000000 };
	json_t *root, *rows;

	root = run_json(args, "latency");
	rows = json_object_get(root, "rows");
	cr_assert_eq(json_array_size(rows), 12);
	for (size_t i = 0; i < 12; i++) {
		json_t *r = json_array_get(rows, i);
		const char *idle = json_string_value(json_object_get(r, "idle"));

		cr_assert_str_eq(idle, modes[i % 3]);
		cr_assert_eq(json_number_value(json_object_get(r, "gap_ns")), gaps[i / 3]);
		cr_assert(json_is_true(json_object_get(r, "measured")), "%s: %s", idle,
			  json_string_value(json_object_get(r, "note")));
		cr_assert_geq(json_number_value(json_object_get(r, "roundtrips")), 200);
		cr_assert_leq(json_number_value(json_object_get(r, "p50_ns")),
			      json_number_value(json_object_get(r, "p99_ns")));
		if (i % 3 != 0)
			cr_assert_lt(json_number_value(json_object_get(r, "cpu_idle")), 0.5,
				     "%s after a gap of %g ns: still spinning", idle,
				     gaps[i / 3]);
	}
	json_decref(root);
}

Test(bench, scaling_smoke_emits_valid_json, .timeout = 120)
{
	const char *args[] = { "bench", "scaling", "--durations", "20us,200us",
			       "--max-workers", "2", "--budget", "0.02", "--json",
			       NULL };
	json_t *root, *rows;

	root = run_json(args, "scaling");
	rows = json_object_get(root, "rows");
	cr_assert_eq(json_array_size(rows), 4, "2 durations x workers {1, 2}");
	for (size_t i = 0; i < json_array_size(rows); i++) {
		json_t *r = json_array_get(rows, i);

		cr_assert_eq(json_integer_value(json_object_get(r, "task_ns")),
			     i < 2 ? 20000 : 200000);
		cr_assert_eq(json_integer_value(json_object_get(r, "workers")),
			     (json_int_t)(i % 2 + 1));
		cr_assert_gt(json_number_value(json_object_get(r, "wall_s")), 0);
		cr_assert_gt(json_number_value(json_object_get(r, "speedup")), 0);
		cr_assert_gt(json_integer_value(json_object_get(r, "tasks")), 0);
	}
	json_decref(root);
}

Test(bench, suggest_smoke_emits_valid_json, .timeout = 60)
{
	const char *args[] = { "bench", "suggest", "--algo", "bayes", "--objective",
			       "branin", "--at", "12,20", "--span", "0.5", "--json",
			       NULL };
	json_t *root, *rows;

	root = run_json(args, "suggest");
	cr_assert_eq(json_integer_value(json_object_get(root, "dim")), 2);
	rows = json_object_get(root, "rows");
	cr_assert_eq(json_array_size(rows), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_array_get(rows, i);
		double med = json_number_value(json_object_get(r, "median_ms"));
		double p90 = json_number_value(json_object_get(r, "p90_ms"));
		double max = json_number_value(json_object_get(r, "max_ms"));

		cr_assert_eq(json_integer_value(json_object_get(r, "observations")),
			     i == 0 ? 12 : 20);
		/* [12, 18] and [20, 30]: span 0.5 */
		cr_assert_eq(json_integer_value(json_object_get(r, "samples")),
			     i == 0 ? 7 : 11);
		cr_assert(med > 0 && med <= p90 && p90 <= max, "%g %g %g", med, p90,
			  max);
	}
	json_decref(root);
}

Test(bench, bad_options_are_refused_before_measuring, .timeout = 30)
{
	const char *a1[] = { "bench", "ipc", "--size", "5000", NULL };
	const char *a2[] = { "bench", "scaling", "--durations", "10parsecs", NULL };
	const char *a3[] = { "bench", "frobnicate", NULL };
	const char *a4[] = { "bench", "ipc", "--plot", "/nonexistent-dir/x.png", NULL };
	const char *a5[] = { "bench", "suggest", "--objective", "ma_cross", NULL };
	const char *a6[] = { "bench", "suggest", "--algo", "grid", NULL };
	const char *a7[] = { "bench", "suggest", "--at", "0", NULL };

	cr_assert_eq(run_cli(a1, NULL, NULL), 2);
	cr_assert_eq(run_cli(a2, NULL, NULL), 2);
	cr_assert_eq(run_cli(a3, NULL, NULL), 2);
	cr_assert_eq(run_cli(a4, NULL, NULL), 2);
	cr_assert_eq(run_cli(a5, NULL, NULL), 2);
	cr_assert_eq(run_cli(a6, NULL, NULL), 2);
	cr_assert_eq(run_cli(a7, NULL, NULL), 2);
}
