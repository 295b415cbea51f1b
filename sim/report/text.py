"""Text output: deterministic JSON and the aligned summary tables printed by `sim run` / `compare`.

The number formatters themselves live in ``sim.analysis.units`` (one home for money and percent);
this module arranges them into rows and tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sim.analysis.paired import PAIRED_MEDIANS, PAIRED_METRICS, paired_metric, paired_sides
from sim.analysis.units import (
    MISSING,
    half_up,
    is_number,
    money,
    money_short,
    month,
    number,
    percent,
    shown_pair,
    signed_money,
    signed_months,
    signed_points,
    yes_no,
)

JSON_INDENT = 2

Formatter = Callable[[Any], str]
Row = tuple[str, str, Formatter]


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


def summary_rows(spec: Sequence[Row], summary: dict[str, Any]) -> list[list[str]]:
    """Table rows ``[label, value]`` for a summary, one per entry of ``spec``."""
    return [[label, cell(summary, key, fmt)] for label, key, fmt in spec]


def cell(summary: dict[str, Any], key: str, fmt: Formatter) -> str:
    """One formatted value; rates with a confidence interval show it."""
    if key in CI_KEYS:
        return with_ci(summary, key)
    return fmt(summary.get(key))


def with_ci(summary: dict[str, Any], key: str) -> str:
    """A rate with its 95% interval: ``22% [11%, 39%]``."""
    stem = CI_KEYS[key]
    low, high = summary.get(f"{stem}_ci_low"), summary.get(f"{stem}_ci_high")
    return f"{percent(summary.get(key))} [{percent(low)}, {percent(high)}]"


def difference(a: Any, b: Any) -> float | None:
    """``a - b`` when both are finite numbers (not bools), else None."""
    if isinstance(a, bool) or isinstance(b, bool) or not is_number(a) or not is_number(b):
        return None
    return float(a) - float(b)


def paired_table(
    runs_a: Sequence[dict[str, Any]], runs_b: Sequence[dict[str, Any]]
) -> dict[str, dict[str, float] | None]:
    """The paired A-B difference (``mean``, ``low``, ``high``: a 95% t interval over the seeds)
    of every ensemble metric that has a per-run counterpart (``PAIRED_METRICS``), and of the
    medians in ``PAIRED_MEDIANS`` (``mean`` is then the difference of the medians, the interval a
    paired bootstrap); None where fewer than two seeds have both values. ``seeds`` is how many
    seeds have both values, ``a`` and ``b`` each side's mean (median) on those seeds, so that
    ``a - b`` is ``mean``. ``runs_a`` / ``runs_b``: the two sides' run summaries, the same seeds
    in the same order."""
    out: dict[str, dict[str, float] | None] = {}
    for metric in (*PAIRED_METRICS, *PAIRED_MEDIANS):
        value = paired_metric(metric, list(runs_a), list(runs_b))
        sides = paired_sides(metric, list(runs_a), list(runs_b))
        if value is None or sides is None:
            out[metric] = None
            continue
        out[metric] = dict(zip(("mean", "low", "high"), value, strict=True))
        out[metric] |= dict(zip(("seeds", "a", "b"), sides, strict=True))
    return out


def _signed_money_short(value: float | None) -> str:
    return MISSING if value is None else ("+" if value >= 0 else "") + money_short(value, 2)


def _signed_fit(value: float | None) -> str:
    return MISSING if value is None else f"{value:+.3f}"


def _signed_count(value: float | None) -> str:
    return MISSING if value is None else f"{value:+.1f}"


def _signed_ratio(value: float | None) -> str:
    return MISSING if value is None else f"{value:+.2f}"


PAIRED_ROWS: tuple[tuple[str, str, Callable[[float | None], str], tuple[float, float] | None]] = (
    ("survival", "survival_rate", signed_points, (-1.0, 1.0)),
    ("death spiral signature", "spiral_rate", signed_points, (-1.0, 1.0)),
    ("died through the pressure loop", "loop_attributable_rate", signed_points, (-1.0, 1.0)),
    ("mean custom share of engineering", "mean_custom_share", signed_points, (-1.0, 1.0)),
    ("mean final ARR", "mean_final_arr_usd", _signed_money_short, None),
    ("mean bookings, first 12 months", "mean_bookings_12m_usd", _signed_money_short, None),
    ("mean revenue, first 12 months", "mean_revenue_12m_usd", _signed_money_short, None),
    ("mean cumulative revenue", "mean_cumulative_revenue_usd", _signed_money_short, None),
    ("mean product fit (0-1)", "mean_product_fit", _signed_fit, (-1.0, 1.0)),
    ("mean fit over the rival's", "mean_relative_fit", _signed_fit, None),
    ("median profit / revenue (ratio)", "median_profit_margin", _signed_ratio, None),
    ("mean promises broken (count)", "mean_promises_broken", _signed_count, None),
    ("contingent deals converted", "mean_contingent_conversion_rate", signed_points, (-1.0, 1.0)),
    ("custom work overrun (ratio)", "mean_custom_overrun_ratio", _signed_fit, None),
)
"""The paired block of `sim compare`: label, metric, formatter of a difference, and the range a
difference can take (a t interval past it is clipped: a survival difference cannot exceed 100
points). Profit / revenue per run reads as a ratio, not in points: with little revenue it runs to
-5 or -10, and "-434 pp" says nothing a reader can use. Its row is the difference of the two
medians with a paired bootstrap interval (``PAIRED_MEDIANS``): the mean is the metric claims
use, but one company that died with little revenue can outweigh thirty that did not, so
printed it ranked a product-led company below a sales-led one (see ``NOT_PRINTED``)."""

NOT_PRINTED: frozenset[str] = frozenset({"mean_profit_margin"})
"""Paired metrics kept in ``--json`` and for scenario claims but not printed in the tables:
``mean_profit_margin`` (sales-led -6.57 against product-led -7.09 on seeds 0-31, where the
medians read -5.50 against -0.22: a few product-led runs with almost no revenue carry the
mean)."""


def paired_rows(
    paired: dict[str, dict[str, float] | None], seeds: int | None = None
) -> list[list[str]]:
    """Rows ``[label, A - B, 95% interval]`` for the metrics that have a paired value; a row
    over fewer than all ``seeds`` (a rate only some runs have) says over how many."""
    rows = [["", "A - B", "95% interval"]]
    for label, key, fmt, bounds in PAIRED_ROWS:
        value = paired.get(key)
        if value is None:
            continue
        low, high = value["low"], value["high"]
        if bounds is not None:
            low, high = max(low, bounds[0]), min(high, bounds[1])
        label += subset_note(value, seeds)
        rows.append([label, fmt(value["mean"]), f"{fmt(low)} ... {fmt(high)}"])
    return rows


def subset_note(value: Mapping[str, Any], seeds: int | None) -> str:
    """`` (7 of 16 seeds)`` when a paired difference is over fewer seeds than were run (the
    seeds where both sides have the value), else nothing."""
    paired_seeds = value.get("seeds")
    if seeds is None or paired_seeds is None or paired_seeds >= seeds:
        return ""
    return f" ({paired_seeds} of {seeds} seeds)"


def compare_data(
    sources: tuple[str, str],
    names: tuple[str, str],
    summaries: tuple[dict[str, Any], dict[str, Any]],
    seeds: Sequence[int],
    paired: dict[str, dict[str, float] | None],
) -> dict[str, Any]:
    """What `sim compare --json` prints: the seeds, each side's source, name and ensemble
    summary, the plain difference A-B of every shared number and the paired differences."""
    sa, sb = summaries
    keys = sorted(set(sa) & set(sb))
    return {
        "seeds": list(seeds),
        "a": {"source": sources[0], "name": names[0], "summary": sa},
        "b": {"source": sources[1], "name": names[1], "summary": sb},
        "difference": {k: difference(sa[k], sb[k]) for k in keys},
        "paired": paired,
    }


def compare_rows(sa: dict[str, Any], sb: dict[str, Any]) -> list[list[str]]:
    """Table rows: metric, A, B, A-B; each row adds up as printed (``compare_cells``)."""
    rows = [["", "A", "B", "A - B"]]
    for label, key, kind in COMPARE_ROWS:
        rows.append([label, *compare_cells(sa, sb, key, kind)])
    return rows


MEDIAN_OVER: dict[str, tuple[str, bool, str]] = {
    "median_month_of_death": ("survival_rate", True, "died"),
    "median_pmf_month": ("pmf_rate", False, "reached it"),
}
"""Medians taken over only some of a side's runs (``month_of`` rows): the rate that says which
(its complement when the flag is set) and the words for them. Each side shows how many runs its
median is over, and the row has no A - B: two medians over different companies (21 sales-led
deaths against 6 product-led ones) are not a difference of anything; "+25.5" read as sales-led
companies living longer (as the dashboard's cards, which never subtract them)."""


def _median_over(summary: dict[str, Any], key: str) -> str:
    """`` (21 died)``: how many of the side's runs a ``MEDIAN_OVER`` median is over."""
    rate_key, complement, words = MEDIAN_OVER[key]
    runs, rate = summary.get("runs"), summary.get(rate_key)
    if not is_number(runs) or not is_number(rate):
        return ""
    share = 1.0 - float(rate) if complement else float(rate)
    return f" ({round(share * float(runs))} {words})"


def compare_cells(sa: dict[str, Any], sb: dict[str, Any], key: str, kind: str) -> list[str]:
    """A, B and A - B of one summary number, formatted by ``kind`` (``COMPARE_KINDS``) so that
    the printed A - B is the printed A less the printed B: both sides are rounded first and the
    difference is taken of the rounded values. Rates and shares are whole percentages unless
    that would not add up (8% and 17% for 8.3% and 16.7%: then one decimal, -8.3 pp); months
    are whole or to one decimal (a median can be 32.5); money is whole dollars; ratios have two
    decimals. A side without a value shows ``-``, and so does the difference."""
    a, b = sa.get(key), sb.get(key)
    if kind == "month_of":
        return [
            month(a) + _median_over(sa, key) if is_number(a) else MISSING,
            month(b) + _median_over(sb, key) if is_number(b) else MISSING,
            MISSING,
        ]
    if difference(a, b) is None:
        single = COMPARE_KINDS[kind]
        return [cell(sa, key, single), cell(sb, key, single), MISSING]
    a, b = float(a), float(b)
    if kind == "percent":
        shown_a, shown_b, diff, places = shown_pair(100 * a, 100 * b, (0, 1))
        text_a, text_b = f"{shown_a:.{places}f}%", f"{shown_b:.{places}f}%"
        if key in CI_KEYS:
            text_a += _ci(sa, key, places)
            text_b += _ci(sb, key, places)
        return [text_a, text_b, f"{diff:+.{places}f} pp"]
    if kind == "month":
        shown_a, shown_b, diff, _ = shown_pair(a, b, (1,))
        return [month(shown_a), month(shown_b), signed_months(diff)]
    if kind == "money":
        shown_a, shown_b, diff, _ = shown_pair(a, b, (0,))
        return [money(shown_a), money(shown_b), signed_money(diff)]
    if kind == "ratio":
        shown_a, shown_b, diff, _ = shown_pair(a, b, (2,))
        return [f"{shown_a:.2f}", f"{shown_b:.2f}", f"{diff:+.2f}"]
    raise ValueError(f"unknown kind of compare row: {kind!r}")


def _ci(summary: dict[str, Any], key: str, places: int) -> str:
    """`` [11%, 39%]``: a rate's 95% interval at ``places`` decimals (as its point value)."""
    stem = CI_KEYS[key]
    low, high = summary.get(f"{stem}_ci_low"), summary.get(f"{stem}_ci_high")
    if not (is_number(low) and is_number(high)):
        return f" [{MISSING}, {MISSING}]"
    return f" [{half_up(100 * low, places):.{places}f}%, {half_up(100 * high, places):.{places}f}%]"


def _ratio(value: Any) -> str:
    return f"{half_up(value, 2):.2f}" if is_number(value) else MISSING


COMPARE_KINDS: dict[str, Formatter] = {
    "percent": percent,
    "month": month,
    "month_of": month,
    "money": money,
    "ratio": _ratio,
}
"""The kinds of compare row and how one side alone reads (when the other has no value)."""


CI_KEYS: dict[str, str] = {
    "survival_rate": "survival",
    "spiral_rate": "spiral",
    "pmf_rate": "pmf",
    "loop_attributable_rate": "loop_attributable",
}

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
    ("death spiral signature", "spiral", yes_no),
    ("spiral onset month", "spiral_onset_month", month),
    ("death through the pressure loop", "loop_attributable", yes_no),
    ("  with pressure cut: survives", "counterfactual_survived", yes_no),
    ("  with pressure cut: month of death", "counterfactual_month_of_death", month),
    ("PMF month", "pmf_month", month),
    ("contingent deals accepted", "total_contingent_accepted", number),
    ("contingent deals converted", "total_contingent_converted", number),
    ("commissions paid", "total_commissions_usd", money),
)

