"""Pattern 2 of MODEL.md, the comparative statics, on seeds no constant or claim was chosen on.

Each statement compares two settings of one lever over the same seeds (common random numbers: the
same market, drift and competitor on both arms) and asserts a paired difference with a margin
stated below. Seeds 3000+ serve only held-out tests, never tuning: the model's constants were
calibrated on 0-63 (S3, its choice checked on 1000-1063 and 2000-2063), the scenario files' claims
are read from 0, 1000 and 2000, and each margin below
is a file's claim or was set on 128-384 seeds in 6000-7255 (docs/MODEL.md section 10, "Power
before mechanism").

What pattern 2 says and what is asserted:
- survival falls as contingent acceptance rises: sales-led, acceptance 0.5 vs 0.05;
- survival falls as commissions start earlier relative to PMF: `commission_timing.yaml`, day one
  vs after the PMF signal;
- a long promise horizon costs: default company, 12 vs 3 months on revenue; on survival 24 vs 3
  months. Survival is flat up to ~6 months and falls past it (seeds 5024-5535, against 3
  months: 0 +0.016, 6 -0.004, 12 -0.039, 18 -0.078, 24 -0.139 [-0.176, -0.102]); at 12 months
  the drop is too small for a test's seeds (-0.046 [-0.067, -0.025] on 1024 seeds 4000-5023),
  so the survival clause is asserted where the curve has fallen (docs/MODEL.md section 10);
- more seed cash under sales-led governance mostly delays death: `cash_runway.yaml` (a funding
  winter), $6M vs its $2M. With funding rounds open it holds only weakly
  (seeds 6000-6127, $6M vs $3M: +2.9 [+0.0, +5.9] months lived, survival -0.08 [-0.17, +0.02]: a
  richer company asks investors later, on worse traction; docs/MODEL.md section 10).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim.config import load_scenario, preset
from sim.experiment.runner import run

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEEDS = range(3000, 3128)  # 128 seeds no constant, claim or margin was chosen on
FEW_SEEDS = range(3000, 3064)  # 64 of them, where the effect is large

# survival at acceptance 0.5 minus 0.05, sales-led: at most this (docs/lever_ranges.md and
# tipping_point.yaml: about 0.4 at 0.05, 0.08 at 0.5)
ACCEPTANCE_SURVIVAL_DROP = -0.2
# survival with commission from day one minus after PMF: at most this (6000-6255: -0.195)
COMMISSION_SURVIVAL_DROP = -0.08
# cumulative revenue at a 12-month horizon over 3 months: at most this ratio (6000-6127: 0.79,
# 7000-7255: 0.89)
PROMISE_REVENUE_RATIO = 0.95
# survival at a 24-month promise horizon minus 3 months, default company: at most this (half
# the drop measured on seeds 5024-5535, -0.139 [-0.176, -0.102])
PROMISE_SURVIVAL_DROP = -0.07
PROMISE_SEEDS = range(3128, 3384)  # 256 more held-out seeds: the drop is a few points a month
# sales-led in a funding winter (`cash_runway.yaml`: no rounds) with $6M of seed cash instead of
# the file's $2M: the median month of death comes at least this much later (months; the file's
# own claim, 28 on seeds 0-23), while survival rises by no more than SURVIVAL_GAIN_CAP
CASH_DELAY_MONTHS = 12.0
SURVIVAL_GAIN_CAP = 0.25


def _arm(scenario, overrides: dict, seeds) -> list[dict]:
    scenario = scenario.with_overrides(overrides)
    return [run(scenario, seed=s, attribute=False).summary for s in seeds]


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """Mean of a - b with its 95% t interval over the shared seeds."""
    diff = a - b
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return float(diff.mean()), float(diff.mean() - half), float(diff.mean() + half)


def _alive(summaries: list[dict]) -> np.ndarray:
    return np.array([s["survived"] for s in summaries], dtype=float)


def _revenue(summaries: list[dict]) -> np.ndarray:
    return np.array([s["cumulative_revenue_usd"] for s in summaries], dtype=float)


def test_survival_falls_as_contingent_acceptance_rises() -> None:
    base = preset("sales_led")
    high = _arm(base, {"sales.contingent_acceptance": 0.5}, FEW_SEEDS)
    low = _arm(base, {"sales.contingent_acceptance": 0.05}, FEW_SEEDS)
    mean, lo, hi = _paired(_alive(high), _alive(low))
    print(f"survival, acceptance 0.5 - 0.05: {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    assert mean <= ACCEPTANCE_SURVIVAL_DROP and hi < 0


def test_survival_falls_when_commission_starts_before_pmf() -> None:
    base = load_scenario(SCENARIOS / "commission_timing.yaml")
    early = _arm(base, {"sales.commission_timing": "immediate"}, SEEDS)
    late = _arm(base, {"sales.commission_timing": "after_pmf"}, SEEDS)
    mean, lo, hi = _paired(_alive(early), _alive(late))
    print(f"survival, commission day one - after PMF: {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    assert mean <= COMMISSION_SURVIVAL_DROP and hi < 0


def test_a_long_promise_horizon_costs_revenue() -> None:
    base = load_scenario(SCENARIOS / "roadmap_promises.yaml")
    long = _revenue(_arm(base, {"sales.promise_horizon_months": 12}, SEEDS))
    short = _revenue(_arm(base, {"sales.promise_horizon_months": 3}, SEEDS))
    mean, lo, hi = _paired(long, short)
    ratio = long.mean() / short.mean()
    print(f"revenue, horizon 12 / 3: x{ratio:.3f}; 12 - 3: {mean:+,.0f} [{lo:+,.0f}, {hi:+,.0f}]")
    assert ratio <= PROMISE_REVENUE_RATIO


def test_survival_falls_past_a_four_month_promise_horizon() -> None:
    base = load_scenario(SCENARIOS / "roadmap_promises.yaml")
    far = _arm(base, {"sales.promise_horizon_months": 24}, PROMISE_SEEDS)
    near = _arm(base, {"sales.promise_horizon_months": 3}, PROMISE_SEEDS)
    mean, lo, hi = _paired(_alive(far), _alive(near))
    print(f"survival, horizon 24 - 3 months: {mean:+.3f} [{lo:+.3f}, {hi:+.3f}]")
    assert mean <= PROMISE_SURVIVAL_DROP and hi < 0


@pytest.mark.parametrize("cash", [6_000_000])
def test_more_cash_under_sales_led_mostly_delays_death(cash: int) -> None:
    base = load_scenario(SCENARIOS / "cash_runway.yaml")
    rich = _arm(base, {"company.initial_cash": cash}, FEW_SEEDS)
    poor = _arm(base, {}, FEW_SEEDS)
    horizon = base.months + 1  # a survivor counts as dying after the horizon
    died = [np.median([s["month_of_death"] or horizon for s in arm]) for arm in (rich, poor)]
    gain, lo, hi = _paired(_alive(rich), _alive(poor))
    print(
        f"median month of death ${cash / 1e6:.0f}M vs $2M: {died[0]} vs {died[1]}; "
        f"survival gain {gain:+.3f} [{lo:+.3f}, {hi:+.3f}]"
    )
    assert died[0] - died[1] >= CASH_DELAY_MONTHS
    assert gain <= SURVIVAL_GAIN_CAP
