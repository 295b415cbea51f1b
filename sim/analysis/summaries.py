"""Run and ensemble summaries: the flat dicts scripts, `expect:` and the dashboard read.

Everything here is a pure function of what a run records: its per-month series (one row per
month, columns named as in docs/ARCHITECTURE.md) or the run summaries built from it. Nothing
reads a flag the model sets; the death spiral's signature is *detected* from the series
(``sim.analysis.spiral``), and the loop attribution comes from a counterfactual run.

Conventions
-----------
* A run that dies stops early: its series ends at the month of death (that row has ``alive``
  False). After that month a dead company still counts in ensemble statistics: stock and flow
  series (cash, MRR, ARR, customers, reps, bookings, ...) count as 0 - a dead company has no ARR -
  while rates and indices (win rate, fit, custom share, pressure, complexity) have no value and are
  left out, so their bands describe the companies still alive. ``ZERO_AFTER_DEATH`` lists the
  first kind; every other column is of the second kind.
* Summaries are flat dicts of plain Python values (bool, int, float, None) so they serialise to
  JSON as they are; NaN never leaves this module (it becomes None).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.spiral import DEALS_COLUMN, spiral_of

# --- summaries ------------------------------------------------------------------------------

ARR_GROWTH_LOOKBACK_MONTHS = (
    12  # arr_growth_12m compares the last ARR with ARR this many rows before (months)
)

RUN_METRICS: tuple[str, ...] = (
    "survived",
    "month_of_death",
    "months_run",
    "final_arr_usd",
    "final_mrr_usd",
    "peak_arr_usd",
    "final_cash_usd",
    "final_customers",
    "cumulative_revenue_usd",
    "cumulative_costs_usd",
    "profit_usd",
    "profit_margin",
    "peak_burn_usd",
    "mean_custom_share",
    "arr_growth_12m",
    "pmf_month",
    "spiral",
    "spiral_onset_month",
    "total_contingent_accepted",
    "total_contingent_converted",
    "total_commissions_usd",
    "bookings_12m_usd",
    "revenue_12m_usd",
    "contingent_conversion_rate",
    "custom_overrun_ratio",
    "mean_product_fit",
    "mean_relative_fit",
    "gross_margin",
    "total_promises_broken",
)
FIRST_YEAR_MONTHS = 12  # bookings_12m_usd / revenue_12m_usd sum the first this many months (months)

# Rate metrics of an ensemble summary -> the stem of their Wilson interval keys (``<stem>_ci_low``).
RATE_CI_STEMS: dict[str, str] = {
    "survival_rate": "survival",
    "spiral_rate": "spiral",
    "pmf_rate": "pmf",
    "loop_attributable_rate": "loop_attributable",
}

ENSEMBLE_METRICS: tuple[str, ...] = (
    "runs",
    "survival_rate",
    "survival_ci_low",
    "survival_ci_high",
    "spiral_rate",
    "spiral_ci_low",
    "spiral_ci_high",
    "pmf_rate",
    "pmf_ci_low",
    "pmf_ci_high",
    "loop_attributable_rate",
    "loop_attributable_ci_low",
    "loop_attributable_ci_high",
    "loop_attributable_share_of_deaths",
    "median_final_arr_usd",
    "mean_final_arr_usd",
    "p10_final_arr_usd",
    "p90_final_arr_usd",
    "median_month_of_death",
    "median_spiral_onset_month",
    "median_pmf_month",
    "median_cumulative_revenue_usd",
    "median_peak_burn_usd",
    "mean_custom_share",
    "median_profit_usd",
    "median_profit_margin",
    "median_arr_growth_12m",
    "mean_bookings_12m_usd",
    "mean_revenue_12m_usd",
    "mean_cumulative_revenue_usd",
    "mean_contingent_conversion_rate",
    "mean_custom_overrun_ratio",
    "mean_product_fit",
    "sd_product_fit",
    "mean_relative_fit",
    "median_gross_margin",
    "mean_profit_margin",
    "mean_promises_broken",
)

CI_Z = 1.96  # normal quantile of the 95% intervals reported in ensemble summaries


# ============================================================================================
# Confidence intervals
# ============================================================================================


def wilson_interval(successes: int, n: int, z: float = CI_Z) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (no continuity correction).

    ``z`` is the two-sided normal quantile (1.96 for 95%). With ``n == 0`` nothing is known and
    the interval is (0, 1).
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson_interval needs 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return 0.0, 1.0
    return _wilson(int(successes), int(n), float(z))


@functools.lru_cache(maxsize=4096)
def _wilson(successes: int, n: int, z: float) -> tuple[float, float]:
    """``wilson_interval``'s scipy computation, remembered: scipy's ``binomtest`` costs ~3 ms a
    call (its array-API checks), three calls per ensemble summary, and a dashboard server sums
    up the same few (successes, n) again and again (the first stage of every slider move)."""
    from scipy.stats import binomtest, norm  # here, not at import: scipy.stats costs ~0.5 s

    level = 2.0 * float(norm.cdf(z)) - 1.0
    ci = binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


# ============================================================================================
# Run summary
# ============================================================================================


def summarize_run(series: pd.DataFrame | Mapping[str, np.ndarray], months: int) -> dict[str, Any]:
    """A flat, JSON-ready summary of one run's series (keys: ``RUN_METRICS``).

    ``survived``: the series reaches ``months`` rows and its last row is alive. A run that died
    has ``month_of_death`` = the month of its last row and final stocks (ARR, MRR, customers) of 0.
    Columns that a model may not record (contingent deals, commissions) give None when absent.

    ``series`` may also be its columns, name -> numpy array (``pd.DataFrame(series)``'s summary).
    Sums, means and maxima are pandas' (NaN skipped), taken on the columns' numpy arrays: the
    same numbers, without pandas' per-call overhead (this runs once per run).
    """
    if not isinstance(series, pd.DataFrame) and not _months_rise(series["month"]):
        series = pd.DataFrame(series)  # rows to sort: as a frame, below
    if isinstance(series, pd.DataFrame):
        if series.empty:
            raise ValueError("summarize_run needs at least one month of series")
        if not _months_rise(series["month"].to_numpy()):  # a run's own series is in order
            series = series.sort_values("month")
    col = _Columns(series)
    rows = len(col["month"])
    survived = _survived(col, months)
    spiral, onset = spiral_of(col.__getitem__, DEALS_COLUMN in col, rows)
    revenue = col.total("revenue_usd")
    costs = col.total("costs_usd")
    final_arr = col.last("arr_usd") if survived else 0.0
    return {
        "survived": survived,
        "month_of_death": None if survived else int(col["month"][-1]),
        "months_run": rows,
        "final_arr_usd": final_arr,
        "final_mrr_usd": col.last("mrr_usd") if survived else 0.0,
        "peak_arr_usd": _float(_nanmax(col["arr_usd"])),
        "final_cash_usd": col.last("cash_usd"),
        "final_customers": int(col.last("customers")) if survived else 0,
        "cumulative_revenue_usd": revenue,
        "cumulative_costs_usd": costs,
        "profit_usd": revenue - costs,
        "profit_margin": (revenue - costs) / revenue if revenue > 0 else None,
        "peak_burn_usd": _float(_nanmax(col["burn_usd"])),
        "mean_custom_share": _float(_nanmean(col["custom_share"])),
        "arr_growth_12m": _arr_growth(col["arr_usd"], final_arr),
        "pmf_month": _first_true_month(col, "pmf"),
        "spiral": spiral,
        "spiral_onset_month": onset,
        "total_contingent_accepted": col.optional_total("contingent_accepted"),
        "total_contingent_converted": col.optional_total("contingent_converted"),
        "total_commissions_usd": col.optional_total("commissions_usd"),
        **_pattern_metrics(col),
    }


class _Columns:
    """A series' columns as numpy arrays in month order, each read from the frame once."""

    def __init__(self, series: pd.DataFrame | Mapping[str, np.ndarray]) -> None:
        self.frame = series
        self.names = set(series.columns if isinstance(series, pd.DataFrame) else series)
        self._arrays: dict[str, np.ndarray] = {}
        self.rows: np.ndarray | None = None  # a row mask applied to every column (first year)

    def __contains__(self, column: str) -> bool:
        return column in self.names

    def __getitem__(self, column: str) -> np.ndarray:
        values = self._arrays.get(column)
        if values is None:
            values = self._arrays[column] = _numeric(self.frame[column])
        return values if self.rows is None else values[self.rows]

    def last(self, column: str) -> float:
        return float(self[column][-1])

    def total(self, column: str) -> float:
        return float(_nansum(self[column]))

    def optional_total(self, column: str) -> float | None:
        return self.total(column) if column in self else None

    def first_year(self) -> _Columns:
        """The same columns, rows of months <= FIRST_YEAR_MONTHS only."""
        view = _Columns.__new__(_Columns)
        view.frame, view.names, view._arrays = self.frame, self.names, self._arrays
        view.rows = self["month"] <= FIRST_YEAR_MONTHS
        return view


def _months_rise(values: np.ndarray) -> bool:
    """Whether the months are whole numbers that rise from row to row (no sort needed), and
    there is at least one."""
    return values.dtype.kind in "iu" and values.size > 0 and bool(np.all(values[1:] > values[:-1]))


def _numeric(column: pd.Series | np.ndarray) -> np.ndarray:
    """A column's values as numpy (float with NaN for a nullable column's missing values)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return np.asarray(column) if isinstance(column, np.ndarray) else column.to_numpy()
    if isinstance(column, np.ndarray):
        return column.astype(float)
    return column.to_numpy(dtype=float, na_value=np.nan)


def _nansum(values: np.ndarray) -> Any:
    """pandas' ``Series.sum()``: NaN counts as 0, then numpy's sum of the whole array."""
    if values.dtype.kind == "f":
        mask = np.isnan(values)
        if mask.any():
            values = np.where(mask, 0.0, values)
    return values.sum()


def _nanmean(values: np.ndarray) -> float:
    """pandas' ``Series.mean()``: the sum with NaN as 0, over the count of the others."""
    if values.dtype.kind != "f":
        values = values.astype(np.float64)
    mask = np.isnan(values)
    count = values.size - int(mask.sum())
    if count == 0:
        return np.nan
    return _nansum(values) / np.float64(count)


def _nanmax(values: np.ndarray) -> Any:
    """pandas' ``Series.max()``: NaN left out; NaN when nothing is left."""
    if values.size == 0:
        return np.nan
    if values.dtype.kind == "f":
        mask = np.isnan(values)
        if mask.all():
            return np.nan
        if mask.any():
            values = values[~mask]
    return values.max()


def _pattern_metrics(col: _Columns) -> dict[str, Any]:
    """Per-run quantities the MODEL.md patterns are pinned on (first year, contingent deals,
    fit)."""
    first_year = col.first_year()
    accepted = col.optional_total("contingent_accepted")
    converted = col.optional_total("contingent_converted")
    return {
        "bookings_12m_usd": first_year.optional_total("bookings_usd"),
        "revenue_12m_usd": first_year.optional_total("revenue_usd"),
        "contingent_conversion_rate": converted / accepted
        if accepted and converted is not None
        else None,
        "custom_overrun_ratio": _ratio_of_totals(
            col, "custom_actual_em_delivered", "custom_estimate_em_delivered"
        ),
        "mean_product_fit": _float(_nanmean(col["product_fit"])) if "product_fit" in col else None,
        "mean_relative_fit": _float(_nanmean(col["product_fit"] - col["competitor_fit"]))
        if "product_fit" in col and "competitor_fit" in col
        else None,
        "gross_margin": _gross_margin(col),
        "total_promises_broken": col.optional_total("promises_broken"),
    }


def _ratio_of_totals(col: _Columns, top: str, bottom: str) -> float | None:
    if top not in col or bottom not in col:
        return None
    denominator = col.total(bottom)
    return col.total(top) / denominator if denominator > 0 else None


def _gross_margin(col: _Columns) -> float | None:
    """Revenue less cost to serve, over revenue (None without revenue or the column)."""
    revenue = col.total("revenue_usd")
    if revenue <= 0 or "cost_to_serve_usd" not in col:
        return None
    return (revenue - col.total("cost_to_serve_usd")) / revenue


def _survived(col: _Columns, months: int) -> bool:
    last_alive = bool(col["alive"][-1]) if "alive" in col else True
    return len(col["month"]) >= months and last_alive


def _float(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _arr_growth(arr: np.ndarray, final_arr: float) -> float | None:
    """Relative change of ARR over the last ARR_GROWTH_LOOKBACK_MONTHS rows (None if undefined)."""
    if len(arr) <= ARR_GROWTH_LOOKBACK_MONTHS:
        return None
    base = float(arr[-1 - ARR_GROWTH_LOOKBACK_MONTHS])
    return final_arr / base - 1.0 if base > 0 else None


def _first_true_month(col: _Columns, column: str) -> int | None:
    if column not in col:
        return None
    values = col[column]
    flags = values if values.dtype.kind == "b" else ~np.isnan(values) & (values != 0)
    return int(col["month"][np.argmax(flags)]) if flags.any() else None


# ============================================================================================
# Ensemble summary
# ============================================================================================


def summarize_ensemble(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Survival, spiral and PMF rates with 95% Wilson intervals, and medians over runs.

    Keys: ``ENSEMBLE_METRICS``. Medians of quantities only some runs have (month of death, spiral
    onset, PMF month, profit margin, ARR growth) are over the runs that have them, None if none.
    """
    if not summaries:
        raise ValueError("summarize_ensemble needs at least one run summary")
    out: dict[str, Any] = {"runs": len(summaries)}
    out |= _rate(summaries, "survived", "survival")
    out |= _rate(summaries, "spiral", "spiral")
    out |= _rate([{"pmf": s.get("pmf_month") is not None} for s in summaries], "pmf", "pmf")
    out |= attribution_rates(summaries)
    final_arr = _values(summaries, "final_arr_usd")
    out |= {
        "median_final_arr_usd": _stat(np.median, final_arr),
        "mean_final_arr_usd": _stat(np.mean, final_arr),
        "p10_final_arr_usd": _percentile(final_arr, 10),
        "p90_final_arr_usd": _percentile(final_arr, 90),
        "median_month_of_death": _stat(np.median, _values(summaries, "month_of_death")),
        "median_spiral_onset_month": _stat(np.median, _values(summaries, "spiral_onset_month")),
        "median_pmf_month": _stat(np.median, _values(summaries, "pmf_month")),
        "median_cumulative_revenue_usd": _stat(
            np.median, _values(summaries, "cumulative_revenue_usd")
        ),
        "median_peak_burn_usd": _stat(np.median, _values(summaries, "peak_burn_usd")),
        "mean_custom_share": _stat(np.mean, _values(summaries, "mean_custom_share")),
        "median_profit_usd": _stat(np.median, _values(summaries, "profit_usd")),
        "median_profit_margin": _stat(np.median, _values(summaries, "profit_margin")),
        "median_arr_growth_12m": _stat(np.median, _values(summaries, "arr_growth_12m")),
        "mean_bookings_12m_usd": _stat(np.mean, _values(summaries, "bookings_12m_usd")),
        "mean_revenue_12m_usd": _stat(np.mean, _values(summaries, "revenue_12m_usd")),
        "mean_cumulative_revenue_usd": _stat(np.mean, _values(summaries, "cumulative_revenue_usd")),
        "mean_contingent_conversion_rate": _stat(
            np.mean, _values(summaries, "contingent_conversion_rate")
        ),
        "mean_custom_overrun_ratio": _stat(np.mean, _values(summaries, "custom_overrun_ratio")),
        "mean_product_fit": _stat(np.mean, _values(summaries, "mean_product_fit")),
        "sd_product_fit": _stat(np.std, _values(summaries, "mean_product_fit")),
        "mean_relative_fit": _stat(np.mean, _values(summaries, "mean_relative_fit")),
        "median_gross_margin": _stat(np.median, _values(summaries, "gross_margin")),
        "mean_profit_margin": _stat(np.mean, _values(summaries, "profit_margin")),
        "mean_promises_broken": _stat(np.mean, _values(summaries, "total_promises_broken")),
    }
    return out


def attribution_rates(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of runs whose death the loop explains, its Wilson interval and the share of deaths
    (None when some run was not attributed)."""
    if any(s.get("loop_attributable") is None for s in summaries):
        return dict.fromkeys(
            (
                "loop_attributable_rate",
                "loop_attributable_ci_low",
                "loop_attributable_ci_high",
                "loop_attributable_share_of_deaths",
            )
        )
    out = _rate(summaries, "loop_attributable", "loop_attributable")
    deaths = [s for s in summaries if not s["survived"]]
    share = sum(bool(s["loop_attributable"]) for s in deaths) / len(deaths) if deaths else None
    return out | {"loop_attributable_share_of_deaths": share}


def _rate(summaries: list[dict[str, Any]], key: str, stem: str) -> dict[str, float]:
    hits = sum(bool(s[key]) for s in summaries)
    low, high = wilson_interval(hits, len(summaries))
    return {f"{stem}_rate": hits / len(summaries), f"{stem}_ci_low": low, f"{stem}_ci_high": high}


def _values(summaries: list[dict[str, Any]], key: str) -> list[float]:
    """The key's values over runs, leaving out None and NaN."""
    values = (s.get(key) for s in summaries)
    return [float(v) for v in values if v is not None and not np.isnan(float(v))]


def _stat(func: Callable[[list[float]], Any], values: list[float]) -> float | None:
    return float(func(values)) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
