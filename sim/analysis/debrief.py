"""The causal debrief: why one simulated company lived or died, read from its own series and events.

A workshop ends with the room asking "why did that company die?". This module answers from the
run itself: every line of the timeline is a month, a plain-language claim and the number behind
it, taken from the run's per-month series (the columns of ``sim.observe``) or its event log
(``model.log``). Nothing here reads a flag the model sets by decree; the death spiral is named only
when ``sim.analysis.spiral.detect_spiral`` finds the loop in the series.

What one run's debrief can say (each claim has a ``kind``):

* ``pmf`` / ``no_pmf``: the first month of the product-market-fit signal (the ``pmf`` column), or
  that it never came, with the best fit the product reached and when;
* ``custom_work``: custom work for single deals took at least ``CUSTOM_SHARE_THRESHOLD`` of
  engineering for ``SUSTAIN_MONTHS`` months running (the month it first did);
* ``fit_behind``: the competitor's fit to the market passed ours (``product_fit <
  competitor_fit``) and stayed ahead ``SUSTAIN_MONTHS`` months;
* ``win_rate_drop``: the win rate, pooled over ``WIN_RATE_WINDOW_MONTHS`` trailing months, fell
  ``WIN_RATE_DROP`` below its best so far;
* ``pressure_hiring``: pressure hired a rep (``pressure_hires``: the on-pressure rule grew the
  team; a series without that column: a rep hired while pressure stood at ``HIGH_PRESSURE`` or
  more);
* ``broken_promises``: ``BROKEN_PROMISES_NOTABLE`` roadmap promises had been broken;
* ``leapfrog``: the competitor leapfrogged (event), with engineering's custom share that month;
* ``funding`` / ``funding_refused``: rounds raised and refused (events), with the investors' odds;
* ``engineers_hired``: spare cash bought engineers after the PMF signal (events), how many and
  how big the team grew;
* ``short_runway``: runway fell below ``SHORT_RUNWAY_MONTHS``;
* ``spiral``: the reinforcing loop took over (``detect_spiral``), at its onset, with each link's
  number that month;
* ``cash_out`` or ``survived``: how the run ended.

For an ensemble, ``debrief_ensemble`` counts, among the runs that died, how many showed each cause
(``CAUSES``). ``render_text`` and ``render_ensemble_text`` print either; ``explain_command`` is
what the ``sim explain`` command calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.spiral import detect_spiral
from sim.analysis.units import money_short

# --- named thresholds ------------------------------------------------------------------------

# custom work "eats engineering" at this share of capacity or more (share of engineering, 0-1)
CUSTOM_SHARE_THRESHOLD = 0.5
# a condition (custom share, fit behind) counts once it holds this many months running (months)
SUSTAIN_MONTHS = 3
WIN_RATE_WINDOW_MONTHS = 6  # the win rate is pooled over this many trailing months (months)
WIN_RATE_MIN_DEALS = (
    6  # a pooled win rate counts only over at least this many decided deals (deals)
)
# fall below the best pooled win rate so far that counts as a drop (share of decided deals)
WIN_RATE_DROP = 0.15
# a hire at this pressure or more counts as forced by pressure (pressure, 0-1; the model's default
# hiring trigger)
HIGH_PRESSURE = 0.35
BROKEN_PROMISES_NOTABLE = (
    3  # the debrief names broken promises once this many have been broken (promises)
)
SHORT_RUNWAY_MONTHS = 6.0  # runway below this counts as a short cash fuse (months)

# Order of lines within one month: causes before consequences, the ending last.
KIND_ORDER: tuple[str, ...] = (
    "pmf",
    "no_pmf",
    "leapfrog",
    "custom_work",
    "fit_behind",
    "win_rate_drop",
    "pressure_hiring",
    "broken_promises",
    "spiral",
    "funding",
    "funding_refused",
    "engineers_hired",
    "short_runway",
    "cash_out",
    "survived",
)

# Causes counted across the runs that died, in the order they are listed when counts tie.
CAUSES: dict[str, str] = {
    "no_pmf": "never reached a product-market-fit signal",
    "custom_work": (
        f"custom work for single deals took {CUSTOM_SHARE_THRESHOLD:.0%} or more of engineering"
    ),
    "fit_behind": "the competitor's product fit the market better than ours",
    "win_rate_drop": "the win rate fell",
    "pressure_hiring": "reps were hired under high pressure",
    "broken_promises": "roadmap promises were broken",
    "leapfrog_while_diverted": "the competitor leapfrogged while engineering was on custom work",
    "funding_refused": "investors refused a round",
    "spiral": "the death spiral took hold",
}
LINE_CAUSES: dict[str, str] = {kind: kind for kind in CAUSES if kind != "leapfrog_while_diverted"}

SPIRAL_CHAIN = (
    "custom work up → fit to the market down → win rate down → pressure up → more custom work"
)


# ============================================================================================
# Data structures
# ============================================================================================


@dataclass(frozen=True)
class Line:
    """One claim of the timeline: the month, what happened, and the number behind it.

    ``value`` is the number the claim rests on; when ``column`` names a series column, ``value``
    is that column's value in ``month`` (so a claim can be checked against the series). ``detail``
    holds the other numbers the text quotes.
    """

    month: int
    kind: str
    text: str
    value: float | None = None
    column: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Debrief:
    """One run's debrief: how it ended, whether the spiral took hold, and the timeline."""

    name: str
    seed: int | None
    months_run: int
    survived: bool
    month_of_death: int | None
    spiral: bool
    spiral_onset_month: int | None
    lines: tuple[Line, ...]
    counterfactual: str | None = None  # what the same company did with the return link cut
    loop_attributable: bool | None = None

    @property
    def causes(self) -> tuple[str, ...]:
        """The causes (keys of ``CAUSES``) this run showed before it ended."""
        found = {LINE_CAUSES[line.kind] for line in self.lines if line.kind in LINE_CAUSES}
        if any(
            line.kind == "leapfrog" and line.detail.get("while_diverted") for line in self.lines
        ):
            found.add("leapfrog_while_diverted")
        return tuple(cause for cause in CAUSES if cause in found)

    def line(self, kind: str) -> Line | None:
        """The first line of a kind, or None."""
        return next((line for line in self.lines if line.kind == kind), None)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data."""
        out = asdict(self)
        out["lines"] = [_plain(asdict(line)) for line in self.lines]
        out["causes"] = list(self.causes)
        return _plain(out)

    def to_frame(self) -> pd.DataFrame:
        """The timeline as a table: month, what happened, kind, number."""
        return pd.DataFrame(
            [
                {
                    "month": line.month,
                    "what happened": line.text,
                    "kind": line.kind,
                    "number": line.value,
                }
                for line in self.lines
            ],
            columns=["month", "what happened", "kind", "number"],
        )


@dataclass(frozen=True)
class CauseCount:
    """How many of the runs that died showed one cause."""

    cause: str
    label: str
    count: int
    share: float


@dataclass(frozen=True)
class EnsembleDebrief:
    """Across runs: how many died, when, and which causes were most common among them."""

    runs: int
    deaths: int
    median_month_of_death: float | None
    spirals: int
    causes: tuple[CauseCount, ...]

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


# ============================================================================================
# One run
# ============================================================================================


def debrief_run(
    series: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    name: str = "",
    seed: int | None = None,
) -> Debrief:
    """The debrief of one run from its series (one row per month) and events (``month``, ``event``).

    Columns the series lacks are skipped (their claims are not made); ``month`` is required. The
    run died when its last row has ``alive`` False (or, without that column, negative cash).
    """
    if "month" not in series.columns:
        raise KeyError("debrief: series lacks column 'month'")
    frame = series.sort_values("month").reset_index(drop=True)
    if frame.empty:
        raise ValueError("debrief needs at least one month of series")
    events = _events(events)
    died = _died(frame)
    death_month = int(frame["month"].iloc[-1]) if died else None
    spiral, onset = _spiral(frame)
    lines: list[Line] = []
    for build in (
        _pmf_lines,
        _custom_lines,
        _fit_lines,
        _win_rate_lines,
        _pressure_hiring_lines,
        _promise_lines,
        _leapfrog_lines,
        _funding_lines,
        _engineer_lines,
        _runway_lines,
    ):
        lines.extend(build(frame, events))
    if spiral and onset is not None:
        lines.append(_spiral_line(frame, onset))
    lines.append(_ending_line(frame, died))
    lines.sort(key=lambda line: (line.month, KIND_ORDER.index(line.kind)))
    return Debrief(
        name=name,
        seed=seed,
        months_run=len(frame),
        survived=not died,
        month_of_death=death_month,
        spiral=spiral,
        spiral_onset_month=onset,
        lines=tuple(lines),
    )


def explain_run(result: Any, name: str = "") -> Debrief:
    """The debrief of a ``RunResult`` (anything with ``.series``, ``.events`` and ``.seed``).

    When its summary carries the loop attribution (``sim.run`` adds it to deaths), the debrief
    says in one line what the same company did in the same market with the pressure link cut.
    """
    debrief = debrief_run(
        result.series,
        getattr(result, "events", None),
        name=name,
        seed=getattr(result, "seed", None),
    )
    summary = getattr(result, "summary", None) or {}
    if summary.get("counterfactual_survived") is None:
        return debrief
    return replace(
        debrief,
        counterfactual=counterfactual_line(summary),
        loop_attributable=bool(summary.get("loop_attributable")),
    )


def counterfactual_line(summary: dict[str, Any]) -> str:
    """One line: the same company, same market, with pressure cut - survives or dies when."""
    if summary["counterfactual_survived"]:
        outcome = "survives the whole horizon"
    else:
        outcome = f"dies in month {summary['counterfactual_month_of_death']}"
    verdict = (
        "the death is attributable to the pressure loop (the death spiral)"
        if summary.get("loop_attributable")
        else "the pressure loop does not explain this death"
    )
    return f"With pressure cut, the same company in the same market {outcome}: {verdict}."


def _events(events: pd.DataFrame | None) -> pd.DataFrame:
    if events is None or events.empty or "event" not in events.columns:
        return pd.DataFrame(columns=["month", "event"])
    return events.sort_values("month", kind="stable").reset_index(drop=True)


def _died(frame: pd.DataFrame) -> bool:
    if "alive" in frame.columns:
        return not bool(frame["alive"].iloc[-1])
    return "cash_usd" in frame.columns and float(frame["cash_usd"].iloc[-1]) < 0


def _spiral(frame: pd.DataFrame) -> tuple[bool, int | None]:
    try:
        return detect_spiral(frame)
    except KeyError:  # a series without the loop's columns cannot show the loop
        return False, None


def _has(frame: pd.DataFrame, *columns: str) -> bool:
    return all(c in frame.columns for c in columns)


def _at(frame: pd.DataFrame, column: str, month: int) -> float:
    """The value of a column in a month (NaN if missing)."""
    rows = frame.loc[frame["month"] == month, column]
    return float(rows.iloc[0]) if len(rows) else float("nan")


def first_sustained(flags: pd.Series, months: int = SUSTAIN_MONTHS) -> tuple[int, int] | None:
    """Row position where ``flags`` first holds ``months`` rows running, and how long it held.

    A stretch cut short by the end of the series counts when it runs to the last row (a company
    that dies two months after falling behind was still behind when it died).
    """
    values = flags.fillna(False).astype(bool).to_numpy()
    i, n = 0, len(values)
    while i < n:
        if not values[i]:
            i += 1
            continue
        j = i
        while j < n and values[j]:
            j += 1
        if j - i >= months or j == n:
            return i, j - i
        i = j
    return None


# --- the claims -------------------------------------------------------------------------------


def _pmf_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "pmf"):
        return []
    flags = frame["pmf"].fillna(False).astype(bool)
    if flags.any():
        row = frame.loc[flags.idxmax()]
        month = int(row["month"])
        if _has(frame, "product_fit"):
            fit = float(row["product_fit"])
            return [
                Line(
                    month,
                    "pmf",
                    f"Product-market-fit signal: enough prospects in one segment now love the "
                    f"product; its fit to the whole market stands at {fit:.0%}.",
                    fit,
                    "product_fit",
                )
            ]
        return [Line(month, "pmf", "Product-market-fit signal.", 1.0, "pmf")]
    months = len(frame)
    if _has(frame, "product_fit"):
        fits = frame["product_fit"].astype(float)
        peak = fits.idxmax()
        fit, month = float(fits.loc[peak]), int(frame.loc[peak, "month"])
        return [
            Line(
                month,
                "no_pmf",
                f"The product's fit to the market peaked here at {fit:.0%}; no "
                f"product-market-fit signal came in all {months} months.",
                fit,
                "product_fit",
                {"months": months},
            )
        ]
    return [
        Line(
            int(frame["month"].iloc[-1]),
            "no_pmf",
            f"No product-market-fit signal in {months} months.",
            0.0,
            "pmf",
            {"months": months},
        )
    ]


def _custom_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "custom_share"):
        return []
    share = frame["custom_share"].astype(float)
    found = first_sustained(share >= CUSTOM_SHARE_THRESHOLD)
    if found is None:
        return []
    pos, held = found
    month, value = int(frame.loc[pos, "month"]), float(share.iloc[pos])
    over = int((share.iloc[pos:] >= CUSTOM_SHARE_THRESHOLD).sum())
    left = len(frame) - pos
    detail: dict[str, Any] = {
        "threshold": CUSTOM_SHARE_THRESHOLD,
        "held_months": held,
        "months_over": over,
        "months_from_here": left,
    }
    deals = ""
    if _has(frame, "contingent_accepted"):
        accepted = int(frame["contingent_accepted"].iloc[: pos + 1].sum())
        detail["contingent_accepted_so_far"] = accepted
        deals = (
            f"; {accepted} 'buy if you build X' deal{'s' if accepted != 1 else ''} accepted so far"
        )
    return [
        Line(
            month,
            "custom_work",
            f"Custom work for single deals took {value:.0%} of engineering, past the "
            f"{CUSTOM_SHARE_THRESHOLD:.0%} mark ({over} of the {left} months from here on were "
            f"past it){deals}.",
            value,
            "custom_share",
            detail,
        )
    ]


def _fit_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "product_fit", "competitor_fit"):
        return []
    ours, theirs = frame["product_fit"].astype(float), frame["competitor_fit"].astype(float)
    found = first_sustained(ours < theirs)
    if found is None:
        return []
    pos, held = found
    month = int(frame.loc[pos, "month"])
    a, b = float(ours.iloc[pos]), float(theirs.iloc[pos])
    ahead = int((ours.iloc[pos:] < theirs.iloc[pos:]).sum())
    left = len(frame) - pos
    return [
        Line(
            month,
            "fit_behind",
            f"The competitor's product now fits the market better than ours "
            f"({b:.0%} against {a:.0%}); it was ahead in {ahead} of the {left} months from here "
            f"on.",
            a,
            "product_fit",
            {
                "competitor_fit": b,
                "held_months": held,
                "months_behind": ahead,
                "months_from_here": left,
            },
        )
    ]


def pooled_win_rate(
    frame: pd.DataFrame, window: int = WIN_RATE_WINDOW_MONTHS, min_deals: int = WIN_RATE_MIN_DEALS
) -> pd.Series:
    """Win rate pooled over the trailing ``window`` months: wins / decided deals (NaN when too few).

    With a ``deals_decided`` column, wins are ``win_rate * deals_decided`` per month; without it,
    the monthly win rates are averaged.
    """
    rate = frame["win_rate"].astype(float)
    if "deals_decided" in frame.columns:
        decided = frame["deals_decided"].astype(float).fillna(0.0)
        wins = (rate.fillna(0.0) * decided).rolling(window, min_periods=1).sum()
        total = decided.rolling(window, min_periods=1).sum()
        pooled = wins / total.where(total > 0)
        return pooled.where(total >= min_deals)
    return rate.rolling(window, min_periods=1).mean()


def _win_rate_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "win_rate"):
        return []
    pooled = pooled_win_rate(frame)
    peak = pooled.cummax()  # NaN until the first valid window, then the best so far
    dropped = pooled <= peak - WIN_RATE_DROP
    if not dropped.any():
        return []
    pos = int(np.argmax(dropped.to_numpy()))
    best_pos = int(np.nanargmax(pooled.iloc[: pos + 1].to_numpy()))
    month, value = int(frame.loc[pos, "month"]), float(pooled.iloc[pos])
    best, best_month = float(pooled.iloc[best_pos]), int(frame.loc[best_pos, "month"])
    return [
        Line(
            month,
            "win_rate_drop",
            f"The win rate fell to {value:.0%} of decided deals (over the last "
            f"{WIN_RATE_WINDOW_MONTHS} months), down from {best:.0%} in month {best_month}.",
            value,
            None,
            {"peak": best, "peak_month": best_month, "window_months": WIN_RATE_WINDOW_MONTHS},
        )
    ]


def initial_team(frame: pd.DataFrame) -> int:
    """Reps on the payroll before the first month's hires and departures."""
    first = frame.iloc[0]
    left = float(first["reps_left"]) if "reps_left" in frame.columns else 0.0
    return round(float(first["reps"]) - float(first["reps_hired"]) + left)


