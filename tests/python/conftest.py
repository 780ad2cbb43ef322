"""tests/python/conftest.py - what every Python test shares: helpers to
run a script in a real interpreter of its own, to read a real store, and
the check, after every test, that it left no worker process and no
shared-memory arena behind."""
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import ringsweep as rs


def processes():
    """(pid, fields of /proc/PID/stat after the command name) of every
    process: fields[0] the state, [1] the parent, [3] the session."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                yield int(d), f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue


def children(pid=None):
    """The live (and zombie) child processes of pid (default: us)."""
    pid = pid or os.getpid()
    return [p for p, fields in processes() if int(fields[1]) == pid]


def arenas(pid=None):
    """This process's shared-memory arenas (/dev/shm/ringsweep-PID-...)."""
    pid = pid or os.getpid()
    return sorted(n for n in os.listdir("/dev/shm") if n.startswith(f"ringsweep-{pid}-"))


@pytest.fixture(autouse=True)
def leaves_nothing_behind():
    before = set(children())
    yield
    # A sweep's close waits for its supervisor, which reaps its workers:
    # once a call returned, nothing of it may be left.
    assert set(children()) - before == set(), "a process outlived its sweep"
    assert arenas() == [], "an arena outlived its sweep"


def table(study):
    """What must not depend on how a sweep ran: every column but the
    worker and the time taken, NaN compared as text."""
    return [tuple(repr(v) for k, v in t.items() if k not in ("worker", "elapsed_s"))
            for t in study.trials]


def script(tmp_path, code, name="job.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def start(path, *args):
    """A real interpreter running path, in a session of its own (so its
    workers can be told apart from ours)."""
    return subprocess.Popen([sys.executable, str(path), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def rows(db):
    """Rows a store holds now (read by another connection, as a person
    would), or 0 before its table exists."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
            return c.execute("SELECT count(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def outcome(db):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as c:
        return c.execute("SELECT value FROM sweep WHERE key = 'outcome'").fetchone()[0]


def wait_for(predicate, what, limit_s=60.0):
    """Polls predicate (a store filling, read by another process: there
    is nothing to wait on but the file) until it holds; fails after
    limit_s."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_gone(pids, limit_s=10.0):
    """Waits (on pidfds: no polling) until every pid has exited."""
    import select

    fds = []
    for pid in pids:
        try:
            fds.append(os.pidfd_open(pid))
        except ProcessLookupError:
            continue
    try:
        deadline = time.monotonic() + limit_s
        pending = list(fds)
        while pending:
            left = deadline - time.monotonic()
            ready, _, _ = select.select(pending, [], [], max(left, 0))
            if not ready:
                return False
            pending = [fd for fd in pending if fd not in ready]
        return True
    finally:
        for fd in fds:
            os.close(fd)


def session_members(sid):
    """Processes of session sid still alive (not zombies)."""
    return [p for p, fields in processes() if int(fields[3]) == sid and fields[0] != "Z"]
