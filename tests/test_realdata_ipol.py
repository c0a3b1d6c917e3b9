"""Initial contacts and sides from the lower back alone: real heel strikes and the simulator.

Real data: the IPOL lower-back development set (``tests/ipol.py``; read from
``../shared``, or ``SENSORLAB_SHARED``; those tests skip when it is absent). All 60 trials
run in about a second, so the targets are checked on the whole set, pooled: contacts and
reference heel strikes inside ``TrialBoundaries`` (U-turn steps included), matched one to
one within +-100 ms; F1 >= 0.92, median signed error within +-20 ms, side accuracy >= 0.97
(issue 13). Measured (``benchmarks/ipol_gait.py``): F1 0.942, median -10.1 ms (IQR -19.5
to +0.2), sides 0.983; on the held-out half of the subjects F1 0.942, -7.7 ms, 0.987.

Simulator: the same detector on simulated walks (``sensorlab.simulate``, exact truth),
fed the pipeline's own kinematics with the thigh columns set to NaN (pelvis only) and as
they are (thighs present), and checks that the simulated heel-strike signature gives
the detector the same bias as real walks.
"""

from __future__ import annotations

from dataclasses import replace

import ipol
import numpy as np
import pytest

from sensorlab.processing.columns import Columns
from sensorlab.processing.gait import DEFAULT_GAIT
from sensorlab.processing.pipeline import SessionAnalyzer
from sensorlab.records import Recording
from sensorlab.simulate import SCENARIOS

F1_MIN = 0.92
MEDIAN_ERROR_MAX_MS = 20.0
SIDE_ACCURACY_MIN = 0.97
RATE_HZ = 100.0
THIGH_COLUMNS = (
    "left_thigh_sagittal_deg",
    "right_thigh_sagittal_deg",
    "left_thigh_adduction_deg",
    "right_thigh_adduction_deg",
)

needs_ipol = pytest.mark.skipif(
    not ipol.available(),
    reason=f"IPOL lower-back set not found at {ipol.IPOL_DIR} (it lives in ../shared beside "
    "the clone; set SENSORLAB_SHARED to the shared folder)",
)


def pooled(settings=DEFAULT_GAIT, names=None, include_uturn=True, transform=None):
    """Pooled score of the detector over trials; ``transform`` edits the columns first."""
    scores = []
    for name in names or ipol.trial_names():
        columns = ipol.trial_kinematics(name).columns
        if transform is not None:
            columns = transform(columns)
        t_s, sides = ipol.detect(columns, settings)
        scores.append(ipol.score(ipol.load_trial(name), t_s, sides, include_uturn))
    return ipol.pool(scores)


def assert_targets(score: ipol.PooledScore) -> None:
    assert score.f1 >= F1_MIN, score
    assert abs(score.median_error_ms) <= MEDIAN_ERROR_MAX_MS, score
    assert score.side_accuracy >= SIDE_ACCURACY_MIN, score


def edited(columns: Columns, **replacements) -> Columns:
    """A copy of the columns with some replaced."""
    copy = Columns(columns.names, capacity=columns.size)
    copy.append(**{name: replacements.get(name, columns[name]) for name in columns.names})
    return copy


# --------------------------------------------------------------------------------------------
# real heel strikes
# --------------------------------------------------------------------------------------------


@needs_ipol
def test_loader_times_events_by_packet_counter_not_row():
    trial = ipol.load_trial("1-1")  # 124 packets lost
    chunk = trial.recording.chunks["pelvis"]
    assert set(trial.recording.chunks) == {"pelvis"}
    assert trial.recording.meta.sensors["pelvis"].mount == {"x": "up", "y": "left", "z": "backward"}
    np.testing.assert_allclose(chunk.t_s, (chunk.seq - chunk.seq[0]) / 100.0)
    assert np.diff(chunk.t_s).max() > 0.015  # gaps: rows are not packets
    # 1-1.json: the last heel strike is packet 2464, the first right foot event ends at 507
    assert trial.contacts_s[-1] == pytest.approx(24.64)
    assert trial.contacts_s[0] == pytest.approx(5.07) and trial.sides[0] == "right"
    assert trial.trial_s == pytest.approx((4.59, 24.64))
    # standing: x up (1 g, read as 10.1 m/s^2 by this MTw, on a sensor pitched ~35 deg)
    standing = chunk.t_s < trial.trial_s[0] - 1.0
    up = chunk.acc_m_s2[standing].mean(axis=0)
    assert np.linalg.norm(up) == pytest.approx(9.8, abs=0.5) and up[0] > 7.0


@needs_ipol
def test_pooled_targets_on_the_whole_set():
    assert_targets(pooled())


