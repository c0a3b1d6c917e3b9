"""Read and write recordings: ``NAME.csv`` plus the optional sidecar ``NAME.json``.

The format is the contract in ``docs/formats.md``: long-format CSV, one row per sample per
sensor, acc in m/s^2 and gyro in deg/s. Inside sensorlab gyro rates are rad/s, so the reader
converts once on the way in and the writer once on the way out.

Bad input is handled here, once, for every caller:

- mistakes that leave nothing sensible to read (no file, no header, missing columns, an
  invalid sidecar) raise :class:`~sensorlab.errors.InputError` with a complete message
  (what, ``file:line`` or column or sensor, and the fix);
- problems that leave the data usable (bad rows, a cut-off last line, timestamps out of
  order, unknown sensor names, a unit that had to be converted) are repaired or kept, and
  reported in :attr:`Recording.warnings`, each naming the file and line.

The reader keeps each sensor's samples in file order; sorting and de-duplication are the
job of :class:`sensorlab.processing.cleaning.SampleCleaner`. The writer lives in
:mod:`sensorlab.io.writer` and is re-exported here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab.errors import InputError
from sensorlab.frames import PLACEMENTS
from sensorlab.io.csv_table import (
    CsvTable,
    check_text,
    parse_table,
    raw_lines,
    read_header,
    split_fields,
)
from sensorlab.io.csv_table import tail as file_tail
from sensorlab.io.naming import canonical_column, suggest_column, suggest_placement
from sensorlab.io.sidecar import read_sidecar
from sensorlab.io.unit_check import (
    acc_unit,
    decide_acc_unit,
    decide_gyro_unit,
    gyro_evidence,
    quiet_acc,
)
from sensorlab.io.writer import write_recording
from sensorlab.records import ImuChunk, Recording, SessionMeta
from sensorlab.units import GRAVITY_M_S2, STANDARD_GRAVITY_M_S2

ACC_COLUMNS = ("acc_x", "acc_y", "acc_z")
GYR_COLUMNS = ("gyr_x", "gyr_y", "gyr_z")
REQUIRED_COLUMNS = ("t", "sensor", *ACC_COLUMNS, *GYR_COLUMNS)
"""Columns every recording has (in any order)."""
NUMERIC_REQUIRED = ("t", *ACC_COLUMNS, *GYR_COLUMNS)
OPTIONAL_COLUMNS = ("seq", "device_t")
"""Contract columns with a field of their own in :class:`~sensorlab.records.ImuChunk`."""
NUMERIC_EXTRAS = re.compile(r"^(mag_[xyz]|quat_[wxyz])$")
"""Contract extras that are numbers (kept in ``ImuChunk.extra``)."""

MAX_LISTED = 5
"""How many examples (lines, cells) a warning lists."""
RESTART_BACK_S = 1.0
"""A sensor's time stepping back by more than this, seconds, and going on from there for
:data:`RESTART_RUN` samples is a clock restart (two takes in one file); a late or
repeated sample is within a few hundred ms, and one stray time is followed by the old
clock again."""
RESTART_RUN = 20
RATE_TOLERANCE = 0.1
"""Relative difference between the sidecar's rate and the measured one that is reported
(and the measured one used): clocks drift by well under 1 %, losses leave the median alone."""


__all__ = ["read_recording", "write_recording"]


def read_recording(
    csv_path: str | os.PathLike, sidecar_path: str | os.PathLike | None = None
) -> Recording:
    """Read a recording CSV (or its Parquet conversion) and its sidecar.

    Parameters
    ----------
    csv_path : path-like
        The recording, ``NAME.csv`` (UTF-8 with or without BOM, LF or CRLF), or
        ``NAME.parquet`` written by ``sensorlab convert`` (:mod:`sensorlab.io.parquet`;
        needs pyarrow), which gives the same samples.
    sidecar_path : path-like, optional
        The sidecar. Defaults to ``NAME.json`` next to the CSV, which may be absent.

    Returns
    -------
    Recording
        One :class:`~sensorlab.records.ImuChunk` per sensor in order of first appearance,
        samples in file order; acc in m/s^2, gyro in rad/s; unknown columns in
        ``ImuChunk.extra``; problems that left the data usable in ``warnings``.

    Raises
    ------
    InputError
        When nothing sensible can be read: no file, an empty file or a header without
        rows, a binary file (NUL bytes), a line over 131,072 bytes, bytes that are not
        UTF-8, missing required columns (with the closest existing name), no usable row,
        or an invalid sidecar (bad JSON, a wrong type, a left-handed or malformed mount).
    """
    path = Path(csv_path)
    if path.suffix.lower() == ".parquet":
        from sensorlab.io.parquet import read_parquet_table

        meta, warnings, table = read_parquet_table(path, sidecar_path)
        keep = np.ones(len(table.frame), dtype=bool)  # the converter kept only good rows
        return _recording_from_table(path, meta, table, keep, warnings)
    meta, warnings, table, keep, cols = _read_csv(path, sidecar_path)
    return _recording_from_table(path, meta, table, keep, warnings, cols)


def read_csv_table(
    csv_path: str | os.PathLike, sidecar_path: str | os.PathLike | None = None
) -> tuple[SessionMeta, list[str], CsvTable, np.ndarray]:
    """The recording CSV's table as parsed, before samples are built from it.

    Returns the sidecar, the warnings so far, the table (values as in the file: no unit
    converted yet) and which rows are good (blank, cut-off and bad rows are not). Raises
    :class:`InputError` like :func:`read_recording`. The Parquet converter
    (:mod:`sensorlab.io.parquet`) stores exactly these rows, so that reading either file
    gives the same samples.
    """
    meta, warnings, table, keep, _ = _read_csv(csv_path, sidecar_path)
    return meta, warnings, table, keep


def _read_csv(
    csv_path: str | os.PathLike, sidecar_path: str | os.PathLike | None
) -> tuple[SessionMeta, list[str], CsvTable, np.ndarray, _Columns]:
    """:func:`read_csv_table`, and the required columns it checked the rows with."""
    path = Path(csv_path)
    if not path.is_file():
        raise InputError(f"{path.name}: no such file; check the path and the file name")
    meta, warnings = _read_meta(path, sidecar_path)
    check_text(path)  # binary, huge-line or non-UTF-8 files end here, in bounded memory
    header = read_header(path)
    names = check_header(path, header, warnings)
    table = parse_table(path, names, NUMERIC_REQUIRED)
    if len(table.frame) == 0 and not table.long_lines:
        raise InputError(
            f"{path.name}: the header is there but there are no data rows; the recording is empty "
            "(was the export or the recording interrupted?); record or export it again"
        )
    cols = _Columns(table)
    keep = _select_rows(path, table, cols, warnings)
    return meta, warnings, table, keep, cols


def _recording_from_table(
    path: Path,
    meta: SessionMeta,
    table: CsvTable,
    keep: np.ndarray,
    warnings: list[str],
    cols: _Columns | None = None,
) -> Recording:
    """Build the recording from the table's ``keep`` rows.

    Samples per sensor, units converted, names and rates checked. ``cols``: the table's
    required columns, when already taken out.
    """
    cols = _Columns(table) if cols is None else cols
    chunks, first_lines, periods = _build_chunks(path, table, cols, keep, warnings)
    _check_names(path, chunks, first_lines, meta, warnings)
    meta = _check_rates(path, chunks, first_lines, periods, meta, warnings)
    return Recording(source=path.name, meta=meta, chunks=chunks, warnings=warnings)


def _read_meta(path: Path, sidecar_path: str | os.PathLike | None) -> tuple[SessionMeta, list[str]]:
    if sidecar_path is None:
        candidate = path.with_suffix(".json")
        if not candidate.is_file():
            return SessionMeta(), []
    else:
        candidate = Path(sidecar_path)
        if not candidate.is_file():
            raise InputError(
                f"{candidate.name}: sidecar not found; check the path, or leave the sidecar out "
                "(it is optional)"
            )
    return read_sidecar(candidate)


def check_header(path: Path, header: list[str], warnings: list[str]) -> list[str]:
    """Check the header and return the column names to parse with."""
    names = []
    for index, name in enumerate(header, start=1):
        if name:
            names.append(name)
            continue
        names.append(f"__unnamed_{index}")
        warnings.append(
            f"{path.name}:1: column {index} has no name in the header; its values are ignored; "
            "give it a name in the header to keep it (or remove the trailing comma)"
        )
    seen: dict[str, int] = {}
    for index, name in enumerate(names, start=1):
        if name in seen:
            raise InputError(
                f"{path.name}:1: column {name!r} appears twice in the header (columns "
                f"{seen[name]} and {index}); rename or remove one of them"
            )
        seen[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    others = [n for n in names if n not in REQUIRED_COLUMNS and n not in OPTIONAL_COLUMNS]
    if missing:
        problems = []
        for name in missing:
            guess = suggest_column(name, others)
            if guess is not None:
                problems.append(
                    f"{name!r} is missing; column {seen[guess]} is named {guess!r}: rename it "
                    f"to {name!r}"
                )
            else:
                problems.append(f"{name!r} is missing")
        raise InputError(
            f"{path.name}:1 (header): required column(s) not found: " + "; ".join(problems) + ". "
            f"A recording needs the columns {', '.join(REQUIRED_COLUMNS)} (any order; acc in "
            f"m/s^2, gyr in deg/s); fix the header line"
        )
    for name in others:
        meant = canonical_column(name)
        if meant in OPTIONAL_COLUMNS and meant not in seen:
            warnings.append(
                f"{path.name}:1: column {seen[name]} {name!r} looks like {meant!r}; it is kept as "
                f"an extra column and not used as {meant!r}; rename it to {meant!r} to use it"
            )
    return names


class _Columns:
    """Required columns as arrays, sensor names stripped and re-coded."""

    def __init__(self, table: CsvTable) -> None:
        frame = table.frame
        self.t = frame["t"].to_numpy(dtype=np.float64)
        self.acc = [frame[c].to_numpy(dtype=np.float64) for c in ACC_COLUMNS]
        self.gyr = [frame[c].to_numpy(dtype=np.float64) for c in GYR_COLUMNS]
        sensor = frame["sensor"]
        if not isinstance(sensor.dtype, pd.CategoricalDtype):
            sensor = sensor.astype("category")
        raw_names = [str(c) for c in sensor.cat.categories]
        stripped = [n.strip() for n in raw_names]
        self.names = list(dict.fromkeys(n for n in stripped if n))
        raw_codes = sensor.cat.codes.to_numpy()
        # The codes' own small integer type: comparing them per sensor is then cheap.
        lookup = [self.names.index(n) if n else -1 for n in stripped] + [-1]
        self.codes = np.array(lookup, dtype=raw_codes.dtype)[raw_codes]


def _select_rows(path: Path, table: CsvTable, cols: _Columns, warnings: list[str]) -> np.ndarray:
    """Which rows to keep: drop blank lines, a cut-off last line and rows with bad cells."""
    n_rows = len(table.frame)
    finite = np.isfinite(cols.t)
    for column in (*cols.acc, *cols.gyr):
        finite &= np.isfinite(column)
    bad = ~finite | (cols.codes < 0)
    suspects = np.flatnonzero(bad)
    blank = np.zeros(n_rows, dtype=bool)
    if suspects.size:
        blank[suspects] = table.frame.iloc[suspects].isna().all(axis=1).to_numpy()
    keep = ~bad
    last = n_rows - 1  # the last row with content (blank rows are among the suspects)
    while last >= 0 and blank[last]:
        last -= 1
    if last >= 0:
        note = _truncation(path, table, int(table.row_lines[last]))
        if note is not None:
            keep[last] = False
            bad[last] = False
            warnings.append(note)
    dropped = suspects[bad[suspects] & ~blank[suspects]]
    n_long = len(table.long_lines)
    if dropped.size or n_long:
        examples = _describe_rows(path, table, dropped[:MAX_LISTED])
        count = int(dropped.size) + n_long
        summary = f"{count} row(s) with missing, non-numeric or extra values in required columns"
        if not keep.any():
            raise InputError(
                f"{path.name}: no usable row: all {count} data row(s) are bad: "
                + "; ".join(examples)
                + ". Each row needs a number in t, acc_x..z and gyr_x..z and a sensor name; "
                "fix these cells (or the export)"
            )
        warnings.append(
            f"{path.name}: dropped {summary} ({int(keep.sum())} good rows kept); first: "
            + "; ".join(examples)
            + ". Fix or delete these rows in the file to silence this"
        )
    elif not keep.any():
        raise InputError(
            f"{path.name}: no usable data row (only blank or cut-off lines); record or export the "
            "session again"
        )
    return keep


def _describe_rows(path: Path, table: CsvTable, rows: np.ndarray) -> list[str]:
    """``file:line:column 'value'`` for the first bad rows (and lines with extra fields)."""
    items: list[tuple[int, str]] = [
        (line, f"{path.name}:{line}: {fields} fields, the header has {len(table.frame.columns)}")
        for line, fields in table.long_lines[:MAX_LISTED]
    ]
    wanted = {int(table.row_lines[r]) for r in rows}
    texts = raw_lines(path, wanted)
    names = list(table.frame.columns)
    for line in sorted(wanted):
        fields = split_fields(texts.get(line, ""))
        if len(fields) < len(names):
            items.append((line, f"{path.name}:{line}: only {len(fields)} of {len(names)} fields"))
            continue
        cells = []
        for column in REQUIRED_COLUMNS:
            value = fields[names.index(column)]
            ok = bool(value.strip()) if column == "sensor" else _is_finite_number(value)
            if not ok:
                shown = f"{value!r} (empty)" if not value.strip() else repr(value)
                cells.append(f"{path.name}:{line}:{column} {shown}")
        items.append((line, ", ".join(cells) or f"{path.name}:{line}: unreadable row"))
    items.sort()
    return [text for _, text in items[:MAX_LISTED]]


def _is_finite_number(text: str) -> bool:
    try:
        return bool(np.isfinite(float(text)))
    except ValueError:
        return False


def _truncation(path: Path, table: CsvTable, line: int) -> str | None:
    """A warning if ``line``, the last line with content, was cut off, else ``None``."""
    lines, ends_with_newline = file_tail(path)
    last_line = max([int(table.row_lines[-1])] + [n for n, _ in table.long_lines])
    after = last_line - line  # lines after it, which must all be blank
    if after + 1 >= len(lines) or any(text.strip() for text in lines[len(lines) - after :]):
        return None
    text = lines[-1 - after]
    names = list(table.frame.columns)
    fields = split_fields(text)
    if len(fields) < len(names):
        return (
            f"{path.name}:{line}: the last line is cut short ({len(fields)} of {len(names)} "
            "fields), as when a recording stops in mid-write; dropped it. Nothing to fix "
            "unless you need that sample (then export the file again)"
        )
    if ends_with_newline or after or len(fields) != len(names):
        return None
    rows_above = [split_fields(p) for p in lines[-51:-1] if p.strip()]
    previous = [p[-1] for p in rows_above if len(p) == len(names) and p != names]
    if _looks_partial(fields[-1], previous):
        return (
            f"{path.name}:{line}:{names[-1]}: the file ends in the middle of the last line "
            f"({names[-1]} is {fields[-1]!r}, shorter than in the lines above, with no line end "
            "after it), as when a recording stops in mid-write; dropped that line. Nothing to "
            "fix unless you need that sample"
        )
    return None


def _looks_partial(value: str, previous: list[str]) -> bool:
    """Whether a last field without a line end looks cut off, judged by the fields above it.

    Numbers written with a fixed number of decimals must have them all; text must not be a
    shorter start of a value above it (``pelv`` for ``pelvis``).
    """
    value = value.strip()
    if not value:
        return True
    previous = [p.strip() for p in previous if p.strip()]
    if not previous:
        return False
    if all(_is_finite_number(p) for p in previous):
        if not _is_finite_number(value):
            return True
        decimals = {_decimals(p) for p in previous}
        if len(decimals) == 1:
            expected = decimals.pop()
            return expected is not None and expected > 0 and (_decimals(value) or 0) < expected
        return False
    return any(p.startswith(value) and p != value for p in previous)


def _decimals(text: str) -> int | None:
    text = text.strip()
    if "e" in text.lower():
        return None
    return len(text) - text.index(".") - 1 if "." in text else 0


def _build_chunks(
    path: Path, table: CsvTable, cols: _Columns, keep: np.ndarray, warnings: list[str]
) -> tuple[dict[str, ImuChunk], dict[str, int], dict[str, float]]:
    """One chunk per sensor (file order within each), and each sensor's first line.

    Also the median interval of ``t``, seconds, of each sensor whose times all increase
    (the unit checks and the rate check need it).
    """
    groups = []
    # Usually every row is kept: each sensor's rows then come straight from the codes.
    rows = None if keep.all() else np.flatnonzero(keep)
    codes = cols.codes if rows is None else cols.codes[rows]
    for code, name in enumerate(cols.names):
        index = np.flatnonzero(codes == code) if rows is None else rows[codes == code]
        if index.size:
            groups.append((int(index[0]), name, index))
    optional = _OptionalColumns(path, table, warnings)
    chunks, first_lines, periods = {}, {}, {}
    restarts = []
    for first, name, index in sorted(groups, key=lambda group: group[0]):
        lines = _Lines(table.row_lines, index)
        first_lines[name] = int(table.row_lines[first])
        t_s = cols.t[index]
        steps = np.diff(t_s)
        restart = _clock_restart(t_s, steps)
        if restart is not None:
            restarts.append(
                (int(lines[restart]), name, float(t_s[restart - 1]), float(t_s[restart]))
            )
            continue
        if _check_time_order(path, name, steps, lines, warnings) and steps.size:
            periods[name] = float(np.median(steps))
        chunks[name] = ImuChunk(
            placement=name,
            t_s=t_s,
            acc_m_s2=_gather(cols.acc, index),
            gyr_rad_s=_gather(cols.gyr, index),
            seq=optional.seq(name, index, lines),
            device_t_s=optional.device_t(index),
            extra=optional.extra(index),
        )
    if restarts:
        raise _restart_error(path, sorted(restarts))
    _convert_units(path, chunks, periods, warnings)
    return chunks, first_lines, periods


class _Lines:
    """The file lines of one sensor's rows, looked up only where a message needs them."""

    def __init__(self, row_lines: np.ndarray, index: np.ndarray) -> None:
        self.row_lines = row_lines
        self.index = index

    def __getitem__(self, positions: int | np.ndarray) -> np.ndarray:
        """The lines of the sensor's rows at ``positions`` (counted within the sensor)."""
        return self.row_lines[self.index[positions]]


