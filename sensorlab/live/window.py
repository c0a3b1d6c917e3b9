"""The live window: traces, reps as they come, symmetry, sensor status, controls.

Everything here runs on the Qt thread and only pulls: a timer (``fps``) takes the newest
angles from :attr:`Session.kinematics`, raw samples from :meth:`SampleRing.view_last`,
events from :meth:`SessionRunner.events` and the :attr:`Session.status` snapshot. Controls
go to the session through :meth:`SessionRunner.call`, so a slow disk or a Bluetooth stall
never freezes the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from sensorlab.live.runner import SessionRunner
from sensorlab.live.tally import SIDES, LiveTally
from sensorlab.live.widgets import LastRepPanel, SensorTable, SymmetryBars
from sensorlab.processing.events import (
    CalibrationDone,
    ProvisionalWithdrawn,
    RepAborted,
    RepFinished,
    RepStarted,
    StepDetected,
)
from sensorlab.processing.movements import drill, drill_names
from sensorlab.records import AnyRep, DrillRepResult, SessionMeta
from sensorlab.session import SensorLost, SensorResumed, SensorStale
from sensorlab.summary.metrics import (
    drill_rep_brief,
    is_bilateral,
    rep_side_words,
    working_side,
)
from sensorlab.summary.style import (
    LEFT_COLOR,
    NEUTRAL_COLOR,
    OBLIQUITY_COLOR,
    RIGHT_COLOR,
    TILT_COLOR,
)
from sensorlab.summary.summary import unavailable_note

if TYPE_CHECKING:
    from sensorlab.summary.outputs import SessionOutputs

SIDE_COLORS = {"left": LEFT_COLOR, "right": RIGHT_COLOR, "both": NEUTRAL_COLOR}
"""A rep's span by its side; a bilateral drill's reps (``both``) in the neutral ink."""
TRACE_WIDTH = 1
"""Pixels; Qt's raster engine strokes wider lines several times slower (a 2-px pen took
6 ms of a 16-ms frame for four 1000-point traces)."""
OPEN_LIFT_MAX_S = 60.0
"""How far right a lift under way is drawn (it is removed when the rep is judged)."""
TRACE_RANGES_DEG = {"pelvis": (-8.0, 12.0), "thighs": (-25.0, 95.0)}
"""Fixed y ranges of the traces (drag or scroll to change): steady axes for the eye, and
no autorange over every item in every frame."""
DRILL_THIGH_RANGE_DEG = (-65.0, 95.0)
"""The thighs' range in a standing drill: a rear thigh, a kickback or an RDL's free leg
go well behind."""
HINGE_PELVIS_RANGE_DEG = (-10.0, 90.0)
"""The pelvis's range in a drill whose rep is a hinge (its curves draw the pelvic tilt)."""
RAW_RANGES = {"acc": (-25.0, 25.0), "gyr": (-400.0, 400.0)}
"""Fixed y ranges of the raw tab: m/s^2 and deg/s."""
AXIS_COLORS = ("#c62828", "#2e7d32", "#1565c0")
"""x, y, z of the raw traces (the conventional red, green, blue)."""


@dataclass(frozen=True)
class LiveSettings:
    """How the window draws.

    Attributes
    ----------
    window_s : float
        Seconds of traces shown.
    fps : float
        Redraws per second (the timer's rate).
    status_hz : float
        Refreshes of the sensor table and calibration line per second.
    """

    window_s: float = 10.0
    fps: float = 60.0
    status_hz: float = 4.0


def _rep_values(rep: AnyRep) -> str:
    """A rep's key values for the log (a drill's first two metrics)."""
    if isinstance(rep, DrillRepResult):
        return drill_rep_brief(rep.activity, rep.metrics)
    return f"drop {rep.pelvic_drop_deg:.1f}°, ROM {rep.thigh_rom_deg:.0f}°"


def window_title(source_name: str, meta: SessionMeta) -> str:
    """``sensorlab live — SUBJECT — DATE — SOURCE``, with what the sidecar gives."""
    date = meta.date or (meta.started_at or "")[:10]
    parts = ["sensorlab live", meta.subject, date, source_name]
    return " — ".join(part for part in parts if part)


