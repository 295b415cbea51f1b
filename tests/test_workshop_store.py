"""The workshop store (sim/experiment/workshop.py): tokens, isolation, rounds, restarts and
concurrent submissions, plus the deterministic reruns a team's company is made of."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

import sim
from sim.config import preset
from sim.experiment import workshop as wk
from sim.experiment.workshop import WorkshopError, WorkshopStore

ROUND_MONTHS = 4
ROUNDS = 3
SEED = 1021


def _scenario():
    return preset("sales_led").with_overrides({"market.size_scale": 0.3})


@pytest.fixture
def store(tmp_path: Path) -> WorkshopStore:
    return WorkshopStore(tmp_path / "workshops.sqlite3")


def _create(store, names=("Red", "Green", "Blue"), name="Morning"):
    return store.create(name, list(names), _scenario(), ROUND_MONTHS, ROUNDS, seed=SEED)


# -- tokens and isolation ------------------------------------------------------------------------


def test_tokens_are_distinct_and_unguessable(store):
    ws, teams = _create(store)
    tokens = [ws.token, *(t.token for t in teams)]
    assert len(set(tokens)) == len(tokens)
    assert all(len(t) >= 20 for t in tokens)
    assert store.workshop(ws.token) == ws
    assert store.team(teams[1].token) == (teams[1], ws)


def test_a_team_token_is_not_a_facilitator_token_and_vice_versa(store):
    ws, teams = _create(store)
    assert store.workshop(teams[0].token) is None
    assert store.team(ws.token) is None
    assert store.workshop("") is None and store.team("' OR 1=1 --") is None
    with pytest.raises(WorkshopError, match="facilitator link is not known"):
        store.advance(teams[0].token, 0)
    with pytest.raises(WorkshopError, match="team link is not known"):
        store.submit(ws.token, 1, {})


def test_two_facilitators_never_see_each_others_teams(store):
    ws_a, teams_a = _create(store, name="Morning")
    ws_b, teams_b = _create(store, ("Red", "Green"), name="Afternoon")  # same team names
    assert [t.id for t in store.teams(ws_a)] == [t.id for t in teams_a]
    assert [t.id for t in store.teams(ws_b)] == [t.id for t in teams_b]
    assert not {t.token for t in teams_a} & {t.token for t in teams_b}
    store.submit(teams_a[0].token, 1, {"sales.commission_rate": 0.02})
    assert store.submissions(ws_b) == {}
    assert set(store.submissions(ws_a)) == {teams_a[0].id}
    store.advance(ws_b.token, 0)
    assert store.workshop(ws_a.token).played == 0  # advancing one workshop leaves the other


def test_a_team_link_acts_only_for_its_team(store):
    ws, teams = _create(store)
    store.submit(teams[0].token, 1, {"sales.commission_rate": 0.02})
    subs = store.submissions(ws)
    assert set(subs) == {teams[0].id}
    assert store.team_submissions(teams[1]) == {}


# -- rounds ----------------------------------------------------------------------------------


def test_resubmit_until_the_round_is_advanced(store):
    ws, teams = _create(store)
    first = store.submit(teams[0].token, 1, {"sales.commission_rate": 0.02})
    second = store.submit(teams[0].token, 1, {"sales.commission_rate": 0.04})
    assert (first.revision, second.revision) == (1, 2)
    assert store.team_submissions(teams[0])[1].levers["sales.commission_rate"] == 0.04
    store.advance(ws.token, 0)
    with pytest.raises(WorkshopError, match="round 1 has already been played"):
        store.submit(teams[0].token, 1, {"sales.commission_rate": 0.3})
    with pytest.raises(WorkshopError, match="round 3 is not open yet"):
        store.submit(teams[0].token, 3, {})
    assert store.team_submissions(teams[0])[1].levers["sales.commission_rate"] == 0.04


def test_advance_once_per_click_and_not_past_the_end(store):
    ws, _ = _create(store)
    assert store.advance(ws.token, 0).played == 1
    with pytest.raises(WorkshopError, match="already advanced"):
        store.advance(ws.token, 0)  # the second of two clicks
    store.advance(ws.token, 1)
    done = store.advance(ws.token, 2)
    assert done.finished and done.next_round is None
    with pytest.raises(WorkshopError, match="all 3 rounds"):
        store.advance(ws.token, 3)


def test_bad_levers_are_refused_in_one_line(store):
    ws, teams = _create(store)
    with pytest.raises(WorkshopError) as err:
        store.submit(teams[0].token, 1, {"sales.commission_rate": 0.9})
    assert "round 1: sales.commission_rate" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(WorkshopError, match="not a lever a team sets"):
        store.submit(teams[0].token, 1, {"company.initial_cash": 1.0})
    assert store.submissions(ws) == {}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"team_names": []}, "1 to 12 teams"),
        ({"team_names": ["A", "A"]}, "two teams share a name: A"),
        ({"team_names": ["  "]}, "cannot be empty"),
        ({"round_months": 0}, "a round is 1 to 24 months"),
        ({"rounds": 13}, "1 to 12 rounds"),
        ({"round_months": 24, "rounds": 12}, "months"),
    ],
)
def test_bad_workshops_are_refused(store, kwargs, message):
    args = {
        "name": "W",
        "team_names": ["A", "B"],
        "scenario": _scenario(),
        "round_months": 3,
        "rounds": 4,
        **kwargs,
    }
    with pytest.raises(WorkshopError, match=message):
        store.create(**args)


# -- restart: reopen the database --------------------------------------------------------------


def test_a_restart_resumes_exactly_where_it_was(tmp_path):
    path = tmp_path / "w.sqlite3"
    store = WorkshopStore(path)
    ws, teams = _create(store)
    store.submit(teams[0].token, 1, {"sales.commission_rate": 0.0})
    store.advance(ws.token, 0)
    store.submit(teams[1].token, 2, {"policy.feedback_meetings": True})
    before = {t.name: _company(store, t) for t in teams}
    del store

    again = WorkshopStore(path)  # a new server process opens the same file
    ws2 = again.workshop(ws.token)
    assert ws2 == store_ws(ws, played=1)
    assert set(again.submissions(ws2)) == {teams[0].id, teams[1].id}
    assert set(again.submissions(ws2)[teams[1].id]) == {2}
    after = {t.name: _company(again, t) for t in teams}
    for name, series in before.items():
        assert series.equals(after[name]), name


def store_ws(ws, played):
    return wk.Workshop(**{**ws.__dict__, "played": played})


def _company(store, team):
    _, ws = store.team(team.token)
    entries = wk.team_entries(ws, store.team_submissions(team))
    return sim.run(wk.team_scenario(ws, entries), seed=ws.seed, attribute=False).series


def test_the_database_is_wal_and_its_writes_are_transactions(tmp_path):
    path = tmp_path / "w.sqlite3"
    store = WorkshopStore(path)
    _create(store)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- ten teams at once -----------------------------------------------------------------------


TEN = [f"Team {i}" for i in range(10)]


def _levers(i: int) -> dict:
    return {"sales.commission_rate": round(0.01 * i, 2), "sales.promise_horizon_months": i}


def test_ten_threads_submitting_at_once_all_land(store):
    ws, teams = _create(store, TEN)
    barrier = threading.Barrier(len(teams))
    errors: list[BaseException] = []

    def submit(i: int) -> None:
        try:
            barrier.wait()
            WorkshopStore(store.path).submit(teams[i].token, 1, _levers(i))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(teams))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    _assert_all_landed(store, ws, teams)


def _submit_in_process(path: str, token: str, i: int, barrier) -> None:
    barrier.wait()
    WorkshopStore(path).submit(token, 1, _levers(i))


def test_ten_processes_submitting_at_once_all_land(store):
    ws, teams = _create(store, TEN)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(teams))
    procs = [
        ctx.Process(target=_submit_in_process, args=(str(store.path), t.token, i, barrier))
        for i, t in enumerate(teams)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * len(teams)
    _assert_all_landed(store, ws, teams)


def _assert_all_landed(store, ws, teams):
    subs = store.submissions(ws)
    assert set(subs) == {t.id for t in teams}
    for i, team in enumerate(teams):
        assert (
            subs[team.id][1].levers["sales.commission_rate"] == _levers(i)["sales.commission_rate"]
        )
        assert subs[team.id][1].revision == 1


# -- the companies ---------------------------------------------------------------------------


def test_decisions_are_changes_that_hold_until_changed_again(store):
    ws, _ = _create(store)
    chosen = {
        1: {**wk.levers_in_force(ws, []), "sales.commission_rate": 0.02},
        2: {**wk.levers_in_force(ws, []), "sales.commission_rate": 0.02},  # no change
        3: {
            **wk.levers_in_force(ws, []),
            "sales.commission_rate": 0.02,
            "sales.targeting": "focus",
        },
    }
    entries = wk.decisions(ws, chosen, 3)
    assert entries == [
        {"round": 1, "month": 1, "set": {"sales.commission_rate": 0.02}},
        {"round": 3, "month": 2 * ROUND_MONTHS + 1, "set": {"sales.targeting": "focus"}},
    ]
    full = wk.team_scenario(ws, entries, 3)
    assert full.months == 3 * ROUND_MONTHS and len(full.schedule) == 2
    without = wk.team_scenario(ws, entries, 3, without_round=1)
    assert [e.month for e in without.schedule] == [2 * ROUND_MONTHS + 1]


def test_every_team_faces_the_same_world_and_the_same_start(store):
    """Common random numbers: two teams that decided nothing have identical companies; a team's
    company is identical to the others' until its first change."""
    ws, teams = _create(store)
    store.submit(teams[0].token, 1, {})
    store.submit(teams[2].token, 2 - 1, {"sales.commission_rate": 0.0})
    ws = store.advance(ws.token, 0)
    store.submit(teams[2].token, 2, {"sales.commission_rate": 0.3})
    ws = store.advance(ws.token, 1)
    a, b, c = (_company(store, t) for t in teams)
    assert a.equals(b)
    assert len(a) == 2 * ROUND_MONTHS
    assert not a.equals(c)


