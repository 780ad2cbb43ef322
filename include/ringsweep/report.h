/*
 * ringsweep/report.h - a sweep's results store as one self-contained HTML
 * page: what was swept (algorithm, budget, space, constraints, objective),
 * the best value against evaluations, a heatmap of the value over two
 * parameters, the value against each parameter, the best row per value
 * of a categorical parameter (per security), the counts by status and the
 * statistics of each worker.
 *
 * The plots are SVG drawn here (no gnuplot, no script, nothing fetched):
 * the page renders the same offline, in a browser without JavaScript.
 * Everything it shows is also embedded as JSON in
 * <script type="application/json" id="rsw-report-data">, for tools and
 * tests to read back.
 *
 * The store is opened read-only and read in one transaction: a sweep that
 * is still running can be reported on, and the page is one consistent
 * snapshot of it.
 */
#ifndef RINGSWEEP_REPORT_H
#define RINGSWEEP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsw_report_options {
	/* The heatmap's parameters (x across, y up); NULL: the first two
	 * numeric parameters of the space, or the first numeric one other
	 * than the one given. */
	const char *x, *y;
	/* The per-value table's parameter; NULL: the first categorical
	 * parameter (none: no table). */
	const char *best_by;
	/* The most cells along one heatmap axis (values beyond it are
	 * binned); 0: RSW_REPORT_BINS. */
	uint32_t bins;
} rsw_report_options;

#define RSW_REPORT_BINS 50
#define RSW_REPORT_BINS_MAX 400

/* Everything unset: the defaults above. */
RSW_EXTERN void rsw_report_options_init(rsw_report_options *o);

/* Writes the report on the store at store_path to out_path, atomically
 * (a temporary file in the same directory, renamed once complete: no
 * half-written report ever exists under out_path).  opt may be NULL.
 * 0; or RSW_EINVAL with one sentence naming the culprit (a missing or
 * foreign store, an unknown parameter, out_path the store itself),
 * RSW_ESYS when the page cannot be written, RSW_ENOMEM. */
RSW_EXTERN int rsw_report_write(const char *store_path,
				const rsw_report_options *opt,
				const char *out_path, char *err, size_t errlen);

/* The same page to a stream (an embedding server's response); nothing is
 * written to it when the store cannot be read. */
RSW_EXTERN int rsw_report_fwrite(const char *store_path,
				 const rsw_report_options *opt, FILE *out,
				 char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
