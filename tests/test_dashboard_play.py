"""Play mode through Streamlit's AppTest: create a workshop, team pages submit, the console
advances, the leaderboard, the debrief and the report; links reach only what their token opens."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("SIM_DASHBOARD_WORKERS", "0")
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"

from dashboard_helpers import goto
from streamlit.testing.v1 import AppTest

from sim.config import preset
from sim.experiment import workshop as wk
from sim.experiment.workshop import WorkshopStore

TIMEOUT = 180


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> WorkshopStore:
    monkeypatch.setenv("SIM_WORKSHOP_DB", str(tmp_path / "workshops.sqlite3"))
    return WorkshopStore(tmp_path / "workshops.sqlite3")


def _page(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = params
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest, marker: str) -> list[str]:
    return [m.value for m in at.markdown if marker in m.value]


def _workshop(db: WorkshopStore, rounds: int = 2, names=("Red", "Green", "Blue")):
    scenario = preset("sales_led").with_overrides({"market.size_scale": 0.3})
    return db.create("Morning", list(names), scenario, 3, rounds, seed=5)


def test_the_play_page_creates_a_workshop_with_its_links(db):
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {"seeds": "2", "months": "12"}
    at.run()
    goto(at, "play")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input[0].set_value("Friday class")
    at.text_area[0].set_value("North\nSouth\n\nEast\n")
    at.number_input[0].set_value(4)  # months per round
    at.number_input[1].set_value(3)  # rounds
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "Friday class" in at.success[0].value
    links = "".join(_html(at, "play-links"))
    console = re.search(r'class="console-link" href="[^"]*\?workshop=([\w-]+)"', links)
    teams = re.findall(r'data-team="(\w+)" href="[^"]*\?team=([\w-]+)"', links)
    assert console and [name for name, _ in teams] == ["North", "South", "East"]
    workshop = db.workshop(console.group(1))
    assert workshop is not None and workshop.name == "Friday class"
    assert (workshop.round_months, workshop.rounds, workshop.months) == (4, 3, 12)
    assert [db.team(token)[0].name for _, token in teams] == ["North", "South", "East"]


def test_a_bad_workshop_is_one_line_on_the_page(db):
    at = _page(seeds="2", months="12")
    goto(at, "play")
    at.run()
    at.text_area[0].set_value("Red\nRed")
    at.button[0].click().run()
    assert not at.exception
    assert at.error and at.error[0].value == "two teams share a name: Red"


def test_unknown_links_say_so_and_a_team_link_is_not_a_console(db):
    workshop, teams = _workshop(db)
    for params in ({"team": "nope"}, {"workshop": "nope"}, {"workshop": teams[0].token}):
        at = _page(**params)
        assert at.error and "not known" in at.error[0].value, params
        assert not _html(at, 'class="play-status"')
    at = _page(team=workshop.token)  # a console token is not a team link either
    assert at.error and "not known" in at.error[0].value


def test_a_team_sees_its_company_and_submits_for_itself_only(db):
    _, teams = _workshop(db)
    at = _page(team=teams[0].token)
    status = _html(at, 'class="play-status"')[0]
    assert 'data-round="1"' in status and 'data-submitted="no"' in status
    kpis = _html(at, "team-kpis")[0]
    for kpi in ("cash", "runway", "arr", "pipeline", "custom work", "pressure"):
        assert f'data-kpi="{kpi}"' in kpis
    assert len(_html(at, 'class="hears"')) == 3  # sales, product, finance
    at.slider(key=f"play-{teams[0].id}-1-commission_rate").set_value(2)
    at.toggle(key=f"play-{teams[0].id}-1-feedback_meetings").set_value(True)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and "Commission rate: 2" in at.success[0].value
    assert 'data-submitted="yes"' in _html(at, 'class="play-status"')[0]
    saved = db.team_submissions(teams[0])[1].levers
    assert saved["sales.commission_rate"] == 0.02 and saved["policy.feedback_meetings"] is True
    assert db.team_submissions(teams[1]) == {}
    other = _page(team=teams[1].token)
    assert 'data-submitted="no"' in _html(other, 'class="play-status"')[0]


def test_the_console_advances_every_team_and_ends_with_the_debrief(db):
    workshop, teams = _workshop(db)
    db.submit(teams[0].token, 1, {"sales.commission_rate": 0.0})
    db.submit(teams[1].token, 1, {"product.custom_capacity_cap": 0.1})
    console = _page(workshop=workshop.token)
    status = _html(console, 'class="play-status"')[0]
    assert 'data-submitted="2"' in status and 'data-teams="3"' in status
    rows = _html(console, "board submitted")[0]
    assert (
        rows.count('data-submitted="yes"') == 2 and 'data-team="Blue" data-submitted="no"' in rows
    )
    console.button(key="advance-1").click().run()
    assert not console.exception, [e.value for e in console.exception]
    assert db.workshop(workshop.token).played == 1
    board = _html(console, "board leaderboard")[0]
    assert board.count("data-rank=") == 3
    assert len(console.get("plotly_chart")) == 2
    team_page = _page(team=teams[2].token)
    assert 'data-played="1"' in _html(team_page, 'class="play-status"')[0]
    assert team_page.get("plotly_chart")  # its own path

    db.submit(teams[2].token, 2, {"sales.targeting": "focus"})
    console.button(key="advance-2").click().run()
    assert not console.exception, [e.value for e in console.exception]
    assert not console.button  # no Advance once every round is played
    assert len(_html(console, 'class="story-card"')) == 3
    mattered = _html(console, 'class="mattered"')
    assert len(mattered) == 3 and all("data-top-round" in m for m in mattered)
    headers = re.findall(r"<th>([^<]*)</th>", mattered[0])
    assert headers[2:] == [
        "Change in months lived",
        "Change in ARR at the end",
        "Change in cash at the end",
    ]
    assert len(console.get("plotly_chart")) == 4  # team paths, then with the reference presets
    labels = [b.proto.label for b in console.get("download_button")]
    assert labels == ["Download the workshop report (HTML)"]
    done = _page(team=teams[0].token)
    assert "workshop is over" in _html(done, 'class="play-status"')[0]
    assert not done.get("form")  # nothing left to submit


def test_a_submission_after_the_advance_lands_in_no_played_round(db):
    """The facilitator advances while a team is still editing round 1: its click does not
    rewrite round 1 (already played); the team is told so, and its choices wait in round 2's
    form. (The store refuses a write that races the advance itself:
    tests/test_workshop_store.py.)"""
    workshop, teams = _workshop(db)
    at = _page(team=teams[0].token)
    at.slider(key=f"play-{teams[0].id}-1-commission_rate").set_value(3)
    db.advance(workshop.token, 0)
    at.button[0].click().run()
    assert not at.exception
    assert 'data-round="2"' in _html(at, 'class="play-status"')[0]
    assert db.team_submissions(teams[0]) == {}
    assert at.warning and "Round 1 closed before your submission arrived" in at.warning[0].value
    assert at.slider(key=f"play-{teams[0].id}-2-commission_rate").value == 3
    at.button[0].click().run()
    assert not at.exception and at.success
    assert db.team_submissions(teams[0])[2].levers["sales.commission_rate"] == 0.03


def test_tied_teams_share_a_rank():
    """Teams level on everything the ranking reads share the first one's rank, shown "=2"."""
    from types import SimpleNamespace

    from dashboard.views.play import shared_ranks

    def company(survived: bool, arr: float, months: int) -> SimpleNamespace:
        series = pd.DataFrame(
            {"month": range(1, months + 1), "arr_usd": arr, "cash_usd": 0.0, "alive": survived}
        )
        return SimpleNamespace(summary={"survived": survived}, series=series)

    results = {
        "Red": company(True, 5e5, 24),
        "Green": company(False, 0.0, 20),
        "Blue": company(False, 0.0, 20),
        "Gold": company(False, 0.0, 12),
    }
    standings = wk.leaderboard(results)
    assert standings[0].team == "Red"
    ranks = dict(zip((row.team for row in standings), shared_ranks(results, standings)))
    assert ranks == {"Red": "1", "Green": "=2", "Blue": "=2", "Gold": "4"}
