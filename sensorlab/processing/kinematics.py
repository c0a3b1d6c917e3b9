"""Segment angles: stage 6 of the analysis, from each sensor's orientation.

Each sensor's quaternions (:mod:`.orientation`) and calibration (:mod:`.calibration_stage`)
give its segment's up vector, hence the pelvis's tilt and obliquity and each thigh's
sagittal angle (:mod:`.angles`); the pelvis's rotation against its reference heading, its
angular-rate magnitude and its world-vertical and forward acceleration; each thigh's
adduction in the pelvis's heading; and which rows lost data or had an uncertain
orientation. One row per grid row, the same for a whole recording and a stream.

Every vector these need (up in a segment frame, a segment axis or the specific force in
the world frame) is linear in its sensor's rotation matrix, hence in the products of its
quaternion's components (:func:`.orientation.rotation_terms`): one matrix product with
fixed coefficients, made once per calibration, gives all of a sensor's vectors.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from sensorlab.frames import PLACEMENTS
from sensorlab.processing import angles
from sensorlab.processing.calibration_stage import CalibrationStage
from sensorlab.processing.grid import MultiSensorGrid
from sensorlab.processing.matmul import matmul_columns
from sensorlab.processing.orientation import (
    ROTATION_MATRIX,
    ROTATION_MATRIX_HOMOGENEOUS,
    rotation_terms,
)
from sensorlab.records import SensorCalibration

KINEMATICS_COLUMNS = (
    "t_s",
    "pelvis_tilt_deg",
    "pelvis_obliquity_deg",
    "pelvis_rotation_deg",
    "left_thigh_sagittal_deg",
    "right_thigh_sagittal_deg",
    "left_thigh_adduction_deg",
    "right_thigh_adduction_deg",
    "pelvis_rate_dps",
    "pelvis_vertical_acc_m_s2",
    "pelvis_forward_acc_m_s2",
    "data_gap",
    "orientation_uncertain",
)
"""The kinematics columns, one row per grid row: times (s), angles (degrees), the pelvis's
rate (deg/s) and accelerations (m/s^2), and the lost-data and uncertain flags (0 or 1)."""


PASS_ROWS = 8192
"""Grid rows computed at a time. A pass's temporaries (a few dozen arrays of its rows)
stay in the CPU's cache and reuse the same memory; a whole session's would each be fresh
memory (page faults): in a new process, a 5-minute session's columns (32319 rows) took
14 ms in one pass, 10 ms in passes of 8192 rows (12 ms in passes of 4096 or 16384)."""

# The rows of a sensor's vectors (_pelvis_forms, _thigh_forms).
_UP = slice(0, 3)  # world up in the segment frame
_ROTATION = slice(3, 12)  # pelvis: the rotation matrix, row by row
_FORWARD = slice(12, 14)  # pelvis: the forward axis's world X and Y
_FORWARD_FROM_REFERENCE = slice(14, 16)  # pelvis: the same, turned by -(reference heading)
_LEFT = 16  # pelvis: from here, each thigh's turned left axis, X and Y
_LONG_AXIS = slice(3, 5)  # thigh: the long axis's world X and Y


class KinematicsStage:
    """The kinematics columns of grid rows (module docstring).

    Parameters
    ----------
    grid : MultiSensorGrid
        The sensors' samples on the grid (the pelvis's specific force and rate, which rows
        were bridged).
    stage : CalibrationStage
        The reference poses (gyroscope bias, gravity) and the orientation-uncertain flags.
    """

    def __init__(self, grid: MultiSensorGrid, stage: CalibrationStage) -> None:
        self.grid = grid
        self.stage = stage
        self.placements = stage.placements
        self.thighs: tuple[str, ...] = tuple(
            p for p in ("left_thigh", "right_thigh") if p in self.placements
        )
        """The thighs analysed, left first (the order of :func:`_pelvis_forms`'s turns)."""

    def columns(
        self,
        lo: int,
        hi: int,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
    ) -> dict[str, np.ndarray]:
        """The :data:`KINEMATICS_COLUMNS` of grid rows ``lo:hi``.

        From the sensors' quaternions on them, with ``calibration`` and each segment's
        reference heading (:meth:`_calibrate`), in passes of :data:`PASS_ROWS` rows.
        """
        parts = [
            self._pass(
                start,
                min(start + PASS_ROWS, hi),
                {p: q[start - lo : start - lo + PASS_ROWS] for p, q in quaternions.items()},
                calibration,
                headings0_deg,
            )
            for start in (range(lo, hi, PASS_ROWS) if hi > lo else [lo])
        ]
        if len(parts) == 1:
            return parts[0]
        return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}

    def _pass(
        self,
        lo: int,
        hi: int,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
    ) -> dict[str, np.ndarray]:
        """:meth:`columns` of grid rows ``lo:hi`` at once."""
        assert self.stage.static is not None
        rows = hi - lo
        columns: dict[str, np.ndarray] = {"t_s": self.grid.t_s(lo, hi)}
        present = self.placements
        vectors = self._vectors(quaternions, calibration, headings0_deg)
        nan = np.full((3, rows), np.nan)
        up_segment = np.stack([vectors[p][_UP] if p in present else nan for p in PLACEMENTS])
        columns.update(angles.segment_angles_deg(up_segment.transpose(0, 2, 1)))
        columns.update(self._adduction_columns(vectors, headings0_deg, rows))
        if "pelvis" in present:
            columns.update(self._pelvis_columns(lo, hi, vectors["pelvis"]))
        else:
            for name in (
                "pelvis_rotation_deg",
                "pelvis_rate_dps",
                "pelvis_vertical_acc_m_s2",
                "pelvis_forward_acc_m_s2",
            ):
                columns[name] = np.full(rows, np.nan)
        # Lost: some sensor's row bridged across a loss or empty. Uncertain: some
        # sensor's orientation not yet re-levelled after a loss too long to bridge.
        lost = np.zeros(rows, dtype=bool)
        uncertain = np.zeros(rows, dtype=bool)
        for placement in present:
            lost |= self.grid.bridged(placement, lo, hi) | ~np.isfinite(
                quaternions[placement][:, 0]
            )
            uncertain |= self.stage.uncertain[placement].rows("flag", lo, hi) > 0.5
        columns["data_gap"] = lost.astype(float)
        columns["orientation_uncertain"] = uncertain.astype(float)
        return columns

    def _vectors(
        self,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
    ) -> dict[str, np.ndarray]:
        """Each sensor's vectors of :func:`_pelvis_forms` or :func:`_thigh_forms`, (k, n).

        Every one is linear in the sensor's rotation matrix, hence in its quaternions'
        :func:`.orientation.rotation_terms`: one matrix product per sensor gives them all.
        """
        vectors = {}
        for placement in self.placements:
            sensor_to_segment = tuple(calibration[placement].sensor_to_segment.ravel().tolist())
            if placement == "pelvis":
                turns_deg = tuple(headings0_deg[p] - headings0_deg["pelvis"] for p in self.thighs)
                forms = _pelvis_forms(sensor_to_segment, headings0_deg["pelvis"], turns_deg)
            else:
                forms = _thigh_forms(sensor_to_segment)
            vectors[placement] = matmul_columns(forms, rotation_terms(quaternions[placement]))
        return vectors

    def _pelvis_columns(self, lo: int, hi: int, vectors: np.ndarray) -> dict[str, np.ndarray]:
        """Pelvis rotation, angular-rate norm, world-vertical and forward acceleration.

        On grid rows ``lo:hi``. ``vectors``: the pelvis's rows of :func:`_pelvis_forms`.
        """
        assert self.stage.static is not None
        columns = {}
        # Rotation: the forward axis's heading from its heading in the reference pose.
        columns["pelvis_rotation_deg"] = angles.heading_deg(vectors[_FORWARD_FROM_REFERENCE].T)
        forward = vectors[_FORWARD]
        raw = self.grid.raw_columns("pelvis", lo, hi)
        acc, gyr = raw[:3], raw[3:]
        rotation = vectors[_ROTATION].reshape(3, 3, -1)
        # The specific force in the world frame (m/s^2): R acc, row by row.
        acc_world = rotation[:, 0] * acc[0] + rotation[:, 1] * acc[1]
        acc_world += rotation[:, 2] * acc[2]
        # Forward acceleration: the world-horizontal specific force along the pelvis's
        # horizontal heading (gravity has no horizontal part; the contact detector uses it).
        forward_norm = np.sqrt(forward[0] * forward[0] + forward[1] * forward[1])
        columns["pelvis_forward_acc_m_s2"] = (
            acc_world[0] * forward[0] + acc_world[1] * forward[1]
        ) / forward_norm
        rate = gyr - self.stage.static["pelvis"].gyro_bias_rad_s[:, None]
        columns["pelvis_rate_dps"] = np.degrees(np.sqrt(np.add.reduce(rate * rate, axis=0)))
        # World-vertical specific force. The sensor's own reading of gravity in standing,
        # not 9.81: a scale or offset error would otherwise shift the whole vertical signal.
        columns["pelvis_vertical_acc_m_s2"] = (
            acc_world[2] - self.stage.static["pelvis"].gravity_m_s2
        )
        return columns

    def _adduction_columns(
        self, vectors: dict[str, np.ndarray], headings0_deg: dict[str, float], rows: int
    ) -> dict[str, np.ndarray]:
        """Each thigh's adduction in the pelvis's heading (:func:`angles.thigh_adduction_deg`).

        On ``rows`` rows of the sensors' ``vectors`` (:meth:`_vectors`). The thigh's long
        axis is taken in its own sensor's world frame and the pelvis's medial-lateral axis
        in the pelvis sensor's: their headings are independent (no magnetometer), but in
        the reference pose both segments face forward, so the pelvis's axis turns into the
        thigh's world by the difference of the two reference headings (``headings0_deg``;
        :func:`_pelvis_forms`). Without a pelvis sensor, the thigh's own heading in the
        reference pose stands in for the pelvis's (a pelvis that turns by some degrees
        then reads as about as many times the sine of the flexion of adduction). NaN for a
        thigh not analysed.
        """
        columns = {}
        for side in ("left", "right"):
            placement = f"{side}_thigh"
            if placement not in self.placements:
                columns[f"{side}_thigh_adduction_deg"] = np.full(rows, np.nan)
                continue
            if "pelvis" in self.placements:
                at = _LEFT + 2 * self.thighs.index(placement)
                left = vectors["pelvis"][at : at + 2].T
            else:
                heading0 = math.radians(headings0_deg[placement])
                left = np.array([-math.sin(heading0), math.cos(heading0)])
            columns[f"{side}_thigh_adduction_deg"] = angles.thigh_adduction_deg(
                vectors[placement][_LONG_AXIS].T, left, side
            )
        return columns


