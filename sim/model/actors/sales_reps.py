"""Sales reps: prospect, work deals through the cycle, negotiate, close or lose; and their careers.

Compensation drives behaviour: with commission on, a rep accepts poorer fit, discounts more and
pushes deal-contingent requests; in learning mode (no commission before the PMF signal) reps run
discovery, close less and feed what they learn to product (000_6d48f6e008d74b5c.txt). Reps sell the
roadmap up to a promise horizon; quota is set above plan; ramp and attrition follow quota
attainment (002_23429537579b20f1.txt). Deal-contingent requests come from
001_c4a0b04a5eb93e2d.txt.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.config import Scenario
from sim.model.mechanisms.pressure import Stance, read_stance
from sim.model.population import NO_ONE, State

ATTAINMENT_WINDOW = 3  # months of bookings that count for quota attainment (months)
MONTHS_PER_YEAR = 12


class SalesRep(mesa.Agent):
    """One sales rep with skill, ramp, capacity, quota and an attainment history."""

    def __init__(self, model: mesa.Model, scenario: Scenario) -> None:
        super().__init__(model)
        self.p = scenario.sales
        model.reps_ever += 1
        self.luck = model.streams.reps.member(model.reps_ever)  # this rep's own draws
        self.skill = float(self.luck.normal(0.0, self.p.skill_sd))
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
        """Commission, pressure and governance set this month's selling behaviour (same for all
        reps)."""
        company = self.model.company
        if company.stance_month != self.model.month:
            company.stance, company.stance_month = read_stance(company), self.model.month
        return company.stance

    # -- monthly phase -----------------------------------------------------------------------------
    def step(self) -> None:
        """Decide this month's effort: how many leads to chase, given ramp and open deals.

        The rep enlists with the sales floor, which then works every rep's leads and deals in one
        vectorised pass (each prospect still decides on its own; see sim/sales_floor.py).
        """
        ramp = self.ramp()
        room = int(self.p.rep_capacity_deals * ramp) - self.model.market.open_deal_count(
            self.unique_id
        )
        want = min(room, int(self.luck.poisson(self.p.leads_per_month * ramp)))
        self.month_booked = 0.0
        self.model.sales_floor.enlist(self, max(want, 0))

    def close_month(self) -> None:
        """Record this month's bookings against quota."""
        self.booked_mrr.append(self.month_booked)
        self.quota_mrr.append(self.model.company.quota_per_rep())

    def perception_noise(self) -> float:
        """How far off a rep's read of a prospect's fit is; feedback meetings sharpen it [003]."""
        policy = self.model.company.policy
        return self.p.perception_noise * (
            policy.feedback_perception_factor if policy.feedback_meetings else 1.0
        )

    # -- career
    # --------------------------------------------------------------------------------------
    def decides_to_leave(self) -> bool:
        """Attrition: a base rate, higher for a ramped rep far below quota."""
        p = self.p
        monthly = 1.0 - (1.0 - p.attrition_annual) ** (1.0 / MONTHS_PER_YEAR)
        if self.ramp() >= 1.0:  # ramped (not ``is_ramping``): quota attainment counts
            attained = self.attainment()
            if attained is not None:
                monthly *= 1.0 + p.missed_quota_attrition * max(0.0, 1.0 - attained)
        return bool(self.luck.random() < monthly)

    def hand_back_deals(self) -> None:
        """A leaving rep's open deals go back to the lead pool."""
        pr = self.model.market.prospects
        mine = np.flatnonzero(
            (pr.active("state") == State.PIPELINE) & (pr.active("owner") == self.unique_id)
        )
        pr.state[mine] = State.LEAD
        pr.owner[mine] = NO_ONE
