"""Runs for the dashboard: a worker pool, a store of finished runs, and progressive refinement.

No Streamlit and no model logic here: runs come from ``sim.run`` and ensemble statistics from
``sim.experiment.ensemble``; this module only schedules them so a slider never freezes the page.

* ``RunStore``: finished runs by (scenario key, seed), least recently used dropped first. A run
  is computed once per process, whichever page or session asked for it.
* ``Engine.refine(jobs, seeds, stages)``: a generator. It asks the dispatcher for every missing
  run of every side (seed 0 of A, seed 0 of B, seed 1 of A, ...), yields a ``Tick`` each time a
  run finishes and a ``Stage`` each time every side has the first ``stages[i]`` seeds, so the
  page can draw a small ensemble at once and refine it. Closing the generator (Streamlit stops a
  script run when a slider moves) takes back the runs not yet started; runs already started
  finish in the background and land in the store.
* ``Dispatcher``: fair across sessions. The pool holds only as many runs as it has workers; the
  rest wait ordered by refinement stage, then by who asked first: every open comparison's first
  redraw comes before any comparison's refinement, and eight tables moving sliders at once each
  see their first picture after the other tables' first pictures, not after their whole
  ensembles.
* ``aggregate(scenario, runs)``: bands, summary and per-run table of one side, assembled by
  ``sim.experiment.ensemble.run_ensemble`` from the runs already computed.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import importlib
import itertools
import multiprocessing
import os
import sys
import threading
import time
import types
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

DEFAULT_STAGES: tuple[int, ...] = (4, 12)
"""Runs per side drawn first, then refined through these, then all seeds."""


def stages_for(seeds: int, stages: Sequence[int] = DEFAULT_STAGES) -> list[int]:
    """The refinement steps for an ensemble of ``seeds`` runs per side, ending at ``seeds``.

    The first stage is always drawn (the first picture); a later one only when it is at most a
    third of ``seeds``: a stage close to the end is redrawn again soon after, and every redraw
    costs the browser ~0.4 s of CPU (nine charts) that the workers and the other sessions need.
    For 32 seeds: 4, then 32 (12 dropped); for 48 or more: 4, 12, then all.
    """
    wanted = sorted(s for s in stages if 0 < s < seeds)
    kept = wanted[:1] + [s for s in wanted[1:] if 3 * s <= seeds]
    return sorted(set(kept) | {seeds})


# --------------------------------------------------------------------------------------------
# The worker side
# --------------------------------------------------------------------------------------------


def run_job(scenario_json: str, seed: int, attribute: bool = False) -> Any:
    """One run (called in a worker process, or inline).

    Slider moves skip the loop attribution (a second, counterfactual run for every death); the
    One-run page asks for it, where the debrief reads it.
    """
    from sim.config import Scenario
    from sim.experiment.runner import run

    scenario = Scenario.model_validate_json(scenario_json)
    if not attribute:
        stored = stored_run(scenario, seed)
        if stored is not None:
            return stored
    result = run(scenario, seed=seed, attribute=attribute)
    # A run's frames are made when first read: its series here, in the worker (the server then
    # unpickles a frame instead of building one for its bands); its events on the server, only
    # when the One-run page tells the story. The summary's attribution rerun (made when the
    # summary is first read) is made here too when asked for, not in the server.
    result.series  # noqa: B018
    result.summary  # noqa: B018
    return result


def stored_run(scenario: Any, seed: int) -> Any | None:
    """The run from the project's run store (``sim.experiment.store``: what `sim check`, sweeps
    and earlier sessions computed), or None. Read only: a slider move's runs skip the loop
    attribution, so they are not the complete runs the store keeps. Its events are not stored:
    the One-run page reruns a company it tells the story of."""
    from sim.experiment.store import default_store

    store = default_store()
    found = store.get(scenario, seed) if store is not None else None
    return None if found is None else found.to_result(scenario.months)


WORKER_NICENESS = 10
"""Workers run at a lower priority than the server and the browser: drawing the first small
ensemble and answering the next slider move come before refining the last one."""


SERVER_WATCH_S = 1.0
"""How often a worker checks that the server that started it is still there (seconds)."""


def _worker_init(server: int) -> None:
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # not permitted here: run at normal priority
        pass
    # The worker's parent is the forkserver, which a killed server can leave behind: watch the
    # server itself, and end with it.
    threading.Thread(target=_watch_server, args=(server,), daemon=True).start()


def _watch_server(server: int) -> None:
    while True:
        time.sleep(SERVER_WATCH_S)
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # a pid reused by someone else's process: the server is gone
            os._exit(0)


def _warm() -> int:
    import sim.experiment.runner  # noqa: F401  (import the model once per worker)
    from sim.model import kernels

    # A worker simulates thousands of months: the compiled pass from the first one (same numbers).
    os.environ.setdefault(kernels.KERNELS_ENV, "compiled")
    kernels.warm()
    settle_heap()  # the model's modules: a full collection in a worker no longer walks them

    return os.getpid()


def settle_heap(modules: Sequence[str] = ()) -> None:
    """Import ``modules``, collect once, then freeze every object alive now (``gc.freeze``).

    A long-lived process's heap is mostly what its imports made (numpy, pandas, plotly, mesa,
    Streamlit: ~125,000 objects in the server before a single run). Python's full collection
    walks all of them: 40 ms after the imports, 130-170 ms in a server that has served a few
    moves, holding the GIL. Frozen objects are never walked again (nor collected: that is why
    this runs once, after start-up, when nothing alive is garbage yet); everything made later is
    collected as before. Call once per process, after its imports.
    """
    for name in modules:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()


SERVER_MODULES = (
    "sim.experiment.ensemble",  # the pages' aggregation (imported on the first comparison)
    "sim.experiment.runner",
    "sim.analysis.debrief",
)
"""Modules the dashboard's server imports lazily, imported before its heap is frozen."""


