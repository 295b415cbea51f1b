"""Mechanism 5: pressure and governance [000, 001].

Pressure rises with the gap to the revenue plan and with a short cash fuse. How strongly it bends
sales (``policy.pressure_response``) sets how far it lowers the bar for contingent deals and for
fit,
and lengthens promises. Hiring ``on_pressure`` adds reps when behind plan, ahead of PMF, where
``after_pmf`` waits for the signal. ``company.low_burn_until_pmf`` keeps burn low until PMF.
"""

from __future__ import annotations

import pytest
from mechanisms_helpers import paired, run_arms, total

from sim.config import from_dict, preset

# the pressure response effect is noisier: 20 held-out seeds
SEEDS_PRESSURE = tuple(range(3000, 3020))
# contingent deals accepted: more with pressure_response 1 than 0 by at least this (deals/run);
# measured 2.35 on 3000-3019 (3.55 on 0-19)
CONTINGENT_MARGIN = 2.0
# reps hired before PMF: more with hiring on_pressure than after_pmf by at least this (reps/run);
# measured 2.25 on 3000-3015 (2.38 on 0-15)
REPS_MARGIN = 1.5
# mean monthly costs before PMF: lower with low_burn_until_pmf by at least this (USD/month);
# measured 25.2k on 3000-3015 (23.4k on 0-15)
BURN_MARGIN = 10_000.0


def before_pmf(column, agg="sum", last=10_000):
    """Metric: a column over the run's months before its own PMF month (and up to ``last``)."""

    def metric(r):
        s = r.series[r.series["month"] <= last]
        if r.summary["pmf_month"] is not None:
            s = s[s["month"] < r.summary["pmf_month"]]
        return float(getattr(s[column], agg)()) if len(s) else 0.0

    return metric


@pytest.fixture(scope="module")
def response_arms():
    # A short fuse with no round to relieve it: $3M and no funding, so pressure builds and stays.
    # Default acceptance (0.1) leaves room for pressure to add to it.
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "company.initial_cash": 3_000_000, "company.max_rounds": 0}
    )
    return run_arms(
        base,
        {"bent": {"policy.pressure_response": 1.0}, "unbent": {"policy.pressure_response": 0.0}},
        seeds=SEEDS_PRESSURE,
        months=24,
    )


def test_pressure_response_brings_more_contingent_deals(response_arms):
    p = paired(response_arms["bent"], response_arms["unbent"], total("contingent_accepted"))
    print("contingent deals pressure_response 1 - 0:", p)
    assert p.mean_diff >= CONTINGENT_MARGIN, p


def test_hiring_on_pressure_adds_reps_before_pmf():
    # Sales-led governance is where pressure hiring lives; only the hiring rule differs.
    base = preset("sales_led").with_overrides({"market.size_scale": 0.5})
    arms = run_arms(
        base,
        {
            "on_pressure": {"company.hiring": "on_pressure"},
            "after_pmf": {"company.hiring": "after_pmf"},
        },
        months=36,
    )
    p = paired(arms["on_pressure"], arms["after_pmf"], before_pmf("reps_hired"))
    print("reps hired before PMF on_pressure - after_pmf:", p)
    assert p.mean_diff >= REPS_MARGIN, p


def test_low_burn_until_pmf_lowers_burn_before_pmf():
    base = from_dict({}).with_overrides({"market.size_scale": 0.5})
    arms = run_arms(
        base,
        {
            "low": {"company.low_burn_until_pmf": True},
            "normal": {"company.low_burn_until_pmf": False},
        },
        months=12,
    )
    p = paired(arms["low"], arms["normal"], before_pmf("costs_usd", "mean"))
    print("mean monthly costs before PMF low burn - normal:", p)
    assert p.mean_diff <= -BURN_MARGIN, p
