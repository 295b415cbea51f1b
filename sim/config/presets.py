"""The two policy presets: bundles of lever values a scenario starts from (docs/MODEL.md,
Policies)."""

from __future__ import annotations

from typing import Any

# sales_led: contingent acceptance is low when nothing presses (0.1, about 0.18 under a 10%
# commission) and full felt pressure commits to every request: the return link of the spiral
# carries the weight, and `policy.pressure_response: 0` cuts it (docs/MODEL.md, the loop).
# Its promises reach 6 months when nothing presses and 12 at full felt pressure
# (`policy.pressure_promise_months` 6 on top): a year-out horizon from month 1 would leave the
# pressure -> longer promises link nothing to bend. Pressure-cut survival gain with the S3
# defaults (docs/MODEL.md §10): +0.33 / +0.31 / +0.33 on seeds 0 / 1000 / 2000 (64 each;
# docs/claims_across_seeds.md). Sales-led reviews its plan both ways like the default company.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "sales_led": {
        "company": {"hiring": "on_pressure", "low_burn_until_pmf": False, "initial_reps": 3},
        "sales": {
            "commission_timing": "immediate",
            "commission_basis": "booking",
            "contingent_acceptance": 0.1,
            "promise_horizon_months": 6,
            "targeting": "any",
        },
        "product": {"custom_capacity_cap": 1.0, "bet_limit_usd": None},
        "policy": {
            "feedback_meetings": False,
            "pressure_response": 1.0,
            "pressure_acceptance_add": 1.0,
            "custom_decider": "sales",
        },
    },
    "product_led": {
        # plan_replan_months 24: a company that beats its plan has it re-based every two years,
        # upward only (down share 0, stretch off: the plan keeps its 7% growth), while the default
        # and sales-led companies review theirs both ways every 9 months (docs/MODEL.md §7.5).
        # Before any re-plan product-led reps made 2.6x quota and 81% of them reached it. With the
        # S3 defaults product-led reps reach quota 43.8% of the time over 3 months and 44.5% over
        # 12, attainment 64% (seeds 0-31, docs/calibration.md): inside the bands.
        "company": {
            "hiring": "after_pmf",
            "low_burn_until_pmf": True,
            "plan_replan_months": 24,
            "plan_replan_down_share": 0.0,
            "plan_replan_stretch": -1.0,
        },
        "sales": {
            "commission_timing": "after_pmf",
            "commission_basis": "clawback",
            "contingent_acceptance": 0.2,
            "promise_horizon_months": 3,
            "targeting": "focus",
            "focus_segment": "midmarket",
        },
        "product": {
            "custom_capacity_cap": 0.2,
            "bet_limit_usd": 100_000,
            "bet_style": "many_small",
        },
        "policy": {
            "feedback_meetings": True,
            "pressure_response": 0.2,
            "custom_decider": "product",
        },
    },
}
