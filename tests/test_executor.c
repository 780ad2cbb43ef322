/*
 * tests/test_executor.c - the seam a transport plugs into (executor.h) and
 * a remote node (node.h), without MPI: a loopback executor that hands the
 * sweep's tasks to a node opened from the sweep's own spec, in this
 * process, as the MPI backend hands them to an agent.  The sweep must end
 * with the local results; a result the executor should not have returned
 * (a duplicate, a seq never handed out, an impossible status) must fail
 * the sweep instead of becoming a row; a node must refuse a spec whose
 * files or function are not the driver's.
 */
#include <criterion/criterion.h>

#include "helpers.h"

enum tamper { NONE, DUPLICATE, STRANGER, BAD_STATUS };

#define LOOP_MAX 8192

struct loopback {
	rsw_node *node;
	rsw_engine *e;
	enum tamper tamper;
	uint64_t local_next;
	uint64_t global_of[LOOP_MAX]; /* the driver's seq of each local one */
	uint64_t results;
	rsw_result buf[256];
};

static int
lb_submit(void *self, uint64_t first, uint64_t shown, const double *params,
	  uint32_t nparams, uint32_t n)
{
	struct loopback *l = self;
	int taken = rsw_engine_submit_batch_as(l->e, params, nparams, n, shown);

	if (taken == RSW_EAGAIN)
		return 0;
	for (int i = 0; i < taken; i++)
		l->global_of[(l->local_next + (uint64_t)i) % LOOP_MAX] = first + (uint64_t)i;
	if (taken > 0)
		l->local_next += (uint64_t)taken;
	return taken;
}

static int
lb_poll(void *self, rsw_result *out, uint32_t max, int timeout_ms)
{
	struct loopback *l = self;
	int got = rsw_engine_poll(l->e, l->buf, max < 128 ? max : 128, timeout_ms);

	if (got <= 0)
		return got;
	/* Any order is allowed: hand them back reversed. */
	for (int i = 0; i < got; i++) {
		out[i] = l->buf[got - 1 - i];
		out[i].seq = l->global_of[out[i].seq % LOOP_MAX];
	}
	l->results += (uint64_t)got;
	if (l->results > 100 && l->tamper != NONE) {
		if (l->tamper == DUPLICATE && (uint32_t)got < max)
			out[got++] = out[0];
		else if (l->tamper == STRANGER)
			out[0].seq += 1000000;
		else if (l->tamper == BAD_STATUS)
			out[0].status = 99;
		l->tamper = NONE;
	}
	return got;
}

static void
lb_drain(void *self)
{
	rsw_engine_drain(((struct loopback *)self)->e);
}

static void
lb_stats(void *self, rsw_stats *st)
{
	rsw_stats mine;

	rsw_engine_stats(((struct loopback *)self)->e, &mine);
	st->deaths += mine.deaths;
	st->retries += mine.retries;
}

static const char *
lb_errmsg(void *self)
{
	return "";
}

static void
lb_close(void *self)
{
	struct loopback *l = self;

	rsw_node_close(l->node);
	free(l);
}

static const rsw_executor_ops loopback_ops = {
	lb_submit, lb_poll, lb_drain, lb_stats, lb_errmsg, lb_close,
};

static rsw_objective_spec *g_function; /* the node's copy of a C objective */

/* The node is opened from the sweep's own spec, and runs a few tasks of its
 * own first: its seqs are then not the driver's, so an objective told the
 * wrong seq would show it. */
static int
lb_open(void *ctx, const rsw_sweep *sw, const rsw_config *engine,
	const rsw_executor_ops **ops, void **self, char *err, size_t errlen)
{
	struct loopback *l = calloc(1, sizeof *l);
	char *spec = rsw_sweep_node_spec(sw);
	rsw_node_config nc;
	rsw_result r[3];
	double zero[RSW_MAX_PARAMS_LIMIT] = { 0 };
	int rc, got = 0;

	cr_assert_not_null(l);
	cr_assert_not_null(spec);
	rsw_node_config_init(&nc);
	nc.exec.workers = 2;
	nc.function = g_function;
	rc = rsw_node_open(&l->node, spec, &nc, err, errlen);
	free(spec);
	if (rc != 0) {
		free(l);
		return rc;
	}
	l->e = rsw_node_engine(l->node);
	l->tamper = *(enum tamper *)ctx;
	for (int i = 0; i < 3; i++)
		cr_assert_eq(rsw_engine_submit_batch_as(l->e, zero, engine->max_params, 1,
							1000 + (uint64_t)i), 1);
	while (got < 3)
		got += rsw_engine_poll(l->e, r, 3, -1);
	l->local_next = 3;
	*ops = &loopback_ops;
	*self = l;
	return 0;
}

