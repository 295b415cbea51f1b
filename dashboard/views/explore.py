"""Explore: where is the edge? Survival against one lever (with its Wilson band), or a tipping-point
map over two, for the scenario of side A or B as the sidebar set it up.

The sweep runs point by point through `sim`'s on-disk run store (``sim.experiment.store``), so
the curve or map fills in as points finish, and points computed before (by this page, `sim
sweep` or `sim check`) appear at once. Every point uses the same seeds (common random numbers).
Picking a point (a click on the chart, or the select box) and "Open on the Compare page" puts
side B at that point, side A unchanged, and opens the Compare page.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.common import PLOTLY_CONFIG, WORKERS_ENV, PageContext
from dashboard.controls import on_base_change, reset_levers, widget_key
from sim.analysis.units import percent
from sim.experiment import levers as lv
from sim.report.explore import sweep_curve, sweep_map

SWEEPABLE = [lever for lever in lv.LEVERS if lever.kind == "slider"]
DEFAULT_KEYS = ("sales.contingent_acceptance", "company.initial_cash")
POINT_CHOICES = (3, 4, 5, 6, 8, 11)
PICKED = "explore_point"  # session state: the index of the picked point


def _lever(key: str) -> lv.Lever:
    return next(lever for lever in SWEEPABLE if lever.key == key)


def _values(lever: lv.Lever, low: float, high: float, n: int) -> list[Any]:
    """``n`` scenario values from display ``low`` to ``high``."""
    step = (high - low) / (n - 1)
    return list(dict.fromkeys(lever.from_display(round(low + i * step, 6)) for i in range(n)))


def range_slider_args(lever: lv.Lever) -> dict[str, Any]:
    """The range slider's bounds, step and number format for a lever: whole numbers (a percent
    with its sign, "0%" to "100%") where the lever's range and step are whole, else the lever's
    decimals (the slider showed "0.00" to "100.00")."""
    step = lever.step or 1
    if all(float(v).is_integer() for v in (lever.low, lever.high, step)):
        low, high = int(lever.low), int(lever.high)
        return {
            "min_value": low,
            "max_value": high,
            "value": (low, high),
            "step": int(step),
            "format": "%d%%" if lever.unit.startswith("%") else "%d",
        }
    return {
        "min_value": float(lever.low),
        "max_value": float(lever.high),
        "value": (float(lever.low), float(lever.high)),
        "step": float(step),
        "format": "%.2f" if step < 0.1 or lever.scale == 1e6 else "%.1f",
    }


def _executor() -> Any:
    from sim.experiment.executors import executor_for

    raw = os.environ.get(WORKERS_ENV)
    workers = int(raw) if raw not in (None, "") else max(1, os.cpu_count() or 1)
    return executor_for(workers if workers > 1 else None)


def explore_page(ctx: PageContext) -> None:
    """The Explore page: pick one or two levers, watch the curve or map fill in, open a point."""
    from sim.experiment.store import default_store
    from sim.experiment.sweep import run_sweep

    st.markdown("## Where is the edge?")
    side = st.radio("Sweep the scenario of", list(ctx.sides), horizontal=True, key="explore_side")
    base = ctx.sides[side].scenario.with_overrides({"months": ctx.months})
    labels = {lever.key: lever.label for lever in SWEEPABLE}
    chosen = st.multiselect(
        "Levers to sweep (one for a curve, two for a map)",
        list(labels),
        default=[DEFAULT_KEYS[0]],
        format_func=labels.get,
        max_selections=2,
        key="explore_levers",
    )
    if not chosen:
        st.info("Pick one lever for a survival curve, or two for a tipping-point map.")
        return
    axes: dict[str, list[Any]] = {}
    columns = st.columns(len(chosen))
    for column, key in zip(columns, chosen, strict=True):
        lever = _lever(key)
        with column:
            low, high = st.slider(
                f"{lever.label} ({lever.unit})" if lever.unit else lever.label,
                **range_slider_args(lever),
                key=f"explore_range_{lever.name}",
            )
            n = st.select_slider(
                "points",
                POINT_CHOICES,
                value=6 if len(chosen) == 1 else 4,
                key=f"explore_n_{lever.name}",
            )
        if low == high:
            st.warning(f"{lever.label}: the range is empty; widen it.")
            return
        axes[key] = _values(lever, low, high, n)
    points = [{}]
    for key, values in axes.items():
        points = [{**p, key: v} for p in points for v in values]
    seeds = list(range(ctx.seeds))
    st.caption(
        f"{len(points)} points x {len(seeds)} seeds, {ctx.months} months, the same seeds at every "
        "point; runs come from the run store when they were computed before."
    )
    chart = st.empty()
    progress = st.progress(0.0)
    store, executor = default_store(), _executor()
    rows: list[dict[str, Any]] = []
    for i, point in enumerate(points):
        result = run_sweep(base, [point], seeds, executor, store)
        rows.append(result.table.iloc[0].to_dict())
        progress.progress((i + 1) / len(points), text=f"{i + 1} of {len(points)} points")
        if i + 1 < len(points) and (i % max(1, len(points) // 6) == 0):
            _draw(chart, pd.DataFrame(rows), chosen, partial=True)
    progress.empty()
    table = pd.DataFrame(rows)
    event = _draw(chart, table, chosen, partial=False)
    _open_point(ctx, side, base, table, chosen, event)


def _figure(table: pd.DataFrame, keys: list[str]) -> Any:
    shown = table.copy()
    for key in keys:
        shown[key] = [_lever(key).to_display(v) for v in shown[key]]
    if len(keys) == 1:
        fig = sweep_curve(shown, keys[0], title=f"Survival against {_lever(keys[0]).label}")
    else:
        fig = sweep_map(shown, keys[0], keys[1], title="Survival (black line: 50%)")
        fig.update_yaxes(title=_axis(keys[1]))
    return fig.update_xaxes(title=_axis(keys[0]))


def _axis(key: str) -> str:
    lever = _lever(key)
    return f"{lever.label} ({lever.unit})" if lever.unit else lever.label


def _draw(slot: Any, table: pd.DataFrame, keys: list[str], partial: bool) -> Any:
    fig = _figure(table, keys)
    if partial:
        slot.plotly_chart(fig, config=PLOTLY_CONFIG, key=None)
        return None
    return slot.plotly_chart(
        fig, config=PLOTLY_CONFIG, on_select="rerun", selection_mode="points", key="explore_chart"
    )


def _label(row: dict[str, Any], keys: list[str]) -> str:
    parts = [f"{_lever(k).label} {_lever(k).to_display(row[k])}{_unit(k)}" for k in keys]
    return ", ".join(parts) + f": survival {percent(row['survival_rate'])}"


def _unit(key: str) -> str:
    unit = _lever(key).unit
    return f" {unit}" if unit and not unit.startswith("%") else ("%" if unit else "")


def _clicked(event: Any, table: pd.DataFrame, keys: list[str]) -> int | None:
    try:
        picked = event.selection.points[0]
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
    x = picked.get("x")
    y = picked.get("y") if len(keys) == 2 else None
    for index, row in enumerate(table.to_dict("records")):
        if _lever(keys[0]).to_display(row[keys[0]]) == x and (
            y is None or _lever(keys[1]).to_display(row[keys[1]]) == y
        ):
            return index
    return None


def _open_point(
    ctx: PageContext, side: str, base: Any, table: pd.DataFrame, keys: list[str], event: Any
) -> None:
    records = table.to_dict("records")
    clicked = _clicked(event, table, keys)
    if clicked is not None:
        st.session_state[PICKED] = clicked
    if st.session_state.get(PICKED, 0) >= len(records):
        st.session_state[PICKED] = 0
    index = st.selectbox(
        "Point to open",
        range(len(records)),
        format_func=lambda i: _label(records[i], keys),
        key=PICKED,
    )
    point = {k: records[index][k] for k in keys}
    if st.button(
        "Open on the Compare page",
        type="primary",
        key="explore_open",
        on_click=_load_point,
        args=(side, base, point),
        help=f"side B := side {side}'s scenario at this point; side A as it is",
    ):
        # as on the Lessons page: URL parameters bound to widgets cannot be cleared; the
        # sidebar writes both sides back. Keep an uploaded side's file.
        kept = {k: v for k, v in st.query_params.to_dict().items() if k in ("a_upload", "b_upload")}
        st.switch_page(ctx.pages["compare"], query_params=kept)


def _load_point(side: str, base: Any, point: dict[str, Any]) -> None:
    """Button callback: side B starts from side ``side``'s starting scenario, at ``point``."""
    if side != "B":
        st.session_state[widget_key("B", "base")] = st.session_state.get(widget_key(side, "base"))
        on_base_change("B")
    reset_levers("B", base.with_overrides(point))
