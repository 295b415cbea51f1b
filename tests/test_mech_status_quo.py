"""Mechanism: the status quo ('no decision'), a market lever (0.646 by default since S3; the 'off'
arm here sets it to 0 explicitly).

Many B2B deals end with the buyer choosing nothing at all. With `market.no_decision_share` at s,
a share s of the deals that come due without a custom-feature condition end that way: the buyer
goes back to being a lead and cannot be worked again for `market.no_decision_cooldown_months`.
Such a decision counts as decided and not won, so the win rate reps see falls. A buyer who asked
for a custom feature has already decided to buy on that condition and is not affected.
"""

from __future__ import annotations

import numpy as np
import pytest
from mechanisms_helpers import drive, paired, run_arms, total

from sim.config import from_dict
from sim.model.population import State

SEEDS = tuple(range(3000, 3012))  # held out (S3 was calibrated on 0-63, checked on 1000-1063)
HORIZON = 24  # months
SHARE = 0.5  # the no-decision share of the 'on' arm
# pooled win rate with SHARE against 0: at most this ratio (a share of 0.5 alone would give 0.5;
# a stayer may be worked again and won later); measured 0.485 on 3000-3011 (0.504 on 1000-1011)
WIN_RATE_RATIO_MAX = 0.75
# bookings over the horizon summed over seeds, on against off: at most this ratio; measured 0.44
# on 3000-3011 (0.45 on 1000-1011)
BOOKINGS_RATIO_MAX = 0.75


@pytest.fixture(scope="module")
def arms():
    return run_arms(
        from_dict({}),
        {"on": {"market.no_decision_share": SHARE}, "off": {"market.no_decision_share": 0.0}},
        seeds=SEEDS,
        months=HORIZON,
    )


def _pooled_win_rate(runs) -> float:
    won = sum(
        float((r.series["win_rate"].fillna(0) * r.series["deals_decided"]).sum()) for r in runs
    )
    decided = sum(float(r.series["deals_decided"].sum()) for r in runs)
    return won / decided


def test_no_decision_lowers_the_win_rate(arms):
    on, off = _pooled_win_rate(arms["on"]), _pooled_win_rate(arms["off"])
    print(f"pooled win rate: no decision {SHARE}: {on:.3f}, off: {off:.3f}")
    assert on / off <= WIN_RATE_RATIO_MAX


def test_no_decision_lowers_bookings(arms):
    p = paired(arms["on"], arms["off"], total("bookings_usd"))
    print("bookings on - off:", p)
    assert p.a.sum() / p.b.sum() <= BOOKINGS_RATIO_MAX, p


def test_a_buyer_who_stays_put_is_a_lead_again_for_a_budget_cycle():
    """Right after a month's decisions, every lead whose next contact lies a cooldown ahead went
    back this month; some exist with the lever on, and none with it off."""
    cooldown = 9
    found = {}
    for share in (0.0, 0.95):
        scenario = from_dict({}).with_overrides(
            {
                "market.no_decision_share": share,
                "market.no_decision_cooldown_months": cooldown,
                "months": 12,
            }
        )
        back = []

        def look(model, back=back):
            pr = model.market.prospects
            leads = pr.state == State.LEAD
            back.append(int(np.sum(leads & (pr.next_contact == model.month + cooldown))))

        drive(scenario, seed=SEEDS[0], on_month=look)
        found[share] = sum(back)
    print("leads sent back for a cooldown:", found)
    assert found[0.0] == 0 and found[0.95] > 0
