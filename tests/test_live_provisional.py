"""The live window shows provisional reps at once, marked, and replaces them in place
with the refined values (offscreen Qt, pytest-qt)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sensorlab.io.recording import read_recording
from sensorlab.live.runner import SessionRunner
from sensorlab.live.window import LiveWindow
from sensorlab.processing.events import CalibrationDone, RepFinished
from sensorlab.session import Session
from sensorlab.sources.replay import ReplaySource

STEP_UP = Path(__file__).resolve().parents[1] / "recordings" / "step_up_asymmetric.csv"


def _session_events(recording) -> tuple[list, object]:
    session = Session(ReplaySource(recording, speed=None))

    async def run():
        return [event async for event in session.events()]

    return asyncio.run(run()), session.analysis


def test_provisional_reps_are_marked_then_replaced_in_place(qtbot, tmp_path):
    recording = read_recording(STEP_UP)
    events, analysis = _session_events(recording)
    runner = SessionRunner(lambda: Session(ReplaySource(recording, speed=1.0))).start()
    window = LiveWindow(runner, out_dir=tmp_path)
    qtbot.addWidget(window)
    window.timer.stop()  # this test hands the window its events itself
    try:
        first = next(i for i, e in enumerate(events) if isinstance(e, RepFinished))
        assert events[first].provisional
        for event in events[: first + 1]:
            window._take_event(event)
        panel = window.last_rep
        assert "provisional" in panel.headline.text()
        assert "italic" in panel.metrics.styleSheet()
        assert "provisional" in panel.counts.text()
        assert window.tally.count("right") == 1

        calibrated = next(i for i, e in enumerate(events) if isinstance(e, CalibrationDone))
        for event in events[first + 1 : calibrated]:
            window._take_event(event)
        shown = len(window.tally.reps)
        assert shown >= 3 and window.tally.provisional_reps == set(range(shown))
        for event in events[calibrated:]:
            window._take_event(event)
        # The refined reps replaced the provisional ones: the same count, nothing
        # provisional left, the window's reps are the analysis's.
        assert window.tally.reps == analysis.reps and not window.tally.provisional
        assert "provisional" not in panel.headline.text()
        assert "provisional" not in panel.counts.text()
        assert panel.metrics.styleSheet() == ""
        log = window.event_log.toPlainText().splitlines()
        new_reps = [line for line in log if " rep " in line and "refined" not in line]
        assert len(new_reps) == len(analysis.reps)  # each rep logged once as it came
        assert sum("(provisional)" in line for line in new_reps) == shown
        assert len(window._rep_spans) == len(analysis.reps)
    finally:
        runner.stop()
