"""ringsweep: parameter sweeps of Python backtests on a lock-free engine.

    import ringsweep as rs

    def backtest(fast, slow, cost):
        ...                               # your strategy, on data loaded once
        return {"value": sharpe, "trades": n_trades}

    space = rs.Space(fast=rs.Int(2, 100), slow=rs.Int(5, 300),
                     cost=rs.Choice([0, 5, 10]))
    study = rs.sweep(backtest, space, algo="bayes", n_evals=200, seed=0,
                     maximize=True, metrics=["trades"], db="study.db")
    print(study.best_params, study.best_value)

The objective runs in worker processes forked from this interpreter when
the sweep starts: the function, your modules and your data (a DataFrame
loaded once) reach them by fork, copy-on-write, never by pickling.  A
worker that segfaults, calls os._exit, runs out of memory or hangs past
`timeout` is replaced and its task retried (`retries`); an exception is a
failed evaluation whose text is kept with it.  Results are committed in
suggestion order: the trial table of a seeded sweep is the same for any
n_jobs, serial included.  With `db=`, every evaluation goes to a SQLite
file as it is committed; `resume(db, objective)` continues it after a
crash, a SIGKILL or Ctrl-C, to the same results.

Beyond one machine: `mpirun -np N python3 job.py` with
`sweep(..., backend="mpi")`: rank 0 drives and gets the Study, every other
rank evaluates on its machine's cores (its call returns None), with the
same results as a local sweep (docs/DISTRIBUTED.md).

Also here: `Optimizer` (ask/tell: suggest, update, is_complete) and
`ParallelOptimizer` (objective_function(params) -> score, optimize()).
"""
from __future__ import annotations

import errno
import gc
import inspect
import math
import os
import sys
import threading
import warnings
from typing import (Any, Callable, Dict, Iterable, List, Mapping, NamedTuple, Optional,
                    Sequence, Tuple, Union)

from . import _core
from ._core import SweepError, StoreError, TaskFailed, Infeasible, Pruned

__version__ = _core.version
__all__ = [
    "Space", "Int", "Float", "Choice", "Cat", "sweep", "resume", "Study",
    "Optimizer", "ParallelOptimizer", "algorithms", "task", "Task",
    "SweepError", "StoreError", "TaskFailed", "Infeasible", "Pruned", "report_step",
    "mpi_rank", "report",
]

# ---------------------------------------------------------------- the space


def _number(x: Any, what: str) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(x).__name__}")
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"{what} must be finite, not {x!r}")
    return repr(x) if isinstance(x, float) else str(int(x))


class Param:
    """A parameter's domain; see Int, Float, Choice and Cat."""

    def spec(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec()!r})"


class Int(Param):
    """Integers from low to high, both included: Int(2, 100), Int(0, 100,
    step=5); log=True draws them log-uniformly (1 <= low)."""

    def __init__(self, low: int, high: int, step: int = 1, log: bool = False):
        for v, what in ((low, "Int low"), (high, "Int high"), (step, "Int step")):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{what} must be an int, not {type(v).__name__}")
        if log and step != 1:
            raise ValueError("Int: log=True takes no step")
        self.low, self.high, self.step, self.log = low, high, step, log

    def spec(self) -> str:
        if self.log:
            return f"logint:{self.low}:{self.high}"
        tail = f":{self.step}" if self.step != 1 else ""
        return f"int:{self.low}:{self.high}{tail}"


class Float(Param):
    """Reals from low to high: continuous, or on a grid of `step` (values
    snapped to the step's decimals); log=True draws them log-uniformly
    (0 < low, no step)."""

    def __init__(self, low: float, high: float, step: Optional[float] = None,
                 log: bool = False):
        _number(low, "Float low")
        _number(high, "Float high")
        if step is not None:
            _number(step, "Float step")
            if log:
                raise ValueError("Float: log=True takes no step")
        self.low, self.high, self.step, self.log = low, high, step, log

    def spec(self) -> str:
        lo, hi = _number(float(self.low), "low"), _number(float(self.high), "high")
        if self.log:
            return f"log:{lo}:{hi}"
        tail = f":{_number(float(self.step), 'step')}" if self.step is not None else ""
        return f"float:{lo}:{hi}{tail}"


class Choice(Param):
    """Numbers to choose from, passed as themselves: Choice([0, 5, 10])
    (ints when every choice is whole, floats otherwise)."""

    def __init__(self, values: Iterable[Union[int, float]]):
        self.values = list(values)
        if not self.values:
            raise ValueError("Choice needs at least one value")
        for v in self.values:
            _number(v, "a Choice value")

    def spec(self) -> str:
        return "choice:" + ",".join(_number(v, "a Choice value") for v in self.values)


class Cat(Param):
    """Categories, passed as their label: Cat(["DAX", "SMI"]).  Unordered:
    the model-based algorithms compare them as equal or not."""

    def __init__(self, labels: Iterable[str]):
        self.labels = list(labels)
        if not self.labels:
            raise ValueError("Cat needs at least one label")
        for label in self.labels:
            if not isinstance(label, str):
                raise TypeError(f"a Cat label must be a str, not {type(label).__name__}"
                                f" (numbers go in Choice)")
            if not label or "," in label:
                raise ValueError(f"a Cat label must be a non-empty str without ',': "
                                 f"{label!r}")

    def spec(self) -> str:
        return "cat:" + ",".join(self.labels)


