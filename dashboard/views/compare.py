"""Compare page: sides A and B as ensembles, drawn at once from a few runs and refined to all.

Runs are computed in worker processes (dashboard/engine.py) and kept per (scenario, seed); the
bands and summaries are cached with ``st.cache_data`` on the scenario's canonical JSON. While
runs are still coming in, the page shows what it has and says so; a new slider move stops the
refinement at once (Streamlit interrupts the script) and starts on the new comparison.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import reveal
from dashboard.common import PLOTLY_CONFIG, PageContext, engine, esc, side_result, vs_title
from dashboard.controls import LIVE_FRAGMENT, LIVE_PREFETCH, Side, page_sides, scenario_key
from dashboard.engine import DEFAULT_STAGES, Job, Stage, Tick
from sim.analysis.summaries import attribution_rates
from sim.analysis.units import half_up
from sim.config.hints import one_line
from sim.experiment.levers import IDLE_CUSTOM_SHARE
from sim.experiment.runner import attributed, cut_link, seeds_to_attribute
from sim.report.charts import (
    COMPARE_ORDER,
    SIDE_COLORS,
    Kpi,
    compare_figure,
    kpis,
    results_table,
)

BUDGET_ENV = "SIM_DASHBOARD_BUDGET_S"
DEFAULT_BUDGET_S = 180.0
"""Most seconds one comparison refines for (a session's time budget on the shared workers);
past it the page keeps the ensemble drawn so far and says so."""


def comparison_budget() -> float:
    """The time budget of one comparison, in seconds (``SIM_DASHBOARD_BUDGET_S`` overrides)."""
    try:
        return max(0.0, float(os.environ.get(BUDGET_ENV, DEFAULT_BUDGET_S)))
    except ValueError:
        return DEFAULT_BUDGET_S


STAGES_ENV = "SIM_DASHBOARD_STAGES"


def refine_stages() -> tuple[int, ...]:
    """Runs per side drawn before all of them (``SIM_DASHBOARD_STAGES``, e.g. ``4,12``; default
    ``engine.DEFAULT_STAGES``)."""
    raw = os.environ.get(STAGES_ENV, "")
    try:
        stages = tuple(int(x) for x in raw.replace(" ", "").split(",") if x)
    except ValueError:
        stages = ()
    return stages or DEFAULT_STAGES


TICK_EVERY_S = 0.4
"""Fastest the "Simulating… n of N companies ready" line is redrawn. Every redraw is a delta the
browser renders (a React pass over the page); a line per finished run was ~60 of them per move,
competing with the charts for the browser's time."""


TOP_ROW = 2
"""Charts in the page's top row (``COMPARE_ORDER``'s first two: survival and cash)."""

TOP_ROW_HEAD_START_S = 0.03
"""How long after the top row's charts the rest of a new comparison's first charts are sent.

The browser draws the Streamlit deltas that arrive together in one React pass: when all nine
charts of the first stage came in one burst (~30 ms of sending), Chromium mounted all nine
plots (each drawn twice by Streamlit's chart component) in one long task of 300-1300 ms before
the top row showed, and the page's timer could not see the cash chart until it ended. With the
cards and the top row sent on their own and the rest this long after, the browser draws them
first: cash chart received to cash chart drawn, medians of 7 moves at load 5, 445 ms in one
burst, 106-153 ms with a head start of 25 to 100 ms (this 30 ms: 128 and 153 ms); release to
first redraw 631 ms -> 372-471 ms (benchmarks/README.md, "redraw"). Only the first picture of a
script run waits (a refined stage's charts replace dimmed ones already drawn)."""

WAITING = "each death is rerun with the loop cut once every run is in"
STOPPED = "not measured: the comparison stopped early"
"""What the loop card says while it has no number (``kpis(loop_pending=...)``)."""


def idle_custom_note(summaries: Mapping[str, Mapping]) -> str:
    """A sentence for the sides that did almost no custom work, or "" (``IDLE_CUSTOM_SHARE``)."""
    idle = [
        (side, float(summary["mean_custom_share"]))
        for side, summary in summaries.items()
        if summary.get("mean_custom_share") is not None
        and float(summary["mean_custom_share"]) < IDLE_CUSTOM_SHARE
    ]
    if not idle:
        return ""
    who = " and ".join(f"{side} ({share:.1%} of engineering)" for side, share in idle)
    if len(idle) == 1:
        return (
            f" Side {who} did almost no custom work: its custom-work sliders have little to act on."
        )
    return (
        f" Sides {who} did almost no custom work: their custom-work sliders have little to act on."
    )


RESULTS_FRAGMENT = "compare-results"
"""The fragment that draws the whole page below the navigation: its own widgets ("Predict
first") rerun only it, and so does a lever's move in the sidebar that changes nothing else there
(``dashboard.controls.LIVE_FRAGMENT``, ``FRAGMENT_RERUNS_ENV``)."""


def compare_page(ctx: PageContext) -> None:
    """The Compare page: both sides as ensembles, refined from a few runs to all."""
    st.session_state[LIVE_FRAGMENT] = RESULTS_FRAGMENT
    st.session_state[LIVE_PREFETCH] = prefetch
    compare_results(ctx)


def session_owner() -> str:
    """This browser session's id: whose prefetched runs a comparison takes over."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def prefetch(sides: Mapping[str, Side]) -> None:
    """Ask for the first stage's runs of the comparison ``sides`` describe (a lever's callback,
    ``controls.LIVE_PREFETCH``): the workers start on them while the script draws the sidebar,
    and the page's ``refine`` takes them over."""
    jobs = [Job(s, sides[s].key, sides[s].json) for s in ("A", "B")]
    engine().prefetch(jobs, sides["A"].scenario.seeds, refine_stages(), owner=session_owner())