_SPAWN_LOCK = threading.Lock()


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Hide ``__main__`` while the pool may start a worker.

    Streamlit runs the page script as ``__main__``; a new worker process (forkserver or spawn)
    would import that script again and start the app inside the worker. A bare ``__main__``
    without a file makes the worker import nothing but what the job needs.
    """
    with _SPAWN_LOCK:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if saved is not None:
                sys.modules["__main__"] = saved


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


class RunStore:
    """Finished runs by (scenario key, seed); thread-safe; least recently used dropped first."""

    def __init__(self, capacity: int = 3000) -> None:
        self.capacity = capacity
        self._runs: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, seed: int) -> Any | None:
        with self._lock:
            run = self._runs.get((key, seed))
            if run is not None:
                self._runs.move_to_end((key, seed))
            return run

    def put(self, key: str, seed: int, run: Any) -> None:
        with self._lock:
            self._runs[(key, seed)] = run
            self._runs.move_to_end((key, seed))
            while len(self._runs) > self.capacity:
                self._runs.popitem(last=False)

    def has(self, key: str, seeds: int) -> bool:
        with self._lock:
            return all((key, s) in self._runs for s in range(seeds))

    def runs(self, key: str, seeds: int) -> list[Any]:
        """The first ``seeds`` runs of a scenario (all must be present)."""
        out = [self.get(key, s) for s in range(seeds)]
        missing = [s for s, r in zip(range(seeds), out) if r is None]
        if missing:
            raise KeyError(f"runs not computed yet: seeds {missing[:5]}")
        return out

    def count(self, key: str, seeds: int) -> int:
        """How many of the first ``seeds`` runs are present, counting from seed 0 without a gap."""
        with self._lock:
            n = 0
            while n < seeds and (key, n) in self._runs:
                n += 1
            return n

    def __len__(self) -> int:
        return len(self._runs)


# --------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One side to compute: a cache key (the scenario's canonical JSON) and the scenario JSON."""

    side: str
    key: str
    scenario_json: str


@dataclass(frozen=True)
class Tick:
    done: int
    total: int


@dataclass(frozen=True)
class Stage:
    seeds: int  # runs per side now available (seeds 0 .. seeds-1)
    final: bool
    elapsed_s: float


