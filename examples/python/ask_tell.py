#!/usr/bin/env python3
"""examples/python/ask_tell.py - the ask/tell loop, for a loop of your own
(a backtester that schedules its own runs): Bayesian optimisation of the
crossover backtest, suggest() and update() by hand, results told back in
any order.

    python3 examples/python/ask_tell.py [N_EVALS]
"""
import sys

import ringsweep as rs
from ma_cross import backtest


def main(argv=None):
    n_evals = int((argv or sys.argv[1:] or [40])[0])
    space = rs.Space(fast=rs.Int(2, 60), slow=rs.Int(61, 300), cost_bps=rs.Choice([5]))
    opt = rs.Optimizer(space, "bayes", n_evals=n_evals, seed=3, maximize=True)
    told = 0
    while not opt.is_complete():
        batch = []
        while len(batch) < 4 and (params := opt.suggest()) is not None:
            batch.append(params)
        # Evaluated here one by one; told back newest first: the optimizer
        # applies them in the order it suggested them all the same.
        for params in reversed(batch):
            opt.update(params, backtest(**params)["value"])
            told += 1
    print(f"{told} evaluations told; best Sharpe {opt.best_value:.3f} at {opt.best_params}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
