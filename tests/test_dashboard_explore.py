"""The Explore page through Streamlit's AppTest: a sweep over one lever fills in from the run
store, a second visit computes nothing, two levers draw a map, and a point opens on Compare."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SIM_DASHBOARD_WORKERS", "0")
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"

from dashboard_helpers import goto, sides
from streamlit.testing.v1 import AppTest

TIMEOUT = 180


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SIM_STORE_DIR", str(tmp_path))
    monkeypatch.delenv("SIM_STORE", raising=False)
    return tmp_path


def _explore() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {"seeds": "2", "months": "12"}
    at.run()
    goto(at, "explore")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _stored(store_dir: Path) -> int:
    return sum(1 for p in store_dir.rglob("*.parquet") if p.stem.isdigit())


def test_one_lever_curve_fills_from_the_store_and_opens_a_point(store_dir: Path) -> None:
    at = _explore()
    assert _stored(store_dir) == 6 * 2  # the default: 6 points (0, 20, ... 100 %) x 2 seeds
    at.select_slider(key="explore_n_contingent_acceptance").set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _stored(store_dir) == 6 * 2 + 2  # 0 and 100 % came from the store, 50 % is new
    picker = at.selectbox(key="explore_point")
    assert len(picker.options) == 3 and "survival" in picker.options[0]
    assert at.get("plotly_chart")
    mtimes = sorted(p.stat().st_mtime_ns for p in store_dir.rglob("*.parquet"))
    at.run()  # a rerun: everything from the store, nothing rewritten
    assert sorted(p.stat().st_mtime_ns for p in store_dir.rglob("*.parquet")) == mtimes

    picker.set_value(2).run()
    at.button(key="explore_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    side_b = sides(at)["B"].scenario
    side_a = sides(at)["A"].scenario
    assert side_b.sales.contingent_acceptance == 1.0  # the last of 0, 50, 100 %
    assert side_b.preset == side_a.preset and side_b.company == side_a.company


def test_two_levers_draw_a_map(store_dir: Path) -> None:
    at = _explore()
    at.multiselect(key="explore_levers").select("company.initial_cash").run()
    at.select_slider(key="explore_n_contingent_acceptance").set_value(3).run()
    at.select_slider(key="explore_n_initial_cash").set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.selectbox(key="explore_point").options) == 9
    assert _stored(store_dir) >= 9 * 2


def test_range_sliders_show_whole_percentages():
    """A percent lever's range reads "0%" to "100%" (it read "0.00" to "100.00"); cash keeps
    its decimals."""
    from dashboard.views.explore import range_slider_args
    from sim.experiment import levers as lv

    accept = range_slider_args(lv.BY_KEY["sales.contingent_acceptance"])
    assert accept["format"] == "%d%%" and accept["value"] == (0, 100) and accept["step"] == 5
    assert all(isinstance(v, int) for v in (accept["min_value"], accept["max_value"]))
    horizon = range_slider_args(lv.BY_KEY["sales.promise_horizon_months"])
    assert horizon["format"] == "%d"
    cash = range_slider_args(lv.BY_KEY["company.initial_cash"])
    assert cash["format"] == "%.2f" and cash["step"] == 0.25