@st.fragment(key=RESULTS_FRAGMENT)
def compare_results(ctx: PageContext) -> None:
    """Everything the Compare page shows, as a fragment (see ``RESULTS_FRAGMENT``); in a
    fragment rerun the sides come from the widgets' state (``controls.page_sides``)."""
    sides = page_sides(ctx.sides)
    seeds, months = sides["A"].scenario.seeds, sides["A"].scenario.months

    COMPARISON = hashlib.sha1(
        (sides["A"].key + "|" + sides["B"].key + f"|{seeds}").encode()
    ).hexdigest()[:12]

    with st.container(key="title-row"):  # laid out by common.CSS (.st-key-title-row)
        title_col, toggle_col = st.columns([5, 1], vertical_alignment="center")
        with title_col:
            vs_title(sides)
        with toggle_col:
            predict_first = reveal.predict_first_toggle()
    if predict_first and not reveal.revealed(COMPARISON):
        reveal.gate(COMPARISON, sides, months)  # stops the page until "Reveal"
    room = st.empty()
    status = st.empty()
    kpi_box = st.container(key="kpis")
    st.markdown(
        '<div class="legend">How to read the charts: the line is the typical (median) company, the '
        "shaded band "
        "holds the middle 80% of the simulated companies, and ✕ marks the month a company ran out "
        "of cash. A − B differences are paired: both sides face the same markets and luck, seed by "
        "seed."
        # the key on a line of its own, each swatch with its label unbroken (at 1920 "B:" and
        # "Product-led" were split; inline after the text, B's swatch wrapped alone)
        '<div class="legend-key">'
        f'<span class="nowrap"><span class="swatch" style="background:{SIDE_COLORS["A"]}"></span>'
        f"<b>{esc(sides['A'].label)}</b></span> "
        f'<span class="nowrap"><span class="swatch" style="background:{SIDE_COLORS["B"]}"></span>'
        f"<b>{esc(sides['B'].label)}</b></span></div></div>",
        unsafe_allow_html=True,
    )
    boxes = {"kpis": kpi_box}
    with st.container(
        key="charts"
    ):  # two charts a row; one a row on a narrow screen (see common.CSS)
        for i in range(0, len(COMPARE_ORDER), 2):
            cols = st.columns(2, gap="medium")
            for col, name in zip(cols, COMPARE_ORDER[i : i + 2]):
                boxes[name] = col.container(key=f"chart-{name}")  # stable: .st-key-chart-<name>
    downloads = st.container()
    slots: dict = {}
    drawn: list[int] = []  # the stages drawn so far in this script run

    def slot(name: str):
        """The placeholder of a chart (or the KPI cards), made when first drawn into.

        Until then the box still holds what the previous run drew, which Streamlit shows faded as
        stale: the room sees the old comparison, dimmed, rather than a blank page while the new one
        computes. An ``st.empty`` made up front would blank it at once.
        """
        if name not in slots:
            slots[name] = boxes[name].empty()
        return slots[name]

    def render_kpis(results: dict, loop: Mapping | None = None, pending: str = WAITING) -> None:
        """The cards; ``loop``: each side's attributed run summaries and rates, once the deaths
        have been rerun with the loop cut (until then the loop card says ``pending``)."""
        summary = {s: results[s].summary for s in ("A", "B")}
        runs = {s: results[s].summaries.to_dict("records") for s in ("A", "B")}
        if loop is not None:
            summary = {s: summary[s] | loop[s][1] for s in summary}
            runs = {s: loop[s][0] for s in runs}
        cards = kpis(
            summary["A"],
            summary["B"],
            runs["A"],  # same seeds on both sides: paired
            runs["B"],
            loop_pending=pending if loop is None else None,
        )
        html = []
        for card in shown_cards(cards, summary["A"], summary["B"]):
            html.append(
                f'<div class="kpi" data-kpi="{card.key}"><div '
                f'class="kpi-label">{esc(card.label)}</div>'
                f'<div class="kpi-row"><span class="kpi-side a">A</span><span class="kpi-value '
                f'a">{card_text(card.a)}</span>'
                f'<span class="kpi-detail">{card_text(card.a_detail)}</span></div>'
                f'<div class="kpi-row"><span class="kpi-side b">B</span><span class="kpi-value '
                f'b">{card_text(card.b)}</span>'
                f'<span class="kpi-detail">{card_text(card.b_detail)}</span></div>'
                f'<div class="kpi-diff">A − B: {card_text(card.diff)}</div></div>'
            )
        slot("kpis").markdown(
            '<div class="kpi-five"><div class="kpi-grid">' + "".join(html) + "</div></div>",
            unsafe_allow_html=True,
        )

    def render(results: dict, stage: Stage) -> None:
        labels = {s: sides[s].label for s in sides}
        bands = {s: r.bands for s, r in results.items()}
        deaths = {s: r.deaths for s, r in results.items()}
        runs = {s: r.runs for s, r in results.items()}
        render_kpis(results)
        line = reveal.room_line(COMPARISON, results) if predict_first else None
        if line:
            room.markdown(f'<div class="room-line">{esc(line)}</div>', unsafe_allow_html=True)
        first_picture = not drawn  # this script run's first charts (a new comparison's)
        top_sent = 0.0
        for i, name in enumerate(COMPARE_ORDER):
            # Built and sent one at a time, top left first: the browser starts drawing the first
            # charts while the server builds the next (drawing is most of a stage's time).
            fig = compare_figure(name, bands, deaths, labels, runs)
            if first_picture and i == TOP_ROW:
                # The top row's head start (see TOP_ROW_HEAD_START_S): the browser draws the
                # cards and the top row on their own before the rest of the charts arrive.
                time.sleep(max(0.0, TOP_ROW_HEAD_START_S - (time.perf_counter() - top_sent)))
            # No widget key: in Streamlit 1.67 a plotly chart's id hashes its spec even with a
            # key, and its chart component reads the spec only when it mounts, so a keyed chart
            # is a new element at every stage too (benchmarks/README.md, "allruns"). The stage in
            # layout.meta keeps each stage's chart distinct (ids by content).
            fig.layout.meta = {"chart": name, "runs_per_side": stage.seeds}
            slot(name).plotly_chart(fig, config=PLOTLY_CONFIG, theme=None, width="stretch")
            if i == TOP_ROW - 1:
                top_sent = time.perf_counter()
        drawn.append(stage.seeds)

    def status_line(text: str, final: bool, shown: int = 0) -> None:
        """The status line; its data attributes let a browser test see which comparison is drawn."""
        mark = "done" if final else "refining"
        status.markdown(
            f'<div class="status" data-status="{mark}" data-comparison="{COMPARISON}" '
            f'data-shown="{shown}">{esc(text)}</div>',
            unsafe_allow_html=True,
        )

    jobs = [Job(s, sides[s].key, sides[s].json) for s in ("A", "B")]
    results: dict = {}
    final_text = ""
    started = time.perf_counter()
    budget = comparison_budget()
    stored = all(engine().store.count(job.key, seeds) >= seeds for job in jobs)
    refinement = engine().refine(jobs, seeds, refine_stages(), owner=session_owner())
    try:
        last_done, last_tick = -1, 0.0
        for item in refinement:
            if results and time.perf_counter() - started > budget:
                shown = min(r.runs for r in results.values())
                status_line(
                    f"Stopped after {budget:.0f} s, the time one comparison may take: showing "
                    f"{shown} of {seeds} companies per side (fewer companies or months finish "
                    "sooner).",
                    True,
                    shown,
                )
                refinement.close()  # cancels the runs not started yet
                render_kpis(results, pending=STOPPED)
                break
            if isinstance(item, Tick):
                now = time.perf_counter()
                if item.done == last_done or (last_done >= 0 and now - last_tick < TICK_EVERY_S):
                    continue
                last_done, last_tick = item.done, now
                if results:
                    note = (
                        f"the charts show {min(r.runs for r in results.values())} per side so far"
                    )
                else:
                    note = "the dimmed charts still show the previous settings"
                status_line(
                    f"Simulating… {item.done} of {item.total} companies ready; {note}.",
                    False,
                    min((r.runs for r in results.values()), default=0),
                )
            elif isinstance(item, Stage):
                results = {
                    s: side_result(sides[s].key, sides[s].json, item.seeds) for s in ("A", "B")
                }
                if item.final:
                    took = time.perf_counter() - started
                    final_text = (
                        f"{item.seeds} simulated companies per side, {months} months each "
                        + ("(from the store)." if stored else f"({took:.1f} s).")
                        + idle_custom_note({s: r.summary for s, r in results.items()})
                    )
                    status_line(final_text, True, item.seeds)
                else:
                    status_line(
                        f"Showing {item.seeds} of {seeds} companies per side; refining…",
                        False,
                        item.seeds,
                    )
                render(results, item)
        if final_text:
            loop = attribute_loop(sides, results, lambda text: status_line(text, True, seeds))
            render_kpis(results, loop)
            status_line(final_text, True, seeds)
    except Exception as err:  # noqa: BLE001 (a failing run must not take the page down)
        status.error(one_line(f"The simulation failed: {err.__class__.__name__}: {err}")[:300])
        st.stop()

    with downloads:
        names = {s: sides[s].scenario.name for s in sides}
        summaries = {s: r.summaries for s, r in results.items()}
        band_frames = {s: r.bands for s, r in results.items()}
        c1, c2, _ = st.columns([1, 1, 2])
        # The files are made when clicked (a callable ``data``), not at every comparison.
        c1.download_button(
            "Download results (CSV)",
            data=partial(_csv, summaries, names),
            file_name="results.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_results",
        )
        c2.download_button(
            "Download bands (CSV)",
            data=partial(_csv, band_frames, names),
            file_name="bands.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_bands",
        )


