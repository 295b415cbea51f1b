"""CompanyModel: a seed-stage B2B software company, its market, its rival and its cash, month by
month.

The mechanisms come from the five essays in ``shared/seeds`` (see docs/MODEL.md for the ODD
description and the trace of each mechanism to its essay). One step is one month:

1. market: needs drift, prospects arrive, the competitor builds;
2. company: PMF signal, pressure, hiring;
3. sales reps (shuffled) plan their month; the sales floor prospects and closes for all of them;
4. product team: custom queue vs roadmap, ship, learn;
5. customers: promises, satisfaction, churn, expansion, payments;
6. finance: ledger, commissions, funding, rep attrition, death check;
7. data collection.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.config import Scenario
from sim.model.actors.company import Company
from sim.model.actors.competitor import Competitor
from sim.model.actors.customers import CustomerBase
from sim.model.actors.market import Market
from sim.model.actors.product_team import ProductTeam
from sim.model.actors.sales_floor import SalesFloor
from sim.model.actors.sales_reps import SalesRep
from sim.model.mechanisms.contingent_deals import ContingentDeals
from sim.model.observation import observe, row_names
from sim.model.recorder import Recorder
from sim.model.schedule import Schedule
from sim.model.streams import Streams

BOOL_COLUMNS = (
    "pmf",
    "pmf_signal",
    "alive",
    "commission_on",
    "leapfrog",
)  # series columns of flags


class CompanyModel(mesa.Model):
    """The company-dynamics model. ``rng`` seeds every stream; the same seed gives the same run
    and world."""

    def __init__(self, scenario: Scenario, rng: int | None = 0) -> None:
        super().__init__(rng=rng)
        # Mesa runs every step as an event of its event list (an event object, a weak reference
        # and a heap entry each month, ~25 us): this model schedules no other event, so its step
        # moves Mesa's clock and step count itself (``_wrapped_step``), and Mesa's default
        # schedule is stopped (its pending event cancelled)
        self._default_schedule.stop()
        self._reps: list[SalesRep] | None = None  # ``reps()``, until a rep is hired or leaves
        self.config = scenario  # Mesa 3.5 reserves `scenario` for its own Scenario class
        self.streams = Streams.spawn(
            rng
        )  # one stream per source of randomness (common random numbers)
        self.month = 0
        self.reps_ever = 0  # reps hired so far: the k-th hire draws from the k-th rep's stream
        self.events: list[dict[str, Any]] = []
        self.roadmap_shipped_this_month = 0
        self.market = Market(self, scenario)
        self.product = ProductTeam(self, scenario)
        self.contingent = ContingentDeals(
            self
        )  # the custom queue and every step of a contingent deal
        self.competitor = Competitor(
            self, scenario.market, self.market.needs.prob, self._all_segment_weights()
        )
        self.company = Company(self, scenario)
        self.customers = CustomerBase(self)
        self.sales_floor = SalesFloor(self)
        for _ in range(scenario.company.initial_reps):
            self.hire_rep()
        self.market.update_fit()
        self.recorder = Recorder(scenario.months)
        self._row_names = row_names(tuple(self.market.segment_names))  # each row's, in order
        self.scheduled = Schedule(scenario)  # mid-run decisions (`schedule:`), by month

    def _wrapped_step(self) -> None:
        """``model.step()``: one month, Mesa's clock and step count moved on as Mesa's own wrapper
        moves them, without its event list (see ``__init__``)."""
        self.time += 1
        self.steps += 1
        self._user_step()

    def _all_segment_weights(self) -> np.ndarray:
        return self.market.segment_weights(list(range(len(self.market.segments))))

    # -- wiring used by the agents -----------------------------------------------------------------
    @property
    def coverage(self) -> np.ndarray:
        return self.product.coverage

    def reps(self) -> list[SalesRep]:
        """The reps on the payroll, in hiring order. Read a dozen times a month: the list is
        kept until a rep is hired or leaves (callers only read it)."""
        if self._reps is None:
            agents = self.agents_by_type.get(SalesRep)
            self._reps = list(agents) if agents is not None else []
        return self._reps

    def register_agent(self, agent: mesa.Agent) -> None:
        """Mesa's registration; a new agent may be a rep: ``reps()`` lists them again."""
        super().register_agent(agent)
        self._reps = None

    def deregister_agent(self, agent: mesa.Agent) -> None:
        """Mesa's deregistration; a leaving agent may be a rep: ``reps()`` lists them again."""
        super().deregister_agent(agent)
        self._reps = None

    def hire_rep(self) -> SalesRep:
        rep = SalesRep(self, self.config)
        self.log("rep_hired", rep=rep.unique_id)
        return rep

    def credit_rep(self, rep_id: int, mrr: float) -> None:
        for rep in self.reps():
            if rep.unique_id == rep_id and rep.booked_mrr:
                rep.booked_mrr[-1] += mrr

    def log(self, kind: str, **detail: Any) -> None:
        """An event for the one-run story and the debrief (a few per month at most)."""
        self.events.append({"month": self.month, "event": kind, **detail})

    def market_fit(self) -> float:
        """Mean fit of our product over live prospects (0-1)."""
        pr = self.market.prospects
        live = pr.live()
        return float(pr.active("fit")[live].mean()) if live.any() else 0.0

    # -- the month ---------------------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        self.scheduled.apply(self)  # a scheduled decision takes effect at the start of its month
        self.roadmap_shipped_this_month = 0
        self.customers.new_month()
        self.market.step()
        self.competitor.step()
        self.market.update_fit()
        self.company.steer()
        self.market.open_sales_month()
        agents = self.agents_by_type.get(SalesRep)
        if agents is not None:
            agents.shuffle_do("step")
        self.sales_floor.work()
        self.product.step()
        self.market.update_fit(only_committed=True)
        self.customers.step()
        flows = self.company.settle()
        self.company.reps_attrition()
        self.recorder.record_row(self._row_names, observe(self, flows))
        if self.company.dead or self.month >= self.config.months:
            self.running = False


def run_to_end(scenario: Scenario, seed: int = 0) -> CompanyModel:
    """The model of one company, stepped to the end of the scenario's horizon (or its death)."""
    model = CompanyModel(scenario, rng=seed)
    while model.running:
        model.step()
    return model


def simulate(scenario: Scenario, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one company to the end of the scenario's horizon: its monthly series and its events."""
    model = run_to_end(scenario, seed)
    return model.recorder.frame(bool_columns=BOOL_COLUMNS), events_frame(model.events)


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """The events of a run, one row each (columns ``month``, ``event`` when there are none)."""
    return pd.DataFrame(events) if events else pd.DataFrame(columns=["month", "event"])
