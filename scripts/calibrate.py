#!/usr/bin/env python
"""Calibration table: the model's defaults against public SaaS benchmarks -> docs/calibration.md.

Run ``.venv/bin/python scripts/calibrate.py`` (``--seeds``, ``--first``, ``--months``,
``--workers``, ``--out``, ``--no-write``). It runs an ensemble of the default scenario and of each
preset, *measures* every benchmarked quantity from the runs (never reads it off a parameter), prints
the table and writes docs/calibration.md atomically (temporary file + rename).

Measurements need a few per-segment counts the series does not carry (churn by segment, sales
cycles, new-deal ACV), so each run is driven month by month here (``CompanyModel.step``) and the
prospect arrays and rep agents are read between steps. Nothing in ``sim`` is changed or patched.
Every definition is written out in ``DEFINITIONS`` below and copied into the generated page.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from sim.config import Scenario, preset
from sim.model import CompanyModel
from sim.model.population import State

DEFAULT_OUT = ROOT / "docs" / "calibration.md"
DEFAULT_SEEDS = 32
BOOTSTRAP_RESAMPLES = 400  # resamples of the seeds for the 95% interval of each pooled value
BOOTSTRAP_SEED = 12345
STAGNATION_PRODUCTIVITY = (
    1e-6  # engineer output in the "stops building" check (em/month): nothing ships
)
STAGNATION_CASH_USD = 1e9  # enough cash that the stagnating company cannot die before month 24
STAGNATION_MONTHS = 24
STAGNATION_MIN_LOSS = (
    0.25  # this script's reading of MODEL.md's "real fit" lost within 18-24 months
)


# ================================================================================================
# One run, measured
# ================================================================================================


@dataclass
class RunTally:
    """Raw counts from one run; every benchmark is a ratio of sums of these over the ensemble."""

    seed: int
    segments: list[str]
    months_run: int = 0
    survived: bool = False
    death_month: int | None = None
    pmf_month: int | None = None
    # month 0 inputs as the model holds them
    initial_cash_usd: float = 0.0
    initial_engineers: int = 0
    initial_reps: int = 0
    engineer_cost_usd: float = 0.0
    rep_base_usd: float = 0.0
    # per segment (arrays indexed like ``segments``)
    churn_at_risk: np.ndarray = field(
        default=None
    )  # customer-months at risk (customers at start of month)
    churn_lost: np.ndarray = field(default=None)  # of those, churned by the end of the month
    new_logos: np.ndarray = field(default=None)
    new_acv_usd: np.ndarray = field(default=None)  # sum of 12 x first-month MRR of new logos
    cycle_months: np.ndarray = field(
        default=None
    )  # sum of months from qualification to decision month
    cycle_deals: np.ndarray = field(default=None)
    revenue_usd: np.ndarray = field(default=None)
    cost_to_serve_usd: np.ndarray = field(default=None)
    # reps
    ramp_months: list[int] = field(
        default_factory=list
    )  # per rep: worked months to full productivity
    deals_decided: float = 0.0  # buyers who decided this month (incl. no decision, contingent)
    deals_won: float = 0.0  # of those, won (a contingent request counts when sales commits)
    quota_rep_months: int = 0  # ramped rep-months with a quota (3-month window, as the model)
    quota_hits: int = 0
    booked_mrr_usd: float = 0.0  # ramped rep-months with quota > 0: bookings
    quota_mrr_usd: float = 0.0  # ... and quota
    annual_reps: int = 0  # rep-years (12 ramped months ending at month 12, 24, ...)
    annual_hits: int = 0
    reps_left: int = 0
    rep_months: int = 0  # headcount paid each month (before that month's attrition)
    # money (pooled over months alive)
    sm_spend_usd: float = 0.0  # rep base salaries + commissions + rep hiring costs
    new_mrr_usd: float = (
        0.0  # bookings_usd: MRR booked from new logos, waiters and contingent expansions
    )
    total_revenue_usd: float = 0.0
    total_cost_to_serve_usd: float = 0.0
    # market
    prospects_total: int | None = None  # prospects ever created, when the run reached the horizon
    prospects_by_segment: np.ndarray | None = None
    # stagnation check
    fit_start: float | None = None
    fit_18: float | None = None
    fit_24: float | None = None

    def __post_init__(self) -> None:
        s = len(self.segments)
        for name in (
            "churn_at_risk",
            "churn_lost",
            "new_logos",
            "new_acv_usd",
            "cycle_months",
            "cycle_deals",
            "revenue_usd",
            "cost_to_serve_usd",
        ):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(s))


def _bincount(seg: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(seg.astype(np.int64), weights=weights, minlength=size).astype(float)


def measure_run(scenario: Scenario, seed: int) -> RunTally:
    """Drive one run month by month and count what the benchmarks need (see DEFINITIONS)."""
    m = CompanyModel(scenario, rng=seed)
    market, pr = m.market, m.market.prospects
    names = list(market.segment_names)
    size = len(names)
    cost_per_seat = np.array([s.cost_to_serve_per_seat_usd for s in market.segments])
    tally = RunTally(
        seed=seed,
        segments=names,
        initial_cash_usd=float(m.company.ledger.cash),
        initial_engineers=int(m.product.engineers),
        initial_reps=len(m.reps()),
        engineer_cost_usd=scenario.company.engineer_cost_usd,
        rep_base_usd=scenario.company.rep_base_usd,
    )
    capacity = len(pr.state)
    prev_state = np.full(capacity, State.UNAWARE, dtype=np.int8)
    prev_state[: pr.n] = pr.state[: pr.n]
    first_seen: dict[int, int] = {}
    full_at: dict[int, int] = {}
    while m.running:
        m.step()
        month, n = m.month, pr.n
        state, prev, seg = pr.state[:n], prev_state[:n], pr.seg[:n]
        mrr = pr.seats[:n] * pr.price[:n]

        # churn: the cohort of customers at the start of the month, churned by its end
        was_customer = prev == State.CUSTOMER
        tally.churn_at_risk += _bincount(seg[was_customer], size)
        tally.churn_lost += _bincount(seg[was_customer & (state == State.CHURNED)], size)

        # new logos and their first-month contract value
        new = (
            (pr.start_month[:n] == month)
            & ~was_customer
            & ((state == State.CUSTOMER) | (state == State.CHURNED))
        )
        tally.new_logos += _bincount(seg[new], size)
        tally.new_acv_usd += _bincount(seg[new], size, 12.0 * mrr[new])

        # sales cycle: from the month a deal is qualified (enters PIPELINE) to the month its buyer
        # decides (decide_month, set at qualification; reps decide every due deal that month). Read
        # at entry so that deals cut off by the horizon or by death do not bias the mean down.
        entered = (state == State.PIPELINE) & (prev != State.PIPELINE)
        tally.cycle_months += _bincount(
            seg[entered], size, (pr.decide_month[:n][entered] - month).astype(float)
        )
        tally.cycle_deals += _bincount(seg[entered], size)

        # revenue and cost to serve by segment (customers at the end of the month are
        # those who paid)
        paying = state == State.CUSTOMER
        tally.revenue_usd += _bincount(seg[paying], size, mrr[paying])
        tally.cost_to_serve_usd += _bincount(
            seg[paying], size, pr.seats[:n][paying] * cost_per_seat[seg[paying]]
        )

        _measure_reps(m, month, tally, first_seen, full_at)
        tally.deals_decided += m.company.decisions
        tally.deals_won += m.company.wins
        prev_state[:n] = state

        if scenario.months >= STAGNATION_MONTHS:
            fit = m.market_fit()
            if month == 1:
                tally.fit_start = fit
            elif month == 18:
                tally.fit_18 = fit
            elif month == STAGNATION_MONTHS:
                tally.fit_24 = fit

    series = m.recorder.frame(bool_columns=("pmf", "alive"))
    _measure_series(series, scenario, tally)
    if tally.survived:
        tally.prospects_total = int(pr.n)
        tally.prospects_by_segment = _bincount(pr.seg[: pr.n], size)
    tally.pmf_month = m.company.pmf_month
    return tally


def _measure_reps(
    m: CompanyModel,
    month: int,
    tally: RunTally,
    first_seen: dict[int, int],
    full_at: dict[int, int],
) -> None:
    """Ramp, quota attainment (the model's 3-month window and a 12-month one) of the reps still
    employed."""
    for rep in m.reps():
        rid = rep.unique_id
        first_seen.setdefault(rid, month)
        if rid not in full_at and rep.ramp() >= 1.0:
            full_at[rid] = month
            tally.ramp_months.append(month - first_seen[rid] + 1)
        if rep.is_ramping():
            continue
        attained = rep.attainment()
        if attained is not None:
            tally.quota_rep_months += 1
            tally.quota_hits += int(attained >= 1.0)
        if rep.quota_mrr and rep.quota_mrr[-1] > 0:
            tally.booked_mrr_usd += rep.booked_mrr[-1]
            tally.quota_mrr_usd += rep.quota_mrr[-1]
        if (
            month % 12 == 0
            and full_at.get(rid, month + 1) <= month - 11
            and len(rep.quota_mrr) >= 12
        ):
            quota = sum(rep.quota_mrr[-12:])
            if quota > 0:
                tally.annual_reps += 1
                tally.annual_hits += int(sum(rep.booked_mrr[-12:]) >= quota)


def _measure_series(series, scenario: Scenario, tally: RunTally) -> None:
    """Attrition, sales & marketing spend and bookings from the run's own series."""
    tally.months_run = len(series)
    tally.survived = bool(len(series) >= scenario.months and series["alive"].iloc[-1])
    tally.death_month = None if tally.survived else int(series["month"].iloc[-1])
    headcount = series["reps"] + series["reps_left"]  # reps paid this month, before attrition
    tally.reps_left = int(series["reps_left"].sum())
    tally.rep_months = int(headcount.sum())
    tally.sm_spend_usd = float(
        (headcount * scenario.company.rep_base_usd).sum()
        + series["commissions_usd"].sum()
        + series["hiring_usd"].sum()
    )
    tally.new_mrr_usd = float(series["bookings_usd"].sum())
    tally.total_revenue_usd = float(series["revenue_usd"].sum())
    tally.total_cost_to_serve_usd = float(series["cost_to_serve_usd"].sum())


def stagnation_scenario(scenario: Scenario) -> Scenario:
    """The same company with engineering that ships nothing, and cash that cannot run out."""
    return scenario.with_overrides(
        {
            "product.engineer_productivity": STAGNATION_PRODUCTIVITY,
            "company.initial_cash": STAGNATION_CASH_USD,
            "months": max(STAGNATION_MONTHS, 1),
        }
    )


# ================================================================================================
# Ensemble measures: pooled ratios of sums over runs
# ================================================================================================


def _seg_index(tallies: Sequence[RunTally], name: str) -> int:
    return tallies[0].segments.index(name)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else float("nan")


def churn_monthly(tallies: Sequence[RunTally], segment: str) -> float:
    i = _seg_index(tallies, segment)
    return _ratio(sum(t.churn_lost[i] for t in tallies), sum(t.churn_at_risk[i] for t in tallies))


def acv_usd(tallies: Sequence[RunTally], segment: str) -> float:
    i = _seg_index(tallies, segment)
    return _ratio(sum(t.new_acv_usd[i] for t in tallies), sum(t.new_logos[i] for t in tallies))


def cycle_months(tallies: Sequence[RunTally], segment: str) -> float:
    i = _seg_index(tallies, segment)
    return _ratio(sum(t.cycle_months[i] for t in tallies), sum(t.cycle_deals[i] for t in tallies))


def gross_margin(tallies: Sequence[RunTally], segment: str | None = None) -> float:
    if segment is None:
        rev = sum(t.total_revenue_usd for t in tallies)
        return (
            1.0 - _ratio(sum(t.total_cost_to_serve_usd for t in tallies), rev)
            if rev > 0
            else float("nan")
        )
    i = _seg_index(tallies, segment)
    rev = sum(t.revenue_usd[i] for t in tallies)
    return (
        1.0 - _ratio(sum(t.cost_to_serve_usd[i] for t in tallies), rev) if rev > 0 else float("nan")
    )


def ramp_months(tallies: Sequence[RunTally]) -> float:
    values = [v for t in tallies for v in t.ramp_months]
    return float(np.mean(values)) if values else float("nan")


def reps_at_quota_share(tallies: Sequence[RunTally]) -> float:
    return _ratio(sum(t.quota_hits for t in tallies), sum(t.quota_rep_months for t in tallies))


def reps_at_annual_quota_share(tallies: Sequence[RunTally]) -> float:
    return _ratio(sum(t.annual_hits for t in tallies), sum(t.annual_reps for t in tallies))


def win_rate(tallies: Sequence[RunTally]) -> float:
    return _ratio(sum(t.deals_won for t in tallies), sum(t.deals_decided for t in tallies))


def quota_attainment(tallies: Sequence[RunTally]) -> float:
    return _ratio(sum(t.booked_mrr_usd for t in tallies), sum(t.quota_mrr_usd for t in tallies))


def rep_attrition_annual(tallies: Sequence[RunTally]) -> float:
    hazard = _ratio(sum(t.reps_left for t in tallies), sum(t.rep_months for t in tallies))
    return 1.0 - (1.0 - hazard) ** 12 if np.isfinite(hazard) else hazard


def cac_payback_months(tallies: Sequence[RunTally]) -> float:
    margin = gross_margin(tallies)
    new_gross_mrr = sum(t.new_mrr_usd for t in tallies) * margin
    return (
        _ratio(sum(t.sm_spend_usd for t in tallies), new_gross_mrr)
        if new_gross_mrr > 0
        else float("nan")
    )


def prospects_total(tallies: Sequence[RunTally]) -> float:
    values = [t.prospects_total for t in tallies if t.prospects_total is not None]
    return float(np.mean(values)) if values else float("nan")


def prospects_share(tallies: Sequence[RunTally], segment: str) -> float:
    i = _seg_index(tallies, segment)
    done = [t for t in tallies if t.prospects_by_segment is not None]
    return _ratio(
        sum(t.prospects_by_segment[i] for t in done),
        sum(t.prospects_by_segment.sum() for t in done),
    )


def fit_loss(tallies: Sequence[RunTally], month: int) -> float:
    """Relative loss of mean product fit from month 1 to ``month`` (0.3 = lost 30% of its fit)."""
    attr = {18: "fit_18", STAGNATION_MONTHS: "fit_24"}[month]
    pairs = [
        (t.fit_start, getattr(t, attr))
        for t in tallies
        if t.fit_start and getattr(t, attr) is not None
    ]
    return (
        1.0 - _ratio(sum(b for _, b in pairs), sum(a for a, _ in pairs)) if pairs else float("nan")
    )


def initial(attr: str) -> Callable[[Sequence[RunTally]], float]:
    return lambda tallies: float(np.mean([getattr(t, attr) for t in tallies]))


# ================================================================================================
# The benchmarks
# ================================================================================================


@dataclass(frozen=True)
class Check:
    """One row of the table: a measure, its benchmark band and where the band comes from."""

    key: str
    label: str
    measure: Callable[[Sequence[RunTally]], float]
    low: float | None
    high: float | None
    unit: str  # "%/mo", "%/yr", "%", "months", "usd", "count", "ratio"
    source: str
    levers: str
    stagnation: bool = False  # measured on the stagnation variant of the scenario
    is_input: bool = False  # a month-0 input, read from the model rather than measured over time


def _checks(segments: Sequence[str]) -> list[Check]:
    seg_bands = {  # MODEL.md's ranges
        "smb": {"churn": (0.03, 0.05), "acv": (5_000, 15_000), "cycle": (1, 2)},
        "midmarket": {"churn": None, "acv": (25_000, 75_000), "cycle": (3, 4)},
        "enterprise": {"churn": (0.005, 0.01), "acv": (100_000, 300_000), "cycle": (6, 9)},
    }
    bench = "public SaaS benchmarks (MODEL.md calibration targets)"
    checks: list[Check] = [
        Check(
            "rep_ramp",
            "Rep ramp to full productivity",
            ramp_months,
            4.0,
            6.0,
            "months",
            "SaaS AE ramp ≈ 5 months (MODEL.md); band ±1 month",
            "sales.ramp_months",
        ),
        Check(
            "reps_at_quota",
            "Ramped reps at quota (model's 3-month window)",
            reps_at_quota_share,
            0.47,
            0.60,
            "%",
            "47–60% of reps reach quota; " + bench,
            "sales.quota_multiplier, company.plan_*, market.win_*",
        ),
        Check(
            "reps_at_annual_quota",
            "Reps at annual quota (12 ramped months)",
            reps_at_annual_quota_share,
            0.47,
            0.60,
            "%",
            "47–60% of reps reach quota (usually stated per year)",
            "sales.quota_multiplier, company.plan_*, market.win_*",
        ),
        Check(
            "win_rate",
            "Win rate (deals won / deals decided)",
            win_rate,
            0.15,
            0.35,
            "%",
            "B2B SaaS win rates of about 15–35% of qualified deals (issue 11's stylized facts; "
            "not in MODEL.md)",
            "market.win_*, market.no_decision_share, sales.min_fit",
        ),
        Check(
            "quota_attainment",
            "Sales-force attainment (bookings / quota)",
            quota_attainment,
            0.50,
            0.80,
            "%",
            "weak forces make ~50% of quota, strong ~80% (002_23429537579b20f1.txt)",
            "sales.quota_multiplier, company.plan_*",
        ),
        Check(
            "rep_attrition",
            "Rep attrition",
            rep_attrition_annual,
            0.27,
            0.35,
            "%/yr",
            "27–35% a year; " + bench,
            "sales.attrition_annual, sales.missed_quota_attrition",
        ),
    ]
    for name in segments:
        band = seg_bands.get(name, {}).get("churn")
        if band is not None:
            checks.append(
                Check(
                    f"churn_{name}",
                    f"Logo churn, {name}",
                    lambda t, s=name: churn_monthly(t, s),
                    band[0],
                    band[1],
                    "%/mo",
                    ("SMB 3–5%/month; " if name == "smb" else "enterprise 0.5–1%/month; ") + bench,
                    f"market.segments.{name}.churn_monthly, market.churn_fit_slope, "
                    f"market.competitor_steal_rate",
                )
            )
        else:
            checks.append(
                Check(
                    f"churn_{name}",
                    f"Logo churn, {name}",
                    lambda t, s=name: churn_monthly(t, s),
                    None,
                    None,
                    "%/mo",
                    "no band given (between SMB and enterprise)",
                    f"market.segments.{name}.churn_monthly",
                )
            )
    checks.append(
        Check(
            "cac_payback",
            "CAC payback (sales only)",
            cac_payback_months,
            12.0,
            18.0,
            "months",
            "12–18 months; " + bench,
            "company.rep_base_usd, sales.commission_rate, company.rep_hiring_cost_usd, "
            "market.segments.*.price_per_seat_usd",
        )
    )
    checks.append(
        Check(
            "gross_margin",
            "Gross margin (subscription)",
            lambda t: gross_margin(t),
            0.70,
            0.85,
            "%",
            "typical SaaS subscription gross margin ~70–85% (widely reported; not in MODEL.md)",
            "market.segments.*.cost_to_serve_per_seat_usd, price_per_seat_usd",
        )
    )
    for name in segments:
        checks.append(
            Check(
                f"gross_margin_{name}",
                f"Gross margin, {name}",
                lambda t, s=name: gross_margin(t, s),
                None,
                None,
                "%",
                "informational: segments differ in margin by design (004_ce31e603c4dfbe1d.txt)",
                f"market.segments.{name}.cost_to_serve_per_seat_usd",
            )
        )
    for name in segments:
        band = seg_bands.get(name, {}).get("acv")
        checks.append(
            Check(
                f"acv_{name}",
                f"ACV of new deals, {name}",
                lambda t, s=name: acv_usd(t, s),
                band[0] if band else None,
                band[1] if band else None,
                "usd",
                "MODEL.md default magnitudes",
                f"market.segments.{name}.price_per_seat_usd, seats_mean",
            )
        )
    for name in segments:
        band = seg_bands.get(name, {}).get("cycle")
        checks.append(
            Check(
                f"cycle_{name}",
                f"Sales cycle, {name}",
                lambda t, s=name: cycle_months(t, s),
                band[0] if band else None,
                band[1] if band else None,
                "months",
                "MODEL.md default magnitudes",
                f"market.segments.{name}.sales_cycle_months",
            )
        )
    checks += [
        Check(
            "initial_cash",
            "Seed cash at month 0",
            initial("initial_cash_usd"),
            2_000_000,
            4_000_000,
            "usd",
            "seed round $2–4M (MODEL.md)",
            "company.initial_cash",
            is_input=True,
        ),
        Check(
            "initial_engineers",
            "Engineers at month 0",
            initial("initial_engineers"),
            4,
            8,
            "count",
            "4–8 engineers (MODEL.md)",
            "company.initial_engineers",
            is_input=True,
        ),
        Check(
            "initial_reps",
            "Reps at month 0",
            initial("initial_reps"),
            1,
            3,
            "count",
            "1–3 reps (MODEL.md)",
            "company.initial_reps",
            is_input=True,
        ),
        Check(
            "engineer_cost",
            "Engineer, fully loaded",
            initial("engineer_cost_usd"),
            13_500,
            16_500,
            "usd",
            "about $15k/month (MODEL.md); band ±10%",
            "company.engineer_cost_usd",
            is_input=True,
        ),
        Check(
            "rep_base",
            "Rep base before commission",
            initial("rep_base_usd"),
            9_000,
            11_000,
            "usd",
            "about $10k/month (MODEL.md); band ±10%",
            "company.rep_base_usd",
            is_input=True,
        ),
        Check(
            "prospects_total",
            "Prospects reachable over the horizon",
            prospects_total,
            2_000,
            5_000,
            "count",
            "'a few thousand over five years' (MODEL.md); band is this script's reading",
            "market.segments.*.initial_prospects, arrivals_per_month, market.size_scale",
        ),
    ]
    if "smb" in segments:
        checks.append(
            Check(
                "prospects_smb_share",
                "SMB share of prospects",
                lambda t: prospects_share(t, "smb"),
                0.5,
                None,
                "%",
                "'most of them SMB' (MODEL.md)",
                "market.segments.smb.*",
            )
        )
    checks += [
        Check(
            "fit_loss_18",
            "Fit lost when building stops, by month 18",
            lambda t: fit_loss(t, 18),
            None,
            None,
            "%",
            "MODEL.md pitfall (informational)",
            "market.need_*, market.obsolescence_monthly",
            stagnation=True,
        ),
        Check(
            "fit_loss_24",
            "Fit lost when building stops, by month 24",
            lambda t: fit_loss(t, STAGNATION_MONTHS),
            STAGNATION_MIN_LOSS,
            None,
            "%",
            f"MODEL.md pitfall: real fit lost within 18–24 months (≥{STAGNATION_MIN_LOSS:.0%} is "
            f"this script's reading)",
            "market.need_drift_sd, need_shift_prob, need_reversion, obsolescence_monthly",
            stagnation=True,
        ),
    ]
    return checks


# ================================================================================================
# Running the ensembles
# ================================================================================================


def scenarios_to_check(months: int | None = None) -> dict[str, Scenario]:
    """The default scenario and each preset (every other lever at its default)."""
    out = {
        "default": Scenario(name="default"),
        "sales_led": preset("sales_led"),
        "product_led": preset("product_led"),
    }
    if months is not None:
        out = {k: v.with_overrides({"months": months}) for k, v in out.items()}
    return out


def _job(args: tuple[str, Scenario, int]) -> tuple[str, RunTally]:
    name, scenario, seed = args
    return name, measure_run(scenario, seed)


def run_ensembles(
    scenarios: dict[str, Scenario],
    seeds: int,
    workers: int | None = None,
    first: int = 0,
) -> dict[str, dict[str, list[RunTally]]]:
    """``{scenario: {"runs": [...], "stagnation": [...]}}`` measured over seeds
    first..first+seeds-1."""
    jobs: list[tuple[str, Scenario, int]] = []
    chosen = range(first, first + seeds)
    for name, scenario in scenarios.items():
        jobs += [(f"{name}|runs", scenario, s) for s in chosen]
        if scenario.months >= STAGNATION_MONTHS:
            jobs += [(f"{name}|stagnation", stagnation_scenario(scenario), s) for s in chosen]
    out: dict[str, dict[str, list[RunTally]]] = {
        n: {"runs": [], "stagnation": []} for n in scenarios
    }
    if workers == 1:
        results = map(_job, jobs)
        for key, tally in results:
            name, kind = key.split("|")
            out[name][kind].append(tally)
        return out
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count()) as pool:
        for key, tally in pool.map(_job, jobs, chunksize=2):
            name, kind = key.split("|")
            out[name][kind].append(tally)
    return out


