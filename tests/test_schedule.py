"""Mid-run decisions: a scenario's ``schedule:`` ({month, set: {lever: value}}).

The schema validates every entry like a ``--set`` override (one line naming the file, the month,
the key and the problem) and refuses what cannot change mid-run; the model applies an entry at
the start of its month without touching the world's random streams; the CLI, ensembles and the
loop attribution honour it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from mechanisms_helpers import world_of

import sim
from sim.cli.entry import EXIT_BAD_INPUT, EXIT_OK, main
from sim.config import ScenarioError, loads, preset
from sim.experiment.runner import counterfactual, cut_link, link_response
from sim.experiment.store import canonical_scenario

MONTHS = 30
CHANGE_MONTH = 10
SEEDS = (1011, 1012, 1013)
CHANGE = {
    "sales.commission_rate": 0.0,
    "sales.contingent_acceptance": 0.0,
    "product.custom_capacity_cap": 0.1,
    "policy.feedback_meetings": True,
}


def _base():
    return preset("sales_led").with_overrides({"months": MONTHS})


def _scheduled(changes=CHANGE, month=CHANGE_MONTH):
    return _base().with_overrides({"schedule": [{"month": month, "set": dict(changes)}]})


# -- the schema ------------------------------------------------------------------------------


def test_schedule_steps_accumulate_entries():
    scenario = loads(
        "preset: sales_led\nmonths: 24\nschedule:\n"
        "  - {month: 6, set: {sales.commission_rate: 0.02}}\n"
        "  - {month: 12, set: {policy.feedback_meetings: true}}\n",
        source="s.yaml",
    )
    steps = scenario.schedule_steps()
    assert [m for m, _ in steps] == [6, 12]
    assert steps[0][1].sales.commission_rate == 0.02
    assert steps[0][1].policy.feedback_meetings is False
    assert steps[1][1].sales.commission_rate == 0.02  # a change holds until changed again
    assert steps[1][1].policy.feedback_meetings is True
    assert all(not s.schedule for _, s in steps)
    assert scenario.sales.commission_rate == preset("sales_led").sales.commission_rate


def test_a_scenario_round_trips_with_its_schedule():
    scenario = _scheduled()
    again = loads(scenario.to_yaml(), source="again.yaml")
    assert again == scenario
    assert again.schedule[0].set == CHANGE


def test_no_schedule_keeps_the_run_store_key():
    """A scenario without a schedule has the same canonical form as before schedules existed."""
    assert "schedule" not in json.loads(canonical_scenario(_base()))
    assert "schedule" in json.loads(canonical_scenario(_scheduled()))


BAD = [
    (
        "{month: 6, set: {sales.comission_rate: 0.02}}",
        ["month 6", "sales.comission_rate", "did you mean 'commission_rate'"],
    ),
    (
        "{month: 6, set: {sales.commission_rate: 2}}",
        ["month 6", "sales.commission_rate", "less than or equal to 0.5"],
    ),
    ("{month: 6, set: {sales.commission_rate: lots}}", ["sales.commission_rate", "number"]),
    (
        "{month: 6, set: {company.initial_cash: 5000000}}",
        ["company.initial_cash", "cannot change mid-run"],
    ),
    (
        "{month: 6, set: {company.initial_reps: 9}}",
        ["company.initial_reps", "cannot change mid-run"],
    ),
    ("{month: 6, set: {market.size_scale: 2}}", ["market.size_scale", "cannot change mid-run"]),
    ("{month: 6, set: {months: 12}}", ["months", "cannot change mid-run"]),
    ("{month: 6, set: {seeds: 4}}", ["seeds", "cannot change mid-run"]),
    (
        "{month: 6, set: {sale.commission_rate: 0.1}}",
        ["sale.commission_rate", "unknown key", "did you mean 'sales'"],
    ),
    ("{month: 6, set: {sales: {commission_rate: 0.1}}}", ["whole section"]),
    ("{month: 6, set: {sales.focus_segment: mars}}", ["sales.focus_segment", "not a segment"]),
    ("{month: 0, set: {}}", ["schedule.0.month", "greater than or equal to 1"]),
    ("{month: 25, set: {sales.commission_rate: 0.1}}", ["month 25", "after the horizon"]),
    ("{month: 6, sett: {}}", ["schedule.0.sett", "did you mean 'set'"]),
]


@pytest.mark.parametrize(("entry", "fragments"), BAD)
def test_a_bad_entry_is_one_line_naming_file_key_and_problem(entry, fragments):
    with pytest.raises(ScenarioError) as err:
        loads(f"months: 24\nschedule:\n  - {entry}\n", source="team.yaml")
    text = str(err.value)
    assert "\n" not in text and text.startswith("team.yaml: ")
    for fragment in fragments:
        assert fragment in text, text


def test_months_must_increase():
    with pytest.raises(ScenarioError, match="months must increase"):
        loads(
            "months: 24\nschedule:\n  - {month: 8, set: {}}\n  - {month: 8, set: {}}\n",
            source="s.yaml",
        )


def test_a_change_in_the_last_month_is_allowed():
    scenario = _base().with_overrides(
        {"schedule": [{"month": MONTHS, "set": {"sales.commission_rate": 0.2}}]}
    )
    assert scenario.schedule_steps()[0][0] == MONTHS


# -- the model ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_a_scheduled_change_keeps_the_world(seed):
    """Common random numbers: the same need profiles every month, the same leapfrog months and
    the same prospects arriving, with or without the mid-run change."""
    a, b = world_of(_base(), seed), world_of(_scheduled(), seed)
    needs_a, leap_a, arrivals_a, seg_a = a.needs, a.leapfrogs, a.arrivals, a.segments
    needs_b, leap_b, arrivals_b, seg_b = b.needs, b.leapfrogs, b.arrivals, b.segments
    assert all(np.array_equal(a, b) for a, b in zip(needs_a, needs_b, strict=True))
    assert leap_a == leap_b
    assert np.array_equal(arrivals_a, arrivals_b) and np.array_equal(seg_a, seg_b)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_run_is_identical_before_the_change_and_differs_after(seed):
    plain = sim.run(_base(), seed=seed, attribute=False).series
    changed = sim.run(_scheduled(), seed=seed, attribute=False).series
    before = CHANGE_MONTH - 1
    assert plain.iloc[:before].equals(changed.iloc[:before])
    assert not plain.iloc[before:].equals(changed.iloc[before:])


def test_the_change_reaches_behaviour():
    """Commission off from month 10: no commission is paid from then on, in every seed."""
    for seed in SEEDS:
        series = sim.run(_scheduled(), seed=seed, attribute=False).series
        after = series[series["month"] >= CHANGE_MONTH]
        assert (after["commissions_usd"] == 0).all(), seed
        assert not after["commission_on"].any(), seed
        assert (series[series["month"] < CHANGE_MONTH]["commissions_usd"] > 0).any(), seed


def test_an_empty_entry_changes_nothing():
    seed = SEEDS[0]
    plain = sim.run(_base(), seed=seed, attribute=False).series
    empty = sim.run(_scheduled({}), seed=seed, attribute=False).series
    assert plain.equals(empty)


def test_the_decision_is_in_the_events():
    result = sim.run(_scheduled(), seed=SEEDS[0], attribute=False)
    decisions = result.events[result.events["event"] == "decision"]
    assert list(decisions["month"]) == [CHANGE_MONTH]
    assert "sales.commission_rate=0.0" in decisions["changes"].iloc[0]


def test_a_shorter_horizon_is_the_same_run_cut_short():
    """A workshop reruns a team's company up to the current round: the months it shows are those
    of the full horizon (the horizon sizes arrays only)."""
    seed = SEEDS[1]
    full = sim.run(_scheduled(), seed=seed, attribute=False).series
    short = sim.run(_scheduled().with_overrides({"months": 20}), seed=seed, attribute=False)
    assert full.iloc[: len(short.series)].equals(short.series)


# -- attribution ------------------------------------------------------------------------------


def test_the_counterfactual_keeps_the_schedule_but_not_the_link():
    scenario = _scheduled({**CHANGE, "policy.pressure_response": 0.8})
    cut = cut_link(scenario)
    assert cut.policy.pressure_response == 0.0
    assert [e.set for e in cut.schedule] == [CHANGE]  # every other decision kept
    assert link_response(scenario) == 1.0
    low = _base().with_overrides(
        {
            "policy.pressure_response": 0.0,
            "schedule": [{"month": 5, "set": {"policy.pressure_response": 0.7}}],
        }
    )
    assert link_response(low) == 0.7  # the link is live from month 5: a death may be the loop's
    for step in cut_link(low).schedule_steps():
        assert step[1].policy.pressure_response == 0.0
    seed = SEEDS[2]
    assert counterfactual(scenario, seed).series.equals(
        sim.run(cut, seed=seed, attribute=False).series
    )


# -- the CLI and ensembles ----------------------------------------------------------------------


def _write(tmp_path: Path, scenario) -> Path:
    path = tmp_path / "scheduled.yaml"
    path.write_text(scenario.to_yaml(), encoding="utf-8")
    return path


def test_sim_run_honours_the_schedule(tmp_path, capsys):
    path = _write(tmp_path, _scheduled())
    capsys.readouterr()
    assert main(["run", str(path), "--seed", str(SEEDS[0]), "--json"]) == EXIT_OK
    printed = json.loads(capsys.readouterr().out)
    expected = sim.run(_scheduled(), seed=SEEDS[0]).summary
    plain = sim.run(_base(), seed=SEEDS[0]).summary
    assert printed["cumulative_revenue_usd"] == pytest.approx(expected["cumulative_revenue_usd"])
    assert printed["total_commissions_usd"] != pytest.approx(plain["total_commissions_usd"])


def test_sim_run_refuses_a_bad_schedule_in_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "preset: sales_led\nmonths: 24\nschedule:\n"
        "  - {month: 6, set: {company.initial_cash: 100}}\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    code = main(["run", str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and "company.initial_cash" in err and "mid-run" in err


def test_sim_run_months_shorter_than_the_schedule_says_so(tmp_path, capsys):
    path = _write(tmp_path, _scheduled())
    capsys.readouterr()
    code = main(["run", str(path), "--months", "6"])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "after the horizon" in err and err.count("\n") == 1


def test_ensembles_honour_the_schedule():
    scenario = _scheduled()
    ensemble = sim.run_ensemble(scenario, seeds=list(SEEDS), workers=1)
    for seed, summary in zip(SEEDS, ensemble.summaries.to_dict("records"), strict=True):
        alone = sim.run(scenario, seed=seed).summary
        assert summary["cumulative_revenue_usd"] == pytest.approx(alone["cumulative_revenue_usd"])
        assert summary["total_commissions_usd"] == pytest.approx(alone["total_commissions_usd"])
    plain = sim.run_ensemble(_base(), seeds=list(SEEDS), workers=1)
    assert not np.allclose(
        plain.summaries["total_commissions_usd"], ensemble.summaries["total_commissions_usd"]
    )