static void
random_sweep(rsw_sweep_config *c, rsw_space *space, const char *csv)
{
	char err[256];

	rsw_space_init(space);
	cr_assert_eq(rsw_space_add(space, "x=float:-5:5", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add(space, "y=int:-3:3", err, sizeof err), 0);
	rsw_sweep_config_init(c);
	c->space = space;
	c->algo = "random";
	c->algo_opts.evals = 2000;
	c->algo_opts.seed = 11;
	c->objective.name = "crashy";
	c->engine.workers = 2;
	c->engine.max_attempts = 3;
	c->results_csv = csv;
}

static int
run_sweep(rsw_sweep_config *c, char *errmsg, size_t n)
{
	rsw_sweep *sw;
	char err[512];
	int rc;

	cr_assert_eq(rsw_sweep_open(&sw, c, err, sizeof err), 0, "%s", err);
	rc = rsw_sweep_run(sw);
	snprintf(errmsg, n, "%s", rsw_sweep_errmsg(sw));
	rsw_sweep_close(sw, NULL, 0);
	return rc;
}

Test(executor, loopback_node_gives_the_local_results, .timeout = 120,
     .init = make_test_dir)
{
	enum tamper none = NONE;
	rsw_sweep_config c;
	rsw_space space;
	char msg[512], *local, *remote;

	random_sweep(&c, &space, in_test_dir("local.csv"));
	cr_assert_eq(run_sweep(&c, msg, sizeof msg), 0, "%s", msg);
	random_sweep(&c, &space, in_test_dir("remote.csv"));
	c.executor = lb_open;
	c.executor_ctx = &none;
	cr_assert_eq(run_sweep(&c, msg, sizeof msg), 0, "%s", msg);
	local = slurp(in_test_dir("local.csv"));
	remote = slurp(in_test_dir("remote.csv"));
	cr_assert_not_null(local);
	cr_assert_not_null(remote);
	cr_assert_gt(strlen(local), 2000 * 10);
	cr_assert_str_eq(remote, local);
	free(local);
	free(remote);
}

/* A result the executor should not have sent fails the sweep, naming the
 * cause, and none of it reaches the results. */
static void
refused(enum tamper t)
{
	rsw_sweep_config c;
	rsw_space space;
	char msg[512], *csv;
	uint64_t rows = 0, expect = 0;

	random_sweep(&c, &space, in_test_dir("t.csv"));
	c.executor = lb_open;
	c.executor_ctx = &t;
	cr_assert_eq(run_sweep(&c, msg, sizeof msg), RSW_EREMOTE, "tamper %d", t);
	cr_assert_not_null(strstr(msg, rsw_strerror(RSW_EREMOTE)), "%s", msg);
	/* What was committed is a gap-free prefix in seq order (in the
	 * .partial file of a sweep that did not finish). */
	csv = slurp(in_test_dir("t.csv.partial"));
	cr_assert_not_null(csv);
	for (char *line = strchr(csv, '\n'); line != NULL && line[1] != '\0';
	     line = strchr(line + 1, '\n')) {
		cr_assert_eq(strtoull(line + 1, NULL, 10), expect++);
		rows++;
	}
	cr_assert_lt(rows, 2000);
	free(csv);
}

Test(executor, a_duplicate_result_fails_the_sweep, .timeout = 60,
     .init = make_test_dir)
{
	refused(DUPLICATE);
}

Test(executor, a_seq_never_handed_out_fails_the_sweep, .timeout = 60,
     .init = make_test_dir)
{
	refused(STRANGER);
}

Test(executor, an_impossible_status_fails_the_sweep, .timeout = 60,
     .init = make_test_dir)
{
	refused(BAD_STATUS);
}

/* The objective is told the driver's seq, not the node's. */
static int
seq_value(void *ctx, const double *x, uint32_t n, const rsw_task_info *t,
	  rsw_eval_out *out)
{
	out->value = (double)t->seq;
	return 0;
}

static void
seq_sweep(rsw_sweep_config *c, rsw_space *space, const char *label)
{
	char err[256];

	rsw_space_init(space);
	cr_assert_eq(rsw_space_add(space, "i=int:0:299", err, sizeof err), 0);
	rsw_sweep_config_init(c);
	c->space = space;
	c->objective.fn = seq_value;
	c->objective.label = label;
	c->engine.workers = 2;
}

static int
check_seq(void *ctx, const double *params, uint32_t nparams, const rsw_result *r)
{
	cr_assert_eq(r->status, RSW_STATUS_OK);
	cr_assert_eq(r->value, (double)r->seq, "seq %llu was told %g",
		     (unsigned long long)r->seq, r->value);
	(*(uint64_t *)ctx)++;
	return 0;
}

Test(executor, a_node_tells_the_objective_the_drivers_seq, .timeout = 60)
{
	enum tamper none = NONE;
	rsw_objective_spec fn;
	rsw_sweep_config c;
	rsw_space space;
	uint64_t seen = 0;
	char msg[512];

	seq_sweep(&c, &space, "seq_value");
	fn = c.objective;
	g_function = &fn;
	c.executor = lb_open;
	c.executor_ctx = &none;
	c.on_commit = check_seq;
	c.commit_ctx = &seen;
	cr_assert_eq(run_sweep(&c, msg, sizeof msg), 0, "%s", msg);
	cr_assert_eq(seen, 300);
	g_function = NULL;
}

Test(executor, a_node_refuses_another_function, .timeout = 60)
{
	enum tamper none = NONE;
	rsw_objective_spec other;
	rsw_sweep_config c;
	rsw_space space;
	rsw_sweep *sw;
	char err[512];

	seq_sweep(&c, &space, "seq_value");
	other = c.objective;
	other.label = "another";
	c.executor = lb_open;
	c.executor_ctx = &none;
	for (int k = 0; k < 2; k++) {
		g_function = k == 0 ? NULL : &other;
		cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
		cr_assert_eq(rsw_sweep_start(sw), RSW_EINVAL);
		cr_assert_not_null(strstr(rsw_sweep_errmsg(sw), "seq_value"), "%s",
				   rsw_sweep_errmsg(sw));
		if (k == 1)
			cr_assert_not_null(strstr(rsw_sweep_errmsg(sw), "another"));
		rsw_sweep_close(sw, NULL, 0);
	}
	g_function = NULL;
}

Test(executor, a_node_refuses_a_data_file_that_is_not_the_drivers,
     .timeout = 60, .init = make_test_dir)
{
	rsw_sweep_config c;
	rsw_space space;
	rsw_sweep *sw;
	rsw_node *node;
	rsw_node_config nc;
	char err[512], *spec;
	const char *data = in_test_dir("px.csv");
	FILE *f = fopen(data, "w");

	cr_assert_not_null(f);
	fputs("t,A\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "%d,%d\n", i, 100 + (i * 37) % 11);
	fclose(f);
	rsw_space_init(&space);
	cr_assert_eq(rsw_space_add(&space, "f=int:2:5", err, sizeof err), 0);
	cr_assert_eq(rsw_space_add(&space, "s=int:10:20", err, sizeof err), 0);
	rsw_sweep_config_init(&c);
	c.space = &space;
	c.objective.name = "ma_cross";
	c.objective.data = data;
	c.objective.column = "A";
	cr_assert_eq(rsw_sweep_open(&sw, &c, err, sizeof err), 0, "%s", err);
	spec = rsw_sweep_node_spec(sw);
	cr_assert_not_null(spec);
	rsw_node_config_init(&nc);
	nc.exec.workers = 1;
	/* The same file: the node starts. */
	cr_assert_eq(rsw_node_open(&node, spec, &nc, err, sizeof err), 0, "%s", err);
	rsw_node_close(node);
	/* Another content at the same path: refused, naming it. */
	f = fopen(data, "a");
	fputs("200,99\n", f);
	fclose(f);
	cr_assert_eq(rsw_node_open(&node, spec, &nc, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, data), "%s", err);
	cr_assert_not_null(strstr(err, "not the driver's"), "%s", err);
	/* Gone: refused, naming it. */
	unlink(data);
	cr_assert_eq(rsw_node_open(&node, spec, &nc, err, sizeof err), RSW_EINVAL);
	cr_assert_not_null(strstr(err, "cannot be read on this node"), "%s", err);
	/* Not a spec at all. */
	cr_assert_eq(rsw_node_open(&node, "{\"sweep\": 1}", &nc, err, sizeof err),
		     RSW_EINVAL);
	cr_assert_not_null(strstr(err, "corrupt"), "%s", err);
	free(spec);
	rsw_sweep_close(sw, NULL, 0);
}
