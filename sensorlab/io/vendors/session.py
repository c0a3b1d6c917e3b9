"""Vendor files of one session -> one :class:`~sensorlab.records.Recording`.

1. each file is read by the reader that recognises it (:func:`~sensorlab.io.vendors.find_reader`);
2. each stream gets its placement (:mod:`.mapping`); a sensor's accelerometer and
   gyroscope files (MetaBase, Movesense) are paired by device and the gyroscope is
   interpolated onto the accelerometer's times (linear, within their overlap);
3. the streams are put on one time axis by device time, not row number: streams on the
   same clock (synced DOTs' ``SampleTimeFine``, MTw packet counters, epoch time) keep
   their offsets, ``t = device_t - earliest start``; streams on unrelated clocks are
   aligned at their first samples, with a warning;
4. losses are counted from each device's counter and reported per file;
5. what a file lacks is derived from the device's orientation
   (:mod:`sensorlab.processing.device_orientation`): angular rate from the quaternion's
   derivative, specific force from free acceleration and the quaternion; what cannot be
   derived is listed in the sidecar's ``unavailable`` (the analysis reports it).

The recording's sidecar (``meta``) says, per sensor, the source file, its format and every
conversion (``extra["import"]``), so a contract CSV written from it tells where it came from.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS
from sensorlab.io.vendors import find_reader, gaitmap, unknown_format_error
from sensorlab.io.vendors.mapping import placement_from_text, read_mapping_file
from sensorlab.io.vendors.stream import VendorStream
from sensorlab.processing.device_orientation import (
    angular_rate_from_orientation,
    specific_force,
    unit_quaternions,
)
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionMeta

WRAP_PERIOD_S = {"dot:SampleTimeFine": 2**32 * 1e-6, "xsens:SampleTimeFine": 2**32 / 1e4}
"""Clocks that wrap, and their period in seconds: files of one session are put within
half a period of each other."""


@dataclass(frozen=True)
class ImportSettings:
    """How to read a set of vendor files.

    Attributes
    ----------
    mapping : dict of str to str
        ``--map`` entries: file path, name or stem, device id or label -> placement.
    mapping_file : Path or None
        A JSON or OpenSense XML mapping (``--mapping``).
    rate_hz : float or None
        Sampling rate for formats without time (gaitmap), Hz.
    """

    mapping: dict[str, str] | None = None
    mapping_file: Path | None = None
    rate_hz: float | None = None


def import_session(
    paths: Sequence[str | os.PathLike], settings: ImportSettings | None = None
) -> Recording:
    """Read vendor files of one session into a recording on one time axis.

    Raises
    ------
    InputError
        A file is missing or in no format read (the message lists those read), a file's
        placement cannot be told (say it with ``--map``), two files claim one placement,
        or a sensor has neither a gyroscope nor an orientation.
    """
    settings = settings or ImportSettings()
    mapping = dict(read_mapping_file(settings.mapping_file)) if settings.mapping_file else {}
    mapping.update(settings.mapping or {})
    streams: list[VendorStream] = []
    for raw in paths:
        path = Path(raw)
        if not path.is_file():
            raise InputError(f"{path.name}: no such file; check the path and the file name")
        reader = find_reader(path)
        if reader is None:
            raise unknown_format_error(path)
        options = {"rate_hz": settings.rate_hz} if reader is gaitmap else {}
        streams.extend(reader.read(path, **options))
    placed = _place(streams, mapping, list(settings.mapping or {}))
    warnings = [w for stream in streams for w in stream.warnings]
    sensors = {placement: _pair(placement, group) for placement, group in placed.items()}
    offsets = _align(sensors, warnings)
    chunks, infos, imported = {}, {}, {}
    unavailable: dict[str, str] = {}
    for placement in sorted(sensors, key=_placement_order):
        stream = sensors[placement]
        chunk, derived = _chunk(placement, stream, offsets[placement], unavailable)
        chunks[placement] = chunk
        loss = _losses(placement, stream, warnings)
        infos[placement] = SensorInfo(
            placement=placement,
            model=stream.format,
            rate_hz=stream.rate_hz or _measured_rate(stream.t_s),
            extra={"device_id": stream.device} if stream.device else {},
        )
        imported[placement] = {
            "file": stream.source.name,
            "format": stream.format,
            "conversions": list(stream.notes),
            "derived": derived,
            **loss,
        }
        if derived:
            warnings.append(f"{stream.source} ({placement}): " + "; ".join(derived))
    extra: dict = {"import": imported}
    if unavailable:
        extra["unavailable"] = unavailable
    names = [Path(p).name for p in paths]
    meta = SessionMeta(sensors=infos, extra=extra, notes="imported from " + ", ".join(names))
    source = names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"
    return Recording(source=source, meta=meta, chunks=chunks, warnings=warnings)


def _placement_order(placement: str) -> tuple[int, str]:
    return (PLACEMENTS.index(placement) if placement in PLACEMENTS else len(PLACEMENTS), placement)


def _keys(stream: VendorStream) -> list[str]:
    keys = [str(stream.source), stream.source.name, stream.source.stem]
    keys += [k for k in (stream.device, stream.label, stream.source.parent.name) if k]
    return [k.lower() for k in keys]


def _place(
    streams: list[VendorStream], mapping: dict[str, str], strict: list[str]
) -> dict[str, list]:
    """Each stream's placement (see :mod:`.mapping`), grouped.

    ``strict``: the ``--map`` keys, each of which must match something (a typo otherwise); a mapping
    file may name more sensors than are read (OpenSense maps every sensor of a trial).
    """
    lowered = {key.lower(): value for key, value in mapping.items()}
    used: set[str] = set()
    placed: dict[str, list[VendorStream]] = {}
    for stream in streams:
        placement = next((lowered[k] for k in _keys(stream) if k in lowered), None)
        if placement is not None:
            used.update(k for k in _keys(stream) if k in lowered)
        for hint in (stream.label, stream.device, stream.source.stem, stream.source.parent.name):
            if placement is None and hint:
                placement = placement_from_text(hint)
        if placement is None:
            what = f"sensor {stream.device!r} in " if stream.device else ""
            raise InputError(
                f"{stream.source}: cannot tell where {what}this file's sensor was worn (no "
                "placement word in its name, device tag or label); say it with --map "
                f"{stream.source.name}=pelvis (or left_thigh, right_thigh)"
                + (f" or --map {stream.device}=pelvis" if stream.device else "")
                + ", or a mapping file (--mapping, e.g. OpenSense's myIMUMappings.xml)"
            )
        placed.setdefault(placement, []).append(stream)
    unused = [key for key in strict if key.lower() not in used]
    if unused:
        raise InputError(
            f"--map {', '.join(unused)}: matches no file, device or label of the files given; "
            "use a file name, file stem or device id"
        )
    return placed


def _pair(placement: str, group: list[VendorStream]) -> VendorStream:
    """One stream per placement: a file per signal (acc, gyro) of one device is merged."""
    if len(group) == 1:
        return group[0]
    signals = sorted(s.signal or "" for s in group)
    devices = {s.device for s in group}
    if signals != ["acc", "gyr"] or len(devices) != 1:
        files = ", ".join(str(s.source) for s in group)
        raise InputError(
            f"{len(group)} files (or sensors) are taken as {placement}: {files}; say which is "
            f"which with --map FILE=PLACEMENT (one accelerometer and one gyroscope file of one "
            "device may share a placement)"
        )
    acc = next(s for s in group if s.signal == "acc")
    gyr = next(s for s in group if s.signal == "gyr")
    if acc.clock != gyr.clock:
        raise InputError(f"{acc.source} and {gyr.source}: not on one clock; cannot pair them")
    inside = (acc.t_s >= gyr.t_s[0]) & (acc.t_s <= gyr.t_s[-1])
    if inside.sum() < 2:
        raise InputError(
            f"{acc.source} and {gyr.source}: the accelerometer and gyroscope files of "
            f"{placement} do not overlap in time; were they recorded together?"
        )
    t = acc.t_s[inside]
    acc_m_s2, gyr_rad_s = acc.acc_m_s2, gyr.gyr_rad_s
    assert acc_m_s2 is not None and gyr_rad_s is not None  # what "acc" and "gyr" streams carry
    rates = np.column_stack([np.interp(t, gyr.t_s, gyr_rad_s[:, k]) for k in range(3)])
    return replace(
        acc,
        t_s=t,
        acc_m_s2=acc_m_s2[inside],
        gyr_rad_s=rates,
        notes=(
            *acc.notes,
            *gyr.notes,
            f"gyro: {gyr.source.name} interpolated (linear) onto {acc.source.name}'s times",
        ),
        signal=None,
    )


def _align(sensors: dict[str, VendorStream], warnings: list[str]) -> dict[str, float]:
    """Per placement, the device time that is session time 0 (see the module notes)."""
    clocks = {stream.clock for stream in sensors.values()}
    if len(clocks) == 1 and not next(iter(clocks)).startswith("own:"):
        clock = next(iter(clocks))
        period = WRAP_PERIOD_S.get(clock)
        starts = {p: float(s.t_s[0]) for p, s in sensors.items()}
        if period is not None:
            reference = next(iter(starts.values()))
            for placement, start in starts.items():
                turns = round((start - reference) / period)
                if turns:
                    sensors[placement] = replace(
                        sensors[placement], t_s=sensors[placement].t_s - turns * period
                    )
                    starts[placement] = start - turns * period
        zero = min(starts.values())
        return dict.fromkeys(sensors, zero)
    if len(sensors) > 1:
        described = ", ".join(f"{p} ({s.source.name}: {s.clock})" for p, s in sensors.items())
        warnings.append(
            f"the sensors are on clocks that nothing in the files relates ({described}): "
            "aligned at their first samples; if they did not start together, the timing "
            "between sensors is off by that much"
        )
    return {p: float(s.t_s[0]) for p, s in sensors.items()}


def _chunk(
    placement: str, stream: VendorStream, zero_s: float, unavailable: dict[str, str]
) -> tuple[ImuChunk, list[str]]:
    """The contract chunk of one sensor: SI signals, what had to be derived, and why."""
    derived = []
    orientation = None
    if stream.quat_wxyz is not None:
        try:
            orientation = unit_quaternions(stream.quat_wxyz)
        except ValueError:
            raise InputError(
                f"{stream.source}: a quaternion row is zero or empty; the orientation columns "
                "are unusable"
            ) from None
    gyr = stream.gyr_rad_s
    if gyr is None:
        if orientation is None:
            raise InputError(
                f"{stream.source} ({placement}): no gyroscope and no orientation; sensorlab "
                "follows a segment's rotation with one of them. Export the gyroscope (or the "
                "device's orientation) too"
            )
        gyr = angular_rate_from_orientation(stream.t_s, orientation)
        derived.append("angular rate derived from the device's orientation (no gyroscope)")
    acc = stream.acc_m_s2
    if acc is None:
        if orientation is None:
            raise InputError(
                f"{stream.source} ({placement}): no accelerometer and no orientation; "
                "sensorlab needs gravity's direction from one of them"
            )
        acc = specific_force(orientation, stream.free_acc_m_s2)
        if stream.free_acc_m_s2 is not None:
            derived.append("specific force = R^T (free acceleration + g), from the device")
        else:
            derived.append("acceleration is gravity alone (the file has orientation only)")
            if placement == "pelvis":
                reason = (
                    f"needs the pelvis acceleration ({stream.source.name} has orientation only)"
                )
                unavailable["gait_steps"] = reason
    extra = {}
    if stream.quat_wxyz is not None:
        for k, axis in enumerate("wxyz"):
            extra[f"quat_{axis}"] = stream.quat_wxyz[:, k]
    chunk = ImuChunk(
        placement=placement,
        t_s=stream.t_s - zero_s,
        acc_m_s2=np.ascontiguousarray(acc, dtype=float),
        gyr_rad_s=np.ascontiguousarray(gyr, dtype=float),
        seq=stream.seq,
        device_t_s=stream.t_s,
        extra=extra,
    )
    return chunk, derived


def _losses(placement: str, stream: VendorStream, warnings: list[str]) -> dict:
    """Packets lost according to the device counter, reported per file."""
    if stream.seq is None or len(stream) < 2:
        return {}
    expected = int(stream.seq[-1] - stream.seq[0] + 1)
    lost = expected - len(stream)
    if lost > 0:
        gaps = np.diff(stream.seq)
        warnings.append(
            f"{stream.source} ({placement}): {lost} of {expected} packets lost "
            f"({100.0 * lost / expected:.1f} %, from its packet counter; {int(np.sum(gaps > 1))} "
            f"gaps, the longest {int(gaps.max()) - 1} packets); the samples kept are placed "
            "by device time, the gaps stay gaps"
        )
    return {"packets_expected": expected, "packets_lost": max(lost, 0)}


def _measured_rate(t_s: np.ndarray) -> float | None:
    steps = np.diff(t_s)
    steps = steps[steps > 0]
    return float(1.0 / np.median(steps)) if steps.size else None
