"""What every `sim` command shares: exit codes, the one-line-error parser, argument types, and
turning a SCENARIO argument (file or preset name) plus --set/--months into a Scenario.

Exit codes (every subcommand): 0 success, 1 an expectation failed (`sim check`), 2 bad input
(missing or invalid file, unknown key, bad --set, bad --out: one line on stderr naming the file or
option, the key and the problem - never a traceback), 3 internal error (a bug: one line, and the
traceback when SIM_DEBUG=1), 130 interrupted. They are defined here and nowhere else.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.config import PRESETS, Scenario, ScenarioError, load_scenario, parse_set, preset
from sim.config.hints import did_you_mean
from sim.config.safe_yaml import clean
from sim.config.schema import MAX_SEED

MAX_SEEDS = 10_000
"""Largest ensemble (--seeds): the schema's bound on a file's `seeds`."""
MAX_WORKERS = 32
"""Most worker processes (--workers): more only adds processes on any machine this runs on."""

EXIT_OK = 0
EXIT_EXPECTATION_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130

PROG = "sim"
DEFAULT_SEED = 0

EXIT_CODES_HELP = (
    "exit codes: 0 ok, 1 an expectation failed, 2 bad input (one line on stderr naming the file "
    "or option, the key and the problem), 3 internal error (SIM_DEBUG=1 shows the traceback)"
)

SubParsers = argparse._SubParsersAction


class UsageError(Exception):
    """Bad command-line input; ``str(err)`` is the one line printed on stderr."""


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block) and never exit by themselves."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


# --------------------------------------------------------------------------------------------
# Arguments shared by several commands
# --------------------------------------------------------------------------------------------


def add_scenario_arg(p: argparse.ArgumentParser, dest: str, metavar: str) -> None:
    """A positional SCENARIO: a YAML file or a preset name."""
    p.add_argument(
        dest, metavar=metavar, help=f"a scenario YAML file, or a preset name ({', '.join(PRESETS)})"
    )


def add_common(p: argparse.ArgumentParser) -> None:
    """--months, --set, --workers, --json (run and compare)."""
    p.add_argument(
        "--months",
        type=positive_int,
        default=None,
        metavar="M",
        help="horizon in months (default: the scenario's `months`)",
    )
    p.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a lever by dotted key, value as YAML (repeatable), "
        "e.g. --set sales.commission_rate=0.05",
    )
    p.add_argument(
        "--workers",
        type=worker_count,
        default=None,
        metavar="W",
        help="parallel worker processes for an ensemble (default: 1; same results whatever W)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the summary as JSON (sorted keys; the same seed gives identical output)",
    )
    add_scheduler(p)


def positive_int(text: str) -> int:
    """argparse type: a whole number >= 1."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return value


def non_negative_int(text: str) -> int:
    """argparse type: a whole number >= 0."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return value


def seed_value(text: str) -> int:
    """argparse type: a seed, 0 to MAX_SEED (what numpy accepts)."""
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed from 0 to {MAX_SEED}, got '{text}'")
    return value


def seed_count(text: str) -> int:
    """argparse type: an ensemble size, 1 to MAX_SEEDS."""
    value = _int(text)
    if not 1 <= value <= MAX_SEEDS:
        raise argparse.ArgumentTypeError(
            f"expected a number of seeds from 1 to {MAX_SEEDS}, got '{text}'"
        )
    return value


def worker_count(text: str) -> int:
    """argparse type: worker processes, 1 to MAX_WORKERS."""
    value = _int(text)
    if not 1 <= value <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"expected a number of workers from 1 to {MAX_WORKERS}, got '{text}'"
        )
    return value


def port(text: str) -> int:
    """argparse type: a TCP port."""
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1-65535, got '{text}'")
    return value


def _int(text: str) -> int:
    if len(text) > 30:  # int() of a huge string is slow and refused past 4300 digits anyway
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at most 30 digits, got '{text[:20]}...'"
        )
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None


# --------------------------------------------------------------------------------------------
# Scenarios and ensembles from arguments
# --------------------------------------------------------------------------------------------


def resolve_scenario(
    arg: str,
    sets: Sequence[str] = (),
    months: int | None = None,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """The scenario named by a file path or preset name, with --set (or already parsed
    ``overrides``) and --months applied."""
    path = Path(arg)
    name = preset_name(arg)
    scenario = preset(name) if name is not None and not path.exists() else load_scenario(path)
    if sets:
        scenario = scenario.with_overrides(parse_set(list(sets)))
    if overrides:
        scenario = scenario.with_overrides(dict(overrides))
    if months is not None:
        scenario = _with_months(scenario, months)
    if scenario.expect:  # a malformed expect: block is bad input for every command, not just check
        check_expectations(scenario, str(path))
    return scenario


def preset_name(arg: str) -> str | None:
    """The preset ``arg`` names (``sales-led`` and ``Sales_Led`` as well as ``sales_led``), or
    None for a path. A bare word that is neither a file nor a preset is an error naming the
    closest preset, so a typo does not read as a missing file."""
    key = arg.strip().lower().replace("-", "_")
    if key in PRESETS:
        return key
    path = Path(arg)
    looks_like_a_name = path.suffix == "" and len(path.parts) == 1
    if looks_like_a_name and not path.exists():
        hint = did_you_mean(key, PRESETS) or f" (presets: {', '.join(PRESETS)})"
        raise ScenarioError(f"{clean(arg, 200)}: neither a scenario file nor a preset{hint}")
    return None


def check_expectations(scenario: Scenario, source: str) -> None:
    """Parse ``scenario``'s expect: block and load its baselines (nothing runs); ScenarioError."""
    from sim.experiment.expectations import baseline_scenario, parse_expectations

    for expectation in parse_expectations(list(scenario.expect), source):
        if expectation.baseline is not None:
            baseline_scenario(expectation, scenario)


def _with_months(scenario: Scenario, months: int) -> Scenario:
    try:
        return scenario.with_overrides({"months": months})
    except ScenarioError as err:
        raise ScenarioError(str(err).replace("--set: ", "--months: ", 1)) from None


def seed_list(first: int, count: int) -> list[int]:
    """``count`` consecutive seeds starting at ``first``."""
    if first + count - 1 > MAX_SEED:
        raise UsageError(
            f"{PROG}: --seed {first} with {count} seeds goes past the largest seed {MAX_SEED}"
        )
    return list(range(first, first + count))


def ensemble_for(
    scenario: Scenario,
    seeds: list[int],
    workers: int | None,
    quiet: bool,
    scheduler: str | None = None,
) -> Any:
    """Run the ensemble (a progress bar on stderr on a terminal outside CI, never with --json),
    reading and filling the run store (``SIM_STORE=off`` turns it off); ``scheduler``: a Dask
    scheduler address (default: ``SIM_SCHEDULER``, else local)."""
    from sim.experiment.ensemble import run_ensemble
    from sim.experiment.store import default_store

    return run_ensemble(
        scenario,
        seeds=seeds,
        workers=workers,
        progress=False if quiet else None,
        store=default_store(),
        scheduler=scheduler,
    )


def add_scheduler(p: argparse.ArgumentParser) -> None:
    """--scheduler ADDRESS: run on a dask.distributed cluster."""
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on a dask.distributed cluster at this scheduler address "
        "(e.g. tcp://10.0.0.5:8786; default: $SIM_SCHEDULER, else this machine)",
    )
