"""What goes into a Motion-BIDS tracking system's files.

The rows of ``_motion.tsv`` (each sensor's samples as recorded, :func:`merge_rows`), its
channels (``_channels.tsv``), their reference frames (``_channels.json``) and the
``_motion.json`` sidecar. Pure data; the files are written by :mod:`sensorlab.io.bids`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from sensorlab.records import ImuChunk, Recording, SessionAnalysis

RATE_MATCH = 0.01
"""Nominal rates within this relative difference share a tracking system."""
MISSING = "n/a"
ACC_DECIMALS, GYR_DECIMALS, LATENCY_DECIMALS = 5, 4, 6
"""Decimals written: as the recording CSV (acc 1e-5 m/s^2, gyro 1e-4 deg/s, time 1 us)."""

PLACEMENT_TEXT = {
    "pelvis": "sacrum, on a belt at S1-S2",
    "left_thigh": "left lateral mid-thigh",
    "right_thigh": "right lateral mid-thigh",
}
"""The ``placement`` column: where each sensor is worn."""
AXIS_LETTER = {
    "forward": "A",
    "backward": "P",
    "left": "L",
    "right": "R",
    "up": "S",
    "down": "I",
}
"""A mount's anatomical direction as a letter of ``SpatialAxes``."""
TASK_TEXT = {
    "step_up": ("step-up", "Step-ups onto a box, leading with one leg per set."),
    "walk": ("walk", "Level walking."),
}


@dataclass(frozen=True)
class TrackingSystem:
    """Sensors written to one ``_motion.tsv``: same nominal rate.

    Attributes
    ----------
    label : str
        The ``tracksys-`` label.
    rate_hz : float
        Nominal sampling rate, Hz.
    placements : tuple of str
        The sensors, in the recording's order.
    """

    label: str
    rate_hz: float
    placements: tuple[str, ...]


def tracking_systems(recording: Recording) -> list[TrackingSystem]:
    """Group the recording's sensors by nominal rate into tracking systems.

    The rate is the sidecar's, else the measured median rate; rates within
    :data:`RATE_MATCH` share a group. One group is ``imu``, several are named by rate
    (``imu100``).
    """
    groups: list[tuple[float, list[str]]] = []
    for placement, chunk in recording.chunks.items():
        if len(chunk) == 0:
            continue
        rate = _nominal_rate(recording, placement, chunk)
        for group_rate, members in groups:
            if abs(rate / group_rate - 1.0) <= RATE_MATCH:
                members.append(placement)
                break
        else:
            groups.append((rate, [placement]))
    if len(groups) == 1:
        rate, members = groups[0]
        return [TrackingSystem("imu", rate, tuple(members))]
    systems, used = [], set()
    for rate, members in groups:
        label = f"imu{round(rate)}"
        while label in used:
            label += "b"
        used.add(label)
        systems.append(TrackingSystem(label, rate, tuple(members)))
    return systems


def _nominal_rate(recording: Recording, placement: str, chunk: ImuChunk) -> float:
    info = recording.meta.sensors.get(placement)
    if info is not None and info.rate_hz:
        return float(info.rate_hz)
    return median_rate(chunk.t_s)


def median_rate(t_s: np.ndarray) -> float:
    """One over the median positive interval of ``t_s``, Hz (NaN without one)."""
    steps = np.diff(t_s)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else float("nan")


PAIRING_WINDOW = 101
"""Samples over which a sensor's offset from the rows is smoothed (about 1 s at 100 Hz)."""


