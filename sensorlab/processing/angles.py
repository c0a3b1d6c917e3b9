"""Clinical segment angles from the direction of gravity in a segment frame.

All angles here are *segment angles relative to gravity*, defined from ``up_seg``, the unit
vector pointing up (against gravity) expressed in the segment frame (x forward, y left,
z up in the standing pose; :mod:`sensorlab.frames`). In the standing calibration pose
``up_seg = (0, 0, 1)`` and every angle is zero. Because they need only the direction of
gravity, they do not depend on heading, which a 6-axis IMU cannot observe.

Each angle is the angle of the segment's long (z) axis from vertical, projected on one of
the segment's own anatomical planes:

- sagittal (x-z plane): ``atan2(u_x, u_z)`` is positive when the segment's top moves back,
  i.e. a thigh whose knee moves forward (flexion);
- frontal (y-z plane): ``atan2(u_y, u_z)`` is positive when the segment's top moves right.

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

import numpy as np


def _components(up_seg: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    up = np.asarray(up_seg, dtype=float)
    return up[..., 0], up[..., 1], up[..., 2]


def pelvis_tilt_deg(up_seg: np.ndarray) -> np.ndarray:
    """Pelvic tilt in degrees, anterior positive.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the pelvis segment frame.
    """
    x, _, z = _components(up_seg)
    return np.degrees(np.arctan2(-x, z))


def pelvis_obliquity_deg(up_seg: np.ndarray) -> np.ndarray:
    """Pelvic obliquity in degrees, positive when the right side is lower.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the pelvis segment frame.
    """
    _, y, z = _components(up_seg)
    return np.degrees(np.arctan2(y, z))


def thigh_sagittal_deg(up_seg: np.ndarray) -> np.ndarray:
    """Thigh sagittal angle in degrees relative to vertical, flexion (knee forward) positive.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the thigh segment frame.
    """
    x, _, z = _components(up_seg)
    return np.degrees(np.arctan2(x, z))


def thigh_adduction_deg(up_seg: np.ndarray, side: str) -> np.ndarray:
    """Thigh frontal-plane angle in degrees, positive toward the midline (adduction).

    Without a shank sensor this is not a knee angle; sensorlab reports its excursion
    under load as a *dynamic valgus tendency* proxy.

    Parameters
    ----------
    up_seg : ndarray, shape (..., 3)
        Unit up vector in the thigh segment frame.
    side : {"left", "right"}
        Which thigh: medial is to the right for the left thigh and vice versa.
    """
    _, y, z = _components(up_seg)
    if side == "left":
        return np.degrees(np.arctan2(-y, z))
    if side == "right":
        return np.degrees(np.arctan2(y, z))
    raise ValueError(f"side must be 'left' or 'right', not {side!r}")


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
