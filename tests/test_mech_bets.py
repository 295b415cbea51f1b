"""Mechanism 10: bets [001].

A spend cap per contingent bet (``product.bet_limit_usd``) with a kill rule stops a custom item
once it has cost more than the cap: fewer runaway items reach delivery, and the complexity they
would have added never lands. ``product.bet_style: many_small`` builds the roadmap as many small
experiments that measure what a capability is worth and kill poor lines, instead of a few big
items: more fit gained per roadmap dollar, with less variance across seeds (MODEL.md pattern 7).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from mechanisms_helpers import events, mean_of, paired, per_seed, run_arms

from sim.config import from_dict

BET_LIMIT_USD = 50_000.0  # the capped arm (USD per bet); against no cap
ENGINEER_COST = (
    15_000.0  # default fully loaded engineer cost (USD/month): the cap is 3.3 engineer-months
)
# delivered custom items whose actual effort overran the estimate: fewer with the cap by at least
# this (items/run); measured 5.25 on 3000-3015 (4.44 on 0-15)
OVERRUN_ITEMS_MARGIN = 1.0
# mean custom share of engineering lower with the cap by at least this (share); measured 0.235 on
# 3000-3015 (0.226 on 0-15)
SHARE_MARGIN = 0.035
# mean complexity lower with the cap by at least this (complexity units); measured 0.29 on
# 3000-3015 (0.24 on 0-15)
COMPLEXITY_MARGIN = 0.1
# a killed bet should have spent at most this multiple of its cap, pooled mean (ratio); measured
# 0.99 on 3000-3015 and on 0-15
KILLED_SPEND_MAX = 1.25

# a spread across seeds needs many seeds to compare: 32 held-out seeds (18 months keeps it fast)
STYLE_SEEDS = tuple(range(3000, 3032))
# product fit gained per $1M of roadmap work: higher with many small bets by at least this
# (fit/$M); measured 0.031 on 3000-3031 (0.021 on 0-31)
FIT_PER_DOLLAR_MARGIN = 0.009
# sd across seeds of fit gained per $M, many_small / few_big, at most this (ratio); measured 0.97
# on 3000-3031 (0.99 on 0-31)
SD_RATIO_MAX = 0.85


@pytest.fixture(scope="module")
def limit_arms():
    base = from_dict({}).with_overrides(
        {
            "market.size_scale": 0.5,
            "company.initial_cash": 20_000_000,
            "sales.contingent_acceptance": 0.9,
            "product.custom_capacity_cap": 1.0,
        }
    )
    return run_arms(
        base,
        {
            "capped": {"product.bet_limit_usd": BET_LIMIT_USD},
            "uncapped": {"product.bet_limit_usd": None},
        },
        months=24,
    )


def overrun_items(r):
    d = events(r, "contingent_delivered")
    return float((d["actual_em"] > d["estimate_em"]).sum()) if len(d) else 0.0


def test_bet_limit_delivers_fewer_overrun_items(limit_arms):
    p = paired(limit_arms["capped"], limit_arms["uncapped"], overrun_items)
    print("overrun items delivered capped - uncapped:", p)
    assert p.mean_diff <= -OVERRUN_ITEMS_MARGIN, p


def test_bet_limit_lowers_custom_share_and_complexity(limit_arms):
    share = paired(limit_arms["capped"], limit_arms["uncapped"], mean_of("custom_share"))
    print("custom share capped - uncapped:", share)
    assert share.mean_diff <= -SHARE_MARGIN, share
    complexity = paired(limit_arms["capped"], limit_arms["uncapped"], mean_of("complexity"))
    print("complexity capped - uncapped:", complexity)
    assert complexity.mean_diff <= -COMPLEXITY_MARGIN, complexity


def test_killed_bets_stay_near_their_cap(limit_arms):
    killed = pd.concat([events(r, "bet_killed") for r in limit_arms["capped"]], ignore_index=True)
    assert len(killed) > 0
    ratio = killed["spent_em"] * ENGINEER_COST / BET_LIMIT_USD
    print(f"{len(killed)} killed bets: spend / cap mean {ratio.mean():.2f}, max {ratio.max():.2f}")
    assert ratio.mean() <= KILLED_SPEND_MAX


def fit_gain_per_million(r):
    """Product fit gained over the run per $1M of engineering spent on the roadmap."""
    s = r.series
    roadmap_usd = float((s["roadmap_share"] * s["capacity_em"]).sum()) * ENGINEER_COST
    return (s["product_fit"].iloc[-1] - s["product_fit"].iloc[0]) / (roadmap_usd / 1e6)


@pytest.fixture(scope="module")
def style_arms():
    # Roadmap only (no custom work) and cash enough that no company dies: the spend is comparable.
    base = from_dict({}).with_overrides(
        {
            "market.size_scale": 0.5,
            "company.initial_cash": 20_000_000,
            "sales.contingent_acceptance": 0.0,
        }
    )
    return run_arms(
        base,
        {"small": {"product.bet_style": "many_small"}, "big": {"product.bet_style": "few_big"}},
        seeds=STYLE_SEEDS,
        months=18,
    )


def test_many_small_bets_gain_more_fit_per_dollar(style_arms):
    p = paired(style_arms["small"], style_arms["big"], fit_gain_per_million)
    print("fit gained per roadmap $M many_small - few_big:", p)
    assert p.mean_diff >= FIT_PER_DOLLAR_MARGIN, p


@pytest.mark.xfail(
    strict=True,
    reason=(
        "pattern 7's 'less variance' half is not reproduced: sd across 32 seeds of fit gained per "
        "$M, many_small / few_big = 0.97 on held-out seeds 3000-3031 (0.99 on 0-31; quoted "
        "earlier: 1.15 with item outcomes of sd 0.5, 1.14 at sd 1.0), against at most 0.85. The "
        "spread comes from the market (needs, drift, competitor) and from small bets' kill "
        "decisions, not from item risk."
    ),
)
def test_many_small_bets_vary_less_across_seeds(style_arms):
    small = per_seed(style_arms["small"], fit_gain_per_million)
    big = per_seed(style_arms["big"], fit_gain_per_million)
    ratio = np.std(small, ddof=1) / np.std(big, ddof=1)
    print(f"sd across seeds of fit gained per $M, many_small / few_big: {ratio:.2f}")
    assert ratio <= SD_RATIO_MAX
