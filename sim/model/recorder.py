"""Per-month series: collected into preallocated arrays, turned into one DataFrame at the end."""

from __future__ import annotations

import numpy as np
import pandas as pd


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
        return pd.DataFrame(self.arrays(bool_columns))

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
