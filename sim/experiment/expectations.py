"""The ``expect:`` block of a scenario file: assertions on ensemble metrics.

Two forms of item:

* ``"<metric> <op> <number>"`` - e.g. ``survival_rate < 0.3``, ``median_final_arr_usd > 2e6``;
  the metric is a key of the ensemble summary (``sim.metrics.ENSEMBLE_METRICS``), the operator
  one of ``< <= > >= == !=``.
* ``{vs: <baseline>, check: "<metric> ratio|diff <op> <number>"}`` - compares this scenario's
  metric with a baseline's: ``ratio`` = this / baseline, ``diff`` = this - baseline. ``vs`` is a
  scenario file (relative to this file's folder) or a mapping of dotted overrides applied to this
  same scenario (``{sales.commission_timing: after_pmf}``; nested mappings are flattened to
  dotted keys).

``parse_expectations`` checks the block without running anything and raises ``ScenarioError``
with one line naming file, item (``expect[i]``, counted from 0) and problem. ``evaluate`` takes
already computed ensemble summaries, so running ensembles stays with the caller (the CLI):
group comparison items by ``Expectation.baseline.key``, build each baseline once with
``baseline_scenario`` and pass its summary in ``baselines``.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from sim.analysis.paired import paired_metric
from sim.analysis.summaries import CI_Z, ENSEMBLE_METRICS, RATE_CI_STEMS
from sim.config import Scenario, ScenarioError, dotted_items, load_scenario
from sim.config.hints import did_you_mean
from sim.config.loading import SCENARIO_LIBRARY
from sim.config.safe_yaml import clean

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
COMPARISONS: tuple[str, ...] = ("ratio", "diff")
REQUIRED_KEYS: tuple[str, ...] = ("vs", "check")
MAPPING_KEYS: tuple[str, ...] = (
    *REQUIRED_KEYS,
    "gap",
)  # gap: optional, a claim known not to hold yet

_ABSOLUTE = re.compile(r"^\s*(?P<metric>[^\s<>=!~]+)\s*(?P<op>[<>=!~]+)\s*(?P<number>.*?)\s*$")
_RELATIVE = re.compile(
    r"^\s*(?P<metric>\S+)\s+(?P<mode>[A-Za-z_]+)\s*(?P<op>[<>=!~]+)\s*(?P<number>.*?)\s*$"
)
_ABSOLUTE_FORM = "'<metric> <op> <number>'"
_RELATIVE_FORM = "'<metric> ratio|diff <op> <number>'"


@dataclass(frozen=True)
class Baseline:
    """What a comparison is measured against: a scenario file or overrides of this scenario."""

    path: Path | None = None
    overrides: tuple[tuple[str, Any], ...] = ()
    label: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Hashable identity: items with the same key share one baseline ensemble."""
        if self.path is not None:
            return ("file", str(self.path))
        return ("overrides", repr(self.overrides))


@dataclass(frozen=True)
class Expectation:
    """One parsed ``expect:`` item."""

    source: str
    index: int
    metric: str
    op: str
    threshold: float
    text: str
    comparison: str | None = None
    baseline: Baseline | None = None
    gap: str | None = (
        None  # a claim the model is known not to show yet, and why (strict: see Result.ok)
    )

    @property
    def where(self) -> str:
        return f"{self.source}: expect[{self.index}]"


@dataclass(frozen=True)
class Result:
    """The outcome of one expectation on measured ensemble summaries."""

    expectation: Expectation
    holds: bool
    measured: float | None
    runs: int
    ci: tuple[float, float] | None = None
    this_value: float | None = None
    baseline_value: float | None = None
    baseline_runs: int | None = None
    baseline_ci: tuple[float, float] | None = None
    note: str = ""
    paired: tuple[float, float, float] | None = (
        None  # paired A-B (mean, low, high) over the same seeds
    )

    @property
    def ok(self) -> bool:
        """Passes the check: it holds, or it is a known gap that still does not hold.

        A known gap that starts to hold fails (like a strict xfail), so the file is updated and
        the claim counted again.
        """
        return self.holds != bool(self.expectation.gap)

    def describe(self) -> str:
        """One line: verdict, assertion, measured value, CI for rates and run count."""
        if self.expectation.gap:
            verdict = "GAP CLOSED (remove 'gap:')" if self.holds else "gap  "
            return (
                f"{verdict}  {self.expectation.text}  ({self._detail()}; known gap: "
                f"{self.expectation.gap})"
            )
        verdict = "holds" if self.holds else "FAILS"
        return f"{verdict}  {self.expectation.text}  ({self._detail()})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``--json``)."""
        data = asdict(self)
        data["expectation"] = self.expectation.text
        data["where"] = self.expectation.where
        data["description"] = self.describe()
        data["ok"] = self.ok
        data["gap"] = self.expectation.gap
        return data

    def _detail(self) -> str:
        metric = self.expectation.metric
        if self.measured is None:
            return f"not measured: {self.note}, {self.runs} runs"
        if self.expectation.comparison is None:
            ci = f", {_ci_label()} {_fmt_ci(self.ci)}" if self.ci else ""
            return f"measured {_fmt(metric, self.measured)}{ci}, {self.runs} runs"
        both = f"{_fmt(metric, self.this_value)} vs {_fmt(metric, self.baseline_value)}"
        ci = (
            f", {_ci_label()}s {_fmt_ci(self.ci)} and {_fmt_ci(self.baseline_ci)}"
            if self.ci and self.baseline_ci
            else ""
        )
        measured = (
            _fmt(metric, self.measured)
            if self.expectation.comparison == "diff"
            else f"{self.measured:.3g}"
        )
        paired = ""
        if self.paired is not None:
            mean, low, high = self.paired
            paired = (
                f"; paired A-B {_fmt(metric, mean)} [{_fmt(metric, low)}, "
                f"{_fmt(metric, high)}] over the same seeds"
            )
        return f"measured {measured}: {both}{ci}, {self.runs} and {self.baseline_runs} runs{paired}"


