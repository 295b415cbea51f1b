"""Lessons: pick one, read the situation, predict, open the pair on the Compare page, read the
debrief.

The lessons are data (``docs/lessons/NN-<slug>.md`` plus two scenario files each, read by
``sim.experiment.lessons``); this page only lays them out. The learner's prediction is kept in
session state per lesson (not only in the widgets, which Streamlit forgets while another page is
shown), so it is still there after a visit to the Compare page; the debrief opens once a
prediction is made (or the learner asks for it outright).
"""

from __future__ import annotations

import functools
import re

import pandas as pd
import streamlit as st

from dashboard.common import PageContext, esc
from dashboard.lesson_pair import OPENED_KEY, open_pair
from sim.experiment.lessons import ESSAY_ARGUMENTS, ESSAYS, Lesson, LessonError, list_lessons
from sim.report.charts import COMPARE_ORDER, SIDE_COLORS, compare_figure, run_figures

PREDICTIONS = "lesson_predictions"  # {slug: {"guess": str | None, "notes": str}}
REVEALED = (
    "lesson_revealed"  # {slug: True} once the learner asked for the debrief without predicting
)
CURRENT = "lesson_current"  # the chosen lesson's number, kept across page visits
GUESSES = ("A", "B", "About the same")
GUESS_LABELS = {"A": "Side A", "B": "Side B", "About the same": "About the same"}

CSS = """
<style>
.st-key-lesson p, .st-key-lesson li { font-size: 1.3rem; line-height: 1.5; }
.st-key-lesson h2 { font-size: 1.9rem; font-weight: 800; margin-top: 0.8rem; }
.st-key-lesson [data-testid="stWidgetLabel"] p { font-size: 1.25rem; font-weight: 700; }
.st-key-lesson [data-testid="stRadio"] label p { font-size: 1.3rem; font-weight: 650; }
.st-key-lesson textarea { font-size: 1.2rem; }
.st-key-lesson button p { font-size: 1.25rem; font-weight: 750; }
.st-key-lesson_open button { padding: 0.6rem 1.4rem; }
.st-key-lesson_open button p { font-size: 1.45rem; }
.st-key-lesson [data-testid="stPageLink"] p { font-size: 1.3rem; font-weight: 700; }
.st-key-lesson-pick [data-testid="stWidgetLabel"] p { font-size: 1.3rem; font-weight: 750; }
.st-key-lesson_pick input[role="combobox"] { font-size: 1.3rem; font-weight: 650; height: 2.8rem; }
.lesson-title { font-size: 2.3rem; font-weight: 800; line-height: 1.2; margin: 0.4rem 0 0.2rem 0; }
.lesson-source { font-size: 1.1rem; color: #333; margin-bottom: 0.6rem; }
.lesson-yours { font-size: 1.3rem; border-left: 0.4rem solid #555; padding: 0.3rem 0.9rem;
                margin: 0.4rem 0 0.8rem 0;
                background: #F3F4F6; }
</style>
"""


ESSAY_FILE = re.compile(r"(?:\b(?P<word>[Ee]ssay)\s+)?`?(?P<file>\d{3}_[0-9a-f]{16}\.txt)`?")
CHART_KEY = re.compile(r"(?:\*\*(?P<named>[^*]+)\*\*\s*)?\(`(?P<key>[a-z_]+)`\)")
BESIDE = {("run", "contingent"): "and the one beside it, how those deals ended"}
"""What a chart reference adds after the chart's title, by (page, key)."""


def with_essay_titles(text: str) -> str:
    """A lesson's text with each essay's file name ("Essay 002_2342….txt") replaced by the
    essay's title (``sim.experiment.lessons.ESSAYS``), as the room knows the essays."""

    def title(match: re.Match[str]) -> str:
        name = ESSAYS.get(match["file"])
        if name is None:
            return match[0]
        word = match["word"]
        lead = "" if word is None else ("The essay " if word == "Essay" else "the essay ")
        return f"{lead}“{name}”"

    return ESSAY_FILE.sub(title, text)


@functools.cache
def chart_titles() -> dict[str, dict[str, str]]:
    """The title of every chart a lesson may name, as the pages show it, by page ("compare",
    "run") and key: read from the figures themselves (built empty), so they cannot drift."""
    bands = {"A": pd.DataFrame({"month": [], "alive_share": []})}
    compare = {name: compare_figure(name, bands, {"A": []}) for name in COMPARE_ORDER}
    run = run_figures(pd.DataFrame({"month": [0]}))
    return {
        page: {
            key: re.sub(r"<[^>]+>", "", fig.layout.title.text or "") for key, fig in figs.items()
        }
        for page, figs in (("compare", compare), ("run", run))
    }


