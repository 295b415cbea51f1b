"""Sweeps: one scenario over a grid (or a Latin hypercube) of lever values, an ensemble per point.

``parse_vary("sales.contingent_acceptance=0:1:11")`` reads one ``--vary``; ``grid_points`` and
``lhs_points`` turn the varies into points (dotted key -> value); ``run_sweep`` runs every point's
ensemble over the same seeds (common random numbers: point A and point B see the same worlds),
through the run store and an executor, and returns one table row per point: the point's values,
then the ensemble summary (survival with its Wilson interval, spiral rate, medians, ...).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario, ScenarioError
from sim.experiment.executors import Executor
from sim.experiment.runs import RunCounts, compute_runs, results_in_order
from sim.experiment.store import RunStore

VARY_RE = re.compile(r"^(?P<key>[^=]+)=(?P<start>[^:]+):(?P<stop>[^:]+)(?::(?P<n>[^:]+))?$")
MAX_POINTS = 10_000
LHS_SEED = 0  # the hypercube's own seed: the same --lhs N gives the same points


@dataclass(frozen=True)
class Vary:
    """One swept lever: its dotted key and its values (``n`` of them, START to STOP)."""

    key: str
    start: float
    stop: float
    n: int | None
    integer: bool

    def values(self) -> list[float | int]:
        if self.n is None:
            raise ScenarioError(f"--vary {self.key}: a grid needs START:STOP:N (or use --lhs N)")
        grid = np.linspace(self.start, self.stop, self.n)
        if self.integer:
            return list(dict.fromkeys(round(float(v)) for v in grid))
        return [float(round(v, 12)) for v in grid]

    def scale(self, unit: np.ndarray) -> list[float | int]:
        """Points of [0, 1) mapped onto START..STOP (rounded for whole-number levers)."""
        values = self.start + unit * (self.stop - self.start)
        if self.integer:
            return [math.floor(v + 0.5) for v in values]
        return [float(v) for v in values]


def parse_vary(text: str, base: Scenario) -> Vary:
    """``KEY=START:STOP[:N]`` checked against ``base``: the key exists and is numeric, START and
    STOP are numbers within the lever's bounds, N a whole number >= 2. Errors are one line."""
    match = VARY_RE.match(text.strip())
    if match is None:
        raise ScenarioError(
            f"--vary {text}: expected KEY=START:STOP:N, e.g. sales.contingent_acceptance=0:1:11"
        )
    key = match["key"].strip()
    current = _current_value(base, key)
    if isinstance(current, (dict, list)):
        numbers = current.items() if isinstance(current, dict) else ()
        example = next((f"{key}.{k}" for k, v in numbers if _is_number(v)), None)
        raise ScenarioError(
            f"--vary {key}: a group of settings, not one lever; name a number inside it"
            + (f", e.g. {example}" if example else "")
        )
    if not _is_number(current):
        raise ScenarioError(
            f"--vary {key}: not a numeric lever (it is {current!r}); sweep a number"
        )
    start, stop = _number(key, "START", match["start"]), _number(key, "STOP", match["stop"])
    n = None
    if match["n"] is not None:
        try:
            n = int(match["n"])
        except ValueError:
            raise ScenarioError(
                f"--vary {key}: N must be a whole number, got '{match['n']}'"
            ) from None
        if not 2 <= n <= MAX_POINTS:
            raise ScenarioError(f"--vary {key}: N must be 2-{MAX_POINTS}, got {n}")
    if start == stop:
        raise ScenarioError(f"--vary {key}: START and STOP are both {start}; nothing to sweep")
    integer = isinstance(current, int)  # pydantic keeps ints for int fields, floats for float
    for value in (start, stop):  # the schema's bounds, reported as one line
        _as_vary(base, {key: round(value) if integer else value})
    return Vary(key, start, stop, n, integer)


