#!/bin/sh
# examples/cmd/ma_cross.sh - a backtest in another language, driven by
# `ringsweep run --cmd`: the moving-average crossover computed by awk
# (ma_cross.awk), its score printed as a JSON line on stdout.
#
#   ringsweep run --cmd 'examples/cmd/ma_cross.sh {fast} {slow}' \
#       --metrics total_return,max_drawdown,trades \
#       --param fast=int:2:30 --param slow=int:10:120:10 --maximize
#
# usage: ma_cross.sh FAST SLOW [COLUMN] [DATA]
set -eu
here=$(dirname "$0")
fast=$1 slow=$2 col=${3:-DAX} data=${4:-$here/../data/eustockmarkets.csv}
[ "$fast" -lt "$slow" ] || { echo "fast must be below slow" >&2; exit 2; }
awk -F, -v col="$col" -v fast="$fast" -v slow="$slow" -v cost_bps=0 \
	-f "$here/ma_cross.awk" "$data" |
awk '{ printf "{\"value\": %s, \"total_return\": %s, \"ann_volatility\": %s, \"sortino\": %s, \"max_drawdown\": %s, \"trades\": %s, \"win_rate\": %s}\n", $1, $2, $3, $4, $5, $6, $7 }'
