"""bench/compare/pytools.py - the Python tools ringsweep is compared with,
defined once for every comparison script in bench/compare/: the busy-loop
task, and one runner per tool, each timing only the work (its workers are
started and warm before the clock starts).

Every runner is tool(fn, items, workers) -> (wall seconds, results in
item order): multiprocessing.Pool.imap_unordered(chunksize=1) (dynamic,
one task a message), Pool.map with its automatic chunking (static chunks,
no dynamic balancing), concurrent.futures.ProcessPoolExecutor.map,
joblib.Parallel when python3-joblib is installed, and dask.distributed
(python3-distributed; used by the MPI comparison, bench/compare/mpi.py).  The first three use
the fork start method, as ringsweep does (the workers inherit the
parent's data); joblib runs as its users run it, on its default backend
(loky: fresh interpreters, the function and its data pickled).
"""
import concurrent.futures as cf
import multiprocessing as mp
import time

try:
    import joblib
except ImportError:
    joblib = None

FORK = mp.get_context("fork")


def busy(iters):
    """The CPU-bound task: a loop of `iters` float operations."""
    x = 1.0
    for _ in range(iters):
        x = x * 1.0000001 + 1e-9
    return x


def spin_us(us):
    """The task of known duration that needs a core (the same as
    ringsweep's built-in `spin`): busy until `us` microseconds of wall time
    have passed."""
    end = time.perf_counter() + us * 1e-6
    while time.perf_counter() < end:
        pass
    return us


def calibrate():
    """busy() iterations per microsecond on this machine (best of 5)."""
    best = 0.0
    for _ in range(5):
        n = 200000
        t0 = time.perf_counter()
        busy(n)
        best = max(best, n / ((time.perf_counter() - t0) * 1e6))
    return best


def timed(run):
    t0 = time.perf_counter()
    out = run()
    return time.perf_counter() - t0, out


def pool_imap_unordered(fn, items, workers):
    with FORK.Pool(workers) as pool:
        pool.map(busy, [1] * (workers * 4))  # workers started and warm
        return timed(lambda: _unordered(pool, fn, items))


def _unordered(pool, fn, items):
    # imap_unordered hands results back as they finish; put them in order
    # afterwards (not timed apart: it is what a caller would do).
    indexed = list(pool.imap_unordered(_indexed(fn), enumerate(items), chunksize=1))
    out = [None] * len(items)
    for i, r in indexed:
        out[i] = r
    return out


class _indexed:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, pair):
        i, item = pair
        return i, self.fn(item)


def pool_map(fn, items, workers):
    with FORK.Pool(workers) as pool:
        pool.map(busy, [1] * (workers * 4))
        return timed(lambda: pool.map(fn, items))


def pool_map_chunks(fn, items, workers):
    """Pool.map with one giant chunk a worker: the least overhead there is,
    and no balancing at all."""
    with FORK.Pool(workers) as pool:
        pool.map(busy, [1] * (workers * 4))
        return timed(lambda: pool.map(fn, items, chunksize=-(-len(items) // workers)))


def process_pool(fn, items, workers):
    with cf.ProcessPoolExecutor(workers, mp_context=FORK) as ex:
        list(ex.map(busy, [1] * (workers * 4)))
        return timed(lambda: list(ex.map(fn, items)))


def joblib_parallel(fn, items, workers):
    par = joblib.Parallel(n_jobs=workers)
    par(joblib.delayed(busy)(1) for _ in range(workers * 4))
    try:
        return timed(lambda: par(joblib.delayed(fn)(i) for i in items))
    finally:
        # loky keeps its workers and threads for reuse: stopped here, or
        # they would take CPU from whatever is measured next.
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)


def dask_distributed(fn, items, workers):
    """dask.distributed as its users start it on one machine: a
    LocalCluster of `workers` processes of one thread, tasks through
    client.map (one task each), results gathered in order."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.gather(client.map(busy, [1] * (workers * 4), pure=False))
        return timed(lambda: client.gather(client.map(fn, items, pure=False)))


TOOLS = {
    "Pool.imap_unordered(1)": pool_imap_unordered,
    "Pool.map(auto chunks)": pool_map,
    "ProcessPoolExecutor": process_pool,
}
if joblib is not None:
    TOOLS["joblib"] = joblib_parallel
