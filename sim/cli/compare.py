"""`sim compare A B`: two ensembles over the same seeds, side by side, and the difference A-B."""

from __future__ import annotations

import argparse

from sim.cli.common import (
    DEFAULT_SEED,
    EXIT_CODES_HELP,
    EXIT_OK,
    SubParsers,
    add_common,
    add_scenario_arg,
    ensemble_for,
    resolve_scenario,
    seed_count,
    seed_list,
    seed_value,
)
from sim.report.text import (
    compare_data,
    compare_rows,
    paired_rows,
    paired_table,
    render_table,
    to_json,
)

PROFIT_RATIO_NOTE = (
    "(profit / revenue: per run, median over the runs with revenue; -1.00 = costs twice revenue)"
)
"""Under the table: how to read the profit / revenue rows (``mean_profit_margin``)."""


def add_parser(sub: SubParsers) -> None:
    """Register `sim compare`."""
    p = sub.add_parser(
        "compare",
        help="compare two scenarios over the same seeds",
        description="Run two scenarios over the same seeds (common random numbers) "
        "and print their ensemble summaries side by side with the difference A-B.",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario_a", "A")
    add_scenario_arg(p, "scenario_b", "B")
    p.add_argument(
        "--seeds",
        type=seed_count,
        default=None,
        metavar="N",
        help="seeds per scenario (default: the larger `seeds` of the two files)",
    )
    p.add_argument(
        "--seed",
        type=seed_value,
        default=DEFAULT_SEED,
        metavar="S",
        help="first seed (default 0)",
    )
    add_common(p)
    p.set_defaults(handler=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """`sim compare A B`: both ensembles over the same seeds, side by side, and A-B."""
    a = resolve_scenario(args.scenario_a, args.sets, args.months)
    b = resolve_scenario(args.scenario_b, args.sets, args.months)
    seeds = seed_list(args.seed, args.seeds or max(a.seeds, b.seeds))
    ens_a = ensemble_for(a, seeds, args.workers, args.json, args.scheduler)
    ens_b = ensemble_for(b, seeds, args.workers, args.json, args.scheduler)
    paired = paired_table(ens_a.summaries.to_dict("records"), ens_b.summaries.to_dict("records"))
    if args.json:
        print(
            to_json(
                compare_data(
                    (args.scenario_a, args.scenario_b),
                    (a.name, b.name),
                    (ens_a.summary, ens_b.summary),
                    seeds,
                    paired,
                )
            )
        )
        return EXIT_OK
    print(f"A: {a.name} ({args.scenario_a})\nB: {b.name} ({args.scenario_b})")
    print(
        f"{len(seeds)} seeds each ({seeds[0]}-{seeds[-1]}), same seeds for both; "
        f"{a.months} vs {b.months} months\n"
    )
    print(render_table(compare_rows(ens_a.summary, ens_b.summary)))
    print(f"  {PROFIT_RATIO_NOTE}")
    print(
        "\nPaired A - B over the same seeds (the same world per seed), 95% interval "
        "(t; a bootstrap for the median):"
    )
    print(render_table(paired_rows(paired, len(seeds))))
    return EXIT_OK
