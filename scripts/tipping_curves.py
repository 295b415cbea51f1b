"""Tipping curves: sales-led survival against contingent acceptance, for two engineering team sizes.

Repenning, Goncalves and Black (2001): past a threshold, firefighting crowds out the work that
would relieve it. With more engineering slack the threshold should move to higher acceptance.

    python scripts/tipping_curves.py [--seeds 32] [--first 1000] [--engineers 6,12] [--workers 2]
"""

from __future__ import annotations

import argparse

import numpy as np
from joblib import Parallel, delayed

from sim.config import preset
from sim.experiment.runner import run

LEVELS = np.round(np.linspace(0.0, 1.0, 11), 2)


def _survived(acceptance: float, engineers: int, seed: int) -> bool:
    scenario = preset("sales_led").with_overrides(
        {"sales.contingent_acceptance": float(acceptance), "company.initial_engineers": engineers}
    )
    return bool(run(scenario, seed=seed, attribute=False).summary["survived"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=32)
    parser.add_argument("--first", type=int, default=1000)
    parser.add_argument("--engineers", default="6,12")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    teams = [int(x) for x in args.engineers.split(",")]
    seeds = range(args.first, args.first + args.seeds)
    print("| acceptance | " + " | ".join(f"{e} engineers" for e in teams) + " |")
    print("|---|" + "---|" * len(teams))
    for level in LEVELS:
        cells = []
        for engineers in teams:
            alive = Parallel(n_jobs=args.workers)(
                delayed(_survived)(level, engineers, s) for s in seeds
            )
            cells.append(f"{np.mean(alive):.2f}")
        print(f"| {level:.1f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
