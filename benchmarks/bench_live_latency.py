"""Sensor-to-pixel latency and frame rate of the live window (issue 12), per drill view.

A sample's latency runs from its arrival to the end of the first frame that draws it:

- **arrival**: when the source hands its block to the session (a wrapper around the source
  stamps each block with ``time.perf_counter``); for Bluetooth sources the collector's own
  receive stamp (``host_t_s``, on the same clock) when that is earlier, so time spent
  queued before the session took the block counts too;
- **drawn**: the end of the frame (the window's own ``refresh`` then a synchronous repaint
  of the traces and the side panel, as ``benchmarks/bench_live.py`` does) whose angle
  traces first reach the sample's time, to within half a row of the analysis grid (the
  row nearest the sample is on screen).

Of each latency, the part before the window (the **pipeline**: arrival to the angle row's
publication in ``Session.kinematics``, stamped by a wrapper around its ``write``) is
reported too; the rest is waiting for and drawing the frame.

Frames per second are counted over the same span. The baseline, measured in the same
run from the same stamps, is the **empty-window floor**: for each sample, the time from
its arrival to the end of the next frame at all, which is what a window with no analysis
behind it would show. The ratio p99 / floor p99 is what the analysis and the drawing add.
The goal is p99 <= 50 ms at 60 fps.

Samples are measured from the first drawn angle row on (the first rows wait for the
standing calibration, which is not latency) to the end of the recording or
``--seconds``. Sources: replays of the bundled recordings at 1x, and the same recordings
through virtual Bluetooth sensors (``virtual:replay:PATH``: the collector, decoding and
clock alignment of real sensors, over a virtual radio). Every drill the window has a view
for is in :data:`DRILL_VIEWS`; a new drill adds a row there.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_live_latency.py
[--seconds 30] [--drill step_up] [--source replay]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import QtCore, QtWidgets

from sensorlab.live.app import GIL_SWITCH_INTERVAL_S
from sensorlab.live.runner import SessionRunner
from sensorlab.live.window import LiveSettings, LiveWindow
from sensorlab.records import ImuChunk
from sensorlab.session import Session
from sensorlab.sources.base import Source, make_source

ROOT = Path(__file__).resolve().parents[1]
FPS = 60.0
"""The window's default frame rate (``LiveSettings.fps``)."""
GOAL_P99_MS = 50.0


@dataclass(frozen=True)
class DrillView:
    """One drill the live window has a view for, and a recording that exercises it.

    Attributes
    ----------
    activity : str
        The activity the session is told (it picks the window's view: reps or steps).
    recording : Path
        A recording of that drill (contract CSV with its sidecar).
    """

    activity: str
    recording: Path


DRILL_VIEWS = (
    DrillView("step_up", ROOT / "recordings" / "step_up_asymmetric.csv"),
    DrillView("walk", ROOT / "recordings" / "walk_asymmetric.csv"),
)
"""Every drill view of the live window today; a new drill adds its row."""

SOURCES: dict[str, Callable[[Path], Source]] = {
    "replay": lambda path: make_source(f"replay:{path}", speed=1.0),
    "virtual": lambda path: make_source(f"virtual:replay:{path}", speed=1.0),
}
"""Sources measured: a replay at 1x, and virtual Bluetooth sensors playing the recording."""


class ArrivalStampedSource:
    """A source that notes when each block arrives (the session sees the same blocks).

    Attributes
    ----------
    arrivals : list of (ndarray, float)
        Per block: its samples' times ``t_s`` (seconds, session time) and its arrival on
        ``time.perf_counter`` (seconds).
    """

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self.arrivals: list[tuple[np.ndarray, float]] = []

    @property
    def meta(self):
        return self.inner.meta  # a Bluetooth source fills it in when it starts

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, attribute: str):
        return getattr(self.inner, attribute)  # start(), status() of Bluetooth sources

    async def blocks(self) -> AsyncIterator[ImuChunk]:
        async for block in self.inner.blocks():
            if len(block):
                self.arrivals.append((block.t_s.copy(), self._arrival(block)))
            yield block

    def stop(self) -> None:
        self.inner.stop()

    def _arrival(self, block: ImuChunk) -> float:
        handed_over = time.perf_counter()
        collector = getattr(self.inner, "collector", None)
        t0 = getattr(collector, "t0_s", None)
        if t0 is None or block.host_t_s is None:
            return handed_over
        return min(handed_over, t0 + float(np.min(block.host_t_s)))


@dataclass(frozen=True)
class Figures:
    """One run's figures (milliseconds, frames per second)."""

    latency_ms: np.ndarray
    pipeline_ms: np.ndarray
    floor_ms: np.ndarray
    fps: float
    samples: int