@dataclass
class Cell:
    value: float
    ci_low: float
    ci_high: float
    runs: int


def evaluate(check: Check, tallies: Sequence[RunTally]) -> Cell:
    """The pooled value over the ensemble and a bootstrap 95% interval over seeds."""
    if not tallies:
        return Cell(float("nan"), float("nan"), float("nan"), 0)
    value = check.measure(tallies)
    if check.is_input or len(tallies) < 2:
        return Cell(value, value, value, len(tallies))
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = []
    for _ in range(BOOTSTRAP_RESAMPLES):
        pick = rng.integers(0, len(tallies), len(tallies))
        with np.errstate(all="ignore"):
            draws.append(check.measure([tallies[i] for i in pick]))
    draws = np.array(draws, dtype=float)
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return Cell(value, float("nan"), float("nan"), len(tallies))
    return Cell(
        value, float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5)), len(tallies)
    )


def verdict(check: Check, cell: Cell) -> str:
    """'in band', 'outside: X above/below the band (by Y)', 'n/a' or 'no band'."""
    if not np.isfinite(cell.value):
        return "n/a (not measurable)"
    if check.low is None and check.high is None:
        return "no band"
    low = -np.inf if check.low is None else check.low
    high = np.inf if check.high is None else check.high
    if low <= cell.value <= high:
        return "in band"
    if cell.value > high:
        gap, side, edge = cell.value - high, "above", high
    else:
        gap, side, edge = low - cell.value, "below", low
    rel = f", {gap / abs(edge):.0%} of the edge" if edge else ""
    overlap = ""
    if np.isfinite(cell.ci_low) and cell.ci_low <= high and cell.ci_high >= low:
        overlap = "; CI reaches the band"
    return f"OUTSIDE: {fmt(gap, check.unit, delta=True)} {side}{rel}{overlap}"


