"""tests/python/test_study.py - what a sweep leaves: the Study (trials,
counts, best, a pandas DataFrame), the CSV and the SQLite store with the
failures' texts, and the progress line the command draws."""
import csv
import sqlite3
import subprocess
import sys

import pytest

import ringsweep as rs
from conftest import script


def sometimes_fails(x, sec):
    if x == 2:
        raise ValueError(f'bad "{sec}", really')
    return {"value": x * (2 if sec == "SMI" else 1), "half": x / 2}


SPACE = rs.Space(x=rs.Int(0, 4), sec=rs.Cat(["DAX", "SMI"]))
RAISED_AT = f"test_study.py:{sometimes_fails.__code__.co_firstlineno + 2}"


def test_the_study_the_csv_and_the_store_say_the_same(tmp_path):
    db, out = tmp_path / "s.db", tmp_path / "s.csv"
    study = rs.sweep(sometimes_fails, SPACE, metrics=["half"], n_jobs=2, maximize=True,
                     db=str(db), results_csv=str(out))
    assert (study.n_trials, study.counts, study.algo, study.maximize) == \
        (10, {"ok": 8, "error": 2}, "grid", True)
    assert study.best_params == {"x": 4, "sec": "SMI"} and study.best_value == 8.0
    assert list(study.columns) == ["seq", "x", "sec", "status", "value", "half", "detail",
                                   "attempts", "worker", "elapsed_s", "message"]
    with open(out, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["message"] for r in rows if r["status"] == "error"] == \
        [t["message"] for t in study.trials if t["status"] == "error"] == \
        [f'ValueError: bad "DAX", really ({RAISED_AT})',
         f'ValueError: bad "SMI", really ({RAISED_AT})']
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT seq, x, sec, status, value, half, message FROM results "
                           "ORDER BY seq").fetchall()
    assert [(r[0], r[1], r[2], r[3]) for r in stored] == \
        [(t["seq"], t["x"], t["sec"], t["status"]) for t in study.trials]
    assert stored[4][6] == f'ValueError: bad "DAX", really ({RAISED_AT})'
    assert study.db == str(db) and "grid, 10 trials {'ok': 8, 'error': 2}" in repr(study)


def test_to_pandas():
    pandas = pytest.importorskip("pandas")
    frame = rs.sweep(sometimes_fails, SPACE, metrics=["half"], n_jobs=2).to_pandas()
    assert isinstance(frame, pandas.DataFrame) and len(frame) == 10
    assert frame.groupby("sec")["value"].max().to_dict() == {"DAX": 4.0, "SMI": 8.0}


PROGRESS = """
import time
import ringsweep as rs

def slow(x):
    time.sleep(0.01)
    return x

rs.sweep(slow, rs.Space(x=rs.Int(0, 99)), n_jobs=2, progress="bar")
rs.sweep(slow, rs.Space(x=rs.Int(0, 9)), n_jobs=2)
"""


def test_the_progress_line_is_the_commands(tmp_path):
    done = subprocess.run([sys.executable, str(script(tmp_path, PROGRESS))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # The bar's final state, as `ringsweep run` draws it; the second
    # sweep (progress=None, stderr not a terminal) draws nothing.
    assert "100/100 (100.0%) | 0 running | 0 failed |" in done.stderr
    assert "| best 0 x=0\x1b[K" in done.stderr and "10/10" not in done.stderr


def test_help_reads_like_the_commands():
    doc = rs.sweep.__doc__
    for word in ("n_jobs", "timeout", "retries", "on_error", "max_mem", "db", "progress",
                 "Ctrl-C"):
        assert word in doc
    assert all(getattr(rs, name).__doc__ for name in rs.__all__)


def says_a_lot(x):
    raise ValueError("\u00e9" * 600 + " the end")


def test_a_long_text_is_cut_at_a_character_and_keeps_its_place(tmp_path):
    db = tmp_path / "long.db"
    with pytest.raises(rs.SweepError, match="every evaluation failed") as e:
        rs.sweep(says_a_lot, rs.Space(x=rs.Int(0, 1)), n_jobs=1, db=str(db))
    said = e.value.study.trials[0]["message"]
    assert said.startswith("ValueError: \u00e9\u00e9") and "\ufffd" not in said
    assert said.endswith(f"... (test_study.py:{says_a_lot.__code__.co_firstlineno + 1})")
    assert len(said.encode()) < 512
    with sqlite3.connect(db) as c:      # valid UTF-8 for any reader
        stored = c.execute("SELECT message FROM results WHERE seq = 0").fetchone()[0]
    assert stored == said
