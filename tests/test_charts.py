"""sim.report.charts: the figures and KPI text are pure functions of result frames, styled for a
projector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from sim.report import charts
from sim.report.charts import SIDE_COLORS


def _bands(months: int = 12, level: float = 1.0, alive_until: int | None = None) -> pd.DataFrame:
    month = np.arange(1, months + 1)
    out = {"month": month, "alive_share": np.where(month <= (alive_until or months), 1.0, 0.5)}
    for col, base in (
        ("cash_usd", 2e6),
        ("runway_months", 20.0),
        ("arr_usd", 1e5),
        ("customers", 10.0),
        ("product_fit", 0.4),
        ("competitor_fit", 0.35),
        ("custom_share", 0.3),
        ("reps", 3.0),
        ("pressure", 0.2),
    ):
        mid = base * level * (1 + 0.05 * month)
        out[f"{col}_p10"], out[f"{col}_p50"], out[f"{col}_p90"] = 0.8 * mid, mid, 1.2 * mid
    out["runway_months_p90"] = np.full(months, 120.0)  # "not burning" is reported as 120 months
    return pd.DataFrame(out)


BANDS = {"A": _bands(level=1.0, alive_until=6), "B": _bands(level=1.5)}
DEATHS = {"A": [5, 5, 7], "B": []}
LABELS = {"A": "A: Sales-led", "B": "B: Product-led"}


def _colors(fig: go.Figure) -> set[str]:
    found = set()
    for trace in fig.data:
        for attr in ("line", "marker"):
            obj = getattr(trace, attr, None)
            color = getattr(obj, "color", None) if obj is not None else None
            if isinstance(color, str):
                found.add(color)
    return found


def test_compare_figures_has_every_chart_the_issue_names():
    figs = charts.compare_figures(BANDS, DEATHS, labels=LABELS, runs={"A": 8, "B": 8})
    assert set(figs) == {
        "survival",
        "cash",
        "runway",
        "arr",
        "customers",
        "fit",
        "custom",
        "reps",
        "pressure",
    }
    for name, fig in figs.items():
        assert isinstance(fig, go.Figure), name
        assert fig.layout.title.text, f"{name} has no title"
    assert list(figs) == list(charts.COMPARE_ORDER)  # the order the Compare page draws them in


def test_compare_figure_builds_one_chart_as_compare_figures_does():
    """The Compare page builds and sends its charts one at a time (``compare_figure``): each is
    the same figure ``compare_figures`` makes, in the same order."""
    runs = {"A": 8, "B": 8}
    figs = charts.compare_figures(BANDS, DEATHS, labels=LABELS, runs=runs)
    assert tuple(figs) == charts.COMPARE_ORDER
    for name, fig in figs.items():
        one = charts.compare_figure(name, BANDS, DEATHS, LABELS, runs)
        assert one.to_json() == fig.to_json(), name
    with pytest.raises(KeyError, match="no compare chart 'nope'"):
        charts.compare_figure("nope", BANDS, DEATHS)


@pytest.mark.parametrize(
    "name", ["survival", "cash", "runway", "arr", "customers", "fit", "custom", "reps", "pressure"]
)
def test_side_a_and_b_keep_their_colours_on_every_chart(name):
    fig = charts.compare_figures(BANDS, DEATHS, labels=LABELS)[name]
    colours = _colors(fig)
    assert SIDE_COLORS["A"] in colours and SIDE_COLORS["B"] in colours
    for trace in fig.data:  # every trace named for a side is drawn in that side's colour
        if trace.name and trace.name.startswith("A:"):
            assert SIDE_COLORS["A"] in (
                getattr(trace.line, "color", None),
                getattr(trace.marker, "color", None),
            )
        if trace.name and trace.name.startswith("B:"):
            assert SIDE_COLORS["B"] in (
                getattr(trace.line, "color", None),
                getattr(trace.marker, "color", None),
            )


def test_fan_chart_draws_p10_p90_band_and_median_on_shared_axes():
    fig = charts.fan_chart(BANDS, "arr_usd", title="ARR", y_title="$M", labels=LABELS, scale=1e-6)
    medians = [t for t in fig.data if t.name in LABELS.values()]
    assert len(medians) == 2
    assert np.allclose(medians[0].y, BANDS["A"]["arr_usd_p50"] * 1e-6)
    filled = [t for t in fig.data if t.fill == "tonexty"]
    assert len(filled) == 2  # one band per side
    # one x axis for both sides, covering the whole horizon
    assert tuple(fig.layout.xaxis.range) == (0.5, 12.5)


def test_death_months_are_marked_per_side_with_counts():
    fig = charts.fan_chart(
        BANDS, "cash_usd", title="Cash", y_title="$M", labels=LABELS, deaths=DEATHS
    )
    marks = [t for t in fig.data if t.yaxis == "y2"]
    assert len(marks) == 1  # side B had no deaths
    assert list(marks[0].x) == [5, 7] and list(marks[0].customdata) == [2, 1]
    assert marks[0].marker.line.color == SIDE_COLORS["A"]


def test_no_deaths_no_strip():
    fig = charts.fan_chart(BANDS, "cash_usd", title="Cash", y_title="$M", deaths={"A": [], "B": []})
    assert not [t for t in fig.data if t.yaxis == "y2"]


def test_runway_is_clipped_so_not_burning_does_not_flatten_the_chart():
    fig = charts.compare_figures(BANDS, DEATHS)["runway"]
    ys = np.concatenate([np.asarray(t.y, dtype=float) for t in fig.data if t.yaxis != "y2"])
    assert np.nanmax(ys) <= charts.RUNWAY_CLIP_MONTHS


def test_missing_column_draws_empty_rather_than_failing():
    bands = {"A": BANDS["A"].drop(columns=["reps_p10", "reps_p50", "reps_p90"]), "B": BANDS["B"]}
    fig = charts.compare_figures(bands, DEATHS)["reps"]
    assert isinstance(fig, go.Figure)


def test_projector_style_large_type():
    fig = charts.compare_figures(BANDS, DEATHS)["cash"]
    assert fig.layout.font.size >= 18
    assert fig.layout.title.font.size >= 22
    assert fig.layout.xaxis.tickfont.size >= 18


def test_subtitles_wrap_to_fit_a_half_width_chart():
    lines = charts.wrap("share of engineering time spent building what a single deal asked for", 30)
    assert all(len(line) <= 30 for line in lines) and len(lines) >= 2


def test_kpis_difference_a_minus_b():
    a = {
        "runs": 32,
        "survival_rate": 0.25,
        "survival_ci_low": 0.1,
        "survival_ci_high": 0.45,
        "spiral_rate": 0.5,
        "loop_attributable_rate": 0.3,
        "loop_attributable_share_of_deaths": 0.86,
        "median_month_of_death": 30.0,
        "median_final_arr_usd": 200_000.0,
    }
    b = {
        "survival_rate": 0.9,
        "survival_ci_low": 0.75,
        "survival_ci_high": 0.97,
        "spiral_rate": 0.0,
        "loop_attributable_rate": 0.0,
        "loop_attributable_share_of_deaths": None,
        "median_month_of_death": None,
        "median_final_arr_usd": 2_500_000.0,
    }
    cards = {k.key: k for k in charts.kpis(a, b)}
    assert set(cards) == {"survival", "loop", "death", "profit", "arr"}
    assert cards["survival"].a == "25%" and cards["survival"].b == "90%"
    assert cards["survival"].diff == "−65 points"
    assert "10–45%" in cards["survival"].a_detail
    assert cards["loop"].diff == "+30 points"
    assert cards["loop"].a_detail == "86% of its deaths" and cards["loop"].b_detail == ""
    pending = {k.key: k for k in charts.kpis(a, b, loop_pending="once every run is in")}["loop"]
    assert pending.a == pending.b == pending.diff == "…"
    assert pending.a_detail == "once every run is in"
    assert cards["arr"].a == "$200k" and cards["arr"].b == "$2.5M" and cards["arr"].diff == "−$2.3M"


def test_kpis_compare_deaths_like_with_like():
    """28 of 32 died against 1 of 32: counts per side with each side's own median month, never
    'A - B: +18 months' from two medians over different companies (which reads as A doing
    better)."""
    a = {"runs": 32, "survival_rate": 4 / 32, "median_month_of_death": 28.0}
    b = {"runs": 32, "survival_rate": 31 / 32, "median_month_of_death": 46.0}
    card = {k.key: k for k in charts.kpis(a, b)}["death"]
    assert (card.a, card.b) == ("28 of 32 died", "1 of 32 died")
    assert (card.a_detail, card.b_detail) == ("median month 28", "median month 46")
    assert card.diff == "+27 companies died"
    assert "month" not in card.diff
    none = {k.key: k for k in charts.kpis(b | {"survival_rate": 1.0}, b)}["death"]
    assert none.a == "0 of 32 died" and none.a_detail == "median month 46"


def test_a_median_month_between_two_months_keeps_its_half():
    """Six deaths in months 23-25 have median 23.5: the card said "median month 24" (format
    rounds half to even: 24.5 would also read 24) where `sim compare` says 23.5."""
    b = {"runs": 32, "survival_rate": 26 / 32, "median_month_of_death": 23.5}
    card = {k.key: k for k in charts.kpis(b, b | {"median_month_of_death": 24.5})}["death"]
    assert (card.a_detail, card.b_detail) == ("median month 23.5", "median month 24.5")


def test_kpis_paired_intervals_from_run_summaries():
    """With both sides' run summaries (same seeds) the differences carry a paired interval."""
    rng = np.random.default_rng(3)
    runs_a = [
        {
            "survived": bool(rng.random() < 0.3),
            "profit_usd": -2e6 + 1e5 * rng.standard_normal(),
            "final_arr_usd": 1e5 * rng.random(),
        }
        for _ in range(32)
    ]
    runs_b = [
        {
            "survived": bool(rng.random() < 0.9),
            "profit_usd": -1e6 + 1e5 * rng.standard_normal(),
            "final_arr_usd": 1e6 * rng.random(),
        }
        for _ in range(32)
    ]
    a = {
        "runs": 32,
        "survival_rate": np.mean([r["survived"] for r in runs_a]),
        "median_profit_usd": -2e6,
        "median_final_arr_usd": 5e4,
    }
    b = {
        "runs": 32,
        "survival_rate": np.mean([r["survived"] for r in runs_b]),
        "median_profit_usd": -1e6,
        "median_final_arr_usd": 5e5,
    }
    cards = {k.key: k for k in charts.kpis(a, b, runs_a, runs_b)}
    assert "(95% CI " in cards["survival"].diff
    assert cards["profit"].diff.startswith("mean −$1.") and "(95% CI " in cards["profit"].diff
    assert cards["profit"].a == "−$2.0M" or cards["profit"].a == "-$2.0M"
    assert "(95% CI " in cards["arr"].diff
    # without run summaries: the difference of the medians, no interval
    plain = {k.key: k for k in charts.kpis(a, b)}
    assert "CI" not in plain["profit"].diff


