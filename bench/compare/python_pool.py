#!/usr/bin/env python3
"""bench/compare/python_pool.py - what a quant researcher uses today, on the
same machine: empty tasks through multiprocessing.Pool, for comparison with
bench_engine's empty-task throughput.

usage: python3 bench/compare/python_pool.py [TASKS] [WORKERS]
"""
import multiprocessing as mp
import os
import sys
import time


def empty(x):
    return x


def rate(label, fn, n):
    t0 = time.perf_counter()
    done = fn()
    dt = time.perf_counter() - t0
    assert done == n
    print(f"python  {label:44s} {n / dt:12.0f} tasks/s")


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    with mp.Pool(workers) as pool:
        pool.map(empty, range(1000))  # warm-up: workers started
        rate(f"Pool.imap_unordered(chunksize=1), {workers} workers",
             lambda: sum(1 for _ in pool.imap_unordered(empty, range(n), chunksize=1)), n)
        big = n * 10
        rate(f"Pool.map(chunksize={big // workers}), {workers} workers",
             lambda: len(pool.map(empty, range(big), chunksize=big // workers)), big)


if __name__ == "__main__":
    main()
