/*
 * ringsweep/progress.h - the live progress line of a sweep on stderr, as
 * `ringsweep run` and the Python module draw it: a thread of its own
 * reads the sweep's published snapshot (rsw_sweep_progress_get), so a
 * slow terminal never slows the committer.
 *
 *   done/total (pct) | running | failed | evals/s | elapsed | ETA | best
 *
 * On a terminal (RSW_PROGRESS_BAR) one line is redrawn up to 10 times a
 * second; elsewhere (RSW_PROGRESS_LINES: CI, pipes) a plain line comes
 * every 3 seconds, without escape codes.
 */
#ifndef RINGSWEEP_PROGRESS_H
#define RINGSWEEP_PROGRESS_H

#include "sweep.h"

#ifdef __cplusplus
extern "C" {
#endif

enum rsw_progress_mode {
	RSW_PROGRESS_NONE = 0,
	RSW_PROGRESS_BAR = 1,	/* one line redrawn, for a terminal */
	RSW_PROGRESS_LINES = 2, /* a plain line every few seconds */
};

typedef struct rsw_progress rsw_progress;

/* "auto" (bar when stderr is a terminal, lines otherwise), "bar",
 * "lines", "none": 0, or RSW_EINVAL for another word. */
RSW_EXTERN int rsw_progress_mode_parse(const char *s, int *mode);

/* Starts the display thread for a started sweep; NULL for
 * RSW_PROGRESS_NONE (or when no thread could be made: no display).
 * Start it after rsw_sweep_start: the sweep's workers are forked
 * processes, and a thread that exists when they are forked is not
 * theirs. */
RSW_EXTERN rsw_progress *rsw_progress_start(int mode, const rsw_sweep *sw);

/* Stops the thread and draws the final state (NULL-safe). */
RSW_EXTERN void rsw_progress_stop(rsw_progress *p);

#ifdef __cplusplus
}
#endif
#endif
