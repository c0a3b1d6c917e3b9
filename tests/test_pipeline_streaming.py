"""One implementation for batch and streaming: blocks of any size give the same answer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensorlab.io.blocks import slice_chunk
from sensorlab.processing import kinematics
from sensorlab.processing.events import CalibrationDone, RepFinished, StepDetected
from sensorlab.processing.pipeline import SessionAnalyzer, analyze
from sensorlab.simulate import SCENARIOS


def random_blocks(recording, rng, max_block=50):
    """The recording's samples as random-size blocks, sensors interleaved at random."""
    cursors = dict.fromkeys(recording.chunks, 0)
    while True:
        open_sensors = [name for name, c in recording.chunks.items() if cursors[name] < len(c)]
        if not open_sensors:
            return
        name = open_sensors[rng.integers(len(open_sensors))]
        lo = cursors[name]
        hi = min(lo + int(rng.integers(1, max_block + 1)), len(recording.chunks[name]))
        cursors[name] = hi
        yield slice_chunk(recording.chunks[name], lo, hi)


def assert_same_records(actual, expected):
    """Same records, field by field; floats equal to 1e-9 (summation order may differ)."""
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected, strict=True):
        for name, value in dataclasses.asdict(b).items():
            got = getattr(a, name)
            if isinstance(value, float):
                assert got == pytest.approx(value, rel=0, abs=1e-9), name
            else:
                assert got == value, name


def time_ordered_blocks(recording, rng, max_block=50):
    """Random-size blocks released in time order, as sensors streaming together deliver."""
    blocks = []
    for name, chunk in recording.chunks.items():
        lo = 0
        while lo < len(chunk):
            hi = min(lo + int(rng.integers(1, max_block + 1)), len(chunk))
            blocks.append((float(chunk.t_s[hi - 1]), name, lo, hi))
            lo = hi
    for _, name, lo, hi in sorted(blocks):
        yield slice_chunk(recording.chunks[name], lo, hi)


def stream(recording, seed):
    """Feed random blocks as a live session does, telling the analysis the stream time."""
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    events = []
    now = -np.inf
    for block in time_ordered_blocks(recording, np.random.default_rng(seed)):
        now = max(now, float(block.t_s[-1]))
        events.extend(analyzer.update([block], now_t_s=now))
    analysis = analyzer.finish()
    return analysis, events


def test_any_interleaving_of_blocks_gives_the_batch_result():
    """Without stream time the analysis waits for every sensor: any order works."""
    session = SCENARIOS["step_up_messy"](1)
    batch = analyze(session.recording)
    analyzer = SessionAnalyzer(session.recording.meta)
    for block in random_blocks(session.recording, np.random.default_rng(4)):
        analyzer.update([block])
    assert_same_records(analyzer.finish().reps, batch.reps)


@pytest.mark.parametrize(
    ("scenario", "options"),
    [
        ("step_up_messy", {}),
        ("walk_asymmetric", {"duration_s": 20.0}),
        # Everyday BLE loss: 2 % in bursts of 1-10 samples, filled from earlier
        # repetitions (the fill waits for the samples after each loss).
        ("walk_asymmetric", {"duration_s": 20.0, "rate_hz": 60.0, "loss_fraction": 0.02}),
        ("step_up_alternating", {"reps_per_side": 3, "rate_hz": 200.0, "loss_fraction": 0.02}),
        # Seed 3 at 60 Hz: tilt checks after losses flag reps, one of them only after
        # the rep was judged, so it waits for the check (check_hold_s).
        ("step_up_alternating", {"seed": 3, "rate_hz": 60.0, "loss_fraction": 0.02}),
    ],
    ids=["step_up_messy", "walk", "walk-60Hz-lossy", "step_up-200Hz-lossy", "step_up-60Hz-lossy"],
)
def test_random_blocks_give_the_batch_result(scenario, options):
    options = dict(options)
    session = SCENARIOS[scenario](options.pop("seed", 0), **options)
    batch = analyze(session.recording)
    streamed, _ = stream(session.recording, seed=1)
    assert_same_records(streamed.reps, batch.reps)
    assert_same_records(streamed.steps, batch.steps)
    for field in dataclasses.fields(batch.kinematics):
        np.testing.assert_allclose(
            getattr(streamed.kinematics, field.name),
            getattr(batch.kinematics, field.name),
            rtol=0,
            atol=1e-9,
        )
    for placement, calibration in batch.calibration.items():
        np.testing.assert_allclose(
            streamed.calibration[placement].sensor_to_segment,
            calibration.sensor_to_segment,
            rtol=0,
            atol=1e-12,
        )
    assert len(batch.reps) + len(batch.steps) > 0