def merge_rows(times: list[np.ndarray], period_s: float) -> tuple[list[np.ndarray], int]:
    """Rows for samples of several sensors at one nominal rate, without moving any.

    The first sensor's samples make the first rows. For each next sensor, its offset from
    the nearest row (modulo a period) is smoothed over :data:`PAIRING_WINDOW` samples (a
    running median of the unwrapped offset, wrapped back to half a period either way), and
    each sample joins the row nearest to its time minus that offset, if no sample of the
    same sensor is nearer to it; the others make new rows at their own time. Pairing
    thus follows the clocks' slow drift rather than each sample's jitter: when two clocks
    drift through half a period apart the pairing moves on by one row, once (one row
    without that sensor), instead of flickering. Each row holds at most one sample per
    sensor, each within half a period (plus timing jitter) of the row's time; every
    sample is in exactly one row; a loss leaves that sensor's cell empty.

    Parameters
    ----------
    times : list of ndarray
        Each sensor's sample times, s (in recording order).
    period_s : float
        The nominal sample period, s.

    Returns
    -------
    rows : list of ndarray of int
        For each sensor, the row of each of its samples; rows are numbered in time order.
    n_rows : int
        Rows in all.
    """
    half = 0.5 * period_s
    row_t = np.zeros(0)
    assigned = []
    for sensor_t in times:
        t = np.asarray(sensor_t, dtype=np.float64)
        rows = np.full(t.size, -1, dtype=np.int64)
        if row_t.size and t.size:
            by_time = np.argsort(row_t, kind="stable")
            sorted_t = row_t[by_time]
            offset = _wrap(t - sorted_t[_nearest(sorted_t, t)], period_s)
            smooth = median_filter(
                np.unwrap(offset, period=period_s), PAIRING_WINDOW, mode="nearest"
            )
            target = t - _wrap(smooth, period_s)
            near = _nearest(sorted_t, target)
            distance = np.abs(target - sorted_t[near])
            claim = by_time[near]
            close = np.flatnonzero(distance < half)
            ranked = close[np.lexsort((distance[close], claim[close]))]  # nearest first per row
            winners = ranked[np.r_[True, np.diff(claim[ranked]) != 0]] if ranked.size else ranked
            rows[winners] = claim[winners]
        new = rows < 0
        rows[new] = row_t.size + np.arange(int(new.sum()))
        row_t = np.concatenate([row_t, t[new]])
        assigned.append(rows)
    rank = np.empty(row_t.size, dtype=np.int64)
    rank[np.argsort(row_t, kind="stable")] = np.arange(row_t.size)
    return [rank[rows] for rows in assigned], int(row_t.size)