def fmt(value: float, unit: str, delta: bool = False) -> str:
    if value is None or not np.isfinite(value):
        return "–"
    if unit in ("%", "%/mo", "%/yr"):
        digits = 2 if unit == "%/mo" else 1
        text = f"{value * 100:.{digits}f}"
        return f"{text} pp" if delta else f"{text}{unit}"
    if unit == "months":
        return f"{value:.1f} mo"
    if unit == "usd":
        if abs(value) >= 1e6:
            return f"${value / 1e6:.2f}M"
        if abs(value) >= 1e3:
            return f"${value / 1e3:.1f}k"
        return f"${value:.0f}"
    if unit == "count":
        return (
            f"{value:.0f}"
            if abs(value - round(value)) < 1e-9 or abs(value) >= 100
            else f"{value:.1f}"
        )
    return f"{value:.3g}"


def band_text(check: Check) -> str:
    if check.low is None and check.high is None:
        return "–"
    if check.high is None:
        return f"≥ {fmt(check.low, check.unit)}"
    if check.low is None:
        return f"≤ {fmt(check.high, check.unit)}"
    return f"{fmt(check.low, check.unit)} – {fmt(check.high, check.unit)}"


# ================================================================================================
# The page
# ================================================================================================

DEFINITIONS = """\
All values are **measured from simulated runs**, pooled over the ensemble (sums over every run and
month, then one ratio), except the month-0 inputs. Bracketed figures in the detail table are 95%
bootstrap intervals over seeds (400 resamples of the runs). A run that dies contributes the months
it lived. Months are simulation steps.

- **Rep ramp**: for each rep who reaches full productivity (`SalesRep.ramp() >= 1`) while still
  employed, the number of months it has worked when that happens, counting its first working month
  as 1 (a rep hired in month *h* works in month *h*). Mean over those reps. Founding reps are
  created at month 0, before the first step, so they count one month of tenure they never work
  (see note 1).
- **Win rate**: Σ deals won / Σ deals decided over every month (`Company.wins` and
  `Company.decisions`): every buyer whose deal came due, including those who decide to buy
  nothing (`market.no_decision_share`) and contingent requests (won when sales commits and the
  decider agrees). Waiters count as won when they decide to wait.
- **Ramped reps at quota (3-month window)**: over every rep-month of a ramped rep with a quota,
  the share with `SalesRep.attainment() >= 1` (bookings over quota summed over the last 3 months,
  the model's own window). This is the pooled version of the series column `reps_at_quota_share`.
- **Reps at annual quota**: at months 12, 24, 36, ... every rep who has been fully ramped for the
  whole previous 12 months counts once; share whose bookings over those 12 months reach the sum of
  their 12 monthly quotas. Closer to how public surveys state the 47–60% figure.
- **Sales-force attainment**: over ramped rep-months whose quota is positive,
  Σ booked MRR / Σ quota MRR (the "80% strong / 50% weak" figure of essay 002).
- **Rep attrition**: monthly hazard *h* = Σ `reps_left` / Σ (`reps` + `reps_left`) (headcount
  paid in the month, before that month's departures), annualised as 1 − (1 − *h*)¹².
- **Logo churn by segment**: customers of the segment at the start of a month (end of the previous
  month) that are `CHURNED` at its end, over the customers at the start. Σ churned / Σ at risk.
  Includes churn to the competitor; excludes customers who join and leave in the same month.
- **CAC payback**: Σ sales spend / (Σ new MRR × gross margin), where sales spend = rep base salaries
  ((`reps` + `reps_left`) × `company.rep_base_usd`) + `commissions_usd` (net of clawbacks) +
  `hiring_usd`; new MRR = `bookings_usd` (MRR of new logos, of waiters who buy, and of contingent
  buyers' promised expansions; organic seat growth is not a booking); gross margin = 1 − Σ
  cost_to_serve / Σ revenue over the same runs. The model has no marketing spend: awareness is free
  (`market.awareness_monthly`), so this is a sales-only CAC (see note 2).
- **Gross margin**: 1 − Σ `cost_to_serve_usd` / Σ `revenue_usd`; per segment from the customers'
  seats × price and seats × cost to serve each month.
- **ACV of new deals**: 12 × seats × price of each new logo at the end of the month it started
  (after discounts, and for contingent buyers their small first order); mean per segment. The one
  month of organic expansion (≤ `market.expansion_monthly`) it may include is negligible.
- **Sales cycle**: for every deal a rep qualifies (prospect enters `PIPELINE`), months from that
  month to the month its buyer decides (`decide_month`, fixed at qualification; the owning rep
  decides every due deal in that month), mean per segment. Read at qualification so that deals
  cut off by the horizon or by the company's death do not bias the mean down; a deal handed back
  by a leaving rep and qualified again counts again.
- **Prospects over the horizon**: prospects ever created by the last month, for runs that reach
  the horizon; SMB share of them.
- **Fit lost when building stops**: the same scenario with `product.engineer_productivity` = 1e-6
  (nothing ships) and $1B of cash (it cannot die); 1 − mean product fit (`market_fit()`) at month 18
  or 24 over mean fit at month 1, pooled over seeds.
"""

