"""Getting many runs done: from the store when they are there, on an executor when not.

``compute_runs`` takes jobs (a scenario and its seeds), serves every run the store already has,
cuts the rest into tasks of a batch of seeds, runs them on the executor and writes each finished
run to the store as soon as its task returns. A sweep killed at any moment and started again
therefore loses no finished task and redoes no stored run. ``RunCounts`` tells how many runs
came from where (the resume test counts them).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

from sim.config import Scenario
from sim.experiment.executors import (
    BATCH_SEEDS,
    CompactRun,
    Executor,
    SerialExecutor,
    Task,
    batches,
    run_task,
)
from sim.experiment.store import RunStore

Job = tuple[Scenario, Sequence[int]]


@dataclass
class RunCounts:
    """Runs computed now and runs served from the store."""

    computed: int = 0
    stored: int = 0


def compute_runs(
    jobs: Sequence[Job],
    executor: Executor | None = None,
    store: RunStore | None = None,
    *,
    progress: bool = False,
    desc: str = "runs",
    batch: int = BATCH_SEEDS,
    counts: RunCounts | None = None,
) -> list[dict[int, CompactRun]]:
    """For each job, seed -> its run, from the store or computed (and then stored)."""
    executor = executor if executor is not None else SerialExecutor()
    counts = counts if counts is not None else RunCounts()
    found: list[dict[int, CompactRun]] = []
    tasks: list[Task] = []
    owners: list[int] = []
    for index, (scenario, seeds) in enumerate(jobs):
        have = store.get_many(scenario, seeds) if store is not None else {}
        found.append(have)
        counts.stored += len(have)
        missing = [s for s in seeds if s not in have]
        for chunk in batches(missing, batch):
            tasks.append(Task(scenario, chunk))
            owners.append(index)
    if not tasks:  # everything was stored: no executor (no cluster connection) needed
        return found
    total = sum(len(seeds) for _, seeds in jobs)
    with tqdm(
        total=total,
        initial=counts.stored,
        desc=desc,
        unit="run",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        for task_index, runs in executor.imap(run_task, tasks):
            job = owners[task_index]
            scenario = tasks[task_index].scenario
            for run in runs:
                if store is not None:
                    store.put(scenario, run)
                found[job][run.seed] = run
            counts.computed += len(runs)
            bar.update(len(runs))
    return found


def results_in_order(
    found: dict[int, CompactRun], seeds: Sequence[int], months: int | None = None
) -> list[Any]:
    """``RunResult`` objects in seed order, rebuilt from compact runs; ``months``: the horizon of
    the scenario they were run for (their summaries are then reused as they are)."""
    return [found[seed].to_result(months) for seed in seeds]


class StoredRuns(Sequence[Any]):
    """An ensemble's runs, read from the store only when asked for (recomputed if missing):
    an ensemble served whole from the store costs no run reads unless its series are used."""

    def __init__(self, store: RunStore, scenario: Scenario, seeds: Sequence[int]) -> None:
        self._store, self._scenario, self._seeds = store, scenario, list(seeds)
        self._cache: dict[int, Any] = {}

    def __len__(self) -> int:
        return len(self._seeds)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        seed = self._seeds[index]
        if seed not in self._cache:
            run = self._store.get(self._scenario, seed)
            if run is None:
                [run] = run_task(Task(self._scenario, (seed,)))
                self._store.put(self._scenario, run)
            self._cache[seed] = run.to_result()
        return self._cache[seed]

    def __repr__(self) -> str:
        return f"StoredRuns({len(self)} runs)"
