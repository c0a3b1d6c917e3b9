"""Recordings as Apache Parquet: the contract CSV's table in a columnar file.

``NAME.parquet`` holds the rows of ``NAME.csv`` that the CSV reader keeps, with the same
column names and the values exactly as parsed from the text (``t`` and ``device_t`` in s,
acc in the file's unit, normally m/s^2, gyro normally in deg/s; ``sensor`` as a dictionary
of strings; ``seq`` as int64 when it is whole in every row; extras as numbers or text). The
sidecar's JSON is embedded in the file's key-value metadata under :data:`SIDECAR_KEY`, so
the file stands alone; a ``NAME.json`` beside it, as for a CSV, takes precedence (it is
where the live view adds its marks).

Reading goes through the same steps as the CSV (:func:`sensorlab.io.recording.read_recording`
with a ``.parquet`` path): unit checks, names, rates. The samples, and so ``summary.json``,
are identical to the CSV's, apart from the file name and warnings about rows the
conversion already dropped (they were printed by ``sensorlab convert``).

pyarrow is an optional dependency: ``pip install 'sensorlab[parquet]'``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab.errors import InputError
from sensorlab.extras import require_extra
from sensorlab.io.csv_table import CsvTable
from sensorlab.io.sidecar import parse_sidecar, read_sidecar
from sensorlab.io.writer import sidecar_text
from sensorlab.records import SessionMeta

SIDECAR_KEY = b"sensorlab.sidecar"
"""Key of the sidecar JSON (UTF-8 text) in the Parquet file's key-value metadata."""
FORMAT_KEY = b"sensorlab.format"
FORMAT_VALUE = b"sensorlab-recording-parquet 1"


def _pyarrow():
    """Return pyarrow and pyarrow.parquet, or raise an error naming the extra to install."""
    require_extra("parquet", "reading and writing Parquet recordings")
    import pyarrow as pa
    import pyarrow.parquet as pq

    return pa, pq


def convert_csv_to_parquet(csv_path: str | os.PathLike, parquet_path: str | os.PathLike) -> list:
    """Write the recording ``csv_path`` (and its sidecar) as ``parquet_path``.

    Returns the reader's warnings about the CSV (rows it dropped and so on), which the
    caller shows: the Parquet file no longer carries those rows.

    Raises
    ------
    InputError
        For a CSV the reader refuses, a missing pyarrow, or a file that cannot be written.
    """
    from sensorlab.io.recording import NUMERIC_EXTRAS, OPTIONAL_COLUMNS, read_csv_table
    from sensorlab.io.writer import write_error

    pa, pq = _pyarrow()
    meta, warnings, table, keep = read_csv_table(csv_path)
    frame = table.frame.loc[keep, [c for c in table.frame.columns if not c.startswith("__")]]
    frame = frame.reset_index(drop=True)
    for name in frame.columns:
        # A contract number column with some text cells: the text is read as missing
        # (the CSV reader warned), so that Parquet stores the column as numbers.
        if (name in OPTIONAL_COLUMNS or NUMERIC_EXTRAS.match(name)) and not (
            pd.api.types.is_numeric_dtype(frame[name].dtype)
        ):
            frame[name] = pd.to_numeric(frame[name], errors="coerce")
    if "seq" in frame.columns:
        seq = frame["seq"].to_numpy(dtype=np.float64)
        if np.isfinite(seq).all() and (seq == np.round(seq)).all():
            frame["seq"] = seq.astype(np.int64)
    frame["sensor"] = frame["sensor"].astype(str).astype("category")
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(arrow.schema.metadata or {})
    metadata.pop(b"pandas", None)  # the schema says it all; no pandas-specific index data
    metadata[FORMAT_KEY] = FORMAT_VALUE
    metadata[SIDECAR_KEY] = sidecar_text(meta).encode("utf-8")
    arrow = arrow.replace_schema_metadata(metadata)
    out = Path(parquet_path)
    temporary = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(arrow, temporary, compression="zstd")
        os.replace(temporary, out)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise write_error(out, error) from error
    return warnings


def read_parquet_table(
    path: Path, sidecar_path: str | os.PathLike | None = None
) -> tuple[SessionMeta, list[str], CsvTable]:
    """The sidecar, warnings and table of a recording Parquet file.

    The table's ``row_lines`` number the rows as the lines of the CSV they came from would
    be (the first row is line 2), so messages read the same.

    Raises
    ------
    InputError
        No file, not a Parquet file, pyarrow missing, a required column missing, or a
        required value that is not a finite number.
    """
    from sensorlab.io.recording import NUMERIC_REQUIRED, check_header

    _, pq = _pyarrow()
    if not path.is_file():
        raise InputError(f"{path.name}: no such file; check the path and the file name")
    try:
        parquet = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise InputError(
            f"{path.name}: not a readable Parquet file ({error}); convert the CSV again with "
            "'sensorlab convert'"
        ) from None
    warnings: list[str] = []
    meta = _meta(path, parquet.schema.metadata or {}, sidecar_path, warnings)
    check_header(path, list(parquet.column_names), warnings)
    frame = parquet.to_pandas()
    for name in NUMERIC_REQUIRED:
        values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise InputError(
                f"{path.name}: column {name} has {bad.size} missing or non-finite value(s) "
                f"(first in row {int(bad[0]) + 1}); this file was not written by 'sensorlab "
                "convert': convert the CSV again"
            )
        frame[name] = values
    if not isinstance(frame["sensor"].dtype, pd.CategoricalDtype):
        frame["sensor"] = frame["sensor"].astype(str).astype("category")
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)
    return meta, warnings, CsvTable(frame=frame, row_lines=rows)


def _meta(
    path: Path, metadata: dict, sidecar_path: str | os.PathLike | None, warnings: list[str]
) -> SessionMeta:
    """The sidecar beside the file (or the one given), else the embedded one, else none."""
    beside = Path(sidecar_path) if sidecar_path is not None else path.with_suffix(".json")
    if sidecar_path is not None or beside.is_file():
        if not beside.is_file():
            raise InputError(
                f"{beside.name}: sidecar not found; check the path, or leave the sidecar out "
                "(the Parquet file carries its own)"
            )
        meta, notes = read_sidecar(beside)
        warnings.extend(notes)
        return meta
    text = metadata.get(SIDECAR_KEY)
    if text is None:
        return SessionMeta()
    decoded = text.decode("utf-8")
    where = Path(f"{path.name}[{SIDECAR_KEY.decode()}]")
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{where}:{error.lineno}:{error.colno}: the embedded sidecar is not valid JSON "
            f"({error.msg}); put a corrected NAME.json beside the file"
        ) from None
    meta, notes = parse_sidecar(data, where, decoded)
    warnings.extend(notes)
    return meta
