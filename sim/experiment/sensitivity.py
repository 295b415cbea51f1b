"""Global sensitivity of an ensemble metric to the policy levers, with SALib (Morris or Sobol').

Every lever is a factor on [0, 1] that ``Factor.value`` decodes into the lever's own values: a
slider spans its workshop range (``sim.experiment.levers``, checked against the schema's bounds),
a toggle is off below 0.5 and on above, a choice or a step lever is cut into equal parts, one per
value. SALib draws the sample, each sample point is an ensemble over the same seeds (common random
numbers, through the run store), and SALib's analysis gives each lever's index with its 95%
confidence interval (Morris: mu*, its bootstrap interval and sigma; Sobol': first-order S1 and
total ST with theirs), ranked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.config import Scenario, ScenarioError
from sim.config.hints import did_you_mean
from sim.experiment.executors import Executor
from sim.experiment.levers import LEVERS, WORKSHOP_KEYS, Lever
from sim.experiment.runs import RunCounts
from sim.experiment.store import RunStore
from sim.experiment.sweep import check_metric, run_sweep

__all__ = ["check_metric", "factors", "run_sensitivity"]

Method = Literal["morris", "sobol"]
METHODS: tuple[str, ...] = ("morris", "sobol")
MORRIS_LEVELS = 4
SAMPLE_SEED = 0  # SALib's sampling and bootstrap seed: the same options give the same points
CONF_LEVEL = 0.95


@dataclass(frozen=True)
class Factor:
    """One lever as a SALib factor on [0, 1]."""

    lever: Lever
    options: tuple[Any, ...] = ()  # for toggles, choices and steps: the values, in order

    @property
    def key(self) -> str:
        return self.lever.key

    def value(self, unit: float) -> Any:
        lever = self.lever
        if lever.kind == "slider":
            low, high = lever.low * lever.scale, lever.high * lever.scale  # type: ignore[operator]
            value = low + float(unit) * (high - low)
            return round(value) if lever.field.annotation is int else float(value)
        index = min(int(float(unit) * len(self.options)), len(self.options) - 1)
        return self.options[index]


def factors(keys: Sequence[str] | None, scenario: Scenario) -> list[Factor]:
    """The factors for ``keys`` (default: the workshop levers), one-line errors for bad keys."""
    by_key = {lever.key: lever for lever in LEVERS}
    chosen = list(keys) if keys else list(WORKSHOP_KEYS)
    if len(set(chosen)) != len(chosen):
        raise ScenarioError("--levers: a lever is named twice")
    if len(chosen) < 2:
        raise ScenarioError("--levers: name at least two levers")
    out = []
    for key in chosen:
        lever = by_key.get(key)
        if lever is None:
            raise ScenarioError(
                f"--levers {key}: not a lever{did_you_mean(key, by_key)} "
                f"(levers: {', '.join(by_key)})"
            )
        if lever.kind == "toggle":
            out.append(Factor(lever, (False, True)))
        elif lever.kind == "choice":
            out.append(Factor(lever, tuple(lever.choices(scenario))))
        elif lever.kind == "steps":
            out.append(Factor(lever, tuple(lever.steps)))
        else:
            out.append(Factor(lever))
    return out


def sample(method: Method, problem: dict[str, Any], size: int) -> np.ndarray:
    """SALib's sample: Morris with ``size`` trajectories, Sobol' with base size ``size``."""
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, N=size, num_levels=MORRIS_LEVELS, seed=SAMPLE_SEED)
    from SALib.sample import sobol

    return sobol.sample(problem, N=size, calc_second_order=False, seed=SAMPLE_SEED)


def analyze(method: Method, problem: dict[str, Any], x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """SALib's indices as a table ranked by the main index (largest first)."""
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            problem, x, y, conf_level=CONF_LEVEL, num_levels=MORRIS_LEVELS, seed=SAMPLE_SEED
        )
        table = pd.DataFrame(
            {
                "lever": problem["names"],
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "mu": res["mu"],
                "sigma": res["sigma"],
            }
        )
        main = "mu_star"
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(
            problem, y, calc_second_order=False, conf_level=CONF_LEVEL, seed=SAMPLE_SEED
        )
        table = pd.DataFrame(
            {
                "lever": problem["names"],
                "ST": res["ST"],
                "ST_conf": res["ST_conf"],
                "S1": res["S1"],
                "S1_conf": res["S1_conf"],
            }
        )
        main = "ST"
    table = table.sort_values(main, ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    return table


@dataclass
class SensitivityResult:
    method: str
    metric: str
    indices: pd.DataFrame  # ranked, one row per lever
    points: pd.DataFrame  # the sample points (lever values) and the metric at each
    seeds: list[int]
    counts: RunCounts


def run_sensitivity(
    base: Scenario,
    method: Method,
    keys: Sequence[str] | None,
    seeds: Sequence[int],
    size: int,
    metric: str = "survival_rate",
    executor: Executor | None = None,
    store: RunStore | None = None,
    *,
    progress: bool = False,
) -> SensitivityResult:
    """Sample the levers, run an ensemble at every point, analyse ``metric`` with SALib."""
    if method not in METHODS:
        raise ScenarioError(f"--method {method}: expected one of {', '.join(METHODS)}")
    check_metric(metric)
    chosen = factors(keys, base)
    problem = {
        "num_vars": len(chosen),
        "names": [f.key for f in chosen],
        "bounds": [[0.0, 1.0]] * len(chosen),
    }
    x = sample(method, problem, size)
    points = [{f.key: f.value(u) for f, u in zip(chosen, row, strict=True)} for row in x]
    counts = RunCounts()
    sweep = run_sweep(base, points, seeds, executor, store, progress=progress, counts=counts)
    y = sweep.table[metric].astype(float).to_numpy()
    if np.isnan(y).any():
        raise ScenarioError(f"--metric {metric}: undefined at some points (no run had it)")
    indices = analyze(method, problem, x, y)
    return SensitivityResult(method, metric, indices, sweep.table, list(seeds), counts)
