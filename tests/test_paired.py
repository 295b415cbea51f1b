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
