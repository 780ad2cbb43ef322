#!/usr/bin/env bash
# bench/run.sh - the documented benchmark command: builds (Release) and runs
# bench_engine, the end-to-end CLI sweep of empty tasks, and Python's
# multiprocessing.Pool on the same machine in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
build-bench/bench/bench_engine "$@"
echo "== ringsweep run, 1,000,000 empty tasks, all CPUs (driver + run loop + CLI):"
build-bench/ringsweep run -q --objective empty --param x=int:0:999999 -j 0 | grep wall
if command -v python3 >/dev/null; then
	echo "== Python multiprocessing.Pool, empty tasks, all CPUs:"
	python3 bench/compare/python_pool.py 100000 "$(nproc)"
fi
