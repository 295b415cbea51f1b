"""What the CEO hears: the last stretch of a run in the words of sales, product and finance.

A workshop team sees its company between rounds the way a CEO does: not the model's internals
but what the heads of sales and product report, each from their own corner (docs/MODEL.md: sales
sees the plan and the pipeline, product sees the work and the market's fit). Every sentence is
read from the run's monthly series over the last ``window`` months (the round just played), so
it can be checked against the numbers on the same page.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.analysis.units import money_short, percent

HIGH_PRESSURE = 0.35  # pressure at which sales starts asking for room (0-1)
CUSTOM_HEAVY = 0.4  # custom share of engineering product calls heavy (share)
SHORT_RUNWAY = 9.0  # runway finance warns about (months)


@dataclass(frozen=True)
class Briefing:
    """Sentences by speaker: ``sales``, ``product``, ``finance``."""

    sales: tuple[str, ...]
    product: tuple[str, ...]
    finance: tuple[str, ...]


def _sum(frame: pd.DataFrame, column: str) -> float:
    return float(frame[column].fillna(0).sum()) if column in frame else 0.0


def _last(frame: pd.DataFrame, column: str, default: float = 0.0) -> float:
    if column not in frame or frame.empty:
        return default
    value = frame[column].iloc[-1]
    return default if pd.isna(value) else float(value)


def briefing(series: pd.DataFrame, window: int) -> Briefing:
    """What sales, product and finance tell the CEO about the last ``window`` months."""
    if series.empty:
        return Briefing(
            sales=("Nothing sold yet: we are waiting for your call on how we sell.",),
            product=("The product covers the needs the founders built for; nothing shipped yet.",),
            finance=("The round of funding is in the bank; no month has been spent yet.",),
        )
    recent = series.tail(max(1, window))
    mrr, plan = _last(series, "mrr_usd"), _last(series, "plan_mrr_usd")
    pressure = _last(series, "pressure")
    sales: list[str] = []
    if plan > 0:
        gap = (mrr - plan) / plan
        if gap < 0:
            sales.append(f"We are {percent(-gap)} behind the revenue plan.")
        else:
            sales.append(f"We are {percent(gap)} ahead of the revenue plan.")
    decided = _sum(recent, "deals_decided")
    won = (
        float((recent["win_rate"].fillna(0) * recent["deals_decided"]).sum())
        if "win_rate" in recent and "deals_decided" in recent
        else 0.0
    )
    rate = f", we won {percent(won / decided)} of them" if decided else ""
    sales.append(
        f"{int(_last(series, 'pipeline_deals'))} deals in the pipeline; "
        f"{int(decided)} decided this round{rate}."
    )
    accepted = int(_sum(recent, "contingent_accepted"))
    if accepted:
        sales.append(f"We said yes to {accepted} 'buy if you build X' deals this round.")
    if pressure >= HIGH_PRESSURE:
        behind = plan > 0 and mrr < plan
        sales.append(
            "The plan is pressing hard: give us room to discount, promise and take custom deals."
            if behind
            else "The short cash fuse is pressing hard: give us room to discount, promise and "
            "take custom deals."
        )
    product: list[str] = []
    custom = float(recent["custom_share"].mean()) if "custom_share" in recent else 0.0
    product.append(f"{percent(custom)} of engineering went to one-off custom work this round.")
    if custom >= CUSTOM_HEAVY:
        product.append("The roadmap is starving: custom work for single deals comes first.")
    product.append(_fit_sentence(_last(series, "product_fit"), _last(series, "competitor_fit")))
    broken = int(_sum(recent, "promises_broken"))
    if broken:
        product.append(f"We broke {broken} feature promises sales made.")
    if "leapfrog" in recent and bool(recent["leapfrog"].fillna(False).astype(bool).any()):
        product.append("The competitor shipped a leapfrog release this round.")
    finance: list[str] = []
    cash, runway = _last(series, "cash_usd"), _last(series, "runway_months", 120.0)
    alive = bool(series["alive"].iloc[-1]) if "alive" in series else cash >= 0
    if not alive:
        finance.append(f"We ran out of cash in month {int(series['month'].iloc[-1])}.")
    else:
        fuse = "" if runway >= 120 else f", {runway:.0f} months of runway at this burn"
        finance.append(f"{money_short(cash)} in the bank{fuse}.")
        if runway < SHORT_RUNWAY:
            finance.append("The fuse is short: the next months decide whether we raise or die.")
    raised = _sum(recent, "funding_usd")
    if raised:
        finance.append(f"We raised {money_short(raised)} this round.")
    return Briefing(tuple(sales), tuple(product), tuple(finance))


def _fit_sentence(ours: float, theirs: float) -> str:
    """Who fits the market better, the better one's share of the market's needs first, in
    percent as on every chart (``product_fit`` and ``competitor_fit`` are the shares covered)."""
    if percent(ours) == percent(theirs):
        if ours == theirs:
            return (
                f"We fit the market as well as the competitor: each covers {percent(ours)} of "
                "what the market needs."
            )
        leader = "The competitor fits" if theirs > ours else "We fit"
        rival = "than we do" if theirs > ours else "than the competitor"
        return (
            f"{leader} the market slightly better {rival}: both cover about {percent(ours)} of "
            "what the market needs."
        )
    if theirs > ours:
        return (
            f"The competitor fits the market better than we do: it covers {percent(theirs)} of "
            f"what the market needs, we cover {percent(ours)}."
        )
    return (
        f"We fit the market better than the competitor: we cover {percent(ours)} of what the "
        f"market needs, it covers {percent(theirs)}."
    )
