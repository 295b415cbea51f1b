"""Robustness: which policy holds up across uncertain worlds, as EMA separates uncertainties from
levers.

``UNCERTAINTIES`` are world constants nobody at the company chooses (how fast needs drift, how
fast the competitor ships, how big the market is, prices, churn, engineer cost, the cash raised,
the number of capabilities); they are kept apart from the policy levers of
``sim.experiment.levers``. A Latin hypercube (scipy.stats.qmc) draws ``worlds`` points over their
ranges; in every world both policies (default: the ``product_led`` and ``sales_led`` presets) run
over the same seeds, so each world gives a *paired* difference per seed (common random numbers:
one seed is one market for both). Reported: the share of worlds where A outlives B (mean months
alive higher) with its Wilson interval, the share where A survives more often, the mean and
median paired differences with a t interval over worlds, and how strongly each world constant
drives the difference (Spearman rank correlation, ranked by its size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.experiment.executors import Executor
from sim.experiment.runs import RunCounts, compute_runs, results_in_order
from sim.experiment.store import RunStore

WORLD_SEED = 0  # the hypercube's own seed


@dataclass(frozen=True)
class Uncertainty:
    """A world constant and its plausible range. ``segments``: the key is a field of every
    market segment, and the value a multiplier of each segment's own setting."""

    key: str
    low: float
    high: float
    integer: bool = False
    segments: bool = False

    def overrides(self, value: float, scenario: Scenario) -> dict[str, Any]:
        if self.segments:
            field = self.key.rsplit(".", 1)[-1]
            return {
                f"market.segments.{name}.{field}": getattr(params, field) * value
                for name, params in scenario.market.segments.items()
            }
        return {self.key: round(value) if self.integer else float(value)}


UNCERTAINTIES: tuple[Uncertainty, ...] = (
    Uncertainty("market.need_drift_sd", 0.05, 0.30),
    Uncertainty("market.need_shift_prob", 0.0, 0.15),
    Uncertainty("market.competitor_items_per_month", 0.3, 2.0),
    Uncertainty("market.leapfrog_prob", 0.0, 0.08),
    Uncertainty("market.competitor_steal_rate", 0.02, 0.12),
    Uncertainty("market.size_scale", 0.5, 2.0),
    Uncertainty("market.capabilities", 12, 36, integer=True),
    Uncertainty("market.segments.price_per_seat_usd", 0.6, 1.5, segments=True),
    Uncertainty("market.segments.churn_monthly", 0.5, 2.0, segments=True),
    Uncertainty("company.engineer_cost_usd", 10_000, 22_000),
    Uncertainty("company.initial_cash", 1_500_000, 6_000_000),
)


def world_points(n: int, seed: int = WORLD_SEED) -> pd.DataFrame:
    """``n`` worlds of a Latin hypercube over ``UNCERTAINTIES`` (one column per constant)."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(UNCERTAINTIES), seed=seed).random(n)
    data = {}
    for i, u in enumerate(UNCERTAINTIES):
        values = u.low + unit[:, i] * (u.high - u.low)
        data[u.key] = np.floor(values + 0.5).astype(int) if u.integer else values
    return pd.DataFrame(data)


def in_world(policy: Scenario, world: dict[str, Any]) -> Scenario:
    """The policy's scenario in one world (the world's constants override the policy's)."""
    overrides: dict[str, Any] = {}
    for u in UNCERTAINTIES:
        overrides |= u.overrides(world[u.key], policy)
    return policy.with_overrides(overrides)


@dataclass
class RobustnessResult:
    worlds: pd.DataFrame  # one row per world: its constants, both sides' results, differences
    drivers: pd.DataFrame  # one row per world constant: Spearman rho with the differences
    summary: dict[str, Any]
    counts: RunCounts


