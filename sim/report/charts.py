"""Plotly figures and KPI text for the workshop: pure functions of result DataFrames.

Two kinds of input:

* ensemble bands, one DataFrame per side (``"A"``, ``"B"``) as ``sim.analysis.bands.quantile_bands``
  makes them: ``month``, ``alive_share`` and ``<column>_p10`` / ``_p50`` / ``_p90``; plus the
  months in which runs died, one list per side;
* one run's ``series`` (one row per month) and ``events`` (one row per event).

The figures are made for a projector: large type, thick lines, high-contrast colours that stay
apart for colour-blind viewers (blue and vermilion from the Okabe-Ito palette), and side A and
side B drawn in the same colour on every chart. No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

try:
    import plotly.graph_objects as go
except ImportError:  # the CLI and the workers do not need it: only the charts do
    raise ImportError(
        "sim.report.charts needs plotly, part of the 'dashboard' extra: "
        "run `make dashboard`, or `pip install -e '.[dashboard]'`"
    ) from None

from sim.analysis.paired import paired_difference
from sim.analysis.units import money_short, percent
from sim.analysis.units import month as month_text
from sim.experiment.lessons import COMPARE_CHARTS as LESSON_COMPARE_CHARTS

SIDE_COLORS: dict[str, str] = {"A": "#0059B3", "B": "#D55E00"}
"""Side A is blue, side B vermilion, on every chart."""
NEUTRAL = "#222222"
GOOD = "#1A7F37"
BAD = "#B3261E"
GRID = "#D0D0D0"
FONT_FAMILY = '"Source Sans", "Source Sans Pro", Helvetica, Arial, sans-serif'
FONT_SIZE = 19
TITLE_SIZE = 24
CHART_HEIGHT = 430
BAND_OPACITY = 0.22
LINE_WIDTH = 4.5
RUNWAY_CLIP_MONTHS = 36.0
QUANTILES = ("p10", "p50", "p90")
SUBTITLE_CHARS = 52  # a subtitle line that fits a half-width chart on a 1920-pixel screen


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


class _Fig:
    """A figure under construction as plain dicts, made a ``go.Figure`` by ``build`` without
    validation.

    Building a ``go.Figure`` step by step validates every update (and the default template),
    which costs ~0.2 s per chart; even one validation at the end is ~3 ms per chart, and the
    compare page redraws nine of them at every refinement. tests/test_charts.py validates every
    figure the builders make (``validated``), so a wrong property still fails there.
    """

    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = {"template": LIGHT_TEMPLATE}

    def add_trace(self, trace: dict[str, Any]) -> None:
        self.data.append(trace)

    def update_layout(self, **changes: Any) -> None:
        _merge_into(self.layout, changes)

    def update_xaxes(self, **changes: Any) -> None:
        _merge_into(self.layout.setdefault("xaxis", {}), changes)

    def update_yaxes(self, **changes: Any) -> None:
        _merge_into(self.layout.setdefault("yaxis", {}), changes)

    def add_annotation(self, **annotation: Any) -> None:
        self.layout.setdefault("annotations", []).append(annotation)

    def add_vline(self, x: float, line: dict[str, Any]) -> None:
        self.layout.setdefault("shapes", []).append(
            {
                "type": "line",
                "x0": x,
                "x1": x,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": line,
            }
        )

    def build(self) -> go.Figure:
        return go.Figure(data=self.data, layout=self.layout, _validate=False)


def validated(fig: go.Figure) -> go.Figure:
    """``fig`` as a fully validated figure (raises ValueError on a property plotly does not know
    or a bad value): for tests of the builders, which skip validation."""
    return go.Figure(fig.to_dict())


def _merge_into(target: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value


_NESTED = ("marker", "line", "textfont")


def _trace(kind: str, **props: Any) -> dict[str, Any]:
    """A trace as a dict; ``marker_color=...`` style keys become nested (``marker.color``)."""
    out: dict[str, Any] = {"type": kind}
    for key, value in props.items():
        head, _, rest = key.partition("_")
        if rest and head in _NESTED:
            out.setdefault(head, {})[rest] = value
        else:
            out[key] = value
    for key, value in list(out.items()):  # plain arrays: fast to serialise, no pandas index
        if isinstance(value, (pd.Series, pd.Index)):
            out[key] = value.to_numpy()
    return out


LIGHT_TEMPLATE: dict[str, Any] = {
    "layout": {"colorway": [SIDE_COLORS["A"], SIDE_COLORS["B"], NEUTRAL]}
}


def side_color(side: str) -> str:
    return SIDE_COLORS.get(side, NEUTRAL)


def _style(
    fig: _Fig,
    title: str,
    y_title: str,
    *,
    height: int = CHART_HEIGHT,
    y_range: Sequence[float] | None = None,
    x_title: str = "Month",
    show_legend: bool = False,
    percent: bool = False,
    subtitle: str | None = None,
) -> _Fig:
    """Projector style: bold title (with an optional plain subtitle), big ticks, light grid."""
    title_spec: dict[str, Any] = {
        "text": f"<b>{title}</b>",
        "font": {"size": TITLE_SIZE, "color": NEUTRAL},
        "x": 0.012,
        "xanchor": "left",
        "xref": "container",
        "y": 0.985,
        "yref": "container",
        "yanchor": "top",
    }
    top = 56
    if subtitle:
        lines = wrap(subtitle, SUBTITLE_CHARS)
        title_spec["subtitle"] = {
            "text": "<br>".join(lines),
            "font": {"size": FONT_SIZE - 2, "color": "#333333"},
        }
        top = 60 + 22 * len(lines)
    legend_rows = 1 if show_legend else 0
    fig.update_layout(
        title=title_spec,
        height=height + 60 * legend_rows,
        font={"family": FONT_FAMILY, "size": FONT_SIZE, "color": NEUTRAL},
        margin={"l": 84, "r": 24, "t": top, "b": 64 + 64 * legend_rows},
        showlegend=show_legend,
        legend={
            "orientation": "h",
            "yanchor": "top",
            "y": -0.3,
            "xanchor": "left",
            "x": 0.0,
            "font": {"size": FONT_SIZE - 1},
        },
        hovermode="x unified",
        hoverlabel={"font": {"size": FONT_SIZE - 2}},
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    fig.update_xaxes(
        title={"text": x_title, "font": {"size": FONT_SIZE}, "standoff": 8},
        gridcolor=GRID,
        linecolor=NEUTRAL,
        ticks="outside",
        tickfont={"size": FONT_SIZE},
        zeroline=False,
        showline=True,
    )
    fig.update_yaxes(
        title={"text": y_title, "font": {"size": FONT_SIZE}},
        gridcolor=GRID,
        linecolor=NEUTRAL,
        ticks="outside",
        tickfont={"size": FONT_SIZE},
        zeroline=True,
        zerolinecolor="#888888",
        showline=True,
        ticksuffix="%" if percent else None,
    )
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig


def wrap(text: str, width: int) -> list[str]:
    """Break plain text into lines of at most ``width`` characters (plotly titles do not wrap)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _band_values(
    bands: pd.DataFrame, column: str, scale: float, clip: float | None
) -> dict[str, np.ndarray]:
    out = {}
    for q in QUANTILES:
        name = f"{column}_{q}"
        values = (
            bands[name].to_numpy(dtype=float) * scale
            if name in bands
            else np.full(len(bands), np.nan)
        )
        if clip is not None:
            values = np.minimum(values, clip)
        out[q] = values
    return out


