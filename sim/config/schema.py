"""Scenario files: the validated, frozen description of one simulated company and its policy.

A scenario names a preset (``sales_led``, ``product_led`` or none), overrides levers in five
sections (``company``, ``market``, ``sales``, ``product``, ``policy``) and may carry ``expect:``
assertions. Every numeric field is bounded and states its unit. The lever keys are fixed by
docs/ARCHITECTURE.md; the mechanisms behind them are traced to the essays in ``docs/MODEL.md``.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.config.hints import did_you_mean, one_line

SCHEMA_VERSION = 1
SEGMENT_NAMES = ("smb", "midmarket", "enterprise")
MAX_SEGMENTS = 12
MAX_PROSPECTS = 1_000_000
"""Most prospects a run may meet over its horizon (initial plus arrivals, times size_scale): the
model holds every prospect in memory (about 250 bytes each at 24 capabilities)."""
MAX_EXPECT = 100
MAX_SEED = 2**32 - 1
"""Largest seed: what numpy's legacy seeding accepts (a seed and its ensemble stay below it)."""


class ScenarioError(ValueError):
    """A scenario file or override is invalid; ``str(err)`` is one line naming file, key,
    problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class SegmentParams(_Section):
    """One market segment [004]: its size, economics and buying behaviour."""

    initial_prospects: int = Field(
        ge=0, le=200_000, description="prospects reachable at month 0 (count)"
    )
    arrivals_per_month: float = Field(
        ge=0, le=10_000, description="new prospects entering each month (count/month)"
    )
    price_per_seat_usd: float = Field(
        gt=0, le=100_000, description="list price per seat (USD/month)"
    )
    seats_mean: float = Field(ge=1, le=10_000, description="mean seats per deal (seats)")
    budget_ratio: float = Field(
        gt=0, le=3, description="mean willingness to pay as a share of list price (ratio)"
    )
    cost_to_serve_per_seat_usd: float = Field(
        ge=0, le=100_000, description="cost to serve one seat (USD/month)"
    )
    sales_cycle_months: float = Field(
        ge=0.5, le=24, description="mean months from qualified lead to decision (months)"
    )
    churn_monthly: float = Field(
        ge=0, le=0.5, description="baseline churn of a satisfied customer (share/month)"
    )
    custom_request_share: float = Field(
        ge=0, le=1, description="share of poor-fit prospects that ask 'buy if you build X' (share)"
    )
    honesty: float = Field(
        ge=0,
        le=1,
        description="share of 'buy if you build X' promises that turn into the full purchase "
        "after delivery (share) [001]",
    )
    custom_effort_em: float = Field(
        gt=0, le=120, description="estimated effort of one custom request (engineer-months)"
    )
    contingent_first_order: float = Field(
        gt=0,
        le=1,
        description="share of the promised seats a contingent buyer takes up front ('5 seats now, "
        "300 later') (share) [001]",
    )
    need_mix: float = Field(
        ge=0,
        le=1,
        description="how much this segment's needs follow the market's common core rather than "
        "its own (share)",
    )


def _default_segments() -> dict[str, SegmentParams]:
    return {
        "smb": SegmentParams(
            initial_prospects=500,
            arrivals_per_month=30,
            price_per_seat_usd=40,
            seats_mean=15,
            budget_ratio=0.7,
            cost_to_serve_per_seat_usd=24,
            sales_cycle_months=1.5,
            churn_monthly=0.0191224,
            custom_request_share=0.15,
            honesty=0.5,
            custom_effort_em=3,
            contingent_first_order=0.6,
            need_mix=0.3,
        ),
        "midmarket": SegmentParams(
            initial_prospects=200,
            arrivals_per_month=8,
            price_per_seat_usd=75,
            seats_mean=50,
            budget_ratio=1.0,
            cost_to_serve_per_seat_usd=12,
            sales_cycle_months=3.5,
            churn_monthly=0.012,
            custom_request_share=0.35,
            honesty=0.4,
            custom_effort_em=6,
            contingent_first_order=0.4,
            need_mix=0.6,
        ),
        "enterprise": SegmentParams(
            initial_prospects=50,
            arrivals_per_month=2,
            price_per_seat_usd=60,
            seats_mean=250,
            budget_ratio=0.9,
            cost_to_serve_per_seat_usd=10,
            sales_cycle_months=7.5,
            churn_monthly=0.00247734,
            custom_request_share=0.7,
            honesty=0.25,
            custom_effort_em=14,
            contingent_first_order=0.1,
            need_mix=0.5,
        ),
    }


class CompanyParams(_Section):
    """CEO, board and finance [000]: cash, headcount, plan, pressure and funding."""

    initial_cash: float = Field(3_000_000, ge=0, le=1e9, description="cash at month 0 (USD)")
    hiring: Literal["plan", "on_pressure", "after_pmf"] = Field(
        "plan",
        description="rep hiring rule: follow the plan, hire when behind plan, or only after the "
        "PMF signal",
    )
    initial_engineers: int = Field(6, ge=1, le=500, description="engineers at month 0 (people)")
    initial_reps: int = Field(2, ge=0, le=500, description="sales reps at month 0 (people)")
    engineer_cost_usd: float = Field(
        15_000, ge=0, le=100_000, description="fully loaded engineer cost (USD/month)"
    )
    rep_base_usd: float = Field(
        10_000, ge=0, le=100_000, description="rep base salary before commission (USD/month)"
    )
    rep_hiring_cost_usd: float = Field(
        15_000,
        ge=0,
        le=500_000,
        description="one-off cost of hiring a rep: recruiting, onboarding (USD)",
    )
    overhead_usd: float = Field(
        30_000, ge=0, le=10_000_000, description="founders, G&A and tools (USD/month)"
    )
    low_burn_until_pmf: bool = Field(
        False,
        description="until the PMF signal: no hires and overhead cut by low_burn_overhead_cut "
        "[000]",
    )
    low_burn_overhead_cut: float = Field(
        0.3, ge=0, le=0.9, description="share of overhead saved while keeping burn low (share)"
    )
    max_reps: int = Field(
        25, ge=0, le=1000, description="most reps the company will employ (people)"
    )
    max_engineers: int = Field(
        20, ge=1, le=1000, description="most engineers the company will employ (people)"
    )
    invest_runway_months: float = Field(
        24,
        ge=0,
        le=120,
        description="hiring after_pmf: once the PMF signal is in, cash beyond this many months "
        "of burn hires one engineer a month, up to max_engineers (months; 0: engineers come only "
        "with funding rounds) [000]",
    )
    plan_hire_every_months: int = Field(
        4, ge=1, le=60, description="hiring: plan adds one rep this often (months)"
    )
    pressure_hire_threshold: float = Field(
        0.35,
        ge=0,
        le=1,
        description="hiring: on_pressure hires a rep when pressure exceeds this (0-1)",
    )
    min_runway_to_hire_months: float = Field(
        6, ge=0, le=60, description="no hiring when runway is below this (months)"
    )
    plan_start_month: int = Field(
        3, ge=0, le=120, description="month the revenue plan starts (month)"
    )
    plan_start_mrr_usd: float = Field(
        10_000, ge=0, le=1e8, description="planned MRR at plan start (USD/month)"
    )
    plan_growth_monthly: float = Field(
        0.07, ge=0, le=1, description="planned MRR growth (share/month)"
    )
    plan_replan_months: int = Field(
        9,
        ge=0,
        le=60,
        description="every this many months after plan start the board re-bases a plan the "
        "company beat on its actual MRR, growing at the same rate from there; 0 = never (months)",
    )
    plan_replan_down_share: float = Field(
        0.85742,
        ge=0,
        le=1,
        description="at each re-plan the board lowers a missed plan by this share of the "
        "shortfall to actual MRR, growing at the same rate from there; 0 = a missed plan is "
        "never lowered, 1 = re-based on actual MRR (share) [002: quota set 120% above a plan the "
        "company can make]",
    )
    plan_replan_stretch: float = Field(
        0.000258521,
        ge=-1,
        le=1,
        description="at each re-plan the new plan grows at the MRR growth of the period under "
        "review plus this stretch, at most plan_growth_monthly; below 0 = keep "
        "plan_growth_monthly (share/month)",
    )
    pressure_runway_months: float = Field(
        12, ge=1, le=60, description="runway below which the cash fuse adds pressure (months) [000]"
    )
    pressure_gap_weight: float = Field(
        0.6, ge=0, le=1, description="weight of the revenue gap in pressure (0-1)"
    )
    pressure_smoothing: float = Field(
        0.3, gt=0, le=1, description="share of the new pressure reading taken each month (share)"
    )
    funding_round_usd: float = Field(
        8_000_000, ge=0, le=1e9, description="size of a successful round (USD)"
    )
    max_rounds: int = Field(2, ge=0, le=10, description="most rounds the company may raise (count)")
    raise_when_runway_months: float = Field(
        9, ge=0, le=60, description="the CEO starts raising when runway falls below this (months)"
    )
    raise_retry_months: int = Field(
        3, ge=1, le=24, description="months between attempts to raise (months)"
    )
    funding_arr_bar_usd: float = Field(
        1_000_000,
        gt=0,
        le=1e9,
        description="ARR at which investors are even odds, other traction equal (USD/year)",
    )
    funding_growth_bar: float = Field(
        0.08, ge=0, le=1, description="3-month mean MRR growth investors expect (share/month)"
    )
    funding_churn_bar: float = Field(
        0.03, gt=0, le=1, description="monthly revenue churn investors tolerate (share/month)"
    )
    investor_fit_weight: float = Field(
        0.0,
        ge=0,
        le=20,
        description="weight of the PMF survey in investors' odds: logit + weight x (love share "
        "- pmf_share) / pmf_share; 0 = traction only (logit) [000]",
    )
    engineers_hired_per_round: int = Field(
        6, ge=0, le=500, description="engineers hired after a successful round (people)"
    )
    pmf_fit_threshold: float = Field(
        0.55,
        gt=0,
        lt=1,
        description="PMF signal: a prospect 'loves' the product at this fit or above (0-1)",
    )
    pmf_share: float = Field(
        0.4,
        gt=0,
        le=1,
        description="PMF signal: share of live prospects in the best-fitting segment at or above "
        "the fit threshold (share)",
    )
    pmf_months: int = Field(
        2, ge=1, le=24, description="PMF signal: consecutive months the share must hold (months)"
    )

    @model_validator(mode="after")
    def _maxima_not_below_initial(self) -> CompanyParams:
        for maximum, initial in (
            ("max_engineers", "initial_engineers"),
            ("max_reps", "initial_reps"),
        ):
            if getattr(self, maximum) < getattr(self, initial):
                raise ValueError(
                    f"{maximum} ({getattr(self, maximum)}) is below {initial} "
                    f"({getattr(self, initial)}): a maximum cannot be below the starting value"
                )
        return self


class MarketParams(_Section):
    """The market: capability space, need drift, segments and the competitor [001, 002, 004]."""

    capabilities: int = Field(
        24, ge=4, le=128, description="capabilities the market can need (count)"
    )
    need_level_logit: float = Field(
        -1.0,
        ge=-6,
        le=6,
        description="mean logit of a need: about a quarter of capabilities needed by a typical "
        "prospect (logit)",
    )
    need_spread_logit: float = Field(
        1.4, ge=0, le=6, description="spread of need logits across capabilities (logit)"
    )
    need_drift_sd: float = Field(
        0.15, ge=0, le=2, description="monthly random change of each need's logit (logit/month)"
    )
    need_shift_prob: float = Field(
        0.06,
        ge=0,
        le=1,
        description="chance a capability's long-run need level is redrawn each month: needs "
        "appear and fade (1/month)",
    )
    need_reversion: float = Field(
        0.15,
        ge=0,
        le=1,
        description="monthly pull of a need toward its long-run level (share/month)",
    )
    obsolescence_monthly: float = Field(
        0.015,
        ge=0,
        le=0.5,
        description="share of every product's coverage that dates each month as the market's bar "
        "rises (share/month) [002]",
    )
    size_scale: float = Field(
        1.0, gt=0, le=100, description="multiplies every segment's prospects and arrivals (ratio)"
    )
    initial_fit_segment: str = Field(
        "midmarket",
        description="the segment the founders first built for: the initial product covers its top "
        "needs",
    )
    initial_coverage: float = Field(
        0.6,
        ge=0,
        le=1,
        description="coverage of the founders' chosen capabilities at month 0 (0-1)",
    )
    initial_covered_capabilities: int = Field(
        8, ge=0, le=128, description="capabilities the initial product covers (count)"
    )
    awareness_monthly: float = Field(
        0.08,
        ge=0,
        le=1,
        description="share of unaware prospects who become leads each month (share/month)",
    )
    referral_per_customer: float = Field(
        0.00310927,
        ge=0,
        le=1,
        description="extra awareness each customer adds (share/month per customer)",
    )
    referral_satisfied_only: bool = Field(
        True,
        description="only satisfied customers (satisfaction >= 0.6) refer prospects; off: every "
        "customer does [003, 001]",
    )
    referral_win_logit: float = Field(
        0.620507,
        ge=-10,
        le=10,
        description="win odds a referred buyer adds (a reference customer vouched for the "
        "product) (logit)",
    )
    competitor_coverage: float = Field(
        0.4,
        ge=0,
        le=1,
        description="competitor coverage of the market's top needs at month 0 (0-1)",
    )
    competitor_covered_capabilities: int = Field(
        8, ge=0, le=128, description="capabilities the competitor covers at month 0 (count)"
    )
    competitor_items_per_month: float = Field(
        1.0, ge=0, le=10, description="competitor roadmap items shipped (items/month)"
    )
    competitor_item_step: float = Field(
        0.25, ge=0, le=1, description="coverage one competitor item adds (0-1)"
    )
    leapfrog_prob: float = Field(
        0.03, ge=0, le=1, description="chance of a competitor leapfrog release (1/month) [002]"
    )
    leapfrog_step: float = Field(
        0.3, ge=0, le=1, description="coverage a leapfrog adds to each of its capabilities (0-1)"
    )
    leapfrog_capabilities: int = Field(
        3, ge=1, le=32, description="capabilities one leapfrog improves (count)"
    )
    competitor_steal_rate: float = Field(
        0.0375506,
        ge=0,
        le=1,
        description="monthly hazard that a customer the competitor fits better switches, per unit "
        "of fit gap (1/month)",
    )
    no_decision_share: float = Field(
        0.646433,
        ge=0,
        le=0.95,
        description="share of due deals where the buyer keeps the status quo this cycle and "
        "buys from nobody; it may be worked again a budget cycle later (share)",
    )
    no_decision_cooldown_months: int = Field(
        9, ge=1, le=36, description="months before a no-decision buyer can be worked again (months)"
    )
    win_base_logit: float = Field(
        2.25403, ge=-10, le=10, description="win odds of an even deal (logit)"
    )
    win_relative_fit_slope: float = Field(
        5.0, ge=0, le=50, description="win odds per unit of fit over the competitor (logit per fit)"
    )
    win_absolute_fit_slope: float = Field(
        4.0, ge=0, le=50, description="win odds per unit of fit above 0.5 (logit per fit)"
    )
    win_fit_visibility: float = Field(
        0.188777,
        ge=0,
        le=1,
        description="how much of each product's true fit a buyer sees before using it: seen fit "
        "= 0.5 + visibility x (fit - 0.5), for ours and the rival's; 1 = all of it [001, 002]",
    )
    satisfaction_from_sold_fit: bool = Field(
        True,
        description="a new customer's satisfaction starts at the fit it was sold (seen fit plus "
        "the pitch's promise or the committed custom item) and moves to its true fit; off: it "
        "starts at true fit [002]",
    )
    win_discount_slope: float = Field(
        3.0, ge=0, le=50, description="win odds per unit of discount (logit per share)"
    )
    win_complexity_slope: float = Field(
        1.5,
        ge=0,
        le=50,
        description="win odds lost per unit of complexity: harder to explain and consume [004]",
    )
    churn_fit_slope: float = Field(
        3.37937,
        ge=0,
        le=50,
        description="churn multiplier exponent per unit of satisfaction below 0.6 (per fit)",
    )
    expansion_monthly: float = Field(
        0.0195338, ge=0, le=0.5, description="seat growth of a satisfied customer (share/month)"
    )
    segments: dict[str, SegmentParams] = Field(
        default_factory=_default_segments,
        max_length=MAX_SEGMENTS,
        description="segments by name",
    )

    @field_validator("segments")
    @classmethod
    def _known_segments(cls, value: dict[str, SegmentParams]) -> dict[str, SegmentParams]:
        if not value:
            raise ValueError("at least one segment is needed")
        return value

    @model_validator(mode="after")
    def _counts_fit_capabilities(self) -> MarketParams:
        for name in (
            "initial_covered_capabilities",
            "competitor_covered_capabilities",
            "leapfrog_capabilities",
        ):
            if getattr(self, name) > self.capabilities:
                raise ValueError(
                    f"{name} ({getattr(self, name)}) exceeds capabilities ({self.capabilities})"
                )
        return self

    @model_validator(mode="after")
    def _fit_segment_exists(self) -> MarketParams:
        if self.initial_fit_segment not in self.segments:
            raise ValueError(
                f"initial_fit_segment '{self.initial_fit_segment}' is not a segment "
                f"({', '.join(self.segments)})"
            )
        return self


class SalesParams(_Section):
    """Sales reps: compensation, qualification, contingent deals, roadmap promises [000, 001,
    002]."""

    commission_timing: Literal["immediate", "after_pmf"] = Field(
        "immediate",
        description="pay commission from month 0, or only after the PMF signal (learning mode "
        "before) [000]",
    )
    commission_rate: float = Field(
        0.10,
        ge=0,
        le=0.5,
        description="share of booked first-year value paid as commission (share)",
    )
    commission_basis: Literal["booking", "cash", "clawback"] = Field(
        "booking",
        description="commission paid on booking, on cash collected (first year), or on booking "
        "with clawback on early churn [002]",
    )
    clawback_months: int = Field(
        6,
        ge=1,
        le=36,
        description="a customer lost within this many months claws back the commission (months)",
    )
    contingent_acceptance: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of 'buy if you build X' requests sales commits the company to with no "
        "commission and no pressure; commission raises its odds and felt pressure closes part of "
        "the gap to committing to all (share) [001]",
    )
    promise_horizon_months: float = Field(
        3, ge=0, le=36, description="how far ahead reps may sell the roadmap (months) [002]"
    )
    targeting: Literal["any", "focus"] = Field(
        "any", description="prospect in every segment, or only in focus_segment [004]"
    )
    focus_segment: str = Field(
        "midmarket", description="segment to focus on when targeting is 'focus'"
    )
    quota_multiplier: float = Field(
        1.2, ge=0.5, le=3, description="sales quota as a multiple of the revenue plan (ratio) [002]"
    )
    ramp_months: float = Field(
        5, ge=0, le=24, description="months for a new rep to reach full productivity (months)"
    )
    rep_capacity_deals: int = Field(
        14, ge=1, le=200, description="deals one fully ramped rep works at once (deals)"
    )
    leads_per_month: float = Field(
        7.537,
        ge=0,
        le=200,
        description="leads one fully ramped rep qualifies per month (leads/month)",
    )
    min_fit: float = Field(
        0.45,
        ge=0,
        le=1,
        description="fit a rep wants to see before working a deal, with no incentive or pressure "
        "(0-1)",
    )
    commission_fit_drop: float = Field(
        0.12, ge=0, le=1, description="how far a 10% commission lowers the fit a rep accepts (0-1)"
    )
    max_discount: float = Field(
        0.15,
        ge=0,
        le=0.9,
        description="deepest discount a rep gives with no incentive or pressure (share)",
    )
    commission_discount_add: float = Field(
        0.15, ge=0, le=0.9, description="extra discount a 10% commission makes a rep give (share)"
    )
    commission_contingent_boost: float = Field(
        1.0,
        ge=0,
        le=5,
        description="relative increase in the odds of committing to a contingent request that a "
        "10% commission causes (ratio) [000, 001]",
    )
    perception_noise: float = Field(
        0.1, ge=0, le=1, description="noise in a rep's read of a prospect's fit (fit units)"
    )
    skill_sd: float = Field(0.3, ge=0, le=3, description="spread of rep skill (logit)")
    attrition_annual: float = Field(
        0.22, ge=0, le=1, description="yearly attrition of a rep at quota (share/year)"
    )
    missed_quota_attrition: float = Field(
        1.5, ge=0, le=10, description="extra relative attrition of a rep far below quota (ratio)"
    )
    learning_mode_close_factor: float = Field(
        0.7,
        ge=0,
        le=1,
        description="relative close rate of a rep in learning mode: discovery, not pushing "
        "(ratio) [000]",
    )
    wait_scale_months: float = Field(
        8,
        gt=0,
        le=60,
        description="prospects promised an item this far out are likely to wait for it (months) "
        "[002]",
    )
    promise_grace_months: float = Field(
        1, ge=0, le=12, description="lateness tolerated before a promise counts as broken (months)"
    )

    @field_validator("focus_segment", mode="after")
    @classmethod
    def _segment_name(cls, value: str) -> str:
        if not value:
            raise ValueError("focus_segment must name a segment")
        return value


class ProductParams(_Section):
    """The product team: capacity, roadmap vs custom queue, complexity, knowledge, bets
    [000-003]."""

    custom_capacity_cap: float = Field(
        0.5,
        ge=0,
        le=1,
        description="most of engineering capacity custom work may take (share) [001]",
    )
    customizable_architecture: bool = Field(
        False,
        description="UI, workflow and integration hooks: custom work is cheaper and adds no "
        "complexity [002]",
    )
    architecture_overhead: float = Field(
        0.1,
        ge=0,
        le=0.9,
        description="share of capacity the customisable architecture costs to keep up (share)",
    )
    customizable_effort_factor: float = Field(
        0.5,
        gt=0,
        le=1,
        description="effort of custom work on the customisable architecture, relative (ratio)",
    )
    bet_limit_usd: float | None = Field(
        None,
        ge=0,
        le=1e8,
        description="spend cap per contingent bet, with a kill rule past it; null = no cap (USD) "
        "[001]",
    )
    bet_style: Literal["few_big", "many_small"] = Field(
        "few_big",
        description="roadmap in a few big items or many small experiments that learn and kill "
        "[001]",
    )
    engineer_productivity: float = Field(
        1.0,
        gt=0,
        le=5,
        description="output of one engineer at zero complexity (engineer-months/month)",
    )
    item_effort_em: float = Field(
        8, gt=0, le=200, description="effort of one big roadmap item (engineer-months)"
    )
    item_step: float = Field(
        0.4, gt=0, le=1, description="coverage one big roadmap item adds to its capability (0-1)"
    )
    stagnation_switch_boost: float = Field(
        2.0,
        ge=0,
        le=20,
        description="extra relative speed at which customers switch to a better-fitting rival "
        "when none of recent engineering went to the roadmap (ratio) [002]",
    )
    item_outcome_sd: float = Field(
        0.5,
        ge=0,
        le=3,
        description="spread of how well a shipped roadmap item lands: realised coverage = step x "
        "lognormal with mean 1 (log units) [001]",
    )
    small_bet_fraction: float = Field(
        0.25, gt=0, le=1, description="size of one small experiment relative to a big item (ratio)"
    )
    small_bet_kill_value: float = Field(
        0.6,
        ge=0,
        le=5,
        description="kill rule: a small experiment whose measured demand is below this share of "
        "the expected stops its line for a while (ratio) [001]",
    )
    complexity_per_custom_em: float = Field(
        0.012,
        ge=0,
        le=1,
        description="complexity added per engineer-month of custom work (complexity/em) [004]",
    )
    complexity_drag: float = Field(
        1.0,
        ge=0,
        le=10,
        description="productivity divides by 1 + drag x complexity (per complexity)",
    )
    complexity_decay: float = Field(
        0.01,
        ge=0,
        le=1,
        description="complexity paid down each month by routine refactoring (share/month)",
    )
    overrun_sigma: float = Field(
        0.7,
        ge=0,
        le=3,
        description="spread of actual/estimated custom effort, lognormal (log units) [001]",
    )
    overrun_median: float = Field(
        1.3, ge=0.5, le=5, description="median of actual/estimated custom effort (ratio)"
    )
    custom_generality: float = Field(
        0.15,
        ge=0,
        le=1,
        description="mean share of other prospects needing the capability who also value a custom "
        "item (share) [001]",
    )
    bet_value_threshold: float = Field(
        1.0,
        ge=0,
        le=100,
        description="product-decided requests: accept when market value per engineer-month beats "
        "this (prospects/em)",
    )
    knowledge_noise: float = Field(
        0.8, ge=0, le=5, description="noise of one observation of market needs (logit)"
    )
    base_learning: float = Field(
        0.04,
        ge=0,
        le=1,
        description="share of the gap to true needs the team closes each month on its own "
        "(share/month)",
    )
    feedback_learning: float = Field(
        0.2,
        ge=0,
        le=1,
        description="extra monthly learning from structured sales-product meetings (share/month) "
        "[000, 002, 003]",
    )
    discovery_learning_per_rep: float = Field(
        0.08,
        ge=0,
        le=1,
        description="extra monthly learning per rep in learning mode (share/month) [000]",
    )


class PolicyParams(_Section):
    """Governance: who decides custom work, how pressure bends sales, feedback [000, 001, 003]."""

    feedback_meetings: bool = Field(
        False, description="structured sales-product feedback every month [000, 002, 003]"
    )
    feedback_perception_factor: float = Field(
        0.5,
        ge=0,
        le=1,
        description="with feedback meetings, reps misjudge a prospect's fit this much less: they "
        "know what the product does today (ratio) [003]",
    )
    pressure_response: float = Field(
        0.5,
        ge=0,
        le=1,
        description="how much of the pressure reaches behaviour (felt pressure = pressure x "
        "this): lower fit bar, deeper discounts, longer promises, wider targeting, hiring on "
        "pressure, more contingent commitments; 0 cuts the return link of the spiral (0-1) "
        "[000, 001]",
    )
    custom_decider: Literal["sales", "product"] = Field(
        "sales",
        description="sales commits contingent deals, or product judges each as a bet on market "
        "value [001]",
    )
    pressure_promise_months: float = Field(
        6, ge=0, le=36, description="months full pressure adds to the promise horizon (months)"
    )
    pressure_fit_drop: float = Field(
        0.15, ge=0, le=1, description="how far full pressure lowers the fit reps accept (0-1)"
    )
    pressure_acceptance_add: float = Field(
        0.4,
        ge=0,
        le=1,
        description="share of the remaining gap to committing to every contingent request that "
        "full felt pressure closes (share) [001]",
    )
    pressure_discount_add: float = Field(
        0.1, ge=0, le=0.9, description="extra discount reps give under full pressure (share)"
    )
    pressure_widen: float = Field(
        0.5,
        ge=0,
        le=1,
        description="pressure above which focused targeting widens to every segment (0-1)",
    )


SCHEDULE_SECTIONS = ("company", "sales", "product", "policy")
"""Sections whose levers a ``schedule:`` entry may change mid-run (the market is the world every
decision faces: it stays as it was at month 0)."""
FIXED_AT_START: dict[str, str] = {
    "company.initial_cash": "the cash at month 0",
    "company.initial_engineers": "a starting headcount",
    "company.initial_reps": "a starting headcount",
    "company.plan_start_month": "the revenue plan is set at month 0",
    "company.plan_start_mrr_usd": "the revenue plan is set at month 0",
}
"""Levers of the schedule's sections that the model reads only when it builds the company."""
FIXED_FOR_RUN = (
    "months",
    "seeds",
    "name",
    "description",
    "preset",
    "schema_version",
    "expect",
    "schedule",
)
"""Top-level keys of a scenario that hold for the whole run."""
MAX_SCHEDULE = 240


