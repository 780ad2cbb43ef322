/*
 * tools/progress.h - the live progress line of `ringsweep run` (progress.c
 * explains how it reads the committer's counters without locks).
 */
#ifndef RSW_TOOLS_PROGRESS_H
#define RSW_TOOLS_PROGRESS_H

#include <stdint.h>

#include "ringsweep/space.h"

enum {
	RSW_PROGRESS_NONE = 0,
	RSW_PROGRESS_BAR = 1,	/* one line redrawn, for a terminal */
	RSW_PROGRESS_LINES = 2, /* a plain line every few seconds */
};

typedef struct rsw_progress rsw_progress;

/* "auto" (bar on a terminal, lines otherwise), "bar", "lines", "none". */
int rsw_progress_mode_parse(const char *s, int *mode);

/* Starts the display thread; NULL for RSW_PROGRESS_NONE. */
rsw_progress *rsw_progress_start(int mode, const rsw_space *space,
				 uint64_t total);

/* Called by the committer after each commit; publishes a new snapshot at
 * most every 50 ms unless force. */
void rsw_progress_publish(rsw_progress *p, uint64_t done, uint64_t failed,
			  uint64_t running, int have_best, double best,
			  const double *best_params, int force);

/* Stops the thread and draws the final state (NULL-safe). */
void rsw_progress_stop(rsw_progress *p);

#endif
