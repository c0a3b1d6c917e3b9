"""Anatomical segment frame and sensor mounting.

Every segment (pelvis, each thigh) has a frame fixed to it whose axes, in the standing
calibration pose, point ``forward`` (x), ``left`` (y) and ``up`` (z): right-handed, since
forward x left = up. The world frame used by the orientation stage is the same frame at
calibration: X forward, Y left, Z up.

A sensor's ``mount`` (recording sidecar) says which anatomical direction each sensor axis
points to in that pose. :func:`mount_matrix` turns it into the rotation from the sensor
frame to the segment frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

DIRECTIONS: dict[str, tuple[float, float, float]] = {
    "forward": (1.0, 0.0, 0.0),
    "backward": (-1.0, 0.0, 0.0),
    "left": (0.0, 1.0, 0.0),
    "right": (0.0, -1.0, 0.0),
    "up": (0.0, 0.0, 1.0),
    "down": (0.0, 0.0, -1.0),
}
"""Anatomical directions as unit vectors in the segment frame (x forward, y left, z up)."""

PLACEMENTS = ("pelvis", "left_thigh", "right_thigh")
"""Placements that the metrics use; others (e.g. ``left_shank``) are carried but ignored."""


class MountError(ValueError):
    """A sensor mount that is not a right-handed mapping of axes to directions."""


def mount_matrix(mount: Mapping[str, str]) -> np.ndarray:
    """Rotation from sensor frame to segment frame for a nominal mount.

    Parameters
    ----------
    mount : mapping with keys ``"x"``, ``"y"``, ``"z"``
        The anatomical direction each sensor axis points to in the standing pose, e.g.
        ``{"x": "up", "y": "left", "z": "backward"}``.

    Returns
    -------
    ndarray, shape (3, 3)
        Matrix ``M`` whose columns are the sensor axes expressed in the segment frame, so
        that ``v_segment = M @ v_sensor``.

    Raises
    ------
    MountError
        If a key or direction is unknown, two axes share a line, or the mapping is
        left-handed (forward x left must be up).
    """
    missing = [axis for axis in ("x", "y", "z") if axis not in mount]
    if missing:
        raise MountError(f"mount needs directions for x, y and z; missing {', '.join(missing)}")
    columns = []
    for axis in ("x", "y", "z"):
        direction = str(mount[axis]).strip().lower()
        if direction not in DIRECTIONS:
            raise MountError(
                f"mount axis {axis}: unknown direction {mount[axis]!r}; "
                f"use one of {', '.join(DIRECTIONS)}"
            )
        columns.append(DIRECTIONS[direction])
    matrix = np.array(columns, dtype=float).T
    determinant = float(np.linalg.det(matrix))
    if abs(determinant) < 0.5:
        raise MountError(
            f"mount {dict(mount)} points two sensor axes along the same line; "
            "each axis needs its own direction"
        )
    if determinant < 0:
        raise MountError(
            f"mount {dict(mount)} is left-handed: with these directions x cross y would point "
            f"{_direction_name(-matrix[:, 2])}, not {mount['z']}; swap the sign of one axis "
            "(the sensor's axes are right-handed)"
        )
    return matrix


def _direction_name(vector: np.ndarray) -> str:
    for name, unit in DIRECTIONS.items():
        if np.allclose(vector, unit):
            return name
    return str(vector)
