"""Sensor-to-segment calibration: straps off by up to 25 deg, with and without a mount."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sensorlab.errors import InputError
from sensorlab.frames import mount_matrix
from sensorlab.processing.calibration import (
    HeadingEvidence,
    StaticPose,
    ThighReference,
    calibrate_sensor,
)
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate import (
    DEFAULT_SENSOR_SETTINGS,
    WalkSettings,
    simulate_step_ups,
    simulate_walk,
)
from sensorlab.simulate.scenarios import ASYMMETRIC_STEP_UPS

STRAP_ERROR_DEG = 25.0


def rotation_angle_deg(a, b):
    return float(np.degrees(np.arccos(np.clip((np.trace(a @ b.T) - 1) / 2, -1, 1))))


def without_mounts(recording):
    sensors = {p: replace(info, mount=None) for p, info in recording.meta.sensors.items()}
    return replace(recording, meta=replace(recording.meta, sensors=sensors))


@pytest.fixture(scope="module")
def step_ups_25deg():
    sensors = replace(DEFAULT_SENSOR_SETTINGS, mount_error_deg=STRAP_ERROR_DEG)
    return simulate_step_ups(ASYMMETRIC_STEP_UPS, sensors, seed=4)


@pytest.fixture(scope="module")
def walk_25deg():
    sensors = replace(DEFAULT_SENSOR_SETTINGS, mount_error_deg=STRAP_ERROR_DEG)
    walk = WalkSettings(duration_s=40.0, right_pelvic_drop_deg=5.0, left_pelvic_drop_deg=2.5)
    return simulate_walk(walk, sensors, seed=4)


@pytest.mark.parametrize("with_mount", [True, False], ids=["nominal-mount", "no-mount"])
def test_step_ups_with_25_deg_strap_errors(step_ups_25deg, with_mount):
    session = step_ups_25deg
    recording = session.recording if with_mount else without_mounts(session.recording)
    analysis = analyze(recording)
    for placement, calibration in analysis.calibration.items():
        true = session.truth.sensors[placement]
        assert true.mount_error_deg == pytest.approx(STRAP_ERROR_DEG)
        # Vertical from standing; thighs' heading from their flexion axis, the pelvis's
        # from the thighs' axes carried over.
        limit = 4.0
        assert rotation_angle_deg(calibration.sensor_to_segment, true.sensor_to_segment) < limit
        if with_mount:
            assert calibration.mount_correction_deg == pytest.approx(STRAP_ERROR_DEG, abs=limit)
        else:
            assert calibration.mount_correction_deg is None
            assert any("no mount" in note for note in calibration.notes)
    assert [r.side for r in analysis.reps] == [r.side for r in session.truth.reps]
    for rep, true in zip(analysis.reps, session.truth.reps, strict=True):
        assert rep.pelvic_drop_deg == pytest.approx(true.pelvic_drop_deg, abs=1.5)
        assert rep.thigh_rom_deg == pytest.approx(true.thigh_rom_deg, abs=1.5)


@pytest.mark.parametrize("with_mount", [True, False], ids=["nominal-mount", "no-mount"])
def test_walk_with_25_deg_strap_errors(walk_25deg, with_mount):
    session = walk_25deg
    recording = session.recording if with_mount else without_mounts(session.recording)
    analysis = analyze(recording)
    for placement, calibration in analysis.calibration.items():
        true = session.truth.sensors[placement].sensor_to_segment
        assert rotation_angle_deg(calibration.sensor_to_segment, true) < 4.0
    true_t = np.array([s.t for s in session.truth.steps])
    for step in analysis.steps:
        true = session.truth.steps[int(np.argmin(np.abs(true_t - step.t)))]
        assert step.side == true.side
        assert step.pelvic_drop_deg == pytest.approx(true.pelvic_drop_deg, abs=1.5)


def test_quality_reflects_how_still_the_standing_was():
    rng = np.random.default_rng(0)
    up = np.array([0.0, 0.0, 1.0])

    def pose(noise_m_s2):
        acc = 9.81 * up + rng.normal(0, noise_m_s2, (300, 3))
        norm_sd = float(np.linalg.norm(acc, axis=1).std())
        return StaticPose((0.0, 3.0), np.zeros(3), up, norm_sd)

    quiet = calibrate_sensor("left_thigh", pose(0.01), None, np.eye(3))
    restless = calibrate_sensor("left_thigh", pose(0.1), None, np.eye(3))
    assert quiet.quality > 0.8
    assert restless.quality < quiet.quality - 0.3


def test_recovers_an_exact_frame_from_standing_and_a_pure_flexion():
    """Analytic case: a sensor mounted with a known rotation, a thigh flexing about its
    medio-lateral axis; the calibration must return that rotation."""
    nominal = mount_matrix({"x": "up", "y": "forward", "z": "left"})
    strap = Rotation.from_rotvec(
        np.radians(20) * np.array([0.3, 0.8, 0.5]) / np.linalg.norm([0.3, 0.8, 0.5])
    )
    sensor_to_segment = strap.as_matrix() @ nominal
    up_sensor = sensor_to_segment.T @ [0.0, 0.0, 1.0]
    left_sensor = sensor_to_segment.T @ [0.0, 1.0, 0.0]
    t = np.arange(0, 10, 0.01)
    flexion_rate = -np.radians(120) * np.sin(2 * np.pi * 0.5 * t)  # about +left is extension
    gyr = np.outer(flexion_rate, left_sensor)
    evidence = HeadingEvidence(gyr, np.zeros_like(gyr), np.eye(3), 100.0)
    static = StaticPose((0.0, 3.0), np.zeros(3), up_sensor, 0.01)
    calibration = calibrate_sensor("left_thigh", static, evidence, nominal)
    assert rotation_angle_deg(calibration.sensor_to_segment, sensor_to_segment) < 0.01
    assert calibration.mount_correction_deg == pytest.approx(20.0, abs=0.01)
    without = calibrate_sensor("left_thigh", static, evidence, None)
    assert rotation_angle_deg(without.sensor_to_segment, sensor_to_segment) < 0.01


def test_no_mount_and_no_movement_says_what_is_missing():
    static = StaticPose((0.0, 3.0), np.zeros(3), np.array([0.0, 0.0, 1.0]), 0.01)
    with pytest.raises(ValueError, match="mount"):
        calibrate_sensor("pelvis", static, None, None)


def test_session_without_movement_and_without_mount_is_a_clear_input_error(step_ups_25deg):
    recording = without_mounts(step_ups_25deg.recording)
    standing = {
        p: replace(
            c,
            t_s=c.t_s[c.t_s < 3.5],
            acc_m_s2=c.acc_m_s2[c.t_s < 3.5],
            gyr_rad_s=c.gyr_rad_s[c.t_s < 3.5],
            seq=c.seq[c.t_s < 3.5],
            device_t_s=c.device_t_s[c.t_s < 3.5],
        )
        for p, c in recording.chunks.items()
    }
    with pytest.raises(InputError, match="mount"):
        analyze(replace(recording, chunks=standing))


def test_pelvis_heading_from_the_thighs_flexion_axes():
    """Analytic case: the pelvis and a thigh feel the same horizontal motion, each in its
    own world frame (headings differ by an unknown angle); the pelvis is strapped 25 deg
    off. Carrying the thigh's flexion axis over must give the pelvis's true forward axis,
    whatever the thigh's heading."""
    rate = 100.0
    t = np.arange(0, 20, 1 / rate)
    travel = np.sin(2 * np.pi * 0.4 * t)
    # Body frame: forward travel with a shift toward one leg in step (as in one-sided
    # step-ups: the travel itself veers ~8.5 deg) plus some sway. The pelvis's own
    # motion points the wrong way; only the thigh can tell.
    motion = np.column_stack(
        [travel, 0.15 * travel + 0.3 * np.sin(2 * np.pi * 0.9 * t + 1.0), 0.8 * travel]
    )
    pelvis_heading = np.radians(35.0)  # body forward in the pelvis sensor's world frame
    thigh_heading = np.radians(-70.0)
    to_world = lambda heading: Rotation.from_euler("z", heading).as_matrix()  # noqa: E731
    nominal = mount_matrix({"x": "up", "y": "left", "z": "backward"})
    strap = Rotation.from_euler("z", 25, degrees=True).as_matrix()  # about the vertical
    pelvis_to_segment = strap @ nominal
    up = pelvis_to_segment.T @ [0.0, 0.0, 1.0]
    # Sensor-to-world at standing: segment axes map to the body axes turned by the heading.
    pelvis_static = to_world(pelvis_heading) @ pelvis_to_segment
    pelvis = HeadingEvidence(
        np.zeros_like(motion), motion @ to_world(pelvis_heading).T, pelvis_static, rate
    )
    thigh_to_segment = mount_matrix({"x": "up", "y": "forward", "z": "left"})
    thigh = HeadingEvidence(
        np.zeros_like(motion),
        motion @ to_world(thigh_heading).T,
        to_world(thigh_heading) @ thigh_to_segment,
        rate,
    )
    references = [ThighReference(thigh, thigh_to_segment[1])] * 2
    static = StaticPose((0.0, 3.0), np.zeros(3), up, 0.01)
    calibration = calibrate_sensor("pelvis", static, pelvis, nominal, thighs=references)
    assert rotation_angle_deg(calibration.sensor_to_segment, pelvis_to_segment) < 0.1
    assert calibration.mount_correction_deg == pytest.approx(25.0, abs=0.1)
    alone = calibrate_sensor("pelvis", static, pelvis, nominal)  # without the thighs
    assert rotation_angle_deg(alone.sensor_to_segment, pelvis_to_segment) > 5.0