RATE_CARDS = {"survival": "survival_rate", "loop": "loop_attributable_rate"}
"""The cards that show a rate per side, and the summary key of that rate."""
SIGN_MINUS = re.compile(r"(?<![\w.])-(?=[$\d])")
POINTS = re.compile(r"^[+−±]?[\d.]+ points")
ONE_COMPANY = re.compile(r"([+−±]1) companies\b")
RANGE = re.compile(r"(\S+[…–]\S+)")


def rate_texts(a: float, b: float) -> tuple[str, str, str]:
    """Two rates (0-1) and their difference as the cards show them, consistent with each other:
    whole percentages when the difference of the shown values is the rounded difference, else
    one decimal (64.6% and 62.5%, +2.1 points, never 65%, 62% and +2); the difference is always
    the shown A less the shown B."""
    for decimals in (0, 1):
        shown_a, shown_b = half_up(100 * a, decimals), half_up(100 * b, decimals)
        diff = half_up(shown_a - shown_b, decimals)
        if decimals == 1 or diff == half_up(100 * (a - b), decimals):
            break
    sign = "+" if diff > 0 else ("−" if diff < 0 else "±")
    return (
        f"{shown_a:.{decimals}f}%",
        f"{shown_b:.{decimals}f}%",
        f"{sign}{abs(diff):.{decimals}f} points",
    )