def growth_hires(frame: pd.DataFrame) -> pd.Series:
    """Reps hired each month beyond replacing leavers: hires made while the team (as the previous
    month ended) was already at least its starting size."""
    hired = frame["reps_hired"].fillna(0).astype(int)
    before = frame["reps"].shift(1).fillna(initial_team(frame))
    return hired.where(before >= initial_team(frame), 0)


def pressure_hires(frame: pd.DataFrame) -> pd.Series:
    """Reps hired each month because of pressure. With the model's ``reps_hired_on_pressure``
    column, its count (hires the on-pressure rule made to grow the team; the plan's cadence and
    after-PMF hires for waiting leads are not pressure's doing, whatever pressure stood at);
    without it (a series from elsewhere), growth hires made while pressure stood at
    ``HIGH_PRESSURE`` or more."""
    if "reps_hired_on_pressure" in frame.columns:
        return frame["reps_hired_on_pressure"].fillna(0).astype(int)
    growth = growth_hires(frame)
    return growth.where(frame["pressure"].astype(float) >= HIGH_PRESSURE, 0)


def _pressure_hiring_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "reps_hired", "pressure", "reps"):
        return []
    growth = pressure_hires(frame)
    forced = growth > 0
    if not forced.any():
        return []
    pos = int(np.argmax(forced.to_numpy()))
    month, pressure = int(frame.loc[pos, "month"]), float(frame.loc[pos, "pressure"])
    hires = int(growth[forced].sum())
    team = int(frame.loc[pos, "reps"])
    before_pmf = "pmf" in frame.columns and not bool(
        frame["pmf"].iloc[: pos + 1].fillna(False).astype(bool).any()
    )
    when = " before any product-market-fit signal" if before_pmf else ""
    return [
        Line(
            month,
            "pressure_hiring",
            f"With pressure at {100 * pressure:.0f} of 100 (0 calm, 100 panic: behind the revenue "
            f"plan, cash fuse short), the CEO hired an extra sales rep{when} ({team} on the "
            f"payroll at month end); {hires} rep{'s' if hires != 1 else ''} hired on pressure "
            "in all.",
            pressure,
            "pressure",
            {
                "threshold": HIGH_PRESSURE,
                "hires_under_pressure": hires,
                "reps": team,
                "before_pmf": before_pmf,
            },
        )
    ]


