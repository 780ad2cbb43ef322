#!/usr/bin/env python3
"""bench/compare/python_module.py - `import ringsweep` beside the Python
tools (bench/compare/pytools.py), one run, one machine, the same Python
functions through each:

  1. empty tasks: tasks/s;
  2. busy-loop tasks of 10 us, 100 us, 1 ms on 1 and 2 workers: efficiency
     (speedup over the same tasks run serially in this interpreter, divided
     by the workers);
  3. the moving-average crossover backtest of examples/python/ma_cross.py
     over a grid on the bundled DAX closes: wall time, and the same best;
  4. Optuna (python3-optuna, TPE, n_jobs=2) against ringsweep's bayes, the
     same backtest and budget: wall time and best value;
  5. memory: a numpy array (1 GiB) and a list of floats (256 MiB) loaded
     before the workers start, 10,000 tasks reading them: the private
     memory each worker ends with (Private_Dirty), ringsweep against
     ProcessPoolExecutor (fork).

usage: PYTHONPATH=<build>/python python3 bench/compare/python_module.py
           [--quick] [--sections 1,2,3,4,5]

ringsweep's times are of the whole ringsweep.sweep() call: forking its
workers, and building the Study's trial list, included; the tools' are of
the work only, their workers started and warm.  Ratios are ringsweep's
throughput over the tool's.
"""
import argparse
import math
import os
import pathlib
import sys
import time
import warnings

import pytools

import ringsweep as rs

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "examples" / "python"))
import ma_cross  # noqa: E402

ITERS = 0
REPEAT = 3


def empty(x):
    return x


def spin(x):
    return pytools.busy(ITERS)


def line(label, n, wall, base=None):
    ratio = f"{(n / wall) / base:8.2f}x" if base else ""
    print(f"  {label:<40} {n:>9} {n / wall:>12,.0f}/s {wall:>8.3f} s {ratio}")


def section_empty(workers, quick):
    print(f"1. empty tasks, {workers} workers (ringsweep x = ringsweep's tasks/s over "
          f"the tool's)")
    n = 200_000 if quick else 1_000_000
    t0 = time.perf_counter()
    study = rs.sweep(empty, rs.Space(x=rs.Int(0, n - 1)), n_jobs=workers)
    swept = time.perf_counter() - t0
    assert len(study.columns["value"]) == n  # every result as a Python object
    wall = time.perf_counter() - t0
    rate = n / wall
    line("ringsweep.sweep", n, swept)
    line("ringsweep.sweep + Study.columns built", n, wall)
    for name, run in pytools.TOOLS.items():
        m = n if name == "Pool.map(auto chunks)" else n // 10
        w, out = run(empty, range(m), workers)
        assert len(out) == m
        print(f"  {name:<40} {m:>9} {m / w:>12,.0f}/s {w:>8.3f} s   ringsweep "
              f"{rate / (m / w):.1f}x")
    print()


def section_busy(max_workers, quick):
    global ITERS
    per_us = pytools.calibrate()
    budget = 0.25 if quick else 1.0
    print(f"2. busy-loop tasks ({per_us:.1f} iterations/us, {budget:g} s of serial work "
          f"each, best of {REPEAT}): efficiency = serial time / (wall x workers); "
          f"ringsweep's `call` is the "
          f"whole\n   sweep() (forking and stopping its workers: ~10 ms), `run` its run "
          f"alone (Study.wall_s), as the tools' are timed")
    print(f"  {'task':>6} {'workers':>7}  {'ringsweep call':>14} {'run':>6}  " +
          "  ".join(f"{name:>22}" for name in pytools.TOOLS))
    for d_us in (10, 100, 1000):
        ITERS = max(1, int(per_us * d_us))
        tasks = int(budget * 1e6 / d_us)
        serial, _ = pytools.timed(lambda: [pytools.busy(ITERS) for _ in range(tasks)])
        for w in (1, 2) if max_workers >= 2 else (1,):
            # Best of REPEAT for every tool alike: this machine's vCPUs
            # are shared with other guests.
            calls, runs = [], []
            for _ in range(REPEAT):
                wall, study = pytools.timed(
                    lambda: rs.sweep(spin, rs.Space(x=rs.Int(0, tasks - 1)), n_jobs=w))
                assert study.n_trials == tasks
                calls.append(wall)
                runs.append(study.wall_s)
            cells = [f"{100 * serial / (min(calls) * w):13.1f}% "
                     f"{100 * serial / (min(runs) * w):5.1f}%"]
            for run in pytools.TOOLS.values():
                tw = min(run(pytools.busy, [ITERS] * tasks, w)[0] for _ in range(REPEAT))
                cells.append(f"{100 * serial / (tw * w):21.1f}%")
            print(f"  {str(d_us) + 'us':>6} {w:>7}  " + "  ".join(cells))
    print()


def backtest_of(params):
    try:
        return ma_cross.backtest(*params)["value"]
    except ValueError:
        return math.nan


