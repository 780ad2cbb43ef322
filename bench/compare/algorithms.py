#!/usr/bin/env python3
"""bench/compare/algorithms.py - ringsweep's search algorithms against random
search at equal budgets, and, where Debian's python3-optuna is installed,
against Optuna's TPE and CMA-ES samplers on the same functions, budgets and
seeds.  Prints one table per problem: the median (and quartiles) over seeds
of the best value found, its gap to the known optimum, how many times
closer to the optimum than random search that is, and the wall time of
one whole run.

ringsweep runs are `ringsweep run --serial --db none --json` processes with
default settings (bayes: window 4, so each suggestion already works with
4 evaluations in flight); Optuna runs in this process with in-memory
storage, one trial at a time.  Both evaluate the same definitions of the
functions: ringsweep its built-ins, Optuna the search-quality suite's
Python formulas (bench/compare/suite.py; checked against each other at
start).

usage: algorithms.py --ringsweep PATH [--seeds N] [--problems a,b] [--json FILE]
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time

from searchbench import optuna, quartiles
# The formulas are the suite's (bench/compare/suite.py), checked there
# against the plugin and here against the built-ins.
from suite import branin, hartmann6, rastrigin, rosenbrock


# name: (function, bounds, optimum, budget, algorithms)
PROBLEMS = {
    "branin": (branin, [(-5, 10), (0, 15)], 0.397887, 50,
               ["random", "bayes", "cmaes", "genetic", "optuna-tpe", "optuna-cmaes"]),
    "hartmann6": (hartmann6, [(0, 1)] * 6, -3.32237, 100,
                  ["random", "bayes", "cmaes", "genetic", "optuna-tpe", "optuna-cmaes"]),
    "rastrigin10": (rastrigin, [(-5.12, 5.12)] * 10, 0.0, 1000,
                    ["random", "genetic", "cmaes", "optuna-tpe", "optuna-cmaes"]),
    "rosenbrock10": (rosenbrock, [(-5, 5)] * 10, 0.0, 20000,
                     ["random", "cmaes", "optuna-cmaes"]),
}
OBJECTIVE = {"branin": "branin", "hartmann6": "hartmann6",
             "rastrigin10": "rastrigin", "rosenbrock10": "rosenbrock"}


def ringsweep_run(exe, problem, algo, seed):
    fn, bounds, _, budget, _ = PROBLEMS[problem]
    argv = [exe, "run", "--objective", OBJECTIVE[problem], "--algo", algo,
            "--seed", str(seed), "--minimize", "--serial", "--db", "none", "--json"]
    for i, (lo, hi) in enumerate(bounds):
        argv += ["--param", f"x{i + 1}=float:{lo}:{hi}"]
    if algo == "genetic":
        # A population of a tenth of the budget (at most 50), as many
        # generations as the budget allows.
        pop = max(4, min(50, budget // 10))
        argv += ["--population", str(pop), "--generations", str(budget // pop)]
    else:
        argv += ["--evals", str(budget)]
    t0 = time.monotonic()
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - t0
    return json.loads(out)["best"]["value"], wall


def optuna_run(problem, algo, seed):
    fn, bounds, _, budget, _ = PROBLEMS[problem]
    if algo == "optuna-tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    else:
        sampler = optuna.samplers.CmaEsSampler(seed=seed)
    study = optuna.create_study(sampler=sampler, direction="minimize")

    def objective(trial):
        return fn([trial.suggest_float(f"x{i + 1}", lo, hi)
                   for i, (lo, hi) in enumerate(bounds)])

    t0 = time.monotonic()
    study.optimize(objective, n_trials=budget)
    return study.best_value, time.monotonic() - t0


def check_definitions(exe):
    """The Python formulas and ringsweep's built-ins agree at a few points."""
    for problem, point in (("branin", [math.pi, 2.275]), ("hartmann6",
                           [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]),
                           ("rastrigin10", [0.5] * 10), ("rosenbrock10", [0.5] * 10)):
        fn, bounds, *_ = PROBLEMS[problem]
        argv = [exe, "run", "--objective", OBJECTIVE[problem], "--serial", "--db",
                "none", "--json", "--algo", "grid"]
        for i, v in enumerate(point):
            argv += ["--param", f"x{i + 1}=float:{v!r}:{v!r}:1"]
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        got = json.loads(out)["best"]["value"]
        if abs(got - fn(point)) > 1e-9 * max(1.0, abs(got)):
            sys.exit(f"{problem}: ringsweep says {got}, Python says {fn(point)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringsweep", required=True)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--seeds-10d", type=int, default=5,
                    help="seeds for the 10-D problems (Optuna takes minutes there)")
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--json")
    a = ap.parse_args()
    check_definitions(a.ringsweep)
    report = {}
    if optuna is None:
        print("(python3-optuna is not installed: the Optuna columns are skipped)")
    else:
        print(f"Optuna {optuna.__version__}")
    for problem in a.problems.split(","):
        fn, bounds, opt, budget, algos = PROBLEMS[problem]
        seeds = range(a.seeds if len(bounds) < 10 else a.seeds_10d)
        rows = {}
        for algo in algos:
            if algo.startswith("optuna") and optuna is None:
                continue
            best, walls = [], []
            for seed in seeds:
                if algo.startswith("optuna"):
                    v, w = optuna_run(problem, algo, seed)
                else:
                    v, w = ringsweep_run(a.ringsweep, problem, algo, seed)
                best.append(v)
                walls.append(w)
            rows[algo] = {"best": best, "wall_s": statistics.median(walls)}
            print(f"  .. {problem} {algo}: median {statistics.median(best):.6g}",
                  file=sys.stderr, flush=True)
        rand_gap = statistics.median(rows["random"]["best"]) - opt
        print(f"\n{problem}: {len(bounds)}-D, {budget} evaluations, {len(seeds)} seeds,"
              f" optimum {opt}")
        print(f"  {'algorithm':<14}{'median best':>14}{'q25':>12}{'q75':>12}"
              f"{'gap':>12}{'closer than random':>20}{'wall/run s':>12}")
        for algo, r in rows.items():
            q1, med, q3 = quartiles(r["best"])
            gap = med - opt
            ratio = rand_gap / gap if gap > 0 else float("inf")
            r.update(median=med, q25=q1, q75=q3, gap=gap, vs_random=ratio)
            print(f"  {algo:<14}{med:>14.6g}{q1:>12.5g}{q3:>12.5g}{gap:>12.3g}"
                  f"{ratio:>19.3g}x{r['wall_s']:>12.3f}")
        report[problem] = {"dim": len(bounds), "budget": budget, "optimum": opt,
                           "seeds": len(seeds), "algorithms": rows}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
