"""Lessons (sim/lessons.py, docs/lessons/, scenarios/lessons/): every lesson loads, its front matter
and sections are complete, its scenarios validate, and side A pins the lesson's point against side
B.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sim.config import load_scenario
from sim.experiment.lessons import (
    CHART_NAMES,
    COMPARE_CHARTS,
    ESSAYS,
    LESSONS_DIR,
    REPO_ROOT,
    RUN_CHARTS,
    SECTIONS,
    Lesson,
    LessonError,
    check_lessons,
    get_lesson,
    list_lessons,
    load_lesson,
)

MIN_LESSONS = 6
LESSON_SEEDS = (
    16,
    128,
)  # seeds a lesson scenario may ask for: enough to show the point (Lesson 7's payoff, about a
# fifth more revenue with heavy tails, needs 128: at 64 it missed in one block of six), and a
# step of the dashboard's seed menu
MECHANISMS = (
    "commission",
    "contingent",
    "roadmap",
    "runway",
    "segment",
    "alignment",
)  # issue 7's six
SEEDS_DIR = REPO_ROOT.parent / "shared" / "seeds"
COPY_WORDS = 8  # a run of this many words shared with an essay counts as copying


@pytest.fixture(scope="module")
def lessons() -> list[Lesson]:
    return list_lessons()


def test_there_are_enough_lessons_in_order(lessons: list[Lesson]) -> None:
    assert len(lessons) >= MIN_LESSONS
    assert [lesson.number for lesson in lessons] == list(range(1, len(lessons) + 1))
    assert check_lessons() == []


def test_each_mechanism_has_a_lesson(lessons: list[Lesson]) -> None:
    slugs = " ".join(lesson.slug for lesson in lessons)
    for mechanism in MECHANISMS:
        assert mechanism in slugs, mechanism


def test_front_matter_is_complete(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        assert lesson.title.strip()
        assert lesson.essays and all(name in ESSAYS for name in lesson.essays)
        assert lesson.what_to_watch and all(name in CHART_NAMES for name in lesson.what_to_watch)
        assert (
            lesson.scenario_a_path == REPO_ROOT / "scenarios" / "lessons" / f"{lesson.slug}_a.yaml"
        )
        assert (
            lesson.scenario_b_path == REPO_ROOT / "scenarios" / "lessons" / f"{lesson.slug}_b.yaml"
        )
        assert set(lesson.sections) == set(SECTIONS) and all(
            text.strip() for text in lesson.sections.values()
        )


def test_sections_do_their_job(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        cited = [name for name in lesson.essays if name in lesson.situation]
        assert cited, f"{lesson.path.name}: the Situation cites no essay by file name"
        sentences = re.findall(r"[.!?](?:\s|$)", re.sub(r"\([^)]*\)", "", lesson.situation))
        assert len(sentences) == 2, f"{lesson.path.name}: the Situation should be two sentences"
        assert "?" in lesson.predict, f"{lesson.path.name}: Predict asks no question"
        for path in (lesson.scenario_a_path, lesson.scenario_b_path):
            assert str(path.relative_to(REPO_ROOT)) in lesson.run, (
                f"{lesson.path.name}: Run does not name {path.name}"
            )


def test_scenarios_validate_and_differ(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        a, b = lesson.scenarios()
        for side in (a, b):
            assert side.description.strip() and side.name.strip()
            assert LESSON_SEEDS[0] <= side.seeds <= LESSON_SEEDS[1]
        assert a.months == b.months
        assert a.levers() | {"name": "", "description": ""} != b.levers() | {
            "name": "",
            "description": "",
        }
        assert load_scenario(lesson.scenario_a_path) == a


def test_side_a_pins_the_point_against_side_b(lessons: list[Lesson]) -> None:
    expectations = pytest.importorskip("sim.experiment.expectations")
    for lesson in lessons:
        a, b = lesson.scenarios()
        assert a.expect, f"{lesson.scenario_a_path.name}: no expect: block"
        relative = [item for item in a.expect if isinstance(item, dict)]
        assert relative, f"{lesson.scenario_a_path.name}: no 'vs:' assertion"
        assert all(item["vs"] == lesson.scenario_b_path.name for item in relative)
        parsed = expectations.parse_expectations(list(a.expect), str(lesson.scenario_a_path))
        assert len(parsed) == len(a.expect)
        assert not b.expect or all(isinstance(item, str) for item in b.expect)


PROMISE_SEEDS = tuple(range(8))
MIN_BROKEN_PROMISE_RATIO = (
    5.0  # measured 6.7x on these 8 seeds (471 against 70 promises) and 10.2 / 12.5 / 12.0x over
    # 48 seeds from 0 / 1000 / 2000 with keyed draws (15.3x and 10.9 / 12.9 / 16.9x before them);
    # set 2026-12-07, 1.6 until then, set when it was 2.7-3.0x
)


def test_selling_the_roadmap_breaks_more_promises() -> None:
    """Lesson 3's point, pinned here until the ensemble summary reports promises broken."""
    from sim.experiment.runner import run

    lesson = get_lesson("selling_roadmap")
    a, b = lesson.scenarios()
    broken = {
        side: sum(
            float(run(s, seed=seed).series["promises_broken"].sum()) for seed in PROMISE_SEEDS
        )
        for side, s in (("a", a), ("b", b))
    }
    assert broken["a"] > MIN_BROKEN_PROMISE_RATIO * broken["b"], broken


