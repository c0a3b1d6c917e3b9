"""Movella (Xsens) DOT app CSV export.

Layout (real files: ``tests/data/xsens-dot-lowerlimb-realtime``): a preamble of
``key:,value`` lines (``sep=,``, ``DeviceTag:``, ``FirmwareVersion:``, ``OutputRate:,60Hz``,
``Measurement Mode:``, ``StartTime:``...), a copyright line, a blank line, then the header
``PacketCounter,SampleTimeFine,...`` and one row per sample. Columns by measurement mode:
``Quat_W..Z`` or ``Euler_X..Z`` (orientation), ``FreeAcc_X..Z`` (earth frame, gravity
removed, m/s^2), ``Acc_X..Z`` (sensor frame, m/s^2, with gravity), ``Gyr_X..Z`` (deg/s),
``Mag_X..Z`` (normalised units: not read).

Conversions: ``SampleTimeFine`` is the device clock in microseconds, a 32-bit counter that
wraps every 4295 s (71.6 min): unwrapped, then seconds. Synced DOTs share it (the app's
``SyncStatus: Synced``), so it is the session's common clock. ``PacketCounter`` (16 bit)
counts samples: its gaps are the lost packets. Gyro deg/s -> rad/s. Quaternion as given
(scalar first, sensor to the earth frame, earth z up: ENU). Euler angles (``Euler_X..Z``,
degrees, roll-pitch-yaw about the earth's x, y, z: ``R = Rz(yaw) Ry(pitch) Rx(roll)``) are
turned into that quaternion. The sensor axes are the DOT's own (x along the strap slot,
z out of the top face), unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from sensorlab.errors import InputError
from sensorlab.io.vendors.stream import (
    VendorStream,
    check_increasing,
    head_lines,
    parse_numeric,
    read_lines,
    unwrap_counter,
)

NAME = "Movella DOT CSV"
DESCRIPTION = (
    "Movella (Xsens) DOT app CSV export (PacketCounter, SampleTimeFine, Quat/Euler, FreeAcc, "
    "Acc, Gyr)"
)
SAMPLE_TIME_MODULUS = 2**32
PACKET_COUNTER_MODULUS = 2**16
_XYZ = ("X", "Y", "Z")


def _header_index(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        fields = [f.strip() for f in line.split(",")]
        if "PacketCounter" in fields and "SampleTimeFine" in fields:
            return index
    return None


def sniff(path: Path) -> bool:
    """A header with ``PacketCounter`` and ``SampleTimeFine``, comma separated."""
    return _header_index(head_lines(path)) is not None


def _preamble(lines: list[str]) -> dict[str, str]:
    values = {}
    for line in lines:
        key, _, value = line.partition(",")
        if key.strip().endswith(":"):
            values[key.strip().rstrip(":").strip()] = value.strip()
    return values


def read(path: Path) -> list[VendorStream]:
    """One stream: the DOT's samples in SI units on the ``SampleTimeFine`` clock."""
    lines = read_lines(path)
    header_index = _header_index(lines[:200])
    if header_index is None:
        raise InputError(f"{path.name}: no 'PacketCounter,SampleTimeFine,...' header line")
    meta = _preamble(lines[:header_index])
    header = {f.strip() for f in lines[header_index].split(",")}
    optional = [
        f"{kind}_{axis}"
        for kind in ("Quat", "Euler", "FreeAcc", "Acc", "Gyr")
        for axis in (("W", *_XYZ) if kind == "Quat" else _XYZ)
        if f"{kind}_{axis}" in header
    ]
    warnings: list[str] = []
    table = parse_numeric(
        path, lines, header_index, ",", ["PacketCounter", "SampleTimeFine", *optional], [], warnings
    )
    fine_us = unwrap_counter(table["SampleTimeFine"].astype(np.int64), SAMPLE_TIME_MODULUS)
    keep = check_increasing(path, fine_us.astype(float), table.lines, "SampleTimeFine")
    if keep.size < len(fine_us):
        first = int(table.lines[np.setdiff1d(np.arange(len(fine_us)), keep)[0]])
        warnings.append(
            f"{path.name}: {len(fine_us) - keep.size} row(s) repeat or go back in SampleTimeFine; "
            f"dropped (first at line {first})"
        )
    if all(f"Acc_{axis}" in table.columns for axis in _XYZ):
        # Recordings made on the sensor start with a placeholder row whose Acc (and Gyr)
        # are all zero: no accelerometer at rest reads zero, gravity is always there.
        zero = np.all(table.stack([f"Acc_{axis}" for axis in _XYZ])[keep] == 0.0, axis=1)
        if zero.any():
            listed = ", ".join(str(int(n)) for n in table.lines[keep][zero][:5])
            warnings.append(
                f"{path.name}: {int(zero.sum())} row(s) with Acc_X..Z all zero (the DOT's "
                f"placeholder sample, lines {listed}) dropped"
            )
            keep = keep[~zero]

    def block(kind: str, axes=_XYZ) -> np.ndarray | None:
        names = [f"{kind}_{axis}" for axis in axes]
        if not all(name in table.columns for name in names):
            return None
        values = table.stack(names)[keep]
        return None if np.isnan(values).all() else values

    quat = block("Quat", ("W", *_XYZ))
    notes = ["time: SampleTimeFine (us, 32-bit, unwrapped) / 1e6 -> s"]
    if quat is None and (euler := block("Euler")) is not None:
        quat = Rotation.from_euler("xyz", euler, degrees=True).as_quat()[:, [3, 0, 1, 2]]
        notes.append("orientation: Euler_X..Z (deg, R = Rz Ry Rx) -> quaternion")
    gyr = block("Gyr")
    if gyr is not None:
        gyr = np.radians(gyr)
        notes.append("gyro: Gyr_X..Z deg/s -> rad/s")
    counter = unwrap_counter(table["PacketCounter"].astype(np.int64)[keep], PACKET_COUNTER_MODULUS)
    rate = meta.get("OutputRate", "").lower().removesuffix("hz").strip()
    return [
        VendorStream(
            source=path,
            format=NAME,
            t_s=fine_us[keep] * 1e-6,
            clock="dot:SampleTimeFine",
            device=meta.get("DeviceTag") or None,
            seq=counter,
            rate_hz=float(rate) if rate.replace(".", "", 1).isdigit() else None,
            acc_m_s2=block("Acc"),
            gyr_rad_s=gyr,
            free_acc_m_s2=block("FreeAcc"),
            quat_wxyz=quat,
            notes=tuple(notes),
            warnings=warnings,
        )
    ]
