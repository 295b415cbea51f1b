"""`sim report SCENARIO [--vs B] --out FILE.html`: a self-contained HTML report to take home.

Three kinds, by the options given:

* no ``--vs``, no ``--seeds``: one company (seed ``--seed``, default 0) up close: its verdict,
  the loop attribution, the summary table, the debrief story (`sim explain`) and the One-run
  charts;
* no ``--vs``, ``--seeds N``: the scenario over N seeds (S..S+N-1): survival and spiral rates with
  their intervals, the bands charts and the causes of death; then the first of those companies
  (seed S) up close, as above;
* ``--vs B``: A against B over the same seeds (``--seeds``, default: the larger ``seeds`` of the
  two, as `sim compare`): the KPI table with `sim compare --json`'s numbers (paired A-B
  difference and interval), the levers that differ, the bands charts, the causes of death.
  B is a scenario file or preset name (``--set`` and ``--months`` apply to both sides, as in
  `sim compare`), or a YAML mapping of dotted overrides of A: ``--vs '{sales.commission_rate:
  0.02}'``.

The file is written atomically; like every `--out` of `sim`, the folder's ``.sim-run`` manifest
records what `sim` wrote, and an existing file `sim` did not write (or one edited since) is not
replaced without ``--force``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.common import (
    DEFAULT_SEED,
    EXIT_CODES_HELP,
    EXIT_OK,
    PROG,
    SubParsers,
    UsageError,
    add_common,
    add_scenario_arg,
    ensemble_for,
    resolve_scenario,
    seed_count,
    seed_list,
    seed_value,
)
from sim.cli.outputs import MANIFEST_NAME, check_outputs, write_outputs
from sim.config import PRESETS, Scenario, ScenarioError, dotted_items
from sim.config.hints import did_you_mean
from sim.config.safe_yaml import clean
from sim.report.text import to_json

HTML_SUFFIXES = (".html", ".htm")
NAME_LIMIT = 120  # the schema's limit on a scenario name


def add_parser(sub: SubParsers) -> None:
    """Register `sim report`."""
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of a run or a comparison",
        description="Write one HTML file to take home: one run (default: seed 0), the "
        "scenario over --seeds N, or A against B with --vs. It opens in any browser with no "
        "network (plotly.js is inside the file).",
        epilog=EXIT_CODES_HELP,
    )
    add_scenario_arg(p, "scenario", "SCENARIO")
    p.add_argument(
        "--vs",
        default=None,
        metavar="B",
        help="compare with B over the same seeds: a scenario file, a preset name, or a YAML "
        "mapping of dotted overrides of SCENARIO, e.g. --vs '{sales.commission_rate: 0.02}'",
    )
    p.add_argument(
        "--out",
        type=html_file,
        required=True,
        metavar="FILE.html",
        help="the file to write (atomically; its folder is created if missing). sim records what "
        f"it wrote in the folder's {MANIFEST_NAME}; an existing file it did not write, or one "
        "edited since, is not replaced without --force",
    )
    p.add_argument(
        "--seeds",
        type=seed_count,
        default=None,
        metavar="N",
        help="seeds per side (S..S+N-1). Without --vs: report the scenario over N seeds, then "
        "seed S up close (default: one run). With --vs: default the larger `seeds` of the two",
    )
    p.add_argument(
        "--seed",
        type=seed_value,
        default=DEFAULT_SEED,
        metavar="S",
        help="the run's seed, or the first seed (default 0)",
    )
    add_common(p)
    for action in p._actions:
        if action.dest == "json":
            action.help = "print where the file was written and what it holds, as JSON"
    p.add_argument("--force", action="store_true", help="replace a file sim did not write")
    p.set_defaults(handler=cmd_report)


def html_file(text: str) -> Path:
    """argparse type of --out: a file path ending in .html (or .htm)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a file name ending in .html, got an empty one")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("the path contains a NUL character")
    path = Path(text)
    if text.endswith(("/", "\\")) or path.suffix.lower() not in HTML_SUFFIXES:
        raise argparse.ArgumentTypeError(
            f"expected a file name ending in .html, got '{clean(text, 80)}'"
        )
    return path


def cmd_report(args: argparse.Namespace) -> int:
    """`sim report`: compute what the report needs, write it, say where and what."""
    html = _html_module()
    a = resolve_scenario(args.scenario, args.sets, args.months)
    b = _vs_scenario(args.vs, a, args) if args.vs is not None else None
    folder, name = args.out.parent, args.out.name
    check_outputs(folder, [name], force=args.force)  # a bad --out fails before the model runs
    if b is not None:
        report, seeds = _comparison(html, a, b, args)
    elif args.seeds is not None:
        report, seeds = _ensemble(html, a, args)
    else:
        report, seeds = _one_run(html, a, args), [args.seed]
    data = report.to_bytes()
    write_outputs(folder, {name: data}, force=args.force)
    if args.json:
        print(
            to_json(
                {"path": str(args.out), "bytes": len(data), "seeds": seeds, **report.contents()}
            )
        )
    else:
        print(
            f"wrote {args.out}: {_kind_words(report.kind)}, {len(report.figures)} charts, "
            f"{len(data) / 1e6:.1f} MB (opens in any browser, no network needed)"
        )
    return EXIT_OK


def _html_module() -> Any:
    try:
        from sim.report import html
    except ImportError as err:  # plotly is the dashboard extra
        raise UsageError(f"{PROG} report: {err}") from None
    return html


