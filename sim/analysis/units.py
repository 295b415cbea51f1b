"""The one home of number formatting: money, percentages, months, counts, signed differences.

Used by the debrief (this layer), the text tables and figure labels (``sim.report``), the CLI and
the dashboard, so a dollar amount reads the same everywhere. Pure functions, no imports beyond the
standard library. Each takes ``missing``: what to show for None / NaN / a non-number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MISSING = "-"


def is_number(value: Any) -> bool:
    """A finite int or float (numpy scalars included), not a bool."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def money(value: Any, missing: str = MISSING) -> str:
    """Whole dollars with thousands separators: $1,234,567 (negative: -$1,234)."""
    if not is_number(value):
        return missing
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def money_short(value: Any, decimals: int = 2, missing: str = "?", grouping: bool = False) -> str:
    """Dollars in a short form: $950, $45k, $1.25M (``decimals`` after the point for millions).

    ``grouping`` puts thousands separators into the number where rounding makes one appear
    ($1,000k rather than $1000k; the chart labels use it, the debrief does not).
    """
    if not is_number(value):
        return missing
    sep = "," if grouping else ""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}${v / 1e6:{sep}.{decimals}f}M"
    if v >= 1e3:
        return f"{sign}${v / 1e3:{sep}.0f}k"
    return f"{sign}${v:{sep}.0f}"


def money_millions(value: Any, decimals: int = 1, missing: str = MISSING) -> str:
    """Dollars always in millions: $0.3M, $12.5M."""
    if not is_number(value):
        return missing
    return f"${value / 1e6:,.{decimals}f}M"


def half_up(value: float, decimals: int = 0) -> float:
    """``value`` rounded half away from zero, as a reader rounds (62.5 -> 63; Python's format()
    rounds half to even, 62.5 -> 62), so a share reads the same in the CLI and the dashboard."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(step, rounding=ROUND_HALF_UP))


def percent(value: Any, missing: str = MISSING) -> str:
    """A share (0-1) as a whole percentage, half rounded up: 0.23 -> 23%, 0.625 -> 63%."""
    return f"{half_up(100 * value):.0f}%" if is_number(value) else missing


def yes_no(value: Any, missing: str = MISSING) -> str:
    """yes / no, or ``missing`` for None."""
    return missing if value is None else ("yes" if value else "no")


def month(value: Any, missing: str = MISSING) -> str:
    """A month number: whole (32), or to one decimal when it is not whole (a median over an even
    number of runs can fall between two months: 32.5, not 32); ``missing`` when there is none."""
    if not is_number(value):
        return missing
    shown = half_up(value, 1)
    return f"{shown:.0f}" if shown.is_integer() else f"{shown:.1f}"


def months(n: int) -> str:
    """``1 month``, ``5 months``."""
    return f"{n} month{'s' if n != 1 else ''}"


def number(value: Any, missing: str = MISSING) -> str:
    """A count or quantity with thousands separators."""
    return f"{value:,.0f}" if is_number(value) else missing


def signed_money(value: float | None, missing: str = MISSING) -> str:
    """A difference in dollars with its sign: +$1,200 / -$300."""
    return missing if value is None else ("+" if value >= 0 else "") + money(value)


def signed_points(value: float | None, missing: str = MISSING) -> str:
    """A difference of shares in percentage points, half rounded away from zero as ``percent``
    rounds: +12 pp, and 2 of 16 against none +13 pp, as 13% less 0% (format() said +12 pp)."""
    return missing if value is None else f"{half_up(100 * value) + 0.0:+.0f} pp"


def signed_months(value: float | None, missing: str = MISSING) -> str:
    """A difference in months: +3, or -7.5 when it is not whole (as ``month``)."""
    if not is_number(value):
        return missing
    shown = half_up(value, 1) + 0.0  # + 0.0: no "-0"
    return f"{shown:+.0f}" if shown.is_integer() else f"{shown:+.1f}"


def shown_pair(a: float, b: float, places: Sequence[int] = (0,)) -> tuple[float, float, float, int]:
    """``a``, ``b`` and their difference rounded (half up) so that the printed difference is the
    printed ``a`` less the printed ``b`` (never 25, 32 and -8 for 25, 32.5 and -7.5).

    Tries the decimal places in ``places`` in order and keeps the first at which the difference
    of the rounded values is also the rounded exact difference; at the last it keeps the
    difference of the rounded values regardless (then off the exact difference by less than one
    unit in the last place). Returns (shown a, shown b, shown a - b, decimals).
    """
    if not places:
        raise ValueError("shown_pair needs at least one number of decimal places")
    for decimals in places:
        shown_a, shown_b = half_up(a, decimals), half_up(b, decimals)
        diff = half_up(shown_a - shown_b, decimals) + 0.0  # + 0.0: no "-0"
        if diff == half_up(a - b, decimals) + 0.0:
            break
    return shown_a, shown_b, diff, decimals
