/*
 * engine/ring.h - the arena's rings, operated with geometry and indices
 * each process keeps privately, so that nothing another process can write
 * steers an access out of bounds.
 *
 * A ring in the arena keeps ck's layout (struct ck_ring: c_head, p_tail,
 * p_head, size, mask), so observers such as `ringsweep top` can read its
 * fill level with ck_ring_size() (p_tail - c_head; p_head, ck's
 * multi-producer reservation, is not used).  But ck's operations read `mask` from the
 * ring on every call and trust the indices, and the arena is writable by
 * every worker: a damaged mask or index would send them anywhere.  Here:
 *   - the capacity (a power of two) comes from the caller's private copy
 *     of the validated header, never from the ring;
 *   - the one producer of a ring keeps its index (p_tail) privately and
 *     only publishes it; an index read from the ring is accepted only if
 *     it is possible: the producer ahead of a consumer by at most the
 *     capacity.  Anything else is reported (-1), never used.
 * Like ck's, a ring holds capacity - 1 entries.
 */
#ifndef RSW_ENGINE_RING_H
#define RSW_ENGINE_RING_H

#include <ck_pr.h>
#include <ck_ring.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ThreadSanitizer cannot see ck's fences (inline assembly), so in a TSan
 * build (thread mode puts the driver and the workers in one process) each
 * ordering below is also told to it, with the index as the sync object. */
#ifdef __SANITIZE_THREAD__
#include <sanitizer/tsan_interface.h>
#define RSW_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define RSW_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define RSW_TSAN_RELEASE(p) ((void)0)
#define RSW_TSAN_ACQUIRE(p) ((void)0)
#endif

/*
 * Publishes one entry; the caller is the ring's only producer and *tail its
 * private producer index.  Wait-free.  1 when published, 0 when full, -1
 * when the shared consumer index is impossible (the arena is damaged).
 */
static inline int
rsw__ring_put(struct ck_ring *ring, void *buf, size_t size, uint32_t capacity,
	      uint32_t *tail, const void *entry)
{
	uint32_t head = ck_pr_load_uint(&ring->c_head), used = *tail - head;

	if (used > capacity)
		return -1;
	if (used >= capacity - 1)
		return 0;
	/* Acquire: a consumer released the slot (stored c_head) after
	 * copying it out; our overwrite below must not be ordered before
	 * that load (a load-store reordering Arm and POWER allow). */
	ck_pr_fence_acquire();
	RSW_TSAN_ACQUIRE(&ring->c_head);
	memcpy((char *)buf + (size_t)(*tail & (capacity - 1)) * size, entry, size);
	/* Release: the entry is complete before the index that publishes it
	 * (consumers fence-load after reading p_tail: enough on any
	 * architecture). */
	ck_pr_fence_store();
	RSW_TSAN_RELEASE(&ring->p_tail);
	ck_pr_store_uint(&ring->p_tail, ++*tail);
	return 1;
}

/*
 * Takes the next entry; the caller is the ring's only consumer and *head
 * its private consumer index.  Wait-free.  1 with *out filled, 0 when
 * empty, -1 when the shared producer index is impossible.
 */
static inline int
rsw__ring_take(struct ck_ring *ring, const void *buf, size_t size,
	       uint32_t capacity, uint32_t *head, void *out)
{
	uint32_t tail = ck_pr_load_uint(&ring->p_tail);

	/* Acquire: the entries up to p_tail were written before the producer
	 * published p_tail (its release), on any architecture. */
	ck_pr_fence_acquire();
	RSW_TSAN_ACQUIRE(&ring->p_tail);
	if (tail == *head)
		return 0;
	if (tail - *head > capacity)
		return -1;
	memcpy(out, (const char *)buf + (size_t)(*head & (capacity - 1)) * size,
	       size);
	/* Release: the copy above is complete before the producer may see
	 * the slot free and overwrite it (loads and stores before the store,
	 * which a store fence alone does not order on every architecture). */
	ck_pr_fence_release();
	RSW_TSAN_RELEASE(&ring->c_head);
	ck_pr_store_uint(&ring->c_head, ++*head);
	return 1;
}

/*
 * Takes the next entry of a ring that several consumers share (the task
 * ring: every worker).  Lock-free: the CAS on c_head is retried only when
 * another consumer took an entry meanwhile; a consumer that dies at any
 * instant leaves nothing half-done.  1 with *out filled, 0 when empty, -1
 * when the indices are impossible.
 */
static inline int
rsw__ring_take_shared(struct ck_ring *ring, const void *buf, size_t size,
		      uint32_t capacity, void *out)
{
	uint32_t head = ck_pr_load_uint(&ring->c_head), tail;

	for (;;) {
		/* Load-load: our head is read before the tail, so a tail
		 * older than the head cannot make an empty ring look full of
		 * garbage. */
		ck_pr_fence_load();
		tail = ck_pr_load_uint(&ring->p_tail);
		if (tail == head)
			return 0;
		if (tail - head > capacity) {
			/* Perhaps only our head is stale (other consumers
			 * moved on while we were descheduled): look again. */
			uint32_t now = ck_pr_load_uint(&ring->c_head);

			if (now == head)
				return -1;
			head = now;
			continue;
		}
		/* Acquire: the entry was written before the producer's
		 * release of p_tail. */
		ck_pr_fence_load();
		RSW_TSAN_ACQUIRE(&ring->p_tail);
		memcpy(out, (const char *)buf + (size_t)(head & (capacity - 1)) * size,
		       size);
		/* The copy is complete before the CAS that frees the slot
		 * for the producer (prior loads before a later atomic: not
		 * implied by the RMW itself on Arm or POWER). */
		ck_pr_fence_load_atomic();
		RSW_TSAN_RELEASE(&ring->c_head);
		if (ck_pr_cas_uint_value(&ring->c_head, head, head + 1, &head))
			return 1;
	}
}

/* Entries a ring holds, as far as a reader with the private capacity can
 * tell: an impossible pair of indices reads as capacity (never "empty",
 * so it is looked at and reported). */
static inline uint32_t
rsw__ring_used(const struct ck_ring *ring, uint32_t capacity)
{
	/* Relaxed: a fill level for deciding whether to look; the take that
	 * follows does the ordered loads. */
	uint32_t used = ck_pr_load_uint(&ring->p_tail) -
			ck_pr_load_uint(&ring->c_head);

	return used > capacity ? capacity : used;
}

#endif
