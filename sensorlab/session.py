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
a slow disk never delays an event. Sinks (:class:`SessionSink`, e.g. the Lab Streaming
Layer outlets of :mod:`sensorlab.sinks.lsl`) get each wake's new samples, angle rows and
events on the loop's thread. The rings are the only shared state between threads,
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
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from sensorlab.buffer import RingSet, RingSetReader, TableRing
from sensorlab.errors import InputError
from sensorlab.processing.events import CalibrationProgress
from sensorlab.processing.pipeline import (
    ACTIVITIES,
    DEFAULT_ANALYSIS,
    KINEMATICS_COLUMNS,
    RECALIBRATE,
    AnalysisSettings,
    SessionAnalyzer,
    analyses_as,
    analyze,
    as_detected,
    drills_to_reanalyse,
)
from sensorlab.records import ImuChunk, Marker, Recording, SensorQuality, SessionAnalysis
from sensorlab.sources.base import Source

if TYPE_CHECKING:
    from sensorlab.io.recorder import Recorder


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
    status_interval_s : float
        :attr:`Session.status` is renewed at most this often (wall clock), seconds.
    """

    ring_s: float = 60.0
    stale_s: float = 0.5
    lost_s: float = 3.0
    watch_interval_s: float = 0.1
    status_interval_s: float = 0.2


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


class SessionSink(Protocol):
    """Something that publishes the session as it runs (called on the session's thread).

    Each call gets only what is new since the previous one. A sink that raises is
    dropped with a warning in the analysis; the session and its recording go on.
    """

    def samples(self, chunks: list[ImuChunk]) -> None:
        """New raw samples, one chunk per sensor block (acc m/s^2, gyro rad/s, t_s s)."""

    def angles(self, rows: np.ndarray) -> None:
        """New rows of the analysis's angles, columns :data:`KINEMATICS_COLUMNS`."""

    def events(self, events: list) -> None:
        """Take new events (:class:`RepFinished`, :class:`StepDetected`, ..., markers)."""

    def close(self) -> None:
        """The session has ended."""


@dataclass
class _Watch:
    newest_t_s: float = float("-inf")
    state: str = "ok"


@dataclass(frozen=True)
class SessionStatus:
    """A snapshot of the session for a display, replaced (never changed) after each update.

    Attributes
    ----------
    t_s : float
        Newest sample time of any sensor, session seconds.
    sensors : dict of str to str
        Per placement: ``waiting`` (nothing yet), ``ok``, ``stale`` or ``lost``.
    quality : dict of str to SensorQuality
        Samples, losses, measured and nominal rate per placement.
    calibration : CalibrationProgress
        Where calibration stands.
    recording : Path or None
        The file being recorded, if any.
    markers : tuple of Marker
        Marked moments so far.
    """

    t_s: float
    sensors: dict[str, str]
    quality: dict[str, SensorQuality]
    calibration: CalibrationProgress
    recording: Path | None
    markers: tuple[Marker, ...]


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
        ``step_up``, ``walk`` or a standing drill; defaults to the source's sidecar, else
        detected.
    record_path : Path, optional
        Record the stream to this contract CSV (and its sidecar) while it runs.
    analysis_settings : AnalysisSettings
        Settings of the analysis pipeline.
    settings : SessionSettings
        Buffering and sensor watch.
    sinks : sequence of SessionSink
        Publishers fed with the samples, angles and events as they come (e.g.
        :class:`sensorlab.sinks.lsl.LslSink`).
    """

    def __init__(
        self,
        source: Source,
        activity: str | None = None,
        record_path: Path | None = None,
        analysis_settings: AnalysisSettings = DEFAULT_ANALYSIS,
        settings: SessionSettings = DEFAULT_SESSION,
        sinks: Sequence[SessionSink] = (),
    ) -> None:
        self.source = source
        self.sinks = list(sinks)
        self.settings = settings
        self.record_path = record_path
        rates = {p: (info.rate_hz or 100.0) for p, info in source.meta.sensors.items()}
        self.rings = RingSet(rates, seconds=settings.ring_s)
        self.analyzer = SessionAnalyzer(
            source.meta, activity, analysis_settings, source=source.name
        )
        self.analysis: SessionAnalysis | None = None
        self.stats = SessionStats()
        self.kinematics = TableRing(
            KINEMATICS_COLUMNS, round(settings.ring_s * self.analyzer.rate_hz)
        )
        """The newest angles (the analysis's kinematics), for a live display."""
        self.markers: list[Marker] = []
        self._watch = {p: _Watch() for p in rates}
        self._arrived = asyncio.Event()
        self._source_done = False
        self._last_arrival = 0.0
        self._last_wake_t_s = float("-inf")
        self._ready_k = -(2**62)
        self._kinematics_published = 0
        self._status_at = float("-inf")
        # The recorder and the ring reader that feeds it, while recording.
        self._recording: tuple[Recorder, RingSetReader] | None = None
        self._recordings = 0
        self._recording_error: InputError | None = None  # raised when the session ends
        self.ending = False
        """The source has ended and the whole session is being analysed: work that ends by
        itself (the analysis of a recording again as each drill can take seconds)."""
        self.status = self._snapshot()
        """The latest :class:`SessionStatus` (safe to read from any thread)."""

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
                # that lags behind sends enough to decide another grid row; other blocks
                # just wait in the rings. The block that completes a rep is always such
                # a block, so no event waits. A silent sensor must not freeze the
                # session: wake at least every watch interval of stream time too.
                ahead = max(newest.values())
                if min(newest.values()) > laggard:
                    ready = self.analyzer.last_ready_k(newest)
                    new_row = ready is None or ready > self._ready_k
                    if new_row and ready is not None:
                        self._ready_k = ready
                else:
                    new_row = False
                if (
                    new_row
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
        if self.record_path is not None:
            self.start_recording(self.record_path)
        producer = asyncio.create_task(self._produce())
        try:
            while True:
                await self._arrived.wait()
                self._arrived.clear()
                arrival = self._last_arrival
                chunks = reader.read()
                if self._recording is not None:
                    recorder, recorder_reader = self._recording
                    recorder.write(recorder_reader.read())
                self._to_sinks("samples", chunks)
                watch_events = self._watch_sensors(chunks)
                now = max(w.newest_t_s for w in self._watch.values())
                events = watch_events + self.analyzer.update(chunks, now)
                self._publish()
                self._to_sinks("events", events)
                emitted = time.perf_counter()
                for event in events:
                    self.stats.event_latency_s.append(emitted - arrival)
                    yield event
                if self._source_done and not self._arrived.is_set():
                    break
            self.stats.overruns = reader.lost_
            self.ending = True
            self.analysis = self._confirmed(self.analyzer.finish())
            self._publish(force=True)
            self._to_sinks("events", list(self.analyzer.final_events))
            for event in self.analyzer.final_events:
                yield event
        finally:
            self.source.stop()
            await producer
            self.stop_recording()
            self._to_sinks("close")
            self.sinks.clear()  # the streams are withdrawn: nothing more goes to them
        if self._recording_error is not None:
            raise self._recording_error

    def _confirmed(self, analysis: SessionAnalysis) -> SessionAnalysis:
        """The session's analysis, confirmed where a recording allows.

        Without an activity, a session not told for sure
        (:func:`~sensorlab.processing.pipeline.drills_to_reanalyse`) is analysed again as
        each drill, from the recording it replays or, for a live stream, from its own
        recording of the whole session (:meth:`_recorded_whole`), as ``sensorlab
        analyze`` of that file would. A live stream without such a recording cannot be:
        its analysis stays ``guessed``, without findings, and says to set the activity.
        """
        drills = drills_to_reanalyse(analysis)
        if not drills:
            return analysis
        recording = getattr(self.source, "recording", None)
        if recording is None:
            recording = self._recorded_whole()
        if recording is None:
            return analysis
        settings = self.analyzer.settings
        again = analyses_as(drills, lambda name: analyze(recording, name, settings))
        return as_detected(analysis, again)

    def _recorded_whole(self) -> Recording | None:
        """The session's recording, stopped and read back, if it holds the whole stream.

        That is the recording of ``record_path``, started with the session and still
        running, with every sample written: no write error, none missed by its ring
        reader. None otherwise, or when it cannot be read back (a write error at the
        last flush is kept and raised when the session ends, as it would have been).
        """
        if self.record_path is None or self._recording is None or self._recordings != 1:
            return None
        recorder, reader = self._recording
        if recorder.error_ is not None or reader.lost_:
            return None
        try:
            path = self.stop_recording()
        except InputError as error:
            self._recording_error = error
            return None
        assert path is not None
        from sensorlab.io.recording import read_recording  # pandas: only when needed

        try:
            return read_recording(path)
        except InputError:
            return None

    def _to_sinks(self, method: str, *args) -> None:
        """Call every sink; one that fails is dropped with a warning, the session goes on."""
        if method != "close" and args and not len(args[0]):
            return
        for sink in list(self.sinks):
            try:
                getattr(sink, method)(*args)
            except Exception as error:  # a publisher must never end the session
                self.sinks.remove(sink)
                message = (
                    f"{type(sink).__name__} stopped publishing ({type(error).__name__}: "
                    f"{error}); the session and its recording went on without it"
                )
                self.analyzer.warnings.append(message)
                if self.analysis is not None:
                    self.analysis.warnings.append(message)

    # ---------------------------------------------------------------- controls
    # Called on the session loop's thread (the live view posts them there).

    def start_recording(self, path: Path) -> None:
        """Record the stream from now on to ``path`` (contract CSV + sidecar).

        Raises
        ------
        InputError
            When the file cannot be created (e.g. it exists).
        """
        from sensorlab.io.recorder import Recorder

        self.stop_recording()
        recorder = Recorder(path, self.source.meta).start()
        self._recordings += 1
        self._recording = (recorder, self.rings.reader(f"recorder-{self._recordings}"))
        self.status = self._snapshot()

    def stop_recording(self) -> Path | None:
        """Write what is left and close the recording; returns its path (None if none)."""
        if self._recording is None:
            return None
        (recorder, reader), self._recording = self._recording, None
        recorder.write(reader.read())
        self.rings.remove_reader(reader.name)
        recorder.stop()
        self.status = self._snapshot()
        return recorder.path

    def mark(self, label: str = "mark") -> Marker:
        """Mark the current moment (newest sample time) in the session and the recording.

        ``label`` ``recalibrate`` also re-levels every sensor at the next still moment
        (:meth:`SessionAnalyzer.add_marker`).
        """
        newest = max(w.newest_t_s for w in self._watch.values())
        marker = Marker(round(max(newest, 0.0), 3), label)
        self.markers.append(marker)
        self.analyzer.add_marker(marker)
        if self._recording is not None:
            self._recording[0].add_marker(marker)
        self._to_sinks("events", [marker])
        self.status = self._snapshot()
        return marker

    def set_activity(self, activity: str | None) -> str | None:
        """Analyse as ``activity`` (``step_up``, ``walk``; None: both, decided at the end).

        A segmenter switched on later catches up on the angles it has not seen.
        """
        if activity is not None and activity not in ACTIVITIES:
            choices = " or ".join(ACTIVITIES)
            raise InputError(f"activity {activity!r} is not analysed; use {choices}")
        self.analyzer.activity = activity
        return activity

    def recalibrate(self) -> Marker:
        """Re-level the sensors: the subject stands still for about 3 s from now."""
        return self.mark(RECALIBRATE)

    # ----------------------------------------------------------------- display
    def _publish(self, force: bool = False) -> None:
        """New angle rows to :attr:`kinematics`, and a new :attr:`status`."""
        table = self.analyzer.kinematics
        if table.size > self._kinematics_published:
            lo, hi = self._kinematics_published, table.size
            rows = table.block(lo, hi, 0, len(KINEMATICS_COLUMNS))
            self.kinematics.write(rows)
            self._to_sinks("angles", rows)
            self._kinematics_published = hi
        # The status (rates from histograms) is for eyes: a few times a second is enough.
        now = time.perf_counter()
        if force or now - self._status_at >= self.settings.status_interval_s:
            self._status_at = now
            self.status = self._snapshot()

    def _snapshot(self) -> SessionStatus:
        newest = max(w.newest_t_s for w in self._watch.values())
        return SessionStatus(
            t_s=newest,
            sensors={
                p: "waiting" if w.newest_t_s == float("-inf") else w.state
                for p, w in self._watch.items()
            },
            quality=self.analyzer.quality(),
            calibration=self.analyzer.calibration_progress,
            recording=None if self._recording is None else self._recording[0].path,
            markers=tuple(self.markers),
        )

    async def run(self) -> SessionAnalysis:
        """Run to the end, ignoring events; returns the analysis."""
        async for _ in self.events():
            pass
        assert self.analysis is not None
        return self.analysis
