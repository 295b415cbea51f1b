"""`sim sweep`: grid and Latin hypercube points, one-line errors for bad --vary, the table, the
self-contained HTML chart (curve with its band; map with the 50% contour), and agreement with
the ensemble run at each point."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config import preset
from sim.experiment.ensemble import run_ensemble
from sim.experiment.sweep import grid_points, lhs_points, parse_vary, run_sweep
from sim.report.explore import sweep_curve, sweep_map

BASE = preset("sales_led")
SMALL = ["--seeds", "4", "--months", "24"]


def test_grid_values_and_whole_number_levers() -> None:
    acceptance = parse_vary("sales.contingent_acceptance=0:1:11", BASE)
    assert acceptance.values()[:3] == [0.0, 0.1, 0.2] and len(acceptance.values()) == 11
    engineers = parse_vary("company.initial_engineers=2:12:6", BASE)
    assert engineers.values() == [2, 4, 6, 8, 10, 12]
    points = grid_points([acceptance, engineers])
    assert len(points) == 66 and points[0] == {
        "sales.contingent_acceptance": 0.0,
        "company.initial_engineers": 2,
    }


def test_latin_hypercube_stays_in_range_and_covers_each_stratum() -> None:
    varies = [
        parse_vary("sales.contingent_acceptance=0.2:0.6", BASE),
        parse_vary("company.initial_engineers=2:10", BASE),
    ]
    points = lhs_points(varies, 10)
    acc = sorted(p["sales.contingent_acceptance"] for p in points)
    assert len(points) == 10 and 0.2 <= acc[0] and acc[-1] <= 0.6
    strata = {int((a - 0.2) / 0.04) for a in acc}  # one point in each tenth of the range
    assert strata == set(range(10))
    assert all(isinstance(p["company.initial_engineers"], int) for p in points)
    assert points == lhs_points(varies, 10)  # the same points every time


@pytest.mark.parametrize(
    ("vary", "names"),
    [
        ("sales.contingent_acceptence=0:1:3", ["contingent_acceptence", "did you mean"]),
        ("sales.contingent_acceptance=0:2:3", ["sales.contingent_acceptance", "less than"]),
        ("sales.contingent_acceptance=0:1:1", ["N must be"]),
        ("sales.contingent_acceptance=0:x:3", ["STOP must be a number"]),
        ("sales.contingent_acceptance=0.5:0.5:3", ["nothing to sweep"]),
        ("sales.targeting=0:1:3", ["not a numeric lever"]),
        ("market=0:1:3", ["a group of settings", "e.g. market."]),
        ("contingent_acceptance=0:1:3", ["did you mean 'sales.contingent_acceptance'"]),
        ("sales.contingent_acceptance", ["expected KEY=START:STOP:N"]),
        ("sales.contingent_acceptance=0:1", ["a grid needs START:STOP:N"]),
    ],
)
def test_bad_vary_is_one_line_exit_2(
    vary: str, names: list[str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(["sweep", "sales_led", "--vary", vary, *SMALL, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    for name in names:
        assert name in err
    assert not any(tmp_path.iterdir()) or not (tmp_path / "sweep.csv").exists()


def test_sweep_point_equals_the_ensemble_at_that_point(tmp_path: Path) -> None:
    from sim.experiment.store import RunStore

    base = BASE.with_overrides({"months": 24})
    points = grid_points([parse_vary("sales.contingent_acceptance=0:0.8:2", base)])
    result = run_sweep(base, points, [0, 1, 2], store=RunStore(tmp_path))
    direct = run_ensemble(base.with_overrides(points[1]), seeds=3, progress=False)
    row = result.table.iloc[1]
    assert row["sales.contingent_acceptance"] == 0.8
    assert row["survival_rate"] == direct.summary["survival_rate"]
    assert row["survival_ci_low"] == direct.summary["survival_ci_low"]
    assert result.counts.computed == 6


def test_cli_sweep_writes_table_and_self_contained_html(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    argv = ["sweep", "sales_led", "--vary", "sales.contingent_acceptance=0:1:3", *SMALL]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "survival" in printed and "#" in printed and "12 runs computed" in printed
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["sales.contingent_acceptance"]) == [0.0, 0.5, 1.0]
    assert {"survival_rate", "survival_ci_low", "survival_ci_high", "runs"} <= set(table)
    assert (table["survival_ci_low"] <= table["survival_rate"]).all()
    parquet = pd.read_parquet(out / "sweep.parquet")
    assert list(parquet.columns) == list(table.columns)
    pd.testing.assert_frame_equal(table[["survival_rate"]], parquet[["survival_rate"]])
    html = (out / "sweep.html").read_text()
    assert "Plotly.newPlot" in html and "<script src=" not in html  # plotly.js inline
    assert main([*argv, "--out", str(out), "--json"]) == 0  # again: all from the store
    report = json.loads(capsys.readouterr().out)
    assert report["computed_runs"] == 0 and report["stored_runs"] == 12


def test_map_draws_the_fifty_percent_contour_where_survival_crosses_it() -> None:
    rows = [
        {"a": a, "b": b, "survival_rate": min(1.0, a + b / 10)}
        for a in (0.0, 0.25, 0.5, 0.75, 1.0)
        for b in (0, 2, 4)
    ]
    fig = sweep_map(pd.DataFrame(rows), "a", "b")
    kinds = [t.type for t in fig.data]
    assert kinds == ["heatmap", "contour"]
    assert fig.data[1].contours.start == 0.5 == fig.data[1].contours.end
    flat = sweep_map(pd.DataFrame([{**r, "survival_rate": 0.9} for r in rows]), "a", "b")
    assert [t.type for t in flat.data] == ["heatmap"]  # no crossing, no line


def test_curve_has_its_wilson_band() -> None:
    table = pd.DataFrame(
        {
            "x": [0.0, 0.5, 1.0],
            "survival_rate": [0.8, 0.5, 0.1],
            "survival_ci_low": [0.6, 0.3, 0.02],
            "survival_ci_high": [0.9, 0.7, 0.3],
            "runs": [32, 32, 32],
        }
    )
    fig = sweep_curve(table, "x")
    assert [t.fill for t in fig.data] == ["toself", None]
    assert "32 seeds" in fig.layout.title.text
