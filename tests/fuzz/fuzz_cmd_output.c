/*
 * tests/fuzz/fuzz_cmd_output.c - libFuzzer target: a --cmd command's
 * output, as the score is read from it (its last line: a number, or JSON
 * with "value" and the metrics "a", "b").  A score is finite; a refusal
 * says why.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rsw__cmd *cmd;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536 + 1];
	double metrics[RSW_MAX_METRICS_LIMIT];
	char why[512], err[256];
	rsw_eval_out out;
	const char *no;

	if (cmd == NULL) {
		rsw_space s;

		rsw_space_init(&s);
		if (rsw_space_add(&s, "x=int:1:3", err, sizeof err) != 0 ||
		    (cmd = rsw__cmd_parse("echo {x}", &s, "a,b", "/", err,
					  sizeof err)) == NULL)
			abort();
	}
	if (size > 65536)
		size = 65536;
	memcpy(buf, data, size);
	memset(&out, 0, sizeof out);
	out.metrics = metrics;
	no = rsw__cmd_parse_score(cmd, buf, size, size > 0 && data[0] == 'C', &out,
				  why, sizeof why);
	if (no == NULL && !isfinite(out.value))
		abort();
	if (no != NULL && no[0] == '\0')
		abort();
	return 0;
}
