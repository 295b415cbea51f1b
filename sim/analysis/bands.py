"""Quantile bands of an ensemble's series: p10-p50-p90 per month, the dead counted as the series
says.

A run that dies stops early. After that month stock and flow series (cash, MRR, ARR, customers,
...) count as 0 - a dead company has no ARR - while rates and indices (win rate, fit, custom share,
pressure) are left out, so their bands describe the companies still alive.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)

# Columns that are 0 for a dead company (stocks and flows); every other column is excluded after
# death. Per-segment customer counts (``customers_<segment>``) are stocks too.
ZERO_AFTER_DEATH: frozenset[str] = frozenset(
    {
        "cash_usd",
        "runway_months",
        "mrr_usd",
        "arr_usd",
        "revenue_usd",
        "costs_usd",
        "burn_usd",
        "bookings_usd",
        "churned_mrr_usd",
        "customers",
        "reps",
        "engineers",
        "pipeline_deals",
        "commissions_usd",
        "contingent_accepted",
        "contingent_delivered",
        "contingent_converted",
        "promises_outstanding",
    }
)
ZERO_AFTER_DEATH_PREFIXES: tuple[str, ...] = ("customers_",)


def quantile_bands(
    frames: list[pd.DataFrame],
    columns: Sequence[str],
    months: int,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    zero_after_death: Collection[str] | None = None,
) -> pd.DataFrame:
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
    fills = np.array([0.0 if _zero_after_death(c, zero_after_death) else np.nan for c in columns])
    cube = np.stack([_frame_on_grid(frame, columns, grid, fills) for frame in frames])
    for j, column in enumerate(columns):
        values = _nan_quantiles(cube[:, :, j], quantiles)
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


def _frame_on_grid(
    frame: pd.DataFrame, columns: Sequence[str], grid: np.ndarray, fill_after: np.ndarray
) -> np.ndarray:
    """(months, columns): NaN where unrecorded, ``fill_after[j]`` after the run's last month."""
    out = np.full((len(grid), len(columns)), np.nan)
    if not len(frame):
        out[:] = fill_after
        return out
    month = frame["month"].to_numpy(dtype=int)
    inside = (month >= grid[0]) & (month <= grid[-1])
    rows = month[inside] - grid[0]
    # Column by column: the same float values as ``frame[list(columns)].to_numpy(dtype=float)``
    # without building a sub-frame (0.7 ms a run; an ensemble's 32 runs are redrawn per stage).
    for j, column in enumerate(columns):
        out[rows, j] = frame[column].to_numpy(dtype=float)[inside]
    out[grid > month.max()] = fill_after
    return out


def _nan_quantiles(table: np.ndarray, quantiles: Sequence[float]) -> np.ndarray:
    """Quantiles over runs (axis 0) ignoring NaN; NaN where no run has a value.

    The same numbers as ``np.nanquantile`` (linear interpolation), without its slow path: the
    columns are sorted once (NaN last) and the columns with the same number of values are
    handed to ``np.quantile`` together.
    """
    out = np.full((len(quantiles), table.shape[1]), np.nan)
    counts = table.shape[0] - np.isnan(table).sum(axis=0)
    ordered = np.sort(table, axis=0)
    for count in np.unique(counts[counts > 0]).tolist():
        cols = counts == count
        out[:, cols] = np.quantile(ordered[:count, cols], list(quantiles), axis=0)
    return out


def _alive_share(frames: list[pd.DataFrame], grid: np.ndarray) -> np.ndarray:
    alive = np.zeros(len(grid))
    for frame in frames:
        flags = (
            frame["alive"].to_numpy(dtype=bool)
            if "alive" in frame.columns
            else np.ones(len(frame), dtype=bool)
        )
        month = frame["month"].to_numpy(dtype=int)
        inside = (month >= grid[0]) & (month <= grid[-1])
        np.add.at(alive, month[inside & flags] - grid[0], 1.0)
    return alive / len(frames)


def _quantile_name(q: float) -> str:
    return f"p{q * 100:g}"
