"""Scenario files: loading, presets, overrides, and one-line errors for every kind of bad input.

Also a property test: random YAML-ish documents made of real and misspelt keys and random values
either load or fail with a ScenarioError of one line - never any other exception - and the same
documents through the command line give exit 0 or 2, never a traceback.
"""

from __future__ import annotations

import math
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli.entry import EXIT_BAD_INPUT, EXIT_OK, main
from sim.config import (
    PRESETS,
    SEGMENT_NAMES,
    CompanyParams,
    MarketParams,
    PolicyParams,
    ProductParams,
    SalesParams,
    Scenario,
    ScenarioError,
    SegmentParams,
    from_dict,
    json_schema,
    load_scenario,
    loads,
    parse_set,
    preset,
)

REPO = Path(__file__).resolve().parent.parent
SCENARIO_DIR = REPO / "scenarios"
FUZZ_EXAMPLES = 100
FUZZ_TEXT_EXAMPLES = 60
FUZZ_CLI_EXAMPLES = 30

# The workshop levers (docs/ARCHITECTURE.md, `WORKSHOP_KEYS`), with a valid value for each.
DESIGN_LEVERS: dict[str, Any] = {
    "company.initial_cash": 2_000_000,
    "company.hiring": "after_pmf",
    "sales.commission_timing": "after_pmf",
    "sales.commission_rate": 0.05,
    "sales.contingent_acceptance": 0.5,
    "sales.promise_horizon_months": 6,
    "sales.targeting": "focus",
    "sales.focus_segment": "enterprise",
    "product.custom_capacity_cap": 0.3,
    "product.customizable_architecture": True,
    "product.bet_limit_usd": 50_000,
    "policy.feedback_meetings": True,
}


def error_of(text: str, source: str = "test.yaml") -> str:
    """The message of the ScenarioError that loading ``text`` raises (fails if none)."""
    with pytest.raises(ScenarioError) as info:
        loads(text, source=source)
    return str(info.value)


def assert_one_line(message: str, source: str = "test.yaml") -> None:
    assert "\n" not in message and message.strip() == message, message
    assert message.startswith(source), message


# ============================================================================================
# Valid files
# ============================================================================================


def _file_name(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.rglob("*.yaml")), ids=_file_name)
def test_library_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name and scenario.description.strip()
    assert scenario.preset in (*PRESETS, None)


def test_library_has_both_presets() -> None:
    presets = {load_scenario(p).preset for p in SCENARIO_DIR.glob("*.yaml")}
    assert {"sales_led", "product_led"} <= presets


def test_empty_document_is_the_default_scenario() -> None:
    assert loads("", source="empty.yaml") == Scenario()
    assert loads("# only a comment\n") == Scenario()


def test_full_file_with_expectations_loads() -> None:
    text = """
name: test
preset: product_led
months: 36
seeds: 8
company: {initial_cash: 2500000}
sales: {commission_rate: 0.08}
market:
  segments:
    smb: {churn_monthly: 0.05}
expect:
  - survival_rate > 0.5
  - {vs: {sales.contingent_acceptance: 0.9}, check: "survival_rate diff > 0.1"}
"""
    scenario = loads(text)
    assert scenario.months == 36 and scenario.seeds == 8
    assert scenario.company.initial_cash == 2_500_000
    assert scenario.market.segments["smb"].churn_monthly == 0.05
    assert len(scenario.expect) == 2


def test_yaml_round_trip() -> None:
    scenario = preset("sales_led").with_overrides({"market.segments.enterprise.honesty": 0.1})
    assert loads(scenario.to_yaml()) == scenario


def test_json_schema_names_the_design_levers() -> None:
    schema = json_schema()
    assert set(schema["properties"]) >= {
        "preset",
        "company",
        "market",
        "sales",
        "product",
        "policy",
        "months",
        "seeds",
        "expect",
    }
    defs = schema["$defs"]
    for key in DESIGN_LEVERS:
        section, field = key.split(".")
        model = {
            "company": CompanyParams,
            "sales": SalesParams,
            "product": ProductParams,
            "policy": PolicyParams,
        }[section]
        assert field in defs[model.__name__]["properties"], key


