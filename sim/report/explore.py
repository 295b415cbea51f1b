"""Figures of exploration: a sweep's curve with its Wilson band, a two-lever tipping-point map,
sensitivity indices, and the robustness report's paired differences. Pure functions of tables.

Every figure is a plotly ``Figure``; ``html_page`` writes one or more into one self-contained
HTML page (plotly.js inline: it opens offline, from a file, on a projector laptop).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from sim.report.charts import BAND_OPACITY, FONT_FAMILY, GRID, LINE_WIDTH, SIDE_COLORS

LINE = SIDE_COLORS["A"]
TIPPING_LEVEL = 0.5  # the contour drawn on a tipping-point map: survival of one in two
HEIGHT = 520
NOTE_WIDTH = 110  # characters per line of a note under a chart (plotly does not wrap text)
NOTE_LINE_PX = 18  # height of one line of such a note (pixels)


METRIC_LABELS: dict[str, str] = {
    "survival_rate": "companies that survive",
    "spiral_rate": "fell into the death spiral",
    "loop_attributable_rate": "deaths the pressure loop explains",
    "pmf_rate": "reached product-market fit",
}


def metric_label(metric: str) -> str:
    """A metric as a person reads it ("companies that survive"), else its name in words."""
    return METRIC_LABELS.get(metric, metric.replace("_usd", " ($)").replace("_", " "))


def lever_label(key: str) -> str:
    """A workshop lever's title ("'Buy if you build X' deals accepted (% of requests)"), else the
    key; the axis then reads in the units of the key's values."""
    from sim.experiment.levers import LEVERS

    lever = next((lv for lv in LEVERS if lv.key == key), None)
    if lever is None or lever.kind != "slider" or lever.scale != 1.0:
        return key if lever is None else f"{lever.label} ({key})"
    return lever.title


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title=title,
        font={"family": FONT_FAMILY, "size": 16},
        template="plotly_white",
        height=HEIGHT,
        margin={"l": 70, "r": 30, "t": 70, "b": 60},
    )
    fig.update_xaxes(title=x, gridcolor=GRID)
    fig.update_yaxes(title=y, gridcolor=GRID)
    return fig


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def sweep_curve(
    table: pd.DataFrame, key: str, metric: str = "survival_rate", title: str | None = None
) -> go.Figure:
    """``metric`` against one lever; the 95% band when the table has ``<stem>_ci_low/high``."""
    data = table.sort_values(key)
    fig = go.Figure()
    stem = metric.removesuffix("_rate")
    low, high = f"{stem}_ci_low", f"{stem}_ci_high"
    if low in data and high in data:
        fig.add_trace(
            go.Scatter(
                x=list(data[key]) + list(data[key])[::-1],
                y=list(data[high]) + list(data[low])[::-1],
                fill="toself",
                mode="lines",
                fillcolor=_rgba(LINE, BAND_OPACITY),
                line={"width": 0},
                hoverinfo="skip",
                name="95% Wilson interval",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=data[key],
            y=data[metric],
            mode="lines+markers",
            line={"color": LINE, "width": LINE_WIDTH},
            marker={"size": 9},
            name=metric_label(metric),
        )
    )
    if metric.endswith("_rate"):
        fig.add_hline(y=TIPPING_LEVEL, line={"dash": "dot", "color": "#888"})
        fig.update_yaxes(range=[-0.02, 1.02], tickformat=".0%")
    runs = int(data["runs"].iloc[0]) if "runs" in data and len(data) else None
    title = title or f"{metric_label(metric).capitalize()} against {lever_label(key)}" + (
        f" ({runs} seeds per point)" if runs else ""
    )
    return _layout(fig, title, lever_label(key), metric_label(metric))


