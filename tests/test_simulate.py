"""Tests of the IMU simulator against independent oracles.

Oracles used: finite differences of positions and profiles, a quaternion integration of
the gyroscope written here, scipy's Rotation, gravity at rest, the angle definitions of
``sensorlab.processing.angles`` (not part of the simulator), and counts implied by the
settings. All sessions are seeded.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.spatial.transform import Rotation

from sensorlab.frames import mount_matrix
from sensorlab.processing import angles
from sensorlab.simulate import (
    DEFAULT_MOUNTS,
    DEFAULT_SENSOR_SETTINGS,
    IDEAL_SENSOR_SETTINGS,
    SCENARIOS,
    BodyMotion,
    StepUpSettings,
    WalkSettings,
    read_truth,
    simulate_motion,
    simulate_step_ups,
    simulate_walk,
    write_truth,
)
from sensorlab.simulate.profiles import MinJerkPath, constant
from sensorlab.units import GRAVITY_M_S2

G_WORLD = np.array([0.0, 0.0, GRAVITY_M_S2])
PLACEMENTS = ("pelvis", "left_thigh", "right_thigh")
# Exact readings, but with a strap error and clock drift so those paths are exercised.
EXACT = replace(IDEAL_SENSOR_SETTINGS, mount_error_deg=15.0, clock_drift_ppm_max=80.0)
SHORT_STEP_UPS = StepUpSettings(reps_per_side=3, aborted_reps=(1,), fidget_probability=1.0)
SHORT_WALK = WalkSettings(duration_s=12.0, step_time_ratio=1.1, right_pelvic_drop_deg=5.0)


@pytest.fixture(scope="module")
def exact_step_ups():
    return simulate_step_ups(SHORT_STEP_UPS, EXACT, seed=11)


@pytest.fixture(scope="module")
def exact_walk():
    return simulate_walk(SHORT_WALK, EXACT, seed=12)


@pytest.fixture(scope="module")
def noisy_step_ups():
    return simulate_step_ups(StepUpSettings(reps_per_side=2), DEFAULT_SENSOR_SETTINGS, seed=5)


def _integrate_gyro(t_s, gyr_rad_s, q0_xyzw):
    """Body-frame gyro integration: trapezoidal rotation vector plus the coning term."""
    dt = np.diff(t_s)[:, None]
    w0, w1 = gyr_rad_s[:-1], gyr_rad_s[1:]
    increments = 0.5 * (w0 + w1) * dt + np.cross(w0, w1) * dt**2 / 12.0
    angle = np.linalg.norm(increments, axis=1)
    half = 0.5 * angle
    # sin(half)/angle, with its limit 1/2 at zero rotation
    k = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 0, angle, 1.0), 0.5)
    dq = np.column_stack([increments * k[:, None], np.cos(half)])
    x, y, z, w = (float(v) for v in q0_xyzw)
    out = [(x, y, z, w)]
    for bx, by, bz, bw in dq.tolist():  # q <- q * dq (body-frame increment)
        x, y, z, w = (
            w * bx + x * bw + y * bz - z * by,
            w * by - x * bz + y * bw + z * bx,
            w * bz + x * by - y * bx + z * bw,
            w * bw - x * bx - y * by - z * bz,
        )
        out.append((x, y, z, w))
    return np.array(out)


# --- smooth profiles ------------------------------------------------------------------


def test_min_jerk_path_is_c2_and_its_derivatives_and_integral_are_exact():
    rng = np.random.default_rng(0)
    knots = np.cumsum(rng.uniform(0.2, 1.0, 8))
    values = rng.normal(0.0, 1.0, 8)
    path = MinJerkPath(knots, values)
    # Continuity of value, velocity and acceleration across every keyframe.
    left, right = path(knots - 1e-9), path(knots + 1e-9)
    # (a jump would be of order 1; the tolerances allow for the slope over 2e-9 s)
    np.testing.assert_allclose(left.x, right.x, atol=1e-9)
    np.testing.assert_allclose(left.dx, right.dx, atol=1e-6)
    np.testing.assert_allclose(left.ddx, right.ddx, atol=1e-4)
    assert np.abs(path(knots[1:-1] - 0.05).ddx).max() > 1.0  # ... and it does accelerate
    np.testing.assert_allclose(path(knots).x, values, atol=1e-12)
    # Derivatives against central differences of the value.
    t = np.linspace(knots[0] - 0.5, knots[-1] + 0.5, 997)
    h = 1e-4
    up, mid, down = path(t + h), path(t), path(t - h)
    np.testing.assert_allclose(mid.dx, (up.x - down.x) / (2 * h), atol=1e-5)
    np.testing.assert_allclose(mid.ddx, (up.x - 2 * mid.x + down.x) / h**2, atol=2e-3)
    # The running integral against numerical quadrature, inside and outside the knots.
    for t_end in (knots[0] - 0.3, knots[3] + 0.1, knots[-1] + 0.7):
        expected, _ = quad(lambda s: float(path(np.array([s])).x[0]), knots[0], t_end, limit=200)
        assert path.integral(np.array([t_end])).x[0] == pytest.approx(expected, abs=1e-8)


@pytest.mark.parametrize("activity", ["step_ups", "walk"])
def test_every_motion_profile_derivative_matches_finite_differences(
    activity, exact_step_ups, exact_walk
):
    session = exact_step_ups if activity == "step_ups" else exact_walk
    motion = session.motion
    t = np.random.default_rng(1).uniform(0.0, session.truth.duration_s, 4000)
    h = 1e-4
    for name in BodyMotion.__dataclass_fields__:
        profile = getattr(motion, name)
        up, mid, down = profile(t + h), profile(t), profile(t - h)
        scale = 1.0 + np.abs(mid.ddx).max()
        np.testing.assert_allclose(mid.dx, (up.x - down.x) / (2 * h), atol=1e-4 * scale)
        np.testing.assert_allclose(
            mid.ddx, (up.x - 2 * mid.x + down.x) / h**2, atol=2e-3 * scale, err_msg=name
        )


def test_motion_is_c2_across_every_joint_of_its_pieces(exact_step_ups, exact_walk):
    eps = 1e-9
    # Step-ups: every degree of freedom is a keyframe path; check at every keyframe.
    for name in BodyMotion.__dataclass_fields__:
        path = getattr(exact_step_ups.motion, name)
        assert isinstance(path, MinJerkPath)
        left, right = path(path.times_s - eps), path(path.times_s + eps)
        np.testing.assert_allclose(left.dx, right.dx, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(left.ddx, right.ddx, atol=1e-4, err_msg=name)
    # Walk: bumps start and end at contacts; the envelope starts after quiet standing.
    joints = np.concatenate(
        [[SHORT_WALK.standing_start_s], [st.t for st in exact_walk.truth.steps]]
    )
    for name in BodyMotion.__dataclass_fields__:
        profile = getattr(exact_walk.motion, name)
        left, right = profile(joints - eps), profile(joints + eps)
        np.testing.assert_allclose(left.dx, right.dx, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(left.ddx, right.ddx, atol=1e-3, err_msg=name)


# --- physics --------------------------------------------------------------------------


def test_at_rest_acc_magnitude_is_gravity_within_noise_and_bias(noisy_step_ups):
    truth = noisy_step_ups.truth
    for placement, chunk in noisy_step_ups.recording.chunks.items():
        rest = chunk.t_s < 3.0
        acc, gyr = chunk.acc_m_s2[rest], chunk.gyr_rad_s[rest]
        norm = np.linalg.norm(acc, axis=1)
        # bias at most 0.05 m/s^2 per axis -> |bias| <= 0.087; noise averages out
        assert abs(norm.mean() - GRAVITY_M_S2) < 0.1
        assert 0.02 < norm.std() < 0.045  # 0.03 m/s^2 RMS white noise (+ quantisation)
        # The mean reading is gravity through the TRUE mount, plus the true bias.
        sensor = truth.sensors[placement]
        expected_acc = sensor.sensor_to_segment.T @ G_WORLD + sensor.acc_bias_m_s2
        np.testing.assert_allclose(acc.mean(axis=0), expected_acc, atol=0.01)
        np.testing.assert_allclose(gyr.mean(axis=0), sensor.gyr_bias_rad_s, atol=np.radians(0.04))
        assert np.degrees(gyr.std(axis=0)) == pytest.approx([0.15] * 3, rel=0.2)
        assert np.all(np.abs(np.degrees(sensor.gyr_bias_rad_s)) <= 1.0)
        assert np.all(np.abs(sensor.acc_bias_m_s2) <= 0.05)


def test_exact_sensors_read_gravity_and_zero_rate_at_rest(exact_step_ups):
    for chunk in exact_step_ups.recording.chunks.values():
        rest = chunk.t_s < 3.0
        np.testing.assert_allclose(
            np.linalg.norm(chunk.acc_m_s2[rest], axis=1), GRAVITY_M_S2, rtol=1e-12
        )
        assert np.abs(chunk.gyr_rad_s[rest]).max() < 1e-12


@pytest.mark.parametrize("activity", ["step_ups", "walk"])
def test_integrated_gyro_reproduces_true_orientation(activity, exact_step_ups, exact_walk):
    session = exact_step_ups if activity == "step_ups" else exact_walk
    for placement, chunk in session.recording.chunks.items():
        _, R_true = session.sensor_pose(placement, chunk.t_s)
        q0 = Rotation.from_matrix(R_true[0]).as_quat()
        estimate = Rotation.from_quat(_integrate_gyro(chunk.t_s, chunk.gyr_rad_s, q0))
        error_deg = np.degrees((estimate.inv() * Rotation.from_matrix(R_true)).magnitude())
        assert error_deg.max() < 0.5, placement
        # The sensor really turned: a rate-free reading would fail this test.
        assert np.degrees(Rotation.from_matrix(R_true[0].T @ R_true).magnitude()).max() > 5.0


@pytest.mark.parametrize("activity", ["step_ups", "walk"])
def test_specific_force_equals_second_derivative_of_sensor_position(
    activity, exact_step_ups, exact_walk
):
    session = exact_step_ups if activity == "step_ups" else exact_walk
    h = 1e-4
    for placement, chunk in session.recording.chunks.items():
        t = chunk.t_s
        position, R = session.sensor_pose(placement, t)
        acc_fd = (
            session.sensor_pose(placement, t + h)[0]
            - 2.0 * position
            + session.sensor_pose(placement, t - h)[0]
        ) / h**2
        acc_world = np.einsum("nij,nj->ni", R, chunk.acc_m_s2) - G_WORLD
        np.testing.assert_allclose(acc_world, acc_fd, atol=5e-3, err_msg=placement)
        assert np.abs(acc_fd).max() > 2.0  # the sensor really accelerated


# --- angle conventions ----------------------------------------------------------------

POSES = [
    # (profile name, angle in deg, which angle to read back)
    ("pelvis_tilt", 12.0, "tilt"),
    ("pelvis_obliquity", -7.0, "obliquity"),
    ("pelvis_rotation", 20.0, "rotation"),
    ("left_flexion", 30.0, "left_sagittal"),
    ("right_flexion", 25.0, "right_sagittal"),
    ("left_adduction", 8.0, "left_adduction"),
    ("right_adduction", 6.0, "right_adduction"),
]


def _angle_from_sensor(session, which: str) -> float:
    """The prescribed angle recovered from the sensors' rest readings and true mounts."""
    placement = "pelvis" if which in ("tilt", "obliquity", "rotation") else which.split("_")[0]
    placement = placement if placement == "pelvis" else placement + "_thigh"
    chunk = session.recording.chunks[placement]
    mount = session.truth.sensors[placement].sensor_to_segment
    f = chunk.acc_m_s2.mean(axis=0)
    up_segment = mount @ (f / np.linalg.norm(f))
    if which == "tilt":
        return float(angles.pelvis_tilt_deg(up_segment))
    if which == "obliquity":
        return float(angles.pelvis_obliquity_deg(up_segment))
    if which == "rotation":  # heading of the segment's forward axis, from the true pose
        _, R_s = session.sensor_pose(placement, chunk.t_s[:1])
        return float(angles.heading_deg(R_s[0] @ mount.T @ [1.0, 0.0, 0.0]))
    side, kind = which.split("_")
    if kind == "sagittal":
        return float(angles.thigh_sagittal_deg(up_segment))
    # The thigh's long axis against the pelvis's left axis, both from the true poses.
    _, R_s = session.sensor_pose(placement, chunk.t_s[:1])
    _, R_pelvis = session.sensor_pose("pelvis", chunk.t_s[:1])
    pelvis_mount = session.truth.sensors["pelvis"].sensor_to_segment
    long_axis = R_s[0] @ mount.T @ [0.0, 0.0, 1.0]
    pelvis_left = R_pelvis[0] @ pelvis_mount.T @ [0.0, 1.0, 0.0]
    return float(angles.thigh_adduction_deg(long_axis, pelvis_left, side))


