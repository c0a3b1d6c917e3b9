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
channel, and no header. Sensors whose nominal rates agree within 1 % form one tracking
system (``tracksys-imu``); otherwise each rate gets its own (``tracksys-imu100``,
``tracksys-imu60``); see :mod:`sensorlab.io.bids_motion`. Within a tracking system each
row holds at most one sample of each sensor, within half a sample period of the row's
time (:func:`~sensorlab.io.bids_motion.merge_rows`); a sensor with no sample there (a
loss) has ``n/a``. Each sensor has a ``LATENCY`` channel with its own sample's time from
the tracking system's onset, so every value keeps its exact time, and no value is
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab import __version__
from sensorlab.errors import InputError
from sensorlab.io.bids_events import events_table
from sensorlab.io.bids_motion import (
    MISSING,
    Channel,
    TrackingSystem,
    json_number,
    merge_rows,
    motion_sidecar,
    reference_frames,
    sensor_channels,
    sensor_values,
    tracking_systems,
)
from sensorlab.io.bids_spec import BIDS_VERSION, LABEL_PATTERN
from sensorlab.io.writer import write_atomically, write_error
from sensorlab.records import Recording, SessionAnalysis

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
                f"{existing.relative_to(root)} exists in --out: this subject, session and "
                "task are already exported; "
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
        frame, described = events_table(analysis, recording, onsets[first.label])
        events = motion_dir / f"{stems[0]}_events"
        _write_tsv(events.with_suffix(".tsv"), frame)
        _write_json(events.with_suffix(".json"), described)
        written += [events.with_suffix(".tsv"), events.with_suffix(".json")]
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
    """Write the ``_motion``, ``_channels`` (tsv, json) files of one tracking system.

    Returns its onset (its first sample, session seconds) and the files written.
    """
    chunks = [recording.chunks[p] for p in system.placements]
    onset_s = float(min(c.t_s.min() for c in chunks))
    rows, n_rows = merge_rows([c.t_s for c in chunks], 1.0 / system.rate_hz)
    channels: list[Channel] = []
    table = np.full((n_rows, 0), np.nan)
    for chunk, chunk_rows in zip(chunks, rows, strict=True):
        own = sensor_channels(chunk.placement, chunk, system.rate_hz)
        block = np.full((n_rows, len(own)), np.nan)
        block[chunk_rows] = sensor_values(chunk, own, onset_s)
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
                "sampling_frequency": [json_number(c.sampling_frequency) for c in channels],
                "description": [c.description for c in channels],
            }
        ),
    )
    channels_json = motion_dir / f"{stem}_channels.json"
    _write_json(channels_json, reference_frames(recording, system))
    sidecar = motion_dir / f"{stem}_motion.json"
    _write_json(sidecar, motion_sidecar(recording, analysis, system, chunks, channels, onset_s))
    return onset_s, [motion, channels_tsv, channels_json, sidecar]


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
                "--out has subject folders but no dataset_description.json: is it a BIDS "
                "dataset? Give an empty folder or an existing dataset as --out"
            )
        return None
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InputError(
            f"{path.name} in --out: cannot read it as JSON ({error}); fix or remove it, or "
            "choose another --out"
        ) from None
    if not isinstance(description, dict) or "BIDSVersion" not in description:
        raise InputError(
            f"{path.name} in --out: not a BIDS dataset description (no BIDSVersion); check --out"
        )
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