@needs_ipol
def test_the_analysis_steps_meet_the_targets_end_to_end():
    """``analyze --activity walk`` of the L5 sensor alone (the pelvis-only path: its own
    calibration, contacts and sides), every trial analysed, none refused."""
    scores = []
    for name in ipol.trial_names():
        steps = ipol.trial_kinematics(name).analysis.steps
        times = np.array([step.t for step in steps])
        sides = tuple(step.side for step in steps)
        scores.append(ipol.score(ipol.load_trial(name), times, sides))
    assert_targets(ipol.pool(scores))


@needs_ipol
def test_targets_on_the_held_out_subjects():
    """Parameters were scanned on subjects 1, 5, 9, 13, 17 (``benchmarks/ipol_gait.py``)."""
    held_out = [name for name in ipol.trial_names() if ipol.subject_of(name) % 4 != 1]
    assert {ipol.subject_of(name) for name in held_out} == {3, 7, 11, 15, 19}
    assert_targets(pooled(names=held_out))


@needs_ipol
def test_cadence_agrees_with_the_reference():
    scores = []
    for name in ipol.trial_names():
        t_s, sides = ipol.detect(ipol.trial_kinematics(name).columns)
        scores.append(ipol.score(ipol.load_trial(name), t_s, sides))
    errors = np.abs([score.cadence_error_pct for score in scores])
    assert np.median(errors) < 3.0 and errors.max() < 10.0, np.round(errors, 1)


@needs_ipol
@pytest.mark.parametrize("name", ["1-1", "7-2", "13-2", "17-1"])
def test_contacts_do_not_depend_on_block_sizes(name):
    columns = ipol.trial_kinematics(name).columns
    rng = np.random.default_rng(ipol.subject_of(name))
    sizes = rng.integers(1, 60, size=columns.size).tolist()
    whole = ipol.detect(columns)
    blocks = ipol.detect(columns, block_sizes=sizes)
    assert len(whole[0]) > 20
    np.testing.assert_array_equal(blocks[0], whole[0])
    assert blocks[1] == whole[1]


@needs_ipol
def test_mirrored_obliquity_breaks_the_side_check():
    """The side check can fail: left and right swapped in the pelvis's roll."""

    def mirrored(columns):
        return edited(columns, pelvis_obliquity_deg=-columns["pelvis_obliquity_deg"])

    score = pooled(names=ipol.trial_names()[:12], transform=mirrored)
    assert score.side_accuracy < 0.1


@needs_ipol
def test_the_vertical_peak_alone_is_late():
    """The timing check can fail: the vertical peak (the previous contact) is 30-50 ms late."""
    score = pooled(replace(DEFAULT_GAIT, contact_search_s=0.0), names=ipol.trial_names()[:12])
    assert score.median_error_ms > MEDIAN_ERROR_MAX_MS


# --------------------------------------------------------------------------------------------
# the simulator
# --------------------------------------------------------------------------------------------


def simulated_kinematics(name: str, seed: int, duration_s: float = 30.0):
    """The pipeline's kinematics of a simulated walk (every row from the first sample)."""
    session = SCENARIOS[name](seed, duration_s=duration_s)
    analyzer = SessionAnalyzer(session.recording.meta, "walk")
    analyzer.update(session.recording.chunks.values())
    analyzer.finish()
    return session, analyzer.kinematics


def pelvis_only(columns: Columns) -> Columns:
    return edited(columns, **{name: np.full(columns.size, np.nan) for name in THIGH_COLUMNS})


def errors_and_sides(session, t_s, sides):
    true_t = np.array([step.t for step in session.truth.steps])
    nearest = [int(np.argmin(np.abs(true_t - t))) for t in t_s]
    errors = np.array([t - true_t[k] for t, k in zip(t_s, nearest, strict=True)])
    right = [side == session.truth.steps[k].side for side, k in zip(sides, nearest, strict=True)]
    return errors, np.array(right)


@pytest.mark.parametrize(("name", "seed"), [("walk_asymmetric", 0), ("walk_symmetric", 1)])
@pytest.mark.parametrize("thighs", [True, False], ids=["thighs", "pelvis-only"])
def test_simulated_contacts_and_sides(name, seed, thighs):
    session, columns = simulated_kinematics(name, seed)
    t_s, sides = ipol.detect(columns if thighs else pelvis_only(columns))
    assert abs(len(t_s) - len(session.truth.steps)) <= 1
    errors, right = errors_and_sides(session, t_s, sides)
    assert np.abs(errors).max() <= 0.030, np.round(errors, 3)
    assert right.all(), right


