"""One run of the model: the series and events from the model, the summary from the analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.summaries import summarize_run
from sim.config import Scenario
from sim.model import simulate


@dataclass
class RunResult:
    """One run: the month-by-month series, its summary and its events."""

    series: pd.DataFrame
    summary: dict[str, Any]
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    seed: int = 0


def run(scenario: Scenario, seed: int = 0, months: int | None = None) -> RunResult:
    """Run one company for the scenario's horizon (or ``months``) with a given seed."""
    if months is not None:
        scenario = scenario.with_overrides({"months": months})
    series, events = simulate(scenario, seed=seed)
    return RunResult(
        series=series, summary=summarize_run(series, scenario.months), events=events, seed=seed
    )
