"""Internal unit convention and the conversions at the boundaries.

Inside sensorlab, accelerations are in m/s^2 and angular rates in rad/s (SI). Angles that
people read (tilt, obliquity, thigh angle) are in degrees and say so in their names
(``tilt_deg``). The recording contract stores gyroscope data in deg/s: the reader converts
once on the way in and the writer once on the way out.
"""

from __future__ import annotations

import numpy as np

GRAVITY_M_S2 = 9.81
"""Standard gravity used by the simulator and by unit detection, in m/s^2."""

DEG_PER_RAD = 180.0 / np.pi


def deg_to_rad(angle_deg):
    """Convert degrees (or deg/s) to radians (or rad/s)."""
    return np.deg2rad(angle_deg)


def rad_to_deg(angle_rad):
    """Convert radians (or rad/s) to degrees (or deg/s)."""
    return np.rad2deg(angle_rad)


def m_s2_to_g(acc_m_s2):
    """Convert m/s^2 to multiples of standard gravity."""
    return np.asarray(acc_m_s2) / GRAVITY_M_S2