def sweep_map(
    table: pd.DataFrame,
    x: str,
    y: str,
    metric: str = "survival_rate",
    title: str | None = None,
) -> go.Figure:
    """A tipping-point map: ``metric`` over two levers as a heatmap, the 50% contour drawn.

    A grid gives a heatmap; scattered points (a Latin hypercube) are drawn as coloured dots."""
    pivot = table.pivot_table(index=y, columns=x, values=metric, aggfunc="mean")
    is_grid = pivot.notna().all().all() and pivot.size == len(table)
    fig = go.Figure()
    scale = "RdYlBu"
    is_rate = metric.endswith("_rate")
    bounds = {"zmin": 0, "zmax": 1} if is_rate else {}
    if is_grid:
        z = pivot.to_numpy()
        fig.add_trace(
            go.Heatmap(
                x=list(pivot.columns),
                y=list(pivot.index),
                z=z,
                colorscale=scale,
                colorbar={"title": metric_label(metric)},
                **bounds,
                hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z:.2f}}<extra></extra>",
            )
        )
        if is_rate and np.nanmin(z) < TIPPING_LEVEL < np.nanmax(z):
            fig.add_trace(
                go.Contour(
                    x=list(pivot.columns),
                    y=list(pivot.index),
                    z=z,
                    showscale=False,
                    contours={
                        "start": TIPPING_LEVEL,
                        "end": TIPPING_LEVEL,
                        "size": 1,
                        "coloring": "none",
                        "showlabels": True,
                    },
                    line={"color": "black", "width": 3},
                    name="50% survival",
                    hoverinfo="skip",
                )
            )
    else:
        fig.add_trace(
            go.Scatter(
                x=table[x],
                y=table[y],
                mode="markers",
                marker={
                    "size": 12,
                    "color": table[metric],
                    "colorscale": scale,
                    "colorbar": {"title": metric_label(metric)},
                    **({"cmin": 0, "cmax": 1} if is_rate else {}),
                },
                name=metric,
            )
        )
    line = f" (black line: {TIPPING_LEVEL:.0%})" if is_rate else ""
    title = title or f"{metric_label(metric).capitalize()} over {x} and {y}{line}"
    return _layout(fig, title, lever_label(x), lever_label(y))


def indices_chart(
    table: pd.DataFrame,
    value: str,
    conf: str,
    title: str,
    label: str = "lever",
    note: str | None = None,
    floor: float | None = None,
) -> go.Figure:
    """Horizontal bars of an index with its confidence half-width, largest on top; ``note``
    (how to read the index, its unit) goes under the chart. ``floor``: the lowest value the index
    can take (0 for Morris mu* and Sobol' ST); the interval is drawn no lower (SALib's is
    symmetric, so a small mu* drew a bar below zero)."""
    data = table.sort_values(value)
    minus = data[conf] if floor is None else np.minimum(data[conf], data[value] - floor).clip(0)
    fig = go.Figure(
        go.Bar(
            x=data[value],
            y=data[label],
            orientation="h",
            marker={"color": LINE},
            error_x={"type": "data", "array": data[conf], "arrayminus": minus, "visible": True},
        )
    )
    fig = _layout(fig, title, value, "")
    fig.update_layout(height=max(320, 40 * len(data) + 140))
    if note:
        lines = textwrap.wrap(note, NOTE_WIDTH)
        extra = NOTE_LINE_PX * len(lines) + NOTE_LINE_PX
        fig.update_layout(height=fig.layout.height + extra, margin={"b": 60 + extra})
        fig.add_annotation(
            text="<br>".join(lines),
            xref="paper",
            yref="paper",
            x=0,
            y=0,
            yshift=-60,
            showarrow=False,
            align="left",
            xanchor="left",
            yanchor="top",
            font={"size": 12},
        )
    return fig


def paired_histogram(diffs: Sequence[float], title: str, x: str) -> go.Figure:
    """Histogram of per-world paired differences, a line at zero."""
    fig = go.Figure(go.Histogram(x=list(diffs), marker={"color": LINE}, nbinsx=30))
    fig.add_vline(x=0, line={"color": "black", "width": 2})
    return _layout(fig, title, x, "worlds")


def html_page(figures: Sequence[go.Figure], title: str) -> bytes:
    """One self-contained HTML page (plotly.js inline) holding ``figures`` in order."""
    parts = [
        pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(figures)
    ]
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{_escape(title)}</title></head><body>\n" + "\n".join(parts) + "\n</body></html>\n"
    )
    return page.encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
