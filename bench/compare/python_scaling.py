#!/usr/bin/env python3
"""bench/compare/python_scaling.py - the same workloads through the tools a
quant researcher uses today, beside ringsweep, in one run on one machine.

Workload: N CPU-bound tasks of a fixed duration (a calibrated busy loop),
for 1, 2, 4, ... W workers.  Each tool's speedup is measured against the
same tasks run serially in its own language (so Python's slower loop does
not flatter or penalise it); throughput is tasks/s.  ringsweep's figures
come from `ringsweep bench scaling --json`, run by this script.

  python3 bench/compare/python_scaling.py [--ringsweep PATH]
      [--durations 10us,100us,1ms] [--max-workers W] [--budget SEC]

Tools: those of bench/compare/pytools.py (Pool.imap_unordered(1),
Pool.map with automatic chunks, ProcessPoolExecutor, joblib), each defined
there once.
"""
import argparse
import json
import os
import subprocess
import sys

import pytools
from pytools import busy, joblib

ITERS_PER_US = None


def parse_duration(s):
    for unit, mult in (("ns", 1), ("us", 1e3), ("ms", 1e6), ("s", 1e9)):
        if s.endswith(unit) and s[: -len(unit)].replace(".", "", 1).isdigit():
            return int(float(s[: -len(unit)]) * mult)
    raise argparse.ArgumentTypeError(f"bad duration '{s}' (e.g. 10us, 1ms)")


def fmt_duration(ns):
    for unit, mult in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if ns >= mult and ns % mult == 0:
            return f"{ns // mult}{unit}"
    return f"{ns}ns"


def counts(w):
    c, k = [], 1
    while k < w:
        c.append(k)
        k *= 2
    return c + [w]


def python_rows(duration_ns, tasks, workers):
    iters = max(1, int(ITERS_PER_US * duration_ns / 1e3))
    work = [iters] * tasks
    serial, _ = pytools.timed(lambda: [busy(i) for i in work])
    rows = {name: run(busy, work, workers)[0] for name, run in pytools.TOOLS.items()}
    return serial, rows


def main():
    global ITERS_PER_US
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ringsweep", default=None,
                    help="ringsweep binary (default: build-bench/ then build/)")
    ap.add_argument("--durations", default="10us,100us,1ms")
    ap.add_argument("--max-workers", type=int, default=os.cpu_count())
    ap.add_argument("--budget", type=float, default=0.25,
                    help="serial seconds of work per configuration")
    a = ap.parse_args()
    durations = [parse_duration(d) for d in a.durations.split(",")]
    binary = a.ringsweep
    if binary is None:
        for cand in ("build-bench/ringsweep", "build/ringsweep", "build-test/ringsweep"):
            if os.access(cand, os.X_OK):
                binary = cand
                break
    if binary is None:
        sys.exit("python_scaling.py: no ringsweep binary; build first or pass --ringsweep")

    out = subprocess.run(
        [binary, "bench", "scaling", "--json", "--durations", a.durations,
         "--max-workers", str(a.max_workers), "--budget", str(a.budget)],
        check=True, capture_output=True, text=True).stdout
    rsw = {(r["task_ns"], r["workers"]): r for r in json.loads(out)["rows"]}

    ITERS_PER_US = pytools.calibrate()
    print(f"machine: {os.cpu_count()} CPUs; Python {sys.version.split()[0]}, "
          f"busy loop {ITERS_PER_US:.1f} iterations/us; "
          f"joblib {'%s' % joblib.__version__ if joblib else 'not installed'}")
    print("efficiency = speedup / workers, speedup against the same tasks run "
          "serially in the same language;\nringsweep x = ringsweep's efficiency "
          "/ the tool's: its throughput advantage on tasks of equal length\n"
          "(raw tasks/s differ a little because each language's loop is "
          "calibrated separately)\n")
    header = f"{'task':>6} {'workers':>7} {'tool':<24} {'tasks/s':>10} " \
             f"{'speedup':>8} {'efficiency':>10} {'ringsweep x':>12}"
    print(header)
    print("-" * len(header))
    for d in durations:
        for w in counts(a.max_workers):
            r = rsw[(d, w)]
            tasks = r["tasks"]
            rsw_rate = tasks / r["wall_s"]
            print(f"{fmt_duration(d):>6} {w:>7} {'ringsweep':<24} {rsw_rate:>10.0f} "
                  f"{r['speedup']:>8.2f} {100 * r['efficiency']:>9.1f}% {'':>12}")
            serial, rows = python_rows(d, tasks, w)
            for name, wall in rows.items():
                speedup = serial / wall
                rate = tasks / wall
                print(f"{'':>6} {'':>7} {name:<24} {rate:>10.0f} {speedup:>8.2f} "
                      f"{100 * speedup / w:>9.1f}% "
                      f"{r['speedup'] / speedup:>11.1f}x")
        print()


if __name__ == "__main__":
    main()
