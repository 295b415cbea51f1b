"""sim.levers: the workshop controls read their help, bounds and choices from the scenario
schema."""

from __future__ import annotations

import typing

import pytest

from sim.config import Scenario, preset
from sim.experiment import levers as lv


def test_every_design_lever_has_a_control():
    assert set(lv.WORKSHOP_KEYS) <= set(lv.BY_KEY)
    assert "sales.focus_segment" in lv.BY_KEY  # targeting 'focus' needs its segment


def test_lever_names_are_unique_url_keys():
    names = [lever.name for lever in lv.LEVERS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("lever", lv.LEVERS, ids=lambda lever: lever.key)
def test_help_text_is_the_schema_description_on_one_line(lever):
    assert lever.help
    assert "\n" not in lever.help and "[" not in lever.help
    assert lever.help.split(" (")[0] in (lever.field.description or "")
    assert lever.label and lever.label[0].isupper() or lever.label[0] == "'"


@pytest.mark.parametrize(
    "lever", [x for x in lv.LEVERS if x.kind == "slider"], ids=lambda lever: lever.key
)
def test_slider_range_lies_within_the_schema_bounds(lever):
    low, high = lever.bounds
    assert low is not None and high is not None
    assert lever.from_display(lever.low) >= low - 1e-9
    assert lever.from_display(lever.high) <= high + 1e-9
    assert lever.unit  # every slider says its unit


@pytest.mark.parametrize(
    "lever", [x for x in lv.LEVERS if x.kind == "choice"], ids=lambda lever: lever.key
)
def test_choices_are_the_schema_literals(lever):
    if lever.key == "sales.focus_segment":
        assert lever.choices(Scenario()) == list(Scenario().market.segments)
    else:
        assert lever.choices() == list(typing.get_args(lever.field.annotation))
    for choice in lever.choices(Scenario()):
        assert lever.choice_label(choice)


@pytest.mark.parametrize("name", ["sales_led", "product_led"])
def test_display_round_trip_leaves_the_scenario_equal(name):
    scenario = preset(name)
    shown = {lever.key: lever.to_display(lv.get(scenario, lever.key)) for lever in lv.LEVERS}
    back = {key: lv.BY_KEY[key].from_display(value) for key, value in shown.items()}
    assert lv.apply(scenario, back) == scenario
    assert lv.changed(scenario, back) == {}


def test_apply_changes_exactly_the_lever():
    scenario = preset("sales_led")
    out = lv.apply(scenario, {"sales.commission_rate": 0.2, "product.bet_limit_usd": 50_000.0})
    assert out.sales.commission_rate == 0.2 and out.product.bet_limit_usd == 50_000.0
    assert out.model_copy(update={"sales": scenario.sales, "product": scenario.product}) == scenario


def test_units_convert_for_display():
    cash, rate, cap = (
        lv.BY_KEY["company.initial_cash"],
        lv.BY_KEY["sales.commission_rate"],
        lv.BY_KEY["product.bet_limit_usd"],
    )
    assert cash.to_display(2_500_000) == 2.5 and cash.from_display(2.5) == 2_500_000
    assert rate.to_display(0.1) == 10 and rate.from_display(10) == 0.1
    assert cap.to_display(None) == lv.NO_CAP and cap.from_display(lv.NO_CAP) is None
    assert cap.to_display(100_000) == "100" and cap.from_display("100") == 100_000


def test_off_ladder_values_stay_reachable():
    cap = lv.BY_KEY["product.bet_limit_usd"]
    assert "75" in cap.step_options(75_000)
    cash = lv.BY_KEY["company.initial_cash"]
    assert cash.slider_range(25_000_000) == (0.5, 25.0)


def test_a_governed_lever_says_which_control_governs_it():
    led = preset("product_led")
    assert lv.governed_note(led, "sales.contingent_acceptance")
    assert lv.governed_note(led, "sales.commission_rate")
    assert lv.governed_note(led, "product.custom_capacity_cap")
    sales = preset("sales_led")
    assert lv.governed_note(sales, "sales.contingent_acceptance") is None
    assert lv.governed_note(sales, "sales.commission_rate") is None
    vetted = sales.with_overrides({"policy.custom_decider": "product"})
    note = lv.governed_note(vetted, "sales.contingent_acceptance")
    assert note and lv.BY_KEY["policy.custom_decider"].label in note
    for rule in lv.GOVERNED:
        assert rule.key in lv.BY_KEY and not lv.BY_KEY[rule.key].more  # shown up front


def test_acceptance_under_a_custom_cap_says_the_cap_governs_it():
    """Sales deciding under a cap below 100% (the default company): past the cap, more yeses
    only lengthen the queue, so the note names the cap's control; at 100% (sales-led) no note."""
    default = Scenario()
    note = lv.governed_note(default, "sales.contingent_acceptance")
    assert note and lv.BY_KEY["product.custom_capacity_cap"].label in note
    uncapped = default.with_overrides({"product.custom_capacity_cap": 1.0})
    assert lv.governed_note(uncapped, "sales.contingent_acceptance") is None
    vetted = default.with_overrides({"policy.custom_decider": "product"})
    assert "judges" in lv.governed_note(vetted, "sales.contingent_acceptance")
