"""What the movement looks like, and no confident report from a movement that is not the
activity analysed, from data that miss too much, or from a poor calibration.

Truth: the simulator's step-ups, walks, lunges and squats (physically exact, known
activity and rep counts), the real MTw walk in ``tests/data`` and, when ``../shared`` is
beside the repository, the real lower-back walks of the IPOL set (pelvis only).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from test_pipeline_streaming import time_ordered_blocks
from test_realdata_gait import mtw_detector_input

from sensorlab.io.recording import read_recording
from sensorlab.processing.activity import classify_movement
from sensorlab.processing.pipeline import SessionAnalyzer, analyze
from sensorlab.records import Recording
from sensorlab.simulate import SCENARIOS, BodyMotion, simulate_motion
from sensorlab.summary.findings import (
    MAX_MISSING_PCT,
    MIN_CALIBRATION_QUALITY,
    finding_sentences,
    findings_withheld,
)
from sensorlab.summary.report import render_report
from sensorlab.summary.summary import build_summary
from sensorlab.summary.text import format_text_summary

REPO = Path(__file__).resolve().parents[1]
IPOL = Path(__file__).resolve().parents[2] / "shared" / "data" / "ipol-lowback-gait-dev"

# scenario -> the label its movement must get
CASES = {
    "step_up_asymmetric": "step_up",
    "step_up_alternating": "step_up",
    "walk_asymmetric": "walk",
    "walk_symmetric": "walk",
    "lunges": "other_exercise",
    "squats": "other_exercise",
}
LIFT_KIND = {"step_up_asymmetric": "step_up", "lunges": "lunge", "squats": "squat"}


def _without_activity(recording: Recording) -> Recording:
    return dataclasses.replace(recording, meta=dataclasses.replace(recording.meta, activity=None))


@pytest.fixture(scope="module")
def kinematics():
    """Per scenario (seed 1): the truth and the pipeline's grid columns (the classifier's
    input as the pipeline feeds it: every row from the first sample)."""
    out = {}
    for name in CASES:
        session = SCENARIOS[name](1)
        analyzer = SessionAnalyzer(session.recording.meta, "walk" if "walk" in name else "step_up")
        analyzer.update(session.recording.chunks.values())
        analyzer.finish()
        columns = {c: analyzer.kinematics[c].copy() for c in analyzer.kinematics.names}
        out[name] = (session, columns)
    return out


def _classify(columns: dict, signals: str):
    """Classify with the sensors of ``signals``: ``all``, ``thighs``, ``pelvis`` or
    ``left+pelvis``; a missing sensor's column is all NaN, as the pipeline leaves it."""
    missing = np.full_like(columns["t_s"], np.nan)
    left = signals in ("all", "thighs", "left+pelvis")
    right = signals in ("all", "thighs")
    pelvis = signals in ("all", "pelvis", "left+pelvis")
    return classify_movement(
        columns["t_s"],
        columns["left_thigh_sagittal_deg"] if left else missing,
        columns["right_thigh_sagittal_deg"] if right else missing,
        columns["pelvis_vertical_acc_m_s2"] if pelvis else missing,
        100.0,
    )


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("signals", ["all", "thighs", "left+pelvis"])
def test_each_movement_gets_its_label(kinematics, name, signals):
    _, columns = kinematics[name]
    movement = _classify(columns, signals)
    assert movement.label == CASES[name], movement.description
    used = {
        "all": ("thighs", "pelvis"),
        "thighs": ("thighs",),
        "left+pelvis": ("one thigh", "pelvis"),
    }
    assert movement.signals == used[signals]


@pytest.mark.parametrize("name", LIFT_KIND)
def test_every_true_rep_is_one_lift_of_its_kind(kinematics, name):
    session, columns = kinematics[name]
    movement = _classify(columns, "all")
    true_reps = len(session.truth.reps) or session.truth.settings["DrillSettings"]["reps"]
    assert movement.count(LIFT_KIND[name]) == true_reps
    assert len(movement.lifts) == true_reps


