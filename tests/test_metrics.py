"""Metrics on synthetic series: Wilson intervals, quantile bands, spiral detection, summaries."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis import spiral as metrics
from sim.analysis.bands import quantile_bands
from sim.analysis.spiral import detect_spiral
from sim.analysis.summaries import (
    ENSEMBLE_METRICS,
    RUN_METRICS,
    summarize_ensemble,
    summarize_run,
    wilson_interval,
)

MONTHS = 60
SPIRAL_ONSET = 30  # month the constructed loop closes (custom work rises again after pressure)
ONSET_TOLERANCE_MONTHS = 3
SPIRAL_SEEDS = 100
ONSET_HIT_SHARE = (
    0.85  # share of noisy spirals found with onset within tolerance (measured 0.89-0.97
)
#                            with the ordered detector: noise can hide the order of two close links)
NOISE_SEEDS = 200


# --- synthetic series ----------------------------------------------------------------------


def _ramp(
    months: np.ndarray, start: int, rate: float, base: float, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Flat at `base` until `start`, then a linear move of `rate` per month, clipped to [low,
    high]."""
    return np.clip(base + rate * np.clip(months - start, 0, None), low, high)


def _frame(
    months: np.ndarray,
    custom: np.ndarray,
    fit: np.ndarray,
    rival: np.ndarray,
    win: np.ndarray,
    pressure: np.ndarray,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": months,
            "custom_share": np.clip(custom, 0, 1),
            "product_fit": fit,
            "competitor_fit": rival,
            "win_rate": np.clip(win, 0, 1),
            "pressure": np.clip(pressure, 0, 1),
        }
    )


def spiral_series(
    seed: int,
    onset: int = SPIRAL_ONSET,
    months: int = MONTHS,
    nan_share: float = 0.0,
    noise: float = 1.0,
) -> pd.DataFrame:
    """A constructed closed loop, link after link: custom share rises from onset-20 to a plateau,
    relative fit falls from onset-15, win rate from onset-10, pressure rises from onset-5, and from
    `onset` a second wave of custom work follows the pressure (the loop closes). Noise of plausible
    size (times `noise`); a share `nan_share` of months has no decided deal (win rate NaN)."""
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    win = _ramp(m, onset - 10, -0.012, 0.35, low=0.02) + rng.normal(0, 0.08 * noise, months)
    win[rng.random(months) < nan_share] = np.nan
    wave1 = _ramp(m, onset - 20, 0.03, 0.15, high=0.39)
    wave2 = _ramp(m, onset, 0.03, 0.0, high=0.5)
    return _frame(
        m,
        wave1 + wave2 + rng.normal(0, 0.03 * noise, months),
        _ramp(m, onset - 15, -0.008, 0.55) + rng.normal(0, 0.01 * noise, months),
        0.40 + 0.002 * m + rng.normal(0, 0.01 * noise, months),
        win,
        _ramp(m, onset - 5, 0.03, 0.20) + rng.normal(0, 0.02 * noise, months),
    )


def rival_alone_series(seed: int, months: int = MONTHS) -> pd.DataFrame:
    """The rival improves on its own while custom share stays pinned high: fit, win rate and
    pressure move the spiral's way, but custom work never rises: co-movement, not the loop."""
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    return _frame(
        m,
        0.7 + rng.normal(0, 0.03, months),
        0.55 + rng.normal(0, 0.01, months),
        _ramp(m, 10, 0.01, 0.40) + rng.normal(0, 0.01, months),
        _ramp(m, 14, -0.012, 0.35, low=0.02) + rng.normal(0, 0.08, months),
        _ramp(m, 18, 0.03, 0.20) + rng.normal(0, 0.02, months),
    )


def reversed_series(seed: int, months: int = MONTHS) -> pd.DataFrame:
    """The links in the reverse order: pressure first, then the win rate, then fit, and custom
    share rises last (once); nothing follows it."""
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    return _frame(
        m,
        _ramp(m, 32, 0.03, 0.15, high=0.6) + rng.normal(0, 0.03, months),
        _ramp(m, 24, -0.008, 0.55, low=0.40) + rng.normal(0, 0.01, months),
        0.40 + rng.normal(0, 0.01, months),
        _ramp(m, 16, -0.012, 0.35, low=0.05) + rng.normal(0, 0.08, months),
        _ramp(m, 8, 0.03, 0.20) + rng.normal(0, 0.02, months),
    )


