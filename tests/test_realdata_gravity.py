"""Real recordings: loaders, gravity versus the sensor's own orientation, segment angles.

Data: tests/data (see tests/data/README.md); loaders and measured facts: tests/realdata.py.

Tolerances
----------
During the quiet standing start the mean accelerometer direction and the Xsens orientation's
up vector (``R.T @ e_z``) agree to 0.14-0.46 deg (mean over the stretch) and to at most
1.14 deg per sample. The MTw's own static roll/pitch accuracy is 0.5 deg, and a 0.05 m/s^2
accelerometer bias alone tilts the gravity direction by 0.3 deg, so sub-degree agreement is
what the hardware supports. We allow 1.0 deg for the means and 2.0 deg per sample: about
twice what the data show, still far below what a wrong convention gives (the transposed
matrix is 13-154 deg off; a wrong mount moves angles by tens of degrees).
"""

from __future__ import annotations

import numpy as np
import pytest
import realdata
from realdata import MTW_MOUNTS, MTW_SENSOR_IDS, load_gaitmap_feet, load_mtw, mtw_standing_start
from scipy.signal import butter, filtfilt

from sensorlab.frames import mount_matrix
from sensorlab.processing import angles

MEAN_TOL_DEG = 1.0
SAMPLE_TOL_DEG = 2.0
PLACEMENTS = tuple(MTW_SENSOR_IDS)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cosine = np.sum(_unit(a) * _unit(b), axis=-1)
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def _standing_up_vectors(placement: str):
    """Up in the sensor frame during the standing start: from gravity and from the matrices."""
    recording = load_mtw(placement)
    standing = mtw_standing_start()
    up_from_gravity = _unit(recording.acc_m_s2[standing])
    up_from_orientation = recording.up_sensor[standing]
    return up_from_gravity, up_from_orientation


# --------------------------------------------------------------------------------------------
# loaders against the facts in the shared README
# --------------------------------------------------------------------------------------------


def test_mtw_loader_reads_the_three_sensors_on_one_clock():
    recordings = {placement: load_mtw(placement) for placement in PLACEMENTS}
    for recording in recordings.values():
        assert recording.rate_hz == 100.0
        n = len(recording.t_s)
        assert recording.acc_m_s2.shape == (n, 3)
        assert recording.orientation.shape == (n, 3, 3)
        # no lost packets in these files, so the clock is a plain 10 ms grid
        assert np.all(np.diff(recording.packet_counter) == 1)
        np.testing.assert_allclose(np.diff(recording.t_s), 0.01)
        assert 24.0 < recording.t_s[-1] < 25.5  # "~25 s total"
    # same first packet -> t_s is one clock for all three (lengths differ: 24.51-24.92 s)
    assert len({int(r.packet_counter[0]) for r in recordings.values()}) == 1


def test_mtw_orientation_matrices_are_rotations():
    for placement in PLACEMENTS:
        rotation = load_mtw(placement).orientation
        gram = np.einsum("nki,nkj->nij", rotation, rotation)
        # six decimals in the file: entries are off by up to 5e-7, so R^T R by ~2e-6
        assert np.abs(gram - np.eye(3)).max() < 1e-5
        np.testing.assert_allclose(np.linalg.det(rotation), 1.0, atol=1e-5)


def test_mtw_standing_start_is_detected_before_the_first_disturbance():
    standing = mtw_standing_start()
    # quiet from the first sample; all three sensors are jolted at ~2.2 s (before the walk
    # at ~5.2 s), and the 0.5 s detection window ends the stretch ~0.5 s before that
    assert standing.start == 0
    assert 1.5 <= standing.stop / 100.0 <= 2.3
    after = slice(standing.stop, standing.stop + 100)
    for placement in PLACEMENTS:
        acc = load_mtw(placement).acc_m_s2
        # the detector is not trivially true: the next second is not quiet
        assert not realdata.quiet_mask(acc, 100.0)[after].all()


def test_mtw_rest_facts_from_the_shared_readme():
    standing = mtw_standing_start()
    for placement in PLACEMENTS:
        norm = np.linalg.norm(load_mtw(placement).acc_m_s2[standing], axis=1)
        assert np.median(norm) == pytest.approx(9.81, abs=0.1)  # measured 9.80-9.88
    pelvis_mean = load_mtw("pelvis").acc_m_s2[standing].mean(axis=0)
    # README: about [9.44, 0.71, -2.81] (two decimals); measured [9.444, 0.714, -2.804]
    np.testing.assert_allclose(pelvis_mean, [9.44, 0.71, -2.81], atol=0.05)
    # pelvis +X points roughly up (about 17 deg off vertical)
    assert _angle_deg(pelvis_mean, np.array([1.0, 0.0, 0.0])) < 25.0


