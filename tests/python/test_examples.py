"""tests/python/test_examples.py - the Python examples run as a user runs
them, each in an interpreter of its own, printing what the README says;
and the Python backtest agrees with the library's built-in ma_cross."""
import csv
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples" / "python"
sys.path.insert(0, str(EXAMPLES))
import ma_cross  # noqa: E402  (the example, as a module)


def run(name, *args):
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ma_cross_finds_the_best_crossover(tmp_path):
    out = run("ma_cross.py", "--jobs", "2", "--db", str(tmp_path / "s.db"))
    assert "1323 backtests of DAX in" in out     # 102 with fast >= slow never run
    assert "{'ok': 1323}" in out
    assert ("best Sharpe 1.284 at {'fast': 2, 'slow': 60, 'cost_bps': 0, "
            "'security': 'DAX'} (total return 193.4%, max drawdown 21.0%, "
            "31 trades)") in out
    assert (tmp_path / "s.db").exists()


def test_per_security_consolidates_the_best_of_each():
    out = run("per_security.py", "--jobs", "2")
    assert "720 backtests in" in out
    for line in ("DAX   fast= 2 slow=250  Sharpe 1.219",
                 "SMI   fast=30 slow=200  Sharpe 1.633",
                 "CAC   fast= 6 slow=250  Sharpe 0.864",
                 "FTSE  fast=28 slow=200  Sharpe 1.028"):
        assert line in out, out


def test_ask_tell_loop():
    out = run("ask_tell.py", "40")
    assert out.startswith("40 evaluations told; best Sharpe 1.3")


def test_the_python_backtest_is_the_builtin_one(tmp_path):
    cli = os.environ.get("RSW_CLI")
    if cli is None:
        pytest.skip("RSW_CLI (the ringsweep command) is set by ctest")
    results = tmp_path / "c.csv"
    subprocess.run([cli, "run", "-q", "--objective", "ma_cross", "--data",
                    str(ma_cross.DATA), "--column", "SMI", "--param", "fast=int:2:30:7",
                    "--param", "slow=int:40:200:40", "--param", "cost_bps=int:0:10:10",
                    "--db", "none", "--results", str(results)], check=True,
                   capture_output=True)
    with open(results, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 5 * 5 * 2
    for row in rows:
        mine = ma_cross.backtest(int(row["fast"]), int(row["slow"]), int(row["cost_bps"]),
                                 "SMI")
        assert mine["value"] == pytest.approx(float(row["value"]), rel=1e-12, abs=1e-12)
        assert mine["total_return"] == pytest.approx(float(row["total_return"]), rel=1e-12)
        assert mine["max_drawdown"] == pytest.approx(float(row["max_drawdown"]), rel=1e-12)
        assert mine["trades"] == int(row["trades"])
