"""The loop ablation table: sales-led survival with one link or one world force cut, paired by seed.

Every arm runs the same seeds as the baseline, so under common random numbers each pair faces the
same market, drift and competitor; the table reports each arm's survival, the mean months lived
and the paired difference in survival from the baseline with a 95% t interval (scipy).

    python scripts/loop_ablation.py [--seeds 64] [--first 1000] [--workers 2]
"""

from __future__ import annotations

import argparse

import numpy as np
from joblib import Parallel, delayed
from scipy import stats

from sim.config import preset
from sim.experiment.runner import run

ARMS: dict[str, dict[str, object]] = {
    "sales-led as it is": {},
    "pressure bends nothing (pressure_response 0)": {"policy.pressure_response": 0.0},
    "... and hiring follows the plan": {"policy.pressure_response": 0.0, "company.hiring": "plan"},
    "pressure does not lengthen promises": {"policy.pressure_promise_months": 0.0},
    "custom capacity cap 0": {"product.custom_capacity_cap": 0.0},
    "custom capacity cap 0.2": {"product.custom_capacity_cap": 0.2},
    "custom capacity cap 0.5": {"product.custom_capacity_cap": 0.5},
    "custom capacity cap 0.8": {"product.custom_capacity_cap": 0.8},
    "competitor frozen": {"market.competitor_items_per_month": 0.0, "market.leapfrog_prob": 0.0},
    "need drift and obsolescence off": {
        "market.need_drift_sd": 0.0,
        "market.need_shift_prob": 0.0,
        "market.obsolescence_monthly": 0.0,
    },
}


def _outcome(overrides: dict[str, object], seed: int) -> tuple[bool, int]:
    summary = run(preset("sales_led").with_overrides(overrides), seed=seed, attribute=False).summary
    return bool(summary["survived"]), summary["month_of_death"] or summary["months_run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    seeds = range(args.first, args.first + args.seeds)
    base = None
    print(
        "| arm | survival | months lived | paired diff in survival [95% CI] |"
        f"  (seeds {seeds.start}-{seeds.stop - 1})"
    )
    print("|---|---|---|---|")
    for label, overrides in ARMS.items():
        rows = Parallel(n_jobs=args.workers)(delayed(_outcome)(overrides, s) for s in seeds)
        alive = np.array([r[0] for r in rows], dtype=float)
        lived = np.array([r[1] for r in rows], dtype=float)
        diff = ""
        if base is None:
            base = alive
        else:
            d = alive - base
            half = (
                stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d)) if d.std() else 0.0
            )
            diff = f"{d.mean():+.2f} [{d.mean() - half:+.2f}, {d.mean() + half:+.2f}]"
        print(f"| {label} | {alive.mean():.2f} | {lived.mean():.1f} | {diff} |", flush=True)


if __name__ == "__main__":
    main()
