"""A simulated session written as Movella DOT app exports (for tests and benchmarks).

The DOT's "Extended (Quaternion)" mode: per sensor one CSV with the app's preamble and
``PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,FreeAcc_X,FreeAcc_Y,FreeAcc_Z,
Status``; no raw accelerometer or gyroscope. The values are exact: the quaternion is the
sensor's true orientation (sensor to world, world z up) and the free acceleration the true
world-frame acceleration of the sensor (``R f - g e_z`` with ``f`` the ideal specific
force), sampled at true times ``k / rate`` (a common clock, as synced DOTs share).
``SampleTimeFine`` is those times in microseconds from ``start_us``, modulo 2**32 (so a
start near 2**32 makes it wrap), ``PacketCounter`` counts from 1 modulo 2**16. Lost
packets are rows left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from sensorlab.simulate.imu import ideal_readings
from sensorlab.simulate.session import SimulatedSession
from sensorlab.units import GRAVITY_M_S2

FILE_NAMES = {"pelvis": "Pelvis", "left_thigh": "LFemur", "right_thigh": "RFemur"}
"""File-name stems, as in the real DOT exports of ``tests/data``."""
_BLOCK = 65536


@dataclass(frozen=True)
class DotExport:
    """One written file and what it holds.

    Attributes
    ----------
    path : Path
        The CSV.
    t_s : ndarray
        True time of each row written, s (lost packets left out).
    lost : int
        Packets left out.
    """

    path: Path
    t_s: np.ndarray
    lost: int


def write_dot_exports(
    session: SimulatedSession,
    folder: Path,
    *,
    rate_hz: float = 60.0,
    start_us: int = 3_343_427_885,
    lost: dict[str, np.ndarray] | None = None,
    free_acc: bool = True,
) -> dict[str, DotExport]:
    """Write one DOT CSV per placement of ``session`` into ``folder``.

    Parameters
    ----------
    rate_hz : float
        Output rate, Hz (the DOT offers 1 to 120).
    start_us : int
        ``SampleTimeFine`` of the first sample, us (wraps at 2**32).
    lost : dict of str to ndarray of bool, optional
        Per placement, which samples are lost (True = left out).
    free_acc : bool
        Write ``FreeAcc_X..Z`` (the DOT's quaternion mode); without it only the quaternion
        (orientation-only export).
    """
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(0.0, session.truth.duration_s, 1.0 / rate_hz)
    out = {}
    for placement in session.recording.chunks:
        mount = session.truth.sensors[placement].sensor_to_segment
        keep = np.ones(t.size, bool) if lost is None or placement not in lost else ~lost[placement]
        path = folder / f"{FILE_NAMES.get(placement, placement)}_20261207_090000_000.csv"
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(_preamble(placement, rate_hz))
            columns = "PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z"
            handle.write(
                columns + (",FreeAcc_X,FreeAcc_Y,FreeAcc_Z" if free_acc else "") + ",Status\n"
            )
            for start in range(0, t.size, _BLOCK):
                block = np.arange(start, min(start + _BLOCK, t.size))
                block = block[keep[block]]
                handle.write(_rows(session, placement, mount, t, block, start_us, free_acc))
        out[placement] = DotExport(path=path, t_s=t[keep], lost=int((~keep).sum()))
    return out


def _preamble(placement: str, rate_hz: float) -> str:
    return (
        "sep=,\n"
        f"DeviceTag:,sim-{placement}\n"
        "FirmwareVersion:,2.0.0\n"
        "AppVersion:,2021.0\n"
        "SyncStatus:,Synced\n"
        f"OutputRate:,{rate_hz:g}Hz\n"
        "FilterProfile:,General\n"
        "Measurement Mode:,Sensor fusion Mode - Extended(Quaternion)\n"
        "StartTime: ,2026-12-07_09:00:00_000 GMT+0\n"
        "sensorlab simulator\n"
        "\n"
    )


def _rows(session, placement, mount, t, index, start_us, free_acc) -> str:
    times = t[index]
    _, rotation = session.sensor_pose(placement, times)
    quat = Rotation.from_matrix(rotation).as_quat()[:, [3, 0, 1, 2]]
    counter = (index + 1) % 2**16
    fine = (start_us + np.round(times * 1e6).astype(np.int64)) % 2**32
    columns = [counter, fine, *quat.T]
    formats = ["%d", "%d"] + ["%.6f"] * 4
    if free_acc:
        force, _ = ideal_readings(session.motion, placement, mount, times)
        world = np.einsum("nij,nj->ni", rotation, force)
        world[:, 2] -= GRAVITY_M_S2
        columns += list(world.T)
        formats += ["%.6f"] * 3
    columns.append(np.zeros(index.size, dtype=np.int64))
    formats.append("%d")
    template = ",".join(formats) + "\n"
    return "".join(template % row for row in zip(*(c.tolist() for c in columns), strict=True))