def _vs_scenario(text: str, a: Scenario, args: argparse.Namespace) -> Scenario:
    """B: a file or preset name (with --set and --months), or a mapping of overrides of A."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(
            f"{PROG} report: --vs: expected a scenario file, a preset name or a "
            "mapping of overrides, got an empty value"
        )
    if stripped.startswith("{") and not Path(text).exists():
        return _overridden(stripped, a)
    if stripped.lower().replace("-", "_") not in PRESETS and not Path(text).exists():
        hint = did_you_mean(stripped.lower().replace("-", "_"), PRESETS).strip(" ()")
        hint = f"{hint}; " if hint else ""
        raise ScenarioError(
            f"--vs {clean(text, 80)}: no such scenario file or preset ({hint}"
            f"presets: {', '.join(PRESETS)}; overrides of SCENARIO are written as a mapping, "
            "e.g. --vs '{sales.commission_rate: 0.02}')"
        )
    return resolve_scenario(text, args.sets, args.months)


def _overridden(text: str, a: Scenario) -> Scenario:
    from sim.config.safe_yaml import load_yaml

    try:
        mapping = load_yaml(text, "--vs")
    except ScenarioError as err:
        raise ScenarioError(str(err) if str(err).startswith("--vs") else f"--vs: {err}") from None
    if not isinstance(mapping, dict) or not mapping:
        raise ScenarioError(
            "--vs: expected a mapping of dotted overrides, e.g. '{sales.commission_rate: 0.02}'"
        )
    flat = dict(dotted_items(mapping))
    try:
        b = a.with_overrides(flat)
    except ScenarioError as err:
        raise ScenarioError(
            f"--vs: {str(err).removeprefix('--set: ').removeprefix('--set ')}"
        ) from None
    if "name" not in flat:
        label = ", ".join(f"{k}={v}" for k, v in flat.items())
        b = b.with_overrides({"name": f"{a.name} with {label}"[:NAME_LIMIT]})
    return b


def _one_run(html: Any, scenario: Scenario, args: argparse.Namespace) -> Any:
    from sim.experiment.runner import run

    result = run(scenario, seed=args.seed)
    return html.run_report(
        scenario, result, source=args.scenario, counterfactual=_counterfactual(scenario, result)
    )


def _counterfactual(scenario: Scenario, result: Any) -> Any:
    """The same seed with the pressure link cut, when the run died with the link live."""
    if result.summary.get("counterfactual_survived") is None:
        return None
    from sim.experiment.runner import counterfactual

    return counterfactual(scenario, result.seed).series


def _ensemble(html: Any, scenario: Scenario, args: argparse.Namespace) -> tuple[Any, list[int]]:
    from sim.experiment.runner import run

    seeds = seed_list(args.seed, args.seeds)
    ensemble = ensemble_for(scenario, seeds, args.workers, args.json, args.scheduler)
    side = html.Side("A", scenario, ensemble, ensemble_debrief(scenario, ensemble), args.scenario)
    first = run(scenario, seed=seeds[0])
    report = html.comparison_report(
        [side], run=first, counterfactual=_counterfactual(scenario, first)
    )
    return report, seeds


def _comparison(
    html: Any, a: Scenario, b: Scenario, args: argparse.Namespace
) -> tuple[Any, list[int]]:
    from sim.report.text import compare_data, paired_table

    seeds = seed_list(args.seed, args.seeds or max(a.seeds, b.seeds))
    ens_a = ensemble_for(a, seeds, args.workers, args.json, args.scheduler)
    ens_b = ensemble_for(b, seeds, args.workers, args.json, args.scheduler)
    paired = paired_table(ens_a.summaries.to_dict("records"), ens_b.summaries.to_dict("records"))
    data = compare_data(
        (args.scenario, args.vs), (a.name, b.name), (ens_a.summary, ens_b.summary), seeds, paired
    )
    sides = [
        html.Side("A", a, ens_a, ensemble_debrief(a, ens_a), args.scenario),
        html.Side("B", b, ens_b, ensemble_debrief(b, ens_b), args.vs),
    ]
    return html.comparison_report(sides, compare_data=data), seeds


def ensemble_debrief(scenario: Scenario, ensemble: Any) -> Any:
    """Which causes were most common among the ensemble's deaths, as `sim explain --seeds`
    counts them. Causes are counted over the runs that died only, and some read the event log
    (which ensemble runs do not carry), so each dead seed is rerun with its events; a survivor's
    debrief (it counts towards the runs and the spirals) reads its stored series."""
    from sim.analysis.debrief import debrief_ensemble, explain_run
    from sim.experiment.runner import run

    survived = dict(zip(ensemble.summaries["seed"], ensemble.summaries["survived"], strict=True))
    debriefs = []
    for index, seed in enumerate(ensemble.seeds):
        result = (
            ensemble.runs[index]
            if survived[seed]
            else run(scenario, seed=int(seed), attribute=False)
        )
        debriefs.append(explain_run(result, name=scenario.name))
    return debrief_ensemble(debriefs)


def _kind_words(kind: str) -> str:
    return {
        "run": "one company up close",
        "ensemble": "the scenario over many seeds, then one company up close",
        "comparison": "A against B over the same seeds",
        "workshop": "a workshop",
    }.get(kind, kind)