def test_kpis_tolerate_missing_values():
    cards = charts.kpis({}, {})
    assert all(c.a == "n/a" or c.a == "none died" for c in cards)


EVENTS = pd.DataFrame(
    [
        {"month": 0, "event": "rep_hired", "rep": 1},
        {
            "month": 2,
            "event": "contingent_accepted",
            "customer": 10,
            "rep": 1,
            "segment": "enterprise",
            "seats_now": 20,
            "seats_promised": 200,
            "estimate_em": 10.0,
            "due_month": 8,
        },
        {
            "month": 3,
            "event": "contingent_accepted",
            "customer": 11,
            "rep": 1,
            "segment": "smb",
            "seats_now": 5,
            "seats_promised": 9,
            "estimate_em": 2.0,
            "due_month": 6,
        },
        {
            "month": 4,
            "event": "contingent_accepted",
            "customer": 12,
            "rep": 1,
            "segment": "midmarket",
            "seats_now": 8,
            "seats_promised": 40,
            "estimate_em": 4.0,
            "due_month": 9,
        },
        {
            "month": 4,
            "event": "contingent_accepted",
            "customer": 13,
            "rep": 1,
            "segment": "midmarket",
            "seats_now": 8,
            "seats_promised": 40,
            "estimate_em": 4.0,
            "due_month": 9,
        },
        {
            "month": 7,
            "event": "contingent_delivered",
            "customer": 11,
            "converted": True,
            "on_time": False,
            "estimate_em": 2.0,
            "actual_em": 5.5,
        },
        {
            "month": 9,
            "event": "contingent_delivered",
            "customer": 10,
            "converted": False,
            "on_time": True,
            "estimate_em": 10.0,
            "actual_em": 12.0,
        },
        {"month": 9, "event": "bet_killed", "customer": 12, "spent_em": 7.0, "estimate_em": 4.0},
        {"month": 11, "event": "death", "cash": -10.0},
    ]
)


