"""`sim report` and sim/report/html.py: self-contained HTML take-home reports.

One run, one scenario over N seeds, A vs B, and a workshop of teams; each must open with no
network (plotly.js inline, once), carry every chart's data, and - for a comparison - show the
numbers `sim compare --json` prints. The real-browser check is tests/test_browser_report.py.
"""

from __future__ import annotations

import contextlib
import html as html_module
import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from plotly.offline import get_plotlyjs

from sim.analysis.units import percent
from sim.cli.entry import EXIT_BAD_INPUT, EXIT_OK, main
from sim.config import preset
from sim.experiment.runner import run
from sim.report.html import DATA_ID, Reference, Team, run_report, workshop_report

MONTHS = "18"
SEEDS = "3"
WHEN = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------------------------
# Reading a report back
# --------------------------------------------------------------------------------------------


class _Page(HTMLParser):
    """Tags with their attributes, tables as rows of cell text, figure captions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.captions: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table = attributes.get("class", "")
            self.tables.setdefault(self._table, [])
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "figcaption":
            self._caption = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "figcaption" and self._caption is not None:
            self.captions.append("".join(self._caption).strip())
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._caption is not None:
            self._caption.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def embedded_data(html: str) -> dict[str, Any]:
    match = re.search(
        rf"<script type='application/json' id='{DATA_ID}'>(.*?)</script>", html, re.DOTALL
    )
    assert match, "the report embeds its numbers"
    return json.loads(match.group(1))


def plotted(html: str) -> list[tuple[str, list[Any]]]:
    """Every Plotly.newPlot(id, data, ...) call of the page: the div id and the traces."""
    decoder = json.JSONDecoder()
    out = []
    for match in re.finditer(r"Plotly\.newPlot\(\s*", html):
        div, end = decoder.raw_decode(html, match.end())
        rest = re.match(r"\s*,\s*", html[end:])
        assert rest
        data, _ = decoder.raw_decode(html, end + rest.end())
        out.append((div, data))
    return out


def assert_self_contained(html: str) -> None:
    """plotly.js inline exactly once, and nothing fetched from anywhere."""
    js = get_plotlyjs()
    assert html.count(js[:300]) == 1
    assert html.count("plotly.js v") == 1
    for tag, attrs in parse(html).tags:
        for name in ("src", "href", "data"):
            value = attrs.get(name, "")
            assert not re.match(r"\s*(https?:)?//", value), f"<{tag} {name}={value}> fetches"
        if tag == "script":
            assert "src" not in attrs, "no external script"
        if tag == "link":
            assert attrs.get("rel") != "stylesheet", "no external stylesheet"


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def one_run() -> tuple[Any, Any]:
    scenario = preset("sales_led").with_overrides({"months": 24})
    return scenario, run(scenario, seed=1)


def test_run_report_is_self_contained_with_every_chart_and_its_data(one_run) -> None:
    scenario, result = one_run
    report = run_report(scenario, result, source="sales_led", generated=WHEN)
    assert_self_contained(report.html)
    calls = plotted(report.html)
    assert [div for div, _ in calls] == [f"chart-{key}" for key in report.figures]
    assert len(calls) == 8  # the One-run page's seven charts and the deal outcomes
    for (_, data), fig in zip(calls, report.figures.values(), strict=True):
        assert data == json.loads(fig.to_json())["data"]
    cash = next(data for div, data in calls if div == "chart-run-money")
    assert cash[0]["name"] == "cash in the bank"
    assert cash[0]["x"]  # the months, as a list or a typed array


def test_run_report_reads_well(one_run) -> None:
    scenario, result = one_run
    report = run_report(scenario, result, source="sales_led", generated=WHEN, model_version="v1")
    page = parse(report.html)
    body = re.sub(r"<script.*?</script>", " ", report.html.split("<body>")[1], flags=re.DOTALL)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", body))
    assert "<title>sales_led: one company, seed 1</title>" in report.html
    assert "2026-12-02 09:30 UTC" in text and "v1" in text and "24 months" in text
    assert "preset's levers" in text  # a preset has no description: the report says what it is
    assert len(page.captions) == len(report.figures)
    assert all(len(c.split()) >= 6 and c.endswith(".") for c in page.captions)
    numbers = dict(row for row in page.tables["summary"][1:])
    assert numbers["survived"] == ("yes" if result.summary["survived"] else "no")
    cash = result.summary["final_cash_usd"]
    assert re.fullmatch(r"-?\$[\d,.]+[kM]?", numbers["final cash"])
    assert numbers["final cash"].startswith("-" if cash < 0 else "$")
    levers = dict(row for row in page.tables["levers"][1:])
    assert levers["Cash at the start"] == "$3.00M"
    assert levers["Commission rate"].endswith("% of first-year value")
    story = report.html.split("<ol class='story'>")[1].split("</ol>")[0]
    assert story.count("<li") >= 2  # the debrief's timeline, ending with how the run ended
    assert embedded_data(report.html)["summary"]["survived"] == result.summary["survived"]


def test_loop_attribution_line_says_what_the_cut_company_did(one_run) -> None:
    scenario, result = one_run
    text = run_report(scenario, result, generated=WHEN).html
    if result.summary["survived"]:
        assert "Loop attribution: it survived" in text
    else:
        assert "Loop attribution: With pressure cut, the same company" in text


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`sim compare --json` and `sim report --vs` of the same pair, seeds and horizon."""
    out = tmp_path_factory.mktemp("report") / "ab.html"

    def call(argv: list[str]) -> tuple[int, str]:
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = main(argv)
        return code, buffer.getvalue()

    common = ["--seeds", SEEDS, "--months", MONTHS, "--json"]
    code, compare_out = call(["compare", "sales_led", "product_led", *common])
    assert code == EXIT_OK
    code, report_out = call(
        ["report", "sales_led", "--vs", "product_led", *common, "--out", str(out)]
    )
    assert code == EXIT_OK
    code, explain_out = call(
        ["explain", "sales_led", "--seeds", SEEDS, "--months", MONTHS, "--json"]
    )
    assert code == EXIT_OK
    return {
        "compare": json.loads(compare_out),
        "printed": json.loads(report_out),
        "explain": json.loads(explain_out),
        "path": out,
        "html": out.read_text(),
    }


