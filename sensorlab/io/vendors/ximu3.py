"""x-io Technologies x-IMU3 GUI export: ``Inertial.csv`` of one device's folder.

Layout (x-IMU3 GUI data logger, summarised in ``docs/vendors.md``; no real file in the
project, the tests build fixtures from it): header ``Timestamp (us),Gyroscope X (deg/s),
Gyroscope Y (deg/s),Gyroscope Z (deg/s),Accelerometer X (g),Accelerometer Y (g),
Accelerometer Z (g)``. The logger writes one folder per device (named after the device,
e.g. ``x-IMU3 Pelvis 65577B49``) holding ``Inertial.csv``, ``Quaternion.csv``...: the
folder name is the device and placement hint.

Conversions: timestamp us -> s, on the device's own clock (devices synchronised by the
x-IMU3 GUI may share it, but nothing in the file says so: different devices are aligned at
their first samples, with a warning);
gyro deg/s -> rad/s; acc g -> m/s^2 (x 9.80665); axes are the device's own, unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.io.vendors.stream import (
    VendorStream,
    check_increasing,
    head_lines,
    parse_numeric,
    read_lines,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

NAME = "x-IMU3 Inertial.csv"
DESCRIPTION = (
    "x-io x-IMU3 Inertial.csv (Timestamp (us), Gyroscope X (deg/s)..., Accelerometer X (g)...)"
)
TIME = "Timestamp (us)"
GYR = [f"Gyroscope {a} (deg/s)" for a in "XYZ"]
ACC = [f"Accelerometer {a} (g)" for a in "XYZ"]


def sniff(path: Path) -> bool:
    """Whether ``path`` is an x-IMU3 GUI ``Inertial.csv`` (its header line)."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    fields = [f.strip() for f in lines[0].split(",")]
    return fields[:1] == [TIME] and GYR[0] in fields and ACC[0] in fields


def read(path: Path) -> list[VendorStream]:
    """The streams of ``path``: one: the device of the file.

    In SI units, on the sensor's own axes and the device's own time.
    """
    lines = read_lines(path)
    if not lines:
        raise InputError(f"{path.name}: the file is empty")
    warnings: list[str] = []
    table = parse_numeric(path, lines, 0, ",", [TIME, *GYR, *ACC], [], warnings)
    t_s = table[TIME] * 1e-6
    keep = check_increasing(path, t_s, table.lines, TIME)
    device = path.parent.name or None
    return [
        VendorStream(
            source=path,
            format=NAME,
            t_s=t_s[keep],
            clock=f"own:x-imu3:{path.parent}",
            device=device,
            label=device,
            acc_m_s2=table.stack(ACC)[keep] * STANDARD_GRAVITY_M_S2,
            gyr_rad_s=np.radians(table.stack(GYR)[keep]),
            notes=(
                "time: Timestamp us -> s",
                "acc: g x 9.80665 -> m/s^2",
                "gyro: deg/s -> rad/s",
            ),
            warnings=warnings,
        )
    ]
