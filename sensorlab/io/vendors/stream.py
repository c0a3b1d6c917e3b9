"""What every vendor reader returns, and the text-table parsing they share.

A reader turns one vendor file into one or more :class:`VendorStream` (one per sensor and,
for formats with a file per signal, per signal), already in SI units and the sensor's
own axes: acc in m/s^2, gyro in rad/s, quaternions scalar first (sensor-to-earth, earth z
up), device time in seconds. Which body placement a stream belongs to, and how streams of
one session are put on one time axis, is decided later (:mod:`sensorlab.io.vendors.session`).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path

import numpy as np
import pandas as pd

from sensorlab.errors import InputError

MAX_LISTED = 5
"""How many bad lines a warning names."""


@dataclass(frozen=True, eq=False)
class VendorStream:
    """Samples of one sensor (or one signal of it) from a vendor file.

    Attributes
    ----------
    source : Path
        The file.
    format : str
        The reader's name, e.g. ``"Movella DOT CSV"``.
    device : str or None
        The device's own id (tag, serial, MAC) when the file says.
    label : str or None
        A placement hint written inside the file (APDM's label, gaitmap's sensor name).
    t_s : ndarray, shape (n,)
        Device time of each sample, s, increasing, on ``clock``.
    clock : str
        Which clock ``t_s`` is on: streams with the same ``clock`` share one time axis
        (``"epoch"``, ``"dot:SampleTimeFine"``...); ``"own:..."`` is one device's alone.
    seq : ndarray of int64 or None
        The device's sample or packet counter, unwrapped (increasing; gaps are losses).
    rate_hz : float or None
        Nominal rate stated by the file.
    acc_m_s2, gyr_rad_s, free_acc_m_s2, mag_ut : ndarray (n, 3) or None
        Specific force, angular rate, earth-frame acceleration without gravity, magnetic
        field; ``None`` when the file does not have it.
    quat_wxyz : ndarray (n, 4) or None
        Device orientation, sensor to earth (earth z up), scalar first.
    notes : tuple of str
        The unit and axis conversions done (for the sidecar and the docs).
    warnings : list of str
        Problems that left the data usable, each naming ``file:line``.
    signal : str or None
        For a file holding one signal of a sensor (MetaBase, Movesense): ``"acc"``, ``"gyr"``.
    """

    source: Path
    format: str
    t_s: np.ndarray
    clock: str
    device: str | None = None
    label: str | None = None
    seq: np.ndarray | None = None
    rate_hz: float | None = None
    acc_m_s2: np.ndarray | None = None
    gyr_rad_s: np.ndarray | None = None
    free_acc_m_s2: np.ndarray | None = None
    mag_ut: np.ndarray | None = None
    quat_wxyz: np.ndarray | None = None
    notes: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)
    signal: str | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def read_lines(path: Path) -> list[str]:
    """The file's lines without line ends (UTF-8, a BOM dropped); refuses non-text clearly."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the file ({exc.strerror})") from None
    if b"\x00" in data[:65536]:
        raise InputError(f"{path.name}: this is a binary file, not a text export")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # vendor apps on Windows write their locale's code page
    return text.splitlines()


def head_lines(path: Path, count: int = 40) -> list[str]:
    """The first ``count`` lines, for sniffing; empty when the file cannot be read as text."""
    try:
        with path.open("rb") as handle:
            data = handle.read(16384)
    except OSError:
        return []
    if b"\x00" in data:
        return []
    return data.decode("utf-8-sig", errors="replace").splitlines()[:count]


@dataclass(frozen=True, eq=False)
class NumericTable:
    """Numeric columns of a vendor table and the file line of each row.

    Attributes
    ----------
    columns : dict of str to ndarray
        Each requested column as float64 (NaN where the cell was empty).
    lines : ndarray of int64
        1-based file line of each kept row.
    """

    columns: dict[str, np.ndarray]
    lines: np.ndarray

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def stack(self, names: list[str] | tuple[str, ...]) -> np.ndarray:
        """The named columns side by side, ``(n, len(names))``."""
        return np.column_stack([self.columns[name] for name in names])


