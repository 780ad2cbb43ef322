#!/usr/bin/env python3
"""bench/compare/suite.py - the search-quality suite: ringsweep's search
algorithms and Optuna's TPE and CMA-ES samplers on 25 standard test
functions (bench/suite/suite.c) at equal budgets and seeds; per budget,
one table of the median best value of each algorithm and who wins.

ringsweep runs are `ringsweep run --objective librswsuite.so
--objective-arg NAME --algo A --seed S --evals B --minimize --serial --db
none --json` with default settings otherwise (bayes: window 4; genetic:
population 10); Optuna runs
TPESampler(seed=S) and CmaEsSampler(seed=S) one trial at a time with
in-memory storage, on the same formulas written again below in Python.
CmaEsSampler samples a categorical parameter with its independent
(random) sampler, as Optuna always does.

At start the script checks that the Python table and formulas are the
plugin's: the table row by row (rsw_suite_describe), then each function
at its known argmin (also against the known optimum) and at two other
points, through `ringsweep run --enqueue`.  Any mismatch stops it.

--cache FILE keeps every run's result, keyed by what decides it: for
ringsweep runs the sha256 of the command, the libringsweep it loads and the
plugin, and the arguments; for Optuna runs its version, that of the
cmaes package and the Python formulas (the whole formulas section, its
tables included) with the function's row.  A later run with the same cache re-runs only what
changed (rebuilding after a change to bayes re-runs the ringsweep runs;
Optuna's, the slow ones, are reused).

usage: suite.py --ringsweep PATH [--plugin PATH] [--budgets 50,100,200]
                [--seeds 10] [--functions a,b] [--algos a,b] [-j N]
                [--cache FILE] [--window W | --windows 1,4,8]
                [--extra-args '...'] [--markdown FILE] [--json FILE]
"""
import argparse
import concurrent.futures
import ctypes
import fcntl
import hashlib
import inspect
import json
import math
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

from searchbench import optuna

# ---------------------------------------------------------------- formulas
# The same as bench/suite/suite.c, operation for operation where it
# matters (the check allows a relative 1e-9).


def shift(i):
    return 1.234 * ((i % 3) - 1)


def branin(x):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def six_hump_camel(x):
    a, b = x[0] * x[0], x[1] * x[1]
    return (4 - 2.1 * a + a * a / 3) * a + x[0] * x[1] + (-4 + 4 * b) * b


def goldstein_price(x):
    a, b = x
    f1 = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b)
    f2 = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b
                                      + 27 * b * b)
    return f1 * f2


def beale(x):
    a, b = x
    return ((1.5 - a + a * b) ** 2 + (2.25 - a + a * b * b) ** 2
            + (2.625 - a + a * b * b * b) ** 2)


def step(x):
    return sum(math.floor(v + 0.5) ** 2 for v in x)


HART_ALPHA = [1.0, 1.2, 3.0, 3.2]
HART3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
HART3_P = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
           [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
HART6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
           [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HART6_P = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
           [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
           [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
           [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]


def hartmann(x, A, P):
    return -sum(HART_ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j]) ** 2
                                              for j in range(len(x))))
                for i in range(4))


def hartmann3(x):
    return hartmann(x, HART3_A, HART3_P)


def hartmann6(x):
    return hartmann(x, HART6_A, HART6_P)


SHEKEL_BETA = [0.1, 0.2, 0.2, 0.4, 0.4, 0.6, 0.3, 0.7, 0.5, 0.5]
SHEKEL_C = [[4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
            [4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]]


def shekel(x):
    return -sum(1 / (SHEKEL_BETA[i] + sum((x[j] - SHEKEL_C[j][i]) ** 2 for j in range(4)))
                for i in range(10))


def ackley(x):
    d = len(x)
    s2 = sum(v * v for v in x)
    sc = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(s2 / d)) - math.exp(sc / d) + 20 + math.e