def test_a_pelvis_only_walk_is_a_walk(kinematics):
    for name in ("walk_asymmetric", "walk_symmetric"):
        session, columns = kinematics[name]
        movement = _classify(columns, "pelvis")
        assert movement.label == "walk"
        assert movement.signals == ("pelvis",)
        true_step = 60.0 / session.truth.settings["WalkSettings"]["cadence_spm"]
        assert movement.step_time_s == pytest.approx(true_step, abs=0.03)


@pytest.mark.parametrize("name", ["step_up_asymmetric", "lunges", "squats"])
def test_the_pelvis_alone_never_calls_a_drill_a_walk(kinematics, name):
    """Without thighs a drill cannot be told apart, but it must not pass for a walk."""
    _, columns = kinematics[name]
    assert _classify(columns, "pelvis").label == "unknown"


def test_standing_still_and_no_signal():
    standing = simulate_motion(BodyMotion.standing(), 20.0, seed=3)
    analysis = analyze(standing.recording, "step_up")
    assert analysis.movement.label == "standing"
    assert analysis.activity_basis == "given" and analysis.reps == []
    assert any("could not be confirmed from the movement: standing" in w for w in analysis.warnings)
    t = np.arange(1000) / 100.0
    nothing = np.full_like(t, np.nan)
    assert classify_movement(t, nothing, nothing, nothing, 100.0).label == "unknown"


def test_the_real_mtw_walk_is_a_walk_from_any_sensor_set():
    walk = mtw_detector_input()
    for thighs, pelvis in ((True, True), (True, False), (False, True)):
        movement = classify_movement(
            walk.t_s,
            walk.left_thigh_deg if thighs else None,
            walk.right_thigh_deg if thighs else None,
            walk.vertical_acc_m_s2 if pelvis else None,
            100.0,
        )
        assert movement.label == "walk", (thighs, pelvis, movement.description)
        # 24 steps in 6.06-23.51 s (tests/realdata.py): step time 0.71 s on average.
        assert 0.6 < movement.step_time_s < 0.8


@pytest.mark.skipif(not IPOL.exists(), reason="../shared/data/ipol-lowback-gait-dev is absent")
def test_real_lower_back_walks_are_walks():
    """Every IPOL development trial (stand, 10 m, U-turn, 10 m back; one L5 sensor) is a
    walk from the pelvis alone. Vertical acceleration: along the standing up vector."""
    files = sorted((IPOL / "GaitData").glob("*_lb.txt"))
    assert files
    labels = []
    for path in files:
        data = np.loadtxt(path, skiprows=2)
        acc = data[:, 1:4]
        up = acc[:100].mean(axis=0)
        vertical = acc @ (up / np.linalg.norm(up)) - np.linalg.norm(up)
        t = np.arange(len(vertical)) / 100.0
        labels.append(classify_movement(t, None, None, vertical, 100.0).label)
    assert labels == ["walk"] * len(files)


# ------------------------------------------------------------------ the analysis


@pytest.fixture(scope="module")
def step_ups():
    return SCENARIOS["step_up_asymmetric"](0)


@pytest.fixture(scope="module")
def walk():
    return SCENARIOS["walk_asymmetric"](0)


def _reported(analysis):
    summary = build_summary(analysis)
    return summary, format_text_summary(summary), render_report(analysis, summary)


def _assert_no_finding(summary, text, report):
    assert summary["findings_withheld"]
    assert "consistent with" not in text
    assert "consistent with" not in report
    assert "No warnings" not in text
    assert finding_sentences(summary)[0].startswith("No finding is stated")
    assert "No finding is stated" in report


def test_step_ups_analysed_as_a_walk_are_not_a_walk(step_ups):
    analysis = analyze(step_ups.recording, "walk")
    assert analysis.activity == "walk" and analysis.activity_basis == "contradicted"
    assert analysis.steps == [] and analysis.reps == [] and analysis.gait is None
    warning = next(w for w in analysis.warnings if "--activity" in w)
    assert "looks like step-ups" in warning
    assert f"{len(step_ups.truth.reps)} lifts of one thigh" in warning
    summary, text, report = _reported(analysis)
    _assert_no_finding(summary, text, report)
    assert "cadence" not in text


