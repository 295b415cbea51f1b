"""`sim explain SCENARIO`: why one company lived or died (or which causes were common among
the deaths of an ensemble with --seeds)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from typing import Any

from sim.cli.common import (
    DEFAULT_SEED,
    EXIT_BAD_INPUT,
    EXIT_CODES_HELP,
    EXIT_OK,
    PROG,
    SubParsers,
    add_scenario_arg,
    positive_int,
    resolve_scenario,
    seed_count,
    seed_list,
    seed_value,
)
from sim.config import ScenarioError, parse_set
from sim.config.hints import one_line


def add_parser(sub: SubParsers) -> None:
    """Register `sim explain`."""
    p = sub.add_parser(
        "explain",
        help="why did this company die? one run's causal timeline",
        description="Print one run's debrief: a timeline of what happened and why, "
        "each line with its month and number; with --seeds, the causes most common "
        "among the runs that died.",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument("--seed", type=seed_value, default=DEFAULT_SEED, metavar="S")
    p.add_argument(
        "--seeds",
        type=seed_count,
        default=None,
        metavar="N",
        help="run seeds S..S+N-1 and count causes among those that died",
    )
    p.add_argument("--months", type=positive_int, default=None, metavar="M")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    """`sim explain`: the parsed arguments handed to ``explain_command``."""
    return explain_command(
        args.scenario, args.seed, args.months, parse_set(args.sets), args.json, seeds=args.seeds
    )


def explain_command(
    path: str,
    seed: int = 0,
    months: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    as_json: bool = False,
    seeds: int | None = None,
) -> int:
    """`sim explain SCENARIO --seed S [--months M] [--set k=v ...] [--seeds N] [--json]`.

    ``path``: a scenario file or a preset name. One run (seed ``seed``): print its debrief. With
    ``seeds`` = N: run seeds ``seed`` .. ``seed + N - 1`` and print which causes were most common
    among those that died. Returns the exit code: 0, or 2 for bad input (one line on stderr).
    """
    from sim.analysis.debrief import (
        debrief_ensemble,
        explain_run,
        render_ensemble_text,
        render_text,
    )
    from sim.experiment.runner import run

    try:
        scenario = resolve_scenario(path, months=months, overrides=dict(overrides or {}))
    except ScenarioError as err:
        print(f"{PROG}: {one_line(err)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if seeds is not None and seeds < 1:
        print(f"{PROG}: --seeds: expected a whole number >= 1, got {seeds}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if seeds is None:
        debrief = explain_run(run(scenario, seed=seed), name=scenario.name)
        print(json.dumps(debrief.to_dict(), indent=2) if as_json else render_text(debrief))
        return EXIT_OK
    seed_range = seed_list(seed, seeds)
    debriefs = [explain_run(run(scenario, seed=s), name=scenario.name) for s in seed_range]
    summary = debrief_ensemble(debriefs)
    if as_json:
        print(
            json.dumps(
                {"scenario": scenario.name, "seeds": seed_range, **summary.to_dict()}, indent=2
            )
        )
    else:
        print(f"{scenario.name}, seeds {seed}-{seed + seeds - 1}")
        print(render_ensemble_text(summary))
    return EXIT_OK