@pytest.mark.parametrize(("name", "angle_deg", "which"), POSES)
def test_prescribed_pure_angle_round_trips_through_angles(name, angle_deg, which):
    motion = replace(BodyMotion.standing(), **{name: constant(np.radians(angle_deg))})
    session = simulate_motion(motion, 1.0, EXACT, seed=3)
    assert _angle_from_sensor(session, which) == pytest.approx(angle_deg, abs=1e-9)
    # Independent physical meaning of the sign, from sensor positions (standing: below).
    still = simulate_motion(BodyMotion.standing(), 1.0, EXACT, seed=3)
    t = np.array([0.5])
    moved = {p: session.sensor_pose(p, t)[0][0] - still.sensor_pose(p, t)[0][0] for p in PLACEMENTS}
    if name == "pelvis_tilt":  # anterior tilt: the sacrum (behind the hips) rises
        assert moved["pelvis"][2] > 0.01
    elif name == "pelvis_obliquity":  # negative: the LEFT side is lower
        assert moved["left_thigh"][2] < -0.005 < 0.005 < moved["right_thigh"][2]
    elif name == "pelvis_rotation":  # positive, turning left: the right hip comes forward
        assert moved["right_thigh"][0] > 0.005 > -0.005 > moved["left_thigh"][0]
    elif name.endswith("flexion"):  # knee (and the sensor above it) forward
        assert moved[name.split("_")[0] + "_thigh"][0] > 0.05
    else:  # adduction: the thigh sensor moves toward the midline
        side = name.split("_")[0]
        toward_midline = -moved[side + "_thigh"][1] if side == "left" else moved["right_thigh"][1]
        assert toward_midline > 0.01
    # The truth's angle record says the same.
    record = session.truth.kinematics
    column = {
        "tilt": record.pelvis_tilt_deg,
        "obliquity": record.pelvis_obliquity_deg,
        "rotation": record.pelvis_rotation_deg,
        "left_sagittal": record.left_thigh_sagittal_deg,
        "right_sagittal": record.right_thigh_sagittal_deg,
        "left_adduction": record.left_thigh_adduction_deg,
        "right_adduction": record.right_thigh_adduction_deg,
    }[which]
    np.testing.assert_allclose(column, angle_deg, atol=1e-9)