class Dispatcher:
    """Hands runs to the pool a few at a time, lowest seed first, whoever asked.

    The pool itself serves first come, first served: one table's 64 runs queued ahead of another
    table's first picture. Here the pool only ever holds ``slots`` runs; the rest wait in a
    priority queue ordered by (stage, requester, seed): the first stage of every open
    comparison (its first redraw) runs before the later stages of any of them, and first stages
    are served in the order they were asked for. A requester that
    goes away (a closed refinement) takes back its runs that have not started, unless another
    requester wants them too.
    """

    def __init__(self, engine: Engine, slots: int) -> None:
        self._engine = engine
        self._slots = slots
        self._cv = threading.Condition()
        # heap of (stage, requester, seed, order, run key): stage by stage, first asker first
        self._queue: list[tuple[int, int, int, int, tuple[str, int]]] = []
        self._waiting: dict[tuple[str, int], tuple[str, set[int]]] = {}  # json, requesters
        self._running: dict[tuple[str, int], Future] = {}
        self._failed: dict[tuple[str, int], BaseException] = {}
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self.started: deque[tuple[str, int]] = deque(maxlen=4096)  # dispatch order, for tests

    def request(self, requester: int, job: Job, seed: int, stage: int = 0) -> None:
        """Ask for one run (no-op when it is running or already asked for). ``stage``: the
        refinement step the run belongs to (0: the first redraw); lower stages go first, then
        earlier requesters, then lower seeds."""
        run_key = (job.key, seed)
        with self._cv:
            self._failed.pop(run_key, None)
            if run_key in self._running:
                return
            entry = self._waiting.get(run_key)
            if entry is not None:
                entry[1].add(requester)
                return
            self._waiting[run_key] = (job.scenario_json, {requester})
            heapq.heappush(self._queue, (stage, requester, seed, next(self._order), run_key))
            self._start_thread()
            self._cv.notify_all()

    def release(self, requester: int) -> None:
        """Take back every run this requester asked for that nobody else wants and has not
        started."""
        with self._cv:
            for run_key in list(self._waiting):
                wanted_by = self._waiting[run_key][1]
                wanted_by.discard(requester)
                if not wanted_by:
                    del self._waiting[run_key]

    def failure(self, run_key: tuple[str, int]) -> BaseException | None:
        with self._cv:
            return self._failed.get(run_key)

    def pending(self) -> int:
        """Runs asked for and not finished (waiting or running)."""
        with self._cv:
            return len(self._waiting) + len(self._running)

    def running(self) -> list[Future]:
        with self._cv:
            return list(self._running.values())

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._waiting.clear()
            self._queue.clear()
            self._cv.notify_all()

    def _start_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="sim-dispatch", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopped and not (self._queue and len(self._running) < self._slots):
                    self._cv.wait()
                if self._stopped:
                    return
                *_, run_key = heapq.heappop(self._queue)
                entry = self._waiting.pop(run_key, None)
                if entry is None:  # taken back since it was queued
                    continue
                pool = self._engine.pool()
                assert pool is not None
                with _plain_main():
                    future = pool.submit(run_job, entry[0], run_key[1])
                self._running[run_key] = future
                self.started.append(run_key)
            future.add_done_callback(lambda f, k=run_key: self._finished(k, f))

    def _finished(self, run_key: tuple[str, int], future: Future) -> None:
        if not future.cancelled():
            error = future.exception()
            if error is None:
                self._engine.store.put(run_key[0], run_key[1], future.result())
            else:
                with self._cv:
                    self._failed[run_key] = error
        with self._cv:
            self._running.pop(run_key, None)
            self._cv.notify_all()
        self._engine.landed()


HOLD_S = 1.5
"""Longest a comparison holds back a refined stage while another comparison still waits for its
first picture (``Engine.refine``)."""

STALE_WAIT_S = 60.0
"""A comparison waiting for its first picture longer than this no longer holds others back."""

AFTERMATH_STAGE = 1_000
"""Dispatcher stage of the runs a comparison asks for after its last stage (``runs_for``: the
deaths rerun with the loop cut): after every refinement step of every open comparison."""