def _promise_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "promises_broken"):
        return []
    broken = frame["promises_broken"].fillna(0).cumsum()
    reached = broken >= BROKEN_PROMISES_NOTABLE
    if not reached.any():
        return []
    pos = int(np.argmax(reached.to_numpy()))
    month, count = int(frame.loc[pos, "month"]), int(broken.iloc[pos])
    detail: dict[str, Any] = {"broken_so_far": count, "broken_total": int(broken.iloc[-1])}
    made = ""
    if _has(frame, "promises_made"):
        made_so_far = int(frame["promises_made"].fillna(0).iloc[: pos + 1].sum())
        detail["made_so_far"] = made_so_far
        made = f" of {made_so_far} made"
    return [
        Line(
            month,
            "broken_promises",
            f"{count} roadmap promises broken so far{made}: buyers told a feature "
            f"was coming saw its date slip ({detail['broken_total']} broken by the end).",
            float(count),
            None,
            detail,
        )
    ]


def _leapfrog_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    jumps = events[events["event"] == "leapfrog"]
    if jumps.empty:
        return []
    month = int(jumps["month"].iloc[0])
    count = len(jumps)
    diverted_months = []
    if _has(frame, "custom_share"):
        diverted_months = [
            int(m)
            for m in jumps["month"]
            if _at(frame, "custom_share", int(m)) >= CUSTOM_SHARE_THRESHOLD
        ]
    share = _at(frame, "custom_share", month) if _has(frame, "custom_share") else float("nan")
    while_text = (
        f" while {share:.0%} of engineering was on custom work" if np.isfinite(share) else ""
    )
    return [
        Line(
            month,
            "leapfrog",
            f"The competitor shipped a leapfrog release{while_text} ({count} leapfrog"
            f"{'s' if count != 1 else ''} in all, {len(diverted_months)} while custom work held "
            f"{CUSTOM_SHARE_THRESHOLD:.0%} or more of engineering).",
            share if np.isfinite(share) else None,
            "custom_share" if np.isfinite(share) else None,
            {
                "leapfrogs": count,
                "while_diverted": len(diverted_months),
                "diverted_months": diverted_months,
            },
        )
    ]


