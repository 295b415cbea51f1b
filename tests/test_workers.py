"""No worker outlives its parent: `sim run --workers 2` ended by SIGTERM, SIGINT, SIGHUP (a closed
session) or SIGKILL while its pool is busy leaves no worker process behind (issue 16)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

RESET_AND_EXEC = """
import os, signal, sys
for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
    signal.signal(signum, signal.SIG_DFL)
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""
AS_TYPED = [sys.executable, "-c", RESET_AND_EXEC]
"""Python, started with the signals the tests send acting as for a command typed in a terminal,
however pytest itself was started: ``nohup`` ignores SIGHUP and a script's background job ignores
SIGINT, a child inherits both, and an ignored signal tests nothing. The launcher resets them and
execs (same process id) the arguments that follow."""
SIM = [*AS_TYPED, "-m", "sim.cli.entry"]


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":  # zombies have ended
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _describe(pid: int) -> str:
    """A stuck process as /proc shows it: its state, where it waits, its threads' states."""
    proc = Path(f"/proc/{pid}")
    try:
        stat = (proc / "stat").read_text()
        wchan = (proc / "wchan").read_text()
        threads = sorted(
            (t / "stat").read_text().split(") ")[1][0] for t in (proc / "task").iterdir()
        )
    except OSError as err:
        return f"unreadable ({err})"
    state = stat[stat.rindex(")") + 2]
    return f"state {state}, waiting in {wchan or '-'}, threads {''.join(threads)}"


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if state[state.rindex(")") + 2] != "Z":
            alive.add(pid)
    return alive


SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL)  # HUP: a closed session
LONG_RUNS = [
    "--months",
    "240",
    "--set",
    "market.size_scale=60",
    "--set",
    "company.initial_cash=1e9",
]
"""Runs of about 20 s each: a worker busy with one when its parent dies would finish it (and
fail the test) unless it ends with its parent."""


def test_no_worker_outlives_its_parent() -> None:
    """One busy `sim run --workers 2` per signal, all at once (the pools start in parallel)."""
    procs = {
        signum: subprocess.Popen(
            [*SIM, "run", "sales_led", "--seeds", "40", "--workers", "2", "--json", *LONG_RUNS],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own group: the signal reaches the parent only
        )
        for signum in SIGNALS
    }
    try:
        workers: dict[int, set[int]] = {signum: set() for signum in SIGNALS}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and min(map(len, workers.values())) < 2:
            time.sleep(0.3)
            workers = {signum: _children(proc.pid) for signum, proc in procs.items()}
        assert min(map(len, workers.values())) >= 2, f"a pool never started: {workers}"
        time.sleep(1.0)  # the workers are busy with runs
        for signum, proc in procs.items():
            workers[signum] = _children(proc.pid)
            os.kill(proc.pid, signum)
        for signum, proc in procs.items():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                name = signal.Signals(signum).name
                pytest.fail(f"sim run alive 30 s after {name}: {_describe(proc.pid)}")
        deadline = time.monotonic() + 10
        left = {s: _alive(w) for s, w in workers.items()}
        while any(left.values()) and time.monotonic() < deadline:
            time.sleep(0.2)
            left = {s: _alive(w) for s, w in workers.items()}
        outlived = {signal.Signals(s).name: sorted(p) for s, p in left.items() if p}
        assert not outlived, f"workers outlived their parent: {outlived}"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
            for pid in _alive(_children(proc.pid)):
                os.kill(pid, signal.SIGKILL)


IDLE_WORKER_POOL = """
import time
from sim.experiment.executors import ProcessExecutor
for _ in ProcessExecutor(2).imap(time.sleep, [600]):  # one worker busy, the other never fed
    pass
"""


def _loky_workers(pid: int) -> set[int]:
    found = set()
    for child in _children(pid):
        try:
            if b"LokyProcess" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
        except OSError:
            continue
    return found


def test_a_worker_without_a_task_dies_with_its_parent() -> None:
    """The parent killed while a worker has no task yet (workers tied only when a task ran
    outlived it by loky's 300 s idle timeout): every worker is tied when it starts."""
    proc = subprocess.Popen(
        [sys.executable, "-c", IDLE_WORKER_POOL],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    everyone: set[int] = set()
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 90
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            workers = _loky_workers(proc.pid)
        assert len(workers) >= 2, f"the pool never started: {workers}"
        everyone = _children(proc.pid)  # the workers and loky's resource trackers
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _alive(everyone) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(everyone), f"outlived their parent: {sorted(_alive(everyone))}"
    finally:
        if proc.poll() is None:
            proc.kill()
        for pid in _alive(_children(proc.pid) | everyone):
            os.kill(pid, signal.SIGKILL)


HANGING_TEARDOWN = """
import sys, threading, time
from sim.cli import entry
entry.INTERRUPT_GRACE_S = 1.0
def hangs():
    try:
        print("ready", flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        threading.Event().wait()  # a teardown that never ends
    return 0
entry.main = hangs
sys.exit(entry.console())
"""


def test_an_interrupted_sim_ends_even_when_its_teardown_hangs() -> None:
    """Ctrl-C starts a deadline: a process whose unwinding hangs ends with 130 once it passes."""
    proc = subprocess.Popen([*AS_TYPED, "-c", HANGING_TEARDOWN], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        os.kill(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
