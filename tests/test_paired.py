"""Paired differences: per-seed A - B with a t interval."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.paired import paired_difference


def test_matches_scipy_t_interval() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(1.0, 1.0, 40), rng.normal(0.0, 1.0, 40)
    mean, low, high = paired_difference(list(a), list(b))
    ref = stats.ttest_rel(a, b).confidence_interval(0.95)
    assert (
        mean == pytest.approx((a - b).mean())
        and low == pytest.approx(ref.low)
        and high == pytest.approx(ref.high)
    )


def test_pairing_is_tighter_than_the_worlds_spread() -> None:
    world = np.random.default_rng(4).normal(0, 10, 30)  # a big common part: the same world per seed
    mean, low, high = paired_difference(list(world + 1.0), list(world))
    assert (mean, low, high) == pytest.approx((1.0, 1.0, 1.0))


def test_missing_values_and_too_few_pairs() -> None:
    assert paired_difference([True, None, False], [False, 1.0, None]) is None
    assert paired_difference([1.0, 2.0, None], [0.0, 0.0, 5.0]) == pytest.approx(
        (1.5, 1.5 - 6.353, 1.5 + 6.353), abs=1e-2
    )
    with pytest.raises(ValueError, match="one value per seed"):
        paired_difference([1.0], [1.0, 2.0])


def test_paired_rows_read_in_units_and_clip_to_what_is_possible() -> None:
    """`sim compare`'s paired block: rates in points, money in $k/$M, and a survival interval
    never past 100 points (a t interval on 0/1 outcomes can overshoot)."""
    from sim.report.text import paired_rows

    paired = {
        "survival_rate": {"mean": -0.81, "low": -1.03, "high": -0.6},
        "mean_final_arr_usd": {"mean": -2.04e7, "low": -2.21e7, "high": -1.87e7},
        "spiral_rate": None,
    }
    rows = {row[0]: row[1:] for row in paired_rows(paired)}
    assert rows["survival"] == ["-81 pp", "-100 pp ... -60 pp"]
    assert rows["mean final ARR"] == ["-$20.40M", "-$22.10M ... -$18.70M"]
    assert "death spiral signature" not in rows
