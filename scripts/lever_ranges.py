#!/usr/bin/env python
"""Does every slider move the outcome across its whole range? -> docs/lever_ranges.md.

For every slider and stepped lever of the dashboard (`sim.experiment.levers.LEVERS`), in the
default company and in each preset, this runs an ensemble at five settings spread over the
control's range (or at every step) on the same seeds, and reports survival, mean months lived,
mean cumulative revenue and mean cumulative profit at each. A half of the range (low to middle,
middle to high) is marked **flat** when, between its ends and at every setting inside it,
survival moves by less than 0.05, months lived by less than 1, revenue by less than 5% and
profit by less than 5% of the revenue: a slider the room can move without seeing anything
happen, in the company's fate or in its money (the cash chart). Seeds start at 1000 by
default, away from the seeds the constants were tuned on.

Run ``.venv/bin/python scripts/lever_ranges.py`` (``--seeds``, ``--first-seed``, ``--workers``,
``--out``, ``--no-write``); about 4 minutes on 2 quiet cores with 24 seeds. Do not edit the page.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

import numpy as np
from generated_page import count, page, provenance, publish
from joblib import Parallel, delayed

from sim.config import Scenario, preset
from sim.experiment.levers import (
    CUSTOM_WORK_LEVERS,
    IDLE_CUSTOM_SHARE,
    LEVERS,
    Lever,
    governed_note,
)
from sim.experiment.runner import run

DEFAULT_OUT = ROOT / "docs" / "lever_ranges.md"
SCENARIOS = ("default", "sales_led", "product_led")
FLAT_SURVIVAL = 0.05  # survival moves less than this across a half: flat (share)
FLAT_MONTHS = 1.0  # months lived move less than this: flat (months)
FLAT_REVENUE = 0.05  # cumulative revenue moves less than this share of its level: flat (share)
FLAT_PROFIT = 0.05
"""Cumulative profit moves less than this share of the revenue's level: flat (share). Profit is
an outcome because a lever's first effect can be a cost: in the product-led company a 30%
commission pays about $3M more than 15% over 60 months and the cash chart shows it, while
survival, months and revenue stay where they were."""


def settings(lever: Lever) -> list:
    """Five settings over a slider's range (scenario units), or every step of a stepped one."""
    if lever.kind == "steps":
        return list(lever.steps)
    scale = lever.scale or 1
    return [(lever.low + f * (lever.high - lever.low)) * scale for f in (0, 0.25, 0.5, 0.75, 1)]


def company(name: str) -> Scenario:
    """The default company or a preset, every other lever at its default."""
    return Scenario() if name == "default" else preset(name)


def outcome(name: str, key: str, value, seeds: range) -> tuple[float, ...]:
    """Survival, mean months lived, mean cumulative revenue and mean cumulative profit of one
    setting, then the mean custom share of engineering (what custom-work levers act on)."""
    scenario = company(name).with_overrides({key: value})
    runs = [run(scenario, seed=s, attribute=False).summary for s in seeds]
    return (
        float(np.mean([r["survived"] for r in runs])),
        float(np.mean([r["months_run"] for r in runs])),
        float(np.mean([r["cumulative_revenue_usd"] for r in runs])),
        float(np.mean([r["profit_usd"] for r in runs])),
        float(np.mean([r["mean_custom_share"] for r in runs])),
    )


def idle(points: list[tuple[float, ...]]) -> bool:
    """Whether the company did almost no custom work at every setting (``IDLE_CUSTOM_SHARE``)."""
    return max(point[4] for point in points) < IDLE_CUSTOM_SHARE


def flat(points: list[tuple[float, ...]], money: bool = True) -> bool:
    """Whether every outcome stays within its flat band over these settings (``money=False``:
    survival, months and revenue only, the criterion before profit was an outcome)."""
    s, m, r, p = (np.array(x) for x in list(zip(*points, strict=True))[:4])
    level = max(float(np.abs(r).max()), 1.0)
    return bool(
        np.ptp(s) < FLAT_SURVIVAL
        and np.ptp(m) < FLAT_MONTHS
        and np.ptp(r) / level < FLAT_REVENUE
        and (not money or np.ptp(p) / level < FLAT_PROFIT)
    )


def label(value) -> str:
    return "none" if value is None else f"{value:g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=count, default=24)
    ap.add_argument("--first-seed", type=int, default=1000)
    ap.add_argument("--workers", type=count, default=2)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    levers = [lever for lever in LEVERS if lever.kind in ("slider", "steps")]
    jobs = [
        (lever, name, value) for lever in levers for name in SCENARIOS for value in settings(lever)
    ]
    found = Parallel(n_jobs=args.workers)(
        delayed(outcome)(name, lever.key, value, seeds) for lever, name, value in jobs
    )
    results = {(lv.key, n, label(v)): o for (lv, n, v), o in zip(jobs, found, strict=True)}
    head = "Survival / months lived / revenue $M / profit $M at each setting"
    rows = [f"| Lever | Company | {head} | Flat |"]
    rows.append("| --- | --- | --- | --- |")
    flats = cost_only = governed = idle_pairs = 0
    for lever in levers:
        values = settings(lever)
        for name in SCENARIOS:
            points = [results[(lever.key, name, label(v))] for v in values]
            mid = len(points) // 2
            parts = {"low": points[: mid + 1], "high": points[mid:]}
            which = [half for half, part in parts.items() if flat(part)]
            flats += bool(which)
            note = governed_note(company(name), lever.key)
            governed += bool(which) and note is not None
            cost_only += not which and any(flat(part, money=False) for part in parts.values())
            cells = "<br>".join(
                f"{label(v)}: {s:.2f} / {m:.0f} / {r / 1e6:.1f} / {p / 1e6:.1f}"
                for v, (s, m, r, p, _) in zip(values, points, strict=True)
            )
            mark = f"**{' and '.join(which)} half**" if which else ""
            if which and note:
                mark += f" (governed here: {note})"
            if which and lever.key in CUSTOM_WORK_LEVERS and idle(points):
                idle_pairs += 1
                shares = [point[4] for point in points]
                mark += (
                    f" (little custom work to act on here: {min(shares):.1%}-{max(shares):.1%} "
                    "of engineering across the range)"
                )
            rows.append(f"| `{lever.key}` | {name} | {cells} | {mark} |")
    intro = (
        "Each cell lists, per setting of the control, survival at month 60, mean months "
        "lived, mean cumulative revenue and mean cumulative profit, over the same seeds. A "
        f"half of the range is flat when survival moves less than {FLAT_SURVIVAL}, months "
        f"lived less than {FLAT_MONTHS:g}, revenue less than {FLAT_REVENUE:.0%} and profit "
        f"less than {FLAT_PROFIT:.0%} of the revenue across it. Why the flat halves are "
        "flat: docs/MODEL.md §10."
    )
    text = page(
        "Does every slider move the outcome across its range?",
        provenance("lever_ranges.py", f"{args.seeds} seeds from {args.first_seed}, 60 months"),
        intro,
        f"{flats} lever-company pairs have a flat half ({flats + cost_only} without profit as "
        f"an outcome); {governed} of them are sliders the dashboard marks, in that company, as "
        "governed by another lever (`sim/experiment/levers.py: GOVERNED`, a grey note beside "
        f"the slider); {idle_pairs} are custom-work levers in a company that did almost no "
        f"custom work at any setting (under {IDLE_CUSTOM_SHARE:.0%} of engineering).",
        rows,
    )
    publish(text, args.out, write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
