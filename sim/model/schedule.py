"""Mid-run decisions: a scenario's ``schedule:`` applied at the start of its months.

``Scenario.schedule_steps()`` has already validated every entry and built the scenario in force
from each scheduled month on (only levers of the company, sales, product and policy sections;
the market, the horizon and the starting cash and headcounts cannot change). Applying one swaps
``model.config`` and the sections the actors hold, so from that month on every actor reads the
new values. No random stream is drawn here: the world (needs, arrivals, competitor) stays the
one the seed made, and the months before the change are exactly those of the run without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.config import Scenario

if TYPE_CHECKING:
    from sim.model.company_model import CompanyModel


class Schedule:
    """The scheduled scenarios of one run, by month."""

    def __init__(self, scenario: Scenario) -> None:
        self.by_month: dict[int, Scenario] = dict(scenario.schedule_steps())
        self.changes: dict[int, str] = {
            entry.month: ", ".join(f"{key}={value}" for key, value in entry.set.items())
            for entry in scenario.schedule
        }

    def apply(self, model: CompanyModel) -> None:
        """At the start of ``model.month``: the scenario scheduled for it, if any, takes over."""
        current = self.by_month.get(model.month)
        if current is None:
            return
        model.config = current
        company, product = model.company, model.product
        company.p, company.sales, company.policy = current.company, current.sales, current.policy
        product.p = current.product
        product.engineer_cost = current.company.engineer_cost_usd
        for rep in model.reps():
            rep.p = current.sales
        model.log("decision", changes=self.changes[model.month])
