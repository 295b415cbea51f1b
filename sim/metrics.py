"""Run and ensemble summaries, quantile bands and death-spiral detection.

Everything here is a pure function of what a run records: its per-month series (one row per
month, columns named as in DESIGN.md) or the run summaries built from it. Nothing reads a flag the
model sets; in particular the death spiral is *detected* from the series (``detect_spiral``).

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

import itertools
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, norm

# --- quantile bands -------------------------------------------------------------------------

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)

# Columns that are 0 for a dead company (stocks and flows); every other column is excluded after
# death. Per-segment customer counts (``customers_<segment>``) are stocks too.
ZERO_AFTER_DEATH: frozenset[str] = frozenset({
    "cash_usd", "runway_months", "mrr_usd", "arr_usd", "revenue_usd", "costs_usd", "burn_usd",
    "bookings_usd", "churned_mrr_usd", "customers", "reps", "engineers", "pipeline_deals",
    "commissions_usd", "contingent_accepted", "contingent_delivered", "contingent_converted",
    "promises_outstanding",
})
ZERO_AFTER_DEATH_PREFIXES: tuple[str, ...] = ("customers_",)

# --- death-spiral detection -----------------------------------------------------------------
# The reinforcing loop: custom share of engineering up -> relative fit (product_fit -
# competitor_fit) down -> win rate down -> pressure up -> custom share up. Each link is read from
# smoothed series as a move across a window of LINK_WINDOW_MONTHS centred on the month; the spiral
# is the whole chain holding for SUSTAIN_MONTHS consecutive months. Every rise/fall threshold
# below is a move across one link window. Tuned on synthetic series (tests/test_metrics.py):
# recalibrate against model output if its noise levels differ a lot.

SMOOTH_MONTHS = 3                # centred rolling mean applied to every signal first (months, odd)
SMOOTH_WIN_RATE_MONTHS = 9       # the win rate, a ratio of few deals a month, is smoothed longer (months, odd)
LINK_WINDOW_MONTHS = 8           # a link's move: change across this many months centred on the month
SUSTAIN_MONTHS = 4               # the whole chain must hold this many consecutive months (months)
EARLIEST_ONSET_MONTH = 6         # start-up months (few deals, no plan yet) cannot date an onset (month)
MAX_GAP_MONTHS = 1               # a break this short (one noisy month) does not end a stretch (months)
MIN_CUSTOM_SHARE = 0.25          # least custom share of engineering for the loop to have taken over (share)
MIN_CUSTOM_SHARE_RISE = 0.10     # rise of custom share that counts as "up" (share of engineering)
HIGH_CUSTOM_SHARE = 0.5          # at least this and not falling by the rise still counts as "up" (share)
MIN_RELATIVE_FIT_DROP = 0.03     # fall of product_fit - competitor_fit that counts as "down" (fit, 0-1)
MIN_WIN_RATE_DROP = 0.05         # fall of the win rate that counts as "down" (share of decided deals)
MIN_PRESSURE_RISE = 0.05         # rise of pressure that counts as "up" (pressure, 0-1)
HIGH_PRESSURE = 0.5              # at least this and not easing by the rise still counts as "up" (0-1)
SPIRAL_COLUMNS: tuple[str, ...] = ("month", "custom_share", "product_fit", "competitor_fit", "win_rate", "pressure")
DEALS_COLUMN = "deals_decided"  # optional: weights each month's win rate by its decided deals

# --- summaries ------------------------------------------------------------------------------

ARR_GROWTH_LOOKBACK_MONTHS = 12  # arr_growth_12m compares the last ARR with ARR this many rows before (months)

RUN_METRICS: tuple[str, ...] = (
    "survived", "month_of_death", "months_run", "final_arr_usd", "final_mrr_usd", "peak_arr_usd",
    "final_cash_usd", "final_customers", "cumulative_revenue_usd", "cumulative_costs_usd",
    "profit_usd", "profit_margin", "peak_burn_usd", "mean_custom_share", "arr_growth_12m",
    "pmf_month", "spiral", "spiral_onset_month", "total_contingent_accepted",
    "total_contingent_converted", "total_commissions_usd",
    "bookings_12m_usd", "revenue_12m_usd", "contingent_conversion_rate", "custom_overrun_ratio",
    "mean_product_fit", "mean_relative_fit", "gross_margin", "total_promises_broken",
)
FIRST_YEAR_MONTHS = 12  # bookings_12m_usd / revenue_12m_usd sum the first this many months (months)

# Rate metrics of an ensemble summary -> the stem of their Wilson interval keys (``<stem>_ci_low``).
RATE_CI_STEMS: dict[str, str] = {"survival_rate": "survival", "spiral_rate": "spiral", "pmf_rate": "pmf"}

ENSEMBLE_METRICS: tuple[str, ...] = (
    "runs",
    "survival_rate", "survival_ci_low", "survival_ci_high",
    "spiral_rate", "spiral_ci_low", "spiral_ci_high",
    "pmf_rate", "pmf_ci_low", "pmf_ci_high",
    "median_final_arr_usd", "mean_final_arr_usd", "p10_final_arr_usd", "p90_final_arr_usd",
    "median_month_of_death", "median_spiral_onset_month", "median_pmf_month",
    "median_cumulative_revenue_usd", "median_peak_burn_usd", "mean_custom_share",
    "median_profit_usd", "median_profit_margin", "median_arr_growth_12m",
    "mean_bookings_12m_usd", "mean_revenue_12m_usd", "mean_cumulative_revenue_usd",
    "mean_contingent_conversion_rate", "mean_custom_overrun_ratio", "mean_product_fit",
    "sd_product_fit", "mean_relative_fit", "median_gross_margin", "mean_profit_margin",
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
    level = 2.0 * float(norm.cdf(z)) - 1.0
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return float(ci.low), float(ci.high)


# ============================================================================================
# Quantile bands
# ============================================================================================

def quantile_bands(frames: list[pd.DataFrame], columns: Sequence[str], months: int,
                   quantiles: Sequence[float] = DEFAULT_QUANTILES,
                   zero_after_death: Collection[str] | None = None) -> pd.DataFrame:
    """Per-month quantiles of each column across runs.

    The month grid has ``months`` rows starting at the earliest first month of any run. A run
    contributes its recorded rows as they are (including its death-month row); after its last row
    it counts as 0 in ``zero_after_death`` columns (default: ``ZERO_AFTER_DEATH`` and
    ``customers_*``) and is left out of every other column. Quantiles interpolate linearly
    between runs (numpy's and pandas' default). Output columns: ``month``, ``alive_share`` (share
    of runs alive at that month) and ``<column>_p10`` etc.
    """
    if not frames:
        raise ValueError("quantile_bands needs at least one run")
    _require_columns(frames, ["month", *columns])
    grid = _month_grid(frames, months)
    out: dict[str, Any] = {"month": grid, "alive_share": _alive_share(frames, grid)}
    for column in columns:
        fill = 0.0 if _zero_after_death(column, zero_after_death) else np.nan
        table = np.vstack([_on_grid(frame, column, grid, fill) for frame in frames])
        values = _nan_quantiles(table, quantiles)
        for q, row in zip(quantiles, values, strict=True):
            out[f"{column}_{_quantile_name(q)}"] = row
    return pd.DataFrame(out)


def _require_columns(frames: list[pd.DataFrame], columns: Sequence[str]) -> None:
    missing = sorted({c for frame in frames for c in columns if c not in frame.columns})
    if missing:
        raise KeyError(f"series lacks column(s): {', '.join(missing)}")


def _month_grid(frames: list[pd.DataFrame], months: int) -> np.ndarray:
    starts = [int(frame["month"].min()) for frame in frames if len(frame)]
    start = min(starts) if starts else 0
    return np.arange(start, start + months)


def _zero_after_death(column: str, names: Collection[str] | None) -> bool:
    if names is not None:
        return column in names
    return column in ZERO_AFTER_DEATH or column.startswith(ZERO_AFTER_DEATH_PREFIXES)


def _on_grid(frame: pd.DataFrame, column: str, grid: np.ndarray, fill_after: float) -> np.ndarray:
    """The column on the month grid: NaN where unrecorded, `fill_after` after the run's last month."""
    out = np.full(len(grid), np.nan)
    if not len(frame):
        out[:] = fill_after
        return out
    month = frame["month"].to_numpy(dtype=int)
    inside = (month >= grid[0]) & (month <= grid[-1])
    out[month[inside] - grid[0]] = frame[column].to_numpy(dtype=float)[inside]
    out[grid > month.max()] = fill_after
    return out


