/*
 * engine/threads.c - thread mode: the workers are threads of the host
 * process running the same worker loop (worker.c) on the same arena, so
 * the driver, its sequencer and the results are those of process mode.
 *
 * There is no supervisor: nothing here can kill a thread, so what needs
 * one (deadlines, memory limits, replacing a worker) is refused at
 * validation (engine.c).  Each thread is created with every asynchronous
 * signal blocked (the host's handlers run on the host's threads, never in
 * the middle of an evaluation; a fault -- SIGSEGV and its kind -- stays
 * deliverable, so the host's crash handler still sees one), a bounded
 * stack, a name (rsw-worker-N), and optionally pinned.
 * rsw__threads_start returns once every worker_init has answered, so a
 * failed one fails the open.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_STACK_KB 8192u

struct worker_thread {
	struct rsw__threads *pool;
	struct rsw__worker w;
	pthread_t id;
	int created;
	int init_rc; /* worker_init's answer; guarded by pool->lock */
	int answered;
};

struct rsw__threads {
	pthread_mutex_t lock;
	pthread_cond_t answered; /* a worker_init has returned */
	uint32_t n;
	int pin;
	struct worker_thread t[];
};

static void *
worker_thread_main(void *arg)
{
	struct worker_thread *t = arg;
	struct rsw__threads *p = t->pool;
	const rsw_objective *obj = t->w.obj;
	char name[16];
	int rc = 0;

	{
		/* The faults a thread causes itself: blocked, they would not
		 * reach the host's handler (or kill the process cleanly). */
		static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
					      SIGTRAP, SIGSYS, SIGABRT };
		sigset_t set;

		sigemptyset(&set);
		for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
			sigaddset(&set, faults[i]);
		pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	}
	t->w.cpus = rsw__usable_cpus(); /* before we pin ourselves */
	snprintf(name, sizeof name, "rsw-worker-%u", t->w.slot);
	(void)pthread_setname_np(pthread_self(), name);
	if (p->pin) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET((int)(t->w.slot % (uint32_t)(ncpu > 0 ? ncpu : 1)), &set);
		/* Best effort: a CPU outside our cpuset just stays unpinned. */
		(void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	}
	if (obj->worker_init != NULL)
		rc = obj->worker_init(obj->ctx, (int)t->w.slot);
	pthread_mutex_lock(&p->lock);
	t->init_rc = rc;
	t->answered = 1;
	pthread_cond_broadcast(&p->answered);
	pthread_mutex_unlock(&p->lock);
	if (rc != 0)
		return NULL;
	/* Returns at shutdown (a thread is never recycled: worker.c). */
	(void)rsw__worker_loop(&t->w);
	if (obj->worker_fini != NULL)
		obj->worker_fini(obj->ctx, (int)t->w.slot);
	return NULL;
}

void
rsw__threads_join(struct rsw__threads *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->n; i++)
		if (p->t[i].created)
			pthread_join(p->t[i].id, NULL);
	pthread_cond_destroy(&p->answered);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int
rsw__threads_start(struct rsw__threads **out, rsw_arena *a,
		   const rsw_objective *obj, const rsw_config *cfg)
{
	uint32_t n = (uint32_t)cfg->workers;
	struct rsw__threads *p = calloc(1, sizeof *p + n * sizeof p->t[0]);
	sigset_t all, old;
	pthread_attr_t attr;
	int rc = 0;

	*out = NULL;
	if (p == NULL)
		return RSW_ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->answered, NULL);
	p->n = n;
	p->pin = cfg->pin;
	if (pthread_attr_init(&attr) != 0) {
		rsw__threads_join(p);
		return RSW_ENOMEM;
	}
	if (pthread_attr_setstacksize(&attr, (size_t)(cfg->thread_stack_kb != 0 ?
							      cfg->thread_stack_kb :
							      DEFAULT_STACK_KB) *
						     1024u) != 0)
		rc = RSW_EINVAL;
	/* The new threads inherit this mask: every signal blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (uint32_t i = 0; rc == 0 && i < n; i++) {
		struct worker_thread *t = &p->t[i];

		t->pool = p;
		t->w.a = a;
		t->w.obj = obj;
		t->w.slot = i;
		/* One incarnation per slot for the engine's life: a thread is
		 * never replaced, and the arena's counter starts above 0.  An
		 * atomic add for uniqueness only; the thread reads its copy,
		 * published to it by pthread_create, so no ordering is needed. */
		t->w.incarnation = ck_pr_faa_32(&a->hdr->next_incarnation, 1);
		t->w.in_thread = 1;
		if (pthread_create(&t->id, &attr, worker_thread_main, t) != 0)
			rc = RSW_ESYS;
		else
			t->created = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	/* Every created thread answers (its worker_init returns) before we
	 * do: a failed one fails the open, the others stop at shutdown. */
	pthread_mutex_lock(&p->lock);
	for (uint32_t i = 0; i < n; i++) {
		while (p->t[i].created && !p->t[i].answered)
			pthread_cond_wait(&p->answered, &p->lock);
		if (rc == 0 && p->t[i].created && p->t[i].init_rc != 0)
			rc = RSW_EINIT;
	}
	pthread_mutex_unlock(&p->lock);
	*out = p;
	return rc;
}