def _add_band(
    fig: _Fig,
    bands: pd.DataFrame,
    column: str,
    side: str,
    label: str,
    *,
    scale: float = 1.0,
    clip: float | None = None,
    dash: str = "solid",
    band: bool = True,
    hover_format: str = ",.1f",
    suffix: str = "",
    line_width: float = LINE_WIDTH,
) -> None:
    color = side_color(side)
    months = bands["month"].to_numpy()
    v = _band_values(bands, column, scale, clip)
    if band:
        # p10 then p90 filled to it: the middle 80% of runs.
        fig.add_trace(
            _trace(
                "scatter",
                x=months,
                y=v["p10"],
                mode="lines",
                line={"width": 0, "color": color},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=side,
                connectgaps=False,
            )
        )
        fig.add_trace(
            _trace(
                "scatter",
                x=months,
                y=v["p90"],
                mode="lines",
                line={"width": 0, "color": color},
                fill="tonexty",
                fillcolor=_rgba(color, BAND_OPACITY),
                hoverinfo="skip",
                showlegend=False,
                legendgroup=side,
                connectgaps=False,
                name=f"{label}: middle 80% of runs",
            )
        )
    fig.add_trace(
        _trace(
            "scatter",
            x=months,
            y=v["p50"],
            mode="lines",
            name=label,
            legendgroup=side,
            line={"color": color, "width": line_width, "dash": dash},
            hovertemplate=f"{label}: %{{y:{hover_format}}}{suffix}<extra></extra>",
        )
    )


DEATH_STRIP = 0.1
"""Share of a fan chart's height given to the strip of death marks under the plot."""


def _add_deaths(
    fig: _Fig, deaths: Mapping[str, Sequence[int]] | None, labels: Mapping[str, str]
) -> None:
    """Mark each run's death month: a cross per month and side, bigger when more died then.

    The crosses sit in a strip of their own under the plot (side A above side B), labelled
    "died", so they never hide a curve and the value axis keeps its zero at the bottom.
    """
    if not deaths or not any(deaths.values()):
        return
    fig.update_layout(
        yaxis={"domain": [DEATH_STRIP + 0.04, 1.0]},
        yaxis2={
            "domain": [0.0, DEATH_STRIP],
            "range": [-0.7, 1.7],
            "visible": False,
            "fixedrange": True,
        },
        xaxis={"anchor": "y2"},
    )
    fig.add_annotation(
        text="died",
        xref="paper",
        yref="paper",
        x=0,
        y=DEATH_STRIP / 2,
        xanchor="right",
        yanchor="middle",
        showarrow=False,
        xshift=-8,
        font={"size": FONT_SIZE - 2, "color": BAD},
    )
    for row, side in zip((1, 0), sorted(deaths)):
        months = [int(m) for m in deaths[side] if m is not None and not pd.isna(m)]
        if not months:
            continue
        counts = pd.Series(months).value_counts().sort_index()
        size = 13 + 6 * np.sqrt(counts.to_numpy() - 1)
        fig.add_trace(
            _trace(
                "scatter",
                x=counts.index.to_numpy(),
                y=np.full(len(counts), row),
                yaxis="y2",
                mode="markers",
                marker={
                    "symbol": "x-thin",
                    "size": size,
                    "line": {"width": 3.5, "color": side_color(side)},
                    "color": side_color(side),
                },
                name=f"{labels.get(side, side)}: a company died",
                customdata=counts.to_numpy(),
                hovertemplate=f"{labels.get(side, side)}: %{{customdata}} died in month "
                f"%{{x}}<extra></extra>",
                showlegend=False,
                legendgroup=side,
                cliponaxis=False,
            )
        )


def _value_range(
    bands: Mapping[str, pd.DataFrame], columns: Sequence[str], scale: float, clip: float | None
) -> tuple[float, float]:
    lows, highs = [0.0], [0.0]
    for frame in bands.values():
        for column in columns:
            v = _band_values(frame, column, scale, clip)
            stacked = np.concatenate([v[q] for q in QUANTILES])
            stacked = stacked[np.isfinite(stacked)]
            if stacked.size:
                lows.append(float(stacked.min()))
                highs.append(float(stacked.max()))
    low, high = min(lows), max(highs)
    if high <= low:
        high = low + 1.0
    return low, high


