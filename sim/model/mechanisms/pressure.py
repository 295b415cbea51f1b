"""Pressure and the return link of the death spiral: how revenue pressure bends behaviour.

The CEO reads pressure from the gap to the revenue plan and from a short cash fuse
(000_6d48f6e008d74b5c.txt). Governance decides how much of it reaches behaviour: the *felt*
pressure is ``pressure x policy.pressure_response``. Felt pressure lowers the fit reps accept,
deepens discounts, lengthens the roadmap promises they make, widens focused targeting, hires reps
on pressure and makes sales commit to more 'buy if you build X' requests
(001_c4a0b04a5eb93e2d.txt: the pressure to close pushes the company to build more
deal-contingent features). ``policy.pressure_response: 0`` cuts this link and nothing else: the
counterfactual of loop attribution.

Contingent acceptance never sits at a cap: commission multiplies the *odds* of committing, and
felt pressure closes a share of the remaining gap to committing to every request, so each rise
in pressure still moves behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.model.actors.company import Company

REFERENCE_COMMISSION = 0.10  # commission rate whose behavioural effects the sales levers state
LEARNING_MODE_MIN_FIT_ADD = 0.05  # reps in discovery only work prospects that fit a little better
DEEPEST_DISCOUNT = 0.9  # no rep discounts more than this, whatever the pressure (share)


@dataclass(frozen=True)
class Stance:
    """How the sales floor sells this month: the bar, the discount, contingent deals, promises."""

    commission_on: bool
    learning: bool
    min_fit: float
    max_discount: float
    contingent_acceptance: float
    promise_horizon: float
    segments: list[int]


def pressure_reading(company: Company) -> float:
    """This month's raw reading (0-1): the revenue gap to plan and the cash fuse, weighted."""
    p = company.p
    plan = company.plan_mrr(company.model.month)
    gap = _unit((plan - company.mrr()) / plan) if plan > 0 else 0.0
    fuse = _unit((p.pressure_runway_months - company.runway) / p.pressure_runway_months)
    return p.pressure_gap_weight * gap + (1.0 - p.pressure_gap_weight) * fuse


def _unit(x: float) -> float:
    """``x`` clipped to 0-1 (a plain float: this runs every month, scalars only)."""
    return min(1.0, max(0.0, float(x)))


def felt_pressure(company: Company) -> float:
    """Pressure as it reaches behaviour under this governance (0 when the link is cut)."""
    return company.pressure * company.policy.pressure_response


def contingent_acceptance(
    base: float, commission_boost: float, pressure_add: float, felt: float
) -> float:
    """Share of 'buy if you build X' requests sales commits to.

    Commission multiplies the odds of committing by ``1 + commission_boost``; felt pressure then
    closes ``pressure_add x felt`` of the remaining gap to committing to every request.
    """
    if base <= 0.0:
        return 0.0
    odds = base / max(1.0 - base, 1e-9) * (1.0 + commission_boost)
    boosted = odds / (1.0 + odds)
    return boosted + (1.0 - boosted) * min(1.0, pressure_add * felt)


def read_stance(company: Company) -> Stance:
    """Commission, felt pressure and governance set this month's selling behaviour."""
    p, policy = company.sales, company.policy
    on = company.commission_on()
    incentive = p.commission_rate / REFERENCE_COMMISSION if on else 0.0
    felt = felt_pressure(company)
    learning = not on and p.commission_timing == "after_pmf"
    min_fit = p.min_fit - p.commission_fit_drop * incentive - policy.pressure_fit_drop * felt
    discount = (
        p.max_discount + p.commission_discount_add * incentive + policy.pressure_discount_add * felt
    )
    return Stance(
        commission_on=on,
        learning=learning,
        min_fit=min_fit + (LEARNING_MODE_MIN_FIT_ADD if learning else 0.0),
        max_discount=min(DEEPEST_DISCOUNT, discount),
        contingent_acceptance=contingent_acceptance(
            p.contingent_acceptance,
            p.commission_contingent_boost * incentive,
            policy.pressure_acceptance_add,
            felt,
        ),
        promise_horizon=p.promise_horizon_months + policy.pressure_promise_months * felt,
        segments=company.target_segments(),
    )