def _clock_restart(t_s: np.ndarray, steps: np.ndarray) -> int | None:
    """Index of the first sample after a clock restart, or None (see :data:`RESTART_BACK_S`).

    ``steps``: ``np.diff(t_s)``.
    """
    for k in np.flatnonzero(steps < -RESTART_BACK_S).tolist():
        after = t_s[k + 1 : k + 1 + RESTART_RUN]
        if after.size >= 2 and bool(np.all(after < t_s[k] - RESTART_BACK_S)):
            return k + 1
    return None


def _restart_error(path: Path, restarts: list[tuple[int, str, float, float]]) -> InputError:
    """Refuse a file whose sensor clocks restart: two takes joined in one file.

    Not analysed take by take: the sidecar (calibration span, marks) describes one time
    axis and nothing says which take it belongs to, and the takes' samples would be
    merged onto one grid; split files get one analysis each, with their own sidecar.
    """
    line, name, before, after = restarts[0]
    others = ", ".join(f"{n} at line {k}" for k, n, _, _ in restarts[1:])
    also = f" (also {others})" if others else ""
    return InputError(
        f"{path.name}:{line}: sensor {name!r}: the time goes back from {before:.3f} s to "
        f"{after:.3f} s{also}: the clock restarted, so this file holds two takes joined "
        f"together (their times overlap and cannot be analysed as one session). Split it "
        f"at line {line}: head -n {line - 1} '{path.name}' > take1.csv and "
        f"(head -n 1 '{path.name}'; tail -n +{line} '{path.name}') > take2.csv, copy the sidecar "
        "to take1.json and take2.json (fix each one's calibration span and events), and "
        "analyse each take"
    )