def parse_numeric(
    path: Path,
    lines: list[str],
    header_index: int,
    sep: str,
    required: list[str],
    optional: Sequence[str] = (),
    warnings: list[str] | None = None,
) -> NumericTable:
    """Parse the rows after ``lines[header_index]`` (the header) into float columns.

    Blank lines are skipped. A row whose required cells are missing or not numbers (a
    cut-off last line, a stray text row) is dropped and named in a warning
    (``file:line:column 'value'``); when no row is usable the file is refused.
    ``optional`` columns may be empty (NaN). Column names are matched after stripping.

    Raises
    ------
    InputError
        A required column is missing from the header, or no row is usable.
    """
    header = [name.strip() for name in lines[header_index].split(sep)]
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            f"{path.name}:{header_index + 1} (header): column(s) {', '.join(missing)} not found "
            f"(the header has {', '.join(header)}); export the file again with them, or "
            "convert it to the contract CSV (see docs/vendors.md)"
        )
    data = lines[header_index + 1 :]
    filled = np.fromiter(map(len, map(str.strip, data)), dtype=np.int64, count=len(data)) > 0
    line_numbers = np.flatnonzero(filled) + header_index + 2
    body = list(compress(data, filled))
    wanted = [name for name in dict.fromkeys([*required, *optional]) if name in header]
    columns = _read_numbers(body, sep, header, wanted)
    texts = None
    if columns is None:  # a cell that is not a number, or a line with extra fields
        texts = _read_cells(body, sep, header, wanted)
        columns = {
            name: pd.to_numeric(texts[name], errors="coerce").to_numpy(dtype=np.float64)
            for name in wanted
        }
    bad = np.zeros(len(body), dtype=bool)
    first_bad: list[tuple[int, str]] = []
    for name in wanted:
        wrong = ~np.isfinite(columns[name])
        if name not in required:  # an empty optional cell is fine, text in it is not
            empty = np.ones(len(body), bool) if texts is None else (texts[name] == "").to_numpy()
            wrong &= ~empty
        if not wrong.any():
            continue
        if name in required:
            bad |= wrong
        for row in np.flatnonzero(wrong)[:MAX_LISTED]:
            fields = body[row].split(sep)
            index = header.index(name)
            shown = fields[index].strip() if index < len(fields) else "(missing)"
            first_bad.append(
                (int(line_numbers[row]), f"{path.name}:{line_numbers[row]}:{name} {shown!r}")
            )
    if bad.all():
        raise InputError(
            f"{path.name}: no usable data row: every row has a missing or non-numeric value in "
            f"{', '.join(required)}; first: " + "; ".join(t for _, t in sorted(first_bad)[:3])
        )
    if bad.any() and warnings is not None:
        shown = "; ".join(text for _, text in sorted(first_bad)[:MAX_LISTED])
        warnings.append(
            f"{path.name}: dropped {int(bad.sum())} row(s) with a missing or non-numeric value "
            f"({int((~bad).sum())} kept); first: {shown}"
        )
    keep = ~bad
    return NumericTable(
        columns={name: values[keep] for name, values in columns.items()},
        lines=line_numbers[keep],
    )


def _read_numbers(
    body: list[str], sep: str, header: list[str], wanted: list[str]
) -> dict[str, np.ndarray] | None:
    """The ``wanted`` columns as float64 in one pass of pandas' C parser.

    A short or empty cell reads as NaN; None when a cell is not a number or a line has extra fields.
    """
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(body)),
            sep=sep,
            header=None,
            names=header,
            usecols=wanted,
            dtype=dict.fromkeys(wanted, np.float64),
            engine="c",
            index_col=False,
            skip_blank_lines=False,
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(frame) != len(body):
        return None
    return {name: frame[name].to_numpy(dtype=np.float64) for name in wanted}


def _read_cells(body: list[str], sep: str, header: list[str], wanted: list[str]) -> pd.DataFrame:
    """The ``wanted`` columns of the data lines as stripped text.

    By pandas' C parser; a line with more fields than the header falls back to a plain split, its
    extra fields ignored.
    """
    text = "\n".join(body)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            names=header,
            usecols=wanted,
            dtype=str,
            keep_default_na=False,
            engine="c",
            index_col=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError:
        width = len(header)
        rows = [(line.split(sep) + [""] * width)[:width] for line in body]
        frame = pd.DataFrame(rows, columns=header)
    return frame[wanted].fillna("").apply(lambda column: column.str.strip())


def unwrap_counter(counter: np.ndarray, modulus: int) -> np.ndarray:
    """An increasing int64 counter from one that wraps at ``modulus`` (e.g. 2**16, 2**32)."""
    values = np.asarray(counter, dtype=np.int64)
    if values.size == 0:
        return values
    steps = np.diff(values)
    steps = np.where(steps < -modulus // 2, steps + modulus, steps)
    return np.concatenate([[values[0]], values[0] + np.cumsum(steps)])


def check_increasing(path: Path, t_s: np.ndarray, lines: np.ndarray, what: str) -> np.ndarray:
    """Indices of samples that keep ``t_s`` strictly increasing.

    Later repeats and steps back are dropped. Raises when more than half are out of order: a wrong
    time column.
    """
    keep = np.ones(t_s.size, dtype=bool)
    running = np.maximum.accumulate(t_s)
    keep[1:] = t_s[1:] > running[:-1]
    if keep.sum() < 0.5 * t_s.size:
        raise InputError(
            f"{path.name}: {what} does not increase (first backwards at line "
            f"{int(lines[np.flatnonzero(~keep)[0]])}); this is not a single recording's time"
        )
    return np.flatnonzero(keep)
