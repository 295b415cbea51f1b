"""`sim explain`: the causal debrief on the command line."""

from __future__ import annotations

import json

import pytest

from sim.cli.entry import EXIT_BAD_INPUT, EXIT_OK, main
from sim.config import load_scenario
from sim.experiment.runner import run


def test_explain_prints_a_timeline_whose_death_month_matches_the_series(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "scenarios/sales_led.yaml", "--seed", "3", "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    series = run(load_scenario("scenarios/sales_led.yaml"), seed=3).series
    died = not bool(series["alive"].iloc[-1])
    text = json.dumps(out)
    assert ("died" in text or "ran out" in text) == died
    if died:
        assert str(int(series["month"].iloc[-1])) in text


def test_explain_bad_scenario_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "no/such/file.yaml"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err and "no/such/file.yaml" in err
