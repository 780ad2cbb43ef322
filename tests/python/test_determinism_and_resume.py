"""tests/python/test_determinism_and_resume.py - the same trial table for
any n_jobs and serially, with crashes and retries; a sweep whose driving
interpreter is SIGKILLed, resumed to the uninterrupted result; Ctrl-C
draining into a consistent store; nothing left behind by any of them."""
import ctypes
import os
import signal
import sys

import pytest

import ringsweep as rs
from conftest import (arenas, outcome, rows, script, session_members, start, table,
                      wait_for, wait_gone)

def flaky(x, y):
    """Fails the first attempt of every seventh task -- a segfault in a
    worker, an exception when serial (a segfault would take this process)
    -- and succeeds on the retry: the table must not show which."""
    t = rs.task()
    if t.seq % 7 == 3 and t.attempt == 1:
        if t.worker >= 0:
            ctypes.string_at(0)
        raise RuntimeError("first attempt")
    return (x - 12) ** 2 + abs(y) * 0.5


def raise_once(x, y):
    if x % 7 == 3:
        raise ValueError(f"no {x}")
    return (x - 12) ** 2 + abs(y) * 0.5


SPACE = rs.Space(x=rs.Int(0, 40), y=rs.Float(-2, 2, step=0.5))


@pytest.mark.parametrize("algo, kw", [("grid", {}), ("random", dict(n_evals=300)),
                                      ("bayes", dict(n_evals=30)),
                                      ("genetic", dict(population=24, generations=5)),
                                      ("cmaes", dict(n_evals=150))])
def test_the_same_table_serially_and_at_1_2_and_7_jobs_with_crashes_and_retries(algo, kw):
    tables = []
    for n_jobs in (0, 1, 2, 7):
        study = rs.sweep(flaky, SPACE, algo=algo, seed=11, n_jobs=n_jobs or 1,
                         serial=n_jobs == 0, retries=1, retry_errors=True, **kw)
        retried = [t for t in study.trials if t["seq"] % 7 == 3]
        assert retried and all(t["attempts"] == 2 for t in retried)
        assert study.counts == {"ok": study.n_trials}
        assert study.stats["deaths"] == (0 if n_jobs == 0 else len(retried))
        tables.append(table(study))
    assert tables[0] == tables[1] == tables[2] == tables[3]


def test_errors_are_results_serially_and_in_workers_alike():
    serial = rs.sweep(raise_once, SPACE, algo="random", n_evals=200, seed=2, serial=True)
    forked = rs.sweep(raise_once, SPACE, algo="random", n_evals=200, seed=2, n_jobs=2)
    assert serial.counts["error"] > 0
    assert table(serial) == table(forked)
    assert serial.n_jobs == 0 and forked.n_jobs == 2


def tells_its_task(x):
    t = rs.task()
    return {"value": x, "told_seq": t.seq, "told_attempt": t.attempt}


def test_task_tells_the_objective_its_seq_and_attempt():
    study = rs.sweep(tells_its_task, rs.Space(x=rs.Int(0, 99)), n_jobs=2,
                     metrics=["told_seq", "told_attempt"])
    assert [t["told_seq"] for t in study.trials] == list(range(100))
    assert {t["told_attempt"] for t in study.trials} == {1.0}
    with pytest.raises(RuntimeError, match="for the objective"):
        rs.task()


JOB = """
import sys, time
import ringsweep as rs

def slow(x, y):
    time.sleep(0.05)
    return (x - 12) ** 2 + abs(y) * 0.5

if __name__ == "__main__":
    try:
        rs.sweep(slow, rs.Space(x=rs.Int(0, 40), y=rs.Float(-2, 2, step=0.5)),
                 algo="bayes", n_evals=60, seed=4, n_jobs=2, db=sys.argv[1])
    except KeyboardInterrupt as e:
        print("interrupted:", e)
        sys.exit(130)
"""


def slow(x, y):
    # The same function as the script's: a resume names it __main__.slow.
    return (x - 12) ** 2 + abs(y) * 0.5


slow.__module__ = "__main__"