def fan_chart(
    bands: Mapping[str, pd.DataFrame],
    column: str,
    *,
    title: str,
    y_title: str,
    labels: Mapping[str, str] | None = None,
    deaths: Mapping[str, Sequence[int]] | None = None,
    scale: float = 1.0,
    clip: float | None = None,
    percent: bool = False,
    hover_format: str = ",.1f",
    y_floor_zero: bool = True,
    height: int = CHART_HEIGHT,
    show_legend: bool = False,
    subtitle: str | None = None,
) -> go.Figure:
    """One quantity over time for each side: the p10-p90 band and the median line.

    ``scale`` multiplies the values (e.g. ``1e-6`` for $M, ``100`` for percent); ``clip`` caps
    them (runway is reported as 120 months when a company is not burning cash). Death months are
    crosses under the curves.
    """
    labels = dict(labels or {side: side for side in bands})
    fig = _Fig()
    for side, frame in bands.items():
        _add_band(
            fig,
            frame,
            column,
            side,
            labels.get(side, side),
            scale=scale,
            clip=clip,
            hover_format=hover_format,
            suffix="%" if percent else "",
        )
    low, high = _value_range(bands, [column], scale, clip)
    if y_floor_zero:
        low = min(0.0, low)
    _style(
        fig,
        title,
        y_title,
        height=height,
        percent=percent,
        show_legend=show_legend,
        subtitle=subtitle,
    )
    fig.update_layout(yaxis={"range": [low, high * 1.04 if high > 0 else high + 1]})
    _add_deaths(fig, deaths, labels)
    _set_x_range(fig, bands)
    return fig.build()


def _set_x_range(fig: _Fig, bands: Mapping[str, pd.DataFrame]) -> None:
    months = [frame["month"] for frame in bands.values() if len(frame)]
    if months:
        lo = min(int(m.min()) for m in months)
        hi = max(int(m.max()) for m in months)
        fig.update_xaxes(range=[lo - 0.5, hi + 0.5])


def survival_chart(
    bands: Mapping[str, pd.DataFrame],
    *,
    labels: Mapping[str, str] | None = None,
    runs: Mapping[str, int] | None = None,
    height: int = CHART_HEIGHT,
    show_legend: bool = False,
) -> go.Figure:
    """Share of the simulated companies still alive, month by month, per side."""
    labels = dict(labels or {side: side for side in bands})
    fig = _Fig()
    for side, frame in bands.items():
        label = labels.get(side, side)
        n = (runs or {}).get(side)
        fig.add_trace(
            _trace(
                "scatter",
                x=frame["month"],
                y=frame["alive_share"] * 100,
                mode="lines",
                name=label,
                line={"color": side_color(side), "width": LINE_WIDTH + 1, "shape": "hv"},
                hovertemplate=f"{label}: %{{y:.0f}}% alive"
                + (f" of {n}" if n else "")
                + "<extra></extra>",
            )
        )
    _style(
        fig,
        "Companies still alive",
        "% of companies",
        height=height,
        y_range=(0, 105),
        percent=True,
        show_legend=show_legend,
        subtitle="share of the simulated companies that have not run out of cash",
    )
    _set_x_range(fig, bands)
    return fig.build()


def fit_chart(
    bands: Mapping[str, pd.DataFrame],
    *,
    labels: Mapping[str, str] | None = None,
    deaths: Mapping[str, Sequence[int]] | None = None,
    height: int = CHART_HEIGHT,
    show_legend: bool = False,
) -> go.Figure:
    """Product fit to the market (bands, solid) against the competitor's fit (median, dotted)."""
    labels = dict(labels or {side: side for side in bands})
    fig = _Fig()
    for side, frame in bands.items():
        label = labels.get(side, side)
        _add_band(
            fig,
            frame,
            "product_fit",
            side,
            f"{label} product",
            scale=100,
            hover_format=".0f",
            suffix="%",
        )
        _add_band(
            fig,
            frame,
            "competitor_fit",
            side,
            f"competitor vs {label}",
            scale=100,
            band=False,
            dash="dot",
            hover_format=".0f",
            suffix="%",
            line_width=LINE_WIDTH - 1,
        )
    _, high = _value_range(bands, ["product_fit", "competitor_fit"], 100, None)
    _style(
        fig,
        "Product fit vs the competitor",
        "% of needs covered",
        height=height,
        percent=True,
        show_legend=show_legend,
        subtitle="share of what the market needs that each covers: "
        "ours solid, the competitor's dotted",
    )
    fig.update_layout(yaxis={"range": [0, max(high, 10.0) * 1.05]})
    _add_deaths(fig, deaths, labels)
    _set_x_range(fig, bands)
    return fig.build()


@dataclass(frozen=True)
class ChartSpec:
    """One fan chart of the compare page."""

    key: str
    column: str
    title: str
    y_title: str
    subtitle: str | None = None
    scale: float = 1.0
    clip: float | None = None
    percent: bool = False
    hover_format: str = ",.1f"


COMPARE_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        "cash",
        "cash_usd",
        "Cash in the bank",
        "$ million",
        scale=1e-6,
        hover_format=",.2f",
        subtitle="seed money plus any round raised, minus what was spent",
    ),
    ChartSpec(
        "runway",
        "runway_months",
        "Cash left (months of runway)",
        "months",
        clip=RUNWAY_CLIP_MONTHS,
        hover_format=".0f",
        subtitle=f"how long the cash lasts at this month's burn; {RUNWAY_CLIP_MONTHS:.0f} = not "
        f"burning cash",
    ),
    ChartSpec(
        "arr",
        "arr_usd",
        "Annual recurring revenue",
        "$ million / year",
        scale=1e-6,
        hover_format=",.2f",
        subtitle="what the paying customers pay in a year",
    ),
    ChartSpec("customers", "customers", "Paying customers", "customers", hover_format=",.0f"),
    ChartSpec(
        "custom",
        "custom_share",
        "Engineering on custom work",
        "% of engineering",
        scale=100,
        percent=True,
        hover_format=".0f",
        subtitle="share of engineering time spent building what a single deal asked for",
    ),
    ChartSpec("reps", "reps", "Sales reps employed", "reps", hover_format=".0f"),
    ChartSpec(
        "pressure",
        "pressure",
        "Pressure to hit the revenue plan",
        "pressure (0-100)",
        scale=100,
        hover_format=".0f",
        subtitle="0 = calm, 100 = panic: behind plan, cash running out",
    ),
)
"""The fan charts of the compare page, in order (the survival and fit charts come separately)."""


COMPARE_ORDER: tuple[str, ...] = LESSON_COMPARE_CHARTS
"""The keys of ``compare_figures``, in its order: the charts a lesson may point at."""


