"""Workshop rounds: teams steer their own company quarter by quarter, in a SQLite store.

A workshop is a starting scenario, a seed (every team faces the same market and the same luck),
a round length in months and a number of rounds. Before round r is played each team chooses its
levers for it; the facilitator then advances every team at once. What the store keeps is only the
decisions: a team's company after round k is a deterministic rerun from month 0 of the starting
scenario with a ``schedule:`` built from its decisions so far (the levers a team changed for round
r take effect at the start of the round's first month and hold until it changes them again). So a
server restart needs nothing but the database rows, and nothing is pickled.

The store (``WorkshopStore``) is one SQLite file (``SIM_WORKSHOP_DB``, default
``results/workshops.sqlite3``) in WAL mode with a busy timeout; every write (a workshop created, a
team's submission, a round advanced) is one ``BEGIN IMMEDIATE`` transaction, so ten teams
submitting at once all land and a crash never leaves half a write. Everything is looked up by an
unguessable token (``secrets.token_urlsafe``): a facilitator token per workshop, a token per
team. A team token reaches only its own team's company and submissions; a facilitator token only
its own workshop's teams. No Streamlit here: the dashboard's play pages call these functions.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.config import PRESETS, Scenario, ScenarioError
from sim.config.hints import one_line
from sim.experiment import levers as lv

if TYPE_CHECKING:  # the model is imported only when a company is run
    from sim.experiment.runner import RunResult

DB_ENV = "SIM_WORKSHOP_DB"
DEFAULT_DB = Path("results") / "workshops.sqlite3"
BUSY_TIMEOUT_MS = 30_000
TOKEN_BYTES = 18
MAX_TEAMS = 12
MAX_ROUNDS = 12
MAX_ROUND_MONTHS = 24
NAME_LIMIT = 40

TEAM_KEYS: tuple[str, ...] = tuple(
    key for key in lv.WORKSHOP_KEYS if key != "company.initial_cash"
) + ("sales.focus_segment",)
"""The levers a team sets each round: the workshop lever table except the starting cash (fixed
at month 0), plus the focus segment that targeting ``focus`` needs."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS workshops (
    id INTEGER PRIMARY KEY,
    token TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    scenario_json TEXT NOT NULL,
    seed INTEGER NOT NULL,
    round_months INTEGER NOT NULL,
    rounds INTEGER NOT NULL,
    played INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id),
    token TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    UNIQUE (workshop_id, name)
);
CREATE TABLE IF NOT EXISTS submissions (
    team_id INTEGER NOT NULL REFERENCES teams(id),
    round INTEGER NOT NULL,
    levers_json TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (team_id, round)
);
"""


class WorkshopError(ValueError):
    """A workshop request that cannot be done; ``str(err)`` is one line saying why."""


@dataclass(frozen=True)
class Workshop:
    """One workshop as stored: its starting scenario and how many rounds have been played."""

    id: int
    token: str
    name: str
    scenario: Scenario
    seed: int
    round_months: int
    rounds: int
    played: int
    created_at: str

    @property
    def months(self) -> int:
        """The whole horizon: every round played."""
        return self.rounds * self.round_months

    @property
    def finished(self) -> bool:
        return self.played >= self.rounds

    @property
    def next_round(self) -> int | None:
        """The round teams are choosing levers for (None once every round is played)."""
        return None if self.finished else self.played + 1

    @property
    def month_now(self) -> int:
        """The last month simulated so far (0 before the first round)."""
        return self.played * self.round_months

    def first_month(self, round_no: int) -> int:
        """The month whose start a round's decisions take effect at."""
        return (round_no - 1) * self.round_months + 1

    def round_months_span(self, round_no: int) -> tuple[int, int]:
        first = self.first_month(round_no)
        return first, first + self.round_months - 1


@dataclass(frozen=True)
class Team:
    """One team of a workshop."""

    id: int
    workshop_id: int
    token: str
    name: str
    position: int


@dataclass(frozen=True)
class Submission:
    """A team's levers for one round (dotted keys, scenario units)."""

    team_id: int
    round: int
    levers: dict[str, Any]
    submitted_at: str
    revision: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_db() -> Path:
    """Where the workshop store lives: ``SIM_WORKSHOP_DB`` or ``results/workshops.sqlite3``."""
    return Path(os.environ.get(DB_ENV) or DEFAULT_DB)


