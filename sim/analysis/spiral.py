"""The death spiral's signature, read from a run's monthly series (never from a model flag)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd

# The reinforcing loop: custom share of engineering up -> relative fit (product_fit -
# competitor_fit) down -> win rate down -> pressure up -> custom share up. Each link is read from
# smoothed series as a move across a window of LINK_WINDOW_MONTHS centred on the month; the spiral
# is the whole chain holding for SUSTAIN_MONTHS consecutive months. Every rise/fall threshold
# below is a move across one link window. Tuned on synthetic series (tests/test_metrics.py):
# recalibrate against model output if its noise levels differ a lot.

SMOOTH_MONTHS = 3  # centred rolling mean applied to every signal first (months, odd)
SMOOTH_WIN_RATE_MONTHS = (
    9  # the win rate, a ratio of few deals a month, is smoothed longer (months, odd)
)
LINK_WINDOW_MONTHS = 8  # a link's move: change across this many months centred on the month
SUSTAIN_MONTHS = 4  # a link starts when it moves this many consecutive months (months)
ORDER_SLACK_MONTHS = 4  # a link may seem to start this much before the one it follows: the
#                                  centred link window blurs starts by half its width (months)
PAUSE_MONTHS = 3  # a new wave of custom work follows this many months without a rise (months)
EARLIEST_ONSET_MONTH = 6  # start-up months (few deals, no plan yet) cannot date an onset (month)
MAX_GAP_MONTHS = 1  # a break this short (one noisy month) does not end a stretch (months)
MIN_CUSTOM_SHARE = 0.25  # least custom share of engineering for the loop to have taken over (share)
MIN_CUSTOM_SHARE_RISE = 0.10  # rise of custom share that counts as "up" (share of engineering)
HIGH_CUSTOM_SHARE = 0.5  # at least this and not falling by the rise still counts as "up" (share)
MIN_RELATIVE_FIT_DROP = (
    0.03  # fall of product_fit - competitor_fit that counts as "down" (fit, 0-1)
)
MIN_WIN_RATE_DROP = 0.05  # fall of the win rate that counts as "down" (share of decided deals)
MIN_PRESSURE_RISE = 0.05  # rise of pressure that counts as "up" (pressure, 0-1)
HIGH_PRESSURE = 0.5  # at least this and not easing by the rise still counts as "up" (0-1)
SPIRAL_COLUMNS: tuple[str, ...] = (
    "month",
    "custom_share",
    "product_fit",
    "competitor_fit",
    "win_rate",
    "pressure",
)
DEALS_COLUMN = "deals_decided"  # optional: weights each month's win rate by its decided deals


def detect_spiral(series: pd.DataFrame) -> tuple[bool, int | None]:
    """Whether the death-spiral loop closed in this run, and the month it closed.

    Read from the series alone (columns ``SPIRAL_COLUMNS``). Custom share, relative fit and
    pressure are gap-filled and smoothed by a centred rolling mean of SMOOTH_MONTHS; the win rate,
    a ratio of few deals, is pooled over SMOOTH_WIN_RATE_MONTHS centred months (wins / decided
    deals when the series has ``deals_decided``). A link moves in month t when its smoothed
    signal moved the damaging way across the LINK_WINDOW_MONTHS centred on t by at least:

    * custom share up by MIN_CUSTOM_SHARE_RISE, at MIN_CUSTOM_SHARE of engineering or more;
    * relative fit (product_fit - competitor_fit) down by MIN_RELATIVE_FIT_DROP;
    * win rate down by MIN_WIN_RATE_DROP;
    * pressure up by MIN_PRESSURE_RISE, or held at HIGH_PRESSURE or more without easing.

    A link *starts* in the first month of a stretch of SUSTAIN_MONTHS in which it moves, after
    PAUSE_MONTHS in which it did not (breaks of MAX_GAP_MONTHS bridged). The loop closed when the
    links start **in the loop's order**:
    custom share up, then relative fit down, then win rate down, then pressure up, each starting no
    more than ORDER_SLACK_MONTHS before the
    one it follows (pressure may already be moving), then a *new*
    rise of custom share that starts after pressure's. The date is that last start: the
    month more custom work followed the pressure. Co-movement is not enough: a rival improving on
    its own while custom share stays pinned, or the links moving in the reverse order, is not a
    spiral. Too-short series or a signal missing throughout give (False, None).
    """
    missing = [c for c in SPIRAL_COLUMNS if c not in series.columns]
    if missing:
        raise KeyError(f"detect_spiral: series lacks column(s): {', '.join(missing)}")
    return spiral_of(
        lambda column: series[column].to_numpy(dtype=float, na_value=np.nan),
        DEALS_COLUMN in series.columns,
        len(series),
    )


def spiral_of(
    column: Callable[[str], np.ndarray], has_deals: bool, rows: int
) -> tuple[bool, int | None]:
    """``detect_spiral`` of a series given as ``column(name)`` -> its values (numpy, in row
    order; every name in ``SPIRAL_COLUMNS`` there), ``has_deals``: whether ``DEALS_COLUMN`` is
    one of them, ``rows``: its length."""
    signals = _spiral_signals(column, has_deals, rows)
    if signals is None or len(signals[0]) < LINK_WINDOW_MONTHS + SUSTAIN_MONTHS:
        return False, None
    months, values = signals
    links = _links(values)
    start = (
        int(np.argmax(months >= EARLIEST_ONSET_MONTH))
        if (months >= EARLIEST_ONSET_MONTH).any()
        else None
    )
    if start is None:
        return False, None
    at = start
    for k, moving in enumerate(links):
        last = k == len(links) - 1
        earliest = at + 1 if last else max(start, at - ORDER_SLACK_MONTHS) if k else at
        found = _first_start(moving, earliest, fresh=k != _PRESSURE)
        if found is None:
            return False, None
        at = max(at, found)
    return True, int(months[at])


def _links(signals: np.ndarray) -> list[np.ndarray]:
    """The loop's links in order, each as 'moving the damaging way' per month (bridged)."""
    change = _centred_change(signals)
    custom = signals[:, _CUSTOM]
    custom_up = (change[:, _CUSTOM] >= MIN_CUSTOM_SHARE_RISE) & (custom >= MIN_CUSTOM_SHARE)
    fit_down = change[:, _FIT] <= -MIN_RELATIVE_FIT_DROP
    win_down = change[:, _WIN] <= -MIN_WIN_RATE_DROP
    pressure_up = _pushing(
        signals[:, _PRESSURE], change[:, _PRESSURE], MIN_PRESSURE_RISE, HIGH_PRESSURE
    )
    custom_up = _bridge_gaps(custom_up)
    return [
        custom_up,
        _bridge_gaps(fit_down),
        _bridge_gaps(win_down),
        _bridge_gaps(pressure_up),
        custom_up,
    ]


