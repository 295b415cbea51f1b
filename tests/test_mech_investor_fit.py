"""A fit-aware investor (off by default): `company.investor_fit_weight` adds the PMF survey's love
share to the funding odds [000: investors were told a product-market-fit story].

`Company.traction_odds` adds ``investor_fit_weight * (share - pmf_share) / pmf_share`` to the
traction logit, where ``share`` is the month's best-segment love share (the reading `_read_pmf`
uses). Weight 0 must leave the odds exactly as they were; a positive weight must make a company
whose prospects love the product more likely to be funded.
"""

from __future__ import annotations

from sim.config import from_dict
from sim.model import CompanyModel

MONTHS = 8  # months stepped before reading the odds: some MRR history to judge (months)
SEED = 3000  # a held-out seed (3000+); any seed with some MRR history will do


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


def test_weight_zero_leaves_the_odds_blind_to_the_survey():
    """Off by default: the odds do not move with the love share (that the runs are bit-identical
    to before the field existed is the pins' job, tests/pins)."""
    company = _company(0.0)
    assert company.p.investor_fit_weight == 0.0  # the schema default
    assert _odds_at_share(company, 0.0) == _odds_at_share(company, 1.0)


def test_more_love_raises_the_odds_when_the_weight_is_positive():
    company = _company(2.0)
    p = company.p
    low = _odds_at_share(company, 0.5 * p.pmf_share)
    at_bar = _odds_at_share(company, p.pmf_share)
    high = _odds_at_share(company, min(1.0, 1.5 * p.pmf_share))
    assert low < at_bar < high
    company.p = p.model_copy(update={"investor_fit_weight": 0.0})
    assert company.traction_odds() == at_bar  # at the bar the fit term is zero
