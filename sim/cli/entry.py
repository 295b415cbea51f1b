"""The `sim` command: run, compare and check scenarios, print the schema, start the dashboard.

Exit codes (every subcommand): 0 success, 1 an expectation failed (`sim check`), 2 bad input
(missing or invalid file, unknown key, bad --set, bad --out: one line on stderr naming the file or
option, the key and the problem - never a traceback), 3 internal error (a bug: one line, and the
traceback when SIM_DEBUG=1), 130 interrupted. ``main(argv)`` returns the code instead of exiting
so tests can call it directly; the console script exits with it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from sim.cli.outputs import MANIFEST_NAME, OutputError, check_outputs, write_outputs
from sim.config import (
    PRESETS,
    Scenario,
    ScenarioError,
    json_schema,
    load_scenario,
    parse_set,
    preset,
)

EXIT_OK = 0
EXIT_EXPECTATION_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130

PROG = "sim"
DEBUG_ENV = "SIM_DEBUG"
REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_APP = REPO_ROOT / "dashboard" / "app.py"
DEFAULT_SCENARIO_DIR = Path("scenarios")
SCENARIO_SUFFIXES = (".yaml", ".yml")
DEFAULT_PORT = 8501
DEFAULT_SEED = 0
JSON_INDENT = 2
MISSING = "-"

EXIT_CODES_HELP = (
    "exit codes: 0 ok, 1 an expectation failed, 2 bad input (one line on stderr naming the file "
    "or option, the key and the problem), 3 internal error (SIM_DEBUG=1 shows the traceback)"
)
OUT_HELP = (
    "write the results into DIR (created if missing), each file atomically (temp file in DIR, "
    f"fsync, rename). sim records what it wrote in DIR/{MANIFEST_NAME} (file names and SHA-256) "
    "and replaces only files listed there and unchanged since; any other existing file - one that "
    "was there before, or one of ours edited since - makes it stop with exit 2 unless --force"
)


class UsageError(Exception):
    """Bad command-line input; ``str(err)`` is the one line printed on stderr."""


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block) and never exit by themselves."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


# ============================================================================================
# Entry point
# ============================================================================================

def main(argv: Sequence[str] | None = None) -> int:
    """Run the `sim` command with ``argv`` (default: sys.argv[1:]) and return its exit code."""
    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        return int(args.handler(args))
    except UsageError as err:  # already starts with the command's name
        return _fail(str(err), EXIT_BAD_INPUT, prefix="")
    except (ScenarioError, OutputError) as err:
        return _fail(str(err), EXIT_BAD_INPUT)
    except SystemExit as exc:  # --help and --version print and exit 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:  # `sim ... | head`: the reader has gone; stop quietly
        _silence_stdout()
        return EXIT_OK
    except Exception as err:  # noqa: BLE001 - a bug, not bad input: one line, traceback on request
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        return _fail(f"internal error: {type(err).__name__}: {_one_line(str(err))} "
                     f"(a bug, please report; {DEBUG_ENV}=1 shows the traceback)", EXIT_INTERNAL_ERROR)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _fail(message: str, code: int, prefix: str = f"{PROG}: ") -> int:
    """Print ``message`` as one line on stderr and return ``code``."""
    print(prefix + _one_line(message), file=sys.stderr)
    return code


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ============================================================================================
# Argument parsing
# ============================================================================================

def build_parser() -> argparse.ArgumentParser:
    """The `sim` argument parser with its five subcommands."""
    parser = _Parser(prog=PROG, description="Company-dynamics simulator: sales-led vs product-led "
                     "software companies and the death spiral.", epilog=EXIT_CODES_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _add_run(sub)
    _add_compare(sub)
    _add_check(sub)
    _add_schema(sub)
    _add_dashboard(sub)
    _add_explain(sub)
    return parser


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run one scenario: one seed, or an ensemble with --seeds",
                       description="Run one scenario. With one seed, print the run's summary; with "
                       "--seeds N, run N seeds (S, S+1, ...) and print the ensemble summary.",
                       epilog=EXIT_CODES_HELP)
    _add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument("--seed", type=_non_negative_int, default=DEFAULT_SEED, metavar="S",
                   help="seed of the run, or first seed of the ensemble (default 0)")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="run an ensemble of N seeds instead of one run")
    _add_common(p)
    p.add_argument("--out", type=Path, default=None, metavar="DIR", help=OUT_HELP + ". One run writes "
                   "series.csv, events.csv, summary.json, scenario.yaml; an ensemble writes "
                   "summaries.csv, bands.csv, summary.json, scenario.yaml")
    p.add_argument("--force", action="store_true", help="with --out: replace files sim did not write")
    p.set_defaults(handler=cmd_run)


def _add_compare(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two scenarios over the same seeds",
                       description="Run two scenarios over the same seeds (common random numbers) "
                       "and print their ensemble summaries side by side with the difference A-B.",
                       epilog=EXIT_CODES_HELP)
    _add_scenario_arg(p, "scenario_a", "A")
    _add_scenario_arg(p, "scenario_b", "B")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="seeds per scenario (default: the larger `seeds` of the two files)")
    p.add_argument("--seed", type=_non_negative_int, default=DEFAULT_SEED, metavar="S",
                   help="first seed (default 0)")
    _add_common(p)
    p.set_defaults(handler=cmd_compare)


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="evaluate every scenario file's expect: block",
                       description="Validate scenario files and evaluate each one's `expect:` "
                       "assertions over an ensemble of the file's `seeds`. One line per assertion; "
                       "exit 1 if any fails.", epilog=EXIT_CODES_HELP)
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                   help="scenario files, or directories searched recursively for *.yaml (default: scenarios/)")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="override every file's `seeds` (quicker, wider intervals)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="W",
                   help="parallel worker processes (default: 1; same results whatever W)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(handler=cmd_check)


def _add_schema(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of scenario files",
                       description="Print the JSON Schema of scenario files.", epilog=EXIT_CODES_HELP)
    p.set_defaults(handler=cmd_schema)


def _add_explain(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="why did this company die? one run's causal timeline",
                       description="Print one run's debrief: a timeline of what happened and why, "
                       "each line with its month and number; with --seeds, the causes most common "
                       "among the runs that died.", epilog=EXIT_CODES_HELP)
    _add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument("--seed", type=_non_negative_int, default=DEFAULT_SEED, metavar="S")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="run seeds S..S+N-1 and count causes among those that died")
    p.add_argument("--months", type=_positive_int, default=None, metavar="M")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_explain)


def cmd_explain(args: argparse.Namespace) -> int:
    from sim.cli.explain import explain_command

    return explain_command(args.scenario, args.seed, args.months, parse_set(args.sets),
                           args.json, seeds=args.seeds)


def _add_dashboard(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dashboard", help="start the Streamlit workshop dashboard",
                       description=f"Start the workshop dashboard ({DASHBOARD_APP.relative_to(REPO_ROOT)}) "
                       "with Streamlit. Headless (no browser opened) when CI is set or no display is "
                       "available.", epilog=EXIT_CODES_HELP)
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    p.add_argument("--headless", action="store_true", help="do not open a browser, whatever the display")
    p.add_argument("--dry-run", action="store_true", help="print the streamlit command instead of running it")
    p.set_defaults(handler=cmd_dashboard)


def _add_scenario_arg(p: argparse.ArgumentParser, dest: str, metavar: str) -> None:
    p.add_argument(dest, metavar=metavar, help=f"a scenario YAML file, or a preset name ({', '.join(PRESETS)})")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--months", type=_positive_int, default=None, metavar="M",
                   help="horizon in months (default: the scenario's `months`)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a lever by dotted key, value as YAML (repeatable), "
                   "e.g. --set sales.commission_rate=0.05")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="W",
                   help="parallel worker processes for an ensemble (default: 1; same results whatever W)")
    p.add_argument("--json", action="store_true",
                   help="print the summary as JSON (sorted keys; the same seed gives identical output)")


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got '{text}'")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got '{text}'")
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 1-65535, got '{text}'")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None


# ============================================================================================
# Scenarios from arguments
# ============================================================================================

def resolve_scenario(arg: str, sets: Sequence[str] = (), months: int | None = None) -> Scenario:
    """The scenario named by a file path or preset name, with --set and --months applied."""
    path = Path(arg)
    scenario = preset(arg) if arg in PRESETS and not path.exists() else load_scenario(path)
    if sets:
        scenario = scenario.with_overrides(parse_set(list(sets)))
    if months is not None:
        scenario = _with_months(scenario, months)
    return scenario


def _with_months(scenario: Scenario, months: int) -> Scenario:
    try:
        return scenario.with_overrides({"months": months})
    except ScenarioError as err:
        raise ScenarioError(str(err).replace("--set: ", "--months: ", 1)) from None


# ============================================================================================
# sim run
# ============================================================================================

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
        write_outputs(args.out, _run_files(scenario, result), force=args.force)
    if args.json:
        print(to_json(result.summary))
    else:
        print(f"{scenario.name} ({_preset_label(scenario)}), seed {args.seed}, {scenario.months} months")
        print(render_table(_rows(RUN_ROWS, result.summary)))
        _print_written(args.out)
    return EXIT_OK


def _run_ensemble(scenario: Scenario, args: argparse.Namespace) -> int:
    seeds = seed_list(args.seed, args.seeds)
    ensemble = ensemble_for(scenario, seeds, args.workers, quiet=args.json)
    if args.out is not None:
        write_outputs(args.out, _ensemble_files(scenario, ensemble), force=args.force)
    if args.json:
        print(to_json(ensemble.summary))
    else:
        print(f"{scenario.name} ({_preset_label(scenario)}), {len(seeds)} seeds "
              f"({seeds[0]}-{seeds[-1]}), {scenario.months} months")
        print(render_table(_rows(ENSEMBLE_ROWS, ensemble.summary)))
        _print_written(args.out)
    return EXIT_OK


def seed_list(first: int, count: int) -> list[int]:
    """``count`` consecutive seeds starting at ``first``."""
    return list(range(first, first + count))


def ensemble_for(scenario: Scenario, seeds: list[int], workers: int | None, quiet: bool) -> Any:
    """Run the ensemble (a progress bar on stderr on a terminal outside CI, never with --json)."""
    from sim.experiment.ensemble import run_ensemble

    return run_ensemble(scenario, seeds=seeds, workers=workers, progress=False if quiet else None)


RUN_FILES = ("series.csv", "events.csv", "summary.json", "scenario.yaml")
ENSEMBLE_FILES = ("summaries.csv", "bands.csv", "summary.json", "scenario.yaml")


def _run_files(scenario: Scenario, result: Any) -> dict[str, bytes]:
    contents = (_csv(result.series), _csv(result.events), _json_bytes(result.summary), _yaml_bytes(scenario))
    return dict(zip(RUN_FILES, contents, strict=True))


def _ensemble_files(scenario: Scenario, ensemble: Any) -> dict[str, bytes]:
    contents = (_csv(ensemble.summaries), _csv(ensemble.bands), _json_bytes(ensemble.summary),
                _yaml_bytes(scenario))
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


# ============================================================================================
# sim compare
# ============================================================================================

def cmd_compare(args: argparse.Namespace) -> int:
    """`sim compare A B`: both ensembles over the same seeds, side by side, and A-B."""
    a = resolve_scenario(args.scenario_a, args.sets, args.months)
    b = resolve_scenario(args.scenario_b, args.sets, args.months)
    seeds = seed_list(args.seed, args.seeds or max(a.seeds, b.seeds))
    ens_a = ensemble_for(a, seeds, args.workers, quiet=args.json)
    ens_b = ensemble_for(b, seeds, args.workers, quiet=args.json)
    if args.json:
        print(to_json(_compare_json(args, a, b, ens_a.summary, ens_b.summary, seeds)))
        return EXIT_OK
    print(f"A: {a.name} ({args.scenario_a})\nB: {b.name} ({args.scenario_b})")
    print(f"{len(seeds)} seeds each ({seeds[0]}-{seeds[-1]}), same seeds for both; "
          f"{a.months} vs {b.months} months\n")
    print(render_table(compare_rows(ens_a.summary, ens_b.summary)))
    return EXIT_OK


def _compare_json(args: argparse.Namespace, a: Scenario, b: Scenario, sa: dict[str, Any],
                  sb: dict[str, Any], seeds: list[int]) -> dict[str, Any]:
    keys = sorted(set(sa) & set(sb))
    return {
        "seeds": seeds,
        "a": {"source": args.scenario_a, "name": a.name, "summary": sa},
        "b": {"source": args.scenario_b, "name": b.name, "summary": sb},
        "difference": {k: _diff(sa[k], sb[k]) for k in keys},
    }


def _diff(a: Any, b: Any) -> float | None:
    if isinstance(a, bool) or isinstance(b, bool) or not _is_number(a) or not _is_number(b):
        return None
    return float(a) - float(b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def compare_rows(sa: dict[str, Any], sb: dict[str, Any]) -> list[list[str]]:
    """Table rows: metric, A, B, A-B."""
    rows = [["", "A", "B", "A - B"]]
    for label, key, fmt, diff_fmt in COMPARE_ROWS:
        rows.append([label, _cell(sa, key, fmt), _cell(sb, key, fmt),
                     diff_fmt(_diff(sa.get(key), sb.get(key)))])
    return rows


# ============================================================================================
# sim check
# ============================================================================================

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
    files = [_load_check_file(path) for path in scenario_files(args.paths or [DEFAULT_SCENARIO_DIR])]
    reports = [_check_one(item, args) for item in files]
    failed = sum(not r["ok"] for report in reports for r in report["results"])
    gaps = sum(bool(r["gap"]) and r["ok"] for report in reports for r in report["results"])
    total = sum(len(report["results"]) for report in reports)
    seconds = time.perf_counter() - started
    if args.json:
        print(to_json({"files": reports, "assertions": total, "failed": failed, "known_gaps": gaps,
                       "seconds": round(seconds, 1)}))
    else:
        print(f"\n{len(files)} file(s), {total} assertion(s): {total - failed - gaps} hold, "
              f"{gaps} known gap(s) that do not hold yet, {failed} fail ({seconds:.1f} s)")
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


def _check_one(item: CheckFile, args: argparse.Namespace) -> dict[str, Any]:
    """Run the file's ensemble (and each baseline's, over the same seeds) and evaluate."""
    report: dict[str, Any] = {"file": str(item.path), "name": item.scenario.name, "results": []}
    if not item.expectations:
        if not args.json:
            print(f"{item.path}: no expectations")
        return report
    seeds = seed_list(DEFAULT_SEED, args.seeds or item.scenario.seeds)
    report["seeds"] = len(seeds)
    if not args.json:
        print(f"{item.path} ({item.scenario.name}, {len(seeds)} seeds)", flush=True)
    from sim.experiment.expectations import evaluate

    summary = ensemble_for(item.scenario, seeds, args.workers, quiet=args.json).summary
    baselines = {key: ensemble_for(scenario, seeds, args.workers, quiet=args.json).summary
                 for key, scenario in item.baselines.items()}
    for result in evaluate(item.expectations, summary, baselines):
        report["results"].append(result.to_dict())
        if not args.json:
            print(f"  {result.describe()}", flush=True)
    return report


# ============================================================================================
# sim schema, sim dashboard
# ============================================================================================

def cmd_schema(args: argparse.Namespace) -> int:
    """`sim schema`: the JSON Schema of scenario files on stdout."""
    print(json.dumps(json_schema(), indent=JSON_INDENT))
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    """`sim dashboard`: `streamlit run dashboard/app.py`, headless when CI or no display."""
    if not DASHBOARD_APP.is_file():
        raise UsageError(f"{PROG} dashboard: {DASHBOARD_APP}: not found (the dashboard is not installed here)")
    command = dashboard_command(args.port, args.headless or needs_headless())
    if args.dry_run:
        print(" ".join(command))
        return EXIT_OK
    return run_forwarding_signals(command, REPO_ROOT)


def run_forwarding_signals(command: list[str], cwd: Path) -> int:
    """Run ``command`` to its end; a SIGTERM to us is passed on, so no server is left orphaned.

    Ctrl-C reaches the child through the terminal's process group; we just wait for it to stop.
    """
    child = subprocess.Popen(command, cwd=cwd)

    def forward(signum: int, frame: Any) -> None:
        child.send_signal(signum)

    previous = _install_handler(signal.SIGTERM, forward)
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _install_handler(signum: int, handler: Callable[[int, Any], None]) -> Any:
    """Install a signal handler where allowed (main thread only); the previous one, or None."""
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def dashboard_command(port: int, headless: bool) -> list[str]:
    """The streamlit command line for the dashboard."""
    return [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
            "--server.port", str(port), "--server.headless", "true" if headless else "false",
            "--browser.gatherUsageStats", "false"]


def needs_headless(env: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """True under CI, or on Linux/BSD with neither DISPLAY nor WAYLAND_DISPLAY."""
    env = dict(os.environ) if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("CI"):
        return True
    has_display = bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))
    return not has_display and not platform.startswith(("darwin", "win"))


# ============================================================================================
# Output formatting
# ============================================================================================

def to_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, NaN/inf as null, numpy scalars as plain numbers."""
    return json.dumps(_plain(data), sort_keys=True, indent=JSON_INDENT, allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def render_table(rows: list[list[str]]) -> str:
    """Rows of cells as an aligned text table (first column left, the others right)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines)


def money(value: Any) -> str:
    """$1,234,567 (negative: -$1,234)."""
    if not _is_number(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def percent(value: Any) -> str:
    """A share as a whole percentage."""
    return f"{100 * value:.0f}%" if _is_number(value) else MISSING


def yes_no(value: Any) -> str:
    """yes / no / -."""
    return MISSING if value is None else ("yes" if value else "no")


def month(value: Any) -> str:
    """A month number, or - when there is none."""
    return f"{value:.0f}" if _is_number(value) else MISSING


def number(value: Any) -> str:
    """A count or quantity with thousands separators."""
    return f"{value:,.0f}" if _is_number(value) else MISSING


def signed_money(value: float | None) -> str:
    """A difference in dollars with its sign."""
    return MISSING if value is None else ("+" if value >= 0 else "") + money(value)


def signed_points(value: float | None) -> str:
    """A difference of shares in percentage points."""
    return MISSING if value is None else f"{100 * value:+.0f} pp"


def signed_months(value: float | None) -> str:
    """A difference in months."""
    return MISSING if value is None else f"{value:+.0f}"


Formatter = Callable[[Any], str]
Row = tuple[str, str, Formatter]


def _rows(spec: Sequence[Row], summary: dict[str, Any]) -> list[list[str]]:
    return [[label, _cell(summary, key, fmt)] for label, key, fmt in spec]


def _cell(summary: dict[str, Any], key: str, fmt: Formatter) -> str:
    if key in CI_KEYS:
        return with_ci(summary, key)
    return fmt(summary.get(key))


def with_ci(summary: dict[str, Any], key: str) -> str:
    """A rate with its 95% interval: ``22% [11%, 39%]``."""
    stem = CI_KEYS[key]
    low, high = summary.get(f"{stem}_ci_low"), summary.get(f"{stem}_ci_high")
    return f"{percent(summary.get(key))} [{percent(low)}, {percent(high)}]"


CI_KEYS: dict[str, str] = {"survival_rate": "survival", "spiral_rate": "spiral", "pmf_rate": "pmf"}

RUN_ROWS: tuple[Row, ...] = (
    ("survived", "survived", yes_no),
    ("month of death", "month_of_death", month),
    ("final ARR", "final_arr_usd", money),
    ("peak ARR", "peak_arr_usd", money),
    ("cumulative revenue", "cumulative_revenue_usd", money),
    ("profit (revenue - costs)", "profit_usd", money),
    ("final cash", "final_cash_usd", money),
    ("peak monthly burn", "peak_burn_usd", money),
    ("final customers", "final_customers", number),
    ("mean custom share of engineering", "mean_custom_share", percent),
    ("death spiral", "spiral", yes_no),
    ("spiral onset month", "spiral_onset_month", month),
    ("PMF month", "pmf_month", month),
    ("contingent deals accepted", "total_contingent_accepted", number),
    ("contingent deals converted", "total_contingent_converted", number),
    ("commissions paid", "total_commissions_usd", money),
)

ENSEMBLE_ROWS: tuple[Row, ...] = (
    ("survival (95% CI)", "survival_rate", percent),
    ("death spiral (95% CI)", "spiral_rate", percent),
    ("reached PMF (95% CI)", "pmf_rate", percent),
    ("median month of death", "median_month_of_death", month),
    ("median spiral onset month", "median_spiral_onset_month", month),
    ("median PMF month", "median_pmf_month", month),
    ("median final ARR", "median_final_arr_usd", money),
    ("final ARR p10", "p10_final_arr_usd", money),
    ("final ARR p90", "p90_final_arr_usd", money),
    ("median cumulative revenue", "median_cumulative_revenue_usd", money),
    ("median profit", "median_profit_usd", money),
    ("median peak monthly burn", "median_peak_burn_usd", money),
    ("mean custom share of engineering", "mean_custom_share", percent),
)

COMPARE_ROWS: tuple[tuple[str, str, Formatter, Callable[[float | None], str]], ...] = (
    ("survival (95% CI)", "survival_rate", percent, signed_points),
    ("death spiral (95% CI)", "spiral_rate", percent, signed_points),
    ("reached PMF (95% CI)", "pmf_rate", percent, signed_points),
    ("median month of death", "median_month_of_death", month, signed_months),
    ("median PMF month", "median_pmf_month", month, signed_months),
    ("median final ARR", "median_final_arr_usd", money, signed_money),
    ("median cumulative revenue", "median_cumulative_revenue_usd", money, signed_money),
    ("median profit", "median_profit_usd", money, signed_money),
    ("median peak monthly burn", "median_peak_burn_usd", money, signed_money),
    ("mean custom share of engineering", "mean_custom_share", percent, signed_points),
)


if __name__ == "__main__":
    sys.exit(main())