def test_a_walk_analysed_as_step_ups_is_not_step_ups(walk):
    analysis = analyze(walk.recording, "step_up")
    assert analysis.activity_basis == "contradicted"
    assert analysis.reps == []
    assert any("looks like walking" in w for w in analysis.warnings)
    _assert_no_finding(*_reported(analysis))


@pytest.mark.parametrize("name, kind", [("lunges", "lunge"), ("squats", "squat")])
def test_a_drill_without_an_activity_is_detected_from_its_reps(name, kind):
    session = SCENARIOS[name](2)
    analysis = analyze(_without_activity(session.recording))
    assert analysis.movement.label == "other_exercise"
    assert (analysis.activity, analysis.activity_basis) == (kind, "detected")
    assert [r.side for r in analysis.reps] == [r.side for r in session.truth.drill_reps]
    assert analysis.steps == []
    assert any(f"analysed as {kind} because 12 of its repetitions" in w for w in analysis.warnings)


@pytest.mark.parametrize("name", ["lunges", "squats"])
@pytest.mark.parametrize("activity", ["step_up", "walk"])
def test_a_drill_analysed_as_step_ups_or_walk_gives_no_reps_and_no_finding(name, activity):
    session = SCENARIOS[name](2)
    analysis = analyze(_without_activity(session.recording), activity)
    assert analysis.movement.label == "other_exercise"
    assert analysis.reps == [] and analysis.steps == []
    assert (analysis.activity, analysis.activity_basis) == (activity, "contradicted")
    word = "lunges" if name == "lunges" else "squats"
    assert any(f"looks like {word}" in w for w in analysis.warnings)
    _assert_no_finding(*_reported(analysis))


@pytest.mark.parametrize("name", ["lunges", "squats"])
def test_a_drill_streamed_in_random_blocks_is_judged_as_in_batch(name):
    """Streamed without an activity, a drill is found as in one block. A lunge's alignment
    needs the activity given (its thighs do not show their flexion sign), so the stream
    reports it without findings; batch analysis analyses it again as a lunge."""
    session = SCENARIOS[name](0)
    recording = _without_activity(session.recording)
    analyzer = SessionAnalyzer(recording.meta, source=recording.source)
    for block in time_ordered_blocks(recording, np.random.default_rng(5)):
        analyzer.update([block], now_t_s=float(block.t_s[-1]))
    streamed = analyzer.finish()
    one_block = SessionAnalyzer(recording.meta, source=recording.source, provisional=False)
    one_block.update(recording.chunks.values())
    batch = one_block.finish()
    assert repr(streamed.movement) == repr(batch.movement)  # NaN step time included
    assert (streamed.activity, streamed.activity_basis) == (batch.activity, batch.activity_basis)
    assert streamed.reps == batch.reps
    assert streamed.warnings == batch.warnings
    assert streamed.recorded_s == batch.recorded_s
    expected = "guessed" if name == "lunges" else "detected"
    assert streamed.activity_basis == expected
    if expected == "guessed":
        _assert_no_finding(*_reported(streamed))
        assert analyze(recording).activity_basis == "detected"


def test_a_sensor_missing_30_percent_withholds_the_findings(step_ups):
    chunk = step_ups.recording.chunks["left_thigh"]
    rng = np.random.default_rng(4)
    keep = np.sort(rng.choice(len(chunk), int(0.7 * len(chunk)), replace=False))
    chunks = {**step_ups.recording.chunks, "left_thigh": chunk.take(keep)}
    analysis = analyze(dataclasses.replace(step_ups.recording, chunks=chunks))
    assert len(analysis.reps) == len(step_ups.truth.reps)  # the reps are still counted
    summary, text, report = _reported(analysis)
    assert summary["quality"]["left_thigh"]["missing_pct"] == pytest.approx(30.0, abs=0.5)
    assert summary["quality"]["pelvis"]["missing_pct"] < MAX_MISSING_PCT
    _assert_no_finding(summary, text, report)
    assert any("left_thigh misses 30%" in w for w in summary["warnings"])