def check_metric(metric: str) -> None:
    """One line naming the metric when it is not a number of the ensemble summary."""
    from sim.analysis.summaries import ENSEMBLE_METRICS
    from sim.config.hints import did_you_mean

    if metric not in ENSEMBLE_METRICS:
        raise ScenarioError(
            f"--metric {metric}: not an ensemble metric{did_you_mean(metric, ENSEMBLE_METRICS)}"
        )


def grid_points(varies: Sequence[Vary]) -> list[dict[str, Any]]:
    """Every combination of the varies' values, the first key varying slowest."""
    keys = [v.key for v in varies]
    combos = itertools.product(*(v.values() for v in varies))
    points = [dict(zip(keys, combo, strict=True)) for combo in combos]
    if len(points) > MAX_POINTS:
        raise ScenarioError(f"--vary: {len(points)} points is more than {MAX_POINTS}")
    return points


def lhs_points(varies: Sequence[Vary], n: int, seed: int = LHS_SEED) -> list[dict[str, Any]]:
    """``n`` points of a Latin hypercube over the varies' ranges (scipy.stats.qmc)."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(varies), seed=seed).random(n)
    columns = [v.scale(unit[:, i]) for i, v in enumerate(varies)]
    return [{v.key: columns[i][j] for i, v in enumerate(varies)} for j in range(n)]


@dataclass
class SweepResult:
    """One row per point: the swept keys, then the ensemble summary of that point."""

    base: Scenario
    keys: list[str]
    seeds: list[int]
    table: pd.DataFrame
    counts: RunCounts


def run_sweep(
    base: Scenario,
    points: Sequence[dict[str, Any]],
    seeds: Sequence[int],
    executor: Executor | None = None,
    store: RunStore | None = None,
    *,
    progress: bool = False,
    counts: RunCounts | None = None,
) -> SweepResult:
    """Every point's ensemble over ``seeds``; runs come from the store first."""
    from sim.experiment.ensemble import _assemble

    counts = counts if counts is not None else RunCounts()
    scenarios = [base.with_overrides(point) for point in points]
    seed_list = [int(s) for s in seeds]
    summaries: dict[int, dict[str, Any]] = {}
    if store is not None:  # whole ensembles stored before (by a sweep, a check, a run --seeds)
        for i, scenario in enumerate(scenarios):
            if (cached := store.get_ensemble(scenario, seed_list)) is not None:
                summaries[i] = cached["summary"]
                counts.stored += len(seed_list)
    todo = [i for i in range(len(scenarios)) if i not in summaries]
    found = compute_runs(
        [(scenarios[i], seed_list) for i in todo],
        executor,
        store,
        progress=progress,
        desc="sweep",
        counts=counts,
    )
    for i, runs in zip(todo, found, strict=True):
        ensemble = _assemble(
            scenarios[i], seed_list, results_in_order(runs, seed_list, scenarios[i].months)
        )
        summaries[i] = ensemble.summary
        if store is not None:
            store.put_ensemble(
                scenarios[i],
                seed_list,
                ensemble.summaries.to_dict("records"),
                ensemble.bands,
                ensemble.summary,
                ensemble.death_months,
            )
    rows = [{**point, **summaries[i]} for i, point in enumerate(points)]
    keys = list(points[0]) if points else []
    return SweepResult(base, keys, seed_list, pd.DataFrame(rows), counts)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _current_value(base: Scenario, key: str) -> Any:
    node: Any = base.model_dump(mode="python")
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            _as_vary(base, {key: 0})  # raises the one-line unknown-key error with its hint
            raise ScenarioError(f"--vary {key}: unknown key")
        node = node[part]
    return node


def _as_vary(base: Scenario, overrides: dict[str, Any]) -> Scenario:
    """``base.with_overrides``, its errors naming --vary instead of --set."""
    try:
        return base.with_overrides(overrides)
    except ScenarioError as err:
        raise ScenarioError(str(err).replace("--set", "--vary", 1)) from None


def _number(key: str, what: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(f"--vary {key}: {what} must be a number, got '{text}'") from None
    if not math.isfinite(value):
        raise ScenarioError(f"--vary {key}: {what} must be finite, got '{text}'")
    return value