def section_backtest(workers):
    ma_cross.prices("DAX")
    space = rs.Space(fast=rs.Int(2, 40, step=2), slow=rs.Int(50, 250, step=10),
                     cost_bps=rs.Choice([0, 5, 10]))
    print(f"3. ma_cross.py in Python, a grid on DAX 1991-1998, {workers} workers")
    wall, study = pytools.timed(lambda: rs.sweep(ma_cross.backtest, space, maximize=True,
                                                 metrics=ma_cross.METRICS,
                                                 n_jobs=workers))
    n = study.n_trials
    best = (study.best_value, tuple(study.best_params.values()))
    line("ringsweep.sweep", n, wall)
    grid = [(t["fast"], t["slow"], t["cost_bps"]) for t in study.trials]
    for name in ("joblib", "Pool.map(auto chunks)", "ProcessPoolExecutor"):
        if name not in pytools.TOOLS:
            continue
        w, values = pytools.TOOLS[name](backtest_of, grid, workers)
        k = max(range(n), key=lambda i: values[i])
        same = (values[k], grid[k]) == best
        print(f"  {name:<40} {n:>9} {n / w:>12,.0f}/s {w:>8.3f} s   ringsweep "
              f"{w / wall:.2f}x, best {'identical' if same else 'DIFFERENT'}")
    print(f"  best: Sharpe {best[0]:.6f} at fast={best[1][0]} slow={best[1][1]} "
          f"cost_bps={best[1][2]}\n")


def section_optuna(workers, quick):
    try:
        import optuna
    except ImportError:
        print("4. Optuna: not installed (Debian python3-optuna)\n")
        return
    n = 60 if quick else 100
    ma_cross.prices("DAX")
    print(f"4. {n} evaluations of the backtest: ringsweep bayes vs Optuna "
          f"{optuna.__version__} TPE, {workers} jobs each, seed 0")
    space = rs.Space(fast=rs.Int(2, 60), slow=rs.Int(61, 300), cost_bps=rs.Choice([0, 5, 10]))
    wall, study = pytools.timed(lambda: rs.sweep(ma_cross.backtest, space, algo="bayes",
                                                 n_evals=n, seed=0, maximize=True,
                                                 metrics=ma_cross.METRICS,
                                                 n_jobs=workers))
    print(f"  {'ringsweep bayes':<24} wall {wall:7.2f} s  best Sharpe {study.best_value:.4f}"
          f"  {study.best_params}")

    def objective(trial):
        return ma_cross.backtest(trial.suggest_int("fast", 2, 60),
                                 trial.suggest_int("slow", 61, 300),
                                 trial.suggest_categorical("cost_bps", [0, 5, 10]))["value"]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=0)
    st = optuna.create_study(direction="maximize", sampler=sampler)
    wall, _ = pytools.timed(lambda: st.optimize(objective, n_trials=n, n_jobs=workers))
    print(f"  {'Optuna TPE (threads)':<24} wall {wall:7.2f} s  best Sharpe {st.best_value:.4f}"
          f"  {st.best_params}\n")


DATA = None


def private_dirty_mb():
    with open("/proc/self/smaps_rollup") as f:
        for text in f:
            if text.startswith("Private_Dirty:"):
                return int(text.split()[1]) / 1024
    return math.nan


def reads_data(k):
    step = len(DATA) // 256
    chunk = DATA[(k % 256) * step:(k % 256 + 1) * step]
    total = float(sum(chunk)) if isinstance(chunk, list) else float(chunk.sum())
    late = k >= 10_000 - 40
    return {"value": total, "pid": os.getpid() if late else 0,
            "private_mb": private_dirty_mb() if late else 0.0}


def reads_data_plain(k):
    r = reads_data(k)
    return r["pid"], r["private_mb"]


def per_worker(pairs):
    seen = {}
    for pid, mb in pairs:
        if pid:
            seen[pid] = max(mb, seen.get(pid, 0.0))
    return sorted(seen.values())


def section_memory(workers, quick):
    global DATA
    print(f"5. data loaded before the workers, 10,000 tasks reading it, {workers} "
          f"workers: each worker's private memory at the end (Private_Dirty)")
    kinds = []
    try:
        import numpy as np
        kinds.append(("numpy array", lambda mb: np.random.default_rng(1).random(mb * 2 ** 17),
                      256 if quick else 1024))
    except ImportError:
        pass
    kinds.append(("list of floats", lambda mb: [float(i) for i in range(mb * 2 ** 20 // 32)],
                  64 if quick else 256))
    ks = list(range(10_000))
    for kind, make, mb in kinds:
        DATA = make(mb)
        study = rs.sweep(reads_data, rs.Space(k=rs.Int(0, 9_999)), n_jobs=workers,
                         metrics=["pid", "private_mb"])
        mine = per_worker((t["pid"], t["private_mb"]) for t in study.trials)
        _, pairs = pytools.process_pool(reads_data_plain, ks, workers)
        theirs = per_worker(pairs)
        print(f"  {kind} of {mb} MiB: ringsweep workers "
              f"{', '.join(f'{v:.1f}' for v in mine)} MiB; ProcessPoolExecutor(fork) "
              f"workers {', '.join(f'{v:.1f}' for v in theirs)} MiB")
        DATA = None
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, for a check")
    ap.add_argument("--sections", default="1,2,3,4,5")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    a = ap.parse_args()
    # The tools' own helper threads (ProcessPoolExecutor's) outlive their
    # runs by a moment; ringsweep would warn, at each sweep, that it forks
    # a process with threads.
    warnings.filterwarnings("ignore", "ringsweep forks its workers", RuntimeWarning)
    sections = {int(s) for s in a.sections.split(",")}
    print(f"machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}; "
          f"ringsweep {rs.__version__}; joblib "
          f"{pytools.joblib.__version__ if pytools.joblib else 'not installed'}\n")
    if 1 in sections:
        section_empty(a.workers, a.quick)
    if 2 in sections:
        section_busy(a.workers, a.quick)
    if 3 in sections:
        section_backtest(a.workers)
    if 4 in sections:
        section_optuna(a.workers, a.quick)
    if 5 in sections:
        section_memory(a.workers, a.quick)


if __name__ == "__main__":
    main()
