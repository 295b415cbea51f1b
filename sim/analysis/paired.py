"""Paired A-B differences: the same seeds under two scenarios, one difference per seed.

Under common random numbers a seed is the same world for both sides, so the per-seed differences
carry the comparison; their mean with a t interval (scipy) is much tighter than two marginal
intervals side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95  # two-sided level of the paired interval


def paired_difference(a: Sequence[float | bool | None], b: Sequence[float | bool | None],
                      confidence: float = CONFIDENCE) -> tuple[float, float, float] | None:
    """Mean of a - b over the seeds where both have a value, with its t interval.

    None when fewer than two seeds have both values. With no spread at all the interval is the
    mean itself.
    """
    if len(a) != len(b):
        raise ValueError(f"paired_difference needs one value per seed on each side, got {len(a)} and {len(b)}")
    pairs = [(float(x), float(y)) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    diff = np.array([x - y for x, y in pairs if np.isfinite(x) and np.isfinite(y)])
    if diff.size < 2:
        return None
    mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    if sd == 0.0:
        return mean, mean, mean
    half = float(stats.t.ppf(0.5 + confidence / 2, diff.size - 1)) * sd / np.sqrt(diff.size)
    return mean, mean - half, mean + half
