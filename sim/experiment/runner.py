"""One run of the model: the series and events from the model, the summary from the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.attribution import ATTRIBUTION_KEYS, CUT_LINK, attribution, needs_counterfactual
from sim.analysis.summaries import summarize_run
from sim.config import Scenario
from sim.model import run_to_end, simulate


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


def run(
    scenario: Scenario, seed: int = 0, months: int | None = None, attribute: bool = True
) -> RunResult:
    """Run one company for the scenario's horizon (or ``months``) with a given seed.

    ``attribute``: when the company dies with the return link live, rerun the same seed with the
    link cut and add the attribution keys to the summary (``loop_attributable``, ...). Without
    it the keys are None.
    """
    if months is not None:
        scenario = scenario.with_overrides({"months": months})
    series, events = simulate(scenario, seed=seed)
    summary = summarize_run(series, scenario.months)
    summary |= (
        _attribution(scenario, seed, summary) if attribute else dict.fromkeys(ATTRIBUTION_KEYS)
    )
    return RunResult(
        series=series,
        summary=summary,
        events=events,
        seed=seed,
        summarized_months=scenario.months,
    )


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


def _attribution(scenario: Scenario, seed: int, summary: dict[str, Any]) -> dict[str, Any]:
    if not needs_counterfactual(summary, link_response(scenario)):
        return attribution(summary, None)
    return attribution(summary, counterfactual_fate(scenario, seed))


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
