"""Mechanism: the board re-bases a beaten plan (`company.plan_replan_months`; every 9 months by
default, every 24 months in the product-led preset; the arms here set it explicitly). With
`company.plan_replan_down_share` > 0 it also lowers a missed plan, and with
`company.plan_replan_stretch` >= 0 the new plan grows at the reviewed growth plus a stretch
(both on by default since S3, off in the product-led preset; the up-only arms here set them off
explicitly; the tests at the end).

Every N months after the plan starts, a company whose MRR is above the plan gets a new plan that
grows from what it really makes. A plan is never lowered, so a company behind plan keeps the old
one. Quotas follow the plan, so a company that keeps beating it sees its quotas rise and its
reps' attainment fall. The re-based plan starts at the company's own MRR, so it adds no
pressure on the day; a company in the spiral (behind plan) is untouched.
"""

from __future__ import annotations

import numpy as np
import pytest
from mechanisms_helpers import count_events, mean_of, paired, per_seed, run_arms

from sim.config import preset

SEEDS = tuple(range(3000, 3012))  # held out (S3 was calibrated on 0-63, checked on 1000-1063)
# the re-plan count gap is noisy (sd 1.1 per seed): 64 held-out seeds for it. On 3000-3011 it was
# 0.92 against its margin, on 3000-3063 1.13, on 3000-3255 1.14 (sem 0.07)
COUNT_SEEDS = tuple(range(3000, 3064))
EVERY = 12  # months between budget reviews in the 'on' arm
# product-led plan at the last month, on against off: at least this ratio (mean over seeds);
# measured 2.78 on 3000-3011 (4.24 on 1000-1011)
PLAN_RATIO_MIN = 2.0
# mean share of ramped reps at quota, product-led, on minus off: at most this (negative: fewer
# reps make a quota set from a raised plan); measured -0.13 on 3000-3011 (-0.21 on 1000-1011)
QUOTA_SHARE_MARGIN = -0.1
# re-plans per run: product-led minus sales-led (sales-led companies rarely beat the plan), at
# least; measured 1.13 on COUNT_SEEDS (2.2 against 1.1), 1.42 on 1000-1011 (2.3 against 0.9)
REPLANS_MARGIN = 1.0
# the up-only review: a missed plan is never lowered and the plan keeps its growth
UP = {
    "company.plan_replan_months": EVERY,
    "company.plan_replan_down_share": 0.0,
    "company.plan_replan_stretch": -1.0,
}


@pytest.fixture(scope="module")
def product_led():
    return run_arms(
        preset("product_led"),
        {"on": UP, "off": {"company.plan_replan_months": 0}},
        seeds=SEEDS,
    )


def test_a_replan_never_lowers_the_plan(product_led):
    """Month by month the re-based plan is at least the original one (both arms alive)."""
    for on, off in zip(product_led["on"], product_led["off"], strict=True):
        months = min(len(on.series), len(off.series))
        assert np.all(
            on.series["plan_mrr_usd"].to_numpy()[:months]
            >= off.series["plan_mrr_usd"].to_numpy()[:months] - 1e-6
        )


def test_a_beaten_plan_is_raised_and_quotas_follow(product_led):
    last_plan = paired(
        product_led["on"], product_led["off"], lambda r: r.series["plan_mrr_usd"].iloc[-1]
    )
    print("last month's plan, on / off:", last_plan)
    assert np.mean(last_plan.a / last_plan.b) >= PLAN_RATIO_MIN, last_plan
    at_quota = paired(product_led["on"], product_led["off"], mean_of("reps_at_quota_share"))
    print("share of ramped reps at quota, on - off:", at_quota)
    assert at_quota.mean_diff <= QUOTA_SHARE_MARGIN, at_quota


@pytest.fixture(scope="module")
def replan_counts():
    """The up-only review in both presets, over COUNT_SEEDS."""
    return {
        name: run_arms(preset(name), {"on": UP}, seeds=COUNT_SEEDS)["on"]
        for name in ("product_led", "sales_led")
    }


def test_companies_behind_plan_are_rarely_replanned(replan_counts):
    p = paired(replan_counts["product_led"], replan_counts["sales_led"], count_events("replan"))
    print("re-plans per run, product-led - sales-led:", p)
    assert p.mean_diff >= REPLANS_MARGIN, p


# ---- re-basing in both directions (company.plan_replan_down_share, company.plan_replan_stretch)
BOTH = {
    "company.plan_replan_months": EVERY,
    "company.plan_replan_down_share": 1.0,
    "company.plan_replan_stretch": 0.01,
}
# mean share of ramped reps at quota, sales-led, both-ways re-basing on minus up-only: at least
# this (a sales-led company behind plan gets a plan, and quotas, it can make); measured +0.14 on
# 3000-3011 (+0.13 on 1000-1011)
BOTH_QUOTA_MARGIN = 0.05


@pytest.fixture(scope="module")
def sales_led_both():
    return run_arms(
        preset("sales_led"),
        {"both": BOTH, "up": UP},
        seeds=SEEDS,
    )


def test_off_settings_change_nothing():
    """With no review (`plan_replan_months` 0) the down share and stretch change nothing: the
    defaults' two-way settings give the run that down share 0 and no stretch give. (Before S3
    the defaults were down share 0 and no stretch and this compared them with the up-only rule;
    with those defaults gone that comparison would set the same values twice.)"""
    arms = run_arms(
        preset("sales_led"),
        {
            "explicit": {
                "company.plan_replan_months": 0,
                "company.plan_replan_down_share": 0.0,
                "company.plan_replan_stretch": -1.0,
            },
            "defaults": {"company.plan_replan_months": 0},
        },
        seeds=SEEDS[:3],
    )
    for a, b in zip(arms["explicit"], arms["defaults"], strict=True):
        assert a.series.equals(b.series)


def test_a_missed_plan_is_lowered_and_quotas_follow(sales_led_both):
    downs = per_seed(sales_led_both["both"], count_events("replan_down"))
    print("downward re-plans per run:", downs)
    assert downs.mean() >= 1.0
    at_quota = paired(sales_led_both["both"], sales_led_both["up"], mean_of("reps_at_quota_share"))
    print("share of ramped reps at quota, both - up:", at_quota)
    assert at_quota.mean_diff >= BOTH_QUOTA_MARGIN, at_quota


def test_the_lowered_plan_never_falls_below_what_the_company_makes(sales_led_both):
    """At a review the plan is re-set at or above MRR (share <= 1), then grows."""
    for r in sales_led_both["both"]:
        ev = r.events
        if len(ev) == 0 or "event" not in ev:
            continue
        for _, row in ev[ev["event"] == "replan_down"].iterrows():
            assert row["plan"] >= row["mrr"] - 1
