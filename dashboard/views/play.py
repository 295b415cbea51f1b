"""Play mode: teams steer their own company round by round; a facilitator console runs the room.

Three pages, each a function:

* ``play_page`` (the "Play" entry in the navigation): a facilitator creates a workshop (name,
  teams, starting scenario, months per round, rounds, seed) and gets the console link and a join
  link per team;
* ``facilitator_page`` (``?workshop=TOKEN``): who has submitted, Advance round (every team at
  once), the leaderboard, every team's path on one chart, and at the end the debrief (stories
  side by side, the decisions that mattered, the presets as reference paths) and the take-home
  report;
* ``team_page`` (``?team=TOKEN``): the team's own company (cash, runway, ARR, pipeline, custom
  share, pressure, what the CEO hears), its levers for the next round, Submit.

State lives in the SQLite store of ``sim.experiment.workshop`` (every page looks the workshop or
team up by its token alone); a company is rerun from the decisions, so a server restart resumes
where the workshop was. No model logic here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from dashboard.common import PLOTLY_CONFIG, esc
from dashboard.controls import base_scenarios, lever_widget
from sim.analysis.briefing import briefing
from sim.analysis.debrief import CAUSES, Debrief, explain_run
from sim.analysis.units import money_short, percent
from sim.config import Scenario
from sim.config.hints import one_line
from sim.experiment import levers as lv
from sim.experiment import workshop as wk
from sim.report.charts import TEAM_COLORS, team_paths_chart

REFERENCES = ("product_led", "sales_led")
STATUS_REFRESH_S = 4  # how often the console and the team page look for news (seconds)
DEFAULT_TEAMS = "Red\nGreen\nBlue"
FLASH = "play_flash"  # the one-run message after a submission
LATE_FLASH = "play_late_flash"  # the one-run message after a click on a closed round

PLAY_CSS = """
<style>
.play-title { font-size: 2.1rem; font-weight: 800; line-height: 1.2; margin: 0 0 0.3rem 0; }
.play-sub { font-size: 1.2rem; color: #333; margin-bottom: 0.8rem; }
.play-status { font-size: 1.25rem; font-weight: 700; border-left: 0.4rem solid #0072B2;
    padding: 0.4rem 0.9rem; background: #F3F6FA; margin: 0.2rem 0 0.8rem 0; }
.play-links code { font-size: 0.95rem; }
.hears { border: 2px solid #C8CDD4; border-radius: 0.6rem; padding: 0.5rem 0.9rem;
    background: #FAFBFC; margin-bottom: 0.5rem; }
.hears .who { font-weight: 800; font-size: 1.1rem; }
.hears p { margin: 0.15rem 0; font-size: 1.05rem; }
.board { border-collapse: collapse; width: 100%; font-size: 1.15rem; }
.board th, .board td { border-bottom: 1px solid #D9DCE1; padding: 0.35rem 0.6rem;
    text-align: left; }
.board th { background: #F3F4F6; }
.board td.num { text-align: right; font-variant-numeric: tabular-nums; }
.story-card { border-top: 0.45rem solid #555; padding: 0.3rem 0.2rem; }
.story-card h4 { margin: 0.2rem 0 0.3rem 0; }
.story-card p { font-size: 1.0rem; margin: 0.12rem 0; }
</style>
"""


# --------------------------------------------------------------------------------------------
# Shared: the store, runs, links
# --------------------------------------------------------------------------------------------


def store() -> wk.WorkshopStore:
    """The workshop store (``SIM_WORKSHOP_DB``, default ``results/workshops.sqlite3``); every
    call of it opens its own SQLite connection, so sessions never share one."""
    return _store(str(wk.default_db()))


@st.cache_resource(show_spinner=False)
def _store(path: str) -> wk.WorkshopStore:
    return wk.WorkshopStore(path)


@st.cache_data(show_spinner=False, max_entries=1024)
def _run(scenario_json: str, seed: int, attribute: bool) -> Any:
    from sim.experiment.runner import run

    return run(Scenario.model_validate_json(scenario_json), seed=seed, attribute=attribute)


@st.cache_data(show_spinner=False, max_entries=256)
def _mattered(token: str, played: int, entries_json: str) -> list[wk.Mattered]:
    """The decisions that mattered for one team (``played`` keys the cache to the round)."""
    workshop = store().workshop(token)
    if workshop is None:
        return []
    entries = json.loads(entries_json)
    result = _run(wk.team_scenario(workshop, entries).model_dump_json(), workshop.seed, False)
    return wk.decisions_that_mattered(workshop, entries, result)


def _company(workshop: wk.Workshop, entries: list[dict[str, Any]], name: str) -> Any:
    """A team's company over the rounds played (with the loop attribution of a death)."""
    scenario = wk.team_scenario(workshop, entries, name=name)
    return _run(scenario.model_dump_json(), workshop.seed, True)


def _companies(workshop: wk.Workshop) -> tuple[list[wk.Team], dict[str, Any], dict[str, list]]:
    teams = store().teams(workshop)
    subs = store().submissions(workshop)
    entries = {t.name: wk.team_entries(workshop, subs.get(t.id, {})) for t in teams}
    results = {}
    if workshop.played:
        results = {t.name: _company(workshop, entries[t.name], t.name) for t in teams}
    return teams, results, entries


def _base_url() -> str:
    """The server's address as the browser sees it (empty when unknown: links are relative)."""
    url = getattr(st.context, "url", None) or ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def team_link(token: str) -> str:
    return f"{_base_url()}/?team={token}"


def console_link(token: str) -> str:
    return f"{_base_url()}/?workshop={token}"


def _style() -> None:
    st.markdown(PLAY_CSS, unsafe_allow_html=True)


def play_entry() -> bool:
    """Draw the console or a team page when the URL carries a token; False when it does not."""
    params = st.query_params
    if params.get("team"):
        _style()
        team_page(str(params.get("team")))
        return True
    if params.get("workshop"):
        _style()
        facilitator_page(str(params.get("workshop")))
        return True
    return False


def _money(value: float) -> str:
    return money_short(value, decimals=2)


def _span(workshop: wk.Workshop, round_no: int) -> str:
    first, last = workshop.round_months_span(round_no)
    return f"month {first}" if first == last else f"months {first}-{last}"


# --------------------------------------------------------------------------------------------
# Creating a workshop
# --------------------------------------------------------------------------------------------


def play_page(ctx: Any = None) -> None:
    """The Play page: create a workshop and get its links."""
    _style()
    st.markdown('<div class="play-title">Play a workshop</div>', unsafe_allow_html=True)
    st.markdown(
        '<div class="play-sub">Teams each run their own company in the same market with the same '
        "luck, and change course round by round. Create the workshop here; you get a console "
        "link for yourself and a join link per team.</div>",
        unsafe_allow_html=True,
    )
    created = st.session_state.get("play_created")
    bases, _errors = base_scenarios()
    with st.form("create-workshop", border=True):
        left, right = st.columns(2, gap="large")
        name = left.text_input("Workshop name", value="Workshop", max_chars=120)
        teams_text = left.text_area(
            "Teams (one name a line)",
            value=DEFAULT_TEAMS,
            height=150,
            help=f"1 to {wk.MAX_TEAMS} teams, each name at most {wk.NAME_LIMIT} characters",
        )
        start = right.selectbox(
            "Start from",
            list(bases),
            index=list(bases).index("sales_led") if "sales_led" in bases else 0,
            format_func=lambda k: bases[k].name,
            help="the company every team starts as, in the market every team faces",
        )
        c1, c2, c3 = right.columns(3, vertical_alignment="bottom")  # a wrapped label keeps the row
        round_months = c1.number_input(
            "Months per round", min_value=1, max_value=wk.MAX_ROUND_MONTHS, value=6, step=1
        )
        rounds = c2.number_input("Rounds", min_value=1, max_value=wk.MAX_ROUNDS, value=6, step=1)
        seed = c3.number_input(
            "Seed",
            min_value=0,
            max_value=9999,
            value=0,
            step=1,
            help="the market and the luck every team shares",
        )
        go = st.form_submit_button("Create workshop", type="primary")
    if go:
        names = [line.strip() for line in teams_text.splitlines() if line.strip()]
        try:
            workshop, _ = store().create(
                name, names, bases[start], int(round_months), int(rounds), seed=int(seed)
            )
        except (wk.WorkshopError, ValueError) as err:
            st.error(one_line(str(err)))
        else:
            created = {"token": workshop.token, "name": workshop.name}
            st.session_state["play_created"] = created
    if created:
        found = store().workshop(created["token"])
        if found is not None:
            st.success(
                f"Workshop '{found.name}' created. Keep the console link: it is the only way "
                "back to this workshop."
            )
            _links(found, store().teams(found))


def _links(workshop: wk.Workshop, teams: Sequence[wk.Team]) -> None:
    console = console_link(workshop.token)
    rows = "".join(
        f'<tr><td>{esc(t.name)}</td><td><a class="team-link" data-team="{esc(t.name)}" '
        f'href="{esc(team_link(t.token))}" target="_blank">{esc(team_link(t.token))}</a>'
        "</td></tr>"
        for t in teams
    )
    st.markdown(
        f'<div class="play-links"><p><b>Facilitator console:</b> <a class="console-link" '
        f'href="{esc(console)}">{esc(console)}</a></p>'
        f'<table class="board"><tr><th>Team</th><th>Join link (send it to that team only)</th>'
        f"</tr>{rows}</table></div>",
        unsafe_allow_html=True,
    )


# --------------------------------------------------------------------------------------------
# The facilitator console
# --------------------------------------------------------------------------------------------


def facilitator_page(token: str) -> None:
    """The console of the workshop whose facilitator token this is."""
    workshop = store().workshop(token)
    if workshop is None:
        st.error(
            "This console link is not known. Check the link, or create a workshop on the Play page."
        )
        return
    st.markdown(
        f'<div class="play-title">{esc(workshop.name)}: facilitator console</div>',
        unsafe_allow_html=True,
    )
    _console_status(token)
    teams, results, entries = _companies(workshop)
    if workshop.played:
        st.subheader(f"Leaderboard after round {workshop.played} (month {workshop.month_now})")
        _leaderboard(results)
        _paths(results)
    if workshop.finished:
        _debrief(workshop, teams, results, entries)
    with st.expander("Join links", expanded=not workshop.played):
        _links(workshop, teams)


@st.fragment(run_every=STATUS_REFRESH_S)
def _console_status(token: str) -> None:
    """Who has submitted for the next round, and Advance (refreshed every few seconds)."""
    workshop = store().workshop(token)
    if workshop is None:
        return
    if st.session_state.get("play_console_played", workshop.played) != workshop.played:
        st.session_state["play_console_played"] = workshop.played
        st.rerun(scope="app")  # another console advanced: redraw the leaderboard too
    st.session_state["play_console_played"] = workshop.played
    teams = store().teams(workshop)
    subs = store().submissions(workshop)
    nxt = workshop.next_round
    done = sum(1 for t in teams if nxt is not None and nxt in subs.get(t.id, {}))
    if nxt is None:
        text = f"All {workshop.rounds} rounds played (months 1-{workshop.months}): the debrief."
    else:
        text = (
            f"Round {nxt} of {workshop.rounds} ({_span(workshop, nxt)}): {done} of {len(teams)} "
            "teams have submitted."
        )
    st.markdown(
        f'<div class="play-status" data-played="{workshop.played}" '
        f'data-rounds="{workshop.rounds}" data-submitted="{done}" data-teams="{len(teams)}">'
        f"{esc(text)}</div>",
        unsafe_allow_html=True,
    )
    if nxt is None:
        return
    cells = []
    for team in teams:
        sub = subs.get(team.id, {}).get(nxt)
        state = (
            f"submitted ({sub.submitted_at[11:16]} UTC"
            + (f", revision {sub.revision})" if sub.revision > 1 else ")")
            if sub
            else "waiting"
        )
        cells.append(
            f'<tr data-team="{esc(team.name)}" data-submitted="{"yes" if sub else "no"}">'
            f'<td>{esc(team.name)}</td><td style="color:{"#00734D" if sub else "#8A5A00"}">'
            f"<b>{esc(state)}</b></td></tr>"
        )
    st.markdown(
        f'<table class="board submitted"><tr><th>Team</th><th>Round {nxt} levers</th></tr>'
        f"{''.join(cells)}</table>",
        unsafe_allow_html=True,
    )
    missing = len(teams) - done
    note = (
        f"{missing} team{'s' if missing != 1 else ''} not in yet: advancing keeps their levers."
        if missing
        else "Every team is in."
    )
    left, right = st.columns([1, 3], vertical_alignment="center")
    if left.button(f"Advance to round {nxt}", type="primary", key=f"advance-{nxt}"):
        try:
            store().advance(token, workshop.played)
        except wk.WorkshopError as err:
            st.warning(one_line(str(err)))
        st.session_state["play_console_played"] = workshop.played + 1
        st.rerun(scope="app")
    right.markdown(f"Advancing plays {_span(workshop, nxt)} for every team at once. {esc(note)}")


def shared_ranks(results: dict[str, Any], standings: Sequence[wk.Standing]) -> list[str]:
    """Each standing's rank as the board shows it: teams level on the ranking (the same
    ``ranking_key``: alive or not, ARR, cash, months lived) share the first one's rank, marked
    "=2" (competition ranking: 1, =2, =2, 4)."""
    keys = [wk.ranking_key(results[row.team]) for row in standings]
    shown = []
    for i, row in enumerate(standings):
        first = keys.index(keys[i])
        rank = standings[first].rank
        shown.append(f"={rank}" if keys.count(keys[i]) > 1 else str(rank))
    return shown


def _leaderboard(results: dict[str, Any]) -> None:
    rows = []
    standings = wk.leaderboard(results)
    for row, rank in zip(standings, shared_ranks(results, standings), strict=True):
        alive = "alive" if row.alive else f"out of cash, month {row.month_of_death}"
        loop = (
            "—"
            if row.loop_attributable is None
            else ("yes: cut the pressure link and it lives" if row.loop_attributable else "no")
        )
        rows.append(
            f'<tr data-team="{esc(row.team)}" data-rank="{rank.lstrip("=")}">'
            f'<td class="num">{rank}</td><td><b>{esc(row.team)}</b></td><td>{esc(alive)}</td>'
            f'<td class="num">{_money(row.cash_usd)}</td><td class="num">{_money(row.arr_usd)}</td>'
            f"<td>{'yes' if row.spiral else 'no'}</td><td>{esc(loop)}</td></tr>"
        )
    st.markdown(
        '<table class="board leaderboard"><tr><th>#</th><th>Team</th><th>Company</th>'
        "<th>Cash</th><th>ARR</th><th>Death spiral</th><th>Pressure loop to blame</th></tr>"
        + "".join(rows)
        + "</table>",
        unsafe_allow_html=True,
    )
    st.caption(
        "Alive first, by annual recurring revenue (ARR); then the companies that ran out of "
        "cash, the one that lasted longest first; teams level on all of it share a rank (=2). "
        "'Pressure loop to blame': the same company in "
        "the same market with the pressure link cut survives or lives 12 months longer."
    )


def _paths(results: dict[str, Any], references: dict[str, Any] | None = None) -> None:
    paths = {name: result.series for name, result in results.items()}
    refs = {name: result.series for name, result in (references or {}).items()}
    left, right = st.columns(2, gap="medium")
    key = "ref" if references else "teams"
    left.plotly_chart(
        team_paths_chart(paths, "cash_usd", "Cash in the bank", "$ million", 1e-6, refs),
        config=PLOTLY_CONFIG,
        theme=None,
        key=f"play-cash-{key}",
        width="stretch",
    )
    right.plotly_chart(
        team_paths_chart(
            paths, "arr_usd", "Annual recurring revenue", "$ million / year", 1e-6, refs
        ),
        config=PLOTLY_CONFIG,
        theme=None,
        key=f"play-arr-{key}",
        width="stretch",
    )


# --------------------------------------------------------------------------------------------
# The debrief
# --------------------------------------------------------------------------------------------


def _debrief(
    workshop: wk.Workshop,
    teams: Sequence[wk.Team],
    results: dict[str, Any],
    entries: dict[str, list],
) -> None:
    st.header("Debrief", anchor="debrief")
    st.markdown(
        f'<div class="debrief-marker" data-teams="{len(teams)}"></div>', unsafe_allow_html=True
    )
    st.subheader("Every team's story")
    per_row = 3 if len(teams) <= 6 else 4
    for start in range(0, len(teams), per_row):
        cols = st.columns(per_row, gap="medium")
        for col, team in zip(cols, teams[start : start + per_row], strict=False):
            index = teams.index(team)
            with col:
                _story_card(explain_run(results[team.name], name=team.name), index)
    st.subheader("The decisions that mattered")
    st.caption(
        "Each round's change against the same company, in the same market with the same luck "
        "and every other decision kept, without that change."
    )
    for team in teams:
        mattered = _mattered(
            workshop.token, workshop.played, json.dumps(entries[team.name], sort_keys=True)
        )
        _mattered_block(team.name, mattered)
    st.subheader("Reference paths: the two presets in the same market")
    references = {
        name: _run(
            wk.reference_scenario(workshop, name, workshop.months).model_dump_json(),
            workshop.seed,
            True,
        )
        for name in REFERENCES
    }
    _paths(results, references)
    ref_rows = []
    for name, result in references.items():
        s = result.summary
        verdict = (
            f"alive after {workshop.months} months, ARR {_money(wk.final(result, 'arr_usd'))}"
            if s.get("survived")
            else f"out of cash in month {s.get('month_of_death')}"
        )
        ref_rows.append(f"<li><b>{esc(name.replace('_', '-'))}</b>: {esc(verdict)}</li>")
    st.markdown(f"<ul>{''.join(ref_rows)}</ul>", unsafe_allow_html=True)
    _report_download(workshop, teams, results, entries, references)


def _story_card(debrief: Debrief, index: int) -> None:
    color = TEAM_COLORS[index % len(TEAM_COLORS)]
    if debrief.survived:
        head = f"Alive after {debrief.months_run} months."
    else:
        head = f"Ran out of cash in month {debrief.month_of_death}."
    if debrief.spiral:
        head += f" The death spiral took hold in month {debrief.spiral_onset_month}."
    lines = "".join(
        f"<p><b>Month {line.month}</b> — {esc(line.text)}</p>" for line in debrief.lines
    )
    extra = f"<p><i>{esc(debrief.counterfactual)}</i></p>" if debrief.counterfactual else ""
    causes = debrief.causes
    why = (
        f"<p><b>Why it died:</b> {esc('; '.join(CAUSES[c] for c in causes))}.</p>"
        if causes and not debrief.survived
        else ""
    )
    st.markdown(
        f'<div class="story-card" data-team="{esc(debrief.name)}" style="border-color:{color}">'
        f'<h4 style="color:{color}">{esc(debrief.name)}</h4><p><b>{esc(head)}</b></p>{extra}'
        f"{lines}{why}</div>",
        unsafe_allow_html=True,
    )


def _changes_text(changes: dict[str, Any]) -> str:
    return "; ".join(wk.describe_change(k, v) for k, v in changes.items()) or "no change"


def _signed_months(n: int) -> str:
    return f"{n:+d} months" if n else "same"


def _signed_money(x: float) -> str:
    if abs(x) < 500:
        return "same"
    return ("+" if x > 0 else "−") + _money(abs(x))


def _mattered_block(name: str, mattered: Sequence[wk.Mattered]) -> None:
    if not mattered:
        st.markdown(
            f'<p class="mattered" data-team="{esc(name)}"><b>{esc(name)}</b> changed nothing '
            "during the workshop: its company is the starting policy.</p>",
            unsafe_allow_html=True,
        )
        return
    top = mattered[0]
    rows = "".join(
        f"<tr><td>{m.round}</td><td>{esc(_changes_text(m.changes))}</td>"
        f'<td class="num">{_signed_months(m.extra_months)}</td>'
        f'<td class="num">{_signed_money(m.extra_arr_usd)}</td>'
        f'<td class="num">{_signed_money(m.extra_cash_usd)}</td></tr>'
        for m in mattered
    )
    st.markdown(
        f'<div class="mattered" data-team="{esc(name)}" data-top-round="{top.round}">'
        f"<p><b>{esc(name)}</b>: the change that mattered most was round {top.round}'s "
        f"({esc(_changes_text(top.changes))}).</p>"
        '<table class="board"><tr><th>Round</th><th>What the team changed</th>'
        "<th>Change in months lived</th><th>Change in ARR at the end</th>"
        f"<th>Change in cash at the end</th></tr>{rows}</table></div>",
        unsafe_allow_html=True,
    )


def _report_download(
    workshop: wk.Workshop,
    teams: Sequence[wk.Team],
    results: dict[str, Any],
    entries: dict[str, list],
    references: dict[str, Any],
) -> None:
    from sim.report.html import Reference, Team, workshop_report

    report_teams = []
    for team in teams:
        by_round = {e["round"]: e for e in entries[team.name]}
        decisions = [
            by_round.get(r, {"round": r, "month": workshop.first_month(r), "set": {}})
            for r in range(1, workshop.played + 1)
        ]
        report_teams.append(Team(team.name, decisions, results[team.name]))
    try:
        report = workshop_report(
            workshop.name,
            report_teams,
            [Reference(name.replace("_", "-"), result) for name, result in references.items()],
            description=f"{len(teams)} teams, {workshop.rounds} rounds of "
            f"{workshop.round_months} months, seed {workshop.seed}.",
            scenario=workshop.scenario,
        )
    except ValueError as err:
        st.warning(one_line(f"The report could not be made: {err}"))
        return
    st.download_button(
        "Download the workshop report (HTML)",
        data=report.to_bytes(),
        file_name="workshop-report.html",
        mime="text/html",
        key="play-report",
    )


# --------------------------------------------------------------------------------------------
# A team's page
# --------------------------------------------------------------------------------------------


def team_page(token: str) -> None:
    """The page of the team whose token this is: its company and its levers for next round."""
    found = store().team(token)
    if found is None:
        st.error("This team link is not known. Ask the facilitator for your team's link.")
        return
    team, workshop = found
    _team_watch(token, workshop.played)
    teams = store().teams(workshop)
    index = next((i for i, t in enumerate(teams) if t.id == team.id), 0)
    color = TEAM_COLORS[index % len(TEAM_COLORS)]
    subs = store().team_submissions(team)
    entries = wk.team_entries(workshop, subs)
    result = _company(workshop, entries, team.name) if workshop.played else None
    series = result.series if result is not None else pd.DataFrame()
    alive = result is None or bool(result.summary.get("survived"))
    nxt = workshop.next_round
    st.markdown(
        f'<div class="play-title"><span style="color:{color}">Team {esc(team.name)}</span> · '
        f"{esc(workshop.name)}</div>",
        unsafe_allow_html=True,
    )
    if not alive:
        status = f"Your company ran out of cash in month {result.summary.get('month_of_death')}."
    elif nxt is None:
        status = "The workshop is over: the facilitator shows the debrief."
    else:
        when = f"after month {workshop.month_now}" if workshop.played else "before month 1"
        status = (
            f"Round {nxt} of {workshop.rounds}: you are {when}. Set your levers for "
            f"{_span(workshop, nxt)} and submit."
        )
    submitted = nxt is not None and nxt in subs
    st.markdown(
        f'<div class="play-status" style="border-color:{color}" data-round="{nxt or 0}" '
        f'data-played="{workshop.played}" data-submitted="{"yes" if submitted else "no"}">'
        f"{esc(status)}</div>",
        unsafe_allow_html=True,
    )
    _team_kpis(workshop, series)
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        _hears(series, workshop.round_months)
    with right:
        if result is not None:
            st.plotly_chart(
                team_paths_chart(
                    {team.name: series},
                    "cash_usd",
                    "Your cash in the bank",
                    "$ million",
                    1e-6,
                    colors={team.name: color},
                ),
                config=PLOTLY_CONFIG,
                theme=None,
                key="team-cash",
                width="stretch",
            )
    if nxt is not None and alive:
        _lever_form(token, team, workshop, entries, subs.get(nxt))
    if entries:
        with st.expander("Your decisions so far"):
            for e in entries:
                st.markdown(
                    f"- **Round {e['round']}** (from month {e['month']}): {_changes_text(e['set'])}"
                )
    if result is not None and (nxt is None or not alive):
        with st.expander("Your company's story", expanded=True):
            _story_card(explain_run(result, name=team.name), index)


@st.fragment(run_every=STATUS_REFRESH_S)
def _team_watch(token: str, played: int) -> None:
    """Redraw the page when the facilitator advances the round."""
    found = store().team(token)
    if found is not None and found[1].played != played:
        st.rerun(scope="app")


def _team_kpis(workshop: wk.Workshop, series: pd.DataFrame) -> None:
    if series.empty:
        start = workshop.scenario
        cards = [
            ("Cash", _money(start.company.initial_cash), "at month 0"),
            ("Runway", "—", "no month spent yet"),
            ("ARR", "$0", "no customers yet"),
            ("Pipeline", "0 deals", f"{start.company.initial_reps} sales reps"),
            ("Custom work", "0%", f"{start.company.initial_engineers} engineers"),
            ("Pressure", "0", "calm"),
        ]
    else:
        row = series.iloc[-1]
        runway = float(row["runway_months"])
        pressure = float(row["pressure"])
        cards = [
            ("Cash", _money(float(row["cash_usd"])), f"month {int(row['month'])}"),
            (
                "Runway",
                "no burn" if runway >= 120 else f"{runway:.0f} months",
                f"burn {_money(float(row['burn_usd']))} a month",
            ),
            ("ARR", _money(float(row["arr_usd"])), f"{int(row['customers'])} customers"),
            ("Pipeline", f"{int(row['pipeline_deals'])} deals", f"{int(row['reps'])} sales reps"),
            (
                "Custom work",
                percent(float(row["custom_share"])),
                f"of engineering ({int(row['engineers'])} engineers)",
            ),
            (
                "Pressure",
                f"{100 * pressure:.0f}",
                "0 calm, 100 panic" if pressure < 0.35 else "the plan is pressing",
            ),
        ]
    st.markdown(
        '<div class="kpi-grid team-kpis">'
        + "".join(
            f'<div class="kpi" data-kpi="{esc(label.lower())}"><div class="kpi-label">'
            f'{esc(label)}</div><div class="kpi-value">{esc(big)}</div>'
            f'<div class="kpi-detail">{esc(small)}</div></div>'
            for label, big, small in cards
        )
        + "</div>",
        unsafe_allow_html=True,
    )


def _hears(series: pd.DataFrame, window: int) -> None:
    st.subheader("What the CEO hears")
    told = briefing(series, window)
    for who, lines in (
        ("Sales says", told.sales),
        ("Product says", told.product),
        ("Finance says", told.finance),
    ):
        st.markdown(
            f'<div class="hears"><div class="who">{esc(who)}</div>'
            + "".join(f"<p>{esc(line)}</p>" for line in lines)
            + "</div>",
            unsafe_allow_html=True,
        )


def _lever_form(
    token: str,
    team: wk.Team,
    workshop: wk.Workshop,
    entries: list[dict[str, Any]],
    submitted: wk.Submission | None,
) -> None:
    nxt = workshop.next_round
    assert nxt is not None
    in_force = wk.levers_in_force(workshop, entries)
    shown = submitted.levers if submitted is not None else in_force
    carried = st.session_state.pop(_carry_key(team), None)  # a late click's choices
    if carried is not None and submitted is None:
        shown = {**shown, **carried}
    # The round whose form the team last saw: until this run redraws it, its widgets (and a
    # click on them) belong to that round.
    drawn_for = st.session_state.get(_drawn_key(team), nxt)
    st.subheader(f"Your levers for round {nxt}")
    # One form per team whatever the round, so a click on a form drawn for a round the
    # facilitator has just closed still arrives here and can be told so.
    with st.form(f"levers-{team.id}", border=True):
        settings: dict[str, Any] = {}
        cols = st.columns(3, gap="large")
        for i, key in enumerate(wk.TEAM_KEYS):
            lever = lv.BY_KEY[key]
            with cols[i % 3]:
                settings[key] = lever_widget(
                    "play",
                    lever,
                    workshop.scenario,
                    value=shown.get(key, in_force[key]),
                    key=_widget_key(team, drawn_for, lever),
                    bind=False,
                )
                if key == "sales.focus_segment":  # a form: no greying as the sidebar does
                    st.caption("Used only when sales chases one focus segment.")
        label = "Submit again" if submitted is not None else f"Submit for round {nxt}"
        go = st.form_submit_button(label, type="primary", key=f"play-submit-{team.id}")
    st.session_state[_drawn_key(team)] = nxt
    if drawn_for != nxt:  # the facilitator advanced since: draw the new round's form
        if go:
            _late_click(settings, drawn_for, nxt, team)
        st.rerun()
    if go:
        try:
            saved = store().submit(token, nxt, settings)
        except wk.WorkshopError as err:
            st.error(one_line(str(err)))
            return
        changed = {k: v for k, v in settings.items() if not lv.same(in_force[k], v)}
        st.session_state[FLASH] = (
            f"Submitted for round {nxt}"
            + (f" (revision {saved.revision})" if saved.revision > 1 else "")
            + f": {_changes_text(changed)}. You can change and submit again until the "
            "facilitator advances."
        )
        st.rerun()
    late = st.session_state.pop(LATE_FLASH, None)
    flash = st.session_state.pop(FLASH, None)
    if late:
        st.warning(late)
    elif flash:
        st.success(flash)
    elif submitted is not None:
        st.info(
            f"Submitted for round {nxt} at {submitted.submitted_at[11:16]} UTC. You can change "
            "and submit again until the facilitator advances."
        )


def _drawn_key(team: wk.Team) -> str:
    return f"play-drawn-round-{team.id}"


def _carry_key(team: wk.Team) -> str:
    return f"play-carry-{team.id}"


def _widget_key(team: wk.Team, round_no: int, lever: lv.Lever) -> str:
    return f"play-{team.id}-{round_no}-{lever.name}"


def _late_click(settings: dict[str, Any], closed: int, nxt: int, team: wk.Team) -> None:
    """A Submit for a round the facilitator closed meanwhile: nothing is saved; the team is told,
    and the choices it had made are put into the next round's form to check and submit."""
    st.session_state[_carry_key(team)] = settings
    st.session_state[LATE_FLASH] = (
        f"Round {closed} closed before your submission arrived: the facilitator had already "
        f"advanced, so nothing was saved for it. Your choices are now in the form for round {nxt}: "
        "check them and submit."
    )
