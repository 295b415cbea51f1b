"""Sales reps: prospect, work deals through the cycle, negotiate, close or lose; and their careers.

Compensation drives behaviour: with commission on, a rep accepts poorer fit, discounts more and
pushes deal-contingent requests; in learning mode (no commission before the PMF signal) reps run
discovery, close less and feed what they learn to product (000_6d48f6e008d74b5c.txt). Reps sell the
roadmap up to a promise horizon; quota is set above plan; ramp and attrition follow quota
attainment (002_23429537579b20f1.txt). Deal-contingent requests come from
001_c4a0b04a5eb93e2d.txt.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
from scipy.special import expit

from sim.capabilities import top_missing_need
from sim.market import DISQUALIFIED_COOLDOWN_MONTHS, NO_ONE, State
from sim.scenario import Scenario

REFERENCE_COMMISSION = 0.10  # commission rate whose behavioural effects the sales levers state
PRICE_GAP_SLOPE = 8.0  # win odds lost per unit of price above the buyer's budget (logit per share)
LEARNING_MODE_MIN_FIT_ADD = 0.05  # reps in discovery only work prospects that fit a little better
ATTAINMENT_WINDOW = 3  # months of bookings that count for quota attainment (months)
MONTHS_PER_YEAR = 12
CYCLE_SHAPE = 4.0  # gamma shape of a deal's cycle around its segment mean: most near the mean (dimensionless)


@dataclass(frozen=True)
class Stance:
    """How a rep sells this month: the bar, the discount, contingent deals and promises."""

    commission_on: bool
    learning: bool
    min_fit: float
    max_discount: float
    contingent_acceptance: float
    promise_horizon: float
    segments: list[int]


class SalesRep(mesa.Agent):
    """One sales rep with skill, ramp, capacity, quota and an attainment history."""

    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        self.p = scenario.sales
        self.skill = float(model.rng.normal(0.0, self.p.skill_sd))
        self.hired_month = model.month
        self.booked_mrr: list[float] = []
        self.quota_mrr: list[float] = []
        self.month_booked = 0.0

    # -- who the rep is this month ---------------------------------------------------------------
    def ramp(self) -> float:
        """Productivity share: linear from 0 to 1 over the ramp months."""
        tenure = self.model.month - self.hired_month
        return 1.0 if self.p.ramp_months <= 0 else min(1.0, tenure / self.p.ramp_months)

    def is_ramping(self) -> bool:
        return self.ramp() < 1.0

    def attainment(self) -> float | None:
        """Bookings over quota for the last few months (None while there is no quota yet)."""
        quota = sum(self.quota_mrr[-ATTAINMENT_WINDOW:])
        return None if quota <= 0 else sum(self.booked_mrr[-ATTAINMENT_WINDOW:]) / quota

    def stance(self) -> Stance:
        """Commission, pressure and governance set this month's selling behaviour (same for all reps)."""
        company = self.model.company
        if company.stance_month != self.model.month:
            company.stance, company.stance_month = self._read_stance(), self.model.month
        return company.stance

    def _read_stance(self) -> Stance:
        company, p = self.model.company, self.p
        on = company.commission_on()
        incentive = p.commission_rate / REFERENCE_COMMISSION if on else 0.0
        bend = company.pressure * company.policy.pressure_response
        learning = not on and p.commission_timing == "after_pmf"
        min_fit = p.min_fit - p.commission_fit_drop * incentive - company.policy.pressure_fit_drop * bend
        acceptance = p.contingent_acceptance * (1 + p.commission_contingent_boost * incentive)
        return Stance(
            commission_on=on, learning=learning,
            min_fit=min_fit + (LEARNING_MODE_MIN_FIT_ADD if learning else 0.0),
            max_discount=min(0.9, p.max_discount + p.commission_discount_add * incentive
                             + company.policy.pressure_discount_add * bend),
            contingent_acceptance=min(1.0, acceptance + company.policy.pressure_acceptance_add * bend),
            promise_horizon=p.promise_horizon_months + company.policy.pressure_promise_months * bend,
            segments=company.target_segments(),
        )

    # -- monthly phase -----------------------------------------------------------------------------
    def step(self) -> None:
        """Prospect for leads, then decide the deals whose cycle ends this month."""
        stance = self.stance()
        self.month_booked = 0.0
        self._prospect(stance)
        self._close_deals(stance)
        self.booked_mrr.append(self.month_booked)
        self.quota_mrr.append(self.model.company.quota_per_rep())

    def my_deals(self) -> np.ndarray:
        """Open deals this rep works (snapshot at the start of the month, still in the pipeline)."""
        pr = self.model.market.prospects
        deals = self.model.market.deals_of(self.unique_id)
        return deals[pr.state[deals] == State.PIPELINE]

    def _prospect(self, stance: Stance) -> None:
        """Contact leads in the target segments; qualify those whose fit looks good enough."""
        market, rng = self.model.market, self.model.rng
        pr = market.prospects
        room = int(self.p.rep_capacity_deals * self.ramp()) - self.my_deals().size
        want = min(room, int(rng.poisson(self.p.leads_per_month * self.ramp())))
        leads = market.available_leads(stance.segments)
        if want <= 0 or leads.size == 0:
            return
        picked = rng.choice(leads, size=min(want, leads.size), replace=False)
        seen = pr.fit[picked] + self._perception_noise() * rng.standard_normal(picked.size)
        qualified, turned_away = picked[seen >= stance.min_fit], picked[seen < stance.min_fit]
        pr.next_contact[turned_away] = self.model.month + DISQUALIFIED_COOLDOWN_MONTHS
        self._open_deals(qualified)
        self.model.company.note_discovery(picked.size if stance.learning else 0)

    def _perception_noise(self) -> float:
        policy = self.model.company.policy
        return self.p.perception_noise * (policy.feedback_perception_factor if policy.feedback_meetings else 1.0)

    def _open_deals(self, idx: np.ndarray) -> None:
        if idx.size == 0:
            return
        pr = self.model.market.prospects
        cycle = self.model.market.cycle_months[pr.seg[idx]]
        months = self.model.rng.standard_gamma(CYCLE_SHAPE, idx.size) * (cycle / CYCLE_SHAPE)
        pr.state[idx] = State.PIPELINE
        pr.owner[idx] = self.unique_id
        pr.decide_month[idx] = self.model.month + np.maximum(1, np.round(months)).astype(np.int32)

    def _close_deals(self, stance: Stance) -> None:
        pr = self.model.market.prospects
        deals = self.my_deals()
        due = deals[pr.decide_month[deals] <= self.model.month]
        if due.size == 0:
            return
        asks = self._asks_contingent(due)
        self._handle_contingent(due[asks], stance)
        self._decide(due[~asks], stance)

    def _asks_contingent(self, due: np.ndarray) -> np.ndarray:
        """Poor-fit prospects that ask 'buy if you build X' instead of saying no (a mask of due)."""
        pr = self.model.market.prospects
        return pr.asks_custom[due] & (pr.fit[due] < self.p.min_fit)

    # -- ordinary deals ----------------------------------------------------------------------------
    def _decide(self, idx: np.ndarray, stance: Stance) -> None:
        """Each buyer decides on fit vs the competitor, price, complexity and the rep's pitch."""
        if idx.size == 0:
            return
        market, rng = self.model.market, self.model.rng
        pr, mp = market.prospects, market.params
        promise_k, promise_eta, promise_gain = self._roadmap_pitch(idx, stance)
        need_discount = np.clip(1.0 - pr.budget[idx], 0.0, 0.95)
        discount = np.minimum(need_discount, stance.max_discount)
        seen_fit = pr.fit[idx] + promise_gain
        logit = (mp.win_base_logit + self.skill
                 + mp.win_relative_fit_slope * (seen_fit - pr.comp_fit[idx])
                 + mp.win_absolute_fit_slope * (seen_fit - 0.5)
                 + mp.win_discount_slope * discount
                 - PRICE_GAP_SLOPE * (need_discount - discount)
                 - mp.win_complexity_slope * self.model.product.complexity)
        chance = expit(logit) * (self.p.learning_mode_close_factor if stance.learning else 1.0)
        won = rng.random(idx.size) < chance
        self.model.company.note_decisions(idx.size, int(won.sum()))
        self._lose(idx[~won])
        waits = won & (promise_k >= 0) & (rng.random(idx.size) < 1.0 - np.exp(-promise_eta / self.p.wait_scale_months))
        self._wait(idx[waits], promise_k[waits], promise_eta[waits])
        buy = won & ~waits
        self._win(idx[buy], discount[buy], promise_k[buy], promise_eta[buy], stance)

    def _roadmap_pitch(self, idx: np.ndarray, stance: Stance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Promise each buyer's biggest missing need when the plan ships it within the horizon."""
        none = np.full(idx.size, NO_ONE), np.zeros(idx.size), np.zeros(idx.size)
        if stance.promise_horizon <= 0:
            return none
        product = self.model.product
        needs = self.model.market.needs_of(idx)
        k = top_missing_need(needs, product.coverage)
        eta = product.planned_eta()[np.maximum(k, 0)]
        ok = (k >= 0) & (eta <= stance.promise_horizon)
        step, _ = product._item_size()
        # A promise persuades less the further out it is: buyers discount distant features.
        gain = np.where(ok, step / np.maximum(needs.sum(axis=1), 1) * np.exp(-eta / self.p.wait_scale_months), 0.0)
        return np.where(ok, k, NO_ONE), np.where(ok, eta, 0.0), gain

    def _lose(self, idx: np.ndarray) -> None:
        if idx.size == 0:
            return
        pr = self.model.market.prospects
        to_rival = pr.comp_fit[idx] > pr.fit[idx]
        pr.state[idx] = np.where(to_rival, State.LOST_TO_COMPETITOR, State.LOST)
        pr.owner[idx] = NO_ONE

    def _wait(self, idx: np.ndarray, k: np.ndarray, eta: np.ndarray) -> None:
        """The buyer keeps its money in its pocket until the promised item ships."""
        if idx.size == 0:
            return
        pr = self.model.market.prospects
        pr.state[idx] = State.WAITING
        self._record_promise(idx, k, eta)

    def _record_promise(self, idx: np.ndarray, k: np.ndarray, eta: np.ndarray) -> None:
        if idx.size == 0:
            return
        pr = self.model.market.prospects
        pr.promise_cap[idx] = k
        pr.promise_due[idx] = self.model.month + np.ceil(eta).astype(np.int32)
        pr.promise_since[idx] = self.model.month
        self.model.company.note_promises(int(np.count_nonzero(k >= 0)))

    def _win(self, idx: np.ndarray, discount: np.ndarray, k: np.ndarray, eta: np.ndarray, stance: Stance) -> None:
        if idx.size == 0:
            return
        pr = self.model.market.prospects
        list_price = self.model.market.list_price[pr.seg[idx]]
        self._record_promise(idx[k >= 0], k[k >= 0], eta[k >= 0])
        self.model.customers.start(idx, pr.seats_wanted[idx], list_price * (1.0 - discount))
        self._book(idx, stance)

    def _book(self, idx: np.ndarray, stance: Stance) -> None:
        self.month_booked += self.model.company.book(idx, self.unique_id, stance.commission_on)

    def credit(self, mrr: float) -> None:
        """Bookings that land later (waiters, expansions) count toward this month's attainment."""
        self.month_booked += mrr

    # -- deal-contingent requests -------------------------------------------------------------------
    def _handle_contingent(self, idx: np.ndarray, stance: Stance) -> None:
        """'Buy if you build X': commit (a small first order now) or let the deal go."""
        if idx.size == 0:
            return
        market, product, rng = self.model.market, self.model.product, self.model.rng
        pr = market.prospects
        wanted = top_missing_need(market.needs_of(idx), product.coverage)
        for i, k in zip(idx.tolist(), wanted.tolist()):
            seg = market.segments[pr.seg[i]]
            item = product.draft_request(i, max(k, 0), seg.custom_effort_em)
            sales_yes = rng.random() < stance.contingent_acceptance
            product_yes = self.model.company.policy.custom_decider == "sales" or product.judge_bet(item)
            self.model.company.note_decisions(1, int(sales_yes and product_yes))
            if k >= 0 and sales_yes and product_yes:
                self._commit_contingent(i, item, seg, stance)
            else:
                self._lose(np.array([i]))

    def _commit_contingent(self, i: int, item, seg, stance: Stance) -> None:
        pr, product = self.model.market.prospects, self.model.product
        product.commit(item)
        pr.custom_item[i] = item.id
        seats = max(1.0, np.round(pr.seats_wanted[i] * seg.contingent_first_order))
        price = seg.price_per_seat_usd * (1.0 - stance.max_discount)
        self.model.customers.start(np.array([i]), np.array([seats]), np.array([price]))
        self._book(np.array([i]), stance)
        self.model.company.note_contingent_accepted()
        self.model.log("contingent_accepted", customer=i, rep=self.unique_id, segment=self.model.market.segment_names[pr.seg[i]],
                       seats_now=int(seats), seats_promised=int(pr.seats_wanted[i]),
                       estimate_em=round(item.estimate_em, 1), due_month=item.due_month)

    # -- career --------------------------------------------------------------------------------------
    def decides_to_leave(self) -> bool:
        """Attrition: a base rate, higher for a ramped rep far below quota."""
        monthly = 1.0 - (1.0 - self.p.attrition_annual) ** (1.0 / MONTHS_PER_YEAR)
        attained = self.attainment()
        if attained is not None and not self.is_ramping():
            monthly *= 1.0 + self.p.missed_quota_attrition * max(0.0, 1.0 - attained)
        return bool(self.model.rng.random() < monthly)

    def hand_back_deals(self) -> None:
        """A leaving rep's open deals go back to the lead pool."""
        pr = self.model.market.prospects
        n = pr.n
        mine = np.flatnonzero((pr.state[:n] == State.PIPELINE) & (pr.owner[:n] == self.unique_id))
        pr.state[mine] = State.LEAD
        pr.owner[mine] = NO_ONE