def rastrigin(x):
    return 10 * len(x) + sum(v * v - 10 * math.cos(2 * math.pi * v) for v in x)


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    return (math.sin(math.pi * w[0]) ** 2
            + sum((wi - 1) ** 2 * (1 + 10 * math.sin(math.pi * wi + 1) ** 2) for wi in w[:-1])
            + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2))


def griewank(x):
    return (sum(v * v / 4000 for v in x)
            - math.prod(math.cos(v / math.sqrt(i + 1)) for i, v in enumerate(x)) + 1)


def schwefel(x):
    return 418.9829 * len(x) - sum(v * math.sin(math.sqrt(abs(v))) for v in x)


def styblinski_tang(x):
    return sum(v ** 4 - 16 * v * v + 5 * v for v in x) / 2


def michalewicz(x):
    return -sum(math.sin(v) * math.sin((i + 1) * v * v / math.pi) ** 20 for i, v in enumerate(x))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def dixon_price(x):
    return (x[0] - 1) ** 2 + sum((i + 1) * (2 * x[i] ** 2 - x[i - 1]) ** 2
                                 for i in range(1, len(x)))


def ellipsoid(x):
    d = len(x)
    return sum(10 ** (6 * i / (d - 1)) * (v - shift(i)) ** 2 for i, v in enumerate(x))


def bent_cigar(x):
    return (x[0] - shift(0)) ** 2 + 1e6 * sum((v - shift(i)) ** 2
                                              for i, v in enumerate(x) if i > 0)


def sphere(x):
    return sum((v - shift(i)) ** 2 for i, v in enumerate(x))


CAT_OFFSET = [-2, 1, 3, -1]
CAT_BIAS = [1.0, 0.0, 2.0, 0.5]


def sphere_cat(x):
    """x[4] is the category's index (alpha, beta, gamma, delta)."""
    k = int(x[4])
    return CAT_BIAS[k] + sum((v - CAT_OFFSET[k]) ** 2 for v in x[:4])


# ------------------------------------------------------------------- table


def same(n, spec, first=1):
    return [(f"x{first + i}", spec) for i in range(n)]


def dixon_price_argmin(d):
    return [2 ** (-(2 ** i - 2) / 2 ** i) for i in range(1, d + 1)]


