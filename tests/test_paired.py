"""Paired differences: per-seed A - B with a t interval; a median with a paired bootstrap."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest
from scipy import stats

from sim.analysis.paired import paired_difference, paired_median_difference, paired_metric


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


def test_a_paired_median_is_the_difference_of_medians_with_a_bootstrap_interval() -> None:
    """One outlier moves the mean of the differences far but not the medians; the interval is
    reproducible (its own generator) and brackets the difference."""
    rng = np.random.default_rng(5)
    a = list(rng.normal(-5.0, 1.0, 32))
    b = list(rng.normal(-0.2, 0.1, 32))
    b[3] = b[7] = -120.0  # two companies that died with almost no revenue
    mean, _, _ = paired_difference(a, b)
    assert mean > 0  # the mean says A is ahead
    value, low, high = paired_median_difference(a, b)
    assert value == pytest.approx(float(np.median(a) - np.median(b)))
    assert value < -4 and low <= value <= high < 0  # the medians say B is ahead
    assert paired_median_difference(a, b) == (value, low, high)


def test_a_paired_median_needs_two_seeds_with_both_values() -> None:
    assert paired_median_difference([1.0, None], [None, 2.0]) is None
    with pytest.raises(ValueError, match="one value per seed"):
        paired_median_difference([1.0], [1.0, 2.0])


def test_paired_metric_reads_profit_margins_as_a_median() -> None:
    runs_a = [{"profit_margin": v} for v in (-5.0, -6.0, -4.0, -5.5)]
    runs_b = [{"profit_margin": v} for v in (-0.2, -60.0, -0.3, -0.1)]
    value, low, high = paired_metric("median_profit_margin", runs_a, runs_b)
    assert value == pytest.approx(-5.25 - (-0.25))
    assert low <= value <= high


def _conversion_runs() -> tuple[list[dict], list[dict]]:
    """Sales-led and product-led conversion rates on seeds 0-15 (`sim compare sales_led
    product_led --seeds 16`): product-led took 'buy if you build X' deals on 7 seeds only."""
    a = [0.15, 0.176, 0.2, 0.179, 0.238, 0.333, 0.263, 0.333]
    a += [0.13, 0.5, 0.375, 0.4, 0.357, 0.125, 0.125, 0.3]
    b: list[float | None] = [None, 0.333, None, None, 1.0, 0.0, 0.0, None]
    b += [None, None, 0.0, None, 1.0, None, 0.333, None]
    key = "contingent_conversion_rate"
    return [{key: v} for v in a], [{key: v} for v in b]


def test_a_paired_difference_over_some_seeds_says_which_sides_it_compares() -> None:
    """The paired mean is over the 7 seeds both sides have, so each side's value there (not its
    own mean: 26% against 38%, -12 pp) is what adds up to it (-11 pp); the rows say 7 of 16."""
    from sim.report.text import paired_rows, paired_table

    runs_a, runs_b = _conversion_runs()
    value = paired_table(runs_a, runs_b)["mean_contingent_conversion_rate"]
    assert value is not None and value["seeds"] == 7
    assert value["a"] - value["b"] == pytest.approx(value["mean"])
    assert round(100 * value["mean"]) == -11
    paired = {"mean_contingent_conversion_rate": value}
    labels = [row[0] for row in paired_rows(paired, 16)]
    assert labels[1] == "contingent deals converted (7 of 16 seeds)"
    assert [row[0] for row in paired_rows(paired, 7)][1] == "contingent deals converted"


def test_the_reports_paired_row_adds_up_over_the_seeds_it_pairs() -> None:
    """`sim report --vs`: A and B of a row over fewer seeds are the values on those seeds."""
    from sim.report.html import _compare_table
    from sim.report.text import paired_table

    runs_a, runs_b = _conversion_runs()
    key = "contingent_conversion_rate"
    summary_a = {"mean_contingent_conversion_rate": float(np.mean([r[key] for r in runs_a]))}
    bs = [r[key] for r in runs_b if r[key] is not None]
    summary_b = {"mean_contingent_conversion_rate": float(np.mean(bs))}
    data = {
        "seeds": list(range(16)),
        "a": {"name": "sales_led", "summary": summary_a},
        "b": {"name": "product_led", "summary": summary_b},
        "paired": paired_table(runs_a, runs_b),
    }
    table = html.unescape(_compare_table(data))
    row = re.search(r"<tr><td>'buy if you build X'[^<]*</td>(.*?)</tr>", table)
    assert row is not None and "(7 of 16 seeds)" in row.group(0)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
    a, b, diff = (int(c.strip().rstrip("%").removesuffix(" pp")) for c in cells[:3])
    assert (a, b, diff) == (27, 38, -11) and a - b == diff
