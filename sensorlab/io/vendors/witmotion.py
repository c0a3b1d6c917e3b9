"""WitMotion app / PC software export (WT901BLE, BWT901BLE5.0...).

Layouts (seen through third-party parsers of the vendor's exports, summarised in
``docs/vendors.md``; no real file in the project, the tests build fixtures from them):

- PC software CSV: ``Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),
  Acceleration Z(g),Angular velocity X(°/s),...,Angle X(°),...,Quaternions 0(),...``;
- app/PC ``.txt``, tab separated: ``time  DeviceName  ChipTime()  AccX(g)  AccY(g)  AccZ(g)
  AsX(°/s)  AsY(°/s)  AsZ(°/s)  AngleX(°) ...  Q0() Q1() Q2() Q3() ...``.

One file may hold several devices (the ``Device name`` column, e.g.
``WT901BLE67(d6:a8:b9:ee:a0:b7)``): one stream per device. Time: the ``Time`` column, a
wall-clock stamp (``2026-10-02T07:48:45.830`` or ``2026-10-02 07:48:45.830``) on the
computer's clock, shared by every device; ``Chip Time`` is often ``null`` and not used.
Conversions: acc g -> m/s^2 (x 9.80665), gyro deg/s -> rad/s, axes unchanged. Angles and
quaternions are the device's own fusion; the quaternion (``Q0`` scalar) is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import numpy as np
import pandas as pd

from sensorlab.errors import InputError
from sensorlab.io.vendors.stream import (
    MAX_LISTED,
    VendorStream,
    check_increasing,
    head_lines,
    parse_numeric,
    read_lines,
)
from sensorlab.units import STANDARD_GRAVITY_M_S2

NAME = "WitMotion export"
DESCRIPTION = (
    "WitMotion app/PC export (Time, Device name, Acceleration X(g) / AccX(g), Angular velocity "
    "X(°/s) / AsX(°/s), CSV or tab separated)"
)


class _Layout(TypedDict):
    """Where a WitMotion export keeps each signal: separator and column names."""

    sep: str
    time: str
    device: str
    acc: list[str]
    gyr: list[str]
    quat: list[str]


_LAYOUTS: dict[str, _Layout] = {
    "csv": {
        "sep": ",",
        "time": "Time",
        "device": "Device name",
        "acc": ["Acceleration X(g)", "Acceleration Y(g)", "Acceleration Z(g)"],
        "gyr": ["Angular velocity X(°/s)", "Angular velocity Y(°/s)", "Angular velocity Z(°/s)"],
        "quat": ["Quaternions 0()", "Quaternions 1()", "Quaternions 2()", "Quaternions 3()"],
    },
    "txt": {
        "sep": "\t",
        "time": "time",
        "device": "DeviceName",
        "acc": ["AccX(g)", "AccY(g)", "AccZ(g)"],
        "gyr": ["AsX(°/s)", "AsY(°/s)", "AsZ(°/s)"],
        "quat": ["Q0()", "Q1()", "Q2()", "Q3()"],
    },
}


def _layout(header: str) -> str | None:
    for name, layout in _LAYOUTS.items():
        fields = [f.strip() for f in header.split(layout["sep"])]
        if layout["acc"][0] in fields and layout["gyr"][0] in fields:
            return name
    return None


def sniff(path: Path) -> bool:
    """Whether ``path`` is a WitMotion app or PC software export (its header line)."""
    lines = head_lines(path, 1)
    return bool(lines) and _layout(lines[0]) is not None


def read(path: Path) -> list[VendorStream]:
    """The streams of ``path``: one per device named in the file.

    In SI units, on the sensor's own axes and the device's own time.
    """
    lines = read_lines(path)
    kind = _layout(lines[0]) if lines else None
    if kind is None:
        raise InputError(f"{path.name}:1: not a WitMotion header")
    layout = _LAYOUTS[kind]
    sep = layout["sep"]
    header = [f.strip() for f in lines[0].split(sep)]
    warnings: list[str] = []
    has_quat = all(name in header for name in layout["quat"])
    table = parse_numeric(
        path,
        lines,
        0,
        sep,
        [*layout["acc"], *layout["gyr"]],
        layout["quat"] if has_quat else [],
        warnings,
    )
    rows = [lines[number - 1].split(sep) for number in table.lines]
    time_at, device_at = header.index(layout["time"]), header.index(layout["device"])
    stamps = pd.to_datetime(
        pd.Series([row[time_at].strip() if len(row) > time_at else "" for row in rows]),
        errors="coerce",
        format="mixed",
    )
    bad = stamps.isna().to_numpy()
    if bad.any():
        where = ", ".join(f"{path.name}:{n}" for n in table.lines[bad][:MAX_LISTED])
        if bad.all():
            raise InputError(
                f"{path.name}: the {layout['time']!r} column holds no date and time "
                f"(first: {where}); export again with the time column"
            )
        warnings.append(
            f"{path.name}: {int(bad.sum())} row(s) without a readable time dropped: {where}"
        )
    t_all = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy()
    devices = np.array([row[device_at].strip() if len(row) > device_at else "" for row in rows])
    streams: list[VendorStream] = []
    for device in dict.fromkeys(devices[~bad]):
        index = np.flatnonzero((devices == device) & ~bad)
        keep = index[check_increasing(path, t_all[index], table.lines[index], layout["time"])]
        quat = table.stack(layout["quat"])[keep] if has_quat else None
        streams.append(
            VendorStream(
                source=path,
                format=NAME,
                t_s=t_all[keep],
                clock="wall",
                device=device or None,
                acc_m_s2=table.stack(layout["acc"])[keep] * STANDARD_GRAVITY_M_S2,
                gyr_rad_s=np.radians(table.stack(layout["gyr"])[keep]),
                quat_wxyz=None if quat is None or np.isnan(quat).any() else quat,
                notes=(
                    f"time: {layout['time']} (the computer's wall clock) -> s",
                    "acc: g x 9.80665 -> m/s^2",
                    "gyro: deg/s -> rad/s",
                ),
                warnings=[] if streams else warnings,
            )
        )
    return streams