def _param_of(name: str, v: Any) -> Param:
    if isinstance(v, Param):
        return v
    if isinstance(v, str):  # a spec as the command reads it: "int:2:100"
        p = Param()
        p.spec = lambda: v  # type: ignore[method-assign]
        return p
    if isinstance(v, tuple) and len(v) == 2:
        if all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            return Int(*v)
        return Float(*v)
    if isinstance(v, (list, range)):
        items = list(v)
        if items and all(isinstance(x, str) for x in items):
            return Cat(items)
        return Choice(items)
    raise TypeError(f"parameter '{name}': give Int, Float, Choice or Cat, a (low, high)"
                    f" tuple, a list of choices or a spec string, not {type(v).__name__}")


class Space:
    """The parameters of a sweep, in order:

        Space(fast=Int(2, 100), lr=Float(1e-4, 1e-1, log=True),
              sec=Cat(["DAX", "SMI"]))
        Space({"fast": (2, 100), "cost": [0, 5, 10], "sec": ["DAX", "SMI"]})

    A (low, high) tuple is Int when both are ints, Float otherwise; a list
    is Cat when all are strings, Choice otherwise; a string is a spec as
    `ringsweep run --param` reads it ("int:2:100").  A bad parameter
    raises ValueError naming it, here, before anything runs."""

    def __init__(self, params: Optional[Mapping[str, Any]] = None, /, **kw: Any):
        items = dict(params or {})
        for k, v in kw.items():
            if k in items:
                raise ValueError(f"parameter '{k}' given twice")
            items[k] = v
        if not items:
            raise ValueError("a Space needs at least one parameter")
        self.params: Dict[str, Param] = {}
        for name, v in items.items():
            if not isinstance(name, str):
                raise TypeError(f"parameter names are str, not {type(name).__name__}")
            self.params[name] = _param_of(name, v)
        self._specs = _core.check_specs([f"{n}={p.spec()}" for n, p in self.params.items()])

    @classmethod
    def from_specs(cls, specs: Sequence[str]) -> "Space":
        """The space of specs "name=kind:..." (as a store records them)."""
        return cls({s.split("=", 1)[0]: s.split("=", 1)[1] for s in specs})

    def specs(self) -> List[str]:
        """The specs the library reads, "name=kind:...", in order."""
        return list(self._specs)

    @property
    def names(self) -> List[str]:
        return list(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __repr__(self) -> str:
        return "Space(" + ", ".join(f"{n}={p!r}" for n, p in self.params.items()) + ")"


_DIRECTIONS = {"min": True, "minimize": True, "max": False, "maximize": False}


def _objectives(objectives: Any, hv_ref: Any) -> Dict[str, Any]:
    """The options of objectives= ({name: "max" | "min"}, in order: the
    value or a metric each) and hv_ref= (one number per objective)."""
    options: Dict[str, Any] = {}
    if objectives is not None:
        if not isinstance(objectives, Mapping):
            raise TypeError("objectives must be a dict {name: 'max' or 'min'}, "
                            f"not {type(objectives).__name__}")
        pairs = []
        for name, direction in objectives.items():
            if not isinstance(name, str):
                raise TypeError(f"objective names are str, not {type(name).__name__}")
            if direction not in _DIRECTIONS:
                raise ValueError(f"objective {name!r}: direction must be 'max' or "
                                 f"'min', not {direction!r}")
            pairs.append((name, _DIRECTIONS[direction]))
        options["objectives"] = tuple(pairs)
    if hv_ref is not None:
        if isinstance(hv_ref, (str, bytes)) or not isinstance(hv_ref, Sequence):
            raise TypeError("hv_ref must be a sequence of numbers, one per objective")
        for v in hv_ref:
            _number(v, "hv_ref")
        options["hv_ref"] = tuple(float(v) for v in hv_ref)
    return options


def _constraints(constraints: Any, what: str = "constraints") -> Dict[str, Any]:
    """The options of constraints=: expressions ("fast < slow", parsed by
    the library) and callables (called in the driver with the parameters,
    as the objective is; true when the point is feasible)."""
    if constraints is None:
        return {}
    if isinstance(constraints, str) or callable(constraints):
        constraints = [constraints]
    texts: List[str] = []
    fns: List[Callable[..., Any]] = []
    for c in constraints:
        if isinstance(c, str):
            texts.append(c)
        elif callable(c):
            fns.append(c)
        else:
            raise TypeError(f"{what}: an expression (str) or a callable, not "
                            f"{type(c).__name__}")
    out: Dict[str, Any] = {}
    if texts:
        out["constraints"] = texts
    if len(fns) == 1:
        out["feasible"] = fns[0]
    elif fns:
        def every(*args: Any, **kw: Any) -> bool:
            return all(f(*args, **kw) for f in fns)
        out["feasible"] = every
    return out


def _enqueue(points: Any) -> Any:
    """enqueue= as _core takes it: None, a path (CSV or JSON, read by the
    library), or a list of {name: value} (a pandas DataFrame's rows)."""
    if points is None:
        return None
    if isinstance(points, (str, os.PathLike)):
        return os.fspath(points)
    if hasattr(points, "to_dict") and hasattr(points, "columns"):
        points = points.to_dict("records")
    if isinstance(points, Mapping):
        raise TypeError("enqueue takes a list of dicts (one per point), not one dict")
    try:
        return list(points)
    except TypeError:
        raise TypeError(f"enqueue takes a list of dicts, a DataFrame or a path, "
                        f"not {type(points).__name__}") from None


def _space_of(space: Any) -> Space:
    if isinstance(space, Space):
        return space
    if isinstance(space, Mapping):
        return Space(space)
    raise TypeError(f"space must be a ringsweep.Space or a dict, not {type(space).__name__}")


# ------------------------------------------------------------- the options

_SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def _bytes(v: Any, what: str) -> Optional[int]:
    if v is None:
        return None
    if isinstance(v, str) and v[-1:].upper() in _SUFFIX and v[:-1].isascii() \
            and v[:-1].isdigit():
        n = int(v[:-1]) * _SUFFIX[v[-1].upper()]
    elif isinstance(v, int) and not isinstance(v, bool):
        n = v
    else:
        raise ValueError(f"{what} must be a number of bytes or a size like '512M', not {v!r}")
    if n < 1 << 20:
        raise ValueError(f"{what} must be at least 1M, not {v!r}")
    return n


def _count(v: Any, what: str, low: int = 1, optional: bool = True) -> Optional[int]:
    if v is None and optional:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ValueError(f"{what} must be an int >= {low}, not {v!r}")
    return v


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - Linux has it
        return os.cpu_count() or 1


MAX_WORKERS = 256  # the engine's table of workers


def _workers(n_jobs: Any, serial: bool) -> int:
    if serial:
        return 0
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 \
            or n_jobs > MAX_WORKERS:
        raise ValueError(f"n_jobs must be from 1 to {MAX_WORKERS}, or -1 for all CPUs, "
                         f"-2 for all but one ...; not {n_jobs!r} (serial=True runs in "
                         f"this process)")
    return n_jobs if n_jobs > 0 else max(1, _cpus() + 1 + n_jobs)


def _choose(v: Any, what: str, words: Sequence[str]) -> int:
    if v not in words:
        raise ValueError(f"{what} must be one of {', '.join(map(repr, words))}, not {v!r}")
    return list(words).index(v)


def _progress_mode(progress: Any) -> int:
    tty = sys.stderr is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    if progress is None:
        return _core.PROGRESS_BAR if tty else _core.PROGRESS_NONE
    if progress is True or progress == "auto":
        return _core.PROGRESS_BAR if tty else _core.PROGRESS_LINES
    if progress is False or progress == "none":
        return _core.PROGRESS_NONE
    if progress == "bar":
        return _core.PROGRESS_BAR
    if progress == "lines":
        return _core.PROGRESS_LINES
    raise ValueError(f"progress must be None, True, False, 'bar', 'lines' or 'none', "
                     f"not {progress!r}")


def _exec_options(n_jobs: Any, serial: bool, idle: str, pin: bool, nice: int,
                  recycle_after: Any, soft_mem: Any, max_batch: Any,
                  halt: Optional[str] = None) -> Dict[str, Any]:
    if isinstance(nice, bool) or not isinstance(nice, int) or not 0 <= nice <= 19:
        raise ValueError(f"nice must be an int from 0 to 19, not {nice!r}")
    if halt is not None and not isinstance(halt, str):
        raise TypeError(f"halt must be a string such as 'soon,fail=5', not {halt!r}")
    return {
        "halt": halt,
        "workers": _workers(n_jobs, serial),
        "idle": _choose(idle, "idle", ("sleep", "spin", "adaptive")),  # enum order
        "pin": int(bool(pin)),
        "nice": nice,
        "recycle_after": _count(recycle_after, "recycle_after"),
        "soft_mem": _bytes(soft_mem, "soft_mem"),
        "max_batch": _count(max_batch, "max_batch"),
    }


# The library words its refusals as the command's options; here they name
# the Python arguments instead.
_WORDS = [("--evals N", "n_evals=N"), ("--evals", "n_evals"), ("--algo ", "algo="),
          ("--x and --y", "x and y"), ("--x '", "x='"), ("--y '", "y='"),
          ("--best-by '", "best_by='"), ("--bins", "bins"),
          ("--db ", "db "), ("--window", "window"), ("--population", "population"),
          ("--generations", "generations"), ("--init", "init"),
          ("--results ", "results_csv "), ("--metrics", "metrics"),
          ("a C function cannot take its place",
           "a Python function cannot take its place (continue it with `ringsweep run "
           "--resume`)")]


def _in_python_words(call: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    try:
        return call(*args, **kw)
    except (ValueError, SweepError) as e:
        text = str(e)
        for cli, py in _WORDS:
            text = text.replace(cli, py)
        if text == str(e):
            raise
        raise type(e)(text) from None


# The trial table's own columns: no parameter or metric may take their name.
_COLUMNS = ("seq", "status", "value", "detail", "attempts", "worker", "elapsed_s",
            "message")


def _check_names(space: "Space", metrics: Sequence[str]) -> None:
    for name in list(space.names) + list(metrics):
        if name in _COLUMNS:
            what = "metric" if name in metrics else "parameter"
            raise ValueError(f"{what} '{name}': the trial table has a column of that "
                             f"name; call it something else")
    both = set(space.names) & set(metrics)
    if both:
        raise ValueError(f"'{sorted(both)[0]}' is both a parameter and a metric")
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metrics names one twice: {list(metrics)!r}")


def _label(fn: Callable[..., Any]) -> str:
    mod = getattr(fn, "__module__", None) or "?"
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) \
        or type(fn).__qualname__
    return f"{mod}.{name}"


def _worker_started(worker: int) -> None:
    # A worker ends with _exit (nothing of the driver's state is torn down
    # twice): printed lines must not wait in a buffer for a flush that
    # never comes.
    for f in (sys.stdout, sys.stderr):
        try:
            f.reconfigure(line_buffering=True)  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


# ---------------------------------------------------------------- a study


class Study:
    """What a sweep found: every committed evaluation and the best one.

    best_params, best_value, best_metrics  the best successful evaluation
    trials      one dict a committed evaluation, in seq order: seq, the
                parameters, status, value, the metrics, detail (the signal
                of a crash, the code of an exit), attempts, worker,
                elapsed_s, message (why it failed, or None); worker and
                elapsed_s say how it ran, the rest is the same for any
                n_jobs
    counts      {status: n}: ok, error, crash, timeout, exit, killed, oom...
    n_trials, wall_s, replayed (evaluations a resume took from its store),
    n_enqueued (trials 0 .. n_enqueued-1 were the points of enqueue=),
    stats (the engine's counters: retries, deaths, timeouts, restarts...),
    space, algo, maximize, db; to_pandas() for a DataFrame; best_by(name)
    for the best trial per value of a parameter (per security).
    With objectives=: pareto_front (the trials no other dominates, by the
    first objective, best first: seq, params, value, metrics, objectives),
    hypervolume and hv_reference (None with one objective)."""

    def __init__(self, core: Any):
        info = core.info()
        summary = core.summary()
        self._core = core  # holds the rows, in C, until columns are asked for
        self._columns: Optional[Dict[str, list]] = None
        self.space = Space.from_specs(info["specs"])
        self.algo: str = info["algo"]
        self.maximize: bool = not info["minimize"]
        self.window: int = info["window"]
        self.n_jobs: int = info["workers"]
        self.db: Optional[str] = info["store"]
        self.objective_name: str = info["label"]
        self.metric_names: List[str] = list(info["metrics"])
        self.n_enqueued: int = info["enqueued"]
        self.counts: Dict[str, int] = summary.pop("counts")
        self.n_trials: int = summary.pop("committed")
        self.replayed: int = summary.pop("replayed")
        self.wall_s: float = summary.pop("wall_s")
        self.stats: Dict[str, int] = summary
        best = core.best()
        self.best_trial: Optional[Dict[str, Any]] = best
        front, hv, ref = core.pareto()
        self.pareto_front: List[Dict[str, Any]] = front
        self.hypervolume: Optional[float] = hv
        self.hv_reference: Optional[Tuple[float, ...]] = ref
        self._trials: Optional[List[Dict[str, Any]]] = None

    @property
    def best_params(self) -> Optional[Dict[str, Any]]:
        return dict(self.best_trial["params"]) if self.best_trial else None

    @property
    def best_value(self) -> Optional[float]:
        return self.best_trial["value"] if self.best_trial else None

    @property
    def best_metrics(self) -> Optional[Dict[str, float]]:
        return dict(self.best_trial["metrics"]) if self.best_trial else None

    @property
    def columns(self) -> Dict[str, list]:
        """The trials as columns: {name: [value of each trial]}."""
        if self._columns is None:
            self._columns = self._core.columns()
        return self._columns

    @property
    def trials(self) -> List[Dict[str, Any]]:
        if self._trials is None:
            names = list(self.columns)
            cols = [self.columns[n] for n in names]
            self._trials = [dict(zip(names, row)) for row in zip(*cols)]
        return self._trials

    def best_by(self, name: str) -> Dict[Any, Dict[str, Any]]:
        """The consolidated table over parameter `name` (a security, a
        regime): {its value: the best successful trial with it}, in the
        order the values first appear; ties go to the earliest trial."""
        if name not in self.space.names:
            raise ValueError(f"{name!r} is not a parameter of this study "
                             f"({', '.join(self.space.names)})")
        best: Dict[Any, Dict[str, Any]] = {}
        for t in self.trials:
            key, v = t[name], t["value"]
            if t["status"] != "ok" or v is None or v != v:
                continue
            held = best.get(key)
            if held is None or (v > held["value"] if self.maximize else v < held["value"]):
                best[key] = t
        order = {}
        for t in self.trials:
            order.setdefault(t[name], len(order))
        return dict(sorted(best.items(), key=lambda kv: order[kv[0]]))

    def to_pandas(self) -> Any:
        """The trials as a pandas DataFrame (pandas must be installed)."""
        import pandas  # noqa: PLC0415 - optional, and only when asked

        return pandas.DataFrame(self.columns)

    def __repr__(self) -> str:
        best = f"best {self.best_value!r} at {self.best_params!r}" if self.best_trial \
            else "nothing succeeded"
        return f"<ringsweep.Study {self.algo}, {self.n_trials} trials {self.counts}, {best}>"


def _finish(core: Any, mode: int, interrupted_hint: str,
            unstarted: Optional[Callable[[], None]] = None) -> Study:
    """Starts, runs and closes a sweep; the Study, or the exception
    (`unstarted` is called when it fails before the sweep starts)."""
    try:
        _before_start(core)
    except BaseException:
        if unstarted is not None:
            unstarted()
        raise
    # The objects alive now are the workers' too: frozen, the collector
    # never writes to them, so their pages stay shared.
    gc.freeze()
    try:
        core.start()
    finally:
        gc.unfreeze()
    return _run_and_close(core, mode, interrupted_hint)


def _before_start(core: Any) -> None:
    info = core.info()
    if info["workers"] > 0:
        others = [t.name for t in threading.enumerate()
                  if t is not threading.current_thread() and t.is_alive()]
        if others:
            warnings.warn(
                f"ringsweep forks its workers from this process, which runs other "
                f"threads ({', '.join(others[:3])}{'...' if len(others) > 3 else ''}): "
                f"a worker gets only the calling thread, and a lock another thread "
                f"held at the fork stays held in it.  Start threads after the sweep, "
                f"or use serial=True.", RuntimeWarning, stacklevel=3)
    # What waits in a buffer now would be printed again by every worker.
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except (AttributeError, ValueError, OSError):
            pass


def _run_and_close(core: Any, mode: int, interrupted_hint: str) -> Study:
    handle_sigint = threading.current_thread() is threading.main_thread()
    try:
        rc, message, interrupted = core.run(mode, handle_sigint)
    except BaseException:
        core.close()  # a callable constraint raised: keep what was committed
        raise
    study = Study(core)
    try:
        core.close()
    except StoreError as e:
        # The last writes failed: what the run had to say comes first.
        e.study = study  # type: ignore[attr-defined]
        if rc == 0 and not interrupted:
            raise
        message = f"{message}; and {e}" if message else str(e)
    if interrupted:
        raise KeyboardInterrupt(interrupted_hint)
    if rc == 0:
        return study
    if rc == _core.ETASKFAILED:
        err: Exception = TaskFailed(message)
    elif rc == _core.ESTORE:
        err = StoreError(message)
    elif rc == _core.EREPLAY:
        err = ValueError(message)
    elif rc == _core.EALLFAILED and not any(t["status"] not in ("infeasible", "pruned")
                                           for t in study.trials):
        err = SweepError(message)
    elif rc == _core.EALLFAILED:
        first = next((t["message"] for t in study.trials if t["message"]), None)
        err = SweepError(f"every evaluation failed"
                         f"{'; the first: ' + first if first else ''}")
    else:
        err = SweepError(message)
    err.study = study  # type: ignore[attr-defined]
    raise err


_mpi_started = False


def _mpi_start() -> int:
    """Starts MPI once (finalised at exit); returns this process's rank."""
    global _mpi_started
    if not _core.HAVE_MPI:
        raise ValueError("backend='mpi': this build of ringsweep has no MPI support "
                         "(build it where Open MPI is installed: libopenmpi-dev)")
    rank, _ = _core.mpi_init()
    if not _mpi_started:
        import atexit
        atexit.register(_core.mpi_finalize)
        _mpi_started = True
    return rank


def mpi_rank() -> int:
    """This process's MPI rank (starting MPI if need be): 0 drives a
    backend="mpi" sweep and gets its Study; the others evaluate."""
    return _mpi_start()


def sweep(objective: Callable[..., Any], space: Union[Space, Mapping[str, Any]], *,
          algo: str = "grid", n_evals: Optional[int] = None, seed: int = 0,
          maximize: bool = False, metrics: Sequence[str] = (),
          n_jobs: int = -1, serial: bool = False,
          timeout: Optional[float] = None, retries: int = 0,
          retry_errors: bool = False, on_error: str = "skip",
          max_mem: Union[int, str, None] = None, soft_mem: Union[int, str, None] = None,
          recycle_after: Optional[int] = None, pin: bool = False, nice: int = 0,
          idle: str = "adaptive", window: Optional[int] = None,
          max_batch: Optional[int] = None, halt: Optional[str] = None,
          population: Optional[int] = None,
          generations: Optional[int] = None, init: Optional[int] = None,
          db: Optional[str] = None, results_csv: Optional[str] = None,
          progress: Union[bool, str, None] = None, keep_trials: bool = True,
          pass_dict: bool = False, backend: str = "local",
          mpi_driver_workers: int = 0,
          constraints: Union[str, Callable[..., Any], Sequence[Any], None] = None,
          objectives: Optional[Mapping[str, str]] = None,
          hv_ref: Optional[Sequence[float]] = None,
          prune: Optional[str] = None,
          enqueue: Any = None
          ) -> Optional[Study]:
    """Sweeps objective over space; returns the Study.

    objective   called as objective(**params) (objective(params) with
                pass_dict=True) in a worker process; returns a number, or a
                dict with "value" and the metrics named in `metrics`;
                raising fails that evaluation (its text is kept);
                raising ringsweep.Infeasible marks the point infeasible
                (not a failure, never retried)
    space       a Space, or a dict Space() accepts
    constraints only points that satisfy them are evaluated: expressions
                over the parameters ("fast < slow", "a + b <= 10 and not
                c == 2"; a category is its index) and callables, called in
                this process as the objective is, true when feasible; grid
                skips the others, the other algorithms never propose
                them.  ValueError when no point satisfies them.
    objectives  several objectives at once, {name: "max" or "min"} in
                order (2 to 4; "value" or a name in metrics): genetic runs
                NSGA-II, bayes ParEGO (cmaes refuses them); the Study then
                has pareto_front and hypervolume
    prune       stop evaluations that fall behind, from the values they
                report (ringsweep.report_step(step, value), or a `report`
                parameter of the objective): "median" (Optuna's
                MedianPruner: "median,startup=5,warmup=0") or "asha"
                (successive halving: "asha,min=1,eta=4"); "steps=N" says
                how many values each evaluation reports (required here:
                "median,steps=20").  Status pruned, not a failure; the
                same results for any n_jobs (decided only from earlier
                results, window apart)
    hv_ref      the hypervolume's reference point, one number per
                objective in its own units (default: the worst of each)
    algo        grid (every point; each parameter needs a step), random,
                bayes, genetic, cmaes (see ringsweep.algorithms())
    enqueue     points to evaluate first (a warm start: an earlier study's
                best, hand-picked ones): a list of {name: value} (a
                category by its label; other keys ignored, so
                Study.trials or a DataFrame of an export work), a
                DataFrame, or a CSV/JSON file; trials 0 .. len-1, then
                the algorithm's n_evals, which learns from them (bayes:
                observations; genetic: its first population; cmaes: its
                first mean).  Recorded in db: resume needs them not.
                ValueError naming a point outside the space
    n_evals     evaluations in all (random, bayes, cmaes need it; genetic
                may take it instead of generations)
    seed        the algorithm's seed: same seed, same trials
    maximize    higher is better (default: lower)
    metrics     names of the extra numbers the objective returns
    n_jobs      worker processes: N, -1 all CPUs, -2 all but one...
    serial      evaluate in this process instead (no isolation)
    timeout     seconds an evaluation may take before it is killed
    retries     attempts after a crash, exit, kill, timeout or oom
    retry_errors  retry the objective's own exceptions too
    on_error    "skip" (keep going) or "fail" (stop at the first
                evaluation that failed for good: TaskFailed)
    max_mem     hard limit on the memory a worker may add ("512M"): an
                allocation past it fails (MemoryError: an oom result)
    soft_mem    replace a worker, between tasks, once it holds this much
    recycle_after  replace a worker after this many evaluations
    pin, nice   pin worker i to CPU i; lower the workers' priority
    idle        "adaptive" (default: spin while tasks come within ~1 ms),
                "sleep" or "spin" (lowest latency, burns CPU)
    window      results an adaptive algorithm may run ahead of (default:
                the algorithm's own)
    max_batch   tasks a worker may take at once (default 64)
    halt        stop when too many tasks fail for good, as GNU parallel's
                --halt: "soon,fail=5" (running tasks finish), "now,fail=5"
                or "soon,fail=10%"; SweepError then, with .study (and db
                resumable)
    population, generations  genetic and cmaes; init: bayes's first points
    db          a new SQLite file for every evaluation (resume(db, ...))
    results_csv every evaluation as CSV, renamed into place when the sweep
                finishes (one that fails or is interrupted leaves
                PATH.partial)
    progress    None: a live line on stderr when it is a terminal; True:
                always (plain lines when not a terminal); False: never
    keep_trials keep every evaluation in memory for Study.trials
    pass_dict   call objective(params) with one dict
    backend     "local" (default), or "mpi" under `mpirun -np N python3
                job.py`: rank 0 drives and returns the Study, every other
                rank evaluates with n_jobs workers on its machine and
                returns None; the same results as a local sweep
    mpi_driver_workers  backend="mpi": workers on rank 0 too

    Ctrl-C drains (running evaluations finish and are committed) and
    raises KeyboardInterrupt; a second one stops at once.  Bad arguments
    raise ValueError or TypeError naming them, before anything starts.
    """
    if not callable(objective):
        raise TypeError(f"objective must be callable, not {type(objective).__name__}")
    space = _space_of(space)
    if isinstance(metrics, str):
        metrics = [metrics]
    metrics = tuple(metrics)
    for m in metrics:
        if not isinstance(m, str):
            raise TypeError(f"metric names are str, not {type(m).__name__}")
    _check_names(space, metrics)
    if not isinstance(algo, str):
        raise TypeError(f"algo must be a name (str), not {type(algo).__name__}")
    if timeout is not None:
        _number(timeout, "timeout")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, not {timeout!r}")
    mode = _progress_mode(progress)
    options = _exec_options(n_jobs, serial, idle, pin, nice, recycle_after, soft_mem,
                            max_batch, halt)
    options.update({
        "seed": _count(seed, "seed", 0),
        "evals": _count(n_evals, "n_evals"),
        "population": _count(population, "population", 2),
        "generations": _count(generations, "generations"),
        "init": _count(init, "init"),
        "minimize": 0 if maximize else 1,
        "window": _count(window, "window"),
        "timeout": float(timeout) if timeout is not None else None,
        "attempts": (_count(retries, "retries", 0, optional=False) or 0) + 1,
        "retry_errors": int(bool(retry_errors)),
        "on_error": _choose(on_error, "on_error", ("skip", "fail")),
        "max_mem": _bytes(max_mem, "max_mem"),
    })
    options.update(_constraints(constraints))
    options.update(_objectives(objectives, hv_ref))
    if prune is not None:
        if not isinstance(prune, str):
            raise TypeError(f"prune must be a str ('median', 'asha,eta=3', ...), "
                            f"not {type(prune).__name__}")
        options["prune"] = prune
    options["enqueue"] = _enqueue(enqueue)
    backend = _choose(backend, "backend", ("local", "mpi"))
    if backend == 1 and not serial and isinstance(n_jobs, int) and n_jobs < 0:
        # mpirun may bind this rank to one core; its workers get the whole
        # machine (the engine widens the binding), so count the machine's.
        options["workers"] = max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    if backend == 1:
        if _mpi_start() != 0:
            # An agent: rank 0 reports, and holds the Study.
            _core.serve_mpi(space.specs(), objective, _label(objective), metrics, options,
                            as_dict=pass_dict, on_worker_start=_worker_started)
            return None
    try:
        if backend == 1:
            options["mpi_driver_workers"] = _count(mpi_driver_workers,
                                                   "mpi_driver_workers", 0, optional=False)
        core = _in_python_words(_core.open_sweep, space.specs(),
                                _with_report(objective, space.names, pass_dict),
                                _label(objective), metrics, algo, options, db, results_csv,
                                as_dict=pass_dict, on_worker_start=_worker_started,
                                keep_rows=keep_trials)
    except BaseException:
        # The agents wait for this sweep: it will not come.
        if backend == 1:
            _core.mpi_release()
        raise
    hint = f"interrupted; continue with ringsweep.resume({db!r}, ...)" if db else \
        "interrupted"
    return _finish(core, mode, hint, _core.mpi_release if backend == 1 else None)


def resume(db: str, objective: Callable[..., Any], *, n_jobs: int = -1,
           serial: bool = False, idle: str = "adaptive", pin: bool = False, nice: int = 0,
           recycle_after: Optional[int] = None, soft_mem: Union[int, str, None] = None,
           max_batch: Optional[int] = None, results_csv: Optional[str] = None,
           progress: Union[bool, str, None] = None, keep_trials: bool = True,
           pass_dict: bool = False, halt: Optional[str] = None,
           constraints: Union[Callable[..., Any], Sequence[Any], None] = None,
           n_evals: Optional[int] = None, generations: Optional[int] = None,
           hv_ref: Optional[Sequence[float]] = None) -> Study:
    """Continues the sweep stored in db with the same objective, from any
    directory, after a crash, a SIGKILL or Ctrl-C: what the store holds is
    replayed, the rest evaluated, and the Study is that of an uninterrupted
    run.  Everything that defines the sweep comes from the store; only how
    it runs (n_jobs, serial, idle, pin, nice, recycle_after, soft_mem,
    max_batch, results_csv, progress, halt) may change; a sweep that had a
    callable constraint needs it again (constraints=fn): the store keeps
    its expressions, not its code.  n_evals (genetic: generations) raises
    the budget and extends the study, a finished one too: the Study is that
    of one run with the larger budget.  A store made by another
    objective (by name), one still being written, or one whose rows are
    not this sweep's is refused with ValueError."""
    if not callable(objective):
        raise TypeError(f"objective must be callable, not {type(objective).__name__}")
    if not isinstance(db, (str, os.PathLike)):
        raise TypeError(f"db must be a path, not {type(db).__name__}")
    mode = _progress_mode(progress)
    options = _exec_options(n_jobs, serial, idle, pin, nice, recycle_after, soft_mem,
                            max_batch, halt)
    options.update(_constraints(constraints))
    options.update(_objectives(None, hv_ref))
    options["evals"] = _count(n_evals, "n_evals")
    options["generations"] = _count(generations, "generations")
    # A space parameter named report would have been passed as such.
    core = _in_python_words(_core.resume_sweep, os.fspath(db),
                            _with_report(objective, (), pass_dict), options, results_csv,
                              as_dict=pass_dict, on_worker_start=_worker_started,
                              keep_rows=keep_trials)
    recorded = core.info()["label"]
    if recorded != _label(objective):
        core.close()
        raise ValueError(f"'{os.fspath(db)}' is a sweep of {recorded}, not of "
                         f"{_label(objective)}: resume it with the same function")
    return _finish(core, mode, f"interrupted; continue with ringsweep.resume({db!r}, ...)")


class Task(NamedTuple):
    """The evaluation in progress: its seq (its row in the trial table, the
    same for any n_jobs and after a resume), its attempt (1 first, 2 on a
    retry...) and the worker slot running it (-1 when serial)."""
    seq: int
    attempt: int
    worker: int


def report_step(step: int, value: float) -> bool:
    """Reports the objective's value after step `step` (0, 1, ...: a year
    of a walk-forward backtest, an epoch); True when the sweep's pruner
    says this evaluation is behind and should stop: return (or raise
    ringsweep.Pruned) and it is recorded as pruned, its value the last one
    reported.  Without prune= nothing listens: it returns False.  An
    objective with a parameter named `report` is given this function
    (ringsweep.report, without _step, writes a study's HTML report)."""
    return _core.report_step(step, value)


def _with_report(objective: Callable[..., Any], names: Sequence[str],
                 pass_dict: bool) -> Callable[..., Any]:
    """objective, given report= when it has a parameter of that name (and
    the space, whose names are given, none)."""
    try:
        params = inspect.signature(objective).parameters
    except (TypeError, ValueError):  # a builtin or C function: no signature
        return objective
    if "report" not in params or "report" in names:
        return objective
    if pass_dict:
        return lambda p: objective(p, report=report_step)
    return lambda **kw: objective(**kw, report=report_step)


def task() -> Task:
    """The evaluation the objective is running (call it from the objective:
    RuntimeError elsewhere).  For logs named by trial, and for objectives
    that must know a retry from a first attempt."""
    return Task(*_core.task())


def report(db: Union[str, "os.PathLike[str]"], path: Union[str, "os.PathLike[str]"],
           x: Optional[str] = None, y: Optional[str] = None, *,
           best_by: Optional[str] = None, bins: Optional[int] = None) -> str:
    """Writes the results store db (a finished sweep's, or one still
    running: it is read as one snapshot) as one self-contained HTML page at
    path, and returns path: the study, the best value against evaluations,
    a heatmap of the value over parameters x and y (default: the first two
    numeric ones; each cell the best over the others, binned past `bins`
    cells an axis, 50 by default), the value against each parameter, the
    best row per value of best_by (default: the first categorical
    parameter), counts by status and per-worker statistics.  Plots are
    inline SVG; the data is embedded as JSON (the element with id
    "rsw-report-data").  The page is written whole or not at all.  A
    missing store raises FileNotFoundError; a foreign one, or a name that
    is no parameter, ValueError naming it."""
    for name, v in (("x", x), ("y", y), ("best_by", best_by)):
        if v is not None and not isinstance(v, str):
            raise TypeError(f"{name} must be a parameter's name, not {v!r}")
    db, path = os.fspath(db), os.fspath(path)
    if not os.path.exists(db):
        raise FileNotFoundError(errno.ENOENT, "no such results store", db)
    _in_python_words(_core.report, db, path, x=x, y=y, best_by=best_by,
                     bins=_count(bins, "bins") or 0)
    return path


def algorithms() -> Dict[str, str]:
    """{name: what it does} of every search algorithm."""
    return _core.algorithms()


# ----------------------------------------------------------------- ask/tell


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(a[k] == b[k] for k in a)


class Optimizer:
    """Ask/tell with the library's algorithms, for a loop of your own:

        opt = Optimizer(space, "bayes", n_evals=50, seed=1)
        while not opt.is_complete():
            params = opt.suggest()
            if params is None:          # it waits for results told
                ...                     # (a generation's end): tell them
            opt.update(params, evaluate(**params))

    The SearchAlgorithm interface (suggest/update/is_complete).  Results
    may be told in any order; they are applied in the order of the
    suggestions, so a seeded loop is deterministic.  update(params, None)
    (or a NaN) tells a failed evaluation.  enqueue= (as sweep's): those
    points are suggested first, and the algorithm's own suggestions wait
    (None) until their results are told."""

    def __init__(self, space: Union[Space, Mapping[str, Any]], algo: str = "random", *,
                 n_evals: Optional[int] = None, seed: int = 0, maximize: bool = False,
                 population: Optional[int] = None, generations: Optional[int] = None,
                 init: Optional[int] = None,
                 constraints: Union[str, Callable[..., Any], Sequence[Any], None] = None,
                 enqueue: Any = None):
        self.space = _space_of(space)
        self.algo = algo
        self.maximize = maximize
        self._options = {
            "seed": _count(seed, "seed", 0), "evals": _count(n_evals, "n_evals"),
            "population": _count(population, "population", 2),
            "generations": _count(generations, "generations"),
            "init": _count(init, "init"), "minimize": 0 if maximize else 1,
        }
        self._options.update(_constraints(constraints))
        self._algo = _in_python_words(_core.Algorithm, self.space.specs(), algo,
                                      dict(self._options, enqueue=_enqueue(enqueue)))
        self._next = 0
        self._ahead: Optional[Any] = None    # suggestion _next, asked already
        self._pending: Dict[int, Any] = {}  # seq -> (raw, params)
        self._told: Dict[int, Any] = {}     # seq -> (ok, value)
        self._applied = 0
        self._done = False

    def _ask(self) -> Optional[Any]:
        # Suggestion _next, asked once: is_complete() may need to know
        # whether there is one before suggest() hands it out.
        if self._ahead is None and not self._done:
            if self._algo.is_complete():
                self._done = True
                return None
            answer, raw, params = self._algo.suggest(self._next)
            if answer == "done":
                self._done = True
            elif answer == "ok":
                self._ahead = (raw, params)
        return self._ahead

    def suggest(self) -> Optional[Dict[str, Any]]:
        """The next parameters, or None: nothing more (is_complete()), or
        nothing until more results are told."""
        got = self._ask()
        if got is None:
            return None
        self._ahead = None
        self._pending[self._next] = got
        self._next += 1
        return dict(got[1])

    def update(self, params: Mapping[str, Any], value: Optional[float]) -> None:
        """Tells the result of suggested params (None or NaN: it failed)."""
        seq = next((k for k in sorted(self._pending)
                    if k not in self._told and _same(self._pending[k][1], params)), None)
        if seq is None:
            raise ValueError(f"{dict(params)!r} was not suggested, or was told already")
        v = math.nan if value is None else float(value)
        self._told[seq] = (not math.isnan(v), v)
        while self._applied in self._told:
            k = self._applied
            ok, v = self._told[k]
            self._algo.update(k, self._pending[k][0], ok, v)
            # Forgotten once applied: were update to raise, the result
            # would still be there to apply.
            del self._told[k], self._pending[k]
            self._applied += 1

    def is_complete(self) -> bool:
        """True once it will suggest nothing more and every result is in."""
        return not self._pending and self._ask() is None and self._done

    @property
    def best_params(self) -> Optional[Dict[str, Any]]:
        best = self._algo.best()
        return dict(best[2]) if best else None

    @property
    def best_value(self) -> Optional[float]:
        best = self._algo.best()
        return best[1] if best else None


class ParallelOptimizer:
    """For code written as ParallelOptimizer(objective_function,
    parameter_space, algorithm, n_iterations, n_jobs).optimize():
    objective_function(params) -> score, params a dict; the evaluations
    run in ringsweep's workers.  algorithm is a name (or an Optimizer,
    whose algorithm and options are used); other keyword arguments go to
    ringsweep.sweep.  optimize() returns the Study (best_params,
    best_value, trials)."""

    def __init__(self, objective_function: Callable[[Dict[str, Any]], Any],
                 parameter_space: Union[Space, Mapping[str, Any]],
                 algorithm: Union[str, Optimizer] = "random", n_iterations: int = 100,
                 n_jobs: int = -1, **options: Any):
        self.objective_function = objective_function
        self.parameter_space = _space_of(parameter_space)
        self.n_iterations = n_iterations
        self.n_jobs = n_jobs
        self.options = dict(options)
        if isinstance(algorithm, Optimizer):
            self.algorithm = algorithm.algo
            o = algorithm._options
            self.options.setdefault("seed", o["seed"])
            self.options.setdefault("maximize", not o["minimize"])
            for key in ("population", "generations", "init"):
                if o[key] is not None:
                    self.options.setdefault(key, o[key])
        else:
            self.algorithm = algorithm
        self.study: Optional[Study] = None

    def optimize(self) -> Study:
        n_evals = None if self.algorithm == "grid" else self.n_iterations
        self.study = sweep(self.objective_function, self.parameter_space,
                           algo=self.algorithm, n_evals=n_evals, n_jobs=self.n_jobs,
                           pass_dict=True, **self.options)
        return self.study
