"""Common random numbers: under one seed, company levers never change the world.

Two scenarios that differ only in company levers (here the two presets, and a one-lever change)
face the same need profiles month by month, the same prospects arriving and the same competitor
release months; different seeds give different worlds.
"""

from __future__ import annotations

import numpy as np
import pytest
from mechanisms_helpers import world_of

from sim.config import preset

MONTHS = 36
SEEDS = (1001, 1002, 1003)


def _world(scenario, seed: int) -> tuple[list[np.ndarray], list[int], np.ndarray]:
    """Need logits each month, the competitor's leapfrog months, and every arrival's draw."""
    world = world_of(scenario.with_overrides({"months": MONTHS}), seed)
    return world.needs, world.leapfrogs, world.arrivals


@pytest.mark.parametrize("seed", SEEDS)
def test_the_presets_face_the_same_world(seed: int) -> None:
    needs_a, leap_a, arrivals_a = _world(preset("sales_led"), seed)
    needs_b, leap_b, arrivals_b = _world(preset("product_led"), seed)
    assert all(np.array_equal(a, b) for a, b in zip(needs_a, needs_b, strict=True))
    assert leap_a == leap_b
    assert np.array_equal(arrivals_a, arrivals_b)


def test_a_single_lever_change_keeps_the_world() -> None:
    base = preset("sales_led")
    needs_a, leap_a, _ = _world(base, 1004)
    needs_b, leap_b, _ = _world(base.with_overrides({"sales.commission_rate": 0.11}), 1004)
    assert leap_a == leap_b
    assert np.array_equal(needs_a[-1], needs_b[-1])


def test_different_seeds_give_different_worlds() -> None:
    needs_a, _, _ = _world(preset("sales_led"), 1005)
    needs_b, _, _ = _world(preset("sales_led"), 1006)
    assert not np.array_equal(needs_a[0], needs_b[0])