class WorkshopStore:
    """Workshops, teams and submissions in one SQLite file (a connection per call: safe from
    many threads and processes at once)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as conn:
            conn.executescript(SCHEMA)

    # -- plumbing ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        finally:
            conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction that takes the write lock up front (no upgrade deadlock)."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- creating --------------------------------------------------------------------------------
    def create(
        self,
        name: str,
        team_names: Sequence[str],
        scenario: Scenario,
        round_months: int,
        rounds: int,
        seed: int = 0,
    ) -> tuple[Workshop, list[Team]]:
        """A new workshop and its teams, each with a fresh token (one transaction)."""
        name = _clean_name(name, "workshop name", 120)
        teams = [_clean_name(t, "team name", NAME_LIMIT) for t in team_names]
        if not 1 <= len(teams) <= MAX_TEAMS:
            raise WorkshopError(f"a workshop has 1 to {MAX_TEAMS} teams, got {len(teams)}")
        dupes = sorted({t for t in teams if teams.count(t) > 1})
        if dupes:
            raise WorkshopError(f"two teams share a name: {', '.join(dupes)}")
        if not 1 <= int(round_months) <= MAX_ROUND_MONTHS:
            raise WorkshopError(f"a round is 1 to {MAX_ROUND_MONTHS} months, got {round_months}")
        if not 1 <= int(rounds) <= MAX_ROUNDS:
            raise WorkshopError(f"a workshop has 1 to {MAX_ROUNDS} rounds, got {rounds}")
        if scenario.schedule:
            raise WorkshopError(
                "the starting scenario has a schedule: of its own; teams make the mid-run "
                "decisions in a workshop, so start from a scenario without one"
            )
        try:
            start = scenario.with_overrides({"months": int(round_months) * int(rounds)})
        except ScenarioError as err:
            raise WorkshopError(str(err).removeprefix("--set: ")) from None
        now = _now()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO workshops (token, name, scenario_json, seed, round_months, rounds, "
                "played, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    secrets.token_urlsafe(TOKEN_BYTES),
                    name,
                    start.model_dump_json(),
                    int(seed),
                    int(round_months),
                    int(rounds),
                    now,
                    now,
                ),
            )
            workshop_id = int(cur.lastrowid or 0)
            for position, team in enumerate(teams):
                conn.execute(
                    "INSERT INTO teams (workshop_id, token, name, position) VALUES (?, ?, ?, ?)",
                    (workshop_id, secrets.token_urlsafe(TOKEN_BYTES), team, position),
                )
            row = conn.execute("SELECT * FROM workshops WHERE id = ?", (workshop_id,)).fetchone()
            team_rows = conn.execute(
                "SELECT * FROM teams WHERE workshop_id = ? ORDER BY position", (workshop_id,)
            ).fetchall()
        return _workshop(row), [_team(r) for r in team_rows]

    # -- reading (by token only) -----------------------------------------------------------------
    def workshop(self, token: str) -> Workshop | None:
        """The workshop whose facilitator token this is (None for any other string)."""
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM workshops WHERE token = ?", (str(token),)).fetchone()
        return _workshop(row) if row is not None else None

    def team(self, token: str) -> tuple[Team, Workshop] | None:
        """The team whose token this is and its workshop (None for any other string)."""
        with self._connection() as conn:
            row = conn.execute("SELECT * FROM teams WHERE token = ?", (str(token),)).fetchone()
            if row is None:
                return None
            ws = conn.execute(
                "SELECT * FROM workshops WHERE id = ?", (row["workshop_id"],)
            ).fetchone()
        return _team(row), _workshop(ws)

    def teams(self, workshop: Workshop) -> list[Team]:
        """The workshop's teams, in the order they were named."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM teams WHERE workshop_id = ? ORDER BY position", (workshop.id,)
            ).fetchall()
        return [_team(r) for r in rows]

    def submissions(self, workshop: Workshop) -> dict[int, dict[int, Submission]]:
        """Every submission of the workshop's teams: team id -> round -> submission."""
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT s.* FROM submissions s JOIN teams t ON t.id = s.team_id "
                "WHERE t.workshop_id = ? ORDER BY s.team_id, s.round",
                (workshop.id,),
            ).fetchall()
        out: dict[int, dict[int, Submission]] = {}
        for row in rows:
            out.setdefault(int(row["team_id"]), {})[int(row["round"])] = _submission(row)
        return out

    def team_submissions(self, team: Team) -> dict[int, Submission]:
        with self._connection() as conn:
            rows = conn.execute(
                "SELECT * FROM submissions WHERE team_id = ? ORDER BY round", (team.id,)
            ).fetchall()
        return {int(r["round"]): _submission(r) for r in rows}

    # -- writing -----------------------------------------------------------------------------------
    def submit(self, team_token: str, round_no: int, settings: Mapping[str, Any]) -> Submission:
        """A team's levers for ``round_no`` (the round about to be played): validated as the
        team's scenario would be, then written in one transaction. A team may resubmit until the
        facilitator advances; a submission for any other round is refused."""
        found = self.team(team_token)
        if found is None:
            raise WorkshopError("this team link is not known (check the link you were given)")
        team, workshop = found
        chosen = _team_settings(workshop.scenario, settings)
        with self._write() as conn:
            row = conn.execute(
                "SELECT * FROM workshops WHERE id = ?", (workshop.id,)
            ).fetchone()  # read again under the write lock: the round may have moved on
            workshop = _workshop(row)
            if workshop.next_round != round_no:
                raise WorkshopError(_closed(workshop, round_no))
            past = conn.execute(
                "SELECT round, levers_json FROM submissions WHERE team_id = ? AND round < ?",
                (team.id, round_no),
            ).fetchall()
            history = {int(r["round"]): json.loads(r["levers_json"]) for r in past}
            history[round_no] = chosen
            try:  # validated as the team's company will be run
                team_scenario(workshop, decisions(workshop, history, round_no), round_no)
            except WorkshopError as err:
                month = workshop.first_month(round_no)
                raise WorkshopError(
                    str(err).replace(f"schedule: month {month}: ", f"round {round_no}: ")
                ) from None
            now = _now()
            conn.execute(
                "INSERT INTO submissions (team_id, round, levers_json, submitted_at, revision) "
                "VALUES (?, ?, ?, ?, 1) ON CONFLICT (team_id, round) DO UPDATE SET "
                "levers_json = excluded.levers_json, submitted_at = excluded.submitted_at, "
                "revision = submissions.revision + 1",
                (team.id, round_no, json.dumps(chosen, sort_keys=True), now),
            )
            saved = conn.execute(
                "SELECT * FROM submissions WHERE team_id = ? AND round = ?", (team.id, round_no)
            ).fetchone()
        return _submission(saved)

    def advance(self, facilitator_token: str, expected_played: int) -> Workshop:
        """Play the next round for every team at once. ``expected_played``: the rounds played
        when the facilitator pressed the button, so a double click advances once."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT * FROM workshops WHERE token = ?", (str(facilitator_token),)
            ).fetchone()
            if row is None:
                raise WorkshopError("this facilitator link is not known")
            workshop = _workshop(row)
            if workshop.finished:
                raise WorkshopError(f"all {workshop.rounds} rounds have been played")
            if workshop.played != expected_played:
                raise WorkshopError(
                    f"round {workshop.played} was already advanced (another click or console)"
                )
            conn.execute(
                "UPDATE workshops SET played = played + 1, updated_at = ? WHERE id = ?",
                (_now(), workshop.id),
            )
            row = conn.execute("SELECT * FROM workshops WHERE id = ?", (workshop.id,)).fetchone()
        return _workshop(row)


def _closed(workshop: Workshop, round_no: int) -> str:
    if workshop.finished:
        return f"the workshop is over: all {workshop.rounds} rounds have been played"
    if round_no <= workshop.played:
        return (
            f"round {round_no} has already been played; you are choosing for round "
            f"{workshop.next_round} now"
        )
    return f"round {round_no} is not open yet; you are choosing for round {workshop.next_round}"


def _clean_name(text: Any, what: str, limit: int) -> str:
    name = one_line(text if isinstance(text, str) else "").strip()
    if not name:
        raise WorkshopError(f"a {what} cannot be empty")
    if len(name) > limit:
        raise WorkshopError(f"a {what} has at most {limit} characters, got {len(name)}")
    return name


def _workshop(row: sqlite3.Row) -> Workshop:
    return Workshop(
        id=int(row["id"]),
        token=row["token"],
        name=row["name"],
        scenario=Scenario.model_validate_json(row["scenario_json"]),
        seed=int(row["seed"]),
        round_months=int(row["round_months"]),
        rounds=int(row["rounds"]),
        played=int(row["played"]),
        created_at=row["created_at"],
    )


def _team(row: sqlite3.Row) -> Team:
    return Team(
        id=int(row["id"]),
        workshop_id=int(row["workshop_id"]),
        token=row["token"],
        name=row["name"],
        position=int(row["position"]),
    )


def _submission(row: sqlite3.Row) -> Submission:
    return Submission(
        team_id=int(row["team_id"]),
        round=int(row["round"]),
        levers=json.loads(row["levers_json"]),
        submitted_at=row["submitted_at"],
        revision=int(row["revision"]),
    )


def _team_settings(scenario: Scenario, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The team's levers (every ``TEAM_KEYS`` key; a missing one keeps the scenario's value)."""
    unknown = sorted(set(settings) - set(TEAM_KEYS))
    if unknown:
        raise WorkshopError(
            f"{unknown[0]}: not a lever a team sets in a workshop (they are {', '.join(TEAM_KEYS)})"
        )
    return {key: settings.get(key, lv.get(scenario, key)) for key in TEAM_KEYS}


