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

from collections.abc import Collection, Sequence
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
# smoothed series as a sustained move over LINK_WINDOW_MONTHS; the spiral is the whole chain
# holding for SUSTAIN_MONTHS consecutive months. Thresholds are magnitudes over one link window.

SMOOTH_MONTHS = 5                # centred rolling mean applied to every signal first (months)
LINK_WINDOW_MONTHS = 6           # a link's move is its change over this many trailing months (months)
SUSTAIN_MONTHS = 4               # the whole chain must hold this many consecutive months (months)
MIN_CUSTOM_SHARE = 0.25          # custom work must take at least this share of engineering for the loop to have taken over (share)
MIN_CUSTOM_SHARE_RISE = 0.10     # rise of custom share over a link window that counts as "up" (share of engineering)
HIGH_CUSTOM_SHARE = 0.5          # a custom share this high that is not falling still counts as "up": pinned at its cap (share)
MIN_RELATIVE_FIT_DROP = 0.03     # fall of product_fit - competitor_fit over a link window that counts as "down" (fit units, 0-1)
MIN_WIN_RATE_DROP = 0.05         # fall of the win rate over a link window that counts as "down" (share of decided deals)
MIN_PRESSURE_RISE = 0.05         # rise of pressure over a link window that counts as "up" (pressure units, 0-1)
HIGH_PRESSURE = 0.7              # a pressure this high that is not easing still counts as "up": pinned near its ceiling (0-1)
SPIRAL_COLUMNS: tuple[str, ...] = ("month", "custom_share", "product_fit", "competitor_fit", "win_rate", "pressure")

# --- summaries ------------------------------------------------------------------------------

ARR_GROWTH_LOOKBACK_MONTHS = 12  # arr_growth_12m compares the last ARR with ARR this many rows before (months)