class ScheduleEntry(BaseModel):
    """One mid-run decision: dotted lever keys set at the start of ``month``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    month: int = Field(ge=1, le=240, description="month whose start the change applies at")
    set: dict[str, Any] = Field(
        default_factory=dict,
        max_length=100,
        description="dotted lever keys and their new values, e.g. sales.commission_rate: 0.05",
    )


def mid_run_refusal(key: str) -> str | None:
    """Why ``key`` cannot change mid-run (None: it can, or it is no key at all - the override
    says so)."""
    section, dot, _ = key.partition(".")
    if key in FIXED_AT_START:
        return f"{key} cannot change mid-run ({FIXED_AT_START[key]})"
    if section == "market":
        return f"{key} cannot change mid-run: the market is the same world for every decision"
    if section in FIXED_FOR_RUN:
        return f"{key} cannot change mid-run: it is fixed for the whole run"
    if not dot and section in SCHEDULE_SECTIONS:
        return (
            f"{key}: a whole section cannot be set mid-run; name the lever, e.g. "
            f"{section}.commission_rate"
            if section == "sales"
            else f"{key}: a whole section cannot be set mid-run; name one of its levers"
        )
    if section not in SCHEDULE_SECTIONS:
        hint = did_you_mean(section, (*SCHEDULE_SECTIONS, "market", *FIXED_FOR_RUN))
        sections = ", ".join(SCHEDULE_SECTIONS)
        return f"{key}: unknown key{hint or f' (a schedule sets levers of {sections})'}"
    return None


class Scenario(BaseModel):
    """A whole scenario: preset, the five lever sections, horizon, seeds and expectations."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="version of this file format")
    name: str = Field(
        "unnamed", max_length=120, description="short name shown in tables and charts"
    )
    description: str = Field(
        "", max_length=4000, description="what this scenario shows, for a facilitator to read aloud"
    )
    preset: Literal["sales_led", "product_led"] | None = Field(
        None, description="lever bundle the sections override"
    )
    months: int = Field(60, ge=1, le=240, description="horizon (months)")
    seeds: int = Field(
        32, ge=1, le=10_000, description="ensemble size for check and compare (runs)"
    )
    company: CompanyParams = Field(default_factory=CompanyParams)
    market: MarketParams = Field(default_factory=MarketParams)
    sales: SalesParams = Field(default_factory=SalesParams)
    product: ProductParams = Field(default_factory=ProductParams)
    policy: PolicyParams = Field(default_factory=PolicyParams)
    expect: list[str | dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_EXPECT,
        description="assertions on ensemble metrics checked by `sim check`",
    )
    schedule: list[ScheduleEntry] = Field(
        default_factory=list,
        max_length=MAX_SCHEDULE,
        description="mid-run decisions: {month: M, set: {lever: value, ...}} applied at the start "
        "of month M, months in increasing order",
    )

    @model_validator(mode="after")
    def _market_fits_in_memory(self) -> Scenario:
        market = self.market
        prospects = market.size_scale * sum(
            s.initial_prospects + s.arrivals_per_month * self.months
            for s in market.segments.values()
        )
        if prospects > MAX_PROSPECTS:
            raise ValueError(
                f"market: about {prospects:,.0f} prospects over {self.months} months (initial "
                f"plus arrivals, times size_scale), over the limit of {MAX_PROSPECTS:,}"
            )
        return self

    @model_validator(mode="after")
    def _focus_segment_exists(self) -> Scenario:
        if self.sales.focus_segment not in self.market.segments:
            raise ValueError(
                f"sales.focus_segment: '{self.sales.focus_segment}' is not a segment "
                f"({', '.join(self.market.segments)})"
            )
        return self

    @model_validator(mode="after")
    def _schedule_applies(self) -> Scenario:
        self.schedule_steps()  # raises a one-line error for the first entry that does not apply
        return self

    def schedule_steps(self) -> list[tuple[int, Scenario]]:
        """The scenario in force from each scheduled month on: ``(month, scenario)`` with every
        entry up to that month applied (validated like ``--set``; the schedule itself dropped)."""
        if not self.schedule:
            return []
        base = self.model_copy(update={"schedule": []})
        steps: list[tuple[int, Scenario]] = []
        changes: dict[str, Any] = {}
        previous = 0
        for entry in self.schedule:
            where = f"schedule: month {entry.month}"
            if entry.month <= previous:
                raise ScenarioError(f"{where}: months must increase (it follows month {previous})")
            if entry.month > self.months:
                raise ScenarioError(
                    f"{where}: after the horizon (months: {self.months}), it would never apply"
                )
            previous = entry.month
            for key in entry.set:
                refusal = mid_run_refusal(one_line(key))
                if refusal is not None:
                    raise ScenarioError(f"{where}: {refusal}")
            changes.update(entry.set)
            try:
                current = base.with_overrides(changes)
            except ScenarioError as err:
                text = str(err)
                for prefix in ("--set: ", "--set "):
                    text = text.removeprefix(prefix)
                raise ScenarioError(f"{where}: {text}") from None
            steps.append((entry.month, current))
        return steps

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new scenario with dotted keys (``"sales.commission_rate": 0.1``) replaced, "
        "validated."""
        from sim.config.loading import set_dotted, validate  # loading builds on this module

        data = self.model_dump(mode="python")
        for raw_key, value in overrides.items():
            key = one_line(raw_key)
            if key == "preset":
                raise ScenarioError(
                    "--set preset: a preset cannot be swapped by an override; name it in the "
                    "scenario file"
                )
            set_dotted(data, key, value)
        return validate(data, source="--set")

    def levers(self) -> dict[str, Any]:
        """The scenario as plain data without expectations: what the model reads."""
        return self.model_dump(mode="json", exclude={"expect"})

    def to_yaml(self) -> str:
        """The exact YAML of this scenario (every lever written out, loadable again)."""
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    return Scenario.model_json_schema()