def test_thighs_lost_mid_walk_hand_over_to_the_pelvis():
    session, columns = simulated_kinematics("walk_asymmetric", 3)
    lost = np.arange(columns.size) >= columns.size // 2
    thighs_lost = {name: np.where(lost, np.nan, columns[name]) for name in THIGH_COLUMNS}
    t_s, sides = ipol.detect(edited(columns, **thighs_lost))
    assert abs(len(t_s) - len(session.truth.steps)) <= 1
    errors, right = errors_and_sides(session, t_s, sides)
    assert np.abs(errors).max() <= 0.030 and right.all()
    assert np.count_nonzero(t_s > columns["t_s"][columns.size // 2] + 1.0) > 20


def test_a_thigh_gap_at_one_contact_leaves_it_to_the_pelvis():
    """One contact without thigh data (0.4 s gap) among thigh-judged ones is still found."""
    session, columns = simulated_kinematics("walk_symmetric", 4)
    whole = ipol.detect(columns)
    gap = np.abs(columns["t_s"] - whole[0][len(whole[0]) // 2]) < 0.2
    t_s, sides = ipol.detect(
        edited(columns, **{name: np.where(gap, np.nan, columns[name]) for name in THIGH_COLUMNS})
    )
    np.testing.assert_array_equal(t_s, whole[0])
    assert sides == whole[1]
    assert errors_and_sides(session, t_s, sides)[1].all()


def test_the_pelvis_alone_gives_the_pelvis_signals_of_all_three_sensors():
    """``SessionAnalyzer`` on the pelvis alone gives the pelvis signals it gives with all
    three sensors (which differ only in the pelvis heading, from the thighs)."""
    session, columns = simulated_kinematics("walk_symmetric", 1)
    recording = session.recording
    pelvis = Recording(recording.source, recording.meta, {"pelvis": recording.chunks["pelvis"]})
    alone = ipol.pelvis_kinematics(pelvis)
    assert alone.calibration_method == "standing"
    assert alone.analysis.calibration["pelvis"].static_span_s == recording.meta.calibration_span_s
    np.testing.assert_array_equal(alone.columns["t_s"], columns["t_s"])
    limits = {
        "pelvis_vertical_acc_m_s2": 0.05,
        "pelvis_forward_acc_m_s2": 0.15,
        "pelvis_obliquity_deg": 0.1,
        "pelvis_tilt_deg": 0.25,
    }
    for name, limit in limits.items():
        np.testing.assert_allclose(alone.columns[name], columns[name], atol=limit, err_msg=name)
    for name in THIGH_COLUMNS:
        assert np.isnan(alone.columns[name]).all()


def test_pelvis_only_contacts_do_not_depend_on_block_sizes():
    _, columns = simulated_kinematics("walk_asymmetric", 2)
    columns = pelvis_only(columns)
    sizes = np.random.default_rng(2).integers(1, 80, size=columns.size).tolist()
    whole, blocks = ipol.detect(columns), ipol.detect(columns, block_sizes=sizes)
    assert len(whole[0]) > 40
    np.testing.assert_array_equal(blocks[0], whole[0])
    assert blocks[1] == whole[1]


def test_without_thighs_isolated_jolts_are_not_steps_but_a_rhythm_is():
    """The pelvis-only gate: a peak counts in a run of min_bout_steps (here 3) peaks."""
    n = 2000
    t_s = np.arange(n) / RATE_HZ
    rows = {name: np.zeros(n) for name in ("pelvis_forward_acc_m_s2", "pelvis_obliquity_deg")}

    def with_bumps(centres_s):
        vertical = np.zeros(n)
        for centre in centres_s:
            vertical += 3.0 * np.exp(-0.5 * ((t_s - centre) / 0.02) ** 2)
        columns = Columns(("t_s", "pelvis_vertical_acc_m_s2", *rows, *THIGH_COLUMNS), n)
        nan = np.full(n, np.nan)
        columns.append(
            t_s=t_s, pelvis_vertical_acc_m_s2=vertical, **rows, **dict.fromkeys(THIGH_COLUMNS, nan)
        )
        return ipol.detect(columns)[0]

    assert with_bumps([3.0, 6.0, 9.0, 12.0]).size == 0  # 3 s apart: jolts
    assert with_bumps([3.0, 3.6]).size == 0  # two steps are not a walk
    assert with_bumps([3.0, 3.6, 4.2]).size == 3


@needs_ipol
def test_simulated_and_real_walks_give_the_detector_the_same_bias():
    real = pooled()
    errors = []
    for name, seed in (("walk_asymmetric", 0), ("walk_symmetric", 1)):
        session, columns = simulated_kinematics(name, seed)
        t_s, sides = ipol.detect(pelvis_only(columns))
        errors.extend(errors_and_sides(session, t_s, sides)[0])
    simulated_ms = 1000.0 * float(np.median(errors))
    assert abs(simulated_ms - real.median_error_ms) <= 10.0, (simulated_ms, real.median_error_ms)
    # and the previous contact, the vertical peak, is as late on both
    previous = replace(DEFAULT_GAIT, contact_search_s=0.0)
    session, columns = simulated_kinematics("walk_symmetric", 1)
    t_s, sides = ipol.detect(pelvis_only(columns), previous)
    late_ms = 1000.0 * float(np.median(errors_and_sides(session, t_s, sides)[0]))
    real_late_ms = pooled(previous).median_error_ms
    assert abs(late_ms - real_late_ms) <= 10.0, (late_ms, real_late_ms)