def compare_figure(
    name: str,
    bands: Mapping[str, pd.DataFrame],
    deaths: Mapping[str, Sequence[int]],
    labels: Mapping[str, str] | None = None,
    runs: Mapping[str, int] | None = None,
) -> go.Figure:
    """One chart of the compare page by its key (see ``compare_figures``): a page can build and
    send its charts one at a time, the first on its way while the next is built."""
    if name == "survival":
        return survival_chart(bands, labels=labels, runs=runs)
    if name == "fit":
        return fit_chart(bands, labels=labels, deaths=deaths)
    spec = next((spec for spec in COMPARE_CHARTS if spec.key == name), None)
    if spec is None:
        raise KeyError(f"no compare chart {name!r}; the charts are {', '.join(COMPARE_ORDER)}")
    return fan_chart(
        bands,
        spec.column,
        title=spec.title,
        y_title=spec.y_title,
        labels=labels,
        deaths=deaths,
        scale=spec.scale,
        clip=spec.clip,
        percent=spec.percent,
        hover_format=spec.hover_format,
        subtitle=spec.subtitle,
    )


def compare_figures(
    bands: Mapping[str, pd.DataFrame],
    deaths: Mapping[str, Sequence[int]],
    labels: Mapping[str, str] | None = None,
    runs: Mapping[str, int] | None = None,
) -> dict[str, go.Figure]:
    """Every chart of the compare page, keyed: survival, cash, runway, arr, customers, fit, custom,
    reps, pressure. Columns a band frame lacks are drawn empty rather than failing."""
    return {name: compare_figure(name, bands, deaths, labels, runs) for name in COMPARE_ORDER}


# --------------------------------------------------------------------------------------------
# KPI cards
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One KPI card: the label, each side's formatted value and the A - B difference."""

    key: str
    label: str
    a: str
    b: str
    diff: str
    a_detail: str = ""
    b_detail: str = ""


def _pct(x: float | None) -> str:
    return percent(x, missing="n/a")


def _money(x: float | None) -> str:
    return money_short(x, decimals=1, missing="n/a", grouping=True)


def _signed(x: float, fmt: Callable[[float], str]) -> str:
    sign = "+" if x > 0 else ("−" if x < 0 else "±")
    return f"{sign}{fmt(abs(x))}"


def kpis(
    a: Mapping[str, Any],
    b: Mapping[str, Any],
    runs_a: Sequence[Mapping[str, Any]] | None = None,
    runs_b: Sequence[Mapping[str, Any]] | None = None,
    loop_pending: str | None = None,
) -> list[Kpi]:
    """The KPI cards from two ensemble summaries (keys as in ``sim.analysis.summaries``).

    The loop card reads the loop attribution (``loop_attributable_rate`` and its share of
    deaths: each death rerun on its own seed with the return link cut); ``loop_pending``: why
    it has no number yet (the reruns wait for every run, or did not happen), shown instead.

    ``runs_a`` / ``runs_b``: the two sides' run summaries, seed by seed (the same seeds, in the
    same order). With them every difference that is a mean over seeds gets its paired 95%
    interval (``sim.analysis.paired``), shown as "(95% CI low…high)"; the page says once that
    differences are paired by seed. Deaths are compared like with like: how many of each
    side's companies died, each side's median month of death beside it, never a difference of
    two medians taken over different companies.
    """
    paired = runs_a is not None and runs_b is not None and len(runs_a) == len(runs_b) > 1

    def ci(s: Mapping[str, Any], stem: str) -> str:
        low, high = s.get(f"{stem}_ci_low"), s.get(f"{stem}_ci_high")
        return "" if low is None or high is None else f"95% CI {100 * low:.0f}–{100 * high:.0f}%"

    def pair(key: str) -> tuple[float, float, float] | None:
        if not paired:
            return None
        return paired_difference([r.get(key) for r in runs_a], [r.get(key) for r in runs_b])

    def rate_diff(rate: str, run_key: str) -> str:
        if a.get(rate) is None or b.get(rate) is None:
            return "n/a"
        text = _signed(100 * (a[rate] - b[rate]), lambda v: f"{v:.0f}") + " points"
        interval = pair(run_key)
        if interval is not None and interval[1] != interval[2]:
            low, high = max(-1.0, interval[1]), min(1.0, interval[2])  # a rate moves by <= 100
            text += f" (95% CI {100 * low:+.0f}…{100 * high:+.0f})"
        return text

    def money_diff(median_key: str, run_key: str) -> str:
        interval = pair(run_key)
        if interval is not None:
            mean, low, high = interval
            text = f"mean {_signed(mean, _money)}"
            if low != high:
                text += f" (95% CI {_signed(low, _money)}…{_signed(high, _money)})"
            return text
        ma, mb = a.get(median_key), b.get(median_key)
        return _signed(ma - mb, _money) if ma is not None and mb is not None else "n/a"

    def deaths(s: Mapping[str, Any]) -> int | None:
        runs, rate = s.get("runs"), s.get("survival_rate")
        return None if runs is None or rate is None else round(runs * (1 - rate))

    def died(s: Mapping[str, Any]) -> str:
        count, runs = deaths(s), s.get("runs")
        return "n/a" if count is None else f"{count} of {runs} died"

    def death_month(s: Mapping[str, Any]) -> str:
        m = s.get("median_month_of_death")
        return "none died" if m is None else f"median month {month_text(m)}"

    def loop_detail(s: Mapping[str, Any]) -> str:
        if loop_pending is not None:
            return loop_pending
        share = s.get("loop_attributable_share_of_deaths")
        return "" if share is None else f"{_pct(share)} of its deaths"

    da, db = deaths(a), deaths(b)
    death_diff = f"{da - db:+d} companies died" if da is not None and db is not None else "n/a"
    return [
        Kpi(
            "survival",
            "Companies that survive",
            _pct(a.get("survival_rate")),
            _pct(b.get("survival_rate")),
            rate_diff("survival_rate", "survived"),
            ci(a, "survival"),
            ci(b, "survival"),
        ),
        Kpi(
            "loop",
            "Died through the pressure loop",
            "…" if loop_pending is not None else _pct(a.get("loop_attributable_rate")),
            "…" if loop_pending is not None else _pct(b.get("loop_attributable_rate")),
            "…"
            if loop_pending is not None
            else rate_diff("loop_attributable_rate", "loop_attributable"),
            loop_detail(a),
            loop_detail(b),
        ),
        Kpi(
            "death",
            "Companies that ran out of cash",
            died(a),
            died(b),
            death_diff,
            death_month(a),
            death_month(b),
        ),
        Kpi(
            "profit",
            "Profit over the whole run (median)",
            _money(a.get("median_profit_usd")),
            _money(b.get("median_profit_usd")),
            money_diff("median_profit_usd", "profit_usd"),
            "revenue less every cost",
            "revenue less every cost",
        ),
        Kpi(
            "arr",
            "ARR at the end (median; 0 if it died)",
            _money(a.get("median_final_arr_usd")),
            _money(b.get("median_final_arr_usd")),
            money_diff("median_final_arr_usd", "final_arr_usd"),
        ),
    ]


