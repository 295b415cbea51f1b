"""Where runs execute: serially, on local processes, or on a Dask cluster.

Work is cut into *tasks*, each one scenario and a batch of seeds (``BATCH_SEEDS`` by default);
a task returns one ``CompactRun`` per seed: the run's summary and its monthly series as plain
numpy columns (no pickled DataFrame, no events). Results come back as tasks finish, tagged with
the task's index, so a caller can store each one at once; the ensemble puts them in seed order,
so the numbers never depend on the executor or on the order of completion.

* ``SerialExecutor``: in this process, in order.
* ``ProcessExecutor``: joblib ``Parallel`` without a hard-coded backend, so an outer
  ``joblib.parallel_config(backend=...)`` (dask, ray, threading) is honoured; the default is
  joblib's own (loky processes). Its process workers die with the parent (``tied_parallel``).
* ``DaskExecutor``: ``dask.distributed`` at a scheduler address (``--scheduler ADDRESS`` or the
  ``SIM_SCHEDULER`` environment variable), or a ``distributed.Client`` handed in.

Every task pins BLAS/OpenMP thread pools to one thread (threadpoolctl), so W workers use W cores.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, ScenarioError
from sim.model import frame_of

SCHEDULER_ENV = "SIM_SCHEDULER"  # a dask.distributed scheduler address, e.g. tcp://host:8786
BATCH_SEEDS = 8  # seeds per task: big enough to amortise shipping, small enough to balance
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@dataclass
class CompactRun:
    """One finished run as it travels from a worker and sits in the store.

    ``columns``: the monthly series, column name -> numpy array (one entry per month), in the
    series' column order. ``to_result()`` rebuilds a ``RunResult`` with the same series (dtypes
    included) and summary; events are not carried (ensembles do not read them).
    """

    seed: int
    summary: dict[str, Any]
    columns: dict[str, np.ndarray] = field(repr=False)

    @classmethod
    def from_result(cls, result: Any, seed: int) -> CompactRun:
        if hasattr(result, "series_columns"):  # a RunResult: no frame built for this
            columns = {c: np.array(v, copy=True) for c, v in result.series_columns().items()}
        else:
            series = result.series
            columns = {str(c): series[c].to_numpy(copy=True) for c in series.columns}
        return cls(seed=int(seed), summary=dict(result.summary), columns=columns)

    @property
    def series(self) -> pd.DataFrame:
        return frame_of(self.columns)

    def to_result(self, summarized_months: int | None = None) -> Any:
        """The ``RunResult``; ``summarized_months``: the horizon its summary was made for by
        ``run`` (every compact run of a scenario comes from ``run`` of that scenario), so an
        ensemble reuses the summary instead of summarising the series again."""
        from sim.experiment.runner import RunResult

        return RunResult(
            series=self.series,
            summary=dict(self.summary),
            seed=self.seed,
            summarized_months=summarized_months,
        )


@dataclass(frozen=True)
class Task:
    """One unit of work: a scenario and a batch of seeds."""

    scenario: Scenario
    seeds: tuple[int, ...]


def run_task(task: Task) -> list[CompactRun]:
    """Run one task (module level, so every executor can ship it); BLAS pinned to one thread."""
    from threadpoolctl import threadpool_limits

    from sim.experiment.runner import run

    with threadpool_limits(limits=1):
        return [CompactRun.from_result(run(task.scenario, seed=s), s) for s in task.seeds]


def batches(seeds: Sequence[int], size: int = BATCH_SEEDS) -> list[tuple[int, ...]]:
    """``seeds`` cut into consecutive batches of at most ``size``."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, got {size}")
    return [tuple(seeds[i : i + size]) for i in range(0, len(seeds), size)]


TaskFn = Callable[[Any], Any]


