"""The dashboard, driven through Streamlit's AppTest (no browser): controls, upload, URL, pages.

Runs are small here (2 seeds of 12 months per side) and computed inline
(SIM_DASHBOARD_WORKERS=0); the run engine's worker pool is tested on its own below.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

os.environ.setdefault("SIM_DASHBOARD_WORKERS", "0")
ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"

from dashboard_helpers import goto, sides, spacer_captions, visible_captions
from hostile_corpus import BOMB, BOMB_IN_EXPECT
from streamlit.testing.v1 import AppTest

from dashboard.controls import FOCUS_IDLE, Side, compact_title
from dashboard.views.compare import (
    IDLE_CUSTOM_SHARE,
    card_text,
    idle_custom_note,
    rate_texts,
    shown_cards,
)
from sim.config import ScenarioError, load_scenario, loads
from sim.experiment import levers as lv
from sim.report.charts import Kpi

SMALL = {"seeds": "2", "months": "12"}
SMALL_OVERRIDES = {
    "seeds": 2,
    "months": 12,
}  # the page's horizon and ensemble size land in each side's scenario
TIMEOUT = 180
N_COMPARE_CHARTS = 9


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params = {**SMALL, **params}
    return at.run()


def _sides(at: AppTest) -> dict:
    return sides(at)


def _charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def _assert_page_ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert len(_charts(at)) == N_COMPARE_CHARTS
    assert any('data-status="done"' in m.value for m in at.markdown)


@pytest.fixture(scope="module")
def app() -> AppTest:
    return _app()


def test_landing_page_is_the_comparison(app):
    _assert_page_ok(app)
    sides = _sides(app)
    assert sides["A"].scenario == load_scenario(
        ROOT / "scenarios" / "sales_led.yaml"
    ).with_overrides(SMALL_OVERRIDES)
    assert sides["B"].scenario == load_scenario(
        ROOT / "scenarios" / "product_led.yaml"
    ).with_overrides(SMALL_OVERRIDES)
    grid = [m.value for m in app.markdown if 'class="kpi-grid"' in m.value]
    assert len(grid) == 1
    assert grid[0].count('class="kpi"') == 5 and grid[0].count("A − B") == 5
    for key in ("survival", "loop", "death", "profit", "arr"):
        assert f'data-kpi="{key}"' in grid[0]
    loop = grid[0][grid[0].index('data-kpi="loop"') : grid[0].index('data-kpi="death"')]
    assert "…" not in loop.split("A − B")[0]  # a number: the deaths were rerun with the loop cut
    assert "(95%&nbsp;CI&nbsp;" in grid[0]  # both sides ran the same seeds: paired differences
    assert "-" not in re.sub(r"<[^>]*>", "", grid[0])  # true minus signs only (−)
    assert " of " in grid[0] and " died" in grid[0]  # deaths as counts per side
    labels = [b.proto.label for b in app.get("download_button")]
    assert "Download results (CSV)" in labels
    assert "Download scenario A (YAML)" in labels and "Download scenario B (YAML)" in labels


def test_predict_first_holds_the_results_until_reveal():
    """Predict first: the setup and the question, a tally of the room's guesses, no runs; then
    Reveal draws the comparison with the room's guesses beside it."""
    at = _app(predict_first="true")
    assert not at.exception, [e.value for e in at.exception]
    assert len(_charts(at)) == 0  # nothing shown (or simulated) before the reveal
    page = "".join(m.value for m in at.markdown)
    assert "which side is better off?" in page and "What differs" in page
    assert "when behind the revenue plan" in page  # A's hiring, beside B's
    for _ in range(3):
        at.button(key="tally_plus_B").click().run()
    at.button(key="tally_plus_A").click().run()
    at.button(key="tally_plus_same").click().run()
    at.button(key="tally_minus_same").click().run()
    page = "".join(m.value for m in at.markdown)
    assert 'data-option="B">3<' in page and 'data-option="A">1<' in page
    assert 'data-option="same">0<' in page
    at.button(key="reveal_now").click().run()
    _assert_page_ok(at)
    room = [m.value for m in at.markdown if 'class="room-line"' in m.value]
    assert room and "Side B ends up better off: 3" in room[0] and "Result:" in room[0]


def test_card_rates_and_their_difference_round_alike():
    """Lesson 3 at 48 seeds: 31/48 and 30/48 survive. The cards showed 65%, 62% and +2 points
    (64.6 - 62.5 = 2.1): now the shown difference is the shown A less the shown B, with one
    decimal where whole numbers cannot agree."""
    assert rate_texts(31 / 48, 30 / 48) == ("65%", "63%", "+2 points")
    assert rate_texts(0.16, 0.94) == ("16%", "94%", "−78 points")
    assert rate_texts(0.5, 0.5) == ("50%", "50%", "±0 points")
    assert rate_texts(0.125, 0.0625) == ("12.5%", "6.3%", "+6.2 points")  # 13 - 6 = 7 != 6
    for x in (0.0, 1 / 48, 0.1, 1 / 3, 0.4792, 0.5, 0.625, 0.99, 1.0):
        for y in (0.0, 1 / 32, 0.25, 2 / 3, 0.6458, 1.0):
            a, b, diff = rate_texts(x, y)
            shown = float(a.rstrip("%")) - float(b.rstrip("%"))
            sign = 1 if diff[0] == "+" else (-1 if diff[0] == "−" else 0)
            assert abs(sign * float(diff[1:].split()[0]) - shown) < 1e-9, (x, y, a, b, diff)


