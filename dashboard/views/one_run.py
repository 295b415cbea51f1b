"""One run up close: one simulated company, month by month, so the room can follow it.

Pick side A or B (as set up in the sidebar) and a seed (which of the simulated companies). The
charts come from the run's series and the story from its events.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from dashboard.common import (
    PLOTLY_CONFIG,
    PageContext,
    counterfactual_series,
    esc,
    one_run,
    side_causes,
)
from dashboard.why import why_panel
from sim.analysis.units import money_millions, percent
from sim.report.charts import (
    FONT_SIZE,
    SIDE_COLORS,
    PromiseTally,
    contingent_outcome_chart,
    contingent_outcomes,
    promise_tally,
    run_figures,
    story,
)

OUTCOME_BARGAP = 0.5
"""Gap between the outcome bars (share of a bar's slot): room for each outcome's name above its
bar."""


def one_run_page(ctx: PageContext) -> None:
    """The One-run page: one company of side A or B, month by month."""
    sides, months = ctx.sides, ctx.months

    left, right, _ = st.columns([1.2, 1, 2], vertical_alignment="bottom")
    side = (
        left.segmented_control(
            "Which side",
            ["A", "B"],
            default="A",
            key="run_side",
            bind="query-params",
            selection_mode="single",
            help="side A or B, as set up in the sidebar",
        )
        or "A"
    )
    seed = right.number_input(
        "Which of the simulated companies (seed)",
        min_value=0,
        max_value=9999,
        value=0,
        step=1,
        key="run_seed",
        bind="query-params",
        help="the same company with different luck; seeds 0, 1, 2... are the runs on the Compare "
        "page",
    )

    chosen = sides[side]
    try:
        with st.spinner("Simulating this company…"):
            result = one_run(chosen.key, chosen.json, int(seed))
    except Exception as err:  # noqa: BLE001 (a failing run must not take the page down)
        st.error(f"The simulation failed: {err.__class__.__name__}: {err}")
        st.stop()
    series, events, summary = result.series, result.events, result.summary
    color = SIDE_COLORS[side]

    if summary.get("survived"):
        verdict = (
            f"alive after {months} months, ARR {money_millions(summary.get('final_arr_usd', 0))}"
        )
    else:
        verdict = f"ran out of cash in month {summary.get('month_of_death')}"
    spiral = summary.get("spiral_onset_month")
    spiral_text = f"; the death spiral took hold in month {spiral}" if spiral is not None else ""
    st.markdown(
        f'<div class="vs-title" style="color:{color}">{esc(chosen.label)}, company #{int(seed)}: '
        f"{esc(verdict)}{esc(spiral_text)}</div>",
        unsafe_allow_html=True,
    )

    def total(column: str) -> int:
        return int(series[column].fillna(0).sum()) if column in series else 0

    initial_reps = (
        int(((events["event"] == "rep_hired") & (events["month"] == 0)).sum())
        if "event" in events
        else 0
    )
    promises = promise_tally(series)
    metrics = [
        (
            "'Buy if you build X' deals",
            f"{total('contingent_accepted')} accepted",
            f"{total('contingent_converted')} became the full order",
        ),
        (
            "Feature promises",
            f"{promises.kept} kept of {promises.made}",
            promise_detail(promises),
        ),
        (
            "Sales reps",
            f"{total('reps_hired')} hired",
            f"{total('reps_left')} left; {initial_reps} at the start",
        ),
        (
            "Engineering on custom work",
            percent(summary.get("mean_custom_share") or 0),
            "of all engineering time, on average",
        ),
    ]
    st.markdown(
        '<div class="kpi-grid">'
        + "".join(
            f'<div class="kpi"><div class="kpi-label">{esc(label)}</div>'
            f'<div class="kpi-value" style="color:{color}; font-size:1.6rem; white-space:normal">'
            f"{esc(big)}</div>"
            f'<div class="kpi-detail" style="font-size:1.0rem">{esc(small)}</div></div>'
            for label, big, small in metrics
        )
        + "</div>",
        unsafe_allow_html=True,
    )

    ranking = side_causes(chosen.key, chosen.json, ctx.seeds)
    why_panel(result, chosen.label, color, ranking, ctx.seeds)

    counter = None
    if summary.get("counterfactual_survived") is not None:  # it died with the link live
        counter = counterfactual_series(chosen.json, int(seed))
    figs = run_figures(series, side, summary.get("spiral_onset_month"), counter)
    outcomes = contingent_outcomes(events)
    order = [
        ("money", "pipeline"),
        ("contingent", "outcomes"),
        ("work", "fit"),
        ("promises", "reps"),
    ]
    with st.container(key="charts"):
        for row in order:
            cols = st.columns(2, gap="medium")
            for col, name in zip(cols, row):
                fig = outcome_figure(outcomes, side) if name == "outcomes" else figs[name]
                col.plotly_chart(
                    fig, config=PLOTLY_CONFIG, theme=None, key=f"run-{name}", width="stretch"
                )

    st.subheader("What happened, month by month")
    kinds = {
        "contingent_accepted": "'buy if you build X' deals",
        "contingent_delivered": "custom features shipped",
        "bet_killed": "custom bets stopped",
        "experiment_killed": "experiments stopped",
        "rep_hired": "reps hired",
        "rep_left": "reps who left",
        "funding": "funding",
        "funding_refused": "investors said no",
        "engineer_hired": "engineers bought with spare cash",
        "leapfrog": "competitor leapfrogs",
        "pmf": "product-market fit",
        "death": "death",
    }
    happened = list(dict.fromkeys(events["event"])) if "event" in events else []
    present = [k for k in kinds if k in happened] + [k for k in happened if k not in kinds]
    chosen_kinds = st.pills(
        "Show",
        present,
        default=present,
        selection_mode="multi",
        format_func=lambda k: kinds.get(k, str(k).replace("_", " ")),
        key="story_kinds",
    )
    lines = story(events, kinds=chosen_kinds or [])
    with st.container(height=480, border=True):
        if lines.empty:
            st.markdown("Nothing of that kind happened.")
        else:
            st.markdown(
                '<div class="story">'
                + "".join(
                    f"<p><b>Month {month}</b> — {esc(text)}</p>"
                    for month, text in lines.itertuples(index=False)
                )
                + "</div>",
                unsafe_allow_html=True,
            )

    if len(outcomes):
        with st.expander("Every 'buy if you build X' deal and how it ended"):
            st.dataframe(outcomes, hide_index=True, width="stretch")


def promise_detail(tally: PromiseTally) -> str:
    """The card's line under "N kept of M": every other way the promises made ended, so the
    counts add up to the promises made (a churned customer's promise is neither kept nor broken,
    MODEL.md §7.14)."""
    return (
        f"{tally.broken} broken, {tally.dropped} dropped when the customer left, "
        f"{tally.outstanding} still open"
    )


def outcome_figure(outcomes, side: str) -> go.Figure:
    """``contingent_outcome_chart`` laid out for a half-width column: each outcome's name above
    its bar instead of in a 330-pixel left margin (which left the bars ~50 pixels at 1280 x 720),
    and a short title with the rest in the subtitle (the long title was cut)."""
    fig = contingent_outcome_chart(outcomes, side)
    names = list(fig.data[0].y)
    top, bottom = 96, 64
    fig.update_layout(
        title={
            "text": f"<b>How the {len(outcomes)} deals ended</b>",
            "subtitle": {"text": "the 'buy if you build X' deals of this run"},
        },
        margin={"l": 24, "r": 24, "t": top, "b": bottom},
        bargap=OUTCOME_BARGAP,
    )
    fig.update_yaxes(showticklabels=False)
    slot = (fig.layout.height - top - bottom) / max(1, len(names))  # pixels per outcome
    for name in names:
        fig.add_annotation(
            x=0,
            y=name,
            xref="x",
            yref="y",
            text=esc(name),
            showarrow=False,
            xanchor="left",
            yanchor="bottom",
            yshift=slot * (1 - OUTCOME_BARGAP) / 2 + 2,
            font={"size": FONT_SIZE - 1},
        )
    return fig