@pytest.mark.parametrize("key,value", sorted(DESIGN_LEVERS.items()))
def test_design_levers_can_be_overridden(key: str, value: Any) -> None:
    scenario = Scenario().with_overrides({key: value})
    section, field = key.split(".")
    assert getattr(getattr(scenario, section), field) == value


# ============================================================================================
# Presets and overrides
# ============================================================================================


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_applies_its_levers(name: str) -> None:
    scenario = preset(name)
    assert scenario.preset == name
    for section, levers in PRESETS[name].items():
        for field, value in levers.items():
            assert getattr(getattr(scenario, section), field) == value, f"{section}.{field}"


def test_sections_override_the_preset_field_by_field() -> None:
    scenario = loads("preset: sales_led\nsales: {contingent_acceptance: 0.1}\n")
    assert scenario.sales.contingent_acceptance == 0.1
    assert (
        scenario.sales.promise_horizon_months
        == PRESETS["sales_led"]["sales"]["promise_horizon_months"]
    )
    assert scenario.company.hiring == PRESETS["sales_led"]["company"]["hiring"]


def test_no_preset_means_defaults() -> None:
    assert loads("preset: null").sales == SalesParams()


def test_segment_override_keeps_other_fields_and_segments() -> None:
    scenario = loads("market: {segments: {enterprise: {honesty: 0.05}}}")
    default = MarketParams().segments
    assert scenario.market.segments["enterprise"].honesty == 0.05
    assert scenario.market.segments["enterprise"].seats_mean == default["enterprise"].seats_mean
    assert set(scenario.market.segments) == set(SEGMENT_NAMES)


def test_overrides_return_a_new_validated_scenario() -> None:
    base = preset("product_led")
    changed = base.with_overrides({"sales.commission_rate": 0.2, "months": 12})
    assert (changed.sales.commission_rate, changed.months) == (0.2, 12)
    assert base.sales.commission_rate != 0.2 or base.months != 12
    assert base == preset("product_led")


@pytest.mark.parametrize(
    "overrides,fragment",
    [
        ({"sales.commission_rate": 0.9}, "sales.commission_rate"),
        ({"sales.comission_rate": 0.1}, "did you mean 'commission_rate'"),
        ({"sails.commission_rate": 0.1}, "did you mean 'sales'"),
        ({"company.hiring": "whenever"}, "company.hiring"),
        ({"sales.focus_segment": "govt"}, "focus_segment"),
        ({"market.segments.smb.honesty": 2}, "market.segments.smb.honesty"),
        ({"sales.commission_rate.x": 1}, "unknown key"),
    ],
)
def test_bad_overrides_are_one_line_errors(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ScenarioError) as info:
        Scenario().with_overrides(overrides)
    assert fragment in str(info.value)
    assert_one_line(str(info.value), source="--set")


def test_parse_set_reads_yaml_scalars() -> None:
    parsed = parse_set(
        [
            "sales.commission_rate=0.05",
            "product.bet_limit_usd=null",
            "product.customizable_architecture=true",
            "sales.targeting=focus",
            "a.b=",
        ]
    )
    assert parsed == {
        "sales.commission_rate": 0.05,
        "product.bet_limit_usd": None,
        "product.customizable_architecture": True,
        "sales.targeting": "focus",
        "a.b": None,
    }


@pytest.mark.parametrize("item", ["sales.commission_rate", "=0.1", "  =1", "x=[1, 2"])
def test_bad_set_items_are_one_line_errors(item: str) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_set([item])
    assert_one_line(str(info.value), source="--set")


# ============================================================================================
# Each kind of invalid file
# ============================================================================================