def _check_rates(
    path: Path,
    chunks: dict[str, ImuChunk],
    first_lines: dict[str, int],
    periods: dict[str, float],
    meta: SessionMeta,
    warnings: list[str],
) -> SessionMeta:
    """Warn about a sidecar rate the data contradicts; the meta with measured rates there.

    ``periods``: the median interval of ``t`` of the sensors whose times all increase.
    """
    sensors = dict(meta.sensors)
    for name, chunk in chunks.items():
        info = sensors.get(name)
        if info is None or info.rate_hz is None or len(chunk) < 3:
            continue
        period = periods.get(name)
        if period is None:
            steps = np.diff(chunk.t_s)
            steps = steps[steps > 0]
            if steps.size < 2:
                continue
            period = float(np.median(steps))
        measured = 1.0 / period
        if abs(measured / info.rate_hz - 1.0) <= RATE_TOLERANCE:
            continue
        warnings.append(
            f"{path.name}:{first_lines[name]}: sensor {name!r}: the sidecar says "
            f"{info.rate_hz:g} Hz but the samples come at {measured:.4g} Hz (median interval "
            f"of t); using {measured:.4g} Hz. Fix sensors.{name}.rate_hz in the sidecar to "
            "silence this"
        )
        sensors[name] = replace(info, rate_hz=measured)
    return replace(meta, sensors=sensors) if sensors != meta.sensors else meta