# ================================================================================================
# The companies: deterministic reruns from the decisions
# ================================================================================================


def decisions(
    workshop: Workshop, chosen: Mapping[int, Mapping[str, Any]], upto_round: int
) -> list[dict[str, Any]]:
    """A team's schedule entries for rounds 1..``upto_round``: for each round, the levers it set
    that differ from those in force before it (a round it did not submit changes nothing). Each
    entry carries its ``round`` beside ``month`` and ``set``."""
    current = lv.values(workshop.scenario, [lv.BY_KEY[k] for k in TEAM_KEYS])
    out: list[dict[str, Any]] = []
    for round_no in range(1, upto_round + 1):
        settings = chosen.get(round_no)
        if settings is None:
            continue
        diff = {k: v for k, v in settings.items() if k in current and not lv.same(current[k], v)}
        if diff:
            current.update(diff)
            out.append({"round": round_no, "month": workshop.first_month(round_no), "set": diff})
    return out


def team_scenario(
    workshop: Workshop,
    entries: Sequence[Mapping[str, Any]],
    upto_round: int | None = None,
    *,
    without_round: int | None = None,
    name: str | None = None,
) -> Scenario:
    """The starting scenario with a team's decisions as its ``schedule:``, run to the end of
    ``upto_round`` (default: the rounds played); ``without_round``: leave that round's change out
    (the counterfactual of the debrief)."""
    upto = workshop.played if upto_round is None else upto_round
    schedule = [
        {"month": e["month"], "set": dict(e["set"])}
        for e in entries
        if e["round"] <= upto and e["round"] != without_round
    ]
    overrides: dict[str, Any] = {"months": max(1, upto * workshop.round_months)}
    overrides["schedule"] = schedule
    if name is not None:
        overrides["name"] = name
    try:
        return workshop.scenario.with_overrides(overrides)
    except ScenarioError as err:
        raise WorkshopError(str(err).removeprefix("--set: ")) from None