def test_kinematics_in_passes_of_any_size_are_the_whole_sessions(monkeypatch):
    """The kinematics computed a few hundred rows at a time (:data:`PASS_ROWS`) are the
    ones computed at once, row for row."""
    session = SCENARIOS["walk_asymmetric"](0, duration_s=20.0)
    monkeypatch.setattr(kinematics, "PASS_ROWS", 1_000_000)
    whole = analyze(session.recording).kinematics
    monkeypatch.setattr(kinematics, "PASS_ROWS", 333)
    in_passes = analyze(session.recording).kinematics
    assert whole.t_s.size > 3 * 333
    for field in dataclasses.fields(whole):
        np.testing.assert_allclose(
            getattr(in_passes, field.name), getattr(whole, field.name), rtol=0, atol=1e-12
        )


def with_non_finite(recording, seed, per_sensor=40):
    """A copy with NaN or +-inf in one acc or gyro cell of ``per_sensor`` samples of each
    sensor (as a decoder, a calibration file or the API may deliver)."""
    rng = np.random.default_rng(seed)
    chunks = {}
    for name, chunk in recording.chunks.items():
        acc, gyr = chunk.acc_m_s2.copy(), chunk.gyr_rad_s.copy()
        for row in rng.choice(len(chunk), per_sensor, replace=False):
            target = acc if rng.random() < 0.5 else gyr
            target[row, rng.integers(3)] = rng.choice([np.nan, np.inf, -np.inf])
        chunks[name] = dataclasses.replace(chunk, acc_m_s2=acc, gyr_rad_s=gyr)
    return dataclasses.replace(recording, chunks=chunks)


def test_non_finite_samples_are_dropped_counted_and_streaming_equals_batch():
    """One NaN used to poison every later grid row in batch (the resampler's running
    sums) but only one block in streaming; now the cleaner drops such samples, so batch,
    random blocks and the file without those samples all agree."""
    session = SCENARIOS["step_up_messy"](2)
    poisoned = with_non_finite(session.recording, seed=5)
    batch = analyze(poisoned)
    streamed, _ = stream(poisoned, seed=6)
    assert_same_records(streamed.reps, batch.reps)
    for field in dataclasses.fields(batch.kinematics):
        np.testing.assert_allclose(
            getattr(streamed.kinematics, field.name),
            getattr(batch.kinematics, field.name),
            rtol=0,
            atol=1e-9,
        )
    assert np.isfinite(batch.kinematics.pelvis_obliquity_deg[-100:]).all()
    for placement, quality in batch.quality.items():
        assert quality.non_finite == 40, placement
        assert streamed.quality[placement] == quality
    # The same as never having had those samples.
    chunks = {}
    for name, chunk in poisoned.chunks.items():
        finite = np.isfinite(chunk.acc_m_s2).all(axis=1) & np.isfinite(chunk.gyr_rad_s).all(axis=1)
        chunks[name] = chunk.take(finite)
    without = analyze(dataclasses.replace(poisoned, chunks=chunks))
    assert_same_records(batch.reps, without.reps)
    assert len(batch.reps) == len(session.truth.reps)


