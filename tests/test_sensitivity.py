"""`sim sensitivity`: levers decoded from SALib's unit sample, SALib's ranking recovers a known
function, the end-to-end command writes ranked indices, bad --levers/--metric exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.config import ScenarioError, preset
from sim.experiment.sensitivity import analyze, factors, sample

BASE = preset("sales_led")


def test_factors_decode_every_kind_of_lever() -> None:
    by_key = {f.key: f for f in factors(None, BASE)}
    cash = by_key["company.initial_cash"]
    assert cash.value(0.0) == 500_000 and cash.value(1.0) == 10_000_000
    assert by_key["product.customizable_architecture"].value(0.2) is False
    assert by_key["product.customizable_architecture"].value(0.8) is True
    assert by_key["company.hiring"].value(0.0) == "plan"
    assert by_key["company.hiring"].value(1.0) == "after_pmf"
    assert by_key["product.bet_limit_usd"].value(0.0) is None
    for f in by_key.values():  # every decoded value is a valid scenario
        for u in (0.0, 0.5, 1.0):
            BASE.with_overrides({f.key: f.value(u)})


@pytest.mark.parametrize("method", ["morris", "sobol"])
def test_salib_ranks_a_known_function(method: str) -> None:
    names = ["strong", "weak", "none"]
    problem = {"num_vars": 3, "names": names, "bounds": [[0.0, 1.0]] * 3}
    x = sample(method, problem, 32 if method == "morris" else 256)
    y = 4 * x[:, 0] + 0.5 * x[:, 1] ** 2
    table = analyze(method, problem, x, y)
    assert list(table["lever"]) == names
    main = "mu_star" if method == "morris" else "ST"
    assert table[main].iloc[2] == pytest.approx(0.0, abs=0.02)
    assert (table[f"{main}_conf"] >= 0).all()


def test_bad_levers_and_metric() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'sales.contingent_acceptance'"):
        factors(["sales.contingent_acceptence", "company.hiring"], BASE)
    with pytest.raises(ScenarioError, match="at least two"):
        factors(["company.hiring"], BASE)
    assert main(["sensitivity", "sales_led", "--method", "morris", "--metric", "surv"]) == 2
    assert main(["sensitivity", "sales_led", "--method", "fast"]) == 2


def test_cli_writes_ranked_indices(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    levers = "company.initial_cash,sales.contingent_acceptance,policy.feedback_meetings"
    argv = [
        "sensitivity",
        "sales_led",
        "--method",
        "morris",
        "--levers",
        levers,
        "--size",
        "2",
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
    assert report["points"] == 8 and report["computed_runs"] == 16
    table = pd.read_csv(tmp_path / "sensitivity.csv")
    assert list(table["rank"]) == [1, 2, 3] and set(table["lever"]) == set(levers.split(","))
    assert np.all(np.diff(table["mu_star"]) <= 0)
    assert "Plotly.newPlot" in (tmp_path / "sensitivity.html").read_text()
    points = pd.read_csv(tmp_path / "sensitivity_points.csv")
    assert len(points) == 8 and points["survival_rate"].between(0, 1).all()


def test_morris_mu_star_is_a_change_per_whole_range_and_the_cli_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SALib divides each Morris step's change by the step (2/3 of the range at 4 levels), so
    y = 0.3 x reads mu* 0.3 although every step moves y by 0.2; the printed table says that
    mu* is per full range (MODEL.md read it as the change over a 2/3-range step: 1.5x too big)."""
    problem = {"num_vars": 2, "names": ["linear", "none"], "bounds": [[0.0, 1.0]] * 2}
    x = sample("morris", problem, 8)
    table = analyze("morris", problem, x, 0.3 * x[:, 0])
    assert table["mu_star"].iloc[0] == pytest.approx(0.3)
    steps = np.abs(np.diff(0.3 * x[:, 0].reshape(8, 3), axis=1))  # within each trajectory
    assert steps[steps > 0] == pytest.approx(0.2)
    levers = "company.initial_cash,policy.feedback_meetings"
    argv = ["sensitivity", "sales_led", "--method", "morris", "--levers", levers, "--size", "1"]
    argv += ["--seeds", "1", "--months", "12", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "per full range of a lever" in out and "2/3 of mu_star" in out
    assert "per full range of a lever" in (tmp_path / "sensitivity.html").read_text()


def test_an_index_that_cannot_be_negative_draws_no_interval_below_zero() -> None:
    """SALib's mu* interval is symmetric: a mu* of 0.05 +- 0.2 drew a bar to -0.15."""
    import pandas as pd

    from sim.report.explore import indices_chart

    table = pd.DataFrame({"lever": ["a", "b"], "mu_star": [0.05, 0.6], "mu_star_conf": [0.2, 0.1]})
    bar = indices_chart(table, "mu_star", "mu_star_conf", "t", floor=0.0).data[0]
    lows = [x - m for x, m in zip(bar.x, bar.error_x.arrayminus, strict=True)]
    assert min(lows) == pytest.approx(0.0) and list(bar.error_x.array) == [0.2, 0.1]
    free = indices_chart(table, "mu_star", "mu_star_conf", "t").data[0]
    assert list(free.error_x.arrayminus) == [0.2, 0.1]  # S1 can be negative: no floor
