"""tests/python/test_asktell.py - the shapes code written for other tools
expects: an ask/tell Optimizer (suggest, update, is_complete) over the
library's algorithms, and ParallelOptimizer(objective_function,
parameter_space, algorithm, n_iterations, n_jobs).optimize()."""
import math

import pytest

import ringsweep as rs
from conftest import table

SPACE = rs.Space(x=rs.Float(-2, 2, step=0.25), y=rs.Int(-3, 3), sec=rs.Cat(["DAX", "SMI"]))


def score(x, y, sec):
    return (x - 0.5) ** 2 + (y - 1) ** 2 + (sec == "SMI")


def test_ask_tell_random_suggests_what_the_sweep_evaluates():
    opt = rs.Optimizer(SPACE, "random", n_evals=40, seed=9)
    seen = []
    while not opt.is_complete():
        params = opt.suggest()
        assert params is not None, "random never waits"
        seen.append(params)
        opt.update(params, score(**params))
    assert opt.suggest() is None and len(seen) == 40
    study = rs.sweep(score, SPACE, algo="random", n_evals=40, seed=9, n_jobs=2)
    assert seen == [{k: t[k] for k in ("x", "y", "sec")} for t in study.trials]
    assert opt.best_value == study.best_value and opt.best_params == study.best_params


def test_results_told_out_of_order_are_applied_in_order():
    def run(order):
        opt = rs.Optimizer(SPACE, "bayes", n_evals=16, seed=2, init=6)
        told = []
        while not opt.is_complete():
            batch = []
            while len(batch) < 4 and (p := opt.suggest()) is not None:
                batch.append(p)
            for p in (reversed(batch) if order == "reversed" else batch):
                opt.update(p, score(**p))
            told += batch
        return told, opt.best_value

    assert run("in order") == run("reversed")


def test_genetic_waits_for_its_generation_and_failures_can_be_told():
    opt = rs.Optimizer(SPACE, "genetic", population=8, generations=3, seed=1)
    first = [opt.suggest() for _ in range(8)]
    assert all(first) and opt.suggest() is None and not opt.is_complete()
    for i, p in enumerate(first):
        # A failure told three ways: None, a NaN, a numpy NaN.
        failed = [None, float("nan")][i] if i < 2 else None
        if i == 2:
            np = pytest.importorskip("numpy")
            failed = np.float32("nan")
        opt.update(p, failed if i < 3 else score(**p))
    second = opt.suggest()
    assert second is not None
    with pytest.raises(ValueError, match="was not suggested"):
        opt.update({"x": 9.0, "y": 0, "sec": "DAX"}, 1.0)
    with pytest.raises(ValueError, match="evals"):
        rs.Optimizer(SPACE, "bayes")


def as_dict(params):
    return math.hypot(params["x"] - 0.5, params["y"] - 1) + (params["sec"] == "SMI")


def test_parallel_optimizer_calls_objective_function_with_a_dict():
    po = rs.ParallelOptimizer(as_dict, {"x": (-2.0, 2.0), "y": (-3, 3),
                                        "sec": ["DAX", "SMI"]},
                              algorithm="random", n_iterations=60, n_jobs=2, seed=4)
    study = po.optimize()
    assert study is po.study and study.n_trials == 60 and study.counts == {"ok": 60}
    assert study.best_value == min(t["value"] for t in study.trials)
    # An Optimizer passed as the algorithm lends its name and options.
    again = rs.ParallelOptimizer(as_dict, po.parameter_space,
                                 rs.Optimizer(po.parameter_space, "random", n_evals=60,
                                              seed=4), n_iterations=60, n_jobs=1).optimize()
    assert table(again) == table(study)