def run_robustness(
    a: Scenario,
    b: Scenario,
    worlds: int,
    seeds: Sequence[int],
    executor: Executor | None = None,
    store: RunStore | None = None,
    *,
    progress: bool = False,
) -> RobustnessResult:
    """Both policies in every world over the same seeds; paired differences A - B."""

    from sim.analysis.summaries import wilson_interval
    from sim.experiment.ensemble import _assemble

    table = world_points(worlds)
    seed_list = [int(s) for s in seeds]
    pairs = [(in_world(a, w), in_world(b, w)) for w in table.to_dict("records")]
    counts = RunCounts()
    jobs = [(scenario, seed_list) for pair in pairs for scenario in pair]
    found = compute_runs(jobs, executor, store, progress=progress, desc="worlds", counts=counts)
    rows = []
    for i, (sa, sb) in enumerate(pairs):
        ea = _assemble(sa, seed_list, results_in_order(found[2 * i], seed_list, sa.months))
        eb = _assemble(sb, seed_list, results_in_order(found[2 * i + 1], seed_list, sb.months))
        months_a = ea.summaries["months_run"].astype(float).to_numpy()
        months_b = eb.summaries["months_run"].astype(float).to_numpy()
        rows.append(
            {
                "a_survival_rate": ea.summary["survival_rate"],
                "b_survival_rate": eb.summary["survival_rate"],
                "a_mean_months_alive": months_a.mean(),
                "b_mean_months_alive": months_b.mean(),
                "survival_diff": ea.summary["survival_rate"] - eb.summary["survival_rate"],
                "months_alive_diff": float((months_a - months_b).mean()),
            }
        )
    worlds_table = pd.concat([table, pd.DataFrame(rows)], axis=1)
    diff = worlds_table["months_alive_diff"].to_numpy()
    sdiff = worlds_table["survival_diff"].to_numpy()
    outlives = int((diff > 0).sum())
    low, high = wilson_interval(outlives, len(diff))
    survives_more = int((sdiff > 0).sum())
    t_low, t_high = _t_interval(diff)
    s_low, s_high = _t_interval(sdiff)
    summary = {
        "worlds": len(diff),
        "seeds_per_world": len(seed_list),
        "a": a.name,
        "b": b.name,
        "share_a_outlives_b": outlives / len(diff),
        "share_a_outlives_b_ci_low": low,
        "share_a_outlives_b_ci_high": high,
        "share_a_survives_more": survives_more / len(diff),
        "share_b_survives_more": int((sdiff < 0).sum()) / len(diff),
        "mean_months_alive_diff": float(diff.mean()),
        "mean_months_alive_diff_ci_low": t_low,
        "mean_months_alive_diff_ci_high": t_high,
        "median_months_alive_diff": float(np.median(diff)),
        "mean_survival_diff": float(sdiff.mean()),
        "mean_survival_diff_ci_low": s_low,
        "mean_survival_diff_ci_high": s_high,
        "a_mean_survival_rate": float(worlds_table["a_survival_rate"].mean()),
        "b_mean_survival_rate": float(worlds_table["b_survival_rate"].mean()),
    }
    drivers = []
    for u in UNCERTAINTIES:
        x = worlds_table[u.key].to_numpy(dtype=float)
        rho, p = _spearman(x, diff)
        rho_s, p_s = _spearman(x, sdiff)
        drivers.append(
            {
                "constant": u.key + (" (x each segment)" if u.segments else ""),
                "low": u.low,
                "high": u.high,
                "rho_months_alive_diff": float(rho),
                "p_months_alive_diff": float(p),
                "rho_survival_diff": float(rho_s),
                "p_survival_diff": float(p_s),
            }
        )
    drivers_table = pd.DataFrame(drivers)
    order = drivers_table["rho_months_alive_diff"].abs().sort_values(ascending=False).index
    drivers_table = drivers_table.loc[order].reset_index(drop=True)
    drivers_table.insert(0, "rank", range(1, len(drivers_table) + 1))
    return RobustnessResult(worlds_table, drivers_table, summary, counts)


def _spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and its p-value; NaN when either side is constant (rho undefined)."""
    from scipy import stats

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    rho, p = stats.spearmanr(x, y)
    return float(rho), float(p)


def _t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    from scipy import stats

    if len(values) < 2 or np.std(values) == 0:
        mean = float(np.mean(values))
        return mean, mean
    low, high = stats.t.interval(
        level, len(values) - 1, loc=float(np.mean(values)), scale=stats.sem(values)
    )
    return float(low), float(high)
