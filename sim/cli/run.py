"""`sim run SCENARIO`: one seed (summary table or JSON), or an ensemble with --seeds; --out DIR."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

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
from sim.cli.outputs import MANIFEST_NAME, check_outputs, out_dir, write_outputs
from sim.config import Scenario
from sim.report.text import ENSEMBLE_ROWS, RUN_ROWS, render_table, summary_rows, to_json

RUN_FILES = ("series.csv", "events.csv", "summary.json", "scenario.yaml")
ENSEMBLE_FILES = ("summaries.csv", "bands.csv", "summary.json", "scenario.yaml")

OUT_HELP = (
    "write the results into DIR (created if missing), each file atomically (temp file in DIR, "
    f"fsync, rename). sim records what it wrote in DIR/{MANIFEST_NAME} (file names and SHA-256) "
    "and replaces only files listed there and unchanged since; any other existing file - one that "
    "was there before, or one of ours edited since - makes it stop with exit 2 unless --force"
)


def add_parser(sub: SubParsers) -> None:
    """Register `sim run`."""
    p = sub.add_parser(
        "run",
        help="run one scenario: one seed, or an ensemble with --seeds",
        description="Run one scenario. With one seed, print the run's summary; with "
        "--seeds N, run N seeds (S, S+1, ...) and print the ensemble summary.",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument(
        "--seed",
        type=seed_value,
        default=DEFAULT_SEED,
        metavar="S",
        help="seed of the run, or first seed of the ensemble (default 0)",
    )
    p.add_argument(
        "--seeds",
        type=seed_count,
        default=None,
        metavar="N",
        help="run an ensemble of N seeds instead of one run",
    )
    add_common(p)
    p.add_argument(
        "--out",
        type=out_dir,
        default=None,
        metavar="DIR",
        help=OUT_HELP + ". One run writes series.csv, events.csv, summary.json, "
        "scenario.yaml; an ensemble writes summaries.csv, bands.csv, summary.json, "
        "scenario.yaml",
    )
    p.add_argument(
        "--force", action="store_true", help="with --out: replace files sim did not write"
    )
    p.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """`sim run`: one seed (summary table or JSON) or an ensemble with --seeds."""
    scenario = resolve_scenario(args.scenario, args.sets, args.months)
    if args.out is not None:  # fail on a bad --out before spending time on the model
        names = ENSEMBLE_FILES if args.seeds is not None else RUN_FILES
        check_outputs(args.out, list(names), force=args.force)
    if args.seeds is not None:
        return _run_ensemble(scenario, args)
    return _run_one(scenario, args)


def _run_one(scenario: Scenario, args: argparse.Namespace) -> int:
    from sim.experiment.runner import run

    result = run(scenario, seed=args.seed)
    if args.out is not None:
        write_outputs(args.out, run_files(scenario, result), force=args.force)
    if args.json:
        print(to_json(result.summary))
    else:
        print(
            f"{scenario.name} ({_preset_label(scenario)}), seed {args.seed}, "
            f"{scenario.months} months"
        )
        print(render_table(summary_rows(RUN_ROWS, result.summary)))
        _print_written(args.out)
    return EXIT_OK


def _run_ensemble(scenario: Scenario, args: argparse.Namespace) -> int:
    seeds = seed_list(args.seed, args.seeds)
    ensemble = ensemble_for(scenario, seeds, args.workers, args.json, args.scheduler)
    if args.out is not None:
        write_outputs(args.out, ensemble_files(scenario, ensemble), force=args.force)
    if args.json:
        print(to_json(ensemble.summary))
    else:
        print(
            f"{scenario.name} ({_preset_label(scenario)}), {len(seeds)} seeds "
            f"({seeds[0]}-{seeds[-1]}), {scenario.months} months"
        )
        print(render_table(summary_rows(ENSEMBLE_ROWS, ensemble.summary)))
        _print_written(args.out)
    return EXIT_OK


def run_files(scenario: Scenario, result: Any) -> dict[str, bytes]:
    """The files `sim run --out` writes for one run, name -> content."""
    contents = (
        _csv(result.series),
        _csv(result.events),
        _json_bytes(result.summary),
        _yaml_bytes(scenario),
    )
    return dict(zip(RUN_FILES, contents, strict=True))


def ensemble_files(scenario: Scenario, ensemble: Any) -> dict[str, bytes]:
    """The files `sim run --seeds N --out` writes for an ensemble, name -> content."""
    contents = (
        _csv(ensemble.summaries),
        _csv(ensemble.bands),
        _json_bytes(ensemble.summary),
        _yaml_bytes(scenario),
    )
    return dict(zip(ENSEMBLE_FILES, contents, strict=True))


def _json_bytes(data: Any) -> bytes:
    return (to_json(data) + "\n").encode("utf-8")


def _yaml_bytes(scenario: Scenario) -> bytes:
    return scenario.to_yaml().encode("utf-8")


def _csv(frame: Any) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _print_written(out: Path | None) -> None:
    if out is not None:
        print(f"\nwrote {out}/ (files listed in {out / MANIFEST_NAME})")


def _preset_label(scenario: Scenario) -> str:
    return f"preset {scenario.preset}" if scenario.preset else "no preset"
