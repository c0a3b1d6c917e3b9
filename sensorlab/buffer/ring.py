"""Preallocated ring buffer of IMU samples: one writer, several readers with own cursors.

:class:`SampleRing` keeps the newest ``capacity`` samples of one sensor in fixed numpy
arrays, one per :class:`~sensorlab.records.ImuChunk` column (``t_s``, ``acc_m_s2``,
``gyr_rad_s``, ``seq``, ``device_t_s``, ``host_t_s``). The producer calls
:meth:`SampleRing.write`; each consumer (recorder, processing, live view) gets its own
:class:`RingReader` from :meth:`SampleRing.reader` and pulls copies of what is new with
:meth:`RingReader.read`. A GUI that only wants the newest samples uses
:meth:`SampleRing.view_last`, which has no cursor.

The writer never waits for the readers (no back-pressure: the Bluetooth loop must not
stall). A reader that falls more than ``capacity`` samples behind loses the oldest
samples; the loss is never silent: its next read counts it (``overruns_``, ``lost_``,
``last_read_lost_``, ``last_overrun_``) and returns the oldest samples still held.

Sample indices
--------------
Every sample gets an absolute index: the number of samples written before it. The total
written so far (``written_``) is the single source of truth; sample ``k`` lives in slot
``k % capacity`` and is still held while ``k >= written_ - capacity``. A reader's cursor is
the absolute index of the next sample it wants, so what it lost is simply
``max(0, written_ - capacity - cursor)``.

Concurrency model
-----------------
One writer thread (the asyncio loop's thread) and any number of reader threads, each
:class:`RingReader` used by one thread. A single :class:`threading.Lock` (held through a
:class:`threading.Condition`) guards the storage, ``written_`` and the readers' cursors.
:meth:`~SampleRing.write` holds it while it copies the chunk into at most two slices of
each column and advances ``written_``; :meth:`~RingReader.read` holds it while it works
out its range and copies at most two slices of each column. Validation and dtype
conversion of the incoming chunk happen before the lock is taken, and building the
returned :class:`~sensorlab.records.ImuChunk` after it is released, so the critical
sections are a handful of ``memcpy``-like numpy operations on samples that are actually
moved.

Why a lock although Python has a GIL: the GIL makes single bytecodes atomic, not a numpy
slice assignment or copy. numpy releases the GIL inside large copies
(``NPY_BEGIN_THREADS_THRESHOLDED`` in ``raw_array_assign_array``), a write touches seven
arrays (six columns and the presence flags) in separate calls between which the
interpreter may switch threads, and on the free-threaded build there is no GIL at all.
Without the lock a reader could copy a row whose ``acc`` is from the new chunk and whose
``t_s`` from the old lap (a torn sample), or copy slots the writer is overwriting at the
wrap (``tests/test_ring.py``'s stress test catches both when the lock is removed). With
the lock, a reader's copy sees each write completely or not at all.

What it costs: an uncontended acquire/release (a fraction of a microsecond) per call, and
readers and the writer exclude each other for the length of a copy (microseconds for
the sizes used here). The worst case is a reader thread that is descheduled by the
interpreter while it holds the lock: the writer then waits up to one GIL switch interval
(5 ms by default). ``benchmarks/bench_ring.py`` measured on a 2-core machine: a write of a
4-sample chunk takes about 6 us (p99 about 15 us) alone, and p99 about 0.15 ms with a
recorder, a processing and a GUI thread reading at the same time; the single worst call
ranged from about 1 to 16 ms across runs (GIL and OS scheduling on a shared machine).
The writer never waits for a reader to *read*, only for a copy in progress to finish.
Consumers that want to sleep until there is data call :meth:`RingReader.wait_for_data`,
which waits on the condition (no busy waiting); :meth:`SampleRing.close` wakes them at
the end of the stream.

Not stored
----------
``ImuChunk.extra`` (magnetometer, quaternions, vendor fields) is not kept by the ring:
chunks read back always have an empty ``extra``. Send those columns to the recorder by
another route if they are needed.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from sensorlab.records import ImuChunk

# Bits of the per-sample presence flags: which optional columns the writer gave.
_HAS_SEQ = 1
_HAS_DEVICE_T = 2
_HAS_HOST_T = 4

SEQ_ABSENT = -1
"""Value stored for ``seq`` in samples written without it."""


def capacity_for(rate_hz: float, seconds: float = 60.0) -> int:
    """Ring capacity that holds ``seconds`` of data at ``rate_hz``.

    Parameters
    ----------
    rate_hz : float
        Sampling rate, Hz.
    seconds : float
        Time to hold, seconds.

    Returns
    -------
    int
        ``ceil(rate_hz * seconds)`` samples, at least 1.

    Raises
    ------
    ValueError
        If either argument is not a positive finite number.
    """
    for name, value in (("rate_hz", rate_hz), ("seconds", seconds)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"capacity_for: {name} must be a positive number, got {value!r}")
    return max(1, math.ceil(rate_hz * seconds - 1e-9))


@dataclass(frozen=True)
class Overrun:
    """One overrun as found by a read: samples overwritten before the reader read them.

    Attributes
    ----------
    placement : str
        Sensor of the ring.
    reader : str
        Name of the reader that lost the samples.
    lost : int
        Number of samples lost, all consecutive.
    first_lost_index : int
        Absolute index (count of samples written before it) of the first lost sample.
    t_before_s : float
        Time of the last sample the reader got before the gap, seconds since session
        start (NaN when it had read nothing yet).
    t_after_s : float
        Time of the first sample returned after the gap, seconds (NaN when that read
        returned no samples, e.g. ``max_samples=0``).
    """

    placement: str
    reader: str
    lost: int
    first_lost_index: int
    t_before_s: float
    t_after_s: float


class SampleRing:
    """Fixed-size ring of one sensor's samples, written by one thread, read by several.

    Parameters
    ----------
    placement : str
        Sensor whose chunks this ring accepts.
    capacity : int
        Samples held, at least 1 (see :func:`capacity_for`).
    condition : threading.Condition, optional
        Condition (and its lock) to guard the ring with. Rings that share one let a
        consumer wait for data on any of them (:class:`~sensorlab.buffer.RingSet` does
        this); by default each ring has its own. Its lock must not be re-entered.

    Attributes
    ----------
    placement : str
        As given.
    capacity : int
        As given.
    written_ : int
        Samples written since creation, including those of oversized chunks that were
        never stored.
    closed_ : bool
        True once :meth:`close` was called.

    Notes
    -----
    ``extra`` columns of the chunks are not stored. Optional columns are stored with
    ``seq = -1`` and NaN times where the writer did not give them, and a per-sample flag
    remembers which were given: a read returns ``None`` for a column none of its samples
    had, the array when all had it, and the array with those fill values where only some
    had it. See the module docstring for the concurrency model.
    """

    def __init__(
        self, placement: str, capacity: int, *, condition: threading.Condition | None = None
    ) -> None:
        if int(capacity) != capacity or capacity < 1:
            raise ValueError(f"SampleRing capacity must be a positive integer, got {capacity!r}")
        self.placement = placement
        self.capacity = int(capacity)
        self._cond = condition if condition is not None else threading.Condition(threading.Lock())
        n = self.capacity
        self._t_s = np.full(n, np.nan)
        self._acc = np.full((n, 3), np.nan)
        self._gyr = np.full((n, 3), np.nan)
        self._seq = np.full(n, SEQ_ABSENT, dtype=np.int64)
        self._device_t = np.full(n, np.nan)
        self._host_t = np.full(n, np.nan)
        self._flags = np.zeros(n, dtype=np.uint8)
        self._empty_chunks: dict[int, ImuChunk] = {}
        self._columns: tuple[np.ndarray, ...] = (
            self._t_s,
            self._acc,
            self._gyr,
            self._seq,
            self._device_t,
            self._host_t,
            self._flags,
        )
        self._written = 0
        self._last_flags = 0
        self._closed = False
        self._readers: dict[str, RingReader] = {}

    # -- state -------------------------------------------------------------------------

    @property
    def written_(self) -> int:
        """Samples written since creation (the source of truth for every cursor)."""
        return self._written

    @property
    def closed_(self) -> bool:
        """True once the writer called :meth:`close`."""
        return self._closed

    @property
    def readers(self) -> dict[str, RingReader]:
        """The registered readers by name (a new dict; the readers themselves are live)."""
        with self._cond:
            return dict(self._readers)

    def latest_t_s(self) -> float:
        """Time of the newest sample, seconds since session start (NaN before any)."""
        with self._cond:
            if self._written == 0:
                return float("nan")
            return float(self._t_s[(self._written - 1) % self.capacity])

    # -- writer ------------------------------------------------------------------------

    def write(self, chunk: ImuChunk) -> None:
        """Append a chunk; called by the one writer thread.

        The samples are copied, so the caller may reuse its arrays. A chunk longer than
        ``capacity`` keeps only its newest ``capacity`` samples; the others count as
        written and are reported as lost by every reader.

        Parameters
        ----------
        chunk : ImuChunk
            Next samples of this ring's sensor (times in s, acc in m/s^2, gyr in rad/s).

        Raises
        ------
        ValueError
            If the chunk is from another sensor or its columns disagree in length/shape.
        RuntimeError
            If the ring was closed.
        """
        if chunk.placement != self.placement:
            raise ValueError(
                f"SampleRing({self.placement!r}) got a chunk of {chunk.placement!r}: "
                "write each sensor to its own ring (RingSet routes by placement)"
            )
        t_s = np.asarray(chunk.t_s, dtype=np.float64)
        n = t_s.shape[0] if t_s.ndim == 1 else -1
        acc = np.asarray(chunk.acc_m_s2, dtype=np.float64)
        gyr = np.asarray(chunk.gyr_rad_s, dtype=np.float64)
        if n < 0 or acc.shape != (n, 3) or gyr.shape != (n, 3):
            raise ValueError(
                f"{self.placement}: chunk columns disagree: t_s {t_s.shape}, "
                f"acc_m_s2 {acc.shape}, gyr_rad_s {gyr.shape} (want (n,), (n, 3), (n, 3))"
            )
        flags = 0
        optional: list[np.ndarray | float | int] = []
        for name, value, dtype, fill, bit in (
            ("seq", chunk.seq, np.int64, SEQ_ABSENT, _HAS_SEQ),
            ("device_t_s", chunk.device_t_s, np.float64, np.nan, _HAS_DEVICE_T),
            ("host_t_s", chunk.host_t_s, np.float64, np.nan, _HAS_HOST_T),
        ):
            if value is None:
                optional.append(fill)
                continue
            array = np.asarray(value, dtype=dtype)
            if array.shape != (n,):
                raise ValueError(
                    f"{self.placement}: chunk column {name} has shape {array.shape}, want ({n},)"
                )
            optional.append(array)
            flags |= bit
        values = (t_s, acc, gyr, *optional, flags)
        kept = min(n, self.capacity)
        if kept < n:
            values = tuple(v[n - kept :] if isinstance(v, np.ndarray) else v for v in values)
        with self._cond:
            if self._closed:
                raise RuntimeError(f"SampleRing({self.placement!r}) is closed; no more writes")
            if n == 0:
                return
            self._store(self._written + (n - kept), kept, values)
            self._written += n
            self._last_flags = flags
            self._cond.notify_all()

    def _store(self, first_index: int, n: int, values: tuple) -> None:
        """Copy ``n`` samples into the slots of absolute indices ``first_index ...``.

        The caller holds the lock and guarantees ``n <= capacity``. Scalars fill.
        """
        i = first_index % self.capacity
        j = i + n
        if j <= self.capacity:
            for column, value in zip(self._columns, values, strict=True):
                column[i:j] = value
            return
        split = self.capacity - i
        for column, value in zip(self._columns, values, strict=True):
            if isinstance(value, np.ndarray):
                column[i:] = value[:split]
                column[: n - split] = value[split:]
            else:
                column[i:] = value
                column[: n - split] = value

    def close(self) -> None:
        """Mark the end of the stream and wake every waiting reader.

        Samples already written stay readable; further writes raise.
        """
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- readers -----------------------------------------------------------------------

    def reader(self, name: str, from_oldest: bool = False) -> RingReader:
        """Register a consumer with its own cursor.

        Parameters
        ----------
        name : str
            Unique name, used in overrun reports (``"recorder"``, ``"live"``).
        from_oldest : bool
            Start at the oldest sample still held instead of at the next one written.

        Returns
        -------
        RingReader
            The reader; use it from one thread.

        Raises
        ------
        ValueError
            If a reader of that name exists.
        """
        with self._cond:
            if name in self._readers:
                raise ValueError(f"SampleRing({self.placement!r}) already has a reader {name!r}")
            start = self._oldest() if from_oldest else self._written
            reader = RingReader(self, name, start)
            self._readers[name] = reader
            return reader

    def remove_reader(self, name: str) -> None:
        """Forget a reader (it keeps working, but is no longer listed in :attr:`readers`)."""
        with self._cond:
            del self._readers[name]

    def view_last(self, n: int) -> ImuChunk:
        """Copy of the newest ``n`` samples (fewer when fewer are held), without a cursor.

        Parameters
        ----------
        n : int
            Samples wanted, >= 0.

        Returns
        -------
        ImuChunk
            The samples, oldest first; empty before any write.
        """
        if n < 0:
            raise ValueError(f"view_last: n must be >= 0, got {n}")
        with self._cond:
            written = self._written
            count = min(int(n), written, self.capacity)
            copied = self._copy(written - count, count) if count else None
            last_flags = self._last_flags
        return self._chunk(copied, last_flags)

    def _oldest(self) -> int:
        """Absolute index of the oldest sample held (caller holds the lock)."""
        return max(0, self._written - self.capacity)

    def _copy(self, first_index: int, n: int) -> tuple[np.ndarray, ...]:
        """Copies of the columns for ``n`` held samples from ``first_index`` (lock held)."""
        i = first_index % self.capacity
        j = i + n
        if j <= self.capacity:
            return tuple(column[i:j].copy() for column in self._columns)
        k = j - self.capacity
        return tuple(np.concatenate((column[i:], column[:k])) for column in self._columns)

    def _chunk(self, copied: tuple[np.ndarray, ...] | None, last_flags: int) -> ImuChunk:
        """Build an ImuChunk from copied columns (outside the lock)."""
        if copied is None:
            # Readers of a set poll every sensor at each wake, so most reads are empty:
            # one chunk per flag combination serves them all (empty arrays stay empty).
            empty = self._empty_chunks.get(last_flags)
            if empty is None:
                empty = self._empty_chunks[last_flags] = ImuChunk(
                    self.placement,
                    np.empty(0),
                    np.empty((0, 3)),
                    np.empty((0, 3)),
                    seq=np.empty(0, dtype=np.int64) if last_flags & _HAS_SEQ else None,
                    device_t_s=np.empty(0) if last_flags & _HAS_DEVICE_T else None,
                    host_t_s=np.empty(0) if last_flags & _HAS_HOST_T else None,
                )
            return empty
        t_s, acc, gyr, seq, device_t, host_t, flags = copied
        any_flags = int(np.bitwise_or.reduce(flags))
        return ImuChunk(
            self.placement,
            t_s,
            acc,
            gyr,
            seq=seq if any_flags & _HAS_SEQ else None,
            device_t_s=device_t if any_flags & _HAS_DEVICE_T else None,
            host_t_s=host_t if any_flags & _HAS_HOST_T else None,
        )


class RingReader:
    """One consumer's cursor into a :class:`SampleRing` (get it from :meth:`SampleRing.reader`).

    Attributes
    ----------
    name : str
        As registered.
    ring : SampleRing
        The ring read.
    cursor_ : int
        Absolute index of the next sample this reader will get.
    read_ : int
        Samples returned so far.
    overruns_ : int
        Reads that found samples overwritten before this reader got them.
    lost_ : int
        Samples overwritten before this reader got them, in total.
    last_read_lost_ : int
        Samples lost just before the samples returned by the latest read (0 when that
        read found no loss): the flag a consumer checks after each read.
    last_overrun_ : Overrun or None
        The latest overrun, kept until the next one.
    """

    def __init__(self, ring: SampleRing, name: str, cursor: int) -> None:
        self.ring = ring
        self.name = name
        self.cursor_ = cursor
        self.read_ = 0
        self.overruns_ = 0
        self.lost_ = 0
        self.last_read_lost_ = 0
        self.last_overrun_: Overrun | None = None
        self._last_t_s = float("nan")

    def available(self) -> int:
        """Samples a read would return now (lost ones excluded)."""
        written = self.ring._written
        return min(written - self.cursor_, self.ring.capacity)

    def pending_lost(self) -> int:
        """Samples already overwritten that the next read will report as lost."""
        return max(0, self.ring._written - self.ring.capacity - self.cursor_)

    def read(self, max_samples: int | None = None) -> ImuChunk:
        """Copy of the samples written since the last read, oldest first; advance.

        When the writer has overwritten samples this reader had not read, the read counts
        them (``overruns_``, ``lost_``, ``last_read_lost_``, ``last_overrun_``) and
        starts at the oldest sample still held.

        Parameters
        ----------
        max_samples : int, optional
            Return at most this many (the oldest ones); the rest stay for the next read.

        Returns
        -------
        ImuChunk
            The samples (empty when there are none); ``extra`` is always empty.
        """
        if max_samples is not None and max_samples < 0:
            raise ValueError(f"read: max_samples must be >= 0, got {max_samples}")
        ring = self.ring
        with ring._cond:
            oldest = ring._oldest()
            lost = max(0, oldest - self.cursor_)
            first_lost = self.cursor_
            start = self.cursor_ + lost
            n = ring._written - start
            if max_samples is not None:
                n = min(n, int(max_samples))
            copied = ring._copy(start, n) if n else None
            self.cursor_ = start + n
            last_flags = ring._last_flags
        chunk = ring._chunk(copied, last_flags)
        self.read_ += n
        self.last_read_lost_ = lost
        if lost:
            self.overruns_ += 1
            self.lost_ += lost
            self.last_overrun_ = Overrun(
                placement=ring.placement,
                reader=self.name,
                lost=lost,
                first_lost_index=first_lost,
                t_before_s=self._last_t_s,
                t_after_s=float(chunk.t_s[0]) if n else float("nan"),
            )
        if n:
            self._last_t_s = float(chunk.t_s[-1])
        return chunk

    def wait_for_data(self, timeout: float | None = None) -> bool:
        """Block until there is something to read, the ring is closed, or time runs out.

        Parameters
        ----------
        timeout : float, optional
            Longest wait, seconds; ``None`` waits indefinitely (until data or close).

        Returns
        -------
        bool
            True when samples are available.
        """
        ring = self.ring
        with ring._cond:
            ring._cond.wait_for(lambda: ring._written > self.cursor_ or ring._closed, timeout)
            return ring._written > self.cursor_
