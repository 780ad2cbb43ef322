#!/usr/bin/env python3
"""bench/compare/pruning.py - what pruning saves and what it costs: random
search over the crossover backtest (the Sharpe ratio, maximised, reported
year by year) and over a synthetic learning curve (a loss, minimised, 20
steps), without pruning, with ringsweep's median and successive-halving
pruners, and with Optuna's MedianPruner (random and TPE samplers) on the
same objectives, at equal numbers of trials.  Prints, per objective, the
median over seeds of the best final value of the completed trials and of
the work done: the steps evaluated, as a share of the steps of the same
trials without pruning.

Both tools evaluate the same functions: the learning curve is the
built-in `curve` (its formula below, checked against it at start); the
backtest's year-by-year values come, for Optuna, from a table of every
grid point computed once by ringsweep's built-in with pruning off (a
`--prune median,startup=...` that never prunes records every step).  The
space is fast 2..100, slow 5..300 with fast < slow (ringsweep's
--constraint; Optuna draws slow first, then fast below it).

usage: pruning.py --ringsweep PATH [--seeds N] [--trials N] [--json FILE]
"""
import argparse
import csv
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time

from searchbench import DATA, optuna, quartiles

NEVER = "startup=1000000"  # a median pruner that never prunes: every step recorded
CURVE_STEPS = 20


def curve(a, b):
    """The built-in curve's values at its 20 steps (sweep/builtins.c)."""
    final = 0.1 + (a - 0.3) ** 2 + (b - 0.3) ** 2
    return [final + math.exp(-(0.05 + 0.5 * a) * (s + 1)) for s in range(CURVE_STEPS)]


PROBLEMS = {
    "crossover": dict(args=["--objective", "ma_cross", "--data", DATA, "--column", "DAX",
                            "--param", "fast=int:2:100", "--param", "slow=int:5:300",
                            "--constraint", "fast < slow", "--maximize"],
                      maximize=True),
    "curve": dict(args=["--objective", "curve", "--param", "a=float:0:1",
                        "--param", "b=float:0:1", "--minimize"],
                  maximize=False),
}
RINGSWEEP = {"none": f"median,{NEVER}", "median": "median", "asha": "asha"}


def read_results(path):
    """(best final value of the completed trials, steps evaluated) of a
    results CSV with step columns."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    steps = [k for k in rows[0] if k.startswith("step_")]
    done = [float(r["value"]) for r in rows if r["status"] == "ok"]
    work = sum(sum(1 for k in steps if r[k] not in ("", "nan")) for r in rows)
    return done, work, len(steps) * len(rows)


def ringsweep_run(exe, problem, prune, seed, trials):
    spec = PROBLEMS[problem]
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        argv = [exe, "run", "--algo", "random", "--evals", str(trials), "--seed", str(seed),
                "--prune", RINGSWEEP[prune], "--serial", "--db", "none", "-q",
                "--results", out.name] + spec["args"]
        t0 = time.monotonic()
        subprocess.run(argv, check=True, capture_output=True)
        wall = time.monotonic() - t0
        done, work, full = read_results(out.name)
    best = max(done) if spec["maximize"] else min(done)
    return best, work / full, wall


def crossover_table(exe):
    """(fast, slow) -> the backtest's Sharpe ratio after each year."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        subprocess.run([exe, "run", "--algo", "grid", "--prune", f"median,{NEVER}",
                        "--db", "none", "-q", "--results", out.name]
                       + PROBLEMS["crossover"]["args"], check=True, capture_output=True)
        with open(out.name) as f:
            rows = list(csv.DictReader(f))
    steps = [k for k in rows[0] if k.startswith("step_")]
    return {(int(r["fast"]), int(r["slow"])): [float(r[k]) for k in steps] for r in rows}


def optuna_run(problem, sampler_name, seed, trials, table):
    spec = PROBLEMS[problem]
    sampler = (optuna.samplers.TPESampler(seed=seed) if sampler_name == "tpe" else
               optuna.samplers.RandomSampler(seed=seed))
    study = optuna.create_study(sampler=sampler, pruner=optuna.pruners.MedianPruner(),
                                direction="maximize" if spec["maximize"] else "minimize")
    work = [0]

    def objective(trial):
        if problem == "crossover":
            slow = trial.suggest_int("slow", 5, 300)
            fast = trial.suggest_int("fast", 2, min(100, slow - 1))
            values = table[(fast, slow)]
        else:
            values = curve(trial.suggest_float("a", 0, 1), trial.suggest_float("b", 0, 1))
        for step, v in enumerate(values):
            work[0] += 1
            trial.report(v, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return values[-1]

    t0 = time.monotonic()
    study.optimize(objective, n_trials=trials)
    wall = time.monotonic() - t0
    steps = len(table[(2, 5)]) if problem == "crossover" else CURVE_STEPS
    return study.best_value, work[0] / (steps * trials), wall


def check_curve(exe):
    """The formula above and the built-in agree."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as out:
        subprocess.run([exe, "run", "--objective", "curve", "--param", "a=float:0.7:0.7:1",
                        "--param", "b=float:0.2:0.2:1", "--prune", f"median,{NEVER}",
                        "--serial", "--db", "none", "-q", "--results", out.name],
                       check=True, capture_output=True)
        with open(out.name) as f:
            row = next(csv.DictReader(f))
    got = [float(row[f"step_{s}"]) for s in range(CURVE_STEPS)]
    want = curve(0.7, 0.2)
    if any(abs(g - w) > 1e-12 for g, w in zip(got, want)):
        sys.exit(f"curve: ringsweep says {got}, Python says {want}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringsweep", required=True)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--json")
    a = ap.parse_args()
    check_curve(a.ringsweep)
    table = crossover_table(a.ringsweep)
    print(f"Optuna {optuna.__version__}" if optuna else
          "(python3-optuna is not installed: the Optuna rows are skipped)")
    report = {}
    for problem, spec in PROBLEMS.items():
        rows = {}
        runs = [("ringsweep", p) for p in RINGSWEEP]
        if optuna:
            runs += [("optuna", "random"), ("optuna", "tpe")]
        for tool, how in runs:
            best, work, wall = [], [], []
            for seed in range(a.seeds):
                if tool == "ringsweep":
                    b, w, t = ringsweep_run(a.ringsweep, problem, how, seed, a.trials)
                else:
                    b, w, t = optuna_run(problem, how, seed, a.trials, table)
                best.append(b)
                work.append(w)
                wall.append(t)
            name = f"{tool} {how}" if tool == "ringsweep" else f"optuna {how}+median"
            rows[name] = {"best": best, "work": work, "wall_s": statistics.median(wall)}
            print(f"  .. {problem} {name}: best {statistics.median(best):.6g}, "
                  f"work {statistics.median(work):.3f}", file=sys.stderr, flush=True)
        print(f"\n{problem}: random search, {a.trials} trials, {a.seeds} seeds "
              f"({'maximize' if spec['maximize'] else 'minimize'})")
        print(f"  {'run':<24}{'median best':>14}{'q25':>12}{'q75':>12}"
              f"{'steps done':>12}{'wall/run s':>12}")
        for name, r in rows.items():
            q25, med, q75 = quartiles(r["best"])
            r.update(median=med, q25=q25, q75=q75,
                     work_median=statistics.median(r["work"]))
            print(f"  {name:<24}{med:>14.6g}{q25:>12.6g}{q75:>12.6g}"
                  f"{r['work_median']:>11.1%}{r['wall_s']:>12.3f}")
        report[problem] = rows
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
