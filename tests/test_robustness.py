"""`sim robustness`: world constants apart from levers, a Latin hypercube within their ranges,
both policies in the same worlds over the same seeds, paired differences that add up."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.config import preset
from sim.experiment.levers import LEVERS
from sim.experiment.robustness import UNCERTAINTIES, in_world, run_robustness, world_points

SMALL = {"months": 24}


def test_uncertainties_are_not_levers_and_worlds_stay_in_range() -> None:
    lever_keys = {lever.key for lever in LEVERS} - {"company.initial_cash"}
    assert not {u.key for u in UNCERTAINTIES} & lever_keys
    worlds = world_points(20)
    assert len(worlds) == 20
    for u in UNCERTAINTIES:
        assert worlds[u.key].between(u.low, u.high).all(), u.key
        assert worlds[u.key].nunique() >= (12 if u.integer else 20)


def test_a_world_is_the_same_for_both_policies() -> None:
    world = world_points(1).to_dict("records")[0]
    a, b = in_world(preset("product_led"), world), in_world(preset("sales_led"), world)
    assert a.market == b.market
    assert (
        a.company.initial_cash
        == b.company.initial_cash
        == pytest.approx(world["company.initial_cash"])
    )
    factor = world["market.segments.price_per_seat_usd"]
    base = preset("sales_led").market.segments["smb"].price_per_seat_usd
    assert b.market.segments["smb"].price_per_seat_usd == pytest.approx(base * factor)
    assert a.sales != b.sales  # the levers stay each policy's own


def test_paired_differences_add_up(tmp_path: Path) -> None:
    from sim.experiment.store import RunStore

    a = preset("product_led").with_overrides(SMALL)
    b = preset("sales_led").with_overrides(SMALL)
    result = run_robustness(a, b, 3, [0, 1], store=RunStore(tmp_path))
    w = result.worlds
    assert len(w) == 3 and result.counts.computed == 12
    pd.testing.assert_series_equal(
        w["months_alive_diff"],
        w["a_mean_months_alive"] - w["b_mean_months_alive"],
        check_names=False,
    )
    s = result.summary
    assert s["share_a_outlives_b"] == (w["months_alive_diff"] > 0).mean()
    assert (
        s["share_a_outlives_b_ci_low"] <= s["share_a_outlives_b"] <= s["share_a_outlives_b_ci_high"]
    )
    assert list(result.drivers["rank"]) == list(range(1, len(UNCERTAINTIES) + 1))
    same = run_robustness(a, a, 3, [0, 1], store=RunStore(tmp_path))
    assert (same.worlds["months_alive_diff"] == 0).all()  # a policy against itself: no gap


def test_cli_robustness_writes_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "robustness",
        "--worlds",
        "3",
        "--seeds",
        "2",
        "--months",
        "24",
        "--out",
        str(tmp_path),
        "--json",
    ]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["worlds"] == 3 and len(report["drivers"]) == len(UNCERTAINTIES)
    assert json.loads((tmp_path / "robustness.json").read_text())["worlds"] == 3
    assert "Plotly.newPlot" in (tmp_path / "robustness.html").read_text()
    assert main(["robustness", "nonexistent.yaml", "--worlds", "3"]) == 2


@pytest.mark.parametrize("worlds", ["0", "1", "2", "x"])
def test_too_few_worlds_is_one_line_and_exit_2(
    worlds: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One world printed +nan for every driver's rank correlation."""
    assert main(["robustness", "--worlds", worlds]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "3 or more" in err


def test_the_headline_counts_worlds_so_the_shares_add_up() -> None:
    """7 of 8 worlds and 1 of 8 printed as 88% and 13% added up to 101%: counts instead."""
    from sim.cli.robustness import _worlds

    summary = {"worlds": 8, "share_a_survives_more": 7 / 8, "share_b_survives_more": 1 / 8}
    assert (
        _worlds(summary, "share_a_survives_more") + _worlds(summary, "share_b_survives_more") == 8
    )
