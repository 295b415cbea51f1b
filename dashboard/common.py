"""Shared pieces of the dashboard pages: the page context, the engine, cached results, the
projector style."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from dashboard.engine import SERVER_MODULES, Engine, SideResult, aggregate, run_job, settle_heap
from sim.config import Scenario
from sim.report.charts import SIDE_COLORS

if TYPE_CHECKING:
    from dashboard.controls import Side


@dataclass(frozen=True)
class PageContext:
    """What every page is given by app.py: the sides the sidebar set up, the shared ensemble size
    and horizon, and the registered pages (``st.Page``) by name, for links between pages."""

    sides: Mapping[str, Side]
    seeds: int
    months: int
    pages: Mapping[str, Any] = field(default_factory=dict)


WORKERS_ENV = "SIM_DASHBOARD_WORKERS"
"""Worker processes for runs (default: one per CPU; 0 runs them inline, as the tests do)."""


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """One engine (worker pool and run store) per server process, shared by every session."""
    raw = os.environ.get(WORKERS_ENV)
    workers = int(raw) if raw not in (None, "") else max(1, os.cpu_count() or 1)
    eng = Engine(workers=workers)
    eng.warm_up(wait=False)
    settle_heap(SERVER_MODULES)  # once per server: the imports' objects out of every collection
    return eng


@st.cache_data(show_spinner=False, max_entries=512)
def side_result(scenario_key: str, scenario_json: str, seeds: int) -> SideResult:
    """Bands and summaries of the first ``seeds`` runs of a scenario, cached on its canonical JSON.

    The runs themselves come from the engine's store (the refine loop has computed them).
    """
    return aggregate(
        Scenario.model_validate_json(scenario_json), engine().store.runs(scenario_key, seeds)
    )


@st.cache_data(show_spinner=False, max_entries=256)
def one_run(scenario_key: str, scenario_json: str, seed: int) -> Any:
    """One run, cached on the scenario's canonical JSON and the seed (reuses the ensemble's run),
    with the loop attribution for a death (its counterfactual run is made here, on demand)."""
    run = engine().store.get(scenario_key, seed)
    if run is not None and run.summary.get("survived") and not run.events.empty:
        return run  # (a run from the disk store has no events: the story needs them)
    return run_job(scenario_json, seed, attribute=True)


@st.cache_data(show_spinner=False, max_entries=64)
def side_causes(scenario_key: str, scenario_json: str, seeds: int) -> tuple[Any, ...]:
    """The causes of death of one side's ``seeds`` companies, ranked by how much they separate
    its deaths from its survivors (``sim.analysis.debrief.separate_causes``). The runs come from
    the engine's store; the missing ones are computed first."""
    from dashboard.engine import Job
    from sim.analysis.debrief import explain_run, separate_causes

    eng = engine()
    if eng.store.count(scenario_key, seeds) < seeds:
        for _ in eng.refine([Job("X", scenario_key, scenario_json)], seeds):
            pass
    return separate_causes([explain_run(run) for run in eng.store.runs(scenario_key, seeds)])


@st.cache_data(show_spinner=False, max_entries=128)
def counterfactual_series(scenario_json: str, seed: int) -> pd.DataFrame:
    """The same company in the same market (same seed) with the pressure link cut."""
    from sim.experiment.runner import counterfactual

    return counterfactual(Scenario.model_validate_json(scenario_json), seed).series


PLOTLY_CONFIG: dict[str, Any] = {
    "displayModeBar": "hover",  # one button, on hover: a PNG of the chart for a slide
    "modeBarButtons": [["toImage"]],
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2, "filename": "sim-chart"},
    "responsive": True,
}
"""Charts show a single 'Download plot as a png' button when the pointer is over them (2x scale,
sharp on a slide); no zoom or pan buttons to get lost in front of a room."""

