"""Mechanism 9: competitor leapfrog [002].

Now and then the competitor ships a leapfrog release on the needed capabilities where our product
leads; share then moves to whoever fits better. The essay's claim is that it moves *faster when
our roadmap is delayed* by engineering diverted to custom work: the same leapfrog should cost a
diverted company a larger share of its customers than one whose engineers build the roadmap.
"""

from __future__ import annotations

import numpy as np
import pytest
from mechanisms_helpers import Paired, last_of, mean_of, paired, per_seed, run_arms

from sim.config import from_dict

LEAPFROG_PROB = 0.3  # leapfrogs per month in the "often" arms, against 0 (1/month)
HORIZON = 30  # months
# mean competitor fit higher with leapfrogs by at least this (fit units); measured 0.12-0.13
COMP_FIT_MARGIN = 0.06
# share of final customers lost to leapfrogs (non-diverted company) at least this (share);
# measured 0.31
CUSTOMER_LOSS_MARGIN = 0.15
# share of customers lost to leapfrogs: larger when diverted by at least this (share); measured
# -0.12
INTERACTION_MARGIN = 0.05

DIVERTED = {
    "sales.contingent_acceptance": 0.9,
    "product.custom_capacity_cap": 1.0,
}  # custom share about 0.8
FOCUSED = {"sales.contingent_acceptance": 0.0, "product.custom_capacity_cap": 0.0}  # custom share 0


@pytest.fixture(scope="module")
def arms():
    # Cash enough that nobody dies within the horizon: the comparison is of customers, not of
    # deaths.
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "company.initial_cash": 20_000_000}
    )
    return run_arms(
        base,
        {
            "diverted_often": {**DIVERTED, "market.leapfrog_prob": LEAPFROG_PROB},
            "diverted_never": {**DIVERTED, "market.leapfrog_prob": 0.0},
            "focused_often": {**FOCUSED, "market.leapfrog_prob": LEAPFROG_PROB},
            "focused_never": {**FOCUSED, "market.leapfrog_prob": 0.0},
        },
        months=HORIZON,
    )


def share_lost(arms, kind):
    """Per seed: share of the no-leapfrog arm's final customers that the leapfrog arm lacks."""
    often = per_seed(arms[f"{kind}_often"], last_of("customers"))
    never = per_seed(arms[f"{kind}_never"], last_of("customers"))
    return (never - often) / np.maximum(never, 1.0)


def test_leapfrogs_raise_competitor_fit(arms):
    for kind in ("focused", "diverted"):
        p = paired(arms[f"{kind}_often"], arms[f"{kind}_never"], mean_of("competitor_fit"))
        print(f"competitor fit leapfrog often - never ({kind}):", p)
        assert p.mean_diff >= COMP_FIT_MARGIN, p


def test_leapfrogs_cost_customers(arms):
    lost = share_lost(arms, "focused")
    print(
        f"share of customers lost to leapfrogs (focused): {lost.mean():.3f}±{lost.std(ddof=1):.3f}"
    )
    assert lost.mean() >= CUSTOMER_LOSS_MARGIN


@pytest.mark.xfail(
    strict=True,
    reason=(
        "model: a leapfrog costs a diverted company a SMALLER share of its customers (measured "
        "0.20 vs 0.31, "
        "paired -0.12±0.49 over 16 seeds). Nothing ties the speed of the share shift to our "
        "roadmap delay: the "
        "steal hazard (customers.py _churn: competitor_steal_rate x max(0, comp_fit - fit)) and "
        "the win logit "
        "(sales.py _decide) see the leapfrog's coverage gain the same way whatever our custom "
        "share; a diverted "
        "company has already lost the deals it could lose (floor of the logistic win curve) and "
        "keeps its "
        "contingent buyers through custom_bonus fit. See the mechanism report."
    ),
)
def test_leapfrog_costs_more_when_engineering_is_diverted(arms):
    p = Paired(share_lost(arms, "diverted"), share_lost(arms, "focused"))
    print("share of customers lost to leapfrogs, diverted - focused:", p)
    assert p.mean_diff >= INTERACTION_MARGIN, p
