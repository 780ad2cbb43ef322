"""tests/mpi/test_mpi.py - the MPI backend through a real mpirun (Open MPI),
on one machine: `mpirun --oversubscribe -np N ringsweep run --mpi ...`.

Every comparison is with the same sweep run locally (`ringsweep run -j 2`):
the results file must be byte-identical, whatever ran where, crashed,
was retried or was killed.  RSW_CLI names the command, RSW_MPIRUN the
mpirun to use."""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

CLI = os.environ["RSW_CLI"]
MPIRUN = os.environ.get("RSW_MPIRUN", "mpirun")
# Tests run as root in CI containers: Open MPI refuses that unless told.
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
HANG_GUARD = 120  # seconds: a run that takes longer is a hang


def mpirun(np, args, *, mpmd=None, timeout=HANG_GUARD, **kw):
    cmd = [MPIRUN, "-np", str(np), CLI, "run", "--mpi", *args]
    if mpmd is not None:
        cmd += [":", *mpmd]
    return subprocess.run(cmd, env=ENV, capture_output=True, text=True,
                          timeout=timeout, **kw)


def local(args, **kw):
    return subprocess.run([CLI, "run", "-j", "2", *args], env=ENV,
                          capture_output=True, text=True, timeout=HANG_GUARD, **kw)


def read(path):
    with open(path) as f:
        return f.read()


def errors(stderr):
    return [l for l in stderr.splitlines() if "ringsweep: error:" in l]


def processes():
    """pid -> (parent pid, command line) of every live process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if fields[0] != "Z":
            out[int(d)] = (int(fields[1]), cmd)
    return out


def descendants(root, depth):
    """Live processes exactly `depth` generations below root."""
    procs = processes()
    level = {root}
    for _ in range(depth):
        level = {p for p, (pp, _) in procs.items() if pp in level}
    return level


def rank_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for kv in f.read().split(b"\0"):
                if kv.startswith(b"OMPI_COMM_WORLD_RANK="):
                    return int(kv.split(b"=")[1])
    except OSError:
        pass
    return None


def arenas_of(pids):
    return [n for n in os.listdir("/dev/shm")
            if n.startswith("ringsweep-") and int(n.split("-")[1]) in pids]


# Every algorithm, with crashes (crashy: the first attempt of seqs 13 mod 97
# dies of SIGSEGV) retried on the agent that saw them.
ALGOS = {
    "grid": ["--param", "x=float:-5:5:0.25", "--param", "y=int:-3:3"],
    "random": ["--param", "x=float:-5:5", "--param", "y=int:-3:3",
               "--algo", "random", "--evals", "3000", "--seed", "7"],
    "bayes": ["--param", "x=float:-5:5", "--param", "y=float:-5:5",
              "--algo", "bayes", "--evals", "40", "--seed", "3", "--window", "4"],
    "genetic": ["--param", "x=float:-5:5", "--param", "y=float:-5:5",
                "--algo", "genetic", "--population", "20", "--generations", "6",
                "--seed", "2"],
    "cmaes": ["--param", "x=float:-2:2", "--param", "y=float:-2:2",
              "--algo", "cmaes", "--evals", "300", "--seed", "5"],
}


@pytest.mark.parametrize("algo", sorted(ALGOS))
def test_results_identical_to_local(tmp_path, algo):
    args = ["--objective", "crashy", "--retries", "2", "-q", "--db", "none",
            *ALGOS[algo]]
    ref = local([*args, "--results", str(tmp_path / "local.csv")])
    assert ref.returncode == 0, ref.stderr
    # Two agents of one worker each; then one agent beside rank 0's own
    # worker (--mpi-driver-workers): both must equal the local run.
    for np, extra in ((3, ["-j", "1"]), (2, ["-j", "1", "--mpi-driver-workers", "1"])):
        out = tmp_path / f"mpi{np}.csv"
        run = mpirun(np, [*args, *extra, "--results", str(out)])
        assert run.returncode == 0, run.stderr
        assert read(out) == read(tmp_path / "local.csv"), f"-np {np} differs"
    assert len(read(tmp_path / "local.csv").splitlines()) > 40


def test_pruned_and_multi_objective_sweeps_are_identical_to_local(tmp_path):
    """The pruner's thresholds travel with each task to the agents, and a
    multi-objective front is the driver's own: the same as a local run."""
    data = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "data",
                        "eustockmarkets.csv")
    base = ["--objective", "ma_cross", "--data", data, "--column", "DAX,SMI",
            "--param", "fast=int:2:100", "--param", "slow=int:5:300",
            "--constraint", "fast < slow", "--db", "none", "-q"]
    runs = {"pruned": ["--maximize", "--algo", "random", "--evals", "300",
                       "--prune", "median"],
            "pareto": ["--maximize", "sharpe", "--minimize", "max_drawdown",
                       "--algo", "genetic", "--evals", "200", "--json"]}
    for name, extra in runs.items():
        ref = local([*base, *extra, "--results", str(tmp_path / f"{name}-local.csv")])
        assert ref.returncode == 0, ref.stderr
        run = mpirun(3, [*base, *extra, "-j", "1", "--results",
                         str(tmp_path / f"{name}-mpi.csv")])
        assert run.returncode == 0, run.stderr
        assert read(tmp_path / f"{name}-mpi.csv") == read(tmp_path / f"{name}-local.csv")
        if name == "pruned":
            assert ",pruned," in read(tmp_path / f"{name}-local.csv")
        else:
            front = [json.loads(out)["pareto"]["front"] for out in (ref.stdout, run.stdout)]
            assert front[0] == front[1] and len(front[0]) > 1


