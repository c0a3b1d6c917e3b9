"""The recording sidecar ``NAME.json``: parse and check it, and turn it back into JSON.

Every problem is an :class:`~sensorlab.errors.InputError` naming the file, the line (when it
can be found) and the field as a dotted path (``sensors.pelvis.rate_hz``), with the fix.
Fields the contract does not define are kept in the ``extra`` dicts of
:class:`~sensorlab.records.SessionMeta` and :class:`~sensorlab.records.SensorInfo`.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from sensorlab.errors import InputError
from sensorlab.frames import DIRECTIONS, MountError, mount_matrix
from sensorlab.records import Marker, SensorInfo, SessionMeta

FORMAT_NAME = "sensorlab-recording"
FORMAT_VERSION = 1

_TEXT_FIELDS = ("started_at", "activity", "subject", "date", "notes")
_SENSOR_FIELDS = ("model", "address", "rate_hz", "mount")
MAX_SIDECAR_BYTES = 16 * 2**20
"""Largest sidecar read, bytes (one with thousands of marks is under 1 MiB): a bigger file
is refused before it is read into memory."""
_CALIBRATION_FIELDS = ("static_start_s", "static_end_s")
_EXAMPLE_MOUNT = '{"x": "up", "y": "left", "z": "backward"}'


class _Where:
    """Names a place in the sidecar: ``file:line (field.path)``."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def __call__(self, *keys: str) -> str:
        line = _line_of(self.text, keys)
        dotted = ".".join(keys)
        location = f"{self.path.name}:{line}" if line else self.path.name
        return f"{location} ({dotted})" if dotted else location


def _line_of(text: str, keys: tuple[str, ...]) -> int | None:
    """Best-effort 1-based line of the last key of a path, found key by key in order."""
    position = 0
    found = None
    for key in keys:
        match = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, position)
        if match is None:
            return found
        position = match.end()
        found = text.count("\n", 0, match.start()) + 1
    return found


def read_sidecar(path: Path) -> tuple[SessionMeta, list[str]]:
    """Read and check a recording sidecar.

    Parameters
    ----------
    path : Path
        The ``NAME.json`` file.

    Returns
    -------
    meta : SessionMeta
        Its contents; ``calibration`` becomes ``calibration_span_s`` (seconds).
    warnings : list of str
        Remarks that leave the sidecar usable (e.g. a newer format version).

    Raises
    ------
    InputError
        On invalid JSON (with line and column), a wrong type, or a mount that is not a
        right-handed mapping of axes to anatomical directions.
    """
    try:
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise InputError(
                f"{path.name}: {size} bytes is not a sidecar (they are a few kB, at most "
                f"{MAX_SIDECAR_BYTES // 2**20} MiB); check that the file next to the CSV is the "
                "recording's JSON sidecar, or give the right one"
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path.name}: not UTF-8 text ({exc.reason}); save the sidecar as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the sidecar ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}; fix the JSON there "
            "(a missing comma or quote, or a trailing comma before } or ], is the usual cause)"
        ) from None
    return parse_sidecar(data, path, text)


