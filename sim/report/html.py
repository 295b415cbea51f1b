"""Take-home reports: one self-contained HTML document of a run, a comparison or a workshop.

Pure functions of results: each takes scenarios and results already computed (``RunResult``,
``Ensemble``, debriefs) and returns a ``Report`` (the HTML text plus what it holds). Nothing runs
the model here; ``sim report`` (``sim/cli/report.py``) computes, then calls these.

The document opens from a file with no network: plotly.js is inlined once in the page's head and
every chart is a ``plotly.io.to_html`` fragment without its own copy. The charts are the same
builders the dashboard uses (``sim.report.charts``); every chart has a one-sentence caption saying
what it shows, money reads in $k / $M (``sim.analysis.units``) and levers by their workshop
labels (``sim.experiment.levers``). The numbers behind a report are also embedded as JSON
(``<script type="application/json" id="sim-report-data">``): for a comparison exactly what
``sim compare --json`` prints.

Three kinds:

* ``run_report``: one company (a scenario and a seed): verdict, loop attribution, summary table,
  the debrief story (``sim explain``), the One-run page's charts, the month-by-month events;
* ``comparison_report``: A vs B over the same seeds (or one scenario over N seeds): the ensemble
  bands charts, the KPI table with the paired A-B difference and its interval, the levers that
  differ, the causes of death among the runs that died;
* ``workshop_report``: teams (name, decisions by round, run, story) and optional reference runs:
  a leaderboard, every team's path on one chart, each team's decisions and story.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from sim.analysis.debrief import (
    CAUSES,
    Debrief,
    EnsembleDebrief,
    explain_run,
    spiral_count_text,
)
from sim.analysis.paired import PAIRED_METRICS
from sim.analysis.units import (
    is_number,
    money_short,
    month,
    number,
    percent,
    signed_points,
    yes_no,
)
from sim.config import Scenario, dotted_items
from sim.experiment.levers import BY_KEY, NO_CAP, WORKSHOP_KEYS
from sim.report.charts import (
    compare_figures,
    contingent_outcome_chart,
    contingent_outcomes,
    run_figures,
    story,
    team_paths_chart,
)
from sim.report.explore import metric_label
from sim.report.text import (
    CI_KEYS,
    COMPARE_ROWS,
    ENSEMBLE_ROWS,
    NOT_PRINTED,
    RUN_ROWS,
    compare_cells,
    difference,
    subset_note,
    to_json,
)

DATA_ID = "sim-report-data"
"""The id of the JSON block holding a report's numbers."""
PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
"""No plotly logo (it links out); charts follow the page's width."""


@dataclass(frozen=True)
class Report:
    """One HTML document and what it contains (``sim report --json`` prints the latter)."""

    kind: str  # "run", "ensemble", "comparison" or "workshop"
    title: str
    html: str
    figures: dict[str, Any]  # key -> plotly Figure, in the order drawn
    sections: tuple[str, ...]
    data: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.html.encode("utf-8")

    def contents(self) -> dict[str, Any]:
        """What the document holds: kind, title, section headings, its charts (key and title)."""
        return {
            "kind": self.kind,
            "title": self.title,
            "sections": list(self.sections),
            "figures": [
                {"key": key, "title": _figure_title(fig)} for key, fig in self.figures.items()
            ],
        }


@dataclass(frozen=True)
class Team:
    """One workshop team: its name, its decisions by round, its run and (optionally) its story.

    ``decisions``: ``{"month": M, "set": {lever: value, ...}}`` dicts (a scenario's
    ``schedule:`` entries); ``result``: a ``RunResult``; ``story``: the debrief text (default:
    ``sim explain``'s debrief of ``result``); ``scenario``: the team's starting scenario.
    """

    name: str
    decisions: Sequence[Mapping[str, Any]]
    result: Any
    story: str | Debrief | None = None
    scenario: Scenario | None = None

    @classmethod
    def from_scenario(
        cls, name: str, scenario: Scenario, result: Any, story: str | Debrief | None = None
    ) -> Team:
        """A team whose decisions are its scenario's ``schedule:`` entries (none when the
        scenario has no schedule)."""
        schedule = getattr(scenario, "schedule", None) or ()
        decisions = [
            item.model_dump() if hasattr(item, "model_dump") else dict(item) for item in schedule
        ]
        return cls(name, decisions, result, story, scenario)


@dataclass(frozen=True)
class Reference:
    """A reference path on a workshop chart (e.g. a preset on the same seed)."""

    name: str
    result: Any


@dataclass(frozen=True)
class Side:
    """One side of a comparison: its label, scenario, ensemble, ensemble debrief and source."""

    label: str
    scenario: Scenario
    ensemble: Any
    debrief: EnsembleDebrief | None = None
    source: str = ""


# ============================================================================================
# The three kinds
# ============================================================================================