NOTES = """\
1. **Founding reps' ramp.** Reps created in `CompanyModel.__init__` get `hired_month = 0` and work
   from month 1 with a tenure of 2, so they ramp in `ramp_months - 1` working months; reps hired
   later ramp in `ceil(ramp_months)`. The measured mean mixes both.
2. **No marketing in CAC.** Public CAC payback figures include marketing. The model has no
   marketing spend, so measured payback understates a real company's by the marketing share.
3. **Quota window.** The model judges attainment (and attrition after missed quota) over a 3-month
   window (`sim/sales.py: ATTAINMENT_WINDOW`); public attainment figures are usually annual.
"""


PRESET_NOTE = (
    "The benchmarks describe typical going concerns. A preset is a policy regime: a sales-led "
    "company "
    "deep in the spiral is *expected* to miss them (tiny first orders, churn, reps far below "
    "quota), "
    "so these rows show what the policy does rather than a calibration error. They are listed so "
    "that no miss is hidden. Each preset is judged against the wider plausibility bands below."
)

PLAUSIBILITY_BANDS: dict[str, tuple[float | None, float | None]] = {
    "win_rate": (0.15, 0.35),
    "reps_at_quota": (0.40, 0.70),
    "reps_at_annual_quota": (0.40, 0.70),
    "quota_attainment": (None, 1.20),
    "cac_payback": (6.0, 24.0),
    "churn_smb": (0.02, 0.08),
    "churn_enterprise": (0.005, 0.02),
}
"""The stylized-fact bands a preset must sit in to count as a plausible company (issue 11, item
5): wider than the default's targets, because a preset is a policy regime, not the calibration
target. Check key -> (low, high); None leaves that side open."""

