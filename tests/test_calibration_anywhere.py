"""Calibration from what the session gives: quiet standing anywhere, a checked sidecar span,
no standing at all, and any subset of the three sensors; all against simulated truth."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import replace

import numpy as np
import pytest

from sensorlab.errors import InputError
from sensorlab.processing.pipeline import SessionAnalyzer, analyze
from sensorlab.session import Session
from sensorlab.simulate import SCENARIOS
from sensorlab.simulate.scenarios import ASYMMETRIC_STEP_UPS, _sensors
from sensorlab.simulate.step_up import simulate_step_ups
from sensorlab.simulate.walk import WalkSettings, simulate_walk
from sensorlab.sources.replay import ReplaySource
from sensorlab.summary.outputs import write_outputs
from tests.test_pipeline_streaming import assert_same_records, time_ordered_blocks


def _with_span(recording, span):
    return replace(recording, meta=replace(recording.meta, calibration_span_s=span))


def _step_ups(seed, **timing):
    return simulate_step_ups(replace(ASYMMETRIC_STEP_UPS, **timing), _sensors(100.0), seed)


def _walk(seed, **timing):
    return simulate_walk(WalkSettings(duration_s=40.0, **timing), _sensors(100.0), seed)


def _max_rep_errors(analysis, truth):
    assert [r.side for r in analysis.reps] == [r.side for r in truth.reps]
    return {
        metric: max(
            abs(getattr(r, metric) - getattr(t, metric))
            for r, t in zip(analysis.reps, truth.reps, strict=True)
        )
        for metric in ("pelvic_drop_deg", "thigh_rom_deg", "pelvic_tilt_range_deg")
    }


def _step_drop_errors(analysis, truth):
    assert [s.side for s in analysis.steps] == [s.side for s in truth.steps]
    return np.array(
        [
            s.pelvic_drop_deg - t.pelvic_drop_deg
            for s, t in zip(analysis.steps, truth.steps, strict=True)
        ]
    )


@pytest.mark.parametrize("span", [None, (1.0, 2.9)], ids=["detected", "span-from-1s"])
def test_quiet_standing_off_the_first_row_gives_complete_outputs(tmp_path, span):
    """The crash of issue 13: rows before the quiet span had NaN times, so duration,
    cadence and step times were NaN and the report's plots failed."""
    session = SCENARIOS["walk_asymmetric"](0)
    recording = _with_span(session.recording, span)
    analysis = analyze(recording)
    assert np.isfinite(analysis.kinematics.t_s).all()
    assert analysis.kinematics.t_s[0] == pytest.approx(0.0, abs=0.02)
    last = max(float(chunk.t_s[-1]) for chunk in recording.chunks.values())
    assert analysis.duration_s == pytest.approx(last, abs=0.05)
    assert analysis.gait is not None and math.isfinite(analysis.gait.cadence_spm)
    outputs = write_outputs(analysis, tmp_path)

    def no_nan(token):
        raise AssertionError(f"{token} in summary.json")

    summary = json.loads(outputs.summary_path.read_text(), parse_constant=no_nan)
    assert summary["duration_s"] == pytest.approx(last, abs=0.05)
    assert summary["gait"]["cadence_spm"] is not None
    assert outputs.report_path.stat().st_size > 10_000
    assert len(analysis.steps) == len(session.truth.steps)


def test_standing_between_sets_keeps_the_first_set():
    """Quiet standing only after the first set: that set is analysed from the pose carried
    back in time, as accurately as the second."""
    session = _step_ups(0, standing_start_s=0.4, set_pause_s=6.0)
    analysis = analyze(_with_span(session.recording, None))
    first_set_end = max(r.t_end for r in session.truth.reps if r.side == session.truth.reps[0].side)
    assert analysis.calibration["pelvis"].static_span_s[0] > first_set_end - 1.0
    errors = _max_rep_errors(analysis, session.truth)
    assert errors["pelvic_drop_deg"] < 1.0
    assert errors["thigh_rom_deg"] < 1.0
    assert errors["pelvic_tilt_range_deg"] < 1.5
    assert all(c.method == "standing" for c in analysis.calibration.values())


