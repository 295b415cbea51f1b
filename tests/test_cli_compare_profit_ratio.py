"""`sim compare` shows the mean profit margin (profit / revenue per run) as a ratio with both
sides, not as a bare difference in points: with little revenue the margin runs far below -1, and
"mean profit margin -434 pp (-570 pp ... -299 pp)" could not be read. The metric itself, which
scenario claims use (`mean_profit_margin` in `expect:`), is unchanged."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.cli.entry import EXIT_OK, main
from sim.report.html import _interval, _metric_format
from sim.report.text import compare_rows, paired_rows

LABEL = "mean profit / revenue (ratio)"


def test_side_by_side_row_is_a_ratio_with_both_sides() -> None:
    rows = {
        row[0]: row[1:]
        for row in compare_rows(
            {"mean_profit_margin": -9.30978729924331}, {"mean_profit_margin": -4.965493457926156}
        )
    }
    assert rows[LABEL] == ["-9.31", "-4.97", "-4.34"]
    assert not any("margin" in label for label in rows)


def test_paired_row_is_a_ratio_not_points() -> None:
    paired = {"mean_profit_margin": {"mean": -4.3443, "low": -5.7027, "high": -2.9858}}
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
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    side_by_side, paired = out.split("Paired A - B")
    row = next(line for line in side_by_side.splitlines() if line.strip().startswith(LABEL))
    a, b, diff = row.split()[-3:]
    assert float(a) == pytest.approx(sa["mean_profit_margin"], abs=0.005)
    assert float(b) == pytest.approx(sb["mean_profit_margin"], abs=0.005)
    assert float(diff) == pytest.approx(float(a) - float(b), abs=1e-9)
    assert "profit / revenue: per run" in side_by_side  # how to read it
    paired_row = next(line for line in paired.splitlines() if line.strip().startswith(LABEL))
    assert "pp" not in paired_row
    mean = data["paired"]["mean_profit_margin"]["mean"]
    assert paired_row.split()[len(LABEL.split())] == f"{mean:+.2f}"
    assert not np.isnan(mean)
