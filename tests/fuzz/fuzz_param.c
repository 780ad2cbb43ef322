/*
 * tests/fuzz/fuzz_param.c - libFuzzer target: a --param spec
 * ("NAME=TYPE:LO:HI[:STEP]", cat:, choice:...).  Any input is refused with
 * a message or accepted; an accepted parameter's levels format and parse
 * back to themselves, and its spec parses to the same parameter.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ringsweep/space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char spec[1024], err[512], buf[128], again[RSW_PARAM_SPEC_MAX];
	rsw_space s, t;

	if (size >= sizeof spec)
		return 0;
	memcpy(spec, data, size);
	spec[size] = '\0';
	rsw_space_init(&s);
	if (rsw_space_add(&s, spec, err, sizeof err) != 0) {
		if (err[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	/* The spec it records parses to the same parameter. */
	rsw_space_init(&t);
	if (rsw_space_add(&t, rsw_param_spec(&s.params[0], again, sizeof again), err,
			  sizeof err) != 0 ||
	    rsw_param_levels(&t.params[0]) != rsw_param_levels(&s.params[0]))
		abort();
	for (uint64_t i = 0; i < 3 && i < rsw_param_levels(&s.params[0]); i++) {
		double v = rsw_param_level(&s.params[0], i), back;

		if (rsw_param_parse_value(&s.params[0],
					  rsw_param_format(&s.params[0], v, buf, sizeof buf),
					  &back) != 0 ||
		    !(back == v || (isnan(back) && isnan(v))))
			abort();
	}
	return 0;
}
