"""The lunge and squat drills are as physically exact as the step-ups: the gyroscope is the
derivative of the true orientation, the accelerometer the specific force of the true
motion, and the truth shows the prescribed depth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_simulate import EXACT, G_WORLD, _integrate_gyro

from sensorlab.simulate import BodyMotion, DrillSettings, simulate_drill
from sensorlab.simulate.body import pelvis_pose
from sensorlab.simulate.profiles import MinJerkPath

SHORT = {
    "lunge": DrillSettings(kind="lunge", reps=3),
    "squat": DrillSettings(kind="squat", reps=3),
}


@pytest.fixture(scope="module", params=list(SHORT))
def exact_drill(request):
    return simulate_drill(SHORT[request.param], EXACT, seed=21)


def test_integrated_gyro_reproduces_true_orientation(exact_drill):
    for placement, chunk in exact_drill.recording.chunks.items():
        _, R_true = exact_drill.sensor_pose(placement, chunk.t_s)
        q0 = Rotation.from_matrix(R_true[0]).as_quat()
        estimate = Rotation.from_quat(_integrate_gyro(chunk.t_s, chunk.gyr_rad_s, q0))
        error_deg = np.degrees((estimate.inv() * Rotation.from_matrix(R_true)).magnitude())
        assert error_deg.max() < 0.5, placement
        assert np.degrees(Rotation.from_matrix(R_true[0].T @ R_true).magnitude()).max() > 5.0


def test_specific_force_equals_second_derivative_of_sensor_position(exact_drill):
    h = 1e-4
    for placement, chunk in exact_drill.recording.chunks.items():
        t = chunk.t_s
        position, R = exact_drill.sensor_pose(placement, t)
        acc_fd = (
            exact_drill.sensor_pose(placement, t + h)[0]
            - 2.0 * position
            + exact_drill.sensor_pose(placement, t - h)[0]
        ) / h**2
        acc_world = np.einsum("nij,nj->ni", R, exact_drill.recording.chunks[placement].acc_m_s2)
        np.testing.assert_allclose(acc_world - G_WORLD, acc_fd, atol=5e-3, err_msg=placement)
        assert np.abs(acc_fd).max() > 1.0


def test_motion_is_c2_at_every_keyframe(exact_drill):
    eps = 1e-9
    for name in BodyMotion.__dataclass_fields__:
        path = getattr(exact_drill.motion, name)
        assert isinstance(path, MinJerkPath)
        left, right = path(path.times_s - eps), path(path.times_s + eps)
        np.testing.assert_allclose(left.dx, right.dx, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(left.ddx, right.ddx, atol=1e-4, err_msg=name)


def test_the_truth_shows_the_prescribed_drill(exact_drill):
    truth = exact_drill.truth
    settings = SHORT[truth.activity]
    k = truth.kinematics
    assert truth.reps == [] and truth.steps == [] and truth.gait is None
    left, right = k.left_thigh_sagittal_deg, k.right_thigh_sagittal_deg
    if truth.activity == "lunge":
        # Alternating front legs, right first: each reaches the depth, the other extends.
        assert right.max() == pytest.approx(settings.depth_deg, abs=0.5)
        assert left.max() == pytest.approx(settings.depth_deg, abs=0.5)
        at_right_peak = int(np.argmax(right))
        assert left[at_right_peak] == pytest.approx(-settings.rear_extension_deg, abs=0.5)
    else:
        at_peak = int(np.argmax(right))
        assert left[at_peak] == pytest.approx(right[at_peak], abs=0.1)
        assert right[at_peak] == pytest.approx(settings.depth_deg, abs=0.5)
    height = pelvis_pose(exact_drill.motion, k.t_s).pos[:, 2]
    assert height.max() - height.min() == pytest.approx(settings.drop_m, abs=1e-6)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="kind"):
        DrillSettings(kind="burpee")
    with pytest.raises(ValueError, match="at least one rep"):
        replace(SHORT["squat"], reps=0)