def test_cards_use_the_true_minus_and_keep_ranges_whole():
    cards = [
        Kpi("survival", "Survive", "16%", "94%", "−78 points (95% CI -93…-63)", "95% CI 7–32%"),
        Kpi("death", "Died", "27 of 32 died", "28 of 32 died", "-1 companies died"),
        Kpi("profit", "Profit", "-$11.0M", "$8.9M", "mean −$16.6M (95% CI −$19.7M…-$13.5M)"),
    ]
    shown = shown_cards(cards, {"survival_rate": 0.16}, {"survival_rate": 0.94})
    assert shown[0].diff == "−78 points (95% CI −93…−63)"
    assert shown[1].diff == "−1 company died"
    assert shown[2].a == "−$11.0M" and shown[2].diff == "mean −$16.6M (95% CI −$19.7M…−$13.5M)"
    html = card_text(shown[2].diff)
    assert html == 'mean −$16.6M (95%&nbsp;CI&nbsp;<span class="nowrap">−$19.7M…−$13.5M)</span>'
    assert card_text("95% CI 7–32%") == '95%&nbsp;CI&nbsp;<span class="nowrap">7–32%</span>'


def test_a_lesson_side_is_not_lettered_twice():
    lesson_a = loads("name: 'L3 A: promises up to 12 months out'\n", source="t")
    assert Side("A", lesson_a, "L3 A", False).label == "L3 A: promises up to 12 months out"
    assert (
        Side("B", lesson_a, "L3 A", True).label == "B: L3 A: promises up to 12 months out (edited)"
    )
    plain = loads("name: Sales-led\n", source="t")
    assert Side("A", plain, "Sales-led", False).label == "A: Sales-led"


def test_a_comparison_from_the_store_says_so_not_zero_seconds(app):
    """The second visit draws the same comparison from the run store: "(from the store)", not
    "(0.0 s)"."""
    assert _sides(app)["A"].scenario  # the module's app drew this comparison first
    again = _app()
    status = next(m.value for m in again.markdown if "data-status" in m.value)
    assert "(from the store)" in status and " s)." not in status, status


def test_a_side_without_custom_work_is_told_its_custom_levers_have_little_to_act_on():
    """docs/lever_ranges.md: in the product-led company the acceptance, cap and bet-limit sliders
    barely move anything because it does almost no custom work; the status line says so, naming
    the side, and says nothing of a side that does custom work."""
    # sales-led (A) against product-led (B), 8 seeds: 2 can hold the one product-led company
    # in eight that takes a custom deal early (custom share 0.07); 18 months: a comparison no
    # other test draws (they share the run store)
    landing = _app(seeds="8", months="18")
    status = next(m.value for m in landing.markdown if "data-status" in m.value)
    assert "Side B (" in status and "custom-work sliders have little to act on" in status, status
    assert "A (" not in status, status
    assert idle_custom_note({"A": {"mean_custom_share": 0.5}}) == ""
    note = idle_custom_note(
        {"A": {"mean_custom_share": IDLE_CUSTOM_SHARE / 3}, "B": {"mean_custom_share": 0.004}}
    )
    assert note.startswith(" Sides A (1.0% of engineering) and B (0.4% of engineering) did"), note
    assert "their custom-work sliders" in note, note
    assert idle_custom_note({"A": {"mean_custom_share": None}}) == ""


def test_focus_segment_greyed_while_sales_chase_anyone(app):
    """Sales-led (side A) chases anyone who will buy: its focus segment is greyed with a note;
    product-led (side B) chases one segment: its control is live."""
    assert app.selectbox(key="a_focus_segment").disabled
    assert not app.selectbox(key="b_focus_segment").disabled
    assert FOCUS_IDLE in [c.value for c in app.caption]


def test_cards_when_only_one_side_has_deaths():
    """Deaths on one side only: counts per side, the other side 'none died', a difference in
    companies, never a difference of months."""
    at = _app(a_initial_cash="0.5")
    _assert_page_ok(at)
    grid = next(m.value for m in at.markdown if 'class="kpi-grid"' in m.value)
    death = grid[grid.index('data-kpi="death"') : grid.index('data-kpi="profit"')]
    assert "2 of 2 died" in death and "0 of 2 died" in death and "none died" in death
    assert "+2 companies died" in death and "months" not in death.split("A − B")[1]


def test_every_control_is_labelled_with_help_and_bound_to_the_url(app):
    for side in ("a", "b"):
        for lever in lv.LEVERS:
            widget = _widget(app, lever, side)
            assert widget.proto.label == compact_title(lever)
            assert lever.help in widget.proto.help
            assert widget.proto.query_param_key == f"{side}_{lever.name}"


def _widget(at: AppTest, lever: lv.Lever, side: str):
    key = f"{side}_{lever.name}"
    return {
        "slider": at.slider,
        "choice": at.selectbox,
        "toggle": at.toggle,
        "steps": at.select_slider,
    }[lever.kind](key=key)


def _other_value(at: AppTest, lever: lv.Lever, side: str):
    widget = _widget(at, lever, side)
    current = widget.value
    if lever.kind == "slider":
        low, high = widget.proto.min, widget.proto.max
        new = high if current != high else low
        return int(new) if isinstance(current, int) else float(new)
    if lever.kind == "toggle":
        return not current
    scenario = _sides(at)[side.upper()].scenario
    if lever.kind == "choice":
        return next(v for v in lever.choices(scenario) if v != current)
    return next(o for o in lever.step_options(lv.get(scenario, lever.key)) if o != current)


