"""The recorder: one column per name, NaN where a month did not record that name."""

from __future__ import annotations

import numpy as np

from sim.model.recorder import Recorder


def test_rows_with_the_same_changing_and_missing_names() -> None:
    rec = Recorder(5)
    rec.record({"month": 1, "a": 1.5, "flag": True})
    rec.record({"month": 2, "a": 2.5, "flag": False})  # the same names: the fast path
    rec.record({"month": 3, "flag": True, "a": 3.5})  # the same names in another order
    rec.record({"month": 4, "b": 7})  # a new name, two missing
    rec.record({"month": 5, "b": 8})
    frame = rec.frame(bool_columns=("flag",))
    assert list(frame.columns) == ["month", "a", "flag", "b"]
    assert frame["month"].tolist() == [1, 2, 3, 4, 5]
    assert np.array_equal(frame["a"], [1.5, 2.5, 3.5, np.nan, np.nan], equal_nan=True)
    assert np.array_equal(frame["b"], [np.nan, np.nan, np.nan, 7.0, 8.0], equal_nan=True)
    assert frame["flag"].tolist()[:3] == [True, False, True]


def test_rows_by_position_match_rows_by_name() -> None:
    names = ("month", "a", "flag")
    by_position, by_name = Recorder(4), Recorder(4)
    rows = [[1, 1.5, True], [2, np.nan, False], [3, 2**60 + 1, np.bool_(True)]]
    for values in rows:
        by_position.record_row(names, values)
        by_name.record(dict(zip(names, values, strict=True)))
    by_position.record({"month": 4, "b": 7})  # a name of its own after block rows
    by_name.record({"month": 4, "b": 7})
    assert by_position.frame(("flag",)).equals(by_name.frame(("flag",)))
    late = Recorder(2)
    late.record({"month": 1, "b": 2.0})  # names first: block rows go name by name
    late.record_row(names, rows[0])
    assert list(late.columns) == ["month", "b", "a", "flag"]
    assert late.columns["a"][1] == 1.5


def test_an_observed_row_has_a_value_per_name() -> None:
    from sim.config import preset
    from sim.model import CompanyModel
    from sim.model.observation import observe_named

    model = CompanyModel(preset("product_led"), rng=3)
    model.step()
    row = observe_named(model, model.company.ledger.flows)
    assert list(row) == list(model.recorder.columns)
    assert row["month"] == 1 and row["alive"] is True
