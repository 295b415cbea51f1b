"""Paired A-B differences: the same seeds under two scenarios, one difference per seed.

Under common random numbers a seed is the same world for both sides, so the per-seed differences
carry the comparison; their mean with a t interval (scipy) is much tighter than two marginal
intervals side by side. A median (of a metric whose mean a few runs dominate) gets the difference
of the two medians with a paired bootstrap interval: the seeds are resampled together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CONFIDENCE = 0.95  # two-sided level of the paired interval
BOOTSTRAP_RESAMPLES = 2000
"""Resamples of the seeds behind a paired median's interval (scipy's percentile bootstrap)."""
BOOTSTRAP_SEED = 0
"""The bootstrap's own generator seed: the same runs always print the same interval."""


def _pairs(
    a: Sequence[float | bool | None], b: Sequence[float | bool | None]
) -> tuple[np.ndarray, np.ndarray]:
    """The seeds where both sides have a finite value, as two aligned arrays."""
    if len(a) != len(b):
        raise ValueError(
            f"a paired difference needs one value per seed on each side, got {len(a)} and {len(b)}"
        )
    pairs = [
        (float(x), float(y)) for x, y in zip(a, b, strict=True) if x is not None and y is not None
    ]
    kept = [(x, y) for x, y in pairs if np.isfinite(x) and np.isfinite(y)]
    return np.array([x for x, _ in kept]), np.array([y for _, y in kept])


def paired_difference(
    a: Sequence[float | bool | None],
    b: Sequence[float | bool | None],
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float] | None:
    """Mean of a - b over the seeds where both have a value, with its t interval.

    None when fewer than two seeds have both values. With no spread at all the interval is the
    mean itself.
    """
    xs, ys = _pairs(a, b)
    diff = xs - ys
    if diff.size < 2:
        return None
    mean, sd = float(diff.mean()), float(diff.std(ddof=1))
    if sd == 0.0:
        return mean, mean, mean
    from scipy import stats  # here, not at import: scipy.stats costs ~0.5 s

    half = float(stats.t.ppf(0.5 + confidence / 2, diff.size - 1)) * sd / np.sqrt(diff.size)
    return mean, mean - half, mean + half


def paired_median_difference(
    a: Sequence[float | bool | None],
    b: Sequence[float | bool | None],
    confidence: float = CONFIDENCE,
) -> tuple[float, float, float] | None:
    """Median of a less median of b over the seeds where both have a value, with a paired
    percentile bootstrap interval (``scipy.stats.bootstrap``, seeds resampled together).

    None when fewer than two seeds have both values. With no spread in either side's medians
    across resamples the interval is the difference itself.
    """
    xs, ys = _pairs(a, b)
    if xs.size < 2:
        return None
    value = float(np.median(xs) - np.median(ys))
    from scipy import stats  # here, not at import: scipy.stats costs ~0.5 s

    def statistic(x: np.ndarray, y: np.ndarray, axis: int) -> np.ndarray:
        return np.median(x, axis=axis) - np.median(y, axis=axis)

    res = stats.bootstrap(
        (xs, ys),
        statistic,
        paired=True,
        vectorized=True,
        n_resamples=BOOTSTRAP_RESAMPLES,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(BOOTSTRAP_SEED),
    )
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if not (np.isfinite(low) and np.isfinite(high)):
        return value, value, value
    return value, min(low, value), max(high, value)


# Ensemble metrics that are a mean or a rate of one run metric: their A-B difference has a paired
# t interval over the seeds (medians and percentiles have none, apart from ``PAIRED_MEDIANS``).
PAIRED_METRICS: dict[str, str] = {
    "survival_rate": "survived",
    "spiral_rate": "spiral",
    "loop_attributable_rate": "loop_attributable",
    "mean_custom_share": "mean_custom_share",
    "mean_final_arr_usd": "final_arr_usd",
    "mean_bookings_12m_usd": "bookings_12m_usd",
    "mean_revenue_12m_usd": "revenue_12m_usd",
    "mean_cumulative_revenue_usd": "cumulative_revenue_usd",
    "mean_product_fit": "mean_product_fit",
    "mean_relative_fit": "mean_relative_fit",
    "mean_profit_margin": "profit_margin",
    "mean_promises_broken": "total_promises_broken",
    "mean_contingent_conversion_rate": "contingent_conversion_rate",
    "mean_custom_overrun_ratio": "custom_overrun_ratio",
}

PAIRED_MEDIANS: dict[str, str] = {
    "median_profit_margin": "profit_margin",
}
"""Ensemble medians with a paired (bootstrap) interval: profit / revenue, whose mean a run with
almost no revenue dominates (the product-led company on seed 2 died in month 23 with $33k of
revenue: -91)."""


def paired_metric(
    metric: str, runs_a: Sequence[dict], runs_b: Sequence[dict]
) -> tuple[float, float, float] | None:
    """Paired A-B difference of an ensemble metric from the two sides' run summaries (same seeds,
    same order); None for a metric without a per-run counterpart."""
    if metric in PAIRED_MEDIANS:
        key = PAIRED_MEDIANS[metric]
        return paired_median_difference([r.get(key) for r in runs_a], [r.get(key) for r in runs_b])
    key = PAIRED_METRICS.get(metric)
    if key is None:
        return None
    return paired_difference([r.get(key) for r in runs_a], [r.get(key) for r in runs_b])


def paired_sides(
    metric: str, runs_a: Sequence[dict], runs_b: Sequence[dict]
) -> tuple[int, float | None, float | None] | None:
    """The seeds a paired difference of ``metric`` is over, and each side's value on just those
    seeds (the mean; for ``PAIRED_MEDIANS`` the median): A less B of these two is the paired
    difference. A rate some runs lack (contingent conversion: only runs with such deals) pairs
    fewer seeds than each side has, so these, not the sides' own means, are what its difference
    compares. None for a metric without a per-run counterpart."""
    key = PAIRED_MEDIANS.get(metric) or PAIRED_METRICS.get(metric)
    if key is None:
        return None
    xs, ys = _pairs([r.get(key) for r in runs_a], [r.get(key) for r in runs_b])
    if xs.size == 0:
        return 0, None, None
    stat = np.median if metric in PAIRED_MEDIANS else np.mean
    return int(xs.size), float(stat(xs)), float(stat(ys))