def test_every_control_changes_exactly_its_scenario_key():
    at = _app()
    for side in ("a", "b"):
        for lever in lv.LEVERS:
            if _widget(at, lever, side).disabled:  # focus segment while sales chase anyone
                at.selectbox(key=f"{side}_targeting").set_value("focus").run()
            before = {s: x.scenario for s, x in _sides(at).items()}
            value = _other_value(at, lever, side)
            _widget(at, lever, side).set_value(value).run()
            assert not at.exception, (lever.key, [e.value for e in at.exception])
            after = {s: x.scenario for s, x in _sides(at).items()}
            me, other = side.upper(), "B" if side == "a" else "A"
            changed = lv.changed(before[me], lv.values(after[me]))
            assert set(changed) == {lever.key}, (side, lever.key, changed)
            assert after[other] == before[other], (
                f"moving {side}_{lever.name} changed the other side"
            )
            assert _sides(at)[me].edited
    assert len(_charts(at)) == N_COMPARE_CHARTS


def test_shared_controls_change_both_sides():
    at = _app()
    at.selectbox(key="months").set_value(24).run()
    assert {s.scenario.months for s in _sides(at).values()} == {24}
    at.selectbox(key="seeds").set_value(4).run()
    assert {s.scenario.seeds for s in _sides(at).values()} == {4}
    assert any('data-shown="4"' in m.value for m in at.markdown)
    _assert_page_ok(at)


def test_a_lever_reruns_only_the_results_with_the_sides_its_widgets_describe(monkeypatch):
    """With SIM_DASHBOARD_FRAGMENT_RERUNS=1 a slider's move reruns only the Compare page's results
    fragment (not the sidebar); the fragment rebuilds the sides from the widgets' state exactly
    as the sidebar would."""
    monkeypatch.setenv("SIM_DASHBOARD_FRAGMENT_RERUNS", "1")
    at = _app()
    at.slider(key="a_contingent_acceptance").set_value(35).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.sidebar.selectbox  # AppTest shows only the rerun fragment: no sidebar drawn
    fragment_sides = _sides(at)
    assert fragment_sides["A"].scenario.sales.contingent_acceptance == 0.35
    assert fragment_sides["A"].edited and not fragment_sides["B"].edited
    assert len(_charts(at)) == N_COMPARE_CHARTS
    assert any("A: " in m.value and "(edited)" in m.value for m in at.markdown)
    monkeypatch.setenv("SIM_DASHBOARD_FRAGMENT_RERUNS", "0")
    at.run()  # a whole run: the sidebar draws the same sides
    assert {s: x.key for s, x in _sides(at).items()} == {
        s: x.key for s, x in fragment_sides.items()
    }
    _assert_page_ok(at)


def test_after_a_fragment_rerun_the_sidebar_download_gives_the_settings_shown(monkeypatch):
    """A fragment rerun does not draw the sidebar again: its "Download scenario" button (a file
    made when clicked) must still give the settings the levers show, not the last full run's."""
    from dashboard.controls import DOWNLOAD_SIDES, _scenario_yaml

    monkeypatch.setenv("SIM_DASHBOARD_FRAGMENT_RERUNS", "1")
    at = _app()
    at.slider(key="a_contingent_acceptance").set_value(35).run()
    assert not at.sidebar.selectbox  # the fragment only
    holder = at.session_state[DOWNLOAD_SIDES]
    assert holder["A"].sales.contingent_acceptance == 0.35
    assert holder["A"] == _sides(at)["A"].scenario and holder["B"] == _sides(at)["B"].scenario
    assert "contingent_acceptance: 0.35" in _scenario_yaml(holder, "A")


def test_a_move_that_changes_the_sidebar_itself_reruns_the_whole_app(monkeypatch):
    """With fragment reruns on, a lever whose move changes what the sidebar shows besides the
    lever (here the notes under the levers "Who decides on custom work" governs) reruns the
    whole app, so the sidebar says it; another lever's move then reruns the fragment only."""
    from sim.experiment import levers as lv

    monkeypatch.setenv("SIM_DASHBOARD_FRAGMENT_RERUNS", "1")
    at = _app()
    decider = "product" if _sides(at)["A"].scenario.policy.custom_decider != "product" else "sales"
    at.selectbox(key="a_custom_decider").set_value(decider).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox  # the sidebar was drawn again
    notes = visible_captions(at)
    judged = [rule.text for rule in lv.GOVERNED if "judges" in rule.text]  # the decider's note
    shown = any(text in notes for text in judged)
    assert shown == (decider == "product"), notes
    at.slider(key="a_contingent_acceptance").set_value(35).run()
    assert not at.sidebar.selectbox  # the sidebar would look the same: the fragment only
    assert _sides(at)["A"].scenario.policy.custom_decider == decider
    _assert_page_ok(at)


def test_picking_another_starting_scenario_resets_the_side():
    at = _app()
    at.slider(key="a_contingent_acceptance").set_value(35).run()
    assert _sides(at)["A"].scenario.sales.contingent_acceptance == 0.35
    at.selectbox(key="a_base").set_value("product_led").run()
    expected = load_scenario(ROOT / "scenarios" / "product_led.yaml").with_overrides(
        SMALL_OVERRIDES
    )
    assert _sides(at)["A"].scenario == expected
    assert at.slider(key="a_contingent_acceptance").value == 20
    assert not _sides(at)["A"].edited


