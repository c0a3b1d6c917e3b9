"""Synthetic vendor exports built from the vendors' documented layouts (test-only).

No real MetaBase, WitMotion, Movesense, x-IMU3 or APDM file is in the project. Each writer
below lays out a simulated recording (``ImuChunk`` per placement: t in s, acc in m/s^2,
gyro in rad/s) the way the vendor's documentation and app source say its export looks
(header lines and units quoted in ``docs/vendors.md`` and ``sensorlab/io/vendors/*.py``),
with the vendor's units and number of decimals, so the tests check the readers against
known values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sensorlab.records import ImuChunk
from sensorlab.units import STANDARD_GRAVITY_M_S2

EPOCH_MS = 1_796_000_000_000  # 2026-11-29, ms since 1970
MACS = {"pelvis": "F1E55E2FE901", "left_thigh": "F1E55E2FE902", "right_thigh": "F1E55E2FE903"}
LABELS = {"pelvis": "Lumbar", "left_thigh": "Left Thigh", "right_thigh": "Right Thigh"}


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def metabase_v3(chunks: dict[str, ImuChunk], folder: Path, gyro_lag_ms: int = 3) -> list[Path]:
    """MetaBase (Android, v3) files: ``epoch (ms),time (+01:00),elapsed (s),x-axis (g),...``
    per sensor and signal, names ``<name>_MetaWear_<date>_<MAC>_<Signal>_<rate>Hz_<fw>.csv``;
    the gyroscope's stamps ``gyro_lag_ms`` later than the accelerometer's (separate streams)."""
    paths = []
    for placement, chunk in chunks.items():
        for signal, unit, values, lag in (
            ("Accelerometer", "g", chunk.acc_m_s2 / STANDARD_GRAVITY_M_S2, 0),
            ("Gyroscope", "deg/s", np.degrees(chunk.gyr_rad_s), gyro_lag_ms),
        ):
            epoch = EPOCH_MS + np.round(chunk.t_s * 1000).astype(np.int64) + lag
            header = "epoch (ms),time (+01:00),elapsed (s)," + ",".join(
                f"{a}-axis ({unit})" for a in "xyz"
            )
            rows = [
                f"{e},2026-11-29T10.00.00.000,{(e - epoch[0]) / 1000:.3f},"
                + ",".join(f"{v:.3f}" for v in row)
                for e, row in zip(epoch.tolist(), values.tolist(), strict=True)
            ]
            stamp = "2026-11-29T10.00.00.000"
            name = f"{placement}_MetaWear_{stamp}_{MACS[placement]}_{signal}_100.000Hz_1.4.5.csv"
            paths.append(_write(folder / name, header, rows))
    return paths


def witmotion_csv(chunks: dict[str, ImuChunk], folder: Path) -> dict[str, Path]:
    """WitMotion PC software CSV, one file per device (``Time,Device name,Chip Time(),
    Acceleration X(g),...,Angular velocity X(°/s),...,Angle X(°),...``). Returns the device
    name of each placement's file (its key) and the path."""
    header = (
        "Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),"
        "Angular velocity X(°/s),Angular velocity Y(°/s),Angular velocity Z(°/s),"
        "Angle X(°),Angle Y(°),Angle Z(°)"
    )
    out = {}
    for k, (_placement, chunk) in enumerate(chunks.items()):
        device = f"WT901BLE67(d6:a8:b9:ee:a0:0{k})"
        stamps = np.datetime64("2026-11-29T10:00:00.000") + np.round(chunk.t_s * 1000).astype(
            "timedelta64[ms]"
        )
        acc = chunk.acc_m_s2 / STANDARD_GRAVITY_M_S2
        gyr = np.degrees(chunk.gyr_rad_s)
        rows = [
            f"{str(s).replace('T', ' ')},{device},null,"
            + ",".join(f"{v:.4f}" for v in a)
            + ","
            + ",".join(f"{v:.4f}" for v in g)
            + ",0.0,0.0,0.0"
            for s, a, g in zip(stamps, acc.tolist(), gyr.tolist(), strict=True)
        ]
        out[device] = _write(folder / f"_WT901BLE67_{k}.csv", header, rows)
    return out


