"""Parse a recording CSV into columns, fast when the file is clean, with line numbers when not.

The fast path is one call of pandas' C parser with the required numeric columns typed as
float64. When that fails (a non-numeric cell, a line with too many fields, mixed types in a
column) the diagnostic path parses again with inferred types, skips lines that have too many
fields and keeps, for every row, the 1-based line it came from, so that messages can point
at ``file:line:column``. Deciding what is bad, and saying so, is the reader's job
(:mod:`sensorlab.io.recording`); this module only parses.
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab.errors import InputError

BOM = b"\xef\xbb\xbf"


@dataclass
class CsvTable:
    """A parsed recording table.

    Attributes
    ----------
    frame : DataFrame
        One row per data line, columns named as in the header; the required numeric columns
        are float64 (non-numeric cells read as NaN); ``sensor`` is categorical.
    row_lines : ndarray of int64, shape (n_rows,)
        The 1-based file line of each row (the header is line 1).
    long_lines : list of (int, int)
        Lines skipped because they had more fields than the header: ``(line, n_fields)``.
    diagnostic : bool
        True when the slow diagnostic path was needed.
    """

    frame: pd.DataFrame
    row_lines: np.ndarray
    long_lines: list[tuple[int, int]] = field(default_factory=list)
    diagnostic: bool = False


def read_header(path: Path) -> list[str]:
    """The header's column names, stripped of spaces (and of a BOM).

    Raises
    ------
    InputError
        If the file is empty, starts with a blank line, or is not UTF-8 text.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except UnicodeDecodeError as exc:
        raise encoding_error(path, exc) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    example = "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"
    if not first:
        raise InputError(
            f"{path}: the file is empty; a recording needs the header line '{example}' and "
            "one row per sample; re-export the recording"
        )
    if not first.strip():
        raise InputError(
            f"{path}:1: the first line is blank; the header ('{example}') must be on line 1; "
            "delete the blank line(s) above it"
        )
    return [name.strip() for name in next(csv.reader([first]))]


def encoding_error(path: Path, exc: UnicodeDecodeError) -> InputError:
    """An :class:`InputError` for bytes that are not UTF-8, naming the line."""
    where, detail = str(path), exc.reason
    try:
        data = path.read_bytes()
        data.decode("utf-8-sig")
    except UnicodeDecodeError as own:
        line = data.count(b"\n", 0, own.start) + 1
        where = f"{path}:{line}"
        detail = f"{own.reason}, byte {data[own.start]:#04x}"
    except OSError:
        pass
    return InputError(
        f"{where}: the file is not UTF-8 text ({detail}); save or export it as UTF-8 "
        "(most spreadsheet programs offer 'CSV UTF-8')"
    )


def parse_table(path: Path, names: list[str], numeric: tuple[str, ...]) -> CsvTable:
    """Parse the CSV after its header.

    Parameters
    ----------
    path : Path
        The recording CSV.
    names : list of str
        Column names to use (the checked header), one per header field.
    numeric : tuple of str
        Columns to read as float64 (the required numeric ones).

    Returns
    -------
    CsvTable
    """
    dtype: dict[str, str] = {name: "float64" for name in numeric}
    dtype["sensor"] = "category"
    options = {
        "encoding": "utf-8-sig",
        "header": 0,
        "names": names,
        "skip_blank_lines": False,
        "index_col": False,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            frame = pd.read_csv(path, dtype=dtype, **options)
        return CsvTable(frame, np.arange(len(frame), dtype=np.int64) + 2)
    except UnicodeDecodeError as exc:
        raise encoding_error(path, exc) from None
    except (ValueError, Warning):
        pass
    return _parse_diagnostic(path, names, numeric, options)


def _parse_diagnostic(path: Path, names: list[str], numeric: tuple[str, ...], options) -> CsvTable:
    data = path.read_bytes()
    if b'"' in data:
        return _parse_quoted(path, data, names, numeric)
    body = data[len(BOM) :] if data.startswith(BOM) else data
    raw = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    ends = newlines if body.endswith(b"\n") else np.append(newlines, raw.size)
    starts = np.concatenate([[0], newlines + 1])[: ends.size]
    commas = np.flatnonzero(raw == ord(","))
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    line_index = np.arange(ends.size)
    too_long = (fields > len(names)) & (line_index > 0)
    skipped = line_index[too_long]
    long_lines = [(int(i) + 1, int(fields[i])) for i in skipped]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.read_csv(
            io.BytesIO(data),
            dtype={"sensor": "category"},
            low_memory=False,
            skiprows=set(skipped.tolist()),
            **options,
        )
    kept = line_index[(~too_long) & (line_index > 0)]
    if kept.size != len(frame):  # quoted or otherwise unusual: the general parser knows
        return _parse_quoted(path, data, names, numeric)
    _coerce(frame, numeric)
    return CsvTable(frame, kept.astype(np.int64) + 1, long_lines, diagnostic=True)


def _parse_quoted(path: Path, data: bytes, names: list[str], numeric: tuple[str, ...]) -> CsvTable:
    """Slow but general: the csv module, one row at a time, with physical line numbers."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise encoding_error(path, exc) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    rows, lines, long_lines = [], [], []
    width = len(names)
    previous_end = reader.line_num
    for row in reader:
        start = previous_end + 1
        previous_end = reader.line_num
        if len(row) > width:
            long_lines.append((start, len(row)))
            continue
        rows.append(row + [""] * (width - len(row)))
        lines.append(start)
    columns = {name: [r[i] for r in rows] for i, name in enumerate(names)}
    frame = pd.DataFrame({name: _infer(values) for name, values in columns.items()})
    if "sensor" in frame:
        frame["sensor"] = frame["sensor"].astype("category")
    _coerce(frame, numeric)
    return CsvTable(frame, np.asarray(lines, dtype=np.int64), long_lines, diagnostic=True)


def _infer(values: list[str]) -> pd.Series:
    series = pd.Series(values, dtype=object).replace("", np.nan)
    try:
        return pd.to_numeric(series)
    except (ValueError, TypeError):
        return series


def _coerce(frame: pd.DataFrame, numeric: tuple[str, ...]) -> None:
    for name in numeric:
        if name in frame and frame[name].dtype != np.float64:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(np.float64)


def raw_lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of some 1-based physical lines, without their line ending."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    last = max(wanted)
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if number in wanted:
                out[number] = line.rstrip("\r\n")
            if number >= last:
                break
    return out


def split_fields(line: str) -> list[str]:
    """The fields of one CSV line (quotes honoured)."""
    return next(csv.reader([line]), [])


def tail(path: Path, size: int = 65536) -> tuple[list[str], bool]:
    """The last lines of a file (the first may be partial) and whether it ends in a newline.

    Lines are split at ``\n`` only (a trailing ``\r`` is removed), as the CSV parser does.
    """
    with path.open("rb") as handle:
        handle.seek(0, io.SEEK_END)
        length = handle.tell()
        handle.seek(max(0, length - size))
        data = handle.read()
    ends_with_newline = data.endswith(b"\n")
    text = data.decode("utf-8", errors="replace")
    if length <= size and text.startswith("\ufeff"):
        text = text[1:]
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if ends_with_newline:
        lines.pop()
    return lines, ends_with_newline
