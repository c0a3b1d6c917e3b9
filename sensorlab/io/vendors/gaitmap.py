"""gaitmap-style CSV: a two-row header (sensor, axis) and a sample-index column.

Layout (real file: ``tests/data/gaitmap-example-feet/example_data/imu_sample.csv``): line 1
``sensor,<name>,<name>,...``, line 2 ``axis,acc_x,acc_x,...,gyr_z``, then one row per
sample, the first column the sample index (0, 1, 2...). gaitmap's conventions: acc in
m/s^2, gyro in deg/s, each sensor in gaitmap's sensor frame. The file has no time and no
rate: the rate comes from the caller (``--rate``; the gaitmap example is 204.8 Hz).

Conversions: time = index / rate (one clock for every sensor of the file); gyro deg/s ->
rad/s. gaitmap is a foot-worn-IMU library: its ``left_sensor`` / ``right_sensor`` are
taken as ``left_foot`` / ``right_foot`` unless mapped otherwise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.io.vendors.stream import VendorStream, head_lines, parse_numeric, read_lines

NAME = "gaitmap CSV"
DESCRIPTION = "gaitmap-style CSV (two-row header: sensor, axis; acc_x.. m/s^2, gyr_x.. deg/s)"
_AXES = ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z")
SENSOR_NAMES = {"left_sensor": "left_foot", "right_sensor": "right_foot"}


def sniff(path: Path) -> bool:
    """Whether ``path`` is a gaitmap-style CSV (its two header rows)."""
    lines = head_lines(path, 2)
    return (
        len(lines) == 2
        and lines[0].split(",")[0].strip() == "sensor"
        and lines[1].split(",")[0].strip() == "axis"
        and "acc_x" in lines[1]
    )


def read(path: Path, rate_hz: float | None = None) -> list[VendorStream]:
    """The streams of ``path``: one per sensor of the file.

    In SI units, on the sensor's own axes and the device's own time. ``rate_hz``: the
    sampling rate, Hz, which the file does not hold.
    """
    if rate_hz is None:
        raise InputError(
            f"{path.name}: a gaitmap CSV has no time column and no rate; give the sampling rate "
            "with --rate HZ (the gaitmap example data: --rate 204.8)"
        )
    lines = read_lines(path)
    sensors = [f.strip() for f in lines[0].split(",")]
    axes = [f.strip() for f in lines[1].split(",")]
    if len(sensors) != len(axes):
        raise InputError(f"{path.name}:2: the two header rows have different lengths")
    names = ["index"] + [f"{s}/{a}" for s, a in zip(sensors[1:], axes[1:], strict=True)]
    flat = ["", ",".join(names), *lines[2:]]  # the header on line 2, so rows keep their lines
    wanted = [n for n in names[1:] if n.split("/")[1] in _AXES]
    warnings: list[str] = []
    table = parse_numeric(path, flat, 1, ",", ["index", *wanted], [], warnings)
    t_s = table["index"] / rate_hz
    streams: list[VendorStream] = []
    for sensor in dict.fromkeys(n.split("/")[0] for n in wanted):
        missing = [a for a in _AXES if f"{sensor}/{a}" not in table.columns]
        if missing:
            raise InputError(f"{path.name}:2: sensor {sensor!r} has no {', '.join(missing)} column")
        block = table.stack([f"{sensor}/{a}" for a in _AXES])
        streams.append(
            VendorStream(
                source=path,
                format=NAME,
                t_s=t_s,
                clock=f"gaitmap:{path}",
                device=sensor,
                label=SENSOR_NAMES.get(sensor, sensor),
                seq=table["index"].astype(np.int64),
                rate_hz=rate_hz,
                acc_m_s2=block[:, :3],
                gyr_rad_s=np.radians(block[:, 3:]),
                notes=(f"time: sample index / {rate_hz:g} Hz", "gyro: deg/s -> rad/s"),
                warnings=[] if streams else warnings,
            )
        )
    return streams