def run_report(
    scenario: Scenario,
    result: Any,
    *,
    source: str = "",
    counterfactual: Any = None,
    generated: datetime | None = None,
    model_version: str | None = None,
) -> Report:
    """One company up close: ``result`` is the ``RunResult`` of ``scenario`` (with events);
    ``counterfactual``: the series of the same seed with the pressure link cut, drawn on the
    money chart when the company died."""
    title = f"{scenario.name}: one company, seed {result.seed}"
    doc = _Document(title, generated, model_version)
    doc.header(
        [_scenario_block(scenario, source)],
        seeds=f"{result.seed} (one simulated company)",
        months=scenario.months,
    )
    _run_sections(doc, scenario, result, counterfactual)
    return doc.finish("run", {"scenario": scenario.name, "seed": result.seed, **_run_data(result)})


def comparison_report(
    sides: Sequence[Side],
    *,
    compare_data: Mapping[str, Any] | None = None,
    run: Any = None,
    counterfactual: Any = None,
    generated: datetime | None = None,
    model_version: str | None = None,
) -> Report:
    """Ensembles over the same seeds: two sides (A vs B) or one (a scenario over N seeds).

    ``compare_data``: the comparison as ``sim compare --json`` prints it (``seeds``, ``a``, ``b``,
    ``difference``, ``paired``); its numbers fill the KPI table and are embedded as they are.
    ``run``: with one side, a ``RunResult`` of that scenario shown up close after the ensemble.
    """
    if not 1 <= len(sides) <= 2:
        raise ValueError(f"a comparison has one or two sides, got {len(sides)}")
    if len(sides) == 2 and compare_data is None:
        raise ValueError("a two-sided comparison needs compare_data (sim compare's numbers)")
    seeds = list(sides[0].ensemble.seeds)
    two = len(sides) == 2
    names = " vs ".join(side.scenario.name for side in sides)
    title = f"{names}: {len(seeds)} companies each" if two else f"{names}: {len(seeds)} companies"
    doc = _Document(title, generated, model_version)
    doc.header(
        [
            _scenario_block(side.scenario, side.source, side.label if two else None)
            for side in sides
        ],
        seeds=_seed_text(seeds) + (", the same seeds on both sides" if two else ""),
        months=" vs ".join(str(side.scenario.months) for side in sides)
        if two and sides[0].scenario.months != sides[1].scenario.months
        else sides[0].scenario.months,
    )
    if two:
        doc.section(
            "The two policies side by side",
            _p(
                f"{len(seeds)} simulated companies on each side. Seed by seed both sides face "
                "the same market and the same luck (common random numbers), so a difference "
                "between A and B comes from the levers, not the draw. The interval after a "
                "difference is the paired 95% interval over the seeds (a median has none, apart "
                "from profit / revenue's: a bootstrap over the seeds)."
            )
            + _compare_table(compare_data or {}),
        )
        doc.section("What differs between A and B", _lever_diff_table(sides))
    else:
        doc.section(
            "Over all the simulated companies",
            _p(
                f"The same company run {len(seeds)} times, each time with different luck (a "
                "different seed). Rates carry their 95% interval."
            )
            + _ensemble_table(sides[0].ensemble.summary),
        )
        doc.section("The company's policy", _levers_table(sides[0].scenario))
    labels = {key: side.scenario.name for key, side in zip(("A", "B"), sides)}
    bands = {key: side.ensemble.bands for key, side in zip(("A", "B"), sides)}
    deaths = {key: list(side.ensemble.death_months) for key, side in zip(("A", "B"), sides)}
    runs = {key: len(side.ensemble.seeds) for key, side in zip(("A", "B"), sides)}
    figures = compare_figures(bands, deaths, labels, runs)
    for fig in figures.values():
        fig.update_layout(showlegend=two, legend={"y": -0.22})
    doc.charts(
        "Month by month",
        _p(
            "Each line is the middle company (the median); the shaded band holds the middle 80% "
            "of the simulated companies. Crosses under a chart mark the months companies ran "
            "out of cash."
            + (
                f" Blue: A ({sides[0].scenario.name}); orange: B ({sides[1].scenario.name})."
                if two
                else ""
            )
        ),
        [
            (f"ensemble-{key}", fig, _ensemble_caption(key, len(seeds)))
            for key, fig in figures.items()
        ],
    )
    doc.section("Why companies died", _causes_table(sides))
    data: dict[str, Any] = dict(compare_data) if compare_data is not None else {}
    if not two:
        data = {
            "seeds": seeds,
            "scenario": sides[0].scenario.name,
            "summary": sides[0].ensemble.summary,
        }
    data["causes_of_death"] = {
        key: (side.debrief.to_dict() if side.debrief is not None else None)
        for key, side in zip(("a", "b"), sides)
    }
    if run is not None and not two:
        doc.section(
            f"One of them up close: seed {run.seed}",
            _p(
                "The first of the simulated companies, month by month: what happened to it and why."
            ),
        )
        _run_sections(doc, sides[0].scenario, run, counterfactual, level=3)
        data["run"] = {"seed": run.seed, **_run_data(run)}
    return doc.finish("comparison" if two else "ensemble", data)


