"""Tipping curves: sales-led survival against contingent acceptance (or the custom-work cap), for
two engineering team sizes.

Repenning, Goncalves and Black (2001): past a threshold, firefighting crowds out the work that
would relieve it. With more engineering slack the threshold should move to higher acceptance (or
a higher cap). On the preset's $3M the bigger team also pays six more salaries, so its curve
starts lower; ``--cash 6000000`` gives both teams the same larger seed money, so that only the
engineers differ (docs/MODEL.md §10, "Tipping curves").

    python scripts/tipping_curves.py [--lever acceptance|cap] [--seeds 32] [--first 1000]
        [--engineers 6,12] [--cash USD] [--workers 2]
"""

from __future__ import annotations

import argparse

import numpy as np
from joblib import Parallel, delayed

from sim.config import preset
from sim.experiment.runner import run

LEVELS = np.round(np.linspace(0.0, 1.0, 11), 2)
LEVERS = {"acceptance": "sales.contingent_acceptance", "cap": "product.custom_capacity_cap"}
"""The levers a curve can run along (both 0-1), by their name on the command line."""


def _survived(key: str, level: float, engineers: int, seed: int, cash: float | None) -> bool:
    overrides = {key: float(level), "company.initial_engineers": engineers}
    if cash is not None:
        overrides["company.initial_cash"] = cash
    scenario = preset("sales_led").with_overrides(overrides)
    return bool(run(scenario, seed=seed, attribute=False).summary["survived"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lever", choices=sorted(LEVERS), default="acceptance")
    parser.add_argument("--seeds", type=int, default=32)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--engineers", default="6,12")
    parser.add_argument(
        "--cash", type=float, default=None, help="seed money for both teams (default: preset's)"
    )
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    teams = [int(x) for x in args.engineers.split(",")]
    seeds = range(args.first, args.first + args.seeds)
    print(f"| {args.lever} | " + " | ".join(f"{e} engineers" for e in teams) + " |")
    print("|---|" + "---|" * len(teams))
    for level in LEVELS:
        cells = []
        for engineers in teams:
            alive = Parallel(n_jobs=args.workers)(
                delayed(_survived)(LEVERS[args.lever], level, engineers, s, args.cash)
                for s in seeds
            )
            cells.append(f"{np.mean(alive):.2f}")
        print(f"| {level:.1f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
