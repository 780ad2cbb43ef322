/* tests/plugins/prefixed.c - a plugin with its own symbol prefix
 * (--objective libprefixed.so:quad_), whose init checks its argument: it
 * fails, crashes, exits or hangs on demand. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringsweep/objective.h>

const int quad_abi_version = RSW_OBJECTIVE_ABI_VERSION;
const char *const quad_metrics[] = { "twice", NULL };
int quad_init(const char *arg, void **state);
int quad_eval(void *state, const double *p, uint32_t n,
	      const rsw_task_info *task, rsw_eval_out *out);
void quad_fini(void *state);

int
quad_init(const char *arg, void **state)
{
	double *scale;

	if (strcmp(arg, "fail") == 0)
		return 7;
	/* What an init must not be able to do to the program loading it. */
	if (strcmp(arg, "crash") == 0)
		raise(SIGSEGV);
	if (strcmp(arg, "exit") == 0)
		exit(0);
	if (strcmp(arg, "hang") == 0)
		for (;;)
			pause();
	scale = malloc(sizeof *scale);
	if (scale == NULL)
		return 1;
	*scale = atof(arg);
	*state = scale;
	return 0;
}

int
quad_eval(void *state, const double *p, uint32_t n, const rsw_task_info *task,
	  rsw_eval_out *out)
{
	const double *scale = state;

	out->value = *scale * p[0] * p[0];
	out->metrics[0] = 2 * out->value;
	out->nmetrics = 1;
	return 0;
}

void
quad_fini(void *state)
{
	free(state);
}