# name: (formula, [(param, spec)], kind, optimum, argmin); the same rows,
# in the same order, as the plugin's table (checked at start).
FUNCTIONS = {
    "branin": (branin, [("x1", "float:-5:10"), ("x2", "float:0:15")], "multimodal",
               0.397887, [math.pi, 2.275]),
    "six_hump_camel": (six_hump_camel, [("x1", "float:-3:3"), ("x2", "float:-2:2")],
                       "multimodal", -1.031628, [0.0898420128, -0.7126564029]),
    "goldstein_price": (goldstein_price, same(2, "float:-2:2"), "heavy-range", 3, [0, -1]),
    "beale": (beale, same(2, "float:-4.5:4.5"), "valley", 0, [3, 0.5]),
    "step": (step, same(5, "float:-5.12:5.12"), "plateau", 0, [0.0] * 5),
    "hartmann3": (hartmann3, same(3, "float:0:1"), "multimodal", -3.86278,
                  [0.1145888728, 0.5556488939, 0.8525469847]),
    "hartmann6": (hartmann6, same(6, "float:0:1"), "multimodal", -3.32237,
                  [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]),
    "shekel": (shekel, same(4, "float:0:10"), "plateau", -10.5364,
               [4.0007468694, 3.9995094820, 4.0007468637, 3.9995094828]),
    "ackley5": (ackley, same(5, "float:-32.768:32.768"), "multimodal", 0, [0.0] * 5),
    "rastrigin5": (rastrigin, same(5, "float:-5.12:5.12"), "multimodal", 0, [0.0] * 5),
    "levy10": (levy, same(10, "float:-10:10"), "multimodal", 0, [1.0] * 10),
    "griewank10": (griewank, same(10, "float:-600:600"), "multimodal", 0, [0.0] * 10),
    "schwefel5": (schwefel, same(5, "float:-500:500"), "multimodal", 0, [420.9687] * 5),
    "styblinski_tang8": (styblinski_tang, same(8, "float:-5:5"), "multimodal",
                         -313.3293256, [-2.903534] * 8),
    "michalewicz5": (michalewicz, same(5, "float:0:3.141592653589793"), "multimodal",
                     -4.687658, [2.2029055182, 1.5707963249, 1.2849915717, 1.9230584693,
                                 1.7204697730]),
    "rosenbrock4": (rosenbrock, same(4, "float:-5:10"), "valley", 0, [1.0] * 4),
    "dixon_price10": (dixon_price, same(10, "float:-10:10"), "valley", 0,
                      dixon_price_argmin(10)),
    "ellipsoid10": (ellipsoid, same(10, "float:-5:5"), "ill-conditioned", 0,
                    [shift(i) for i in range(10)]),
    "bent_cigar8": (bent_cigar, same(8, "float:-5:5"), "ill-conditioned", 0,
                    [shift(i) for i in range(8)]),
    "sphere20": (sphere, same(20, "float:-5:5"), "bowl", 0, [shift(i) for i in range(20)]),
    "ackley20": (ackley, same(20, "float:-32.768:32.768"), "multimodal", 0, [0.0] * 20),
    "rastrigin_int5": (rastrigin, same(5, "int:-5:5"), "integer", 0, [0] * 5),
    "rosenbrock_int4": (rosenbrock, same(4, "int:-5:10"), "integer", 0, [1] * 4),
    "sphere_cat5": (sphere_cat, same(4, "float:-5:5") + [("c", "cat:alpha,beta,gamma,delta")],
                    "categorical", 0, [1.0, 1.0, 1.0, 1.0, 1]),
    "levy_mixed6": (levy, same(3, "int:-10:10") + same(3, "float:-10:10", 4), "mixed", 0,
                    [1] * 6),
}

RINGSWEEP_ALGOS = ["random", "bayes", "cmaes", "genetic"]
OPTUNA_ALGOS = ["optuna-tpe", "optuna-cmaes"]


def parse_spec(spec):
    """("float", lo, hi) / ("int", lo, hi) / ("cat", [names])."""
    kind, rest = spec.split(":", 1)
    if kind == "cat":
        return kind, rest.split(",")
    lo, hi = rest.split(":")
    conv = int if kind == "int" else float
    return kind, conv(lo), conv(hi)


def probe_points(name):
    """The argmin and two fixed points spread over the box (golden-ratio
    fractions, so no coordinate sits on a bound or the centre)."""
    _, params, _, _, argmin = FUNCTIONS[name]
    points = [list(argmin)]
    for a, b in ((0.6180339887, 0.1), (0.4142135624, 0.7)):
        pt = []
        for i, (_, spec) in enumerate(params):
            u = ((i + 1) * a + b) % 1.0
            kind, *lim = parse_spec(spec)
            if kind == "cat":
                pt.append(int(u * len(lim[0])))
            elif kind == "int":
                pt.append(round(lim[0] + u * (lim[1] - lim[0])))
            else:
                pt.append(lim[0] + u * (lim[1] - lim[0]))
        points.append(pt)
    return points


def as_named(name, point):
    """A point as ringsweep's --enqueue JSON takes it: categories by name."""
    params = FUNCTIONS[name][1]
    out = {}
    for (pname, spec), v in zip(params, point):
        kind, *lim = parse_spec(spec)
        out[pname] = lim[0][v] if kind == "cat" else v
    return out


# ------------------------------------------------------------ cross-check


def plugin_table(plugin):
    """The plugin's own table, through rsw_suite_describe."""
    lib = ctypes.CDLL(os.path.abspath(plugin))
    lib.rsw_suite_describe.argtypes = [ctypes.c_uint, ctypes.c_char_p, ctypes.c_size_t]
    buf = ctypes.create_string_buffer(8192)
    rows, i = [], 0
    while lib.rsw_suite_describe(i, buf, len(buf)) == 0:
        name, dim, kind, opt, specs = buf.value.decode().split("\t")
        rows.append((name, int(dim), kind, float(opt), specs.split(" ")))
        i += 1
    return rows


