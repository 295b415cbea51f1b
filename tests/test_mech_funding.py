"""Mechanism 11: funding [000].

When runway runs short the CEO tries to raise; investors fund with odds set by traction at the time
(ARR against their bar, recent growth, revenue churn). A company whose cash goes below zero with
no round dies: the run records the month of death and stops.
"""

from __future__ import annotations

import pytest
from mechanisms_helpers import count_events, events, months_alive, paired, run_arm, run_arms

from sim.config import from_dict

HORIZON = 36  # months
SEEDS_FUNDING = tuple(range(3000, 3020))  # a round is one coin flip per attempt: 20 held-out seeds
EASY_BAR, HARD_BAR = 100_000, 100_000_000  # ARR at which investors are even odds (USD/year)
# funding rounds per run: more with the easy bar than the hard one by at least this (rounds/run);
# measured 1.1 on 3000-3019 (1.0 on 0-19)
ROUNDS_MARGIN = 0.25
# month of death (horizon + 1 if alive): later with the easy bar by at least this (months);
# measured 23.4 on 3000-3019 (22.1 on 0-19)
MONTHS_ALIVE_MARGIN = 5.0


@pytest.fixture(scope="module")
def bar_arms():
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "company.initial_cash": 1_500_000}
    )
    return run_arms(
        base,
        {
            "easy": {"company.funding_arr_bar_usd": EASY_BAR},
            "hard": {"company.funding_arr_bar_usd": HARD_BAR},
        },
        seeds=SEEDS_FUNDING,
        months=HORIZON,
    )


def test_more_traction_relative_to_the_bar_raises_more_rounds(bar_arms):
    p = paired(bar_arms["easy"], bar_arms["hard"], count_events("funding"))
    print("rounds raised easy - hard bar:", p)
    assert p.mean_diff >= ROUNDS_MARGIN, p


def test_more_traction_relative_to_the_bar_delays_death(bar_arms):
    p = paired(bar_arms["easy"], bar_arms["hard"], months_alive)
    print("months alive easy - hard bar:", p)
    assert p.mean_diff >= MONTHS_ALIVE_MARGIN, p


def test_cash_below_zero_with_no_round_is_death():
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "company.initial_cash": 1_000_000, "company.max_rounds": 0}
    )
    for r in run_arm(base, months=HORIZON):
        death = r.summary["month_of_death"]
        s = r.series
        assert death is not None and not r.summary["survived"], (
            f"seed {r.seed} survived on $1M with no round"
        )
        assert len(s) == death < HORIZON, f"seed {r.seed}: series runs past the month of death"
        assert int(s["month"].iloc[-1]) == death
        assert not s["alive"].iloc[-1] and s["cash_usd"].iloc[-1] < 0
        assert s["alive"].iloc[:-1].all() and (s["cash_usd"].iloc[:-1] >= 0).all()
        assert len(events(r, "funding")) == 0 and len(events(r, "death")) == 1
