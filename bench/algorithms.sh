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
tools/install-deps.sh
if ! /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
	sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-optuna \
		>/dev/null || echo "(no python3-optuna: the Optuna columns are skipped)" >&2
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"
echo "== ringsweep bench suggest (bayes, hartmann6)"
build-bench/ringsweep bench suggest --algo bayes --objective hartmann6 --at 100,500,1000
echo
echo "== algorithms against random search and Optuna"
/usr/bin/python3 bench/compare/algorithms.py --ringsweep build-bench/ringsweep "$@"
