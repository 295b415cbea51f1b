"""Ensembles: one scenario run over many seeds, summarised.

``run_ensemble`` runs ``sim.model.run(scenario, seed=s)`` for each seed, on an executor of
``sim.experiment.executors`` (serial, joblib processes under whatever ``joblib.parallel_config``
says, or Dask), reading and filling a ``RunStore`` when one is given, and gathers per-run
summaries, per-month quantile bands and the ensemble summary (survival rate with its Wilson
interval, spiral rate, medians).

Determinism: a run is a function of (scenario, seed) only and results are kept in seed order, so
the same seeds give the same ensemble whatever the number of workers.

Run summaries come from ``sim.analysis.summaries.summarize_run`` of each run's series (one
definition of survival, death and spiral for every caller), made once: a run from
``sim.experiment.runner.run`` carries it already; keys the model's own summary adds beyond
those are kept.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
from joblib import delayed
from tqdm import tqdm

from sim.analysis.bands import quantile_bands
from sim.analysis.summaries import summarize_ensemble, summarize_run
from sim.config import Scenario

BAND_COLUMNS: tuple[str, ...] = (
    "cash_usd",
    "runway_months",
    "arr_usd",
    "mrr_usd",
    "customers",
    "product_fit",
    "competitor_fit",
    "custom_share",
    "reps",
    "pressure",
    "win_rate",
    "bookings_usd",
    "complexity",
)
CI_ENV_VAR = "CI"  # set (to anything non-empty) by CI services: no progress bar there


class RunResult(Protocol):
    """What ``sim.model.run`` returns: the series, the model's summary and the event log."""

    series: pd.DataFrame
    summary: dict[str, Any]
    events: pd.DataFrame


Runner = Callable[..., RunResult]


@dataclass(frozen=True)
class Ensemble:
    """Runs of one scenario over many seeds, with their summaries and bands.

    ``summaries`` has one row per run (column ``seed`` first, then
    ``sim.analysis.summaries.RUN_METRICS``); ``bands`` comes from ``quantile_bands`` over
    ``BAND_COLUMNS``; ``summary`` from ``summarize_ensemble``; ``death_months`` lists the month of
    death of each run that died, in seed order.
    """

    scenario: Scenario
    seeds: list[int]
    runs: list[Any] = field(repr=False)
    summaries: pd.DataFrame = field(repr=False)
    bands: pd.DataFrame = field(repr=False)
    summary: dict[str, Any]
    death_months: list[int]

    @property
    def series(self) -> list[pd.DataFrame]:
        """Each run's per-month series, in seed order."""
        return [run.series for run in self.runs]


def run_ensemble(
    scenario: Scenario,
    seeds: int | Iterable[int] = 32,
    workers: int | None = None,
    progress: bool | None = None,
    *,
    runner: Runner | None = None,
    store: Any = None,
    scheduler: Any = None,
    counts: Any = None,
) -> Ensemble:
    """Run ``scenario`` once per seed and summarise.

    ``seeds``: N means seeds 0..N-1, or an explicit list. ``workers``: None or 1 runs serially;
    more uses that many joblib processes (-1: one per CPU, as joblib counts). ``progress``: show a
    tqdm bar on stderr; None shows it only on an interactive terminal outside CI. ``runner``
    replaces ``sim.model.run`` (tests); it must be picklable (a module-level function) when
    ``workers`` > 1. ``store``: a ``sim.experiment.store.RunStore`` to read runs from first and
    write computed runs to (model runs only, not a custom ``runner``). ``scheduler``: a Dask
    scheduler address or ``distributed.Client`` (default: ``SIM_SCHEDULER`` if set). ``counts``:
    a ``sim.experiment.runs.RunCounts`` to add the computed and stored runs to. Model runs
    travel compact (``executors.CompactRun``): ``runs`` carry each run's series and summary but
    no events (``sim.run`` gives one run's events).
    """
    seed_list = _seed_list(seeds)
    if runner is None:
        return _model_ensemble(scenario, seed_list, workers, progress, store, scheduler, counts)
    run = runner if runner is not None else _model_run()
    results = list(
        tqdm(
            _execute(run, scenario, seed_list, workers),
            total=len(seed_list),
            desc=scenario.name,
            unit="run",
            file=sys.stderr,
            disable=not _show_progress(progress),
        )
    )
    return _assemble(scenario, seed_list, results)