@pytest.mark.parametrize(
    "text,fragments",
    [
        (
            "sales: {comission_rate: 0.1}",
            ["sales.comission_rate", "unknown key", "did you mean 'commission_rate'"],
        ),
        ("prest: sales_led", ["prest", "unknown key", "did you mean 'preset'"]),
        (
            "market: {segments: {smb: {honsty: 0.5}}}",
            ["market.segments.smb.honsty", "did you mean 'honesty'"],
        ),
        ("polcy: {feedback_meetings: true}", ["did you mean 'policy'"]),
        ("zzzz: 1", ["zzzz", "unknown key"]),
    ],
)
def test_unknown_key_names_it_with_a_hint(text: str, fragments: list[str]) -> None:
    message = error_of(text)
    assert_one_line(message)
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    "text,key",
    [
        ("sales: {commission_rate: 0.9}", "sales.commission_rate"),
        ("company: {initial_cash: -5}", "company.initial_cash"),
        ("months: 0", "months"),
        ("product: {custom_capacity_cap: 1.5}", "product.custom_capacity_cap"),
        ("market: {segments: {smb: {churn_monthly: .nan}}}", "market.segments.smb.churn_monthly"),
        ("company: {initial_cash: .inf}", "company.initial_cash"),
    ],
)
def test_out_of_bounds_value_names_key_and_value(text: str, key: str) -> None:
    message = error_of(text)
    assert_one_line(message)
    assert f": {key}: " in message and "(got " in message


@pytest.mark.parametrize(
    "text,key",
    [
        ("company: {initial_engineers: many}", "company.initial_engineers"),
        ("months: 1.5", "months"),
        ("sales: {targeting: everywhere}", "sales.targeting"),
        ("policy: {feedback_meetings: [1]}", "policy.feedback_meetings"),
        ("sales: 3", "sales"),
        ("name: [a, b]", "name"),
        ("expect: survival_rate < 1", "expect"),
    ],
)
def test_wrong_type_names_key(text: str, key: str) -> None:
    message = error_of(text)
    assert_one_line(message)
    assert f": {key}: " in message


def test_unknown_preset_suggests_the_closest() -> None:
    message = error_of("preset: sales_lead")
    assert_one_line(message)
    assert "unknown preset 'sales_lead'" in message and "did you mean 'sales_led'" in message


def test_unknown_preset_far_from_any_lists_them() -> None:
    message = error_of("preset: zzz")
    assert all(name in message for name in PRESETS)


@pytest.mark.parametrize("text", ["preset: [sales_led]", "preset: {a: 1}"])
def test_unhashable_preset_is_a_scenario_error(text: str) -> None:
    assert_one_line(error_of(text))


@pytest.mark.parametrize("text", ["sales: [1, 2", "a: b: c", "sales:\n\t- x", "{", "key: 'open"])
def test_bad_yaml_is_one_line_with_line_number(text: str) -> None:
    message = error_of(text)
    assert_one_line(message)
    assert "not valid YAML" in message


@pytest.mark.parametrize("text,kind", [("- a\n- b", "list"), ("42", "int"), ("just words", "str")])
def test_non_mapping_document(text: str, kind: str) -> None:
    message = error_of(text)
    assert_one_line(message)
    assert "expected a mapping" in message and kind in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: file not found"


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert_one_line(str(info.value), source=str(path))


def test_bad_segment_reference() -> None:
    message = error_of("sales: {targeting: focus, focus_segment: govt}")
    assert "govt" in message and "\n" not in message


# ============================================================================================
# Property tests: random documents never raise anything but a one-line ScenarioError
# ============================================================================================


def _fields(model: type) -> list[str]:
    return list(model.model_fields)


SECTION_FIELDS: dict[str, list[str]] = {
    "company": _fields(CompanyParams),
    "market": _fields(MarketParams),
    "sales": _fields(SalesParams),
    "product": _fields(ProductParams),
    "policy": _fields(PolicyParams),
}
TOP_KEYS = _fields(Scenario)
SEGMENT_FIELDS = _fields(SegmentParams)
REAL_KEYS = sorted(
    {*TOP_KEYS, *SEGMENT_NAMES, *SEGMENT_FIELDS, *(f for fs in SECTION_FIELDS.values() for f in fs)}
)
ENUM_WORDS = [
    "sales_led",
    "product_led",
    "plan",
    "on_pressure",
    "after_pmf",
    "immediate",
    "booking",
    "cash",
    "clawback",
    "any",
    "focus",
    "few_big",
    "many_small",
    "sales",
    "product",
    *SEGMENT_NAMES,
]


