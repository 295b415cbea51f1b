"""The product team: capacity, the roadmap and custom queues, complexity, market knowledge, bets.

Sources: engineering diverted to deal-contingent custom work, overruns, stagnation and bets with a
spend cap and kill rule (001_c4a0b04a5eb93e2d.txt); a customisable architecture that absorbs
custom requests without breaking the product, and selling the roadmap (002_23429537579b20f1.txt);
complexity that makes the product hard to sell and consume (004_ce31e603c4dfbe1d.txt); market
knowledge fed by structured sales-product meetings and learning-mode discovery
(000_6d48f6e008d74b5c.txt, 003_ad2eeeaa19e1d10f.txt).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mesa
import numpy as np

from sim.config import Scenario
from sim.model.kernels import (
    ITEM_EFFORT,
    ITEM_EXPECTED,
    ITEM_K,
    ITEM_SPENT,
    ITEM_STEP,
    estimated_demand,
    knowledge_error,
    learn_needs,
    plan_eta,
    plan_gap,
    planned_items,
    roadmap_work,
)

# SMALL_BET_LEARNING and KILLED_LINE_MONTHS: in sim/model/kernels.py, with the roadmap's pass
OUTCOME_DRAWS = 64  # item outcomes drawn ahead from the effort stream, in shipping order
MAX_LEARNING = 0.9  # cap on the monthly share of the knowledge gap closed (share/month)
STAGNATION_WINDOW_MONTHS = 6  # months of roadmap share customers judge our progress by (months)
SOLO_LEARNING_RATE = 0.04  # a team learning this fast sees needs with the full knowledge_noise;
# more sources (meetings, discovery, experiments) mean more and cleaner readings (share/month)


@dataclass
class RoadmapItem:
    """The roadmap item in progress."""

    capability: int
    step: float
    effort_em: float
    expected_demand: float = 0.0
    spent_em: float = 0.0


class ProductTeam(mesa.Agent):
    """Engineers who ship roadmap items from their estimate of needs, and custom items for deals."""

    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        self.p = scenario.product
        self.engineer_cost = scenario.company.engineer_cost_usd
        self.engineers = scenario.company.initial_engineers
        self.coverage = self._initial_coverage(scenario)
        self.complexity = 0.0
        truth = model.market.needs.logit
        self.estimate = truth + model.streams.knowledge.normal(
            0.0, self.p.knowledge_noise, truth.shape
        )
        self._demand_key: tuple = ()  # (month, estimate version, segments) of _demand
        self._demand = np.zeros(len(self.coverage))
        self._estimate_version = 0  # bumped whenever the estimate moves
        self.current: RoadmapItem | None = None
        self.month_custom_em = self.month_roadmap_em = self.month_capacity_em = 0.0
        self.roadmap_em_total = 0.0
        self.roadmap_share_history: list[float] = []
        self._eta_month = -1
        self.last_shipped = np.full(len(self.coverage), -1, dtype=np.int32)
        self.killed_until = np.zeros(len(self.coverage), dtype=np.int32)
        self._kills_until = 0  # killed_until.max(), kept as lines are killed (_measure)
        self._eta = np.full(len(self.coverage), np.inf)
        # the effort stream's next draws (standard normals, in shipping order) and the outcomes
        # they make under ``_outcome_sd``: drawn ahead, the same numbers one draw per ship gave
        self._z = np.zeros(0)
        self._outcomes = np.zeros(0)
        self._outcome_sd = np.nan
        self._item = np.array([-1.0, 0.0, 0.0, 0.0, 0.0])  # the kernel's view of ``current``
        self._kills = np.zeros((0, 3))

    def _initial_coverage(self, scenario: Scenario) -> np.ndarray:
        m = scenario.market
        s = list(m.segments).index(m.initial_fit_segment)
        prob = self.model.market.needs.prob[s]
        coverage = np.zeros(m.capabilities)
        coverage[np.argsort(-prob, kind="stable")[: m.initial_covered_capabilities]] = (
            m.initial_coverage
        )
        return coverage

    # -- capacity -------------------------------------------------------------------------------
    def capacity_em(self) -> float:
        """Engineer-months available this month, after complexity drag and architecture upkeep."""
        raw = (
            self.engineers
            * self.p.engineer_productivity
            / (1.0 + self.p.complexity_drag * self.complexity)
        )
        return (
            raw * (1.0 - self.p.architecture_overhead) if self.p.customizable_architecture else raw
        )

    def stagnation_factor(self) -> float:
        """How much faster customers switch to a better-fitting rival while our roadmap stalls
        [002].

        1 when the recent months all went to the roadmap, up to 1 + stagnation_switch_boost when
        none did.
        """
        recent = self.roadmap_share_history[-STAGNATION_WINDOW_MONTHS:]
        share = sum(recent) / len(recent) if recent else 1.0
        return 1.0 + self.p.stagnation_switch_boost * (1.0 - share)

    # -- monthly phase --------------------------------------------------------------------------
    def step(self) -> None:
        """Split capacity between the custom queue and the roadmap, ship, and learn."""
        capacity = self.capacity_em()
        deals = self.model.contingent
        custom = deals.build(min(capacity * self.p.custom_capacity_cap, deals.backlog_em()))
        self._work_roadmap(capacity - custom)
        self.month_capacity_em, self.month_custom_em, self.month_roadmap_em = (
            capacity,
            custom,
            capacity - custom,
        )
        self.roadmap_share_history.append((capacity - custom) / capacity if capacity > 0 else 0.0)
        self._learn()
        self.complexity *= 1.0 - self.p.complexity_decay

    def _work_roadmap(self, effort: float) -> None:
        """Finish the item in progress, then the most valuable next ones, while effort lasts
        (``kernels.roadmap_work``); each shipped item lands by its outcome, and a shipped small
        bet is measured (``_measure``'s rule) and killed when it disappoints."""
        self.roadmap_em_total += effort
        if effort <= 1e-9:
            return
        step, item_effort = self.item_size()
        ships = 2 + int(effort / item_effort) if item_effort > 0 else 1 << 20
        outcomes = self._outcomes_ahead(ships)
        item, model = self._item, self.model
        current = self.current
        if current is None:
            item[ITEM_K] = -1.0
        else:
            item[:] = (
                current.capability,
                current.step,
                current.effort_em,
                current.expected_demand,
                current.spent_em,
            )
        measure = self.p.bet_style == "many_small"
        if self._kills.shape[0] < outcomes.size:
            self._kills = np.zeros((outcomes.size, 3))
        weights = model.market.segment_weights(model.company.target_segments())
        drawn, shipped, killed, self._kills_until = roadmap_work(
            effort, item, step, item_effort, self.coverage, self.estimate,
            model.market.needs.logit, weights, self.killed_until, self._kills_until,
            model.month, self.last_shipped, outcomes, 0, measure,
            self.p.small_bet_kill_value, self._kills,
        )  # fmt: skip
        self._z, self._outcomes = self._z[drawn:], outcomes[drawn:]
        model.roadmap_shipped_this_month += shipped
        if measure and shipped:
            self._estimate_version += shipped
        for k, measured, expected in self._kills[:killed].tolist():
            model.log(
                "experiment_killed",
                capability=int(k),
                measured=round(measured, 1),
                expected=round(expected, 1),
            )
        if item[ITEM_K] < 0:
            self.current = None
        elif current is not None and current.capability == int(item[ITEM_K]) and not shipped:
            current.spent_em = float(item[ITEM_SPENT])
        else:
            self.current = RoadmapItem(
                capability=int(item[ITEM_K]),
                step=float(item[ITEM_STEP]),
                effort_em=float(item[ITEM_EFFORT]),
                expected_demand=float(item[ITEM_EXPECTED]),
                spent_em=float(item[ITEM_SPENT]),
            )

    def _outcomes_ahead(self, count: int) -> np.ndarray:
        """At least ``count`` outcomes of the next shipped items, in shipping order: how well
        each lands, mean 1 (one big dart can miss; many small ones average out [001]); the
        effort stream's draws, taken ahead in blocks (a block of standard normals is the same
        numbers as one draw at a time)."""
        sd = self.p.item_outcome_sd
        if self._z.size < count:
            more = self.model.streams.effort.standard_normal(max(OUTCOME_DRAWS, count))
            self._z = np.concatenate([self._z, more])
            self._outcome_sd = np.nan
        if sd != self._outcome_sd:  # (again) for this spread: the same numbers as one by one
            self._outcomes = np.exp(sd * self._z - sd * sd / 2.0)
            self._outcome_sd = sd
        return self._outcomes

    def item_size(self) -> tuple[float, float]:
        small = self.p.small_bet_fraction if self.p.bet_style == "many_small" else 1.0
        return self.p.item_step * small, self.p.item_effort_em * small

    # -- the plan, from the team's estimate of needs ---------------------------------------------
    def estimated_value(self) -> np.ndarray:
        """Estimated market value of one more item on each capability (prospects reached x gain)."""
        step, _ = self.item_size()
        return self._value(self._estimated_demand(), step)

    def _value(self, demand: np.ndarray, step: float) -> np.ndarray:
        value = demand * np.minimum(step, 1.0 - self.coverage)
        if self._kills_until <= self.model.month:  # no line killed now: nothing to zero
            return value
        return np.where(self.killed_until > self.model.month, 0.0, value)

    def _estimated_demand(self) -> np.ndarray:
        """Prospects in the target segments the team believes need each capability."""
        segments = self.model.company.target_segments()
        key = (self.model.month, self._estimate_version, tuple(segments))
        if key != self._demand_key:
            weights = self.model.market.segment_weights(segments)
            self._demand = estimated_demand(weights, self.estimate)
            self._demand.flags.writeable = False
            self._demand_key = key
        return self._demand

    def planned_eta(self) -> np.ndarray:
        """Months until each capability's next item ships, as planned at full capacity (inf if
        unplanned).

        The plan is made once a month, before sales pitch it, from the team's current estimate.
        """
        if self._eta_month != self.model.month:
            self._eta = self._plan_eta()
            self._eta_month = self.model.month
        return self._eta

    def planned_items(self) -> np.ndarray:
        """The roadmap as the team would build it from today's estimate: one capability per item,
        in build order after the current item.

        Each capability needs as many items as its coverage gap takes steps (the last one may be
        a part step, worth less); the team builds the most valuable item next, so the plan is
        every item sorted by estimated value (ties, rare in floats: whole steps before part
        steps, then the lower capability; ``argmax`` in ``_next_item`` takes the lower capability).
        Killed experiment lines have no items. The plan ignores how well items will land and how
        the estimate will move: it is a forecast, and it slips.
        """
        step, _ = self.item_size()
        current = -1 if self.current is None else self.current.capability
        current_step = 0.0 if self.current is None else self.current.step
        gap = plan_gap(self.coverage, self.killed_until, self.model.month, current, current_step)
        return planned_items(gap, step, self._estimated_demand())

    def _plan_eta(self) -> np.ndarray:
        """The month each capability's first planned item ships: the current item's remaining
        effort, then one item's effort per item ahead of it, at full capacity."""
        step, effort = self.item_size()
        rate = max(self.capacity_em(), 1e-6)
        item = self.current
        return plan_eta(
            self.coverage,
            self.killed_until,
            self.model.month,
            -1 if item is None else item.capability,
            0.0 if item is None else item.step,
            step,
            self._estimated_demand(),
            0.0 if item is None else item.effort_em - item.spent_em,
            effort,
            rate,
        )

    # -- knowledge -------------------------------------------------------------------------------
    def _learn(self) -> None:
        """Move the estimate toward a fresh reading of needs; more sources, faster and cleaner."""
        rate = min(MAX_LEARNING, self.learning_rate())
        if rate <= 0:
            return
        noise = self.p.knowledge_noise * math.sqrt(min(1.0, SOLO_LEARNING_RATE / rate))
        key = np.uint64(self.model.streams.reading.key)  # each need cell's reading, keyed
        learn_needs(
            self.estimate, self.model.market.needs.logit, noise, rate, self.model.month, key
        )
        self._estimate_version += 1

    def learning_rate(self) -> float:
        company = self.model.company
        rate = self.p.base_learning + self.p.discovery_learning_per_rep * company.learning_reps()
        return rate + (self.p.feedback_learning if company.policy.feedback_meetings else 0.0)

    def knowledge_error(self) -> float:
        """Mean absolute error of the team's need estimate (probability units)."""
        return knowledge_error(self.estimate, self.model.market.needs.prob)