def test_losses_without_a_counter_count_as_missing(step_ups):
    """A device without a sample counter loses 30 % of its samples: no counter shows it,
    the shortfall against the session's duration at the sensor's rate does."""
    chunk = step_ups.recording.chunks["pelvis"]
    rng = np.random.default_rng(7)
    keep = np.sort(rng.choice(len(chunk), int(0.7 * len(chunk)), replace=False))
    uncounted = dataclasses.replace(chunk.take(keep), seq=None)
    chunks = {**step_ups.recording.chunks, "pelvis": uncounted}
    analysis = analyze(dataclasses.replace(step_ups.recording, chunks=chunks))
    summary = build_summary(analysis)
    assert summary["quality"]["pelvis"]["lost"] == 0
    assert summary["quality"]["pelvis"]["missing_pct"] == pytest.approx(30.0, abs=1.0)
    assert any("pelvis misses 30%" in reason for reason in summary["findings_withheld"])


def test_a_sensor_that_stops_early_counts_as_missing(step_ups):
    """The analysis ends with the first sensor to end: its shortfall against the
    recording's length still counts."""
    chunk = step_ups.recording.chunks["pelvis"]
    keep = chunk.t_s < 0.6 * chunk.t_s[-1]
    chunks = {**step_ups.recording.chunks, "pelvis": chunk.take(keep)}
    analysis = analyze(dataclasses.replace(step_ups.recording, chunks=chunks))
    assert analysis.recorded_s == pytest.approx(step_ups.truth.duration_s, abs=0.05)
    summary = build_summary(analysis)
    assert summary["quality"]["pelvis"]["missing_pct"] == pytest.approx(40.0, abs=1.0)
    assert summary["quality"]["left_thigh"]["missing_pct"] < 1.0
    assert any("pelvis misses 40%" in reason for reason in summary["findings_withheld"])
    assert any("where the pelvis data end" in w for w in analysis.warnings)


def test_a_calibration_below_the_threshold_withholds_the_findings(step_ups):
    analysis = analyze(step_ups.recording)
    assert build_summary(analysis)["findings_withheld"] == []
    calibration = dict(analysis.calibration)
    calibration["pelvis"] = dataclasses.replace(
        calibration["pelvis"], quality=MIN_CALIBRATION_QUALITY - 0.05
    )
    poor = dataclasses.replace(analysis, calibration=calibration)
    summary, text, report = _reported(poor)
    _assert_no_finding(summary, text, report)
    assert any("pelvis calibration quality 0.35" in r for r in summary["findings_withheld"])


def test_a_shaky_standing_pose_withholds_the_findings(step_ups):
    """The real path: the pelvis shakes (0.25 m/s^2 RMS per axis) during the sidecar's
    calibration span, so its calibration quality drops below the threshold."""
    chunk = step_ups.recording.chunks["pelvis"]
    start, end = step_ups.recording.meta.calibration_span_s
    inside = (chunk.t_s >= start) & (chunk.t_s <= end)
    acc = chunk.acc_m_s2.copy()
    acc[inside] += np.random.default_rng(6).normal(0.0, 0.25, (int(inside.sum()), 3))
    chunks = {**step_ups.recording.chunks, "pelvis": dataclasses.replace(chunk, acc_m_s2=acc)}
    analysis = analyze(dataclasses.replace(step_ups.recording, chunks=chunks))
    assert analysis.calibration["pelvis"].quality < MIN_CALIBRATION_QUALITY
    _assert_no_finding(*_reported(analysis))


@pytest.mark.parametrize("name", ["step_up_asymmetric", "walk_asymmetric"])
@pytest.mark.parametrize("sidecar_activity", [True, False])
def test_the_bundled_sessions_keep_their_activity_and_findings(name, sidecar_activity):
    recording = read_recording(REPO / "recordings" / f"{name}.csv")
    if not sidecar_activity:
        recording = _without_activity(recording)
    analysis = analyze(recording)
    expected = name.split("_asymmetric")[0]
    assert analysis.activity == expected
    assert analysis.activity_basis == ("given" if sidecar_activity else "detected")
    assert analysis.movement.label == expected
    summary, text, _ = _reported(analysis)
    assert summary["findings_withheld"] == []
    assert "gluteus medius" in text
    assert (len(analysis.reps) or len(analysis.steps)) > 0


