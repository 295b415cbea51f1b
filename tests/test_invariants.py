"""Invariants checked every month of a run, for both presets and the defaults.

* The cash ledger balances to the cent: cash(t) - cash(t-1) = revenue + funding - costs of month t,
  and costs are the sum of the named outflows (also as a hypothesis property over random levers).
* Every prospect is in exactly one valid state, and its fields agree with that state.
* No negative headcount; the series' counts agree with the population.
* Reproducibility: the same seed gives the same run; different seeds give different runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mechanisms_helpers import drive

from sim.config import Scenario, from_dict, preset
from sim.experiment.runner import run
from sim.model import CompanyModel
from sim.model.ledger import OUTFLOWS
from sim.model.population import NO_ONE, State

CENT = 0.005  # half a cent: two amounts rounded to the cent are equal when closer than this (USD)
MONTHS = 36  # long enough for deaths, rounds, churn and rep turnover to happen (months)
SEEDS = (0, 1, 2)
SCENARIOS = {
    "sales_led": lambda: preset("sales_led"),
    "product_led": lambda: preset("product_led"),
    "defaults": lambda: from_dict({}),
}
VALID_STATES = np.array([s.value for s in State])
# Segment prices are positive and the deepest discount is 90%, so a customer always pays something.
OWNED_STATES = [State.PIPELINE, State.WAITING]  # the only states in which a rep owns a prospect
PRICED_STATES = [
    State.CUSTOMER,
    State.CHURNED,
]  # a price is set when a prospect buys and kept after it churns
PROMISED_STATES = [
    State.CUSTOMER,
    State.WAITING,
]  # the only states that hold an open roadmap promise


def scenario(name: str, months: int = MONTHS) -> Scenario:
    return SCENARIOS[name]().with_overrides({"market.size_scale": 0.5, "months": months})


def last_row(model: CompanyModel) -> dict[str, float]:
    rec = model.recorder
    return {name: float(col[rec.rows - 1]) for name, col in rec.columns.items()}


class MonthChecker:
    """Runs every check after every month, remembering last month's cash."""

    def __init__(self, initial_cash: float, checks) -> None:
        self.cash = round(initial_cash, 2)
        self.checks = checks
        self.months = 0

    def __call__(self, model: CompanyModel) -> None:
        row = last_row(model)
        for check in self.checks:
            check(model, row, self)
        self.cash = row["cash_usd"]
        self.months += 1


# -- the checks ------------------------------------------------------------------------------------


def check_ledger(model: CompanyModel, row: dict[str, float], state: MonthChecker) -> None:
    month = int(row["month"])
    flows = row["revenue_usd"] + row["funding_usd"] - row["costs_usd"]
    change = row["cash_usd"] - state.cash
    assert abs(change - flows) < CENT, (
        f"month {month}: cash moved {change:.2f}, flows say {flows:.2f}"
    )
    outflows = sum(row[name] for name in OUTFLOWS if name in row)
    assert abs(outflows - row["costs_usd"]) < CENT, (
        f"month {month}: outflows {outflows:.2f} != costs {row['costs_usd']:.2f}"
    )
    assert abs(model.company.ledger.cash - row["cash_usd"]) < CENT
    assert row["revenue_usd"] >= 0 and row["funding_usd"] >= 0


