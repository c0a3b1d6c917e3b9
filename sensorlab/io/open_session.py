"""Open the files of one session, whatever they are: a contract CSV or vendor exports.

The one entry point of ``sensorlab analyze`` and ``sensorlab import``: a single contract CSV
(or its Parquet conversion, ``.parquet``) goes to
:func:`sensorlab.io.recording.read_recording` (with its sidecar); vendor exports
(one or more files) to :func:`sensorlab.io.vendors.session.import_session`. A file that is
neither gets the list of formats read and how to map columns.
"""

from __future__ import annotations

import os
from pathlib import Path

from sensorlab.errors import InputError
from sensorlab.io.recording import REQUIRED_COLUMNS, read_recording
from sensorlab.io.vendors import find_reader, unknown_format_error
from sensorlab.io.vendors.session import ImportSettings, import_session
from sensorlab.records import Recording


def read_session_files(
    paths: list[str | os.PathLike], settings: ImportSettings | None = None
) -> Recording:
    """The recording in ``paths``: one contract CSV, or vendor files of one session.

    Raises
    ------
    InputError
        No file, a missing file, a contract CSV given with other files, or a file in no
        format read (see :func:`sensorlab.io.vendors.unknown_format_error`).
    """
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("give the session's file(s)")
    for path in files:
        if not path.is_file():
            raise InputError(f"{path.name}: no such file; check the path and the file name")
    if len(files) == 1 and files[0].suffix.lower() == ".parquet":
        return read_recording(files[0])  # a recording converted by 'sensorlab convert'
    vendor = [path for path in files if find_reader(path) is not None]
    if vendor:
        others = [path for path in files if path not in vendor]
        if others:
            raise unknown_format_error(others[0])
        return import_session(files, settings or ImportSettings())
    if len(files) > 1:
        raise InputError(
            f"{len(files)} files given, but {files[0]} is not a vendor export: give one "
            "contract CSV (its sidecar NAME.json is read too), or the vendor files of one session"
        )
    if not _looks_like_contract(files[0]):
        raise unknown_format_error(files[0])
    return read_recording(files[0])


def _looks_like_contract(path: Path) -> bool:
    """Whether the file is meant as a contract CSV.

    Its first line names a contract column, or it is not readable text at all (the contract reader
    then says exactly what is wrong).
    """
    try:
        with path.open("rb") as handle:
            first = handle.readline(4096)
    except OSError:
        return True
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return True
    if not text.strip() or "\x00" in text:
        return True
    fields = {field.strip().strip('"').lower() for field in text.split(",")}
    return bool(fields & set(REQUIRED_COLUMNS))
