"""Growing columns of floats on the common grid (amortised appends, no copies on read)."""

from __future__ import annotations

import numpy as np


class Columns:
    """Named 1-D float columns that grow together, one row per grid point.

    Rows are numbered from 0 as they are appended; :meth:`forget_before` releases old
    ones in a long stream. Forgetting only moves a start index: the held rows are moved
    to the front of the buffer when an append finds it full (doubling it only when they
    fill more than half), so both appends and forgetting cost amortised constant time
    per row, however often a live stream calls them. An append larger than the buffer
    (a batch analysis appends a whole session at once) gets the rows it needs and the
    initial capacity's worth to spare, not twice that: half of a doubled buffer would
    never be used, and filling it costs more than the rows' own copy.

    Stored column by column: a column's rows are contiguous, so the whole-column
    computations downstream (filters, windows, reductions) read them at full speed.

    Parameters
    ----------
    names : sequence of str
        Column names.
    capacity : int
        Initial number of rows allocated.
    """

    def __init__(self, names, capacity: int = 4096) -> None:
        self.names = tuple(names)
        self._data = np.full((len(self.names), capacity), np.nan)
        self._spare = capacity
        self._index = {name: i for i, name in enumerate(self.names)}
        self._start = 0  # where row ``first`` sits in ``_data``
        self.size = 0
        """Rows appended so far (row numbers keep counting after :meth:`forget_before`)."""
        self.first = 0
        """Number of the oldest row still held."""

    def _make_room(self, n: int) -> int:
        """Room for ``n`` more rows; returns where the next row goes in ``_data``."""
        held = self.size - self.first
        end = self._start + held
        if end + n <= self._data.shape[1]:
            return end
        capacity = self._data.shape[1]
        if held + n > capacity // 2:
            capacity = max(2 * capacity, held + n + self._spare)
        compacted = np.full((len(self.names), capacity), np.nan)
        compacted[:, :held] = self._data[:, self._start : end]
        self._data, self._start = compacted, 0
        return held

    def append(self, **columns: np.ndarray) -> None:
        """Append rows; every column must be given with the same length."""
        n = len(next(iter(columns.values())))
        at = self._make_room(n)
        for name, values in columns.items():
            self._data[self._index[name], at : at + n] = values
        self.size += n

    def append_block(self, values: np.ndarray) -> None:
        """Append rows given as one 2-D array, one column per name in order.

        The same as :meth:`append` with each column of ``values``, in one copy (the
        streaming pipeline appends a few rows at a time, so per-column calls dominate).
        """
        n = values.shape[0]
        at = self._make_room(n)
        self._data[:, at : at + n] = values.T
        self.size += n

    def forget_before(self, row: int) -> None:
        """Release the rows before ``row`` (memory stays flat in a long stream)."""
        drop = min(row, self.size) - self.first
        if drop > 0:
            self.first += drop
            self._start += drop

    def _offset(self, lo: int) -> int:
        if lo < self.first:
            raise IndexError(f"row {lo} was forgotten (oldest held: {self.first})")
        return self._start - self.first

    def rows(self, name: str, lo: int, hi: int) -> np.ndarray:
        """Rows ``lo:hi`` of a column, by row number (a view)."""
        offset = self._offset(lo)
        return self._data[self._index[name], lo + offset : hi + offset]

    def block(self, lo: int, hi: int, first: int, stop: int) -> np.ndarray:
        """Rows ``lo:hi`` of the columns ``first:stop`` (by position), as a C-ordered copy.

        What ``np.column_stack`` of those columns' :meth:`rows` gives, in one call.
        """
        return self.view(lo, hi, first, stop).T.copy()

    def view(self, lo: int, hi: int, first: int, stop: int) -> np.ndarray:
        """Rows ``lo:hi`` of the columns ``first:stop`` (by position), one column per row.

        Shape ``(stop - first, hi - lo)``: a view, each column's rows contiguous.
        """
        offset = self._offset(lo)
        return self._data[first:stop, lo + offset : hi + offset]

    def __getitem__(self, name: str) -> np.ndarray:
        """Every held row of a column (a view); row ``first`` comes first."""
        return self._data[self._index[name], self._start : self._start + self.size - self.first]