def test_decisions_that_mattered_rerun_without_each_change(store):
    ws, teams = _create(store)
    store.submit(
        teams[0].token, 1, {"sales.commission_rate": 0.0, "product.custom_capacity_cap": 0.1}
    )
    ws = store.advance(ws.token, 0)
    store.advance(ws.token, 1)
    ws = store.workshop(ws.token)
    entries = wk.team_entries(ws, store.team_submissions(teams[0]))
    result = sim.run(wk.team_scenario(ws, entries), seed=ws.seed)
    mattered = wk.decisions_that_mattered(ws, entries, result)
    assert [m.round for m in mattered] == [1]
    plain = sim.run(wk.team_scenario(ws, []), seed=ws.seed, attribute=False)
    assert mattered[0].final_cash_without_usd == wk.final(plain, "cash_usd")
    assert mattered[0].extra_cash_usd == pytest.approx(
        wk.final(result, "cash_usd") - wk.final(plain, "cash_usd")
    )


def test_the_leaderboard_ranks_alive_by_arr_then_the_dead_by_months_lived():
    def fake(survived, death, arr, cash=1.0):
        import pandas as pd

        series = pd.DataFrame({"month": [1, 2], "arr_usd": [0.0, arr], "cash_usd": [cash, cash]})
        summary = {
            "survived": survived,
            "month_of_death": death,
            "spiral": False,
            "counterfactual_survived": None,
        }
        return sim.RunResult(series=series, summary=summary)

    board = wk.leaderboard(
        {
            "A": fake(False, 10, 5.0),
            "B": fake(True, None, 1.0),
            "C": fake(True, None, 3.0),
            "D": fake(False, 20, 0.0),
        }
    )
    assert [row.team for row in board] == ["C", "B", "D", "A"]
    assert [row.rank for row in board] == [1, 2, 3, 4]
    assert board[0].loop_attributable is None


def test_reference_paths_keep_the_workshop_market_and_start(store):
    ws, _ = _create(store)
    ref = wk.reference_scenario(ws, "product_led", ws.months)
    assert ref.market == ws.scenario.market
    assert ref.company.initial_cash == ws.scenario.company.initial_cash
    assert ref.company.initial_reps == ws.scenario.company.initial_reps
    assert ref.sales.commission_timing == "after_pmf" and ref.months == ws.months