def movesense_showcase(
    chunks: dict[str, ImuChunk], folder: Path, clock_offsets_ms: list[int]
) -> dict[str, list[Path]]:
    """Movesense Showcase CSVs, ``timestamp,x,y,z`` (ms on each sensor's own clock, which
    starts at ``clock_offsets_ms``), ``Movesense_<serial>_Acc.csv`` / ``_Gyro.csv``;
    returns, per placement, the device (file stem without the signal) and its two files."""
    out = {}
    for k, (placement, chunk) in enumerate(chunks.items()):
        serial = f"17503000123{k}"
        stamps = clock_offsets_ms[k] + np.round(chunk.t_s * 1000).astype(np.int64)
        for signal, values in (("Acc", chunk.acc_m_s2), ("Gyro", np.degrees(chunk.gyr_rad_s))):
            rows = [
                f"{s}," + ",".join(f"{v:.5f}" for v in row)
                for s, row in zip(stamps.tolist(), values.tolist(), strict=True)
            ]
            path = _write(folder / f"Movesense_{serial}_{signal}.csv", "timestamp,x,y,z", rows)
            out.setdefault(placement, []).append(path)
    return out


def ximu3_inertial(chunks: dict[str, ImuChunk], folder: Path) -> list[Path]:
    """x-IMU3 GUI logs: a folder per device named ``x-IMU3 <Label> <serial>`` holding
    ``Inertial.csv`` (``Timestamp (us),Gyroscope X (deg/s),...,Accelerometer X (g),...``)."""
    header = "Timestamp (us)," + ",".join(
        [f"Gyroscope {a} (deg/s)" for a in "XYZ"] + [f"Accelerometer {a} (g)" for a in "XYZ"]
    )
    paths = []
    for k, (placement, chunk) in enumerate(chunks.items()):
        stamps = 5_000_000 * (k + 1) + np.round(chunk.t_s * 1e6).astype(np.int64)
        gyr = np.degrees(chunk.gyr_rad_s)
        acc = chunk.acc_m_s2 / STANDARD_GRAVITY_M_S2
        rows = [
            f"{s}," + ",".join(f"{v:.6f}" for v in [*g, *a])
            for s, g, a in zip(stamps.tolist(), gyr.tolist(), acc.tolist(), strict=True)
        ]
        label = LABELS[placement].replace(" ", "")
        paths.append(_write(folder / f"x-IMU3 {label} 6557{k}B49" / "Inertial.csv", header, rows))
    return paths


def apdm_h5(chunks: dict[str, ImuChunk], path: Path) -> Path:
    """An APDM Opal file (format version 5): ``/Sensors/<id>/Accelerometer`` (m/s^2),
    ``Gyroscope`` (rad/s), ``Time`` (us since 1970), ``Configuration`` attributes
    ``Label 0`` and ``Sample Rate``."""
    import h5py

    with h5py.File(path, "w") as h5:
        h5.attrs["FileFormatVersion"] = 5
        for k, (placement, chunk) in enumerate(chunks.items()):
            group = h5.create_group(f"Sensors/{1000 + k}")
            group["Accelerometer"] = chunk.acc_m_s2.astype(np.float32)
            group["Gyroscope"] = chunk.gyr_rad_s.astype(np.float32)
            group["Time"] = (EPOCH_MS * 1000 + np.round(chunk.t_s * 1e6)).astype(np.uint64)
            configuration = group.create_group("Configuration")
            configuration.attrs["Label 0"] = LABELS[placement].encode()
            configuration.attrs["Sample Rate"] = np.uint16(100)
    return path


def json_mapping(path: Path, mapping: dict[str, str]) -> Path:
    path.write_text(json.dumps(mapping), encoding="utf-8")
    return path


