/*
 * tests/test_sequencer.c - rsw_run's deterministic call order: the trace
 * of suggest/update calls, and every suggested parameter, are identical
 * for serial execution and any number of worker processes, with tasks of
 * uneven duration finishing out of order; WAIT barriers; the deadlock
 * check; is_complete's early stop.
 */
#include <criterion/criterion.h>

#include "helpers.h"

#define TRACE_MAX (1 << 20)

/* An adaptive algorithm whose suggestions depend on every result it has
 * seen, and which checks the window rule on each call. */
struct recorder {
	uint64_t evals;
	uint32_t window;
	uint32_t generation; /* > 0: WAIT at each generation boundary */
	uint64_t updates;
	double acc;
	char *trace;
	size_t len;
	int rule_broken;
};

static void
trace(struct recorder *r, char kind, uint64_t seq)
{
	if (r->len + 32 < TRACE_MAX)
		r->len += (size_t)snprintf(r->trace + r->len, TRACE_MAX - r->len,
					   "%c%llu ", kind, (unsigned long long)seq);
}

static int
rec_suggest(rsw_algorithm *a, uint64_t k, double *x)
{
	struct recorder *r = a->state;

	if (k >= r->evals)
		return RSW_SUGGEST_DONE;
	if (r->generation > 0 && k > 0 && k % r->generation == 0 &&
	    r->updates < k) {
		trace(r, 'W', k);
		return RSW_SUGGEST_WAIT;
	}
	if (r->generation == 0 && r->updates != (k > r->window ? k - r->window : 0))
		r->rule_broken = 1;
	x[0] = fmod(r->acc * 7.0 + (double)k, 1000.0);
	x[1] = (double)(k % 13);
	trace(r, 'S', k);
	return RSW_SUGGEST_OK;
}

static int
rec_update(rsw_algorithm *a, const double *x, const rsw_result *res)
{
	struct recorder *r = a->state;

	r->acc = fmod(r->acc + res->value, 9973.0);
	r->updates++;
	trace(r, 'U', res->seq);
	return 0;
}

/* Uneven work: tasks finish out of order across workers. */
static int
uneven_eval(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	    rsw_eval_out *out)
{
	busy_wait_ns((t->seq * 7919u) % 5 * 20000u);
	out->value = expected_value(x, n);
	return 0;
}

static char *
run_trace(int workers, uint32_t window, uint32_t generation, int *rc_out)
{
	struct recorder r = { .evals = 3000, .window = window,
			      .generation = generation };
	rsw_algorithm a = { .name = "recorder", .nparams = 2, .state = &r,
			    .suggest = rec_suggest, .update = rec_update };
	rsw_objective obj = { uneven_eval, NULL, NULL, NULL };
	rsw_run_options ro = { .window = window };
	rsw_config c;
	rsw_engine *e;

	r.trace = calloc(TRACE_MAX, 1);
	rsw_config_init(&c);
	c.workers = workers;
	c.max_params = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	*rc_out = rsw_run(e, &a, &ro);
	rsw_engine_close(e);
	cr_assert_not(r.rule_broken, "suggest(k) saw the wrong number of updates");
	cr_assert_eq(r.updates, r.evals);
	return r.trace;
}

static void
check_same_trace_for_all_worker_counts(uint32_t window, uint32_t generation)
{
	int rc;
	char *serial = run_trace(0, window, generation, &rc);

	cr_assert_eq(rc, 0);
	int counts[] = { 1, 2, 7 };
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		char *t = run_trace(counts[i], window, generation, &rc);

		cr_assert_eq(rc, 0, "%d workers: %s", counts[i], rsw_strerror(rc));
		cr_assert_str_eq(t, serial, "trace differs with %d workers",
				 counts[i]);
		free(t);
	}
	free(serial);
}

Test(sequencer, window_1_trace_is_identical, .timeout = 120)
{
	check_same_trace_for_all_worker_counts(1, 0);
}

Test(sequencer, window_16_trace_is_identical, .timeout = 120)
{
	check_same_trace_for_all_worker_counts(16, 0);
}

Test(sequencer, wait_barriers_trace_is_identical, .timeout = 120)
{
	check_same_trace_for_all_worker_counts(64, 50);
}

static int
always_wait(rsw_algorithm *a, uint64_t k, double *x)
{
	return RSW_SUGGEST_WAIT;
}

static int
ignore_update(rsw_algorithm *a, const double *x, const rsw_result *res)
{
	return 0;
}

Test(sequencer, wait_with_nothing_in_flight_is_an_error, .timeout = 20)
{
	rsw_algorithm a = { .name = "stuck", .nparams = 1,
			    .suggest = always_wait, .update = ignore_update };
	rsw_objective obj = { uneven_eval, NULL, NULL, NULL };
	rsw_run_options ro = { .window = 4 };
	rsw_config c;
	rsw_engine *e;

	rsw_config_init(&c);
	c.workers = 1;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, &a, &ro), RSW_EWAITLOCK);
	rsw_engine_close(e);
}

Test(sequencer, window_larger_than_inflight_is_refused, .timeout = 20)
{
	struct recorder r = { .evals = 10 };
	rsw_algorithm a = { .name = "recorder", .nparams = 2, .state = &r,
			    .suggest = rec_suggest, .update = rec_update };
	rsw_objective obj = { uneven_eval, NULL, NULL, NULL };
	rsw_run_options ro = { .window = 64 };
	rsw_config c;
	rsw_engine *e;

	r.trace = calloc(TRACE_MAX, 1);
	rsw_config_init(&c);
	c.workers = 0;
	c.max_params = 2;
	c.max_inflight = 64;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, &a, &ro), RSW_EINVAL);
	rsw_engine_close(e);
	free(r.trace);
}

static bool
enough_updates(const rsw_algorithm *a)
{
	const struct recorder *r = a->state;

	return r->updates >= 25;
}

/* is_complete ends a run early: nothing is suggested once it says so, and
 * what was already in flight is committed, not lost. */
Test(sequencer, is_complete_stops_suggesting_and_drains, .timeout = 30)
{
	struct recorder r = { .evals = UINT64_MAX, .window = 3 };
	rsw_algorithm a = { .name = "recorder", .nparams = 2, .state = &r,
			    .suggest = rec_suggest, .update = rec_update,
			    .is_complete = enough_updates };
	rsw_objective obj = { uneven_eval, NULL, NULL, NULL };
	rsw_run_options ro = { .window = 3 };
	rsw_stats st;
	rsw_config c;
	rsw_engine *e;

	r.trace = calloc(TRACE_MAX, 1);
	rsw_config_init(&c);
	c.workers = 2;
	c.max_params = 2;
	cr_assert_eq(rsw_engine_open(&e, &c, &obj), 0);
	cr_assert_eq(rsw_run(e, &a, &ro), 0);
	rsw_engine_stats(e, &st);
	rsw_engine_close(e);
	cr_assert_not(r.rule_broken);
	/* Asked before each suggestion: the 25th update stops it, with at
	 * most window + 1 = 4 tasks out, each committed and applied. */
	cr_assert(r.updates >= 25 && r.updates <= 29, "%llu updates",
		  (unsigned long long)r.updates);
	cr_assert_eq(st.committed, r.updates);
	free(r.trace);
}
