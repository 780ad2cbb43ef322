/*
 * tools/progress.h - the live progress line of `ringsweep run`, drawn by a
 * thread of its own from the sweep's published snapshot
 * (rsw_sweep_progress_get): it never slows the committer.
 */
#ifndef RSW_TOOLS_PROGRESS_H
#define RSW_TOOLS_PROGRESS_H

#include "ringsweep/sweep.h"

enum {
	RSW_PROGRESS_NONE = 0,
	RSW_PROGRESS_BAR = 1,	/* one line redrawn, for a terminal */
	RSW_PROGRESS_LINES = 2, /* a plain line every few seconds */
};

typedef struct rsw_progress rsw_progress;

/* "auto" (bar on a terminal, lines otherwise), "bar", "lines", "none". */
int rsw_progress_mode_parse(const char *s, int *mode);

/* Starts the display thread; NULL for RSW_PROGRESS_NONE. */
rsw_progress *rsw_progress_start(int mode, const rsw_sweep *sw);

/* Stops the thread and draws the final state (NULL-safe). */
void rsw_progress_stop(rsw_progress *p);

#endif
