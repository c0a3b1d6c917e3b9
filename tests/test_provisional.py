"""Feedback from the first rep (issue 12): provisional reps and steps, reported before the
headings are refined, against the refined ones and the simulator's truth.

Goal: reps, steps and sides identical to the refined ones, angles within 2 deg of them;
and, as the refined ones (``tests/test_pipeline_truth.py``), within 1.5 deg of the truth.
How far apart they are over more seeds: ``benchmarks/provisional.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.blocks import slice_chunk
from sensorlab.processing.events import (
    CalibrationDone,
    ProvisionalWithdrawn,
    RepFinished,
    StepDetected,
)
from sensorlab.processing.pipeline import SessionAnalyzer
from sensorlab.simulate import SCENARIOS

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
REP_ANGLES = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
)
GRID_S = 0.0101  # one sample of the 100 Hz grid


def streamed(recording, seed: int):
    """Random blocks in time order, as a live session receives them: the events with the
    stream time at which each came, and the final analysis."""
    rng = np.random.default_rng(seed)
    blocks = []
    for name, chunk in recording.chunks.items():
        lo = 0
        while lo < len(chunk):
            hi = min(lo + int(rng.integers(1, 21)), len(chunk))
            blocks.append((float(chunk.t_s[hi - 1]), name, lo, hi))
            lo = hi
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    events = []
    for now, name, lo, hi in sorted(blocks):
        block = slice_chunk(recording.chunks[name], lo, hi)
        events += [(event, now) for event in analyzer.update([block], now_t_s=now)]
    return events, analyzer.finish()


def _calibrated_at(events) -> float:
    (t,) = [now for event, now in events if isinstance(event, CalibrationDone)]
    return t


@pytest.mark.parametrize(
    ("scenario", "seed"), [("step_up_alternating", 0), ("step_up_asymmetric", 1)]
)
def test_provisional_reps_are_the_refined_reps_within_2_deg(scenario, seed):
    session = SCENARIOS[scenario](seed)
    events, analysis = streamed(session.recording, seed)
    calibrated_at = _calibrated_at(events)
    provisional = [
        (e.rep, now) for e, now in events if isinstance(e, RepFinished) and e.provisional
    ]
    assert not any(isinstance(e, ProvisionalWithdrawn) for e, _ in events)
    # Every rep judged before the refinement landed was shown, in order, within a
    # second of its end (the first one seconds into the session, not after 8 reps).
    before = [rep for rep in analysis.reps if rep.t_end < calibrated_at - 1.0]
    assert len(provisional) >= len(before) >= 3
    assert [rep.index for rep, _ in provisional] == list(range(len(provisional)))
    assert all(now - rep.t_end <= 1.0 for rep, now in provisional)
    assert provisional[0][1] - session.truth.reps[0].t_end <= 1.0
    for rep, _ in provisional:
        refined, true = analysis.reps[rep.index], session.truth.reps[rep.index]
        assert rep.side == refined.side == true.side
        assert rep.t_start == pytest.approx(refined.t_start, abs=GRID_S)
        assert rep.t_end == pytest.approx(refined.t_end, abs=GRID_S)
        for metric in REP_ANGLES:
            value = getattr(rep, metric)
            assert value == pytest.approx(getattr(refined, metric), abs=2.0), metric
            assert value == pytest.approx(getattr(true, metric), abs=1.5), metric


def test_provisional_steps_are_the_refined_steps_within_2_deg():
    session = SCENARIOS["walk_asymmetric"](2, duration_s=30.0)
    events, analysis = streamed(session.recording, 2)
    calibrated_at = _calibrated_at(events)
    provisional = [
        (e.index, e.step, now) for e, now in events if isinstance(e, StepDetected) and e.provisional
    ]
    assert not any(isinstance(e, ProvisionalWithdrawn) for e, _ in events)
    before = [step for step in analysis.steps if step.t < calibrated_at - 2.0]
    assert len(provisional) >= len(before) >= 10
    assert [index for index, _, _ in provisional] == list(range(len(provisional)))
    true_t = np.array([true.t for true in session.truth.steps])
    for index, step, _ in provisional:
        refined = analysis.steps[index]
        true = session.truth.steps[int(np.argmin(np.abs(true_t - step.t)))]
        assert step.side == refined.side == true.side
        assert step.t == pytest.approx(refined.t, abs=GRID_S)
        assert step.pelvic_drop_deg == pytest.approx(refined.pelvic_drop_deg, abs=2.0)
        assert step.pelvic_drop_deg == pytest.approx(true.pelvic_drop_deg, abs=1.5)


def test_replay_prints_each_rep_once_in_time_order(capsys, tmp_path):
    """The replay's printed events: the first rep seconds in, marked provisional until
    the calibration line; no backlog printed afterwards; times never go back."""
    path = RECORDINGS / "step_up_asymmetric.csv"
    assert main(["replay", str(path), "--speed", "max", "--out", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    stamps = [float(re.match(r"\[\s*([\d.]+) s\]", line).group(1)) for line in lines]
    assert stamps == sorted(stamps)
    new_reps = [line for line in lines if re.search(r"\] rep \d+, ", line)]
    numbers = [int(re.search(r"rep (\d+),", line).group(1)) for line in new_reps]
    assert numbers == list(range(1, 17))  # each of the 16 reps once
    calibrated = next(i for i, line in enumerate(lines) if "calibrated" in line)
    assert lines.index(new_reps[0]) < calibrated
    assert stamps[lines.index(new_reps[0])] < 10.0
    for line in new_reps:
        assert ("(provisional)" in line) == (lines.index(line) < calibrated)


def test_walk_replay_prints_in_time_order(capsys, tmp_path):
    """A walk's running lines start provisional and never go back in time, across the
    calibration line too (a step is judged a second or two after its contact)."""
    path = RECORDINGS / "walk_asymmetric.csv"
    assert main(["replay", str(path), "--speed", "max", "--out", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("[")]
    stamps = [float(re.match(r"\[\s*([\d.]+) s\]", line).group(1)) for line in lines]
    assert stamps == sorted(stamps)
    calibrated = next(i for i, line in enumerate(lines) if "calibrated" in line)
    assert calibrated > 0 and all("(provisional)" in line for line in lines[:calibrated])
    assert not any("(provisional)" in line for line in lines[calibrated:])