# --- sensor model ---------------------------------------------------------------------


def test_lost_samples_are_removed_rows_and_seq_shows_every_gap():
    settings = StepUpSettings(reps_per_side=1)
    lossy_sensors = replace(
        DEFAULT_SENSOR_SETTINGS, drop_fraction=0.03, burst_count=2, burst_length_samples=30
    )
    lossy = simulate_step_ups(settings, lossy_sensors, seed=8)
    complete = simulate_step_ups(settings, DEFAULT_SENSOR_SETTINGS, seed=8)
    for placement, chunk in lossy.recording.chunks.items():
        full = complete.recording.chunks[placement]
        np.testing.assert_array_equal(full.seq, np.arange(len(full)))
        removed = len(full) - len(chunk)
        in_gaps = int(np.sum(np.diff(chunk.seq) - 1))
        at_ends = int(chunk.seq[0]) + int(full.seq[-1] - chunk.seq[-1])
        assert removed == in_gaps + at_ends == lossy.truth.sensors[placement].samples_lost
        assert removed >= 30  # at least one full burst, whatever the overlaps
        # Kept rows are the very samples of the loss-free run: nothing zero-filled.
        for column in ("t_s", "acc_m_s2", "gyr_rad_s", "device_t_s"):
            np.testing.assert_array_equal(getattr(chunk, column), getattr(full, column)[chunk.seq])
        assert np.all(np.abs(np.linalg.norm(chunk.acc_m_s2, axis=1)) > 1.0)