def _misspell(word: str, index: int, mode: int) -> str:
    """Drop, double or swap one character: a plausible typo."""
    i = index % len(word)
    if mode == 0:
        return word[:i] + word[i + 1 :]
    if mode == 1:
        return word[:i] + word[i] + word[i:]
    j = min(i + 1, len(word) - 1)
    chars = list(word)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _typo(word: str) -> st.SearchStrategy[str]:
    return st.builds(_misspell, st.just(word), st.integers(0, 40), st.integers(0, 2))


# Free-text keys: the API-level fuzz leaves out line breaks and control characters, because
# scenario.py echoes keys verbatim (see test_key_with_line_break_gives_one_line_error); the CLI
# fuzz keeps them, since the command line must print one line whatever the key.
PRINTABLE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12
)
ANY_TEXT = st.text(min_size=1, max_size=12)


def keys_for(
    real: list[str], free: st.SearchStrategy[str] = PRINTABLE_TEXT
) -> st.SearchStrategy[str]:
    """Mostly real keys, some misspelt, some random text."""
    return st.one_of(st.sampled_from(real), st.sampled_from(real).flatmap(_typo), free)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2, 2),
    st.sampled_from(ENUM_WORDS),
    st.text(max_size=20),
)


def _containers(
    keys: st.SearchStrategy[str], inner: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3)