def check_definitions(exe, plugin):
    """The plugin and this file define the same functions: the same table,
    and the same values at the argmin (which is the known optimum) and at
    two other points of each."""
    rows = plugin_table(plugin)
    if [r[0] for r in rows] != list(FUNCTIONS):
        sys.exit(f"suite.py: the plugin's functions {[r[0] for r in rows]} are not "
                 f"this script's {list(FUNCTIONS)}")
    for name, dim, kind, opt, specs in rows:
        _, params, pkind, popt, argmin = FUNCTIONS[name]
        mine = [f"{p}={s}" for p, s in params]
        if (dim, kind, opt, specs) != (len(params), pkind, popt, mine) or len(argmin) != dim:
            sys.exit(f"suite.py: {name}: the plugin says {dim}-D {kind}, optimum {opt}, "
                     f"{specs}; this script says {len(params)}-D {pkind}, optimum {popt}, "
                     f"{mine}")
    worst = {}
    with tempfile.TemporaryDirectory(prefix="rswsuite-") as tmp:
        for name, (fn, params, _, opt, _) in FUNCTIONS.items():
            points = probe_points(name)
            enq, res = os.path.join(tmp, "points.json"), os.path.join(tmp, "results.csv")
            with open(enq, "w") as f:
                json.dump([as_named(name, p) for p in points], f)
            # --enqueue'd points come first, then one random point: the
            # smallest budget there is.
            argv = [exe, "run", "--objective", plugin, "--objective-arg", name,
                    "--algo", "random", "--evals", "1", "--enqueue", enq,
                    "--results", res, "--serial", "--db", "none", "--quiet"]
            for pname, spec in params:
                argv += ["--param", f"{pname}={spec}"]
            run_checked(argv)
            with open(res) as f:
                lines = [ln.rstrip("\n").split(",") for ln in f]
            head, body = lines[0], lines[1:1 + len(points)]
            if len(body) < len(points):
                sys.exit(f"suite.py: {name}: the plugin's run reported {len(body)} "
                         f"of the {len(points)} points it was given")
            for pt, row in zip(points, body):
                got = float(row[head.index("value")])
                want = fn(pt)
                # not <=: a NaN on either side fails
                if row[head.index("status")] != "ok" or \
                   not abs(got - want) <= 1e-9 * max(1.0, abs(want)):
                    sys.exit(f"suite.py: {name} at {as_named(name, pt)}: the plugin says "
                             f"{row[head.index('status')]} {got!r}, Python says {want!r}")
            at_min = float(body[0][head.index("value")])
            if not abs(at_min - opt) <= 1e-4 * max(1.0, abs(opt)):
                sys.exit(f"suite.py: {name}: {at_min!r} at the known argmin "
                         f"{argmin_text(name)}, not the known optimum {opt}")
            worst[name] = at_min - opt
    far = max(worst, key=lambda k: abs(worst[k]))
    print(f"cross-check: plugin and Python agree on all {len(FUNCTIONS)} functions "
          f"(table, and 3 points each to 1e-9); each argmin is at its optimum to "
          f"1e-4 (farthest: {far}, {worst[far]:+.3g})")


def argmin_text(name):
    return "(" + ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v)
                           for v in as_named(name, FUNCTIONS[name][4]).values()) + ")"


# ------------------------------------------------------------------- runs


class RunFailed(Exception):
    pass


def run_checked(argv):
    """Runs argv; a failure stops everything, with its argv and stderr."""
    p = subprocess.run(argv, capture_output=True, text=True)
    if p.returncode != 0:
        raise RunFailed(f"ringsweep failed (exit {p.returncode}):\n  "
                        f"{shlex.join(argv)}\n{p.stderr.rstrip()}")
    return p.stdout


