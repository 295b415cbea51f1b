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

from sim.model.kernels import customers_churn_keyed, customers_settle, waiters_settle
from sim.model.population import NO_ONE, State

COMPLEXITY_CONSUME_PENALTY = (
    0.15  # satisfaction lost per unit of complexity: harder to consume (per complexity)
)
# a waiting buyer, with no product yet, switches this much more readily than a customer (ratio)
WAITER_IMPATIENCE = 3.0
WAITER_PRICE_DISCOUNT = 0.1  # discount a waiting buyer gets when the promised item ships (share)
# SATISFIED, SATISFACTION_ADJUST and PROMISE_DISAPPOINTMENT: in sim/model/kernels.py, with the
# customers' monthly passes that use them


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

    def start(
        self, idx: np.ndarray | int, seats: np.ndarray | float, price: np.ndarray | float
    ) -> None:
        """New customers: seats at a price, satisfaction starting from their fit. ``idx`` may be
        one buyer (a contingent buyer's first order), with its seats and price as numbers."""
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
        """Waiters decide, promises settle, satisfaction moves, some churn, the rest pay.

        After the waiters, the customers' promises and satisfaction, then churn, expansion and
        payment, each in one pass over the population (``kernels.customers_settle`` and
        ``kernels.customers_churn_keyed``, which hashes the churn draws too; their numpy
        versions are the steps this method made one by one before, and the compiled ones give
        the same numbers). A customer still decides on its own: its promise, its satisfaction,
        its own keyed churn draw."""
        stagnation = self.model.product.stagnation_factor()  # the same all month
        self._settle_waiters(stagnation)
        market = self.model.market
        pr, p, month = market.prospects, market.params, self.model.month
        # the customers after the waiters who bought; until some churn
        customers, shortfall, pull, kept, broken = customers_settle(
            pr.active("state"), pr.active("promise_cap"), pr.active("promise_since"),
            pr.active("promise_due"), self.model.product.last_shipped, month,
            self.model.config.sales.promise_grace_months, pr.active("satisfaction"),
            pr.active("fit"), pr.active("comp_fit"),
            COMPLEXITY_CONSUME_PENALTY * self.model.product.complexity, stagnation,
        )  # fmt: skip
        self.promises_kept += kept
        self.promises_broken += broken
        gone, _, churned, revenue, cost = customers_churn_keyed(
            customers, np.exp(p.churn_fit_slope * shortfall), pull, self.churn_base,
            pr.active("seg"), p.competitor_steal_rate,
            (self.model.streams.churn.key, month), pr.active("state"),
            pr.active("promise_cap"), pr.active("seats"), pr.active("price"),
            pr.active("satisfaction"), 1.0 + p.expansion_monthly, self.cost_per_seat,
        )  # fmt: skip
        self.month_churned_mrr = churned
        self._after_churn(gone)
        self.month_revenue, self.month_cost_to_serve = revenue, cost

    def _settle_waiters(self, stagnation: float) -> None:
        """Buyers waiting for a promised item buy when it ships, and walk when it slips or when
        the rival pulls them away first (``kernels.waiters_settle``; ``stagnation``: the
        product's ``stagnation_factor``) [001, 002]."""
        market = self.model.market
        pr, p = market.prospects, market.params
        buyers, walked = waiters_settle(
            pr.active("state"), pr.active("promise_cap"), pr.active("promise_since"),
            pr.active("promise_due"), self.model.product.last_shipped, self.model.month,
            self.model.config.sales.promise_grace_months, pr.active("fit"),
            pr.active("comp_fit"), stagnation,
            p.competitor_steal_rate, WAITER_IMPATIENCE, np.uint64(self.model.streams.defect.key),
            pr.active("owner"),
        )  # fmt: skip
        self.promises_kept += buyers.size
        self.promises_broken += walked
        if buyers.size == 0:
            return
        price = self.list_price[pr.seg[buyers]] * (1.0 - WAITER_PRICE_DISCOUNT)
        self.model.company.book_waiters(buyers, price)

    def _after_churn(self, gone: np.ndarray) -> None:
        """Customers who left: commission clawed back, custom work only they wanted dropped."""
        if gone.size == 0:
            return
        pr = self.model.market.prospects
        self.model.company.note_churn(gone)
        for i in gone[pr.custom_item[gone] >= 0].tolist():
            self.model.contingent.drop_customer(i)
            pr.custom_item[i] = NO_ONE
