#!/usr/bin/env python3
"""bench/compare/pareto.py - multi-objective search: ringsweep's NSGA-II
(genetic), ParEGO (bayes) and random search against Optuna's
NSGAIISampler and MOTPESampler at equal budgets.  Prints, per problem,
the median (and quartiles) over seeds of the hypervolume each front
dominates up to a fixed reference point, and who wins.

Problems: ZDT1 (convex front) and ZDT2 (concave front) on [0,1]^10, and
the bundled crossover backtest (Sharpe, maximised, against the maximum
drawdown, minimised; DAX, fast 2..100, slow 5..300, fast < slow).  Both
tools evaluate the same functions: ringsweep its built-ins; Optuna the
ZDT formulas below (checked against the built-ins at start) and, for the
backtest, a table of every grid point computed once by ringsweep's
built-in (so both search the very same landscape).  Hypervolumes are
computed here for both tools, and checked against ringsweep's own.

ringsweep runs are `ringsweep run --serial --db none --json` processes
with default settings; Optuna runs in this process, one trial at a time.

usage: pareto.py --ringsweep PATH [--seeds N] [--problems a,b] [--json FILE]
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time

from searchbench import DATA, optuna, quartiles



def zdt(x, concave):
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    h = 1 - (x[0] / g) ** 2 if concave else 1 - math.sqrt(x[0] / g)
    return x[0], g * h


ZDT_DIM = 10
# name: (budget, reference point in lower-is-better form, algorithms)
PROBLEMS = {
    "zdt1": (300, (1.1, 11.0)),
    "zdt2": (300, (1.1, 11.0)),
    "crossover": (200, (0.0, 1.0)),  # Sharpe 0 (negated), drawdown 100%
}
RINGSWEEP_ALGOS = ["random", "genetic", "bayes"]
OPTUNA_ALGOS = ["optuna-nsga2", "optuna-motpe"]


def hypervolume(points, ref):
    """2-D hypervolume of lower-is-better points up to ref."""
    pts = sorted(p for p in points if p[0] < ref[0] and p[1] < ref[1])
    hv, best_y = 0.0, ref[1]
    for x, y in pts:  # by the first objective ascending
        if y < best_y:
            hv += (ref[0] - x) * (best_y - y)
            best_y = y
    return hv


def zdt_argv(problem):
    argv = ["--objective", problem, "--minimize", "f1", "--minimize", "f2"]
    for i in range(ZDT_DIM):
        argv += ["--param", f"x{i + 1}=float:0:1"]
    return argv


def crossover_argv():
    return ["--objective", "ma_cross", "--data", DATA, "--column", "DAX",
            "--param", "fast=int:2:100", "--param", "slow=int:5:300",
            "--constraint", "fast < slow", "--maximize", "sharpe",
            "--minimize", "max_drawdown"]


def ringsweep_run(exe, problem, algo, seed):
    budget, ref = PROBLEMS[problem]
    argv = [exe, "run", "--algo", algo, "--seed", str(seed), "--evals", str(budget),
            "--serial", "--db", "none", "--json"]
    argv += crossover_argv() if problem == "crossover" else zdt_argv(problem)
    natural = (-ref[0], ref[1]) if problem == "crossover" else ref
    argv += ["--hv-ref", ",".join(repr(v) for v in natural)]
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        argv += ["--results", csv.name]
        t0 = time.monotonic()
        out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
        wall = time.monotonic() - t0
    pareto = json.loads(out)["pareto"]
    names = [o["name"] for o in pareto["objectives"]]
    sign = [1 if o["direction"] == "minimize" else -1 for o in pareto["objectives"]]
    front = [tuple(s * m["objectives"][n] for s, n in zip(sign, names))
             for m in pareto["front"]]
    hv = hypervolume(front, ref)
    if abs(hv - (pareto["hypervolume"] or 0.0)) > 1e-9 * max(1.0, hv):
        sys.exit(f"{problem} {algo}: ringsweep says hypervolume "
                 f"{pareto['hypervolume']}, this script {hv}")
    return hv, wall


def crossover_table(exe):
    """Every feasible grid point of the backtest: (fast, slow) -> (-Sharpe,
    drawdown), or None where the backtest is infeasible or failed."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        subprocess.run([exe, "run", "--algo", "grid", "--db", "none", "-q",
                        "--results", csv.name] + crossover_argv(),
                       check=True, capture_output=True)
        lines = open(csv.name).read().splitlines()
    head = lines[0].split(",")
    col = {n: i for i, n in enumerate(head)}
    table = {}
    for line in lines[1:]:
        f = line.split(",")
        key = (int(float(f[col["fast"]])), int(float(f[col["slow"]])))
        table[key] = ((-float(f[col["value"]]), float(f[col["max_drawdown"]]))
                      if f[col["status"]] == "ok" else None)
    return table


