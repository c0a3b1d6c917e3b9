"""Every standing drill's simulator is as physically exact as the step-ups': the gyroscope
is the derivative of the true orientation, the accelerometer the specific force of the
true motion, and each rep's truth shows the amplitudes its profile prescribed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_simulate import EXACT, G_WORLD, _integrate_gyro

from sensorlab.simulate import BodyMotion, DrillSettings, drills, simulate_drill
from sensorlab.simulate.drills import DrillSide, drill_kinds, profile
from sensorlab.simulate.profiles import MinJerkPath

SHORT = {kind: DrillSettings(kind=kind, reps=3, variation=0.0) for kind in drill_kinds()}
AFTER_A_WALK = DrillSettings(kind="single_leg_rdl", reps=3, variation=0.0, calibration_walk_steps=8)


@pytest.fixture(scope="module", params=[*SHORT, "walk then single_leg_rdl"])
def exact_drill(request):
    return simulate_drill(SHORT.get(request.param, AFTER_A_WALK), EXACT, seed=21)


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
    largest = []
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
        largest.append(np.abs(acc_fd).max())
    # Not vacuous: some sensor accelerates, by a hundred times the tolerance (slow drills
    # reach 0.7-1 m/s^2; a kickback's pelvis hardly moves).
    assert max(largest) > 0.5


def test_motion_is_c2_at_every_keyframe(exact_drill):
    eps = 1e-9
    if exact_drill.truth.settings["DrillSettings"]["calibration_walk_steps"]:
        pytest.skip("a walk's profiles are no keyframe paths (see the test below)")
    for name in BodyMotion.__dataclass_fields__:
        path = getattr(exact_drill.motion, name)
        assert isinstance(path, MinJerkPath)
        left, right = path(path.times_s - eps), path(path.times_s + eps)
        np.testing.assert_allclose(left.dx, right.dx, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(left.ddx, right.ddx, atol=1e-4, err_msg=name)


def test_the_truth_shows_the_prescribed_drill(exact_drill):
    """With no variation, each rep's truth is the profile's keyframe amplitude: the
    metrics measure the motion, not the other way round."""
    truth = exact_drill.truth
    a = profile(truth.activity).DEFAULT_SIDE
    expected = {
        "lunge": {
            "rear_thigh_extension_deg": a.other_thigh_deg,
            "pelvic_drop_deg": a.pelvic_drop_deg,
            "pelvic_rotation_range_deg": a.rotation_deg,
            "pelvic_tilt_range_deg": a.tilt_deg,
            "thigh_adduction_excursion_deg": a.adduction_deg,
            "thigh_rom_deg": a.depth_deg,
        },
        "split_squat": {
            "rear_thigh_extension_deg": a.other_thigh_deg,
            "pelvic_drop_deg": a.pelvic_drop_deg,
            "thigh_rom_deg": a.depth_deg - 25.0,
        },
        "single_leg_squat": {
            "thigh_rom_deg": a.depth_deg,
            "pelvic_drop_deg": a.pelvic_drop_deg,
            "thigh_adduction_excursion_deg": a.adduction_deg,
        },
        "single_leg_rdl": {
            "hinge_deg": a.tilt_deg,
            "pelvic_opening_deg": a.rotation_deg,
            "free_thigh_extension_deg": a.other_thigh_deg,
            "pelvic_drop_deg": a.pelvic_drop_deg,
        },
        "kickback": {
            "hip_extension_deg": a.other_thigh_deg,
            "lumbar_compensation_deg": a.tilt_deg,
            "pelvic_drop_deg": a.pelvic_drop_deg,
        },
        "squat": {"depth_left_deg": a.depth_deg, "depth_right_deg": a.depth_deg},
    }[truth.activity]
    assert len(truth.drill_reps) == 3 and truth.reps == [] and truth.steps == []
    for rep in truth.drill_reps:
        for metric, value in expected.items():
            # Thigh angles are the contract's projections: a thigh's adduction tilts its
            # sagittal angle by a fraction of a degree.
            assert rep.metrics[metric] == pytest.approx(value, abs=0.5), metric
        assert rep.t_start < rep.t_bottom < rep.t_end


def test_the_drill_follows_the_walk_smoothly():
    """From the walk to the drill at a standing moment: every degree of freedom C2 there
    (and at rest), the drill where the walk ended, its reps after the walk."""
    session = simulate_drill(AFTER_A_WALK, EXACT, seed=22)
    at = drills._calibration_walk(AFTER_A_WALK)[1] + 0.5 * drills.WALK_TO_DRILL_S
    for name in BodyMotion.__dataclass_fields__:
        trace = getattr(session.motion, name)(np.array([at - 1e-9, at + 1e-9]))
        for values in (trace.x, trace.dx, trace.ddx):
            assert values[0] == pytest.approx(values[1], abs=1e-6), name
        assert np.abs(trace.dx).max() < 1e-6 and np.abs(trace.ddx).max() < 1e-6, name
    walked = session.motion.pelvis_x(np.array([at])).x[0]
    assert walked > 3.0  # eight steps of 0.67 m, give or take the start and stop
    assert session.truth.drill_reps[0].t_start > at


def test_sides_follow_the_order():
    blocked = simulate_drill(DrillSettings(kind="split_squat", reps=5), seed=1).truth
    assert [r.side for r in blocked.drill_reps] == ["right"] * 3 + ["left"] * 2
    assert [r.set_index for r in blocked.drill_reps] == [0, 0, 0, 1, 1]
    alternating = simulate_drill(DrillSettings(kind="lunge", reps=4), seed=1).truth
    assert [r.side for r in alternating.drill_reps] == ["right", "left"] * 2


def test_an_asymmetric_preset_shows_in_the_truth():
    weak = DrillSide(pelvic_drop_deg=6.0, adduction_deg=9.0)
    session = simulate_drill(
        DrillSettings(kind="single_leg_squat", reps=4, right=weak, variation=0.0), seed=2
    )
    by_side = {r.side: r.metrics for r in session.truth.drill_reps}
    assert by_side["right"]["pelvic_drop_deg"] == pytest.approx(6.0, abs=0.1)
    assert by_side["left"]["pelvic_drop_deg"] == pytest.approx(3.0, abs=0.1)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="kind"):
        DrillSettings(kind="burpee")
    with pytest.raises(ValueError, match="at least one rep"):
        replace(SHORT["squat"], reps=0)