def with_chart_titles(text: str) -> str:
    """A lesson's text with each chart key ("**Paying customers** (`customers`)") replaced by
    the title the page shows: dropped where the bold name already is the title, else "(the
    chart “Product fit vs the competitor”)". A line that mentions the One run page means that
    page's chart (both pages have a ``fit`` and a ``reps`` chart); any other, the Compare page's."""
    titles = chart_titles()
    lines = []
    for line in text.splitlines():
        page = "run" if "one run page" in line.lower() else "compare"

        def title(match: re.Match[str], page: str = page) -> str:
            key, named = match["key"], match["named"]
            other = "compare" if page == "run" else "run"
            where = page if key in titles[page] else other
            shown = titles[where].get(key)
            if not shown:
                return match[0]
            lead = f"**{named}**" if named else ""
            if named and named.strip().lower() == shown.lower():
                return lead
            extra = BESIDE.get((where, key))
            note = f"the chart “{shown}”" + (f" {extra}" if extra else "")
            return f"{lead} ({note})" if lead else f"({note})"

        lines.append(CHART_KEY.sub(title, line))
    return "\n".join(lines)


def terminal_commands(lesson: Lesson) -> str:
    """The shell commands that run the lesson's pair, from the repository's folder: the
    comparison, and one side-A company explained."""
    a, b = lesson.front.scenario_a, lesson.front.scenario_b
    return f"sim compare {a} {b}\nsim explain {a} --seed 0"


def side_name(name: str, side: str) -> str:
    """A lesson scenario's name after "Side A:": without its own "L3 A:" ("Side A: promises up
    to 12 months out", not "Side A: L3 A: promises...")."""
    return re.sub(rf"^L\d+\s+{side}\s*:\s*", "", name)


def shown(text: str) -> str:
    """A lesson section as the page shows it (essay titles, chart titles)."""
    return with_chart_titles(with_essay_titles(text))


@st.cache_data(show_spinner=False, ttl=60)
def _lessons():
    return list_lessons()


