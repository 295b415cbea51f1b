"""Ensembles with a fake model run: determinism across executors, bands, summaries, progress."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from sim.analysis.bands import DEFAULT_QUANTILES
from sim.analysis.summaries import ENSEMBLE_METRICS, RUN_METRICS
from sim.config import Scenario
from sim.experiment import ensemble as ensemble_module
from sim.experiment.ensemble import BAND_COLUMNS, Ensemble, run_ensemble

MONTHS = 24
DEATH_SHARE = 0.4  # share of fake runs that die before the horizon


@dataclass
class FakeResult:
    """Stands in for sim.model's RunResult."""

    series: pd.DataFrame
    summary: dict = field(default_factory=dict)
    events: pd.DataFrame = field(default_factory=pd.DataFrame)


def fake_run(scenario: Scenario, seed: int = 0) -> FakeResult:
    """A synthetic series that depends only on (scenario.months, seed); some runs die early."""
    rng = np.random.default_rng(seed)
    months = scenario.months
    length = int(rng.integers(months // 2, months)) if rng.random() < DEATH_SHARE else months
    m = np.arange(1, length + 1)
    mrr = np.cumsum(rng.uniform(0, 2_000, length))
    frame = pd.DataFrame(
        {
            "month": m,
            "cash_usd": 2e6 - 50_000 * m,
            "runway_months": 40.0 - m,
            "mrr_usd": mrr,
            "arr_usd": 12 * mrr,
            "customers": np.arange(length),
            "product_fit": rng.uniform(0.3, 0.7, length),
            "competitor_fit": rng.uniform(0.3, 0.7, length),
            "custom_share": rng.uniform(0, 0.5, length),
            "reps": 2,
            "pressure": rng.uniform(0, 1, length),
            "win_rate": rng.uniform(0, 0.6, length),
            "bookings_usd": rng.uniform(0, 10_000, length),
            "complexity": np.linspace(0, 1, length),
            "revenue_usd": mrr,
            "costs_usd": 120_000.0,
            "burn_usd": 120_000.0 - mrr,
            "pmf": m > 6,
            "alive": True,
        }
    )
    frame.loc[frame.index[-1], "alive"] = length == months
    return FakeResult(frame, summary={"survived": "from the model", "model_only_key": seed})


@pytest.fixture
def scenario() -> Scenario:
    return Scenario(months=MONTHS, name="fake")


def test_seed_count_means_seeds_from_zero(scenario: Scenario) -> None:
    result = run_ensemble(scenario, seeds=5, runner=fake_run, progress=False)
    assert isinstance(result, Ensemble)
    assert result.seeds == [0, 1, 2, 3, 4]
    assert result.summaries["seed"].tolist() == [0, 1, 2, 3, 4]
    assert len(result.runs) == len(result.series) == 5


def test_serial_equals_parallel(scenario: Scenario) -> None:
    serial = run_ensemble(scenario, seeds=8, runner=fake_run, progress=False)
    parallel = run_ensemble(scenario, seeds=8, workers=2, runner=fake_run, progress=False)
    pd.testing.assert_frame_equal(serial.summaries, parallel.summaries)
    pd.testing.assert_frame_equal(serial.bands, parallel.bands)
    assert serial.summary == parallel.summary
    assert serial.death_months == parallel.death_months


def test_same_seeds_same_result_and_explicit_seed_lists(scenario: Scenario) -> None:
    first = run_ensemble(scenario, seeds=[3, 7, 11], runner=fake_run, progress=False)
    again = run_ensemble(scenario, seeds=[3, 7, 11], runner=fake_run, progress=False)
    pd.testing.assert_frame_equal(first.summaries, again.summaries)
    assert first.seeds == [3, 7, 11]


def test_bands_shape_and_columns(scenario: Scenario) -> None:
    result = run_ensemble(scenario, seeds=6, runner=fake_run, progress=False)
    assert len(result.bands) == MONTHS
    assert result.bands["month"].tolist() == list(range(1, MONTHS + 1))
    expected = {"month", "alive_share"} | {
        f"{c}_p{int(q * 100)}" for c in BAND_COLUMNS for q in DEFAULT_QUANTILES
    }
    assert set(result.bands.columns) == expected
    assert result.bands["alive_share"].between(0, 1).all()


def test_summaries_and_summary_keys(scenario: Scenario) -> None:
    result = run_ensemble(scenario, seeds=10, runner=fake_run, progress=False)
    assert set(RUN_METRICS) <= set(result.summaries.columns)
    assert "model_only_key" in result.summaries.columns  # extra model keys are kept
    assert result.summaries["survived"].map(type).eq(bool).all()  # shared keys come from the series
    assert set(result.summary) == set(ENSEMBLE_METRICS)
    died = result.summaries[~result.summaries["survived"]]
    assert result.death_months == died["month_of_death"].astype(int).tolist()
    assert result.summary["survival_rate"] == pytest.approx(result.summaries["survived"].mean())
    json.dumps(result.summary, allow_nan=False)


def test_bad_seeds_and_workers(scenario: Scenario) -> None:
    for seeds in (0, [], [1, 1]):
        with pytest.raises(ValueError):
            run_ensemble(scenario, seeds=seeds, runner=fake_run, progress=False)
    with pytest.raises(ValueError):
        run_ensemble(scenario, seeds=2, workers=0, runner=fake_run, progress=False)


def test_progress_shown_only_when_asked_or_on_a_terminal_outside_ci(
    monkeypatch: pytest.MonkeyPatch, scenario: Scenario
) -> None:
    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    run_ensemble(scenario, seeds=3, runner=fake_run)
    assert stderr.getvalue() == ""  # not a terminal: silent
    run_ensemble(scenario, seeds=3, runner=fake_run, progress=True)
    assert "3/3" in stderr.getvalue()
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(stderr, "isatty", lambda: True, raising=False)
    assert ensemble_module._show_progress(None) is False
    monkeypatch.delenv("CI")
    assert ensemble_module._show_progress(None) is True


def test_a_models_own_summary_is_reused_only_when_it_is_the_same_summary() -> None:
    """A run from sim.experiment.runner.run carries summarize_run of its series for its horizon:
    the ensemble takes it as it is, which must equal recomputing it; any other result (or another
    horizon) is summarised from its series."""
    from sim.analysis.summaries import summarize_run
    from sim.config import preset
    from sim.experiment.runner import run

    scenario = preset("sales_led").with_overrides({"months": 18, "market.size_scale": 0.3})
    for seed in range(3):
        result = run(scenario, seed=seed, attribute=False)
        assert result.summarized_months == 18
        reused = ensemble_module._run_summary(result, 18)
        recomputed = summarize_run(result.series, 18)
        assert reused == recomputed | {
            k: v for k, v in result.summary.items() if k not in recomputed
        }
        assert ensemble_module._run_summary(result, 24)["survived"] is False  # recomputed
    fake = fake_run(Scenario(months=MONTHS, name="fake"), seed=1)
    assert ensemble_module._run_summary(fake, MONTHS)["survived"] in (True, False)


def test_fast_quantiles_equal_numpy_nanquantile() -> None:
    """bands._nan_quantiles sorts once and groups columns; its numbers are np.nanquantile's."""
    from sim.analysis.bands import _nan_quantiles

    rng = np.random.default_rng(7)
    for trial in range(200):
        rows, cols = int(rng.integers(1, 70)), int(rng.integers(1, 80))
        table = rng.normal(size=(rows, cols)) * 10.0 ** int(rng.integers(-3, 8))
        if trial % 3:
            table = np.round(table, int(rng.integers(0, 3)))  # ties
        table[rng.random((rows, cols)) < rng.random() * 0.7] = np.nan
        qs = [0.1, 0.5, 0.9] if trial % 2 else [0.05, 0.25, 0.5, 0.75, 0.95]
        expected = np.full((len(qs), cols), np.nan)
        has = ~np.isnan(table).all(axis=0)
        if has.any():
            expected[:, has] = np.nanquantile(table[:, has], qs, axis=0)
        assert np.array_equal(_nan_quantiles(table, qs), expected, equal_nan=True), trial