def test_standing_only_at_the_end_of_a_walk():
    session = _walk(1, standing_start_s=0.4, standing_end_s=4.0)
    analysis = analyze(_with_span(session.recording, None))
    assert analysis.calibration["pelvis"].static_span_s[0] > 30.0
    assert np.abs(_step_drop_errors(analysis, session.truth)).max() < 1.0


def _streamed(recording, seed):
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    now = -np.inf
    for block in time_ordered_blocks(recording, np.random.default_rng(seed)):
        now = max(now, float(block.t_s[-1]))
        analyzer.update([block], now_t_s=now)
    return analyzer.finish()


def test_late_standing_streams_like_batch():
    session = _step_ups(2, standing_start_s=0.4, set_pause_s=6.0)
    recording = _with_span(session.recording, None)
    batch = analyze(recording)
    streamed = _streamed(recording, 7)
    assert_same_records(streamed.reps, batch.reps)
    np.testing.assert_allclose(
        streamed.kinematics.pelvis_obliquity_deg, batch.kinematics.pelvis_obliquity_deg, atol=1e-9
    )


def test_calibration_from_movement_streams_like_batch():
    recording = _with_span(_walk(3, standing_start_s=0.3, standing_end_s=0.3).recording, None)
    batch = analyze(recording)
    assert {c.method for c in batch.calibration.values()} == {"movement"}
    assert_same_records(_streamed(recording, 8).steps, batch.steps)


def test_a_replay_without_a_calibration_span_writes_every_output(tmp_path):
    """The live path (replay through a Session) of the issue-13 crash."""
    recording = _with_span(SCENARIOS["walk_asymmetric"](1).recording, None)
    session = Session(ReplaySource(recording, speed=None))

    async def run():
        return [event async for event in session.events()]

    asyncio.run(run())
    outputs = write_outputs(session.analysis, tmp_path)
    assert outputs.summary["gait"]["cadence_spm"] > 90
    assert outputs.summary["duration_s"] == pytest.approx(analyze(recording).duration_s)


def test_step_ups_without_standing_calibrate_on_the_pauses():
    session = _step_ups(1, standing_start_s=0.4, set_pause_s=1.0, standing_end_s=0.4)
    analysis = analyze(_with_span(session.recording, None))
    errors = _max_rep_errors(analysis, session.truth)
    assert errors["pelvic_drop_deg"] < 1.5 and errors["thigh_rom_deg"] < 1.5
    assert {c.method for c in analysis.calibration.values()} == {"pauses"}
    assert all(c.quality <= 0.5 for c in analysis.calibration.values())
    assert any("no quiet standing" in w and "brief pauses" in w for w in analysis.warnings)


def test_a_walk_without_standing_calibrates_on_the_movement():
    session = _walk(2, standing_start_s=0.3, standing_end_s=0.3)
    analysis = analyze(_with_span(session.recording, None))
    errors = _step_drop_errors(analysis, session.truth)
    assert np.median(np.abs(errors)) < 1.0 and np.abs(errors).max() < 2.0
    assert {c.method for c in analysis.calibration.values()} == {"movement"}
    assert all(c.quality <= 0.5 for c in analysis.calibration.values())
    assert any("average posture while moving" in w for w in analysis.warnings)


def test_a_sidecar_span_during_movement_is_replaced_by_the_still_span():
    session = SCENARIOS["step_up_asymmetric"](0)
    reference = analyze(session.recording)
    analysis = analyze(_with_span(session.recording, (20.0, 23.0)))
    warning = next(w for w in analysis.warnings if "20.00-23.00 s is not quiet standing" in w)
    assert "deg/s" in warning and "still span 0." in warning
    assert [r.side for r in analysis.reps] == [r.side for r in reference.reps]
    for got, expected in zip(analysis.reps, reference.reps, strict=True):
        assert got.pelvic_drop_deg == pytest.approx(expected.pelvic_drop_deg, abs=0.2)


def test_a_moving_sidecar_span_without_any_standing_is_refused():
    session = _walk(0, standing_start_s=0.3, standing_end_s=0.3)
    with pytest.raises(InputError, match=r"not quiet standing .*remove 'calibration'"):
        analyze(_with_span(session.recording, (10.0, 13.0)))


def _subset(recording, placements):
    return replace(
        recording,
        chunks={p: c for p, c in recording.chunks.items() if p in placements},
        meta=replace(
            recording.meta,
            sensors={p: s for p, s in recording.meta.sensors.items() if p in placements},
        ),
    )