def test_same_seed_gives_identical_output_and_another_seed_differs():
    settings = StepUpSettings(reps_per_side=1, fidget_probability=0.5)
    a, b = (simulate_step_ups(settings, DEFAULT_SENSOR_SETTINGS, seed=21) for _ in range(2))
    c = simulate_step_ups(settings, DEFAULT_SENSOR_SETTINGS, seed=22)
    for placement in PLACEMENTS:
        ca, cb, cc = (s.recording.chunks[placement] for s in (a, b, c))
        for column in ("t_s", "acc_m_s2", "gyr_rad_s", "seq", "device_t_s"):
            np.testing.assert_array_equal(getattr(ca, column), getattr(cb, column))
        assert len(ca) != len(cc) or not np.array_equal(ca.acc_m_s2, cc.acc_m_s2)
    assert a.truth.reps == b.truth.reps
    assert [r.t_end for r in a.truth.reps] != [r.t_end for r in c.truth.reps]


def test_mount_error_has_the_requested_magnitude_and_shows_in_the_data():
    fixed = replace(EXACT, mount_error_deg=17.0)
    session = simulate_motion(BodyMotion.standing(), 1.0, fixed, seed=4)
    axes = []
    for placement, chunk in session.recording.chunks.items():
        nominal = mount_matrix(DEFAULT_MOUNTS[placement])
        true = session.truth.sensors[placement].sensor_to_segment
        error = Rotation.from_matrix(true @ nominal.T)
        assert np.degrees(error.magnitude()) == pytest.approx(17.0, abs=1e-9)
        axes.append(error.as_rotvec() / error.magnitude())
        # Gravity at rest points where the true mount says, not where the nominal one does.
        f = chunk.acc_m_s2.mean(axis=0) / GRAVITY_M_S2
        np.testing.assert_allclose(f, true.T @ [0.0, 0.0, 1.0], atol=1e-12)
        tilt_deg = np.degrees(np.arccos(np.clip(f @ nominal.T @ [0.0, 0.0, 1.0], -1, 1)))
        assert tilt_deg <= 17.0 + 1e-9
    assert min(abs(float(np.dot(axes[i], axes[j]))) for i, j in ((0, 1), (0, 2), (1, 2))) < 0.99
    drawn = [
        s.mount_error_deg
        for seed in range(6)
        for s in simulate_motion(
            BodyMotion.standing(),
            0.2,
            replace(EXACT, mount_error_deg=20.0, mount_error_uniform=True),
            seed=seed,
        ).truth.sensors.values()
    ]
    assert max(drawn) <= 20.0 and min(drawn) >= 0.0 and np.ptp(drawn) > 5.0


