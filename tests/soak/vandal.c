/*
 * tests/soak/vandal.c - the attacker of the corruption soak (corrupt.sh):
 * waits for the arena of a running driver, then writes random bytes at
 * random offsets of it, at random moments, through its own mapping of the
 * shared-memory object -- what a wild pointer in a worker, or anyone who
 * may write the arena, does.  It trusts and validates nothing: that is the
 * engine's job.
 *
 * usage: vandal DRIVER_PID WRITES SEED [MAX_GAP_US]
 * Prints, when done, how many writes landed and in which part of the
 * arena (header, task ring, descriptors, task slots, workers, results,
 * deaths) as "vandal: N writes: header=.. ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "ringsweep/inspect.h"

struct target {
	pid_t driver;
	char name[64];
};

static int
find(void *ctx, const rsw_arena_view *v)
{
	struct target *t = ctx;

	if (v->driver_pid == t->driver) {
		snprintf(t->name, sizeof t->name, "%s", v->name);
		return 1;
	}
	return 0;
}

static uint64_t
next(uint64_t *rng)
{
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
	return *rng >> 11;
}

int
main(int argc, char **argv)
{
	static const char *parts[] = { "header", "task-ring", "descriptors",
				       "task-slots", "workers", "results", "deaths" };
	unsigned hits[7] = { 0 };
	struct target t = { 0 };
	struct rsw_arena_header h;
	struct stat st;
	uint64_t rng, writes, max_gap_us;
	unsigned char *map;
	int fd = -1, landed = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: vandal DRIVER_PID WRITES SEED [MAX_GAP_US]\n");
		return 2;
	}
	t.driver = (pid_t)atoi(argv[1]);
	writes = strtoull(argv[2], NULL, 10);
	rng = strtoull(argv[3], NULL, 10) * 2654435761u + 1;
	max_gap_us = argc > 4 ? strtoull(argv[4], NULL, 10) : 2000;
	/* The arena appears once the driver has set up: look for it while
	 * the driver lives (a poll at the attacker's own pace). */
	while (t.name[0] == '\0') {
		struct timespec pace = { 0, 1000000 };

		if (kill(t.driver, 0) != 0)
			return 0;
		(void)rsw_inspect_list(find, &t);
		if (t.name[0] == '\0')
			nanosleep(&pace, NULL);
	}
	fd = shm_open(t.name, O_RDWR, 0);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof h)
		return 0; /* gone already */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 1;
	memcpy(&h, map, sizeof h); /* only to name where the writes land */
	for (uint64_t i = 0; i < writes && kill(t.driver, 0) == 0; i++) {
		struct timespec gap;
		uint64_t us = next(&rng) % (max_gap_us + 1);
		uint64_t off = next(&rng) % (uint64_t)st.st_size;
		unsigned len = 1 + (unsigned)(next(&rng) % 8), part;

		gap.tv_sec = (time_t)(us / 1000000);
		gap.tv_nsec = (long)(us % 1000000) * 1000;
		nanosleep(&gap, NULL);
		if (off + len > (uint64_t)st.st_size)
			len = (unsigned)((uint64_t)st.st_size - off);
		for (unsigned b = 0; b < len; b++)
			map[off + b] = (unsigned char)next(&rng);
		part = off < h.off_task_ring ? 0 : off < h.off_task_buf ? 1 :
		       off < h.off_task_slots ? 2 : off < h.off_workers ? 3 :
		       off < h.off_results ? 4 : off < h.off_death_ring ? 5 : 6;
		hits[part]++;
		landed++;
	}
	printf("vandal: %d writes:", landed);
	for (int p = 0; p < 7; p++)
		printf(" %s=%u", parts[p], hits[p]);
	printf("\n");
	return 0;
}
