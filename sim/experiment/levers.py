"""The workshop levers: the controls a facilitator moves, described once for every front end.

Each lever names a dotted scenario key (the lever table in docs/ARCHITECTURE.md plus a few
preset-defining extras), a plain-language label for a room of non-modellers, the display unit
and the range a workshop slider covers. Everything that the schema already knows is *read* from
the pydantic field, never copied: the one-line help text is the field's description, the hard
bounds are its ``ge``/``le`` constraints and the choices of a categorical lever are its
``Literal`` values.

Display values are what a control shows and what a URL carries (e.g. a commission rate of 0.10 is
shown as ``10`` with unit ``%``); ``to_display`` and ``from_display`` convert. No Streamlit here.
"""

from __future__ import annotations

import math
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic.fields import FieldInfo

from sim.config import Scenario

Kind = Literal["slider", "choice", "toggle", "steps"]
NO_CAP = "no cap"


@dataclass(frozen=True)
class Lever:
    """One workshop control.

    ``kind``: ``slider`` (a number, shown as value / ``scale``), ``choice`` (one of the field's
    Literal values, or segments), ``toggle`` (a bool) or ``steps`` (a nullable number picked
    from ``steps``; ``None`` shows as "no cap").
    """

    key: str
    label: str
    kind: Kind
    unit: str = ""
    scale: float = 1.0
    low: float | None = None  # workshop slider range, in display units
    high: float | None = None
    step: float | None = None
    steps: tuple[float | None, ...] = ()  # for kind "steps", in scenario units
    choice_labels: Mapping[str, str] = field(default_factory=dict)
    more: bool = False  # shown under "more levers" rather than up front

    # -- read from the schema ---------------------------------------------------------------
    @property
    def field(self) -> FieldInfo:
        return schema_field(self.key)

    @property
    def name(self) -> str:
        """The last part of the key: unique among levers, used for widget and URL keys."""
        return self.key.rsplit(".", 1)[-1]

    @property
    def help(self) -> str:
        """The field's description as one line, without the essay references."""
        text = self.field.description or ""
        return re.sub(r"\s*\[[0-9, ]+\]", "", text).strip()

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The schema's hard bounds in scenario units (None where the schema sets none)."""
        low = high = None
        for item in self.field.metadata:
            for attr in ("ge", "gt"):
                if getattr(item, attr, None) is not None:
                    low = float(getattr(item, attr))
            for attr in ("le", "lt"):
                if getattr(item, attr, None) is not None:
                    high = float(getattr(item, attr))
        return low, high

    def choices(self, scenario: Scenario | None = None) -> list[str]:
        """The values a ``choice`` lever can take (segments come from the scenario's market)."""
        if self.key == "sales.focus_segment":
            segments = (
                scenario.market.segments if scenario is not None else Scenario().market.segments
            )
            return list(segments)
        args = typing.get_args(self.field.annotation)
        return [a for a in args if isinstance(a, str)]

    def choice_label(self, value: str) -> str:
        return self.choice_labels.get(value, value.replace("_", " "))

    @property
    def title(self) -> str:
        """The label with its unit, as a control shows it."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    # -- conversions ------------------------------------------------------------------------
    def to_display(self, value: Any) -> Any:
        """Scenario value -> what the control shows."""
        if self.kind == "slider":
            shown = float(value) / self.scale
            return round(shown) if _is_int(self.step) and _is_int(shown) else round(shown, 6)
        if self.kind == "steps":
            return NO_CAP if value is None else format_steps_value(self, value)
        return value

    def from_display(self, shown: Any) -> Any:
        """What the control shows -> scenario value."""
        if self.kind == "slider":
            value = round(float(shown) * self.scale, 9)
            return int(value) if self.field.annotation is int else value
        if self.kind == "steps":
            return parse_steps_value(self, shown)
        return shown

    def slider_range(self, value: Any) -> tuple[float, float]:
        """The workshop range in display units, widened to include ``value`` when needed."""
        assert self.low is not None and self.high is not None
        shown = float(self.to_display(value))
        return min(self.low, shown), max(self.high, shown)

    def step_options(self, value: Any) -> list[str]:
        """Display options of a ``steps`` lever, including ``value`` when it is off the ladder."""
        values = list(self.steps)
        if value not in values:
            values.append(value)
        numbers = sorted(v for v in values if v is not None)
        ordered = ([None] if None in values else []) + numbers
        return [self.to_display(v) for v in ordered]


def _is_int(x: float | None) -> bool:
    return x is not None and float(x).is_integer()


def format_steps_value(lever: Lever, value: float) -> str:
    shown = float(value) / lever.scale
    return f"{shown:g}"


def parse_steps_value(lever: Lever, shown: Any) -> float | None:
    if shown is None or str(shown).strip().lower() == NO_CAP:
        return None
    return round(float(shown) * lever.scale, 6)


def schema_field(key: str) -> FieldInfo:
    """The pydantic field behind a dotted scenario key (``"sales.commission_rate"``)."""
    section, _, name = key.partition(".")
    model = Scenario.model_fields[section].annotation
    fields = getattr(model, "model_fields", {})
    if name not in fields:
        raise KeyError(f"unknown lever key {key!r}")
    return fields[name]


LEVERS: tuple[Lever, ...] = (
    Lever(
        "company.initial_cash",
        "Cash at the start",
        "slider",
        unit="$M",
        scale=1e6,
        low=0.5,
        high=10.0,
        step=0.25,
    ),
    Lever(
        "company.hiring",
        "When to hire sales reps",
        "choice",
        choice_labels={
            "plan": "on the hiring plan",
            "on_pressure": "when behind the revenue plan",
            "after_pmf": "only after product-market fit",
        },
    ),
    Lever(
        "sales.commission_timing",
        "Sales commission starts",
        "choice",
        choice_labels={"immediate": "from day one", "after_pmf": "after product-market fit"},
    ),
    Lever(
        "sales.commission_rate",
        "Commission rate",
        "slider",
        unit="% of first-year value",
        scale=0.01,
        low=0,
        high=30,
        step=1,
    ),
    Lever(
        "sales.contingent_acceptance",
        "'Buy if you build X' deals accepted",
        "slider",
        unit="% of requests",
        scale=0.01,
        low=0,
        high=100,
        step=5,
    ),
    Lever(
        "sales.promise_horizon_months",
        "Sales may promise features up to",
        "slider",
        unit="months ahead",
        low=0,
        high=24,
        step=1,
    ),
    Lever(
        "sales.targeting",
        "Which prospects sales chases",
        "choice",
        choice_labels={"any": "anyone who will buy", "focus": "one focus segment"},
    ),
    Lever(
        "sales.focus_segment",
        "Focus segment",
        "choice",
        choice_labels={
            "smb": "small businesses",
            "midmarket": "mid-market",
            "enterprise": "enterprise",
        },
    ),
    Lever(
        "product.custom_capacity_cap",
        "Most engineering time on one-off custom work",
        "slider",
        unit="%",
        scale=0.01,
        low=0,
        high=100,
        step=5,
    ),
    Lever(
        "product.customizable_architecture",
        "Customisable architecture (hooks, workflows)",
        "toggle",
    ),
    Lever(
        "product.bet_limit_usd",
        "Spend cap per custom-feature bet",
        "steps",
        unit="$k",
        scale=1e3,
        steps=(None, 25_000, 50_000, 100_000, 200_000, 400_000, 800_000),
    ),
    Lever("policy.feedback_meetings", "Monthly sales-product feedback meeting", "toggle"),
    # Levers the presets set too (so the two sides can differ only where a control shows it).
    Lever(
        "sales.commission_basis",
        "Commission paid on",
        "choice",
        more=True,
        choice_labels={
            "booking": "the signed deal",
            "cash": "cash collected",
            "clawback": "the deal, clawed back on early churn",
        },
    ),
    Lever(
        "policy.custom_decider",
        "Who decides on custom work",
        "choice",
        more=True,
        choice_labels={"sales": "sales commits to it", "product": "product judges each as a bet"},
    ),
    Lever(
        "policy.pressure_response",
        "How much revenue pressure bends sales",
        "slider",
        unit="%",
        scale=0.01,
        low=0,
        high=100,
        step=10,
        more=True,
    ),
    Lever(
        "company.low_burn_until_pmf", "Keep burn low until product-market fit", "toggle", more=True
    ),
    Lever(
        "product.bet_style",
        "Roadmap built as",
        "choice",
        more=True,
        choice_labels={"few_big": "a few big items", "many_small": "many small experiments"},
    ),
)

WORKSHOP_KEYS: tuple[str, ...] = (
    "company.initial_cash",
    "company.hiring",
    "sales.commission_timing",
    "sales.commission_rate",
    "sales.contingent_acceptance",
    "sales.promise_horizon_months",
    "sales.targeting",
    "product.custom_capacity_cap",
    "product.customizable_architecture",
    "product.bet_limit_usd",
    "policy.feedback_meetings",
)
"""The workshop lever table (docs/ARCHITECTURE.md): these keys must exist and each must have a
control."""

BY_KEY: dict[str, Lever] = {lever.key: lever for lever in LEVERS}
BY_NAME: dict[str, Lever] = {lever.name: lever for lever in LEVERS}


CUSTOM_WORK_LEVERS: tuple[str, ...] = (
    "sales.contingent_acceptance",
    "product.custom_capacity_cap",
    "product.bet_limit_usd",
)
"""The workshop levers that act only through one-off custom work (the requests sales accepts,
the share of engineering they may take, the spend cap per bet)."""

IDLE_CUSTOM_SHARE = 0.03
"""A company whose runs spent less than this share of engineering on one-off custom work, on
average, gives its custom-work levers (``CUSTOM_WORK_LEVERS``) almost nothing to act on: the
Compare page's status line says so for such a side, and docs/lever_ranges.md marks a flat half
there (the product-led company: custom share 0.003-0.018; sales-led runs 0.3-0.9, the default
company about 0.2)."""


@dataclass(frozen=True)
class Governed:
    """A setting of another lever under which ``key`` acts only through it: a front end says so
    beside the control, so a room that moves it and sees little knows why (docs/lever_ranges.md
    measures how little)."""

    key: str
    applies: Callable[[Scenario], bool]
    text: str


GOVERNED: tuple[Governed, ...] = (
    Governed(
        "sales.contingent_acceptance",
        lambda s: s.policy.custom_decider == "product",
        "Product judges each custom request as a bet here (Who decides on custom work, under "
        "More levers): sales' yes only brings a request to product.",
    ),
    Governed(
        "sales.contingent_acceptance",
        lambda s: s.policy.custom_decider == "sales" and s.product.custom_capacity_cap < 1.0,
        "Custom work may take only part of engineering here (Most engineering time on one-off "
        "custom work): once the yeses fill that share, more of them only lengthen the queue.",
    ),
    Governed(
        "product.custom_capacity_cap",
        lambda s: s.policy.custom_decider == "product",
        "Only requests product accepted as bets reach the custom queue here: the cap limits "
        "the time they take.",
    ),
    Governed(
        "sales.commission_rate",
        lambda s: s.sales.commission_timing == "after_pmf",
        "Commission is paid only after product-market fit here: before it, reps sell in "
        "learning mode whatever the rate, and at 0% they never leave it.",
    ),
)
"""Every lever-on-lever dependency a front end shows (the first rule that applies to a key wins).
The product-led preset sets the product-decider and commission ones: its acceptance, cap and
commission-rate sliders move its revenue by a few percent (docs/lever_ranges.md). The cap rule
is the default company's: with the cap at 50% its custom share stops near 0.44 from about 40%
acceptance, and survival above it is flat within noise (0.47-0.63 on seeds 1024-1055) where
with a cap of 100% it falls 0.25 / 0.09 / 0.03 at 50 / 75 / 100% (docs/MODEL.md §10)."""


def governed_note(scenario: Scenario, key: str) -> str | None:
    """Why ``key`` acts only through another lever in ``scenario``, or None."""
    for rule in GOVERNED:
        if rule.key == key and rule.applies(scenario):
            return rule.text
    return None


def get(scenario: Scenario, key: str) -> Any:
    """The scenario's value at a dotted key."""
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def values(scenario: Scenario, levers: Iterable[Lever] = LEVERS) -> dict[str, Any]:
    """The scenario's value of every lever, by dotted key (scenario units)."""
    return {lever.key: get(scenario, lever.key) for lever in levers}


def apply(scenario: Scenario, settings: Mapping[str, Any]) -> Scenario:
    """A new scenario with the given lever values (dotted keys, scenario units), validated.

    Only the keys whose value differs are overridden, so an unchanged scenario stays equal.
    """
    diff = changed(scenario, settings)
    return scenario.with_overrides(diff) if diff else scenario


def changed(scenario: Scenario, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The settings whose value differs from the scenario's (dotted keys, scenario units)."""
    return {k: v for k, v in settings.items() if not _same(get(scenario, k), v)}


def same(a: Any, b: Any) -> bool:
    """Two lever values are the same (floats within rounding)."""
    return _same(a, b)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b
