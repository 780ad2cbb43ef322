/*
 * engine/attach.c - what another process may do with a running sweep's
 * arena: look at it read-only (ringsweep/inspect.h) or join it as an
 * external worker (ringsweep/external.h).
 *
 * Both attach through rsw__arena_attach, which validates the object
 * before anything in it is used; the inspector maps it PROT_READ, so it
 * cannot write even by mistake.  The join protocol lives here, beside the
 * driver's half of it (watch_externals in engine.c):
 *   1. CAS external_claim 0 -> pid: one winner per free slot;
 *   2. publish the process's start time (with the pid, it names this
 *      process for good: the driver never takes a recycled pid for it);
 *   3. take an incarnation from the counter the supervisor uses too;
 *   4. worker_init, then the worker loop until the sweep ends.
 * The driver releases the claim only after draining the slot's ring and
 * re-queueing what its previous occupant held.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "ringsweep/external.h"
#include "ringsweep/inspect.h"
#include "util.h"

/* ------------------------------------------------------------- inspect */

struct rsw_inspect {
	rsw_arena arena;
};

const char *
rsw_worker_state_name(int state)
{
	static const char *const names[] = { "empty", "starting", "idle",
					     "busy", "dead" };

	return state >= 0 && state < 5 ? names[state] : "?";
}

static void
view_arena(const rsw_arena *a, rsw_arena_view *v)
{
	const struct rsw_arena_header *h = &a->layout;

	memset(v, 0, sizeof *v);
	snprintf(v->name, sizeof v->name, "%s", a->name);
	v->driver_pid = (int32_t)h->owner_pid;
	/* Relaxed loads throughout: display values, each read on its own. */
	v->supervisor_pid = (int32_t)ck_pr_load_32(&a->hdr->supervisor_pid);
	v->driver_alive = kill((pid_t)h->owner_pid, 0) == 0;
	v->nworkers = h->nworkers;
	v->nslots = h->nslots;
	snprintf(v->objective, sizeof v->objective, "%.63s", h->objective);
	v->submitted = ck_pr_load_64(&a->hdr->submitted);
	v->committed = ck_pr_load_64(&a->hdr->committed);
}

int
rsw_inspect_open(rsw_inspect **out, const char *arena_name)
{
	rsw_inspect *in;
	int rc;

	*out = NULL;
	in = calloc(1, sizeof *in);
	if (in == NULL)
		return RSW_ENOMEM;
	rc = rsw__arena_attach(&in->arena, arena_name, 1);
	if (rc != 0) {
		free(in);
		return rc;
	}
	*out = in;
	return 0;
}

uint32_t
rsw_inspect_read(const rsw_inspect *in, rsw_arena_view *arena,
		 rsw_worker_view *workers, uint32_t max)
{
	const rsw_arena *a = &in->arena;
	uint64_t now = rsw__mono_ns();
	uint32_t n = 0;

	if (arena != NULL)
		view_arena(a, arena);
	for (uint32_t w = 0; w < a->layout.nslots && n < max; w++) {
		struct rsw_worker_slot *ws = rsw__worker_slot(a, w);
		rsw_worker_view *v = &workers[n];
		uint64_t seq, start;
		uint32_t epoch;

		memset(v, 0, sizeof *v);
		v->state = (int)ck_pr_load_32(&ws->state);
		v->pid = (int32_t)ck_pr_load_32(&ws->pid);
		if (v->state == RSW_WORKER_EMPTY && v->pid == 0)
			continue;
		v->slot = w;
		v->external = w >= a->layout.nworkers;
		if (rsw__read_task(ws, &seq, &epoch, &start) != 0 && start != 0 &&
		    now >= start) {
			v->running = true;
			v->task_seq = seq;
			v->running_ns = now - start;
		}
		v->tasks = ck_pr_load_64(&ws->driver_tasks);
		v->failures = ck_pr_load_64(&ws->driver_failures);
		v->restarts = ck_pr_load_32(&ws->restarts);
		n++;
	}
	return n;
}

void
rsw_inspect_close(rsw_inspect *in)
{
	if (in == NULL)
		return;
	rsw__arena_detach(&in->arena);
	free(in);
}

