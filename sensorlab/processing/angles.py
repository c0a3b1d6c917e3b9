"""Clinical segment angles: against gravity in a segment frame, and thigh adduction.

Most angles here are *segment angles relative to gravity*, defined from ``up_seg``, the
unit vector pointing up (against gravity) expressed in the segment frame (x forward, y
left, z up in the standing pose; :mod:`sensorlab.frames`). In the standing calibration
pose ``up_seg = (0, 0, 1)`` and every angle is zero. Because they need only the direction
of gravity, they do not depend on heading, which a 6-axis IMU cannot observe.

Each such angle is the angle of the segment's long (z) axis from vertical, projected on
one of the segment's own anatomical planes:

- sagittal (x-z plane): ``atan2(u_x, u_z)`` is positive when the segment's top moves back,
  i.e. a thigh whose knee moves forward (flexion);
- frontal (y-z plane): ``atan2(u_y, u_z)`` is positive when the segment's top moves right.

Thigh adduction is not one of them: it is the thigh's long axis moving toward the midline
*in the pelvis's heading* (:func:`thigh_adduction_deg`). Against gravity in the thigh's own
frontal plane it would be ``atan2`` of two components that both vanish as the thigh nears
horizontal (a split squat's front thigh at 80-90 deg of flexion), so that a tenth of a
degree of tilt error became degrees of adduction.

Sign conventions (all in degrees):

============================ =============================================================
``pelvis_tilt_deg``          anterior tilt positive (top of the pelvis forward)
``pelvis_obliquity_deg``     positive when the right side of the pelvis is lower
``thigh_sagittal_deg``       flexion positive (knee forward), per the recording contract
``thigh_adduction_deg``      positive when the knee moves toward the midline (the
                             frontal-plane collapse direction), for either side
============================ =============================================================

These are projection angles (as in Wu et al. 2002's segment conventions applied to a
single segment against gravity); for combined tilts they are not Euler angles, and the
simulator's ground truth uses these same definitions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sensorlab.frames import PLACEMENTS

#: The kinematics' segment angles: column name -> (segment, the component of ``up_seg``
#: set against its z component, sign): ``atan2(sign * up[component], up[z])``. The table
#: in the module docstring says what each one means.
SEGMENT_ANGLES = {
    "pelvis_tilt_deg": ("pelvis", 0, -1.0),
    "pelvis_obliquity_deg": ("pelvis", 1, 1.0),
    "left_thigh_sagittal_deg": ("left_thigh", 0, 1.0),
    "right_thigh_sagittal_deg": ("right_thigh", 0, 1.0),
}
_SEGMENT = np.array([PLACEMENTS.index(segment) for segment, _, _ in SEGMENT_ANGLES.values()])
_COMPONENT = np.array([component for _, component, _ in SEGMENT_ANGLES.values()])
_SIGN = np.array([sign for _, _, sign in SEGMENT_ANGLES.values()])


def _angle_deg(up_seg: np.ndarray, component: int, sign: float) -> np.ndarray:
    up = np.asarray(up_seg, dtype=float)
    return np.degrees(np.arctan2(sign * up[..., component], up[..., 2]))


def segment_angles_deg(up_segments: np.ndarray) -> dict[str, np.ndarray]:
    """Every angle of :data:`SEGMENT_ANGLES` at once, degrees.

    The same values as the functions below, in a handful of array operations for all
    four (a live update computes them for a row or two).

    Parameters
    ----------
    up_segments : ndarray, shape (3, n, 3)
        Unit up vector in each segment's frame, segments in
        :data:`sensorlab.frames.PLACEMENTS` order (pelvis, left thigh, right thigh).
    """
    up = np.asarray(up_segments, dtype=float)
    degrees = np.degrees(
        np.arctan2(_SIGN[:, None] * up[_SEGMENT, :, _COMPONENT], up[_SEGMENT, :, 2])
    )
    return dict(zip(SEGMENT_ANGLES, degrees, strict=True))


def pelvis_tilt_deg(up_seg: np.ndarray) -> np.ndarray:
    """Pelvic tilt in degrees, anterior positive.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the pelvis segment frame.
    """
    return _angle_deg(up_seg, *SEGMENT_ANGLES["pelvis_tilt_deg"][1:])


def pelvis_obliquity_deg(up_seg: np.ndarray) -> np.ndarray:
    """Pelvic obliquity in degrees, positive when the right side is lower.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the pelvis segment frame.
    """
    return _angle_deg(up_seg, *SEGMENT_ANGLES["pelvis_obliquity_deg"][1:])


def thigh_sagittal_deg(up_seg: np.ndarray) -> np.ndarray:
    """Thigh sagittal angle in degrees relative to vertical, flexion (knee forward) positive.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the thigh segment frame.
    """
    return _angle_deg(up_seg, *SEGMENT_ANGLES["left_thigh_sagittal_deg"][1:])


def thigh_adduction_deg(long_axis: np.ndarray, left: np.ndarray, side: str) -> np.ndarray:
    """Thigh adduction in degrees in the pelvis's heading, positive toward the midline.

    The angle between the thigh's long axis and the vertical plane through the pelvis's
    heading: ``asin`` of the long axis's component along the horizontal direction
    ``left`` (the pelvis's medial-lateral axis), positive when the axis's top leans
    toward the thigh's own side, i.e. the knee moves toward the midline. For a thigh
    oriented ``Rz(rotation) @ Ry(-flexion) @ Rx(-adduction)`` (left; ``Rx(+adduction)``
    right) with the pelvis turned by ``rotation``, this is ``adduction`` exactly, at any
    flexion, past horizontal too (:mod:`sensorlab.simulate.body`). The heading is the
    pelvis's rotation in the contract's rotation-obliquity-tilt order: the heading of the
    pelvis's medial-lateral axis is that rotation plus 90 deg at any tilt and obliquity,
    while its forward axis's heading turns with tilt and obliquity combined
    (:func:`pelvis_euler_deg`).

    Without a shank sensor this is not a knee angle; sensorlab reports its excursion
    under load as a *dynamic valgus tendency* proxy.

    Parameters
    ----------
    long_axis : ndarray, shape (..., 2) or (..., 3)
        Unit vector along the thigh's long (segment z) axis, pointing up in standing, in
        a world frame with Z up; only its horizontal (X, Y) components are used.
    left : ndarray, shape (..., 2) or (..., 3)
        A vector pointing to the left of the pelvis's heading in the same world frame (the
        pelvis's segment y axis); its X and Y components give the direction, any length.
    side : {"left", "right"}
        Which thigh: medial is to the right for the left thigh and vice versa.
    """
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', not {side!r}")
    axis, toward = np.asarray(long_axis, dtype=float), np.asarray(left, dtype=float)
    along = axis[..., 0] * toward[..., 0] + axis[..., 1] * toward[..., 1]
    along = along / np.hypot(toward[..., 0], toward[..., 1])
    sign = 1.0 if side == "left" else -1.0
    return np.degrees(np.arcsin(np.clip(sign * along, -1.0, 1.0)))


def heading_deg(forward_world: np.ndarray) -> np.ndarray:
    """Heading of a horizontal-ish direction in degrees, counter-clockwise seen from above.

    Parameters
    ----------
    forward_world : ndarray, shape (..., 3) or (..., 2)
        A segment's forward axis expressed in the world frame (X forward, Y left, Z up),
        or only its X and Y components.
        Pelvic rotation is this angle for the pelvis, positive turning to the left.
    """
    f = np.asarray(forward_world, dtype=float)
    return np.degrees(np.arctan2(f[..., 1], f[..., 0]))


class PelvisEulerObliquity(NamedTuple):
    """The pelvis's Euler obliquity, with the terms its Euler rotation reuses.

    Attributes
    ----------
    tilt_rad : ndarray
        Pelvic tilt, radians.
    cos_tilt : ndarray
        Its cosine.
    obliquity_rad : ndarray
        Euler obliquity (right side lower positive), radians.
    """

    tilt_rad: np.ndarray
    cos_tilt: np.ndarray
    obliquity_rad: np.ndarray


def pelvis_euler_obliquity(tilt_deg: np.ndarray, obliquity_deg: np.ndarray) -> PelvisEulerObliquity:
    """The Euler obliquity of :func:`pelvis_euler_deg` alone: ``atan(tan(projected) cos t)``.

    ``tilt_deg`` and ``obliquity_deg``: pelvic tilt and projected obliquity, degrees. Its
    terms give the rotation (:func:`pelvis_euler_rotation_deg`) when it is needed too.
    """
    tilt = np.radians(tilt_deg)
    cos_tilt = np.cos(tilt)
    obliquity = np.arctan(np.tan(np.radians(obliquity_deg)) * cos_tilt)
    return PelvisEulerObliquity(tilt, cos_tilt, obliquity)


def pelvis_euler_rotation_deg(
    euler: PelvisEulerObliquity, forward_heading_deg: np.ndarray
) -> np.ndarray:
    """The Euler rotation of :func:`pelvis_euler_deg`, from its obliquity's terms, degrees.

    ``rotation = heading - atan2(sin o sin t, cos t)``; ``forward_heading_deg``: the
    kinematics' ``pelvis_rotation_deg``, degrees.
    """
    turn = np.arctan2(np.sin(euler.obliquity_rad) * np.sin(euler.tilt_rad), euler.cos_tilt)
    return np.asarray(forward_heading_deg) - np.degrees(turn)


def pelvis_euler_deg(
    tilt_deg: np.ndarray, obliquity_deg: np.ndarray, forward_heading_deg: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The pelvis's obliquity and rotation in the rotation-obliquity-tilt (Z-X-Y) order.

    The kinematics' obliquity is a projection angle and its rotation the heading of the
    pelvis's forward axis; in a deep hinge both mix: at 60 deg of anterior tilt a 5 deg
    obliquity projects to 10 deg, and the forward axis's heading turns by 9 deg with no
    rotation at all. For ``R = Rz(rotation) Rx(obliquity) Ry(tilt)``, the up vector in
    the pelvis frame is ``(-cos o sin t, sin o, cos o cos t)``, so the Euler obliquity is
    ``atan(tan(projected) cos t)``, and the forward axis's heading is
    ``rotation + atan2(sin o sin t, cos t)``. The tilt is the same in both.
    (:func:`pelvis_euler_obliquity` and :func:`pelvis_euler_rotation_deg`: each part, for
    a caller that may need only the obliquity.)

    Parameters
    ----------
    tilt_deg, obliquity_deg : ndarray
        Pelvic tilt and projected obliquity (:data:`SEGMENT_ANGLES`), degrees.
    forward_heading_deg : ndarray
        Heading of the pelvis's forward axis (the kinematics' ``pelvis_rotation_deg``),
        degrees.

    Returns
    -------
    obliquity_deg, rotation_deg : ndarray
        Euler obliquity (right side lower positive) and rotation (left side back
        positive), degrees.
    """
    euler = pelvis_euler_obliquity(tilt_deg, obliquity_deg)
    return np.degrees(euler.obliquity_rad), pelvis_euler_rotation_deg(euler, forward_heading_deg)