def workshop_report(
    title: str,
    teams: Sequence[Team],
    references: Sequence[Reference] = (),
    *,
    description: str = "",
    scenario: Scenario | None = None,
    generated: datetime | None = None,
    model_version: str | None = None,
) -> Report:
    """A whole workshop: a leaderboard, every team's path on one chart, each team's decisions
    by round and its story; ``references`` (e.g. the presets on the same seed) drawn dotted.

    ``scenario``: the starting scenario every team shared (its name and description go in the
    header). All teams are expected to share one seed (the same market and luck).
    """
    if not teams:
        raise ValueError("a workshop report needs at least one team")
    names = [team.name for team in teams]
    if len(set(names)) != len(names):
        raise ValueError(
            f"two teams share a name: {sorted(n for n in names if names.count(n) > 1)}"
        )
    doc = _Document(title, generated, model_version)
    seeds = sorted({int(team.result.seed) for team in teams})
    blocks = [_p(description)] if description else []
    if scenario is not None:
        blocks.append(_scenario_block(scenario, "", "Starting point"))
    months = max(len(team.result.series) for team in teams)
    doc.header(
        blocks,
        seeds=", ".join(map(str, seeds))
        + (" (every team faced the same market and the same luck)" if len(seeds) == 1 else ""),
        months=scenario.months if scenario is not None else months,
    )
    ranked = _ranked(teams)
    doc.section(
        "Leaderboard",
        _p(
            "Companies still alive come first, by annual recurring revenue (ARR) at the end; "
            "then those that ran out of cash, the one that lasted longest first. "
            "'Pressure loop to blame' says whether the same company with the pressure link cut "
            "would have lived (at least 12 months longer)."
        )
        + _leaderboard(ranked),
    )
    paths = {team.name: team.result.series for team in teams}
    refs = {ref.name: ref.result.series for ref in references}
    ref_note = (
        f" Dotted grey {'lines' if len(refs) > 1 else 'line'}: {', '.join(refs)}, on the same "
        "market with the same luck."
        if refs
        else ""
    )
    charts = [
        (
            "teams-cash",
            team_paths_chart(paths, "cash_usd", "Cash in the bank", "$ million", 1e-6, refs),
            "Every team's cash in the bank, month by month, in $ million; a line that stops "
            "is a company that ran out of cash." + ref_note,
        ),
        (
            "teams-arr",
            team_paths_chart(
                paths, "arr_usd", "Annual recurring revenue", "$ million / year", 1e-6, refs
            ),
            "What each team's paying customers pay in a year, month by month, in $ million."
            + ref_note,
        ),
        (
            "teams-custom",
            team_paths_chart(
                paths,
                "custom_share",
                "Engineering on custom work",
                "% of engineering",
                100,
                refs,
                percent=True,
            ),
            "The share of each team's engineering time spent on one-off work for single deals.",
        ),
        (
            "teams-pressure",
            team_paths_chart(
                paths, "pressure", "Pressure to hit the revenue plan", "pressure (0-100)", 100, refs
            ),
            "How hard the revenue plan pressed on each company: 0 calm, 100 panic.",
        ),
    ]
    doc.charts("Every team's path", "", charts)
    for team in ranked:
        doc.section(f"Team {team.name}", _team_block(team), level=2)
    data = {
        "teams": [
            {
                "name": team.name,
                "seed": team.result.seed,
                "decisions": [_plain_decision(d) for d in team.decisions],
                "summary": team.result.summary,
            }
            for team in ranked
        ],
        "references": [{"name": r.name, "summary": r.result.summary} for r in references],
    }
    return doc.finish("workshop", data)


# ============================================================================================
# Sections
# ============================================================================================

RUN_CAPTIONS: dict[str, str] = {
    "money": "The company's cash in the bank and its annual recurring revenue, month by month, "
    "in $ million; when it died, a grey dotted line shows the cash of the same company in the "
    "same market with the pressure link cut.",
    "pipeline": "Open deals in the pipeline, prospects waiting for a feature sales promised "
    "them, and paying customers, month by month.",
    "contingent": "Each month's 'buy if you build X' deals: how many sales accepted, how many "
    "custom features were delivered and how many turned into the full order.",
    "outcomes": "How every 'buy if you build X' deal the company accepted ended.",
    "work": "How engineering time was split between one-off custom work for single deals and "
    "the roadmap for the whole market.",
    "fit": "How much of what the market needs our product covers against the competitor's, "
    "and the share of decided deals the company won.",
    "promises": "Feature promises made to customers: kept (bars up) and broken (bars down) "
    "each month, and how many were still outstanding.",
    "reps": "The sales team: reps hired (bars up) and lost (bars down) each month, and how "
    "many were employed.",
}
RUN_ORDER = ("money", "pipeline", "contingent", "outcomes", "work", "fit", "promises", "reps")