def _first_start(moving: np.ndarray, at: int, fresh: bool = True) -> int | None:
    """First month >= ``at`` that begins a sustained move: a run of at least SUSTAIN_MONTHS of
    movement, after PAUSE_MONTHS without sustained movement (shorter blips are noise). Not
    ``fresh``: any month >= ``at`` inside such a run (pressure is a level that may already be
    high)."""
    sustained = _sustained(moving)
    for i in range(at, len(moving)):
        if not sustained[i]:
            continue
        if (
            not fresh
            or (i == 0 or not sustained[i - 1])
            and not sustained[max(0, i - PAUSE_MONTHS) : i].any()
        ):
            return i
    return None


def _sustained(moving: np.ndarray) -> np.ndarray:
    """Months inside runs of at least SUSTAIN_MONTHS consecutive moving months."""
    out = np.zeros(len(moving), dtype=bool)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], moving.astype(int), [0]))))
    for begin, end in zip(edges[::2], edges[1::2], strict=True):
        if end - begin >= SUSTAIN_MONTHS:
            out[begin:end] = True
    return out


# Column order of the signal matrix detect_spiral works on.
_CUSTOM, _FIT, _WIN, _PRESSURE = range(4)


def _spiral_signals(
    column: Callable[[str], np.ndarray], has_deals: bool, rows: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Months and the four loop signals (months x 4) on a regular monthly grid, gap-filled and
    smoothed; None if the series is empty or a signal is missing throughout."""
    raw = np.empty((rows, len(SPIRAL_COLUMNS)))  # the columns as float, side by side
    for k, name in enumerate(SPIRAL_COLUMNS):
        raw[:, k] = column(name)
    deals = _deals_decided(column, has_deals, rows)
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


def _deals_decided(column: Callable[[str], np.ndarray], has_deals: bool, rows: int) -> np.ndarray:
    """Weight of each month's win rate: its decided deals when recorded, else 1."""
    if not has_deals:
        return np.ones(rows)
    return np.nan_to_num(column(DEALS_COLUMN).astype(float), nan=0.0)


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
            bridged[before + 1 : after] = True
    return bridged


def _pushing(level: np.ndarray, change: np.ndarray, min_rise: float, high: float) -> np.ndarray:
    """A driver is 'up': it rose by min_rise, or it sits at/above `high` and did not fall by
    min_rise."""
    return (change >= min_rise) | ((level >= high) & (change > -min_rise))
