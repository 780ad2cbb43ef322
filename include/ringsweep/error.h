/*
 * ringsweep/error.h - error codes of the public API.
 *
 * Every function that can fail returns an int: 0 on success, a negative
 * RSW_E... code on failure.  Codes and messages come from one table
 * (RSW_ERRNO_MAP) so a code and its text can never drift apart.
 */
#ifndef RINGSWEEP_ERROR_H
#define RINGSWEEP_ERROR_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_ERRNO_MAP(XX)                                                     \
	XX(EINVAL, 1, "invalid argument")                                     \
	XX(ENOMEM, 2, "out of memory")                                        \
	XX(EAGAIN, 3, "no room: too many tasks in flight, poll first")         \
	XX(ESHM, 4, "shared memory could not be created or mapped")           \
	XX(ENOSPC, 5, "not enough room in /dev/shm for the arena")            \
	XX(EARENA, 6, "not a ringsweep arena (bad magic)")                    \
	XX(EVERSION, 7, "arena layout version does not match this build")     \
	XX(ECORRUPT, 8, "shared-memory arena damaged (truncated, inconsistent, or overwritten)") \
	XX(EPERM, 9, "arena belongs to another user")                         \
	XX(ENOENT, 10, "no such arena")                                       \
	XX(EFORK, 11, "could not start a process")                            \
	XX(ESUPERVISOR, 12, "the supervisor process died")                    \
	XX(ECRASHLOOP, 13, "crash loop: workers die without making progress") \
	XX(ETASKFAILED, 14, "a task failed permanently (on_error = fail)")    \
	XX(ECANCELED, 15, "canceled")                                         \
	XX(EALGO, 16, "the algorithm reported an error")                      \
	XX(EWAITLOCK, 17, "the algorithm waits but nothing is in flight")     \
	XX(EFULL, 18, "no free worker slot in the arena")                     \
	XX(ESYS, 19, "system call failed")                                    \
	XX(ESTORE, 20, "the results store could not be written")              \
	XX(EREPLAY, 21, "the stored evaluations do not match this sweep")     \
	XX(EALLFAILED, 22, "every evaluation failed")                         \
	XX(ENOTFOUND, 23, "no such algorithm or objective")                  \
	XX(EINIT, 24, "the objective's set-up failed")                       \
	XX(EREMOTE, 25, "a remote node failed or answered out of turn")     \
	XX(ESTARTUP, 26, "a worker hung before its first task (in worker_init, or on a lock held at fork)") \
	XX(EHALTED, 27, "stopped by the halt policy: too many tasks failed") \
	XX(EINFEASIBLE, 28, "no point of the space satisfies the constraints")

enum rsw_error {
	RSW_OK = 0,
#define RSW__ERR_ENUM(name, num, msg) RSW_##name = -(num),
	RSW_ERRNO_MAP(RSW__ERR_ENUM)
#undef RSW__ERR_ENUM
};

/* Message for a code; never NULL ("unknown error" for foreign values). */
RSW_EXTERN const char *rsw_strerror(int code);

/* Symbolic name ("RSW_EINVAL") for a code; never NULL. */
RSW_EXTERN const char *rsw_err_name(int code);

#ifdef __cplusplus
}
#endif
#endif
