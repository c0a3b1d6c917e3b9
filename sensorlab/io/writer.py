"""Write a recording as contract CSV plus its sidecar (see :func:`write_recording`)."""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensorlab.errors import InputError
from sensorlab.io.sidecar import sidecar_dict
from sensorlab.records import ImuChunk, Recording, SessionMeta

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
    row_format = RowFormat.for_chunks(chunks)
    order = _interleave(chunks)

    def write_csv(handle) -> None:
        handle.write(row_format.header_line())
        for text in row_format.lines(chunks, order):
            handle.write(text)

    write_atomically(
        path.with_suffix(".json"), lambda handle: handle.write(sidecar_text(recording.meta))
    )
    write_atomically(path, write_csv)


def sidecar_text(meta: SessionMeta) -> str:
    """The sidecar file's text for ``meta``: indented JSON, UTF-8 as is, a final line end."""
    return json.dumps(sidecar_dict(meta), indent=2, ensure_ascii=False) + "\n"


def _interleave(chunks: list[ImuChunk]) -> np.ndarray:
    """Row order: by time, keeping each sensor's own order (merge on its running max)."""
    keys = [np.maximum.accumulate(c.t_s) if len(c) else c.t_s for c in chunks]
    if not keys:
        return np.zeros(0, dtype=np.int64)
    return np.argsort(np.concatenate(keys), kind="stable")


@dataclass(frozen=True)
class RowFormat:
    """The columns of a recording CSV and how rows of samples are written to it.

    The one implementation of the contract's row format, shared by :func:`write_recording`
    and the streaming :class:`~sensorlab.io.recorder.Recorder`. Columns: the required
    ``t, sensor, acc_x..z, gyr_x..z``, then the ``optional`` ones in the given order:
    ``seq`` and ``device_t`` from the ImuChunk fields, any other name from
    ``ImuChunk.extra``. t and ``device_t`` are written in seconds with :data:`T_DECIMALS`
    decimals, acc in m/s^2 with :data:`ACC_DECIMALS`, gyro in deg/s (converted from rad/s)
    with :data:`GYR_DECIMALS`; ``seq`` as an integer and extras exactly (text quoted when it
    needs it). A chunk that lacks a column gets empty cells in it; extras a chunk has beyond
    ``optional`` are not written.

    Attributes
    ----------
    optional : tuple of str
        The columns after the required ones, in file order.
    """

    optional: tuple[str, ...] = ()

    @classmethod
    def for_chunks(cls, chunks: Iterable[ImuChunk]) -> RowFormat:
        """The batch writer's optional columns, in order.

        ``seq``, ``device_t`` if any chunk has them, then every extra any chunk has, in order of
        first appearance.
        """
        chunks = list(chunks)
        names = ["seq"] * any(c.seq is not None for c in chunks)
        names += ["device_t"] * any(c.device_t_s is not None for c in chunks)
        names += dict.fromkeys(name for c in chunks for name in c.extra)
        return cls(tuple(names))

    @property
    def header(self) -> list[str]:
        """Column names, in file order."""
        return ["t", "sensor", *ACC_COLUMNS, *GYR_COLUMNS, *self.optional]

    def header_line(self) -> str:
        """The header row, with its line end."""
        return ",".join(self.header) + "\n"

    def lines(
        self, chunks: list[ImuChunk], order: np.ndarray | None = None, step: int = 200_000
    ) -> Iterator[str]:
        r"""Rows of ``chunks`` as text, complete lines only, in pieces of up to ``step`` rows.

        Parameters
        ----------
        chunks : list of ImuChunk
            The samples; rows are numbered through the chunks one after the other.
        order : ndarray of int, optional
            Which rows to write in which order (indices into that numbering); all rows in
            chunk order when not given.
        step : int
            Rows per yielded piece (bounds the memory the text takes).

        Yields
        ------
        str
            One or more complete lines, each ending in ``"\n"``.
        """
        template, columns = self._columns(chunks)
        if order is None:
            order = np.arange(sum(len(c) for c in chunks))
        values = [np.asarray(col)[order].tolist() for col in columns]
        for start in range(0, len(order), step):
            rows = zip(*(v[start : start + step] for v in values), strict=True)
            yield "".join([template % row for row in rows])

    def _columns(self, chunks: list[ImuChunk]) -> tuple[str, list]:
        """The row %-template and per-row value arrays (all chunks concatenated)."""
        formats = (
            [f"%.{T_DECIMALS}f", "%s"] + [f"%.{ACC_DECIMALS}f"] * 3 + [f"%.{GYR_DECIMALS}f"] * 3
        )
        t = _concat([c.t_s for c in chunks])
        names = _concat([np.full(len(c), _format_extra(c.placement), dtype=object) for c in chunks])
        acc = _concat([c.acc_m_s2.reshape(-1, 3) for c in chunks]).reshape(-1, 3)
        gyr = np.rad2deg(_concat([c.gyr_rad_s.reshape(-1, 3) for c in chunks]).reshape(-1, 3))
        columns: list = [t, names, *acc.T, *gyr.T]
        for name in self.optional:
            formats.append("%s")
            if name == "seq":
                columns.append(_text_column(chunks, lambda c: c.seq, str))
            elif name == "device_t":
                fixed = f"{{:.{T_DECIMALS}f}}".format
                columns.append(_text_column(chunks, lambda c: c.device_t_s, fixed))
            else:
                columns.append(_text_column(chunks, _extra_getter(name), _format_extra))
        return ",".join(formats) + "\n", columns


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _extra_getter(name: str) -> Callable[[ImuChunk], np.ndarray | None]:
    """The ``name`` column of a chunk's extra columns, or None where the chunk lacks it."""

    def get(chunk: ImuChunk) -> np.ndarray | None:
        return chunk.extra.get(name)

    return get


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