def test_reps_arrive_as_soon_as_judged_provisional_until_refined():
    """Every rep is reported within a second of its end, before the headings are refined
    (provisional) as after; the refinement replaces each provisional rep by index, and
    the reps shown in the end are the analysis's."""
    session = SCENARIOS["step_up_asymmetric"](0)
    analyzer = SessionAnalyzer(session.recording.meta)
    seen_at = []
    for block in random_blocks(session.recording, np.random.default_rng(2), max_block=10):
        for event in analyzer.update([block]):
            seen_at.append((event, float(block.t_s[-1])))
    analysis = analyzer.finish()
    calibrations = [t for e, t in seen_at if isinstance(e, CalibrationDone)]
    finished = [(e, t) for e, t in seen_at if isinstance(e, RepFinished)]
    assert len(calibrations) == 1
    shown, first_seen = {}, {}
    for event, t in finished:
        shown[event.rep.index] = event.rep
        first_seen.setdefault(event.rep.index, t)
    assert_same_records([shown[i] for i in sorted(shown)], analysis.reps)
    late = [(rep.t_end, first_seen[rep.index]) for rep in analysis.reps]
    assert not [(end, t) for end, t in late if t - end > 1.0]
    provisional = [(e.rep.index, t) for e, t in finished if e.provisional]
    assert provisional and all(t <= calibrations[0] for _, t in provisional)
    # Each provisional rep is replaced once, when the refinement lands.
    refined_at = {e.rep.index: t for e, t in finished if not e.provisional}
    assert all(refined_at[i] == calibrations[0] for i, _ in provisional)
    assert len(finished) == len(analysis.reps) + len(provisional)
    assert not any(isinstance(e, StepDetected) for e, _ in seen_at)


def test_a_silent_sensor_does_not_hold_the_others_back():
    """A thigh drops out for 6 s mid-session: once it counts as lost (3 s) the angles
    of the others go on streaming (a rep needs both thighs, so none is judged until it
    returns), and the stream ends with the batch result."""
    session = SCENARIOS["step_up_alternating"](0)
    recording = session.recording
    thigh = recording.chunks["left_thigh"]
    keep = (thigh.t_s < 45.0) | (thigh.t_s > 51.0)
    chunks = dict(recording.chunks)
    chunks["left_thigh"] = dataclasses.replace(
        thigh,
        t_s=thigh.t_s[keep],
        acc_m_s2=thigh.acc_m_s2[keep],
        gyr_rad_s=thigh.gyr_rad_s[keep],
        seq=thigh.seq[keep],
        device_t_s=thigh.device_t_s[keep],
    )
    recording = dataclasses.replace(recording, chunks=chunks)
    batch = analyze(recording)
    analyzer = SessionAnalyzer(recording.meta)
    angles_reached_while_silent = -np.inf
    now = -np.inf
    for block in time_ordered_blocks(recording, np.random.default_rng(3), max_block=10):
        now = max(now, float(block.t_s[-1]))
        analyzer.update([block], now_t_s=now)
        if now < 51.0 and analyzer.kinematics.size:
            angles_reached_while_silent = float(analyzer.kinematics["t_s"][-1])
    streamed = analyzer.finish()
    assert angles_reached_while_silent > 50.0 - 3.0 - 0.5
    assert np.isnan(
        streamed.kinematics.left_thigh_sagittal_deg[
            (streamed.kinematics.t_s > 46) & (streamed.kinematics.t_s < 50)
        ]
    ).all()
    assert_same_records(streamed.reps, batch.reps)


def test_a_long_loss_relevelled_over_strides_gives_the_batch_result():
    """A 1 s loss of every sensor mid-walk: the stride-average re-levelling after it
    carries its state (the history before the loss, the sums after it) across blocks."""
    session = SCENARIOS["walk_asymmetric"](1, duration_s=30.0)
    chunks = {}
    for placement, chunk in session.recording.chunks.items():
        keep = (chunk.t_s < 12.0) | (chunk.t_s > 13.0)
        chunks[placement] = dataclasses.replace(
            chunk,
            t_s=chunk.t_s[keep],
            acc_m_s2=chunk.acc_m_s2[keep],
            gyr_rad_s=chunk.gyr_rad_s[keep],
            seq=chunk.seq[keep],
            device_t_s=chunk.device_t_s[keep],
        )
    recording = dataclasses.replace(session.recording, chunks=chunks)
    batch = analyze(recording)
    streamed, _ = stream(recording, seed=2)
    assert_same_records(streamed.steps, batch.steps)
    assert any(step.left_out for step in batch.steps)
    assert not all(step.left_out for step in batch.steps if step.t > 13.0)
    np.testing.assert_allclose(
        streamed.kinematics.left_thigh_sagittal_deg,
        batch.kinematics.left_thigh_sagittal_deg,
        rtol=0,
        atol=1e-9,
    )