PLAUSIBILITY_SOURCE = (
    "issue 11's stylized facts: win rate 15-35%, ramped reps at quota 40-70%, attainment under "
    "~120%, CAC payback 6-24 months, SMB churn 2-8%/month, enterprise 0.5-2%/month"
)


def plausibility_checks(checks: Sequence[Check]) -> list[Check]:
    """The checks that have a plausibility band, with that band in place of the default's."""
    return [
        replace(c, low=PLAUSIBILITY_BANDS[c.key][0], high=PLAUSIBILITY_BANDS[c.key][1])
        for c in checks
        if c.key in PLAUSIBILITY_BANDS
    ]


def plausibility_lines(table: Table) -> list[str]:
    """Each preset against the plausibility bands: a table, then one line per miss."""
    presets = table.scenarios[1:]
    checks = plausibility_checks(table.checks)
    head = ["Check", "Plausible band", *presets]
    lines = [_md_row(head), _md_row(["---"] * len(head))]
    for c in checks:
        values = []
        for s in presets:
            cell = table.cells[c.key][s]
            v = verdict(c, cell)
            values.append(fmt(cell.value, c.unit) + (" ✗" if v.startswith("OUTSIDE") else ""))
        lines.append(_md_row([c.label, band_text(c), *values]))
    misses = _miss_lines(table, presets, checks)
    verdicts = [verdict(c, table.cells[c.key][s]) for c in checks for s in presets]
    measured = [v for v in verdicts if not v.startswith("n/a")]
    lines += [
        "",
        (
            f"{measured.count('in band')} of {len(measured)} measured preset-band pairs in band "
            f"({len(verdicts) - len(measured)} not measurable: a preset with no customer there)."
        ),
        "",
        *(misses or ["Every preset is inside every plausibility band."]),
    ]
    return lines


