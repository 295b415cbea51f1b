"""The sales floor: this month's prospecting and deal decisions, for every rep in one pass.

Reps are Mesa agents that decide their own month (how many leads to chase, from their ramp and
open deals; their skill; quota and careers, in sim/sales.py). The floor then works all of their
leads and deals together, in vectorised code, while each prospect still decides individually on
its fit, the competitor's fit, the price and the rep's pitch. Deal-contingent requests
('buy if you build X', 001_c4a0b04a5eb93e2d.txt) are handled one by one, in the reps' shuffled
order, because each commits engineering. Selling the roadmap and customers who wait for a
promised feature come from 002_23429537579b20f1.txt.

Before the sale a buyer sees only part of true fit (``market.win_fit_visibility``): it cannot
use the product yet, so it judges from demos, the rep's pitch and what it is promised, and the
tactics (a discount, a roadmap item promised, a custom item committed) close much of the gap a
poor fit leaves. The buyer pays after the sale, once true fit shows: with
``market.satisfaction_from_sold_fit`` its satisfaction starts at the fit it was sold and moves
to its true fit (001_c4a0b04a5eb93e2d.txt: the sales-led product wins deals and stagnates;
002_23429537579b20f1.txt: roadmap sold months out, customers wait and are disappointed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.model.kernels import (
    decide_deals,
    due_deals,
    no_decision,
    qualify_and_open,
    seen_fit,
    start_and_book,
)
from sim.model.population import NO_ONE, State

if TYPE_CHECKING:
    from sim.model.actors.sales_reps import SalesRep
    from sim.model.company_model import CompanyModel
    from sim.model.mechanisms.pressure import Stance

DISQUALIFIED_COOLDOWN_MONTHS = 6  # a lead a rep turned away is not contacted again for this long


class SalesFloor:
    """Collects the reps' monthly plans, then prospects, pitches and closes for all of them."""

    def __init__(self, model: CompanyModel) -> None:
        self.model = model
        self.reps: list[SalesRep] = []
        self.wants: list[int] = []
        # the month's reps as arrays, in their shuffled order (set by ``work``): ids, skills, and
        # a lookup from a rep id to its place (ids not here, NO_ONE included, map to len(reps))
        self._ids = np.zeros(0, dtype=np.int64)
        self._skills = np.zeros(1)
        self._place = np.zeros(1, dtype=np.int64)

    def enlist(self, rep: SalesRep, want: int) -> None:
        """A rep's plan for the month (called in the reps' shuffled order)."""
        self.reps.append(rep)
        self.wants.append(want)

    def work(self) -> None:
        """Prospect, then decide every deal due this month, then let reps record their month."""
        if self.reps:
            stance = self.reps[0].stance()
            self._month_arrays()
            self._prospect(stance)
            self._close(stance)
            for rep in self.reps:
                rep.close_month()
        self.reps, self.wants = [], []

    def _month_arrays(self) -> None:
        reps = self.reps
        ids = [rep.unique_id for rep in reps]
        self._ids = np.array(ids)
        self._skills = np.array([*[rep.skill for rep in reps], 0.0])  # 0 for a rep not here
        place = [len(reps)] * (max(ids) + 2)  # the last slot also takes NO_ONE (-1)
        for at, rep_id in enumerate(ids):
            place[rep_id] = at
        self._place = np.array(place)

    def _places(self, idx: np.ndarray) -> np.ndarray:
        """Each deal's rep's place in this month's shuffle (len(reps) for a rep not here)."""
        owner = self.model.market.prospects.owner[idx]
        top = self._place.size - 1
        if owner.size and owner.max() > top:  # a rep id above every rep here: not here
            owner = np.minimum(owner, top)
        return self._place[owner]

    # -- prospecting
    # ---------------------------------------------------------------------------------
    def _prospect(self, stance: Stance) -> None:
        """Each rep contacts its share of a random draw of leads; it qualifies those that look
        good (``kernels.qualify_and_open``: the reps' reads of each lead, the deals they open)."""
        market, streams, month = self.model.market, self.model.streams, self.model.month
        wanted = sum(self.wants)
        if wanted <= 0:  # no rep wants a lead: none is reached
            return
        # the leads first in this month's order of reach: one more lead contacted adds one
        picked, leads = market.pick_leads(stance.segments, streams.contact.key, wanted)
        total = min(wanted, leads)
        if total <= 0:
            return
        wants = np.array(self.wants)
        noise = np.array([rep.perception_noise() for rep in self.reps])
        qualify_and_open(
            picked,
            (wants, noise, self._ids),
            (streams.perception.key, streams.cycle.key, market.cycle_months),
            market.prospects.fit,
            stance.min_fit,
            month + DISQUALIFIED_COOLDOWN_MONTHS,
            month,
            market.prospects,
        )
        self.model.company.note_discovery(total if stance.learning else 0)

    # -- closing
    # -------------------------------------------------------------------------------------
    def _close(self, stance: Stance) -> None:
        """Deals due this month: contingent requests one by one, every other buyer decides at
        once."""
        pr, month = self.model.market.prospects, self.model.month
        asks, others = due_deals(
            self.model.market.pipeline_snapshot(),
            pr.state,
            pr.decide_month,
            month,
            pr.asks_custom,
            pr.fit,
            self.model.config.sales.min_fit,
        )
        if asks.size == 0 and others.size == 0:
            return
        if asks.size:
            self._contingent(self._in_rep_order(asks), stance)
        self._decide(self._status_quo(others), stance)

    def _status_quo(self, due: np.ndarray) -> np.ndarray:
        """Some buyers decide to buy nothing this cycle (no decision): they go back to being
        leads, out of reach for a budget cycle (``kernels.no_decision``). Returns the deals that
        do decide. A buyer who asked for a custom feature has made up its mind to buy on that
        condition, so only the others come here."""
        mp = self.model.market.params
        if mp.no_decision_share <= 0:
            return due
        month = self.model.month
        deciding, still = no_decision(
            due,
            mp.no_decision_share,
            (self.model.streams.status_quo.key, month),
            month + mp.no_decision_cooldown_months,
            self.model.market.prospects,
        )
        self.model.company.note_decisions(still, 0)
        return deciding

    def _in_rep_order(self, idx: np.ndarray) -> np.ndarray:
        """Deals ordered by their rep's place in this month's shuffle (stable within a rep)."""
        if idx.size <= 1:  # one deal (or none) is in order
            return idx
        return idx[self._places(idx).argsort(kind="stable")]

    def _skill_of(self, idx: np.ndarray) -> np.ndarray:
        """Each deal's rep skill (0 for a rep no longer here)."""
        return self._skills[self._places(idx)]

    def _decide(self, idx: np.ndarray, stance: Stance) -> None:
        """Each buyer weighs fit vs the competitor, price, complexity and the rep's pitch (all
        of them in one pass: ``kernels.decide_deals``)."""
        if idx.size == 0:
            return
        market, streams, sales = self.model.market, self.model.streams, self.model.config.sales
        pr, mp = market.prospects, market.params
        slopes = (
            mp.win_base_logit,
            mp.win_relative_fit_slope,
            mp.win_absolute_fit_slope,
            mp.win_discount_slope,
            mp.win_complexity_slope * self.model.product.complexity,
        )
        close_factor = sales.learning_mode_close_factor if stance.learning else 1.0
        view = (mp.win_fit_visibility, mp.referral_win_logit)
        won, promised, buyers, price, sold = decide_deals(
            idx,
            (self._place, self._skills),
            self._roadmap_pitch(idx, stance),
            (stance.max_discount, slopes, close_factor, view),
            (streams.win.key, streams.wait.key, sales.wait_scale_months),
            self.model.month,
            market.list_price,
            pr,
        )
        company = self.model.company
        company.note_decisions(idx.size, won)
        if promised:
            company.note_promises(promised)
        if buyers.size:
            self._book(buyers, price, stance)
            if mp.satisfaction_from_sold_fit:  # they start where the pitch left them
                pr.satisfaction[buyers] = sold

    def _roadmap_pitch(self, idx: np.ndarray, stance: Stance) -> tuple:
        """What the pitch to each buyer starts from: its biggest missing need (NO_ONE: none),
        how many it needs, the plan's eta for it and how much that distance discounts a promise
        (buyers discount distant features), the promise horizon and the item's step. With no
        horizon, no buyer is promised anything."""
        if stance.promise_horizon <= 0:
            none, zeros = np.full(idx.size, NO_ONE), np.zeros(idx.size)
            return none, none, zeros, zeros, stance.promise_horizon, 0.0
        product = self.model.product
        k, needed, eta, exponent = self.model.market.pitch_inputs_of(
            idx, product.coverage, product.planned_eta(), self.model.config.sales.wait_scale_months
        )
        step, _ = product.item_size()
        return k, needed, eta, np.exp(exponent), stance.promise_horizon, step

    def _lose(self, i: int) -> None:
        """A buyer the company turned down: to the rival if it fits better, else to no one."""
        pr = self.model.market.prospects
        pr.state[i] = State.LOST_TO_COMPETITOR if pr.comp_fit[i] > pr.fit[i] else State.LOST
        pr.owner[i] = NO_ONE

    def _book(self, buyers: np.ndarray, price: np.ndarray, stance: Stance) -> None:
        """The buyers become customers at ``price`` (``CustomerBase.start``), booked to their reps
        with commission (``Company.book``), each rep credited toward quota: in one pass
        (``kernels.start_and_book``)."""
        company = self.model.company
        terms = (stance.commission_on, company.commission_at_booking(stance.commission_on))
        booked, paid, owed = start_and_book(
            buyers, price, self.model.month, terms, self._ids, self.model.market.prospects
        )
        company.note_booked(booked, paid)
        for rep, mrr in zip(self.reps, owed, strict=True):
            if mrr is not None:  # a rep with no deal here would add 0.0
                rep.month_booked += mrr

    # -- deal-contingent requests
    # ----------------------------------------------------------------------
    def _contingent(self, idx: np.ndarray, stance: Stance) -> None:
        """'Buy if you build X': commit (a small first order now) or let the deal go."""
        if idx.size == 0:
            return
        market, product = self.model.market, self.model.product
        pr = market.prospects
        wanted, _ = market.top_missing_of(idx, product.coverage)
        says_yes = self.model.streams.commit.uniform(idx, self.model.month).tolist()
        luck = self.model.contingent.request_luck(idx)
        for row, (i, k) in enumerate(zip(idx.tolist(), wanted.tolist(), strict=True)):
            sales_yes = says_yes[row] < stance.contingent_acceptance
            if not sales_yes:  # nothing to draft or judge: the deal goes
                self.model.company.note_decisions(1, 0)
                self._lose(i)
                continue
            seg = market.segments[pr.seg[i]]
            item = self.model.contingent.draft(i, max(k, 0), seg.custom_effort_em, luck[row])
            product_yes = (
                self.model.company.policy.custom_decider == "sales"
                or self.model.contingent.judge(item)
            )
            self.model.company.note_decisions(1, int(product_yes))
            if k >= 0 and product_yes:
                self._commit_contingent(i, item, seg, stance)
            else:
                self._lose(i)

    def _commit_contingent(self, i: int, item, seg, stance: Stance) -> None:
        """A small first order now, the rest promised once the custom item ships."""
        pr = self.model.market.prospects
        self.model.contingent.commit(item)
        pr.custom_item[i] = item.id
        seats = max(1.0, np.round(pr.seats_wanted[i] * seg.contingent_first_order))
        price = seg.price_per_seat_usd * (1.0 - stance.max_discount)
        rep = int(pr.owner[i])
        self.model.customers.start(i, seats, price)
        mp = self.model.market.params
        if mp.satisfaction_from_sold_fit:  # sold as if X were already built [001]
            fit = float(seen_fit(pr.fit[i], mp.win_fit_visibility))
            pr.satisfaction[i] = fit + self.model.contingent.custom_gain(i, item)
        booked = self.model.company.book_one(i, rep, stance.commission_on)
        for member in self.reps:  # as ``_book`` credits a rep's one deal
            if member.unique_id == rep:
                member.month_booked += 0.0 + booked
                break
        self.model.company.note_contingent_accepted()
        self.model.log(
            "contingent_accepted",
            customer=i,
            rep=rep,
            segment=self.model.market.segment_names[pr.seg[i]],
            seats_now=int(seats),
            seats_promised=int(pr.seats_wanted[i]),
            estimate_em=round(item.estimate_em, 1),
            actual_em=round(item.actual_em, 1),
            due_month=item.due_month,
        )