def test_clock_model_rates_phases_drift_and_host_time_error():
    sensors = replace(
        DEFAULT_SENSOR_SETTINGS, rate_hz=200.0, clock_drift_ppm_max=100.0, host_time_error_s=0.001
    )
    session = simulate_motion(BodyMotion.standing(), 20.0, sensors, seed=9)
    phases = []
    for placement, chunk in session.recording.chunks.items():
        truth = session.truth.sensors[placement]
        drift = truth.clock_drift_ppm * 1e-6
        t_true = truth.start_phase_s + chunk.seq / (200.0 * (1.0 + drift))
        residual = chunk.t_s - t_true
        assert 0.0005 < residual.std() < 0.0012
        assert np.abs(residual).max() <= 0.4 / 200.0 + 1e-12
        assert np.all(np.diff(chunk.t_s) > 0)
        slope = np.polyfit(t_true, chunk.device_t_s, 1)[0]
        assert slope == pytest.approx(1.0 + drift, abs=1e-12)
        assert abs(truth.clock_drift_ppm) <= 100.0
        # the device clock ticks at exactly the nominal rate
        np.testing.assert_allclose(np.diff(chunk.device_t_s), 1.0 / 200.0, atol=1e-9)
        assert 0.0 <= truth.start_phase_s < 1.0 / 200.0
        assert chunk.t_s[-1] <= session.truth.duration_s + 0.4 / 200.0
        assert len(chunk) == pytest.approx(20.0 * 200.0, abs=2)
        phases.append(truth.start_phase_s)
    assert len(set(phases)) == 3


def test_quantisation_and_clipping_follow_the_adc():
    acc_lsb = 16.0 * GRAVITY_M_S2 / 32768
    gyr_lsb = np.radians(2000.0 / 32768)
    session = simulate_step_ups(StepUpSettings(reps_per_side=1), DEFAULT_SENSOR_SETTINGS, 2)
    for chunk in session.recording.chunks.values():
        for values, lsb in ((chunk.acc_m_s2, acc_lsb), (chunk.gyr_rad_s, gyr_lsb)):
            counts = values / lsb
            np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    narrow = replace(DEFAULT_SENSOR_SETTINGS, acc_range_g=0.5, mount_error_deg=0.0)
    chunk = simulate_motion(BodyMotion.standing(), 2.0, narrow, seed=2).recording.chunks["pelvis"]
    top = (2**15 - 1) * 0.5 * GRAVITY_M_S2 / 32768
    # The pelvis sensor's x axis points up and would read 9.81 m/s^2: it sits on the rail.
    np.testing.assert_allclose(chunk.acc_m_s2[:, 0], top, rtol=1e-12)
    assert np.abs(chunk.acc_m_s2).max() <= top + 1e-12