# --------------------------------------------------------------------------------------------
# One run up close
# --------------------------------------------------------------------------------------------


def _col(series: pd.DataFrame, name: str) -> pd.Series:
    return series[name] if name in series else pd.Series(np.nan, index=series.index)


def _death_line(fig: _Fig, series: pd.DataFrame) -> None:
    if "alive" in series and len(series) and not bool(series["alive"].iloc[-1]):
        month = int(series["month"].iloc[-1])
        mark_month(fig, month, f"cash ran out (month {month})", BAD, top=True)


def mark_month(fig: Any, month: int, text: str, color: str, top: bool = False) -> None:
    """A labelled vertical line at ``month``: dashed, labelled above the plot (cash ran out), or
    dotted, labelled at its bottom (the spiral took hold). The label sits on the side of the line
    with more of the chart's months (``_month_span`` of the traces drawn so far): left of a line
    in the chart's second half, right of one in its first half.

    The label is anchored to the month on the x axis, and plotly's autorange makes room for such
    an annotation's text: a label hanging past the months drawn stretched the axis (the money
    chart of a company that died in month 17, whose pressure-cut counterfactual runs to month 60,
    went from month -52 at 1280 x 720). So the label goes where it fits, and ``run_figures``
    fixes the x range to the months drawn (``fit_months``)."""
    fig.add_vline(
        x=month, line={"color": color, "width": 3 if top else 2, "dash": "dash" if top else "dot"}
    )
    lo, hi = _month_span(fig)
    left = hi > lo and month - lo > (hi - lo) / 2  # more room left of the line
    fig.add_annotation(
        x=month,
        y=1 if top else 0,
        yref="paper",
        text=text,
        showarrow=False,
        xanchor="right" if left else "left",
        yanchor="bottom",
        xshift=-4 if left else 4,
        font={"size": FONT_SIZE - (1 if top else 2), "color": color},
        bgcolor="rgba(255,255,255,0.6)",
    )


def _trace_x(trace: Any) -> Any:
    return trace.get("x") if isinstance(trace, Mapping) else getattr(trace, "x", None)


def _month_span(fig: Any) -> tuple[float, float]:
    """The first and last month any trace of ``fig`` (a ``_Fig`` or a ``go.Figure``) is drawn
    at; (0, 0) when none is."""
    months = [
        np.asarray(x, dtype=float)
        for x in (_trace_x(trace) for trace in fig.data)
        if x is not None and len(x)
    ]
    values = np.concatenate(months) if months else np.array([])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)


def fit_months(fig: go.Figure) -> None:
    """Fix the x axis of a month-by-month chart to the months its traces are drawn at (half a
    month more each side when it has bars, as plotly's own autorange gives them), so the month
    markers' labels (annotations, which autorange would make room for) cannot stretch it."""
    lo, hi = _month_span(fig)
    if hi <= lo:
        return  # one month or none: plotly's autorange is fine
    pad = 0.5 if any(getattr(trace, "type", None) == "bar" for trace in fig.data) else 0.0
    fig.update_xaxes(range=[lo - pad, hi + pad], autorange=False)


def _line(
    fig: _Fig,
    x: Any,
    y: Any,
    name: str,
    color: str,
    *,
    dash: str = "solid",
    width: float = LINE_WIDTH,
    fmt: str = ",.0f",
    suffix: str = "",
    yaxis: str = "y",
) -> None:
    fig.add_trace(
        _trace(
            "scatter",
            x=x,
            y=y,
            mode="lines",
            name=name,
            yaxis=yaxis,
            line={"color": color, "width": width, "dash": dash},
            hovertemplate=f"{name}: %{{y:{fmt}}}{suffix}<extra></extra>",
        )
    )


COUNTERFACTUAL_COLOR = "#6B6B6B"
SPIRAL_COLOR = "#8E24AA"


def run_money_chart(
    series: pd.DataFrame, side: str = "A", counterfactual: pd.DataFrame | None = None
) -> go.Figure:
    """Cash in the bank and annual recurring revenue, in $M; with ``counterfactual`` (the same
    company in the same market with the pressure link cut) its cash as a dotted grey line."""
    fig = _Fig()
    _line(
        fig,
        series["month"],
        _col(series, "cash_usd") / 1e6,
        "cash in the bank",
        side_color(side),
        fmt=",.2f",
    )
    if counterfactual is not None and len(counterfactual):
        _line(
            fig,
            counterfactual["month"],
            _col(counterfactual, "cash_usd") / 1e6,
            "cash, same company with pressure cut",
            COUNTERFACTUAL_COLOR,
            dash="dot",
            width=LINE_WIDTH - 1,
            fmt=",.2f",
        )
    _line(
        fig,
        series["month"],
        _col(series, "arr_usd") / 1e6,
        "annual recurring revenue",
        NEUTRAL,
        dash="dash",
        fmt=",.2f",
    )
    _style(fig, "Cash and revenue", "$ million", show_legend=True)
    _death_line(fig, series)
    return fig.build()


def pipeline_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """The deal pipeline: open deals, prospects waiting for a promised feature, customers."""
    fig = _Fig()
    _line(
        fig,
        series["month"],
        _col(series, "pipeline_deals"),
        "deals in the pipeline",
        side_color(side),
    )
    _line(
        fig,
        series["month"],
        _col(series, "waiting_prospects"),
        "prospects waiting for a promised feature",
        NEUTRAL,
        dash="dot",
    )
    _line(
        fig,
        series["month"],
        _col(series, "customers"),
        "paying customers",
        NEUTRAL,
        dash="solid",
        width=3,
    )
    _style(
        fig,
        "The deal pipeline",
        "count",
        show_legend=True,
        subtitle="open deals, prospects waiting for a promised feature, paying customers",
    )
    _death_line(fig, series)
    return fig.build()


