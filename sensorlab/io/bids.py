"""Export a session to Motion-BIDS (the BIDS extension for motion data).

Layout written under the dataset root (``<T>`` the task label, ``<sys>`` the tracking
system)::

    dataset_description.json, participants.tsv, README      (created once, then extended)
    sub-<ID>/[ses-<S>/]sub-<ID>[_ses-<S>]_scans.tsv          (acq_time of each motion file)
    sub-<ID>/[ses-<S>/]motion/sub-<ID>[_ses-<S>]_task-<T>_tracksys-<sys>_motion.tsv
                                                 ..._channels.tsv, _channels.json,
                                                 ..._motion.json, _events.tsv, _events.json

**Samples are written as recorded, not resampled.** Motion-BIDS stores one tracking system
per ``_motion.tsv`` at one nominal rate, one row per sample time and one column per
channel, and no header. Sensors whose nominal rates agree within :data:`RATE_MATCH` form
one tracking system (``tracksys-imu``); otherwise each rate gets its own
(``tracksys-imu100``, ``tracksys-imu60``). Within a tracking system each row holds at most
one sample of each sensor, all within half a sample period of the row's first sample
(:func:`merge_rows`); a sensor with no sample there (a loss, or a clock drifting by one
sample) has ``n/a``. Each sensor has a ``LATENCY`` channel with its own sample's time
from the tracking system's onset, so every value keeps its exact time, and no value is
interpolated or dropped.

Units are the recording contract's: acc in m/s^2, gyro in deg/s (the spec takes any unit
that says what it is), latency in s. Events (``_events.tsv``) are the analysis's reps
(``onset`` = start, ``duration`` = length, ``trial_type`` ``rep_left``/``rep_right`` for the
working leg) and gait steps (``step_left``/``step_right``, the foot that makes initial
contact, duration 0), plus moments marked during the session, with the per-rep and
per-step metrics as extra columns; onsets are seconds from the first tracking system's
onset (its name is in the file name, as the specification recommends).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab import __version__
from sensorlab.errors import InputError
from sensorlab.io.bids_spec import BIDS_VERSION, LABEL_PATTERN
from sensorlab.io.writer import write_atomically, write_error
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
_LABEL = re.compile(LABEL_PATTERN)


@dataclass(frozen=True)
class BidsTarget:
    """Where a session goes in a BIDS dataset.

    Attributes
    ----------
    subject : str
        The ``sub-`` label (letters, digits, ``+``).
    session : str or None
        The ``ses-`` label, if the dataset has sessions.
    task : str or None
        The ``task-`` label; by default the activity without punctuation (``stepup``).
    """

    subject: str
    session: str | None = None
    task: str | None = None

    def __post_init__(self) -> None:
        for option, value in (
            ("--subject", self.subject),
            ("--session", self.session),
            ("--task", self.task),
        ):
            _check_label(option, value)


def _check_label(option: str, value: str | None) -> None:
    if value is None:
        return
    if not _LABEL.match(value):
        raise InputError(
            f"{option} {value!r}: a BIDS label has only letters, digits and '+' (no '-', "
            f"'_', spaces or dots); e.g. {re.sub(r'[^0-9a-zA-Z+]', '', value) or '01'!r}"
        )


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
    """Group the recording's sensors by nominal rate (the sidecar's, else the measured
    median rate), within :data:`RATE_MATCH`; one group is ``imu``, several are named by
    rate (``imu100``)."""
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
    return _median_rate(chunk.t_s)


def _median_rate(t_s: np.ndarray) -> float:
    steps = np.diff(t_s)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else float("nan")


def merge_rows(times: list[np.ndarray], period_s: float) -> tuple[list[np.ndarray], int]:
    """Rows for samples of several sensors at one nominal rate, without moving any.

    The first sensor's samples make the first rows. Each next sensor's samples join the
    nearest existing row (by the time of the sample that made it) when within half a
    period and no nearer sample of the same sensor claims that row; the others make new
    rows at their own time. So each row holds at most one sample per sensor, each within
    half a period of the row's time, and every sample is in exactly one row; a loss
    leaves that sensor's cell empty. While two sensors' clocks sit about half a period
    apart (they drift through it in long sessions), timing jitter makes some of their
    samples take rows of their own instead of pairing: more rows, never a moved sample.

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
            after = np.searchsorted(sorted_t, t)
            before = np.clip(after - 1, 0, sorted_t.size - 1)
            after = np.clip(after, 0, sorted_t.size - 1)
            near = np.where(
                np.abs(t - sorted_t[before]) <= np.abs(sorted_t[after] - t), before, after
            )
            distance = np.abs(t - sorted_t[near])
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


