"""Growing columns of floats on the common grid (amortised appends, no copies on read)."""

from __future__ import annotations

import numpy as np


class Columns:
    """Named 1-D float columns that grow together, one row per grid point.

    Parameters
    ----------
    names : sequence of str
        Column names.
    capacity : int
        Initial number of rows allocated; doubles when full.
    """

    def __init__(self, names, capacity: int = 4096) -> None:
        self.names = tuple(names)
        self._data = np.full((capacity, len(self.names)), np.nan)
        self._index = {name: i for i, name in enumerate(self.names)}
        self.size = 0
        """Rows appended so far (row numbers keep counting after :meth:`forget_before`)."""
        self.first = 0
        """Number of the oldest row still held."""

    def append(self, **columns: np.ndarray) -> None:
        """Append rows; every column must be given with the same length."""
        n = len(next(iter(columns.values())))
        held = self.size - self.first
        if held + n > self._data.shape[0]:
            self._grow(held + n)
        for name, values in columns.items():
            self._data[held : held + n, self._index[name]] = values
        self.size += n

    def _grow(self, rows: int) -> None:
        held = self.size - self.first
        grown = np.full((max(2 * self._data.shape[0], rows), len(self.names)), np.nan)
        grown[:held] = self._data[:held]
        self._data = grown

    def forget_before(self, row: int) -> None:
        """Release the rows before ``row`` (memory stays flat in a long stream)."""
        drop = min(row, self.size) - self.first
        if drop <= 0:
            return
        held = self.size - self.first
        self._data[: held - drop] = self._data[drop:held]
        self.first += drop

    def rows(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` of a column, by row number (a view)."""
        if lo < self.first:
            raise IndexError(f"row {lo} was forgotten (oldest held: {self.first})")
        return self._data[lo - self.first : hi - self.first, self._index[name]]

    def append_block(self, values: np.ndarray) -> None:
        """Append rows given as one 2-D array, one column per name in order.

        The same as :meth:`append` with each column of ``values``, in one copy (the
        streaming pipeline appends a few rows at a time, so per-column calls dominate).
        """
        n = values.shape[0]
        held = self.size - self.first
        if held + n > self._data.shape[0]:
            self._grow(held + n)
        self._data[held : held + n] = values
        self.size += n

    def block(self, lo: int, hi: int, first: int, stop: int) -> np.ndarray:
        """Rows ``lo:hi`` of the columns ``first:stop`` (by position), as a C-ordered copy.

        What ``np.column_stack`` of those columns' :meth:`rows` gives, in one call.
        """
        if lo < self.first:
            raise IndexError(f"row {lo} was forgotten (oldest held: {self.first})")
        return self._data[lo - self.first : hi - self.first, first:stop].copy()

    def __getitem__(self, name: str) -> np.ndarray:
        """Every held row of a column (a view); row ``first`` comes first."""
        return self._data[: self.size - self.first, self._index[name]]
