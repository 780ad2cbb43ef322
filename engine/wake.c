/*
 * engine/wake.c - process-shared futex operations for ck_ec event counts.
 *
 * Idle workers sleep on the arena's task event count, the driver on its
 * result event count.  ck_ec keeps a "waiters" flag in the counter word, so
 * a producer makes a FUTEX_WAKE system call only when someone actually
 * sleeps: a busy engine pays no system call per task.
 */
#include "util.h"

#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

static int
ec_gettime(const struct ck_ec_ops *ops, struct timespec *out)
{
	(void)ops;
	return clock_gettime(CLOCK_MONOTONIC, out);
}

static void
ec_wait32(const struct ck_ec_wait_state *st, const uint32_t *addr,
	  uint32_t expected, const struct timespec *deadline)
{
	(void)st;
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline,
	 * which is what ck_ec hands us.  Not FUTEX_PRIVATE_FLAG: the word
	 * is shared between processes. */
	syscall(SYS_futex, addr, FUTEX_WAIT_BITSET, expected, deadline, NULL,
		FUTEX_BITSET_MATCH_ANY);
}

static void
ec_wake32(const struct ck_ec_ops *ops, const uint32_t *addr)
{
	(void)ops;
	syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static const struct ck_ec_ops ec_ops = {
	.gettime = ec_gettime,
	.wait32 = ec_wait32,
	.wake32 = ec_wake32,
	/* We spin ourselves before calling into ck_ec; keep its own busy
	 * loop short. */
	.busy_loop_iter = 1,
};

const struct ck_ec_mode rsw__ec_sp = { .ops = &ec_ops, .single_producer = true };
const struct ck_ec_mode rsw__ec_mp = { .ops = &ec_ops, .single_producer = false };

/* ck_ec sleeps in growing slices (2 ms, 16 ms, 128 ms...) that it does
 * not cut at the caller's deadline; this predicate does. */
static int
clamp_to_deadline(const struct ck_ec_wait_state *st, struct timespec *slice)
{
	const struct timespec *limit = st->data;

	if (slice->tv_sec > limit->tv_sec ||
	    (slice->tv_sec == limit->tv_sec && slice->tv_nsec > limit->tv_nsec))
		*slice = *limit;
	return 0;
}

void
rsw__ec_wait(struct ck_ec32 *ec, uint32_t seen, uint64_t deadline_ns)
{
	struct timespec dl = rsw__ns_to_ts(deadline_ns);

	(void)ck_ec32_wait_pred(ec, &rsw__ec_mp, seen, clamp_to_deadline, &dl,
				&dl);
}