@dataclass(frozen=True)
class _Channel:
    name: str
    component: str
    type: str
    tracked_point: str
    units: str
    placement: str
    reference_frame: str
    sampling_frequency: float
    description: str


def _sensor_channels(placement: str, chunk: ImuChunk, rate_hz: float) -> list[_Channel]:
    where = PLACEMENT_TEXT.get(placement, placement)
    frame = f"{placement}_sensor"

    def channel(suffix, component, kind, units, what, reference=frame) -> _Channel:
        return _Channel(
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


def _sensor_values(chunk: ImuChunk, channels: list[_Channel], onset_s: float) -> np.ndarray:
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


def export_bids(
    recording: Recording, analysis: SessionAnalysis, root: Path, target: BidsTarget
) -> list[Path]:
    """Write one session into the Motion-BIDS dataset at ``root``; returns the files written.

    Creates the dataset (``dataset_description.json``, ``participants.tsv``, ``README``)
    when ``root`` has none, else adds the subject to ``participants.tsv`` and the files
    to the subject's scans table. Never overwrites a session's motion files.

    Raises
    ------
    InputError
        When the session's files exist already, ``root`` holds something that is not a
        BIDS dataset, or a file cannot be written.
    """
    task = target.task or re.sub(r"[^0-9a-zA-Z+]", "", analysis.activity) or "unknown"
    subject_dir = root / f"sub-{target.subject}"
    prefix = f"sub-{target.subject}"
    if target.session:
        subject_dir = subject_dir / f"ses-{target.session}"
        prefix += f"_ses-{target.session}"
    motion_dir = subject_dir / "motion"
    systems = tracking_systems(recording)
    if not systems:
        raise InputError(f"{recording.source}: no samples to export")
    stems = [f"{prefix}_task-{task}_tracksys-{s.label}" for s in systems]
    for stem in stems:
        existing = motion_dir / f"{stem}_motion.tsv"
        if existing.exists():
            raise InputError(
                f"{existing} exists: this subject, session and task are already exported; "
                "give another --session (or --task), or remove the old files first"
            )
    description = _dataset_description(root)
    try:
        written = []
        onsets = {}
        for system, stem in zip(systems, stems, strict=True):
            onset_s, files = _write_tracking_system(recording, analysis, system, motion_dir, stem)
            onsets[system.label] = onset_s
            written += files
        first = systems[0]
        written += _write_events(
            analysis, recording, motion_dir / f"{stems[0]}_events", onsets[first.label]
        )
        written.append(
            _add_scans(
                subject_dir / f"{prefix}_scans.tsv", recording, motion_dir, stems, systems, onsets
            )
        )
        if description is None:
            written += _create_dataset(root)
        written.append(_add_participant(root / "participants.tsv", target.subject))
    except OSError as error:
        raise write_error(Path(getattr(error, "filename", None) or root), error) from error
    return written


def _write_tracking_system(
    recording: Recording,
    analysis: SessionAnalysis,
    system: TrackingSystem,
    motion_dir: Path,
    stem: str,
) -> tuple[float, list[Path]]:
    """The ``_motion.tsv``, ``_channels.tsv``, ``_channels.json`` and ``_motion.json`` of one
    tracking system; returns its onset (its first sample, session seconds) and the files."""
    chunks = [recording.chunks[p] for p in system.placements]
    onset_s = float(min(c.t_s.min() for c in chunks))
    rows, n_rows = merge_rows([c.t_s for c in chunks], 1.0 / system.rate_hz)
    channels: list[_Channel] = []
    table = np.full((n_rows, 0), np.nan)
    for chunk, chunk_rows in zip(chunks, rows, strict=True):
        own = _sensor_channels(chunk.placement, chunk, system.rate_hz)
        block = np.full((n_rows, len(own)), np.nan)
        block[chunk_rows] = _sensor_values(chunk, own, onset_s)
        channels += own
        table = np.hstack([table, block])
    motion_dir.mkdir(parents=True, exist_ok=True)
    motion = motion_dir / f"{stem}_motion.tsv"
    frame = pd.DataFrame(table)
    write_atomically(
        motion,
        lambda handle: frame.to_csv(
            handle, sep="\t", header=False, index=False, na_rep=MISSING, lineterminator="\n"
        ),
    )
    channels_tsv = motion_dir / f"{stem}_channels.tsv"
    _write_tsv(
        channels_tsv,
        pd.DataFrame(
            {
                "name": [c.name for c in channels],
                "component": [c.component for c in channels],
                "type": [c.type for c in channels],
                "tracked_point": [c.tracked_point for c in channels],
                "units": [c.units for c in channels],
                "placement": [c.placement for c in channels],
                "reference_frame": [c.reference_frame for c in channels],
                "sampling_frequency": [_number(c.sampling_frequency) for c in channels],
                "description": [c.description for c in channels],
            }
        ),
    )
    channels_json = motion_dir / f"{stem}_channels.json"
    _write_json(channels_json, _reference_frames(recording, system))
    sidecar = motion_dir / f"{stem}_motion.json"
    _write_json(sidecar, _motion_sidecar(recording, analysis, system, chunks, channels, onset_s))
    return onset_s, [motion, channels_tsv, channels_json, sidecar]


def _reference_frames(recording: Recording, system: TrackingSystem) -> dict:
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


def _motion_sidecar(
    recording: Recording,
    analysis: SessionAnalysis,
    system: TrackingSystem,
    chunks: list[ImuChunk],
    channels: list[_Channel],
    onset_s: float,
) -> dict:
    infos = [recording.meta.sensors.get(p) for p in system.placements]
    activity = analysis.activity
    task_name, task_text = TASK_TEXT.get(activity, (activity, MISSING))
    counts = {kind: sum(c.type == kind for c in channels) for kind in _COUNTED_TYPES}
    effective = [_median_rate(c.t_s) for c in chunks]
    end_s = max(float(c.t_s.max()) for c in chunks)
    return {
        "TaskName": task_name,
        "TaskDescription": task_text,
        "Instructions": (
            "Stand still in the calibration pose for at least 2 s at the start, then "
            f"perform the task ({task_name})."
        ),
        "TrackingSystemName": system.label,
        "SamplingFrequency": _number(system.rate_hz),
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


def _number(value: float) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() else value


def _write_events(
    analysis: SessionAnalysis, recording: Recording, stem: Path, onset_s: float
) -> list[Path]:
    """``_events.tsv`` (reps, steps, marks; onsets from ``onset_s``) and ``_events.json``."""
    rows = []
    for rep in analysis.reps:
        rows.append(
            {
                "onset": rep.t_start - onset_s,
                "duration": rep.t_end - rep.t_start,
                "trial_type": f"rep_{rep.side}",
                "side": rep.side,
                "thigh_rom_deg": rep.thigh_rom_deg,
                "pelvic_drop_deg": rep.pelvic_drop_deg,
                "pelvic_tilt_range_deg": rep.pelvic_tilt_range_deg,
                "peak_thigh_velocity_dps": rep.peak_thigh_velocity_dps,
                "left_out": rep.left_out,
            }
        )
    for step in analysis.steps:
        rows.append(
            {
                "onset": step.t - onset_s,
                "duration": 0.0,
                "trial_type": f"step_{step.side}",
                "side": step.side,
                "pelvic_drop_deg": step.pelvic_drop_deg,
                "step_time_s": step.step_time_s,
                "left_out": step.left_out,
            }
        )
    for marker in recording.meta.markers:
        rows.append({"onset": marker.t_s - onset_s, "duration": 0.0, "trial_type": marker.label})
    columns = ["onset", "duration", "trial_type", "side", *_EVENT_EXTRAS]
    frame = pd.DataFrame(rows, columns=columns).sort_values("onset", kind="stable")
    frame = frame[[c for c in columns if c in _EVENTS_ALWAYS or frame[c].notna().any()]]
    for name in ("onset", "duration"):
        frame[name] = frame[name].round(LATENCY_DECIMALS)
    for name in ("thigh_rom_deg", "pelvic_drop_deg", "pelvic_tilt_range_deg",
                 "peak_thigh_velocity_dps", "step_time_s"):  # fmt: skip
        if name in frame:
            frame[name] = pd.to_numeric(frame[name]).round(3)
    if "left_out" in frame:
        frame["left_out"] = frame["left_out"].map({True: "true", False: "false"})
    tsv, description = stem.with_suffix(".tsv"), stem.with_suffix(".json")
    _write_tsv(tsv, frame)
    _write_json(description, {k: v for k, v in _EVENTS_DESCRIPTION.items() if k in frame})
    return [tsv, description]


_EVENTS_ALWAYS = ("onset", "duration", "trial_type")
_EVENT_EXTRAS = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "peak_thigh_velocity_dps",
    "step_time_s",
    "left_out",
)
_EVENTS_DESCRIPTION = {
    "onset": {"Description": "Start of the event, from the tracking system's onset.", "Units": "s"},
    "duration": {"Description": "Length of the event (0 for an instant).", "Units": "s"},
    "trial_type": {
        "Description": "What happened.",
        "Levels": {
            "rep_left": "A repetition with the left leg working (for a step-up, leading).",
            "rep_right": "A repetition with the right leg working.",
            "step_left": "Initial contact of the left foot (a gait step).",
            "step_right": "Initial contact of the right foot.",
            "mark": "A moment marked by the operator during the session.",
            "recalibrate": "The subject stood still to have the sensors re-levelled.",
        },
    },
    "side": {
        "Description": "The working leg of a rep, or the foot of a step.",
        "Levels": {"left": "left", "right": "right"},
    },
    "thigh_rom_deg": {
        "Description": "Range of the working thigh's sagittal angle in the rep.",
        "Units": "deg",
    },
    "pelvic_drop_deg": {
        "Description": (
            "Largest drop of the pelvis on the side opposite the working (stance) leg, "
            "relative to standing; positive in the Trendelenburg direction."
        ),
        "Units": "deg",
    },
    "pelvic_tilt_range_deg": {"Description": "Range of pelvic tilt in the rep.", "Units": "deg"},
    "peak_thigh_velocity_dps": {
        "Description": "Peak sagittal angular velocity of the working thigh.",
        "Units": "deg/s",
    },
    "step_time_s": {
        "Description": "Time from the other foot's previous initial contact.",
        "Units": "s",
    },
    "left_out": {
        "Description": (
            "true when too much of the event's data was lost: listed, but left out of "
            "sensorlab's per-side means and symmetry."
        ),
        "Levels": {"true": "left out", "false": "kept"},
    },
}


def _add_scans(
    path: Path,
    recording: Recording,
    motion_dir: Path,
    stems: list[str],
    systems: list[TrackingSystem],
    onsets: dict[str, float],
) -> Path:
    """Add the motion files and their start times to the subject's scans table."""
    started = _parse_started(recording.meta.started_at)
    rows = []
    for stem, system in zip(stems, systems, strict=True):
        when = MISSING
        if started is not None:
            moment = (started + timedelta(seconds=onsets[system.label])).astimezone(UTC)
            when = moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        name = (motion_dir / f"{stem}_motion.tsv").relative_to(path.parent).as_posix()
        rows.append({"filename": name, "acq_time": when})
    frame = pd.DataFrame(rows)
    if path.exists():
        old = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        frame = pd.concat([old[~old["filename"].isin(frame["filename"])], frame])
    _write_tsv(path, frame)
    return path


def _parse_started(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _dataset_description(root: Path) -> dict | None:
    """The dataset's description, or None when ``root`` is not a dataset yet."""
    path = root / "dataset_description.json"
    if not path.exists():
        if root.is_dir() and any(p.name.startswith("sub-") for p in root.iterdir()):
            raise InputError(
                f"{root} has subject folders but no dataset_description.json: is it a BIDS "
                "dataset? Give an empty folder or an existing dataset as --out"
            )
        return None
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(
            f"{path}: cannot read it as JSON ({error}); fix or remove it, or choose another --out"
        ) from None
    if not isinstance(description, dict) or "BIDSVersion" not in description:
        raise InputError(f"{path}: not a BIDS dataset description (no BIDSVersion); check --out")
    return description


def _create_dataset(root: Path) -> list[Path]:
    description = root / "dataset_description.json"
    _write_json(
        description,
        {
            "Name": "sensorlab wearable-IMU sessions",
            "BIDSVersion": BIDS_VERSION,
            "DatasetType": "raw",
            "License": MISSING,
            "GeneratedBy": [
                {
                    "Name": "sensorlab",
                    "Version": __version__,
                    "Description": "sensorlab export-bids",
                }
            ],
        },
    )
    readme = root / "README"
    write_atomically(
        readme,
        lambda handle: handle.write(
            "Wearable-IMU sessions (pelvis and both thighs) exported by sensorlab "
            f"{__version__} (sensorlab export-bids).\n"
            "Each session's motion/ folder holds each sensor's samples as recorded "
            "(acc in m/s^2, gyro in deg/s, per-sensor latency in s), and events: reps and "
            "gait steps with their side and metrics.\n"
            "Fill in the license and authors in dataset_description.json.\n"
        ),
    )
    return [description, readme]


def _add_participant(path: Path, subject: str) -> Path:
    columns = ["participant_id", "species", "age", "sex", "handedness"]
    row = pd.DataFrame(
        [[f"sub-{subject}", "homo sapiens", MISSING, MISSING, MISSING]], columns=columns
    )
    if path.exists():
        old = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        if f"sub-{subject}" in set(old["participant_id"]):
            return path
        row = pd.concat([old, row])
    _write_tsv(path, row.fillna(MISSING))
    return path


def _write_tsv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(
        path,
        lambda handle: frame.to_csv(
            handle, sep="\t", index=False, na_rep=MISSING, lineterminator="\n"
        ),
    )


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, lambda handle: handle.write(text))
