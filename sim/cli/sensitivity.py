"""`sim sensitivity SCENARIO --method morris|sobol [--levers K,...] [--seeds S] [--out DIR]`.

Global sensitivity of an ensemble metric (default survival_rate) to the policy levers over their
workshop ranges, with SALib; prints the ranked indices with their 95% intervals and writes
``sensitivity.csv``, ``sensitivity.parquet`` (indices), ``sensitivity_points.csv`` (every sample
point and its metric) and a self-contained ``sensitivity.html`` bar chart.
"""

from __future__ import annotations

import argparse

from sim.cli.common import (
    EXIT_CODES_HELP,
    EXIT_OK,
    SubParsers,
    add_scenario_arg,
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
from sim.cli.sweep import _stem
from sim.report.text import render_table, to_json

DEFAULT_SEEDS = 16
DEFAULT_SIZE = {"morris": 10, "sobol": 64}
INDEX_READING: dict[str, str] = {
    "morris": "mu_star: mean |change in {metric}| per full range of a lever (SALib divides each "
    "step's change by the step, 2/3 of the range, so one step moves {metric} by 2/3 of "
    "mu_star); mu: the same, signed; mu_star_conf: half-width of mu_star's 95% bootstrap "
    "interval over the trajectories",
    "sobol": "ST: share of the variance of {metric} in which the lever takes part (S1: the lever "
    "alone); *_conf: half-width of the 95% bootstrap interval",
}
"""How to read each method's indices, printed under the title and on the chart: Morris mu* is a
change per *whole* lever range, not per step (on sales_led, 4 trajectories x 4 seeds, sales
targeting's mu* 0.5625 is a mean change in survival of 0.375 over its 2/3-range steps)."""
OUT_NAMES = [
    "sensitivity.csv",
    "sensitivity.parquet",
    "sensitivity.html",
    "sensitivity_points.csv",
]


def add_parser(sub: SubParsers) -> None:
    """Register `sim sensitivity`."""
    p = sub.add_parser(
        "sensitivity",
        help="which levers matter most: Morris or Sobol' indices (SALib)",
        description="Sample the policy levers over their workshop ranges (SALib), run the "
        "scenario's ensemble at every sample point over the same seeds, and rank the levers by "
        "their Morris mu* or Sobol' total index, each with its 95%% interval.",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument("--method", choices=("morris", "sobol"), required=True)
    p.add_argument(
        "--levers",
        default=None,
        metavar="K,...",
        help="comma-separated lever keys (default: the workshop levers, see `sim schema`)",
    )
    p.add_argument(
        "--size",
        type=positive_int,
        default=None,
        metavar="N",
        help="Morris trajectories (default 10; (levers+1) x N points) or Sobol' base sample "
        "(default 64; (levers+2) x N points)",
    )
    p.add_argument(
        "--metric",
        default="survival_rate",
        metavar="METRIC",
        help="the ensemble metric analysed (default: survival_rate)",
    )
    add_explore_options(
        p, DEFAULT_SEEDS, "write tables and chart here (default: results/sensitivity-<scenario>)"
    )
    p.set_defaults(handler=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    from sim.experiment.sensitivity import check_metric, factors, run_sensitivity
    from sim.report.explore import html_page, indices_chart

    base = resolve_scenario(args.scenario, args.sets, args.months)
    keys = [k.strip() for k in args.levers.split(",") if k.strip()] if args.levers else None
    factors(keys, base)  # bad --levers: one line before anything runs
    check_metric(args.metric)
    out = prepare_out(args, RESULTS_DIR / f"sensitivity-{_stem(args.scenario)}", OUT_NAMES)
    executor, store = executor_and_store(args)
    size = args.size or DEFAULT_SIZE[args.method]
    seeds = seed_list(0, args.seeds)
    result = run_sensitivity(
        base,
        args.method,
        keys,
        seeds,
        size,
        args.metric,
        executor,
        store,
        progress=show_progress(args),
    )
    main, conf = ("mu_star", "mu_star_conf") if args.method == "morris" else ("ST", "ST_conf")
    title = (
        f"{base.name}: sensitivity of {args.metric} ({args.method}, {len(result.points)} "
        f"points x {len(seeds)} seeds; bars: {main} with 95% interval)"
    )
    reading = INDEX_READING[args.method].format(metric=args.metric)
    figures = [indices_chart(result.indices, main, conf, title, note=reading, floor=0.0)]
    if args.method == "sobol":
        figures.append(indices_chart(result.indices, "S1", "S1_conf", "first-order S1"))
    files = table_files("sensitivity", result.indices, html_page(figures, title))
    files["sensitivity_points.csv"] = result.points.to_csv(index=False).encode("utf-8")
    if args.json:
        print(
            to_json(
                {
                    "method": args.method,
                    "metric": args.metric,
                    "points": len(result.points),
                    "seeds": len(seeds),
                    "indices": result.indices.to_dict("records"),
                    "computed_runs": result.counts.computed,
                    "stored_runs": result.counts.stored,
                }
            )
        )
    else:
        print(f"{title}\n{reading}")
        cols = [c for c in result.indices.columns]
        rows = [cols] + [
            [str(r["rank"]), r["lever"], *(f"{r[c]:.3f}" for c in cols[2:])]
            for r in result.indices.to_dict("records")
        ]
        print(render_table(rows))
        print(f"\n{result.counts.computed} runs computed, {result.counts.stored} from the store")
    write(out, files, args)
    return EXIT_OK