def test_comparison_embeds_and_shows_sim_compare_numbers(compared) -> None:
    html, reference = compared["html"], compared["compare"]
    assert_self_contained(html)
    data = embedded_data(html)
    for key in ("seeds", "a", "b", "difference", "paired"):
        assert data[key] == reference[key], key
    rows = {row[0]: row for row in parse(html).tables["kpis"]}
    sa, sb = reference["a"]["summary"], reference["b"]["summary"]
    survival = rows["survival (95% CI)"]
    assert survival[1].startswith(percent(sa["survival_rate"]) + " [")
    assert survival[2].startswith(percent(sb["survival_rate"]) + " [")
    assert survival[3] == f"{100 * reference['difference']['survival_rate']:+.0f} pp"
    custom = reference["paired"]["mean_custom_share"]
    assert rows["mean custom share of engineering"][4] == (
        f"{100 * custom['low']:+.0f} pp to {100 * custom['high']:+.0f} pp"
    )


def test_comparison_charts_carry_both_sides_data(compared) -> None:
    calls = plotted(compared["html"])
    assert len(calls) == 9  # the compare page's charts
    survival = dict(calls)["chart-ensemble-survival"]
    assert [trace["name"] for trace in survival] == ["sales_led", "product_led"]


def test_comparison_causes_of_death_are_sim_explains(compared) -> None:
    causes = embedded_data(compared["html"])["causes_of_death"]["a"]
    explained = compared["explain"]
    for key in ("runs", "deaths", "spirals", "causes", "median_month_of_death"):
        assert causes[key] == explained[key], key


