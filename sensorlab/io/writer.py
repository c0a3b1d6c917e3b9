"""Write a recording as contract CSV plus its sidecar (see :func:`write_recording`)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sensorlab.io.sidecar import sidecar_dict
from sensorlab.records import ImuChunk, Recording

ACC_COLUMNS = ("acc_x", "acc_y", "acc_z")
GYR_COLUMNS = ("gyr_x", "gyr_y", "gyr_z")
T_DECIMALS = 6
ACC_DECIMALS = 5
GYR_DECIMALS = 4
"""Decimals written: t to 1 us, acc to 1e-5 m/s^2, gyro to 1e-4 deg/s."""


def write_recording(recording: Recording, csv_path: str | os.PathLike) -> None:
    """Write a recording as contract CSV plus its sidecar (``NAME.json`` next to it).

    Rows are interleaved by time across sensors (stable: each sensor keeps its own order,
    and at equal times sensors follow ``recording.chunks``). Columns: the required ones,
    then ``seq`` and ``device_t`` if any sensor has them, then the extras. Numbers carry
    enough decimals to round-trip what the reader needs: t to 1 us, acc to 1e-5 m/s^2,
    gyro to 1e-4 deg/s (converted from rad/s); extras are written exactly. Both files are
    written to a temporary file first and renamed into place, so a reader never sees a
    half-written file.

    Parameters
    ----------
    recording : Recording
        What to write; ``recording.meta`` becomes the sidecar.
    csv_path : path-like
        Destination ``NAME.csv``; the sidecar goes to ``NAME.json``.
    """
    path = Path(csv_path)
    chunks = list(recording.chunks.values())
    header, formats, columns = _write_columns(chunks)
    order = _interleave(chunks)
    template = ",".join(formats) + "\n"
    values = [np.asarray(col)[order].tolist() for col in columns]

    def write_csv(handle) -> None:
        handle.write(",".join(header) + "\n")
        step = 200_000
        for start in range(0, len(order), step):
            rows = zip(*(v[start : start + step] for v in values), strict=True)
            handle.write("".join([template % row for row in rows]))

    sidecar = json.dumps(sidecar_dict(recording.meta), indent=2, ensure_ascii=False) + "\n"
    _write_atomically(path.with_suffix(".json"), lambda handle: handle.write(sidecar))
    _write_atomically(path, write_csv)


def _interleave(chunks: list[ImuChunk]) -> np.ndarray:
    """Row order: by time, keeping each sensor's own order (merge on its running max)."""
    keys = [np.maximum.accumulate(c.t_s) if len(c) else c.t_s for c in chunks]
    if not keys:
        return np.zeros(0, dtype=np.int64)
    return np.argsort(np.concatenate(keys), kind="stable")


def _write_columns(chunks: list[ImuChunk]) -> tuple[list[str], list[str], list]:
    """Header names, %-formats and per-row value arrays (all sensors concatenated)."""
    header = ["t", "sensor", *ACC_COLUMNS, *GYR_COLUMNS]
    formats = [f"%.{T_DECIMALS}f", "%s"] + [f"%.{ACC_DECIMALS}f"] * 3 + [f"%.{GYR_DECIMALS}f"] * 3
    t = _concat([c.t_s for c in chunks])
    names = _concat([np.full(len(c), _format_extra(c.placement), dtype=object) for c in chunks])
    acc = _concat([c.acc_m_s2.reshape(-1, 3) for c in chunks]).reshape(-1, 3)
    gyr = np.rad2deg(_concat([c.gyr_rad_s.reshape(-1, 3) for c in chunks]).reshape(-1, 3))
    columns: list = [t, names, *acc.T, *gyr.T]
    if any(c.seq is not None for c in chunks):
        header.append("seq")
        formats.append("%s")
        columns.append(_text_column(chunks, lambda c: c.seq, str))
    if any(c.device_t_s is not None for c in chunks):
        header.append("device_t")
        formats.append("%s")
        columns.append(_text_column(chunks, lambda c: c.device_t_s, f"{{:.{T_DECIMALS}f}}".format))
    extra_names = list(dict.fromkeys(name for c in chunks for name in c.extra))
    for name in extra_names:
        header.append(name)
        formats.append("%s")
        columns.append(_text_column(chunks, lambda c, n=name: c.extra.get(n), _format_extra))
    return header, formats, columns


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _text_column(
    chunks: list[ImuChunk], get: Callable[[ImuChunk], np.ndarray | None], fmt: Callable
) -> np.ndarray:
    parts = []
    for chunk in chunks:
        values = get(chunk)
        if values is None:
            parts.append(np.full(len(chunk), "", dtype=object))
            continue
        parts.append(np.array([_cell(v, fmt) for v in np.asarray(values).tolist()], dtype=object))
    return _concat(parts)


def _cell(value, fmt: Callable) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "" if value is None or np.isnan(value) else repr(value)
    return fmt(value)


def _format_extra(value) -> str:
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


def _write_atomically(path: Path, write: Callable) -> None:
    """Write through a temporary file in the same folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
