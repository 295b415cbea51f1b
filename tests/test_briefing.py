"""What the CEO hears (sim/analysis/briefing.py): each sentence follows the series it reads."""

from __future__ import annotations

import pandas as pd

from sim.analysis.briefing import briefing


def _series(**last: float) -> pd.DataFrame:
    row = {
        "month": 6,
        "mrr_usd": 5_000.0,
        "plan_mrr_usd": 10_000.0,
        "pressure": 0.1,
        "deals_decided": 4.0,
        "win_rate": 0.5,
        "pipeline_deals": 9,
        "contingent_accepted": 0,
        "custom_share": 0.1,
        "product_fit": 0.5,
        "competitor_fit": 0.4,
        "promises_broken": 0,
        "leapfrog": False,
        "cash_usd": 2_000_000.0,
        "runway_months": 20.0,
        "alive": True,
        "funding_usd": 0.0,
    }
    row.update(last)
    return pd.DataFrame([row])


def test_sales_reads_the_plan_and_the_pipeline():
    told = briefing(_series(), 3)
    assert told.sales[0] == "We are 50% behind the revenue plan."
    assert "9 deals in the pipeline; 4 decided this round, we won 50% of them." in told.sales
    ahead = briefing(_series(mrr_usd=15_000.0, pressure=0.6), 3)
    assert ahead.sales[0] == "We are 50% ahead of the revenue plan."
    assert "cash fuse" in ahead.sales[-1]  # pressure without a plan gap comes from the cash
    assert "plan is pressing" in briefing(_series(pressure=0.6), 3).sales[-1]


def test_product_and_finance_read_their_numbers():
    told = briefing(_series(custom_share=0.6, product_fit=0.3, promises_broken=2), 3)
    assert told.product[0].startswith("60% of engineering")
    assert any("roadmap is starving" in line for line in told.product)
    assert any("competitor fits the market better" in line for line in told.product)
    assert any("broke 2 feature promises" in line for line in told.product)
    assert told.finance[0] == "$2.00M in the bank, 20 months of runway at this burn."
    dead = briefing(_series(alive=False, cash_usd=-5.0), 3)
    assert dead.finance == ("We ran out of cash in month 6.",)


def test_before_the_first_round_nothing_has_happened():
    told = briefing(pd.DataFrame(), 3)
    assert told.sales and told.product and told.finance
    assert "Nothing sold yet" in told.sales[0]
