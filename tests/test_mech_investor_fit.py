"""A fit-aware investor (off by default): `company.investor_fit_weight` adds the PMF survey's love
share to the funding odds [000: investors were told a product-market-fit story].

`Company.traction_odds` adds ``investor_fit_weight * (share - pmf_share) / pmf_share`` to the
traction logit, where ``share`` is the month's best-segment love share (the reading `_read_pmf`
uses). Weight 0 must leave the odds exactly as they were; a positive weight must make a company
whose prospects love the product more likely to be funded.
"""

from __future__ import annotations

import math

from scipy.special import expit

import sim.model.actors.company as c
from sim.config import from_dict
from sim.model import CompanyModel

MONTHS = 8  # months stepped before reading the odds: some MRR history to judge (months)
SEED = 3


def _company(weight: float):
    scenario = from_dict({"months": MONTHS + 1})
    if weight:
        scenario = scenario.with_overrides({"company.investor_fit_weight": weight})
    model = CompanyModel(scenario, rng=SEED)
    for _ in range(MONTHS):
        model.step()
    return model.company


def _odds_at_share(company, share: float) -> float:
    company._love, company._love_month = share, company.model.month  # this month's survey
    return company.traction_odds()


def _traction_only_odds(company) -> float:
    """The odds as `traction_odds` computed them before the fit term (ARR, growth, churn)."""
    p, mrr = company.p, company.mrr_history[-c.TRACTION_WINDOW - 1 :]
    arr = c.MONTHS_PER_YEAR * (mrr[-1] if mrr else 0.0)
    growth = (mrr[-1] / mrr[0]) ** (1 / (len(mrr) - 1)) - 1 if len(mrr) > 1 and mrr[0] > 0 else 0.0
    growth = min(growth, c.INVESTOR_GROWTH_CAP)
    churn = sum(company.churn_history[-c.TRACTION_WINDOW :]) / max(
        sum(mrr[-c.TRACTION_WINDOW :]), 1.0
    )
    logit = (
        c.INVESTOR_ARR_SLOPE * math.log(max(arr, 1.0) / p.funding_arr_bar_usd)
        + c.INVESTOR_GROWTH_SLOPE
        * (growth - p.funding_growth_bar)
        / max(p.funding_growth_bar, 1e-6)
        + c.INVESTOR_CHURN_SLOPE * (p.funding_churn_bar - churn) / p.funding_churn_bar
    )
    return float(expit(logit))


def test_weight_zero_gives_exactly_the_traction_only_odds():
    company = _company(0.0)
    assert company.p.investor_fit_weight == 0.0  # the schema default
    old = _traction_only_odds(company)
    assert company.traction_odds() == old
    assert _odds_at_share(company, 0.0) == _odds_at_share(company, 1.0) == old


def test_more_love_raises_the_odds_when_the_weight_is_positive():
    company = _company(2.0)
    p = company.p
    low = _odds_at_share(company, 0.5 * p.pmf_share)
    at_bar = _odds_at_share(company, p.pmf_share)
    high = _odds_at_share(company, min(1.0, 1.5 * p.pmf_share))
    assert low < at_bar < high
    company.p = p.model_copy(update={"investor_fit_weight": 0.0})
    assert company.traction_odds() == at_bar  # at the bar the fit term is zero
