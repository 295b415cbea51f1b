"""Data collection: what one month of the model looks like, as one row of plain numbers."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from sim.model.kernels import census
from sim.model.population import State

if TYPE_CHECKING:
    from sim.model.company_model import CompanyModel

MONTHS_PER_YEAR = 12


class _Census(NamedTuple):
    """The population's counts and sums for one row, from one scan (sim/model/kernels.py)."""

    states: np.ndarray  # prospects per state
    seg_live: np.ndarray  # live prospects per segment
    seg_fit: np.ndarray  # their summed fit to our product, per segment
    seg_customers: np.ndarray  # customers per segment
    fit_sum: float  # summed fit of live prospects, ours and the rival's
    rival_fit_sum: float
    satisfaction_sum: float  # summed satisfaction of customers
    promises: int  # promises outstanding


def observe(model: CompanyModel, flows: dict[str, float]) -> dict[str, float | int | bool]:
    """One row of the series: finance, sales, product, customers and policy state."""
    pr = model.market.prospects  # read once: nothing changes while the month is read
    counts = _Census(
        *census(
            pr.active("state"),
            pr.active("seg"),
            pr.active("fit"),
            pr.active("comp_fit"),
            pr.active("promise_cap"),
            pr.active("satisfaction"),
            len(model.market.segments),
        )
    )
    return {
        "month": model.month,
        **_finance(model, flows),
        **_sales(model, counts),
        **_product(model, counts),
        **_customers(model, counts),
        "pmf": model.company.pmf_month is not None,
        "pmf_signal": model.company.pmf,
        "alive": not model.company.dead,
    }


def _finance(model: CompanyModel, flows: dict[str, float]) -> dict[str, float]:
    company = model.company
    # the MRR the books closed on this month (settle records it; nothing after it, reps leaving
    # included, touches a customer): the same number, without another pass over the population
    mrr = company.mrr_history[-1]
    costs = model.company.ledger.costs(flows)
    return {
        "cash_usd": company.ledger.cash,
        "burn_usd": company.burn,
        "runway_months": company.runway,
        "mrr_usd": mrr,
        "arr_usd": MONTHS_PER_YEAR * mrr,
        "plan_mrr_usd": company.plan_mrr(model.month),
        "revenue_usd": flows["revenue_usd"],
        "costs_usd": costs,
        "funding_usd": flows["funding_usd"],
        "commissions_usd": flows["commissions_usd"],
        "salaries_usd": flows["salaries_usd"],
        "cost_to_serve_usd": flows["cost_to_serve_usd"],
        "overhead_usd": flows["overhead_usd"],
        "hiring_usd": flows["hiring_usd"],
        "pressure": company.pressure,
    }


def _sales(model: CompanyModel, counts: _Census) -> dict[str, float | int | bool]:
    company, states = model.company, counts.states
    reps = model.reps()
    ramping = [rep.is_ramping() for rep in reps]
    attained = [
        a
        for a in (rep.attainment() for rep, r in zip(reps, ramping, strict=True) if not r)
        if a is not None
    ]
    return {
        "bookings_usd": company.bookings,
        "leads": int(states[State.LEAD]),
        "pipeline_deals": int(states[State.PIPELINE]),
        "waiting_prospects": int(states[State.WAITING]),
        "deals_decided": company.decisions,
        "discovery_contacts": company.discovery,
        "win_rate": company.wins / company.decisions if company.decisions else np.nan,
        "reps": len(reps),
        "reps_ramping": sum(ramping),
        "reps_hired": company.reps_hired,
        "reps_left": company.reps_left,
        "reps_at_quota_share": sum(a >= 1.0 for a in attained) / len(attained)
        if attained
        else np.nan,
        "commission_on": company.commission_on(),
        "promises_made": company.promises_made,
        "contingent_accepted": company.contingent_accepted,
    }


def _product(model: CompanyModel, counts: _Census) -> dict[str, float | int]:
    product = model.product
    capacity = max(product.month_capacity_em, 1e-9)
    live = int(counts.seg_live.sum())
    return {
        "product_fit": counts.fit_sum / live if live else 0.0,  # mean over live prospects (0-1)
        "competitor_fit": counts.rival_fit_sum / live if live else 0.0,
        "custom_share": product.month_custom_em / capacity,
        "roadmap_share": product.month_roadmap_em / capacity,
        "capacity_em": product.month_capacity_em,
        "roadmap_items_shipped": model.roadmap_shipped_this_month,
        "custom_backlog_em": model.contingent.backlog_em(),
        "custom_open": len(model.contingent.queue),
        "complexity": product.complexity,
        "knowledge_error": product.knowledge_error(),
        "engineers": product.engineers,
        "leapfrog": model.competitor.leapfrog_this_month,
    }


@functools.cache
def _segment_keys(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The per-segment column names (made once per set of segments, not every month)."""
    return [f"customers_{name}" for name in names], [f"fit_{name}" for name in names]


def _customers(model: CompanyModel, counts: _Census) -> dict[str, float | int]:
    customers = model.customers
    customer_keys, fit_keys = _segment_keys(tuple(model.market.segment_names))
    row: dict[str, float | int] = dict(
        zip(customer_keys, counts.seg_customers.tolist(), strict=True)
    )
    # mean fit of our product per segment, over live prospects
    segment_fit = counts.seg_fit / np.maximum(counts.seg_live, 1)
    row.update(zip(fit_keys, segment_fit.tolist(), strict=True))
    paying = int(counts.states[State.CUSTOMER])
    row.update(
        {
            "customers": paying,
            "churned_mrr_usd": customers.month_churned_mrr,
            "promises_outstanding": counts.promises,
            "promises_kept": customers.promises_kept,
            "promises_broken": customers.promises_broken,
            "contingent_delivered": customers.contingent_delivered,
            "contingent_converted": customers.contingent_converted,
            "custom_estimate_em_delivered": customers.custom_estimate_em_delivered,
            "custom_actual_em_delivered": customers.custom_actual_em_delivered,
            "satisfaction": counts.satisfaction_sum / paying if paying else np.nan,
        }
    )
    return row
