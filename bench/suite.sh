#!/usr/bin/env bash
# bench/suite.sh - the search-quality suite (docs/BENCHMARKS.md): builds
# the Release tree in build-bench/ (the command and the rswsuite plugin)
# and runs bench/compare/suite.py on it: ringsweep's random, bayes, cmaes
# and genetic and Optuna's TPE and CMA-ES on 25 functions at 50, 100 and
# 200 evaluations, 10 seeds.  Arguments go to suite.py (e.g. --budgets 100
# --functions branin,hartmann6 --cache suite-cache.json -j 2).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --optional python3-optuna
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target ringsweep_cli rswsuite >/dev/null
/usr/bin/python3 bench/compare/suite.py --ringsweep build-bench/ringsweep "$@"
