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

Pure functions on arrays (no I/O), in plain numpy quaternion algebra (several times faster
than scipy's Rotation objects on an hour of samples). Orientations are ``(n, 4)`` unit
quaternions ``w, x, y, z`` of the sensor-to-earth rotation ``R`` (``v_earth = R v_sensor``);
``t_s`` in seconds, rates in rad/s, accelerations in m/s^2.
"""

from __future__ import annotations

import numpy as np

from sensorlab.units import GRAVITY_M_S2


def unit_quaternions(quat_wxyz: np.ndarray) -> np.ndarray:
    """``(n, 4)`` scalar-first quaternions scaled to unit length.

    Raises
    ------
    ValueError
        A quaternion of zero length or with a NaN (an export's placeholder row).
    """
    q = np.asarray(quat_wxyz, dtype=float)
    norms = np.linalg.norm(q, axis=1)
    if np.any(~np.isfinite(norms) | (norms < 1e-6)):
        raise ValueError("a quaternion is zero or not a number")
    return q / norms[:, None]


def _relative_rotvec(q_from: np.ndarray, q_to: np.ndarray) -> np.ndarray:
    """Rotation vectors (rad) of ``q_from* (x) q_to``: the turn between orientations.

    The turn from one orientation to the next, in the body frame of ``q_from``; the shorter way
    round (q and -q are one turn).
    """
    w1, v1 = q_from[:, :1], q_from[:, 1:]
    w2, v2 = q_to[:, :1], q_to[:, 1:]
    w = w1 * w2 + np.sum(v1 * v2, axis=1, keepdims=True)
    v = w1 * v2 - w2 * v1 - np.cross(v1, v2)
    sign = np.where(w < 0.0, -1.0, 1.0)
    w, v = w * sign, v * sign
    half_norm = np.linalg.norm(v, axis=1, keepdims=True)
    angle = 2.0 * np.arctan2(half_norm, w)
    # angle / sin(angle/2) -> 2 as the angle -> 0
    scale = np.where(half_norm > 1e-12, angle / np.maximum(half_norm, 1e-300), 2.0)
    return v * scale


def angular_rate_from_orientation(t_s: np.ndarray, quat_wxyz: np.ndarray) -> np.ndarray:
    """Body (sensor-frame) angular rate, rad/s, shape ``(n, 3)``, from orientations.

    From ``quat_wxyz`` (sensor to earth, scalar first, unit) at ``t_s``.

    Central difference on the rotation group (see the module notes); with gaps (lost
    samples) the actual times are used, so a gap averages the rate over it.

    Raises
    ------
    ValueError
        Fewer than two samples, or times that do not increase.
    """
    t = np.asarray(t_s, dtype=float)
    q = np.asarray(quat_wxyz, dtype=float)
    n = t.size
    if n < 2 or q.shape != (n, 4):
        raise ValueError("need at least two orientations, one per time")
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must increase to differentiate an orientation")
    rate = np.empty((n, 3))
    if n > 2:
        rate[1:-1] = _relative_rotvec(q[:-2], q[2:]) / (t[2:] - t[:-2])[:, None]
    ends = _relative_rotvec(q[[0, n - 2]], q[[1, n - 1]])
    rate[0] = ends[0] / (t[1] - t[0])
    rate[n - 1] = ends[1] / (t[n - 1] - t[n - 2])
    return rate


def specific_force(
    quat_wxyz: np.ndarray, free_acc_m_s2: np.ndarray | None, gravity_m_s2: float = GRAVITY_M_S2
) -> np.ndarray:
    """Specific force in the sensor frame, m/s^2, ``(n, 3)``: ``R^T (a_free + g e_z)``.

    ``quat_wxyz``: sensor-to-earth orientations (scalar first, unit); ``free_acc_m_s2`` the
    earth-frame acceleration with gravity removed (earth z up), ``None`` for gravity alone
    (the sensor treated as unaccelerated).
    """
    q = np.asarray(quat_wxyz, dtype=float)
    earth = np.zeros((q.shape[0], 3))
    earth[:, 2] = gravity_m_s2
    if free_acc_m_s2 is not None:
        earth += np.asarray(free_acc_m_s2, dtype=float)
    # R^T v = q* v q: with u the vector part and w the scalar, v' = v + 2u' x (u' x v + w v)
    # for u' = -u (the conjugate)
    w, u = q[:, :1], -q[:, 1:]
    return earth + 2.0 * np.cross(u, np.cross(u, earth) + w * earth)
