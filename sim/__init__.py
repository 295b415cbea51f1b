"""Company-dynamics simulator: why sales-led software companies so often fall into a death spiral.

Public API (see DESIGN.md): ``load_scenario``, ``Scenario.with_overrides``, ``run``,
``run_ensemble``. The mechanisms and their sources are described in docs/MODEL.md.
"""

from __future__ import annotations

from typing import Any

from sim.scenario import Scenario, ScenarioError, load_scenario, loads, preset

__all__ = ["Scenario", "ScenarioError", "load_scenario", "loads", "preset", "run", "RunResult",
           "run_ensemble", "Ensemble"]


def __getattr__(name: str) -> Any:
    """Import the model and ensemble lazily, so `sim schema` and scenario checks stay fast."""
    if name in ("run", "RunResult", "CompanyModel"):
        from sim import model

        return getattr(model, name)
    if name in ("run_ensemble", "Ensemble"):
        from sim import ensemble

        return getattr(ensemble, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
