"""`sim explain`: why one company lived or died (or which causes were common among deaths)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.analysis.debrief import debrief_ensemble, explain_run, render_ensemble_text, render_text

EXIT_OK = 0
EXIT_BAD_INPUT = 2



def explain_command(path: str, seed: int = 0, months: int | None = None,
                    overrides: Mapping[str, Any] | None = None, as_json: bool = False,
                    seeds: int | None = None) -> int:
    """`sim explain SCENARIO --seed S [--months M] [--set k=v ...] [--seeds N] [--json]`.

    ``path``: a scenario file or a preset name. One run (seed ``seed``): print its debrief. With
    ``seeds`` = N: run seeds ``seed`` .. ``seed + N - 1`` and print which causes were most common
    among those that died. Returns the exit code: 0, or 2 for bad input (one line on stderr).
    """
    from sim.config import ScenarioError
    from sim.experiment.runner import run

    try:
        scenario = _scenario(path, months, overrides)
    except ScenarioError as err:
        print(f"sim: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if seeds is not None and seeds < 1:
        print(f"sim: --seeds: expected a whole number >= 1, got {seeds}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if seeds is None:
        debrief = explain_run(run(scenario, seed=seed), name=scenario.name)
        print(json.dumps(debrief.to_dict(), indent=2) if as_json else render_text(debrief))
        return EXIT_OK
    debriefs = [explain_run(run(scenario, seed=s), name=scenario.name) for s in range(seed, seed + seeds)]
    summary = debrief_ensemble(debriefs)
    if as_json:
        print(json.dumps({"scenario": scenario.name, "seeds": list(range(seed, seed + seeds)),
                          **summary.to_dict()}, indent=2))
    else:
        print(f"{scenario.name}, seeds {seed}-{seed + seeds - 1}")
        print(render_ensemble_text(summary))
    return EXIT_OK


def _scenario(path: str, months: int | None, overrides: Mapping[str, Any] | None) -> Any:
    from sim.config import PRESETS, ScenarioError, load_scenario, preset

    scenario = preset(path) if path in PRESETS and not Path(path).exists() else load_scenario(path)
    if overrides:
        scenario = scenario.with_overrides(dict(overrides))
    if months is not None:
        try:
            scenario = scenario.with_overrides({"months": months})
        except ScenarioError as err:
            raise ScenarioError(str(err).replace("--set: ", "--months: ", 1)) from None
    return scenario


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.cli.explain SCENARIO [--seed S] [--months M] [--set k=v ...] [--seeds N] [--json]``."""
    import argparse

    from sim.config import ScenarioError, parse_set

    parser = argparse.ArgumentParser(prog="python -m sim.cli.explain", description=explain_command.__doc__)
    parser.add_argument("scenario")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--months", type=int, default=None)
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        overrides = parse_set(args.sets)
    except ScenarioError as err:
        print(f"sim: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return explain_command(args.scenario, args.seed, args.months, overrides, args.json, seeds=args.seeds)


if __name__ == "__main__":
    raise SystemExit(main())