def _funding_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    lines = []
    for record in events[events["event"] == "funding"].to_dict("records"):
        amount, odds = _num(record.get("amount_usd")), _num(record.get("odds"))
        round_no = record.get("round")
        label = f" (round {int(round_no)})" if _num(round_no) is not None else ""
        odds_text = f"; investors put the odds at {odds:.0%}" if odds is not None else ""
        lines.append(
            Line(
                int(record["month"]),
                "funding",
                f"Raised {money_short(amount)}{label}{odds_text}.",
                amount,
                None,
                {"odds": odds},
            )
        )
    refused = events[events["event"] == "funding_refused"]
    if not refused.empty:
        months = [int(m) for m in refused["month"]]
        odds = _num(refused["odds"].iloc[0]) if "odds" in refused.columns else None
        more = (
            f"; {len(months)} refusals in all (months {', '.join(map(str, months))})"
            if len(months) > 1
            else ""
        )
        odds_text = (
            f" (on its traction, the chance of a yes was {odds:.0%})" if odds is not None else ""
        )
        lines.append(
            Line(
                months[0],
                "funding_refused",
                f"Investors turned down a round{odds_text}{more}.",
                odds,
                None,
                {"refusals": len(months), "months": months},
            )
        )
    return lines


def _engineer_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    """Engineers bought with spare cash once the PMF signal was in (``engineer_hired`` events)."""
    hired = events[events["event"] == "engineer_hired"]
    if hired.empty:
        return []
    first = int(hired["month"].iloc[0])
    team = _num(hired["engineers"].iloc[-1]) if "engineers" in hired.columns else None
    size = f"; the team reached {int(team)} engineers" if team is not None else ""
    count = len(hired)
    return [
        Line(
            first,
            "engineers_hired",
            f"With product-market fit in and cash to spare, the company started hiring engineers "
            f"({count} hired this way{size}).",
            float(count),
            None,
            {"hired": count, "engineers": team, "last_month": int(hired["month"].iloc[-1])},
        )
    ]