def test_gaitmap_loader_counts_and_rest_facts():
    feet = load_gaitmap_feet()
    assert feet.rate_hz == 204.8
    assert feet.n_samples == 7928  # 38.7 s
    assert len(feet.left.stride_borders) == 28
    assert len(feet.right.stride_borders) == 30
    assert len(feet.left.ic) == 28  # mocap events: 28 left, 29 right strides
    assert len(feet.right.ic) == 29
    for side in ("left", "right"):
        foot = feet[side]
        assert foot.acc_m_s2.shape == foot.gyr_dps.shape == (feet.n_samples, 3)
        assert np.all(foot.stride_borders[:, 0] < foot.stride_borders[:, 1])
        assert np.all(np.diff(foot.stride_borders[:, 0]) > 0)
        assert foot.stride_borders.min() >= 0 and foot.stride_borders.max() < feet.n_samples
        start, end = foot.event_strides.T
        assert np.all((start < foot.tc) & (foot.tc < foot.ic) & (foot.ic <= end))
        quiet = realdata.quiet_mask(foot.acc_m_s2, feet.rate_hz, max_std=0.2)
        assert quiet.sum() > feet.rate_hz  # more than 1 s of rest (it stands at the end)
        norm = np.linalg.norm(foot.acc_m_s2[quiet], axis=1)
        assert np.median(norm) == pytest.approx(9.81, abs=0.1)  # measured 9.82, 9.84


def test_gaitmap_initial_contact_is_where_the_swing_rotation_ends():
    """Checks that samples, columns and sides line up: the mocap IC sits on the upward zero
    crossing of gyr_y after the mid-swing minimum (measured within +-15 ms on all 56
    ordinary strides). 25 ms allows for the 100 Hz mocap grid the events come from.
    Swapping the feet or shifting the rows breaks this by far more."""
    feet = load_gaitmap_feet()
    tolerance = round(0.025 * feet.rate_hz)
    checked = 0
    for side in ("left", "right"):
        foot = feet[side]
        gyr_y = foot.gyr_dps[:, 1]
        for ic, tc in zip(foot.ic, foot.tc, strict=True):
            if ic - tc > 0.6 * feet.rate_hz:
                continue  # the left stride across the turn (tc 3467, ic 3774): not a swing
            mid_swing = tc + int(np.argmin(gyr_y[tc:ic]))
            assert gyr_y[mid_swing] < -250.0  # mid-swing peak, measured -299 to -386 deg/s
            crossing = mid_swing + int(np.argmax(gyr_y[mid_swing:] > 0))
            assert abs(crossing - ic) <= tolerance
            checked += 1
    assert checked == 56


# --------------------------------------------------------------------------------------------
# gravity versus orientation
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_orientation_up_vector_matches_gravity_during_standing(placement):
    from_gravity, from_orientation = _standing_up_vectors(placement)
    assert _angle_deg(from_gravity.mean(axis=0), from_orientation.mean(axis=0)) < MEAN_TOL_DEG
    assert _angle_deg(from_gravity, from_orientation).max() < SAMPLE_TOL_DEG
    # R[i-1, j-1] = Mat[i][j] is sensor-to-earth; read the other way round (R e_z) it fails
    transposed = load_mtw(placement).orientation[mtw_standing_start()][:, :, 2]
    assert _angle_deg(from_gravity.mean(axis=0), transposed.mean(axis=0)) > 10.0


def _segment_up(placement: str):
    mount = mount_matrix(MTW_MOUNTS[placement])
    from_gravity, from_orientation = _standing_up_vectors(placement)
    return from_gravity @ mount.T, from_orientation @ mount.T


def _assert_angles_agree(from_gravity: np.ndarray, from_orientation: np.ndarray):
    assert abs(from_gravity.mean() - from_orientation.mean()) < MEAN_TOL_DEG
    assert np.abs(from_gravity - from_orientation).max() < SAMPLE_TOL_DEG
    # the nominal mount is within the contract's 20-25 deg strap tolerance
    assert abs(from_orientation.mean()) < 25.0


def test_pelvis_tilt_and_obliquity_agree_during_standing():
    # measured: tilt +16.3 deg, obliquity -4.0 deg (the strap offset of the nominal mount)
    from_gravity, from_orientation = _segment_up("pelvis")
    _assert_angles_agree(
        angles.pelvis_tilt_deg(from_gravity), angles.pelvis_tilt_deg(from_orientation)
    )
    _assert_angles_agree(
        angles.pelvis_obliquity_deg(from_gravity), angles.pelvis_obliquity_deg(from_orientation)
    )


def _frontal_tilt_deg(up_segment: np.ndarray, side: str) -> np.ndarray:
    """The thigh's tilt in its own frontal plane, toward the midline positive.

    What gravity alone shows of adduction (which is taken in the pelvis's heading, and so
    needs the headings too): ``atan2`` of the up vector's medial and vertical components.
    """
    medial = -up_segment[..., 1] if side == "left" else up_segment[..., 1]
    return np.degrees(np.arctan2(medial, up_segment[..., 2]))


@pytest.mark.parametrize("side", ["left", "right"])
def test_thigh_sagittal_and_frontal_tilt_agree_during_standing(side):
    # measured: sagittal -9.0 (left) / +3.6 (right) deg, frontal tilt +2.5 / +3.4 deg
    from_gravity, from_orientation = _segment_up(f"{side}_thigh")
    _assert_angles_agree(
        angles.thigh_sagittal_deg(from_gravity), angles.thigh_sagittal_deg(from_orientation)
    )
    _assert_angles_agree(
        _frontal_tilt_deg(from_gravity, side), _frontal_tilt_deg(from_orientation, side)
    )