def _gather(columns: list[np.ndarray], index: np.ndarray) -> np.ndarray:
    """Rows ``index`` of three 1-D columns, as an (n, 3) array whose axes are contiguous.

    The transpose of a (3, n) array of the reader's own: the per-axis work after it (the
    unit checks, sensor health, the grid) reads each axis in one contiguous row.
    """
    out = np.empty((len(columns), index.size))
    for j, column in enumerate(columns):
        # The indices are valid: "clip" spares the bounds check and a buffer.
        np.take(column, index, out=out[j], mode="clip")
    return out.T


class _OptionalColumns:
    """``seq``, ``device_t`` and the extra columns, checked once per file."""

    def __init__(self, path: Path, table: CsvTable, warnings: list[str]) -> None:
        self.path = path
        self.table = table
        self.warnings = warnings
        frame = table.frame
        self.columns: dict[str, np.ndarray] = {}
        self.text_bad: dict[str, np.ndarray] = {}
        for name in frame.columns:
            if name in REQUIRED_COLUMNS or name.startswith("__unnamed_"):
                continue
            series = frame[name]
            wants_number = name in OPTIONAL_COLUMNS or NUMERIC_EXTRAS.match(name)
            if wants_number and not pd.api.types.is_numeric_dtype(series.dtype):
                numbers = pd.to_numeric(series, errors="coerce")
                self.text_bad[name] = (numbers.isna() & series.notna()).to_numpy()
                series = numbers
            if pd.api.types.is_numeric_dtype(series.dtype):
                self.columns[name] = series.to_numpy()
            else:
                values = series.to_numpy(dtype=object, copy=True)
                values[pd.isna(values)] = ""
                self.columns[name] = values
        for name, mask in self.text_bad.items():
            if name != "seq" and mask.any():
                self._warn_text(name, mask, "read as missing (NaN)")
        seq = self.columns.get("seq")
        # Whole numbers that float64 holds exactly pass seq's checks as they are.
        self.seq_whole = (
            seq is not None
            and seq.dtype.kind in "iu"
            and (seq.size == 0 or max(abs(int(seq.min())), abs(int(seq.max()))) <= 2**53)
        )

    def _warn_text(self, name: str, mask: np.ndarray, consequence: str) -> None:
        rows = np.flatnonzero(mask)
        lines = self.table.row_lines[rows[:MAX_LISTED]]
        texts = raw_lines(self.path, {int(x) for x in lines})
        position = list(self.table.frame.columns).index(name)
        shown = []
        for line in lines:
            fields = split_fields(texts.get(int(line), ""))
            value = fields[position] if position < len(fields) else ""
            shown.append(f"{self.path.name}:{line}:{name} {value!r}")
        self.warnings.append(
            f"{self.path.name}: column {name}: {rows.size} non-numeric cell(s), {consequence}; "
            f"first: {', '.join(shown)}; write numbers there (or leave the cell empty)"
        )

    def seq(self, sensor: str, index: np.ndarray, lines: _Lines) -> np.ndarray | None:
        values = self.columns.get("seq")
        if values is None:
            return None
        if self.seq_whole:
            return values[index].astype(np.int64, copy=False)
        values = np.asarray(values[index], dtype=np.float64)
        missing = ~np.isfinite(values)
        if missing.all():
            return None
        fractional = ~missing & (values != np.round(values))
        bad = missing | fractional
        if bad.any():
            first = lines[np.flatnonzero(bad)[:MAX_LISTED]]
            self.warnings.append(
                f"{self.path.name}: sensor {sensor!r}: column seq has {int(bad.sum())} empty or "
                f"non-integer value(s) (first at lines {', '.join(map(str, first))}), so loss "
                "accounting from seq is off for this sensor; make seq a whole number in every "
                "row of the sensor, or leave it empty in all of them"
            )
            return None
        return values.astype(np.int64)

    def device_t(self, index: np.ndarray) -> np.ndarray | None:
        values = self.columns.get("device_t")
        if values is None:
            return None
        values = values[index].astype(np.float64, copy=False)
        return None if np.isnan(values).all() else values

    def extra(self, index: np.ndarray) -> dict[str, np.ndarray]:
        return {
            name: values[index]
            for name, values in self.columns.items()
            if name not in OPTIONAL_COLUMNS
        }


