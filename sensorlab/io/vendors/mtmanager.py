"""Xsens MT Manager ``.txt`` export (MTw Awinda, MTi).

Layout (real files: ``tests/data/opensense-xsens-mtw-walking``): ``//`` comment lines
(``// Update Rate: 100.0Hz``...), then a tab-separated header and rows. Columns used:
``PacketCounter`` (16 bit), ``SampleTimeFine`` (device clock in 1e-4 s, 32 bit; often
empty, like the UTC and date columns), ``Acc_X..Z`` (m/s^2, sensor frame, with gravity),
``Gyr_X..Z`` (rad/s in MT Manager exports), ``Mag_X..Z`` (arbitrary units: not read), and
the orientation as ``Quat_q0..q3`` or as a rotation matrix ``Mat[i][j]``.

Conversions: ``Mat[i][j]`` is entry (i, j) of the sensor-to-earth matrix (earth z up),
listed column by column in the file (``Mat[1][1], Mat[2][1], Mat[3][1], Mat[1][2]...``);
it is read by name, so the order does not matter (checked on the OpenSense walk: R^T e_z
matches the standing accelerometer direction to under 0.5 deg). Time: ``SampleTimeFine``
/ 1e4 when present, else ``PacketCounter`` / rate: MTw Awinda sensors of one recording
share the packet counter, so either is a common clock. Sensor axes unchanged. The device
id is the file name's last ``_``-separated part (``MT_012005D6_009-001_00B42279.txt``).
"""

from __future__ import annotations

import re
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

NAME = "Xsens MT Manager .txt"
DESCRIPTION = (
    "Xsens MT Manager .txt export (// comments, tab separated, PacketCounter, Acc, Gyr, "
    "Quat or Mat)"
)
PACKET_COUNTER_MODULUS = 2**16
SAMPLE_TIME_FINE_MODULUS = 2**32
SAMPLE_TIME_FINE_HZ = 10_000.0
_MATRIX = [f"Mat[{i}][{j}]" for i in (1, 2, 3) for j in (1, 2, 3)]
_QUAT = ["Quat_q0", "Quat_q1", "Quat_q2", "Quat_q3"]
_RATE = re.compile(r"Update Rate:\s*([0-9.]+)\s*Hz", re.IGNORECASE)


def _header_index(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if line.startswith("//"):
            continue
        return index if "PacketCounter" in line.split("\t") else None
    return None


def sniff(path: Path) -> bool:
    """``//`` comments, then a tab-separated header with ``PacketCounter``."""
    lines = head_lines(path)
    return bool(lines) and lines[0].startswith("//") and _header_index(lines) is not None


def read(path: Path) -> list[VendorStream]:
    """One stream per file, SI units, on the packet-counter (or SampleTimeFine) clock."""
    lines = read_lines(path)
    header_index = _header_index(lines)
    if header_index is None:
        raise InputError(
            f"{path.name}: no tab-separated header with PacketCounter after the // lines"
        )
    rate = None
    for line in lines[:header_index]:
        if match := _RATE.search(line):
            rate = float(match.group(1))
    header = {f.strip() for f in lines[header_index].split("\t")}
    wanted = ["PacketCounter"]
    for names in (["Acc_X", "Acc_Y", "Acc_Z"], ["Gyr_X", "Gyr_Y", "Gyr_Z"], _QUAT, _MATRIX):
        if all(name in header for name in names):
            wanted += names
    warnings: list[str] = []
    optional = ["SampleTimeFine"] if "SampleTimeFine" in header else []
    table = parse_numeric(path, lines, header_index, "\t", wanted, optional, warnings)
    counter = unwrap_counter(table["PacketCounter"].astype(np.int64), PACKET_COUNTER_MODULUS)
    fine = table.columns.get("SampleTimeFine")
    notes = []
    if fine is not None and np.isfinite(fine).all():
        t_s = unwrap_counter(fine.astype(np.int64), SAMPLE_TIME_FINE_MODULUS) / SAMPLE_TIME_FINE_HZ
        clock = "xsens:SampleTimeFine"
        notes.append("time: SampleTimeFine (1e-4 s, 32-bit, unwrapped) -> s")
    elif rate:
        t_s = counter / rate
        clock = f"xsens:PacketCounter@{rate:g}Hz"
        notes.append(f"time: PacketCounter / {rate:g} Hz (the SampleTimeFine column is empty)")
    else:
        raise InputError(
            f"{path.name}: no time: SampleTimeFine is empty and no '// Update Rate: ...Hz' line; "
            "export the file again with SampleTimeFine"
        )
    keep = check_increasing(path, t_s, table.lines, "the packet counter")
    if keep.size < t_s.size:
        warnings.append(f"{path.name}: {t_s.size - keep.size} repeated packet(s) dropped")

    def block(names: list[str]) -> np.ndarray | None:
        if not all(name in table.columns for name in names):
            return None
        values = table.stack(names)[keep]
        return None if np.isnan(values).any() else values

    quat = block(_QUAT)
    matrix = block(_MATRIX)
    if quat is None and matrix is not None:
        rows = matrix.reshape(-1, 3, 3)  # _MATRIX is in row order: Mat[i][j] -> R[i-1, j-1]
        quat = Rotation.from_matrix(rows).as_quat()[:, [3, 0, 1, 2]]
        notes.append("orientation: Mat[i][j] = R[i-1][j-1], sensor to earth -> quaternion")
    gyr = block(["Gyr_X", "Gyr_Y", "Gyr_Z"])
    if gyr is not None:
        notes.append("gyro: Gyr_X..Z rad/s, unchanged")
    device = path.stem.rsplit("_", 1)[-1] if "_" in path.stem else None
    return [
        VendorStream(
            source=path,
            format=NAME,
            t_s=t_s[keep],
            clock=clock,
            device=device,
            seq=counter[keep],
            rate_hz=rate,
            acc_m_s2=block(["Acc_X", "Acc_Y", "Acc_Z"]),
            gyr_rad_s=gyr,
            quat_wxyz=quat,
            notes=tuple(notes),
            warnings=warnings,
        )
    ]
