/*
 * engine/util.h - small helpers shared by the engine's files: clocks and
 * the futex-backed ck_ec operations that work across processes.
 */
#ifndef RSW_ENGINE_UTIL_H
#define RSW_ENGINE_UTIL_H

#include <stdint.h>
#include <time.h>

#include <ck_ec.h>

static inline uint64_t
rsw__mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
rsw__realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline struct timespec
rsw__ns_to_ts(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull),
			       (long)(ns % 1000000000ull) };
	return ts;
}

/*
 * ck_ec modes for event counts that live in shared memory.  ck_ec's ops
 * hold function pointers, so each process uses its own copy of these (the
 * arena holds only the 32-bit counter word).  Waits use non-private
 * FUTEX_WAIT_BITSET (absolute CLOCK_MONOTONIC deadline) and wakes
 * non-private FUTEX_WAKE, so they work across processes.
 */
extern const struct ck_ec_mode rsw__ec_sp; /* one incrementer */
extern const struct ck_ec_mode rsw__ec_mp; /* many incrementers */

/*
 * Waits until *ec differs from `seen` or `deadline_ns` (CLOCK_MONOTONIC)
 * passes.  Always bounded: a producer that dies between its enqueue and
 * its wake must not leave us asleep forever.
 */
void rsw__ec_wait(struct ck_ec32 *ec, uint32_t seen, uint64_t deadline_ns);

#endif