RUN_METRICS: tuple[str, ...] = (
    "survived", "month_of_death", "months_run", "final_arr_usd", "final_mrr_usd", "peak_arr_usd",
    "final_cash_usd", "final_customers", "cumulative_revenue_usd", "cumulative_costs_usd",
    "profit_usd", "profit_margin", "peak_burn_usd", "mean_custom_share", "arr_growth_12m",
    "pmf_month", "spiral", "spiral_onset_month", "total_contingent_accepted",
    "total_contingent_converted", "total_commissions_usd",
)

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
    ``customers_*``) and is left out of every other column. Output columns: ``month``,
    ``alive_share`` (share of runs alive at that month) and ``<column>_p10`` etc.
    """
    if not frames:
        raise ValueError("quantile_bands needs at least one run")
    _require_columns(frames, ["month", *columns])
    grid = _month_grid(frames, months)
    out: dict[str, Any] = {"month": grid, "alive_share": _alive_share(frames, grid)}
    for column in columns:
        fill = 0.0 if _zero_after_death(column, zero_after_death) else np.nan
        wide = pd.concat([_on_grid(frame, column, grid, fill) for frame in frames], axis=1)
        table = wide.quantile(list(quantiles), axis=1)
        for q in quantiles:
            out[f"{column}_{_quantile_name(q)}"] = table.loc[q].to_numpy(dtype=float)
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


def _on_grid(frame: pd.DataFrame, column: str, grid: np.ndarray, fill_after: float) -> pd.Series:
    values = pd.Series(frame[column].to_numpy(dtype=float), index=frame["month"].to_numpy())
    values = values.reindex(grid)
    last = frame["month"].max() if len(frame) else grid[0] - 1
    values[grid > last] = fill_after
    return values.reset_index(drop=True)


def _alive_share(frames: list[pd.DataFrame], grid: np.ndarray) -> np.ndarray:
    alive = np.zeros(len(grid))
    for frame in frames:
        flags = frame["alive"].astype(bool) if "alive" in frame.columns else pd.Series(True, index=frame.index)
        by_month = pd.Series(flags.to_numpy(), index=frame["month"].to_numpy())
        alive += by_month.reindex(grid, fill_value=False).to_numpy(dtype=float)
    return alive / len(frames)


def _quantile_name(q: float) -> str:
    return f"p{q * 100:g}"


# ============================================================================================
# Death-spiral detection
# ============================================================================================

def detect_spiral(series: pd.DataFrame) -> tuple[bool, int | None]:
    """Whether the death-spiral loop took over in this run, and its onset month.

    Read from the series alone. Each signal is gap-filled and smoothed (centred rolling mean of
    SMOOTH_MONTHS); a link holds in month t when its smoothed signal moved the damaging way over
    the trailing LINK_WINDOW_MONTHS by at least its threshold:

    * custom share up by MIN_CUSTOM_SHARE_RISE (or pinned at >= HIGH_CUSTOM_SHARE and not falling
      by that much), and at least MIN_CUSTOM_SHARE of engineering;
    * relative fit (product_fit - competitor_fit) down by MIN_RELATIVE_FIT_DROP;
    * win rate down by MIN_WIN_RATE_DROP;
    * pressure up by MIN_PRESSURE_RISE (or pinned at >= HIGH_PRESSURE and not easing by that much).

    The spiral took over when all four links hold for SUSTAIN_MONTHS consecutive months; the onset
    is the first month of the first such stretch (the first month the whole chain holds).
    """
    signals = _spiral_signals(series)
    if signals is None or len(signals) < LINK_WINDOW_MONTHS + SUSTAIN_MONTHS:
        return False, None
    chain = _chain_holds(signals)
    held = chain.astype(int).rolling(SUSTAIN_MONTHS).sum() >= SUSTAIN_MONTHS
    if not held.any():
        return False, None
    end = int(np.argmax(held.to_numpy()))
    return True, int(signals.index[end - SUSTAIN_MONTHS + 1])


def _spiral_signals(series: pd.DataFrame) -> pd.DataFrame | None:
    """The four loop signals on a regular monthly index, gap-filled and smoothed (None if unusable)."""
    missing = [c for c in SPIRAL_COLUMNS if c not in series.columns]
    if missing:
        raise KeyError(f"detect_spiral: series lacks column(s): {', '.join(missing)}")
    if series.empty:
        return None
    frame = series[list(SPIRAL_COLUMNS)].astype(float).dropna(subset=["month"])
    frame = frame.groupby("month").mean().sort_index()
    months = np.arange(int(frame.index.min()), int(frame.index.max()) + 1)
    frame = frame.reindex(months)
    raw = pd.DataFrame({
        "custom_share": frame["custom_share"],
        "relative_fit": frame["product_fit"] - frame["competitor_fit"],
        "win_rate": frame["win_rate"],
        "pressure": frame["pressure"],
    })
    if raw.isna().all().any():
        return None
    filled = raw.interpolate(limit_area="inside").ffill().bfill()
    return filled.rolling(SMOOTH_MONTHS, center=True, min_periods=1).mean()


def _chain_holds(signals: pd.DataFrame) -> pd.Series:
    """Per month: do all four links of the loop hold?"""
    change = _centred_change(signals)
    custom_up = _pushing(signals["custom_share"], change["custom_share"], MIN_CUSTOM_SHARE_RISE, HIGH_CUSTOM_SHARE)
    custom_up &= signals["custom_share"] >= MIN_CUSTOM_SHARE
    fit_down = change["relative_fit"] <= -MIN_RELATIVE_FIT_DROP
    win_down = change["win_rate"] <= -MIN_WIN_RATE_DROP
    pressure_up = _pushing(signals["pressure"], change["pressure"], MIN_PRESSURE_RISE, HIGH_PRESSURE)
    return custom_up & fit_down & win_down & pressure_up


def _centred_change(signals: pd.DataFrame) -> pd.DataFrame:
    """Change of each signal across the LINK_WINDOW_MONTHS centred on each month.

    Past either end of the series the nearest value stands in (a flat edge: moves there are
    under- rather than over-stated), so a spiral that ends in death is still seen up to its end.
    """
    half = LINK_WINDOW_MONTHS // 2
    ahead = signals.shift(-(LINK_WINDOW_MONTHS - half)).ffill()
    behind = signals.shift(half).bfill()
    return ahead - behind


def _pushing(level: pd.Series, change: pd.Series, min_rise: float, high: float) -> pd.Series:
    """A driver is 'up': it rose by min_rise, or it sits at/above `high` and did not fall by min_rise."""
    rose = change >= min_rise
    pinned = (level >= high) & (change > -min_rise)
    return rose | pinned


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
        "months_run": int(len(series)),
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
    }


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


def _stat(func: Any, values: list[float]) -> float | None:
    return float(func(values)) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None