def work_split_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """Engineering time on one-off custom work vs the roadmap (share of capacity)."""
    fig = _Fig()
    month = series["month"]
    custom = _col(series, "custom_share").clip(0, 1) * 100
    roadmap = _col(series, "roadmap_share").clip(0, 1) * 100
    fig.add_trace(
        _trace(
            "scatter",
            x=month,
            y=roadmap,
            mode="lines",
            stackgroup="work",
            name="roadmap (for the market)",
            line={"color": "#7A7A7A", "width": 1},
            fillcolor="rgba(140,140,140,0.45)",
            hovertemplate="roadmap: %{y:.0f}%<extra></extra>",
        )
    )
    fig.add_trace(
        _trace(
            "scatter",
            x=month,
            y=custom,
            mode="lines",
            stackgroup="work",
            name="custom work (for one deal)",
            line={"color": side_color(side), "width": 1},
            fillcolor=_rgba(side_color(side), 0.75),
            hovertemplate="custom: %{y:.0f}%<extra></extra>",
        )
    )
    _style(
        fig,
        "Where engineering time went",
        "% of engineering",
        y_range=(0, 105),
        percent=True,
        show_legend=True,
        subtitle="custom work for one deal vs the roadmap for the market",
    )
    _death_line(fig, series)
    return fig.build()


