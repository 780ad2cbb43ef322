/*
 * tests/fuzz/fuzz_data_csv.c - libFuzzer target: a --data CSV of prices
 * (column "A").  Refused with a message, or loaded with every close a
 * positive finite number.
 */
#include <math.h>
#include <stdlib.h>

#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[1024] = "";
	int fd = fuzz_file(data, size, path, sizeof path);
	rsw__prices p;

	if (fd < 0)
		return 0;
	if (rsw__prices_load(path, "A", &p, err, sizeof err) == 0) {
		for (size_t i = 0; i < p.n; i++)
			if (!(p.close[i] > 0) || !isfinite(p.close[i]))
				abort();
		rsw__prices_free(&p);
	} else if (err[0] == '\0') {
		abort();
	}
	close(fd);
	return 0;
}
