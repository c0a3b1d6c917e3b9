"""Fusion (imufusion) against a hand-written complementary filter, on simulated truth.

Why this exists: the orientation stage could use a library or our own filter. This script
measures both on the physically exact simulator, where the true orientation is known,
and prints the error of the segment angles each filter yields (the same calibration for
both: true sensor-to-segment rotation and quiet-standing bias), plus their speed.

The hand-written filter is a textbook Mahony complementary filter (Mahony, Hamel &
Pflimlin 2008, "Nonlinear complementary filters on the special orthogonal group"),
proportional feedback of the accelerometer's disagreement with the estimated vertical,
ignored when |acc| is more than 10% off 1 g.

Run: ``.venv/bin/python benchmarks/compare_orientation.py``
"""

from __future__ import annotations

import time

import numpy as np

from sensorlab.processing import angles
from sensorlab.processing.orientation import (
    DEFAULT_ORIENTATION,
    OrientationEstimator,
    OrientationSettings,
    quaternion_between,
    up_in_sensor,
)
from sensorlab.simulate import SCENARIOS
from sensorlab.units import GRAVITY_M_S2


def mahony(t_s, acc_m_s2, gyr_rad_s, up0, kp=1.0):
    """Hand-written Mahony filter; returns quaternions (w, x, y, z), sensor -> world."""
    q = quaternion_between(up0)
    out = np.empty((t_s.size, 4))
    previous = t_s[0]
    for i in range(t_s.size):
        dt = t_s[i] - previous if i else 0.0
        previous = t_s[i]
        w, x, y, z = q
        up = np.array([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)])
        omega = gyr_rad_s[i].copy()
        norm = np.linalg.norm(acc_m_s2[i])
        if abs(norm - GRAVITY_M_S2) < 0.1 * GRAVITY_M_S2:
            omega += kp * np.cross(acc_m_s2[i] / norm, up)
        half = 0.5 * dt * omega
        dq = np.array(
            [
                -x * half[0] - y * half[1] - z * half[2],
                w * half[0] + y * half[2] - z * half[1],
                w * half[1] - x * half[2] + z * half[0],
                w * half[2] + x * half[1] - y * half[0],
            ]
        )
        q = q + dq
        q /= np.linalg.norm(q)
        out[i] = q
    return out


def segment_angle_errors(session, estimate_quaternions):
    """RMS error (deg) of the clinical angles against the truth, one per angle name."""
    truth = session.truth
    errors = {}
    for placement, chunk in session.recording.chunks.items():
        bias = truth.sensors[placement].gyr_bias_rad_s
        static = chunk.t_s <= 3.0
        up0 = chunk.acc_m_s2[static].mean(axis=0)
        quaternions = estimate_quaternions(chunk.t_s, chunk.acc_m_s2, chunk.gyr_rad_s - bias, up0)
        up_seg = up_in_sensor(quaternions) @ truth.sensors[placement].sensor_to_segment.T
        if placement == "pelvis":
            pairs = {
                "pelvis_tilt_deg": angles.pelvis_tilt_deg(up_seg),
                "pelvis_obliquity_deg": angles.pelvis_obliquity_deg(up_seg),
            }
        else:
            side = placement.split("_")[0]
            pairs = {f"{side}_thigh_sagittal_deg": angles.thigh_sagittal_deg(up_seg)}
        for name, estimate in pairs.items():
            true = np.interp(chunk.t_s, truth.kinematics.t_s, getattr(truth.kinematics, name))
            errors[name] = float(np.sqrt(np.mean((estimate - true) ** 2)))
    return errors


def fusion(settings: OrientationSettings):
    def run(t_s, acc, gyr, up0):
        rate_hz = 1.0 / float(np.median(np.diff(t_s)))
        return OrientationEstimator(up0, np.zeros(3), rate_hz, settings).update(t_s, acc, gyr)[0]

    return run


def main() -> None:
    filters = {
        "imufusion (sensorlab settings)": fusion(DEFAULT_ORIENTATION),
        "imufusion (library defaults)": fusion(
            OrientationSettings(gain=0.5, acceleration_rejection_deg=10.0)
        ),
        "hand-written Mahony kp=1": lambda t, a, g, u: mahony(t, a, g, u, kp=1.0),
        "hand-written Mahony kp=0.2": lambda t, a, g, u: mahony(t, a, g, u, kp=0.2),
    }
    sessions = {
        "step_up_asymmetric": SCENARIOS["step_up_asymmetric"](0),
        "walk_asymmetric": SCENARIOS["walk_asymmetric"](0),
    }
    print("RMS error of segment angles against simulated truth, degrees\n")
    for session_name, session in sessions.items():
        samples = sum(len(c) for c in session.recording.chunks.values())
        print(f"{session_name} ({samples} samples over 3 sensors)")
        for filter_name, run in filters.items():
            started = time.perf_counter()
            errors = segment_angle_errors(session, run)
            elapsed = time.perf_counter() - started
            worst = max(errors.values())
            listed = "  ".join(f"{k.replace('_deg', '')} {v:.2f}" for k, v in errors.items())
            speed_us = elapsed / samples * 1e6
            print(f"  {filter_name:32s} worst {worst:5.2f}  {listed}  ({speed_us:.1f} us/sample)")
        print()


if __name__ == "__main__":
    main()