def test_contingent_outcomes_pairs_each_deal_with_how_it_ended():
    out = charts.contingent_outcomes(EVENTS)
    assert list(out["outcome"]) == [
        "feature delivered, no full order",
        "bought the full order",
        "bet killed at its spend cap",
        "still waiting when the run ended",
    ]
    assert list(out["ended_month"].fillna(-1)) == [9, 7, 9, -1]
    assert out.loc[1, "actual_em"] == 5.5 and out.loc[1, "on_time"] is False
    fig = charts.contingent_outcome_chart(out)
    assert list(fig.data[0].x) == [1, 1, 1, 1]


def test_contingent_outcomes_of_no_events():
    assert charts.contingent_outcomes(pd.DataFrame(columns=["month", "event"])).empty
    assert charts.story(pd.DataFrame(columns=["month", "event"])).empty


def test_story_is_plain_language_and_filterable():
    text = charts.story(EVENTS)
    assert len(text) == len(EVENTS)
    assert (
        "an enterprise prospect: 20 seats now, 200 promised later" in text.iloc[1]["what happened"]
    )
    assert (
        "late" in text.iloc[5]["what happened"]
        and "bought the full order" in text.iloc[5]["what happened"]
    )
    assert text.iloc[-1]["what happened"].startswith("cash ran out")
    only = charts.story(EVENTS, kinds=["death"])
    assert list(only["month"]) == [11]


