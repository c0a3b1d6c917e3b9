"""Segment angles: stage 6 of the analysis, from each sensor's orientation.

Each sensor's quaternions (:mod:`.orientation`) and calibration (:mod:`.calibration_stage`)
give its segment's up vector, hence the pelvis's tilt and obliquity and each thigh's
sagittal angle (:mod:`.angles`); the pelvis's rotation against its reference heading, its
angular-rate magnitude and its world-vertical and forward acceleration; each thigh's
adduction in the pelvis's heading; and which rows lost data or had an uncertain
orientation. One row per grid row, the same for a whole recording and a stream.
"""

from __future__ import annotations

import math

import numpy as np

from sensorlab.frames import PLACEMENTS
from sensorlab.processing import angles
from sensorlab.processing.calibration_stage import CalibrationStage
from sensorlab.processing.grid import MultiSensorGrid
from sensorlab.processing.matmul import matmul_rows
from sensorlab.processing.orientation import horizontal_in_world, rotate_to_world, up_in_sensor
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
        reference heading (:meth:`_calibrate`).
        """
        assert self.stage.static is not None
        columns: dict[str, np.ndarray] = {"t_s": self.grid.t_s(lo, hi)}
        present = self.placements
        up_sensor = {p: up_in_sensor(quaternions[p]) for p in present}
        up_segment = np.full((len(PLACEMENTS), hi - lo, 3), np.nan)
        for placement, up in up_sensor.items():
            up_segment[PLACEMENTS.index(placement)] = matmul_rows(
                up, calibration[placement].sensor_to_segment.T
            )
        columns.update(angles.segment_angles_deg(up_segment))
        columns.update(self._adduction_columns(quaternions, calibration, headings0_deg, hi - lo))
        if "pelvis" in present:
            columns.update(
                self._pelvis_columns(
                    lo,
                    hi,
                    quaternions["pelvis"],
                    up_sensor["pelvis"],
                    calibration["pelvis"].sensor_to_segment[0],
                    headings0_deg["pelvis"],
                )
            )
        else:
            for name in (
                "pelvis_rotation_deg",
                "pelvis_rate_dps",
                "pelvis_vertical_acc_m_s2",
                "pelvis_forward_acc_m_s2",
            ):
                columns[name] = np.full(hi - lo, np.nan)
        # Lost: some sensor's row bridged across a loss or empty. Uncertain: some
        # sensor's orientation not yet re-levelled after a loss too long to bridge.
        lost = np.zeros(hi - lo, dtype=bool)
        uncertain = np.zeros(hi - lo, dtype=bool)
        for placement in present:
            lost |= self.grid.bridged(placement, lo, hi) | ~np.isfinite(
                quaternions[placement][:, 0]
            )
            uncertain |= self.stage.uncertain[placement].rows("flag", lo, hi) > 0.5
        columns["data_gap"] = lost.astype(float)
        columns["orientation_uncertain"] = uncertain.astype(float)
        return columns

    def _pelvis_columns(
        self,
        lo: int,
        hi: int,
        quaternions: np.ndarray,
        pelvis_up: np.ndarray,
        forward_sensor: np.ndarray,
        heading0_deg: float,
    ) -> dict[str, np.ndarray]:
        """Pelvis rotation, angular-rate norm, world-vertical and forward acceleration.

        On grid rows ``lo:hi``. ``forward_sensor``: the pelvis's forward axis in its sensor
        frame; ``heading0_deg``: its heading in the reference pose.
        """
        assert self.stage.static is not None
        columns = {}
        forward = rotate_to_world(quaternions, forward_sensor, horizontal_only=True)
        heading = angles.heading_deg(forward) - heading0_deg
        columns["pelvis_rotation_deg"] = (heading + 180.0) % 360.0 - 180.0
        acc, gyr = self.grid.raw("pelvis", lo, hi)
        # Forward acceleration: the world-horizontal specific force along the pelvis's
        # horizontal heading (gravity has no horizontal part; the contact detector uses it).
        acc_horizontal = rotate_to_world(quaternions, acc, horizontal_only=True)
        forward_norm = np.sqrt(forward[:, 0] * forward[:, 0] + forward[:, 1] * forward[:, 1])
        columns["pelvis_forward_acc_m_s2"] = (
            acc_horizontal[:, 0] * forward[:, 0] + acc_horizontal[:, 1] * forward[:, 1]
        ) / forward_norm
        rate = gyr - self.stage.static["pelvis"].gyro_bias_rad_s
        columns["pelvis_rate_dps"] = np.degrees(np.sqrt(np.add.reduce(rate * rate, axis=1)))
        # World-vertical specific force: up in the sensor frame (the rotation matrix's
        # last row) dotted with it. The sensor's own reading of gravity in standing, not
        # 9.81: a scale or offset error would otherwise shift the whole vertical signal.
        columns["pelvis_vertical_acc_m_s2"] = (
            pelvis_up[:, 0] * acc[:, 0] + pelvis_up[:, 1] * acc[:, 1] + pelvis_up[:, 2] * acc[:, 2]
        ) - self.stage.static["pelvis"].gravity_m_s2
        return columns

    def _adduction_columns(
        self,
        quaternions: dict[str, np.ndarray],
        calibration: dict[str, SensorCalibration],
        headings0_deg: dict[str, float],
        rows: int,
    ) -> dict[str, np.ndarray]:
        """Each thigh's adduction in the pelvis's heading (:func:`angles.thigh_adduction_deg`).

        On ``rows`` rows of the sensors' ``quaternions``. The thigh's long axis is taken in
        its own sensor's world frame and the pelvis's medial-lateral axis in the pelvis
        sensor's: their headings are independent (no magnetometer), but in the reference
        pose both segments face forward, so the pelvis's axis turns into the thigh's world
        by the difference of the two reference headings (``headings0_deg``). Without a
        pelvis sensor, the thigh's own heading in the reference pose stands in for the
        pelvis's (a pelvis that turns by some degrees then reads as about as many times
        the sine of the flexion of adduction). NaN for a thigh not analysed.
        """
        columns = {}
        for side in ("left", "right"):
            placement = f"{side}_thigh"
            if placement not in self.placements:
                columns[f"{side}_thigh_adduction_deg"] = np.full(rows, np.nan)
                continue
            heading0_deg = headings0_deg[placement]
            if "pelvis" in self.placements:
                left = horizontal_in_world(
                    quaternions["pelvis"],
                    tuple(calibration["pelvis"].sensor_to_segment[1]),
                    heading0_deg - headings0_deg["pelvis"],
                )
            else:
                heading0 = math.radians(heading0_deg)
                left = np.array([-math.sin(heading0), math.cos(heading0)])
            long_axis = horizontal_in_world(
                quaternions[placement], tuple(calibration[placement].sensor_to_segment[2])
            )
            columns[f"{side}_thigh_adduction_deg"] = angles.thigh_adduction_deg(
                long_axis, left, side
            )
        return columns
