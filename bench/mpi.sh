#!/usr/bin/env bash
# bench/mpi.sh - the MPI backend's benchmark, in one run: empty-task
# throughput and the efficiency of 100 us, 1 ms and 10 ms tasks through
# ringsweep's local engine, ringsweep under mpirun with 1 and 2 agent
# ranks, mpi4py.futures.MPIPoolExecutor and dask.distributed, side by side
# on this machine (bench/compare/mpi.py says how each is measured).
# Installs python3-mpi4py and python3-distributed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh --optional python3-mpi4py python3-distributed
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" >/dev/null
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), Linux $(uname -r), $(mpirun --version | head -1)"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3   # Debian's, with mpi4py and dask
"$py" bench/compare/mpi.py --ringsweep build-bench/ringsweep "$@"