ENSEMBLE_CAPTIONS: dict[str, str] = {
    "survival": "The share of the {n} simulated companies that still had cash, month by month.",
    "cash": "Cash in the bank in $ million: seed money plus any round raised, minus what was "
    "spent.",
    "runway": "How many months the cash would last at that month's burn (36 means the company "
    "was not burning cash).",
    "arr": "Annual recurring revenue in $ million: what the paying customers pay in a year "
    "(0 once a company died).",
    "customers": "How many paying customers the companies had.",
    "fit": "How much of what the market needs our product covers (solid) against the "
    "competitor's product (dotted).",
    "custom": "The share of engineering time spent building what one single deal asked for.",
    "reps": "How many sales reps the companies employed.",
    "pressure": "How hard the revenue plan pressed on the company: 0 calm, 100 panic (behind "
    "plan, cash running out).",
}


def _ensemble_caption(key: str, n: int) -> str:
    return ENSEMBLE_CAPTIONS.get(key, "").format(n=n)


def _run_sections(
    doc: _Document, scenario: Scenario, result: Any, counterfactual: Any, level: int = 2
) -> None:
    summary = result.summary
    debrief = explain_run(result, name=scenario.name)
    columns = [("The numbers", _summary_table(summary))]
    if level == 2:
        columns.append(("The company's policy", _levers_table(scenario)))
    doc.section(
        "How it ended",
        f'<p class="verdict">{_esc(_verdict(summary, scenario.months))}</p>'
        + _p(_attribution_text(debrief, summary), "attribution")
        + "<div class='cols'>"
        + "".join(f"<div><h3>{_esc(head)}</h3>{body}</div>" for head, body in columns)
        + "</div>",
        level=level,
    )
    doc.section("Why it ended this way", _debrief_html(debrief), level=level)
    figures = run_figures(
        result.series,
        "A",
        summary.get("spiral_onset_month"),
        None if counterfactual is None else getattr(counterfactual, "series", counterfactual),
    )
    figures["outcomes"] = contingent_outcome_chart(contingent_outcomes(result.events), "A")
    prefix = "run-" if level == 2 else "up-close-"
    doc.charts(
        "Month by month",
        _p(
            "A dotted purple line marks the month the death spiral took hold, a dashed red line "
            "the month the cash ran out (where either happened)."
        ),
        [(prefix + key, figures[key], RUN_CAPTIONS[key]) for key in RUN_ORDER],
        level=level,
    )
    lines = story(result.events)
    if len(lines):
        rows = "".join(
            f"<tr><td class='num'>{int(m)}</td><td>{_esc(text)}</td></tr>"
            for m, text in lines.itertuples(index=False)
        )
        body = (
            f"<details><summary>Every event of the run ({len(lines)})</summary>"
            f"<table class='events'><thead><tr><th>month</th><th>what happened</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></details>"
        )
        doc.section("What happened, month by month", body, level=level)


def _verdict(summary: Mapping[str, Any], months: int) -> str:
    if summary.get("survived"):
        text = (
            f"Alive after all {months} months, with annual recurring revenue of "
            f"{_money(summary.get('final_arr_usd'))} and {_money(summary.get('final_cash_usd'))} "
            "in the bank."
        )
    else:
        text = f"Ran out of cash in month {month(summary.get('month_of_death'))}."
    onset = summary.get("spiral_onset_month")
    if summary.get("spiral") and onset is not None:
        text += f" The death spiral's signature shows in its series from month {onset}."
    else:
        text += " Its series do not show the death spiral's signature."
    return text


def _attribution_text(debrief: Debrief, summary: Mapping[str, Any]) -> str:
    """The loop-attribution line: what the same company did with the pressure link cut."""
    if debrief.counterfactual:
        return "Loop attribution: " + debrief.counterfactual
    if summary.get("survived"):
        return "Loop attribution: it survived, so there is no death to attribute."
    return (
        "Loop attribution: pressure bent no behaviour in this scenario (the link was already "
        "cut), so the pressure loop cannot explain this death."
    )


def _debrief_html(debrief: Debrief) -> str:
    rows = "".join(
        f"<li class='{_attr(line.kind)}'><span class='when'>Month {line.month}</span>"
        f"<span>{_esc(line.text)}</span></li>"
        for line in debrief.lines
    )
    out = (
        _p(
            "Each line is read from the run's own month-by-month numbers and events "
            "(what the sim explain command prints)."
        )
        + f"<ol class='story'>{rows}</ol>"
    )
    if debrief.causes and not debrief.survived:
        out += _p(
            "Why it died, in short: " + "; ".join(CAUSES[c] for c in debrief.causes) + ".",
            "short",
        )
    return out