int
rsw_inspect_list(int (*fn)(void *ctx, const rsw_arena_view *v), void *ctx)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0, stop = 0;

	while (d != NULL && !stop && (de = readdir(d)) != NULL) {
		char name[300];
		rsw_arena a;
		rsw_arena_view v;

		if (strncmp(de->d_name, &RSW_ARENA_PREFIX[1],
			    strlen(RSW_ARENA_PREFIX) - 1) != 0)
			continue;
		snprintf(name, sizeof name, "/%s", de->d_name);
		if (rsw__arena_attach(&a, name, 1) != 0)
			continue;
		view_arena(&a, &v);
		rsw__arena_detach(&a);
		if (!v.driver_alive)
			continue;
		n++;
		stop = fn(ctx, &v) != 0;
	}
	if (d != NULL)
		closedir(d);
	return n;
}

/* ------------------------------------------------------------ external */

struct rsw_external {
	rsw_arena arena;
	char objective[RSW_OBJECTIVE_NAME_MAX];
	char objective_arg[RSW_OBJECTIVE_ARG_MAX];
};

int
rsw_external_attach(rsw_external **out, const char *arena_name)
{
	rsw_external *x;
	int rc;

	*out = NULL;
	x = calloc(1, sizeof *x);
	if (x == NULL)
		return RSW_ENOMEM;
	rc = rsw__arena_attach(&x->arena, arena_name, 0);
	if (rc != 0) {
		free(x);
		return rc;
	}
	/* From the private, validated copy of the header; NUL-terminated
	 * here whatever the shared one holds. */
	snprintf(x->objective, sizeof x->objective, "%.*s",
		 (int)sizeof x->objective - 1, x->arena.layout.objective);
	snprintf(x->objective_arg, sizeof x->objective_arg, "%.*s",
		 (int)sizeof x->objective_arg - 1, x->arena.layout.objective_arg);
	*out = x;
	return 0;
}

const char *
rsw_external_objective(const rsw_external *x)
{
	return x->objective;
}

const char *
rsw_external_objective_arg(const rsw_external *x)
{
	return x->objective_arg;
}

int
rsw_external_run(rsw_external *x, const rsw_objective *obj)
{
	rsw_arena *a = &x->arena;
	uint32_t slot, inc;

	if (obj == NULL || obj->eval == NULL)
		return RSW_EINVAL;
	for (slot = a->layout.nworkers; slot < a->layout.nslots; slot++)
		/* CAS: several joining workers may race for one free slot;
		 * exactly one wins it. */
		if (ck_pr_cas_32(&rsw__worker_slot(a, slot)->external_claim, 0,
				 (uint32_t)getpid()))
			break;
	if (slot == a->layout.nslots)
		return RSW_EFULL;
	/* The driver drained the slot before releasing it: see its stores
	 * (ring heads included) after our claim, not before. */
	ck_pr_fence_atomic_load();
	/* Relaxed: the driver reads it on its own and treats 0 as "look
	 * again"; liveness comes from a pidfd, not from memory. */
	ck_pr_store_64(&rsw__worker_slot(a, slot)->proc_start,
		       rsw__proc_start_time(getpid()));
	/* Atomic add: the supervisor takes incarnations from the same counter
	 * concurrently; uniqueness is all that is needed, no ordering. */
	inc = ck_pr_faa_32(&a->hdr->next_incarnation, 1);
	if (obj->worker_init != NULL &&
	    obj->worker_init(obj->ctx, (int)slot) != 0) {
		/* We hold no task yet: give the slot back for another, our
		 * start time first (0: "look again" to the driver).  The CAS
		 * only releases a claim that is still ours; the fence orders
		 * the store before it on any architecture. */
		ck_pr_store_64(&rsw__worker_slot(a, slot)->proc_start, 0);
		ck_pr_fence_store_atomic();
		ck_pr_cas_32(&rsw__worker_slot(a, slot)->external_claim,
			     (uint32_t)getpid(), 0);
		return RSW_EINIT;
	}
	{
		struct rsw__worker w = { .a = a, .obj = obj, .slot = slot,
					 .incarnation = inc };

		rsw__worker_loop(&w);
	}
	if (obj->worker_fini != NULL)
		obj->worker_fini(obj->ctx, (int)slot);
	return 0;
}

void
rsw_external_detach(rsw_external *x)
{
	if (x == NULL)
		return;
	rsw__arena_detach(&x->arena);
	free(x);
}
