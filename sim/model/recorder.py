"""Per-month series: collected into preallocated arrays, turned into one DataFrame at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd

try:  # pandas 3 (and 2.3): a frame from its blocks, without per-column checks
    from pandas.api.internals import create_dataframe_from_blocks
except ImportError:  # pragma: no cover - older pandas: ``pd.DataFrame`` of the columns
    create_dataframe_from_blocks = None

BLOCK_KINDS = frozenset("biuf")
"""Numpy dtype kinds ``frame_of`` stacks into blocks itself (bool, integers, floats); a frame with
a column of another kind is left to ``pd.DataFrame``."""


def frame_of(columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """``pd.DataFrame(columns)`` (the same frame: copied columns, one block per dtype, a range
    index) made from its blocks: ~0.1 ms against ~0.3 ms for the series' 62 columns, where
    ``pd.DataFrame`` checks and converts column by column before it stacks them."""
    values = list(columns.values())
    if create_dataframe_from_blocks is None or not values:
        return pd.DataFrame(columns)
    rows = values[0].shape[0]
    positions: dict[np.dtype, list[int]] = {}  # each dtype's columns, in their order
    for position, column in enumerate(values):
        if column.ndim != 1 or column.shape[0] != rows or column.dtype.kind not in BLOCK_KINDS:
            return pd.DataFrame(columns)
        positions.setdefault(column.dtype, []).append(position)
    blocks = [
        (np.stack([values[p] for p in where]), np.array(where, dtype=np.intp))
        for where in positions.values()
    ]
    return create_dataframe_from_blocks(
        blocks, index=pd.RangeIndex(rows), columns=pd.Index(list(columns))
    )


class Recorder:
    """Named columns of one value per month; no DataFrame is built inside the step."""

    def __init__(self, months: int) -> None:
        self.months = months
        self.columns: dict[str, np.ndarray] = {}
        self.rows = 0
        self._names: tuple[str, ...] = ()  # the last row's names, in order, and their columns
        self._in_order: list[np.ndarray] = []
        # ``record_row``'s names and their columns as the rows of one block (one write a month)
        self._block_names: tuple[str, ...] | None = None
        self._block = np.zeros((0, months))

    def record(self, values: dict[str, float | int | bool]) -> None:
        row = self.rows
        names = tuple(values)
        if names == self._names:  # the usual month: the same names as the month before
            for column, value in zip(self._in_order, values.values(), strict=True):
                column[row] = value
        else:
            for name, value in values.items():
                column = self.columns.get(name)
                if column is None:
                    column = self.columns[name] = np.full(self.months, np.nan)
                column[row] = value
            self._names, self._in_order = names, [self.columns[name] for name in names]
        self.rows += 1

    def record_row(self, names: tuple[str, ...], values: list[float | int | bool]) -> None:
        """One month's values under ``names`` (the same tuple each month: the columns are then
        one block's rows, written in one go); the same record as ``record`` of them by name."""
        if names is not self._block_names and names != self._block_names:
            if self.columns:  # columns of other rows already: name by name
                self.record(dict(zip(names, values, strict=True)))
                return
            self._block = np.full((len(names), self.months), np.nan)
            self.columns = dict(zip(names, self._block, strict=True))
            self._block_names = names
        self._block[:, self.rows] = values
        self.rows += 1

    def frame(self, bool_columns: tuple[str, ...] = ()) -> pd.DataFrame:
        """The series so far: flags as bool, ``month`` as int, every other column as float."""
        return frame_of(self.arrays(bool_columns))

    def arrays(self, bool_columns: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """``frame``'s columns, name -> numpy array, in its order (float columns are views of the
        recorder's own arrays)."""
        flags = set(bool_columns)
        data = {
            name: col[: self.rows].astype(bool)
            if name in flags
            else col[: self.rows].astype(int)
            if name == "month"
            else col[: self.rows]
            for name, col in self.columns.items()
        }
        missing = flags - data.keys()
        if missing:
            raise KeyError(f"no recorded column(s) {sorted(missing)}")
        return data