# ============================================================================================
# Parsing
# ============================================================================================


def parse_expectations(items: list[Any], source: str) -> list[Expectation]:
    """Parse a scenario's ``expect:`` list; ``source`` is the scenario file (for messages and ``vs``
    paths)."""
    if not isinstance(items, list):
        raise ScenarioError(
            f"{source}: expect: expected a list of assertions, got {_type_name(items)}"
        )
    return [_parse_item(item, source, index) for index, item in enumerate(items)]


def _parse_item(item: Any, source: str, index: int) -> Expectation:
    where = f"{source}: expect[{index}]"
    if isinstance(item, str):
        return _parse_absolute(item, source, index, where)
    if isinstance(item, Mapping):
        if "vs" not in item and not _names_a_comparison(item.get("check")):
            return _parse_absolute_mapping(item, source, index, where)
        return _parse_comparison(item, source, index, where)
    raise ScenarioError(
        f"{where}: expected {_ABSOLUTE_FORM} or a mapping with 'check' (and 'vs' to compare), "
        f"got {_type_name(item)}"
    )


def _names_a_comparison(check: Any) -> bool:
    """Whether a ``check:`` text reads '<metric> ratio|diff ...' (then it needs a 'vs')."""
    match = _RELATIVE.match(check) if isinstance(check, str) else None
    return match is not None and match["mode"] in COMPARISONS


def _parse_absolute_mapping(
    item: Mapping[str, Any], source: str, index: int, where: str
) -> Expectation:
    """``{check: '<metric> <op> <number>', gap: ...}``: an absolute claim known not to hold."""
    for key in item:
        if key not in ("check", "gap"):
            raise ScenarioError(
                f"{where}: unknown key '{key}'{did_you_mean(str(key), MAPPING_KEYS)}"
            )
    if "check" not in item:
        raise ScenarioError(
            f"{where}: missing 'check' (a claim needs 'check', and 'vs' to compare)"
        )
    check = item["check"]
    if not isinstance(check, str):
        raise ScenarioError(f"{where}: check: expected {_ABSOLUTE_FORM}, got {_type_name(check)}")
    claim = _parse_absolute(check, source, index, f"{where}: check")
    return replace(claim, gap=_gap(item, where))


def _parse_absolute(text: str, source: str, index: int, where: str) -> Expectation:
    match = _ABSOLUTE.match(text)
    if match is None:
        raise ScenarioError(f"{where}: expected {_ABSOLUTE_FORM}, got '{text.strip()}'")
    metric = _metric(match["metric"], where)
    op = _operator(match["op"], where)
    threshold = _number(match["number"], op, where)
    return Expectation(source, index, metric, op, threshold, f"{metric} {op} {match['number']}")


def _parse_comparison(item: Mapping[str, Any], source: str, index: int, where: str) -> Expectation:
    _check_mapping_keys(item, where)
    check = item["check"]
    if not isinstance(check, str):
        raise ScenarioError(f"{where}: check: expected {_RELATIVE_FORM}, got {_type_name(check)}")
    match = _RELATIVE.match(check)
    if match is None:
        raise ScenarioError(f"{where}: check: expected {_RELATIVE_FORM}, got '{check.strip()}'")
    metric = _metric(match["metric"], f"{where}: check")
    mode = _comparison(match["mode"], f"{where}: check")
    op = _operator(match["op"], f"{where}: check")
    threshold = _number(match["number"], op, f"{where}: check")
    baseline = _baseline(item["vs"], source, f"{where}: vs")
    text = f"{metric} {mode} {op} {match['number']} vs {baseline.label}"
    gap = _gap(item, where)
    return Expectation(
        source,
        index,
        metric,
        op,
        threshold,
        text,
        mode,
        baseline,
        gap=gap,
    )