def test_findings_withheld_reads_the_summary_only():
    """The rule on a summary dict alone (as another program would write it)."""
    summary = {
        "activity_basis": "given",
        "quality": {
            "pelvis": {
                "missing_pct": MAX_MISSING_PCT,
                "calibration_quality": MIN_CALIBRATION_QUALITY,
            }
        },
    }
    assert findings_withheld(summary) == []  # at the thresholds: still stated
    summary["quality"]["pelvis"]["missing_pct"] = MAX_MISSING_PCT + 0.1
    assert findings_withheld(summary) == ["pelvis misses 20% of its samples (more than 20%)"]
    # A sensor that was not recorded at all is a smaller sensor set, not a loss.
    summary["quality"]["pelvis"].update(samples=0, missing_pct=100.0)
    assert findings_withheld(summary) == []


def test_a_sidecar_naming_the_wrong_drill_is_contradicted(step_ups):
    """Step-ups whose sidecar says split_squat: no split squat reps, and the warning says
    what the movement looks like and how to analyse it."""
    meta = dataclasses.replace(step_ups.recording.meta, activity="split_squat")
    analysis = analyze(dataclasses.replace(step_ups.recording, meta=meta))
    assert (analysis.activity, analysis.activity_basis) == ("split_squat", "contradicted")
    assert analysis.reps == [] and analysis.steps == []
    warning = next(w for w in analysis.warnings if "split_squat" in w)
    assert "looks like step-ups" in warning and "--activity step_up" in warning
    _assert_no_finding(*_reported(analysis))


def test_a_sidecar_naming_an_activity_that_is_not_analysed_is_reported_not_refused(step_ups):
    """The contract lets a sidecar say any word: exit 0, no reps, and when the movement is
    in fact an analysed one, the warning says how to analyse it."""
    meta = dataclasses.replace(step_ups.recording.meta, activity="pistol_squat")
    analysis = analyze(dataclasses.replace(step_ups.recording, meta=meta))
    assert (analysis.activity, analysis.activity_basis) == ("pistol_squat", "not_analysed")
    assert analysis.reps == [] and analysis.steps == []
    warning = next(w for w in analysis.warnings if "pistol_squat" in w)
    assert "looks like step-ups" in warning and "--activity step_up" in warning
    _assert_no_finding(*_reported(analysis))


def test_an_activity_chosen_during_a_live_session_is_the_one_checked(walk):
    """The live toolbar sets the activity on the running analysis."""
    meta = dataclasses.replace(walk.recording.meta, activity="squat")
    analyzer = SessionAnalyzer(meta)
    analyzer.activity = "step_up"
    analyzer.update(walk.recording.chunks.values())
    analysis = analyzer.finish()
    assert analysis.activity_basis == "contradicted"
    assert any("step_up (as chosen during the session)" in w for w in analysis.warnings)


def test_autocorrelations_match_a_direct_sum_with_missing_samples():
    """The batched FFT autocorrelation (gap-aware, unbiased) against the definition."""
    from sensorlab.processing.activity import _autocorrelations

    rng = np.random.default_rng(8)
    windows = rng.normal(size=(5, 300)) + np.sin(np.arange(300) / 7.0)
    windows[1, 40:90] = np.nan
    windows[3, rng.random(300) < 0.2] = np.nan
    max_lag = 120
    got = _autocorrelations(windows, max_lag)
    for row, x in zip(got, windows, strict=True):
        valid = np.isfinite(x)
        c = np.where(valid, x - x[valid].mean(), 0.0)
        w = valid.astype(float)
        direct = np.array(
            [
                np.dot(c[: x.size - k], c[k:]) / np.dot(w[: x.size - k], w[k:])
                for k in range(max_lag + 1)
            ]
        )
        np.testing.assert_allclose(row, direct / direct[0], atol=1e-10)