def _values(free: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(SCALARS, partial(_containers, keys_for(REAL_KEYS, free)), max_leaves=5)


def _with_segments(parts: tuple[dict[str, Any], dict[str, Any] | None]) -> dict[str, Any]:
    fields, segments = parts
    return fields if segments is None else {**fields, "segments": segments}


def documents(free: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Random scenario-like documents: real sections and fields, typos, junk keys and values."""
    values = _values(free)
    segment = st.dictionaries(keys_for(SEGMENT_FIELDS, free), values, max_size=4)
    segments = st.dictionaries(keys_for(list(SEGMENT_NAMES), free), segment, max_size=3)

    def section(name: str) -> st.SearchStrategy[dict[str, Any]]:
        fields = st.dictionaries(keys_for(SECTION_FIELDS[name], free), values, max_size=3)
        if name == "market":
            return st.tuples(fields, st.one_of(st.none(), segments)).map(_with_segments)
        return fields

    # Hashable presets only: see test_unhashable_preset_is_a_scenario_error.
    structured = st.fixed_dictionaries(
        {},
        optional={
            "preset": st.one_of(
                st.sampled_from([*PRESETS, "sales-led", "none"]), st.none(), st.integers()
            ),
            "name": SCALARS,
            "description": SCALARS,
            "months": SCALARS,
            "seeds": SCALARS,
            "expect": values,
            "schema_version": SCALARS,
            **{name: section(name) for name in SECTION_FIELDS},
            **{_misspell(name, 2, 0): section(name) for name in SECTION_FIELDS},
        },
    )
    loose = st.dictionaries(keys_for(TOP_KEYS + list(SECTION_FIELDS), free), values, max_size=6)
    return st.one_of(structured, loose)


DOCS = documents(PRINTABLE_TEXT)
CLI_DOCS = documents(ANY_TEXT)


def _load_or_error(text: str) -> Scenario | str:
    try:
        return loads(text, source="fuzz.yaml")
    except ScenarioError as err:
        return str(err)


def _dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCS)
def test_fuzz_documents_load_or_fail_in_one_line(doc: dict[str, Any]) -> None:
    if isinstance(doc.get("preset"), (list, dict)):
        return  # known scenario.py bug, see test_unhashable_preset_is_a_scenario_error
    outcome = _load_or_error(_dump(doc))
    if isinstance(outcome, str):
        assert_one_line(outcome, source="fuzz.yaml")
    else:
        assert isinstance(outcome, Scenario)
        assert math.isfinite(outcome.company.initial_cash)


@settings(max_examples=FUZZ_TEXT_EXAMPLES, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abcs_:{}[]-, \n\t'\"#&*!|>%@`0.9")), max_size=60))
def test_fuzz_raw_text_loads_or_fails_in_one_line(text: str) -> None:
    outcome = _load_or_error(text)
    if isinstance(outcome, str):
        assert_one_line(outcome, source="fuzz.yaml")


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(
    st.lists(
        st.tuples(keys_for([*DESIGN_LEVERS, "months", "sales.commission_rat", "x.y.z"]), SCALARS),
        max_size=3,
    )
)
def test_fuzz_overrides_apply_or_fail_in_one_line(pairs: list[tuple[str, Any]]) -> None:
    try:
        Scenario().with_overrides(dict(pairs))
    except ScenarioError as err:
        assert_one_line(str(err), source="--set")


@settings(
    max_examples=FUZZ_CLI_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(doc=CLI_DOCS)
def test_fuzz_cli_exits_0_or_2_without_traceback(
    doc: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`sim check FILE` validates the file (nothing to run without expect:): 0 or 2, one line."""
    if isinstance(doc.get("preset"), (list, dict)):
        return  # known scenario.py bug, see test_unhashable_preset_is_a_scenario_error
    doc.pop("expect", None)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_text(_dump(doc), encoding="utf-8")
        capsys.readouterr()
        code = main(["check", str(path)])
        err = capsys.readouterr().err
    assert code in (EXIT_OK, EXIT_BAD_INPUT), err
    assert "Traceback" not in err
    if code == EXIT_BAD_INPUT:
        assert err.count("\n") == 1 and str(path) in err, err


def test_from_dict_rejects_non_mappings() -> None:
    for data in ([1], "x", 3, 2.5, True):
        with pytest.raises(ScenarioError):
            from_dict(data, source="x")


@pytest.mark.parametrize("make_error", ["yaml", "set"])
def test_key_with_line_break_gives_one_line_error(make_error: str) -> None:
    with pytest.raises(ScenarioError) as info:
        if make_error == "yaml":
            loads('"bad\\nkey": 1', source="test.yaml")
        else:
            Scenario().with_overrides({"bad\nkey": 1})
    assert "\n" not in str(info.value)


def test_cli_prints_one_line_for_a_key_with_a_line_break(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text('"bad\\nkey": 1\n', encoding="utf-8")
    assert main(["check", str(path)]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err.count("\n") == 1


def test_readme_example_scenario_loads() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    scenario = loads(example, source="README.md")
    assert scenario.preset == "sales_led" and scenario.expect
    from sim.experiment.expectations import parse_expectations

    assert len(parse_expectations(list(scenario.expect), "README.md")) == len(scenario.expect)


def test_numbers_are_numbers_but_bools_and_strings_are_not() -> None:
    """Strict numbers (issue 16): true or '12' is refused; a script's numpy scalar is a number."""
    import numpy as np

    from sim.config import preset

    base = preset("sales_led")
    scenario = base.with_overrides(
        {"company.initial_reps": np.int64(3), "sales.contingent_acceptance": np.float32(0.25)}
    )
    assert scenario.company.initial_reps == 3 and type(scenario.company.initial_reps) is int
    for key, value in (
        ("company.initial_reps", True),
        ("company.initial_reps", np.bool_(True)),
        ("months", "12"),
        ("sales.contingent_acceptance", True),
        ("company.pressure_runway_months", True),
    ):
        with pytest.raises(ScenarioError, match=key.split(".")[-1]):
            base.with_overrides({key: value})
    assert loads("company: {initial_cash: 1e9}").company.initial_cash == 1e9


def test_a_lever_set_without_its_section_is_pointed_to_it() -> None:
    """``--set leapfrog_prob=0.1`` names the dotted key it meant."""
    with pytest.raises(ScenarioError, match=r"did you mean 'market\.leapfrog_prob'"):
        preset("sales_led").with_overrides({"leapfrog_prob": 0.1})