def _model_ensemble(
    scenario: Scenario,
    seed_list: list[int],
    workers: int | None,
    progress: bool | None,
    store: Any,
    scheduler: Any,
    counts: Any,
) -> Ensemble:
    """Model runs through the store and an executor: compact runs, reassembled in seed order."""
    from sim.experiment.executors import executor_for
    from sim.experiment.runs import StoredRuns, compute_runs, results_in_order

    if workers == 0:
        raise ValueError("workers must be None, a positive count or -1 (all CPUs), got 0")
    cached = store.get_ensemble(scenario, seed_list) if store is not None else None
    if cached is not None:
        if counts is not None:
            counts.stored += len(seed_list)
        return Ensemble(
            scenario=scenario,
            seeds=seed_list,
            runs=StoredRuns(store, scenario, seed_list),  # type: ignore[arg-type]
            summaries=pd.DataFrame(cached["rows"]),
            bands=cached["bands"],
            summary=cached["summary"],
            death_months=cached["death_months"],
        )
    [found] = compute_runs(
        [(scenario, seed_list)],
        executor_for(workers, scheduler),
        store,
        progress=_show_progress(progress),
        desc=scenario.name,
        counts=counts,
    )
    ensemble = _assemble(scenario, seed_list, results_in_order(found, seed_list, scenario.months))
    if store is not None:
        store.put_ensemble(
            scenario,
            seed_list,
            ensemble.summaries.to_dict("records"),
            ensemble.bands,
            ensemble.summary,
            ensemble.death_months,
        )
    return ensemble


def _model_run() -> Runner:
    from sim.experiment.runner import run

    return run


def _seed_list(seeds: int | Iterable[int]) -> list[int]:
    if isinstance(seeds, bool):
        raise TypeError("seeds must be a count or a list of seeds, got a bool")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        return list(range(seeds))
    seed_list = [int(seed) for seed in seeds]
    if not seed_list:
        raise ValueError("seeds must not be empty")
    if len(set(seed_list)) != len(seed_list):
        raise ValueError("seeds must not repeat")
    return seed_list


def _execute(
    run: Runner, scenario: Scenario, seeds: list[int], workers: int | None
) -> Iterator[RunResult]:
    """Results in seed order, serially or from joblib (backend: whatever parallel_config says)."""
    if workers is None or workers == 1:
        return (run(scenario, seed=seed) for seed in seeds)
    if workers == 0:
        raise ValueError("workers must be None, a positive count or -1 (all CPUs), got 0")
    from sim.experiment.executors import tied_parallel

    pool = tied_parallel(workers, "generator")  # backend: parallel_config; workers die with us
    return iter(pool(delayed(run)(scenario, seed=seed) for seed in seeds))


def _show_progress(progress: bool | None) -> bool:
    if progress is not None:
        return bool(progress)
    return sys.stderr.isatty() and not os.environ.get(CI_ENV_VAR)


def _assemble(scenario: Scenario, seeds: list[int], results: list[RunResult]) -> Ensemble:
    summaries = [_run_summary(result, scenario.months) for result in results]
    table = pd.DataFrame(
        [{"seed": seed, **summary} for seed, summary in zip(seeds, summaries, strict=True)]
    )
    return Ensemble(
        scenario=scenario,
        seeds=seeds,
        runs=results,
        summaries=table,
        bands=quantile_bands([result.series for result in results], BAND_COLUMNS, scenario.months),
        summary=summarize_ensemble(summaries),
        death_months=[s["month_of_death"] for s in summaries if s["month_of_death"] is not None],
    )


def _run_summary(result: RunResult, months: int) -> dict[str, Any]:
    """summarize_run of the series, plus any extra keys the model's own summary carries.

    A summary ``sim.experiment.runner.run`` made with ``summarize_run`` for the same horizon is
    taken as it is (the same function of the same series), not computed a second time.
    """
    if getattr(result, "summarized_months", None) == months:
        return dict(result.summary)
    summary = summarize_run(result.series, months)
    extra = {k: v for k, v in (getattr(result, "summary", None) or {}).items() if k not in summary}
    return summary | extra
