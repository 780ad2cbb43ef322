"""tests/python/test_enqueue.py - enqueue=, a warm start: the points are
the first trials at any n_jobs, from a list, a DataFrame or a file; the
algorithms learn from them; a store keeps them for resume; a point outside
the space is refused by its number; Optimizer suggests them first."""
import math
import sqlite3

import pytest

import ringsweep as rs
from conftest import table


def bowl(x, y, s):
    return (x - 1.5) ** 2 + (y + 2) ** 2 + (0.5 if s == "b" else 0)


SPACE = rs.Space(x=rs.Float(-5, 5), y=rs.Int(-4, 4), s=rs.Cat(["a", "b"]))
POINTS = [{"x": 1.5, "y": -2, "s": "a", "value": 9.0}, {"x": -4.0, "y": 3, "s": "b"},
          {"x": 2.25, "y": 0, "s": "a"}]


def point(t):
    return {k: t[k] for k in ("x", "y", "s")}


@pytest.mark.parametrize("algo, kw", [("random", dict(n_evals=20)),
                                      ("bayes", dict(n_evals=10, init=4)),
                                      ("genetic", dict(population=6, generations=3)),
                                      ("cmaes", dict(n_evals=16))])
def test_the_points_come_first_and_the_table_is_the_same_at_any_n_jobs(algo, kw):
    tables = []
    for n_jobs in (0, 1, 3):
        study = rs.sweep(bowl, SPACE, algo=algo, seed=4, enqueue=POINTS,
                         n_jobs=n_jobs or 1, serial=n_jobs == 0, **kw)
        assert [point(t) for t in study.trials[:3]] == [point(p) for p in POINTS]
        assert study.n_enqueued == 3
        assert study.best_params == point(POINTS[0]) and study.best_value == 0
        tables.append(table(study))
    assert tables[0] == tables[1] == tables[2]


def test_bayes_suggests_near_the_best_point_it_was_given():
    # Its model knows the floor from the start (the points fill its
    # initial design): its own suggestions stay near it; without them the
    # same number of evaluations strays much further (over three seeds).
    def dist(t):
        return math.hypot(t["x"] - 1.5, t["y"] + 2)
    grid = [{"x": x, "y": y, "s": "a"} for x in (-4.0, 4.0) for y in (-3, 3)]
    near = far = 0
    for seed in (1, 2, 3):
        warm = rs.sweep(bowl, SPACE, algo="bayes", n_evals=6, init=5, seed=seed,
                        enqueue=[POINTS[0]] + grid, n_jobs=2)
        cold = rs.sweep(bowl, SPACE, algo="bayes", n_evals=11, init=5, seed=seed,
                        n_jobs=2)
        near += sum(dist(t) for t in warm.trials[5:]) / 18
        far += sum(dist(t) for t in cold.trials[5:]) / 18
    assert near < 3 and far > 1.5 * near, (near, far)


def test_a_dataframe_and_files_are_read_as_the_list(tmp_path):
    pd = pytest.importorskip("pandas")
    want = rs.sweep(bowl, SPACE, algo="random", n_evals=5, seed=1, enqueue=POINTS, n_jobs=1)
    frame = pd.DataFrame(POINTS)
    csv = tmp_path / "points.csv"
    frame.to_csv(csv, index=False)
    js = tmp_path / "points.json"
    frame.to_json(js, orient="records")
    for given in (frame, str(csv), js):
        got = rs.sweep(bowl, SPACE, algo="random", n_evals=5, seed=1, enqueue=given,
                       n_jobs=1)
        assert table(got) == table(want), type(given)
    # A study's own trials (and their DataFrame) start the next one.
    best = sorted(want.trials, key=lambda t: t["value"])[:2]
    again = rs.sweep(bowl, SPACE, algo="random", n_evals=5, seed=1, enqueue=best, n_jobs=1)
    assert [point(t) for t in again.trials[:2]] == [point(t) for t in best]
    again = rs.sweep(bowl, SPACE, algo="random", n_evals=5, seed=1,
                     enqueue=want.to_pandas().head(1), n_jobs=1)
    assert point(again.trials[0]) == point(POINTS[0])


def test_a_resume_takes_the_points_from_the_store(tmp_path):
    db = tmp_path / "s.db"
    whole = rs.sweep(bowl, SPACE, algo="bayes", n_evals=10, init=4, seed=3,
                     enqueue=POINTS, db=str(db), n_jobs=2)
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT value FROM sweep WHERE key = 'enqueued'").fetchone() == ("3",)
    for keep in (2, 5):
        with sqlite3.connect(db) as c:
            c.execute("DELETE FROM results WHERE seq >= ?", (keep,))
            c.execute("UPDATE sweep SET value = 'interrupted' WHERE key = 'outcome'")
        resumed = rs.resume(str(db), bowl, n_jobs=1)
        assert table(resumed) == table(whole), keep
        assert resumed.n_enqueued == 3
        assert resumed.replayed == keep


@pytest.mark.parametrize("points, words", [
    ([{"x": 1.0, "y": 9, "s": "a"}], "enqueued point 1: 'y': 9 is above its upper bound 4"),
    ([POINTS[0], {"x": 1.0, "y": 0.5, "s": "a"}], "enqueued point 2: 'y': 0.5 is not an integer"),
    ([{"x": 1.0, "s": "a"}], "enqueue: point 1 has no value for 'y'"),
    ([{"x": 1.0, "y": 0, "s": "c"}], "enqueue: point 1, 's': 'c' is not one of its labels"),
    ([{"x": 1.0, "y": 0, "s": 1}], "enqueue: point 1, 's': 1 is not one of its labels"),
    ([{"x": 3.0, "y": 0, "s": "a"}], "enqueued point 1: constraint 'x < 2' does not hold"),
    ([], "enqueue: 0 points"),
])
def test_a_point_outside_the_space_is_refused_by_its_number(tmp_path, points, words):
    db = tmp_path / "no.db"
    with pytest.raises(ValueError) as e:
        rs.sweep(bowl, SPACE, algo="random", n_evals=5, enqueue=points, db=str(db),
                 constraints="x < 2", n_jobs=1)
    assert words in str(e.value)
    assert not db.exists()


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="a list of dicts"):
        rs.sweep(bowl, SPACE, algo="random", n_evals=5, enqueue=POINTS[0])
    with pytest.raises(TypeError, match="point 2 is a int"):
        rs.sweep(bowl, SPACE, algo="random", n_evals=5, enqueue=[POINTS[0], 3])


def test_an_optimizer_suggests_the_points_first_and_learns_from_them():
    opt = rs.Optimizer(SPACE, "bayes", n_evals=4, init=2, seed=1, enqueue=POINTS[:2])
    first, second = opt.suggest(), opt.suggest()
    assert [first, second] == [point(POINTS[0]), point(POINTS[1])]
    # bayes observes every point before its first suggestion.
    assert opt.suggest() is None
    opt.update(second, bowl(**second))
    assert opt.suggest() is None
    opt.update(first, bowl(**first))
    assert opt.best_params == point(POINTS[0]) and opt.best_value == 0
    n = 0
    while not opt.is_complete():
        p = opt.suggest()
        opt.update(p, bowl(**p))
        n += 1
    assert n == 4