def ringsweep_argv(exe, plugin, job):
    fn_name, budget, seed, algo = job["function"], job["budget"], job["seed"], job["algo"]
    argv = [exe, "run", "--objective", plugin, "--objective-arg", fn_name,
            "--algo", algo, "--seed", str(seed), "--evals", str(budget),
            "--minimize", "--serial", "--db", "none", "--json", "--quiet"]
    for pname, spec in FUNCTIONS[fn_name][1]:
        argv += ["--param", f"{pname}={spec}"]
    return argv + job["extra"]


def ringsweep_run(exe, plugin, job):
    argv = ringsweep_argv(exe, plugin, job)
    t0 = time.monotonic()
    out = run_checked(argv)
    wall = time.monotonic() - t0
    summary = json.loads(out)
    bad = {k: v for k, v in summary["status"].items() if k != "ok"}
    if summary["best"] is None or bad:
        raise RunFailed(f"ringsweep run had failed evaluations {bad}:\n  {shlex.join(argv)}")
    return {"best": summary["best"]["value"], "wall_s": wall, "evals": summary["evals"]}


def optuna_run(job):
    fn, params, *_ = FUNCTIONS[job["function"]]
    if job["algo"] == "optuna-tpe":
        sampler = optuna.samplers.TPESampler(seed=job["seed"])
    else:
        # Categorical parameters go to its independent sampler; saying so
        # at every trial would flood the output.
        sampler = optuna.samplers.CmaEsSampler(seed=job["seed"],
                                               warn_independent_sampling=False)
    study = optuna.create_study(sampler=sampler, direction="minimize")
    parsed = [(pname, parse_spec(spec)) for pname, spec in params]

    def objective(trial):
        x = []
        for pname, (kind, *lim) in parsed:
            if kind == "float":
                x.append(trial.suggest_float(pname, lim[0], lim[1]))
            elif kind == "int":
                x.append(trial.suggest_int(pname, lim[0], lim[1]))
            else:
                x.append(lim[0].index(trial.suggest_categorical(pname, lim[0])))
        return fn(x)

    t0 = time.monotonic()
    study.optimize(objective, n_trials=job["budget"])
    return {"best": study.best_value, "wall_s": time.monotonic() - t0,
            "evals": len(study.trials)}


def run_job(exe, plugin, job):
    """One run, in a worker process."""
    if job["algo"] in OPTUNA_ALGOS:
        return optuna_run(job)
    return ringsweep_run(exe, plugin, job)


# ------------------------------------------------------------------ cache


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def ringsweep_identity(exe, plugin):
    """What decides a ringsweep run's result besides its arguments: the
    command, the libringsweep it loads (the algorithms live there, not in
    the command) and the plugin."""
    libs = []
    try:
        out = subprocess.run(["ldd", exe], capture_output=True, text=True).stdout
        libs = [ln.split("=>")[1].split("(")[0].strip() for ln in out.splitlines()
                if "libringsweep" in ln and "=>" in ln]
    except OSError:
        pass
    if not libs:
        print("suite.py: warning: ldd found no libringsweep for the command: the "
              "cache key covers the command and the plugin only", file=sys.stderr)
    parts = [f"exe={sha256(exe)}"] + [f"{os.path.basename(p)}={sha256(p)}" for p in libs]
    return " ".join(parts + [f"plugin={sha256(plugin)}"])


def formulas_source():
    """This file's formulas section, constants and helpers included: a
    function's source alone (hartmann3 is one line) would leave out the
    tables it reads."""
    text = inspect.getsource(sys.modules[__name__])
    return text[text.index("# " + "-" * 64 + " formulas"):
                text.index("# " + "-" * 67 + " table")]


