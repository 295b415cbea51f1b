"""`sim check [PATH ...]`: evaluate every scenario file's `expect:` block; exit 1 if any fails."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.cli.common import (
    DEFAULT_SEED,
    EXIT_CODES_HELP,
    EXIT_EXPECTATION_FAILED,
    EXIT_OK,
    SubParsers,
    add_scheduler,
    ensemble_for,
    seed_count,
    seed_list,
    seed_value,
    worker_count,
)
from sim.config import Scenario, ScenarioError, load_scenario
from sim.report.text import to_json

DEFAULT_SCENARIO_DIR = Path("scenarios")
SCENARIO_SUFFIXES = (".yaml", ".yml")


def add_parser(sub: SubParsers) -> None:
    """Register `sim check`."""
    p = sub.add_parser(
        "check",
        help="evaluate every scenario file's expect: block",
        description="Validate scenario files and evaluate each one's `expect:` "
        "assertions over an ensemble of the file's `seeds`. One line per "
        "assertion; exit 1 if any fails.",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="scenario files, or directories searched recursively for *.yaml (default: scenarios/)",
    )
    p.add_argument(
        "--seeds",
        type=seed_count,
        default=None,
        metavar="N",
        help="override every file's `seeds` (quicker, wider intervals)",
    )
    p.add_argument(
        "--seed",
        type=seed_value,
        default=DEFAULT_SEED,
        metavar="S",
        help="first seed of every ensemble (default 0): check the claims on seeds that were "
        "not used to choose the model's constants, e.g. --seed 1000",
    )
    p.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        metavar="W",
        help="parallel worker processes (default: 1; same results whatever W)",
    )
    add_scheduler(p)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(handler=cmd_check)


@dataclass
class CheckFile:
    """One scenario file to check: its scenario, parsed expectations and baseline scenarios."""

    path: Path
    scenario: Scenario
    expectations: list[Any]
    baselines: dict[Any, Scenario]


def cmd_check(args: argparse.Namespace) -> int:
    """`sim check [PATH ...]`: every file's expect: block; exit 1 if any assertion fails.

    Every file, expectation and baseline is validated before any ensemble runs, so bad input
    costs nothing and exits 2 with one line.
    """
    started = time.perf_counter()
    paths = scenario_files(args.paths or [DEFAULT_SCENARIO_DIR])
    files = [_load_check_file(path) for path in paths]
    reports = [_check_one(item, args) for item in files]
    failed = sum(not r["ok"] for report in reports for r in report["results"])
    gaps = sum(bool(r["gap"]) and r["ok"] for report in reports for r in report["results"])
    total = sum(len(report["results"]) for report in reports)
    seconds = time.perf_counter() - started
    if args.json:
        print(
            to_json(
                {
                    "files": reports,
                    "assertions": total,
                    "failed": failed,
                    "known_gaps": gaps,
                    "seconds": round(seconds, 1),
                }
            )
        )
    else:
        print(
            f"\n{len(files)} file(s), {total} assertion(s): {total - failed - gaps} hold, "
            f"{gaps} known gap(s) that do not hold yet, {failed} fail ({seconds:.1f} s)"
        )
    return EXIT_EXPECTATION_FAILED if failed else EXIT_OK


def scenario_files(paths: Sequence[Path]) -> list[Path]:
    """The scenario files named by ``paths``; directories expand to every *.yaml/*.yml below them
    (sub-folders included, hidden ones skipped), sorted by path."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if _is_scenario_file(p, path)))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: file not found")
    return found


def _is_scenario_file(path: Path, root: Path) -> bool:
    hidden = any(part.startswith(".") for part in path.relative_to(root).parts)
    return path.suffix in SCENARIO_SUFFIXES and path.is_file() and not hidden


def _load_check_file(path: Path) -> CheckFile:
    scenario = load_scenario(path)
    if not scenario.expect:
        return CheckFile(path, scenario, [], {})
    from sim.experiment.expectations import baseline_scenario, parse_expectations

    expectations = parse_expectations(list(scenario.expect), str(path))
    baselines: dict[Any, Scenario] = {}
    for expectation in expectations:
        if expectation.baseline is not None and expectation.baseline.key not in baselines:
            baselines[expectation.baseline.key] = baseline_scenario(expectation, scenario)
    return CheckFile(path, scenario, expectations, baselines)


def _seed_label(seeds: list[int]) -> str:
    """``48 seeds`` from seed 0, ``48 seeds from 1000`` otherwise."""
    start = f" from {seeds[0]}" if seeds and seeds[0] != DEFAULT_SEED else ""
    return f"{len(seeds)} seeds{start}"


def _check_one(item: CheckFile, args: argparse.Namespace) -> dict[str, Any]:
    """Run the file's ensemble (and each baseline's, over the same seeds) and evaluate."""
    report: dict[str, Any] = {"file": str(item.path), "name": item.scenario.name, "results": []}
    if not item.expectations:
        if not args.json:
            print(f"{item.path}: no expectations")
        return report
    seeds = seed_list(args.seed, args.seeds or item.scenario.seeds)
    report["seeds"] = len(seeds)
    report["first_seed"] = seeds[0]
    if not args.json:
        print(f"{item.path} ({item.scenario.name}, {_seed_label(seeds)})", flush=True)
    from sim.experiment.expectations import evaluate

    ensemble = ensemble_for(item.scenario, seeds, args.workers, args.json, args.scheduler)
    others = {
        key: ensemble_for(scenario, seeds, args.workers, args.json, args.scheduler)
        for key, scenario in item.baselines.items()
    }
    runs = ensemble.summaries.to_dict("records")
    for result in evaluate(
        item.expectations,
        ensemble.summary,
        {key: other.summary for key, other in others.items()},
        runs=runs,
        baseline_runs={k: o.summaries.to_dict("records") for k, o in others.items()},
    ):
        report["results"].append(result.to_dict())
        if not args.json:
            print(f"  {result.describe()}", flush=True)
    return report