def healthy_series(seed: int, months: int = MONTHS) -> pd.DataFrame:
    """Custom share low and flat, fit rising faster than the rival's, win rate up, pressure
    easing."""
    rng = np.random.default_rng(seed)
    m = np.arange(months)
    return _frame(
        m,
        0.10 + rng.normal(0, 0.03, months),
        _ramp(m, 0, 0.005, 0.50) + rng.normal(0, 0.01, months),
        0.40 + 0.002 * m + rng.normal(0, 0.01, months),
        _ramp(m, 0, 0.004, 0.30) + rng.normal(0, 0.08, months),
        _ramp(m, 10, -0.01, 0.50, low=0.1) + rng.normal(0, 0.02, months),
    )


def noise_series(seed: int, months: int = MONTHS, pinned: bool = False) -> pd.DataFrame:
    """Independent noise around constant levels; `pinned` puts custom share and pressure at high
    levels."""
    rng = np.random.default_rng(seed)
    custom_level = rng.uniform(0.5, 0.9) if pinned else rng.uniform(0.05, 0.6)
    pressure_level = rng.uniform(0.7, 1.0) if pinned else rng.uniform(0.0, 1.0)
    return _frame(
        np.arange(months),
        custom_level + rng.normal(0, 0.05, months),
        rng.uniform(0.3, 0.7) + rng.normal(0, 0.01, months),
        rng.uniform(0.3, 0.7) + rng.normal(0, 0.01, months),
        rng.uniform(0.1, 0.5) + rng.normal(0, 0.12, months),
        pressure_level + rng.normal(0, 0.05, months),
    )


def run_series(months_run: int, alive_last: bool, arr: float = 120_000.0) -> pd.DataFrame:
    """A run's series with every column summarize_run reads; linear ARR up to `arr`."""
    m = np.arange(1, months_run + 1)
    frame = spiral_series(0, months=months_run + 1).iloc[1:].reset_index(drop=True)
    frame["month"] = m
    frame["arr_usd"] = np.linspace(arr / months_run, arr, months_run)
    frame["mrr_usd"] = frame["arr_usd"] / 12
    frame["revenue_usd"] = frame["mrr_usd"]
    frame["costs_usd"] = 100_000.0
    frame["burn_usd"] = frame["costs_usd"] - frame["revenue_usd"]
    frame["cash_usd"] = 3e6 - frame["burn_usd"].cumsum()
    frame["customers"] = np.arange(months_run)
    frame["pmf"] = m >= 10
    frame["alive"] = True
    frame.loc[frame.index[-1], "alive"] = alive_last
    return frame


# --- Wilson -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (5, 10, 0.2366, 0.7634),  # textbook: Wilson 95% for 5/10
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (6, 50, 0.0562, 0.2381),
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998) example 81/263
    ],
)
def test_wilson_matches_known_values(successes: int, n: int, low: float, high: float) -> None:
    got = wilson_interval(successes, n)
    assert got == pytest.approx((low, high), abs=5e-4)


def test_wilson_no_runs_knows_nothing_and_bad_counts_raise() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_wilson_wider_z_gives_wider_interval() -> None:
    narrow, wide = wilson_interval(5, 10, z=1.0), wilson_interval(5, 10, z=2.576)
    assert wide[0] < narrow[0] < narrow[1] < wide[1]


# --- quantile bands -------------------------------------------------------------------------


def _band_frame(values: list[float], alive_last: bool = True) -> pd.DataFrame:
    months = len(values)
    alive = [True] * months
    alive[-1] = alive_last
    return pd.DataFrame(
        {"month": range(1, months + 1), "mrr_usd": values, "win_rate": values, "alive": alive}
    )


def test_bands_of_identical_runs_are_the_run() -> None:
    frames = [_band_frame([1.0, 2.0, 3.0]) for _ in range(4)]
    bands = quantile_bands(frames, ["mrr_usd"], months=3)
    assert list(bands.columns) == [
        "month",
        "alive_share",
        "mrr_usd_p10",
        "mrr_usd_p50",
        "mrr_usd_p90",
    ]
    assert bands["month"].tolist() == [1, 2, 3]
    for q in ("p10", "p50", "p90"):
        assert bands[f"mrr_usd_{q}"].tolist() == [1.0, 2.0, 3.0]
    assert bands["alive_share"].tolist() == [1.0, 1.0, 1.0]


