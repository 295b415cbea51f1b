"""The Lessons page and the One-run page's debrief panel, driven through Streamlit's AppTest.

Runs are computed inline (SIM_DASHBOARD_WORKERS=0) and small (2 seeds of 12 months per side)
except after "Open this pair on the Compare page", which takes the lesson's own horizon and
ensemble size (60 months, 16 seeds: about ten seconds inline).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("SIM_DASHBOARD_WORKERS", "0")
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"

from dashboard_helpers import goto, sides
from streamlit.testing.v1 import AppTest

from dashboard.common import esc
from dashboard.views.lessons import shown, side_name, terminal_commands, with_chart_titles
from sim.analysis.debrief import explain_run
from sim.experiment.lessons import ESSAYS, list_lessons
from sim.experiment.runner import run

SMALL = {"seeds": "2", "months": "12"}
SMALL_OVERRIDES = {"seeds": 2, "months": 12}
TIMEOUT = 180
LESSONS = list_lessons()
DEBRIEF_HIDDEN = "The debrief opens once you have made a prediction"


def _lessons_page(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {**SMALL, **params}
    at.run()
    goto(at, "lessons")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _sides(at: AppTest) -> dict:
    return sides(at)


@pytest.fixture(scope="module")
def page() -> AppTest:
    return _lessons_page()


def test_the_page_is_in_the_navigation_and_lists_every_lesson_in_order(page):
    picker = page.selectbox(key="lesson_pick")
    assert picker.label == "Pick a lesson"
    assert picker.options == [lesson.label for lesson in LESSONS]
    assert [lesson.number for lesson in LESSONS] == sorted(lesson.number for lesson in LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.slug for lesson in LESSONS])
def test_every_lesson_renders_its_sections(page, lesson):
    page.selectbox(key="lesson_pick").set_value(lesson.number).run()
    assert not page.exception, [e.value for e in page.exception]
    text = _text(page)
    assert f"Lesson {lesson.number}: {lesson.title}" in text
    for section in (lesson.situation, lesson.predict, lesson.look):
        assert shown(section) in text
    for essay in lesson.essays:
        assert ESSAYS[essay] in text and essay not in text  # the title, never the file name
    # the terminal commands of this lesson's own pair
    assert terminal_commands(lesson) in [c.value for c in page.code]
    a, b = side_name(lesson.scenario_a.name, "A"), side_name(lesson.scenario_b.name, "B")
    assert f"Side A</b>: {esc(a)}<br>" in text and f"Side B</b>: {esc(b)}</p>" in text
    assert not a.startswith("L") and not b.startswith("L")  # "Side A: L3 A: ..." no more
    # the debrief is not on screen before a prediction
    assert lesson.debrief not in text
    assert any(DEBRIEF_HIDDEN in i.value for i in page.info)
    assert page.radio(key=f"lesson_guess_{lesson.slug}").value is None
    labels = [b.label for b in page.button]
    assert "Open this pair on the Compare page" in labels
    assert "Show the debrief without predicting" in labels


def test_lesson_text_names_essays_and_charts_as_the_room_sees_them():
    """Essay file names become the essays' titles; chart keys become the charts' titles (dropped
    where the bold name already is the title); the One run page's charts where the line says
    so. Every lesson gets the terminal commands of its own pair."""
    situation = shown("Essay 002_23429537579b20f1.txt warns; see essay `000_6d48f6e008d74b5c.txt`.")
    assert situation == (
        "The essay “Sales v. product management” warns; see the essay “The danger of the sales "
        "and product mismatch”."
    )
    assert (
        with_chart_titles("- **Paying customers** (`customers`): x") == "- **Paying customers**: x"
    )
    assert with_chart_titles("- **Fit to the market** (`fit`): x") == (
        "- **Fit to the market** (the chart “Product fit vs the competitor”): x"
    )
    assert with_chart_titles("- On the One run page, **fit** (`fit`)") == (
        "- On the One run page, **fit** (the chart “Fit to the market and deals won”)"
    )
    for lesson in LESSONS:
        assert "`" not in shown(lesson.look) and ".txt" not in shown(lesson.situation)
        a, b = lesson.front.scenario_a, lesson.front.scenario_b
        assert terminal_commands(lesson).splitlines()[0] == f"sim compare {a} {b}"
        assert (ROOT / a).is_file() and (ROOT / b).is_file()


def test_the_debrief_stays_hidden_until_a_prediction_is_made():
    at = _lessons_page()
    lesson = LESSONS[1]
    at.selectbox(key="lesson_pick").set_value(lesson.number).run()
    assert lesson.debrief not in _text(at)
    # an empty saved prediction is not a prediction
    at.button(key=f"lesson_save_{lesson.slug}").click().run()
    assert lesson.debrief not in _text(at)
    # written answers are
    at.text_area(key=f"lesson_notes_{lesson.slug}").input(
        "A: most die by month 40; B mostly alive"
    ).run()
    at.button(key=f"lesson_save_{lesson.slug}").click().run()
    text = _text(at)
    assert lesson.debrief in text
    assert (
        "A: most die by month 40; B mostly alive" in text
    )  # the learner's prediction, next to the answer
    assert not any(DEBRIEF_HIDDEN in i.value for i in at.info)
    # another lesson starts hidden again; a quick guess opens its debrief
    other = LESSONS[2]
    at.selectbox(key="lesson_pick").set_value(other.number).run()
    assert other.debrief not in _text(at)
    at.radio(key=f"lesson_guess_{other.slug}").set_value("B").run()
    assert other.debrief in _text(at) and "Your quick guess:</b> Side B" in _text(at)


def test_show_the_debrief_without_predicting():
    at = _lessons_page()
    lesson = LESSONS[0]
    at.button(key=f"lesson_skip_{lesson.slug}").click().run()
    assert lesson.debrief in _text(at)
    assert "Your quick guess" not in _text(at) and "In your words" not in _text(at)


def test_a_link_can_name_the_lesson():
    at = _lessons_page(lesson=str(LESSONS[3].number))
    assert at.selectbox(key="lesson_pick").value == LESSONS[3].number
    assert shown(LESSONS[3].situation) in _text(at)


def test_open_pair_sets_both_sides_and_switches_to_compare_and_the_prediction_survives():
    at = _lessons_page()
    lesson = LESSONS[0]
    at.radio(key=f"lesson_guess_{lesson.slug}").set_value("A").run()
    at.button(key="lesson_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    sides = _sides(at)
    months, seeds = lesson.scenario_a.months, lesson.scenario_a.seeds
    assert sides["A"].scenario == lesson.scenario_a.with_overrides(
        {"months": months, "seeds": seeds}
    )
    assert sides["B"].scenario == lesson.scenario_b.with_overrides(
        {"months": months, "seeds": seeds}
    )
    assert not sides["A"].edited and not sides["B"].edited
    # now on the Compare page, predict first: the room guesses before anything is shown
    assert len(at.get("plotly_chart")) == 0
    assert any("which side is better off?" in m.value for m in at.markdown)
    goto(at, "compare")  # AppTest reruns the page it was told, not the one switched to
    at.button(key="reveal_now").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # revealed, with the whole pair in the URL (the sidebar's bound "Start from")
    assert len(at.get("plotly_chart")) == 9
    assert any('data-status="done"' in m.value for m in at.markdown)
    assert at.selectbox(key="a_base").value == "lessons/commission_timing_a"
    assert at.selectbox(key="b_base").value == "lessons/commission_timing_b"
    assert at.query_params["a_base"] == lesson.scenario_a.name
    assert at.query_params["b_base"] == lesson.scenario_b.name
    # back on the Lessons page: same lesson, the prediction kept, so the debrief is open
    goto(at, "lessons")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="lesson_pick").value == lesson.number
    assert at.radio(key=f"lesson_guess_{lesson.slug}").value == "A"
    assert lesson.debrief in _text(at)


def test_the_url_of_an_opened_pair_restores_it():
    lesson = LESSONS[4]
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {**SMALL, "a_base": lesson.scenario_a.name, "b_base": lesson.scenario_b.name}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    sides = _sides(at)
    assert sides["A"].scenario == lesson.scenario_a.with_overrides(SMALL_OVERRIDES)
    assert sides["B"].scenario == lesson.scenario_b.with_overrides(SMALL_OVERRIDES)


def test_one_run_page_explains_why_it_ended_this_way():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {**SMALL, "run_side": "A", "run_seed": "1"}
    at.run()
    goto(at, "one-run")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == "Why did it end this way?" for h in at.subheader)
    side = _sides(at)["A"]
    debrief = explain_run(run(side.scenario, seed=1), side.label)
    panel = next(m.value for m in at.markdown if 'class="why"' in m.value)
    assert f'data-why-lines="{len(debrief.lines)}"' in panel
    for line in debrief.lines:  # every line of the timeline: its month and its sentence
        assert f"Month {line.month}</span><span>{esc(line.text)}</span>" in panel
    assert debrief.lines[-1].kind in ("survived", "cash_out")  # the last line: how the run ended
