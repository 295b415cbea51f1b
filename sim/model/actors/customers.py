"""Customers: satisfaction, promises kept and broken, churn, expansion and monthly payments.

Satisfaction follows fit (minus the weight of a complex product, 004_ce31e603c4dfbe1d.txt) and
drops when a promised roadmap item slips or a custom feature is abandoned; prospects promised a
future item may wait instead of buying (002_23429537579b20f1.txt; churn must stay low to grow,
003_ad2eeeaa19e1d10f.txt). Contingent buyers take a small first order and mostly never expand
('5 seats now, 300 later', 001_c4a0b04a5eb93e2d.txt).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model.population import NO_ONE, State

SATISFIED = 0.6  # satisfaction at or above which churn is at its baseline and seats grow (0-1)
SATISFACTION_ADJUST = (
    0.3  # share of the gap to current fit satisfaction closes each month (share/month)
)
COMPLEXITY_CONSUME_PENALTY = (
    0.15  # satisfaction lost per unit of complexity: harder to consume (per complexity)
)
PROMISE_DISAPPOINTMENT = 0.4  # satisfaction lost when a promised item slips past its date (0-1)
# a waiting buyer, with no product yet, switches this much more readily than a customer (ratio)
WAITER_IMPATIENCE = 3.0
WAITER_PRICE_DISCOUNT = 0.1  # discount a waiting buyer gets when the promised item ships (share)


class CustomerBase(mesa.Agent):
    """The company's customers as one population: each customer still decides on its own."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.month_revenue = self.month_cost_to_serve = self.month_churned_mrr = 0.0
        self.promises_kept = self.promises_broken = 0
        self.contingent_delivered = self.contingent_converted = 0
        self.custom_estimate_em_delivered = self.custom_actual_em_delivered = 0.0
        seg = model.market.segments
        self.cost_per_seat = np.array([s.cost_to_serve_per_seat_usd for s in seg])
        self.churn_base = np.array([s.churn_monthly for s in seg])
        self.list_price = np.array([s.price_per_seat_usd for s in seg])

    def start(self, idx: np.ndarray, seats: np.ndarray, price: np.ndarray) -> None:
        """New customers: seats at a price, satisfaction starting from their fit."""
        pr = self.model.market.prospects
        pr.state[idx] = State.CUSTOMER
        pr.owner[idx] = NO_ONE
        pr.seats[idx] = seats
        pr.price[idx] = price
        pr.satisfaction[idx] = pr.fit[idx]
        pr.start_month[idx] = self.model.month

    # -- monthly phase -----------------------------------------------------------------------------
    def new_month(self) -> None:
        self.promises_kept = self.promises_broken = 0
        self.contingent_delivered = self.contingent_converted = 0
        self.custom_estimate_em_delivered = self.custom_actual_em_delivered = 0.0

    def step(self) -> None:
        """Waiters decide, promises settle, satisfaction moves, some churn, the rest pay."""
        self._settle_waiters()
        customers = self._customers()  # after the waiters who bought; until some churn
        self._settle_promises(customers)
        self._update_satisfaction(customers)
        staying = self._churn(customers)
        self._expand(staying)
        self._pay(staying)

    def _customers(self) -> np.ndarray:
        pr = self.model.market.prospects
        return pr.in_state(State.CUSTOMER)

    def _promise_status(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of these promises were kept, and which are past due (broken)."""
        pr = self.model.market.prospects
        k = pr.promise_cap[idx]
        kept = self.model.product.last_shipped[np.maximum(k, 0)] >= pr.promise_since[idx]
        late = self.model.month > pr.promise_due[idx] + self.model.config.sales.promise_grace_months
        return kept, late & ~kept

    def _settle_waiters(self) -> None:
        """Buyers waiting for a promised item buy when it ships, and walk when it slips."""
        pr = self.model.market.prospects
        waiting = pr.in_state(State.WAITING)
        if waiting.size == 0:
            return
        kept, broken = self._promise_status(waiting)
        broken |= ~kept & self._defects(waiting)
        buyers, walkers = waiting[kept], waiting[broken]
        self.promises_kept += buyers.size
        self.promises_broken += walkers.size
        pr.promise_cap[waiting[kept | broken]] = NO_ONE
        rival = pr.comp_fit[walkers] > pr.fit[walkers]
        pr.state[walkers] = np.where(rival, State.LOST_TO_COMPETITOR, State.LOST)
        pr.owner[walkers] = NO_ONE
        price = self.list_price[pr.seg[buyers]] * (1.0 - WAITER_PRICE_DISCOUNT)
        self.model.company.book_waiters(buyers, pr.seats_wanted[buyers], price)

    def _defects(self, idx: np.ndarray) -> np.ndarray:
        """A waiting buyer may take the rival's product rather than wait any longer [001, 002]."""
        pr, p = self.model.market.prospects, self.model.market.params
        pull = (
            np.maximum(0.0, pr.comp_fit[idx] - pr.fit[idx]) * self.model.product.stagnation_factor()
        )
        return self.model.streams.defect.uniform(idx, self.model.month) < np.minimum(
            1.0, p.competitor_steal_rate * pull * WAITER_IMPATIENCE
        )

    def _settle_promises(self, customers: np.ndarray) -> None:
        pr = self.model.market.prospects
        promised = customers[pr.promise_cap[customers] >= 0]
        if promised.size == 0:
            return
        kept, broken = self._promise_status(promised)
        self.promises_kept += int(kept.sum())
        self.promises_broken += int(broken.sum())
        pr.satisfaction[promised[broken]] -= PROMISE_DISAPPOINTMENT
        pr.promise_cap[promised[kept | broken]] = NO_ONE

    def _update_satisfaction(self, idx: np.ndarray) -> None:
        pr = self.model.market.prospects
        target = pr.fit[idx] - COMPLEXITY_CONSUME_PENALTY * self.model.product.complexity
        pr.satisfaction[idx] += SATISFACTION_ADJUST * (target - pr.satisfaction[idx])

    def _churn(self, idx: np.ndarray) -> np.ndarray:
        """Each customer leaves with a hazard set by its segment, satisfaction and the rival's
        pull. Returns the customers who stay."""
        market = self.model.market
        pr, p = market.prospects, market.params
        shortfall = np.maximum(0.0, SATISFIED - pr.satisfaction[idx])
        pull = (
            np.maximum(0.0, pr.comp_fit[idx] - pr.fit[idx]) * self.model.product.stagnation_factor()
        )
        hazard = (
            self.churn_base[pr.seg[idx]] * np.exp(p.churn_fit_slope * shortfall)
            + p.competitor_steal_rate * pull
        )
        leaves = self.model.streams.churn.uniform(idx, self.model.month) < np.minimum(hazard, 1.0)
        gone = idx[leaves]
        self.month_churned_mrr = float(np.sum(pr.seats[gone] * pr.price[gone]))
        pr.state[gone] = State.CHURNED
        pr.promise_cap[gone] = NO_ONE
        self.model.company.note_churn(gone)
        for i in gone[pr.custom_item[gone] >= 0].tolist():
            self.model.contingent.drop_customer(i)
            pr.custom_item[i] = NO_ONE
        return idx[~leaves]

    def _expand(self, idx: np.ndarray) -> None:
        pr = self.model.market.prospects
        happy = idx[pr.satisfaction[idx] >= SATISFIED]
        pr.seats[happy] *= 1.0 + self.model.market.params.expansion_monthly

    def _pay(self, idx: np.ndarray) -> None:
        pr = self.model.market.prospects
        self.month_revenue = float(np.sum(pr.seats[idx] * pr.price[idx]))
        self.month_cost_to_serve = float(np.sum(pr.seats[idx] * self.cost_per_seat[pr.seg[idx]]))