@pytest.mark.parametrize("seed", range(10))
def test_window_stats_are_those_of_each_gathered_window_bit_for_bit(seed):
    """The per-window counts and stats, from one pass over the samples, against each
    window's row reduced on its own."""
    from sensorlab.processing.activity import _finite_stats, _window_counts

    rng = np.random.default_rng(seed)
    x = rng.normal(loc=rng.normal(), scale=10.0 ** rng.uniform(-2, 2), size=3000)
    x[rng.random(x.size) < rng.random() * 0.6] = np.nan
    x[1000:1400] = np.nan
    width = int(rng.integers(50, 700))
    starts = np.sort(rng.choice(x.size - width + 1, size=40, replace=False))
    windows = np.stack([x[start : start + width] for start in starts])
    valid = np.isfinite(windows)
    values = np.where(valid, windows, 0.0)
    n = np.maximum(valid.sum(axis=1), 1)
    mean, mean_square = values.sum(axis=1) / n, (values**2).sum(axis=1) / n
    present, sd, rms = _finite_stats(x, starts, width)
    np.testing.assert_array_equal(_window_counts(np.isfinite(x), starts, width), valid.sum(axis=1))
    np.testing.assert_array_equal(present, valid.mean(axis=1))
    np.testing.assert_array_equal(sd, np.sqrt(np.maximum(mean_square - mean**2, 0.0)))
    np.testing.assert_array_equal(rms, np.sqrt(mean_square))


def test_a_trail_thigh_behind_at_the_peak_is_still_a_step_up_when_the_pelvis_rises(kinematics):
    """People push off early: the trail thigh 12 deg behind while the lead one is up. The
    pelvis rising decides; the thighs alone would take that split stance for a lunge."""
    _, columns = kinematics["step_up_asymmetric"]
    left = columns["left_thigh_sagittal_deg"].copy()
    right = columns["right_thigh_sagittal_deg"].copy()
    left[(right > 30) & (np.abs(left) < 15)] -= 12.0
    right[(columns["left_thigh_sagittal_deg"] > 30) & (np.abs(right) < 15)] -= 12.0
    early = {**columns, "left_thigh_sagittal_deg": left, "right_thigh_sagittal_deg": right}
    movement = _classify(early, "all")
    assert movement.label == "step_up", movement.description
    assert all(lift.other_at_peak_deg < -8.0 for lift in movement.lifts)
    assert _classify(early, "thighs").label == "other_exercise"


@pytest.mark.parametrize("seed", range(10))
def test_lifts_sharing_a_rest_row_get_their_own_spans_heights_bit_for_bit(seed):
    """The pelvis's sink and rise of lifts integrated from a shared rest row, against each
    lift's own span integrated twice on its own."""
    from sensorlab.processing.activity import _sinks_and_rises

    rng = np.random.default_rng(seed)
    rate_hz = 100.0
    acc = rng.normal(scale=10.0 ** rng.uniform(-1, 1), size=5000)
    # A few rest rows, each shared by several lifts ending at different rows, in any order.
    rests, peaks, ends = [], [], []
    for rest in rng.choice(4000, size=4, replace=False):
        for _ in range(int(rng.integers(1, 6))):
            end = int(rng.integers(rest + 2, min(rest + 1000, acc.size) + 1))
            rests.append(int(rest))
            peaks.append(int(rng.integers(rest, end)))
            ends.append(end)
    order = rng.permutation(len(rests))
    rests, peaks, ends = ([column[i] for i in order] for column in (rests, peaks, ends))
    sinks, rises = _sinks_and_rises(acc, rests, peaks, ends, rate_hz)
    for rest, peak, end, sink, rise in zip(rests, peaks, ends, sinks, rises, strict=True):
        height = np.cumsum(np.cumsum(acc[rest:end]) / rate_hz) / rate_hz
        assert sink == -height[: peak - rest + 1].min()
        assert rise == height.max()


