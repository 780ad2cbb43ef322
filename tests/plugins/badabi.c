/* tests/plugins/badabi.c - a plugin built for another ABI version. */
#include <ringsweep/objective.h>

const int rsw_objective_abi_version = RSW_OBJECTIVE_ABI_VERSION + 98;

int
rsw_objective_eval(void *state, const double *p, uint32_t n,
		   const rsw_task_info *task, rsw_eval_out *out)
{
	out->value = 0;
	return 0;
}