def _runway_lines(frame: pd.DataFrame, events: pd.DataFrame) -> list[Line]:
    if not _has(frame, "runway_months"):
        return []
    runway = frame["runway_months"].astype(float)
    short = runway < SHORT_RUNWAY_MONTHS
    if _has(frame, "alive"):
        short &= frame["alive"].astype(bool)
    if not short.any():
        return []
    pos = int(np.argmax(short.to_numpy()))
    month, value = int(frame.loc[pos, "month"]), float(runway.iloc[pos])
    detail: dict[str, Any] = {"threshold_months": SHORT_RUNWAY_MONTHS}
    money_text = ""
    if _has(frame, "cash_usd", "burn_usd"):
        detail |= {
            "cash_usd": float(frame.loc[pos, "cash_usd"]),
            "burn_usd": float(frame.loc[pos, "burn_usd"]),
        }
        money_text = (
            f": {money_short(detail['cash_usd'])} in the bank, "
            f"burning {money_short(detail['burn_usd'])} a month"
        )
    return [
        Line(
            month,
            "short_runway",
            f"Runway fell below {SHORT_RUNWAY_MONTHS:g} months, to {value:.1f}{money_text}.",
            value,
            "runway_months",
            detail,
        )
    ]


def _spiral_line(frame: pd.DataFrame, onset: int) -> Line:
    detail = {
        name: _at(frame, name, onset)
        for name in ("custom_share", "product_fit", "competitor_fit", "win_rate", "pressure")
        if name in frame.columns
    }
    parts = []
    if np.isfinite(detail.get("custom_share", np.nan)):
        parts.append(f"custom work at {detail['custom_share']:.0%} of engineering")
    if np.isfinite(detail.get("product_fit", np.nan)) and np.isfinite(
        detail.get("competitor_fit", np.nan)
    ):
        parts.append(
            f"fit {100 * (detail['product_fit'] - detail['competitor_fit']):+.0f} points against "
            "the competitor"
        )
    if _has(frame, "win_rate"):
        pooled = pooled_win_rate(frame)
        rate = (
            float(pooled[frame["month"] == onset].iloc[0])
            if (frame["month"] == onset).any()
            else float("nan")
        )
        if np.isfinite(rate):
            detail["pooled_win_rate"] = rate
            parts.append(f"win rate {rate:.0%}")
    if np.isfinite(detail.get("pressure", np.nan)):
        parts.append(f"pressure {100 * detail['pressure']:.0f} of 100")
    now = f" (this month: {', '.join(parts)})" if parts else ""
    value = detail.get("custom_share")
    return Line(
        onset,
        "spiral",
        f"The death spiral took hold: {SPIRAL_CHAIN}, each link feeding the next{now}.",
        value,
        "custom_share" if value is not None else None,
        _plain(detail),
    )