def test_bands_use_linear_quantiles_across_runs() -> None:
    frames = [_band_frame([float(v)] * 2) for v in range(11)]  # values 0..10
    bands = quantile_bands(frames, ["mrr_usd"], months=2)
    assert bands["mrr_usd_p10"].tolist() == [1.0, 1.0]
    assert bands["mrr_usd_p50"].tolist() == [5.0, 5.0]
    assert bands["mrr_usd_p90"].tolist() == [9.0, 9.0]


def test_dead_runs_count_zero_in_stocks_and_drop_out_of_rates() -> None:
    alive = _band_frame([10.0, 10.0, 10.0, 10.0])
    dead = _band_frame([20.0, 20.0], alive_last=False)  # dies in month 2
    bands = quantile_bands([alive, dead], ["mrr_usd", "win_rate"], months=4, quantiles=(0.5,))
    assert bands["alive_share"].tolist() == [1.0, 0.5, 0.5, 0.5]
    assert bands["mrr_usd_p50"].tolist() == [15.0, 15.0, 5.0, 5.0]  # dead counts as 0 after death
    assert bands["win_rate_p50"].tolist() == [15.0, 15.0, 10.0, 10.0]  # dead left out after death


def test_bands_all_dead_rates_are_nan_and_custom_zero_columns() -> None:
    dead = [_band_frame([1.0], alive_last=False) for _ in range(3)]
    bands = quantile_bands(
        dead, ["win_rate", "mrr_usd"], months=3, quantiles=(0.5,), zero_after_death={"win_rate"}
    )
    assert bands["win_rate_p50"].tolist() == [1.0, 0.0, 0.0]
    assert bands["mrr_usd_p50"].iloc[1:].isna().all()


def test_bands_reject_missing_columns_and_no_runs() -> None:
    with pytest.raises(KeyError, match="cash_usd"):
        quantile_bands([_band_frame([1.0])], ["cash_usd"], months=1)
    with pytest.raises(ValueError):
        quantile_bands([], ["mrr_usd"], months=1)


# --- spiral detection -----------------------------------------------------------------------


def test_constructed_spiral_is_detected_near_its_onset() -> None:
    found, onset = detect_spiral(spiral_series(seed=1, noise=0.0))
    assert found
    assert abs(onset - SPIRAL_ONSET) <= ONSET_TOLERANCE_MONTHS


@pytest.mark.parametrize(
    ("onset", "nan_share"), [(SPIRAL_ONSET, 0.0), (40, 0.0), (SPIRAL_ONSET, 0.3)]
)
def test_noisy_spirals_are_detected_with_onset_within_tolerance(
    onset: int, nan_share: float
) -> None:
    results = [
        detect_spiral(spiral_series(seed, onset=onset, nan_share=nan_share))
        for seed in range(SPIRAL_SEEDS)
    ]
    hits = sum(found and abs(month - onset) <= ONSET_TOLERANCE_MONTHS for found, month in results)
    assert hits >= ONSET_HIT_SHARE * SPIRAL_SEEDS


@pytest.mark.parametrize("seed", range(5))
def test_healthy_company_has_no_spiral(seed: int) -> None:
    assert detect_spiral(healthy_series(seed)) == (False, None)


def test_pure_noise_has_no_spiral() -> None:
    found = [detect_spiral(noise_series(seed))[0] for seed in range(NOISE_SEEDS)]
    assert not any(found)


def test_noise_with_pinned_drivers_rarely_looks_like_a_spiral() -> None:
    # Custom share and pressure pinned high: only fit and win rate must fall, so noise can
    # occasionally pass; the margin stated here is 2% of seeds.
    found = [detect_spiral(noise_series(seed, pinned=True))[0] for seed in range(NOISE_SEEDS)]
    assert sum(found) <= 0.02 * NOISE_SEEDS


def test_each_link_is_needed() -> None:
    base = spiral_series(seed=1, noise=0.0)
    breaks = {
        "custom share flat": {"custom_share": 0.1},
        "relative fit flat": {"product_fit": 0.6, "competitor_fit": 0.4},
        "win rate flat": {"win_rate": 0.3},
        "pressure flat": {"pressure": 0.3},
    }
    for name, flat in breaks.items():
        assert detect_spiral(base.assign(**flat)) == (False, None), name


def test_fit_is_relative_to_the_competitor() -> None:
    # Our fit stays put while the competitor's rises: relative fit falls, the loop still closes.
    base = spiral_series(seed=1, noise=0.0)
    rival_gains = base.assign(
        product_fit=0.55, competitor_fit=base["competitor_fit"] - base["product_fit"] + 0.55
    )
    assert detect_spiral(rival_gains)[0]