def _lifts_one_by_one(t_s, thighs, acc, rate_hz, s):
    """The lifts as their definition reads, one lift and one row at a time (no pass shared)."""
    from sensorlab.processing.activity import _lift_kind

    sides = list(thighs)
    n = t_s.size
    flexed = {side: np.where(np.isnan(angle), -np.inf, angle) for side, angle in thighs.items()}
    most = np.max([flexed[side] for side in sides], axis=0)
    still = np.ones(n, dtype=bool)
    for angle in thighs.values():
        still &= ~(np.abs(np.gradient(angle)) * rate_hz > s.still_rate_dps)
    lifts = []
    row = 0
    while row < n:
        if not most[row] > s.lift_deg:
            row += 1
            continue
        end = row
        while end < n and most[end] > s.lift_deg:
            end += 1
        peak = row + int(np.argmax(most[row:end]))
        side = max(sides, key=lambda x: (flexed[x][peak], -sides.index(x)))
        angle = thighs[side]
        below = next((r for r in range(peak - 1, -1, -1) if not angle[r] >= s.rest_deg), -1)
        lift_start = below if below >= 0 else max(peak - round(2 * rate_hz), 0)
        other = thighs.get("right" if side == "left" else "left")
        at_peak = float(other[peak]) if other is not None else np.nan
        follow = other[peak : peak + round(s.follow_s * rate_hz)] if other is not None else None
        follow_deg = (
            float(np.nanmax(follow)) if follow is not None and np.isfinite(follow).any() else np.nan
        )
        sink = rise = np.nan
        if acc is not None:
            window = round(s.height_window_s * rate_hz)
            resting = next((r for r in range(lift_start, -1, -1) if still[r]), -1)
            rest = resting if resting >= max(lift_start - window, 0) else lift_start
            span = np.where(np.isfinite(acc), acc, 0.0)[rest : min(peak + window, n)]
            height = np.cumsum(np.cumsum(span) / rate_hz) / rate_hz
            sink, rise = float(-height[: peak - rest + 1].min()), float(height.max())
        kind = _lift_kind(at_peak, follow_deg, sink, rise, s)
        lifts.append(
            (side, float(t_s[peak]), float(angle[peak]), at_peak, follow_deg, sink, rise, kind)
        )
        row = end
    return lifts


@pytest.mark.parametrize("seed", range(12))
def test_lifts_found_together_are_those_found_one_by_one(seed):
    """Every lift's peak, start, rest row and measures, found for all lifts at once, against
    the definition applied one lift and one row at a time, on random thighs (with ties at
    the peak, missing spans, one thigh) and a random pelvis (or none)."""
    from sensorlab.processing.activity import DEFAULT_MOVEMENT, _lifts

    rng = np.random.default_rng(seed)
    rate_hz, n = 100.0, 6000
    t_s = np.arange(n) / rate_hz
    thighs = {}
    for side in ("left", "right"):
        # Slow swings past lift_deg with rests in between, rounded to whole degrees so
        # that peaks and rests tie; some of it missing.
        phase = np.cumsum(rng.uniform(0.2, 1.5, size=n)) / rate_hz
        angle = np.round(40 * np.sin(phase) + 20 * np.sin(2.3 * phase) + rng.normal(0, 2, n))
        angle[rng.integers(0, n - 300) :][:300] = np.nan
        thighs[side] = angle
    # A first lift with the thigh never below the rest angle before it (its start: 2 s
    # before the peak), and one at the very end with the other thigh behind (its follow
    # span stops at the last row).
    thighs["left"][:400], thighs["left"][300:350], thighs["right"][:400] = 30.0, 50.0, 0.0
    thighs["left"][-150:], thighs["right"][-150:] = 60.0, -20.0
    if seed % 3 == 1:
        del thighs["right"]
    acc = None if seed % 4 == 2 else rng.normal(0, 1, n)
    if acc is not None:
        acc[rng.random(n) < 0.05] = np.nan
    got = _lifts(t_s, thighs, acc, rate_hz, DEFAULT_MOVEMENT)
    expected = _lifts_one_by_one(t_s, thighs, acc, rate_hz, DEFAULT_MOVEMENT)
    assert len(expected) > 5
    np.testing.assert_equal([dataclasses.astuple(lift) for lift in got], expected)
