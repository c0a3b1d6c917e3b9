"""Parse a recording CSV into columns, fast when the file is clean, with line numbers when not.

The fast path is one call of pandas' C parser with the required numeric columns typed as
float64. When that fails (a non-numeric cell, a line with too many fields, mixed types in a
column) the diagnostic path parses again with inferred types, skips lines that have too many
fields and keeps, for every row, the 1-based line it came from, so that messages can point
at ``file:line:column``. Deciding what is bad, and saying so, is the reader's job
(:mod:`sensorlab.io.recording`); this module only parses.
"""

from __future__ import annotations

import ast
import codecs
import csv
import io
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypedDict

import numpy as np
import pandas as pd

from sensorlab.errors import InputError

BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 131_072
"""Longest line accepted, bytes: the csv module's field limit, so no field the general
parser meets can exceed it (a recording's rows are under 200 bytes)."""
SCAN_BLOCK_BYTES = 1 << 18
"""Bytes read at a time by :func:`check_text`: bounds its memory, and blocks this small stay
in the CPU cache between the reads and the checks (a 16 MB file is scanned in a quarter of
the time that 8 MB blocks take)."""
EXAMPLE_HEADER = "t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"


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


def check_text(path: Path) -> None:
    """Refuse, before any parser sees it, a file that is not line-based UTF-8 text.

    One pass over the file in blocks of :data:`SCAN_BLOCK_BYTES` (memory stays bounded
    whatever the size, and a binary file is usually refused on its first block): a NUL
    byte, a line longer than :data:`MAX_LINE_BYTES` or bytes that are not UTF-8 stop it
    with an :class:`InputError` naming the line and byte and saying what to do. The lines
    of blocks that pass the quick check are counted only when a message needs their number
    (a second read of those blocks, block by block): counting costs as much as checking.

    Raises
    ------
    InputError
        On the first such problem.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, line_start, offset = 1, 0, 0
    counted = 0  # the line ends before this offset are counted in `line`
    # One buffer read into again and again: a new block's allocation costs more than the
    # checks of the usual block.
    buffer = bytearray(SCAN_BLOCK_BYTES)
    try:
        with path.open("rb") as handle:
            while size := handle.readinto(buffer):
                block = buffer if size == len(buffer) else buffer[:size]
                data = np.frombuffer(block, dtype=np.uint8)
                if _plain_block(block, decoder, offset - line_start):
                    line_start = offset + block.rfind(b"\n") + 1
                    offset += len(block)
                    if offset - line_start > MAX_LINE_BYTES:
                        line += _line_ends(path, counted, offset)
                        raise _long_line_error(path, line, None)
                    continue
                line += _line_ends(path, counted, offset)
                counted = offset + len(block)
                newlines = np.flatnonzero(data == ord("\n"))
                _check_bytes(path, block, data, decoder, line, newlines, offset)
                ends = offset + newlines
                starts = np.concatenate([[line_start], ends[:-1] + 1])
                long = np.flatnonzero(ends - starts > MAX_LINE_BYTES)
                if long.size:
                    k = int(long[0])
                    raise _long_line_error(path, line + k, int(ends[k] - starts[k]))
                if newlines.size:
                    line += newlines.size
                    line_start = int(ends[-1]) + 1
                offset += len(block)
                if offset - line_start > MAX_LINE_BYTES:
                    raise _long_line_error(path, line, None)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                line += _line_ends(path, counted, offset)
                raise _not_utf8(path, line, exc.reason) from None
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the file ({exc.strerror})") from None


def _line_ends(path: Path, start: int, stop: int) -> int:
    """The number of line ends in bytes ``start`` to ``stop`` of a file, read block by block."""
    count = 0
    if start >= stop:
        return count
    buffer = bytearray(SCAN_BLOCK_BYTES)
    with path.open("rb") as handle:
        handle.seek(start)
        while start < stop and (size := handle.readinto(buffer)):
            size = min(size, stop - start)
            data = np.frombuffer(buffer, dtype=np.uint8, count=size)
            count += int(np.count_nonzero(data == ord("\n")))
            start += size
    return count


def _plain_block(block: bytearray, decoder: codecs.IncrementalDecoder, carried: int) -> bool:
    """Whether a block is surely fine, found with fast bytes methods (the usual case).

    ASCII without NUL, with no character of the block before left incomplete (so valid
    UTF-8), a first line ending within ``MAX_LINE_BYTES`` of its start ``carried`` bytes
    before the block, and a line end in every aligned stretch of half that length (so no
    line inside is longer). Otherwise :func:`check_text` checks it byte by byte.
    """
    if not block.isascii() or b"\0" in block or decoder.getstate()[0]:
        return False
    first = block.find(b"\n")
    if first < 0 or carried + first > MAX_LINE_BYTES:
        return False
    half = MAX_LINE_BYTES // 2
    return all(block.find(b"\n", k, k + half) >= 0 for k in range(0, len(block) - half + 1, half))


def _check_bytes(
    path: Path,
    block: bytes | bytearray,
    data: np.ndarray,
    decoder: codecs.IncrementalDecoder,
    line: int,
    newlines: np.ndarray,
    offset: int,
) -> None:
    """Raise for the first NUL byte or non-UTF-8 byte of one block, whichever comes first."""
    nul = np.flatnonzero(data == 0)
    at = int(nul[0]) if nul.size else len(block)
    reason = None
    try:
        decoder.decode(block)
    except UnicodeDecodeError as exc:
        # exc.start counts bytes held back from the block before (at most 3): clip.
        if min(exc.start, len(block) - 1) < at:
            at, reason = min(exc.start, len(block) - 1), exc.reason
    if at == len(block):
        return
    where = line + int(np.searchsorted(newlines, at))
    if where == 1 and _looks_binary(block[:4096]):
        raise _binary_error(path, 1, offset + at)
    if reason is not None:
        raise _not_utf8(path, where, f"{reason}, byte {block[at]:#04x}")
    raise _binary_error(path, where, offset + at)


def _looks_binary(head: bytes | bytearray) -> bool:
    """Whether the start of a file is binary.

    Binary: NUL or more than 1 % control bytes (other than tab, line ends and form feed), which text
    never has.
    """
    control = sum(byte < 9 or 13 < byte < 32 for byte in head)
    return b"\0" in head or control > 0.01 * max(len(head), 1)


def _binary_error(path: Path, line: int, offset: int) -> InputError:
    if line == 1:
        return InputError(
            f"{path.name}: this is a binary file, not CSV text (from byte {offset}); a "
            f"recording is a text CSV whose first line is '{EXAMPLE_HEADER}'; export the "
            "session as CSV (a device's own log must be converted first), or check the path"
        )
    return InputError(
        f"{path.name}:{line}: NUL bytes (binary data) inside the text from byte {offset} on, as "
        "when a crash or power loss cut a recording short; nothing after them can be "
        f"trusted. To analyse the {line - 1} line(s) before them: "
        f"head -n {line - 1} '{path.name}' > fixed.csv"
    )


def _long_line_error(path: Path, line: int, length: int | None) -> InputError:
    size = f"{length} bytes" if length is not None else f"over {MAX_LINE_BYTES} bytes"
    return InputError(
        f"{path.name}:{line}: line {line} is {size} long (the limit is {MAX_LINE_BYTES}; a "
        "recording's rows are under 200): this is not a recording CSV, or its line ends "
        "were lost (old Mac files end lines with CR only: convert them to LF); export "
        "the session again as CSV with one row per sample"
    )


def _not_utf8(path: Path, line: int, detail: str) -> InputError:
    return InputError(
        f"{path.name}:{line}: the file is not UTF-8 text ({detail}); save or export it as UTF-8 "
        "(most spreadsheet programs offer 'CSV UTF-8')"
    )


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
        raise InputError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    example = EXAMPLE_HEADER
    if not first:
        raise InputError(
            f"{path.name}: the file is empty; a recording needs the header line '{example}' and "
            "one row per sample; re-export the recording"
        )
    if not first.strip():
        raise InputError(
            f"{path.name}:1: the first line is blank; the header ('{example}') must be on line 1; "
            "delete the blank line(s) above it"
        )
    return [name.strip() for name in next(csv.reader([first]))]


def encoding_error(path: Path, exc: UnicodeDecodeError) -> InputError:
    """An :class:`InputError` for bytes that are not UTF-8, naming the line.

    The line is found by :func:`check_text`, in bounded memory.
    """
    try:
        check_text(path)
    except InputError as found:
        return found
    return InputError(
        f"{path.name}: the file is not UTF-8 text ({exc.reason}); save or export it as UTF-8 "
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
    options: _ReadOptions = {
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
    except UnicodeDecodeError as exc:
        raise encoding_error(path, exc) from None
    except (ValueError, Warning) as exc:
        return _parse_diagnostic(path, names, numeric, dtype, options, exc)
    texts = [n for n in frame.columns if n != "sensor" and frame[n].dtype.kind not in "biuf"]
    if texts and len(frame) != _count_lines(path.read_bytes()) - 1:
        # a quoted text cell spans lines, so rows and lines differ: the general parser knows
        return _parse_quoted(path, path.read_bytes(), names, numeric)
    return CsvTable(frame, np.arange(len(frame), dtype=np.int64) + 2)


_BAD_FLOAT = re.compile(r"could not convert string to float: (?P<token>'.*'|\".*\")$")
MAX_BAD_TOKENS = 5
"""Distinct non-numeric cell texts learnt one parse at a time before switching parsers."""


def _count_lines(data: bytes) -> int:
    """Physical lines in a file (a last line without a line end counts)."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _parse_diagnostic(
    path: Path,
    names: list[str],
    numeric: tuple[str, ...],
    dtype: dict[str, str],
    options: _ReadOptions,
    error: BaseException,
) -> CsvTable:
    """Parse a file that the fast path refused, keeping every row's line number.

    Lines with more fields than the header are found by a byte scan and skipped. Cells
    that are not numbers are learnt from the parser's error, one distinct text at a time,
    and read as missing, so the typed C parser still does the work; with many distinct bad
    texts, or quoted fields in a structurally broken file, a slower parser takes over.
    """
    data = path.read_bytes()
    skip: set[int] = set()
    long_lines: list[tuple[int, int]] = []
    if isinstance(error, pd.errors.ParserError | pd.errors.ParserWarning):
        if b'"' in data:
            return _parse_quoted(path, data, names, numeric)
        skip, long_lines = _long_lines(data, len(names))
    frame = None
    tokens: list[str] = []
    for _ in range(MAX_BAD_TOKENS):
        try:
            frame = _read(path, dtype, options, skip, {c: tokens for c in numeric})
            break
        except UnicodeDecodeError as exc:
            raise encoding_error(path, exc) from None
        except pd.errors.ParserError:
            return _parse_quoted(path, data, names, numeric)
        except ValueError as exc:
            match = _BAD_FLOAT.search(str(exc))
            token = ast.literal_eval(match["token"]) if match else None
            if token is None or token in tokens:
                break
            tokens.append(token)
    if frame is None:
        try:
            frame = _read(path, {"sensor": "category"}, options, skip, None)
        except ValueError:
            return _parse_quoted(path, data, names, numeric)
        _coerce(frame, numeric)
    lines = np.arange(2, _count_lines(data) + 1, dtype=np.int64)
    if skip:
        lines = np.delete(lines, np.array(sorted(skip), dtype=np.int64) - 1)
    if lines.size != len(frame):  # a quoted cell spans lines: the general parser knows
        return _parse_quoted(path, data, names, numeric)
    return CsvTable(frame, lines, long_lines, diagnostic=True)


