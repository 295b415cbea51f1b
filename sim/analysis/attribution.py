"""Loop attribution by counterfactual: was a death caused by the spiral's return link?

A run's death is *attributable to the loop* when the same seed - the same world, by common random
numbers - with the return link cut (``policy.pressure_response: 0``: pressure bends no behaviour)
survives the horizon, or lives at least ``EXTRA_LIFE_MONTHS`` longer. The spiral detector's onset
is only the loop's signature in the series; this is the proof.
"""

from __future__ import annotations

from typing import Any

EXTRA_LIFE_MONTHS = 12  # the cut company must live at least this much longer to count (months)
CUT_LINK = {"policy.pressure_response": 0.0}  # the override that cuts the return link
ATTRIBUTION_KEYS = ("loop_attributable", "counterfactual_survived", "counterfactual_month_of_death")


def needs_counterfactual(summary: dict[str, Any], pressure_response: float) -> bool:
    """Only a death under a live link has anything to attribute."""
    return not summary["survived"] and pressure_response > 0


def attribution(summary: dict[str, Any], counterfactual: dict[str, Any] | None) -> dict[str, Any]:
    """The attribution keys of a run summary, given the cut run's summary (None: nothing to cut)."""
    if counterfactual is None:
        return {
            "loop_attributable": False,
            "counterfactual_survived": None,
            "counterfactual_month_of_death": None,
        }
    cut_death = counterfactual["month_of_death"]
    lived_longer = (
        cut_death is not None and cut_death - summary["month_of_death"] >= EXTRA_LIFE_MONTHS
    )
    return {
        "loop_attributable": bool(counterfactual["survived"] or lived_longer),
        "counterfactual_survived": bool(counterfactual["survived"]),
        "counterfactual_month_of_death": cut_death,
    }
