/*
 * tests/fuzz/fuzz_arena.c - libFuzzer target: a shared-memory object
 * offered as an arena (`ringsweep top`, `ringsweep worker --arena`, the
 * stale-arena reaper all attach to what /dev/shm holds).  The input is
 * XORed onto a real arena's bytes, so the fuzzer starts from a valid one;
 * attach refuses the result or maps it, and what it maps is consistent.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[64];
	static rsw_arena model;
	rsw_arena a;
	int fd;

	/* A real arena once: its bytes are the base the input mutates. */
	if (model.hdr == NULL) {
		rsw_arena_params p;

		memset(&p, 0, sizeof p);
		p.nworkers = 2;
		p.nslots = 2;
		p.ring_capacity = 16;
		p.max_inflight = 16;
		p.max_params = 2;
		if (rsw__arena_create(&model, &p) != 0)
			abort();
		snprintf(name, sizeof name, "/ringsweep-%d-fuzz", (int)getpid());
	}
	fd = shm_open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return 0;
	{
		/* The input is XORed onto the real arena: an empty input is a
		 * valid arena, and each byte flips some of one. */
		char *bytes = malloc(model.size);

		if (bytes == NULL) {
			close(fd);
			shm_unlink(name);
			return 0;
		}
		memcpy(bytes, model.hdr, model.size);
		for (size_t i = 0; i < size && i < model.size; i++)
			bytes[i] ^= (char)data[i];
		if (ftruncate(fd, (off_t)model.size) != 0 ||
		    write(fd, bytes, model.size) != (ssize_t)model.size) {
			free(bytes);
			close(fd);
			shm_unlink(name);
			return 0;
		}
		free(bytes);
	}
	close(fd);
	if (rsw__arena_attach(&a, name, 1) == 0) {
		/* Attached: its geometry fits the object it maps. */
		if (a.layout.total_size > a.size)
			abort();
		rsw__arena_detach(&a);
	}
	shm_unlink(name);
	return 0;
}
