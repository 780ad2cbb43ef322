/*
 * ringsweep/ringsweep.h - umbrella header of libringsweep.
 */
#ifndef RINGSWEEP_H
#define RINGSWEEP_H

#include "error.h"
#include "engine.h"
#include "space.h"
#include "algorithm.h"
#include "algorithms.h"

#define RSW_VERSION_STRING "0.1.0"

#endif