def _summary_table(summary: Mapping[str, Any]) -> str:
    rows = [[label, _run_cell(summary, key, fmt)] for label, key, fmt in RUN_ROWS]
    rows.append(["death attributable to the pressure loop", _attributable(summary)])
    return _table(["", "this company"], rows, "summary")


def _run_cell(summary: Mapping[str, Any], key: str, fmt: Any) -> str:
    value = summary.get(key)
    if key.endswith("_usd"):
        return _money(value)
    return fmt(value)


def _attributable(summary: Mapping[str, Any]) -> str:
    if summary.get("survived"):
        return "- (survived)"
    return yes_no(summary.get("loop_attributable"))


def _compare_table(data: Mapping[str, Any]) -> str:
    """A, B, A-B and the paired interval, from ``sim compare --json``'s numbers."""
    sa, sb = data["a"]["summary"], data["b"]["summary"]
    paired = data.get("paired", {})
    seeds = len(data["seeds"]) if "seeds" in data else None
    rows = []
    for label, key, kind in COMPARE_ROWS:
        if key.endswith("_usd"):  # the report's short money ($1.46M), as its other tables
            diff = difference(sa.get(key), sb.get(key))
            cells = [_money(sa.get(key)), _money(sb.get(key)), _signed_money(diff)]
        else:  # as `sim compare` prints them: each row adds up as shown
            cells = compare_cells(sa, sb, key, kind)
        rows.append([label, *cells, _interval(paired.get(key), key)])
    for metric in PAIRED_METRICS:
        if metric in {key for _, key, _ in COMPARE_ROWS} or paired.get(metric) is None:
            continue
        if metric in NOT_PRINTED:
            continue
        if metric not in sa or metric not in sb:
            continue
        rows.append(_paired_row(metric, paired[metric], sa, sb, seeds))
    headers = [
        "",
        f"A: {data['a']['name']}",
        f"B: {data['b']['name']}",
        "A - B",
        "paired 95% interval",
    ]
    return _table(headers, rows, "kpis")


def _paired_row(
    metric: str,
    value: Mapping[str, Any],
    sa: Mapping[str, Any],
    sb: Mapping[str, Any],
    seeds: int | None,
) -> list[str]:
    """A paired metric's row: A, B, their paired difference and its interval. A metric only some
    runs have (contingent conversion) pairs fewer seeds than were run: A and B are then its
    values on those seeds, so that the row adds up, and the label says how many."""
    fmt = _metric_format(metric)
    note = subset_note(value, seeds)
    a, b = (value.get("a"), value.get("b")) if note else (sa.get(metric), sb.get(metric))
    return [
        PAIRED_LABELS.get(metric, metric_label(metric)) + note,
        fmt(a),
        fmt(b),
        _interval(value, metric, mean_only=True),
        _interval(value, metric),
    ]


PAIRED_LABELS: dict[str, str] = {
    "loop_attributable_rate": "deaths the pressure loop explains",
    "mean_final_arr_usd": "mean final ARR",
    "mean_bookings_12m_usd": "mean bookings in the first 12 months",
    "mean_revenue_12m_usd": "mean revenue in the first 12 months",
    "mean_cumulative_revenue_usd": "mean cumulative revenue",
    "mean_product_fit": "mean product fit to the market",
    "mean_relative_fit": "mean fit relative to the competitor",
    "mean_promises_broken": "mean roadmap promises broken",
    "mean_contingent_conversion_rate": "'buy if you build X' deals that became the full order",
    "mean_custom_overrun_ratio": "mean custom work overrun (actual / estimate)",
}
"""The paired metrics beyond the summary table's rows, in words."""


def _metric_format(metric: str) -> Any:
    if metric.endswith("_usd"):
        return _money
    if metric.endswith(("_rate", "_share", "_fit")):
        return percent
    return lambda v: f"{v:.2f}" if is_number(v) else "-"  # ratios: profit / revenue, overrun


def _interval(value: Mapping[str, float] | None, metric: str, mean_only: bool = False) -> str:
    """A paired difference (mean, low, high) in the metric's units."""
    if not value:
        return "-"
    low, high = value["low"], value["high"]
    if metric.endswith("_rate"):  # a difference of two rates lies within -100..+100 points
        low, high = max(-1.0, low), min(1.0, high)
    if metric.endswith("_usd"):
        fmt = _signed_money
    elif metric.endswith(("_rate", "_share", "_fit")):  # a margin reads as a ratio, not points
        fmt = signed_points
    else:

        def fmt(v: float) -> str:
            return f"{v:+.2f}"

    if mean_only:
        return fmt(value["mean"])
    return f"{fmt(low)} to {fmt(high)}"


def _ensemble_cell(summary: Mapping[str, Any], key: str, fmt: Any) -> str:
    if key in CI_KEYS:
        stem = CI_KEYS[key]
        low, high = summary.get(f"{stem}_ci_low"), summary.get(f"{stem}_ci_high")
        return f"{percent(summary.get(key))} [{percent(low)}, {percent(high)}]"
    if key.endswith("_usd"):
        return _money(summary.get(key))
    return fmt(summary.get(key))


