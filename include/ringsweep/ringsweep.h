/*
 * ringsweep/ringsweep.h - umbrella header of libringsweep.
 *
 *   version.h     RSW_VERSION_STRING
 *   error.h       RSW_E... codes and their messages
 *   engine.h      the execution engine: submit, poll, in sequence order
 *   space.h       parameter spaces
 *   algorithm.h   the ask/tell contract and the deterministic run loop
 *   algorithms.h  the built-in algorithms and their registry
 *   objective.h   the plugin ABI (what a plugin .so exports)
 *   objectives.h  built-ins, and the loader of every kind of objective
 *   store.h       the SQLite results store
 *   report.h      a store as one self-contained HTML page
 *   sweep.h       a whole campaign: open, run, resume, close
 *   progress.h    its live progress line on stderr
 *   inspect.h     a read-only view of a running sweep (`ringsweep top`)
 *   external.h    a worker started by hand that joins a running sweep
 *   executor.h    an engine whose tasks run elsewhere (a transport's seam)
 *   node.h        a remote node of a sweep: its spec, its local engine
 */
#ifndef RINGSWEEP_H
#define RINGSWEEP_H

#include "version.h"
#include "error.h"
#include "engine.h"
#include "space.h"
#include "algorithm.h"
#include "algorithms.h"
#include "objectives.h"
#include "store.h"
#include "report.h"
#include "sweep.h"
#include "progress.h"
#include "inspect.h"
#include "external.h"
#include "executor.h"
#include "node.h"

#endif
