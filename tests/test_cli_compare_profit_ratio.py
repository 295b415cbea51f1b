"""`sim compare` shows profit / revenue per run as a ratio with both sides, not as a bare
difference in points: with little revenue the margin runs far below -1, and "mean profit margin
-434 pp (-570 pp ... -299 pp)" could not be read. It prints the median (with a paired bootstrap
interval), not the mean: a few runs with almost no revenue carry the mean, which on seeds 0-31
ranked the product-led company below the sales-led one. The mean, which scenario claims use
(`mean_profit_margin` in `expect:`), is unchanged and stays in --json."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.cli.entry import EXIT_OK, main
from sim.report.html import _interval, _metric_format
from sim.report.text import compare_rows, paired_rows

LABEL = "median profit / revenue (ratio)"


def test_side_by_side_row_is_a_ratio_with_both_sides() -> None:
    rows = {
        row[0]: row[1:]
        for row in compare_rows(
            {"median_profit_margin": -9.30978729924331},
            {"median_profit_margin": -4.965493457926156},
        )
    }
    assert rows[LABEL] == ["-9.31", "-4.97", "-4.34"]
    assert not any("margin" in label for label in rows)


def test_paired_row_is_a_ratio_not_points() -> None:
    paired = {"median_profit_margin": {"mean": -4.3443, "low": -5.7027, "high": -2.9858}}
    rows = {row[0]: row[1:] for row in paired_rows(paired)}
    assert rows[LABEL] == ["-4.34", "-5.70 ... -2.99"]
    assert "pp" not in " ".join(rows[LABEL])


def test_report_html_reads_the_margin_as_a_ratio_too() -> None:
    value = {"mean": -4.3443, "low": -5.7027, "high": -2.9858}
    assert _interval(value, "mean_profit_margin") == "-5.70 to -2.99"
    assert _metric_format("mean_profit_margin")(-9.3098) == "-9.31"


def test_the_metric_is_still_the_mean_of_profit_over_revenue() -> None:
    """What `expect:` claims read: the mean over runs with revenue of (revenue - costs) /
    revenue, as a plain number (not scaled to points or percent)."""
    from sim.cli.common import ensemble_for, resolve_scenario

    scenario = resolve_scenario("scenarios/lessons/contingent_deals_a.yaml", months=24)
    ens = ensemble_for(scenario, [0, 1, 2], 1, True)
    runs = ens.summaries.to_dict("records")
    margins = [
        (r["cumulative_revenue_usd"] - r["cumulative_costs_usd"]) / r["cumulative_revenue_usd"]
        for r in runs
        if r["cumulative_revenue_usd"] > 0
    ]
    assert margins
    assert ens.summary["mean_profit_margin"] == pytest.approx(float(np.mean(margins)))


def test_cli_prints_the_ratio_and_json_keeps_the_metric(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "compare",
        "scenarios/lessons/contingent_deals_a.yaml",
        "scenarios/lessons/contingent_deals_b.yaml",
        "--seeds",
        "4",
        "--months",
        "24",
    ]
    assert main([*argv, "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    sa, sb = data["a"]["summary"], data["b"]["summary"]
    assert data["difference"]["mean_profit_margin"] == pytest.approx(
        sa["mean_profit_margin"] - sb["mean_profit_margin"]
    )
    assert data["paired"]["mean_profit_margin"]["mean"] is not None  # kept for claims
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    side_by_side, paired = out.split("Paired A - B")
    row = next(line for line in side_by_side.splitlines() if line.strip().startswith(LABEL))
    a, b, diff = row.split()[-3:]
    assert float(a) == pytest.approx(sa["median_profit_margin"], abs=0.005)
    assert float(b) == pytest.approx(sb["median_profit_margin"], abs=0.005)
    assert float(diff) == pytest.approx(float(a) - float(b), abs=1e-9)
    assert "profit / revenue: per run" in side_by_side  # how to read it
    paired_row = next(line for line in paired.splitlines() if line.strip().startswith(LABEL))
    assert "pp" not in paired_row
    median = data["paired"]["median_profit_margin"]
    assert paired_row.split()[len(LABEL.split())] == f"{median['mean']:+.2f}"
    assert median["mean"] == pytest.approx(sa["median_profit_margin"] - sb["median_profit_margin"])
    assert median["low"] <= median["mean"] <= median["high"]
    assert "mean profit / revenue" not in out  # the mean is not printed