def test_the_middle_of_the_road_company_is_offered_right_after_the_presets():
    """A room that wants the model's defaults finds them third in "Start from", and they are
    the defaults: the file sets no lever."""
    from dashboard.controls import DEFAULT_BASES, PLAIN_BASE

    at = _app()
    options = list(at.selectbox(key="a_base").options)
    assert len(options) > 3
    names = [
        load_scenario(ROOT / "scenarios" / f"{stem}.yaml").name
        for stem in (DEFAULT_BASES["A"], DEFAULT_BASES["B"], PLAIN_BASE)
    ]
    assert set(options[:2]) == set(names[:2]) and options[2] == names[2]
    at.selectbox(key="a_base").set_value(PLAIN_BASE).run()
    plain = load_scenario(ROOT / "scenarios" / f"{PLAIN_BASE}.yaml")
    assert lv.values(plain) == lv.values(loads("", source="empty.yaml"))
    assert _sides(at)["A"].scenario == plain.with_overrides(SMALL_OVERRIDES)


BAD_FILES = [
    ("typo.yaml", b"preset: sales_led\nsales:\n  comission_rate: 0.1\n"),
    ("range.yaml", b"sales:\n  contingent_acceptance: 1.5\n"),
    ("broken.yaml", b"sales: [unclosed\n"),
    ("list.yaml", b"- just\n- a list\n"),
]


