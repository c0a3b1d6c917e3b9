"""MbientLab MetaBase CSV export (MetaMotion sensors): one file per sensor and signal.

Layouts (from MbientLab's MetaBase app source and SDK tests, summarised in
``docs/vendors.md``; no real file in the project, the tests build fixtures from them):

- MetaBase Android/v3: header ``epoch (ms),time (<UTC offset>),elapsed (s),`` then
  ``x-axis (g),y-axis (g),z-axis (g)`` (accelerometer) or ``x-axis (deg/s),...``
  (gyroscope); file name ``..._<MAC>_<Signal>_<rate>Hz_<firmware>.csv``, e.g.
  ``S1_MetaWear_2019-09-14T13.41.43.335_F1E55E2FE95F_Accelerometer_100.000Hz_1.4.5.csv``;
- MetaBase 5 / Swift SDK: header ``Epoch,Timestamp (-0800),Elapsed (s),X,Y,Z`` with the
  epoch in seconds; the signal comes from the file name (``Accelerometer``, ``Gyroscope``).

Conversions: time from the epoch column (ms -> s, or s), a clock shared by every sensor
of the session (the phone's); acc g -> m/s^2 (x 9.80665), gyro deg/s -> rad/s. Axes are
the sensor's own, unchanged. The accelerometer and gyroscope files of one device are
paired by the MAC in their names and put on the accelerometer's times later
(:mod:`sensorlab.io.vendors.session`).
"""

from __future__ import annotations

import re
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

NAME = "MbientLab MetaBase CSV"
DESCRIPTION = (
    "MbientLab MetaBase CSV (one file per sensor and signal: epoch (ms), x-axis (g) or "
    "x-axis (deg/s); accelerometer and gyroscope files paired by MAC)"
)
_MAC = re.compile(r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{12})(?![0-9A-Fa-f])")


def _layout(header: str) -> str | None:
    fields = [f.strip() for f in header.split(",")]
    if fields[:1] == ["epoch (ms)"] and any(f.startswith("x-axis (") for f in fields):
        return "v3"
    if fields[:1] == ["Epoch"] and len(fields) >= 4 and fields[-3:] == ["X", "Y", "Z"]:
        return "v5"
    return None


def sniff(path: Path) -> bool:
    """Whether ``path`` is a MetaBase CSV export (its header line)."""
    lines = head_lines(path, 1)
    return bool(lines) and _layout(lines[0]) is not None


def _signal(path: Path, header: list[str]) -> str:
    units = " ".join(header)
    if "(g)" in units:
        return "acc"
    if "(deg/s)" in units:
        return "gyr"
    name = path.name.lower()
    if "accelerometer" in name or "acceleration" in name:
        return "acc"
    if "gyro" in name or "angular" in name:
        return "gyr"
    raise InputError(
        f"{path.name}:1: cannot tell whether this MetaBase file is the accelerometer or the "
        "gyroscope (no unit in the header, no 'Accelerometer'/'Gyroscope' in the file name); "
        "rename it to say which"
    )


def read(path: Path) -> list[VendorStream]:
    """The streams of ``path``: one: the file's sensor and signal.

    In SI units, on the sensor's own axes and the device's own time.
    """
    lines = read_lines(path)
    layout = _layout(lines[0]) if lines else None
    if layout is None:
        raise InputError(f"{path.name}:1: not a MetaBase header")
    header = [f.strip() for f in lines[0].split(",")]
    if layout == "v3":
        epoch, scale_s = "epoch (ms)", 1e-3
        axes = [next(f for f in header if f.startswith(f"{a}-axis (")) for a in "xyz"]
    else:
        epoch, scale_s = "Epoch", 1.0
        axes = ["X", "Y", "Z"]
    signal = _signal(path, header)
    warnings: list[str] = []
    table = parse_numeric(path, lines, 0, ",", [epoch, *axes], [], warnings)
    t_s = table[epoch] * scale_s
    keep = check_increasing(path, t_s, table.lines, epoch)
    if keep.size < t_s.size:
        # MetaBase stamps the samples of one packed notification alike: spread them evenly
        # instead of dropping them (docs/vendors.md)
        t_s = _spread_repeats(t_s)
        keep = check_increasing(path, t_s, table.lines, epoch)
    values = table.stack(axes)[keep]
    if signal == "acc":
        values = values * STANDARD_GRAVITY_M_S2
        note = "acc: g x 9.80665 -> m/s^2"
    else:
        values = np.radians(values)
        note = "gyro: deg/s -> rad/s"
    mac = _MAC.search(path.stem)
    rate = re.search(r"_([0-9.]+)Hz", path.name)
    return [
        VendorStream(
            source=path,
            format=NAME,
            t_s=t_s[keep],
            clock="epoch",
            device=mac.group(1).upper() if mac else None,
            rate_hz=float(rate.group(1)) if rate else None,
            acc_m_s2=values if signal == "acc" else None,
            gyr_rad_s=values if signal == "gyr" else None,
            notes=(f"time: {epoch} -> s since 1970 (the phone's clock)", note),
            warnings=warnings,
            signal=signal,
        )
    ]


def _spread_repeats(t_s: np.ndarray) -> np.ndarray:
    """Times with runs of equal stamps spread evenly up to the next distinct stamp."""
    t = t_s.copy()
    starts = np.flatnonzero(np.concatenate([[True], np.diff(t_s) != 0]))
    ends = np.concatenate([starts[1:], [t_s.size]])
    for start, end in zip(starts, ends, strict=True):
        count = end - start
        if count > 1:
            step = (t_s[end] - t_s[start]) / count if end < t_s.size else _median_step(t_s)
            t[start:end] = t_s[start] + step * np.arange(count)
    return t


def _median_step(t_s: np.ndarray) -> float:
    """Spacing for a last run of equal stamps (no next stamp to spread to).

    The median step between distinct stamps divided by the run length seen most, here taken as 3,
    the samples MetaWear packs in one notification.
    """
    steps = np.diff(np.unique(t_s))
    return float(np.median(steps)) / 3.0 if steps.size else 1e-3