def _ending_line(frame: pd.DataFrame, died: bool) -> Line:
    last = frame.iloc[-1]
    month = int(last["month"])
    cash = float(last["cash_usd"]) if "cash_usd" in frame.columns else None
    if died:
        burn = float(last["burn_usd"]) if "burn_usd" in frame.columns else None
        burn_text = f" after burning {money_short(burn)} that month" if burn is not None else ""
        cash_text = f" ({money_short(cash)}{burn_text})" if cash is not None else ""
        return Line(
            month,
            "cash_out",
            f"Cash ran out{cash_text}: the company died.",
            cash,
            "cash_usd" if cash is not None else None,
            {"burn_usd": burn},
        )
    arr = float(last["arr_usd"]) if "arr_usd" in frame.columns else None
    arr_text = f" with ARR of {money_short(arr)}" if arr is not None else ""
    cash_text = f" and {money_short(cash)} in the bank" if cash is not None else ""
    return Line(
        month,
        "survived",
        f"Still alive at month {month}{arr_text}{cash_text}.",
        arr,
        "arr_usd" if arr is not None else None,
        {"cash_usd": cash},
    )


# ============================================================================================
# Ensemble
# ============================================================================================


def debrief_ensemble(runs: Iterable[Any] | Any) -> EnsembleDebrief:
    """Which causes were most common among the runs that died.

    ``runs``: an ``Ensemble`` (its ``.runs``), or an iterable of ``RunResult`` or ``Debrief``.
    Causes are counted once per dead run and listed most common first (ties in ``CAUSES`` order);
    ``share`` is the count over the number of deaths.
    """
    items = getattr(runs, "runs", runs)
    debriefs = [item if isinstance(item, Debrief) else explain_run(item) for item in items]
    dead = [d for d in debriefs if not d.survived]
    counts = {cause: sum(cause in d.causes for d in dead) for cause in CAUSES}
    order = list(CAUSES)
    ranked = sorted(
        (c for c in CAUSES if counts[c] > 0), key=lambda c: (-counts[c], order.index(c))
    )
    deaths = [d.month_of_death for d in dead if d.month_of_death is not None]
    return EnsembleDebrief(
        runs=len(debriefs),
        deaths=len(dead),
        median_month_of_death=float(np.median(deaths)) if deaths else None,
        spirals=sum(d.spiral for d in debriefs),
        causes=tuple(CauseCount(c, CAUSES[c], counts[c], counts[c] / len(dead)) for c in ranked),
    )


