#!/usr/bin/env bash
# tools/test.sh - the README's second command: install what is missing,
# build with warnings as errors, run every suite via ctest (the Criterion
# suites, report's among them, the Python package's pytest suites -- with
# the report rendered by chromium when it is installed --, the MPI
# backend's under a real mpirun, the install test).
# RSW_SANITIZE=1 builds and runs it under AddressSanitizer and
# UndefinedBehaviorSanitizer instead (in build-asan/).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
dir=build-test
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRSW_WERROR=ON -DRSW_TESTS=ON)
if [ "${RSW_SANITIZE:-0}" = 1 ]; then
	dir=build-asan
	flags+=(-DRSW_SANITIZE=ON)
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
cd "$dir"
ctest --output-on-failure