def _ensemble_table(summary: Mapping[str, Any]) -> str:
    rows = [[label, _ensemble_cell(summary, key, fmt)] for label, key, fmt in ENSEMBLE_ROWS]
    return _table(["", "over all seeds"], rows, "summary")


def _causes_table(sides: Sequence[Side]) -> str:
    """Among the runs that died, how many showed each cause (``sim explain --seeds``)."""
    debriefs = [side.debrief for side in sides]
    if any(d is None for d in debriefs):
        return _p("No debrief was computed for these runs.")
    intro = []
    for side, d in zip(sides, debriefs):
        assert d is not None
        when = (
            f", median month of death {d.median_month_of_death:g}"
            if d.median_month_of_death is not None
            else ""
        )
        intro.append(
            f"{side.scenario.name}: {d.deaths} of {d.runs} companies died{when}; "
            f"{spiral_count_text(d)}."
        )
    if not any(d.deaths for d in debriefs if d is not None):
        return _p(" ".join(intro) + " No company died, so there is nothing to explain.")
    rows = []
    for cause, label in CAUSES.items():
        counts = []
        for d in debriefs:
            assert d is not None
            hit = next((c for c in d.causes if c.cause == cause), None)
            if not d.deaths:
                counts.append("none died")
            else:
                counts.append(
                    "0" if hit is None else f"{hit.count} of {d.deaths} ({percent(hit.share)})"
                )
        if any(c not in ("0", "none died") for c in counts):
            rows.append([label, *counts])
    headers = ["cause (shown before the cash ran out)"] + [
        f"{k}: {side.scenario.name}" if len(sides) == 2 else side.scenario.name
        for k, side in zip(("A", "B"), sides)
    ]
    return (
        "".join(_p(text) for text in intro)
        + _p(
            "Among the companies that died, how many showed each cause before the end (a company "
            "usually shows several), read from each run's own numbers and events as "
            "sim explain --seeds does."
        )
        + _table(headers, rows, "causes")
    )


def _levers_table(scenario: Scenario) -> str:
    rows = [[_lever_label(key), _lever_value(key, _get(scenario, key))] for key in WORKSHOP_KEYS]
    preset = f"the {scenario.preset} preset" if scenario.preset else "no preset"
    return _p(f"The workshop levers as this scenario sets them (starting from {preset}).") + _table(
        ["lever", "setting"], rows, "levers"
    )


def _lever_diff_table(sides: Sequence[Side]) -> str:
    a, b = sides[0].scenario, sides[1].scenario
    keys = [lever for lever in BY_KEY if _get(a, lever) != _get(b, lever)]
    if a.months != b.months:
        keys.append("months")
    if not keys:
        return _p("The two scenarios set every workshop lever the same way.")
    rows = [
        [_lever_label(key), _lever_value(key, _get(a, key)), _lever_value(key, _get(b, key))]
        for key in keys
    ]
    return _table(["lever", f"A: {a.name}", f"B: {b.name}"], rows, "levers")


def _ranked(teams: Sequence[Team]) -> list[Team]:
    def key(team: Team) -> tuple[Any, ...]:
        s = team.result.summary
        alive = bool(s.get("survived"))
        arr = float(s.get("final_arr_usd") or 0.0)
        cash = float(s.get("final_cash_usd") or 0.0)
        lived = float(s.get("month_of_death") or 0.0)
        return (not alive, -arr if alive else -lived, -cash, team.name)

    return sorted(teams, key=key)


def _leaderboard(ranked: Sequence[Team]) -> str:
    rows = []
    for rank, team in enumerate(ranked, start=1):
        s = team.result.summary
        status = "alive" if s.get("survived") else f"died in month {month(s.get('month_of_death'))}"
        onset = s.get("spiral_onset_month")
        spiral = f"from month {onset}" if s.get("spiral") and onset is not None else "no"
        rows.append(
            [
                str(rank),
                team.name,
                status,
                _money(s.get("final_cash_usd")),
                _money(s.get("final_arr_usd")),
                spiral,
                _attributable(s),
            ]
        )
    headers = [
        "",
        "team",
        "company",
        "cash at the end",
        "ARR at the end",
        "death spiral",
        "pressure loop to blame",
    ]
    return _table(headers, rows, "leaderboard")


