"""One :class:`~sensorlab.buffer.ring.SampleRing` per sensor, behind one writer and one lock.

:class:`RingSet` routes each chunk to the ring of its placement; :meth:`RingSet.reader`
gives a :class:`RingSetReader` that reads every sensor at once (``read() -> list``). The
rings share one condition (and so one lock), so a consumer can sleep until *any* sensor
has data (:meth:`RingSetReader.wait_for_data`); with a single writer thread nothing is lost
by sharing it, since the writes were sequential anyway. The concurrency model is that of
:mod:`sensorlab.buffer.ring`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from sensorlab.buffer.ring import Overrun, RingReader, SampleRing, capacity_for
from sensorlab.records import ImuChunk


class RingSet:
    """Rings for several sensors, each sized to hold the same time span.

    Parameters
    ----------
    rates_hz : mapping of str to float
        Nominal sampling rate of each placement, Hz; the order is the order of
        :meth:`RingSetReader.read`'s list.
    seconds : float
        Time each ring holds at its nominal rate, seconds.

    Attributes
    ----------
    rates_hz : dict of str to float
        As given.
    seconds : float
        As given.
    rings : dict of str to SampleRing
        The ring of each placement.
    """

    def __init__(self, rates_hz: Mapping[str, float], seconds: float = 60.0) -> None:
        if not rates_hz:
            raise ValueError("RingSet needs at least one placement")
        self.rates_hz = dict(rates_hz)
        self.seconds = seconds
        self._cond = threading.Condition(threading.Lock())
        self.rings = {
            placement: SampleRing(placement, capacity_for(rate, seconds), condition=self._cond)
            for placement, rate in self.rates_hz.items()
        }
        self._readers: dict[str, RingSetReader] = {}

    @property
    def placements(self) -> tuple[str, ...]:
        """The placements, in order."""
        return tuple(self.rings)

    @property
    def written_(self) -> dict[str, int]:
        """Samples written per placement."""
        return {p: ring.written_ for p, ring in self.rings.items()}

    @property
    def closed_(self) -> bool:
        """True once :meth:`close` was called."""
        return all(ring.closed_ for ring in self.rings.values())

    def write(self, chunk: ImuChunk) -> None:
        """Append a chunk to the ring of its placement (one writer thread).

        Parameters
        ----------
        chunk : ImuChunk
            Samples of one of the placements.

        Raises
        ------
        KeyError
            If the placement has no ring.
        """
        ring = self.rings.get(chunk.placement)
        if ring is None:
            raise KeyError(
                f"RingSet has no ring for {chunk.placement!r}; placements: {list(self.rings)}"
            )
        ring.write(chunk)

    def close(self) -> None:
        """End of the stream on every ring; wakes waiting readers."""
        for ring in self.rings.values():
            ring.close()

    def reader(self, name: str, from_oldest: bool = False) -> RingSetReader:
        """Register a consumer of every sensor (see :meth:`SampleRing.reader`).

        Parameters
        ----------
        name : str
            Unique name.
        from_oldest : bool
            Start at the oldest samples held instead of the next ones written.

        Returns
        -------
        RingSetReader
            The reader; use it from one thread.
        """
        if name in self._readers:
            raise ValueError(f"RingSet already has a reader {name!r}")
        readers = {p: ring.reader(name, from_oldest) for p, ring in self.rings.items()}
        reader = RingSetReader(name, readers, self._cond)
        self._readers[name] = reader
        return reader

    def remove_reader(self, name: str) -> None:
        """Unregister a consumer (e.g. a recorder that was stopped)."""
        self._readers.pop(name, None)
        for ring in self.rings.values():
            ring.remove_reader(name)


class RingSetReader:
    """One consumer's cursors into every ring of a :class:`RingSet`.

    Attributes
    ----------
    name : str
        As registered.
    readers : dict of str to RingReader
        The per-placement readers (their counters hold the details).

    Notes
    -----
    The counters (``overruns_``, ``lost_``, ``last_read_lost_``) and :meth:`available`
    are totals over the placements, so this reader can stand in for a
    :class:`RingReader`; ``lost_by_placement_`` and ``last_overruns_`` say which sensor.
    """

    def __init__(
        self, name: str, readers: dict[str, RingReader], condition: threading.Condition
    ) -> None:
        self.name = name
        self.readers = readers
        self._cond = condition

    @property
    def overruns_(self) -> int:
        """Overrun events over all placements (as :attr:`RingReader.overruns_`)."""
        return sum(r.overruns_ for r in self.readers.values())

    @property
    def lost_(self) -> int:
        """Samples lost over all placements (as :attr:`RingReader.lost_`)."""
        return sum(r.lost_ for r in self.readers.values())

    @property
    def last_read_lost_(self) -> int:
        """Samples lost just before what the latest read returned, over all placements."""
        return sum(r.last_read_lost_ for r in self.readers.values())

    @property
    def lost_by_placement_(self) -> dict[str, int]:
        """Samples lost per placement."""
        return {p: r.lost_ for p, r in self.readers.items()}

    @property
    def last_overruns_(self) -> list[Overrun]:
        """Overruns found by the latest read, one per placement that lost samples."""
        return [
            r.last_overrun_
            for r in self.readers.values()
            if r.last_read_lost_ and r.last_overrun_ is not None
        ]

    def available(self) -> int:
        """Samples a read would return now, over all placements."""
        return sum(r.available() for r in self.readers.values())

    def available_by_placement(self) -> dict[str, int]:
        """Samples a read would return now, per placement."""
        return {p: r.available() for p, r in self.readers.items()}

    def read(self, max_samples: int | None = None) -> list[ImuChunk]:
        """What is new on every sensor, one chunk per placement in the set's order.

        Each sensor is read as by :meth:`RingReader.read` (one after the other, not as
        one snapshot across sensors).

        Parameters
        ----------
        max_samples : int, optional
            At most this many samples per sensor.

        Returns
        -------
        list of ImuChunk
            One chunk per placement, empty where there was nothing new.
        """
        return [r.read(max_samples) for r in self.readers.values()]

    def wait_for_data(self, timeout: float | None = None) -> bool:
        """Block until some sensor has samples to read, the set is closed, or time runs out.

        Parameters
        ----------
        timeout : float, optional
            Longest wait, seconds; ``None`` waits until data or close.

        Returns
        -------
        bool
            True when some sensor has samples available.
        """

        def has_data() -> bool:
            return any(r.ring.written_ > r.cursor_ for r in self.readers.values())

        def ready() -> bool:
            return has_data() or all(r.ring.closed_ for r in self.readers.values())

        with self._cond:
            self._cond.wait_for(ready, timeout)
            return has_data()