def true_minus(text: str) -> str:
    """Every minus sign as the true minus (−): the cards mixed "-$11.0M" with "−78 points"; and
    "1 company", not "1 companies"."""
    return ONE_COMPANY.sub(r"\1 company", SIGN_MINUS.sub("−", text))


def shown_cards(cards: list[Kpi], a: Mapping, b: Mapping) -> list[Kpi]:
    """``sim.report.charts.kpis``'s cards as the page shows them: each rate and its difference
    rounded alike (``rate_texts``), true minus signs throughout (``true_minus``)."""
    out = []
    for card in cards:
        rate = RATE_CARDS.get(card.key)
        ra, rb = (a.get(rate), b.get(rate)) if rate else (None, None)
        if rate and "…" not in (card.a, card.b) and ra is not None and rb is not None:
            text_a, text_b, points = rate_texts(float(ra), float(rb))
            card = replace(card, a=text_a, b=text_b, diff=POINTS.sub(points, card.diff, count=1))
        out.append(
            replace(
                card,
                **{
                    f: true_minus(getattr(card, f))
                    for f in ("a", "b", "diff", "a_detail", "b_detail")
                },
            )
        )
    return out


def card_text(text: str) -> str:
    """A card's text as HTML: escaped, and a range ("−$21.6M…−$17.5M", "7–32%") kept on one line
    with "95% CI" before it (the cards broke "…−" / "$17.5M)")."""
    html = RANGE.sub(r'<span class="nowrap">\1</span>', esc(text))
    return html.replace("95% CI ", "95%&nbsp;CI&nbsp;")