def optuna_run(problem, algo, seed, table):
    budget, ref = PROBLEMS[problem]
    if algo == "optuna-nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    else:
        sampler = optuna.samplers.MOTPESampler(seed=seed)
    study = optuna.create_study(sampler=sampler, directions=["minimize", "minimize"])

    def objective(trial):
        if problem == "crossover":
            fast = trial.suggest_int("fast", 2, 100)
            slow = trial.suggest_int("slow", 5, 300)
            v = table.get((fast, slow))
            if v is None:  # fast >= slow: Optuna has no constraints here
                raise optuna.TrialPruned()
            return v
        return zdt([trial.suggest_float(f"x{i + 1}", 0, 1) for i in range(ZDT_DIM)],
                   problem == "zdt2")

    t0 = time.monotonic()
    study.optimize(objective, n_trials=budget)
    wall = time.monotonic() - t0
    points = [tuple(t.values) for t in study.trials
              if t.state == optuna.trial.TrialState.COMPLETE]
    return hypervolume(points, ref), wall


def check_definitions(exe):
    """The Python ZDT formulas and ringsweep's built-ins agree."""
    point = [0.3, 0.1, 0.7, 0.2, 0.9, 0.05, 0.4, 0.6, 0.8, 0.15]
    for problem in ("zdt1", "zdt2"):
        argv = [exe, "run", "--objective", problem, "--serial", "--db", "none",
                "--json", "--algo", "grid", "--minimize", "f1", "--minimize", "f2"]
        for i, v in enumerate(point):
            argv += ["--param", f"x{i + 1}=float:{v!r}:{v!r}:1"]
        out = json.loads(subprocess.run(argv, check=True, capture_output=True,
                                        text=True).stdout)
        got = out["pareto"]["front"][0]["objectives"]
        want = zdt(point, problem == "zdt2")
        if abs(got["f1"] - want[0]) > 1e-12 or abs(got["f2"] - want[1]) > 1e-12:
            sys.exit(f"{problem}: ringsweep says {got}, Python says {want}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringsweep", required=True)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--problems", default=",".join(PROBLEMS))
    ap.add_argument("--json")
    a = ap.parse_args()
    check_definitions(a.ringsweep)
    if optuna is None:
        print("(python3-optuna is not installed: the Optuna columns are skipped)")
    else:
        print(f"Optuna {optuna.__version__}")
    report = {}
    for problem in a.problems.split(","):
        budget, ref = PROBLEMS[problem]
        table = crossover_table(a.ringsweep) if problem == "crossover" else None
        rows = {}
        for algo in RINGSWEEP_ALGOS + (OPTUNA_ALGOS if optuna else []):
            hvs, walls = [], []
            for seed in range(a.seeds):
                if algo.startswith("optuna"):
                    hv, w = optuna_run(problem, algo, seed, table)
                else:
                    hv, w = ringsweep_run(a.ringsweep, problem, algo, seed)
                hvs.append(hv)
                walls.append(w)
            rows[algo] = {"hypervolume": hvs, "wall_s": statistics.median(walls)}
            print(f"  .. {problem} {algo}: median {statistics.median(hvs):.6g}",
                  file=sys.stderr, flush=True)
        print(f"\n{problem}: {budget} evaluations, {a.seeds} seeds, reference "
              f"{ref} (lower-is-better form)")
        print(f"  {'algorithm':<14}{'median HV':>12}{'q25':>12}{'q75':>12}"
              f"{'wall/run s':>12}")
        for algo, r in rows.items():
            q1, med, q3 = quartiles(r["hypervolume"])
            r.update(median=med, q25=q1, q75=q3)
            print(f"  {algo:<14}{med:>12.6g}{q1:>12.6g}{q3:>12.6g}{r['wall_s']:>12.3f}")
        ours = max(RINGSWEEP_ALGOS, key=lambda k: rows[k]["median"])
        theirs = [k for k in rows if k.startswith("optuna")]
        if theirs:
            best = max(theirs, key=lambda k: rows[k]["median"])
            verdict = "ringsweep" if rows[ours]["median"] > rows[best]["median"] else "Optuna"
            print(f"  best: ringsweep {ours} {rows[ours]['median']:.6g}, Optuna "
                  f"{best} {rows[best]['median']:.6g} -> {verdict}")
        report[problem] = {"budget": budget, "reference": ref, "seeds": a.seeds,
                           "algorithms": rows}
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