@dataclass(frozen=True)
class CauseSeparation:
    """How much one cause tells deaths from survivors across a set of runs.

    ``separation`` = share of the deaths showing it minus share of the survivors showing it: a
    cause every run shows, dead or alive, separates nothing (0); one only the dead show, 1.
    """

    cause: str
    label: str
    deaths_share: float
    survivors_share: float | None  # None when every run died
    separation: float


def separate_causes(debriefs: Sequence[Debrief]) -> tuple[CauseSeparation, ...]:
    """Every cause shown by a run that died, ranked by how much it separates deaths from
    survivors (most first; ties in ``CAUSES`` order). Without survivors a cause's separation is
    its share of the deaths."""
    dead = [d for d in debriefs if not d.survived]
    alive = [d for d in debriefs if d.survived]
    if not dead:
        return ()
    out = []
    for cause, label in CAUSES.items():
        in_dead = sum(cause in d.causes for d in dead) / len(dead)
        if in_dead == 0:
            continue
        in_alive = sum(cause in d.causes for d in alive) / len(alive) if alive else None
        out.append(CauseSeparation(cause, label, in_dead, in_alive, in_dead - (in_alive or 0.0)))
    order = list(CAUSES)
    return tuple(sorted(out, key=lambda c: (-c.separation, order.index(c.cause))))