@pytest.mark.parametrize(("name", "content"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_invalid_upload_shows_the_cli_message_and_the_page_keeps_working(
    name, content, tmp_path, capsys
):
    at = _app()
    before = _sides(at)["A"].scenario
    at.file_uploader(key="a_uploader_0").set_value((name, content, "application/x-yaml")).run()
    errors = [e.value for e in at.error]
    # The same one-line message the CLI prints for this file (it names the path; the upload
    # its name).
    path = tmp_path / name
    path.write_bytes(content)
    from sim.cli import main

    assert main(["run", str(path), "--months", "1"]) == 2
    cli_line = capsys.readouterr().err.strip().splitlines()[-1]
    expected = cli_line.removeprefix("sim: ").replace(str(path), name)
    assert errors == [expected]
    with pytest.raises(ScenarioError, match="^" + name):
        loads(content.decode(), source=name)
    _assert_page_ok(at)
    assert _sides(at)["A"].scenario == before
    # and the page still reacts to the controls
    at.slider(key="a_promise_horizon_months").set_value(2).run()
    assert _sides(at)["A"].scenario.sales.promise_horizon_months == 2
    _assert_page_ok(at)


def test_non_text_upload_is_refused_cleanly():
    at = _app()
    at.file_uploader(key="b_uploader_0").set_value(
        ("blob.yaml", b"\xff\xfe\x00binary", "application/x-yaml")
    ).run()
    assert [e.value for e in at.error] == ["blob.yaml: cannot read (not UTF-8 text)"]
    _assert_page_ok(at)


GOOD = b"""name: Uploaded test
preset: product_led
months: 12
seeds: 2
sales:
  commission_rate: 0.05
  promise_horizon_months: 5
market:
  leapfrog_prob: 0.1
"""


def test_valid_upload_loads_into_the_side_and_travels_in_the_url():
    at = _app()
    at.file_uploader(key="b_uploader_0").set_value(("mine.yaml", GOOD, "application/x-yaml")).run()
    assert not at.error
    side = _sides(at)["B"]
    expected = loads(GOOD.decode(), source="mine.yaml")
    assert side.scenario == expected
    assert side.base_label == "uploaded: Uploaded test"
    assert at.slider(key="b_commission_rate").value == 5
    token = at.query_params.get("b_upload")
    assert token
    # A fresh session with that URL gets the same side B back.
    again = _app(b_upload=token, b_base="uploaded: Uploaded test")
    assert _sides(again)["B"].scenario == expected
    _assert_page_ok(again)


def test_upload_sets_the_shared_horizon_or_says_why_not():
    at = _app(months="24")
    content = GOOD.replace(b"months: 12\nseeds: 2", b"months: 12\nseeds: 3")
    at.file_uploader(key="a_uploader_0").set_value(
        ("odd.yaml", content, "application/x-yaml")
    ).run()
    assert at.selectbox(key="months").value == 12
    assert at.selectbox(key="seeds").value == 2  # 3 is not offered: unchanged, and the page says so
    assert any("odd.yaml asks for seeds: 3" in i.value for i in at.info)
    assert _sides(at)["A"].scenario.months == 12 and _sides(at)["A"].scenario.seeds == 2
    _assert_page_ok(at)


def test_downloaded_yaml_is_the_side_exactly():
    at = _app()
    at.slider(key="b_commission_rate").set_value(7).run()
    side = _sides(at)["B"]
    again = loads(side.scenario.to_yaml(), source="download.yaml")
    assert again == side.scenario
    assert again.sales.commission_rate == 0.07 and again.months == 12 and again.seeds == 2


def test_url_restores_both_sides():
    params = {
        "a_base": "Product-led",
        "a_contingent_acceptance": "55",
        "a_hiring": "on the hiring plan",
        "a_initial_cash": "5.5",
        "a_customizable_architecture": "true",
        "b_base": "Sales-led",
        "b_promise_horizon_months": "7",
        "b_feedback_meetings": "true",
        "b_bet_limit_usd": "$200k",
        "b_targeting": "one focus segment",
        "b_focus_segment": "enterprise",
        "b_pressure_response": "40",
    }
    at = _app(**params)
    _assert_page_ok(at)
    a, b = _sides(at)["A"].scenario, _sides(at)["B"].scenario
    base_a = load_scenario(ROOT / "scenarios" / "product_led.yaml").with_overrides(SMALL_OVERRIDES)
    base_b = load_scenario(ROOT / "scenarios" / "sales_led.yaml").with_overrides(SMALL_OVERRIDES)
    assert lv.changed(base_a, lv.values(a)) == {
        "sales.contingent_acceptance": 0.55,
        "company.hiring": "plan",
        "company.initial_cash": 5_500_000,
        "product.customizable_architecture": True,
    }
    assert lv.changed(base_b, lv.values(b)) == {
        "sales.promise_horizon_months": 7,
        "policy.feedback_meetings": True,
        "product.bet_limit_usd": 200_000,
        "sales.targeting": "focus",
        "sales.focus_segment": "enterprise",
        "policy.pressure_response": 0.4,
    }
    # the scenario is the base plus exactly those levers: nothing else travels or leaks
    assert a == lv.apply(base_a, lv.values(a)) and b == lv.apply(base_b, lv.values(b))


def test_bad_url_values_are_ignored_not_fatal():
    at = _app(
        a_contingent_acceptance="lots",
        b_base="no such file",
        a_upload="%%%",
        a_promise_horizon_months="999",
    )
    _assert_page_ok(at)
    assert _sides(at)["B"].scenario.name == "Product-led"


def test_one_run_page_tells_one_company_story():
    at = _app()
    goto(at, "one-run")
    at.query_params.update({"run_side": "B", "run_seed": "1"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    heads = [m.value for m in at.markdown if "company #1" in m.value]
    assert heads and "B: Product-led" in heads[0]
    assert len(_charts(at)) == 8
    assert any("What happened" in h.value for h in at.subheader)
    at.number_input(key="run_seed").set_value(0).run()
    assert any("company #0" in m.value for m in at.markdown)


def test_one_run_promise_card_accounts_for_every_promise_made():
    """Sales-led company #0 made 7 promises; the card said "0 kept, 1 broken" while six
    customers holding one churned first (a churned customer's promise is dropped, MODEL.md
    §7.14). The card now counts each way a promise ends, and they add up to the promises made."""
    at = _app(months="24")  # it ran out of cash in month 17
    goto(at, "one-run")
    at.query_params.update({"run_side": "A", "run_seed": "0"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    grid = next(m.value for m in at.markdown if "Feature promises" in m.value)
    card = grid.split("Feature promises", 1)[1].split('<div class="kpi">', 1)[0]
    kept, made = map(int, re.search(r"(\d+) kept of (\d+)", card).groups())
    broken, dropped, still = map(
        int,
        re.search(
            r"(\d+) broken, (\d+) dropped when the customer left, (\d+) still open", card
        ).groups(),
    )
    assert (made, kept, broken, dropped, still) == (7, 0, 1, 6, 0), card
    assert kept + broken + dropped + still == made


def test_one_run_debrief_ranks_causes_across_its_side_and_sits_under_the_cards():
    """A company that died: its causes ranked by how much they separate its side's deaths from
    its survivors (or, when every company died, by their share of the deaths), with the table
    of causes across the side."""
    at = _app(a_initial_cash="1", seeds="4")
    goto(at, "one-run")
    at.query_params.update({"run_side": "A", "run_seed": "0"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    why = [m.value for m in at.markdown if 'class="why"' in m.value]
    assert why, "no debrief"
    assert "Why it died, in short" in why[0] and "of this side's deaths" in why[0]
    assert "->" not in why[0]  # plain arrows only
    assert any("Causes of death across this side's 4 companies" in e.label for e in at.expander)
    table = next(df.value for df in at.dataframe if "in the deaths" in df.value.columns)
    assert list(table.columns) == [
        "cause",
        "in the deaths",
        "in the survivors",
        "tells them apart by (points)",
    ]


# --------------------------------------------------------------------------------------------
# The run engine on its own
# --------------------------------------------------------------------------------------------


def test_stages_refine_towards_all_seeds():
    from dashboard.engine import stages_for

    assert stages_for(32) == [4, 32]  # 12 is more than a third of 32: not drawn
    assert stages_for(48) == [4, 12, 48]
    assert stages_for(8) == [4, 8]
    assert stages_for(32, (4, 8, 12)) == [4, 8, 32]
    assert stages_for(4) == [4]
    assert stages_for(2) == [2]


def test_run_store_drops_least_recently_used():
    from dashboard.engine import RunStore

    store = RunStore(capacity=2)
    store.put("k", 0, "r0")
    store.put("k", 1, "r1")
    assert store.get("k", 0) == "r0"  # touch 0: 1 is now the oldest
    store.put("k", 2, "r2")
    assert store.get("k", 1) is None and store.get("k", 0) == "r0"
    assert store.count("k", 3) == 1


def _jobs(months: int = 12):
    from dashboard.controls import scenario_key
    from dashboard.engine import Job
    from sim.config import preset

    out = []
    for side, name in (("A", "sales_led"), ("B", "product_led")):
        scenario = preset(name).with_overrides({"months": months})
        out.append(Job(side, scenario_key(scenario), scenario.model_dump_json()))
    return out


def test_pool_and_inline_give_the_same_runs():
    from dashboard.engine import Engine, Stage

    jobs = _jobs()
    inline, pool = Engine(workers=0), Engine(workers=1)
    try:
        stages_inline = [s.seeds for s in inline.refine(jobs, 5) if isinstance(s, Stage)]
        stages_pool = [s.seeds for s in pool.refine(jobs, 5) if isinstance(s, Stage)]
        assert stages_inline == stages_pool == [4, 5]
        for job in jobs:
            for seed in range(5):
                assert (
                    inline.store.get(job.key, seed).summary == pool.store.get(job.key, seed).summary
                )
        # everything cached: one stage, straight to the end
        assert [s.seeds for s in pool.refine(jobs, 5) if isinstance(s, Stage)] == [5]
    finally:
        pool.shutdown()


def test_closing_a_refinement_cancels_what_has_not_started():
    from dashboard.engine import Engine, Stage

    eng = Engine(workers=1)
    try:
        gen = eng.refine(_jobs(months=10), 12)
        first = next(item for item in gen if isinstance(item, Stage))
        assert first.seeds == 4
        gen.close()  # what Streamlit does when a slider moves mid-refinement
        # 2 x 12 runs were asked for; only those already handed to the worker are left
        left = [f for f in eng.dispatcher.running() if not f.done()]
        # only the runs handed to the workers (one per worker) cannot be taken back
        assert len(left) <= eng.workers, len(left)
        assert eng.dispatcher.pending() <= eng.workers
        assert len(eng.store) + len(left) < 24
        # a new refinement of the same comparison still completes
        assert [s.seeds for s in eng.refine(_jobs(months=10), 6) if isinstance(s, Stage)][-1] == 6
    finally:
        eng.shutdown()


def test_a_prefetch_starts_the_first_stage_and_its_refine_takes_it_over():
    """A lever's callback asks for the first stage's runs before the script draws the sidebar
    (``Engine.prefetch``); the page's refine then shows them at once and refines; a second move
    by the same session takes back the first prefetch's runs that have not started."""
    from dashboard.engine import Engine, Stage

    eng = Engine(workers=1)
    jobs = _jobs(months=10)
    moved = [
        type(j)(j.side, j.key + "-moved", j.scenario_json.replace('"months":10', '"months":11'))
        for j in jobs
    ]
    try:
        eng.prefetch(jobs, 12, (4,), owner="session")
        deadline = time.monotonic() + 120
        while min(eng.store.count(j.key, 12) for j in jobs) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert all(eng.store.count(j.key, 12) == 4 for j in jobs)  # the first stage, no more
        assert eng.dispatcher.pending() == 0
        stages = [
            s.seeds for s in eng.refine(jobs, 12, (4,), owner="session") if isinstance(s, Stage)
        ]
        assert stages == [4, 12]  # what the prefetch made is drawn at once, then refined
        # a move, then another before the first one's runs started: the first's are taken back
        eng.prefetch(moved, 12, (4,), owner="other")
        eng.prefetch(jobs[:1], 24, (4,), owner="other")
        first = next(
            i for i in eng.refine(jobs[:1], 24, (4,), owner="other") if isinstance(i, Stage)
        )
        assert first.seeds == 12  # seeds 0-11 were there already
        started = {key for key, _ in eng.dispatcher.started}
        moved_started = sum(key.endswith("-moved") for key, _ in eng.dispatcher.started)
        assert moved_started <= eng.workers, started  # at most the one already handed over
    finally:
        eng.shutdown()


def test_a_new_comparison_is_served_before_an_older_ones_refinement():
    """Fair across sessions: a table that moves a slider gets its first seeds before the seeds
    another table is still refining (the pool is not first come, first served)."""
    from dashboard.engine import Engine, Stage

    eng = Engine(workers=1)
    older = _jobs(months=10)
    newer = [
        type(j)(j.side, j.key + "-newer", j.scenario_json.replace('"months":10', '"months":11'))
        for j in older
    ]
    assert all('"months":11' in j.scenario_json for j in newer)
    try:
        first = eng.refine(older, 24)
        assert next(i for i in first if isinstance(i, Stage)).seeds == 4
        mark = len(eng.dispatcher.started)
        assert [s.seeds for s in eng.refine(newer, 4) if isinstance(s, Stage)] == [4]
        after = list(eng.dispatcher.started)[mark:]
        newer_keys = {j.key for j in newer}
        last_newer = max(i for i, (key, _) in enumerate(after) if key in newer_keys)
        older_between = [k for k in after[:last_newer] if k[0] not in newer_keys]
        # at most the one run dispatched before the newer comparison asked
        assert len(older_between) <= eng.workers, older_between
        assert sum(key in newer_keys for key, _ in after) == 8
        first.close()
    finally:
        eng.shutdown()


def test_a_refined_stage_waits_for_another_comparisons_first_picture():
    """Fair across sessions on the page side too: a comparison whose next stage is ready holds
    it back (its charts, and the browser drawing them, take the CPU) while another comparison
    still waits for its first picture."""
    from dashboard.engine import Engine, Stage, run_job

    eng = Engine(workers=1, hold_s=600.0)  # no time limit on the hold here
    older = _jobs(months=10)
    newer = [
        type(j)(j.side, j.key + "-newer", j.scenario_json.replace('"months":10', '"months":11'))
        for j in older
    ]
    try:
        first = eng.refine(older, 36)  # stages 4, 12, 36
        assert next(i for i in first if isinstance(i, Stage)).seeds == 4
        for job in older:  # the older comparison's next stage is ready at once
            for seed in range(12):
                if eng.store.get(job.key, seed) is None:
                    eng.store.put(job.key, seed, run_job(job.scenario_json, seed))
        second = eng.refine(newer, 4)
        order = []
        while "older 12" not in order:
            for name, gen in (("newer", second), ("older", first)):
                if name == "newer" and "newer 4" in order:
                    continue
                item = next(gen)
                if isinstance(item, Stage):
                    order.append(f"{name} {item.seeds}")
        assert order == ["newer 4", "older 12"], order
        first.close()
        second.close()
    finally:
        eng.shutdown()


def test_aggregate_is_what_the_ensemble_api_reports():
    from dashboard.engine import Engine, aggregate
    from sim.config import Scenario
    from sim.experiment.ensemble import run_ensemble

    eng = Engine(workers=0)
    jobs = _jobs()
    list(eng.refine(jobs, 3))
    scenario = Scenario.model_validate_json(jobs[0].scenario_json)
    result = aggregate(scenario, eng.store.runs(jobs[0].key, 3))
    direct = run_ensemble(scenario, seeds=3)  # the model run afresh, as `sim compare` does
    # Slider moves skip the loop attribution (a counterfactual rerun per death; the One-run page
    # computes it on demand): those keys are empty on the page, every other number is the same.
    attribution = {k for k in direct.summary if k.startswith("loop_attributable")}
    assert all(result.summary[k] is None for k in attribution)
    assert {k: v for k, v in result.summary.items() if k not in attribution} == {
        k: v for k, v in direct.summary.items() if k not in attribution
    }
    assert result.deaths == direct.death_months
    assert result.bands.equals(direct.bands)
    assert list(result.summaries["seed"]) == [0, 1, 2]
    assert {"alive_share", "cash_usd_p10", "pressure_p90"} <= set(result.bands.columns)


# --------------------------------------------------------------------------------------------
# Hostile uploads and links (issue 16): one line on the side, never a traceback, and the page
# keeps answering the controls
# --------------------------------------------------------------------------------------------


HOSTILE = [
    ("bomb.yaml", BOMB.encode(), "aliases"),
    ("bomb_in_expect.yaml", BOMB_IN_EXPECT.encode(), "aliases"),
    ("recursive.yaml", b"a: &a [*a]\n", "aliases"),
    ("deep.yaml", ("x: " + "[" * 600 + "]" * 600).encode(), "nested deeper"),
    ("complex.yaml", b"? [a, b]\n: 1\n", "plain name"),
    ("tag.yaml", b"months: !!int abc\n", "explicit tags"),
    (
        "vs.yaml",
        b"expect:\n  - {vs: ../../../../etc/passwd, check: survival_rate diff > 0}\n",
        "outside",
    ),
    ("big.yaml", b"# " + b"x" * (300 * 1024) + b"\nname: big\n", "over the limit"),
    ("ansi.yaml", b'name: "\\e[31mred"\n', "control character"),
    ("market.yaml", b"market: {size_scale: 20}\n", "dashboard's limit"),
]


def _slider_still_works(at: AppTest, side: str = "a") -> None:
    at.slider(key=f"{side}_promise_horizon_months").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    assert _sides(at)[side.upper()].scenario.sales.promise_horizon_months == 2
    _assert_page_ok(at)


@pytest.mark.parametrize(("name", "content", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_upload_is_one_line_and_the_page_keeps_working(name, content, fragment):
    at = _app()
    before = _sides(at)["A"].scenario
    at.file_uploader(key="a_uploader_0").set_value((name, content, "application/x-yaml")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and fragment in errors[0] and "\n" not in errors[0], errors
    assert "Traceback" not in errors[0] and "\x1b" not in errors[0]
    assert _sides(at)["A"].scenario == before
    _slider_still_works(at)


@pytest.mark.parametrize(("name", "content", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_link_is_one_line_and_the_page_keeps_working(name, content, fragment):
    from dashboard.controls import encode_upload

    token = encode_upload(content.decode("utf-8"))
    at = _app(a_upload=token, a_base="uploaded")
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    if fragment != "outside":  # a link's expect: block is not read (links carry levers)
        assert len(errors) == 1 and "\n" not in errors[0], errors
        assert fragment in errors[0] or "limit" in errors[0], errors
    _slider_still_works(at)


def test_a_link_that_expands_past_the_limit_is_refused_without_expanding_it():
    import base64
    import zlib

    from dashboard.controls import LinkError, decode_upload

    raw = zlib.compress(b"#" * (30 * 1024 * 1024), 9)  # 30 KB of link, 30 MB expanded
    token = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    with pytest.raises(LinkError, match="expands past the limit"):
        decode_upload(token)
    at = _app(a_upload=token)
    assert not at.exception
    assert any("expands past the limit" in e.value for e in at.error)
    _slider_still_works(at)


def test_damaged_links_are_one_line():
    for token in ("%%%", "AAAA", "eJzLSM3JyQcABiwCFQ"[:-3]):
        at = _app(a_upload=token)
        assert not at.exception, token
        assert all("\n" not in e.value for e in at.error)


def test_a_comparison_stops_at_its_time_budget_and_says_so(monkeypatch):
    monkeypatch.setenv("SIM_DASHBOARD_BUDGET_S", "0")
    at = _app(seeds="16")  # stages of 4 and 12 runs, then 16
    _assert_page_ok(at)
    status = next(m.value for m in at.markdown if "data-status" in m.value)
    assert "Stopped after 0 s" in status and 'data-shown="4"' in status, status
    grid = next(m.value for m in at.markdown if 'class="kpi-grid"' in m.value)
    assert "not measured: the comparison stopped early" in grid  # the loop card says why
    _slider_still_works(at)


def test_the_engine_serves_a_run_the_store_already_has(tmp_path, monkeypatch):
    """What `sim check` or a sweep computed is not computed again by a slider move."""
    from dashboard.engine import Engine, Job, Stage
    from sim.config import preset
    from sim.experiment.executors import CompactRun
    from sim.experiment.runner import run
    from sim.experiment.store import RunStore

    monkeypatch.setenv("SIM_STORE_DIR", str(tmp_path))
    scenario = preset("product_led").with_overrides({"months": 8, "market.size_scale": 0.3})
    store = RunStore(tmp_path)
    stored = run(scenario, seed=0)
    store.put(scenario, CompactRun.from_result(stored, 0))
    calls = []
    from sim.experiment import runner

    real = runner.run
    monkeypatch.setattr(runner, "run", lambda *a, **k: calls.append(k.get("seed")) or real(*a, **k))
    eng = Engine(workers=0)
    job = Job("B", "k", scenario.model_dump_json())
    assert [s.seeds for s in eng.refine([job], 2) if isinstance(s, Stage)][-1] == 2
    assert calls == [1]  # seed 0 came from the store
    served = eng.store.get("k", 0)
    assert served.summary == stored.summary
    assert served.series.equals(stored.series)


def test_dashboard_workers_end_when_the_server_is_killed(tmp_path):
    """kill -9 of the process that owns the engine: its workers do not stay behind."""
    import signal
    import subprocess
    import sys
    import time

    code = (
        "import os, sys, time\n"
        "from dashboard.engine import Engine\n"
        "eng = Engine(workers=2); eng.warm_up()\n"
        "print(' '.join(str(p) for p in eng.pool()._processes), flush=True)\n"
        "time.sleep(120)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 10
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = [p for p in pids if _running(p)]
        assert not alive, f"workers still running: {alive}"
    finally:
        proc.kill()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_governed_lever_says_so_beside_its_control():
    """Side B starts product-led: product judges custom requests and commission waits for PMF,
    so its acceptance and commission sliders carry a caption; side A (sales-led) has none until
    product is made the decider."""
    at = _app()
    notes = visible_captions(at)
    assert sum("Product judges each custom request" in n for n in notes) == 1
    assert sum("Commission is paid only after product-market fit" in n for n in notes) == 1
    at.selectbox(key="a_custom_decider").set_value("product").run()
    notes = visible_captions(at)
    assert sum("Product judges each custom request" in n for n in notes) == 2


def test_a_note_on_one_side_keeps_both_sides_controls_on_the_same_rows():
    """Side B's notes (product-led) have invisible copies on side A (sales-led), so A's and B's
    "'Buy if you build X'" sliders sit on the same row; when both sides carry a note, no copy."""
    at = _app()
    spacers = spacer_captions(at)
    assert any("Product judges each custom request" in n for n in spacers)
    assert any("Commission is paid only after product-market fit" in n for n in spacers)
    assert FOCUS_IDLE in visible_captions(at) and FOCUS_IDLE in spacers  # A's, copied on B
    at.selectbox(key="a_custom_decider").set_value("product").run()
    assert not any("Product judges each custom request" in n for n in spacer_captions(at))


def test_the_loop_card_is_what_the_ensemble_api_attributes(monkeypatch):
    """The Compare page reruns each death with the loop cut in the workers (``runs_for``) and
    attributes it as ``sim compare`` does: the same rate, interval and share of deaths, run by
    run, as ``run_ensemble`` with attribution on the same seeds."""
    from dashboard.controls import Side
    from dashboard.engine import Engine, Job, aggregate
    from dashboard.views import compare
    from sim.config import preset
    from sim.experiment.ensemble import run_ensemble

    scenario = preset("sales_led").with_overrides({"months": 36, "seeds": 6})
    eng = Engine(workers=0)
    side = Side("A", scenario, "sales_led", False)
    list(eng.refine([Job("A", side.key, side.json)], 6))
    result = aggregate(scenario, eng.store.runs(side.key, 6))
    said: list[str] = []
    monkeypatch.setattr(compare, "engine", lambda: eng)
    both = {"A": side, "B": side}
    loop = compare.attribute_loop(both, {"A": result, "B": result}, said.append)
    direct = run_ensemble(scenario, seeds=6)
    runs, rates = loop["A"]
    assert rates == {k: direct.summary[k] for k in rates}
    assert rates["loop_attributable_rate"] > 0  # sales-led deaths the loop explains
    expected = direct.summaries.to_dict("records")
    for mine, theirs in zip(runs, expected, strict=True):
        for key in ("loop_attributable", "counterfactual_survived"):
            assert mine[key] == theirs[key]
    assert said and said[-1].endswith(f"{len(said)} of {len(said)}.")
