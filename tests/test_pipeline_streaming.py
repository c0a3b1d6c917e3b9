"""One implementation for batch and streaming: blocks of any size give the same answer."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensorlab.io.blocks import slice_chunk
from sensorlab.processing.pipeline import (
    CalibrationDone,
    RepFinished,
    SessionAnalyzer,
    StepDetected,
    analyze,
)
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


def stream(recording, seed):
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    events = []
    for block in random_blocks(recording, np.random.default_rng(seed)):
        events.extend(analyzer.update([block]))
    analysis = analyzer.finish()
    return analysis, events


@pytest.mark.parametrize("scenario", ["step_up_messy", "walk_asymmetric"])
def test_random_blocks_give_the_batch_result(scenario):
    session = SCENARIOS[scenario](0, **({"duration_s": 20.0} if "walk" in scenario else {}))
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


def test_events_arrive_as_soon_as_judged_not_at_the_end():
    session = SCENARIOS["step_up_asymmetric"](0)
    analyzer = SessionAnalyzer(session.recording.meta)
    seen_at = []
    for block in random_blocks(session.recording, np.random.default_rng(2), max_block=10):
        for event in analyzer.update([block]):
            seen_at.append((event, float(block.t_s[-1])))
    analysis = analyzer.finish()
    calibrations = [t for e, t in seen_at if isinstance(e, CalibrationDone)]
    reps = [(e.rep, t) for e, t in seen_at if isinstance(e, RepFinished)]
    assert len(calibrations) == 1
    assert_same_records([rep for rep, _ in reps], analysis.reps)
    # Once calibrated, each rep is reported within a second of its end.
    late = [(rep.t_end, t) for rep, t in reps if t > calibrations[0] + 0.5 and t - rep.t_end > 1.0]
    assert not late
    assert not any(isinstance(e, StepDetected) for e, _ in seen_at)