def test_thighs_only_step_ups_count_reps_and_say_what_is_missing():
    session = SCENARIOS["step_up_asymmetric"](1)
    full = analyze(session.recording)
    analysis = analyze(_subset(session.recording, ("left_thigh", "right_thigh")))
    assert [r.side for r in analysis.reps] == [r.side for r in session.truth.reps]
    for got, expected, true in zip(analysis.reps, full.reps, session.truth.reps, strict=True):
        assert got.thigh_rom_deg == pytest.approx(expected.thigh_rom_deg, abs=0.5)
        assert math.isnan(got.pelvic_drop_deg)
        # Adduction in the thigh's own standing heading: the pelvis turns 3.6 deg here,
        # which moves it by up to about 1 deg (0.5 with the pelvis sensor).
        if not got.left_out:
            assert got.thigh_adduction_excursion_deg == pytest.approx(
                true.thigh_adduction_excursion_deg, abs=1.5
            )
    assert analysis.unavailable["pelvic_drop_deg"] == "needs the pelvis sensor"
    assert "pelvis" not in analysis.calibration


def test_step_ups_with_one_thigh_count_no_reps_and_say_why():
    session = SCENARIOS["step_up_asymmetric"](0)
    analysis = analyze(_subset(session.recording, ("pelvis", "left_thigh")), activity="step_up")
    assert analysis.reps == []
    assert any("needs the right thigh sensor" in w for w in analysis.warnings)
    assert np.isfinite(analysis.kinematics.pelvis_obliquity_deg).mean() > 0.95


def test_a_listed_sensor_without_samples_is_named_and_left_out():
    session = SCENARIOS["step_up_asymmetric"](0)
    recording = session.recording
    recording = replace(
        recording, chunks={p: c for p, c in recording.chunks.items() if p != "pelvis"}
    )
    analysis = analyze(recording)
    assert any("no samples from pelvis" in w for w in analysis.warnings)
    assert len(analysis.reps) == len(session.truth.reps)


@pytest.mark.parametrize(
    ("placement", "turned_mount"),
    [
        ("pelvis", {"x": "up", "y": "right", "z": "forward"}),
        ("left_thigh", {"x": "up", "y": "backward", "z": "right"}),
    ],
)
def test_a_mount_the_movement_contradicts_is_corrected_with_a_warning(placement, turned_mount):
    """A sensor strapped the other way round from its sidecar mount (turned 180 deg about
    the vertical) would swap left and right drops or read flexion as extension: the
    movement's axes are used, with a warning, and the result equals the right mount's."""
    session = SCENARIOS["step_up_asymmetric"](2)
    reference = analyze(session.recording)
    sensors = dict(session.recording.meta.sensors)
    sensors[placement] = replace(sensors[placement], mount=turned_mount)
    recording = replace(session.recording, meta=replace(session.recording.meta, sensors=sensors))
    analysis = analyze(recording)
    assert any(
        w.startswith(f"{placement}: the movement shows the sensor turned")
        for w in analysis.warnings
    )
    assert [r.side for r in analysis.reps] == [r.side for r in reference.reps]
    for got, expected in zip(analysis.reps, reference.reps, strict=True):
        assert got.pelvic_drop_deg == pytest.approx(expected.pelvic_drop_deg, abs=0.3)
        assert got.thigh_rom_deg == pytest.approx(expected.thigh_rom_deg, abs=0.3)


def test_which_sensors_are_analysed_is_decided_once_for_every_route():
    """A pelvis-only walk without sensors in its sidecar: batch and a stream (the CLI's and
    the live session's route) analyse the same sensor, with the same warnings, and do not
    call the absent thighs sensors listed in the sidecar."""
    session = SCENARIOS["walk_asymmetric"](1)
    recording = _subset(session.recording, ("pelvis",))
    recording = replace(recording, meta=replace(recording.meta, sensors={}))
    batch = analyze(recording)
    streamed = _streamed(recording, 5)
    assert set(batch.calibration) == set(streamed.calibration) == {"pelvis"}
    assert batch.warnings == streamed.warnings
    assert not any("listed in the sidecar" in w for w in batch.warnings)
    assert_same_records(streamed.steps, batch.steps)