def definition_hash(name):
    """An Optuna run's result depends on the Python definition of its
    function (the formulas section and its table row), not on the plugin."""
    _, params, *_ = FUNCTIONS[name]
    text = formulas_source() + repr(params)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sampler_versions():
    """Optuna's version, and that of the cmaes package its CmaEsSampler
    runs on."""
    try:
        import cmaes
        return f"optuna {optuna.__version__} cmaes {cmaes.__version__}"
    except ImportError:
        return f"optuna {optuna.__version__}"


def job_key(job, identity):
    head = f"{job['function']}|{job['budget']}|{job['seed']}|{job['algo']}"
    if job["algo"] in OPTUNA_ALGOS:
        return f"{head}|{sampler_versions()}|def={definition_hash(job['function'])}"
    return f"{head}|{shlex.join(job['extra'])}|{identity}"


class Cache:
    """A JSON file of run results shared by whoever runs the suite: each
    save merges into what is on disk under a lock and replaces the file
    atomically (a reader never sees half a file, two writers lose
    nothing)."""

    def __init__(self, path):
        self.path, self.entries, self.new = path, {}, {}
        if path and os.path.exists(path):
            with open(path) as f:
                self.entries = json.load(f).get("runs", {})

    def get(self, key):
        return self.entries.get(key)

    def put(self, key, result):
        self.entries[key] = self.new[key] = result

    def save(self):
        if not self.path or not self.new:
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        with open(self.path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            on_disk = {}
            if os.path.exists(self.path):
                with open(self.path) as f:
                    on_disk = json.load(f).get("runs", {})
            on_disk.update(self.new)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".suite-cache-")
            with os.fdopen(fd, "w") as f:
                json.dump({"format": "ringsweep suite cache 1", "runs": on_disk}, f,
                          indent=0, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        self.entries.update(on_disk)
        self.new = {}


def run_all(a, jobs, identity, cache):
    """Every job's result, from the cache or run now, -j at a time."""
    todo = []
    for job in jobs:
        job["key"] = job_key(job, identity)
        hit = cache.get(job["key"])
        if hit is not None:
            job["result"], job["cached"] = hit, True
        else:
            todo.append(job)
    print(f"{len(jobs)} runs: {len(jobs) - len(todo)} from the cache, {len(todo)} to run "
          f"on {a.j} processes", flush=True)
    # The slow ones first (Optuna, bayes, high dimensions), so that the
    # last minutes are not one long run on one core.
    todo.sort(key=lambda j: (j["algo"] not in ("optuna-tpe", "bayes"),
                             -len(FUNCTIONS[j["function"]][1]) * j["budget"]))
    t0 = last_save = last_note = time.monotonic()
    done = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=a.j) as pool:
        futures = {pool.submit(run_job, a.ringsweep, a.plugin,
                               {k: v for k, v in job.items() if k != "key"}): job
                   for job in todo}
        try:
            for fut in concurrent.futures.as_completed(futures):
                job = futures[fut]
                job["result"] = fut.result()
                cache.put(job["key"], job["result"])
                done += 1
                now = time.monotonic()
                if now - last_save > 30:
                    cache.save()
                    last_save = now
                if now - last_note > 30 or done == len(todo):
                    print(f"  .. {done}/{len(todo)} runs, {now - t0:.0f} s", file=sys.stderr,
                          flush=True)
                    last_note = now
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            cache.save()
            raise
    cache.save()


# ---------------------------------------------------------------- reports


def num(v):
    return f"{v:.5g}"


