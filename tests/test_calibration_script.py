"""scripts/calibrate.py: its measurement functions run on a tiny ensemble and give finite numbers.

No benchmark band is asserted here (calibration is judged in docs/calibration.md, not by tests).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = 2
MONTHS = 24


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "calibrate_script", ROOT / "scripts" / "calibrate.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cal():
    return _load_script()


@pytest.fixture(scope="module")
def tiny(cal):
    scenarios = cal.scenarios_to_check(months=MONTHS)
    default = {"default": scenarios["default"]}
    return cal.run_ensembles(default, seeds=SEEDS, workers=1)["default"]


# Measures every run of 24 months must produce (the rest may be NaN when, say, no enterprise
# customer signed in two short runs).
CORE = (
    "rep_ramp",
    "reps_at_quota",
    "quota_attainment",
    "rep_attrition",
    "churn_smb",
    "churn_midmarket",
    "cac_payback",
    "gross_margin",
    "acv_smb",
    "acv_midmarket",
    "cycle_smb",
    "cycle_midmarket",
    "initial_cash",
    "initial_engineers",
    "initial_reps",
    "engineer_cost",
    "rep_base",
    "fit_loss_18",
    "fit_loss_24",
)


def test_runs_measured(tiny):
    assert len(tiny["runs"]) == SEEDS and len(tiny["stagnation"]) == SEEDS
    for tally in tiny["runs"]:
        assert 1 <= tally.months_run <= MONTHS
        assert (tally.churn_lost <= tally.churn_at_risk).all()
        assert tally.rep_months > 0 and tally.reps_left >= 0


def test_measures_are_finite(cal, tiny):
    checks = {c.key: c for c in cal._checks(tiny["runs"][0].segments)}
    assert set(CORE) <= set(checks)
    for key, check in checks.items():
        cell = cal.evaluate(check, tiny["stagnation" if check.stagnation else "runs"])
        assert isinstance(cell.value, float)
        if key in CORE:
            assert math.isfinite(cell.value), key
            assert math.isfinite(cell.ci_low) and math.isfinite(cell.ci_high), key
            assert cell.ci_low <= cell.value + 1e-9 or check.is_input, key
        assert isinstance(cal.verdict(check, cell), str)


def test_pooled_measures_directly(cal, tiny):
    runs = tiny["runs"]
    for value in (
        cal.ramp_months(runs),
        cal.reps_at_quota_share(runs),
        cal.rep_attrition_annual(runs),
        cal.churn_monthly(runs, "smb"),
        cal.cac_payback_months(runs),
        cal.gross_margin(runs),
        cal.acv_usd(runs, "midmarket"),
        cal.cycle_months(runs, "smb"),
        cal.fit_loss(tiny["stagnation"], 24),
    ):
        assert math.isfinite(value)
    assert 0.0 <= cal.reps_at_quota_share(runs) <= 1.0
    assert 0.0 <= cal.rep_attrition_annual(runs) <= 1.0


def test_page_renders_and_writes_atomically(cal, tiny, tmp_path):
    checks = cal._checks(tiny["runs"][0].segments)
    cells = {
        c.key: {"default": cal.evaluate(c, tiny["stagnation" if c.stagnation else "runs"])}
        for c in checks
    }
    table = cal.Table(
        checks, cells, ["default"], SEEDS, MONTHS, {"default": cal._context(tiny["runs"])}
    )
    text = cal.render(table)
    for check in checks:
        assert check.label in text
    out = tmp_path / "docs" / "calibration.md"
    cal.write_atomic(out, text)
    assert out.read_text(encoding="utf-8") == text
    assert [p.name for p in out.parent.iterdir()] == ["calibration.md"]


def test_plausibility_bands_name_real_checks(cal, tiny):
    """Every band of issue 11's plausibility list replaces the band of an existing check, so a
    renamed check cannot drop out of the presets' verdict unnoticed."""
    checks = cal._checks(tiny["runs"][0].segments)
    wider = {c.key: c for c in cal.plausibility_checks(checks)}
    assert set(wider) == set(cal.PLAUSIBILITY_BANDS)
    churn = wider["churn_smb"]
    cell = cal.Cell(0.06, 0.05, 0.07, 8)
    assert cal.verdict(churn, cell) == "in band"
    default = next(c for c in checks if c.key == "churn_smb")
    assert cal.verdict(default, cell).startswith("OUTSIDE")
    assert cal.verdict(wider["quota_attainment"], cal.Cell(1.3, 1.2, 1.4, 8)).startswith("OUTSIDE")