def write_atomically(path: Path, write: Callable) -> None:
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


_WRITE_FIXES = {
    errno.ENOSPC: "the disk is full: free some space or choose a folder on another disk",
    errno.EDQUOT: "the disk quota is used up: free some space or choose another folder",
    errno.EACCES: "permission denied: choose a folder you can write to (or fix its permissions)",
    errno.EPERM: "not permitted: choose a folder you can write to (or fix its permissions)",
    errno.EROFS: "the file system is read-only: choose a folder on a writable disk",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "a folder has that name: remove it or choose another path",
}


def write_error(path: Path, error: OSError) -> InputError:
    """An :class:`~sensorlab.errors.InputError` for a failed write of ``path``.

    Says which file could not be written, the system's reason and the fix (a full disk,
    missing permission, a read-only file system...), so the command line reports it
    without a traceback (exit status 2).
    """
    return InputError(f"{path}: cannot write {_why(error)}")


def _why(error: OSError) -> str:
    """``(the system's reason); what to do about it`` for a failed write."""
    fix = _WRITE_FIXES.get(error.errno or 0, "check the path and the disk, then try again")
    return f"({error.strerror or error}); {fix}"


def check_output_dir(out_dir: Path, option: str = "--out") -> None:
    """Make sure ``out_dir`` can be created and written, before any work is done.

    Creates and removes a probe folder in ``out_dir``, or in its nearest existing parent
    when it does not exist yet (so a refused run leaves nothing behind): permissions, a
    read-only file system or a file in the way are found this way, whoever runs the
    command (``os.access`` is always true for root).

    Raises
    ------
    InputError
        ``out_dir`` (or a parent) is an existing file, or nothing can be created there;
        the message names it, says why and how to fix it.
    """
    existing = next(folder for folder in (out_dir, *out_dir.parents) if folder.exists())
    if not existing.is_dir():
        what = "that" if existing == out_dir else str(existing)
        raise InputError(
            f"{option} {out_dir}: {what} is a file, not a folder; give a folder for the "
            f"outputs (e.g. {option} {out_dir.with_suffix('')}_out)"
        )
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".sensorlab-probe."))
    except OSError as error:
        raise InputError(f"{option} {out_dir}: cannot write there {_why(error)}") from None