@dataclass
class Engine:
    """Computes runs in a pool of worker processes (``workers=0``: inline, one at a time)."""

    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    store: RunStore = field(default_factory=RunStore)
    poll_s: float = 0.02
    hold_s: float = HOLD_S

    def __post_init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._requesters = itertools.count(1)
        self.dispatcher = Dispatcher(self, slots=max(1, self.workers))
        self._awaiting_first: dict[int, float] = {}  # requester -> when it asked
        self._prefetched: dict[str, int] = {}  # owner (a session) -> its prefetch's requester
        self._landing = threading.Condition()
        self._landings = 0  # runs finished (or failed) so far: what a waiting refine wakes on

    # -- pool ---------------------------------------------------------------------------------
    def pool(self) -> ProcessPoolExecutor | None:
        if self.workers <= 0:
            return None
        with self._lock:
            if self._pool is None:
                # forkserver: never fork the threaded Streamlit server itself.
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["sim.experiment.runner", "sim.experiment.store"])
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=ctx,
                    initializer=_worker_init,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def warm_up(self, wait: bool = True) -> None:
        """Start the workers and import the model in each (so the first slider move is fast)."""
        pool = self.pool()
        if pool is not None:
            with _plain_main():
                futures = [pool.submit(_warm) for _ in range(self.workers)]
            if wait:
                for f in futures:
                    f.result()

    def shutdown(self) -> None:
        self.dispatcher.stop()
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    # -- scheduling ---------------------------------------------------------------------------
    def prefetch(
        self,
        jobs: Sequence[Job],
        seeds: int,
        stages: Sequence[int] = DEFAULT_STAGES,
        owner: str = "",
    ) -> None:
        """Ask for the first stage's runs now, ahead of the ``refine`` that will want them.

        A slider's callback calls this before the page's script draws the sidebar (~50 ms), so
        the workers start on the new comparison's first picture that much earlier. ``owner``'s
        next ``refine`` takes the runs over; a newer prefetch by the same owner (the slider
        moved again) takes back the older one's runs that have not started.
        """
        if self.workers <= 0 or not jobs:
            return
        first = stages_for(seeds, stages)[0]
        requester = next(self._requesters)
        with self._lock:
            older = self._prefetched.pop(owner, None)
            self._prefetched[owner] = requester
        for s in range(first):
            for job in jobs:
                if self.store.get(job.key, s) is None:
                    self.dispatcher.request(requester, job, s, 0)
        if older is not None:
            self.dispatcher.release(older)

    def landed(self) -> None:
        """A run finished (or failed): wake the comparisons waiting for runs."""
        with self._landing:
            self._landings += 1
            self._landing.notify_all()

    def _wait_landing(self, since: int) -> None:
        """Until a run lands after the ``since``-th landing, ``poll_s`` at most."""
        with self._landing:
            if self._landings == since:
                self._landing.wait(self.poll_s)

    def refine(
        self,
        jobs: Sequence[Job],
        seeds: int,
        stages: Sequence[int] = DEFAULT_STAGES,
        owner: str | None = None,
    ) -> Iterator[Tick | Stage]:
        """Compute the first ``seeds`` runs of every job, yielding ticks and stages (see module).

        ``owner``: whose ``prefetch`` this comparison takes over (a session's)."""
        start = time.perf_counter()
        targets = stages_for(seeds, stages)
        # Skip stages already complete: a cached comparison shows in one go, and one with at
        # least a first stage's runs (a prefetch done, a move back to a value left half-way)
        # shows what it has at once, then refines.
        have = min(self.store.count(j.key, seeds) for j in jobs) if jobs else seeds
        if have >= seeds:
            targets = [seeds]
        elif have >= targets[0]:
            targets = [have] + [t for t in targets if t > have]
        wanted = [
            (job, s) for s in range(seeds) for job in jobs if self.store.get(job.key, s) is None
        ]
        total = len(jobs) * seeds
        if self.workers <= 0:
            yield from self._refine_inline(jobs, wanted, targets, seeds, total, start)
            return
        requester = next(self._requesters)
        stage_of = {s: bisect.bisect_right(targets, s) for s in range(seeds)}
        with self._lock:
            self._awaiting_first[requester] = time.monotonic()
        for job, s in wanted:
            self.dispatcher.request(requester, job, s, stage_of[s])
        if owner is not None:
            with self._lock:
                prefetched = self._prefetched.pop(owner, None)
            if prefetched is not None:  # its runs are this comparison's now, or not wanted
                self.dispatcher.release(prefetched)
        try:
            for index, target in enumerate(targets):
                while True:
                    landings = self._landings
                    missing = [
                        (j, s)
                        for j in jobs
                        for s in range(target)
                        if self.store.get(j.key, s) is None
                    ]
                    if not missing:
                        break
                    self._ask_again(requester, missing, stage_of.__getitem__)
                    self._wait_landing(landings)  # woken by the run that lands, not a 20 ms tick
                    yield Tick(self._done(jobs, seeds), total)
                if index == 0:
                    with self._lock:
                        self._awaiting_first.pop(requester, None)
                else:
                    # Drawing a refined stage (aggregating, building and sending nine charts,
                    # and the browser drawing them) takes the CPU another table's first
                    # picture needs: hold it back while one is still to come, a while at most.
                    held = time.monotonic()
                    while self.others_awaiting_first(requester) and (
                        time.monotonic() - held < self.hold_s
                    ):
                        time.sleep(self.poll_s)
                        yield Tick(self._done(jobs, seeds), total)
                yield Stage(target, target == seeds, time.perf_counter() - start)
        finally:
            with self._lock:
                self._awaiting_first.pop(requester, None)
            self.dispatcher.release(requester)

    def runs_for(self, wanted: Sequence[tuple[Job, int]]) -> Iterator[Tick]:
        """Compute these runs (a job and a seed each), after every refinement step of every open
        comparison (``AFTERMATH_STAGE``), yielding a tick as runs land, until all are stored.
        Closing the iterator takes back the runs not started."""
        total = len(wanted)
        todo = [(job, s) for job, s in wanted if self.store.get(job.key, s) is None]
        if self.workers <= 0:
            for n, (job, s) in enumerate(todo, start=1):
                self.store.put(job.key, s, run_job(job.scenario_json, s))
                yield Tick(total - len(todo) + n, total)
            return
        requester = next(self._requesters)
        for job, s in todo:
            self.dispatcher.request(requester, job, s, AFTERMATH_STAGE)
        try:
            while True:
                landings = self._landings
                missing = [(job, s) for job, s in todo if self.store.get(job.key, s) is None]
                if not missing:
                    break
                self._ask_again(requester, missing, lambda _seed: AFTERMATH_STAGE)
                self._wait_landing(landings)
                yield Tick(total - len(missing), total)
        finally:
            self.dispatcher.release(requester)

    def _ask_again(
        self, requester: int, missing: Sequence[tuple[Job, int]], stage: Callable[[int], int]
    ) -> None:
        """Raise a missing run's failure; ask again for the others (a no-op unless another
        requester took one back meanwhile). ``stage``: a seed's dispatcher stage."""
        for job, s in missing:
            error = self.dispatcher.failure((job.key, s))
            if error is not None:
                raise error
            self.dispatcher.request(requester, job, s, stage(s))

    def others_awaiting_first(self, requester: int) -> bool:
        """Whether a comparison other than ``requester``'s still waits for its first picture."""
        now = time.monotonic()
        with self._lock:
            return any(
                other != requester and now - since < STALE_WAIT_S
                for other, since in self._awaiting_first.items()
            )

    def _done(self, jobs: Sequence[Job], seeds: int) -> int:
        return sum(self.store.count(j.key, seeds) for j in jobs)

    def _refine_inline(
        self,
        jobs: Sequence[Job],
        wanted: list[tuple[Job, int]],
        targets: list[int],
        seeds: int,
        total: int,
        start: float,
    ) -> Iterator[Tick | Stage]:
        todo = list(wanted)
        for target in targets:
            while todo and todo[0][1] < target:
                job, s = todo.pop(0)
                self.store.put(job.key, s, run_job(job.scenario_json, s))
                yield Tick(self._done(jobs, seeds), total)
            yield Stage(target, target == seeds, time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Aggregation of one side
# --------------------------------------------------------------------------------------------


@dataclass
class SideResult:
    """What the compare page draws for one side."""

    bands: pd.DataFrame
    summary: dict[str, Any]
    summaries: pd.DataFrame
    deaths: list[int]
    runs: int


def aggregate(scenario: Any, runs: Sequence[Any]) -> SideResult:
    """Bands, ensemble summary and per-run table of some finished runs (seeds 0..len-1).

    Assembled by ``sim.experiment.ensemble.run_ensemble`` itself, handed the runs already computed,
    so the page shows exactly what `sim compare` reports for the same scenario and seeds.
    """
    from sim.experiment.ensemble import run_ensemble

    ensemble = run_ensemble(
        scenario,
        seeds=len(runs),
        workers=None,
        progress=False,
        runner=lambda _scenario, seed: runs[seed],
    )
    return SideResult(
        bands=ensemble.bands,
        summary=ensemble.summary,
        summaries=ensemble.summaries,
        deaths=[int(m) for m in ensemble.death_months],
        runs=len(runs),
    )


def aggregate_sides(results: Mapping[str, SideResult]) -> dict[str, Any]:
    """Convenience: the per-side pieces the chart builders take."""
    return {
        "bands": {s: r.bands for s, r in results.items()},
        "deaths": {s: r.deaths for s, r in results.items()},
        "runs": {s: r.runs for s, r in results.items()},
    }
