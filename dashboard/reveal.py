"""Predict first, then reveal: the Compare page holds its results back until the room has guessed.

With "Predict first" on (a toggle on the Compare page, bound to the URL as ``predict_first``;
opening a lesson's pair turns it on), a comparison not yet revealed shows only its setup (what
differs between A and B), the question, and a tally of the room's guesses (a count per option,
+1 / -1 buttons). Nothing is simulated until "Reveal"; then the results are drawn as usual, with
the room's tally beside them. Both the tally and the revealed comparisons live in the session.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.common import esc
from sim.experiment.levers import LEVERS
from sim.report.charts import SIDE_COLORS

TOGGLE = "predict_first"
REVEALED = "revealed_comparisons"  # session state: set of comparison ids shown
TALLY = "room_tally"  # session state: {comparison id: {option: count}}
OPTIONS: tuple[tuple[str, str], ...] = (
    ("A", "Side A ends up better off"),
    ("B", "Side B ends up better off"),
    ("same", "About the same"),
)

CSS = """
<style>
.reveal-q { font-size: 1.7rem; font-weight: 800; margin: 0.6rem 0 0.4rem 0; }
.reveal-setup { font-size: 1.2rem; margin: 0.2rem 0 0.8rem 0; }
.reveal-setup td, .reveal-setup th { padding: 0.25rem 0.9rem 0.25rem 0; text-align: left; }
.reveal-count { font-size: 3rem; font-weight: 800; line-height: 1.1; }
.reveal-option { font-size: 1.2rem; font-weight: 700; }
</style>
"""


def predict_first_toggle() -> bool:
    """The Compare page's "Predict first" switch (URL-bound)."""
    return st.toggle(
        "Predict first",
        key=TOGGLE,
        bind="query-params",
        help="hide the results until the room has guessed which side does better, then Reveal",
    )


def differences(sides: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(lever title, A's value, B's value) for every workshop lever the two sides set apart."""
    rows = []
    for lever in LEVERS:
        values = [_shown(lever, sides[s].scenario) for s in ("A", "B")]
        if values[0] != values[1]:
            rows.append((lever.title, *values))
    return rows


def _shown(lever: Any, scenario: Any) -> str:
    value = functools.reduce(getattr, lever.key.split("."), scenario)
    if lever.kind == "choice":
        return lever.choice_label(value)
    if lever.kind == "toggle":
        return "yes" if value else "no"
    shown = lever.to_display(value)
    if lever.kind == "steps" or not lever.unit:
        return str(shown)
    unit = lever.unit.split(" ")[0]  # "% of requests" -> "%"; "months ahead" -> "months"
    return f"{shown:g}%" if unit == "%" else f"{shown:g} {unit}"


def tally(comparison: str) -> dict[str, int]:
    counts = st.session_state.setdefault(TALLY, {})
    return counts.setdefault(comparison, {key: 0 for key, _ in OPTIONS})


def revealed(comparison: str) -> bool:
    return comparison in st.session_state.setdefault(REVEALED, set())


def gate(comparison: str, sides: Mapping[str, Any], months: int) -> None:
    """Draw the setup, the question and the tally, and stop the page until "Reveal"."""
    st.markdown(CSS, unsafe_allow_html=True)
    counts = tally(comparison)
    rows = differences(sides)
    with st.container(key="reveal"):
        st.markdown(
            f'<div class="reveal-q">After {months} months, which side is better off?</div>',
            unsafe_allow_html=True,
        )
        if rows:
            body = "".join(
                f"<tr><td>{esc(title)}</td><td><b style='color:{SIDE_COLORS['A']}'>{esc(a)}</b>"
                f"</td><td><b style='color:{SIDE_COLORS['B']}'>{esc(b)}</b></td></tr>"
                for title, a, b in rows
            )
            st.markdown(
                '<table class="reveal-setup"><tr><th>What differs</th><th>Side A</th>'
                f"<th>Side B</th></tr>{body}</table>",
                unsafe_allow_html=True,
            )
        else:
            st.markdown("Both sides are set up the same way.")
        st.markdown("**The room's guesses** (count the hands):")
        cols = st.columns(len(OPTIONS))
        for col, (key, label) in zip(cols, OPTIONS, strict=True):
            with col:
                st.markdown(
                    f'<div class="reveal-option">{esc(label)}</div>'
                    f'<div class="reveal-count" data-option="{key}">{counts[key]}</div>',
                    unsafe_allow_html=True,
                )
                plus, minus = st.columns(2)
                plus.button("+1", key=f"tally_plus_{key}", on_click=_add, args=(counts, key, 1))
                minus.button("−1", key=f"tally_minus_{key}", on_click=_add, args=(counts, key, -1))
        st.button(
            "Reveal",
            type="primary",
            key="reveal_now",
            on_click=_reveal,
            args=(comparison,),
            help="simulate both sides now and show the results beside the room's guesses",
        )
    st.stop()


def room_line(comparison: str, results: Mapping[str, Any]) -> str | None:
    """The room's guesses beside what happened (None when the room guessed nothing)."""
    counts = st.session_state.get(TALLY, {}).get(comparison)
    if not counts or not any(counts.values()):
        return None
    guessed = " · ".join(f"{label}: {counts[key]}" for key, label in OPTIONS)
    a, b = (results[s].summary.get("survival_rate") for s in ("A", "B"))
    if a is None or b is None:
        outcome = ""
    elif abs(a - b) < 0.05:
        outcome = f" Result: about the same share survive ({a:.0%} vs {b:.0%})."
    else:
        better = "A" if a > b else "B"
        outcome = (
            f" Result: side {better} survives more often ({max(a, b):.0%} against {min(a, b):.0%})."
        )
    return f"The room guessed — {guessed}.{outcome}"


def _add(counts: dict[str, int], key: str, step: int) -> None:
    counts[key] = max(0, counts[key] + step)


def _reveal(comparison: str) -> None:
    st.session_state.setdefault(REVEALED, set()).add(comparison)
