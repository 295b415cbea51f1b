"""Lessons: a markdown page plus a pair of scenario files, one mechanism each.

A lesson lives in ``docs/lessons/NN-<slug>.md``: YAML front matter, then five sections.

```
---
title: Commission before product-market fit
essays: [000_6d48f6e008d74b5c.txt]
scenario_a: scenarios/lessons/commission_timing_a.yaml
scenario_b: scenarios/lessons/commission_timing_b.yaml
what_to_watch: [arr, custom, fit]
---
## Situation
## Predict
## Run
## What to look at in the charts
## Debrief
```

Scenario paths are relative to the repository root. ``what_to_watch`` names charts of the
dashboard (``CHART_NAMES``). A trainer adds a lesson by adding one markdown file and two scenario
files; nothing here needs to change. The side-A scenario carries the ``expect:`` block that pins
the lesson's point (``vs:`` its side B), so ``sim check`` fails when the model stops showing it.

``list_lessons()`` loads every lesson in order and raises ``LessonError`` (one line naming the
file, the key and the problem) on the first bad one; ``check_lessons()`` collects every problem
instead. Both validate the two scenario files with the scenario schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.config import Scenario, ScenarioError, load_scenario
from sim.config.hints import did_you_mean
from sim.config.safe_yaml import load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LESSONS_DIR = REPO_ROOT / "docs" / "lessons"
FILE_PATTERN = re.compile(r"^(?P<number>\d{2})-(?P<slug>[a-z0-9][a-z0-9_-]*)\.md$")

# The five source essays (shared/seeds, not part of this repository), by file name: what a
# lesson may cite. Pages show the title and, in this project's own words, what the essay argues.
ESSAYS: dict[str, str] = {
    "000_6d48f6e008d74b5c.txt": "The danger of the sales and product mismatch",
    "001_c4a0b04a5eb93e2d.txt": "The trap of the sales-led product",
    "002_23429537579b20f1.txt": "Sales v. product management",
    "003_ad2eeeaa19e1d10f.txt": "On sales-marketing-product alignment",
    "004_ce31e603c4dfbe1d.txt": "Blame the sales team",
}
ESSAY_ARGUMENTS: dict[str, str] = {
    "000_6d48f6e008d74b5c.txt": "paying sales to close before the product fits a market buys "
    "revenue that the product then cannot keep; sell to learn first",
    "001_c4a0b04a5eb93e2d.txt": "saying yes to one-off features to win deals diverts engineering, "
    "lets the product fall behind the market, and the lost deals that follow create more such "
    "requests",
    "002_23429537579b20f1.txt": "sales and product need rules of engagement: promising features "
    "far out makes buyers wait and then walk, and diverted engineers let a rival pull ahead",
    "003_ad2eeeaa19e1d10f.txt": "companies whose sales, marketing and product share what they "
    "learn about the market grow faster and keep their customers longer",
    "004_ce31e603c4dfbe1d.txt": "when deals are lost, look at the segment and the product before "
    "the salespeople: focus where the product is valued",
}

# Charts a lesson may point at: the compare page's (sim.report.charts.compare_figures keys) and the
# one-run page's (sim.report.charts.run_figures keys).
COMPARE_CHARTS: tuple[str, ...] = (
    "survival",
    "cash",
    "runway",
    "arr",
    "customers",
    "fit",
    "custom",
    "reps",
    "pressure",
)
RUN_CHARTS: tuple[str, ...] = ("money", "pipeline", "contingent", "work", "promises", "reps", "fit")
CHART_NAMES: tuple[str, ...] = tuple(dict.fromkeys(COMPARE_CHARTS + RUN_CHARTS))

SECTIONS: dict[str, str] = {
    "situation": "Situation",
    "predict": "Predict",
    "run": "Run",
    "look": "What to look at in the charts",
    "debrief": "Debrief",
}


class LessonError(ValueError):
    """A lesson file is invalid; ``str(err)`` is one line naming the file, the key and the
    problem."""


class FrontMatter(BaseModel):
    """The YAML front matter of a lesson page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=120, description="the lesson's title")
    essays: list[str] = Field(
        min_length=1, description="source essay file(s) the lesson paraphrases"
    )
    scenario_a: str = Field(
        min_length=1, description="side A scenario file, relative to the repository root"
    )
    scenario_b: str = Field(
        min_length=1, description="side B scenario file, relative to the repository root"
    )
    what_to_watch: list[str] = Field(
        min_length=1, description="dashboard charts to look at (CHART_NAMES)"
    )

    @field_validator("essays")
    @classmethod
    def _known_essays(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in ESSAYS:
                raise ValueError(f"unknown essay '{name}'{did_you_mean(name, ESSAYS)}")
        return value

    @field_validator("what_to_watch")
    @classmethod
    def _known_charts(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in CHART_NAMES:
                raise ValueError(
                    f"unknown chart '{name}'{did_you_mean(name, CHART_NAMES)}; charts: "
                    f"{', '.join(CHART_NAMES)}"
                )
        return value


@dataclass(frozen=True)
class Lesson:
    """One lesson: its number, slug, front matter, the five sections and both scenarios."""

    number: int
    slug: str
    path: Path
    front: FrontMatter
    sections: dict[str, str]
    scenario_a_path: Path
    scenario_b_path: Path
    scenario_a: Scenario
    scenario_b: Scenario

    @property
    def title(self) -> str:
        return self.front.title

    @property
    def essays(self) -> list[str]:
        return list(self.front.essays)

    @property
    def what_to_watch(self) -> list[str]:
        return list(self.front.what_to_watch)

    @property
    def situation(self) -> str:
        return self.sections["situation"]

    @property
    def predict(self) -> str:
        return self.sections["predict"]

    @property
    def run(self) -> str:
        return self.sections["run"]

    @property
    def look(self) -> str:
        return self.sections["look"]

    @property
    def debrief(self) -> str:
        return self.sections["debrief"]

    @property
    def label(self) -> str:
        """``"3. Selling the roadmap"``: for a picker."""
        return f"{self.number}. {self.title}"

    def scenarios(self) -> tuple[Scenario, Scenario]:
        """The validated side-A and side-B scenarios."""
        return self.scenario_a, self.scenario_b


# ============================================================================================
# Loading
# ============================================================================================


def load_lesson(path: str | Path, root: str | Path | None = None) -> Lesson:
    """Read and validate one lesson page and its two scenario files.

    ``root``: the folder scenario paths are relative to (default: the repository root). Raises
    ``LessonError`` with one line naming the file, the key and the problem.
    """
    path = Path(path)
    root = Path(root) if root is not None else REPO_ROOT
    match = FILE_PATTERN.match(path.name)
    if match is None:
        raise LessonError(
            f"{path}: (file name): expected NN-<slug>.md, e.g. 01-commission_timing.md"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LessonError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as err:
        raise LessonError(f"{path}: cannot read ({err.__class__.__name__})") from None
    data, body = _split_front_matter(text, path)
    front = _front_matter(data, path)
    sections = _sections(body, path)
    path_a, scenario_a = _scenario(front.scenario_a, "scenario_a", root, path)
    path_b, scenario_b = _scenario(front.scenario_b, "scenario_b", root, path)
    return Lesson(
        number=int(match["number"]),
        slug=match["slug"],
        path=path,
        front=front,
        sections=sections,
        scenario_a_path=path_a,
        scenario_b_path=path_b,
        scenario_a=scenario_a,
        scenario_b=scenario_b,
    )


def lesson_files(directory: str | Path | None = None) -> list[Path]:
    """The lesson pages in a folder (``*.md`` but README), sorted by name (so by number)."""
    directory = Path(directory) if directory is not None else LESSONS_DIR
    if not directory.is_dir():
        raise LessonError(f"{directory}: lessons folder not found")
    return sorted(
        p for p in directory.glob("*.md") if p.is_file() and p.name.lower() != "readme.md"
    )


def list_lessons(
    directory: str | Path | None = None, root: str | Path | None = None
) -> list[Lesson]:
    """Every lesson, in order of number. Raises ``LessonError`` on the first invalid one, or when
    two lessons share a number."""
    lessons = [load_lesson(path, root) for path in lesson_files(directory)]
    seen: dict[int, Path] = {}
    for lesson in lessons:
        if lesson.number in seen:
            raise LessonError(
                f"{lesson.path}: (file name): lesson number {lesson.number:02d} is also used by "
                f"{seen[lesson.number].name}"
            )
        seen[lesson.number] = lesson.path
    return sorted(lessons, key=lambda lesson: lesson.number)


def check_lessons(directory: str | Path | None = None, root: str | Path | None = None) -> list[str]:
    """Every problem with the lessons in a folder, one line each (empty: all good)."""
    problems = []
    try:
        files = lesson_files(directory)
    except LessonError as err:
        return [str(err)]
    for path in files:
        try:
            load_lesson(path, root)
        except LessonError as err:
            problems.append(str(err))
    if not problems:
        try:
            list_lessons(directory, root)
        except LessonError as err:
            problems.append(str(err))
    return problems


def get_lesson(
    key: int | str, directory: str | Path | None = None, root: str | Path | None = None
) -> Lesson:
    """One lesson by number (``3``) or slug (``"selling_roadmap"``)."""
    for lesson in list_lessons(directory, root):
        if lesson.number == key or lesson.slug == key or str(lesson.number) == str(key):
            return lesson
    raise LessonError(f"no lesson '{key}'")


# ============================================================================================
# Parsing
# ============================================================================================


def _split_front_matter(text: str, path: Path) -> tuple[Any, str]:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise LessonError(
            f"{path}: (front matter): the file must start with a '---' line and YAML front matter"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise LessonError(f"{path}: (front matter): no closing '---' line") from None
    try:
        data = load_yaml("\n".join(lines[1:end]), str(path), line_offset=1)
    except ScenarioError as err:
        raise LessonError(str(err).replace("(yaml)", "(front matter)", 1)) from None
    return data, "\n".join(lines[end + 1 :])


def _front_matter(data: Any, path: Path) -> FrontMatter:
    if not isinstance(data, dict):
        raise LessonError(
            f"{path}: (front matter): expected a mapping of keys, got {type(data).__name__}"
        )
    try:
        return FrontMatter.model_validate(data)
    except ValidationError as err:
        errors = err.errors()
        # a misspelt key also makes the right one "missing": name the misspelling first
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        key = ".".join(str(p) for p in first["loc"]) or "(front matter)"
        if first["type"] == "extra_forbidden":
            msg = f"unknown key{did_you_mean(str(first['loc'][-1]), FrontMatter.model_fields)}"
        elif first["type"] == "missing":
            msg = "missing"
        else:
            msg = first["msg"].removeprefix("Value error, ")
        raise LessonError(f"{path}: {key}: {msg}") from None


def _sections(body: str, path: Path) -> dict[str, str]:
    """The five ``## Heading`` sections, by key (text without the heading, stripped)."""
    found: dict[str, list[str]] = {}
    current: str | None = None
    titles = {title.lower(): key for key, title in SECTIONS.items()}
    for line in body.splitlines():
        heading = re.match(r"^##\s+(.*?)\s*#*\s*$", line)
        if heading:
            current = titles.get(heading.group(1).strip().lower())
            if current is not None:
                if current in found:
                    raise LessonError(f"{path}: ## {SECTIONS[current]}: the section appears twice")
                found[current] = []
            continue
        if current is not None:
            found[current].append(line)
    out = {}
    for key, title in SECTIONS.items():
        if key not in found:
            raise LessonError(
                f"{path}: ## {title}: section missing (sections: {', '.join(SECTIONS.values())})"
            )
        text = "\n".join(found[key]).strip()
        if not text:
            raise LessonError(f"{path}: ## {title}: section is empty")
        out[key] = text
    return out


def _scenario(relative: str, key: str, root: Path, path: Path) -> tuple[Path, Scenario]:
    target = Path(relative)
    full = target if target.is_absolute() else root / target
    if not full.is_file():
        raise LessonError(f"{path}: {key}: scenario file not found: {relative}")
    try:
        return full, load_scenario(full)
    except ScenarioError as err:
        raise LessonError(f"{path}: {key}: {' '.join(str(err).split())}") from None
