"""Mechanism: after product-market fit, spare cash buys engineers (after-PMF hiring only) [000].

Keep burn low until the PMF signal, then invest: under `company.hiring: after_pmf`, once PMF is
in, cash beyond `company.invest_runway_months` of burn hires one engineer a month. Other hiring
rules leave engineering to funding rounds: a sales-led CEO spends on selling.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import preset
from sim.experiment.runner import run

# held out: the 24-month threshold was chosen on 1000-1023, and S3 calibrated on 0-63 and checked on
# 1000-1063 and 2000-2063
SEEDS = tuple(range(3000, 3012))
RICH = 10_000_000  # seed cash well beyond 24 months of a product-led burn (USD)
# engineers hired from the bank per run with a rich seed, at least this many more than with the
# link off (engineers); measured 12.1 per run on 3000-3011, 14 on 2000-2011 (up to max_engineers)
ENGINEERS_MARGIN = 4
# cumulative revenue with the link on over off, at least this ratio (ratio); measured 1.14 on
# 3000-3011 (1.21 on 2000-2011; 1.43 was quoted here before, 1.53 on 1000-1011)
REVENUE_MARGIN = 1.1


def _arm(name: str, overrides: dict) -> list:
    scenario = preset(name).with_overrides({"company.initial_cash": RICH, **overrides})
    return [run(scenario, seed=s, attribute=False) for s in SEEDS]


def _hired(runs: list) -> np.ndarray:
    return np.array([(r.events["event"] == "engineer_hired").sum() for r in runs], dtype=float)


@pytest.fixture(scope="module")
def product_led():
    return {
        "on": _arm("product_led", {}),
        "off": _arm("product_led", {"company.invest_runway_months": 0}),
    }


def test_spare_cash_after_pmf_buys_engineers(product_led) -> None:
    on, off = _hired(product_led["on"]), _hired(product_led["off"])
    assert off.sum() == 0
    assert (on - off).mean() >= ENGINEERS_MARGIN


def test_no_engineer_is_hired_from_the_bank_before_pmf(product_led) -> None:
    for r in product_led["on"]:
        hires = r.events[r.events["event"] == "engineer_hired"]
        pmf = r.summary["pmf_month"]
        assert hires.empty or (pmf is not None and hires["month"].min() >= pmf)


def test_the_engineers_turn_seed_money_into_revenue(product_led) -> None:
    def revenue(runs: list) -> float:
        return float(np.mean([r.summary["cumulative_revenue_usd"] for r in runs]))

    assert revenue(product_led["on"]) >= REVENUE_MARGIN * revenue(product_led["off"])


def test_other_hiring_rules_leave_engineering_to_funding_rounds() -> None:
    assert _hired(_arm("sales_led", {})).sum() == 0