def lessons_page(ctx: PageContext) -> None:
    """The Lessons page: situation, prediction, the pair on the Compare page, debrief."""
    try:
        lessons = _lessons()
    except LessonError as err:
        st.error(f"The lessons could not be read: {err}")
        st.stop()
    if not lessons:
        st.info("There are no lessons yet: add one to docs/lessons/ (see docs/lessons/README.md).")
        st.stop()

    st.markdown(CSS, unsafe_allow_html=True)
    by_number = {lesson.number: lesson for lesson in lessons}
    numbers = [lesson.number for lesson in lessons]

    if CURRENT not in st.session_state:  # a link may name the lesson: /lessons?lesson=3
        asked = st.query_params.get("lesson")
        st.session_state[CURRENT] = (
            int(asked) if asked and asked.isdigit() and int(asked) in by_number else numbers[0]
        )

    def _picked() -> None:
        st.session_state[CURRENT] = st.session_state["lesson_pick"]

    if st.session_state.get("lesson_pick") not in by_number:
        st.session_state["lesson_pick"] = st.session_state[CURRENT]
    with st.container(key="lesson-pick"):
        pick_col, _ = st.columns([2, 1])
        number = pick_col.selectbox(
            "Pick a lesson",
            numbers,
            key="lesson_pick",
            on_change=_picked,
            format_func=lambda n: by_number[n].label,
            help="each lesson changes one thing between side A and side B",
        )
    lesson = by_number[number]
    slug = lesson.slug
    predictions = st.session_state.setdefault(PREDICTIONS, {})
    mine = predictions.setdefault(slug, {"guess": None, "notes": ""})
    guess_key, notes_key = f"lesson_guess_{slug}", f"lesson_notes_{slug}"

    def _save_guess() -> None:
        predictions[slug]["guess"] = st.session_state.get(guess_key)

    def _save_notes() -> None:
        predictions[slug]["notes"] = (st.session_state.get(notes_key) or "").strip()

    def _reveal() -> None:
        st.session_state.setdefault(REVEALED, {})[slug] = True

    predicted = bool(mine["guess"] or mine["notes"])

    with st.container(key="lesson"):
        st.markdown(
            f'<div class="lesson-title">Lesson {lesson.number}: {esc(lesson.title)}</div>',
            unsafe_allow_html=True,
        )
        sources = "".join(
            f"<li><b>“{esc(ESSAYS.get(name, name))}”</b>: {esc(ESSAY_ARGUMENTS.get(name, ''))}</li>"
            for name in lesson.essays
        )
        st.markdown(
            f'<div class="lesson-source">From the essay{"s" if len(lesson.essays) > 1 else ""}'
            f"<ul>{sources}</ul></div>",
            unsafe_allow_html=True,
        )

        st.markdown("## 1. The situation")
        st.markdown(shown(lesson.situation))

        st.markdown("## 2. Predict before you run")
        st.markdown(shown(lesson.predict))
        # Widgets forget their value while another page is shown: put the saved prediction
        # back first.
        if guess_key not in st.session_state and mine["guess"] in GUESSES:
            st.session_state[guess_key] = mine["guess"]
        if notes_key not in st.session_state and mine["notes"]:
            st.session_state[notes_key] = mine["notes"]
        guess_col, notes_col = st.columns([1, 2], gap="large")
        guess_col.radio(
            "Your quick guess: which side ends up better off?",
            GUESSES,
            key=guess_key,
            format_func=GUESS_LABELS.get,
            on_change=_save_guess,
            **({} if guess_key in st.session_state else {"index": None}),
        )
        notes_col.text_area(
            "Your answers, in a few words",
            key=notes_key,
            height=120,
            placeholder="e.g. A books more in year one; B has more ARR by month 60",
            on_change=_save_notes,
        )
        notes_col.button("Save my prediction", key=f"lesson_save_{slug}", on_click=_save_notes)
        predicted = bool(mine["guess"] or mine["notes"])
        if predicted:
            st.success("Prediction saved. Now run it: open the pair on the Compare page.")

        st.markdown("## 3. Run it")
        st.markdown(
            f'<p><b style="color:{SIDE_COLORS["A"]}">Side A</b>: '
            f"{esc(side_name(lesson.scenario_a.name, 'A'))}<br>"
            f'<b style="color:{SIDE_COLORS["B"]}">Side B</b>: '
            f"{esc(side_name(lesson.scenario_b.name, 'B'))}</p>",
            unsafe_allow_html=True,
        )
        if st.button(
            "Open this pair on the Compare page",
            type="primary",
            key="lesson_open",
            on_click=open_pair,
            args=(lesson,),
            help="sets the sidebar's side A and side B to this lesson's two scenarios",
        ):
            # Streamlit cannot clear URL parameters bound to widgets; the sidebar's bound controls
            # write both sides back into the URL on the Compare page. Keep an uploaded side's file.
            kept = {
                k: v for k, v in st.query_params.to_dict().items() if k in ("a_upload", "b_upload")
            }
            st.switch_page(ctx.pages["compare"], query_params=kept)
        if not predicted:
            st.caption("Tip: make your prediction first; the Compare page shows the answer.")
        with st.expander("Running it from a terminal instead"):
            st.markdown("From the repository's folder:")
            st.code(terminal_commands(lesson), language="bash", wrap_lines=True)
            st.markdown(shown(lesson.run))

        st.markdown("## 4. What to look at in the charts")
        st.markdown(shown(lesson.look))

        st.markdown("## 5. Debrief")
        if predicted or st.session_state.get(REVEALED, {}).get(slug):
            with st.container(key="lesson-debrief"):
                if predicted:
                    said = (
                        [
                            (
                                f"<b>Your quick guess:</b> {GUESS_LABELS[mine['guess']]} ends up "
                                f"better off."
                            )
                        ]
                        if mine["guess"]
                        else []
                    )
                    said += (
                        [f"<b>In your words:</b> “{esc(mine['notes'])}”"] if mine["notes"] else []
                    )
                    st.markdown(
                        '<div class="lesson-yours">' + "<br>".join(said) + "</div>",
                        unsafe_allow_html=True,
                    )
                st.markdown(shown(lesson.debrief))
                if st.session_state.get(OPENED_KEY) != slug:
                    st.caption(
                        "You have not opened this pair on the Compare page yet: the charts show "
                        "the reasoning."
                    )
                st.page_link(
                    ctx.pages["one_run"],
                    label="Follow one company of this pair: why did it end this way?",
                    icon=":material/arrow_forward:",
                )
        else:
            st.info(
                "The debrief opens once you have made a prediction above (a quick guess is enough)."
            )
            st.button(
                "Show the debrief without predicting", key=f"lesson_skip_{slug}", on_click=_reveal
            )
