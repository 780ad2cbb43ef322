/*
 * tests/test_ring.c - the typed ck rings as the engine uses them: FIFO
 * order, capacity, 32-bit counter wrap-around, and a multi-consumer ring
 * shared by processes, one of which is SIGKILLed while dequeuing.
 */
#include <criterion/criterion.h>
#include <limits.h>

#include "arena.h"
#include "helpers.h"

#define CAP 64

static struct {
	struct rsw_ring ring;
	struct rsw_task_desc buf[CAP];
} local;

Test(ring, fifo_and_capacity, .timeout = 10)
{
	struct rsw_task_desc d = { 0 }, out;
	unsigned n = 0;

	ck_ring_init(&local.ring.r, CAP);
	/* A ck ring holds capacity - 1 entries. */
	while (ck_ring_enqueue_mpmc_rsw_task(&local.ring.r, local.buf, &d)) {
		d.seq_first++;
		n++;
	}
	cr_assert_eq(n, CAP - 1);
	for (uint64_t i = 0; i < n; i++) {
		cr_assert(ck_ring_dequeue_mpmc_rsw_task(&local.ring.r, local.buf, &out));
		cr_assert_eq(out.seq_first, i);
	}
	cr_assert_not(ck_ring_dequeue_mpmc_rsw_task(&local.ring.r, local.buf, &out));
}

Test(ring, counters_wrap_around, .timeout = 10)
{
	struct rsw_task_desc d = { 0 }, out;
	uint64_t next_out = 0;

	ck_ring_init(&local.ring.r, CAP);
	/* Start the 32-bit counters just below UINT_MAX so they wrap while
	 * the ring is in use (ck_ring_valid() misreports this; we do not use
	 * it). */
	local.ring.r.c_head = local.ring.r.p_head = local.ring.r.p_tail =
	    UINT_MAX - 37;
	for (int round = 0; round < 200; round++) {
		for (int i = 0; i < 17; i++) {
			cr_assert(ck_ring_enqueue_mpmc_rsw_task(&local.ring.r,
								local.buf, &d));
			d.seq_first++;
		}
		cr_assert_eq(ck_ring_size(&local.ring.r), 17);
		for (int i = 0; i < 17; i++) {
			cr_assert(ck_ring_dequeue_mpmc_rsw_task(&local.ring.r,
								local.buf, &out));
			cr_assert_eq(out.seq_first, next_out++);
		}
	}
	cr_assert_lt(local.ring.r.c_head, (unsigned)UINT_MAX - 37,
		     "the counters must have wrapped");
}

#define SHARED_ITEMS 200000

struct shared_ring {
	struct rsw_ring ring;
	struct rsw_task_desc buf[1024];
	uint32_t seen[SHARED_ITEMS];
	uint32_t progress;
};

static void
consume(struct shared_ring *s)
{
	struct rsw_task_desc d;

	for (;;) {
		if (!ck_ring_dequeue_mpmc_rsw_task(&s->ring.r, s->buf, &d)) {
			if (ck_pr_load_32(&s->progress) == UINT32_MAX)
				_exit(0);
			ck_pr_stall();
			continue;
		}
		ck_pr_faa_32(&s->seen[d.seq_first], 1);
		ck_pr_faa_32(&s->progress, 1);
	}
}

Test(ring, consumer_killed_does_not_wedge_mpmc_dequeue, .timeout = 60)
{
	struct shared_ring *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t victim, survivor;
	uint64_t next = 0, missing = 0;
	int killed = 0;

	cr_assert_neq(s, MAP_FAILED);
	ck_ring_init(&s->ring.r, 1024);
	victim = fork();
	if (victim == 0)
		consume(s);
	survivor = fork();
	if (survivor == 0)
		consume(s);
	while (next < SHARED_ITEMS) {
		struct rsw_task_desc d = { next, 1, 1 };

		if (ck_ring_enqueue_mpmc_rsw_task(&s->ring.r, s->buf, &d))
			next++;
		if (!killed && ck_pr_load_32(&s->progress) > SHARED_ITEMS / 3) {
			kill(victim, SIGKILL);
			waitpid(victim, NULL, 0);
			killed = 1;
		}
	}
	/* The survivor drains everything that is left. */
	while (ck_ring_size(&s->ring.r) != 0)
		ck_pr_stall();
	ck_pr_store_32(&s->progress, UINT32_MAX);
	waitpid(survivor, NULL, 0);
	cr_assert(killed);
	for (uint64_t i = 0; i < SHARED_ITEMS; i++) {
		cr_assert_leq(s->seen[i], 1, "item %llu dequeued twice",
			      (unsigned long long)i);
		missing += s->seen[i] == 0;
	}
	/* The victim may have died between its dequeue and its mark: that
	 * one item is exactly what the engine finds below the consumer head
	 * and re-queues. */
	cr_assert_leq(missing, 1);
	munmap(s, sizeof *s);
}
