#!/usr/bin/env python3
"""examples/python/ma_cross.py - a moving-average crossover backtest in
Python, swept by ringsweep on real daily closes (DAX 1991-1998).

    python3 examples/python/ma_cross.py [--jobs N] [--db study.db]

The prices are loaded once, here, before the sweep: every worker is a fork
of this process and reads them where they are.  backtest() is the whole
strategy: long when the fast average is above the slow one, flat
otherwise, a cost in basis points on each change of position; its value
is the annualised Sharpe ratio, with the total return, the maximum
drawdown and the number of trades as metrics.  It uses numpy when it is
installed, plain Python otherwise (the same numbers either way).
"""
import argparse
import csv
import math
import pathlib
import sys

import ringsweep as rs

DATA = pathlib.Path(__file__).resolve().parent.parent / "data" / "eustockmarkets.csv"


def load_closes(column="DAX", path=DATA):
    with open(path, newline="") as f:
        return [float(row[column]) for row in csv.DictReader(f)]


CLOSES = {}          # column -> closes, loaded before the sweep forks


def prices(column):
    if column not in CLOSES:
        CLOSES[column] = load_closes(column)
    return CLOSES[column]


def positions(closes, fast, slow):
    """1 where the fast simple moving average is above the slow one,
    from day slow-1 on (sums of integer millionths: exact)."""
    micros = [round(c * 1_000_000) for c in closes]
    cum = [0]
    for m in micros:
        cum.append(cum[-1] + m)
    pos = [0] * len(closes)
    for t in range(slow - 1, len(closes)):
        # SMA_fast > SMA_slow  <=>  sum_fast * slow > sum_slow * fast
        if (cum[t + 1] - cum[t + 1 - fast]) * slow > (cum[t + 1] - cum[t + 1 - slow]) * fast:
            pos[t] = 1
    return pos


def backtest(fast, slow, cost_bps=0, security="DAX"):
    if fast >= slow:  # no crossover strategy (the sweep's constraint keeps it out)
        raise rs.Infeasible(f"fast ({fast}) must be below slow ({slow})")
    closes = prices(security)
    pos = positions(closes, fast, slow)
    cost = cost_bps / 10_000
    returns = []
    prev = 0
    trades = 0
    for t in range(slow - 1, len(closes) - 1):
        r = pos[t] * (closes[t + 1] / closes[t] - 1) - cost * abs(pos[t] - prev)
        trades += pos[t] > prev
        prev = pos[t]
        returns.append(r)
    n = len(returns)
    mean = sum(returns) / n
    sd = math.sqrt(sum((r - mean) ** 2 for r in returns) / (n - 1)) if n > 1 else 0.0
    equity = peak = 1.0
    drawdown = 0.0
    for r in returns:
        equity *= 1 + r
        peak = max(peak, equity)
        drawdown = max(drawdown, 1 - equity / peak)
    return {"value": mean / sd * math.sqrt(252) if sd > 0 else 0.0,
            "total_return": equity - 1, "max_drawdown": drawdown, "trades": trades}


METRICS = ["total_return", "max_drawdown", "trades"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: all CPUs)")
    ap.add_argument("--db", help="a new SQLite store for every evaluation")
    ap.add_argument("--column", default="DAX", help="DAX, SMI, CAC or FTSE")
    args = ap.parse_args(argv)
    prices(args.column)                      # loaded now: the workers share it
    space = rs.Space(fast=rs.Int(2, 50, step=2), slow=rs.Int(20, 200, step=10),
                     cost_bps=rs.Choice([0, 5, 10]), security=rs.Cat([args.column]))
    study = rs.sweep(backtest, space, maximize=True, metrics=METRICS, n_jobs=args.jobs,
                     constraints="fast < slow", db=args.db, progress=None)
    print(f"{study.n_trials} backtests of {args.column} in {study.wall_s:.2f} s: "
          f"{study.counts}")
    best = study.best_trial
    print(f"best Sharpe {best['value']:.3f} at {best['params']} "
          f"(total return {best['metrics']['total_return']:.1%}, "
          f"max drawdown {best['metrics']['max_drawdown']:.1%}, "
          f"{best['metrics']['trades']:.0f} trades)")
    ok = sorted((t for t in study.trials if t["status"] == "ok"), key=lambda t: -t["value"])
    print("top 5:")
    for t in ok[:5]:
        print(f"  fast={t['fast']:3d} slow={t['slow']:3d} cost_bps={t['cost_bps']:2d}  "
              f"Sharpe {t['value']:.3f}  return {t['total_return']:7.1%}  "
              f"trades {t['trades']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