def test_a_heading_far_from_the_mount_is_not_trusted_and_is_a_warning():
    """The movement says the thigh sensor sits 60 deg about the vertical from where the
    sidecar says: more than a strap slips, so the nominal heading is kept and the user
    is told to check the strap."""
    nominal = mount_matrix({"x": "up", "y": "forward", "z": "left"})
    strap = Rotation.from_euler("z", 60, degrees=True).as_matrix()  # about the long axis
    actual = strap @ nominal
    up_sensor = actual.T @ [0.0, 0.0, 1.0]
    left_sensor = actual.T @ [0.0, 1.0, 0.0]
    t = np.arange(0, 10, 0.01)
    gyr = np.outer(-np.radians(120) * np.sin(2 * np.pi * 0.5 * t), left_sensor)
    evidence = HeadingEvidence(gyr, np.zeros_like(gyr), np.eye(3), 100.0)
    static = StaticPose((0.0, 3.0), np.zeros(3), up_sensor, 0.01)
    calibration = calibrate_sensor("left_thigh", static, evidence, nominal)
    assert rotation_angle_deg(calibration.sensor_to_segment, nominal) < 0.01
    assert (
        len(calibration.warnings) == 1
        and "check how the sensor was strapped" in calibration.warnings[0]
    )
    assert calibration.warnings[0] in calibration.notes


@pytest.mark.parametrize("seed", range(5))
def test_sensors_bandpassed_together_are_each_as_if_filtered_alone(seed):
    """The pelvis's and thighs' horizontal accelerations, filtered in one call, against
    each sensor's horizontal columns filtered on their own, bit for bit."""
    from scipy import signal

    from sensorlab.processing.calibration import _bandpassed_horizontals
    from sensorlab.processing.filters import butter_sos

    rng = np.random.default_rng(seed)
    rate_hz = float(rng.choice([50.0, 100.0, 200.0]))
    n = int(rng.integers(500, 5000))
    accs = [rng.normal(scale=10.0 ** rng.uniform(-1, 1), size=(n, 3)) for _ in range(3)]
    sos = butter_sos(2, (0.2, min(3.0, 0.45 * rate_hz)), rate_hz, "bandpass")
    got = _bandpassed_horizontals(accs, rate_hz)
    assert len(got) == len(accs)
    for acc, filtered in zip(accs, got, strict=True):
        np.testing.assert_array_equal(filtered, signal.sosfiltfilt(sos, acc[:, :2], axis=0))