def check_states(model: CompanyModel, row: dict[str, float], state: MonthChecker) -> None:
    pr, month = model.market.prospects, int(row["month"])
    n = pr.n
    st_ = pr.state[:n]
    assert np.isin(st_, VALID_STATES).all(), (
        f"month {month}: invalid state values {set(st_.tolist()) - set(VALID_STATES.tolist())}"
    )
    counts = np.bincount(st_, minlength=len(VALID_STATES))
    assert counts.sum() == n  # one state each: the counts partition the population
    owner, price, seats = pr.owner[:n], pr.price[:n], pr.seats[:n]
    pipeline, customer, waiting = st_ == State.PIPELINE, st_ == State.CUSTOMER, st_ == State.WAITING
    assert (owner[pipeline] != NO_ONE).all(), f"month {month}: a deal in the pipeline has no rep"
    assert (price[customer] > 0).all() and (seats[customer] >= 1).all(), (
        f"month {month}: a customer pays nothing"
    )
    priced = price > 0
    assert np.isin(st_[priced], PRICED_STATES).all(), (
        f"month {month}: price set for states {set(st_[priced].tolist())}"
    )
    assert (pr.promise_cap[:n][waiting] >= 0).all(), (
        f"month {month}: a waiting prospect holds no promise"
    )
    promised = pr.promise_cap[:n] >= 0
    assert np.isin(st_[promised], PROMISED_STATES).all(), (
        f"month {month}: promise held in states {set(st_[promised].tolist())}"
    )
    custom = pr.custom_item[:n] != NO_ONE
    assert (st_[custom] == State.CUSTOMER).all(), f"month {month}: custom item for a non-customer"
    for item in model.contingent.queue:
        assert st_[item.customer] == State.CUSTOMER and pr.custom_item[item.customer] == item.id, (
            f"month {month}: custom item {item.id} in the queue for prospect {item.customer} "
            f"who does not await it"
        )
    fit = pr.fit[:n][st_ <= State.CUSTOMER]
    assert ((fit >= 0) & (fit <= 1)).all()
    # the series agrees with the population
    assert (
        row["customers"] == counts[State.CUSTOMER]
        and row["pipeline_deals"] == counts[State.PIPELINE]
    )
    assert row["waiting_prospects"] == counts[State.WAITING]


def check_headcount(model: CompanyModel, row: dict[str, float], state: MonthChecker) -> None:
    month = int(row["month"])
    reps = len(model.reps())
    assert reps >= 0 and model.product.engineers >= 1, (
        f"month {month}: headcount reps {reps}, engineers {model.product.engineers}"
    )
    assert row["reps"] == reps and row["engineers"] == model.product.engineers
    for name in (
        "reps",
        "reps_ramping",
        "reps_hired",
        "reps_left",
        "engineers",
        "customers",
        "pipeline_deals",
        "contingent_accepted",
        "contingent_delivered",
        "contingent_converted",
        "promises_outstanding",
    ):
        assert row[name] >= 0, f"month {month}: negative {name} {row[name]}"
    assert row["reps_ramping"] <= row["reps"]
    assert reps <= model.config.company.max_reps
    assert model.product.engineers <= max(
        model.config.company.max_engineers, model.config.company.initial_engineers
    )


def check_owner_is_a_current_rep(
    model: CompanyModel, row: dict[str, float], state: MonthChecker
) -> None:
    pr = model.market.prospects
    pipeline = np.flatnonzero(pr.state[: pr.n] == State.PIPELINE)
    reps = [rep.unique_id for rep in model.reps()]
    orphans = pipeline[~np.isin(pr.owner[pipeline], reps)]
    assert orphans.size == 0, (
        f"month {int(row['month'])}: {orphans.size} pipeline deals owned by reps who left"
    )


def check_owner_only_while_owned(
    model: CompanyModel, row: dict[str, float], state: MonthChecker
) -> None:
    pr = model.market.prospects
    owned = pr.owner[: pr.n] != NO_ONE
    states = pr.state[: pr.n][owned]
    assert np.isin(states, OWNED_STATES).all(), (
        f"month {int(row['month'])}: owner kept in states "
        f"{sorted(set(states.tolist()) - {int(s) for s in OWNED_STATES})}"
    )


CASES = [(name, seed) for name in SCENARIOS for seed in SEEDS]


def run_checked(name: str, seed: int, checks) -> MonthChecker:
    sc = scenario(name)
    checker = MonthChecker(sc.company.initial_cash, checks)
    drive(sc, seed, checker)
    assert checker.months >= 1
    return checker


@pytest.mark.parametrize("name,seed", CASES)
def test_every_month_ledger_states_and_headcount(name, seed):
    run_checked(name, seed, [check_ledger, check_states, check_headcount])