def test_results_table_stacks_sides():
    table = charts.results_table(
        {"A": pd.DataFrame({"seed": [0, 1]}), "B": pd.DataFrame({"seed": [0]})},
        {"A": "Sales-led", "B": "Product-led"},
    )
    assert list(table.columns[:3]) == ["side", "scenario", "seed"]
    assert list(table["side"]) == ["A", "A", "B"]


@pytest.fixture(scope="module")
def real_run():
    from sim import run
    from sim.config import preset

    return run(preset("sales_led"), seed=1, months=14)


def test_one_run_figures_from_a_real_run(real_run):
    figs = charts.run_figures(real_run.series, "B")
    assert set(figs) == {"money", "pipeline", "contingent", "work", "promises", "reps", "fit"}
    for name, fig in figs.items():
        assert fig.data, name
        assert SIDE_COLORS["B"] in _colors(fig) or any(
            SIDE_COLORS["B"] in str(getattr(t, "fillcolor", ""))
            or "213,94,0" in str(getattr(t, "fillcolor", ""))
            for t in fig.data
        ), name
    outcomes = charts.contingent_outcomes(real_run.events)
    accepted = int(real_run.series["contingent_accepted"].sum())
    assert len(outcomes) == accepted
    assert len(charts.story(real_run.events)) == len(real_run.events)


