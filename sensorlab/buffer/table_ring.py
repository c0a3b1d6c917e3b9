"""Newest rows of a small table (the live angles), for a display on another thread.

The analysis (the session loop's thread) appends rows of float columns, e.g. the
kinematics of :class:`~sensorlab.processing.pipeline.SessionAnalyzer`; a GUI timer takes a
copy of the newest rows with :meth:`TableRing.last`. Unlike
:class:`~sensorlab.buffer.ring.SampleRing` there are no reader cursors: a display only
ever wants "the last N seconds", and rows it never saw are no loss (the analysis keeps
them all). One lock guards the storage, as in :mod:`sensorlab.buffer.ring` and for the
same reasons (a write is several numpy calls).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np


class TableRing:
    """Fixed-capacity ring of rows of named float columns; one writer, any readers.

    Parameters
    ----------
    columns : sequence of str
        Column names, in the order of the rows written.
    capacity : int
        Rows held; older ones are overwritten.
    """

    def __init__(self, columns: Sequence[str], capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1 row, got {capacity}")
        self.columns = tuple(columns)
        self._index = {name: i for i, name in enumerate(self.columns)}
        self._data = np.full((capacity, len(self.columns)), np.nan)
        self._written = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        """Rows held at most."""
        return self._data.shape[0]

    @property
    def written_(self) -> int:
        """Rows written since the start."""
        return self._written

    def write(self, rows: np.ndarray) -> None:
        """Append rows, shape (n, len(columns)); only the newest ``capacity`` are kept."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != len(self.columns):
            raise ValueError(
                f"rows must have shape (n, {len(self.columns)}) for columns {self.columns}, "
                f"got {rows.shape}"
            )
        rows = rows[-self.capacity :]
        n = rows.shape[0]
        with self._lock:
            start = self._written % self.capacity
            first = min(n, self.capacity - start)
            self._data[start : start + first] = rows[:first]
            self._data[: n - first] = rows[first:]
            self._written += n

    def last(self, n: int | None = None) -> dict[str, np.ndarray]:
        """Copies of the newest ``n`` rows (all held rows if None), oldest first, by column."""
        with self._lock:
            held = min(self._written, self.capacity)
            n = held if n is None else max(0, min(n, held))
            start = (self._written - n) % self.capacity
            index = (start + np.arange(n)) % self.capacity
            block = self._data[index]
        return {name: block[:, i] for name, i in self._index.items()}