def parse_sidecar(data: Any, path: Path, text: str = "") -> tuple[SessionMeta, list[str]]:
    """Check decoded sidecar JSON and build a :class:`SessionMeta` (see :func:`read_sidecar`)."""
    where = _Where(path, text)
    warnings: list[str] = []
    if not isinstance(data, dict):
        raise InputError(
            f"{path.name}:1: the sidecar must be a JSON object {{...}}, not a {_json_type(data)}; "
            f'start from {{"format": "{FORMAT_NAME}", "version": 1, "sensors": {{...}}}}'
        )
    fmt = data.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise InputError(
            f'{where("format")}: format is {fmt!r}, not "{FORMAT_NAME}"; is this the '
            "recording's sidecar? Pass the right file or fix the format field"
        )
    version = data.get("version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputError(f'{where("version")}: version must be an integer, e.g. "version": 1')
    if version > FORMAT_VERSION:
        warnings.append(
            f"{where('version')}: sidecar version {version} is newer than the version "
            f"{FORMAT_VERSION} this sensorlab knows; read as version {FORMAT_VERSION}, fields it "
            "does not know are kept unchanged; update sensorlab if something is missing"
        )
    texts = {name: _optional_text(data, name, where) for name in _TEXT_FIELDS}
    sensors = _parse_sensors(data.get("sensors"), where)
    span, calibration_extra = _parse_calibration(data.get("calibration"), where)
    markers = _parse_markers(data.get("events"), where)
    extra = {
        k: v
        for k, v in data.items()
        if k not in {"format", "version", "sensors", "calibration", "events", *_TEXT_FIELDS}
    }
    if calibration_extra:
        extra["calibration"] = calibration_extra
    meta = SessionMeta(
        activity=texts["activity"],
        sensors=sensors,
        calibration_span_s=span,
        started_at=texts["started_at"],
        subject=texts["subject"],
        date=texts["date"],
        notes=texts["notes"],
        markers=markers,
        extra=extra,
    )
    return meta, warnings


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "number" if isinstance(value, int | float) else type(value).__name__


def _optional_text(data: dict, key: str, where: _Where, *parents: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError(
        f"{where(*parents, key)}: must be text in quotes (or null), not a {_json_type(value)} "
        f'({json.dumps(value)}); write it as "{key}": "..."'
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_sensors(value: Any, where: _Where) -> dict[str, SensorInfo]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError(
            f"{where('sensors')}: must be an object mapping placement names to sensor "
            f'objects, not a {_json_type(value)}; e.g. "sensors": {{"pelvis": {{"rate_hz": 100, '
            f'"mount": {_EXAMPLE_MOUNT}}}}}'
        )
    sensors = {}
    for placement, entry in value.items():
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            raise InputError(
                f"{where('sensors', placement)}: must be an object like "
                f'{{"rate_hz": 100, "mount": {_EXAMPLE_MOUNT}}}, not a {_json_type(entry)}'
            )
        rate = entry.get("rate_hz")
        if rate is not None and not (_is_number(rate) and rate > 0):
            raise InputError(
                f"{where('sensors', placement, 'rate_hz')}: sensor {placement!r}: rate_hz must "
                f'be a positive number in Hz, not {json.dumps(rate)}; e.g. "rate_hz": 100'
            )
        sensors[placement] = SensorInfo(
            placement=placement,
            model=_optional_text(entry, "model", where, "sensors", placement),
            address=_optional_text(entry, "address", where, "sensors", placement),
            rate_hz=None if rate is None else float(rate),
            mount=_parse_mount(entry.get("mount"), placement, where),
            extra={k: v for k, v in entry.items() if k not in _SENSOR_FIELDS},
        )
    return sensors


def _parse_mount(value: Any, placement: str, where: _Where) -> dict[str, str] | None:
    if value is None:
        return None
    here = where("sensors", placement, "mount")
    fix = (
        f"give each sensor axis the anatomical direction it points to in the standing pose, "
        f'as a right-handed frame (forward x left = up), e.g. "mount": {_EXAMPLE_MOUNT}; '
        f"directions: {', '.join(DIRECTIONS)}"
    )
    if not isinstance(value, dict):
        raise InputError(
            f"{here}: sensor {placement!r}: mount must be an object, not a "
            f"{_json_type(value)}; {fix}"
        )
    unknown = [key for key in value if key not in ("x", "y", "z")]
    if unknown:
        raise InputError(
            f"{here}: sensor {placement!r}: mount has keys {unknown}, but only x, y and z "
            f"are axes; {fix}"
        )
    for axis, direction in value.items():
        if not isinstance(direction, str):
            raise InputError(
                f"{here}: sensor {placement!r}: mount axis {axis} must be a direction name, "
                f"not {json.dumps(direction)}; {fix}"
            )
    try:
        mount_matrix(value)
    except MountError as exc:
        raise InputError(f"{here}: sensor {placement!r}: {exc}. Fix: {fix}") from None
    return {axis: value[axis].strip().lower() for axis in ("x", "y", "z")}


def _parse_calibration(value: Any, where: _Where) -> tuple[tuple[float, float] | None, dict]:
    if value is None:
        return None, {}
    example = '"calibration": {"static_start_s": 0.0, "static_end_s": 3.0}'
    if not isinstance(value, dict):
        raise InputError(
            f"{where('calibration')}: must be an object, not a {_json_type(value)}; e.g. {example}"
        )
    for key in _CALIBRATION_FIELDS:
        if not _is_number(value.get(key)):
            got = "missing" if key not in value else f"not a number ({json.dumps(value[key])})"
            raise InputError(
                f"{where('calibration', key)}: calibration.{key} is {got}; the quiet-standing "
                f"span needs both ends in seconds since session start, e.g. {example}"
            )
    start, end = float(value["static_start_s"]), float(value["static_end_s"])
    if not 0 <= start < end:
        raise InputError(
            f"{where('calibration')}: calibration span {start} s to {end} s is empty or "
            f"negative; give static_start_s < static_end_s (seconds), e.g. {example}"
        )
    extra = {k: v for k, v in value.items() if k not in _CALIBRATION_FIELDS}
    return (start, end), extra


def _parse_markers(value: Any, where: _Where) -> tuple[Marker, ...]:
    """The ``events`` list (a sensorlab extension): ``[{"t_s": 12.5, "label": "mark"}]``."""
    if value is None:
        return ()
    example = '"events": [{"t_s": 12.5, "label": "mark"}]'
    if not isinstance(value, list):
        raise InputError(
            f"{where('events')}: events must be a list, not a {_json_type(value)}; e.g. {example}"
        )
    markers = []
    for number, item in enumerate(value, start=1):
        if not (isinstance(item, dict) and _is_number(item.get("t_s"))):
            raise InputError(
                f"{where('events')}: event {number} needs a number t_s (seconds since session "
                f"start), got {json.dumps(item)}; e.g. {example}"
            )
        label = item.get("label", "mark")
        if not isinstance(label, str):
            raise InputError(
                f"{where('events')}: event {number}'s label must be text, got {json.dumps(label)}"
            )
        markers.append(Marker(float(item["t_s"]), label))
    return tuple(sorted(markers, key=lambda marker: marker.t_s))


def sidecar_dict(meta: SessionMeta) -> dict:
    """The sidecar JSON object for ``meta`` (the inverse of :func:`parse_sidecar`).

    Fields that are ``None`` are left out; ``extra`` fields are written back unchanged.
    """
    out: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    for key in ("started_at", "activity", "subject", "date"):
        if getattr(meta, key) is not None:
            out[key] = getattr(meta, key)
    if meta.sensors:
        out["sensors"] = {name: _sensor_dict(info) for name, info in meta.sensors.items()}
    extra = dict(meta.extra)
    calibration_extra = extra.pop("calibration", None)
    if meta.calibration_span_s is not None:
        start, end = meta.calibration_span_s
        out["calibration"] = {"static_start_s": float(start), "static_end_s": float(end)}
        if isinstance(calibration_extra, dict):
            out["calibration"].update(calibration_extra)
    if meta.notes is not None:
        out["notes"] = meta.notes
    if meta.markers:
        out["events"] = [{"t_s": round(m.t_s, 3), "label": m.label} for m in meta.markers]
    out.update(extra)
    return out


def _sensor_dict(info: SensorInfo) -> dict:
    out: dict[str, Any] = {}
    if info.model is not None:
        out["model"] = info.model
    if info.address is not None:
        out["address"] = info.address
    if info.rate_hz is not None:
        rate = float(info.rate_hz)
        out["rate_hz"] = int(rate) if rate.is_integer() else rate
    if info.mount is not None:
        out["mount"] = dict(info.mount)
    out.update(info.extra)
    return out