def test_compare_figures_from_real_bands(real_run):
    from sim.analysis.bands import quantile_bands

    bands = quantile_bands(
        [real_run.series],
        [
            "cash_usd",
            "runway_months",
            "arr_usd",
            "customers",
            "product_fit",
            "competitor_fit",
            "custom_share",
            "reps",
            "pressure",
        ],
        14,
    )
    figs = charts.compare_figures({"A": bands, "B": bands}, {"A": [], "B": []})
    assert len(figs) == 9


def test_kpis_rate_interval_stays_within_a_hundred_points():
    """Four seeds: the t interval of a survival difference runs past -100; the card clips it to
    what a difference of two shares can be."""
    import re

    runs_a = [{"survived": s} for s in (True, False, False, False)]
    runs_b = [{"survived": True} for _ in range(4)]
    a, b = {"runs": 4, "survival_rate": 0.25}, {"runs": 4, "survival_rate": 1.0}
    diff = {k.key: k for k in charts.kpis(a, b, runs_a, runs_b)}["survival"].diff
    bounds = [int(x) for x in re.findall(r"[+-]\d+", diff.split("CI")[1])]
    assert len(bounds) == 2 and -100 <= bounds[0] <= bounds[1] <= 100, diff


def test_run_figures_mark_the_spiral_and_draw_the_counterfactual():
    from sim.config import preset
    from sim.experiment.runner import run

    series = run(preset("sales_led"), seed=0, months=12, attribute=False).series
    other = series.assign(cash_usd=series["cash_usd"] * 2)
    figs = charts.run_figures(series, "A", spiral_onset=5, counterfactual=other)
    for name, fig in figs.items():
        texts = [a.text for a in fig.layout.annotations]
        assert "spiral (month 5)" in texts, name
        assert any(shape.x0 == 5 for shape in fig.layout.shapes), name
    names = [trace.name for trace in figs["money"].data]
    assert "cash, same company with pressure cut" in names
    plain = charts.run_figures(series, "A")
    assert not any("spiral" in (a.text or "") for a in plain["money"].layout.annotations)
    assert "cash, same company with pressure cut" not in [t.name for t in plain["money"].data]


@pytest.fixture(scope="module")
def died_with_longer_counterfactual():
    """Sales-led company #0: ran out of cash in month 17; with the pressure cut it lives to 60."""
    from sim.config import preset
    from sim.experiment.runner import counterfactual, run

    result = run(preset("sales_led"), seed=0, attribute=False)
    assert result.summary["month_of_death"] == 17
    other = counterfactual(preset("sales_led"), 0).series
    assert int(other["month"].max()) == 60
    return result.series, other


def test_run_figures_x_axis_spans_the_months_drawn_not_the_labels(
    died_with_longer_counterfactual,
):
    """The money chart of a company that died in month 17 next to its counterfactual (to month
    60) ran from month -52 at 1280 x 720: its "cash ran out" label hung left of the line and
    plotly's autorange made room for it. Every run chart's x axis is now fixed to the months its
    traces are drawn at, and a month marker's label sits on the side with more months."""
    series, other = died_with_longer_counterfactual
    for spiral in (None, 3, 16):
        figs = charts.run_figures(series, "A", spiral_onset=spiral, counterfactual=other)
        for name, fig in figs.items():
            months = [m for t in fig.data for m in t.x]
            bars = any(t.type == "bar" for t in fig.data)
            pad = 0.5 if bars else 0.0
            assert list(fig.layout.xaxis.range) == [min(months) - pad, max(months) + pad], name
            assert fig.layout.xaxis.autorange is False, name
            lo, hi = fig.layout.xaxis.range
            for note in fig.layout.annotations:
                assert lo <= note.x <= hi, (name, note.text)
                # the label runs toward the middle of the axis, never out past its end
                toward_left = note.xanchor == "right"
                assert toward_left == (note.x - lo > (hi - lo) / 2), (name, note.text)
        money = figs["money"]
        assert list(money.layout.xaxis.range) == [1, 60]
        died = next(a for a in money.layout.annotations if a.text == "cash ran out (month 17)")
        assert died.xanchor == "left"  # month 17 of 1-60: the label to the right of the line
        ran_out = next(
            a for a in figs["pipeline"].layout.annotations if a.text.startswith("cash ran out")
        )
        assert ran_out.xanchor == "right"  # the last month: the label to its left


