"""Raw IMU signals from a device's own orientation, for exports that lack them.

Some vendor exports carry the device's fused orientation (a quaternion or a rotation
matrix) and acceleration with gravity removed, but no gyroscope or no raw accelerometer
(the Movella DOT "Extended (Quaternion)" mode: ``Quat_W..Z`` and ``FreeAcc_X..Z``; an Xsens
MT Manager export with ``Acc`` and ``Mat[i][j]`` only). The pipeline runs on specific force
and angular rate, so these are derived here, then analysed as usual:

- angular rate in the sensor frame from the orientation's derivative: with ``R`` the
  sensor-to-earth rotation, ``dR/dt = R [omega]x`` (equivalently ``omega = 2 q* (x) dq/dt``,
  vector part). Each sample gets the rotation vector of ``R_{k-1}^T R_{k+1}`` divided by
  ``t_{k+1} - t_{k-1}`` (a central difference on the rotation group, second-order
  accurate, expressed in the frame of sample k-1, which differs from sample k's by
  O(omega^2 dt): far below the sensor's noise at 60 Hz); the ends use one-sided steps;
- specific force in the sensor frame from free acceleration (earth frame, gravity removed,
  earth z up): ``f = R^T (a_free + g e_z)``; without any acceleration, the static
  ``f = R^T g e_z`` (gravity only: no impacts, so no gait step detection).

Pure functions on arrays (no I/O). Orientations are ``(n, 3, 3)`` sensor-to-earth
matrices (``v_earth = R @ v_sensor``) or ``(n, 4)`` quaternions ``w, x, y, z`` of that same
rotation; ``t_s`` in seconds, rates in rad/s, accelerations in m/s^2.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from sensorlab.units import GRAVITY_M_S2


def rotations_from_quaternions(quat_wxyz: np.ndarray) -> Rotation:
    """Sensor-to-earth rotations from ``(n, 4)`` scalar-first quaternions (normalised here).

    Raises
    ------
    ValueError
        A quaternion of zero length (an export's placeholder row).
    """
    q = np.asarray(quat_wxyz, dtype=float)
    norms = np.linalg.norm(q, axis=1)
    if np.any(~np.isfinite(norms) | (norms < 1e-6)):
        raise ValueError("a quaternion is zero or not a number")
    return Rotation.from_quat(q[:, [1, 2, 3, 0]] / norms[:, None])


def angular_rate_from_orientation(t_s: np.ndarray, rotations: Rotation) -> np.ndarray:
    """Body (sensor-frame) angular rate, rad/s, shape ``(n, 3)``, from orientations at ``t_s``.

    Central difference on the rotation group (see the module notes); with gaps (lost
    samples) the actual times are used, so a gap averages the rate over it.

    Raises
    ------
    ValueError
        Fewer than two samples, or times that do not increase.
    """
    t = np.asarray(t_s, dtype=float)
    n = t.size
    if n < 2 or len(rotations) != n:
        raise ValueError("need at least two orientations, one per time")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must increase to differentiate an orientation")
    rate = np.empty((n, 3))
    if n > 2:
        step = rotations[:-2].inv() * rotations[2:]
        rate[1:-1] = step.as_rotvec() / (t[2:] - t[:-2])[:, None]
    ends = rotations[[0, n - 2]].inv() * rotations[[1, n - 1]]
    spans = np.array([t[1] - t[0], t[n - 1] - t[n - 2]])
    end_rates = ends.as_rotvec() / spans[:, None]
    rate[0] = end_rates[0]
    rate[n - 1] = end_rates[1]
    return rate


def specific_force(
    rotations: Rotation, free_acc_m_s2: np.ndarray | None, gravity_m_s2: float = GRAVITY_M_S2
) -> np.ndarray:
    """Specific force in the sensor frame, m/s^2, ``(n, 3)``: ``R^T (a_free + g e_z)``.

    ``free_acc_m_s2`` is the earth-frame acceleration with gravity removed (earth z up);
    ``None`` gives gravity alone (the sensor treated as unaccelerated).
    """
    n = len(rotations)
    earth = np.zeros((n, 3))
    earth[:, 2] = gravity_m_s2
    if free_acc_m_s2 is not None:
        earth += np.asarray(free_acc_m_s2, dtype=float)
    return rotations.inv().apply(earth)
