"""Play mode in a real browser: a workshop of 3 teams for 4 rounds, the facilitator and each
team in their own browser context, the server restarted between rounds 2 and 3, ending with the
leaderboard and the debrief. Screenshots (1920x1080) go to the test's tmp dir and artifacts/."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from browser_driver import ARTIFACTS, CHROMIUM_ARGS, streamlit_server

pytestmark = pytest.mark.browser

TEAMS = ("Red", "Green", "Blue")
ROUNDS = 4
TOGGLES = {  # what each team changes in every round it plays (a toggle flips)
    "Red": "Monthly sales-product feedback meeting",
    "Green": "Customisable architecture (hooks, workflows)",
    "Blue": None,
}
TIMEOUT_MS = 90_000


def _status(page, **attrs: str) -> None:
    selector = ".play-status" + "".join(f'[data-{k}="{v}"]' for k, v in attrs.items())
    page.wait_for_selector(selector, timeout=TIMEOUT_MS)


def _submit(page, base: str, token: str, team: str, round_no: int) -> None:
    page.goto(f"{base}/?team={token}")
    _status(page, round=str(round_no))
    label = TOGGLES[team]
    if label:
        page.get_by_text(label, exact=True).click()
    page.get_by_role("button", name=re.compile(r"Submit")).click()
    _status(page, round=str(round_no), submitted="yes")


def _advance(console, base: str, token: str, played: int) -> None:
    console.goto(f"{base}/?workshop={token}")
    _status(console, played=str(played), submitted=str(len(TEAMS)))
    console.get_by_role("button", name=f"Advance to round {played + 1}").click()
    _status(console, played=str(played + 1))


def _shot(page, tmp_path: Path, name: str) -> None:
    time.sleep(0.6)  # let the charts finish drawing
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def test_three_teams_four_rounds_with_a_restart(chromium, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    env = {
        "SIM_WORKSHOP_DB": str(tmp_path / "workshops.sqlite3"),
        "SIM_DASHBOARD_WORKERS": "0",
    }
    viewport = {"width": 1920, "height": 1080}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            facilitator = browser.new_context(viewport=viewport).new_page()
            teams = {name: browser.new_context(viewport=viewport).new_page() for name in TEAMS}
            with streamlit_server(env=env) as base:
                facilitator.goto(f"{base}/play")
                facilitator.get_by_role("textbox", name="Workshop name").fill("Browser workshop")
                facilitator.get_by_role("textbox", name="Teams (one name a line)").fill(
                    "\n".join(TEAMS)
                )
                facilitator.get_by_role("spinbutton", name="Months per round").fill("3")
                facilitator.get_by_role("spinbutton", name="Rounds", exact=True).fill(str(ROUNDS))
                facilitator.get_by_role("button", name="Create workshop").click()
                facilitator.wait_for_selector(".console-link", timeout=TIMEOUT_MS)
                _shot(facilitator, tmp_path, "play_created")
                console_token = facilitator.eval_on_selector(
                    ".console-link", "e => new URL(e.href).searchParams.get('workshop')"
                )
                tokens = {
                    name: facilitator.eval_on_selector(
                        f'.team-link[data-team="{name}"]',
                        "e => new URL(e.href).searchParams.get('team')",
                    )
                    for name in TEAMS
                }
                assert len(set(tokens.values()) | {console_token}) == 4
                for round_no in (1, 2):
                    for name in TEAMS:
                        _submit(teams[name], base, tokens[name], name, round_no)
                    _advance(facilitator, base, console_token, round_no - 1)
                _shot(teams["Red"], tmp_path, "play_team_round3")
                for name in TEAMS[:2]:  # two of three teams are in when the server goes down
                    _submit(teams[name], base, tokens[name], name, 3)

            with streamlit_server(env=env) as base:  # a new server process, the same database
                facilitator.goto(f"{base}/?workshop={console_token}")
                _status(facilitator, played="2", submitted="2")
                rows = facilitator.locator(".submitted tr[data-submitted='yes']")
                assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.team)")) == [
                    "Green",
                    "Red",
                ]
                facilitator.wait_for_selector(".leaderboard tr[data-rank]", timeout=TIMEOUT_MS)
                assert facilitator.locator(".leaderboard tr[data-rank]").count() == 3
                _shot(facilitator, tmp_path, "play_console_after_restart")
                _submit(teams["Blue"], base, tokens["Blue"], "Blue", 3)
                _advance(facilitator, base, console_token, 2)
                for name in TEAMS:
                    _submit(teams[name], base, tokens[name], name, 4)
                _advance(facilitator, base, console_token, 3)

                facilitator.wait_for_selector(
                    ".debrief-marker", state="attached", timeout=TIMEOUT_MS
                )
                facilitator.wait_for_selector(".mattered", timeout=TIMEOUT_MS)
                facilitator.get_by_role(
                    "button", name=re.compile("Download the workshop")
                ).wait_for(timeout=TIMEOUT_MS)
                assert facilitator.locator(".story-card").count() == 3
                assert facilitator.locator(".mattered").count() == 3
                assert facilitator.locator(".leaderboard tr[data-rank]").count() == 3
                facilitator.wait_for_function(
                    "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
                    ".filter(e => e.data).length >= 4",
                    timeout=TIMEOUT_MS,
                )
                assert facilitator.get_by_text("Traceback").count() == 0
                _shot(facilitator, tmp_path, "play_leaderboard")
                facilitator.locator("#debrief").scroll_into_view_if_needed()
                _shot(facilitator, tmp_path, "play_debrief")
                facilitator.locator(".mattered").first.scroll_into_view_if_needed()
                _shot(facilitator, tmp_path, "play_debrief_mattered")
                teams["Green"].goto(f"{base}/?team={tokens['Green']}")
                _status(teams["Green"], played=str(ROUNDS))
                _shot(teams["Green"], tmp_path, "play_team_end")
        finally:
            browser.close()
