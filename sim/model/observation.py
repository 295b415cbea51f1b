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


FINANCE_NAMES = (
    "cash_usd",
    "burn_usd",
    "runway_months",
    "mrr_usd",
    "arr_usd",
    "plan_mrr_usd",
    "revenue_usd",
    "costs_usd",
    "funding_usd",
    "commissions_usd",
    "salaries_usd",
    "cost_to_serve_usd",
    "overhead_usd",
    "hiring_usd",
    "pressure",
)
"""The row's finance columns, in ``_finance``'s order."""

SALES_NAMES = (
    "bookings_usd",
    "leads",
    "pipeline_deals",
    "waiting_prospects",
    "deals_decided",
    "discovery_contacts",
    "win_rate",
    "reps",
    "reps_ramping",
    "reps_hired",
    "reps_hired_on_pressure",
    "reps_left",
    "reps_at_quota_share",
    "commission_on",
    "promises_made",
    "contingent_accepted",
)
"""The row's sales columns, in ``_sales``'s order."""

PRODUCT_NAMES = (
    "product_fit",
    "competitor_fit",
    "custom_share",
    "roadmap_share",
    "capacity_em",
    "roadmap_items_shipped",
    "custom_backlog_em",
    "custom_open",
    "complexity",
    "knowledge_error",
    "engineers",
    "leapfrog",
)
"""The row's product columns, in ``_product``'s order."""

CUSTOMER_NAMES = (
    "customers",
    "churned_mrr_usd",
    "promises_outstanding",
    "promises_kept",
    "promises_broken",
    "contingent_delivered",
    "contingent_converted",
    "custom_estimate_em_delivered",
    "custom_actual_em_delivered",
    "satisfaction",
)
"""The row's customer columns after the per-segment ones, in ``_customers``'s order."""

SIGNAL_NAMES = ("pmf", "pmf_signal", "alive")
"""The row's last columns: the PMF month reached, this month's signal, the company alive."""


@functools.cache
def row_names(segments: tuple[str, ...]) -> tuple[str, ...]:
    """The names of a row's values, in order, for these segments (made once per set)."""
    return (
        "month",
        *FINANCE_NAMES,
        *SALES_NAMES,
        *PRODUCT_NAMES,
        *(f"customers_{name}" for name in segments),
        *(f"fit_{name}" for name in segments),
        *CUSTOMER_NAMES,
        *SIGNAL_NAMES,
    )


def observe(model: CompanyModel, flows: dict[str, float]) -> list[float | int | bool]:
    """One row of the series, in ``row_names``'s order: finance, sales, product, customers and
    policy state."""
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
    company = model.company
    return [
        model.month,
        *_finance(model, flows),
        *_sales(model, counts),
        *_product(model, counts),
        *_customers(model, counts),
        company.pmf_month is not None,
        company.pmf,
        not company.dead,
    ]


def observe_named(model: CompanyModel, flows: dict[str, float]) -> dict[str, float | int | bool]:
    """``observe``'s row by name."""
    names = row_names(tuple(model.market.segment_names))
    return dict(zip(names, observe(model, flows), strict=True))


def _finance(model: CompanyModel, flows: dict[str, float]) -> tuple[float, ...]:
    company = model.company
    # the MRR the books closed on this month (settle records it; nothing after it, reps leaving
    # included, touches a customer): the same number, without another pass over the population
    mrr = company.mrr_history[-1]
    return (
        company.ledger.cash,
        company.burn,
        company.runway,
        mrr,
        MONTHS_PER_YEAR * mrr,
        company.plan_mrr(model.month),
        flows["revenue_usd"],
        company.month_costs,  # the outflows of ``flows``, summed when settled
        flows["funding_usd"],
        flows["commissions_usd"],
        flows["salaries_usd"],
        flows["cost_to_serve_usd"],
        flows["overhead_usd"],
        flows["hiring_usd"],
        company.pressure,
    )


def _sales(model: CompanyModel, counts: _Census) -> tuple[float | int | bool, ...]:
    company, states = model.company, counts.states
    reps = model.reps()
    ramping = measured = at_quota = 0  # ramped reps with a quota: measured, at or above it
    for rep in reps:
        if rep.ramp() < 1.0:  # ``is_ramping`` without its own call
            ramping += 1
            continue
        attained = rep.attainment()
        if attained is not None:
            measured += 1
            at_quota += attained >= 1.0
    return (
        company.bookings,
        int(states[State.LEAD]),
        int(states[State.PIPELINE]),
        int(states[State.WAITING]),
        company.decisions,
        company.discovery,
        company.wins / company.decisions if company.decisions else np.nan,
        len(reps),
        ramping,
        company.reps_hired,
        company.reps_hired_on_pressure,
        company.reps_left,
        at_quota / measured if measured else np.nan,
        company.commission_on(),
        company.promises_made,
        company.contingent_accepted,
    )


def _product(model: CompanyModel, counts: _Census) -> tuple[float | int | bool, ...]:
    product = model.product
    capacity = max(product.month_capacity_em, 1e-9)
    live = int(counts.seg_live.sum())
    return (
        counts.fit_sum / live if live else 0.0,  # mean over live prospects (0-1)
        counts.rival_fit_sum / live if live else 0.0,
        product.month_custom_em / capacity,
        product.month_roadmap_em / capacity,
        product.month_capacity_em,
        model.roadmap_shipped_this_month,
        model.contingent.backlog_em(),
        len(model.contingent.queue),
        product.complexity,
        product.knowledge_error(),
        product.engineers,
        model.competitor.leapfrog_this_month,
    )


def _customers(model: CompanyModel, counts: _Census) -> list[float | int]:
    """Customers per segment, mean fit per segment (over live prospects), then the rest."""
    customers = model.customers
    paying = int(counts.states[State.CUSTOMER])
    segment_fit = counts.seg_fit / np.maximum(counts.seg_live, 1)
    return [
        *counts.seg_customers.tolist(),
        *segment_fit.tolist(),
        paying,
        customers.month_churned_mrr,
        counts.promises,
        customers.promises_kept,
        customers.promises_broken,
        customers.contingent_delivered,
        customers.contingent_converted,
        customers.custom_estimate_em_delivered,
        customers.custom_actual_em_delivered,
        counts.satisfaction_sum / paying if paying else np.nan,
    ]