def test_recording_metadata_follows_the_contract(noisy_step_ups):
    meta = noisy_step_ups.recording.meta
    assert meta.activity == "step_up"
    assert meta.calibration_span_s == (0.0, 3.0)
    assert set(meta.sensors) == set(noisy_step_ups.recording.chunks) == set(PLACEMENTS)
    for placement, info in meta.sensors.items():
        assert info.model == "sensorlab-sim" and info.rate_hz == 100.0
        assert info.mount == dict(DEFAULT_MOUNTS[placement])
        chunk = noisy_step_ups.recording.chunks[placement]
        assert chunk.acc_m_s2.shape == chunk.gyr_rad_s.shape == (len(chunk), 3)
        assert chunk.seq.dtype == np.int64
    no_span = replace(DEFAULT_SENSOR_SETTINGS, calibration_span_s=None)
    session = simulate_walk(WalkSettings(duration_s=2.0), no_span, seed=1)
    assert session.recording.meta.calibration_span_s is None
    assert session.recording.meta.activity == "walk"


# --- activities and their truth -------------------------------------------------------


def test_step_up_reps_in_truth_match_the_settings(exact_step_ups):
    truth = exact_step_ups.truth
    assert [r.side for r in truth.reps] == ["right"] * 3 + ["left"] * 3
    assert [r.set_index for r in truth.reps] == [0, 0, 0, 1, 1, 1]
    assert [a.side for a in truth.aborted] == ["right"]
    aborted = truth.aborted[0]
    assert truth.reps[0].t_end < aborted.t_start < aborted.t_end < truth.reps[1].t_start
    # The long pause between the sets.
    assert truth.reps[3].t_start - truth.reps[2].t_end == pytest.approx(8.0)
    alternating = simulate_step_ups(
        StepUpSettings(pattern="alternating", reps_per_side=2, first_side="left"), EXACT, 1
    )
    assert [r.side for r in alternating.truth.reps] == ["left", "right", "left", "right"]
    explicit = simulate_step_ups(StepUpSettings(pattern=("left", "left", "right")), EXACT, 1)
    assert [r.side for r in explicit.truth.reps] == ["left", "left", "right"]


def test_aborted_attempt_lifts_the_thigh_but_not_the_body(exact_step_ups):
    truth = exact_step_ups.truth
    attempt = truth.aborted[0]
    kin = truth.kinematics
    inside = (kin.t_s >= attempt.t_start) & (kin.t_s <= attempt.t_end)
    assert kin.thigh_sagittal_deg(attempt.side)[inside].max() == pytest.approx(60.0, abs=0.1)
    other = "left" if attempt.side == "right" else "right"
    assert np.abs(kin.thigh_sagittal_deg(other)[inside]).max() < 1e-9
    assert np.abs(kin.pelvis_obliquity_deg[inside]).max() < 1e-9
    t = np.linspace(attempt.t_start, attempt.t_end, 200)
    height = exact_step_ups.sensor_pose("pelvis", t)[0][:, 2]
    assert np.ptp(height) < 1e-9
    rep_height = exact_step_ups.sensor_pose("pelvis", np.linspace(*truth.reps[0].load_windows[0]))
    assert np.ptp(rep_height[0][:, 2]) > 0.1


