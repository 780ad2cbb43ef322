#!/usr/bin/env bash
# tools/demo.sh - the README's first command: install what is missing,
# build, and sweep a moving-average crossover backtest over real daily
# closes of four indices (examples/data/eustockmarkets.csv) on every core:
# a grid of securities, fast and slow windows (fast < slow: the rest is no
# crossover strategy and never runs) and transaction costs; the best of
# all, the best per security and the top 5 printed, every evaluation in
# demo-results.csv and demo.db, and the HTML report of it (plots of the
# study) in demo-report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRSW_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
# The demo's own store: a new one each time (a store is never overwritten).
rm -f demo.db demo.db-wal demo.db-shm
status=0
build/ringsweep run --objective ma_cross \
	--data examples/data/eustockmarkets.csv --column '*' \
	--param fast=int:2:100 --param slow=int:5:300 --param cost_bps=int:0:20:5 \
	--constraint 'fast < slow' --best-by series \
	--maximize --workers 0 --results demo-results.csv --db demo.db "$@" || status=$?
# Whatever was committed (all of it, or what a Ctrl-C left) is reported.
if [ -f demo.db ]; then
	build/ringsweep report demo.db -o demo-report.html >/dev/null
	echo "report: $(pwd)/demo-report.html"
fi
exit "$status"
