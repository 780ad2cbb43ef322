"""Pruning from Python: an objective reports its values (a `report`
parameter, or ringsweep.report_step), the pruner stops the ones behind
(status pruned, the last value kept, not a failure), and the results are
the same for any n_jobs and after a resume."""
import math

import pytest

import ringsweep as rs

SPACE = {"a": rs.Float(0, 1), "b": rs.Float(0, 1)}


def curve(a, b, report):
    """The built-in curve's formula: a loss falling towards its level."""
    final = 0.1 + (a - 0.3) ** 2 + (b - 0.3) ** 2
    loss = None
    for step in range(20):
        loss = final + math.exp(-(0.05 + 0.5 * a) * (step + 1))
        if report(step, loss):
            raise rs.Pruned()
    return loss


def curve_by_function(a, b):
    final = 0.1 + (a - 0.3) ** 2 + (b - 0.3) ** 2
    loss = None
    for step in range(20):
        loss = final + math.exp(-(0.05 + 0.5 * a) * (step + 1))
        if rs.report_step(step, loss):
            return loss  # returning is enough: it is pruned either way
    return loss


@pytest.mark.parametrize("prune", ["median,steps=20", "asha,steps=20"])
def test_pruned_studies_are_the_same_for_any_n_jobs(prune):
    kw = dict(algo="random", n_evals=150, window=8, prune=prune, progress=False)
    one = rs.sweep(curve, SPACE, n_jobs=1, **kw)
    two = rs.sweep(curve, SPACE, n_jobs=2, **kw)
    fn = rs.sweep(curve_by_function, SPACE, n_jobs=2, **kw)
    assert one.counts.get("pruned", 0) > 30 and one.counts.get("ok", 0) > 5
    assert "error" not in one.counts
    strip = lambda s: [{k: v for k, v in t.items() if k not in ("worker", "elapsed_s")}
                       for t in s.trials]
    assert repr(strip(one)) == repr(strip(two)), "NaN (steps not reached) compared as text"
    assert [t["status"] for t in fn.trials] == [t["status"] for t in one.trials]
    for t in one.trials:
        steps = [t[f"step_{s}"] for s in range(20)]
        reached = [v for v in steps if not math.isnan(v)]
        if t["status"] == "pruned":
            assert t["value"] == reached[-1], "the value it reached is kept"
            assert t["detail"] == len(reached) - 1, "and the step"
        else:
            assert len(reached) == 20 and t["value"] == steps[-1]


def test_a_resume_prunes_as_the_whole_run(tmp_path):
    db = str(tmp_path / "s.db")
    kw = dict(algo="bayes", n_evals=30, prune="median,steps=20", progress=False)
    whole = rs.sweep(curve, SPACE, n_jobs=2, db=db, **kw)
    again = rs.resume(db, curve, n_jobs=1, progress=False)
    assert whole.counts.get("pruned", 0) > 0
    assert [(t["status"], t["value"]) for t in again.trials] == \
        [(t["status"], t["value"]) for t in whole.trials]


def test_report_step_outside_an_objective_and_bad_policies_are_refused():
    with pytest.raises(RuntimeError, match="is for the objective"):
        rs.report_step(0, 1.0)
    with pytest.raises(ValueError, match="give steps=N"):
        rs.sweep(curve, SPACE, algo="random", n_evals=5, prune="median", progress=False)
    with pytest.raises(ValueError, match="expected none, median"):
        rs.sweep(curve, SPACE, algo="random", n_evals=5, prune="often", progress=False)
    with pytest.raises(TypeError, match="prune must be a str"):
        rs.sweep(curve, SPACE, algo="random", n_evals=5, prune=1, progress=False)


def with_metrics(a, b, report):
    loss = curve(a, b, report)
    return {"value": loss, "half": loss / 2}


def test_an_objective_returning_its_metrics_is_pruned_too():
    study = rs.sweep(with_metrics, SPACE, algo="random", n_evals=60, window=4,
                     metrics=["half"], prune="median,steps=20", n_jobs=2, progress=False)
    assert study.counts.get("pruned", 0) > 10 and study.counts.get("ok", 0) > 5
    assert "error" not in study.counts, study.counts
    for t in study.trials:
        if t["status"] == "ok":
            assert t["half"] == t["value"] / 2 and t["step_19"] == t["value"]


def test_a_sweep_where_nothing_completed_says_so_without_calling_it_failure():
    def always_stops(a, b):
        raise rs.Pruned()

    with pytest.raises(rs.SweepError, match="no evaluation succeeded: 4 pruned") as e:
        rs.sweep(always_stops, SPACE, algo="random", n_evals=4, n_jobs=1, progress=False)
    assert e.value.study.counts == {"pruned": 4}
