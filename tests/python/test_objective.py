"""tests/python/test_objective.py - what the objective may return and how
it may fail, through real forked workers: numbers, metric dicts, contract
breaches named, exceptions with their text, a segfault in C code,
os._exit, a hang past the timeout, a memory blow-up past max_mem; and
every algorithm of the library on a Python objective."""
import ctypes
import math
import os
import platform
import subprocess
import sys
import time

import pytest

import ringsweep as rs
from conftest import script, table

SPACE = rs.Space(x=rs.Int(0, 11))


def with_metrics(x):
    return {"value": x * 0.5, "sharpe": x / 10, "trades": x * 3}


def test_metrics_come_back_by_name():
    study = rs.sweep(with_metrics, SPACE, metrics=["sharpe", "trades"], n_jobs=2,
                     maximize=True)
    assert study.counts == {"ok": 12}
    assert study.best_params == {"x": 11}
    assert study.best_value == 5.5
    assert study.best_metrics == {"sharpe": 1.1, "trades": 33.0}
    t = study.trials[4]
    assert (t["value"], t["sharpe"], t["trades"]) == (2.0, 0.4, 12.0)


def breaks_the_contract(x):
    if x == 1:
        return {"value": 1.0}                      # sharpe missing
    if x == 2:
        return {"value": 2.0, "sharpe": 1, "bogus": 3}
    if x == 3:
        return None
    if x == 4:
        return "7"
    if x == 5:
        return {"sharpe": 1.0}                     # no value
    return {"value": float(x), "sharpe": 0.0}


def test_a_broken_contract_fails_the_evaluation_and_says_how():
    study = rs.sweep(breaks_the_contract, rs.Space(x=rs.Int(0, 6)),
                     metrics=["sharpe"], n_jobs=2)
    said = {t["x"]: t["message"] for t in study.trials if t["status"] == "error"}
    assert said == {
        1: "the objective returned no 'sharpe', which metrics= declares",
        2: "the objective returned 'bogus', which metrics= does not declare",
        3: "the objective returned None: return a number, or a dict with 'value'",
        4: "the objective returned a str: return a number, or a dict with 'value'",
        5: "the objective returned a dict without 'value'",
    }
    assert study.counts == {"ok": 2, "error": 5}


def numpy_number(x):
    np = pytest.importorskip("numpy")
    return np.float64(x) * 2


def test_anything_float_accepts_is_a_number():
    study = rs.sweep(numpy_number, SPACE, n_jobs=2)
    assert [t["value"] for t in study.trials] == [2.0 * x for x in range(12)]


def raises(x):
    if x % 4 == 3:
        raise ValueError(f"fast >= slow at {x}")
    return x


def test_an_exception_is_a_failed_evaluation_with_its_text():
    study = rs.sweep(raises, SPACE, n_jobs=2, retries=2)
    failed = [t for t in study.trials if t["status"] == "error"]
    assert [t["x"] for t in failed] == [3, 7, 11]
    # Its own error is a result, not bad luck: not retried unless asked.
    assert all(t["attempts"] == 1 for t in failed)
    assert failed[0]["message"].startswith("ValueError: fast >= slow at 3 (test_objective.py:")
    assert math.isnan(failed[0]["value"])
    again = rs.sweep(raises, SPACE, n_jobs=2, retries=2, retry_errors=True)
    assert [t["attempts"] for t in again.trials if t["status"] == "error"] == [3, 3, 3]


def misbehaves(x):
    if x == 1:
        ctypes.string_at(0)                       # a segfault in C code
    if x == 2:
        os._exit(3)
    if x == 3:
        time.sleep(3600)
    return x


def test_crash_exit_and_hang_are_isolated_retried_and_named():
    start = time.monotonic()
    study = rs.sweep(misbehaves, rs.Space(x=rs.Int(0, 7)), n_jobs=2, timeout=0.5,
                     retries=1)
    status = {t["x"]: (t["status"], t["detail"], t["attempts"]) for t in study.trials}
    assert status[1] == ("crash", 11, 2)          # SIGSEGV, retried once
    assert status[2] == ("exit", 3, 2)
    assert status[3][0::2] == ("timeout", 2)
    assert [status[x][0] for x in (0, 4, 5, 6, 7)] == ["ok"] * 5
    assert study.stats["deaths"] == 6 and study.stats["timeouts"] == 2
    # Two 0.5 s deadlines at most: nothing waited for the hang.
    assert time.monotonic() - start < 30


def hogs(x):
    if x == 1:
        hog = []
        while True:                               # MemoryError at max_mem
            hog.append(bytearray(1 << 20))
    if x == 3:
        ctypes.string_at(0)
    return x


@pytest.mark.skipif(os.environ.get("RSW_SANITIZED") == "1",
                    reason="the sanitizers' shadow memory counts against RLIMIT_DATA")
def test_a_memory_blowup_past_max_mem_is_an_oom_and_the_worker_replaced():
    # One worker: the segfault at x=3 comes after the blow-up at x=1.  A
    # worker that reached its limit is replaced, so that crash is not
    # mistaken for one at the memory limit.
    study = rs.sweep(hogs, rs.Space(x=rs.Int(0, 5)), n_jobs=1, max_mem="128M", retries=1)
    status = {t["x"]: (t["status"], t["attempts"]) for t in study.trials}
    assert status == {0: ("ok", 1), 1: ("oom", 2), 2: ("ok", 1), 3: ("crash", 2),
                      4: ("ok", 1), 5: ("ok", 1)}
    assert study.trials[1]["message"].startswith("MemoryError")


