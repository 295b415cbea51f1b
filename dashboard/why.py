"""The One-run page's "Why did it end this way?" panel: the run's causal debrief
(sim.analysis.debrief).

Every line is a month and a plain-language claim with the number behind it, read from the run's
own series and events by ``sim.analysis.debrief.explain_run``; nothing is computed here.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.common import esc
from sim.analysis.debrief import CAUSES, explain_run

CSS = """
<style>
.why-head { font-size: 1.35rem; font-weight: 750; margin: 0.2rem 0 0.5rem 0; }
.why-line { display: flex; gap: 1rem; font-size: 1.2rem; line-height: 1.45; margin: 0.25rem 0;
            padding: 0.3rem 0; border-bottom: 1px solid #E1E4E8; }
.why-month { flex: 0 0 6.5rem; font-weight: 800; white-space: nowrap; }
.why-line.spiral, .why-line.cash_out { background: #FDECEC; }
.why-short { font-size: 1.25rem; font-weight: 700; margin-top: 0.6rem; }
</style>
"""


def why_panel(result: Any, name: str, color: str = "#111") -> None:
    """Draw the debrief of one run (a ``RunResult``) under the heading "Why did it end this
    way?"."""
    st.subheader("Why did it end this way?")
    try:
        debrief = explain_run(result, name)
    except (KeyError, ValueError) as err:  # a run without the series the debrief reads
        st.info(f"No debrief for this run ({err}).")
        return
    if debrief.survived:
        head = f"Still alive after all {debrief.months_run} months."
    else:
        head = f"Ran out of cash in month {debrief.month_of_death}."
    head += (
        f" The death spiral took hold in month {debrief.spiral_onset_month}."
        if debrief.spiral
        else " No death spiral in its numbers."
    )
    if debrief.counterfactual:
        head += " " + debrief.counterfactual
    lines = "".join(
        f'<div class="why-line {esc(line.kind)}"><span class="why-month" style="color:{color}">'
        f"Month {line.month}</span><span>{esc(line.text)}</span></div>"
        for line in debrief.lines
    )
    short = ""
    if not debrief.survived and debrief.causes:
        short = (
            '<div class="why-short">Why it died, in short: '
            + esc("; ".join(CAUSES[c] for c in debrief.causes))
            + ".</div>"
        )
    st.markdown(
        CSS + f'<div class="why" data-why-lines="{len(debrief.lines)}">'
        f'<div class="why-head">{esc(head)}</div>{lines}{short}</div>',
        unsafe_allow_html=True,
    )