def dot_offline(session, placement: str, folder: Path, rate_hz: float = 120.0):
    """A DOT recording exported after on-sensor logging (firmware 1.6 layout, documented in
    ``docs/vendors.md``): preamble, ``PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,
    Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z`` (deg, m/s^2, deg/s), a first row with all-zero Acc
    and Gyr. Exact values from the simulator; returns the path and the true times, rotation
    matrices, specific force and angular rate of the rows after the placeholder."""
    from scipy.spatial.transform import Rotation

    from sensorlab.simulate.imu import ideal_readings

    t = np.arange(0.0, 5.0, 1.0 / rate_hz)
    mount = session.truth.sensors[placement].sensor_to_segment
    _, rotation = session.sensor_pose(placement, t)
    force, rate = ideal_readings(session.motion, placement, mount, t)
    euler = Rotation.from_matrix(rotation).as_euler("xyz", degrees=True)
    fine = 1_000_000 + np.round(t * 1e6).astype(np.int64)
    rows = []
    for k in range(t.size):
        acc = (0.0, 0.0, 0.0) if k == 0 else force[k]
        gyr = (0.0, 0.0, 0.0) if k == 0 else np.degrees(rate[k])
        values = [*euler[k], *acc, *gyr]
        rows.append(f"{k + 1},{fine[k]}," + ",".join(f"{v:.6f}" for v in values))
    preamble = "sep=,\nDeviceTag:,bei\nFirmwareVersion:,1.6.0\nAppVersion:,2021.0\n"
    preamble += "StartTime: ,2026-11-29_10:00:00_000 GMT+1\n\u00a9 Xsens Technologies B. V.\n\n"
    header = (
        "PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z,Acc_X,Acc_Y,Acc_Z,Gyr_X,Gyr_Y,Gyr_Z"
    )
    path = folder / f"{placement}_D4CA6EF17860_20261129_100000.csv"
    _write(path, preamble + header, rows)
    return path, t[1:], rotation[1:], force[1:], rate[1:]


def metabase_v5(chunks: dict[str, ImuChunk], folder: Path) -> list[Path]:
    """MetaBase 5 / Swift SDK files: ``Epoch,Timestamp (-0800),Elapsed (s),X,Y,Z``, the epoch
    in seconds with millisecond decimals, values to 4 decimals, the signal only in the file
    name (``..._<MAC>_Accelerometer.csv``)."""
    paths = []
    for placement, chunk in chunks.items():
        for signal, values in (
            ("Accelerometer", chunk.acc_m_s2 / STANDARD_GRAVITY_M_S2),
            ("Gyroscope", np.degrees(chunk.gyr_rad_s)),
        ):
            epoch_ms = EPOCH_MS + np.round(chunk.t_s * 1000).astype(np.int64)
            rows = [
                f"{e / 1000:.3f},2026-11-29T10.00.00.000,{(e - epoch_ms[0]) / 1000:.3f},"
                + ",".join(f"{v:.4f}" for v in row)
                for e, row in zip(epoch_ms.tolist(), values.tolist(), strict=True)
            ]
            name = f"{placement}_{MACS[placement]}_{signal}.csv"
            paths.append(_write(folder / name, "Epoch,Timestamp (-0800),Elapsed (s),X,Y,Z", rows))
    return paths


def witmotion_txt(chunks: dict[str, ImuChunk], path: Path) -> dict[str, str]:
    """The older WitMotion app/PC ``.txt`` export: tab separated, ``time DeviceName
    ChipTime() AccX(g) AccY(g) AccZ(g) AsX(°/s) AsY(°/s) AsZ(°/s) AngleX(°) ...``, all devices
    in one file (rows interleaved by time). Returns placement -> device name."""
    header = "\t".join(
        ["time", "DeviceName", "ChipTime()"]
        + [f"Acc{a}(g)" for a in "XYZ"]
        + [f"As{a}(°/s)" for a in "XYZ"]
        + [f"Angle{a}(°)" for a in "XYZ"]
    )
    devices, rows = {}, []
    for k, (placement, chunk) in enumerate(chunks.items()):
        devices[placement] = f"HC-06(00:0C:BF:19:3F:0{k})"
        stamps = np.datetime64("2026-11-29T10:00:00.000") + np.round(chunk.t_s * 1000).astype(
            "timedelta64[ms]"
        )
        acc = chunk.acc_m_s2 / STANDARD_GRAVITY_M_S2
        gyr = np.degrees(chunk.gyr_rad_s)
        for s, a, g in zip(stamps, acc.tolist(), gyr.tolist(), strict=True):
            fields = [str(s), devices[placement], "null"]
            fields += [f"{v:.4f}" for v in [*a, *g]] + ["0.0"] * 3
            rows.append((s, "\t".join(fields)))
    rows.sort(key=lambda row: row[0])
    _write(path, header, [text for _, text in rows])
    return devices