def _gap(item: Mapping[str, Any], where: str) -> str | None:
    """The item's ``gap:`` sentence (whitespace folded), or None."""
    gap = item.get("gap")
    if gap is not None and (not isinstance(gap, str) or not gap.strip()):
        raise ScenarioError(
            f"{where}: gap: expected a sentence saying why the model does not show this yet"
        )
    return " ".join(gap.split()) if gap else None


def _check_mapping_keys(item: Mapping[str, Any], where: str) -> None:
    for key in item:
        if key not in MAPPING_KEYS:
            raise ScenarioError(
                f"{where}: unknown key '{key}'{did_you_mean(str(key), MAPPING_KEYS)}"
            )
    for key in REQUIRED_KEYS:
        if key not in item:
            raise ScenarioError(
                f"{where}: missing '{key}' (a comparison needs both 'vs' and 'check')"
            )


def _metric(name: str, where: str) -> str:
    if name in ENSEMBLE_METRICS:
        return name
    hint = did_you_mean(name, ENSEMBLE_METRICS) or f" (known: {', '.join(ENSEMBLE_METRICS)})"
    raise ScenarioError(f"{where}: unknown metric '{name}'{hint}")


def _operator(op: str, where: str) -> str:
    if op in OPERATORS:
        return op
    raise ScenarioError(f"{where}: unknown operator '{op}' (use one of {', '.join(OPERATORS)})")


def _comparison(mode: str, where: str) -> str:
    if mode in COMPARISONS:
        return mode
    hint = did_you_mean(mode, COMPARISONS) or " (use ratio or diff)"
    raise ScenarioError(f"{where}: unknown comparison '{mode}'{hint}")