def test_step_up_rep_truth_agrees_with_the_prescription_and_the_phases(exact_step_ups):
    truth = exact_step_ups.truth
    kin = truth.kinematics
    for rep in truth.reps:
        p = rep.prescribed
        sign = 1.0 if rep.side == "left" else -1.0
        assert rep.t_end - rep.t_start == pytest.approx(p["duration_s"])
        assert 2.7 <= p["duration_s"] <= 3.3
        assert rep.up_duration_s + rep.down_duration_s == pytest.approx(p["duration_s"])
        # ROM: standing (0) to the peak, which happens with no adduction -> exact.
        assert rep.thigh_rom_deg == pytest.approx(p["peak_flexion_deg"], abs=0.01)
        assert abs(p["pelvic_drop_deg"] - 4.0) <= 0.3
        # Obliquity reads through the tilt projection: within a few hundredths of a deg.
        assert rep.pelvic_drop_deg == pytest.approx(p["pelvic_drop_deg"], abs=0.1)
        assert rep.pelvic_tilt_range_deg == pytest.approx(p["tilt_excursion_deg"], abs=0.1)
        assert rep.thigh_adduction_excursion_deg == pytest.approx(
            p["adduction_excursion_deg"], abs=0.05
        )
        # Rates: a thigh swinging 60+ deg in ~0.6 s peaks near 1.875 * 65 / 0.6 deg/s.
        assert 120.0 < rep.peak_thigh_velocity_dps < 400.0
        # Drop only under single-leg load, toward the trail side.
        in_rep = (kin.t_s >= rep.t_start) & (kin.t_s <= rep.t_end)
        loaded = np.zeros_like(in_rep)
        for start, end in rep.load_windows:
            assert rep.t_start < start < end < rep.t_end
            loaded |= (kin.t_s > start) & (kin.t_s < end)
        drop = sign * kin.pelvis_obliquity_deg
        assert np.abs(drop[in_rep & ~loaded]).max() < 1e-9
        assert drop[in_rep & loaded].min() > -1e-9
        # The body is up on the box (0.25 m higher) at the end of the drive.
        t_top = np.array([rep.t_start, rep.t_top])
        rise = np.diff(exact_step_ups.sensor_pose("pelvis", t_top)[0][:, 2])[0]
        assert rise == pytest.approx(0.25, abs=0.03)
    # Standing between reps and during calibration: every angle is zero.
    standing = kin.t_s < truth.reps[0].t_start
    for column in ("pelvis_tilt_deg", "pelvis_obliquity_deg", "left_thigh_sagittal_deg"):
        assert np.abs(getattr(kin, column)[standing]).max() < 1e-12


def test_fidgets_stay_small(exact_step_ups):
    truth = exact_step_ups.truth
    kin = truth.kinematics
    busy = np.zeros(kin.t_s.shape, dtype=bool)
    for window in [(r.t_start, r.t_end) for r in truth.reps] + [
        (a.t_start, a.t_end) for a in truth.aborted
    ]:
        busy |= (kin.t_s >= window[0]) & (kin.t_s <= window[1])
    pauses = ~busy & (kin.t_s > truth.reps[0].t_start)
    thighs = np.abs(np.concatenate([kin.left_thigh_sagittal_deg, kin.right_thigh_sagittal_deg]))
    assert 1.0 < thighs[np.tile(pauses, 2)].max() < 10.0  # fidget_probability=1: they happen
    assert np.abs(kin.pelvis_obliquity_deg[pauses]).max() < 2.0