@pytest.mark.parametrize("seed", range(20))
def test_rival_improving_on_its_own_with_custom_share_pinned_is_not_a_spiral(seed: int) -> None:
    assert detect_spiral(rival_alone_series(seed)) == (False, None)


@pytest.mark.parametrize("seed", range(20))
def test_links_in_the_reverse_order_are_not_a_spiral(seed: int) -> None:
    assert detect_spiral(reversed_series(seed)) == (False, None)


def test_custom_work_that_does_not_follow_pressure_is_not_a_spiral() -> None:
    # Only the first wave of custom work: fit, win rate and pressure follow, custom work does not.
    base = spiral_series(seed=1, noise=0.0)
    one_wave = base.assign(
        custom_share=np.where(base["month"] >= SPIRAL_ONSET, 0.39, base["custom_share"])
    )
    assert detect_spiral(one_wave) == (False, None)


def test_competitor_leapfrog_without_custom_work_is_not_a_spiral() -> None:
    series = spiral_series(seed=1).assign(custom_share=0.08)
    assert detect_spiral(series) == (False, None)


def test_short_constant_and_empty_series() -> None:
    for rows in (1, 5, 10):  # shorter than the smoothing and link windows
        assert detect_spiral(spiral_series(seed=1).head(rows)) == (False, None)
    constant = spiral_series(seed=1).assign(
        custom_share=0.6, product_fit=0.5, competitor_fit=0.5, win_rate=0.2, pressure=0.9
    )
    assert detect_spiral(constant) == (False, None)
    assert detect_spiral(spiral_series(seed=1).iloc[0:0]) == (False, None)
    assert detect_spiral(spiral_series(seed=1).assign(win_rate=np.nan)) == (False, None)


def test_spiral_ending_in_death_is_seen_and_rows_out_of_order_are_fine() -> None:
    died = spiral_series(seed=1, noise=0.0).head(40)
    found, onset = detect_spiral(died.sample(frac=1.0, random_state=0))
    assert found and abs(onset - SPIRAL_ONSET) <= ONSET_TOLERANCE_MONTHS


def test_win_rate_is_pooled_over_decided_deals() -> None:
    # From five months before the onset on, every other month decides a single deal and wins it (win
    # rate 1.0): averaging monthly rates hides the decline, pooling wins over deals does not.
    series = spiral_series(seed=1, noise=0.0).assign(deals_decided=20.0)
    lucky = (series["month"] >= SPIRAL_ONSET - 5) & (series["month"] % 2 == 0)
    series.loc[lucky, "win_rate"], series.loc[lucky, "deals_decided"] = 1.0, 1.0
    found, onset = detect_spiral(series)
    assert found and abs(onset - SPIRAL_ONSET) <= ONSET_TOLERANCE_MONTHS
    unweighted_found, unweighted_onset = detect_spiral(series.drop(columns="deals_decided"))
    assert not unweighted_found or unweighted_onset > SPIRAL_ONSET + ONSET_TOLERANCE_MONTHS
    no_deals = series.assign(deals_decided=0.0)  # no month decided a deal: no win rate to read
    assert detect_spiral(no_deals) == (False, None)


def test_spiral_needs_its_columns() -> None:
    with pytest.raises(KeyError, match="pressure"):
        detect_spiral(spiral_series(seed=1).drop(columns="pressure"))


def test_thresholds_are_named_constants() -> None:
    assert (
        metrics.LINK_WINDOW_MONTHS >= 6
        and metrics.SUSTAIN_MONTHS >= 3
        and metrics.EARLIEST_ONSET_MONTH >= 1
    )


# --- run summary ----------------------------------------------------------------------------


def test_summary_of_a_surviving_run() -> None:
    series = run_series(MONTHS, alive_last=True)
    summary = summarize_run(series, MONTHS)
    assert set(summary) == set(RUN_METRICS)
    assert summary["survived"] is True and summary["month_of_death"] is None
    assert summary["final_arr_usd"] == pytest.approx(120_000.0)
    assert summary["cumulative_revenue_usd"] == pytest.approx(series["revenue_usd"].sum())
    assert summary["profit_usd"] == pytest.approx(series["revenue_usd"].sum() - 100_000.0 * MONTHS)
    assert summary["peak_burn_usd"] == pytest.approx(series["burn_usd"].max())
    assert summary["pmf_month"] == 10
    assert summary["final_customers"] == MONTHS - 1
    assert summary["arr_growth_12m"] == pytest.approx(MONTHS / (MONTHS - 12) - 1)
    assert (
        summary["spiral"] is True
        and abs(summary["spiral_onset_month"] - SPIRAL_ONSET) <= ONSET_TOLERANCE_MONTHS
    )
    assert summary["total_commissions_usd"] is None
    json.dumps(summary, allow_nan=False)  # plain Python types only