def git_revision() -> str:
    try:
        git = ["git", "-C", str(ROOT)]
        rev = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            check=False,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "sim"],
            capture_output=True,
            check=False,
            text=True,
            timeout=10,
        ).stdout.strip()
        return f"{rev}{' + uncommitted changes in sim/' if dirty else ''}" if rev else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


@dataclass
class Table:
    checks: list[Check]
    cells: dict[str, dict[str, Cell]]  # check key -> scenario -> cell
    scenarios: list[str]
    seeds: int
    months: int
    context: dict[str, dict[str, float]]
    first: int = 0


def build_table(
    seeds: int = DEFAULT_SEEDS,
    months: int | None = None,
    workers: int | None = None,
    first: int = 0,
) -> Table:
    scenarios = scenarios_to_check(months)
    results = run_ensembles(scenarios, seeds, workers, first)
    segments = next(iter(results.values()))["runs"][0].segments
    checks = _checks(segments)
    cells = {
        c.key: {
            name: evaluate(c, results[name]["stagnation" if c.stagnation else "runs"])
            for name in scenarios
        }
        for c in checks
    }
    context = {name: _context(results[name]["runs"]) for name in scenarios}
    return Table(
        checks, cells, list(scenarios), seeds, next(iter(scenarios.values())).months, context, first
    )


