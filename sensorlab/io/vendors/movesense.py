"""Movesense Showcase app export: one CSV per sensor and signal.

Layout (the Showcase app's recorder, summarised in ``docs/vendors.md``; no real file in the
project, the tests build fixtures from it): header ``timestamp,x,y,z``, the timestamp in
milliseconds on the sensor's own clock (it counts from the sensor's start, so two sensors'
clocks are not comparable), acc in m/s^2, gyro in deg/s. The file name says the signal
(``...Acc...``, ``...Gyro...``) and, with the signal word taken out, identifies the sensor
(e.g. ``Movesense_175030001234_Acc.csv`` and ``Movesense_175030001234_Gyro.csv``).

Conversions: ms -> s; gyro deg/s -> rad/s; axes are the sensor's own, unchanged. The
accelerometer and gyroscope of one sensor share its clock and are paired
(:mod:`sensorlab.io.vendors.session`); different sensors are aligned at their first samples,
with a warning (nothing in the files relates their clocks).
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

NAME = "Movesense Showcase CSV"
DESCRIPTION = (
    "Movesense Showcase CSV (timestamp,x,y,z in ms, m/s^2 or deg/s; one file per signal, "
    "'Acc'/'Gyro' in the file name)"
)
_SIGNAL = re.compile(r"(?i)(?<![a-z])(acc|gyro)(?![a-z])")


def sniff(path: Path) -> bool:
    """Whether ``path`` is a Movesense Showcase CSV export (its header line)."""
    lines = head_lines(path, 1)
    if not lines:
        return False
    fields = [f.strip().lower() for f in lines[0].split(",")]
    return fields == ["timestamp", "x", "y", "z"] and _SIGNAL.search(path.stem) is not None


def read(path: Path) -> list[VendorStream]:
    """The streams of ``path``: one: the file's sensor and signal.

    In SI units, on the sensor's own axes and the device's own time.
    """
    lines = read_lines(path)
    match = _SIGNAL.search(path.stem)
    if match is None:
        raise InputError(
            f"{path.name}: a Movesense file must say 'Acc' or 'Gyro' in its name (which signal "
            "it holds); rename it"
        )
    signal = "acc" if match.group(1).lower() == "acc" else "gyr"
    header = [f.strip() for f in lines[0].split(",")]
    warnings: list[str] = []
    table = parse_numeric(path, lines, 0, ",", header, [], warnings)
    t_s = table[header[0]] * 1e-3
    keep = check_increasing(path, t_s, table.lines, "timestamp")
    values = table.stack(header[1:])[keep]
    sensor = re.sub(r"[_\- ]+$|^[_\- ]+", "", _SIGNAL.sub("", path.stem)) or path.stem
    if signal == "gyr":
        values = np.radians(values)
    return [
        VendorStream(
            source=path,
            format=NAME,
            t_s=t_s[keep],
            clock=f"own:movesense:{sensor}",
            device=sensor,
            acc_m_s2=values if signal == "acc" else None,
            gyr_rad_s=values if signal == "gyr" else None,
            notes=(
                "time: timestamp ms (the sensor's own clock) -> s",
                "acc: m/s^2, unchanged" if signal == "acc" else "gyro: deg/s -> rad/s",
            ),
            warnings=warnings,
            signal=signal,
        )
    ]
