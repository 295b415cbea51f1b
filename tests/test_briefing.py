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


def test_product_names_the_better_fit_first_in_percent():
    """The one who fits better comes first, with its own number first, in percent."""
    behind = briefing(_series(product_fit=0.24, competitor_fit=0.31), 3).product
    assert (
        "The competitor fits the market better than we do: it covers 31% of what the market "
        "needs, we cover 24%." in behind
    )
    ahead = briefing(_series(product_fit=0.5, competitor_fit=0.4), 3).product
    assert (
        "We fit the market better than the competitor: we cover 50% of what the market needs, "
        "it covers 40%." in ahead
    )
    close = briefing(_series(product_fit=0.241, competitor_fit=0.243), 3).product
    assert (
        "The competitor fits the market slightly better than we do: both cover about 24% of "
        "what the market needs." in close
    )
    level = briefing(_series(product_fit=0.3, competitor_fit=0.3), 3).product
    assert any("as well as the competitor: each covers 30%" in line for line in level)
    assert not any("0.2" in line or "0.3" in line for line in behind + ahead + close + level)