def pick_winner(medians):
    """The algorithm with the lowest median, or "tie" when the two lowest
    are equal (on full precision)."""
    ranked = sorted(medians.items(), key=lambda kv: kv[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return "tie"
    return ranked[0][0]


class Report:
    """Text on stdout and, with --markdown, the same tables as markdown."""

    def __init__(self):
        self.md = []

    def table(self, head, rows, align):
        widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
        fmt = lambda r: "  ".join(f"{c:<{w}}" if al == "l" else f"{c:>{w}}"
                                  for c, w, al in zip(r, widths, align))
        for r in [head] + rows:
            print(fmt(r).rstrip(), flush=True)
        self.md.append("| " + " | ".join(head) + " |")
        self.md.append("| " + " | ".join("---" if al == "l" else "---:" for al in align) + " |")
        for r in rows:
            self.md.append("| " + " | ".join(str(c) for c in r) + " |")
        self.md.append("")

    def line(self, text, md=None):
        print(text, flush=True)
        self.md.append(md if md is not None else text)
        self.md.append("")


def collect(jobs, functions, budget, labels):
    """{function: {label: [best of each seed]}} and {label: [wall_s]}."""
    best = {f: {lab: [] for lab in labels} for f in functions}
    walls = {lab: [] for lab in labels}
    for job in jobs:
        if job["budget"] == budget:
            best[job["function"]][job["label"]].append(job["result"]["best"])
            walls[job["label"]].append(job["result"]["wall_s"])
    return best, walls


def report_budget(rep, jobs, functions, budget, labels, seeds):
    best, walls = collect(jobs, functions, budget, labels)
    rep.line(f"== {budget} evaluations: median best value of {seeds} seeds "
             f"(lower is better)", md=f"### {budget} evaluations, median of {seeds} seeds")
    medians_of, wins = median_table(rep, best, functions, labels, "winner")
    rep.line("wins: " + ", ".join(f"{lab} {n}" for lab, n in wins.items()
                                  if n or lab != "tie"))
    opt_algos = [lab for lab in OPTUNA_ALGOS if lab in labels]
    if "bayes" in labels and opt_algos:
        better = [f for f in functions
                  if all(medians_of[f]["bayes"] < medians_of[f][o] for o in opt_algos)]
        rep.line(f"bayes better than the better of {' and '.join(opt_algos)} (lower median "
                 f"than {'both' if len(opt_algos) > 1 else 'it'}) on {len(better)} of "
                 f"{len(functions)} functions")
    if "bayes" in labels and "random" in labels:
        worse = [f for f in functions if medians_of[f]["bayes"] > medians_of[f]["random"]]
        rep.line(f"bayes worse than random on: {', '.join(worse) if worse else 'none'}")
    rep.line("median wall time of one run: " + ", ".join(
        f"{lab} {statistics.median(walls[lab]):.3g} s" for lab in labels))
    return medians_of


def median_table(rep, best, functions, labels, last):
    """One row per function: its medians under each label and the label
    with the lowest (column `last`); returns the medians by function and
    how often each label (or "tie") was lowest."""
    rows, wins, medians_of = [], {lab: 0 for lab in labels + ["tie"]}, {}
    for f in functions:
        _, params, kind, opt, _ = FUNCTIONS[f]
        med = {lab: statistics.median(best[f][lab]) for lab in labels}
        medians_of[f] = med
        w = pick_winner(med)
        wins[w] += 1
        rows.append([f, len(params), kind, num(opt)] + [num(med[lab]) for lab in labels] + [w])
    rep.table(["function", "dim", "kind", "optimum"] + labels + [last], rows,
              "lrll" + "r" * len(labels) + "l")
    return medians_of, wins


def report_windows(rep, jobs, functions, budget, windows, seeds):
    labels = [f"w={w}" for w in windows]
    best, walls = collect(jobs, functions, budget, labels)
    rep.line(f"== bayes, {budget} evaluations, by window: median best value of {seeds} "
             f"seeds (lower is better)",
             md=f"### bayes by window, {budget} evaluations, median of {seeds} seeds")
    _, wins = median_table(rep, best, functions, labels, "best")
    rep.line("best window: " + ", ".join(f"{lab} {n}" for lab, n in wins.items()
                                         if n or lab != "tie"))
    rep.line("median wall time of one run: " + ", ".join(
        f"{lab} {statistics.median(walls[lab]):.3g} s" for lab in labels))


# ------------------------------------------------------------------- main


def int_list(text):
    return [int(v) for v in text.split(",") if v]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringsweep", required=True, help="the ringsweep command")
    ap.add_argument("--plugin", help="librswsuite.so (default: bench/ beside the command)")
    ap.add_argument("--budgets", type=int_list, default=[50, 100, 200])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0 .. N-1")
    ap.add_argument("--functions", default=",".join(FUNCTIONS))
    ap.add_argument("--algos", default=",".join(RINGSWEEP_ALGOS + OPTUNA_ALGOS))
    ap.add_argument("-j", type=int, default=os.cpu_count(), help="runs at a time")
    ap.add_argument("--cache", help="JSON file of run results, reused when still valid")
    ap.add_argument("--window", type=int, help="--window W for the bayes runs")
    ap.add_argument("--windows", type=int_list,
                    help="run bayes only, at each of these windows, and compare them")
    ap.add_argument("--extra-args", default="", help="appended to every ringsweep run")
    ap.add_argument("--markdown", help="write the tables as markdown")
    ap.add_argument("--json", help="write every run's result")
    a = ap.parse_args()

    a.ringsweep = os.path.abspath(a.ringsweep)
    a.plugin = os.path.abspath(a.plugin or os.path.join(os.path.dirname(a.ringsweep),
                                                        "bench", "librswsuite.so"))
    for path in (a.ringsweep, a.plugin):
        if not os.path.isfile(path):
            sys.exit(f"suite.py: {path}: no such file (build with make: the plugin is "
                     f"the rswsuite target)")
    functions = a.functions.split(",")
    unknown = [f for f in functions if f not in FUNCTIONS]
    algos = ["bayes"] if a.windows else a.algos.split(",")
    unknown += [x for x in algos if x not in RINGSWEEP_ALGOS + OPTUNA_ALGOS]
    if unknown:
        sys.exit(f"suite.py: unknown {unknown}: functions are {list(FUNCTIONS)}, "
                 f"algorithms {RINGSWEEP_ALGOS + OPTUNA_ALGOS}")
    if optuna is None and any(x in OPTUNA_ALGOS for x in algos):
        sys.exit("suite.py: Optuna is not installed (python3-optuna): leave out "
                 "optuna-tpe and optuna-cmaes with --algos")
    extra = shlex.split(a.extra_args)

    try:
        check_definitions(a.ringsweep, a.plugin)
    except RunFailed as e:
        sys.exit(f"suite.py: the cross-check could not run: {e}")
    identity = ringsweep_identity(a.ringsweep, a.plugin)
    print(f"ringsweep {a.ringsweep} ({identity})")
    if optuna is not None:
        print(f"Optuna {optuna.__version__}")

    jobs = []
    variants = ([(f"w={w}", "bayes", ["--window", str(w)]) for w in a.windows] if a.windows
                else [(x, x, ["--window", str(a.window)] if x == "bayes" and a.window else [])
                      for x in algos])
    for budget in a.budgets:
        for f in functions:
            for label, algo, own in variants:
                for seed in range(a.seeds):
                    jobs.append({"function": f, "budget": budget, "seed": seed,
                                 "algo": algo, "label": label,
                                 "extra": [] if algo in OPTUNA_ALGOS else own + extra})
    cache = Cache(a.cache)
    try:
        run_all(a, jobs, identity, cache)
    except RunFailed as e:
        print(f"suite.py: {e}", file=sys.stderr)
        sys.exit(1)

    rep = Report()
    rep.md += ["Produced by `" + shlex.join(["bench/compare/suite.py"] + sys.argv[1:]) + "`", ""]
    summary = {}
    for budget in a.budgets:
        print()
        if a.windows:
            report_windows(rep, jobs, functions, budget, a.windows, a.seeds)
        else:
            summary[budget] = report_budget(rep, jobs, functions, budget,
                                            [v[0] for v in variants], a.seeds)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("\n".join(rep.md))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"ringsweep": identity,
                       "optuna": optuna.__version__ if optuna else None,
                       "medians": summary,
                       "runs": [{k: v for k, v in j.items() if k != "key"} for j in jobs]},
                      f, indent=1)


if __name__ == "__main__":
    main()
