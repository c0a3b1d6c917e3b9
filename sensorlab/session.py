"""A session: the one place where source, ring buffers, recorder and analysis meet.

Data flow: a :class:`~sensorlab.sources.base.Source` yields blocks; each block goes into
the per-sensor ring buffers (:mod:`sensorlab.buffer`); readers with their own cursors take
it from there: the recorder (its own thread writes the CSV), the analysis
(:class:`~sensorlab.processing.pipeline.SessionAnalyzer`, which turns blocks into
events), and, in the live view, the GUI (a Qt timer on another thread).

Concurrency model: the source and the analysis run as tasks of one asyncio event loop
(in the live view that loop runs in its own thread); the source only writes rings and
sets an ``asyncio.Event``; the analysis waits on it, reads everything new and updates.
The recorder's disk I/O happens in its own thread, fed by a reader of the same rings, so
a slow disk never delays an event. The rings are the only shared state between threads,
and they carry their own lock.

From a script or a notebook::

    session = Session(make_source("replay:recordings/step_up_asymmetric.csv", speed=None))
    async for event in session.events():
        print(event)
    analysis = session.analysis  # the same SessionAnalysis as `sensorlab analyze`
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from sensorlab.buffer import RingSet
from sensorlab.processing.pipeline import DEFAULT_ANALYSIS, AnalysisSettings, SessionAnalyzer
from sensorlab.records import ImuChunk, SessionAnalysis
from sensorlab.sources.base import Source


@dataclass(frozen=True)
class SessionSettings:
    """How a session buffers and watches its sensors.

    Attributes
    ----------
    ring_s : float
        Capacity of each sensor's ring buffer, seconds of samples.
    stale_s : float
        A sensor whose newest sample is this far behind the others is reported stale, s.
    lost_s : float
        ... and lost beyond this, seconds.
    watch_interval_s : float
        The sensors are checked at least this often, in stream time, seconds.
    """

    ring_s: float = 60.0
    stale_s: float = 0.5
    lost_s: float = 3.0
    watch_interval_s: float = 0.1


DEFAULT_SESSION = SessionSettings()


@dataclass(frozen=True)
class SensorStale:
    """Event: a sensor has sent nothing for ``stale_s`` while the others have."""

    placement: str
    t_s: float


@dataclass(frozen=True)
class SensorLost:
    """Event: a sensor has sent nothing for ``lost_s`` while the others have."""

    placement: str
    t_s: float


@dataclass(frozen=True)
class SensorResumed:
    """Event: a stale or lost sensor sends again; ``gap_s`` seconds were missing."""

    placement: str
    t_s: float
    gap_s: float


@dataclass
class _Watch:
    newest_t_s: float = float("-inf")
    state: str = "ok"


@dataclass
class SessionStats:
    """What the session measured about itself.

    Attributes
    ----------
    event_latency_s : list of float
        For each event, the time from the arrival of the newest block it was computed
        from to the event being emitted, seconds.
    blocks, samples : int
        Blocks and samples received.
    overruns : int
        Samples lost because the analysis fell a whole ring behind (should stay 0).
    """

    event_latency_s: list[float] = field(default_factory=list)
    blocks: int = 0
    samples: int = 0
    overruns: int = 0


class Session:
    """Run one session over any source.

    Parameters
    ----------
    source : Source
        Where the samples come from.
    activity : str, optional
        ``step_up`` or ``walk``; defaults to the source's sidecar, else detected.
    record_path : Path, optional
        Record the stream to this contract CSV (and its sidecar) while it runs.
    analysis_settings : AnalysisSettings
        Settings of the analysis pipeline.
    settings : SessionSettings
        Buffering and sensor watch.
    """

    def __init__(
        self,
        source: Source,
        activity: str | None = None,
        record_path: Path | None = None,
        analysis_settings: AnalysisSettings = DEFAULT_ANALYSIS,
        settings: SessionSettings = DEFAULT_SESSION,
    ) -> None:
        self.source = source
        self.settings = settings
        self.record_path = record_path
        rates = {p: (info.rate_hz or 100.0) for p, info in source.meta.sensors.items()}
        self.rings = RingSet(rates, seconds=settings.ring_s)
        self.analyzer = SessionAnalyzer(
            source.meta, activity, analysis_settings, source=source.name
        )
        self.analysis: SessionAnalysis | None = None
        self.stats = SessionStats()
        self._watch = {p: _Watch() for p in rates}
        self._arrived = asyncio.Event()
        self._source_done = False
        self._last_arrival = 0.0
        self._last_wake_t_s = float("-inf")

    async def _produce(self) -> None:
        newest = dict.fromkeys(self._watch, float("-inf"))
        try:
            async for block in self.source.blocks():
                self.rings.write(block)
                self.stats.blocks += 1
                self.stats.samples += len(block)
                if len(block) == 0 or block.placement not in newest:
                    continue
                laggard = min(newest.values())
                newest[block.placement] = float(block.t_s[-1])
                # The analysis advances on the common time base only when the sensor
                # that lags behind sends more; other blocks just wait in the rings. The
                # block that completes a rep is always such a block, so no event waits.
                # A silent sensor must not freeze the session: wake at least every
                # watch interval of stream time too.
                ahead = max(newest.values())
                if (
                    min(newest.values()) > laggard
                    or laggard == float("-inf")
                    or ahead - self._last_wake_t_s >= self.settings.watch_interval_s
                ):
                    self._last_wake_t_s = ahead
                    self._last_arrival = time.perf_counter()
                    self._arrived.set()
        finally:
            self._source_done = True
            self._arrived.set()

    def _watch_sensors(self, chunks: list[ImuChunk]) -> list:
        events: list = []
        for chunk in chunks:
            if len(chunk) == 0 or chunk.placement not in self._watch:
                continue
            watch = self._watch[chunk.placement]
            if watch.state != "ok":
                gap = float(chunk.t_s[0] - watch.newest_t_s)
                events.append(SensorResumed(chunk.placement, float(chunk.t_s[0]), gap))
                watch.state = "ok"
            watch.newest_t_s = float(chunk.t_s[-1])
        newest = max(w.newest_t_s for w in self._watch.values())
        for placement, watch in self._watch.items():
            behind = newest - watch.newest_t_s
            if watch.newest_t_s == float("-inf"):
                continue
            # Stamped when the silence crossed each threshold, not when it was noticed.
            if watch.state == "ok" and behind > self.settings.stale_s:
                watch.state = "stale"
                events.append(SensorStale(placement, watch.newest_t_s + self.settings.stale_s))
            if watch.state == "stale" and behind > self.settings.lost_s:
                watch.state = "lost"
                events.append(SensorLost(placement, watch.newest_t_s + self.settings.lost_s))
        return events

    async def events(self) -> AsyncIterator:
        """Run the session; yields events as they happen, until the source ends.

        Afterwards :attr:`analysis` holds the whole session's analysis. Stopping early
        (``break``) stops the source and the recorder.
        """
        reader = self.rings.reader("analysis")
        recorder = self._start_recorder()
        recorder_reader = self.rings.reader("recorder") if recorder is not None else None
        producer = asyncio.create_task(self._produce())
        try:
            while True:
                await self._arrived.wait()
                self._arrived.clear()
                arrival = self._last_arrival
                chunks = reader.read()
                if recorder is not None:
                    recorder.write(recorder_reader.read())
                watch_events = self._watch_sensors(chunks)
                now = max(w.newest_t_s for w in self._watch.values())
                events = watch_events + self.analyzer.update(chunks, now)
                emitted = time.perf_counter()
                for event in events:
                    self.stats.event_latency_s.append(emitted - arrival)
                    yield event
                if self._source_done and not self._arrived.is_set():
                    break
            self.stats.overruns = reader.lost_
            self.analysis = self.analyzer.finish()
            for event in self.analyzer.final_events:
                yield event
        finally:
            self.source.stop()
            await producer
            if recorder is not None:
                recorder.write(recorder_reader.read())
                recorder.stop()

    def _start_recorder(self):
        if self.record_path is None:
            return None
        from sensorlab.io.recorder import Recorder

        recorder = Recorder(self.record_path, self.source.meta)
        recorder.start()
        return recorder

    async def run(self) -> SessionAnalysis:
        """Run to the end, ignoring events; returns the analysis."""
        async for _ in self.events():
            pass
        assert self.analysis is not None
        return self.analysis