def _nearest(sorted_t: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Index of the nearest of ``sorted_t`` (ascending, not empty) to each of ``t``."""
    after = np.searchsorted(sorted_t, t)
    before = np.clip(after - 1, 0, sorted_t.size - 1)
    after = np.clip(after, 0, sorted_t.size - 1)
    return np.where(np.abs(t - sorted_t[before]) <= np.abs(sorted_t[after] - t), before, after)


def _wrap(offset: np.ndarray, period_s: float) -> np.ndarray:
    """``offset`` wrapped to [-period/2, period/2)."""
    return (offset + 0.5 * period_s) % period_s - 0.5 * period_s


@dataclass(frozen=True)
class Channel:
    """One row of ``_channels.tsv`` (one column of ``_motion.tsv``)."""

    name: str
    component: str
    type: str
    tracked_point: str
    units: str
    placement: str
    reference_frame: str
    sampling_frequency: float
    description: str


def sensor_channels(placement: str, chunk: ImuChunk, rate_hz: float) -> list[Channel]:
    """The channels of one sensor: acc, gyro, mag and quaternion if present, latency."""
    where = PLACEMENT_TEXT.get(placement, placement)
    frame = f"{placement}_sensor"

    def channel(suffix, component, kind, units, what, reference=frame) -> Channel:
        return Channel(
            f"{placement}_{suffix}",
            component,
            kind,
            placement,
            units,
            where,
            reference,
            rate_hz,
            what,
        )

    out = [
        channel(f"acc_{a}", a, "ACCEL", "m/s^2", f"specific force along the sensor's {a} axis")
        for a in "xyz"
    ]
    out += [
        channel(f"gyr_{a}", a, "GYRO", "deg/s", f"angular rate about the sensor's {a} axis")
        for a in "xyz"
    ]
    if all(f"mag_{a}" in chunk.extra for a in "xyz"):
        out += [
            channel(f"mag_{a}", a, "MAGN", "uT", f"magnetic field along the sensor's {a} axis")
            for a in "xyz"
        ]
    if all(f"quat_{a}" in chunk.extra for a in "wxyz"):
        out += [
            channel(
                f"quat_{a}", f"quat_{a}", "ORNT", MISSING, "the device's own orientation estimate"
            )
            for a in "wxyz"
        ]
    out.append(
        channel(
            "latency",
            MISSING,
            "LATENCY",
            "s",
            "time of this sensor's sample in the row, from the tracking system's onset",
            MISSING,
        )
    )
    return out


def sensor_values(chunk: ImuChunk, channels: list[Channel], onset_s: float) -> np.ndarray:
    """The sensor's samples as columns matching ``channels``, rounded as written."""
    columns = []
    for channel in channels:
        suffix = channel.name[len(chunk.placement) + 1 :]
        if suffix.startswith("acc_"):
            values = np.round(chunk.acc_m_s2[:, "xyz".index(suffix[-1])], ACC_DECIMALS)
        elif suffix.startswith("gyr_"):
            values = np.rad2deg(chunk.gyr_rad_s[:, "xyz".index(suffix[-1])])
            values = np.round(values, GYR_DECIMALS)
        elif suffix == "latency":
            values = np.round(chunk.t_s - onset_s, LATENCY_DECIMALS)
        else:
            values = np.asarray(chunk.extra[suffix], dtype=np.float64)
        columns.append(values + 0.0)  # no "-0.0" in the file
    return np.column_stack(columns)


def reference_frames(recording: Recording, system: TrackingSystem) -> dict:
    """``_channels.json``: each sensor's frame, with its nominal mount as SpatialAxes."""
    levels = {}
    for placement in system.placements:
        info = recording.meta.sensors.get(placement)
        mount = info.mount if info is not None else None
        level: dict = {"RotationRule": "right-hand"}
        if mount:
            level["SpatialAxes"] = "".join(AXIS_LETTER[mount[a]] for a in "xyz")
            level["Description"] = (
                f"The {placement} sensor's own axes x, y, z (right-handed). SpatialAxes is the "
                "nominal mount in the standing calibration pose (anatomical directions of "
                "the subject); real straps sit up to 20-25 deg off it."
            )
        else:
            level["Description"] = (
                f"The {placement} sensor's own axes x, y, z (right-handed); how it was "
                "mounted is not known."
            )
        levels[f"{placement}_sensor"] = level
    return {
        "reference_frame": {
            "Description": "The frame each channel's values are expressed in.",
            "Levels": levels,
        }
    }


def _joined(values: Iterable[str | None]) -> str:
    known = list(dict.fromkeys(v for v in values if v))
    return ", ".join(known) if known else MISSING


def motion_sidecar(
    recording: Recording,
    analysis: SessionAnalysis,
    system: TrackingSystem,
    chunks: list[ImuChunk],
    channels: list[Channel],
    onset_s: float,
) -> dict:
    """The ``_motion.json`` of one tracking system: every required and recommended field."""
    infos = [recording.meta.sensors.get(p) for p in system.placements]
    activity = analysis.activity
    task_name, task_text = TASK_TEXT.get(activity, (activity, MISSING))
    counts = {kind: sum(c.type == kind for c in channels) for kind in _COUNTED_TYPES}
    effective = [median_rate(c.t_s) for c in chunks]
    end_s = max(float(c.t_s.max()) for c in chunks)
    return {
        "TaskName": task_name,
        "TaskDescription": task_text,
        "Instructions": (
            "Stand still in the calibration pose for at least 2 s at the start, then "
            f"perform the task ({task_name})."
        ),
        "TrackingSystemName": system.label,
        "SamplingFrequency": json_number(system.rate_hz),
        "SamplingFrequencyEffective": round(float(np.median(effective)), 6),
        "RecordingDuration": round(end_s - onset_s, 6),
        "Manufacturer": _joined(
            i.extra.get("device") if i is not None and i.extra.get("device") else None
            for i in infos
        ),
        "ManufacturersModelName": _joined(i.model if i is not None else None for i in infos),
        "DeviceSerialNumber": _joined(i.address if i is not None else None for i in infos),
        "SoftwareVersions": MISSING,
        "InstitutionName": MISSING,
        "InstitutionAddress": MISSING,
        "InstitutionalDepartmentName": MISSING,
        "MotionChannelCount": len(channels),
        **{f"{kind}ChannelCount": counts[kind] for kind in _COUNTED_TYPES if kind != "MISC"},
        "MiscChannelCount": counts["MISC"],
        "MissingValues": MISSING,
        "SubjectArtefactDescription": MISSING,
        "TrackedPointsCount": len(system.placements),
    }


_COUNTED_TYPES = (
    "ACCEL",
    "ANGACCEL",
    "GYRO",
    "JNTANG",
    "LATENCY",
    "MAGN",
    "MISC",
    "ORNT",
    "POS",
    "VEL",
)


def json_number(value: float) -> float | int:
    """``value`` as an integer when it is whole (``100``, not ``100.0``), for JSON."""
    value = float(value)
    return int(value) if value.is_integer() else value