def _team_block(team: Team) -> str:
    s = team.result.summary
    months = len(team.result.series)
    out = f"<p class='verdict'>{_esc(_verdict(s, months))}</p>"
    decisions = sorted(team.decisions, key=lambda d: int(d.get("month", 0)))
    rows = []
    for round_no, decision in enumerate(decisions, start=1):
        changes = dotted_items(decision.get("set") or {})
        text = "; ".join(f"{_lever_label(k)}: {_lever_value(k, v)}" for k, v in changes) or (
            "no change"
        )
        rows.append([str(round_no), month(decision.get("month")), text])
    out += "<h3>Decisions by round</h3>"
    out += (
        _table(["round", "from month", "what the team set"], rows, "decisions")
        if rows
        else _p("The team changed nothing during the run.")
    )
    out += "<h3>The team's story</h3>"
    told = team.story
    if told is None:
        told = explain_run(team.result, name=team.name)
    if isinstance(told, Debrief):
        out += _debrief_html(told)
    else:
        out += "".join(_p(par) for par in str(told).split("\n") if par.strip())
    return out


# ============================================================================================
# The document
# ============================================================================================

CSS = """
:root { --ink: #1d1d1f; --muted: #555; --line: #d9dce1; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f5f7; color: var(--ink);
       font: 17px/1.5 "Source Sans Pro", "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1780px; margin: 0 auto; padding: 28px 32px 60px; }
header.top { background: #fff; border: 1px solid var(--line); border-radius: 10px;
             padding: 22px 28px; margin-bottom: 22px; }
h1 { font-size: 2.0rem; line-height: 1.2; margin: 0 0 10px; }
h2 { font-size: 1.5rem; margin: 30px 0 10px; }
h3 { font-size: 1.2rem; margin: 20px 0 8px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 28px; color: var(--muted); margin: 8px 0 0;
        padding: 0; list-style: none; }
.meta b { color: var(--ink); font-weight: 600; }
.scenario { margin: 10px 0; max-width: 110ch; }
.scenario .name { font-weight: 700; font-size: 1.1rem; }
.scenario .source { color: var(--muted); font-size: 0.95rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
          padding: 6px 28px 20px; margin: 0 0 22px; }
section > h2:first-child, section > h3:first-child { margin-top: 16px; }
p { max-width: 110ch; margin: 8px 0; }
p.verdict { font-size: 1.25rem; font-weight: 700; }
p.short { font-weight: 600; }
table { border-collapse: collapse; margin: 10px 0; font-size: 1rem; }
th, td { padding: 6px 14px; border-bottom: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: #eef0f3; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
ol.story { list-style: none; padding: 0; margin: 8px 0; max-width: 120ch; }
ol.story li { display: flex; gap: 16px; padding: 5px 0; border-bottom: 1px solid #eceef1; }
ol.story li .when { flex: 0 0 6.5rem; font-weight: 700; white-space: nowrap; }
ol.story li.spiral, ol.story li.cash_out { background: #fdecec; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(640px, 1fr));
          gap: 18px; margin-top: 12px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 8px;
               padding: 10px 10px 4px; background: #fff; min-width: 0; }
figure.chart figcaption { color: #333; font-size: 1rem; margin: 4px 8px 8px;
                         border-top: 1px solid #eceef1; padding-top: 6px; }
.cols { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr));
        gap: 0 48px; align-items: start; }
.cols table { width: 100%; }
p.attribution { font-size: 1.05rem; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
footer { color: var(--muted); font-size: 0.9rem; margin-top: 28px; }
@media (max-width: 760px) { .charts { grid-template-columns: 1fr; } main { padding: 12px; } }
@media print { body { background: #fff; } section, header.top { border: none; }
               figure.chart { break-inside: avoid; } }
"""


class _Document:
    """The page under construction: header, sections and charts in order, plotly.js once."""

    def __init__(self, title: str, generated: datetime | None, model_version: str | None) -> None:
        self.title = title
        self.generated = generated or datetime.now(UTC)
        self.model_version = model_version or _model_version()
        self.parts: list[str] = []
        self.sections: list[str] = []
        self.figures: dict[str, Any] = {}

    def header(self, blocks: Sequence[str], seeds: str, months: Any) -> None:
        meta = [
            ("Date", self.generated.strftime("%Y-%m-%d %H:%M UTC")),
            ("Model version", f"{self.model_version} (sim {_sim_version()})"),
            ("Seeds", seeds),
            ("Horizon", f"{months} months"),
        ]
        items = "".join(f"<li><b>{_esc(k)}:</b> {_esc(v)}</li>" for k, v in meta)
        self.parts.append(
            f"<header class='top'><h1>{_esc(self.title)}</h1>{''.join(blocks)}"
            f"<ul class='meta'>{items}</ul></header>"
        )

    def section(self, heading: str, body: str, level: int = 2) -> None:
        self.sections.append(heading)
        self.parts.append(f"<section><h{level}>{_esc(heading)}</h{level}>{body}</section>")

    def charts(
        self,
        heading: str,
        intro: str,
        figures: Sequence[tuple[str, Any, str]],
        level: int = 2,
    ) -> None:
        cells = []
        for key, fig, caption in figures:
            if key in self.figures:
                raise ValueError(f"two charts with the key {key!r}")
            self.figures[key] = fig
            div = pio.to_html(
                fig,
                full_html=False,
                include_plotlyjs=False,
                include_mathjax=False,
                div_id=f"chart-{key}",
                config=PLOTLY_CONFIG,
                default_width="100%",
            )
            cells.append(
                f"<figure class='chart' data-chart='{_attr(key)}'>"
                f"{div}<figcaption>{_esc(caption)}</figcaption></figure>"
            )
        self.section(heading, intro + f"<div class='charts'>{''.join(cells)}</div>", level)

    def finish(self, kind: str, data: Mapping[str, Any]) -> Report:
        payload = to_json(
            {
                "kind": kind,
                "title": self.title,
                "generated": self.generated.isoformat(),
                "model_version": self.model_version,
                **data,
            }
        ).replace("</", "<\\/")
        page = (
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<meta name='generator' content='sim report'>"
            f"<title>{_esc(self.title)}</title><style>{CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head>\n<body><main>"
            + "\n".join(self.parts)
            + "<footer>Made with <code>sim report</code>, the company-dynamics simulator: "
            "a model, not a forecast. Each simulated company is one draw of the market and of "
            "luck; read the ranges, not a single number.</footer>"
            f"</main>\n<script type='application/json' id='{DATA_ID}'>{payload}</script>"
            "\n</body></html>\n"
        )
        return Report(
            kind,
            self.title,
            page,
            dict(self.figures),
            tuple(self.sections),
            json.loads(payload.replace("<\\/", "</")),
        )