def _context(tallies: Sequence[RunTally]) -> dict[str, float]:
    deaths = [t.death_month for t in tallies if t.death_month is not None]
    pmf = [t.pmf_month for t in tallies if t.pmf_month is not None]
    return {
        "survival_rate": float(np.mean([t.survived for t in tallies])),
        "median_month_of_death": float(np.median(deaths)) if deaths else float("nan"),
        "pmf_rate": len(pmf) / len(tallies),
        "median_pmf_month": float(np.median(pmf)) if pmf else float("nan"),
    }


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def main_table_lines(table: Table) -> list[str]:
    head = ["Check", "Benchmark", *[f"{s}" for s in table.scenarios], "Verdict (default)"]
    lines = [_md_row(head), _md_row(["---"] * len(head))]
    for c in table.checks:
        values = []
        for s in table.scenarios:
            cell = table.cells[c.key][s]
            v = verdict(c, cell)
            mark = "" if v in ("in band", "no band") or v.startswith("n/a") else " ✗"
            values.append(fmt(cell.value, c.unit) + mark)
        lines.append(
            _md_row(
                [c.label, band_text(c), *values, verdict(c, table.cells[c.key][table.scenarios[0]])]
            )
        )
    return lines


def _miss_lines(
    table: Table, scenarios: Sequence[str], checks: Sequence[Check] | None = None
) -> list[str]:
    lines = []
    for c in table.checks if checks is None else checks:
        for s in scenarios:
            v = verdict(c, table.cells[c.key][s])
            if v.startswith("OUTSIDE"):
                cell = table.cells[c.key][s]
                lines.append(
                    f"- **{c.label}**, `{s}`: measured {fmt(cell.value, c.unit)} "
                    f"[{fmt(cell.ci_low, c.unit)}, {fmt(cell.ci_high, c.unit)}] against "
                    f"{band_text(c)}: {v[len('OUTSIDE: ') :]}. Levers: `{c.levers}`."
                )
    return lines


