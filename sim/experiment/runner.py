"""One run of the model: the series and events from the model, the summary from the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.attribution import ATTRIBUTION_KEYS, CUT_LINK, attribution, needs_counterfactual
from sim.analysis.summaries import summarize_run
from sim.config import Scenario
from sim.model import BOOL_COLUMNS, events_frame, frame_of, run_to_end


@dataclass
class RunResult:
    """One run: the month-by-month series, its summary and its events."""

    series: pd.DataFrame
    summary: dict[str, Any]
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    seed: int = 0
    summarized_months: int | None = None
    """The horizon ``summary`` was made for by ``summarize_run`` (None: not made by ``run``); an
    ensemble of the same horizon reuses it instead of summarising the series again."""

    def series_columns(self) -> dict[str, np.ndarray]:
        """The series' columns, name -> numpy array, in its order."""
        return {str(c): self.series[c].to_numpy() for c in self.series.columns}


class _RecordedRun(RunResult):
    """A ``RunResult`` made by ``run``: its series and events become DataFrames when first read.

    An ensemble keeps only the series' columns (``series_columns``) and the summary, and reads no
    events; the One-run page and ``sim run --out`` read both frames, built then from the same
    arrays and events as ``simulate`` builds them (the same frames).

    The summary of a death under a live return link is completed when first read: its attribution
    keys need the counterfactual rerun (a second run of the same seed), made then, once. A caller
    that reads only the series (a slider move's worker) never pays for it; every reader of the
    summary (ensembles, the run store, debriefs, ``sim check``) gets the same summary as before.
    """

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        events: list[dict[str, Any]],
        summary: dict[str, Any],
        seed: int,
        summarized_months: int,
        attribute_for: Scenario | None = None,
    ) -> None:
        self._columns: dict[str, np.ndarray] | None = columns
        self._events: list[dict[str, Any]] | None = events
        if attribute_for is None:
            self.summary = summary
        else:  # the attribution keys are added when the summary is first read
            self._unattributed: dict[str, Any] | None = summary
            self._attribute_for: Scenario | None = attribute_for
        self.seed = seed
        self.summarized_months = summarized_months

    def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
        if name == "summary" and self.__dict__.get("_attribute_for") is not None:
            summary = self._unattributed
            summary |= counterfactual_attribution(self._attribute_for, self.seed, summary)
            self.summary = summary
            self._unattributed = self._attribute_for = None
            return summary
        if name == "series" and self.__dict__.get("_columns") is not None:
            self.series = frame_of(self._columns)
            self._columns = None  # the frame holds them now
            return self.series
        if name == "events" and self.__dict__.get("_events") is not None:
            self.events = events_frame(self._events)
            self._events = None
            return self.events
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def series_columns(self) -> dict[str, np.ndarray]:
        columns = self.__dict__.get("_columns")
        return dict(columns) if columns is not None else super().series_columns()


def run(
    scenario: Scenario, seed: int = 0, months: int | None = None, attribute: bool = True
) -> RunResult:
    """Run one company for the scenario's horizon (or ``months``) with a given seed.

    ``attribute``: when the company dies with the return link live, rerun the same seed with the
    link cut and add the attribution keys to the summary (``loop_attributable``, ...). Without
    it the keys are None. The rerun is made when the summary is first read (``_RecordedRun``),
    so a caller that reads only the series does not pay for it.
    """
    if months is not None:
        scenario = scenario.with_overrides({"months": months})
    model = run_to_end(scenario, seed=seed)  # simulate's model, its frames made when read
    columns = model.recorder.arrays(bool_columns=BOOL_COLUMNS)
    summary = summarize_run(columns, scenario.months)
    if not attribute:
        summary |= dict.fromkeys(ATTRIBUTION_KEYS)
    elif needs_counterfactual(summary, link_response(scenario)):  # a rerun: when read
        return _RecordedRun(columns, model.events, summary, seed, scenario.months, scenario)
    else:
        summary |= attribution(summary, None)
    return _RecordedRun(columns, model.events, summary, seed, scenario.months)


def counterfactual(scenario: Scenario, seed: int) -> RunResult:
    """The same company in the same world (same seed) with the return link cut."""
    return run(cut_link(scenario), seed=seed, attribute=False)


def cut_link(scenario: Scenario) -> Scenario:
    """``scenario`` with the return link cut for the whole run: ``CUT_LINK`` at month 0, and
    every other scheduled decision kept except the ones that would set the link again."""
    schedule = [
        {"month": entry.month, "set": {k: v for k, v in entry.set.items() if k not in CUT_LINK}}
        for entry in scenario.schedule
    ]
    return scenario.with_overrides({**CUT_LINK, "schedule": schedule})


def link_response(scenario: Scenario) -> float:
    """The strongest pressure response the run ever has (month 0 or a scheduled change)."""
    key = next(iter(CUT_LINK))
    scheduled = [float(e.set[key]) for e in scenario.schedule if key in e.set]
    return max([scenario.policy.pressure_response, *scheduled])


def counterfactual_attribution(
    scenario: Scenario, seed: int, summary: dict[str, Any]
) -> dict[str, Any]:
    """The attribution keys of a run's ``summary`` (the counterfactual rerun made if needed)."""
    if not needs_counterfactual(summary, link_response(scenario)):
        return attribution(summary, None)
    return attribution(summary, counterfactual_fate(scenario, seed))


def seeds_to_attribute(scenario: Scenario, summaries: list[dict[str, Any]]) -> list[int]:
    """Which of these runs (seeds 0, 1, ... in order, without attribution) need the
    counterfactual rerun: the deaths under a live return link."""
    response = link_response(scenario)
    return [seed for seed, s in enumerate(summaries) if needs_counterfactual(s, response)]


def attributed(
    scenario: Scenario, summaries: list[dict[str, Any]], cut: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The run summaries with their attribution keys, given the cut runs' summaries (or fates:
    ``survived`` and ``month_of_death``) of the seeds ``seeds_to_attribute`` names: what
    ``run(..., attribute=True)`` gives each run, for callers that ran the cut runs themselves
    (the dashboard's workers)."""
    need = set(seeds_to_attribute(scenario, summaries))
    return [
        s | attribution(s, cut[seed] if seed in need else None) for seed, s in enumerate(summaries)
    ]


def counterfactual_fate(scenario: Scenario, seed: int) -> dict[str, Any]:
    """``survived`` and ``month_of_death`` of ``counterfactual(scenario, seed).summary``: all the
    attribution reads of the cut run, taken from the model's own record of its last month (the
    rows its series would have), without building the series, the events or the summary."""
    model = run_to_end(cut_link(scenario), seed=seed)
    record, rows = model.recorder.columns, model.recorder.rows
    if rows == 0:  # nothing recorded: let the full run say what it says
        return counterfactual(scenario, seed).summary
    survived = rows >= scenario.months and bool(record["alive"][rows - 1])
    return {
        "survived": survived,
        "month_of_death": None if survived else int(record["month"][rows - 1]),
    }
