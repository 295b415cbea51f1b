"""The company: CEO, board and finance. Signals, pressure, hiring, commissions, funding, death.

Pressure rises with the gap to the revenue plan and with a short cash fuse. Under sales-led
governance it lowers the bar for contingent deals, widens targeting, lengthens promises and hires
reps ahead of product-market fit; product-led governance gates hiring and commissions on a PMF
signal and keeps burn low until then (000_6d48f6e008d74b5c.txt, 001_c4a0b04a5eb93e2d.txt).
Funding depends on traction at the time the CEO asks (000).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
from scipy.special import expit

from sim.config import Scenario
from sim.model.kernels import clawback, mrr_total, start_and_book_by_rep
from sim.model.ledger import Ledger
from sim.model.mechanisms.pressure import felt_pressure, pressure_reading
from sim.model.population import NO_ONE, State

MONTHS_PER_YEAR = 12
RUNWAY_CAP_MONTHS = 120.0  # runway reported when the company is not burning cash (months)
PLAN_CHURN_ALLOWANCE = 0.02  # monthly churn the plan expects to replace (share/month)
TRACTION_WINDOW = 3  # months of MRR history investors look at (months)
INVESTOR_ARR_SLOPE = 1.5  # funding odds per log-unit of ARR over the bar (logit)
INVESTOR_GROWTH_SLOPE = 1.0  # funding odds per growth bar of growth above the bar (logit)
INVESTOR_CHURN_SLOPE = 1.0  # funding odds per churn bar of churn below the bar (logit)
INVESTOR_GROWTH_CAP = (
    0.25  # growth above this (share/month) impresses no more: it is growth from a tiny base
)
DEMAND_LEADS_PER_REP = (
    2.0  # after PMF: hire when waiting leads exceed this many months of a rep's work
)


class Company(mesa.Agent):
    """The CEO and the books: reads signals, sets pressure, hires, pays, raises, or dies."""

    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        self.p = scenario.company
        self.sales = scenario.sales
        self.policy = scenario.policy
        self.ledger = Ledger(self.p.initial_cash)
        self.pressure = 0.0
        self.pmf = False
        self.pmf_month: int | None = None
        self.pmf_streak = 0
        self.rounds = 0
        self.next_raise_month = 0
        self.mrr_history: list[float] = []
        self.churn_history: list[float] = []
        self.burn = self.month_costs = 0.0
        self.runway = RUNWAY_CAP_MONTHS
        self.dead = False
        self.last_hire_month = 0
        self.stance, self.stance_month = None, -1
        self._quota, self._quota_month = 0.0, -1
        self._love, self._love_month = 0.0, -1
        self.plan_base = (self.p.plan_start_month, self.p.plan_start_mrr_usd)  # (month, MRR)
        self.plan_growth = self.p.plan_growth_monthly  # re-set at a review with a stretch target
        self._targets: list[int] = []
        self._targets_key: tuple = ()  # what _targets was read from
        self.reset_month()

    def reset_month(self) -> None:
        self.bookings = self.decisions = self.wins = self.discovery = 0.0
        self.promises_made = self.contingent_accepted = self.reps_hired = self.reps_left = 0
        self.reps_hired_on_pressure = 0

    # -- signals ---------------------------------------------------------------------------------
    def plan_mrr(self, month: int) -> float:
        if month < self.p.plan_start_month:
            return 0.0
        base_month, base_mrr = self.plan_base
        return base_mrr * (1.0 + self.plan_growth) ** (month - base_month)

    def _replan(self) -> None:
        """The budget review: a plan the company beat is re-based on what it really makes; with
        ``plan_replan_down_share`` > 0 a missed plan is lowered by that share of the shortfall
        (1: re-based on actual MRR). With ``plan_replan_stretch`` >= 0 the new plan grows at the
        MRR growth of the period under review plus that stretch (at most the original growth);
        otherwise at the original rate. A company that keeps missing it stays under pressure."""
        every, month = self.p.plan_replan_months, self.model.month
        since = month - self.p.plan_start_month
        if every <= 0 or since <= 0 or since % every:
            return
        actual, plan = self.mrr(), self.plan_mrr(month)
        if self.p.plan_replan_stretch >= 0:
            self.plan_growth = self._reviewed_growth(every, actual) + self.p.plan_replan_stretch
            self.plan_growth = min(self.plan_growth, self.p.plan_growth_monthly)
            self.plan_base = (month, plan)  # the plan stays where it is today, then grows anew
        if actual > plan:
            self.plan_base = (month, actual)
            self.model.log("replan", mrr=round(actual))
        elif self.p.plan_replan_down_share > 0 and actual < plan:
            lowered = plan - self.p.plan_replan_down_share * (plan - actual)
            self.plan_base = (month, lowered)
            self.model.log("replan_down", mrr=round(actual), plan=round(lowered))

    def _reviewed_growth(self, months: int, actual: float) -> float:
        """Monthly MRR growth over the last ``months`` months (compounded, floored at 0)."""
        history = self.mrr_history
        if len(history) < months or history[-months] <= 0 or actual <= 0:
            return 0.0
        return max(0.0, (actual / history[-months]) ** (1.0 / months) - 1.0)

    def mrr(self) -> float:
        pr = self.model.market.prospects
        return mrr_total(pr.active("state"), pr.active("seats"), pr.active("price"))

    def commission_on(self) -> bool:
        return self.sales.commission_rate > 0 and (
            self.sales.commission_timing == "immediate" or self.pmf_month is not None
        )

    def learning_reps(self) -> int:
        if self.commission_on() or self.sales.commission_timing != "after_pmf":
            return 0
        return len(self.model.reps())

    def target_segments(self) -> list[int]:
        """Focus segment, unless pressure (bent by governance) widens targeting to everyone.

        Read a dozen times a month; kept until pressure or a setting it depends on moves
        (callers only read the list)."""
        key = (
            self.pressure,
            self.policy.pressure_response,
            self.policy.pressure_widen,
            self.sales.targeting,
            self.sales.focus_segment,
        )
        if key != self._targets_key:
            self._targets, self._targets_key = self._target_segments(), key
        return self._targets

    def _target_segments(self) -> list[int]:
        market = self.model.market
        every = list(range(len(market.segments)))
        if self.sales.targeting == "any":
            return every
        if felt_pressure(self) > self.policy.pressure_widen:
            return every
        return [market.segment_names.index(self.sales.focus_segment)]

    def quota_per_rep(self) -> float:
        """Monthly new-MRR quota of one rep: plan's new MRR, marked up, shared by ramped reps."""
        month = self.model.month
        if self._quota_month != month:
            planned_new = (
                self.plan_mrr(month)
                - self.plan_mrr(month - 1)
                + PLAN_CHURN_ALLOWANCE * self.plan_mrr(month - 1)
            )
            capacity = sum([rep.ramp() for rep in self.model.reps()])
            self._quota, self._quota_month = (
                self.sales.quota_multiplier * planned_new / max(capacity, 1.0),
                month,
            )
        return self._quota

    # -- phase 2: steer ----------------------------------------------------------------------------
    def steer(self) -> None:
        """Read the PMF signal and pressure, then hire (or not)."""
        self.reset_month()
        self._read_pmf()
        self._replan()
        self._update_pressure()
        self._hire_reps()
        self._invest_in_engineering()

    def love_share(self) -> float:
        """This month's PMF survey (best segment's love share), read once a month."""
        if self._love_month != self.model.month:
            self._love = self.model.market.best_segment_love_share(self.p.pmf_fit_threshold)
            self._love_month = self.model.month
        return self._love

    def _read_pmf(self) -> None:
        share = self.love_share()
        self.pmf = share >= self.p.pmf_share
        self.pmf_streak = self.pmf_streak + 1 if self.pmf else 0
        if self.pmf_month is None and self.pmf_streak >= self.p.pmf_months:
            self.pmf_month = self.model.month
            self.model.log("pmf", share=round(share, 3))

    def _update_pressure(self) -> None:
        self.pressure += self.p.pressure_smoothing * (pressure_reading(self) - self.pressure)

    def _may_hire(self) -> bool:
        reps = len(self.model.reps())
        if self.p.low_burn_until_pmf and self.pmf_month is None:
            return reps < self.p.initial_reps  # replace leavers, but do not grow before PMF
        return self.runway >= self.p.min_runway_to_hire_months and reps < self.p.max_reps

    def _hire_reps(self) -> None:
        if self._may_hire() and self._wants_rep():
            self.model.hire_rep()
            self.reps_hired += 1
            self.reps_hired_on_pressure += self._hires_on_pressure()
            self.last_hire_month = self.model.month

    def _hires_on_pressure(self) -> bool:
        """Whether this month's hire was pressure's doing: the on-pressure rule growing the team
        (not a replacement, not the plan's cadence, not leads waiting after PMF)."""
        return self.p.hiring == "on_pressure" and len(self.model.reps()) > self.p.initial_reps

    def _invest_in_engineering(self) -> None:
        """Under after-PMF hiring, money beyond a comfortable runway buys engineers once the PMF
        signal is in, one a month [000: keep burn low until product-market fit, then invest]."""
        months, product = self.p.invest_runway_months, self.model.product
        if self.p.hiring != "after_pmf" or months <= 0 or self.pmf_month is None:
            return
        if product.engineers >= self.p.max_engineers:
            return
        if self.ledger.cash >= months * (self.burn + self.p.engineer_cost_usd):
            product.engineers += 1
            self.model.log("engineer_hired", engineers=product.engineers)

    def _wants_rep(self) -> bool:
        month, rule = self.model.month, self.p.hiring
        if len(self.model.reps()) < self.p.initial_reps:
            return True
        cadence_due = month - self.last_hire_month >= self.p.plan_hire_every_months
        if rule == "plan":
            return cadence_due
        if rule == "on_pressure":
            return felt_pressure(self) > self.p.pressure_hire_threshold
        return self.pmf_month is not None and self._leads_waiting()

    def _leads_waiting(self) -> bool:
        leads = self.model.market.lead_count(self.target_segments())
        return leads > DEMAND_LEADS_PER_REP * self.sales.leads_per_month * max(
            len(self.model.reps()), 1
        )

    # -- bookings and commissions (called by reps and customers)
    # ------------------------------------
    def book(
        self, idx: np.ndarray, rep: int, commission_on: bool, mrr: np.ndarray | None = None
    ) -> float:
        """New customers booked by a rep: bookings, and commission if it is being paid.
        ``mrr``: their monthly revenue, when the caller has it already."""
        pr = self.model.market.prospects
        if mrr is None:
            mrr = pr.seats[idx] * pr.price[idx]
        pr.closer[idx] = rep
        pr.commissioned[idx] = commission_on
        booked = float(mrr.sum())
        rate = self.commission_at_booking(commission_on)
        paid = None
        if rate is not None:
            commission = rate * mrr
            pr.commission_paid[idx] = commission
            paid = float(commission.sum())
        self.note_booked(booked, paid)
        return booked

    def commission_at_booking(self, commission_on: bool) -> float | None:
        """Commission paid when a deal is booked, per dollar of its MRR (a year of it at the
        commission rate); None when none is paid at booking (off, or paid on cash)."""
        if commission_on and self.sales.commission_basis != "cash":
            return self.sales.commission_rate * MONTHS_PER_YEAR
        return None

    def note_booked(self, booked: float, paid: float | None) -> None:
        """The bookings of new customers and the commission paid on them (None: none)."""
        self.bookings += booked
        if paid is not None:
            self.ledger.post("commissions_usd", paid)

    def book_one(self, i: int, rep: int, commission_on: bool) -> float:
        """``book`` for one new customer (a contingent buyer's first order): the same sums."""
        pr = self.model.market.prospects
        mrr = pr.seats[i] * pr.price[i]
        pr.closer[i] = rep
        pr.commissioned[i] = commission_on
        self.bookings += float(mrr)
        if commission_on and self.sales.commission_basis != "cash":
            paid = self.sales.commission_rate * MONTHS_PER_YEAR * mrr
            pr.commission_paid[i] = paid
            self.ledger.post("commissions_usd", float(paid))
        return float(mrr)

    def book_waiters(self, idx: np.ndarray, price: np.ndarray) -> None:
        """Buyers who waited for a promised item and now buy their seats wanted at ``price``,
        booked rep by rep (ascending ids, as ``book`` books one rep's customers) and credited to
        the rep who pitched (``kernels.start_and_book_by_rep``)."""
        if idx.size == 0:
            return
        on = self.commission_on()
        terms = (on, self.commission_at_booking(on))
        pr = self.model.market.prospects
        ids, booked, paid = start_and_book_by_rep(idx, price, self.model.month, terms, pr)
        for k, rep_id in enumerate(ids):
            self.note_booked(booked[k], None if paid is None else paid[k])
            self.model.credit_rep(rep_id, booked[k])

    def book_expansion(self, i: int, seats: float) -> None:
        """A contingent buyer's promised expansion came after all."""
        pr = self.model.market.prospects
        added = max(0.0, seats - pr.seats[i]) * pr.price[i]
        pr.seats[i] = max(seats, pr.seats[i])
        self.bookings += added
        if self.commission_on() and self.sales.commission_basis != "cash":
            self.ledger.post(
                "commissions_usd", self.sales.commission_rate * MONTHS_PER_YEAR * added
            )
        self.model.credit_rep(int(pr.closer[i]), added)

    def note_churn(self, gone: np.ndarray) -> None:
        """Clawback: commission on a customer lost early comes back."""
        if self.sales.commission_basis != "clawback" or gone.size == 0:
            return
        pr = self.model.market.prospects
        refund = clawback(
            gone, pr.start_month, pr.commission_paid, self.model.month, self.sales.clawback_months
        )
        if refund:
            self.ledger.post("commissions_usd", -refund)

    def note_decisions(self, decided: int, won: int) -> None:
        self.decisions += decided
        self.wins += won

    def note_discovery(self, contacts: int) -> None:
        self.discovery += contacts

    def note_promises(self, count: int) -> None:
        self.promises_made += count

    def note_contingent_accepted(self) -> None:
        self.contingent_accepted += 1

    # -- phase 6: settle
    # ----------------------------------------------------------------------------
    def settle(self) -> dict[str, float]:
        """Post the month's flows, try to raise if the fuse is short, close the books, check
        death."""
        self._post_flows()
        self._maybe_raise()
        flows = self.ledger.close_month()
        self.month_costs = self.ledger.costs(flows)  # the closed month's outflows
        self.burn = max(0.0, -(flows["revenue_usd"] - self.month_costs))
        self.runway = (
            RUNWAY_CAP_MONTHS
            if self.burn <= 0
            else min(RUNWAY_CAP_MONTHS, max(0.0, self.ledger.cash) / self.burn)
        )
        self.mrr_history.append(self.mrr())
        self.churn_history.append(self.model.customers.month_churned_mrr)
        if self.ledger.cash < 0:
            self.dead = True
            self.model.log("death", cash=round(self.ledger.cash, 2))
        return flows

    def _post_flows(self) -> None:
        customers, product = self.model.customers, self.model.product
        overhead = self.p.overhead_usd
        if self.p.low_burn_until_pmf and self.pmf_month is None:
            overhead *= 1.0 - self.p.low_burn_overhead_cut
        self.ledger.post("revenue_usd", customers.month_revenue)
        self.ledger.post("cost_to_serve_usd", customers.month_cost_to_serve)
        self.ledger.post(
            "salaries_usd",
            product.engineers * self.p.engineer_cost_usd
            + len(self.model.reps()) * self.p.rep_base_usd,
        )
        self.ledger.post("overhead_usd", overhead)
        self.ledger.post("hiring_usd", self.reps_hired * self.p.rep_hiring_cost_usd)
        if self.sales.commission_basis == "cash":
            self.ledger.post("commissions_usd", self._cash_commissions())

    def _cash_commissions(self) -> float:
        """Commission on cash collected in a customer's first year, for deals booked under
        commission."""
        pr = self.model.market.prospects
        first_year = (
            (pr.active("state") == State.CUSTOMER)
            & pr.active("commissioned")
            & (self.model.month - pr.active("start_month") < MONTHS_PER_YEAR)
        )
        return self.sales.commission_rate * float(
            np.sum(pr.active("seats")[first_year] * pr.active("price")[first_year])
        )

    def traction_odds(self) -> float:
        """Chance investors fund a round now, from ARR, recent growth and revenue churn (and, with
        `investor_fit_weight` > 0, the PMF survey's love share against `pmf_share`)."""
        p, mrr = self.p, self.mrr_history[-TRACTION_WINDOW - 1 :]
        arr = MONTHS_PER_YEAR * (mrr[-1] if mrr else 0.0)
        growth = (
            (mrr[-1] / mrr[0]) ** (1 / (len(mrr) - 1)) - 1 if len(mrr) > 1 and mrr[0] > 0 else 0.0
        )
        growth = min(growth, INVESTOR_GROWTH_CAP)
        churn = sum(self.churn_history[-TRACTION_WINDOW:]) / max(sum(mrr[-TRACTION_WINDOW:]), 1.0)
        logit = (
            INVESTOR_ARR_SLOPE * math.log(max(arr, 1.0) / p.funding_arr_bar_usd)
            + INVESTOR_GROWTH_SLOPE
            * (growth - p.funding_growth_bar)
            / max(p.funding_growth_bar, 1e-6)
            + INVESTOR_CHURN_SLOPE * (p.funding_churn_bar - churn) / p.funding_churn_bar
        )
        if p.investor_fit_weight > 0:  # off by default: traction only, bit-identical
            logit += p.investor_fit_weight * (self.love_share() - p.pmf_share) / p.pmf_share
        return float(expit(logit))

    def _maybe_raise(self) -> None:
        p, month = self.p, self.model.month
        cash_after = self.ledger.cash + self.ledger.net()
        runway = cash_after / self.burn if self.burn > 0 else RUNWAY_CAP_MONTHS
        if (
            self.rounds >= p.max_rounds
            or month < self.next_raise_month
            or runway >= p.raise_when_runway_months
        ):
            return
        self.next_raise_month = month + p.raise_retry_months
        odds = self.traction_odds()
        if self.model.streams.funding.random() < odds:
            self.rounds += 1
            self.ledger.post("funding_usd", p.funding_round_usd)
            self.model.product.engineers = min(
                p.max_engineers, self.model.product.engineers + p.engineers_hired_per_round
            )
            self.model.log(
                "funding", round=self.rounds, amount_usd=p.funding_round_usd, odds=round(odds, 3)
            )
        else:
            self.model.log("funding_refused", odds=round(odds, 3))

    def reps_attrition(self) -> None:
        """Reps decide whether to leave; a leaver's deals go back to the lead pool."""
        for rep in list(self.model.reps()):
            if rep.decides_to_leave():
                rep.hand_back_deals()
                self.model.log("rep_left", rep=rep.unique_id, attainment=rep.attainment())
                rep.remove()
                self.reps_left += 1


__all__ = ["NO_ONE", "Company"]
