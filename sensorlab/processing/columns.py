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

    def append(self, **columns: np.ndarray) -> None:
        """Append rows; every column must be given with the same length."""
        n = len(next(iter(columns.values())))
        if self.size + n > self._data.shape[0]:
            grown = np.full((max(2 * self._data.shape[0], self.size + n), len(self.names)), np.nan)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        for name, values in columns.items():
            self._data[self.size : self.size + n, self._index[name]] = values
        self.size += n

    def __getitem__(self, name: str) -> np.ndarray:
        """The filled part of a column (a view)."""
        return self._data[: self.size, self._index[name]]
