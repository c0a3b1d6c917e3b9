"""Body kinematics: joint-angle and pelvis profiles -> segment and sensor poses, exactly.

World frame: X forward, Y left, Z up (gravity along -Z). Segment frames as in
:mod:`sensorlab.frames` (x forward, y left, z up in the standing pose).

- Pelvis: origin midway between the hip joints at ``p(t)`` (world, m), orientation
  ``R_p = Rz(rotation) @ Rx(obliquity) @ Ry(tilt)``; tilt positive = anterior, obliquity
  positive = right side lower.
- Thighs: origin at the hip joint, ``p + R_p @ HIP_OFFSETS_M[side]``; orientation
  ``Rz(rotation) @ Ry(-flexion) @ Rx(-adduction)`` (left) or ``Rx(+adduction)`` (right);
  flexion = knee forward, adduction = knee toward the midline.

Orientations come with their first and second time derivatives (product rule over the
elementary rotations), so angular rates and point accelerations are analytic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.processing import angles
from sensorlab.records import Kinematics
from sensorlab.simulate.profiles import Profile, Trace, constant

HIP_OFFSETS_M = {"left": np.array([0.0, 0.09, 0.0]), "right": np.array([0.0, -0.09, 0.0])}
"""Hip joint centres in the pelvis frame, m."""

SENSOR_OFFSETS_M = {
    "pelvis": np.array([-0.12, 0.0, 0.0]),
    "left_thigh": np.array([0.0, 0.07, -0.20]),
    "right_thigh": np.array([0.0, -0.07, -0.20]),
}
"""Sensor positions in their segment frames, m: sacrum; lateral thigh 20 cm below the hip."""

STANDING_HIP_HEIGHT_M = 0.92
"""Height of the pelvis origin above the floor when standing, m (it only shifts positions)."""


@dataclass(frozen=True)
class BodyMotion:
    """The prescribed motion: one profile per degree of freedom.

    Angles are in rad, positions in m (world frame), all as functions of time in s
    (:mod:`sensorlab.simulate.profiles`). Signs as in the module docstring.
    """

    pelvis_x: Profile
    pelvis_y: Profile
    pelvis_z: Profile
    pelvis_tilt: Profile
    pelvis_obliquity: Profile
    pelvis_rotation: Profile
    left_flexion: Profile
    left_adduction: Profile
    right_flexion: Profile
    right_adduction: Profile

    @classmethod
    def standing(cls, hip_height_m: float = STANDING_HIP_HEIGHT_M) -> BodyMotion:
        """Quiet standing forever: every angle zero, pelvis at ``(0, 0, hip_height_m)``."""
        zero = constant(0.0)
        return cls(zero, zero, constant(hip_height_m), *([zero] * 7))


@dataclass(frozen=True)
class Pose:
    """Pose of a frame and its time derivatives at ``n`` instants.

    Attributes
    ----------
    rot, rot_d1, rot_d2 : ndarray, shape (n, 3, 3)
        Frame -> world rotation ``R`` and its first and second time derivatives
        (1/s, 1/s^2).
    pos, vel, acc : ndarray, shape (n, 3)
        Origin position in the world (m), its velocity (m/s) and acceleration (m/s^2).
    """

    rot: np.ndarray
    rot_d1: np.ndarray
    rot_d2: np.ndarray
    pos: np.ndarray
    vel: np.ndarray
    acc: np.ndarray

    def point(self, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """World position (m) and acceleration (m/s^2) of the point ``r`` (frame coords, m)."""
        return self.pos + self.rot @ r, self.acc + self.rot_d2 @ r

    def body_rate(self) -> np.ndarray:
        """Angular velocity in the frame itself (rad/s): ``vee(R^T dR)``, shape (n, 3)."""
        W = np.einsum("nji,njk->nik", self.rot, self.rot_d1)
        return 0.5 * np.stack(
            [W[:, 2, 1] - W[:, 1, 2], W[:, 0, 2] - W[:, 2, 0], W[:, 1, 0] - W[:, 0, 1]], axis=1
        )


def _elementary(axis: str, angle_rad: np.ndarray) -> tuple[np.ndarray, ...]:
    """Rotation about ``axis`` by ``angle_rad``, with two angle derivatives.

    The first and second derivatives are ``A K`` and ``A K^2`` for the axis' skew matrix ``K``; each
    shape (n, 3, 3).
    """
    n = angle_rad.shape[0]
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    i, j = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}[axis]
    A, dA, ddA = np.zeros((n, 3, 3)), np.zeros((n, 3, 3)), np.zeros((n, 3, 3))
    A[:, 3 - i - j, 3 - i - j] = 1.0
    for M, (cii, cij) in ((A, (c, -s)), (dA, (-s, -c)), (ddA, (-c, s))):
        M[:, i, i] = M[:, j, j] = cii
        M[:, i, j] = cij
        M[:, j, i] = -cij
    return A, dA, ddA


def _rotation_chain(factors: list[tuple[str, Trace]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``R = R_a1(q1) @ R_a2(q2) @ ...`` with dR and ddR, by the product rule."""

    def factor(axis: str, q: Trace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        A, A1, A2 = _elementary(axis, q.x)
        return (
            A,
            A1 * q.dx[:, None, None],
            A1 * q.ddx[:, None, None] + A2 * (q.dx**2)[:, None, None],
        )

    (first_axis, first_q), *rest = factors
    R, dR, ddR = factor(first_axis, first_q)
    for axis, q in rest:
        A, dA, ddA = factor(axis, q)
        R, dR, ddR = R @ A, dR @ A + R @ dA, ddR @ A + 2.0 * (dR @ dA) + R @ ddA
    return R, dR, ddR


def _thigh_rotation(
    motion: BodyMotion, side: str, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    flexion = motion.left_flexion(t) if side == "left" else motion.right_flexion(t)
    adduction = motion.left_adduction(t) if side == "left" else motion.right_adduction(t)
    return _rotation_chain(
        [
            ("z", motion.pelvis_rotation(t)),
            ("y", -flexion),
            ("x", -adduction if side == "left" else adduction),
        ]
    )


def _stack(traces: list[Trace]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, first and second derivative of the traces, side by side (shape (n, len))."""
    x, dx, ddx = (np.stack([getattr(tr, f) for tr in traces], axis=1) for f in ("x", "dx", "ddx"))
    return x, dx, ddx


def pelvis_pose(motion: BodyMotion, t_s: np.ndarray) -> Pose:
    """Pose of the pelvis segment frame at times ``t_s`` (s)."""
    t = np.asarray(t_s, dtype=float)
    R = _rotation_chain(
        [
            ("z", motion.pelvis_rotation(t)),
            ("x", motion.pelvis_obliquity(t)),
            ("y", motion.pelvis_tilt(t)),
        ]
    )
    p = _stack([motion.pelvis_x(t), motion.pelvis_y(t), motion.pelvis_z(t)])
    return Pose(*R, *p)


def thigh_pose(motion: BodyMotion, side: str, t_s: np.ndarray, pelvis: Pose | None = None) -> Pose:
    """Pose of the ``side`` thigh segment frame (origin at the hip joint) at ``t_s`` (s)."""
    t = np.asarray(t_s, dtype=float)
    pelvis = pelvis_pose(motion, t) if pelvis is None else pelvis
    R = _thigh_rotation(motion, side, t)
    h = HIP_OFFSETS_M[side]
    return Pose(
        *R,
        pelvis.pos + pelvis.rot @ h,
        pelvis.vel + pelvis.rot_d1 @ h,
        pelvis.acc + pelvis.rot_d2 @ h,
    )


def segment_pose(motion: BodyMotion, placement: str, t_s: np.ndarray) -> Pose:
    """Pose of the segment that carries ``placement`` (``pelvis`` or ``<side>_thigh``)."""
    if placement == "pelvis":
        return pelvis_pose(motion, t_s)
    if placement in ("left_thigh", "right_thigh"):
        return thigh_pose(motion, placement.split("_")[0], t_s)
    raise ValueError(f"the simulator has no segment for placement {placement!r}")


def true_kinematics(motion: BodyMotion, t_s: np.ndarray) -> Kinematics:
    """Segment angles (deg) at ``t_s`` from the true orientations, via :mod:`angles`."""
    t = np.asarray(t_s, dtype=float)
    pelvis = pelvis_pose(motion, t)
    thighs = {side: thigh_pose(motion, side, t, pelvis).rot for side in ("left", "right")}
    # R^T e_z, the world up axis in each segment frame, in PLACEMENTS order.
    ups = [pelvis.rot[:, 2, :]] + [thighs[side][:, 2, :] for side in ("left", "right")]
    # R e_z, each thigh's long axis in the world, against the pelvis's y axis R e_y.
    adduction = {
        f"{side}_thigh_adduction_deg": angles.thigh_adduction_deg(
            thighs[side][:, :, 2], pelvis.rot[:, :, 1], side
        )
        for side in ("left", "right")
    }
    return Kinematics(
        t_s=t,
        pelvis_rotation_deg=angles.heading_deg(pelvis.rot[:, :, 0]),
        **angles.segment_angles_deg(np.array(ups)),
        **adduction,
    )


def thigh_sagittal_rate_dps(motion: BodyMotion, side: str, t_s: np.ndarray) -> np.ndarray:
    """Exact time derivative of the thigh sagittal angle (deg/s) at ``t_s`` (s).

    The angle is ``atan2(u_x, u_z)`` with ``u = R^T e_z``; its derivative uses
    ``du/dt = dR^T e_z``.
    """
    R, dR, _ = _thigh_rotation(motion, side, np.asarray(t_s, dtype=float))
    u, du = R[:, 2, :], dR[:, 2, :]
    rate = (u[:, 2] * du[:, 0] - u[:, 0] * du[:, 2]) / (u[:, 0] ** 2 + u[:, 2] ** 2)
    return np.degrees(rate)
