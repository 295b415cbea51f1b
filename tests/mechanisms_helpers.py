"""Shared helpers of the mechanism tests: run paired arms over an ensemble of seeds, compare them.

A mechanism test compares two lever settings ("arms") with everything else equal: the same base
scenario, the same seeds on both arms, the same horizon. Each run is reduced to one number per seed
by a metric function, and the two arms are compared seed by seed (paired differences), so the
common randomness of a seed cancels out. Assertions are on ensemble statistics (means over seeds,
pooled counts), never on one seed, and each states its margin as a named constant in the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.experiment.runner import RunResult, run
from sim.model import CompanyModel

# Default ensemble: 16 seeds, the same on every arm. Held out (3000+, the project's test range, as
# in test_comparative_statics.py): the constants were calibrated (S3) on 0-63 and the choice was
# checked on 1000-1063 and 2000-2063, so a mechanism test on those seeds would test on tuning seeds.
SEEDS: tuple[int, ...] = tuple(range(3000, 3016))


def run_arm(
    base: Scenario,
    overrides: Mapping[str, Any] | None = None,
    *,
    seeds: Iterable[int] = SEEDS,
    months: int | None = None,
) -> list[RunResult]:
    """One arm: the base scenario with ``overrides`` applied, run once per seed."""
    scenario = base.with_overrides(dict(overrides)) if overrides else base
    return [run(scenario, seed=seed, months=months) for seed in seeds]


def run_arms(
    base: Scenario,
    arms: Mapping[str, Mapping[str, Any]],
    *,
    seeds: Iterable[int] = SEEDS,
    months: int | None = None,
) -> dict[str, list[RunResult]]:
    """Several arms over the same seeds: ``{"name": {dotted.key: value}}`` -> runs per arm."""
    seeds = tuple(seeds)
    return {
        name: run_arm(base, overrides, seeds=seeds, months=months)
        for name, overrides in arms.items()
    }


def per_seed(runs: list[RunResult], metric: Callable[[RunResult], float]) -> np.ndarray:
    """One value per seed."""
    return np.array([float(metric(r)) for r in runs], dtype=float)


@dataclass(frozen=True)
class Paired:
    """Seed-by-seed comparison of two arms: a - b."""

    a: np.ndarray
    b: np.ndarray

    @property
    def diff(self) -> np.ndarray:
        return self.a - self.b

    @property
    def mean_diff(self) -> float:
        return float(np.mean(self.diff))

    @property
    def sd_diff(self) -> float:
        return float(np.std(self.diff, ddof=1)) if self.diff.size > 1 else 0.0

    @property
    def share_positive(self) -> float:
        """Share of seeds where a > b."""
        return float(np.mean(self.diff > 0))

    def __str__(self) -> str:  # shown in assertion messages
        return (
            f"a={np.mean(self.a):.4g}±{np.std(self.a, ddof=1):.3g} "
            f"b={np.mean(self.b):.4g}±{np.std(self.b, ddof=1):.3g} "
            f"a-b={self.mean_diff:.4g}±{self.sd_diff:.3g} (a>b in {self.share_positive:.0%} of "
            f"{self.diff.size} seeds)"
        )


def paired(
    runs_a: list[RunResult], runs_b: list[RunResult], metric: Callable[[RunResult], float]
) -> Paired:
    """Paired values of a metric on two arms run over the same seeds."""
    assert [r.seed for r in runs_a] == [r.seed for r in runs_b], "arms must share their seeds"
    return Paired(per_seed(runs_a, metric), per_seed(runs_b, metric))


# -- series helpers ------------------------------------------------------------------------------


def window(series: pd.DataFrame, first: int, last: int) -> pd.DataFrame:
    """Rows of months first..last (inclusive); fewer when the company died before ``last``."""
    return series[(series["month"] >= first) & (series["month"] <= last)]


def total(column: str, first: int = 1, last: int = 10_000) -> Callable[[RunResult], float]:
    """Metric: sum of a column over months first..last (months after death count as 0)."""
    return lambda r: float(window(r.series, first, last)[column].sum())


def mean_of(column: str, first: int = 1, last: int = 10_000) -> Callable[[RunResult], float]:
    """Metric: mean of a column over months first..last, over the months the company was alive."""
    return lambda r: float(window(r.series, first, last)[column].mean())


def last_of(column: str) -> Callable[[RunResult], float]:
    """Metric: the column's value in the run's last recorded month."""
    return lambda r: float(r.series[column].iloc[-1])


def months_alive(r: RunResult) -> float:
    """Month of death, or horizon + 1 for a run that survived (so 'later death' is comparable)."""
    death = r.summary["month_of_death"]
    return float(len(r.series) + 1 if death is None else death)


def events(r: RunResult, kind: str) -> pd.DataFrame:
    """The run's events of one kind."""
    ev = r.events
    return ev[ev["event"] == kind] if "event" in ev else ev.iloc[0:0]


def count_events(kind: str) -> Callable[[RunResult], float]:
    return lambda r: float(len(events(r, kind)))


def drive(
    scenario: Scenario, seed: int, on_month: Callable[[CompanyModel], None] | None = None
) -> CompanyModel:
    """Run a model step by step, calling ``on_month(model)`` after every month."""
    model = CompanyModel(scenario, rng=seed)
    while model.running:
        model.step()
        if on_month is not None:
            on_month(model)
    return model


@dataclass(frozen=True)
class World:
    """What a seed fixes whatever the company does: need logits each month, the competitor's
    leapfrog months, every arrival's draw and segment (the company cannot run out of cash)."""

    needs: list[np.ndarray]
    leapfrogs: list[int]
    arrivals: np.ndarray
    segments: np.ndarray


def world_of(scenario: Scenario, seed: int) -> World:
    """Run ``scenario`` with endless cash and record its world (common random numbers)."""
    model = CompanyModel(scenario.with_overrides({"company.initial_cash": 1e8}), rng=seed)
    needs, leapfrogs = [], []
    while model.running:
        model.step()
        needs.append(model.market.needs.logit.copy())
        if model.competitor.leapfrog_this_month:
            leapfrogs.append(model.month)
    pr = model.market.prospects
    return World(needs, leapfrogs, pr.u[: pr.n].copy(), pr.seg[: pr.n].copy())