def _turn(turn_deg: float) -> np.ndarray:
    """Rotation of the world X and Y by ``turn_deg`` degrees about the vertical, (2, 2)."""
    turn = math.radians(turn_deg)
    return np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])


def _up_in_segment(sensor_to_segment: np.ndarray) -> np.ndarray:
    """World up in the segment frame, ``C R^T e_z``, as coefficients of the terms (3, 11).

    ``C``: the sensor-to-segment matrix; ``R^T e_z``, world up in the sensor frame, is
    the rotation matrix's last row (:func:`.orientation.up_in_sensor`).
    """
    return sensor_to_segment @ ROTATION_MATRIX[2]


def _horizontal_in_world(axis_sensor: np.ndarray) -> np.ndarray:
    """A sensor-frame vector's world X and Y, ``(R v)[:2]``, as coefficients (2, 11).

    In the homogeneous form (:data:`.orientation.ROTATION_MATRIX_HOMOGENEOUS`), the one
    adduction has been computed in; the other vectors here take
    :func:`.orientation.rotate_to_world`'s. With Fusion's quaternions, unit to float32
    precision, the other form would move adduction by up to 2e-5 deg.
    """
    return np.einsum("ijt,j->it", ROTATION_MATRIX_HOMOGENEOUS[:2], axis_sensor)


