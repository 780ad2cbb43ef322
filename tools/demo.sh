#!/usr/bin/env bash
# tools/demo.sh - the README's first command: install what is missing,
# build, and run a demo sweep on every core (a grid over the Rastrigin
# function, 251 x 251 points, best result printed).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
exec build/ringsweep run --objective rastrigin \
	--param x=float:-5:5:0.04 --param y=float:-5:5:0.04 --workers 0 "$@"
