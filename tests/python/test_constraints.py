"""tests/python/test_constraints.py - constraints from Python: expressions
the library parses, callables evaluated in the driver, both at once; an
objective raising ringsweep.Infeasible; refusals raised before anything
runs, a callable's own exception raised from the sweep; the Optimizer;
a resumed sweep given its callable again."""
import sqlite3

import pytest

import ringsweep as rs

SPACE = rs.Space(fast=rs.Int(2, 20), slow=rs.Int(5, 40, step=5))


def spread(fast, slow):
    return slow - fast


def test_an_expression_keeps_the_grid_to_its_feasible_points():
    study = rs.sweep(spread, SPACE, constraints="fast < slow", n_jobs=2)
    expected = [(f, s) for f in range(2, 21) for s in range(5, 41, 5) if f < s]
    assert [(t["fast"], t["slow"]) for t in study.trials] == expected
    assert study.counts == {"ok": len(expected)}


def test_callables_and_expressions_hold_together_for_every_algorithm():
    def wide(fast, slow):
        return slow - fast >= 10

    for algo, extra in (("random", {"n_evals": 40}), ("bayes", {"n_evals": 15}),
                        ("genetic", {"population": 8, "generations": 3}),
                        ("cmaes", {"n_evals": 30})):
        study = rs.sweep(spread, SPACE, algo=algo, constraints=["fast < slow", wide],
                         n_jobs=2, seed=5, **extra)
        assert study.trials, algo
        for t in study.trials:
            assert t["fast"] < t["slow"] and t["slow"] - t["fast"] >= 10, (algo, t)


def test_the_same_trials_serial_and_in_parallel():
    def runs(**kw):
        st = rs.sweep(spread, SPACE, algo="bayes", n_evals=15, seed=2,
                      constraints=["fast * 2 < slow", lambda fast, slow: fast != 3], **kw)
        return [(t["fast"], t["slow"], t["value"]) for t in st.trials]

    assert runs(serial=True) == runs(n_jobs=2)


def test_infeasible_raised_by_the_objective_is_a_status_not_a_failure():
    def picky(fast, slow):
        if fast >= slow:
            raise rs.Infeasible("fast must be shorter")
        return spread(fast, slow)

    study = rs.sweep(picky, SPACE, n_jobs=2, retries=2, on_error="fail")
    infeasible = sum(1 for f in range(2, 21) for s in range(5, 41, 5) if f >= s)
    assert study.counts == {"ok": 19 * 8 - infeasible, "infeasible": infeasible}
    assert all(t["attempts"] == 1 for t in study.trials)


def test_refusals_are_raised_before_anything_runs():
    with pytest.raises(ValueError, match="constraint 'fast < slo': no parameter "
                                         "named 'slo'"):
        rs.sweep(spread, SPACE, constraints=["fast < slo"])
    with pytest.raises(ValueError, match="constraint 'fast > 30': no point of the "
                                         "space satisfies it"):
        rs.sweep(spread, SPACE, constraints=["fast > 30"])
    with pytest.raises(ValueError, match="no point of the space satisfies the "
                                         "constraints and the feasibility function"):
        rs.sweep(spread, SPACE, constraints=[lambda **p: False])
    with pytest.raises(TypeError, match="an expression .str. or a callable, not int"):
        rs.sweep(spread, SPACE, constraints=[3])


def test_a_callables_exception_stops_the_sweep_and_is_raised(tmp_path):
    calls = []

    def flaky(fast, slow):
        calls.append(fast)
        if len(calls) > 100:
            raise KeyError("no data for this pair")
        return True

    with pytest.raises(KeyError, match="no data for this pair"):
        rs.sweep(spread, SPACE, algo="random", n_evals=400, constraints=flaky,
                 db=str(tmp_path / "s.db"))
    # The store was closed (the sweep failed), and the draws stopped
    # with the exception.
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("SELECT value FROM sweep WHERE key = 'outcome'").fetchone()[0] \
        == "failed"
    assert con.execute("SELECT count(*) FROM results").fetchone()[0] < 400
    assert len(calls) == 101


def test_the_optimizer_suggests_feasible_points_only():
    opt = rs.Optimizer(SPACE, "random", n_evals=30, constraints=["fast + 10 <= slow"])
    n = 0
    while not opt.is_complete():
        p = opt.suggest()
        assert p["fast"] + 10 <= p["slow"]
        opt.update(p, spread(**p))
        n += 1
    assert n == 30


def test_a_resume_takes_its_callable_again(tmp_path):
    db = str(tmp_path / "s.db")

    def even(fast, slow):
        return fast % 2 == 0

    whole = rs.sweep(spread, SPACE, algo="random", n_evals=30, seed=1,
                     constraints=["fast < slow", even], db=db)
    con = sqlite3.connect(db)
    con.execute("DELETE FROM results WHERE seq >= 11")
    con.execute("UPDATE sweep SET value = 'interrupted' WHERE key = 'outcome'")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match="its constraints include a function of "
                                         "the program's own"):
        rs.resume(db, spread)
    resumed = rs.resume(db, spread, constraints=even)
    def det(study):  # what a run decides; worker and time are how it ran
        return [(t["seq"], t["fast"], t["slow"], t["status"], t["value"])
                for t in study.trials]

    assert det(resumed) == det(whole)
    assert all(t["fast"] % 2 == 0 and t["fast"] < t["slow"] for t in resumed.trials)


def test_a_callable_that_raises_while_the_grid_is_counted_fails_the_open():
    # The check finds (2, 5) feasible at once; the count then reaches
    # fast = 10 and raises.  Before, the open succeeded and the grid then
    # searched for ever for points the count had promised.
    def partial(fast, slow):
        if fast >= 10:
            raise ZeroDivisionError("no model for fast >= 10")
        return fast < slow

    with pytest.raises(ZeroDivisionError, match="no model for fast >= 10"):
        rs.sweep(spread, SPACE, constraints=partial)
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        rs.Optimizer(SPACE, "genetic", population=8, generations=2,
                     constraints=lambda fast, slow: 1 / 0 if fast > 12 else True)
