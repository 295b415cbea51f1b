"""`sim compare`'s side-by-side table adds up as printed: in every row, the printed A - B is the
printed A less the printed B (it once read "median PMF month 25, 32, -8" for 25, 32.5 and -7.5:
B rounded half to even down, the difference away from zero; and "8%, 17%, -8 pp")."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from sim.analysis.units import month, shown_pair, signed_months
from sim.cli.entry import EXIT_OK, main
from sim.report.text import COMPARE_ROWS, compare_cells, compare_rows

NUMBER = re.compile(r"^([+-]?)\$?([\d,]+(?:\.\d+)?)(%| pp)?")


def value(text: str) -> Decimal:
    """The leading number of a printed cell: "-$1,462,571" -> -1462571, "8.3% [..]" -> 8.3."""
    match = NUMBER.match(text.strip())
    assert match, text
    sign, digits, _ = match.groups()
    return Decimal(sign + digits.replace(",", ""))


def assert_rows_add_up(rows: list[list[str]]) -> None:
    for label, a, b, diff in rows[1:]:
        if diff == "-":  # a side without a value
            continue
        assert value(a) - value(b) == value(diff), f"{label}: {a} - {b} != {diff}"


def summary(**values: float | None) -> dict[str, float | None]:
    """An ensemble summary with the given numbers and a 95% interval around each rate."""
    out: dict[str, float | None] = dict(values)
    rates = (("survival_rate", "survival"), ("loop_attributable_rate", "loop_attributable"))
    for key, stem in rates:
        if values.get(key) is not None:
            out[f"{stem}_ci_low"] = max(0.0, values[key] - 0.1)
            out[f"{stem}_ci_high"] = min(1.0, values[key] + 0.1)
    return out


# The QA pass's numbers: contingent_deals_a vs _b, 48 seeds.
SIDE_A = summary(
    runs=48,
    pmf_rate=20 / 48,
    survival_rate=8 / 48,
    loop_attributable_rate=4 / 48,
    median_month_of_death=50.0,
    median_pmf_month=25.0,
    median_peak_burn_usd=275404.58,
    median_profit_usd=-11113319.93,
    mean_custom_share=0.7768780902490358,
    mean_profit_margin=-9.30978729924331,
)
SIDE_B = summary(
    runs=48,
    pmf_rate=30 / 48,
    survival_rate=31 / 48,
    loop_attributable_rate=8 / 48,
    median_month_of_death=22.0,
    median_pmf_month=32.5,
    median_peak_burn_usd=270342.14,
    median_profit_usd=-11204573.085,
    mean_custom_share=0.29940906638978454,
    mean_profit_margin=-4.965493457926156,
)


def test_every_row_adds_up_on_the_qa_numbers() -> None:
    rows = compare_rows(SIDE_A, SIDE_B)
    assert_rows_add_up(rows)
    by_label = {row[0]: row[1:] for row in rows}
    assert by_label["median PMF month"] == ["25 (20 reached it)", "32.5 (30 reached it)", "-"]
    assert by_label["median month of death"] == ["50 (40 died)", "22 (17 died)", "-"]
    assert by_label["median peak monthly burn"] == ["$275,405", "$270,342", "+$5,063"]
    # 8% and 17% would not add up to the rounded -8 pp: one decimal then
    assert by_label["died through the pressure loop (95% CI)"][2] == "-8.4 pp"
    assert by_label["died through the pressure loop (95% CI)"][0].startswith("8.3% [")
    # whole percentages where they add up
    assert by_label["survival (95% CI)"][0].startswith("17% [")
    assert by_label["survival (95% CI)"][2] == "-48 pp"


def test_a_side_without_a_value_has_no_difference() -> None:
    rows = {row[0]: row[1:] for row in compare_rows(SIDE_A, {**SIDE_B, "median_pmf_month": None})}
    assert rows["median PMF month"] == ["25 (20 reached it)", "-", "-"]


def test_medians_over_different_runs_are_not_subtracted() -> None:
    """A median month of death is over each side's deaths only (21 sales-led against 6
    product-led on seeds 0-31): each side says how many, and the row has no A - B, which read
    +25.5 as if sales-led companies lived longer."""
    a = summary(runs=32, survival_rate=11 / 32, median_month_of_death=49.0)
    b = summary(runs=32, survival_rate=26 / 32, median_month_of_death=23.5)
    rows = {row[0]: row[1:] for row in compare_rows(a, b)}
    assert rows["median month of death"] == ["49 (21 died)", "23.5 (6 died)", "-"]


@pytest.mark.parametrize(
    ("a", "b"),
    [(25.0, 32.5), (32.5, 25.0), (12.5, 12.5), (0.5, 1.5), (22.0, 50.0), (40.5, 3.5)],
)
def test_months_add_up_and_keep_the_half(a: float, b: float) -> None:
    shown_a, shown_b, diff = compare_cells({"m": a}, {"m": b}, "m", "month")
    assert Decimal(shown_a) - Decimal(shown_b) == Decimal(diff)
    assert Decimal(diff) == Decimal(str(a - b))  # halves are exact: nothing is lost


@pytest.mark.parametrize("a", [i / 48 for i in range(0, 49, 5)] + [0.625, 0.125, 1 / 3])
@pytest.mark.parametrize("b", [i / 48 for i in range(0, 49, 7)] + [0.375, 2 / 3])
def test_rates_and_money_add_up(a: float, b: float) -> None:
    sa = summary(survival_rate=a, mean_custom_share=a, median_final_arr_usd=1e6 * a + 0.5)
    sb = summary(survival_rate=b, mean_custom_share=b, median_final_arr_usd=1e6 * b)
    assert_rows_add_up(compare_rows(sa, sb))


def test_shown_pair_prefers_whole_values_when_they_add_up() -> None:
    assert shown_pair(17.0, 65.0, (0, 1)) == (17.0, 65.0, -48.0, 0)
    assert shown_pair(100 / 12, 200 / 12, (0, 1))[3] == 1
    assert shown_pair(-0.2, 0.1, (0,)) == (0.0, 0.0, 0.0, 0)  # no "-0"


def test_month_formats_keep_a_half_month() -> None:
    assert [month(v) for v in (25.0, 32.5, 32, None)] == ["25", "32.5", "32", "-"]
    assert [signed_months(v) for v in (-7.5, 28.0, 0.0, -0.04, None)] == [
        "-7.5",
        "+28",
        "+0",
        "+0",
        "-",
    ]


def test_every_compare_row_has_a_known_kind() -> None:
    from sim.report.text import COMPARE_KINDS

    assert {kind for _, _, kind in COMPARE_ROWS} <= set(COMPARE_KINDS)


def test_the_printed_compare_table_adds_up(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI end to end, on the QA pair at a small size."""
    argv = [
        "compare",
        "scenarios/lessons/contingent_deals_a.yaml",
        "scenarios/lessons/contingent_deals_b.yaml",
        "--seeds",
        "6",
        "--months",
        "36",
    ]
    assert main(argv) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["A", "B", "A", "-", "B"])
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.strip().startswith("("):
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    assert len(rows) == len(COMPARE_ROWS)
    assert_rows_add_up([["", "A", "B", "A - B"], *rows])


def test_a_difference_in_points_rounds_as_its_two_rates_do() -> None:
    """2 of 16 spirals against none: 13% and 0%, so the paired block reads +13 pp as the side by
    side does (it read +12 pp: format() rounds half to even, percent half away from zero)."""
    from sim.analysis.units import percent, signed_points
    from sim.report.text import paired_rows

    assert (percent(2 / 16), signed_points(2 / 16), signed_points(-2 / 16)) == (
        "13%",
        "+13 pp",
        "-13 pp",
    )
    assert signed_points(0.0) == signed_points(-0.001) == "+0 pp"
    paired = {"spiral_rate": {"mean": 0.125, "low": -0.06, "high": 0.31}}
    assert paired_rows(paired)[1] == ["death spiral signature", "+13 pp", "-6 pp ... +31 pp"]
    rows = compare_rows(summary(spiral_rate=0.125), summary(spiral_rate=0.0))
    assert next(row for row in rows if row[0].startswith("death spiral"))[3] == "+13 pp"