# ============================================================================================
# Small helpers
# ============================================================================================


def _esc(text: Any) -> str:
    """Text for an element's content."""
    return html.escape(str(text), quote=False)


def _attr(text: Any) -> str:
    """Text for an attribute value (quotes escaped too)."""
    return html.escape(str(text), quote=True)


def _p(text: str, cls: str = "") -> str:
    attr = f" class='{cls}'" if cls else ""
    return f"<p{attr}>{_esc(text)}</p>" if text else ""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        num = " class='num'" if i > 0 and cls != "levers" and cls != "decisions" else ""
        if cls in ("leaderboard",) and i in (1, 2, 5, 6):
            num = ""
        if cls == "decisions" and i < 2:
            num = " class='num'"
        return f"<{tag}{num}>{_esc(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _money(value: Any) -> str:
    return money_short(value, decimals=2, missing="-", grouping=True)


def _signed_money(value: float | None) -> str:
    if value is None:
        return "-"
    sign = "+" if value > 0 else ("-" if value < 0 else "±")  # the same minus as money_short
    return sign + _money(abs(value))


def _get(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _lever_label(key: str) -> str:
    if key == "months":
        return "Horizon"
    lever = BY_KEY.get(key)
    return lever.label if lever is not None else key


def _lever_value(key: str, value: Any) -> str:
    """A lever's value in words and readable units: "$3.00M", "10% of first-year value"."""
    if key == "months":
        return f"{value} months"
    lever = BY_KEY.get(key)
    if lever is None:
        return str(value)
    if lever.kind == "toggle":
        return yes_no(value)
    if lever.kind == "choice":
        return lever.choice_label(str(value))
    if value is None:
        return NO_CAP
    if lever.unit.startswith("$"):
        return _money(value)
    shown = lever.to_display(value)
    if lever.unit.startswith("%"):
        return f"{shown:g}%{lever.unit[1:]}"
    return f"{shown:g} {lever.unit}".strip() if is_number(shown) else str(shown)


def _plain_decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    return {"month": decision.get("month"), "set": dict(dotted_items(decision.get("set") or {}))}


def _scenario_block(scenario: Scenario, source: str, label: str | None = None) -> str:
    name = f"{label}: {scenario.name}" if label else scenario.name
    description = scenario.description.strip() or (
        f"The {scenario.preset} preset's levers on the model's default market."
        if scenario.preset and scenario.name == scenario.preset
        else "(The scenario has no description.)"
    )
    shown = source and source not in (scenario.name, scenario.preset)
    src = f"<div class='source'>from {_esc(source)}</div>" if shown else ""
    return (
        f"<div class='scenario'><div class='name'>{_esc(name)}</div>{src}"
        f"<p>{_esc(description)}</p></div>"
    )


def _seed_text(seeds: Sequence[int]) -> str:
    if not seeds:
        return "none"
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return (
            f"{seeds[0]}-{seeds[-1]} ({number(len(seeds))} seeds)"
            if len(seeds) > 1
            else str(seeds[0])
        )
    return ", ".join(map(str, seeds))


def _run_data(result: Any) -> dict[str, Any]:
    return {"summary": dict(result.summary)}


def _figure_title(fig: Any) -> str:
    text = fig.layout.title.text or ""
    return text.replace("<b>", "").replace("</b>", "")


def _model_version() -> str:
    from sim.experiment.store import model_version

    return model_version()


def _sim_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sim")
    except PackageNotFoundError:
        return "unknown"
