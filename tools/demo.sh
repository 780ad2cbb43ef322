#!/usr/bin/env bash
# tools/demo.sh - the README's first command: install what is missing,
# build, and sweep a moving-average crossover backtest over real daily
# closes of four indices (examples/data/eustockmarkets.csv) on every core:
# a grid of securities, fast and slow windows (fast < slow: the rest is no
# crossover strategy and never runs) and transaction costs; the best of
# all, the best per security and the top 5 printed, every evaluation in
# demo-results.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
exec build/ringsweep run --objective ma_cross \
	--data examples/data/eustockmarkets.csv --column '*' \
	--param fast=int:2:100 --param slow=int:5:300 --param cost_bps=int:0:20:5 \
	--constraint 'fast < slow' --best-by series \
	--maximize --workers 0 --results demo-results.csv "$@"