HIRING_SEEDS = tuple(range(3000, 3012))  # seeds no lesson claim or constant was chosen on
HIRING_MONTHS = 18
# side A has at least this many more reps than B at month 18 (reps per company); measured
# +2.4 / +2.9 / +2.9 over 48 seeds from 0 / 1000 / 2000 (keyed draws; +2.2 / +2.7 / +2.5 before)
MIN_EXTRA_REPS = 1.5


def test_pressure_hiring_lesson_hires_before_the_fit_signal() -> None:
    """Lesson 5's mechanism fires: side A's team grows under pressure, B's waits.

    At the default half-strength pressure response it did not (both sides had 1.9 reps at month
    18), so the lesson's scenarios set ``policy.pressure_response: 1.0`` on both sides.
    """
    from sim.experiment.runner import run

    lesson = get_lesson("pressure_hiring")
    a, b = lesson.scenarios()
    reps = {
        side: np.mean(
            [
                float(
                    run(s, seed=seed, months=HIRING_MONTHS, attribute=False).series["reps"].iloc[-1]
                )
                for seed in HIRING_SEEDS
            ]
        )
        for side, s in (("a", a), ("b", b))
    }
    assert reps["a"] >= reps["b"] + MIN_EXTRA_REPS, reps


def test_every_lesson_scenario_belongs_to_a_lesson(lessons: list[Lesson]) -> None:
    used = {p for lesson in lessons for p in (lesson.scenario_a_path, lesson.scenario_b_path)}
    on_disk = set((REPO_ROOT / "scenarios" / "lessons").glob("*.yaml"))
    assert on_disk == used


def test_chart_names_are_the_dashboards() -> None:
    charts = pytest.importorskip("sim.report.charts")
    keys = [spec.key for spec in charts.COMPARE_CHARTS] + ["survival", "fit"]
    assert set(COMPARE_CHARTS) == set(keys)
    from sim.config import preset
    from sim.experiment.runner import run

    series = run(preset("sales_led"), seed=0, months=3).series
    assert set(RUN_CHARTS) == set(charts.run_figures(series))


@pytest.mark.skipif(
    not SEEDS_DIR.is_dir(), reason="the source essays are not next to the repository"
)
def test_lessons_paraphrase_rather_than_copy() -> None:
    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))

    essay_runs = set()
    for essay in SEEDS_DIR.glob("0*.txt"):
        w = words(essay.read_text(encoding="utf-8"))
        essay_runs |= {" ".join(w[i : i + COPY_WORDS]) for i in range(len(w) - COPY_WORDS + 1)}
    mine = list(LESSONS_DIR.glob("*.md")) + [REPO_ROOT / "docs" / "workshop.md"]
    mine += list((REPO_ROOT / "scenarios" / "lessons").glob("*.yaml"))
    from sim.experiment.lessons import ESSAY_ARGUMENTS

    texts = {path.name: path.read_text(encoding="utf-8") for path in mine}
    texts["ESSAY_ARGUMENTS"] = "\n".join(ESSAY_ARGUMENTS.values())  # in our words (titles cite)
    for name, text in texts.items():
        w = words(text)
        copied = [
            " ".join(w[i : i + COPY_WORDS])
            for i in range(len(w) - COPY_WORDS + 1)
            if " ".join(w[i : i + COPY_WORDS]) in essay_runs
        ]
        assert not copied, f"{name} copies an essay: '{copied[0]}'"


def test_get_lesson_by_number_and_slug(lessons: list[Lesson]) -> None:
    first = lessons[0]
    assert get_lesson(first.number).path == first.path
    assert get_lesson(first.slug).path == first.path
    with pytest.raises(LessonError):
        get_lesson("no_such_lesson")


# ============================================================================================
# Clear one-line errors
# ============================================================================================

GOOD_BODY = "\n".join(f"## {title}\nSome text.\n" for title in SECTIONS.values())


