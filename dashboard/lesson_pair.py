"""Load a lesson's scenario pair into the sidebar's sides A and B (no model logic, no drawing).

The sidebar (controls.py) picks each side's scenario with its "Start from" select box, keyed
``a_base`` / ``b_base`` and bound to the URL; the lessons' files (``scenarios/lessons/``) are
among its options. ``open_pair`` sets both boxes the way picking them by hand does (and resets
each side's levers to the file's values), and sets the shared horizon and ensemble size to the
lesson's, so the URL then carries the whole pair. It is a button callback: it runs before the
sidebar's widgets are drawn, the only moment their state may be set.

A lesson whose file lies outside ``scenarios/`` is loaded the way an uploaded file is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from dashboard.controls import (
    MONTH_OPTIONS,
    SCENARIO_DIR,
    SEED_OPTIONS,
    UPLOADED,
    base_scenarios,
    encode_upload,
    on_base_change,
    reset_levers,
    widget_key,
)
from dashboard.reveal import TOGGLE

OPENED_KEY = "lesson_opened"
"""Session state: the slug of the lesson whose pair was last opened on the Compare page."""


def option_for(path: Path) -> str | None:
    """The "Start from" option of a scenario file (``"lessons/alignment_a"``), or None."""
    try:
        relative = Path(path).resolve().relative_to(SCENARIO_DIR.resolve())
    except ValueError:
        return None
    option = relative.with_suffix("").as_posix()
    bases, _ = base_scenarios()
    return option if option in bases else None


def _load_side(side: str, path: Path, scenario: Any) -> None:
    option = option_for(path)
    lower = side.lower()
    if option is not None:
        st.session_state[widget_key(side, "base")] = option
        on_base_change(side)
        return
    yaml_text = scenario.to_yaml()  # not in scenarios/: travel as an uploaded file does
    st.session_state[f"{lower}_uploaded_yaml"] = yaml_text
    st.session_state[f"{lower}_upload_name"] = Path(path).name
    st.query_params[f"{lower}_upload"] = encode_upload(yaml_text)
    st.session_state[widget_key(side, "base")] = UPLOADED
    reset_levers(side, scenario)


def open_pair(lesson: Any) -> None:
    """Button callback: side A := the lesson's scenario_a, side B := its scenario_b."""
    _load_side("A", lesson.scenario_a_path, lesson.scenario_a)
    _load_side("B", lesson.scenario_b_path, lesson.scenario_b)
    if lesson.scenario_a.months in MONTH_OPTIONS:
        st.session_state["months"] = lesson.scenario_a.months
    if lesson.scenario_a.seeds in SEED_OPTIONS:
        st.session_state["seeds"] = lesson.scenario_a.seeds
    st.session_state[OPENED_KEY] = lesson.slug
    st.session_state[TOGGLE] = True  # the room predicts before the pair is revealed
