/*
 * ringsweep/space.h - the parameter space of a sweep.
 *
 * A parameter is named and typed: int:LO:HI[:STEP] or float:LO:HI[:STEP].
 * Values travel to objectives as doubles, in the order the parameters were
 * added.  Parsing errors name the parameter and the bad part.
 */
#ifndef RINGSWEEP_SPACE_H
#define RINGSWEEP_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RSW_PARAM_NAME_MAX 48

enum rsw_param_kind {
	RSW_PARAM_INT = 0,
	RSW_PARAM_FLOAT = 1,
};

typedef struct rsw_param {
	char name[RSW_PARAM_NAME_MAX];
	int kind;	/* enum rsw_param_kind */
	double lo, hi;
	double step;	/* 0: continuous (float) or 1 (int) */
} rsw_param;

typedef struct rsw_space {
	uint32_t n;
	rsw_param params[RSW_MAX_PARAMS_LIMIT];
} rsw_space;

void rsw_space_init(rsw_space *s);

/*
 * Parses "NAME=KIND:LO:HI[:STEP]" and appends it.  On error returns
 * RSW_EINVAL and writes one sentence naming the culprit into err.
 */
int rsw_space_add(rsw_space *s, const char *spec, char *err, size_t errlen);

/* Number of grid points of parameter i; 0 when it has no step (float). */
uint64_t rsw_param_levels(const rsw_param *p);

/* Grid cardinality; 0 if any parameter is continuous or it overflows. */
uint64_t rsw_space_grid_size(const rsw_space *s);

/* Maps u in [0,1) to the parameter's domain, honouring type and step. */
double rsw_param_from_unit(const rsw_param *p, double u);

#ifdef __cplusplus
}
#endif
#endif
