"""tests/python/test_space_and_input.py - the space as the objective sees
it (typed values), and bad input refused with an error naming the culprit
before anything starts: no worker, no arena, no store file."""
import os

import pytest

import ringsweep as rs
from conftest import arenas, children


def test_each_kind_becomes_the_spec_the_library_reads():
    space = rs.Space(fast=rs.Int(2, 100), step5=rs.Int(0, 100, step=5),
                     lr=rs.Float(1e-4, 1e-1, log=True), w=rs.Float(0, 1, step=0.1),
                     u=rs.Float(-1, 1), n=rs.Int(1, 1000, log=True),
                     cost=rs.Choice([0, 5, 10]), sec=rs.Cat(["DAX", "SMI"]))
    assert space.specs() == [
        "fast=int:2:100", "step5=int:0:100:5", "lr=log:0.0001:0.1", "w=float:0:1:0.1",
        "u=float:-1:1", "n=logint:1:1000", "cost=choice:0,5,10", "sec=cat:DAX,SMI"]
    assert space.names == ["fast", "step5", "lr", "w", "u", "n", "cost", "sec"]


def test_a_dict_is_a_space_too():
    space = rs.Space({"fast": (2, 100), "x": (0.0, 1.5), "cost": [0, 5, 10],
                      "sec": ["DAX", "SMI"], "k": "int:1:9:2"})
    assert space.specs() == ["fast=int:2:100", "x=float:0:1.5", "cost=choice:0,5,10",
                             "sec=cat:DAX,SMI", "k=int:1:9:2"]
    assert rs.Space.from_specs(space.specs()).specs() == space.specs()


def typed(i, x, w, c, h, sec):
    # Anything but the promised types fails the evaluation, by its text.
    assert type(i) is int, type(i)
    assert type(x) is float, type(x)
    assert type(w) is float and round(w, 1) == w, w
    assert type(c) is int and c in (0, 5, 10), c
    assert type(h) is float and h in (0.5, 2.0), h
    assert type(sec) is str and sec in ("DAX", "SMI"), sec
    return i + x


def test_the_objective_receives_typed_keyword_arguments():
    space = rs.Space(i=rs.Int(0, 3), x=rs.Float(0, 1), w=rs.Float(0, 1, step=0.1),
                     c=rs.Choice([0, 5, 10]), h=rs.Choice([0.5, 2]),
                     sec=rs.Cat(["DAX", "SMI"]))
    study = rs.sweep(typed, space, algo="random", n_evals=300, seed=3, n_jobs=2)
    assert study.counts == {"ok": 300}, [t["message"] for t in study.trials][:3]
    assert {t["sec"] for t in study.trials} == {"DAX", "SMI"}


@pytest.mark.parametrize("make, error, words", [
    (lambda: rs.Int(1.5, 3), TypeError, "Int low must be an int"),
    (lambda: rs.Float(0, float("inf")), ValueError, "Float high must be finite"),
    (lambda: rs.Cat([1, 2]), TypeError, "numbers go in Choice"),
    (lambda: rs.Choice([]), ValueError, "at least one value"),
    (lambda: rs.Space(), ValueError, "at least one parameter"),
    (lambda: rs.Space(x=rs.Int(5, 1)), ValueError, "'x'"),
    (lambda: rs.Space(sec=rs.Cat(["a,b", "c"])), ValueError, "without ','"),
    (lambda: rs.Space(x=object()), TypeError, "parameter 'x'"),
    (lambda: rs.Space({"x": (0, 1)}, x=(0, 2)), ValueError, "'x' given twice"),
])
def test_a_bad_parameter_is_named(make, error, words):
    with pytest.raises(error, match=words):
        make()


def ok(x):
    return x


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(n_jobs=0), ValueError, "n_jobs"),
    (dict(n_jobs="all"), ValueError, "n_jobs"),
    (dict(algo="nosuch"), ValueError, "nosuch"),
    (dict(algo="random"), ValueError, "evals"),
    (dict(timeout=-1), ValueError, "timeout"),
    (dict(retries=-1), ValueError, "retries"),
    (dict(on_error="maybe"), ValueError, "on_error"),
    (dict(max_mem="lots"), ValueError, "max_mem"),
    (dict(idle="nap"), ValueError, "idle"),
    (dict(metrics=[1]), TypeError, "metric names"),
    (dict(progress="loud"), ValueError, "progress"),
    (dict(window=0), ValueError, "window"),
    (dict(nice=40), ValueError, "nice"),
    (dict(n_jobs=2 ** 32), ValueError, "n_jobs"),
    (dict(retries=None), ValueError, "retries"),
    (dict(max_mem="\u00b2M"), ValueError, "max_mem"),
    (dict(metrics=["status"]), ValueError, "metric 'status'"),
    (dict(metrics=["x"]), ValueError, "'x' is both a parameter and a metric"),
    (dict(metrics=["a", "a"]), ValueError, "twice"),
])
def test_bad_arguments_are_refused_before_anything_starts(tmp_path, kwargs, error, words):
    db = tmp_path / "never.db"
    with pytest.raises(error, match=words):
        rs.sweep(ok, rs.Space(x=rs.Int(0, 9)), db=str(db), **kwargs)
    assert not db.exists(), "a refused sweep left a store"
    assert children() == [] and arenas() == []


def test_a_parameter_may_not_take_a_columns_name():
    with pytest.raises(ValueError, match="parameter 'value': the trial table has a column"):
        rs.sweep(ok, rs.Space(value=rs.Int(0, 3)))


def test_grid_needs_steps_and_the_objective_must_be_callable(tmp_path):
    with pytest.raises(ValueError, match="'x'"):
        rs.sweep(ok, rs.Space(x=rs.Float(0, 1)), algo="grid")
    with pytest.raises(TypeError, match="callable"):
        rs.sweep(None, rs.Space(x=rs.Int(0, 1)))
    with pytest.raises(TypeError, match="space"):
        rs.sweep(ok, [("x", 0, 1)])


def test_an_existing_file_is_never_overwritten(tmp_path):
    db = tmp_path / "mine.db"
    db.write_text("my notes")
    with pytest.raises(ValueError, match="mine.db"):
        rs.sweep(ok, rs.Space(x=rs.Int(0, 3)), db=str(db))
    assert db.read_text() == "my notes"


def test_every_algorithm_is_listed_with_what_it_does():
    algos = rs.algorithms()
    assert set(algos) >= {"grid", "random", "bayes", "genetic", "cmaes"}
    assert all(isinstance(v, str) and v for v in algos.values())
