"""Deal-contingent custom features, the whole life of a deal: 'buy if you build X'.

A poor-fit prospect asks for a feature as the condition of buying (001_c4a0b04a5eb93e2d.txt).
Its life, in the order it happens:

1. **request** - the sales floor brings it when the deal is due (`SalesFloor._contingent`);
2. **draft** - product scopes it: an estimate, a real effort that overruns it (heavy-tailed), how
   many other prospects would also value it, and the due date sales quotes;
3. **judge** - sales commits at its acceptance (`mechanisms/pressure.py`), or product judges it as
   a bet on market value within the spend cap;
4. **commit** - a small first order now ('5 seats now, 300 later'), the item joins the queue;
5. **build** - engineering spends on the queue first come first served, up to the custom cap;
6. **deliver or abandon** - delivered: coverage gains a little (its generality), complexity grows
   unless the architecture is customisable (002), the customer fits better and, with its honesty,
   may **expand**; a bet past its cap is killed and the customer is disappointed; a customer who
   churns takes its items with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from sim.model.kernels import request_draws
from sim.model.population import NO_ONE, State

if TYPE_CHECKING:
    from sim.model.company_model import CompanyModel

ESTIMATE_NOISE = 0.3  # noise in a custom request's effort estimate (log units)
QUOTED_CUSTOM_SHARE = (
    0.5  # sales quote due dates as if at most this share of capacity went to custom work
)
LATE_CONVERSION_FACTOR = (
    0.5  # relative chance a contingent buyer still expands after a late delivery
)
ABANDONED_DISAPPOINTMENT = 0.4  # satisfaction lost when a contingent feature is killed (0-1)


@dataclass
class CustomItem:
    """One deal-contingent request the company committed to build for one customer."""

    id: int
    customer: int
    capability: int
    generality: float
    estimate_em: float
    actual_em: float
    accepted_month: int
    due_month: int
    spent_em: float = 0.0


class ContingentDeals:
    """The custom queue and every step of a contingent deal after sales brings it."""

    def __init__(self, model: CompanyModel) -> None:
        self.model = model
        self.queue: list[CustomItem] = []
        self.next_item_id = 0

    # -- draft, judge, commit ----------------------------------------------------------------
    def request_luck(self, customers: np.ndarray) -> list[tuple[float, float, float]]:
        """Each request's draws, keyed by buyer and month: its estimate error and overrun
        (standard normals) and its generality (a uniform), one triple per buyer."""
        streams = self.model.streams
        keys = (streams.estimate.key, streams.overrun.key, streams.generality.key)
        return list(zip(*request_draws(customers, self.model.month, keys).tolist(), strict=True))

    def draft(
        self,
        customer: int,
        capability: int,
        segment_effort_em: float,
        luck: tuple[float, float, float],
    ) -> CustomItem:
        """Scope a request; its real effort overruns the estimate (heavy-tailed). ``luck``:
        the buyer's triple of ``request_luck``."""
        p = self.model.product.p
        estimate_z, overrun_z, generality_u = luck
        factor = p.customizable_effort_factor if p.customizable_architecture else 1.0
        estimate = segment_effort_em * factor * float(np.exp(ESTIMATE_NOISE * estimate_z))
        overrun = p.overrun_median * float(np.exp(p.overrun_sigma * overrun_z))
        return CustomItem(
            id=-1,
            customer=customer,
            capability=capability,
            generality=self._generality(generality_u),
            estimate_em=estimate,
            actual_em=estimate * overrun,
            accepted_month=self.model.month,
            due_month=self.model.month + self._promised_months(estimate),
        )

    def judge(self, item: CustomItem) -> bool:
        """Product decides: build only if it is worth it to the market, within the bet cap."""
        product, market = self.model.product, self.model.market
        weights = market.segment_weights(list(range(len(market.segments))))
        others = float(weights @ expit(product.estimate[:, item.capability]))
        value_per_em = item.generality * others / max(item.estimate_em, 1e-6)
        limit = product.p.bet_limit_usd
        within_cap = limit is None or item.estimate_em * product.engineer_cost <= limit
        return value_per_em >= product.p.bet_value_threshold and within_cap

    def commit(self, item: CustomItem) -> None:
        item.id = self.next_item_id
        self.next_item_id += 1
        self.queue.append(item)

    def _promised_months(self, estimate_em: float) -> int:
        """What sales tells the customer: the estimate at the custom share we can spare."""
        product = self.model.product
        share = min(product.p.custom_capacity_cap, QUOTED_CUSTOM_SHARE)
        custom_rate = max(product.capacity_em() * share, 1e-6)
        backlog = sum([i.estimate_em - i.spent_em for i in self.queue])
        return math.ceil((backlog + estimate_em) / custom_rate)  # np.ceil's integer, sooner

    def _generality(self, u: float) -> float:
        """Share of other prospects needing the capability who would also value this item:
        Beta(1, b) with mean ``custom_generality``, drawn from the uniform ``u`` by its inverse
        CDF."""
        mean = self.model.product.p.custom_generality
        if mean <= 0:
            return 0.0
        if mean >= 1:
            return 1.0
        return 1.0 - (1.0 - u) ** (mean / (1.0 - mean))

    # -- build -------------------------------------------------------------------------------
    def backlog_em(self) -> float:
        """Engineer-months of committed custom work still to do."""
        return sum([item.actual_em - item.spent_em for item in self.queue])

    def build(self, effort: float) -> float:
        """Spend up to ``effort`` on the queue, first come first served; return what was spent."""
        budget = effort
        for item in list(self.queue):
            if effort <= 0:
                break
            used = min(effort, item.actual_em - item.spent_em, self._budget_left_em(item))
            item.spent_em += used
            effort -= used
            if item.spent_em >= item.actual_em - 1e-9:
                self._deliver(item)
            elif self._budget_left_em(item) <= 1e-9:
                self._kill(item)
        return budget - effort

    def _budget_left_em(self, item: CustomItem) -> float:
        """Engineer-months this bet may still take under its spend cap (inf without a cap)."""
        product = self.model.product
        limit = product.p.bet_limit_usd
        if limit is None:
            return float("inf")
        return max(0.0, limit / max(product.engineer_cost, 1e-9) - item.spent_em)

    # -- deliver, expand, or abandon -----------------------------------------------------------
    def _deliver(self, item: CustomItem) -> None:
        self.queue.remove(item)
        product, k = self.model.product, item.capability
        product.coverage[k] = min(1.0, product.coverage[k] + item.generality * product.p.item_step)
        if not product.p.customizable_architecture:
            product.complexity += product.p.complexity_per_custom_em * item.actual_em
        self._customer_gets(item)

    def custom_gain(self, customer: int, item: CustomItem) -> float:
        """The fit the custom item would add this customer if it shipped now (what the buyer
        counts at the sale, as if it were already built) [001]."""
        gain = 1.0 - self.model.product.coverage[item.capability]
        return float(gain / max(self.model.market.need_count(customer), 1))

    def _customer_gets(self, item: CustomItem) -> None:
        """The feature shipped: the customer fits better; honesty decides if they expand."""
        model, customers = self.model, self.model.customers
        pr, market = model.market.prospects, model.market
        i = item.customer
        pr.custom_item[i] = NO_ONE
        customers.contingent_delivered += 1
        customers.custom_estimate_em_delivered += item.estimate_em
        customers.custom_actual_em_delivered += item.actual_em
        if pr.state[i] != State.CUSTOMER:
            return
        gain = 1.0 - model.product.coverage[item.capability]
        pr.custom_bonus[i] += gain / max(market.need_count(i), 1)
        on_time = model.month <= item.due_month + model.config.sales.promise_grace_months
        chance = pr.honesty[i] * (1.0 if on_time else LATE_CONVERSION_FACTOR)
        converted = bool(model.streams.convert.uniform_one(i, model.month) < chance)
        if converted:
            customers.contingent_converted += 1
            model.company.book_expansion(i, pr.seats_wanted[i])
        model.log(
            "contingent_delivered",
            customer=i,
            converted=converted,
            on_time=on_time,
            estimate_em=round(item.estimate_em, 1),
            actual_em=round(item.actual_em, 1),
        )

    def _kill(self, item: CustomItem) -> None:
        """Kill rule: the bet cost more than its cap; stop and tell the customer."""
        self.queue.remove(item)
        pr = self.model.market.prospects
        pr.custom_item[item.customer] = NO_ONE
        pr.satisfaction[item.customer] -= ABANDONED_DISAPPOINTMENT
        self.model.log(
            "bet_killed",
            customer=item.customer,
            spent_em=round(item.spent_em, 1),
            estimate_em=round(item.estimate_em, 1),
        )

    def drop_customer(self, customer: int) -> None:
        """The customer left: stop building what only they asked for."""
        self.queue = [item for item in self.queue if item.customer != customer]