class _ReadOptions(TypedDict):
    """The :func:`pandas.read_csv` arguments that every parse of one file shares."""

    encoding: str
    header: int
    names: list[str]
    skip_blank_lines: bool
    index_col: Literal[False]


def _read(
    path: Path,
    dtype: Mapping[str, str],
    options: _ReadOptions,
    skip: set[int],
    na_values: Mapping[str, Sequence[str]] | None,
) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mixed types in an extra column stay as they come
        skiprows = sorted(skip) or None
        return pd.read_csv(path, dtype=dtype, skiprows=skiprows, na_values=na_values, **options)


def _long_lines(data: bytes, width: int) -> tuple[set[int], list[tuple[int, int]]]:
    """0-based indices of lines with more than ``width`` fields, and ``(line, fields)``."""
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == ord("\n"))
    ends = newlines if data.endswith(b"\n") else np.append(newlines, raw.size)
    starts = np.concatenate([[0], newlines + 1])[: ends.size]
    commas = np.flatnonzero(raw == ord(","))
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    index = np.flatnonzero(fields > width)
    index = index[index > 0]
    return set(index.tolist()), [(int(i) + 1, int(fields[i])) for i in index]


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
    series = pd.Series([value if value else np.nan for value in values], dtype=object)
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
    if not wanted:
        return {}
    data = path.read_bytes()
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    out = {}
    for number in wanted:
        start = 0 if number == 1 else int(newlines[number - 2]) + 1
        end = int(newlines[number - 1]) if number - 1 < newlines.size else len(data)
        if number >= 1 and start <= len(data):
            text = data[start:end].decode("utf-8", errors="replace")
            out[number] = text.removeprefix("\ufeff").removesuffix("\r")
    return out


def split_fields(line: str) -> list[str]:
    """The fields of one CSV line (quotes honoured)."""
    return next(csv.reader([line]), [])


def tail(path: Path, size: int = 65536) -> tuple[list[str], bool]:
    r"""The last lines of a file (the first may be partial) and whether it ends in a newline.

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