def render(table: Table) -> str:
    today = _dt.date.today().isoformat()
    out = [
        "# Calibration: the model's defaults against public SaaS benchmarks",
        "",
        (
            f"Generated by `scripts/calibrate.py` on {today} from commit {git_revision()}: "
            f"{table.seeds} seeds ({table.first}–{table.first + table.seeds - 1}) of each "
            f"scenario, {table.months} months. "
            "Do not edit by hand; re-run `.venv/bin/python scripts/calibrate.py`."
        ),
        "",
        (
            "Scenarios: `default` is `Scenario()` with every lever at its default (no preset); "
            "`sales_led` "
            "and `product_led` are the presets with every other lever at its default. "
            "A ✗ marks a measured value outside its band."
        ),
        "",
        *main_table_lines(table),
        "",
        "## Outside its band",
        "",
    ]
    base, presets = table.scenarios[0], table.scenarios[1:]
    out += [f"### `{base}` (the calibration target)", ""]
    out += _miss_lines(table, [base]) or ["Every banded check is in its band."]
    if presets:
        out += ["", "### Presets", "", PRESET_NOTE, ""]
        out += _miss_lines(table, presets) or [
            "Every banded check is in its band for every preset."
        ]
        out += [
            "",
            "## Presets against the plausibility bands",
            "",
            f"Bands from {PLAUSIBILITY_SOURCE}. A ✗ marks a value outside.",
            "",
            *plausibility_lines(table),
        ]
    out += ["", "## Detail: pooled value [95% bootstrap interval over seeds]", ""]
    head = ["Check", *table.scenarios, "Levers", "Source of the band"]
    out += [_md_row(head), _md_row(["---"] * len(head))]
    for c in table.checks:
        row = [c.label]
        for s in table.scenarios:
            cell = table.cells[c.key][s]
            if c.is_input or not np.isfinite(cell.ci_low):
                row.append(fmt(cell.value, c.unit))
            else:
                row.append(
                    f"{fmt(cell.value, c.unit)} [{fmt(cell.ci_low, c.unit)}, "
                    f"{fmt(cell.ci_high, c.unit)}]"
                )
        out.append(_md_row([*row, f"`{c.levers}`", c.source]))
    out += ["", "## Context: how the runs behind these numbers went", ""]
    head = ["Scenario", "survival rate", "median month of death", "PMF reached", "median PMF month"]
    out += [_md_row(head), _md_row(["---"] * len(head))]
    for s in table.scenarios:
        ctx = table.context[s]
        out.append(
            _md_row(
                [
                    s,
                    f"{ctx['survival_rate']:.0%}",
                    fmt(ctx["median_month_of_death"], "count"),
                    f"{ctx['pmf_rate']:.0%}",
                    fmt(ctx["median_pmf_month"], "count"),
                ]
            )
        )
    out += ["", "## Definitions", "", DEFINITIONS, "## Notes", "", NOTES]
    return "\n".join(out).rstrip() + "\n"


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=int, default=DEFAULT_SEEDS, help="runs per scenario (default 32)"
    )
    parser.add_argument(
        "--first",
        type=int,
        default=0,
        help="first seed (default 0; the page is written from 0-31; check held-out seeds, e.g. "
        "--first 3000 --no-write)",
    )
    parser.add_argument(
        "--months", type=int, default=None, help="horizon (default: the scenario's, 60)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)"
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="page to write (default docs/calibration.md)"
    )
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.first < 0:
        parser.error("--first must be 0 or more")
    table = build_table(args.seeds, args.months, args.workers, args.first)
    print("\n".join(main_table_lines(table)))
    if not args.no_write:
        write_atomic(args.out, render(table))
        print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
