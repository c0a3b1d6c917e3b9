"""The live view's Qt-free parts: the angle ring, the running tally, session controls
(marks and recalibration, recorded and reproduced by a later analysis)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensorlab.buffer import TableRing
from sensorlab.errors import InputError
from sensorlab.io.recording import read_recording
from sensorlab.io.writer import write_recording
from sensorlab.live.tally import LiveTally
from sensorlab.processing.events import CalibrationDone, RepFinished, StepDetected
from sensorlab.processing.pipeline import RECALIBRATE, SessionAnalyzer, analyze
from sensorlab.records import Marker
from sensorlab.session import Session
from sensorlab.sources.replay import ReplaySource

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


@pytest.fixture(scope="module")
def step_up():
    return read_recording(RECORDINGS / "step_up_asymmetric.csv")


def test_table_ring_keeps_the_newest_rows_across_the_wrap():
    ring = TableRing(("t_s", "value"), capacity=5)
    assert ring.last()["t_s"].size == 0
    for start in range(0, 12, 3):  # 12 rows in blocks of 3: wraps twice
        rows = np.arange(start, start + 3, dtype=float)
        ring.write(np.column_stack([rows, 10 * rows]))
    assert ring.written_ == 12
    last = ring.last()
    np.testing.assert_array_equal(last["t_s"], [7, 8, 9, 10, 11])
    np.testing.assert_array_equal(last["value"], [70, 80, 90, 100, 110])
    np.testing.assert_array_equal(ring.last(2)["t_s"], [10, 11])
    ring.write(np.column_stack([np.arange(100.0, 108.0), np.zeros(8)]))  # more than capacity
    np.testing.assert_array_equal(ring.last()["t_s"], [103, 104, 105, 106, 107])
    with pytest.raises(ValueError, match="shape"):
        ring.write(np.zeros((2, 3)))


def test_tally_counts_and_symmetry_follow_the_reps(step_up):
    batch = analyze(step_up)
    tally = LiveTally()
    for rep in batch.reps:
        assert tally.add(RepFinished(rep))
    assert not tally.walking
    for side in ("left", "right"):
        assert tally.count(side) == sum(r.side == side for r in batch.reps)
    bars = {bar.metric: bar for bar in tally.bars()}
    left = np.mean([r.thigh_rom_deg for r in batch.reps if r.side == "left"])
    right = np.mean([r.thigh_rom_deg for r in batch.reps if r.side == "right"])
    assert bars["thigh_rom_deg"].left == pytest.approx(left)
    assert bars["thigh_rom_deg"].si_pct == pytest.approx(200 * (right - left) / (right + left))
    drop = bars["pelvic_drop_deg"]
    assert drop.level == "notable" and drop.si_pct > 15  # the bundled session's asymmetry


def test_tally_switches_to_gait_when_steps_dominate():
    from sensorlab.records import StepResult

    tally = LiveTally()
    for i in range(8):
        tally.add(StepDetected(StepResult("left" if i % 2 else "right", i * 0.5, 3.0, 0.5), i))
    assert tally.walking and tally.count("left") == 4
    assert tally.cadence_steps_min == pytest.approx(120.0)
    assert [bar.metric for bar in tally.bars()] == ["step_time_s", "pelvic_drop_deg"]


def test_live_cadence_is_the_summary_cadence():
    """The live view's cadence and the summary's come from one function: on a real walk
    with uneven step times (mean and median differ) they agree."""
    batch = analyze(read_recording(RECORDINGS / "walk_asymmetric.csv"))
    tally = LiveTally()
    for index, step in enumerate(batch.steps):
        tally.add(StepDetected(step, index))
    times = [s.step_time_s for s in batch.steps if s.step_time_s is not None]
    assert 60 / np.median(times) != pytest.approx(60 / np.mean(times), abs=0.05)
    assert tally.cadence_steps_min == pytest.approx(batch.gait.cadence_spm, abs=1e-9)


def _run_with_controls(recording, record_path: Path, controls) -> tuple[Session, list]:
    """Replay at max speed, calling ``controls(session, event)`` on each event."""
    session = Session(ReplaySource(recording, speed=None), record_path=record_path)

    async def run():
        events = []
        async for event in session.events():
            events.append(event)
            controls(session, event)
        return events

    return session, asyncio.run(run())


def test_marks_and_recalibration_are_recorded_and_reanalysed_alike(step_up, tmp_path):
    marked = []

    def controls(session, event):
        if isinstance(event, CalibrationDone):
            marked.append(session.mark())
        if isinstance(event, RepFinished) and event.rep.index == 9:
            marked.append(session.recalibrate())

    path = tmp_path / "marked.csv"
    session, _ = _run_with_controls(step_up, path, controls)
    assert [m.label for m in marked] == ["mark", RECALIBRATE]
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["events"] == [{"t_s": m.t_s, "label": m.label} for m in marked]

    # The recording reads back with its markers, and analyze re-levels where the live
    # session did: the same reps and metrics.
    again = read_recording(path)
    assert again.meta.markers == tuple(marked)
    batch = analyze(again)
    assert len(batch.reps) == len(session.analysis.reps) == 16
    for live, offline in zip(session.analysis.reps, batch.reps, strict=True):
        assert live.side == offline.side
        assert live.pelvic_drop_deg == pytest.approx(offline.pelvic_drop_deg, abs=0.1)

    # Re-levelling flags the rows from the marker until the sensors were still again
    # (the orientation is uncertain there; no data were lost).
    kinematics = session.analyzer.kinematics
    gap, t = kinematics["orientation_uncertain"], kinematics["t_s"]
    at = int(np.searchsorted(t, marked[1].t_s))
    assert gap[at] == 1.0
    assert gap[at - 50 : at].max() == 0.0
    assert gap[at : at + 500].min() == 0.0  # re-levelled within 5 s


def _analyzed(recording) -> SessionAnalyzer:
    analyzer = SessionAnalyzer(recording.meta)
    analyzer.update(recording.chunks.values())
    analyzer.finish()
    return analyzer


def test_recalibration_makes_a_difference_only_from_where_marked(step_up):
    plain = _analyzed(step_up)
    t_marker = plain.reps[9].t_end
    meta = replace(step_up.meta, markers=(Marker(t_marker, RECALIBRATE),))
    marked = _analyzed(replace(step_up, meta=meta))
    before = plain.kinematics["t_s"] < t_marker
    np.testing.assert_array_equal(
        marked.kinematics["pelvis_obliquity_deg"][before],
        plain.kinematics["pelvis_obliquity_deg"][before],
    )
    after = ~before
    uncertain = "orientation_uncertain"
    assert marked.kinematics[uncertain][after].sum() > plain.kinematics[uncertain][after].sum()


def test_recording_can_start_and_stop_mid_session(step_up, tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"

    # Reps before calibration come out twice (provisional, then refined): use later ones.
    def controls(session, event):
        if isinstance(event, RepFinished) and event.rep.index == 9:
            session.start_recording(first)
        if isinstance(event, RepFinished) and event.rep.index == 12:
            assert session.stop_recording() == first
            session.start_recording(second)

    session, _ = _run_with_controls(step_up, None, controls)
    a, b = read_recording(first), read_recording(second)
    reps = session.analysis.reps
    for placement, chunk in a.chunks.items():
        # From when it was started (the rings run a little ahead of the analysis).
        assert reps[9].t_end <= chunk.t_s[0] <= reps[9].t_end + 1.0
        assert chunk.t_s[-1] < b.chunks[placement].t_s[0] <= reps[12].t_end + 1.0
    assert b.chunks["pelvis"].t_s[-1] == pytest.approx(step_up.chunks["pelvis"].t_s[-1])
    # Nothing lost or repeated at the switch.
    n = {p: len(a.chunks[p]) + len(b.chunks[p]) for p in a.chunks}
    original = {p: int(np.sum(c.t_s >= a.chunks[p].t_s[0])) for p, c in step_up.chunks.items()}
    assert n == original


def test_bad_events_in_a_sidecar_are_named(step_up, tmp_path):
    path = tmp_path / "bad.csv"
    write_recording(step_up, path)
    sidecar = json.loads(path.with_suffix(".json").read_text())
    sidecar["events"] = [{"t_s": 3.0}, {"label": "mark"}]
    path.with_suffix(".json").write_text(json.dumps(sidecar, indent=1))
    with pytest.raises(InputError, match="event 2 needs a number t_s"):
        read_recording(path)
