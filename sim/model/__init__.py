"""The model: CompanyModel (a mesa.Model), its actors, the cross-role mechanisms and the population.

Imports only ``sim.config``; never the analysis above it.
"""

from sim.model.company_model import (
    BOOL_COLUMNS,
    CompanyModel,
    events_frame,
    run_to_end,
    simulate,
)
from sim.model.recorder import frame_of

__all__ = ["BOOL_COLUMNS", "CompanyModel", "events_frame", "frame_of", "run_to_end", "simulate"]