def attribute_loop(sides: Mapping[str, Side], results: Mapping, say) -> dict:
    """Each side's run summaries with the loop attribution, and its rates: every death under a
    live return link rerun on its own seed with the link cut (``sim.experiment.runner``), as
    ``sim compare`` attributes them. The cut runs are asked for after every other comparison's
    refinement (``Engine.runs_for``); ``say`` shows the progress (a Streamlit call at every run
    that lands, so a new slider move interrupts this at once)."""
    wanted, plans = [], {}
    for s in ("A", "B"):
        scenario = sides[s].scenario
        runs = results[s].summaries.to_dict("records")
        dying = seeds_to_attribute(scenario, runs)
        cut = cut_link(scenario)
        job = Job(s, scenario_key(cut), cut.model_dump_json())
        plans[s] = (scenario, runs, dying, job)
        wanted += [(job, seed) for seed in dying]
    for tick in engine().runs_for(wanted):
        say(
            f"All companies are in; rerunning each death with the pressure loop cut (the same "
            f"seed, the same market): {tick.done} of {tick.total}."
        )
    out = {}
    for s, (scenario, runs, dying, job) in plans.items():
        cut_runs = {seed: engine().store.get(job.key, seed).summary for seed in dying}
        runs = attributed(scenario, runs, cut_runs)
        out[s] = (runs, attribution_rates(runs))
    return out


def _csv(frames: dict, names: dict) -> str:
    """Both sides' frames as one CSV (``results_table``): a download's file, made when clicked."""
    return results_table(frames, names).to_csv(index=False)