def test_resume_under_mpi_replays_to_the_same_results(tmp_path):
    args = ["--objective", "rastrigin", *ALGOS["bayes"], "-q"]
    db = tmp_path / "s.db"
    run = local([*args, "--db", str(db), "--results", str(tmp_path / "a.csv")])
    assert run.returncode == 0, run.stderr
    run = mpirun(2, ["--resume", str(db), "--results", str(tmp_path / "b.csv"), "-q"])
    assert run.returncode == 0, run.stderr
    assert read(tmp_path / "b.csv") == read(tmp_path / "a.csv")


LONG = ["--objective", "sleep", "--param", "x=float:1:3", "--algo", "random",
        "--evals", "5000", "--seed", "4", "--retries", "20", "-q"]


def test_worker_kills_on_agents_lose_and_duplicate_nothing(tmp_path):
    ref = local([*LONG, "--db", "none", "--results", str(tmp_path / "local.csv")])
    assert ref.returncode == 0, ref.stderr
    cmd = [MPIRUN, "-np", "3", CLI, "run", "--mpi", "-j", "1", *LONG, "--json",
           "--db", str(tmp_path / "k.db"), "--results", str(tmp_path / "mpi.csv")]
    job = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    killed = []

    def killer():
        # mpirun -> rank -> supervisor -> worker: only agents have workers.
        while job.poll() is None and len(killed) < 12:
            time.sleep(0.25)
            for pid in sorted(descendants(job.pid, 3))[:1]:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass

    t = threading.Thread(target=killer)
    t.start()
    out, err = job.communicate(timeout=HANG_GUARD)
    t.join()
    assert job.returncode == 0, err
    assert len(killed) >= 8, f"only {len(killed)} workers were killed"
    summary = json.loads(out)
    # The agents' counters reach rank 0's summary: kills from outside, and
    # the tasks they interrupted run again.
    assert summary["killed"] >= len(killed) // 2, summary
    assert summary["retries"] >= 1, summary
    assert read(tmp_path / "mpi.csv") == read(tmp_path / "local.csv")