def first_domino(debrief: Debrief, ranking: Sequence[CauseSeparation]) -> Line | None:
    """The earliest line of this run among the causes that separate its side's deaths from its
    survivors (separation above 0), or None."""
    telling = {c.cause for c in ranking if c.separation > 0}
    for line in debrief.lines:  # in month order
        cause = LINE_CAUSES.get(line.kind)
        if cause in telling:
            return line
    return None


# ============================================================================================
# Text
# ============================================================================================


def render_text(debrief: Debrief) -> str:
    """The debrief as plain text: a headline, the timeline (one line a month-claim), the causes."""
    who = debrief.name or "This company"
    seed = f" (seed {debrief.seed})" if debrief.seed is not None else ""
    if debrief.survived:
        head = f"{who}{seed} survived all {debrief.months_run} months."
    else:
        head = f"{who}{seed} died in month {debrief.month_of_death}: its cash ran out."
    spiral = (
        f" The death spiral's signature shows in its series from month "
        f"{debrief.spiral_onset_month} (custom work, then fit, win rate and pressure, in order)."
        if debrief.spiral
        else " Its series do not show the death spiral's signature (the loop's links one after "
        "the other)."
    )
    out = [head + spiral]
    if debrief.counterfactual:
        out.append(debrief.counterfactual)
    out.append("")
    width = max((len(str(line.month)) for line in debrief.lines), default=1)
    for line in debrief.lines:
        out.append(f"  month {line.month:>{width}}  {line.text}")
    causes = debrief.causes
    if causes and not debrief.survived:
        out += ["", "Why it died, in short: " + "; ".join(CAUSES[c] for c in causes) + "."]
    return "\n".join(out)


def render_ensemble_text(summary: EnsembleDebrief) -> str:
    """The ensemble debrief as plain text."""
    alive = summary.runs - summary.deaths
    when = (
        f" (median month of death {summary.median_month_of_death:g})"
        if summary.median_month_of_death is not None
        else ""
    )
    head = f"{summary.runs} runs: {summary.deaths} died{when}, {alive} survived"
    out = [f"{head}; {spiral_count_text(summary)}."]
    if not summary.deaths:
        return out[0]
    out.append(f"Most common causes among the {summary.deaths} that died:")
    for cause in summary.causes:
        out.append(f"  {cause.count:>4}  ({cause.share:4.0%})  {cause.label}")
    return "\n".join(out)


def spiral_count_text(summary: EnsembleDebrief) -> str:
    """In how many runs the death spiral took hold, split into deaths and survivors: the count
    is over every run, while the causes listed after it are over the deaths only (sales-led,
    seeds 0-15: 2 spirals, one in a company that survived, so the causes read 1 of 10)."""
    if not summary.spirals:
        return "the death spiral took hold in none"
    died = next((c.count for c in summary.causes if c.cause == "spiral"), 0)
    survived = summary.spirals - died
    split = f"{died} that died, {survived} that survived"
    return f"the death spiral took hold in {summary.spirals} of the {summary.runs} ({split})"


# ============================================================================================
# Formatting helpers
# ============================================================================================


def _num(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    return value