CSS = f"""
<style>
/* Projector legibility: big, bold, high contrast. */
[data-testid="stTopNavLink"] p, [data-testid="stTopNavLink"] span {{ font-size: 1.25rem !important;
    font-weight: 600; }}
/* Wide enough for A and B side by side; only while open, so collapsing really hides it. */
[data-testid="stSidebar"][data-collapsed="false"] {{ min-width: clamp(20rem, 30vw, 34rem); }}
/* Charts two a row; one a row only on a narrow screen (a tablet held upright). */
.st-key-charts [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
.st-key-charts [data-testid="stColumn"] {{ min-width: min(100%, 20rem); }}
.kpi-grid {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr));
    gap: 0.6rem;
             margin-bottom: 0.4rem; }}
[data-testid="stSidebar"] [data-testid="stWidgetLabel"] p {{ font-size: 1.0rem; font-weight: 650;
    line-height: 1.25; }}
[data-testid="stMain"] [data-testid="stWidgetLabel"] p {{ font-size: 1.05rem; font-weight: 650; }}
/* A switch's label wraps instead of ending in "…" (the sidebar, the Play page's form); in the
   sidebar's narrow columns it goes above its switch, as the other controls' labels do. */
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] .stMarkdownEllipsis,
[data-testid="stCheckbox"] [data-testid="stWidgetLabel"] .stMarkdownEllipsis p {{
    white-space: normal; overflow: visible; text-overflow: clip; }}
[data-testid="stSidebar"] [data-testid="stCheckbox"] label {{ flex-wrap: wrap; }}
[data-testid="stSidebar"] [data-testid="stCheckbox"] label [data-testid="stWidgetLabel"] {{
    order: -1; flex: 1 0 100%; margin-bottom: 0.3rem; }}
/* An expander in a sidebar column ("More levers") keeps its controls nearly as wide as the
   column's others (its 1rem padding left 59 px for a select box's value at 1280 x 720). */
[data-testid="stSidebar"] [data-testid="stExpanderDetails"] {{ padding-left: 0.3rem;
    padding-right: 0.3rem; }}
/* A sidebar select box too narrow for its value says so with "…" (its help has the values). */
[data-testid="stSidebar"] [data-testid="stSelectbox"] input {{ text-overflow: ellipsis; }}
[data-testid="stSliderThumbValue"] {{ font-size: 1.05rem; font-weight: 750; }}
[data-testid="stSliderTickBarMin"], [data-testid="stSliderTickBarMax"] {{ font-size: 0.9rem; }}
[data-testid="stMainBlockContainer"] {{ padding: 3.2rem 1.6rem 4rem 1.6rem; max-width: 100%; }}
.side-head {{ font-size: 2.0rem; font-weight: 800; color: white; border-radius: 0.4rem;
              padding: 0.1rem 0.8rem; margin-bottom: 0.4rem; text-align: left; }}
.side-a {{ background: {SIDE_COLORS["A"]}; }}
.side-b {{ background: {SIDE_COLORS["B"]}; }}
.vs-title {{ font-size: 2.1rem; font-weight: 800; line-height: 1.2; margin: 0 0 0.4rem 0; }}
.vs-title .a {{ color: {SIDE_COLORS["A"]}; }} .vs-title .b {{ color: {SIDE_COLORS["B"]}; }}
.vs-title .a, .vs-title .b {{ display: inline-block; }}  /* "B:" never ends a line alone */
.status {{ font-size: 1.05rem; color: #333; margin-bottom: 0.6rem; }}
.kpi {{ border: 2px solid #C8CDD4; border-radius: 0.6rem; padding: 0.6rem 0.9rem;
    background: #FAFBFC; height: 100%; }}
.kpi-label {{ font-size: 1.05rem; font-weight: 700; color: #222; margin-bottom: 0.3rem; }}
.kpi-row {{ display: flex; flex-wrap: wrap; align-items: baseline; column-gap: 0.5rem;
    line-height: 1.15; }}
.kpi-side {{ font-weight: 800; font-size: 1.2rem; min-width: 1.2rem; }}
.kpi-value {{ font-weight: 800; font-size: 2.0rem; white-space: nowrap; }}
.kpi-detail {{ font-size: 0.85rem; color: #444; }}
.kpi .a {{ color: {SIDE_COLORS["A"]}; }} .kpi .b {{ color: {SIDE_COLORS["B"]}; }}
.kpi-diff {{ margin-top: 0.35rem; font-size: 1.1rem; font-weight: 700; color: #111;
             border-top: 1px solid #C8CDD4; padding-top: 0.25rem; }}
.nowrap {{ white-space: nowrap; }}
/* An open select box's list is at least 26rem wide, room for the longest scenario name: in
   the narrow sidebar columns the list took the box's width and cut names ("Commission on day
   one, long r"). Streamlit draws the list as a fixed layer sized by --trigger-width around a
   virtual list of a fixed pixel width. */
div[style*="--trigger-width"] {{ min-width: 26rem !important; }}
div[style*="--trigger-width"] div[style*="height"][style*="position: relative"] {{
    width: 100% !important; }}
/* the other side's note, copied invisibly so both sides' controls stay on the same rows */
[class*="st-key-note_spacer_"], [class*="st-key-note_spacer_"] * {{
    visibility: hidden !important; }}
.legend {{ font-size: 1.05rem; margin: 0.4rem 0 0.2rem 0; }}
.legend-key {{ margin-top: 0.15rem; }}
.legend-key .nowrap {{ margin-right: 1.4rem; }}
.legend .swatch {{ display: inline-block; width: 2.2rem; height: 0.45rem; vertical-align: middle;
    margin: 0 0.3rem 0 0.9rem; }}
.story p {{ font-size: 1.05rem; margin: 0.1rem 0; }}
.room-line {{ font-size: 1.2rem; font-weight: 700; border-left: 0.4rem solid #555;
             padding: 0.3rem 0.9rem; background: #F3F4F6; margin: 0.2rem 0 0.6rem 0; }}
/* A 1280 x 720 projector: compact cards, less padding, so charts start above the fold. */
@media (max-width: 1500px) {{
  [data-testid="stMainBlockContainer"] {{ padding: 2.6rem 1.0rem 3rem 1.0rem; }}
  .vs-title {{ font-size: 1.7rem; }}
  .kpi {{ padding: 0.4rem 0.6rem; }}
  .kpi-label {{ font-size: 0.95rem; margin-bottom: 0.1rem; }}
  .kpi-value {{ font-size: 1.5rem; }}
  .kpi-side {{ font-size: 1.0rem; }}
  .kpi-detail {{ font-size: 0.8rem; }}
  .kpi-diff {{ font-size: 0.9rem; margin-top: 0.2rem; }}
  .kpi-grid {{ grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 0.4rem; }}
  .legend {{ font-size: 0.95rem; }}
  [data-testid="stSidebar"] [data-testid="stSelectbox"] input {{ font-size: 0.8rem;
      padding-left: 0.3rem; padding-right: 0.1rem; }}
}}
/* The Compare page's five cards in one row where the main area is 700-1050 px wide (1280 x 720
   with the sidebar open: 858 px, where the grid above put the fifth card on a row of its own):
   smaller type, and a value may wrap ("27 of 32 / died"). A container query: the width that
   counts is the main area's, whether the sidebar is open or not. */
.kpi-five {{ container-type: inline-size; }}
@container (min-width: 700px) and (max-width: 1050px) {{
  .kpi-five .kpi-grid {{ grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 0.35rem; }}
  .kpi-five .kpi {{ padding: 0.35rem 0.45rem; }}
  .kpi-five .kpi-label {{ font-size: 0.85rem; line-height: 1.25; }}
  .kpi-five .kpi-value {{ font-size: 1.3rem; white-space: normal; }}
  .kpi-five .kpi-side {{ font-size: 0.9rem; min-width: 0.9rem; }}
  .kpi-five .kpi-detail {{ font-size: 0.75rem; }}
  .kpi-five .kpi-diff {{ font-size: 0.85rem; }}
}}
.st-key-present {{ display: flex; flex-direction: row; justify-content: flex-end;
    margin-bottom: -2.4rem; z-index: 5; }}
/* The Compare page's title row (a container keyed "title-row"): the "Predict first" switch
   (reveal.py) in a column as wide as its label, the title in the rest of the row (a sixth of
   the row truncated the label to "Pred..." at 1280 x 720). Plain descendant selectors, no
   :has(): a :has() rule is re-checked on every change below it, and the charts redraw
   thousands of SVG nodes at every stage (style recalculation was 1.0-1.3 s of the browser's
   time per slider move, 0.2-0.3 s without). The switch's column starts 1rem down, under
   "Presentation" (.st-key-present pulls this row up under it): centred beside a one-line
   title the two switches overlapped. */
.st-key-title-row [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap; }}
.st-key-title-row [data-testid="stColumn"] {{ flex: 1 1 0; width: auto; min-width: 0; }}
.st-key-title-row [data-testid="stColumn"]:last-child {{ flex: 0 0 auto;
    min-width: max-content; padding-top: 1.0rem; }}
</style>
"""


PRESENT_CSS = """<style>
/* Presentation mode: no controls on screen, the whole width for the results. */
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
</style><div class="sim-present"></div>"""


def apply_style() -> None:
    """The projector style sheet, once per page run."""
    st.markdown(CSS, unsafe_allow_html=True)


def presentation_toggle() -> bool:
    """'Presentation' in the top right of every page: hides the controls (the sidebar) so the
    room sees the results at full width; bound to the URL (``present``) like every control."""
    with st.container(key="present"):
        on = st.toggle(
            "Presentation",
            key="present_mode",
            help="Hide the controls so the room sees only the results. Switch off to edit.",
            bind="query-params",
        )
    if on:
        # Only while on, instead of a body:has(.sim-present) rule that every DOM change re-checks.
        st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    return on


def vs_title(sides: Mapping[str, Side]) -> None:
    """The page title: side A's label vs side B's, in their colours."""
    a, b = sides["A"], sides["B"]
    st.markdown(
        f'<div class="vs-title"><span class="a">{esc(a.label)}</span> &nbsp;vs&nbsp; '
        f'<span class="b">{esc(b.label)}</span></div>',
        unsafe_allow_html=True,
    )


def esc(text: str) -> str:
    """``text`` escaped for HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
