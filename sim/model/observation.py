"""Data collection: what one month of the model looks like, as one row of plain numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.population import State

if TYPE_CHECKING:
    from sim.model.company_model import CompanyModel

MONTHS_PER_YEAR = 12


def observe(model: CompanyModel, flows: dict[str, float]) -> dict[str, float | int | bool]:
    """One row of the series: finance, sales, product, customers and policy state."""
    live = model.market.prospects.live()  # read once: nothing changes while the month is read
    return {
        "month": model.month,
        **_finance(model, flows),
        **_sales(model),
        **_product(model, live),
        **_customers(model, live),
        "pmf": model.company.pmf_month is not None,
        "pmf_signal": model.company.pmf,
        "alive": not model.company.dead,
    }


def _finance(model: CompanyModel, flows: dict[str, float]) -> dict[str, float]:
    company = model.company
    mrr = company.mrr()
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


def _sales(model: CompanyModel) -> dict[str, float | int | bool]:
    company, pr = model.company, model.market.prospects
    states = np.bincount(pr.active("state"), minlength=len(State))
    reps = model.reps()
    attained = [
        a for a in (rep.attainment() for rep in reps if not rep.is_ramping()) if a is not None
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
        "reps_ramping": sum(rep.is_ramping() for rep in reps),
        "reps_hired": company.reps_hired,
        "reps_left": company.reps_left,
        "reps_at_quota_share": sum(a >= 1.0 for a in attained) / len(attained)
        if attained
        else np.nan,
        "commission_on": company.commission_on(),
        "promises_made": company.promises_made,
        "contingent_accepted": company.contingent_accepted,
    }


def _product(model: CompanyModel, live: np.ndarray) -> dict[str, float | int]:
    product = model.product
    capacity = max(product.month_capacity_em, 1e-9)
    return {
        "product_fit": _mean_fit(model, "fit", live),
        "competitor_fit": _mean_fit(model, "comp_fit", live),
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


def _mean_fit(model: CompanyModel, column: str, live: np.ndarray) -> float:
    """Mean fit (ours: ``fit``; the rival's: ``comp_fit``) over live prospects (0-1)."""
    return float(model.market.prospects.active(column)[live].mean()) if live.any() else 0.0


def _segment_fit(model: CompanyModel, live: np.ndarray) -> np.ndarray:
    """Mean fit of our product per segment, over live prospects."""
    pr, segments = model.market.prospects, len(model.market.segments)
    seg = pr.active("seg")[live]
    total = np.bincount(seg, weights=pr.active("fit")[live], minlength=segments)
    return total / np.maximum(np.bincount(seg, minlength=segments), 1)


def _customers(model: CompanyModel, live: np.ndarray) -> dict[str, float | int]:
    customers, pr, market = model.customers, model.market.prospects, model.market
    is_customer = pr.active("state") == State.CUSTOMER
    per_segment = np.bincount(pr.active("seg")[is_customer], minlength=len(market.segments))
    row: dict[str, float | int] = {
        f"customers_{name}": int(c) for name, c in zip(market.segment_names, per_segment)
    }
    row.update(
        {f"fit_{name}": f for name, f in zip(market.segment_names, _segment_fit(model, live))}
    )
    row.update(
        {
            "customers": int(is_customer.sum()),
            "churned_mrr_usd": customers.month_churned_mrr,
            "promises_outstanding": int(np.count_nonzero(pr.active("promise_cap") >= 0)),
            "promises_kept": customers.promises_kept,
            "promises_broken": customers.promises_broken,
            "contingent_delivered": customers.contingent_delivered,
            "contingent_converted": customers.contingent_converted,
            "custom_estimate_em_delivered": customers.custom_estimate_em_delivered,
            "custom_actual_em_delivered": customers.custom_actual_em_delivered,
            "satisfaction": float(pr.active("satisfaction")[is_customer].mean())
            if is_customer.any()
            else np.nan,
        }
    )
    return row