def test_promises_add_up_to_the_promises_made(died_with_longer_counterfactual):
    """Company #0 made 7 promises: 0 kept, 1 broken, and 6 held by customers who churned before
    the promise was settled (the model drops a churned customer's promise, MODEL.md §7.14). The
    card said "0 kept, 1 broken" while the outstanding line fell from 5 to 0."""
    series, _ = died_with_longer_counterfactual
    tally = charts.promise_tally(series)
    assert tally == charts.PromiseTally(made=7, kept=0, broken=1, dropped=6, outstanding=0)
    dropped = charts.promises_dropped(series)
    assert (dropped >= 0).all()
    outstanding = series["promises_outstanding"].fillna(0)
    # month by month: made - kept - broken - dropped is the change in those outstanding
    change = series["promises_made"] - series["promises_kept"] - series["promises_broken"] - dropped
    assert list(change.cumsum()) == list(outstanding)
    fig = charts.promises_chart(series, "A")
    drawn = {t.name: t for t in fig.data}
    assert -sum(drawn["dropped: the customer left"].y) == 6
    assert list(drawn["dropped: the customer left"].x) == list(series["month"])


def test_promise_tally_adds_up_on_runs_that_keep_promises():
    from sim.config import preset
    from sim.experiment.runner import run

    for name, seed in (("product_led", 0), ("sales_led", 5)):
        series = run(preset(name), seed=seed, months=36, attribute=False).series
        t = charts.promise_tally(series)
        assert t.made == t.kept + t.broken + t.dropped + t.outstanding, (name, seed, t)
        assert t.kept > 0, (name, seed, t)


def test_a_team_drawn_alone_keeps_its_own_colour():
    from sim.config import preset
    from sim.experiment.runner import run

    series = run(preset("sales_led"), seed=0, months=6, attribute=False).series
    third = charts.TEAM_COLORS[2]
    alone = charts.team_paths_chart(
        {"Blue": series}, "cash_usd", "Cash", "$", colors={"Blue": third}
    )
    assert alone.data[0].line.color == third
    default = charts.team_paths_chart({"Blue": series}, "cash_usd", "Cash", "$")
    assert default.data[0].line.color == charts.TEAM_COLORS[0]


def test_every_figure_the_builders_make_is_valid_plotly(real_run):
    """The builders skip plotly's validation (it is most of a chart's build time): validate here
    every figure they make, so a misspelt property or a bad value still fails."""
    figs = dict(charts.compare_figures(BANDS, DEATHS, labels=LABELS, runs={"A": 8, "B": 8}))
    figs.update({f"run {k}": f for k, f in charts.run_figures(real_run.series, "A").items()})
    outcomes = charts.contingent_outcomes(real_run.events)
    figs["outcomes"] = charts.contingent_outcome_chart(outcomes, "B")
    figs["team paths"] = charts.team_paths_chart(
        {"Blue": real_run.series}, "cash_usd", "Cash", "$", colors={"Blue": charts.TEAM_COLORS[2]}
    )
    for name, fig in figs.items():
        checked = charts.validated(fig)  # raises ValueError on anything plotly does not know
        assert len(checked.data) == len(fig.data), name


def test_event_texts_say_what_happened() -> None:
    """A custom item shipped on time can still overrun its estimate, and the reps the company
    starts with are not hires (the One run page counts them apart)."""
    from sim.report.charts import _EVENT_TEXT

    shipped = _EVENT_TEXT["contingent_delivered"](
        {"on_time": True, "actual_em": 10.7, "estimate_em": 6.2, "converted": False}
    )
    assert "on time, though it took 10.7 engineer-months against 6.2 estimated" in shipped
    assert _EVENT_TEXT["rep_hired"]({"month": 0}) == "a founding sales rep started"
    assert _EVENT_TEXT["rep_hired"]({"month": 3}) == "a sales rep was hired"