def measure(drill: DrillView, source_kind: str, seconds: float) -> Figures:
    """Run the window on ``drill``'s recording from ``source_kind``; stamp and match."""
    source = ArrivalStampedSource(SOURCES[source_kind](drill.recording))
    runner = SessionRunner(lambda: Session(source, activity=drill.activity)).start()
    published = _stamp_publication(runner.session)
    window = LiveWindow(
        runner,
        LiveSettings(fps=FPS),
        out_dir=Path(tempfile.mkdtemp(prefix="bench_live_latency_")),
        interactive=False,
    )
    window.timer.stop()  # frames are driven below, to stamp the end of their drawing
    window.show()
    curve = next(iter(window.curves.values()))
    frame_ends: list[float] = []
    drawn_to: list[float] = []
    first_row_at: list[float] = []

    def frame() -> None:
        window.refresh()
        window.tabs.currentWidget().viewport().repaint()
        window.side_panel.repaint()
        ended = time.perf_counter()
        x = curve.xData
        newest = float(x[-1]) if x is not None and len(x) else -np.inf
        frame_ends.append(ended)
        drawn_to.append(newest)
        if np.isfinite(newest) and not first_row_at:
            first_row_at.append(ended)
        if runner.done or (first_row_at and ended - first_row_at[0] >= seconds):
            loop.quit()

    loop = QtCore.QEventLoop()
    timer = QtCore.QTimer()
    timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    timer.timeout.connect(frame)
    timer.start(round(1000 / FPS))
    loop.exec()
    timer.stop()
    runner.stop()
    window.close()
    if not first_row_at:
        raise RuntimeError(f"{drill.activity} via {source_kind}: no angle was ever drawn")
    half_row_s = 0.5 / runner.session.analyzer.rate_hz
    rows_t, rows_at = (np.array(x) for x in zip(*published, strict=True))
    return _match(source.arrivals, np.array(frame_ends), np.array(drawn_to), first_row_at[0],
                  half_row_s, (rows_t, rows_at))  # fmt: skip


def _stamp_publication(session: Session) -> list[tuple[float, float]]:
    """Note ``(newest row time, perf_counter)`` at each write of angle rows for the window."""
    ring = session.kinematics
    write = ring.write
    published: list[tuple[float, float]] = []

    def stamped(rows: np.ndarray) -> None:
        write(rows)
        if len(rows):
            published.append((float(rows[-1][0]), time.perf_counter()))  # column 0: t_s

    ring.write = stamped
    return published


def _first_at_or_after(
    reach: np.ndarray, at: np.ndarray, t_s: np.ndarray, arrived: np.ndarray
) -> np.ndarray:
    """Index of the first entry whose ``reach`` (non-decreasing) is at least ``t_s`` and whose
    time ``at`` is not before ``arrived`` (a later sensor's row can come before a sample)."""
    by_reach = np.searchsorted(reach, t_s, side="left")
    by_time = np.searchsorted(at, arrived, side="left")
    return np.maximum(by_reach, by_time)


def _match(
    arrivals: list[tuple[np.ndarray, float]],
    frame_ends: np.ndarray,
    drawn_to: np.ndarray,
    start: float,
    half_row_s: float,
    rows: tuple[np.ndarray, np.ndarray],
) -> Figures:
    """Each sample's first frame that draws it, and the first frame after it arrived."""
    t_s = np.concatenate([t for t, _ in arrivals])
    arrived = np.concatenate([np.full(t.size, at) for t, at in arrivals])
    measured = (arrived >= start) & (arrived <= frame_ends[-1])
    t_s, arrived = t_s[measured], arrived[measured]
    # The newest row drawn (published) so far, frame by frame (write by write).
    reach = np.maximum.accumulate(drawn_to)
    frame = _first_at_or_after(reach, frame_ends, t_s - half_row_s, arrived)
    rows_t, rows_at = rows
    row = _first_at_or_after(np.maximum.accumulate(rows_t), rows_at, t_s - half_row_s, arrived)
    shown = (frame < frame_ends.size) & (row < rows_at.size)
    latency_ms = 1e3 * (frame_ends[frame[shown]] - arrived[shown])
    pipeline_ms = 1e3 * (rows_at[row[shown]] - arrived[shown])
    first_after = np.searchsorted(frame_ends, arrived, side="left")
    has_next = first_after < frame_ends.size
    floor_ms = 1e3 * (frame_ends[first_after[has_next]] - arrived[has_next])
    span = frame_ends[(frame_ends >= start)]
    fps = (span.size - 1) / (span[-1] - span[0]) if span.size > 1 else float("nan")
    return Figures(latency_ms, pipeline_ms, floor_ms, fps, int(shown.sum()))


def report(drill: DrillView, source_kind: str, figures: Figures) -> bool:
    """Print one run's line; True when it meets the goal."""
    p50, p99 = np.percentile(figures.latency_ms, [50, 99])
    floor50, floor99 = np.percentile(figures.floor_ms, [50, 99])
    pipe50, pipe99 = np.percentile(figures.pipeline_ms, [50, 99])
    met = p99 <= GOAL_P99_MS
    print(
        f"  {drill.activity:8s} {source_kind:8s} latency p50 {p50:5.1f} ms  p99 {p99:5.1f} ms"
        f"  (pipeline p50 {pipe50:4.1f} p99 {pipe99:5.1f})"
        f"  | floor p50 {floor50:4.1f} p99 {floor99:4.1f} ms  | p99/floor {p99 / floor99:4.1f}x"
        f"  | {figures.fps:4.1f} fps  | {figures.samples} samples"
        f"  {'ok' if met else 'ABOVE GOAL'}"
    )
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="measured time per run")
    parser.add_argument("--drill", choices=[d.activity for d in DRILL_VIEWS], action="append")
    parser.add_argument("--source", choices=list(SOURCES), action="append")
    args = parser.parse_args()
    QtWidgets.QApplication(["bench_live_latency"])
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)  # as sensorlab live does
    print(
        f"goal: sensor-to-pixel p99 <= {GOAL_P99_MS:.0f} ms at {FPS:.0f} fps (frame period "
        f"{1000 / FPS:.1f} ms); floor = arrival to the next frame end, same run"
    )
    for drill in DRILL_VIEWS:
        if args.drill and drill.activity not in args.drill:
            continue
        for source_kind in SOURCES:
            if args.source and source_kind not in args.source:
                continue
            report(drill, source_kind, measure(drill, source_kind, args.seconds))


if __name__ == "__main__":
    main()
