"""Several objectives from Python: objectives= gives the Study a Pareto
front and its hypervolume, the same as the library's for any n_jobs,
and bad objectives are refused by name before anything runs."""
import math

import pytest

import ringsweep as rs


def zdt1(x1, x2, x3):
    g = 1 + 9 * (x2 + x3) / 2
    return {"value": x1, "f1": x1, "f2": g * (1 - math.sqrt(x1 / g))}


SPACE = {"x1": rs.Float(0, 1), "x2": rs.Float(0, 1), "x3": rs.Float(0, 1)}


def dominates(a, b):
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


@pytest.mark.parametrize("algo", ["genetic", "bayes"])
def test_the_front_is_every_undominated_trial_and_the_same_for_any_n_jobs(algo):
    kwargs = dict(algo=algo, n_evals=120 if algo == "genetic" else 30,
                  metrics=["f1", "f2"], objectives={"f1": "min", "f2": "min"},
                  hv_ref=[1.1, 11], progress=False)
    if algo == "genetic":
        kwargs["population"] = 20
    one = rs.sweep(zdt1, SPACE, n_jobs=1, **kwargs)
    two = rs.sweep(zdt1, SPACE, n_jobs=2, **kwargs)
    vec = {t["seq"]: (t["f1"], t["f2"]) for t in one.trials if t["status"] == "ok"}
    want = [s for s in sorted(vec) if not any(
        dominates(vec[o], vec[s]) or (o < s and vec[o] == vec[s]) for o in vec)]
    got = [r["seq"] for r in one.pareto_front]
    assert sorted(got) == want
    assert [r["objectives"]["f1"] for r in one.pareto_front] == \
        sorted(r["objectives"]["f1"] for r in one.pareto_front)
    assert one.hv_reference == (1.1, 11.0)
    assert 0 < one.hypervolume < 1.1 * 11
    assert [r["seq"] for r in two.pareto_front] == got
    assert two.hypervolume == one.hypervolume


def test_a_maximised_objective_keeps_its_own_sign():
    study = rs.sweep(zdt1, SPACE, algo="random", n_evals=50, metrics=["f1", "f2"],
                     objectives={"value": "max", "f2": "min"}, n_jobs=1, progress=False)
    front = study.pareto_front
    assert len(front) >= 2
    assert front[0]["objectives"]["value"] == max(t["value"] for t in study.trials)
    assert front[0]["objectives"]["value"] == study.best_value, "the value sets the direction"
    assert study.maximize


def test_one_objective_has_no_front():
    study = rs.sweep(zdt1, SPACE, algo="random", n_evals=5, metrics=["f1", "f2"],
                     n_jobs=1, progress=False)
    assert study.pareto_front == [] and study.hypervolume is None


@pytest.mark.parametrize("objectives, error, says", [
    ({"f1": "min", "f9": "min"}, ValueError, "objective 'f9'"),
    ({"f1": "up", "f2": "min"}, ValueError, "direction must be 'max' or 'min'"),
    (["f1", "f2"], TypeError, "objectives must be a dict"),
    ({"f1": "min"}, ValueError, "2 to 4 objectives, got 1"),
])
def test_bad_objectives_are_refused_by_name(objectives, error, says):
    with pytest.raises(error, match=says):
        rs.sweep(zdt1, SPACE, algo="random", n_evals=5, metrics=["f1", "f2"],
                 objectives=objectives, n_jobs=1, progress=False)