def _lines_text(lines: Iterable[int]) -> str:
    return ", ".join(str(int(x)) for x in lines)


def _check_time_order(
    path: Path, sensor: str, steps: np.ndarray, lines: _Lines, warnings: list[str]
) -> bool:
    """Whether a sensor's times all increase (``steps``: ``np.diff(t_s)``); if not, warn."""
    not_later = np.flatnonzero(steps <= 0) + 1
    if not not_later.size:
        return True
    backward = int(np.sum(steps < 0))
    repeated = int(np.sum(steps == 0))
    warnings.append(
        f"{path.name}: sensor {sensor!r}: {not_later.size} sample(s) are not later than the sample "
        f"before them ({backward} go back in time, {repeated} repeat a time), first at lines "
        f"{_lines_text(lines[not_later[:MAX_LISTED]])}; kept in file order; the sample cleaner "
        "(sensorlab.processing.cleaning) sorts each sensor by time and drops repeats. If there "
        "are many, check the recorder's clock alignment"
    )
    return False


def _convert_units(
    path: Path,
    chunks: dict[str, ImuChunk],
    periods: dict[str, float],
    warnings: list[str],
) -> None:
    """Convert the file's acc to m/s^2 and gyro to rad/s, in place, one unit per file.

    The units are decided from the evidence of all sensors together
    (:func:`~sensorlab.io.unit_check.decide_acc_unit`, :func:`decide_gyro_unit`): the
    most confident sensors decide, and a sensor too still or too brisk to tell alone is
    read like the others (otherwise a pelvis in rad/s would be read as deg/s, 57 times
    too small, next to thighs found to be in rad/s). A sensor whose own clear evidence
    contradicts the decision is named in a warning.

    ``periods``: as :func:`_check_rates` takes them. The chunks' arrays are the reader's
    own (:func:`_gather`), converted where they are.
    """
    quiet = {
        name: quiet_acc(c.t_s, c.acc_m_s2, period_s=periods.get(name)) for name, c in chunks.items()
    }
    acc = decide_acc_unit(quiet)
    voted = {name: window for name, window in quiet.items() if window is not None}  # deciders
    if acc.unit == "g":
        shown = ", ".join(
            f"{name} {voted[name].magnitude:.3f} at t = {voted[name].t_start_s:.1f} to "
            f"{voted[name].t_end_s:.1f} s"
            for name in acc.deciders
        )
        warnings.append(
            f"{path.name}: acc_x..acc_z look like g, not m/s^2 (median |acc| in the quietest "
            f"second: {shown}; at rest it is about {GRAVITY_M_S2} in m/s^2); one file has one "
            f"unit, so every sensor's accelerometer was converted to m/s^2 (x "
            f"{STANDARD_GRAVITY_M_S2}). Write the accelerometer in m/s^2 to silence this"
        )
        for chunk in chunks.values():
            np.multiply(chunk.acc_m_s2, STANDARD_GRAVITY_M_S2, out=chunk.acc_m_s2)
    file_unit = acc.unit or "m/s^2"
    for name in acc.dissenters:
        warnings.append(
            f"{path.name}: sensor {name!r}: its own |acc| at rest "
            f"({voted[name].magnitude:.3g}, t = {voted[name].t_start_s:.1f} to "
            f"{voted[name].t_end_s:.1f} s) looks like "
            f"{'m/s^2' if file_unit == 'g' else 'g'}, unlike {', '.join(acc.deciders)} "
            f"({file_unit}); it was read in {file_unit} with them (one file has one unit), so "
            "its numbers are likely wrong: check how this sensor was exported"
        )
    for name, window in quiet.items():
        if window is not None and acc_unit(window) is None:
            warnings.append(
                f"{path.name}: sensor {name!r}: the median |acc| in the quietest second (t = "
                f"{window.t_start_s:.1f} to {window.t_end_s:.1f} s) is {window.magnitude:.3g} "
                f"({file_unit}), but at rest it should be about "
                f"{'1' if file_unit == 'g' else GRAVITY_M_S2} {file_unit}; kept as it is; "
                "check that acc_x..acc_z are the accelerometer and the sensor works"
            )
    evidence = {
        name: gyro_evidence(c.t_s, c.acc_m_s2, c.gyr_rad_s, period_s=periods.get(name))
        for name, c in chunks.items()
    }
    gyro = decide_gyro_unit(evidence)
    if gyro.unit == "rad/s":
        shown = "; ".join(
            f"{name}: over {evidence[name].stretches} stretches where gravity's direction "
            f"turns by a median {np.degrees(evidence[name].turn_rad):.0f} deg, integrating as "
            f"rad/s follows it to within {np.degrees(evidence[name].error_rad_s_rad):.0f} deg, "
            f"as deg/s only to within {np.degrees(evidence[name].error_deg_s_rad):.0f} deg"
            for name in gyro.deciders
        )
        unclear = [n for n in chunks if n not in gyro.deciders and n not in gyro.dissenters]
        also = f"; {', '.join(unclear)}: no clear evidence alone, read the same way" * bool(unclear)
        warnings.append(
            f"{path.name}: gyr_x..gyr_z look like rad/s, not deg/s ({shown}); one file has one "
            f"unit, so every sensor's gyroscope was read as rad/s{also}. Write the gyroscope "
            "in deg/s to silence this"
        )
    else:
        for chunk in chunks.values():
            np.deg2rad(chunk.gyr_rad_s, out=chunk.gyr_rad_s)
    file_gyro = gyro.unit or "deg/s"
    for name in gyro.dissenters:
        own = evidence[name]
        warnings.append(
            f"{path.name}: sensor {name!r}: its own gyroscope looks like "
            f"{'deg/s' if file_gyro == 'rad/s' else 'rad/s'} (integrated as deg/s it follows "
            f"gravity's turns to within {np.degrees(own.error_deg_s_rad):.0f} deg, as rad/s "
            f"to within {np.degrees(own.error_rad_s_rad):.0f} deg), unlike "
            f"{', '.join(gyro.deciders)} ({file_gyro}); it was read in "
            f"{file_gyro} with them (one file has one unit), so its angles are likely wrong: "
            "check how this sensor was exported"
        )