def test_summary_of_a_run_that_died() -> None:
    series = run_series(35, alive_last=False)
    summary = summarize_run(series, MONTHS)
    assert summary["survived"] is False
    assert summary["month_of_death"] == 35
    assert summary["final_arr_usd"] == 0.0 and summary["final_customers"] == 0
    assert summary["arr_growth_12m"] == -1.0
    assert summary["months_run"] == 35
    json.dumps(summary, allow_nan=False)


def test_death_in_the_last_month_is_not_survival() -> None:
    summary = summarize_run(run_series(MONTHS, alive_last=False), MONTHS)
    assert summary["survived"] is False and summary["month_of_death"] == MONTHS


def test_summary_takes_pandas_reductions_to_the_bit() -> None:
    """summarize_run reduces numpy arrays: the same numbers as pandas' sum, mean and max (NaN
    skipped), rows out of order and float flags included."""
    from sim.config import preset
    from sim.experiment.runner import run

    series = run(preset("sales_led"), seed=1, months=30, attribute=False).series
    holed = series.copy()
    holed.loc[[3, 7], ["revenue_usd", "custom_share", "burn_usd", "product_fit"]] = np.nan
    holed["pmf"] = holed["pmf"].astype(float)
    for frame in (series, holed):
        summary = summarize_run(frame, 30)
        shuffled = frame.sample(frac=1.0, random_state=3)
        assert summarize_run(shuffled, 30) == summary
        first_year = frame[frame["month"] <= 12]
        assert summary["cumulative_revenue_usd"] == float(frame["revenue_usd"].sum())
        assert summary["revenue_12m_usd"] == float(first_year["revenue_usd"].sum())
        assert summary["peak_burn_usd"] == float(frame["burn_usd"].max())
        assert summary["mean_custom_share"] == float(frame["custom_share"].mean())
        assert summary["mean_product_fit"] == float(frame["product_fit"].mean())
        relative = (frame["product_fit"] - frame["competitor_fit"]).mean()
        assert summary["mean_relative_fit"] == float(relative)


# --- ensemble summary -----------------------------------------------------------------------


def _run_summary(survived: bool, spiral: bool, arr: float, death: int | None) -> dict:
    return {
        "survived": survived,
        "month_of_death": death,
        "final_arr_usd": arr,
        "spiral": spiral,
        "spiral_onset_month": 20 if spiral else None,
        "cumulative_revenue_usd": arr,
        "peak_burn_usd": 1.0,
        "mean_custom_share": 0.5 if spiral else 0.1,
        "profit_usd": arr - 10,
        "profit_margin": None,
        "arr_growth_12m": None,
        "pmf_month": None if spiral else 12,
    }


def test_ensemble_summary_rates_medians_and_types() -> None:
    runs = (
        [_run_summary(True, False, 100.0, None)] * 6
        + [_run_summary(False, True, 0.0, 30)] * 3
        + [_run_summary(False, True, 0.0, 40)]
    )
    summary = summarize_ensemble(runs)
    assert set(summary) == set(ENSEMBLE_METRICS)
    assert summary["runs"] == 10
    assert summary["survival_rate"] == 0.6
    assert (summary["survival_ci_low"], summary["survival_ci_high"]) == pytest.approx(
        wilson_interval(6, 10)
    )
    assert summary["spiral_rate"] == 0.4 and summary["pmf_rate"] == 0.6
    assert summary["median_final_arr_usd"] == 100.0
    assert summary["median_month_of_death"] == 30.0
    assert summary["median_spiral_onset_month"] == 20.0
    assert summary["mean_custom_share"] == pytest.approx(0.26)
    assert summary["median_profit_margin"] is None
    assert summary["p10_final_arr_usd"] == 0.0 and summary["p90_final_arr_usd"] == 100.0
    json.dumps(summary, allow_nan=False)


def test_ensemble_where_all_survive_has_no_death_month() -> None:
    summary = summarize_ensemble([_run_summary(True, False, 5.0, None)] * 3)
    assert summary["median_month_of_death"] is None
    assert summary["survival_rate"] == 1.0
    with pytest.raises(ValueError):
        summarize_ensemble([])