def contingent_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """'Buy if you build X' deals each month: accepted, delivered, converted into the full order."""
    fig = _Fig()
    month = series["month"]
    for col, name, color in (
        ("contingent_accepted", "accepted", side_color(side)),
        ("contingent_delivered", "feature delivered", "#7A7A7A"),
        ("contingent_converted", "bought the full order", GOOD),
    ):
        fig.add_trace(
            _trace(
                "bar",
                x=month,
                y=_col(series, col),
                name=name,
                marker_color=color,
                hovertemplate=f"{name}: %{{y:.0f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="group", bargap=0.15)
    _style(
        fig,
        "'Buy if you build X' deals",
        "deals",
        show_legend=True,
        subtitle="each month: accepted by sales, feature delivered, full order bought",
    )
    _death_line(fig, series)
    return fig.build()


def promises_dropped(series: pd.DataFrame) -> pd.Series:
    """Promises that ended each month neither kept nor broken: the customer who held one churned
    first (MODEL.md §7.14, step 4: a churned customer's promise is dropped, not settled). The
    model counts no such column; it is what is left of the month's promises made after the kept,
    the broken and the change in those outstanding (exactly the promised customers who churned,
    checked on runs of four presets). Zeros without a ``promises_made`` column."""
    if "promises_made" not in series:
        return pd.Series(0.0, index=series.index)
    outstanding = _col(series, "promises_outstanding").fillna(0)
    change = outstanding.diff().fillna(outstanding)  # the first month: from none outstanding
    dropped = (
        _col(series, "promises_made").fillna(0)
        - _col(series, "promises_kept").fillna(0)
        - _col(series, "promises_broken").fillna(0)
        - change
    )
    return dropped.clip(lower=0)


@dataclass(frozen=True)
class PromiseTally:
    """How a run's feature promises ended: ``made`` = ``kept`` + ``broken`` + ``dropped`` (the
    customer churned before the promise was settled) + ``outstanding`` (still open at the end)."""

    made: int
    kept: int
    broken: int
    dropped: int
    outstanding: int


def promise_tally(series: pd.DataFrame) -> PromiseTally:
    """The promises of a run, each counted in the one way it ended (``PromiseTally``)."""

    def total(column: str) -> int:
        return int(_col(series, column).fillna(0).sum())

    last = _col(series, "promises_outstanding").dropna()
    return PromiseTally(
        made=total("promises_made"),
        kept=total("promises_kept"),
        broken=total("promises_broken"),
        dropped=round(float(promises_dropped(series).sum())),
        outstanding=int(last.iloc[-1]) if len(last) else 0,
    )


DROPPED_COLOR = "#9A9A9A"


def promises_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """Roadmap promises: kept (up), broken and dropped with a customer who left (down) each month,
    and how many are outstanding."""
    return _up_down_chart(
        series,
        side,
        ("promises_kept", "kept"),
        ("promises_broken", "broken"),
        ("promises_outstanding", "still outstanding"),
        "Feature promises to customers",
        "promises",
        "kept (up), broken or dropped when the customer left (down) each month; the line: "
        "still outstanding",
        extra_down=(promises_dropped(series), "dropped: the customer left", DROPPED_COLOR),
    )


def reps_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """Sales team: reps employed, hired (up) and lost (down) each month."""
    return _up_down_chart(
        series,
        side,
        ("reps_hired", "hired"),
        ("reps_left", "left"),
        ("reps", "reps employed"),
        "Sales reps",
        "reps",
        "hired (up) and left (down) each month; the line: employed",
    )


def _up_down_chart(
    series: pd.DataFrame,
    side: str,
    up: tuple[str, str],
    down: tuple[str, str],
    level: tuple[str, str],
    title: str,
    unit: str,
    subtitle: str,
    extra_down: tuple[pd.Series, str, str] | None = None,
) -> go.Figure:
    """Monthly gains as bars up, losses as bars down, and the running level as a line;
    ``extra_down`` (values, name, colour): a second kind of loss, stacked under the first."""
    fig = _Fig()
    month = series["month"]
    (up_col, up_name), (down_col, down_name), (level_col, level_name) = up, down, level
    fig.add_trace(
        _trace(
            "bar",
            x=month,
            y=_col(series, up_col),
            name=up_name,
            marker_color=GOOD,
            hovertemplate=f"{up_name}: %{{y:.0f}}<extra></extra>",
        )
    )
    fig.add_trace(
        _trace(
            "bar",
            x=month,
            y=-_col(series, down_col),
            name=down_name,
            marker_color=BAD,
            customdata=_col(series, down_col),
            hovertemplate=f"{down_name}: %{{customdata:.0f}}<extra></extra>",
        )
    )
    if extra_down is not None:
        values, name, color = extra_down
        fig.add_trace(
            _trace(
                "bar",
                x=month,
                y=-values,
                name=name,
                marker_color=color,
                customdata=values,
                hovertemplate=f"{name}: %{{customdata:.0f}}<extra></extra>",
            )
        )
    _line(fig, month, _col(series, level_col), level_name, side_color(side))
    fig.update_layout(barmode="relative")
    _style(fig, title, unit, show_legend=True, subtitle=subtitle)
    _death_line(fig, series)
    return fig.build()


def run_fit_chart(series: pd.DataFrame, side: str = "A") -> go.Figure:
    """One run's product fit, competitor fit and win rate."""
    fig = _Fig()
    month = series["month"]
    _line(
        fig,
        month,
        _col(series, "product_fit") * 100,
        "our product's fit",
        side_color(side),
        fmt=".0f",
        suffix="%",
    )
    _line(
        fig,
        month,
        _col(series, "competitor_fit") * 100,
        "competitor's fit",
        NEUTRAL,
        dash="dot",
        fmt=".0f",
        suffix="%",
    )
    won = _col(series, "win_rate").rolling(3, min_periods=1).mean() * 100
    _line(
        fig,
        month,
        won,
        "deals won (3-month average)",
        "#7A7A7A",
        dash="dash",
        width=3,
        fmt=".0f",
        suffix="%",
    )
    _style(
        fig,
        "Fit to the market and deals won",
        "%",
        y_range=(0, 105),
        percent=True,
        show_legend=True,
        subtitle="share of market needs covered, ours vs the competitor's; share of decided deals "
        "won",
    )
    _death_line(fig, series)
    return fig.build()


def run_figures(
    series: pd.DataFrame,
    side: str = "A",
    spiral_onset: int | None = None,
    counterfactual: pd.DataFrame | None = None,
) -> dict[str, go.Figure]:
    """Every chart of the one-run page, keyed; the month the death spiral took hold (if it did)
    marked on each, and the counterfactual's cash (if given) on the money chart."""
    figs = {
        "money": run_money_chart(series, side, counterfactual),
        "pipeline": pipeline_chart(series, side),
        "contingent": contingent_chart(series, side),
        "work": work_split_chart(series, side),
        "promises": promises_chart(series, side),
        "reps": reps_chart(series, side),
        "fit": run_fit_chart(series, side),
    }
    for fig in figs.values():
        if spiral_onset is not None:
            mark_spiral(fig, spiral_onset)
        fit_months(fig)
    return figs


def mark_spiral(fig: go.Figure, month: int) -> None:
    """A dotted line at the month the death spiral took hold, labelled at the bottom."""
    mark_month(fig, month, f"spiral (month {month})", SPIRAL_COLOR)


TEAM_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Okabe-Ito colours for teams (their yellow left out: it is unreadable on white); past seven
teams the colours repeat with another dash."""
TEAM_DASHES = ("solid", "dash", "dashdot")
REFERENCE_COLOR = "#8A8A8A"


def team_paths_chart(
    paths: Mapping[str, pd.DataFrame],
    column: str,
    title: str,
    y_title: str,
    scale: float = 1.0,
    references: Mapping[str, pd.DataFrame] | None = None,
    *,
    percent: bool = False,
    subtitle: str | None = None,
    colors: Mapping[str, str] | None = None,
) -> go.Figure:
    """One line per team (``paths``: team name -> its run's series) of ``column`` times
    ``scale``, and the ``references`` (e.g. the presets on the same seed) as dotted grey lines.
    A team whose company died ends its line with a cross at the month of death. ``colors``
    (team name -> colour) keeps a team's colour when it is drawn alone; otherwise teams take
    ``TEAM_COLORS`` in order."""
    fig = _Fig()
    fmt = ",.0f" if percent or scale == 100 else ",.2f"
    suffix = "%" if percent else ""
    for i, (name, ref) in enumerate((references or {}).items()):
        _line(
            fig,
            ref["month"],
            _col(ref, column) * scale,
            name,
            REFERENCE_COLOR,
            dash=("dot", "dashdot")[i % 2],
            width=LINE_WIDTH - 1.5,
            fmt=fmt,
            suffix=suffix,
        )
    for i, (name, series) in enumerate(paths.items()):
        color = (colors or {}).get(name, TEAM_COLORS[i % len(TEAM_COLORS)])
        dash = TEAM_DASHES[(i // len(TEAM_COLORS)) % len(TEAM_DASHES)]
        values = _col(series, column) * scale
        _line(fig, series["month"], values, name, color, dash=dash, fmt=fmt, suffix=suffix)
        if "alive" in series and len(series) and not bool(series["alive"].iloc[-1]):
            fig.add_trace(
                _trace(
                    "scatter",
                    x=[series["month"].iloc[-1]],
                    y=[values.iloc[-1]],
                    mode="markers",
                    marker={"symbol": "x-thin", "size": 16, "line": {"width": 3.5, "color": color}},
                    name=f"{name}: cash ran out",
                    showlegend=False,
                    hovertemplate=f"{name} ran out of cash in month %{{x}}<extra></extra>",
                )
            )
    _style(fig, title, y_title, show_legend=True, percent=percent, subtitle=subtitle)
    return fig.build()


CONTINGENT_OUTCOMES = (
    "bought the full order",
    "feature delivered, no full order",
    "bet killed at its spend cap",
    "still waiting when the run ended",
)


def contingent_outcomes(events: pd.DataFrame) -> pd.DataFrame:
    """Each 'buy if you build X' deal accepted and how it ended, from the run's events.

    Columns: ``month`` accepted, ``segment``, ``seats_now``, ``seats_promised``, ``estimate_em``,
    ``actual_em``, ``ended_month``, ``outcome`` (one of ``CONTINGENT_OUTCOMES``) and ``on_time``.
    """
    columns = [
        "month",
        "segment",
        "seats_now",
        "seats_promised",
        "estimate_em",
        "actual_em",
        "ended_month",
        "outcome",
        "on_time",
    ]
    if events is None or events.empty or "event" not in events:
        return pd.DataFrame(columns=columns)
    accepted = events[events["event"] == "contingent_accepted"]
    ends = events[events["event"].isin(["contingent_delivered", "bet_killed"])]
    # A customer can in principle ask more than once: pair each end with the earliest open request.
    open_by_customer: dict[Any, list[int]] = {}
    rows: list[dict[str, Any]] = []
    for _, ev in accepted.iterrows():
        rows.append(
            {
                "month": int(ev["month"]),
                "segment": ev.get("segment"),
                "seats_now": ev.get("seats_now"),
                "seats_promised": ev.get("seats_promised"),
                "estimate_em": ev.get("estimate_em"),
                "actual_em": np.nan,
                "ended_month": np.nan,
                "outcome": CONTINGENT_OUTCOMES[3],
                "on_time": None,
            }
        )
        open_by_customer.setdefault(ev.get("customer"), []).append(len(rows) - 1)
    for _, ev in ends.iterrows():
        queue = open_by_customer.get(ev.get("customer"))
        if not queue:
            continue
        row = rows[queue.pop(0)]
        row["ended_month"] = int(ev["month"])
        if ev["event"] == "bet_killed":
            row["outcome"] = CONTINGENT_OUTCOMES[2]
            row["actual_em"] = ev.get("spent_em", np.nan)
        else:
            row["outcome"] = (
                CONTINGENT_OUTCOMES[0] if bool(ev.get("converted")) else CONTINGENT_OUTCOMES[1]
            )
            row["actual_em"] = ev.get("actual_em", np.nan)
            row["on_time"] = None if pd.isna(ev.get("on_time")) else bool(ev.get("on_time"))
    return pd.DataFrame(rows, columns=columns)


def contingent_outcome_chart(outcomes: pd.DataFrame, side: str = "A") -> go.Figure:
    """How the accepted 'buy if you build X' deals ended: one bar per outcome."""
    counts = outcomes["outcome"].value_counts() if len(outcomes) else pd.Series(dtype=int)
    names = list(CONTINGENT_OUTCOMES)
    values = [int(counts.get(n, 0)) for n in names]
    colors = [GOOD, "#7A7A7A", BAD, side_color(side)]
    fig = _Fig()
    fig.add_trace(
        _trace(
            "bar",
            x=values,
            y=names,
            orientation="h",
            marker_color=colors,
            text=values,
            textposition="outside",
            textfont={"size": FONT_SIZE},
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    _style(fig, f"How the {len(outcomes)} 'buy if you build X' deals ended", "", x_title="deals")
    fig.update_yaxes(autorange="reversed", showline=False, ticks="")
    fig.update_xaxes(range=[0, max(values + [1]) * 1.2])
    fig.update_layout(margin={"l": 330})
    return fig.build()


SEGMENT_WORDS = {
    "smb": "a small-business",
    "midmarket": "a mid-market",
    "enterprise": "an enterprise",
}

_EVENT_TEXT: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "decision": lambda e: f"a scheduled decision took effect: {e.get('changes') or 'no change'}",
    "rep_hired": lambda e: (
        "a founding sales rep started" if e.get("month") == 0 else "a sales rep was hired"
    ),
    "rep_left": lambda e: (
        "a sales rep left"
        + (f" (at {100 * e['attainment']:.0f}% of quota)" if _num(e.get("attainment")) else "")
    ),
    "contingent_accepted": lambda e: (
        f"sales accepted a 'buy if you build X' deal from "
        f"{SEGMENT_WORDS.get(str(e.get('segment')), 'a ' + str(e.get('segment')))} "
        f"prospect: {_int(e.get('seats_now'))} seats now, "
        f"{_int(e.get('seats_promised'))} promised later"
    ),
    "contingent_delivered": lambda e: (
        "the custom feature shipped"
        + (" on time" if e.get("on_time") is True else " late")
        + _effort_text(e, e.get("on_time") is True)
        + (
            "; the customer bought the full order"
            if e.get("converted") is True
            else "; the full order never came"
        )
    ),
    "bet_killed": lambda e: (
        f"a custom bet was stopped at its spend cap ({_num1(e.get('spent_em'))} engineer-months "
        f"spent)"
    ),
    "experiment_killed": lambda e: (
        "a small product experiment was stopped: it showed too little value"
    ),
    "leapfrog": lambda e: "the competitor shipped a leapfrog release",
    "funding": lambda e: f"raised a round of {_money(e.get('amount_usd'))}",
    "funding_refused": lambda e: "investors said no",
    "engineer_hired": lambda e: (
        "spare cash after product-market fit bought an engineer"
        + (f" (team of {_int(e.get('engineers'))})" if _num(e.get("engineers")) else "")
    ),
    "pmf": lambda e: "product-market fit signal",
    "death": lambda e: "cash ran out: the company died",
}


def _effort_text(e: Mapping[str, Any], on_time: bool) -> str:
    """What the item cost against its estimate: an overrun shipped on time still overran."""
    if not _num(e.get("actual_em")):
        return ""
    actual, estimate = float(e["actual_em"]), e.get("estimate_em")
    over = _num(estimate) and actual > float(estimate)
    lead = ", though it took" if on_time and over else " after"
    return (
        f"{lead} {_num1(actual)} engineer-months against {_num1(estimate)} estimated"
        if _num(estimate)
        else f"{lead} {_num1(actual)} engineer-months"
    )


def _num(x: Any) -> bool:
    try:
        return x is not None and np.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def _num1(x: Any) -> str:
    return f"{float(x):.1f}" if _num(x) else "?"


def _int(x: Any) -> str:
    return f"{int(float(x))}" if _num(x) else "?"


def story(events: pd.DataFrame, kinds: Sequence[str] | None = None) -> pd.DataFrame:
    """The run's events in plain language: ``month`` and ``what happened``."""
    if events is None or events.empty or "event" not in events:
        return pd.DataFrame(columns=["month", "what happened"])
    rows = []
    for record in events.to_dict("records"):
        kind = record.get("event")
        if kinds is not None and kind not in kinds:
            continue
        clean = {
            k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in record.items()
        }
        text = _EVENT_TEXT.get(kind, lambda e, k=kind: str(k).replace("_", " "))(clean)
        rows.append({"month": int(record["month"]), "what happened": text})
    return pd.DataFrame(rows, columns=["month", "what happened"])


def results_table(
    summaries: Mapping[str, pd.DataFrame], names: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Per-run summaries of both sides in one table (``side`` and ``scenario`` first) for the
    CSV."""
    frames = []
    for side, frame in summaries.items():
        frame = frame.copy()
        frame.insert(0, "scenario", (names or {}).get(side, side))
        frame.insert(0, "side", side)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
