/*
 * engine/error.c - messages and names for RSW_E... codes and task
 * statuses, generated from the tables in the public headers.
 */
#include "ringsweep/engine.h"
#include "ringsweep/error.h"

const char *
rsw_strerror(int code)
{
	switch (code) {
	case RSW_OK:
		return "success";
#define RSW__ERR_MSG(name, num, msg) case RSW_##name: return msg;
	RSW_ERRNO_MAP(RSW__ERR_MSG)
#undef RSW__ERR_MSG
	}
	return "unknown error";
}

const char *
rsw_err_name(int code)
{
	switch (code) {
	case RSW_OK:
		return "RSW_OK";
#define RSW__ERR_NAME(name, num, msg) case RSW_##name: return "RSW_" #name;
	RSW_ERRNO_MAP(RSW__ERR_NAME)
#undef RSW__ERR_NAME
	}
	return "RSW_UNKNOWN";
}

const char *
rsw_status_name(int status)
{
	static const char *const names[RSW_STATUS_COUNT_] = {
		[RSW_STATUS_OK] = "ok",
		[RSW_STATUS_ERROR] = "error",
		[RSW_STATUS_CRASH] = "crash",
		[RSW_STATUS_TIMEOUT] = "timeout",
		[RSW_STATUS_EXIT] = "exit",
		[RSW_STATUS_KILLED] = "killed",
		[RSW_STATUS_CPULIMIT] = "cpulimit",
		[RSW_STATUS_SKIPPED] = "skipped",
		[RSW_STATUS_INFEASIBLE] = "infeasible",
		[RSW_STATUS_OOM] = "oom",
		[RSW_STATUS_PRUNED] = "pruned",
	};

	if (status < 0 || status >= RSW_STATUS_COUNT_)
		return "invalid";
	return names[status];
}

bool
rsw_status_failed(int status)
{
	return status != RSW_STATUS_OK && status != RSW_STATUS_SKIPPED &&
	       status != RSW_STATUS_INFEASIBLE && status != RSW_STATUS_PRUNED;
}
