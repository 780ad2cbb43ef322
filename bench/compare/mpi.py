"""bench/compare/mpi.py - the MPI backend side by side (bench/mpi.sh runs it):
ringsweep's local engine, ringsweep under mpirun with 1 and 2 agent ranks,
mpi4py.futures.MPIPoolExecutor and dask.distributed, on this machine and
the same workloads, with the same number of workers in all (W, default the
CPU count).

Workloads: empty tasks (throughput), and tasks that keep a core busy for
100 us, 1 ms and 10 ms (ringsweep's built-in `spin`, pytools.spin_us for
the Python tools), each ~2 s of ideal work.  Efficiency = n * t / (W *
wall); wall is the work only, started workers excluded, for every tool
(ringsweep: the sweep's own wall_s).  The MPI hop's per-task cost is
(wall under mpirun - wall locally) / n for empty tasks.

    python3 bench/compare/mpi.py --ringsweep build-bench/ringsweep [--workers W]
    (as a worker of mpi4py.futures it is run by itself: --mpi4py T N)
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pytools  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
IDEAL_S = 2.0


def ringsweep_wall(cli, t_us, n, mode, workers):
    """wall_s of a sweep of n tasks of t_us (0: empty tasks)."""
    obj = ["--objective", "empty", "--param", f"i=int:1:{n}"] if t_us == 0 else \
        ["--objective", "spin", "--param", f"t=choice:{t_us}", "--param", f"i=int:1:{n}"]
    args = ["run", *obj, "-q", "--json", "--db", "none"]
    if mode == "local":
        cmd = [cli, *args, "-j", str(workers)]
    else:
        agents = 1 if mode == "mpi-1" else 2
        cmd = ["mpirun", "-np", str(agents + 1), cli, *args, "--mpi",
               "-j", str(max(1, workers // agents))]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["wall_s"]


def mpi4py_wall(t_us, n, workers):
    """MPIPoolExecutor (rank 0 + W worker ranks), chunksize 1, as the
    issue measured it."""
    cmd = ["mpirun", "-np", str(workers + 1), sys.executable, "-m", "mpi4py.futures",
           os.path.abspath(__file__), "--mpi4py", str(t_us), str(n)]
    out = subprocess.run(cmd, env=ENV, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def mpi4py_main(t_us, n):
    from mpi4py.futures import MPIPoolExecutor

    with MPIPoolExecutor() as ex:
        list(ex.map(pytools.spin_us, [0] * 64))  # workers started and warm
        t0 = time.perf_counter()
        list(ex.map(pytools.spin_us, [t_us] * n, chunksize=1))
        print(time.perf_counter() - t0)


def dask_wall(t_us, n, workers):
    wall, _ = pytools.dask_distributed(pytools.spin_us, [t_us] * n, workers)
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ringsweep")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--mpi4py", nargs=2, type=int)
    a = ap.parse_args()
    if a.mpi4py:
        mpi4py_main(*a.mpi4py)
        return
    w = a.workers
    try:
        import mpi4py.futures  # noqa: F401
        have_mpi4py = True
    except ImportError:
        have_mpi4py = False
    try:
        import dask.distributed  # noqa: F401
        have_dask = True
    except ImportError:
        have_dask = False
    tools = ["local", "mpi-1", "mpi-2"] + (["mpi4py"] if have_mpi4py else []) + \
        (["dask"] if have_dask else [])
    print(f"{w} workers in all; mpi-1: 1 agent rank of {w} workers, mpi-2: 2 agent "
          f"ranks of {max(1, w // 2)}; rank 0 drives (mpirun --oversubscribe)")
    print(f"{'workload':<16}" + "".join(f"{t:>14}" for t in tools))
    # Empty tasks: throughput.  The Python tools get fewer (they are slow).
    walls = {}
    for tool in tools:
        n = 1_000_000 if tool in ("local", "mpi-1", "mpi-2") else 20_000
        if tool in ("local", "mpi-1", "mpi-2"):
            wall = ringsweep_wall(a.ringsweep, 0, n, tool, w)
        elif tool == "mpi4py":
            wall = mpi4py_wall(0, n, w)
        else:
            wall = dask_wall(0, n, w)
        walls[tool] = (n, wall)
    print(f"{'empty tasks/s':<16}" +
          "".join(f"{walls[t][0] / walls[t][1]:>14,.0f}" for t in tools))
    for t_us in (100, 1000, 10000):
        n = int(IDEAL_S * 1e6 * w / t_us)
        row = []
        for tool in tools:
            if tool in ("local", "mpi-1", "mpi-2"):
                wall = ringsweep_wall(a.ringsweep, t_us, n, tool, w)
            elif tool == "mpi4py":
                wall = mpi4py_wall(t_us, n, w)
            else:
                wall = dask_wall(t_us, n, w)
            row.append(n * t_us * 1e-6 / (w * wall))
        label = f"eff. {t_us / 1000:g} ms" if t_us >= 1000 else f"eff. {t_us} us"
        print(f"{label:<16}" + "".join(f"{e:>14.3f}" for e in row))
    n, local = walls["local"]
    for tool in ("mpi-1", "mpi-2"):
        print(f"MPI hop, {tool}: {(walls[tool][1] - local) / n * 1e6:.3f} us per empty "
              f"task more than locally ({local / n * 1e6:.3f} us)")


if __name__ == "__main__":
    main()
