#!/usr/bin/env bash
# bench/algorithms.sh - the documented algorithm benchmark: builds a
# Release tree in build-bench/ and runs
#   1. ringsweep bench suggest   (the cost of one bayes suggestion at 100,
#                                 500 and 1000 observations)
#   2. bench/compare/algorithms.py  (every algorithm against random search
#                                 at equal budgets, and against Optuna's TPE
#                                 and CMA-ES on the same functions, budgets
#                                 and seeds; Debian's python3-optuna is
#                                 installed here when missing)
# Takes about 40 minutes on 2 cores, most of it Optuna on the 10-D
# problems.  Arguments go to algorithms.py (e.g. --problems branin,hartmann6).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --optional python3-optuna
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"
echo "== ringsweep bench suggest (bayes, hartmann6)"
build-bench/ringsweep bench suggest --algo bayes --objective hartmann6 --at 100,500,1000
echo
echo "== algorithms against random search and Optuna"
/usr/bin/python3 bench/compare/algorithms.py --ringsweep build-bench/ringsweep "$@"