def _write(tmp_path: Path, front: str, body: str = GOOD_BODY, name: str = "01-demo.md") -> Path:
    (tmp_path / "scenarios").mkdir(exist_ok=True)
    (tmp_path / "scenarios" / "a.yaml").write_text("name: A\n", encoding="utf-8")
    (tmp_path / "scenarios" / "b.yaml").write_text("name: B\n", encoding="utf-8")
    path = tmp_path / name
    path.write_text(f"---\n{front}\n---\n{body}", encoding="utf-8")
    return path


FRONT = (
    "title: Demo\nessays: [001_c4a0b04a5eb93e2d.txt]\nscenario_a: scenarios/a.yaml\n"
    "scenario_b: scenarios/b.yaml\nwhat_to_watch: [custom, fit]"
)


def _error(path: Path, root: Path) -> str:
    with pytest.raises(LessonError) as info:
        load_lesson(path, root=root)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_a_good_lesson_loads(tmp_path: Path) -> None:
    lesson = load_lesson(_write(tmp_path, FRONT), root=tmp_path)
    assert lesson.number == 1 and lesson.slug == "demo" and lesson.label == "1. Demo"
    assert lesson.scenario_a.name == "A" and lesson.debrief == "Some text."


def test_missing_scenario_file_is_one_clear_line(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT.replace("scenarios/b.yaml", "scenarios/gone.yaml"))
    assert "scenario_b: scenario file not found: scenarios/gone.yaml" in _error(path, tmp_path)


def test_invalid_scenario_is_one_clear_line(tmp_path: Path) -> None:
    path = _write(tmp_path, FRONT)
    (tmp_path / "scenarios" / "a.yaml").write_text(
        "name: A\nsales: {comission_rate: 0.1}\n", encoding="utf-8"
    )
    message = _error(path, tmp_path)
    assert "scenario_a:" in message and "did you mean 'commission_rate'" in message


@pytest.mark.parametrize(
    ("front", "expected"),
    [
        (FRONT.replace("title: Demo\n", ""), "title: missing"),
        (FRONT + "\nextra: 1", "extra: unknown key"),
        (FRONT.replace("what_to_watch", "what_to_wach"), "did you mean 'what_to_watch'"),
        (FRONT.replace("001_c4a0b04a5eb93e2d.txt", "001_c4a0b04a5eb93e2d.md"), "unknown essay"),
        (FRONT.replace("[custom, fit]", "[custm]"), "did you mean 'custom'"),
        (FRONT.replace("[custom, fit]", "[]"), "what_to_watch"),
        ("title: [unclosed", "not valid YAML"),
    ],
)
def test_bad_front_matter_is_one_clear_line(tmp_path: Path, front: str, expected: str) -> None:
    assert expected in _error(_write(tmp_path, front), tmp_path)


def test_missing_or_empty_section(tmp_path: Path) -> None:
    body = GOOD_BODY.replace("## Predict\nSome text.\n", "")
    assert "## Predict: section missing" in _error(_write(tmp_path, FRONT, body), tmp_path)
    body = GOOD_BODY.replace("## Debrief\nSome text.\n", "## Debrief\n\n")
    assert "## Debrief: section is empty" in _error(_write(tmp_path, FRONT, body), tmp_path)


def test_bad_file_name_and_front_matter_fence(tmp_path: Path) -> None:
    assert "NN-<slug>.md" in _error(_write(tmp_path, FRONT, name="demo.md"), tmp_path)
    path = tmp_path / "02-nofront.md"
    path.write_text(GOOD_BODY, encoding="utf-8")
    assert "front matter" in _error(path, tmp_path)


def test_duplicate_numbers_and_check_lessons(tmp_path: Path) -> None:
    _write(tmp_path, FRONT, name="01-one.md")
    _write(tmp_path, FRONT, name="01-two.md")
    with pytest.raises(LessonError, match="also used by"):
        list_lessons(tmp_path, root=tmp_path)
    (tmp_path / "README.md").write_text("not a lesson", encoding="utf-8")
    _write(tmp_path, FRONT.replace("scenarios/a.yaml", "scenarios/none.yaml"), name="03-three.md")
    problems = check_lessons(tmp_path, root=tmp_path)
    assert len(problems) == 1 and "03-three.md" in problems[0]


def test_every_essay_has_a_title_and_a_one_line_argument() -> None:
    from sim.experiment.lessons import ESSAY_ARGUMENTS, ESSAYS

    assert set(ESSAY_ARGUMENTS) == set(ESSAYS)
    for name, argument in ESSAY_ARGUMENTS.items():
        assert ESSAYS[name] and 40 < len(argument) < 200, name