class SerialExecutor:
    """Every task in this process, in order."""

    name = "serial"

    def imap(self, fn: TaskFn, tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for index, task in enumerate(tasks):
            yield index, fn(task)


_TIED: set[int] = set()
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """Make this process end when ``parent`` does (SIGTERM, SIGINT, kill -9, a closed session).

    On Linux the kernel sends SIGKILL to this process when its parent dies
    (``prctl(PR_SET_PDEATHSIG)``); if the parent is already gone, end now. Elsewhere a no-op
    (joblib's own shutdown still ends the workers of a parent that exits normally).
    """
    if os.getpid() in (_TIED | {parent}) or not sys.platform.startswith("linux"):
        return  # already tied, or not a worker at all (serial, threads): nothing to tie
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    _TIED.add(os.getpid())
    if os.getppid() != parent:  # the parent died before the tie was made
        os._exit(1)


def tied_parallel(n_jobs: int, return_as: str) -> Any:
    """A joblib ``Parallel`` (backend: whatever ``parallel_config`` says) whose process workers
    are tied to this process from their start.

    For loky (the default, and the one process backend that returns generators) the pool's
    ``initializer`` runs ``die_with_parent`` in every new worker before it takes any task.
    Tying in the task instead left a race: a worker started but not yet handed a task when the
    parent died (a slow start under load) was never tied, and an idle loky worker waits 300 s
    for work. Other backends (threading, dask, ray) get no initializer: their workers are not
    this process's children.
    """
    from joblib import Parallel
    from joblib.parallel import LokyBackend, get_active_backend

    backend, _ = get_active_backend()
    tie: dict[str, Any] = {}
    if isinstance(backend, LokyBackend):
        tie = {"initializer": die_with_parent, "initargs": (os.getpid(),)}
    return Parallel(n_jobs=n_jobs, return_as=return_as, **tie)


class ProcessExecutor:
    """joblib ``Parallel`` with ``workers`` jobs and whatever backend ``parallel_config`` says
    (loky processes unless an outer ``joblib.parallel_config`` chooses another)."""

    name = "processes"

    def __init__(self, workers: int) -> None:
        if workers == 0 or workers < -1:
            raise ValueError(
                f"workers must be None, a positive count or -1 (all CPUs), got {workers}"
            )
        self.workers = workers

    def imap(self, fn: TaskFn, tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from joblib import delayed

        for name in THREAD_ENV_VARS:  # inherited by fresh worker processes
            os.environ.setdefault(name, "1")
        pool = tied_parallel(self.workers, "generator_unordered")
        yield from pool(delayed(_indexed)(fn, i, task) for i, task in enumerate(tasks))


class DaskExecutor:
    """Tasks on a ``dask.distributed`` cluster: a scheduler address or a ready ``Client``."""

    name = "dask"

    def __init__(self, scheduler: str | Any) -> None:
        self.scheduler = scheduler

    def imap(self, fn: TaskFn, tasks: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import Client, as_completed

        own = isinstance(self.scheduler, str)
        client = _connect(Client, self.scheduler) if own else self.scheduler
        try:
            futures = [
                client.submit(_indexed, fn, i, task, pure=False) for i, task in enumerate(tasks)
            ]
            for _future, result in as_completed(futures, with_results=True):
                yield result
        finally:
            if own:
                client.close()


Executor = SerialExecutor | ProcessExecutor | DaskExecutor
CONNECT_TIMEOUT_S = 10


def _connect(client_class: Any, address: str) -> Any:
    """A Client at ``address``, or a one-line ScenarioError (exit 2) naming it."""
    try:
        return client_class(address, timeout=CONNECT_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a bad address
        raise ScenarioError(
            f"--scheduler {address}: cannot reach a dask scheduler there "
            f"({type(err).__name__}: {err})"
        ) from None


def _indexed(fn: TaskFn, index: int, task: Any) -> tuple[int, Any]:
    return index, fn(task)


def executor_for(workers: int | None = None, scheduler: str | Any | None = None) -> Executor:
    """The executor the options ask for: a scheduler (argument, else ``SIM_SCHEDULER``) means
    Dask; ``workers`` > 1 (or -1) local processes; otherwise serial."""
    scheduler = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if workers is None or workers == 1:
        return SerialExecutor()
    return ProcessExecutor(workers)
