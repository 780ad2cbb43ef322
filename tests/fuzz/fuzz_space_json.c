/*
 * tests/fuzz/fuzz_space_json.c - libFuzzer target: a --space JSON file.
 * Refused with a message naming the file, or accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ringsweep/space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024];
	int fd = fuzz_file(data, size, path, sizeof path);
	rsw_space s;

	if (fd < 0)
		return 0;
	rsw_space_init(&s);
	if (rsw_space_load_json(&s, path, err, sizeof err) != 0 &&
	    strstr(err, path) == NULL)
		abort(); /* the refusal names the file */
	close(fd);
	return 0;
}
