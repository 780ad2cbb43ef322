"""tests/python/test_memory.py - the zygote: data loaded before the sweep
reaches the workers by fork and stays shared.  Each worker reports its
own private memory (Private_Dirty of /proc/self/smaps_rollup) as a
metric of its last evaluations: reading the data must not copy it."""
import gc

import pytest

import ringsweep as rs

MB = 1 << 20


def private_dirty_mb():
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no Private_Dirty in smaps_rollup")


PRICES = None
ROWS = None


def largest_private_mb(objective, n):
    """Sweeps k = 0 .. n-1 on 2 workers; the largest private memory a
    worker reported at its last evaluations."""
    study = rs.sweep(objective, rs.Space(k=rs.Int(0, n - 1)), n_jobs=2,
                     metrics=["private_mb"])
    assert study.counts == {"ok": n}
    return max(t["private_mb"] for t in study.trials[-10:])


def reads_prices(k):
    # Each task reads 1 MiB of the array; the last ones measure.
    chunk = PRICES[(k % 256) * (MB // 8):(k % 256 + 1) * (MB // 8)]
    value = float(chunk.sum())
    return {"value": value, "private_mb": private_dirty_mb() if k >= 9_990 else 0.0}


def test_a_numpy_array_is_shared_not_copied():
    np = pytest.importorskip("numpy")
    global PRICES
    PRICES = np.random.default_rng(1).random(256 * MB // 8)  # 256 MiB
    try:
        private = largest_private_mb(reads_prices, 10_000)
    finally:
        PRICES = None
    assert 0 < private < 50, f"a worker holds {private:.0f} MiB of its own"


def collects(k):
    # Touches a few rows, makes garbage cycles, and runs the collector:
    # it walks every tracked object it may -- not the frozen ones.
    total = sum(ROWS[(k * 7919 + i) % len(ROWS)][0] for i in range(10))
    loop = []
    loop.append(loop)
    if k % 500 == 0:
        gc.collect()
    return {"value": total, "private_mb": private_dirty_mb() if k >= 1_990 else 0.0}


def test_the_collector_in_a_worker_leaves_the_parents_objects_shared():
    global ROWS
    ROWS = [[i, float(i)] for i in range(1_500_000)]  # ~150 MiB of tracked lists
    try:
        private = largest_private_mb(collects, 2_000)
    finally:
        ROWS = None
    assert 0 < private < 50, f"a worker holds {private:.0f} MiB of its own"
