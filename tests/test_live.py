"""The live window (offscreen Qt, pytest-qt): built, filled by a replay, equal to analyze."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtCore, QtGui

from sensorlab.io.recording import read_recording
from sensorlab.live.runner import SessionRunner
from sensorlab.live.window import LiveSettings, LiveWindow
from sensorlab.processing.pipeline import analyze
from sensorlab.session import Session
from sensorlab.sources.replay import ReplaySource
from sensorlab.summary.style import LEFT_COLOR, OBLIQUITY_COLOR, RIGHT_COLOR, TILT_COLOR

ROOT = Path(__file__).resolve().parents[1]
STEP_UP = ROOT / "recordings" / "step_up_asymmetric.csv"
WALK = ROOT / "recordings" / "walk_asymmetric.csv"


def replayed_window(qapp, source: ReplaySource, out_dir: Path) -> LiveWindow:
    """A window on a replay (``source``, at ``speed=None``: as fast as possible), once it ended.

    Closing it does not write the outputs (``write_on_close=False``): the tests that look
    at them call :meth:`LiveWindow.finish`.
    """
    runner = SessionRunner(lambda: Session(source)).start()
    window = LiveWindow(runner, LiveSettings(window_s=10.0), out_dir=out_dir, write_on_close=False)
    window.show()
    deadline_s = time.monotonic() + 120.0  # a guard only: the replay takes a second or two
    while not runner.done and time.monotonic() < deadline_s:
        qapp.processEvents()
        time.sleep(0.01)
    assert runner.done, "the replay did not end"
    window.refresh()
    return window


@pytest.fixture(scope="module")
def step_up_window(qapp, tmp_path_factory):
    """One window on the bundled step-up replay, shared by the tests that only look."""
    source = ReplaySource.from_path(STEP_UP, speed=None)
    window = replayed_window(qapp, source, tmp_path_factory.mktemp("live") / "out")
    yield window
    window.close()
    window.deleteLater()


@pytest.fixture
def own_window(qapp, tmp_path):
    """A window on another recording, closed (without writing the outputs) afterwards."""
    windows = []

    def make(path: Path) -> LiveWindow:
        source = ReplaySource.from_path(path, speed=None)
        windows.append(replayed_window(qapp, source, tmp_path / "out"))
        return windows[-1]

    yield make
    for window in windows:
        window.close()
        window.deleteLater()


def test_the_window_builds_with_every_part(step_up_window):
    window = step_up_window
    assert set(window.curves) == {
        "pelvis_obliquity_deg",
        "pelvis_tilt_deg",
        "left_thigh_sagittal_deg",
        "right_thigh_sagittal_deg",
    }
    assert set(window.raw_curves) == {"pelvis", "left_thigh", "right_thigh"}
    assert all(len(curves) == 6 for curves in window.raw_curves.values())
    assert window.sensor_table.rowCount() == 3


def test_a_replay_fills_the_curves_and_counts_match_analyze(step_up_window):
    window = step_up_window
    batch = analyze(read_recording(STEP_UP))
    for side in ("left", "right"):
        assert window.tally.count(side) == sum(r.side == side for r in batch.reps) > 0
    # The last 10 s of every angle trace are drawn.
    for name, curve in window.curves.items():
        t, y = curve.getData()
        assert t is not None and t[-1] - t[0] == pytest.approx(10.0, abs=0.05), name
        assert np.isfinite(y).sum() > 900, name
    # Each rep that ended within the view has its shaded span in both trace plots. The
    # view ends at its newest angle (the status snapshot may be renewed later or earlier).
    newest = float(window.curves["pelvis_tilt_deg"].getData()[0][-1])
    recent = [r for r in batch.reps if r.t_end >= newest - 2 * window.settings.window_s]
    assert len(window._rep_spans) == len(recent) > 0
    spans = window._rep_spans[-1][1]
    assert spans[0].getRegion() == pytest.approx((recent[-1].t_start, recent[-1].t_end))
    assert window.last_rep.headline.text().startswith(f'<span style="color:{LEFT_COLOR}">rep') or (
        window.last_rep.headline.text().startswith(f'<span style="color:{RIGHT_COLOR}">rep')
    )
    assert not window._open_spans  # every lift was judged: no span left open
    window._draw_status()
    table = window.sensor_table
    for row in range(3):
        assert table.item(row, 1).text() == "ok"
        assert table.item(row, 2).text() == "100 / 100"
        assert re.fullmatch(r"[01]\.\d\d", table.item(row, 5).text())
    # The symmetry bars show the same pelvic-drop SI as the batch per-side means.
    drop = next(b for b in window.tally.bars() if b.metric == "pelvic_drop_deg")
    left = np.mean([r.pelvic_drop_deg for r in batch.reps if r.side == "left"])
    right = np.mean([r.pelvic_drop_deg for r in batch.reps if r.side == "right"])
    assert drop.si_pct == pytest.approx(200 * (right - left) / (right + left), abs=1e-6)
    outputs = window.finish()
    assert outputs.summary_path.exists() and outputs.report_path.exists()


def test_a_walk_shows_steps_per_side(own_window):
    window = own_window(WALK)
    batch = analyze(read_recording(WALK))
    assert window.tally.walking
    for side in ("left", "right"):
        assert window.tally.count(side) == sum(s.side == side for s in batch.steps) > 0
    assert "steps" in window.last_rep.counts.text()
    assert window.last_rep.metrics.text().startswith("cadence")


def _ink_pixels(image: QtGui.QImage, rect: QtCore.QRect, color: str, tolerance: int = 40) -> int:
    """Pixels within ``rect`` whose colour is near ``color``."""
    target = QtGui.QColor(color)
    count = 0
    for x in range(rect.left(), rect.right(), 2):
        for y in range(rect.top(), rect.bottom(), 2):
            pixel = image.pixelColor(x, y)
            if (
                abs(pixel.red() - target.red())
                + abs(pixel.green() - target.green())
                + abs(pixel.blue() - target.blue())
                < tolerance
            ):
                count += 1
    return count


def _plot_rect(window: LiveWindow, plot) -> QtCore.QRect:
    view = plot.getViewBox()
    scene_rect = view.sceneBoundingRect()
    widget = view.scene().views()[0]
    top_left = widget.mapTo(window, widget.mapFromScene(scene_rect.topLeft()))
    bottom_right = widget.mapTo(window, widget.mapFromScene(scene_rect.bottomRight()))
    return QtCore.QRect(top_left, bottom_right)


def test_the_screenshot_has_content_in_every_plot(step_up_window):
    window = step_up_window
    image = window.grab().toImage()
    pelvis, thighs = window.trace_plots
    assert _ink_pixels(image, _plot_rect(window, pelvis), OBLIQUITY_COLOR) > 50
    assert _ink_pixels(image, _plot_rect(window, pelvis), TILT_COLOR) > 50
    thigh_rect = _plot_rect(window, thighs)
    assert _ink_pixels(image, thigh_rect, LEFT_COLOR) > 50
    assert _ink_pixels(image, thigh_rect, RIGHT_COLOR) > 50
    bars = _plot_rect(window, window.bars.getPlotItem())
    assert _ink_pixels(image, bars, "#b0285a") + _ink_pixels(image, bars, "#2e7d4f") > 50


@pytest.mark.realtime  # the window stays up for --duration 3 s of wall-clock time
def test_headless_command_writes_screenshot_and_outputs(tmp_path):
    shot, out = tmp_path / "live.png", tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable, "-m", "sensorlab.cli", "live",
            "--source", f"replay:{STEP_UP}", "--speed", "max",
            "--duration", "3", "--screenshot", str(shot), "--out", str(out),
        ],
        capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    image = QtGui.QImage(str(shot))
    assert image.width() > 800 and image.height() > 500
    assert (out / "summary.json").exists() and (out / "report.html").exists()
    assert f"summary  {out / 'summary.json'}" in result.stdout
    catalogue = tmp_path / "sensorlab-catalogue.sqlite"  # beside the outputs folder
    assert f"catalogue {catalogue}" in result.stdout
    with sqlite3.connect(catalogue) as connection:
        assert connection.execute("SELECT outputs FROM sessions").fetchall() == [("out",)]


def test_a_session_without_the_pelvis_says_what_it_cannot_show(own_window, tmp_path):
    """Thigh sensors only: the window runs, counts reps, and names what the missing pelvis
    sensor takes away, as the report does."""
    from dataclasses import replace

    from sensorlab.io.writer import write_recording

    recording = read_recording(STEP_UP)
    thighs = replace(
        recording,
        chunks={p: c for p, c in recording.chunks.items() if p != "pelvis"},
        meta=replace(
            recording.meta,
            sensors={p: s for p, s in recording.meta.sensors.items() if p != "pelvis"},
        ),
    )
    path = tmp_path / "thighs.csv"
    write_recording(thighs, path)
    window = own_window(path)
    assert window.unavailable_note.isVisibleTo(window)
    assert "pelvic drop" in window.unavailable_note.text()
    assert "needs the pelvis sensor" in window.unavailable_note.text()
    batch = analyze(read_recording(path))
    assert window.tally.count("left") == sum(r.side == "left" for r in batch.reps) > 0
    assert window.sensor_table.rowCount() == 2


def test_stopping_waits_for_the_final_analysis_however_long_it_takes(monkeypatch):
    # The timeout bounds only the wait for the source to end: once the whole session is
    # being analysed (here held until released, as a long one would take), the runner waits
    # for it, so that closing the window never loses a session's summary.
    entered, release = threading.Event(), threading.Event()
    confirmed = Session._confirmed

    def held(self, analysis):
        entered.set()
        release.wait(60.0)
        return confirmed(self, analysis)

    monkeypatch.setattr(Session, "_confirmed", held)
    runner = SessionRunner(lambda: Session(ReplaySource.from_path(STEP_UP, speed=None))).start()
    assert entered.wait(120.0), "the replay did not end"
    threading.Timer(0.2, release.set).start()
    analysis = runner.stop(timeout_s=0.0)
    assert analysis is not None and len(analysis.reps) == len(analyze(read_recording(STEP_UP)).reps)