def _scrolling_group(plot: pg.PlotItem) -> pg.ItemGroup:
    """A parent for everything drawn in session time; shifted by ``-now`` each frame."""
    group = pg.ItemGroup()
    plot.addItem(group, ignoreBounds=True)
    return group


class LiveWindow(QtWidgets.QMainWindow):
    """The one window of ``sensorlab live``.

    Parameters
    ----------
    runner : SessionRunner
        The running session.
    settings : LiveSettings
        Trace length and frame rate.
    record_folder : Path
        Where the Record button puts new recordings.
    out_dir : Path
        Where closing the window writes summary.json, report.html and reps.csv.
    write_on_close : bool
        Whether closing the window writes those outputs (tests that do not look at them
        turn it off); :meth:`finish` writes them either way.
    interactive : bool
        Someone is at the window: closing it shows where the outputs went in a dialog.
        False for timed runs (``--duration``), which must end without a click.
    catalogue : Path or None
        The session catalogue the finished session is recorded in; None: not recorded.
    """

    message = QtCore.Signal(str)
    """A line for the status bar, from any thread."""

    def __init__(
        self,
        runner: SessionRunner,
        settings: LiveSettings = LiveSettings(),
        record_folder: Path = Path("recordings"),
        out_dir: Path = Path("out/live"),
        write_on_close: bool = True,
        interactive: bool = True,
        catalogue: Path | None = None,
    ) -> None:
        super().__init__()
        assert runner.session is not None
        self.runner = runner
        self.session = runner.session
        self.settings = settings
        self.record_folder = record_folder
        self.out_dir = out_dir
        self.write_on_close = write_on_close
        self.interactive = interactive
        self.catalogue = catalogue
        self.outputs: SessionOutputs | None = None
        """The written outputs, once the session was finished."""
        self.tally = LiveTally()
        self.paused = False
        self._last_status = 0.0
        self._rep_spans: list[tuple[float, list[pg.LinearRegionItem]]] = []
        self._markers_drawn = 0
        self._calibration_quality: dict[str, float] = {}
        self._calibrated_at_s: float | None = None
        self._traces_drawn_at = 0
        self._view_end_s = float("nan")
        """The newest angle's time, where the trace view ends, seconds."""
        self._raw_drawn_at = 0
        self._open_spans: list[pg.LinearRegionItem] = []
        """A lift under way: a pale span with a dashed start until the rep is judged."""
        self.setWindowTitle(window_title(self.session.source.name, self.session.source.meta))
        self.resize(1400, 860)
        self._build_traces()
        self._build_raw()
        self._build_side_panel()
        self._build_controls()
        tabs = QtWidgets.QTabWidget()
        tabs.addTab(self.traces, "Session")
        tabs.addTab(self.raw, "Raw acc / gyro")
        self.tabs = tabs
        splitter = QtWidgets.QSplitter()
        splitter.addWidget(tabs)
        splitter.addWidget(self.side_panel)
        splitter.setSizes([980, 420])
        self.setCentralWidget(splitter)
        self.clock_label = QtWidgets.QLabel("waiting for data")
        self.statusBar().addPermanentWidget(self.clock_label)
        self.message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.timer = QtCore.QTimer(self)
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(round(1000 / settings.fps))

    # ------------------------------------------------------------------ layout
    def _build_traces(self) -> None:
        self.traces = pg.GraphicsLayoutWidget()
        self.traces.setBackground("w")
        pelvis = self.traces.addPlot(row=0, col=0, title="Pelvis")
        pelvis.setLabel("left", "angle", units="°")
        pelvis.addLegend(offset=(10, 5))
        thighs = self.traces.addPlot(row=1, col=0, title="Thighs, sagittal (flexion +)")
        thighs.setLabel("left", "angle", units="°")
        thighs.setLabel("bottom", "seconds before now")
        thighs.addLegend(offset=(10, 5))
        thighs.setXLink(pelvis)
        # One time axis (the bottom one): a scrolling axis re-lays its labels every frame.
        pelvis.hideAxis("bottom")
        self.trace_plots = (pelvis, thighs)
        self.curves = {
            "pelvis_obliquity_deg": pelvis.plot(
                pen=pg.mkPen(OBLIQUITY_COLOR, width=TRACE_WIDTH),
                name="obliquity (right side lower +)",
            ),
            "pelvis_tilt_deg": pelvis.plot(
                pen=pg.mkPen(TILT_COLOR, width=TRACE_WIDTH, style=QtCore.Qt.PenStyle.DashLine),
                name="tilt (anterior +)",
            ),
            "left_thigh_sagittal_deg": thighs.plot(
                pen=pg.mkPen(LEFT_COLOR, width=TRACE_WIDTH), name="left"
            ),
            "right_thigh_sagittal_deg": thighs.plot(
                pen=pg.mkPen(RIGHT_COLOR, width=TRACE_WIDTH), name="right"
            ),
        }
        pelvis.setYRange(*TRACE_RANGES_DEG["pelvis"], padding=0)
        thighs.setYRange(*TRACE_RANGES_DEG["thighs"], padding=0)
        activity = self.session.analyzer.activity
        if activity in drill_names():
            thighs.setYRange(*DRILL_THIGH_RANGE_DEG, padding=0)
            if any(shape.column == "pelvis_tilt_deg" for shape in drill(activity).SHAPES):
                pelvis.setYRange(*HINGE_PELVIS_RANGE_DEG, padding=0)
        for plot in self.trace_plots:
            # A zero line instead of a grid: pyqtgraph redraws a grid with every scroll,
            # which took most of a frame (benchmarks/bench_live.py).
            plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#c3cad3", width=1)))
            plot.setMouseEnabled(x=False, y=True)
            plot.setXRange(-self.settings.window_s, 0, padding=0)
        self.trace_groups = [_scrolling_group(plot) for plot in self.trace_plots]
        for name, curve in self.curves.items():
            group = self.trace_groups[0 if name.startswith("pelvis") else 1]
            curve.setParentItem(group)
        # The calibration hint lives in the pelvis view's own pixels (not at a time on
        # the scrolling axis, where its start fell left of the view), bottom left, wrapped
        # to the view's width.
        view = pelvis.getViewBox()
        self.calibration_text = pg.TextItem("", color="#1d2733", anchor=(0, 1))
        self.calibration_text.setParentItem(view)
        view.sigResized.connect(self._place_calibration_text)
        self._place_calibration_text(view)

    def _place_calibration_text(self, view: pg.ViewBox) -> None:
        margin = 8
        self.calibration_text.setTextWidth(max(view.width() - 2 * margin, 50))
        self.calibration_text.setPos(margin, view.height() - margin)

    def _build_raw(self) -> None:
        self.raw = pg.GraphicsLayoutWidget()
        self.raw.setBackground("w")
        self.raw_curves: dict[str, list[pg.PlotDataItem]] = {}
        self.raw_plots = []
        self.raw_groups: list[pg.ItemGroup] = []
        for row, placement in enumerate(self.session.rings.placements):
            acc = self.raw.addPlot(row=row, col=0, title=f"{placement.replace('_', ' ')} acc")
            acc.setLabel("left", "m/s²")
            acc.setYRange(*RAW_RANGES["acc"], padding=0)
            gyr = self.raw.addPlot(row=row, col=1, title=f"{placement.replace('_', ' ')} gyro")
            gyr.setLabel("left", "°/s")
            gyr.setYRange(*RAW_RANGES["gyr"], padding=0)
            curves = []
            for plot in (acc, gyr):
                plot.addItem(pg.InfiniteLine(0, angle=0, pen=pg.mkPen("#c3cad3", width=1)))
                plot.setXRange(-self.settings.window_s, 0, padding=0)
                self.raw_plots.append(plot)
                group = _scrolling_group(plot)
                self.raw_groups.append(group)
                for color in AXIS_COLORS:
                    curve = plot.plot(pen=pg.mkPen(color, width=1))
                    curve.setParentItem(group)
                    # 2000 samples on a half-width plot: keep each pixel column's peaks.
                    curve.setDownsampling(auto=True, method="peak")
                    curves.append(curve)
            self.raw_curves[placement] = curves
            if row < len(self.session.rings.placements) - 1:
                acc.hideAxis("bottom")
                gyr.hideAxis("bottom")

    def _build_side_panel(self) -> None:
        self.side_panel = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(self.side_panel)
        self.last_rep = LastRepPanel()
        layout.addWidget(self.last_rep)
        self.bars = SymmetryBars()
        self.bars.setMinimumHeight(220)
        layout.addWidget(self.bars, stretch=1)
        self.sensor_table = SensorTable(self.session.rings.placements)
        layout.addWidget(self.sensor_table)
        # Which measures the sensors worn cannot give (a pelvis-only walk has no thigh
        # angles): said once, as the report says it.
        self.unavailable_note = QtWidgets.QLabel(
            unavailable_note({"unavailable": self.session.analyzer.unavailable}) or ""
        )
        self.unavailable_note.setWordWrap(True)
        self.unavailable_note.setVisible(bool(self.unavailable_note.text()))
        layout.addWidget(self.unavailable_note)
        self.event_log = QtWidgets.QPlainTextEdit()
        self.event_log.setReadOnly(True)
        self.event_log.setMaximumBlockCount(200)
        self.event_log.setFixedHeight(110)
        layout.addWidget(self.event_log)

    def _build_controls(self) -> None:
        bar = self.addToolBar("Session")
        bar.setMovable(False)
        self.record_action = bar.addAction("● Record")
        self.record_action.setCheckable(True)
        self.record_action.setShortcut(QtGui.QKeySequence("R"))
        self.record_action.toggled.connect(self._toggle_recording)
        self.record_label = QtWidgets.QLabel("  not recording  ")
        bar.addWidget(self.record_label)
        bar.addSeparator()
        mark = bar.addAction("Mark (M)")
        mark.setShortcut(QtGui.QKeySequence("M"))
        mark.triggered.connect(lambda: self._post(self.session.mark, "marked"))
        recalibrate = bar.addAction("Recalibrate: stand still 3 s (C)")
        recalibrate.setShortcut(QtGui.QKeySequence("C"))
        recalibrate.triggered.connect(
            lambda: self._post(self.session.recalibrate, "recalibrating: stand still for 3 s")
        )
        self.pause_action = bar.addAction("Pause view (Space)")
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QtGui.QKeySequence("Space"))
        self.pause_action.toggled.connect(self._set_paused)
        bar.addSeparator()
        bar.addWidget(QtWidgets.QLabel(" activity "))
        self.activity_box = QtWidgets.QComboBox()
        self.activity_box.addItems(["auto", "step_up", "walk", *drill_names()])
        current = self.session.analyzer.activity
        self.activity_box.setCurrentText(current or "auto")
        self.activity_box.currentTextChanged.connect(self._set_activity)
        bar.addWidget(self.activity_box)

    # ---------------------------------------------------------------- controls
    def _post(self, function, message: str, *args) -> None:
        future = self.runner.call(function, *args)
        future.add_done_callback(lambda f: self._report(f, message))

    def _report(self, future, message: str) -> None:
        # Called on the session's thread: the signal queues the text to the Qt thread.
        error = future.exception()
        if error is not None:
            self.message.emit(f"error: {error}")
        else:
            result = future.result()
            if isinstance(result, Path):
                result = result.name  # never a folder: it can carry a patient's name
            self.message.emit(message if result is None else f"{message}: {result}")

    def _toggle_recording(self, on: bool) -> None:
        if on:
            stamp = time.strftime("%Y%m%d-%H%M%S")
            path = self.record_folder / f"session-{stamp}.csv"
            self._post(self.session.start_recording, "recording", path)
        else:
            self._post(self.session.stop_recording, "saved")

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused

    def _set_activity(self, text: str) -> None:
        activity = None if text == "auto" else text
        self._post(self.session.set_activity, "activity", activity)

    # ------------------------------------------------------------------ ending
    def finish(self) -> SessionOutputs | None:
        """Stop the session and write its summary, report and reps table (once).

        Returns the :class:`~sensorlab.summary.outputs.SessionOutputs`, or None when the
        session ended before it could be analysed (the reason is in the status bar and
        on ``runner.error``).
        """
        if self.outputs is not None:
            return self.outputs
        self.timer.stop()
        # The final analysis can take seconds (a long session, or its recording analysed
        # again as each drill): say so before the window waits for it.
        # (Painted at once, without running the event loop: finish may be in closeEvent.)
        self.statusBar().showMessage("Analysing the whole session...")
        self.statusBar().repaint()
        analysis = self.runner.stop()
        self.refresh()  # the last events and angles
        if analysis is None:
            return None
        from sensorlab.catalogue.entry import session_origin
        from sensorlab.summary.outputs import write_outputs

        meta = self.session.source.meta
        self.outputs = write_outputs(
            analysis,
            self.out_dir,
            meta=meta,
            catalogue=self.catalogue,
            origin=session_origin(meta),
        )
        return self.outputs

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Closing the window ends the session and writes its outputs (see ``write_on_close``)."""
        if not self.write_on_close:
            self.timer.stop()
            self.runner.stop()
            event.accept()
            return
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            outputs = self.finish()
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()
        if self.interactive and QtGui.QGuiApplication.platformName() != "offscreen":
            text = (
                f"Summary: {outputs.summary_path}\nReport: {outputs.report_path}"
                if outputs is not None
                else f"The session ended without an analysis: {self.runner.error}"
            )
            QtWidgets.QMessageBox.information(self, "sensorlab: session saved", text)
        event.accept()

    # ----------------------------------------------------------------- drawing
    def refresh(self) -> None:
        """One frame: events, traces (unless paused), status a few times a second."""
        now = time.perf_counter()
        for event in self.runner.events():
            self._take_event(event)
        if not self.paused:
            self._draw_traces()
            if self.tabs.currentWidget() is self.raw:
                self._draw_raw()
        if now - self._last_status >= 1.0 / self.settings.status_hz:
            self._last_status = now
            self._draw_status()

    def _take_event(self, event) -> None:
        # A rep or step already shown is replaced in place (its refined values), not
        # added again.
        shown = None
        if isinstance(event, RepFinished) and event.rep.index < len(self.tally.reps):
            shown = self.tally.reps[event.rep.index]
        new_step = isinstance(event, StepDetected) and event.index >= len(self.tally.steps)
        if self.tally.add(event):
            provisional = self.tally.provisional
            if self.tally.walking:
                self.last_rep.show_walk(self.tally.cadence_steps_min)
                left, right = (self.tally.count(side) for side in SIDES)
                self.last_rep.show_counts("steps", left, right, provisional)
            else:
                self._show_rep_counts(provisional)
            self.bars.show_bars(self.tally.bars())
        if isinstance(event, RepStarted):
            self._open_lift(event.t_s, event.side)
        elif isinstance(event, RepAborted):
            self._close_lift()
            self._log(f"{event.t_s:6.1f} s  {event.side} lift came back down: not a rep")
        if isinstance(event, RepFinished):
            self._take_rep(event, shown)
        elif isinstance(event, ProvisionalWithdrawn):
            what = "reps" if event.kind == "rep" else "steps"
            self._log(
                f"{event.t_s:6.1f} s  provisional {what} from {event.first_index + 1} on "
                "withdrawn (not confirmed)"
            )
            if event.kind == "rep":
                self._show_last_rep()
        elif isinstance(event, CalibrationDone):
            self._calibrated_at_s = event.t_s
            self._log(f"{event.t_s:6.1f} s  calibrated")
            self._calibration_quality = {
                placement: calibration.quality
                for placement, calibration in event.calibration.items()
            }
        elif isinstance(event, SensorStale | SensorLost):
            kind = "stale" if isinstance(event, SensorStale) else "LOST"
            self._log(f"{event.t_s:6.1f} s  {event.placement.replace('_', ' ')} {kind}")
        elif isinstance(event, SensorResumed):
            self._log(
                f"{event.t_s:6.1f} s  {event.placement.replace('_', ' ')} back "
                f"after {event.gap_s:.1f} s"
            )
        elif new_step and len(self.tally.steps) % 20 == 0:
            mark = "  (provisional)" if event.provisional else ""
            self._log(f"{event.step.t:6.1f} s  {len(self.tally.steps)} steps{mark}")

    def _show_rep_counts(self, provisional: bool) -> None:
        """Reps per side, in the drill's words; one count for a drill that works both."""
        drill = self.tally.drill
        if is_bilateral(drill):
            self.last_rep.show_total(len(self.tally.reps), working_side(drill), provisional)
            return
        unit = "reps" if drill is None else f"reps by {working_side(drill)}"
        left, right = (self.tally.count(side) for side in SIDES)
        self.last_rep.show_counts(unit, left, right, provisional)

    def _take_rep(self, event: RepFinished, shown: AnyRep | None) -> None:
        """A new rep (shown, spanned and logged), or the refined values of one shown."""
        rep = event.rep
        number = rep.index + 1
        values = _rep_values(rep)
        if shown is None:
            self._close_lift()
            self._add_rep_span(rep.t_start, rep.t_end, rep.side)
            mark = "  (provisional)" if event.provisional else ""
            who = rep_side_words(rep.activity, rep.side) if self.tally.drill else rep.side
            self._log(f"{rep.t_end:6.1f} s  rep {number} {who}: {values}{mark}")
        elif values != _rep_values(shown):
            at = rep.t_end if self._calibrated_at_s is None else self._calibrated_at_s
            self._log(f"{at:6.1f} s  rep {number} refined: {values}")
        if rep.index == len(self.tally.reps) - 1:
            self._show_last_rep()

    def _show_last_rep(self) -> None:
        """The newest rep in large type, marked while provisional."""
        reps = self.tally.reps
        if not reps:
            self.last_rep.clear_rep()
            return
        provisional = len(reps) - 1 in self.tally.provisional_reps
        self.last_rep.show_rep(len(reps), reps[-1], provisional)

    def _log(self, line: str) -> None:
        self.event_log.appendPlainText(line)

    def _open_lift(self, start_s: float, side: str) -> None:
        self._close_lift()
        color = QtGui.QColor(SIDE_COLORS[side])
        edge = pg.mkPen(color, width=1, style=QtCore.Qt.PenStyle.DashLine)
        color.setAlpha(20)
        # Open to the right: the view ends at the newest sample, so the span reaches "now"
        # without being moved every frame (moving it cost a third of a frame).
        self._open_spans = self._add_spans((start_s, start_s + OPEN_LIFT_MAX_S), color, edge)

    def _close_lift(self) -> None:
        for plot, span in zip(self.trace_plots, self._open_spans, strict=False):
            plot.removeItem(span)
        self._open_spans = []

    def _add_rep_span(self, start_s: float, end_s: float, side: str) -> None:
        color = QtGui.QColor(SIDE_COLORS[side])
        color.setAlpha(45)
        self._rep_spans.append((end_s, self._add_spans((start_s, end_s), color)))

    def _add_spans(
        self, region: tuple[float, float], fill: QtGui.QColor, start_edge: QtGui.QPen | None = None
    ) -> list[pg.LinearRegionItem]:
        """A shaded span on every trace plot, in session time, behind the traces.

        It moves with the traces; edges invisible but for ``start_edge``.
        """
        spans = []
        for plot, group in zip(self.trace_plots, self.trace_groups, strict=True):
            span = pg.LinearRegionItem(region, movable=False, brush=pg.mkBrush(fill))
            span.setZValue(-5)
            span.lines[0].setPen(start_edge or pg.mkPen(None))
            span.lines[1].setPen(pg.mkPen(None))
            plot.addItem(span)
            span.setParentItem(group)
            spans.append(span)
        return spans

    def _draw_traces(self) -> None:
        written = self.session.kinematics.written_
        if written == self._traces_drawn_at and self._traces_drawn_at:
            # No new angle row: the traces stay, but a rep told since may have ended
            # before the view (the reps confirmed at once when the calibration lands).
            self._forget_old_spans(self._view_end_s - self.settings.window_s)
            return
        self._traces_drawn_at = written
        rows = round(self.settings.window_s * self.session.analyzer.rate_hz)
        table = self.session.kinematics.last(rows)
        t = table["t_s"]
        for name, curve in self.curves.items():
            curve.setData(t, table[name], connect="finite")
        # The view ends at the newest angle (the status snapshot is renewed less often).
        newest = float(t[-1]) if t.size else self.session.status.t_s
        self._view_end_s = newest
        if np.isfinite(newest):
            # The axes stay put (seconds before now); the traces, spans and marks move
            # with one transform, so no axis is laid out again in any frame.
            for group in self.trace_groups:
                group.setPos(-newest, 0)
            self._forget_old_spans(newest - self.settings.window_s)
        self._draw_markers()

    def _forget_old_spans(self, before_s: float) -> None:
        while self._rep_spans and self._rep_spans[0][0] < before_s - self.settings.window_s:
            _, spans = self._rep_spans.pop(0)
            for plot, span in zip(self.trace_plots, spans, strict=True):
                plot.removeItem(span)

    def _draw_markers(self) -> None:
        markers = self.session.status.markers
        for marker in markers[self._markers_drawn :]:
            for plot, group in zip(self.trace_plots, self.trace_groups, strict=True):
                line = pg.InfiniteLine(
                    marker.t_s,
                    angle=90,
                    pen=pg.mkPen("#1d2733", width=1, style=QtCore.Qt.PenStyle.DotLine),
                    label=marker.label,
                    labelOpts={"position": 0.9, "color": "#1d2733"},
                )
                plot.addItem(line)
                line.setParentItem(group)
        self._markers_drawn = len(markers)

    def _draw_raw(self) -> None:
        written = sum(self.session.rings.written_.values())
        if written == self._raw_drawn_at:
            return  # no new sample
        self._raw_drawn_at = written
        newest = -np.inf
        for placement, curves in self.raw_curves.items():
            rate_hz = self.session.rings.rates_hz[placement]
            chunk = self.session.rings.rings[placement].view_last(
                round(self.settings.window_s * rate_hz)
            )
            for axis in range(3):
                curves[axis].setData(chunk.t_s, chunk.acc_m_s2[:, axis])
                curves[3 + axis].setData(chunk.t_s, np.degrees(chunk.gyr_rad_s[:, axis]))
            if len(chunk):
                newest = max(newest, float(chunk.t_s[-1]))
        if np.isfinite(newest):
            for group in self.raw_groups:
                group.setPos(-newest, 0)

    def _draw_status(self) -> None:
        status = self.session.status
        states, battery = dict(status.sensors), {}
        # Bluetooth sources also know each link: its state while not streaming, battery.
        link_status = getattr(self.session.source, "status", None)
        if callable(link_status):
            for placement, link in link_status().items():
                battery[placement] = link.battery_pct
                if link.state != "connected":
                    states[placement] = link.state
        progress = status.calibration
        per_sensor = {
            placement: f"{quality:.2f}" for placement, quality in self._calibration_quality.items()
        }
        for placement in self.sensor_table.placements:
            if progress.stage == "stand":
                per_sensor.setdefault(placement, "stand still")
            elif progress.stage == "move":
                per_sensor.setdefault(placement, f"moving {100 * progress.fraction:.0f}%")
        self.sensor_table.show_status(states, status.quality, battery, per_sensor)
        if progress.stage == "stand":
            text = "calibrating: stand still, feet apart, for 3 s"
        elif progress.stage == "move":
            text = (
                f"calibrating: walk or do a few reps ({100 * progress.fraction:.0f}% of the "
                "movement needed to fix each segment's heading); angles follow"
            )
        else:
            text = ""
        self.calibration_text.setText(text)
        recording = status.recording
        self.record_label.setText(
            f"  recording {Path(recording).name}  " if recording else "  not recording  "
        )
        self.clock_label.setText(
            f"{status.t_s:7.1f} s · {self.session.source.name}"
            if np.isfinite(status.t_s)
            else "waiting for data"
        )
