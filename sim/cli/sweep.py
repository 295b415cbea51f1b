"""`sim sweep SCENARIO --vary KEY=START:STOP:N [--vary ...] [--lhs N] [--seeds S] [--out DIR]`.

A grid (or a Latin hypercube) over one or more levers; per point the ensemble summary over the
same seeds, survival with its 95% Wilson interval. Prints the curve (one lever) or the table,
and writes ``sweep.csv``, ``sweep.parquet`` and ``sweep.html`` (the curve with its band, or for
two levers the tipping-point map with the 50% contour; self-contained) into the output folder
(default ``results/sweep-<scenario>``). Runs come from the run store when it has them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.analysis.units import money, month, percent
from sim.cli.common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    SubParsers,
    UsageError,
    add_scenario_arg,
    positive_int,
    resolve_scenario,
    seed_list,
)
from sim.cli.exploring import (
    RESULTS_DIR,
    add_explore_options,
    bar,
    executor_and_store,
    prepare_out,
    show_progress,
    table_files,
    write,
)
from sim.report.text import render_table, to_json

DEFAULT_SEEDS = 32
OUT_NAMES = ["sweep.csv", "sweep.parquet", "sweep.html"]


def add_parser(sub: SubParsers) -> None:
    """Register `sim sweep`."""
    p = sub.add_parser(
        "sweep",
        help="survival (and every summary metric) over a grid of lever values",
        description="Run the scenario's ensemble at every point of a grid over one or more "
        "levers (or a Latin hypercube with --lhs), the same seeds at every point, and report "
        "survival with its 95%% Wilson interval per point. Writes sweep.csv, sweep.parquet and "
        "a self-contained sweep.html.",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument(
        "--vary",
        action="append",
        default=[],
        required=True,
        metavar="KEY=START:STOP:N",
        help="a lever to sweep: N values from START to STOP (repeatable; with --lhs, N is "
        "ignored), e.g. --vary sales.contingent_acceptance=0:1:11",
    )
    p.add_argument(
        "--lhs",
        type=positive_int,
        default=None,
        metavar="N",
        help="N points of a Latin hypercube over the --vary ranges instead of the grid",
    )
    p.add_argument(
        "--metric",
        default="survival_rate",
        metavar="METRIC",
        help="the ensemble metric the chart shows (default: survival_rate; the table has all)",
    )
    add_explore_options(
        p,
        DEFAULT_SEEDS,
        "write sweep.csv, sweep.parquet, sweep.html here (default: results/sweep-<scenario>)",
    )
    p.set_defaults(handler=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from sim.experiment.runs import RunCounts
    from sim.experiment.sweep import check_metric, grid_points, lhs_points, parse_vary, run_sweep

    base = resolve_scenario(args.scenario, args.sets, args.months)
    check_metric(args.metric)
    varies = [parse_vary(text, base) for text in args.vary]
    keys = [v.key for v in varies]
    if len(set(keys)) != len(keys):
        raise UsageError("sim sweep: --vary: the same key is given twice")
    points = lhs_points(varies, args.lhs) if args.lhs else grid_points(varies)
    out = prepare_out(args, RESULTS_DIR / f"sweep-{_stem(args.scenario)}", OUT_NAMES)
    executor, store = executor_and_store(args)
    counts = RunCounts()
    seeds = seed_list(0, args.seeds)
    result = run_sweep(
        base, points, seeds, executor, store, progress=show_progress(args), counts=counts
    )
    figure = _figure(result.table, keys, args.metric)
    from sim.report.explore import html_page

    html = html_page([figure], f"sim sweep {base.name}")
    if args.json:
        print(
            to_json(
                {
                    "keys": keys,
                    "seeds": len(seeds),
                    "points": result.table.to_dict("records"),
                    "computed_runs": counts.computed,
                    "stored_runs": counts.stored,
                }
            )
        )
    else:
        _print(result.table, keys, base.name, len(seeds))
        print(f"\n{counts.computed} runs computed, {counts.stored} from the run store")
    write(out, table_files("sweep", result.table, html), args)
    return EXIT_OK


def _figure(table, keys: list[str], metric: str):
    """One lever: the curve; two or more: the map over the first two (averaged over the rest)."""
    from sim.report.explore import sweep_curve, sweep_map

    if len(keys) == 1:
        return sweep_curve(table, keys[0], metric)
    title = None
    if len(keys) > 2:
        title = f"{metric} over {keys[0]} and {keys[1]}, mean over {', '.join(keys[2:])}"
    return sweep_map(table, keys[0], keys[1], metric, title=title)


def _print(table, keys: list[str], name: str, seeds: int) -> None:
    print(f"{name}: {len(table)} points, {seeds} seeds each")
    header = [*keys, "survival", "95% CI", "", "spiral", "median death", "median final ARR"]
    rows = [header]
    for row in table.to_dict("records"):
        rows.append(
            [
                *(_value(row[k]) for k in keys),
                percent(row["survival_rate"]),
                f"{percent(row['survival_ci_low'])}-{percent(row['survival_ci_high'])}",
                bar(row["survival_rate"]) if len(keys) == 1 else "",
                percent(row["spiral_rate"]),
                month(row["median_month_of_death"]),
                money(row["median_final_arr_usd"]),
            ]
        )
    print(render_table(rows))


def _value(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _stem(arg: str) -> str:
    return Path(arg).stem or "scenario"
