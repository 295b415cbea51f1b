"""The expect: block: parsing with one-line errors, evaluation, ratio and diff comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.analysis.summaries import ENSEMBLE_METRICS, wilson_interval
from sim.config import Scenario, ScenarioError
from sim.experiment.expectations import (
    Baseline,
    baseline_scenario,
    evaluate,
    evaluate_one,
    parse_expectations,
)

SOURCE = "scenarios/demo.yaml"


def ensemble_summary(survived: int, runs: int, **values: float | None) -> dict:
    """An ensemble summary with every metric, survival from counts, others 0 unless given."""
    low, high = wilson_interval(survived, runs)
    summary = {metric: 0.0 for metric in ENSEMBLE_METRICS}
    summary |= {
        "runs": runs,
        "survival_rate": survived / runs,
        "survival_ci_low": low,
        "survival_ci_high": high,
    }
    spiral_low, spiral_high = wilson_interval(runs - survived, runs)
    summary |= {
        "spiral_rate": (runs - survived) / runs,
        "spiral_ci_low": spiral_low,
        "spiral_ci_high": spiral_high,
    }
    return summary | values


def parse_one(item: object, source: str = SOURCE):
    return parse_expectations([item], source)[0]


# --- parsing -------------------------------------------------------------------------------


def test_parse_absolute_items() -> None:
    items = [
        "survival_rate < 0.3",
        "median_final_arr_usd>2e6",
        "  runs == 50 ",
        "spiral_rate != -1",
    ]
    parsed = parse_expectations(items, SOURCE)
    assert [(e.metric, e.op, e.threshold) for e in parsed] == [
        ("survival_rate", "<", 0.3),
        ("median_final_arr_usd", ">", 2e6),
        ("runs", "==", 50.0),
        ("spiral_rate", "!=", -1.0),
    ]
    assert parsed[1].text == "median_final_arr_usd > 2e6"
    assert parsed[0].where == f"{SOURCE}: expect[0]" and parsed[0].baseline is None


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            ["survival_rate < 0.3", "spiral_rate > 0.5", "survivl_rate < 0.3"],
            f"{SOURCE}: expect[2]: unknown metric 'survivl_rate' (did you mean 'survival_rate'?)",
        ),
        (
            ["survival_rate =< 0.3"],
            f"{SOURCE}: expect[0]: unknown operator '=<' (use one of <, <=, >, >=, ==, !=)",
        ),
        (
            ["survival_rate = 0.3"],
            f"{SOURCE}: expect[0]: unknown operator '=' (use one of <, <=, >, >=, ==, !=)",
        ),
        (["survival_rate < lots"], f"{SOURCE}: expect[0]: expected a number after '<', got 'lots'"),
        (["survival_rate <"], f"{SOURCE}: expect[0]: expected a number after '<', got nothing"),
        (["survival_rate < nan"], f"{SOURCE}: expect[0]: expected a number after '<', got 'nan'"),
        (
            ["survival rate < 0.3"],
            f"{SOURCE}: expect[0]: expected '<metric> <op> <number>', got 'survival rate < 0.3'",
        ),
        (
            [0.3],
            (
                f"{SOURCE}: expect[0]: expected '<metric> <op> <number>' or a mapping with "
                f"'check' (and 'vs' to compare), got float"
            ),
        ),
    ],
)
def test_parse_errors_are_one_exact_line(items: list, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_expectations(items, SOURCE)
    assert str(err.value) == message


def test_unknown_metric_without_a_close_match_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError) as err:
        parse_one("zzz > 1")
    assert str(err.value).startswith(
        f"{SOURCE}: expect[0]: unknown metric 'zzz' (known: runs, survival_rate,"
    )
    assert "\n" not in str(err.value)


def test_parse_comparison_with_a_file_baseline() -> None:
    parsed = parse_one({"vs": "sales_led.yaml", "check": "median_final_arr_usd ratio > 1.5"})
    assert (parsed.metric, parsed.comparison, parsed.op, parsed.threshold) == (
        "median_final_arr_usd",
        "ratio",
        ">",
        1.5,
    )
    assert parsed.baseline.path == Path("scenarios") / "sales_led.yaml"
    assert parsed.text == "median_final_arr_usd ratio > 1.5 vs sales_led.yaml"


def test_parse_comparison_with_overrides_flattens_nested_keys() -> None:
    dotted = parse_one(
        {"vs": {"sales.commission_timing": "after_pmf"}, "check": "survival_rate diff < -0.2"}
    )
    nested = parse_one(
        {"vs": {"sales": {"commission_timing": "after_pmf"}}, "check": "survival_rate diff < -0.2"}
    )
    assert (
        dotted.baseline.overrides
        == nested.baseline.overrides
        == (("sales.commission_timing", "after_pmf"),)
    )
    assert dotted.baseline.key == nested.baseline.key
    assert dotted.comparison == "diff" and dotted.threshold == -0.2
    assert dotted.text == "survival_rate diff < -0.2 vs {sales.commission_timing=after_pmf}"


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"vs": "a.yaml", "chek": "runs ratio > 1"},
            f"{SOURCE}: expect[0]: unknown key 'chek' (did you mean 'check'?)",
        ),
        (
            {"check": "runs ratio > 1"},
            f"{SOURCE}: expect[0]: missing 'vs' (a comparison needs both 'vs' and 'check')",
        ),
        (
            {"vs": "a.yaml", "check": "survival_rate ratoi > 1"},
            f"{SOURCE}: expect[0]: check: unknown comparison 'ratoi' (did you mean 'ratio'?)",
        ),
        (
            {"vs": "a.yaml", "check": "survival_rate > 1"},
            (
                f"{SOURCE}: expect[0]: check: expected '<metric> ratio|diff <op> <number>', got "
                f"'survival_rate > 1'"
            ),
        ),
        (
            {"vs": "a.yaml", "check": "spiral_rat ratio > 1"},
            (
                f"{SOURCE}: expect[0]: check: unknown metric 'spiral_rat' (did you mean "
                f"'spiral_rate'?)"
            ),
        ),
        (
            {"vs": "a.yaml", "check": "spiral_rate ratio >> 1"},
            f"{SOURCE}: expect[0]: check: unknown operator '>>' (use one of <, <=, >, >=, ==, !=)",
        ),
        (
            {"vs": "a.yaml", "check": "spiral_rate diff > x"},
            f"{SOURCE}: expect[0]: check: expected a number after '>', got 'x'",
        ),
        (
            {"vs": 3, "check": "runs ratio > 1"},
            (
                f"{SOURCE}: expect[0]: vs: expected a scenario file path or a mapping of dotted "
                f"overrides, got int"
            ),
        ),
        (
            {"vs": {}, "check": "runs ratio > 1"},
            (
                f"{SOURCE}: expect[0]: vs: expected a scenario file path or a mapping of dotted "
                f"overrides, got an empty value"
            ),
        ),
    ],
)
def test_comparison_parse_errors(item: dict, message: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_one(item)
    assert str(err.value) == message


def test_expect_must_be_a_list() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"^scenarios/demo.yaml: expect: expected a list of assertions, got a mapping$",
    ):
        parse_expectations({"survival_rate": 1}, SOURCE)  # type: ignore[arg-type]


# --- baselines -----------------------------------------------------------------------------


def test_baseline_from_overrides_and_from_a_file(tmp_path: Path) -> None:
    scenario = Scenario(name="demo")
    item = parse_one(
        {"vs": {"sales.commission_timing": "after_pmf"}, "check": "survival_rate diff > 0"}
    )
    assert baseline_scenario(item, scenario).sales.commission_timing == "after_pmf"
    (tmp_path / "base.yaml").write_text("name: base\nmonths: 12\n", encoding="utf-8")
    item = parse_one(
        {"vs": "base.yaml", "check": "runs ratio == 1"}, source=str(tmp_path / "demo.yaml")
    )
    assert baseline_scenario(item, scenario).months == 12


def test_baseline_errors_name_the_item(tmp_path: Path) -> None:
    source = str(tmp_path / "demo.yaml")
    bad_key = parse_one({"vs": {"sales.comission_rate": 0.1}, "check": "runs ratio > 0"}, source)
    with pytest.raises(ScenarioError) as err:
        baseline_scenario(bad_key, Scenario())
    assert str(err.value) == (
        f"{source}: expect[0]: vs: --set sales.comission_rate: unknown key "
        "'sales.comission_rate' (did you mean 'commission_rate'?)"
    )
    missing = parse_one({"vs": "nope.yaml", "check": "runs ratio > 0"}, source)
    with pytest.raises(ScenarioError) as err:
        baseline_scenario(missing, Scenario())
    assert str(err.value) == f"{source}: expect[0]: vs: {tmp_path / 'nope.yaml'}: file not found"


# --- evaluation ----------------------------------------------------------------------------


def test_absolute_rate_holds_with_wilson_ci_in_the_description() -> None:
    result = evaluate_one(parse_one("survival_rate < 0.3"), ensemble_summary(6, 50))
    assert result.holds and result.measured == pytest.approx(0.12)
    assert result.ci == pytest.approx(wilson_interval(6, 50))
    assert (
        result.describe()
        == "holds  survival_rate < 0.3  (measured 0.12, 95% CI 0.06-0.24, 50 runs)"
    )


def test_absolute_failure_and_non_rate_metric() -> None:
    summary = ensemble_summary(40, 50, median_final_arr_usd=1_250_000.0)
    fails = evaluate_one(parse_one("survival_rate < 0.3"), summary)
    assert not fails.holds and fails.describe().startswith(
        "FAILS  survival_rate < 0.3  (measured 0.80, 95% CI"
    )
    arr = evaluate_one(parse_one("median_final_arr_usd > 2e6"), summary)
    assert not arr.holds and arr.ci is None
    assert arr.describe() == "FAILS  median_final_arr_usd > 2e6  (measured 1,250,000, 50 runs)"


def test_metric_without_a_value_fails_and_says_why() -> None:
    result = evaluate_one(
        parse_one("median_month_of_death > 30"),
        ensemble_summary(50, 50, median_month_of_death=None),
    )
    assert not result.holds and result.measured is None
    assert result.describe().startswith(
        "FAILS  median_month_of_death > 30  (not measured: no value for median_month_of_death"
    )


@pytest.mark.parametrize(
    ("op", "threshold", "holds"),
    [
        ("<", 0.5, True),
        ("<=", 0.4, True),
        (">", 0.4, False),
        (">=", 0.4, True),
        ("==", 0.4, True),
        ("!=", 0.4, False),
    ],
)
def test_every_operator(op: str, threshold: float, holds: bool) -> None:
    result = evaluate_one(parse_one(f"survival_rate {op} {threshold}"), ensemble_summary(20, 50))
    assert result.holds is holds


def test_ratio_and_diff_against_baselines() -> None:
    ratio = parse_one({"vs": "sales_led.yaml", "check": "median_final_arr_usd ratio > 1.5"})
    diff = parse_one(
        {"vs": {"sales.commission_timing": "immediate"}, "check": "survival_rate diff >= 0.3"}
    )
    this = ensemble_summary(40, 50, median_final_arr_usd=3e6)
    baselines = {
        ratio.baseline.key: ensemble_summary(10, 40, median_final_arr_usd=1e6),
        diff.baseline.key: ensemble_summary(20, 50),
    }
    by_ratio, by_diff = evaluate([ratio, diff], this, baselines)
    assert by_ratio.holds and by_ratio.measured == pytest.approx(3.0)
    assert by_ratio.describe() == (
        "holds  median_final_arr_usd ratio > 1.5 vs sales_led.yaml  "
        "(measured 3: 3,000,000 vs 1,000,000, 50 and 40 runs)"
    )
    assert by_diff.holds and by_diff.measured == pytest.approx(0.4)
    assert by_diff.ci == pytest.approx(wilson_interval(40, 50))
    assert by_diff.baseline_ci == pytest.approx(wilson_interval(20, 50))
    assert by_diff.describe() == (
        "holds  survival_rate diff >= 0.3 vs {sales.commission_timing=immediate}  "
        "(measured 0.40: 0.80 vs 0.40, 95% CIs 0.67-0.89 and 0.28-0.54, 50 and 50 runs)"
    )


def test_ratio_over_a_zero_baseline_fails() -> None:
    item = parse_one({"vs": "b.yaml", "check": "median_final_arr_usd ratio > 1"})
    result = evaluate_one(
        item, ensemble_summary(5, 10, median_final_arr_usd=5.0), ensemble_summary(0, 10)
    )
    assert not result.holds and "baseline is 0" in result.describe()


def test_missing_baseline_summary_is_a_caller_error() -> None:
    item = parse_one({"vs": "b.yaml", "check": "runs ratio > 1"})
    with pytest.raises(KeyError):
        evaluate([item], ensemble_summary(5, 10))


def test_results_serialise_to_json() -> None:
    items = parse_expectations(
        ["survival_rate < 0.3", {"vs": "b.yaml", "check": "runs diff == 0"}], SOURCE
    )
    summary = ensemble_summary(6, 50)
    results = evaluate(items, summary, {items[1].baseline.key: summary})
    payload = json.dumps([r.to_dict() for r in results], default=str, allow_nan=False)
    assert "expect[1]" in payload and isinstance(items[1].baseline, Baseline)


def test_a_known_gap_passes_while_it_does_not_hold_and_fails_once_it_does() -> None:
    from sim.experiment.expectations import evaluate_one, parse_expectations

    item = {
        "vs": {"sales.commission_rate": 0.2},
        "check": "survival_rate diff < 0",
        "gap": "not shown yet",
    }
    (gap,) = parse_expectations([item], "f.yaml")
    assert gap.gap == "not shown yet"
    still_open = evaluate_one(
        gap, {"survival_rate": 0.5, "runs": 8}, {"survival_rate": 0.4, "runs": 8}
    )
    assert not still_open.holds and still_open.ok and still_open.describe().startswith("gap")
    closed = evaluate_one(gap, {"survival_rate": 0.3, "runs": 8}, {"survival_rate": 0.4, "runs": 8})
    assert closed.holds and not closed.ok and "GAP CLOSED" in closed.describe()
    with pytest.raises(ScenarioError, match="gap"):
        parse_expectations([{**item, "gap": ""}], "f.yaml")


def test_an_absolute_claim_can_be_a_known_gap_too() -> None:
    from sim.experiment.expectations import evaluate_one, parse_expectations

    item = {"check": "pmf_rate < 0.2", "gap": "0.25 on seeds 0-63"}
    (gap,) = parse_expectations([item], "f.yaml")
    assert (gap.metric, gap.op, gap.threshold, gap.comparison) == ("pmf_rate", "<", 0.2, None)
    still_open = evaluate_one(gap, {"pmf_rate": 0.25, "runs": 64})
    assert not still_open.holds and still_open.ok
    closed = evaluate_one(gap, {"pmf_rate": 0.1, "runs": 64})
    assert closed.holds and not closed.ok and "GAP CLOSED" in closed.describe()
    with pytest.raises(ScenarioError, match="unknown key 'gapp'"):
        parse_expectations([{"check": "pmf_rate < 0.2", "gapp": "x"}], "f.yaml")
    with pytest.raises(ScenarioError, match="expect\\[0\\]: check: unknown metric"):
        parse_expectations([{"check": "pmf_rat < 0.2", "gap": "x"}], "f.yaml")


def test_a_rate_gets_a_third_decimal_when_two_would_misread() -> None:
    """10 fewer of 128 survive: two decimals printed a failing "diff < -0.08" as "measured
    -0.08"; three say -0.078. Rates that two decimals hold exactly keep two."""
    from sim.experiment.expectations import _fmt

    assert _fmt("survival_rate", -10 / 128) == "-0.078"
    assert _fmt("survival_rate", 48 / 128) == "0.375"
    assert _fmt("survival_rate", 6 / 50) == "0.12"
    assert _fmt("survival_rate", 0.8) == "0.80"
