"""`sim robustness [A B] [--worlds N] [--seeds S] [--out DIR]`: policy A against policy B
(default: the product_led and sales_led presets) across a Latin hypercube of uncertain worlds.

Prints the share of worlds where A outlives B (mean months alive over the same seeds, paired)
with its interval, by how much, and which world constants drive the difference; writes
``robustness_worlds.csv/.parquet`` (every world and both sides' results), ``robustness.csv``
(the drivers), ``robustness.json`` (the summary) and a self-contained ``robustness.html``.
"""

from __future__ import annotations

import argparse

from sim.analysis.units import percent
from sim.cli.common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    SubParsers,
    positive_int,
    resolve_scenario,
    seed_list,
)
from sim.cli.exploring import (
    RESULTS_DIR,
    add_explore_options,
    executor_and_store,
    prepare_out,
    show_progress,
    table_files,
    write,
)
from sim.report.text import render_table, to_json

DEFAULT_SEEDS = 8
DEFAULT_WORLDS = 64
OUT_NAMES = [
    "robustness_worlds.csv",
    "robustness_worlds.parquet",
    "robustness.csv",
    "robustness.json",
    "robustness.html",
]


MIN_WORLDS = 3
"""Fewest worlds a run may ask for: Spearman's rho of a driver needs at least three (with one
world every driver printed +nan)."""


def world_count(text: str) -> int:
    """argparse type: worlds in the hypercube, at least ``MIN_WORLDS``."""
    try:
        value = positive_int(text)
    except argparse.ArgumentTypeError:
        value = 0
    if value < MIN_WORLDS:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of worlds, {MIN_WORLDS} or more (a driver's rank "
            f"correlation needs them), got '{text}'"
        )
    return value


def _worlds(summary: dict, key: str) -> int:
    """A share of worlds as the count it is (7 of 8 and 1 of 8 read 88% and 13% as percentages,
    which add up to 101)."""
    return round(summary[key] * summary["worlds"])


def add_parser(sub: SubParsers) -> None:
    """Register `sim robustness`."""
    p = sub.add_parser(
        "robustness",
        help="policy A vs B across a Latin hypercube of uncertain worlds",
        description="Draw N worlds (need drift, competitor speed and leapfrogs, market size, "
        "prices, churn, engineer cost, cash, capabilities) by Latin hypercube, run both "
        "policies in each over the same seeds, and report where A outlives B, by how much, and "
        "which world constants matter most.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument(
        "a",
        nargs="?",
        default="product_led",
        metavar="A",
        help="policy A: a scenario file or preset (default: product_led)",
    )
    p.add_argument(
        "b", nargs="?", default="sales_led", metavar="B", help="policy B (default: sales_led)"
    )
    p.add_argument(
        "--worlds",
        type=world_count,
        default=DEFAULT_WORLDS,
        metavar="N",
        help=f"worlds in the hypercube (default: {DEFAULT_WORLDS})",
    )
    add_explore_options(p, DEFAULT_SEEDS, "write here (default: results/robustness)")
    p.set_defaults(handler=cmd_robustness)


def cmd_robustness(args: argparse.Namespace) -> int:
    from sim.experiment.robustness import run_robustness
    from sim.report.explore import html_page, paired_histogram

    a = resolve_scenario(args.a, args.sets, args.months)
    b = resolve_scenario(args.b, args.sets, args.months)
    out = prepare_out(args, RESULTS_DIR / "robustness", OUT_NAMES)
    executor, store = executor_and_store(args)
    seeds = seed_list(0, args.seeds)
    result = run_robustness(a, b, args.worlds, seeds, executor, store, progress=show_progress(args))
    s = result.summary
    headline = (
        f"{a.name} vs {b.name} in {s['worlds']} worlds x {len(seeds)} seeds: {a.name} outlives "
        f"{b.name} in {percent(s['share_a_outlives_b'])} of worlds "
        f"(95% CI {percent(s['share_a_outlives_b_ci_low'])}-"
        f"{percent(s['share_a_outlives_b_ci_high'])}), by {s['mean_months_alive_diff']:+.1f} "
        f"months on average (95% CI {s['mean_months_alive_diff_ci_low']:+.1f} to "
        f"{s['mean_months_alive_diff_ci_high']:+.1f}; median {s['median_months_alive_diff']:+.1f})"
        f"; survival {percent(s['a_mean_survival_rate'])} vs {percent(s['b_mean_survival_rate'])}"
        f", higher for {a.name} in {_worlds(s, 'share_a_survives_more')} of {s['worlds']} "
        f"worlds, for {b.name} in {_worlds(s, 'share_b_survives_more')}"
    )
    figures = [
        paired_histogram(
            result.worlds["months_alive_diff"],
            f"{a.name} - {b.name}: mean months alive, paired, per world",
            "months alive difference",
        ),
    ]
    from sim.report.explore import indices_chart

    drivers = result.drivers.assign(abs_rho=result.drivers["rho_months_alive_diff"].abs(), ci=0.0)
    figures.append(
        indices_chart(
            drivers,
            "abs_rho",
            "ci",
            "which world constants drive the difference (|Spearman rho|)",
            label="constant",
        )
    )
    files = table_files("robustness_worlds", result.worlds, html_page(figures, headline))
    del files["robustness_worlds.html"]
    files["robustness.csv"] = result.drivers.to_csv(index=False).encode("utf-8")
    files["robustness.json"] = (to_json(s) + "\n").encode("utf-8")
    files["robustness.html"] = html_page(figures, headline)
    if args.json:
        print(
            to_json(
                {
                    **s,
                    "drivers": result.drivers.to_dict("records"),
                    "computed_runs": result.counts.computed,
                    "stored_runs": result.counts.stored,
                }
            )
        )
    else:
        print(headline)
        rows = [["rank", "world constant", "range", "rho (months)", "p", "rho (survival)"]]
        for r in result.drivers.to_dict("records"):
            rows.append(
                [
                    str(r["rank"]),
                    r["constant"],
                    f"{r['low']:g}-{r['high']:g}",
                    f"{r['rho_months_alive_diff']:+.2f}",
                    f"{r['p_months_alive_diff']:.3f}",
                    f"{r['rho_survival_diff']:+.2f}",
                ]
            )
        print(render_table(rows))
        print(f"\n{result.counts.computed} runs computed, {result.counts.stored} from the store")
    write(out, files, args)
    return EXIT_OK