def team_entries(
    workshop: Workshop, submissions: Mapping[int, Submission], upto_round: int | None = None
) -> list[dict[str, Any]]:
    """``decisions`` from a team's stored submissions."""
    upto = workshop.played if upto_round is None else upto_round
    return decisions(workshop, {r: s.levers for r, s in submissions.items()}, upto)


def levers_in_force(workshop: Workshop, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The team's levers after its decisions so far (the defaults of the next round's form)."""
    current = lv.values(workshop.scenario, [lv.BY_KEY[k] for k in TEAM_KEYS])
    for entry in entries:
        current.update(entry["set"])
    return current


def reference_scenario(workshop: Workshop, preset_name: str, months: int | None = None) -> Scenario:
    """A preset's levers on the workshop's market and horizon (a reference path: same seed)."""
    flat: dict[str, Any] = {}
    for section, values in PRESETS[preset_name].items():
        for key, value in values.items():
            if f"{section}.{key}" not in FIXED_IN_REFERENCE:
                flat[f"{section}.{key}"] = value
    flat["months"] = months if months is not None else max(1, workshop.month_now)
    flat["name"] = preset_name
    return workshop.scenario.with_overrides(flat)


FIXED_IN_REFERENCE = frozenset({"company.initial_reps"})
"""Preset keys a reference path leaves as the workshop has them: it starts with the teams'
company (the same reps on day one), only its policy differs."""


def describe_change(key: str, value: Any) -> str:
    """One decision in words: 'Commission rate: 5 %'."""
    lever = lv.BY_KEY.get(key)
    if lever is None:
        return f"{key}: {value}"
    shown = lever.to_display(value)
    if lever.kind == "choice":
        shown = lever.choice_label(str(value))
    elif lever.kind == "toggle":
        shown = "on" if value else "off"
    unit = f" {lever.unit}" if lever.unit and lever.kind in ("slider", "steps") else ""
    if lever.kind == "steps" and value is None:
        unit = ""
    return f"{lever.label}: {shown}{unit}"


# ================================================================================================
# Results: the leaderboard and the decisions that mattered
# ================================================================================================


def months_lived(result: RunResult) -> int:
    """Months the company lived (the whole run when it survived)."""
    death = result.summary.get("month_of_death")
    return int(death) if death is not None else len(result.series)


def final(result: RunResult, column: str) -> float:
    series = result.series
    return float(series[column].iloc[-1]) if len(series) and column in series else 0.0


def ranking_key(result: RunResult) -> tuple[Any, ...]:
    """Alive first, by ARR at the end; then the dead, the one that lasted longest first."""
    if result.summary.get("survived"):
        return (0, -final(result, "arr_usd"), -final(result, "cash_usd"))
    return (1, -months_lived(result), -final(result, "arr_usd"))


@dataclass(frozen=True)
class Standing:
    """One row of the leaderboard."""

    rank: int
    team: str
    alive: bool
    month_of_death: int | None
    cash_usd: float
    arr_usd: float
    spiral: bool
    loop_attributable: bool | None  # None: nothing to attribute (alive, or link never live)


def leaderboard(results: Mapping[str, RunResult]) -> list[Standing]:
    """The teams ranked by ``ranking_key`` (``results``: team name -> its run with attribution)."""
    ordered = sorted(results.items(), key=lambda item: ranking_key(item[1]))
    rows = []
    for rank, (name, result) in enumerate(ordered, start=1):
        summary = result.summary
        attributed = summary.get("counterfactual_survived") is not None
        rows.append(
            Standing(
                rank=rank,
                team=name,
                alive=bool(summary.get("survived")),
                month_of_death=summary.get("month_of_death"),
                cash_usd=final(result, "cash_usd"),
                arr_usd=final(result, "arr_usd"),
                spiral=bool(summary.get("spiral")),
                loop_attributable=bool(summary.get("loop_attributable")) if attributed else None,
            )
        )
    return rows


@dataclass(frozen=True)
class Mattered:
    """What one round's change did: the team's company against the same company (same market,
    same luck, every other decision kept) without that change."""

    round: int
    month: int
    changes: dict[str, Any]
    months_lived: int
    months_lived_without: int
    final_arr_usd: float
    final_arr_without_usd: float
    final_cash_usd: float
    final_cash_without_usd: float

    @property
    def extra_months(self) -> int:
        return self.months_lived - self.months_lived_without

    @property
    def extra_arr_usd(self) -> float:
        return self.final_arr_usd - self.final_arr_without_usd

    @property
    def extra_cash_usd(self) -> float:
        return self.final_cash_usd - self.final_cash_without_usd

    @property
    def weight(self) -> tuple[float, float]:
        """How much it mattered: months of life first, then ARR and cash (in $M)."""
        money = abs(self.extra_arr_usd) + abs(self.extra_cash_usd)
        return (abs(self.extra_months), money / 1e6)


def decisions_that_mattered(
    workshop: Workshop, entries: Sequence[Mapping[str, Any]], result: RunResult
) -> list[Mattered]:
    """Every round's change against the rerun without it, the biggest difference first.
    ``result``: the team's run over the rounds played (``team_scenario`` of ``entries``)."""
    from sim.experiment.runner import run

    out = []
    for entry in entries:
        if entry["round"] > workshop.played:
            continue
        without = run(
            team_scenario(workshop, entries, without_round=entry["round"]),
            seed=workshop.seed,
            attribute=False,
        )
        out.append(
            Mattered(
                round=int(entry["round"]),
                month=int(entry["month"]),
                changes=dict(entry["set"]),
                months_lived=months_lived(result),
                months_lived_without=months_lived(without),
                final_arr_usd=final(result, "arr_usd"),
                final_arr_without_usd=final(without, "arr_usd"),
                final_cash_usd=final(result, "cash_usd"),
                final_cash_without_usd=final(without, "cash_usd"),
            )
        )
    return sorted(out, key=lambda m: m.weight, reverse=True)