def test_agent_killed_ends_the_job_and_resume_completes_it(tmp_path):
    ref = local([*LONG, "--db", "none", "--results", str(tmp_path / "local.csv")])
    assert ref.returncode == 0, ref.stderr
    db = tmp_path / "k.db"
    cmd = [MPIRUN, "-np", "3", CLI, "run", "--mpi", "-j", "1", *LONG, "--db", str(db),
           "--results", str(tmp_path / "mpi.csv")]
    job = subprocess.Popen(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    # Wait until the agents evaluate (their workers exist), then kill rank 1.
    deadline = time.monotonic() + 30
    while not descendants(job.pid, 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    ranks = {rank_of(p): p for p in descendants(job.pid, 1)}
    assert set(ranks) >= {0, 1, 2}, ranks
    job_pids = {job.pid} | descendants(job.pid, 1) | descendants(job.pid, 2) | \
        descendants(job.pid, 3)
    os.kill(ranks[1], signal.SIGKILL)
    t0 = time.monotonic()
    out, err = job.communicate(timeout=HANG_GUARD)
    ended = time.monotonic() - t0
    assert job.returncode != 0
    assert ended < 10, f"the job took {ended:.1f} s to end"
    assert "the MPI job is ending" in err and f"--resume {db}" in err, err
    # Nothing of the job is left: no process, no arena.
    deadline = time.monotonic() + 5
    while set(processes()) & job_pids and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(processes()) & job_pids, "a process of the job outlived it"
    assert arenas_of(job_pids) == []
    # Locally, the rest: the same results as the uninterrupted run.
    run = subprocess.run([CLI, "run", "--resume", str(db), "-j", "2", "-q",
                          "--results", str(tmp_path / "resumed.csv")], env=ENV,
                         capture_output=True, text=True, timeout=HANG_GUARD)
    assert run.returncode == 0, run.stderr
    assert read(tmp_path / "resumed.csv") == read(tmp_path / "local.csv")


def test_bad_parameter_fails_once_on_rank_0(tmp_path):
    run = mpirun(3, ["--param", "x=bad:1", "--db", str(tmp_path / "b.db")], timeout=60)
    assert run.returncode == 2
    assert len(errors(run.stderr)) == 1, run.stderr
    assert "parameter 'x'" in errors(run.stderr)[0]
    assert not (tmp_path / "b.db").exists()


def test_no_agent_and_no_rank_0_workers_is_refused(tmp_path):
    run = mpirun(1, ["--param", "x=int:1:5", "--db", "none"], timeout=60)
    assert run.returncode == 2
    assert len(errors(run.stderr)) == 1 and "--mpi-driver-workers" in run.stderr, run.stderr


def test_data_file_differing_on_an_agent_is_named(tmp_path):
    data = tmp_path / "px.csv"
    with open(data, "w") as f:
        f.write("t,A\n" + "".join(f"{i},{100 + (i * 7919) % 13}\n" for i in range(300)))
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs a mount namespace (root) to show an agent another file")
    args = ["--mpi", "-j", "1", "--objective", "ma_cross", "--data", str(data),
            "--column", "A", "--param", "f=int:2:5", "--param", "s=int:10:20", "-q",
            "--db", str(tmp_path / "d.db")]
    agent = ["unshare", "-m", "sh", "-c",
             f"mount --bind /dev/null {data} && exec {CLI} run " + " ".join(args)]
    run = subprocess.run([MPIRUN, "-np", "1", CLI, "run", *args, ":", "-np", "2", *agent],
                         env=ENV, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert len(errors(run.stderr)) == 1, run.stderr
    assert f"input file '{data}'" in run.stderr and "not the driver's" in run.stderr
    assert "rank 1" in run.stderr or "rank 2" in run.stderr
    assert not (tmp_path / "d.db").exists(), "a store of a sweep that never ran"


def test_waiting_ranks_leave_the_cpus_to_the_workers(tmp_path):
    # 100 tasks of 20 ms on two agents: ~1 s in which rank 0 and the agents
    # only wait.  Blocking MPI calls would busy-poll: three processes, two
    # CPUs' worth of time.  What the whole job may use: a quarter of one.
    cmd = [MPIRUN, "-np", "3", CLI, "run", "--mpi", "-j", "1", "--objective", "sleep",
           "--param", "x=choice:20", "--param", "i=int:1:100", "-q", "--db", "none"]
    t0 = time.monotonic()
    job = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    _, status, usage = os.wait4(job.pid, 0)
    wall = time.monotonic() - t0
    job.returncode = os.waitstatus_to_exitcode(status)
    job.stderr.close()
    assert job.returncode == 0
    cpu = usage.ru_utime + usage.ru_stime
    # Start-up (MPI, the engines' forks) is in the figure too.
    assert wall > 0.9
    assert cpu < 0.25 * wall + 0.5, f"{cpu:.2f} s of CPU in {wall:.2f} s"


PY_JOB = """
import sys, ringsweep as rs

def backtest(x, y, k):
    if x > 4.0:
        raise ValueError(f"no trades for x={x:.3f}")
    # "told": the seq the evaluation is told, which must be rank 0's on
    # every agent (the same as in a local sweep).
    return {"value": (x - 1.5) ** 2 + (y + 0.5) ** 2 + k, "trades": int(10 * abs(y)),
            "told": rs.task().seq}

space = rs.Space(x=rs.Float(-5, 5), y=rs.Float(-5, 5), k=rs.Int(0, 3))
backend, algo, out = sys.argv[1:4]
study = rs.sweep(backtest, space, algo=algo, n_evals=80, seed=3, n_jobs=1,
                 metrics=["trades", "told"], backend=backend, results_csv=out,
                 progress=False)
rank = rs.mpi_rank() if backend == "mpi" else 0
with open(f"{out}.rank{rank}", "w") as f:
    f.write("study" if study is not None else "None")
"""


@pytest.mark.parametrize("algo", ["random", "bayes"])
def test_python_backend_mpi_gives_the_local_results(tmp_path, algo):
    if "RSW_PYTHON" not in os.environ:
        pytest.skip("the Python module is not built")
    job = tmp_path / "job.py"
    job.write_text(PY_JOB)
    env = dict(ENV, PYTHONPATH=os.environ.get("RSW_PYTHONPATH", ""))
    py = os.environ["RSW_PYTHON"]
    # A sanitizer build's module needs its runtime in every interpreter
    # (mpirun passes it on to the ranks, not to itself).
    sanitizer = os.environ.get("RSW_PY_PRELOAD")
    preload = ["-x", "LD_PRELOAD=" + sanitizer] if sanitizer else []
    ref = subprocess.run([py, str(job), "local", algo, str(tmp_path / "local.csv")],
                         env=dict(env, LD_PRELOAD=sanitizer) if sanitizer else env,
                         capture_output=True, text=True, timeout=HANG_GUARD)
    assert ref.returncode == 0, ref.stderr
    run = subprocess.run([MPIRUN, *preload, "-np", "3", py, str(job), "mpi", algo,
                          str(tmp_path / "mpi.csv")], env=env, capture_output=True,
                         text=True, timeout=HANG_GUARD)
    assert run.returncode == 0, run.stderr
    assert [read(f"{tmp_path}/mpi.csv.rank{r}") for r in range(3)] == \
        ["study", "None", "None"]
    local_csv = read(tmp_path / "local.csv")
    assert read(tmp_path / "mpi.csv") == local_csv
    # The objective's failures travelled too: status and text.
    assert "no trades for x=" in local_csv


def test_an_agents_workers_are_not_held_to_its_core(tmp_path):
    # With two ranks on two CPUs mpirun binds each rank to one core; the
    # agent's workers must still get every CPU the job may use.
    cmd = [MPIRUN, "-np", "2", CLI, "run", "--mpi", "-j", "2", "--objective", "sleep",
           "--param", "x=choice:20", "--param", "i=int:1:200", "-q", "--db", "none"]
    job = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    allowed = []
    deadline = time.monotonic() + 30
    while len(allowed) < 2 and time.monotonic() < deadline and job.poll() is None:
        allowed = []
        for pid in descendants(job.pid, 3):
            try:
                allowed.append(os.sched_getaffinity(pid))
            except OSError:
                pass
        time.sleep(0.05)
    _, err = job.communicate(timeout=HANG_GUARD)
    assert job.returncode == 0, err
    assert len(allowed) == 2, "the agent's two workers were not seen"
    for cpus in allowed:
        assert cpus == os.sched_getaffinity(0), cpus


PY_TWO = """
import os, sys, ringsweep as rs

space = rs.Space(x=rs.Float(-5, 5), y=rs.Int(0, 9))
out = sys.argv[1]
rank = rs.mpi_rank()


def dies_on_rank_2(x, y):
    # Every worker of rank 2 dies: a crash loop there fails the first
    # sweep at once, while rank 1 still streams its results.
    if os.environ.get("OMPI_COMM_WORLD_RANK") == "2":
        os._exit(3)
    return x * x + y


try:
    rs.sweep(dies_on_rank_2, space, algo="random", n_evals=2_000_000, seed=1,
             n_jobs=1, backend="mpi", progress=False)
    first = "ran"
except rs.SweepError as e:
    first = "failed" if "rank 2" in str(e) and "crash loop" in str(e) else str(e)
study = rs.sweep(lambda x, y: (x - 1) ** 2 + y, space, algo="random", n_evals=3000,
                 seed=9, n_jobs=1, backend="mpi", results_csv=out, progress=False)
with open(f"{out}.rank{rank}", "w") as f:
    f.write(first + (" study" if study is not None else " None"))
"""


def test_a_sweep_stopped_at_once_leaves_nothing_to_the_next(tmp_path):
    if "RSW_PYTHON" not in os.environ:
        pytest.skip("the Python module is not built")
    job = tmp_path / "two.py"
    job.write_text(PY_TWO)
    sanitizer = os.environ.get("RSW_PY_PRELOAD")
    env = dict(ENV, PYTHONPATH=os.environ.get("RSW_PYTHONPATH", ""))
    local = subprocess.run(
        [os.environ["RSW_PYTHON"], "-c",
         "import sys, ringsweep as rs; rs.sweep(lambda x, y: (x - 1) ** 2 + y, "
         "rs.Space(x=rs.Float(-5, 5), y=rs.Int(0, 9)), algo='random', n_evals=3000, "
         "seed=9, n_jobs=2, results_csv=sys.argv[1], progress=False)",
         str(tmp_path / "local.csv")],
        env=dict(env, LD_PRELOAD=sanitizer) if sanitizer else env,
        capture_output=True, text=True, timeout=HANG_GUARD)
    assert local.returncode == 0, local.stderr
    preload = ["-x", "LD_PRELOAD=" + sanitizer] if sanitizer else []
    run = subprocess.run([MPIRUN, *preload, "-np", "3", os.environ["RSW_PYTHON"], str(job),
                          str(tmp_path / "mpi.csv")], env=env, capture_output=True,
                         text=True, timeout=HANG_GUARD)
    assert run.returncode == 0, run.stderr
    assert [read(f"{tmp_path}/mpi.csv.rank{r}") for r in range(3)] == \
        ["failed study", "ran None", "ran None"]
    assert read(tmp_path / "mpi.csv") == read(tmp_path / "local.csv")