def test_pipeline_deals_belong_to_current_reps():
    for seed in SEEDS:
        run_checked("sales_led", seed, [check_owner_is_a_current_rep])


def test_owner_is_cleared_when_a_deal_ends():
    for seed in SEEDS:
        run_checked("sales_led", seed, [check_owner_only_while_owned])


# -- reproducibility -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_seed_same_run_and_different_seeds_differ(name):
    sc = scenario(name, months=24)
    first, again, other = run(sc, seed=7), run(sc, seed=7), run(sc, seed=8)
    pd.testing.assert_frame_equal(first.series, again.series)
    pd.testing.assert_frame_equal(first.events, again.events)
    assert first.summary == again.summary
    assert not first.series.equals(other.series)


# -- the ledger as a property over random levers --------------------------------------------------

LEVERS = st.fixed_dictionaries(
    {
        "company.initial_cash": st.floats(300_000, 6_000_000),
        "company.hiring": st.sampled_from(["plan", "on_pressure", "after_pmf"]),
        "company.low_burn_until_pmf": st.booleans(),
        "company.max_rounds": st.integers(0, 3),
        "company.funding_arr_bar_usd": st.floats(50_000, 5_000_000),
        "sales.commission_timing": st.sampled_from(["immediate", "after_pmf"]),
        "sales.commission_rate": st.floats(0.0, 0.5),
        "sales.commission_basis": st.sampled_from(["booking", "cash", "clawback"]),
        "sales.contingent_acceptance": st.floats(0.0, 1.0),
        "sales.promise_horizon_months": st.floats(0.0, 18.0),
        "sales.targeting": st.sampled_from(["any", "focus"]),
        "sales.ramp_months": st.floats(0.0, 10.0),
        "product.custom_capacity_cap": st.floats(0.0, 1.0),
        "product.customizable_architecture": st.booleans(),
        "product.bet_limit_usd": st.one_of(st.none(), st.floats(5_000, 300_000)),
        "product.bet_style": st.sampled_from(["few_big", "many_small"]),
        "policy.feedback_meetings": st.booleans(),
        "policy.pressure_response": st.floats(0.0, 1.0),
        "policy.custom_decider": st.sampled_from(["sales", "product"]),
        "market.size_scale": st.sampled_from([0.25, 0.5]),
    }
)


@settings(
    max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(levers=LEVERS, months=st.integers(4, 18), seed=st.integers(0, 10_000))
def test_ledger_balances_for_any_levers(levers, months, seed):
    sc = from_dict({}).with_overrides({**levers, "months": months})
    checker = MonthChecker(sc.company.initial_cash, [check_ledger, check_headcount])
    drive(sc, seed, checker)
    assert 1 <= checker.months <= months


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**9), 10**9).map(float),  # whole amounts: salaries, hiring, overhead
        st.integers(-(10**15), 10**15).map(lambda c: c / 100),  # cents
        st.integers(-(10**12), 10**12),
    )
)
def test_cents_is_round_to_the_cent(amount) -> None:
    """``ledger.cents`` skips Python's decimal rounding for whole amounts: the same number (and
    type, and sign of zero) as ``round(amount, 2)``, for Python and numpy floats."""
    from sim.model.ledger import cents

    values = [amount, np.float64(amount)] if isinstance(amount, float) else [amount]
    for value in values:
        with np.errstate(over="ignore"):  # numpy's round of a float64 near the largest one
            fast, slow = cents(value), round(value, 2)
        assert type(fast) is type(slow)
        assert np.float64(fast).tobytes() == np.float64(slow).tobytes()


def test_mesas_clock_moves_with_the_months() -> None:
    """The model steps without Mesa's event list (``CompanyModel._wrapped_step``, a speed-up
    that leans on Mesa 3.5's internals): Mesa's step count and clock still move one a month, and
    a Mesa upgrade that renames those internals fails here rather than silently."""
    model = CompanyModel(preset("sales_led").with_overrides({"months": 7}), rng=0)
    while model.running:
        model.step()
    assert model.month == model.steps == 7
    assert model.time == 7
