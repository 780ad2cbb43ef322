"""tests/python/test_fork.py - the workers are forks of this interpreter:
what that promises (os.register_at_fork hooks run in them, the driver
releases the GIL while it waits) and what it warns about (threads of the
caller's do not exist in them)."""
import os
import signal
import threading
import time

import pytest

import ringsweep as rs

CHILD_HOOK_RAN = False


def _in_child():
    global CHILD_HOOK_RAN
    CHILD_HOOK_RAN = True


os.register_at_fork(after_in_child=_in_child)


def hook_seen(x):
    # The worker says whether its after-fork hook ran, and which process
    # it is: never the driver.
    return {"value": x, "hook": float(CHILD_HOOK_RAN), "pid": float(os.getpid())}


def test_at_fork_hooks_run_in_every_worker():
    study = rs.sweep(hook_seen, rs.Space(x=rs.Int(0, 49)), n_jobs=2, metrics=["hook", "pid"])
    assert {t["hook"] for t in study.trials} == {1.0}
    assert os.getpid() not in {int(t["pid"]) for t in study.trials}
    assert not CHILD_HOOK_RAN, "the driver is no fork"


def naps(x):
    time.sleep(0.02)
    return x


def test_a_thread_of_the_callers_is_warned_about_and_runs_while_the_sweep_waits():
    stop = threading.Event()
    ticks = []

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    t = threading.Thread(target=tick, name="ticker")
    t.start()
    try:
        with pytest.warns(RuntimeWarning, match=r"runs other threads \(ticker\)"):
            study = rs.sweep(naps, rs.Space(x=rs.Int(0, 39)), n_jobs=2)
        during = [x for x in ticks if x > time.monotonic() - study.wall_s]
    finally:
        stop.set()
        t.join()
    assert study.counts == {"ok": 40}
    # 40 naps of 20 ms on 2 workers: ~0.4 s in which the ticker, which
    # needs the GIL, kept ticking -- the driver held it not.
    assert len(during) >= 10, len(during)


def test_serial_needs_no_warning():
    stop = threading.Event()
    t = threading.Thread(target=stop.wait, name="waiter")
    t.start()
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            rs.sweep(naps, rs.Space(x=rs.Int(0, 3)), serial=True)
    finally:
        stop.set()
        t.join()


NESTED = """
import sys, time
import ringsweep as rs

def inner(y):
    return y

def outer(x):
    rs.sweep(inner, rs.Space(y=rs.Int(0, 2)), serial=True)   # a sweep of its own
    assert rs.task().seq == x, "task() is the outer one's again"
    if x == 2:
        print("inner sweeps done; a long objective starts", flush=True)
        time.sleep(3600)
    return x

try:
    rs.sweep(outer, rs.Space(x=rs.Int(0, 5)), serial=True)
except KeyboardInterrupt as e:
    print("interrupted:", e, flush=True)
    sys.exit(130)
"""


def sigint_pending(pid):
    with open(f"/proc/{pid}/status") as f:
        masks = [int(line.split()[1], 16) for line in f
                 if line.startswith(("SigPnd:", "ShdPnd:"))]
    return any(m & (1 << (signal.SIGINT - 1)) for m in masks)


def test_ctrl_c_after_a_nested_serial_sweep_and_twice_into_a_long_objective(tmp_path):
    from conftest import script, start, wait_for

    job = start(script(tmp_path, NESTED))
    line = job.stdout.readline()
    assert line == "inner sweeps done; a long objective starts\n", \
        (line, job.stderr.read() if job.poll() else "")
    # The first Ctrl-C drains: the hour-long objective running would be
    # waited for; the second interrupts it at once.
    os.kill(job.pid, signal.SIGINT)
    # Two signals pending at once are one: the second is sent once the
    # first was delivered.
    wait_for(lambda: not sigint_pending(job.pid), "the first SIGINT delivered")
    os.kill(job.pid, signal.SIGINT)
    out, err = job.communicate(timeout=60)  # a hang guard: the objective takes an hour
    assert job.returncode == 130, (job.returncode, err)
    assert "interrupted: interrupted" in out
