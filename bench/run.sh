#!/usr/bin/env bash
# bench/run.sh - the documented benchmark command: builds a Release tree in
# build-bench/ and runs, in one go on this machine:
#   1. ringsweep bench ipc       (all transports, 64-byte messages, plot)
#   2. ringsweep bench scaling   (10 us .. 10 ms tasks, 1..N workers, plot)
#   3. ringsweep bench latency   (round trips after gaps of host work, per
#                                 idle mode, worker process and thread)
#      bench_engine              (the engine's own empty-task figures, worker
#                                 processes and threads, beside the same
#                                 baselines as `bench ipc`)
#   4. ringsweep bench store     (rows/s into the results store vs plain SQLite)
#      and `ringsweep run` of 1,000,000 empty tasks with its store (the
#      default) and without (--db none): what the store costs end to end
#   5. bench/compare/            (Python multiprocessing, concurrent.futures,
#                                 joblib on the same workloads; the Python
#                                 module beside them and beside Optuna)
# Plots go to docs/ (needs gnuplot-nox, installed here when missing).
# The search algorithms have their own: bench/algorithms.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
optional=(python3-joblib python3-optuna)
command -v gnuplot >/dev/null || optional+=(gnuplot-nox)
tools/install-deps.sh --optional "${optional[@]}"
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
plot() { command -v gnuplot >/dev/null && echo "--plot docs/$1"; }
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r)"
echo "== ringsweep bench ipc"
build-bench/ringsweep bench ipc $(plot ipc-latency.png)
echo
echo "== ringsweep bench scaling"
build-bench/ringsweep bench scaling $(plot scaling.png)
echo
echo "== ringsweep bench latency (a worker process, then a worker thread)"
build-bench/ringsweep bench latency
build-bench/ringsweep bench latency --threads
echo
echo "== bench_engine"
build-bench/bench/bench_engine "$@"
echo "== ringsweep bench store"
build-bench/ringsweep bench store --dir build-bench
echo "== ringsweep run, 1,000,000 empty tasks, all CPUs (driver + run loop + CLI):"
rm -f build-bench/run-store.db*
printf 'with its SQLite store:  '
build-bench/ringsweep run -q --objective empty --param x=int:0:999999 -j 0 \
	--db build-bench/run-store.db | grep wall
rm -f build-bench/run-store.db*
printf 'without (--db none):    '
build-bench/ringsweep run -q --objective empty --param x=int:0:999999 -j 0 \
	--db none | grep wall
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3   # Debian's, with python3-joblib
if command -v "$py" >/dev/null; then
	echo "== Python multiprocessing.Pool, empty tasks, all CPUs:"
	"$py" bench/compare/python_pool.py 100000 "$(nproc)"
	echo "== the same CPU-bound workloads through Python's tools:"
	"$py" bench/compare/python_scaling.py --ringsweep build-bench/ringsweep
	echo "== import ringsweep: Python objectives beside Python's tools and Optuna:"
	PYTHONPATH=build-bench/python "$py" bench/compare/python_module.py
fi
