"""One analysed session as the catalogue and the cohort table see it.

Who, when, the
per-side means and symmetry indices, quality and warnings, taken from ``summary.json``.

No raw data: only the numbers a summary already shows, plus a hash of the recording file
so that a re-analysis of the same recording is known as such.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sensorlab.records import SessionMeta
from sensorlab.summary.metrics import SIDES, STEP_METRICS, STEP_UP_METRICS

ALL_METRICS: tuple[str, ...] = tuple(
    dict.fromkeys(info.key for info in (*STEP_UP_METRICS, *STEP_METRICS))
)
"""Every per-side metric a summary can hold, rep metrics first (pelvic drop first)."""

KEY_METRICS: tuple[str, ...] = ("pelvic_drop_deg", "thigh_rom_deg", "step_time_s")
"""The asymmetries followed across sessions: pelvic drop (reps and walks), thigh range
(step-ups) and step time (walks)."""

_HASH_BLOCK_BYTES = 2**20


@dataclass(frozen=True)
class SessionOrigin:
    """Where a session came from, beyond what its summary says.

    Attributes
    ----------
    subject : str or None
        Anonymous subject id (the sidecar's ``subject``, or given on the command line).
    date : str or None
        When the session took place, ISO 8601 (the sidecar's ``date``, else its
        ``started_at``).
    recording : Path or None
        The recording file analysed; ``None`` for a live session from sensors.
    input_sha256 : str or None
        SHA-256 of the recording file's bytes (hex); ``None`` without a file. The sidecar
        is not hashed, so correcting a sidecar and re-analysing updates the same entry.
    """

    subject: str | None = None
    date: str | None = None
    recording: Path | None = None
    input_sha256: str | None = None


def file_sha256(*paths: Path) -> str:
    """SHA-256 of the files' bytes one after the other, hex, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as handle:
            while block := handle.read(_HASH_BLOCK_BYTES):
                digest.update(block)
    return digest.hexdigest()


def session_origin(
    meta: SessionMeta,
    recording: Path | Sequence[Path] | None = None,
    subject: str | None = None,
) -> SessionOrigin:
    """The :class:`SessionOrigin` of a session read from ``recording`` with sidecar ``meta``.

    ``recording`` may be several files (a vendor export, one file per sensor): the hash
    covers all of them in the order given, and the first is the one named.
    ``subject`` (from the command line) wins over the sidecar's. The date is the sidecar's
    ``date`` when it has one (text), else its ``started_at``.
    """
    files = (
        [] if recording is None else [recording] if isinstance(recording, Path) else list(recording)
    )
    return SessionOrigin(
        subject=subject or meta.subject,
        date=meta.date or meta.started_at,
        recording=files[0] if files else None,
        input_sha256=file_sha256(*files) if files else None,
    )


@dataclass(frozen=True)
class MetricSides:
    """One per-side metric of a session: the side means and their symmetry index.

    ``left``/``right`` are in the metric's unit (its name's suffix); ``si_pct`` is the
    Robinson index in percent, positive when the right side is larger; ``left_n`` and
    ``right_n`` count the values behind each mean. Missing values are ``None``.
    """

    left: float | None
    right: float | None
    si_pct: float | None
    left_n: int | None
    right_n: int | None


@dataclass(frozen=True)
class SessionEntry:
    """The catalogue's (and the cohort table's) view of one analysed session.

    Attributes
    ----------
    source : str
        File name of the recording (``summary.json``'s ``source``).
    subject, date : str or None
        From :class:`SessionOrigin`.
    activity, activity_basis : str or None
        As in ``summary.json``.
    duration_s : float or None
        Session length, seconds.
    left_count, right_count : int
        Reps per working side (rep sessions) or steps per foot (walks).
    left_out : int
        Reps or steps left out of the means for lost data.
    metrics : dict of str to MetricSides
        Per metric key (``pelvic_drop_deg``...), in :data:`ALL_METRICS` order, then a
        standing drill's own (``depth_deg``...) in the summary's order.
    min_calibration_quality : float or None
        Worst sensor's calibration quality, 0-1.
    max_missing_pct : float or None
        Worst sensor's share of missing samples, percent.
    findings_withheld : tuple of str
        Why no finding is stated (empty when findings stand).
    warnings : tuple of str
        The summary's warnings.
    input_sha256 : str or None
        From :class:`SessionOrigin`.
    """

    source: str
    subject: str | None
    date: str | None
    activity: str | None
    activity_basis: str | None
    duration_s: float | None
    left_count: int
    right_count: int
    left_out: int
    metrics: dict[str, MetricSides]
    min_calibration_quality: float | None
    max_missing_pct: float | None
    findings_withheld: tuple[str, ...]
    warnings: tuple[str, ...]
    input_sha256: str | None


def session_entry(summary: dict, origin: SessionOrigin) -> SessionEntry:
    """Build the :class:`SessionEntry` of a ``summary.json`` dict (sensorlab-summary v1)."""
    sides = summary.get("sides") or {}
    gait = summary.get("gait")
    counts = {}
    for side in SIDES:
        side_stats = sides.get(side) or {}
        counts[side] = int(side_stats.get("steps" if gait else "reps") or 0)
    metrics = {}
    symmetry = summary.get("symmetry") or {}
    own = [key for key in symmetry if key not in ALL_METRICS]  # a standing drill's
    for key in (*ALL_METRICS, *own):
        pair = symmetry.get(key)
        if pair is None:
            continue
        metrics[key] = MetricSides(
            left=pair.get("left"),
            right=pair.get("right"),
            si_pct=pair.get("si_pct"),
            left_n=((sides.get("left") or {}).get(key) or {}).get("n"),
            right_n=((sides.get("right") or {}).get(key) or {}).get("n"),
        )
    quality = summary.get("quality") or {}
    calibration = [
        q["calibration_quality"] for q in quality.values() if _number(q, "calibration_quality")
    ]
    missing = [q["missing_pct"] for q in quality.values() if _number(q, "missing_pct")]
    return SessionEntry(
        source=str(summary.get("source") or ""),
        subject=origin.subject,
        date=origin.date,
        activity=summary.get("activity"),
        activity_basis=summary.get("activity_basis"),
        duration_s=summary.get("duration_s"),
        left_count=counts["left"],
        right_count=counts["right"],
        left_out=int(summary.get("left_out") or 0),
        metrics=metrics,
        min_calibration_quality=min(calibration) if calibration else None,
        max_missing_pct=max(missing) if missing else None,
        findings_withheld=tuple(summary.get("findings_withheld") or ()),
        warnings=tuple(summary.get("warnings") or ()),
        input_sha256=origin.input_sha256,
    )


def _number(quality: dict, key: str) -> bool:
    value = quality.get(key)
    return isinstance(value, int | float) and not isinstance(value, bool)
