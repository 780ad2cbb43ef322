/*
 * tests/fuzz/fuzz.h - what the fuzz targets share: their input as a file
 * (the parsers read files), in memory (memfd), reached by a path.
 */
#ifndef RSW_FUZZ_H
#define RSW_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data; its path is /proc/self/fd/N (in path).  -1 when
 * it cannot be made. */
static inline int
fuzz_file(const uint8_t *data, size_t size, char *path, size_t n)
{
	int fd = memfd_create("rsw-fuzz", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
