"""The competitor: builds along its own roadmap and now and then ships a leapfrog release.

It builds for the whole market (the largest segments weigh most) and knows needs well. A leapfrog
attacks the capabilities where we are strongest; share then moves to whoever fits better, and moves
faster while our roadmap is delayed by diverted engineering (002_23429537579b20f1.txt).
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import MarketParams

LEAPFROG_REACH = (
    0.1  # a leapfrog also targets capabilities where it trails us by less than this (coverage)
)


class Competitor(mesa.Agent):
    """One rival product with a coverage level per capability."""

    def __init__(
        self, model: mesa.Model, params: MarketParams, need_prob: np.ndarray, weights: np.ndarray
    ) -> None:
        super().__init__(model)
        self.params = params
        self.coverage = np.zeros(params.capabilities)
        demand = weights @ need_prob
        top = np.argsort(-demand, kind="stable")[: params.competitor_covered_capabilities]
        self.coverage[top] = params.competitor_coverage
        self.leapfrogs = 0
        self.leapfrog_this_month = False

    def step(self) -> None:
        """Ship this month's roadmap items, and maybe a leapfrog release."""
        market = self.model.market
        demand = market.segment_weights(list(range(len(market.segments)))) @ market.needs.prob
        for _ in range(
            int(self.model.streams.competitor.poisson(self.params.competitor_items_per_month))
        ):
            self._build(demand)
        self.leapfrog_this_month = bool(
            self.model.streams.competitor.random() < self.params.leapfrog_prob
        )
        if self.leapfrog_this_month:
            self._leapfrog(demand)

    def _build(self, demand: np.ndarray) -> None:
        gain = demand * np.minimum(self.params.competitor_item_step, 1.0 - self.coverage)
        k = int(gain.argmax())
        self.coverage[k] = min(1.0, self.coverage[k] + self.params.competitor_item_step)

    def _leapfrog(self, demand: np.ndarray) -> None:
        """A big release on the needed capabilities where our product leads most."""
        lead = demand * np.maximum(0.0, self.model.coverage - self.coverage + LEAPFROG_REACH)
        targets = np.argsort(-lead, kind="stable")[: self.params.leapfrog_capabilities]
        self.coverage[targets] = np.minimum(1.0, self.coverage[targets] + self.params.leapfrog_step)
        self.leapfrogs += 1
        self.model.log("leapfrog", capabilities=[int(k) for k in targets])
