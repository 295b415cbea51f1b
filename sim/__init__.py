"""Company-dynamics simulator: why sales-led software companies so often fall into a death spiral.

Public API (see docs/ARCHITECTURE.md): ``load_scenario``, ``Scenario.with_overrides``, ``run``,
``run_ensemble``. The mechanisms and their sources are described in docs/MODEL.md.
"""

from __future__ import annotations

from typing import Any

from sim.config import Scenario, ScenarioError, load_scenario, loads, preset

__all__ = [
    "CompanyModel",
    "Ensemble",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "loads",
    "preset",
    "run",
    "run_ensemble",
]


def __getattr__(name: str) -> Any:
    """Import the model and ensemble lazily, so `sim schema` and scenario checks stay fast."""
    if name in ("run", "RunResult"):
        from sim.experiment import runner

        return getattr(runner, name)
    if name == "CompanyModel":
        from sim.model import CompanyModel

        return CompanyModel
    if name in ("run_ensemble", "Ensemble"):
        from sim.experiment import ensemble

        return getattr(ensemble, name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