def _nan_quantiles(table: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles over runs (axis 0) ignoring NaN; NaN where no run has a value."""
    out = np.full((len(quantiles), table.shape[1]), np.nan)
    has_value = ~np.isnan(table).all(axis=0)
    if has_value.any():
        out[:, has_value] = np.nanquantile(table[:, has_value], list(quantiles), axis=0)
    return out


def _alive_share(frames: list[pd.DataFrame], grid: np.ndarray) -> np.ndarray:
    alive = np.zeros(len(grid))
    for frame in frames:
        flags = frame["alive"].to_numpy(dtype=bool) if "alive" in frame.columns else np.ones(len(frame), dtype=bool)
        month = frame["month"].to_numpy(dtype=int)
        inside = (month >= grid[0]) & (month <= grid[-1])
        np.add.at(alive, month[inside & flags] - grid[0], 1.0)
    return alive / len(frames)


def _quantile_name(q: float) -> str:
    return f"p{q * 100:g}"


# ============================================================================================
# Death-spiral detection
# ============================================================================================

def detect_spiral(series: pd.DataFrame) -> tuple[bool, int | None]:
    """Whether the death-spiral loop took over in this run, and its onset month.

    Read from the series alone (columns ``SPIRAL_COLUMNS``). Custom share, relative fit and
    pressure are gap-filled and smoothed by a centred rolling mean of SMOOTH_MONTHS. The win
    rate, a ratio of few deals, is pooled over SMOOTH_WIN_RATE_MONTHS centred months: wins /
    decided deals when the series has ``deals_decided``, else the mean of the months that have a
    win rate (a month with no decided deal has none); windows without a deal are interpolated.
    A link holds in month t when its smoothed signal moved the damaging way across the
    LINK_WINDOW_MONTHS centred on t (clamped to the series at either end) by at least:

    * custom share up by MIN_CUSTOM_SHARE_RISE, or pinned at >= HIGH_CUSTOM_SHARE and not falling
      by that much; and at least MIN_CUSTOM_SHARE of engineering;
    * relative fit (product_fit - competitor_fit) down by MIN_RELATIVE_FIT_DROP;
    * win rate down by MIN_WIN_RATE_DROP;
    * pressure up by MIN_PRESSURE_RISE, or pinned at >= HIGH_PRESSURE and not easing by that much.

    The loop took over when all four links hold for SUSTAIN_MONTHS consecutive months (a break of
    at most MAX_GAP_MONTHS inside a stretch is bridged); the onset is the first month of the first
    such stretch: the first month the whole chain holds. Near the start the window is clamped,
    so a loop running from the first months (start-up moves included) dates from there. Series
    too short to show a link window plus a sustained stretch, or with a signal (or every win
    rate) missing throughout, give (False, None).
    """
    signals = _spiral_signals(series)
    if signals is None or len(signals[0]) < LINK_WINDOW_MONTHS + SUSTAIN_MONTHS:
        return False, None
    months, values = signals
    chain = _bridge_gaps(_chain_holds(values)) & (months >= EARLIEST_ONSET_MONTH)
    held = np.convolve(chain.astype(int), np.ones(SUSTAIN_MONTHS, dtype=int), mode="valid")
    stretch = held >= SUSTAIN_MONTHS
    if not stretch.any():
        return False, None
    return True, int(months[int(np.argmax(stretch))])


# Column order of the signal matrix detect_spiral works on.
_CUSTOM, _FIT, _WIN, _PRESSURE = range(4)


def _spiral_signals(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Months and the four loop signals (months x 4) on a regular monthly grid, gap-filled and
    smoothed; None if the series is empty or a signal is missing throughout."""
    missing = [c for c in SPIRAL_COLUMNS if c not in series.columns]
    if missing:
        raise KeyError(f"detect_spiral: series lacks column(s): {', '.join(missing)}")
    raw = series[list(SPIRAL_COLUMNS)].to_numpy(dtype=float)
    deals = _deals_decided(series)
    known_month = ~np.isnan(raw[:, 0])
    raw, deals = raw[known_month], deals[known_month]
    if not len(raw):
        return None
    start = int(raw[:, 0].min())
    months = np.arange(start, int(raw[:, 0].max()) + 1)
    grid = np.full((len(months), 4), np.nan)
    weight = np.zeros(len(months))
    rows = raw[:, 0].astype(int) - start
    grid[rows, _CUSTOM] = raw[:, 1]
    grid[rows, _FIT] = raw[:, 2] - raw[:, 3]
    grid[rows, _WIN] = raw[:, 4]
    grid[rows, _PRESSURE] = raw[:, 5]
    weight[rows] = np.where(np.isnan(raw[:, 4]), 0.0, deals)
    if np.isnan(grid).all(axis=0).any() or not weight.any():
        return None
    smooth = np.empty_like(grid)
    for k in (_CUSTOM, _FIT, _PRESSURE):
        smooth[:, k] = _centred_mean(_fill_gaps(grid[:, k]), SMOOTH_MONTHS)
    smooth[:, _WIN] = _fill_gaps(_pooled_win_rate(grid[:, _WIN], weight))
    return months, smooth


def _deals_decided(series: pd.DataFrame) -> np.ndarray:
    """Weight of each month's win rate: its decided deals when recorded, else 1."""
    if DEALS_COLUMN not in series.columns:
        return np.ones(len(series))
    return np.nan_to_num(series[DEALS_COLUMN].to_numpy(dtype=float), nan=0.0)


def _pooled_win_rate(rate: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Win rate over the SMOOTH_WIN_RATE_MONTHS centred on each month: wins / decided deals
    (NaN where the window decided none)."""
    wins = _centred_sum(np.nan_to_num(rate, nan=0.0) * weight, SMOOTH_WIN_RATE_MONTHS)
    decided = _centred_sum(weight, SMOOTH_WIN_RATE_MONTHS)
    return np.divide(wins, decided, out=np.full(len(rate), np.nan), where=decided > 0)


def _fill_gaps(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaN; before the first and after the last value, that value."""
    known = ~np.isnan(values)
    index = np.arange(len(values))
    return np.interp(index, index[known], values[known])


def _centred_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Sum over the `window` (odd) months centred on each month, fewer near either end."""
    half = window // 2
    index = np.arange(len(values))
    low, high = np.maximum(index - half, 0), np.minimum(index + half + 1, len(values))
    sums = np.concatenate(([0.0], np.cumsum(values)))
    return sums[high] - sums[low]


def _centred_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling mean over `window` (odd) months, over fewer months near either end."""
    return _centred_sum(values, window) / _centred_sum(np.ones(len(values)), window)


def _chain_holds(signals: np.ndarray) -> np.ndarray:
    """Per month: do all four links of the loop hold?"""
    change = _centred_change(signals)
    custom = signals[:, _CUSTOM]
    custom_up = _pushing(custom, change[:, _CUSTOM], MIN_CUSTOM_SHARE_RISE, HIGH_CUSTOM_SHARE)
    custom_up &= custom >= MIN_CUSTOM_SHARE
    fit_down = change[:, _FIT] <= -MIN_RELATIVE_FIT_DROP
    win_down = change[:, _WIN] <= -MIN_WIN_RATE_DROP
    pressure_up = _pushing(signals[:, _PRESSURE], change[:, _PRESSURE], MIN_PRESSURE_RISE, HIGH_PRESSURE)
    return custom_up & fit_down & win_down & pressure_up


def _centred_change(signals: np.ndarray) -> np.ndarray:
    """Change of each signal across the LINK_WINDOW_MONTHS centred on each month.

    Past either end of the series the end value stands in (a flat edge: moves there are
    under- rather than over-stated), so a spiral that ends in death is still seen up to its end.
    """
    index = np.arange(len(signals))
    half = LINK_WINDOW_MONTHS // 2
    ahead = np.minimum(index + LINK_WINDOW_MONTHS - half, len(signals) - 1)
    behind = np.maximum(index - half, 0)
    return signals[ahead] - signals[behind]


def _bridge_gaps(chain: np.ndarray) -> np.ndarray:
    """Breaks of at most MAX_GAP_MONTHS between months where the chain holds count as holding."""
    bridged = chain.copy()
    held = np.flatnonzero(chain)
    for before, after in itertools.pairwise(held):
        if 1 < after - before <= MAX_GAP_MONTHS + 1:
            bridged[before + 1:after] = True
    return bridged


def _pushing(level: np.ndarray, change: np.ndarray, min_rise: float, high: float) -> np.ndarray:
    """A driver is 'up': it rose by min_rise, or it sits at/above `high` and did not fall by min_rise."""
    return (change >= min_rise) | ((level >= high) & (change > -min_rise))


# ============================================================================================
# Run summary
# ============================================================================================

def summarize_run(series: pd.DataFrame, months: int) -> dict[str, Any]:
    """A flat, JSON-ready summary of one run's series (keys: ``RUN_METRICS``).

    ``survived``: the series reaches ``months`` rows and its last row is alive. A run that died
    has ``month_of_death`` = the month of its last row and final stocks (ARR, MRR, customers) of 0.
    Columns that a model may not record (contingent deals, commissions) give None when absent.
    """
    if series.empty:
        raise ValueError("summarize_run needs at least one month of series")
    series = series.sort_values("month")
    survived = _survived(series, months)
    spiral, onset = detect_spiral(series)
    revenue = _total(series, "revenue_usd")
    costs = _total(series, "costs_usd")
    final_arr = _last(series, "arr_usd") if survived else 0.0
    return {
        "survived": survived,
        "month_of_death": None if survived else int(series["month"].iloc[-1]),
        "months_run": len(series),
        "final_arr_usd": final_arr,
        "final_mrr_usd": _last(series, "mrr_usd") if survived else 0.0,
        "peak_arr_usd": _float(series["arr_usd"].max()),
        "final_cash_usd": _last(series, "cash_usd"),
        "final_customers": int(_last(series, "customers")) if survived else 0,
        "cumulative_revenue_usd": revenue,
        "cumulative_costs_usd": costs,
        "profit_usd": revenue - costs,
        "profit_margin": (revenue - costs) / revenue if revenue > 0 else None,
        "peak_burn_usd": _float(series["burn_usd"].max()),
        "mean_custom_share": _float(series["custom_share"].mean()),
        "arr_growth_12m": _arr_growth(series["arr_usd"], final_arr),
        "pmf_month": _first_true_month(series, "pmf"),
        "spiral": spiral,
        "spiral_onset_month": onset,
        "total_contingent_accepted": _optional_total(series, "contingent_accepted"),
        "total_contingent_converted": _optional_total(series, "contingent_converted"),
        "total_commissions_usd": _optional_total(series, "commissions_usd"),
        **_pattern_metrics(series),
    }


def _pattern_metrics(series: pd.DataFrame) -> dict[str, Any]:
    """Per-run quantities the MODEL.md patterns are pinned on (first year, contingent deals, fit)."""
    first_year = series[series["month"] <= FIRST_YEAR_MONTHS]
    accepted = _optional_total(series, "contingent_accepted")
    converted = _optional_total(series, "contingent_converted")
    return {
        "bookings_12m_usd": _optional_total(first_year, "bookings_usd"),
        "revenue_12m_usd": _optional_total(first_year, "revenue_usd"),
        "contingent_conversion_rate": converted / accepted if accepted and converted is not None else None,
        "custom_overrun_ratio": _ratio_of_totals(series, "custom_actual_em_delivered", "custom_estimate_em_delivered"),
        "mean_product_fit": _optional_mean(series, "product_fit"),
        "mean_relative_fit": _float((series["product_fit"] - series["competitor_fit"]).mean())
        if {"product_fit", "competitor_fit"} <= set(series.columns) else None,
        "gross_margin": _gross_margin(series),
        "total_promises_broken": _optional_total(series, "promises_broken"),
    }


def _optional_mean(series: pd.DataFrame, column: str) -> float | None:
    return _float(series[column].mean()) if column in series.columns else None


def _ratio_of_totals(series: pd.DataFrame, top: str, bottom: str) -> float | None:
    if top not in series.columns or bottom not in series.columns:
        return None
    denominator = _total(series, bottom)
    return _total(series, top) / denominator if denominator > 0 else None


def _gross_margin(series: pd.DataFrame) -> float | None:
    """Revenue less cost to serve, over revenue (None without revenue or the column)."""
    revenue = _total(series, "revenue_usd")
    if revenue <= 0 or "cost_to_serve_usd" not in series.columns:
        return None
    return (revenue - _total(series, "cost_to_serve_usd")) / revenue


def _survived(series: pd.DataFrame, months: int) -> bool:
    last_alive = bool(series["alive"].iloc[-1]) if "alive" in series.columns else True
    return len(series) >= months and last_alive


def _float(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _last(series: pd.DataFrame, column: str) -> float:
    return float(series[column].iloc[-1])


def _total(series: pd.DataFrame, column: str) -> float:
    return float(series[column].sum())


def _optional_total(series: pd.DataFrame, column: str) -> float | None:
    return _total(series, column) if column in series.columns else None


def _arr_growth(arr: pd.Series, final_arr: float) -> float | None:
    """Relative change of ARR over the last ARR_GROWTH_LOOKBACK_MONTHS rows (None if undefined)."""
    if len(arr) <= ARR_GROWTH_LOOKBACK_MONTHS:
        return None
    base = float(arr.iloc[-1 - ARR_GROWTH_LOOKBACK_MONTHS])
    return final_arr / base - 1.0 if base > 0 else None


def _first_true_month(series: pd.DataFrame, column: str) -> int | None:
    if column not in series.columns:
        return None
    flags = series[column].fillna(False).astype(bool).to_numpy()
    return int(series["month"].to_numpy()[np.argmax(flags)]) if flags.any() else None


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
    final_arr = _values(summaries, "final_arr_usd")
    out |= {
        "median_final_arr_usd": _stat(np.median, final_arr),
        "mean_final_arr_usd": _stat(np.mean, final_arr),
        "p10_final_arr_usd": _percentile(final_arr, 10),
        "p90_final_arr_usd": _percentile(final_arr, 90),
        "median_month_of_death": _stat(np.median, _values(summaries, "month_of_death")),
        "median_spiral_onset_month": _stat(np.median, _values(summaries, "spiral_onset_month")),
        "median_pmf_month": _stat(np.median, _values(summaries, "pmf_month")),
        "median_cumulative_revenue_usd": _stat(np.median, _values(summaries, "cumulative_revenue_usd")),
        "median_peak_burn_usd": _stat(np.median, _values(summaries, "peak_burn_usd")),
        "mean_custom_share": _stat(np.mean, _values(summaries, "mean_custom_share")),
        "median_profit_usd": _stat(np.median, _values(summaries, "profit_usd")),
        "median_profit_margin": _stat(np.median, _values(summaries, "profit_margin")),
        "median_arr_growth_12m": _stat(np.median, _values(summaries, "arr_growth_12m")),
        "mean_bookings_12m_usd": _stat(np.mean, _values(summaries, "bookings_12m_usd")),
        "mean_revenue_12m_usd": _stat(np.mean, _values(summaries, "revenue_12m_usd")),
        "mean_cumulative_revenue_usd": _stat(np.mean, _values(summaries, "cumulative_revenue_usd")),
        "mean_contingent_conversion_rate": _stat(np.mean, _values(summaries, "contingent_conversion_rate")),
        "mean_custom_overrun_ratio": _stat(np.mean, _values(summaries, "custom_overrun_ratio")),
        "mean_product_fit": _stat(np.mean, _values(summaries, "mean_product_fit")),
        "sd_product_fit": _stat(np.std, _values(summaries, "mean_product_fit")),
        "mean_relative_fit": _stat(np.mean, _values(summaries, "mean_relative_fit")),
        "median_gross_margin": _stat(np.median, _values(summaries, "gross_margin")),
        "mean_profit_margin": _stat(np.mean, _values(summaries, "profit_margin")),
        "mean_promises_broken": _stat(np.mean, _values(summaries, "total_promises_broken")),
    }
    return out


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