def _number(text: str, op: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        got = f"'{text}'" if text else "nothing"
        raise ScenarioError(f"{where}: expected a number after '{op}', got {got}")
    return value


def _baseline(vs: Any, source: str, where: str) -> Baseline:
    if isinstance(vs, str) and vs.strip():
        return Baseline(path=_baseline_path(vs.strip(), source, where), label=vs.strip())
    if isinstance(vs, Mapping) and vs:
        flat = dotted_items(vs)
        label = ", ".join(f"{key}={value}" for key, value in flat)
        return Baseline(overrides=flat, label=f"{{{label}}}")
    raise ScenarioError(
        f"{where}: expected a scenario file path or a mapping of dotted overrides, got "
        f"{_describe_value(vs)}"
    )


def _baseline_path(vs: str, source: str, where: str) -> Path:
    """The baseline file ``vs`` names, relative to the scenario's folder; it must stay inside
    that folder's tree or the scenario library (after following symlinks), so a scenario - or an
    uploaded one - cannot make `sim` read and echo any other file on the machine."""
    folder = Path(source).parent
    path = folder / vs
    resolved = path.resolve()
    roots = [folder.resolve(), SCENARIO_LIBRARY.resolve()]
    if not any(resolved.is_relative_to(root) for root in roots):
        raise ScenarioError(
            f"{where}: '{clean(vs)}' is outside the scenario's folder ({clean(folder, 80)}/) and "
            "the scenario library: a baseline must be a file beside the scenario or below it"
        )
    return path


def _type_name(value: Any) -> str:
    return {list: "a list", dict: "a mapping", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def _describe_value(value: Any) -> str:
    if isinstance(value, (str, Mapping)):
        return "an empty value"
    return _type_name(value)


# ============================================================================================
# Baselines
# ============================================================================================


def baseline_scenario(expectation: Expectation, scenario: Scenario) -> Scenario:
    """The scenario a comparison item is measured against (its file, or ``scenario`` overridden).

    Errors (missing file, invalid baseline, unknown override key) raise ``ScenarioError`` naming
    the item: ``file: expect[1]: vs: ...``.
    """
    baseline = expectation.baseline
    if baseline is None:
        raise ValueError(f"{expectation.where}: not a comparison")
    try:
        if baseline.path is not None:
            return load_scenario(baseline.path)
        return scenario.with_overrides(dict(baseline.overrides))
    except ScenarioError as err:
        raise ScenarioError(f"{expectation.where}: vs: {err}") from None


# ============================================================================================
# Evaluation
# ============================================================================================


def evaluate(
    expectations: list[Expectation],
    summary: Mapping[str, Any],
    baselines: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    runs: Sequence[Mapping[str, Any]] | None = None,
    baseline_runs: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None = None,
) -> list[Result]:
    """Check each expectation against this scenario's ensemble ``summary``.

    ``baselines`` maps ``Expectation.baseline.key`` to the baseline's ensemble summary; it must
    hold one for every comparison item. With the per-seed run summaries of both sides (``runs``,
    ``baseline_runs``, same seeds in the same order) a ``diff`` comparison also reports its
    paired interval.
    """
    baselines = baselines or {}
    results = []
    for expectation in expectations:
        if expectation.baseline is None:
            results.append(evaluate_one(expectation, summary))
            continue
        if expectation.baseline.key not in baselines:
            raise KeyError(
                f"{expectation.where}: no baseline summary for {expectation.baseline.label}"
            )
        result = evaluate_one(expectation, summary, baselines[expectation.baseline.key])
        other = (baseline_runs or {}).get(expectation.baseline.key)
        if expectation.comparison == "diff" and runs is not None and other is not None:
            result = replace(result, paired=paired_metric(expectation.metric, runs, other))
        results.append(result)
    return results


def evaluate_one(
    expectation: Expectation, summary: Mapping[str, Any], baseline: Mapping[str, Any] | None = None
) -> Result:
    """Check one expectation (a comparison needs the baseline's ensemble summary)."""
    if expectation.comparison is None:
        return _evaluate_absolute(expectation, summary)
    if baseline is None:
        raise ValueError(f"{expectation.where}: a comparison needs the baseline's summary")
    return _evaluate_comparison(expectation, summary, baseline)


def _evaluate_absolute(expectation: Expectation, summary: Mapping[str, Any]) -> Result:
    value = _value(summary, expectation.metric)
    runs = int(summary["runs"])
    if value is None:
        return Result(expectation, False, None, runs, note=_no_value_note(expectation.metric))
    holds = OPERATORS[expectation.op](value, expectation.threshold)
    return Result(expectation, holds, value, runs, ci=_rate_ci(summary, expectation.metric))


def _evaluate_comparison(
    expectation: Expectation, summary: Mapping[str, Any], baseline: Mapping[str, Any]
) -> Result:
    this, base = _value(summary, expectation.metric), _value(baseline, expectation.metric)
    common = {
        "runs": int(summary["runs"]),
        "this_value": this,
        "baseline_value": base,
        "baseline_runs": int(baseline["runs"]),
        "ci": _rate_ci(summary, expectation.metric),
        "baseline_ci": _rate_ci(baseline, expectation.metric),
    }
    if this is None or base is None:
        note = _no_value_note(expectation.metric) + (" in the baseline" if base is None else "")
        return Result(expectation, False, None, note=note, **common)
    if expectation.comparison == "ratio" and base == 0:
        return Result(expectation, False, None, note="baseline is 0, ratio undefined", **common)
    measured = this / base if expectation.comparison == "ratio" else this - base
    return Result(
        expectation, OPERATORS[expectation.op](measured, expectation.threshold), measured, **common
    )


def _value(summary: Mapping[str, Any], metric: str) -> float | None:
    value = summary.get(metric)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _rate_ci(summary: Mapping[str, Any], metric: str) -> tuple[float, float] | None:
    stem = RATE_CI_STEMS.get(metric)
    if stem is None:
        return None
    low, high = summary.get(f"{stem}_ci_low"), summary.get(f"{stem}_ci_high")
    return None if low is None or high is None else (float(low), float(high))


def _no_value_note(metric: str) -> str:
    return f"no value for {metric} in this ensemble (e.g. no run died or reached it)"


# ============================================================================================
# Formatting
# ============================================================================================

LARGE_NUMBER = 1_000  # at or above this, values print with thousands separators and no decimals


def _fmt(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric in RATE_CI_STEMS:
        return _rate(value)
    return f"{value:,.0f}" if abs(value) >= LARGE_NUMBER else f"{value:.3g}"


RATE_EXACT = 5e-4
"""How close two decimals must come to a rate for ``_rate`` to print two (half of 0.001)."""


def _rate(value: float) -> str:
    """A rate to two decimals when that is exact to a tenth of a point (0.12 of 50 runs), else
    three: "-0.078" for 10 of 128, where two decimals printed a failing "diff < -0.08" as
    "measured -0.08", and "0.021: 0.375 vs 0.354" that read "0.02: 0.38 vs 0.35"."""
    two = f"{value:.2f}"
    return two if abs(float(two) - value) < RATE_EXACT else f"{value:.3f}"


def _fmt_ci(ci: tuple[float, float] | None) -> str:
    return "n/a" if ci is None else f"{ci[0]:.2f}-{ci[1]:.2f}"


def _ci_label() -> str:
    from scipy.stats import norm  # here, not at import: scipy.stats costs ~0.5 s

    return f"{round(100 * (2 * float(norm.cdf(CI_Z)) - 1))}% CI"