ENSEMBLE_ROWS: tuple[Row, ...] = (
    ("survival (95% CI)", "survival_rate", percent),
    ("death spiral signature (95% CI)", "spiral_rate", percent),
    ("died through the pressure loop (95% CI)", "loop_attributable_rate", percent),
    ("  share of deaths", "loop_attributable_share_of_deaths", percent),
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

COMPARE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("survival (95% CI)", "survival_rate", "percent"),
    ("death spiral signature (95% CI)", "spiral_rate", "percent"),
    ("died through the pressure loop (95% CI)", "loop_attributable_rate", "percent"),
    ("reached PMF (95% CI)", "pmf_rate", "percent"),
    ("median month of death", "median_month_of_death", "month_of"),
    ("median PMF month", "median_pmf_month", "month_of"),
    ("median final ARR", "median_final_arr_usd", "money"),
    ("median cumulative revenue", "median_cumulative_revenue_usd", "money"),
    ("median profit", "median_profit_usd", "money"),
    ("median peak monthly burn", "median_peak_burn_usd", "money"),
    ("mean custom share of engineering", "mean_custom_share", "percent"),
    ("median profit / revenue (ratio)", "median_profit_margin", "ratio"),
)
"""The side-by-side block of `sim compare`: label, summary key, kind (``COMPARE_KINDS``).

``median_profit_margin`` is the median over the runs with revenue of profit / cumulative
revenue (``sim.analysis.summaries``), like the other median rows; the mean, which some scenario
claims use, stays in ``--json`` (``NOT_PRINTED``). It is shown as a ratio with both sides, not in
percentage points: with little revenue it runs far below -1 (-9.31 is costs over ten times
revenue), and a bare "-434 pp" could not be read."""