# The driver forks with 64 MiB of its heap mapped but not resident (freed,
# then handed back by malloc_trim): reusing it, the worker's resident memory
# grows past what it inherited plus max_mem while its VmData, what
# RLIMIT_DATA counts, does not.  The allocation must still fail at the limit
# (a MemoryError, with its message), not the watch of resident memory kill.
INHERITED_HEAP = """
import ctypes
import ringsweep as rs

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
libc.mallopt(-3, 4 << 20)               # M_MMAP_THRESHOLD: 1 MiB from the heap
blocks = [libc.malloc(1 << 20) for _ in range(64)]
for b in blocks:
    ctypes.memset(b, 1, 1 << 20)
top = libc.malloc(3 << 20)              # above them: the heap cannot shrink
for b in blocks:
    libc.free(b)
libc.malloc_trim(0)                     # mapped still, resident no more


def hogs(x):
    hog = []
    while x == 1:
        hog.append(bytearray(1 << 20))
    return x


study = rs.sweep(hogs, rs.Space(x=rs.Int(0, 1)), n_jobs=1, max_mem="128M")
print(study.trials[1]["status"], study.trials[1]["message"])
"""


@pytest.mark.skipif(os.environ.get("RSW_SANITIZED") == "1",
                    reason="the sanitizers' shadow memory counts against RLIMIT_DATA")
@pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                    reason="mallopt and malloc_trim are glibc's")
def test_a_blowup_into_inherited_heap_still_fails_as_an_allocation(tmp_path):
    done = subprocess.run([sys.executable, str(script(tmp_path, INHERITED_HEAP))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("oom MemoryError"), done.stdout


def crashes_everywhere(x):
    ctypes.string_at(0)


def test_a_crash_loop_stops_the_sweep_with_a_clear_error():
    with pytest.raises(rs.SweepError) as e:
        rs.sweep(crashes_everywhere, rs.Space(x=rs.Int(0, 999)), n_jobs=2)
    assert "crash" in str(e.value)
    assert e.value.study.counts.get("crash", 0) >= 1


def always_raises(x):
    raise RuntimeError("nothing works")


def test_every_evaluation_failing_raises_with_the_first_reason():
    with pytest.raises(rs.SweepError, match="every evaluation failed; the first: "
                                            "RuntimeError: nothing works"):
        rs.sweep(always_raises, SPACE, n_jobs=2)


def test_on_error_fail_stops_at_the_first_failure():
    with pytest.raises(rs.TaskFailed, match="task 3") as e:
        rs.sweep(raises, SPACE, n_jobs=2, on_error="fail")
    assert [t["status"] for t in e.value.study.trials] == ["ok"] * 3 + ["error"]


def rosen(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@pytest.mark.parametrize("algo, kw", [
    ("grid", {}),
    ("random", dict(n_evals=120)),
    ("bayes", dict(n_evals=25)),
    ("genetic", dict(population=20, generations=6)),
    ("cmaes", dict(n_evals=120)),
])
def test_every_algorithm_runs_a_python_objective_the_same_at_any_n_jobs(algo, kw):
    space = rs.Space(x=rs.Float(-2, 2, step=0.25), y=rs.Float(-1, 3, step=0.25))
    one = rs.sweep(rosen, space, algo=algo, seed=5, n_jobs=1, **kw)
    two = rs.sweep(rosen, space, algo=algo, seed=5, n_jobs=2, **kw)
    assert one.counts == {"ok": one.n_trials} and one.n_trials > 20
    assert table(one) == table(two)
    assert one.best_value == min(t["value"] for t in one.trials)
    if algo == "grid":
        assert one.best_params == {"x": 1.0, "y": 1.0}


def odd_ones_fail(x):
    if x % 2:
        raise ValueError("odd")
    return x


def test_halt_stops_a_sweep_whose_tasks_keep_failing_and_it_resumes(tmp_path):
    db = str(tmp_path / "h.db")
    with pytest.raises(rs.SweepError) as e:
        rs.sweep(odd_ones_fail, rs.Space(x=rs.Int(0, 199)), n_jobs=2,
                 halt="now,fail=3", db=db, progress=False)
    assert "halted (now) at task 5" in str(e.value)
    # Commits are in sequence order, and nothing after the third failure.
    assert [t["x"] for t in e.value.study.trials] == [0, 1, 2, 3, 4, 5]
    study = rs.resume(db, odd_ones_fail, n_jobs=2, progress=False)
    assert len(study.trials) == 200
    with pytest.raises(ValueError, match="halt 'sometimes'"):
        rs.sweep(odd_ones_fail, rs.Space(x=rs.Int(0, 9)), halt="sometimes")


def signed_by_group(x, g):
    return x if g == "up" else -x


def test_best_by_is_the_best_trial_of_each_value_of_a_parameter():
    study = rs.sweep(signed_by_group, rs.Space(x=rs.Int(0, 9), g=rs.Cat(["up", "down"])),
                     maximize=True, n_jobs=2, progress=False)
    best = study.best_by("g")
    assert list(best) == ["up", "down"]            # in the order they first appear
    assert (best["up"]["x"], best["up"]["value"]) == (9, 9)
    assert (best["down"]["x"], best["down"]["value"]) == (0, 0)
    with pytest.raises(ValueError, match="'h' is not a parameter"):
        study.best_by("h")
