#!/usr/bin/env python3
"""bench/compare/python_pool.py - what a quant researcher uses today, on the
same machine: empty tasks through multiprocessing.Pool, for comparison with
bench_engine's empty-task throughput (the tools as bench/compare/pytools.py
defines them).

usage: python3 bench/compare/python_pool.py [TASKS] [WORKERS]
"""
import os
import sys

import pytools


def empty(x):
    return x


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else os.cpu_count()
    wall, out = pytools.pool_imap_unordered(empty, range(n), workers)
    assert len(out) == n
    print(f"python  {f'Pool.imap_unordered(chunksize=1), {workers} workers':44s} "
          f"{n / wall:12.0f} tasks/s")
    big = n * 10
    wall, out = pytools.pool_map_chunks(empty, range(big), workers)
    assert len(out) == big
    print(f"python  {f'Pool.map(chunksize={-(-big // workers)}), {workers} workers':44s} "
          f"{big / wall:12.0f} tasks/s")


if __name__ == "__main__":
    main()