def _check_names(
    path: Path,
    chunks: dict[str, ImuChunk],
    first_lines: dict[str, int],
    meta: SessionMeta,
    warnings: list[str],
) -> None:
    """Warn about sensor names that are unknown or that the CSV and sidecar disagree on."""
    declared = list(meta.sensors)
    known = list(dict.fromkeys([*PLACEMENTS, *declared]))
    for name, chunk in chunks.items():
        where = f"{path.name}:{first_lines[name]}"
        if name in known and (not declared or name in declared):
            continue
        if name not in known:
            guess = _guess(name, known, chunks)
            hint = f"; did you mean {guess!r}?" if guess else "."
            warnings.append(
                f"{where}: sensor {name!r} ({len(chunk)} rows, first on this line) is not a "
                f"known placement ({', '.join(PLACEMENTS)}){hint} Its rows are kept under "
                f"{name!r}; the metrics ignore it unless you rename it in the sensor column "
                "(and in the sidecar)"
            )
        else:
            guess = _guess(name, declared, chunks)
            hint = f"; did you mean {guess!r}?" if guess else "."
            warnings.append(
                f"{where}: sensor {name!r} is in the CSV but not among the sidecar's sensors "
                f"({', '.join(declared)}){hint} It gets no nominal mount or rate; add it to "
                "the sidecar or fix the name"
            )
    absent = [name for name in declared if name not in chunks]
    if absent:
        warnings.append(
            f"{path.name}: the sidecar lists sensor(s) {', '.join(map(repr, absent))} but the "
            f"CSV has no rows for them (it has {', '.join(map(repr, chunks))}); make the "
            "sensor names in the CSV and the sidecar match"
        )


def _guess(name: str, candidates: list[str], present: Iterable[str]) -> str | None:
    """A close candidate, preferring names that have no rows of their own."""
    unused = [c for c in candidates if c not in present]
    return suggest_placement(name, unused) or suggest_placement(name, candidates)