# --------------------------------------------------------------------------------------------
# the mounts' forward/left signs, from the walk (gravity alone cannot tell them)
# --------------------------------------------------------------------------------------------


def _segment_to_earth(placement: str) -> np.ndarray:
    return load_mtw(placement).orientation @ mount_matrix(MTW_MOUNTS[placement]).T


def test_segment_forward_axes_point_the_same_way_when_standing():
    standing = mtw_standing_start()
    headings = {}
    for placement in PLACEMENTS:
        forward = _segment_to_earth(placement)[standing, :, 0].mean(axis=0)
        headings[placement] = np.degrees(np.arctan2(forward[1], forward[0]))
    for placement in ("left_thigh", "right_thigh"):
        difference = (headings[placement] - headings["pelvis"] + 180.0) % 360.0 - 180.0
        assert abs(difference) < 30.0  # measured 7 and 15 deg


def test_pelvis_left_axis_sees_the_centripetal_acceleration_of_the_turns():
    """The subject walks an oval, turning left (yaw rate +37 deg/s on average): the slow
    part of the horizontal acceleration points to the inside of each turn, i.e. along the
    pelvis's left axis while turning left and against it while turning right (first turn).
    With sensor y = right and z = forward the correlation is +0.89; the mount rotated 180 deg
    about x (y left, z backward) would give -0.89."""
    recording = load_mtw("pelvis")
    segment = _segment_to_earth("pelvis")
    acc_earth = np.einsum("nij,nj->ni", recording.orientation, recording.acc_m_s2)
    left = segment[:, :, 1].copy()
    left[:, 2] = 0.0
    lateral = np.sum(acc_earth * _unit(left), axis=1)
    forward = segment[:, :, 0]
    yaw_rate = np.gradient(np.unwrap(np.arctan2(forward[:, 1], forward[:, 0])), 0.01)
    b, a = butter(2, 0.3 / 50.0)  # below the ~0.7 Hz stride sway
    walk = slice(500, len(lateral) - 50)
    correlation = np.corrcoef(filtfilt(b, a, lateral)[walk], filtfilt(b, a, yaw_rate)[walk])
    assert correlation[0, 1] > 0.5


@pytest.mark.parametrize("side", ["left", "right"])
def test_thigh_flexion_is_the_fast_swing_direction(side):
    """Swing (flexion) is faster than stance (extension): with the chosen mounts the 99th
    percentile of the flexion rate is 175/150 deg/s against 79/71 deg/s of extension. A
    flipped forward axis would swap them (ratio below 0.5)."""
    reference = realdata.reference_cadence_spm()
    recording = load_mtw(f"{side}_thigh")
    segment_up = recording.up_sensor @ mount_matrix(MTW_MOUNTS[f"{side}_thigh"]).T
    rate = np.gradient(angles.thigh_sagittal_deg(segment_up), 0.01)
    walk = (recording.t_s >= reference.walk_start_s) & (recording.t_s <= reference.walk_end_s)
    flexion, extension = np.percentile(rate[walk], [99, 1])
    assert flexion > 1.5 * abs(extension)


# --------------------------------------------------------------------------------------------
# reference cadence of the walk
# --------------------------------------------------------------------------------------------


def test_reference_cadence_agrees_with_the_pelvis_step_frequency():
    reference = realdata.reference_cadence_spm()
    assert 4.5 < reference.walk_start_s < 6.5  # the right thigh moves at 5.24 s
    assert reference.walk_end_s == reference.recording_end_s  # still walking at the end
    assert reference.alternates and reference.n_steps == 24
    # after gait initiation (first steps 6.06, 7.14, 7.99 s are slow) the count matches the
    # spectral estimate: 84.0 vs 83.5 steps/min; over all steps it is 79.1
    steady = reference.cadence_spm_between(9.0, reference.walk_end_s)
    assert steady == pytest.approx(reference.cadence_spectral_spm, rel=0.03)
    assert reference.cadence_spm < steady
    # independent sensor: the pelvis's vertical acceleration repeats once per step
    pelvis = load_mtw("pelvis")
    standing = mtw_standing_start()
    gravity = pelvis.acc_m_s2[standing].mean(axis=0)
    vertical = pelvis.acc_m_s2 @ _unit(gravity) - np.linalg.norm(gravity)
    steps = (pelvis.t_s >= reference.step_times_s[0]) & (pelvis.t_s <= reference.step_times_s[-1])
    segment = vertical[steps] - vertical[steps].mean()
    spectrum = np.abs(np.fft.rfft(segment * np.hanning(len(segment)), 1 << 16))
    frequency = np.fft.rfftfreq(1 << 16, 0.01)
    band = (frequency > 0.5) & (frequency < 3.5)
    step_frequency_spm = 60.0 * frequency[band][np.argmax(spectrum[band])]  # measured 83.7
    assert step_frequency_spm == pytest.approx(reference.cadence_spectral_spm, rel=0.03)
