"""The death spiral as a closed loop, shown by counterfactual over seeds never used for tuning.

Same seed = same world (common random numbers), so each A/B pair below differs only by the link
cut. The defaults were tuned on seeds 0-63 and their choice checked on 1000-1063 and 2000-2063;
these tests use 3000+ (moved from 1000-1063 on 2026-12-07) and state their margins.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.attribution import attribution
from sim.config import preset
from sim.experiment.runner import run

SEEDS = range(3000, 3064)  # 64 held-out seeds
CUT_SURVIVAL_GAIN = (
    0.3  # cutting the return link raises sales-led survival by at least this (measured 0.36)
)
MOST = 0.5  # "most" deaths
CUSTOM_SHARE_DROP = (
    0.15  # cutting the win rate -> pressure link lowers mean custom share by this (measured 0.30)
)
LAGS = range(1, 7)  # months by which a pressure change may lead a custom-share change


def _runs(name: str, overrides: dict | None = None) -> list:
    scenario = preset(name).with_overrides(overrides or {})
    return [run(scenario, seed=s, attribute=False) for s in SEEDS]


@pytest.fixture(scope="module")
def pairs() -> dict[str, list]:
    return {
        "sales_led": _runs("sales_led"),
        "cut": _runs("sales_led", {"policy.pressure_response": 0.0}),
        "product_led": _runs("product_led"),
        "no_custom": _runs("sales_led", {"product.custom_capacity_cap": 0.0}),
        "no_gap_pressure": _runs("sales_led", {"company.pressure_gap_weight": 0.0}),
    }


def _paired_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    diff = a - b
    half = stats.t.ppf(0.975, len(diff) - 1) * diff.std(ddof=1) / np.sqrt(len(diff))
    return diff.mean(), diff.mean() - half, diff.mean() + half


def _alive(runs: list) -> np.ndarray:
    return np.array([r.summary["survived"] for r in runs], dtype=float)


def test_cutting_the_return_link_raises_sales_led_survival(pairs) -> None:
    mean, low, high = _paired_interval(_alive(pairs["cut"]), _alive(pairs["sales_led"]))
    print(f"survival gain from cutting pressure: {mean:+.2f} [{low:+.2f}, {high:+.2f}]")
    assert mean >= CUT_SURVIVAL_GAIN and low > 0


def _attributable_share(runs: list, cut: list) -> float | None:
    deaths = [(r, c) for r, c in zip(runs, cut, strict=True) if not r.summary["survived"]]
    if not deaths:
        return None
    return float(
        np.mean([attribution(r.summary, c.summary)["loop_attributable"] for r, c in deaths])
    )


def test_most_sales_led_deaths_are_the_loops(pairs) -> None:
    share = _attributable_share(pairs["sales_led"], pairs["cut"])
    print(f"sales-led deaths attributable to the loop: {share:.2f}")
    assert share is not None and share > MOST


def test_pressure_changes_lead_custom_share_changes_in_sales_led_runs(pairs) -> None:
    correlations = []
    for r in pairs["sales_led"]:
        pressure = np.diff(r.series["pressure"].to_numpy())
        custom = np.diff(r.series["custom_share"].to_numpy())
        for lag in LAGS:
            if len(pressure) > lag + 6 and pressure[:-lag].std() > 0 and custom[lag:].std() > 0:
                correlations.append(np.corrcoef(pressure[:-lag], custom[lag:])[0, 1])
    mean = float(np.mean(correlations))
    low = mean - 1.96 * np.std(correlations, ddof=1) / np.sqrt(len(correlations))
    print(f"corr(pressure change, later custom-share change), lags 1-6: {mean:.3f} (low {low:.3f})")
    assert low > 0


def test_sales_led_books_more_early_and_product_led_ends_with_more_arr(pairs) -> None:
    early = [r.series["bookings_usd"].iloc[:9].sum() for r in pairs["sales_led"]]
    early_pl = [r.series["bookings_usd"].iloc[:9].sum() for r in pairs["product_led"]]
    assert np.mean(early) > np.mean(early_pl)
    arr = [r.summary["final_arr_usd"] for r in pairs["sales_led"]]
    arr_pl = [r.summary["final_arr_usd"] for r in pairs["product_led"]]
    assert np.mean(arr_pl) > np.mean(arr)


def _custom_share(runs: list) -> np.ndarray:
    return np.array([r.summary["mean_custom_share"] for r in runs])


def test_cutting_custom_work_at_its_source_raises_survival(pairs) -> None:
    # Link custom share -> fit: no capacity for custom work (cap 0) and the loop has nothing to
    # feed on.
    mean, low, _ = _paired_interval(_alive(pairs["no_custom"]), _alive(pairs["sales_led"]))
    assert mean > 0 and low > 0


def test_cutting_the_revenue_gap_from_pressure_weakens_the_loop(pairs) -> None:
    # Link win rate -> pressure: pressure reads only the cash fuse, not the gap to plan; less
    # pressure, less custom work (survival moves little: +0.09 on seeds 1000-1031, not pinned).
    mean, _, high = _paired_interval(
        _custom_share(pairs["no_gap_pressure"]), _custom_share(pairs["sales_led"])
    )
    assert mean <= -CUSTOM_SHARE_DROP and high < 0


# a point just past the 6-engineer threshold (about 0.04), where the 12-engineer curve still
# sits near its start
TIPPING_ACCEPTANCE = 0.2
SLACK_SURVIVAL_GAIN = (
    0.15  # survival there with 12 engineers above 6 by at least this (measured 0.31 on 1000-1031;
    # +0.23 [0.08, 0.38] on 1000-1063 and +0.27 [0.12, 0.41] on 2000-2063 once the plan counts
    # every item, where 32 seeds gave +0.22 with an interval touching 0: hence 64 seeds)
)
SLACK_SEEDS = range(3000, 3256)
"""256 held-out seeds. On 64 the $3M comparison passed or failed by block (2026-12-07: +0.11
[-0.04, +0.26] on 3000-3063, +0.10 on 10000-10127, -0.02 on 10064-10127; +0.17 [+0.10, +0.25] on
10000-10255): its effect is near the margin, so it needs the power, not a lower margin."""


def _sales_led_alive(overrides: dict, seeds: range) -> np.ndarray:
    """1.0 where the sales-led preset with ``overrides`` survives, per seed (no attribution)."""
    scenario = preset("sales_led").with_overrides(overrides)
    return np.array(
        [run(scenario, seed=s, attribute=False).summary["survived"] for s in seeds], dtype=float
    )


def _twelve_minus_six(at: dict, seeds: range, what: str) -> tuple[float, float, float]:
    """Survival with 12 engineers less with 6, paired over ``seeds``, the rest as ``at``."""
    mean, low, high = _paired_interval(
        _sales_led_alive(at | {"company.initial_engineers": 12}, seeds),
        _sales_led_alive(at | {"company.initial_engineers": 6}, seeds),
    )
    print(f"12 engineers - 6, {what}: {mean:+.3f} [{low:+.3f}, {high:+.3f}]")
    return mean, low, high


def test_the_tipping_threshold_moves_up_with_engineering_slack() -> None:
    at = {"sales.contingent_acceptance": TIPPING_ACCEPTANCE}
    mean, low, _ = _twelve_minus_six(at, SLACK_SEEDS, "acceptance 0.2")
    assert mean >= SLACK_SURVIVAL_GAIN and low > 0


# On $3M the bigger team also halves the runway (six more salaries): at acceptance 0 it survives
# 0.59 against 0.88 (seeds 10000-10255), so its curve starts lower and the comparison mixes slack
# with payroll. With $6M for both teams the payroll no longer decides (both survive 0.98 at
# acceptance 0), only the engineers differ, and survival falls below one half at about 0.02
# with 6 engineers and about 0.2 with 12 (seeds 10000-10127: 0.98 / 0.50 / 0.44 / 0.34 / 0.29 /
# 0.26 against 0.98 / 0.84 / 0.81 / 0.68 / 0.52 / 0.41 at 0 / 0.025 / 0.05 / 0.1 / 0.2 / 0.3).
# Extra cash alone does not move it (6 engineers on $3M: 0.89 / 0.55 / 0.48 / 0.36 / 0.25 / 0.23).
EQUAL_CASH_USD = 6_000_000
EQUAL_CASH_ACCEPTANCE = 0.1  # past the 6-engineer cliff, before the 12-engineer threshold
EQUAL_CASH_SEEDS = range(3000, 3128)


def test_with_equal_cash_more_engineers_hold_off_the_drop() -> None:
    """Engineering slack alone, cash held equal: 12 engineers survive acceptance 0.1 more often
    than 6 by at least ``SLACK_SURVIVAL_GAIN`` (measured +0.34 [+0.24, +0.45] on 10000-10127)."""
    at = {
        "sales.contingent_acceptance": EQUAL_CASH_ACCEPTANCE,
        "company.initial_cash": EQUAL_CASH_USD,
    }
    mean, low, _ = _twelve_minus_six(at, EQUAL_CASH_SEEDS, "both on $6M, acceptance 0.1")
    assert mean >= SLACK_SURVIVAL_GAIN and low > 0


# A customisable architecture is slack of another kind: custom work takes half the effort and adds
# no complexity. Sales-led survival by acceptance 0 / 0.05 / 0.1 / 0.2 / 0.3 / 0.5 / 1.0 on seeds
# 6000-6063: without it 0.84 / 0.31 / 0.22 / 0.14 / 0.08 / 0.05 / 0.06, with it 0.86 / 0.81 /
# 0.84 / 0.83 / 0.83 / 0.78 / 0.64: the drop moves from about 0.05 to past 0.5. Checked here on
# seeds 3000-3063 (used by no other test or claim) at acceptance 0.3, past the drop without it.
ARCHITECTURE_ACCEPTANCE = 0.3
ARCHITECTURE_SURVIVAL_GAIN = 0.3  # with the architecture above without by at least this


def test_a_customisable_architecture_moves_the_tipping_threshold_up() -> None:
    seeds = range(3000, 3064)
    at = {"sales.contingent_acceptance": ARCHITECTURE_ACCEPTANCE}
    mean, low, high = _paired_interval(
        _sales_led_alive(at | {"product.customizable_architecture": True}, seeds),
        _sales_led_alive(at | {"product.customizable_architecture": False}, seeds),
    )
    print(f"survival with the architecture - without: {mean:+.2f} [{low:+.2f}, {high:+.2f}]")
    assert mean >= ARCHITECTURE_SURVIVAL_GAIN and low > 0


def test_the_attribution_reads_the_cut_run_it_would_have_summarised() -> None:
    """``counterfactual_fate`` (the cut run's record, no series or summary built) gives the
    ``survived`` and ``month_of_death`` of ``counterfactual(...).summary``, dying or not, and
    over a shorter horizon."""
    from sim.experiment.runner import counterfactual, counterfactual_fate

    for scenario in (preset("sales_led"), preset("sales_led").with_overrides({"months": 18})):
        for seed in range(6):
            full = counterfactual(scenario, seed).summary
            fate = counterfactual_fate(scenario, seed)
            assert fate == {k: full[k] for k in ("survived", "month_of_death")}


def test_the_attribution_rerun_is_made_when_the_summary_is_read(monkeypatch) -> None:
    """``run`` leaves a dying run's counterfactual rerun until its summary is read: a caller that
    reads only the series (a slider move) never pays for it, and the summary read later is the
    one an eager attribution makes (keys, values and key order), pickled or not."""
    import pickle

    from sim.analysis.attribution import ATTRIBUTION_KEYS
    from sim.experiment import runner

    scenario = preset("sales_led")
    calls: list[int] = []
    fate = runner.counterfactual_fate
    monkeypatch.setattr(
        runner, "counterfactual_fate", lambda sc, seed: calls.append(seed) or fate(sc, seed)
    )
    dying = [
        s for s in range(12) if not runner.run(scenario, s, attribute=False).summary["survived"]
    ]
    assert dying, "no sales-led death in seeds 0-11"
    for seed in dying[:3]:
        calls.clear()
        result = runner.run(scenario, seed)
        result.series  # noqa: B018
        assert calls == []
        again = pickle.loads(pickle.dumps(result))  # a worker's result, read in the server
        summary = result.summary
        assert calls == [seed]
        assert result.summary is summary and calls == [seed]  # made once
        base = runner.run(scenario, seed, attribute=False).summary
        eager = {k: v for k, v in base.items() if k not in ATTRIBUTION_KEYS}
        eager |= runner.counterfactual_attribution(scenario, seed, eager)
        assert list(summary.items()) == list(eager.items())
        assert list(again.summary.items()) == list(eager.items())
        assert summary["counterfactual_survived"] is not None
