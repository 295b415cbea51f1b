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
