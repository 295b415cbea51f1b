"""The One-run page's "Why did it end this way?" panel: the run's causal debrief
(sim.analysis.debrief).

Every line is a month and a plain-language claim with the number behind it, read from the run's
own series and events by ``sim.analysis.debrief.explain_run``; nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.common import esc
from sim.analysis.debrief import (
    CAUSES,
    LINE_CAUSES,
    CauseSeparation,
    Debrief,
    explain_run,
    first_domino,
)

CSS = """
<style>
.why-head { font-size: 1.35rem; font-weight: 750; margin: 0.2rem 0 0.5rem 0; }
.why-line { display: flex; gap: 1rem; font-size: 1.2rem; line-height: 1.45; margin: 0.25rem 0;
            padding: 0.3rem 0; border-bottom: 1px solid #E1E4E8; }
.why-month { flex: 0 0 6.5rem; font-weight: 800; white-space: nowrap; }
.why-line.spiral, .why-line.cash_out { background: #FDECEC; }
.why-short { font-size: 1.2rem; font-weight: 700; margin: 0.4rem 0; }
.why-short ol { margin: 0.2rem 0 0.2rem 1.2rem; font-weight: 600; }
.why-domino { font-size: 1.15rem; font-weight: 700; margin: 0.2rem 0 0.4rem 0; }
.why-common { font-size: 1.0rem; color: #444; margin-bottom: 0.6rem; }
</style>
"""


def why_panel(
    result: Any,
    name: str,
    color: str = "#111",
    ranking: Sequence[CauseSeparation] = (),
    side_runs: int = 0,
) -> None:
    """Draw the debrief of one run (a ``RunResult``) under the heading "Why did it end this
    way?". ``ranking``: the causes of death across the run's side (``separate_causes`` over its
    ``side_runs`` companies), so the run's own causes are listed by how much they tell deaths
    from survivors, the first domino named, and causes that survivors show just as often set
    apart."""
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
    head += " " + _spiral_sentence(debrief)
    if debrief.counterfactual:
        head += " " + debrief.counterfactual
    short = _in_short(debrief, ranking, side_runs) if not debrief.survived else ""
    lines = "".join(
        f'<div class="why-line {esc(line.kind)}"><span class="why-month" style="color:{color}">'
        f"Month {line.month}</span><span>{esc(line.text)}</span></div>"
        for line in debrief.lines
    )
    st.markdown(
        CSS + f'<div class="why" data-why-lines="{len(debrief.lines)}">'
        f'<div class="why-head">{esc(head)}</div>{short}{lines}</div>',
        unsafe_allow_html=True,
    )
    if ranking:
        with st.expander(f"Causes of death across this side's {side_runs} companies"):
            st.dataframe(
                pd.DataFrame(
                    {
                        "cause": [c.label for c in ranking],
                        "in the deaths": [f"{c.deaths_share:.0%}" for c in ranking],
                        "in the survivors": [
                            "—" if c.survivors_share is None else f"{c.survivors_share:.0%}"
                            for c in ranking
                        ],
                        "tells them apart by (points)": [
                            round(100 * c.separation) for c in ranking
                        ],
                    }
                ),
                hide_index=True,
                width="stretch",
            )


LOOP_LINKS = ("custom_work", "fit_behind", "win_rate_drop", "pressure_hiring")


def _spiral_sentence(debrief: Debrief) -> str:
    if debrief.spiral:
        return f"The death spiral took hold in month {debrief.spiral_onset_month}."
    shown = [kind for kind in LOOP_LINKS if debrief.line(kind) is not None]
    if len(shown) >= 3:
        return (
            "Links of the loop show below, but not one after the other as a spiral (custom "
            "work first, then fit, then the win rate, then pressure and a new wave of custom "
            "work), so the spiral's signature is not counted here."
        )
    return "No death spiral in its numbers."


def _in_short(debrief: Debrief, ranking: Sequence[CauseSeparation], side_runs: int) -> str:
    mine = set(debrief.causes)
    if not ranking:
        if not mine:
            return ""
        text = "; ".join(CAUSES[c] for c in CAUSES if c in mine)
        return f'<div class="why-short">Why it died, in short: {esc(text)}.</div>'
    telling = [c for c in ranking if c.cause in mine and c.separation > 0]
    common = [c for c in ranking if c.cause in mine and c.separation <= 0]
    items = "".join(
        f"<li><b>{esc(c.label)}</b>: in {c.deaths_share:.0%} of this side's deaths"
        + ("" if c.survivors_share is None else f", {c.survivors_share:.0%} of its survivors")
        + "</li>"
        for c in telling
    )
    out = (
        f'<div class="why-short">Why it died, in short (most telling first, across this '
        f"side's {side_runs} companies):<ol>{items}</ol></div>"
        if telling
        else ""
    )
    domino = first_domino(debrief, ranking)
    if domino is not None:
        out += (
            f'<div class="why-domino">First domino: month {domino.month}, '
            f"{esc(CAUSES[LINE_CAUSES[domino.kind]])}.</div>"
        )
    if common:
        out += (
            '<div class="why-common">Also in this run, but as common among the survivors: '
            + esc("; ".join(c.label for c in common))
            + ".</div>"
        )
    return out