def test_a_sigkilled_driver_resumes_to_the_uninterrupted_study(tmp_path):
    whole = rs.sweep(slow, rs.Space(x=rs.Int(0, 40), y=rs.Float(-2, 2, step=0.5)),
                     algo="bayes", n_evals=60, seed=4, n_jobs=2, db=str(tmp_path / "w.db"))
    db = tmp_path / "cut.db"
    job = start(script(tmp_path, JOB), db)
    wait_for(lambda: rows(db) >= 20 or job.poll() is not None, "20 rows in the store")
    assert job.poll() is None, job.communicate()
    workers = [p for p in session_members(job.pid) if p != job.pid]
    assert workers, "the driver had a supervisor and workers"
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    # The supervisor and the workers die with their driver.
    assert wait_gone(workers), "a worker outlived its SIGKILLed driver"
    assert arenas(job.pid), "the killed driver could not remove its arena"
    assert outcome(db) == "running"
    cut = rows(db)
    study = rs.resume(str(db), slow, n_jobs=1)
    assert study.replayed == cut and study.n_trials == 60
    assert table(study) == table(whole)
    # Opening an engine reaps what dead drivers left in /dev/shm.
    assert arenas(job.pid) == []
    assert outcome(db) == "done"


def test_ctrl_c_drains_keeps_the_store_consistent_and_resumes(tmp_path):
    db = tmp_path / "int.db"
    job = start(script(tmp_path, JOB), db)
    wait_for(lambda: rows(db) >= 10 or job.poll() is not None, "10 rows in the store")
    assert job.poll() is None, job.communicate()
    os.kill(job.pid, signal.SIGINT)
    out, err = job.communicate(timeout=60)
    assert job.returncode == 130, err
    assert "interrupted: interrupted; continue with ringsweep.resume(" in out
    assert outcome(db) == "interrupted"
    assert session_members(job.pid) == [] and arenas(job.pid) == []
    kept = rows(db)
    study = rs.resume(str(db), slow, n_jobs=2)
    assert study.replayed == kept
    whole = rs.sweep(slow, rs.Space(x=rs.Int(0, 40), y=rs.Float(-2, 2, step=0.5)),
                     algo="bayes", n_evals=60, seed=4, n_jobs=2)
    assert table(study) == table(whole)


def other(x, y):
    return 0.0


def test_resume_refuses_another_objective_and_a_command_store(tmp_path):
    db = tmp_path / "s.db"
    rs.sweep(slow, rs.Space(x=rs.Int(0, 3), y=rs.Float(0, 1, step=0.5)), db=str(db),
             n_jobs=1)
    with pytest.raises(ValueError, match="sweep of __main__.slow, not of .*other"):
        rs.resume(str(db), other)
    assert outcome(db) == "done"
    cli = tmp_path / "cli.db"
    ringsweep_cli = os.environ.get("RSW_CLI")
    if ringsweep_cli is None:
        pytest.skip("RSW_CLI (the ringsweep command) is set by ctest")
    assert os.system(f"{ringsweep_cli} run -q --objective sphere --param x=int:0:3 "
                     f"--db {cli} >/dev/null") == 0
    with pytest.raises(ValueError, match=r"recorded \(sphere\): a Python function cannot "
                                         r"take its place \(continue it with `ringsweep run"):
        rs.resume(str(cli), slow)


def test_resume_with_a_larger_budget_extends_a_finished_study(tmp_path):
    def bowl(x, y):
        return (x - 0.3) ** 2 + y * y

    space = rs.Space(x=rs.Float(-1.0, 1.0), y=rs.Int(-3, 3))
    db = str(tmp_path / "s.db")

    def decided(study):  # worker and elapsed_s say how it ran, not what
        return [(t["x"], t["y"], t["status"], t["value"]) for t in study.trials]

    first = rs.sweep(bowl, space, algo="bayes", n_evals=12, seed=4, db=db, n_jobs=2)
    extended = rs.resume(db, bowl, n_evals=24, n_jobs=2)
    whole = rs.sweep(bowl, space, algo="bayes", n_evals=24, seed=4, n_jobs=2)
    assert decided(extended) == decided(whole)
    assert decided(extended)[:12] == decided(first)
    with pytest.raises(ValueError, match="a resume may raise it, not lower it to 5"):
        rs.resume(db, bowl, n_evals=5)