@functools.lru_cache(maxsize=64)
def _pelvis_forms(
    sensor_to_segment: tuple[float, ...], heading0_deg: float, turns_deg: tuple[float, ...]
) -> np.ndarray:
    """The pelvis's vectors as coefficients of :data:`.orientation.ROTATION_TERMS`, (k, 11).

    Rows (``_UP``, ``_ROTATION``, ...): world up in the segment frame (pelvis tilt and
    obliquity); the sensor-to-world rotation matrix, row by row (the specific force in the
    world frame); the segment's forward axis's world X and Y (forward acceleration), and
    the same turned about the vertical by ``-heading0_deg``, the pelvis's heading in the
    reference pose (pelvis rotation: its heading from there); then, for each turn in
    ``turns_deg`` (degrees), the medial-lateral (left) axis's world X and Y turned by it
    (a thigh's adduction in the pelvis's heading).
    ``sensor_to_segment``: the pelvis's (3, 3) matrix, row by row (its rows are the
    segment's axes in the sensor frame).
    """
    axes = np.reshape(sensor_to_segment, (3, 3))
    forward = np.einsum("ijt,j->it", ROTATION_MATRIX[:2], axes[0])
    left = _horizontal_in_world(axes[1])
    forms = np.concatenate(
        [
            _up_in_segment(axes),
            ROTATION_MATRIX.reshape(9, -1),
            forward,
            _turn(-heading0_deg) @ forward,
            *(_turn(turn_deg) @ left for turn_deg in turns_deg),
        ]
    )
    forms.setflags(write=False)  # shared by every call with the same calibration
    return forms


@functools.lru_cache(maxsize=64)
def _thigh_forms(sensor_to_segment: tuple[float, ...]) -> np.ndarray:
    """A thigh's vectors as coefficients of :data:`.orientation.ROTATION_TERMS`, (5, 11).

    Rows (``_UP``, ``_LONG_AXIS``): world up in the segment frame (sagittal angle); the
    segment's long axis's world X and Y (adduction). ``sensor_to_segment``: the thigh's
    (3, 3) matrix, row by row.
    """
    axes = np.reshape(sensor_to_segment, (3, 3))
    forms = np.concatenate([_up_in_segment(axes), _horizontal_in_world(axes[2])])
    forms.setflags(write=False)  # shared by every call with the same calibration
    return forms