def test_walk_step_counts_times_and_ratio_match_the_settings(exact_walk):
    truth = exact_walk.truth
    s = SHORT_WALK
    step_s = 60.0 / s.cadence_spm
    n_steady = round(s.duration_s / step_s)
    expected = s.initiation_steps + n_steady + s.termination_steps
    assert len(truth.steps) == expected
    sides = [st.side for st in truth.steps]
    assert sides == [("right", "left")[k % 2] for k in range(expected)]
    assert truth.gait.steps == {"right": math.ceil(expected / 2), "left": expected // 2}
    ratio = truth.gait.step_time_s["right"] / truth.gait.step_time_s["left"]
    assert ratio == pytest.approx(s.step_time_ratio, rel=1e-9)
    assert truth.gait.cadence_spm == pytest.approx(s.cadence_spm, rel=1e-9)
    for previous, step in zip(truth.steps, truth.steps[1:], strict=False):
        assert step.step_time_s == pytest.approx(step.t - previous.t)
    assert truth.steps[0].t > 4.0 and truth.steps[0].step_time_s is None


def test_walk_drops_and_heel_strikes_are_where_the_truth_says(exact_walk):
    truth = exact_walk.truth
    kin = truth.kinematics
    # Steps whose whole stance lies in steady walking (envelope at 1).
    first, last = SHORT_WALK.initiation_steps, len(truth.steps) - SHORT_WALK.termination_steps - 2
    steady = truth.steps[first : last + 1]
    for step, following in zip(steady, truth.steps[first + 1 : last + 2], strict=True):
        expected = SHORT_WALK.right_pelvic_drop_deg if step.side == "right" else 4.0
        assert step.pelvic_drop_deg == pytest.approx(expected, abs=0.05)
        window = (kin.t_s >= step.t) & (kin.t_s < following.t)
        sign = 1.0 if step.side == "left" else -1.0
        peak_at = kin.t_s[window][np.argmax(sign * kin.pelvis_obliquity_deg[window])]
        assert 0.1 < (peak_at - step.t) / (following.t - step.t) < 0.3
        # The stance side's thigh is near its flexion peak at contact.
        at_contact = np.argmin(np.abs(kin.t_s - step.t))
        assert kin.thigh_sagittal_deg(step.side)[at_contact] > 20.0
    # Heel strikes, as a real L5 sensor shows them (see simulate/walk.py): the vertical
    # specific force of the sacrum peaks heel_strike_delay_s after every contact, including
    # those of gait initiation and termination, and the forward one one surge width
    # before that, then brakes.
    ideal = replace(IDEAL_SENSOR_SETTINGS, rate_hz=500.0)
    session = simulate_walk(SHORT_WALK, ideal, seed=0)
    chunk = session.recording.chunks["pelvis"]
    # nominal mount: the pelvis sensor's x points up, z backward
    vertical, forward = chunk.acc_m_s2[:, 0], -chunk.acc_m_s2[:, 2]
    delay_s = SHORT_WALK.heel_strike_delay_s
    forward_peak_s = delay_s - SHORT_WALK.heel_strike_forward_sigma_s
    for k, step in enumerate(truth.steps):
        near = np.abs(chunk.t_s - step.t) < 0.15
        vertical_peak = chunk.t_s[near][np.argmax(vertical[near])]
        assert vertical_peak == pytest.approx(step.t + delay_s, abs=0.004)
        assert vertical[near].max() - GRAVITY_M_S2 > 4.0
        before = (chunk.t_s > step.t - 0.1) & (chunk.t_s < step.t + delay_s)
        surge_peak = chunk.t_s[before][np.argmax(forward[before])]
        assert surge_peak == pytest.approx(step.t + forward_peak_s, abs=0.006)
        if first <= k <= last:
            after = (chunk.t_s > step.t) & (chunk.t_s < step.t + 0.15)
            assert forward[after].min() < -0.8 * SHORT_WALK.heel_strike_forward_acc_m_s2


# --- truth files and presets ----------------------------------------------------------


def test_truth_round_trips_through_json(tmp_path, exact_step_ups, exact_walk):
    for session in (exact_step_ups, exact_walk):
        path = tmp_path / "truth.json"
        write_truth(session.truth, path)
        back = read_truth(path)
        original = session.truth
        assert back.reps == original.reps and back.steps == original.steps
        assert back.aborted == original.aborted and back.gait == original.gait
        assert (back.activity, back.duration_s, back.seed) == (
            original.activity,
            original.duration_s,
            original.seed,
        )
        assert back.settings == original.settings
        for placement, sensor in original.sensors.items():
            np.testing.assert_array_equal(
                back.sensors[placement].sensor_to_segment, sensor.sensor_to_segment
            )
            np.testing.assert_array_equal(
                back.sensors[placement].gyr_bias_rad_s, sensor.gyr_bias_rad_s
            )
            assert back.sensors[placement].samples_lost == sensor.samples_lost
        np.testing.assert_array_equal(
            back.kinematics.pelvis_obliquity_deg, original.kinematics.pelvis_obliquity_deg
        )


def test_presets_produce_what_their_names_say():
    asym = SCENARIOS["step_up_asymmetric"](1, reps_per_side=3)
    drops = {
        side: np.mean([r.pelvic_drop_deg for r in asym.truth.reps if r.side == side])
        for side in ("left", "right")
    }
    assert drops["right"] == pytest.approx(6.0, abs=0.35)
    assert drops["left"] == pytest.approx(3.0, abs=0.35)
    assert all(s.mount_error_deg <= 20.0 for s in asym.truth.sensors.values())
    sized = SCENARIOS["step_up_asymmetric"](1, duration_s=120.0, rate_hz=200.0)
    assert sized.truth.duration_s == pytest.approx(120.0, rel=0.15)
    assert sized.recording.meta.sensors["pelvis"].rate_hz == 200.0
    walk = SCENARIOS["walk_asymmetric"](1, duration_s=8.0)
    assert walk.truth.gait.step_time_s["right"] / walk.truth.gait.step_time_s[
        "left"
    ] == pytest.approx(1.1)
    messy = SCENARIOS["step_up_messy"](1, reps_per_side=2)
    assert len(messy.truth.reps) == 4 and len(messy.truth.aborted) == 2
    assert all(s.samples_lost >= 25 for s in messy.truth.sensors.values())
    alternating = SCENARIOS["step_up_alternating"](1, reps_per_side=2)
    assert [r.side for r in alternating.truth.reps] == ["right", "left"] * 2
    assert SCENARIOS["walk_symmetric"](1, duration_s=4.0).truth.gait.steps["left"] > 2
