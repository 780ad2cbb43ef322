#!/usr/bin/env python3
"""examples/python/per_security.py - one sweep over four securities (DAX,
SMI, CAC, FTSE) with the security as a parameter, consolidated into the
best parameters of each; every evaluation in a SQLite store.

    python3 examples/python/per_security.py [--jobs N] [--db per_security.db]

Every security's closes are loaded before the sweep, so each worker has
all four by fork.  With --db, a run cut short (Ctrl-C, a crash, a kill)
continues with ringsweep.resume(db, backtest).
"""
import argparse
import sys

import ringsweep as rs
from ma_cross import METRICS, backtest, prices

SECURITIES = ["DAX", "SMI", "CAC", "FTSE"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=-1)
    ap.add_argument("--db")
    args = ap.parse_args(argv)
    for s in SECURITIES:
        prices(s)
    space = rs.Space(security=rs.Cat(SECURITIES), fast=rs.Int(2, 40, step=2),
                     slow=rs.Int(50, 250, step=25), cost_bps=rs.Choice([5]))
    study = rs.sweep(backtest, space, maximize=True, metrics=METRICS, n_jobs=args.jobs,
                     db=args.db)
    print(f"{study.n_trials} backtests in {study.wall_s:.2f} s: {study.counts}")
    best = {}
    for t in study.trials:
        if t["status"] == "ok" and (t["security"] not in best
                                    or t["value"] > best[t["security"]]["value"]):
            best[t["security"]] = t
    for s in SECURITIES:
        t = best[s]
        print(f"{s:5s} fast={t['fast']:2d} slow={t['slow']:3d}  Sharpe {t['value']:.3f}  "
              f"return {t['total_return']:7.1%}  max drawdown {t['max_drawdown']:5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