def test_report_json_says_where_and_what(compared) -> None:
    printed = compared["printed"]
    assert printed["path"] == str(compared["path"])
    assert printed["kind"] == "comparison"
    assert printed["bytes"] == len(compared["path"].read_bytes())
    assert printed["seeds"] == [0, 1, 2]
    assert len(printed["figures"]) == len(plotted(compared["html"]))
    assert "Why companies died" in printed["sections"]


def test_seeds_without_vs_is_the_ensemble_then_one_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "many.html"
    argv = ["report", "product_led", "--seeds", "2", "--seed", "5", "--months", "12"]
    code, printed, err = cli([*argv, "--out", str(out), "--json"], capsys)
    assert code == EXIT_OK, err
    contents = json.loads(printed)
    assert contents["kind"] == "ensemble" and contents["seeds"] == [5, 6]
    assert "One of them up close: seed 5" in contents["sections"]
    html = out.read_text()
    assert_self_contained(html)
    assert len(plotted(html)) == 9 + 8
    assert embedded_data(html)["run"]["seed"] == 5


def test_vs_overrides_of_a(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cap.html"
    argv = ["report", "sales_led", "--vs", "{product.custom_capacity_cap: 0.2}"]
    code, _, err = cli(
        [*argv, "--seeds", "2", "--months", "12", "--out", str(out), "--json"], capsys
    )
    assert code == EXIT_OK, err
    data = embedded_data(out.read_text())
    assert data["b"]["name"] == "sales_led with product.custom_capacity_cap=0.2"
    levers = parse(out.read_text()).tables["levers"]
    assert levers[1:] == [["Most engineering time on one-off custom work", "100%", "20%"]]


def test_refuses_a_foreign_file_and_replaces_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "mine.html"
    out.write_text("<p>my notes</p>")
    argv = ["report", "sales_led", "--months", "6", "--out", str(out)]
    code, _, err = cli(argv, capsys)
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1 and "mine.html" in err and "--force" in err
    assert out.read_text() == "<p>my notes</p>"
    code, printed, err = cli([*argv, "--force"], capsys)
    assert code == EXIT_OK, err
    assert "wrote" in printed and out.read_text().startswith("<!DOCTYPE html>")
    assert cli(argv, capsys)[0] == EXIT_OK  # now it is ours: replaced without --force
    assert not list(tmp_path.glob(".mine.html.*"))  # no temporary file left behind


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["report", "sales_led"], "--out"),
        (["report", "sales_led", "--out", "notes.txt"], ".html"),
        (["report", "sales_led", "--out", ""], "--out"),
        (["report", "no_such_scenario.yaml", "--out", "x.html"], "no_such_scenario"),
        (["report", "sales_led", "--vs", "nope.yaml", "--out", "x.html"], "nope.yaml"),
        (["report", "sales_led", "--vs", "{sales.nope: 1}", "--out", "x.html"], "nope"),
        (
            ["report", "sales_led", "--vs", "{sales.commission_rate: 7}", "--out", "x.html"],
            "commission_rate",
        ),
        (
            ["report", "sales_led", "--set", "sales.commission_rate=x", "--out", "x.html"],
            "commission_rate",
        ),
        (["report", "sales_led", "--seeds", "0", "--out", "x.html"], "--seeds"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    argv: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(argv, capsys)
    assert code == EXIT_BAD_INPUT
    assert err.count("\n") == 1 and says in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.html"))


# --------------------------------------------------------------------------------------------
# A workshop
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workshop() -> dict[str, Any]:
    """Three teams made from ordinary scenarios (no schedule:) on one seed, two references."""
    base = preset("sales_led").with_overrides({"months": 18})
    plans = {
        "Falcons": {"sales.contingent_acceptance": 0.8},
        "Otters": {"sales": {"commission_timing": "after_pmf"}, "product.custom_capacity_cap": 0.2},
        "Ravens": {"company.initial_cash": 8_000_000},
    }
    teams = []
    for name, sets in plans.items():
        flat = {"sales.commission_timing": "after_pmf", "product.custom_capacity_cap": 0.2}
        scenario = base.with_overrides(flat if name == "Otters" else sets)
        decisions = [{"month": 6, "set": sets}, {"month": 12, "set": {}}]
        teams.append(Team(name, decisions, run(scenario, seed=2), scenario=scenario))
    teams.append(Team("Lynx", [], run(base, seed=2), story="We held our nerve.\nAnd lost."))
    refs = [
        Reference(p, run(preset(p).with_overrides({"months": 18}), seed=2))
        for p in ("product_led",)
    ]
    report = workshop_report("Friday workshop", teams, refs, scenario=base, generated=WHEN)
    return {"teams": teams, "report": report, "html": report.html}


def test_workshop_leaderboard_puts_the_living_first(workshop) -> None:
    rows = parse(workshop["html"]).tables["leaderboard"][1:]
    assert sorted(row[1] for row in rows) == ["Falcons", "Lynx", "Otters", "Ravens"]
    by_name = {team.name: team.result.summary for team in workshop["teams"]}
    alive = [by_name[row[1]]["survived"] for row in rows]
    assert alive == sorted(alive, reverse=True)
    for row in rows:
        summary = by_name[row[1]]
        assert row[2] == (
            "alive" if summary["survived"] else f"died in month {summary['month_of_death']}"
        )


def test_workshop_draws_every_team_and_reference_on_one_chart(workshop) -> None:
    html = workshop["html"]
    assert_self_contained(html)
    cash = dict(plotted(html))["chart-teams-cash"]
    names = [trace["name"] for trace in cash if trace.get("showlegend", True)]
    assert names == ["product_led", "Falcons", "Otters", "Ravens", "Lynx"]
    for (_, data), fig in zip(plotted(html), workshop["report"].figures.values(), strict=True):
        assert data == json.loads(fig.to_json())["data"]


def test_workshop_shows_each_teams_decisions_in_words_and_its_story(workshop) -> None:
    html = workshop["html"]
    decisions = parse(html).tables["decisions"]
    assert any("'Buy if you build X' deals accepted: 80% of requests" in r[2] for r in decisions)
    assert any(
        "Sales commission starts: after product-market fit" in r[2]
        and "Most engineering time on one-off custom work: 20%" in r[2]
        for r in decisions
    )
    assert any(r[2] == "no change" for r in decisions)
    assert "Cash at the start: $8.00M" in html
    assert "We held our nerve." in html and "The team changed nothing during the run." in html
    for team in workshop["teams"]:
        assert f"<h2>Team {team.name}</h2>" in html
    data = embedded_data(html)
    assert [t["name"] for t in data["teams"]] == [
        row[1] for row in parse(html).tables["leaderboard"][1:]
    ]
    otters = next(t for t in data["teams"] if t["name"] == "Otters")
    assert otters["decisions"][0]["set"] == {
        "sales.commission_timing": "after_pmf",
        "product.custom_capacity_cap": 0.2,
    }


def test_a_team_from_a_scenario_without_a_schedule_changed_nothing(one_run) -> None:
    scenario, result = one_run
    team = Team.from_scenario("Solo", scenario, result)
    assert team.decisions == [] and team.scenario is scenario
    html = workshop_report("One team", [team], generated=WHEN).html
    assert "The team changed nothing during the run." in html


def test_a_workshop_needs_teams_with_distinct_names(one_run) -> None:
    result = one_run[1]
    with pytest.raises(ValueError, match="at least one team"):
        workshop_report("Empty", [])
    twins = [Team("Owls", [], result), Team("Owls", [], result)]
    with pytest.raises(ValueError, match="Owls"):
        workshop_report("Twins", twins)


def test_a_share_rounds_as_a_reader_does_everywhere() -> None:
    """30 of 48 is 62.5%: the CLI, the report and the dashboard's cards all say 63% (format()
    alone rounds half to even and said 62% where the cards and the lesson texts said 63%)."""
    from sim.analysis.units import half_up, percent

    assert percent(30 / 48) == "63%"
    assert percent(0.235) == "24%" and percent(0.0) == "0%" and percent(None) == "-"
    assert half_up(-2.5) == -3.0 and half_up(64.55, 1) == 64.6
