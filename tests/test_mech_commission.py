"""Mechanism 1: commission timing and basis [000, 002].

Learning mode (``sales.commission_timing: after_pmf``): before the PMF signal reps are paid no
commission, run discovery (which feeds the product team's market knowledge), hold a higher bar and
close less; immediate commission makes reps push, so the company books more early. The commission
basis decides what a booked dollar costs: with clawback, commission on customers lost early comes
back, so net commissions are lower than on the booking basis for the same bookings.
"""

from __future__ import annotations

import numpy as np
import pytest
from mechanisms_helpers import mean_of, paired, run_arms, total

from sim.config import from_dict

EARLY_MONTHS = 12  # "early" = the first year, before any seed reaches PMF in this market (months)

# Learning mode vs immediate commission, months 1-12.
# mean knowledge_error (probability units) lower in learning mode by at least this; measured 0.056
# on 3000-3015 (0.060 on 0-15)
KNOWLEDGE_MARGIN = 0.018
# contingent deals accepted in months 1-12: fewer in learning mode by at least this (deals/run);
# measured 5.3 on 3000-3015 (7.4 on 0-15)
CONTINGENT_MARGIN = 2.0
# new MRR booked in months 1-12: higher with immediate commission by at least this (USD/run);
# measured 11.9k on 3000-3015 (15.0k on 0-15)
BOOKINGS_MARGIN = 7_000.0

# Clawback vs booking basis, same company and seeds, cash high enough that cash never feeds back.
# 64 held-out seeds: the net-commission gap is noisy (on 3000-3015 -23k against its margin 25k,
# on 3000-3063 -29.5k, on 3000-3255 -29.0k, sem 1.3k), so 16 seeds were too few for it
BASIS_SEEDS = tuple(range(3000, 3064))
# net commission per booked dollar of MRR lower with clawback by at least this (USD/USD); measured
# 0.36 on 3000-3063 (0.39 on 0-15; booking pays 0.2 x 12 = 2.4)
CLAWBACK_RATIO_MARGIN = 0.25
# net commissions over the run lower with clawback by at least this (USD/run); measured 29.5k on
# 3000-3063 (28.5k on 0-15, 24.9k on 0-63)
CLAWBACK_TOTAL_MARGIN = 25_000.0
# pooled bookings of the two bases may differ by at most this share ("for the same bookings")
SAME_BOOKINGS_TOLERANCE = 0.02


@pytest.fixture(scope="module")
def timing_arms():
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "sales.contingent_acceptance": 0.5}
    )
    return run_arms(
        base,
        {
            "learning": {"sales.commission_timing": "after_pmf"},
            "immediate": {"sales.commission_timing": "immediate"},
        },
        months=EARLY_MONTHS,
    )


@pytest.fixture(scope="module")
def basis_arms():
    base = from_dict({}).with_overrides(
        {"market.size_scale": 0.5, "company.initial_cash": 50_000_000, "sales.commission_rate": 0.2}
    )
    return run_arms(
        base,
        {
            "clawback": {"sales.commission_basis": "clawback"},
            "booking": {"sales.commission_basis": "booking"},
        },
        seeds=BASIS_SEEDS,
        months=24,
    )


def test_learning_mode_holds_before_pmf(timing_arms):
    """Sanity: in the learning arm commission is off (pre-PMF) in almost every early month."""
    off = np.concatenate(
        [~r.series["commission_on"].astype(bool).to_numpy() for r in timing_arms["learning"]]
    )
    assert off.mean() >= 0.9, f"learning mode held in only {off.mean():.0%} of early months"


def test_learning_mode_lowers_knowledge_error_early(timing_arms):
    p = paired(
        timing_arms["learning"],
        timing_arms["immediate"],
        mean_of("knowledge_error", 1, EARLY_MONTHS),
    )
    print("knowledge_error learning - immediate:", p)
    assert p.mean_diff <= -KNOWLEDGE_MARGIN, p


def test_learning_mode_takes_fewer_contingent_deals_before_pmf(timing_arms):
    p = paired(
        timing_arms["learning"],
        timing_arms["immediate"],
        total("contingent_accepted", 1, EARLY_MONTHS),
    )
    print("contingent deals learning - immediate:", p)
    assert p.mean_diff <= -CONTINGENT_MARGIN, p


def test_immediate_commission_books_more_early(timing_arms):
    p = paired(
        timing_arms["immediate"], timing_arms["learning"], total("bookings_usd", 1, EARLY_MONTHS)
    )
    print("bookings immediate - learning:", p)
    assert p.mean_diff >= BOOKINGS_MARGIN, p


def test_clawback_pays_less_commission_for_the_same_bookings(basis_arms):
    claw, book = basis_arms["clawback"], basis_arms["booking"]
    booked = paired(claw, book, total("bookings_usd"))
    assert abs(booked.a.sum() - booked.b.sum()) <= SAME_BOOKINGS_TOLERANCE * booked.b.sum(), (
        f"bookings differ: {booked}"
    )

    def per_booked_dollar(r):
        return r.series["commissions_usd"].sum() / max(r.series["bookings_usd"].sum(), 1.0)

    ratio = paired(claw, book, per_booked_dollar)
    print("commission per booked MRR dollar clawback - booking:", ratio)
    assert ratio.mean_diff <= -CLAWBACK_RATIO_MARGIN, ratio
    net = paired(claw, book, total("commissions_usd"))
    print("net commissions clawback - booking:", net)
    assert net.mean_diff <= -CLAWBACK_TOTAL_MARGIN, net
